"""Tests for symnn.scaling: round trips, agreement with scikit-learn, constant columns, errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from symnn.nn.scaling import MinMax, NotFittedError, Standardize

SCALERS = [Standardize, MinMax, lambda: MinMax(feature_range=(-1, 1))]

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
matrices = st.tuples(st.integers(1, 25), st.integers(1, 5)).flatmap(
    lambda shape: arrays(np.float64, shape, elements=finite)
)


def tolerance(X):
    return 1e-9 * max(1.0, float(np.abs(X).max()))


# ------------------------------------------------------------------ the formulas


def test_standardize_matches_the_formula():
    X = np.array([[1.0, -2.0], [2.0, 0.0], [6.0, 5.0], [3.0, 1.0]])
    mu = X.sum(axis=0) / 4
    sigma = np.sqrt(((X - mu) ** 2).sum(axis=0) / 4)  # population std, ddof=0
    scaler = Standardize().fit(X)
    np.testing.assert_allclose(scaler.mean_, mu, rtol=1e-15)
    np.testing.assert_allclose(scaler.var_, sigma**2, rtol=1e-15)
    np.testing.assert_allclose(scaler.scale_, sigma, rtol=1e-15)
    Z = scaler.transform(X)
    np.testing.assert_allclose(Z, (X - mu) / sigma, rtol=1e-14)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-15)
    np.testing.assert_allclose(Z.std(axis=0), 1, rtol=1e-14)
    assert scaler.n_features_in_ == 2 and scaler.n_samples_seen_ == 4


def test_minmax_matches_the_formula():
    X = np.array([[1.0, -2.0], [2.0, 0.0], [6.0, 5.0]])
    Z = MinMax().fit_transform(X)
    np.testing.assert_allclose(Z, (X - X.min(0)) / (X.max(0) - X.min(0)), rtol=1e-15)
    assert Z.min() == 0
    assert Z.max() == pytest.approx(1, rel=1e-15)
    Z = MinMax(feature_range=(-1, 3)).fit_transform(X)
    np.testing.assert_allclose(Z.min(axis=0), -1)
    np.testing.assert_allclose(Z.max(axis=0), 3)


def test_minmax_fitted_attributes():
    scaler = MinMax(feature_range=(-1, 1)).fit([[0.0, 4.0], [10.0, 2.0]])
    np.testing.assert_array_equal(scaler.data_min_, [0, 2])
    np.testing.assert_array_equal(scaler.data_max_, [10, 4])
    np.testing.assert_array_equal(scaler.data_range_, [10, 2])
    np.testing.assert_array_equal(scaler.scale_, [0.2, 1.0])
    np.testing.assert_array_equal(scaler.min_, [-1, -3])


def test_minmax_clip():
    scaler = MinMax(clip=True).fit([[0.0], [10.0]])
    np.testing.assert_array_equal(scaler.transform([[-5.0], [5.0], [15.0]]), [[0], [0.5], [1]])
    np.testing.assert_array_equal(MinMax().fit([[0.0], [10.0]]).transform([[15.0]]), [[1.5]])


# ------------------------------------------------------------------ round trips


@pytest.mark.parametrize("make", SCALERS)
@given(X=matrices)
def test_round_trip(make, X):
    scaler = make()
    back = scaler.inverse_transform(scaler.fit_transform(X))
    np.testing.assert_allclose(back, X, rtol=1e-9, atol=tolerance(X))


@given(X=matrices)
def test_standardized_columns_have_zero_mean_and_unit_or_zero_std(X):
    Z = Standardize().fit_transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-7)
    for j in range(X.shape[1]):
        std = Z[:, j].std()
        assert std == pytest.approx(1, rel=1e-6) or std < 1e-6


@given(X=matrices)
def test_minmax_columns_land_in_the_range(X):
    Z = MinMax(feature_range=(-2, 5)).fit_transform(X)
    assert np.all(Z >= -2 - 1e-9) and np.all(Z <= 5 + 1e-9)


def test_transform_does_not_modify_the_input():
    X = np.array([[1.0, 2.0], [3.0, 5.0]])
    copy = X.copy()
    for make in SCALERS:
        scaler = make().fit(X)
        scaler.transform(X)
        scaler.inverse_transform(X)
    np.testing.assert_array_equal(X, copy)


def test_lists_and_ints_are_accepted_and_give_float64():
    Z = Standardize().fit_transform([[1, 2], [3, 4]])
    assert Z.dtype == np.float64
    np.testing.assert_array_equal(Z, [[-1, -1], [1, 1]])


# ------------------------------------------------------------------ scikit-learn


@given(X=matrices)
def test_standardize_agrees_with_sklearn(X):
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    var = X.var(axis=0)
    # where the variance is subnormal, scikit-learn's own arithmetic has lost its digits
    assume(np.all((var == 0) | (var >= np.finfo(float).tiny)))
    ours, theirs = Standardize().fit(X), preprocessing.StandardScaler().fit(X)
    np.testing.assert_allclose(ours.mean_, theirs.mean_, rtol=1e-12, atol=tolerance(X) * 1e-3)
    np.testing.assert_allclose(ours.scale_, theirs.scale_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("feature_range", [(0, 1), (-1, 1), (2.5, 7)])
@given(X=matrices)
def test_minmax_agrees_with_sklearn(feature_range, X):
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    ours = MinMax(feature_range=feature_range).fit(X)
    theirs = preprocessing.MinMaxScaler(feature_range=feature_range).fit(X)
    for attribute in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(ours, attribute), getattr(theirs, attribute), rtol=1e-15)
    np.testing.assert_allclose(ours.transform(X), theirs.transform(X), rtol=1e-15, atol=1e-15)
    Z = ours.transform(X)
    np.testing.assert_allclose(ours.inverse_transform(Z), theirs.inverse_transform(Z), rtol=1e-12)


def test_constant_columns_agree_with_sklearn():
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    X = np.array([[5.0, 1.0, 0.1], [5.0, 2.0, 0.1], [5.0, 3.0, 0.1]])
    np.testing.assert_array_equal(
        Standardize().fit(X).scale_, preprocessing.StandardScaler().fit(X).scale_
    )
    np.testing.assert_array_equal(
        MinMax().fit(X).scale_, preprocessing.MinMaxScaler().fit(X).scale_
    )


# ------------------------------------------------------------------ constant columns


def test_constant_column_is_centred_not_divided_by_zero():
    X = np.array([[7.0, 1.0], [7.0, 2.0], [7.0, 3.0]])
    scaler = Standardize().fit(X)
    assert scaler.scale_[0] == 1.0
    assert scaler.var_[0] == 0.0
    Z = scaler.transform(X)
    np.testing.assert_array_equal(Z[:, 0], 0)
    assert np.all(np.isfinite(Z))
    np.testing.assert_array_equal(scaler.inverse_transform(Z), X)


def test_nearly_constant_column_from_rounding_is_constant():
    X = np.full((10, 1), 0.1) + np.array([[0.0]] * 9 + [[1e-17]])  # 0.1 + 1e-17 == 0.1
    assert Standardize().fit(X).scale_[0] == 1.0


def test_constant_column_maps_to_the_low_end_of_the_range():
    X = np.array([[3.0, 0.0], [3.0, 1.0]])
    scaler = MinMax(feature_range=(-1, 1)).fit(X)
    np.testing.assert_array_equal(scaler.transform(X)[:, 0], -1)
    np.testing.assert_array_equal(scaler.inverse_transform(scaler.transform(X)), X)


def test_single_sample_fits():
    X = np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(Standardize().fit_transform(X), [[0, 0, 0]])
    np.testing.assert_array_equal(MinMax().fit_transform(X), [[0, 0, 0]])


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize("make", SCALERS)
def test_nan_and_inf_name_the_column(make):
    X = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0]])
    with pytest.raises(ValueError, match=r"X contains NaN in column 1 \(first at row 1\)"):
        make().fit(X)
    X = np.array([[1.0, 2.0, np.inf], [4.0, 5.0, 6.0]])
    with pytest.raises(ValueError, match=r"infinity in column 2"):
        make().fit(X)
    scaler = make().fit([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(ValueError, match="NaN in column 0"):
        scaler.transform([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="NaN in column 1"):
        scaler.inverse_transform([[0.0, np.nan]])


@pytest.mark.parametrize("make", SCALERS)
def test_transform_before_fit(make):
    with pytest.raises(NotFittedError, match="is not fitted yet; call fit"):
        make().transform([[1.0]])
    with pytest.raises(ValueError, match="not fitted"):
        make().inverse_transform([[1.0]])


@pytest.mark.parametrize("make", SCALERS)
def test_wrong_number_of_columns(make):
    scaler = make().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"X has 3 columns, but this .* was fitted on 2"):
        scaler.transform(np.ones((3, 3)))
    with pytest.raises(ValueError, match="X has 1 columns"):
        scaler.inverse_transform(np.ones((3, 1)))


@pytest.mark.parametrize("make", SCALERS)
@pytest.mark.parametrize(
    ("X", "error", "message"),
    [
        (np.arange(4.0), ValueError, r"1-D array of shape \(4,\); use X.reshape\(-1, 1\)"),
        (np.ones((2, 2, 2)), ValueError, "got 3 dimensions"),
        (3.0, ValueError, "got 0 dimensions"),
        (np.ones((3, 0)), ValueError, "no columns"),
        (np.ones((0, 3)), ValueError, "no rows"),
        ([["a", "b"], ["c", "d"]], TypeError, "X must be numeric"),
        ([[1.0, 2.0], [3.0]], ValueError, "rectangular"),
        (np.ones((2, 2)) * 1j, TypeError, "must be real"),
    ],
)
def test_bad_input_is_a_clear_error(make, X, error, message):
    with pytest.raises(error, match=message):
        make().fit(X)


def test_numeric_strings_are_accepted():
    np.testing.assert_array_equal(
        MinMax().fit_transform([["1", "2"], ["3", "4"]]), [[0, 0], [1, 1]]
    )


def test_overflow_is_an_error_not_inf():
    X = np.array([[1e300, 0.0], [-1e300, 1.0]])
    with pytest.raises(ValueError, match="column 0 is too large to standardise"):
        Standardize().fit(X)
    X = np.array([[0.0, 1.7e308], [1.0, -1.7e308]])
    with pytest.raises(ValueError, match="column 1 spans more than float64"):
        MinMax().fit(X)


@pytest.mark.parametrize(
    ("feature_range", "error", "message"),
    [
        ((1, 0), ValueError, "low < high"),
        ((1, 1), ValueError, "low < high"),
        ((0, np.inf), ValueError, "must be finite"),
        ((0, "1"), TypeError, "two real numbers"),
        (1, TypeError, "pair"),
        ((0, 1, 2), TypeError, "pair"),
    ],
)
def test_bad_feature_range(feature_range, error, message):
    with pytest.raises(error, match=message):
        MinMax(feature_range=feature_range)


def test_bad_clip():
    with pytest.raises(TypeError, match="clip must be True or False"):
        MinMax(clip="yes")


# ------------------------------------------------------------------ printing


def test_repr():
    assert repr(Standardize()) == "Standardize()"
    assert repr(MinMax()) == "MinMax()"
    assert repr(MinMax(feature_range=(-1, 1))) == "MinMax(feature_range=(-1, 1))"
    assert repr(MinMax((0, 0.5), clip=True)) == "MinMax(feature_range=(0, 0.5), clip=True)"


@pytest.mark.parametrize("make", SCALERS)
def test_latex_renders_with_mathtext(make):
    from matplotlib import mathtext

    scaler = make()
    assert scaler._repr_latex_() == f"${scaler.latex()}$"
    buffer = io.BytesIO()
    mathtext.math_to_image(scaler._repr_latex_(), buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_tiny_columns_keep_their_digits_or_count_as_constant():
    """Found by hypothesis: squares of 1e-160 underflow; the spread is computed scaled."""
    Z = Standardize().fit_transform(np.array([[1e-150], [0.0], [3e-150]]))
    assert Z[:, 0].std() == pytest.approx(1.0, rel=1e-14)
    tiny = Standardize().fit(np.array([[7.01017203e-160], [0.0]]))  # variance subnormal
    assert tiny.scale_[0] == 1.0
