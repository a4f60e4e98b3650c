"""The seed's first example: plot the implicit curve x² + y² + xy = 1 and classify it.

Run: python examples/01_implicit_curve.py  (writes implicit_curve.png)
"""

import matplotlib

matplotlib.use("Agg")

import symnn as sn

equation = "x^2 + y^2 + xy = 1"  # typed as on paper: ^ for powers, = for the equation
conic = sn.classify_conic(equation)
print(conic)  # an ellipse centred at 0, semi-axes sqrt(2) and sqrt(2/3), major axis along y = -x

ax = sn.plot_implicit(equation, classify=True)
ax.figure.savefig("implicit_curve.png", dpi=120, bbox_inches="tight")
print("wrote implicit_curve.png")
