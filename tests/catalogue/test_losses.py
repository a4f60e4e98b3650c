"""Losses: every catalogue entry against a 600-digit mpmath oracle, finite differences,
PyTorch (when installed), hypothesis properties, clear errors and renderable LaTeX."""

from __future__ import annotations

import functools
import importlib
import io
import math

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from matplotlib import mathtext

from symnn.catalogue.loss import K
from symnn.catalogue.losses import loss, losses, y, yhat
from tests.loss_oracle import DPS, REL, compare, magnitude_function, mp_function

L = importlib.import_module("symnn.catalogue.losses")

NAMES = losses()
ELEMENTWISE = [n for n in NAMES if not loss(n).fused_softmax]

# Variants beyond the defaults that get the full oracle treatment.
VARIANTS = {
    "huber/delta=0.5": ("huber", {"delta": 0.5}),
    "smooth_l1/beta=2": ("smooth_l1", {"beta": 2.0}),
    "quantile/tau=0.1": ("quantile", {"tau": 0.1}),
    "quantile/tau=0.9": ("quantile", {"tau": 0.9}),
    "poisson_nll/log_input=False": ("poisson_nll", {"log_input": False}),
    "mse/sum": ("mse", {"reduction": "sum"}),
    "kl_div/mean": ("kl_div", {"reduction": "mean"}),
}
CASES = {n: (n, {}) for n in ELEMENTWISE} | VARIANTS


def make(key: str) -> L.Loss:
    name, params = CASES[key]
    return loss(name, **params)


# ------------------------------------------------------------------------------
# Inputs: extreme grids per domain, and random interior points
# ------------------------------------------------------------------------------

EXTREME = [-1000.0, -40.0, -1.0, -1e-8, -1e-300, 0.0, 1e-300, 1e-8, 0.5, 1.0, 40.0, 1000.0]
PROBS = [0.0, 1e-300, 1e-200, 1e-20, 1e-8, 0.1, 0.5, 0.9, 1 - 1e-8, 1 - 2**-53, 1.0]
TARGET_PROBS = [0.0, 1.0, 0.5, 0.3, 1e-300, 1 - 2**-53, 0.999]
LOG_PROBS = [-1000.0, -40.0, -1.0, -1e-8, -1e-300, 0.0]
COUNTS = [0.0, 1e-300, 0.5, 1.0, 3.0, 1000.0]

GRIDS = {
    "binary_cross_entropy": (PROBS, TARGET_PROBS),
    "binary_cross_entropy_with_logits": (EXTREME, TARGET_PROBS),
    "categorical_cross_entropy": (PROBS, TARGET_PROBS),
    "nll": (LOG_PROBS, TARGET_PROBS),
    "hinge": ([*EXTREME, -1 - 2**-52, 1 - 2**-53, 1 + 2**-52], [-1.0, 1.0]),
    "squared_hinge": ([*EXTREME, -1 - 2**-52, 1 - 2**-53, 1 + 2**-52], [-1.0, 1.0]),
    "kl_div": (EXTREME, [0.0, 1e-300, 1e-20, 0.3, 1.0, 5.0]),
    "poisson_nll": ([-1000.0, -40.0, -1.0, -1e-300, 0.0, 1e-300, 1.0, 40.0, 700.0], COUNTS),
    "poisson_nll/log_input=False": ([0.0, 1e-300, 1e-8, 0.5, 3.0, 1000.0], COUNTS),
}


