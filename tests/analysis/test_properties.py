"""Properties of the activations against exact values, mpmath oracles and the numbers.

Three independent checks:

1. A table of expected values for the catalogue entries (a new entry needs
   no row: tests/analysis/test_oracle.py checks every entry), compared exactly
   (SymPy equality) or, where the value is not known in closed form, to 1e-12
   against a reference computed here with mpmath at 50 digits (SiLU's minimum
   is -W(1/e) at x = -1 - W(1/e); sinc's minimum solves tan x = x near 4.49;
   GELU's, GELU-tanh's and Mish's solve f'(x) = 0 near -0.75 and -1.19).
2. For every activation, the claims against the compiled functions on a
   dense grid: the range contains act(x) and its ends are approached, the
   claimed monotonicity of f and f' agrees with the differences of act(x)
   and act.grad(x), f(0), f'(0) and the limits agree with act and act.grad,
   and at every kink the claimed derivative really jumps.
3. User-defined activations (Max, Heaviside, Abs, sin(x)/x, ...) and
   parameter sweeps (hypothesis) go through the same analysis.

The widely published table of activation functions (Wikipedia's "Activation
function" article: range, order of continuity, monotonic, monotonic
derivative, approximates identity near the origin) agrees with these values
except where noted:

* SQNL: published range (-1, 1) — wrong, the range is closed [-1, 1]: f(x) = 1
  for every x >= 2 and -1 for x <= -2, so +-1 is attained. Published order of
  continuity C^2 — wrong, it is C^1: f' is continuous (1 - x/2 and 1 + x/2 meet
  at 1 at x = 0, and both vanish at +-2), but f'' jumps from 1/2 to -1/2 at 0 and
  from -+1/2 to 0 at +-2 (SymPy: one-sided limits of the pieces' second
  derivatives differ at -2, 0 and 2).
* Binary step, "monotonic derivative": the derivative does not exist at 0; with
  the catalogue's convention (f'(0) = 0, like PyTorch) f' is identically 0, a
  constant and so monotonic. A "No" in a table reflects another convention
  (a Dirac delta is not a function), not an error we can settle.

Checked and confirmed (the brief asked for these): leaky ReLU (monotonic,
monotonic derivative — a step from alpha to 1 —, not the identity near 0 since
f'(0) = alpha); PReLU (monotonic iff alpha >= 0; f' is a step, monotonic for every
alpha — non-increasing when alpha > 1; identity iff alpha = 1); ELU (C^1 only for
alpha = 1; monotonic derivative iff alpha <= 1; identity iff alpha = 1); softsign
(C^1, monotonic, derivative not monotonic, identity near 0); ISRU (open range
(-1/sqrt(alpha), 1/sqrt(alpha)), derivative not monotonic, identity); bent identity
(monotonic, monotonic derivative, identity); sinusoid (not monotonic, identity
near 0); sinc (range [-0.2172336282, 1], not the identity); SiLU and GELU (not
monotonic, derivative not monotonic, not the identity: f'(0) = 1/2); softplus
(monotonic, monotonic derivative sigma, not the identity: f(0) = log 2).
"""

from __future__ import annotations

import math
import re

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

import symnn
from symnn.analysis.properties import (
    MONOTONICITIES,
    Properties,
    _attempt,
    analyze,
    format_number,
    format_set,
)
from tests.analysis import property_oracle as oracle

oo = sp.oo
x = sp.Symbol("x", real=True)
R = sp.Interval(-oo, oo)
half = sp.Rational(1, 2)

mpmath.mp.dps = 50


@pytest.fixture(autouse=True, scope="module")
def _fresh_cache_dir(tmp_path_factory):
    """Never read or write the user's cache: a fresh cache directory for this module."""
    import os

    before = os.environ.get("SYMNN_CACHE_DIR")
    os.environ["SYMNN_CACHE_DIR"] = str(tmp_path_factory.mktemp("symnn-cache"))
    yield
    if before is None:
        os.environ.pop("SYMNN_CACHE_DIR", None)
    else:
        os.environ["SYMNN_CACHE_DIR"] = before


# ----------------------------------------------------------------------------
# Independent references (mpmath at 50 digits)
# ----------------------------------------------------------------------------


