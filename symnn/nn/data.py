r"""Toy data sets and a small CSV reader, all as float64 NumPy arrays.

Every generator returns ``(X, y)``: ``X`` of shape ``(n_samples, n_features)``
(samples are rows, as everywhere in symnn) and ``y`` a column of shape
``(n_samples, 1)`` holding the class label :math:`0, 1, \dots, k-1` as a float,
ready for a network with one output (binary tasks) or for :func:`one_hot`.
Random data sets are deterministic given ``seed`` (an int or a
:class:`numpy.random.Generator`).

============  =====================================================================
name          what
============  =====================================================================
``seed``      the seed tutorial's 4 samples: :math:`y = x_1 \oplus x_2`, :math:`x_3 = 1`
``xor``       the 4 corners of the unit square, :math:`y = x_1 \oplus x_2`
``moons``     two interleaving half circles (scikit-learn's ``make_moons``)
``circles``   a circle inside a circle (scikit-learn's ``make_circles``)
``blobs``     well-separated Gaussian clusters (for k-means and the elbow plot)
``spiral``    interleaved spiral arms, one per class
``digits``    1797 handwritten digits, 8x8 images (UCI, as in scikit-learn), train/test split
============  =====================================================================

:func:`dataset` looks one up by name, :func:`datasets` lists the names and
:func:`load_csv` reads your own numeric CSV file.

Example
-------
>>> X, y = dataset("seed")
>>> X.shape, y.shape
((4, 3), (4, 1))
>>> datasets()
['seed', 'xor', 'moons', 'circles', 'blobs', 'spiral', 'digits']
"""

from __future__ import annotations

import csv
import inspect
import math
import numbers
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from symnn._random import make_rng
from symnn._validation import (
    check_choice,
    check_count,
    check_interval,
    normalize_name,
    unknown_parameter,
)
from symnn.catalogue.registry import Entry, Registry

__all__ = [
    "blobs",
    "circles",
    "dataset",
    "datasets",
    "digits",
    "load_csv",
    "moons",
    "one_hot",
    "seed_data",
    "spiral",
    "xor",
]

Seed = int | np.random.Generator | None
Data = tuple[np.ndarray, np.ndarray]

@dataclass(frozen=True, kw_only=True)
class DatasetEntry(Entry):
    """One data set: the function that makes it (its keyword arguments are the parameters)."""

    make: Callable[..., Data]

    @property
    def arguments(self) -> list[str]:
        return list(inspect.signature(self.make).parameters)


REGISTRY: Registry[DatasetEntry] = Registry("dataset", "symnn.datasets()")


def _register(name: str, *aliases: str) -> Callable[[Callable[..., Data]], Callable[..., Data]]:
    """Register *function* as the data set *name* (its signature declares its parameters,
    which it validates itself: data sets take seeds and arrays, not just numbers)."""

    def decorate(function: Callable[..., Data]) -> Callable[..., Data]:
        doc = inspect.getdoc(function) or ""
        REGISTRY.add(DatasetEntry(name=name, aliases=aliases, doc=doc, make=function))
        return function

    return decorate


# --------------------------------------------------------------------------- validation


def _shuffled(rng: np.random.Generator, X: np.ndarray, labels: np.ndarray) -> Data:
    order = rng.permutation(len(X))
    return X[order], labels[order].astype(np.float64).reshape(-1, 1)


# --------------------------------------------------------------------------- the data sets


@_register("seed", "seed_data", "tutorial")
def seed_data() -> Data:
    r"""The seed tutorial's 4-sample set: :math:`y = x_1 \oplus x_2`; :math:`x_3 = 1` acts as a bias.

    The network of the tutorial (3 inputs, 4 sigmoid hidden units, 1 output,
    no biases) learns it in 1500 iterations.

    >>> X, y = seed_data()
    >>> X
    array([[0., 0., 1.],
           [0., 1., 1.],
           [1., 0., 1.],
           [1., 1., 1.]])
    >>> y.ravel()
    array([0., 1., 1., 0.])
    """
    X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    return X, y


