"""Saving and loading networks: the whole definition round-trips; loading never trusts the file."""

from __future__ import annotations

import json
import math
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.expr.parse import parse
from symnn.nn import persistence
from symnn.nn.persistence import LIMITS, ModelFileError

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
x = sp.Symbol("x", real=True)
#: FIFOs, fork and resource limits (the hostile-file tests) need a POSIX system.
posix_only = pytest.mark.skipif(
    not (hasattr(os, "fork") and hasattr(os, "mkfifo")), reason="needs fork, mkfifo and resource"
)


# -- helpers ---------------------------------------------------------------------------------------


def trained_net():
    X, y = sn.data.seed_data()
    net = sn.Network(
        [3, 4, 1],
        activation=sn.activation("leaky_relu", alpha=0.2),
        output_activation="sigmoid",
        loss="bce",
        seed=0,
    )
    net.fit(X, y, epochs=50, lr=0.5)
    return net, X


def output_for(lo) -> str:
    """An output activation whose values lie in the loss's input domain (decided numerically)."""
    if lo.fused_softmax:
        return "softmax"
    if lo.input_domain.is_real_line:
        return "identity"
    grid = np.linspace(-50.0, 50.0, 2001)
    for name in sn.activations():
        act = sn.activation(name)
        with np.errstate(all="ignore"):
            values, slope = act(grid), act.grad(np.array([0.0]))
        if np.all(lo.input_domain.contains(values)) and np.all(slope != 0):
            return name
    raise AssertionError(f"no catalogue activation maps into {lo.input_domain.text}")


def targets_for(lo, n: int, k: int, rng) -> np.ndarray:
    """Targets drawn from the loss's target domain (class indices for a fused softmax)."""
    if lo.fused_softmax:
        return rng.integers(0, k, n)
    d = lo.domain
    if d.values is not None:
        return rng.choice(np.array(d.values), size=(n, k))
    low, high = max(d.low, -2.0), min(d.high, 2.0)
    return rng.uniform(low, high, (n, k))


def changed(lo):
    """The loss with every reduction, option and parameter moved away from its default."""
    options = {k: not v for k, v in lo.options.items() if isinstance(v, bool)}
    out = sn.loss(lo.name, **options) if options else lo
    params = {out.kwnames[p]: v / 2 for p, v in out.params.items()}
    out = out.with_params(**params) if params else out
    other = next(r for r in ("sum", "mean", "batchmean") if r != out.reduction)
    return out.with_reduction(other)


def assert_same_network(a, b, X, Y):
    assert repr(a) == repr(b)
    assert a.layers == b.layers and a.bias == b.bias and a.softmax_output == b.softmax_output
    assert a.init == b.init
    for f, g in zip(a.activations, b.activations, strict=True):
        assert (f.name, f.expr, f.params, f.tex) == (g.name, g.expr, g.params, g.tex)
        assert f.symbol == g.symbol
    la, lb = a.loss, b.loss
    assert type(la) is type(lb)
    assert (la.name, la.expr, la.reduction, la.params, la.options) == (
        lb.name,
        lb.expr,
        lb.reduction,
        lb.params,
        lb.options,
    )
    assert (la.domain, la.input_domain, la.rowwise) == (lb.domain, lb.input_domain, lb.rowwise)
    assert la == lb
    assert list(a.params) == list(b.params)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    ga, gb = a.gradients(X, Y), b.gradients(X, Y)
    for k in ga:
        np.testing.assert_array_equal(ga[k], gb[k])
    assert a.loss_value(X, Y) == b.loss_value(X, Y)


def round_trip(net, tmp_path, name="model.npz"):
    return sn.load(sn.save(net, tmp_path / name))


def entries_of(path) -> dict[str, np.ndarray]:
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


def write_model(path, meta: dict, arrays: dict[str, np.ndarray], checksum: bool = True) -> Path:
    """An .npz written like symnn.save does, with *meta* as the definition (checksum recomputed)."""
    if checksum:
        meta = {**meta, "sha256": persistence._digest(arrays)}
    blob = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, __symnn__=blob, **arrays)
    return Path(path)


def small_model(tmp_path) -> tuple[Path, dict, dict]:
    net = sn.Network([3, 4, 1], activation="tanh", seed=0)
    path = Path(sn.save(net, tmp_path / "small.npz"))
    entries = entries_of(path)
    meta = json.loads(entries.pop("__symnn__").tobytes())
    return path, meta, entries


