r"""SymPy -> NumPy, one pipeline: :func:`prepare`, then :func:`numpy_source` (expressions
to NumPy statements, for generated network code) or :func:`compile` (one expression
to a stable, vectorised function).

:func:`prepare`, the one step between a SymPy expression and its printed code,
runs once per expression:

1. checks: the expression must be real (no ``I``);
2. ``canonicalize`` rules: distributions become 0 (:math:`\delta(u) \to 0`, the
   derivative almost everywhere of the function actually computed);
3. ``stabilize`` rules (:func:`~symnn.compiler.rules.stabilize`);
4. :func:`~symnn.compiler.piecewise.branch_free` piecewise code (the pieces in
   their printing forms: ``specialize`` rules run on them first);
5. ``specialize`` rules (printing forms such as :math:`a(u + b/a)`);
6. irrational constants folded to float64.

Both :func:`compile` and the in-place emitter print prepared
expressions; :func:`numpy_source` takes them with
``prepared=True``. Results are memoised, and a prepared expression is a fixed
point, so preparing it again costs a dictionary look-up.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> prepare(sp.Piecewise((x / 6 + sp.Rational(1, 2), x < 3), (1, True)), [x])
Linear(1/6, Clip(x, -oo, 3), 3)
>>> prepare(sp.sqrt(-1) * x, [x])
Traceback (most recent call last):
...
ValueError: compile: I*x is not real-valued on the reals (it contains the imaginary unit I, e.g. from the square root of a negative number); symnn compiles real functions only: check the formula's signs

The rules are listed in :mod:`symnn.compiler.rules`.

Symbol names that are not plain ASCII identifiers are renamed in the generated
code, so no text hidden in a symbol name ever reaches Python. Derivatives of jumps
(``DiracDelta``) are compiled as 0: the derivative, almost everywhere, of the
function actually computed.

Examples
--------
>>> import numpy as np, sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> f = compile(sp.diff(1 / (1 + sp.exp(-x)), x))
>>> float(f(-1000.0)), float(f(0.0))
(0.0, 0.25)
>>> print(f.source)
def f(x):
    x = np.asarray(x, dtype=np.float64)
    return kernels.sigmoid_prime(x)
"""

from __future__ import annotations

import builtins
import keyword
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from symnn.compiler.extremes import (
    ElementLimit,
    ElementValue,
    infinity_limits,
    needs_limits,
    overflows,
)
from symnn.compiler.kernels import RootTable
from symnn.compiler.markers import Clip, Erfc, Mask, Sech2, Select, SigmoidPrime, ZeroTimes
from symnn.compiler.piecewise import branch_free
from symnn.compiler.printer import NAMESPACE, Printer, print_code
from symnn.compiler.registry import bottom_up
from symnn.compiler.roots import root_table
from symnn.compiler.rules import RULES
from symnn.expr.functions import sigmoid

__all__ = ["CompiledFunction", "compile", "fold_constants", "numpy_source", "prepare"]

_RESERVED = set(NAMESPACE) | set(dir(builtins))


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 2048


def fold_constants(expr: sp.Basic) -> sp.Basic:
    """Replace irrational numeric subexpressions (sqrt(2), pi, ...) by float64 values.

    >>> import sympy as sp
    >>> fold_constants(sp.sqrt(2) * sp.Symbol("x"))
    1.4142135623731*x
    """

    def fold(e):
        if e.is_number and not e.is_Rational and not e.is_Float and e.is_real:
            return sp.Float(float(e))
        return e

    if isinstance(expr, sp.Basic) and expr.is_number:
        return fold(expr)
    return bottom_up(expr, fold)


def _check_real(expr: sp.Basic) -> None:
    if expr.has(sp.I):
        raise ValueError(
            f"compile: {expr} is not real-valued on the reals (it contains the imaginary unit I, "
            "e.g. from the square root of a negative number); symnn compiles real functions "
            "only: check the formula's signs"
        )


def _check_derivatives(expr: sp.Basic) -> None:
    for d in expr.atoms(sp.Derivative):
        raise ValueError(
            f"compile: cannot compile the unevaluated derivative {d}: SymPy does not know the "
            f"derivative of {d.expr.func}; write the function with known_functions() "
            "(symnn.expr.parse) or substitute its derivative before compiling"
        )


