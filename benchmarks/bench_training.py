"""Time per training step: symnn (NumPy path, numba path, ``fit``) against a careful hand-written
NumPy step, PyTorch eager, torch.compile and JAX jit (when installed), in one interleaved run.

One step = forward pass, backward pass, SGD update; float64. Cases (samples · layers):

* toy    4 · 3-4-1, mid 1000 · 20-64-1, large 10000 · 100-256-1: sigmoid hidden and output,
  SSE, biases (the seed's network, with biases);
* mid-tanh, mid-relu (hidden activation), mid-3layer (20-64-64-1), mid-ce10 (softmax
  cross-entropy, 10 classes);
* mini-batch 32 and 128 on the mid data: time per epoch against a hand-written NumPy
  mini-batch loop (shuffle, gather, step).

Columns, as the ratio of median time per step to the hand-written NumPy step of the same case
measured in the same rounds (below 1: faster than hand-written):

* ``step``: symnn's generated NumPy step alone (gradient + update), as ``fit`` calls it;
* ``fit``: ``net.fit(..., jit=False)``, per epoch (bookkeeping included);
* ``step_jit``: the fused numba gradient (``symnn.nn.jit``) + the update, per step;
* ``step_blk``: the row-blocked two-thread numba step (one parallel call per gradient, 1-thread
  BLAS per row block) + the update, where the batch is big enough for it (``fit_jit`` then
  trains with it too);
* ``fit_jit``: ``net.fit`` with the numba kernels, compiled beforehand (for tiny networks the
  whole loop of epochs is one compiled call; ``loop_jit`` is that call made directly);
* ``numpy_best``: the expert step of the shared peers (``--peers DIR``), when present;
* ``torch``, ``torch.compile``, ``jax``: the same step in each, when installed;
* ``products`` (mid and large): the step's two big matrix products alone (``X @ W1`` and
  ``X.T @ D1``, NumPy's BLAS on all threads): a floor no step that computes them goes below.

Implementations take turns within every round (interleaved): after a pause and one untimed
step (see :func:`interleaved`), each times a block of steps. Printed with the results: the
load average before and after, and (on Linux) the CPU time other processes used during the
run, in cores: on a shared machine only ratios measured in the same run mean anything, and a
run beside other work is marked as such (this run's own threads raise the load average, so
the mark goes by the other processes' share).

Also printed: peak memory (tracemalloc) of a short training run against the hand-written one
(target <= 1.2x), and the cold start of a new process: from ``Network(...)`` to the first
finished step, and to the compiled kernels, with an empty and with a filled kernel cache.

Run: ``python benchmarks/bench_training.py [--rounds 15] [--no-peers] [--quick]``
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from itertools import pairwise
from pathlib import Path

import numpy as np
from scipy.special import expit

import symnn as sn
from symnn.nn.jit import numba_available

#: name -> (n, layer widths, hidden activation, loss, steps per timed block)
CASES = {
    "toy": (4, [3, 4, 1], "sigmoid", "sse", 2000),
    "mid": (1000, [20, 64, 1], "sigmoid", "sse", 100),
    "large": (10000, [100, 256, 1], "sigmoid", "sse", 4),
    "mid-tanh": (1000, [20, 64, 1], "tanh", "sse", 100),
    "mid-relu": (1000, [20, 64, 1], "relu", "sse", 100),
    "mid-3layer": (1000, [20, 64, 64, 1], "sigmoid", "sse", 60),
    "mid-ce10": (1000, [20, 64, 10], "sigmoid", "cross_entropy", 60),
}
PEER_CASES = ("toy", "mid", "large")
LR = 1e-4


# -- the hand-written baseline ------------------------------------------------------------------


class HandWritten:
    """An expert's NumPy step: preallocated buffers, in-place ufuncs, the loss's factor and the
    learning rate folded into the output delta, the derivative from the layer's output."""

    def __init__(self, n: int, layers: list[int], act: str, loss: str) -> None:
        self.act, self.loss = act, loss
        self.L = len(layers) - 1
        self.Z = [np.empty((n, w)) for w in layers[1:]]
        self.A = [np.empty((n, w)) for w in layers[1:]]
        self.D = [np.empty((n, w)) for w in layers[1:]]
        self.T = [np.empty((n, w)) for w in layers[1:]]
        self.gW = [np.empty((a, b)) for a, b in pairwise(layers)]
        self.gb = [np.empty(b) for b in layers[1:]]
        self.M = np.empty((n, 1))
        self.S = np.empty((n, 1))

    def _f(self, Z, A):
        if self.act == "sigmoid":
            expit(Z, out=A)
        elif self.act == "tanh":
            np.tanh(Z, out=A)
        else:
            np.maximum(Z, 0.0, out=A)

    def _fprime_times(self, A, D, T):  # D *= f'(Z), from A
        if self.act == "sigmoid":
            np.subtract(1.0, A, out=T)
            T *= A
            D *= T
        elif self.act == "tanh":
            np.multiply(A, A, out=T)
            np.subtract(1.0, T, out=T)
            D *= T
        else:
            np.greater(A, 0.0, out=T)  # casts to 0.0 / 1.0
            D *= T

    def step(self, X, Y, params, lr):
        L, Z, A, D, T = self.L, self.Z, self.A, self.D, self.T
        W = params[0::2]
        b = params[1::2]
        prev = X
        for i in range(L):
            np.matmul(prev, W[i], out=Z[i])
            Z[i] += b[i]
            if i < L - 1:
                self._f(Z[i], A[i])
                prev = A[i]
        out, d = A[-1], D[-1]
        if self.loss == "sse":  # sigmoid output: d = 2 (a - y) a (1 - a), times lr
            expit(Z[-1], out=out)
            np.subtract(out, Y, out=d)
            np.subtract(1.0, out, out=T[-1])
            T[-1] *= out
            d *= T[-1]
            d *= 2.0 * lr
        else:  # softmax + cross-entropy (mean): d = (softmax - y) / n, times lr
            np.max(Z[-1], axis=1, keepdims=True, out=self.M)
            np.subtract(Z[-1], self.M, out=out)
            np.exp(out, out=out)
            np.sum(out, axis=1, keepdims=True, out=self.S)
            out /= self.S
            np.subtract(out, Y, out=d)
            d *= lr / X.shape[0]
        for i in range(L - 1, -1, -1):
            np.matmul((A[i - 1] if i else X).T, D[i], out=self.gW[i])
            np.sum(D[i], axis=0, out=self.gb[i])
            if i:
                np.matmul(D[i], W[i].T, out=D[i - 1])
                self._fprime_times(A[i - 1], D[i - 1], T[i - 1])
        for i in range(L):
            W[i] -= self.gW[i]
            b[i] -= self.gb[i]


