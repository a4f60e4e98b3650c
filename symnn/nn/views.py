r"""The two symbolic views of a network: matrix form and expanded form.

*Matrix form* (any size): the forward pass, and the backpropagation equations
with the network's own activation and loss derivatives substituted,

.. math::

    \delta_L = \frac{\partial L}{\partial Z_L}, \qquad
    \delta_l = \left(\delta_{l+1} W_{l+1}^\top\right) \odot f_l'(Z_l), \qquad
    \frac{\partial L}{\partial W_l} = A_{l-1}^\top \delta_l, \qquad
    \frac{\partial L}{\partial b_l} = \mathbf{1}^\top \delta_l .

*Expanded form* (small networks): every weight a scalar symbol
:math:`w^{(l)}_{ij}`, the loss of one sample as one SymPy expression, and
:math:`\partial L / \partial w` for every weight from ``sympy.diff``.
The two agree numerically; that is a test.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import mpmath  # sympy's own dependency
import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.printer import Printer
from sympy.printing.str import StrPrinter

from symnn._tex import aligned
from symnn._validation import exact_number
from symnn.expr.symbolic import kink_conventions
from symnn.nn.netcode import A_SYMBOL, Z_SYMBOL

__all__ = ["Backprop", "Equation", "Expanded", "Formula", "backprop", "expanded", "formula"]

#: The largest network (in scalar parameters) that :func:`expanded` writes out.
MAX_EXPANDED_PARAMS = 120


# -- printing elementwise products of matrices -------------------------------------------


def _positive_first(printer, expr, order=None):
    """Sum terms with the positive ones first: ``Ŷ - Y`` and ``1 - A``, not ``-Y + Ŷ``."""
    # SymPy's generic term order (Printer's), which LatexPrinter/StrPrinter refine; we refine
    # it once more: the same order, with the terms that carry a minus sign last
    terms = list(Printer._as_ordered_terms(printer, expr, order))
    return sorted(terms, key=lambda t: t.could_extract_minus_sign())


class _HadamardLatex(LatexPrinter):
    r"""Products of matrix-valued factors print with :math:`\odot`, powers as :math:`A^{\circ 2}`."""

    _as_ordered_terms = _positive_first

    def _print_Mul(self, expr):
        if not expr.is_Mul:  # SymPy prints 1/n through _print_Mul
            return LatexPrinter._print_Mul(self, expr)
        coeff = sp.Mul(*[f for f in expr.args if f.is_number])
        factors = [f for f in expr.args if not f.is_number]
        parts = []
        for f in factors:
            s = self._print(f)
            if f.is_Add:
                s = rf"\left({s}\right)"
            parts.append(s)
        body = r" \odot ".join(parts)
        if coeff == -1:
            return "-" + body
        if coeff != 1:
            c = LatexPrinter._print_Mul(self, coeff) if coeff.is_Mul else self._print(coeff)
            return rf"{c} \, {body}"
        return body

    def _print_Pow(self, expr):
        if expr.exp.is_Integer and expr.exp > 0:
            base = self._print(expr.base)
            if not expr.base.is_Symbol:
                base = rf"\left({base}\right)"
            return rf"{base}^{{\circ {expr.exp}}}"
        return super()._print_Pow(expr)


class _HadamardStr(StrPrinter):
    _as_ordered_terms = _positive_first

    def __init__(self, names=None):
        super().__init__()
        self._names = names or {}

    def _print_Symbol(self, expr):
        return self._names.get(expr, expr.name)

    def _print_Piecewise(self, expr):
        parts = []
        for value, cond in expr.args:
            if cond is sp.true:
                parts.append(self._print(value))
            else:
                parts.append(f"{self._print(value)} if {self._print(cond)} else")
        return "(" + " ".join(parts) + ")"

    def _print_Mul(self, expr):
        if not expr.is_Mul:
            return StrPrinter._print_Mul(self, expr)
        coeff = sp.Mul(*[f for f in expr.args if f.is_number])
        factors = [f for f in expr.args if not f.is_number]
        parts = [f"({self._print(f)})" if f.is_Add else self._print(f) for f in factors]
        body = " ⊙ ".join(parts)
        if coeff == -1:
            return "-" + body
        if coeff != 1:
            return f"{StrPrinter._print_Mul(self, coeff) if coeff.is_Mul else self._print(coeff)}·{body}"
        return body

    def _print_Pow(self, expr):
        if expr.exp.is_Integer and expr.exp > 1 and not expr.base.is_number:
            base = self._print(expr.base)
            return f"{base}^{expr.exp}" if expr.base.is_Symbol else f"({base})^{expr.exp}"
        return super()._print_Pow(expr)


def _tex(expr) -> str:
    return _HadamardLatex().doprint(expr)


def _text(expr) -> str:
    names = {s: _plain_name(s.name) for s in expr.free_symbols}
    return _HadamardStr(names).doprint(expr)


def _plain_name(tex: str) -> str:
    """``\\hat{Y}`` -> ``Ŷ``, ``A_{1}`` -> ``A1``."""
    return tex.replace(r"\hat{Y}", "Ŷ").replace("_{", "").replace("}", "")


# -- equations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Equation:
    """One named equation: ``lhs = rhs``, as LaTeX and as plain text."""

    name: str
    lhs: str
    rhs: str
    text: str
    expr: sp.Basic | None = None  # the elementwise SymPy expression, where there is one

    def latex(self) -> str:
        return f"{self.lhs} = {self.rhs}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class _Equations:
    equations: tuple[Equation, ...]
    title: str = ""

    def latex(self) -> str:
        """An ``aligned`` block of all the equations."""
        return aligned(eq.latex() for eq in self.equations)

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def to_latex_document(self) -> str:
        """The equations as a standalone ``article`` (amsmath), long ones broken across lines."""
        from symnn._tex import broken_display, document

        body = "\n".join(broken_display(eq.lhs, eq.rhs) for eq in self.equations)
        return document(body, self.title.capitalize() if self.title else None)

    def __str__(self) -> str:
        return "\n".join(eq.text for eq in self.equations)

    def __repr__(self) -> str:
        return str(self)

    def __iter__(self):
        return iter(self.equations)

    def __len__(self) -> int:
        return len(self.equations)

    def __getitem__(self, key: str | int) -> Equation:
        if isinstance(key, int):
            return self.equations[key]
        for eq in self.equations:
            if eq.name == key:
                return eq
        names = ", ".join(eq.name for eq in self.equations)
        raise KeyError(f"no equation {key!r}; the equations are {names}")


class Formula(_Equations):
    """The forward pass and the loss in matrix notation.

    ``.expr`` is the whole forward pass as one nested SymPy expression (in
    non-commutative matrix symbols), e.g. :math:`\\sigma(\\sigma(X W_1) W_2)`.
    """

    expr: sp.Basic


class Backprop(_Equations):
    """The backpropagation equations: output error, hidden recurrences, weight and bias gradients."""


# -- matrix form ---------------------------------------------------------------------------


@functools.cache
def _apply(act_tex: str, act_text: str):
    """An undefined function that prints as the activation's name."""

    def _latex(self, printer, exp=None):
        inner = printer._print(self.args[0])
        return rf"{act_tex}\left({inner}\right)"

    return type(act_text, (sp.Function,), {"_latex": _latex, "nargs": 1})


