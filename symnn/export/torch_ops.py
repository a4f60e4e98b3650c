r"""symnn's stable kernels (:mod:`symnn.compiler.kernels`) written with PyTorch operations.

Exported code calls ``ops.<name>`` wherever symnn's NumPy code calls ``kernels.<name>``
(or a NumPy function whose signature PyTorch lacks, such as ``np.maximum(x, 0)`` with a
number): the same formulas, so the same accuracy, on any device and dtype. Each
function is self-contained PyTorch code (the CLI copies the ones a module uses into a
standalone file). PyTorch is imported by :func:`load`, never when this module is.

>>> import symnn.export.torch_ops as ops  # no PyTorch needed to import it
>>> sorted(ops.NAMES)[:3]
['acot', 'add_hypot', 'arctan2']
"""

from __future__ import annotations

import math
import sys
from types import ModuleType

torch = None  # the torch module, bound by load()

__all__ = ["NAMES", "load"]


def load() -> ModuleType:
    """Import PyTorch and return this module, ready to run (``ops`` in generated code)."""
    global torch
    if torch is None:
        try:
            import torch as _torch
        except ImportError:
            raise ImportError(
                "exporting to PyTorch needs PyTorch: pip install 'symnn[torch]' "
                "(CPU builds: pip install torch --index-url https://download.pytorch.org/whl/cpu)"
            ) from None
        torch = _torch
    return sys.modules[__name__]


def _like(value, ref):
    """*value* as a tensor of *ref*'s dtype and device (a tensor stays as it is)."""
    if torch.is_tensor(value):
        return value
    return torch.tensor(value, dtype=ref.dtype, device=ref.device)


def _pair(a, b):
    """*a* and *b* as tensors of one dtype and device (either may be a Python number)."""
    if not torch.is_tensor(a):
        a = _like(a, b) if torch.is_tensor(b) else torch.tensor(a, dtype=torch.float64)
    return a, _like(b, a)


def maximum(a, b):
    """``numpy.maximum``: NaN propagates; either argument may be a number."""
    if torch.is_tensor(a) and not torch.is_tensor(b):
        return torch.clamp(a, min=b)
    if torch.is_tensor(b) and not torch.is_tensor(a):
        return torch.clamp(b, min=a)
    return torch.maximum(*_pair(a, b))


def minimum(a, b):
    """``numpy.minimum``: NaN propagates; either argument may be a number."""
    if torch.is_tensor(a) and not torch.is_tensor(b):
        return torch.clamp(a, max=b)
    if torch.is_tensor(b) and not torch.is_tensor(a):
        return torch.clamp(b, max=a)
    return torch.minimum(*_pair(a, b))


def clip(u, lo, hi):
    """``numpy.clip``: NaN propagates; the bounds may be numbers or tensors."""
    if torch.is_tensor(lo) or torch.is_tensor(hi):
        return torch.clamp(u, _like(lo, u), _like(hi, u))
    return torch.clamp(u, lo, hi)


def heaviside(u, at_zero):
    """``numpy.heaviside``: 0 below 0, *at_zero* at 0, 1 above, NaN for NaN."""
    step = torch.heaviside(u, _like(at_zero, u))
    return step.masked_fill_(torch.isnan(u), float("nan"))  # NaN in, NaN out


def logaddexp(a, b):
    r""":math:`\log(e^a + e^b)` without overflow (``numpy.logaddexp``)."""
    return torch.logaddexp(*_pair(a, b))


def hypot(a, b):
    r""":math:`\sqrt{a^2 + b^2}` without overflow (``numpy.hypot``)."""
    return torch.hypot(*_pair(a, b))


def arctan2(a, b):
    """``numpy.arctan2``."""
    return torch.atan2(*_pair(a, b))


def cbrt(x):
    """The real cube root (``numpy.cbrt``), negative for negative x."""
    return torch.sign(x) * torch.abs(x) ** (1.0 / 3.0)


