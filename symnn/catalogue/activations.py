r"""Activation functions: one SymPy definition each, every other view derived.

>>> import symnn as sn
>>> relu = sn.activation("relu")
>>> relu.expr
Piecewise((0, x <= 0), (x, True))
>>> relu.derivative
Piecewise((0, x <= 0), (1, True))
>>> relu([-1.0, 0.0, 2.0]), relu.grad([-1.0, 0.0, 2.0])
(array([0., 0., 2.]), array([0., 0., 1.]))
>>> sn.activation("sigmoid").derivative
(1 - sigmoid(x))*sigmoid(x)
>>> print(sn.activation("leaky_relu", alpha=0.2).latex())
\operatorname{LeakyReLU}(x) = \begin{cases} \frac{x}{5} & \text{for}\: x \leq 0 \\x & \text{otherwise} \end{cases}

Everything derives from ``expr``: the derivative comes from ``sympy.diff``,
the numbers from :func:`symnn.compile`, the LaTeX from SymPy's printer, the
properties from :mod:`symnn.properties`. Derivatives at kinks follow
PyTorch: the branch that contains the kink in its condition decides
(``ReLU'(0) = 0``, ``LeakyReLU'(0) = alpha``, the ELU family uses its
``x <= 0`` branch, hard tanh/ReLU6/hard sigmoid have derivative 0 at their
corners, the shrink functions 0 on the closed interval ``[-lambda, lambda]``).

To add an activation, add one ``_define(...)`` call below: the catalogue,
the CLI, the parser, the plots, the property table and the parametrised
tests all read this registry.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from symnn._tex import display
from symnn._validation import (
    check_choice,
    did_you_mean,
    exact_number,
    normalize_name,
    unknown_parameter,
)
from symnn.compiler import CompiledFunction
from symnn.compiler import compile as compile_expr
from symnn.expr.functions import sigmoid, softplus, to_elementary
from symnn.expr.symbolic import as_expression, breakpoints, in_terms_of_output, tidy

__all__ = ["Activation", "activation", "activations", "as_activation", "looks_like_formula", "x"]

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
        expr = as_expression(expr, "an activation is a SymPy expression in one variable")
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
        self.expr: sp.Expr = expr
        self.symbol: sp.Symbol = real_x
        self.params: dict[sp.Symbol, float] = defaults
        self.kwnames: dict[sp.Symbol, str] = {p: _default_kwname(p) for p in defaults}
        self.name: str = name or "f"
        self.tex: str = tex or (
            rf"\operatorname{{{self.name}}}" if len(self.name) > 1 else self.name
        )
        self.doc: str = doc or ""
        #: ``(catalogue name, fixed parameters)`` for catalogue entries, else None.
        self.origin: tuple[str, dict[str, float]] | None = None
        self._derivatives: dict[int, sp.Expr] = {0: expr}
        self._compiled: dict[int, CompiledFunction] = {}

    # -- symbolic views ---------------------------------------------------------

    @property
    def derivative(self) -> sp.Expr:
        """The first derivative, from ``sympy.diff``, tidied to a compact form."""
        return self.diff(1)

    def diff(self, order: int = 1) -> sp.Expr:
        """The derivative of the given order (0 gives the expression itself).

        >>> activation("tanh").diff(2)
        2*tanh(x)**3 - 2*tanh(x)
        """
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
            raise ValueError(f"derivative order must be a non-negative integer, got {order!r}")
        order = int(order)
        for n in range(max(self._derivatives) + 1, order + 1):
            self._derivatives[n] = tidy(sp.diff(self._derivatives[n - 1], self.symbol))
        return self._derivatives[order]

    @property
    def definition(self) -> sp.Expr:
        """The expression written with elementary functions only (for display).

        >>> activation("sigmoid").definition
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

    def _lhs(self, order: int) -> str:
        arg = sp.latex(self.symbol)
        if order == 0:
            return f"{self.tex}({arg})"
        if order <= 3:
            return f"{self.tex}{chr(39) * order}({arg})"
        return f"{self.tex}^{{({order})}}({arg})"

    def latex(self, order: int = 0) -> str:
        r"""The definition (``order=0``) or a derivative as a LaTeX equation.

        >>> print(activation("sigmoid").latex())
        \sigma(x) = \frac{1}{1 + e^{- x}}
        >>> print(activation("sigmoid").latex(1))
        \sigma'(x) = \left(1 - \sigma\left(x\right)\right) \sigma\left(x\right)
        """
        rhs = self.definition if order == 0 else self.diff(order)
        return f"{self._lhs(order)} = {sp.latex(rhs)}"

    def _repr_latex_(self) -> str:
        return display([self.latex(0), self.latex(1)])

    def __repr__(self) -> str:
        params = "".join(f", {self.kwnames[p]}={v!r}" for p, v in self.params.items())
        return f"Activation({self.name!r}{params}): {self.name}({self.symbol}) = {self.expr}"

    def __str__(self) -> str:
        return f"{self.name}({self.symbol}) = {self.expr}"

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

        >>> activation("elu").with_params(alpha=2).expr
        Piecewise((2*exp(x) - 2, x <= 0), (x, True))
        """
        subs = {}
        for key, value in values.items():
            sym = self._param_symbol(key)
            subs[sym] = exact_number(value, f"{self.name} parameter {key}")
        new = Activation.__new__(Activation)
        new.expr = self.expr.xreplace(subs)
        new.symbol = self.symbol
        new.params = {p: v for p, v in self.params.items() if p not in subs}
        new.kwnames = {p: self.kwnames[p] for p in new.params}
        new.name, new.tex, new.doc = self.name, self.tex, self.doc
        new.origin = None
        if self.origin is not None and all(v.is_number for v in subs.values()):
            fixed = {self.kwnames[p]: float(v) for p, v in subs.items()}
            new.origin = (self.origin[0], {**self.origin[1], **fixed})
        new._derivatives = {n: d.xreplace(subs) for n, d in self._derivatives.items()}
        new._derivatives[0] = new.expr
        new._compiled = {}
        return new

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
        kw = {
            self.kwnames[self._param_symbol(k)]: float(exact_number(v, k))
            for k, v in params.items()
        }
        arr = _as_float_array(values, self.name)
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
        """Range, monotonicity, limits, smoothness, ... (see :mod:`symnn.properties`)."""
        from symnn.analysis.properties import analyze

        return analyze(self)


def _as_float_array(values, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} takes numbers or arrays of numbers, not {type(values).__name__} {values!r}"
        ) from None
    return arr


# ------------------------------------------------------------------------------
# The catalogue
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    name: str
    build: Callable[[dict[str, sp.Symbol]], sp.Expr]
    params: dict[str, tuple[str, float, dict]]  # kwname -> (symbol name, default, assumptions)
    tex: str
    doc: str
    aliases: tuple[str, ...]
    options: Callable[[sp.Expr, dict[str, Any]], sp.Expr] | None = None


_REGISTRY: dict[str, _Entry] = {}
_ALIASES: dict[str, str] = {}


def _define(
    name: str,
    build: Callable[..., sp.Expr],
    *,
    tex: str,
    doc: str,
    params: dict[str, tuple[str, float]] | None = None,
    aliases: tuple[str, ...] = (),
    positive: tuple[str, ...] = (),
    options=None,
) -> None:
    """Register an activation: its expression builder, parameters, LaTeX name and doc."""
    specs = {}
    for kw, (symname, default) in (params or {}).items():
        assumptions = {"positive": True} if kw in positive else {"real": True}
        specs[kw] = (symname, default, assumptions)
    _REGISTRY[name] = _Entry(name, build, specs, tex, doc, aliases, options)
    for alias in aliases:
        _ALIASES[alias] = name


def activations() -> list[str]:
    """The names of every activation in the catalogue (aliases resolve too).

    >>> "gelu" in activations(), len(activations()) >= 30
    (True, True)
    """
    return list(_REGISTRY)


def aliases() -> dict[str, str]:
    """Alternative spellings and the catalogue names they resolve to."""
    return dict(_ALIASES)


def activation(name: str | Activation, **params: Any) -> Activation:
    """Look up an activation by name; keyword arguments set its parameters.

    >>> activation("swish")
    Activation('silu', beta=1.0): silu(x) = x*sigmoid(beta*x)
    >>> activation("sigmod")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'sigmod'; did you mean 'sigmoid'? (symnn.activations() lists them all)
    """
    if isinstance(name, Activation):
        return name.with_params(**params) if params else name
    if looks_like_formula(name):
        raise ValueError(
            f"unknown activation {name!r}: it looks like a formula; for your own activation "
            f"write symnn.Activation({name!r}) (symnn.activations() lists the named ones)"
        )
    key = check_choice(
        "activation",
        name,
        _REGISTRY,
        aliases=_ALIASES,
        listing="symnn.activations() lists them all",
    )
    entry = _REGISTRY[key]
    base = _prototype(key)
    if entry.options is not None:
        base = entry.options(base, params)
    return base.with_params(**params) if params else base


def looks_like_formula(text: object) -> bool:
    """True when *text* is not a catalogue name (or alias) and not a plain name either.

    The one test, shared by :func:`activation`, :func:`as_activation` and the CLI:
    ``"leaky-relu"`` is a name (hyphens normalise to underscores), ``"x-1"`` and
    ``"x*tanh(x)"`` are formulas.

    >>> looks_like_formula("leaky-relu"), looks_like_formula("x-1"), looks_like_formula("sigmod")
    (False, True, False)
    >>> looks_like_formula("leaky-rleu")  # a misspelt name, not leaky minus rleu
    False
    """
    if not isinstance(text, str):
        return False
    key = normalize_name(text)
    if key in _REGISTRY or key in _ALIASES or text.strip().isidentifier():
        return False
    wordy = re.fullmatch(r"[A-Za-z][A-Za-z_\- ]*", text.strip()) is not None
    return not (wordy and did_you_mean(key, [*_REGISTRY, *_ALIASES]))


def as_activation(spec: str | Activation, **params: Any) -> Activation:
    """An activation from a catalogue name, a formula in one variable, or an Activation.

    Wherever symnn takes an activation, a formula works too:

    >>> as_activation("relu").name, as_activation("x*tanh(x)").expr
    ('relu', x*tanh(x))
    >>> as_activation("a*x", a=2).params
    {a: 2.0}
    """
    if looks_like_formula(spec):
        return Activation(spec, name="f", params=params or None)
    return activation(spec, **params)


_PROTOTYPES: dict[str, Activation] = {}


def _prototype(key: str) -> Activation:
    if key not in _PROTOTYPES:
        entry = _REGISTRY[key]
        symbols = {
            kw: sp.Symbol(symname, **assumptions)
            for kw, (symname, _, assumptions) in entry.params.items()
        }
        expr = entry.build(**symbols)
        act = Activation.__new__(Activation)
        act.expr = expr
        act.symbol = x
        act.params = {symbols[kw]: float(d) for kw, (_, d, _) in entry.params.items()}
        act.kwnames = {symbols[kw]: kw for kw in entry.params}
        act.name, act.tex, act.doc = entry.name, entry.tex, entry.doc
        act.origin = (key, {})
        act._derivatives = {0: expr}
        act._compiled = {}
        _PROTOTYPES[key] = act
    return _PROTOTYPES[key]


def _pw(*pieces):
    return sp.Piecewise(*pieces)


_SQRT2 = sp.sqrt(2)

_define(
    "identity",
    lambda: x,
    tex=r"\operatorname{id}",
    aliases=("linear", "id"),
    doc=r"Identity :math:`f(x) = x`; derivative 1. Used on regression outputs.",
)
_define(
    "binary_step",
    lambda: _pw((0, x < 0), (1, True)),
    tex=r"\operatorname{step}",
    aliases=("step", "heaviside"),
    doc=r"""Binary step :math:`f(x) = 0` for :math:`x < 0`, 1 for :math:`x \ge 0`.

    Discontinuous at 0; the derivative is taken as 0 everywhere (also at 0).""",
)
_define(
    "sigmoid",
    lambda: sigmoid(x),
    tex=r"\sigma",
    aliases=("logistic", "expit"),
    doc=r"""Logistic sigmoid :math:`\sigma(x) = \frac{1}{1+e^{-x}}`; :math:`\sigma' = \sigma(1-\sigma)`.

    Saturates at 0 and 1, which makes gradients vanish in deep networks.""",
)
_define(
    "hard_sigmoid",
    lambda: _pw((0, x <= -3), (x / 6 + sp.Rational(1, 2), x < 3), (1, True)),
    tex=r"\operatorname{hardsigmoid}",
    aliases=("hardsigmoid",),
    doc=r"""Hard sigmoid (PyTorch): 0 for :math:`x \le -3`, :math:`x/6 + 1/2` between, 1 for :math:`x \ge 3`.

    Derivative 1/6 on :math:`(-3, 3)` and 0 at :math:`\pm 3` (PyTorch's convention).""",
)
_define(
    "tanh",
    lambda: sp.tanh(x),
    tex=r"\tanh",
    aliases=("hyperbolic_tangent",),
    doc=r"Hyperbolic tangent :math:`\tanh x = \frac{e^x - e^{-x}}{e^x + e^{-x}}`; derivative :math:`1 - \tanh^2 x`.",
)
_define(
    "hard_tanh",
    lambda: _pw((-1, x <= -1), (x, x < 1), (1, True)),
    tex=r"\operatorname{hardtanh}",
    aliases=("hardtanh",),
    doc=r"Hard tanh: :math:`\max(-1, \min(1, x))`; derivative 1 on :math:`(-1, 1)`, 0 at :math:`\pm 1` and outside.",
)
_define(
    "relu",
    lambda: _pw((0, x <= 0), (x, True)),
    tex=r"\operatorname{ReLU}",
    aliases=("rectifier", "rectified_linear"),
    doc=r"""Rectified linear unit :math:`\operatorname{ReLU}(x) = \max(0, x)`.

    Derivative 0 for :math:`x \le 0` — taken as 0 at the kink, as PyTorch does — and 1 for :math:`x > 0`.

    References: Nair & Hinton, ICML 2010; Glorot, Bordes & Bengio, AISTATS 2011.""",
)
_define(
    "relu6",
    lambda: _pw((0, x <= 0), (x, x < 6), (6, True)),
    tex=r"\operatorname{ReLU6}",
    doc=r"ReLU6 :math:`\min(\max(0, x), 6)`; derivative 1 on :math:`(0, 6)`, 0 at 0, at 6 and outside.",
)
_define(
    "leaky_relu",
    lambda alpha: _pw((alpha * x, x <= 0), (x, True)),
    params={"alpha": ("alpha", 0.01)},
    positive=("alpha",),
    tex=r"\operatorname{LeakyReLU}",
    aliases=("leakyrelu", "lrelu"),
    doc=r"""Leaky ReLU :math:`\alpha x` for :math:`x \le 0`, :math:`x` otherwise (alpha = 0.01 as in PyTorch).

    Derivative :math:`\alpha` for :math:`x \le 0` (so :math:`\alpha` at 0), 1 for :math:`x > 0`.

    Reference: Maas, Hannun & Ng, ICML 2013.""",
)
_define(
    "prelu",
    lambda alpha: _pw((alpha * x, x <= 0), (x, True)),
    params={"alpha": ("alpha", 0.25)},
    tex=r"\operatorname{PReLU}",
    aliases=("parametric_relu",),
    doc=r"""Parametric ReLU :math:`\alpha x` for :math:`x \le 0`, :math:`x` otherwise; :math:`\alpha` is learnable
    and stays symbolic (default 0.25, PyTorch's initial value).

    Reference: He et al., *Delving deep into rectifiers*, ICCV 2015.""",
)
_define(
    "elu",
    lambda alpha: _pw((alpha * (sp.exp(x) - 1), x <= 0), (x, True)),
    params={"alpha": ("alpha", 1.0)},
    positive=("alpha",),
    tex=r"\operatorname{ELU}",
    doc=r"""Exponential linear unit :math:`\alpha(e^x - 1)` for :math:`x \le 0`, :math:`x` otherwise.

    The derivative at 0 is taken from the :math:`x \le 0` branch: :math:`\alpha`.

    Reference: Clevert, Unterthiner & Hochreiter, ICLR 2016.""",
)
_define(
    "selu",
    lambda alpha, scale: scale * _pw((alpha * (sp.exp(x) - 1), x <= 0), (x, True)),
    params={"alpha": ("alpha", 1.6732632423543772), "scale": ("lambda", 1.0507009873554805)},
    positive=("alpha", "scale"),
    tex=r"\operatorname{SELU}",
    doc=r"""Scaled ELU :math:`\lambda\,\alpha(e^x - 1)` for :math:`x \le 0`, :math:`\lambda x` otherwise,
    with the self-normalising constants :math:`\alpha \approx 1.6733`, :math:`\lambda \approx 1.0507`.

    Reference: Klambauer et al., *Self-normalizing neural networks*, NeurIPS 2017.""",
)
_define(
    "celu",
    lambda alpha: _pw((alpha * (sp.exp(x / alpha) - 1), x <= 0), (x, True)),
    params={"alpha": ("alpha", 1.0)},
    positive=("alpha",),
    tex=r"\operatorname{CELU}",
    doc=r"""Continuously differentiable ELU :math:`\alpha(e^{x/\alpha} - 1)` for :math:`x \le 0`, :math:`x` otherwise.

    Reference: Barron, *Continuously differentiable exponential linear units*, 2017.""",
)
_define(
    "gelu",
    lambda: x / 2 * (1 + sp.erf(x / _SQRT2)),
    tex=r"\operatorname{GELU}",
    doc=r"""Gaussian error linear unit :math:`x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt 2}\right)`.

    Reference: Hendrycks & Gimpel, *Gaussian error linear units*, 2016.""",
)
_define(
    "gelu_tanh",
    lambda: x / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Float("0.044715") * x**3))),
    tex=r"\operatorname{GELU}_{\tanh}",
    aliases=("gelu_approx", "approximate_gelu"),
    doc=r"""GELU, tanh approximation: :math:`\frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right)\right)`.""",
)
_define(
    "silu",
    lambda beta: x * sigmoid(beta * x),
    params={"beta": ("beta", 1.0)},
    tex=r"\operatorname{SiLU}",
    aliases=("swish",),
    doc=r"""Sigmoid linear unit / swish :math:`x\,\sigma(\beta x)` (:math:`\beta = 1` gives SiLU).

    References: Hendrycks & Gimpel 2016; Ramachandran, Zoph & Le, *Searching for activation functions*, 2017.""",
)
_define(
    "hard_swish",
    lambda: x * _pw((0, x <= -3), (x + 3, x < 3), (6, True)) / 6,
    tex=r"\operatorname{hardswish}",
    aliases=("hardswish",),
    doc=r"""Hard swish :math:`x\,\operatorname{ReLU6}(x + 3)/6`.

    Derivative 0 for :math:`x \le -3`, :math:`x/3 + 1/2` for :math:`-3 < x < 3`, 1 for :math:`x \ge 3` (PyTorch).

    Reference: Howard et al., *Searching for MobileNetV3*, ICCV 2019.""",
)
_define(
    "mish",
    lambda: x * sp.tanh(softplus(x)),
    tex=r"\operatorname{Mish}",
    doc=r"""Mish :math:`x \tanh(\operatorname{softplus}(x)) = x\tanh(\log(1 + e^x))`.

    Reference: Misra, *Mish: a self regularized non-monotonic activation function*, 2019.""",
)


