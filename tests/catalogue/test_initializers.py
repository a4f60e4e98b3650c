"""Tests for symnn.initializers: formulas against the papers, draws against the formulas."""

from __future__ import annotations

import importlib
import io
import math

import numpy as np
import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st

from symnn.catalogue.initializers import (
    FAN_IN,
    FAN_OUT,
    Initializer,
    fans,
    initializer,
    initializers,
)

si = importlib.import_module("symnn.catalogue.initializers")  # symnn.initializers is also a function

# The textbook formulas, written independently of the module (the oracle):
# name -> (distribution, mean(fi, fo), defining quantity(fi, fo)) with the quantity
# the bound a of U(-a, a) or the std of N(0, std^2).
PAPERS = {
    "xavier_uniform": ("uniform", lambda fi, fo: math.sqrt(6 / (fi + fo))),
    "xavier_normal": ("normal", lambda fi, fo: math.sqrt(2 / (fi + fo))),
    "he_uniform": ("uniform", lambda fi, fo: math.sqrt(6 / fi)),
    "he_normal": ("normal", lambda fi, fo: math.sqrt(2 / fi)),
    "lecun_uniform": ("uniform", lambda fi, fo: math.sqrt(3 / fi)),
    "lecun_normal": ("normal", lambda fi, fo: math.sqrt(1 / fi)),
}

EXACT = {
    "zeros": 0,
    "ones": 1,
    "constant": sympy.Rational(1, 10),
    "uniform": sympy.Rational(1, 2),
    "normal": 1,
    "xavier_uniform": sympy.sqrt(6 / (FAN_IN + FAN_OUT)),
    "xavier_normal": sympy.sqrt(2 / (FAN_IN + FAN_OUT)),
    "he_uniform": sympy.sqrt(6 / FAN_IN),
    "he_normal": sympy.sqrt(2 / FAN_IN),
    "lecun_uniform": sympy.sqrt(3 / FAN_IN),
    "lecun_normal": sympy.sqrt(1 / FAN_IN),
}


def moments_within_sampling_error(sample, mean, var, mu4, k=5.0):
    """Sample mean and variance agree with (mean, var) within *k* standard errors.

    se(mean) = sqrt(var/n); se(s^2) = sqrt((mu4 - var^2)/n) with mu4 the fourth
    central moment (3 sigma^4 for a normal, a^4/5 for U(-a, a)).
    """
    x = np.ravel(sample)
    n = x.size
    se_mean = math.sqrt(var / n)
    se_var = math.sqrt((mu4 - var**2) / n)
    assert abs(x.mean() - mean) < k * se_mean, (x.mean(), mean, se_mean)
    assert abs(x.var() - var) < k * se_var, (x.var(), var, se_var)


# ------------------------------------------------------------------ registry


def test_registry_lists_every_required_initializer():
    required = {"zeros", "constant", "uniform", "normal", *PAPERS}
    assert required <= set(initializers())
    assert len(initializers()) == len(set(initializers()))


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("glorot_uniform", "xavier_uniform"),
        ("glorot_normal", "xavier_normal"),
        ("kaiming_normal", "he_normal"),
        ("kaiming_uniform", "he_uniform"),
        ("Kaiming-Normal", "he_normal"),
        ("He Uniform", "he_uniform"),
        ("rand", "uniform"),
        ("randn", "normal"),
        ("XAVIER_UNIFORM", "xavier_uniform"),
    ],
)
def test_aliases_resolve_to_the_canonical_name(alias, name):
    assert initializer(alias).name == name
    assert initializer(alias) == initializer(name)


def test_unknown_name_suggests_the_closest():
    with pytest.raises(
        ValueError, match=r"unknown initializer 'he_nromal'; did you mean 'he_normal'"
    ):
        initializer("he_nromal")
    with pytest.raises(ValueError, match=r"symnn\.initializers\(\) lists them all"):
        initializer("banana")
    with pytest.raises(TypeError, match="initializer must be a name"):
        initializer(3)


def test_initializer_object_passes_through():
    init = initializer("he_normal")
    assert initializer(init) is init
    with pytest.raises(TypeError, match="pass its name instead"):
        initializer(init, negative_slope=0.1)


