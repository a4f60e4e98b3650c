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
    "broken_display",
    "display",
    "document",
    "escape_text",
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


# -- standalone documents ------------------------------------------------------------------

#: LaTeX commands that exist already: ``\operatorname{X}`` with these names stays as it is.
_TAKEN = frozenset(
    ["Re", "Im", "sin", "cos", "tan", "cot", "sec", "csc", "log", "ln", "lg", "exp", "max", "min", "det", "deg", "dim", "arg", "sup", "inf", "lim", "ker", "hom", "Pr", "gcd", "sinh", "cosh", "tanh", "coth", "arcsin", "arccos", "arctan", "liminf", "limsup", "th", "AA", "ae", "aa", "ss", "oe", "OE", "ij", "IJ", "dag", "ddag", "S", "P", "L", "O", "H", "i", "j", "o", "l", "c", "d", "b", "t", "u", "v", "k", "r"]
)
_OPERATOR = re.compile(r"\\operatorname\{([A-Za-z]+)\}")
#: The sigmoid, wherever it is applied (not \sigma as a plain letter in a sentence).
_SIGMA = re.compile(r"\\sigma(?=\s*(?:\\left|\\bigl|\(|'|\^|\\!))")


def escape_text(text: str) -> str:
    r"""Plain text for LaTeX's text mode, its special characters escaped.

    >>> escape_text("50% of x_1 & y")
    '50\\% of x\\_1 \\& y'
    """
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("#", r"\#"),
                 ("_", r"\_"), ("{", r"\{"), ("}", r"\}"), ("$", r"\$"), ("~", r"\~{}"),
                 ("^", r"\^{}")):  # fmt: skip
        text = text.replace(a, b)
    return text


def document(body: str, title: str | None = None, packages: tuple[str, ...] = ()) -> str:
    r"""A standalone ``article`` around *body*: amsmath, amssymb and booktabs only, and a
    ``\DeclareMathOperator`` for every named function the body uses (the sigmoid
    :math:`\sigma`, softplus, ReLU, ...), which the body then calls by name; *packages*
    adds others that every LaTeX installation has (``graphicx`` for the tour's pictures).

    >>> doc = document(r"\[ \operatorname{ReLU}(x) = \max(x, 0), \quad \sigma'(x) \]")
    >>> print(doc.splitlines()[4])
    \DeclareMathOperator{\ReLU}{ReLU}
    >>> r"\ReLU(x)" in doc and r"\sigmoid'(x)" in doc
    True
    """
    names = sorted({n for n in _OPERATOR.findall(body) if n not in _TAKEN})
    for n in names:
        body = body.replace(rf"\operatorname{{{n}}}", f"\\{n} ")
    body = re.sub(r"\\([A-Za-z]+) (?=[^A-Za-z])", r"\\\1", body)  # "\ReLU (x)" -> "\ReLU(x)"
    sigma = bool(_SIGMA.search(body))
    body = _SIGMA.sub(r"\\sigmoid", body)
    ops = [f"\\DeclareMathOperator{{\\{n}}}{{{n}}}" for n in names]
    if sigma:
        ops.insert(0, r"\DeclareMathOperator{\sigmoid}{\sigma}")
    head = [
        r"\documentclass[11pt]{article}",
        r"\usepackage{amsmath,amssymb,booktabs}",
        r"\usepackage[a4paper,margin=2.2cm]{geometry}",
        *(rf"\usepackage{{{p}}}" for p in packages),
        *([r"\usepackage{graphicx}"] if "\\resizebox" in body and "graphicx" not in packages else []),
        *ops,
        r"\allowdisplaybreaks",
        r"\setlength{\parindent}{0pt}",
        r"\setlength{\parskip}{0.6ex}",
        r"\begin{document}",
    ]
    if title:
        head.append(rf"\section*{{{escape_text(title)}}}")
    return "\n".join(head) + "\n" + body.strip() + "\n\\end{document}\n"


def _width(tex: str) -> int:
    """A rough count of the glyphs *tex* sets (commands count as one)."""
    s = re.sub(r"\\(left|right|bigl|bigr|Bigl|Bigr)(?![A-Za-z])", "", tex)
    s = re.sub(r"\\(frac|dfrac)\{([^{}]*)\}\{([^{}]*)\}",
               lambda m: m.group(2) if len(m.group(2)) > len(m.group(3)) else m.group(3), s)  # fmt: skip
    s = re.sub(r"\\operatorname\{([A-Za-z]+)\}", r"\1", s)
    s = re.sub(r"\\[A-Za-z]+", "x", s)
    return len(re.sub(r"[{}\s^_]", "", s))


