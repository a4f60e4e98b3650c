"""The activation property table: rows, text/Markdown/LaTeX formats, escaping, legend, page fit.

(Moved from tests/analysis/test_properties.py when the table moved to symnn.views.tables.)
"""

from __future__ import annotations

import os
import re

import pytest
import sympy as sp

import symnn
from symnn.analysis.budget import UNKNOWN
from symnn.analysis.properties import analyze
from symnn.views.tables import A4_TEXT_WIDTH, COLUMNS, ActivationTable, activation_table

oo = sp.oo
CATALOGUE = symnn.activations()


@pytest.fixture(autouse=True, scope="module")
def _fresh_cache_dir(tmp_path_factory):
    """Never read or write the user's cache: a fresh cache directory for this module."""
    before = os.environ.get("SYMNN_CACHE_DIR")
    os.environ["SYMNN_CACHE_DIR"] = str(tmp_path_factory.mktemp("symnn-cache"))
    yield
    if before is None:
        os.environ.pop("SYMNN_CACHE_DIR", None)
    else:
        os.environ["SYMNN_CACHE_DIR"] = before


@pytest.fixture(scope="module")
def full_table():
    return activation_table()


def test_table_has_one_row_per_activation():
    table = activation_table()
    assert isinstance(table, ActivationTable)
    assert [r["name"].split("(")[0] for r in table.rows] == CATALOGUE
    row = table["relu"]
    assert row["range"] == sp.Interval(0, oo)
    assert row["continuity"] == 0
    assert row["equation"].startswith(r"\operatorname{ReLU}(x) =")
    assert row["derivative"].startswith(r"\operatorname{ReLU}'(x) =")
    assert row["monotonic"] == "non-decreasing" and row["approximates_identity"] is False
    assert table["leaky_relu"] is table["leaky_relu(alpha=0.01)"]
    with pytest.raises(KeyError, match="rleu"):
        table["rleu"]


def test_table_formats():
    table = activation_table(["sigmoid", "hard_tanh", "sqnl", "hardshrink", "sinusoid"])
    text = str(table).splitlines()
    assert len(text) == 2 + 5
    assert text[0].split()[:3] == ["name", "range", "continuity"]
    assert "sqnl" in text[4] and "[-1, 1]" in text[4] and "C¹" in text[4]
    assert "(-∞, -1/2) ∪ {0} ∪ (1/2, ∞)" in text[5]
    assert len({len(line) for line in text[:2]}) == 1  # header and rule line up
    md = table.to_markdown().splitlines()
    assert len(md) == 2 + 5 and md[1].startswith("|---")
    assert (
        md[4].startswith("| `sqnl` |") and r"$\left[-1, 1\right]$" in md[4] and "$C^{1}$" in md[4]
    )
    tex = table.to_latex()
    assert tex.startswith(r"\begin{tabular}") and tex.endswith(r"\end{tabular}")
    assert tex.count("\n") == 5 + 5 and r"\texttt{hard\_tanh}" in tex
    assert "<table>" in table._repr_html_() and table._repr_markdown_() == table.to_markdown()


def test_latex_cells_render_with_mathtext():
    from matplotlib.mathtext import MathTextParser

    from symnn.views.tables import _cell

    parser = MathTextParser("path")
    keys = ("range", "continuity", "value_at_zero", "derivative_at_zero")
    for row in activation_table().rows:
        for key in (*keys, "limit_neg_inf", "limit_pos_inf"):
            cell = _cell(row, key, "latex")
            assert cell.startswith("$") and cell.endswith("$")
            parser.parse(cell)  # raises ValueError on LaTeX that mathtext cannot typeset


# ----------------------------------------------------------------------------
# Markdown: every row has as many cells as the header, however it is split
# ----------------------------------------------------------------------------


def _gfm_cells(line: str) -> list[str]:
    """Split a table row the way GitHub-flavoured Markdown does: on every unescaped ``|``.

    (GFM splits inside code spans and math too; only ``\\|`` is kept in a cell.)
    """
    line = line.strip()
    line = line.removeprefix("|")
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    return re.split(r"(?<!\\)\|", line)


def _naive_cells(line: str) -> list[str]:
    """Split on every ``|``, escaped or not (renderers that do not honour ``\\|`` in math)."""
    return line.strip().strip("|").split("|")


def test_markdown_rows_have_as_many_cells_as_the_header(full_table):
    for formulas in (True, False):
        lines = full_table.to_markdown(formulas=formulas).splitlines()
        width = len(_gfm_cells(lines[0]))
        assert width == len(_naive_cells(lines[0])) == (13 if formulas else 11)
        assert len(_gfm_cells(lines[1])) == width
        for line in lines[2:]:
            assert len(_gfm_cells(line)) == width, line
            assert len(_naive_cells(line)) == width, line


def test_absolute_values_are_bars_without_a_pipe(full_table):
    row = full_table.to_markdown().splitlines()[2 + CATALOGUE.index("softsign")]
    assert "|x|" not in row and r"\left\vert" in row and r"\right\vert" in row
    assert "|" not in row.strip().strip("|").replace(" | ", "")


def test_markdown_math_cells_render_with_mathtext(full_table):
    from matplotlib.mathtext import MathTextParser

    parser = MathTextParser("path")
    md = full_table.to_markdown().splitlines()
    for line in md[2:]:
        for cell in _gfm_cells(line):
            cell = cell.strip()
            if cell.startswith("$") and r"\operatorname" not in cell:
                parser.parse(cell)


