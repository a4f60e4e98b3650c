r"""Derivations of the catalogue's functions, and "check my answer".

:func:`derive_function` turns an :class:`~symnn.catalogue.activation.Activation`, a
:class:`~symnn.catalogue.loss.Loss` (differentiated with respect to the prediction
:math:`\hat{y}`), a catalogue name, a formula string or a SymPy expression into a
step-by-step :class:`~symnn.expr.derive.Derivation` (the rules live in
:mod:`symnn.expr.derive`, which knows no catalogue).  The last step is the
catalogue's own derivative (``activation.derivative``, ``loss.derivative``), and it is
proved equal to ``sympy.diff``.

Softmax with cross-entropy, whose loss is a sum over classes, gets its own derivation
(:func:`softmax_cross_entropy_derivation`): from
:math:`\ell = -\sum_k y_k \log \operatorname{softmax}_k(z)` to
:math:`\partial \ell/\partial z_i = \operatorname{softmax}_i(z) - y_i`.

:func:`check_derivative` says whether a student's derivative is right.

>>> import symnn as sn
>>> print(derive_function(sn.activation("tanh")))
d/dx [tanh(x)]
1. Hyperbolic tangent: tanh' = 1 - tanh²: the derivative written with tanh itself (= sech^2).
   d/dx [tanh(x)] = 1 - tanh(x)**2
Result: tanh'(x) = 1 - tanh(x)**2
(checked: equals sympy.diff with symnn's kink conventions; identical)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from symnn.catalogue.activation import Activation
from symnn.catalogue.activations import REGISTRY as ACTIVATIONS
from symnn.catalogue.activations import activation
from symnn.catalogue.loss import Loss
from symnn.catalogue.losses import REGISTRY as LOSSES
from symnn.catalogue.losses import loss
from symnn.expr.derive import (
    Derivation,
    DerivationError,
    M,
    Proof,
    Sentence,
    Step,
    derive_expr,
    find_wrong_step,
    prove_equal,
)
from symnn.expr.parse import parse
from symnn.expr.symbolic import derivative

__all__ = [
    "Check",
    "check_derivative",
    "derive_function",
    "softmax_cross_entropy_derivation",
]


def derive_function(f: Activation | Loss | str | sp.Expr, wrt: sp.Symbol | str | None = None) -> Derivation:
    r"""The step-by-step derivative of an activation, a loss (w.r.t. :math:`\hat{y}`), a
    catalogue name, a formula or a SymPy expression.

    >>> d = derive_function("relu")
    >>> d.result
    Piecewise((0, x <= 0), (1, True))
    >>> print(d.root.notes[0])
    At the kink x = 0 the derivative is taken from the branch x <= 0, whose condition holds there: 0 (symnn's convention, as PyTorch).
    >>> derive_function("mse").result
    2*(-y + yhat)
    """
    if isinstance(f, str):
        name = f.strip()
        if ACTIVATIONS.knows(name):
            f = activation(name)
        elif LOSSES.knows(name):
            f = loss(name)
    if isinstance(f, Activation):
        x = f.symbol if wrt is None or str(wrt) == f.symbol.name else wrt
        if x is f.symbol:
            return derive_expr(f.expr, x, target=f.derivative, values=f.params,
                               name=f.name, tex_name=f.tex)  # fmt: skip
        return derive_expr(f.expr, x, values={**f.params, f.symbol: 0.7})
    if isinstance(f, Loss):
        if f.fused_softmax:
            return softmax_cross_entropy_derivation()
        x = f.yhat if wrt is None or str(wrt) == "yhat" else wrt
        if x is f.yhat:
            return derive_expr(f.expr, x, target=f.derivative, values=f.params, name=f.name)
        return derive_expr(f.expr, x, values=f.params)
    if isinstance(f, str):
        f = parse(f)
    return derive_expr(f, wrt)


def softmax_cross_entropy_derivation(K: int = 3) -> Derivation:
    r"""How :math:`\partial\ell/\partial z_i = \operatorname{softmax}_i(z) - y_i` comes out for
    :math:`\ell = -\sum_k y_k \log \operatorname{softmax}_k(z)` with one-hot :math:`y`.

    The steps are written for any number of classes; the result is checked against
    ``sympy.diff`` of the loss written out for *K* classes (with :math:`\sum_k y_k = 1`).

    >>> d = softmax_cross_entropy_derivation()
    >>> d.result
    -y_i + exp(z_i)/Sum(exp(z[k]), (k, 1, K))
    >>> d.proof.equal
    True
    >>> [s.rule for _, s in d.walk()]
    ['rewrite', 'sum', 'sum', 'chain', 'log', 'exp', 'simplify']
    """
    _i, j, k, Kc = sp.symbols("i j k K", integer=True, positive=True)
    z, y = sp.IndexedBase("z", real=True), sp.IndexedBase("y", real=True)
    zi = sp.Symbol("z_i", real=True)
    yi = sp.Symbol("y_i", real=True)
    S = sp.Sum(sp.exp(z[k]), (k, 1, Kc))
    soft_j = sp.exp(z[j]) / S
    soft_i = sp.exp(zi) / S
    loss_expr = -sp.Sum(y[j] * sp.log(soft_j), (j, 1, Kc))
    lse = sp.log(S)
    one_hot = -sp.Sum(y[j] * z[j], (j, 1, Kc)) + lse
    s1 = Step(
        "rewrite", loss_expr, one_hot, zi,
        Sentence("write ", M("log softmax_j(z) = z_j - log Σ_k e^(z_k)",
                             r"\log \operatorname{softmax}_j(z) = z_j - \log \sum_k e^{z_k}"),
                 " (the log of a quotient): the loss is a linear part plus a log-sum-exp, "
                 "whose factor ", M("Σ_j y_j", r"\sum_j y_j"), " is 1 for a one-hot target."),
    )  # fmt: skip
    lin = Step(
        "sum", -sp.Sum(y[j] * z[j], (j, 1, Kc)), -yi, zi,
        Sentence("only the term ", M("j = i", "j = i"), " of the sum depends on ",
                 M("z_i", "z_i"), ": its derivative is ", -yi, "."),
    )  # fmt: skip
    u = sp.Symbol("u", positive=True)
    outer = Step("log", sp.log(u), 1 / u, u,
                 Sentence(M("(ln u)' = 1/u", r"(\ln u)' = \frac{1}{u}"), "."))  # fmt: skip
    inner = Step("exp", S, sp.exp(zi), zi,
                 Sentence("only ", M("e^(z_i)", "e^{z_i}"), " in the sum depends on ",
                          M("z_i", "z_i"), ", and ", M("(eᵘ)' = eᵘ", "(e^u)' = e^u"), "."))  # fmt: skip
    chain = Step(
        "chain", lse, soft_i, zi,
        Sentence("set ", u, " = ", S, "; then the derivative is ", M("u'/u", r"\frac{u'}{u}"),
                 ", which is ", M("softmax_i(z)", r"\operatorname{softmax}_i(z)"), "."),
        (outer, inner), substitution=(u, S),
    )  # fmt: skip
    result = soft_i - yi
    top = Step("sum", one_hot, result, zi,
               Sentence("differentiate term by term."), (lin, chain))  # fmt: skip
    simplify = Step("simplify", result, result, zi,
                    Sentence("so ", M("∂ℓ/∂z_i = softmax_i(z) - y_i",
                                      r"\frac{\partial \ell}{\partial z_i} = "
                                      r"\operatorname{softmax}_i(z) - y_i"),
                             ": the output error of softmax with cross-entropy."))  # fmt: skip
    # the check: K classes written out, y_K = 1 - the others
    zs = sp.symbols(f"z1:{K + 1}", real=True)
    ys = list(sp.symbols(f"y1:{K}", real=True))
    ys.append(1 - sum(ys))
    total = sum(sp.exp(t) for t in zs)
    concrete = -sum(yk * sp.log(sp.exp(zk) / total) for yk, zk in zip(ys, zs, strict=True))
    true = derivative(concrete, zs[0])
    claimed = sp.exp(zs[0]) / total - ys[0]
    proof = prove_equal(claimed, true, zs[0], {s: sp.Rational(1, 5) * (n + 1) for n, s in enumerate([*zs[1:], *ys[:-1]])})
    if not proof.equal:  # pragma: no cover - a bug in the steps above
        raise DerivationError(f"softmax cross-entropy: {proof.route}; please report this bug")
    proof = Proof(True, f"{proof.route} (for {K} classes written out)")
    return Derivation(loss_expr, zi, (s1, top, simplify), result, proof,
                      "softmax_cross_entropy", None)  # fmt: skip


@dataclass(frozen=True)
class Check:
    r"""The verdict of :func:`check_derivative`.

    ``correct`` says whether the answer is right; ``route`` how that was established;
    for a wrong answer ``point`` is a counterexample with the ``true`` and the student's
    (``given``) value there, and ``step`` the number and rule of the first step of the
    correct derivation where the answer goes wrong, when one could be found.
    """

    correct: bool
    expr: sp.Expr
    answer: sp.Expr
    wrt: sp.Symbol
    derivation: Derivation
    route: str
    point: dict | None = None
    true: sp.Expr | None = None
    given: sp.Expr | None = None
    step: tuple[str, Step] | None = None

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        x = self.wrt
        head = f"d/d{x} [{sp.sstr(self.expr)}] = {sp.sstr(self.answer)}"
        if self.correct:
            return f"correct: {head}\nproof: {self.route}"
        where = ", ".join(f"{s} = {sp.sstr(v)}" for s, v in (self.point or {}).items())
        lines = [
            f"wrong: {head}",
            f"at {where}: the derivative is {sp.sstr(self.true)}, the answer gives {sp.sstr(self.given)}",
            f"the right answer: {sp.sstr(self.derivation.result)}",
        ]
        if self.step is not None:
            number, step = self.step
            lines.append(
                f"first wrong step: {number}. {step.title}: {step.equation_text()}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Check: {'correct' if self.correct else 'wrong'}>"


def check_derivative(
    f: Activation | Loss | str | sp.Expr,
    answer: str | sp.Expr,
    wrt: sp.Symbol | str | None = None,
) -> Check:
    r"""Is *answer* the derivative of *f*?  With the proof route, or a counterexample.

    The answer is right when it equals the derivative symbolically, or numerically at
    many points to 30 digits (exactly at the kinks, where symnn's convention decides the
    value).  A wrong answer gets a point where the two differ, both values there, and the
    first step of the correct derivation that the answer gets wrong (a missing chain
    factor, a sign, a product-rule term), when that can be found.

    >>> c = check_derivative("sigmoid(x)", "sigmoid(x)*(1 - sigmoid(x))")
    >>> c.correct, c.route
    (True, 'identical')
    >>> c = check_derivative("sin(x^2)", "cos(x^2)")
    >>> c.correct, c.point, c.true, c.given
    (False, {x: 1}, 2*cos(1), cos(1))
    >>> c.step[0], c.step[1].title
    ('1', 'Chain rule')
    """
    d = derive_function(f, wrt)
    names = {s.name: s for s in d.expr.free_symbols | {d.wrt} if isinstance(s, sp.Symbol)}
    given = parse(answer.replace("ŷ", "yhat")) if isinstance(answer, str) else sp.sympify(answer)
    given = given.xreplace({s: names[s.name] for s in given.free_symbols
                            if isinstance(s, sp.Symbol) and s.name in names})  # fmt: skip
    values = _params(f)
    extra = {s for s in given.free_symbols if s not in d.expr.free_symbols and s != d.wrt}
    if extra:
        raise ValueError(
            f"the answer {sp.sstr(given)} has the symbol(s) "
            f"{', '.join(sorted(str(s) for s in extra))}, which {sp.sstr(d.expr)} does not have; "
            f"write the derivative in {', '.join(sorted(names))}"
        )
    proof = prove_equal(given, d.result, d.wrt, values)
    if proof.equal:
        return Check(True, d.expr, given, d.wrt, d, proof.route)
    point, true, got = proof.point, proof.got, proof.expected
    if point is None:
        return Check(False, d.expr, given, d.wrt, d, proof.route)
    step = find_wrong_step(d, given, values)
    return Check(False, d.expr, given, d.wrt, d, proof.route, point, true, got, step)


def _params(f: object) -> dict:
    if isinstance(f, str) and ACTIVATIONS.knows(f.strip()):
        return activation(f.strip()).params
    if isinstance(f, str) and LOSSES.knows(f.strip()):
        return loss(f.strip()).params
    if isinstance(f, (Activation, Loss)):
        return f.params
    return {}
