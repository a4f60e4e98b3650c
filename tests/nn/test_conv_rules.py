"""The compact convolution backprop rules equal sympy.diff of the expanded form, symbolically."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import symnn as sn
from symnn.nn.conv import conv2d, grad_bias, grad_input, grad_kernel, symbols_array

# (C_in, C_out, H, W, kernel, stride, padding, dilation): strides 1 and 2, paddings 0 and 1,
# dilations 1 and 2, 1 to 3 channels in and out, square and not, sizes a stride leaves over
CASES = [
    (1, 1, 3, 3, 2, 1, 0, 1),
    (2, 3, 4, 4, 2, 1, 1, 1),
    (3, 2, 5, 4, 3, 2, 0, 1),
    (1, 2, 5, 5, 2, 2, 1, 2),
    (2, 1, 5, 6, 2, 1, 0, 2),
    (3, 3, 4, 3, (2, 1), (2, 1), (1, 0), (1, 2)),
    (1, 3, 6, 5, 3, 2, 1, 1),
]


def _zero(expr) -> bool:
    return sp.expand(expr) == 0


@pytest.mark.parametrize("case", CASES)
def test_compact_rules_equal_sympy_diff_of_the_expanded_form(case):
    c_in, c_out, H, W, k, s, p, d = case
    kh, kw = (k, k) if isinstance(k, int) else k
    X = symbols_array("x", (c_in, H, W))
    K = symbols_array("k", (c_out, c_in, kh, kw))
    b = symbols_array("b", (c_out,))
    Z = conv2d(X, K, b, s, p, d)
    # delta = dL/dZ for any loss: L = sum(delta * Z) has exactly that derivative
    D = symbols_array("delta", Z.shape)
    L = sp.Add(*(D * Z).ravel())
    dK = grad_kernel(X, D, (kh, kw), s, p, d)
    db = grad_bias(D)
    dX = grad_input(D, K, (H, W), s, p, d)
    for idx in np.ndindex(K.shape):
        assert _zero(sp.diff(L, K[idx]) - dK[idx]), ("K", idx)
    for o in range(c_out):
        assert _zero(sp.diff(L, b[o]) - db[o])
    for idx in np.ndindex(X.shape):
        assert _zero(sp.diff(L, X[idx]) - dX[idx]), ("X", idx)


def test_the_rules_with_a_real_loss_through_the_chain_rule():
    # L = sum (Z - Y)^2 / 2: delta = Z - Y, and the rules still match sympy.diff
    X = symbols_array("x", (2, 4, 4))
    K = symbols_array("k", (2, 2, 2, 2))
    b = symbols_array("b", (2,))
    Y = symbols_array("y", (2, 2, 2))
    Z = conv2d(X, K, b, 2, 1, 2)
    L = sp.Add(*((Z - Y) ** 2).ravel()) / 2
    D = Z - Y
    dK = grad_kernel(X, D, 2, 2, 1, 2)
    dX = grad_input(D, K, (4, 4), 2, 1, 2)
    for idx in np.ndindex(K.shape):
        assert _zero(sp.diff(L, K[idx]) - dK[idx])
    for idx in np.ndindex(X.shape):
        assert _zero(sp.diff(L, X[idx]) - dX[idx])


def test_expanded_network_agrees_with_the_compiled_gradients():
    net = sn.Network(
        "conv(2,2,padding=1),tanh,avgpool(2),flatten,dense(2)", input_shape=(1, 3, 3), seed=0
    )
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(1, 1, 3, 3)), np.array([1])
    ex = net.expanded()
    subs = ex.values(net, X, y)
    assert float(ex.loss.xreplace(subs)) == pytest.approx(net.loss_value(X, y), rel=1e-12)
    grads = net.gradients(X, y)
    for name in net.params:
        symbolic = ex.gradient(name)
        values = np.array([float(e.xreplace(subs)) for e in symbolic.ravel()]).reshape(
            symbolic.shape
        )
        np.testing.assert_allclose(values, grads[name], rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="expanded form writes out at most"):
        sn.Network("conv(8,3),relu,flatten,dense(10)", input_shape=(1, 8, 8)).expanded()


def test_backprop_names_the_rules():
    net = sn.Network(
        "conv(2,3,stride=2,padding=1),relu,maxpool(2),flatten,dense(3)", input_shape=(1, 8, 8)
    )
    text = str(net.backprop())
    assert "valid cross-correlation" in text and "rotated by 180°" not in text  # first layer: no dX
    assert "arg-max" in text and "first on ties" in text
    deep = sn.Network("conv(2,3),relu,conv(2,3),flatten,dense(3)", input_shape=(1, 8, 8))
    assert "rotated by 180°" in str(deep.backprop())
    assert r"\operatorname{rot180}" in deep.backprop().latex()
    assert "A1[o,i,j] = b1[o]" in str(deep.formula())
