"""Saving and loading networks: JSON definition + weights in one ``.npz``, no pickle.

The file is a NumPy ``.npz`` archive (a zip of uncompressed ``.npy`` entries)
holding the weights (``W1``, ``b1``, ...) and one entry ``__symnn__``: the whole
definition of the network as UTF-8 JSON, with a SHA-256 digest of the weights.
It is written to a temporary file in the same folder and renamed into place, so
an interrupted save never leaves a half-written model.

>>> import os, tempfile, numpy as np, symnn as sn
>>> net = sn.Network([2, 3, 1], activation="tanh", loss=sn.loss("mse", reduction="sum"), seed=0)
>>> path = sn.save(net, os.path.join(tempfile.mkdtemp(), "model"))
>>> path.endswith("model.npz")          # ".npz" was appended: the returned path says so
True
>>> again = sn.load(path)
>>> again.loss.reduction, repr(again) == repr(net)
('sum', True)
>>> all(np.array_equal(net.params[k], again.params[k]) for k in net.params)
True

What is saved (format version 2)
--------------------------------
``layers``, ``bias``, ``softmax_output``; one record per weight layer in
``activations`` (a catalogue entry by name and fixed parameters, or a
user-defined formula with its input symbol, parameters, name, LaTeX and doc);
``loss`` (a catalogue entry by name with its reduction, options and the
parameters set on it, or a user-defined formula with its reduction,
parameters, domains, row-wise flag and numeric convention); ``init`` (name and
parameters); ``regularizers`` (name, penalty formula, free parameters);
``sha256`` of the weights; ``frozen`` (optional: the names of the parameters
training keeps fixed, written only when there are some, so files without it load as
before); and, only for a network with trainable activation parameters, ``trainable``
(``[layer, keyword, "scalar" | "unit"]`` each; their values are stored with the weights
as ``alpha1``, ...). Formulas are strings in :func:`symnn.parse`
syntax; the pieces that syntax cannot write (``Piecewise`` with its conditions,
binary floats) are stored as a small tree next to the string (``formula`` +
``where``). Every record is rebuilt and compared with the original at save
time, so a file that :func:`save` writes loads back to an equal network.
Version-1 files (layers, activations, softmax flag, loss name and parameters,
bias) are still read.

Networks of layers (format version 3)
-------------------------------------
A network of layers (``symnn.Network("conv(8,3),relu,maxpool(2),flatten,dense(10)",
input_shape=(1, 8, 8))``) is written as version 3: ``input_shape``; ``layers``, one record
per layer in order (``{"conv": {"channels", "kernel_size", "stride", "padding",
"dilation"}}``, ``{"maxpool": {"size", "stride"}}``, ``{"avgpool": ...}``,
``{"flatten": {}}``, ``{"dense": {"units"}}``, ``{"activation": <activation record>}``);
``softmax_output`` and ``output_activation`` (null for softmax); ``bias``, ``loss``,
``init``, ``regularizers``, ``sha256`` and optional ``frozen`` as in version 2. The
kernels ``K1, ...`` are stored as 4-D arrays (out, in, kh, kw). Dense networks are still
written as version 2, so older symnn versions read them; an older symnn refuses a
version-3 file and says to upgrade.

>>> net = sn.Network("conv(2,3),relu,maxpool(2),flatten,dense(3)", input_shape=(1, 8, 8), seed=0)
>>> again = sn.load(sn.save(net, os.path.join(tempfile.mkdtemp(), "cnn")))
>>> repr(again) == repr(net), again.params["K1"].shape
(True, (2, 1, 3, 3))

Loading never trusts the file
-----------------------------
No pickle and no ``eval``: formulas go through :func:`symnn.parse` with the
names of the record declared. Before anything is decompressed or built, the
zip's end record and central directory are checked against :data:`LIMITS`
(entry count, names, declared sizes, uncompressed storage only, no
encryption), the JSON header against its size, nesting depth, number lengths
and schema, and the architecture against the number of layers, widths and
total parameter count, which must match the ``.npy`` headers of the stored
weights. Every failure raises :class:`ModelFileError` (a ``ValueError``) that
names the problem.
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
import os
import re
import stat
import struct
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from symnn.catalogue.activations import Activation, activation, as_activation
from symnn.catalogue.initializers import Initializer
from symnn.catalogue.losses import Domain, Loss, _zero_where_target_zero, clamp_logs, losses
from symnn.catalogue.losses import loss as get_loss
from symnn.catalogue.regularizers import Objective, Regularizer, regularizer, regularizers
from symnn.catalogue.vector import VectorActivation, vector_activation
from symnn.expr.parse import parse
from symnn.nn.convnet import LayeredNetwork
from symnn.nn.layers import Act, AvgPool2D, Conv2D, Dense, Flatten, Layer, MaxPool2D, shapes
from symnn.nn.network import Network

__all__ = [
    "FORMAT",
    "LIMITS",
    "VERSION",
    "Limits",
    "ModelFileError",
    "ModelFileNotFoundError",
    "load",
    "save",
]

FORMAT = "symnn.network"
#: The version :func:`save` writes for a dense network; :func:`load` reads this one and version 1.
VERSION = 2
#: The version :func:`save` writes for a network of layers (convolutions, pooling, ...).
LAYERED_VERSION = 3
_READABLE = (1, 2, 3)
_HEADER = "__symnn__"


@dataclass(frozen=True)
class Limits:
    """Hard limits a model file must respect; checked before anything is allocated or built.

    >>> LIMITS.max_params
    25000000
    """

    #: Weight layers (``len(layers) - 1``).
    max_depth: int = 64
    #: Width of one layer.
    max_width: int = 1_000_000
    #: Scalar parameters in total (25 million float64 values are 200 MB).
    max_params: int = 25_000_000
    #: Size of the JSON definition, in bytes.
    max_header_bytes: int = 1 << 20
    #: Nesting of JSON arrays and objects.
    max_json_depth: int = 32
    #: Characters of one JSON number (integers beyond 18 digits are never needed).
    max_number_chars: int = 32
    #: Characters of one formula string (the parser's own bounds apply too).
    max_formula_chars: int = 1000
    #: Characters of all formula strings of one file together.
    max_total_formula_chars: int = 20_000
    #: Nodes of one parsed formula, its depth (a tree this deep has derivatives that
    #: grow fast), and arguments of one ``Min``/``Max``. The catalogue's largest
    #: formula has 34 nodes and depth 8.
    max_formula_nodes: int = 200
    max_formula_depth: int = 16
    #: Functions applied to functions (``tanh(tanh(...))``): the catalogue needs 2; the
    #: cost of simplifying a derivative grows steeply with this (5 nested tanh: ~3 s).
    max_function_nesting: int = 5
    max_minmax_args: int = 8
    #: Pieces of one ``Piecewise``, and ``Piecewise`` nested in conditions or values.
    max_pieces: int = 16
    max_piecewise_depth: int = 4
    #: Names (of activations, losses, parameters, symbols) and free text (docs, LaTeX).
    max_name_chars: int = 64
    max_text_chars: int = 20_000
    #: Wall-clock time to rebuild the symbolic definitions, checked between steps.
    max_seconds: float = 10.0
    #: Trainable activation parameters (``alpha1``, ...), stored beside the weights.
    max_trainable: int = 64
    #: A network of layers: its layers (activations count), one input dimension, the
    #: input's size, and a kernel, pooling, stride, padding or dilation size.
    max_layers: int = 256
    max_input_dim: int = 4096
    max_input_size: int = 1_000_000
    max_window: int = 1024

    @property
    def max_entries(self) -> int:
        return 2 * self.max_depth + 1 + self.max_trainable

    @property
    def max_file_bytes(self) -> int:
        """The weights, the header and the zip structure around them."""
        return 8 * self.max_params + self.max_header_bytes + 64 * 1024 * (self.max_entries + 1)


#: The limits :func:`load` applies.
LIMITS = Limits()


class ModelFileError(ValueError):
    """A path or file that is not a usable symnn model (missing, corrupted, tampered, too large)."""


class ModelFileNotFoundError(ModelFileError, FileNotFoundError):
    """No model file at the path (both a :class:`ModelFileError` and a ``FileNotFoundError``)."""


class _Bad(Exception):
    """A problem found in the file; :func:`load` adds the path and raises ModelFileError."""


class _Unsavable(Exception):
    """A part of the network that cannot be written faithfully."""


# ======================================================================================
# Formulas <-> JSON
# ======================================================================================

_RELATIONS: dict[str, Callable[[sp.Expr, sp.Expr], sp.Basic]] = {
    "<": sp.Lt,
    "<=": sp.Le,
    ">": sp.Gt,
    ">=": sp.Ge,
    "==": sp.Eq,
    "!=": sp.Ne,
}
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def _encode_expr(expr: sp.Basic) -> str | dict:
    """A formula string, or ``{"formula": ..., "where": {placeholder: node}}`` for pieces
    that the parser's syntax cannot write (``Piecewise``, binary floats)."""
    found: list[sp.Basic] = []

    def collect(e: sp.Basic) -> None:
        if isinstance(e, (sp.Piecewise, sp.Float)):
            if e not in found:
                found.append(e)
            return
        for a in e.args:
            collect(a)

    collect(expr)
    if not found:
        return sp.sstr(expr)
    taken = {s.name for s in expr.free_symbols}
    counter = itertools.count()
    mapping: dict[sp.Basic, sp.Symbol] = {}
    where: dict[str, Any] = {}
    for e in found:
        name = next(n for n in (f"piece_{i}" for i in counter) if n not in taken)
        mapping[e] = sp.Symbol(name, real=True)
        if isinstance(e, sp.Float):
            where[name] = {"float": float(e)}
        else:
            where[name] = {
                "piecewise": [[_encode_expr(v), _encode_cond(c)] for v, c in e.args]
            }
    return {"formula": sp.sstr(expr.xreplace(mapping)), "where": where}


