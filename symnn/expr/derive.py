r"""Step-by-step derivatives: how ``symnn.expr.symbolic.derivative`` comes out, rule by rule.

:func:`derive_expr` differentiates an expression the way a student does on paper: it
looks at the outermost operation, names the rule that applies (sum, constant factor,
power, product, quotient, chain with the substitution :math:`u = \dots` named, and one
rule per function: exp, log, sqrt, trig, hyperbolic, erf, abs, max/min, Heaviside,
piecewise branch by branch, and symnn's named sigmoid and softplus), and recurses into
the parts.  The result is a :class:`Derivation`: an ordered tree of :class:`Step`\ s,
each with its rule, the expression before and after, and a one-sentence explanation.

The compact forms students learn come out of the rules themselves:

.. math::

    \sigma'(u) = \sigma(u)\,(1 - \sigma(u)), \qquad \tanh'(u) = 1 - \tanh^2 u, \qquad
    \operatorname{softplus}'(u) = \sigma(u),

and a piecewise function is differentiated branch by branch, with the value taken at
each kink stated as symnn's convention (the branch whose condition holds there decides:
ReLU'(0) = 0, as PyTorch).

**The last step always equals** :func:`symnn.expr.symbolic.derivative` (SymPy's ``diff``
with symnn's kink conventions): the steps assemble a derivative, a final *simplify* step
tidies it into the library's form, and :func:`derive_expr` proves the two equal --
symbolically, or numerically at many points (exactly at the kinks) where SymPy cannot
decide -- and raises :class:`DerivationError` otherwise (a bug in a rule, never the
user's fault).  Functions outside the rule set get a ``dont_know`` step that says so
and takes SymPy's own derivative for that part.

>>> import sympy as sp
>>> from symnn.expr.functions import sigmoid
>>> x = sp.Symbol("x", real=True)
>>> d = derive_expr(x * sigmoid(x), x)
>>> d.result
(x*(1 - sigmoid(x)) + 1)*sigmoid(x)
>>> print(d)
d/dx [x*sigmoid(x)]
1. Product rule: (f·g)' = f'·g + f·g' with f = x and g = sigmoid(x).
   1.1. Variable: the derivative of x with respect to itself is 1.
        d/dx [x] = 1
   1.2. Sigmoid: σ'(u) = σ(u)·(1 - σ(u)): the logistic sigmoid's own rule, its derivative written with itself.
        d/dx [sigmoid(x)] = (1 - sigmoid(x))*sigmoid(x)
   d/dx [x*sigmoid(x)] = x*(1 - sigmoid(x))*sigmoid(x) + sigmoid(x)
2. Simplify: collect and tidy the terms.
   = (x*(1 - sigmoid(x)) + 1)*sigmoid(x)
Result: d/dx [x*sigmoid(x)] = (x*(1 - sigmoid(x)) + 1)*sigmoid(x)
(checked: equals sympy.diff with symnn's kink conventions; symbolic: simplify(a - b) = 0)
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import sympy as sp
from sympy.printing.latex import LatexPrinter

from symnn._tex import _width, broken_display, document, escape_text
from symnn.expr.functions import sigmoid, softplus
from symnn.expr.symbolic import as_expression, derivative, kink_conventions

__all__ = [
    "RULES",
    "Derivation",
    "DerivationError",
    "M",
    "Proof",
    "Rule",
    "Sentence",
    "Step",
    "derive_expr",
    "find_wrong_step",
    "latex",
    "prove_equal",
]


# ----------------------------------------------------------------------------------------
# The rules
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One rule of differentiation: its name and its formula (plain text and LaTeX)."""

    key: str
    title: str
    text: str = ""
    tex: str = ""


def _rules(*rows: tuple[str, str, str, str]) -> dict[str, Rule]:
    return {key: Rule(key, title, text, tex) for key, title, text, tex in rows}


