"""Saving and loading networks: JSON architecture + weights in one ``.npz``, no pickle.

The file is a NumPy ``.npz`` archive holding the weights (``W1``, ``b1``, ...)
and one entry ``__symnn__``: the architecture and symbolic definitions as
UTF-8 JSON (catalogue activations by name and parameters, user-defined ones as
their expression strings, re-read through :func:`symnn.parse`), with a SHA-256
digest of the weights. It is written to a temporary file in the same folder
and renamed into place, so an interrupted save never leaves a half-written
model. Loading never executes code: ``allow_pickle=False``, and the JSON is
validated field by field.

>>> import os, tempfile, numpy as np, symnn as sn
>>> net = sn.Network([2, 3, 1], activation="tanh", seed=0)
>>> path = sn.save(net, os.path.join(tempfile.mkdtemp(), "model"))
>>> path.endswith("model.npz")
True
>>> again = sn.load(path)
>>> all(np.array_equal(net.params[k], again.params[k]) for k in net.params)
True
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import sympy as sp

__all__ = ["load", "save"]

FORMAT = "symnn.network"
VERSION = 1


class ModelFileError(ValueError):
    """A model file that is missing pieces, corrupted or tampered with."""


def _activation_record(act) -> dict:
    """How to re-create *act*: a catalogue name and parameters, or a formula string."""
    if act.origin is not None:
        name, fixed = act.origin
        return {"name": name, "params": {k: float(v) for k, v in fixed.items()}}
    from symnn.expr.parse import parse

    text = sp.sstr(act.expr)
    params = {p.name: float(v) for p, v in act.params.items()}
    try:
        again = parse(text, [act.symbol.name, *params])
    except ValueError:
        again = None
    if again is None or sp.simplify(again - act.expr) != 0:
        raise ValueError(
            f"cannot save the user-defined activation {act.name!r}: its expression {text} does "
            "not survive being written as a formula string (piecewise definitions cannot yet)"
        )
    return {"name": act.name, "expr": text, "symbol": act.symbol.name, "params": params}


def _loss_params(loss) -> dict:
    return {
        loss.kwnames[p] if hasattr(loss, "kwnames") else p.name: float(v)
        for p, v in getattr(loss, "params", {}).items()
    }


def _digest(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k], dtype="<f8")
        h.update(k.encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save(net, path) -> str:
    """Write *net* to ``path`` (``.npz`` is appended when missing); return the final path."""
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in net.params.items()}
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "layers": list(net.layers),
        "activations": [_activation_record(a) for a in net.activations],
        "softmax_output": bool(net.softmax_output),
        "loss": {"name": net.loss.name, "params": _loss_params(net.loss)},
        "bias": bool(net.bias),
        "sha256": _digest(arrays),
    }
    blob = np.frombuffer(json.dumps(meta, sort_keys=True).encode("utf-8"), dtype=np.uint8)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: the folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, __symnn__=blob, **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(path)


def _fail(path, why: str) -> ModelFileError:
    return ModelFileError(f"{path} is not a valid symnn model file: {why}")


def load(path):
    """Read a network written by :func:`save` (or ``Network.save``)."""
    from symnn.nn.network import Network

    path = Path(path)
    if not path.exists() and path.with_name(path.name + ".npz").exists():
        path = path.with_name(path.name + ".npz")
    if not path.exists():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        with np.load(path, allow_pickle=False) as archive:
            files = set(archive.files)
            if "__symnn__" not in files:
                raise _fail(path, "it has no symnn architecture entry")
            blob = archive["__symnn__"]
            arrays = {k: archive[k] for k in files - {"__symnn__"}}
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError) as exc:
        raise _fail(path, f"it cannot be read as an .npz archive ({exc})") from None
    if blob.dtype != np.uint8 or blob.ndim != 1:
        raise _fail(path, "the architecture entry has the wrong type")
    try:
        meta = json.loads(blob.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _fail(path, f"the architecture is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _fail(path, "the architecture entry is not a symnn network")
    if meta.get("version") != VERSION:
        raise _fail(
            path, f"unsupported version {meta.get('version')!r} (this symnn reads {VERSION})"
        )
    for a in arrays.values():
        if a.dtype.kind != "f":
            raise _fail(path, "a weight array is not floating point")
    if meta.get("sha256") != _digest(arrays):
        raise _fail(path, "the weights do not match their checksum (corrupted or modified)")
    try:
        layers = [int(v) for v in meta["layers"]]
        acts = [_activation_from(rec) for rec in meta["activations"]]
        output = "softmax" if meta["softmax_output"] else acts[-1]
        loss = meta["loss"]
        from symnn.catalogue.losses import loss as get_loss

        lo = get_loss(str(loss["name"]), **{str(k): float(v) for k, v in loss["params"].items()})
        if len(acts) != len(layers) - 1:
            raise ValueError("one activation per layer is needed")
        net = Network(
            layers,
            activation=acts[:-1],
            output_activation=output,
            loss=lo,
            bias=bool(meta["bias"]),
            seed=0,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise _fail(path, f"the architecture is incomplete or invalid ({exc})") from None
    if set(arrays) != set(net.params):
        raise _fail(path, f"it holds weights {sorted(arrays)}, expected {list(net.params)}")
    for k in net.params:
        if arrays[k].shape != net.params[k].shape:
            raise _fail(
                path, f"weight {k} has shape {arrays[k].shape}, expected {net.params[k].shape}"
            )
        net.params[k] = arrays[k]
    return net


def _activation_from(rec):
    from symnn.catalogue.activations import Activation, activation

    if not isinstance(rec, dict) or "name" not in rec:
        raise ValueError("an activation record has no name")
    params = {str(k): float(v) for k, v in (rec.get("params") or {}).items()}
    if "expr" in rec:
        from symnn.expr.parse import parse

        x = sp.Symbol(str(rec.get("symbol", "x")), real=True)
        expr = parse(str(rec["expr"]), [x.name, *params])
        return Activation(expr, name=str(rec["name"]), symbol=x, params=params)
    return activation(str(rec["name"]), **params)