def _encode_cond(cond: sp.Basic) -> Any:
    if cond is sp.true or cond is sp.false:
        return bool(cond)
    if isinstance(cond, sp.core.relational.Relational) and cond.rel_op in _RELATIONS:
        return {"rel": cond.rel_op, "lhs": _encode_expr(cond.lhs), "rhs": _encode_expr(cond.rhs)}
    if isinstance(cond, (sp.And, sp.Or)):
        return {type(cond).__name__.lower(): [_encode_cond(a) for a in cond.args]}
    if isinstance(cond, sp.Not):
        return {"not": _encode_cond(cond.args[0])}
    raise _Unsavable(f"the condition {cond} cannot be written")


class _Budget:
    """What rebuilding the formulas of one file may cost (characters and seconds)."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.chars = 0
        self.deadline = time.monotonic() + limits.max_seconds
        self.cache: dict[tuple, sp.Basic] = {}

    def charge(self, text: str) -> None:
        self.chars += len(text)
        if self.chars > self.limits.max_total_formula_chars:
            raise _Bad(
                f"its formulas are longer than {self.limits.max_total_formula_chars} characters "
                "in total"
            )
        self.check_time()

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise _Bad(
                f"rebuilding its definitions took longer than {self.limits.max_seconds:g} s"
            )


def _check_cost(expr: sp.Basic, where: str, limits: Limits) -> None:
    """Refuse expressions whose size would make derivatives and compiling slow."""
    count = 0
    stack = [(expr, 1, 0)]
    while stack:
        e, depth, nested = stack.pop()
        if isinstance(e, sp.Function):
            nested += 1
            if nested > limits.max_function_nesting:
                raise _Bad(
                    f"{where} nests functions more than {limits.max_function_nesting} deep"
                )
        count += 1
        if count > limits.max_formula_nodes:
            raise _Bad(f"{where} has more than {limits.max_formula_nodes} nodes")
        if depth > limits.max_formula_depth:
            raise _Bad(f"{where} nests deeper than {limits.max_formula_depth} levels")
        if isinstance(e, (sp.Min, sp.Max)) and len(e.args) > limits.max_minmax_args:
            raise _Bad(
                f"{where} has a {type(e).__name__} of {len(e.args)} arguments "
                f"(the limit is {limits.max_minmax_args})"
            )
        if isinstance(e, sp.Piecewise) and len(e.args) > limits.max_pieces:
            raise _Bad(f"{where} has a Piecewise of more than {limits.max_pieces} pieces")
        stack.extend((a, depth + 1, nested) for a in e.args)


def _decode_expr(
    rec: Any, symbols: list[sp.Symbol], where: str, budget: _Budget, depth: int = 0
) -> sp.Expr:
    """Rebuild a formula record with exactly *symbols* declared (no other names parse)."""
    limits = budget.limits
    if isinstance(rec, str):
        text, pieces = rec, {}
    elif isinstance(rec, dict) and set(rec) == {"formula", "where"}:
        text, pieces = rec["formula"], rec["where"]
        if not isinstance(text, str) or not isinstance(pieces, dict):
            raise _Bad(f"{where} is not a formula record")
    else:
        raise _Bad(f"{where} is not a formula (a string, or an object with formula and where)")
    if len(text) > limits.max_formula_chars:
        raise _Bad(
            f"{where} is a formula of {len(text)} characters (the limit is "
            f"{limits.max_formula_chars})"
        )
    if len(pieces) > limits.max_pieces:
        raise _Bad(f"{where} has more than {limits.max_pieces} pieces")
    budget.charge(text)
    names = {s.name for s in symbols}
    holders = {}
    for name in pieces:
        if not _NAME.match(name) or len(name) > limits.max_name_chars or name in names:
            raise _Bad(f"{where} has an invalid placeholder name {name[:40]!r}")
        holders[name] = sp.Symbol(name, real=True)
    key = (text, tuple(symbols), tuple(holders))
    if key in budget.cache:
        expr = budget.cache[key]
    else:
        try:
            expr = parse(text, [*symbols, *holders.values()], max_length=limits.max_formula_chars)
        except ValueError as exc:
            raise _Bad(f"{where} cannot be parsed: {str(exc).splitlines()[0]}") from None
        budget.cache[key] = expr
    budget.check_time()
    if not isinstance(expr, sp.Expr) or isinstance(
        expr, (sp.core.relational.Relational, sp.logic.boolalg.BooleanAtom)
    ):
        raise _Bad(f"{where} is not an expression")
    _check_cost(expr, where, limits)
    subs: dict[sp.Symbol, sp.Basic] = {}
    for name, node in pieces.items():
        here = f"{where} ({name})"
        if isinstance(node, dict) and set(node) == {"float"}:
            value = node["float"]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise _Bad(f"{here} is not a number")
            subs[holders[name]] = sp.Float(float(value))
        elif isinstance(node, dict) and set(node) == {"piecewise"}:
            if depth >= limits.max_piecewise_depth:
                raise _Bad(f"{here} nests Piecewise more than {limits.max_piecewise_depth} deep")
            parts = node["piecewise"]
            if not isinstance(parts, list) or not 1 <= len(parts) <= limits.max_pieces:
                raise _Bad(f"{here} needs 1 to {limits.max_pieces} pieces")
            pairs = []
            for k, part in enumerate(parts):
                if not isinstance(part, list) or len(part) != 2:
                    raise _Bad(f"{here} piece {k} is not a [value, condition] pair")
                value = _decode_expr(part[0], symbols, f"{here} piece {k}", budget, depth + 1)
                cond = _decode_cond(part[1], symbols, f"{here} piece {k}", budget, depth + 1)
                pairs.append((value, cond))
            try:
                subs[holders[name]] = sp.Piecewise(*pairs)
            except (TypeError, ValueError) as exc:
                raise _Bad(f"{here} is not a valid Piecewise ({exc})") from None
        else:
            raise _Bad(f"{here} is neither a float nor a piecewise node")
    if subs:
        expr = expr.xreplace(subs)
        _check_cost(expr, where, limits)
    budget.check_time()
    return expr


def _decode_cond(rec: Any, symbols: list[sp.Symbol], where: str, budget: _Budget, depth: int):
    if isinstance(rec, bool):
        return sp.true if rec else sp.false
    if not isinstance(rec, dict) or len(rec) not in (1, 3):
        raise _Bad(f"{where}: a condition is not a condition record")
    if set(rec) == {"rel", "lhs", "rhs"}:
        op = rec["rel"]
        if op not in _RELATIONS:
            raise _Bad(f"{where}: unknown relation {str(op)[:10]!r}")
        lhs = _decode_expr(rec["lhs"], symbols, where, budget, depth)
        rhs = _decode_expr(rec["rhs"], symbols, where, budget, depth)
        return _RELATIONS[op](lhs, rhs)
    (kind,) = rec
    if depth >= 2 * budget.limits.max_piecewise_depth:
        raise _Bad(f"{where}: conditions nest too deep")
    if kind in ("and", "or") and isinstance(rec[kind], list) and len(rec[kind]) >= 2:
        if len(rec[kind]) > budget.limits.max_pieces:
            raise _Bad(f"{where}: a condition has too many parts")
        args = [_decode_cond(a, symbols, where, budget, depth + 1) for a in rec[kind]]
        return (sp.And if kind == "and" else sp.Or)(*args)
    if kind == "not":
        return sp.Not(_decode_cond(rec["not"], symbols, where, budget, depth + 1))
    raise _Bad(f"{where}: unknown condition {str(kind)[:20]!r}")


# ======================================================================================
# Records: activations, losses, initialisers, regularisers
# ======================================================================================

#: The ``numeric=`` conventions of losses, by the name a file stores.
_NUMERIC: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "clamp_logs": clamp_logs,
    "zero_where_target_zero": _zero_where_target_zero,
}


def _numeric_name(fn: Callable | None) -> str | None:
    if fn is None:
        return None
    for name, f in _NUMERIC.items():
        if f is fn:
            return name
    raise _Unsavable(
        f"its numeric= function {getattr(fn, '__name__', fn)!r} is not one of "
        f"{', '.join(_NUMERIC)}"
    )


def _numeric_from(name: Any) -> Callable | None:
    if name is None:
        return None
    if name not in _NUMERIC:
        raise _Bad(f"unknown numeric convention {str(name)[:40]!r}")
    return _NUMERIC[name]


def _activation_record(act: Activation) -> dict:
    """A catalogue name and fixed parameters when that rebuilds *act*, else its formula."""
    if isinstance(act, VectorActivation):  # softmax, GLU, maxout: by name (and maxout's k)
        return {"vector": act.name, **({"k": act.k} if act.k else {})}
    if act.origin is not None:
        name, fixed = act.origin
        rec = {"catalogue": name, "params": {k: float(v) for k, v in fixed.items()}}
        try:
            if _activation_from(rec, _Budget(LIMITS)) == act:
                return rec
        except (_Bad, ValueError, TypeError):
            pass
    return {
        "name": act.name,
        "symbol": act.symbol.name,
        "params": {p.name: float(v) for p, v in act.params.items()},
        "assumptions": {
            p.name: _assumptions(p) for p in act.params if _assumptions(p) != {"real": True}
        },
        "expr": _encode_expr(act.expr),
        "tex": act.tex,
        "doc": act.doc,
    }


def _vector_from(rec: dict, limits: Limits) -> VectorActivation:
    """A vector activation record: ``{"vector": name}``, maxout with ``"k"``."""
    _keys(rec, {"vector", "k"} if "k" in rec else {"vector"}, "vector activation")
    name = _name(rec["vector"], "vector activation name", limits)
    k = rec.get("k", 2)
    if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 64:
        raise _Bad("maxout's k must be an integer from 2 to 64")
    try:
        return vector_activation(name, k=k)
    except (TypeError, ValueError) as exc:
        raise _Bad(f"vector activation {name!r}: {exc}") from None


def _z_width(meta: dict, i: int, units: int, limits: Limits) -> int:
    """The columns of W_i: *units*, or what layer *i*'s vector activation takes."""
    acts = meta["activations"]
    rec = acts[i - 1] if isinstance(acts, list) and len(acts) >= i else None
    if isinstance(rec, dict) and "vector" in rec:
        return _vector_from(rec, limits).in_width(units)
    return units


