"""Fixtures for every test and doctest (tests/ and the docstrings in symnn/)."""

import sys

import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test or doctest drew (matplotlib warns past 20 open ones, and
    warnings from symnn's doctests are errors)."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
