"""The elbow method: k-means SSE against k on four blobs, with the knee found by Kneedle.

Run: python examples/05_elbow.py  [FOLDER]  (writes elbow.png into FOLDER, or into a new temporary folder)
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

X, _ = sn.data.blobs(n_samples=400, centers=4, seed=0)
result = sn.elbow(X, k=range(1, 11), seed=0)
for k, sse in zip(result.k, result.sse, strict=True):
    print(f"k={k:2d}  SSE={sse:10.2f}")
print("knee at k =", result.knee)
ax = sn.plot_elbow(result)
ax.figure.savefig(OUT / "elbow.png", dpi=120, bbox_inches="tight")
print("wrote " + " and ".join(str(OUT / n) for n in ['elbow.png']))