def _activation_from(rec: Any, budget: _Budget) -> Activation:
    if not isinstance(rec, dict):
        raise _Bad("an activation record is not an object")
    if "vector" in rec:
        return _vector_from(rec, budget.limits)
    if "catalogue" in rec:
        _keys(rec, {"catalogue", "params"}, "activation")
        name = _name(rec["catalogue"], "activation name", budget.limits)
        params = _numbers(rec["params"], "activation parameters", budget.limits)
        try:
            return activation(name, **params)
        except (TypeError, ValueError) as exc:
            raise _Bad(f"activation {name!r}: {exc}") from None
    _keys(rec, {"name", "symbol", "params", "assumptions", "expr", "tex", "doc"}, "activation")
    name = _name(rec["name"], "activation name", budget.limits)
    symbol = sp.Symbol(_identifier(rec["symbol"], "activation symbol", budget.limits), real=True)
    params = _numbers(rec["params"], f"activation {name!r} parameters", budget.limits)
    assumptions = rec["assumptions"]
    if not isinstance(assumptions, dict) or not set(assumptions) <= set(params):
        raise _Bad(f"activation {name!r}: assumptions must be given for parameters only")
    declared = [symbol]
    for p in params:
        _identifier(p, "parameter name", budget.limits)
        declared.append(_symbol(p, assumptions.get(p, {"real": True}), name))
    params = {sym.name: params[sym.name] for sym in declared[1:]}
    expr = _decode_expr(rec["expr"], declared, f"activation {name!r}", budget)
    try:
        return Activation(
            expr,
            name=name,
            symbol=symbol,
            params=params,
            tex=_text(rec["tex"], "activation tex", budget.limits) or None,
            doc=_text(rec["doc"], "activation doc", budget.limits),
        )
    except (TypeError, ValueError) as exc:
        raise _Bad(f"activation {name!r}: {exc}") from None


_ASSUMPTIONS = frozenset(
    ("real", "positive", "negative", "nonnegative", "nonpositive", "nonzero", "integer")
)


def _assumptions(sym: sp.Symbol) -> dict[str, bool]:
    """The assumptions *sym* was created with (``{"positive": True}``), for rebuilding it."""
    given = getattr(sym, "_assumptions_orig", None)
    if given is None:
        given = {k: v for k, v in sym.assumptions0.items() if k in _ASSUMPTIONS}
    return {k: bool(v) for k, v in given.items()}


def _symbol(name: str, assumptions: Any, owner: str) -> sp.Symbol:
    if not isinstance(assumptions, dict) or not all(
        k in _ASSUMPTIONS and isinstance(v, bool) for k, v in assumptions.items()
    ):
        raise _Bad(
            f"{owner!r}: the assumptions of {name} must be some of {sorted(_ASSUMPTIONS)} "
            "set to true or false"
        )
    if assumptions.get("real") is False or not any(assumptions.values()):
        raise _Bad(f"{owner!r}: parameter {name} must be real")
    try:
        return sp.Symbol(name, **assumptions)
    except (ValueError, TypeError) as exc:
        raise _Bad(f"{owner!r}: the assumptions of {name} contradict each other ({exc})") from None


def _set_params(lo: Loss) -> dict[str, sp.Expr]:
    """The parameters set on *lo* with ``with_params`` (as exact numbers), by keyword."""
    return dict(getattr(lo, "_set", {}))


def _loss_record(lo: Loss) -> dict:
    exact = {kw: _encode_expr(v) for kw, v in _set_params(lo).items()}
    if lo.name in losses():
        rec = {
            "catalogue": lo.name,
            "reduction": lo.reduction,
            "options": dict(lo.options),
            "params": exact,
        }
        try:
            if _loss_from(rec, _Budget(LIMITS)) == lo:
                return rec
        except (_Bad, ValueError, TypeError):
            pass
    if type(lo) is not Loss:
        raise _Unsavable(
            f"the loss {lo.name!r} is a {type(lo).__name__}, which is only saved as the catalogue "
            "entry it comes from"
        )
    specs = getattr(lo, "_specs", {})
    return {
        "name": lo.name,
        "expr": _encode_expr(getattr(lo, "_expr", lo.expr)),
        "reduction": lo.reduction,
        "params": {kw: float(s.default) for kw, s in specs.items()},
        "set": exact,
        "domain": _domain_record(lo.domain),
        "input_domain": _domain_record(lo.input_domain),
        "rowwise": bool(lo.rowwise),
        "numeric": _numeric_name(getattr(lo, "_numeric", None)),
        "doc": lo.doc,
    }


def _domain_record(d: Domain) -> dict:
    def bound(v: float) -> float | None:
        return None if math.isinf(v) else float(v)

    return {
        "text": d.text,
        "low": bound(d.low),
        "high": bound(d.high),
        "values": None if d.values is None else [float(v) for v in d.values],
        "hint": d.hint,
    }


def _domain_from(rec: Any, where: str, limits: Limits) -> Domain:
    if not isinstance(rec, dict):
        raise _Bad(f"{where} is not a domain record")
    _keys(rec, {"text", "low", "high", "values", "hint"}, where)
    low = -math.inf if rec["low"] is None else _number(rec["low"], f"{where} low")
    high = math.inf if rec["high"] is None else _number(rec["high"], f"{where} high")
    values = rec["values"]
    if values is not None:
        if not isinstance(values, list) or len(values) > 64:
            raise _Bad(f"{where} values must be a short list of numbers")
        values = tuple(_number(v, f"{where} value") for v in values)
    return Domain(
        _text(rec["text"], f"{where} text", limits),
        low,
        high,
        values,
        _text(rec["hint"], f"{where} hint", limits),
    )


