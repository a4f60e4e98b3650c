"""symnn.nn.jit: the numba kernels against the NumPy training code (the reference), the
fallbacks, and the disk cache. Few distinct networks, so that little is compiled."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import symnn as sn
from symnn.nn import jit

pytest.importorskip("numba")

#: (layers, options): sigmoid + SSE with biases; tanh, 3 layers, softmax-CE with 10 classes;
#: ReLU without biases, MSE on 2 outputs (the derivative needs Z, kept apart from A)
CASES = [
    ([3, 5, 1], dict(activation="sigmoid", loss="sse")),
    ([4, 6, 5, 10], dict(activation="tanh", loss="cross_entropy")),
    ([3, 6, 2], dict(activation="relu", output_activation="identity", loss="mse", bias=False)),
]


def _pair(layers, options, seed=0):
    return (
        sn.Network(layers, seed=seed, jit=True, **options),
        sn.Network(layers, seed=seed, jit=False, **options),
    )


def _data(layers, options, n=40, seed=1):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, layers[0]))
    if options["loss"] == "cross_entropy":
        return X, rng.integers(0, layers[-1], n)
    if options["loss"] == "sse":
        return X, (rng.random((n, layers[-1])) > 0.5).astype(float)
    return X, rng.standard_normal((n, layers[-1]))


def _rel(a, b):
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.parametrize(("layers", "options"), CASES, ids=["sigmoid-sse", "tanh-ce10", "relu-mse"])
def test_fused_kernels_give_the_numpy_gradients(layers, options):
    fast, ref = _pair(layers, options)
    kernels = fast.jit_kernels().wait("fused")
    assert kernels is not None, fast.jit_kernels().errors
    X, y = _data(layers, options)
    Xc, Yc = ref.check_data(X, y)
    gradient, grads = kernels.workspace(X.shape[0])
    loss = gradient(Xc, Yc, *fast.params.arrays())
    expected = ref.gradients(X, y)
    assert loss == pytest.approx(ref.loss_value(X, y), rel=1e-14)
    for key, g in zip(ref.params, grads, strict=True):
        assert _rel(g, expected[key]) <= 1e-14, key
    # a mini-batch run (the fused gradient per batch) follows the NumPy run
    hf = fast.fit(X, y, epochs=20, lr=0.05, batch_size=16, seed=0, warn=False)
    hr = ref.fit(X, y, epochs=20, lr=0.05, batch_size=16, seed=0, warn=False)
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-13)
    for key in ref.params:
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-13, atol=1e-15)


def test_whole_loop_kernel_reproduces_the_seed_tutorial_step_by_step():
    """The tutorial's network, one epoch per fit call (one compiled call each), equals the NumPy
    path at every iteration; so does a 300-epoch run in one call, loss history included."""
    X, y = sn.data.seed_data()
    kw = dict(activation="sigmoid", loss="sse", bias=False)
    fast, ref = _pair([3, 4, 1], kw, seed=1)
    assert fast.jit_kernels().wait("train_sgd") is not None
    for _ in range(200):
        fast.fit(X, y, epochs=1, lr=1.0, warn=False)
        ref.fit(X, y, epochs=1, lr=1.0, warn=False)
        for key in ref.params:
            np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=0, atol=1e-12)
    hf = fast.fit(X, y, epochs=300, lr=1.0)
    hr = ref.fit(X, y, epochs=300, lr=1.0)
    assert hf.epochs == 300
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-13)
    for key in ref.params:  # the 1e-12 (rounding of 500 steps at lr=1: 1.1e-13 on W1[0, 0] = 0.02)
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-12)


def test_whole_loop_adam_takes_the_step_dependent_scalars():
    X, y = sn.data.seed_data()
    kw = dict(activation="sigmoid", loss="sse", bias=False)
    fast, ref = _pair([3, 4, 1], kw, seed=2)
    assert fast.jit_kernels().wait("train_adam") is not None
    hf = fast.fit(X, y, epochs=50, lr=0.05, optimizer="adam", warn=False)
    hr = ref.fit(X, y, epochs=50, lr=0.05, optimizer="adam", warn=False)
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-12)
    for key in ref.params:  # Adam divides by sqrt(s): rounding of small gradients shows a little
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-12, atol=1e-13)


def test_whole_loop_divergence_restores_the_last_finite_state():
    X, y = sn.data.seed_data()
    kw = dict(activation="identity", output_activation="identity", loss="sse", bias=False)
    fast, ref = _pair([3, 4, 1], kw, seed=1)
    # identity layers: the whole-loop kernel is compiled for this spec on first use
    fast.jit_kernels().wait("train_sgd")
    with pytest.raises(sn.nn.training.DivergenceError) as got:
        fast.fit(X * 1e3, y, epochs=200, lr=10.0)
    with pytest.raises(sn.nn.training.DivergenceError) as want:
        ref.fit(X * 1e3, y, epochs=200, lr=10.0)
    assert str(got.value) == str(want.value)
    assert fast.history_.epochs == ref.history_.epochs > 0
    for key in ref.params:
        assert np.all(np.isfinite(fast.params[key]))
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-12)


def test_numpy_path_when_switched_off_missing_or_unsupported(monkeypatch):
    layers, options = CASES[0]
    assert sn.Network(layers, jit=False, **options).jit_kernels() is None
    monkeypatch.setenv("SYMNN_JIT", "0")
    assert sn.Network(layers, **options).jit_kernels() is None
    monkeypatch.setenv("SYMNN_JIT", "1")
    assert sn.Network(layers, **options).jit_kernels() is not None
    monkeypatch.setattr(jit, "numba_available", lambda: False)
    net = sn.Network(layers, jit=True, **options)
    assert net.jit_kernels() is None and "numba" not in net.source()
    monkeypatch.undo()
    # an activation whose scalar code needs a kernel without a scalar helper (sech)
    odd = sn.Network([2, 3, 1], activation="x*sech(x)", jit=True, seed=0)
    with pytest.raises(NotImplementedError, match="sech"):
        jit.generate(odd.spec)
    assert odd.jit_kernels() is None
    X, y = _data([2, 3, 1], {"loss": "sse"})
    h = odd.fit(X, y, epochs=5, lr=0.1, warn=False)
    assert h.epochs == 5 and np.isfinite(h.final_loss)
    with pytest.raises(TypeError, match="jit must be True, False or None"):
        sn.Network(layers, jit="yes", **options)


def test_source_shows_the_kernels_and_the_cache_is_reused(tmp_path):
    layers, options = CASES[0]
    net = sn.Network(layers, jit=True, seed=0, **options)
    text = net.source()
    assert "def gradient(X, Y, W1, b1, W2, b2):" in text  # the NumPy code, first
    assert "# -- numba kernels (symnn.nn.jit) --" in text
    assert "def act1(Z, b1):" in text and "def train_sgd(" in text
    assert net.jit_kernels().wait("fused") is not None  # compiled (or loaded) in the first test
    folder = jit._folder()
    (source_file,) = [p for p in folder.glob("symnn_jit_*.py") if p.read_text() == net.jit_kernels().source]
    assert list(folder.glob(f"__pycache__/{source_file.stem}*.nbi"))  # numba's index files
    # a second process loads the machine code from the cache instead of compiling it
    script = textwrap.dedent(
        f"""
        import symnn as sn
        net = sn.Network({layers!r}, jit=True, seed=0, **{options!r})
        k = net.jit_kernels().wait("fused")
        m = k._module
        hits = sum(sum(f.stats.cache_hits.values()) for f in (m.act1, m.output, m.back1))
        misses = sum(sum(f.stats.cache_misses.values()) for f in (m.act1, m.output, m.back1))
        print(hits, misses)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    hits, misses = map(int, out.stdout.split())
    assert hits == 3 and misses == 0