def hand_minibatch_epoch(hands: dict, X, Y, params, batch: int, rng, buffers: dict) -> None:
    """One epoch of mini-batches: shuffle, gather into fixed buffers, step."""
    n = X.shape[0]
    order = rng.permutation(n)
    for lo in range(0, n, batch):
        idx = order[lo : lo + batch]
        Xb, Yb = buffers[idx.shape[0]]
        np.take(X, idx, axis=0, out=Xb)
        np.take(Y, idx, axis=0, out=Yb)
        hands[idx.shape[0]].step(Xb, Yb, params, LR)


# -- peers --------------------------------------------------------------------------------------

#: the folder of the shared peer implementations (``numpy_best.py``), when present; set by --peers
PEERS: Path | None = None


def numpy_best(X, Y, params):
    """The expert NumPy step of the shared peers (``numpy_best.MLPBest``), or None without it."""
    if PEERS is None or not (PEERS / "numpy_best.py").is_file():
        return None
    if str(PEERS) not in sys.path:
        sys.path.insert(0, str(PEERS))
    try:
        from numpy_best import MLPBest
    except ImportError:
        return None
    W1, b1, W2, b2 = (p.copy() for p in params)
    best = MLPBest(X, Y, W1, b1, W2, b2, lr=LR)
    best.step()
    return best


