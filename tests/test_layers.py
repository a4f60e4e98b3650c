"""The arrows point one way: no module imports a higher layer, and no imports go in a circle.

The layers are declared once, here, bottom first (DESIGN.md draws the same stack). A module
may import modules of its own layer or of lower ones; imports inside functions count too.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "symnn"

#: Bottom first. A module belongs to the first entry that is it or a package containing it.
LAYERS: list[tuple[str, ...]] = [
    ("symnn._validation", "symnn._tex", "symnn._random", "symnn._hooks"),
    ("symnn.expr",),
    ("symnn.compiler",),
    ("symnn.analysis",),
    ("symnn.catalogue",),
    ("symnn.curves", "symnn.cluster"),
    ("symnn.nn",),
    ("symnn.export",),
    ("symnn.views",),
    ("symnn",),  # the package facade, symnn/__init__.py
    ("symnn.cli", "symnn.__main__"),
]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    best, best_len = None, -1
    for i, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                if prefix == "symnn" and module != "symnn":
                    continue  # only the facade itself is the "symnn" layer
                best, best_len = i, len(prefix)
    if best is None:
        raise AssertionError(f"{module} is in no layer; add it to LAYERS in {__file__}")
    return best


def _imports(path: Path, module: str) -> set[str]:
    """Every symnn module *path* imports, at module level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "symnn")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] != "symnn":
                continue
            for alias in node.names:  # "from symnn.x import y" may import the module symnn.x.y
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found - {module}


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {m: _imports(p, m) for m, p in MODULES.items()}


def _resolve(target: str) -> str:
    """The module an import names (a name inside a module resolves to the module)."""
    while target not in MODULES and "." in target:
        target = target.rpartition(".")[0]
    return target


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_import_runs_up_the_stack(module):
    mine = _layer(module)
    upward = sorted(
        t for t in map(_resolve, GRAPH[module]) if t in MODULES and _layer(t) > mine
    )
    assert not upward, f"{module} (layer {mine}) imports higher layers: {upward}"


def test_no_import_cycles():
    edges = defaultdict(set)
    for module, targets in GRAPH.items():
        for t in map(_resolve, targets):
            # a package and its own submodules may import each other (the package's face)
            inside = module.startswith(t + ".") or (
                t.startswith(module + ".") and MODULES[module].name == "__init__.py"
            )
            if t in MODULES and t != module and not inside:
                edges[module].add(t)
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_every_module_is_in_a_layer():
    for module in MODULES:
        _layer(module)
