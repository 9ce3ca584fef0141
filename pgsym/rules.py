"""The rules that justify steps: one registry of built-in rules, and rules users pass in.

A rule may be a *transformation*: then it knows how to rewrite an expression, and the
verifier checks that applying it to the previous step (or, for rules that read both ways,
to the new step) gives the other one, up to the order and grouping of terms and
commutative factors. Nothing is evaluated while a rule is applied, so a rule confirms only
what it says. A rule without a check (``check=None``) only asserts equality, which the
verifier checks on its own.

The built-in rules cannot be replaced. A user's rule is a :class:`Rule` object that a step
cites directly (``d.step(expr, rule=my_rule)``): it is visible to the derivations that
cite it and to no other, and it may not take the name of a built-in rule.

>>> sorted(registered_rules())[:3]
['algebra', 'associativity', 'chain rule']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import sympy as sp
from sympy.core.function import AppliedUndef

from pgsym._sums import write_out
from pgsym._trees import (NOT_SMOOTH, binders, bound_variables, depends_on, range_assumptions,
                          rebuild, replace_unevaluated)
from pgsym.expectation import Expectation
from pgsym.report import Justification, RuleCheck

__all__ = ["Justification", "Rule", "RuleCheck", "RuleContext", "RuleRefused", "canonical",
           "get_rule", "is_builtin_name", "registered_rules"]


@dataclass(frozen=True)
class RuleContext:
    """What a rule check may read besides the two expressions.

    ``unfold`` replaces defined symbols and functions by their definitions (without
    evaluating anything), ``using`` is the step's ``using=`` pairs, ``condition`` the
    assumption the step states (empty if none), and ``prove(a, b)`` tells whether ``a = b``
    is proved (it runs the verifier's value check).
    """

    unfold: Callable[[sp.Expr], sp.Expr] = lambda expr: expr
    using: tuple[tuple[sp.Basic, sp.Basic], ...] = ()
    condition: str = ""
    prove: Callable[[sp.Expr, sp.Expr], bool] = lambda a, b: False
    #: the condition when the step states it as a SymPy relation (``sp.Ne(q, 0)``)
    relation: sp.Basic | None = None

    def states_nonzero(self, expr: sp.Expr) -> bool:
        """Whether the stated condition says ``expr != 0``: as text (which every output prints
        for the reader to judge), or as a relation ``a != b``, ``a > b`` or ``a < b`` with
        ``a - b = ±expr`` (alone or in an ``And``)."""
        if self.relation is None:
            return bool(self.condition)
        parts = self.relation.args if isinstance(self.relation, sp.And) else (self.relation,)
        target = self.unfold(expr)
        for part in parts:
            if isinstance(part, (sp.Ne, sp.StrictGreaterThan, sp.StrictLessThan)):
                gap = self.unfold(part.args[0]) - self.unfold(part.args[1])
                if sp.expand(gap - target) == 0 or sp.expand(gap + target) == 0:
                    return True  # q != 0, q > 0, 1 < x for q = x - 1, ...
        return False

    def depends_on(self, expr: sp.Basic, variable: sp.Basic) -> bool:
        """Whether ``expr`` may vary with ``variable``, reading through definitions, of
        both (``d/dy`` with ``y := theta`` is ``d/dtheta``)."""
        unfolded = self.unfold(expr)
        return depends_on(unfolded, variable) or depends_on(unfolded, self.unfold(variable))

    def is_nonzero(self, expr: sp.Expr) -> bool:
        """Whether SymPy's assumptions show ``expr`` (its definitions unfolded) is never 0."""
        value = write_out(self.unfold(expr))
        return bool(value.is_nonzero or value.is_positive or value.is_negative)


RuleCheckFunction = Callable[[sp.Expr, sp.Expr, RuleContext], RuleCheck]


@dataclass(frozen=True)
class Rule:
    """A named justification; ``check`` is ``None`` for rules that only assert equality.

    An ``interchange`` rule (swapping a limit and a derivative) is an identity under a
    condition the step states; when a built-in one is confirmed and the condition is stated,
    the step is proved under that assumption even where no evaluation can show it. (A rule
    of your own never makes a step proved: its check is code pgsym cannot vouch for, so the
    flag has no effect on it.)

    >>> Rule("my identity", "an identity I trust").is_transformation
    False
    """

    name: str
    description: str
    check: RuleCheckFunction | None = None
    aliases: tuple[str, ...] = ()
    needs_using: bool = False
    interchange: bool = False

    @property
    def is_transformation(self) -> bool:
        return self.check is not None


class RuleRefused(Exception):
    """Raised by a rewrite whose side conditions fail (the message says which)."""


_REGISTRY: dict[str, Rule] = {}
_ALIASES: dict[str, str] = {}


def _key(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


def _register_builtin(rule: Rule) -> None:
    for name in (rule.name, *rule.aliases):
        if _key(name) in _ALIASES:
            raise ValueError(f"rule name {name!r} is already used by rule {_ALIASES[_key(name)]!r}")
        _ALIASES[_key(name)] = rule.name
    _REGISTRY[rule.name] = rule


def is_builtin_name(name: str) -> bool:
    """Whether ``name`` (or a spelling of it) names a built-in rule."""
    return _key(name) in _ALIASES


def get_rule(name: str) -> Rule:
    """Returns the built-in rule called ``name`` (or one of its aliases); ``KeyError`` lists
    the known ones."""
    if not isinstance(name, str) or _key(name) not in _ALIASES:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown rule {name!r}; known rules: {known} (or pass a pgsym.Rule "
                       f"object for a rule of your own)")
    return _REGISTRY[_ALIASES[_key(name)]]


def registered_rules() -> dict[str, Rule]:
    """Returns a copy of the built-in rules, by canonical name."""
    return dict(_REGISTRY)


# -- canonical form: sums and commutative products flattened and sorted, nothing evaluated --
def canonical(expr: sp.Basic) -> sp.Basic:
    """Returns ``expr`` with nested sums and products flattened and their terms sorted.

    Nothing is cancelled, expanded or evaluated, so ``canonical(a*(b/b))`` still shows
    ``b/b`` and ``exp(log(x))`` stays; only commutative factors are sorted, so ``A*B`` and
    ``B*A`` differ for non-commutative ``A``, ``B``. Two expressions with equal canonical
    forms differ only by associativity, commutativity, and factors 1 or terms 0.

    >>> import sympy as sp
    >>> a, b = sp.symbols("a b")
    >>> canonical(sp.Mul(sp.Mul(b, a, evaluate=False), 1 / b, evaluate=False)).args
    (a, 1/b, b)
    """
    if expr.is_Atom or not expr.args:
        return expr
    args = [canonical(a) for a in expr.args]
    if isinstance(expr, (sp.Mul, sp.Add)):
        kind = type(expr)
        flat: list[sp.Basic] = []
        for a in args:
            flat.extend(a.args if type(a) is kind else [a])
        identity = sp.S.One if isinstance(expr, sp.Mul) else sp.S.Zero
        flat = [a for a in flat if a != identity]
        commutative = sorted((a for a in flat if a.is_commutative), key=sp.default_sort_key)
        ordered = [a for a in flat if not a.is_commutative]  # their order is their meaning
        terms = commutative + ordered
        if not terms:
            return identity
        return terms[0] if len(terms) == 1 else kind(*terms, evaluate=False)
    return rebuild(expr, args)


def _matches(candidates: Iterable[sp.Basic], target: sp.Basic) -> bool:
    goal = canonical(target)
    return any(canonical(c) == goal for c in candidates)


RewriteNode = Callable[[sp.Basic, RuleContext], list[sp.Basic]]


def rewrites(expr: sp.Basic, rewrite_node: RewriteNode, context: RuleContext,
             limit: int = 64) -> Iterator[sp.Basic]:
    """Yields ``expr`` rewritten at every matching node at once, then at each node alone.

    ``rewrite_node`` returns the possible replacements of one node (empty if it does not
    match). May raise :class:`RuleRefused` to explain why a node that looks like a match
    cannot be rewritten.
    """
    base = canonical(expr)
    replacements: dict[sp.Basic, list[sp.Basic]] = {}
    for node in sp.preorder_traversal(base):
        if node not in replacements:
            found = rewrite_node(node, context)
            if found:
                replacements[node] = found
    if not replacements:
        return
    yield replace_unevaluated(base, {node: options[0] for node, options in replacements.items()})
    count = 1
    for node, options in replacements.items():
        for option in options:
            if count >= limit:
                return
            count += 1
            yield replace_unevaluated(base, {node: option})


def _as_written_and_unfolded(before: sp.Expr, after: sp.Expr,
                             context: RuleContext) -> list[tuple[sp.Expr, sp.Expr]]:
    """The two steps as written and with definitions unfolded: a rule may link either."""
    unfolded = (context.unfold(before), context.unfold(after))
    return [(before, after)] if unfolded == (before, after) else [(before, after), unfolded]


def by_rewriting(rewrite_node: RewriteNode) -> RuleCheckFunction:
    """Builds a rule check: rewriting the previous step (or the new one) gives the other."""

    def check(before: sp.Expr, after: sp.Expr, context: RuleContext) -> RuleCheck:
        refusals: list[str] = []
        for written_before, written_after in _as_written_and_unfolded(before, after, context):
            for source, target in ((written_before, written_after), (written_after, written_before)):
                try:
                    if _matches(rewrites(source, rewrite_node, context), target):
                        return RuleCheck(Justification.CONFIRMED)
                except RuleRefused as refused:
                    refusals.append(str(refused))
        if refusals:
            return RuleCheck(Justification.MISMATCH, "the rule does not apply: " + refusals[0])
        return RuleCheck(Justification.MISMATCH,
                         "applying the rule to the previous step does not give this step")

    return check


def _factors(node: sp.Basic) -> list[sp.Basic]:
    return list(node.args) if isinstance(node, sp.Mul) else [node]


def _product(factors: list[sp.Basic]) -> sp.Basic:
    if not factors:
        return sp.S.One
    return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)


def _single_variable(derivative: sp.Derivative) -> sp.Basic | None:
    counts = derivative.variable_count
    return counts[0][0] if len(counts) == 1 and counts[0][1] == 1 else None


# -- the rules -------------------------------------------------------------------------
def _check_definition(before: sp.Expr, after: sp.Expr, context: RuleContext) -> RuleCheck:
    if canonical(before) == canonical(after):
        return RuleCheck(Justification.MISMATCH, "no definition is used: the step only regroups")
    if canonical(context.unfold(before)) == canonical(context.unfold(after)):
        return RuleCheck(Justification.CONFIRMED)
    return RuleCheck(Justification.MISMATCH,
                     "unfolding the definitions does not make the two steps identical")


def _check_regrouping(before: sp.Expr, after: sp.Expr, context: RuleContext) -> RuleCheck:
    if any(canonical(b) == canonical(a) for b, a in _as_written_and_unfolded(before, after, context)):
        return RuleCheck(Justification.CONFIRMED)
    return RuleCheck(Justification.MISMATCH,
                     "the steps differ by more than the order and grouping of factors and terms")


def _chain_rule(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    if not isinstance(node, sp.Derivative):
        return []
    variable = _single_variable(node)
    outer = node.expr
    if variable is None:
        return []
    if isinstance(outer, sp.Pow) and not context.depends_on(outer.exp, variable):
        inner, build = outer.base, (lambda u, e=outer.exp: sp.Pow(u, e))
    elif isinstance(outer, sp.Function) and not isinstance(outer, AppliedUndef) \
            and len(outer.args) == 1:
        if isinstance(outer, NOT_SMOOTH):
            raise RuleRefused(f"{outer.func} is not differentiable everywhere (a kink, jump or "
                              f"branch cut), so the chain rule does not apply to it")
        inner, build = outer.args[0], outer.func
    else:
        return []
    if inner == variable or not context.depends_on(inner, variable):
        return []
    u = sp.Dummy("u")
    options = [sp.Mul(sp.Subs(sp.Derivative(build(u), u), u, inner),
                      sp.Derivative(inner, variable), evaluate=False)]
    if isinstance(inner, (sp.Symbol, AppliedUndef)):
        options.insert(0, sp.Mul(sp.Derivative(build(inner), inner),
                                 sp.Derivative(inner, variable), evaluate=False))
    return options


def _derivative_of_log(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    if isinstance(node, sp.Derivative) and isinstance(node.expr, sp.log):
        if _single_variable(node) == node.expr.args[0]:
            return [sp.Pow(node.expr.args[0], -1)]
    if isinstance(node, sp.Subs) and len(node.variables) == 1:
        inner = node.expr
        if isinstance(inner, sp.Derivative) and isinstance(inner.expr, sp.log) \
                and _single_variable(inner) == inner.expr.args[0] == node.variables[0]:
            return [sp.Pow(node.point[0], -1)]
    return []


def _cancel_one_pair(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """Removes a factor ``q * (1/q)`` from a product: the inverse of multiplying by one.

    Needs ``q != 0``: shown by SymPy's assumptions, or stated by the step's condition.
    """
    if not isinstance(node, sp.Mul):
        return []
    factors = _factors(node)
    options, refusal = [], ""
    for i, f in enumerate(factors):
        for j, g in enumerate(factors):
            if i != j and not f.is_Number and f.is_commutative and g == sp.Pow(f, -1):
                if not (context.is_nonzero(f) or context.states_nonzero(f)):
                    said = f" (the condition {context.relation} does not say so)" \
                        if context.relation is not None else ""
                    refusal = (f"{f} may be zero, so ({f})/({f}) may not be 1{said}: state why it "
                               f"is not with condition=... (e.g. sympy.Ne({f}, 0))")
                    continue
                rest = [h for k, h in enumerate(factors) if k not in (i, j)]
                options.append(_product(rest))
    if refusal and not options:
        raise RuleRefused(refusal)
    return options


def _log_derivative(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``(d/dv u) * (1/u)`` inside a product becomes ``d/dv log u``."""
    if not isinstance(node, sp.Mul):
        return []
    factors = _factors(node)
    options = []
    for i, f in enumerate(factors):
        if isinstance(f, sp.Derivative) and _single_variable(f) is not None \
                and f.expr.is_commutative:  # (u' B) / u is not (u'/u) B for matrices
            inverse = sp.Pow(f.expr, -1)
            for j, g in enumerate(factors):
                if j != i and g == inverse:
                    rest = [h for k, h in enumerate(factors) if k not in (i, j)]
                    score = sp.Derivative(sp.log(f.expr), _single_variable(f))
                    options.append(_product([score] + rest))
    return options


def _pull_constants(derivative: sp.Derivative, context: RuleContext) -> sp.Basic:
    """``d/dv (c * f) = c * d/dv f`` for every factor ``c`` free of ``v`` (through definitions)."""
    variable = _single_variable(derivative)
    factors = _factors(derivative.expr)
    # only commutative factors may move out (d/dt (G A) is not A dG/dt for matrices)
    moves = [f.is_commutative and not context.depends_on(f, variable) for f in factors]
    constant = [f for f, move in zip(factors, moves) if move]
    varying = [f for f, move in zip(factors, moves) if not move]
    if not constant or not varying:
        return derivative
    return _product(constant + [sp.Derivative(_product(varying), variable)])


def _linearity(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    if not isinstance(node, sp.Derivative) or _single_variable(node) is None:
        return []
    variable = _single_variable(node)
    if isinstance(node.expr, sp.Add):
        terms = [sp.Derivative(t, variable) for t in node.expr.args]
        split = sp.Add(*terms, evaluate=False)
        pulled = sp.Add(*[_pull_constants(t, context) for t in terms], evaluate=False)
        return [pulled, split] if pulled != split else [split]
    pulled = _pull_constants(node, context)
    return [pulled] if pulled != node else []


def _finite_bounds(limits, context: RuleContext) -> bool:
    return all(context.unfold(bound).is_finite for limit in limits for bound in limit[1:])


def _refuse_captured(variable: sp.Basic, total: sp.Basic, kind: str) -> None:
    """A derivative with respect to the sum's (or integral's) own variable, or to something
    that mentions it (``theta[k]`` for a sum over ``k``), cannot move inside: there the
    name means something else."""
    bound = {limit[0] for limit in total.limits}
    captured = bound & ({variable} | variable.free_symbols)
    if captured:
        name = sorted(map(str, captured))[0]
        raise RuleRefused(f"the derivative is taken with respect to {variable}, which "
                          f"mentions {name}, the variable of the {kind}: inside it {name} "
                          f"means something else; rename the {kind}'s variable")


def _swap_sum_and_gradient(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    if not (isinstance(node, sp.Derivative) and isinstance(node.expr, sp.Sum)):
        return []
    variable = _single_variable(node)
    if variable is None:
        return []
    total = node.expr
    _refuse_captured(variable, total, "sum")
    for index, lower, upper in total.limits:
        if context.depends_on(lower, variable) or context.depends_on(upper, variable):
            raise RuleRefused(f"the bounds of the sum over {index} depend on {variable}")
    if not _finite_bounds(total.limits, context) and not context.condition:
        raise RuleRefused(
            f"the sum may be infinite; swapping it with the derivative needs a condition "
            f"(e.g. the sum of derivatives converges uniformly): state it with condition=...")
    inner = sp.Derivative(total.function, variable)
    options = [sp.Sum(inner, *total.limits)]
    if _pull_constants(inner, context) != inner:
        options.append(sp.Sum(_pull_constants(inner, context), *total.limits))
    return options


def _swap_integral_and_gradient(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """Leibniz's rule with fixed bounds: d/dv int f dx = int df/dv dx.

    The bounds must not depend on v. That f and df/dv are dominated by an integrable
    function (or continuous on a bounded interval) is the step's stated condition.
    """
    if not (isinstance(node, sp.Derivative) and isinstance(node.expr, sp.Integral)):
        return []
    variable = _single_variable(node)
    if variable is None:
        return []
    integral = node.expr
    _refuse_captured(variable, integral, "integral")
    for limit in integral.limits:
        if any(context.depends_on(bound, variable) for bound in limit[1:]):
            raise RuleRefused(f"the bounds of the integral over {limit[0]} depend on {variable}")
    if not context.condition:
        raise RuleRefused("differentiating under an integral needs a condition (the integrand "
                          "and its derivative dominated by an integrable function): state it "
                          "with condition=...")
    inner = sp.Derivative(integral.function, variable)
    options = [sp.Integral(inner, *integral.limits)]
    if _pull_constants(inner, context) != inner:
        options.append(sp.Integral(_pull_constants(inner, context), *integral.limits))
    return options


def _definition_of_expectation(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """An expectation becomes its sum or integral; nested ones too, or this one alone."""
    if not isinstance(node, Expectation):
        return []
    outer = node.unfold()
    every = outer.replace(lambda e: isinstance(e, Expectation), lambda e: e.unfold())
    return [every, outer] if every != outer else [outer]


def _where_bound(exprs, symbols: set, context: RuleContext) -> tuple[list, bool]:
    """Where binders of ``exprs`` (as written or unfolded) bind one of ``symbols``: each
    (variable, binder, limit) of a sum, product or integral, and whether any other binder
    (a ``Subs``, a ``Lambda``, an expectation), which has no range, binds one."""
    ranges, rangeless = [], False
    for expr in exprs:
        for written in {expr, context.unfold(expr)}:
            for node in binders(written):
                if isinstance(node, sp.concrete.expr_with_limits.ExprWithLimits):
                    ranges += [(limit[0], node, limit) for limit in node.limits
                               if limit[0] in symbols and len(limit) == 3]
                elif symbols & set(bound_variables(node)):
                    rangeless = True
    return ranges, rangeless


def _check_substitution(before: sp.Expr, after: sp.Expr, context: RuleContext) -> RuleCheck:
    mapping = dict(context.using)
    free = before.free_symbols | after.free_symbols
    for old, new in mapping.items():
        symbols = old.free_symbols | new.free_symbols
        # where the premise's symbols are only bound by sums, products and integrals, it must
        # hold over their ranges only; bound by anything else (Subs, Lambda), everywhere
        ranges, rangeless = _where_bound((before, after), symbols, context)
        if (symbols & free or not ranges or rangeless) and not context.prove(old, new):
            return RuleCheck(Justification.MISMATCH,
                             f"the premise {old} = {new} of the substitution is not proved")
        for variable, node, limit in ranges:
            inside = sp.Symbol(f"{variable.name}_in_range", **range_assumptions(node, limit))
            if not context.prove(old.xreplace({variable: inside}), new.xreplace({variable: inside})):
                return RuleCheck(Justification.MISMATCH,
                                 f"the premise {old} = {new} is not proved for {variable} in the "
                                 f"range {tuple(limit[1:])} over which {type(node).__name__} "
                                 f"binds it, where the substitution would apply it")
    inverse = {new: old for old, new in mapping.items()}
    for written_before, written_after in _as_written_and_unfolded(before, after, context):
        for source, target, replace in ((written_before, written_after, mapping),
                                        (written_after, written_before, inverse)):
            if _matches([replace_unevaluated(source, replace)], target):
                return RuleCheck(Justification.CONFIRMED)
    shown = ", ".join(f"{old} -> {new}" for old, new in mapping.items())
    return RuleCheck(Justification.MISMATCH, f"substituting {shown} does not give this step")


for _rule in (
    Rule("definition", "replace a defined symbol by its definition, or back",
         _check_definition, aliases=("definitions", "by definition")),
    Rule("chain rule", "d/dv f(g) = f'(g) * dg/dv", by_rewriting(_chain_rule)),
    Rule("derivative of log", "d/du log u = 1/u", by_rewriting(_derivative_of_log),
         aliases=("d/dx log x = 1/x",)),
    Rule("multiply by one", "multiply by q/q = 1 (or divide and multiply by q), for q != 0",
         by_rewriting(_cancel_one_pair), aliases=("multiply by 1", "multiply/divide")),
    Rule("associativity", "regroup and reorder factors and terms",
         _check_regrouping, aliases=("commutativity", "multiplication is associative",
                                     "associativity/commutativity")),
    Rule("linearity of differentiation", "d/dv (a f + g) = a df/dv + dg/dv for a free of v",
         by_rewriting(_linearity), aliases=("linearity",)),
    Rule("swap sum and gradient",
         "d/dv sum_x f = sum_x df/dv, for bounds free of v; an infinite sum needs a stated "
         "condition", by_rewriting(_swap_sum_and_gradient), interchange=True,
         aliases=("swap sum and derivative", "differentiate under the sum")),
    Rule("swap integral and gradient",
         "d/dv int f dx = int df/dv dx, for bounds free of v, under a stated condition (f, "
         "df/dv dominated by an integrable function)",
         by_rewriting(_swap_integral_and_gradient), interchange=True,
         aliases=("differentiate under the integral", "leibniz integral rule")),
    Rule("definition of expectation", "E_{x~p}[f] = sum_x p(x) f(x) (or an integral)",
         by_rewriting(_definition_of_expectation),
         aliases=("defn expectation", "definition of expectation again")),
    Rule("log-derivative identity", "(1/u) du/dv = d/dv log u (for u != 0)",
         by_rewriting(_log_derivative), aliases=("log derivative trick", "likelihood ratio")),
    Rule("substitution", "replace expressions as given by `using=`, each replacement proved",
         _check_substitution, needs_using=True, aliases=("substitute",)),
    Rule("algebra", "any algebraic identity; only the equality of the two sides is checked",
         aliases=("simplify", "simplification")),
    Rule("policy gradient theorem",
         "grad J = E_pi[grad log pi(a|s) Q(s,a)]; only the equality of the two sides is checked"),
):
    _register_builtin(_rule)
