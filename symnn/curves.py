r"""Curves in the plane: conic classification, plot windows, and sampled curves.

This is the mathematical layer under :mod:`symnn.plotting.curves`; it never
imports matplotlib.

* :func:`classify_conic` names a second-degree curve
  :math:`Ax^2 + Bxy + Cy^2 + Dx + Ey + F = 0` and gives its centre, semi-axes,
  rotation, foci and eccentricity as exact SymPy numbers, from the invariants
  of the matrices

  .. math::

     M = \begin{pmatrix} A & B/2 & D/2 \\ B/2 & C & E/2 \\ D/2 & E/2 & F \end{pmatrix},
     \qquad
     Q = \begin{pmatrix} A & B/2 \\ B/2 & C \end{pmatrix},

  :math:`\Delta = \det M`, :math:`\delta = \det Q`, :math:`\tau = A + C`, and
  the eigen-decomposition of :math:`Q`.
* :func:`implicit_window` chooses the plot window of an implicit curve.
* :func:`implicit_curve` traces the zero set :math:`f(x, y) = 0` as polylines
  (marching squares, then Newton projection onto the curve), and
  :func:`implicit_cells` asks ``sympy.plot_implicit`` (interval arithmetic)
  for the cells that contain the curve.
* :func:`explicit_curve` samples :math:`y = f(x)` with its poles and jumps cut
  out, and :func:`explicit_ylim` picks a y-range that poles do not blow up.

Strings are accepted everywhere and go through :func:`symnn.parse.parse`.

Numerical functions are compiled with ``sympy.lambdify(..., "numpy")`` under
``numpy.errstate(all="ignore")``; non-finite and complex values become NaN and
are handled explicitly.  (``symnn.compile`` will replace these ``lambdify``
calls once it lands: see :func:`_compile`.)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

__all__ = [
    "KINDS",
    "METHODS",
    "Conic",
    "classify_conic",
    "explicit_curve",
    "explicit_ylim",
    "implicit_cells",
    "implicit_curve",
    "implicit_window",
]

#: Every value :attr:`Conic.kind` can take.
KINDS = (
    "ellipse",
    "circle",
    "hyperbola",
    "parabola",
    "point",
    "pair of intersecting lines",
    "pair of parallel lines",
    "single line (double)",
    "empty (imaginary ellipse)",
    "empty (imaginary parallel lines)",
)

#: The ways :func:`symnn.plot_implicit` can draw a zero set (the first is the default).
METHODS = ("contour", "sympy")

DEFAULT_WINDOW = ((-10.0, 10.0), (-10.0, 10.0))

Point = tuple[sp.Expr, sp.Expr]
Window = tuple[tuple[float, float], tuple[float, float]]


# --------------------------------------------------------------------------- input


def _as_expr(obj: Any) -> sp.Basic:
    """Return *obj* as a SymPy object: strings go through :func:`symnn.parse.parse`.

    The result is an ``Expr``, an ``Eq`` or another ``Relational``.

    >>> x, y = sp.symbols("x y")
    >>> _as_expr(sp.Eq(x**2 + y**2, 1))
    Eq(x**2 + y**2, 1)
    """
    if isinstance(obj, str):
        from symnn.expr.parse import parse  # lazy: the parser sits beside us, not below

        obj = parse(obj)
    if isinstance(obj, bool | sp.logic.boolalg.BooleanAtom):
        raise TypeError(
            f"expected an equation or an expression, got the truth value {obj!r}; "
            "write an equation as Eq(lhs, rhs) or as lhs - rhs (meaning lhs - rhs = 0), "
            "not lhs == rhs, which Python evaluates to True or False"
        )
    if isinstance(obj, int | float):
        obj = sp.sympify(obj)
    if not isinstance(obj, sp.Expr | sp.Rel):
        raise TypeError(
            f"expected a string, a SymPy expression or a SymPy relation (Eq, <, ...), "
            f"got {type(obj).__name__} {obj!r}"
        )
    return obj


def _split_relation(obj: sp.Basic) -> tuple[sp.Expr, str]:
    """Return ``(f, op)`` with the relation meaning ``f op 0``; op is '=', '<', '<=', '>', '>='.

    >>> x = sp.Symbol("x")
    >>> _split_relation(sp.Eq(x, 1))
    (x - 1, '=')
    >>> _split_relation(x**2 > 4)
    (x**2 - 4, '>')
    """
    if isinstance(obj, sp.Expr):
        return obj, "="
    ops = {sp.Eq: "=", sp.Lt: "<", sp.Le: "<=", sp.Gt: ">", sp.Ge: ">="}
    op = ops.get(type(obj))
    if op is None:
        raise ValueError(
            f"cannot draw the relation {obj} ({type(obj).__name__}); use an equation "
            "(Eq or '='), an expression meaning '= 0', or an inequality <, <=, >, >="
        )
    return obj.lhs - obj.rhs, op


def _xy_symbols(
    f: sp.Expr, x: sp.Symbol | None, y: sp.Symbol | None
) -> tuple[sp.Symbol, sp.Symbol]:
    """Return the two plane variables of *f*: given ones, else its symbols sorted by name.

    A missing variable is made up as a real ``x`` or ``y`` that is not already used.

    >>> a, b = sp.symbols("a b")
    >>> _xy_symbols(b**2 + a, None, None)
    (a, b)
    >>> _xy_symbols(sp.Symbol("y")**2 - 1, None, None)
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


# --------------------------------------------------------------------------- conics


def _simp(e: sp.Expr) -> sp.Expr:
    """Simplify an exact number or expression: radicals denested and rationalised."""
    e = sp.sympify(e)
    if e.is_Rational or e.is_Atom:
        return e
    if e.is_number:  # cheap first; the full simplify only when that leaves a big expression
        cheap = sp.radsimp(sp.sqrtdenest(e))
        if sp.count_ops(cheap) <= 6:
            return cheap
        full = sp.radsimp(sp.sqrtdenest(sp.simplify(e)))
        return min(cheap, full, key=lambda c: (sp.count_ops(c), len(str(c))))
    return sp.sqrtdenest(sp.simplify(e))


def _sqrt(e: sp.Expr) -> sp.Expr:
    """Square root of a simplified non-negative number, denested where SymPy can."""
    return sp.sqrtdenest(sp.sqrt(_simp(e)))


