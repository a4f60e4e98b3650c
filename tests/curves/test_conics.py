"""symnn.curves.conics: classification against hand-derived exact values and the definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from symnn.curves import KINDS, classify_conic

x, y = sp.symbols("x y", real=True)
r2, r3, r5, r6, r10 = (sp.sqrt(n) for n in (2, 3, 5, 6, 10))


def same(a, b) -> bool:
    """Exact equality of SymPy numbers, points or tuples of them."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return len(a) == len(b) and all(same(p, q) for p, q in zip(a, b, strict=True))
    if a is None or b is None:
        return a is b
    return sp.simplify(sp.sympify(a) - sp.sympify(b)) == 0


# Each entry: equation, then the expected attributes, derived by hand (comments show how).
TABLE = [
    # x^2 + xy + y^2 = 1: Q has eigenvalues 3/2 (along (1,1)) and 1/2 (along (-1,1)), value -1
    # at the centre: a^2 = 1/(1/2), b^2 = 1/(3/2); c^2 = a^2 - b^2 = 4/3.
    (sp.Eq(x**2 + y**2 + x * y, 1), dict(
        kind="ellipse", center=(0, 0), semi_axes=(r2, r6 / 3), angle=-sp.pi / 4,
        axis=(r2 / 2, -r2 / 2), eccentricity=r6 / 3,
        foci=((-r6 / 3, r6 / 3), (r6 / 3, -r6 / 3)))),
    # x^2/4 + y^2/9 = 1: a = 3 along y, b = 2, c = sqrt(5).
    (x**2 / 4 + y**2 / 9 - 1, dict(
        kind="ellipse", center=(0, 0), semi_axes=(3, 2), angle=sp.pi / 2, axis=(0, 1),
        foci=((0, -r5), (0, r5)), eccentricity=r5 / 3)),
    # X^2/4 + Y^2 = 1 turned by 45 degrees and moved to (1, 2): times 8,
    # 5u^2 - 6uv + 5v^2 = 8 with u = x - 1, v = y - 2; c = sqrt(3) along (1, 1)/sqrt(2).
    (5 * (x - 1) ** 2 - 6 * (x - 1) * (y - 2) + 5 * (y - 2) ** 2 - 8, dict(
        kind="ellipse", center=(1, 2), semi_axes=(2, 1), angle=sp.pi / 4,
        foci=((1 - r6 / 2, 2 - r6 / 2), (1 + r6 / 2, 2 + r6 / 2)), eccentricity=r3 / 2)),
    ((x - 1) ** 2 + (y + 2) ** 2 - 9, dict(
        kind="circle", center=(1, -2), semi_axes=(3, 3), angle=0, foci=((1, -2),),
        eccentricity=0)),
    (x**2 - y**2 - 1, dict(
        kind="hyperbola", center=(0, 0), semi_axes=(1, 1), angle=0, axis=(1, 0),
        foci=((-r2, 0), (r2, 0)), eccentricity=r2, asymptotes=(x - y, x + y))),
    # y^2 - x^2/4 = 1: transverse along y, a = 1, b = 2, c = sqrt(5); asymptotes y = +-x/2.
    (y**2 - x**2 / 4 - 1, dict(
        kind="hyperbola", center=(0, 0), semi_axes=(1, 2), angle=sp.pi / 2,
        foci=((0, -r5), (0, r5)), eccentricity=r5, asymptotes=(x - 2 * y, x + 2 * y))),
    # xy = 1: (X^2 - Y^2)/2 = 1 in axes turned by 45 degrees: a = b = sqrt(2), c = 2.
    (x * y - 1, dict(
        kind="hyperbola", center=(0, 0), semi_axes=(r2, r2), angle=sp.pi / 4,
        foci=((-r2, -r2), (r2, r2)), eccentricity=r2, asymptotes=(x, y))),
    # 3x^2 - 10xy + 3y^2 + 16x - 16y + 8 = 0: centre (-1, 1), value -8 there; eigenvalues
    # 8 along (1, -1) and -2: 8X^2 - 2Y^2 = 8, a = 1, b = 2, c = sqrt(5).
    # Quadratic part (3x - y)(x - 3y): asymptotes through (-1, 1).
    (3 * x**2 - 10 * x * y + 3 * y**2 + 16 * x - 16 * y + 8, dict(
        kind="hyperbola", center=(-1, 1), semi_axes=(1, 2), angle=-sp.pi / 4,
        foci=((-1 - r10 / 2, 1 + r10 / 2), (-1 + r10 / 2, 1 - r10 / 2)), eccentricity=r5,
        asymptotes=(x - 3 * y + 4, 3 * x - y + 4))),
    # y = x^2: x^2 = 4 p y with p = 1/4.
    (sp.Eq(y, x**2), dict(
        kind="parabola", vertex=(0, 0), focal_length=sp.Rational(1, 4), angle=sp.pi / 2,
        axis=(0, 1), foci=((0, sp.Rational(1, 4)),), eccentricity=1, center=None)),
    # (y - 1)^2 = -8 (x - 2): vertex (2, 1), opens to -x, p = 2, focus (0, 1).
    ((y - 1) ** 2 + 8 * (x - 2), dict(
        kind="parabola", vertex=(2, 1), focal_length=2, angle=0, axis=(-1, 0), foci=((0, 1),))),
    # (x + y)^2 = x - y: with s = (x + y)/sqrt2, t = (y - x)/sqrt2, s^2 = -t/sqrt2 = 4p(-t),
    # p = sqrt2/8, opening along (1, -1)/sqrt2, focus p (1, -1)/sqrt2 = (1/8, -1/8).
    ((x + y) ** 2 - x + y, dict(
        kind="parabola", vertex=(0, 0), focal_length=r2 / 8, angle=-sp.pi / 4,
        axis=(r2 / 2, -r2 / 2), foci=((sp.Rational(1, 8), -sp.Rational(1, 8)),))),
    ((x - 1) ** 2 + 2 * (y + 3) ** 2, dict(kind="point", center=(1, -3), semi_axes=None, foci=())),
    (x**2 - y**2, dict(kind="pair of intersecting lines", center=(0, 0), lines=(x - y, x + y))),
    ((x - 1) * (y - 2), dict(kind="pair of intersecting lines", center=(1, 2), lines=(x - 1, y - 2))),
    (x**2 - 1, dict(kind="pair of parallel lines", center=None, angle=sp.pi / 2, lines=(x - 1, x + 1))),
    ((x + y) ** 2 - 1, dict(kind="pair of parallel lines", angle=-sp.pi / 4, lines=(x + y - 1, x + y + 1))),
    ((x - y + 1) ** 2, dict(kind="single line (double)", angle=sp.pi / 4, lines=(x - y + 1,))),
    (x**2 + 2 * y**2 + 1, dict(kind="empty (imaginary ellipse)", center=(0, 0), lines=())),
    (x**2 + 1, dict(kind="empty (imaginary parallel lines)", center=None, lines=())),
    # floats are read as the decimals they print as: x^2/2 + y^2 = 2, a = 2, b = sqrt2
    (0.5 * x**2 + y**2 - 2, dict(kind="ellipse", semi_axes=(2, r2), foci=((-r2, 0), (r2, 0)))),
]  # fmt: skip


