r"""The rule registry: every rewrite of the compiler is one registered row (PyTensor style).

A rule looks at one kind of node (``sp.Add``, ``sp.Mul``, ``sp.Pow``, ``sp.log``, ...)
and returns a replacement or None. There are three ways to write one, all one
registration:

* **a pair in a sum** -- :meth:`Registry.sum_pair`: ``first + second -> to``, where
  the sum holds ``k*first`` and ``k*second`` for a common factor k (any coefficient,
  symbolic or numeric) and is rewritten to ``k*to``. ``first`` is a pattern with
  pattern variables (:data:`U`, :data:`C`, ...); ``second`` and ``to`` are built from
  what ``first`` bound. "A term and a function of the same argument with the same
  coefficient", :math:`k u + k F(u)`, is ``sum_pair(name, F(U), U, to)``.
* **a pair in a product** -- :meth:`Registry.product_pair`: factors ``first * second
  -> to`` (``second`` may bind further pattern variables).
* **a node rewriter** -- :meth:`Registry.node`: a decorated function of the node,
  for rules that compute (binomial coefficients, degrees of polynomials).

Rules run in phases: ``"canonicalize"`` (before the stability rules: distributions
to 0), ``"stabilize"`` (the stability rewrites, bottom-up to a fixed point) and
``"specialize"`` (after branch-free piecewise code: forms that only matter to the
printer, such as :math:`a(x + b/a)`). Each rule carries the LaTeX of its pattern and
of its stable form, from which :meth:`Registry.table` writes the documentation
table, and an example expression on which it fires, which the tests walk.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> demo = Registry()
>>> _ = demo.sum_pair("expm1", sp.exp(U), -1, sp.Function("expm1")(U),
...                   pattern=r"e^{u} - 1", stable=r"\operatorname{expm1}(u)",
...                   example=sp.exp(x) - 1)
>>> demo.apply(3 * sp.exp(2 * x) - 3 + x, "stabilize")
x + 3*expm1(2*x)
>>> print(demo.table())
=================  ===============================
pattern            stable form
=================  ===============================
:math:`e^{u} - 1`  :math:`\operatorname{expm1}(u)`
=================  ===============================
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["PHASES", "A", "C", "Q", "Registry", "Rule", "S", "U", "V", "W", "bottom_up"]

#: Pattern variables for rule templates (``sympy.Wild``).
U, V, W, C, Q, S, A = (sp.Wild(n) for n in ("u", "v", "w", "c", "q", "s", "a"))

#: The phases, in the order :func:`symnn.compiler.pipeline.prepare` runs them.
PHASES = ("canonicalize", "stabilize", "specialize")

Template = sp.Basic | Callable[[dict], sp.Basic | None]


@dataclass(frozen=True)
class Rule:
    """One registered rewrite.

    Attributes
    ----------
    name : unique name (``skip=`` refers to rules by name or tag).
    node : the SymPy class of the nodes the rule looks at.
    rewrite : ``rewrite(node)`` -> the replacement, or None when the rule does not apply.
    pattern, stable : LaTeX (or RST) of the pattern and of its stable form, for the docs.
    phase : ``"canonicalize"``, ``"stabilize"`` or ``"specialize"``.
    tags : names of groups of rules that can be skipped together.
    example : an expression on which the rule fires (the tests walk these).
    """

    name: str
    node: type
    rewrite: Callable[[sp.Basic], sp.Basic | None] = field(repr=False)
    pattern: str = ""
    stable: str = ""
    phase: str = "stabilize"
    tags: frozenset[str] = frozenset()
    example: sp.Basic | None = field(default=None, repr=False)
    doc: bool = True


# ------------------------------------------------------------------------- matching


def _head(e: sp.Basic):
    """The class a pattern or expression is "about" (the function under a power)."""
    return e.base.func if e.is_Pow else e.func


def _heads(e: sp.Basic) -> set:
    """The classes of the terms (or factors) of *e*, numeric coefficients stripped."""
    return {_head(a.as_coeff_Mul()[1]) for a in e.args if not a.is_number}


def _match(expr: sp.Basic, pattern: sp.Basic) -> dict | None:
    """Bindings of *pattern*'s variables that make it *expr*, or None (with a cheap prefilter)."""
    if not pattern.has(sp.Wild):
        return {} if expr == pattern else None
    if isinstance(pattern, sp.Wild):
        return {pattern: expr}
    if pattern.is_Add or pattern.is_Mul:  # SymPy's matching of sums is slow: prefilter
        if expr.func is not pattern.func or len(expr.args) != len(pattern.args):
            return None
        if _heads(pattern) - _heads(expr):
            return None
    head = _head(pattern)
    if head is not sp.Pow and _head(expr) is not head and expr.func is not head:
        return None
    if pattern.is_Pow and not pattern.exp.has(sp.Wild) and not (expr.is_Pow or expr.func is head):
        return None
    found = expr.match(pattern)
    if found is None or not pattern.atoms(sp.Wild) <= set(found):
        return None
    return found


