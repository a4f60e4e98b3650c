r"""The loss around the current weights: along the gradient, and on a 2-D slice.

:func:`line_search` follows the negative gradient, :math:`L(\theta - t g)`, next to the
quadratic model :math:`L_0 - t\lVert g\rVert^2 + \tfrac{t^2}{2} g^\top H g` (exact
:math:`Hg` from :func:`symnn.nn.curvature.hvp`). A gradient step with learning rate
:math:`\eta` lands at :math:`t = \eta`; the model's minimum is at
:math:`t^* = \lVert g\rVert^2 / g^\top H g`, and a step past :math:`2t^*` raises the loss
of the model: the overshoot that makes a large rate oscillate or diverge.

:func:`loss_surface` trains a copy of the weights, records the trajectory, and evaluates
the loss on the plane through the final weights spanned by two random directions,
each normalised filter by filter (every unit's incoming weights scaled to the norm of
that unit's weights; biases not moved) as Li et al. (2018) do, so that the picture is
not distorted by the scale of each layer. The trajectory is projected onto the plane.

References: H. Li, Z. Xu, G. Taylor, C. Studer, T. Goldstein, "Visualizing the loss
landscape of neural nets", NeurIPS 2018.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symnn._validation import check_count, check_interval
from symnn.nn.curvature import flat_params, hvp

__all__ = ["LineSearch", "Surface", "filter_normalized_direction", "line_search", "loss_surface"]


def _assign(net, theta: np.ndarray) -> None:
    """Write the flat vector *theta* into the network's own arrays (no copies kept)."""
    start = 0
    for p in net.params.arrays():
        p[...] = theta[start : start + p.size].reshape(p.shape)
        start += p.size


def _loss_at(net, X, Y, theta) -> float:
    _assign(net, theta)
    gradient, _ = net.workspace(X.shape[0])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        return float(gradient(X, Y, *net.params.arrays()))


@dataclass
class LineSearch:
    r"""The loss along the negative gradient and its quadratic model (see the module docstring).

    ``t`` step lengths; ``loss`` :math:`L(\theta - t g)`; ``quadratic`` the model;
    ``lr`` the chosen rate and ``loss_at_lr`` the loss after that one step; ``t_star``
    the model's minimiser (inf when :math:`g^\top H g \le 0`); ``curvature_along_g``
    :math:`g^\top H g / \lVert g \rVert^2`.
    """

    t: np.ndarray
    loss: np.ndarray
    quadratic: np.ndarray
    lr: float
    loss_at_lr: float
    t_star: float
    curvature_along_g: float
    loss0: float

    @property
    def overshoots(self) -> bool:
        """Whether the step of ``lr`` goes past the quadratic model's minimum along g."""
        return self.lr > self.t_star


def line_search(net, X, y, lr: float = 1.0, *, span: float | None = None,
                points: int = 201) -> LineSearch:  # fmt: skip
    r"""The loss along the negative gradient from the current weights (left unchanged).

    *span* is the largest step length drawn (default: enough to show both the step of
    *lr* and twice the model's minimiser :math:`2t^*`).

    >>> import symnn as sn
    >>> X, y = sn.data.seed_data()
    >>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    >>> ls = line_search(net, X, y, lr=1.0)
    >>> bool(ls.loss_at_lr < ls.loss0), ls.overshoots
    (True, False)
    """
    lr = check_interval("lr", lr, 0.0, low_open=True)
    points = check_count("points", points, 3)
    X, Y = net.check_data(X, y)
    theta = flat_params(net)
    g = np.concatenate([v.ravel() for v in net.gradients(X, Y).values()])
    gg = float(g @ g)
    if gg == 0.0:
        raise ValueError("the gradient is exactly 0 at these weights: there is no direction to draw")
    gHg = float(g @ hvp(net, X, Y, g))
    t_star = gg / gHg if gHg > 0 else np.inf
    if span is None:
        span = 1.25 * max(lr, 2 * t_star if np.isfinite(t_star) else 2 * lr)
    span = check_interval("span", span, 0.0, low_open=True)
    t = np.linspace(0.0, span, points)
    try:
        loss = np.array([_loss_at(net, X, Y, theta - ti * g) for ti in t])
        at_lr = _loss_at(net, X, Y, theta - lr * g)
    finally:
        _assign(net, theta)
    loss0 = float(loss[0])
    quad = loss0 - t * gg + 0.5 * t**2 * gHg
    return LineSearch(t, loss, quad, lr, at_lr, t_star, gHg / gg, loss0)


