"""symnn.nn.walkthrough, frozen parameters (fit, save, load) and the half_sse loss.

Oracles: ``net.gradients`` and ``net.fit`` (the generated code), the published numbers
of the classic worked example (M. Mazur, "A step by step backpropagation example", 2015),
and finite differences for half_sse."""

from __future__ import annotations

import math
import shutil
import subprocess

import numpy as np
import pytest

import symnn as sn

X1, Y1 = [[0.05, 0.1]], [[0.01, 0.99]]


def mazur() -> sn.Network:
    net = sn.Network([2, 2, 2], activation="sigmoid", loss="half_sse", seed=0)
    net.params["W1"] = [[0.15, 0.25], [0.2, 0.3]]
    net.params["W2"] = [[0.4, 0.5], [0.45, 0.55]]
    net.params["b1"], net.params["b2"] = [0.35, 0.35], [0.6, 0.6]
    net.frozen = ["b1", "b2"]
    return net


def test_the_classic_example_published_numbers():
    w = mazur().walkthrough(X1, Y1, lr=0.5)
    st = w.steps[0]
    lines = {ln.name: ln.value for ln in st.forward}
    assert math.isclose(lines["z1_1"], 0.3775, rel_tol=1e-12)  # net_h1
    assert round(lines["a1_1"], 9) == 0.593269992  # out_h1
    assert round(lines["yhat1"], 9) == 0.75136507  # out_o1
    assert round(st.loss, 9) == 0.298371109  # E_total
    g = st.gradients
    assert round(g["w2_11"].value, 9) == 0.082167041  # dE/dw5
    assert round(g["w1_11"].value, 9) == 0.000438568  # dE/dw1
    new = {ln.name: ln.value for ln in st.updates}
    assert round(new["w2_11"], 8) == 0.35891648  # w5+
    assert round(new["w1_11"], 9) == 0.149780716  # w1+
    assert new["b1_1"] == 0.35 and "frozen" in next(u.lhs for u in st.updates if u.name == "b1_1")


@pytest.mark.parametrize(
    "spec, n, steps",
    [
        (dict(layers=[2, 2, 2], activation="sigmoid", loss="half_sse"), 1, 1),
        (dict(layers=[2, 3, 1], activation="tanh", loss="mse"), 3, 3),
        (dict(layers=[3, 2, 2], activation="relu", loss="bce", bias=False), 2, 2),
    ],
)
def test_walkthrough_equals_gradients_and_fit(spec, n, steps):
    rng = np.random.default_rng(1)
    net = sn.Network(**spec, seed=2)
    X = rng.normal(size=(n, net.layers[0]))
    y = rng.uniform(0.1, 0.9, size=(n, net.layers[-1]))
    before = net.params.copy()
    w = net.walkthrough(X, y, lr=0.3, steps=steps)
    assert all(np.array_equal(before[k], net.params[k]) for k in before)  # net untouched
    # step 1's gradients are net.gradients; every product shown multiplies out to its gradient
    grads = net.gradients(X, y)
    for st in w.steps:
        for name, line in st.gradients.items():
            total = sum(math.prod(f.value for f in term) for term in line.terms)
            assert math.isclose(total, line.value, rel_tol=1e-12, abs_tol=1e-16), name
            if st.index == 0:
                key, idx = st.graph.node(name).param
                assert math.isclose(line.value, grads[key][idx], rel_tol=1e-12, abs_tol=1e-15)
        for line in st.adjoints:
            total = sum(math.prod(f.value for f in term) for term in line.terms)
            assert math.isclose(total, line.value, rel_tol=1e-12, abs_tol=1e-16)
    net.fit(X, y, epochs=steps, lr=0.3, warn=False)
    for k, v in w.params.items():
        np.testing.assert_allclose(v, net.params[k], rtol=1e-12, atol=1e-15)
    assert math.isclose(w.steps[-1].loss_after, net.loss_value(X, y), rel_tol=1e-12)


def test_renderings():
    w = mazur().walkthrough(X1, Y1, lr=0.5, steps=2)
    text = str(w)
    for name in ("z1_1", "yhat2", "dL/dw1_11", "w2_22 - η·dL/dw2_22", "b1_1 (frozen)", "step 2"):
        assert name in text
    assert "= 0.082167\n" in text and "= 0.298371\n" in text
    md = w._repr_markdown_()
    assert md.count("### Step") == 2 and r"\frac{\partial L}{\partial w^{(1)}_{11}}" in md
    tex = w.latex(standalone=True)
    assert tex.startswith(r"\documentclass") and tex.count(r"\begin{aligned}") == 10
    assert tex.count("{") == tex.count("}")
    if shutil.which("pdflatex"):
        import tempfile
        from pathlib import Path

        with tempfile.TemporaryDirectory() as d:
            Path(d, "w.tex").write_text(tex, encoding="utf-8")
            r = subprocess.run(
                ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "w.tex"],
                cwd=d, capture_output=True, timeout=120,
            )  # fmt: skip
            assert r.returncode == 0, r.stdout[-2000:]