def _act_names(net, i: int) -> tuple[str, str]:
    if i == net.depth and net.softmax_output:
        return r"\operatorname{softmax}", "softmax"
    act = net.activations[i - 1]
    text = act.plain
    return act.tex, text


def formula(net) -> Formula:
    """The forward pass (``Z_l = A_{l-1} W_l + b_l``, ``A_l = f_l(Z_l)``) and the loss."""
    eqs = []
    x = sp.Symbol("X", commutative=False)
    nested = x
    prev_tex, prev_text = "X", "X"
    for i in range(1, net.depth + 1):
        W = sp.Symbol(f"W_{{{i}}}", commutative=False)
        b = sp.Symbol(f"b_{{{i}}}", commutative=False)
        lin = nested * W + (b if net.bias else 0)
        tex, text = _act_names(net, i)
        identity = net.spec.layers[i - 1].identity and not (
            i == net.depth and net.softmax_output
        )
        nested = lin if identity else _apply(tex, text)(lin)
        bias_tex, bias_text = (f" + b_{{{i}}}", f" + b{i}") if net.bias else ("", "")
        eqs.append(
            Equation(
                f"Z{i}",
                f"Z_{{{i}}}",
                f"{prev_tex} W_{{{i}}}{bias_tex}",
                f"Z{i} = {prev_text} W{i}{bias_text}",
            )
        )
        last = i == net.depth
        lhs_tex, lhs_text = (r"\hat{Y}", "Ŷ") if last else (f"A_{{{i}}}", f"A{i}")
        if identity:
            eqs.append(Equation(f"A{i}", lhs_tex, f"Z_{{{i}}}", f"{lhs_text} = Z{i}"))
        else:
            eqs.append(
                Equation(
                    f"A{i}",
                    lhs_tex,
                    rf"{tex}\left(Z_{{{i}}}\right)",
                    f"{lhs_text} = {text}(Z{i})",
                )
            )
        prev_tex, prev_text = lhs_tex, lhs_text
    if net.loss.fused_softmax:  # the output is already the softmax: L in terms of Ŷ
        factor = r"\frac{1}{n} " if net.loss.reduction != "sum" else ""
        loss_tex = rf"L = -{factor}\sum_{{i=1}}^{{n}} \sum_{{j=1}}^{{K}} y_{{ij}} \log \hat{{y}}_{{ij}}"
    else:
        loss_tex = _fixed(net.loss).latex()
    lhs, _, rhs = loss_tex.partition(" = ")
    eqs.append(Equation("L", lhs or "L", rhs or loss_tex, f"L = {_loss_text(net)}"))
    out = Formula(tuple(eqs), "forward pass")
    object.__setattr__(out, "expr", sp.Eq(sp.Symbol(r"\hat{Y}", commutative=False), nested))
    return out