# -- the whole model round-trips -----------------------------------------------------------------


def test_save_load_round_trip_is_exact(tmp_path):
    net, X = trained_net()
    path = sn.save(net, tmp_path / "model")
    again = sn.load(path)
    for k in net.params:
        np.testing.assert_array_equal(again.params[k], net.params[k])
    np.testing.assert_array_equal(again.predict(X), net.predict(X))
    assert again.activations[0].expr == net.activations[0].expr
    assert again.loss.name == net.loss.name
    assert_same_network(net, again, X, sn.data.seed_data()[1])


def test_save_load_user_defined_activation(tmp_path):
    x = sp.Symbol("x")
    act = sn.Activation(x * sp.tanh(x), name="xtanh")
    net = sn.Network([2, 3, 1], activation=act, output_activation="identity", loss="mse", seed=0)
    again = sn.load(sn.save(net, tmp_path / "m.npz"))
    assert again.activations[0].expr == net.activations[0].expr
    X = np.random.default_rng(0).normal(size=(4, 2))
    np.testing.assert_array_equal(again.predict(X), net.predict(X))


def test_reduction_survives(tmp_path):
    net = sn.Network([2, 3, 1], activation="tanh", loss=sn.loss("mse", reduction="sum"), seed=0)
    again = round_trip(net, tmp_path)
    assert again.loss.reduction == "sum"
    X = np.random.default_rng(1).normal(size=(5, 2))
    assert_same_network(net, again, X, X[:, :1])


def test_loss_options_survive(tmp_path):
    lo = sn.loss("poisson_nll", log_input=False)
    net = sn.Network([2, 3, 1], activation="tanh", output_activation="softplus", loss=lo, seed=0)
    again = round_trip(net, tmp_path)
    assert again.loss.options == {"log_input": False}
    X = np.random.default_rng(2).normal(size=(5, 2))
    assert_same_network(net, again, X, np.abs(X[:, :1]))


@pytest.mark.parametrize("name", sn.losses())
@pytest.mark.parametrize("variant", ["default", "changed"])
def test_every_catalogue_loss_round_trips(name, variant, tmp_path):
    lo = sn.loss(name)
    if variant == "changed":
        lo = changed(lo)
    rng = np.random.default_rng(len(name))
    net = sn.Network(
        [3, 4, 2],
        activation=sn.activation("elu", alpha=0.5),
        output_activation=output_for(lo),
        loss=lo,
        init=sn.initializer("normal", std=0.3),
        seed=3,
    )
    for k in net.params:
        net.params[k] = rng.normal(scale=0.5, size=net.params[k].shape)
    again = round_trip(net, tmp_path)
    X = rng.normal(size=(6, 3))
    assert_same_network(net, again, X, targets_for(lo, 6, 2, rng))


def piecewise_activation():
    a = sp.Symbol("a", positive=True)
    expr = sp.Piecewise(
        (a * x, x < 0),
        (sp.sin(x) + sp.Float(0.25) * x**2, (x >= 0) & (x < 1)),
        (sp.sqrt(x) + sp.Rational(1, 3) + sp.sin(1) - 1, True),
    )
    return sn.Activation(expr, name="wiggle", params={"a": 0.1}, tex=r"\omega", doc="mine")


def test_user_defined_loss_and_piecewise_activation(tmp_path):
    t, p = sp.symbols("y yhat")
    d = sp.Symbol("delta")
    quartic = sn.Loss(
        sp.Piecewise(((p - t) ** 4, sp.Abs(p - t) < d), (d * sp.Abs(p - t), True)),
        name="quartic",
        reduction="sum",
        params={"delta": 1.5},
        doc="a test loss",
    ).with_params(delta=sp.Rational(2, 3))
    act = piecewise_activation()
    net = sn.Network(
        [2, 3, 3, 1],
        activation=[act, sn.activation("softplus", threshold=20.0)],
        output_activation=sn.Activation("x/(1 + abs(x))", name="soft"),
        loss=quartic,
        bias=False,
        seed=4,
    )
    again = round_trip(net, tmp_path)
    X = np.random.default_rng(5).normal(size=(7, 2))
    assert_same_network(net, again, X, X[:, :1])
    assert again.activations[0].doc == "mine" and again.loss.doc == "a test loss"
    assert again.loss.expr.has(sp.Rational(2, 3))


