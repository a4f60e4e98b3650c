r"""Input scaling: standardisation and min-max scaling, with scikit-learn's fit/transform API.

Scaling the inputs before training keeps the weights small and the network
stable (the seed article: "standardise to zero mean and unit variance, or
normalise each value to [0, 1]").  Both scalers work column by column on a
2-D array whose rows are samples:

- :class:`Standardize`: :math:`x' = (x - \mu_j) / \sigma_j`;
- :class:`MinMax`: :math:`x' = a + (x - \min_j)\,(b - a) / (\max_j - \min_j)`.

Fitted attributes end in ``_`` (``mean_``, ``scale_``, ``data_min_``, ...) and
match scikit-learn's ``StandardScaler`` and ``MinMaxScaler``, including the
handling of constant columns (their scale is 1, so nothing is divided by 0).

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]])
>>> Standardize().fit_transform(X)
array([[-1.22474487,  0.        ],
       [ 0.        ,  0.        ],
       [ 1.22474487,  0.        ]])
>>> MinMax().fit_transform(X)
array([[0. , 0. ],
       [0.5, 0. ],
       [1. , 0. ]])
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = ["MinMax", "NotFittedError", "Standardize"]

_TINY = np.finfo(np.float64).tiny
_EPS = np.finfo(np.float64).eps


class NotFittedError(ValueError, AttributeError):
    """A scaler was used before :meth:`fit` (a ValueError and an AttributeError, as in sklearn)."""


def _as_2d(X: Any, *, name: str = "X") -> np.ndarray:
    """Return *X* as a finite 2-D float64 array, or raise an error that says how to fix it."""
    try:
        array = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular 2-D array of numbers: {exc}") from None
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real, got complex values (dtype {array.dtype})")
    if array.dtype.kind not in "biuf":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{name} must be numeric, got dtype {array.dtype}; convert it with "
                f"np.asarray({name}, dtype=float) after removing non-numeric entries"
            ) from None
    if array.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D with samples as rows, got a 1-D array of shape {array.shape}; "
            f"use {name}.reshape(-1, 1) for a single feature or {name}.reshape(1, -1) "
            f"for a single sample"
        )
    if array.ndim != 2:
        raise ValueError(
            f"{name} must be 2-D with samples as rows, got {array.ndim} dimensions "
            f"(shape {array.shape})"
        )
    if array.shape[1] == 0:
        raise ValueError(
            f"{name} has no columns (shape {array.shape}); it needs at least one feature"
        )
    array = array.astype(np.float64, copy=False)
    bad = ~np.isfinite(array)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        what = "NaN" if np.isnan(array[row, col]) else "infinity"
        raise ValueError(
            f"{name} contains {what} in column {col} (first at row {row}); "
            f"remove or impute missing values before scaling"
        )
    return array


class _Scaler:
    """Shared fit/transform plumbing; subclasses define ``_fit``, ``_forward``, ``_backward``."""

    _fitted_attribute = ""

    def fit(self, X: Any) -> _Scaler:
        """Learn the per-column statistics of *X* (shape ``(n_samples, n_features)``)."""
        X = _as_2d(X)
        if X.shape[0] == 0:
            raise ValueError(f"X has no rows (shape {X.shape}); fit needs at least one sample")
        self.n_features_in_ = X.shape[1]
        self.n_samples_seen_ = X.shape[0]
        self._fit(X)
        return self

    def transform(self, X: Any) -> np.ndarray:
        """Scale *X* with the statistics learned by :meth:`fit`; returns a new float64 array."""
        return self._forward(self._check_fitted(X))

    def fit_transform(self, X: Any) -> np.ndarray:
        """Same as ``fit(X).transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, X: Any) -> np.ndarray:
        """Undo :meth:`transform`: map scaled values back to the original units."""
        return self._backward(self._check_fitted(X))

    def _check_fitted(self, X: Any) -> np.ndarray:
        cls = type(self).__name__
        if not hasattr(self, self._fitted_attribute):
            raise NotFittedError(
                f"this {cls} is not fitted yet; call fit(X) or fit_transform(X) first"
            )
        X = _as_2d(X)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} columns, but this {cls} was fitted on "
                f"{self.n_features_in_}; pass data with the same features as in fit"
            )
        return X

    def _fit(self, X: np.ndarray) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _forward(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _backward(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _repr_latex_(self) -> str:
        return f"${self.latex()}$"  # type: ignore[attr-defined]


class Standardize(_Scaler):
    r"""Scale each column to zero mean and unit variance: :math:`x' = (x - \mu_j)/\sigma_j`.

    :math:`\mu_j` is the column mean and :math:`\sigma_j` the population
    standard deviation (``ddof=0``, as scikit-learn's ``StandardScaler``).

    Constant columns (zero variance, up to rounding, or a variance below the smallest
    normal float, 2.2e-308) get :math:`\sigma_j = 1`,
    so they are only centred, to 0, and never divided by zero.

    Fitted attributes: ``mean_``, ``var_``, ``scale_`` (:math:`\sigma_j`, or 1),
    ``n_features_in_``, ``n_samples_seen_``.

    Shape: ``X`` is ``(n_samples, n_features)``; a 1-D array is an error (use
    ``X.reshape(-1, 1)``).  NaN or infinity in ``X`` is an error naming the column.

    Example
    -------
    >>> import numpy as np
    >>> scaler = Standardize().fit([[0.0], [2.0], [4.0]])
    >>> scaler.mean_, scaler.scale_
    (array([2.]), array([1.63299316]))
    >>> scaler.transform([[2.0], [4.0]])
    array([[0.        ],
           [1.22474487]])
    >>> scaler.inverse_transform(scaler.transform([[7.0]]))
    array([[7.]])
    """

    _fitted_attribute = "scale_"

    def _fit(self, X: np.ndarray) -> None:
        n = X.shape[0]
        with np.errstate(over="ignore", invalid="ignore", under="ignore"):
            mean = X.mean(axis=0)
            # the standard deviation of the deviations scaled by their largest magnitude:
            # squares of tiny values (1e-160) underflow into subnormals and lose their digits
            dev = X - mean
            biggest = np.max(np.abs(dev), axis=0)
            unit = np.where(biggest > 0, biggest, 1.0)
            scale = unit * np.sqrt(np.mean((dev / unit) ** 2, axis=0))
            var = scale**2
        overflow = ~(np.isfinite(mean) & np.isfinite(var))
        if overflow.any():
            col = int(np.flatnonzero(overflow)[0])
            raise ValueError(
                f"X column {col} is too large to standardise (its variance overflows float64); "
                f"divide it by a constant first"
            )
        # A column is constant when its standard deviation is within the rounding error of
        # computing it (scikit-learn's _is_constant_feature on the variance), or when its
        # variance is not a normal float (a spread below 1.5e-154); its scale is then 1.
        constant = (var < _TINY) | (scale <= n * _EPS * np.abs(mean))
        scale = scale.copy()
        scale[constant] = 1.0
        self.mean_ = mean
        self.var_ = var
        self.scale_ = scale

    def _forward(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean_) / self.scale_

    def _backward(self, X: np.ndarray) -> np.ndarray:
        return X * self.scale_ + self.mean_

    def latex(self) -> str:
        r"""The transformation as LaTeX.

        >>> print(Standardize().latex())
        x'_{j} = \frac{x_{j} - \mu_{j}}{\sigma_{j}}
        """
        return r"x'_{j} = \frac{x_{j} - \mu_{j}}{\sigma_{j}}"

    def __repr__(self) -> str:
        return "Standardize()"


class MinMax(_Scaler):
    r"""Scale each column linearly onto ``feature_range`` :math:`= (a, b)`, default [0, 1].

    .. math::
        x' = a + (x - \min_j)\,\frac{b - a}{\max_j - \min_j}
           = x \cdot \mathrm{scale}_j + \mathrm{min}_j

    with ``scale_`` :math:`= (b - a)/(\max_j - \min_j)` and ``min_``
    :math:`= a - \min_j \cdot \mathrm{scale}_j`, exactly as scikit-learn's
    ``MinMaxScaler``.  A constant column (:math:`\max_j = \min_j`) uses a range
    of 1, so it maps to :math:`a` and nothing is divided by zero.

    Parameters
    ----------
    feature_range
        ``(a, b)`` with finite :math:`a < b`.
    clip
        clip transformed values to ``feature_range`` (new data may fall outside
        the range seen in ``fit``).

    Fitted attributes: ``data_min_``, ``data_max_``, ``data_range_``,
    ``scale_``, ``min_``, ``n_features_in_``, ``n_samples_seen_``.

    Example
    -------
    >>> scaler = MinMax(feature_range=(-1, 1)).fit([[0.0], [5.0], [10.0]])
    >>> scaler.transform([[5.0], [20.0]])
    array([[0.],
           [3.]])
    >>> scaler.data_min_, scaler.data_max_
    (array([0.]), array([10.]))
    """

    _fitted_attribute = "scale_"

    def __init__(self, feature_range: tuple[float, float] = (0, 1), *, clip: bool = False) -> None:
        self.feature_range = _check_range(feature_range)
        if not isinstance(clip, (bool, np.bool_)):
            raise TypeError(f"clip must be True or False, not {type(clip).__name__} {clip!r}")
        self.clip = bool(clip)

    def _fit(self, X: np.ndarray) -> None:
        low, high = self.feature_range
        data_min = X.min(axis=0)
        data_max = X.max(axis=0)
        with np.errstate(over="ignore"):
            data_range = data_max - data_min
        if not np.all(np.isfinite(data_range)):
            col = int(np.flatnonzero(~np.isfinite(data_range))[0])
            raise ValueError(
                f"X column {col} spans more than float64 can hold (max - min overflows); "
                f"divide it by a constant first"
            )
        safe_range = np.where(data_range < 10 * _EPS, 1.0, data_range)
        self.data_min_ = data_min
        self.data_max_ = data_max
        self.data_range_ = data_range
        self.scale_ = (high - low) / safe_range
        self.min_ = low - data_min * self.scale_

    def _forward(self, X: np.ndarray) -> np.ndarray:
        out = X * self.scale_ + self.min_
        if self.clip:
            np.clip(out, *self.feature_range, out=out)
        return out

    def _backward(self, X: np.ndarray) -> np.ndarray:
        return (X - self.min_) / self.scale_

    def latex(self) -> str:
        r"""The transformation as LaTeX.

        >>> print(MinMax().latex())
        x'_{j} = \frac{x_{j} - \min_{j}}{\max_{j} - \min_{j}}
        >>> print(MinMax((-1, 1)).latex())
        x'_{j} = -1 + \left(x_{j} - \min_{j}\right) \frac{2}{\max_{j} - \min_{j}}
        """
        low, high = self.feature_range
        if (low, high) == (0, 1):
            return r"x'_{j} = \frac{x_{j} - \min_{j}}{\max_{j} - \min_{j}}"
        return (
            rf"x'_{{j}} = {_num(low)} + \left(x_{{j}} - \min_{{j}}\right) "
            rf"\frac{{{_num(high - low)}}}{{\max_{{j}} - \min_{{j}}}}"
        )

    def __repr__(self) -> str:
        args = []
        if self.feature_range != (0, 1):
            args.append(
                f"feature_range=({_num(self.feature_range[0])}, {_num(self.feature_range[1])})"
            )
        if self.clip:
            args.append("clip=True")
        return f"MinMax({', '.join(args)})"


def _num(x: float) -> str:
    """Print 1.0 as 1 and 0.5 as 0.5."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _check_range(feature_range: object) -> tuple[float, float]:
    try:
        low, high = feature_range  # type: ignore[misc]
    except (TypeError, ValueError):
        raise TypeError(
            f"feature_range must be a pair (low, high) such as (0, 1), got {feature_range!r}"
        ) from None
    for value in (low, high):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"feature_range must contain two real numbers, got {feature_range!r}")
        if not math.isfinite(value):
            raise ValueError(f"feature_range must be finite, got {feature_range!r}")
    if not low < high:
        raise ValueError(
            f"feature_range must have low < high, got {feature_range!r}; try (0, 1) or (-1, 1)"
        )
    return float(low), float(high)
