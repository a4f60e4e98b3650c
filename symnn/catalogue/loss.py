r"""Loss functions: one SymPy definition of one element's loss each, every other view derived.

A loss is the loss :math:`\ell(\hat{y}, y)` of one prediction :math:`\hat{y}` against its
target :math:`y`, written once as a SymPy expression, plus an explicit *reduction* over the
data. The gradient comes from ``sympy.diff``, the LaTeX from SymPy's printer, the numbers
from :func:`symnn.compile` (so they are stable), and the catalogue below is the only list.

>>> import symnn as sn
>>> import numpy as np
>>> sse = sn.loss("sse")
>>> sse.expr, sse.derivative
((y - yhat)**2, 2*(-y + yhat))
>>> print(sse.latex())
L = \sum_{i=1}^{n} \left(y_{i} - \hat{y}_{i}\right)^{2}
>>> sse.value([0.5, 1.0], [0.0, 1.0]), sse.grad([0.5, 1.0], [0.0, 1.0])
(0.25, array([1., 0.]))
>>> sn.loss("mse").grad([0.5, 1.0], [0.0, 1.0])      # the 1/n of the mean is included
array([0.5, 0. ])
>>> sn.loss("cross_entropy").grad([[2.0, 0.0]], [0])  # softmax(z) - y, per row, / n rows
array([[-0.11920292,  0.11920292]])

Reductions
----------
``"sum"``
    :math:`L = \sum_i \ell_i` (the seed's SSE: neither halved nor averaged).
``"mean"``
    :math:`L = \frac{1}{n}\sum_i \ell_i`, PyTorch's ``reduction="mean"``: *n* is the number
    of elements for elementwise losses, the number of samples (rows) for the row-wise
    losses (the cross-entropies and NLL, whose sample loss sums over the class axis).
``"batchmean"``
    :math:`L = \frac{1}{n}\sum_i \sum_j \ell_{ij}` with *n* the length of the first axis
    (PyTorch's ``kl_div(reduction="batchmean")``, the true KL divergence per sample).

Shapes: ``yhat`` and ``y`` have the same shape, ``(n,)`` or ``(n, k)`` (no broadcasting:
a ``(n,)`` against ``(n, 1)`` mix-up is an error, not an ``(n, n)`` matrix). Row-wise losses
take ``(n, K)`` scores with targets either ``(n, K)`` (one-hot or probability rows) or
``(n,)`` integer class indices; a ``(K,)`` input is one sample.

What the numbers are
--------------------
``value(yhat, y)`` is the reduced loss *L*; ``elementwise(yhat, y)`` the unreduced losses
(PyTorch's ``reduction="none"``: one per element, or one per row for row-wise losses);
``grad(yhat, y)`` is :math:`\partial L/\partial\hat{y}`, the gradient of the **reduced**
loss, with the shape of ``yhat`` -- for ``"mean"`` it includes the :math:`1/n`.

Symbolic pieces for code generation (the network uses these)
-------------------------------------------------------------
``yhat``, ``y``
    The symbols of ``expr`` (``Loss.yhat`` prints as :math:`\hat{y}`).
``expr``, ``gradient``
    The definition :math:`\ell(\hat{y}, y)` and :math:`\partial\ell/\partial\hat{y}`, per
    element, **without** the :math:`1/n` of the reduction (multiply by ``1/divisor(shape)``).
``numeric_expr``, ``numeric_gradient``
    What the compiled code evaluates: the definition with PyTorch's clamping
    (:math:`\log` clamped to :math:`\ge -100` in the probability cross-entropies) and
    :math:`0\log 0 = 0` made explicit, and its derivative in an unsimplified, stable form.
    Equal to ``expr``/``gradient`` wherever those are finite and unclamped; generated code
    should print these (:func:`symnn.compiler.numpy_source`).
``rowwise``
    True when the sample loss sums ``expr`` over the last (class) axis.
``fused_softmax``
    True for ``softmax_cross_entropy``: ``yhat`` are logits, the output layer must be
    linear, and :math:`\partial L/\partial z = (\operatorname{softmax}(z) - y)/n` (it has
    no elementwise ``expr``; ``expr`` is the per-sample sum over classes).
``domain``, ``input_domain``
    The allowed targets and predictions (:class:`Domain`), checked on every call.

The catalogue of named losses is :mod:`symnn.catalogue.losses`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from symnn import _hooks
from symnn._tex import all_negative, display, latex_part
from symnn._tex import latex as tex
from symnn._validation import (
    as_float_array,
    check_choice,
    check_interval,
    exact_number,
    unknown_parameter,
)
from symnn.catalogue.registry import ParamSpec
from symnn.compiler import CompiledFunction
from symnn.compiler import compile as compile_expr
from symnn.expr.symbolic import as_expression, kink_conventions, tidy

__all__ = [
    "REDUCTIONS",
    "Domain",
    "Loss",
    "SoftmaxCrossEntropy",
    "clamp_logs",
    "y",
    "yhat",
]

#: The prediction symbol of every catalogue loss (prints as :math:`\hat{y}`).
yhat = sp.Symbol("yhat", real=True)
#: The target symbol of every catalogue loss.
y = sp.Symbol("y", real=True)

#: The reductions a loss can use (see the module docstring).
REDUCTIONS = ("sum", "mean", "batchmean", "none")

#: PyTorch's clamp of the logarithm in the probability cross-entropies: log(p) >= -100.
LOG_CLAMP = -100

#: How far a probability-target row of softmax cross-entropy may sum from 1.
ROW_SUM_TOL = 1e-6
_n = sp.Symbol("n", positive=True)  # the reduction's divisor, in LaTeX


# ------------------------------------------------------------------------------
# LaTeX that matplotlib's mathtext can render too (no \begin{cases})
# ------------------------------------------------------------------------------


# ------------------------------------------------------------------------------
# Domains of predictions and targets
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    r"""The values a loss accepts for its predictions or targets.

    An interval :math:`[low, high]` (closed), or a finite set ``values``. ``hint`` says
    how to fix a value outside it.

    >>> Domain("[0, 1]", 0.0, 1.0).contains(np.array([0.0, 0.5, 1.5]))
    array([ True,  True, False])
    """

    text: str
    low: float = -math.inf
    high: float = math.inf
    values: tuple[float, ...] | None = None
    hint: str = ""

    def contains(self, arr: np.ndarray) -> np.ndarray:
        """Elementwise: is each value allowed?"""
        arr = np.asarray(arr, dtype=np.float64)
        if self.values is not None:
            return np.isin(arr, self.values)
        return (arr >= self.low) & (arr <= self.high)

    @property
    def is_real_line(self) -> bool:
        return self.values is None and self.low == -math.inf and self.high == math.inf


REAL = Domain("real numbers")
SIGNS = Domain("{-1, +1}", values=(-1.0, 1.0), hint="map 0/1 labels to -1/+1 with 2*y - 1")


# ------------------------------------------------------------------------------
# Conventions applied to derivatives and to numbers
# ------------------------------------------------------------------------------


def _derivative(expr: sp.Expr, var: sp.Basic) -> sp.Expr:
    """``sympy.diff`` with symnn's conventions at kinks (the step is 0 at 0: the hinge's
    subgradient at its corner is 0, like ReLU'(0) = 0; see :func:`symnn.expr.symbolic.derivative`)."""
    return kink_conventions(sp.diff(expr, var))


