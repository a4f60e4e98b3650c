"""Time per training step: symnn's generated code against a careful hand-written NumPy step.

One step = forward pass, backward pass, SGD update; full batch, float64. The
network is the seed's kind: sigmoid hidden layer, sigmoid output, SSE loss,
with biases. Three sizes:

* toy   -- 4 samples, 3-4-1
* mid   -- 1000 samples, 20-64-1
* large -- 10000 samples, 100-256-1

The hand-written baseline is what an expert writes: preallocated buffers,
in-place ufuncs, no needless temporaries. PyTorch (CPU, eager) and JAX (jit)
are timed too when they are installed. Everything is measured in the same run
and printed as ratios (machines are shared and noisy: the timings interleave
the contenders and keep the best of many repeats).

Also printed: the time to build and compile a 2-layer network, and the peak
memory (tracemalloc) of a short training run against the hand-written one.

Targets: <= 1.10x hand-written at mid and large, <= 1.5x at toy; faster than
PyTorch eager at toy and mid; build + compile <= 0.5 s; peak memory <= 1.2x.

Run: ``python benchmarks/bench_training.py [--repeat 30]``
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import numpy as np
from scipy.special import expit

import symnn as sn

SIZES = {"toy": (4, 3, 4, 1), "mid": (1000, 20, 64, 1), "large": (10000, 100, 256, 1)}


class HandWritten:
    """An expert's NumPy step for sigmoid-sigmoid-SSE with biases."""

    def __init__(self, n: int, d: int, h: int, k: int) -> None:
        self.A1 = np.empty((n, h))
        self.A2 = np.empty((n, k))
        self.D1 = np.empty((n, h))
        self.D2 = np.empty((n, k))
        self.T1 = np.empty((n, h))
        self.T2 = np.empty((n, k))
        self.gW1, self.gb1 = np.empty((d, h)), np.empty(h)
        self.gW2, self.gb2 = np.empty((h, k)), np.empty(k)

    def step(self, X, Y, W1, b1, W2, b2, lr):
        A1, A2, D1, D2, T1, T2 = self.A1, self.A2, self.D1, self.D2, self.T1, self.T2
        np.matmul(X, W1, out=A1)
        A1 += b1
        expit(A1, out=A1)
        np.matmul(A1, W2, out=A2)
        A2 += b2
        expit(A2, out=A2)
        np.subtract(A2, Y, out=D2)  # dL/dA2 = 2 (A2 - Y)
        np.subtract(1.0, A2, out=T2)
        T2 *= A2
        D2 *= T2
        D2 *= 2.0
        np.matmul(A1.T, D2, out=self.gW2)
        np.sum(D2, axis=0, out=self.gb2)
        np.matmul(D2, W2.T, out=D1)
        np.subtract(1.0, A1, out=T1)
        T1 *= A1
        D1 *= T1
        np.matmul(X.T, D1, out=self.gW1)
        np.sum(D1, axis=0, out=self.gb1)
        for p, g in ((W1, self.gW1), (b1, self.gb1), (W2, self.gW2), (b2, self.gb2)):
            g *= lr
            p -= g


def symnn_step(net, X, Y):
    """The step exactly as ``Network.fit`` runs it (gradient, then the SGD update)."""
    gradient, grads = net._workspace(X.shape[0])
    sgd = net._code[1]["sgd"]
    params = tuple(net.params.values())

    def step(lr):
        gradient(X, Y, *params)
        sgd(lr, *params, *grads)

    return step


def torch_step(X, Y, params):
    try:
        import torch
    except ImportError:
        return None
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    t = [torch.tensor(p.copy(), requires_grad=True) for p in params]

    def step(lr):
        W1, b1, W2, b2 = t
        out = torch.sigmoid(torch.sigmoid(Xt @ W1 + b1) @ W2 + b2)
        loss = ((out - Yt) ** 2).sum()
        loss.backward()
        with torch.no_grad():
            for p in t:
                p -= lr * p.grad
                p.grad = None

    return step