def _sign(v: sp.Expr, what: str) -> int:
    """Return the sign (-1, 0, 1) of an exact real number, or raise a clear ValueError."""
    v = sp.sympify(v)
    if v.is_Rational:
        return int(sp.sign(v))
    if v.is_number and not v.has(sp.Float):  # a clearly non-zero value: numerically, fast
        approx = sp.N(v, 30)
        if approx.is_real and abs(approx) > 1e-20:
            return 1 if approx > 0 else -1
    v = sp.simplify(v)
    if v.is_zero:
        return 0
    if v.is_positive:
        return 1
    if v.is_negative:
        return -1
    if v.is_number:
        if v.equals(0):
            return 0
        approx = sp.N(v, 50)
        if approx.is_real and abs(approx) > sp.Float("1e-40", 50):
            return 1 if approx > 0 else -1
    raise ValueError(f"cannot decide the sign of {what} = {v}; use numeric coefficients")


def _monic_line(e: sp.Expr, x: sp.Symbol, y: sp.Symbol) -> sp.Expr:
    """Scale a linear expression: integer coefficients when rational, else x coefficient 1.

    >>> x, y = sp.symbols("x y")
    >>> _monic_line(x / 3 - y / 2 + 1, x, y)
    2*x - 3*y + 6
    """
    e = sp.expand(e)
    cx = e.coeff(x)
    lead = cx if _sign(cx, "a line coefficient") != 0 else e.coeff(y)
    e = sp.expand(_simp(sp.expand(e / lead)))
    coeffs = [e.coeff(x), e.coeff(y), e.subs({x: 0, y: 0})]
    if all(c.is_Rational for c in coeffs):
        den = sp.ilcm(*(c.q for c in coeffs))
        num = sp.igcd(*(int(c * den) for c in coeffs))
        e = sp.expand(e * den / num)
    return e


def _normal_angle(a: sp.Expr) -> sp.Expr:
    """Map an angle to the line-orientation range (-pi/2, pi/2]."""
    a = _simp(a)
    while _sign(a - sp.pi / 2, "an angle") > 0:
        a = _simp(a - sp.pi)
    while _sign(a + sp.pi / 2, "an angle") <= 0:
        a = _simp(a + sp.pi)
    return a


def _oriented(v: Point) -> tuple[Point, sp.Expr]:
    """Return ``(w, theta)``: w = +-v pointing into x > 0 (or up), theta in (-pi/2, pi/2].

    >>> _oriented((sp.Integer(-1), sp.Integer(1)))
    ((1, -1), -pi/4)
    """
    sx = _sign(v[0], "a direction")
    if sx < 0 or (sx == 0 and _sign(v[1], "a direction") < 0):
        v = (_simp(-v[0]), _simp(-v[1]))
    return v, _normal_angle(sp.atan2(v[1], v[0]))


def _simplest(*candidates: sp.Expr) -> sp.Expr:
    """The candidate with the fewest operations (they are equal numbers)."""
    return min(candidates, key=lambda e: (sp.count_ops(e), len(str(e))))


def _latex_point(p: Point) -> str:
    return rf"\left({sp.latex(p[0])}, {sp.latex(p[1])}\right)"


@dataclass(frozen=True)
class Conic:
    r"""A classified second-degree curve :math:`Ax^2+Bxy+Cy^2+Dx+Ey+F=0`; all values exact.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    equation : sympy.Expr
        ``f`` with the curve being ``f = 0`` (as given, floats made rational).
    x, y : sympy.Symbol
        The plane variables.
    center : (Expr, Expr) or None
        Centre of symmetry (ellipse, circle, hyperbola, point, intersecting
        lines, imaginary ellipse); ``None`` when there is none or a whole line of them.
    semi_axes : (Expr, Expr) or None
        Ellipse: (major, minor); circle: (r, r); hyperbola: (transverse, conjugate).
    angle : Expr or None
        Orientation in :math:`(-\pi/2, \pi/2]` of the principal axis: the major
        axis of an ellipse, the transverse axis of a hyperbola, the axis of a
        parabola, the direction of parallel lines, the bisector on the positive
        eigen-direction of :math:`Q` for intersecting lines; 0 for a circle.
    axis : (Expr, Expr) or None
        Unit vector along that axis, :math:`(\cos\theta, \sin\theta)`, except for a
        parabola, where it points from the vertex into the parabola (to the focus).
    foci : tuple of points
        Two foci (ellipse, hyperbola), one (circle: its centre; parabola), or none.
    eccentricity : Expr or None
        0 (circle), in (0, 1) (ellipse), 1 (parabola), > 1 (hyperbola); None when degenerate.
    vertex : point or None
        The vertex of a parabola.
    focal_length : Expr or None
        Vertex-to-focus distance :math:`p` of a parabola (:math:`u^2 = 4pv` in its own frame).
    lines : tuple of Expr
        The real lines of a degenerate conic, each meaning ``line = 0``.
    asymptotes : tuple of Expr
        The asymptotes of a hyperbola, each meaning ``line = 0``.

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> c = classify_conic(x**2 + y**2 + x*y - 1)
    >>> c.kind, c.center, c.semi_axes, c.angle
    ('ellipse', (0, 0), (sqrt(2), sqrt(6)/3), -pi/4)
    """

    kind: str
    equation: sp.Expr
    x: sp.Symbol
    y: sp.Symbol
    center: Point | None = None
    semi_axes: tuple[sp.Expr, sp.Expr] | None = None
    angle: sp.Expr | None = None
    axis: Point | None = None
    foci: tuple[Point, ...] = ()
    eccentricity: sp.Expr | None = None
    vertex: Point | None = None
    focal_length: sp.Expr | None = None
    lines: tuple[sp.Expr, ...] = ()
    asymptotes: tuple[sp.Expr, ...] = field(default=())

    @property
    def is_degenerate(self) -> bool:
        """True for points, line pairs and empty sets."""
        return self.kind not in ("ellipse", "circle", "hyperbola", "parabola")

    @property
    def is_empty(self) -> bool:
        """True when no real point satisfies the equation."""
        return self.kind.startswith("empty")

    def summary(self) -> list[tuple[str, str]]:
        r"""Return ``[(label, latex_value), ...]``: the facts shown by :meth:`latex` and plots.

        >>> x, y = sp.symbols("x y")
        >>> classify_conic(x**2 + y**2 - 4).summary()[:2]
        [('centre', '\\left(0, 0\\right)'), ('radius', '2')]
        """
        rows: list[tuple[str, str]] = []
        if self.center is not None:
            rows.append(("centre", _latex_point(self.center)))
        if self.vertex is not None:
            rows.append(("vertex", _latex_point(self.vertex)))
        if self.semi_axes is not None:
            a, b = self.semi_axes
            if self.kind == "circle":
                rows.append(("radius", sp.latex(a)))
            else:
                rows.append(("semi-axes", f"{sp.latex(a)},\\ {sp.latex(b)}"))
        if self.focal_length is not None:
            rows.append(("focal length", sp.latex(self.focal_length)))
        if self.angle is not None and self.kind != "circle":
            rows.append(("angle", sp.latex(self.angle)))
        if self.foci:
            label = "focus" if len(self.foci) == 1 else "foci"
            rows.append((label, ",\\ ".join(_latex_point(p) for p in self.foci)))
        if self.eccentricity is not None:
            rows.append(("eccentricity", sp.latex(self.eccentricity)))
        for label, exprs in (("lines", self.lines), ("asymptotes", self.asymptotes)):
            if exprs:
                rows.append((label, ",\\ ".join(f"{sp.latex(e)} = 0" for e in exprs)))
        return rows

    def latex(self) -> str:
        r"""Return a LaTeX summary (an ``array``) of the kind and every fact.

        >>> x, y = sp.symbols("x y")
        >>> print(classify_conic(x**2 - y).latex())  # doctest: +ELLIPSIS
        \begin{array}{ll}\text{parabola} & x^{2} - y = 0 \\ \text{vertex} & ...
        """
        head = rf"\text{{{self.kind}}} & {sp.latex(sp.Eq(self.equation, 0))}"
        body = [rf"\text{{{k}}} & {v}" for k, v in self.summary()]
        return r"\begin{array}{ll}" + r" \\ ".join([head, *body]) + r"\end{array}"

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {self.latex()}$"

    def __str__(self) -> str:
        eq = f"{sp.sstr(self.equation)} = 0"
        lines = [f"{self.kind}: {eq}"]
        for label, value in self._plain_rows():
            lines.append(f"  {label}: {value}")
        return "\n".join(lines)

    def _plain_rows(self) -> list[tuple[str, str]]:
        def p(pt: Point) -> str:
            return f"({sp.sstr(pt[0])}, {sp.sstr(pt[1])})"

        rows = []
        if self.center is not None:
            rows.append(("centre", p(self.center)))
        if self.vertex is not None:
            rows.append(("vertex", p(self.vertex)))
        if self.semi_axes is not None:
            rows.append(("semi-axes", ", ".join(sp.sstr(a) for a in self.semi_axes)))
        if self.focal_length is not None:
            rows.append(("focal length", sp.sstr(self.focal_length)))
        if self.angle is not None:
            rows.append(("angle", sp.sstr(self.angle)))
        if self.foci:
            rows.append(("foci", ", ".join(p(f) for f in self.foci)))
        if self.eccentricity is not None:
            rows.append(("eccentricity", sp.sstr(self.eccentricity)))
        if self.lines:
            rows.append(("lines", ", ".join(f"{sp.sstr(e)} = 0" for e in self.lines)))
        if self.asymptotes:
            rows.append(("asymptotes", ", ".join(f"{sp.sstr(e)} = 0" for e in self.asymptotes)))
        return rows