def torch_steps(X, Y, params):
    """``(eager, compiled)`` steps, or Nones without PyTorch."""
    try:
        import torch
    except ImportError:
        return None, None
    torch.set_num_threads(os.cpu_count() or 1)
    Xt, Yt = torch.tensor(X), torch.tensor(Y)
    t = [torch.tensor(p.copy(), requires_grad=True) for p in params]

    def loss_of(W1, b1, W2, b2):
        out = torch.sigmoid(torch.sigmoid(Xt @ W1 + b1) @ W2 + b2)
        return ((out - Yt) ** 2).sum()

    def eager():
        g = torch.autograd.grad(loss_of(*t), t)
        with torch.no_grad():
            torch._foreach_add_(t, g, alpha=-LR)

    compiled_fn = None
    try:
        compiled_fn = torch.compile(eager, fullgraph=False)
        compiled_fn()  # compile outside the timing
    except Exception as err:  # torch.compile needs a C compiler; report and go on
        print(f"(torch.compile unavailable: {type(err).__name__}: {err})"[:200])
        compiled_fn = None
    return eager, compiled_fn


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
    def update(p, X, Y):
        g = jax.grad(loss)(p, X, Y)
        return [a - LR * b for a, b in zip(p, g, strict=True)]

    state = {"p": [jnp.asarray(a) for a in params]}
    Xj, Yj = jnp.asarray(X), jnp.asarray(Y)

    def step():
        state["p"] = update(state["p"], Xj, Yj)
        state["p"][0].block_until_ready()

    step()  # compile outside the timing
    return step


# -- measuring ----------------------------------------------------------------------------------


def data(n: int, layers: list[int], loss: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, layers[0]))
    if loss == "cross_entropy":
        return X, rng.integers(0, layers[-1], n)
    return X, (rng.random((n, layers[-1])) > 0.5).astype(float)


def network(layers, act, loss, jit):
    return sn.Network(layers, activation=act, loss=loss, bias=True, seed=0, jit=jit)


#: the best (lowest) time per step of each contender in the last :func:`interleaved` run
BEST: dict[str, float] = {}


def interleaved(contenders: dict, rounds: int, gap: float = 0.0) -> dict[str, float]:
    """Median over rounds of the time per step, in the steady state of a training loop (the
    best round of each contender goes to :data:`BEST`).

    *contenders* maps a name to ``(run, steps)``: ``run(k)`` makes k steps (or epochs).
    Contenders take turns within each round, the order rotating from round to round. Each
    turn: *gap* seconds idle (the previous contender's BLAS and numba worker threads stop
    spinning: OpenBLAS's spin for about 0.1 s and take a core from whoever runs next), one
    untimed step (it wakes this contender's worker threads: on this kind of virtual
    machine a thread asleep for a while takes up to 7 ms to wake, once, which a training
    loop pays once and a timed block of 40 steps would pay on every turn), then *steps*
    steps timed.
    """
    times: dict[str, list[float]] = {k: [] for k in contenders}
    names = list(contenders)
    for run, steps in contenders.values():
        run(steps)  # warm up: caches, buffers, thread pools
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            run, steps = contenders[name]
            if gap:
                time.sleep(gap)
            run(1)
            t0 = time.perf_counter()
            run(steps)
            times[name].append((time.perf_counter() - t0) / steps)
    BEST.clear()
    BEST.update({k: min(v) for k, v in times.items()})
    return {k: statistics.median(v) for k, v in times.items()}