def test_a_script_that_ends_while_the_kernels_compile_exits_cleanly(tmp_path):
    """A one-epoch fit starts compiling the row-blocked kernel in the background and the
    script ends at once, mid-compile (an empty cache): the process waits for the compiler
    and exits with 0 and the kernel is in the cache (it used to abort: "terminate called
    without an active exception", exit status 134, about one run in three)."""
    script = textwrap.dedent(
        """
        import numpy as np
        import symnn as sn
        X = np.random.default_rng(0).standard_normal((1000, 20))
        y = (X[:, :1] > 0).astype(float)
        net = sn.Network([20, 64, 1], activation="sigmoid", loss="sse", seed=0, jit=True)
        net.fit(X, y, epochs=1, lr=1e-3, warn=False)
        print(sorted(net.jit_kernels()._threads))
        """
    )
    env = {**os.environ, "SYMNN_JIT_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "blocked" in out.stdout  # the compile was started and the script ended during it
    assert list(tmp_path.glob("__pycache__/*.nbi"))  # and it was finished


def test_the_vectorisable_exp_and_tanh_are_within_an_ulp_or_two():
    """The kernels' own e^x and tanh x (arithmetic LLVM vectorises, not libm calls) against
    mpmath at 40 digits: 1 ulp for exp and 2 for tanh wherever the result is a normal float,
    the subnormal results of exp to one unit of the last place, and the special values."""
    import mpmath

    net = sn.Network(*CASES[0][:1], jit=True, seed=0, **CASES[0][1])
    m = net.jit_kernels().wait("fused")._module
    rng = np.random.default_rng(5)
    xs = np.concatenate([
        rng.uniform(-745.5, 710.0, 1500), rng.normal(0, 3, 1500), rng.uniform(-0.45, 0.45, 500),
        np.logspace(-320, 0, 300), -np.logspace(-320, 0, 300),
        [0.4, np.nextafter(0.4, 0), -0.4, 709.78, 709.7827128933839, -708.39, -744.4, -745.13],
    ])  # fmt: skip
    eps, tiny = np.finfo(float).eps, np.finfo(float).tiny
    with mpmath.workdps(40):
        for name, fn, ulps in (("exp", mpmath.exp, 1.0), ("tanh", mpmath.tanh, 2.0)):
            got = getattr(m, f"_{name}")
            for x in xs:
                g, t = got(float(x)), fn(mpmath.mpf(float(x)))
                if abs(t) >= tiny and abs(t) <= np.finfo(float).max:
                    assert abs(g - t) <= ulps * eps * abs(t), (name, x, g, t)
                else:  # a subnormal or overflowing exp: the double nearest, within one step
                    assert abs(g - float(t)) <= 5e-324 or g == float(t), (name, x, g, t)
    for x, e, th in ((np.inf, np.inf, 1.0), (-np.inf, 0.0, -1.0), (800.0, np.inf, 1.0),
                     (-800.0, 0.0, -1.0), (0.0, 1.0, 0.0)):  # fmt: skip
        assert m._exp(x) == e and m._tanh(x) == th
    assert np.isnan(m._exp(np.nan)) and np.isnan(m._tanh(np.nan))
    assert np.signbit(m._tanh(-0.0)) and m._tanh(-1e-300) == -1e-300


def test_exp_and_tanh_without_fused_multiply_add_keep_their_accuracy():
    """On a CPU without FMA (or compiled for a generic one), the polynomials' multiply-adds are a
    multiply and an add: the same 1 and 2 ulp against mpmath. Where the CPU has it, the
    kernels call LLVM's fma."""
    import mpmath

    source = jit._prelude().replace("cache=True", "cache=False")  # uncached: its IR can be read
    line = next(x for x in source.splitlines() if x.startswith("_FMA = "))
    host: dict = {}
    exec(source, host)  # our own generated text, as the kernels' module runs it
    host["_exp"](1.0)
    assert ("llvm.fma.f64" in next(iter(host["_exp"].inspect_llvm().values()))) == host["_FMA"]
    plain: dict = {}
    exec(source.replace(line, "_FMA = False"), plain)
    rng = np.random.default_rng(6)
    xs = np.concatenate([rng.uniform(-745.0, 709.0, 300), rng.uniform(-0.45, 0.45, 300)])
    eps = np.finfo(float).eps
    with mpmath.workdps(40):
        for name, fn, ulps in (("exp", mpmath.exp, 1.0), ("tanh", mpmath.tanh, 2.0)):
            for x in xs:
                g, t = plain[f"_{name}"](float(x)), fn(mpmath.mpf(float(x)))
                if abs(t) >= np.finfo(float).tiny:
                    assert abs(g - t) <= ulps * eps * abs(t), (name, x, g, t)
    assert "llvm.fma" not in next(iter(plain["_exp"].inspect_llvm().values()))


def test_full_batch_above_tiny_uses_the_fused_kernels():
    """700 samples x 6 units: past TINY, full-batch fit runs the fused passes around BLAS."""
    layers, options = [3, 6, 1], dict(activation="sigmoid", loss="sse")
    fast, ref = _pair(layers, options, seed=3)
    X, y = _data(layers, options, n=700)
    kernels = fast.jit_kernels().wait("fused")
    assert not kernels.tiny(700)
    hf = fast.fit(X, y, epochs=15, lr=0.01, warn=False)
    hr = ref.fit(X, y, epochs=15, lr=0.01, warn=False)
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-13)
    for key in ref.params:
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-13, atol=1e-15)


