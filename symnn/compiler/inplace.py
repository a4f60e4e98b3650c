"""In-place NumPy code for elementwise expressions: the building block of generated training code.

:func:`symnn.compile` prints an expression as one NumPy expression, which
allocates a temporary array per operation. In a training loop that runs
thousands of times on the same shapes, an expert writes instead::

    np.subtract(A2, Y, out=D2)
    np.multiply(D2, 2.0, out=D2)

:class:`InplaceEmitter` generates exactly that from a SymPy expression: every
operation writes into a preallocated buffer (``out=``), scratch buffers are
reused, and the result lands in the buffer the caller names. Expressions go
through the same stability rewrites and branch-free piecewise printing as
:func:`symnn.compile`; what the emitter cannot do in place falls back to the
ordinary printed expression assigned with ``buf[...] = ...``.

>>> import sympy as sp
>>> a, y = sp.symbols("a y", real=True)
>>> em = InplaceEmitter({a: "A2", y: "Y"}, scratch=lambda i: f"T{i}")
>>> print("\\n".join(em.emit(2 * (a - y) * a * (1 - a), "D2")))
np.subtract(1, A2, out=D2)
np.subtract(A2, Y, out=T0)
np.multiply(D2, T0, out=D2)
np.multiply(D2, A2, out=D2)
np.multiply(D2, 2, out=D2)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import lru_cache

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from symnn.compiler.markers import AbsValue, Clip, Erfc, Linear, Mask, Sech2, Select
from symnn.compiler.pipeline import common_subexpressions, prepare
from symnn.compiler.printer import Printer, print_code
from symnn.expr.functions import sigmoid, softplus

__all__ = ["InplaceEmitter"]

# unary functions that have an ``out=`` argument
_UFUNCS: dict[type, str] = {
    sp.exp: "np.exp",
    sp.log: "np.log",
    sp.tanh: "np.tanh",
    sp.sin: "np.sin",
    sp.cos: "np.cos",
    sp.atan: "np.arctan",
    sp.Abs: "np.abs",
    sp.sign: "np.sign",
    sp.erf: "special.erf",
    sp.erfc: "special.erfc",
    sp.sinh: "np.sinh",
    sp.cosh: "np.cosh",
    log1p: "np.log1p",
    expm1: "np.expm1",
    sigmoid: "special.expit",
    sp.floor: "np.floor",
    sp.ceiling: "np.ceil",
    Erfc: "special.erfc",
    AbsValue: "np.abs",
}


@lru_cache(maxsize=1024)
def _factored(expr: sp.Basic) -> sp.Basic:
    """Common factors pulled out of sums (``2*a - 2*y`` -> ``2*(a - y)``): fewer passes."""
    return sp.factor_terms(expr)


class InplaceEmitter:
    """Emit NumPy statements that evaluate expressions into named buffers.

    Parameters
    ----------
    names : the Python name of every symbol; symbols in *arrays* (default:
        all of them) are arrays of the output's shape (or broadcastable to it),
        the others are scalars.
    scratch : ``scratch(i)`` is the name of the i-th scratch buffer of the
        output's shape; the emitter reports how many it used in ``.scratch_used``.
    """

    def __init__(
        self,
        names: Mapping[sp.Symbol, str],
        scratch: Callable[[int], str],
        arrays=None,
    ) -> None:
        self.names = dict(names)
        self.arrays = set(self.names if arrays is None else arrays)
        self.scratch = scratch
        self.scratch_used = 0
        self._free: list[int] = []
        self._printer = Printer()
        self._printer.names = self.names  # shared: CSE symbols are added as they are named

    # -- scratch buffers ----------------------------------------------------------
    def _take(self) -> str:
        if self._free:
            i = self._free.pop()
        else:
            i = self.scratch_used
            self.scratch_used += 1
        return self.scratch(i)

    def _give(self, name: str) -> None:
        for i in range(self.scratch_used):
            if self.scratch(i) == name:
                self._free.append(i)
                return

    # -- printing helpers -----------------------------------------------------------
    def _is_array(self, e: sp.Basic) -> bool:
        return bool(e.free_symbols & self.arrays)

    def _scalar(self, e: sp.Basic) -> str:
        return print_code(e, self._printer)

    def _leaf(self, e: sp.Basic) -> str | None:
        """The code of *e* when no computation is needed (a symbol or a scalar)."""
        if isinstance(e, sp.Symbol) or not self._is_array(e):
            return self._scalar(e)
        return None

    # -- emission -------------------------------------------------------------------
    def emit(self, expr: sp.Basic, out: str, *, prepared: bool = False) -> list[str]:
        """Statements that leave the value of *expr* in the buffer *out*.

        *expr* is prepared here (:func:`~symnn.compiler.pipeline.prepare`) unless
        ``prepared=True`` says it already is.
        """
        if not prepared:
            expr = prepare(expr, self.arrays)
        expr = _factored(expr)
        lines: list[str] = []
        replacements, (reduced,) = common_subexpressions([expr], "_c")
        pinned = []
        for sym, sub in replacements:
            if not self._is_array(sub):
                self.names[sym] = f"({self._scalar(sub)})"
                continue
            buf = self._take()
            pinned.append(buf)
            self._into(sub, buf, lines)
            self.names[sym] = buf
            self.arrays.add(sym)
        self._into(reduced, out, lines)
        for buf in pinned:
            self._give(buf)
        return lines

    def _into(self, e: sp.Basic, out: str, lines: list[str]) -> None:
        leaf = self._leaf(e)
        if leaf is not None:
            lines.append(f"np.copyto({out}, {leaf})")
            return
        if e.is_Add:
            self._add(e, out, lines)
        elif e.is_Mul:
            self._mul(e, out, lines)
        elif e.is_Pow:
            self._pow(e, out, lines)
        elif type(e) in _UFUNCS and len(e.args) == 1:
            self._unary(_UFUNCS[type(e)], e.args[0], out, lines)
        elif isinstance(e, softplus):
            arg = self._operand(e.args[0], out, lines)
            lines.append(f"np.logaddexp(0, {arg}, out={out})")
        elif isinstance(e, Clip):
            self._clip(e, out, lines)
        elif isinstance(e, Mask):
            self._mask(e, out, lines)
        elif isinstance(e, Select):
            self._select(e, out, lines)
        elif isinstance(e, Linear):  # a*(u + c)
            a, u, c = e.args
            src = self._operand(u, out, lines)
            lines.append(f"np.add({src}, {self._scalar(c)}, out={out})")
            if a != 1:
                lines.append(f"np.multiply({out}, {self._scalar(a)}, out={out})")
        elif isinstance(e, Sech2):  # (1/cosh(clip(u)))**2, as kernels.sech2 computes it
            src = self._operand(e.args[0], out, lines)
            lines.append(f"np.clip({src}, -710.0, 710.0, out={out})")
            lines.append(f"np.cosh({out}, out={out})")
            lines.append(f"np.reciprocal({out}, out={out})")
            lines.append(f"np.square({out}, out={out})")
        else:  # other kernels and anything else: printed, then copied in
            lines.append(f"{out}[...] = {self._scalar(e)}")

    def _operand(self, e: sp.Basic, out: str, lines: list[str]) -> str:
        """Evaluate *e* into *out* unless it is a leaf; return the code to read it from."""
        leaf = self._leaf(e)
        if leaf is not None:
            return leaf
        self._into(e, out, lines)
        return out

    def _unary(self, fn: str, arg: sp.Basic, out: str, lines: list[str]) -> None:
        src = self._operand(arg, out, lines)
        lines.append(f"{fn}({src}, out={out})")

    def _add(self, e: sp.Add, out: str, lines: list[str]) -> None:
        arrays = [t for t in e.args if self._is_array(t)]
        const = sp.Add(*[t for t in e.args if not self._is_array(t)])
        # start from a positive term that needs computing (it can go straight into out)
        arrays.sort(key=lambda t: (t.could_extract_minus_sign(), isinstance(t, sp.Symbol)))
        first, *rest = arrays
        if first.could_extract_minus_sign():  # every term negative: c - A - B ...
            src = self._operand(-first, out, lines)
            lines.append(f"np.subtract({self._scalar(const)}, {src}, out={out})")
            src, const = out, sp.S.Zero
        else:
            src = self._operand(first, out, lines)
        for term in rest:
            negative = term.could_extract_minus_sign()
            body = -term if negative else term
            leaf, tmp = self._leaf(body), None
            if leaf is None:
                tmp = self._take()
                self._into(body, tmp, lines)
                leaf = tmp
            op = "np.subtract" if negative else "np.add"
            lines.append(f"{op}({src}, {leaf}, out={out})")
            src = out
            if tmp:
                self._give(tmp)
        if const != 0:
            lines.append(f"np.add({src}, {self._scalar(const)}, out={out})")
        elif src != out:
            lines.append(f"np.copyto({out}, {src})")

    def _mul(self, e: sp.Mul, out: str, lines: list[str]) -> None:
        coeff, factors = e.as_coeff_mul()
        arrays = [f for f in factors if self._is_array(f)]
        scalars = sp.Mul(coeff, *[f for f in factors if not self._is_array(f)])
        # evaluate the most complex factor straight into out, multiply the others in
        arrays.sort(key=lambda f: (isinstance(f, sp.Symbol), -sp.count_ops(f)))
        first, *rest = arrays
        src = self._operand(first, out, lines)
        started = src == out
        for f in rest:
            leaf = self._leaf(f)
            tmp = None
            if leaf is None:
                tmp = self._take()
                self._into(f, tmp, lines)
                leaf = tmp
            lines.append(f"np.multiply({src}, {leaf}, out={out})")
            src, started = out, True
            if tmp:
                self._give(tmp)
        if scalars.is_number and scalars == -1:
            lines.append(f"np.negative({src}, out={out})")
        elif not (scalars.is_number and scalars == 1):
            lines.append(f"np.multiply({src}, {self._scalar(scalars)}, out={out})")
        elif not started:
            lines.append(f"np.copyto({out}, {src})")

    def _pow(self, e: sp.Pow, out: str, lines: list[str]) -> None:
        base, n = e.base, e.exp
        src = self._operand(base, out, lines)
        if n == 2:
            lines.append(f"np.square({src}, out={out})")
        elif n == -1:
            lines.append(f"np.divide(1.0, {src}, out={out})")
        elif n == sp.Rational(1, 2):
            lines.append(f"np.sqrt({src}, out={out})")
        elif n.is_Integer and n < 0:
            lines.append(f"np.power({src}, {int(n)}.0, out={out})")
        elif not self._is_array(n):
            lines.append(f"np.power({src}, {self._scalar(n)}, out={out})")
        else:
            lines.append(f"{out}[...] = {self._scalar(e)}")

    def _clip(self, e: Clip, out: str, lines: list[str]) -> None:
        u, lo, hi = e.args
        src = self._operand(u, out, lines)
        if lo is sp.S.NegativeInfinity:
            lines.append(f"np.minimum({src}, {self._scalar(hi)}, out={out})")
        elif hi is sp.oo:
            lines.append(f"np.maximum({src}, {self._scalar(lo)}, out={out})")
        else:
            lines.append(f"np.clip({src}, {self._scalar(lo)}, {self._scalar(hi)}, out={out})")

    def _mask(self, e: Mask, out: str, lines: list[str]) -> None:
        self._condition(e.args[0], out, lines)

    def _condition(self, cond, out: str, lines: list[str]) -> None:
        """1.0/0.0 in *out* where *cond* holds (NaN where the compared value is NaN).

        Comparisons become ``np.heaviside`` of a difference, as the printer does
        (:func:`symnn.compiler.markers.print_condition`); And is a product, Or a maximum.
        """
        if isinstance(cond, (sp.And, sp.Or)):
            first, *rest = cond.args
            self._condition(first, out, lines)
            combine = "np.multiply" if isinstance(cond, sp.And) else "np.maximum"
            for c in rest:
                tmp = self._take()
                self._condition(c, tmp, lines)
                lines.append(f"{combine}({out}, {tmp}, out={out})")
                self._give(tmp)
            return
        op = getattr(cond, "rel_op", None)
        if op not in (">", ">=", "<", "<=") or self._is_array(cond.rhs):
            lines.append(f"{out}[...] = {self._scalar(Mask(cond))}")
            return
        at_zero = "1.0" if op in (">=", "<=") else "0.0"
        src = self._operand(cond.lhs, out, lines)
        if cond.rhs != 0:
            sub = (
                (src, self._scalar(cond.rhs))
                if op in (">", ">=")
                else (self._scalar(cond.rhs), src)
            )
            lines.append(f"np.subtract({sub[0]}, {sub[1]}, out={out})")
            src = out
        elif op in ("<", "<="):
            lines.append(f"np.negative({src}, out={out})")
            src = out
        lines.append(f"np.heaviside({src}, {at_zero}, out={out})")

    def _select(self, e: Select, out: str, lines: list[str]) -> None:
        g, cond = e.args
        self._condition(cond, out, lines)
        leaf, tmp = self._leaf(g), None
        if leaf is None:
            tmp = self._take()
            self._into(g, tmp, lines)
            leaf = tmp
        lines.append(f"np.multiply({out}, {leaf}, out={out})")
        if tmp:
            self._give(tmp)