def _top_terms(tex: str) -> list[str]:
    r"""*tex* cut before every ``+`` or ``-`` outside braces and ``\left ... \right`` pairs."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(tex):
        c = tex[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        elif tex.startswith(r"\left", i) and not tex[i + 5 : i + 6].isalpha():
            depth += 1
        elif tex.startswith(r"\right", i) and not tex[i + 6 : i + 7].isalpha():
            depth -= 1
        elif tex.startswith(r"\begin", i):
            depth += 1
        elif tex.startswith(r"\end", i):
            depth -= 1
        elif c in "+-" and depth == 0 and i > 0 and tex[:i].strip() and tex[:i].rstrip()[-1] not in "=(&,":
            parts.append(tex[start:i].strip())
            start = i
        i += 1
    parts.append(tex[start:].strip())
    return [p for p in parts if p]


def _pack(tex: str, room: int) -> list[str]:
    """*tex* as lines of at most *room* glyphs, cut before top-level signs where possible."""
    terms = _top_terms(tex)
    if len(terms) == 1 or max(_width(t) for t in terms) > room:
        loose = re.sub(r"\\left([(\[])", r"\\bigl\1", tex)
        loose = re.sub(r"\\right([)\]])", r"\\bigr\1", loose)
        if loose.count(r"\left") == loose.count(r"\right"):
            terms = _top_terms(loose)
    lines: list[str] = []
    current = ""
    for t in terms:
        if current and _width(current) + _width(t) > room - (4 if lines else 0):
            lines.append(current)
            current = t
        else:
            current = f"{current} {t}".strip()
    lines.append(current)
    return lines


def broken_display(lhs: str, rhs: str, width: int = 62) -> str:
    r"""``lhs = rhs`` as a display that fits the page: one line when it is short, else
    broken before a ``+`` or ``-`` into an ``align*`` whose continuation lines are
    indented (outer ``\left( ... \right)`` become ``\bigl( ... \bigr)`` to allow it); one
    unbreakable term far wider than the page is scaled to the line (graphicx's ``\resizebox``;
    :func:`document` loads graphicx then).

    >>> print(broken_display("f", "x + y"))
    \[
    f = x + y
    \]
    >>> print(broken_display("f", " + ".join(f"x_{{{i}}}" for i in range(16)), width=30))
    \begin{align*}
    f &= x_{0} + x_{1} + x_{2} + x_{3} + x_{4} + x_{5} + x_{6} + x_{7} + x_{8} + x_{9} \\
    &\quad + x_{10} + x_{11} + x_{12} + x_{13} + x_{14} + x_{15}
    \end{align*}
    """
    eq = " = " if lhs else ""
    if _width(lhs) + _width(rhs) <= width:
        return f"\\[\n{lhs}{eq}{rhs}\n\\]"
    apart = bool(lhs) and _width(lhs) > width * 0.4
    lines = _pack(rhs, width - 4 if apart else width - _width(lhs))
    if apart:  # the left-hand side on lines of its own, the right-hand side below
        left = _pack(lhs, width)
        rows = [f"& {left[0]}"] + [rf"&\quad {line}" for line in left[1:]] + [f"&= {lines[0]}"]
    else:
        left = []
        rows = [f"{lhs} &= {lines[0]}" if lhs else f"& {lines[0]}"]
    rows += [rf"&\quad {line}" for line in lines[1:]]
    block = "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"
    widest = max(_width(line) for line in [*lines, *left])
    if widest > width:  # one term wider than the page: set it smaller (it cannot be broken)
        if widest >= 1.8 * width and not apart and len(lines) == 1:  # PAU': one long fraction
            return (
                "\\[\n\\resizebox{\\linewidth}{!}{$\\displaystyle "
                f"{lhs}{eq}{rhs}$}}\n\\]"
            )
        sizes = ((1.15, r"\small"), (1.4, r"\footnotesize"))
        size = next((s for k, s in sizes if widest < k * width), r"\scriptsize")
        block = f"{{{size}\n{block}\n}}"
    return block
