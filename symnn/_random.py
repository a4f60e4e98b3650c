"""One place that turns a user's ``seed`` argument into a NumPy Generator."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["make_rng"]


def make_rng(seed: int | np.random.Generator | None = None) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for *seed*.

    ``None`` gives fresh OS entropy, a non-negative int a reproducible stream,
    and a Generator is returned as is (so successive calls continue its stream).

    >>> int(make_rng(0).integers(10)) == int(make_rng(0).integers(10))
    True
    >>> rng = np.random.default_rng(1)
    >>> make_rng(rng) is rng
    True
    """
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, (numbers.Integral, np.integer)):
        raise TypeError(
            f"seed must be None, a non-negative int or a numpy.random.Generator, not "
            f"{type(seed).__name__} {seed!r}"
        )
    if seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    return np.random.default_rng(int(seed))