def _fixed(lo):
    """The loss with every parameter at its value (``delta = 1``, not the symbol delta)."""
    if lo.fused_softmax or not lo.params:
        return lo
    return lo.with_params(**{lo.kwnames[p]: v for p, v in lo.params.items()})


def _loss_text(net) -> str:
    lo = net.loss
    if lo.fused_softmax:
        per_sample = "-Σ_k y_k log ŷ_k"
        return per_sample if lo.reduction == "sum" else f"mean over samples of {per_sample}"
    expr = _fixed(lo).expr
    body = _HadamardStr({lo.yhat: "ŷ", lo.y: "y"}).doprint(expr)
    prefix = {"sum": "Σ", "mean": "mean of", "batchmean": "mean over samples of Σ"}[lo.reduction]
    return f"{prefix} {body}"


def _scale(net) -> tuple[sp.Expr, str]:
    """The reduction factor of the loss, as SymPy (in n, k) and text."""
    n, k = sp.symbols("n k", positive=True)
    lo = net.loss
    if lo.reduction == "sum":
        return sp.S.One, ""
    rows_only = lo.rowwise or lo.fused_softmax or lo.reduction == "batchmean"
    if rows_only or net.layers[-1] == 1:
        return 1 / n, "1/n"
    return 1 / (n * k), "1/(n k)"