def _exact_params(rec: Any, where: str, budget: _Budget) -> dict[str, sp.Expr]:
    if not isinstance(rec, dict):
        raise _Bad(f"{where} is not an object")
    out = {}
    for kw, value in rec.items():
        _identifier(kw, f"{where} name", budget.limits)
        number = _decode_expr(value, [], f"{where} {kw}", budget)
        if not number.is_number:
            raise _Bad(f"{where} {kw} is not a number")
        out[kw] = number
    return out


def _loss_from(rec: Any, budget: _Budget) -> Loss:
    limits = budget.limits
    if not isinstance(rec, dict):
        raise _Bad("the loss record is not an object")
    if "catalogue" in rec:
        _keys(rec, {"catalogue", "reduction", "options", "params"}, "loss")
        name = _name(rec["catalogue"], "loss name", limits)
        options = rec["options"]
        if not isinstance(options, dict) or len(options) > 16:
            raise _Bad("loss options must be an object")
        for k, v in options.items():
            _identifier(k, "loss option", limits)
            numbers = isinstance(v, list) and len(v) <= 4096  # class weights
            numbers = numbers and all(isinstance(e, (int, float)) and not isinstance(e, bool)
                                      for e in v)  # fmt: skip
            if not (v is None or numbers or isinstance(v, (bool, int, float))):
                raise _Bad(f"loss option {k} must be a number, true/false, none or numbers")
        params = _exact_params(rec["params"], "loss parameter", budget)
        try:
            lo = get_loss(name, **options)
            lo = lo.with_params(**params) if params else lo
            reduction = rec["reduction"]
            return lo if reduction is None else lo.with_reduction(_name(reduction, "reduction", limits))
        except (TypeError, ValueError) as exc:
            raise _Bad(f"loss {name!r}: {exc}") from None
    keys = {"name", "expr", "reduction", "params", "set", "domain", "input_domain"}
    _keys(rec, keys | {"rowwise", "numeric", "doc"}, "loss")
    name = _name(rec["name"], "loss name", limits)
    params = _numbers(rec["params"], "loss parameters", limits)
    for p in params:
        _identifier(p, "loss parameter name", limits)
    lsyms = [sp.Symbol("yhat", real=True), sp.Symbol("y", real=True)]
    declared = [*lsyms, *(sp.Symbol(p, real=True) for p in params)]
    expr = _decode_expr(rec["expr"], declared, f"loss {name!r}", budget)
    exact = _exact_params(rec["set"], "loss parameter", budget)
    if not isinstance(rec["rowwise"], bool):
        raise _Bad("loss rowwise must be true or false")
    try:
        lo = Loss(
            expr,
            name=name,
            reduction=_name(rec["reduction"], "reduction", limits),
            params=params,
            domain=_domain_from(rec["domain"], "loss domain", limits),
            input_domain=_domain_from(rec["input_domain"], "loss input domain", limits),
            rowwise=rec["rowwise"],
            numeric=_numeric_from(rec["numeric"]),
            doc=_text(rec["doc"], "loss doc", limits),
        )
        return lo.with_params(**exact) if exact else lo
    except (TypeError, ValueError) as exc:
        raise _Bad(f"loss {name!r}: {exc}") from None


def _init_record(init: Initializer) -> dict:
    return {"name": init.name, "params": dict(init.params)}


def _init_from(rec: Any, limits: Limits) -> Initializer:
    if not isinstance(rec, dict):
        raise _Bad("the init record is not an object")
    _keys(rec, {"name", "params"}, "init")
    name = _name(rec["name"], "initializer name", limits)
    params = rec["params"]
    if not isinstance(params, dict) or len(params) > 16:
        raise _Bad("initializer parameters must be an object")
    for k, v in params.items():
        _identifier(k, "initializer parameter", limits)
        if isinstance(v, float):
            _number(v, f"initializer parameter {k}")
        elif isinstance(v, bool) or not isinstance(v, int):
            raise _Bad(f"initializer parameter {k} must be a number")
    try:
        return Initializer(name, **params)
    except (TypeError, ValueError) as exc:
        raise _Bad(f"initializer {name!r}: {exc}") from None


def _regularizer_record(reg: Regularizer) -> dict:
    if reg.name not in regularizers():
        raise _Unsavable(f"the regularizer {reg.name!r} is not in the catalogue")
    return {
        "name": reg.name,
        "expr": _encode_expr(reg.expr),
        "params": sorted(getattr(reg, "_specs", {})),
    }


def _regularizer_from(rec: Any, budget: _Budget) -> Regularizer:
    if not isinstance(rec, dict):
        raise _Bad("a regularizer record is not an object")
    _keys(rec, {"name", "expr", "params"}, "regularizer")
    name = _name(rec["name"], "regularizer name", budget.limits)
    try:
        base = regularizer(name)
    except ValueError as exc:
        raise _Bad(str(exc)) from None
    specs = getattr(base, "_specs", {})
    kws = rec["params"]
    if not isinstance(kws, list) or not all(isinstance(k, str) and k in specs for k in kws):
        raise _Bad(f"regularizer {name!r}: its parameters must be some of {sorted(specs)}")
    declared = [base.w, *(specs[k].sympy_symbol() for k in specs)]
    expr = _decode_expr(rec["expr"], declared, f"regularizer {name!r}", budget)
    free = {specs[k].sympy_symbol() for k in kws}
    if not expr.free_symbols <= {base.w, *free}:
        raise _Bad(f"regularizer {name!r}: its formula uses parameters it does not list")
    return Regularizer(base.name, expr, {k: specs[k] for k in kws}, base.doc)


# ======================================================================================
# Small validators of JSON values
# ======================================================================================


def _keys(rec: dict, expected: set[str], where: str) -> None:
    if set(rec) != expected:
        missing, extra = sorted(expected - set(rec)), sorted(set(rec) - expected)
        text = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unexpected {', '.join(k[:40] for k in extra[:5])}" if extra else "",
            )
            if part
        )
        raise _Bad(f"the {where} record is malformed ({text})")


def _name(value: Any, what: str, limits: Limits) -> str:
    if not isinstance(value, str) or not value or len(value) > limits.max_name_chars:
        raise _Bad(f"the {what} must be a string of 1 to {limits.max_name_chars} characters")
    if not value.isprintable():
        raise _Bad(f"the {what} contains unprintable characters")
    return value


def _identifier(value: Any, what: str, limits: Limits) -> str:
    value = _name(value, what, limits)
    if not _NAME.match(value):
        raise _Bad(f"the {what} {value!r} is not a plain name")
    return value


def _text(value: Any, what: str, limits: Limits) -> str:
    if not isinstance(value, str) or len(value) > limits.max_text_chars:
        raise _Bad(f"the {what} must be a string of at most {limits.max_text_chars} characters")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Bad(f"{what} must be a number")
    value = float(value)
    if not math.isfinite(value):
        raise _Bad(f"{what} must be finite")
    return value


def _numbers(rec: Any, what: str, limits: Limits) -> dict[str, float]:
    if not isinstance(rec, dict) or len(rec) > 16:
        raise _Bad(f"the {what} must be an object of at most 16 numbers")
    return {_name(k, what, limits): _number(v, f"{what} {k}") for k, v in rec.items()}


# ======================================================================================
# The archive
# ======================================================================================

_ENTRY = re.compile(r"(__symnn__|[Wb][1-9][0-9]{0,3}|[A-Za-z][A-Za-z_]{0,31}[1-9][0-9]{0,3})\.npy\Z")
_EOCD = struct.Struct("<4s4H2LH")


class _BoundedFile:
    """A read-only view of the first *size* bytes of a file: no read asks for more."""

    def __init__(self, fh, size: int) -> None:
        self._fh, self._size, self._pos = fh, size, 0

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, min(self._size, base + offset))
        return self._pos

    def read(self, n: int = -1) -> bytes:
        left = self._size - self._pos
        n = left if n is None or n < 0 else min(n, left)
        self._fh.seek(self._pos)
        data = self._fh.read(n)
        self._pos += len(data)
        return data

    def close(self) -> None:
        pass


