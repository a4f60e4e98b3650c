r"""Elementwise SymPy expressions -> PyTorch or JAX source, through symnn's NumPy printer.

The exported code is the code symnn's NumPy compiler prints, operation for operation:
the same :func:`~symnn.compiler.prepare` step (stability rewrites, branch-free piecewise
code), the same printer (:func:`~symnn.compiler.numpy_source`), then each NumPy, SciPy
and kernel call is mapped to its counterpart in the backend by one table
(:data:`BACKENDS`): ``np.tanh`` -> ``torch.tanh``, ``special.expit`` -> ``torch.sigmoid``,
``kernels.sech2`` -> ``ops.sech2`` (the backend's copy of symnn's stable kernel, in
:mod:`symnn.export.torch_ops` or :mod:`symnn.export.jax_ops`). The mapping works on
the syntax tree of the printed code, never on its text, and a call without a
counterpart is an error that names it.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> print(function_source([sp.diff(sp.tanh(x), x)], [x], "d_tanh", "torch"))
def d_tanh(x):
    return ops.sech2(x)
>>> print(function_source([sp.log(1 + sp.exp(x))], [x], "softplus", "jax"))
def softplus(x):
    return jnp.logaddexp(0, x)
"""

from __future__ import annotations

import ast
import keyword
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import sympy as sp

from symnn.compiler import kernels, numpy_source, prepare

__all__ = ["BACKENDS", "KERNELS", "Backend", "ExportError", "function_source", "prepared", "used_ops"]


class ExportError(ValueError):
    """An expression that cannot be exported to the backend (names the function and the fix)."""


@dataclass(frozen=True)
class Backend:
    """How printed NumPy code becomes code of one array library.

    ``table`` maps ``"np.name"``, ``"special.name"`` and ``"kernels.name"`` (what symnn's
    NumPy printer writes) to the backend's spelling; ``imports`` are the module lines a
    standalone file needs; ``ops_module`` holds the backend's stable kernels (``ops.*``).
    """

    name: str
    table: dict[str, str]
    imports: tuple[str, ...]
    ops_module: str
    #: ``X.astype(np.float64)`` becomes ``X.<cast>(<first argument>.dtype)``.
    cast: str
    #: Python code that makes the number *c* an array of the first argument's dtype.
    constant: Callable[[str, str], str] = field(repr=False)


_UNARY = (
    *("exp", "log", "log1p", "expm1", "log2", "log10", "exp2", "sqrt", "abs", "sign"),
    *("sin", "cos", "tan", "sinh", "cosh", "tanh", "floor", "ceil", "isnan"),
)

_TORCH = {f"np.{n}": f"torch.{n}" for n in _UNARY}
_TORCH.update(
    {
        "np.arcsin": "torch.asin",
        "np.arccos": "torch.acos",
        "np.arctan": "torch.atan",
        "np.arcsinh": "torch.asinh",
        "np.arccosh": "torch.acosh",
        "np.arctanh": "torch.atanh",
        "np.where": "torch.where",
        "np.nan": "torch.nan",
        "np.inf": "torch.inf",
        "np.pi": "torch.pi",
        "np.e": "torch.e",
        "special.expit": "torch.sigmoid",
        "special.erf": "torch.erf",
        "special.erfc": "torch.erfc",
        "special.gammaln": "torch.lgamma",
        "special.digamma": "torch.digamma",
    }
)
# calls whose NumPy signature torch lacks (scalars, NaN handling): the kernels in torch_ops
_TORCH.update(
    {
        f"np.{n}": f"ops.{n}"
        for n in ("maximum", "minimum", "clip", "heaviside", "logaddexp", "hypot", "cbrt", "arctan2")
    }
)
_TORCH.update({"special.gamma": "ops.gamma", "special.polygamma": "ops.polygamma"})

