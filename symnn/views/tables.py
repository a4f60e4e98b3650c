r"""The activation property table: one row of :class:`~symnn.analysis.properties.Properties` per activation.

Text for the terminal, Markdown and LaTeX for documents; the numbers come from
:func:`symnn.analysis.properties.analyze`, the names from the catalogue.

>>> print(activation_table(["relu", "tanh"]))  # doctest: +NORMALIZE_WHITESPACE
name  range    continuity  monotonic       f' monotonic    ≈ identity  f(0)  f'(0)  lim x→−∞  lim x→+∞  zero-centred
----  -------  ----------  --------------  --------------  ----------  ----  -----  --------  --------  ------------
relu  [0, ∞)   C⁰          non-decreasing  non-decreasing  no          0     0      0         ∞         no
tanh  (-1, 1)  C∞          increasing      no              yes         0     1      -1        1         yes
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from symnn.analysis.properties import (
    Properties,
    format_continuity,
    format_flag,
    format_number,
    format_set,
)
from symnn.catalogue.activations import Activation, activation, activations

__all__ = ["ActivationTable", "activation_table"]


# ----------------------------------------------------------------------------
# The table
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


class ActivationTable:
    r"""One row of properties per activation; prints as text, Markdown or LaTeX.

    ``rows`` is a list of dicts with the keys ``name``, ``equation`` and
    ``derivative`` (LaTeX), ``range`` (a SymPy set), ``continuity`` (int or
    ``oo``), ``monotonic``, ``derivative_monotonic`` (monotonicity strings),
    ``approximates_identity``, ``zero_centred`` (bools), ``value_at_zero``,
    ``derivative_at_zero``, ``limit_neg_inf``, ``limit_pos_inf`` (SymPy
    values); ``properties`` holds the full :class:`Properties`.
    ``str(table)`` leaves out the formulas (too wide for a terminal);
    :meth:`to_markdown` and :meth:`to_latex` include them.
    """

    def __init__(self, activations: Sequence[Activation]) -> None:
        self.activations = list(activations)
        self.properties: list[Properties] = [a.properties for a in self.activations]
        self.rows: list[dict[str, Any]] = [
            _row(a, p) for a, p in zip(self.activations, self.properties, strict=True)
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

    def _cells(self, style: str, formulas: bool) -> tuple[list[str], list[list[str]]]:
        keys = [k for k in _COLUMNS if formulas or k not in _FORMULAS]
        header = [_COLUMNS[k][0 if style == "text" else 1] for k in keys]
        body = [[_cell(row, k, style) for k in keys] for row in self.rows]
        return header, body

    def to_text(self, formulas: bool = False) -> str:
        """A fixed-width text table (Unicode); ``formulas=True`` adds the SymPy formulas."""
        header, body = self._cells("text", formulas)
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header]
        ]
        lines.append("  ".join("-" * w for w in widths))
        lines += [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body
        ]
        return "\n".join(lines)

    def to_markdown(self, formulas: bool = True) -> str:
        """A Markdown table, formulas and ranges as ``$...$`` LaTeX."""
        header, body = self._cells("markdown", formulas)
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(c.replace("|", r"\|") for c in r) + " |" for r in body]
        return "\n".join(lines)

    def to_latex(self, formulas: bool = True) -> str:
        r"""A LaTeX ``tabular`` (wrap it in ``\resizebox`` or ``landscape`` for a page)."""
        header, body = self._cells("latex", formulas)
        head = " & ".join(header)
        lines = [r"\begin{tabular}{" + "l" * len(header) + "}", r"\hline", head + r" \\", r"\hline"]
        lines += [" & ".join(r) + r" \\" for r in body]
        lines += [r"\hline", r"\end{tabular}"]
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


def _display_name(act: Activation, props: Properties) -> str:
    if not props.params:
        return act.name
    return f"{act.name}(" + ", ".join(f"{k}={v:g}" for k, v in props.params) + ")"


def _row(act: Activation, props: Properties) -> dict[str, Any]:
    return {
        "name": _display_name(act, props),
        "equation": act.latex(0),
        "derivative": act.latex(1),
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
    }


def _cell(row: dict[str, Any], key: str, style: str) -> str:
    value = row[key]
    math_style = "text" if style == "text" else "latex"
    wrap = (lambda s: s) if style == "text" else (lambda s: f"${s}$")
    if key == "name":
        if style == "latex":
            return r"\texttt{" + value.replace("_", r"\_") + "}"
        return value if style == "text" else f"`{value}`"
    if key in _FORMULAS:
        return value if style == "text" else wrap(value)
    if key == "range":
        return wrap(format_set(value, math_style))
    if key == "continuity":
        return wrap(format_continuity(value, math_style))
    if isinstance(value, bool):
        return format_flag(value)
    if isinstance(value, str):
        return value
    return wrap(format_number(value, math_style))


def activation_table(names: Iterable[str | Activation] | None = None) -> ActivationTable:
    """The property table of the catalogue (or of the given activations).

    Parameters
    ----------
    names : iterable of str or Activation, optional
        Catalogue names (aliases work) or Activation objects; default: the
        whole catalogue, in catalogue order.

    Examples
    --------
    >>> t = activation_table(["sigmoid", "relu"])
    >>> [r["name"] for r in t.rows], t["relu"]["continuity"]
    (['sigmoid', 'relu'], 0)
    >>> print(t.to_markdown(formulas=False).splitlines()[2])
    | `sigmoid` | $\\left(0, 1\\right)$ | $C^{\\infty}$ | increasing | no | no | $\\frac{1}{2}$ | $\\frac{1}{4}$ | $0$ | $1$ | no |
    """
    if isinstance(names, str):
        names = [names]
    chosen = list(activations() if names is None else names)
    return ActivationTable([activation(n) for n in chosen])
