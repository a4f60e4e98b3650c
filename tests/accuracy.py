"""The accuracy requirement for compiled functions, as a reusable check.

For float64 inputs on a grid over [-1000, 1000] (dense near 0, with +-0,
+-1e-300 and every kink), against an mpmath evaluation of the same SymPy
expression:

* relative error <= 1e-12 wherever the true value is a normal float -- next to roots and
  kinks too: the grid gets x0 + k ulp, x0 +- 1e-15, 1e-12, 1e-8, 1e-4 around every root
  (found on the grid and refined) and every kink;
* where the true value is below 1e-300 in magnitude, the result must be too;
* no NaN or inf where the true value is finite, and no floating-point warnings.
"""

from __future__ import annotations

import mpmath
import numpy as np

from tests.oracle import accuracy_grid, mp_function, refine_zero, true_zeros

REL, ABS, TINY, ZERO_RADIUS = 1e-12, 1e-15, 1e-300, 1e-3


def check_accuracy(fn, expr, x, params, kinks=(), rel=REL, grid=None, strict=True):
    """Return a list of failure descriptions (empty when *fn* meets the requirement)."""
    xs = np.sort(accuracy_grid([float(k) for k in kinks]) if grid is None else grid)
    xs = xs[np.concatenate([[True], xs[1:] != xs[:-1]])]  # -0.0 == 0.0: keep one of them
    oracle = mp_function(expr, x, params)
    true = [oracle(float(t)) for t in xs]
    zeros = []
    for z in true_zeros(xs, true):
        i = np.searchsorted(xs, z)
        if 0 < i < len(xs) and oracle(float(z)) != 0:
            z = refine_zero(oracle, float(xs[i - 1]), float(xs[i]))
        zeros.append(z)
    zeros = np.array(sorted(zeros))
    near = _neighbours([*zeros, *(float(k) for k in kinks)])
    near = near[(near >= xs[0]) & (near <= xs[-1])]
    if near.size:
        true += [oracle(float(t)) for t in near]
        xs = np.concatenate([xs, near])
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = np.asarray(fn(xs), dtype=np.float64)
        got_neg0 = np.asarray(fn(np.array([-0.0])), dtype=np.float64)
    failures = []
    for t, g, v in zip(xs, got, true, strict=True):
        near_zero = zeros.size and np.min(np.abs(zeros - t)) <= ZERO_RADIUS
        err = abs(mpmath.mpf(float(g)) - v)
        if not np.isfinite(g):
            failures.append((float("inf"), t, g, v, "non-finite"))
        elif abs(v) < TINY:
            if abs(g) >= TINY * 1.0000001 and err > ABS:
                failures.append((float(err), t, g, v, "tiny"))
        elif err > rel * abs(v) and not (near_zero and err <= ABS and not strict):
            failures.append((float(err / abs(v)), t, g, v, "rel"))
    i0 = int(np.flatnonzero(xs == 0.0)[0])
    if abs(float(got_neg0[0]) - float(got[i0])) > ABS + rel * abs(float(got[i0])):
        failures.append((float("inf"), -0.0, got_neg0[0], true[i0], "-0.0 differs from 0.0"))
    failures.sort(key=lambda f: -f[0])
    return [
        f"x={t!r}: got {g!r}, true {mpmath.nstr(v, 17)} ({kind}, err {e:.3g})"
        for e, t, g, v, kind in failures[:8]
    ] + ([f"... {len(failures)} failures in all"] if len(failures) > 8 else [])


def _neighbours(points) -> np.ndarray:
    """Points beside each of *points*: a few ulps away, and 1e-15 ... 1e-4 (relative) away."""
    out = []
    for p in points:
        p = float(p)
        step = np.spacing(p) if p != 0 else 5e-324
        for k in (1, 2, 3, 8):
            out += [p + k * step, p - k * step]
        scale = max(abs(p), 1.0)
        for d in (1e-15, 1e-12, 1e-8, 1e-4):
            out += [p + d * scale, p - d * scale]
    return np.unique(np.array(out, dtype=np.float64))