def _check_end_record(fh: _BoundedFile, size: int, limits: Limits) -> int:
    """Validate the zip's end record; return the central directory's offset."""
    tail = min(size, _EOCD.size + 65535)
    fh.seek(size - tail)
    data = fh.read(tail)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(data):
        raise _Bad("it is not a zip archive (no end-of-archive record)")
    _, disk, cd_disk, n_here, n_total, cd_size, cd_offset, _ = _EOCD.unpack_from(data, at)
    end = size - tail + at
    if disk or cd_disk or n_here != n_total:
        raise _Bad("it is a multi-part zip archive")
    if data.rfind(b"PK\x06\x07", 0, at) >= 0 or 0xFFFF in (n_here, n_total):
        raise _Bad("it is a zip64 archive (symnn.save never writes one)")
    if not 1 <= n_total <= limits.max_entries:
        raise _Bad(f"it has {n_total} entries (a model has 1 to {limits.max_entries})")
    if cd_offset + cd_size > end:
        raise _Bad("its central directory lies outside the file")
    return cd_offset


def _read_archive(path: Path, limits: Limits) -> tuple[bytes, dict[str, np.ndarray]]:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise _Missing from None
    except OSError as exc:
        raise _Bad(f"it cannot be opened ({exc.strerror or exc})") from None
    try:
        st = os.fstat(fd)
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _Bad(f"it is {_kind(st.st_mode)}, not a regular file")
    with os.fdopen(fd, "rb") as raw:
        size = st.st_size
        if size > limits.max_file_bytes:
            raise _Bad(
                f"it is {size} bytes long; the limit is {limits.max_file_bytes} "
                f"({limits.max_params} parameters)"
            )
        fh = _BoundedFile(raw, size)
        cd_offset = _check_end_record(fh, size, limits)
        fh.seek(0)
        try:
            with zipfile.ZipFile(fh) as zf:  # type: ignore[arg-type]
                infos = zf.infolist()
                _check_entries(infos, cd_offset, size, limits)
                entries = {}
                for info in infos:
                    with zf.open(info) as f:
                        data = f.read(info.file_size + 1)
                    if len(data) != info.file_size:
                        raise _Bad(f"entry {info.filename} is shorter or longer than it says")
                    entries[info.filename[:-4]] = data
        except zipfile.BadZipFile as exc:
            raise _Bad(f"the zip archive is damaged ({exc})") from None
        except (NotImplementedError, RuntimeError, EOFError, struct.error) as exc:
            raise _Bad(f"it uses a zip feature symnn.save never writes ({exc})") from None
    if _HEADER not in entries:
        raise _Bad("it has no symnn definition entry (__symnn__)")
    header = _npy(entries.pop(_HEADER), _HEADER, np.dtype(np.uint8), limits)
    if header.ndim != 1 or header.size > limits.max_header_bytes:
        raise _Bad(f"the definition entry must be at most {limits.max_header_bytes} bytes")
    arrays = {k: _npy(v, k, np.dtype("<f8"), limits) for k, v in entries.items()}
    return header.tobytes(), arrays


def _check_entries(infos: list[zipfile.ZipInfo], cd_offset: int, size: int, limits: Limits):
    if len(infos) > limits.max_entries:
        raise _Bad(f"it has {len(infos)} entries (a model has at most {limits.max_entries})")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _Bad("it has two entries with the same name")
    total = 0
    spans = []
    for info in infos:
        name = info.filename
        if not _ENTRY.match(name):
            raise _Bad(f"it has an unexpected entry {name[:60]!r}")
        start = info.header_offset
        if start < 0 or start + 30 + info.compress_size > cd_offset:
            raise _Bad(f"entry {name} says it stores {info.compress_size} bytes, more than the file")
        if name == _HEADER + ".npy" and info.file_size > limits.max_header_bytes + 4096:
            raise _Bad(f"its definition entry is larger than {limits.max_header_bytes} bytes")
        if info.flag_bits & 0x1:
            raise _Bad(f"entry {name} is encrypted")
        if info.compress_type != zipfile.ZIP_STORED:
            raise _Bad(
                f"entry {name} is compressed (method {info.compress_type}); symnn.save writes "
                "uncompressed entries: save the network again with symnn.save(net, path)"
            )
        if info.file_size != info.compress_size:
            raise _Bad(
                f"entry {name} says it holds {info.file_size} bytes but stores "
                f"{info.compress_size} (uncompressed entries hold what they store)"
            )
        spans.append((start, start + 30 + info.file_size))
        total += info.file_size
    if total > size:
        raise _Bad("its entries add up to more bytes than the file has")
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise _Bad("two of its entries overlap")