def load() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def _busy_seconds() -> float | None:
    """CPU seconds all processes have spent busy since boot (Linux ``/proc/stat``), or None."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class OtherLoad:
    """Cores other processes kept busy since this was made: (all busy time - ours) / wall time."""

    def __init__(self) -> None:
        self._t, self._busy, self._ours = time.perf_counter(), _busy_seconds(), self._own()

    @staticmethod
    def _own() -> float:
        t = os.times()
        return t.user + t.system

    def cores(self) -> float | None:
        busy = _busy_seconds()
        if busy is None or self._busy is None:
            return None
        wall = time.perf_counter() - self._t
        return max(0.0, (busy - self._busy) - (self._own() - self._ours)) / max(wall, 1e-9)


def case_contenders(name: str, peers: bool) -> dict:
    n, layers, act, loss, steps = CASES[name]
    X, y = data(n, layers, loss)
    ref = network(layers, act, loss, jit=False)
    fast = network(layers, act, loss, jit=True)
    kernels = fast.jit_kernels()
    if kernels is not None:
        kernels.wait("train_sgd" if kernels.tiny(n) else "fused")
        kernels.wait("fused")
        if kernels.big(n):
            kernels.wait("blocked")
    Xc, Yc = ref.check_data(X, y)
    hand = HandWritten(n, layers, act, loss)
    hand_params = [p.copy() for p in ref.params.values()]
    gradient, grads = ref.workspace(n)
    sgd = ref.updater("sgd", flat=True)  # as fit updates: all parameters in one pass
    params = ref.params.arrays()

    def hand_run(k):
        for _ in range(k):
            hand.step(Xc, Yc, hand_params, LR)

    def step_run(k):
        for _ in range(k):
            gradient(Xc, Yc, *params)
            sgd(LR, ref.params.flat, grads[0].base)

    out = {
        "hand": (hand_run, steps),
        "step": (step_run, steps),
        "fit": (lambda k: ref.fit(X, y, epochs=k, lr=LR, warn=False, progress=False), steps),
    }
    if kernels is not None:
        jgradient, jgrads = kernels.workspace(n, "fused")
        jparams = fast.params.arrays()
        jsgd, jflat = fast.updater("sgd", flat=True), fast.params.flat

        def step_jit_run(k):
            for _ in range(k):
                jgradient(Xc, Yc, *jparams)
                jsgd(LR, jflat, jgrads[0].base)

        out["step_jit"] = (step_jit_run, steps)
        if kernels.big(n) and kernels.ready("blocked") is not None:
            bgradient, bgrads = kernels.workspace(n, "blocked")

            def step_blk_run(k):
                with kernels.holding(n):  # BLAS at one thread for the run, as fit holds it
                    for _ in range(k):
                        bgradient(Xc, Yc, *jparams)
                        jsgd(LR, jflat, bgrads[0].base)

            out["step_blk"] = (step_blk_run, steps)
        if kernels.tiny(n):  # the bare whole-loop kernel, called as fit calls it, minus fit
            train, flat = kernels._module.train_sgd, fast.params.flat.copy()
            backup, state = flat.copy(), np.zeros((0, flat.size))
            scalars, losses, scale = np.array([[LR]]), np.empty(steps), sn.nn.jit._scale(fast, n)
            out["loop_jit"] = (
                lambda k: train(Xc, Yc, flat, backup, state, scalars, losses, 0, k, scale),
                steps,
            )
        out["fit_jit"] = (
            lambda k: fast.fit(X, y, epochs=k, lr=LR, warn=False, progress=False),
            steps,
        )
    if name in PEER_CASES and name != "toy":  # the floor: the step's two big products alone
        W1, G1 = hand_params[0], np.empty((layers[0], layers[1]))
        D1 = np.random.default_rng(1).standard_normal((n, layers[1]))
        Z1 = np.empty_like(D1)

        def products_run(k):
            for _ in range(k):
                np.matmul(Xc, W1, out=Z1)
                np.matmul(Xc.T, D1, out=G1)

        out["products"] = (products_run, steps)
    best = numpy_best(Xc, Yc, hand_params) if name in PEER_CASES else None
    if best is not None:
        out["numpy_best"] = ((lambda k: [best.step() for _ in range(k)]), steps)
    if peers and name in PEER_CASES:
        eager, compiled = torch_steps(Xc, Yc, hand_params)
        jstep = jax_step(Xc, Yc, hand_params)
        for key, fn in (("torch", eager), ("torch.compile", compiled), ("jax", jstep)):
            if fn is not None:
                out[key] = ((lambda k, f=fn: [f() for _ in range(k)]), steps)
    return out


def minibatch_contenders(batch: int) -> dict:
    n, layers, act, loss, _ = CASES["mid"]
    X, y = data(n, layers, loss)
    ref = network(layers, act, loss, jit=False)
    fast = network(layers, act, loss, jit=True)
    if fast.jit_kernels() is not None:
        fast.jit_kernels().wait("fused")
    Xc, Yc = ref.check_data(X, y)
    sizes = {batch, n % batch} - {0}
    hands = {m: HandWritten(m, layers, act, loss) for m in sizes}
    buffers = {m: (np.empty((m, Xc.shape[1])), np.empty((m, Yc.shape[1]))) for m in sizes}
    params = [p.copy() for p in ref.params.values()]
    rng = np.random.default_rng(0)
    epochs = 2
    out = {
        "hand": (lambda k: [hand_minibatch_epoch(hands, Xc, Yc, params, batch, rng, buffers)
                            for _ in range(k)], epochs),
        "fit": (lambda k: ref.fit(X, y, epochs=k, lr=LR, batch_size=batch, seed=0,
                                  warn=False, progress=False), epochs),
    }
    if fast.jit_kernels() is not None:
        out["fit_jit"] = (lambda k: fast.fit(X, y, epochs=k, lr=LR, batch_size=batch,
                                             seed=0, warn=False, progress=False), epochs)
    return out


def peak_memory(run) -> int:
    gc.collect()
    tracemalloc.start()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def bench_memory() -> None:
    n, layers, act, loss, _ = CASES["large"]
    X, y = data(n, layers, loss)
    Xc, Yc = network(layers, act, loss, jit=False).check_data(X, y)
    params = [p.copy() for p in network(layers, act, loss, jit=False).params.values()]

    def hand_run():
        hand = HandWritten(n, layers, act, loss)
        for _ in range(3):
            hand.step(Xc, Yc, params, LR)

    fast = network(layers, act, loss, jit=True)
    if fast.jit_kernels() is not None:
        fast.jit_kernels().wait("fused")
    m_hand = peak_memory(hand_run)
    for label, jit in (("fit", False), ("fit_jit", True)):
        net = network(layers, act, loss, jit=jit)
        m = peak_memory(lambda net=net: net.fit(Xc, Yc, epochs=3, lr=LR, warn=False))
        print(f"peak memory, 3 epochs at large: {label} {m / 2**20:.1f} MiB, hand-written "
              f"{m_hand / 2**20:.1f} MiB, ratio {m / m_hand:.2f} (target <= 1.2)")


_COLD = """
import time, numpy as np
t0 = time.perf_counter()
import symnn as sn
import symnn.nn.training  # the facade is lazy: import what training needs, outside the timing
t1 = time.perf_counter()
X = np.random.default_rng(0).standard_normal((1000, 20)); y = (X[:, :1] > 0).astype(float)
net = sn.Network([20, 64, 1], activation="sigmoid", loss="sse", seed=0, jit={jit})
net.fit(X, y, epochs=1, lr=1e-3, warn=False)
t2 = time.perf_counter()
k = net.jit_kernels()
ok = k is not None and k.wait("fused") is not None
t3 = time.perf_counter()
print(f"{{t1 - t0:.2f}} {{t2 - t1:.3f}} {{t3 - t1:.2f}} {{ok}}")
"""


def bench_cold() -> None:
    folder = tempfile.mkdtemp(prefix="symnn-bench-numba-")
    root = str(Path(__file__).resolve().parents[1])  # this checkout's symnn, not another install
    path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
    env = dict(os.environ, SYMNN_JIT_CACHE_DIR=folder, SYMNN_JIT="1", PYTHONPATH=path)
    for label, jit in (("NumPy only", False), ("jit, empty cache", True), ("jit, warm cache", True)):
        out = subprocess.run([sys.executable, "-c", _COLD.format(jit=jit)], env=env,
                             capture_output=True, text=True, check=True).stdout.split()
        ready = f", kernels ready after {out[2]} s" if out[3] == "True" else ""
        print(f"cold start ({label}): import {out[0]} s; Network(...) to the first finished step "
              f"{out[1]} s (target <= 0.5){ready}")


def blas_threads(limit: int | None) -> str:
    """Limit BLAS to *limit* threads (kept for the whole run); the setting, as printed."""
    try:
        import threadpoolctl
    except ImportError:
        return "as configured (threadpoolctl missing: --blas-threads ignored)"
    if limit is not None:
        global _LIMIT
        _LIMIT = threadpoolctl.threadpool_limits(limit, user_api="blas")
    pools = [p for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    return ", ".join(f"{p['internal_api']} {p['num_threads']}" for p in pools) or "unknown"


_LIMIT = None


def _cell(med: dict, key: str, base: str) -> str:
    if key not in med or base not in med:
        return f"{'-':>11}"
    ratio = med[key] / med[base]
    return f"{ratio:>11.3f}" if ratio < 0.1 else f"{ratio:>11.2f}"


def main(argv: list[str] | None = None) -> int:
    global PEERS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--gap", type=float, default=0.5,
                        help="seconds idle before each contender's turn (default 0.5: long "
                             "enough for the previous contender's BLAS threads to stop spinning)")
    parser.add_argument("--no-peers", action="store_true", help="skip PyTorch and JAX")
    parser.add_argument("--peers", type=Path, default=Path(__file__).resolve().parents[1].parent
                        / "shared" / "peers",
                        help="folder with the shared peers' numpy_best.py (optional)")
    parser.add_argument("--quick", action="store_true", help="toy, mid and large only")
    parser.add_argument("--blas-threads", type=int,
                        help="limit BLAS to this many threads (needs threadpoolctl)")
    parser.add_argument("--cases", help=f"comma-separated, from {', '.join(CASES)}")
    parser.add_argument("--no-extras", action="store_true",
                        help="skip the mini-batch, memory and cold-start measurements")
    args = parser.parse_args(argv)
    PEERS = args.peers
    blas = blas_threads(args.blas_threads)
    cpus = os.cpu_count() or 1
    start_load = load()
    others = OtherLoad()
    have_best = (PEERS / "numpy_best.py").is_file()
    numba = numba_available()
    print(f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {cpus} CPUs, numpy {np.__version__}, "
          f"numba {'installed' if numba else 'missing (no jit columns)'}, "
          f"BLAS threads {blas}, load average {start_load:.2f} at the start")
    print(f"numpy_best: {PEERS / 'numpy_best.py' if have_best else 'not found (--peers DIR)'}")
    names = list(CASES)[:3] if args.quick else list(CASES)
    if args.cases:
        names = [c.strip() for c in args.cases.split(",")]
        unknown = sorted(set(names) - set(CASES))
        if unknown:
            parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(CASES)}")
    cols = ["step", "fit", "step_jit", "step_blk", "fit_jit", "loop_jit", "numpy_best", "torch", "t.compile", "jax"]
    print("\nTime per step, ratio to the hand-written NumPy step of the same case and rounds:")
    print(f"{'case':<11} {'hand µs':>9} " + "".join(f"{c:>11}" for c in cols) + "  load")
    summary, best_of = {}, {}
    for name in names:
        contenders = case_contenders(name, peers=not args.no_peers)
        if "torch.compile" in contenders:
            contenders["t.compile"] = contenders.pop("torch.compile")
        before = load()
        med = interleaved(contenders, args.rounds, args.gap)
        summary[name] = med
        best_of[name] = dict(BEST)
        cells = "".join(_cell(med, c, "hand") for c in cols)
        print(f"{name:<11} {med['hand'] * 1e6:9.1f} {cells}  {max(before, load()):.1f}")
    if have_best:
        print("\nRatio to the expert numpy_best step (issue targets: fit_jit toy <= 0.2, "
              "mid <= 0.5, large <= 0.55):")
        keys = ["fit", "fit_jit", "step_jit", "step_blk", "torch", "t.compile", "jax", "products"]
        print(f"{'case':<11} {'best µs':>9} " + "".join(f"{c:>11}" for c in keys))
        for name in PEER_CASES:
            med = summary.get(name, {})
            if "numpy_best" in med:
                print(f"{name:<11} {med['numpy_best'] * 1e6:9.1f} "
                      + "".join(_cell(med, c, "numpy_best") for c in keys))
    print("\nBookkeeping: fit / its bare step, best round of each (noise only adds time; "
          "target <= 1.05):")
    for name in names:
        med = best_of[name]
        bare = "loop_jit" if "loop_jit" in med else ("step_blk" if "step_blk" in med else "step_jit")
        print(f"{name:<11} NumPy {_cell(med, 'fit', 'step')}   jit {_cell(med, 'fit_jit', bare)}"
              + ("  (jit: against the bare whole-loop kernel)" if bare == "loop_jit" else ""))
    if not args.no_extras:
        print("\nMini-batch epoch, ratio to a hand-written NumPy mini-batch loop (target <= 0.8):")
        print(f"{'case':<11} {'hand ms':>9} {'fit':>11} {'fit_jit':>11}  load")
        for batch in (32, 128):
            before = load()
            med = interleaved(minibatch_contenders(batch), max(5, args.rounds // 2), args.gap)
            print(f"{'mid b=' + str(batch):<11} {med['hand'] * 1e3:9.2f} {_cell(med, 'fit', 'hand')}"
                  f"{_cell(med, 'fit_jit', 'hand')}  {max(before, load()):.1f}")
        print()
        bench_memory()
        bench_cold()
    end_load = load()
    other = others.cores()
    loaded = other > 0.25 if other is not None else start_load > 0.5 * cpus
    shown = f"; other processes used {other:.2f} cores during the run" if other is not None else ""
    print(f"\nload average {start_load:.2f} -> {end_load:.2f} on {cpus} CPUs{shown}"
          + ("  ** RUN BESIDE OTHER WORK: compare ratios only **" if loaded else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