# Points at or next to the optimum, where the inherent cancellations of tests/loss_oracle.py occur.
OPTIMA = {
    "binary_cross_entropy": [(0.3, 0.3), (0.3, 0.30000000001), (0.7, 0.7000001), (0.5, 0.5)],
    "binary_cross_entropy_with_logits": [
        (math.log(0.3 / 0.7), 0.3),
        (0.0, 0.5),
        (0.0, 0.5000001),
        (-1e-9, 0.5),
    ],
    "categorical_cross_entropy": [(0.3, 0.3), (1.0, 1.0)],
    "poisson_nll": [(math.log(3.0), 3.0), (0.0, 1.0), (math.log(2.5), 2.5), (1e-9, 1.0)],
    "poisson_nll/log_input=False": [(3.0, 3.0), (2.5, 2.5000001)],
    "kl_div": [(math.log(0.3), 0.3), (0.0, 1.0), (-1e-9, 1.0)],
    "hinge": [(1.0, 1.0), (-1.0, -1.0)],
    "nll": [(-1e-300, 1.0), (-1e-12, 1.0)],
    "squared_hinge": [(1.0, 1.0), (-1.0, -1.0)],
}
_REGRESSION_OPTIMA = [(0.1, 0.1 + 1e-12), (1.0, 1.0), (2.0, 1.0), (0.0, 1.0), (0.0, -1.0)]


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def interior(key: str, rng: np.random.Generator, n: int = 6, k: int = 3):
    """Random (yhat, y) inside the loss's domain, away from kinks and clamps."""
    lo = make(key)
    name = CASES[key][0] if key in CASES else key
    rows = (n, k)
    if name == "binary_cross_entropy":
        return rng.uniform(0.02, 0.98, n), rng.uniform(0, 1, n)
    if name == "binary_cross_entropy_with_logits":
        return rng.normal(0, 3, n), rng.uniform(0, 1, n)
    if name == "categorical_cross_entropy":
        return _softmax(rng.normal(0, 1, rows)), _softmax(rng.normal(0, 1, rows))
    if name == "nll":
        z = rng.normal(0, 1, rows)
        return np.log(_softmax(z)), np.eye(k)[rng.integers(0, k, n)]
    if name in ("hinge", "squared_hinge"):
        return rng.normal(0, 2, n), rng.choice([-1.0, 1.0], n)
    if name == "kl_div":
        return np.log(_softmax(rng.normal(0, 1, rows))), _softmax(rng.normal(0, 1, rows))
    if name == "poisson_nll":
        if lo.options.get("log_input", True):
            return rng.normal(0, 1, n), rng.poisson(2.0, n).astype(float)
        return rng.uniform(0.1, 4, n), rng.poisson(2.0, n).astype(float)
    return rng.normal(0, 2, n), rng.normal(0, 2, n)


def pairs(key: str):
    """Every pair of the extreme grid plus random interior pairs, as two 1-D arrays."""
    ys, ts = GRIDS.get(key, GRIDS.get(CASES[key][0], (EXTREME, EXTREME)))
    a, t = (np.array(v, dtype=np.float64).ravel() for v in np.meshgrid(ys, ts))
    ra, rt = interior(key, np.random.default_rng(7), n=12)
    near = OPTIMA.get(key, OPTIMA.get(CASES[key][0], _REGRESSION_OPTIMA))
    na, nt = np.array(near).T
    return np.concatenate([a, np.ravel(ra), na]), np.concatenate([t, np.ravel(rt), nt])


@functools.cache
def oracle(key: str):
    """True values, gradients and error scales at :func:`pairs`, at 600 digits."""
    lo = make(key)
    a, t = pairs(key)
    subs = {p: sp.Float(v, 30) for p, v in lo.params.items()}
    out = {}
    for order, expr in ((0, lo.numeric_expr), (1, lo.numeric_gradient)):
        expr = expr.xreplace(subs)
        f = mp_function(expr, (yhat, y))
        inherent = key if key in ("poisson_nll/log_input=False",) else CASES[key][0]
        m = magnitude_function(inherent, order, expr)
        out[order] = (
            [f(u, v) for u, v in zip(a, t, strict=True)],
            [m(u, v) for u, v in zip(a, t, strict=True)],
        )
    return a, t, out


# ------------------------------------------------------------------------------
# Accuracy against mpmath
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(CASES))
@pytest.mark.parametrize("order", [0, 1])
def test_compiled_elementwise_matches_mpmath(key, order):
    lo = make(key)
    a, t, out = oracle(key)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = lo.compiled(order)(a, t)
    failures = compare(got, *out[order])
    assert not failures, f"{key} order {order}:\n" + "\n".join(failures[:8])


