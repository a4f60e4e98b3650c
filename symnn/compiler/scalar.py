"""Scalar code for compiled loops: the compiler's stable NumPy code, one element at a time.

The NumPy printer (:mod:`symnn.compiler.printer`) writes whole-array code such as
``special.expit(z)`` or ``np.where((z > 0), z, ...)``. Loop compilers such as numba want
the same formula for one float: :func:`scalar_code` prints the prepared (stabilised)
expression with the NumPy printer and renames every array function to a scalar helper of
:data:`SCALAR_HELPERS`, which computes exactly what the NumPy function computes for one
element (``expit`` is ``1/(1 + exp(-x))``, as SciPy's; ``logaddexp`` is NumPy's formula;
``maximum`` and ``heaviside`` propagate NaN). A function without a scalar helper raises
:class:`NotImplementedError`, so callers fall back to the NumPy code.

>>> import sympy as sp
>>> from symnn.expr.functions import sigmoid
>>> z = sp.Symbol("z", real=True)
>>> scalar_code(sigmoid(z) * (1 - sigmoid(z)), {z: "z"})
'(1 - _special_expit(z))*_special_expit(z)'
>>> scalar_code(sp.Max(z, 0), {z: "z"})
'_np_maximum(0, z)'
"""

from __future__ import annotations

import re

import sympy as sp

from symnn.compiler.printer import Printer, print_code

__all__ = ["SCALAR_HELPERS", "scalar_code"]

#: The scalar helpers, as source for a module that has ``import math``, a decorator
#: ``_elementwise`` (e.g. numba's ``njit``) and the functions ``_exp`` and ``_tanh`` (``math.exp``
#: and ``math.tanh``, or forms a compiler vectorises, within 2 ulp of them: symnn.nn.jit's);
#: each equals its NumPy function on one float (to those ulps).
SCALAR_HELPERS = '''
@_elementwise
def _special_expit(x):
    return 1.0 / (1.0 + _exp(-x))


@_elementwise
def _np_exp(x):
    return _exp(x)


@_elementwise
def _np_log(x):
    return math.log(x) if x > 0.0 else (-math.inf if x == 0.0 else math.nan)


@_elementwise
def _np_log1p(x):
    return math.log1p(x) if x > -1.0 else (-math.inf if x == -1.0 else math.nan)


@_elementwise
def _np_expm1(x):
    return math.expm1(x)


@_elementwise
def _np_tanh(x):
    return _tanh(x)


@_elementwise
def _np_sqrt(x):
    return math.sqrt(x) if x >= 0.0 else math.nan


@_elementwise
def _np_abs(x):
    return abs(x)


@_elementwise
def _np_sign(x):
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x))


@_elementwise
def _np_isnan(x):
    return x != x


@_elementwise
def _np_where(c, a, b):
    return a if c else b


@_elementwise
def _np_maximum(a, b):
    return a if (a >= b or a != a) else b


@_elementwise
def _np_minimum(a, b):
    return a if (a <= b or a != a) else b


@_elementwise
def _np_heaviside(x, h0):
    if x != x:
        return x
    return 0.0 if x < 0.0 else (1.0 if x > 0.0 else h0)


@_elementwise
def _np_logaddexp(x, y):
    if x == y:
        return x + 0.6931471805599453
    d = x - y
    if d > 0.0:
        return x + math.log1p(math.exp(-d))
    if d <= 0.0:
        return y + math.log1p(math.exp(d))
    return d


@_elementwise
def _special_erf(x):
    return math.erf(x)


@_elementwise
def _special_erfc(x):
    return math.erfc(x)


@_elementwise
def _np_hypot(x, y):
    return math.hypot(x, y)
'''

_HELPERS = frozenset(re.findall(r"def (_\w+)\(", SCALAR_HELPERS))
_CALL = re.compile(r"\b(np|special|kernels)\.(\w+)\(")


def scalar_code(expr: sp.Expr, names: dict[sp.Symbol, str]) -> str:
    """One-element code of *expr* (already prepared) with the symbols printed as *names*.

    Raises :class:`NotImplementedError` naming the function that has no scalar helper.
    """
    code = print_code(expr, Printer(names))
    code = _CALL.sub(lambda m: f"_{m.group(1)}_{m.group(2)}(", code)
    used = set(re.findall(r"\b(_(?:np|special|kernels)_\w+)\(", code))
    missing = sorted(used - _HELPERS)
    if missing or re.search(r"\b(np|special|kernels)\.|~|\.astype|\|", code):
        what = ", ".join(m.split("_", 2)[2] for m in missing) or "an array-only construct"
        raise NotImplementedError(f"no scalar code for {what} in {expr}")
    # the conditions of np.where print with & between comparisons: fine on Python bools
    return code
