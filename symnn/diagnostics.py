"""Checks and measurements on networks: gradient checking and gradient norms per layer.

>>> import symnn as sn
>>> X, y = sn.data.xor()
>>> net = sn.Network([2, 3, 1], activation="tanh", output_activation="sigmoid", loss="bce", seed=0)
>>> report = sn.gradcheck(net, X, y)
>>> report.passed, report.max_rel_error < 1e-6
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["GradcheckResult", "gradcheck", "gradient_norms"]


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
    for name, param in net.params.items():
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