def test_walkthrough_refuses_big_networks_and_bad_arguments():
    with pytest.raises(ValueError, match="at most"):
        sn.Network([8, 8, 2]).walkthrough(np.zeros((1, 8)), [[0.0, 1.0]])
    with pytest.raises(ValueError, match="lr"):
        mazur().walkthrough(X1, Y1, lr=-1)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_fit_keeps_frozen_parameters_exactly(optimizer):
    net = sn.Network([2, 3, 1], activation="tanh", loss="mse", seed=0)
    net.params["b1"] = [0.1, -0.2, 0.3]
    b1, W1 = net.params["b1"].copy(), net.params["W1"].copy()
    X, y = np.random.default_rng(0).normal(size=(8, 2)), np.linspace(0, 1, 8)
    net.fit(X, y, epochs=20, lr=0.05, optimizer=optimizer, freeze=["b1"], l2=0.1, warn=False)
    assert np.array_equal(net.params["b1"], b1) and not np.array_equal(net.params["W1"], W1)
    assert net.frozen == {"b1"}
    net.fit(X, y, epochs=2, lr=0.05, freeze=[], warn=False)
    assert not np.array_equal(net.params["b1"], b1) and not net.frozen
    with pytest.raises(ValueError, match="cannot freeze 'c1'"):
        net.fit(X, y, freeze=["c1"])


def test_frozen_flags_are_saved_and_loaded(tmp_path):
    net = mazur()
    again = sn.load(sn.save(net, tmp_path / "m.npz"))
    assert again.frozen == {"b1", "b2"}
    plain = sn.Network([2, 2, 1], seed=0)
    assert sn.load(sn.save(plain, tmp_path / "p.npz")).frozen == frozenset()


def test_files_written_before_still_load():
    from pathlib import Path

    for name in ("model_v1_catalogue.npz", "model_v1_formula.npz"):
        net = sn.load(Path(__file__).parent / "data" / name)
        assert net.frozen == frozenset()


def test_half_sse_is_half_the_sse_and_its_gradient_has_no_two():
    lo = sn.loss("half_sse")
    a, t = np.array([0.3, 0.9, -1.2]), np.array([0.0, 1.0, 0.5])
    assert math.isclose(lo.value(a, t), sn.loss("sse").value(a, t) / 2, rel_tol=1e-15)
    np.testing.assert_allclose(lo.grad(a, t), a - t, rtol=1e-15)
    eps = 1e-6
    for i in range(3):
        up, down = a.copy(), a.copy()
        up[i] += eps
        down[i] -= eps
        fd = (lo.value(up, t) - lo.value(down, t)) / (2 * eps)
        assert math.isclose(fd, a[i] - t[i], rel_tol=1e-7)
    assert lo.reduction == "sum" and "half_sse" in sn.losses()


def test_a_file_with_unknown_frozen_names_is_refused(tmp_path):
    import io
    import json
    import zipfile

    from symnn.nn.persistence import ModelFileError

    path = sn.save(mazur(), tmp_path / "m.npz")
    with zipfile.ZipFile(path) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    with np.load(path) as archive:
        meta = json.loads(archive["__symnn__"].tobytes())
    meta["frozen"] = ["b7"]
    buf = io.BytesIO()
    np.save(buf, np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8))
    entries["__symnn__.npy"] = buf.getvalue()
    bad = tmp_path / "bad.npz"
    with zipfile.ZipFile(bad, "w", compression=zipfile.ZIP_STORED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    with pytest.raises(ModelFileError, match="frozen must be a list of parameter names"):
        sn.load(bad)


def test_numbers_stand_where_their_symbols_stand():
    import re

    net = sn.Network([2, 2, 2], activation="relu", loss="mse", output_activation="sigmoid", seed=0)
    w = net.walkthrough([[0.05, -0.1]], [[0.01, 0.99]], lr=0.5)
    st = w.steps[0]
    values = {n.name: n.value for n in st.graph.nodes}
    for line in [*st.forward, *st.loss_terms, st.loss_line]:
        if line.name.startswith("a"):
            continue  # ReLU's cases
        # each symbol of the symbolic line, replaced by its value, gives the numeric line
        def number(m, line=line):
            v = values[m.group(0)]
            return f"({v:.6g})" if v < 0 and "*" in line.symbolic else f"{v:.6g}"

        assert re.sub(r"[a-z]+\d+(_\d+)?", number, line.symbolic) == line.numeric, line.name
        assert "+ -" not in line.numeric_tex and r"\cdot -" not in line.numeric_tex
    # a local derivative that is a sum is bracketed where it is multiplied
    adj = next(a for a in st.adjoints if a.name == "yhat1")
    assert adj.symbolic_tex.endswith(r"\cdot \left(- 2 y_{1} + 2 \hat{y}_{1}\right)")
    assert next(a for a in st.adjoints if a.name == "l1").text() == "dL/dl1 = 1/2 = 0.5"


def test_cases_read_as_conditional_expressions():
    net = sn.Network([1, 1, 1], activation="relu", loss="half_sse", output_activation="identity", bias=False, seed=0)
    net.params["W1"], net.params["W2"] = [[-2.0]], [[1.5]]
    st = net.walkthrough([[0.5]], [[1.0]], lr=0.1).steps[0]
    a = next(ln for ln in st.forward if ln.name == "a1_1")
    assert a.text() == "a1_1 = (0 if z1_1 <= 0 else z1_1) = (0 if -1 <= 0 else -1) = 0"
    assert st.graph.edge("z1_1", "a1_1").text == "(0 if z1_1 <= 0 else 1)"
    assert st.gradients["w1_11"].value == 0.0  # ReLU'(z) = 0 for z < 0
