"""Why ReLU: vanishing gradients of deep sigmoid networks, and ReLU's sparse activations.

Run: python examples/04_relu_vs_sigmoid.py  (writes gradient_flow.png)
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np

import symnn as sn
from symnn.nn.diagnostics import gradient_flow, sparsity

flows = gradient_flow(activations=("sigmoid", "tanh", "relu"), depth=10, seed=0)
for name, norms in flows.items():
    print(f"{name:8s} |dL/dW| first layer {norms[0]:.2e}, last layer {norms[-1]:.2e}")

ax = sn.plot_gradient_flow(activations=("sigmoid", "tanh", "relu"), depth=10, seed=0)
ax.figure.savefig("gradient_flow.png", dpi=120, bbox_inches="tight")

X = np.random.default_rng(0).normal(size=(256, 16))
for name in ("relu", "sigmoid"):
    net = sn.Network([16, 32, 32, 1], activation=name, loss="mse", seed=0)
    print(
        f"{name:8s} share of exact zeros per hidden layer:", [round(s, 2) for s in sparsity(net, X)]
    )
print("wrote gradient_flow.png")