@pytest.mark.parametrize("key", sorted(CASES))
def test_reduced_value_and_gradient_match_mpmath(key):
    lo = make(key)
    a, t, out = oracle(key)
    if lo.rowwise:  # one class per row: the row sums are the elements themselves
        a, t = a[:, None], t[:, None]
    n = lo.divisor(a.shape)
    values, scales = out[0]
    with mpmath.workdps(60):
        true = mpmath.fsum(values) / n
        scale = mpmath.fsum(scales) / n
    got = lo.value(a, t)
    assert abs(mpmath.mpf(got) - true) <= REL * max(scale, abs(true)), (key, got, true)
    grads, gscales = out[1]
    failures = compare(lo.grad(a, t), [g / n for g in grads], [s / n for s in gscales])
    assert not failures, f"{key}:\n" + "\n".join(failures[:8])


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if loss(n).numeric_expr != loss(n).expr])
def test_numeric_form_equals_the_definition_where_no_clamp_is_active(name):
    lo = loss(name)
    a, t = interior(name, np.random.default_rng(3), n=8)
    a, t = np.ravel(a), np.ravel(t)
    for order, (defn, num) in enumerate(
        [(lo.expr, lo.numeric_expr), (lo.gradient, lo.numeric_gradient)]
    ):
        f, g = mp_function(defn, (yhat, y), lo.params), mp_function(num, (yhat, y), lo.params)
        for u, v in zip(a, t, strict=True):
            if v == 0 and order == 0 and name == "kl_div":
                continue
            assert abs(f(u, v) - g(u, v)) <= 1e-30 * (1 + abs(f(u, v))), (name, order, u, v)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_display_gradient_is_the_derivative_of_expr(name):
    """``gradient`` (tidied) equals ``diff(expr)`` at random interior points, at 600 digits."""
    lo = loss(name)
    raw = sp.diff(lo.expr, yhat)
    a, t = interior(name, np.random.default_rng(5), n=6)
    f, g = mp_function(lo.gradient, (yhat, y), lo.params), mp_function(raw, (yhat, y), lo.params)
    for u, v in zip(np.ravel(a), np.ravel(t), strict=True):
        assert abs(f(u, v) - g(u, v)) <= 1e-30 * (1 + abs(g(u, v))), (name, u, v)


# ------------------------------------------------------------------------------
# Softmax cross-entropy: the row-wise, fused case
# ------------------------------------------------------------------------------


@functools.cache
def softmax_oracle(k: int):
    """Value and gradient functions of the indexed definition, expanded for *k* classes."""
    lo = loss("softmax_cross_entropy")
    zs = sp.symbols(f"z0:{k}", real=True)
    ts = sp.symbols(f"t0:{k}", real=True)
    e = lo.expr.subs(K, k).doit()
    e = e.xreplace(
        {lo.yhat[j + 1]: zs[j] for j in range(k)} | {lo.y[j + 1]: ts[j] for j in range(k)}
    )
    value = mp_function(e, (*zs, *ts))
    grads = [mp_function(sp.diff(e, zs[c]), (*zs, *ts)) for c in range(k)]
    return value, grads


SOFTMAX_ROWS = [
    ([1000.0, -1000.0, 0.0], [0.0, 1.0, 0.0]),
    ([1000.0, -1000.0, 0.0], [1.0, 0.0, 0.0]),
    ([40.0, 0.0, 0.0], [1.0, 0.0, 0.0]),
    ([20.0, 0.0, -3.0], [1.0, 0.0, 0.0]),
    ([0.0, 0.0, 0.0], [0.0, 0.0, 1.0]),
    ([-1000.0, -1000.0, -1000.0], [0.0, 1.0, 0.0]),
    ([1e-300, 0.0, -1e-300], [0.2, 0.3, 0.5]),
    ([3.0, 3.0, -2.0], [0.5, 0.5, 0.0]),
    ([700.0, 699.0, -5.0], [0.9, 0.05, 0.05]),
    ([-2.5, 1.5, 0.25], [0.1, 0.7, 0.2]),
]


