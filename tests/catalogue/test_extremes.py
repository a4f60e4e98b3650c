"""Every activation and loss at +-1e300, +-inf and NaN (issue #19 item 6), against mpmath.

* at +-inf: the limit (mpmath at +-1e150 and +-3e150 with 400 digits, a scale the compiler
  does not use; no limit, as for sin, means NaN), and for the cases that used to return
  NaN the known limit;
* at +-1e300: the mpmath value to 1e-12 relative (800 digits: squareplus at -1e300
  cancels 600), or +-inf / 0 where the true value is beyond float64 (where mpmath's own
  value saturates, as in log(1 - 1/(1 + exp(-1e300))), the formula with every sum brought
  over a common denominator);
* NaN in, NaN out;
* and never a floating-point warning (warnings are errors here; no np.errstate).

Losses: the compiled value and gradient in the prediction, with targets inside the loss's
target domain and predictions inside its prediction domain (NaN always); a NaN target
gives NaN too. The fused softmax cross-entropy has its own tests (test_losses.py).
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.expr.functions import to_elementary

POINTS = np.array([-np.inf, -1e300, 1e300, np.inf, np.nan])
REL = 1e-12
HUGE = mpmath.mpf(2) ** 1024
TINY = mpmath.mpf(2) ** -1074

#: The limits that were NaN before (issue #19 item 6), by hand: (at -inf, at +inf).
KNOWN = {
    ("gelu", 0): (0.0, np.inf),
    ("gelu", 1): (0.0, 1.0),
    ("gelu_tanh", 0): (0.0, np.inf),
    ("softsign", 0): (-1.0, 1.0),
    ("bent_identity", 0): (-np.inf, np.inf),
    ("gaussian", 1): (0.0, 0.0),
}


def _quiet(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return np.asarray(fn(*args), dtype=np.float64)


def _tanh(t):
    """mpmath's tanh, +-1 past 2 * precision bits (mpmath raises for tanh(e^(10^150)))."""
    if isinstance(t, mpmath.mpf) and abs(t) > 2 * mpmath.mp.prec:
        return mpmath.sign(t)
    return mpmath.tanh(t)


#: Beyond this exponent e^t is 0 or +inf to every precision used here (mpmath itself takes
#: e^(1e300) fine, but recurses on e^(-e^(1e300)): cloglog at 1e300).
_EXP_CUT = mpmath.mpf(10) ** 1000


def _exp(t):
    """mpmath's exp, 0 / +inf for real t beyond +-1e1000 (exp(-exp(1e300)) recurses in mpmath).

    e^(-1e1000) is 10^(-4e999), below every precision used here (800 digits) and far below the
    smallest float64, so 0 and +inf are exact for every comparison below; the arguments that
    come from float inputs (|t| <= 1e300) go to mpmath unchanged.
    """
    if isinstance(t, mpmath.mpf) and abs(t) > _EXP_CUT:
        return mpmath.inf if t > 0 else mpmath.mpf(0)
    return mpmath.exp(t)


MODULES = [{"tanh": _tanh, "exp": _exp}, "mpmath"]


class _Oracle:
    """The expression in mpmath, and the same with every sum over a common denominator."""

    def __init__(self, expr, sym):
        expr = to_elementary(expr)
        self.plain = sp.lambdify(sym, expr, modules=MODULES)
        together = expr.replace(lambda e: e.is_Add, sp.together)
        self.together = sp.lambdify(sym, together, modules=MODULES)

    def __call__(self, t):
        v = self.plain(t)
        if isinstance(v, mpmath.mpc) or not mpmath.isfinite(v) or v == 0:
            w = self.together(t)
            if not isinstance(w, mpmath.mpc) and mpmath.isfinite(w) and w != 0:
                return w
        return v


def _mp(expr, sym):
    return _Oracle(expr, sym)


