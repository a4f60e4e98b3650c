r"""Small, numerically stable NumPy kernels that generated code calls.

:func:`symnn.compile` rewrites expressions whose textbook form cancels or
overflows into calls of these functions. Each one is accurate to a few ulps for
every float64 input, raises no floating-point warnings, and works elementwise on
arrays of any shape.

Examples
--------
>>> import numpy as np
>>> float(sech2(np.float64(800.0)))     # 1/cosh(800)**2 would overflow to 1/inf
0.0
>>> float(x_minus_tanh(1e-3)) / (1e-3**3 / 3)   # x - tanh x ~ x^3/3: no cancellation
0.9999996000...
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.special

__all__ = [
    "RootTable",
    "acot",
    "add_hypot",
    "broadcast",
    "dsinc",
    "exact_where_overflow",
    "finite_only",
    "finite_only_all",
    "hypot_minus",
    "hypot_ratio",
    "log_cosh",
    "near_roots",
    "one_plus_ratio",
    "poly_ratio",
    "poly_ratio_prime",
    "put_limits",
    "put_limits_at",
    "sech",
    "sech2",
    "sigmoid_prime",
    "sinc",
    "x_minus_tanh",
    "zero_times",
]

# Taylor coefficients of x - tanh(x) = sum_k c_k x^(2k+1), k >= 1 (Bernoulli numbers).
_XMT = np.array(
    [
        1 / 3,
        -2 / 15,
        17 / 315,
        -62 / 2835,
        1382 / 155925,
        -21844 / 6081075,
        929569 / 638512875,
        -6404582 / 10854718875,
    ]
)
# Taylor coefficients of d/dx sinc(x) = sum_k d_k x^(2k+1), d_k = (-1)^(k+1) (2k+2)/(2k+3)!.
_DSINC = np.array(
    [(-1) ** (k + 1) * (2 * k + 2) / np.prod(np.arange(1.0, 2 * k + 4)) for k in range(8)]
)
_SERIES_CUTOFF = 0.1  # below it the series converges to full precision in 8 terms


def _odd_series(x: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Evaluate sum_k coeffs[k] x^(2k+1) (starting at x^3 or x^1 as the caller shifts)."""
    x2 = x * x
    acc = np.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        acc = acc * x2 + c
    return acc


def _power(x, n: int):
    """x**n for a small positive integer n by multiplication (np.power is slow)."""
    out = x
    for _ in range(n - 1):
        out = out * x
    return out


def _patched(x, direct, series, shift: int):
    """``direct(x)``, except where |x| < cutoff, where the odd series is used."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = direct(x)  # replaced by the series below where it fails (cos(v)/v at 5e-324)
    if x.ndim == 0:
        if abs(x) < _SERIES_CUTOFF:
            out = _power(x, shift) * _odd_series(x, series)
        return out[()] if isinstance(out, np.ndarray) else out
    # two comparisons into 1-byte masks are cheaper than an 8-byte |x| temporary
    mask = np.less(x, _SERIES_CUTOFF)
    mask &= np.greater(x, -_SERIES_CUTOFF)
    small = np.flatnonzero(mask)
    if small.size:
        flat_out, xs = out.reshape(-1), x.reshape(-1)[small]
        flat_out[small] = _power(xs, shift) * _odd_series(xs, series)
    return out


def _x_minus_tanh_direct(v):
    out = np.tanh(v)
    if isinstance(out, np.ndarray):
        return np.subtract(v, out, out=out)
    return v - out


def x_minus_tanh(x):
    r"""Stable :math:`x - \tanh x` (tanhshrink): a series where the difference cancels.

    >>> float(x_minus_tanh(2.0))
    1.0359724199...
    """
    return _patched(x, _x_minus_tanh_direct, _XMT, 3)


def dsinc(x):
    r"""Stable :math:`\frac{d}{dx}\frac{\sin x}{x} = \frac{x\cos x - \sin x}{x^2}`, 0 at 0.

    >>> float(dsinc(0.0)), round(float(dsinc(1.0)), 12)
    (-0.0, -0.30116867894)
    """
    return _at_infinity(x, _patched(x, _dsinc_direct, _DSINC, 1), 0.0)


def _dsinc_direct(v):
    # cos(v)/v - sin(v)/v/v: v*v would overflow for |v| > 1.3e154
    return np.cos(v) / v - np.sin(v) / v / v


def _at_infinity(x, out, limit: float):
    """*out* with *limit* where x is +-inf (sin and cos of inf are NaN)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 0:
        return np.float64(limit) if np.isinf(x) else out
    inf = np.isinf(x)
    if inf.any():
        out = np.where(inf, limit, out)
    return out


