r"""A disk cache of analysed properties, so that the catalogue is analysed once per version.

The properties of a function depend only on its definition, so
:func:`~symnn.analysis.properties.analyze` stores every complete result in a
JSON file named by the SHA-256 of

* the expression (``sympy.srepr``) and its variable,
* the parameter values,
* the version of symnn and a fingerprint of the analysis code (the source of
  ``symnn.analysis``, ``symnn.expr`` and ``symnn.compiler``), so that a new
  version or an edited analysis never reads an old answer.

Where: ``$SYMNN_CACHE_DIR`` if set (``off``, ``none``, ``0`` or the empty
string switch the disk cache off), else ``$XDG_CACHE_HOME/symnn``, else
``~/.cache/symnn``; files live in its ``properties-v1`` folder. A directory that
cannot be created or written is no error: nothing is cached then.

A cached file is never trusted blindly. It is read only if it parses, is small,
carries the right key and expression, and its checksum matches; its SymPy
values are stored as ``sympy.srepr`` text and rebuilt by walking the parsed
syntax tree with a fixed list of SymPy constructors (no ``eval``, no
``sympify``), with bounded literals and only small rational exponents. Then the
claims are spot-checked against the expression with mpmath (the value at 0,
membership of sampled values in the range, the direction of a monotonic
function, finite limits at :math:`\pm 10^6`). Anything that fails is ignored
and recomputed.

>>> import sympy as sp
>>> rebuild("Interval(Integer(0), oo, true, true)")
Interval.open(0, oo)
>>> rebuild("Mul(Integer(-1), LambertW(exp(Integer(-1))))")
-LambertW(exp(-1))
>>> rebuild("__import__('os')")
Traceback (most recent call last):
...
ValueError: cache: '__import__' is not an allowed constructor
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import itertools
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import mpmath
import sympy as sp

__all__ = ["cache_dir", "clear", "key", "load", "rebuild", "store"]

_FORMAT = "properties-v1"
_MAX_FILE_BYTES = 256 * 1024
_MAX_LITERAL = 80  # characters of one number literal
_MAX_DEPTH = 40  # nesting of constructors
_OFF = ("", "0", "off", "none", "false", "no")


def cache_dir() -> Path | None:
    """The directory of the cache, or None when the cache is switched off."""
    explicit = os.environ.get("SYMNN_CACHE_DIR")
    if explicit is not None:
        if explicit.strip().lower() in _OFF:
            return None
        return Path(explicit).expanduser() / _FORMAT
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "symnn" / _FORMAT


def clear() -> int:
    """Delete the cached files (of this format); returns how many were removed."""
    folder = cache_dir()
    if folder is None or not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.json"):
        with contextlib.suppress(OSError):
            path.unlink()
            removed += 1
    return removed


# ----------------------------------------------------------------------------
# The key: expression, parameters, version, code
# ----------------------------------------------------------------------------

_FINGERPRINT: str | None = None


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("symnn")
    except Exception:  # not installed (a source checkout on sys.path)
        return "unknown"


def _fingerprint() -> str:
    """A hash of the code the answers come from (changes whenever that code is edited)."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        digest = hashlib.sha256(_version().encode())
        root = Path(__file__).resolve().parents[1]
        for package in ("analysis", "expr", "compiler"):
            for path in sorted((root / package).glob("*.py")):
                with contextlib.suppress(OSError):
                    digest.update(path.name.encode() + path.read_bytes())
        _FINGERPRINT = digest.hexdigest()
    return _FINGERPRINT


def key(f: sp.Expr, x: sp.Symbol, params: tuple) -> str:
    """The cache key of the properties of *f* in *x* at the parameter values *params*."""
    text = json.dumps(
        [
            _FORMAT,
            _fingerprint(),
            sp.srepr(f),
            sp.srepr(x),
            [[str(n), repr(float(v))] for n, v in params],
        ]
    )
    return hashlib.sha256(text.encode()).hexdigest()


# ----------------------------------------------------------------------------
# SymPy values as srepr text, rebuilt without eval
# ----------------------------------------------------------------------------


#: The SymPy constructors a cached value may use (srepr names).
_CONSTRUCTOR_NAMES = (
    "Integer Rational Float Add Mul Pow exp log LambertW sin cos tan cot sec csc asin acos atan "
    "sinh cosh tanh asinh acosh atanh erf erfc gamma Abs sign Interval FiniteSet Union"
)


