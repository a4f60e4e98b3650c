"""Time of one exact Hessian-vector product against one gradient, and against PyTorch.

The network is the seed's kind at the large size: 10000 samples, 100-256-1, sigmoid
hidden and output layers, SSE, with biases; float64, full batch. Contenders, interleaved
in the same run (best of many repeats; the machine's load average is printed, since
machines are shared and noisy):

* symnn gradient -- ``net.workspace(n)``'s generated forward + backward pass;
* symnn HVP      -- the generated second backward pass (``net.hvp``'s code);
* torch HVP      -- ``torch.func.jvp(torch.func.grad(loss), ...)``, forward-over-reverse,
  eager, float64 (when PyTorch is installed).

Targets: HVP <= 2.5x one gradient; symnn's HVP no slower than torch.func's.

Run: ``python benchmarks/bench_hvp.py [--repeat 20] [--size large|mid]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's symnn

import symnn as sn
from symnn.nn.curvature import _split, _workspace

SIZES = {"mid": (1000, 20, 64, 1), "large": (10000, 100, 256, 1)}


def best_of(fn, repeat: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def torch_hvp(net, X, Y):
    try:
        import torch
        from torch.func import grad, jvp
    except ImportError:
        return None
    torch.set_num_threads(os.cpu_count() or 1)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    params = tuple(torch.tensor(np.asarray(p)) for p in net.params.values())
    vs = tuple(torch.randn_like(p) for p in params)

    def loss(W1, b1, W2, b2):
        A1 = torch.sigmoid(Xt @ W1 + b1)
        A2 = torch.sigmoid(A1 @ W2 + b2)
        return ((A2 - Yt) ** 2).sum()

    def run():
        return jvp(grad(loss, argnums=(0, 1, 2, 3)), params, vs)[1]

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--size", choices=SIZES, default="large")
    args = parser.parse_args()
    n, d, h, k = SIZES[args.size]
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(n, d)), rng.uniform(size=(n, k))
    net = sn.Network([d, h, k], activation="sigmoid", loss="sse", bias=True, seed=0)
    X, Y = net.check_data(X, Y)
    params = list(net.params.values())
    gradient, _ = net.workspace(n)
    fn, _ = _workspace(net, n)
    parts = _split(net, rng.normal(size=net.n_params))
    contenders = {
        "symnn gradient": lambda: gradient(X, Y, *params),
        "symnn HVP": lambda: fn(X, Y, *params, *parts),
    }
    t_hvp = torch_hvp(net, X, Y)
    if t_hvp is not None:
        contenders["torch.func HVP (eager)"] = t_hvp
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"size {args.size}: {n} samples, {d}-{h}-{k}; load average {load:.2f} "
          f"on {os.cpu_count()} cores")  # fmt: skip
    times = {name: float("inf") for name in contenders}
    for _ in range(args.repeat):  # interleaved rounds: load changes hit every contender alike
        for name, fn_ in contenders.items():
            times[name] = min(times[name], best_of(fn_, 1))
    for name, t in times.items():
        print(f"  {name:24s} {1e3 * t:8.2f} ms")
    ratio = times["symnn HVP"] / times["symnn gradient"]
    print(f"HVP / gradient: {ratio:.2f}x (target <= 2.5x): {'ok' if ratio <= 2.5 else 'MISSED'}")
    if t_hvp is not None:
        r = times["symnn HVP"] / times["torch.func HVP (eager)"]
        print(f"symnn HVP / torch.func HVP: {r:.2f}x (target <= 1.0x): {'ok' if r <= 1.0 else 'MISSED'}")
    print(f"load average after: {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "")


if __name__ == "__main__":
    main()
