"""The ``symnn`` command: plain argparse calling the library."""

from __future__ import annotations

import argparse
import sys

from symnn import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="symnn", description=__doc__)
    parser.add_argument("--version", action="version", version=f"symnn {__version__}")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    parser.print_help(sys.stdout)
    return 0
