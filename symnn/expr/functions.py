r"""Named special functions that own their mathematics, the way SymPy writes ``tanh``.

The logistic sigmoid and softplus appear everywhere in neural networks. Written
out with ``exp`` they give long derivatives and overflowing code; as functions
of their own they differentiate compactly,

.. math::

    \sigma'(x) = \sigma(x)\,(1 - \sigma(x)), \qquad
    \operatorname{softplus}'(x) = \sigma(x),

print as LaTeX the way people write them, and print as stable NumPy code
(``scipy.special.expit`` and ``numpy.logaddexp``). :func:`symnn.compile`
recognises the elementary spellings a user types (``1/(1 + exp(-x))``,
``log(1 + exp(x))``) and maps them onto these functions.

Examples
--------
>>> import sympy as sp
>>> from symnn.expr.functions import sigmoid, softplus
>>> x = sp.Symbol("x", real=True)
>>> sigmoid(x).diff(x)
(1 - sigmoid(x))*sigmoid(x)
>>> softplus(x).diff(x)
sigmoid(x)
>>> sigmoid(x).rewrite(sp.exp)
1/(1 + exp(-x))
>>> sp.latex(sigmoid(x)**2)
'\\sigma^{2}\\left(x\\right)'
"""

from __future__ import annotations

import mpmath
import sympy as sp
from sympy.core.function import ArgumentIndexError

__all__ = ["sigmoid", "softplus", "to_elementary"]


def _latex_call(printer, name: str, arg, exp=None) -> str:
    """LaTeX for ``name(arg)``, raised to *exp* when SymPy prints a power of the call."""
    inner = printer._print(arg)
    if exp is not None:
        return rf"{name}^{{{exp}}}\left({inner}\right)"
    return rf"{name}\left({inner}\right)"


def _evalf_with(arg, prec: int, formula):
    """Evaluate *formula* (an mpmath function) at the real number *arg* to *prec* bits."""
    value = arg._eval_evalf(prec + 10)
    if value is None or not value.is_Float:
        return None
    with mpmath.workprec(prec + 10):
        return sp.Float(formula(mpmath.mpf(value._mpf_)), precision=prec)


class sigmoid(sp.Function):
    r"""The logistic sigmoid :math:`\sigma(x) = \frac{1}{1 + e^{-x}}`.

    Its derivative is :math:`\sigma(x)(1 - \sigma(x))`; it prints as
    ``scipy.special.expit``, which is accurate for every float64 input.

    Examples
    --------
    >>> import sympy as sp
    >>> sigmoid(0)
    1/2
    >>> sigmoid(sp.oo), sigmoid(-sp.oo)
    (1, 0)
    >>> sigmoid(2).evalf(20)
    0.88079707797788244406

    References
    ----------
    Verhulst's logistic function; see e.g. Goodfellow, Bengio & Courville,
    *Deep Learning* (2016), section 3.10.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sp.Rational(1, 2)
        if arg is sp.oo:
            return sp.S.One
        if arg is sp.S.NegativeInfinity:
            return sp.S.Zero

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return self * (1 - self)

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return 1 / (1 + sp.exp(-arg))

    def _eval_rewrite_as_tanh(self, arg, **kwargs):
        return (1 + sp.tanh(arg / 2)) / 2

    def _eval_evalf(self, prec):
        return _evalf_with(self.args[0], prec, lambda a: 1 / (1 + mpmath.exp(-a)))

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        if self.args[0].is_extended_real and self.args[0].is_finite:
            return True

    def _eval_is_finite(self):
        if self.args[0].is_extended_real:
            return True

    def _latex(self, printer, exp=None):
        return _latex_call(printer, r"\sigma", self.args[0], exp)

    def _numpycode(self, printer):
        return f"{printer._module_format('scipy.special.expit')}({printer._print(self.args[0])})"

    _scipycode = _numpycode


class softplus(sp.Function):
    r"""Softplus :math:`\operatorname{softplus}(x) = \log(1 + e^{x})`.

    Its derivative is the logistic sigmoid; it prints as
    ``numpy.logaddexp(0, x)``, which neither overflows for large ``x`` nor
    loses the tiny values for very negative ``x``.

    Examples
    --------
    >>> import sympy as sp
    >>> softplus(0)
    log(2)
    >>> softplus(-50).evalf(5)
    1.9288e-22

    References
    ----------
    Dugas et al., *Incorporating second-order functional knowledge for better
    option pricing*, NIPS 2000.
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_zero:
            return sp.log(2)
        if arg is sp.oo:
            return sp.oo
        if arg is sp.S.NegativeInfinity:
            return sp.S.Zero

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sigmoid(self.args[0])

    def _eval_rewrite_as_exp(self, arg, **kwargs):
        return sp.log(1 + sp.exp(arg))

    _eval_rewrite_as_log = _eval_rewrite_as_exp

    def _eval_evalf(self, prec):
        # log1p keeps the tiny values of softplus at very negative arguments.
        return _evalf_with(self.args[0], prec, lambda a: mpmath.log1p(mpmath.exp(a)))

    def _eval_is_extended_real(self):
        return self.args[0].is_extended_real

    def _eval_is_positive(self):
        if self.args[0].is_extended_real and self.args[0].is_finite:
            return True

    def _latex(self, printer, exp=None):
        return _latex_call(printer, r"\operatorname{softplus}", self.args[0], exp)

    def _numpycode(self, printer):
        return f"{printer._module_format('numpy.logaddexp')}(0, {printer._print(self.args[0])})"

    _scipycode = _numpycode


#: The named functions symnn adds to SymPy, by the name a user types.


def to_elementary(expr: sp.Basic) -> sp.Basic:
    """Rewrite symnn's named functions as the elementary expressions they stand for.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> to_elementary(x * sigmoid(x) + softplus(x))
    x/(1 + exp(-x)) + log(exp(x) + 1)
    """
    return expr.replace(lambda e: isinstance(e, (sigmoid, softplus)), lambda e: e.rewrite(sp.exp))
