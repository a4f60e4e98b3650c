r"""symnn's stable kernels (:mod:`symnn.compiler.kernels`) written with ``jax.numpy``.

The JAX twin of :mod:`symnn.export.torch_ops`: exported code calls ``ops.<name>`` where
symnn's NumPy code calls ``kernels.<name>``, with the same formulas. Every function is
traceable (no Python branching on values), so it works under ``jax.jit`` and ``vmap``.
JAX is imported by :func:`load`, never when this module is.

>>> import symnn.export.jax_ops as ops  # no JAX needed to import it
>>> "sech2" in ops.NAMES
True
"""

from __future__ import annotations

import sys
from types import ModuleType

import numpy as np

jnp = None  # jax.numpy, bound by load()
jax = None

__all__ = ["NAMES", "load"]


def load() -> ModuleType:
    """Import JAX and return this module, ready to run (``ops`` in generated code)."""
    global jnp, jax
    if jnp is None:
        try:
            import jax as _jax
            import jax.numpy as _jnp
        except ImportError:
            raise ImportError(
                "exporting to JAX needs JAX: pip install 'symnn[jax]' (CPU: pip install jax)"
            ) from None
        jax, jnp = _jax, _jnp
    return sys.modules[__name__]


def copy(x):
    """*x* itself (JAX arrays are immutable, so handing it back is safe)."""
    return jnp.asarray(x)


def broadcast(value, *arrays):
    """*value* with the broadcast shape of *arrays*, NaN where any of them is NaN."""
    ref = jnp.asarray(arrays[0])
    shape = jnp.broadcast_shapes(*(jnp.shape(a) for a in arrays))
    out = jnp.full(shape, value, dtype=ref.dtype)
    for a in arrays:
        out = jnp.where(jnp.isnan(a), a, out)
    return out


def zero_times(d, p):
    r""":math:`d \cdot p`, but 0 where d is 0 (also where p overflowed to inf)."""
    return jnp.where(d == 0, 0.0, d * p)


def sech(x):
    r""":math:`1/\cosh x`, without overflow (cosh is clipped at 710)."""
    return 1.0 / jnp.cosh(jnp.clip(x, -710.0, 710.0))


def sech2(x):
    r""":math:`\operatorname{sech}^2 x = 1 - \tanh^2 x` as :math:`(1/\cosh x)^2`."""
    s = sech(x)
    return s * s


def sigmoid_prime(x):
    r""":math:`\sigma(x)\sigma(-x) = t(1 - t)` with :math:`t = \sigma(-|x|) \le 1/2`."""
    t = jax.nn.sigmoid(-jnp.abs(x))
    return t * (1.0 - t)


_LOG2 = 0.6931471805599453


def log_cosh(x):
    r""":math:`\log\cosh x`: log1p(2 sinh²(x/2)) below 1, |x| - log 2 + log1p(e^{-2|x|}) above."""
    a = jnp.abs(x)
    s = jnp.sinh(jnp.minimum(a, 1.0) / 2)
    near = jnp.log1p(2.0 * s * s)
    far = a - _LOG2 + jnp.log1p(jnp.exp(-2.0 * jnp.maximum(a, 1.0)))
    return jnp.where(a < 1.0, near, far)


# Taylor coefficients of x - tanh x (from x^3) and of d/dx sinc x (from x^1), as in kernels.
_XMT = (
    1 / 3, -2 / 15, 17 / 315, -62 / 2835, 1382 / 155925, -21844 / 6081075,
    929569 / 638512875, -6404582 / 10854718875,
)  # fmt: skip
_DSINC = (
    -1 / 3, 1 / 30, -1 / 840, 1 / 45360, -1 / 3991680, 1 / 518918400,
    -1 / 93405312000, 1 / 22230464256000,
)  # fmt: skip
_SERIES_CUTOFF = 0.1  # float64, as symnn.compiler.kernels
_SERIES_CUTOFF_32 = 0.5  # float32 and narrower: the direct forms cancel more, the series is exact


def _cutoff(x):
    return _SERIES_CUTOFF if x.dtype == jnp.float64 else _SERIES_CUTOFF_32


def _odd_series(x, coeffs):
    x2 = x * x
    acc = jnp.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        acc = acc * x2 + c
    return acc


def x_minus_tanh(x):
    r""":math:`x - \tanh x`, by its Taylor series where the difference cancels (near 0)."""
    small = jnp.abs(x) < _cutoff(x)
    xs = jnp.where(small, x, 0.0)
    series = xs * xs * xs * _odd_series(xs, _XMT)
    return jnp.where(small, series, x - jnp.tanh(x))