def _npy(data: bytes, name: str, dtype: np.dtype, limits: Limits) -> np.ndarray:
    """An array from the bytes of a ``.npy`` entry, read without pickle and without np.load."""
    import io

    from numpy.lib import format as npy_format

    f = io.BytesIO(data)
    try:
        major, _ = npy_format.read_magic(f)
        if major not in (1, 2):
            raise ValueError(f"npy version {major}")
        reader = npy_format.read_array_header_1_0 if major == 1 else npy_format.read_array_header_2_0
        shape, fortran, got = reader(f, max_header_size=1024)
    except (ValueError, SyntaxError, TypeError, KeyError, EOFError, OverflowError) as exc:
        raise _Bad(f"entry {name} is not a valid .npy array ({exc})") from None
    if got != dtype:
        raise _Bad(f"entry {name} holds {got}, not {dtype}")
    if len(shape) > 4 or not all(isinstance(n, int) and 0 <= n <= limits.max_params for n in shape):
        raise _Bad(f"entry {name} has an unexpected shape {shape}")
    count = math.prod(shape)
    body = memoryview(data)[f.tell() :]
    if count * dtype.itemsize != len(body):
        raise _Bad(f"entry {name} has {len(body)} bytes of data for shape {shape}")
    arr = np.frombuffer(body, dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C")


def _kind(mode: int) -> str:
    for test, text in (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return text
    return "not a regular file"


class _Missing(Exception):
    pass


# ======================================================================================
# The JSON definition
# ======================================================================================

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


def _parse_json(raw: bytes, limits: Limits) -> dict:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Bad(f"the definition is not UTF-8 text ({exc.reason})") from None
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", _STRING.sub('""', text)):
        depth += 1 if m.group() in "[{" else -1
        deepest = max(deepest, depth)
        if deepest > limits.max_json_depth:
            raise _Bad(f"the definition nests deeper than {limits.max_json_depth} levels")

    def number(kind: type) -> Callable[[str], Any]:
        def convert(s: str):
            if len(s) > limits.max_number_chars:
                raise _Bad(f"the definition has a number of {len(s)} characters")
            value = kind(s)
            if kind is float and not math.isfinite(value):
                raise _Bad("the definition has a number that is not finite")
            return value

        return convert

    def constant(s: str):
        raise _Bad(f"the definition has the non-standard number {s}")

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
        out = dict(pairs)
        if len(out) != len(pairs):
            raise _Bad("the definition repeats a key in one object")
        return out

    try:
        meta = json.loads(
            text,
            parse_int=number(int),
            parse_float=number(float),
            parse_constant=constant,
            object_pairs_hook=no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise _Bad(f"the definition is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _Bad("the definition entry is not a symnn network")
    version = meta.get("version")
    if version not in _READABLE:
        shown = version if isinstance(version, int) else str(version)[:20]
        raise _Bad(
            f"it has format version {shown!r}; this symnn reads versions "
            f"{', '.join(map(str, _READABLE))} (a newer symnn wrote it? upgrade symnn)"
        )
    return meta


def _upgrade_v1(meta: dict) -> dict:
    """A version-1 definition in version-2 terms (reduction, options and init: defaults)."""
    _keys(
        meta,
        {"format", "version", "layers", "activations", "softmax_output", "loss", "bias", "sha256"},
        "version-1 network",
    )
    acts = []
    if not isinstance(meta["activations"], list):
        raise _Bad("activations must be a list")
    for rec in meta["activations"]:
        if not isinstance(rec, dict):
            raise _Bad("an activation record is not an object")
        if "expr" in rec:
            _keys(rec, {"name", "expr", "symbol", "params"}, "activation")
            acts.append({**rec, "assumptions": {}, "tex": "", "doc": ""})
        else:
            _keys(rec, {"name", "params"}, "activation")
            acts.append({"catalogue": rec["name"], "params": rec["params"]})
    lo = meta["loss"]
    if not isinstance(lo, dict):
        raise _Bad("the loss record is not an object")
    _keys(lo, {"name", "params"}, "loss")
    if not isinstance(lo["params"], dict):
        raise _Bad("loss parameters must be an object")
    params = {k: repr(_number(v, f"loss parameter {k}")) for k, v in lo["params"].items()}
    return {
        **meta,
        "activations": acts,
        "loss": {"catalogue": lo["name"], "reduction": None, "options": {}, "params": params},
        "init": None,
        "regularizers": [],
    }


_V2_KEYS = {
    "format",
    "version",
    "layers",
    "bias",
    "softmax_output",
    "activations",
    "loss",
    "init",
    "regularizers",
    "sha256",
}


#: Keys a version-2 file has only when the network needs them.
_OPTIONAL_KEYS = {"trainable", "frozen"}


def _trainable_from(meta: dict, depth: int) -> list[tuple[int, str, str]]:
    """The ``trainable`` record: ``[(layer, keyword, "scalar" | "unit"), ...]`` (checked)."""
    rec = meta.get("trainable", [])
    if not isinstance(rec, list) or len(rec) > LIMITS.max_trainable:
        raise _Bad(
            f"trainable must be a list of at most {LIMITS.max_trainable} [layer, name, shape] records"
        )
    out = []
    for item in rec:
        ok = isinstance(item, list) and len(item) == 3
        layer, name, shape = item if ok else (None, None, None)
        ok = ok and isinstance(layer, int) and not isinstance(layer, bool) and 1 <= layer <= depth
        ok = ok and isinstance(name, str) and name.isidentifier() and len(name) <= 32
        if not (ok and shape in ("scalar", "unit")):
            raise _Bad(f"trainable entries are [layer 1..{depth}, name, 'scalar' or 'unit']")
        out.append((layer, name, shape))
    if len(set((t[0], t[1]) for t in out)) != len(out):
        raise _Bad("trainable names a parameter twice")
    return out


def _architecture(meta: dict, arrays: dict[str, np.ndarray], limits: Limits) -> tuple[int, ...]:
    """Check layers against the limits and against the stored arrays; return the widths."""
    layers = meta["layers"]
    if not isinstance(layers, list) or not 2 <= len(layers) <= limits.max_depth + 1:
        raise _Bad(f"layers must be a list of 2 to {limits.max_depth + 1} widths")
    for w in layers:
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= limits.max_width:
            raise _Bad(f"layer widths must be integers from 1 to {limits.max_width}")
    bias = meta["bias"]
    if not isinstance(bias, bool) or not isinstance(meta["softmax_output"], bool):
        raise _Bad("bias and softmax_output must be true or false")
    expected = {}
    for i in range(1, len(layers)):
        zw = _z_width(meta, i, layers[i], limits)
        expected[f"W{i}"] = (layers[i - 1], zw)
        if bias:
            expected[f"b{i}"] = (zw,)
        for layer, name, shape in _trainable_from(meta, len(layers) - 1):
            if layer == i:
                expected[f"{name}{i}"] = () if shape == "scalar" else (layers[i],)
    total = sum(math.prod(s) for s in expected.values())
    if total > limits.max_params:
        raise _Bad(
            f"its layers {layers[:8]}{'...' if len(layers) > 8 else ''} have {total} parameters; "
            f"the limit is {limits.max_params}"
        )
    if set(arrays) != set(expected):
        raise _Bad(f"it holds weights {sorted(arrays)}, but layers {layers} need {list(expected)}")
    for k, shape in expected.items():
        if arrays[k].shape != shape:
            raise _Bad(f"weight {k} has shape {arrays[k].shape}, but layers {layers} need {shape}")
    acts = meta["activations"]
    if not isinstance(acts, list) or len(acts) != len(layers) - 1:
        raise _Bad(f"it needs one activation record per weight layer ({len(layers) - 1})")
    return tuple(layers)


def _digest(arrays: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k], dtype="<f8")
        h.update(k.encode())
        h.update(str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _build(meta: dict, arrays: dict[str, np.ndarray], limits: Limits) -> Network:
    layers = _architecture(meta, arrays, limits)
    for k, a in arrays.items():
        if not np.all(np.isfinite(a)):
            raise _Bad(f"weight {k} contains NaN or inf")
    if meta["sha256"] != _digest(arrays):
        raise _Bad("the weights do not match their checksum (corrupted or modified)")
    budget = _Budget(limits)
    cache: dict[str, Activation] = {}
    acts = []
    for rec in meta["activations"]:
        key = json.dumps(rec, sort_keys=True)
        if key not in cache:
            cache[key] = _activation_from(rec, budget)
        acts.append(cache[key])
    lo = _loss_from(meta["loss"], budget)
    init = None if meta["init"] is None else _init_from(meta["init"], limits)
    regs_rec = meta["regularizers"]
    if not isinstance(regs_rec, list) or len(regs_rec) > 8:
        raise _Bad("regularizers must be a list of at most 8 records")
    regs = [_regularizer_from(r, budget) for r in regs_rec]
    budget.check_time()
    kwargs: dict[str, Any] = {
        "activation": acts[:-1],
        "output_activation": "softmax" if meta["softmax_output"] else acts[-1],
        "loss": lo,
        "bias": meta["bias"],
        "init": init,
        "seed": 0,
    }
    trainable = _trainable_from(meta, len(layers) - 1)
    if trainable:
        kwargs["trainable_params"] = {
            i: {name: shape for layer, name, shape in trainable if layer == i}
            for i in sorted({t[0] for t in trainable})
        }
    takes_regs = "regularizers" in inspect.signature(Network).parameters
    if regs and takes_regs:
        kwargs["regularizers"] = regs
    try:
        net = Network(list(layers), **kwargs)
    except (TypeError, ValueError) as exc:
        raise _Bad(f"its definition does not make a network ({exc})") from None
    if regs and not takes_regs:
        net.regularizers = regs
    budget.check_time()
    for k, a in arrays.items():
        net.params[k] = a
    frozen = meta.get("frozen", [])
    if not isinstance(frozen, list) or not all(isinstance(k, str) and k in net.params for k in frozen):
        raise _Bad(f"frozen must be a list of parameter names ({', '.join(net.params)})")
    net.frozen = frozen
    return net


# ======================================================================================
# Networks of layers (format version 3)
# ======================================================================================

_V3_KEYS = {
    "format",
    "version",
    "input_shape",
    "layers",
    "bias",
    "softmax_output",
    "output_activation",
    "loss",
    "init",
    "regularizers",
    "sha256",
}

_POOLS: dict[str, type] = {"maxpool": MaxPool2D, "avgpool": AvgPool2D}


def _layer_record(layer: Layer, act: Activation | None) -> dict:
    """One layer as JSON: ``{"conv": {...}}``, ``{"maxpool": {...}}``, ``{"activation": rec}``..."""
    if isinstance(layer, Conv2D):
        return {"conv": {"channels": layer.channels, "kernel_size": list(layer.kernel_size),
                         "stride": list(layer.stride), "padding": list(layer.padding),
                         "dilation": list(layer.dilation)}}  # fmt: skip
    if isinstance(layer, (MaxPool2D, AvgPool2D)):
        kind = "maxpool" if isinstance(layer, MaxPool2D) else "avgpool"
        return {kind: {"size": list(layer.size), "stride": list(layer.stride)}}
    if isinstance(layer, Flatten):
        return {"flatten": {}}
    if isinstance(layer, Dense):
        return {"dense": {"units": layer.units}}
    if isinstance(layer, Act) and act is not None:
        rec = {"activation": _activation_record(act)}
        if isinstance(layer.activation, str) and "catalogue" not in rec["activation"]:
            rec["given"] = layer.activation  # a formula in the spec: shown as written
        return rec
    raise _Unsavable(f"the layer {layer!r} cannot be written")


def _pair_from(value: Any, what: str, low: int, limits: Limits) -> tuple[int, int]:
    ok = isinstance(value, list) and len(value) == 2
    ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    if not ok or not all(low <= v <= limits.max_window for v in value):
        raise _Bad(f"{what} must be a pair of integers from {low} to {limits.max_window}")
    return value[0], value[1]


def _layer_from(rec: Any, budget: _Budget) -> Layer:
    limits = budget.limits
    given = rec.get("given") if isinstance(rec, dict) and set(rec) == {"activation", "given"} else None
    if given is not None:
        rec = {"activation": rec["activation"]}
    if not isinstance(rec, dict) or len(rec) != 1:
        raise _Bad("a layer record is not an object with one kind (conv, maxpool, avgpool, "
                   "flatten, dense, activation)")  # fmt: skip
    ((kind, body),) = rec.items()
    if kind == "activation":
        act = _activation_from(body, budget)
        if given is not None:
            text = _text(given, "activation as given", limits)
            if len(text) > limits.max_formula_chars:
                raise _Bad("an activation as given is longer than a formula may be")
            budget.charge(text)
            try:
                same = as_activation(text) == act
            except (TypeError, ValueError):
                same = False
            if not same:
                raise _Bad(f"the activation given as {text[:40]!r} is not its formula")
            return Act(text)
        if (isinstance(body, dict) and set(body) == {"catalogue", "params"} and not body["params"]):
            return Act(body["catalogue"])  # as the spec wrote it: Act('relu')
        return Act(act)
    if not isinstance(body, dict):
        raise _Bad(f"the {str(kind)[:20]} layer record is not an object")
    if kind == "conv":
        _keys(body, {"channels", "kernel_size", "stride", "padding", "dilation"}, "conv layer")
        ch = body["channels"]
        if isinstance(ch, bool) or not isinstance(ch, int) or not 1 <= ch <= limits.max_width:
            raise _Bad(f"conv channels must be an integer from 1 to {limits.max_width}")
        return Conv2D(ch, _pair_from(body["kernel_size"], "conv kernel_size", 1, limits),
                      _pair_from(body["stride"], "conv stride", 1, limits),
                      _pair_from(body["padding"], "conv padding", 0, limits),
                      _pair_from(body["dilation"], "conv dilation", 1, limits))  # fmt: skip
    if kind in _POOLS:
        _keys(body, {"size", "stride"}, f"{kind} layer")
        return _POOLS[kind](_pair_from(body["size"], f"{kind} size", 1, limits),
                            _pair_from(body["stride"], f"{kind} stride", 1, limits))  # fmt: skip
    if kind == "flatten":
        _keys(body, set(), "flatten layer")
        return Flatten()
    if kind == "dense":
        _keys(body, {"units"}, "dense layer")
        units = body["units"]
        if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= limits.max_width:
            raise _Bad(f"dense units must be an integer from 1 to {limits.max_width}")
        return Dense(units)
    raise _Bad(f"unknown layer kind {str(kind)[:20]!r} (conv, maxpool, avgpool, flatten, dense, "
               "activation)")  # fmt: skip


def _layered_definition(net: LayeredNetwork, arrays: dict[str, np.ndarray]) -> dict:
    """The version-3 JSON definition of a network of layers; refuses what load could not
    rebuild equal."""
    n = sum(a.size for a in arrays.values())
    if len(net.layers) > LIMITS.max_layers or n > LIMITS.max_params:
        raise ValueError(
            f"cannot save {net!r}: it has {len(net.layers)} layers and {n} parameters; "
            f"symnn.load accepts at most {LIMITS.max_layers} layers and {LIMITS.max_params} "
            "parameters"
        )
    for k, a in arrays.items():
        if not np.all(np.isfinite(a)):
            raise ValueError(f"cannot save {net!r}: parameter {k} contains NaN or inf")
    try:
        layers = [_layer_record(la, a) for la, a in zip(net.layers, net.acts, strict=True)]
        out = None if net.softmax_output else _activation_record(net.activations[-1])
        lo = _loss_record(net.loss)
        regs = [_regularizer_record(r) for r in net.regularizers or []]
    except _Unsavable as exc:
        raise ValueError(f"cannot save {net!r}: {exc}") from None
    meta = {
        "format": FORMAT,
        "version": LAYERED_VERSION,
        "input_shape": list(net.input_shape),
        "layers": layers,
        "bias": bool(net.bias),
        "softmax_output": bool(net.softmax_output),
        "output_activation": out,
        "loss": lo,
        "init": _init_record(net.init),
        "regularizers": regs,
        "sha256": _digest(arrays),
    }
    if net.frozen:
        meta["frozen"] = sorted(net.frozen)
    budget = _Budget(LIMITS)
    budget.deadline = math.inf
    problems = []
    try:  # every symbolic record reads back equal (no file involved)
        for i, (act, rec) in enumerate(zip(net.acts, layers, strict=True), 1):
            if act is not None and _activation_from(rec["activation"], budget) != act:
                problems.append(f"the activation of layer {i} ({act.name}) does not read back equal")
        if out is not None and _activation_from(out, budget) != net.activations[-1]:
            problems.append("the output activation does not read back equal")
        if _loss_from(lo, budget) != net.loss:
            problems.append(f"the loss {net.loss!r} does not read back equal")
    except _Bad as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError(f"cannot save {net!r}: " + "; ".join(problems))
    return meta


def _build_layered(meta: dict, arrays: dict[str, np.ndarray], limits: Limits) -> LayeredNetwork:
    shape = meta["input_shape"]
    ok = isinstance(shape, list) and len(shape) in (1, 3)
    ok = ok and all(isinstance(d, int) and not isinstance(d, bool) for d in shape)
    if not ok or not all(1 <= d <= limits.max_input_dim for d in shape):
        raise _Bad(f"input_shape must be [channels, height, width] or [features], each from 1 "
                   f"to {limits.max_input_dim}")  # fmt: skip
    if math.prod(shape) > limits.max_input_size:
        raise _Bad(f"its input has {math.prod(shape)} values (the limit is {limits.max_input_size})")
    recs = meta["layers"]
    if not isinstance(recs, list) or not 1 <= len(recs) <= limits.max_layers:
        raise _Bad(f"layers must be a list of 1 to {limits.max_layers} layer records")
    bias = meta["bias"]
    if not isinstance(bias, bool) or not isinstance(meta["softmax_output"], bool):
        raise _Bad("bias and softmax_output must be true or false")
    budget = _Budget(limits)
    cache: dict[str, Layer] = {}
    layers = []
    for rec in recs:
        key = json.dumps(rec, sort_keys=True)
        if key not in cache:
            cache[key] = _layer_from(rec, budget)
        layers.append(cache[key])
    try:
        outs = shapes(tuple(shape), layers)
    except (TypeError, ValueError) as exc:
        raise _Bad(f"its layers do not fit its input shape ({exc})") from None
    # the parameters the layers need, checked against the limits and the stored arrays
    expected: dict[str, tuple[int, ...]] = {}
    j = 0
    for layer, s_in in zip(layers, [tuple(shape), *outs[:-1]], strict=True):
        if isinstance(layer, Conv2D):
            j += 1
            expected[f"K{j}"] = (layer.channels, s_in[0], *layer.kernel_size)
            if bias:
                expected[f"b{j}"] = (layer.channels,)
        elif isinstance(layer, Dense):
            if len(s_in) != 1:
                raise _Bad(f"a dense layer gets an input of shape {s_in} (no flatten before it)")
            j += 1
            expected[f"W{j}"] = (s_in[0], layer.units)
            if bias:
                expected[f"b{j}"] = (layer.units,)
    total = sum(math.prod(s) for s in expected.values())
    if total > limits.max_params:
        raise _Bad(f"its layers have {total} parameters; the limit is {limits.max_params}")
    if set(arrays) != set(expected):
        raise _Bad(f"it holds weights {sorted(arrays)}, but its layers need {list(expected)}")
    for k, want in expected.items():
        if arrays[k].shape != want:
            raise _Bad(f"weight {k} has shape {arrays[k].shape}, but its layers need {want}")
        if not np.all(np.isfinite(arrays[k])):
            raise _Bad(f"weight {k} contains NaN or inf")
    if meta["sha256"] != _digest(arrays):
        raise _Bad("the weights do not match their checksum (corrupted or modified)")
    if meta["softmax_output"]:
        if meta["output_activation"] is not None:
            raise _Bad("a softmax output has no output_activation record (null)")
        output: Any = "softmax"
    else:
        output = _activation_from(meta["output_activation"], budget)
    lo: Any = _loss_from(meta["loss"], budget)
    init = None if meta["init"] is None else _init_from(meta["init"], limits)
    regs_rec = meta["regularizers"]
    if not isinstance(regs_rec, list) or len(regs_rec) > 8:
        raise _Bad("regularizers must be a list of at most 8 records")
    regs = [_regularizer_from(r, budget) for r in regs_rec]
    if regs:
        lo = Objective(lo, regs)
    budget.check_time()
    try:
        net = Network(layers, input_shape=tuple(shape), output_activation=output, loss=lo,
                      bias=bias, init=init, seed=0)  # fmt: skip
    except (TypeError, ValueError) as exc:
        raise _Bad(f"its definition does not make a network ({exc})") from None
    if not isinstance(net, LayeredNetwork) or list(net.params) != list(expected):
        raise _Bad("its layers do not make a network of layers with these weights")
    for k, a in arrays.items():
        net.params[k] = a
    frozen = meta.get("frozen", [])
    if not isinstance(frozen, list) or not all(isinstance(k, str) and k in net.params for k in frozen):
        raise _Bad(f"frozen must be a list of parameter names ({', '.join(net.params)})")
    net.frozen = frozen
    return net


# ======================================================================================
# save and load
# ======================================================================================


def _as_path(path: Any, what: str) -> Path:
    if isinstance(path, (str, os.PathLike)):
        p = os.fspath(path)
        if isinstance(p, str) and p:
            return Path(p)
    raise TypeError(f"{what} takes a file path (str or pathlib.Path), not {path!r:.80}")


def _regular_or_absent(path: Path) -> bool:
    """True when *path* is a regular file, False when absent; refuse anything else."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise ModelFileError(f"cannot use {path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(st.st_mode):
        raise ModelFileError(
            f"cannot save to {path}: it is {_kind(st.st_mode)}, not a regular file; "
            "pass a file path such as 'model.npz': symnn.save(net, 'model.npz')"
        )
    return True


def save(net: Network | LayeredNetwork, path: str | os.PathLike) -> str:
    """Write *net* to *path* and return the path written, ``.npz`` appended when missing.

    The whole definition is saved (layers, bias, every activation, the loss with its
    reduction, options and parameters, the initialiser, regularisers; for a network of
    layers also the input shape and every layer's sizes) with the weights
    and their SHA-256; :func:`load` rebuilds an equal network. The file appears
    atomically (temporary file + rename). Paths that exist but are not regular files
    (folders, devices, FIFOs) are refused, as are networks beyond :data:`LIMITS`.

    >>> import os, tempfile, symnn as sn
    >>> net = sn.Network([2, 2, 1], activation="relu", loss="mae", seed=1)
    >>> folder = tempfile.mkdtemp()
    >>> os.path.basename(sn.save(net, os.path.join(folder, "m")))
    'm.npz'
    >>> sn.save(net, folder)
    Traceback (most recent call last):
    ...
    symnn.nn.persistence.ModelFileError: cannot save to ...: it is a directory, not a regular file; ...
    """
    layered = isinstance(net, LayeredNetwork)
    if not isinstance(net, Network) and not layered:
        raise TypeError(
            f"symnn.save writes networks made by symnn.Network (widths or layers), not "
            f"{type(net).__name__}: keep its arrays with numpy.savez(path, **net.params)"
        )
    given = _as_path(path, "symnn.save")
    _regular_or_absent(given)
    target = given if given.suffix == ".npz" else given.with_name(given.name + ".npz")
    _regular_or_absent(target)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot save to {target}: the folder {folder} does not exist")
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in net.params.items()}
    meta = _layered_definition(net, arrays) if layered else _definition(net, arrays)
    blob = json.dumps(meta, sort_keys=True, allow_nan=False).encode("utf-8")
    if len(blob) > LIMITS.max_header_bytes:
        raise ValueError(
            f"cannot save {net!r}: its definition is {len(blob)} bytes, more than symnn.load "
            f"accepts ({LIMITS.max_header_bytes}); shorten the docs of user-defined activations"
        )
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, __symnn__=np.frombuffer(blob, dtype=np.uint8), **arrays)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return str(target)


def _definition(net: Network, arrays: dict[str, np.ndarray]) -> dict:
    """The version-2 JSON definition of *net*; refuses what load could not rebuild equal."""
    n = sum(a.size for a in arrays.values())
    if net.depth > LIMITS.max_depth or n > LIMITS.max_params or max(net.layers) > LIMITS.max_width:
        raise ValueError(
            f"cannot save {net!r}: it has {net.depth} weight layers and {n} parameters; "
            f"symnn.load accepts at most {LIMITS.max_depth} layers, {LIMITS.max_width} units "
            f"per layer and {LIMITS.max_params} parameters"
        )
    for k, a in arrays.items():
        if not np.all(np.isfinite(a)):
            raise ValueError(f"cannot save {net!r}: parameter {k} contains NaN or inf")
    try:
        acts = [_activation_record(a) for a in net.activations]
        lo = _loss_record(net.loss)
        regs = [_regularizer_record(r) for r in getattr(net, "regularizers", None) or []]
    except _Unsavable as exc:
        raise ValueError(f"cannot save {net!r}: {exc}") from None
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "layers": list(net.layers),
        "bias": bool(net.bias),
        "softmax_output": bool(net.softmax_output),
        "activations": acts,
        "loss": lo,
        "init": _init_record(net.init),
        "regularizers": regs,
        "sha256": _digest(arrays),
    }
    if getattr(net, "trainable", None):
        meta["trainable"] = [[tp.layer, tp.name, tp.shape] for tp in net.trainable]
    if net.frozen:  # optional key: files without it (and older files) load with nothing frozen
        meta["frozen"] = sorted(net.frozen)
    _verify(net, meta)
    return meta


def _verify(net: Network, meta: dict) -> None:
    """Rebuild every symbolic record and compare it with the original (no file involved)."""
    budget = _Budget(LIMITS)
    budget.deadline = math.inf
    problems = []
    try:
        for i, (act, rec) in enumerate(zip(net.activations, meta["activations"], strict=True)):
            again = _activation_from(rec, budget)
            if again != act or again.tex != act.tex:
                problems.append(
                    f"activation {i + 1} ({act.name}: {act.expr}) does not survive being "
                    f"written as a formula (it reads back as {again.expr})"
                )
        lo = _loss_from(meta["loss"], budget)
        if lo != net.loss:
            problems.append(f"the loss {net.loss!r} reads back as {lo!r}")
        for reg, rec in zip(
            getattr(net, "regularizers", None) or [], meta["regularizers"], strict=True
        ):
            if _regularizer_from(rec, budget) != reg:
                problems.append(f"the regularizer {reg!r} does not read back equal")
    except _Bad as exc:
        problems.append(str(exc))
    if problems:
        raise ValueError(f"cannot save {net!r}: " + "; ".join(problems))


def load(path: str | os.PathLike) -> Network | LayeredNetwork:
    """Read a network written by :func:`save` (format version 2, or version 1).

    *path* is a ``str`` or ``pathlib.Path``; ``.npz`` is tried when the name given does
    not exist. The file is checked against :data:`LIMITS` before anything is allocated
    or built; any problem raises :class:`ModelFileError` (a ``ValueError``; a missing
    file raises its subclass ``ModelFileNotFoundError``, also a ``FileNotFoundError``).

    >>> import os, tempfile, symnn as sn
    >>> net = sn.Network([2, 3, 1], loss=sn.loss("huber", delta=0.5), seed=0)
    >>> again = sn.load(sn.save(net, os.path.join(tempfile.mkdtemp(), "m.npz")))
    >>> again.loss == net.loss
    True
    >>> sn.load(os.path.join(tempfile.mkdtemp(), "nothing.npz"))
    Traceback (most recent call last):
    ...
    symnn.nn.persistence.ModelFileNotFoundError: no model file at ...nothing.npz; ...
    """
    p = _as_path(path, "symnn.load")
    if not os.path.lexists(p) and os.path.lexists(p.with_name(p.name + ".npz")):
        p = p.with_name(p.name + ".npz")
    try:
        raw, arrays = _read_archive(p, LIMITS)
        meta = _parse_json(raw, LIMITS)
        if meta["version"] == LAYERED_VERSION:
            _keys(meta, _V3_KEYS | (set(meta) & {"frozen"}), "network of layers")
            return _build_layered(meta, arrays, LIMITS)
        if meta["version"] == 1:
            meta = _upgrade_v1(meta)
        else:
            _keys(meta, _V2_KEYS | (set(meta) & _OPTIONAL_KEYS), "network")
        return _build(meta, arrays, LIMITS)
    except _Missing:
        raise ModelFileNotFoundError(
            f"no model file at {p}; save one first with symnn.save(net, path)"
        ) from None
    except _Bad as exc:
        raise ModelFileError(f"{p} is not a valid symnn model file: {exc}") from None
    except Exception as exc:  # the last line of defence: never a raw error from deep inside
        raise ModelFileError(
            f"{p} is not a valid symnn model file: it could not be read "
            f"({type(exc).__name__}: {str(exc)[:200]})"
        ) from None
