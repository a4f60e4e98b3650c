"""Vector activations in the property table (n/a where a scalar notion has no value) and
their contour maps for two inputs (the drawn values are the activation's own)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.views.tables import activation_table


def test_table_rows_mark_scalar_notions_not_applicable():
    table = activation_table(["tanh", "softmax", "swiglu", sn.vector_activation("maxout", k=3)])
    assert [r["name"] for r in table.rows] == ["tanh", "softmax", "swiglu", "maxout(k=3)"]
    sm = table["softmax"]
    assert sm["range"] == sp.Interval.open(0, 1) and sm["continuity"] == sp.oo
    assert sm["monotonic"] == "n/a" and sm["limit_pos_inf"] == "n/a"
    assert sm["derivative"].startswith(r"J = \operatorname{diag}(s) - s s^{\top} = ")
    assert table["maxout(k=3)"]["continuity"] == 0
    text = table.to_text(legend=True)
    assert "n/a : not applicable" in text
    assert text.splitlines()[3].split()[:3] == ["softmax", "(0,", "1)"]
    tex = table.to_latex(columns=["value_at_zero", "derivative_at_zero"])
    assert r"\texttt{softmax} & $\frac{1}{K}$ & $\text{n/a}$ \\" in tex
    md = table.to_markdown(formulas=False).splitlines()
    assert all(line.count("|") == md[0].count("|") for line in md)
    whole = activation_table(vector=True)
    assert [r["name"] for r in whole.rows][-7:] == [
        "softmax", "log_softmax", "glu", "reglu", "geglu", "swiglu", "maxout(k=2)",
    ]  # fmt: skip


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "glu", "swiglu", "maxout"])
def test_contour_maps_draw_each_output(name):
    f = sn.vector_activation(name)
    fig = sn.plot_vector_activation(name, zlim=(-3, 3), n=21)
    panels = [ax for ax in fig.axes if ax.get_label() == "output"]
    assert len(panels) == (2 if "softmax" in name else 1)
    z = np.linspace(-3, 3, 21)
    Z1, Z2 = np.meshgrid(z, z)
    want = f(np.stack([Z1.ravel(), Z2.ravel()], axis=1))
    for i, ax in enumerate(panels):
        filled = ax.collections[0]
        lo, hi = filled.get_array().min(), filled.get_array().max()  # the level midpoints
        assert want[:, i].min() <= hi and lo <= want[:, i].max()
        assert ax.get_xlabel().startswith("$z_1$") and ax.get_ylabel() == "$z_2$"
    assert f.jacobian_text in fig._suptitle.get_text()
    matplotlib.pyplot.close(fig)


def test_plot_refuses_what_it_cannot_draw():
    with pytest.raises(ValueError, match="maxout', k=2"):
        sn.plot_vector_activation(sn.vector_activation("maxout", k=3))
    with pytest.raises(TypeError, match="plot_activation"):
        sn.plot_vector_activation(sn.activation("relu"))
    with pytest.raises(ValueError, match="zlim"):
        sn.plot_vector_activation("softmax", zlim=(1, -1))