def dsinc(x):
    r""":math:`\cos(x)/x - \sin(x)/x^2`, by its Taylor series near 0, 0 at :math:`\pm\infty`."""
    small = jnp.abs(x) < _cutoff(x)
    safe = jnp.where(small, 1.0, x)
    direct = jnp.cos(safe) / safe - jnp.sin(safe) / safe / safe
    xs = jnp.where(small, x, 0.0)
    out = jnp.where(small, xs * _odd_series(xs, _DSINC), direct)
    return jnp.where(jnp.isinf(x), 0.0, out)


def sinc(x):
    r"""The unnormalised :math:`\sin(x)/x`, 1 at 0 and 0 at :math:`\pm\infty`."""
    zero = x == 0
    safe = jnp.where(zero, 1.0, x)
    out = jnp.where(zero, 1.0, jnp.sin(safe) / safe)
    return jnp.where(jnp.isinf(x), 0.0, out)


def acot(x):
    r""":math:`\arctan(1/x)`, :math:`\pi/2` at 0 (SymPy's real acot)."""
    zero = x == 0
    safe = jnp.where(zero, 1.0, x)
    return jnp.where(zero, 1.5707963267948966, jnp.arctan(1.0 / safe))


def _half_ratio(c, h, a):
    return (0.5 * c) / (0.5 * h + 0.5 * a)


def add_hypot(u, c):
    r""":math:`u + \sqrt{u^2 + c^2}` (c > 0), as :math:`c^2/(\sqrt{u^2+c^2} + |u|)` for u < 0."""
    h = jnp.hypot(u, c)
    return jnp.where(u >= 0, u + h, c * _half_ratio(c, h, jnp.abs(u)))


def one_plus_ratio(u, c):
    r""":math:`1 + u/\sqrt{u^2 + c^2}` (c > 0) without cancellation for u < 0."""
    h = jnp.hypot(u, c)
    pos = 1.0 + jnp.where(jnp.isinf(u), 1.0, u / h)
    return jnp.where(u >= 0, pos, (c / h) * _half_ratio(c, h, jnp.abs(u)))


def hypot_minus(u, c):
    r""":math:`\sqrt{u^2 + c^2} - c = |u| \cdot |u|/(\sqrt{u^2+c^2} + c)` (c > 0)."""
    a = jnp.abs(u)
    r = jnp.where(jnp.isinf(a), 1.0, a / (jnp.hypot(u, c) + c))
    return a * r


def hypot_ratio(u, c):
    r""":math:`u/\sqrt{u^2 + c^2}` (c > 0), :math:`\pm 1` at :math:`\pm\infty`."""
    return jnp.where(jnp.isinf(u), jnp.sign(u), u / jnp.hypot(u, c))


# -- rational functions (Padé activation units): kernels.poly_ratio, poly_ratio_prime ------