def gamma(x):
    r""":math:`\Gamma(x)` from :math:`\log|\Gamma(x)|` and the sign of :math:`\Gamma(x)`."""
    sign = torch.where((x > 0) | (torch.remainder(torch.floor(x), 2) == 0), 1.0, -1.0)
    return sign * torch.exp(torch.lgamma(x))


def polygamma(n, x):
    """The polygamma function of integer order *n*."""
    return torch.polygamma(int(n), x)


def copy(x):
    """A copy of *x* (generated code never hands back its input)."""
    return x.clone()


def broadcast(value, *arrays):
    """*value* with the broadcast shape of *arrays*, NaN where any of them is NaN."""
    ref = arrays[0]
    shape = torch.broadcast_shapes(*(a.shape for a in arrays if torch.is_tensor(a)))
    out = torch.full(shape, float(value), dtype=ref.dtype, device=ref.device)
    for a in arrays:
        if torch.is_tensor(a) and a.is_floating_point():
            out = torch.where(torch.isnan(a), a, out)
    return out


def zero_times(d, p):
    r""":math:`d \cdot p`, but 0 where d is 0 (also where p overflowed to inf)."""
    if not torch.is_tensor(d):
        return d * p if d != 0 else torch.zeros_like(p)
    return torch.where(d == 0, torch.zeros((), dtype=d.dtype, device=d.device), d * p)


def sech(x):
    r""":math:`1/\cosh x`, without overflow (cosh is clipped at 710)."""
    return torch.clamp(x, -710.0, 710.0).cosh_().reciprocal_()  # one new tensor


def sech2(x):
    r""":math:`\operatorname{sech}^2 x = 1 - \tanh^2 x` as :math:`(1/\cosh x)^2`."""
    return sech(x).square_()


def sigmoid_prime(x):
    r""":math:`\sigma(x)\sigma(-x) = t(1 - t)` with :math:`t = \sigma(-|x|) \le 1/2`."""
    t = torch.abs(x).neg_().sigmoid_()  # one new tensor, updated in place
    return t.addcmul_(t, t, value=-1.0)  # t - t^2 = t(1 - t): no cancellation for t <= 1/2


# ------------------------------------------------------------------------------
# fused backward passes: grad * f'(x) for the commonest derivatives, fewer passes
# ------------------------------------------------------------------------------
# The autograd functions call these instead of ``grad * d_f(x)`` when a derivative is
# exactly one of them (``VJPS``) and grad has x's shape, with the same accuracy in fewer
# passes over memory. Not used by generated (printed) code.


def sigmoid_prime_vjp(g, x):
    r"""``g`` times :math:`\sigma'(x) = t(1 - t)`, :math:`t = \sigma(-|x|) \le 1/2` (σ' is even).

    PyTorch's fused ``sigmoid_backward(g, t)`` is :math:`g\,t(1 - t)` in one pass; given
    :math:`t \le 1/2` it has no cancellation (given :math:`t = \sigma(x)` it has, for large x).
    """
    t = torch.abs(x).neg_().sigmoid_()  # one new tensor, updated in place
    return torch.ops.aten.sigmoid_backward(g, t)


def sech2_vjp(g, x):
    r"""``g`` times :math:`\operatorname{sech}^2 x = 4 t (1 - t)`, :math:`t = \sigma(-2|x|)`.

    The same fused ``sigmoid_backward`` (a sigmoid is cheaper than PyTorch's cosh);
    :math:`-2|x|` and the factor 4 are exact.
    """
    t = torch.abs(x).mul_(-2.0).sigmoid_()
    return torch.ops.aten.sigmoid_backward(g, t).mul_(4.0)


def heaviside_vjp(g, x):
    """``g`` times ``heaviside(x, 0)``: g where x > 0, 0 where x <= 0, NaN where x is NaN.

    PyTorch's fused ``threshold_backward`` in one pass; it passes g on at NaN, so NaN is
    put back (checked by one sum on the CPU, element by element when compiled or on a GPU,
    where a branch on a value would stop the graph or wait for the device).
    """
    out = torch.ops.aten.threshold_backward(g, x, 0)
    if x.device.type != "cpu" or torch.compiler.is_compiling() or torch.isnan(x.sum()):
        out = out.masked_fill_(torch.isnan(x), float("nan"))
    return out