def test_user_defined_loss_keeps_domains_rowwise_and_numeric_convention(tmp_path):
    from symnn.catalogue.losses import Domain, clamp_logs

    p, t = sp.symbols("yhat y")
    unit = Domain("[0, 1]", 0.0, 1.0, hint="use a sigmoid output")
    lo = sn.Loss(
        -(t * sp.log(p) + (1 - t) * sp.log(1 - p)),
        name="mybce",
        numeric=clamp_logs,
        domain=unit,
        input_domain=unit,
        rowwise=True,
    )
    net = sn.Network([2, 3, 2], activation="tanh", output_activation="sigmoid", loss=lo, seed=0)
    again = round_trip(net, tmp_path)
    rng = np.random.default_rng(8)
    assert_same_network(net, again, rng.normal(size=(4, 2)), rng.uniform(size=(4, 2)))
    assert again.loss.numeric_expr == lo.numeric_expr
    odd = sn.Loss((p - t) ** 2, name="odd", numeric=lambda e: e)
    with pytest.raises(ValueError, match="numeric= function '<lambda>' is not one of clamp_logs"):
        sn.save(sn.Network([1, 1], loss=odd), tmp_path / "odd.npz")


def test_piecewise_formula_records_parse_back_equal():
    act = piecewise_activation()
    rec = persistence._encode_expr(act.expr)
    strings = []

    def walk(node):
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(rec)
    assert all("Piecewise" not in s for s in strings)  # what the parser reads is its own syntax
    budget = persistence._Budget(LIMITS)
    again = persistence._decode_expr(rec, [act.symbol, *act.params], "test", budget)
    assert again == act.expr
    # a plain formula goes straight through the parser: sstr output parses back equal
    plain = sn.activation("gelu").expr
    assert persistence._encode_expr(plain) == sp.sstr(plain)
    assert parse(sp.sstr(plain), [x]) == plain



@pytest.mark.parametrize(
    "name", sn.activations()
)
def test_every_catalogue_formula_round_trips_as_a_user_formula(name):
    cat = sn.activation(name)
    act = sn.Activation(cat.expr, name="mine", params={p.name: v for p, v in cat.params.items()})
    rec = persistence._activation_record(act)
    assert "expr" in rec
    again = persistence._activation_from(json.loads(json.dumps(rec)), persistence._Budget(LIMITS))
    assert again == act and again.expr == act.expr


def test_catalogue_activation_with_exact_parameter_falls_back_to_its_formula(tmp_path):
    act = sn.activation("leaky_relu", alpha=sp.Rational(1, 3))  # not a float: origin is lossy
    net = sn.Network([2, 2, 1], activation=act, loss="mse", seed=0)
    again = round_trip(net, tmp_path)
    assert again.activations[0].expr == act.expr


@pytest.mark.parametrize("name", sn.regularizers())
def test_regularizers_round_trip(name, tmp_path):
    full = {"lam": 0.01, "l1_ratio": 0.3} if name == "elastic_net" else {"lam": 0.01}
    for params in ({}, full):
        reg = sn.regularizer(name, **params)
        rec = persistence._regularizer_record(reg)
        again = persistence._regularizer_from(
            json.loads(json.dumps(rec)), persistence._Budget(LIMITS)
        )
        assert again == reg and again.params == reg.params
    net = sn.Network([2, 2, 1], seed=0)
    net.regularizers = [sn.regularizer(name, **full), sn.regularizer("l1")]
    again = round_trip(net, tmp_path)
    assert again.regularizers == net.regularizers


@pytest.mark.parametrize(
    "init", ["he_uniform", sn.initializer("xavier_normal", gain=2), sn.initializer("constant")]
)
def test_initializer_survives(init, tmp_path):
    net = sn.Network([2, 2, 1], init=init, seed=0)
    assert round_trip(net, tmp_path).init == net.init