def test_softmax_cross_entropy_matches_mpmath_on_extreme_rows():
    lo = loss("softmax_cross_entropy")
    z = np.array([r[0] for r in SOFTMAX_ROWS])
    t = np.array([r[1] for r in SOFTMAX_ROWS])
    value, grads = softmax_oracle(3)
    true_rows = [value(*zr, *tr) for zr, tr in zip(z, t, strict=True)]
    assert not compare(lo.elementwise(z, t), true_rows, [abs(v) for v in true_rows])
    n = len(z)
    true = mpmath.fsum(true_rows) / n
    assert abs(mpmath.mpf(lo.value(z, t)) - true) <= REL * abs(true)
    got = lo.grad(z, t)
    for r, (zr, tr) in enumerate(zip(z, t, strict=True)):
        true_g = [g(*zr, *tr) / n for g in grads]
        with mpmath.workdps(DPS):  # the two terms p_j sum(y)_(-j) and y_j (1 - p_j)
            m = [mpmath.exp(mpmath.mpf(zj)) for zj in zr]
            p = [mj / mpmath.fsum(m) for mj in m]
            tot = mpmath.fsum([mpmath.mpf(v) for v in tr])
            scale = [(p[j] * (tot - tr[j]) + tr[j] * (1 - p[j])) / n for j in range(3)]
        failures = compare(got[r], true_g, scale)
        assert not failures, (zr, tr, failures)


def test_softmax_gradient_is_softmax_minus_target():
    lo = loss("cross_entropy")
    assert lo.fused_softmax and lo.rowwise
    j, k = sp.symbols("j k", integer=True, positive=True)
    expected = sp.exp(lo.yhat[j]) / sp.Sum(sp.exp(lo.yhat[k]), (k, 1, K)) - lo.y[j]
    assert sp.simplify(lo.gradient - expected) == 0
    z = np.array([[2.0, 0.0, -1.0], [0.5, 0.5, 0.5]])
    idx = np.array([0, 2])
    np.testing.assert_allclose(lo.grad(z, idx), (_softmax(z) - np.eye(3)[idx]) / 2, rtol=1e-14)
    np.testing.assert_allclose(lo.grad(z, np.eye(3)[idx]), lo.grad(z, idx), rtol=0)


def test_class_indices_and_one_hot_agree_for_every_row_wise_loss():
    rng = np.random.default_rng(0)
    for name in ("softmax_cross_entropy", "categorical_cross_entropy", "nll"):
        lo = loss(name)
        z = rng.normal(0, 1, (5, 4))
        a = {"softmax_cross_entropy": z, "categorical_cross_entropy": _softmax(z)}.get(
            name, np.log(_softmax(z))
        )
        idx = rng.integers(0, 4, 5)
        assert lo.value(a, idx) == lo.value(a, np.eye(4)[idx])
        np.testing.assert_array_equal(lo.grad(a, idx), lo.grad(a, np.eye(4)[idx]))
        assert lo.elementwise(a, idx).shape == (5,)
    # the three agree: softmax CE on logits = CCE on softmax = NLL on log-softmax
    values = [
        loss("cross_entropy").value(z, idx),
        loss("cce").value(_softmax(z), idx),
        loss("nll").value(np.log(_softmax(z)), idx),
    ]
    np.testing.assert_allclose(values, values[0], rtol=1e-13)


def test_one_sample_as_a_vector():
    lo = loss("cross_entropy")
    assert lo.value([1.0, 2.0, 3.0], 2) == pytest.approx(
        math.log(sum(math.exp(v) for v in (1, 2, 3))) - 3
    )
    assert lo.grad([1.0, 2.0, 3.0], 2).shape == (3,)


# ------------------------------------------------------------------------------
# Gradients against central finite differences of the reduced value
# ------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [*sorted(CASES), "softmax_cross_entropy"])
def test_gradient_matches_finite_differences(key):
    rng = np.random.default_rng(11)
    if key == "softmax_cross_entropy":
        lo = loss(key)
        a, t = rng.normal(0, 2, (4, 3)), np.eye(3)[rng.integers(0, 3, 4)]
    else:
        lo = make(key)
        a, t = interior(key, rng, n=5, k=3)
    g = lo.grad(a, t)
    assert g.shape == np.shape(a)
    fd = np.zeros_like(a)
    for idx in np.ndindex(a.shape):
        h = 1e-6 * max(1.0, abs(a[idx]))
        up, down = a.copy(), a.copy()
        up[idx] += h
        down[idx] -= h
        fd[idx] = (lo.value(up, t) - lo.value(down, t)) / (2 * h)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