def _minimum(f, guess):
    """The value of f at the root of f' near guess (f' by mpmath's numeric differentiation)."""
    with mpmath.workdps(50):
        at = mpmath.findroot(lambda t: mpmath.diff(f, t), guess)
        return float(f(at))


def _silu_min():
    w = mpmath.lambertw(1 / mpmath.e).real
    with mpmath.workdps(50):
        at = -1 - w
        value = at / (1 + mpmath.exp(-at))
        assert abs(value + w) < mpmath.mpf(10) ** -45  # f(-1 - W(1/e)) = -W(1/e)
        return float(-w)


def _silu_min_mp():
    with mpmath.workdps(50):
        return -mpmath.lambertw(1 / mpmath.e).real


def _gelu_min():
    with mpmath.workdps(50):
        phi = lambda t: mpmath.exp(-(t**2) / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
        cdf = lambda t: mpmath.ncdf(t)  # noqa: E731
        at = mpmath.findroot(lambda t: cdf(t) + t * phi(t), -0.75)
        return float(at * cdf(at))


def _gelu_tanh_min():
    c = mpmath.sqrt(2 / mpmath.pi)
    k = mpmath.mpf("0.044715")
    return _minimum(lambda t: t / 2 * (1 + mpmath.tanh(c * (t + k * t**3))), -0.75)


def _mish_min():
    return _minimum(lambda t: t * mpmath.tanh(mpmath.log1p(mpmath.exp(t))), -1.19)


def _sinc_min():
    with mpmath.workdps(50):
        at = mpmath.findroot(lambda t: mpmath.tan(t) - t, 4.49)
        return float(mpmath.sin(at) / at)


def _selu_floor():
    with mpmath.workdps(50):
        return float(-mpmath.mpf(1.0507009873554805) * mpmath.mpf(1.6732632423543772))


NUMERIC = {  # name -> (closed lower end, upper end as a SymPy value)
    "gelu": (_gelu_min(), oo),
    "gelu_tanh": (_gelu_tanh_min(), oo),
    "mish": (_mish_min(), oo),
    "sinc": (_sinc_min(), sp.S.One),
}

# name: range, continuity, kinks, monotonicity, derivative monotonicity,
#       approximates identity, f(0), f'(0), lim -oo, lim +oo, zero-centred
EXPECTED = {
    "identity": (R, oo, (), "increasing", "constant", True, 0, 1, -oo, oo, True),
    "binary_step": (
        sp.FiniteSet(0, 1), -1, (0,), "non-decreasing", "constant", False, 1, 0, 0, 1, False
    ),
    "sigmoid": (sp.Interval.open(0, 1), oo, (), "increasing", "no", False, half, half / 2, 0, 1, False),
    "hard_sigmoid": (
        sp.Interval(0, 1), 0, (-3, 3), "non-decreasing", "no", False, half, sp.Rational(1, 6), 0, 1, False
    ),
    "tanh": (sp.Interval.open(-1, 1), oo, (), "increasing", "no", True, 0, 1, -1, 1, True),
    "hard_tanh": (sp.Interval(-1, 1), 0, (-1, 1), "non-decreasing", "no", True, 0, 1, -1, 1, True),
    "relu": (
        sp.Interval(0, oo), 0, (0,), "non-decreasing", "non-decreasing", False, 0, 0, 0, oo, False
    ),
    "relu6": (sp.Interval(0, 6), 0, (0, 6), "non-decreasing", "no", False, 0, 0, 0, 6, False),
    "leaky_relu": (
        R, 0, (0,), "increasing", "non-decreasing", False, 0, sp.Rational(1, 100), -oo, oo, True
    ),
    "prelu": (R, 0, (0,), "increasing", "non-decreasing", False, 0, half / 2, -oo, oo, True),
    "elu": (sp.Interval.open(-1, oo), 1, (0,), "increasing", "non-decreasing", True, 0, 1, -1, oo, True),
    "selu": (None, 0, (0,), "increasing", "no", False, 0, None, None, oo, True),
    "celu": (sp.Interval.open(-1, oo), 1, (0,), "increasing", "non-decreasing", True, 0, 1, -1, oo, True),
    "gelu": (None, oo, (), "no", "no", False, 0, half, 0, oo, True),
    "gelu_tanh": (None, oo, (), "no", "no", False, 0, half, 0, oo, True),
    "silu": (
        sp.Interval(-sp.LambertW(sp.exp(-1)), oo), oo, (), "no", "no", False, 0, half, 0, oo, True
    ),
    "hard_swish": (
        sp.Interval(sp.Rational(-3, 8), oo), 0, (-3, 3), "no", "no", False, 0, half, 0, oo, True
    ),
    "mish": (None, oo, (), "no", "no", False, 0, sp.Rational(3, 5), 0, oo, True),  # tanh(log 2)
    "softplus": (
        sp.Interval.open(0, oo), oo, (), "increasing", "increasing", False, sp.log(2), half, 0, oo, False
    ),
    "softsign": (sp.Interval.open(-1, 1), 1, (0,), "increasing", "no", True, 0, 1, -1, 1, True),
    "log_sigmoid": (
        sp.Interval.open(-oo, 0), oo, (), "increasing", "decreasing", False, -sp.log(2), half, -oo, 0, False
    ),
    "tanhshrink": (R, oo, (), "increasing", "no", False, 0, 0, -oo, oo, True),
    "softshrink": (R, 0, (-half, half), "non-decreasing", "no", False, 0, 0, -oo, oo, True),
    "hardshrink": (
        sp.Union(sp.Interval.open(-oo, -half), sp.FiniteSet(0), sp.Interval.open(half, oo)),
        -1, (-half, half), "non-decreasing", "no", False, 0, 0, -oo, oo, True,
    ),
    "threshold": (
        sp.Union(sp.FiniteSet(0), sp.Interval.open(1, oo)),
        -1, (1,), "non-decreasing", "non-decreasing", False, 0, 0, 0, oo, False,
    ),
    "gaussian": (sp.Interval.Lopen(0, 1), oo, (), "no", "no", False, 1, 0, 0, 0, False),
    "sinusoid": (sp.Interval(-1, 1), oo, (), "no", "no", True, 0, 1, None, None, True),
    "sinc": (None, oo, (), "no", "no", False, 1, 0, 0, 0, True),
    "arctan": (
        sp.Interval.open(-sp.pi / 2, sp.pi / 2), oo, (), "increasing", "no", True, 0, 1,
        -sp.pi / 2, sp.pi / 2, True,
    ),
    "bent_identity": (R, oo, (), "increasing", "increasing", True, 0, 1, -oo, oo, True),
    "isru": (sp.Interval.open(-1, 1), oo, (), "increasing", "no", True, 0, 1, -1, 1, True),
    "sqnl": (sp.Interval(-1, 1), 1, (-2, 0, 2), "non-decreasing", "no", True, 0, 1, -1, 1, True),
}  # fmt: skip

CATALOGUE = symnn.activations()


def test_expected_table_has_no_stale_rows():
    # A new activation needs no row here: tests/analysis/test_oracle.py checks every
    # catalogue entry against an independent numeric oracle. These rows stay as the
    # human-stated truth for the entries they cover.
    assert set(EXPECTED) <= set(CATALOGUE)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_properties_match_the_expected_table(name):
    p = analyze(symnn.activation(name))
    rng, cont, kinks, mono, dmono, ident, f0, d0, lo, hi, centred = EXPECTED[name]
    if rng is not None:
        assert p.range == rng
    assert p.continuity == cont
    assert p.least_smooth == tuple(sp.sympify(k) for k in kinks)
    assert p.monotonicity == mono
    assert p.monotonic == (mono != "no")
    assert p.derivative_monotonicity == dmono
    assert p.derivative_monotonic == (dmono != "no")
    assert p.approximates_identity is ident
    assert sp.simplify(p.value_at_zero - f0) == 0
    if d0 is not None:
        assert sp.simplify(p.derivative_at_zero - d0) == 0
    if lo is not None:
        assert p.limit_neg_inf == lo
    if hi is not None:
        assert p.limit_pos_inf == hi
    assert p.zero_centred is centred
    assert p.monotonicity in MONOTONICITIES and p.derivative_monotonicity in MONOTONICITIES


@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_numeric_range_ends_match_mpmath(name):
    p = analyze(symnn.activation(name))
    low, high = NUMERIC[name]
    assert isinstance(p.range, sp.Interval)
    assert not p.range.left_open  # the minimum is attained
    assert isinstance(p.range.start, sp.Float)
    assert abs(float(p.range.start) - low) <= 1e-12
    assert p.range.end == high
    assert p.range.right_open == (high is oo)
    assert not p.symbolic and any("numerically" in n for n in p.notes)


def test_silu_minimum_is_minus_lambert_w_of_inverse_e():
    p = analyze(symnn.activation("silu"))
    assert p.range.start == -sp.LambertW(sp.exp(-1))  # exact: SymPy solves 1 + x + e^x = 0
    assert not p.range.left_open
    with mpmath.workdps(50):
        assert abs(mpmath.mpf(sp.N(p.range.start, 50)) - _silu_min_mp()) < mpmath.mpf(10) ** -45
    assert abs(float(p.range.start) - _silu_min()) < 1e-15
    assert any("solved exactly" in n for n in p.notes)
    assert not p.symbolic  # located numerically first


def test_sinc_range_is_closed_with_exact_maximum():
    p = analyze(symnn.activation("sinc"))
    assert p.range.end == 1 and not p.range.right_open
    assert abs(float(p.range.start) - -0.2172336282112217) < 1e-12


def test_selu_values_from_its_float_constants():
    p = analyze(symnn.activation("selu"))
    floor = _selu_floor()
    assert p.range.left_open and p.range.end is oo
    assert abs(float(p.range.start) - floor) < 1e-12
    assert abs(float(p.limit_neg_inf) - floor) < 1e-12
    assert abs(float(p.derivative_at_zero) - -floor) < 1e-12  # the x <= 0 branch: lambda*alpha


def test_gelu_reference_agrees_with_published_digits():
    # The widely quoted values: GELU min ~ -0.16997, Mish min ~ -0.30884.
    assert f"{_gelu_min():.5f}" == "-0.16997"
    assert f"{_mish_min():.5f}" == "-0.30884"


def test_saturation_and_boundedness():
    sig = analyze(symnn.activation("sigmoid"))
    assert sig.saturates == "both" and sig.bounded_below and sig.bounded_above
    relu = analyze(symnn.activation("relu"))
    assert relu.saturates == "left" and relu.bounded_below and not relu.bounded_above
    logsig = analyze(symnn.activation("log_sigmoid"))
    assert logsig.saturates == "right"
    assert analyze(symnn.activation("identity")).saturates == "none"
    assert analyze(symnn.activation("sinusoid")).saturates == "none"


def test_discontinuities_and_breakpoint_orders():
    step = analyze(symnn.activation("hardshrink"))
    assert step.discontinuities == (-half, half)
    assert step.breakpoint_orders == ((-half, -1), (half, -1))
    sqnl = analyze(symnn.activation("sqnl"))
    assert sqnl.discontinuities == ()
    assert dict(sqnl.breakpoint_orders) == {-2: 1, 0: 1, 2: 1}
    assert sqnl.continuity_class == "C¹"
    assert analyze(symnn.activation("tanh")).continuity_class == "C∞"
    assert analyze(symnn.activation("binary_step")).continuity_class == "C⁻¹"


# ----------------------------------------------------------------------------
# Every claim against the compiled functions
# ----------------------------------------------------------------------------


def _grid(kinks) -> np.ndarray:
    far = np.geomspace(50, 1e6, 60)
    parts = [np.linspace(-50, 50, 20001), far, -far, np.array([0.0])]
    for k in kinks:
        k = float(k)
        parts.append(k + np.array([-1e-7, 0.0, 1e-7]))
    return np.unique(np.concatenate(parts))


def _contains(s: sp.Set, v: np.ndarray) -> np.ndarray:
    """Elementwise membership of float values, with a relative tolerance of 1e-12."""
    tol = 1e-12 * (1 + np.abs(v))
    if isinstance(s, sp.Union):
        return np.logical_or.reduce([_contains(a, v) for a in s.args])
    if isinstance(s, sp.FiniteSet):
        return np.logical_or.reduce([np.abs(v - float(e)) <= tol for e in s])
    return (float(s.inf) - tol <= v) & (v <= float(s.sup) + tol)


def _representable(act, xs: np.ndarray, vals: np.ndarray) -> np.ndarray:
    """The points where the value is a float; elsewhere it must truly overflow (checked)."""
    over = ~np.isfinite(vals)
    f = sp.lambdify(act.symbol, act.expr.subs(act.params), "mpmath")
    with mpmath.workdps(30):
        for x in xs[over][:: max(1, over.sum() // 20)]:
            assert abs(f(mpmath.mpf(float(x)))) > np.finfo(float).max, (act.name, x)
    return ~over


def _check_monotone(values: np.ndarray, claim: str) -> None:
    values = values[np.isfinite(values)]  # past an overflow (exp) there is nothing to compare
    d = np.diff(values)
    tol = 1e-9 * (1 + np.abs(values[:-1]))
    up, down = bool((d > tol).any()), bool((d < -tol).any())
    if claim in ("increasing", "non-decreasing"):
        assert not down
    elif claim in ("decreasing", "non-increasing"):
        assert not up
    elif claim == "constant":
        assert not up and not down
    else:
        assert up and down


@pytest.mark.parametrize("name", CATALOGUE)
def test_range_contains_the_values_and_its_ends_are_approached(name):
    act = symnn.activation(name)
    p = analyze(act)
    xs = _grid(p.least_smooth)
    with np.errstate(over="ignore"):
        vals = act(xs)
    vals = vals[_representable(act, xs, vals)]
    inside = _contains(p.range, vals)
    assert inside.all(), (name, vals[~inside][:5])
    lo, hi = float(p.range.inf), float(p.range.sup)
    if math.isfinite(lo):
        assert vals.min() - lo <= 1e-4 * (1 + abs(lo))
    else:
        assert vals.min() < -1e3
    if math.isfinite(hi):
        assert hi - vals.max() <= 1e-4 * (1 + abs(hi))
    else:
        assert vals.max() > 1e3


@pytest.mark.parametrize("name", CATALOGUE)
def test_monotonicity_agrees_with_the_numbers(name):
    act = symnn.activation(name)
    p = analyze(act)
    xs = _grid(p.least_smooth)
    with np.errstate(over="ignore"):
        _check_monotone(act(xs), p.monotonicity)
        _check_monotone(act.grad(xs), p.derivative_monotonicity)
    grads = act.grad(xs)
    if p.monotonicity in ("increasing", "non-decreasing"):
        assert grads.min() >= -1e-12
    if p.monotonicity == "no":
        assert (grads > 1e-9).any() and (grads < -1e-9).any()


@pytest.mark.parametrize("name", CATALOGUE)
def test_values_at_zero_and_limits_agree_with_the_numbers(name):
    act = symnn.activation(name)
    p = analyze(act)
    assert float(p.value_at_zero) == pytest.approx(float(act(0.0)), abs=1e-12)
    assert float(p.derivative_at_zero) == pytest.approx(float(act.grad(0.0)), abs=1e-12)
    assert p.approximates_identity == (
        abs(float(act(0.0))) < 1e-15 and abs(float(act.grad(0.0)) - 1) < 1e-12
    )
    for limit, far in ((p.limit_neg_inf, -1e6), (p.limit_pos_inf, 1e6)):
        value = float(act(far))
        if limit is None:
            continue
        if limit.is_finite:
            assert value == pytest.approx(float(limit), abs=1e-5)
        else:
            assert value * (1 if limit is oo else -1) > 1e3


@pytest.mark.parametrize("name", CATALOGUE)
def test_kinks_are_where_the_claimed_order_breaks(name):
    act = symnn.activation(name)
    p = analyze(act)
    if p.continuity is oo:
        assert p.least_smooth == ()
        return
    h = 1e-7
    for k in map(float, p.least_smooth):
        if p.continuity == -1:
            assert abs(float(act(k + h)) - float(act(k - h))) > 1e-3
            continue
        order = p.continuity
        below, above = (float(act.grad(t, order=order)) for t in (k - h, k + h))
        assert abs(above - below) < 1e-5  # f^(k) is continuous ...
        # ... and f^(k+1) jumps: by how much, from mpmath's one-sided limits (PAU's jump at 0 is
        # 2 a0 |b1| = 2.2e-7), and the compiled f^(k+1) shows that jump (Richardson: the
        # difference across the kink at 2h and h, so the smooth slope of f^(k+1) cancels)
        exact = act.expr.xreplace({q: sp.Rational(repr(float(v))) for q, v in act.params.items()})
        left, right, resolution = oracle.one_sided(exact, act.symbol, mpmath.mpf(k), order)
        assert abs(right - left) <= resolution, (name, k, "a jump below", order + 1)
        left, right, resolution = oracle.one_sided(exact, act.symbol, mpmath.mpf(k), order + 1)
        jump = right - left
        assert abs(jump) > resolution, (name, k, "no jump of the derivative", order + 1)
        g = {t: float(act.grad(k + t, order=order + 1)) for t in (-2 * h, -h, h, 2 * h)}
        seen = 2 * (g[h] - g[-h]) - (g[2 * h] - g[-2 * h])
        scale = 1 + max(map(abs, g.values()))
        assert abs(seen - float(jump)) <= 1e-3 * abs(float(jump)) + 1e-9 * scale, (name, seen, jump)


# ----------------------------------------------------------------------------
# Parameters, user-defined activations, bad input
# ----------------------------------------------------------------------------


@given(st.floats(min_value=-3, max_value=3, allow_nan=False).map(lambda a: round(a, 3)))
def test_prelu_for_any_slope(alpha):
    p = analyze(symnn.activation("prelu", alpha=alpha))
    assert p.range == (R if alpha > 0 else sp.Interval(0, oo))  # alpha < 0: |x|-like
    assert p.monotonic == (alpha >= 0)
    assert p.derivative_monotonicity == (
        "constant" if alpha == 1 else "non-decreasing" if alpha < 1 else "non-increasing"
    )
    assert p.continuity == (oo if alpha == 1 else 0)
    assert p.approximates_identity == (alpha == 1)


@pytest.mark.parametrize(
    ("alpha", "continuity", "dmono", "identity"),
    [(0.5, 0, "non-decreasing", False), (1.0, 1, "non-decreasing", True), (2.0, 0, "no", False)],
)
def test_elu_depends_on_alpha_as_published(alpha, continuity, dmono, identity):
    p = analyze(symnn.activation("elu", alpha=alpha))
    assert p.range == sp.Interval.open(-sp.Rational(repr(alpha)), oo)
    assert p.continuity == continuity
    assert p.derivative_monotonicity == dmono
    assert p.approximates_identity is identity


def test_isru_range_scales_with_alpha():
    p = analyze(symnn.activation("isru", alpha=4))
    assert p.range == sp.Interval.open(-half, half)


def test_user_defined_mish_matches_the_catalogue():
    t = sp.Symbol("t")
    mine = analyze(symnn.Activation(t * sp.tanh(sp.log(1 + sp.exp(t))), name="my_mish"))
    ref = analyze(symnn.activation("mish"))
    assert abs(float(mine.range.start) - float(ref.range.start)) < 1e-12
    assert mine.derivative_at_zero == sp.Rational(3, 5)
    assert mine.monotonicity == "no" and mine.continuity is oo


@pytest.mark.parametrize(
    ("expr", "rng", "mono", "dmono", "cont", "kinks"),
    [
        (sp.Max(0, x), sp.Interval(0, oo), "non-decreasing", "non-decreasing", 0, (0,)),
        (sp.Abs(x), sp.Interval(0, oo), "no", "non-decreasing", 0, (0,)),
        (x * sp.Heaviside(x), sp.Interval(0, oo), "non-decreasing", "non-decreasing", 0, (0,)),
        (sp.Min(1, sp.Max(-1, x)), sp.Interval(-1, 1), "non-decreasing", "no", 0, (-1, 1)),
        (x**3, R, "increasing", "no", oo, ()),
        (x**2 - 1, sp.Interval(-1, oo), "no", "increasing", oo, ()),
        (x + sp.sin(x), R, "increasing", "no", oo, ()),
        (sp.exp(x), sp.Interval.open(0, oo), "increasing", "increasing", oo, ()),
        (sp.tanh(x) ** 2, sp.Interval.Ropen(0, 1), "no", "no", oo, ()),
        (1 / (1 + x**2), sp.Interval.Lopen(0, 1), "no", "no", oo, ()),
        (sp.cos(x), sp.Interval(-1, 1), "no", "no", oo, ()),
        (sp.exp(sp.sin(x)), sp.Interval(sp.exp(-1), sp.E), "no", "no", oo, ()),
        (x * sp.sin(x), R, "no", "no", oo, ()),  # no limits; the extremes grow
        (sp.sign(x), sp.FiniteSet(-1, 0, 1), "non-decreasing", "constant", -1, (0,)),
        (x**2 * sp.exp(-(x**2)), sp.Interval(0, sp.exp(-1)), "no", "no", oo, ()),
        (
            sp.Piecewise((sp.exp(x), x < 0), (1 + x + x**2 / 2 + x**3 / 6, True)),
            sp.Interval.open(0, oo), "increasing", "increasing", 3, (0,),
        ),
    ],
)  # fmt: skip
def test_user_defined_activations(expr, rng, mono, dmono, cont, kinks):
    act = symnn.Activation(expr)
    p = analyze(act)
    assert p.range == rng
    assert p.monotonicity == mono
    assert p.derivative_monotonicity == dmono
    assert p.continuity == cont
    assert p.least_smooth == kinks
    xs = _grid(kinks)
    xs = xs[np.abs(xs) <= 50]  # exp(x) overflows beyond
    vals = act(xs)
    assert _contains(rng, vals).all()
    _check_monotone(vals, mono)


def test_removable_singularity_is_its_limit():
    p = analyze(symnn.Activation(sp.sin(x) / x))
    assert p.value_at_zero == 1 and p.derivative_at_zero == 0
    assert p.range.end == 1 and abs(float(p.range.start) - _sinc_min()) < 1e-12
    assert any("removable" in n for n in p.notes)


@pytest.mark.parametrize(
    ("expr", "match"),
    [
        (1 / x, "singularity at x = 0"),
        (1 / (x - 1), "singularity at x = 1"),
        (sp.log(x), "not defined"),
        (sp.cbrt(x), "no finite value at x = 0"),
        (sp.floor(x), "could not analyse"),
    ],
)
def test_functions_not_defined_on_the_real_line_are_refused(expr, match):
    with pytest.raises(ValueError, match=match):
        analyze(symnn.Activation(expr))


def test_analyze_needs_an_activation():
    with pytest.raises(TypeError, match=r"symnn\.activation"):
        analyze("relu")


def test_analysis_is_cached_and_matches_the_property():
    act = symnn.activation("gelu")
    assert analyze(act) is analyze(symnn.activation("gelu"))
    assert act.properties == analyze(act)
    assert isinstance(act.properties, Properties)


def test_guard_interrupts_a_call_that_does_not_finish():
    import time

    assert _attempt(lambda: time.sleep(30), 0.05) is None
    assert _attempt(lambda: 42, 1.0) == 42


# ----------------------------------------------------------------------------
# Formatting
# ----------------------------------------------------------------------------


def test_formatters():
    assert format_set(sp.Interval.Lopen(0, 1)) == "(0, 1]"
    assert format_set(sp.Interval(-oo, oo), "latex") == r"\mathbb{R}"
    assert format_set(sp.FiniteSet(1, 0), "latex") == r"\{0, 1\}"
    assert format_number(sp.log(2)) == "ln(2)"
    assert format_number(-oo) == "-∞"
    assert format_number(sp.Float("1.75809934084738")) == "1.7581"
    assert format_number(sp.Float(-0.0)) == "0" and format_number(-0.0, "latex") == "0"
    assert format_number(sp.Float("-1e-30")) == "-1e-30"  # small, not a signed zero
    assert format_number(-sp.LambertW(sp.exp(-1))) == "-W(1/e)"


def test_no_signed_zero_is_printed():
    for name in CATALOGUE:
        text = str(analyze(symnn.activation(name)))
        assert not re.search(r"(?<![\w.])-0(?![.\d])|-0\.0*(?![\d])", text), (name, text)


def test_properties_print_readably():
    text = str(analyze(symnn.activation("leaky_relu")))
    assert text.splitlines()[0] == "leaky_relu(alpha=0.01)"
    assert "range                   ℝ" in text
    assert "C⁰ (kinks at 0)" in text


def test_properties_render_in_jupyter():
    html = symnn.activation("relu").properties._repr_html_()
    assert html.startswith("<table><caption>relu</caption>")
    assert "<th>range</th><td>[0, ∞)</td>" in html and "C⁰" in html
