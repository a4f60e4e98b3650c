"""The ``symnn`` command: plain argparse calling the library.

Exit statuses
-------------
* **0** -- done.
* **2** -- bad usage or bad input: one line on stderr (a bad formula adds the
  parser's caret), in the CLI's terms (``symnn activations``, ``--param a=2``).
* **1** -- anything unexpected: one line ending "run with --debug for the
  traceback"; ``--debug`` (before or after the subcommand) shows it.
* **130** -- interrupted (Ctrl-C): one line, no traceback.

The rule that tells the two kinds of error apart: every command runs in two
phases.  The *input phase* reads and checks the arguments -- parses formulas,
looks names up in the registries, reads files, builds the network, checks
the output file -- inside ``with _input():`` blocks, and only there does a
``ValueError``, ``TypeError``, ``KeyError`` or ``OSError`` become a usage
error (status 2).  Nothing is computed or printed before the input phase is
over.  In the *work phase* (derivatives, plots, training) every exception is
unexpected, a ``ValueError`` included: a library bug is reported as status 1,
never dressed as bad usage.  The one expected failure of the work phase,
training that diverges (``DivergenceError``), is caught by name.

Output files are never overwritten: a plot or model whose file exists is
refused (status 2) unless ``--force`` is given; every file written is printed.

Only argparse and the standard library are imported at module level: the
registries, SymPy, NumPy and matplotlib are imported by the subcommand that
needs them, so ``symnn --help`` and usage errors stay fast.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

#: ``symnn activations --format``: the property table's formats (``ActivationTable.to_<format>``).
TABLE_FORMATS = ("text", "markdown", "latex")

#: The largest ``symnn diff --order``: the size of a derivative can grow exponentially.
MAX_ORDER = 20

#: Exceptions that are usage errors when raised in the input phase (see the module docstring).
_INPUT_ERRORS: tuple[type[BaseException], ...] = (ValueError, TypeError, KeyError, OSError)


class UsageError(Exception):
    """Bad usage or bad input: one line on stderr and exit status 2."""


@contextmanager
def _input(*errors: type[BaseException], param_option: str = "--param") -> Iterator[None]:
    """The input phase: the errors it raises are the user's (usage errors, status 2).

    *errors* replaces the default ``ValueError, TypeError, KeyError, OSError``;
    *param_option* is the option that sets parameters here, for the hints.
    """
    caught = errors or _INPUT_ERRORS
    try:
        yield
    except caught as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        raise UsageError(speak_cli(str(message), param_option)) from exc


# -- errors in CLI terms ----------------------------------------------------------------


_OPTIONS = ("output_activation", "activation", "loss", "optimizer", "lr", "epochs", "batch_size")

#: The library's Python-flavoured hints and their command-line words: (pattern, replacement);
#: ``{param}`` in a replacement is the option that sets parameters where the error arose.
_REWRITES: tuple[tuple[str, str], ...] = (
    (r"symnn\.(activations|losses)\(\)", r"symnn \1"),
    (r"symnn\.datasets\(\)", "symnn train --help"),
    (
        r"say which one is the input with symbol=\.\.\., and give the others defaults "
        r"with params=\{\.\.\.\}",
        "give every symbol but the input a value with {param} NAME=VALUE",
    ),
    (r"add it to symbols=\[\.\.\.\] or pass symbols=None to accept any single-letter variable",
     "give it a value with {param} NAME=VALUE"),
    (r",? or pass symbols=\[\.\.\.\]| \(or pass symbols=\[\.\.\.\]\)", ""),
    (r"see symnn\.parse\.known_functions\(\)",
     "exp, log, sqrt, sin, tanh, erf, ... and the names symnn activations lists"),
)  # fmt: skip


def speak_cli(message: str, param_option: str = "--param") -> str:
    """Rewrite the library's Python-flavoured hints into the command line's terms.

    >>> speak_cli("unknown loss 'hubr' (symnn.losses() lists them all)")
    "unknown loss 'hubr' (symnn losses lists them all)"
    >>> speak_cli("activation a*x has free symbol(s) a; pass params={'a': ...}")
    'activation a*x has free symbol(s) a; pass --param a=VALUE'
    >>> speak_cli("use output_activation='sigmoid'")
    'use --output-activation sigmoid'
    """
    for pattern, replacement in _REWRITES:
        message = re.sub(pattern, replacement.replace("{param}", param_option), message)

    def params(match: re.Match[str]) -> str:
        names = re.findall(r"'(\w+)'", match[1])
        return " ".join(f"{param_option} {n}=VALUE" for n in names or ["NAME"])

    message = re.sub(r"params=\{([^}]*)\}", params, message)
    return re.sub(
        rf"\b({'|'.join(_OPTIONS)})=('?)([\w.\-]+)\2",
        lambda m: f"--{m[1].replace('_', '-')} {m[3]}",
        message,
    )


# -- the parser -------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with errors in symnn's one-line style (still exit status 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Every option's help ends with its default (those without one say so in words)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if (
            action.option_strings
            and "%(default)" not in text
            and "default" not in text
            and default is not None
            and default is not False
            and default is not argparse.SUPPRESS
            and action.nargs != 0
        ):
            text += " (default: %(default)s)"
        return text


class _Names:
    """A registry's names, read on first use, so that ``symnn --help`` imports no registry.

    Set on an argparse action as ``action.names``, it fills ``%(names)s`` in the help.
    """

    def __init__(self, load: Callable[[], Iterable[str]]) -> None:
        self._load = load

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._load()))

    def __str__(self) -> str:
        return ", ".join(self)


def _datasets() -> list[str]:
    from symnn.nn.data import datasets

    return datasets()


def _optimizers() -> list[str]:
    from symnn.nn.training import optimizers

    return optimizers()


def _methods() -> tuple[str, ...]:
    from symnn.curves import METHODS

    return METHODS


def _number_type(kind: type, low: float, high: float | None = None) -> Callable[[str], Any]:
    """An argparse type: an int or float in [low, high], refused at parse time otherwise."""

    def convert(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'a whole number' if kind is int else 'a number'}, got {text!r}"
            ) from None
        if not (low <= value and (high is None or value <= high)) or value != value:
            bound = f"from {low:g} to {high:g}" if high is not None else f"at least {low:g}"
            raise argparse.ArgumentTypeError(f"must be {bound}; got {text}")
        return value

    convert.__name__ = kind.__name__
    return convert


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number; got {text}")
    return value


def _range(text: str) -> tuple[float, float]:
    """``"a,b"`` -> ``(a, b)`` with a < b (``-a b`` is joined into ``-a,b`` by :func:`_join_ranges`)."""
    parts = text.split(",")
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"takes two numbers, as -2,2 or -2 2; got {text!r}"
        ) from None
    if not (a < b and abs(a) < float("inf") and abs(b) < float("inf")):
        raise argparse.ArgumentTypeError(
            f"the first number must be smaller than the second, both finite; got {text!r}"
        )
    return a, b


_range.__name__ = "range"

#: Options taking a range ``a,b``; ``--xlim -2,2`` and ``--xlim -2 2`` are joined to ``--xlim=-2,2``.
_RANGE_OPTIONS = ("--xlim", "--ylim")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def _join_ranges(argv: list[str]) -> list[str]:
    """Let ranges start with a minus sign, which argparse would read as an option.

    ``--xlim -2,2`` and ``--xlim -2 2`` become ``--xlim=-2,2``; a value after the
    option that starts with ``-`` is attached too, so ``_range`` can name it.

    >>> _join_ranges(["plot", "x", "--xlim", "-2", "2", "--ylim", "-1,1"])
    ['plot', 'x', '--xlim=-2,2', '--ylim=-1,1']
    """
    out: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            out.extend(argv[i:])
            break
        following = argv[i + 1 : i + 3]
        if token in _RANGE_OPTIONS and following:
            if (
                len(following) == 2
                and re.fullmatch(_NUMBER, following[0])
                and re.fullmatch(_NUMBER, following[1])
            ):
                out.append(f"{token}={following[0]},{following[1]}")
                i += 3
                continue
            if following[0].startswith("-"):
                out.append(f"{token}={following[0]}")
                i += 2
                continue
        out.append(token)
        i += 1
    return out


class _Version(argparse.Action):
    """``--version``: imports the package only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from symnn import __version__

        print(f"symnn {__version__}")
        parser.exit(0)


