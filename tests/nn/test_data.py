"""Tests for symnn.data: shapes, determinism, geometry, the CSV reader's good and bad paths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symnn.nn.data import (
    blobs,
    circles,
    dataset,
    datasets,
    load_csv,
    moons,
    one_hot,
    seed_data,
    spiral,
    xor,
)

RANDOM = ["moons", "circles", "blobs", "spiral"]


# ------------------------------------------------------------------ fixed sets


def test_seed_data_is_the_tutorials_set():
    X, y = seed_data()
    np.testing.assert_array_equal(X, [[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])
    np.testing.assert_array_equal(y, [[0], [1], [1], [0]])
    assert X.dtype == y.dtype == np.float64
    assert y.shape == (4, 1)


def test_xor_is_exclusive_or():
    X, y = xor()
    assert X.shape == (4, 2) and y.shape == (4, 1)
    for row, target in zip(X, y[:, 0], strict=True):
        assert target == float(bool(row[0]) != bool(row[1]))


def test_fixed_sets_are_fresh_copies():
    X, _ = seed_data()
    X[0, 0] = 99
    assert seed_data()[0][0, 0] == 0


# ------------------------------------------------------------------ registry


def test_registry():
    assert datasets() == ["seed", "xor", "moons", "circles", "blobs", "spiral", "digits"]
    for name in datasets():
        X, y = dataset(name)
        assert X.dtype == np.float64 and y.dtype == np.float64
        assert X.ndim == (4 if name == "digits" else 2) and y.shape == (X.shape[0], 1)
        assert np.all(np.isfinite(X))
    np.testing.assert_array_equal(dataset("seed_data")[0], seed_data()[0])
    np.testing.assert_array_equal(dataset("Make-Moons")[0], moons()[0])


def test_unknown_dataset_and_parameters():
    with pytest.raises(ValueError, match="unknown dataset 'cirles'; did you mean 'circles'"):
        dataset("cirles")
    with pytest.raises(ValueError, match=r"dataset 'moons' has no parameter 'factor'.*its parameters"):
        dataset("moons", factor=0.3)
    with pytest.raises(ValueError, match="its parameters: none"):
        dataset("xor", seed=1)


def test_dataset_reads_a_csv_path(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("1,2,0\n3,4,1\n")
    X, y = dataset(str(path))
    np.testing.assert_array_equal(X, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(y, [[0], [1]])
    X, y = dataset(path, target=None)
    assert X.shape == (2, 3) and y is None


# ------------------------------------------------------------------ random sets


@pytest.mark.parametrize("name", RANDOM)
def test_deterministic_given_a_seed_and_different_across_seeds(name):
    X1, y1 = dataset(name, seed=5)
    X2, y2 = dataset(name, seed=5)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, dataset(name, seed=6)[0])
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(dataset(name, seed=rng_a)[0], dataset(name, seed=rng_b)[0])


@pytest.mark.parametrize("name", RANDOM)
@given(n=st.integers(4, 300))
def test_shapes_and_label_balance(name, n):
    X, y = dataset(name, n_samples=n)
    assert X.shape == (n, 2) and y.shape == (n, 1)
    counts = np.bincount(y.ravel().astype(int))
    assert counts.max() - counts.min() <= 1
    assert counts.sum() == n


@pytest.mark.parametrize("name", RANDOM)
def test_rows_are_shuffled(name):
    _, y = dataset(name, n_samples=100)
    assert not np.array_equal(y.ravel(), np.sort(y.ravel()))


def test_moons_lie_on_their_half_circles():
    X, y = moons(n_samples=200, noise=0.0)
    outer, inner = X[y[:, 0] == 0], X[y[:, 0] == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1, rtol=1e-14)
    assert np.all(outer[:, 1] >= -1e-15)  # upper half
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1, rtol=1e-14)
    assert np.all(inner[:, 1] <= 0.5 + 1e-15)  # lower half, shifted


def test_moons_noise_has_the_requested_size():
    noise = 0.1
    X, y = moons(n_samples=4000, noise=noise, seed=1)
    outer = X[y[:, 0] == 0]
    radial = np.hypot(*outer.T) - 1
    # isotropic N(0, s^2) noise moves a point on the unit circle radially by ~N(s^2/2, s^2)
    assert abs(radial.std() - noise) < 0.1 * noise
    assert abs(radial.mean()) < 5 * noise / np.sqrt(len(outer)) + noise**2


def test_circles_radii():
    X, y = circles(n_samples=200, noise=0.0, factor=0.3)
    r = np.hypot(*X.T)
    np.testing.assert_allclose(r[y[:, 0] == 0], 1, rtol=1e-14)
    np.testing.assert_allclose(r[y[:, 0] == 1], 0.3, rtol=1e-14)
    noise = 0.05
    X, y = circles(n_samples=2000, noise=noise, factor=0.5, seed=2)
    r = np.hypot(*X.T)
    for label, radius in [(0, 1.0), (1, 0.5)]:
        ring = r[y[:, 0] == label]
        assert abs(ring.mean() - radius) < 5 * noise / np.sqrt(len(ring)) + noise**2
        assert np.all(np.abs(ring - radius) < 6 * noise)


def test_blobs_are_well_separated_gaussian_clusters():
    std = 0.6
    X, y = blobs(n_samples=2000, centers=5, std=std, seed=4)
    labels = y.ravel().astype(int)
    centres = np.array([X[labels == k].mean(axis=0) for k in range(5)])
    distances = np.linalg.norm(centres[:, None] - centres[None], axis=-1)
    assert distances[np.triu_indices(5, 1)].min() > 6 * std - 0.2
    assert np.all(np.abs(centres) <= 10 + 0.2)
    for k in range(5):
        spread = X[labels == k] - centres[k]
        np.testing.assert_allclose(spread.std(axis=0), std, rtol=0.1)
    # every point is nearest its own centre
    nearest = np.argmin(np.linalg.norm(X[:, None] - centres[None], axis=-1), axis=1)
    np.testing.assert_array_equal(nearest, labels)


def test_blobs_with_given_centres_and_dimensions():
    centres = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    X, y = blobs(n_samples=7, centers=centres, std=0.0)
    assert X.shape == (7, 3)
    np.testing.assert_array_equal(X, centres[y.ravel().astype(int)])
    np.testing.assert_array_equal(np.bincount(y.ravel().astype(int)), [4, 3])
    X, _ = blobs(n_samples=30, centers=3, n_features=5)
    assert X.shape == (30, 5)


def test_spiral_arms():
    X, y = spiral(n_samples=300, classes=3, noise=0.0)
    assert set(y.ravel()) == {0.0, 1.0, 2.0}
    r = np.hypot(*X.T)
    assert r.min() == pytest.approx(0.1) and r.max() == pytest.approx(1.0)
    # angle = 2 pi turns r + 2 pi c / k (mod 2 pi)
    theta = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * r + 2 * np.pi * y.ravel() / 3
    np.testing.assert_allclose(np.cos(theta - expected), 1, atol=1e-12)


@pytest.mark.parametrize(
    ("function", "params", "error", "message"),
    [
        (moons, {"n_samples": 1}, ValueError, "n_samples must be at least 2, got 1"),
        (moons, {"n_samples": 10.0}, TypeError, "n_samples must be an integer, not float"),
        (moons, {"noise": -0.1}, ValueError, r"noise must be in \[0, inf\), got -0.1"),
        (moons, {"noise": float("nan")}, ValueError, "noise must be finite, got nan"),
        (moons, {"seed": -3}, ValueError, "seed must be a non-negative int"),
        (moons, {"seed": "a"}, TypeError, "seed must be None"),
        (circles, {"factor": 1}, ValueError, r"factor must be in \(0, 1\), got 1"),
        (circles, {"factor": 0}, ValueError, r"factor must be in \(0, 1\)"),
        (blobs, {"centers": 0}, ValueError, "centers must be at least 1"),
        (blobs, {"centers": 5, "n_samples": 3}, ValueError, "n_samples must be at least 5"),
        (blobs, {"std": -1}, ValueError, "std must be in"),
        (blobs, {"centers": [[1, 2], [3]]}, TypeError, "centers must be an int or an array"),
        (blobs, {"centers": [1, 2]}, ValueError, r"got shape \(2,\)"),
        (blobs, {"center_box": (1, 0)}, ValueError, "low < high"),
        (blobs, {"center_box": 3}, TypeError, "center_box must be a pair"),
        (blobs, {"centers": 50, "std": 2.0}, ValueError, "cannot place 50 centres"),
        (spiral, {"classes": 1}, ValueError, "classes must be at least 2"),
        (spiral, {"turns": 0}, ValueError, "turns must be in"),
    ],
)
def test_bad_parameters(function, params, error, message):
    with pytest.raises(error, match=message):
        function(**params)


# ------------------------------------------------------------------ one_hot


def test_one_hot():
    Y = one_hot(np.array([2.0, 0.0, 1.0, 2.0]))
    np.testing.assert_array_equal(Y, np.eye(3)[[2, 0, 1, 2]])
    assert one_hot([[1.0]], n_classes=4).shape == (1, 4)
    _, y = blobs(n_samples=20, centers=4)
    np.testing.assert_array_equal(one_hot(y).argmax(axis=1), y.ravel())
    with pytest.raises(ValueError, match="non-negative whole numbers"):
        one_hot([0.5, 1])
    with pytest.raises(ValueError, match="labels go up to 2, but n_classes=2"):
        one_hot([0, 2], n_classes=2)
    with pytest.raises(ValueError, match="vector or a column"):
        one_hot(np.zeros((2, 2)))


# ------------------------------------------------------------------ load_csv


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_without_header(tmp_path):
    X, y = load_csv(write(tmp_path, "1,2,3\n4,5,6\n"))
    np.testing.assert_array_equal(X, [[1, 2], [4, 5]])
    np.testing.assert_array_equal(y, [[3], [6]])
    assert X.dtype == y.dtype == np.float64


def test_csv_with_header_target_by_name_and_index(tmp_path):
    path = write(tmp_path, "x1, x2, Label\n1, 2.5, 0\n-3e2, 4, 1\n")
    X, y = load_csv(path, target="label")
    np.testing.assert_array_equal(X, [[1, 2.5], [-300, 4]])
    np.testing.assert_array_equal(y, [[0], [1]])
    X, y = load_csv(path, target=0)
    np.testing.assert_array_equal(y, [[1], [-300]])
    np.testing.assert_array_equal(X, [[2.5, 0], [4, 1]])
    X, y = load_csv(path, target=None)
    assert X.shape == (2, 3) and y is None


def test_csv_blank_lines_comments_bom_crlf_and_semicolons(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xef\xbb\xbf# a comment\r\na;b\r\n\r\n1;2\r\n# another\r\n3;4\r\n")
    X, y = load_csv(path, delimiter=";")
    np.testing.assert_array_equal(X, [[1], [3]])
    np.testing.assert_array_equal(y, [[2], [4]])


def test_csv_header_flag_overrides_detection(tmp_path):
    path = write(tmp_path, "1,2\n3,4\n")
    X, _ = load_csv(path, header=True, target=None)
    np.testing.assert_array_equal(X, [[3, 4]])


def test_csv_round_trips_numpy_savetxt(tmp_path):
    data = np.random.default_rng(0).normal(size=(20, 4))
    path = tmp_path / "saved.csv"
    np.savetxt(path, data, delimiter=",", header="a,b,c,d", comments="", fmt="%.17g")
    X, y = load_csv(path)
    np.testing.assert_array_equal(np.hstack([X, y]), data)


def test_csv_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"data file not found: '.*nope\.csv'"):
        load_csv(tmp_path / "nope.csv")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_csv(tmp_path)


@pytest.mark.parametrize(
    ("text", "params", "error", "message"),
    [
        ("a,b\n1,2\n3,x\n", {}, ValueError, r"line 3, column 2 \('b'\): 'x' is not a number"),
        ("1,2\n3,abc\n", {"header": False}, ValueError, r"line 2, column 2: 'abc' is not a number"),
        ("1,2\n3,\n", {}, ValueError, "line 2, column 2 is empty"),
        ("1,2\n3,nan\n", {}, ValueError, "'nan' is not a finite number"),
        ("1,2\n3,inf\n", {}, ValueError, "'inf' is not a finite number"),
        ("1,2,3\n4,5\n", {}, ValueError, "line 2 has 2 columns, expected 3"),
        ("1,2\n\n3,4,5\n", {}, ValueError, r"line 3 has 3 columns, expected 2 \(like line 1\)"),
        ("1\n2\n", {}, ValueError, "only 1 column; with a target it needs at least 2"),
        ("", {}, ValueError, "has no data"),
        ("# only a comment\n", {}, ValueError, "has no data"),
        ("a,b\n", {}, ValueError, "header row but no data rows"),
        ("1,2\n", {"target": 2}, ValueError, r"target=2 is out of range.*indices 0 to 1"),
        ("1,2\n", {"target": -3}, ValueError, "target=-3 is out of range"),
        ("1,2\n", {"target": "y"}, ValueError, "is a column name, but .* has no header row"),
        (
            "a,bb\n1,2\n",
            {"target": "b"},
            ValueError,
            "unknown target column 'b'; did you mean 'bb'",
        ),
        ("1,2\n", {"target": 1.0}, TypeError, "target must be a column index"),
        ("1,2\n", {"delimiter": ", "}, ValueError, "delimiter must be one character"),
        ('1,2\n1,"2\n', {}, ValueError, "line 2 is not valid CSV"),
    ],
)
def test_csv_errors_name_the_line_and_column(tmp_path, text, params, error, message):
    with pytest.raises(error, match=message):
        load_csv(write(tmp_path, text), **params)


def test_csv_binary_file(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(ValueError, match="not a UTF-8 text file"):
        load_csv(path)


@given(
    data=st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=3, max_size=3),
        min_size=1,
        max_size=10,
    )
)
def test_csv_reads_back_what_was_written(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("csv") / "h.csv"
    path.write_text("\n".join(",".join(repr(v) for v in row) for row in data) + "\n")
    X, y = load_csv(path)
    np.testing.assert_array_equal(np.hstack([X, y]), np.array(data))


def test_digits_are_the_uci_images_with_a_fixed_stratified_split():
    X, y = dataset("digits", split="all")
    assert X.shape == (1797, 1, 8, 8) and y.shape == (1797, 1)
    # the pixels are counts 0..16 of 4x4 blocks, scaled by 1/16
    np.testing.assert_array_equal(X * 16, np.round(X * 16))
    assert X.min() == 0.0 and X.max() == 1.0
    # the first image of the UCI test set (and scikit-learn's load_digits()) is a 0
    assert y[0, 0] == 0.0
    np.testing.assert_array_equal(
        X[0, 0, 1] * 16, [0, 0, 13, 15, 10, 15, 5, 0]
    )
    assert np.bincount(y.ravel().astype(int)).tolist() == [
        178, 182, 177, 183, 181, 182, 181, 179, 174, 180
    ]
    Xtr, _ytr = dataset("digits")
    Xte, yte = dataset("digits", split="test", flat=True)
    assert len(Xtr) + len(Xte) == 1797 and Xte.shape == (450, 64)
    # train and test are disjoint, and every digit is in the test set about a quarter of the time
    rows = {r.tobytes() for r in Xtr.reshape(len(Xtr), -1)}
    assert sum(r.tobytes() in rows for r in Xte) < 5  # (a few images occur twice in UCI)
    counts = np.bincount(yte.ravel().astype(int))
    assert counts.min() >= 43 and counts.max() <= 46
    np.testing.assert_array_equal(dataset("digits", split="test")[1], yte)  # fixed
    with pytest.raises(ValueError, match="split"):
        dataset("digits", split="validation")
