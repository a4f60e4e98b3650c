"""The disk cache of properties: equal to a fresh computation, never trusted blindly, never a crash."""

from __future__ import annotations

import dataclasses
import json
import os

import pytest
import sympy as sp

import symnn
from symnn.analysis import cache as disk
from symnn.analysis import properties
from symnn.analysis.properties import analyze

x = sp.Symbol("x", real=True)

# exact rationals, LambertW, a Union, numeric Floats, float parameters, no limit (None)
ENTRIES = ["sigmoid", "silu", "hardshrink", "sinc", "selu", "sinusoid", "arctan"]


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    """A fresh cache directory and an empty in-memory cache for every test."""
    monkeypatch.setenv("SYMNN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(properties, "_CACHE", {})
    return tmp_path / "cache" / "properties-v1"


def _files(folder):
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


@pytest.mark.parametrize("name", ENTRIES)
def test_cached_values_equal_a_fresh_computation(name, cache_dir):
    act = symnn.activation(name)
    fresh = analyze(act)  # a fresh computation (empty caches), stored
    assert len(_files(cache_dir)) == 1
    properties._CACHE.clear()
    fields = disk.load(fresh.expr, act.symbol, fresh.params)
    assert fields is not None, "a file written by this version must be read back"
    cached = analyze(act)  # from the file
    assert cached is not fresh
    assert cached == fresh
    assert cached.notes == fresh.notes
    assert cached.range == fresh.range and type(cached.range) is type(fresh.range)
    assert cached.least_smooth == fresh.least_smooth and cached.breakpoint_orders == fresh.breakpoint_orders
    for field in properties._PROPERTY_FIELDS:  # the same trees, not just equal values
        assert sp.srepr(getattr(cached, field)) == sp.srepr(getattr(fresh, field)), field
    assert str(cached) == str(fresh)


def test_the_cache_is_used(cache_dir, monkeypatch):
    act = symnn.activation("gelu")
    analyze(act)
    properties._CACHE.clear()

    def no_analysis(*args, **kwargs):
        raise AssertionError("recomputed although the cache holds the answer")

    monkeypatch.setattr(properties, "_analyze", no_analysis)
    assert analyze(act).range.start.is_Float


def _entry(cache_dir):
    (path,) = _files(cache_dir)
    return path, json.loads(path.read_text())


def _rewrite(path, document, fix_checksum=True):
    if fix_checksum:  # what a deliberate tamperer would do
        document["sha256"] = disk._checksum(document["payload"])
    path.write_text(json.dumps(document))


def _recomputed(act, monkeypatch):
    """analyze(act) from a cold memory cache; returns (result, whether it was recomputed)."""
    properties._CACHE.clear()
    calls = []
    real = properties._analyze

    def spy(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(properties, "_analyze", spy)
    return analyze(act), bool(calls)


@pytest.mark.parametrize(
    "damage",
    [
        "garbage",
        "truncated",
        "checksum",
        "wrong range",
        "wrong value at zero",
        "wrong monotonicity",
        "code in a value",
        "attribute access",
        "huge power",
        "other expression",
    ],
)
def test_a_corrupted_or_tampered_file_is_ignored_and_recomputed(damage, cache_dir, monkeypatch):
    act = symnn.activation("tanh")
    truth = analyze(act)  # computed and stored
    path, document = _entry(cache_dir)
    props = document["payload"]["properties"]
    if damage == "garbage":
        path.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        path.write_text(path.read_text()[:50])
    elif damage == "checksum":
        props["range"] = "Interval(Integer(-5), Integer(5), true, true)"
        _rewrite(path, document, fix_checksum=False)
    elif damage == "wrong range":
        props["range"] = "Interval(Integer(2), Integer(3), true, true)"
        _rewrite(path, document)
    elif damage == "wrong value at zero":
        props["value_at_zero"] = "Integer(7)"
        _rewrite(path, document)
    elif damage == "wrong monotonicity":
        props["monotonicity"] = "decreasing"
        _rewrite(path, document)
    elif damage == "code in a value":
        props["value_at_zero"] = "__import__('os').system('touch /tmp/symnn-pwned')"
        _rewrite(path, document)
    elif damage == "attribute access":
        props["limit_pos_inf"] = "Integer(1).__class__"
        _rewrite(path, document)
    elif damage == "huge power":
        props["limit_pos_inf"] = "Pow(Integer(10), Integer(10000000000000))"
        _rewrite(path, document)
    elif damage == "other expression":
        document["payload"]["expr"] = sp.srepr(sp.sin(x))
        _rewrite(path, document)
    result, recomputed = _recomputed(act, monkeypatch)
    assert recomputed
    # (symbolic may differ under heavy load: a SymPy call that runs out of its own time
    # falls back to the numeric search, with the same answers)
    assert dataclasses.replace(result, symbolic=truth.symbolic) == truth
    assert not os.path.exists("/tmp/symnn-pwned")
    _, repaired = _entry(cache_dir)  # the good answer is written back
    assert repaired["payload"]["properties"]["range"] == sp.srepr(truth.range)


def test_rebuild_refuses_anything_but_sympy_constructors():
    for text in [
        "eval('1')",
        "sympify('x')",
        "Symbol('x')",
        "Integer(1).evalf()",
        "(lambda: 1)()",
        "Integer('1' * 100)",
        "Float(1.5)",
        "Integer(" + "9" * 100 + ")",
        "Add(" * 50 + "Integer(1)" + ")" * 50,
    ]:
        with pytest.raises(ValueError, match="cache"):
            disk.rebuild(text)
    assert disk.rebuild("Add(Integer(1), pi)") == 1 + sp.pi
    assert disk.rebuild("-oo") is sp.S.NegativeInfinity


def test_an_unwritable_directory_is_no_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("SYMNN_CACHE_DIR", str(blocker / "cache"))
    props = analyze(symnn.activation("tanh"))
    assert props.complete
    assert disk.store(props, x) is False
    assert disk.load(props.expr, x, props.params) is None


def test_the_cache_can_be_switched_off(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMNN_CACHE_DIR", "off")
    assert disk.cache_dir() is None
    assert analyze(symnn.activation("relu")).complete
    assert disk.clear() == 0


def test_xdg_cache_home_and_the_home_fallback(tmp_path, monkeypatch):
    monkeypatch.delenv("SYMNN_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert disk.cache_dir() == tmp_path / "xdg" / "symnn" / "properties-v1"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert disk.cache_dir() == tmp_path / "home" / ".cache" / "symnn" / "properties-v1"


def test_incomplete_results_are_not_stored(cache_dir):
    props = analyze(symnn.activation("gelu_tanh"), budget=0.05)
    assert not props.complete
    assert _files(cache_dir) == []


def test_the_key_depends_on_expression_parameters_and_version(monkeypatch):
    f = x * sp.Rational(1, 100)
    base = disk.key(f, x, (("alpha", 0.01),))
    assert disk.key(f, x, (("alpha", 0.02),)) != base
    assert disk.key(2 * f, x, (("alpha", 0.01),)) != base
    monkeypatch.setattr(disk, "_FINGERPRINT", "another version")
    assert disk.key(f, x, (("alpha", 0.01),)) != base


def test_clear_removes_the_files(cache_dir):
    analyze(symnn.activation("relu"))
    assert disk.clear() == 1 and _files(cache_dir) == []