def _debug_option(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--debug", action="store_true", default=default, help="show tracebacks of errors"
    )


def _command(sub, name: str, func: Callable[[argparse.Namespace], int], help_: str):
    p = sub.add_parser(name, help=help_, description=help_, formatter_class=_Formatter)
    p.set_defaults(func=func)
    _debug_option(p, argparse.SUPPRESS)  # after the subcommand too; SUPPRESS keeps the first
    return p


def _output_option(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default=default,
        help="output file: .png, .svg or .pdf (no extension means .png)",
    )
    _force_option(p)
    _show_option(p)


def _force_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true", help="overwrite output files that exist")


def _show_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--show", action="store_true", help="open a window (where there is a display)")


def _network_options(p: argparse.ArgumentParser, layers: str | None) -> None:
    p.add_argument(
        "--layers",
        default=layers,
        metavar="WIDTHS",
        help="widths, inputs first, e.g. 3,4,1"
        + ("" if layers else " (default: inputs,8,outputs from the data)"),
    )
    p.add_argument(
        "--activation",
        default="sigmoid",
        help="hidden activation: a name (symnn activations lists them), a formula in x "
        'such as "x*tanh(x)", or one per hidden layer: relu,tanh',
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="set a parameter of the hidden activation, e.g. alpha=0.2 (repeatable; "
        "default: the activation's own)",
    )
    p.add_argument(
        "--output-activation",
        default="auto",
        help='output activation: "auto" (what fits the loss), a name, a formula, or softmax',
    )
    p.add_argument(
        "--loss",
        default=None,
        help='a name (symnn losses lists them) or a formula in yhat and y, e.g. "(y-yhat)^4" '
        "(default: sse; cross_entropy with --network)",
    )
    p.add_argument(
        "--loss-param",
        action="append",
        metavar="NAME=VALUE",
        help="set a parameter of the loss, e.g. delta=0.5 (repeatable; default: the loss's own)",
    )
    p.add_argument("--no-bias", action="store_true", help="layers without biases (as the seed)")


def _layered_options(p: argparse.ArgumentParser, input_shape: bool) -> None:
    """``--network SPEC`` (a network of layers instead of --layers) and its input shape."""
    p.add_argument(
        "--network",
        metavar="SPEC",
        help='layers instead of --layers, e.g. "conv(8,3),relu,maxpool(2),flatten,dense(10)": '
        "conv(channels,kernel[,stride=,padding=,dilation=]), maxpool(size), avgpool(size), "
        "flatten, dense(units), activation names (default loss: cross_entropy)",
    )
    if input_shape:
        p.add_argument(
            "--input-shape",
            default="1,8,8",
            metavar="C,H,W",
            help="with --network: the input images' channels, height, width (the digits' 1,8,8)",
        )