def _coefficients(f: sp.Expr, x: sp.Symbol, y: sp.Symbol) -> tuple[sp.Expr, ...]:
    """Return (A, B, C, D, E, F) of a second-degree polynomial, or raise ValueError."""
    expanded = sp.expand(f)
    if expanded.free_symbols - {x, y}:
        extra = ", ".join(sorted(s.name for s in expanded.free_symbols - {x, y}))
        raise ValueError(
            f"classify_conic needs numeric coefficients, but {f} has symbols other than "
            f"{x} and {y} ({extra}); substitute numbers for them"
        )
    if not expanded.is_polynomial(x, y):
        raise ValueError(
            f"classify_conic needs a second-degree polynomial equation, but {f} is not a "
            f"polynomial in {x} and {y}; multiply out denominators (write x*y = 1, not y = 1/x)"
        )
    poly = sp.Poly(expanded, x, y)
    degree = poly.total_degree()
    if degree != 2:
        raise ValueError(
            f"classify_conic needs a second-degree (quadratic) equation in {x} and {y}, "
            f"but {f} = 0 has degree {degree}; a conic has the form "
            "A*x^2 + B*x*y + C*y^2 + D*x + E*y + F = 0 with A, B, C not all zero"
        )
    c = poly.as_dict()
    get = lambda i, j: sp.nsimplify(c.get((i, j), 0), rational=True)  # noqa: E731
    coeffs = (get(2, 0), get(1, 1), get(0, 2), get(1, 0), get(0, 1), get(0, 0))
    for v in coeffs:
        if not v.is_number or v.is_real is False:
            raise ValueError(f"classify_conic needs real numeric coefficients, got {v} in {f}")
    return coeffs


def classify_conic(expr: Any, x: sp.Symbol | None = None, y: sp.Symbol | None = None) -> Conic:
    r"""Classify a second-degree curve and give its geometry exactly.

    The curve is :math:`Ax^2 + Bxy + Cy^2 + Dx + Ey + F = 0`.  With
    :math:`\Delta = \det M`, :math:`\delta = \det Q = AC - B^2/4` and
    :math:`\tau = A + C` (see the module docstring):

    ==================  ===================  ==============================================
    :math:`\delta`      :math:`\Delta`        kind
    ==================  ===================  ==============================================
    :math:`> 0`         :math:`\tau\Delta<0`  ellipse (circle when :math:`A = C`, :math:`B = 0`)
    :math:`> 0`         :math:`0`             point
    :math:`> 0`         :math:`\tau\Delta>0`  empty (imaginary ellipse)
    :math:`< 0`         :math:`\ne 0`         hyperbola
    :math:`< 0`         :math:`0`             pair of intersecting lines
    :math:`0`           :math:`\ne 0`         parabola
    :math:`0`           :math:`0`             parallel lines, a double line or empty
    ==================  ===================  ==============================================

    The eigenvalues :math:`\lambda_\pm = (\tau \pm \sqrt{(A-C)^2 + B^2})/2` of
    :math:`Q` and the value :math:`\Delta/\delta` of the left-hand side at the
    centre give the canonical form
    :math:`\lambda_+ X^2 + \lambda_- Y^2 + \Delta/\delta = 0` in axes rotated by
    :math:`\tfrac12\operatorname{atan2}(B, A - C)`; semi-axes are
    :math:`\sqrt{-\Delta/(\delta\lambda)}`.

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> c = classify_conic(sp.Eq(x**2 + y**2 + x*y, 1))
    >>> c.kind, c.semi_axes, c.angle, c.eccentricity
    ('ellipse', (sqrt(2), sqrt(6)/3), -pi/4, sqrt(6)/3)
    >>> c.foci
    ((-sqrt(6)/3, sqrt(6)/3), (sqrt(6)/3, -sqrt(6)/3))
    >>> classify_conic(x*y - 1).kind
    'hyperbola'

    Parameters
    ----------
    expr : str, sympy.Expr or sympy.Eq
        The curve: an equation, or an expression meaning "= 0".  Float
        coefficients are read as the exact decimals they print as.
    x, y : sympy.Symbol, optional
        The plane variables; by default the expression's symbols sorted by name.

    Returns
    -------
    Conic

    Raises
    ------
    ValueError
        If the equation is not a second-degree polynomial with numeric coefficients.
    """
    obj = _as_expr(expr)
    f, op = _split_relation(obj)
    if op != "=":
        raise ValueError(f"classify_conic needs an equation, got the inequality {obj}")
    x, y = _xy_symbols(f, x, y)
    f = sp.nsimplify(f, rational=True) if f.has(sp.Float) else f
    A, B, C, D, E, F = _coefficients(f, x, y)
    return _classify(f, x, y, A, B, C, D, E, F)


