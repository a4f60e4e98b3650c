r"""Markers: SymPy function classes that stand for a stable kernel until the code is printed.

A stabilisation rule (:mod:`symnn.compiler.rules`) replaces a pattern that cancels
or overflows by a marker; the printer (:mod:`symnn.compiler.printer`) and the
in-place emitter (:mod:`symnn.compiler.inplace`) turn the marker into a call of a
kernel (:mod:`symnn.compiler.kernels`) or a NumPy ufunc. Every marker knows the
mathematics it stands for (:meth:`Kernel.elementary`), so a rule can be checked
symbolically and :func:`to_elementary` gives back an expression mpmath can evaluate.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> Hypot(x, 2).elementary()
sqrt(x**2 + 4)
>>> to_elementary(AddHypot(x, 2) / 2)
x/2 + sqrt(x**2 + 4)/2
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.precedence import PRECEDENCE

from symnn.expr.functions import sigmoid

__all__ = [
    "AbsValue",
    "AddHypot",
    "Cbrt",
    "Clip",
    "DSinc",
    "Erfc",
    "Hypot",
    "HypotMinus",
    "HypotRatio",
    "Kernel",
    "Linear",
    "LogCosh",
    "Mask",
    "OnePlusRatio",
    "PolyRatio",
    "Sech2",
    "Select",
    "SigmoidPrime",
    "XMinusTanh",
    "ZeroTimes",
    "to_elementary",
]


class Kernel(sp.Function):
    """A call of a function in :mod:`symnn.compiler.kernels`; prints as ``kernels.<name>(...)``.

    Subclasses set ``kernel`` (the function's name) and implement :meth:`elementary`.
    """

    kernel = ""

    def _numpycode(self, printer) -> str:
        args = ", ".join(printer._print(a) for a in self.args)
        return f"kernels.{self.kernel}({args})"

    def elementary(self) -> sp.Expr:
        """The elementary SymPy expression this marker stands for."""
        raise NotImplementedError(type(self).__name__)

    def _eval_is_extended_real(self):
        return True if all(a.is_extended_real for a in self.args if a.is_Atom) else None


def to_elementary(expr: sp.Basic) -> sp.Basic:
    """Replace every marker in *expr* by the elementary expression it stands for (innermost first).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> to_elementary(Sech2(x) + Linear(sp.Rational(1, 6), x, 3))
    x/6 + sech(x)**2 + 1/2
    """
    return expr.replace(lambda e: isinstance(e, Kernel), lambda e: e.elementary())


# -- transcendental kernels ------------------------------------------------------------


class XMinusTanh(Kernel):
    r""":math:`u - \tanh u`, by a series where it cancels (``kernels.x_minus_tanh``)."""

    nargs = 1
    kernel = "x_minus_tanh"

    def elementary(self):
        return self.args[0] - sp.tanh(self.args[0])


class DSinc(Kernel):
    r""":math:`\cos(u)/u - \sin(u)/u^2`, 0 at 0 (``kernels.dsinc``)."""

    nargs = 1
    kernel = "dsinc"

    def elementary(self):
        u = self.args[0]
        return sp.cos(u) / u - sp.sin(u) / u**2


class SigmoidPrime(Kernel):
    r""":math:`\sigma(u)\sigma(-u)`, from one exponential (``kernels.sigmoid_prime``)."""

    nargs = 1
    kernel = "sigmoid_prime"

    def elementary(self):
        u = self.args[0]
        return sigmoid(u) * sigmoid(-u)


class Erfc(Kernel):
    """erfc kept as written: SymPy would turn ``erfc(-u)`` back into ``2 - erfc(u)``."""

    nargs = 1

    def _numpycode(self, printer):
        return f"special.erfc({printer._print(self.args[0])})"

    def elementary(self):
        return sp.erfc(self.args[0])

    def _latex(self, printer, exp=None):
        return printer._print(sp.Function("erfc")(self.args[0]) ** (exp or 1))


class Sech2(Kernel):
    r""":math:`\operatorname{sech}^2 u = 1 - \tanh^2 u`, overflow-free (``kernels.sech2``)."""

    nargs = 1
    kernel = "sech2"

    def elementary(self):
        return sp.sech(self.args[0]) ** 2


class LogCosh(Kernel):
    r""":math:`\log\cosh u`, overflow-free and exact near 0 (``kernels.log_cosh``)."""

    nargs = 1
    kernel = "log_cosh"

    def elementary(self):
        return sp.log(sp.cosh(self.args[0]))


class AbsValue(Kernel):
    """``Abs(u)`` that is not simplified again when rebuilt (``numpy.abs``).

    SymPy's ``Abs`` simplifies its argument each time it is built, which is slow
    for the large arguments of expanded networks (common subexpression elimination
    rebuilds every node).
    """

    nargs = 1

    def _numpycode(self, printer):
        return f"np.abs({printer._print(self.args[0])})"

    def elementary(self):
        return sp.Abs(self.args[0])


class Cbrt(Kernel):
    r"""The real cube root :math:`\operatorname{sign}(u)|u|^{1/3}` (``numpy.cbrt``)."""

    nargs = 1

    def _numpycode(self, printer):
        return f"np.cbrt({printer._print(self.args[0])})"

    def elementary(self):
        u = self.args[0]
        return sp.sign(u) * sp.Abs(u) ** sp.Rational(1, 3)


# -- square roots of sums of squares ---------------------------------------------------


class Hypot(Kernel):
    r""":math:`\sqrt{u^2 + c^2}` without overflow of :math:`u^2` (``numpy.hypot``); c > 0."""

    nargs = 2

    def _numpycode(self, printer):
        u, c = (printer._print(a) for a in self.args)
        return f"np.hypot({u}, {c})"

    def elementary(self):
        u, c = self.args
        return sp.sqrt(u**2 + c**2)


class HypotRatio(Kernel):
    r""":math:`u/\sqrt{u^2 + c^2}`, overflow-free and :math:`\pm 1` at :math:`\pm\infty`
    (``kernels.hypot_ratio``)."""

    nargs = 2
    kernel = "hypot_ratio"

    def elementary(self):
        u, c = self.args
        return u / sp.sqrt(u**2 + c**2)


class AddHypot(Kernel):
    r""":math:`u + \sqrt{u^2 + c^2}`; for u < 0 it is :math:`c^2/(\sqrt{u^2+c^2} - u)`
    (``kernels.add_hypot``), so it does not cancel."""

    nargs = 2
    kernel = "add_hypot"

    def elementary(self):
        u, c = self.args
        return u + sp.sqrt(u**2 + c**2)


class OnePlusRatio(Kernel):
    r""":math:`1 + u/\sqrt{u^2 + c^2}`, without cancellation for u < 0 (``kernels.one_plus_ratio``)."""

    nargs = 2
    kernel = "one_plus_ratio"

    def elementary(self):
        u, c = self.args
        return 1 + u / sp.sqrt(u**2 + c**2)


class HypotMinus(Kernel):
    r""":math:`\sqrt{u^2 + c^2} - c = u^2/(\sqrt{u^2+c^2} + c)` (``kernels.hypot_minus``)."""

    nargs = 2
    kernel = "hypot_minus"

    def elementary(self):
        u, c = self.args
        return sp.sqrt(u**2 + c**2) - c


# -- arithmetic forms ----------------------------------------------------------------


class PolyRatio(Kernel):
    r""":math:`\frac{\sum_j a_j u^j}{\sum_k q_k |u|^k}` (``kernels.poly_ratio``): the
    coefficients as two tuples; no overflow for large :math:`|u|`, exact near the
    numerator's roots (a Padé activation unit)."""

    nargs = 3
    kernel = "poly_ratio"

    def elementary(self):
        u, num, den = self.args
        p = sum((a * u**j for j, a in enumerate(num)), sp.S.Zero)
        return p / sum((q * sp.Abs(u) ** k for k, q in enumerate(den)), sp.S.Zero)




class PolyRatioPrime(Kernel):
    r"""The derivative of :class:`PolyRatio` (``kernels.poly_ratio_prime``): one polynomial
    over :math:`Q(|u|)^2` on each side of 0, its coefficients summed exactly; no overflow
    for large :math:`|u|`, exact near its roots; :math:`\frac{d}{du}|u| = 0` at 0."""

    nargs = 3
    kernel = "poly_ratio_prime"

    def elementary(self):
        u = self.args[0]
        return sp.diff(PolyRatio(*self.args).elementary(), u)


class Linear(Kernel):
    r""":math:`a(u + c)`, printed with the brackets: exact near the root :math:`u = -c`.

    SymPy would distribute a number over the sum (``x/6 + 1/2``), which cancels near
    the root; the marker keeps the factored form until it is printed.
    """

    nargs = 3

    @classmethod
    def eval(cls, a, u, c):
        if u.is_number:
            return a * (u + c)
        return None

    def _numpycode(self, printer):
        a, u, c = self.args
        inner = f"{printer._print(u)} + {printer._print(c)}"
        if c.is_number and c.is_negative:
            inner = f"{printer._print(u)} - {printer._print(-c)}"
        if a == 1:
            return f"({inner})"
        if a == -1:
            return f"(-({inner}))"
        # bracketed as a whole: it may be the base of a power, (a*(u + c))**n
        return f"({printer.parenthesize(a, PRECEDENCE['Mul'])}*({inner}))"

    def elementary(self):
        a, u, c = self.args
        return a * (u + c)


class Steps(Kernel):
    """A piecewise-constant sum (constants and masks), printed in brackets: evaluated first.

    Branch-free piecewise code adds it to the pieces' values; its constants cancel
    exactly on a piece's interval, so a tiny value of the piece is not rounded away.
    """

    nargs = 1

    def _numpycode(self, printer):
        return f"({printer._print(self.args[0])})"

    def elementary(self):
        return self.args[0]


class ZeroTimes(Kernel):
    r""":math:`d \cdot p`, taken as 0 where d is 0 (``kernels.zero_times``).

    For a decaying factor d (:math:`\operatorname{sech}^2`, :math:`e^{-u^2}`) times a
    polynomial p: where p overflows to inf, d has long underflowed to 0 and the true
    product is 0, not ``0*inf = nan``.
    """

    nargs = 2
    kernel = "zero_times"

    def elementary(self):
        return self.args[0] * self.args[1]


# -- branch-free piecewise forms (see symnn.compiler.piecewise) ---------------------------


class Clip(Kernel):
    """``u`` clipped to ``[lo, hi]``; prints as np.clip / np.maximum / np.minimum."""

    nargs = 3

    def _numpycode(self, printer):
        u, lo, hi = (printer._print(a) for a in self.args)
        if self.args[1] is sp.S.NegativeInfinity:
            return f"np.minimum({u}, {hi})"
        if self.args[2] is sp.oo:
            return f"np.maximum({u}, {lo})"
        return f"np.clip({u}, {lo}, {hi})"

    def elementary(self):
        u, lo, hi = self.args
        return sp.Min(sp.Max(u, lo), hi)


def _heaviside(cond, printer) -> str:
    """A NaN-propagating 1.0/0.0 for a comparison, via ``np.heaviside`` of a difference.

    ``x > c`` is ``heaviside(x - c, 0)``: the rounded difference has the sign of the
    exact one, so the mask is exact, and NaN gives NaN (a comparison gives False).
    """
    op = cond.rel_op
    diff = cond.lhs - cond.rhs if op in (">", ">=") else cond.rhs - cond.lhs
    at_zero = "1.0" if op in (">=", "<=") else "0.0"
    d = sp.Add(diff, evaluate=True)
    return f"np.heaviside({printer._print(d)}, {at_zero})"


def print_condition(cond, printer) -> str:
    """Code for a condition as NaN-propagating floats: comparisons, And (product), Or (maximum)."""
    if isinstance(cond, sp.And):
        return "(" + "*".join(print_condition(c, printer) for c in cond.args) + ")"
    if isinstance(cond, sp.Or):
        out = print_condition(cond.args[0], printer)
        for c in cond.args[1:]:
            out = f"np.maximum({out}, {print_condition(c, printer)})"
        return out
    if getattr(cond, "rel_op", None) in (">", ">=", "<", "<="):
        return _heaviside(cond, printer)
    return f"{printer._print(cond)}.astype(np.float64)"


class Select(Kernel):
    """``g`` where the condition holds, else 0.0 (``g * mask``, no branches; NaN stays NaN)."""

    nargs = 2

    def _numpycode(self, printer):
        g, cond = self.args
        return f"{printer.parenthesize(g, PRECEDENCE['Mul'])}*{print_condition(cond, printer)}"

    def elementary(self):
        g, cond = self.args
        return sp.Piecewise((g, cond), (0, True))


class Mask(Kernel):
    """1.0 where the condition holds, else 0.0; NaN where the compared value is NaN."""

    nargs = 1

    def _numpycode(self, printer):
        return print_condition(self.args[0], printer)

    def elementary(self):
        return sp.Piecewise((1, self.args[0]), (0, True))
