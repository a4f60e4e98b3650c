"""Checks and measurements on networks: gradient checking, gradient norms, sparsity.

>>> import symnn as sn
>>> X, y = sn.data.xor()
>>> net = sn.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
>>> report = sn.gradcheck(net, X, y)
>>> report.passed, report.max_rel_error < 1e-6
(True, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from symnn._validation import check_count
from symnn.catalogue.activations import Activation, as_activation
from symnn.nn.network import Network

__all__ = [
    "GradcheckResult",
    "decision_threshold",
    "gradcheck",
    "gradient_flow",
    "gradient_norms",
    "sparsity",
]


@dataclass(frozen=True)
class GradcheckResult:
    """The worst relative error between analytic and finite-difference gradients."""

    max_rel_error: float
    worst: str  # e.g. "W1[0, 2]"
    errors: dict[str, float]  # per parameter array
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.max_rel_error <= self.tolerance

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        return (
            f"gradcheck {verdict}: worst relative error {self.max_rel_error:.3g} at {self.worst} "
            f"(tolerance {self.tolerance:g})"
        )


def gradcheck(net, X, y, *, eps: float = 1e-6, tolerance: float = 1e-5) -> GradcheckResult:
    r"""Compare ``net.gradients`` with central finite differences of ``net.loss_value``.

    The relative error of each entry is
    :math:`|g - \hat g| / \max(|g| + |\hat g|, 10^{-8})`, with
    :math:`\hat g = (L(\theta + \epsilon) - L(\theta - \epsilon)) / 2\epsilon`.
    The parameters are left unchanged.
    """
    analytic = net.gradients(X, y)
    errors: dict[str, float] = {}
    worst, worst_at = 0.0, ""
    for name, param in zip(net.params, net.params.arrays(), strict=True):
        err = 0.0
        for idx in np.ndindex(param.shape):
            old = param[idx]
            param[idx] = old + eps
            up = net.loss_value(X, y)
            param[idx] = old - eps
            down = net.loss_value(X, y)
            param[idx] = old
            numeric = (up - down) / (2 * eps)
            g = analytic[name][idx]
            rel = float(abs(g - numeric) / max(abs(g) + abs(numeric), 1e-8))
            if rel > err:
                err = rel
            if rel > worst:
                worst, worst_at = rel, f"{name}[{', '.join(map(str, idx))}]"
        errors[name] = err
    return GradcheckResult(worst, worst_at or next(iter(net.params)), errors, tolerance)


def gradient_norms(net, X, y) -> dict[str, float]:
    """The Frobenius norm of dL/dW for every layer's weights, at the current parameters.

    This is the vanishing-gradient picture in numbers: for a deep sigmoid
    network the norms shrink layer by layer towards the input.

    >>> import numpy as np, symnn as sn
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(64, 8)), rng.normal(size=(64, 1))
    >>> deep = sn.Network([8] + [8] * 9 + [1], activation="sigmoid", loss="mse", seed=0)
    >>> norms = sn.gradient_norms(deep, X, y)
    >>> bool(norms["W1"] < norms["W10"])
    True
    """
    grads = net.gradients(X, y)
    return {k: float(np.linalg.norm(v)) for k, v in grads.items() if k.startswith("W")}


def gradient_flow(
    activations: Sequence[Any] = ("sigmoid", "tanh", "relu"),
    depth: int = 10,
    width: int = 16,
    n_samples: int = 256,
    seed: int = 0,
) -> dict[str, list[float]]:
    r"""The norm of :math:`\partial L / \partial W_l` per layer at initialisation, per activation.

    The vanishing-gradient story of the seed's ReLU article in numbers.  For
    each activation a deep narrow network ``[width] * depth + [1]`` (``depth``
    weight layers, every hidden layer ``width`` wide, one linear output, MSE
    loss, zero biases) is initialised with He-normal weights for the ReLU
    family (relu, leaky_relu, prelu, relu6, elu, selu, celu) and Xavier-uniform
    otherwise -- the :class:`~symnn.Network` defaults, which keep the forward
    signal's variance steady for the respective activation.  All networks see
    the same data, :math:`X \sim \mathcal{N}(0, I)` of shape
    ``(n_samples, width)`` with targets :math:`y \sim \mathcal{N}(0, 1)`, and
    the same seed.  Backpropagation multiplies by :math:`f'(z) \le 1/4` at
    every sigmoid layer, so its norms shrink by orders of magnitude towards the
    input; ReLU's derivative is 0 or 1 and with He initialisation the norms stay
    within about an order of magnitude.

    Examples
    --------
    >>> flow = gradient_flow(depth=6)
    >>> list(flow), len(flow["relu"])
    (['sigmoid', 'tanh', 'relu'], 6)
    >>> bool(flow["sigmoid"][0] < 1e-2 * flow["sigmoid"][-1])
    True

    Parameters
    ----------
    activations : sequence of str or Activation
        The hidden activations to compare (the keys of the result are their names).
    depth : int
        Number of weight layers (at least 2).
    width : int
        Inputs and units per hidden layer.
    n_samples : int
        Rows of the random data.
    seed : int
        Seeds the data and the initial weights.

    Returns
    -------
    dict
        ``{activation name: [|dL/dW_1|_F, ..., |dL/dW_depth|_F]}``, layer 1 nearest the input.
    """
    depth = check_count("depth", depth, 2)
    width = check_count("width", width, 1)
    n_samples = check_count("n_samples", n_samples, 1)
    if isinstance(activations, (str, Activation)):
        activations = [activations]
    acts = [as_activation(a) for a in activations]
    if not acts:
        raise ValueError("activations is empty; name at least one, e.g. ('sigmoid', 'relu')")
    names = [a.name for a in acts]
    if len(set(names)) != len(names):
        raise ValueError(f"activations has repeated names {names}; give each activation once")
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, width))
    y = rng.normal(size=(n_samples, 1))
    flow: dict[str, list[float]] = {}
    for act in acts:
        net = Network([width] * depth + [1], activation=act, output_activation="identity",
                      loss="mse", init=act.init, seed=seed)  # fmt: skip
        norms = gradient_norms(net, X, y)
        flow[act.name] = [norms[f"W{i}"] for i in range(1, depth + 1)]
    return flow


def sparsity(net, X) -> list[float]:
    r"""The share of exact zeros in each hidden layer's activations on the samples X.

    :math:`s_l = \frac{1}{n\,m_l} \#\{(i, j) : (A_l)_{ij} = 0\}` for the
    hidden outputs :math:`A_l` of :meth:`~symnn.Network.hidden_activations`.
    ReLU sets every negative input to exactly 0 (about half of them at
    initialisation: a sparse representation); sigmoid and tanh give exact zeros
    only by accident.

    Examples
    --------
    >>> import numpy as np, symnn as sn
    >>> X = np.random.default_rng(0).normal(size=(100, 4))
    >>> relu = sn.Network([4, 32, 32, 1], activation="relu", seed=0)
    >>> [bool(0.3 < s < 0.7) for s in sparsity(relu, X)]
    [True, True]
    >>> sparsity(sn.Network([4, 32, 1], activation="sigmoid", seed=0), X)
    [0.0]
    """
    return [float(np.mean(A == 0.0)) for A in net.hidden_activations(X)]


def decision_threshold(net, y=None) -> float:
    r"""The output value that separates the two classes of a network with one output.

    * a loss on logits or margins (``net.loss.prediction`` is ``"logit"`` or
      ``"margin"``: ``binary_cross_entropy_with_logits``, ``hinge``, ...): 0 -- the
      logit of probability 1/2, or the sign of the margin;
    * otherwise the midpoint of the two class target values in ``y``: 0.5 for
      the 0/1 labels of :mod:`symnn.data` (a sigmoid output's probability 1/2,
      or a linear or tanh output trained on 0/1 targets), 0 for -1/+1 labels;
    * without ``y``, or when ``y`` holds one class only, 0.5 (symnn's labels are 0/1).

    This is where :func:`symnn.plot_decision_boundary` draws the boundary
    :math:`\hat y(x_1, x_2) = t`.

    Examples
    --------
    >>> import symnn as sn
    >>> net = sn.Network([2, 4, 1], activation="tanh", output_activation="sigmoid", loss="bce")
    >>> decision_threshold(net)
    0.5
    >>> decision_threshold(sn.Network([2, 4, 1], loss="bce_with_logits",
    ...                               output_activation="identity"))
    0.0
    >>> decision_threshold(sn.Network([2, 4, 1], activation="tanh"), y=[-1, 1, 1, -1])
    0.0
    """
    return net.decision_threshold(y)
