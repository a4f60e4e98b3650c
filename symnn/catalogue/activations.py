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

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy as sp

from symnn._validation import check_choice, did_you_mean, exact_number, normalize_name
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
    "activation_families",
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
    "polynomial": "xavier_uniform",
    "rational": "xavier_uniform",
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


def activations(family: str | None = None) -> list[str]:
    """The names of every activation in the catalogue (aliases resolve too), or of one family.

    >>> "gelu" in activations(), len(activations()) >= 60
    (True, True)
    >>> activations(family="periodic")
    ['sinusoid', 'sinc', 'snake', 'cosine']
    """
    if family is None:
        return REGISTRY.names()
    family = check_choice(
        "activation family", family, activation_families(),
        listing="symnn.activation_families() lists them",
    )  # fmt: skip
    return [e.name for e in REGISTRY if e.family == family]


def activation_families() -> list[str]:
    """The families that have entries, in the order of :data:`FAMILIES` (read from the registry).

    >>> activation_families()[:4]
    ['linear', 'step', 'sigmoid', 'relu']
    """
    used = {e.family for e in REGISTRY}
    return [f for f in FAMILIES if f in used]


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
    doc=r"""Identity :math:`f(x) = x`; derivative 1. Used on regression outputs.

    Reference: PyTorch ``nn.Identity``.""",
)
_define(
    "binary_step",
    lambda: sp.Piecewise((0, x < 0), (1, True)),
    family="step",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{step}",
    aliases=("step", "heaviside"),
    doc=r"""Binary step :math:`f(x) = 0` for :math:`x < 0`, 1 for :math:`x \ge 0`.

    Discontinuous at 0; the derivative is taken as 0 everywhere (also at 0).

    Reference: McCulloch & Pitts, *A logical calculus of the ideas immanent in nervous
    activity*, 1943; Rosenblatt's perceptron, 1958.""",
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

    Saturates at 0 and 1, which makes gradients vanish in deep networks.

    Reference: Rumelhart, Hinton & Williams, *Learning representations by back-propagating
    errors*, Nature 1986; PyTorch ``nn.Sigmoid``.""",
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
    doc=r"""Hyperbolic tangent :math:`\tanh x = \frac{e^x - e^{-x}}{e^x + e^{-x}}`; derivative :math:`1 - \tanh^2 x`.

    Reference: LeCun, Bottou, Orr & Müller, *Efficient BackProp*, 1998; PyTorch ``nn.Tanh``.""",
)
_define(
    "hard_tanh",
    lambda: sp.Piecewise((-1, x <= -1), (x, x < 1), (1, True)),
    family="sigmoid",
    bounds=(-1.0, 1.0),
    tex=r"\operatorname{hardtanh}",
    aliases=("hardtanh",),
    doc=r"""Hard tanh: :math:`\max(-1, \min(1, x))`; derivative 1 on :math:`(-1, 1)`, 0 at :math:`\pm 1` and outside.

    Reference: Collobert, *Large scale machine learning*, PhD thesis, 2004; PyTorch ``nn.Hardtanh``.""",
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
    doc=r"""ReLU6 :math:`\min(\max(0, x), 6)`; derivative 1 on :math:`(0, 6)`, 0 at 0, at 6 and outside.

    Reference: Krizhevsky, *Convolutional deep belief networks on CIFAR-10*, 2010; PyTorch ``nn.ReLU6``.""",
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
    and stays symbolic (default 0.25, PyTorch's initial value). Derivative :math:`\alpha` at 0
    (the :math:`x \le 0` branch, as leaky ReLU).

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
    The derivative at 0 is taken from the :math:`x \le 0` branch: :math:`\lambda\alpha` (as ELU).

    Reference: Klambauer et al., *Self-normalizing neural networks*, NeurIPS 2017.""",
)
_define(
    "celu",
    lambda alpha: sp.Piecewise((alpha * (sp.exp(x / alpha) - 1), x <= 0), (x, True)),
    family="relu",
    params=(positive("alpha", 1.0),),
    tex=r"\operatorname{CELU}",
    doc=r"""Continuously differentiable ELU :math:`\alpha(e^{x/\alpha} - 1)` for :math:`x \le 0`, :math:`x` otherwise.
    Both branches have derivative 1 at 0 (it is :math:`C^1` there).

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
    doc=r"""GELU, tanh approximation: :math:`\frac{x}{2}\left(1 + \tanh\left(\sqrt{2/\pi}\,(x + 0.044715\,x^3)\right)\right)`.

    Reference: Hendrycks & Gimpel 2016; PyTorch ``nn.GELU(approximate="tanh")``.""",
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
    doc=r"""Softsign :math:`\frac{x}{1 + |x|}`; derivative :math:`\frac{1}{(1 + |x|)^2}`.

    Reference: Turian, Bergstra & Bengio, *Quadratic features and deep architectures for
    chunking*, NAACL 2009; PyTorch ``nn.Softsign``.""",
)
_define(
    "log_sigmoid",
    lambda: sp.log(sigmoid(x)),
    family="sigmoid",
    tex=r"\log\sigma",
    aliases=("logsigmoid",),
    doc=r"""Log-sigmoid :math:`\log\sigma(x) = -\log(1 + e^{-x})`; derivative :math:`1 - \sigma(x)`.

    Reference: PyTorch ``nn.LogSigmoid``.""",
)
_define(
    "tanhshrink",
    lambda: x - sp.tanh(x),
    family="shrink",
    tex=r"\operatorname{tanhshrink}",
    doc=r"""Tanhshrink :math:`x - \tanh x`; derivative :math:`\tanh^2 x`.

    Reference: PyTorch ``nn.Tanhshrink``.""",
)
_define(
    "softshrink",
    lambda lambd: sp.Piecewise((x + lambd, x < -lambd), (0, x <= lambd), (x - lambd, True)),
    family="shrink",
    params=(positive("lambd", 0.5, symbol="lambda"),),
    tex=r"\operatorname{softshrink}",
    doc=r"""Soft shrinkage: :math:`x - \lambda` above :math:`\lambda`, :math:`x + \lambda` below :math:`-\lambda`, else 0
    (:math:`\lambda = 0.5`). Derivative 0 on the closed interval :math:`[-\lambda, \lambda]`.

    Reference: Donoho, *De-noising by soft-thresholding*, IEEE Trans. Information Theory 1995;
    PyTorch ``nn.Softshrink``.""",
)
_define(
    "hardshrink",
    lambda lambd: sp.Piecewise((x, x < -lambd), (0, x <= lambd), (x, True)),
    family="shrink",
    params=(positive("lambd", 0.5, symbol="lambda"),),
    tex=r"\operatorname{hardshrink}",
    doc=r"""Hard shrinkage: :math:`x` where :math:`|x| > \lambda`, else 0 (:math:`\lambda = 0.5`).

    Discontinuous at :math:`\pm\lambda`; derivative 0 on the closed interval :math:`[-\lambda, \lambda]`.

    Reference: PyTorch ``nn.Hardshrink``.""",
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
    symnn uses :math:`\theta = 1`, :math:`v = 0`. Derivative 1 above :math:`\theta`, 0 at and below it.

    Reference: PyTorch ``nn.Threshold``.""",
)
_define(
    "gaussian",
    lambda: sp.exp(-(x**2)),
    family="radial",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{gaussian}",
    doc=r"""Gaussian :math:`e^{-x^2}`; derivative :math:`-2x e^{-x^2}`.

    Reference: Broomhead & Lowe, *Multivariable functional interpolation and adaptive
    networks*, Complex Systems 1988 (radial basis function networks).""",
)
_define(
    "sinusoid",
    lambda: sp.sin(x),
    family="periodic",
    bounds=(-1.0, 1.0),
    tex=r"\sin",
    aliases=("sine", "sin"),
    doc=r"""Sinusoid :math:`\sin x`; derivative :math:`\cos x`.

    References: Parascandolo, Huttunen & Virtanen, *Taming the waves: sine as activation
    function in deep neural networks*, 2016; Sitzmann et al., *Implicit neural representations
    with periodic activation functions* (SIREN), NeurIPS 2020.""",
)
_define(
    "sinc",
    lambda: sp.sinc(x),
    family="periodic",
    tex=r"\operatorname{sinc}",
    doc=r"""Sinc :math:`\frac{\sin x}{x}`, 1 at 0; derivative :math:`\frac{\cos x}{x} - \frac{\sin x}{x^2}`, 0 at 0.

    The unnormalised sinc, as SymPy and mathematics texts write it; ``torch.sinc`` and
    ``numpy.sinc`` are the normalised :math:`\sin(\pi x)/(\pi x)` (``sinc(pi*x)`` here).

    Reference: SymPy's ``sinc``; surveyed in Kunc & Kléma, *Three decades of activations: a
    comprehensive survey of 400 activation functions for neural networks*, 2024.""",
)
_define(
    "arctan",
    lambda: sp.atan(x),
    family="sigmoid",
    bounds=(-1.5707963267948966, 1.5707963267948966),
    tex=r"\arctan",
    aliases=("atan",),
    doc=r"""Arctangent :math:`\arctan x`; derivative :math:`\frac{1}{1 + x^2}`.

    Reference: surveyed in Kunc & Kléma, *Three decades of activations*, 2024.""",
)
_define(
    "bent_identity",
    lambda: (sp.sqrt(x**2 + 1) - 1) / 2 + x,
    family="smooth_relu",
    tex=r"\operatorname{bent}",
    aliases=("bentidentity",),
    doc=r"""Bent identity :math:`\frac{\sqrt{x^2 + 1} - 1}{2} + x`; derivative
    :math:`\frac{x}{2\sqrt{x^2 + 1}} + 1`.

    Reference: surveyed in Kunc & Kléma, *Three decades of activations*, 2024.""",
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
    :math:`x - x^2/4` on :math:`[0, 2]`, 1 above 2. :math:`C^1`: the one-sided derivatives agree
    at the joins (0 at :math:`\pm 2`, 1 at 0).

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


# -- the wider catalogue (issue #15): one entry each, grouped by family -------------------

_define(
    "relu_squared",
    lambda: sp.Piecewise((0, x <= 0), (x**2, True)),
    family="relu",
    tex=r"\operatorname{ReLU}^2",
    aliases=("squared_relu", "relu2"),
    doc=r"""Squared ReLU :math:`\max(0, x)^2`; derivative :math:`2\max(0, x)`, 0 at the kink (continuous there).

    Reference: So et al., *Primer: searching for efficient transformers for language modeling*,
    NeurIPS 2021.""",
)
_define(
    "rrelu",
    lambda lower, upper: sp.Piecewise(((lower + upper) / 2 * x, x <= 0), (x, True)),
    family="relu",
    params=(positive("lower", 0.125), positive("upper", 1 / 3)),
    tex=r"\operatorname{RReLU}",
    doc=r"""Randomized leaky ReLU at evaluation time (PyTorch's ``RReLU`` in eval mode): slope
    :math:`(l + u)/2` for :math:`x \le 0`, :math:`x` otherwise (:math:`l = 1/8`, :math:`u = 1/3`).
    In training PyTorch draws the slope from :math:`U(l, u)`; the deterministic function is the mean.
    Derivative :math:`(l + u)/2` at 0 (the :math:`x \le 0` branch).

    Reference: Xu et al., *Empirical evaluation of rectified activations in convolutional network*, 2015.""",
)
_define(
    "abrelu",
    lambda beta: sp.Piecewise((0, x <= beta), (x - beta, True)),
    family="relu",
    params=(real("beta", 0.0),),
    tex=r"\operatorname{ABReLU}",
    aliases=("average_biased_relu",),
    doc=r"""Average-biased ReLU :math:`\max(0, x - \beta)`, where ABReLU takes :math:`\beta` as the average
    of the layer's input (a statistic of the data); as a scalar function of :math:`x` the average
    is the parameter :math:`\beta` (default 0, where it is ReLU). Derivative 0 at :math:`x = \beta`
    (ReLU's convention).

    References: Dubey & Chakraborty, *Average biased ReLU based CNN descriptor for improved face
    retrieval*, Multimedia Tools and Applications 2021; benchmarked in Dubey, Singh & Chaudhuri,
    *Activation functions in deep learning: a comprehensive survey and benchmark*, Neurocomputing 2022.""",
)
_define(
    "isrlu",
    lambda alpha: sp.Piecewise((x / sp.sqrt(1 + alpha * x**2), x < 0), (x, True)),
    family="relu",
    params=(positive("alpha", 1.0),),
    tex=r"\operatorname{ISRLU}",
    doc=r"""Inverse square root linear unit: :math:`\frac{x}{\sqrt{1 + \alpha x^2}}` for :math:`x < 0`, :math:`x`
    for :math:`x \ge 0` (:math:`\alpha = 1`). Both branches have derivative 1 at 0 (it is :math:`C^2`).

    Reference: Carlile et al., *Improving deep learning by inverse square root linear units
    (ISRLUs)*, 2017.""",
)
_define(
    "pelu",
    lambda a, b: sp.Piecewise((a * (sp.exp(x / b) - 1), x <= 0), (a / b * x, True)),
    family="relu",
    params=(positive("a", 1.0), positive("b", 1.0)),
    tex=r"\operatorname{PELU}",
    doc=r"""Parametric ELU: :math:`a(e^{x/b} - 1)` for :math:`x \le 0`, :math:`\frac{a}{b}x` otherwise
    (:math:`a = b = 1`, where it is ELU). Both sides have slope :math:`a/b` at 0 (the derivative there).

    Reference: Trottier, Giguère & Chaib-draa, *Parametric exponential linear unit for deep
    convolutional neural networks*, ICMLA 2017.""",
)
_define(
    "pdelu",
    lambda alpha: sp.Piecewise(
        (-alpha, x <= -10),
        (alpha * ((1 + x / 10) ** 10 - 1), x <= 0),
        (x, True),
    ),
    family="relu",
    params=(positive("alpha", 1.0),),
    tex=r"\operatorname{PDELU}",
    doc=r"""Parametric deformable ELU: :math:`x` for :math:`x > 0`, else
    :math:`\alpha\left([1 + (1 - t)x]_+^{1/(1-t)} - 1\right)` with :math:`t = 0.9` (the paper's
    setting, also Dubey et al.'s), i.e. :math:`\alpha((1 + x/10)^{10} - 1)` on :math:`(-10, 0]` and
    :math:`-\alpha` below; :math:`\alpha = 1`. As :math:`t \to 1` it becomes ELU. :math:`t` is fixed
    so that the exponent is the integer 10, for which the compiler has an exact form near 0
    (:math:`u\sum_j (1+u)^j`); for another :math:`t` write the formula with ``symnn.Activation``.
    The derivative at 0 is :math:`\alpha` (the :math:`x \le 0` branch, as ELU) and 0 at :math:`-10`.

    Reference: Cheng et al., *Parametric deformable exponential linear units for deep neural
    networks*, Neural Networks 2020; benchmarked in Dubey, Singh & Chaudhuri 2022.""",
)
_define(
    "eswish",
    lambda beta: beta * x * sigmoid(x),
    family="gated",
    params=(positive("beta", 1.375),),
    tex=r"\operatorname{E\text{-}swish}",
    aliases=("e_swish",),
    doc=r"""E-swish :math:`\beta x\,\sigma(x)`; the paper recommends :math:`1 \le \beta \le 2`
    (symnn's default 1.375). Swish with its own (trainable) :math:`\beta` is ``silu``:
    :math:`x\,\sigma(\beta x)`.

    Reference: Alcaide, *E-swish: adjusting activations to different network depths*, 2018.""",
)
_define(
    "quick_gelu",
    lambda: x * sigmoid(sp.Float("1.702") * x),
    family="gated",
    tex=r"\operatorname{QuickGELU}",
    aliases=("gelu_sigmoid",),
    doc=r""":math:`x\,\sigma(1.702\,x)`, the sigmoid approximation of GELU (Hendrycks & Gimpel 2016,
    section 2), used as ``QuickGELU`` in OpenAI's CLIP.""",
)
_define(
    "lisht",
    lambda: x * sp.tanh(x),
    family="gated",
    tex=r"\operatorname{LiSHT}",
    doc=r"""Linearly scaled hyperbolic tangent :math:`x\tanh x` (even, non-negative).

    Reference: Roy et al., *LiSHT: non-parametric linearly scaled hyperbolic tangent activation
    function for neural networks*, 2019.""",
)
_define(
    "tanhexp",
    lambda: x * sp.tanh(sp.exp(x)),
    family="gated",
    tex=r"\operatorname{TanhExp}",
    doc=r"""TanhExp :math:`x\tanh(e^x)`.

    Reference: Liu & Di, *TanhExp: a smooth activation function with high convergence speed for
    lightweight neural networks*, IET Computer Vision 2021.""",
)
_define(
    "serf",
    lambda: x * sp.erf(softplus(x)),
    family="gated",
    tex=r"\operatorname{Serf}",
    doc=r"""Serf :math:`x\operatorname{erf}(\log(1 + e^x))` (log-softplus error function).

    Reference: Nag, Bhattacharyya et al., *SERF: towards better training of deep neural networks
    using log-softplus error activation function*, WACV 2023.""",
)
_define(
    "smish",
    lambda alpha, beta: alpha * x * sp.tanh(sp.log(1 + sigmoid(beta * x))),
    family="gated",
    params=(positive("alpha", 1.0), positive("beta", 1.0)),
    tex=r"\operatorname{Smish}",
    doc=r"""Smish :math:`\alpha x\tanh(\log(1 + \sigma(\beta x)))` (:math:`\alpha = \beta = 1`).

    Reference: Wang, Ren & Wang, *Smish: a novel activation function for deep learning methods*,
    Electronics 11(4), 2022.""",
)
_define(
    "logish",
    lambda: x * sp.log(1 + sigmoid(x)),
    family="gated",
    tex=r"\operatorname{Logish}",
    doc=r"""Logish :math:`x\log(1 + \sigma(x))`.

    Reference: Zhu et al., *Logish: a new nonlinear nonmonotonic activation function for
    convolutional neural network*, Neurocomputing 2021.""",
)
_define(
    "hard_mish",
    lambda: sp.Piecewise((0, x <= -2), (x * (x + 2) / 2, x <= 0), (x, True)),
    family="gated",
    tex=r"\operatorname{HardMish}",
    aliases=("hardmish",),
    doc=r"""Hard Mish :math:`\frac{x}{2}\min(2, \max(0, x + 2))`: 0 below :math:`-2`, :math:`x(x + 2)/2` on
    :math:`[-2, 0]`, :math:`x` above (as in the H-Mish notes by Mish's author, D. Misra, and in
    ``timm``'s ``hard_mish``). Derivative 0 at :math:`-2` (the left branch, the catalogue's ReLU
    convention) and 1 at 0, where it is :math:`C^1`.""",
)
_define(
    "snake",
    lambda a: x + sp.sin(a * x) ** 2 / a,
    family="periodic",
    params=(positive("a", 1.0),),
    tex=r"\operatorname{snake}",
    doc=r"""Snake :math:`x + \frac{\sin^2(a x)}{a}` (:math:`a = 1`): monotone, with a periodic ripple of
    frequency :math:`a`; it lets networks extrapolate periodic signals.

    Reference: Ziyin, Hartwig & Ueda, *Neural networks fail to learn periodic functions and how
    to fix it*, NeurIPS 2020.""",
)
_define(
    "elliott",
    # (1 + x + |x|)/(2(1 + |x|)) is x/(2(1 + |x|)) + 1/2 without the cancellation for x < 0
    lambda: (1 + x + sp.Abs(x)) / (2 * (1 + sp.Abs(x))),
    family="sigmoid",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{Elliott}",
    doc=r"""Elliott sigmoid :math:`\frac{x}{2(1 + |x|)} + \frac12`, a softsign rescaled to (0, 1); derivative
    :math:`\frac{1}{2(1 + |x|)^2}` (the one-sided derivatives agree at 0).

    Reference: Elliott, *A better activation function for artificial neural networks*, ISR
    technical report TR 93-8, University of Maryland, 1993.""",
)
_define(
    "bipolar_sigmoid",
    lambda: 2 * sigmoid(x) - 1,
    family="sigmoid",
    bounds=(-1.0, 1.0),
    tex=r"\operatorname{bipolar}",
    doc=r"""Bipolar sigmoid :math:`\frac{1 - e^{-x}}{1 + e^{-x}} = 2\sigma(x) - 1 = \tanh\frac{x}{2}`, the
    logistic rescaled to (-1, 1) (classical in the neural-network textbooks, e.g. Fausett,
    *Fundamentals of neural networks*, 1994).""",
)
_define(
    "lecun_tanh",
    lambda: sp.Float("1.7159") * sp.tanh(2 * x / 3),
    family="sigmoid",
    bounds=(-1.7159, 1.7159),
    tex=r"\tanh_{\mathrm{LeCun}}",
    aliases=("scaled_tanh",),
    doc=r""":math:`1.7159\tanh(2x/3)`, scaled so that :math:`f(\pm 1) \approx \pm 1`.

    Reference: LeCun, Bottou, Orr & Müller, *Efficient BackProp*, 1998.""",
)
_define(
    "penalized_tanh",
    lambda a: sp.Piecewise((a * sp.tanh(x), x <= 0), (sp.tanh(x), True)),
    family="sigmoid",
    params=(positive("a", 0.25),),
    tex=r"\operatorname{ptanh}",
    doc=r"""Penalized tanh: :math:`\tanh x` for :math:`x > 0`, :math:`a\tanh x` for :math:`x \le 0` (:math:`a = 0.25`);
    derivative :math:`a` at 0 (the :math:`x \le 0` branch, as leaky ReLU).

    References: Xu, Huang & Li, *Revise saturated activation functions*, 2016; Eger, Youssef &
    Gurevych, *Is it time to swish?*, EMNLP 2018.""",
)
_define(
    "erf",
    lambda: sp.erf(x),
    family="sigmoid",
    bounds=(-1.0, 1.0),
    tex=r"\operatorname{erf}",
    doc=r"""Gauss error function :math:`\operatorname{erf} x = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}\,dt` as a
    sigmoid; derivative :math:`\frac{2}{\sqrt\pi}e^{-x^2}`.

    Reference: Williams, *Computing with infinite networks*, NIPS 1996 (its kernel is in closed
    form).""",
)
_define(
    "normal_cdf",
    lambda: (1 + sp.erf(x / _SQRT2)) / 2,
    family="sigmoid",
    bounds=(0.0, 1.0),
    tex=r"\Phi",
    aliases=("probit", "gaussian_cdf"),
    doc=r"""Standard normal CDF :math:`\Phi(x) = \frac12\left(1 + \operatorname{erf}\frac{x}{\sqrt 2}\right)`,
    the probit link as an activation and GELU's gate (:math:`\operatorname{GELU}(x) = x\,\Phi(x)`).

    Reference: Bliss, *The method of probits*, Science 1934; Hendrycks & Gimpel 2016 (GELU).""",
)
_define(
    "inverse_multiquadric",
    lambda: 1 / sp.sqrt(1 + x**2),
    family="radial",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{IMQ}",
    doc=r"""Inverse multiquadric :math:`\frac{1}{\sqrt{1 + x^2}}`, the radial basis function with shape
    parameter 1.

    Reference: Hardy, *Multiquadric equations of topography and other irregular surfaces*, 1971;
    Micchelli, *Interpolation of scattered data*, Constructive Approximation 1986.""",
)

_define(
    "cube",
    lambda: x**3,
    family="polynomial",
    tex=r"\operatorname{cube}",
    doc=r"""Cube :math:`x^3`; derivative :math:`3x^2`. The hidden activation of Chen & Manning's
    dependency parser, chosen to model products of three input features.

    Reference: Chen & Manning, *A fast and accurate dependency parser using neural networks*,
    EMNLP 2014.""",
)
_define(
    "satlin",
    lambda: sp.Piecewise((0, x <= 0), (x, x < 1), (1, True)),
    family="relu",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{satlin}",
    aliases=("saturating_linear",),
    doc=r"""Saturating linear :math:`\min(\max(0, x), 1)` (MATLAB's ``satlin``; ReLU6 with the ceiling at 1).
    Derivative 1 on :math:`(0, 1)`, 0 at 0, at 1 and outside (as ReLU6).

    Reference: MATLAB Deep Learning Toolbox, ``satlin``; Hagan, Demuth & Beale, *Neural network
    design*, 1996.""",
)
_define(
    "triangular",
    lambda: sp.Piecewise((0, x <= -1), (1 + x, x <= 0), (1 - x, x < 1), (0, True)),
    family="radial",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{tribas}",
    aliases=("tribas",),
    doc=r"""Triangular basis :math:`\max(0, 1 - |x|)` (MATLAB's ``tribas``). At the corners the derivative
    is that of the left branch: 0 at :math:`-1`, 1 at 0, :math:`-1` at 1.

    Reference: MATLAB Deep Learning Toolbox, ``tribas``.""",
)
_define(
    "cosine",
    lambda: sp.cos(x),
    family="periodic",
    bounds=(-1.0, 1.0),
    tex=r"\cos",
    aliases=("cos",),
    doc=r"""Cosine :math:`\cos x`, the even periodic activation.

    Reference: Parascandolo, Huttunen & Virtanen, *Taming the waves: sine as activation function
    in deep neural networks*, 2016.""",
)


def _srs_checked(base: Activation, params: dict[str, Any]) -> Activation:
    """SRS's denominator x/alpha + exp(-x/beta) has a real root when beta >= e*alpha: refuse."""
    values = {
        p: float(params.get(p, base.params[base._param_symbol(p)])) for p in ("alpha", "beta")
    }
    if values["beta"] >= math.e * values["alpha"]:
        raise ValueError(
            f"srs parameters alpha={values['alpha']:g}, beta={values['beta']:g}: the denominator "
            "x/alpha + exp(-x/beta) vanishes somewhere unless beta < e*alpha; "
            "choose a larger alpha or a smaller beta"
        )
    return base


_define(
    "srs",
    lambda alpha, beta: x / (x / alpha + sp.exp(-x / beta)),
    family="sigmoid",
    params=(positive("alpha", 2.0), positive("beta", 3.0)),
    options=_srs_checked,
    tex=r"\operatorname{SRS}",
    aliases=("soft_root_sign",),
    doc=r"""Soft-root-sign :math:`\frac{x}{x/\alpha + e^{-x/\beta}}` (:math:`\alpha = 2`, :math:`\beta = 3`,
    the paper's initial values; both trainable there). Bounded: it tends to :math:`\alpha` as
    :math:`x \to \infty` and to 0 from below as :math:`x \to -\infty`, with a minimum in between;
    not monotone. The denominator is positive for every :math:`x` exactly when
    :math:`\beta < e\,\alpha` (its minimum is :math:`\frac{\beta}{\alpha}(1 - \log\frac{\beta}{\alpha})`),
    so symnn refuses parameters with :math:`\beta \ge e\,\alpha` (a pole on the real line).
    Smooth: no kink.

    References: Zhou et al., *Soft-root-sign activation function*, arXiv:2003.00547, 2020;
    benchmarked in Dubey, Singh & Chaudhuri, Neurocomputing 2022.""",
)
_define(
    "cloglog",
    lambda: 1 - sp.exp(-sp.exp(x)),
    family="sigmoid",
    bounds=(0.0, 1.0),
    tex=r"\operatorname{cloglog}^{-1}",
    aliases=("complementary_log_log", "gompertz"),
    doc=r"""Complementary log-log (inverse link) :math:`1 - e^{-e^{x}}`, an asymmetric sigmoid onto
    (0, 1) (the Gompertz curve): it approaches 1 doubly exponentially fast and 0 like
    :math:`e^x`; derivative :math:`e^{x - e^{x}}`. Smooth: no kink.

    References: McCullagh & Nelder, *Generalized linear models*, 2nd ed., 1989 (the
    complementary log-log link); as an activation, Gomes, Ludermir & Lima, *Comparison of new
    activation functions in neural network for forecasting financial time series*, Neural
    Computing and Applications 2011.""",
)

#: PAU's default coefficients: ``PAU()`` of the authors' code (``pade_optimized_leakyrelu``,
#: a least-squares fit of leaky ReLU with slope 0.01 on [-3, 3]), numerator a0..a5 and
#: denominator b1..b4.
_PAU_A = (
    3.35583603e-02,
    5.05000375e-01,
    1.65343934e00,
    2.01001052e00,
    9.31901999e-01,
    1.52424124e-01,
)
_PAU_B = (3.30847488e-06, 3.98021568e00, 5.12471206e-07, 3.01830109e-01)


def _pau(**c: sp.Symbol) -> sp.Expr:
    p = sum(c[f"a{j}"] * x**j for j in range(len(_PAU_A)))
    q = 1 + sum(sp.Abs(c[f"b{k}"]) * sp.Abs(x) ** k for k in range(1, len(_PAU_B) + 1))
    return p / q


_define(
    "pau",
    _pau,
    family="rational",
    params=(
        *(real(f"a{j}", v) for j, v in enumerate(_PAU_A)),
        *(real(f"b{k}", v) for k, v in enumerate(_PAU_B, start=1)),
    ),
    tex=r"\operatorname{PAU}",
    aliases=("pade", "pade_activation_unit"),
    doc=r"""Padé activation unit, the "safe" rational form of degree (5, 4):
    :math:`\frac{a_0 + a_1 x + \dots + a_5 x^5}{1 + |b_1||x| + |b_2||x|^2 + |b_3||x|^3 + |b_4||x|^4}`.
    The denominator is at least 1, so there is no pole for any coefficients. The defaults are
    the paper's initialisation, the coefficients of its code's ``PAU()``
    (``pade_optimized_leakyrelu``: a fit of leaky ReLU, slope 0.01), every one trainable there:
    :math:`a = (0.0336, 0.505, 1.653, 2.010, 0.932, 0.152)`,
    :math:`b = (3.31\cdot 10^{-6}, 3.980, 5.12\cdot 10^{-7}, 0.302)` (the full digits are the
    parameters' defaults). The paper and its code put the absolute value on each term, as here;
    :math:`1 + |b_1 x + \dots + b_4 x^4|` is another safe denominator (write it with
    ``symnn.Activation`` if you want that one).

    Kink: :math:`|x|` makes the derivative jump at 0 by :math:`2 a_0 |b_1|` (tiny with the
    defaults); symnn takes :math:`\frac{d}{dx}|x| = \operatorname{sign} 0 = 0` there (PyTorch's
    autograd does the same), so :math:`f'(0) = a_1`, the mean of the one-sided derivatives.
    The compiled :math:`f` sums both polynomials in :math:`1/x` for :math:`|x| > 1` (no overflow)
    and the numerator as a compensated Horner sum for :math:`|x| \le 1` (exact next to its
    roots); the derivative (``kernels.poly_ratio_prime``) is one polynomial over :math:`Q^2`
    on each side of 0 with exactly summed coefficients, compensated next to its roots
    (-2.18, -1.64, -0.62, -0.23 with the defaults) and summed in :math:`1/x` far out.

    Reference: Molina, Schramowski & Kersting, *Padé activation units: end-to-end learning of
    flexible activation functions in deep networks*, ICLR 2020.""",
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