_JAX = {f"np.{n}": f"jnp.{n}" for n in _UNARY}
_JAX.update(
    {
        f"np.{n}": f"jnp.{n}"
        for n in (
            *("arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "arctan2", "where"),
            *("nan", "inf", "pi", "e", "maximum", "minimum", "clip", "heaviside", "logaddexp"),
            *("hypot", "cbrt"),
        )
    }
)
_JAX.update(
    {
        f"special.{n}": f"jsp.{n}"
        for n in ("expit", "erf", "erfc", "gammaln", "digamma", "gamma", "polygamma")
    }
)

#: The stable kernels (``kernels.*`` in NumPy code); each backend's ops module has a copy
#: of every one (``ops.copy`` is the backend's ``X.copy()``).
KERNELS = (*kernels.__all__, "copy")
for _table in (_TORCH, _JAX):
    _table.update({f"kernels.{n}": f"ops.{n}" for n in KERNELS})

BACKENDS: dict[str, Backend] = {
    "torch": Backend(
        "torch",
        _TORCH,
        ("import torch",),
        "symnn.export.torch_ops",
        cast="to",
        constant=lambda c, like: f"torch.tensor({c}, dtype={like}.dtype, device={like}.device)",
    ),
    "jax": Backend(
        "jax",
        _JAX,
        ("import jax", "import jax.numpy as jnp", "import jax.scipy.special as jsp"),
        "symnn.export.jax_ops",
        cast="astype",
        constant=lambda c, like: c,  # jnp.where keeps weakly typed constants in x's dtype
    ),
}


def _backend(name: str) -> Backend:
    try:
        return BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown export backend {name!r}; choose one of {', '.join(BACKENDS)}"
        ) from None


def prepared(expr: sp.Expr, arrays: Sequence[sp.Symbol]) -> sp.Expr:
    """*expr* after symnn's one preparation step (what the NumPy code is printed from)."""
    return prepare(sp.sympify(expr), list(arrays))


def _python_name(sym: sp.Symbol, used: set[str], i: int) -> str:
    name = sym.name
    plain = name.isascii() and name.isidentifier() and not keyword.iskeyword(name)
    if plain and not name.startswith("_") and name not in used and name not in _RESERVED:
        return name
    return f"_arg{i}"


_RESERVED = {"np", "special", "kernels", "torch", "jax", "jnp", "jsp", "ops", "math"}


