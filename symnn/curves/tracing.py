r"""Numeric zero sets of :math:`f(x, y)`: marching squares with exact edge roots, and the
zeros that sampling signs cannot see.

The building blocks of :func:`symnn.curves.implicit_curve` and
:func:`symnn.curves.implicit_window`:

* :class:`Field` -- :math:`f` compiled with its gradient and Hessian
  (:func:`symnn.curves.numeric.real_function`; symbolic derivatives, central
  differences when those cannot be compiled);
* :func:`crossings` -- marching squares on a grid.  Every grid edge whose ends
  have opposite signs (:math:`\pm\infty` count as signed values) is bisected to
  the root to machine precision; an edge with one end undefined (NaN) is first
  bisected to the edge of the domain, so a curve running into a pole or a
  domain boundary (:math:`y = 1/x`, :math:`y = \log x`) is followed to within
  :math:`2^{-50}` of a cell.  Brackets whose values grow instead of vanishing are
  poles or jumps and are dropped.  The roots of each cell are joined into
  polylines;
* :func:`hidden_zeros` -- zeros with no sign change around them, found from the
  grid nodes where :math:`|f|` has a local minimum along x or y and no
  neighbour has the other sign:

  1. *zeros near a node*: Newton steps
     :math:`p \leftarrow p - m f \nabla f / \lVert\nabla f\rVert^2` (m = 1 or 2,
     whichever lowers :math:`|f|`; m = 2 is exact for double zeros), at most two
     cells from the node, kept when :math:`|f|` falls to :math:`10^{-10}` of the
     grid's typical value and to :math:`10^{-8}` of its value at the node.  Where
     f keeps its sign across the zero it is a *touching zero*
     (:math:`(x+y)^2 = 0`, :math:`x^2+y^2 = 0`), drawn as a curve or an isolated
     point; where it changes sign it is a regular zero the grid stepped over
     (a curve smaller than a cell, a tip between nodes), traced on a patch;
  2. *small components* (a circle smaller than a cell): Newton steps on
     :math:`\nabla f = 0` find the critical point :math:`c`; when :math:`f(c)`
     has the other sign the component is traced on a patch of radius
     :math:`3\sqrt{2|f(c)|/|\lambda_{\min}|}` (:math:`\lambda` the Hessian's
     eigenvalues) around :math:`c`.

Every loop is bounded, and long work checks a :class:`symnn.curves.numeric.Budget`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from symnn.curves.numeric import Budget, RealFunction, check_size, real_function

__all__ = ["Field", "Trace", "crossings", "hidden_zeros", "trace"]

#: Bisection steps for an edge root (a cell edge halved this often is below double precision).
ROOT_STEPS = 56
#: Bisection steps towards the edge of the domain on an edge with one undefined end.
DOMAIN_STEPS = 50
#: Newton steps in :func:`hidden_zeros`.
NEWTON_STEPS = 40
#: Largest expression differentiated symbolically (else: central differences).
MAX_DIFF_OPS = 400


class Field:
    """:math:`f(x, y)` compiled, with its gradient and Hessian (compiled on first use).

    >>> x, y = sp.symbols("x y", real=True)
    >>> fld = Field(x**2 + y**2 - 1, x, y)
    >>> fld.grad(np.array([1.0]), np.array([2.0]))
    (array([2.]), array([4.]))
    """

    def __init__(self, f: sp.Expr, x: sp.Symbol, y: sp.Symbol, what: str = "the curve") -> None:
        self.x, self.y = x, y
        self.F: RealFunction = real_function(f, (x, y), what)
        self.notes = self.F.notes
        self._d: dict[tuple[int, int], Callable[..., np.ndarray]] = {}

    def __call__(self, px: np.ndarray, py: np.ndarray) -> np.ndarray:
        return self.F(px, py)

    def _deriv(self, i: int, j: int) -> Callable[..., np.ndarray]:
        r"""The (i, j)-th partial derivative: symbolic when it stays small, else central differences.

        An expression is differentiated symbolically only while it has at most
        :data:`MAX_DIFF_OPS` operations (derivatives of towers such as
        :math:`x^{x^{x^{\cdots}}}` grow quadratically at every step).
        """
        if (i, j) not in self._d:
            fn: Callable[..., np.ndarray] | None = None
            try:
                d = self.F.expr
                for sym in [self.x] * i + [self.y] * j:
                    if sp.count_ops(d) > MAX_DIFF_OPS:
                        raise ValueError("too large to differentiate symbolically")
                    d = sp.diff(d, sym)
                d = d.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.Integer(0))
                check_size(d, "a derivative of the curve")
                fn = real_function(d, (self.x, self.y))
            except (ValueError, TypeError, RecursionError):
                fn = None
            self._d[i, j] = fn if fn is not None else self._difference(i, j)
        return self._d[i, j]

    def _difference(self, i: int, j: int) -> Callable[..., np.ndarray]:
        F = self.F

        def central(px: np.ndarray, py: np.ndarray) -> np.ndarray:
            h = 1e-6 * (1 + np.abs(px) + np.abs(py))
            if (i, j) == (1, 0):
                return (F(px + h, py) - F(px - h, py)) / (2 * h)
            if (i, j) == (0, 1):
                return (F(px, py + h) - F(px, py - h)) / (2 * h)
            h = np.sqrt(h) * 1e-2
            if (i, j) == (2, 0):
                return (F(px + h, py) - 2 * F(px, py) + F(px - h, py)) / h**2
            if (i, j) == (0, 2):
                return (F(px, py + h) - 2 * F(px, py) + F(px, py - h)) / h**2
            return (F(px + h, py + h) - F(px + h, py - h) - F(px - h, py + h)
                    + F(px - h, py - h)) / (4 * h * h)  # fmt: skip

        return central

    def grad(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`(f_x, f_y)` at the points."""
        return self._deriv(1, 0)(px, py), self._deriv(0, 1)(px, py)

    def hessian(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, ...]:
        """:math:`(f_{xx}, f_{xy}, f_{yy})` at the points."""
        return self._deriv(2, 0)(px, py), self._deriv(1, 1)(px, py), self._deriv(0, 2)(px, py)