class Fused:
    """The fused backward of one derivative.

    ``vjp(g, x)`` is exact everywhere. ``from_output(g, y)``, where given, takes the
    forward's result y = f(x) instead of x (PyTorch's own one-pass backward) and is used
    only when every x is in ``[lo, hi]``, where its relative error is below 1e-13: there
    :math:`1 - y` (sigmoid) or :math:`1 - y^2` (tanh) keeps enough digits. Outside (the
    tails, where PyTorch's backward loses every digit) the exact ``vjp`` runs.
    """

    def __init__(self, vjp, from_output=None, lo=-math.inf, hi=math.inf) -> None:
        self.vjp, self.from_output, self.lo, self.hi = vjp, from_output, lo, hi


def _sigmoid_backward(g, y):
    return torch.ops.aten.sigmoid_backward(g, y)


def _tanh_backward(g, y):
    return torch.ops.aten.tanh_backward(g, y)


#: The fused backward of each derivative call, as generated code spells it (``x`` is the
#: argument's name). sigma'(x) = y (1 - y): error 2 eps / (1 - y), below 7e-14 for x <= 5;
#: sech^2 x = 1 - y^2: error about 5 eps / sech^2 x, below 5e-14 for |x| <= 2.5.
VJPS = {
    "ops.sigmoid_prime(x)": Fused(sigmoid_prime_vjp, _sigmoid_backward, hi=5.0),
    "ops.sech2(x)": Fused(sech2_vjp, _tanh_backward, lo=-2.5, hi=2.5),
    "ops.heaviside(x, 0.0)": Fused(heaviside_vjp),
}


_LOG2 = 0.6931471805599453


def log_cosh(x):
    r""":math:`\log\cosh x`: log1p(2 sinh²(x/2)) below 1, |x| - log 2 + log1p(e^{-2|x|}) above."""
    a = torch.abs(x)
    s = torch.sinh(torch.clamp(a, max=1.0) / 2)
    near = torch.log1p(2.0 * s * s)
    far = a - _LOG2 + torch.log1p(torch.exp(-2.0 * torch.clamp(a, min=1.0)))
    return torch.where(a < 1.0, near, far)


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
    return _SERIES_CUTOFF if x.dtype == torch.float64 else _SERIES_CUTOFF_32


def _odd_series(x, coeffs):
    x2 = x * x
    acc = torch.full_like(x, coeffs[-1])
    for c in coeffs[-2::-1]:
        acc = acc * x2 + c
    return acc


def x_minus_tanh(x):
    r""":math:`x - \tanh x`, by its Taylor series where the difference cancels (near 0)."""
    small = torch.abs(x) < _cutoff(x)
    xs = torch.where(small, x, torch.zeros_like(x))
    series = xs * xs * xs * _odd_series(xs, _XMT)
    return torch.where(small, series, x - torch.tanh(x))


def dsinc(x):
    r""":math:`\cos(x)/x - \sin(x)/x^2`, by its Taylor series near 0, 0 at :math:`\pm\infty`."""
    small = torch.abs(x) < _cutoff(x)
    safe = torch.where(small, torch.ones_like(x), x)
    direct = torch.cos(safe) / safe - torch.sin(safe) / safe / safe
    xs = torch.where(small, x, torch.zeros_like(x))
    out = torch.where(small, xs * _odd_series(xs, _DSINC), direct)
    return torch.where(torch.isinf(x), torch.zeros_like(x), out)


def sinc(x):
    r"""The unnormalised :math:`\sin(x)/x`, 1 at 0 and 0 at :math:`\pm\infty`."""
    zero = x == 0
    safe = torch.where(zero, torch.ones_like(x), x)
    out = torch.where(zero, torch.ones_like(x), torch.sin(safe) / safe)
    return torch.where(torch.isinf(x), torch.zeros_like(x), out)