def test_a_run_that_starts_on_numpy_while_compiling_switches_without_a_seam(monkeypatch):
    """While the kernels compile, fit trains on the NumPy path in chunks of 8 epochs and takes
    the kernels between chunks once they are ready: the history and the parameters equal a
    NumPy-only run, and a progress bar's chunks change nothing either."""
    X, y = sn.data.seed_data()
    kw = dict(activation="sigmoid", loss="sse", bias=False)
    fast, ref = _pair([3, 4, 1], kw, seed=1)
    assert fast.jit_kernels().wait("train_sgd") is not None
    real = sn.nn.training.choose
    seen = []

    def slow_compiler(kernels, run):  # the first three chunks: "not compiled yet"
        kind, ready = real(kernels, run)
        seen.append(ready is not None and len(seen) >= 3)
        return (kind, ready) if seen[-1] else (kind, None)

    monkeypatch.setattr(sn.nn.training, "choose", slow_compiler)
    hf = fast.fit(X, y, epochs=400, lr=1.0, progress=True)
    monkeypatch.undo()
    hr = ref.fit(X, y, epochs=400, lr=1.0)
    assert seen[:4] == [False, False, False, True]  # 3 NumPy chunks, then the compiled loop
    assert hf.epochs == 400
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-13)
    for key in ref.params:
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-13)