def backprop(net) -> Backprop:
    """The backpropagation equations of *net*, derivatives substituted and simplified."""
    spec = net.spec
    L = net.depth
    eqs: list[Equation] = []
    scale, scale_text = _scale(net)

    def names(i):
        if i == L:
            return sp.Symbol(r"\hat{Y}"), "Ŷ"
        return sp.Symbol(f"A_{{{i}}}"), f"A{i}"

    y_sym = sp.Symbol("Y")
    for i in range(L, 0, -1):
        layer = spec.layers[i - 1]
        a_sym, _a_text = names(i)
        z_sym = sp.Symbol(f"Z_{{{i}}}")
        subs = {A_SYMBOL: a_sym, Z_SYMBOL: z_sym, spec.y_symbol: y_sym}
        if i == L:
            if spec.fused_softmax:
                rhs_expr = scale * (
                    sp.Symbol(r"\operatorname{softmax}(Z_{" + str(i) + "})") - y_sym
                )
                rhs_tex = (
                    r"\frac{1}{n}" if scale != 1 else ""
                ) + rf"\left(\operatorname{{softmax}}\left(Z_{{{i}}}\right) - Y\right)"
                text = f"δ{i} = {scale_text + ' ' if scale_text else ''}(softmax(Z{i}) - Y)"
                eqs.append(Equation(f"delta{i}", rf"\delta_{{{i}}}", rhs_tex, text, rhs_expr))
            else:
                rhs_expr = sp.factor_terms(spec.delta_expr.xreplace(subs))
                rhs_tex, rhs_text = _tex(rhs_expr), _text(rhs_expr)
                if scale != 1:
                    rhs_tex = _tex(scale) + r" \, " + _paren(rhs_tex, rhs_expr)
                    rhs_text = f"{scale_text} " + _paren(rhs_text, rhs_expr, text=True)
                if layer.vector is not None:  # row by row, times the Jacobian of the layer
                    rhs_tex, rhs_text = _times_jacobian(layer.vector, i, rhs_tex, rhs_text)
                eqs.append(
                    Equation(
                        f"delta{i}", rf"\delta_{{{i}}}", rhs_tex, f"δ{i} = {rhs_text}", rhs_expr
                    )
                )
        else:
            back_tex = rf"\left(\delta_{{{i + 1}}} W_{{{i + 1}}}^{{\top}}\right)"
            back_text = f"(δ{i + 1} W{i + 1}ᵀ)"
            if layer.vector is not None:
                rhs_tex, rhs_text = _times_jacobian(layer.vector, i, back_tex, back_text)
                eqs.append(Equation(f"delta{i}", rf"\delta_{{{i}}}", rhs_tex, f"δ{i} = {rhs_text}"))
            elif layer.identity:
                eqs.append(
                    Equation(f"delta{i}", rf"\delta_{{{i}}}", back_tex, f"δ{i} = {back_text}")
                )
            else:
                fprime = layer.fprime_a if layer.reuse_output else layer.fprime_z
                fexpr = sp.factor_terms(fprime.xreplace(subs))
                eqs.append(
                    Equation(
                        f"delta{i}",
                        rf"\delta_{{{i}}}",
                        back_tex + r" \odot " + _paren(_tex(fexpr), fexpr),
                        f"δ{i} = {back_text} ⊙ {_paren(_text(fexpr), fexpr, text=True)}",
                        fexpr,
                    )
                )
        prev_tex, prev_text = ("X", "X") if i == 1 else (f"A_{{{i - 1}}}", f"A{i - 1}")
        eqs.append(
            Equation(
                f"dW{i}",
                rf"\frac{{\partial L}}{{\partial W_{{{i}}}}}",
                rf"{prev_tex}^{{\top}} \delta_{{{i}}}",
                f"∂L/∂W{i} = {prev_text}ᵀ δ{i}",
            )
        )
        if net.bias:
            eqs.append(
                Equation(
                    f"db{i}",
                    rf"\frac{{\partial L}}{{\partial b_{{{i}}}}}",
                    rf"\mathbf{{1}}^{{\top}} \delta_{{{i}}}",
                    f"∂L/∂b{i} = 1ᵀ δ{i}  (column sums)",
                )
            )
        eqs.extend(_param_equations(net, i, subs, scale, scale_text))
    return Backprop(tuple(eqs), "backpropagation")


def _times_jacobian(vector, i: int, g_tex: str, g_text: str) -> tuple[str, str]:
    """``G J(Z_i)`` row by row, with the vector activation's Jacobian in closed form."""
    closed_tex = vector.jacobian_latex.removeprefix("J = ")
    if not g_text.startswith("("):
        g_tex, g_text = rf"\left({g_tex}\right)", f"({g_text})"
    tex = (
        rf"{g_tex} \, J_{{{i}}}, \quad J_{{{i}}} = {closed_tex}"
        rf" \text{{ at each row of }} Z_{{{i}}}"
    )
    text = f"{g_text} J{i}  (row by row; {vector.jacobian_text.replace('J', f'J{i}', 1)} at Z{i})"
    return tex, text


