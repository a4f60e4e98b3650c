"""The ``symnn`` command: plain argparse calling the library.

Bad usage or bad input is one line on stderr and exit status 2 (a bad
formula shows the parser's caret); anything unexpected is exit status 1,
with ``--debug`` for the traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from symnn import __version__

_USAGE_ERRORS = (ValueError, TypeError, KeyError, OSError)


class _Parser(argparse.ArgumentParser):
    """argparse with errors in symnn's one-line style (still exit status 2)."""

    def error(self, message: str):  # pragma: no cover - exercised through subprocess tests
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _params(pairs: list[str] | None) -> dict[str, float]:
    """``["alpha=0.2", "beta=1"]`` -> ``{"alpha": 0.2, "beta": 1.0}``, with clear errors."""
    out: dict[str, float] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--param takes NAME=VALUE, e.g. --param alpha=0.2; got {pair!r}")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--param {key.strip()}: {value!r} is not a number") from None
    return out


# -- subcommands -------------------------------------------------------------------


def cmd_activations(args: argparse.Namespace) -> int:
    from symnn.views.tables import activation_table

    table = activation_table()
    if args.format == "markdown":
        print(table.to_markdown())
    elif args.format == "latex":
        print(table.to_latex())
    else:
        print(table)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    import symnn as sn

    if any(c in args.name for c in "()*+/^ "):  # a formula: your own activation
        act = sn.Activation(args.name, name="f", params=_params(args.param) or None)
    else:
        act = sn.activation(args.name, **_params(args.param))
    if args.latex:
        print(act.latex(0))
        print(act.latex(1))
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
    if args.plot:
        from symnn.views.plotting import plot_activation

        _save(plot_activation(act).figure, args.plot, "activation.png", args.show)
    return 0


def _plain(doc: str) -> str:
    """A docstring without reST math markup, for the terminal."""
    import re
    import textwrap

    text = re.sub(r":math:`([^`]*)`", r"\1", doc)
    return textwrap.dedent(text).strip()


def _pair(text: str, what: str) -> tuple[float, float]:
    """``"a,b"`` -> ``(a, b)`` with a < b."""
    parts = text.split(",")
    try:
        a, b = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"{what} takes two numbers a,b (e.g. -10,10); got {text!r}") from None
    if not a < b:
        raise ValueError(f"{what}: the first number must be smaller than the second; got {text!r}")
    return a, b


def _save(fig, path: str | None, default: str, show: bool) -> None:
    from symnn.views.plotting import save_figure

    written = save_figure(fig, path or default)
    print(f"wrote {written}")
    if show:
        _show()


def _show() -> None:
    import os

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


def cmd_diff(args: argparse.Namespace) -> int:
    import sympy as sp

    from symnn.expr.parse import parse
    from symnn.expr.symbolic import tidy

    expr = parse(args.expr)
    if not isinstance(expr, sp.Expr) or isinstance(expr, sp.logic.boolalg.Boolean):
        raise ValueError(f"diff needs an expression, not an equation or inequality: {args.expr!r}")
    symbols = sorted(expr.free_symbols, key=lambda s: s.name)
    if args.wrt:
        wrt = next((s for s in symbols if s.name == args.wrt), sp.Symbol(args.wrt, real=True))
    elif len(symbols) == 1:
        wrt = symbols[0]
    elif not symbols:
        wrt = sp.Symbol("x", real=True)
    elif any(s.name == "x" for s in symbols):
        wrt = next(s for s in symbols if s.name == "x")
    else:
        names = ", ".join(s.name for s in symbols)
        raise ValueError(f"the expression has several variables ({names}); choose one with --wrt")
    if args.order < 0:
        raise ValueError(f"--order must be 0 or more; got {args.order}")
    result = expr
    for _ in range(args.order):
        result = tidy(sp.diff(result, wrt))
    if args.latex:
        print(sp.latex(result))
    else:
        print(result)
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    from symnn.views.plotting import plot

    xlim = _pair(args.xlim, "--xlim")
    ax = plot(*args.expr, xlim=xlim)
    _save(ax.figure, args.output, "plot.png", args.show)
    return 0