def test_frozen_parameters_train_on_the_kernels_as_on_numpy():
    """Frozen parameters leave the whole-loop kernel aside (the fused gradient serves)."""
    X, y = sn.data.seed_data()
    kw = dict(activation="sigmoid", loss="sse")
    fast, ref = _pair([3, 4, 1], kw, seed=1)
    assert fast.jit_kernels().wait("fused") is not None
    hf = fast.fit(X, y, epochs=50, lr=1.0, freeze=["b1", "b2"], warn=False)
    hr = ref.fit(X, y, epochs=50, lr=1.0, freeze=["b1", "b2"], warn=False)
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-13)
    for key in ref.params:
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-13, atol=1e-15)
    assert not fast.params["b1"].any() and not fast.params["b2"].any()


def test_trained_activation_parameters_and_vector_layers_train_with_numpy_code():
    X = np.linspace(-1, 1, 12).reshape(6, 2)
    y = (X[:, :1] > 0).astype(float)
    for options in (
        {"activation": "prelu", "trainable_params": ("alpha",)},
        {"activation": ["swiglu", "sigmoid"]},
    ):
        fast, plain = (sn.Network([2, 3, 1], jit=j, seed=0, **options) for j in (True, False))
        assert fast.jit_kernels() is None  # the numba generator knows elementwise layers only
        for net in (fast, plain):
            net.fit(X, y, epochs=3, lr=0.1, progress=False)
        for k in plain.params:
            np.testing.assert_array_equal(fast.params[k], plain.params[k])


@pytest.mark.parametrize(("layers", "options"), CASES, ids=["sigmoid-sse", "tanh-ce10", "relu-mse"])
def test_row_blocked_step_gives_the_numpy_gradients_and_training(layers, options, monkeypatch):
    """The two-thread row-blocked step (blocks of 32 rows here, so that 200 samples make
    several blocks per thread and a short last block) equals the NumPy path: the gradients
    to 1e-13 relative, and full-batch fit (which picks it for big batches) epoch by epoch."""
    monkeypatch.setattr(jit, "BLOCK_BYTES", 1)  # 32-row blocks
    monkeypatch.setattr(jit, "BLOCKED", 64)
    fast, ref = _pair(layers, options, seed=4)
    kernels = fast.jit_kernels().wait("blocked")
    assert kernels is not None, fast.jit_kernels().errors
    X, y = _data(layers, options, n=200, seed=5)
    assert kernels.block_rows() == 32 and kernels.big(200)
    Xc, Yc = ref.check_data(X, y)
    gradient, grads = kernels.workspace(200)
    assert kernels.workspace(200) is kernels.workspace(200, "blocked")
    loss = gradient(Xc, Yc, *fast.params.arrays())
    assert loss == pytest.approx(ref.loss_value(X, y), rel=1e-13)
    expected = ref.gradients(X, y)
    for key, g in zip(ref.params, grads, strict=True):
        assert _rel(g, expected[key]) <= 1e-13, key
    seen = []
    real = sn.nn.training.choose
    monkeypatch.setattr(sn.nn.training, "choose", lambda k, run: seen.append(real(k, run)) or seen[-1])
    hf = fast.fit(X, y, epochs=5, lr=0.05, warn=False)
    hr = ref.fit(X, y, epochs=5, lr=0.05, warn=False)
    assert seen[0] == ("blocked", kernels)
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-13)
    for key in ref.params:
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-13, atol=1e-15)
    # mini-batches of 100 rows (big enough here) take the row-blocked step too
    mark = len(seen)
    hf = fast.fit(X, y, epochs=3, lr=0.05, batch_size=100, seed=0, warn=False)
    hr = ref.fit(X, y, epochs=3, lr=0.05, batch_size=100, seed=0, warn=False)
    assert seen[mark] == ("blocked", kernels) and (100, "blocked") in kernels._workspaces
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-13)
    for key in ref.params:
        np.testing.assert_allclose(fast.params[key], ref.params[key], rtol=1e-13, atol=1e-15)