def acot(x):
    r""":math:`\arctan(1/x)`, :math:`\pi/2` at 0 (SymPy's real acot)."""
    zero = x == 0
    safe = torch.where(zero, torch.ones_like(x), x)
    return torch.where(zero, torch.full_like(x, 1.5707963267948966), torch.atan(1.0 / safe))


def _half_ratio(c, h, a):
    return (0.5 * c) / (0.5 * h + 0.5 * a)


def add_hypot(u, c):
    r""":math:`u + \sqrt{u^2 + c^2}` (c > 0), as :math:`c^2/(\sqrt{u^2+c^2} + |u|)` for u < 0."""
    u, c = _pair(u, c)
    h = torch.hypot(u, c)
    return torch.where(u >= 0, u + h, c * _half_ratio(c, h, torch.abs(u)))


def one_plus_ratio(u, c):
    r""":math:`1 + u/\sqrt{u^2 + c^2}` (c > 0) without cancellation for u < 0."""
    u, c = _pair(u, c)
    h = torch.hypot(u, c)
    pos = 1.0 + torch.where(torch.isinf(u), torch.ones_like(u), u / h)
    return torch.where(u >= 0, pos, (c / h) * _half_ratio(c, h, torch.abs(u)))


def hypot_minus(u, c):
    r""":math:`\sqrt{u^2 + c^2} - c = |u| \cdot |u|/(\sqrt{u^2+c^2} + c)` (c > 0)."""
    u, c = _pair(u, c)
    a = torch.abs(u)
    r = torch.where(torch.isinf(a), torch.ones_like(a), a / (torch.hypot(u, c) + c))
    return a * r


def hypot_ratio(u, c):
    r""":math:`u/\sqrt{u^2 + c^2}` (c > 0), :math:`\pm 1` at :math:`\pm\infty`."""
    u, c = _pair(u, c)
    return torch.where(torch.isinf(u), torch.sign(u), u / torch.hypot(u, c))


# -- rational functions (Padé activation units): kernels.poly_ratio, poly_ratio_prime ------


def _veltkamp(t):
    """2^ceil(p/2) + 1 for the dtype of *t* (p its significand bits): Dekker's split."""
    p = round(-math.log2(torch.finfo(t.dtype).eps)) + 1
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
    s = torch.zeros_like(t) + coeffs[-1]
    for a in coeffs[-2::-1]:
        s = s * t + a
    return s


def _compensated_horner_t(hi, lo, t):
    """sum_j (hi[j] + lo[j]) t^j as if in twice the dtype's precision (Graillat et al. 2005)."""
    f = _veltkamp(t)
    s = torch.zeros_like(t) + hi[-1]
    c = torch.zeros_like(t) + lo[-1]
    for a, b in zip(hi[-2::-1], lo[-2::-1], strict=True):
        p, pi = _two_prod(s, t, f)
        s, sigma = _two_sum(p, a)
        c = c * t + (pi + sigma + b)
    return s + c


def _coefficients(values, u):
    return [torch.as_tensor(v, dtype=u.dtype, device=u.device) for v in values]


def _exponent_budget(u):
    """log2 of the largest power of |u| summed without overflow (450 in float64, as kernels)."""
    if u.dtype == torch.float64:
        return 450.0
    return 450.0 / 1024.0 * math.log2(torch.finfo(u.dtype).max)


def poly_ratio(u, num, den):
    r""":math:`\frac{\sum_j a_j u^j}{\sum_k q_k |u|^k}` without overflow, exact near the roots.

    As ``kernels.poly_ratio``: for :math:`|u| \le 1` a compensated Horner sum of the
    numerator over a Horner sum of the denominator in :math:`|u|`; for :math:`|u| > 1`
    both in :math:`1/u`, the shared powers of u cancelled (no overflow).
    """
    u = _pair(u, num[0])[0] if not torch.is_tensor(u) else u
    num, den = _coefficients(num, u), _coefficients(den, u)
    m, n = len(num) - 1, len(den) - 1
    small = torch.abs(u) <= 1
    inner = torch.where(small, u, torch.zeros_like(u))
    zero = [torch.zeros_like(a) for a in num]
    near = _compensated_horner_t(num, zero, inner) / _horner_t(den, torch.abs(inner))
    outer = torch.where(small, torch.full_like(u, 2.0), u)
    s = 1.0 / outer
    p = _horner_t(num[::-1], s)  # u^-m P(u)
    q = _horner_t(den[::-1], torch.abs(s))  # |u|^-n Q(u)
    k = m - n
    scale = outer**k if k >= 0 else 1.0 / outer ** (-k)
    sign = torch.where(outer < 0, (-1.0) ** n, 1.0).to(u.dtype)  # u^m/|u|^n = u^(m-n) sign(u)^n
    return torch.where(small, near, (p / q) * sign * scale)