#: Every rule the engine applies, by key (what :attr:`Step.rule` holds).
RULES: dict[str, Rule] = _rules(
    ("constant", "Constant", "c' = 0", r"c' = 0"),
    ("variable", "Variable", "x' = 1", r"x' = 1"),
    ("sum", "Sum rule", "(f + g)' = f' + g'", r"(f + g)' = f' + g'"),
    ("constant_factor", "Constant factor", "(c·f)' = c·f'", r"(c f)' = c f'"),
    ("power", "Power rule", "(uⁿ)' = n·uⁿ⁻¹", r"(u^n)' = n u^{n-1}"),
    ("sqrt", "Square root", "(√u)' = 1/(2√u)", r"(\sqrt{u})' = \frac{1}{2\sqrt{u}}"),
    ("product", "Product rule", "(f·g)' = f'·g + f·g'", r"(f g)' = f' g + f g'"),
    ("quotient", "Quotient rule", "(f/g)' = (f'·g - f·g')/g²",
     r"\left(\frac{f}{g}\right)' = \frac{f' g - f g'}{g^2}"),
    ("chain", "Chain rule", "(f(u))' = f'(u)·u'", r"\frac{d}{dx} f(u) = f'(u)\,\frac{du}{dx}"),
    ("exp", "Exponential", "(eᵘ)' = eᵘ", r"(e^u)' = e^u"),
    ("exponential", "Exponential of a base", "(aᵘ)' = aᵘ·ln a", r"(a^u)' = a^u \ln a"),
    ("general_power", "Variable base and exponent", "(f^g)' = f^g·(g'·ln f + g·f'/f)",
     r"(f^g)' = f^g \left(g' \ln f + \frac{g f'}{f}\right)"),
    ("log", "Logarithm", "(ln u)' = 1/u", r"(\ln u)' = \frac{1}{u}"),
    ("sin", "Sine", "sin' = cos", r"\sin' u = \cos u"),
    ("cos", "Cosine", "cos' = -sin", r"\cos' u = -\sin u"),
    ("tan", "Tangent", "tan' = 1 + tan²", r"\tan' u = 1 + \tan^2 u"),
    ("cot", "Cotangent", "cot' = -1 - cot²", r"\cot' u = -1 - \cot^2 u"),
    ("sec", "Secant", "sec' = sec·tan", r"\sec' u = \sec u \tan u"),
    ("csc", "Cosecant", "csc' = -csc·cot", r"\csc' u = -\csc u \cot u"),
    ("asin", "Arcsine", "asin'(u) = 1/√(1 - u²)", r"\arcsin' u = \frac{1}{\sqrt{1 - u^2}}"),
    ("acos", "Arccosine", "acos'(u) = -1/√(1 - u²)", r"\arccos' u = -\frac{1}{\sqrt{1 - u^2}}"),
    ("atan", "Arctangent", "atan'(u) = 1/(1 + u²)", r"\arctan' u = \frac{1}{1 + u^2}"),
    ("sinh", "Hyperbolic sine", "sinh' = cosh", r"\sinh' u = \cosh u"),
    ("cosh", "Hyperbolic cosine", "cosh' = sinh", r"\cosh' u = \sinh u"),
    ("tanh", "Hyperbolic tangent", "tanh' = 1 - tanh²", r"\tanh' u = 1 - \tanh^2 u"),
    ("asinh", "Inverse hyperbolic sine", "asinh'(u) = 1/√(u² + 1)",
     r"\operatorname{arsinh}' u = \frac{1}{\sqrt{u^2 + 1}}"),
    ("atanh", "Inverse hyperbolic tangent", "atanh'(u) = 1/(1 - u²)",
     r"\operatorname{artanh}' u = \frac{1}{1 - u^2}"),
    ("erf", "Error function", "erf'(u) = (2/√π)·e^(-u²)",
     r"\operatorname{erf}' u = \frac{2}{\sqrt{\pi}} e^{-u^2}"),
    ("sinc", "Sinc", "sinc'(u) = cos(u)/u - sin(u)/u²",
     r"\operatorname{sinc}' u = \frac{\cos u}{u} - \frac{\sin u}{u^2}"),
    ("sigmoid", "Sigmoid", "σ'(u) = σ(u)·(1 - σ(u))", r"\sigma'(u) = \sigma(u)\,(1 - \sigma(u))"),
    ("softplus", "Softplus", "softplus'(u) = σ(u)", r"\operatorname{softplus}'(u) = \sigma(u)"),
    ("abs", "Absolute value", "|u|' = sign(u), sign(0) = 0",
     r"|u|' = \operatorname{sign} u,\ \operatorname{sign} 0 = 0"),
    ("sign", "Sign", "sign' = 0", r"\operatorname{sign}' u = 0"),
    ("heaviside", "Step function", "θ' = 0", r"\theta'(u) = 0"),
    ("floor", "Floor and ceiling", "⌊u⌋' = 0", r"\lfloor u \rfloor' = 0"),
    ("max", "Maximum", "max(a, b)' = θ(a - b)·a' + θ(b - a)·b', θ(0) = 0",
     r"\max(a, b)' = \theta(a - b)\,a' + \theta(b - a)\,b',\ \theta(0) = 0"),
    ("min", "Minimum", "min(a, b)' = θ(b - a)·a' + θ(a - b)·b', θ(0) = 0",
     r"\min(a, b)' = \theta(b - a)\,a' + \theta(a - b)\,b',\ \theta(0) = 0"),
    ("piecewise", "Piecewise", "branch by branch", r"\text{branch by branch}"),
    ("simplify", "Simplify", "", ""),
    ("rewrite", "Rewrite", "", ""),
    ("dont_know", "No rule", "", ""),
)  # fmt: skip

#: One-argument functions with a rule of their own: class -> (rule key, f'(u) as a function of u).
_OUTER: dict[type, tuple[str, Callable[[sp.Expr], sp.Expr]]] = {
    sp.exp: ("exp", sp.exp),
    sp.log: ("log", lambda u: 1 / u),
    sp.sin: ("sin", sp.cos),
    sp.cos: ("cos", lambda u: -sp.sin(u)),
    sp.tan: ("tan", lambda u: 1 + sp.tan(u) ** 2),
    sp.cot: ("cot", lambda u: -1 - sp.cot(u) ** 2),
    sp.sec: ("sec", lambda u: sp.sec(u) * sp.tan(u)),
    sp.csc: ("csc", lambda u: -sp.csc(u) * sp.cot(u)),
    sp.asin: ("asin", lambda u: 1 / sp.sqrt(1 - u**2)),
    sp.acos: ("acos", lambda u: -1 / sp.sqrt(1 - u**2)),
    sp.atan: ("atan", lambda u: 1 / (1 + u**2)),
    sp.sinh: ("sinh", sp.cosh),
    sp.cosh: ("cosh", sp.sinh),
    sp.tanh: ("tanh", lambda u: 1 - sp.tanh(u) ** 2),
    sp.asinh: ("asinh", lambda u: 1 / sp.sqrt(u**2 + 1)),
    sp.atanh: ("atanh", lambda u: 1 / (1 - u**2)),
    sp.erf: ("erf", lambda u: 2 * sp.exp(-(u**2)) / sp.sqrt(sp.pi)),
    sp.sinc: ("sinc", lambda u: sp.cos(u) / u - sp.sin(u) / u**2),
    sigmoid: ("sigmoid", lambda u: sigmoid(u) * (1 - sigmoid(u))),
    softplus: ("softplus", sigmoid),
    sp.Abs: ("abs", sp.sign),
    sp.sign: ("sign", lambda u: sp.S.Zero),
    sp.floor: ("floor", lambda u: sp.S.Zero),
    sp.ceiling: ("floor", lambda u: sp.S.Zero),
}

class M(tuple):
    """A formula inside a sentence: ``M(text, tex)``, written as *text* or as ``$tex$``."""

    def __new__(cls, text: str, tex: str) -> M:
        return super().__new__(cls, (text, tex))


_escape_tex = escape_text


