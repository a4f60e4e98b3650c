"""symnn.explore (widgets and the static fallback), compare_activations, and the CLI's
``activations --family`` / ``--compare``: the pictures checked for their content."""

from __future__ import annotations

import builtins

import matplotlib.pyplot as plt
import numpy as np
import pytest

import symnn as sn
from symnn.cli import main
from symnn.views.explore import explore, parameter_range


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _no_ipywidgets(monkeypatch):
    real = builtins.__import__

    def fake(name, *args, **kwargs):
        if name == "ipywidgets" or name.startswith("ipywidgets."):
            raise ImportError("no ipywidgets here")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake)
    import importlib

    real_import_module = importlib.import_module
    monkeypatch.setattr(
        importlib,
        "import_module",
        lambda name, *a: fake(name) if name == "ipywidgets" else real_import_module(name, *a),
    )


def test_static_fallback_draws_f_and_f_prime_at_three_values_per_parameter(monkeypatch):
    _no_ipywidgets(monkeypatch)
    fig = explore("smish", xlim=(-3, 3), n=61)
    assert [ax.get_title() for ax in fig.axes] == ["smish: alpha", "smish: beta"]
    act = sn.activation("smish")
    xs = np.linspace(-3, 3, 61)
    for ax, name in zip(fig.axes, ("alpha", "beta"), strict=True):
        lines = [ln for ln in ax.get_lines() if ln.get_gid() in ("function", "derivative")]
        assert len(lines) == 6
        values = sorted({float(ln.get_label().rsplit("=", 1)[1]) for ln in lines})
        assert len(values) == 3 and 1.0 in values  # the default among them
        for ln in lines:  # each curve is the activation (or derivative) at its value
            value = float(ln.get_label().rsplit("=", 1)[1])
            want = act(xs, **{name: value}) if ln.get_gid() == "function" else act.grad(
                xs, **{name: value})  # fmt: skip
            np.testing.assert_allclose(ln.get_ydata(), want, rtol=1e-5)  # labels show 6 digits
    with pytest.raises(ImportError, match=r"pip install 'symnn\[widgets\]'"):
        explore("elu", widgets=True)


def test_static_fallback_without_parameters():
    fig = explore("x*tanh(x)", widgets=False, n=11)
    assert fig.axes[0].get_title() == "f (no parameters)"
    np.testing.assert_allclose(fig.axes[0].get_lines()[0].get_ydata(),
                               np.linspace(-5, 5, 11) * np.tanh(np.linspace(-5, 5, 11)))  # fmt: skip


def test_slider_ranges_stay_inside_the_allowed_interval():
    for name in sn.activations():
        act = sn.activation(name)
        for sym, kw in act.kwnames.items():
            lo, hi = parameter_range(act, kw)
            assert lo < float(act.params[sym]) < hi
            spec = act.specs[sym]
            assert spec.low <= lo and hi <= spec.high
            spec.check(lo, name), spec.check(hi, name)


def test_widget_panel_moves_the_curves():
    pytest.importorskip("ipywidgets")
    box = explore("leaky_relu", xlim=(-2, 2), n=5)
    assert list(box.sliders) == ["alpha"]
    slider = box.sliders["alpha"]
    assert slider.value == pytest.approx(0.01)
    slider.value = 0.3
    line_f, line_d = (ln for ln in box.figure.axes[0].get_lines() if ln.get_gid())
    np.testing.assert_allclose(line_f.get_ydata(), [-0.6, -0.3, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(line_d.get_ydata(), [0.3, 0.3, 0.3, 1.0, 1.0])
    assert "alpha=0.3" in box.figure.axes[0].get_title()


def test_compare_draws_each_function_and_derivative_in_one_colour():
    ax_f, ax_d = sn.compare_activations(["relu", "hard_mish", "snake"], xlim=(-3, 3), n=121)
    for ax, order in ((ax_f, 0), (ax_d, 1)):
        for name in ("relu", "hard_mish", "snake"):
            lines = [ln for ln in ax.get_lines() if ln.get_gid() == name]
            assert lines and len({ln.get_color() for ln in lines}) == 1
            act = sn.activation(name)
            for ln in lines:
                want = act.grad(ln.get_xdata(), order=order) if order else act(ln.get_xdata())
                np.testing.assert_allclose(ln.get_ydata(), want)
    # ReLU' jumps at 0: two pieces, never joined by a vertical line
    assert len([ln for ln in ax_d.get_lines() if ln.get_gid() == "relu"]) == 2
    with pytest.raises(ValueError, match="non-empty list"):
        sn.compare_activations("relu")


def test_families_come_from_the_registry():
    families = sn.activation_families()
    assert families == list(dict.fromkeys(sn.activation(n).family for n in sn.activations())) or (
        set(families) == {sn.activation(n).family for n in sn.activations()}
    )
    for family in families:
        names = sn.activations(family=family)
        assert names and all(sn.activation(n).family == family for n in names)
    assert sum(len(sn.activations(family=f)) for f in families) == len(sn.activations())
    with pytest.raises(ValueError, match="did you mean 'relu'"):
        sn.activations(family="rleu")


def test_cli_family_filter_and_compare(tmp_path, capsys):
    assert main(["activations", "--family", "periodic", "--columns", "name,monotonic"]) == 0
    out = capsys.readouterr().out
    rows = [line.split()[0] for line in out.splitlines()[2:] if line and not line[0].isspace()]
    assert set(sn.activations(family="periodic")) <= {r.split("(")[0] for r in rows}
    assert "relu" not in rows
    assert main(["activations", "--family", "perodic"]) == 2
    assert "did you mean 'periodic'" in capsys.readouterr().err
    picture = tmp_path / "cmp.png"
    assert main(["activations", "--compare", "gelu", "x*tanh(x)", "--out", str(picture)]) == 0
    assert picture.stat().st_size > 5000
    assert main(["activations", "--compare", "gelu", "sigmod"]) == 2
    assert "did you mean 'sigmoid'" in capsys.readouterr().err


def test_compare_names_an_activation_with_many_parameters_briefly():
    ax_f, _ = sn.compare_activations(["pau", "srs", "cloglog"], xlim=(-2, 2), n=41)
    labels = [t.get_text() for t in ax_f.get_legend().get_texts()]
    assert labels == ["pau (10 parameters)", "srs (alpha=2, beta=3)", "cloglog"]
