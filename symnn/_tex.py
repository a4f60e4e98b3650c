r"""LaTeX helpers shared by every layer (no imports from symnn).

Display blocks for Jupyter and documents (:func:`aligned`, :func:`display`), and
:func:`latex`, SymPy's LaTeX in a form that both MathJax and matplotlib's mathtext
render (piecewise cases on one line, :math:`\theta(u)` for the step function).

>>> print(aligned([r"a = b", r"c = d"]))
\begin{aligned}
a &= b \\
c &= d
\end{aligned}
>>> print(display([r"f(x) = x", r"f'(x) = 1"]))
$\displaystyle \begin{aligned}f(x) &= x \\ f'(x) &= 1\end{aligned}$
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import sympy as sp
from sympy.printing.latex import LatexPrinter

__all__ = [
    "MathPrinter",
    "aligned",
    "all_negative",
    "as_base",
    "display",
    "latex",
    "latex_part",
    "to_mathtext",
]


def aligned(equations: Iterable[str]) -> str:
    r"""Join ``lhs = rhs`` equations into an ``aligned`` block (aligned at the first ``=``)."""
    lines = [eq.replace(" = ", " &= ", 1) for eq in equations]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def display(equations: Iterable[str]) -> str:
    r"""Equations as one displayed, aligned block for Jupyter's ``_repr_latex_``."""
    lines = [eq.replace(" = ", " &= ", 1) for eq in equations]
    return r"$\displaystyle \begin{aligned}" + r" \\ ".join(lines) + r"\end{aligned}$"


def as_base(tex: str) -> str:
    r"""*tex* made safe to take a prime or an exponent: braced when it ends in a superscript.

    ``\operatorname{ReLU}^2`` followed by ``'`` is a "double superscript" error in LaTeX;
    ``{\operatorname{ReLU}^2}'`` is not. Names without a top-level ``^`` are returned as they are.

    >>> as_base(r"\operatorname{ReLU}^2")
    '{\\operatorname{ReLU}^2}'
    >>> as_base(r"\operatorname{GELU}_{\tanh}")
    '\\operatorname{GELU}_{\\tanh}'
    """
    depth = 0
    for ch in tex:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if ch == "^" and depth == 0:
            return "{" + tex + "}"
    return tex


class MathPrinter(LatexPrinter):
    r"""SymPy's LaTeX with inline piecewise cases and :math:`\theta(u)` for the step function."""

    def _print_Piecewise(self, expr):
        parts = []
        for value, cond in expr.args:
            if cond == sp.true:
                parts.append(rf"{self._print(value)} \;\text{{otherwise}}")
            else:
                parts.append(rf"{self._print(value)} \;\text{{if}}\; {self._print(cond)}")
        return r"\left\{ " + r",\; ".join(parts) + r" \right."

    def _print_Heaviside(self, expr, exp=None):
        tex = rf"\theta\left({self._print(expr.args[0])}\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_Relational(self, expr):
        # "delta > |u|" reads better as "|u| < delta"
        lhs, rhs, op = expr.lhs, expr.rhs, expr.rel_op
        flip = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
        if op in flip and lhs.is_Symbol and not rhs.is_Symbol and not rhs.is_number:
            return super()._print_Relational(sp.Rel(rhs, lhs, flip[op], evaluate=False))
        return super()._print_Relational(expr)


def all_negative(expr: sp.Expr) -> bool:
    """Does every term of *expr* carry a minus sign (so that ``-`` can go in front of a sum)?"""
    terms = expr.args if expr.is_Add else (expr,)
    return all(t.could_extract_minus_sign() for t in terms)


def latex(expr: sp.Basic) -> str:
    """LaTeX of *expr* that both MathJax and matplotlib's mathtext render."""
    return MathPrinter().doprint(expr)


def latex_part(order: int | str, element: bool, whole: str) -> str:
    """Which equation ``latex(order, element=...)`` asks for: *whole*, ``"element"``,
    ``"gradient"`` or ``"element_gradient"``.

    Every symbolic object in symnn prints with the same signature
    ``latex(order=0, *, element=False)``: order 0 is the function, order 1 its
    derivative; ``element=True`` is one element's term instead of the sum over the
    data (losses) or the weights (penalties). The older spellings ``"loss"``,
    ``"penalty"``, ``"element"`` and ``"gradient"`` are accepted for *order*.

    >>> latex_part(0, False, "loss"), latex_part(1, True, "loss"), latex_part("gradient", False, "loss")
    ('loss', 'element_gradient', 'gradient')
    """
    names = {whole: (0, False), "element": (0, True), "gradient": (1, False)}
    if isinstance(order, str):
        if order not in names:
            choices = ", ".join(repr(n) for n in names)
            raise ValueError(f"latex() takes order 0 or 1 (or one of {choices}), not {order!r}")
        order, element = names[order][0], names[order][1] or element
    if isinstance(order, bool) or order not in (0, 1):
        raise ValueError(f"latex(order) takes 0 (the function) or 1 (its derivative), not {order!r}")
    if order == 0:
        return "element" if element else whole
    return "element_gradient" if element else "gradient"


# SymPy prints piecewise functions with \begin{cases}, which full LaTeX (papers,
# Jupyter/MathJax) renders but matplotlib's mathtext does not: plot labels go through
# to_mathtext, which writes the cases on one line.
_CASES = re.compile(r"\\begin\{cases\}(.*?)\\end\{cases\}", re.DOTALL)


def _one_line_cases(match: re.Match) -> str:
    rows = [r.strip() for r in match.group(1).split(r"\\") if r.strip()]
    parts = []
    for row in rows:
        value, _, cond = row.partition("&")
        cond = cond.strip()
        cond = re.sub(r"^\\text\{for\}\\:\s*", "", cond)
        if cond == r"\text{otherwise}":
            parts.append(rf"{value.strip()} \;\text{{otherwise}}")
        else:
            parts.append(rf"{value.strip()} \;\text{{if}}\; {cond}")
    return r"\left\{ " + r";\;\; ".join(parts) + r" \right."


def to_mathtext(tex: str) -> str:
    r"""Rewrite LaTeX that mathtext cannot parse (cases, ``\displaystyle``) into what it can.

    >>> to_mathtext(r"\begin{cases} 0 & \text{for}\: x \leq 0 \\x & \text{otherwise} \end{cases}")
    '\\left\\{ 0 \\;\\text{if}\\; x \\leq 0;\\;\\; x \\;\\text{otherwise} \\right.'
    """
    tex = tex.replace(r"\displaystyle", "")
    previous = None
    while previous != tex:  # innermost cases first when nested
        previous = tex
        tex = _CASES.sub(_one_line_cases, tex)
    return tex.strip()