@dataclass(frozen=True)
class Sentence:
    r"""One sentence of explanation, renderable as plain text, LaTeX or Markdown.

    Its parts are plain strings (ASCII), SymPy expressions, and formulas ``M(text, tex)``.

    >>> import sympy as sp
    >>> s = Sentence("set ", M("u", "u"), " = ", sp.Symbol("x") ** 2, ".")
    >>> str(s), s.tex(), s.markdown()
    ('set u = x**2.', 'set $u$ = $x^{2}$.', 'set $u$ = $x^{2}$.')
    """

    parts: tuple = ()

    def __init__(self, *parts: object) -> None:
        object.__setattr__(self, "parts", tuple(parts))

    def __str__(self) -> str:
        out = []
        for p in self.parts:
            if isinstance(p, M):
                out.append(p[0])
            elif isinstance(p, sp.Basic):
                out.append(sp.sstr(p))
            else:
                out.append(str(p))
        return "".join(out)

    def _render(self, escape: Callable[[str], str], wide: int | None = None) -> str:
        out = []
        for p in self.parts:
            if isinstance(p, M):
                out.append(f"${p[1]}$")
            elif isinstance(p, sp.Basic):
                tex = latex(p)
                if wide is not None and _width(tex) > wide:  # too long for a line of text
                    out.append("\n" + broken_display("", tex) + "\n")
                else:
                    out.append(f"${tex}$")
            else:
                out.append(escape(str(p)))
        return "".join(out)

    def tex(self, wide: int | None = None) -> str:
        """LaTeX text with ``$...$`` math; formulas wider than *wide* glyphs are displayed."""
        return self._render(_escape_tex, wide)

    def markdown(self) -> str:
        """Markdown with ``$...$`` math."""
        return self._render(lambda t: t.replace("*", r"\*").replace("_", r"\_"))

    def __add__(self, other: Sentence) -> Sentence:
        return Sentence(*self.parts, *other.parts)


def _says(rule: str, *extra: object) -> Sentence:
    """The rule's formula as a sentence: ``tanh' = 1 - tanh^2``, then *extra*."""
    r = RULES[rule]
    return Sentence(M(r.text, r.tex), *extra)


#: What each function rule adds after its formula.
_SAYS: dict[str, tuple] = {
    "exp": (": the exponential is its own derivative",),
    "log": (" (the natural logarithm)",),
    "tan": (" (= sec^2)",),
    "tanh": (": the derivative written with tanh itself (= sech^2)",),
    "erf": (", since ", M("erf(u) = (2/√π)∫₀ᵘ e^(-t²) dt",
                          r"\operatorname{erf}(u) = \frac{2}{\sqrt{\pi}}\int_0^u e^{-t^2}\,dt")),
    "sinc": (", the quotient rule applied to ", M("sin(u)/u", r"\frac{\sin u}{u}")),
    "sigmoid": (": the logistic sigmoid's own rule, its derivative written with itself",),
    "softplus": (", since ", M("softplus(u) = ln(1 + eᵘ)", r"\operatorname{softplus}(u) = \ln(1 + e^u)"),
                 " has derivative ", M("eᵘ/(1 + eᵘ) = σ(u)", r"\frac{e^u}{1 + e^u} = \sigma(u)")),
    "abs": (": at the kink u = 0 symnn takes sign(0) = 0, as PyTorch",),
    "sign": (": sign is constant on each side of 0 (symnn drops the jump)",),
    "floor": (": floor and ceiling are constant between integers (symnn drops the jumps)",),
    "heaviside": (": the step is constant on each side of its jump (symnn drops the Dirac delta)",),
}


def _function_says(rule: str) -> Sentence:
    """The function rule's formula and what it adds, without the final full stop."""
    return _says(rule, *_SAYS.get(rule, ()))


class DerivationError(AssertionError):
    """The steps of a derivation did not reproduce ``derivative()``: a bug in a rule."""


# ----------------------------------------------------------------------------------------
# Steps and derivations
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    r"""One step of a derivation: *rule* turns :math:`\frac{d}{d\,wrt}` *expr* into *result*.

    For the ``simplify`` step *expr* is the derivative before tidying and *result* after.
    ``substitution`` is ``(u, inner)`` for the chain rule; ``notes`` are the conventions
    the step relies on (the value at a kink).
    """

    rule: str
    expr: sp.Expr
    result: sp.Expr
    wrt: sp.Symbol
    explanation: Sentence
    substeps: tuple[Step, ...] = ()
    substitution: tuple[sp.Symbol, sp.Expr] | None = None
    notes: tuple[Sentence, ...] = ()
    combine: Callable[[Sequence[sp.Expr]], sp.Expr] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def title(self) -> str:
        """The rule's name, e.g. ``"Chain rule"``."""
        return RULES[self.rule].title

    def walk(self, number: str = "1") -> Iterator[tuple[str, Step]]:
        """Every step of this subtree in reading order, with its number (``"1.2.1"``)."""
        yield number, self
        for i, sub in enumerate(self.substeps, 1):
            yield from sub.walk(f"{number}.{i}")

    def equation_text(self) -> str:
        if self.rule == "rewrite":
            return f"{sp.sstr(self.expr)} = {sp.sstr(self.result)}"
        if self.rule == "simplify":
            return f"= {sp.sstr(self.result)}"
        return f"d/d{self.wrt} [{sp.sstr(self.expr)}] = {sp.sstr(self.result)}"

    def equation_latex(self) -> str:
        return " = ".join(self.equation_parts())

    def equation_parts(self) -> tuple[str, str]:
        """The LaTeX of the step's equation: left-hand side and right-hand side."""
        if self.rule in ("simplify", "rewrite"):
            return latex(self.expr), latex(self.result)
        return rf"{_d_latex(self.wrt)}\left[{latex(self.expr)}\right]", latex(self.result)