def test_table_covers_every_kind():
    assert {c.get("kind") for _, c in TABLE} == set(KINDS)


@pytest.mark.parametrize(("expr", "expected"), TABLE, ids=[str(e) for e, _ in TABLE])
def test_classify_conic_exact_values(expr, expected):
    conic = classify_conic(expr, x, y)
    for name, value in expected.items():
        got = getattr(conic, name)
        if name == "kind":
            assert got == value
        elif name in ("lines", "asymptotes"):
            assert {sp.expand(g) for g in got} == {sp.expand(v) for v in value}, (name, got)
        else:
            assert same(got, value), (name, got, value)


@pytest.mark.parametrize(("expr", "expected"), TABLE, ids=[str(e) for e, _ in TABLE])
def test_classify_conic_geometry_holds(expr, expected):
    """Independent check of the values from the definitions of each kind, numerically."""
    c = classify_conic(expr, x, y)
    f = sp.lambdify((x, y), c.equation)
    fl = lambda v: float(sp.N(v))  # noqa: E731
    scale = max(1.0, max(abs(fl(v)) for v in sp.Poly(c.equation, x, y).coeffs()))
    t = np.linspace(0, 2 * np.pi, 13)
    if c.kind in ("ellipse", "circle", "hyperbola"):
        a, b = map(fl, c.semi_axes)
        (cx, cy), th = map(fl, c.center), fl(c.angle)
        if c.kind == "hyperbola":
            t = np.linspace(-2, 2, 13)
            X, Y = a * np.cosh(t), b * np.sinh(t)
        else:
            X, Y = a * np.cos(t), b * np.sin(t)
        px = cx + X * math.cos(th) - Y * math.sin(th)
        py = cy + X * math.sin(th) + Y * math.cos(th)
        assert np.allclose(f(px, py), 0, atol=1e-9 * scale)
        if c.kind != "circle":
            (f1x, f1y), (f2x, f2y) = ((fl(p[0]), fl(p[1])) for p in c.foci)
            d1, d2 = np.hypot(px - f1x, py - f1y), np.hypot(px - f2x, py - f2y)
            focal = d1 + d2 if c.kind == "ellipse" else np.abs(d1 - d2)
            assert np.allclose(focal, 2 * a)  # the focal definition of ellipse and hyperbola
            e = math.hypot(f1x - f2x, f1y - f2y) / (2 * a)
            assert math.isclose(fl(c.eccentricity), e)
    elif c.kind == "parabola":
        p = fl(c.focal_length)
        (vx, vy), (ux, uy), (fx, fy) = map(fl, c.vertex), map(fl, c.axis), map(fl, c.foci[0])
        w = np.linspace(-3, 3, 13)
        px, py = vx + w**2 / (4 * p) * ux - w * uy, vy + w**2 / (4 * p) * uy + w * ux
        assert np.allclose(f(px, py), 0, atol=1e-9 * scale)
        # distance to the focus = distance to the directrix (through vertex - p axis)
        to_directrix = (px - (vx - p * ux)) * ux + (py - (vy - p * uy)) * uy
        assert np.allclose(np.hypot(px - fx, py - fy), to_directrix)
    for line in (*c.lines, *c.asymptotes):
        gx, gy = fl(line.coeff(x)), fl(line.coeff(y))
        k = fl(line.subs({x: 0, y: 0}))
        px0, py0 = -k * gx / (gx**2 + gy**2), -k * gy / (gx**2 + gy**2)
        px, py = px0 - gy * np.linspace(-3, 3, 7), py0 + gx * np.linspace(-3, 3, 7)
        if c.lines:
            assert np.allclose(f(px, py), 0, atol=1e-9 * scale)
        else:  # far along an asymptote f / r^2 -> 0
            far = 1e4
            qx, qy = px0 - gy * far, py0 + gx * far
            assert abs(f(qx, qy)) / far**2 < 1e-3 * scale
    if c.kind == "point":
        assert f(*map(fl, c.center)) == pytest.approx(0)