def _veltkamp(t):
    """2^ceil(p/2) + 1 for the dtype of *t* (p its significand bits): Dekker's split."""
    p = int(jnp.finfo(t.dtype).nmant) + 1
    return float(2 ** ((p + 1) // 2) + 1)


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _two_prod(a, b, f):
    p = a * b
    ca, cb = f * a, f * b
    ah = ca - (ca - a)
    bh = cb - (cb - b)
    al, bl = a - ah, b - bh
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _horner_t(coeffs, t):
    s = jnp.zeros_like(t) + coeffs[-1]
    for a in coeffs[-2::-1]:
        s = s * t + a
    return s


def _compensated_horner_t(hi, lo, t):
    """sum_j (hi[j] + lo[j]) t^j as if in twice the dtype's precision (Graillat et al. 2005)."""
    f = _veltkamp(t)
    s = jnp.zeros_like(t) + hi[-1]
    c = jnp.zeros_like(t) + lo[-1]
    for a, b in zip(hi[-2::-1], lo[-2::-1], strict=True):
        p, pi = _two_prod(s, t, f)
        s, sigma = _two_sum(p, a)
        c = c * t + (pi + sigma + b)
    return s + c


def _coefficients(values, u):
    return [jnp.asarray(v, dtype=u.dtype) for v in values]


def _exponent_budget(u):
    """log2 of the largest power of |u| summed without overflow (450 in float64, as kernels)."""
    if u.dtype == jnp.float64:
        return 450.0
    return 450.0 / 1024.0 * float(np.log2(jnp.finfo(u.dtype).max))


def poly_ratio(u, num, den):
    r""":math:`\frac{\sum_j a_j u^j}{\sum_k q_k |u|^k}` without overflow, exact near the roots.

    As ``kernels.poly_ratio``: for :math:`|u| \le 1` a compensated Horner sum of the
    numerator over a Horner sum of the denominator in :math:`|u|`; for :math:`|u| > 1`
    both in :math:`1/u`, the shared powers of u cancelled (no overflow).
    """
    u = jnp.asarray(u)
    num, den = _coefficients(num, u), _coefficients(den, u)
    m, n = len(num) - 1, len(den) - 1
    small = jnp.abs(u) <= 1
    inner = jnp.where(small, u, jnp.zeros_like(u))
    zero = [jnp.zeros_like(a) for a in num]
    near = _compensated_horner_t(num, zero, inner) / _horner_t(den, jnp.abs(inner))
    outer = jnp.where(small, jnp.full_like(u, 2.0), u)
    s = 1.0 / outer
    p = _horner_t(num[::-1], s)  # u^-m P(u)
    q = _horner_t(den[::-1], jnp.abs(s))  # |u|^-n Q(u)
    k = m - n
    scale = outer**k if k >= 0 else 1.0 / outer ** (-k)
    sign = jnp.where(outer < 0, (-1.0) ** n, 1.0).astype(u.dtype)  # u^m/|u|^n = u^(m-n) sign(u)^n
    return jnp.where(small, near, (p / q) * sign * scale)


def _prime_coefficients(num, den, side):
    """N = P'Q_s - PQ_s' (Q_s(u) = Q(side u)) per power of u, in double the dtype's precision."""
    f = _veltkamp(num[0])
    size = max(len(num) + len(den) - 2, 1)
    hi = [jnp.zeros_like(num[0]) for _ in range(size)]
    lo = [jnp.zeros_like(num[0]) for _ in range(size)]
    for j, a in enumerate(num):
        for k, q in enumerate(den):
            c = (j - k) * side**k
            if j + k < 1 or c == 0:
                continue
            p, e = _two_prod(a, q, f)  # a q = p + e exactly
            p2, e2 = _two_prod(jnp.full_like(p, float(c)), p, f)
            s, err = _two_sum(hi[j + k - 1], p2)
            hi[j + k - 1] = s
            lo[j + k - 1] = lo[j + k - 1] + (err + e2 + c * e)
    for i in range(size):
        hi[i], lo[i] = _two_sum(hi[i], lo[i])
    return hi, lo


def poly_ratio_prime(u, num, den):
    r"""The derivative of :func:`poly_ratio`, :math:`N_\pm(u)/Q(|u|)^2` (``kernels.poly_ratio_prime``):
    the numerator's coefficients in double precision of the dtype, a compensated Horner
    sum; in :math:`1/u` beyond :math:`2^{450/d}` (float64); :math:`a_1/q_0` at 0."""
    u = jnp.asarray(u)
    num, den = _coefficients(num, u), _coefficients(den, u)
    n = len(den) - 1
    sides = [_prime_coefficients(num, den, side) for side in (1, -1)]
    d = len(sides[0][0]) - 1
    cut = 2.0 ** (_exponent_budget(u) / max(d, 2 * n, 1))
    small = jnp.abs(u) <= cut
    inner = jnp.where(small, u, jnp.zeros_like(u))
    q = _horner_t(den, jnp.abs(inner))
    pos = _compensated_horner_t(*sides[0], inner)
    neg = _compensated_horner_t(*sides[1], inner)
    near = jnp.where(inner >= 0, pos, neg) / (q * q)
    outer = jnp.where(small, jnp.full_like(u, 2.0 * cut), u)
    s = 1.0 / outer
    qf = _horner_t(den[::-1], jnp.abs(s))
    pf = _horner_t(sides[0][0][::-1], s)
    nf = _horner_t(sides[1][0][::-1], s)
    k = d - 2 * n
    scale = jnp.abs(outer) ** k if k >= 0 else 1.0 / jnp.abs(outer) ** (-k)
    sign = jnp.where(outer < 0, (-1.0) ** d, 1.0).astype(u.dtype)
    far = jnp.where(outer >= 0, pf, nf) / (qf * qf) * sign * scale
    out = jnp.where(small, near, far)
    at_zero = num[1] / den[0] if len(num) > 1 else jnp.zeros_like(den[0])
    return jnp.where(u == 0, at_zero, out)


# -- near-root polynomials and limits at +-inf (symnn.export.fixes) --------------------------


def _traced(*values) -> bool:
    return any(isinstance(v, jax.core.Tracer) for v in values)


def root_table(tables):
    """The near-root table of :func:`symnn.export.fixes.split_roots` (NumPy arrays per dtype)."""
    return tables


def at_defaults(scalars, defaults):
    """Whether the parameters equal *defaults*: a bool, or a traced boolean under ``jit``."""
    if _traced(*scalars):
        same = jnp.asarray(True)
        for s, d in zip(scalars, defaults, strict=True):
            same = same & jnp.all(jnp.asarray(s) == d)
        return same
    return all(bool(np.all(np.asarray(s) == d)) for s, d in zip(scalars, defaults, strict=True))


def all_finite(x):
    """True or False when *x* is concrete; None while traced (then both paths are traced)."""
    if _traced(x):
        return None
    return bool(np.isfinite(np.asarray(x)).all())


def finite_only(x):
    """*x* with 0 at +-inf and NaN (the formula's input; the limits are put back later)."""
    return jnp.where(jnp.isfinite(x), x, jnp.zeros((), dtype=x.dtype))


def put_limits(x, out, neg, pos):
    """*out* with *neg* where x is -inf, *pos* where x is +inf and NaN where x is NaN."""
    out = jnp.where(x == -jnp.inf, jnp.asarray(neg, dtype=out.dtype), out)
    out = jnp.where(x == jnp.inf, jnp.asarray(pos, dtype=out.dtype), out)
    return jnp.where(jnp.isnan(x), jnp.asarray(jnp.nan, dtype=out.dtype), out)


def select(use, a, b):
    """*a* where *use* (a bool or a traced boolean), else *b*."""
    if isinstance(use, bool):
        return a if use else b
    return jnp.where(use, a, b)


def near_roots(x, out, table, use=True):
    r"""*out* with the root polynomials of *table* inside its windows (``kernels.near_roots``):
    every element is evaluated and kept with ``jnp.where`` (traceable, no data-dependent shapes)."""
    x = jnp.asarray(x)
    dtype = x.dtype
    t = table["float64" if dtype == jnp.float64 else "float32"]

    def arr(k):
        v = t[k]
        return jnp.asarray(v, dtype=dtype) if v.dtype.kind == "f" else jnp.asarray(v)

    x = jnp.broadcast_to(x, jnp.shape(out))
    lo, hi = arr("lo"), arr("hi")
    if "bucket_root" in t:  # many roots: a uniform bucket grid, one window per bucket at most
        buckets = arr("bucket_root")
        pos = (x - t["bucket_origin"].astype(dtype)) * t["bucket_scale"].astype(dtype)
        pos = jnp.clip(jnp.nan_to_num(pos, nan=0.0), 0.0, buckets.shape[0] - 1.0)
        root = buckets[pos.astype(jnp.int32)]
        inside = (x > lo[root]) & (x < hi[root])
    else:
        inside = jnp.zeros(x.shape, dtype=bool)
        root = jnp.zeros(x.shape, dtype=jnp.int32)
        for i in range(lo.shape[0]):
            m = (x > lo[i]) & (x < hi[i])
            root = jnp.where(m, i, root)
            inside = inside | m
    if not isinstance(use, bool):
        inside = inside & use
    r_hi = arr("r_hi")
    safe = jnp.where(inside, x, r_hi[root])  # no overflow in lanes that are discarded
    # XLA folds (x - c1) - c2 into x - (c1 + c2) for constants, losing the root's low parts:
    # an optimisation barrier keeps each difference as written
    barrier = jax.lax.optimization_barrier
    h = barrier(barrier(safe - r_hi[root]) - arr("r_lo")[root]) - arr("r_lo2")[root]
    piece = jnp.where(h < 0, arr("left")[root], arr("right")[root])
    s = (h - arr("center")[piece]) * arr("inv_width")[piece]
    c = arr("coeffs")[piece]
    acc = c[..., -1]
    for k in range(c.shape[-1] - 2, -1, -1):
        acc = acc * s + c[..., k]
    return jnp.where(inside, (h * acc).astype(out.dtype), out)


#: The kernels this module provides (what the code generator may call as ``ops.*``).
NAMES = frozenset(
    name
    for name, value in list(globals().items())
    if callable(value) and not name.startswith("_") and name not in ("load", "annotations")
    and name not in ("root_table", "at_defaults", "all_finite", "select")
    and getattr(value, "__module__", None) == __name__
)