def _is_constant(node: ast.AST) -> bool:
    """A number literal (possibly negated, or a quotient of numbers such as ``1/3``)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_constant(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left) and _is_constant(node.right)
    return False


class _Translate(ast.NodeTransformer):
    """NumPy code -> backend code, on the syntax tree (see the module docstring)."""

    def __init__(self, backend: Backend, like: str, origin: Callable[[str], str]) -> None:
        self.backend, self.like, self.origin = backend, like, origin

    def visit_Call(self, node: ast.Call) -> ast.AST:
        func = node.func
        # X.astype(np.float64): a mask as numbers, in the dtype of the arguments
        if isinstance(func, ast.Attribute) and func.attr == "astype":
            value = self.visit(func.value)
            return ast.parse(
                f"({ast.unparse(value)}).{self.backend.cast}({self.like}.dtype)", mode="eval"
            ).body
        node = self.generic_visit(node)
        name = ast.unparse(node.func)
        if name.endswith(".where") and len(node.args) == 3:
            a, b = node.args[1], node.args[2]
            if _is_constant(a) and _is_constant(b):  # no array to take the dtype from
                node.args[1] = ast.parse(
                    self.backend.constant(ast.unparse(a), self.like), mode="eval"
                ).body
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id in ("np", "special", "kernels"):
            key = f"{node.value.id}.{node.attr}"
            target = self.backend.table.get(key)
            if target is None:
                long = {"np": "numpy", "special": "scipy.special", "kernels": "symnn.compiler.kernels"}
                raise ExportError(
                    f"export to {self.backend.name}: {self.origin(key)} compiles to "
                    f"{long[node.value.id]}.{node.attr}, which has no {self.backend.name} "
                    f"counterpart in symnn.export yet; rewrite the formula without it, or add "
                    f"{key!r} to the {self.backend.name} table in symnn/export/codegen.py "
                    f"(with a kernel in {self.backend.ops_module} if needed)"
                )
            return ast.parse(target, mode="eval").body
        return self.generic_visit(node)


def _origin_finder(exprs: Iterable[sp.Basic]) -> Callable[[str], str]:
    """A function naming the SymPy function behind a printed call (for error messages)."""
    functions = set()
    for e in exprs:
        functions |= e.atoms(sp.Function)

    def origin(key: str) -> str:
        attr = key.split(".", 1)[1]
        for f in sorted(functions, key=str):
            kind = type(f)
            names = {kind.__name__.lower(), getattr(kind, "kernel", "") or ""}
            if attr in names:
                return f"the function {kind.__name__} (in {f})"
        return "the expression"

    return origin


def function_source(
    exprs: Sequence[sp.Expr],
    arrays: Sequence[sp.Symbol],
    name: str,
    backend: str,
    *,
    scalars: Sequence[sp.Symbol] = (),
    is_prepared: bool = False,
) -> str:
    """The source of ``def name(arrays..., scalars...)`` returning the expressions' values.

    *arrays* are the elementwise arguments (the first one gives the dtype of constants),
    *scalars* parameters passed as numbers or 0-d arrays. One expression gives one result;
    several give a tuple (common subexpressions are computed once). A result that does
    not depend on the arrays has their shape (``ops.broadcast``).

    >>> import sympy as sp
    >>> x, a = sp.symbols("x alpha", real=True)
    >>> print(function_source([sp.Piecewise((a * x, x <= 0), (x, True))], [x], "prelu",
    ...                       "torch", scalars=[a]))
    def prelu(x, alpha):
        return alpha * ops.minimum(x, 0) + ops.maximum(x, 0)
    """
    be = _backend(backend)
    arrays, scalars = list(arrays), list(scalars)
    if not arrays:
        raise ValueError("function_source needs at least one array argument")
    exprs = [sp.sympify(e) for e in exprs]
    ready = exprs if is_prepared else [prepared(e, arrays) for e in exprs]
    used: set[str] = set()
    names: dict[sp.Symbol, str] = {}
    for i, s in enumerate([*arrays, *scalars]):
        names[s] = _python_name(s, used, i)
        used.add(names[s])
    stray = set().union(*(e.free_symbols for e in ready)) - set(names)
    if stray:
        listed = ", ".join(sorted(s.name for s in stray))
        raise ValueError(
            f"export: the expression has free symbol(s) {listed} that are neither arguments nor "
            "parameters; substitute numbers for them or pass them as trainable parameters"
        )
    try:
        lines, results = numpy_source(ready, names, prepared=True)
    except ValueError as err:
        raise ExportError(f"export to {backend}: {err}".replace("compile: ", "")) from err
    args = [names[s] for s in arrays]
    for i, e in enumerate(ready):
        free = e.free_symbols
        if not free & set(arrays):  # constant in the arrays: give it their shape
            results[i] = f"kernels.broadcast({results[i]}, {', '.join(args)})"
        elif results[i] in args:  # never hand back an input as it is
            results[i] = f"kernels.copy({results[i]})"
    ret = results[0] if len(results) == 1 else "(" + ", ".join(results) + ")"
    signature = ", ".join(args + [names[s] for s in scalars])
    numpy_code = f"def {name}({signature}):\n" + "".join(
        f"    {line}\n" for line in [*lines, f"return {ret}"]
    )
    tree = ast.parse(numpy_code)
    tree = _Translate(be, args[0], _origin_finder(ready)).visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


def used_ops(source: str) -> list[str]:
    """The ``ops.*`` kernels a generated source calls (for standalone files).

    >>> used_ops("def f(x):\\n    return ops.sech2(x) + ops.sinc(x)")
    ['sech2', 'sinc']
    """
    found = {
        node.attr
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        and node.value.id == "ops"
    }
    return sorted(found)
