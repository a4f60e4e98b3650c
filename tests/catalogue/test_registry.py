"""One registry for every catalogue: the same lookup, aliases, did-you-mean and parameter rules;
entries carry what the rest of symnn needs, so nothing outside the catalogue matches names."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.catalogue import activations as act_cat
from symnn.catalogue import initializers as init_cat
from symnn.catalogue import losses as loss_cat
from symnn.catalogue import regularizers as reg_cat
from symnn.catalogue.registry import ParamSpec, Registry, nonnegative, positive, real, unit
from symnn.nn import data as data_cat
from symnn.nn import optimizers as opt_cat

ROOT = Path(__file__).resolve().parents[2]

CATALOGUES = {
    "activation": (act_cat.REGISTRY, sn.activation, sn.activations),
    "loss": (loss_cat.REGISTRY, sn.loss, sn.losses),
    "regularizer": (reg_cat.REGISTRY, sn.regularizer, sn.regularizers),
    "initializer": (init_cat.REGISTRY, sn.initializer, sn.initializers),
    "optimizer": (opt_cat.REGISTRY, opt_cat.optimizer, sn.optimizers),
    "dataset": (data_cat.REGISTRY, None, sn.datasets),
}


@pytest.mark.parametrize("kind", CATALOGUES)
def test_every_catalogue_is_one_registry(kind):
    registry, _, listing = CATALOGUES[kind]
    assert isinstance(registry, Registry)
    assert registry.kind == kind
    assert listing() == registry.names()
    for alias, name in registry.aliases().items():
        assert registry.lookup(alias).name == name
        assert registry.lookup(alias.upper().replace("_", "-")).name == name


@pytest.mark.parametrize("kind", CATALOGUES)
def test_every_catalogue_suggests_the_closest_name(kind):
    registry, _, _ = CATALOGUES[kind]
    name = registry.names()[-1]
    typo = name[:-1] + ("x" if name[-1] != "x" else "y")
    with pytest.raises(ValueError, match=rf"unknown {kind} '{typo}'; did you mean '{name}'"):
        registry.lookup(typo)


@pytest.mark.parametrize("kind", [k for k in CATALOGUES if CATALOGUES[k][1] is not None])
def test_parameters_are_declared_one_way_and_checked(kind):
    registry, _, _ = CATALOGUES[kind]
    for entry in registry:
        for spec in entry.params:
            assert isinstance(spec, ParamSpec)
            assert spec.low <= spec.default <= spec.high
            assert spec.check(spec.default, entry.name) == pytest.approx(spec.default)
            if spec.low > -math.inf:
                below = spec.low - 1.0
                with pytest.raises(ValueError, match=rf"{entry.name} parameter {spec.name} must be in"):
                    spec.check(below, entry.name)
        with pytest.raises(ValueError, match=rf"{entry.name} has no parameter 'nonsense'"):
            entry.param("nonsense")


def test_out_of_range_parameters_are_refused_where_users_pass_them():
    with pytest.raises(ValueError, match=r"leaky_relu parameter alpha must be in \(0, inf\)"):
        sn.activation("leaky_relu", alpha=-0.1)
    with pytest.raises(ValueError, match=r"huber parameter delta must be in \(0, inf\)"):
        sn.loss("huber", delta=0)
    with pytest.raises(ValueError, match=r"quantile parameter tau must be in \[0, 1\]"):
        sn.loss("quantile", tau=1.5)
    with pytest.raises(ValueError, match=r"l2 parameter lam must be in \[0, inf\)"):
        sn.regularizer("l2", lam=-1)
    with pytest.raises(ValueError, match=r"adam parameter beta1 must be in \[0, 1\)"):
        sn.Network([2, 2, 1], seed=0).fit(np.eye(2), [0, 1], optimizer="adam", betas=(1, 1))


def test_parameter_symbols_follow_their_interval():
    assert positive("a", 1.0).sympy_symbol().is_positive
    assert nonnegative("a", 0.0).sympy_symbol().is_nonnegative
    assert nonnegative("a", 0.0).sympy_symbol().is_positive is None
    assert unit("a", 0.5).sympy_symbol() == sp.Symbol("a", nonnegative=True)
    assert real("a", -1.0).sympy_symbol() == sp.Symbol("a", real=True)
    assert positive("lambd", 0.5, symbol="lambda").sympy_symbol().name == "lambda"


def test_a_name_is_defined_once():
    registry = Registry("widget", "widgets()")
    from symnn.catalogue.registry import Entry

    registry.add(Entry(name="a", aliases=("b",)))
    with pytest.raises(ValueError, match="widget 'b' is defined twice"):
        registry.add(Entry(name="b"))


# -- what entries carry -------------------------------------------------------------------


@pytest.mark.parametrize("name", sn.activations())
def test_activation_entries_carry_their_init_symbol_and_bounds(name):
    act = sn.activation(name)
    entry = act_cat.REGISTRY[name]
    assert act.family == entry.family in act_cat.FAMILIES
    assert act.init == act_cat.FAMILIES[entry.family]
    assert isinstance(act.plain, str) and act.plain
    if act.bounds is not None:  # the closure of the range, checked against the analysis
        rng = act.properties.range
        lo, hi = act.bounds
        assert float(rng.inf) == pytest.approx(lo, abs=1e-12)
        assert float(rng.sup) == pytest.approx(hi, abs=1e-12)


def test_the_relu_family_gets_he_initialisation():
    he = {n for n in sn.activations() if sn.activation(n).init == "he_normal"}
    assert he == {"relu", "leaky_relu", "prelu", "relu6", "elu", "selu", "celu", "relu_squared",
                  "rrelu", "abrelu", "isrlu", "pelu", "pdelu", "satlin"}  # fmt: skip
    net = sn.Network([4, 8, 1], activation="relu", seed=0)
    assert net.init.name == "he_normal"
    assert sn.Network([4, 8, 1], activation="tanh", seed=0).init.name == "xavier_uniform"


@pytest.mark.parametrize("name", sn.losses())
def test_loss_entries_say_what_the_prediction_is(name):
    lo = sn.loss(name)
    assert lo.prediction in loss_cat.PREDICTIONS
    assert sn.activation(lo.output) if lo.output != "softmax" else True
    if lo.with_softmax is not None:
        assert sn.loss(lo.with_softmax).fused_softmax


def test_decision_thresholds_come_from_the_prediction_kind():
    assert sn.Network([2, 3, 1], loss="bce_with_logits").decision_threshold() == 0.0
    assert sn.Network([2, 3, 1], loss="hinge").decision_threshold() == 0.0
    assert sn.Network([2, 3, 1], loss="bce").decision_threshold() == 0.5
    # -1/+1 targets on a regression loss: the midpoint, in training and in the plots alike
    net = sn.Network([2, 3, 1], loss="mse", seed=0)
    X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([-1.0, 1.0])
    assert net.decision_threshold(y) == 0.0
    out = net.predict(X)[:, 0]
    assert net.accuracy(X, y) == np.mean((out > 0) == (y > 0))


def test_no_module_outside_the_catalogue_decides_by_an_entry_name():
    """`x.name == "sigmoid"`-style comparisons belong in catalogue entries (the tour may choose)."""
    allowed = {"catalogue", "views/tour.py"}
    entries = set()
    for registry, _, _ in CATALOGUES.values():
        entries |= {*registry.names(), *registry.aliases()}
    offenders = []
    for path in (ROOT / "symnn").rglob("*.py"):
        rel = path.relative_to(ROOT / "symnn").as_posix()
        if any(rel.startswith(a) for a in allowed):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            sides = [node.left, *node.comparators]
            names = [s for s in sides if isinstance(s, ast.Attribute) and s.attr == "name"]
            strings = []
            for s in sides:
                if isinstance(s, ast.Constant):
                    strings.append(s.value)
                elif isinstance(s, (ast.Tuple, ast.Set, ast.List)):
                    strings += [e.value for e in s.elts if isinstance(e, ast.Constant)]
            literal = [v for v in strings if isinstance(v, str) and v in entries]
            if names and literal:
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, f"name matching outside the catalogue: {offenders}"


# -- formulas wherever a name is accepted ------------------------------------------------------


def test_formulas_and_objectives_work_where_names_do():
    net = sn.Network([2, 3, 1], activation="x*tanh(x)", loss="(y-yhat)^4", seed=0)
    assert net.activations[0].expr == sp.Symbol("x", real=True) * sp.tanh(sp.Symbol("x", real=True))
    assert net.loss.derivative == -4 * (sn.loss("mse").y - sn.loss("mse").yhat) ** 3
    X = np.random.default_rng(0).normal(size=(8, 2))
    y = np.random.default_rng(1).normal(size=(8, 1))
    assert sn.gradcheck(net, X, y).passed
    l2 = sn.regularizer("l2", lam=0.1)
    regularised = sn.Network([2, 3, 1], loss=sn.loss("mse") + l2, seed=0)
    assert regularised.regularizers == [l2]
    plain = sn.Network([2, 3, 1], loss="mse", seed=0)
    h1 = regularised.fit(X, y, epochs=3, lr=0.1)
    h2 = plain.fit(X, y, epochs=3, lr=0.1, l2=0.1)
    np.testing.assert_allclose(h1.loss, h2.loss, rtol=1e-14)
    assert sn.Loss("(yhat - y)^2/2").derivative == sn.loss("mse").yhat - sn.loss("mse").y


# -- issue #15: the wider catalogue --------------------------------------------------------

#: The activations issue #15 names, by their catalogue names (aliases resolve too).
ISSUE_15 = [
    "squareplus", "soft_exponential", "snake", "serf", "relu_squared", "lisht", "elliott",
    "srs", "pdelu", "abrelu", "smish", "logish", "tanhexp", "swish", "hard_mish", "pau",
    "gelu", "gelu_tanh", "quick_gelu", "erf", "normal_cdf", "isrlu", "bipolar_sigmoid",
    "cloglog",
]  # fmt: skip
_SOURCE = re.compile(r"Reference|PyTorch|MATLAB|SymPy|timm|\b(19|20)\d\d\b")


def test_the_catalogue_has_every_activation_the_issue_names_and_60_in_all():
    assert len(sn.activations()) >= 60
    for name in ISSUE_15:
        assert sn.activation(name).name in sn.activations()
    assert "beta" in {p.name for p in sn.activation("swish").params}  # swish with its beta
    # the logit is not an entry: it is defined on (0, 1) only, the catalogue on the real line
    with pytest.raises(ValueError, match="unknown activation"):
        sn.activation("logit")


@pytest.mark.parametrize("name", sn.activations())
def test_every_entry_names_its_source_and_its_kink_convention(name):
    doc = act_cat.REGISTRY[name].doc
    assert _SOURCE.search(doc), f"{name}: name the paper or library in its doc"
    if sn.activation(name).kinks:
        assert "derivative" in doc.lower(), f"{name}: say what the derivative is at its kinks"


def test_pau_has_the_papers_safe_denominator_and_default_coefficients():
    pau = sn.activation("pau")
    assert pau.family == "rational" and sn.activations(family="rational") == ["pau"]
    x = pau.symbol
    values = {s.name: v for s, v in pau.params.items()}
    assert values["a0"] == 3.35583603e-02 and values["b4"] == 3.01830109e-01
    a = [values[f"a{j}"] for j in range(6)]
    b = [values[f"b{k}"] for k in range(1, 5)]
    for t in (-2.5, -0.3, 0.0, 0.7, 3.0):  # P(x) / (1 + sum |b_k| |x|^k), by hand
        p = sum(c * t**j for j, c in enumerate(a))
        q = 1 + sum(abs(c) * abs(t) ** k for k, c in enumerate(b, start=1))
        assert float(pau(t)) == pytest.approx(p / q, rel=1e-14)
    # safe for any coefficients: the denominator is at least 1
    bad = pau.with_params(b1=-5.0, b2=-3.0, b3=-1.0, b4=-2.0)
    ts = np.linspace(-3, 3, 61)
    assert np.all(np.isfinite(bad(ts)))
    assert sp.Abs(x) in pau.expr.atoms(sp.Abs)
    # near leaky ReLU (slope 0.01) on [-3, 3], as the coefficients were fitted
    lrelu = np.where(ts > 0, ts, 0.01 * ts)
    assert np.max(np.abs(pau(ts) - lrelu)) < 0.1


def test_srs_refuses_parameters_with_a_pole():
    srs = sn.activation("srs")
    assert float(srs(1e3)) == pytest.approx(2.0)  # tends to alpha
    with pytest.raises(ValueError, match="beta < e\\*alpha"):
        sn.activation("srs", alpha=1.0, beta=3.0)
    sn.activation("srs", alpha=1.2, beta=3.0)  # 3 < 1.2 e: fine


def test_cloglog_saturates_without_overflow():
    f = sn.activation("cloglog")
    with np.errstate(all="raise", under="ignore"):
        np.testing.assert_array_equal(f([-1e300, 1e3, 1e300]), [0.0, 1.0, 1.0])
        np.testing.assert_array_equal(f.grad([-1e300, 1e3, 1e300]), [0.0, 0.0, 0.0])
    assert float(f(-40.0)) == pytest.approx(np.exp(-40.0), rel=1e-15)  # 1 - e^(-e^x) ~ e^x


@pytest.mark.parametrize("name", sn.activations())
def test_every_name_takes_a_prime_without_a_double_superscript(name):
    """``\\operatorname{ReLU}^2'`` stops pdflatex ("Double superscript"): a name ending in an
    exponent is braced, so f', f'' and f^{(4)} all compile."""
    act = sn.activation(name)
    depth = 0
    for ch in act.tex:  # no superscript at the top level of the name
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert not (ch == "^" and depth == 0), f"{name}: {act.tex!r} needs braces"
    if name == "relu_squared":
        assert act.lhs(1) == r"{\operatorname{ReLU}^2}'(x)"
        assert act.lhs(4) == r"{\operatorname{ReLU}^2}^{(4)}(x)"
