r"""A self-contained Python module for one activation: the code ``symnn export`` writes.

The file holds the formula and its derivative in the docstring, the generated forward and
derivative functions, the few stable kernels they call (copied from
:mod:`symnn.export.torch_ops` or :mod:`symnn.export.jax_ops`) and the wrapper that makes
the derivative the backward pass: a ``torch.autograd.Function`` with an ``nn.Module``, or
a ``jax.custom_jvp``. It needs only PyTorch or JAX, not symnn.

>>> import symnn as sn
>>> text = standalone_source(sn.activation("softplus"), "jax")
>>> "jnp.logaddexp(0, beta * x)" in text, "import symnn" in text
(True, False)
"""

from __future__ import annotations

import ast
import inspect

import numpy as np

from symnn.catalogue.activation import Activation
from symnn.export.codegen import ExportError
from symnn.export.fixes import fixed
from symnn.export.sources import activation_code

__all__ = ["standalone_source"]

_SKIP = {"load", "NAMES", "__all__", "torch", "jnp", "jax"}


def _ops_sources(backend: str, wanted: tuple[str, ...]) -> str:
    """The top-level definitions of the backend's ops module that *wanted* need, in order."""
    from symnn.export import jax_ops, torch_ops

    module = torch_ops if backend == "torch" else jax_ops
    source = inspect.getsource(module)
    tree = ast.parse(source)
    defs: dict[str, ast.stmt] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name):
                    defs[t.id] = node
    needed: set[str] = set()
    todo = list(wanted)
    while todo:
        name = todo.pop()
        if name in needed or name in _SKIP or name not in defs:
            continue
        needed.add(name)
        todo += [n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)]
    lines = source.splitlines()
    parts = []
    for node in tree.body:
        names = {getattr(node, "name", None)}
        if isinstance(node, ast.Assign):
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if names & needed:
            parts.append("\n".join(lines[node.lineno - 1 : node.end_lineno]))
    return "\n\n\n".join(parts)


#: The ops that apply the near-root polynomials and the limits (symnn.export.fixes).
_FIX_OPS = ("all_finite", "at_defaults", "finite_only", "near_roots", "put_limits", "root_table", "select")


def _array(a: np.ndarray) -> str:
    return f"np.array({a.tolist()!r}, dtype={str(a.dtype)!r})"


def _plain(source: str) -> str:
    """A function's source without annotations (a standalone file has no typing imports)."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            node.returns = None
            for a in (*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs):
                a.annotation = None
    return ast.unparse(tree)


def _fix_source(fixes) -> str:
    """The near-root tables and limits as literals, and the generated functions wrapped with
    them by a copy of :func:`symnn.export.fixes.fixed`."""
    parts = [
        "# -- near-root polynomials and limits at +-inf (as in the NumPy code exported from) --",
        _plain(inspect.getsource(fixed)),
    ]
    for fix, name, index in fixes:
        tables = fix.tables()
        if tables is None:
            listed = "None"
        else:
            listed = "{" + ", ".join(
                f"{dt!r}: {{" + ", ".join(f"{k!r}: {_array(v)}" for k, v in arrays.items()) + "}"
                for dt, arrays in tables.items()
            ) + "}"
        limits = None if fix.limits is None else tuple(fix.limits)
        limits_text = "None" if limits is None else "(" + ", ".join(
            f"float({str(v)!r})" if not np.isfinite(v) else repr(v) for v in limits
        ) + ")"
        parts.append(
            f"_{name}_fix = SimpleNamespace(table={'None' if tables is None else 'True'}, "
            f"limits={limits_text}, defaults={fix.defaults!r}, tables=lambda: {listed})\n"
            f"{name} = fixed({name}, _{name}_fix, ops, index={index!r})"
        )
    return "\n\n\n".join(parts)


def _docstring(act: Activation, backend: str) -> str:
    params = ", ".join(f"{act.kwnames[p]} = {v!r}" for p, v in act.params.items())
    engine = "PyTorch" if backend == "torch" else "JAX"
    text = f"""{act.name}({act.symbol}) = {act.definition}, exported from symnn for {engine}.

Formula:     {act.name}({act.symbol}) = {act.definition}
Derivative:  {act.name}'({act.symbol}) = {act.derivative}
"""
    if params:
        text += f"Parameters:  {params}\n"
    text += """
