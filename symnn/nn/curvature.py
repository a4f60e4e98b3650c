r"""Curvature of a network's loss: Hessian-vector products, the Hessian, its top eigenvalues.

Gradient descent :math:`\theta \leftarrow \theta - \eta \nabla L` on the quadratic model
:math:`L(\theta) \approx L_0 + g^\top \Delta + \tfrac12 \Delta^\top H \Delta` multiplies the
error along each eigenvector of :math:`H` by :math:`1 - \eta\lambda` every step; it shrinks
while :math:`|1 - \eta\lambda| < 1`, so the largest stable learning rate is
:math:`\eta < 2/\lambda_{\max}`. :func:`curvature` finds :math:`\lambda_{\max}` by Lanczos
iteration (``scipy.sparse.linalg.eigsh``) on the Hessian-vector product, which the
network computes exactly by its generated second backward pass
(:mod:`symnn.nn.secondorder`), never forming :math:`H`.

The Hessian is that of the data loss ``net.loss_value(X, y)`` (regularisers given with
``loss + regularizer`` are not included), with respect to every parameter flattened in
``net.params`` order (``W1`` row by row, then ``b1``, ``W2``, ...).

>>> import numpy as np, symnn as sn
>>> X, y = sn.data.seed_data()
>>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
>>> H = hessian(net, X, y)
>>> H.shape, bool(np.allclose(H, H.T, rtol=0, atol=1e-14))
((16, 16), True)
>>> c = curvature(net, X, y, k=1)
>>> bool(np.isclose(c.lambda_max, np.linalg.eigvalsh(H)[-1]))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnn._validation import check_count
from symnn.nn.secondorder import build_hvp

__all__ = ["MAX_HESSIAN_PARAMS", "Curvature", "curvature", "flat_params", "hessian", "hvp"]

#: The most parameters :func:`hessian` forms the full matrix for (32 MiB at this size;
#: each column is one Hessian-vector product). Beyond it use :func:`hvp` or :func:`curvature`.
MAX_HESSIAN_PARAMS = 2048


def _code(net) -> dict:
    cached = net.__dict__.get("_hvp_code")
    if cached is None or cached[0] is not net.spec:
        cached = (net.spec, *build_hvp(net.spec))
        net.__dict__["_hvp_code"] = cached
    return cached[2]


def hvp_source(net) -> str:
    """The generated NumPy source of the network's Hessian-vector product."""
    _code(net)
    return net.__dict__["_hvp_code"][1]


def _workspace(net, n: int):
    cache = net.__dict__.setdefault("_hvp_workspaces", {})
    key = (id(net.spec), n)
    if key not in cache:
        scale = 1.0 / net.loss.divisor((n, net.layers[-1]))
        cache[key] = _code(net)["make_hvp"](n, scale)
    return cache[key]


def flat_params(net) -> np.ndarray:
    """Every parameter in one vector, in ``net.params`` order (each array row by row)."""
    return np.concatenate([np.ravel(p) for p in net.params.values()])


