r"""A symbolic multilayer perceptron whose backpropagation is derived, shown and compiled.

>>> import numpy as np, symnn as sn
>>> X, y = sn.data.seed_data()
>>> net = sn.Network([3, 4, 1], activation="sigmoid", loss="sse", bias=False, seed=1)
>>> print(net.formula())
Z1 = X W1
A1 = σ(Z1)
Z2 = A1 W2
Ŷ = σ(Z2)
L = Σ (y - ŷ)^2
>>> history = net.fit(X, y, epochs=1500, lr=1.0)
>>> bool(history.loss[-1] < history.loss[0])
True
>>> np.round(net.predict(X).ravel())
array([0., 1., 1., 0.])

Samples are rows: :math:`Z_1 = X W_1 + b_1` with :math:`W_1` of shape
(inputs, hidden). The step that trains the network is generated code
(``net.source()`` shows it), built from the symbolic pieces that
``net.backprop()`` prints.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, MutableMapping, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import log1p

from symnn._random import make_rng
from symnn._validation import as_float_array, exact_number
from symnn.catalogue.activation import a as OUTPUT
from symnn.catalogue.activations import Activation, as_activation
from symnn.catalogue.initializers import Initializer, initializer
from symnn.catalogue.loss import ROW_SUM_TOL
from symnn.catalogue.losses import Loss, as_loss
from symnn.catalogue.losses import loss as get_loss
from symnn.catalogue.regularizers import Objective, Regularizer
from symnn.catalogue.vector import VectorActivation, as_layer_activation
from symnn.compiler import prepare
from symnn.nn.netcode import A_SYMBOL, Z_SYMBOL, LayerMath, NetSpec, build
from symnn.nn.trainable import layer_math, resolve
from symnn.nn.trained import NetworkMethods

__all__ = ["MAX_PARAMS", "Network", "Params"]

#: The most scalar parameters a Network may have (8 bytes each, plus as much again for
#: gradients and optimiser state): refuse up front instead of failing deep in NumPy.
MAX_PARAMS = 50_000_000

_PREDICTIONS = {  # what a loss's prediction kind is, in words
    "value": "values",
    "probability": "probabilities",
    "logit": "logits",
    "margin": "margins",
    "log_probability": "log-probabilities",
}


def _exact(value: float) -> sp.Expr:
    """A float parameter as the exact number its shortest repr states (0.01 -> 1/100)."""
    return exact_number(float(value))


def _layer_math(act: Activation) -> LayerMath:
    subs = {p: _exact(v) for p, v in act.params.items()}
    f = act.expr.xreplace(subs).xreplace({act.symbol: Z_SYMBOL})
    fprime = act.derivative.xreplace(subs).xreplace({act.symbol: Z_SYMBOL})
    out = act.derivative_in_output
    fprime_a = None
    if out is not None:
        fprime_a = out.xreplace(subs).xreplace({OUTPUT: A_SYMBOL})
    return LayerMath(
        name=act.name, f=f, fprime_z=fprime, fprime_a=fprime_a, identity=act.expr == act.symbol
    )


class Params(MutableMapping):
    """The network's parameters ``W1, b1, W2, b2, ...``: readable and assignable NumPy arrays.

    Reading gives a read-only view (``net.params["W1"][0, 0] = np.nan`` is refused, so
    no value gets past the checks); assigning, ``net.params["W1"] = W``, checks the shape
    and finiteness and copies the values into the network's own array (so generated
    code and optimiser state stay valid). Training code updates the arrays in place
    through :meth:`arrays`.
    """

    def __init__(self, arrays: dict[str, np.ndarray], flat: np.ndarray | None = None) -> None:
        self._arrays = arrays
        #: one contiguous array that every parameter is a view of (or None)
        self.flat = flat

    def _array(self, key: str) -> np.ndarray:
        try:
            return self._arrays[key]
        except KeyError:
            raise KeyError(
                f"no parameter {key!r}; the parameters are {', '.join(self._arrays)}"
            ) from None

    def __getitem__(self, key: str) -> np.ndarray:
        view = self._array(key).view()
        view.flags.writeable = False
        return view

    def arrays(self) -> list[np.ndarray]:
        """The network's own, writable arrays in order (for code that updates them in place)."""
        return list(self._arrays.values())

    def __setitem__(self, key: str, value) -> None:
        current = self._array(key)
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != current.shape:
            raise ValueError(
                f"parameter {key} has shape {current.shape}; the value given has shape {arr.shape}"
            )
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"parameter {key}: the value given contains NaN or inf")
        current[...] = arr

    def __delitem__(self, key: str) -> None:
        raise TypeError("a network's parameters cannot be deleted (they define its architecture)")

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}: {v.shape}" for k, v in self._arrays.items())
        return f"Params({shapes})"

    def copy(self) -> dict[str, np.ndarray]:
        """A dict of copies of the arrays."""
        return {k: v.copy() for k, v in self._arrays.items()}