def _param_equations(net, i: int, subs: dict, scale, scale_text: str) -> list[Equation]:
    r"""The gradients of layer *i*'s trainable activation parameters (:mod:`symnn.nn.trainable`).

    :math:`\partial L/\partial \alpha_i = \mathbf{1}^\top (G_i \odot \partial f_i/\partial \alpha (Z_i))`
    with :math:`G_i` the gradient reaching the layer's output (summed over every entry
    for a scalar, column sums for one per unit).
    """
    layer = net.spec.layers[i - 1]
    if not layer.params:
        return []
    if i == net.depth:
        g_expr = sp.factor_terms(net.spec.loss_grad.xreplace(subs))
        g_tex = _paren(_tex(g_expr), g_expr)
        g_text = _paren(_text(g_expr), g_expr, text=True)
        if scale != 1:
            g_tex, g_text = _tex(scale) + r" \, " + g_tex, f"{scale_text} {g_text}"
    else:
        g_tex = rf"\left(\delta_{{{i + 1}}} W_{{{i + 1}}}^{{\top}}\right)"
        g_text = f"(δ{i + 1} W{i + 1}ᵀ)"
    eqs = []
    shapes = net.spec.param_shapes or {}
    for p, dp in zip(layer.params, layer.dparams, strict=True):
        fexpr = sp.factor_terms(dp.xreplace(subs))
        per_unit = bool(shapes.get(p.name))
        note, ones = ("column sums", "") if per_unit else ("sum of all entries", r" \mathbf{1}")
        eqs.append(
            Equation(
                f"d{p.name}",
                rf"\frac{{\partial L}}{{\partial {sp.latex(p)}}}",
                rf"\mathbf{{1}}^{{\top}} \left({g_tex} \odot {_paren(_tex(fexpr), fexpr)}\right){ones}",
                f"∂L/∂{p.name} = 1ᵀ ({g_text} ⊙ {_paren(_text(fexpr), fexpr, text=True)})"
                f"  ({note})",
                fexpr,
            )
        )
    return eqs


def _paren(s: str, expr, text: bool = False) -> str:
    if expr.is_Add or s.lstrip().startswith("-"):  # "1/n -sign(...)" would read as a subtraction
        return f"({s})" if text else rf"\left({s}\right)"
    return s


# -- expanded form -------------------------------------------------------------------------


class LayerSymbol(sp.Symbol):
    r"""A scalar weight of layer *l*: ``w1_23`` in text, :math:`w^{(1)}_{23}` in LaTeX.

    >>> w = LayerSymbol("w1_23", real=True)
    >>> str(w), sp.latex(w)
    ('w1_23', 'w^{(1)}_{23}')
    """

    def _latex(self, printer, exp=None):
        base, _, sub = self.name.partition("_")
        letter, layer = base.rstrip("0123456789"), base.lstrip("abcdefghijklmnopqrstuvwxyz")
        if len(letter) > 1:  # a trainable activation parameter: alpha1_2 -> \alpha^{(1)}_{2}
            letter = sp.latex(sp.Symbol(letter))
        tex = f"{letter}^{{({layer})}}_{{{sub}}}"
        return f"\\left({tex}\\right)^{{{exp}}}" if exp else tex


#: what mpmath evaluates for symnn's own functions in the expanded derivatives
_MPMATH_FUNCTIONS = {
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)),
    "softplus": lambda x: mpmath.log1p(mpmath.exp(x)) if x < 0 else x + mpmath.log1p(mpmath.exp(-x)),
}


def _mpmath_sums(exprs: list, args: list, rows: list) -> list | None:
    """For each of *exprs*: its sum over *rows* (values of *args*), in 40 digits, as floats;
    None if mpmath cannot evaluate them all to real numbers. One function for all of them,
    common subexpressions computed once (printing the derivatives is most of the cost)."""
    try:
        fn = sp.lambdify(args, exprs, modules=[_MPMATH_FUNCTIONS, "mpmath"], cse=True)
        with mpmath.workdps(40):
            totals = [mpmath.mpf(0)] * len(exprs)
            for row in rows:
                values = fn(*(mpmath.mpf(v) for v in row))
                if not all(isinstance(value, (mpmath.mpf, int)) for value in values):
                    return None
                totals = [t + value for t, value in zip(totals, values, strict=True)]
            result = [float(t) for t in totals]
    except Exception:
        return None
    return result if all(np.isfinite(result)) else None


