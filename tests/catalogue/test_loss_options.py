"""PyTorch's loss options that symnn now has: reduction="none", label smoothing, class weights,
pos_weight; each against a NumPy transcription of PyTorch's definition (and PyTorch itself
when it is installed)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import log_softmax, softmax

import symnn as sn

rng = np.random.default_rng(0)
Z = rng.normal(size=(5, 3)) * 3
LABELS = np.array([0, 2, 1, 1, 0])
ONE_HOT = np.eye(3)[LABELS]


def test_reduction_none_gives_the_elementwise_losses_and_derivatives():
    yhat, y = np.array([0.5, 2.0, -1.0]), np.array([0.0, 1.0, 1.0])
    none = sn.loss("mse", reduction="none")
    np.testing.assert_allclose(none.value(yhat, y), (yhat - y) ** 2, rtol=1e-15)
    np.testing.assert_allclose(none.grad(yhat, y), 2 * (yhat - y), rtol=1e-15)
    rows = sn.loss("cross_entropy", reduction="none").value(Z, LABELS)
    np.testing.assert_allclose(rows, -log_softmax(Z, axis=1)[np.arange(5), LABELS], rtol=1e-13)
    with pytest.raises(ValueError, match="a network trains on one number"):
        sn.Network([2, 3, 1], loss=sn.loss("mse", reduction="none"))


def test_label_smoothing_is_pytorchs():
    eps = 0.2
    lo = sn.loss("cross_entropy", label_smoothing=eps)
    smooth = (1 - eps) * ONE_HOT + eps / 3
    expected = np.mean(-np.sum(smooth * log_softmax(Z, axis=1), axis=1))
    assert lo.value(Z, LABELS) == pytest.approx(expected, rel=1e-13)
    np.testing.assert_allclose(lo.grad(Z, LABELS), (softmax(Z, axis=1) - smooth) / 5, rtol=1e-12)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\)"):
        sn.loss("cross_entropy", label_smoothing=1.0)


def test_class_weights_divide_the_mean_by_the_total_weight():
    w = np.array([1.0, 2.0, 0.5])
    lo = sn.loss("cross_entropy", weight=w)
    per = -w[LABELS] * log_softmax(Z, axis=1)[np.arange(5), LABELS]
    assert lo.value(Z, LABELS) == pytest.approx(per.sum() / w[LABELS].sum(), rel=1e-13)
    h = 1e-6
    for i, j in [(0, 0), (1, 2), (3, 1)]:
        up, down = Z.copy(), Z.copy()
        up[i, j] += h
        down[i, j] -= h
        fd = (lo.value(up, LABELS) - lo.value(down, LABELS)) / (2 * h)
        assert lo.grad(Z, LABELS)[i, j] == pytest.approx(fd, rel=1e-6, abs=1e-9)
    with pytest.raises(ValueError, match="class weights in a Network"):
        sn.Network([2, 4, 3], loss=lo)
    with pytest.raises(ValueError, match="3 class weights but yhat has 2 classes"):
        lo.value(np.zeros((1, 2)), [0])


def test_pos_weight_weighs_the_positive_term():
    z, y = np.array([0.5, -2.0, 3.0]), np.array([1.0, 0.0, 1.0])
    lo = sn.loss("bce_with_logits", pos_weight=3.0)
    log_p, log_q = -np.logaddexp(0, -z), -np.logaddexp(0, z)
    assert lo.value(z, y) == pytest.approx(np.mean(-(3 * y * log_p + (1 - y) * log_q)), rel=1e-14)
    p = 1 / (1 + np.exp(-z))
    np.testing.assert_allclose(lo.grad(z, y), ((1 - y) * p - 3 * y * (1 - p)) / 3, rtol=1e-13)


def test_label_smoothing_in_a_network_matches_the_loss():
    X = rng.normal(size=(5, 2))
    net = sn.Network([2, 4, 3], loss=sn.loss("cross_entropy", label_smoothing=0.1), seed=0)
    logits = net.hidden_activations(X)[-1] @ net.params["W2"] + net.params["b2"]
    assert net.loss_value(X, LABELS) == pytest.approx(net.loss.value(logits, LABELS), rel=1e-13)
    assert sn.gradcheck(net, X, LABELS).passed


def test_regularize_biases_is_pytorchs_weight_decay():
    X, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    net = sn.Network([2, 3, 1], activation="tanh", loss="mse", seed=0)
    ref = sn.Network([2, 3, 1], activation="tanh", loss="mse", seed=0)
    net.fit(X, y, epochs=1, lr=0.1, l2=0.05, regularize_biases=True)
    g = ref.gradients(X, y)
    for k in net.params:  # one SGD step with weight decay on every parameter
        expected = ref.params[k] - 0.1 * (g[k] + 0.05 * ref.params[k])
        np.testing.assert_allclose(net.params[k], expected, rtol=1e-13, atol=1e-15)


def test_options_agree_with_pytorch_when_installed():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z = torch.tensor(Z, requires_grad=True)
    target = torch.tensor(LABELS)
    w = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    for kw in ({"label_smoothing": 0.2}, {"weight": w}):
        ours = sn.loss(
            "cross_entropy", **{k: (v.numpy() if k == "weight" else v) for k, v in kw.items()}
        )
        theirs = F.cross_entropy(z, target, **kw)
        (grad,) = torch.autograd.grad(theirs, z)
        assert ours.value(Z, LABELS) == pytest.approx(theirs.item(), rel=1e-12)
        np.testing.assert_allclose(ours.grad(Z, LABELS), grad.numpy(), rtol=1e-10, atol=1e-15)
    zb = torch.tensor([0.5, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    yb = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    theirs = F.binary_cross_entropy_with_logits(
        zb, yb, pos_weight=torch.tensor(3.0, dtype=torch.float64)
    )
    ours = sn.loss("bce_with_logits", pos_weight=3.0)
    assert ours.value(zb.detach().numpy(), yb.numpy()) == pytest.approx(theirs.item(), rel=1e-13)


def test_softmax_cross_entropy_on_logits_far_apart():
    """Hostile input: logits 2e308 apart gave NaN (PyTorch: 0) and overflow warnings."""
    import warnings

    lo = sn.loss("cross_entropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lo.value([[1e308, -1e308]], [0]) == 0.0
        np.testing.assert_array_equal(lo.grad([[1e308, -1e308]], [0]), [[0.0, 0.0]])
        assert lo.value([[1e308, -1e308]], [1]) == np.inf  # the true 2e308 is past float64