# ------------------------------------------------------------------------------
# Conventions at kinks and clamps (PyTorch's choices)
# ------------------------------------------------------------------------------


def test_subgradients_at_kinks():
    assert loss("mae").grad([1.0, 2.0], [1.0, 0.0]).tolist() == [0.0, 0.5]
    assert loss("hinge").grad([1.0, -1.0, 0.5], [1.0, -1.0, 1.0]).tolist() == [0.0, 0.0, -1 / 3]
    assert loss("quantile", tau=0.2).elementwise([1.0], [1.0]).tolist() == [0.0]
    assert loss("quantile", tau=0.2).grad([1.0, 0.0, 2.0], [1.0, 1.0, 1.0]).tolist() == [
        0.0,
        -0.2 / 3,
        0.8 / 3,
    ]
    # Huber is C1: at |u| = delta both formulas give +-delta
    assert loss("huber", delta=2.0, reduction="sum").grad([3.0, -1.0], [1.0, 1.0]).tolist() == [
        2.0,
        -2.0,
    ]
    assert loss("smooth_l1", reduction="sum").grad([2.0, 0.5], [1.0, 0.0]).tolist() == [1.0, 0.5]


def test_probability_cross_entropy_clamps_the_log_at_minus_100():
    bce = loss("bce", reduction="sum")
    assert bce.elementwise([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]).tolist() == [
        100.0,
        100.0,
        0.0,
        0.0,
    ]
    assert bce.grad([0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0]).tolist() == [0.0, 0.0, 1.0, -1.0]
    cce = loss("cce")
    assert cce.elementwise([[0.0, 1.0]], [[1.0, 0.0]]).tolist() == [100.0]
    assert cce.value([[0.0, 1.0]], [[0.0, 1.0]]) == 0.0  # 0 log 0 = 0
    assert loss("kl_div").elementwise([[-3.0, 0.0]], [[0.0, 1.0]]).tolist() == [[0.0, 0.0]]


def test_bce_with_logits_needs_no_clamp():
    lo = loss("bce_with_logits", reduction="sum")
    assert lo.elementwise([1000.0, -1000.0], [0.0, 1.0]).tolist() == [1000.0, 1000.0]
    g = lo.grad([40.0, -40.0], [1.0, 0.0])
    assert g[0] == pytest.approx(-math.exp(-40) / (1 + math.exp(-40)), rel=1e-15)
    assert g[1] == pytest.approx(math.exp(-40) / (1 + math.exp(-40)), rel=1e-15)


def test_log_cosh_does_not_overflow():
    lo = loss("log_cosh", reduction="sum")
    assert lo.value([1000.0], [-1000.0]) == pytest.approx(2000 - math.log(2), rel=1e-15)
    assert lo.grad([1000.0], [-1000.0]).tolist() == [1.0]


# ------------------------------------------------------------------------------
# Reductions and shapes (hypothesis)
# ------------------------------------------------------------------------------

_floats = st.floats(-50, 50, allow_nan=False, allow_infinity=False)


@given(
    a=hnp.arrays(
        np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=5), elements=_floats
    ),
    data=st.data(),
    name=st.sampled_from(["sse", "mse", "mae", "huber", "smooth_l1", "log_cosh", "quantile"]),
)
def test_reductions_are_sum_and_mean_of_the_elementwise_losses(a, data, name):
    t = data.draw(hnp.arrays(np.float64, a.shape, elements=_floats))
    lo = loss(name)
    per = lo.elementwise(a, t)
    assert per.shape == a.shape
    s = lo.with_reduction("sum")
    assert s.value(a, t) == pytest.approx(float(np.sum(per)), rel=1e-12, abs=1e-300)
    assert lo.with_reduction("mean").value(a, t) == pytest.approx(
        float(np.sum(per)) / a.size, rel=1e-12, abs=1e-300
    )
    np.testing.assert_allclose(
        lo.with_reduction("mean").grad(a, t) * a.size, s.grad(a, t), rtol=1e-14, atol=1e-300
    )
    assert lo.with_reduction("batchmean").value(a, t) == pytest.approx(
        float(np.sum(per)) / a.shape[0], rel=1e-12, abs=1e-300
    )