def _build(template: Template, bound: dict) -> sp.Basic | None:
    if callable(template) and not isinstance(template, sp.Basic):
        return template(bound)
    return sp.sympify(template).xreplace(bound)


def _negative_bases(e: sp.Basic) -> set:
    out = set()
    for f in sp.Mul.make_args(e):
        base, ex = f.as_base_exp()
        if ex.is_number and ex.is_negative:
            out.add(base)
    return out


def _split_anchor(first: sp.Basic) -> sp.Basic:
    """The factor of a product pattern that binds every pattern variable (matched first)."""
    wilds = first.atoms(sp.Wild)
    factors = [f for f in sp.Mul.make_args(first) if not f.is_number]
    candidates = [f for f in factors if f.atoms(sp.Wild) == wilds and not isinstance(f, sp.Wild)]
    candidates = [f for f in candidates if not (f.is_Pow and isinstance(f.base, sp.Wild))]
    if not candidates:
        raise ValueError(
            f"rule pattern {first}: no factor binds all of {sorted(map(str, wilds))}; "
            "make the first pattern contain a function of every pattern variable"
        )
    return candidates[0]


def _take_terms(terms: list, wanted: sp.Expr) -> list | None:
    """*terms* without the terms of *wanted*, or None when one is missing.

    Numbers must match exactly: ``2 + erf(u)`` is not ``1 + (1 + erf(u))`` -- where
    the constant is larger than the partner there is no cancellation to remove.
    """
    if wanted in terms:
        rest = list(terms)
        rest.remove(wanted)
        return rest
    for form in (wanted, sp.expand_mul(wanted)):
        rest = list(terms)
        for part in sp.Add.make_args(form):
            if part not in rest:
                break
            rest.remove(part)
        else:
            return rest
    return None


def _take_factors(factors: list, wanted: sp.Expr) -> list | None:
    """*factors* without the factors of *wanted* (a numeric part divides the coefficient)."""
    rest = list(factors)
    coeff = sp.S.One
    for part in sp.Mul.make_args(wanted):
        if part in rest:
            rest.remove(part)
        elif part.is_number:
            coeff *= part
        else:
            return None
    if coeff != 1:
        rest.append(1 / coeff)
    return rest


# ------------------------------------------------------------------------- registry


