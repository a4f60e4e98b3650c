r"""The catalogue of activation functions: one entry each, every other view derived.

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

This module holds entries only; the class is :class:`~symnn.catalogue.activation.Activation`
and the registry machinery is :mod:`symnn.catalogue.registry`. Each entry is one
``_define(name, build, ...)`` call: the definition (a function of the parameter
symbols returning a SymPy expression in ``x``), the parameters as
:class:`~symnn.catalogue.registry.ParamSpec` (default and allowed interval), the
LaTeX name, the documentation (formula, kink convention, reference), and what
the rest of symnn needs to know: ``family`` (the weight initialiser follows from
it: He for the ReLU family, Xavier otherwise), ``plain`` (how plain-text
formulas write it) and ``bounds`` (the closure of its range, for colour scales).

Derivatives at kinks follow PyTorch: the branch that contains the kink in its
condition decides (``ReLU'(0) = 0``, ``LeakyReLU'(0) = alpha``, the ELU family
uses its ``x <= 0`` branch, hard tanh/ReLU6/hard sigmoid have derivative 0 at
their corners, the shrink functions 0 on the closed interval
``[-lambda, lambda]``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symnn._validation import did_you_mean, exact_number, normalize_name
from symnn.catalogue.activation import Activation, x
from symnn.catalogue.registry import Entry, Registry, positive, real
from symnn.expr.functions import sigmoid, softplus
from symnn.expr.parse import known_functions, register_function

__all__ = [
    "FAMILIES",
    "Activation",
    "ActivationEntry",
    "activation",
    "activation_aliases",
    "activations",
    "as_activation",
    "looks_like_formula",
    "x",
]

#: Families of the catalogue, and the weight initialiser each one wants.
FAMILIES = {
    "linear": "xavier_uniform",
    "step": "xavier_uniform",
    "sigmoid": "xavier_uniform",
    "relu": "he_normal",
    "smooth_relu": "xavier_uniform",
    "gated": "xavier_uniform",
    "shrink": "xavier_uniform",
    "radial": "xavier_uniform",
    "periodic": "xavier_uniform",
    "exponential": "xavier_uniform",
    "vector": "xavier_uniform",  # softmax, GLU, maxout, ...: symnn.catalogue.vector
}


@dataclass(frozen=True, kw_only=True)
class ActivationEntry(Entry):
    """One catalogue activation (see the module docstring for the fields)."""

    build: Callable[..., sp.Expr]
    tex: str
    family: str
    plain: str | None = None
    bounds: tuple[float, float] | None = None
    options: Callable[[Activation, dict[str, Any]], Activation] | None = None

    @property
    def init(self) -> str:
        """The weight initialiser for networks with this activation (from the family)."""
        return FAMILIES[self.family]


REGISTRY: Registry[ActivationEntry] = Registry("activation", "symnn.activations()")


def _define(name: str, build: Callable[..., sp.Expr], **fields: Any) -> None:
    """Register one activation (the keyword fields are those of :class:`ActivationEntry`)."""
    if fields.get("family") not in FAMILIES:
        raise ValueError(f"activation {name}: family must be one of {list(FAMILIES)}")
    REGISTRY.add(ActivationEntry(name=name, build=build, **fields))


def activations() -> list[str]:
    """The names of every activation in the catalogue (aliases resolve too).

    >>> "gelu" in activations(), len(activations()) >= 30
    (True, True)
    """
    return REGISTRY.names()


def activation_aliases() -> dict[str, str]:
    """Alternative spellings and the catalogue names they resolve to.

    >>> activation_aliases()["swish"]
    'silu'
    """
    return REGISTRY.aliases()


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
    entry = REGISTRY.lookup(name)
    base = _prototype(entry.name)
    params = dict(params)
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
    if REGISTRY.knows(text) or text.strip().isidentifier():
        return False
    wordy = re.fullmatch(r"[A-Za-z][A-Za-z_\- ]*", text.strip()) is not None
    return not (
        wordy and did_you_mean(normalize_name(text), [*REGISTRY.names(), *REGISTRY.aliases()])
    )


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
    """The catalogue activation *key* with its parameters symbolic (built once)."""
    if key not in _PROTOTYPES:
        entry = REGISTRY[key]
        symbols = {p.name: p.sympy_symbol() for p in entry.params}
        expr = entry.build(**symbols)
        act = Activation.__new__(Activation)
        act._set(
            expr=expr,
            symbol=x,
            params={symbols[p.name]: float(p.default) for p in entry.params},
            kwnames={symbols[p.name]: p.name for p in entry.params},
            name=entry.name,
            tex=entry.tex,
            doc=entry.doc,
            origin=(key, {}),
            specs={symbols[p.name]: p for p in entry.params},
            init=entry.init,
            family=entry.family,
            plain=entry.plain,
            bounds=entry.bounds,
        )
        _PROTOTYPES[key] = act
    return _PROTOTYPES[key]


_SQRT2 = sp.sqrt(2)

_define(
    "identity",
    lambda: x,
    family="linear",
    tex=r"\operatorname{id}",
    aliases=("linear", "id"),
    doc=r"Identity :math:`f(x) = x`; derivative 1. Used on regression outputs.",
)
_define(
    "binary_step",
    lambda: sp.Piecewise((0, x < 0), (1, True)),
    family="step",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{step}",
    aliases=("step", "heaviside"),
    doc=r"""Binary step :math:`f(x) = 0` for :math:`x < 0`, 1 for :math:`x \ge 0`.

    Discontinuous at 0; the derivative is taken as 0 everywhere (also at 0).""",
)
_define(
    "sigmoid",
    lambda: sigmoid(x),
    family="sigmoid",
    plain="σ",
    bounds=(0.0, 1.0),
    tex=r"\sigma",
    aliases=("logistic", "expit"),
    doc=r"""Logistic sigmoid :math:`\sigma(x) = \frac{1}{1+e^{-x}}`; :math:`\sigma' = \sigma(1-\sigma)`.

    Saturates at 0 and 1, which makes gradients vanish in deep networks.""",
)
_define(
    "hard_sigmoid",
    lambda: sp.Piecewise((0, x <= -3), (x / 6 + sp.Rational(1, 2), x < 3), (1, True)),
    family="sigmoid",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{hardsigmoid}",
    aliases=("hardsigmoid",),
    doc=r"""Hard sigmoid (PyTorch): 0 for :math:`x \le -3`, :math:`x/6 + 1/2` between, 1 for :math:`x \ge 3`.

    Derivative 1/6 on :math:`(-3, 3)` and 0 at :math:`\pm 3` (PyTorch's convention).""",
)
_define(
    "tanh",
    lambda: sp.tanh(x),
    family="sigmoid",
    plain="tanh",
    bounds=(-1.0, 1.0),
    tex=r"\tanh",
    aliases=("hyperbolic_tangent",),
    doc=r"Hyperbolic tangent :math:`\tanh x = \frac{e^x - e^{-x}}{e^x + e^{-x}}`; derivative :math:`1 - \tanh^2 x`.",
)
_define(
    "hard_tanh",
    lambda: sp.Piecewise((-1, x <= -1), (x, x < 1), (1, True)),
    family="sigmoid",
    bounds=(-1.0, 1.0),
    tex=r"\operatorname{hardtanh}",
    aliases=("hardtanh",),
    doc=r"Hard tanh: :math:`\max(-1, \min(1, x))`; derivative 1 on :math:`(-1, 1)`, 0 at :math:`\pm 1` and outside.",
)
_define(
    "relu",
    lambda: sp.Piecewise((0, x <= 0), (x, True)),
    family="relu",
    tex=r"\operatorname{ReLU}",
    aliases=("rectifier", "rectified_linear"),
    doc=r"""Rectified linear unit :math:`\operatorname{ReLU}(x) = \max(0, x)`.

    Derivative 0 for :math:`x \le 0` — taken as 0 at the kink, as PyTorch does — and 1 for :math:`x > 0`.

    References: Nair & Hinton, ICML 2010; Glorot, Bordes & Bengio, AISTATS 2011.""",
)
_define(
    "relu6",
    lambda: sp.Piecewise((0, x <= 0), (x, x < 6), (6, True)),
    family="relu",
    bounds=(0.0, 6.0),
    tex=r"\operatorname{ReLU6}",
    doc=r"ReLU6 :math:`\min(\max(0, x), 6)`; derivative 1 on :math:`(0, 6)`, 0 at 0, at 6 and outside.",
)
_define(
    "leaky_relu",
    lambda alpha: sp.Piecewise((alpha * x, x <= 0), (x, True)),
    family="relu",
    params=(positive("alpha", 0.01),),
    tex=r"\operatorname{LeakyReLU}",
    aliases=("leakyrelu", "lrelu"),
    doc=r"""Leaky ReLU :math:`\alpha x` for :math:`x \le 0`, :math:`x` otherwise (alpha = 0.01 as in PyTorch).

    Derivative :math:`\alpha` for :math:`x \le 0` (so :math:`\alpha` at 0), 1 for :math:`x > 0`.

    Reference: Maas, Hannun & Ng, ICML 2013.""",
)
_define(
    "prelu",
    lambda alpha: sp.Piecewise((alpha * x, x <= 0), (x, True)),
    family="relu",
    params=(real("alpha", 0.25),),
    tex=r"\operatorname{PReLU}",
    aliases=("parametric_relu",),
    doc=r"""Parametric ReLU :math:`\alpha x` for :math:`x \le 0`, :math:`x` otherwise; :math:`\alpha` is learnable
    and stays symbolic (default 0.25, PyTorch's initial value).

    Reference: He et al., *Delving deep into rectifiers*, ICCV 2015.""",
)
_define(
    "elu",
    lambda alpha: sp.Piecewise((alpha * (sp.exp(x) - 1), x <= 0), (x, True)),
    family="relu",
    params=(positive("alpha", 1.0),),
    tex=r"\operatorname{ELU}",
    doc=r"""Exponential linear unit :math:`\alpha(e^x - 1)` for :math:`x \le 0`, :math:`x` otherwise.

    The derivative at 0 is taken from the :math:`x \le 0` branch: :math:`\alpha`.

    Reference: Clevert, Unterthiner & Hochreiter, ICLR 2016.""",
)
_define(
    "selu",
    lambda alpha, scale: scale * sp.Piecewise((alpha * (sp.exp(x) - 1), x <= 0), (x, True)),
    family="relu",
    params=(
        positive("alpha", 1.6732632423543772),
        positive("scale", 1.0507009873554805, symbol="lambda"),
    ),
    tex=r"\operatorname{SELU}",
    doc=r"""Scaled ELU :math:`\lambda\,\alpha(e^x - 1)` for :math:`x \le 0`, :math:`\lambda x` otherwise,
    with the self-normalising constants :math:`\alpha \approx 1.6733`, :math:`\lambda \approx 1.0507`.

    Reference: Klambauer et al., *Self-normalizing neural networks*, NeurIPS 2017.""",
)
_define(
    "celu",
    lambda alpha: sp.Piecewise((alpha * (sp.exp(x / alpha) - 1), x <= 0), (x, True)),
    family="relu",
    params=(positive("alpha", 1.0),),
    tex=r"\operatorname{CELU}",
    doc=r"""Continuously differentiable ELU :math:`\alpha(e^{x/\alpha} - 1)` for :math:`x \le 0`, :math:`x` otherwise.

    Reference: Barron, *Continuously differentiable exponential linear units*, 2017.""",
)
_define(
    "gelu",
    lambda: x / 2 * (1 + sp.erf(x / _SQRT2)),
    family="gated",
    tex=r"\operatorname{GELU}",
    doc=r"""Gaussian error linear unit :math:`x\,\Phi(x) = \frac{x}{2}\left(1 + \operatorname{erf}\frac{x}{\sqrt 2}\right)`.

    Reference: Hendrycks & Gimpel, *Gaussian error linear units*, 2016.""",
)
_define(
    "gelu_tanh",
    lambda: x / 2 * (1 + sp.tanh(sp.sqrt(2 / sp.pi) * (x + sp.Float("0.044715") * x**3))),
    family="gated",
    tex=r"\operatorname{GELU}_{\tanh}",
    aliases=("gelu_approx", "approximate_gelu"),
    doc=r"""GELU, tanh approximation: :math:`\frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right)\right)`.""",
)
_define(
    "silu",
    lambda beta: x * sigmoid(beta * x),
    family="gated",
    params=(real("beta", 1.0),),
    tex=r"\operatorname{SiLU}",
    aliases=("swish",),
    doc=r"""Sigmoid linear unit / swish :math:`x\,\sigma(\beta x)` (:math:`\beta = 1` gives SiLU).

    References: Hendrycks & Gimpel 2016; Ramachandran, Zoph & Le, *Searching for activation functions*, 2017.""",
)
_define(
    "hard_swish",
    lambda: x * sp.Piecewise((0, x <= -3), (x + 3, x < 3), (6, True)) / 6,
    family="gated",
    tex=r"\operatorname{hardswish}",
    aliases=("hardswish",),
    doc=r"""Hard swish :math:`x\,\operatorname{ReLU6}(x + 3)/6`.

    Derivative 0 for :math:`x \le -3`, :math:`x/3 + 1/2` for :math:`-3 < x < 3`, 1 for :math:`x \ge 3` (PyTorch).

    Reference: Howard et al., *Searching for MobileNetV3*, ICCV 2019.""",
)
_define(
    "mish",
    lambda: x * sp.tanh(softplus(x)),
    family="gated",
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
    return base._copy(
        expr=expr, origin=("softplus", {"threshold": float(threshold)}), derivatives={}
    )


_define(
    "softplus",
    lambda beta: softplus(beta * x) / beta,
    family="smooth_relu",
    params=(positive("beta", 1.0),),
    tex=r"\operatorname{softplus}",
    options=_softplus_options,
    doc=r"""Softplus :math:`\frac{1}{\beta}\log(1 + e^{\beta x})`, exact (no linear threshold) unless
    ``threshold=`` is given, in which case it is :math:`x` where :math:`\beta x > \text{threshold}` (PyTorch's
    default is 20).""",
)
_define(
    "softsign",
    lambda: x / (1 + sp.Abs(x)),
    family="sigmoid",
    bounds=(-1.0, 1.0),
    tex=r"\operatorname{softsign}",
    doc=r"Softsign :math:`\frac{x}{1 + |x|}`; derivative :math:`\frac{1}{(1 + |x|)^2}`.",
)
_define(
    "log_sigmoid",
    lambda: sp.log(sigmoid(x)),
    family="sigmoid",
    tex=r"\log\sigma",
    aliases=("logsigmoid",),
    doc=r"Log-sigmoid :math:`\log\sigma(x) = -\log(1 + e^{-x})`; derivative :math:`1 - \sigma(x)`.",
)
_define(
    "tanhshrink",
    lambda: x - sp.tanh(x),
    family="shrink",
    tex=r"\operatorname{tanhshrink}",
    doc=r"Tanhshrink :math:`x - \tanh x`; derivative :math:`\tanh^2 x`.",
)
_define(
    "softshrink",
    lambda lambd: sp.Piecewise((x + lambd, x < -lambd), (0, x <= lambd), (x - lambd, True)),
    family="shrink",
    params=(positive("lambd", 0.5, symbol="lambda"),),
    tex=r"\operatorname{softshrink}",
    doc=r"""Soft shrinkage: :math:`x - \lambda` above :math:`\lambda`, :math:`x + \lambda` below :math:`-\lambda`, else 0
    (:math:`\lambda = 0.5`). Derivative 0 on the closed interval :math:`[-\lambda, \lambda]`.""",
)
_define(
    "hardshrink",
    lambda lambd: sp.Piecewise((x, x < -lambd), (0, x <= lambd), (x, True)),
    family="shrink",
    params=(positive("lambd", 0.5, symbol="lambda"),),
    tex=r"\operatorname{hardshrink}",
    doc=r"""Hard shrinkage: :math:`x` where :math:`|x| > \lambda`, else 0 (:math:`\lambda = 0.5`).

    Discontinuous at :math:`\pm\lambda`; derivative 0 on the closed interval :math:`[-\lambda, \lambda]`.""",
)
_define(
    "threshold",
    lambda threshold, value: sp.Piecewise((x, x > threshold), (value, True)),
    family="shrink",
    params=(
        real("threshold", 1.0, symbol="theta"),
        real("value", 0.0, symbol="v"),
    ),
    tex=r"\operatorname{threshold}",
    doc=r"""Threshold: :math:`x` where :math:`x > \theta`, else the constant :math:`v`. PyTorch has no defaults;
    symnn uses :math:`\theta = 1`, :math:`v = 0`. Derivative 1 above :math:`\theta`, 0 at and below it.""",
)
_define(
    "gaussian",
    lambda: sp.exp(-(x**2)),
    family="radial",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{gaussian}",
    doc=r"Gaussian :math:`e^{-x^2}`; derivative :math:`-2x e^{-x^2}`.",
)
_define(
    "sinusoid",
    lambda: sp.sin(x),
    family="periodic",
    bounds=(-1.0, 1.0),
    tex=r"\sin",
    aliases=("sine", "sin"),
    doc=r"Sinusoid :math:`\sin x`.",
)
_define(
    "sinc",
    lambda: sp.sinc(x),
    family="periodic",
    tex=r"\operatorname{sinc}",
    doc=r"""Sinc :math:`\frac{\sin x}{x}`, 1 at 0; derivative :math:`\frac{\cos x}{x} - \frac{\sin x}{x^2}`, 0 at 0.

    The unnormalised sinc, as SymPy and mathematics texts write it; ``torch.sinc`` and
    ``numpy.sinc`` are the normalised :math:`\sin(\pi x)/(\pi x)` (``sinc(pi*x)`` here).""",
)
_define(
    "arctan",
    lambda: sp.atan(x),
    family="sigmoid",
    bounds=(-1.5707963267948966, 1.5707963267948966),
    tex=r"\arctan",
    aliases=("atan",),
    doc=r"Arctangent :math:`\arctan x`; derivative :math:`\frac{1}{1 + x^2}`.",
)
_define(
    "bent_identity",
    lambda: (sp.sqrt(x**2 + 1) - 1) / 2 + x,
    family="smooth_relu",
    tex=r"\operatorname{bent}",
    aliases=("bentidentity",),
    doc=r"Bent identity :math:`\frac{\sqrt{x^2 + 1} - 1}{2} + x`.",
)
_define(
    "isru",
    lambda alpha: x / sp.sqrt(1 + alpha * x**2),
    family="sigmoid",
    params=(positive("alpha", 1.0),),
    tex=r"\operatorname{ISRU}",
    doc=r"""Inverse square root unit :math:`\frac{x}{\sqrt{1 + \alpha x^2}}` (:math:`\alpha = 1`).

    Reference: Carlile et al., *Improving deep learning by inverse square root linear units*, 2017.""",
)
_define(
    "sqnl",
    lambda: sp.Piecewise((-1, x < -2), (x + x**2 / 4, x < 0), (x - x**2 / 4, x <= 2), (1, True)),
    family="sigmoid",
    bounds=(-1.0, 1.0),
    tex=r"\operatorname{SQNL}",
    aliases=("square_nonlinearity",),
    doc=r"""Square nonlinearity: :math:`-1` below :math:`-2`, :math:`x + x^2/4` on :math:`[-2, 0)`,
    :math:`x - x^2/4` on :math:`[0, 2]`, 1 above 2.

    Reference: Wuraola & Patel, *SQNL: a new computationally efficient activation function*, IJCNN 2018.""",
)

_define(
    "squareplus",
    lambda b: (x + sp.sqrt(x**2 + b)) / 2,
    family="smooth_relu",
    params=(positive("b", 4.0),),
    tex=r"\operatorname{squareplus}",
    doc=r"""Squareplus :math:`\frac{x + \sqrt{x^2 + b}}{2}` (:math:`b = 4`, as ``jax.nn.squareplus``):
    a softplus-like ramp from algebraic operations only; :math:`b` sets the curvature at 0.

    Reference: Barron, *Squareplus: a softplus-like algebraic rectifier*, 2021.""",
)
_define(
    "soft_exponential",
    lambda alpha: sp.Piecewise(
        (-sp.log(1 - alpha * (x + alpha)) / alpha, alpha < 0),
        (x, sp.Eq(alpha, 0)),
        ((sp.exp(alpha * x) - 1) / alpha + alpha, True),
    ),
    family="exponential",
    params=(real("alpha", 0.5),),
    tex=r"\operatorname{softexp}",
    doc=r"""Soft exponential: :math:`-\frac{\log(1 - \alpha(x + \alpha))}{\alpha}` for
    :math:`\alpha < 0`, :math:`x` for :math:`\alpha = 0`, :math:`\frac{e^{\alpha x} - 1}{\alpha} + \alpha`
    for :math:`\alpha > 0` (default 0.5): one trainable parameter moves it from logarithmic
    through linear to exponential. For :math:`\alpha < 0` it is defined only for
    :math:`x > 1/\alpha - \alpha` (NaN below).

    Reference: Godfrey & Gashler, *A continuum among logarithmic, linear, and exponential
    functions*, 2015.""",
)


def _register_with_parser() -> None:
    """Hand the catalogue's names to the parser: ``relu(x) + sigmoid(2x)`` parses.

    ``name(u)`` is the activation at ``u`` with its parameters at their defaults;
    ``name(u, a, ...)`` sets the parameters in order (``leaky_relu(x, 0.2)``).
    Names the parser already knows as elementary functions (``tanh``, ``sin``,
    ``atan``) keep their meaning, which is the same; ``sigmoid`` becomes symnn's.
    """
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

    for entry in REGISTRY:
        counts = tuple(range(1, 2 + len(entry.params)))
        for name in (entry.name, *entry.aliases):
            if name == "sigmoid":
                register_function(name, builder(entry.name), nargs=counts, replace=True)
            elif name not in known:
                register_function(name, builder(entry.name), nargs=counts)


_register_with_parser()
