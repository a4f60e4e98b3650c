r"""Weight initialisers: one SymPy formula each, drawn from a seeded NumPy generator.

Every initialiser is one registered definition that returns its distribution's
parameters as SymPy expressions in the layer's fan-in :math:`n_{in}` and
fan-out :math:`n_{out}` (the symbols :data:`FAN_IN` and :data:`FAN_OUT`).
Everything else is derived from that one definition: the LaTeX, the mean and
variance, and the numbers used to draw the weights (the formula is evaluated,
never restated in NumPy).

==================  ======================================================================
name                distribution
==================  ======================================================================
``zeros``           :math:`W = 0`
``constant``        :math:`W = c` (default 0.1, a bias for ReLU units)
``uniform``         :math:`\mathcal{U}(\text{low}, \text{high})`, default [0, 1) like ``np.random.rand``
``normal``          :math:`\mathcal{N}(\mu, \sigma^2)`, default :math:`\mathcal{N}(0, 1)` like ``np.random.randn``
``xavier_uniform``  :math:`\mathcal{U}(-a, a)`, :math:`a = g\sqrt{6/(n_{in}+n_{out})}`
``xavier_normal``   :math:`\mathcal{N}(0, \sigma^2)`, :math:`\sigma = g\sqrt{2/(n_{in}+n_{out})}`
``he_uniform``      :math:`\mathcal{U}(-a, a)`, :math:`a = \sqrt{6/((1+\alpha^2) n_{in})}`
``he_normal``       :math:`\mathcal{N}(0, \sigma^2)`, :math:`\sigma = \sqrt{2/((1+\alpha^2) n_{in})}`
``lecun_uniform``   :math:`\mathcal{U}(-a, a)`, :math:`a = \sqrt{3/n_{in}}`
``lecun_normal``    :math:`\mathcal{N}(0, \sigma^2)`, :math:`\sigma = \sqrt{1/n_{in}}`
==================  ======================================================================

Shapes follow symnn's convention ``Z = X @ W + b``: a weight matrix has shape
``(fan_in, fan_out)``.  See :func:`fans` for 1-D (bias) and higher-dimensional shapes.

Example
-------
>>> from symnn.catalogue.initializers import initializer
>>> init = initializer("kaiming_normal")
>>> init
Initializer('he_normal')
>>> init.formula
sqrt(2)/sqrt(fan_in)
>>> W = init((3, 4), seed=0)
>>> W.shape, W.dtype
((3, 4), dtype('float64'))
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from symnn._random import make_rng
from symnn.catalogue.registry import Entry, ParamSpec, Registry, nonnegative, positive, real

__all__ = [
    "FAN_IN",
    "FAN_OUT",
    "Initializer",
    "fans",
    "initializer",
    "initializers",
]

#: The number of inputs of a layer (rows of its weight matrix), :math:`n_{in}`.
FAN_IN = sympy.Symbol("fan_in", positive=True, integer=True)
#: The number of outputs of a layer (columns of its weight matrix), :math:`n_{out}`.
FAN_OUT = sympy.Symbol("fan_out", positive=True, integer=True)

_SYMBOL_NAMES = {FAN_IN: "n_{in}", FAN_OUT: "n_{out}"}
_QUANTITY = {"constant": "value", "uniform": "bound", "normal": "std"}


# --------------------------------------------------------------------------- registry


@dataclass(frozen=True, kw_only=True)
class InitializerEntry(Entry):
    """One registered initialiser: its distribution and defining function."""

    distribution: str
    build: Callable[..., dict[str, Any]]
    reference: str | None = None


REGISTRY: Registry[InitializerEntry] = Registry("initializer", "symnn.initializers()")


def _register(
    name: str,
    distribution: str,
    *,
    aliases: tuple[str, ...] = (),
    params: tuple[ParamSpec, ...] = (),
    reference: str | None = None,
) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register *build* as the one definition of the initialiser *name*.

    *build* takes the initialiser's parameters (declared in *params*, each a
    :class:`~symnn.catalogue.registry.ParamSpec` with its default and interval) as
    SymPy numbers and returns the distribution's parameters as SymPy expressions in
    :data:`FAN_IN`/:data:`FAN_OUT`: ``{"value": c}``, ``{"low": l, "high": h}`` or
    ``{"mean": m, "std": s}``.
    """

    def decorate(build: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        doc = inspect.getdoc(build) or ""
        REGISTRY.add(
            InitializerEntry(
                name=name,
                aliases=aliases,
                params=params,
                doc=doc,
                distribution=distribution,
                build=build,
                reference=reference,
            )
        )
        return build

    return decorate


@_register("zeros", "constant", aliases=("zero",))
def _zeros() -> dict[str, Any]:
    """All zeros: W = 0 (the usual start for biases)."""
    return {"value": sympy.Integer(0)}


@_register("ones", "constant", aliases=("one",))
def _ones() -> dict[str, Any]:
    """All ones: W = 1 (the traditional bias input of 1.0)."""
    return {"value": sympy.Integer(1)}


@_register("constant", "constant", aliases=("const", "full"), params=(real("value", 0.1),))
def _constant(value) -> dict[str, Any]:
    """A constant c, default 0.1: a small positive bias keeps ReLU units active at the start."""
    return {"value": value}


@_register(
    "uniform",
    "uniform",
    aliases=("rand", "random_uniform"),
    params=(real("low", 0), real("high", 1)),
)
def _uniform(low, high) -> dict[str, Any]:
    """Uniform on [low, high), default [0, 1) as the seed's ``np.random.rand``."""
    return {"low": low, "high": high}


@_register(
    "normal",
    "normal",
    aliases=("gaussian", "randn", "random_normal"),
    params=(real("mean", 0), nonnegative("std", 1)),
)
def _normal(mean, std) -> dict[str, Any]:
    """Normal N(mean, std^2), default N(0, 1) as ``np.random.randn`` and PyTorch's ``normal_``."""
    return {"mean": mean, "std": std}


@_register(
    "xavier_uniform",
    "uniform",
    aliases=("glorot_uniform", "xavier", "glorot"),
    params=(positive("gain", 1),),
    reference="Glorot & Bengio (2010), AISTATS",
)
def _xavier_uniform(gain) -> dict[str, Any]:
    """Glorot/Xavier uniform: a = gain * sqrt(6 / (fan_in + fan_out))."""
    bound = gain * sympy.sqrt(6 / (FAN_IN + FAN_OUT))
    return {"low": -bound, "high": bound}


@_register(
    "xavier_normal",
    "normal",
    aliases=("glorot_normal",),
    params=(positive("gain", 1),),
    reference="Glorot & Bengio (2010), AISTATS",
)
def _xavier_normal(gain) -> dict[str, Any]:
    """Glorot/Xavier normal: sigma = gain * sqrt(2 / (fan_in + fan_out))."""
    return {"mean": sympy.Integer(0), "std": gain * sympy.sqrt(2 / (FAN_IN + FAN_OUT))}


@_register(
    "he_uniform",
    "uniform",
    aliases=("kaiming_uniform",),
    params=(nonnegative("negative_slope", 0),),
    reference="He et al. (2015), ICCV",
)
def _he_uniform(negative_slope) -> dict[str, Any]:
    """He/Kaiming uniform: a = sqrt(6 / ((1 + alpha^2) fan_in)), alpha the leaky-ReLU slope."""
    bound = sympy.sqrt(6 / ((1 + negative_slope**2) * FAN_IN))
    return {"low": -bound, "high": bound}


@_register(
    "he_normal",
    "normal",
    aliases=("kaiming_normal", "he", "kaiming"),
    params=(nonnegative("negative_slope", 0),),
    reference="He et al. (2015), ICCV",
)
def _he_normal(negative_slope) -> dict[str, Any]:
    """He/Kaiming normal: sigma = sqrt(2 / ((1 + alpha^2) fan_in)), alpha the leaky-ReLU slope."""
    return {"mean": sympy.Integer(0), "std": sympy.sqrt(2 / ((1 + negative_slope**2) * FAN_IN))}


@_register("lecun_uniform", "uniform", reference="LeCun et al. (1998), Efficient BackProp")
def _lecun_uniform() -> dict[str, Any]:
    """LeCun uniform: a = sqrt(3 / fan_in), so that the variance is 1 / fan_in."""
    bound = sympy.sqrt(3 / FAN_IN)
    return {"low": -bound, "high": bound}


@_register(
    "lecun_normal",
    "normal",
    aliases=("lecun",),
    reference="LeCun et al. (1998), Efficient BackProp",
)
def _lecun_normal() -> dict[str, Any]:
    """LeCun normal: sigma = sqrt(1 / fan_in)."""
    return {"mean": sympy.Integer(0), "std": sympy.sqrt(1 / FAN_IN)}


# --------------------------------------------------------------------------- helpers


def initializers() -> list[str]:
    """Return the names of all initialisers, in registration order.

    Aliases (``glorot_uniform``, ``kaiming_normal``, ...) are accepted by
    :func:`initializer` but not listed here.

    >>> initializers()[:4]
    ['zeros', 'ones', 'constant', 'uniform']
    >>> "he_normal" in initializers()
    True
    """
    return REGISTRY.names()


def _as_number(spec: ParamSpec, value: object, init: str) -> sympy.Expr:
    """Check one parameter against its spec; an exact-looking SymPy number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{init} parameter {spec.name} must be a real number, not {type(value).__name__} "
            f"{value!r}"
        )
    if not math.isfinite(float(value)):
        raise ValueError(f"{init} parameter {spec.name} must be finite, got {value!r}")
    x = spec.check(value, init)
    # Integers stay exact (so gain=1 disappears from the formula); other values print as decimals.
    return sympy.Integer(int(x)) if x.is_integer() else sympy.Float(x)


def fans(shape: int | tuple[int, ...]) -> tuple[int, int]:
    r"""Return ``(fan_in, fan_out)`` for a parameter of the given *shape*.

    - ``(n_in, n_out)``: a weight matrix used as ``X @ W`` — its rows are the
      inputs, its columns the outputs.
    - ``(n,)``: a bias vector; its layer's fan-in is unknown here, so
      ``fan_in = fan_out = n`` (Keras' convention).  Pass ``fan_in=`` to
      :meth:`Initializer.__call__` to use the layer's real fan-in.
    - ``(k_1, ..., k_r, c_in, c_out)``: a convolution kernel, channels last;
      with receptive field :math:`r = \prod k_i`, ``fan_in = c_in r`` and
      ``fan_out = c_out r`` (Keras' convention).

    Every dimension must be a positive integer.

    >>> fans((3, 4))
    (3, 4)
    >>> fans(5)
    (5, 5)
    >>> fans((3, 3, 16, 32))
    (144, 288)
    """
    dims = _check_shape(shape)
    if len(dims) == 1:
        return dims[0], dims[0]
    receptive = math.prod(dims[:-2])
    return dims[-2] * receptive, dims[-1] * receptive


def _check_shape(shape: object) -> tuple[int, ...]:
    if isinstance(shape, (numbers.Integral, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(
            f"shape must be an int or a tuple of ints such as (3, 4), not "
            f"{type(shape).__name__} {shape!r}"
        )
    if len(shape) == 0:
        raise ValueError(
            "shape must have at least one dimension, got (); use (n,) or (n_in, n_out)"
        )
    dims = []
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, (numbers.Integral, np.integer)):
            raise TypeError(f"shape must contain ints, got {shape!r} ({d!r} is not an int)")
        if d <= 0:
            raise ValueError(f"every dimension of shape must be positive, got {tuple(shape)!r}")
        dims.append(int(d))
    return tuple(dims)


# --------------------------------------------------------------------------- Initializer


def _resolve(
    name: str, params: dict[str, object]
) -> tuple[InitializerEntry, dict[str, sympy.Expr]]:
    """Look *name* up and validate *params* against its definition."""
    definition = REGISTRY.lookup(name)
    key = definition.name
    for k in params:
        definition.param(k)  # an unknown parameter: did-you-mean and the list
    values = {**definition.defaults, **params}
    checked = {k: _as_number(definition.param(k), v, key) for k, v in values.items()}
    if {"low", "high"} <= set(checked) and not checked["low"] < checked["high"]:
        raise ValueError(
            f"{key}: low must be smaller than high, got low={values['low']!r}, "
            f"high={values['high']!r} (for a fixed value use initializer('constant', value=...))"
        )
    return definition, checked


class Initializer:
    r"""A weight initialiser: a distribution whose parameters are SymPy formulas.

    ``Initializer(name, **params)`` is the same as :func:`initializer`
    (``initializer`` also passes an existing Initializer through).  Attributes:

    ``name``
        the canonical registry name (``'he_normal'`` for ``'kaiming_normal'``).
    ``params``
        the parameter values, defaults filled in.
    ``distribution``
        ``'constant'``, ``'uniform'`` or ``'normal'``.
    ``quantity`` and ``formula``
        the distribution's defining quantity and its SymPy expression in
        :data:`FAN_IN`/:data:`FAN_OUT`: the ``'value'`` of a constant, the
        ``'std'`` :math:`\sigma` of a normal, the ``'bound'`` :math:`a` of a
        uniform :math:`\mathcal{U}(c - a, c + a)` (its half-width; the centre
        :math:`c` is 0 for all the fan-based initialisers).
    ``mean`` and ``variance``
        derived SymPy expressions (:math:`a^2/3` for a uniform,
        :math:`\sigma^2` for a normal, 0 for a constant).

    Calling it draws an array: ``init(shape, seed=None)``.

    Example
    -------
    >>> init = Initializer("glorot_normal", gain=2)
    >>> init
    Initializer('xavier_normal', gain=2)
    >>> init.quantity, init.formula, init.variance
    ('std', 2*sqrt(2)/sqrt(fan_in + fan_out), 8/(fan_in + fan_out))
    >>> init((2, 3), seed=0).round(3)
    array([[ 0.159, -0.167,  0.81 ],
           [ 0.133, -0.678,  0.457]])
    """

    def __init__(self, name: str, **params: float) -> None:
        definition, params = _resolve(name, params)
        self._definition = definition
        self.name: str = definition.name
        self.params: dict[str, float] = {k: _to_python(v) for k, v in params.items()}
        self.distribution: str = definition.distribution
        self.quantity: str = _QUANTITY[self.distribution]
        parts = {k: sympy.sympify(v) for k, v in definition.build(**params).items()}
        if self.distribution == "constant":
            self.formula: sympy.Expr = parts["value"]
            self.mean: sympy.Expr = parts["value"]
            self.variance: sympy.Expr = sympy.Integer(0)
        elif self.distribution == "uniform":
            low, high = parts["low"], parts["high"]
            self.formula = sympy.simplify((high - low) / 2)
            self.mean = sympy.simplify((high + low) / 2)
            self.variance = sympy.simplify(self.formula**2 / 3)
        else:
            self.formula = parts["std"]
            self.mean = parts["mean"]
            self.variance = sympy.simplify(self.formula**2)
        self._numeric = sympy.lambdify((FAN_IN, FAN_OUT), (self.mean, self.formula), "math")

    # ---- numbers

    def evaluate(self, fan_in: int = 1, fan_out: int = 1) -> float:
        """Return the numeric value of :attr:`formula` for the given fans.

        >>> round(initializer("he_normal").evaluate(fan_in=50), 6)
        0.2
        """
        return float(self._numeric(fan_in, fan_out)[1])

    def __call__(
        self,
        shape: int | tuple[int, ...],
        seed: int | np.random.Generator | None = None,
        *,
        fan_in: int | None = None,
        fan_out: int | None = None,
    ) -> np.ndarray:
        """Draw a float64 array of *shape*.

        Parameters
        ----------
        shape
            ``(fan_in, fan_out)`` for a weight matrix used as ``X @ W``; see
            :func:`fans` for 1-D and higher-dimensional shapes.
        seed
            ``None`` (fresh entropy), an int (reproducible) or a
            :class:`numpy.random.Generator` (continues its stream).
        fan_in, fan_out
            override the fans derived from *shape* (e.g. the layer's fan-in
            for its bias vector).

        >>> init = initializer("xavier_uniform")
        >>> W = init((100, 50), seed=1)
        >>> bool(abs(W).max() <= init.evaluate(100, 50))
        True
        """
        dims = _check_shape(shape)
        default_in, default_out = fans(dims)
        fan_in = default_in if fan_in is None else _check_fan("fan_in", fan_in)
        fan_out = default_out if fan_out is None else _check_fan("fan_out", fan_out)
        rng = make_rng(seed)
        mean, scale = (float(v) for v in self._numeric(fan_in, fan_out))
        if self.distribution == "constant":
            return np.full(dims, scale, dtype=np.float64)
        if self.distribution == "uniform":
            return rng.uniform(mean - scale, mean + scale, size=dims)
        return rng.normal(mean, scale, size=dims)

    # ---- printing

    def latex(self, symbol: str = "W") -> str:
        r"""Return the distribution as LaTeX, with the fans written :math:`n_{in}, n_{out}`.

        >>> print(initializer("xavier_uniform").latex())
        W \sim \mathcal{U}\left(-\sqrt{\frac{6}{n_{in} + n_{out}}}, \sqrt{\frac{6}{n_{in} + n_{out}}}\right)
        >>> print(initializer("he_normal").latex())
        W \sim \mathcal{N}\left(0, \sigma^{2}\right), \quad \sigma = \sqrt{\frac{2}{n_{in}}}
        >>> print(initializer("constant").latex("b"))
        b = 0.1
        """
        if self.distribution == "constant":
            return f"{symbol} = {_tex(self.formula)}"
        if self.distribution == "uniform":
            a = _tex(self.formula)
            if self.mean.is_zero:
                low, high = f"-{a}", a
            else:
                low, high = _tex(self.mean - self.formula), _tex(self.mean + self.formula)
            return rf"{symbol} \sim \mathcal{{U}}\left({low}, {high}\right)"
        mean = _tex(self.mean)
        return (
            rf"{symbol} \sim \mathcal{{N}}\left({mean}, \sigma^{{2}}\right), "
            rf"\quad \sigma = {_tex(self.formula)}"
        )

    def _repr_latex_(self) -> str:
        return f"${self.latex()}$"

    def __repr__(self) -> str:
        changed = {k: v for k, v in self.params.items() if v != self._definition.defaults.get(k)}
        args = "".join(f", {k}={v!r}" for k, v in changed.items())
        return f"Initializer({self.name!r}{args})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Initializer):
            return NotImplemented
        return (self.name, self.params) == (other.name, other.params)

    def __hash__(self) -> int:
        return hash((self.name, tuple(sorted(self.params.items()))))

    @property
    def reference(self) -> str | None:
        """The paper that introduced this initialiser, if any."""
        return self._definition.reference

    @property
    def description(self) -> str:
        """A one-line description (the first line of its definition's docstring)."""
        return self._definition.summary


def _check_fan(param: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{param} must be a positive int, not {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{param} must be a positive int, got {value!r}")
    return int(value)


def _to_python(value: sympy.Expr) -> float | int:
    return int(value) if value.is_Integer else float(value)


def _tex(expr: sympy.Expr) -> str:
    r"""LaTeX for *expr*, writing a root as one :math:`\sqrt{p/q}` as papers do.

    An exact factor in front stays in front (``2 \sqrt{6/(n_{in}+n_{out})}`` for a gain
    of 2); a decimal one goes under the root.
    """

    def has_root(e: sympy.Expr) -> bool:
        return any(
            isinstance(p, sympy.Pow) and not p.exp.is_integer for p in sympy.preorder_traversal(e)
        )

    coeff, rest = expr.as_coeff_Mul()
    if coeff.is_Float:
        coeff, rest = sympy.Integer(1), expr
    square = sympy.simplify(rest**2)
    if rest.free_symbols and has_root(rest) and not has_root(square) and rest.is_positive:
        root = rf"\sqrt{{{sympy.latex(square, symbol_names=_SYMBOL_NAMES)}}}"
        return root if coeff == 1 else f"{sympy.latex(coeff)} {root}"
    return sympy.latex(expr, symbol_names=_SYMBOL_NAMES)


def initializer(name: str | Initializer, **params: float) -> Initializer:
    r"""Return the initialiser *name* with the given parameters.

    Names are case-insensitive and accept aliases (``glorot_uniform`` ->
    ``xavier_uniform``, ``kaiming_normal`` -> ``he_normal``, ``rand`` ->
    ``uniform``); :func:`initializers` lists them.  An :class:`Initializer`
    is returned unchanged.

    Parameters
    ----------
    name
        the initialiser's name.
    **params
        its parameters: ``value`` (constant), ``low``/``high`` (uniform, low <
        high), ``mean``/``std`` (normal, std >= 0), ``gain`` (Xavier, > 0),
        ``negative_slope`` (He, the leaky-ReLU slope :math:`\alpha \ge 0`).

    Example
    -------
    >>> initializer("glorot_uniform")
    Initializer('xavier_uniform')
    >>> initializer("normal", std=0.5)
    Initializer('normal', std=0.5)
    >>> initializer("he_normal", negative_slope=1).formula
    1/sqrt(fan_in)
    >>> initializer("kaiming_nromal")
    Traceback (most recent call last):
    ...
    ValueError: unknown initializer 'kaiming_nromal'; did you mean 'kaiming_normal'? ...
    """
    if isinstance(name, Initializer):
        if params:
            raise TypeError(
                f"initializer() got parameters {sorted(params)} with an Initializer object "
                f"{name!r}; pass its name instead, e.g. initializer({name.name!r}, ...)"
            )
        return name
    return Initializer(name, **params)