def prepare(
    expr: sp.Basic,
    variables: Iterable[sp.Symbol] | None = None,
    *,
    stable: bool = True,
    skip: Iterable[str] = (),
) -> sp.Basic:
    """Stabilise, branch-free, specialise and fold constants: the expression the printer prints.

    *variables* are the array arguments (piecewise functions of one of them lose
    their branches; default: every free symbol). ``stable=False`` skips the
    stability rules (naive printing, for comparison); *skip* names rules or tags
    to leave out (see :data:`symnn.compiler.rules.RULES`).
    """
    expr = sp.sympify(expr)
    variables = frozenset(expr.free_symbols if variables is None else variables)
    key = (expr, variables, stable, frozenset(skip))
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    _check_real(expr)
    skip_ = frozenset(skip)
    out = RULES.apply(expr, "canonicalize", skip=skip_, max_passes=2)
    if stable:
        out = RULES.apply(out, "stabilize", skip=skip_)
        if out.has(sp.Piecewise):  # the pieces' printing forms before they are summed
            out = RULES.apply(out, "specialize", skip=skip_, max_passes=2)
    out = branch_free(out, variables)
    if stable:
        out = RULES.apply(out, "specialize", skip=skip_, max_passes=2)
    out = fold_constants(out)
    _check_derivatives(out)
    _CACHE[key] = out
    for flag in (True, False) if stable else (False,):  # a prepared expression is prepared
        _CACHE[(out, variables, flag, skip_)] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def _safe_name(sym: sp.Symbol, used: set[str], index: int) -> str:
    """The symbol's name if it is a plain, unreserved ASCII identifier; else ``_argN``."""
    name = sym.name
    if (
        name.isascii()
        and name.isidentifier()
        and not keyword.iskeyword(name)
        and not name.startswith("_")
        and name not in _RESERVED
        and name not in used
    ):
        return name
    return f"_arg{index}"


def numpy_source(
    exprs: Sequence[sp.Basic],
    names: Mapping[sp.Symbol, str],
    *,
    stable: bool = True,
    prefix: str = "_t",
    variables: Iterable[sp.Symbol] | None = None,
    prepared: bool = False,
) -> tuple[list[str], list[str]]:
    """Print expressions as NumPy statements: ``(lines, results)``.

    *names* maps every free symbol to the Python name it has in the
    surrounding code. *lines* assign common subexpressions (``_t0 = ...``);
    *results* are the code of each expression. This is the building block
    that :func:`compile` and the network's code generator share.
    *variables* are the array arguments (default: every symbol in *names*);
    piecewise functions of one of them are printed without branches.
    With ``prepared=True`` the expressions come from
    :func:`prepare` and are printed as they are;
    otherwise they are prepared here (``stable=False``: without the stability rules).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> numpy_source([sp.tanh(x), 1 - sp.tanh(x)**2], {x: "Z"})
    ([], ['np.tanh(Z)', 'kernels.sech2(Z)'])
    """
    exprs = [sp.sympify(e) for e in exprs]
    if not prepared:
        variables = set(names) if variables is None else set(variables)
        exprs = [prepare(e, variables, stable=stable) for e in exprs]
    replacements, reduced = common_subexpressions(exprs, prefix)
    printer = Printer(names)

    def show(e):
        return print_code(e, printer)

    lines = [f"{sym} = {show(sub)}" for sym, sub in replacements]
    return lines, [show(e) for e in reduced]


def common_subexpressions(
    exprs: Sequence[sp.Basic], prefix: str = "_t"
) -> tuple[list[tuple[sp.Symbol, sp.Basic]], list[sp.Basic]]:
    """``sympy.cse`` with conditions kept in place: ``(replacements, reduced)``.

    A condition (``x > beta``) pulled out as ``_t0`` would print as a comparison cast to
    numbers, which gives 0 at NaN; kept inside its Select it prints as ``heaviside`` of a
    difference, NaN at NaN (abrelu' and its partial in beta share the condition).
    """
    replacements, reduced = sp.cse(list(exprs), symbols=sp.numbered_symbols(prefix), order="none")
    conditions = {}
    kept = []
    for sym, sub in replacements:
        sub = sub.xreplace(conditions) if conditions else sub
        if isinstance(sub, sp.logic.boolalg.Boolean) and not isinstance(sub, sp.Symbol):
            conditions[sym] = sub
        else:
            kept.append((sym, sub))
    if conditions:
        reduced = [e.xreplace(conditions) for e in reduced]
    return kept, list(reduced)