@given(
    n=st.integers(1, 6),
    k=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
)
def test_row_wise_losses_average_over_rows(n, k, seed):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 5, (n, k))
    idx = rng.integers(0, k, n)
    for lo, a in (
        (loss("cross_entropy"), z),
        (loss("cce"), _softmax(z)),
        (loss("nll"), np.log(_softmax(z))),
    ):
        rows = lo.elementwise(a, idx)
        assert rows.shape == (n,)
        assert lo.value(a, idx) == pytest.approx(float(np.sum(rows)) / n, rel=1e-13)
        g = lo.grad(a, idx)
        assert g.shape == (n, k)
        assert np.all(np.isfinite(g))
    # the softmax gradient's rows sum to 0 (probabilities minus a distribution)
    np.testing.assert_allclose(loss("cross_entropy").grad(z, idx).sum(axis=1), 0, atol=1e-15)


# ------------------------------------------------------------------------------
# PyTorch float64 agreement (optional)
# ------------------------------------------------------------------------------


def _torch_losses(torch):
    F = torch.nn.functional
    return {
        "sse": lambda a, t: F.mse_loss(a, t, reduction="sum"),
        "mse": lambda a, t: F.mse_loss(a, t),
        "mae": lambda a, t: F.l1_loss(a, t),
        "huber": lambda a, t: F.huber_loss(a, t, delta=1.0),
        "smooth_l1": lambda a, t: F.smooth_l1_loss(a, t, beta=1.0),
        "log_cosh": lambda a, t: torch.log(torch.cosh(a - t)).mean(),
        "binary_cross_entropy": F.binary_cross_entropy,
        "binary_cross_entropy_with_logits": F.binary_cross_entropy_with_logits,
        "categorical_cross_entropy": lambda p, t: (
            -(t * torch.log(p).clamp(min=-100)).sum(-1).mean()
        ),
        "softmax_cross_entropy": lambda z, t: F.cross_entropy(z, t),
        "nll": lambda x, t: F.nll_loss(x, t.argmax(dim=-1)),
        "hinge": lambda a, t: torch.relu(1 - t * a).mean(),
        "squared_hinge": lambda a, t: torch.relu(1 - t * a).pow(2).mean(),
        "kl_div": lambda a, t: F.kl_div(a, t, reduction="batchmean"),
        "poisson_nll": lambda a, t: F.poisson_nll_loss(a, t),
        "quantile": lambda a, t: torch.maximum(0.5 * (t - a), (0.5 - 1) * (t - a)).mean(),
    }