def test_one_layer_and_softmax_networks(tmp_path):
    rng = np.random.default_rng(6)
    for net in (
        sn.Network([3, 1], activation="sigmoid", loss="bce", seed=0),
        sn.Network([3, 4], activation="relu", output_activation="softmax", loss="ce", seed=0),
        sn.Network([3, 5, 3], activation="tanh", output_activation="softmax", loss="cce", seed=0),
    ):
        again = round_trip(net, tmp_path)
        X = rng.normal(size=(4, 3))
        y = targets_for(net.loss, 4, net.layers[-1], rng)
        assert_same_network(net, again, X, y)


def test_load_accepts_str_and_path_and_missing_suffix(tmp_path):
    net = sn.Network([2, 2, 1], seed=0)
    written = sn.save(net, tmp_path / "m")
    assert isinstance(written, str) and written == str(tmp_path / "m.npz")
    for p in (written, Path(written), tmp_path / "m", str(tmp_path / "m")):
        assert repr(sn.load(p)) == repr(net)
    with pytest.raises(TypeError, match="file path"):
        sn.load(42)


def test_save_refuses_what_load_could_not_rebuild(tmp_path, monkeypatch):
    act = sn.Activation(sp.LambertW(x), name="lambert")
    net = sn.Network([1, 1], activation=act, loss="mse", seed=0)
    with pytest.raises(ValueError, match=r"cannot save .*lambert"):
        sn.save(net, tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(persistence, "LIMITS", persistence.Limits(max_params=10))
    with pytest.raises(ValueError, match=r"at most .* 10 parameters"):
        sn.save(sn.Network([3, 4, 1], seed=0), tmp_path / "big.npz")


# -- version 1 files -------------------------------------------------------------------------------

V1_X = np.array([[0.0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]])


def test_reads_version_1_files_written_by_the_old_code():
    net = sn.load(DATA / "model_v1_catalogue.npz")
    assert repr(net) == (
        "Network([3, 4, 1], activation=['leaky_relu', 'sigmoid'], loss='huber', bias=True)"
    )
    assert net.loss.params == {sp.Symbol("delta", positive=True): 0.5}
    assert net.loss.reduction == "mean"
    expected = [0.6200041518515946, 0.5150895487587696, 0.5866369213240265, 0.36467381186605385]
    np.testing.assert_allclose(net.predict(V1_X).ravel(), expected, rtol=1e-13)

    net = sn.load(DATA / "model_v1_formula.npz")
    assert repr(net) == (
        "Network([2, 3, 2], activation=['xtanh', 'softmax'], loss='softmax_cross_entropy', "
        "bias=True)"
    )
    a = sp.Symbol("a", real=True)
    assert net.activations[0].expr == x * sp.tanh(x) + a * x
    expected = [[0.5, 0.5], [0.72406811237952, 0.2759318876204801]]
    np.testing.assert_allclose(net.predict(V1_X[:2, :2]), expected, rtol=1e-13)


def test_reads_version_1_json_generated_here(tmp_path):
    net = sn.Network([3, 2, 1], activation="elu", output_activation="sigmoid", seed=0)
    arrays = {k: v.copy() for k, v in net.params.items()}
    v1 = {
        "format": "symnn.network",
        "version": 1,
        "layers": [3, 2, 1],
        "activations": [
            {"name": "elu", "params": {"alpha": 0.5}},
            {"name": "sigmoid", "params": {}},
        ],
        "softmax_output": False,
        "loss": {"name": "quantile", "params": {"tau": 0.25}},
        "bias": True,
    }
    again = sn.load(write_model(tmp_path / "v1.npz", v1, arrays))
    assert again.activations[0] == sn.activation("elu", alpha=0.5)
    assert again.loss == sn.loss("quantile", tau=0.25)
    v1["version"] = 4
    with pytest.raises(ModelFileError, match="version 4; this symnn reads versions 1, 2, 3"):
        sn.load(write_model(tmp_path / "v4.npz", v1, arrays))


# -- atomic writes and paths that are not files ----------------------------------------------------


def test_save_is_atomic(tmp_path, monkeypatch):
    net, _ = trained_net()
    path = tmp_path / "model.npz"
    sn.save(net, path)
    before = path.read_bytes()

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        sn.save(net, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


@posix_only
def test_save_refuses_devices_folders_and_fifos(tmp_path):
    net = sn.Network([2, 2, 1], seed=0)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for target, kind in (("/dev/null", "character device"), (tmp_path, "directory"), (fifo, "FIFO")):
        with pytest.raises(ModelFileError, match=f"cannot save to .*{kind}.*symnn.save"):
            sn.save(net, target)
    assert not Path("/dev/null.npz").exists()
    (tmp_path / "taken.npz").mkdir()
    with pytest.raises(ModelFileError, match="directory"):
        sn.save(net, tmp_path / "taken")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        sn.save(net, tmp_path / "no" / "such" / "m.npz")


@posix_only
def test_load_refuses_devices_folders_and_fifos(tmp_path):
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)  # no writer: opening it must not block
    for target, kind in (("/dev/null", "character device"), (tmp_path, "directory"), (fifo, "FIFO")):
        with pytest.raises(ModelFileError, match=f"it is a {kind}"):
            sn.load(target)


def test_missing_file_is_both_model_file_error_and_file_not_found(tmp_path):
    with pytest.raises(ModelFileError, match=r"no model file at .*symnn\.save") as info:
        sn.load(tmp_path / "missing.npz")
    assert isinstance(info.value, FileNotFoundError)


# -- damaged and tampered files (in process) ---------------------------------------------------------


def test_truncated_file_is_refused(tmp_path):
    net, _ = trained_net()
    path = tmp_path / "model.npz"
    sn.save(net, path)
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ValueError, match="not a valid symnn model file"):
        sn.load(path)