def test_axis_is_the_unit_vector_at_angle():
    for expr, _ in TABLE:
        c = classify_conic(expr, x, y)
        if c.axis is None or c.kind == "parabola":
            continue
        assert same(c.axis, (sp.cos(c.angle), sp.sin(c.angle)))
        assert -sp.pi / 2 < c.angle <= sp.pi / 2


def test_equation_forms_agree():
    f = x**2 + y**2 + x * y - 1
    ref = classify_conic(f)
    for form in (sp.Eq(x**2 + y**2 + x * y, 1), -f, 3 * f, sp.Eq(1, x**2 + y**2 + x * y)):
        c = classify_conic(form)
        assert (c.kind, c.center, c.semi_axes, c.angle) == (
            ref.kind,
            ref.center,
            ref.semi_axes,
            ref.angle,
        )


def test_plain_symbols_and_other_names():
    a, b = sp.symbols("a b")  # not declared real, named differently
    c = classify_conic(a**2 / 4 + b**2 - 1)
    assert (c.x, c.y) == (a, b)
    assert c.semi_axes == (2, 1) and c.foci == ((-r3, 0), (r3, 0))
    # y only: the curve y^2 = 1 in the plane is two horizontal lines
    c = classify_conic(y**2 - 1)
    assert c.kind == "pair of parallel lines" and c.y == y and set(c.lines) == {y - 1, y + 1}


# --- hypothesis: rigid motions and scalings keep kind and semi-axes -------------------------

sizes = st.fractions(min_value=sp.Rational(1, 4), max_value=5, max_denominator=4).map(sp.Rational)
shifts = st.fractions(min_value=-5, max_value=5, max_denominator=3).map(sp.Rational)
factors = st.sampled_from([sp.Rational(v) for v in (-3, -1, sp.Rational(1, 2), 2, 7)])
# rotations with rational cosine and sine (Pythagorean triples), and their quarter turns
rotations = st.tuples(st.integers(0, 4), st.integers(1, 4), st.integers(0, 3)).map(
    lambda t: (
        sp.Rational(t[0] ** 2 - t[1] ** 2, t[0] ** 2 + t[1] ** 2),
        sp.Rational(2 * t[0] * t[1], t[0] ** 2 + t[1] ** 2),
        t[2],
    )
)


def _moved(canonical, rot, h, k, lam):
    cos, sin, quarter = rot
    for _ in range(quarter):
        cos, sin = -sin, cos
    u, v = x - h, y - k
    X, Y = cos * u + sin * v, -sin * u + cos * v  # local coordinates of (x, y)
    return sp.expand(lam * canonical(X, Y)), (cos, sin)