@pytest.mark.parametrize("name", NAMES)
def test_agrees_with_pytorch_float64(name):
    torch = pytest.importorskip("torch")
    known = _torch_losses(torch)
    if name not in known:
        pytest.skip(f"PyTorch has no {name} (compared with mpmath and finite differences instead)")
    fn = known[name]
    rng = np.random.default_rng(2)
    if name == "softmax_cross_entropy":
        a, t = rng.normal(0, 3, (6, 4)), np.eye(4)[rng.integers(0, 4, 6)]
    else:
        a, t = interior(name, rng, n=6, k=4)
    lo = loss(name)
    ta = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(t, dtype=torch.float64)
    out = fn(ta, tt)
    out.backward()
    assert lo.value(a, t) == pytest.approx(out.item(), rel=1e-12)
    np.testing.assert_allclose(lo.grad(a, t), ta.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_pytorch_cross_entropy_with_class_indices_and_soft_targets():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    rng = np.random.default_rng(4)
    z = rng.normal(0, 3, (5, 3))
    idx = rng.integers(0, 3, 5)
    soft = _softmax(rng.normal(0, 1, (5, 3)))
    for t, tt in ((idx, torch.tensor(idx)), (soft, torch.tensor(soft))):
        tz = torch.tensor(z, requires_grad=True)
        out = F.cross_entropy(tz, tt)
        out.backward()
        lo = loss("cross_entropy")
        assert lo.value(z, t) == pytest.approx(out.item(), rel=1e-12)
        np.testing.assert_allclose(lo.grad(z, t), tz.grad.numpy(), rtol=1e-10, atol=1e-15)


# ------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "a", "t", "message"),
    [
        ("mse", [1.0, 2.0], [[1.0], [2.0]], r"yhat has shape \(2,\) but y has shape \(2, 1\)"),
        ("mse", [1.0, float("nan")], [1.0, 2.0], r"mse: yhat contains nan at index \(1,\)"),
        ("mae", [1.0, 2.0], [1.0, float("inf")], r"y contains inf at index \(1,\)"),
        ("mse", [], [], "yhat is empty"),
        (
            "bce",
            [0.5, 1.2],
            [0.0, 1.0],
            r"predictions yhat must be in \[0, 1\], got 1.2 .*with_logits",
        ),
        ("bce", [0.5, 0.2], [0.0, 1.5], r"targets y must be in \[0, 1\], got 1.5 at index \(1,\)"),
        (
            "hinge",
            [0.5, 0.2],
            [0.0, 1.0],
            r"hinge: targets y must be in \{-1, \+1\}, got 0.0 .*2\*y - 1",
        ),
        ("kl_div", [-1.0], [-0.5], r"targets y must be in \[0, inf\), got -0.5"),
        (
            "cross_entropy",
            [[1.0, 2.0]],
            [2],
            r"class index 2 at index \(0,\) is out of range for 2 classes",
        ),
        ("cross_entropy", [[1.0, 2.0]], [0.5], "class indices must be integers, got 0.5"),
        ("cross_entropy", [[1.0, 2.0]], [[0.5, 0.6]], r"row \(0,\) sums to 1.1"),
        (
            "cross_entropy",
            [[1.0, 2.0]],
            [[1.0, 0.0, 0.0]],
            r"shape \(1, 2\) \(one-hot .*\(1,\) \(class indices\)",
        ),
        (
            "nll",
            [[0.5, -1.0]],
            [0],
            r"must be in \(-inf, 0\] \(log-probabilities\), got 0.5.*log_softmax",
        ),
        ("cce", [[0.5, 1.5]], [0], r"for logits use loss\('softmax_cross_entropy'\)"),
        ("mse", ["a"], [1.0], "must be numbers"),
        ("cross_entropy", 1.0, 0, "must have a class axis"),
        ("poisson_nll", [1.0], [-1.0], r"targets y must be in \[0, inf\)"),
    ],
)
def test_bad_input_gives_a_clear_error(name, a, t, message):
    lo = loss(name)
    with pytest.raises((ValueError, TypeError), match=message):
        lo.value(a, t)
    with pytest.raises((ValueError, TypeError), match=message):
        lo.grad(a, t)


def test_unknown_names_suggest_the_closest():
    with pytest.raises(
        ValueError,
        match=r"unknown loss 'hubr'; did you mean 'huber'\? \(symnn.losses\(\) lists them all\)",
    ):
        loss("hubr")
    with pytest.raises(ValueError, match="unknown reduction 'avg'"):
        loss("mse", reduction="avg")
    with pytest.raises(ValueError, match=r"huber has no parameter 'delt'; did you mean 'delta'\?"):
        loss("huber", delt=2)
    with pytest.raises(ValueError, match=r"huber parameter delta must be in \(0, inf\), got -1.0"):
        loss("huber", delta=-1)
    with pytest.raises(ValueError, match=r"quantile parameter tau must be in \[0, 1\], got 1.5"):
        loss("quantile", tau=1.5)
    with pytest.raises(TypeError, match="log_input must be True or False"):
        loss("poisson_nll", log_input=1)