@dataclass(frozen=True)
class Derivation:
    r"""How :math:`\frac{d}{dx} f` comes out: numbered steps, each a rule and its result.

    Attributes
    ----------
    expr, wrt : the expression and the variable.
    steps : the top-level steps: the rule at the root (with its tree of substeps), then a
        ``simplify`` step when the assembled derivative is tidied.
    result : the derivative, equal to the last step's result and to
        :func:`symnn.expr.symbolic.derivative` (or to *target*, when one was given).
    proof : how that equality was established (:class:`Proof`).
    name : the function's name for the left-hand side (``"sigmoid"``), if any.

    Renderings: ``str()`` (numbered plain text), :meth:`latex` (an ``aligned`` block with
    the rule names as ``\text{...}`` annotations), :meth:`to_markdown`, and Jupyter's
    ``_repr_latex_`` / ``_repr_markdown_``.
    """

    expr: sp.Expr
    wrt: sp.Symbol
    steps: tuple[Step, ...]
    result: sp.Expr
    proof: Proof
    name: str | None = None
    tex_name: str | None = None

    def walk(self) -> Iterator[tuple[str, Step]]:
        """Every step in reading order with its number: ``("1", root), ("1.1", ...), ...``."""
        for i, step in enumerate(self.steps, 1):
            yield from step.walk(str(i))

    def rules(self) -> set[str]:
        """The keys of every rule used."""
        return {s.rule for _, s in self.walk()}

    @property
    def root(self) -> Step:
        return self.steps[0]

    def header_text(self) -> str:
        return f"d/d{self.wrt} [{sp.sstr(self.expr)}]"

    def lhs_text(self) -> str:
        if self.name:
            return f"{self.name}'({self.wrt})"
        return f"d/d{self.wrt} [{sp.sstr(self.expr)}]"

    def lhs_latex(self) -> str:
        if self.tex_name:
            return rf"{self.tex_name}'\left({latex(self.wrt)}\right)"
        return rf"{_d_latex(self.wrt)}\left[{latex(self.expr)}\right]"

    def __str__(self) -> str:
        lines = _text_lines(self)
        lines.append(f"Result: {self.lhs_text()} = {sp.sstr(self.result)}")
        lines.append(f"(checked: equals sympy.diff with symnn's kink conventions; {self.proof.route})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"<Derivation of d/d{self.wrt} {sp.sstr(self.expr)}: {len(list(self.walk()))} steps, "
            f"result {sp.sstr(self.result)}>"
        )

    def latex(self) -> str:
        r"""An ``aligned`` block: one row per step, the rule as a ``\text{...}`` annotation."""
        rows = []
        for number, step in self.walk():
            label = rf"\text{{({number}) {_escape_tex(step.title)}}}"
            if step.substitution is not None:
                u, inner = step.substitution
                label += rf"\text{{, }} {latex(u)} = {latex(inner)}"
            lhs, rhs = step.equation_parts()
            rows.append(rf"{lhs} &= {rhs} && {label}")
        rows.append(rf"{self.lhs_latex()} &= {latex(self.result)} && \text{{result}}")
        return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def latex_body(self) -> str:
        r"""The derivation as document text: a paragraph per step (number, rule, sentence)
        and its equation displayed, broken across lines when it is long."""
        parts = [rf"We differentiate ${latex(self.expr)}$ with respect to ${latex(self.wrt)}$."
                 if _width(latex(self.expr)) < 45 else
                 "We differentiate\n" + broken_display("", latex(self.expr)) +
                 f"\nwith respect to ${latex(self.wrt)}$."]  # fmt: skip
        for number, step in self.walk():
            text = step.explanation.tex(wide=40)
            text = text[:1].upper() + text[1:]  # a sentence after the rule's name
            parts.append(rf"\paragraph{{{number}. {_escape_tex(step.title)}.}} {text}")
            parts.append(broken_display(*step.equation_parts()))
            parts.extend(note.tex(wide=40) for note in step.notes)
        parts.append(r"\paragraph{Result.}")
        parts.append(broken_display(self.lhs_latex(), latex(self.result)))
        parts.append(_escape_tex(f"Checked against sympy.diff: {self.proof.route}."))
        return "\n\n".join(parts)

    def to_latex_document(self, title: str | None = None) -> str:
        r"""A standalone ``article`` (amsmath, amssymb, booktabs) that compiles with pdflatex.

        >>> doc = derive_expr("tanh(x)").to_latex_document()
        >>> doc.startswith(r"\documentclass"), doc.rstrip().endswith(r"\end{document}")
        (True, True)
        """
        name = self.name or sp.sstr(self.expr)
        return document(self.latex_body(), title or f"The derivative of {name}")

    def to_markdown(self) -> str:
        """Numbered Markdown: one list item per step, the formulas as ``$...$`` LaTeX."""
        lines = [f"**Derivation of** ${self.lhs_latex()}$", ""]
        for number, step in self.walk():
            pad = "   " * number.count(".")
            eq = step.equation_latex()
            lines.append(f"{pad}- **{number}. {step.title}.** {step.explanation.markdown()}")
            lines.append(f"{pad}  ${eq}$")
            for note in step.notes:
                lines.append(f"{pad}  *{note.markdown()}*")
        lines += ["", f"**Result:** ${self.lhs_latex()} = {latex(self.result)}$", ""]
        lines.append(f"*Checked against sympy.diff ({self.proof.route}).*")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _text_lines(derivation: Derivation) -> list[str]:
    """Numbered plain text; a composite step's equation comes after its substeps."""
    out = [derivation.header_text()]

    def emit(number: str, step: Step) -> None:
        pad = "   " * number.count(".")
        out.append(f"{pad}{number}. {step.title}: {step.explanation}")
        for i, sub in enumerate(step.substeps, 1):
            emit(f"{number}.{i}", sub)
        eq_pad = pad + ("   " if step.substeps else " " * (len(number) + 2))
        out.append(eq_pad + step.equation_text())
        out.extend(eq_pad + str(note) for note in step.notes)

    for i, step in enumerate(derivation.steps, 1):
        emit(str(i), step)
    return out


def _d_latex(wrt: sp.Symbol) -> str:
    return rf"\frac{{d}}{{d{latex(wrt)}}}"


class _Printer(LatexPrinter):
    r"""SymPy's LaTeX with :math:`\theta(u)` for the step (its value at 0 is in the text)."""

    def _print_Heaviside(self, expr, exp=None):
        tex = rf"\theta\left({self._print(expr.args[0])}\right)"
        return f"{tex}^{{{exp}}}" if exp else tex

    def _print_sign(self, expr, exp=None):
        tex = rf"\operatorname{{sign}}\left({self._print(expr.args[0])}\right)"
        return f"{tex}^{{{exp}}}" if exp else tex


def latex(expr: sp.Basic) -> str:
    r"""LaTeX of *expr* as derivations print it (``Heaviside(u, 0)`` is :math:`\theta(u)`).

    >>> import sympy as sp
    >>> latex(sp.Heaviside(sp.Symbol("x"), 0))
    '\\theta\\left(x\\right)'
    """
    return _Printer({"long_frac_ratio": 3}).doprint(expr)


