r"""Standalone LaTeX documents, and PDFs when a LaTeX engine is installed.

Every document is an ``article`` with amsmath, amssymb and booktabs only (see
:func:`symnn._tex.document`: named functions become ``\DeclareMathOperator``\ s,
long equations are broken across lines, piecewise functions are ``cases``):

* derivations: ``symnn.derive(...).to_latex_document()`` (expressions and networks);
* the activation property table: :func:`table_document` (booktabs tables);
* a network's formula, backpropagation and derivation: :func:`network_document`;
* the tour: :func:`tour_document` (written next to ``index.html`` by the tour).

:func:`build_pdf` compiles one with pdflatex, lualatex, xelatex or tectonic, whichever
is installed, and says how to get one when none is.

>>> doc = table_document(["relu", "tanh"])
>>> doc.count(r"\toprule") >= 3, r"\usepackage{amsmath,amssymb,booktabs}" in doc
(True, True)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Sequence

from symnn._tex import _width, broken_display, document, escape_text

__all__ = [
    "ENGINES",
    "LatexUnavailable",
    "build_pdf",
    "latex_engine",
    "network_document",
    "overfull_boxes",
    "table_document",
    "tour_document",
]

#: The engines :func:`build_pdf` tries, in this order.
ENGINES = ("pdflatex", "lualatex", "xelatex", "tectonic")

_HOW_TO_GET_ONE = (
    "no LaTeX engine found (tried pdflatex, lualatex, xelatex, tectonic); install one, e.g. "
    "`sudo apt-get install texlive-latex-base texlive-latex-recommended` (Debian/Ubuntu), "
    "`brew install --cask basictex` (macOS), MiKTeX (Windows), or `cargo install tectonic`; "
    "or write the .tex file with --tex and compile it elsewhere (e.g. Overleaf)"
)


class LatexUnavailable(RuntimeError):
    """No LaTeX engine is installed, or the engine failed: the message says what to do."""


def latex_engine() -> str | None:
    """The path of the first installed engine of :data:`ENGINES`, or None."""
    for name in ENGINES:
        path = shutil.which(name)
        if path:
            return path
    return None


def build_pdf(tex: str, path: str | os.PathLike, engine: str | None = None) -> str:
    """Compile the document *tex* into the PDF *path* (in a temporary folder); return *path*.

    Raises :class:`LatexUnavailable` when no engine is installed or the document does not
    compile (with the first error of the log).
    """
    engine = engine or latex_engine()
    if engine is None:
        raise LatexUnavailable(_HOW_TO_GET_ONE)
    with tempfile.TemporaryDirectory(prefix="symnn-tex-") as tmp:
        with open(os.path.join(tmp, "doc.tex"), "w", encoding="utf-8") as fh:
            fh.write(tex)
        name = os.path.basename(engine)
        cmd = [engine, "doc.tex"] if name == "tectonic" else [
            engine, "-interaction=nonstopmode", "-halt-on-error", "doc.tex"]  # fmt: skip
        try:
            run = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True, timeout=300,
                                 stdin=subprocess.DEVNULL, errors="replace")  # fmt: skip
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LatexUnavailable(f"{name} could not run: {exc}") from exc
        pdf = os.path.join(tmp, "doc.pdf")
        if run.returncode != 0 or not os.path.exists(pdf):
            log = _read(os.path.join(tmp, "doc.log")) or run.stdout
            first = next((line for line in log.splitlines() if line.startswith("!")), "")
            raise LatexUnavailable(
                f"{name} failed on the document ({first or 'see its log'}); please report this bug"
            )
        shutil.copyfile(pdf, path)
    return os.fspath(path)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def overfull_boxes(log: str) -> list[float]:
    r"""How far (pt) each overfull ``\hbox`` of a LaTeX log sticks out.

    >>> overfull_boxes("Overfull \\hbox (12.5pt too wide) in paragraph")
    [12.5]
    """
    return [float(m) for m in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", log)]


def table_document(names: Iterable[str] | None = None) -> str:
    """The activation property table (all of the catalogue by default) as a document."""
    from symnn.views.tables import activation_table

    return activation_table(names).to_latex_document()


def network_document(net, parts: Sequence[str] = ("formula", "backprop", "derive")) -> str:
    """The network's forward formula, backpropagation equations and derivation as a document.

    >>> import symnn as sn
    >>> doc = network_document(sn.Network([2, 2, 1]), parts=("formula", "backprop"))
    >>> doc.count(r"\\[") + doc.count(r"\\begin{align*}") >= 8
    True
    """
    from symnn.nn.derivation import derive_network

    body = [escape_text(repr(net)) + "."]
    for part in parts:
        if part == "formula":
            body.append(r"\subsection*{The forward pass}")
            body += [_equation(eq.lhs, eq.rhs) for eq in net.formula()]
        elif part == "backprop":
            body.append(r"\subsection*{Backpropagation}")
            body += [_equation(eq.lhs, eq.rhs) for eq in net.backprop()]
        elif part == "derive":
            body.append(r"\subsection*{How backpropagation comes out}")
            doc = derive_network(net).to_latex_document()
            body.append(_body_of(doc))
        else:
            raise ValueError(
                f"unknown part {part!r}; choose from 'formula', 'backprop', 'derive'"
            )
    return document("\n\n".join(body), "A neural network, in formulas")


def _equation(lhs: str, rhs: str) -> str:
    return broken_display(lhs, rhs)


def _body_of(doc: str) -> str:
    """The body of a document made by :func:`symnn._tex.document` (for nesting)."""
    body = doc.split(r"\begin{document}", 1)[1].rsplit(r"\end{document}", 1)[0]
    return re.sub(r"^\s*\\section\*\{[^}]*\}\s*", "", body)


# -- the tour ---------------------------------------------------------------------------

_INLINE = re.compile(r"(\$[^$]+\$|`[^`]+`)")
_UNICODE = {"²": "$^2$", "³": "$^3$", "′": "$'$", "−": "$-$", "⊙": r"$\odot$", "≈": r"$\approx$",
            "σ": r"$\sigma$", "α": r"$\alpha$", "—": "---", "–": "--", "“": "``", "”": "''",
            "’": "'", "⁻¹": "$^{-1}$", "→": r"$\to$", "×": r"$\times$", "≤": r"$\le$",
            "≥": r"$\ge$", "∞": r"$\infty$", "ŷ": r"$\hat{y}$", "δ": r"$\delta$", "·": r"$\cdot$",
            "θ": r"$\theta$", "ℓ": r"$\ell$", "∂": r"$\partial$", "Σ": r"$\Sigma$", "ᵀ": "$^T$",
            "…": "...", "≠": r"$\ne$", "±": r"$\pm$", "√": r"$\surd$"}  # fmt: skip


def _plain(text: str) -> str:
    out = escape_text(text)
    for a, b in _UNICODE.items():
        out = out.replace(a, b)
    return "".join(c if ord(c) < 128 else "?" for c in out)


def _inline(text: str) -> str:
    """The tour's inline markup (```code```, ``$tex$``) as LaTeX text; a formula too long
    for a line of text is displayed (and broken) instead."""
    parts = []
    for piece in _INLINE.split(text):
        if piece.startswith("$") and piece.endswith("$") and len(piece) > 1:
            tex = piece[1:-1]
            if _width(tex) > 45:
                lhs, _, rhs = tex.partition(" = ")
                parts.append("\n" + (broken_display(lhs, rhs) if rhs else broken_display("", tex)) + "\n")
            else:
                parts.append(piece)
        elif piece.startswith("`") and piece.endswith("`") and len(piece) > 1:
            parts.append(r"\texttt{" + _plain(piece[1:-1]).replace("-", "-{}") + "}")
        else:
            parts.append(_plain(piece))
    return "".join(parts)


_ASCII = {"σ": "sigma", "·": "*", "²": "^2", "ŷ": "yhat", "ᵀ": "^T", "δ": "delta", "⊙": "(.)",
          "∂": "d", "Σ": "sum", "′": "'", "−": "-", "ℓ": "l", "θ": "theta", "ᵘ": "^u", "ⁿ": "^n",
          "⁻": "^-", "¹": "1", "√": "sqrt", "π": "pi", "∫": "int", "₀": "_0", "α": "alpha"}  # fmt: skip


def _verbatim(src: str, width: int = 88) -> str:
    """A code block, ASCII only (verbatim has no Unicode in pdflatex), long lines wrapped."""
    lines = []
    for line in src.splitlines():
        line = "".join(_ASCII.get(c, c if ord(c) < 128 else "?") for c in line)
        while len(line) > width:
            lines.append(line[:width])
            line = "    " + line[width:]
        lines.append("".join(c if ord(c) < 128 else "?" for c in line))
    return "{\\footnotesize\n\\begin{verbatim}\n" + "\n".join(lines) + "\n\\end{verbatim}\n}"


def _table(rows: list[list[str]]) -> str:
    """A booktabs table when it fits the page; else one paragraph per row (long tables of
    formulas read better as displayed equations than squeezed into columns)."""
    cols = len(rows[0])
    wide = cols > 4 or any(_width(c) > 28 for r in rows for c in r)
    if not wide:
        cells = [[("{}" if c.startswith("[") else "") + _inline(c) for c in r] for r in rows]
        lines = [r"\begin{tabular}{" + "l" * cols + "}", r"\toprule",
                 " & ".join(cells[0]) + r" \\", r"\midrule"]  # fmt: skip
        lines += [" & ".join(r) + r" \\" for r in cells[1:]]
        lines += [r"\bottomrule", r"\end{tabular}"]
        return "\n".join(lines)
    head = rows[0]
    out = []
    for row in rows[1:]:
        text, shown = [], []
        for h, c in zip(head[1:], row[1:], strict=True):
            if h.startswith("$") and c.startswith("$") and _width(c) > 28:
                shown.append(broken_display(h.strip("$"), c.strip("$")))
            else:
                text.append(f"{_inline(h)}: {_inline(c)}")
        out.append(rf"\paragraph{{{_inline(row[0])}}} " + "; ".join(text) + "\n" + "\n".join(shown))
    return "\n\n".join(out)


def tour_document(sections) -> str:
    """The tour's sections (text, formulas, tables, code; pictures named) as a document."""
    body = []
    for section in sections:
        body.append(rf"\subsection*{{{_plain(section.title)}}}")
        for kind, *fields in section.blocks:
            if kind == "text":
                body.append(_inline(fields[0]))
            elif kind == "math":
                tex = fields[0]
                if tex.lstrip().startswith(r"\begin{aligned}"):
                    body.append(_aligned_display(tex))
                elif tex.lstrip().startswith(r"\begin"):
                    body.append(f"\\[\n{tex}\n\\]")
                else:
                    lhs, _, rhs = tex.partition(" = ")
                    body.append(broken_display(lhs, rhs) if rhs else f"\\[\n{tex}\n\\]")
            elif kind == "code":
                body.append(_verbatim(fields[0]))
            elif kind == "table":
                body.append(_table(fields[0]))
            elif kind == "image":
                body.append(_picture(fields[0], fields[1]))
    return document("\\sloppy\n\n" + "\n\n".join(body), "symnn: a tour", ("graphicx",))