def test_aliases_resolve():
    for alias, name in L.loss_aliases().items():
        assert loss(alias).name == name
    assert (
        loss("L1").name == "mae"
        and loss("l2").name == "mse"
        and loss("BCE").name == "binary_cross_entropy"
    )
    assert (
        loss("Cross-Entropy").name == "softmax_cross_entropy" and loss("pinball").name == "quantile"
    )


# ------------------------------------------------------------------------------
# Symbolic views and LaTeX
# ------------------------------------------------------------------------------


def test_sse_is_the_seeds_loss():
    lo = loss("sse")
    assert lo.reduction == "sum"
    assert sp.expand(lo.expr - (y - yhat) ** 2) == 0
    assert sp.expand(lo.gradient - 2 * (yhat - y)) == 0
    assert lo.value([1.0, 3.0], [0.0, 0.0]) == 10.0
    assert lo.latex() == r"L = \sum_{i=1}^{n} \left(y_{i} - \hat{y}_{i}\right)^{2}"


def test_with_params_substitutes_everywhere():
    h = loss("huber", delta=2)
    assert h.expr.free_symbols == {yhat, y} and list(h.params.values()) == [2.0]
    assert "delta" not in h.latex() and r"\delta" not in h.latex("gradient")
    assert h.value([3.0], [0.0]) == 2 * (3 - 1)
    assert loss("huber").value([3.0], [0.0]) == 3 - 0.5
    assert loss("quantile", tau=0.9).value([0.0], [1.0]) == pytest.approx(0.9)


def test_user_defined_loss():
    a, t = sp.symbols("yhat y")
    c = sp.Symbol("c")
    lo = L.Loss(c * (a - t) ** 4, name="quartic", params={"c": 0.5}, reduction="sum")
    assert lo.value([2.0], [0.0]) == 8.0
    assert lo.with_params(c=1).grad([2.0], [0.0]).tolist() == [32.0]
    with pytest.raises(ValueError, match="free symbol"):
        L.Loss(a - t + sp.Symbol("q"))


def test_symbolic_pieces_for_code_generation():
    lo = loss("mse")
    assert lo.yhat == yhat and lo.y == y and not lo.fused_softmax and not lo.rowwise
    assert lo.domain.is_real_line
    assert loss("bce").domain.text == "[0, 1]" and loss("hinge").domain.values == (-1.0, 1.0)
    assert (
        lo.divisor((4, 3)) == 12
        and loss("nll").divisor((4, 3)) == 4
        and loss("kl_div").divisor((4, 3)) == 4
    )
    assert loss("sse").divisor((4, 3)) == 1
    assert "kernels.log_cosh" in loss("log_cosh").compiled(0).source
    assert "logaddexp" in loss("bce_with_logits").compiled(0).source


_PARSER = mathtext.MathTextParser("path")


def _renders(s: str) -> None:
    """Parse and lay out with mathtext (raises ValueError on what mathtext lacks)."""
    _PARSER.parse(f"${s}$")


@pytest.mark.parametrize("name", NAMES)
def test_latex_renders_with_mathtext(name):
    lo = loss(name)
    mathtext.math_to_image(f"${lo.latex()}$", io.BytesIO(), format="png")  # one full render
    for part in ("element", "gradient"):
        _renders(lo.latex(part))
    _renders(lo.with_reduction("sum").latex("gradient"))
    if lo.params:
        _renders(lo.with_params(**{kw: 0.25 for kw in lo.kwnames.values()}).latex("gradient"))
    assert lo._repr_latex_().startswith("$")
    assert name in repr(lo)


def test_latex_writes_the_reduction_out():
    assert loss("mse").latex().startswith(r"L = \frac{1}{n} \sum_{i=1}^{n} ")
    assert loss("cce").latex().startswith(r"L = -\frac{1}{n} \sum_{i=1}^{n} \sum_{j=1}^{K} ")
    assert loss("kl_div").latex().startswith(r"L = \frac{1}{n} \sum_{i=1}^{n} \sum_{j=1}^{K} ")
    assert r"\frac{1}{n}" not in loss("sse").latex("gradient")
    assert loss("mse").latex("gradient").endswith("{n}")
    assert r"\theta" in loss("hinge").latex("gradient")
