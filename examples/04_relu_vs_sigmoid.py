"""Why ReLU: vanishing gradients of deep sigmoid networks, and ReLU's sparse activations.

Run: python examples/04_relu_vs_sigmoid.py  [FOLDER]  (writes gradient_flow.png into FOLDER, or into a new temporary folder)
"""

import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np

import symnn as sn
from symnn.nn.diagnostics import gradient_flow, sparsity

# pictures go to the folder named on the command line, else to a new temporary folder
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="symnn-example-"))
OUT.mkdir(parents=True, exist_ok=True)

flows = gradient_flow(activations=("sigmoid", "tanh", "relu"), depth=10, seed=0)
for name, norms in flows.items():
    print(f"{name:8s} |dL/dW| first layer {norms[0]:.2e}, last layer {norms[-1]:.2e}")

ax = sn.plot_gradient_flow(activations=("sigmoid", "tanh", "relu"), depth=10, seed=0)
ax.figure.savefig(OUT / "gradient_flow.png", dpi=120, bbox_inches="tight")

X = np.random.default_rng(0).normal(size=(256, 16))
for name in ("relu", "sigmoid"):
    net = sn.Network([16, 32, 32, 1], activation=name, loss="mse", seed=0)
    print(
        f"{name:8s} share of exact zeros per hidden layer:", [round(s, 2) for s in sparsity(net, X)]
    )
print("wrote " + " and ".join(str(OUT / n) for n in ['gradient_flow.png']))