# ----------------------------------------------------------------------------------------
# Proving two expressions equal
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """Whether two expressions are equal, how that was established, or where they differ.

    ``route`` says how: ``"identical"``, ``"symbolic: ..."`` or ``"numeric: ..."``.  When
    they differ, ``point`` is a counterexample (symbol -> value) with both values.
    """

    equal: bool
    route: str
    point: dict[sp.Symbol, sp.Expr] | None = None
    expected: sp.Expr | None = None
    got: sp.Expr | None = None


_KINKY = (sp.Piecewise, sp.Heaviside, sp.Abs, sp.sign, sp.Max, sp.Min, sp.floor, sp.ceiling)
_DIGITS = 30
_TOL = sp.Float("1e-20", _DIGITS)
#: Simple points first, so that a counterexample is one a student can check by hand.
_NICE = [1, -1, 2, -2, sp.Rational(1, 2), -sp.Rational(1, 2), 3, -3, 0,
         sp.Rational(3, 10), -sp.Rational(7, 10), sp.Rational(5, 4), -sp.Rational(9, 4),
         5, -5, sp.Rational(17, 10), -sp.Rational(13, 10), 8, -8]  # fmt: skip


def _kink_points(exprs: Sequence[sp.Expr], x: sp.Symbol, values: dict) -> list[sp.Expr]:
    """Where conditions, abs, sign, steps, max and min of the expressions switch (numbers)."""
    points: set[sp.Expr] = set()
    for expr in exprs:
        e = expr.xreplace(values)
        args: list[sp.Expr] = []
        for pw in e.atoms(sp.Piecewise):
            for _, cond in pw.args:
                args += [r.lhs - r.rhs for r in cond.atoms(sp.Rel)]
        for fn in (sp.Abs, sp.sign, sp.Heaviside, sp.floor, sp.ceiling):
            args += [c.args[0] for c in e.atoms(fn)]
        for fn in (sp.Max, sp.Min):
            for c in e.atoms(fn):
                args += [a - b for a, b in itertools.combinations(c.args, 2)]
        for a in args:
            if x not in a.free_symbols or a.free_symbols - {x}:
                continue
            try:
                sols = sp.solve(a, x) if sp.count_ops(a) < 40 else []
            except (NotImplementedError, ValueError):
                sols = []
            points.update(s for s in sols if s.is_number and s.is_real)
    return sorted(points, key=float)[:12]


def _value(expr: sp.Expr, point: dict) -> sp.Expr | None:
    """*expr* at *point* to 30 digits, or None where it is not a finite real number."""
    try:
        v = expr.xreplace(point)
        if v.has(sp.Piecewise):
            v = sp.piecewise_fold(v)
        v = v.evalf(_DIGITS)
    except (TypeError, ValueError, ZeroDivisionError, RecursionError):
        return None
    if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    re_, im_ = v.as_real_imag()
    if im_ != 0 and abs(im_) > _TOL:
        return None
    return re_ if re_.is_Float or re_.is_Rational else None


def _close(a: sp.Expr, b: sp.Expr) -> bool:
    return abs(a - b) <= _TOL * max(1, abs(a), abs(b)) * 10**8  # ~1e-12 relative


def prove_equal(
    a: sp.Expr,
    b: sp.Expr,
    x: sp.Symbol,
    values: dict[sp.Symbol, float] | None = None,
    *,
    points: int = 12,
    seed: int = 0,
) -> Proof:
    """Are *a* and *b* the same function of *x*?  Symbolically if SymPy can decide cheaply,
    else numerically at many points (30 digits, the kinks included, exactly where they are
    rational); other free symbols take *values* (or random values).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> prove_equal(sp.sin(x) ** 2, 1 - sp.cos(x) ** 2, x).route
    'symbolic: simplify(a - b) = 0'
    >>> p = prove_equal(sp.Heaviside(x, 0), sp.Heaviside(x), x)
    >>> p.equal, p.point, p.expected, p.got
    (False, {x: 0}, 0, 1/2)
    """
    a, b = sp.sympify(a), sp.sympify(b)
    if a == b:
        return Proof(True, "identical")
    rng = random.Random(seed)
    values = dict(values or {})
    others = sorted((a.free_symbols | b.free_symbols) - {x} - set(values), key=str)
    fixed = {s: sp.Rational(round(0.3 + 1.4 * rng.random(), 3)).limit_denominator(1000)
             for s in others}  # fmt: skip
    fixed.update({s: sp.nsimplify(v, rational=True) for s, v in values.items()})
    diff = a - b
    kinky = diff.has(*_KINKY)
    if not kinky and sp.count_ops(diff) <= 80:
        cheap = sp.cancel(sp.together(sp.expand(diff)))
        if cheap == 0 or (sp.count_ops(diff) <= 40 and sp.simplify(diff) == 0):
            return Proof(True, "symbolic: simplify(a - b) = 0")
    kinks = _kink_points([a, b], x, fixed)
    near = [k + d for k in kinks for d in (sp.Rational(-1, 1000), sp.Rational(1, 1000))]
    randoms = [sp.Rational(round(rng.uniform(-6, 6), 4)).limit_denominator(10**4)
               for _ in range(points)]  # fmt: skip
    trial = list(dict.fromkeys([*_NICE, *kinks, *near, *randoms]))
    agreed = exact = 0
    for t in trial:
        point = {**fixed, x: sp.nsimplify(t)}
        va, vb = _value(a, point), _value(b, point)
        if va is None and vb is None:
            continue
        if va is None or vb is None or not _close(va, vb):
            return Proof(False, "numeric: they differ", point, *_shown(a, b, point, va, vb))
        agreed += 1
        if t in kinks:
            da = diff.xreplace(point)
            if da.is_number and (da == 0 or sp.nsimplify(da.evalf(_DIGITS), tolerance=1e-25) == 0):
                exact += 1
    if agreed < 6:
        return Proof(False, f"undecided: only {agreed} points where both are defined")
    route = f"numeric: equal at {agreed} points to 30 digits"
    if kinks:
        where = ", ".join(sp.sstr(k) for k in kinks[:4]) + (", ..." if len(kinks) > 4 else "")
        route += f", exactly at the kinks {x} = {where}" if exact == len(kinks) else ""
    return Proof(True, route)