def test_tampered_weights_are_refused(tmp_path):
    net, _ = trained_net()
    path = tmp_path / "model.npz"
    sn.save(net, path)
    with np.load(path) as f:
        entries = {k: f[k] for k in f.files}
    entries["W1"] = entries["W1"] + 1
    np.savez(path, **entries)
    with pytest.raises(ValueError, match="checksum"):
        sn.load(path)


def test_tampered_architecture_is_refused(tmp_path):
    net, _ = trained_net()
    path = tmp_path / "model.npz"
    sn.save(net, path)
    with np.load(path) as f:
        entries = {k: f[k] for k in f.files}
    meta = json.loads(entries["__symnn__"].tobytes())
    meta["activations"][0] = {
        "name": "x",
        "expr": "__import__('os').system('echo pwned')",
        "symbol": "x",
    }
    entries["__symnn__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(path, **entries)
    with pytest.raises(ValueError, match="not a valid symnn model file"):
        sn.load(path)
    # the same formula in a well-formed version-2 record never reaches Python
    meta["activations"][0] = {
        "name": "x",
        "symbol": "x",
        "params": {},
        "assumptions": {},
        "expr": "__import__('os').system('echo pwned')",
        "tex": "",
        "doc": "",
    }
    arrays = {k: v for k, v in entries.items() if k != "__symnn__"}
    with pytest.raises(ModelFileError, match="cannot be parsed"):
        sn.load(write_model(path, meta, arrays))


def test_pickled_content_is_never_loaded(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, __symnn__=np.array([{"a": 1}], dtype=object), W1=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not a valid symnn model file"):
        sn.load(path)


def test_not_a_zip_file_is_refused(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_text("hello")
    with pytest.raises(ValueError, match="not a valid symnn model file"):
        sn.load(path)
    with pytest.raises(FileNotFoundError):
        sn.load(tmp_path / "missing.npz")
    assert zipfile.is_zipfile(path) is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m.update(layers=[3, 4, 2]), "weight W2 has shape"),
        (lambda m: m.update(layers=[50000, 50000, 1]), "2500100001 parameters; the limit"),
        (lambda m: m.update(layers=[3, 4, 1] + [1] * 80), "layers must be a list of 2 to 65"),
        (lambda m: m.update(bias="yes"), "bias and softmax_output must be true or false"),
        (lambda m: m["loss"].update(reduction="median"), "reduction"),
        (lambda m: m["loss"].update(catalogue="nope"), "unknown loss 'nope'"),
        (lambda m: m["activations"][0].update(catalogue="nope"), "unknown activation 'nope'"),
        (lambda m: m["activations"][0].update(params={"alpha": 1}), "no parameter 'alpha'"),
        (lambda m: m.update(extra=1), "unexpected extra"),
        (lambda m: m.pop("loss"), "missing loss"),
        (lambda m: m.update(init={"name": "he_normal", "params": {"gain": 2}}), "initializer"),
        (lambda m: m.update(regularizers=[{"name": "l9", "expr": "w", "params": []}]), "l9"),
    ],
)
def test_invalid_definitions_are_refused_by_name(change, message, tmp_path):
    path, meta, arrays = small_model(tmp_path)
    change(meta)
    with pytest.raises(ModelFileError, match=message):
        sn.load(write_model(path, meta, arrays))


