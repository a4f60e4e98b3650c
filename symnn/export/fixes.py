r"""Near-root polynomials and limits at :math:`\pm\infty` in exported code, as in symnn's NumPy code.

symnn's compiler corrects a formula of one variable in two places where no rewrite of the
formula can (:mod:`symnn.compiler.roots`, :mod:`symnn.compiler.extremes`):

* next to an interior root where the formula cancels (GELU' at -0.7518, SQNL' at 2), the
  value is a polynomial in :math:`h = x - r` with r in triple-double, inside a window
  :math:`lo < x < hi` (a :class:`~symnn.compiler.kernels.RootTable`);
* at :math:`\pm\infty` the value is the limit (GELU at :math:`-\infty` is 0, not
  :math:`-\infty \cdot 0`), and NaN at NaN; the formula sees 0 at non-finite inputs.

Both only while the parameters are at the defaults they were computed for. A :class:`Fix`
holds the table and the limits of one generated function (``CompiledFunction.roots`` and
``.limits`` of the same expression), and :func:`fixed` wraps the generated function with
them, using the backend's tensor operations (``ops.near_roots``, ``ops.put_limits``, ...
in :mod:`symnn.export.torch_ops` and :mod:`symnn.export.jax_ops`): where ``|x - r|`` is
inside the window the polynomial, elsewhere the formula, with ``where`` and gathers, so
the code stays traceable by ``torch.compile`` and ``jax.jit``.

>>> import symnn as sn
>>> fix = Fix.of(sn.activation("sqnl").compiled(1), ())
>>> fix.table, fix.limits
(<RootTable: 2 root(s) at -2, 2>, None)
>>> split_roots(fix.table, "float32")["r_hi"].dtype
dtype('float32')
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from symnn.compiler import CompiledFunction
from symnn.compiler.kernels import RootTable

__all__ = ["Fix", "fixed", "split_roots"]


@dataclass(frozen=True, eq=False)
class Fix:
    """The near-root table and the limits of one generated function of one array.

    ``defaults`` are the scalar parameters' values (in the function's argument order)
    the table and the limits hold for; ``tables`` the table per dtype (:func:`split_roots`).
    """

    table: RootTable | None
    limits: tuple[float, float] | None
    defaults: tuple[float, ...]

    @classmethod
    def of(cls, compiled: CompiledFunction, defaults: Sequence[float]) -> Fix | None:
        """The fix of a compiled function (None when its code has neither)."""
        if compiled.roots is None and compiled.limits is None:
            return None
        key = (id(compiled), tuple(float(v) for v in defaults))
        hit = _FIXES.get(key)
        if hit is None or hit[0] is not compiled:  # one Fix per compiled function: cached code
            hit = _FIXES[key] = (compiled, cls(compiled.roots, compiled.limits, key[1]))
        return hit[1]

    def tables(self) -> dict[str, dict[str, np.ndarray]] | None:
        if self.table is None:
            return None
        return {dt: split_roots(self.table, dt) for dt in ("float64", "float32")}


_FIXES: dict[tuple, tuple[CompiledFunction, Fix]] = {}


def split_roots(table: RootTable, dtype: str) -> dict[str, np.ndarray]:
    """The table's arrays in *dtype*, with each root split again into three parts of that
    dtype (``r_hi + r_lo + r_lo2``), so that ``h = ((x - r_hi) - r_lo) - r_lo2`` keeps the
    root's digits in float32 too."""
    dt = np.dtype(dtype)
    if dt == np.float64:
        r_hi, r_lo, r_lo2 = table.r_hi, table.r_lo, table.r_lo2
    else:
        r_hi = table.r_hi.astype(dt)
        rest = (table.r_hi - r_hi.astype(np.float64)) + table.r_lo  # the first difference is exact
        r_lo = rest.astype(dt)
        r_lo2 = ((rest - r_lo.astype(np.float64)) + table.r_lo2).astype(dt)
    out = {
        "r_hi": r_hi, "r_lo": r_lo, "r_lo2": r_lo2,
        "lo": table.lo.astype(dt), "hi": table.hi.astype(dt),
        "left": table.left.astype(np.int64), "right": table.right.astype(np.int64),
        "center": table.center.astype(dt), "inv_width": table.inv_width.astype(dt),
        "coeffs": table.coeffs.astype(dt),
    }  # fmt: skip
    if table.bucket_root is not None:
        out["bucket_root"] = table.bucket_root.astype(np.int64)
        out["bucket_origin"] = np.asarray(table.bucket_origin, dtype=np.float64)
        out["bucket_scale"] = np.asarray(table.bucket_scale, dtype=np.float64)
    # (np.ascontiguousarray makes a 0-d array 1-d: a scalar input's result became shape (1,))
    return {k: np.ascontiguousarray(v) if np.ndim(v) else v for k, v in out.items()}


def fixed(fn: Callable, fix: Fix, ops: ModuleType, index: int | None = None) -> Callable:
    """*fn* ``(x, *scalars)`` with the near-root polynomials and the limits of *fix*.

    *index* picks the result to correct when *fn* returns a tuple (a derivative function
    returning the partial in x first); None when it returns one array. The other results
    are those of *fn* at the inputs as they are.
    """
    table = None if fix.table is None else ops.root_table(fix.tables())
    limits = fix.limits
    defaults = fix.defaults

    def pick(out):
        return out if index is None else out[index]

    def put(out, main):
        if index is None:
            return main
        return (*out[:index], main, *out[index + 1 :])

    def corrected(x, *scalars):
        use = ops.at_defaults(scalars, defaults) if scalars else True
        if use is False:  # other parameters (known now): the formula as it is
            return fn(x, *scalars)
        finite = True if limits is None else ops.all_finite(x)
        if finite is True:  # no infinite input (known now): the formula and the polynomials
            out = fn(x, *scalars)
            if table is None:
                return out
            return put(out, ops.near_roots(x, pick(out), table, use))
        xf = ops.finite_only(x)
        out = fn(xf, *scalars)
        main = pick(out)
        if table is not None:
            main = ops.near_roots(xf, main, table, use)
        main = ops.put_limits(x, main, limits[0], limits[1])
        if use is not True or index is not None:  # the formula at x itself is needed too
            raw = fn(x, *scalars)
            if use is not True:
                main = ops.select(use, main, pick(raw))
            out = raw
        return put(out, main)

    corrected.__name__ = getattr(fn, "__name__", "f")
    corrected.__wrapped__ = fn
    return corrected