def _prime_coefficients(num, den, side):
    """N = P'Q_s - PQ_s' (Q_s(u) = Q(side u)) per power of u, in double the dtype's precision."""
    f = _veltkamp(num[0])
    size = max(len(num) + len(den) - 2, 1)
    hi = [torch.zeros_like(num[0]) for _ in range(size)]
    lo = [torch.zeros_like(num[0]) for _ in range(size)]
    for j, a in enumerate(num):
        for k, q in enumerate(den):
            c = (j - k) * side**k
            if j + k < 1 or c == 0:
                continue
            p, e = _two_prod(a, q, f)  # a q = p + e exactly
            p2, e2 = _two_prod(torch.full_like(p, float(c)), p, f)
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
    u = _pair(u, num[0])[0] if not torch.is_tensor(u) else u
    num, den = _coefficients(num, u), _coefficients(den, u)
    n = len(den) - 1
    sides = [_prime_coefficients(num, den, side) for side in (1, -1)]
    d = len(sides[0][0]) - 1
    cut = 2.0 ** (_exponent_budget(u) / max(d, 2 * n, 1))
    small = torch.abs(u) <= cut
    inner = torch.where(small, u, torch.zeros_like(u))
    q = _horner_t(den, torch.abs(inner))
    pos = _compensated_horner_t(*sides[0], inner)
    neg = _compensated_horner_t(*sides[1], inner)
    near = torch.where(inner >= 0, pos, neg) / (q * q)
    outer = torch.where(small, torch.full_like(u, 2.0 * cut), u)
    s = 1.0 / outer
    qf = _horner_t(den[::-1], torch.abs(s))
    pf = _horner_t(sides[0][0][::-1], s)
    nf = _horner_t(sides[1][0][::-1], s)
    k = d - 2 * n
    scale = torch.abs(outer) ** k if k >= 0 else 1.0 / torch.abs(outer) ** (-k)
    sign = torch.where(outer < 0, (-1.0) ** d, 1.0).to(u.dtype)
    far = torch.where(outer >= 0, pf, nf) / (qf * qf) * sign * scale
    out = torch.where(small, near, far)
    at_zero = num[1] / den[0] if len(num) > 1 else torch.zeros_like(den[0])
    return torch.where(u == 0, at_zero, out)


# -- near-root polynomials and limits at +-inf (symnn.export.fixes) --------------------------


def _compiling() -> bool:
    """True while ``torch.compile`` traces (no data-dependent Python branches then)."""
    return bool(torch.compiler.is_compiling())


def root_table(tables):
    """The near-root table of :func:`symnn.export.fixes.split_roots` as CPU tensors per dtype."""
    return {dt: {k: torch.as_tensor(v) for k, v in arrays.items()} for dt, arrays in tables.items()}


def at_defaults(scalars, defaults):
    """Whether the parameters equal *defaults*: a bool, or a 0-d tensor under ``torch.compile``."""
    same = None
    for s, d in zip(scalars, defaults, strict=True):
        eq = (s == d) if torch.is_tensor(s) else torch.tensor(float(s) == d)
        same = eq if same is None else same & eq
    if same is None:
        return True
    if not torch.is_tensor(same):
        return bool(same)
    return same.all() if _compiling() else bool(same.all())


def all_finite(x):
    """True or False when known now; None under ``torch.compile`` (then both paths are traced)."""
    if _compiling():
        return None
    return bool(torch.isfinite(x).all())