def _classify(f, x, y, A, B, C, D, E, F) -> Conic:
    # The curve does not change when the equation is multiplied by -1: make tau >= 0.
    if _sign(A + C, "A + C") < 0:
        A, B, C, D, E, F = (-A, -B, -C, -D, -E, -F)
    M = sp.Matrix([[A, B / 2, D / 2], [B / 2, C, E / 2], [D / 2, E / 2, F]])
    Q = M[:2, :2]
    Delta, delta, tau = _simp(M.det()), _simp(Q.det()), A + C
    sD, sd = _sign(Delta, "det M"), _sign(delta, "det Q")
    r = _sqrt((A - C) ** 2 + B**2)
    lam_p, lam_m = _simp((tau + r) / 2), _simp((tau - r) / 2)
    # Unit eigenvectors: u_p (for lam_p) at the angle phi/2, phi = atan2(B, A - C), from the
    # half-angle formulas; u_m (for lam_m) is u_p turned by +90 degrees.
    round_ = _sign(r, "the eigenvalue gap") == 0
    if round_:
        u_p: Point = (sp.Integer(1), sp.Integer(0))
        half_phi = sp.Integer(0)
    else:
        cos_phi = (A - C) / r
        s = -1 if _sign(B, "B") < 0 else 1
        u_p = (_sqrt((1 + cos_phi) / 2), _simp(s * _sqrt((1 - cos_phi) / 2)))
        half_phi = sp.atan2(B, A - C) / 2
    u_m: Point = (_simp(-u_p[1]), u_p[0])

    def direction(v: Point, hint: sp.Expr) -> tuple[Point, sp.Expr]:
        """(+-v oriented, its angle), the angle in its simplest exact form."""
        w, theta = _oriented(v)
        return w, _simplest(theta, _normal_angle(hint))

    common = {"equation": f, "x": x, "y": y}
    dir_p = direction(u_p, half_phi)
    dir_m = direction(u_m, half_phi + sp.pi / 2)

    def along(p: Point, d: sp.Expr, v: Point) -> Point:
        return (_simp(p[0] + d * v[0]), _simp(p[1] + d * v[1]))

    if sd != 0:
        cx, cy = Q.LUsolve(sp.Matrix([-D / 2, -E / 2]))
        center = (_simp(cx), _simp(cy))
        Fc = _simp(Delta / delta)  # the left-hand side at the centre
        sF = _sign(Fc, "the value at the centre")
        if sd > 0:  # ellipse type; tau > 0, so both eigenvalues are positive
            if sF == 0:
                return Conic("point", **common, center=center)
            if sF > 0:
                return Conic("empty (imaginary ellipse)", **common, center=center)
            if round_:
                rad = _sqrt(-Fc / A)
                return Conic(
                    "circle", **common, center=center, semi_axes=(rad, rad),
                    angle=sp.Integer(0), axis=(sp.Integer(1), sp.Integer(0)),
                    foci=(center,), eccentricity=sp.Integer(0),
                )  # fmt: skip
            a2, b2 = _simp(-Fc / lam_m), _simp(-Fc / lam_p)  # major along u_m
            axis, angle = dir_m
            c = _sqrt(a2 - b2)
            return Conic(
                "ellipse", **common, center=center, semi_axes=(_sqrt(a2), _sqrt(b2)),
                angle=angle, axis=axis, foci=_sorted_points(along(center, s * c, axis) for s in (-1, 1)),
                eccentricity=_sqrt(1 - b2 / a2),
            )  # fmt: skip
        # hyperbola type: lam_p > 0 > lam_m; in rotated coordinates (X, Y) about the centre
        # the quadratic part factors as (sqrt(lam_p) X + sqrt(-lam_m) Y)(sqrt(lam_p) X - ...).
        dx, dy = x - center[0], y - center[1]
        X, Y = u_p[0] * dx + u_p[1] * dy, u_m[0] * dx + u_m[1] * dy
        pair = _sorted_exprs(
            _monic_line(sp.sqrt(lam_p) * X + s * sp.sqrt(-lam_m) * Y, x, y) for s in (1, -1)
        )
        if sF == 0:
            axis, angle = dir_p
            return Conic(
                "pair of intersecting lines", **common, center=center, angle=angle, axis=axis,
                lines=pair,
            )  # fmt: skip
        if sF < 0:  # lam_p X^2 - |lam_m| Y^2 = |Fc|: transverse along u_p
            (axis, angle), a2, b2 = dir_p, -Fc / lam_p, Fc / lam_m
        else:
            (axis, angle), a2, b2 = dir_m, -Fc / lam_m, Fc / lam_p
        a2, b2 = _simp(a2), _simp(b2)
        c = _sqrt(a2 + b2)
        return Conic(
            "hyperbola", **common, center=center, semi_axes=(_sqrt(a2), _sqrt(b2)), angle=angle,
            axis=axis, foci=_sorted_points(along(center, s * c, axis) for s in (-1, 1)),
            eccentricity=_sqrt(1 + b2 / a2), asymptotes=pair,
        )  # fmt: skip

    # parabola type: delta = 0 and Q = tau u u^T with u = u_p; v = u_m is the axis direction.
    # With s = u.(x, y), t = v.(x, y) the equation reads tau s^2 + p1 s + q t + F = 0.
    u, v = u_p, u_m
    p1, q = _simp(D * u[0] + E * u[1]), _simp(D * v[0] + E * v[1])
    axis, angle = dir_m
    if sD != 0:
        s0 = _simp(-p1 / (2 * tau))
        t0 = _simp((p1**2 / (4 * tau) - F) / q)
        P = _simp(-q / (4 * tau))  # (s - s0)^2 = 4 P (t - t0)
        vertex = along((s0 * u[0], s0 * u[1]), t0, v)
        opening = v if _sign(P, "the focal parameter") > 0 else (_simp(-v[0]), _simp(-v[1]))
        p = _simp(abs(P))
        return Conic(
            "parabola", **common, angle=angle, axis=opening, foci=(along(vertex, p, opening),),
            eccentricity=sp.Integer(1), vertex=vertex, focal_length=p,
        )  # fmt: skip
    disc = _simp(p1**2 - 4 * tau * F)  # tau s^2 + p1 s + F = 0: lines s = const
    s_disc = _sign(disc, "the discriminant")
    s_coord = u[0] * x + u[1] * y
    if s_disc < 0:
        return Conic("empty (imaginary parallel lines)", **common, angle=angle, axis=axis)
    if s_disc == 0:
        line = _monic_line(s_coord + p1 / (2 * tau), x, y)
        return Conic("single line (double)", **common, angle=angle, axis=axis, lines=(line,))
    roots = [(-p1 + s * sp.sqrt(disc)) / (2 * tau) for s in (1, -1)]
    pair = _sorted_exprs(_monic_line(s_coord - root, x, y) for root in roots)
    return Conic("pair of parallel lines", **common, angle=angle, axis=axis, lines=pair)


