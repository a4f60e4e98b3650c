r"""Vector activations: functions of a whole layer, :math:`\mathbb{R}^m \to \mathbb{R}^h`.

softmax, log-softmax, the gated linear units (GLU, ReGLU, GEGLU, SwiGLU) and maxout
are not elementwise: each output depends on several inputs, so the derivative is a
Jacobian matrix. Each is one entry of :data:`REGISTRY` (family ``"vector"``); its
definition is a SymPy matrix in the input symbols :math:`z_1, \dots, z_m`, its
Jacobian comes from ``sympy.Matrix.jacobian`` and its closed form (softmax:
:math:`\operatorname{diag}(s) - s s^\top`) is checked against it by the tests.

>>> import numpy as np
>>> sm = vector_activation("softmax")
>>> print(sm.jacobian_text)
J = diag(s) − s sᵀ
>>> sm(np.array([[0.0, 1000.0]]))  # shifted by the row maximum: no overflow
array([[0., 1.]])
>>> glu = vector_activation("glu")
>>> glu.in_width(3), glu.expr(1)
(6, Matrix([[z_1*sigmoid(z_2)]]))

Widths: a layer of *h* units takes ``in_width(h)`` pre-activations, so ``W`` has
``in_width(h)`` columns: *h* for softmax and log-softmax, *2h* for the GLU family
(the two projections side by side: the first half :math:`a`, the second half the
gate's input :math:`b`, :math:`a \odot g(b)`, as ``torch.nn.functional.glu``), and
*kh* for maxout with *k* pieces (unit *i* takes :math:`z_{ik+1}, \dots, z_{ik+k}`).

Numbers: the forward pass and the vector-Jacobian product :math:`G J` (what
backpropagation needs) are generated NumPy functions (``.source`` shows them):
softmax and log-softmax subtract the row maximum (log-sum-exp), the gates of the
GLU family are the scalar catalogue activations printed by :mod:`symnn.compiler`
(stable: ``expit``, ``erfc``, branch-free ReLU). Maxout's derivative goes to the
first of tied pieces (NumPy ``argmax``), like PyTorch's ``max``.

Networks take them by name or object: ``Network([4, 8, 3], activation="swiglu",
output_activation="log_softmax", loss="nll")``. :func:`as_layer_activation` is the
lookup they use (a scalar name falls through to :func:`~symnn.catalogue.activations.as_activation`).
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import scipy.special
import sympy as sp

from symnn import _hooks
from symnn._validation import as_float_array, check_count
from symnn.catalogue.activation import x
from symnn.catalogue.activations import FAMILIES, Activation, as_activation
from symnn.catalogue.activations import activation as scalar_activation
from symnn.catalogue.registry import Entry, Registry
from symnn.compiler import kernels, numpy_source

__all__ = [
    "NOT_APPLICABLE",
    "REGISTRY",
    "VectorActivation",
    "VectorEntry",
    "as_layer_activation",
    "vector_activation",
    "vector_activations",
]

#: A property that has no meaning for a vector-valued function (monotonic, limits, ...).
NOT_APPLICABLE = "n/a"


@dataclass(frozen=True, kw_only=True)
class VectorEntry(Entry):
    """One vector activation: its kind, gate (GLU family), LaTeX name and what it is known to be.

    ``range`` is the closure-free range of each output as text (checked by sampling in
    the tests), ``at_zero`` each output at :math:`z = 0` as a function of the width
    :math:`K` (checked symbolically), ``zero_centred`` whether outputs take both signs.
    """

    kind: str  # "softmax", "log_softmax", "glu" or "maxout"
    tex: str
    family: str = "vector"
    gate: str | None = None
    range: sp.Set = sp.S.Reals
    at_zero: Callable[[sp.Symbol], sp.Expr] = lambda K: sp.S.Zero
    zero_centred: bool = True


REGISTRY: Registry[VectorEntry] = Registry("vector activation", "symnn.vector_activations()")


def _define(name: str, **fields: Any) -> None:
    REGISTRY.add(VectorEntry(name=name, **fields))


def vector_activations() -> list[str]:
    """The names of the vector activations.

    >>> vector_activations()
    ['softmax', 'log_softmax', 'glu', 'reglu', 'geglu', 'swiglu', 'maxout']
    """
    return REGISTRY.names()


def vector_activation(name: str | VectorActivation, *, k: int = 2) -> VectorActivation:
    """The vector activation *name*; ``k`` is maxout's number of pieces (default 2).

    >>> vector_activation("maxout", k=3).in_width(4)
    12
    >>> vector_activation("softmx")
    Traceback (most recent call last):
    ...
    ValueError: unknown vector activation 'softmx'; did you mean 'softmax'? (symnn.vector_activations() lists them all)
    """
    if isinstance(name, VectorActivation):
        return name
    entry = REGISTRY.lookup(name)
    if entry.kind != "maxout" and k != 2:
        raise ValueError(f"{entry.name} takes no k (only maxout has pieces)")
    return VectorActivation(entry, k=check_count("maxout k", k, 2) if entry.kind == "maxout" else 2)


def as_layer_activation(spec: Any) -> Activation | VectorActivation:
    """What a network layer takes: a vector activation by name or object, else a scalar one.

    >>> as_layer_activation("swiglu").name, as_layer_activation("tanh").name
    ('swiglu', 'tanh')
    """
    if isinstance(spec, (Activation, VectorActivation)):
        return spec
    if isinstance(spec, str) and REGISTRY.knows(spec):
        return vector_activation(spec)
    return as_activation(spec)


class VectorActivation:
    r"""A vector activation :math:`f: \mathbb{R}^{m} \to \mathbb{R}^{h}` (see the module docstring).

    >>> f = vector_activation("log_softmax")
    >>> f.expr(2)
    Matrix([
    [z_1 - log(exp(z_1) + exp(z_2))],
    [z_2 - log(exp(z_1) + exp(z_2))]])
    >>> np.round(f.grad_at([0.0, 0.0]), 3)
    array([[ 0.5, -0.5],
           [-0.5,  0.5]])
    """

    def __init__(self, entry: VectorEntry, k: int = 2) -> None:
        #: no scalar parameters to train or substitute, no scalar catalogue origin
        self.params: dict = {}
        self.kwnames: dict = {}
        self.origin = None
        self.entry = entry
        self.name = entry.name
        self.kind = entry.kind
        self.k = k if entry.kind == "maxout" else None
        self.tex = entry.tex
        self.plain = entry.name
        self.doc = entry.doc
        self.family = entry.family
        self.gate: Activation | None = None
        if entry.gate is not None:
            g = scalar_activation(entry.gate)
            self.gate = g.with_params(**{g.kwnames[p]: v for p, v in g.params.items()})
        self.init = self.gate.init if self.gate is not None else FAMILIES[entry.family]

    # -- shapes -------------------------------------------------------------------
    def in_width(self, units: int) -> int:
        """How many pre-activations a layer of *units* outputs takes."""
        return units * {"glu": 2, "maxout": self.k or 1}.get(self.kind, 1)

    # -- symbolic -----------------------------------------------------------------
    @staticmethod
    def symbols(m: int) -> list[sp.Symbol]:
        """The input symbols :math:`z_1, \\dots, z_m`."""
        return list(sp.symbols(f"z_1:{m + 1}", real=True))

    def apply(self, zs: list[sp.Expr]) -> list[sp.Expr]:
        """The outputs as SymPy expressions of the inputs *zs* (``len(zs) == in_width(h)``)."""
        m = len(zs)
        if self.kind == "softmax":
            total = sum(sp.exp(z) for z in zs)
            return [sp.exp(z) / total for z in zs]
        if self.kind == "log_softmax":
            lse = sp.log(sum(sp.exp(z) for z in zs))
            return [z - lse for z in zs]
        if self.kind == "glu":
            h = m // 2
            return [zs[i] * self.gate.expr.xreplace({x: zs[h + i]}) for i in range(h)]
        k = self.k
        return [sp.Max(*zs[i * k : (i + 1) * k]) for i in range(m // k)]

    def expr(self, units: int) -> sp.Matrix:
        """The definition for a layer of *units* outputs, as a column of expressions."""
        return sp.Matrix(self.apply(self.symbols(self.in_width(units))))

    def jacobian(self, units: int) -> sp.Matrix:
        r"""The Jacobian :math:`J_{ij} = \partial f_i / \partial z_j` from ``sympy``, (units, in_width)."""
        zs = self.symbols(self.in_width(units))
        return self.expr(units).jacobian(zs)

    def closed_jacobian(self, units: int) -> sp.Matrix:
        r"""The Jacobian in its textbook form (softmax: :math:`\operatorname{diag}(s) - s s^\top`),
        built from the outputs; equal to :meth:`jacobian` (a test checks it)."""
        m = self.in_width(units)
        zs = self.symbols(m)
        out = self.expr(units)
        if self.kind == "softmax":
            return sp.diag(*out) - out * out.T
        if self.kind == "log_softmax":
            s = sp.Matrix([sp.exp(v) for v in out])
            return sp.eye(m) - sp.ones(m, 1) * s.T
        if self.kind == "glu":
            a, b = zs[:units], zs[units:]
            g = [self.gate.expr.xreplace({x: v}) for v in b]
            dg = [self.gate.derivative.xreplace({x: v}) for v in b]
            return sp.diag(*g).row_join(sp.diag(*[ai * d for ai, d in zip(a, dg, strict=True)]))
        return self.jacobian(units)

    @property
    def jacobian_text(self) -> str:
        """The closed form of the Jacobian, in words and symbols."""
        return {
            "softmax": "J = diag(s) − s sᵀ",
            "log_softmax": "J = I − 1 sᵀ  (s = softmax(z))",
            "glu": f"J = [diag(g(b)) | diag(a ⊙ g'(b))]  (g = {self.gate.name if self.gate else ''})",
            "maxout": "J_ij = 1 if z_j is the first largest piece of unit i, else 0",
        }[self.kind]

    @property
    def jacobian_latex(self) -> str:
        r"""The closed form of the Jacobian in LaTeX."""
        gate = self.gate.tex if self.gate else ""
        return {
            "softmax": r"J = \operatorname{diag}(s) - s s^{\top}",
            "log_softmax": r"J = I - \mathbf{1} s^{\top}, \quad s = \operatorname{softmax}(z)",
            "glu": rf"J = \left[\operatorname{{diag}}({gate}(b)) \;\middle|\; "
            rf"\operatorname{{diag}}(a \odot {gate}'(b))\right]",
            "maxout": r"J_{ij} = [z_j = \max_{p} z_{ik+p}] \text{ (the first largest piece)}",
        }[self.kind]

    def latex(self, order: int = 0, units: int = 2) -> str:
        """The definition (``order=0``) or the Jacobian (``order=1``) of a small layer, in LaTeX."""
        if order == 0:
            return rf"{self.tex}(z) = {sp.latex(self.expr(units))}"
        if order == 1:
            return rf"{self.jacobian_latex} = {sp.latex(self.jacobian(units))}"
        raise ValueError(
            f"{self.name}: order must be 0 (definition) or 1 (Jacobian), not {order!r}"
        )

    def _repr_latex_(self) -> str:
        return f"$${self.latex(0)}$$\n$${self.latex(1)}$$"

    def __repr__(self) -> str:
        extra = f", k={self.k}" if self.k else ""
        return f"VectorActivation({self.name!r}{extra}): {self.jacobian_text}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, VectorActivation):
            return NotImplemented
        return (self.name, self.k) == (other.name, other.k)

    def __hash__(self) -> int:
        return hash((self.name, self.k))

    # -- numbers ------------------------------------------------------------------
    @cached_property
    def source(self) -> str:
        """The NumPy source of ``forward(Z)`` and ``backward(Z, A, G)`` (rows are samples)."""
        return _SOURCES[self.kind](self)

    def code(self, prefix: str) -> str:
        """:attr:`source` with the functions named ``{prefix}_forward`` / ``{prefix}_backward``."""
        return self.source.replace("def forward(", f"def {prefix}_forward(").replace(
            "def backward(", f"def {prefix}_backward("
        )

    @cached_property
    def _functions(self) -> dict[str, Callable]:
        namespace = {"np": np, "special": scipy.special, "kernels": kernels}
        exec(builtins.compile(self.source, f"<symnn {self.name}>", "exec"), namespace)
        return namespace

    def _check(self, Z) -> np.ndarray:
        arr = as_float_array(Z, "the input", self.name)
        if arr.ndim == 0 or arr.shape[-1] == 0 or arr.shape[-1] % self.in_width(1):
            raise ValueError(
                f"{self.name} takes arrays whose last axis is a positive multiple of "
                f"{self.in_width(1)}; got shape {arr.shape}"
            )
        return arr

    def __call__(self, Z) -> np.ndarray:
        """The outputs for the inputs in the last axis of *Z*."""
        return self._functions["forward"](self._check(Z))

    def vjp(self, Z, G) -> np.ndarray:
        r"""The vector-Jacobian product :math:`G J(Z)` along the last axis (backpropagation)."""
        Z = self._check(Z)
        return self._functions["backward"](Z, self(Z), as_float_array(G, "G", self.name))

    def grad_at(self, z) -> np.ndarray:
        """The Jacobian at one input vector *z*, numerically: shape (outputs, inputs)."""
        z = self._check(np.asarray(z, dtype=float).reshape(-1))
        h = z.size // self.in_width(1)
        return self.vjp(np.tile(z, (h, 1)), np.eye(h))

    def sample_outputs(self, units: int = 2, n: int = 2001) -> np.ndarray:
        """Outputs on inputs spread over [-50, 50] (for range checks against a loss's domain)."""
        grid = np.linspace(-50.0, 50.0, n * self.in_width(units)).reshape(n, -1)
        return self(np.random.default_rng(0).permuted(grid, axis=0))

    # -- export (provided by symnn.export through symnn._hooks: imports point one way) ----
    def to_torch(self, dtype: Any = None) -> Any:
        """This activation as a ``torch.nn.Module`` along the last axis, with symnn's formulas
        forward and backward (:mod:`symnn.export.vector`); ``dtype`` is a GLU gate's."""
        return _hooks.call("to_torch", self, dtype=dtype)

    def to_jax(self) -> Any:
        """This activation as a JAX-traceable function of the last axis (:mod:`symnn.export.vector`)."""
        return _hooks.call("to_jax", self)

    # -- properties ---------------------------------------------------------------
    @cached_property
    def properties(self) -> dict[str, Any]:
        """The property-table cells; scalar-only notions are :data:`NOT_APPLICABLE`."""
        K = sp.Symbol("K", positive=True, integer=True)
        gate_props = self.gate.properties if self.gate is not None else None
        smooth = {"softmax": sp.oo, "log_softmax": sp.oo, "maxout": 0}
        continuity = gate_props.continuity if gate_props else smooth[self.kind]
        cells = dict.fromkeys(
            (
                "monotonic",
                "derivative_monotonic",
                "approximates_identity",
                "derivative_at_zero",
                "limit_neg_inf",
                "limit_pos_inf",
            ),
            NOT_APPLICABLE,
        )
        cells.update(
            range=self.entry.range,
            continuity=continuity,
            value_at_zero=self.entry.at_zero(K),
            zero_centred=self.entry.zero_centred,
        )
        return cells


# -- the generated NumPy sources -------------------------------------------------------


def _softmax_source(f: VectorActivation) -> str:
    return '''def forward(Z):
    """softmax along the last axis, shifted by the row maximum (no overflow)."""
    with np.errstate(over="ignore", under="ignore"):  # z - max < -1.8e308: -inf, exp gives 0
        E = np.exp(Z - np.max(Z, axis=-1, keepdims=True))
    return E / np.sum(E, axis=-1, keepdims=True)


def backward(Z, A, G):
    """G J with J = diag(s) - s s^T: s * (G - (G . s))."""
    return A * (G - np.sum(G * A, axis=-1, keepdims=True))
'''


def _log_softmax_source(f: VectorActivation) -> str:
    return '''def forward(Z):
    """log-softmax along the last axis by log-sum-exp: z - max - log1p(sum of the other exp(z - max))."""
    first = np.argmax(Z, axis=-1)[..., None]
    with np.errstate(over="ignore", under="ignore"):  # z - max < -1.8e308: -inf, the rounded value
        S = Z - np.take_along_axis(Z, first, axis=-1)
        E = np.exp(S)
    np.put_along_axis(E, first, 0.0, axis=-1)  # the largest term, exp(0) = 1, goes into log1p
    return S - np.log1p(np.sum(E, axis=-1, keepdims=True))


def backward(Z, A, G):
    """G J with J = I - 1 s^T: G - s * sum(G), s = exp(A)."""
    return G - np.exp(A) * np.sum(G, axis=-1, keepdims=True)
'''


def _glu_source(f: VectorActivation) -> str:
    lines, (g, dg) = numpy_source([f.gate.expr, f.gate.derivative], {x: "B"}, prefix="_g")
    pre = "".join(f"    {line}\n" for line in lines)
    split = "    h = Z.shape[-1] // 2\n    Za, B = Z[..., :h], Z[..., h:]\n"
    return f'''def forward(Z):
    """a * g(b) with a, b the two halves of the last axis, g = {f.gate.name}."""
{split}{pre}    return Za * ({g})


def backward(Z, A, G):
    """G J with J = [diag(g(b)) | diag(a * g'(b))]."""
{split}{pre}    return np.concatenate([G * ({g}), G * Za * ({dg})], axis=-1)
'''


def _maxout_source(f: VectorActivation) -> str:
    return f'''def forward(Z):
    """The largest of each group of {f.k} consecutive inputs."""
    return np.max(Z.reshape(Z.shape[:-1] + (-1, {f.k})), axis=-1)


def backward(Z, A, G):
    """G routed to the first largest piece of each group (numpy argmax)."""
    R = Z.reshape(Z.shape[:-1] + (-1, {f.k}))
    first = np.argmax(R, axis=-1)[..., None] == np.arange({f.k})
    return (first * G[..., None]).reshape(Z.shape)
'''


_SOURCES = {
    "softmax": _softmax_source,
    "log_softmax": _log_softmax_source,
    "glu": _glu_source,
    "maxout": _maxout_source,
}


# -- the entries -------------------------------------------------------------------------

_define(
    "softmax",
    kind="softmax",
    tex=r"\operatorname{softmax}",
    range=sp.Interval.open(0, 1),
    at_zero=lambda K: 1 / K,
    zero_centred=False,
    doc=r"""Softmax :math:`s_i = e^{z_i} / \sum_j e^{z_j}`; Jacobian :math:`\operatorname{diag}(s) - s s^\top`.

    Computed as :math:`e^{z_i - \max z} / \sum_j e^{z_j - \max z}`. As a network's output
    with a cross-entropy loss it is fused with the loss instead (output delta
    :math:`s - y`). Reference: Bridle 1990; PyTorch ``torch.softmax``.""",
)
_define(
    "log_softmax",
    kind="log_softmax",
    tex=r"\operatorname{log\,softmax}",
    aliases=("logsoftmax",),
    range=sp.Interval.open(-sp.oo, 0),
    at_zero=lambda K: -sp.log(K),
    zero_centred=False,
    doc=r"""Log-softmax :math:`z_i - \log\sum_j e^{z_j}`; Jacobian :math:`I - \mathbf{1} s^\top`.

    Computed by log-sum-exp (:math:`z - \max z - \log\sum e^{z - \max z}`): finite for
    any finite input. The output of a network trained with ``loss="nll"``.
    Reference: PyTorch ``torch.log_softmax``.""",
)
_define(
    "glu",
    kind="glu",
    gate="sigmoid",
    tex=r"\operatorname{GLU}",
    doc=r"""Gated linear unit :math:`a \odot \sigma(b)`, :math:`a, b` the two halves of the input.

    Reference: Dauphin et al., *Language modeling with gated convolutional networks*,
    2017; PyTorch ``torch.nn.functional.glu`` (first half times sigmoid of the second).""",
)
_define(
    "reglu",
    kind="glu",
    gate="relu",
    tex=r"\operatorname{ReGLU}",
    doc=r""":math:`a \odot \operatorname{ReLU}(b)` (ReLU'(0) = 0).

    Reference: Shazeer, *GLU variants improve Transformer*, 2020.""",
)
_define(
    "geglu",
    kind="glu",
    gate="gelu",
    tex=r"\operatorname{GEGLU}",
    doc=r""":math:`a \odot \operatorname{GELU}(b)` with the exact (erf) GELU.

    Reference: Shazeer, *GLU variants improve Transformer*, 2020.""",
)
_define(
    "swiglu",
    kind="glu",
    gate="silu",
    tex=r"\operatorname{SwiGLU}",
    doc=r""":math:`a \odot \operatorname{Swish}_1(b) = a \odot b\,\sigma(b)` (the LLaMA feed-forward gate).

    Reference: Shazeer, *GLU variants improve Transformer*, 2020.""",
)
_define(
    "maxout",
    kind="maxout",
    tex=r"\operatorname{maxout}",
    doc=r"""Maxout with *k* pieces (default 2): unit *i* is :math:`\max(z_{ik+1}, \dots, z_{ik+k})`.

    Derivative 1 for the first largest piece and 0 for the others (ties: the first).
    Reference: Goodfellow et al., *Maxout networks*, ICML 2013.""",
)