# The compiled function
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledFunction:
    """A vectorised NumPy function generated from a SymPy expression.

    Attributes
    ----------
    expr : the original expression.
    stable_expr : the expression after the stability rewrites.
    args : positional argument symbols.
    params : keyword parameters and their defaults.
    source : the generated Python source.
    roots : the near-root table (:mod:`symnn.compiler.roots`) the code uses, or None.
    limits : ``(at -inf, at +inf)`` that the code puts at infinite inputs of a function of
        one argument (:mod:`symnn.compiler.extremes`), or None (the formula gives them).
    """

    expr: sp.Basic
    stable_expr: sp.Basic
    args: tuple[sp.Symbol, ...]
    params: dict[sp.Symbol, float]
    source: str
    name: str
    _fn: Callable = field(repr=False)
    roots: RootTable | None = field(default=None, repr=False)
    limits: tuple[float, float] | None = field(default=None, repr=False)

    def __call__(self, *args, **kwargs):
        return self._fn(*args, **kwargs)

    def __repr__(self) -> str:
        sig = ", ".join(
            [s.name for s in self.args] + [f"{p.name}={v!r}" for p, v in self.params.items()]
        )
        return f"<compiled {self.name}({sig}) = {self.expr}>"


def compile(
    expr: sp.Basic | float,
    args: Iterable[sp.Symbol] | sp.Symbol | None = None,
    *,
    params: Mapping[sp.Symbol | str, float] | None = None,
    name: str = "f",
    stable: bool = True,
    names: Mapping[sp.Symbol, str] | None = None,
    roots: bool = True,
) -> CompiledFunction:
    r"""Compile a SymPy expression into a stable, vectorised NumPy function.

    Parameters
    ----------
    expr : the expression (elementwise in its arguments).
    args : positional argument symbols, in order (default: the free symbols not
        in *params*, sorted by name).
    params : symbols passed as keyword arguments, with their default values.
    name : the function's name in the generated source.
    stable : apply the stability rewrites (default True; False gives the naive
        printing, useful for comparison).
    names : Python names for some symbols in the signature (default: the symbol's
        own name when it is a plain ASCII identifier, else ``_argN``).
    roots : for a function of one argument, replace the formula next to the roots where
        it cancels by polynomials about them (:mod:`symnn.compiler.roots`; default True,
        used only with ``stable=True``).

    Returns
    -------
    CompiledFunction
        Callable on numbers and arrays (broadcasting like NumPy, float64
        results); ``.source`` shows the code.

    Examples
    --------
    >>> import sympy as sp
    >>> x, a = sp.symbols("x alpha", real=True)
    >>> elu = compile(sp.Piecewise((a * (sp.exp(x) - 1), x <= 0), (x, True)), x, params={a: 1.0})
    >>> elu([-1.0, 2.0], alpha=2.0)
    array([-1.26424112,  2.        ])
    >>> print(elu.source)
    def f(x, *, alpha=1.0):
        x = np.asarray(x, dtype=np.float64)
        return alpha*np.expm1(np.minimum(x, 0)) + np.maximum(x, 0)
    """
    expr = sp.sympify(expr)
    if not isinstance(expr, sp.Expr):
        raise TypeError(
            f"compile needs a SymPy expression, not {type(expr).__name__} {expr!r}; "
            "for an equation a = b compile a - b"
        )
    params = dict(params or {})
    params = {(sp.Symbol(k, real=True) if isinstance(k, str) else k): v for k, v in params.items()}
    by_name = {s.name: s for s in expr.free_symbols}
    params = {by_name.get(k.name, k): float(v) for k, v in params.items()}
    if args is None:
        args = sorted((s for s in expr.free_symbols if s not in params), key=lambda s: s.name)
    elif isinstance(args, sp.Symbol):
        args = [args]
    args = tuple(args)
    for a in args:
        if not isinstance(a, sp.Symbol):
            raise TypeError(f"compile: arguments must be SymPy symbols, got {a!r}")
    missing = expr.free_symbols - set(args) - set(params)
    if missing:
        listed = ", ".join(sorted(repr(s.name) for s in missing))
        raise ValueError(
            f"compile: the expression has free symbol(s) {listed} that are neither arguments "
            "nor parameters; pass them in args=... or params={...: default}"
        )
    if not (name.isascii() and name.isidentifier() and not keyword.iskeyword(name)):
        raise ValueError(f"compile: function name {name!r} is not a plain identifier")

    used: set[str] = set()
    names_: dict[sp.Symbol, str] = {}
    wanted = dict(names or {})
    for i, s in enumerate((*args, *params)):
        names_[s] = _safe_name(sp.Symbol(wanted[s]) if s in wanted else s, used, i)
        used.add(names_[s])

    stable_expr = prepare(expr, args, stable=stable)
    source, fn = _build(stable_expr, args, params, names_, name)
    if stable and len(args) == 1 and stable_expr.has(sigmoid):
        # 1 - sigmoid(u) -> sigmoid(-u) costs a second exponential; where the
        # difference is added to something larger (SiLU's derivative) the cheap form
        # is just as accurate. Use it only when it verifiably agrees everywhere.
        cheap = prepare(expr, args, skip=("complement",))
        if _cost(cheap) < _cost(stable_expr):
            cheap_source, cheap_fn = _build(cheap, args, params, names_, name)
            if _agree(cheap_fn, fn, {names_[p]: v for p, v in params.items()}):
                stable_expr, source, fn = cheap, cheap_source, cheap_fn
    table = limits = None
    if roots and stable and len(args) == 1:
        table = root_table(expr, args[0], fn, params)
    if stable and len(args) == 1:
        limits = infinity_limits(expr, args[0], fn, params)
    elif stable and len(args) > 1 and needs_limits(fn, len(args)):
        subs = {p: sp.Float(v, 30) for p, v in params.items()}
        limits = ElementLimit(expr.xreplace(subs), args)
    exact = None
    if stable and args and overflows(fn, len(args)):
        subs = {p: sp.Float(v, 30) for p, v in params.items()}
        exact = ElementValue(expr.xreplace(subs), args)
    if table is not None or limits is not None or exact is not None:
        source, fn = _build(stable_expr, args, params, names_, name, table, limits, exact)
    return CompiledFunction(
        expr=expr,
        stable_expr=stable_expr,
        args=args,
        params=params,
        source=source,
        name=name,
        _fn=fn,
        roots=table,
        limits=limits if isinstance(limits, tuple) else None,
    )