@functools.lru_cache(maxsize=1)
def _constructors() -> dict[str, Any]:
    from symnn.expr.functions import sigmoid, softplus

    names = _CONSTRUCTOR_NAMES.split()
    table: dict[str, Any] = {n: getattr(sp, n) for n in names}
    table["AccumulationBounds"] = sp.AccumBounds
    table.update({"sigmoid": sigmoid, "softplus": softplus})
    return table


_NAMES = {
    "oo": sp.oo,
    "zoo": sp.zoo,
    "nan": sp.nan,
    "pi": sp.pi,
    "E": sp.E,
    "EulerGamma": sp.EulerGamma,
    "GoldenRatio": sp.GoldenRatio,
    "Reals": sp.S.Reals,
    "EmptySet": sp.S.EmptySet,
    "true": sp.true,
    "false": sp.false,
}


def _check_power(*args: Any) -> None:
    """Refuse a power whose evaluation could be expensive (a tampered ``Pow(10, 10**12)``)."""
    if len(args) != 2:
        raise ValueError("cache: Pow takes a base and an exponent")
    exponent = args[1]
    if not (isinstance(exponent, sp.Rational) and abs(exponent.p) <= 1000 and exponent.q <= 1000):
        raise ValueError(f"cache: the exponent {exponent} is not a small rational")