def finite_only(x):
    """*x* with 0 at +-inf and NaN (the formula's input; the limits are put back later)."""
    return torch.where(torch.isfinite(x), x, torch.zeros((), dtype=x.dtype, device=x.device))


def put_limits(x, out, neg, pos):
    """*out* with *neg* where x is -inf, *pos* where x is +inf and NaN where x is NaN."""
    def const(v):
        return torch.tensor(v, dtype=out.dtype, device=out.device)

    out = torch.where(x == -math.inf, const(neg), out)
    out = torch.where(x == math.inf, const(pos), out)
    return torch.where(torch.isnan(x), const(math.nan), out)


def select(use, a, b):
    """*a* where *use* (a bool or a 0-d tensor), else *b*."""
    if not torch.is_tensor(use):
        return a if use else b
    return torch.where(use, a, b)


def _root_arrays(table, x):
    arrays = table["float64" if x.dtype == torch.float64 else "float32"]
    dtype = x.dtype if x.dtype in (torch.float64, torch.float32) else torch.float32
    return {
        k: v.to(device=x.device, dtype=dtype if v.is_floating_point() and k[:7] != "bucket_" else v.dtype)
        for k, v in arrays.items()
    }


def _locate(x, t):
    """Per element: whether it lies inside a window, and the index of that window's root."""
    if "bucket_root" in t:  # many roots: a uniform bucket grid, one window per bucket at most
        nb = t["bucket_root"].shape[0]
        pos = (x.to(torch.float64) - t["bucket_origin"]) * t["bucket_scale"]
        pos = torch.nan_to_num(pos, nan=0.0).clamp_(0.0, nb - 1.0)
        root = t["bucket_root"][pos.to(torch.int64)]
        inside = (x > t["lo"][root]) & (x < t["hi"][root])
        return inside, root
    inside = torch.zeros(x.shape, dtype=torch.bool, device=x.device)
    root = torch.zeros(x.shape, dtype=torch.int64, device=x.device)
    for i in range(t["r_hi"].shape[0]):
        m = (x > t["lo"][i]) & (x < t["hi"][i])
        root = torch.where(m, i, root)
        inside = inside | m
    return inside, root


def _polynomial(x, root, t):
    """The root polynomial of each element's window (as ``RootTable.evaluate``)."""
    h = ((x - t["r_hi"][root]) - t["r_lo"][root]) - t["r_lo2"][root]
    piece = torch.where(h < 0, t["left"][root], t["right"][root])
    s = (h - t["center"][piece]) * t["inv_width"][piece]
    c = t["coeffs"][piece]
    acc = c[..., -1]
    for k in range(c.shape[-1] - 2, -1, -1):
        acc = acc * s + c[..., k]
    return h * acc


def near_roots(x, out, table, use=True):
    r"""*out* with the root polynomials of *table* inside its windows (``kernels.near_roots``).

    Eager: only the elements inside a window are evaluated (none: *out* as it is). Under
    ``torch.compile``: every element, kept with ``torch.where`` (no data-dependent shapes).
    """
    t = _root_arrays(table, x)
    x = x.expand(out.shape) if x.shape != out.shape else x
    inside, root = _locate(x, t)
    if torch.is_tensor(use):
        inside = inside & use
    if not _compiling():
        if not bool(inside.any()):
            return out
        values = _polynomial(x[inside], root[inside], t).to(out.dtype)
        return out.masked_scatter(inside, values)
    safe = torch.where(inside, x, t["r_hi"][root])  # no overflow in lanes that are discarded
    return torch.where(inside, _polynomial(safe, root, t).to(out.dtype), out)


#: The kernels this module provides (what the code generator may call as ``ops.*``).
NAMES = frozenset(
    name
    for name, value in list(globals().items())
    if callable(value) and not name.startswith("_") and name not in ("load", "annotations")
    and name not in ("root_table", "at_defaults", "all_finite", "select")
    and not name.endswith("_vjp") and name != "Fused"  # for the autograd functions only
    and getattr(value, "__module__", None) == __name__
)