def _softplus_options(base: Activation, params: dict[str, Any]) -> Activation:
    """Softplus is exact unless a threshold is asked for (then linear above it, as PyTorch)."""
    threshold = params.pop("threshold", None)
    if threshold is None:
        return base
    t = exact_number(threshold, "softplus parameter threshold")
    beta = next(iter(base.params))
    expr = sp.Piecewise((x, beta * x > t), (base.expr, True))
    act = Activation(expr, name="softplus", params=base.params, tex=base.tex, doc=base.doc)
    act.origin = ("softplus", {"threshold": float(threshold)})
    return act


_define(
    "softplus",
    lambda beta: softplus(beta * x) / beta,
    params={"beta": ("beta", 1.0)},
    positive=("beta",),
    tex=r"\operatorname{softplus}",
    options=_softplus_options,
    doc=r"""Softplus :math:`\frac{1}{\beta}\log(1 + e^{\beta x})`, exact (no linear threshold) unless
    ``threshold=`` is given, in which case it is :math:`x` where :math:`\beta x > \text{threshold}` (PyTorch's
    default is 20).""",
)
_define(
    "softsign",
    lambda: x / (1 + sp.Abs(x)),
    tex=r"\operatorname{softsign}",
    doc=r"Softsign :math:`\frac{x}{1 + |x|}`; derivative :math:`\frac{1}{(1 + |x|)^2}`.",
)
_define(
    "log_sigmoid",
    lambda: sp.log(sigmoid(x)),
    tex=r"\log\sigma",
    aliases=("logsigmoid",),
    doc=r"Log-sigmoid :math:`\log\sigma(x) = -\log(1 + e^{-x})`; derivative :math:`1 - \sigma(x)`.",
)
_define(
    "tanhshrink",
    lambda: x - sp.tanh(x),
    tex=r"\operatorname{tanhshrink}",
    doc=r"Tanhshrink :math:`x - \tanh x`; derivative :math:`\tanh^2 x`.",
)
_define(
    "softshrink",
    lambda lambd: _pw((x + lambd, x < -lambd), (0, x <= lambd), (x - lambd, True)),
    params={"lambd": ("lambda", 0.5)},
    positive=("lambd",),
    tex=r"\operatorname{softshrink}",
    doc=r"""Soft shrinkage: :math:`x - \lambda` above :math:`\lambda`, :math:`x + \lambda` below :math:`-\lambda`, else 0
    (:math:`\lambda = 0.5`). Derivative 0 on the closed interval :math:`[-\lambda, \lambda]`.""",
)
_define(
    "hardshrink",
    lambda lambd: _pw((x, x < -lambd), (0, x <= lambd), (x, True)),
    params={"lambd": ("lambda", 0.5)},
    positive=("lambd",),
    tex=r"\operatorname{hardshrink}",
    doc=r"""Hard shrinkage: :math:`x` where :math:`|x| > \lambda`, else 0 (:math:`\lambda = 0.5`).

    Discontinuous at :math:`\pm\lambda`; derivative 0 on the closed interval :math:`[-\lambda, \lambda]`.""",
)
_define(
    "threshold",
    lambda threshold, value: _pw((x, x > threshold), (value, True)),
    params={"threshold": ("theta", 1.0), "value": ("v", 0.0)},
    tex=r"\operatorname{threshold}",
    doc=r"""Threshold: :math:`x` where :math:`x > \theta`, else the constant :math:`v`. PyTorch has no defaults;
    symnn uses :math:`\theta = 1`, :math:`v = 0`. Derivative 1 above :math:`\theta`, 0 at and below it.""",
)
_define(
    "gaussian",
    lambda: sp.exp(-(x**2)),
    tex=r"\operatorname{gaussian}",
    doc=r"Gaussian :math:`e^{-x^2}`; derivative :math:`-2x e^{-x^2}`.",
)
_define(
    "sinusoid",
    lambda: sp.sin(x),
    tex=r"\sin",
    aliases=("sine", "sin"),
    doc=r"Sinusoid :math:`\sin x`.",
)
_define(
    "sinc",
    lambda: sp.sinc(x),
    tex=r"\operatorname{sinc}",
    doc=r"Sinc :math:`\frac{\sin x}{x}`, 1 at 0; derivative :math:`\frac{\cos x}{x} - \frac{\sin x}{x^2}`, 0 at 0.",
)
_define(
    "arctan",
    lambda: sp.atan(x),
    tex=r"\arctan",
    aliases=("atan",),
    doc=r"Arctangent :math:`\arctan x`; derivative :math:`\frac{1}{1 + x^2}`.",
)
_define(
    "bent_identity",
    lambda: (sp.sqrt(x**2 + 1) - 1) / 2 + x,
    tex=r"\operatorname{bent}",
    aliases=("bentidentity",),
    doc=r"Bent identity :math:`\frac{\sqrt{x^2 + 1} - 1}{2} + x`.",
)
_define(
    "isru",
    lambda alpha: x / sp.sqrt(1 + alpha * x**2),
    params={"alpha": ("alpha", 1.0)},
    positive=("alpha",),
    tex=r"\operatorname{ISRU}",
    doc=r"""Inverse square root unit :math:`\frac{x}{\sqrt{1 + \alpha x^2}}` (:math:`\alpha = 1`).

    Reference: Carlile et al., *Improving deep learning by inverse square root linear units*, 2017.""",
)
_define(
    "sqnl",
    lambda: _pw((-1, x < -2), (x + x**2 / 4, x < 0), (x - x**2 / 4, x <= 2), (1, True)),
    tex=r"\operatorname{SQNL}",
    aliases=("square_nonlinearity",),
    doc=r"""Square nonlinearity: :math:`-1` below :math:`-2`, :math:`x + x^2/4` on :math:`[-2, 0)`,
    :math:`x - x^2/4` on :math:`[0, 2]`, 1 above 2.

    Reference: Wuraola & Patel, *SQNL: a new computationally efficient activation function*, IJCNN 2018.""",
)


def _register_with_parser() -> None:
    """Hand the catalogue's names to the parser: ``relu(x) + sigmoid(2x)`` parses.

    ``name(u)`` is the activation at ``u`` with its parameters at their defaults;
    ``name(u, a, ...)`` sets the parameters in order (``leaky_relu(x, 0.2)``).
    Names the parser already knows as elementary functions (``tanh``, ``sin``,
    ``atan``) keep their meaning, which is the same; ``sigmoid`` becomes symnn's.
    """
    from symnn.expr.parse import known_functions, register_function

    known = set(known_functions())

    def builder(key: str):
        def build(u, *values):
            act = activation(key)
            kws = list(act.kwnames.values())
            given = dict(zip(kws, values, strict=False))
            fixed = {k: v for k, v in ((p, act.params[s]) for s, p in act.kwnames.items())}
            act = act.with_params(**{**fixed, **given})
            return act.expr.xreplace({x: u})

        return build

    for key, entry in _REGISTRY.items():
        counts = tuple(range(1, 2 + len(entry.params)))
        for name in (key, *entry.aliases):
            if name == "sigmoid":
                register_function(name, builder(key), nargs=counts, replace=True)
            elif name not in known:
                register_function(name, builder(key), nargs=counts)


_register_with_parser()