def _shown(a, b, point, va, vb) -> tuple[sp.Expr, sp.Expr]:
    """The two values at a counterexample: exact when that is short, else 6 digits."""
    out = []
    for e, v in ((a, va), (b, vb)):
        exact = e.xreplace(point)
        if exact.is_number and not exact.has(sp.Piecewise) and sp.count_ops(exact) <= 6:
            out.append(exact)
        else:
            out.append(sp.Float(v, 6) if v is not None else sp.nan)
    return out[0], out[1]


# ----------------------------------------------------------------------------------------
# The engine
# ----------------------------------------------------------------------------------------

_NAMES = ("u", "v", "w", "p", "q", "r", "s", "t")


class _Engine:
    def __init__(self, x: sp.Symbol, taken: set[str]) -> None:
        self.x = x
        self.taken = taken | {x.name}
        self.counter = itertools.count()

    def fresh(self) -> sp.Symbol:
        for i in self.counter:
            name = _NAMES[i % len(_NAMES)] + ("" if i < len(_NAMES) else f"_{i // len(_NAMES)}")
            if name not in self.taken:
                return sp.Symbol(name, real=True)
        raise AssertionError("unreachable")  # pragma: no cover

    # -- dispatch ---------------------------------------------------------------------
    def d(self, e: sp.Expr) -> Step:
        x = self.x
        if x not in e.free_symbols:
            what = "a number" if e.is_number else "a constant"
            return self.leaf("constant", e, sp.S.Zero,
                             Sentence(e, " does not depend on ", x, f" ({what}): its derivative is 0."))  # fmt: skip
        if e == x:
            return self.leaf("variable", e, sp.S.One,
                             Sentence("the derivative of ", x, " with respect to itself is 1."))  # fmt: skip
        if e.is_Add:
            return self.sum(e)
        if e.is_Mul:
            return self.mul(e)
        if e.is_Pow:
            return self.pow(e)
        if isinstance(e, sp.Piecewise):
            return self.piecewise(e)
        if isinstance(e, (sp.Max, sp.Min)):
            return self.lattice(e)
        if isinstance(e, sp.Heaviside):
            return self.leaf("heaviside", e, sp.S.Zero, _function_says("heaviside") + Sentence("."))
        if type(e) in _OUTER and len(e.args) == 1:
            return self.function(e)
        return self.dont_know(e)

    def leaf(self, rule: str, e, result, explanation: Sentence, **kw) -> Step:
        return Step(rule, e, result, self.x, explanation, **kw)

    # -- linear rules -----------------------------------------------------------------
    def sum(self, e: sp.Add) -> Step:
        subs = tuple(self.d(t) for t in e.args)
        return Step("sum", e, sp.Add(*(s.result for s in subs)), self.x,
                    Sentence("differentiate term by term, ", *_says("sum").parts, "."), subs,
                    combine=lambda rs: sp.Add(*rs))  # fmt: skip

    def mul(self, e: sp.Mul) -> Step:
        x = self.x
        const = [f for f in e.args if x not in f.free_symbols]
        var = [f for f in e.args if x in f.free_symbols]
        if const:
            c, rest = sp.Mul(*const), sp.Mul(*var)
            sub = self.d(rest)
            return Step("constant_factor", e, c * sub.result, x,
                        Sentence("the constant factor ", c, " stays in front, ",
                                 *_says("constant_factor").parts, "."),
                        (sub,), combine=lambda rs, c=c: c * rs[0])  # fmt: skip
        num, den = _fraction(var)
        if x in num.free_symbols and x in den.free_symbols and den != 1:
            f, g = self.d(num), self.d(den)
            result = (f.result * den - num * g.result) / den**2
            return Step(
                "quotient", e, result, x,
                _says("quotient", " with ", M("f", "f"), " = ", num, " and ", M("g", "g"), " = ", den, "."),
                (f, g), combine=lambda rs, n=num, dd=den: (rs[0] * dd - n * rs[1]) / dd**2,
            )  # fmt: skip
        first, rest = var[0], sp.Mul(*var[1:])
        f, g = self.d(first), self.d(rest)
        return Step(
            "product", e, f.result * rest + first * g.result, x,
            _says("product", " with ", M("f", "f"), " = ", first, " and ", M("g", "g"), " = ", rest, "."),
            (f, g), combine=lambda rs, a=first, b=rest: rs[0] * b + a * rs[1],
        )  # fmt: skip

    # -- powers -----------------------------------------------------------------------
    def pow(self, e: sp.Pow) -> Step:
        x = self.x
        base, ex = e.base, e.exp
        if x not in ex.free_symbols:
            if ex == sp.S.Half:
                return self.chain(e, base, "sqrt", lambda u: 1 / (2 * sp.sqrt(u)),
                                  _says("sqrt"))  # fmt: skip
            return self.chain(e, base, "power", lambda u, n=ex: n * u ** (n - 1),
                              Sentence(*_says("power").parts, " with ",
                                       M("n", "n"), " = ", ex))  # fmt: skip
        if x not in base.free_symbols:
            if base == sp.E:
                return self.chain(e, ex, "exp", sp.exp, _function_says("exp"))
            return self.chain(e, ex, "exponential", lambda u, a=base: a**u * sp.log(a),
                              _says("exponential", " with ", M("a", "a"), " = ", base))  # fmt: skip
        f, g = self.d(base), self.d(ex)
        result = e * (g.result * sp.log(base) + ex * f.result / base)
        return Step(
            "general_power", e, result, x,
            Sentence("write ", M("f^g = e^(g·ln f)", r"f^g = e^{g \ln f}"), ": then ",
                     *_says("general_power").parts, " with ", M("f", "f"), " = ", base,
                     " and ", M("g", "g"), " = ", ex, "."),
            (f, g), combine=lambda rs, e=e, b=base, n=ex: e * (rs[1] * sp.log(b) + n * rs[0] / b),
        )  # fmt: skip

    # -- functions and the chain rule -------------------------------------------------
    def function(self, e: sp.Function) -> Step:
        rule, fprime = _OUTER[type(e)]
        says = _function_says(rule)
        return self.chain(e, e.args[0], rule, fprime, says)

    def chain(self, e, inner, rule: str, fprime: Callable, says: Sentence) -> Step:
        """*e* = f(inner): the rule directly when inner is x, else the chain rule."""
        x = self.x
        full = Sentence(*says.parts, ".")
        if inner == x:
            return self.leaf(rule, e, fprime(x), full)
        u = self.fresh()
        if e.is_Pow:
            outer_expr = sp.Pow(u, e.exp) if rule in ("power", "sqrt") else sp.Pow(e.base, u)
        else:
            outer_expr = e.func(u)
        outer = Step(rule, outer_expr, fprime(u), u, full)
        sub = self.d(inner)
        fp = fprime(inner)
        return Step(
            "chain", e, fp * sub.result, x,
            Sentence("set ", u, " = ", inner, "; then ",
                     M(f"d/d{x} f({u}) = f'({u})·d{u}/d{x}",
                       rf"\frac{{d}}{{d{latex(x)}}} f({latex(u)}) = f'({latex(u)})\,"
                       rf"\frac{{d{latex(u)}}}{{d{latex(x)}}}"), "."),
            (outer, sub), substitution=(u, inner),
            combine=lambda rs, u=u, inner=inner: rs[0].xreplace({u: inner}) * rs[1],
        )  # fmt: skip

    # -- kinks ------------------------------------------------------------------------
    def lattice(self, e: sp.Max | sp.Min) -> Step:
        x = self.x
        first, others = e.args[0], e.args[1:]
        rest = others[0] if len(others) == 1 else e.func(*others, evaluate=False)
        f, g = self.d(first), self.d(rest)
        is_max = isinstance(e, sp.Max)
        gap = first - rest if is_max else rest - first

        def combine(rs, gap=gap, first=first, rest=rest):
            da, db = rs
            out = sp.Heaviside(gap, 0) * da + sp.Heaviside(-gap, 0) * db
            slope_gap = da - db
            if (gap.has(*_KINKY) and da != 0 and db != 0
                    and not (slope_gap.is_number and slope_gap != 0)):  # fmt: skip
                # arguments that agree on a whole interval: their common slope there
                out += (1 - sp.sign(gap) ** 2) * (1 - sp.sign(slope_gap) ** 2) * da
            return out

        key = "max" if is_max else "min"
        says = _says(key, " with ", M("a", "a"), " = ", first, " and ", M("b", "b"), " = ", rest,
                     ": the derivative of whichever argument strictly wins.")  # fmt: skip
        notes = (
            Sentence("At a tie (", M("a = b", "a = b"), ") symnn takes ",
                     M("θ(0) = 0", r"\theta(0) = 0"),
                     f": the gradient reaches only a strict winner, so {key}(x, 0)' = 0 at 0, "
                     "as PyTorch's relu."),
        )  # fmt: skip
        return Step(key, e, combine([f.result, g.result]), x, says, (f, g), notes=notes,
                    combine=combine)  # fmt: skip

    def piecewise(self, e: sp.Piecewise) -> Step:
        x = self.x
        subs = tuple(self.d(v) for v, _ in e.args)
        conds = [c for _, c in e.args]

        def combine(rs, conds=conds):
            return sp.Piecewise(*zip(rs, conds, strict=True))

        result = combine([s.result for s in subs])
        return Step(
            "piecewise", e, result, x,
            Sentence("differentiate each branch on its own, keeping its condition."),
            subs, notes=tuple(_kink_notes(e, [s.result for s in subs], x)), combine=combine,
        )  # fmt: skip

    def dont_know(self, e: sp.Expr) -> Step:
        d = kink_conventions(sp.diff(e, self.x))
        name = type(e).__name__
        return self.leaf(
            "dont_know", e, d,
            Sentence(f"symnn has no rule for {name}; this part is SymPy's own diff, "
                     "not explained step by step."),
        )  # fmt: skip


