r"""The Activation class: one SymPy expression in one real symbol, every other view derived.

An :class:`Activation` owns its definition ``expr``; the derivative comes from
``sympy.diff`` (tidied), the numbers from :func:`symnn.compile` (stable NumPy
code), the LaTeX from SymPy's printer and the properties from
:func:`symnn.analysis.properties.analyze`. The catalogue of named activations is
:mod:`symnn.catalogue.activations`; a user's own formula gets the same treatment:

>>> f = Activation("x*tanh(x)", name="lisht")
>>> f.derivative
-x*tanh(x)**2 + x + tanh(x)
>>> float(f.grad(2.0))
1.105329229782146
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from symnn import _hooks
from symnn._tex import as_base, display
from symnn._validation import as_float_array, exact_number, unknown_parameter
from symnn.analysis.properties import analyze
from symnn.compiler import CompiledFunction
from symnn.compiler import compile as compile_expr
from symnn.expr.functions import to_elementary
from symnn.expr.symbolic import as_expression, breakpoints, derivative, in_terms_of_output

__all__ = ["Activation", "a", "x"]

#: The input symbol of every catalogue activation.
x = sp.Symbol("x", real=True)
#: The symbol that stands for an activation's output in ``derivative_in_output``.
a = sp.Symbol("a", real=True)

_KEYWORD_NAMES = {"lambda": "lambd"}  # Python keywords cannot be keyword arguments


def _default_kwname(sym: sp.Symbol) -> str:
    return _KEYWORD_NAMES.get(sym.name, sym.name)


class Activation:
    r"""An activation function defined by one SymPy expression in one real symbol.

    Parameters
    ----------
    expr : sympy.Expr or str
        The definition, e.g. ``x*tanh(log(1 + exp(x)))``. Strings go through
        :func:`symnn.parse`.
    name : str, optional
        A name for printing (default ``"f"``).
    symbol : sympy.Symbol or str, optional
        The input variable (default: the only free symbol that is not a
        parameter, or ``x``).
    params : mapping, optional
        Other free symbols (or their names) and their default values, e.g.
        ``{"alpha": 0.01}``. They stay symbolic in the expression and become
        keyword arguments of the numerical functions.
    tex : str, optional
        LaTeX for the function's name, e.g. ``r"\sigma"``.
    doc : str, optional
        A description (the catalogue's entries carry their formula, defaults,
        kink conventions and references).

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t")
    >>> mish = Activation(t * sp.tanh(sp.log(1 + sp.exp(t))), name="mish")
    >>> float(mish(1.0))
    0.8650983882673103
    >>> mish.symbol.is_real
    True
    """

    def __init__(
        self,
        expr: sp.Expr | str,
        name: str | None = None,
        *,
        symbol: sp.Symbol | str | None = None,
        params: Mapping[sp.Symbol | str, float] | None = None,
        tex: str | None = None,
        doc: str | None = None,
    ) -> None:
        names = None  # any single-letter or Greek variable
        if symbol is not None:  # the variables are declared: the input and the parameters
            names = [symbol.name if isinstance(symbol, sp.Symbol) else str(symbol)]
            names += [k.name if isinstance(k, sp.Symbol) else str(k) for k in params or {}]
        expr = as_expression(expr, "an activation is a SymPy expression in one variable", names)
        free = {s.name: s for s in expr.free_symbols}
        given = {}
        for key, value in (params or {}).items():
            pname = key.name if isinstance(key, sp.Symbol) else str(key)
            pname = {v: k for k, v in _KEYWORD_NAMES.items()}.get(pname, pname)
            given[pname] = value
        sym_name = symbol.name if isinstance(symbol, sp.Symbol) else symbol
        if sym_name is None:
            candidates = sorted(set(free) - set(given))
            if "x" in candidates:
                sym_name = "x"
            elif len(candidates) == 1:
                sym_name = candidates[0]
            elif not candidates:
                sym_name = "x"
            else:
                raise ValueError(
                    f"activation {expr} has free symbols {', '.join(candidates)}; say which one is "
                    "the input with symbol=..., and give the others defaults with params={...}"
                )
        # symnn works on the real line: make the input and parameter symbols real.
        real_x = sp.Symbol(sym_name, real=True)
        mapping = {s: real_x for s in expr.free_symbols if s.name == sym_name}
        defaults: dict[sp.Symbol, float] = {}
        for pname, value in given.items():
            if pname == sym_name:
                raise ValueError(f"{pname!r} is the input symbol; it cannot also be a parameter")
            old = free.get(pname)
            new = old if (old is not None and old.is_real) else sp.Symbol(pname, real=True)
            if old is not None and old != new:
                mapping[old] = new
            defaults[new] = float(exact_number(value, f"parameter {pname}"))
        expr = expr.xreplace(mapping)
        unknown = expr.free_symbols - {real_x} - set(defaults)
        if unknown:
            names = ", ".join(sorted(s.name for s in unknown))
            raise ValueError(
                f"activation {expr} has free symbol(s) {names} without a default value; "
                f"pass params={{{', '.join(repr(n) + ': ...' for n in sorted(names.split(', ')))}}}"
            )
        self._set(
            expr=expr,
            symbol=real_x,
            params=defaults,
            kwnames={p: _default_kwname(p) for p in defaults},
            name=name or "f",
            tex=tex,
            doc=doc or "",
        )

    def _set(
        self,
        *,
        expr: sp.Expr,
        symbol: sp.Symbol,
        params: dict[sp.Symbol, float],
        kwnames: dict[sp.Symbol, str],
        name: str,
        tex: str | None = None,
        doc: str = "",
        origin: tuple[str, dict[str, float]] | None = None,
        specs: Mapping[sp.Symbol, Any] | None = None,
        init: str = "xavier_uniform",
        family: str | None = None,
        plain: str | None = None,
        bounds: tuple[float, float] | None = None,
        derivatives: dict[int, sp.Expr] | None = None,
    ) -> None:
        """Every attribute of an Activation, set in this one place (all constructors use it)."""
        self.expr: sp.Expr = expr
        self.symbol: sp.Symbol = symbol
        self.params: dict[sp.Symbol, float] = params
        self.kwnames: dict[sp.Symbol, str] = kwnames
        self.name: str = name
        #: LaTeX for the name, braced if it carries an exponent so a prime can follow it.
        self.tex: str = as_base(tex or (rf"\operatorname{{{name}}}" if len(name) > 1 else name))
        self.doc: str = doc
        #: ``(catalogue name, fixed parameters)`` for catalogue entries, else None.
        self.origin: tuple[str, dict[str, float]] | None = origin
        #: Parameter constraints (:class:`~symnn.catalogue.registry.ParamSpec`) by symbol.
        self.specs: dict[sp.Symbol, Any] = dict(specs or {})
        #: The weight initialiser that keeps signals steady through this activation.
        self.init: str = init
        #: The catalogue family ("relu", "sigmoid", ...), None for user-defined ones.
        self.family: str | None = family
        #: How plain-text formulas write the function (``σ`` for the sigmoid).
        self.plain: str = plain or name
        #: ``(inf, sup)`` of the range when the function is bounded (colour scales), else None.
        self.bounds: tuple[float, float] | None = bounds
        self._derivatives: dict[int, sp.Expr] = dict(derivatives or {})
        self._derivatives[0] = expr
        self._compiled: dict[int, CompiledFunction] = {}

    def _copy(self, **changes: Any) -> Activation:
        """A copy with some of the :meth:`_set` fields changed (the rest carried over)."""
        fields = {
            "expr": self.expr,
            "symbol": self.symbol,
            "params": self.params,
            "kwnames": self.kwnames,
            "name": self.name,
            "tex": self.tex,
            "doc": self.doc,
            "origin": self.origin,
            "specs": self.specs,
            "init": self.init,
            "family": self.family,
            "plain": self.plain,
            "bounds": self.bounds,
            "derivatives": self._derivatives,
        }
        new = Activation.__new__(Activation)
        new._set(**{**fields, **changes})
        return new

    # -- symbolic views ---------------------------------------------------------

    @property
    def derivative(self) -> sp.Expr:
        """The first derivative, from ``sympy.diff``, tidied to a compact form."""
        return self.diff(1)

    def diff(self, order: int = 1) -> sp.Expr:
        """The derivative of the given order (0 gives the expression itself).

        >>> Activation("tanh(x)").diff(2)
        2*tanh(x)**3 - 2*tanh(x)
        """
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
            raise ValueError(f"derivative order must be a non-negative integer, got {order!r}")
        order = int(order)
        for n in range(max(self._derivatives) + 1, order + 1):
            self._derivatives[n] = derivative(self._derivatives[n - 1], self.symbol)
        return self._derivatives[order]

    @property
    def definition(self) -> sp.Expr:
        r"""The expression written with elementary functions only (for display).

        >>> Activation("sigmoid(x)", tex=r"\sigma").definition
        1/(1 + exp(-x))
        """
        return to_elementary(self.expr)

    @cached_property
    def derivative_in_output(self) -> sp.Expr | None:
        """The derivative as a function of the output ``a`` (``a*(1 - a)`` for sigmoid), or None."""
        return in_terms_of_output(self.expr, self.derivative, self.symbol, a)

    @cached_property
    def kinks(self) -> list[sp.Expr]:
        """Points where the formula switches branch (where the derivative convention matters)."""
        numeric = self.expr.subs(self.params)
        return breakpoints(numeric, self.symbol)

    def lhs(self, order: int = 0) -> str:
        r"""The left-hand side of the equation of the given derivative order, in LaTeX.

        >>> Activation("tanh(x)", name="tanh", tex=r"\tanh").lhs(1)
        "\\tanh'(x)"
        """
        arg = sp.latex(self.symbol)
        if order == 0:
            return f"{self.tex}({arg})"
        if order <= 3:
            return f"{self.tex}{chr(39) * order}({arg})"
        return f"{self.tex}^{{({order})}}({arg})"

    def latex(self, order: int = 0) -> str:
        r"""The definition (``order=0``) or a derivative as a LaTeX equation.

        >>> sigmoid = Activation("sigmoid(x)", tex=r"\sigma")
        >>> print(sigmoid.latex())
        \sigma(x) = \frac{1}{1 + e^{- x}}
        >>> print(sigmoid.latex(1))
        \sigma'(x) = \left(1 - \sigma\left(x\right)\right) \sigma\left(x\right)
        """
        rhs = self._spelled_out(self.definition) if order == 0 else self.diff(order)
        return f"{self.lhs(order)} = {sp.latex(rhs)}"

    def _repr_latex_(self) -> str:
        return display([self.latex(0), self.latex(1)])

    def _spelled_out(self, expr: sp.Expr) -> sp.Expr:
        r"""*expr*, or its definition where it would only repeat the name: never
        ``sigmoid(x) = sigmoid(x)`` or ``\operatorname{sinc}(x) = \operatorname{sinc}(x)``."""
        own = {self.name, self.plain}
        if not {type(f).__name__ for f in expr.atoms(sp.Function)} & own:
            return expr
        expr = to_elementary(expr)
        for target in (sp.exp, sp.sin):
            if not {type(f).__name__ for f in expr.atoms(sp.Function)} & own:
                break
            expr = expr.rewrite(target)
        return expr

    def __repr__(self) -> str:
        params = "".join(f", {self.kwnames[p]}={v!r}" for p, v in self.params.items())
        return f"Activation({self.name!r}{params}): {self}"

    def __str__(self) -> str:
        return f"{self.name}({self.symbol}) = {self._spelled_out(self.expr)}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Activation):
            return NotImplemented
        return (self.name, self.expr, self.params) == (other.name, other.expr, other.params)

    def __hash__(self) -> int:
        return hash((self.name, self.expr))

    # -- parameters ---------------------------------------------------------------

    def _param_symbol(self, key: str) -> sp.Symbol:
        for p in self.params:
            if key in (p.name, self.kwnames[p]):
                return p
        raise unknown_parameter(self.name, key, [self.kwnames[p] for p in self.params])

    def with_params(self, **values: Any) -> Activation:
        """A copy with parameters replaced by numbers (or SymPy expressions) everywhere.

        >>> Activation("alpha*x", params={"alpha": 0.5}).with_params(alpha=2).expr
        2*x
        """
        subs = {}
        for key, value in values.items():
            sym = self._param_symbol(key)
            number = exact_number(value, f"{self.name} parameter {key}")
            if sym in self.specs and number.is_number:
                self.specs[sym].check(number, self.name)
            subs[sym] = number
        origin = None
        if self.origin is not None and all(v.is_number for v in subs.values()):
            fixed = {self.kwnames[p]: float(v) for p, v in subs.items()}
            origin = (self.origin[0], {**self.origin[1], **fixed})
        params = {p: v for p, v in self.params.items() if p not in subs}
        return self._copy(
            expr=self.expr.xreplace(subs),
            params=params,
            kwnames={p: self.kwnames[p] for p in params},
            origin=origin,
            derivatives={n: d.xreplace(subs) for n, d in self._derivatives.items()},
        )

    # -- numbers ------------------------------------------------------------------

    def compiled(self, order: int = 0) -> CompiledFunction:
        """The compiled NumPy function of the given derivative order (``.source`` shows it)."""
        if order not in self._compiled:
            self._compiled[order] = compile_expr(
                self.diff(order),
                self.symbol,
                params=self.params,
                names=self.kwnames,
                name=self.name if order == 0 else f"d{order}_{self.name}",
            )
        return self._compiled[order]

    def _evaluate(self, order: int, values, params: dict[str, Any]):
        kw = {}
        for k, v in params.items():
            sym = self._param_symbol(k)
            value = float(exact_number(v, f"{self.name} parameter {k}"))
            if sym in self.specs:
                self.specs[sym].check(value, self.name)
            kw[self.kwnames[sym]] = value
        arr = as_float_array(values, "the input", self.name)
        return self.compiled(order)(arr, **kw)

    def __call__(self, values, **params: Any):
        """Evaluate the activation elementwise (compiled, stable NumPy code)."""
        return self._evaluate(0, values, params)

    def grad(self, values, order: int = 1, **params: Any):
        """Evaluate the derivative of the given order elementwise."""
        return self._evaluate(order, values, params)

    # -- analysis -----------------------------------------------------------------

    @cached_property
    def properties(self):
        """Range, monotonicity, limits, smoothness, ... (see :mod:`symnn.analysis.properties`)."""
        return analyze(self.expr, self.symbol, self.params, name=self.name, names=self.kwnames)

    # -- export (provided by symnn.export through symnn._hooks: imports point one way) ----

    def to_torch(self, trainable: tuple[str, ...] = (), dtype: Any = None) -> Any:
        """This activation as a ``torch.nn.Module`` (:func:`symnn.export.to_torch`)."""
        return _hooks.call("to_torch", self, trainable=trainable, dtype=dtype)

    def to_jax(self) -> Any:
        """This activation as a JAX-traceable function (:func:`symnn.export.to_jax`)."""
        return _hooks.call("to_jax", self)