class Network(NetworkMethods):
    r"""A multilayer perceptron :math:`\hat{Y} = f_L(\cdots f_1(X W_1 + b_1) \cdots W_L + b_L)`.

    Parameters
    ----------
    layers : sequence of int
        Layer widths, inputs first: ``[3, 4, 1]`` is 3 inputs, 4 hidden units,
        1 output.
        Layer objects (``Conv2D``, ``MaxPool2D``, ``Flatten``, ``Dense``, ...) or a spec
        string such as ``"conv(8,3),relu,maxpool(2),flatten,dense(10)"``, with
        ``input_shape=(C, H, W)``, make a convolutional network instead
        (:class:`symnn.nn.convnet.LayeredNetwork`).
    activation : str, Activation, or a sequence of them
        The hidden layers' activation (one, or one per hidden layer); any
        catalogue name, a formula such as ``"x*tanh(x)"``, or an
        :class:`~symnn.Activation`. A sequence with one entry per weight layer
        also sets the output's.
    output_activation : str, Activation or None
        The output layer's activation (for a network without hidden layers, ``activation``
        is the output's). By default it is what fits the loss
        (``loss.output``): the sigmoid for SSE (the seed's 0/1 targets) and the
        binary cross-entropy, the identity for regression losses and losses on
        logits or margins, the softmax for the cross-entropies.
        ``"softmax"`` gives a softmax output for multi-class problems; it is
        fused with the cross-entropy loss (the output delta is
        :math:`\operatorname{softmax}(Z) - Y`).
    loss : str, Loss or Objective
        Any :func:`symnn.loss` name, a formula in ``yhat`` and ``y``, a
        :class:`~symnn.Loss`, or ``loss + regularizer`` (the penalties then
        apply in :meth:`fit`). Default ``"sse"``, the seed's sum of squared errors.
    bias : bool
        Whether the layers have biases (the seed's network has none).
    init : str or Initializer, optional
        The weight initialiser (default: the one the hidden activation's family
        wants, ``activation.init``: ``"he_normal"`` for the ReLU family, else
        ``"xavier_uniform"``); biases start at 0.
    seed : int or numpy.random.Generator, optional
        Makes the initial weights reproducible.
    trainable_params : str, sequence, mapping or None
        Activation parameters trained with the weights (see :mod:`symnn.nn.trainable`):
        ``("alpha",)`` gives every layer whose activation has an ``alpha`` its own scalar
        ``alpha1``, ``alpha2``, ... in :attr:`params`; ``{"alpha": "unit"}`` one per unit;
        ``{1: ("alpha",)}`` only layer 1.
    jit : bool, optional
        Train with kernels compiled by numba (:mod:`symnn.nn.jit`): True, False, or None
        (default) for "when numba is installed and the environment variable ``SYMNN_JIT``
        is not ``0``". Results equal the NumPy path's to rounding (1e-14).

    Shapes: ``X`` is (n, inputs); ``y`` is (n, outputs), or (n,) for one
    output or class indices with a softmax output.

    Internal API (what training, views, diagnostics and persistence use)
    --------------------------------------------------------------------
    :attr:`spec`
        The symbolic pieces the code is generated from (:class:`~symnn.nn.netcode.NetSpec`).
    :meth:`check_data`
        ``(X, Y)`` as float arrays of the right shapes, or a clear error.
    :meth:`workspace`
        ``(gradient, grads)`` for a batch of *n* rows: ``gradient(X, Y, *params)``
        fills ``grads`` in place and returns the loss.
    :meth:`updater`
        The generated in-place update of an optimiser of :mod:`symnn.nn.optimizers`.
    :attr:`regularizers`
        Penalties given with ``loss + regularizer``; :meth:`fit` adds them.
    """

    def __new__(cls, layers=None, *args: Any, **kwargs: Any):
        # layer objects (Conv2D, Dense, ...) or a spec string: a layered network (symnn.nn.convnet)
        if cls is Network and (isinstance(layers, str) or _has_layer_objects(layers)):
            from symnn.nn.convnet import LayeredNetwork

            return LayeredNetwork(layers, *args, dense=cls, **kwargs)
        return super().__new__(cls)

    def __init__(
        self,
        layers: Sequence[int],
        activation: str | Activation | Sequence[str | Activation] = "sigmoid",
        output_activation: str | Activation | None = None,
        loss: str | Loss = "sse",
        bias: bool = True,
        init: str | Initializer | None = None,
        seed: int | np.random.Generator | None = None,
        trainable_params: Any = None,
        jit: bool | None = None,
    ) -> None:
        self.layers = _check_layers(layers)
        depth = len(self.layers) - 1
        self.regularizers: list[Regularizer] = []
        if isinstance(loss, Objective):
            self.regularizers = list(loss.regularizers)
            loss = loss.loss
        self.loss = loss if isinstance(loss, Loss) else as_loss(loss)
        self.activations, self.softmax_output = _resolve_activations(
            activation, output_activation, depth, self.loss.output
        )
        if self.softmax_output and not self.loss.fused_softmax:
            if self.loss.with_softmax is None:
                raise ValueError(
                    f"a softmax output does not go with the loss {self.loss.name!r} "
                    f"(it takes {_PREDICTIONS[self.loss.prediction]}); use "
                    "loss='cross_entropy' (softmax and cross-entropy fused, for stability)"
                )
            self.loss = get_loss(self.loss.with_softmax, reduction=self.loss.reduction)
        if self.loss.reduction == "none":
            raise ValueError(
                "a network trains on one number: use reduction='mean' or 'sum', not 'none' "
                "(net.loss.elementwise(...) gives the per-element losses)"
            )
        if self.loss.options.get("weight") is not None:
            raise ValueError(
                "class weights in a Network's cross-entropy are not supported yet; weigh the "
                "samples instead (repeat the rare class's rows), or use symnn.loss(..., "
                "weight=...) on predictions outside a network"
            )
        if self.loss.fused_softmax:
            self.softmax_output = True
            self.activations[-1] = as_activation("identity")
            if self.layers[-1] < 2:
                raise ValueError(
                    f"a softmax output needs at least 2 classes; this network has "
                    f"{self.layers[-1]} output (softmax over one class is the constant 1). For "
                    "two classes use one sigmoid output with loss='bce', or layers ending in 2"
                )
        self._check_output_range()
        self.activations, self.trainable = resolve(trainable_params, self.activations)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be True or False, not {bias!r}")
        self.bias = bias
        if init is None:
            init = self.activations[0].init
        self.init = init if isinstance(init, Initializer) else initializer(init)
        self._check_size()
        self._rng = make_rng(seed)
        arrays: dict[str, np.ndarray] = {}
        for i in range(1, depth + 1):
            shape = (self.layers[i - 1], self._z_width(i))
            arrays[f"W{i}"] = np.asarray(self.init(shape, seed=self._rng), dtype=float)
            if bias:
                arrays[f"b{i}"] = np.zeros(shape[1])
            for tp in self.trainable:
                if tp.layer == i:
                    arrays[tp.key] = np.full(tp.array_shape(self.layers[i]), tp.init)
        # every parameter is a view of one flat array: training backs them all up in one copy
        flat = np.zeros(sum(a.size for a in arrays.values()))
        offset = 0
        for key, a in arrays.items():
            view = flat[offset : offset + a.size].reshape(a.shape)
            view[...] = a
            arrays[key] = view
            offset += a.size
        self._params = Params(arrays, flat=flat)
        if jit is not None and not isinstance(jit, bool):
            raise TypeError(f"jit must be True, False or None (automatic), not {jit!r}")
        #: compiled kernels: True, False, or None = when numba is installed and SYMNN_JIT is not 0
        self.jit = jit

    @staticmethod
    def n_params_of(layers: Sequence[int], bias: bool) -> int:
        """The number of scalar parameters of a network of elementwise layers with these widths.

        >>> Network.n_params_of([3, 4, 1], bias=True)
        21
        """
        return sum(a * b + (b if bias else 0) for a, b in itertools.pairwise(layers))

    def _z_width(self, i: int) -> int:
        """The width of layer *i*'s pre-activation: 2h for a GLU layer of h units, k h for maxout."""
        act = self.activations[i - 1]
        return act.in_width(self.layers[i]) if isinstance(act, VectorActivation) else self.layers[i]

    def _check_size(self) -> None:
        """Refuse a network too big to allocate, before allocating anything."""
        count = sum(
            a * b + (b if self.bias else 0)
            for a, b in zip(self.layers, (self._z_width(i) for i in range(1, self.depth + 1)), strict=False)
        )
        if count > MAX_PARAMS:
            raise ValueError(
                f"layers {list(self.layers)} give {count:,} parameters "
                f"({8 * count / 2**30:.1f} GiB for the weights alone); symnn allocates at most "
                f"{MAX_PARAMS:,} (symnn.nn.network.MAX_PARAMS): use narrower layers"
            )

    def _check_output_range(self) -> None:
        """The output activation must produce what the loss takes (BCE: probabilities)."""
        lo, out = self.loss, self.activations[-1]
        if lo.fused_softmax or lo.input_domain.is_real_line:
            return
        with np.errstate(all="ignore"):
            if isinstance(out, VectorActivation):
                values = out.sample_outputs()
            else:
                values = out(np.linspace(-50.0, 50.0, 2001))
        if not np.all(lo.input_domain.contains(values)):
            hint = {
                "probability": "output_activation='sigmoid' (or a linear output with "
                "loss='binary_cross_entropy_with_logits', which is more stable)",
            }.get(lo.prediction, "an output activation whose range fits")
            raise ValueError(
                f"the loss {lo.name} takes predictions in {lo.input_domain.text}, but the output "
                f"activation {out.name} produces values outside it; use {hint}"
            )

    # -- parameters -------------------------------------------------------------------
    @property
    def params(self) -> Params:
        """The parameters ``W1, b1, W2, ...`` (an ordered, assignable mapping of arrays)."""
        return self._params

    @params.setter
    def params(self, values: dict[str, Any]) -> None:
        missing = set(self._params) - set(values)
        extra = set(values) - set(self._params)
        if missing or extra:
            raise ValueError(
                f"params must have exactly the keys {', '.join(self._params)}"
                + (f"; missing {', '.join(sorted(missing))}" if missing else "")
                + (f"; unknown {', '.join(sorted(extra))}" if extra else "")
            )
        checked = {}
        for k, v in values.items():
            tmp = Params({k: self._params[k].copy()})
            tmp[k] = v
            checked[k] = tmp[k]
        for k, v in checked.items():
            self._params._array(k)[...] = v


    @property
    def n_params(self) -> int:
        """The number of scalar parameters."""
        return sum(a.size for a in self._params.values())

    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    def __repr__(self) -> str:
        acts = [a.name for a in self.activations]
        if self.softmax_output:
            acts[-1] = "softmax"
        trained = f", trainable={[tp.key for tp in self.trainable]}" if self.trainable else ""
        return (
            f"Network({list(self.layers)}, activation={acts}, loss={self.loss.name!r}, "
            f"bias={self.bias}{trained})"
        )

    def _repr_html_(self) -> str:
        import html

        rows = []
        for i in range(1, self.depth + 1):
            act = "softmax" if i == self.depth and self.softmax_output else self.activations[i - 1].name
            shape = f"{self.layers[i - 1]} &rarr; {self.layers[i]}"
            rows.append(f"<tr><td>{i}</td><td>{shape}</td><td>{html.escape(act)}</td></tr>")
        head = "<tr><th>layer</th><th>inputs &rarr; outputs</th><th>activation</th></tr>"
        caption = (
            f"Network: {self.n_params} parameters, loss {html.escape(self.loss.name)} "
            f"({self.loss.reduction}), {'with' if self.bias else 'no'} biases"
        )
        return f"<table><caption>{caption}</caption>{head}{''.join(rows)}</table>"

    def _repr_latex_(self) -> str:
        return self.formula()._repr_latex_()

    # -- the generated code --------------------------------------------------------------
    @cached_property
    def spec(self) -> NetSpec:
        """The symbolic pieces of the network that its code is generated from."""
        layers = tuple(
            layer_math(a, [tp for tp in self.trainable if tp.layer == i])
            for i, a in enumerate(self.activations, start=1)
        )
        out = layers[-1]
        lo = self.loss
        y = lo.y
        extra: dict[str, Any] = {}
        if self.trainable:
            extra["param_shapes"] = {k: self._params[k].shape for k in (t.key for t in self.trainable)}
        if any(m.vector is not None for m in layers):
            extra["z_sizes"] = tuple(self._z_width(i) for i in range(1, self.depth + 1))
        if out.params:
            extra["loss_grad"] = lo.numeric_gradient.xreplace(
                {lo.yhat: A_SYMBOL, **{p: _exact(v) for p, v in lo.params.items()}}
            )
        if lo.fused_softmax:
            return NetSpec(tuple(self.layers), layers, self.bias, sp.S.Zero, None, True, y, **extra)
        subs = {lo.yhat: A_SYMBOL, **{p: _exact(v) for p, v in lo.params.items()}}
        loss_expr = lo.numeric_expr.xreplace(subs)
        grad_sym = lo.derivative.xreplace(subs)
        grad_num = lo.numeric_gradient.xreplace(subs)
        if out.identity or out.vector is not None:  # a vector layer: the code multiplies by J
            delta = grad_num
        elif out.reuse_output:
            combined = sp.factor_terms(sp.cancel(sp.together(grad_sym * out.fprime_a)))
            naive = grad_num * out.fprime_a
            # the famous cancellations (sigmoid + BCE -> a - y) are exact and stable
            delta = combined if sp.count_ops(combined) < sp.count_ops(naive) else naive
            if delta is combined and lo.numeric_expr != lo.expr:
                # the delta is the derivative of the unclamped loss of the logits: compute the
                # loss value the same way (log(sigmoid(z)) -> -softplus(-z)), so that value and
                # gradient agree where the clamped form would saturate (and nothing warns)
                composed = prepare(lo.expr.xreplace(subs).xreplace({A_SYMBOL: out.f}), [Z_SYMBOL, y])
                if not composed.atoms(sp.log, log1p):
                    loss_expr = lo.expr.xreplace(subs).xreplace({A_SYMBOL: out.f})
        else:
            delta = grad_num * out.fprime_z
        return NetSpec(tuple(self.layers), layers, self.bias, loss_expr, delta, False, y, **extra)

    @cached_property
    def _code(self) -> tuple[str, dict]:
        """``(source, namespace)`` of the generated module."""
        return build(self.spec)

    def source(self) -> str:
        """The generated NumPy source of the training code (forward, backward, updates),
        followed by the generated numba kernels when the network trains with them."""
        kernels = self.jit_kernels()
        if kernels is None:
            return self._code[0]
        return f"{self._code[0]}\n# -- numba kernels (symnn.nn.jit) --\n{kernels.source}"

    def workspace(self, n: int):
        """``(gradient, grads)`` for a batch of *n* rows (buffers allocated once per size).

        ``gradient(X, Y, *net.params.values())`` runs the forward and backward pass,
        writes dL/dparam into the arrays ``grads`` (in ``net.params`` order) and returns
        the loss.
        """
        cache = self.__dict__.setdefault("_workspaces", {})
        if n not in cache:
            shape = (n, self.layers[-1])
            scale = 1.0 / self.loss.divisor(shape)
            cache[n] = self._code[1]["make"](n, scale)
        return cache[n]

    def updater(self, name: str, flat: bool = False):
        """The generated in-place update of the optimiser *name* (see :mod:`symnn.nn.optimizers`):
        ``update(*scalars, *params, *grads, *state)``, or with *flat*
        ``update(*scalars, flat, gflat, *state_rows)`` on one array of all parameters."""
        return self._code[1][f"{name}_flat" if flat else name]

    def jit_kernels(self):
        """The network's compiled kernels (:mod:`symnn.nn.jit`), or None on the NumPy path."""
        from symnn.nn.jit import kernels_for

        return kernels_for(self)

    # -- numbers -------------------------------------------------------------------------
    def predict(self, X) -> np.ndarray:
        """The network's output for the samples in the rows of X (probabilities for softmax)."""
        X = self.check_X(X)
        return self._code[1]["forward"](X, *self._params.values())

    def hidden_activations(self, X) -> list[np.ndarray]:
        r"""The hidden layers' outputs :math:`A_1, \dots, A_{L-1}` for the samples in the rows of X.

        :math:`A_l = f_l(A_{l-1} W_l + b_l)` with :math:`A_0 = X`, each
        :math:`f_l` the layer's compiled activation (``net.activations[l - 1]``);
        the output layer is not included (``predict`` gives it). Shapes:
        ``A_l`` is (n, layers[l]).

        >>> import numpy as np, symnn as sn
        >>> net = sn.Network([2, 3, 3, 1], activation="relu", seed=0)
        >>> [A.shape for A in net.hidden_activations(np.ones((5, 2)))]
        [(5, 3), (5, 3)]
        """
        A = self.check_X(X)
        out = []
        for i, act in enumerate(self.activations[:-1], start=1):
            Z = A @ self._params[f"W{i}"]
            if self.bias:
                Z = Z + self._params[f"b{i}"]
            own = {t.name: self._params[t.key] for t in self.trainable if t.layer == i}
            A = np.asarray(act.compiled()(Z, **own) if own else act(Z), dtype=np.float64)
            out.append(A)
        return out

    def loss_value(self, X, y) -> float:
        """The loss of the network's predictions on (X, y), reduced as the loss says."""
        X, Y = self.check_data(X, y)
        gradient, _ = self.workspace(X.shape[0])
        return float(gradient(X, Y, *self._params.values()))

    def gradients(self, X, y) -> dict[str, np.ndarray]:
        """The gradient of the loss on (X, y) with respect to every parameter (same keys)."""
        X, Y = self.check_data(X, y)
        gradient, grads = self.workspace(X.shape[0])
        gradient(X, Y, *self._params.values())
        return {k: g.copy() for k, g in zip(self._params, grads, strict=True)}

    def decision_threshold(self, y=None) -> float:
        r"""The output value that separates the two classes of a network with one output.

        * a loss on logits or margins (``loss.prediction`` is ``"logit"`` or ``"margin"``):
          0 -- the logit of probability 1/2, or the sign of the margin;
        * otherwise the midpoint of the two class target values in ``y``: 0.5 for
          0/1 labels, 0 for -1/+1 labels;
        * without ``y``, or when ``y`` holds one class only, 0.5 (symnn's labels are 0/1).

        >>> import symnn as sn
        >>> sn.Network([2, 4, 1], loss="bce").decision_threshold()
        0.5
        >>> sn.Network([2, 4, 1], loss="hinge").decision_threshold()
        0.0
        """
        if self.layers[-1] != 1 or self.softmax_output:
            raise ValueError(
                f"a decision threshold belongs to a network with one output; this one has "
                f"{self.layers[-1]} (classify by the largest output instead)"
            )
        if self.loss.prediction in ("logit", "margin"):
            return 0.0
        if y is None:
            return 0.5
        labels = np.unique(as_float_array(y, "y"))
        if labels.size > 2 or not np.all(np.isfinite(labels)):
            raise ValueError(
                f"y must hold two class labels (e.g. 0 and 1) for a decision threshold; it has "
                f"{labels.size} distinct values"
            )
        return float(labels.mean()) if labels.size == 2 else 0.5

    def accuracy(self, X, y) -> float:
        """The share of samples classified right: the largest output for several outputs,
        the :meth:`decision_threshold` for one (margins: the sign)."""
        X, Y = self.check_data(X, y)
        out = self.predict(X)
        if out.shape[1] == 1:
            threshold = self.decision_threshold(Y)
            return float(np.mean((out > threshold) == (threshold < Y)))
        return float(np.mean(out.argmax(axis=1) == Y.argmax(axis=1)))

    # -- symbolic views --------------------------------------------------------------------
    def formula(self):
        """The forward pass and the loss in matrix notation (see :mod:`symnn.netviews`)."""
        from symnn.nn.views import formula

        return formula(self)

    def backprop(self, order: int = 1):
        """The backpropagation equations, with this network's derivatives substituted.

        ``order=2`` gives the second backward pass instead (:meth:`hvp_equations`).
        """
        if order == 2:
            return self.hvp_equations()
        if order != 1:
            raise ValueError(f"order must be 1 (gradient) or 2 (Hessian-vector product), not {order!r}")
        from symnn.nn.views import backprop

        return backprop(self)

    def expanded(self, max_params: int | None = None):
        """Every weight a scalar symbol: the loss of one sample and its exact derivatives."""
        from symnn.nn.views import expanded

        return expanded(self) if max_params is None else expanded(self, max_params=max_params)

    def graph(self, X=None, y=None, level: str = "scalar"):
        """The computation graph (``level="scalar"`` or ``"layer"``); see :mod:`symnn.nn.graph`."""
        from symnn.nn.graph import network_graph

        self._only_scalar_layers("net.graph")
        return network_graph(self, X, y, level=level)

    def walkthrough(self, X, y, lr: float = 0.5, steps: int = 1):
        """A worked example of *steps* gradient-descent steps; see :mod:`symnn.nn.walkthrough`."""
        from symnn.nn.walkthrough import walkthrough

        self._only_scalar_layers("net.walkthrough")
        return walkthrough(self, X, y, lr=lr, steps=steps)

    def derive(self):
        """How backpropagation comes out for this network, step by step (:mod:`symnn.nn.derivation`)."""
        from symnn.nn.derivation import derive_network

        return derive_network(self)

    # -- second order (symnn.nn.secondorder, symnn.nn.curvature) --------------------------------
    def hvp_equations(self):
        """The Hessian-vector product in matrix form: the R-operator applied to :meth:`backprop`."""
        from symnn.nn.secondorder import equations

        self._only_scalar_layers("net.hvp_equations")
        return equations(self)

    def hvp(self, X, y, v):
        """The exact Hessian-vector product of the loss (see :func:`symnn.nn.curvature.hvp`)."""
        from symnn.nn.curvature import hvp

        self._only_scalar_layers("net.hvp")
        return hvp(self, X, y, v)

    def hessian(self, X, y, **options):
        """The Hessian of the loss over all parameters (see :func:`symnn.nn.curvature.hessian`)."""
        from symnn.nn.curvature import hessian

        self._only_scalar_layers("net.hessian")
        return hessian(self, X, y, **options)

    def curvature(self, X, y, **options):
        """Top Hessian eigenvalues and 2/lambda_max (see :func:`symnn.nn.curvature.curvature`)."""
        from symnn.nn.curvature import curvature

        self._only_scalar_layers("net.curvature")
        return curvature(self, X, y, **options)

    def _only_scalar_layers(self, what: str) -> None:
        """Refuse what the graph and second-order code cannot yet do: vector layers, trained activation parameters."""
        vector = [a.name for a in self.activations if isinstance(a, VectorActivation)]
        if vector:
            raise ValueError(
                f"{what} handles elementwise activations only; this network has the vector "
                f"activation(s) {vector}: use net.backprop(), net.gradients() or symnn.gradcheck(net, X, y)"
            )
        if self.trainable:
            raise ValueError(
                f"{what} does not yet include trainable activation parameters "
                f"({[t.key for t in self.trainable]}): build the network without trainable_params, "
                "or use net.backprop(), net.gradients() or symnn.gradcheck(net, X, y)"
            )

    # -- input checks -------------------------------------------------------------------------
    def check_X(self, X) -> np.ndarray:
        X = _as_matrix(X, "X")
        if X.shape[1] != self.layers[0]:
            raise ValueError(
                f"X has {X.shape[1]} columns but the network has {self.layers[0]} inputs "
                f"(layers={list(self.layers)}); pass X of shape (n, {self.layers[0]})"
            )
        return X

    def check_data(self, X, y) -> tuple[np.ndarray, np.ndarray]:
        """``(X, Y)`` as float arrays of shapes (n, inputs) and (n, outputs), or a clear error.

        Targets are checked against the loss's domain; a softmax network also takes
        class indices (made one-hot) and needs rows that are distributions.
        """
        X = self.check_X(X)
        k = self.layers[-1]
        if self.softmax_output:
            Y = _targets_for_softmax(y, X.shape[0], k)
            smoothing = self.loss.options.get("label_smoothing", 0.0)
            if smoothing:  # as the loss does: (1 - eps) y + eps / K
                Y = (1.0 - smoothing) * Y + smoothing / k
        else:
            Y = _as_matrix(y, "y", column_ok=(k == 1))
            if Y.shape != (X.shape[0], k):
                raise ValueError(
                    f"y has shape {np.shape(y)} but the network needs ({X.shape[0]}, {k}) "
                    f"for {X.shape[0]} samples and {k} output(s)"
                )
        self.loss._check_domain(Y, self.loss.domain, "targets", "y")
        return X, Y