def build_parser() -> argparse.ArgumentParser:
    """The ``symnn`` argument parser (cheap: the registries are read when help needs them)."""
    parser = _Parser(
        prog="symnn",
        description="The mathematics of neural networks, explorable: SymPy definitions, "
        "symbolic derivatives, stable NumPy code, LaTeX and plots.",
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action=_Version, help="print the version")
    _debug_option(parser, False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = _command(
        sub, "tour", cmd_tour, "reproduce every topic of the seed documents (the main job)"
    )
    p.add_argument("--out", default="symnn-tour", metavar="DIR", help="output folder")

    p = _command(sub, "activations", cmd_activations, "the property table of every activation")
    p.add_argument("--format", choices=TABLE_FORMATS, default=TABLE_FORMATS[0], help="table format")
    p.add_argument(
        "--columns",
        metavar="A,B,...",
        help="only these columns (name, equation, derivative, range, continuity, monotonic, "
        "...; default: all)",
    )
    p.add_argument(
        "--standalone", action="store_true", help="with --format latex: a whole LaTeX document"
    )
    p.add_argument(
        "--family",
        metavar="NAME",
        help="only one family of the catalogue (default: all): relu, sigmoid, gated, periodic, rational, ... "
        "(symnn.activation_families(); an unknown name lists them)",
    )
    p.add_argument(
        "--compare",
        nargs="+",
        metavar="NAME",
        help="plot these activations (names or formulas in x) and their derivatives side by "
        "side instead of the table (default: the table)",
    )
    p.add_argument(
        "-o", "--output", metavar="FILE", help="with --compare: the picture (default compare.png)"
    )
    _force_option(p)
    _show_option(p)

    _command(sub, "losses", cmd_losses, "every loss, with its other names and what it is")

    p = _command(sub, "show", cmd_show, "one activation: formula, derivative, properties, LaTeX")
    p.add_argument(
        "name",
        help='an activation name (symnn activations lists them) or a formula, e.g. "x*tanh(x)"',
    )
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="set a parameter, e.g. alpha=0.2 (repeatable; default: the activation's own)",
    )
    p.add_argument("--latex", action="store_true", help="print only the LaTeX equations")
    p.add_argument(
        "--standalone", action="store_true", help="with --latex: a whole LaTeX document"
    )
    p.add_argument(
        "--plot",
        metavar="FILE",
        help="also draw the function and its derivative into FILE (default: no picture)",
    )
    _force_option(p)
    _show_option(p)

    p = _command(
        sub, "export", cmd_export, "an activation as a standalone PyTorch or JAX module"
    )
    p.add_argument(
        "name",
        help='an activation name (symnn activations lists them) or a formula, e.g. "x*tanh(x)"',
    )
    p.add_argument("--to", choices=("torch", "jax"), required=True, help="the framework")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="set a parameter")
    p.add_argument("--out", metavar="FILE.py", help="write the module here (default: stdout)")
    _force_option(p)

    p = _command(sub, "diff", cmd_diff, "the simplified derivative of any expression")
    p.add_argument("expr", help='a formula, e.g. "x*tanh(log(1+exp(x)))" (^ or ** for powers)')
    p.add_argument("--wrt", help="the variable (default: the only one, or x)")
    p.add_argument(
        "--order",
        type=_number_type(int, 0, MAX_ORDER),
        default=1,
        help=f"derivative order, 0 to {MAX_ORDER}",
    )
    p.add_argument("--latex", action="store_true", help="print LaTeX displays (amsmath)")
    p.add_argument(
        "--standalone", action="store_true", help="with --latex: a whole LaTeX document"
    )

    p = _command(sub, "plot", cmd_plot, "plot explicit curves y = f(x)")
    p.add_argument("expr", nargs="+", help='one or more formulas, e.g. "sin(x)/x" "x^2"')
    p.add_argument(
        "--xlim", type=_range, default="-10,10", metavar="A,B", help="x range: -2,2 or -2 2"
    )
    p.add_argument(
        "--ylim", type=_range, metavar="A,B", help="y range (default: automatic, poles clipped)"
    )
    _output_option(p, "plot.png")

    p = _command(sub, "implicit", cmd_implicit, "plot an implicit curve such as x^2+y^2+xy=1")
    p.add_argument("expr", help='an equation, e.g. "x^2+y^2+xy=1", or an inequality')
    p.add_argument(
        "--xlim",
        type=_range,
        metavar="A,B",
        help="x range (default: automatic, the whole curve when it is bounded)",
    )
    p.add_argument("--ylim", type=_range, metavar="A,B", help="y range (default: as --xlim)")
    a = p.add_argument(
        "--method", help="how to draw: %(names)s (default: the first, the fastest and smoothest)"
    )
    a.names = _Names(_methods)  # type: ignore[attr-defined]
    p.add_argument("--classify", action="store_true", help="analyse the conic and annotate it")
    _output_option(p, "implicit.png")

    p = _command(sub, "train", cmd_train, "train a network and print its loss and predictions")
    a = p.add_argument("--data", default="seed", help="a data set (%(names)s) or PATH.csv")
    a.names = _Names(_datasets)  # type: ignore[attr-defined]
    _network_options(p, layers=None)
    _layered_options(p, input_shape=False)
    p.add_argument(
        "--epochs",
        type=_number_type(int, 1),
        default=None,
        help="passes over the data (default: 1500; 30 with --network)",
    )
    p.add_argument(
        "--lr", type=_positive_float, default=None, help="learning rate (default: 1.0; 0.01 with --network)"
    )
    a = p.add_argument("--optimizer", default=None, help="%(names)s (default: sgd; adam with --network)")
    a.names = _Names(_optimizers)  # type: ignore[attr-defined]
    p.add_argument(
        "--batch-size",
        type=_number_type(int, 1),
        default=None,
        help="samples per step (default: all, full-batch gradient descent; 32 with --network)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of weights and shuffling")
    p.add_argument(
        "--save", metavar="MODEL", help="save the trained network (.npz) (default: not saved)"
    )
    p.add_argument("--plot", metavar="FILE", help="draw the loss curve into FILE (default: none)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _force_option(p)
    _show_option(p)

    p = _command(
        sub, "formula", cmd_formula, "the forward formula and the backpropagation equations"
    )
    _network_options(p, layers="3,4,1")
    _layered_options(p, input_shape=True)
    p.add_argument("--latex", action="store_true", help="print LaTeX displays (amsmath)")
    p.add_argument(
        "--standalone", action="store_true", help="with --latex: a whole LaTeX document"
    )

    p = _command(sub, "elbow", cmd_elbow, "k-means SSE against k, with the knee")
    p.add_argument("path", help="a numeric CSV file (rows are points)")
    p.add_argument(
        "--kmax",
        type=_number_type(int, 1),
        default=10,
        help="try k = 1 .. KMAX clusters (at most the number of points)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed of k-means")
    _output_option(p, "elbow.png")
    _graph_commands(sub)
    _derive_commands(sub)
    _lr_commands(sub)
    return parser


def _graph_commands(sub) -> None:
    """``symnn graph`` and ``symnn walkthrough`` (computation graphs and worked examples)."""
    p = _command(sub, "graph", cmd_graph, "the computation graph of a formula or a network")
    p.add_argument("formula", nargs="?", help='a formula, activation or loss, e.g. "x*sigmoid(x)"')
    p.add_argument("--at", action="append", metavar="NAME=VALUE", help="a value, e.g. x=1.5 (repeatable)")
    _network_options(p, layers=None)
    p.add_argument("--network", dest="layers", metavar="WIDTHS", help="same as --layers, e.g. 2,2,2")
    p.add_argument("--level", choices=("scalar", "layer"), default="scalar", help="one node per scalar or per matrix")
    p.add_argument("--data", help="values on data: a data set name, PATH.csv, or inline 0.05,0.1:0.01,0.99")
    p.add_argument("--path", metavar="NODE", help="highlight a path from NODE to the output, e.g. w1_11")
    p.add_argument("--seed", type=int, default=0, help="random seed of the weights")
    p.add_argument("--out", metavar="FILE", help="FILE.png, .svg, .pdf, .dot or .mmd (default: print it)")
    _force_option(p)

    p = _command(sub, "walkthrough", cmd_walkthrough, "one training step of a small network, every number shown")
    _network_options(p, layers=None)
    p.add_argument("--network", dest="layers", metavar="WIDTHS", help="same as --layers, e.g. 2,2,2")
    p.add_argument("--data", required=True, help="a data set name, PATH.csv, or inline x1,x2:y1,y2;... (samples by ;)")
    p.add_argument("--lr", type=_positive_float, default=0.5, help="learning rate")
    p.add_argument("--steps", type=_number_type(int, 1, 20), default=1, help="gradient-descent steps")
    p.add_argument("--freeze", metavar="P,Q", help="parameters kept fixed, e.g. b1,b2")
    p.add_argument("--format", choices=("text", "markdown", "latex"), default="text", help="output format")
    p.add_argument("--standalone", action="store_true", help="with --format latex: a whole document")
    p.add_argument("--seed", type=int, default=0, help="random seed of the weights")


# -- the input phase: helpers -------------------------------------------------------------


def _params(pairs: list[str] | None, option: str = "--param") -> dict[str, float]:
    """``["alpha=0.2", "beta=1"]`` -> ``{"alpha": 0.2, "beta": 1.0}``, with clear errors."""
    out: dict[str, float] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{option} takes NAME=VALUE, e.g. {option} alpha=0.2; got {pair!r}")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise ValueError(f"{option} {key.strip()}: {value!r} is not a number") from None
    return out


def _activation(text: str, params: dict[str, float]):
    """A name, an alias or a formula: the library's one test (``as_activation``) decides."""
    from symnn.catalogue.activations import as_activation

    return as_activation(text.strip(), **params)


def _loss(text: str, params: dict[str, float]):
    """A loss name or alias, else a formula in yhat and y."""
    from symnn.catalogue.losses import as_loss

    return as_loss(text.strip(), **params)


def _output(path: str | None, force: bool, option: str) -> str | None:
    """The file a figure will be written to (``.png`` added as ``save_figure`` does), checked."""
    if path is None:
        return None
    from symnn.views.plotting import FORMATS

    root, ext = os.path.splitext(path)
    if not ext:
        path, ext = root + ".png", ".png"
    if ext.lower() not in FORMATS:
        raise ValueError(
            f"{option} {path}: cannot write {ext!r}; use one of {', '.join(FORMATS)} "
            "(no extension means .png)"
        )
    return _free(path, force, option)


def _free(path: str, force: bool, option: str) -> str:
    """*path* if it can be written: its folder exists and it does not (or ``--force``)."""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        raise ValueError(f"{option} {path}: the folder {folder} does not exist")
    if os.path.isdir(path):
        raise ValueError(f"{option} {path}: that is a folder; give a file name")
    if os.path.exists(path) and not force:
        raise ValueError(
            f"{path} exists; pass --force to overwrite it, or choose another name with {option}"
        )
    return path


def _layers(text: str) -> list[int]:
    try:
        return [int(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"--layers takes widths like 3,4,1; got {text!r}") from None


def _input_shape(text: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(p) for p in text.split(","))
    except ValueError:
        raise ValueError(f"--input-shape takes C,H,W like 1,8,8; got {text!r}") from None
    return dims


def _split_top(text: str) -> list[str]:
    """Split at the commas outside parentheses: ``"relu,max(x,0)"`` -> ``["relu", "max(x,0)"]``."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def _network(args: argparse.Namespace, layers: list[int]):
    """The network the options describe (the input phase: its errors are usage errors)."""
    from symnn.nn.network import Network

    with _input():
        names = _split_top(args.activation)
        params = _params(args.param)
        if len(names) > 1:
            hidden: Any = [_activation(t, params) for t in names]
        else:
            hidden = _activation(args.activation, params)
        out = args.output_activation.strip()
        if out.lower() == "auto":
            output: Any = None
        elif out.lower() == "softmax":
            output = "softmax"
        else:
            output = _activation(out, {})
    with _input(param_option="--loss-param"):
        layered = any(not isinstance(n, int) for n in layers)  # a CNN spec, not widths
        default = "cross_entropy" if layered else "sse"
        loss = _loss(args.loss or default, _params(args.loss_param, "--loss-param"))
    with _input():
        if layered:
            if args.activation != "sigmoid" or args.param:
                raise ValueError(
                    "with --network the activations are part of the spec (conv(8,3),relu,...); "
                    "leave out --activation and --param"
                )
            return Network(
                layers,
                output_activation=output,
                loss=loss,
                bias=not args.no_bias,
                seed=getattr(args, "seed", None),
                input_shape=args.input_shape,
            )
        return Network(
            layers,
            activation=hidden,
            output_activation=output,
            loss=loss,
            bias=not args.no_bias,
            seed=getattr(args, "seed", None),
        )


# -- the work phase: helpers --------------------------------------------------------------


def _save(fig: Any, path: str, show: bool) -> None:
    """Write the figure (the path was checked in the input phase), say where, maybe show it."""
    from symnn.views.plotting import save_figure

    print(f"wrote {save_figure(fig, path)}")
    if show:
        _show()
    import matplotlib.pyplot as plt

    plt.close(fig)


def _show() -> None:
    import matplotlib

    if not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ) and sys.platform.startswith("linux"):
        print("symnn: --show: no display here; the figure was saved instead", file=sys.stderr)
        return
    if matplotlib.get_backend().lower() == "agg":
        return
    import matplotlib.pyplot as plt

    plt.show()


def _plain(doc: str) -> str:
    """A docstring without reST math markup, for the terminal."""
    import textwrap

    text = re.sub(r":math:`([^`]*)`", r"\1", doc)
    return textwrap.dedent(text).strip()


def _summary(doc: str) -> str:
    """One line for a listing: the doc's first sentence up to its first formula, no markup.

    >>> _summary("Mean squared error :math:`x^2` (PyTorch ``mse_loss``).")
    'Mean squared error'
    >>> _summary("Poisson negative log-likelihood (PyTorch ``poisson_nll_loss``):\\n :math:`e^z`")
    'Poisson negative log-likelihood (PyTorch poisson_nll_loss)'
    """
    text = " ".join(doc.split())
    text = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    text = text.split(":math:", 1)[0].replace("``", "")
    return text.rstrip(" .:,;")


# -- subcommands ------------------------------------------------------------------------------


def cmd_tour(args: argparse.Namespace) -> int:
    from symnn.views.tour import run_tour

    with _input():
        if os.path.exists(args.out) and not os.path.isdir(args.out):
            raise ValueError(f"--out {args.out}: that is a file; give a folder")
    run_tour(args.out, echo=print)
    return 0


def cmd_activations(args: argparse.Namespace) -> int:
    import shutil

    from symnn._validation import check_choice
    from symnn.catalogue.activations import activation_families, activations, as_activation
    from symnn.views.tables import COLUMNS, activation_table

    with _input():
        columns = None
        if args.columns:
            columns = [c.strip() for c in args.columns.split(",") if c.strip()]
            for c in columns:
                check_choice("column", c, list(COLUMNS), listing="symnn activations --help")
        names = None
        if args.family:
            family = check_choice(
                "--family", args.family, activation_families(), listing="symnn activations --help"
            )
            names = activations(family=family)
        if args.compare:
            compared = [as_activation(name) for name in args.compare]
            output = _output(args.output or "compare.png", args.force, "-o")
        elif args.output:
            raise ValueError("-o/--output is the picture of --compare; add --compare NAME ...")
    if args.compare:
        from symnn.views.plotting.compare import compare_activations

        axes = compare_activations(compared)
        _save(axes[0].figure, output, args.show)
        return 0
    table = activation_table(names)
    if args.format == "text":
        width = shutil.get_terminal_size((100, 24)).columns
        print(table.to_text(columns=columns, width=width, legend=True))
    elif args.format == "markdown":
        print(table.to_markdown(columns=columns, legend=True))
    else:  # LaTeX that fits an A4 page: split into tables unless the columns are chosen
        latex = table.to_latex(columns=columns, split=columns is None, legend=True)
        print(_PREAMBLE + latex + "\n\\end{document}" if args.standalone else latex)
    return 0


def cmd_losses(args: argparse.Namespace) -> int:
    from symnn.catalogue.losses import loss, loss_aliases, losses

    others: dict[str, list[str]] = {}
    for alias, name in loss_aliases().items():
        others.setdefault(name, []).append(alias)
    width = max(len(n) for n in losses())
    for name in losses():
        entry = loss(name)
        print(f"{name:<{width}}  {_summary(entry.doc)}")
        if others.get(name):
            print(f"{'':<{width}}  also: {', '.join(others[name])}")
        if entry.params:
            values = ", ".join(f"{entry.kwnames[p]}={v:g}" for p, v in entry.params.items())
            print(f"{'':<{width}}  --loss-param {values}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with _input():
        act = _activation(args.name, _params(args.param))
        plot = _output(args.plot, args.force, "--plot")
    if args.latex:
        print(_latex_out([act.latex(0), act.latex(1)], args.standalone))
    else:
        print(f"{act.name}({act.symbol}) = {act.expr}")
        print(f"{act.name}'({act.symbol}) = {act.derivative}")
        if act.params:
            defaults = ", ".join(f"{act.kwnames[p]}={v:g}" for p, v in act.params.items())
            print(f"parameters: {defaults}")
        print()
        print(act.properties)
        print()
        print("LaTeX:")
        print("  " + act.latex(0))
        print("  " + act.latex(1))
        if act.doc:
            print()
            print(_plain(act.doc))
    if plot:
        from symnn.views.plotting import plot_activation

        _save(plot_activation(act).figure, plot, args.show)
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from symnn.catalogue.vector import REGISTRY as VECTOR_ACTIVATIONS
    from symnn.export import standalone_source

    with _input():
        if VECTOR_ACTIVATIONS.knows(args.name.strip()):
            name = VECTOR_ACTIVATIONS.lookup(args.name.strip()).name
            raise ValueError(
                f"{name} is a vector activation (a function of a whole layer): symnn export "
                "writes a module for an elementwise activation or a formula. From Python, "
                f"symnn.vector_activation({name!r}).to_torch() (or .to_jax()) gives it with "
                "symnn's formulas, and a network with such a layer exports with net.to_torch()"
            )
        act = _activation(args.name, _params(args.param))
        out = args.out
        if out is not None:
            if not out.endswith(".py"):
                raise ValueError(f"--out {out}: a Python module's name ends in .py")
            out = _free(out, args.force, "--out")
        text = standalone_source(act, args.to)
    if out is None:
        sys.stdout.write(text)
    else:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"wrote {out}")
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    import sympy as sp

    from symnn.expr.parse import parse
    from symnn.expr.symbolic import derivative

    with _input():
        expr = parse(args.expr)
        if not isinstance(expr, sp.Expr):
            raise ValueError(
                f"diff needs an expression, not an equation or inequality: {args.expr!r}"
            )
        symbols = sorted(expr.free_symbols, key=lambda s: s.name)
        if args.wrt:
            if not args.wrt.isidentifier():
                raise ValueError(f"--wrt takes a variable name such as x; got {args.wrt!r}")
            wrt = next((s for s in symbols if s.name == args.wrt), sp.Symbol(args.wrt, real=True))
        elif len(symbols) == 1:
            wrt = symbols[0]
        elif not symbols:
            wrt = sp.Symbol("x", real=True)
        elif any(s.name == "x" for s in symbols):
            wrt = next(s for s in symbols if s.name == "x")
        else:
            names = ", ".join(s.name for s in symbols)
            raise ValueError(
                f"the expression has several variables ({names}); choose one with --wrt"
            )
    result = derivative(expr, wrt, args.order) if args.order else expr
    if args.latex:
        d = {0: "", 1: rf"\frac{{d}}{{d{sp.latex(wrt)}}}"}.get(
            args.order, rf"\frac{{d^{{{args.order}}}}}{{d{sp.latex(wrt)}^{{{args.order}}}}}"
        )
        lhs = rf"{d} \left({sp.latex(expr)}\right)" if d else sp.latex(expr)
        print(_latex_out([f"{lhs} = {sp.latex(result)}"], args.standalone))
    else:
        print(result)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from symnn.curves import single_variable
    from symnn.views.plotting import plot

    with _input():
        exprs = [single_variable(text, None)[0] for text in args.expr]
        output = _output(args.output, args.force, "-o")
    ax = plot(*exprs, xlim=args.xlim, ylim=args.ylim)
    _save(ax.figure, output, args.show)
    return 0


def cmd_implicit(args: argparse.Namespace) -> int:
    from symnn._validation import check_choice
    from symnn.curves import (
        METHODS,
        NotAConic,
        boundary_expr,
        classify_conic,
        read_curve,
        xy_symbols,
    )
    from symnn.views.plotting import plot_implicit

    with _input():
        method = check_choice(
            "method", args.method or METHODS[0], METHODS, listing="symnn implicit --help"
        )
        curve = read_curve(args.expr)
        xy_symbols(boundary_expr(curve), None, None)
        output = _output(args.output, args.force, "-o")
    if args.classify:
        try:
            print(classify_conic(curve))
        except NotAConic as exc:
            print(f"not a conic: {exc.reason}")
    ax = plot_implicit(curve, xlim=args.xlim, ylim=args.ylim, method=method, classify=args.classify)
    _save(ax.figure, output, args.show)
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    import numpy as np

    from symnn._validation import check_choice
    from symnn.nn.data import dataset
    from symnn.nn.persistence import save
    from symnn.nn.training import DivergenceError, optimizers

    layered = bool(args.network)
    with _input():
        optimizer = check_choice(
            "optimizer",
            args.optimizer or ("adam" if layered else "sgd"),
            optimizers(),
            listing="symnn train --help",
        )
        if layered and args.layers:
            raise ValueError("give either --layers (a dense network) or --network, not both")
        X, y = dataset(args.data)
        if y is None:
            raise ValueError(f"{args.data}: the CSV has no target column")
        if layered:
            from symnn.nn.layers import parse_spec

            layers: Any = parse_spec(args.network)
            args.input_shape = X.shape[1:]
        elif X.ndim > 2:
            X = X.reshape(len(X), -1)  # images as rows of pixels for a dense network
        if not layered:
            layers = _layers(args.layers) if args.layers else [X.shape[1], 8, y.shape[1]]
        if not layered and layers[0] != X.shape[1]:
            raise ValueError(
                f"--layers starts with {layers[0]} inputs but the data has {X.shape[1]} columns; "
                f"use --layers {X.shape[1]},{','.join(map(str, layers[1:]))}"
            )
    net = _network(args, layers)
    with _input():
        net.check_data(X, y)
        model = args.save
        if model is not None:
            model = model if model.endswith(".npz") else model + ".npz"
            _free(model, args.force, "--save")
        plot = _output(args.plot, args.force, "--plot")
    print(net)
    with _input(DivergenceError):
        history = net.fit(
            X,
            y,
            epochs=args.epochs or (30 if layered else 1500),
            lr=args.lr or (0.01 if layered else 1.0),
            optimizer=optimizer,
            batch_size=args.batch_size or (32 if layered else None),
            seed=args.seed,
            progress=None if not args.quiet else False,
        )
    print(
        f"loss: {history.loss[0]:.6g} (epoch 1) -> {history.final_loss:.6g} (epoch {history.epochs})"
    )
    if layered:
        print(net.summary())
        if net.shapes[-1][0] > 1:
            print(f"training accuracy: {net.accuracy(X, y):.4f}")
            if args.data == "digits":
                with _input():
                    Xt, yt = dataset("digits", split="test")
                print(f"test accuracy: {net.accuracy(Xt, yt):.4f} ({len(Xt)} held-out digits)")
    pred = net.predict(X)
    rows = min(len(X), 10)
    print(f"predictions (first {rows} of {len(X)}):")
    with np.printoptions(precision=4, suppress=True):
        for target, out in zip(y[:rows], pred[:rows], strict=True):
            print(f"  target {target}  predicted {out}")
    if model:
        with _input():  # a model that cannot be written is the user's to fix (exit 2)
            written = save(net, model)
        print(f"saved {written}")
    if plot:
        from symnn.views.plotting import plot_history

        _save(plot_history(history).figure, plot, args.show)
    return 0


_PREAMBLE = r"""\documentclass{article}
\usepackage{amsmath,amssymb,booktabs,graphicx}
\usepackage[a4paper,margin=2cm]{geometry}
\begin{document}
"""


def _latex_out(parts: list[str], standalone: bool, aligned: bool = False) -> str:
    r"""Complete displays: each equation (or ``aligned`` block) in ``\[ ... \]``, so the output
    compiles when pasted into an article with amsmath; ``standalone`` adds a minimal document."""
    body = "\n\n".join(
        f"\\[\n{p}\n\\]" if aligned or not p.lstrip().startswith("\\begin{") else p for p in parts
    )
    if standalone:
        return _PREAMBLE + body + "\n\\end{document}"
    return body


def cmd_formula(args: argparse.Namespace) -> int:
    with _input():
        if args.network:
            from symnn.nn.layers import parse_spec

            layers: Any = parse_spec(args.network)
            args.input_shape = _input_shape(args.input_shape)
        else:
            layers = _layers(args.layers)
    net = _network(args, layers)
    if args.latex:
        blocks = [net.formula().latex(), net.backprop().latex()]
        print(_latex_out(blocks, args.standalone, aligned=True))
    else:
        print("forward pass:")
        print("  " + str(net.formula()).replace("\n", "\n  "))
        print("backpropagation:")
        print("  " + str(net.backprop()).replace("\n", "\n  "))
    return 0


def cmd_elbow(args: argparse.Namespace) -> int:
    from symnn.cluster import elbow
    from symnn.nn.data import load_csv
    from symnn.views.plotting import plot_elbow

    with _input():
        X, _ = load_csv(args.path, target=None)
        if args.kmax > len(X):
            raise ValueError(
                f"--kmax {args.kmax} is more than the {len(X)} points in {args.path}; "
                f"use --kmax {min(len(X), 10)} (at most {len(X)})"
            )
        output = _output(args.output, args.force, "-o")
    result = elbow(X, k=range(1, args.kmax + 1), seed=args.seed)
    for k, sse in zip(result.k, result.sse, strict=True):
        mark = "  <- knee" if k == result.knee else ""
        print(f"k={k:<3} SSE={sse:.6g}{mark}")
    _save(plot_elbow(result).figure, output, args.show)
    return 0


def _graph_data(text: str):
    """``--data``: a data set name, a CSV path, or inline ``x1,x2:y1,y2;...``."""
    import numpy as np

    if ":" in text:
        xs, ys = [], []
        for sample in text.split(";"):
            left, sep, right = sample.partition(":")
            if not sep:
                raise ValueError(f"--data {text!r}: write each sample as inputs:targets, e.g. 0.05,0.1:0.01,0.99")
            try:
                xs.append([float(v) for v in left.split(",")])
                ys.append([float(v) for v in right.split(",")])
            except ValueError:
                raise ValueError(f"--data {text!r}: inputs and targets must be numbers") from None
        try:
            return np.array(xs), np.array(ys)
        except ValueError:
            raise ValueError(f"--data {text!r}: every sample needs as many numbers") from None
    from symnn.nn.data import dataset

    X, y = dataset(text)
    if y is None:
        raise ValueError(f"--data {text}: the CSV has no target column")
    return X, y


def _graph_network(args: argparse.Namespace, data):
    with _input():
        if not args.layers:
            if data is None:
                raise ValueError("give a FORMULA or --network WIDTHS (e.g. --network 2,2,2)")
            layers = [data[0].shape[1], 2, data[1].shape[1]]
        else:
            layers = _layers(args.layers)
    net = _network(args, layers)
    with _input():
        if data is not None:
            net.check_data(*data)
    return net


def cmd_graph(args: argparse.Namespace) -> int:
    with _input():
        out = args.out
        if out is not None:
            ext = os.path.splitext(out)[1].lower()
            if ext not in (".png", ".svg", ".pdf", ".dot", ".mmd"):
                raise ValueError(f"--out {out}: use FILE.png, .svg, .pdf, .dot or .mmd")
            _free(out, args.force, "--out")
        if args.formula and args.layers:
            raise ValueError("give a FORMULA or --network, not both")
        data = _graph_data(args.data) if args.data else None
    if args.formula:
        from symnn.nn.graph import graph

        with _input():
            at = _params(args.at, "--at") if args.at else None
            g = graph(args.formula, at=at)
    else:
        net = _graph_network(args, data)
        with _input():
            try:
                g = net.graph(*(data or (None, None)), level=args.level)
            except ValueError as exc:  # the library's hint, in the command line's words
                raise ValueError(str(exc).replace("net.graph(level='layer')", "--level layer")) from None
    with _input():
        if args.path:
            g.path(args.path)
    if out is None:
        print(g)
        if g.highlighted is not None:
            print(g.highlighted)
        return 0
    ext = os.path.splitext(out)[1].lower()
    if ext in (".dot", ".mmd"):
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(g.to_dot() if ext == ".dot" else g.to_mermaid())
        print(f"wrote {out}")
        return 0
    from symnn.views.plotting import save_figure

    print(f"wrote {save_figure(g.draw().figure, out)}")
    return 0


def cmd_walkthrough(args: argparse.Namespace) -> int:
    with _input():
        data = _graph_data(args.data)
    net = _graph_network(args, data)
    with _input():
        if args.freeze:
            net.frozen = [k.strip() for k in args.freeze.split(",")]
        w = net.walkthrough(*data, lr=args.lr, steps=args.steps)
    if args.format == "markdown":
        print(w.markdown())
    elif args.format == "latex":
        print(w.latex(standalone=args.standalone))
    else:
        print(w.text(), end="")
    return 0


# -- learning rates and curvature (symnn lr, symnn curvature) ---------------------------------


def _lr_commands(sub) -> None:
    for name, func, help_ in (
        ("lr", cmd_lr, "train at many learning rates; the sweep with the stability limit 2/λmax"),
        ("curvature", cmd_curvature, "top Hessian eigenvalues and the largest stable rate 2/λmax"),
    ):
        p = _command(sub, name, func, help_)
        a = p.add_argument("--data", default="seed", help="a data set (%(names)s) or PATH.csv")
        a.names = _Names(_datasets)  # type: ignore[attr-defined]
        _network_options(p, layers=None)
        p.add_argument("--network", dest="layers", default=argparse.SUPPRESS, metavar="WIDTHS",
                       help="the same as --layers (default: as --layers)")  # fmt: skip
        p.add_argument("--seed", type=int, default=0, help="random seed of the initial weights")
        if name == "lr":
            p.add_argument("--epochs", type=_number_type(int, 1), default=1500,
                           help="passes over the data per rate")  # fmt: skip
            p.add_argument("--lrs", default="0.01:100:25", metavar="LO:HI:N or A,B,...",
                           help="N rates from LO to HI evenly on a log scale, or a list")  # fmt: skip
            a = p.add_argument("--optimizer", default="sgd", help="%(names)s")
            a.names = _Names(_optimizers)  # type: ignore[attr-defined]
            p.add_argument("--out", metavar="FILE", help="draw the sweep into FILE (default: none)")
            _force_option(p)
            _show_option(p)
        else:
            p.add_argument("-k", type=_number_type(int, 1), default=3, help="how many eigenvalues")
            p.add_argument("--equations", action="store_true",
                           help="also print the Hessian-vector product's equations")  # fmt: skip


def _lrs(text: str) -> list[float]:
    """``"0.01:100:25"`` (log-spaced) or ``"0.1,1,10"`` -> the learning rates."""
    import numpy as np

    try:
        if ":" in text:
            lo, hi, count = text.split(":")
            lo_f, hi_f, n = float(lo), float(hi), int(count)
            if not (0 < lo_f < hi_f) or n < 1:
                raise ValueError
            return [float(v) for v in np.geomspace(lo_f, hi_f, n)]
        rates = [float(v) for v in text.split(",")]
        if not rates or min(rates) <= 0 or not all(map(np.isfinite, rates)):
            raise ValueError
        return rates
    except ValueError:
        raise ValueError(
            f"--lrs takes LO:HI:N (N rates from LO to HI, 0 < LO < HI) or positive rates A,B,...; "
            f"got {text!r}"
        ) from None


def _data_network(args: argparse.Namespace):
    from symnn.nn.data import dataset

    with _input():
        X, y = dataset(args.data)
        if y is None:
            raise ValueError(f"{args.data}: the CSV has no target column")
        layers = _layers(args.layers) if args.layers else [X.shape[1], 8, y.shape[1]]
        if layers[0] != X.shape[1]:
            raise ValueError(
                f"--network starts with {layers[0]} inputs but the data has {X.shape[1]} columns; "
                f"use --network {X.shape[1]},{','.join(map(str, layers[1:]))}"
            )
    net = _network(args, layers)
    with _input():
        X, y = net.check_data(X, y)
    return net, X, y


def cmd_lr(args: argparse.Namespace) -> int:
    from symnn._validation import check_choice
    from symnn.nn.lr import lr_sweep
    from symnn.nn.training import optimizers

    with _input():
        optimizer = check_choice("optimizer", args.optimizer, optimizers(),
                                 listing="symnn lr --help")  # fmt: skip
        rates = _lrs(args.lrs)
        out = _output(args.out, args.force, "--out")
    net, X, y = _data_network(args)
    print(net)
    sweep = lr_sweep(net, X, y, lrs=rates, epochs=args.epochs, optimizer=optimizer)
    print(sweep)
    if out:
        from symnn.views.plotting import plot_lr_sweep

        _save(plot_lr_sweep(sweep).figure, out, args.show)
    return 0


def cmd_curvature(args: argparse.Namespace) -> int:
    net, X, y = _data_network(args)
    with _input():
        if args.k >= net.n_params:
            raise ValueError(f"-k {args.k}: the network has only {net.n_params} parameters; "
                             f"use -k {net.n_params - 1} or fewer")  # fmt: skip
    print(net)
    c = net.curvature(X, y, k=args.k)
    print(f"loss at the initial weights: {c.loss:.6g}")
    print(c)
    if args.equations:
        print("Hessian-vector product (R-operator):")
        print("  " + str(net.hvp_equations()).replace("\n", "\n  "))
    return 0


# -- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the ``symnn`` command with *argv* (default ``sys.argv[1:]``); return the exit status."""
    try:
        return _main(sys.argv[1:] if argv is None else list(argv))
    except KeyboardInterrupt:
        print("symnn: interrupted", file=sys.stderr)
        return 130


def _main(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(_join_ranges(argv))
    except SystemExit as exc:  # --help, --version and usage errors: argparse has printed
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    if not getattr(args, "func", None):
        parser.print_help(sys.stdout)
        return 0
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `symnn activations | head`: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except UsageError as exc:
        if args.debug:
            import traceback

            traceback.print_exception(exc.__cause__ or exc)
        print(f"symnn: error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"symnn: unexpected error: {type(exc).__name__}: {exc} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


# -- step-by-step derivations (issue 13) -------------------------------------------------------


def _derive_commands(sub) -> None:
    p = _command(sub, "derive", cmd_derive,
                 "how a derivative comes out, step by step (or backpropagation, with --network)")  # fmt: skip
    p.add_argument("target", nargs="?", metavar="FORMULA|ACTIVATION|LOSS",
                   help='a formula such as "x*tanh(x)", an activation or a loss name')  # fmt: skip
    p.add_argument("--wrt", help="the variable (default: x, the only one, or the loss's yhat)")
    p.add_argument("--network", metavar="WIDTHS|SPEC",
                   help="derive backpropagation for a network of these widths, e.g. 3,4,1, or "
                   'of these layers, e.g. "conv(8,3),relu,maxpool(2),flatten,dense(10)" '
                   "(default: none; derive FORMULA)")  # fmt: skip
    p.add_argument("--input-shape", default="1,8,8", metavar="C,H,W",
                   help="with --network SPEC: the input images' channels, height, width "
                   "(default: 1,8,8, the digits')")  # fmt: skip
    _network_options(p, layers=None)
    p.add_argument("--bias", dest="no_bias", action="store_false",
                   help="with --network: layers with biases (default: biases, unless --no-bias)")  # fmt: skip
    form = p.add_mutually_exclusive_group()
    form.add_argument("--latex", action="store_true", help="print an amsmath aligned block")
    form.add_argument("--markdown", action="store_true", help="print Markdown (Jupyter, GitHub)")
    p.add_argument("--tex", metavar="FILE",
                   help="write a standalone LaTeX document to FILE (default: none)")
    p.add_argument("--pdf", metavar="FILE",
                   help="build a PDF with pdflatex, lualatex, xelatex or tectonic (default: none)")  # fmt: skip
    _force_option(p)

    p = _command(sub, "check", cmd_check, "is ANSWER the derivative of F? (check my answer)")
    p.add_argument("f", metavar="F", help="a formula, an activation or a loss name")
    p.add_argument("answer", metavar="ANSWER", help='the derivative to check, e.g. "2*x"')
    p.add_argument("--wrt", help="the variable (default: x, the only one, or the loss's yhat)")


def cmd_derive(args: argparse.Namespace) -> int:
    with _input():
        if args.network and args.target:
            raise ValueError(
                f"give either FORMULA ({args.target!r}) or --network, not both"
            )
        if not args.network and not args.target:
            raise ValueError(
                'derive needs FORMULA, ACTIVATION or LOSS (e.g. symnn derive sigmoid), '
                'or --network WIDTHS or SPEC (e.g. --network 3,4,1 or "conv(4,3),relu,flatten,dense(10)")'
            )
        if args.network and args.wrt:
            raise ValueError("--wrt goes with FORMULA; --network derives every weight")
        tex_file = _free(args.tex, args.force, "--tex") if args.tex else None
        pdf_file = _free(args.pdf, args.force, "--pdf") if args.pdf else None
        if pdf_file and not pdf_file.endswith(".pdf"):
            raise ValueError(f"--pdf {args.pdf}: the file name must end in .pdf")
        if args.network:
            items = [p.strip() for p in _split_top(args.network)]
            if all(p.isdigit() for p in items):
                layers: Any = _layers(args.network)
            elif any(p.isdigit() for p in items):
                raise ValueError(
                    f"symnn derive --network takes widths like 3,4,1 or layers like "
                    f'"conv(8,3),relu,flatten,dense(10)", not a mix; got {args.network!r}'
                )
            else:  # a network of layers: conv(8,3),relu,maxpool(2),flatten,dense(10)
                from symnn.nn.layers import parse_spec

                layers = parse_spec(args.network)
                args.input_shape = _input_shape(args.input_shape)
            net = _network(args, layers)
    if args.network:
        d = net.derive()
    else:
        from symnn.nn.derivation import derive

        with _input():
            d = derive(args.target, args.wrt)
    if args.latex:
        print(_latex_out([d.latex()], False, aligned=True))
    elif args.markdown:
        print(d.to_markdown())
    else:
        print(d)
    if tex_file or pdf_file:
        doc = d.to_latex_document()
        if tex_file:
            with open(tex_file, "w", encoding="utf-8") as fh:
                fh.write(doc)
            print(f"wrote {tex_file}")
        if pdf_file:
            from symnn.views.documents import LatexUnavailable, build_pdf

            try:
                build_pdf(doc, pdf_file)
            except LatexUnavailable as exc:
                raise UsageError(str(exc)) from exc
            print(f"wrote {pdf_file}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from symnn.catalogue.derivations import check_derivative

    with _input():
        verdict = check_derivative(args.f, args.answer, args.wrt)
    print(verdict)  # right or wrong, the check itself succeeded: status 0
    return 0