@dataclass
class Expanded:
    """Every weight a scalar symbol; the loss of one sample and its derivatives.

    Attributes
    ----------
    inputs, targets : the symbols :math:`x_i` and :math:`y_k` of one sample.
    weights : parameter name -> SymPy Matrix of its scalar symbols (``w^{(1)}_{ij}``).
    outputs : :math:`\\hat{y}_k` of one sample as expressions.
    loss : the loss of one sample, :math:`\\sum_k \\ell(\\hat{y}_k, y_k)` (the reduction's
        :math:`1/n` is in ``scale``).
    gradients : weight symbol -> :math:`\\partial \\text{loss} / \\partial w`.
    """

    inputs: list[sp.Symbol]
    targets: list[sp.Symbol]
    weights: dict[str, sp.Matrix]
    outputs: list[sp.Expr]
    loss: sp.Expr
    gradients: dict[sp.Symbol, sp.Expr] = field(repr=False)
    _net: object = field(repr=False)

    def symbols(self) -> list[sp.Symbol]:
        return [s for m in self.weights.values() for s in m]

    def numeric_gradients(self, X, y) -> dict[str, np.ndarray]:
        """Evaluate the expanded derivatives on data, summed over samples and reduced.

        The result has the same keys and shapes as ``net.gradients(X, y)``. Each derivative
        is evaluated in 40-digit arithmetic (mpmath) and summed over the samples there, then
        rounded once: an oracle independent of symnn's compiler. Where mpmath cannot evaluate
        them (a function it does not know, a complex intermediate), the derivatives are
        compiled by :func:`symnn.compiler.compile` instead.
        """

        net = self._net
        X, Y = net.check_data(X, y)
        values = {}
        for name, m in self.weights.items():
            arr = np.asarray(net.params[name], dtype=float).reshape(m.shape)
            values.update({s: float(v) for s, v in zip(m, arr.ravel(), strict=True)})
        args = [*self.inputs, *self.targets]
        data = [X[:, i] for i in range(X.shape[1])] + [Y[:, k] for k in range(Y.shape[1])]
        rows = np.column_stack(data).tolist()
        scale = 1.0 / net.loss.divisor(Y.shape)
        symbols = self.symbols()
        exprs = [self.gradients[s].xreplace(values) for s in symbols]
        totals = _mpmath_sums(exprs, args, rows)
        if totals is None:
            from symnn.compiler import compile as compile_expr

            totals = [float(np.sum(compile_expr(e, args)(*data))) for e in exprs]
        total_of = dict(zip(symbols, totals, strict=True))
        out = {}
        for name, m in self.weights.items():
            g = np.array([total_of[s] for s in m]) * scale
            out[name] = g.reshape(net.params[name].shape)
        return out

    def latex(self, limit: int = 6) -> str:
        """The loss and the first *limit* derivatives as an aligned block."""
        eqs = [rf"L = {sp.latex(self.loss)}"]
        for s in list(self.gradients)[:limit]:
            eqs.append(
                rf"\frac{{\partial L}}{{\partial {sp.latex(s)}}} = {sp.latex(self.gradients[s])}"
            )
        return aligned(eqs)

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def __str__(self) -> str:
        first = list(self.gradients)[:3]
        lines = [f"loss of one sample = {self.loss}"]
        lines += [f"d(loss)/d{s} = {self.gradients[s]}" for s in first]
        more = len(self.gradients) - len(first)
        if more > 0:
            lines.append(f"... and {more} more derivatives (.gradients holds them all)")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Expanded: {len(self.inputs)} inputs, {len(self.gradients)} parameters as scalar "
            f"symbols; print() shows the loss and its derivatives>"
        )


def _own_symbols(net, i: int, weights: dict):
    """Add layer *i*'s trainable activation parameters to *weights* as scalar symbols
    (``alpha1_1`` for a scalar, ``alpha1_1, alpha1_2, ...`` one per unit); return
    ``column -> {parameter symbol: its scalar symbol}``."""
    layer = net.spec.layers[i - 1]
    shapes = net.spec.param_shapes or {}
    mats = {}
    for p in layer.params:
        cols = net.layers[i] if shapes.get(p.name) else 1
        mats[p] = sp.Matrix(1, cols, lambda r, c, p=p: LayerSymbol(f"{p.name}_{c + 1}", real=True))
        weights[p.name] = mats[p]
    return lambda c: {p: m[0, c if m.cols > 1 else 0] for p, m in mats.items()}


