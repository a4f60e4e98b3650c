r"""The one preparation step between a SymPy expression and its printed code.

:func:`prepare` runs, once per expression,

1. checks: the expression must be real (no ``I``);
2. ``canonicalize`` rules: distributions become 0 (:math:`\delta(u) \to 0`, the
   derivative almost everywhere of the function actually computed);
3. ``stabilize`` rules (:func:`~symnn.compiler.rules.stabilize`);
4. :func:`~symnn.compiler.piecewise.branch_free` piecewise code (the pieces in
   their printing forms: ``specialize`` rules run on them first);
5. ``specialize`` rules (printing forms such as :math:`a(u + b/a)`);
6. irrational constants folded to float64.

Both :func:`~symnn.compiler.compile` and the in-place emitter print prepared
expressions; :func:`~symnn.compiler.numpy_source` takes them with
``prepared=True``. Results are memoised, and a prepared expression is a fixed
point, so preparing it again costs a dictionary look-up.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> prepare(sp.Piecewise((x / 6 + sp.Rational(1, 2), x < 3), (1, True)), [x])
Linear(1/6, Clip(x, -oo, 3), 3)
>>> prepare(sp.sqrt(-1) * x, [x])
Traceback (most recent call last):
...
ValueError: compile: I*x is not real-valued on the reals (it contains the imaginary unit I, e.g. from the square root of a negative number); symnn compiles real functions only: check the formula's signs
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

import sympy as sp

from symnn.compiler.piecewise import branch_free
from symnn.compiler.registry import bottom_up
from symnn.compiler.rules import RULES

__all__ = ["fold_constants", "prepare"]

_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 2048


def fold_constants(expr: sp.Basic) -> sp.Basic:
    """Replace irrational numeric subexpressions (sqrt(2), pi, ...) by float64 values.

    >>> import sympy as sp
    >>> fold_constants(sp.sqrt(2) * sp.Symbol("x"))
    1.4142135623731*x
    """

    def fold(e):
        if e.is_number and not e.is_Rational and not e.is_Float and e.is_real:
            return sp.Float(float(e))
        return e

    if isinstance(expr, sp.Basic) and expr.is_number:
        return fold(expr)
    return bottom_up(expr, fold)


def _check_real(expr: sp.Basic) -> None:
    if expr.has(sp.I):
        raise ValueError(
            f"compile: {expr} is not real-valued on the reals (it contains the imaginary unit I, "
            "e.g. from the square root of a negative number); symnn compiles real functions "
            "only: check the formula's signs"
        )


def _check_derivatives(expr: sp.Basic) -> None:
    for d in expr.atoms(sp.Derivative):
        raise ValueError(
            f"compile: cannot compile the unevaluated derivative {d}: SymPy does not know the "
            f"derivative of {d.expr.func}; write the function with known_functions() "
            "(symnn.expr.parse) or substitute its derivative before compiling"
        )


def prepare(
    expr: sp.Basic,
    variables: Iterable[sp.Symbol] | None = None,
    *,
    stable: bool = True,
    skip: Iterable[str] = (),
) -> sp.Basic:
    """Stabilise, branch-free, specialise and fold constants: the expression the printer prints.

    *variables* are the array arguments (piecewise functions of one of them lose
    their branches; default: every free symbol). ``stable=False`` skips the
    stability rules (naive printing, for comparison); *skip* names rules or tags
    to leave out (see :data:`symnn.compiler.rules.RULES`).
    """
    expr = sp.sympify(expr)
    variables = frozenset(expr.free_symbols if variables is None else variables)
    key = (expr, variables, stable, frozenset(skip))
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    _check_real(expr)
    skip_ = frozenset(skip)
    out = RULES.apply(expr, "canonicalize", skip=skip_, max_passes=2)
    if stable:
        out = RULES.apply(out, "stabilize", skip=skip_)
        if out.has(sp.Piecewise):  # the pieces' printing forms before they are summed
            out = RULES.apply(out, "specialize", skip=skip_, max_passes=2)
    out = branch_free(out, variables)
    if stable:
        out = RULES.apply(out, "specialize", skip=skip_, max_passes=2)
    out = fold_constants(out)
    _check_derivatives(out)
    _CACHE[key] = out
    for flag in (True, False) if stable else (False,):  # a prepared expression is prepared
        _CACHE[(out, variables, flag, skip_)] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out