def _has_layer_objects(layers) -> bool:
    """Whether *layers* holds layer objects (a layered network) rather than widths."""
    from symnn.nn.layers import Layer

    try:
        return any(isinstance(x, Layer) for x in layers)
    except TypeError:
        return False


def _check_layers(layers) -> tuple[int, ...]:
    try:
        sizes = tuple(layers)
    except TypeError:
        raise TypeError(f"layers must be a list of widths like [3, 4, 1], not {layers!r}") from None
    if len(sizes) < 2:
        raise ValueError(
            f"layers needs at least an input and an output width, e.g. [3, 4, 1]; got {list(sizes)}"
        )
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
            raise ValueError(f"layer widths must be positive integers; got {s!r} in {list(sizes)}")
    return tuple(int(s) for s in sizes)


def _resolve_activations(
    act, output_act, depth: int, fits_loss: str
) -> tuple[list[Activation], bool]:
    """The activation of every layer and whether the output is a softmax.

    *fits_loss* is the output the loss wants when none is given.
    """

    def one(a) -> Activation:
        return a if isinstance(a, (Activation, VectorActivation)) else as_layer_activation(a)

    softmax = False
    if isinstance(act, (str, Activation, VectorActivation)):
        hidden = [one(act)] * (depth - 1)
        out = act if depth == 1 else fits_loss  # no hidden layer: the activation is the output's
    else:
        acts = list(act)
        if len(acts) == depth:
            if output_act is not None:
                raise ValueError(
                    "activation lists every layer including the output; leave output_activation "
                    "unset or give activation one entry per hidden layer"
                )
            hidden, out = [one(a) for a in acts[:-1]], acts[-1]
        elif len(acts) == depth - 1:
            hidden, out = [one(a) for a in acts], fits_loss
        else:
            raise ValueError(
                f"activation has {len(acts)} entries; give one per hidden layer ({depth - 1}) "
                f"or one per layer ({depth})"
            )
    if output_act is not None:
        out = output_act
    if isinstance(out, str) and out.strip().lower() == "softmax":
        softmax = True
        out = "identity"
    if isinstance(out, VectorActivation) and out.kind == "softmax" and fits_loss == "softmax":
        softmax, out = True, "identity"  # fused with the cross-entropy, as the name "softmax" is
    return [*hidden, one(out)], softmax