def _sorted_points(points: Iterable[Point]) -> tuple[Point, ...]:
    return tuple(sorted(points, key=lambda p: (float(p[0]), float(p[1]))))


def _sorted_exprs(exprs: Iterable[sp.Expr]) -> tuple[sp.Expr, ...]:
    return tuple(sorted(exprs, key=sp.default_sort_key))


# --------------------------------------------------------------------------- numerics


def _compile(expr: sp.Expr, *symbols: sp.Symbol) -> Callable[..., np.ndarray]:
    """Compile *expr* to a NumPy function returning float arrays (NaN where undefined).

    Uses ``sympy.lambdify(..., "numpy")`` with floating-point warnings
    suppressed; complex results become NaN.  TODO: replace with
    ``symnn.compile`` (stable rewrites) when it lands.
    """
    func = sp.lambdify(symbols, expr, "numpy")

    def call(*args: np.ndarray) -> np.ndarray:
        shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        with np.errstate(all="ignore"):
            try:
                out = np.asarray(func(*args))
            except (ZeroDivisionError, OverflowError, ValueError):
                # scalar corner cases such as 1/0 inside a constant subexpression
                out = np.asarray(np.nan)
            if np.iscomplexobj(out):
                tiny = 1e-12 * (1 + np.abs(out.real))
                out = np.where(np.abs(out.imag) <= tiny, out.real, np.nan)
            out = np.array(np.broadcast_to(out, shape), dtype=float)
        out[~np.isfinite(out)] = np.nan
        return out

    return call


def _margin_window(x0: float, x1: float, y0: float, y1: float, margin: float) -> Window:
    """Pad the box by ``margin * max(width, height)`` on every side (equal on both axes)."""
    size = max(x1 - x0, y1 - y0)
    if not size > 0:
        size = 2.0
    pad = margin * size
    if x1 - x0 <= 0:
        x0, x1 = x0 - size / 2, x1 + size / 2
    if y1 - y0 <= 0:
        y0, y1 = y0 - size / 2, y1 + size / 2
    return (float(x0 - pad), float(x1 + pad)), (float(y0 - pad), float(y1 + pad))


def _check_margin(margin: float) -> float:
    if not isinstance(margin, int | float) or not math.isfinite(margin) or margin < 0:
        raise ValueError(
            f"margin must be a finite number >= 0 (a fraction of the curve's size), got {margin!r}"
        )
    return float(margin)


def _conic_box(c: Conic) -> tuple[float, float, float, float] | None:
    """Bounding box (x0, x1, y0, y1) of the part of a conic worth showing; None when empty."""
    fl = lambda v: float(sp.N(v, 30))  # noqa: E731
    if c.kind in ("ellipse", "circle"):
        a, b = c.semi_axes
        th = c.angle
        # exact bounding box of a rotated ellipse
        hw = fl(sp.sqrt(a**2 * sp.cos(th) ** 2 + b**2 * sp.sin(th) ** 2))
        hh = fl(sp.sqrt(a**2 * sp.sin(th) ** 2 + b**2 * sp.cos(th) ** 2))
        cx, cy = map(fl, c.center)
        return cx - hw, cx + hw, cy - hh, cy + hh
    if c.kind == "hyperbola":
        # a square around the centre, twice the focal distance: both vertices, both
        # foci and a good stretch of both branches and their asymptotes
        a, b = c.semi_axes
        R = 2 * fl(sp.sqrt(a**2 + b**2))
        cx, cy = map(fl, c.center)
        return cx - R, cx + R, cy - R, cy + R
    if c.kind == "parabola":
        # the arc |w| <= 8p on either side of the axis (so 16p deep), with vertex and focus
        p = fl(c.focal_length)
        vx, vy = map(fl, c.vertex)
        ax, ay = map(fl, c.axis)
        nx, ny = -ay, ax
        w = np.linspace(-8 * p, 8 * p, 161)
        t = w**2 / (4 * p)
        px, py = vx + t * ax + w * nx, vy + t * ay + w * ny
        return float(px.min()), float(px.max()), float(py.min()), float(py.max())
    if c.kind in ("point", "pair of intersecting lines"):
        cx, cy = map(fl, c.center)
        return cx - 2, cx + 2, cy - 2, cy + 2
    if c.kind in ("pair of parallel lines", "single line (double)"):
        # around the point of the middle line nearest to the origin
        nx, ny = -fl(c.axis[1]), fl(c.axis[0])
        offsets = []
        for line in c.lines:
            # line: n . (x, y) = d with n the unit normal (up to sign)
            gx, gy = fl(line.coeff(c.x)), fl(line.coeff(c.y))
            const = fl(line.subs({c.x: 0, c.y: 0}))
            norm = math.hypot(gx, gy)
            sgn = 1.0 if gx * nx + gy * ny >= 0 else -1.0
            offsets.append(-sgn * const / norm)
        mid = sum(offsets) / len(offsets)
        R = max(2.0, 2 * (max(offsets) - min(offsets)))
        mx, my = mid * nx, mid * ny
        return mx - R, mx + R, my - R, my + R
    return None


