"""Reading the user's curve: strings, expressions, equations, inequalities and their And/Or.

Everything here is pure SymPy; the numbers come later (:mod:`symnn.curves.numeric`).
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.logic.boolalg import And, BooleanAtom, BooleanFunction, Not, Or

__all__: list[str] = []

#: The relations a curve or region can use, by their symbol.
RELATIONS = {"=": sp.Eq, "<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "!=": sp.Ne}
_OPS = {sp.Eq: "=", sp.Lt: "<", sp.Le: "<=", sp.Gt: ">", sp.Ge: ">=", sp.Ne: "!="}
#: The relations whose boundary f = 0 belongs to the set (drawn solid; the others dashed).
INCLUSIVE = ("=", "<=", ">=")


def as_expr(obj: Any) -> sp.Basic:
    """Return *obj* as a SymPy object: strings go through :func:`symnn.expr.parse.parse`.

    The result is an ``Expr``, an ``Eq``, another ``Relational``, or an
    ``And``/``Or``/``Not`` of relations (a region).

    >>> x, y = sp.symbols("x y")
    >>> as_expr(sp.Eq(x**2 + y**2, 1))
    Eq(x**2 + y**2, 1)
    >>> as_expr(sp.And(x > 0, y > 0))
    (x > 0) & (y > 0)
    """
    if isinstance(obj, str):
        from symnn.expr.parse import parse

        obj = parse(obj, logic=True)
    if isinstance(obj, bool | BooleanAtom):
        raise TypeError(
            f"expected an equation or an expression, got the truth value {obj!r}; "
            "write an equation as Eq(lhs, rhs) or as lhs - rhs (meaning lhs - rhs = 0), "
            "not lhs == rhs, which Python evaluates to True or False"
        )
    if isinstance(obj, int | float):
        obj = sp.sympify(obj)
    if isinstance(obj, And | Or | Not):
        for atom in obj.atoms(sp.Rel):
            split_relation(atom)  # every piece must be a relation we can draw
        rest = [a for a in obj.args if not isinstance(a, sp.Rel | And | Or | Not)]
        if rest:
            raise TypeError(
                f"a region combines relations (x < 1, Eq(x, y), ...) with And, Or and Not; "
                f"{obj} contains {rest[0]!r}"
            )
        return obj
    if isinstance(obj, BooleanFunction):
        raise TypeError(
            f"{type(obj).__name__} regions are not supported; combine relations with "
            "And, Or and Not"
        )
    if not isinstance(obj, sp.Expr | sp.Rel):
        raise TypeError(
            f"expected a string, a SymPy expression or a SymPy relation (Eq, <, ...), "
            f"got {type(obj).__name__} {obj!r}"
        )
    return obj


def is_region(obj: sp.Basic) -> bool:
    """True for an ``And``/``Or``/``Not`` of relations."""
    return isinstance(obj, And | Or | Not)


def split_relation(obj: sp.Basic) -> tuple[sp.Expr, str]:
    """Return ``(f, op)`` with the relation meaning ``f op 0``; op is '=', '<', '<=', '>', '>=', '!='.

    >>> x = sp.Symbol("x")
    >>> split_relation(sp.Eq(x, 1))
    (x - 1, '=')
    >>> split_relation(x**2 > 4)
    (x**2 - 4, '>')
    """
    if isinstance(obj, sp.Expr):
        return obj, "="
    op = _OPS.get(type(obj))
    if op is None:
        raise ValueError(
            f"cannot draw the relation {obj} ({type(obj).__name__}); use an equation "
            "(Eq or '='), an expression meaning '= 0', an inequality <, <=, >, >=, or !="
        )
    return obj.lhs - obj.rhs, op


def region_atoms(obj: sp.Basic) -> list[sp.Rel]:
    """The relations of a region, in a fixed order (each once).

    >>> x, y = sp.symbols("x y")
    >>> region_atoms(sp.Or(x > 0, sp.And(y < 1, x > 0)))
    [x > 0, y < 1]
    """
    found: list[sp.Rel] = []

    def walk(e: sp.Basic) -> None:
        if isinstance(e, sp.Rel):
            if e not in found:
                found.append(e)
            return
        for a in sorted(e.args, key=sp.default_sort_key):
            walk(a)

    walk(obj)
    return found


def boundary_expr(obj: sp.Basic) -> sp.Expr:
    """One expression whose zero set holds the curve or the region's boundary.

    For a region it is the product of its relations' ``f`` (used to choose a window).

    >>> x, y = sp.symbols("x y")
    >>> boundary_expr(sp.And(x > 0, y < 1))
    x*(y - 1)
    """
    if is_region(obj):
        return sp.Mul(*(split_relation(a)[0] for a in region_atoms(obj)))
    return split_relation(obj)[0]


def xy_symbols(
    f: sp.Basic, x: sp.Symbol | None, y: sp.Symbol | None
) -> tuple[sp.Symbol, sp.Symbol]:
    """Return the two plane variables of *f*: given ones, else its symbols sorted by name.

    A missing variable is made up as a real ``x`` or ``y`` that is not already used.

    >>> a, b = sp.symbols("a b")
    >>> xy_symbols(b**2 + a, None, None)
    (a, b)
    >>> xy_symbols(sp.Symbol("y")**2 - 1, None, None)
    (x, y)
    """
    for s in (x, y):
        if s is not None and not isinstance(s, sp.Symbol):
            raise TypeError(f"x and y must be SymPy symbols, got {type(s).__name__} {s!r}")
    free = sorted(f.free_symbols, key=lambda s: s.name)
    rest = [s for s in free if s not in (x, y)]
    room = (x is None) + (y is None)
    if len(rest) > room:
        raise ValueError(
            f"a plane curve has two variables, but {f} has the symbols "
            f"{', '.join(s.name for s in free)}; substitute numbers for the parameters "
            "(expr.subs(a, 1)) or pass x= and y= to say which two are the plane"
        )
    if room == 2 and len(rest) == 1:
        x, y = (None, rest[0]) if rest[0].name == "y" else (rest[0], None)
    elif room == 2 and len(rest) == 2:
        x, y = rest
    elif rest:
        x, y = (rest[0], y) if x is None else (x, rest[0])
    names = {s.name for s in (x, y) if s is not None}
    if x is None:
        x = sp.Symbol("x" if "x" not in names else "x_", real=True)
    if y is None:
        y = sp.Symbol("y" if "y" not in names | {x.name} else "y_", real=True)
    if x == y:
        raise ValueError(f"x and y must be two different symbols, got {x} twice")
    return x, y


def text(e: sp.Basic, limit: int | None = None) -> str:
    """Plain text of an expression as a user writes it: ``^`` for powers (what the CLI reads).

    With ``limit``, a longer text is cut to that many characters, ending in "...".

    >>> text(sp.Symbol("x")**2 + 1)
    'x^2 + 1'
    >>> text(sp.Symbol("x")**2 + 1, limit=5)
    'x^...'
    """
    out = sp.sstr(e).replace("**", "^")
    if limit is not None and len(out) > limit:
        out = out[: max(limit - 3, 1)] + "..."
    return out
