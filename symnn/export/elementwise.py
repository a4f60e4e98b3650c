r"""One elementwise function and its partial derivatives, as generated code of one backend.

:func:`generate` prints the value and the chosen partial derivatives of an expression
with :func:`~symnn.export.codegen.function_source` (symnn's preparation step, then the
backend's spelling) and :func:`build` runs the code in a namespace holding only the
backend's modules. The activation, loss and network exports wrap the result in a
``torch.autograd.Function`` or a ``jax.custom_jvp``: the backward pass *is* the
symbolic derivative, so kink conventions and tail accuracy carry over.

>>> import sympy as sp
>>> x, a = sp.symbols("x alpha", real=True)
>>> code = generate("elu", sp.Piecewise((a * (sp.exp(x) - 1), x <= 0), (x, True)),
...                 [x], [a], wrt=[x], backend="torch")
>>> print(code.value_source)
def elu(x, alpha):
    return alpha * torch.expm1(ops.minimum(x, 0)) + ops.maximum(x, 0)
>>> print(code.grad_source)
def d_elu(x, alpha):
    return (alpha * torch.exp(ops.minimum(x, 0)) + (1 - alpha) * ops.heaviside(x, 0.0),)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import sympy as sp

from symnn.export.codegen import function_source, prepared, used_ops
from symnn.export.fixes import Fix, fixed
from symnn.expr.symbolic import derivative

__all__ = ["Code", "build", "build_each", "derivative_code", "generate", "namespace"]


@dataclass(frozen=True)
class Code:
    """Generated source of ``name(arrays..., scalars...)`` and ``d_name(...)``.

    ``d_name`` returns a tuple: the partial derivative with respect to each symbol in
    ``wrt`` (in that order), each with the broadcast shape of the arrays.
    """

    name: str
    backend: str
    expr: sp.Expr
    partials: tuple[sp.Expr, ...]
    arrays: tuple[sp.Symbol, ...]
    scalars: tuple[sp.Symbol, ...]
    wrt: tuple[sp.Symbol, ...]
    value_source: str
    grad_source: str
    ops: tuple[str, ...] = field(default=())
    #: One function ``d<k>_name`` per ``wrt`` symbol, for a backward pass that needs only
    #: some of the partials (a loss's gradient in the prediction, not in the target).
    each_sources: tuple[str, ...] = field(default=())
    #: The near-root polynomials and limits at +-inf of the value and of the partial in
    #: the (one) array, as in symnn's NumPy code (:mod:`symnn.export.fixes`), or None.
    value_fix: Fix | None = field(default=None)
    grad_fix: Fix | None = field(default=None)

    @property
    def arguments(self) -> tuple[sp.Symbol, ...]:
        return (*self.arrays, *self.scalars)

    @property
    def wrt_index(self) -> tuple[int, ...]:
        """The position of each ``wrt`` symbol among the function's arguments."""
        args = self.arguments
        return tuple(args.index(s) for s in self.wrt)


@functools.lru_cache(maxsize=512)
def _generate(name, expr, partials, arrays, scalars, wrt, backend) -> Code:
    value = function_source([expr], arrays, name, backend, scalars=scalars)
    ready = [prepared(p, arrays) for p in partials]
    grad = function_source(ready, arrays, f"d_{name}", backend, scalars=scalars, is_prepared=True)
    if len(ready) == 1:  # always a tuple, one partial per wrt symbol
        head, _, ret = grad.rpartition("return ")
        grad = f"{head}return ({ret},)"
    each = ()
    if len(ready) > 1:
        each = tuple(
            function_source([p], arrays, f"d{k}_{name}", backend, scalars=scalars, is_prepared=True)
            for k, p in enumerate(ready)
        )
    used = set(used_ops(value)) | set(used_ops(grad)) | {o for e in each for o in used_ops(e)}
    ops = tuple(sorted(used))
    return Code(name, backend, expr, partials, arrays, scalars, wrt, value, grad, ops, each)


def generate(
    name: str,
    expr: sp.Expr,
    arrays: Sequence[sp.Symbol],
    scalars: Sequence[sp.Symbol],
    *,
    wrt: Sequence[sp.Symbol],
    backend: str,
    partials: Sequence[sp.Expr] | None = None,
) -> Code:
    """The code of *expr* and of its partial derivatives with respect to *wrt*.

    *partials* are the derivatives to print (default: symnn's derivative, with its kink
    conventions, :func:`symnn.expr.symbolic.derivative`, of *expr* for each *wrt*).
    """
    expr = sp.sympify(expr)
    if partials is None:
        partials = [derivative(expr, s) for s in wrt]
    return _generate(
        name, expr, tuple(partials), tuple(arrays), tuple(scalars), tuple(wrt), backend
    )


@functools.lru_cache(maxsize=512)
def derivative_code(code: Code, k: int) -> Code:
    """The code of *code*'s k-th partial as a function of the same arguments, with its own
    partials in the same ``wrt`` (symnn's derivative of it): what a second backward pass
    (``create_graph=True``, a Hessian-vector product) differentiates, one order at a time.

    Printed and stabilised as the first order is; the value of the partial in the array
    keeps the near-root windows and limits at +-inf of f' (``code.grad_fix``), the orders
    above have none.
    """
    new = generate(
        f"d{k}_{code.name}", code.partials[k], code.arrays, code.scalars, wrt=code.wrt,
        backend=code.backend,
    )  # fmt: skip
    if k == 0 and code.wrt[0] == code.arrays[0]:  # its value is f': f''s windows and limits
        new = replace(new, value_fix=code.grad_fix)
    return new


def namespace(backend: str) -> dict[str, object]:
    """The modules generated code of *backend* runs with (imported here, on first use)."""
    if backend == "torch":
        from symnn.export import torch_ops

        ops = torch_ops.load()
        return {"torch": ops.torch, "ops": ops}
    from symnn.export import jax_ops

    ops = jax_ops.load()
    import jax.scipy.special as jsp

    return {"jax": ops.jax, "jnp": ops.jnp, "jsp": jsp, "ops": ops}


@functools.lru_cache(maxsize=512)
def build(code: Code) -> tuple[Callable, Callable]:
    """``(value, partials)``: the two generated functions, ready to call."""
    env = namespace(code.backend)
    for src, fname in ((code.value_source, code.name), (code.grad_source, f"d_{code.name}")):
        compiled = compile(src, f"<symnn.export {code.backend} {fname}>", "exec")
        exec(compiled, env)  # printed from a SymPy tree with vetted names, never user text
    value, partials = env[code.name], env[f"d_{code.name}"]
    if code.value_fix is not None:
        value = fixed(value, code.value_fix, env["ops"])
    if code.grad_fix is not None:
        partials = fixed(partials, code.grad_fix, env["ops"], index=0)
    return value, partials


@functools.lru_cache(maxsize=512)
def build_each(code: Code) -> tuple[Callable, ...]:
    """One function per partial derivative (``code.each_sources``; the tuple function when
    there is one partial): each returns that partial alone."""
    if not code.each_sources:
        partials = build(code)[1]
        return (lambda *args: partials(*args)[0],)
    env = namespace(code.backend)
    for k, src in enumerate(code.each_sources):
        compiled = compile(src, f"<symnn.export {code.backend} d{k}_{code.name}>", "exec")
        exec(compiled, env)  # printed from a SymPy tree with vetted names, never user text
    each = [env[f"d{k}_{code.name}"] for k in range(len(code.each_sources))]
    if code.grad_fix is not None and code.wrt[0] == code.arrays[0]:
        each[0] = fixed(each[0], code.grad_fix, env["ops"])
    return tuple(each)