def _split(net, v) -> list[np.ndarray]:
    """A direction as one array per parameter: from a flat vector or a dict like ``net.params``."""
    shapes = [p.shape for p in net.params.values()]
    if isinstance(v, dict):
        missing = set(net.params) - set(v)
        extra = set(v) - set(net.params)
        if missing or extra:
            raise ValueError(
                f"v must have exactly the keys {', '.join(net.params)}"
                + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                + (f"; unknown {', '.join(sorted(extra))}" if extra else "")
            )
        parts = []
        for k, shape in zip(net.params, shapes, strict=True):
            arr = np.asarray(v[k], dtype=np.float64)
            if arr.shape != shape:
                raise ValueError(f"v[{k!r}] has shape {arr.shape}; the parameter has {shape}")
            parts.append(np.ascontiguousarray(arr))
    else:
        flat = np.asarray(v, dtype=np.float64)
        if flat.shape != (net.n_params,):
            raise ValueError(
                f"v has shape {flat.shape}; pass a vector of the network's {net.n_params} "
                "parameters (in net.params order) or a dict with the keys of net.params"
            )
        parts, start = [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            parts.append(flat[start : start + size].reshape(shape))
            start += size
    for k, part in zip(net.params, parts, strict=True):
        if not np.all(np.isfinite(part)):
            raise ValueError(f"v contains NaN or inf (in the part for {k})")
    return parts


def hvp(net, X, y, v) -> np.ndarray | dict[str, np.ndarray]:
    r"""The Hessian-vector product :math:`H v` of the loss on (X, y), for a network of any size.

    Exact (no finite differences): the generated second backward pass of
    :mod:`symnn.nn.secondorder`, about the cost of two gradients. *v* is a vector of
    ``net.n_params`` numbers in ``net.params`` order (the result is then one too) or a
    dict of arrays shaped like ``net.params`` (the result is then such a dict).

    >>> import numpy as np, symnn as sn
    >>> X, y = sn.data.xor()
    >>> net = sn.Network([2, 3, 1], activation="tanh", loss="bce", seed=0)
    >>> v = np.ones(net.n_params)
    >>> bool(np.allclose(hvp(net, X, y, v), hessian(net, X, y) @ v, rtol=1e-12, atol=1e-14))
    True
    """
    X, Y = net.check_data(X, y)
    parts = _split(net, v)
    fn, out = _workspace(net, X.shape[0])
    fn(X, Y, *net.params.values(), *parts)
    if isinstance(v, dict):
        return {k: o.copy() for k, o in zip(net.params, out, strict=True)}
    return np.concatenate([o.ravel() for o in out])


def hessian(net, X, y, *, max_params: int = MAX_HESSIAN_PARAMS) -> np.ndarray:
    r"""The Hessian :math:`\partial^2 L / \partial\theta_i \partial\theta_j` of the loss on (X, y).

    :math:`\theta` is every parameter flattened in ``net.params`` order; column *j* is
    the Hessian-vector product with the unit vector :math:`e_j`. For networks of at
    most *max_params* parameters (default :data:`MAX_HESSIAN_PARAMS`); larger ones get
    an error that points to :func:`hvp` and :func:`curvature`.

    >>> import symnn as sn
    >>> net = sn.Network([2, 2, 1], bias=False, seed=0)
    >>> hessian(net, [[0.0, 1.0], [1.0, 0.0]], [0, 1]).shape
    (6, 6)
    """
    max_params = check_count("max_params", max_params, 1)
    count = net.n_params
    if count > max_params:
        raise ValueError(
            f"the network has {count:,} parameters; net.hessian forms the full {count:,} x {count:,} matrix "
            f"only up to {max_params:,} (pass max_params=... to raise the limit, or use "
            "net.hvp(X, y, v) for Hessian-vector products and net.curvature(X, y) for its top "
            "eigenvalues, which work at any size)"
        )
    X, Y = net.check_data(X, y)
    fn, out = _workspace(net, X.shape[0])
    params = list(net.params.values())
    H = np.empty((count, count))
    e = np.zeros(count)
    parts = _split(net, e)  # views into e
    for j in range(count):
        e[j] = 1.0
        fn(X, Y, *params, *parts)
        e[j] = 0.0
        start = 0
        for o in out:
            H[start : start + o.size, j] = o.ravel()
            start += o.size
    return H


@dataclass(frozen=True)
class Curvature:
    r"""The top eigenvalues of the Hessian at the current parameters and what they imply.

    ``eigenvalues`` are the *k* largest (algebraic, descending); ``lambda_max`` the first;
    ``max_stable_lr`` is :math:`2/\lambda_{\max}` (inf when :math:`\lambda_{\max} \le 0`:
    no direction curves up, and the quadratic model sets no limit).
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray  # (n_params, k), unit columns
    loss: float
    n_params: int

    @property
    def lambda_max(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def max_stable_lr(self) -> float:
        return 2.0 / self.lambda_max if self.lambda_max > 0 else float("inf")

    def __str__(self) -> str:
        eig = ", ".join(f"{v:.6g}" for v in self.eigenvalues)
        return (
            f"top Hessian eigenvalues: {eig}\n"
            f"largest stable learning rate (2/lambda_max): {self.max_stable_lr:.6g}"
        )

    def __repr__(self) -> str:
        return (
            f"Curvature(lambda_max={self.lambda_max:.6g}, max_stable_lr={self.max_stable_lr:.6g}, "
            f"k={len(self.eigenvalues)})"
        )


def curvature(net, X, y, *, k: int = 3, tol: float = 1e-10, seed: int = 0) -> Curvature:
    r"""The *k* largest Hessian eigenvalues by Lanczos on the exact Hessian-vector product.

    ``scipy.sparse.linalg.eigsh(LinearOperator(Hv), which="LA")``; for networks with at most
    ``k + 1`` parameters (too few for Lanczos) the dense Hessian's ``eigh``. The
    start vector comes from *seed*, so the result is reproducible.

    >>> import symnn as sn
    >>> X, y = sn.data.seed_data()
    >>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    >>> c = curvature(net, X, y)
    >>> c.max_stable_lr > 1.0   # the seed's lr = 1 is stable at initialisation
    True
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    k = check_count("k", k, 1)
    count = net.n_params
    if k >= count:
        raise ValueError(f"k={k} eigenvalues asked of a network with {count} parameters; use k < {count}")
    X, Y = net.check_data(X, y)
    loss = net.loss_value(X, Y)
    if count <= max(k + 1, 20):  # too few parameters for Lanczos to pay
        w, V = np.linalg.eigh(hessian(net, X, Y, max_params=count))
        order = np.argsort(w)[::-1][:k]
        return Curvature(w[order], V[:, order], loss, count)
    fn, out = _workspace(net, X.shape[0])
    params = list(net.params.values())

    def matvec(v):
        fn(X, Y, *params, *_split(net, np.ravel(v)))
        return np.concatenate([o.ravel() for o in out])

    op = LinearOperator((count, count), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(count)
    w, V = eigsh(op, k=k, which="LA", tol=tol, v0=v0)
    order = np.argsort(w)[::-1]
    return Curvature(w[order], V[:, order], loss, count)
