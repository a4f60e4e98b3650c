r"""Trainable activation parameters: which ones, their shapes, and their layer mathematics.

``Network(..., activation="prelu", trainable_params=("alpha",))`` makes PReLU's
:math:`\alpha` a parameter of the network, trained with the weights: it appears in
``net.params`` as ``"alpha1"`` (layer 1), its gradient
:math:`\partial L / \partial \alpha_l = \sum_{i,j} G_{ij}\,\partial f / \partial \alpha(Z_{ij})`
comes from ``sympy.diff`` with respect to the parameter symbol and is compiled into the
generated training code, and every optimiser updates it like a weight.

The spec, one of:

* a name or a sequence of names, ``("alpha",)``: one scalar per layer, in every layer
  whose activation has that parameter;
* a mapping ``{"alpha": "unit"}``: ``"scalar"`` (one per layer) or ``"unit"`` (one per
  unit of the layer, like PyTorch's ``nn.PReLU(num_parameters=h)``);
* a mapping from layer numbers (1 is the first weight layer) to either of the above,
  ``{1: {"alpha": "unit"}, 2: ("beta",)}``: only those layers.

A parameter fixed with ``activation("prelu", alpha=0.1)`` is freed again and starts at
0.1; otherwise it starts at the activation's default. Training does not keep a parameter
inside its catalogue interval (PReLU's :math:`\alpha` may be any real number).

>>> import symnn as sn
>>> net = sn.Network([2, 3, 1], activation="prelu", trainable_params=("alpha",), seed=0)
>>> list(net.params), net.params["alpha1"]
(['W1', 'b1', 'alpha1', 'W2', 'b2'], array(0.25))
>>> sn.Network([2, 3, 1], activation="prelu", trainable_params={"alpha": "unit"}).params["alpha1"]
array([0.25, 0.25, 0.25])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from symnn._validation import check_choice, exact_number
from symnn.catalogue.activation import a as OUTPUT
from symnn.catalogue.activations import Activation, activation
from symnn.expr.symbolic import derivative
from symnn.nn.netcode import A_SYMBOL, Z_SYMBOL, LayerMath

__all__ = ["SHAPES", "TrainableParam", "layer_math", "resolve"]

#: The shapes a trainable parameter can have, by the word the spec uses.
SHAPES = ("scalar", "unit")


@dataclass(frozen=True)
class TrainableParam:
    """One trainable activation parameter of one layer."""

    layer: int  # 1-based weight layer
    name: str  # the activation's keyword, e.g. "alpha"
    shape: str  # "scalar" or "unit"
    init: float  # the starting value

    @property
    def key(self) -> str:
        """Its name in ``net.params``: the keyword and the layer, ``"alpha1"``."""
        return f"{self.name}{self.layer}"

    @property
    def symbol(self) -> sp.Symbol:
        """The symbol that stands for it in the layer's generated code."""
        return sp.Symbol(self.key, real=True)

    def array_shape(self, width: int) -> tuple[int, ...]:
        return () if self.shape == "scalar" else (width,)


def _kinds(spec, where: str) -> dict[str, str]:
    """``{name: shape}`` from a name, a sequence of names or a mapping name -> shape."""
    if isinstance(spec, str):
        spec = (spec,)
    if isinstance(spec, Mapping):
        out = {}
        for k, v in spec.items():
            if not isinstance(k, str):
                raise TypeError(f"{where}: parameter names must be strings, not {k!r}")
            out[k] = check_choice(f"{where} shape of {k}", v, SHAPES)
        return out
    if isinstance(spec, Sequence) and all(isinstance(k, str) for k in spec):
        return dict.fromkeys(spec, "scalar")
    raise TypeError(
        f"{where} must be a parameter name, a sequence of names such as ('alpha',), a mapping "
        f"such as {{'alpha': 'unit'}}, or a mapping from layer numbers to those; got {spec!r}"
    )


def _param_names(act: Activation) -> list[str]:
    """The keywords of *act*'s parameters, symbolic or fixed in its catalogue origin."""
    names = list(act.kwnames.values())
    if act.origin is not None:
        names += [k for k in act.origin[1] if k not in names]
    return names


def _free(act: Activation, names: Sequence[str]) -> tuple[Activation, dict[str, float]]:
    """*act* with the parameters *names* symbolic, and their starting values."""
    fixed = dict(act.origin[1]) if act.origin is not None else {}
    if any(n not in act.kwnames.values() for n in names):  # fixed ones: rebuild from the catalogue
        keep = {k: v for k, v in fixed.items() if k not in names}
        act = activation(act.origin[0], **keep)
    init = {}
    for n in names:
        sym = next(p for p, kw in act.kwnames.items() if kw == n)
        init[n] = float(fixed.get(n, act.params[sym]))
    return act, init