def test_weights_with_nan_are_refused(tmp_path):
    path, meta, arrays = small_model(tmp_path)
    arrays["W1"][0, 0] = np.nan
    with pytest.raises(ModelFileError, match="W1 contains NaN"):
        sn.load(write_model(path, meta, arrays))


# -- the hostile corpus: each file loaded in a child with a memory limit and a timeout ----------------

# A child process imports symnn once, then forks one grandchild per file: the grandchild sets
# the memory limit, loads the file and reports; the child kills it after the timeout.
CHILD = r"""
import json, os, resource, signal, sys, time
import numpy as np, symnn
from symnn.nn.persistence import ModelFileError
job = json.loads(open(sys.argv[1]).read())
reference = symnn.load(job["reference"]) if job["reference"] else None

def attempt(path):
    resource.setrlimit(resource.RLIMIT_AS, (job["memory"], job["memory"]))
    start = time.monotonic()
    try:
        net = symnn.load(path)
    except ModelFileError as exc:
        return f"ModelFileError {time.monotonic() - start:.2f} {exc}"
    except BaseException as exc:
        return f"UNCLEAN {type(exc).__name__}: {exc}"
    if reference is None:
        return "LOADED"
    same = (
        repr(net) == repr(reference)
        and [a.expr for a in net.activations] == [a.expr for a in reference.activations]
        and net.loss == reference.loss
        and all(np.array_equal(net.params[k], reference.params[k]) for k in reference.params)
    )
    return f"same {time.monotonic() - start:.2f}" if same else "DIFFERENT"

results = {}
for path in job["paths"]:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            message = attempt(path)
        except BaseException as exc:
            message = f"UNCLEAN {type(exc).__name__}"
        os.write(w, message.replace("\n", " ").encode()[:4000])
        os._exit(0)
    os.close(w)
    deadline = time.monotonic() + job["timeout"]
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            break
        time.sleep(0.005)
    with os.fdopen(r, "rb") as f:
        results[path] = f.read().decode(errors="replace") or f"TIMEOUT or CRASH ({job['timeout']} s)"
print(json.dumps(results))
"""
MEMORY = 1 << 30  # 1 GiB of address space for each load
TIMEOUT = 10  # seconds for each load (the limit on rebuilding definitions is LIMITS.max_seconds)


def load_each_in_child(paths, tmp_path: Path, reference=None) -> dict[str, str]:
    """Load every file in its own forked process with a memory limit and a timeout."""
    job = tmp_path / "job.json"
    job.write_text(
        json.dumps(
            {
                "paths": [str(p) for p in paths],
                "reference": str(reference) if reference else None,
                "memory": MEMORY,
                "timeout": TIMEOUT,
            }
        )
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(job)],
        capture_output=True,
        text=True,
        timeout=60 + TIMEOUT * len(paths),
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def zip_with(entries: list[tuple[str, bytes, int]], tweak=None) -> bytes:
    """A zip written by hand: (name, data, method) entries; *tweak* edits central records."""
    local, central = b"", b""
    for name, data, method in entries:
        raw = zlib.compress(data)[2:-4] if method == zipfile.ZIP_DEFLATED else data
        crc = zlib.crc32(data)
        fields = {"method": method, "crc": crc, "csize": len(raw), "usize": len(data), "flags": 0}
        if tweak:
            tweak(name, fields)
        nm = name.encode()
        header = struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 20, fields["flags"], fields["method"], 0, 0,
            fields["crc"], fields["csize"], fields["usize"], len(nm), 0,
        )  # fmt: skip
        offset = len(local)
        local += header + nm + raw
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, fields["flags"], fields["method"], 0, 0,
            fields["crc"], fields["csize"], fields["usize"], len(nm), 0, 0, 0, 0, 0, offset,
        ) + nm  # fmt: skip
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), len(local), 0
    )
    return local + central + end


def npy_bytes(arr: np.ndarray) -> bytes:
    import io

    f = io.BytesIO()
    np.save(f, arr)
    return f.getvalue()