def implicit_window(
    expr: Any,
    x: sp.Symbol | None = None,
    y: sp.Symbol | None = None,
    margin: float = 0.1,
) -> Window:
    r"""Choose the plot window ``(xlim, ylim)`` of the implicit curve :math:`f(x, y) = 0`.

    * **Conics** (second-degree equations) from their exact geometry: the
      bounding box of a (rotated) ellipse,
      :math:`x_c \pm \sqrt{a^2\cos^2\theta + b^2\sin^2\theta}`,
      :math:`y_c \pm \sqrt{a^2\sin^2\theta + b^2\cos^2\theta}`; a square of
      half-width twice the focal distance around a hyperbola's centre; the arc of a
      parabola within :math:`8p` of its axis (vertex and focus inside); a
      square of half-width 2 around a point or a pair of crossing lines; a
      square around parallel lines.  Empty conics get :data:`DEFAULT_WINDOW`.
    * **Any other curve** by a numeric search: the sign of :math:`f` on a
      :math:`257 \times 257` grid over :math:`[-R, R]^2` for
      :math:`R = 1, 2, 4, \dots, 1024`.  The first square whose sign changes
      (the cells the curve crosses) do not touch its border holds the whole
      curve: the window is the box of those cells, refined on a second grid
      over it.  If the crossing cells touch the border at every size, the
      curve is taken as unbounded and the window is :data:`DEFAULT_WINDOW`,
      :math:`[-10, 10]^2`, as it is when no sign change is found at all.
      Limits: pieces smaller than a grid cell and zeros without a sign change
      (such as :math:`(x^2+y^2-1)^2 = 0`) are not seen.

    Both sides are padded by ``margin`` times the larger side of the box.  For an
    inequality the window is that of its boundary curve.

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> (x0, x1), (y0, y1) = implicit_window(x**2 + y**2 + x*y - 1, margin=0)
    >>> round(x1, 6), round(y1, 6)  # the ellipse reaches x = 2/sqrt(3)
    (1.154701, 1.154701)
    >>> implicit_window(x**4 + y**4 - 1, margin=0)  # doctest: +ELLIPSIS
    ((-1.0..., 1.0...), (-1.0..., 1.0...))

    Parameters
    ----------
    expr : str, sympy.Expr, sympy.Eq or an inequality
        The curve (an expression means "= 0").
    x, y : sympy.Symbol, optional
        The plane variables; by default the expression's symbols sorted by name.
    margin : float
        Padding on each side, as a fraction of the larger side of the curve's box.

    Returns
    -------
    ((x0, x1), (y0, y1)) : tuple of float pairs
    """
    margin = _check_margin(margin)
    f, _ = _split_relation(_as_expr(expr))
    x, y = _xy_symbols(f, x, y)
    try:
        conic = classify_conic(f, x, y)
    except ValueError:
        conic = None
    if conic is not None:
        box = _conic_box(conic)
        return DEFAULT_WINDOW if box is None else _margin_window(*box, margin)
    box = _search_box(_compile(f, x, y))
    return DEFAULT_WINDOW if box is None else _margin_window(*box, margin)


def _crossing_cells(Z: np.ndarray) -> np.ndarray:
    """Boolean mask of grid cells whose finite corner values change sign (or hit 0)."""
    corners = np.stack([Z[:-1, :-1], Z[1:, :-1], Z[:-1, 1:], Z[1:, 1:]])
    with np.errstate(invalid="ignore"):
        lo = np.nanmin(np.where(np.isnan(corners), np.inf, corners), axis=0)
        hi = np.nanmax(np.where(np.isnan(corners), -np.inf, corners), axis=0)
    return (lo <= 0) & (hi >= 0) & np.isfinite(lo) & np.isfinite(hi)


def _cells_box(
    xs: np.ndarray, ys: np.ndarray, cells: np.ndarray
) -> tuple[float, float, float, float]:
    iy, ix = np.nonzero(cells)  # rows are y, columns are x
    return (
        float(xs[ix.min()]),
        float(xs[ix.max() + 1]),
        float(ys[iy.min()]),
        float(ys[iy.max() + 1]),
    )


def _search_box(
    func: Callable[..., np.ndarray], n: int = 257
) -> tuple[float, float, float, float] | None:
    """The numeric search of :func:`implicit_window`: box of a bounded zero set, or None."""
    for k in range(11):
        R = 2.0**k
        xs = ys = np.linspace(-R, R, n)
        Z = func(*np.meshgrid(xs, ys))
        cells = _crossing_cells(Z)
        if not cells.any():
            continue
        border = cells[0].any() or cells[-1].any() or cells[:, 0].any() or cells[:, -1].any()
        if border:
            continue
        x0, x1, y0, y1 = _cells_box(xs, ys, cells)
        # refine: a second grid over the box and one coarse cell around it
        h = 2 * R / (n - 1)
        xs2 = np.linspace(x0 - h, x1 + h, n)
        ys2 = np.linspace(y0 - h, y1 + h, n)
        cells2 = _crossing_cells(func(*np.meshgrid(xs2, ys2)))
        if cells2.any():
            return _cells_box(xs2, ys2, cells2)
        return x0, x1, y0, y1
    return None


def _window_or_default(expr_f: sp.Expr, x, y, xlim, ylim) -> Window:
    if xlim is not None and ylim is not None:
        return _check_lim("xlim", xlim), _check_lim("ylim", ylim)
    auto_x, auto_y = implicit_window(expr_f, x, y)
    return (
        _check_lim("xlim", xlim) if xlim is not None else auto_x,
        _check_lim("ylim", ylim) if ylim is not None else auto_y,
    )


def _check_lim(name: str, lim: Any) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in lim)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of numbers (low, high), got {lim!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"{name} must be finite with low < high, got {lim!r}")
    return lo, hi


# --------------------------------------------------------------------------- tracing


@dataclass(frozen=True)
class ImplicitCurve:
    """Polylines of the zero set of ``f`` traced by :func:`implicit_curve`.

    Attributes
    ----------
    lines : list of (n, 2) arrays
        Pieces of the curve; a closed piece repeats its first point at the end.
    xlim, ylim : (float, float)
        The window traced.
    resolution : int
        The grid size (points per side) of the last marching-squares pass.
    grid : (xs, ys, Z)
        That grid and the values of ``f`` on it (NaN where undefined), for filling regions.
    """

    lines: list[np.ndarray]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    resolution: int
    grid: tuple[np.ndarray, np.ndarray, np.ndarray]


def _max_turn(lines: list[np.ndarray], min_len: float) -> float:
    """Largest turning angle (radians) between consecutive segments longer than *min_len*."""
    worst = 0.0
    for pts in lines:
        d = np.diff(pts, axis=0)
        d = d[np.hypot(d[:, 0], d[:, 1]) > min_len]
        if len(d) < 2:
            continue
        a = np.arctan2(d[:, 1], d[:, 0])
        turn = np.abs((np.diff(a) + np.pi) % (2 * np.pi) - np.pi)
        worst = max(worst, float(turn.max()))
    return worst