def test_blas_is_held_at_one_thread_for_a_run_of_blocked_steps_and_restored(monkeypatch):
    """fit holds BLAS at one thread around its chunks of row-blocked steps (each step enters
    the same reentrant pin again) and gives the caller's thread counts back afterwards, also
    when the run stops with an error; a fit on the fused kind leaves BLAS alone."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    monkeypatch.setattr(jit, "BLOCK_BYTES", 1)
    monkeypatch.setattr(jit, "BLOCKED", 64)
    layers, options = CASES[0]
    fast = sn.Network(layers, jit=True, seed=4, **options)
    kernels = fast.jit_kernels().wait("blocked")
    X, y = _data(layers, options, n=200, seed=5)
    pin = jit._one_blas_thread()
    before = [lib.num_threads for lib in pin._libs]
    seen = []
    real = kernels._blocked_workspace

    def spy(n, threads):
        gradient, grads = real(n, threads)

        def counted(*args):
            seen.append([lib.num_threads for lib in pin._libs])
            return gradient(*args)

        return counted, grads

    monkeypatch.setattr(kernels, "_blocked_workspace", spy)
    kernels._workspaces.clear()
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        two = [lib.num_threads for lib in pin._libs]
        fast.fit(X, y, epochs=4, lr=0.05, warn=False)
        assert seen and all(counts == [1] * len(two) for counts in seen)  # held during the run
        assert [lib.num_threads for lib in pin._libs] == two  # given back
        with pytest.raises(sn.DivergenceError):
            fast.fit(X, y * 1e200, epochs=4, lr=1e300, warn=False)
        assert [lib.num_threads for lib in pin._libs] == two
    assert [lib.num_threads for lib in pin._libs] == before


def test_row_blocked_step_falls_back_without_threadpoolctl(monkeypatch):
    """Without the means to hold BLAS at one thread, the blocked kind fails to build and
    choose leaves big batches to the fused passes (same numbers)."""
    layers, options = CASES[0]
    monkeypatch.setattr(jit, "_PIN", [None])
    monkeypatch.setattr(jit, "BLOCKED", 64)
    fast, ref = _pair(layers, options, seed=6)
    kernels = fast.jit_kernels()
    assert kernels.wait("blocked") is None and "threadpoolctl" in str(kernels.errors["blocked"])
    X, y = _data(layers, options, n=200, seed=7)
    assert kernels.wait("fused") is not None
    run = type("Run", (), dict(X=X, batch_size=200, penalties=(), fixed=(), flat=None, state_flat=None))
    assert jit.choose(kernels, run()) == ("fused", kernels)
    hf = fast.fit(X, y, epochs=3, lr=0.05, warn=False)
    hr = ref.fit(X, y, epochs=3, lr=0.05, warn=False)
    np.testing.assert_allclose(hf.loss, hr.loss, rtol=1e-13)


def test_source_shows_the_row_blocked_step():
    layers, options = CASES[1]
    text = sn.Network(layers, jit=True, seed=0, **options).source()
    assert "def blocked(X_, Y_, W1, b1, W2, b2, W3, b3, scale, block," in text
    assert "for t in numba.prange(T):" in text and "def make_blocked(n, scale, threads, block):" in text