def cmd_implicit(args: argparse.Namespace) -> int:
    from symnn.views.plotting import plot_implicit

    if args.classify:
        from symnn.curves import classify_conic

        print(classify_conic(args.expr))
    ax = plot_implicit(args.expr, method=args.method, classify=args.classify)
    _save(ax.figure, args.output, "implicit.png", args.show)
    return 0


def _layers(text: str) -> list[int]:
    try:
        sizes = [int(p) for p in text.split(",")]
    except ValueError:
        raise ValueError(f"--layers takes widths like 3,4,1; got {text!r}") from None
    return sizes


def _activation_arg(text: str):
    names = [t.strip() for t in text.split(",")]
    return names[0] if len(names) == 1 else names


def cmd_train(args: argparse.Namespace) -> int:
    import numpy as np

    import symnn as sn

    X, y = (
        sn.dataset(args.data) if not args.data.lower().endswith(".csv") else sn.load_csv(args.data)
    )
    if y is None:
        raise ValueError(f"{args.data}: the CSV has no target column")
    layers = _layers(args.layers) if args.layers else [X.shape[1], 8, y.shape[1]]
    if layers[0] != X.shape[1]:
        raise ValueError(
            f"--layers starts with {layers[0]} inputs but the data has {X.shape[1]} columns; "
            f"use --layers {X.shape[1]},{','.join(map(str, layers[1:]))}"
        )
    net = sn.Network(
        layers,
        activation=_activation_arg(args.activation),
        output_activation=args.output_activation,
        loss=args.loss,
        bias=not args.no_bias,
        seed=args.seed,
    )
    print(net)
    history = net.fit(
        X,
        y,
        epochs=args.epochs,
        lr=args.lr,
        optimizer=args.optimizer,
        batch_size=args.batch_size,
        seed=args.seed,
        progress=None if not args.quiet else False,
    )
    print(
        f"loss: {history.loss[0]:.6g} (epoch 1) -> {history.final_loss:.6g} (epoch {history.epochs})"
    )
    pred = net.predict(X)
    rows = min(len(X), 10)
    print(f"predictions (first {rows} of {len(X)}):")
    with np.printoptions(precision=4, suppress=True):
        for target, out in zip(y[:rows], pred[:rows], strict=True):
            print(f"  target {target}  predicted {out}")
    if args.save:
        print(f"saved {sn.save(net, args.save)}")
    if args.plot:
        from symnn.views.plotting import plot_history

        ax = plot_history(history)
        _save(ax.figure, args.plot, "history.png", args.show)
    return 0


def cmd_formula(args: argparse.Namespace) -> int:
    import symnn as sn

    net = sn.Network(
        _layers(args.layers),
        activation=_activation_arg(args.activation),
        output_activation=args.output_activation,
        loss=args.loss,
        bias=not args.no_bias,
    )
    if args.latex:
        print(net.formula().latex())
        print()
        print(net.backprop().latex())
    else:
        print("forward pass:")
        print("  " + str(net.formula()).replace("\n", "\n  "))
        print("backpropagation:")
        print("  " + str(net.backprop()).replace("\n", "\n  "))
    return 0


def cmd_elbow(args: argparse.Namespace) -> int:
    import symnn as sn

    X, _ = sn.load_csv(args.path, target=None)
    if args.kmax < 1:
        raise ValueError(f"--kmax must be at least 1; got {args.kmax}")
    result = sn.elbow(X, k=range(1, args.kmax + 1), seed=args.seed)
    for k, sse in zip(result.k, result.sse, strict=True):
        mark = "  <- knee" if k == result.knee else ""
        print(f"k={k:<3} SSE={sse:.6g}{mark}")
    _save(sn.plot_elbow(result).figure, args.output, "elbow.png", args.show)
    return 0


def cmd_tour(args: argparse.Namespace) -> int:
    from symnn.views.tour import run_tour

    run_tour(args.out, echo=print)
    return 0


# -- the parser -----------------------------------------------------------------------