def jax_step(X, Y, params):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def loss(p, X, Y):
        W1, b1, W2, b2 = p
        out = jax.nn.sigmoid(jax.nn.sigmoid(X @ W1 + b1) @ W2 + b2)
        return jnp.sum((out - Y) ** 2)

    @jax.jit
    def update(p, X, Y, lr):
        g = jax.grad(loss)(p, X, Y)
        return [a - lr * b for a, b in zip(p, g, strict=True)]

    state = {"p": [jnp.asarray(a) for a in params]}
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)

    def step(lr):
        state["p"] = update(state["p"], Xj, Yj, lr)
        state["p"][0].block_until_ready()

    step(0.0)  # compile outside the timing
    return step


def interleaved_best(contenders: dict, repeat: int, number: int) -> dict[str, float]:
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeat):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            for _ in range(number):
                fn(1e-6)
            best[name] = min(best[name], (time.perf_counter() - t0) / number)
    return best


def setup(size: str):
    n, d, h, k = SIZES[size]
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d))
    Y = rng.uniform(size=(n, k))
    net = sn.Network([d, h, k], activation="sigmoid", loss="sse", bias=True, seed=0)
    return net, X, Y


def bench_steps(repeat: int) -> None:
    print(f"{'size':<6} {'symnn/hand':>10} {'torch/symnn':>12} {'jax/symnn':>10}   per-step times")
    for size, (n, d, h, k) in SIZES.items():
        net, X, Y = setup(size)
        hand_params = [p.copy() for p in net.params.values()]
        hand = HandWritten(n, d, h, k)
        contenders = {
            "symnn": symnn_step(net, X, Y),
            "hand": lambda lr, hp=hand_params, hw=hand, X=X, Y=Y: hw.step(X, Y, *hp, lr),
        }
        extra = {"torch": torch_step(X, Y, hand_params), "jax": jax_step(X, Y, hand_params)}
        contenders.update({k2: v for k2, v in extra.items() if v is not None})
        number = {"toy": 200, "mid": 20, "large": 2}[size]
        best = interleaved_best(contenders, repeat, number)
        ratio = best["symnn"] / best["hand"]
        torch_r = f"{best['torch'] / best['symnn']:.2f}" if "torch" in best else "n/a"
        jax_r = f"{best['jax'] / best['symnn']:.2f}" if "jax" in best else "n/a"
        times = ", ".join(f"{k2} {v * 1e6:.1f} us" for k2, v in best.items())
        target = 1.5 if size == "toy" else 1.10
        flag = "" if ratio <= target else f"  <-- over {target}x"
        print(f"{size:<6} {ratio:10.2f} {torch_r:>12} {jax_r:>10}   {times}{flag}")
    print("(torch and jax columns: their time / symnn's; above 1 means symnn is faster)")


def bench_build() -> None:
    best = float("inf")
    for i in range(3):
        # a new activation object each time, so no symbolic result is cached between runs
        act = sn.Activation(sn.activation("sigmoid").expr, name=f"sig{i}")
        t0 = time.perf_counter()
        net = sn.Network([20, 64, 1], activation=act, loss="mse", seed=0)
        net._workspace(32)
        best = min(best, time.perf_counter() - t0)
    print(f"build + compile a 2-layer network: {best:.3f} s (target <= 0.5 s)")


def peak_memory(run) -> int:
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def bench_memory() -> None:
    net, X, Y = setup("large")
    n, d, h, k = SIZES["large"]
    params = [p.copy() for p in net.params.values()]

    def hand_run():
        hand = HandWritten(n, d, h, k)
        for _ in range(3):
            hand.step(X, Y, *params, 1e-6)

    def symnn_run():
        fresh, _, _ = setup("large")
        fresh.fit(X, Y, epochs=3, lr=1e-6)

    m_hand, m_symnn = peak_memory(hand_run), peak_memory(symnn_run)
    print(
        f"peak memory of 3 training steps (large): symnn {m_symnn / 2**20:.1f} MiB, "
        f"hand-written {m_hand / 2**20:.1f} MiB, ratio {m_symnn / m_hand:.2f} (target <= 1.2)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    bench_steps(args.repeat)
    bench_build()
    bench_memory()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