def _polish(pts, F, Fx, Fy, step_max, iterations=4):
    """Newton-project points onto ``F = 0`` along the gradient; keep each step only if it helps.

    A point moves at most *step_max* from where it started, so it stays on its
    own piece of the curve; where the gradient vanishes (a singular point) or a
    step does not lower ``|F|`` the point stays put.
    """
    p = pts.copy()
    val = F(p[:, 0], p[:, 1])
    for _ in range(iterations):
        gx, gy = Fx(p[:, 0], p[:, 1]), Fy(p[:, 0], p[:, 1])
        with np.errstate(all="ignore"):
            g2 = gx * gx + gy * gy
            t = val / g2
            cand = p - np.column_stack([t * gx, t * gy])
        ok = np.isfinite(cand).all(axis=1) & (g2 > 0)
        ok &= np.hypot(*(cand - pts).T) <= step_max
        new = np.full(len(p), np.nan)
        new[ok] = F(cand[ok, 0], cand[ok, 1])
        better = ok & np.isfinite(new) & (np.abs(new) < np.abs(val))
        p[better], val[better] = cand[better], new[better]
    return p, val


def implicit_curve(
    expr: Any,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    x: sp.Symbol | None = None,
    y: sp.Symbol | None = None,
    resolution: int = 1025,
    max_turn_degrees: float = 5.0,
) -> ImplicitCurve:
    r"""Trace :math:`f(x, y) = 0` as polylines: marching squares refined until smooth.

    1. Evaluate :math:`f` on an :math:`n \times n` grid (:math:`n = 129` first) and
       run marching squares (``contourpy``) at level 0.
    2. Move every vertex onto the curve by Newton steps along the gradient,
       :math:`p \leftarrow p - f(p)\,\nabla f(p)/\lVert\nabla f(p)\rVert^2`
       (at most one grid cell; kept only where they lower :math:`|f|`).
    3. Drop vertices where :math:`|f|` stays large (spurious crossings where
       :math:`f` jumps across a pole, e.g. :math:`1/x - y`), splitting the lines there.
    4. If a line still turns by more than ``max_turn_degrees`` between two
       segments, double the grid (:math:`n \to 2n - 1`) and start again, up to
       ``resolution``.

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> c = implicit_curve(x**2 + y**2 + x*y - 1)
    >>> pts = c.lines[0]
    >>> bool(np.abs(pts[:, 0]**2 + pts[:, 1]**2 + pts[:, 0]*pts[:, 1] - 1).max() < 1e-9)
    True

    Parameters
    ----------
    expr : str, sympy.Expr or sympy.Eq
        The curve (an inequality traces its boundary).
    xlim, ylim : (float, float), optional
        The window; by default :func:`implicit_window`.
    x, y : sympy.Symbol, optional
        The plane variables.
    resolution : int
        Largest grid size (points per side).
    max_turn_degrees : float
        Smoothness goal: the largest angle between consecutive segments.

    Returns
    -------
    ImplicitCurve
    """
    import contourpy

    if not isinstance(resolution, int | np.integer) or resolution < 9:
        raise ValueError(
            f"resolution must be an integer >= 9 (grid points per side), got {resolution!r}"
        )
    f, _ = _split_relation(_as_expr(expr))
    x, y = _xy_symbols(f, x, y)
    xlim, ylim = _window_or_default(f, x, y, xlim, ylim)
    F = _compile(f, x, y)
    Fx, Fy = _compile(sp.diff(f, x), x, y), _compile(sp.diff(f, y), x, y)
    n = min(129, int(resolution))
    while True:
        xs, ys = np.linspace(*xlim, n), np.linspace(*ylim, n)
        Z = F(*np.meshgrid(xs, ys))
        finite = Z[np.isfinite(Z)]
        scale = float(np.median(np.abs(finite))) if finite.size else 1.0
        cell = max(xs[1] - xs[0], ys[1] - ys[0])
        raw = contourpy.contour_generator(
            xs, ys, np.ma.masked_invalid(Z), line_type=contourpy.LineType.Separate
        ).lines(0.0)
        lines = []
        for pts in raw:
            pts = np.asarray(pts, dtype=float)
            polished, val = _polish(pts, F, Fx, Fy, step_max=cell)
            good = np.isfinite(val) & (np.abs(val) <= 1e-3 * scale + 1e-12)
            lines.extend(_runs(polished, good))
        smooth = lines and _max_turn(lines, 0.05 * cell) <= math.radians(max_turn_degrees)
        if smooth or n >= resolution:
            return ImplicitCurve(lines, xlim, ylim, n, (xs, ys, Z))
        n = min(2 * n - 1, int(resolution))


def _runs(pts: np.ndarray, good: np.ndarray) -> list[np.ndarray]:
    """Split *pts* into the maximal runs of good points with at least two points."""
    out = []
    idx = np.flatnonzero(good)
    if idx.size == 0:
        return out
    breaks = np.flatnonzero(np.diff(idx) > 1)
    for run in np.split(idx, breaks + 1):
        if run.size >= 2:
            out.append(pts[run])
    return out


def implicit_cells(
    expr: Any,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    x: sp.Symbol | None = None,
    y: sp.Symbol | None = None,
    depth: int = 0,
) -> np.ndarray:
    r"""The cells ``sympy.plot_implicit`` paints for ``expr``: rows ``(x0, x1, y0, y1)``.

    ``sympy.plot_implicit`` (Tupper's interval arithmetic, as in the seed) splits the
    window into :math:`32 \times 32` cells and subdivides every cell on which the
    interval value of :math:`f` neither excludes nor fully satisfies the relation,
    ``5 + depth`` times: the cells are :math:`2^{-(10 + \text{depth})}` of the window.
    It is called with ``show=False`` and SymPy's backend-free base ``Plot`` class, so
    no matplotlib figure is made; its series' data are returned as an array.  When
    SymPy cannot use interval arithmetic (unsupported functions) it falls back
    to a uniform grid and this function raises ValueError.

    Examples
    --------
    >>> x, y = sp.symbols("x y", real=True)
    >>> cells = implicit_cells(x**2 + y**2 - 1, (-2, 2), (-2, 2))
    >>> cells.shape[1], bool(len(cells) > 100)
    (4, True)

    Parameters
    ----------
    expr : str, sympy.Expr, sympy.Eq or an inequality
    xlim, ylim : (float, float), optional
        The window; by default :func:`implicit_window`.
    x, y : sympy.Symbol, optional
    depth : int
        SymPy's extra refinement depth, 0 to 4.
    """
    import warnings

    from sympy.plotting.backends.base_backend import Plot

    if not isinstance(depth, int) or not 0 <= depth <= 4:
        raise ValueError(
            f"depth must be an integer from 0 to 4 (sympy.plot_implicit's range), got {depth!r}"
        )
    obj = _as_expr(expr)
    f, op = _split_relation(obj)
    x, y = _xy_symbols(f, x, y)
    xlim, ylim = _window_or_default(f, x, y, xlim, ylim)
    rel = {"=": sp.Eq, "<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge}[op](f, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plot = sp.plot_implicit(
            rel, (x, *xlim), (y, *ylim), show=False, adaptive=True, depth=depth, backend=Plot
        )
        data = plot[0].get_data()
    if data[-1] != "fill":
        raise ValueError(
            f"sympy.plot_implicit cannot use interval arithmetic for {obj}; use method='contour'"
        )
    cells = [(ix.start, ix.end, iy.start, iy.end) for ix, iy in data[0]]
    return np.array(cells, dtype=float).reshape(-1, 4)


