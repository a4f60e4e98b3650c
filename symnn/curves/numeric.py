r"""User formulas as real NumPy functions: compiled by :func:`symnn.compiler.compile`, bounded.

Every numeric value of a curve comes from :func:`real_function`:

* **Real branches.** A power :math:`u^{p/q}` with :math:`q` odd has a real value
  for negative :math:`u` too (:math:`(-8)^{1/3} = -2`), but SymPy (and NumPy) take
  the principal complex branch, which is not real there.  So before compiling,
  :math:`u^{p/q}` becomes :math:`|u|^{p/q}` (``p`` even) or
  :math:`\operatorname{sign}(u)\,|u|^{p/q}` (``p`` odd), as ``sympy.real_root``
  does, unless :math:`u \ge 0` is known; the result carries a note saying so.
* **Undefined values** (the square root or logarithm of a negative number,
  :math:`0/0`) are NaN; infinities are kept; floating-point warnings are
  silenced while the function runs, and only there.
* **Bounds.** Expressions larger than :data:`MAX_OPS` operations or nested
  deeper than :data:`MAX_DEPTH`, integer powers beyond :data:`MAX_EXPONENT`,
  and work that outlasts a :class:`Budget` end in a ValueError that says what
  to change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symnn.curves._input import text

__all__ = ["MAX_DEPTH", "MAX_EXPONENT", "MAX_OPS", "Budget", "RealFunction", "real_function"]

#: Largest expression (SymPy operation count) a curve may have.
MAX_OPS = 2000
#: Deepest nesting of a curve's expression tree (``x^x^...^x`` towers, ``sin(sin(...))``).
MAX_DEPTH = 60
#: Largest integer exponent: beyond, :math:`|u|^n` under- or overflows for nearly every u.
MAX_EXPONENT = 10_000


class Budget:
    """A time limit for one drawing: :meth:`check` raises a ValueError once it is spent.

    >>> b = Budget(10.0, "tracing x^2 + y^2 = 1")
    >>> b.check("the first grid")  # plenty of time left: nothing happens
    >>> b.left() > 9
    True
    """

    def __init__(self, seconds: float, what: str) -> None:
        if not (isinstance(seconds, int | float) and seconds > 0):
            raise ValueError(f"a time budget must be a positive number of seconds, got {seconds!r}")
        self.seconds = float(seconds)
        self.what = what
        self.deadline = time.monotonic() + self.seconds

    def left(self) -> float:
        """Seconds left."""
        return self.deadline - time.monotonic()

    def check(self, stage: str) -> None:
        """Raise ValueError when the time is up, naming the stage that ran out of it."""
        if time.monotonic() > self.deadline:
            raise ValueError(
                f"{self.what} took longer than its time budget of {self.seconds:g} s "
                f"(at: {stage}); simplify the formula, give a smaller window or a lower "
                "resolution, or pass a larger time budget"
            )


def _depth(e: sp.Basic, limit: int) -> int:
    """Depth of the expression tree, counting at most to ``limit + 1`` (iterative: no recursion)."""
    best = 0
    stack = [(e, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        if best > limit:
            return best
        stack.extend((a, d + 1) for a in node.args)
    return best


def check_size(expr: sp.Basic, what: str = "the formula") -> None:
    """Raise ValueError when *expr* is too large, too deep or has a huge integer power.

    >>> x = sp.Symbol("x")
    >>> check_size(x**2 + 1)
    >>> check_size(x**(10**9))
    Traceback (most recent call last):
    ...
    ValueError: the formula x^1000000000 has the exponent 1000000000; ...
    """
    depth = _depth(expr, MAX_DEPTH)
    if depth > MAX_DEPTH:
        raise ValueError(
            f"{what} is nested more than {MAX_DEPTH} levels deep (such as a tall power tower "
            "x^x^...^x); symnn draws formulas up to that depth: shorten it"
        )
    for p in expr.atoms(sp.Pow):
        n = p.exp
        if n.is_Integer and abs(int(n)) > MAX_EXPONENT:
            raise ValueError(
                f"{what} {text(expr) if sp.count_ops(expr) < 30 else ''} has the exponent {n}; "
                f"beyond |n| = {MAX_EXPONENT} the power under- or overflows double precision "
                "for nearly every value, so it cannot be drawn faithfully: use a smaller exponent"
            )
    ops = sp.count_ops(expr)
    if ops > MAX_OPS:
        raise ValueError(
            f"{what} has {ops} operations; symnn draws formulas up to {MAX_OPS}: simplify it"
        )


def real_branches(expr: sp.Expr) -> tuple[sp.Expr, tuple[str, ...]]:
    r"""Replace :math:`u^{p/q}` (q odd) by its real branch; return ``(expr, notes)``.

    >>> x = sp.Symbol("x", real=True)
    >>> e, notes = real_branches(x**sp.Rational(2, 3) + x**sp.Rational(1, 3))
    >>> e
    Abs(x)**(2/3) + Abs(x)**(1/3)*sign(x)
    >>> notes
    ('x^(1/3) and x^(2/3) are read as real roots (odd roots of negative numbers are real)',)
    """
    changed: list[sp.Expr] = []

    def rewrite(e: sp.Basic) -> sp.Basic:
        if (
            isinstance(e, sp.Pow)
            and e.exp.is_Rational
            and not e.exp.is_Integer
            and e.exp.q % 2 == 1
            and not e.base.is_nonnegative
        ):
            changed.append(e)
            root = sp.Abs(e.base) ** e.exp
            return root if e.exp.p % 2 == 0 else sp.sign(e.base) * root
        return e

    out = expr.replace(lambda e: isinstance(e, sp.Pow), rewrite)
    if not changed:
        return expr, ()
    shown = sorted({text(c) for c in changed})
    listed = ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1]
    verb = "is read as a real root" if len(shown) == 1 else "are read as real roots"
    return out, (f"{listed} {verb} (odd roots of negative numbers are real)",)


@dataclass(frozen=True)
class RealFunction:
    """A compiled real function of the plane (or line) variables; call it on arrays.

    Attributes
    ----------
    expr : sympy.Expr
        The expression compiled (after :func:`real_branches`).
    symbols : tuple of sympy.Symbol
        The arguments, in order.
    notes : tuple of str
        What the user should know about how the formula was read.
    """

    expr: sp.Expr
    symbols: tuple[sp.Symbol, ...]
    notes: tuple[str, ...] = ()
    _fn: Callable[..., np.ndarray] = field(repr=False, default=None)  # type: ignore[assignment]

    def __call__(self, *args: np.ndarray | float) -> np.ndarray:
        """Float values with the broadcast shape of the arguments; NaN where undefined."""
        arrays = [np.asarray(a, dtype=float) for a in args]
        shape = np.broadcast_shapes(*(a.shape for a in arrays))
        with np.errstate(all="ignore"):
            try:
                out = np.asarray(self._fn(*arrays))
            except (ZeroDivisionError, OverflowError, ValueError):
                out = np.asarray(np.nan)  # scalar corner cases such as 1/0 in a constant
            if np.iscomplexobj(out):
                tiny = 1e-12 * (1 + np.abs(out.real))
                out = np.where(np.abs(out.imag) <= tiny, out.real, np.nan)
            return np.array(np.broadcast_to(out, shape), dtype=float)


def _unsupported(expr: sp.Expr) -> list[str]:
    """Names of the functions in *expr* the compiler cannot turn into working NumPy code."""
    from symnn.compiler import compile as compile_expr

    bad = []
    t = sp.Symbol("t", real=True)
    probe = np.array([-1.5, 0.5, 2.5])
    for func in sorted({type(a) for a in expr.atoms(sp.Function)}, key=lambda c: c.__name__):
        nargs = func.nargs if isinstance(func.nargs, sp.FiniteSet) else sp.FiniteSet(1)
        n = min(int(k) for k in nargs) if nargs else 1
        try:
            g = compile_expr(func(*([t] * max(n, 1))), [t])
            with np.errstate(all="ignore"):
                g(probe)
        except Exception:  # any failure means: this function cannot be compiled
            bad.append(func.__name__)
    return bad


def real_function(
    expr: sp.Expr, symbols: tuple[sp.Symbol, ...] | list[sp.Symbol], what: str = "the formula"
) -> RealFunction:
    """Compile *expr* with :func:`symnn.compiler.compile` into a :class:`RealFunction`.

    Raises ValueError when the expression is too large (:func:`check_size`), has
    the imaginary unit, or uses a function the compiler cannot handle (named in
    the message).

    Examples
    --------
    >>> x = sp.Symbol("x", real=True)
    >>> f = real_function(sp.sqrt(x), [x])
    >>> f(np.array([-1.0, 4.0]))
    array([nan,  2.])
    >>> round(float(real_function(x**sp.Rational(1, 3), [x])(-8.0)), 12)
    -2.0
    """
    from symnn.compiler import compile as compile_expr

    expr = sp.sympify(expr)
    check_size(expr, what)
    if expr.has(sp.I):
        raise ValueError(
            f"{what} {text(expr)} contains the imaginary unit I; curves are drawn in the real "
            "plane: write a real formula"
        )
    real_expr, notes = real_branches(expr)
    try:
        compiled = compile_expr(real_expr, list(symbols))
        with np.errstate(all="ignore"):
            compiled(*([np.array([0.5, 1.5])] * len(symbols)))
    except RecursionError:
        raise ValueError(
            f"{what} is too deeply nested to compile; shorten it (see symnn.curves.numeric)"
        ) from None
    except Exception as exc:  # turned into an error that names the function
        bad = _unsupported(real_expr)
        if bad:
            names = ", ".join(bad)
            raise ValueError(
                f"symnn's compiler cannot evaluate {names} numerically yet, so "
                f"{text(expr)} cannot be sampled; rewrite it without {names}"
            ) from exc
        raise ValueError(f"cannot compile {text(expr)} to NumPy: {exc}") from exc
    return RealFunction(real_expr, tuple(symbols), notes, compiled)