@_register("xor")
def xor() -> Data:
    r"""The XOR problem: the 4 corners of the unit square, :math:`y = x_1 \oplus x_2`.

    Not linearly separable, so it needs a hidden layer.

    >>> X, y = xor()
    >>> np.hstack([X, y])
    array([[0., 0., 0.],
           [0., 1., 1.],
           [1., 0., 1.],
           [1., 1., 0.]])
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.logical_xor(X[:, :1], X[:, 1:]).astype(np.float64)


@_register("moons", "make_moons")
def moons(n_samples: int = 200, noise: float = 0.1, seed: Seed = 0) -> Data:
    r"""Two interleaving half circles, as scikit-learn's ``make_moons``.

    Class 0 lies on :math:`(\cos t, \sin t)`, class 1 on
    :math:`(1 - \cos t, \tfrac12 - \sin t)`, :math:`t \in [0, \pi]` evenly
    spaced; then Gaussian noise of standard deviation *noise* is added to
    both coordinates.  Class 0 gets ``n_samples // 2`` points.  The rows are
    shuffled.

    Parameters
    ----------
    n_samples
        number of points, at least 2.
    noise
        standard deviation of the added Gaussian noise, >= 0.
    seed
        int or Generator; the same seed gives the same data.

    >>> X, y = moons(n_samples=6, noise=0.0)
    >>> X.shape, y.shape, int(y.sum())
    ((6, 2), (6, 1), 3)
    """
    n = check_count("n_samples", n_samples, 2)
    noise = check_interval("noise", noise, low=0)
    rng = make_rng(seed)
    n_outer = n // 2
    t_outer = np.linspace(0, np.pi, n_outer)
    t_inner = np.linspace(0, np.pi, n - n_outer)
    X = np.vstack(
        [
            np.column_stack([np.cos(t_outer), np.sin(t_outer)]),
            np.column_stack([1 - np.cos(t_inner), 0.5 - np.sin(t_inner)]),
        ]
    )
    labels = np.repeat([0, 1], [n_outer, n - n_outer])
    X = X + rng.normal(scale=noise, size=X.shape)
    return _shuffled(rng, X, labels)


@_register("circles", "make_circles")
def circles(n_samples: int = 200, noise: float = 0.05, factor: float = 0.5, seed: Seed = 0) -> Data:
    r"""A circle of radius *factor* inside the unit circle, as scikit-learn's ``make_circles``.

    Class 0 lies on the unit circle, class 1 on the circle of radius
    :math:`0 < r < 1` (*factor*), at evenly spaced angles; then Gaussian
    noise of standard deviation *noise* is added.  Class 0 gets
    ``n_samples // 2`` points.  The rows are shuffled.

    >>> X, y = circles(n_samples=8, noise=0.0, factor=0.5)
    >>> np.round(np.hypot(X[:, 0], X[:, 1]), 12)[np.argsort(y.ravel(), kind="stable")]
    array([1. , 1. , 1. , 1. , 0.5, 0.5, 0.5, 0.5])
    """
    n = check_count("n_samples", n_samples, 2)
    noise = check_interval("noise", noise, low=0)
    factor = check_interval("factor", factor, low=0, high=1, low_open=True, high_open=True)
    rng = make_rng(seed)
    n_outer = n // 2
    t_outer = np.linspace(0, 2 * np.pi, n_outer, endpoint=False)
    t_inner = np.linspace(0, 2 * np.pi, n - n_outer, endpoint=False)
    X = np.vstack(
        [
            np.column_stack([np.cos(t_outer), np.sin(t_outer)]),
            factor * np.column_stack([np.cos(t_inner), np.sin(t_inner)]),
        ]
    )
    labels = np.repeat([0, 1], [n_outer, n - n_outer])
    X = X + rng.normal(scale=noise, size=X.shape)
    return _shuffled(rng, X, labels)


@_register("blobs", "make_blobs")
def blobs(
    n_samples: int = 300,
    centers: int | Sequence[Sequence[float]] | np.ndarray = 4,
    std: float = 0.6,
    n_features: int = 2,
    seed: Seed = 0,
    center_box: tuple[float, float] = (-10.0, 10.0),
) -> Data:
    r"""Isotropic Gaussian clusters: :math:`x \sim \mathcal{N}(c_k, \sigma^2 I)` for cluster *k*.

    With ``centers`` an int *k*, the centres are drawn uniformly in the box
    ``center_box`` (in every coordinate), each at least :math:`6\sigma` from
    the others, so the clusters are well separated (the midpoint between two
    centres is :math:`3\sigma` from both) and k-means' elbow sits at *k*.
    Or pass the centres as an array of shape ``(k, n_features)``.
    The points are shared out evenly (the first ``n_samples % k`` clusters get
    one more) and shuffled; ``y`` holds the cluster index.

    Parameters
    ----------
    n_samples
        number of points, at least the number of clusters.
    centers
        number of clusters, or their coordinates.
    std
        standard deviation :math:`\sigma` of every cluster, >= 0.
    n_features
        dimension of the points (ignored when ``centers`` is an array).
    seed
        int or Generator; the same seed gives the same data.
    center_box
        ``(low, high)`` bounds for random centres.

    >>> X, y = blobs(n_samples=10, centers=[[0, 0], [5, 5]], std=0.0)
    >>> X[y.ravel() == 1][0]
    array([5., 5.])
    >>> np.bincount(blobs()[1].ravel().astype(int))
    array([75, 75, 75, 75])
    """
    std = check_interval("std", std, low=0)
    rng = make_rng(seed)
    if isinstance(centers, (numbers.Integral, np.integer)) and not isinstance(centers, bool):
        k = check_count("centers", centers, 1)
        d = check_count("n_features", n_features, 1)
        box = _box(center_box)
        centres = _separated_centres(rng, k, d, box, min_distance=6 * std)
    else:
        centres = _centre_array(centers)
        k, d = centres.shape
    n = check_count("n_samples", n_samples, k)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    labels = np.repeat(np.arange(k), sizes)
    X = centres[labels] + rng.normal(scale=std, size=(n, d))
    return _shuffled(rng, X, labels)


def _box(center_box: object) -> tuple[float, float]:
    try:
        low, high = center_box  # type: ignore[misc]
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        raise TypeError(f"center_box must be a pair (low, high), got {center_box!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"center_box must be finite with low < high, got {center_box!r}")
    return low, high


def _centre_array(centers: object) -> np.ndarray:
    try:
        centres = np.asarray(centers, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"centers must be an int or an array of shape (k, n_features), got {centers!r}"
        ) from None
    if centres.ndim != 2 or centres.shape[0] == 0 or centres.shape[1] == 0:
        raise ValueError(
            f"centers must be an int or an array of shape (k, n_features), got shape {centres.shape}"
        )
    if not np.all(np.isfinite(centres)):
        raise ValueError("centers must be finite numbers")
    return centres


def _separated_centres(
    rng: np.random.Generator, k: int, d: int, box: tuple[float, float], min_distance: float
) -> np.ndarray:
    """Draw *k* centres uniformly in the box, rejecting any closer than *min_distance*."""
    centres: list[np.ndarray] = []
    for _ in range(200 * k + 1000):
        candidate = rng.uniform(box[0], box[1], size=d)
        if all(np.linalg.norm(candidate - c) >= min_distance for c in centres):
            centres.append(candidate)
            if len(centres) == k:
                return np.array(centres)
    raise ValueError(
        f"cannot place {k} centres at least {min_distance:g} (6 std) apart in center_box={box}; "
        f"widen center_box, lower std or use fewer centers"
    )


@_register("spiral", "spirals")
def spiral(
    n_samples: int = 200, noise: float = 0.05, classes: int = 2, turns: float = 1.0, seed: Seed = 0
) -> Data:
    r"""Interleaved spiral arms, one per class.

    Arm *c* is :math:`r(\cos\theta, \sin\theta)` with :math:`r` evenly spaced
    in :math:`[0.1, 1]` and :math:`\theta = 2\pi\,\text{turns}\, r + 2\pi c/\text{classes}`,
    plus Gaussian noise of standard deviation *noise*.  The rows are shuffled.

    >>> X, y = spiral(n_samples=9, classes=3, noise=0.0)
    >>> X.shape, sorted(set(y.ravel().tolist()))
    ((9, 2), [0.0, 1.0, 2.0])
    """
    k = check_count("classes", classes, 2)
    n = check_count("n_samples", n_samples, k)
    noise = check_interval("noise", noise, low=0)
    turns = check_interval("turns", turns, low=0, low_open=True)
    rng = make_rng(seed)
    sizes = np.full(k, n // k)
    sizes[: n % k] += 1
    parts, labels = [], []
    for c, size in enumerate(sizes):
        r = np.linspace(0.1, 1.0, size)
        theta = 2 * np.pi * turns * r + 2 * np.pi * c / k
        parts.append(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
        labels.append(np.full(size, c))
    X = np.vstack(parts)
    X = X + rng.normal(scale=noise, size=X.shape)
    return _shuffled(rng, X, np.concatenate(labels))


@_register("digits", "load_digits")
def digits(split: str = "train", flat: bool = False) -> Data:
    r"""The 8x8 handwritten digits that scikit-learn ships (1797 images, 10 classes), offline.

    Pixels are the counts 0..16 of the original data divided by 16, so
    :math:`x \in [0, 1]`; ``X`` has shape ``(n, 1, 8, 8)`` (NCHW, one channel) or,
    with ``flat=True``, ``(n, 64)`` for a dense network; ``y`` holds the digit as a
    float column ``(n, 1)``. The split is fixed (stored with the data, stratified, a
    quarter of every digit for testing): ``split="train"`` (1347 images), ``"test"``
    (450) or ``"all"`` (1797, in the original order).

    Source: E. Alpaydin and C. Kaynak, *Optical Recognition of Handwritten Digits*,
    UCI Machine Learning Repository (1998), CC BY 4.0, the copy in scikit-learn
    (``sklearn.datasets.load_digits``); vendored here as ``symnn/nn/digits.npz``.

    >>> X, y = digits()
    >>> X.shape, y.shape, float(X.max())
    ((1347, 1, 8, 8), (1347, 1), 1.0)
    >>> digits("test", flat=True)[0].shape
    (450, 64)
    """
    split = check_choice("split", split, ["train", "test", "all"])
    if not isinstance(flat, bool):
        raise TypeError(f"flat must be True or False, not {flat!r}")
    with np.load(Path(__file__).with_name("digits.npz")) as archive:
        images, labels, test = archive["images"], archive["labels"], archive["test"]
    keep = {"train": ~test, "test": test, "all": np.ones_like(test)}[split]
    X = images[keep].astype(np.float64) / 16.0
    X = X.reshape(-1, 64) if flat else X.reshape(-1, 1, 8, 8)
    return X, labels[keep].astype(np.float64).reshape(-1, 1)


# --------------------------------------------------------------------------- helpers


def one_hot(labels: Any, n_classes: int | None = None) -> np.ndarray:
    r"""Encode class indices :math:`0..k-1` as rows of the identity: :math:`Y_{ic} = [y_i = c]`.

    *labels* may be a vector or a column (as the data sets here return).

    >>> one_hot(np.array([[0.0], [2.0], [1.0]]))
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    """
    values = np.asarray(labels, dtype=np.float64)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1:
        raise ValueError(f"labels must be a vector or a column, got shape {values.shape}")
    if not np.all(np.isfinite(values)) or np.any(values < 0) or np.any(values != np.round(values)):
        raise ValueError("labels must be non-negative whole numbers (class indices 0, 1, ...)")
    indices = values.astype(np.int64)
    k = int(indices.max()) + 1 if indices.size else 0
    if n_classes is not None:
        n_classes = check_count("n_classes", n_classes, 1)
        if k > n_classes:
            raise ValueError(f"labels go up to {k - 1}, but n_classes={n_classes}")
        k = n_classes
    return np.eye(k, dtype=np.float64)[indices]


def datasets() -> list[str]:
    """Return the names of the built-in data sets.

    >>> "moons" in datasets()
    True
    """
    return REGISTRY.names()


def dataset(name: str, **params: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """Return the data set *name* as ``(X, y)``, passing *params* to its generator.

    A name ending in ``.csv`` (or containing a path separator) is read with
    :func:`load_csv` instead, so ``dataset(args.data)`` handles both.

    >>> X, y = dataset("moons", n_samples=50, seed=1)
    >>> X.shape
    (50, 2)
    >>> dataset("mons")
    Traceback (most recent call last):
    ...
    ValueError: unknown dataset 'mons'; did you mean 'moons'? (symnn.datasets() lists them all)
    """
    if isinstance(name, (str, os.PathLike)) and (
        str(name).lower().endswith(".csv") or os.sep in str(name) or "/" in str(name)
    ):
        return load_csv(name, **params)
    entry = REGISTRY.lookup(name)
    for key in params:
        if key not in entry.arguments:
            raise unknown_parameter(f"dataset {entry.name!r}", key, entry.arguments)
    return entry.make(**params)


# --------------------------------------------------------------------------- CSV


def load_csv(
    path: str | os.PathLike[str],
    target: int | str | None = -1,
    *,
    delimiter: str = ",",
    header: bool | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Read a numeric CSV file into ``(X, y)`` float64 arrays, with NumPy only.

    Blank lines and lines starting with ``#`` are skipped.  Errors name the
    line and the column (both counted from 1, as in a text editor or a
    spreadsheet).

    Parameters
    ----------
    path
        the file to read.
    target
        the column holding the target: an index (``-1``, the default, is the
        last column), a header name, or ``None`` to return every column in
        ``X`` and ``y = None``.  ``y`` is a column of shape ``(n, 1)``.
    delimiter
        the field separator.
    header
        whether the first row holds column names; ``None`` (default) decides
        by looking: the first row is a header if any of its cells is not a number.

    Example
    -------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
    >>> _ = path.write_text("a,b,label\\n0,1,1\\n2,3,0\\n")
    >>> X, y = load_csv(path)
    >>> X
    array([[0., 1.],
           [2., 3.]])
    >>> y
    array([[1.],
           [0.]])
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"data file not found: '{path}' (check the path and the name)")
    if path.is_dir():
        raise IsADirectoryError(f"'{path}' is a directory, not a CSV file")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character such as ',' or ';', got {delimiter!r}")
    rows = _read_rows(path, delimiter)
    if not rows:
        raise ValueError(f"'{path}' has no data (it is empty or only comments)")

    first_line, first = rows[0]
    if header is None:
        header = not all(_is_number(cell) for cell in first)
    names = [cell.strip() for cell in first] if header else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"'{path}' has a header row but no data rows")

    width = len(first)
    values = np.empty((len(body), width), dtype=np.float64)
    for i, (line, cells) in enumerate(body):
        if len(cells) != width:
            raise ValueError(
                f"'{path}' line {line} has {len(cells)} columns, expected {width} "
                f"(like line {first_line}); every row needs the same number of cells"
            )
        for j, cell in enumerate(cells):
            values[i, j] = _parse_cell(cell, path, line, j, names)

    if target is None:
        return values, None
    index = _target_index(target, width, names, path)
    if width < 2:
        raise ValueError(
            f"'{path}' has only {width} column; with a target it needs at least 2 "
            f"(features and a target); pass target=None to load the features only"
        )
    y = values[:, index : index + 1].copy()
    X = np.delete(values, index, axis=1)
    return X, y


def _read_rows(path: Path, delimiter: str) -> list[tuple[int, list[str]]]:
    rows: list[tuple[int, list[str]]] = []
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter, skipinitialspace=True, strict=True)
            for cells in reader:
                if not cells or all(not c.strip() for c in cells):
                    continue
                if cells[0].lstrip().startswith("#"):
                    continue
                rows.append((reader.line_num, cells))
    except UnicodeDecodeError:
        raise ValueError(f"'{path}' is not a UTF-8 text file; is it really a CSV?") from None
    except csv.Error as exc:
        raise ValueError(
            f"'{path}' line {reader.line_num} is not valid CSV ({exc}); check its quotes"
        ) from None
    return rows


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_cell(cell: str, path: Path, line: int, j: int, names: list[str] | None) -> float:
    where = f"'{path}' line {line}, column {j + 1}" + (f" ({names[j]!r})" if names else "")
    text = cell.strip()
    if not text:
        raise ValueError(f"{where} is empty; fill in the missing value or remove the row")
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{where}: {text!r} is not a number; the file must be numeric") from None
    if not math.isfinite(value):
        raise ValueError(
            f"{where}: {text!r} is not a finite number; remove or fill in missing values"
        )
    return value


def _target_index(target: object, width: int, names: list[str] | None, path: Path) -> int:
    if isinstance(target, str):
        if names is None:
            raise ValueError(
                f"target={target!r} is a column name, but '{path}' has no header row; "
                f"pass the column's index instead (e.g. target=-1 for the last)"
            )
        keys = [normalize_name(n) for n in names]
        key = check_choice(
            "target column", target, keys, listing="columns: " + ", ".join(map(repr, names))
        )
        return keys.index(key)
    if isinstance(target, bool) or not isinstance(target, (numbers.Integral, np.integer)):
        raise TypeError(
            f"target must be a column index, a column name or None, not "
            f"{type(target).__name__} {target!r}"
        )
    if not -width <= target < width:
        raise ValueError(
            f"target={target} is out of range: '{path}' has {width} columns "
            f"(indices 0 to {width - 1}, or -1 for the last)"
        )
    return int(target) % width