def _build(
    stable_expr, args, params, names_, name, roots=None, limits=None, exact=None
) -> tuple[str, Callable]:
    """Print *stable_expr* as a Python function and compile it; ``(source, function)``.

    With a near-root table *roots* the formula's values go through
    :func:`~symnn.compiler.kernels.near_roots`; with *limits* ``(at -inf, at +inf)``
    non-finite inputs get the limits (:mod:`symnn.compiler.extremes`). Both only while
    the parameters are at their defaults, for which they were computed. With *exact* (an
    :class:`~symnn.compiler.extremes.ElementValue`) the formula runs without overflow
    warnings and its infinite and NaN values at finite input are checked by
    :func:`~symnn.compiler.kernels.exact_where_overflow` (inf only where the true value is
    beyond float64, NaN only where it is not real).
    """
    lines, (result,) = numpy_source([stable_expr], names_, prepared=True)
    arg_names = [names_[a] for a in args]
    signature = ", ".join(arg_names)
    if params:
        kw = ", ".join(f"{names_[p]}={v!r}" for p, v in params.items())
        signature = f"{signature}, *, {kw}" if signature else f"*, {kw}"
    body = [f"{a} = np.asarray({a}, dtype=np.float64)" for a in arg_names]
    if not stable_expr.free_symbols & set(args) and arg_names:
        result = f"kernels.broadcast({result}, {', '.join(arg_names)})"
    elif not arg_names:
        result = f"np.float64({result})"
    elif set(args) - stable_expr.free_symbols:
        result = f"kernels.broadcast({result}, {', '.join(arg_names)})"
    if result in arg_names:  # never hand back the caller's own array
        result = f"{result}.copy()"
    plain = roots is None and limits is None and exact is None
    compute = [*lines, f"return {result}" if plain else f"_out = {result}"]
    same = ""
    if params and not plain:
        same = " and ".join(f"np.all({names_[p]} == {v!r})" for p, v in params.items())
    several = isinstance(limits, ElementLimit)
    if limits is not None:
        listed = ", ".join(arg_names)
        body.append(f"_in = ({listed},)")
        if same:
            body.append(f"if {same}:  # the limits at +-inf are those at these values")
        finite = f"kernels.finite_only_all({listed})" if several else f"kernels.finite_only({listed})"
        body.append(("    " if same else "") + f"{listed}{',' if several else ''} = {finite}")
    if exact is not None and limits is None:
        body.append(f"_in = ({', '.join(arg_names)},)")
    quiet = _discarded_warnings(stable_expr, args)
    if exact is not None:  # overflow, and inf * 0 or inf - inf after it: checked below
        extra = [f'{k}="ignore"' for k in ("over", "invalid") if f"{k}=" not in quiet]
        quiet = ", ".join(filter(None, [*extra, quiet]))
    if quiet:
        body.append(f"with np.errstate({quiet}):")
        body.extend("    " + line for line in compute)
    else:
        body.extend(compute)
    if roots is not None:
        fix = f"_out = kernels.near_roots({arg_names[0]}, _out, _roots)"
        if same:
            body.append(f"if {same}:  # the root table holds the roots at these values")
            fix = "    " + fix
        body.append(fix)
    if exact is not None:
        fix = "_out = kernels.exact_where_overflow(_in, _out, _exact)"
        if same:
            body.append(f"if {same}:  # the exact values are those at these parameters")
            fix = "    " + fix
        body.append(fix)
    if limits is not None:
        changed = " or ".join(f"{a} is not _in[{i}]" for i, a in enumerate(arg_names))
        body.append(f"if {changed}:  # +-inf and NaN in the input")
        if several:
            body.append("    _out = kernels.put_limits_at(_in, _out, _limits)")
        else:
            neg, pos = (f"np.float64({str(v)!r})" if not np.isfinite(v) else repr(v) for v in limits)
            body.append(f"    _out = kernels.put_limits(_in[0], _out, {neg}, {pos})")
    if not plain:
        body.append("return _out")
    source = f"def {name}({signature}):\n" + "\n".join("    " + line for line in body)
    namespace = dict(NAMESPACE, _roots=roots, _limits=limits, _exact=exact)
    code = builtins.compile(source, f"<symnn.compile {name}>", "exec")
    exec(code, namespace)  # generated from a SymPy tree with vetted names, never user text
    return source, namespace[name]