# ----------------------------------------------------------------------------
# Legend, LaTeX, text
# ----------------------------------------------------------------------------


def test_the_legend_defines_zero_centred_and_identity(full_table):
    for style in ("text", "markdown", "latex"):
        legend = full_table.legend(style)
        assert "inf f < 0 < sup f" in legend.replace("$<$", "<")
        assert "f(0) = 0 and f'(0) = 1" in legend
        assert "unknown" in legend
    text = full_table.to_text(legend=True)
    assert "zero-centred: inf f < 0 < sup f" in text
    assert "≈ identity: approximates the identity near the origin" in text
    md = full_table.to_markdown(legend=True)
    assert md.startswith("| name |") and "- **zero-centred**:" in md
    tex = full_table.to_latex(legend=True)
    assert r"\begin{itemize}" in tex and r"\item \textbf{zero-centred}" in tex
    with pytest.raises(ValueError, match="legend style"):
        full_table.legend("html")


def test_latex_uses_booktabs(full_table):
    tex = full_table.to_latex()
    assert tex.splitlines()[1] == r"\toprule" and tex.splitlines()[3] == r"\midrule"
    assert tex.splitlines()[-2] == r"\bottomrule"
    assert r"\hline" not in tex


def test_latex_columns_can_be_selected(full_table):
    tex = full_table.to_latex(columns=["continuity", "range"])
    assert tex.splitlines()[0] == r"\begin{tabular}{lll}"
    assert tex.splitlines()[2] == r"name & continuity & range \\"
    with pytest.raises(ValueError, match=r"unknown table column\(s\) \['rnage'\]; choose from"):
        full_table.to_latex(columns=["rnage"])
    assert set(COLUMNS) >= {"range", "zero_centred", "equation"}


def _visible_width(cell: str) -> int:
    """A rough printed width of a LaTeX cell: commands and braces take no room."""
    cell = re.sub(r"\\(left|right|texttt|frac|operatorname|mathbb)", "", cell)
    cell = re.sub(r"\\[a-zA-Z]+", "x", cell)
    return len(re.sub(r"[{}$\\^_]", "", cell))


def _name(cell: str) -> str:
    """The activation's name in a table's first cell (a formula table's wraps)."""
    cell = cell.removeprefix(r"\raggedright ").replace(r"\allowbreak{}", "")
    return cell.removeprefix(r"\texttt{").split("}")[0]


def test_split_latex_tables_fit_an_a4_page(full_table):
    tables = full_table.to_latex(split=True).split(r"\medskip")
    assert len(tables) >= 3
    rows_per_header: dict[str, list[str]] = {}
    for tab in tables:
        lines = tab.strip().splitlines()
        assert lines[0].startswith(r"\begin{tabular}") and lines[-1] == r"\end{tabular}"
        header = lines[2].removesuffix(r" \\").split(" & ")
        assert header[0] == "name"
        rows = [ln.removesuffix(r" \\").split(" & ") for ln in lines[4:-2]]
        rows_per_header.setdefault(" & ".join(header[1:]), []).extend(r[0] for r in rows)
        # a tabular never breaks across pages: each holds at most a page of rows
        if r"p{0.70\linewidth}" in lines[0]:
            assert len(rows) <= 25
            continue  # a formula column wraps to the page width
        assert len(rows) <= 30
        widths = [max(_visible_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
        assert sum(widths) + 3 * (len(widths) - 1) <= A4_TEXT_WIDTH + 10, lines[2]
    seen = [c for h in rows_per_header for c in h.split(" & ")]
    assert len(seen) == len(COLUMNS) - 1  # every column in one group of tables
    for names in rows_per_header.values():  # and every activation in each group, once
        assert [_name(n) for n in names] == [
            _name(n)
            for n in rows_per_header[next(iter(rows_per_header))]
        ]
        assert len(names) == len(CATALOGUE)


def test_text_for_the_terminal_fits_a_width(full_table):
    text = full_table.to_text(width=100)
    blocks = text.split("\n\n")
    assert len(blocks) >= 2
    for block in blocks:
        lines = block.splitlines()
        assert lines[0].startswith("name") and len(lines) == 2 + len(CATALOGUE)
        assert all(len(line) <= 100 for line in lines)
    assert full_table.to_text() == str(full_table)  # unsplit by default
    narrow = full_table.to_text(columns=["range"])
    assert narrow.splitlines()[0].split() == ["name", "range"]


class _Stub:
    """An activation whose analysis is unknown (a 300-argument max)."""

    name = "max300"

    def __init__(self):
        x = sp.Symbol("x", real=True)
        big = sp.Max(*[k * x for k in range(1, 301)], evaluate=False)
        self.properties = analyze(big, x, name="max300", cache=False)

    def latex(self, order):
        return r"\max(x, 2x, \ldots)" if order == 0 else r"\text{?}"


def test_unknown_properties_show_as_question_marks():
    table = ActivationTable([_Stub(), symnn.activation("relu")])
    assert table["max300"]["range"] is UNKNOWN
    text = str(table).splitlines()
    assert text[2].split()[:3] == ["max300", "?", "?"]
    md = table.to_markdown().splitlines()
    assert "| ? |" in md[2]
    assert len(_gfm_cells(md[2])) == len(_gfm_cells(md[0]))
    tex = table.to_latex()
    assert " & ? & " in tex
