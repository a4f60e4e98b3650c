r"""LaTeX assembly: aligned blocks, and conversion to matplotlib's mathtext.

SymPy prints piecewise functions with ``\begin{cases}``, which full LaTeX
(papers, Jupyter/MathJax) renders but matplotlib's mathtext does not. Plot
labels go through :func:`to_mathtext`, which writes the cases on one line.

>>> to_mathtext(r"\begin{cases} 0 & \text{for}\: x \leq 0 \\x & \text{otherwise} \end{cases}")
'\\left\\{ 0 \\;\\text{if}\\; x \\leq 0;\\;\\; x \\;\\text{otherwise} \\right.'
"""

from __future__ import annotations

import re

from symnn._tex import aligned, display

__all__ = ["aligned", "display", "to_mathtext"]

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
    """Rewrite LaTeX that mathtext cannot parse (cases, ``\\displaystyle``) into what it can."""
    tex = tex.replace(r"\displaystyle", "")
    previous = None
    while previous != tex:  # innermost cases first when nested
        previous = tex
        tex = _CASES.sub(_one_line_cases, tex)
    return tex.strip()
