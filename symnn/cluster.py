r"""The elbow method for k-means: SSE against k, and the knee of that curve.

:func:`elbow` runs k-means for each k and records the SSE (within-cluster sum
of squares, scikit-learn's ``inertia_``),

.. math::

   \mathrm{SSE}(k) = \sum_{j=1}^{k} \sum_{x_i \in C_j} \lVert x_i - \mu_j \rVert^2,
   \qquad \mu_j = \frac{1}{|C_j|} \sum_{x_i \in C_j} x_i,

and :func:`knee` finds the k where adding clusters stops paying off (the
Kneedle method of Satopää et al., 2011).

Which k-means: SciPy's ``scipy.cluster.vq.kmeans2`` (Lloyd iterations from
greedy k-means++ seeds drawn with a NumPy ``Generator``), not scikit-learn's
``KMeans``.  SciPy is already a runtime dependency and is well kept;
scikit-learn would be a heavy new dependency for one function.  ``kmeans2``
runs a fixed number of Lloyd iterations, so we call it in rounds of 10
iterations (continuing from the previous centroids) until the labels stop
changing (at most 300 iterations, scikit-learn's default), keep the best of
``n_init`` seedings by SSE, and compute the SSE ourselves from the final labels.
On data with a clear structure the SSE agrees with scikit-learn's
``KMeans(n_clusters=k, n_init=10).inertia_`` to well within 1 % (tested).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from symnn._validation import check_choice

__all__ = ["Elbow", "elbow", "knee"]

_ROUND = 10  # Lloyd iterations per kmeans2 call
_MAX_ITER = 300


@dataclass(frozen=True)
class Elbow:
    """SSE per number of clusters, and the knee of that curve (from :func:`elbow`).

    Attributes
    ----------
    k : numpy.ndarray of int
        The numbers of clusters tried, increasing.
    sse : numpy.ndarray of float
        Within-cluster sum of squares of the best k-means run for each k.
    knee : int or None
        The k at the knee (Kneedle), or None when the curve has none.
    centroids : tuple of numpy.ndarray
        The best centroids for each k, shape (k, n_features).
    """

    k: np.ndarray
    sse: np.ndarray
    knee: int | None
    centroids: tuple[np.ndarray, ...] = field(default=(), repr=False)


def knee(
    xs: Iterable[float],
    ys: Iterable[float],
    curve: str = "convex",
    direction: str = "decreasing",
) -> float | None:
    r"""The x at the knee (or elbow) of a curve, by the Kneedle method.

    Kneedle (Satopää, Albrecht, Irwin and Raghavan, 2011) in its offline form:

    1. normalise both axes to :math:`[0, 1]`:
       :math:`\hat x = (x - x_{\min})/(x_{\max} - x_{\min})`, likewise :math:`\hat y`;
    2. take the difference curve between the normalised curve and the chord
       joining its ends, signed so that the knee is a maximum:

       * convex, decreasing (an SSE curve): :math:`d = (1 - \hat x) - \hat y`;
       * convex, increasing: :math:`d = \hat x - \hat y`;
       * concave, increasing: :math:`d = \hat y - \hat x`;
       * concave, decreasing: :math:`d = \hat y - (1 - \hat x)`;
    3. the knee is where :math:`d` is largest.

    Returns None when there is no knee: fewer than 3 points, a flat curve, or
    no point on the knee side of the chord (:math:`\max d \le 0`, e.g. a straight line).

    Examples
    --------
    >>> knee([1, 2, 3, 4, 5, 6], [100, 40, 12, 10, 9, 8])
    3
    >>> knee([1, 2, 3], [3, 2, 1]) is None  # a straight line has no knee
    True

    Parameters
    ----------
    xs : sequence of float
        Strictly increasing x values.
    ys : sequence of float
        The curve, same length.
    curve : {"convex", "concave"}
    direction : {"decreasing", "increasing"}

    References
    ----------
    V. Satopää, J. Albrecht, D. Irwin, B. Raghavan, "Finding a 'Kneedle' in a
    Haystack: Detecting Knee Points in System Behavior", ICDCS Workshops 2011.
    """
    curve = check_choice("curve", curve, ["convex", "concave"])
    direction = check_choice("direction", direction, ["decreasing", "increasing"])
    raw = xs if isinstance(xs, np.ndarray) else list(xs)
    x = _as_1d("xs", raw)
    y = _as_1d("ys", ys)
    if x.shape != y.shape:
        raise ValueError(f"xs and ys must have the same length, got {x.size} and {y.size}")
    if x.size >= 2 and not np.all(np.diff(x) > 0):
        raise ValueError(f"xs must be strictly increasing, got {x.tolist()}")
    if x.size < 3 or np.ptp(y) == 0:
        return None
    xn = (x - x[0]) / (x[-1] - x[0])
    yn = (y - y.min()) / np.ptp(y)
    d = {
        ("convex", "decreasing"): (1 - xn) - yn,
        ("convex", "increasing"): xn - yn,
        ("concave", "increasing"): yn - xn,
        ("concave", "decreasing"): yn - (1 - xn),
    }[curve, direction]
    i = int(np.argmax(d))
    if d[i] <= 1e-12:
        return None
    value = raw[i]
    return value.item() if isinstance(value, np.generic) else value


def _as_1d(name: str, values: Iterable[float]) -> np.ndarray:
    try:
        arr = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {values!r}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    return arr


def _check_X(X: Any) -> np.ndarray:
    arr = np.asarray(X)
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise TypeError(
            f"X must be a numeric array of shape (n_samples, n_features), got dtype {arr.dtype}"
        )
    if np.iscomplexobj(arr):
        raise TypeError("X must be real, got complex values")
    if arr.ndim != 2:
        hint = " (use X.reshape(-1, 1) for one feature)" if arr.ndim == 1 else ""
        raise ValueError(f"X must be 2-D, (n_samples, n_features), got shape {arr.shape}{hint}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"X must have at least one sample and one feature, got shape {arr.shape}")
    arr = arr.astype(float)
    bad = ~np.isfinite(arr)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        shown = ", ".join(map(str, rows[:5])) + (", ..." if rows.size > 5 else "")
        raise ValueError(
            f"X has {int(bad.sum())} NaN or infinite values (rows {shown}); "
            "drop or impute them before clustering"
        )
    return arr


def _check_ks(k: Any) -> np.ndarray:
    items = [k] if isinstance(k, int | np.integer) else k
    try:
        ks = list(items)
    except TypeError:
        raise TypeError(f"k must be an int or an iterable of ints, got {k!r}") from None
    if not ks:
        raise ValueError("k must not be empty; pass e.g. k=range(1, 11)")
    for v in ks:
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 1:
            raise ValueError(
                f"k must contain positive integers (numbers of clusters), got {v!r} in {k!r}"
            )
    return np.array(sorted(set(int(v) for v in ks)))


def _sse(X: np.ndarray, labels: np.ndarray, k: int) -> tuple[float, np.ndarray]:
    """SSE and centroids (the means of the clusters) from the labels."""
    counts = np.bincount(labels, minlength=k).astype(float)
    sums = np.zeros((k, X.shape[1]))
    np.add.at(sums, labels, X)
    centroids = sums / np.maximum(counts, 1)[:, None]
    resid = X - centroids[labels]
    return float(np.einsum("ij,ij->", resid, resid)), centroids


def _greedy_kmeans_pp(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy k-means++ seeding (Arthur & Vassilvitskii 2007; 2 + ln k trials per centre).

    Each new centre is the best (lowest potential) of a few candidates drawn
    with probability proportional to the squared distance to the nearest
    centre so far -- the seeding scikit-learn uses, which finds better local
    optima than plain k-means++ when k exceeds the number of true clusters.
    """
    n = X.shape[0]
    trials = 2 + int(np.log(k))
    centres = np.empty((k, X.shape[1]))
    centres[0] = X[rng.integers(n)]
    d2 = np.einsum("ij,ij->i", X - centres[0], X - centres[0])
    for c in range(1, k):
        cumulative = np.cumsum(d2)
        picks = np.searchsorted(cumulative, rng.random(trials) * cumulative[-1])
        picks = np.minimum(picks, n - 1)
        diff = X[None, :, :] - X[picks][:, None, :]
        candidate_d2 = np.minimum(d2, np.einsum("tij,tij->ti", diff, diff))
        best = int(np.argmin(candidate_d2.sum(axis=1)))
        centres[c] = X[picks[best]]
        d2 = candidate_d2[best]
    return centres