def _fraction(factors: Sequence[sp.Expr]) -> tuple[sp.Expr, sp.Expr]:
    """Numerator and denominator of a product: the factors with a negative numeric exponent
    go below (``exp(-x)`` stays a factor, unlike :func:`sympy.fraction`)."""
    num, den = [], []
    for f in factors:
        if f.is_Pow and f.exp.is_number and f.exp.is_negative:
            den.append(f.base ** (-f.exp))
        else:
            num.append(f)
    return sp.Mul(*num), sp.Mul(*den)


def _kink_notes(e: sp.Piecewise, branches: list[sp.Expr], x: sp.Symbol) -> list[Sentence]:
    """One sentence per kink: which branch's derivative is taken there, and its value."""
    notes = []
    rels = [r for _, c in e.args for r in c.atoms(sp.Rel)]
    points: list[sp.Expr] = []
    for r in rels:
        a = r.lhs - r.rhs
        if x not in a.free_symbols:
            continue
        try:
            sols = sp.solve(a, x) if sp.count_ops(a) < 30 else []
        except (NotImplementedError, ValueError):
            sols = []
        points += [s for s in sols if x not in s.free_symbols]
    for p in list(dict.fromkeys(points)):
        for (_, cond), value in zip(e.args, branches, strict=True):
            holds = cond.xreplace({x: p}) if cond is not sp.true else sp.true
            if holds is sp.true:
                where = (("the last branch (otherwise)",) if cond is sp.true
                         else ("the branch ", cond))  # fmt: skip
                at = value.xreplace({x: p})
                notes.append(Sentence(
                    "At the kink ", M(f"{x} = {sp.sstr(p)}", f"{latex(x)} = {latex(p)}"), " the derivative is taken from ",
                    *where, ", whose condition holds there: ", at,
                    " (symnn's convention, as PyTorch).",
                ))  # fmt: skip
                break
            if holds is not sp.false:  # undecided (symbolic parameters)
                notes.append(Sentence(
                    "At the kink ", M(f"{x} = {sp.sstr(p)}", f"{latex(x)} = {latex(p)}"), " the first branch whose "
                    "condition holds there gives the derivative (symnn's convention, as PyTorch)."
                ))  # fmt: skip
                break
    return notes


