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
    from symnn.properties import activation_table

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
        from symnn.plotting import plot_activation, save_figure

        fig = plot_activation(act).figure
        path = save_figure(fig, args.plot)
        print(f"wrote {path}")
    return 0


def _plain(doc: str) -> str:
    """A docstring without reST math markup, for the terminal."""
    import re
    import textwrap

    text = re.sub(r":math:`([^`]*)`", r"\1", doc)
    return textwrap.dedent(text).strip()


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
    p.add_argument("name", help="an activation name (symnn activations lists them)")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="set a parameter")
    p.add_argument("--latex", action="store_true", help="print only the LaTeX equations")
    p.add_argument("--plot", metavar="FILE", help="also draw the function and its derivative")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stdout)
        return 0
    try:
        return int(args.func(args) or 0)
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