@pytest.mark.parametrize("name", initializers())
def test_repr_is_readable_and_evaluates_back(name):
    init = initializer(name)
    assert repr(init) == f"Initializer({name!r})"
    assert eval(repr(init), {"Initializer": Initializer}) == init


def test_repr_shows_only_changed_params():
    assert repr(initializer("normal", std=0.5)) == "Initializer('normal', std=0.5)"
    assert repr(initializer("xavier_normal", gain=2)) == "Initializer('xavier_normal', gain=2)"
    assert initializer("normal", std=0.5) != initializer("normal")
    assert hash(initializer("normal", std=0.5)) == hash(initializer("normal", std=0.5))


# ------------------------------------------------------------------ formulas


@pytest.mark.parametrize("name", list(EXACT))
def test_formula_is_the_textbook_expression(name):
    init = initializer(name)
    assert sympy.simplify(init.formula - EXACT[name]) == 0
    assert init.formula.free_symbols <= {FAN_IN, FAN_OUT}


@pytest.mark.parametrize("name", list(PAPERS))
def test_quantity_names_bound_or_std(name):
    dist, _ = PAPERS[name]
    init = initializer(name)
    assert init.distribution == dist
    assert init.quantity == {"uniform": "bound", "normal": "std"}[dist]
    assert init.mean == 0


@pytest.mark.parametrize("name", list(PAPERS))
@pytest.mark.parametrize(("fi", "fo"), [(1, 1), (3, 4), (784, 10), (1000, 4000)])
def test_evaluate_matches_the_paper(name, fi, fo):
    _, quantity = PAPERS[name]
    assert initializer(name).evaluate(fi, fo) == pytest.approx(quantity(fi, fo), rel=1e-14)


@pytest.mark.parametrize("name", list(PAPERS))
def test_variance_is_derived_from_the_formula(name):
    init = initializer(name)
    factor = sympy.Rational(1, 3) if init.distribution == "uniform" else 1
    assert sympy.simplify(init.variance - factor * init.formula**2) == 0


def test_variance_of_uniform_bound_matches_the_std_of_the_normal_twin():
    # Glorot and He chose the uniform bound so that both variants have the same variance.
    for family in ("xavier", "he", "lecun"):
        u, n = initializer(f"{family}_uniform"), initializer(f"{family}_normal")
        assert sympy.simplify(u.variance - n.variance) == 0


def test_gain_and_negative_slope_enter_the_formula():
    assert (
        sympy.simplify(
            initializer("xavier_uniform", gain=2).formula - 2 * sympy.sqrt(6 / (FAN_IN + FAN_OUT))
        )
        == 0
    )
    # PyTorch: gain = sqrt(2 / (1 + a^2)); kaiming std = gain / sqrt(fan_in)
    a = 0.2
    std = initializer("he_normal", negative_slope=a).evaluate(fan_in=30)
    assert std == pytest.approx(math.sqrt(2 / (1 + a**2)) / math.sqrt(30), rel=1e-14)


def test_constant_uniform_normal_parameters():
    assert initializer("constant").params == {"value": 0.1}
    assert initializer("constant", value=3).evaluate() == 3
    u = initializer("uniform", low=-1, high=3)
    assert (u.mean, u.formula, u.variance) == (1, 2, sympy.Rational(16, 12))
    n = initializer("normal", mean=0.5, std=0.25)
    assert float(n.mean) == 0.5
    assert float(n.formula) == 0.25


# ------------------------------------------------------------------ LaTeX


def test_latex_of_xavier_uniform_is_the_paper_form():
    assert initializer("glorot_uniform").latex() == (
        r"W \sim \mathcal{U}\left(-\sqrt{\frac{6}{n_{in} + n_{out}}}, "
        r"\sqrt{\frac{6}{n_{in} + n_{out}}}\right)"
    )


def test_latex_forms():
    assert initializer("he_normal").latex() == (
        r"W \sim \mathcal{N}\left(0, \sigma^{2}\right), \quad \sigma = \sqrt{\frac{2}{n_{in}}}"
    )
    assert initializer("uniform").latex() == r"W \sim \mathcal{U}\left(0, 1\right)"
    assert initializer("constant").latex("b") == "b = 0.1"
    assert (
        initializer("xavier_uniform", gain=2)
        .latex()
        .startswith(r"W \sim \mathcal{U}\left(-2 \sqrt{\frac{6}{n_{in} + n_{out}}}")
    )
    assert initializer("he_normal")._repr_latex_() == f"${initializer('he_normal').latex()}$"