@settings(max_examples=12)
@given(sizes, sizes, rotations, shifts, shifts, factors)
def test_moved_ellipse_keeps_kind_axes_and_centre(a, b, rot, h, k, lam):
    a, b = max(a, b), min(a, b)
    expr, (cos, sin) = _moved(lambda X, Y: X**2 / a**2 + Y**2 / b**2 - 1, rot, h, k, lam)
    c = classify_conic(expr, x, y)
    assert c.kind == ("circle" if a == b else "ellipse")
    assert c.semi_axes == (a, b)
    assert c.center == (h, k)
    if a != b:  # the major axis is the local X axis
        assert sp.simplify(c.axis[0] * sin - c.axis[1] * cos) == 0
        assert same(c.eccentricity, sp.sqrt(1 - b**2 / a**2))


@settings(max_examples=12)
@given(sizes, sizes, rotations, shifts, shifts, factors)
def test_moved_hyperbola_keeps_kind_axes_and_centre(a, b, rot, h, k, lam):
    expr, (cos, sin) = _moved(lambda X, Y: X**2 / a**2 - Y**2 / b**2 - 1, rot, h, k, lam)
    c = classify_conic(expr, x, y)
    assert c.kind == "hyperbola"
    assert c.semi_axes == (a, b)
    assert c.center == (h, k)
    assert sp.simplify(c.axis[0] * sin - c.axis[1] * cos) == 0
    assert same(c.eccentricity, sp.sqrt(1 + b**2 / a**2))


@settings(max_examples=12)
@given(sizes, rotations, shifts, shifts, factors)
def test_moved_parabola_keeps_vertex_focal_length_and_opening(p, rot, h, k, lam):
    expr, (cos, sin) = _moved(lambda X, Y: Y**2 - 4 * p * X, rot, h, k, lam)
    c = classify_conic(expr, x, y)
    assert c.kind == "parabola"
    assert c.focal_length == p
    assert c.vertex == (h, k)
    assert same(c.axis, (cos, sin))  # opens along the local +X axis
    assert same(c.foci[0], (h + p * cos, k + p * sin))


# --- printing -------------------------------------------------------------------------------


def test_latex_str_and_repr_latex():
    c = classify_conic(x**2 + y**2 + x * y - 1)
    tex = c.latex()
    assert tex.startswith(r"\begin{array}") and r"\text{ellipse}" in tex
    assert r"\sqrt{2}" in tex and r"\frac{\sqrt{6}}{3}" in tex and r"- \frac{\pi}{4}" in tex
    assert c._repr_latex_().startswith("$") and c._repr_latex_().endswith("$")
    text = str(c)  # written as the user types formulas: ^ for powers
    assert text.splitlines()[0] == "ellipse: x^2 + x*y + y^2 - 1 = 0"
    assert "semi-axes: sqrt(2), sqrt(6)/3" in text and "angle: -pi/4" in text
    assert "foci: (-sqrt(6)/3, sqrt(6)/3), (sqrt(6)/3, -sqrt(6)/3)" in text
    assert "focus: (0, 1/4)" in str(classify_conic(y - x**2))  # one focus is a focus
    assert "radius: 2" in str(classify_conic(x**2 + y**2 - 4))
    page = c._repr_html_()
    assert page.startswith("<table>") and "<td>ellipse</td>" in page and "x^2" in page


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (x**3 + y - 1, "degree 3"),
        (x + y - 1, "degree 1"),
        (sp.sin(x) + y**2, "not a polynomial"),
        (y - 1 / x, "not a polynomial"),
        (sp.Symbol("a") * x**2 + y**2 - 1, "substitute numbers"),
        (x**2 + y**2 < 1, "inequality"),
    ],
)
def test_classify_conic_rejects_non_conics(bad, words):
    with pytest.raises(ValueError, match=words):
        classify_conic(bad)


def test_classify_conic_rejects_python_equality_and_other_objects():
    with pytest.raises(TypeError, match="Eq"):
        classify_conic(x**2 + y**2 == 1)
    with pytest.raises(TypeError, match="list"):
        classify_conic([x, y])
    z = sp.Symbol("z")
    with pytest.raises(ValueError, match="two variables"):
        classify_conic(x**2 + y**2 + z**2 - 1)


def test_strings_go_through_the_parser():
    parse = pytest.importorskip("symnn.expr.parse").parse
    c = classify_conic("x^2 + y^2 + x*y = 1")
    assert c.kind == "ellipse" and c.semi_axes == (r2, r6 / 3)
    assert c.equation == parse("x^2 + y^2 + x*y = 1").lhs - parse("x^2 + y^2 + x*y = 1").rhs
