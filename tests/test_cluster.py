"""symnn.cluster: SSE per k against scikit-learn, the Kneedle knee, input checks, the plot."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import symnn as sn
from symnn.cluster import Elbow, elbow, knee

CENTRES = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])


def blobs(seed: int, n: int = 50, centres: np.ndarray = CENTRES, std: float = 1.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([c + std * rng.normal(size=(n, centres.shape[1])) for c in centres])


def sse_by_hand(X: np.ndarray, centroids: np.ndarray) -> float:
    """SSE of the nearest-centroid partition, the definition written out (an oracle)."""
    d2 = ((X[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    labels = d2.argmin(axis=1)
    return float(
        sum(((X[labels == j] - X[labels == j].mean(axis=0)) ** 2).sum() for j in np.unique(labels))
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_knee_at_four_on_four_blobs(seed):
    result = elbow(blobs(seed), k=range(1, 11), seed=seed)
    assert result.knee == 4
    assert list(result.k) == list(range(1, 11))
    assert np.all(np.diff(result.sse[:4]) < 0)


def test_knee_at_three_on_three_blobs_in_five_dimensions():
    X = blobs(3, centres=np.array([[0.0] * 5, [10.0] + [0.0] * 4, [0.0, 10.0] + [0.0] * 3]))
    assert elbow(X, k=range(1, 9)).knee == 3


def test_sse_is_the_within_cluster_sum_of_squares():
    X = blobs(0)
    result = elbow(X, k=range(1, 7))
    assert result.sse[0] == pytest.approx(((X - X.mean(axis=0)) ** 2).sum())
    for s, cents in zip(result.sse, result.centroids, strict=True):
        assert s == pytest.approx(sse_by_hand(X, cents), rel=1e-12)


def test_same_seed_same_result_and_generator_seed():
    X = blobs(5)
    a, b = elbow(X, k=[2, 5, 3], seed=11), elbow(X, k=[2, 3, 5], seed=11)
    assert np.array_equal(a.sse, b.sse) and list(a.k) == [2, 3, 5]
    c = elbow(X, k=[2, 3, 5], seed=np.random.default_rng(11))
    assert np.array_equal(a.sse, c.sse)


def test_sse_agrees_with_scikit_learn_inertia():
    sklearn_cluster = pytest.importorskip("sklearn.cluster")
    KMeans = sklearn_cluster.KMeans
    X = blobs(1)
    result = elbow(X, k=range(1, 11))
    for k, s, cents in zip(result.k, result.sse, result.centroids, strict=True):
        # (1) the same clustering: scikit-learn started from our centroids stays there,
        # so our runs are converged and our SSE is its inertia_
        same_start = KMeans(n_clusters=int(k), init=cents, n_init=1).fit(X).inertia_
        assert s == pytest.approx(same_start, rel=1e-6)
        # (2) an independent scikit-learn run: equal within 1 % where the data decide the
        # optimum (k up to the 4 blobs); beyond, both are local optima of the same problem
        independent = KMeans(n_clusters=int(k), n_init=10, random_state=0).fit(X).inertia_
        assert s == pytest.approx(independent, rel=0.01 if k <= 4 else 0.05)


# --- knee ----------------------------------------------------------------------------------------


def test_knee_by_hand():
    # normalised: x = 0, .2, ..., 1; y = (y - 8)/92; d = 1 - x - y is largest (0.557) at x = 3
    assert knee([1, 2, 3, 4, 5, 6], [100, 40, 12, 10, 9, 8]) == 3


def test_knee_of_the_four_curve_shapes():
    xs = np.linspace(0, 1, 101)
    # the knee of 1 - exp(-a x) style curves is where the slope is about 1 in normalised units
    assert knee(xs, np.exp(-8 * xs), "convex", "decreasing") == pytest.approx(
        np.log(8 / (1 - np.exp(-8))) / 8, abs=0.01
    )
    assert knee(xs, 1 - np.exp(-8 * xs), "concave", "increasing") == pytest.approx(
        np.log(8 / (1 - np.exp(-8))) / 8, abs=0.01
    )
    assert knee(xs, np.exp(8 * xs), "convex", "increasing") == pytest.approx(
        1 - np.log(8 / (1 - np.exp(-8))) / 8, abs=0.01
    )
    assert knee(xs, 1 - np.exp(8 * xs), "concave", "decreasing") == pytest.approx(
        1 - np.log(8 / (1 - np.exp(-8))) / 8, abs=0.01
    )


def test_no_knee():
    assert knee([1, 2, 3, 4], [4, 3, 2, 1]) is None  # a straight line
    assert knee([1, 2, 3], [5, 5, 5]) is None  # flat
    assert knee([1, 2], [2, 1]) is None  # too short
    assert knee([1, 2, 3], [3, 2.9, 0], "convex", "decreasing") is None  # concave, not convex


@settings(max_examples=40)
@given(
    st.lists(st.floats(0.1, 100), min_size=3, max_size=12),
    st.floats(0.1, 10),
    st.floats(-50, 50),
    st.floats(0.1, 10),
    st.floats(-50, 50),
)
def test_knee_ignores_affine_rescaling(steps, ax_scale, ax_shift, ay_scale, ay_shift):
    ys = np.sort(np.cumsum(steps))[::-1]  # a decreasing curve
    ys = ys[0] * (ys / ys[0]) ** 3  # made convex-ish
    xs = np.arange(len(ys))
    base = knee(xs, ys)
    moved = knee(ax_shift + ax_scale * xs, ay_shift + ay_scale * ys)
    if base is None:
        assert moved is None
    else:
        assert moved == pytest.approx(ax_shift + ax_scale * base)


@settings(max_examples=40)
@given(st.lists(st.floats(-100, 100), min_size=3, max_size=12, unique=True))
def test_knee_mirror_symmetry(values):
    """Reversing the curve in x swaps decreasing for increasing and mirrors the knee.

    Exactly, except where the difference curve ties with a threshold (or itself) to
    rounding: kneed (whose arithmetic ``knee`` follows) normalises the reversed x as
    ``1 - x``, which rounds differently from ``x``, and a tie then breaks the other way.
    """
    ys = np.array(values)
    xs = np.arange(len(ys), dtype=float)
    yn = (ys - ys.min()) / max(np.ptp(ys), 1e-300)
    d = (1 - yn) - xs / xs[-1]
    gaps = np.abs(np.r_[d, d - 1 / xs[-1]][:, None] - d[None, :])
    assume(gaps[gaps > 0].min(initial=1.0) > 1e-9 and (gaps > 0).sum() == gaps.size - len(d))
    a = knee(xs, ys, "convex", "decreasing")
    b = knee(xs, ys[::-1], "convex", "increasing")
    assert (a is None and b is None) or a == pytest.approx(len(ys) - 1 - b)


def test_knee_errors():
    with pytest.raises(ValueError, match="did you mean 'convex'"):
        knee([1, 2, 3], [3, 2, 1], curve="convx")
    with pytest.raises(ValueError, match="strictly increasing"):
        knee([1, 3, 2], [3, 2, 1])
    with pytest.raises(ValueError, match="same length"):
        knee([1, 2, 3], [3, 2])
    with pytest.raises(ValueError, match="finite"):
        knee([1, 2, 3], [3, np.nan, 1])


# --- input checks ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("X", "kwargs", "error", "words"),
    [
        (np.arange(10.0), {}, ValueError, r"2-D.*reshape\(-1, 1\)"),
        (np.zeros((0, 2)), {"k": 1}, ValueError, "at least one sample"),
        ([["a", "b"], ["c", "d"]], {"k": 1}, TypeError, "numeric"),
        (np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]]), {"k": 2}, ValueError, "NaN.*rows 0"),
        (np.ones((5, 2)), {"k": [1, 2]}, ValueError, "distinct"),
        (np.random.default_rng(0).normal(size=(5, 2)), {"k": range(1, 11)}, ValueError, "k = 10"),
        (
            np.random.default_rng(0).normal(size=(20, 2)),
            {"k": [0, 1]},
            ValueError,
            "positive integers",
        ),
        (np.random.default_rng(0).normal(size=(20, 2)), {"k": []}, ValueError, "empty"),
        (
            np.random.default_rng(0).normal(size=(20, 2)),
            {"k": 3, "n_init": 0},
            ValueError,
            "n_init",
        ),
        (np.random.default_rng(0).normal(size=(20, 2)), {"k": 3, "seed": "x"}, TypeError, "seed"),
    ],
)
def test_elbow_rejects_bad_input(X, kwargs, error, words):
    with pytest.raises(error, match=words):
        elbow(X, **kwargs)


def test_single_k_and_integer_data():
    X = np.array([[0, 0], [0, 1], [10, 10], [10, 11]])
    result = elbow(X, k=2)
    assert list(result.k) == [2] and result.sse[0] == pytest.approx(1.0) and result.knee is None


# --- the plot ------------------------------------------------------------------------------------------


def test_elbow_plot_marks_the_knee():
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    result = elbow(blobs(0), k=range(1, 9))
    fig, ax = plt.subplots()
    assert sn.plot_elbow(result, ax=ax) is ax
    lines = {line.get_gid(): line for line in ax.get_lines()}
    assert np.array_equal(lines["sse"].get_xdata(), result.k)
    assert np.allclose(lines["sse"].get_ydata(), result.sse)
    kx, ky = lines["knee"].get_xdata()[0], lines["knee"].get_ydata()[0]
    assert kx == 4 and ky == pytest.approx(result.sse[3])
    assert "k = 4" in " ".join(t.get_text() for t in ax.get_legend().get_texts())
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    fig.canvas.draw()
    plt.close(fig)


def test_plot_elbow_without_knee_and_bad_input():
    import matplotlib.pyplot as plt

    from symnn.views.plotting.cluster import plot_elbow

    ax = plot_elbow(Elbow(k=np.array([1, 2, 3]), sse=np.array([3.0, 2.0, 1.0]), knee=None))
    assert [line.get_gid() for line in ax.get_lines()] == ["sse"]
    plt.close(ax.figure)
    with pytest.raises(TypeError, match=r"symnn\.elbow"):
        plot_elbow([1, 2, 3])


@pytest.mark.parametrize("centers", [2, 3, 4, 5, 6])
def test_knee_finds_the_number_of_well_separated_blobs(centers):
    from symnn.nn.data import blobs as make_blobs

    X, _ = make_blobs(n_samples=400, centers=centers, seed=1)
    assert elbow(X, k=range(1, 11)).knee == centers


def test_knee_of_the_tour_data_is_four():
    from symnn.nn.data import blobs as make_blobs

    X, _ = make_blobs(n_samples=400, centers=4, seed=0)
    assert elbow(X, k=range(1, 11), n_init=5, seed=0).knee == 4


# --- Kneedle as published, against kneed -----------------------------------------------------------


def random_curves(seed: int, count: int):
    """Random concave increasing curves and their three mirror images, with their shapes."""
    rng = np.random.default_rng(seed)
    for _ in range(count):
        n = int(rng.integers(3, 30))
        steps = np.sort(rng.random(n - 1) * rng.choice([1.0, 10.0, 100.0]))[::-1]
        base = np.r_[0.0, np.cumsum(steps)]  # concave, increasing
        xs = np.arange(n, dtype=float) if rng.random() < 0.5 else np.cumsum(rng.random(n) + 0.1)
        yield xs, base, "concave", "increasing"
        yield xs, -base, "convex", "decreasing"
        yield xs, base.max() - base[::-1], "convex", "increasing"
        yield xs, base[::-1], "concave", "decreasing"


def test_knee_agrees_with_kneed_on_random_curves():
    kneed = pytest.importorskip("kneed")
    import warnings

    cases = 0
    for xs, ys, curve, direction in random_curves(0, 150):
        for online in (False, True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # kneed warns when it finds no knee
                want = kneed.KneeLocator(xs, ys, curve=curve, direction=direction, online=online)
            got = knee(xs, ys, curve, direction, online=online)
            assert (got is None and want.knee is None) or got == pytest.approx(want.knee), (
                curve, direction, online, xs.tolist(), ys.tolist(),
            )  # fmt: skip
            cases += 1
    assert cases == 1200


def test_knee_agrees_with_kneed_on_noise_and_sensitivity():
    kneed = pytest.importorskip("kneed")
    import warnings

    rng = np.random.default_rng(1)
    for _ in range(100):
        ys = np.round(rng.random(int(rng.integers(3, 20))) * 4)  # noise with ties
        xs = np.arange(ys.size, dtype=float)
        for S in (0.0, 1.0, 3.0):
            if np.ptp(ys) == 0:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = kneed.KneeLocator(xs, ys, S=S, curve="convex", direction="decreasing")
            got = knee(xs, ys, S=S)
            assert (got is None and want.knee is None) or got == pytest.approx(want.knee)


def test_two_elbows_give_the_first_and_online_the_last():
    ks = np.arange(1, 11)
    ys = [100, 60, 55, 52, 50, 20, 18, 17, 16, 15]
    assert knee(ks, ys) == 2  # the plain arg-max of the difference curve said 6
    assert knee(ks, ys, online=True) == 6
    with pytest.raises(ValueError, match="S"):
        knee(ks, ys, S=-1)


def test_no_clear_knee_on_uniform_noise():
    """Points uniform in a square have no clusters: Kneedle alone says 4, clarity says no."""
    X = np.random.default_rng(0).random((300, 2))
    result = elbow(X, k=range(1, 11), n_init=3)
    assert result.candidate is not None and result.clarity < 2
    assert result.knee is None
    assert str(result).endswith("no clear knee") and "no clear knee" in result._repr_html_()
    assert "<- knee" not in str(result)


def test_clarity_of_blobs_and_of_a_power_law():
    result = elbow(blobs(0), k=range(1, 9), n_init=3)
    assert result.knee == 4 and result.clarity > 5
    ks = np.arange(1, 11)
    for power in (0.5, 1.0, 2.0):  # SSE ~ k^(-2/d) for data without clusters, any d
        assert sn.cluster.clarity(ks, ks**-power, 4) == pytest.approx(1.0)


def test_elbow_prints_for_people_and_notebooks():
    e = Elbow(k=np.array([1, 2, 3]), sse=np.array([10.0, 2.0, 1.5]), knee=2)
    assert str(e).splitlines() == ["k    SSE", "1     10", "2      2  <- knee", "3    1.5"]
    assert r"\mathbf{2}" in e._repr_latex_() and e._repr_latex_().startswith("$")
    assert "<td>knee</td>" in e._repr_html_()