def _add(sub, name: str, func: Callable, help_: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help_, description=help_)
    p.set_defaults(func=func)
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="symnn",
        description="The mathematics of neural networks, explorable: SymPy definitions, "
        "symbolic derivatives, stable NumPy code, LaTeX and plots.",
    )
    parser.add_argument("--version", action="version", version=f"symnn {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = _add(sub, "activations", cmd_activations, "the property table of every activation")
    p.add_argument("--format", choices=["text", "markdown", "latex"], default="text")

    p = _add(sub, "show", cmd_show, "one activation: formula, derivative, properties, LaTeX")
    p.add_argument(
        "name",
        help='an activation name (symnn activations lists them) or a formula, e.g. "x*tanh(x)"',
    )
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="set a parameter")
    p.add_argument("--latex", action="store_true", help="print only the LaTeX equations")
    p.add_argument("--plot", metavar="FILE", help="also draw the function and its derivative")
    p.add_argument("--show", action="store_true", help="open a window (where there is a display)")

    p = _add(sub, "diff", cmd_diff, "the simplified derivative of any expression")
    p.add_argument("expr", help='a formula, e.g. "x*tanh(log(1+exp(x)))" (^ or ** for powers)')
    p.add_argument("--wrt", help="the variable (default: the only one, or x)")
    p.add_argument("--order", type=int, default=1, help="derivative order (default 1)")
    p.add_argument("--latex", action="store_true", help="print LaTeX")

    p = _add(sub, "plot", cmd_plot, "plot explicit curves y = f(x)")
    p.add_argument("expr", nargs="+", help='one or more formulas, e.g. "sin(x)/x" "x^2"')
    p.add_argument("-o", "--output", metavar="FILE", help="output file (.png, .svg, .pdf)")
    p.add_argument("--xlim", default="-10,10", metavar="A,B", help="x range (default -10,10)")
    p.add_argument("--show", action="store_true", help="open a window (where there is a display)")

    p = _add(sub, "implicit", cmd_implicit, "plot an implicit curve such as x^2+y^2+xy=1")
    p.add_argument("expr", help='an equation, e.g. "x^2+y^2+xy=1", or an inequality')
    p.add_argument("-o", "--output", metavar="FILE", help="output file (.png, .svg, .pdf)")
    p.add_argument("--method", choices=["sympy", "contour"], default=None)
    p.add_argument("--classify", action="store_true", help="analyse the conic and annotate it")
    p.add_argument("--show", action="store_true", help="open a window (where there is a display)")

    p = _add(sub, "train", cmd_train, "train a network and print its loss and predictions")
    p.add_argument("--data", default="seed", help="seed, xor, moons, circles, blobs or PATH.csv")
    p.add_argument("--layers", help="widths, inputs first, e.g. 3,4,1")
    p.add_argument("--activation", default="sigmoid", help="hidden activation(s), e.g. relu")
    p.add_argument("--output-activation", default=None, help="output activation (e.g. softmax)")
    p.add_argument("--loss", default="sse")
    p.add_argument("--epochs", type=int, default=1500)
    p.add_argument("--lr", type=float, default=1.0)
    p.add_argument("--optimizer", default="sgd", help="sgd, momentum or adam")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--no-bias", action="store_true", help="layers without biases (as the seed)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", metavar="MODEL", help="save the trained network (.npz)")
    p.add_argument("--plot", metavar="FILE", help="draw the loss curve")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--show", action="store_true", help="open a window (where there is a display)")

    p = _add(sub, "formula", cmd_formula, "the forward formula and the backpropagation equations")
    p.add_argument("--layers", default="3,4,1", help="widths, inputs first (default 3,4,1)")
    p.add_argument("--activation", default="sigmoid")
    p.add_argument("--output-activation", default=None)
    p.add_argument("--loss", default="sse")
    p.add_argument("--no-bias", action="store_true")
    p.add_argument("--latex", action="store_true", help="print LaTeX")

    p = _add(sub, "elbow", cmd_elbow, "k-means SSE against k, with the knee")
    p.add_argument("path", help="a numeric CSV file (rows are points)")
    p.add_argument("--kmax", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--output", metavar="FILE", help="output file (.png, .svg, .pdf)")
    p.add_argument("--show", action="store_true", help="open a window (where there is a display)")

    p = _add(sub, "tour", cmd_tour, "reproduce every topic of the seed documents (the main job)")
    p.add_argument("--out", default="symnn-tour", help="output folder (default ./symnn-tour)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stdout)
        return 0
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # e.g. `symnn activations | head`: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except _USAGE_ERRORS as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"symnn: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        print("symnn: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(
            f"symnn: unexpected error: {type(exc).__name__}: {exc} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
