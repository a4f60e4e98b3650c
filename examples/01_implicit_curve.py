"""The seed's first example: plot the implicit curve x² + y² + xy = 1 and classify it.

Run: python examples/01_implicit_curve.py  [FOLDER]  (writes implicit_curve.png into FOLDER, or into a new temporary folder)
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

equation = "x^2 + y^2 + xy = 1"  # typed as on paper: ^ for powers, = for the equation
conic = sn.classify_conic(equation)
print(conic)  # an ellipse centred at 0, semi-axes sqrt(2) and sqrt(2/3), major axis along y = -x

ax = sn.plot_implicit(equation, classify=True)
ax.figure.savefig(OUT / "implicit_curve.png", dpi=120, bbox_inches="tight")
print("wrote " + " and ".join(str(OUT / n) for n in ['implicit_curve.png']))