@pytest.mark.parametrize("name", initializers())
def test_latex_renders_with_mathtext(name):
    from matplotlib import mathtext

    buffer = io.BytesIO()
    mathtext.math_to_image(f"${initializer(name).latex()}$", buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")


# ------------------------------------------------------------------ drawing


@pytest.mark.parametrize("name", list(PAPERS))
@pytest.mark.parametrize(("fi", "fo"), [(300, 200), (50, 2000)])
def test_sample_moments_match_the_paper(name, fi, fo):
    dist, quantity = PAPERS[name]
    q = quantity(fi, fo)
    W = initializer(name)((fi, fo), seed=12345)
    if dist == "uniform":
        var, mu4 = q**2 / 3, q**4 / 5
        assert np.all(np.abs(W) <= q)
    else:
        var, mu4 = q**2, 3 * q**4
    moments_within_sampling_error(W, 0.0, var, mu4)


@pytest.mark.parametrize("name", list(PAPERS))
def test_sample_distribution_passes_kolmogorov_smirnov(name):
    from scipy import stats

    dist, quantity = PAPERS[name]
    q = quantity(40, 60)
    W = initializer(name)((40, 60), seed=7)
    frozen = stats.uniform(-q, 2 * q) if dist == "uniform" else stats.norm(0, q)
    assert stats.kstest(W.ravel(), frozen.cdf).pvalue > 1e-4


def test_uniform_and_normal_with_their_own_parameters():
    W = initializer("uniform", low=2, high=5)((200, 300), seed=1)
    assert W.min() >= 2 and W.max() < 5
    moments_within_sampling_error(W, 3.5, 1.5**2 / 3, 1.5**4 / 5)
    W = initializer("normal", mean=-1, std=0.3)((200, 300), seed=2)
    moments_within_sampling_error(W, -1.0, 0.09, 3 * 0.3**4)


def test_uniform_default_is_numpy_rand():
    # the seed's np.random.rand: U[0, 1); with a Generator, that is rng.random
    W = initializer("uniform")((3, 4), seed=42)
    np.testing.assert_array_equal(W, np.random.default_rng(42).random((3, 4)))


def test_constant_and_zeros_fill():
    np.testing.assert_array_equal(initializer("constant")((4,)), np.full(4, 0.1))
    np.testing.assert_array_equal(initializer("zeros")((2, 3)), np.zeros((2, 3)))
    assert initializer("zeros")((2, 3)).dtype == np.float64


@pytest.mark.parametrize("name", initializers())
def test_draws_are_float64_of_the_requested_shape(name):
    init = initializer(name)
    for shape, expected in [
        ((3, 4), (3, 4)),
        (5, (5,)),
        ((7,), (7,)),
        ((2, 2, 3, 4), (2, 2, 3, 4)),
    ]:
        W = init(shape, seed=0)
        assert W.shape == expected
        assert W.dtype == np.float64
        assert np.all(np.isfinite(W))


@pytest.mark.parametrize("name", list(PAPERS))
def test_reproducible_given_a_seed_and_different_across_seeds(name):
    init = initializer(name)
    np.testing.assert_array_equal(init((20, 30), seed=3), init((20, 30), seed=3))
    assert not np.array_equal(init((20, 30), seed=3), init((20, 30), seed=4))
    # a Generator continues its stream: two draws from it differ, and replay identically
    rng_a, rng_b = np.random.default_rng(9), np.random.default_rng(9)
    first, second = init((5, 5), seed=rng_a), init((5, 5), seed=rng_a)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, init((5, 5), seed=rng_b))
    np.testing.assert_array_equal(second, init((5, 5), seed=rng_b))


def test_no_seed_gives_fresh_draws():
    init = initializer("he_normal")
    assert not np.array_equal(init((10, 10)), init((10, 10)))


@given(st.integers(1, 50), st.integers(1, 50), st.integers(0, 2**32 - 1))
def test_uniform_draws_stay_inside_the_bound(fi, fo, seed):
    init = initializer("xavier_uniform")
    W = init((fi, fo), seed=seed)
    assert np.all(np.abs(W) <= math.sqrt(6 / (fi + fo)))