def expanded(net, max_params: int = MAX_EXPANDED_PARAMS) -> Expanded:
    """The expanded form of a small network (at most *max_params* scalar parameters)."""
    if net.n_params > max_params:
        raise ValueError(
            f"the network has {net.n_params} parameters; the expanded form is written out only "
            f"for up to {max_params} (pass max_params=... to raise the limit, at the cost of "
            "slow symbolic differentiation)"
        )
    spec = net.spec
    xs = [sp.Symbol(f"x_{i + 1}", real=True) for i in range(net.layers[0])]
    ys = [sp.Symbol(f"y_{k + 1}", real=True) for k in range(net.layers[-1])]
    weights: dict[str, sp.Matrix] = {}
    a = list(xs)
    zs: list[sp.Expr] = []
    for i in range(1, net.depth + 1):
        n_in, n_out = net.layers[i - 1], spec.z_width(i)
        W = sp.Matrix(
            n_in, n_out, lambda r, c, i=i: LayerSymbol(f"w{i}_{r + 1}{c + 1}", real=True)
        )
        weights[f"W{i}"] = W
        if net.bias:
            b = sp.Matrix(
                1, n_out, lambda r, c, i=i: LayerSymbol(f"b{i}_{c + 1}", real=True)
            )
            weights[f"b{i}"] = b
        zs = [
            sum(a[r] * W[r, c] for r in range(n_in)) + (b[0, c] if net.bias else 0)
            for c in range(n_out)
        ]
        layer = spec.layers[i - 1]
        own = _own_symbols(net, i, weights)  # trainable activation parameters, one per column
        if i == net.depth and spec.fused_softmax:
            a = zs
        elif layer.vector is not None:
            a = layer.vector.apply(zs)
        else:
            a = [layer.f.xreplace({Z_SYMBOL: z, **own(c)}) for c, z in enumerate(zs)]
    lo = net.loss
    if spec.fused_softmax:
        lse = sp.log(sum(sp.exp(z) for z in zs))
        loss = sum(yk * (lse - zk) for yk, zk in zip(ys, zs, strict=True))
        outputs = [sp.exp(z) / sum(sp.exp(t) for t in zs) for z in zs]
    else:
        fixed = {p: exact_number(float(v)) for p, v in lo.params.items()}
        loss = sum(
            lo.expr.xreplace(fixed).xreplace({lo.yhat: ak, lo.y: yk})
            for ak, yk in zip(a, ys, strict=True)
        )
        outputs = a
    symbols = [s for m in weights.values() for s in m]
    gradients = {s: kink_conventions(sp.diff(loss, s)) for s in symbols}
    return Expanded(xs, ys, weights, outputs, loss, gradients, net)


def trained_outputs(net, inputs: list[sp.Symbol] | None = None) -> list[sp.Expr]:
    r"""The network's outputs as SymPy expressions in its inputs, with the trained weights.

    The forward pass of :func:`formula` written out for one sample, every weight and bias
    replaced by its current value (exact binary64 numbers): for a ``[2, h, 1]`` network,
    :math:`\hat y(x_1, x_2) = f_2\big(\sum_j f_1(x_1 w_{1j} + x_2 w_{2j} + b_j)\,v_j + c\big)`.
    Its level set :math:`\hat y = t` is the exact decision boundary.

    Examples
    --------
    >>> import symnn as sn
    >>> net = sn.Network([2, 1], activation="sigmoid", loss="bce", seed=0)
    >>> (out,) = trained_outputs(net)
    >>> x1, x2 = sp.symbols("x_1 x_2", real=True)
    >>> value = float(out.subs({x1: 0.3, x2: -1.2}))
    >>> bool(abs(value - net.predict([[0.3, -1.2]])[0, 0]) < 1e-15)
    True
    """
    n_in = net.layers[0]
    xs = inputs or [sp.Symbol(f"x_{i + 1}", real=True) for i in range(n_in)]
    if len(xs) != n_in:
        raise ValueError(f"the network has {n_in} inputs; got {len(xs)} symbols")
    spec = net.spec
    params = net.params
    a: list[sp.Expr] = list(xs)
    zs: list[sp.Expr] = []
    for i in range(1, net.depth + 1):
        W = np.asarray(params[f"W{i}"], dtype=float)
        b = np.asarray(params[f"b{i}"], dtype=float).reshape(-1) if net.bias else None
        zs = [
            sp.Add(*(a[r] * sp.Float(W[r, c]) for r in range(W.shape[0])))
            + (sp.Float(b[c]) if b is not None else 0)
            for c in range(W.shape[1])
        ]
        layer = spec.layers[i - 1]
        last_softmax = i == net.depth and spec.fused_softmax
        a = zs if last_softmax else [layer.f.xreplace({Z_SYMBOL: z}) for z in zs]
    if net.depth and spec.fused_softmax:
        total = sp.Add(*(sp.exp(z) for z in zs))
        a = [sp.exp(z) / total for z in zs]
    leftover = set().union(*(e.free_symbols for e in a)) - set(xs)
    if leftover:
        names = ", ".join(sorted(str(s) for s in leftover))
        raise ValueError(f"the network's formula still has the free symbol(s) {names}")
    return a