def _picture(name: str, caption: str) -> str:
    """A picture of the tour, included when its file is next to the document (else named)."""
    named = rf"\emph{{Picture: {_plain(caption)} (file \texttt{{{_plain(name)}}}).}}"
    if not re.fullmatch(r"[\w.-]+\.(png|pdf|jpg)", name):
        return named
    shown = (rf"\begin{{center}}\includegraphics[width=0.85\linewidth,height=0.4\textheight,"
             rf"keepaspectratio]{{{name}}}\\ \small {_plain(caption)}\end{{center}}")
    return rf"\IfFileExists{{{name}}}{{{shown}}}{{{named}}}"


def _aligned_display(tex: str) -> str:
    """An ``aligned`` block as broken displays, one per row (rows can be long)."""
    inner = tex.strip()[len(r"\begin{aligned}") : -len(r"\end{aligned}")]
    out = []
    for row in re.split(r"\\\\\s*\n", inner):
        row = row.strip()
        if not row:
            continue
        lhs, _, rhs = row.partition("&=")
        if "&" in rhs:  # rule annotations of a derivation: keep the equation only
            rhs = rhs.split("&&")[0]
        out.append(broken_display(lhs.strip(), rhs.strip()) if rhs else f"\\[\n{row}\n\\]")
    return "\n".join(out)