def hostile_corpus(folder: Path) -> dict[str, Path]:
    """Crafted files, each a way the security sweep broke the old loader (and a few more)."""
    folder.mkdir()
    _, meta, arrays = small_model(folder)
    header = npy_bytes(np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
    weights = [(f"{k}.npy", npy_bytes(v), zipfile.ZIP_STORED) for k, v in arrays.items()]
    files: dict[str, bytes] = {}

    def with_meta(m: dict, arrs=arrays) -> bytes:
        m = {**m, "sha256": persistence._digest(arrs)}
        blob = npy_bytes(np.frombuffer(json.dumps(m).encode(), dtype=np.uint8))
        items = [(f"{k}.npy", npy_bytes(v), zipfile.ZIP_STORED) for k, v in arrs.items()]
        return zip_with([("__symnn__.npy", blob, 0), *items])

    # a 2 KB file whose layers claim 18.6 GiB of weights (checksum recomputed)
    files["huge_layers"] = with_meta({**meta, "layers": [50000, 50000, 1]})
    files["layers_just_under_limit"] = with_meta({**meta, "layers": [4000, 6000, 1]})
    # a deflated entry (16 MB of zeros in 16 KB), and central records that claim 1 and 2.5 GiB
    zeros = b"\0" * (16 << 20)
    files["deflate_bomb"] = zip_with(
        [("__symnn__.npy", header, 0), ("W1.npy", zeros, zipfile.ZIP_DEFLATED)]
    )

    def claim(size):
        def tweak(name, f):
            if name == "W1.npy":
                f["usize"] = size

        return tweak

    files["claims_1GiB"] = zip_with([("__symnn__.npy", header, 0), *weights], claim(1 << 30))
    files["claims_2.5GiB"] = zip_with(
        [("__symnn__.npy", header, 0), *weights], claim(int(2.5 * (1 << 30)))
    )

    def method(m):
        def tweak(name, f):
            f["method"] = m

        return tweak

    files["method_99"] = zip_with([("__symnn__.npy", header, 0), *weights], method(99))
    files["method_lzma"] = zip_with([("__symnn__.npy", header, 0), *weights], method(14))

    def encrypted(name, f):
        f["flags"] = 1

    files["encrypted"] = zip_with([("__symnn__.npy", header, 0), *weights], encrypted)
    files["duplicate_entries"] = zip_with([("__symnn__.npy", header, 0), *weights, *weights])
    files["odd_entry_name"] = zip_with([("__symnn__.npy", header, 0), ("../../x.npy", b"1", 0)])
    files["many_entries"] = zip_with([(f"W{i}.npy", b"", 0) for i in range(1, 400)])
    # JSON that recursed or overflowed Python's int conversion
    deep = b"[" * 100_000 + b"]" * 100_000
    files["deep_json"] = zip_with(
        [("__symnn__.npy", npy_bytes(np.frombuffer(deep, dtype=np.uint8)), 0), *weights]
    )
    big_int = json.dumps({**meta, "layers": [3, 4, 1]})[:-1] + ', "n": ' + "9" * 100_000 + "}"
    files["big_int"] = zip_with(
        [("__symnn__.npy", npy_bytes(np.frombuffer(big_int.encode(), dtype=np.uint8)), 0)]
    )
    files["nan_constant"] = zip_with(
        [("__symnn__.npy", npy_bytes(np.frombuffer(b'{"a": NaN}', dtype=np.uint8)), 0)]
    )
    big_header = np.zeros(LIMITS.max_header_bytes + 1, dtype=np.uint8)
    files["huge_header"] = zip_with([("__symnn__.npy", npy_bytes(big_header), 0)])
    # formulas whose cost explodes
    for name, formula in {
        "formula_nested": "tanh(" * 14 + "x" + ")" * 14,
        "formula_max_args": "max(" + ",".join(f"x+{i}" for i in range(1, 150)) + ")",
        "formula_long": "+".join(f"sin({i}x)" for i in range(1, 3000)),
        "formula_many_nodes": "*".join(f"sigmoid({i}x)" for i in range(1, 75)),
        "formula_factorial": "x*99999999!",
        "formula_code": "__import__('os').system('echo pwned')",
    }.items():
        m = json.loads(json.dumps(meta))
        m["activations"][0] = {
            "name": "evil",
            "symbol": "x",
            "params": {},
            "assumptions": {},
            "expr": formula,
            "tex": "",
            "doc": "",
        }
        files[name] = with_meta(m)
    nested_pw: object = "x"
    for _ in range(40):
        nested_pw = {"formula": "p_0", "where": {"p_0": {"piecewise": [[nested_pw, True]]}}}
    m = json.loads(json.dumps(meta))
    m["activations"][0] = {
        "name": "evil", "symbol": "x", "params": {}, "assumptions": {},
        "expr": nested_pw, "tex": "", "doc": "",
    }  # fmt: skip
    files["formula_nested_piecewise"] = with_meta(m)
    # npy headers that lie about their shape, or hold objects
    lying = npy_bytes(np.zeros((3, 4))).replace(b"(3, 4)", b"(300000, 4)")
    files["npy_shape_lie"] = zip_with(
        [("__symnn__.npy", header, 0), ("W1.npy", lying, 0), *weights[1:]]
    )
    files["npy_object"] = zip_with(
        [("__symnn__.npy", npy_bytes(np.array([{"a": 1}], dtype=object)), 0), *weights]
    )
    files["empty"] = b""
    files["not_a_zip"] = b"hello, world" * 10
    out = {}
    for name, data in files.items():
        p = folder / f"{name}.npz"
        p.write_bytes(data)
        out[name] = p
    fifo = folder / "fifo.npz"
    os.mkfifo(fifo)
    out["fifo_without_writer"] = fifo
    out["dev_zero"] = Path("/dev/zero")
    out["directory"] = folder
    return out


@posix_only
def test_hostile_files_fail_cleanly_within_memory_and_time_limits(tmp_path):
    corpus = hostile_corpus(tmp_path / "corpus")
    by_path = load_each_in_child(corpus.values(), tmp_path)
    results = {name: by_path[str(p)] for name, p in corpus.items()}
    failures = {k: v for k, v in results.items() if not v.startswith("ModelFileError")}
    assert not failures, failures
    slow = {k: v for k, v in results.items() if float(v.split()[1]) > 5.0}
    assert not slow, slow
    assert "parameters; the limit is" in results["huge_layers"]
    assert "compressed" in results["deflate_bomb"]
    assert "says it holds 2684354560 bytes but stores" in results["claims_2.5GiB"]
    assert "nests deeper than" in results["deep_json"]
    assert "a number of 100000 characters" in results["big_int"]
    assert "FIFO" in results["fifo_without_writer"]


def corrupted_copies(path: Path, folder: Path, count: int) -> list[Path]:
    """*count* copies of *path*, each with one byte flipped, truncated or extended (seeded)."""
    data = path.read_bytes()
    rng = np.random.default_rng(0)
    folder.mkdir()
    out = []
    for i in range(count):
        b = bytearray(data)
        kind = i % 4
        if kind == 3:
            b = b[: int(rng.integers(0, len(b)))]
        else:
            at = int(rng.integers(0, len(b)))
            b[at] = (b[at] + int(rng.integers(1, 256))) % 256 if kind else b[at] ^ 0xFF
        p = folder / f"c{i}.npz"
        p.write_bytes(bytes(b))
        out.append(p)
    return out


@posix_only
def test_corrupted_files_load_identically_or_fail_cleanly(tmp_path):
    net = sn.Network(
        [3, 4, 2],
        activation=piecewise_activation(),
        loss=sn.loss("huber", delta=0.5, reduction="sum"),
        seed=0,
    )
    path = Path(sn.save(net, tmp_path / "model.npz"))
    copies = corrupted_copies(path, tmp_path / "corrupted", 300)
    results = load_each_in_child(copies, tmp_path, reference=path)
    bad = {k: v for k, v in results.items() if not v.startswith(("ModelFileError", "same"))}
    assert not bad, bad
    slow = {k: v for k, v in results.items() if float(v.split()[1]) > 5.0}
    assert not slow, slow
    assert sum(v.startswith("ModelFileError") for v in results.values()) > 200


def test_limits_are_documented_and_consistent():
    assert LIMITS.max_entries == 2 * LIMITS.max_depth + 1 + LIMITS.max_trainable
    assert LIMITS.max_file_bytes > 8 * LIMITS.max_params
    assert math.isfinite(LIMITS.max_seconds)
    assert "ModelFileError" in persistence.__all__