The forward code is printed from the expression symnn's NumPy code is printed from (the
same stability rewrites); the backward pass is the symbolic derivative above, so the
kink conventions and the accuracy in the tails are symnn's.
"""
    return text


def standalone_source(act: Activation, backend: str) -> str:
    """The text of a standalone module computing *act* with *backend* (``torch`` or ``jax``)."""
    if backend not in ("torch", "jax"):
        raise ValueError(f"unknown export backend {backend!r}; choose torch or jax")
    if not isinstance(act, Activation):
        raise ExportError(
            f"standalone_source writes a module for an elementwise activation; "
            f"{getattr(act, 'name', act)!r} is a vector activation: use its .to_torch() or "
            ".to_jax() (symnn.vector_activation(name).to_torch())"
        )
    names = [act.kwnames[p] for p in act.params]
    code = activation_code(act, backend, names if backend == "jax" else ())
    fn = code.name
    fixes = [(f, name, index) for f, name, index in
             ((code.value_fix, fn, None), (code.grad_fix, f"d_{fn}", 0)) if f is not None]  # fmt: skip
    wanted = tuple(sorted({*code.ops, *(_FIX_OPS if fixes else ())}))
    kernels = _ops_sources(backend, wanted)
    defaults = [repr(act.params[p]) for p in code.scalars]
    kw = [act.kwnames[p] for p in code.scalars]
    sig = "".join(f", {k}={d}" for k, d in zip(kw, defaults, strict=True))
    args = "".join(f", {k}" for k in kw)
    buffers = "".join(
        f"        self.register_buffer({k!r}, torch.tensor({k}, dtype=torch.float64))\n" for k in kw
    )
    if backend == "torch":
        head = "import math\nfrom types import SimpleNamespace\n\nimport numpy as np\nimport torch"
        wrapper = f'''
class {fn.title().replace("_", "")}Function(torch.autograd.Function):
    """Forward: {fn}; backward: the symbolic derivative d_{fn} (input only)."""

    @staticmethod
    def forward(ctx, x{args}):
        ctx.save_for_backward(x{args})
        return {fn}(x{args})

    @staticmethod
    def backward(ctx, grad):
        saved = ctx.saved_tensors
        (dx,) = d_{fn}(*saved)
        return (grad * dx,) + (None,) * (len(saved) - 1)


class {fn.title().replace("_", "")}(torch.nn.Module):
    """{act.name} as a module (parameters are buffers)."""

    def __init__(self{sig}):
        super().__init__()
{buffers}
    def forward(self, x):
        return {fn.title().replace("_", "")}Function.apply(x{"".join(f", self.{k}.to(x.dtype)" for k in kw)})
'''
    else:
        head = (
            "from types import SimpleNamespace\n\nimport jax\nimport jax.numpy as jnp\n"
            "import jax.scipy.special as jsp\nimport numpy as np"
        )
        tangent = " + ".join(f"parts[{i}] * tangents[{i}]" for i in range(len(code.wrt)))
        wrapper = f'''
@jax.custom_jvp
def {fn}_jvp(x{args}):
    return {fn}(x{args})


@{fn}_jvp.defjvp
def _{fn}_tangent(primals, tangents):
    parts = d_{fn}(*primals)
    return {fn}(*primals), {tangent}


def {fn}_function(x{sig}):
    """{act.name}(x) with the symbolic derivative as its JVP (jax.grad, jit, vmap)."""
    return {fn}_jvp(x{args})
'''
    body = [
        f'"""{_docstring(act, backend)}"""',
        head,
    ]
    if kernels:
        body.append(f"# -- stable kernels (from symnn.export.{backend}_ops) --\n\n{kernels}")
    listed = ", ".join(f"{k}={k}" for k in wanted)
    body.append(f"ops = SimpleNamespace({listed})  # generated code calls the kernels as ops.<name>")
    body.append(f"# -- generated from the SymPy expression --\n\n{code.value_source}")
    body.append(code.grad_source)
    if fixes:
        body.append(_fix_source(fixes))
    body.append(wrapper.strip("\n"))
    return "\n\n\n".join(body) + "\n"
