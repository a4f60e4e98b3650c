r"""The activation property table: one row of :class:`~symnn.analysis.properties.Properties` per activation.

Text for the terminal, Markdown and LaTeX (booktabs) for documents; the numbers
come from :func:`symnn.analysis.properties.analyze`, the names from the
catalogue. A property the analysis could not settle within its budget shows as
``?``. :meth:`ActivationTable.legend` defines every column.

>>> print(activation_table(["relu", "tanh"]))  # doctest: +NORMALIZE_WHITESPACE
name  range    continuity  monotonic       f' monotonic    ≈ identity  f(0)  f'(0)  lim x→−∞  lim x→+∞  zero-centred
----  -------  ----------  --------------  --------------  ----------  ----  -----  --------  --------  ------------
relu  [0, ∞)   C⁰          non-decreasing  non-decreasing  no          0     0      0         ∞         no
tanh  (-1, 1)  C∞          increasing      no              yes         0     1      -1        1         yes
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from symnn._tex import _top_terms, _width
from symnn.analysis.budget import UNKNOWN
from symnn.analysis.properties import (
    Properties,
    format_continuity,
    format_flag,
    format_number,
    format_set,
)
from symnn.catalogue.activations import Activation, activation, activations
from symnn.catalogue.vector import NOT_APPLICABLE, REGISTRY, VectorActivation, vector_activation

__all__ = ["COLUMNS", "ActivationTable", "activation_table"]


# ----------------------------------------------------------------------------
# The columns
# ----------------------------------------------------------------------------

#: Column key -> (text header, LaTeX/Markdown header).
_COLUMNS = {
    "name": ("name", "name"),
    "equation": ("equation", "equation"),
    "derivative": ("derivative", "derivative"),
    "range": ("range", "range"),
    "continuity": ("continuity", "continuity"),
    "monotonic": ("monotonic", "monotonic"),
    "derivative_monotonic": ("f' monotonic", "monotonic derivative"),
    "approximates_identity": ("≈ identity", "approximates identity"),
    "value_at_zero": ("f(0)", "$f(0)$"),
    "derivative_at_zero": ("f'(0)", "$f'(0)$"),
    "limit_neg_inf": ("lim x→−∞", r"$\lim_{x\to-\infty}$"),
    "limit_pos_inf": ("lim x→+∞", r"$\lim_{x\to+\infty}$"),
    "zero_centred": ("zero-centred", "zero-centred"),
}
_FORMULAS = ("equation", "derivative")

#: The column keys, in table order.
COLUMNS: tuple[str, ...] = tuple(_COLUMNS)

#: Column key -> what it means (the legend).
_LEGEND = {
    "name": "the catalogue name, with the parameter values analysed (or how many defaults)",
    "equation": "the definition f(x)",
    "derivative": "its derivative f'(x), with the catalogue's convention at kinks (ReLU'(0) = 0)",
    "range": "the image f(ℝ); ( ) an open end, [ ] a closed one (the value is attained)",
    "continuity": "C^k: f and its first k derivatives are continuous (C⁰: kinks, C⁻¹: jumps, "
    "C∞: smooth everywhere)",
    "monotonic": "f on all of ℝ: increasing / decreasing (strictly), non-decreasing / "
    "non-increasing, constant, or no",
    "derivative_monotonic": "the same for f'",
    "approximates_identity": "approximates the identity near the origin: "
    "f(0) = 0 and f'(0) = 1, so f(x) ≈ x for small x",
    "value_at_zero": "f(0) (a removable singularity: its limit)",
    "derivative_at_zero": "f'(0), with the catalogue's convention at kinks",
    "limit_neg_inf": "the limit as x → −∞ (— : no limit, e.g. sin x)",
    "limit_pos_inf": "the limit as x → +∞",
    "zero_centred": "inf f < 0 < sup f: f takes both signs, so its outputs can average "
    "to zero (tanh yes; sigmoid and ReLU no)",
}
_VECTOR_LEGEND = (
    "n/a : not applicable: a vector activation (softmax, GLU, maxout, ...) maps a layer's "
    "K inputs to its outputs together, so a scalar notion (monotonic, f'(0), limits) has no "
    "single value; its range is each output's, f(0) each output at z = 0, its derivative "
    "the Jacobian"
)
_UNKNOWN_LEGEND = (
    "? : unknown (the analysis ran out of its time budget or hit a size bound; "
    "the activation's .properties.notes say which)"
)

#: Rows per tabular in ``to_latex(split=True)``: a tabular never breaks across pages, and an
#: A4 text block holds about this many rows of wrapped formulas / of one-line cells.
_PAGE_ROWS = 30  # rows of a property table on an A4 page
#: Rough width of an A4 page's text block (16 cm at 10 pt) in characters of a cell's text form.
A4_TEXT_WIDTH = 90


# ----------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------


class ActivationTable:
    r"""One row of properties per activation; prints as text, Markdown or LaTeX.

    ``rows`` is a list of dicts with the keys ``name``, ``equation`` and
    ``derivative`` (LaTeX), ``range`` (a SymPy set), ``continuity`` (int or
    ``oo``), ``monotonic``, ``derivative_monotonic`` (monotonicity strings),
    ``approximates_identity``, ``zero_centred`` (bools), ``value_at_zero``,
    ``derivative_at_zero``, ``limit_neg_inf``, ``limit_pos_inf`` (SymPy
    values); any of them may be :data:`~symnn.analysis.budget.UNKNOWN`.
    ``properties`` holds the full :class:`Properties`. The formulas are made
    when first used (a derivative's LaTeX costs SymPy simplification). ``str(table)`` leaves
    out the formulas (too wide for a terminal); :meth:`to_markdown` and
    :meth:`to_latex` include them. Every format can select columns
    (``columns=[...]``, keys from :data:`COLUMNS`; the name always comes first).
    """

    def __init__(self, activations: Sequence[Activation | VectorActivation]) -> None:
        self.activations = list(activations)
        #: a :class:`Properties` per scalar activation, a dict of cells per vector one
        self.properties: list[Any] = [a.properties for a in self.activations]
        self.rows: list[dict[str, Any]] = [
            _vector_row(a) if isinstance(a, VectorActivation) else _row(a, p)
            for a, p in zip(self.activations, self.properties, strict=True)
        ]

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows)

    def __getitem__(self, name: str) -> dict[str, Any]:
        """The row of an activation, by its name (``table["relu"]``) or its displayed name."""
        for act, row in zip(self.activations, self.rows, strict=True):
            if name in (act.name, row["name"]):
                return row
        names = [a.name for a in self.activations]
        raise KeyError(f"no activation {name!r} in this table; it has {names}")

    # -- cells -----------------------------------------------------------------

    def _keys(self, formulas: bool, columns: Iterable[str] | None) -> list[str]:
        if columns is None:
            return [k for k in _COLUMNS if formulas or k not in _FORMULAS]
        if isinstance(columns, str):
            columns = [columns]
        keys = list(columns)
        unknown = [k for k in keys if k not in _COLUMNS]
        if unknown:
            raise ValueError(f"unknown table column(s) {unknown}; choose from {list(_COLUMNS)}")
        return ["name", *[k for k in dict.fromkeys(keys) if k != "name"]]

    def _cells(
        self, style: str, formulas: bool = True, columns: Iterable[str] | None = None
    ) -> tuple[list[str], list[list[str]]]:
        keys = self._keys(formulas, columns)
        header = [_COLUMNS[k][0 if style == "text" else 1] for k in keys]
        body = [[_cell(row, k, style) for k in keys] for row in self.rows]
        return header, body

    # -- formats ---------------------------------------------------------------

    def to_text(
        self,
        formulas: bool = False,
        *,
        columns: Iterable[str] | None = None,
        width: int | None = None,
        legend: bool = False,
    ) -> str:
        """A fixed-width text table (Unicode) for the terminal.

        ``formulas=True`` adds the SymPy formulas; ``width`` (e.g. the terminal's,
        ``shutil.get_terminal_size().columns``) splits a wider table into blocks
        of columns, each repeating the name column; ``legend=True`` appends the
        legend.
        """
        keys = self._keys(formulas, columns)
        header, body = self._cells("text", formulas, keys)
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        groups = _fit(widths, width, gap=2) if width else [list(range(1, len(header)))]
        blocks = []
        for group in groups:
            idx = [0, *group]
            rows = [[r[i] for i in idx] for r in [header, *body]]
            w = [widths[i] for i in idx]
            lines = ["  ".join(c.ljust(n) for c, n in zip(rows[0], w, strict=True)).rstrip()]
            lines.append("  ".join("-" * n for n in w))
            lines += [
                "  ".join(c.ljust(n) for c, n in zip(r, w, strict=True)).rstrip() for r in rows[1:]
            ]
            blocks.append("\n".join(lines))
        text = "\n\n".join(blocks)
        if legend:
            text += "\n\n" + self.legend("text", keys)
        return text

    def to_markdown(
        self, formulas: bool = True, *, columns: Iterable[str] | None = None, legend: bool = False
    ) -> str:
        r"""A Markdown table, formulas and ranges as ``$...$`` LaTeX.

        No cell contains a ``|``: absolute values are ``\left\vert ... \right\vert``
        in the math, and any other bar is ``\vert`` (in math) or ``&#124;``, so
        that every renderer -- also those that split rows on every ``|``, even
        inside math -- sees as many cells as headers. ``legend=True`` appends the
        legend as a list below the table.
        """
        keys = self._keys(formulas, columns)
        header, body = self._cells("markdown", formulas, keys)
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in body]
        text = "\n".join(lines)
        if legend:
            text += "\n\n" + self.legend("markdown", keys)
        return text

    def to_latex(
        self,
        formulas: bool = True,
        *,
        columns: Iterable[str] | None = None,
        split: bool = False,
        legend: bool = False,
    ) -> str:
        r"""A LaTeX ``tabular`` with booktabs rules (``\usepackage{booktabs}``).

        ``columns=[...]`` selects columns (keys from :data:`COLUMNS`; the name
        always comes first). ``split=True`` returns several tabulars, separated
        by ``\medskip``, that each fit the text block of an A4 page (about 16 cm,
        :data:`A4_TEXT_WIDTH` characters): the equation and the derivative each
        get a table of their own with a wrapping ``p{0.72\linewidth}`` column
        (inline math breaks after ``+``, ``-``, ``=``; a formula with a longer
        unbreakable piece is scaled to the column, so ``\usepackage{graphicx}``), and the other columns are
        packed greedily into tables whose estimated width fits. Without
        ``split``, one table holds everything (wrap it in ``\resizebox`` or a
        ``landscape`` page). ``legend=True`` appends the legend as an
        ``itemize`` list.

        Examples
        --------
        >>> t = activation_table(["relu"])
        >>> print(t.to_latex(columns=["range", "continuity"]))
        \begin{tabular}{lll}
        \toprule
        name & range & continuity \\
        \midrule
        \texttt{relu} & $\left[0, \infty\right)$ & $C^{0}$ \\
        \bottomrule
        \end{tabular}
        >>> for tab in t.to_latex(split=True).split(r"\medskip"):
        ...     print(tab.strip().splitlines()[2])
        name & equation \\
        name & derivative \\
        name & range & continuity & monotonic & monotonic derivative & approximates identity \\
        name & $f(0)$ & $f'(0)$ & $\lim_{x\to-\infty}$ & $\lim_{x\to+\infty}$ & zero-centred \\
        """
        keys = self._keys(formulas, columns)
        if not split:
            text = self._tabular(keys)
        else:
            tables = [
                self._tabular(["name", k], wrap=k)
                for k in keys
                if k in _FORMULAS
            ]
            rest = [k for k in keys if k not in _FORMULAS]
            if len(rest) > 1:
                _, body = self._cells("text", True, rest)
                head = [
                    _COLUMNS[k][1] if "$" not in _COLUMNS[k][1] else _COLUMNS[k][0] for k in rest
                ]
                widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(rest))]
                for group in _fit(widths, A4_TEXT_WIDTH, gap=3):
                    keys_ = ["name", *[rest[i] for i in group]]
                    tables.append(self._tabular(keys_, max_rows=_PAGE_ROWS))
            text = "\n\\medskip\n\n".join(tables)
        if legend:
            text += "\n\n" + self.legend("latex", keys)
        return text

    def to_latex_document(self) -> str:
        """The table as a standalone ``article`` (booktabs tables that fit an A4 page)."""
        from symnn._tex import document

        body = (
            "Each activation, its derivative (symnn's convention at the kinks) and its "
            "properties, computed symbolically.\n\n" + self.to_latex(split=True, legend=True)
        )
        return document(body, "Activation functions and their properties")

    def _tabular(self, keys: list[str], wrap: str | None = None, max_rows: int | None = None) -> str:
        r"""One booktabs ``tabular``; with *wrap* (a formula column), several that each fit
        an A4 page (a tabular cannot break across pages), the name column wrapping too;
        with *max_rows*, several of at most that many rows (63 activations: two pages)."""
        header, body = self._cells("latex", True, keys)
        if wrap is None:
            step = max_rows or max(len(body), 1)
            chunks = [body[i : i + step] for i in range(0, max(len(body), 1), step)]
            spec = "l" * len(keys)
        else:
            spec = "".join(r"p{0.70\linewidth}" if k == wrap else r"p{0.22\linewidth}" for k in keys)
            body = [[_name_cell(c) if k == "name" else _fit_cell(c) if k == wrap else c
                     for k, c in zip(keys, row, strict=True)] for row in body]  # fmt: skip
            chunks = _page_chunks(body, keys.index(wrap))
        tables = []
        for chunk in chunks:
            lines = [r"\begin{tabular}{" + spec + "}", r"\toprule", " & ".join(header) + r" \\"]
            lines.append(r"\midrule")
            lines += [" & ".join(r) + r" \\" for r in chunk]
            lines += [r"\bottomrule", r"\end{tabular}"]
            tables.append("\n".join(lines))
        return "\n\\medskip\n\n".join(tables)

    def legend(self, style: str = "text", columns: Iterable[str] | None = None) -> str:
        r"""What each column means (and ``?``), as text, Markdown or LaTeX.

        >>> print(activation_table(["tanh"]).legend(columns=["zero_centred"]))
        name: the catalogue name, with the parameter values analysed (or how many defaults)
        zero-centred: inf f < 0 < sup f: f takes both signs, so its outputs can average to zero (tanh yes; sigmoid and ReLU no)
        ? : unknown (the analysis ran out of its time budget or hit a size bound; the activation's .properties.notes say which)
        """
        if style not in ("text", "markdown", "latex"):
            raise ValueError(f"legend style must be 'text', 'markdown' or 'latex', not {style!r}")
        keys = self._keys(True, columns)
        items = [(_COLUMNS[k][0 if style == "text" else 1], _LEGEND[k]) for k in keys]
        notes = [_UNKNOWN_LEGEND]
        if any(isinstance(a, VectorActivation) for a in self.activations):
            notes.insert(0, _VECTOR_LEGEND)
        if style == "text":
            return "\n".join([*(f"{h}: {d}" for h, d in items), *notes])
        if style == "markdown":
            lines = [f"- **{_md_text(h)}**: {_md_text(d)}" for h, d in items]
            return "\n".join([*lines, *(f"- {_md_text(n)}" for n in notes)])
        lines = [r"\begin{itemize}"]
        lines += [rf"\item \textbf{{{h}}}: {_tex_text(d)}" for h, d in items]
        lines += [*(rf"\item {_tex_text(n)}" for n in notes), r"\end{itemize}"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<ActivationTable: {len(self.rows)} activations>"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str:
        header, body = self._cells("markdown", True)
        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        rows = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in body
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


#: Lines of an A4 page (11 pt, 2.2 cm margins) one tabular of formulas may take.
_PAGE_LINES = 46


def _name_cell(cell: str) -> str:
    r"""A name that wraps in its narrow column: after ``(`` and after each underscore."""
    return r"\raggedright " + cell.replace("(", r"(\allowbreak{}").replace(r"\_", r"\_\allowbreak{}")


#: Glyphs of formula on one line of the wrapping column (0.70 of ~16 cm): a longer unbreakable
#: piece is scaled down, and a row takes a line per this many glyphs.
_FIT_GLYPHS = 60


def _fit_cell(cell: str) -> str:
    r"""A formula cell; one with a piece too long to wrap (inline math breaks only after a
    ``+`` or ``-`` at the top level: PAU' is one fraction) is scaled down to the column's
    width when it is wider (``\resizebox`` from graphicx)."""
    if not cell.startswith("$") or max(map(_width, _top_terms(cell.strip("$")))) <= _FIT_GLYPHS:
        return cell
    return (
        r"\sbox0{" + cell + r"}\ifdim\wd0>\linewidth"
        r"\resizebox{\linewidth}{!}{\usebox0}\else\usebox0\fi"
    )


def _page_chunks(body: list[list[str]], col: int) -> list[list[list[str]]]:
    """Rows grouped so that each group, set as one tabular, fits a page: a row takes a
    line per line of its ``cases`` (fractions count extra) and per ~60 glyphs of formula."""
    def lines(cell: str) -> float:
        cases = cell.count(r"\\") + 1 if r"\begin{cases}" in cell else 1
        return cases * (1.4 if r"\frac" in cell else 1.0) + _width(cell) // _FIT_GLYPHS

    chunks: list[list[list[str]]] = [[]]
    used = 0.0
    for row in body:
        n = lines(row[col]) + 0.3  # the row's own spacing
        if chunks[-1] and used + n > _PAGE_LINES:
            chunks.append([])
            used = 0.0
        chunks[-1].append(row)
        used += n
    return chunks


def _fit(widths: list[int], limit: int | None, gap: int) -> list[list[int]]:
    """Greedy groups of the column indices 1.. that fit *limit* next to column 0 (the name)."""
    groups: list[list[int]] = []
    current: list[int] = []
    used = widths[0]
    for i in range(1, len(widths)):
        need = gap + widths[i]
        if current and limit is not None and used + need > limit:
            groups.append(current)
            current, used = [], widths[0]
        current.append(i)
        used += need
    if current:
        groups.append(current)
    return groups


def _md_text(text: str) -> str:
    """Plain text for a Markdown paragraph or cell: no table-splitting bars."""
    return text.replace("|", "&#124;")


_TEX_SPECIAL = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\^{}", "\\": r"\textbackslash{}",
    "≈": r"$\approx$", "ℝ": r"$\mathbb{R}$", "∞": r"$\infty$", "−": "-", "→": r"$\to$",
    "⁰": r"$^0$", "⁻¹": r"$^{-1}$", "⁻": r"$^-$", "¹": r"$^1$", "<": r"$<$", ">": r"$>$",
    "—": "---",
}  # fmt: skip


def _tex_text(text: str) -> str:
    """Text for a LaTeX paragraph, with its special characters escaped."""
    pattern = "|".join(re.escape(k) for k in sorted(_TEX_SPECIAL, key=len, reverse=True))
    return re.sub(pattern, lambda m: _TEX_SPECIAL[m.group(0)], text)


#: More parameters than this are not listed in the name cell (PAU's ten coefficients).
_NAMED_PARAMS = 3


def _display_name(act: Activation, props: Properties) -> str:
    if not props.params:
        return act.name
    if len(props.params) > _NAMED_PARAMS:  # symnn.activation(name).params has the values
        return f"{act.name}({len(props.params)} defaults)"
    return f"{act.name}(" + ", ".join(f"{k}={v:g}" for k, v in props.params) + ")"


class _Row(dict):
    """A row whose formulas (``equation``, ``derivative``) are made when first asked for.

    The derivative's LaTeX needs SymPy's simplification (seconds for the catalogue);
    the text table, which shows no formulas, never pays for it.
    """

    def __init__(self, act: Activation, **cells: Any) -> None:
        super().__init__(**cells)
        self._act = act

    def __missing__(self, key: str) -> Any:
        if key not in _FORMULAS:
            raise KeyError(key)
        self[key] = self._act.latex(_FORMULAS.index(key))
        return self[key]


def _row(act: Activation, props: Properties) -> dict[str, Any]:
    return _Row(
        act,
        **{
            "name": _display_name(act, props),
            "range": props.range,
            "continuity": props.continuity,
            "monotonic": props.monotonicity,
            "derivative_monotonic": props.derivative_monotonicity,
            "approximates_identity": props.approximates_identity,
            "value_at_zero": props.value_at_zero,
            "derivative_at_zero": props.derivative_at_zero,
            "limit_neg_inf": props.limit_neg_inf,
            "limit_pos_inf": props.limit_pos_inf,
            "zero_centred": props.zero_centred,
        },
    )


def _vector_row(act: VectorActivation) -> dict[str, Any]:
    """A vector activation's row: its own cells, :data:`NOT_APPLICABLE` where a scalar notion has none."""
    name = f"{act.name}(k={act.k})" if act.k else act.name
    return _Row(act, name=name, **{k: act.properties[k] for k in _COLUMNS if k not in ("name", *_FORMULAS)})


def _math_bars(tex: str) -> str:
    r"""LaTeX math without ``|``: ``\left|x\right|`` -> ``\left\vert x\right\vert``, ``|`` -> ``\vert``."""
    tex = tex.replace(r"\left|", r"\left\vert ").replace(r"\right|", r"\right\vert ")
    tex = tex.replace(r"\|", r"\Vert ")
    return tex.replace("|", r"\vert ")


def _cell(row: dict[str, Any], key: str, style: str) -> str:
    value = row[key]
    math_style = "text" if style == "text" else "latex"
    if style == "text":
        wrap = lambda s: s  # noqa: E731
    elif style == "markdown":
        wrap = lambda s: f"${_math_bars(s)}$"  # noqa: E731
    else:
        wrap = lambda s: f"${s}$"  # noqa: E731
    if key == "name":
        if style == "latex":
            return r"\texttt{" + value.replace("_", r"\_") + "}"
        return value if style == "text" else f"`{_md_text(value)}`"
    if value is UNKNOWN:
        return "?"
    if isinstance(value, str) and value == NOT_APPLICABLE:
        return r"$\text{n/a}$" if style == "latex" else NOT_APPLICABLE
    if key in _FORMULAS:
        return value if style == "text" else wrap(value)
    if key == "range":
        return wrap(format_set(value, math_style))
    if key == "continuity":
        return wrap(format_continuity(value, math_style))
    if isinstance(value, (bool, str)):
        text = format_flag(value)
        return _md_text(text) if style == "markdown" else text
    return wrap(format_number(value, math_style))


def activation_table(
    names: Iterable[str | Activation | VectorActivation] | None = None, *, vector: bool = False
) -> ActivationTable:
    """The property table of the catalogue (or of the given activations).

    Parameters
    ----------
    names : iterable of str, Activation or VectorActivation, optional
        Catalogue names (aliases work), Activation objects, or vector activations
        (``"softmax"``, ``"swiglu"``, ``symnn.vector_activation("maxout", k=3)``; their
        scalar-only cells read ``n/a``); default: the whole catalogue, in catalogue order.
    vector : bool
        With the default *names*, append the vector activations
        (:func:`symnn.vector_activations`) after the scalar ones.

    Examples
    --------
    >>> t = activation_table(["sigmoid", "relu"])
    >>> [r["name"] for r in t.rows], t["relu"]["continuity"]
    (['sigmoid', 'relu'], 0)
    >>> print(t.to_markdown(formulas=False).splitlines()[2])
    | `sigmoid` | $\\left(0, 1\\right)$ | $C^{\\infty}$ | increasing | no | no | $\\frac{1}{2}$ | $\\frac{1}{4}$ | $0$ | $1$ | no |
    >>> print(activation_table(["softmax"]).to_text(columns=["range", "monotonic", "value_at_zero"]))
    name     range   monotonic  f(0)
    -------  ------  ---------  ----
    softmax  (0, 1)  n/a        1/K
    """
    if isinstance(names, str):
        names = [names]
    if names is None:
        chosen: list[Any] = [*activations(), *(REGISTRY.names() if vector else ())]
    else:
        chosen = list(names)
    return ActivationTable([_lookup(n) for n in chosen])


def _lookup(name: str | Activation | VectorActivation) -> Activation | VectorActivation:
    if isinstance(name, VectorActivation):
        return name
    if isinstance(name, str) and REGISTRY.knows(name):
        return vector_activation(name)
    return activation(name)