def _expected_limit(f, sign) -> float:
    with mpmath.workdps(400):
        a, b = (f(sign * k * mpmath.mpf(10) ** 150) for k in (1, 3))
        if isinstance(a, mpmath.mpc) or isinstance(b, mpmath.mpc) or mpmath.isnan(a - b):
            return float("nan")
        same = mpmath.sign(a) == mpmath.sign(b) != 0
        if same and abs(a) > HUGE and abs(b) > HUGE:
            return float(mpmath.sign(a)) * np.inf
        if abs(a) < TINY and abs(b) < TINY:
            return 0.0
        if abs(a - b) <= mpmath.mpf(10) ** -30 * max(abs(a), abs(b)):
            return float(b)
        grows = same and abs(b) > 2 * abs(a)  # like x or faster
        if grows and abs(a) > 1e50:
            return float(mpmath.sign(a)) * np.inf
        if not grows and abs(a) < 1e-50 and abs(b) < 1e-50:  # 1/x, sin(x)/x
            return 0.0
    return float("nan")


def _expected_value(f, t: float) -> mpmath.mpf:
    with mpmath.workdps(800):
        v = f(mpmath.mpf(t))
        return v.real if isinstance(v, mpmath.mpc) else mpmath.mpf(v)


def _at_target(expr, y, target):
    """*expr* at y = *target*; the one-sided limit where that is 0 * log 0 (kl_div at 0)."""
    value = expr.xreplace({y: sp.nsimplify(target)})
    if value.has(sp.nan, sp.zoo):
        return sp.limit(expr, y, sp.nsimplify(target), "+")
    return value


def _check(label, got: float, t: float, f):
    if np.isnan(t):
        assert np.isnan(got), f"{label}: NaN in gave {got}"
    elif np.isinf(t):
        want = _expected_limit(f, int(np.sign(t)))
        assert got == want or (np.isnan(got) and np.isnan(want)) or (
            abs(got - want) <= REL * abs(want)
        ), f"{label} at {t}: got {got}, limit {want}"
    else:
        v = _expected_value(f, t)
        if abs(v) >= HUGE:
            assert got == float(mpmath.sign(v)) * np.inf, f"{label} at {t}: got {got}, true {v}"
        elif abs(v) < TINY:
            assert got == 0.0, f"{label} at {t}: got {got}, true {mpmath.nstr(v, 5)}"
        else:
            err = abs(mpmath.mpf(got) - v) / abs(v)
            assert err <= REL, f"{label} at {t}: got {got}, true {mpmath.nstr(v, 17)}"


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("name", sn.activations())
def test_activation_at_the_extremes(name, order):
    act = sn.activation(name)
    got = _quiet(act.compiled(order), POINTS)
    expr = act.diff(order).xreplace({p: sp.nsimplify(v) for p, v in act.params.items()})
    f = _mp(expr, act.symbol)
    for t, g in zip(POINTS, got, strict=True):
        _check(f"{name}^({order})", float(g), float(t), f)
    if (name, order) in KNOWN:
        assert tuple(got[[0, 3]]) == KNOWN[name, order]


def _targets(loss) -> list[float]:
    domain = loss.domain
    values = domain.values if domain.values is not None else (0.0, 0.3, 1.0, -1.0, 2.0)
    return [v for v in values if domain.contains(np.array([v]))[0]]


LOSSES = [n for n in sn.losses() if not getattr(sn.loss(n), "fused_softmax", False)]


@pytest.mark.parametrize("order", [0, 1])
@pytest.mark.parametrize("name", LOSSES)
def test_loss_at_the_extremes(name, order):
    loss = sn.loss(name)
    fn = loss.compiled(order)
    preds = POINTS[np.isnan(POINTS) | loss.input_domain.contains(POINTS)]
    expr = (loss.expr if order == 0 else loss.derivative).xreplace(
        {p: sp.nsimplify(v) for p, v in loss.params.items()}
    )
    for target in _targets(loss):
        got = _quiet(fn, preds, np.full(preds.shape, target))
        f = _mp(_at_target(expr, loss.y, target), loss.yhat)
        for t, g in zip(preds, got, strict=True):
            _check(f"{name}^({order}) y={target}", float(g), float(t), f)
        nan_target = _quiet(fn, np.array([0.5]), np.array([np.nan]))
        assert np.isnan(nan_target[0]), f"{name}^({order}): NaN target gave {nan_target[0]}"
