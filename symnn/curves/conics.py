r"""Conics, exactly: classify a second-degree curve and give its geometry as SymPy numbers.

:func:`classify_conic` names a curve :math:`Ax^2 + Bxy + Cy^2 + Dx + Ey + F = 0`
and gives its centre, semi-axes, rotation, foci and eccentricity from the
invariants of the matrices

.. math::

   M = \begin{pmatrix} A & B/2 & D/2 \\ B/2 & C & E/2 \\ D/2 & E/2 & F \end{pmatrix},
   \qquad
   Q = \begin{pmatrix} A & B/2 \\ B/2 & C \end{pmatrix},

:math:`\Delta = \det M`, :math:`\delta = \det Q`, :math:`\tau = A + C`, and the
eigen-decomposition of :math:`Q`.  A curve that is not of second degree raises
:class:`NotAConic` (a ValueError) saying why, so a plot can draw it anyway and
report "not a conic".  :func:`conic_box` is the part of a conic worth showing.

Strings go through :func:`symnn.expr.parse.parse`.  No floating point is used
except to order exact values and to size the box.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from symnn.curves._input import as_expr, split_relation, text, xy_symbols

__all__ = ["KINDS", "Conic", "NotAConic", "classify_conic", "conic_box"]

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

#: Largest degree a curve may have before it is expanded to look for a conic inside
#: (``(x + 1)^3 - x^3`` is one); beyond it, expanding could take forever.
MAX_EXPAND_DEGREE = 12

Point = tuple[sp.Expr, sp.Expr]


class NotAConic(ValueError):
    """The curve is not a second-degree polynomial equation; ``reason`` says why.

    A ValueError, so ``except ValueError`` still catches it; plots catch this
    class to draw the curve anyway and report "not a conic".
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


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

    def _repr_html_(self) -> str:
        """A table for Jupyter front ends that show HTML rather than LaTeX."""
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in [("kind", self.kind), ("equation", f"{text(self.equation)} = 0"),
                         *self._plain_rows()]
        )  # fmt: skip
        return f"<table>{rows}</table>"

    def __str__(self) -> str:
        """Plain text, written the way the user types formulas (``^`` for powers)."""
        eq = f"{text(self.equation)} = 0"
        lines = [f"{self.kind}: {eq}"]
        for label, value in self._plain_rows():
            lines.append(f"  {label}: {value}")
        return "\n".join(lines)

    def _plain_rows(self) -> list[tuple[str, str]]:
        def p(pt: Point) -> str:
            return f"({text(pt[0])}, {text(pt[1])})"

        rows = []
        if self.center is not None:
            rows.append(("centre", p(self.center)))
        if self.vertex is not None:
            rows.append(("vertex", p(self.vertex)))
        if self.semi_axes is not None:
            if self.kind == "circle":
                rows.append(("radius", text(self.semi_axes[0])))
            else:
                rows.append(("semi-axes", ", ".join(text(a) for a in self.semi_axes)))
        if self.focal_length is not None:
            rows.append(("focal length", text(self.focal_length)))
        if self.angle is not None and self.kind != "circle":
            rows.append(("angle", text(self.angle)))
        if self.foci:
            label = "focus" if len(self.foci) == 1 else "foci"
            rows.append((label, ", ".join(p(f) for f in self.foci)))
        if self.eccentricity is not None:
            rows.append(("eccentricity", text(self.eccentricity)))
        if self.lines:
            rows.append(("lines", ", ".join(f"{text(e)} = 0" for e in self.lines)))
        if self.asymptotes:
            rows.append(("asymptotes", ", ".join(f"{text(e)} = 0" for e in self.asymptotes)))
        return rows


def _degree_bound(e: sp.Basic, x: sp.Symbol, y: sp.Symbol) -> int | None:
    """An upper bound of the total degree in x, y without expanding; None when not polynomial.

    >>> x, y = sp.symbols("x y")
    >>> _degree_bound((x + y)**3 * x - 1, x, y), _degree_bound(sp.sin(x), x, y)
    (4, None)
    """
    if e in (x, y):
        return 1
    if not e.has(x, y):
        return 0
    if isinstance(e, sp.Add):
        parts = [_degree_bound(a, x, y) for a in e.args]
        return None if None in parts else max(parts)  # type: ignore[type-var]
    if isinstance(e, sp.Mul):
        parts = [_degree_bound(a, x, y) for a in e.args]
        return None if None in parts else sum(parts)  # type: ignore[arg-type]
    if isinstance(e, sp.Pow) and e.exp.is_Integer and e.exp >= 0:
        base = _degree_bound(e.base, x, y)
        return None if base is None else base * int(e.exp)
    return None


def _not_a_conic(f: sp.Expr, x: sp.Symbol, y: sp.Symbol, reason: str, fix: str) -> NotAConic:
    return NotAConic(f"classify_conic needs a second-degree (quadratic) equation in {x} and {y}, "
                     f"but {text(f)} = 0 {reason}; {fix}", reason)  # fmt: skip


_CONIC_FORM = "a conic has the form A*x^2 + B*x*y + C*y^2 + D*x + E*y + F = 0"


def _coefficients(f: sp.Expr, x: sp.Symbol, y: sp.Symbol) -> tuple[sp.Expr, ...]:
    """Return (A, B, C, D, E, F) of a second-degree polynomial, or raise ValueError.

    Raises :class:`NotAConic` when the curve is a valid curve of another kind.
    """
    if f.free_symbols - {x, y}:
        extra = ", ".join(sorted(s.name for s in f.free_symbols - {x, y}))
        raise ValueError(
            f"classify_conic needs numeric coefficients, but {text(f)} has symbols other "
            f"than {x} and {y} ({extra}); substitute numbers for them"
        )
    bound = _degree_bound(f, x, y)
    if bound is None and not f.is_polynomial(x, y):
        raise _not_a_conic(
            f, x, y, f"is not a polynomial in {x} and {y}",
            "multiply out denominators (write x*y = 1, not y = 1/x)",
        )  # fmt: skip
    if bound is not None and bound > MAX_EXPAND_DEGREE:
        raise _not_a_conic(f, x, y, f"has degree up to {bound}", _CONIC_FORM)
    expanded = sp.expand(f)
    if not expanded.is_polynomial(x, y):
        raise _not_a_conic(
            f, x, y, f"is not a polynomial in {x} and {y}",
            "multiply out denominators (write x*y = 1, not y = 1/x)",
        )  # fmt: skip
    poly = sp.Poly(expanded, x, y)
    degree = poly.total_degree()
    if degree != 2:
        raise _not_a_conic(f, x, y, f"has degree {degree}",
                           _CONIC_FORM + " with A, B, C not all zero")  # fmt: skip
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
    NotAConic
        (a ValueError) If the equation is not a second-degree polynomial; its
        ``reason`` says what it is instead (``"has degree 4"``).
    ValueError
        If the coefficients are not numbers, or the input is an inequality.

    >>> try:
    ...     classify_conic(x**4 + y**4 - 1)
    ... except NotAConic as e:
    ...     print(e.reason)
    has degree 4
    """
    obj = as_expr(expr)
    if not isinstance(obj, sp.Expr | sp.Eq):
        raise ValueError(
            f"classify_conic needs an equation, got the inequality or region {text(obj)}"
        )
    f, _ = split_relation(obj)
    x, y = xy_symbols(f, x, y)
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


def conic_box(c: Conic) -> tuple[float, float, float, float] | None:
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