# --------------------------------------------------------------------------- explicit curves


def _single_variable(expr: Any, x: sp.Symbol | None) -> tuple[sp.Expr, sp.Symbol]:
    obj = _as_expr(expr)
    if isinstance(obj, sp.Eq):
        lhs, rhs = obj.lhs, obj.rhs
        if isinstance(lhs, sp.Symbol) and lhs not in rhs.free_symbols and lhs.name == "y":
            obj = rhs
        elif isinstance(rhs, sp.Symbol) and rhs not in lhs.free_symbols and rhs.name == "y":
            obj = lhs
        else:
            raise ValueError(
                f"plot draws explicit curves y = f(x); {obj} is an equation in two variables, "
                "draw it with plot_implicit"
            )
    if not isinstance(obj, sp.Expr):
        raise ValueError(f"plot draws explicit curves y = f(x), got the relation {obj}")
    free = sorted(obj.free_symbols, key=lambda s: s.name)
    if x is None:
        if len(free) > 1:
            raise ValueError(
                f"plot draws y = f(x) in one variable, but {obj} has the symbols "
                f"{', '.join(s.name for s in free)}; substitute numbers for the others"
            )
        x = free[0] if free else sp.Symbol("x", real=True)
    elif obj.free_symbols - {x}:
        raise ValueError(f"{obj} has symbols other than {x}; substitute numbers for them")
    return obj, x


def explicit_curve(
    expr: Any,
    xlim: tuple[float, float] = (-10.0, 10.0),
    n: int = 2000,
    x: sp.Symbol | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Sample :math:`y = f(x)` on ``n`` points with NaN where the curve must not be joined.

    Between every pair of neighbouring samples the interval is bisected 30 times,
    always keeping the half with the larger change of :math:`f`.  For a continuous
    :math:`f` that change shrinks with the interval (to about :math:`2^{-30}` of
    its start); at a pole it grows and at a jump it stays.  So where it does not
    shrink below :math:`10^{-3}` of its start, or :math:`f` is undefined in
    between, the curve is cut: the two innermost bisection points (right next to
    the pole or jump) are added and a NaN separates them, so no segment joins
    :math:`+\infty` and :math:`-\infty`.  Undefined values (complex, infinite, NaN)
    are NaN too.

    Examples
    --------
    >>> xs, ys = explicit_curve(1 / sp.Symbol("x"), (-1, 1), n=10)
    >>> int(np.isnan(ys).sum())  # one cut at the pole x = 0
    1

    Parameters
    ----------
    expr : str or sympy.Expr
        ``f(x)``; an equation ``y = f(x)`` is accepted too.
    xlim : (float, float)
        The x-range.
    n : int
        Number of regular samples (at least 2).
    x : sympy.Symbol, optional
        The variable; by default the expression's only symbol.

    Returns
    -------
    xs, ys : numpy arrays of the same length (more than ``n`` when cuts were added).
    """
    if not isinstance(n, int | np.integer) or n < 2:
        raise ValueError(f"n must be an integer >= 2 (number of samples), got {n!r}")
    xlim = _check_lim("xlim", xlim)
    f, x = _single_variable(expr, x)
    F = _compile(f, x)
    xs = np.linspace(*xlim, int(n))
    ys = F(xs)
    a, b = xs[:-1].copy(), xs[1:].copy()
    fa, fb = ys[:-1].copy(), ys[1:].copy()
    both = np.isfinite(fa) & np.isfinite(fb)
    jump0 = np.abs(fb - fa)
    undefined = np.zeros(len(a), dtype=bool)
    for _ in range(30):
        m = 0.5 * (a + b)
        fm = F(m)
        undefined |= both & ~np.isfinite(fm)
        left = np.abs(fm - fa) >= np.abs(fb - fm)
        b, fb = np.where(left, m, b), np.where(left, fm, fb)
        a, fa = np.where(left, a, m), np.where(left, fa, fm)
    with np.errstate(invalid="ignore"):
        kept = np.abs(fb - fa) > 1e-3 * jump0
    scale = np.nanmax(np.abs(ys)) if np.isfinite(ys).any() else 1.0
    cut = both & (undefined | (kept & (jump0 > 1e-12 * (1 + scale))))
    out_x, out_y = [], []
    start = 0
    for i in np.flatnonzero(cut):
        out_x.append(xs[start : i + 1])
        out_y.append(ys[start : i + 1])
        inner_x = [a[i], np.nan, b[i]]
        inner_y = [fa[i], np.nan, fb[i]]
        out_x.append(np.array(inner_x))
        out_y.append(np.array(inner_y))
        start = i + 1
    out_x.append(xs[start:])
    out_y.append(ys[start:])
    return np.concatenate(out_x), np.concatenate(out_y)


def explicit_ylim(*ys: np.ndarray, margin: float = 0.05) -> tuple[float, float]:
    r"""A y-range for sampled curves that poles do not blow up.

    The range of the finite values, padded by ``margin``; when the extremes lie
    far outside the bulk (the full range exceeds 5 times the range between the
    2nd and 98th percentiles, as near a pole), the range is the percentile range
    widened by half of it on each side instead.

    Examples
    --------
    >>> explicit_ylim(np.array([0.0, 1.0]))
    (-0.05, 1.05)

    Parameters
    ----------
    *ys : arrays
        Sampled values (NaN ignored).
    margin : float
        Padding as a fraction of the range.
    """
    vals = np.concatenate([np.ravel(v) for v in ys]) if ys else np.array([])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return (-1.0, 1.0)
    lo, hi = float(vals.min()), float(vals.max())
    q_lo, q_hi = (float(q) for q in np.percentile(vals, [2, 98]))
    if hi - lo > 5 * (q_hi - q_lo) and q_hi > q_lo:
        spread = q_hi - q_lo
        lo, hi = max(lo, q_lo - 0.5 * spread), min(hi, q_hi + 0.5 * spread)
    if hi - lo <= 1e-12 * (1 + abs(hi)):
        return (lo - 1.0, hi + 1.0)
    pad = margin * (hi - lo)
    return (lo - pad, hi + pad)
