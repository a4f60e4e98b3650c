"""The seed's 2-layer network from scratch: 3-4-1, sigmoid, SSE, 1500 iterations of gradient descent.

Run: python examples/03_seed_network.py  [FOLDER]  (writes loss_curve.png into FOLDER, or into a new temporary folder)
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

X, y = sn.data.seed_data()  # [[0,0,1],[0,1,1],[1,0,1],[1,1,1]] -> [0,1,1,0]
net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False, init="uniform", seed=0)
print(net.formula())
print(net.backprop())  # the chain rule, with sigma' = a(1 - a) and the SSE's 2(yhat - y)

history = net.fit(X, y, epochs=1500, lr=1.0)
print(history)
print("predictions:", net.predict(X).ravel().round(3), "targets:", y.ravel())

ax = sn.plot_history(history)
ax.figure.savefig(OUT / "loss_curve.png", dpi=120, bbox_inches="tight")
print(net.source().splitlines()[0], "... (the generated training code)")
print("wrote " + " and ".join(str(OUT / n) for n in ['loss_curve.png']))