def resolve(
    spec, activations: Sequence[Activation]
) -> tuple[list[Activation], list[TrainableParam]]:
    """The layers' activations (trainable parameters made symbolic) and the trainable parameters.

    >>> from symnn.catalogue.activations import activation
    >>> acts, params = resolve(("alpha",), [activation("prelu", alpha=0.1), activation("sigmoid")])
    >>> params
    [TrainableParam(layer=1, name='alpha', shape='scalar', init=0.1)]
    """
    acts = list(activations)
    if spec is None or (isinstance(spec, (Sequence, Mapping)) and len(spec) == 0):
        return acts, []
    depth = len(acts)
    if isinstance(spec, Mapping) and spec and all(isinstance(k, int) for k in spec):
        per_layer = {}
        for layer, sub in spec.items():
            if isinstance(layer, bool) or not 1 <= layer <= depth:
                raise ValueError(
                    f"trainable_params names layer {layer!r}; the layers are 1..{depth} "
                    "(1 is the first weight layer)"
                )
            per_layer[layer] = _kinds(sub, f"trainable_params[{layer}]")
        explicit = True
    else:
        kinds = _kinds(spec, "trainable_params")
        per_layer = {i: kinds for i in range(1, depth + 1)}
        explicit = False
    params: list[TrainableParam] = []
    used: set[str] = set()
    for i, kinds in sorted(per_layer.items()):
        act = acts[i - 1]
        have = _param_names(act)
        wanted = [n for n in kinds if n in have]
        missing = [n for n in kinds if n not in have]
        if explicit and missing:
            raise ValueError(
                f"trainable_params: layer {i}'s activation {act.name} has no parameter "
                f"{missing[0]!r}; its parameters: {', '.join(have) or 'none'}"
            )
        if not wanted:
            continue
        if act.origin is None and any(n not in act.kwnames.values() for n in wanted):
            raise ValueError(f"trainable_params: {act.name}'s parameters are fixed numbers")
        acts[i - 1], init = _free(act, wanted)
        for n in wanted:
            if n in ("W", "b"):
                raise ValueError(f"trainable_params: a parameter called {n!r} would clash with {n}{i}")
            params.append(TrainableParam(i, n, kinds[n], init[n]))
            used.add(n)
    unused = [n for kinds in per_layer.values() for n in kinds if n not in used]
    if unused:
        listing = "; ".join(f"{a.name}: {', '.join(_param_names(a)) or 'none'}" for a in acts)
        raise ValueError(
            f"trainable_params names {unused[0]!r}, but no layer's activation has a parameter "
            f"of that name (the parameters are {listing})"
        )
    return acts, params


def layer_math(act: Activation, free: Sequence[TrainableParam] = ()) -> LayerMath:
    r"""The layer's :class:`~symnn.nn.netcode.LayerMath`: fixed parameters as exact numbers,
    trainable ones as the symbols of their ``net.params`` keys, and
    :math:`\partial f / \partial p` for each trainable *p* from ``sympy.diff``.

    >>> from symnn.catalogue.activations import activation
    >>> m = layer_math(activation("prelu"), [TrainableParam(1, "alpha", "scalar", 0.25)])
    >>> m.f, m.dparams
    (Piecewise((alpha1*z, z <= 0), (z, True)), (Piecewise((z, z <= 0), (0, True)),))
    """
    if hasattr(act, "in_width"):  # a vector activation: the code generator calls its functions
        return LayerMath(act.name, Z_SYMBOL, sp.S.One, None, False, vector=act)
    by_name = {tp.name: tp for tp in free}
    subs: dict[sp.Symbol, sp.Expr] = {}
    for p, v in act.params.items():
        kw = act.kwnames[p]
        subs[p] = by_name[kw].symbol if kw in by_name else exact_number(float(v))
    f = act.expr.xreplace(subs).xreplace({act.symbol: Z_SYMBOL})
    fprime = act.derivative.xreplace(subs).xreplace({act.symbol: Z_SYMBOL})
    out = act.derivative_in_output
    fprime_a = None
    if out is not None:
        fprime_a = out.xreplace(subs).xreplace({OUTPUT: A_SYMBOL})
    symbols = tuple(tp.symbol for tp in free)
    return LayerMath(
        name=act.name,
        f=f,
        fprime_z=fprime,
        fprime_a=fprime_a,
        identity=act.expr == act.symbol,
        params=symbols,
        dparams=tuple(derivative(f, s) for s in symbols),
    )