def sinc(x):
    r"""The unnormalised :math:`\operatorname{sinc} x = \frac{\sin x}{x}`, 1 at 0.

    (``numpy.sinc(x/pi)`` loses digits for large x: x/pi*pi is not x.)

    >>> float(sinc(0.0)), round(float(sinc(np.pi / 2)), 15), float(sinc(np.inf))
    (1.0, 0.636619772367581, 0.0)
    """
    x = np.asarray(x, dtype=np.float64)
    zero = x == 0
    safe = np.where(zero, 1.0, x)
    with np.errstate(invalid="ignore"):  # sin(inf), replaced below
        out = np.where(zero, 1.0, np.sin(x) / safe)
    return _at_infinity(x, out, 0.0)


def sech(x):
    r""":math:`\operatorname{sech} x = 1/\cosh x`, without overflow (cosh is clipped at 710,
    where sech is already below the smallest subnormal).

    >>> float(sech(0.0)), float(sech(1000.0)) < 1e-300
    (1.0, True)
    """
    out = np.cosh(np.clip(x, -710.0, 710.0))
    if isinstance(out, np.ndarray):  # in place: no second temporary array
        return np.reciprocal(out, out=out)
    return 1.0 / out


def sech2(x):
    r""":math:`\operatorname{sech}^2 x = 1 - \tanh^2 x`, computed as :math:`(1/\cosh x)^2`.

    Accurate where :math:`1 - \tanh^2 x` cancels (|x| > 1) and free of the
    overflow of :math:`\cosh^2 x` (|x| > 355).

    >>> float(sech2(0.0)), float(sech2(20.0))
    (1.0, 1.69934170211...e-17)
    """
    out = sech(x)
    if isinstance(out, np.ndarray):
        return np.multiply(out, out, out=out)
    return out * out


_LOG2 = float(np.log(2.0))


def log_cosh(x):
    r""":math:`\log\cosh x`, without overflow and without cancellation near 0.

    For :math:`|x| < 1` it is :math:`\operatorname{log1p}(2\sinh^2(x/2))` (no cancellation
    where :math:`\cosh x \approx 1`); above, :math:`|x| - \log 2 +
    \operatorname{log1p}(e^{-2|x|})` (``cosh`` would overflow at |x| > 710).

    >>> float(log_cosh(1000.0)), float(log_cosh(1e-8)) / 5e-17  # log cosh x ~ x**2/2
    (999.3068528194401, 1.0000000000000...)
    """
    a = np.abs(np.asarray(x, dtype=np.float64))
    s = np.sinh(np.minimum(a, 1.0) / 2)
    near = np.log1p(2.0 * s * s)
    far = a - _LOG2 + np.log1p(np.exp(-2.0 * np.maximum(a, 1.0)))
    return np.where(a < 1.0, near, far)


def sigmoid_prime(x):
    r""":math:`\sigma(x)\sigma(-x) = t(1 - t)` with :math:`t = \sigma(-|x|) \le 1/2`.

    One exponential, and no cancellation: :math:`1 - t \ge 1/2`.

    >>> float(sigmoid_prime(0.0)), float(sigmoid_prime(-800.0)) == float(sigmoid_prime(800.0))
    (0.25, True)
    """
    t = np.abs(x)
    if isinstance(t, np.ndarray):
        np.negative(t, out=t)
        scipy.special.expit(t, out=t)
    else:
        t = scipy.special.expit(-t)
    return t * (1.0 - t)


def _half_ratio(c, h, a):
    """``c/(h + a)`` for h, a >= 0 without overflow of the sum (both halved first)."""
    return (0.5 * c) / (0.5 * h + 0.5 * a)


