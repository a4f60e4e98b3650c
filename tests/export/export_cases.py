"""What "agrees" means for exported code, shared by the PyTorch and JAX export tests.

* float64: relative error <= 1e-12 against symnn's NumPy result wherever that is a normal
  float of magnitude >= 1e-300; below 1e-300 the exported value must be below it too (the
  accuracy convention of tests/accuracy.py); NaN and inf exactly where NumPy has them.
* float32: against symnn's float64 result at the same (float32) inputs, the error is at most
  32 float32 ulps times the condition number max(1, |x f'(x) / f(x)|) of the function: the
  error any float32 evaluation has from rounding its intermediate results. Inputs that
  are float32 subnormals are left out (XLA flushes them to zero), as are results
  outside float32's normal range.
"""

from __future__ import annotations

import numpy as np

import symnn as sn
from tests.oracle import accuracy_grid

REL, TINY = 1e-12, 1e-300
ULPS32 = 32
EPS32 = float(np.finfo(np.float32).eps)


def grid(act: sn.Activation, nonfinite: bool = True) -> np.ndarray:
    """[-1000, 1000], dense near 0, with +-0, +-1e-300 and every kink (tests/oracle.py), the
    doubles next to every root of f and f' where symnn's NumPy code uses its near-root
    polynomials (:func:`root_points`), and +-inf and NaN (where it puts the limits)."""
    extra = [root_points(act)]
    if nonfinite:
        extra.append(np.array([-np.inf, np.inf, np.nan]))
    return np.concatenate([accuracy_grid([float(k) for k in act.kinks]), *extra])


def root_points(act: sn.Activation, most: int = 24) -> np.ndarray:
    """Points next to the roots in the near-root tables of f and f' (at most *most* roots
    each, spread over the table): the root's double and its neighbours, 2 - 2**-52 for
    SQNL', then r +- 1e-12 |r|, r +- 1e-9 and r +- 1e-6, inside the windows and across
    the hand-over to the formula."""
    points = []
    for order in (0, 1):
        table = act.compiled(order).roots
        if table is None:
            continue
        picked = np.unique(np.linspace(0, len(table) - 1, min(most, len(table))).astype(int))
        for r in table.r_hi[picked]:
            r = float(r)
            near = [r, *(np.nextafter(r, side) for side in (-np.inf, np.inf))]
            near += [np.nextafter(near[1], -np.inf), np.nextafter(near[2], np.inf)]
            step = max(abs(r), 1e-300)
            near += [r + d for d in (-1e-12 * step, 1e-12 * step, -1e-9, 1e-9, -1e-6, 1e-6)]
            points.extend(near)
    return np.array(points, dtype=np.float64)


def disagreements(got, ref, xs, rel: float = REL, atol=0.0) -> list[str]:
    """Where *got* misses the float64 requirement against *ref* (empty when it meets it).

    *atol* (a number or an array like *ref*) allows absolute errors where a value is the
    cancellation of inputs (a loss's gradient at its optimum).
    """
    got = np.asarray(got, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert got.shape == ref.shape, (got.shape, ref.shape)
    bad = np.isnan(got) != np.isnan(ref)
    inf = np.isinf(ref) | np.isinf(got)
    bad |= inf & (got != ref)
    fin = np.isfinite(ref) & np.isfinite(got)
    big = fin & (np.abs(ref) >= TINY)
    with np.errstate(all="ignore"):
        bad |= big & (np.abs(got - ref) > np.maximum(rel * np.abs(ref), atol))
    bad |= fin & (np.abs(ref) < TINY) & (np.abs(got) >= TINY * 1.0000001)
    return [f"x={x!r}: got {g!r}, NumPy {r!r}" for x, g, r in zip(xs[bad], got[bad], ref[bad], strict=True)][:8]


def float32_inputs(act: sn.Activation) -> np.ndarray:
    """The grid rounded to float32, without float32 subnormals."""
    x32 = grid(act).astype(np.float32)
    return x32[(np.abs(x32) >= np.finfo(np.float32).tiny) | (x32 == 0)]


def float32_disagreements(got, x32, act: sn.Activation, order: int) -> list[str]:
    """Where float32 results *got* miss float32 precision (see the module docstring)."""
    x = x32.astype(np.float64)
    with np.errstate(all="ignore"):
        ref, dref = act.grad(x, order=order), act.grad(x, order=order + 1)
        kappa = np.maximum(1.0, np.abs(x * dref / ref))
    got = np.asarray(got, dtype=np.float64)
    ok = np.isfinite(ref) & (np.abs(ref) >= 1e-30) & (np.abs(ref) < 3e38) & np.isfinite(kappa)
    with np.errstate(all="ignore"):
        err = np.abs(got - ref)
        bad = ok & ~(err <= ULPS32 * EPS32 * kappa * np.abs(ref))
    return [f"x={v!r}: got {g!r}, float64 {r!r}" for v, g, r in zip(x[bad], got[bad], ref[bad], strict=True)][:8]


def train_in_torch(module, X, Y, steps: int, lr: float) -> float:
    """*steps* plain SGD steps of an exported network's ``loss_fn`` in PyTorch; the loss after."""
    import torch

    X, Y = torch.tensor(X), torch.tensor(Y)
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    for _ in range(steps):
        opt.zero_grad()
        module.loss_fn(X, Y).backward()
        opt.step()
    return float(module.loss_fn(X, Y))
