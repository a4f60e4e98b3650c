"""Activation functions: ReLU and its derivative on [-10, 10], the gallery, the property table.

Run: python examples/02_activations.py  [FOLDER]  (writes relu.png and activations.png into FOLDER, or into a new temporary folder)
"""

import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import symnn as sn

# pictures go to the folder named on the command line, else to a new temporary folder
OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="symnn-example-"))
OUT.mkdir(parents=True, exist_ok=True)

relu = sn.activation("relu")
print(relu.latex(0))
print(relu.latex(1))
print("ReLU'(0) =", float(relu.grad(0.0)), "(taken as 0 at the kink, as PyTorch does)")

gelu = sn.activation("gelu")
print("GELU'(x) =", gelu.derivative)

ax = sn.plot_activation("relu", xlim=(-10, 10))
ax.figure.savefig(OUT / "relu.png", dpi=120, bbox_inches="tight")
fig = sn.plot_activations()
sn.save_figure(fig, OUT / "activations.png", dpi=90)
print(sn.activation_table())
print("wrote " + " and ".join(str(OUT / n) for n in ['relu.png', 'activations.png']))