def rebuild(text: str) -> Any:
    """A SymPy value from its ``srepr`` text, built by whitelisted constructors only.

    Raises ValueError for anything else (names, attributes, calls, literals
    that are not allowed or too large).
    """
    if not isinstance(text, str) or len(text) > 20000:
        raise ValueError("cache: a value must be srepr text of at most 20000 characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ValueError(f"cache: {text[:40]!r} is not srepr text") from err
    table = _constructors()

    def build(node: ast.AST, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise ValueError("cache: a value nests too deeply")
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool) or not isinstance(value, (int, str)):
                raise ValueError(f"cache: literal {value!r} is not allowed")
            if len(str(value)) > _MAX_LITERAL:
                raise ValueError("cache: a literal is too long")
            return value
        if isinstance(node, ast.Name):
            if node.id not in _NAMES:
                raise ValueError(f"cache: {node.id!r} is not an allowed constant")
            return _NAMES[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = build(node.operand, depth + 1)
            if isinstance(inner, int):
                return -inner
            if isinstance(inner, sp.Expr):
                return -inner
            raise ValueError("cache: '-' before a non-number")
        if isinstance(node, ast.Tuple):
            return tuple(build(e, depth + 1) for e in node.elts)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name not in table:
                raise ValueError(f"cache: {name!r} is not an allowed constructor")
            args = [build(a, depth + 1) for a in node.args]
            kwargs = {}
            for kw in node.keywords:
                if kw.arg != "precision" or name != "Float":
                    raise ValueError(f"cache: keyword {kw.arg!r} is not allowed")
                precision = build(kw.value, depth + 1)
                if not isinstance(precision, int) or not 1 <= precision <= 2000:
                    raise ValueError("cache: a Float precision must be 1..2000 bits")
                kwargs["precision"] = precision
            if name in ("Integer", "Rational") and not all(isinstance(a, int) for a in args):
                raise ValueError(f"cache: {name} takes integers")
            if name == "Float" and not (len(args) == 1 and isinstance(args[0], str)):
                raise ValueError("cache: Float takes its decimal text")
            if name not in ("Integer", "Rational", "Float") and any(
                isinstance(a, (int, str)) for a in args
            ):
                raise ValueError(f"cache: {name} takes SymPy values")
            if name == "Pow":
                _check_power(*args)
            return table[name](*args, **kwargs)
        raise ValueError(f"cache: {ast.dump(node)[:60]} is not allowed in a cached value")

    return build(tree.body, 0)


# ----------------------------------------------------------------------------
# Properties <-> JSON
# ----------------------------------------------------------------------------

_VALUES = ("value_at_zero", "derivative_at_zero", "limit_neg_inf", "limit_pos_inf")
_FLAGS = ("bounded_below", "bounded_above", "monotonic", "derivative_monotonic", "zero_centred",
          "approximates_identity", "symbolic")  # fmt: skip
_WORDS = ("monotonicity", "derivative_monotonicity", "saturates")
_MONOTONICITIES = ("increasing", "decreasing", "non-decreasing", "non-increasing", "constant", "no")
_SATURATES = ("both", "left", "right", "none")


def _text(value: Any) -> str | None:
    return None if value is None else sp.srepr(value)


def _value(text: Any) -> Any:
    if text is None:
        return None
    value = rebuild(text)
    if not isinstance(value, sp.Expr):
        raise ValueError("cache: a value is not a SymPy number")
    return value


def _order(value: Any) -> Any:
    if value == "oo":
        return sp.oo
    if isinstance(value, bool) or not isinstance(value, int) or not -1 <= value <= 100:
        raise ValueError("cache: an order of continuity must be an integer >= -1 or 'oo'")
    return value


def _encode(props: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"range": sp.srepr(props.range)}
    data.update({f: _text(getattr(props, f)) for f in _VALUES})
    data.update({f: bool(getattr(props, f)) for f in _FLAGS})
    data.update({f: getattr(props, f) for f in _WORDS})
    data["continuity"] = "oo" if props.continuity is sp.oo else int(props.continuity)
    data["least_smooth"] = [sp.srepr(k) for k in props.least_smooth]
    data["discontinuities"] = [sp.srepr(k) for k in props.discontinuities]
    data["breakpoint_orders"] = [
        [sp.srepr(p), "oo" if o is sp.oo else int(o)] for p, o in props.breakpoint_orders
    ]
    data["notes"] = list(props.notes)
    return data


def _decode(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    rng = rebuild(data["range"])
    if not isinstance(rng, sp.Set):
        raise ValueError("cache: the range is not a set")
    out["range"] = rng
    for f in _VALUES:
        out[f] = _value(data[f])
    for f in _FLAGS:
        if not isinstance(data[f], bool):
            raise ValueError(f"cache: {f} is not a flag")
        out[f] = data[f]
    for f, allowed in zip(_WORDS, (_MONOTONICITIES, _MONOTONICITIES, _SATURATES), strict=True):
        if data[f] not in allowed:
            raise ValueError(f"cache: {f} = {data[f]!r} is not one of {allowed}")
        out[f] = data[f]
    out["continuity"] = _order(data["continuity"])
    out["least_smooth"] = tuple(_value(k) for k in data["least_smooth"])
    out["discontinuities"] = tuple(_value(k) for k in data["discontinuities"])
    out["breakpoint_orders"] = tuple((_value(p), _order(o)) for p, o in data["breakpoint_orders"])
    notes = data["notes"]
    if not (isinstance(notes, list) and all(isinstance(n, str) for n in notes)):
        raise ValueError("cache: notes must be strings")
    out["notes"] = tuple(notes)
    return out


def _checksum(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


# ----------------------------------------------------------------------------
# Store and load
# ----------------------------------------------------------------------------


def store(props: Any, x: sp.Symbol) -> bool:
    """Write complete *props* to the cache; False (and no error) if that is not possible."""
    folder = cache_dir()
    if folder is None or not props.complete:
        return False
    try:
        entry = key(props.expr, x, props.params)
        payload = {
            "key": entry,
            "expr": sp.srepr(props.expr),
            "x": sp.srepr(x),
            "params": [[str(n), repr(float(v))] for n, v in props.params],
            "properties": _encode(props),
        }
        text = json.dumps({"payload": payload, "sha256": _checksum(payload)}, ensure_ascii=False)
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, folder / f"{entry}.json")
        finally:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return True
    except Exception:  # read-only, full disk, odd file system: just don't cache
        return False


def load(f: sp.Expr, x: sp.Symbol, params: tuple) -> dict[str, Any] | None:
    """The cached property fields of *f*, checked against it, or None (absent, stale or untrusted).

    The fields are those of :class:`~symnn.analysis.properties.Properties`
    except ``name``, ``expr`` and ``params``.
    """
    folder = cache_dir()
    if folder is None:
        return None
    try:
        entry = key(f, x, params)
        path = folder / f"{entry}.json"
        if not path.is_file() or path.stat().st_size > _MAX_FILE_BYTES:
            return None
        document = json.loads(path.read_text(encoding="utf-8"))
        payload = document["payload"]
        if document["sha256"] != _checksum(payload):
            return None
        if (payload["key"], payload["expr"], payload["x"]) != (entry, sp.srepr(f), sp.srepr(x)):
            return None
        if payload["params"] != [[str(n), repr(float(v))] for n, v in params]:
            return None
        fields = _decode(payload["properties"])
    except Exception:  # unreadable, corrupted or tampered: recompute
        return None
    return fields if _plausible(fields, f, x) else None


# ----------------------------------------------------------------------------
# Spot checks of a cached answer against the expression
# ----------------------------------------------------------------------------

_SAMPLES = ("-31.7", "-7.3", "-2.1", "-0.43", "0.61", "1.9", "5.2", "27.9")


def _plausible(fields: dict[str, Any], f: sp.Expr, x: sp.Symbol) -> bool:
    """Cheap mpmath checks that the cached claims fit *f* (not a proof; a guard against tampering)."""
    from symnn.analysis.budget import attempt

    return attempt(lambda: _spot_checks(fields, f, x), 2.0) is True


def _mp(v: sp.Expr) -> mpmath.mpf:
    if v is sp.oo:
        return mpmath.inf
    if v is sp.S.NegativeInfinity:
        return -mpmath.inf
    value = sp.N(v, 40)
    if not value.is_Number:
        raise ValueError(f"cache: {v} is not a real number")
    return mpmath.mpf(value._mpf_) if value.is_Float else mpmath.mpf(str(value))


def _function(f: sp.Expr, x: sp.Symbol):
    from symnn.expr.functions import to_elementary

    fn = sp.lambdify(x, to_elementary(f), modules="mpmath")

    def call(t: mpmath.mpf) -> mpmath.mpf:
        try:
            out = fn(t)
        except Exception:
            return mpmath.nan
        if isinstance(out, mpmath.mpc):
            out = out.real if abs(out.imag) <= mpmath.mpf(10) ** -25 * abs(out) else mpmath.nan
        return mpmath.mpf(out)

    return call


def _spot_checks(fields: dict[str, Any], f: sp.Expr, x: sp.Symbol) -> bool:
    fn = _function(f, x)
    with mpmath.workdps(30):
        tol = mpmath.mpf(10) ** -20
        ts = [mpmath.mpf(t) for t in _SAMPLES]
        values = [fn(t) for t in ts]
        if any(mpmath.isnan(v) or mpmath.isinf(v) for v in values):
            return False
        f0 = fn(mpmath.mpf(0))
        if not mpmath.isnan(f0) and abs(f0 - _mp(fields["value_at_zero"])) > tol * (1 + abs(f0)):
            return False
        for v in [*values, *([] if mpmath.isnan(f0) else [f0])]:
            if not _in(fields["range"], v, tol):
                return False
        direction = {"increasing": 1, "non-decreasing": 1, "decreasing": -1,
                     "non-increasing": -1, "constant": 0}.get(fields["monotonicity"])  # fmt: skip
        if direction is not None:
            steps = [b - a for a, b in itertools.pairwise(values)]
            slack = tol * (1 + max(abs(v) for v in values))
            if direction == 0 and any(abs(d) > slack for d in steps):
                return False
            if direction and any(direction * d < -slack for d in steps):
                return False
        for limit, far in ((fields["limit_neg_inf"], -(10**6)), (fields["limit_pos_inf"], 10**6)):
            if limit is None or not limit.is_finite:
                continue
            value = fn(mpmath.mpf(far))
            if mpmath.isnan(value) or abs(value - _mp(limit)) > mpmath.mpf(10) ** -3 * (
                1 + abs(value)
            ):
                return False
    return True


def _in(rng: sp.Set, v: mpmath.mpf, tol: mpmath.mpf) -> bool:
    _mpf = _mp
    slack = tol * (1 + abs(v))
    if isinstance(rng, sp.Union):
        return any(_in(part, v, tol) for part in rng.args)
    if isinstance(rng, sp.FiniteSet):
        return any(abs(v - _mpf(e)) <= slack for e in rng)
    if isinstance(rng, sp.Interval):
        return _mpf(rng.start) - slack <= v <= _mpf(rng.end) + slack
    return False
