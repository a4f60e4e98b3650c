"""High-precision oracles for losses: mpmath evaluation of a loss's own SymPy expressions.

Inputs are float64 numbers, converted exactly; the expressions are evaluated with
600 significant digits, enough that no cancellation inside them reaches a float64
result for inputs up to 1000 in magnitude (1 - sigmoid(1000) needs about 450 digits).

Accuracy requirement: ``|got - true| <= REL * scale`` with ``scale = |true|`` -- relative
1e-12 -- except for the documented *inherent* cancellations in ``INHERENT`` below, where
the loss (or its gradient) is a difference of two terms that float64 inputs cannot
resolve better than the size of those terms (``scale`` is then the sum of the terms'
magnitudes, computed at high precision). Values whose true magnitude is below 1e-300
must come out below 1e-300 too.
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp

from symnn.catalogue.losses import y, yhat
from symnn.expr.functions import to_elementary

DPS = 600
REL, TINY = 1e-12, 1e-300


def _heaviside(u, h0=0.5):
    if u > 0:
        return mpmath.mpf(1)
    if u < 0:
        return mpmath.mpf(0)
    return mpmath.mpf(h0)


def mp_function(expr: sp.Expr, args: tuple[sp.Symbol, ...], params: dict | None = None):
    """A function of mpf arguments evaluating *expr* (named functions written out).

    *params* maps parameter symbols to their (float) values.
    """
    expr = expr.xreplace({p: sp.Float(float(v), 30) for p, v in (params or {}).items()})
    fn = sp.lambdify(args, to_elementary(expr), modules=[{"Heaviside": _heaviside}, "mpmath"])

    def value(*xs):
        with mpmath.workdps(DPS):
            out = fn(*[mpmath.mpf(float(v)) for v in xs])
            if isinstance(out, mpmath.mpc):
                out = out.real
            return mpmath.mpf(out)

    return value


#: (loss name, options) -> {order: magnitude expression}: the inherent cancellations.
#: poisson_nll: e^yhat and y*yhat cancel where e^yhat ~ y*yhat (its minimum); the gradient
#:   e^yhat - y at e^yhat ~ y (the optimum).
#: kl_div: y*(log y - yhat) with log y ~ yhat (the optimum: the log-probability is right).
#: binary_cross_entropy: the gradient -y/yhat + (1-y)/(1-yhat) at yhat ~ y (the optimum).
#: binary_cross_entropy_with_logits: the gradient (1-y)*sigmoid(z) - y*sigmoid(-z) at
#:   sigmoid(z) ~ y for soft targets y in (0, 1) (exact for y in {0, 1}).
#: Each is a subtraction at the optimum whose result depends on the last bits of the
#: inputs; no float64 formula resolves it better than the terms' size times 1e-16.
_P = sp.Piecewise
INHERENT = {
    "poisson_nll": {0: sp.exp(yhat) + sp.Abs(y * yhat), 1: sp.exp(yhat) + sp.Abs(y)},
    "poisson_nll/log_input=False": {
        0: sp.Abs(yhat) + sp.Abs(y * sp.log(yhat + sp.Rational(1, 10**8))),
        1: 1 + sp.Abs(y / (yhat + sp.Rational(1, 10**8))),
    },
    "kl_div": {0: _P((sp.Abs(y) * (sp.Abs(sp.log(y)) + sp.Abs(yhat)), y > 0), (0, True))},
    "binary_cross_entropy": {1: "terms"},
    "binary_cross_entropy_with_logits": {1: "terms"},
}


def magnitude_function(key: str, order: int, expr: sp.Expr):
    """The scale against which the error of *expr* (order 0 value, 1 gradient) is measured."""
    spec = INHERENT.get(key, {}).get(order)
    if spec is None:
        m = sp.Abs(expr)
    elif spec == "terms":  # the sum of the magnitudes of the top-level terms of the derivative
        terms = expr.args if expr.is_Add else (expr,)
        m = sp.Add(*[sp.Abs(t) for t in terms])
    else:
        m = spec
    return mp_function(m, (yhat, y))


def compare(got: np.ndarray, true: list, scale: list, rel: float = REL) -> list[str]:
    """Failure descriptions for *got* against the oracle's *true* values and error *scale*."""
    failures = []
    for k, (g, v, s) in enumerate(zip(np.ravel(got), true, scale, strict=True)):
        g = float(g)
        if not np.isfinite(g):
            if mpmath.isinf(v) and np.isinf(g) and (g > 0) == (v > 0):
                continue
            failures.append(f"[{k}] got {g!r}, true {mpmath.nstr(v, 17)} (non-finite)")
            continue
        err = abs(mpmath.mpf(g) - v)
        if abs(v) < TINY and abs(g) < TINY * 1.0000001:
            continue
        if err > rel * max(s, abs(v)):
            failures.append(
                f"[{k}] got {g!r}, true {mpmath.nstr(v, 17)} (rel err {float(err / abs(v)) if v else float('inf'):.3g})"
            )
    return failures