#: Functions that saturate (or decay) where their argument overflows to +-inf.
_SATURATING = (sigmoid, sp.tanh, sp.erf, Erfc, Sech2, SigmoidPrime, sp.atan)


def _discarded_warnings(expr: sp.Basic, args) -> str:
    """``np.errstate`` arguments for warnings of values the result does not use, or "".

    ``numpy.where`` (a Piecewise that is not branch-free) evaluates every branch
    everywhere; a polynomial argument of a saturating function (GELU-tanh's
    ``x**3``) or a polynomial factor in :class:`ZeroTimes` may overflow to inf
    where the result is still finite and exact.
    """
    if expr.has(sp.Piecewise):
        return 'over="ignore", invalid="ignore", divide="ignore"'
    if expr.has(ZeroTimes):
        return 'over="ignore", invalid="ignore"'
    for f in expr.atoms(*_SATURATING, sp.exp):
        u = f.args[0]
        if isinstance(f, sp.exp) and not u.could_extract_minus_sign():
            continue
        if any(p.exp.is_Integer and p.exp >= 2 for p in u.atoms(sp.Pow) if p.base in args):
            return 'over="ignore"'
    return ""


def _cost(expr: sp.Basic) -> int:
    """A rough cost: the number of distinct transcendental calls (CSE computes each once)."""
    calls = expr.atoms(sp.Function)
    return len([f for f in calls if not isinstance(f, (Clip, Mask, Select))])


def _verification_grid() -> np.ndarray:
    """[-1000, 1000], dense near 0 and log-spaced in magnitude down to 1e-300."""
    mags = np.logspace(-300, 3, 1213)
    lin = np.linspace(-50, 50, 4001)
    return np.unique(np.concatenate([-mags, mags, lin, np.linspace(-1000, 1000, 2001), [0.0]]))


def _agree(cheap: Callable, reference: Callable, params: Mapping | None = None) -> bool:
    """True when *cheap* matches *reference* to 1e-13 (relative), or 2e-16 near zeros.

    Checked on :func:`_verification_grid`, with the parameters at their defaults
    and at half and twice them.
    """
    settings = [{}]
    for scale in (0.5, 2.0):
        settings.append({k: v * scale for k, v in (params or {}).items()})
    return all(_agree_once(cheap, reference, kw) for kw in settings)


def _agree_once(cheap: Callable, reference: Callable, kw: dict) -> bool:
    grid = _verification_grid()
    with np.errstate(all="ignore"):
        a = np.asarray(cheap(grid, **kw), dtype=np.float64)
        b = np.asarray(reference(grid, **kw), dtype=np.float64)
    if a.shape != b.shape or not np.array_equal(np.isfinite(a), np.isfinite(b)):
        return False
    ok = np.isfinite(b)
    err = np.abs(a[ok] - b[ok])
    close = err <= 1e-13 * np.abs(b[ok])
    # near a sign change of the function, absolute agreement is what is required
    sign = np.sign(b)
    change = np.flatnonzero(sign[:-1] * sign[1:] <= 0)
    near = np.zeros(grid.shape, dtype=bool)
    for i in change:
        near |= np.abs(grid - grid[i]) <= 1e-3
    close |= near[ok] & (err <= 2e-16)
    return bool(np.all(close))
