"""Compiled activations against the best hand-written NumPy, on 10^6 points.

For every catalogue activation, time symnn's compiled f and f' and a careful
hand-written NumPy version of each, in the same run, and print the ratio
(compiled / hand-written; below 1 means symnn is faster). The target is that
no activation is slower than 1.5x its hand-written version.

Run: ``python benchmarks/bench_activations.py [--n 1000000] [--repeat 15]``
"""

from __future__ import annotations

import argparse
import timeit

import numpy as np
from scipy import special

import symnn as sn

SELU_A, SELU_L = 1.6732632423543772, 1.0507009873554805
C = np.sqrt(2 / np.pi)


def _where(cond, a, b):
    return np.where(cond, a, b)


def _sech2(x):
    t = np.exp(-2 * np.abs(x))
    return 4 * t / (1 + t) ** 2


# name -> (f, f'): what an expert writes by hand (stable where it matters).
HAND = {
    "identity": (lambda x: x.copy(), lambda x: np.ones_like(x)),
    "binary_step": (
        lambda x: (x >= 0).astype(np.float64),
        lambda x: np.zeros_like(x),
    ),
    "sigmoid": (special.expit, lambda x: (s := special.expit(x)) * (1 - s)),
    "hard_sigmoid": (
        lambda x: np.clip(x / 6 + 0.5, 0, 1),
        lambda x: ((x > -3) & (x < 3)) / 6.0,
    ),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "hard_tanh": (
        lambda x: np.clip(x, -1, 1),
        lambda x: ((x > -1) & (x < 1)).astype(np.float64),
    ),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(np.float64)),
    "relu6": (
        lambda x: np.clip(x, 0, 6),
        lambda x: ((x > 0) & (x < 6)).astype(np.float64),
    ),
    "leaky_relu": (
        lambda x: np.where(x > 0, x, 0.01 * x),
        lambda x: np.where(x > 0, 1.0, 0.01),
    ),
    "prelu": (
        lambda x: np.where(x > 0, x, 0.25 * x),
        lambda x: np.where(x > 0, 1.0, 0.25),
    ),
    "elu": (
        lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
    ),
    "selu": (
        lambda x: SELU_L * np.where(x > 0, x, SELU_A * np.expm1(np.minimum(x, 0))),
        lambda x: np.where(x > 0, SELU_L, SELU_L * SELU_A * np.exp(np.minimum(x, 0))),
    ),
    "celu": (
        lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
        lambda x: np.where(x > 0, 1.0, np.exp(np.minimum(x, 0))),
    ),
    "gelu": (
        lambda x: 0.5 * x * special.erfc(-x / np.sqrt(2)),
        lambda x: (
            0.5 * special.erfc(-x / np.sqrt(2)) + x * np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
        ),
    ),
    "gelu_tanh": (
        lambda x: 0.5 * x * (1 + np.tanh(C * (x + 0.044715 * x**3))),
        lambda x: (
            0.5 * (1 + (t := np.tanh(C * (x + 0.044715 * x**3))))
            + 0.5 * x * (1 - t * t) * C * (1 + 3 * 0.044715 * x * x)
        ),
    ),
    "silu": (
        lambda x: x * special.expit(x),
        lambda x: (s := special.expit(x)) * (1 + x * (1 - s)),
    ),
    "hard_swish": (
        lambda x: x * np.clip(x + 3, 0, 6) / 6,
        lambda x: np.where(x <= -3, 0.0, np.where(x >= 3, 1.0, x / 3 + 0.5)),
    ),
    "mish": (
        lambda x: x * np.tanh(np.logaddexp(0, x)),
        lambda x: np.tanh(sp_ := np.logaddexp(0, x)) + x * _sech2(sp_) * special.expit(x),
    ),
    "softplus": (lambda x: np.logaddexp(0, x), special.expit),
    "softsign": (lambda x: x / (1 + np.abs(x)), lambda x: 1 / (1 + np.abs(x)) ** 2),
    "log_sigmoid": (lambda x: -np.logaddexp(0, -x), lambda x: special.expit(-x)),
    "tanhshrink": (lambda x: x - np.tanh(x), lambda x: np.tanh(x) ** 2),
    "softshrink": (
        lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0.0)),
        lambda x: (np.abs(x) > 0.5).astype(np.float64),
    ),
    "hardshrink": (
        lambda x: np.where(np.abs(x) > 0.5, x, 0.0),
        lambda x: (np.abs(x) > 0.5).astype(np.float64),
    ),
    "threshold": (
        lambda x: np.where(x > 1.0, x, 0.0),
        lambda x: (x > 1.0).astype(np.float64),
    ),
    "gaussian": (lambda x: np.exp(-x * x), lambda x: -2 * x * np.exp(-x * x)),
    "sinusoid": (np.sin, np.cos),
    "sinc": (
        lambda x: np.sinc(x / np.pi),
        lambda x: np.where(x == 0, 0.0, (np.cos(x) - np.sinc(x / np.pi)) / np.where(x == 0, 1, x)),
    ),
    "arctan": (np.arctan, lambda x: 1 / (1 + x * x)),
    "bent_identity": (
        lambda x: (np.sqrt(x * x + 1) - 1) / 2 + x,
        lambda x: x / (2 * np.sqrt(x * x + 1)) + 1,
    ),
    "isru": (lambda x: x / np.sqrt(1 + x * x), lambda x: (1 + x * x) ** -1.5),
    "sqnl": (
        lambda x: np.where(
            x > 2, 1.0, np.where(x >= 0, x - x * x / 4, np.where(x >= -2, x + x * x / 4, -1.0))
        ),
        lambda x: np.where(np.abs(x) > 2, 0.0, 1 - np.abs(x) / 2),
    ),
}


def paired_ratio(mine, theirs, x, repeat: int) -> float:
    """min time of *mine* / min time of *theirs*, measured interleaved (fair under load)."""
    best_mine = best_theirs = float("inf")
    for _ in range(repeat):
        best_mine = min(best_mine, timeit.timeit(lambda: mine(x), number=1))
        best_theirs = min(best_theirs, timeit.timeit(lambda: theirs(x), number=1))
    return best_mine / best_theirs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.normal(0, 4, args.n)
    names = args.only or sn.activations()
    missing = sorted(set(names) - set(HAND))
    if missing:
        print("no hand-written version for:", ", ".join(missing))
    print(
        f"{'activation':<15} {'f ratio':>8} {'df ratio':>9}   (compiled / hand-written, n={args.n})"
    )
    worst = 0.0
    for name in names:
        if name not in HAND:
            continue
        act = sn.activation(name)
        f, df = act.compiled(0), act.compiled(1)
        hf, hdf = HAND[name]
        np.testing.assert_allclose(f(x), hf(x), rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(df(x), hdf(x), rtol=1e-7, atol=1e-9)
        ratios = [
            paired_ratio(mine, theirs, x, args.repeat) for mine, theirs in ((f, hf), (df, hdf))
        ]
        worst = max(worst, *ratios)
        flag = "  <-- over 1.5x" if max(ratios) > 1.5 else ""
        print(f"{name:<15} {ratios[0]:8.2f} {ratios[1]:9.2f}{flag}")
    print(f"worst ratio: {worst:.2f} (target <= 1.5)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