def filter_normalized_direction(net, seed=None) -> np.ndarray:
    r"""A random direction in parameter space, normalised filter by filter (Li et al., 2018).

    Each unit's incoming weights (a column of :math:`W_l`) get a Gaussian direction scaled
    to that column's norm; biases get 0. Flat, in ``net.params`` order.

    >>> import numpy as np, symnn as sn
    >>> net = sn.Network([3, 4, 1], seed=0)
    >>> d = filter_normalized_direction(net, seed=1)
    >>> W1 = np.asarray(net.params["W1"])
    >>> bool(np.allclose(np.linalg.norm(d[:12].reshape(3, 4), axis=0), np.linalg.norm(W1, axis=0)))
    True
    """
    rng = np.random.default_rng(seed)
    parts = []
    for name, p in net.params.items():
        if name.startswith("W"):
            d = rng.standard_normal(p.shape)
            norm = np.linalg.norm(d, axis=0)
            d *= np.linalg.norm(p, axis=0) / np.where(norm > 0, norm, 1.0)
        else:
            d = np.zeros(p.shape)
        parts.append(d.ravel())
    return np.concatenate(parts)


@dataclass
class Surface:
    r"""The loss on a plane through ``center`` (the trained weights): ``loss[i, j]`` at
    :math:`\theta^* + \alpha_j d_1 + \beta_i d_2`.

    ``path`` is the training trajectory's coordinates :math:`(\alpha, \beta)` in the plane
    (least-squares projection), ``path_loss`` its true losses, ``history`` the run.
    """

    alpha: np.ndarray
    beta: np.ndarray
    loss: np.ndarray
    path: np.ndarray
    path_loss: np.ndarray
    directions: tuple[np.ndarray, np.ndarray]
    center: np.ndarray
    lr: float


def loss_surface(
    net,
    X,
    y,
    *,
    lr: float = 1.0,
    epochs: int = 300,
    directions: tuple | None = None,
    seed=0,
    points: int = 31,
    snapshots: int = 30,
    **fit_options,
) -> Surface:
    r"""Train from the current weights with *lr*, then the loss on a plane around the result.

    *directions*: two flat vectors (``net.n_params`` each) spanning the plane, or None
    for two filter-normalised random ones from *seed*. The grid covers the projected
    trajectory with a margin. The network's weights are restored afterwards.

    >>> import symnn as sn
    >>> X, y = sn.data.seed_data()
    >>> net = sn.Network([3, 4, 1], loss="sse", bias=False, seed=1)
    >>> s = loss_surface(net, X, y, lr=1.0, epochs=100, points=9, snapshots=5)
    >>> s.loss.shape, s.path.shape
    ((9, 9), (6, 2))
    """
    lr = check_interval("lr", lr, 0.0, low_open=True)
    epochs = check_count("epochs", epochs, 1)
    points = check_count("points", points, 3)
    snapshots = min(check_count("snapshots", snapshots, 1), epochs)  # at most one per epoch
    X, Y = net.check_data(X, y)
    start = flat_params(net)
    if directions is None:
        rng = np.random.default_rng(seed)
        d1, d2 = (filter_normalized_direction(net, rng) for _ in range(2))
    else:
        try:
            d1, d2 = (np.asarray(d, dtype=np.float64) for d in directions)
        except (TypeError, ValueError):
            raise ValueError(
                "directions must be a pair of vectors of the network's parameters, or None"
            ) from None
        if d1.shape != (net.n_params,) or d2.shape != (net.n_params,):
            raise ValueError(
                f"each direction must be a vector of {net.n_params} numbers (net.params order)"
            )
    fit_options.pop("warn", None)
    path = [start]
    chunks = np.diff(np.linspace(0, epochs, snapshots + 1).round().astype(int))
    try:
        for chunk in chunks:
            net.fit(X, Y, lr=lr, epochs=int(chunk), warn=False, **fit_options)
            path.append(flat_params(net))
        center = path[-1]
        basis = np.stack([d1, d2], axis=1)
        coords, *_ = np.linalg.lstsq(basis, np.array(path).T - center[:, None], rcond=None)
        coords = coords.T
        reach = max(1.0, 1.25 * float(np.abs(coords).max()))
        alpha = np.linspace(-reach, reach, points)
        beta = np.linspace(-reach, reach, points)
        grid = np.array([[_loss_at(net, X, Y, center + a * d1 + b * d2) for a in alpha]
                         for b in beta])  # fmt: skip
        path_loss = np.array([_loss_at(net, X, Y, p) for p in path])
    finally:
        _assign(net, start)
    return Surface(alpha, beta, grid, coords, path_loss, (d1, d2), center, lr)