def derive_expr(
    expr: sp.Expr | str,
    wrt: sp.Symbol | str | None = None,
    *,
    target: sp.Expr | None = None,
    values: dict[sp.Symbol, float] | None = None,
    name: str | None = None,
    tex_name: str | None = None,
) -> Derivation:
    r"""The step-by-step derivative of *expr* with respect to *wrt* (see the module docstring).

    Parameters
    ----------
    expr : SymPy expression or str
        A string goes through :func:`symnn.expr.parse.parse` (never ``eval``).
    wrt : Symbol or name, optional
        The variable; by default ``x`` if present, else the only free symbol.
    target : SymPy expression, optional
        The form the last step should show (e.g. a loss's own tidy derivative); it must
        equal :func:`~symnn.expr.symbolic.derivative` -- that is checked.
    values : dict, optional
        Values of the other free symbols (parameters) for the numerical check.
    name, tex_name : str, optional
        The function's name and LaTeX name, for the left-hand side (``\sigma'(x)``).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> d = derive_expr("tanh(x^2)")
    >>> [s.rule for _, s in d.walk()]
    ['chain', 'tanh', 'power']
    >>> d.result
    2*x*(1 - tanh(x**2)**2)
    >>> d.root.substitution
    (u, x**2)
    >>> print(derive_expr(sp.Piecewise((0, x <= 0), (x, True)), x).root.notes[0])
    At the kink x = 0 the derivative is taken from the branch x <= 0, whose condition holds there: 0 (symnn's convention, as PyTorch).
    """
    expr = as_expression(expr, "derive() needs an expression")
    x = _variable(expr, wrt)
    engine = _Engine(x, {s.name for s in expr.free_symbols if isinstance(s, sp.Symbol)})
    root = engine.d(expr)
    true = derivative(expr, x)
    final = true if target is None else target
    steps = [root]
    assembled = kink_conventions(root.result)
    if assembled != final:
        explanation = Sentence("collect and tidy the terms.")
        if assembled != root.result:
            explanation = Sentence("apply ", M("θ(0) = 0", r"\theta(0) = 0"),
                                   " at the kinks, then collect and tidy the terms.")
        steps.append(Step("simplify", root.result, final, x, explanation))
    proof = prove_equal(assembled, true, x, values)
    if proof.equal and target is not None and target != true:
        proof = prove_equal(target, true, x, values)
    if not proof.equal:
        raise DerivationError(
            f"the steps for d/d{x} {sp.sstr(expr)} give {sp.sstr(assembled)}, which does not "
            f"equal derivative() = {sp.sstr(true)} ({proof.route}); please report this bug"
        )
    return Derivation(expr, x, tuple(steps), final, proof, name, tex_name)


def _variable(expr: sp.Expr, wrt: sp.Symbol | str | None) -> sp.Symbol:
    free = sorted((s for s in expr.free_symbols if isinstance(s, sp.Symbol)), key=lambda s: s.name)
    if wrt is None:
        named = [s for s in free if s.name == "x"]
        if named:
            return named[0]
        if len(free) == 1:
            return free[0]
        if not free:
            return sp.Symbol("x", real=True)
        raise ValueError(
            f"{sp.sstr(expr)} has several variables ({', '.join(s.name for s in free)}); "
            "say which one with wrt=..."
        )
    if isinstance(wrt, str):
        named = [s for s in free if s.name == wrt]
        if named:
            return named[0]
        if not wrt.isidentifier():
            raise ValueError(f"the variable must be a name such as x, not {wrt!r}")
        return sp.Symbol(wrt, real=True)
    if not isinstance(wrt, sp.Symbol):
        raise TypeError(f"the variable must be a Symbol or a name, not {type(wrt).__name__} {wrt!r}")
    return wrt


def mutate(step: Step, path: tuple[int, ...], new: Step) -> Step:
    """*step* with the substep at *path* replaced by *new*, results recombined upward."""
    if not path:
        return new
    i, rest = path[0], path[1:]
    subs = list(step.substeps)
    subs[i] = mutate(subs[i], rest, new)
    result = step.combine([s.result for s in subs]) if step.combine else step.result
    return replace(step, substeps=tuple(subs), result=result)


def _slips(step: Step) -> Iterator[sp.Expr]:
    """Results a student might write for *step* instead of the right one: the usual slips."""
    subs = [s.result for s in step.substeps]
    r = step.result
    if step.rule == "chain" and len(subs) == 2 and step.substitution:
        u, inner = step.substitution
        yield subs[0].xreplace({u: inner})  # the factor du/dx forgotten
    if step.rule == "product" and len(subs) == 2:
        yield subs[0] * subs[1]  # (fg)' = f'g'
    if step.rule == "quotient" and len(subs) == 2:
        num, den = sp.fraction(sp.together(step.expr))
        yield (subs[0] * den + num * subs[1]) / den**2  # the sign of f g'
        yield subs[0] / subs[1] if subs[1] != 0 else sp.nan  # f'/g'
    if step.rule == "product" and len(subs) == 2 and step.combine:
        yield step.combine([subs[0], sp.S.Zero])  # one term of the product rule only
        yield step.combine([sp.S.Zero, subs[1]])
    if step.rule in ("power", "sqrt") and step.expr.is_Pow:
        yield step.expr.exp * step.expr  # n·uⁿ (the exponent not lowered)
    if r != 0:
        yield -r  # a sign slip (cos' = sin, ...)


def find_wrong_step(
    derivation: Derivation, answer: sp.Expr, values: dict | None = None
) -> tuple[str, Step] | None:
    """The first step (in reading order) whose usual slip turns the derivation into *answer*.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> number, step = find_wrong_step(derive_expr(sp.sin(x**2), x), sp.cos(x**2))
    >>> number, step.rule
    ('1', 'chain')
    """
    root = derivation.root
    x = derivation.wrt

    def paths(step: Step, path: tuple[int, ...], number: str):
        yield path, number, step
        for i, sub in enumerate(step.substeps):
            yield from paths(sub, (*path, i), f"{number}.{i + 1}")

    for path, number, step in paths(root, (), "1"):
        if step.wrt != x:  # the outer rule of a chain, in u: its slips show at the chain
            continue
        for slip in _slips(step):
            if slip.has(sp.nan):
                continue
            try:
                whole = mutate(root, path, replace(step, result=slip)).result
            except (TypeError, ValueError):
                continue
            if prove_equal(kink_conventions(whole), answer, x, values, points=8).equal:
                return number, step
    return None
