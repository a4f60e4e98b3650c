"""Networks for every loss: an output activation and targets each loss accepts, read from what
the loss declares (its prediction kind and its domain), never from its name."""

from __future__ import annotations

import numpy as np


def output_activation_for(loss):
    """An output activation whose values the loss accepts, from what the loss declares."""
    if loss.fused_softmax:
        return "softmax"
    return {"probability": "sigmoid", "log_probability": "log_sigmoid"}.get(
        loss.prediction, "identity"
    )


def targets_for(loss, n, k, rng):
    """Targets inside the loss's declared domain (class rows, labels or an interval)."""
    dom = loss.domain
    if loss.rowwise or loss.fused_softmax:
        return np.eye(k)[rng.integers(0, k, n)]
    if dom.values is not None:
        return rng.choice(np.array(dom.values), size=(n, k))
    low, high = max(dom.low, -3.0), min(dom.high, 3.0)
    return rng.uniform(low, high, (n, k))
