"""Activation functions: ReLU and its derivative on [-10, 10], the gallery, the property table.

Run: python examples/02_activations.py  (writes relu.png and activations.png)
"""

import matplotlib

matplotlib.use("Agg")

import symnn as sn

relu = sn.activation("relu")
print(relu.latex(0))
print(relu.latex(1))
print("ReLU'(0) =", float(relu.grad(0.0)), "(taken as 0 at the kink, as PyTorch does)")

gelu = sn.activation("gelu")
print("GELU'(x) =", gelu.derivative)

ax = sn.plot_activation("relu", xlim=(-10, 10))
ax.figure.savefig("relu.png", dpi=120, bbox_inches="tight")
fig = sn.plot_activations()
fig.savefig("activations.png", dpi=90, bbox_inches="tight")
print(sn.activation_table())
print("wrote relu.png and activations.png")