def add_hypot(u, c):
    r""":math:`u + \sqrt{u^2 + c^2}` (c > 0) without cancellation or overflow.

    For :math:`u < 0` the sum cancels; there it is :math:`c^2/(\sqrt{u^2+c^2} + |u|)`.
    ``numpy.hypot`` never squares u. The limits at :math:`\pm\infty` are inf and 0.

    >>> float(add_hypot(-1e10, 2.0)), float(add_hypot(-1e200, 2.0)), float(add_hypot(3.0, 4.0))
    (2e-10, 2e-200, 8.0)
    """
    u = np.asarray(u, dtype=np.float64)
    h = np.hypot(u, c)
    a = np.abs(u)
    with np.errstate(invalid="ignore", divide="ignore"):  # lanes that np.where discards
        out = np.where(u >= 0, u + h, c * _half_ratio(c, h, a))
    return out[()] if out.ndim == 0 else out


def one_plus_ratio(u, c):
    r""":math:`1 + u/\sqrt{u^2 + c^2}` (c > 0) without cancellation or overflow.

    For :math:`u < 0` it is :math:`\frac{c}{h}\cdot\frac{c}{h + |u|}` with
    :math:`h = \sqrt{u^2+c^2}`; the limits at :math:`\pm\infty` are 2 and 0.

    >>> float(one_plus_ratio(-1e10, 2.0)) / 2e-20, float(one_plus_ratio(0.0, 2.0))
    (1.0000000000000..., 1.0)
    >>> float(one_plus_ratio(np.inf, 2.0)), float(one_plus_ratio(-np.inf, 2.0))
    (2.0, 0.0)
    """
    u = np.asarray(u, dtype=np.float64)
    h = np.hypot(u, c)
    a = np.abs(u)
    with np.errstate(invalid="ignore", divide="ignore"):  # inf/inf at +-inf, fixed below
        pos = 1.0 + np.where(np.isinf(u), 1.0, u / h)
        out = np.where(u >= 0, pos, (c / h) * _half_ratio(c, h, a))
    return out[()] if out.ndim == 0 else out


def hypot_minus(u, c):
    r""":math:`\sqrt{u^2 + c^2} - c = |u| \cdot \frac{|u|}{\sqrt{u^2+c^2} + c}` (c > 0).

    No cancellation for small u (pseudo-Huber, bent identity) and no overflow of
    :math:`u^2` for large u.

    >>> float(hypot_minus(1e-8, 1.0)) / 5e-17, float(hypot_minus(1e200, 1.0))
    (1.0000000000000..., 1e+200)
    """
    u = np.asarray(u, dtype=np.float64)
    a = np.abs(u)
    h = np.hypot(u, c)
    with np.errstate(invalid="ignore"):  # inf/inf at u = +-inf, fixed below
        r = np.where(np.isinf(a), 1.0, a / (h + c))
    out = a * r
    return out[()] if out.ndim == 0 else out


def hypot_ratio(u, c):
    r""":math:`u/\sqrt{u^2 + c^2}` (c > 0) without overflow; :math:`\pm 1` at :math:`\pm\infty`.

    >>> float(hypot_ratio(1e200, 1.0)), float(hypot_ratio(-np.inf, 1.0)), float(hypot_ratio(3.0, 4.0))
    (1.0, -1.0, 0.6)
    """
    u = np.asarray(u, dtype=np.float64)
    h = np.hypot(u, c)
    with np.errstate(invalid="ignore"):  # inf/inf, replaced below
        out = u / h
    inf = np.isinf(u)
    if inf.any():
        out = np.where(inf, np.sign(u), out)
    return out[()] if out.ndim == 0 else out