def _tidy_gradient(expr: sp.Expr) -> sp.Expr:
    """A readable derivative: :func:`symnn.symbolic.tidy` plus two identities it misses."""
    expr = tidy(expr.replace(_has_sinh_over_cosh, _sinh_over_cosh_to_tanh))
    if not expr.has(sp.Piecewise) and sp.denom(expr).is_Add:  # (y - p)/(p**2 - p) -> .../(p(p - 1))
        expr = sp.factor(expr)

    def step_times_ramp(e):  # theta(u) * max(0, u) = max(0, u)
        if not e.is_Mul:
            return False
        steps = {f.args[0] for f in e.args if isinstance(f, sp.Heaviside)}
        ramps = {a for f in e.args if isinstance(f, sp.Max) and 0 in f.args for a in f.args}
        return bool(steps & ramps)

    def drop_step(e):
        ramps = {a for f in e.args if isinstance(f, sp.Max) and 0 in f.args for a in f.args}
        return sp.Mul(
            *[f for f in e.args if not (isinstance(f, sp.Heaviside) and f.args[0] in ramps)]
        )

    return expr.replace(step_times_ramp, drop_step)


def _has_sinh_over_cosh(e: sp.Basic) -> bool:
    return e.is_Mul and any(
        isinstance(f, sp.sinh) and 1 / sp.cosh(f.args[0]) in e.args for f in e.args
    )


def _sinh_over_cosh_to_tanh(e: sp.Mul) -> sp.Expr:
    factors = list(e.args)
    for f in list(factors):
        if isinstance(f, sp.sinh) and 1 / sp.cosh(f.args[0]) in factors:
            factors.remove(f)
            factors.remove(1 / sp.cosh(f.args[0]))
            factors.append(sp.tanh(f.args[0]))
    return sp.Mul(*factors)


def clamp_logs(expr: sp.Expr, floor: int = LOG_CLAMP) -> sp.Expr:
    r"""Every :math:`\log u` replaced by :math:`\max(\log u, \text{floor})`, as PyTorch's BCE.

    Written as a piecewise expression so that the derivative is 0 where the clamp is
    active and nothing evaluates :math:`\log 0`. It also gives :math:`0 \log 0 = 0`.

    >>> clamp_logs(sp.log(yhat))
    Piecewise((log(yhat), yhat > exp(-100)), (-100, True))
    """
    bound = sp.exp(floor)
    return expr.replace(
        lambda e: isinstance(e, sp.log),
        lambda e: sp.Piecewise((e, e.args[0] > bound), (floor, True)),
    )


def _zero_where_target_zero(expr: sp.Expr) -> sp.Expr:
    r"""The convention :math:`0 \log 0 = 0`: the element loss is 0 where :math:`y = 0`."""
    return sp.Piecewise((expr, y > 0), (0, True))


# ------------------------------------------------------------------------------
# The Loss class
# ------------------------------------------------------------------------------


def _index(flat_mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(flat_mask)[0])


