"""The NumPy printer of the compiler: short module names, stable kernels, NaN-propagating masks.

Generated code runs in :data:`NAMESPACE` (``np``, ``special`` = ``scipy.special``,
``kernels`` = :mod:`symnn.compiler.kernels`). Every function the parser accepts has
a printing here; anything SymPy cannot print raises a ``ValueError`` that names the
function (see :func:`print_code`).

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> print(print_code(sp.gamma(x) + sp.coth(x)))
1/np.tanh(x) + special.gamma(x)
>>> print(print_code(sp.Piecewise((x, x > 0), (x**2, True))))
np.where((x > 0), x, np.where(np.isnan(x), np.nan, x**2))
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import scipy.special
import sympy as sp
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from symnn.compiler import kernels

__all__ = ["NAMESPACE", "Printer", "print_code"]

#: The names generated code may use.
NAMESPACE: dict[str, object] = {"np": np, "special": scipy.special, "kernels": kernels}


class Printer(NumPyPrinter):
    """NumPy printer with short module names, nested ``where`` and stable kernels.

    *names* maps symbols to the Python names they print as (no tree is rebuilt).
    """

    _short: ClassVar[dict[str, str]] = {"numpy.": "np.", "scipy.special.": "special."}

    def __init__(self, names: dict | None = None) -> None:
        super().__init__({"fully_qualified_modules": True, "inline": True, "strict": True})
        self.names = dict(names or {})

    def _print_Symbol(self, expr):
        name = self.names.get(expr)
        return name if name is not None else super()._print_Symbol(expr)

    def _module_format(self, fqn, register=True):
        for long, short in self._short.items():
            if fqn.startswith(long):
                return short + fqn[len(long) :]
        return super()._module_format(fqn, register)

    # -- numbers -------------------------------------------------------------------------
    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Rational(self, expr):
        return f"{int(expr.p)}/{int(expr.q)}"

    def _print_ImaginaryUnit(self, expr):
        raise ValueError(
            "compile: the expression contains the imaginary unit I, so it is not real-valued "
            "on the reals; symnn compiles real functions only (check for sqrt of a negative "
            "number or log of a negative constant)"
        )

    # -- piecewise and conditions ---------------------------------------------------------
    def _print_Piecewise(self, expr):
        pieces = list(expr.args)
        if pieces[-1][1] != sp.true:
            pieces.append((sp.nan, sp.true))

        def value(v):  # constants as floats, so that the result is a float array
            return repr(float(v)) if v.is_number and v.is_finite else self._print(v)

        out = value(pieces[-1][0])
        variables = sorted(set().union(*(c.free_symbols for _, c in pieces)), key=lambda s: s.name)
        if variables:  # a comparison with NaN is False: make NaN give NaN, not the last piece
            nan = " | ".join(f"np.isnan({self._print(s)})" for s in variables)
            out = f"np.where({nan}, np.nan, {out})"
        for v, cond in reversed(pieces[:-1]):
            out = f"np.where({self._print(cond)}, {value(v)}, {out})"
        return out

    def _print_Relational(self, expr):
        ops = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
        if expr.rel_op in ops:
            lhs = self.parenthesize(expr.lhs, PRECEDENCE["Relational"])
            rhs = self.parenthesize(expr.rhs, PRECEDENCE["Relational"])
            return f"({lhs} {ops[expr.rel_op]} {rhs})"
        return super()._print_Relational(expr)

    def _print_And(self, expr):
        return "(" + " & ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr):
        return "(" + " | ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr):
        return f"(~{self._print(expr.args[0])})"

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"

    def _print_Heaviside(self, expr):
        h0 = expr.args[1] if len(expr.args) > 1 else sp.Rational(1, 2)
        return f"np.heaviside({self._print(expr.args[0])}, {float(h0)!r})"

    # -- elementwise functions -------------------------------------------------------------
    def _print_Max(self, expr):
        out = self._print(expr.args[0])
        for a in expr.args[1:]:
            out = f"np.maximum({out}, {self._print(a)})"
        return out

    def _print_Min(self, expr):
        out = self._print(expr.args[0])
        for a in expr.args[1:]:
            out = f"np.minimum({out}, {self._print(a)})"
        return out

    def _unary(self, fn: str, expr) -> str:
        return f"{fn}({self._print(expr.args[0])})"

    def _reciprocal(self, fn: str, expr) -> str:
        return f"1/{fn}({self._print(expr.args[0])})"

    def _print_Abs(self, expr):
        return self._unary("np.abs", expr)

    def _print_sign(self, expr):
        return self._unary("np.sign", expr)

    def _print_floor(self, expr):
        return self._unary("np.floor", expr)

    def _print_ceiling(self, expr):
        return self._unary("np.ceil", expr)

    def _print_erf(self, expr):
        return self._unary("special.erf", expr)

    def _print_erfc(self, expr):
        return self._unary("special.erfc", expr)

    def _print_gamma(self, expr):
        return self._unary("special.gamma", expr)

    def _print_loggamma(self, expr):
        return self._unary("special.gammaln", expr)

    def _print_factorial(self, expr):
        return f"special.gamma({self._print(expr.args[0])} + 1)"

    def _print_polygamma(self, expr):
        n, u = expr.args
        if n == 0:
            return f"special.digamma({self._print(u)})"
        return f"special.polygamma({self._print(n)}, {self._print(u)})"

    def _print_sinc(self, expr):
        return self._unary("kernels.sinc", expr)

    def _print_sech(self, expr):
        return self._unary("kernels.sech", expr)

    def _print_csch(self, expr):
        return self._reciprocal("np.sinh", expr)

    def _print_coth(self, expr):
        return self._reciprocal("np.tanh", expr)

    def _print_sec(self, expr):
        return self._reciprocal("np.cos", expr)

    def _print_csc(self, expr):
        return self._reciprocal("np.sin", expr)

    def _print_cot(self, expr):
        return self._reciprocal("np.tan", expr)

    def _print_acot(self, expr):
        return self._unary("kernels.acot", expr)

    def _print_asec(self, expr):
        return f"np.arccos(1/{self.parenthesize(expr.args[0], PRECEDENCE['Pow'])})"

    def _print_acsc(self, expr):
        return f"np.arcsin(1/{self.parenthesize(expr.args[0], PRECEDENCE['Pow'])})"

    def _print_acoth(self, expr):
        return f"np.arctanh(1/{self.parenthesize(expr.args[0], PRECEDENCE['Pow'])})"

    def _print_Mul(self, expr):
        # b**-n in a denominator: divide n times (b**n would overflow where the quotient
        # only underflows, e.g. 2/hypot(x, 2)**3 at x = 1e200)
        powers = [f for f in expr.args if f.is_Pow and f.exp.is_Integer and -4 <= f.exp <= -2]
        if not powers:
            return super()._print_Mul(expr)
        rest = [f for f in expr.args if f not in powers]
        out = self.parenthesize(sp.Mul(*rest), PRECEDENCE["Mul"]) if rest else "1"
        for f in powers:
            base = self.parenthesize(f.base, PRECEDENCE["Pow"])
            if f.base.is_Symbol:
                out += f"/{base}" * int(-f.exp)
            else:  # one evaluation of the base
                out += f"*(1/{base})**{int(-f.exp)}"
        return out

    def _print_Pow(self, expr, rational=False):
        base, n = expr.base, expr.exp
        if n == -1:
            return f"1/{self.parenthesize(base, 1000)}"
        if n.is_Integer and n < 0:  # (1/b)**n underflows quietly where b**n would overflow
            return f"(1/{self.parenthesize(base, 1000)})**{int(-n)}"
        if isinstance(base, sp.sech) and n == 2:
            return f"kernels.sech2({self._print(base.args[0])})"
        return super()._print_Pow(expr, rational=rational)


def print_code(expr: sp.Basic, printer: Printer | None = None) -> str:
    """The NumPy code of *expr*, or a ``ValueError`` naming what cannot be printed.

    >>> import sympy as sp
    >>> print_code(sp.Function("f")(sp.Symbol("x")))
    Traceback (most recent call last):
    ...
    ValueError: compile: cannot generate NumPy code for f(x) (function 'f' has no NumPy equivalent); ...
    """
    printer = printer or Printer()
    try:
        return printer.doprint(expr)
    except ValueError:
        raise
    except Exception as err:  # PrintMethodNotImplementedError and friends
        bad = _unprintable(expr, printer)
        what = f"{bad} (function {type(bad).__name__!r} has no NumPy equivalent)" if bad else expr
        raise ValueError(
            f"compile: cannot generate NumPy code for {what}; "
            "rewrite it with the functions symnn.expr.parse.known_functions() lists, or "
            "substitute numbers for it before compiling"
        ) from err


def _unprintable(expr: sp.Basic, printer: Printer) -> sp.Basic | None:
    """The innermost subexpression the printer refuses (for the error message)."""
    for arg in expr.args:
        bad = _unprintable(arg, printer)
        if bad is not None:
            return bad
    if isinstance(expr, (sp.Function, sp.Derivative)) and expr.args != ():
        try:
            printer.doprint(expr)
        except Exception:
            return expr
    return None