def zero_times(d, p):
    r""":math:`d \cdot p`, but 0 where d is 0 (also where p overflowed to inf or NaN).

    For a factor d that decays faster than the polynomial p grows (``sech2(x**3)*x**2``,
    ``exp(-x**2)*x**2``): where p overflows, d has long underflowed to 0 and the true
    product is 0, not ``0*inf = nan``.

    >>> float(zero_times(0.0, np.inf)), float(zero_times(2.0, 3.0))
    (0.0, 6.0)
    """
    d = np.asarray(d, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out = np.where(d == 0, 0.0, d * p)
    return out[()] if out.ndim == 0 else out


def acot(x):
    r"""SymPy's real :math:`\operatorname{acot} x = \arctan(1/x)`, with :math:`\pi/2` at 0.

    >>> float(acot(0.0)), float(acot(-0.0)), float(acot(-1.0))
    (1.5707963267948966, 1.5707963267948966, -0.7853981633974483)
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        out = np.where(x == 0, np.pi / 2, np.arctan(1.0 / x))
    return out[()] if out.ndim == 0 else out


def broadcast(value, *arrays):
    """*value* as a float64 array with the broadcast shape of *arrays* (for constant results).

    NaN where any of *arrays* is NaN.

    >>> broadcast(1.0, np.zeros((2, 3))).shape
    (2, 3)
    >>> broadcast(1.0, np.array([0.0, np.nan]))
    array([ 1., nan])
    """
    shape = np.broadcast_shapes(*(np.shape(a) for a in arrays))
    out = np.full(shape, value, dtype=np.float64)
    for a in arrays:  # NaN in, NaN out, also for a constant function
        np.copyto(out, a, where=np.isnan(a))
    return out[()] if out.ndim == 0 else out


def _two_sum(a, b):
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def _split(a):
    c = 134217729.0 * a  # 2^27 + 1 (Veltkamp)
    hi = c - (c - a)
    return hi, a - hi


def _two_prod(a, b):
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _compensated_horner(coeffs, t):
    """sum_j coeffs[j] t^j as if in twice float64's precision (Graillat, Langlois & Louvet 2005)."""
    s = np.full_like(t, float(coeffs[-1]))
    c = np.zeros_like(t)
    for a in coeffs[-2::-1]:
        p, pi = _two_prod(s, t)
        s, sigma = _two_sum(p, np.float64(a))
        c = c * t + (pi + sigma)
    return s + c


def _horner(coeffs, t):
    s = np.full_like(t, float(coeffs[-1]))
    for a in coeffs[-2::-1]:
        s = s * t + a
    return s


def poly_ratio(u, num, den):
    r""":math:`\frac{\sum_j a_j u^j}{\sum_k q_k |u|^k}` without overflow and exact near the roots.

    For :math:`|u| \le 1` the numerator is a compensated Horner sum (accurate to about
    float64's precision however much its terms cancel, next to a root too), the
    denominator a Horner sum in :math:`|u|`. For :math:`|u| > 1` both are summed in
    :math:`1/u` (the coefficients reversed) and the powers of u they share cancel, so
    :math:`u^5` never overflows: Padé activation units at :math:`|u| = 10^{100}`.

    >>> float(poly_ratio(1e100, (0.0, 1.0, 0.0, 0.0, 0.0, 2.0), (1.0, 0.0, 0.0, 0.0, 4.0)))
    5e+99
    >>> float(poly_ratio(0.5, (1.0, 1.0), (1.0, 1.0)))
    1.0
    """
    u = np.asarray(u, dtype=np.float64)
    num = [np.float64(a) for a in num]
    den = [np.float64(q) for q in den]
    m, n = len(num) - 1, len(den) - 1
    t = np.abs(u)
    small = t <= 1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # lanes np.where drops
        inner = np.where(small, u, 0.0)
        near = _compensated_horner(num, inner) / _horner(den, np.abs(inner))
        outer = np.where(small, 2.0, u)
        s = 1.0 / outer
        p = _horner(num[::-1], s)  # u^-m P(u)
        q = _horner(den[::-1], np.abs(s))  # |u|^-n Q(u)
        k = m - n
        scale = outer**k if k >= 0 else 1.0 / outer ** (-k)
        sign = np.where(outer < 0, (-1.0) ** n, 1.0)  # u^m / |u|^n = u^(m-n) sign(u)^n
        far = (p / q) * sign * scale
    out = np.where(small, near, far)
    return out[()] if out.ndim == 0 else out


def _exact_coefficients(num, den, side: int):
    """``(hi, lo)`` of N = P' Q_s - P Q_s' with Q_s(u) = Q(side * u), summed exactly.

    None when a coefficient is an array (per-unit parameters): the caller sums in float64.
    """
    try:
        a = [Fraction(float(c)) for c in num]
        q = [Fraction(float(c)) * side**k for k, c in enumerate(den)]
    except (TypeError, ValueError):
        return None
    n_out = max(len(a) + len(q) - 2, 1)
    out = [Fraction(0)] * n_out
    for j, aj in enumerate(a):
        for k, qk in enumerate(q):
            if j + k >= 1:
                out[j + k - 1] += (j - k) * aj * qk  # P'Q - PQ': (j - k) a_j q_k u^(j+k-1)
    hi = [float(c) for c in out]
    lo = [float(c - Fraction(h)) for c, h in zip(out, hi, strict=True)]
    return hi, lo


def _float_coefficients(num, den, side: int):
    n_out = max(len(num) + len(den) - 2, 1)
    out = [0.0] * n_out
    for j, aj in enumerate(num):
        for k, qk in enumerate(den):
            if j + k >= 1:
                out[j + k - 1] = out[j + k - 1] + (j - k) * aj * qk * side**k
    return out, [0.0] * n_out


def _compensated_horner_dd(hi, lo, t):
    """sum_j (hi[j] + lo[j]) t^j, compensated (the coefficients in double-double)."""
    s = np.full_like(t, hi[-1])
    c = np.full_like(t, lo[-1])
    for a, b in zip(hi[-2::-1], lo[-2::-1], strict=True):
        p, pi = _two_prod(s, t)
        s, sigma = _two_sum(p, np.float64(a))
        c = c * t + (pi + sigma + b)
    return s + c


def poly_ratio_prime(u, num, den):
    r"""The derivative of :func:`poly_ratio`: :math:`\frac{N_\pm(u)}{Q(|u|)^2}`, exact near its roots.

    On each side of 0 the numerator :math:`P'(u)Q(\pm u) - P(u)\frac{d}{du}Q(\pm u)` is one
    polynomial :math:`N_\pm` whose coefficients are summed exactly (fractions, kept as
    double-double) and evaluated by a compensated Horner sum, so the quotient rule's
    cancellation next to a root of :math:`f'` costs nothing; beyond :math:`|u| = 2^{450/d}`
    (d the degree) both polynomials are summed in :math:`1/u` (no overflow, the limit at
    :math:`\pm\infty` is :math:`(m - n)a_m/q_n` when the degrees differ by one). At 0 the
    value is :math:`a_1/q_0` (:math:`\frac{d}{du}|u| = 0` there, the mean of the one-sided
    derivatives).

    >>> float(poly_ratio_prime(2.0, (0.0, 0.0, 0.0, 1.0), (1.0, 0.0, 1.0)))  # x^3/(1+x^2)
    1.12
    >>> float(poly_ratio_prime(1e300, (0.0, 0.0, 0.0, 1.0), (1.0, 0.0, 1.0)))
    1.0
    """
    u = np.asarray(u, dtype=np.float64)
    num = [np.float64(a) if np.ndim(a) == 0 else np.asarray(a, dtype=np.float64) for a in num]
    den = [np.float64(q) if np.ndim(q) == 0 else np.asarray(q, dtype=np.float64) for q in den]
    n = len(den) - 1
    sides = []
    for side in (1, -1):
        exact = _exact_coefficients(num, den, side) if all(np.ndim(c) == 0 for c in (*num, *den)) else None
        sides.append(exact or _float_coefficients(num, den, side))
    d = len(sides[0][0]) - 1  # N's nominal degree
    cut = 2.0 ** (450 / max(d, 2 * n, 1))
    t = np.abs(u)
    small = t <= cut
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # lanes np.where drops
        inner = np.where(small, u, 0.0)
        q = _horner(den, np.abs(inner))
        pos = _compensated_horner_dd(*sides[0], inner)
        neg = _compensated_horner_dd(*sides[1], inner)
        near = np.where(inner >= 0, pos, neg) / (q * q)
        outer = np.where(small, 2.0 * cut, u)
        s = 1.0 / outer
        qf = _horner(den[::-1], np.abs(s))  # |u|^-n Q(|u|)
        pf = _horner(sides[0][0][::-1], s)  # u^-d N+(u)
        nf = _horner(sides[1][0][::-1], s)
        k = d - 2 * n
        scale = np.abs(outer) ** k if k >= 0 else 1.0 / np.abs(outer) ** (-k)
        sign = np.where(outer < 0, (-1.0) ** d, 1.0)  # u^d / |u|^2n = |u|^(d-2n) sign(u)^d
        far = np.where(outer >= 0, pf, nf) / (qf * qf) * sign * scale
    out = np.where(small, near, far)
    out = np.where(u == 0, num[1] / den[0] if len(num) > 1 else 0.0 * u, out)
    return out[()] if out.ndim == 0 else out


# -- near-root tables (built by symnn.compiler.roots) --------------------------------------


@dataclass(frozen=True, eq=False)
class RootTable:
    r"""Windows about roots of a function and the polynomials that replace its formula there.

    Built by :func:`symnn.compiler.roots.root_table`; :func:`near_roots` reads it. Root i is
    :math:`r_i = r^{hi}_i + r^{lo}_i + r^{lo2}_i` (triple-double); inside its window
    :math:`(lo_i, hi_i)` the value is :math:`h\,q(t)` with :math:`h = x - r_i` (computed as
    ``((x - r_hi) - r_lo) - r_lo2``) and :math:`t = (h - c)/w` for the piece
    ``left[i]`` (h < 0) or ``right[i]`` (h >= 0), whose centre c, inverse half width 1/w and
    coefficients (``coeffs[piece, k]`` of :math:`t^k`) are stored per piece.
    """

    r_hi: np.ndarray
    r_lo: np.ndarray
    r_lo2: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    left: np.ndarray
    right: np.ndarray
    center: np.ndarray
    inv_width: np.ndarray
    coeffs: np.ndarray
    bucket_origin: float = 0.0
    bucket_scale: float = 0.0
    bucket_root: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.r_hi)

    def __repr__(self) -> str:
        shown = ", ".join(f"{r:.17g}" for r in self.r_hi[:4]) + (", ..." if len(self) > 4 else "")
        return f"<RootTable: {len(self)} root(s) at {shown}>"

    def locate(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in the flat array *x* inside a window, and the root of each."""
        if self.bucket_root is None:  # a few roots: two comparisons each
            found, roots = [], []
            for i in range(len(self)):
                mask = np.greater(x, self.lo[i])
                mask &= np.less(x, self.hi[i])
                where = np.flatnonzero(mask)
                if where.size:
                    found.append(where)
                    roots.append(np.full(where.size, i))
            if not found:
                return _EMPTY, _EMPTY
            return np.concatenate(found), np.concatenate(roots)
        # many roots: a uniform bucket grid with at most one window per bucket
        t = x - self.bucket_origin
        t *= self.bucket_scale
        np.clip(t, 0.0, len(self.bucket_root) - 1.0, out=t)
        t[np.isnan(t)] = 0.0  # NaN: any bucket; the comparisons reject it
        b = t.astype(np.intp)
        root = self.bucket_root.take(b)
        mask = np.greater(x, self.lo.take(root))
        mask &= np.less(x, self.hi.take(root))
        where = np.flatnonzero(mask)
        return where, root.take(where)

    def evaluate(self, x: np.ndarray, root: np.ndarray) -> np.ndarray:
        """The polynomial values at points *x* inside the windows of *root*."""
        h = ((x - self.r_hi[root]) - self.r_lo[root]) - self.r_lo2[root]
        piece = np.where(h < 0, self.left[root], self.right[root])
        t = (h - self.center[piece]) * self.inv_width[piece]
        c = self.coeffs[piece]
        acc = c[:, -1].copy()
        for k in range(c.shape[1] - 2, -1, -1):
            acc *= t
            acc += c[:, k]
        return h * acc


_EMPTY = np.zeros(0, dtype=np.intp)


def near_roots(x, out, table: RootTable):
    r"""*out* (the formula's values at *x*), with the root polynomials of *table* in its windows.

    Next to a root r where the formula cancels, its absolute error E is far larger than
    :math:`|f(x)| \approx |f'(r)||x - r|`; there a polynomial in :math:`x - r` (with r in
    triple-double) takes over. See :mod:`symnn.compiler.roots`.

    >>> import sympy as sp
    >>> from symnn.compiler import compile
    >>> x = sp.Symbol("x", real=True)
    >>> f = compile(sp.exp(x) - 2, x)       # exp(x) - 2 cancels next to log 2
    >>> f.roots
    <RootTable: 1 root(s) at 0.69314718055994529>
    >>> float(f(0.6931471805599453))          # mpmath: -4.63809362769259917...e-17
    -4.638093627692599e-17
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.array(out, dtype=np.float64, copy=True) if np.ndim(out) == 0 else out
    if x.shape != out.shape:
        x = np.broadcast_to(x, out.shape)
    flat_x = x.reshape(-1)
    where, root = table.locate(flat_x)
    if where.size == 0:
        return out[()] if out.ndim == 0 else out
    flat = out.reshape(-1)
    if not np.shares_memory(flat, out) or not out.flags.writeable:
        out = np.array(out, copy=True)
        flat = out.reshape(-1)
    flat[where] = table.evaluate(flat_x[where], root)
    return out[()] if out.ndim == 0 else out


# -- non-finite inputs (limits from symnn.compiler.extremes) -------------------------------


def finite_only(x: np.ndarray) -> np.ndarray:
    """*x* itself when every element is finite, else a copy with 0 at +-inf and NaN.

    The generated code evaluates its formula on this and then, if it got a copy, puts the
    limits back with :func:`put_limits` (see :mod:`symnn.compiler.extremes`).

    >>> x = np.array([1.0, 2.0])
    >>> finite_only(x) is x, finite_only(np.array([1.0, np.inf, np.nan]))
    (True, array([1., 0., 0.]))
    """
    finite = np.isfinite(x)
    if finite.all():
        return x
    return np.where(finite, x, 0.0)


def put_limits(x: np.ndarray, out, neg: float, pos: float):
    """*out* with *neg* where x is -inf, *pos* where x is +inf and NaN where x is NaN.

    >>> put_limits(np.array([-np.inf, 1.0, np.inf, np.nan]), np.zeros(4), -1.0, 1.0)
    array([-1.,  0.,  1., nan])
    """
    out = np.where(x == -np.inf, neg, out)
    out = np.where(x == np.inf, pos, out)
    out = np.where(np.isnan(x), np.nan, out)
    return out[()] if out.ndim == 0 else out


def finite_only_all(*args: np.ndarray) -> tuple[np.ndarray, ...]:
    """*args* themselves when all are finite, else broadcast copies with 0 where any is not.

    >>> finite_only_all(np.array([1.0, np.inf]), np.array(2.0))
    (array([1., 0.]), array([2., 0.]))
    """
    if all(np.isfinite(a).all() for a in args):
        return args
    arrays = np.broadcast_arrays(*args)
    bad = np.zeros(arrays[0].shape, dtype=bool)
    for a in arrays:
        bad |= ~np.isfinite(a)
    return tuple(np.where(bad, 0.0, a) for a in arrays)


def put_limits_at(args: tuple[np.ndarray, ...], out, limit):
    """*out* with ``limit(*values)`` at every element where an argument is not finite.

    *limit* is a :class:`symnn.compiler.extremes.ElementLimit` (cached per point).

    >>> put_limits_at((np.array([1.0, np.nan]), np.array([0.0, 0.0])), np.ones(2), max)
    array([ 1., nan])
    """
    arrays = np.broadcast_arrays(*args)
    bad = np.zeros(arrays[0].shape, dtype=bool)
    for a in arrays:
        bad |= ~np.isfinite(a)
    out = np.array(np.broadcast_to(out, bad.shape), dtype=np.float64)
    flat_out, flats = out.reshape(-1), [a.reshape(-1) for a in arrays]
    for i in np.flatnonzero(bad):
        flat_out[i] = limit(*(float(a[i]) for a in flats))
    return out[()] if out.ndim == 0 else out


def exact_where_overflow(args: tuple[np.ndarray, ...], out, exact):
    r"""*out*, with ``exact(*values)`` where it is +-inf or NaN although every argument is finite.

    *exact* is a :class:`symnn.compiler.extremes.ElementValue`: inf stays where the true
    value is beyond float64, NaN where there is no real value (outside the domain), and an
    intermediate overflow gets the true value: :math:`e^x \operatorname{sech}^2(e^x)` at
    x = 800 is :math:`\infty \cdot 0` in float64 and 0 in truth.

    >>> exact_where_overflow((np.array([1.0, 1e300]),), np.array([1.0, np.inf]), lambda t: 7.0)
    array([1., 7.])
    """
    out = np.asarray(out, dtype=np.float64)
    odd = ~np.isfinite(out)
    if not odd.any():
        return out[()] if out.ndim == 0 else out
    arrays = np.broadcast_arrays(*args, out)
    bad = ~np.isfinite(arrays[-1])
    for a in arrays[:-1]:
        bad &= np.isfinite(a)
    if not bad.any():
        return out[()] if out.ndim == 0 else out
    out = np.array(arrays[-1], dtype=np.float64)
    flat_out, flats = out.reshape(-1), [a.reshape(-1) for a in arrays[:-1]]
    for i in np.flatnonzero(bad):
        flat_out[i] = exact(*(float(a[i]) for a in flats))
    return out[()] if out.ndim == 0 else out
