r"""Weight penalties (L1, L2, elastic net), defined once in SymPy, and objectives loss + penalty.

A regulariser is a penalty :math:`r(w)` on one weight, summed over all the weights it is
applied to: :math:`R = \sum_j r(w_j)`. The gradient comes from ``sympy.diff`` (L1's
subgradient is :math:`\lambda\operatorname{sign}(w)`, 0 at :math:`w = 0`), the LaTeX from
SymPy, the numbers from :func:`symnn.compile`.

Conventions
-----------
* L1: :math:`\lambda |w|`.
* L2: :math:`\frac{\lambda}{2} w^2`, so that its gradient is :math:`\lambda w` -- the same
  update as PyTorch's ``weight_decay=lam`` with plain SGD and as the textbook
  :math:`\frac{\lambda}{2}\|w\|^2`. (Keras's ``L2(l)`` is :math:`l\,w^2`: ``lam = 2*l``.)
* Elastic net: :math:`\lambda\left(\rho|w| + \frac{1 - \rho}{2} w^2\right)` with
  :math:`\rho` = ``l1_ratio`` (scikit-learn's ``ElasticNet``/``SGDRegressor`` convention).
* The penalty is **not** divided by the number of samples: the objective is
  :math:`L + R` whatever the loss's reduction (scikit-learn's MLP instead uses
  :math:`\frac{\alpha}{2n}\|w\|^2`).

>>> import symnn as sn
>>> from symnn.catalogue.losses import loss
>>> l2 = regularizer("l2", lam=0.1)
>>> l2.expr, l2.derivative
(w**2/20, w/10)
>>> print(regularizer("l1").latex())
R = \lambda \sum_{j} \left|{w_{j}}\right|
>>> objective = loss("sse") + regularizer("l1")
>>> print(objective.latex())
L = \sum_{i=1}^{n} \left(y_{i} - \hat{y}_{i}\right)^{2} + \lambda \sum_{j} \left|{w_{j}}\right|
>>> objective.value([1.0], [0.0], weights=[np.array([-2.0, 0.0, 3.0])])
1.0005
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import sympy as sp

from symnn._tex import display, latex_part
from symnn._tex import latex as tex
from symnn._validation import exact_number, unknown_parameter
from symnn.catalogue.loss import Loss, _check_finite
from symnn.catalogue.registry import Entry, ParamSpec, Registry, nonnegative, unit
from symnn.compiler import CompiledFunction
from symnn.compiler import compile as compile_expr
from symnn.expr.symbolic import tidy

__all__ = ["Objective", "Regularizer", "regularizer", "regularizers", "w"]

#: The weight symbol of every penalty.
w = sp.Symbol("w", real=True)


def _as_weight_arrays(weights: Any, owner: str) -> list[np.ndarray]:
    if isinstance(weights, np.ndarray) or np.isscalar(weights):
        weights = [weights]
    out = []
    for k, arr in enumerate(weights):
        try:
            a = np.asarray(arr, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"{owner}: weights must be arrays of numbers, not {type(arr).__name__} {arr!r}"
            ) from None
        _check_finite(a, f"weight array {k}", owner)
        out.append(a)
    return out


class Regularizer:
    r"""A penalty :math:`r(w)` per weight; the regulariser is :math:`R = \sum_j r(w_j)`.

    Build them with :func:`regularizer`; ``expr``, ``gradient``, ``latex()``, and compiled
    ``penalty(weights)`` / ``grad(w)`` are derived from the one expression.
    """

    def __init__(self, name: str, expr: sp.Expr, specs: dict[str, ParamSpec], doc: str = ""):
        self.name: str = name
        self.expr: sp.Expr = expr
        self._specs = specs
        self.doc = doc
        self._compiled: dict[int, CompiledFunction] = {}

    @property
    def w(self) -> sp.Symbol:
        """The weight symbol of ``expr``."""
        return w

    @property
    def params(self) -> dict[sp.Symbol, float]:
        """Parameter symbols still free in ``expr`` and their defaults."""
        return {s.sympy_symbol(): s.default for s in self._specs.values()}

    @cached_property
    def derivative(self) -> sp.Expr:
        r""":math:`dr/dw` from ``sympy.diff``, tidied; :math:`\operatorname{sign}(0) = 0` for L1."""
        return tidy(sp.diff(self.expr, w))

    @property
    def gradient(self) -> sp.Expr:
        """The same as :attr:`derivative`."""
        return self.derivative

    def with_params(self, **values: Any) -> Regularizer:
        """A copy with parameters replaced by numbers.

        >>> regularizer("elastic_net").with_params(lam=1, l1_ratio=0.5).expr
        w**2/4 + Abs(w)/2
        """
        subs = {}
        for kw, value in values.items():
            if kw not in self._specs:
                raise unknown_parameter(self.name, kw, self._specs)
            number = exact_number(value, f"{self.name} parameter {kw}")
            if number.is_number:
                self._specs[kw].check(number, self.name)
            subs[self._specs[kw].sympy_symbol()] = number
        specs = {k: s for k, s in self._specs.items() if k not in values}
        return Regularizer(self.name, self.expr.xreplace(subs), specs, self.doc)

    # -- LaTeX ------------------------------------------------------------------------

    def _sumtex(self) -> str:
        coeff, per = sp.factor_terms(self.expr).as_independent(w, as_Add=False)
        per = per.xreplace({w: sp.Symbol("w_j", real=True)})
        body = tex(per)
        if per.is_Add:
            body = rf"\left({body}\right)"
        lead = "" if coeff == 1 else tex(coeff) + " "
        return rf"{lead}\sum_{{j}} {body}"

    def latex(self, order: int | str = 0, *, element: bool = False) -> str:
        r"""The penalty :math:`R` over all weights (``order=0``) or its gradient (``order=1``).

        ``element=True`` gives one weight's :math:`r(w)` instead of the sum.

        >>> print(regularizer("l2").latex())
        R = \frac{\lambda}{2} \sum_{j} w_{j}^{2}
        >>> print(regularizer("l1").latex("gradient"))
        \frac{\partial R}{\partial w_{j}} = \lambda \operatorname{sign}{\left(w_{j} \right)}
        """
        part = latex_part(order, element, "penalty")
        if part == "penalty":
            return f"R = {self._sumtex()}"
        if part == "element":
            return f"r(w) = {tex(sp.factor_terms(self.expr))}"
        g = self.derivative.xreplace({w: sp.Symbol("w_j", real=True)})
        return rf"\frac{{\partial R}}{{\partial w_{{j}}}} = {tex(g)}"

    def _repr_latex_(self) -> str:
        return display([self.latex(0), self.latex(1)])

    def __repr__(self) -> str:
        params = "".join(f", {kw}={s.default!r}" for kw, s in self._specs.items())
        return f"Regularizer({self.name!r}{params}): r(w) = {self.expr}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Regularizer):
            return NotImplemented
        return (self.name, self.expr, self.params) == (other.name, other.expr, other.params)

    def __hash__(self) -> int:
        return hash((self.name, self.expr))

    # -- numbers ----------------------------------------------------------------------

    def compiled(self, order: int = 0) -> CompiledFunction:
        """The compiled elementwise penalty (``order=0``) or its derivative (``order=1``)."""
        if order not in (0, 1):
            raise ValueError(
                f"{self.name}: compiled(order) takes 0 (penalty) or 1 (gradient), got {order!r}"
            )
        if order not in self._compiled:
            kwnames = {s.sympy_symbol(): kw for kw, s in self._specs.items()}
            self._compiled[order] = compile_expr(
                self.expr if order == 0 else self.derivative,
                (w,),
                params=self.params,
                names={**kwnames, w: "w"},
                name=self.name if order == 0 else f"d_{self.name}",
            )
        return self._compiled[order]

    def penalty(self, weights: Any) -> float:
        r""":math:`R = \sum_j r(w_j)` over one array or a list of arrays (e.g. every layer's W)."""
        return float(
            sum(np.sum(self.compiled(0)(a)) for a in _as_weight_arrays(weights, self.name))
        )

    __call__ = penalty

    def grad(self, weights: Any) -> np.ndarray:
        r""":math:`\partial R/\partial w` elementwise, with the shape of *weights* (one array)."""
        (a,) = _as_weight_arrays([weights], self.name)
        return np.asarray(self.compiled(1)(a), dtype=np.float64)

    # -- objectives ---------------------------------------------------------------------

    def __radd__(self, other: object) -> Objective:
        if isinstance(other, Loss):
            return Objective(other, [self])
        return NotImplemented

    def __add__(self, other: object) -> Objective:
        if isinstance(other, Loss):
            return Objective(other, [self])
        return NotImplemented


class Objective:
    r"""A loss plus penalties: :math:`J = L(\hat{y}, y) + \sum_r R_r(w)`.

    Made by ``loss + regularizer`` (or ``Objective(loss, [reg, ...])``). The penalties
    apply to the weight arrays passed in ``weights`` (typically every layer's W, not the
    biases).
    """

    def __init__(self, loss: Loss, regularizers: Iterable[Regularizer] = ()) -> None:
        if not isinstance(loss, Loss):
            raise TypeError(f"an objective needs a Loss, not {type(loss).__name__} {loss!r}")
        regs = list(regularizers)
        for r in regs:
            if not isinstance(r, Regularizer):
                raise TypeError(f"penalties must be Regularizer objects, not {r!r}")
        self.loss: Loss = loss
        self.regularizers: list[Regularizer] = regs

    def __add__(self, other: object) -> Objective:
        if isinstance(other, Regularizer):
            return Objective(self.loss, [*self.regularizers, other])
        return NotImplemented

    def latex(self) -> str:
        """The whole objective, the loss written out and each penalty summed over the weights."""
        return " + ".join([self.loss.latex(), *(r._sumtex() for r in self.regularizers)])

    def _repr_latex_(self) -> str:
        return rf"$\displaystyle {self.latex()}$"

    def __repr__(self) -> str:
        regs = " + ".join(repr(r) for r in self.regularizers)
        return f"Objective({self.loss!r} + {regs})"

    def value(self, yhat_values: Any, y_values: Any, weights: Any = None) -> float:
        r""":math:`L + \sum R`: the reduced loss plus every penalty over *weights* (arrays)."""
        total = self.loss.value(yhat_values, y_values)
        if weights is None:
            return total
        return total + self.penalty(weights)

    def penalty(self, weights: Any) -> float:
        """The sum of the penalties over *weights*."""
        return float(sum(r.penalty(weights) for r in self.regularizers))

    def penalty_grad(self, weights: Any) -> np.ndarray:
        """The gradient of the penalties with respect to one weight array."""
        (a,) = _as_weight_arrays([weights], "objective")
        out = np.zeros_like(a)
        for r in self.regularizers:
            out = out + r.grad(a)
        return out


# ------------------------------------------------------------------------------
# The catalogue
# ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RegularizerEntry(Entry):
    """One regulariser: the penalty of one weight as a function of the parameter symbols."""

    build: Callable[..., sp.Expr]


REGISTRY: Registry[RegularizerEntry] = Registry("regularizer", "symnn.regularizers()")
_DEFAULT_LAM = 1e-4  # scikit-learn's MLP alpha


def _define(name: str, build: Callable[..., sp.Expr], **fields: Any) -> None:
    REGISTRY.add(RegularizerEntry(name=name, build=build, **fields))


def regularizers() -> list[str]:
    """The names of every regulariser.

    >>> regularizers()
    ['l1', 'l2', 'elastic_net']
    """
    return REGISTRY.names()


def regularizer(name: str | Regularizer, **params: Any) -> Regularizer:
    """Look up a regulariser by name; ``lam`` (and ``l1_ratio``) set its parameters.

    >>> regularizer("ridge", lam=0.01)
    Regularizer('l2'): r(w) = w**2/200
    >>> regularizer("ridg")
    Traceback (most recent call last):
    ...
    ValueError: unknown regularizer 'ridg'; did you mean 'ridge'? (symnn.regularizers() lists them all)
    """
    if isinstance(name, Regularizer):
        return name.with_params(**params) if params else name
    entry = REGISTRY.lookup(name)
    base = Regularizer(
        entry.name,
        entry.build(**{p.name: p.sympy_symbol() for p in entry.params}),
        {p.name: p for p in entry.params},
        entry.doc,
    )
    return base.with_params(**params) if params else base


_LAM = nonnegative("lam", _DEFAULT_LAM, symbol="lambda")
_define(
    "l1",
    lambda lam: lam * sp.Abs(w),
    params=(_LAM,),
    aliases=("lasso",),
    doc=r"""L1 (lasso) :math:`\lambda|w|`; subgradient :math:`\lambda\operatorname{sign}(w)`, 0 at 0.""",
)
_define(
    "l2",
    lambda lam: lam / 2 * w**2,
    params=(_LAM,),
    aliases=("ridge", "weight_decay", "tikhonov"),
    doc=r"""L2 (ridge, weight decay) :math:`\frac{\lambda}{2}w^2`; gradient :math:`\lambda w`.""",
)
_define(
    "elastic_net",
    lambda lam, l1_ratio: lam * (l1_ratio * sp.Abs(w) + (1 - l1_ratio) / 2 * w**2),
    params=(_LAM, unit("l1_ratio", 0.5, symbol="rho")),
    aliases=("elasticnet",),
    doc=r"""Elastic net :math:`\lambda(\rho|w| + \frac{1-\rho}{2}w^2)`, :math:`\rho` = ``l1_ratio`` = 0.5.""",
)