def _kmeans_once(
    X: np.ndarray, k: int, rng: np.random.Generator
) -> tuple[float, np.ndarray] | None:
    """One k-means run to convergence; None when a cluster went empty."""
    from scipy.cluster.vq import ClusterError, kmeans2

    try:
        seeds = _greedy_kmeans_pp(X, k, rng)
        code, labels = kmeans2(X, seeds, iter=_ROUND, minit="matrix", missing="raise")
        for _ in range(_MAX_ITER // _ROUND - 1):
            code, new = kmeans2(X, code, iter=_ROUND, minit="matrix", missing="raise")
            if np.array_equal(new, labels):
                break
            labels = new
    except ClusterError:
        return None
    if np.bincount(labels, minlength=k).min() == 0:
        return None
    return _sse(X, labels, k)


def elbow(
    X: Any,
    k: Iterable[int] | int = range(1, 11),
    n_init: int = 10,
    seed: int | np.random.Generator | None = 0,
) -> Elbow:
    r"""Run k-means for each k and find the elbow of the SSE curve.

    For every k the best of ``n_init`` k-means runs (k-means++ seeding, Lloyd
    iterations to convergence; SciPy's ``kmeans2``, see the module docstring) gives
    :math:`\mathrm{SSE}(k) = \sum_j \sum_{x_i \in C_j} \lVert x_i - \mu_j\rVert^2`;
    :func:`knee` (Kneedle, convex and decreasing) picks the elbow on
    :math:`\log \mathrm{SSE}(k)`. On the raw SSE the first drops, orders of magnitude
    larger than the rest, flatten everything after them after normalisation, and
    Kneedle stops too early (5 well-separated blobs give a knee at 4); on the log
    scale each k is judged by the relative reduction it brings, which is what the
    elbow means, and the knee lands on the number of blobs.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> centres = np.array([[0, 0], [10, 0], [0, 10], [10, 10]])
    >>> X = np.concatenate([c + rng.normal(size=(50, 2)) for c in centres])
    >>> result = elbow(X, k=range(1, 9))
    >>> result.knee
    4
    >>> bool(result.sse[0] > 20 * result.sse[3])
    True

    Parameters
    ----------
    X : array_like, shape (n_samples, n_features)
        The data, finite numbers; rows are samples.
    k : iterable of int or int
        Numbers of clusters to try (sorted, duplicates dropped).
    n_init : int
        k-means runs per k, each from a new k-means++ seeding; the lowest SSE is kept.
    seed : int, numpy.random.Generator or None
        Randomness of the seedings; the same seed gives the same result.

    Returns
    -------
    Elbow
    """
    X = _check_X(X)
    ks = _check_ks(k)
    if isinstance(n_init, bool) or not isinstance(n_init, int | np.integer) or n_init < 1:
        raise ValueError(f"n_init must be a positive integer (runs per k), got {n_init!r}")
    n_distinct = len(np.unique(X, axis=0))
    if n_distinct < ks[-1]:
        raise ValueError(
            f"k = {ks[-1]} clusters needs at least {ks[-1]} distinct samples, but X has "
            f"{n_distinct} distinct rows (of {X.shape[0]}); pass a smaller k"
        )
    if isinstance(seed, np.random.Generator):
        rng = seed
    elif seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
        rng = np.random.default_rng(seed)
    else:
        raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {seed!r}")
    sse, cents = [], []
    for kk in ks:
        runs = [r for r in (_kmeans_once(X, int(kk), rng) for _ in range(n_init)) if r is not None]
        if not runs:  # every seeding lost a cluster (rare): try again, a bounded number of times
            runs = [
                r
                for r in (_kmeans_once(X, int(kk), rng) for _ in range(10 * n_init))
                if r is not None
            ]
            if not runs:
                raise ValueError(
                    f"k-means with k = {kk} kept producing empty clusters on this X; pass a smaller k"
                )
        best = min(runs, key=lambda r: r[0])
        sse.append(best[0])
        cents.append(best[1])
    sse_arr = np.array(sse)
    # Kneedle on log SSE: the elbow is where the *relative* gain stops (see the docstring)
    log_sse = np.log(np.maximum(sse_arr, np.finfo(float).tiny))
    return Elbow(
        k=ks, sse=sse_arr, knee=knee(ks, log_sse, "convex", "decreasing"), centroids=tuple(cents)
    )