class Loss:
    r"""A loss defined by one SymPy expression :math:`\ell(\hat{y}, y)` and a reduction.

    Parameters
    ----------
    expr : sympy.Expr or str
        The loss of one element, in the symbols ``yhat`` and ``y`` (any symbols of those
        names; they are made real). Strings go through :func:`symnn.parse`.
    name : str, optional
        A name for printing and error messages (default ``"loss"``).
    reduction : {"sum", "mean", "batchmean"}, optional
        How element losses combine (default ``"mean"``; see the module docstring).
    params : mapping, optional
        Other free symbols (or their names) and their default values.
    domain, input_domain : Domain, optional
        Allowed targets and predictions (default: all real numbers).
    rowwise : bool, optional
        The sample loss sums ``expr`` over the last axis; ``"mean"`` divides by rows.
    numeric : callable, optional
        Turns ``expr`` into the expression the numbers come from (e.g. :func:`clamp_logs`).
    doc : str, optional
        A description.

    Examples
    --------
    >>> import sympy as sp
    >>> a, t = sp.symbols("yhat y")
    >>> quartic = Loss((a - t) ** 4, name="quartic")
    >>> quartic.derivative
    4*(-y + yhat)**3
    >>> quartic.value([1.0, 2.0], [0.0, 0.0])
    8.5
    """

    fused_softmax: bool = False

    def __init__(
        self,
        expr: sp.Expr | str,
        name: str = "loss",
        *,
        reduction: str = "mean",
        params: Mapping[sp.Symbol | str, float] | None = None,
        domain: Domain = REAL,
        input_domain: Domain = REAL,
        rowwise: bool = False,
        numeric: Callable[[sp.Expr], sp.Expr] | None = None,
        doc: str = "",
    ) -> None:
        names = ["yhat", "y", *(k.name if isinstance(k, sp.Symbol) else str(k) for k in params or {})]
        if isinstance(expr, str):
            expr = expr.replace("ŷ", "yhat")
        expr = as_expression(expr, "a loss is a SymPy expression in yhat and y", names)
        mapping: dict[sp.Symbol, sp.Symbol] = {}
        specs: dict[str, ParamSpec] = {}
        for key, value in (params or {}).items():
            pname = key.name if isinstance(key, sp.Symbol) else str(key)
            if pname in ("yhat", "y"):
                raise ValueError(f"{pname!r} is an argument of the loss; it cannot be a parameter")
            default = float(exact_number(value, f"{name} parameter {pname}"))
            specs[pname] = ParamSpec(pname, default)
        for s in expr.free_symbols:
            if s.name == "yhat":
                mapping[s] = yhat
            elif s.name == "y":
                mapping[s] = y
            elif s.name in specs:
                mapping[s] = specs[s.name].sympy_symbol()
        expr = expr.xreplace(mapping)
        unknown = sorted(
            s.name
            for s in expr.free_symbols - {yhat, y} - {p.sympy_symbol() for p in specs.values()}
        )
        if unknown:
            raise ValueError(
                f"loss {expr} has free symbol(s) {', '.join(unknown)} that are neither yhat, y nor "
                f"parameters; give them defaults with params={{{', '.join(repr(n) + ': ...' for n in unknown)}}}"
            )
        self._setup(
            expr=expr,
            name=name,
            reduction=_check_reduction(reduction),
            specs=specs,
            domain=domain,
            input_domain=input_domain,
            rowwise=bool(rowwise),
            numeric=numeric,
            doc=doc,
            options={},
        )

    def _setup(
        self,
        *,
        expr: sp.Expr,
        name: str,
        reduction: str,
        specs: dict[str, ParamSpec],
        domain: Domain,
        input_domain: Domain,
        rowwise: bool,
        numeric: Callable[[sp.Expr], sp.Expr] | None,
        doc: str,
        options: dict[str, Any],
        values: dict[str, sp.Expr] | None = None,
        prediction: str = "value",
        output: str = "identity",
        with_softmax: str | None = None,
    ) -> None:
        """Every attribute of a Loss, set in this one place (constructors and copies use it)."""
        self._expr: sp.Expr = expr  # parameters as symbols
        self._set: dict[str, sp.Expr] = dict(values or {})  # parameters set with with_params
        self.name: str = name
        self.reduction: str = reduction
        self._specs: dict[str, ParamSpec] = specs
        self.domain: Domain = domain
        self.input_domain: Domain = input_domain
        self.rowwise: bool = rowwise
        self._numeric = numeric
        self.doc: str = doc
        self.options: dict[str, Any] = options
        #: What the predictions are: "value", "probability", "logit", "margin" or
        #: "log_probability" (decides the decision threshold and accuracy).
        self.prediction: str = prediction
        #: The output activation that fits this loss when none is given.
        self.output: str = output
        #: The fused loss a softmax output turns this loss into, or None (refused).
        self.with_softmax: str | None = with_softmax
        self._compiled: dict[int, CompiledFunction] = {}

    def _fields(self) -> dict[str, Any]:
        return {
            "expr": self._expr,
            "name": self.name,
            "reduction": self.reduction,
            "specs": self._specs,
            "domain": self.domain,
            "input_domain": self.input_domain,
            "rowwise": self.rowwise,
            "numeric": self._numeric,
            "doc": self.doc,
            "options": self.options,
            "values": self._set,
            "prediction": self.prediction,
            "output": self.output,
            "with_softmax": self.with_softmax,
        }

    # -- symbols and parameters -----------------------------------------------------

    @property
    def yhat(self) -> sp.Basic:
        """The prediction symbol of ``expr``."""
        return yhat

    @property
    def y(self) -> sp.Basic:
        """The target symbol of ``expr``."""
        return y

    @property
    def expr(self) -> sp.Expr:
        """The loss of one element; parameters set with :meth:`with_params` appear as numbers."""
        return self._expr.xreplace(
            {self._specs[kw].sympy_symbol(): v for kw, v in self._set.items()}
        )

    @property
    def params(self) -> dict[sp.Symbol, float]:
        """Every parameter symbol and the value the numbers use (default or set)."""
        return {
            s.sympy_symbol(): float(self._set[kw]) if kw in self._set else s.default
            for kw, s in self._specs.items()
        }

    @property
    def kwnames(self) -> dict[sp.Symbol, str]:
        """Parameter symbols and their keyword names (``delta``, ``tau``, ...)."""
        return {s.sympy_symbol(): kw for kw, s in self._specs.items()}

    def _copy(self, **changes: Any) -> Loss:
        """A copy with some :meth:`_setup` fields changed (cached views are recomputed)."""
        new = object.__new__(type(self))
        Loss._setup(new, **{**self._fields(), **changes})
        return new

    def with_params(self, **values: Any) -> Loss:
        """A copy with parameters set to numbers: in ``expr``, ``gradient``, LaTeX and the numbers.

        (The compiled code keeps the parameter as a named constant, so that SymPy cannot
        distribute it: :math:`\\tau(y - \\hat{y})` stays one subtraction and one product.)

        >>> import symnn as sn
        >>> sn.loss("huber").with_params(delta=2).expr
        Piecewise(((-y + yhat)**2/2, Abs(y - yhat) < 2), (2*Abs(y - yhat) - 2, True))
        """
        subs = {}
        for kw, value in values.items():
            if kw not in self._specs:
                raise unknown_parameter(self.name, kw, self._specs)
            number = exact_number(value, f"{self.name} parameter {kw}")
            if not number.is_number:
                raise TypeError(f"{self.name} parameter {kw} must be a number, got {value!r}")
            self._specs[kw].check(number, self.name)
            subs[kw] = number
        return self._copy(values={**self._set, **subs})

    def with_reduction(self, reduction: str) -> Loss:
        """A copy with another reduction.

        >>> import symnn as sn
        >>> sn.loss("mse").with_reduction("sum").reduction
        'sum'
        """
        return self._copy(reduction=_check_reduction(reduction))

    # -- symbolic views ---------------------------------------------------------------

    @cached_property
    def derivative(self) -> sp.Expr:
        r""":math:`\partial\ell/\partial\hat{y}` per element, from ``sympy.diff``, tidied.

        At kinks it follows PyTorch: :math:`\operatorname{sign}(0) = 0` (MAE), the step
        :math:`\theta(0) = 0` (hinge, quantile). It does not include the reduction's 1/n.
        """
        return _tidy_gradient(_derivative(self.expr, self.yhat))

    @property
    def gradient(self) -> sp.Expr:
        """The same as :attr:`derivative` (the name PyTorch users look for)."""
        return self.derivative

    @cached_property
    def numeric_expr(self) -> sp.Expr:
        """The expression the compiled value evaluates (``expr`` with clamps made explicit)."""
        return self._numeric(self._expr) if self._numeric else self._expr

    @cached_property
    def numeric_gradient(self) -> sp.Expr:
        """The derivative of ``numeric_expr`` as the compiled gradient evaluates it.

        Both keep every parameter as its symbol (values in :attr:`params`).
        """
        return _derivative(self.numeric_expr, self.yhat)

    def divisor(self, shape: tuple[int, ...]) -> int:
        """The *n* the reduction divides by, for a prediction array of this *shape* (1 for sum).

        >>> import symnn as sn
        >>> sn.loss("mse").divisor((4, 3)), sn.loss("cross_entropy").divisor((4, 3))
        (12, 4)
        """
        shape = tuple(shape)
        if self.reduction in ("sum", "none"):
            return 1
        if self.reduction == "batchmean":
            return shape[0] if shape else 1
        if self.rowwise:
            return math.prod(shape[:-1])
        return math.prod(shape)

    def _indexed(self, expr: sp.Expr, rows: bool) -> sp.Expr:
        sub = "ij" if rows else "i"
        return expr.xreplace(
            {yhat: sp.Symbol(f"yhat_{sub}", real=True), y: sp.Symbol(f"y_{sub}", real=True)}
        )

    def _sums(self, rows: bool) -> str:
        n = r"\sum_{i=1}^{n} "
        return n + r"\sum_{j=1}^{K} " if rows else n

    def _assemble(self, prefix: str, expr: sp.Expr, rows: bool, sums: bool) -> str:
        sign = ""
        if all_negative(expr):
            sign, expr = "-", -expr
        factor = r"\frac{1}{n} " if self.reduction != "sum" else ""
        body = tex(expr)
        if expr.is_Add and (sums or factor):
            body = rf"\left({body}\right)"
        total = sign + factor + (self._sums(rows) if sums else "") + body
        return f"{prefix} = {total}"

    def latex(self, order: int | str = 0, *, element: bool = False) -> str:
        r"""LaTeX of the reduced loss (``order=0``) or its gradient (``order=1``).

        The gradient :math:`\partial L/\partial\hat{y}_i` includes the reduction's
        :math:`1/n`; ``element=True`` gives one element's :math:`\ell(\hat{y}, y)` or
        :math:`\partial\ell/\partial\hat{y}` instead. (The older ``latex("gradient")``
        and ``latex("element")`` still work.)

        >>> import symnn as sn
        >>> print(sn.loss("mse").latex())
        L = \frac{1}{n} \sum_{i=1}^{n} \left(y_{i} - \hat{y}_{i}\right)^{2}
        >>> print(sn.loss("bce").latex())
        L = -\frac{1}{n} \sum_{i=1}^{n} \left(y_{i} \log{\left(\hat{y}_{i} \right)} + \left(1 - y_{i}\right) \log{\left(1 - \hat{y}_{i} \right)}\right)
        >>> print(sn.loss("mse").latex("gradient"))
        \frac{\partial L}{\partial \hat{y}_{i}} = \frac{- 2 y_{i} + 2 \hat{y}_{i}}{n}
        """
        part = latex_part(order, element, "loss")
        rows = self.rowwise or self.reduction == "batchmean"
        if part == "element_gradient":
            return rf"\frac{{\partial \ell}}{{\partial \hat{{y}}}} = {tex(self.derivative)}"
        if part == "element":
            if self.rowwise:
                expr = self.expr.xreplace(
                    {yhat: sp.Symbol("yhat_j", real=True), y: sp.Symbol("y_j", real=True)}
                )
                sign = "-" if all_negative(expr) else ""
                body = tex(-expr if sign else expr)
                if (-expr if sign else expr).is_Add:
                    body = rf"\left({body}\right)"
                return rf"\ell\left(\hat{{y}}, y\right) = {sign}\sum_{{j=1}}^{{K}} {body}"
            return rf"\ell\left(\hat{{y}}, y\right) = {tex(self.expr)}"
        if part == "loss":
            return self._assemble("L", self._indexed(self.expr, rows), rows, sums=True)
        var = r"\hat{y}_{ij}" if rows else r"\hat{y}_{i}"
        g = self._indexed(self.derivative, rows)
        if self.reduction != "sum":
            g = sp.piecewise_fold(g / _n)
        return rf"\frac{{\partial L}}{{\partial {var}}} = {tex(g)}"

    def _repr_latex_(self) -> str:
        return display([self.latex(0), self.latex(1)])

    def _param_text(self) -> str:
        params = "".join(f", {self.kwnames[p]}={v!r}" for p, v in self.params.items())
        options = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{params}{options}, reduction={self.reduction!r}"

    def __repr__(self) -> str:
        return f"Loss({self.name!r}{self._param_text()}): l(yhat, y) = {self.expr}"

    def __str__(self) -> str:
        return f"{self.name}: l(yhat, y) = {self.expr} ({self.reduction})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Loss):
            return NotImplemented
        return (type(self), self.name, self.expr, self.reduction, self.params, self.options) == (
            type(other),
            other.name,
            other.expr,
            other.reduction,
            other.params,
            other.options,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.expr, self.reduction))

    # -- numbers ----------------------------------------------------------------------

    def compiled(self, order: int = 0) -> CompiledFunction:
        """The compiled elementwise value (``order=0``) or derivative (``order=1``).

        They evaluate ``numeric_expr`` and ``numeric_gradient`` elementwise, without any
        reduction; ``.source`` shows the code.
        """
        if order not in (0, 1):
            raise ValueError(
                f"{self.name}: compiled(order) takes 0 (value) or 1 (gradient), got {order!r}"
            )
        if order not in self._compiled:
            expr = self.numeric_expr if order == 0 else self.numeric_gradient
            self._compiled[order] = compile_expr(
                expr,
                (yhat, y),
                params=self.params,
                names={**self.kwnames, yhat: "yhat", y: "y"},
                name=self.name if order == 0 else f"d_{self.name}",
            )
        return self._compiled[order]

    def validate(self, yhat_values: Any, y_values: Any) -> tuple[np.ndarray, np.ndarray]:
        """Check predictions and targets; return them as float arrays of the same shape.

        Class-index targets of row-wise losses come back one-hot. Raises ValueError for
        shape mismatches, NaN/inf, empty arrays and values outside the domains.
        """
        a = as_float_array(yhat_values, "yhat", self.name)
        raw_t = np.asarray(y_values) if not isinstance(y_values, np.ndarray) else y_values
        if raw_t.dtype.kind not in "biuf":
            raw_t = as_float_array(y_values, "y", self.name)
        if a.size == 0:
            raise ValueError(
                f"{self.name}: yhat is empty (shape {a.shape}); pass at least one prediction"
            )
        if self.rowwise and a.ndim == 0:
            raise ValueError(
                f"{self.name}: yhat must have a class axis (shape (K,) or (n, K)), got a scalar"
            )
        indices = self.rowwise and raw_t.shape == a.shape[:-1]
        if not indices and raw_t.shape != a.shape:
            raise ValueError(self._shape_message(a.shape, raw_t.shape))
        t = raw_t.astype(np.float64, copy=False)
        _check_finite(a, "yhat", self.name)
        _check_finite(t, "y", self.name)
        self._check_domain(a, self.input_domain, "yhat", "predictions")
        if indices:
            t = self._one_hot(t, a.shape[-1])
        else:
            self._check_domain(t, self.domain, "y", "targets")
        return a, t

    def _shape_message(self, got_a, got_t) -> str:
        if self.rowwise and len(got_a) >= 1:
            return (
                f"{self.name}: y has shape {got_t}, but yhat has shape {got_a}; pass targets of "
                f"shape {got_a} (one-hot or probability rows) or {got_a[:-1]} (class indices)"
            )
        return (
            f"{self.name}: yhat has shape {got_a} but y has shape {got_t}; pass arrays of the same "
            f"shape (symnn does not broadcast targets), e.g. y.reshape({got_a})"
        )

    def _check_domain(self, arr: np.ndarray, domain: Domain, what: str, role: str) -> None:
        if domain.is_real_line:
            return
        bad = ~domain.contains(arr)
        if bad.any():
            idx = _index(bad)
            value = float(arr[idx]) if arr.ndim else float(arr)
            hint = f"; {domain.hint}" if domain.hint else ""
            where = f" at index {idx}" if arr.ndim else ""
            raise ValueError(
                f"{self.name}: {role} {what} must be in {domain.text}, got {value!r}{where}{hint}"
            )

    def _one_hot(self, t: np.ndarray, k: int) -> np.ndarray:
        frac = t != np.round(t)
        if frac.any():
            idx = _index(frac) if t.ndim else ()
            raise ValueError(
                f"{self.name}: class indices must be integers, got {float(t[idx])!r} at index {idx}; "
                "pass integer labels 0..K-1 or one-hot/probability rows of yhat's shape"
            )
        out_of_range = (t < 0) | (t >= k)
        if out_of_range.any():
            idx = _index(out_of_range) if t.ndim else ()
            raise ValueError(
                f"{self.name}: class index {int(t[idx])} at index {idx} is out of range for {k} "
                f"classes; labels must be 0..{k - 1}"
            )
        return (t.astype(np.int64)[..., None] == np.arange(k)).astype(np.float64)

    def _unreduced(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        out = self.compiled(0)(a, t)
        return out.sum(axis=-1) if self.rowwise else out

    def _element_grad(self, a: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.compiled(1)(a, t)

    def elementwise(self, yhat_values: Any, y_values: Any) -> np.ndarray:
        """The unreduced losses (PyTorch's ``reduction="none"``): per element, or per row."""
        return self._unreduced(*self.validate(yhat_values, y_values))

    def value(self, yhat_values: Any, y_values: Any) -> float | np.ndarray:
        """The reduced loss *L* (a float); with ``reduction="none"`` the unreduced array."""
        a, t = self.validate(yhat_values, y_values)
        if self.reduction == "none":
            return self._unreduced(a, t)
        return float(np.sum(self._unreduced(a, t)) / self.divisor(a.shape))

    __call__ = value

    def grad(self, yhat_values: Any, y_values: Any) -> np.ndarray:
        r""":math:`\partial L/\partial\hat{y}` of the reduced loss (shape of yhat; mean's 1/n included).

        With ``reduction="none"`` it is each element's own derivative
        :math:`\partial\ell_i/\partial\hat{y}_i` (PyTorch's backward with a gradient of ones).
        """
        a, t = self.validate(yhat_values, y_values)
        g = np.asarray(self._element_grad(a, t), dtype=np.float64) / self.divisor(a.shape)
        return g

    # -- export (provided by symnn.export through symnn._hooks: imports point one way) ----

    def to_torch(self, reduction: str | None = None) -> Any:
        """This loss as a ``torch.nn.Module`` ``loss(yhat, y)`` (:func:`symnn.export.to_torch`)."""
        return _hooks.call("to_torch", self, reduction=reduction)

    def to_jax(self, reduction: str | None = None) -> Any:
        """This loss as a JAX function ``loss(yhat, y)`` (:func:`symnn.export.to_jax`)."""
        return _hooks.call("to_jax", self, reduction=reduction)


def _check_reduction(reduction: str) -> str:
    return check_choice("reduction", reduction, REDUCTIONS)


def _check_finite(arr: np.ndarray, what: str, name: str) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = _index(bad) if arr.ndim else ()
        value = float(arr[idx]) if arr.ndim else float(arr)
        where = f" at index {idx}" if arr.ndim else ""
        raise ValueError(
            f"{name}: {what} contains {value!r}{where}; losses need finite numbers "
            "(remove or impute missing values, check for overflow upstream)"
        )


# ------------------------------------------------------------------------------
# Softmax cross-entropy with logits: the fused, row-wise case
# ------------------------------------------------------------------------------

#: Number of classes, class index and summation index of the softmax cross-entropy.
K = sp.Symbol("K", integer=True, positive=True)
_j, _k = sp.symbols("j k", integer=True, positive=True)
_Z = sp.IndexedBase("yhat", real=True)
_T = sp.IndexedBase("y", real=True)


def _softmax_parts(z: np.ndarray):
    """Max-shifted exponentials: ``m``, the argmax, ``e = exp(z - m)``, ``s`` = sum of the others."""
    m = z.max(axis=-1, keepdims=True)
    top = z.argmax(axis=-1)[..., None]
    with np.errstate(over="ignore"):  # z - m may be -inf (logits 1e308 apart): exp gives 0
        e = np.exp(z - m)
    others = e.copy()
    np.put_along_axis(others, top, 0.0, axis=-1)
    s = others.sum(axis=-1, keepdims=True)
    return m, top, e, s


def softmax_cross_entropy_rows(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""Per-row :math:`-\sum_j y_j \log\operatorname{softmax}(z)_j`, stably.

    With :math:`m = \max_j z_j` and :math:`s = \sum_{j \ne \arg\max} e^{z_j - m}`,
    :math:`\log\sum_k e^{z_k} - z_j = (m - z_j) + \operatorname{log1p}(s)`: two non-negative
    terms, so neither overflow nor cancellation.

    >>> float(softmax_cross_entropy_rows(np.array([1000.0, 0.0]), np.array([0.0, 1.0])))
    1000.0
    """
    z = np.asarray(z, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    m, _, _, s = _softmax_parts(z)
    with np.errstate(over="ignore", invalid="ignore"):  # m - z may overflow; counts where t != 0
        gap = np.where(t != 0, t * (m - z), 0.0)
    return np.sum(gap, axis=-1) + np.sum(t, axis=-1) * np.log1p(s[..., 0])


def softmax_cross_entropy_grad(z: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""Per-row :math:`\operatorname{softmax}(z)\sum_k y_k - y` (``softmax(z) - y`` for one-hot y).

    Computed as :math:`p_j R_j - y_j Q_j` with :math:`Q_j = \sum_{k\ne j} p_k = 1 - p_j` and
    :math:`R_j = \sum_{k \ne j} y_k`, each summed directly at the largest entry, so that
    :math:`p_c - 1` for a confident correct class keeps all its digits.

    >>> softmax_cross_entropy_grad(np.array([40.0, 0.0]), np.array([1.0, 0.0]))
    array([-4.24835426e-18,  4.24835426e-18])
    """
    z = np.asarray(z, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    _, top, e, s = _softmax_parts(z)
    p = e / (1.0 + s)
    q = 1.0 - p
    np.put_along_axis(q, top, s / (1.0 + s), axis=-1)
    total = t.sum(axis=-1, keepdims=True)
    r = total - t
    ttop = t.argmax(axis=-1)[..., None]
    t_others = t.copy()
    np.put_along_axis(t_others, ttop, 0.0, axis=-1)
    np.put_along_axis(r, ttop, t_others.sum(axis=-1, keepdims=True), axis=-1)
    return p * r - t * q


class SoftmaxCrossEntropy(Loss):
    r"""Softmax cross-entropy on logits: :math:`\ell(z, y) = -\sum_j y_j \log\operatorname{softmax}(z)_j`.

    The row-wise, fused case: ``yhat`` and ``y`` are :class:`sympy.IndexedBase` objects over
    the class index *j* (1..K), ``expr`` is the loss of one sample and ``gradient`` is
    :math:`\partial\ell/\partial z_j`, derived by ``sympy.diff`` of the indexed sum and
    simplified with :math:`\sum_k y_k = 1` (targets are distributions; checked) to the
    famous :math:`\operatorname{softmax}(z)_j - y_j`. The numbers come from stable
    log-sum-exp kernels (:func:`softmax_cross_entropy_rows`, :func:`softmax_cross_entropy_grad`).

    Options, as PyTorch's ``cross_entropy``: ``label_smoothing`` :math:`\varepsilon` replaces
    the targets by :math:`(1-\varepsilon)y + \varepsilon/K`; ``weight`` (one per class) weighs
    each class's term, and the ``"mean"`` then divides by the total weight of the targets,
    :math:`\sum_i\sum_j w_j y_{ij}` (PyTorch does so for class-index targets; for probability
    targets it divides by the number of rows).
    """

    fused_softmax = True

    def __init__(
        self,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
        weight: tuple[float, ...] | None = None,
    ) -> None:
        smoothing = check_interval("softmax_cross_entropy option label_smoothing",
                                   label_smoothing, 0.0, 1.0, high_open=True)  # fmt: skip
        weights = None
        if weight is not None:
            weights = tuple(float(w) for w in as_float_array(weight, "weight").ravel())
            if not weights or any(not (math.isfinite(w) and w >= 0) for w in weights):
                raise ValueError(
                    "softmax_cross_entropy option weight must be finite class weights >= 0, "
                    f"one per class, got {weight!r}"
                )
        expr = -sp.Sum(
            _T[_j] * sp.log(sp.exp(_Z[_j]) / sp.Sum(sp.exp(_Z[_k]), (_k, 1, K))), (_j, 1, K)
        )
        self._setup(
            expr=expr,
            name="softmax_cross_entropy",
            reduction=_check_reduction(reduction),
            specs={},
            domain=Domain(
                "[0, 1] with rows summing to 1",
                0.0,
                1.0,
                hint="pass one-hot rows, probability rows or integer class indices",
            ),
            input_domain=REAL,
            rowwise=True,
            numeric=None,
            doc=SoftmaxCrossEntropy.__doc__ or "",
            options={"label_smoothing": smoothing, "weight": weights},
            prediction="logit",
            output="softmax",
            with_softmax="softmax_cross_entropy",
        )

    @property
    def yhat(self) -> sp.IndexedBase:
        return _Z

    @property
    def y(self) -> sp.IndexedBase:
        return _T

    @cached_property
    def derivative(self) -> sp.Expr:
        i = sp.Idx("i", (1, K))
        d = sp.simplify(sp.diff(self.expr, _Z[i]).doit())
        if isinstance(d, sp.Piecewise):  # (value, i <= K), (0, True): i is a class index
            d = d.args[0][0]
        d = d.replace(
            lambda e: isinstance(e, sp.Sum) and e.function == _T[e.variables[0]], lambda e: 1
        )
        return d.xreplace({i: _j})

    @property
    def numeric_gradient(self) -> sp.Expr:
        return self.derivative

    def compiled(self, order: int = 0):
        raise NotImplementedError(
            "softmax_cross_entropy is row-wise (a log-sum-exp over classes), not an elementwise "
            "expression; its numbers come from symnn.losses.softmax_cross_entropy_rows and "
            "softmax_cross_entropy_grad"
        )

    def validate(self, yhat_values: Any, y_values: Any) -> tuple[np.ndarray, np.ndarray]:
        a, t = super().validate(yhat_values, y_values)
        sums = t.sum(axis=-1)
        bad = np.abs(sums - 1.0) > ROW_SUM_TOL
        if bad.any():
            idx = _index(bad) if sums.ndim else ()
            raise ValueError(
                f"{self.name}: each target row must sum to 1 (a distribution over classes), but "
                f"row {idx} sums to {float(sums[idx])!r}; pass one-hot rows, probability rows or "
                "integer class indices (for independent 0/1 labels use 'binary_cross_entropy_with_logits')"
            )
        smoothing, weights = self.options["label_smoothing"], self.options["weight"]
        if smoothing:  # PyTorch's label smoothing: (1 - eps) y + eps / K
            t = (1.0 - smoothing) * t + smoothing / t.shape[-1]
        if weights is not None:
            if len(weights) != t.shape[-1]:
                raise ValueError(
                    f"{self.name}: weight has {len(weights)} class weights but yhat has "
                    f"{t.shape[-1]} classes; pass one weight per class"
                )
            t = t * np.asarray(weights)
        return a, t

    def divisor(self, shape: tuple[int, ...]) -> int:
        if self.options.get("weight") is not None and self.reduction == "mean":
            raise RuntimeError("weighted mean: use value() and grad(), which divide by weights")
        return super().divisor(shape)

    def value(self, yhat_values: Any, y_values: Any) -> float | np.ndarray:
        r"""The loss; with class weights the ``"mean"`` divides by the total weight of the
        targets, :math:`\sum_i \sum_j w_j y_{ij}`, as PyTorch does."""
        if self.options.get("weight") is None or self.reduction != "mean":
            return super().value(yhat_values, y_values)
        a, t = self.validate(yhat_values, y_values)
        return float(np.sum(self._unreduced(a, t)) / np.sum(t))

    def grad(self, yhat_values: Any, y_values: Any) -> np.ndarray:
        if self.options.get("weight") is None or self.reduction != "mean":
            return super().grad(yhat_values, y_values)
        a, t = self.validate(yhat_values, y_values)
        return np.asarray(self._element_grad(a, t), dtype=np.float64) / np.sum(t)

    def _unreduced(self, a, t):
        return softmax_cross_entropy_rows(a, t)

    def _element_grad(self, a, t):
        return softmax_cross_entropy_grad(a, t)

    def _indexed(self, expr, rows):
        i = sp.Symbol("i", integer=True, positive=True)
        z2, t2 = sp.IndexedBase("yhat", real=True), sp.IndexedBase("y", real=True)

        def two(e):
            return (z2 if e.base == _Z else t2)[i, e.indices[0]]

        return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in (_Z, _T), two)

    def latex(self, order: int | str = 0, *, element: bool = False) -> str:
        r"""LaTeX of the loss, one sample's loss (``element=True``) or the gradient (``order=1``).

        >>> import symnn as sn
        >>> print(sn.loss("cross_entropy").latex("gradient"))
        \frac{\partial L}{\partial {\hat{y}}_{i,j}} = \frac{1}{n} \left(\frac{e^{{\hat{y}}_{i,j}}}{\sum_{k=1}^{K} e^{{\hat{y}}_{i,k}}} - {y}_{i,j}\right)
        """
        part = latex_part(order, element, "loss")
        factor = r"\frac{1}{n} " if self.reduction != "sum" and part != "element_gradient" else ""

        def sample(z, t, j):
            softmax = sp.exp(z[j]) / sp.Sum(sp.exp(z[_k]), (_k, 1, K))
            return rf"\sum_{{j=1}}^{{K}} {tex(t[j])} \log{{\left({tex(softmax)}\right)}}"

        if part == "element":
            return rf"\ell\left(\hat{{y}}, y\right) = -{sample(_Z, _T, _j)}"
        i = sp.Symbol("i", integer=True, positive=True)
        if part == "loss":
            z2, t2 = (_IndexedRow("yhat", i), _IndexedRow("y", i))
            return rf"L = -{factor}\sum_{{i=1}}^{{n}} {sample(z2, t2, _j)}"
        g = self._indexed(self.derivative, True)
        body = tex(g)
        if factor and g.is_Add:
            body = rf"\left({body}\right)"
        z_ij = tex(sp.IndexedBase("yhat", real=True)[i, _j])
        return rf"\frac{{\partial L}}{{\partial {z_ij}}} = {factor}{body}"


class _IndexedRow:
    """``base[j] -> base[i, j]``: the row *i* of an indexed base, for LaTeX of sums over samples."""

    def __init__(self, name: str, i: sp.Symbol) -> None:
        self.base, self.i = sp.IndexedBase(name, real=True), i

    def __getitem__(self, j):
        return self.base[self.i, j]
