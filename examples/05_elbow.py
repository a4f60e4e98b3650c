"""The elbow method: k-means SSE against k on four blobs, with the knee found by Kneedle.

Run: python examples/05_elbow.py  (writes elbow.png)
"""

import matplotlib

matplotlib.use("Agg")

import symnn as sn

X, _ = sn.data.blobs(n_samples=400, centers=4, seed=0)
result = sn.elbow(X, k=range(1, 11), seed=0)
for k, sse in zip(result.k, result.sse, strict=True):
    print(f"k={k:2d}  SSE={sse:10.2f}")
print("knee at k =", result.knee)
ax = sn.plot_elbow(result)
ax.figure.savefig("elbow.png", dpi=120, bbox_inches="tight")
print("wrote elbow.png")