@dataclass(frozen=True)
class Trace:
    """Result of :func:`trace`: polylines, isolated points, the grid and what to tell the user."""

    lines: list[np.ndarray]
    points: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    Z: np.ndarray
    n: int


# --------------------------------------------------------------------------- edge roots


def _domain_edge(F: Field, good: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Bisect from defined points *good* towards undefined points *bad*; the last defined point."""
    a, b = good.copy(), bad.copy()
    for _ in range(DOMAIN_STEPS):
        m = 0.5 * (a + b)
        ok = ~np.isnan(F(m[:, 0], m[:, 1]))
        a[ok], b[~ok] = m[ok], m[~ok]
    return a


def edge_roots(
    F: Field, p0: np.ndarray, p1: np.ndarray, v0: np.ndarray, v1: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Roots of f on segments ``p0 -> p1`` (rows): ``(points, found)``.

    ``v0, v1`` are f at the ends (NaN where undefined).  A segment with one end
    undefined is first cut back to the edge of the domain.  A root is kept where
    f changes sign across the segment and the bisection bracket's values shrink
    to :math:`10^{-6}` of the ends' (a pole or a jump keeps them large).

    >>> x, y = sp.symbols("x y", real=True)
    >>> F = Field(x**2 - 2, x, y)
    >>> pts, ok = edge_roots(F, np.array([[0.0, 0]]), np.array([[3.0, 0]]),
    ...                      np.array([-2.0]), np.array([7.0]))
    >>> bool(ok[0]), round(float(pts[0, 0]), 12)
    (True, 1.414213562373)
    """
    a, b = p0.astype(float).copy(), p1.astype(float).copy()
    va, vb = v0.astype(float).copy(), v1.astype(float).copy()
    na, nb = np.isnan(va), np.isnan(vb)
    if (na ^ nb).any():
        one = na ^ nb
        good = np.where(nb[one, None], a[one], b[one])
        edge = _domain_edge(F, good, np.where(nb[one, None], b[one], a[one]))
        ve = F(edge[:, 0], edge[:, 1])
        sel = np.flatnonzero(one)
        fix_b = nb[one]
        b[sel[fix_b]], vb[sel[fix_b]] = edge[fix_b], ve[fix_b]
        a[sel[~fix_b]], va[sel[~fix_b]] = edge[~fix_b], ve[~fix_b]
    with np.errstate(invalid="ignore"):
        sa, sb = va > 0, vb > 0
    valid = ~np.isnan(va) & ~np.isnan(vb) & (sa != sb)
    start = np.minimum(np.abs(va), np.abs(vb))
    for _ in range(ROOT_STEPS):
        m = 0.5 * (a + b)
        vm = F(m[:, 0], m[:, 1])
        with np.errstate(invalid="ignore"):
            left = (vm > 0) == sb  # the sign change is in [a, m]
        left |= np.isnan(vm)
        b = np.where(left[:, None], m, b)
        vb = np.where(left, vm, vb)
        a = np.where(left[:, None], a, m)
        va = np.where(left, va, vm)
    end = np.fmin(np.abs(va), np.abs(vb))
    with np.errstate(invalid="ignore"):
        shrunk = (end <= 1e-6 * np.where(np.isfinite(start), start, np.inf)) | (end == 0)
    root = np.where((np.abs(va) <= np.abs(vb))[:, None], a, b)
    return root, valid & shrunk & np.isfinite(end)


# --------------------------------------------------------------------------- marching squares


def grid_values(F: Field, xs: np.ndarray, ys: np.ndarray, budget: Budget) -> np.ndarray:
    """f on the grid, rows by y (shape ``(len(ys), len(xs))``), evaluated in row blocks."""
    Z = np.empty((len(ys), len(xs)))
    block = max(1, 200_000 // len(xs))
    for j in range(0, len(ys), block):
        X, Y = np.meshgrid(xs, ys[j : j + block])
        Z[j : j + block] = F(X, Y)
        budget.check("sampling the grid")
    return Z


def crossings(
    F: Field, xs: np.ndarray, ys: np.ndarray, Z: np.ndarray, budget: Budget
) -> list[np.ndarray]:
    """Marching squares with exact edge roots (see the module docstring): the polylines."""
    m, n = Z.shape

    class _Points:  # grid points by index, without building an (m, n, 2) array
        def __getitem__(self, key: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
            return np.column_stack([xs[key[1]], ys[key[0]]])

    P = _Points()
    with np.errstate(invalid="ignore"):
        pos = Z > 0
    nan = np.isnan(Z)

    def candidates(z0, z1, s0, s1, n0, n1):
        return (~n0 & ~n1 & (s0 != s1)) | (n0 ^ n1)

    cand_h = candidates(Z[:, :-1], Z[:, 1:], pos[:, :-1], pos[:, 1:], nan[:, :-1], nan[:, 1:])
    cand_v = candidates(Z[:-1], Z[1:], pos[:-1], pos[1:], nan[:-1], nan[1:])
    nh = m * (n - 1)
    has_h = np.zeros((m, n - 1), dtype=bool)
    has_v = np.zeros((m - 1, n), dtype=bool)
    found_ids, found_pts = [], []
    jh, ih = np.nonzero(cand_h)
    if jh.size:
        pts, ok = edge_roots(F, P[jh, ih], P[jh, ih + 1], Z[jh, ih], Z[jh, ih + 1])
        has_h[jh[ok], ih[ok]] = True
        found_ids.append(jh[ok] * (n - 1) + ih[ok])
        found_pts.append(pts[ok])
    budget.check("finding the curve on the grid's edges")
    jv, iv = np.nonzero(cand_v)
    if jv.size:
        pts, ok = edge_roots(F, P[jv, iv], P[jv + 1, iv], Z[jv, iv], Z[jv + 1, iv])
        has_v[jv[ok], iv[ok]] = True
        found_ids.append(nh + jv[ok] * n + iv[ok])
        found_pts.append(pts[ok])
    budget.check("finding the curve on the grid's edges")
    if not found_ids:
        return []
    edge_ids = np.concatenate(found_ids)  # increasing: row-major H ids, then V ids
    edge_pts = np.concatenate(found_pts)
    # the cells next to an edge with a root: (j, i) has edges bottom H[j, i], right V[j, i+1],
    # top H[j+1, i] and left V[j, i]
    jh, ih = np.nonzero(has_h)
    jv, iv = np.nonzero(has_v)
    cj = np.concatenate([jh, jh - 1, jv, jv])
    ci = np.concatenate([ih, ih, iv, iv - 1])
    inside = (cj >= 0) & (cj < m - 1) & (ci >= 0) & (ci < n - 1)
    cells = np.unique(cj[inside] * (n - 1) + ci[inside])
    cj, ci = cells // (n - 1), cells % (n - 1)
    ids = np.column_stack([cj * (n - 1) + ci, nh + cj * n + ci + 1,
                           (cj + 1) * (n - 1) + ci, nh + cj * n + ci])  # fmt: skip
    has = np.column_stack([has_h[cj, ci], has_v[cj, ci + 1], has_h[cj + 1, ci], has_v[cj, ci]])
    count = has.sum(axis=1)
    segments: list[np.ndarray] = []
    two = count == 2
    if two.any():
        segments.append(ids[two][has[two]].reshape(-1, 2))
    four = count == 4
    if four.any():  # a saddle cell: the sign at its centre decides which pairs join
        fj, fi = cj[four], ci[four]
        cx, cy = 0.5 * (xs[fi] + xs[fi + 1]), 0.5 * (ys[fj] + ys[fj + 1])
        with np.errstate(invalid="ignore"):
            same = (F(cx, cy) > 0) == pos[fj, fi]
        e = ids[four]
        # centre like corner 0: corner 0's region passes the centre, cut off corners 1 and 3
        a = np.where(same[:, None], e[:, [0, 1]], e[:, [0, 3]])
        b = np.where(same[:, None], e[:, [2, 3]], e[:, [2, 1]])
        segments += [a, b]
    three = count == 3
    if three.any():  # an undefined corner: join the first two roots, leave the third an end
        segments.append(ids[three][has[three]].reshape(-1, 3)[:, :2])
    if not segments:
        return []
    seg = np.searchsorted(edge_ids, np.concatenate(segments))
    return _chain(seg, edge_pts)


def _chain(seg: np.ndarray, coords: np.ndarray) -> list[np.ndarray]:
    """Join segments (pairs of point ids) into polylines; closed ones repeat their first point."""
    nbr: dict[int, list[int]] = {}
    for a, b in seg.tolist():
        if a == b:
            continue
        nbr.setdefault(a, []).append(b)
        nbr.setdefault(b, []).append(a)
    seen: set[int] = set()
    lines: list[np.ndarray] = []
    ends = [k for k, v in nbr.items() if len(v) != 2]
    for start in [*ends, *nbr]:
        if start in seen:
            continue
        for first in nbr[start]:
            if first in seen and first != start:
                continue
            path = [start]
            seen.add(start)
            prev, cur = start, first
            while True:
                path.append(cur)
                if cur in seen:  # closed the loop
                    break
                seen.add(cur)
                nxt = [k for k in nbr[cur] if k != prev and (k not in seen or k == start)]
                if not nxt:
                    break
                prev, cur = cur, nxt[0]
            if len(path) >= 2:
                lines.append(coords[path])
    return lines


def max_turn(lines: list[np.ndarray], min_len: float) -> float:
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


# --------------------------------------------------------------------------- hidden zeros


def _candidates(Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interior nodes where |Z| is a 1-D minimum along x or y and no neighbour has the other sign."""
    A = np.abs(Z)
    c = A[1:-1, 1:-1]
    finite = np.isfinite(Z)
    Zf = np.where(finite, Z, 0.0)
    with np.errstate(invalid="ignore"):
        along_x = (c <= A[1:-1, :-2]) & (c <= A[1:-1, 2:])
        along_y = (c <= A[:-2, 1:-1]) & (c <= A[2:, 1:-1])
    m, n = Z.shape
    lo, hi = Zf[1:-1, 1:-1].copy(), Zf[1:-1, 1:-1].copy()
    all_finite = finite[1:-1, 1:-1].copy()
    for dj in (-1, 0, 1):
        for di in (-1, 0, 1):
            view = (slice(1 + dj, m - 1 + dj), slice(1 + di, n - 1 + di))
            np.minimum(lo, Zf[view], out=lo)
            np.maximum(hi, Zf[view], out=hi)
            all_finite &= finite[view]
    ok = (along_x | along_y) & ((lo >= 0) | (hi <= 0)) & all_finite
    j, i = np.nonzero(ok)
    return j + 1, i + 1


def hidden_zeros(
    F: Field,
    xs: np.ndarray,
    ys: np.ndarray,
    Z: np.ndarray,
    budget: Budget,
    max_candidates: int = 20_000,
    steps: int = NEWTON_STEPS,
) -> tuple[np.ndarray, list[tuple[np.ndarray, float]], list[tuple[np.ndarray, float]]]:
    """Zeros the grid's signs do not show: ``(touching_points, components, stepped_over)``.

    ``touching_points`` are points with :math:`f = 0` (to :math:`10^{-10}` of the
    typical :math:`|f|`) where f does not change sign; ``components`` and
    ``stepped_over`` are ``(centre, radius)`` of squares to trace on a finer grid:
    around a critical point whose value has the other sign (a closed piece smaller
    than a cell), and around a regular zero between grid nodes (a small piece, or
    the tip of a curve the grid stepped over).  See the module docstring.
    """
    h = max(xs[1] - xs[0], ys[1] - ys[0])
    finite = np.abs(Z[np.isfinite(Z)])
    scale = float(np.median(finite)) if finite.size else 1.0
    if scale == 0:
        scale = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    j, i = _candidates(Z)
    if j.size > max_candidates:  # keep the smallest |f|: the likeliest zeros
        keep = np.argsort(np.abs(Z[j, i]))[:max_candidates]
        j, i = j[keep], i[keep]
    empty = np.zeros((0, 2))
    if j.size == 0:
        return empty, [], []
    start = np.column_stack([xs[i], ys[j]])
    z0 = Z[j, i]
    # 1. touching zeros: Newton steps on f = 0, m = 1 or 2
    p = start.copy()
    val = z0.copy()
    for _ in range(steps):
        gx, gy = F.grad(p[:, 0], p[:, 1])
        with np.errstate(all="ignore"):
            g2 = gx * gx + gy * gy
            step = np.column_stack([gx, gy]) * (val / g2)[:, None]
        best, best_val = p, val
        for mult in (1.0, 2.0):
            cand = p - mult * step
            ok = np.isfinite(cand).all(axis=1) & (np.abs(cand - start).max(axis=1) <= 2 * h)
            cv = np.full(len(p), np.nan)
            if ok.any():
                cv[ok] = F(cand[ok, 0], cand[ok, 1])
            better = ok & (np.abs(cv) < np.abs(best_val))
            best = np.where(better[:, None], cand, best)
            best_val = np.where(better, cv, best_val)
        p, val = best, best_val
    budget.check("looking for zeros without a sign change")
    # a zero: |f| fell to 1e-10 of the grid's typical value and to 1e-8 of where it started
    found = (np.abs(val) <= 1e-10 * scale) & (np.abs(val) <= 1e-8 * np.abs(z0))
    # a zero where f changes sign is a regular one that the grid stepped over (the tip of
    # a curve between two nodes, a curve smaller than a cell): trace a patch around it
    gx, gy = F.grad(p[:, 0], p[:, 1])
    with np.errstate(all="ignore"):
        g = np.hypot(gx, gy)
        nx, ny = gx / g, gy / g
        d = 1e-3 * h
        s1 = F(p[:, 0] + d * nx, p[:, 1] + d * ny)
        s2 = F(p[:, 0] - d * nx, p[:, 1] - d * ny)
        crossing = found & (g > 0) & (s1 * s2 < 0)
    touching = found & ~crossing
    points = p[touching]
    patches = [(q, 2 * h) for q in _unique(p[crossing], 0.5 * h)]
    # 2. small components: Newton steps on grad f = 0 from the other candidates
    rest = ~found
    c, cz = start[rest], z0[rest]
    comps: list[tuple[np.ndarray, float]] = []
    if c.size:
        c0 = c.copy()
        for _ in range(steps // 2):
            gx, gy = F.grad(c[:, 0], c[:, 1])
            hxx, hxy, hyy = F.hessian(c[:, 0], c[:, 1])
            with np.errstate(all="ignore"):
                det = hxx * hyy - hxy * hxy
                dx = (hyy * gx - hxy * gy) / det
                dy = (hxx * gy - hxy * gx) / det
                new = c - np.column_stack([dx, dy])
            ok = np.isfinite(new).all(axis=1) & (np.abs(new - c0).max(axis=1) <= 2 * h)
            c = np.where(ok[:, None], new, c)
        fc = F(c[:, 0], c[:, 1])
        with np.errstate(invalid="ignore"):
            flipped = np.isfinite(fc) & (np.sign(fc) * np.sign(cz) < 0)
        if flipped.any():
            cc, fv = c[flipped], fc[flipped]
            hxx, hxy, hyy = F.hessian(cc[:, 0], cc[:, 1])
            with np.errstate(all="ignore"):
                tr, det = hxx + hyy, hxx * hyy - hxy * hxy
                disc = np.sqrt(np.maximum(tr * tr / 4 - det, 0))
                lam = np.minimum(np.abs(tr / 2 - disc), np.abs(tr / 2 + disc))
                radius = 3 * np.sqrt(2 * np.abs(fv) / lam)
            radius = np.where(np.isfinite(radius), np.minimum(radius, 2 * h), 2 * h)
            key = np.round(cc / (1e-6 * h)).astype(np.int64)
            _, first = np.unique(key, axis=0, return_index=True)
            comps = [(cc[k], float(max(radius[k], 1e-12 * (1 + np.abs(cc[k]).max()))))
                     for k in sorted(first)]  # fmt: skip
        budget.check("looking for curves smaller than a grid cell")
    return points, comps, patches


# --------------------------------------------------------------------------- touching sets


def _unique(points: np.ndarray, tol: float) -> list[np.ndarray]:
    """One point per group of points closer than about *tol*."""
    if len(points) == 0:
        return []
    key = np.round(points / tol).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    return [points[k] for k in sorted(first)]


def _group(points: np.ndarray, link: float) -> list[np.ndarray]:
    """Connected groups of points closer than *link* (as index arrays)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(points).query_pairs(link, output_type="ndarray")
    k = len(points)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(k, k))
    _, label = connected_components(graph, directed=False)
    return [np.flatnonzero(label == g) for g in range(label.max() + 1)]


def _order(points: np.ndarray, link: float) -> list[np.ndarray]:
    """Order a group of points along the curve they sample (greedy nearest neighbours)."""
    from scipy.spatial import cKDTree

    tree = cKDTree(points)
    left = np.ones(len(points), dtype=bool)
    out: list[np.ndarray] = []
    while left.any():
        chain = [int(np.flatnonzero(left)[0])]
        left[chain[0]] = False
        for direction in (0, 1):
            while True:
                here = chain[-1] if direction == 0 else chain[0]
                dist, idx = tree.query(points[here], k=min(8, len(points)))
                nxt = [int(q) for d, q in zip(np.atleast_1d(dist), np.atleast_1d(idx), strict=True)
                       if d <= link and q < len(points) and left[q]]  # fmt: skip
                if not nxt:
                    break
                left[nxt[0]] = False
                if direction == 0:
                    chain.append(nxt[0])
                else:
                    chain.insert(0, nxt[0])
        if len(chain) >= 2:
            out.append(points[chain])
        else:
            out.append(points[chain])
    return out


def touching_sets(points: np.ndarray, h: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Split touching zeros into polylines (curves) and isolated points (groups under 2 cells).

    >>> lines, pts = touching_sets(np.array([[0.0, 0.0], [1e-9, 0.0]]), 0.1)
    >>> lines, pts
    ([], array([[0., 0.]]))
    """
    if len(points) == 0:
        return [], np.zeros((0, 2))
    key = np.round(points / (0.25 * h)).astype(np.int64)
    _, first = np.unique(key, axis=0, return_index=True)
    points = points[np.sort(first)]
    lines: list[np.ndarray] = []
    isolated: list[np.ndarray] = []
    for idx in _group(points, 2.5 * h):
        grp = points[idx]
        if np.ptp(grp, axis=0).max() <= 2 * h:
            isolated.append(grp[0] if len(grp) == 1 else grp.mean(axis=0))
        else:
            lines.extend(c for c in _order(grp, 2.5 * h) if len(c) >= 2)
    return lines, np.array(isolated).reshape(-1, 2)


# --------------------------------------------------------------------------- the whole trace


def trace(
    F: Field,
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    resolution: int,
    max_turn_degrees: float,
    budget: Budget,
    start: int = 129,
    hidden: bool = True,
) -> Trace:
    """Trace f = 0 in the window: refine the grid until smooth, then add the hidden zeros."""
    n = min(start, resolution)
    while True:
        # a grid a little wider than the window, shifted off its centre by an irrational
        # fraction of a cell: symmetric formulas do not land on their own poles
        wx, wy = xlim[1] - xlim[0], ylim[1] - ylim[0]
        dx, dy = wx / (n - 2), wy / (n - 2)
        xs = xlim[0] - dx * 0.5 * (1 + 0.0577) + dx * np.arange(n)
        ys = ylim[0] - dy * 0.5 * (1 + 0.0411) + dy * np.arange(n)
        Z = grid_values(F, xs, ys, budget)
        lines = crossings(F, xs, ys, Z, budget)
        h = max(dx, dy)
        smooth = max_turn(lines, 0.05 * h) <= np.radians(max_turn_degrees)
        if smooth or n >= resolution:
            break
        n = min(2 * n - 1, resolution)
    points = np.zeros((0, 2))
    if hidden:
        touch, comps, stepped = hidden_zeros(F, xs, ys, Z, budget)
        extra, points = touching_sets(touch, h)
        if lines and stepped:  # a zero next to a traced line is that line's tip: drawn to h^2
            from scipy.spatial import cKDTree

            dist, _ = cKDTree(np.concatenate(lines)).query(np.array([c for c, _ in stepped]))
            stepped = [s for s, d in zip(stepped, dist, strict=True) if d > 1.5 * h]
        lines = lines + extra
        for centre, radius in (comps + stepped)[:50]:
            sub = trace(F, (centre[0] - radius, centre[0] + radius),
                        (centre[1] - radius, centre[1] + radius), 65, max_turn_degrees,
                        budget, start=65, hidden=False)  # fmt: skip
            lines.extend(sub.lines)
    return Trace(lines, points, xs, ys, Z, n)