class Registry:
    """An ordered collection of :class:`Rule` s, applied bottom-up by :meth:`apply`."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}
        self._by_type: dict[tuple[type, str], list[Rule]] = {}

    # -- registration ------------------------------------------------------------------
    def register(self, rule: Rule) -> Rule:
        """Add *rule*; names are unique."""
        if rule.name in self._rules:
            raise ValueError(f"a rule named {rule.name!r} is already registered; pick another name")
        if rule.phase not in PHASES:
            raise ValueError(
                f"rule {rule.name!r}: phase must be one of {PHASES}, not {rule.phase!r}"
            )
        self._rules[rule.name] = rule
        self._by_type.clear()
        return rule

    def node(
        self,
        node: type,
        *,
        pattern: str = "",
        stable: str = "",
        phase: str = "stabilize",
        tags: Iterable[str] = (),
        example: sp.Basic | None = None,
        name: str | None = None,
        doc: bool = True,
    ) -> Callable:
        """Decorator: register ``fn(node) -> replacement | None`` as a rule on *node*'s class.

        >>> import sympy as sp
        >>> demo = Registry()
        >>> @demo.node(sp.cos, pattern=r"\\cos 0", stable="1")
        ... def cos_zero(e):
        ...     return sp.S.One if e.args[0] == 0 else None
        >>> demo.rules()[0].name
        'cos_zero'
        """

        def decorate(fn: Callable[[sp.Basic], sp.Basic | None]):
            self.register(
                Rule(
                    name or fn.__name__,
                    node,
                    fn,
                    pattern,
                    stable,
                    phase,
                    frozenset(tags),
                    example,
                    doc,
                )
            )
            return fn

        return decorate

    def sum_pair(
        self,
        name: str,
        first: sp.Basic,
        second: sp.Basic | int,
        to: Template,
        *,
        pattern: str,
        stable: str,
        when: Callable[[dict], bool] | None = None,
        phase: str = "stabilize",
        tags: Iterable[str] = (),
        example: sp.Basic | None = None,
    ) -> Rule:
        """Register ``k*first + k*second -> k*to`` on sums.

        *first* is matched against the terms of a sum (its anchor -- the factor that
        binds every pattern variable -- against a factor of a term, the rest of *first*
        must divide that term without leaving a new denominator); *second* is built from
        the bindings and must be present as terms of the same sum times the same k. *to* is a
        template or a function of the bindings (None declines); *when* may refuse a match.
        """
        first = sp.sympify(first)
        second = sp.sympify(second)
        anchor = _split_anchor(first)

        def rewrite(add: sp.Add) -> sp.Basic | None:
            terms = list(add.args)
            for i, term in enumerate(terms):
                for factor in sp.Mul.make_args(term):
                    bound = _match(factor, anchor)
                    if bound is None or (when is not None and not when(bound)):
                        continue
                    found = first.xreplace(bound)
                    k = term / found
                    if not _negative_bases(k) <= _negative_bases(term):
                        continue
                    rest = _take_terms(terms[:i] + terms[i + 1 :], k * second.xreplace(bound))
                    if rest is None:
                        continue
                    new = _build(to, bound)
                    if new is None:
                        continue
                    return sp.Add(k * new, *rest)
            return None

        return self.register(
            Rule(name, sp.Add, rewrite, pattern, stable, phase, frozenset(tags), example)
        )

    def product_pair(
        self,
        name: str,
        first: sp.Basic,
        second: sp.Basic,
        to: Template,
        *,
        pattern: str,
        stable: str,
        when: Callable[[dict], bool] | None = None,
        phase: str = "stabilize",
        tags: Iterable[str] = (),
        example: sp.Basic | None = None,
    ) -> Rule:
        """Register ``first * second -> to`` on products.

        *first* is matched against one factor; *second*, after substituting what
        *first* bound, either is present among the other factors (a numeric part
        divides the coefficient) or, if it still has pattern variables, is matched
        against another factor. *to* and *when* are as for :meth:`sum_pair`.
        """
        first = sp.sympify(first)
        second = sp.sympify(second)
        # a cheap test before building *second* (Abs(u)**(1/3) of a large u is slow to build)
        partner_head = None
        if not second.is_Mul and not isinstance(second.as_base_exp()[0], (sp.Wild, sp.Symbol)):
            partner_head = _head(second)

        def rewrite(mul: sp.Mul) -> sp.Basic | None:
            factors = list(mul.args)
            for i, f in enumerate(factors):
                bound = _match(f, first)
                if bound is None:
                    continue
                others = factors[:i] + factors[i + 1 :]
                if partner_head is not None and not any(_head(g) is partner_head for g in others):
                    continue
                want = second.xreplace(bound)
                options: list[tuple[dict, list]] = []
                if want.has(sp.Wild):
                    for j, g in enumerate(others):
                        more = _match(g, want)
                        if more is not None:
                            options.append(({**bound, **more}, others[:j] + others[j + 1 :]))
                else:
                    rest = _take_factors(others, want)
                    if rest is not None:
                        options.append((bound, rest))
                for b, rest in options:
                    if when is not None and not when(b):
                        continue
                    new = _build(to, b)
                    if new is not None:
                        return sp.Mul(new, *rest)
            return None

        return self.register(
            Rule(name, sp.Mul, rewrite, pattern, stable, phase, frozenset(tags), example)
        )

    # -- inspection --------------------------------------------------------------------
    def rules(self, phase: str | None = None) -> list[Rule]:
        """The registered rules (of one phase), in the order they are tried."""
        return [r for r in self._rules.values() if phase is None or r.phase == phase]

    def __getitem__(self, name: str) -> Rule:
        return self._rules[name]

    def __len__(self) -> int:
        return len(self._rules)

    def table(self, phases: Sequence[str] = PHASES) -> str:
        """The documentation table (RST) of the rules: pattern and stable form, one row each."""
        rows = [
            (
                f":math:`{r.pattern}`",
                f":math:`{r.stable}`" if not r.stable.startswith("`") else r.stable,
            )
            for r in self._rules.values()
            if r.phase in phases and r.doc and r.pattern
        ]
        w1 = max([len("pattern"), *(len(a) for a, _ in rows)])
        w2 = max([len("stable form"), *(len(b) for _, b in rows)])
        rule = f"{'=' * w1}  {'=' * w2}"
        lines = [rule, f"{'pattern':<{w1}}  stable form", rule]
        lines += [f"{a:<{w1}}  {b}".rstrip() for a, b in rows]
        lines.append(rule)
        return "\n".join(lines)

    # -- application -------------------------------------------------------------------
    def _for(self, cls: type, phase: str) -> list[Rule]:
        key = (cls, phase)
        if key not in self._by_type:
            self._by_type[key] = [
                r for r in self._rules.values() if r.phase == phase and issubclass(cls, r.node)
            ]
        return self._by_type[key]

    def apply(
        self,
        expr: sp.Basic,
        phase: str,
        *,
        skip: Iterable[str] = (),
        max_passes: int = 6,
    ) -> sp.Basic:
        """Rewrite *expr* bottom-up with the rules of *phase* until nothing changes.

        *skip* names rules or tags not to use. Shared subexpressions are rewritten once.
        """
        skip = frozenset(skip)

        def active(rule: Rule) -> bool:
            return rule.name not in skip and not (rule.tags & skip)

        def at_node(e: sp.Basic) -> sp.Basic:
            for _ in range(8):  # a rule's output may be another rule's input
                for rule in self._for(type(e), phase):
                    if not active(rule):
                        continue
                    new = rule.rewrite(e)
                    if new is not None and new != e:
                        e = new
                        break
                else:
                    return e
                if e.is_Atom:
                    return e
            return e

        for _ in range(max_passes):
            new = _bottom_up(expr, at_node, {})
            if new == expr:
                break
            expr = new
        return expr


def _bottom_up(expr: sp.Basic, fn: Callable[[sp.Basic], sp.Basic], memo: dict) -> sp.Basic:
    """Apply *fn* to every node, children first; each distinct subexpression once."""
    if expr.is_Atom or not expr.args:
        return expr
    hit = memo.get(expr)
    if hit is not None:
        return hit
    if isinstance(expr, sp.Piecewise):
        pieces = [(_bottom_up(e, fn, memo), _bottom_up(c, fn, memo)) for e, c in expr.args]
        changed = any(p != q for p, q in zip(pieces, expr.args, strict=True))
        new = sp.Piecewise(*pieces) if changed else expr
    else:
        args = [_bottom_up(a, fn, memo) for a in expr.args]
        if args == list(expr.args):
            new = expr
        elif isinstance(expr, _INERT):  # their eval simplifies the argument: costly, not needed
            new = expr.func(*args, evaluate=False)
        else:
            new = expr.func(*args)
    out = fn(new)
    memo[expr] = out
    return out


#: Classes rebuilt without evaluation (Abs.eval runs signsimp on its whole argument).
_INERT = (sp.Abs, sp.sign, sp.Heaviside)


def bottom_up(expr: sp.Basic, fn: Callable[[sp.Basic], sp.Basic]) -> sp.Basic:
    """Apply *fn* to every node of *expr*, children first (conditions included).

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> bottom_up(sp.sin(x) + 1, lambda e: sp.cos(*e.args) if isinstance(e, sp.sin) else e)
    cos(x) + 1
    """
    return _bottom_up(expr, fn, {})