def _as_matrix(a, name: str, column_ok: bool = False) -> np.ndarray:
    arr = as_float_array(a, name)
    if arr.ndim == 1 and column_ok:
        arr = arr.reshape(-1, 1)
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array with samples as rows; got shape {arr.shape}"
            + (" (use .reshape(-1, 1) for one feature)" if arr.ndim == 1 else "")
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {arr.shape})")
    bad = ~np.isfinite(arr)
    if bad.any():
        row, col = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(f"{name} contains NaN or inf (first at row {row}, column {col})")
    return np.ascontiguousarray(arr)


def _targets_for_softmax(y, n: int, k: int) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape == (n, k):
        Y = _as_matrix(arr, "y")
        sums = Y.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > ROW_SUM_TOL)
        if bad.size:
            raise ValueError(
                f"y row {int(bad[0])} sums to {sums[bad[0]]:g}; a softmax network's targets are "
                "one-hot or probability rows that sum to 1 (multi-label targets need one sigmoid "
                "output per label with loss='bce')"
            )
        return Y
    flat = arr.reshape(-1) if arr.ndim == 2 and arr.shape[1] == 1 else arr
    if flat.ndim == 1 and flat.shape[0] == n:
        try:
            values = flat.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError("y must be numeric: class indices or one-hot rows") from None
        if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
            raise ValueError("class indices in y must be whole numbers")
        if values.min() < 0 or values.max() >= k:
            raise ValueError(
                f"class indices in y must be in 0..{k - 1} for {k} outputs; "
                f"got values from {values.min():g} to {values.max():g}"
            )
        Y = np.zeros((n, k))
        Y[np.arange(n), values.astype(int)] = 1.0
        return Y
    raise ValueError(
        f"y has shape {arr.shape}; a softmax network with {k} classes needs class indices of "
        f"shape ({n},) or one-hot rows of shape ({n}, {k})"
    )