# ------------------------------------------------------------------ fans


def test_fans_conventions():
    assert fans((3, 4)) == (3, 4)  # Z = X @ W: rows are inputs
    assert fans((6,)) == (6, 6)
    assert fans(6) == (6, 6)
    assert fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert fans(np.int64(2)) == (2, 2)


def test_he_uses_the_rows_of_w_as_fan_in():
    # shape (fan_in, fan_out) = (1000, 5): std sqrt(2/1000), not sqrt(2/5)
    W = initializer("he_normal")((1000, 5), seed=0)
    assert W.std() == pytest.approx(math.sqrt(2 / 1000), rel=0.1)


def test_fan_override_for_a_bias():
    b = initializer("he_uniform")((3,), seed=0, fan_in=10_000)
    assert np.all(np.abs(b) <= math.sqrt(6 / 10_000))
    b = initializer("xavier_normal")(4, seed=0, fan_out=1)
    assert b.shape == (4,)


@pytest.mark.parametrize(
    ("shape", "error", "message"),
    [
        ((), ValueError, "at least one dimension"),
        ((0, 3), ValueError, "must be positive"),
        ((3, -1), ValueError, "must be positive"),
        (2.5, TypeError, "shape must be an int or a tuple"),
        ("3", TypeError, "shape must be an int or a tuple"),
        ((3, 2.0), TypeError, "2.0 is not an int"),
        ((True, 2), TypeError, "is not an int"),
    ],
)
def test_bad_shapes_are_clear_errors(shape, error, message):
    with pytest.raises(error, match=message):
        initializer("he_normal")(shape)


def test_bad_fan_overrides():
    with pytest.raises(ValueError, match="fan_in must be a positive int, got 0"):
        initializer("he_normal")((3,), fan_in=0)
    with pytest.raises(TypeError, match="fan_out must be a positive int"):
        initializer("he_normal")((3,), fan_out=2.5)


@pytest.mark.parametrize(
    ("seed", "error", "message"),
    [
        (1.5, TypeError, "seed must be None, a non-negative int"),
        ("0", TypeError, "seed must be None"),
        (True, TypeError, "seed must be None"),
        (-1, ValueError, "non-negative int, got -1"),
    ],
)
def test_bad_seeds(seed, error, message):
    with pytest.raises(error, match=message):
        initializer("normal")((2, 2), seed=seed)


# ------------------------------------------------------------------ parameter errors


@pytest.mark.parametrize(
    ("name", "params", "error", "message"),
    [
        ("normal", {"std": -1}, ValueError, r"normal parameter std must be in \[0, inf\), got -1"),
        ("normal", {"std": float("nan")}, ValueError, "std must be finite"),
        ("normal", {"mean": float("inf")}, ValueError, "mean must be finite"),
        ("normal", {"std": "big"}, TypeError, "std must be a real number, not str"),
        ("constant", {"value": True}, TypeError, "value must be a real number, not bool"),
        ("xavier_uniform", {"gain": 0}, ValueError, r"gain must be in \(0, inf\), got 0"),
        ("he_normal", {"negative_slope": -0.1}, ValueError, r"negative_slope must be in \[0, inf\)"),
        ("uniform", {"low": 1, "high": 1}, ValueError, "low must be smaller than high"),
        ("uniform", {"low": 2}, ValueError, r"got low=2, high=1"),
        ("normal", {"sigma": 1}, ValueError, "no parameter 'sigma'.*its parameters: 'mean', 'std'"),
        ("he_normal", {"gain": 2}, ValueError, "its parameters: 'negative_slope'"),
        ("lecun_normal", {"gain": 2}, ValueError, "its parameters: none"),
    ],
)
def test_bad_parameters_are_clear_errors(name, params, error, message):
    with pytest.raises(error, match=message):
        initializer(name, **params)


def test_zero_std_is_allowed_and_constant():
    W = initializer("normal", mean=2, std=0)((3, 3), seed=0)
    np.testing.assert_array_equal(W, np.full((3, 3), 2.0))


def test_every_definition_documents_itself():
    for name in initializers():
        init = initializer(name)
        assert init.description
        if name in PAPERS:
            assert init.reference
    assert si.__doc__ is not None and "n_{in}" in si.__doc__
