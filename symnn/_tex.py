r"""Small LaTeX helpers shared by every layer (no imports from symnn).

>>> print(aligned([r"a = b", r"c = d"]))
\begin{aligned}
a &= b \\
c &= d
\end{aligned}
>>> print(display([r"f(x) = x", r"f'(x) = 1"]))
$\displaystyle \begin{aligned}f(x) &= x \\ f'(x) &= 1\end{aligned}$
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["aligned", "display"]


def aligned(equations: Iterable[str]) -> str:
    r"""Join ``lhs = rhs`` equations into an ``aligned`` block (aligned at the first ``=``)."""
    lines = [eq.replace(" = ", " &= ", 1) for eq in equations]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def display(equations: Iterable[str]) -> str:
    r"""Equations as one displayed, aligned block for Jupyter's ``_repr_latex_``."""
    lines = [eq.replace(" = ", " &= ", 1) for eq in equations]
    return r"$\displaystyle \begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}$"
