"""Rules for sums, integrals and expectations: swapping them with a derivative, splitting
them and taking constants out (linearity), exchanging finite sums, and the definition of an
expectation.

>>> import sympy as sp
>>> from pgsym.rules import get_rule, RuleContext
>>> j, k, n = sp.symbols("j k n", integer=True, positive=True)
>>> f = sp.Function("f")
>>> swapped = get_rule("exchange of sums").check(
...     sp.Sum(sp.Sum(f(j, k), (j, 1, n)), (k, 1, 3)),
...     sp.Sum(sp.Sum(f(j, k), (k, 1, 3)), (j, 1, n)), RuleContext())
>>> swapped.status.value
'confirmed'
"""
from __future__ import annotations

from itertools import islice, product

import sympy as sp
from sympy.core.function import AppliedUndef

from pgsym._trees import bound_variables, smooth_everywhere_by_form
from pgsym.rules.distributions import rewrite_expectation_of_constant, rewrite_sum_of_distribution
from pgsym.expectation import Expectation
from pgsym.rules._core import (Rule, RewriteNode, RuleContext, RuleRefused, factors_of,
                               product_of, register_builtin, single_variable)
from pgsym.rules.calculus import pull_constants, pulled_constants


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


def _refuse_moving_kink(variable: sp.Basic, total: sp.Basic, kind: str,
                        context: RuleContext) -> None:
    """A jump or kink of the term whose place depends on both ``variable`` and a variable
    of the sum or integral moves with ``variable``: SymPy differentiates it branch by
    branch, which drops what the moving edge contributes (d/dtheta of the integral of
    1{x < theta} over 0..1 is 1, not 0). So every part of the term that depends on both
    must be smooth by its form (:func:`_smooth_node`), and a declared distribution in it
    may not have a support that depends on ``variable`` (its edge moves too). Definitions
    and the values of declared distributions are read through; the edge belongs in the
    bounds."""
    bound = {limit[0] for limit in total.limits}
    body = context.unfold(total.function)
    for application in body.atoms(AppliedUndef):
        distribution = getattr(application, "distribution", None)
        if distribution is not None and any(
                context.depends_on(edge, variable) and edge.is_finite is not False
                for edge in distribution.bounds_at(application.args[1:])):
            raise RuleRefused(f"the support of {type(application).__name__} in the {kind}'s "
                              f"term, {tuple(distribution.bounds_at(application.args[1:]))}, "
                              f"moves with {variable}: differentiating under the {kind} drops "
                              f"what the moving edge contributes")
    values = {application: application.distribution.values_at(application)
              for application in body.atoms(AppliedUndef)
              if getattr(getattr(application, "distribution", None), "values", None) is not None}
    if values:
        body = body.xreplace(values)
    for node in sp.preorder_traversal(body):
        if not _smooth_node(node) and node.free_symbols & bound \
                and context.depends_on(node, variable):
            raise RuleRefused(f"the {kind}'s term holds {node}, which may jump or bend where "
                              f"it moves with {variable}: differentiating it under the {kind} "
                              f"drops what the moving edge contributes; put the edge in the "
                              f"bounds")


def _smooth_node(node: sp.Basic) -> bool:
    """Defined and smooth everywhere by its form
    (:func:`pgsym._trees.smooth_everywhere_by_form`), or a value of an undefined
    function: what the step's condition (the integrand differentiable and dominated) speaks
    of."""
    return smooth_everywhere_by_form(node) or isinstance(node, AppliedUndef)


def _swap_with_gradient(kind: type, name: str, condition_needed) -> "RewriteNode":
    """The rewrite ``d/dv S f = S df/dv`` for ``S`` a sum or an integral (``name``): the
    derivative's variable must not be captured and the bounds must not depend on it;
    ``condition_needed(limits, context)`` is the refusal when no condition is stated and the
    interchange needs one (empty when it does not)."""

    def rewrite(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
        if not (isinstance(node, sp.Derivative) and isinstance(node.expr, kind)):
            return []
        variable = single_variable(node)
        if variable is None:
            return []
        total = node.expr
        _refuse_captured(variable, total, name)
        for limit in total.limits:
            if any(context.depends_on(bound, variable) for bound in limit[1:]):
                raise RuleRefused(f"the bounds of the {name} over {limit[0]} depend on {variable}")
        _refuse_moving_kink(variable, total, name, context)
        refusal = condition_needed(total.limits, context)
        if refusal and not context.condition:
            raise RuleRefused(refusal)
        inner = sp.Derivative(total.function, variable)
        return [kind(inner, *total.limits)] + [kind(pulled, *total.limits)
                                              for pulled in pull_constants(inner, context)]

    return rewrite


_swap_sum_and_gradient = _swap_with_gradient(
    sp.Sum, "sum", lambda limits, context: "" if _finite_bounds(limits, context) else
    "the sum may be infinite; swapping it with the derivative needs a condition (e.g. the sum "
    "of derivatives converges uniformly): state it with condition=...")

#: Leibniz's rule with fixed bounds: that f and df/dv are dominated by an integrable function
#: (or continuous on a bounded interval) is the step's stated condition
_swap_integral_and_gradient = _swap_with_gradient(
    sp.Integral, "integral", lambda limits, context:
    "differentiating under an integral needs a condition (the integrand and its derivative "
    "dominated by an integrable function): state it with condition=...")


def _definition_of_expectation(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """An expectation becomes its sum or integral; nested ones too, or this one alone."""
    if not isinstance(node, Expectation):
        return []
    outer = node.unfold()
    every = outer.replace(lambda e: isinstance(e, Expectation), lambda e: e.unfold())
    return [every, outer] if every != outer else [outer]


def _with_body(node: sp.Basic, body: sp.Basic) -> sp.Basic:
    """The sum, integral or expectation ``node`` over the same variables with a new body."""
    if isinstance(node, Expectation):
        return node.with_body(body)
    return type(node)(body, *node.limits)


def _body(node: sp.Basic) -> sp.Basic:
    return node.body if isinstance(node, Expectation) else node.function


def _linear(node: sp.Basic, context: RuleContext, kinds: tuple) -> list[sp.Basic]:
    """``S (a f + g) = a S f + S g`` for ``S`` a sum, an integral or an expectation and ``a``
    free of its variables; also one term split, or constants pulled out of one term."""
    if not isinstance(node, kinds):
        return []
    options = []
    if isinstance(node, sp.Sum) and len(node.limits) > 1:
        # sum over (t, a) is the sum over a of the sum over t (SymPy's innermost limit comes
        # first): the inner sums' bodies are linear too
        for split in range(1, len(node.limits)):
            inner = sp.Sum(node.function, *node.limits[:split])
            options += [sp.Sum(option, *node.limits[split:])
                        for option in _linear(inner, context, kinds)]
    return options + _linear_over_all(node, context)


def _linear_over_all(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """:func:`_linear` for the whole of ``node``, all its variables at once."""
    variables = set(bound_variables(node))

    def is_constant(factor: sp.Basic) -> bool:
        unfolded = context.unfold(factor)
        return not (variables & (factor.free_symbols | unfolded.free_symbols))

    def pulled(body: sp.Basic) -> list[sp.Basic]:
        return pulled_constants(factors_of(body), is_constant,
                                lambda rest: _with_body(node, rest))

    body = _body(node)
    if isinstance(body, sp.Add):
        split = [_with_body(node, term) for term in body.args]
        each_pulled = [(pulled(term) or [s])[0] for term, s in zip(body.args, split)]
        options = [sp.Add(*each_pulled, evaluate=False), sp.Add(*split, evaluate=False)]
        # any of each term's constants pulled out, the others left in (E[f s - b s] is
        # E[f s] - E[b s]: only the sign pulled out), a bounded number of ways
        per_term = [[whole, *pulled(term)] for term, whole in zip(body.args, split)]
        for choice in islice(product(*per_term), _MAX_SPLITS):
            option = sp.Add(*choice, evaluate=False)
            if option not in options:
                options.append(option)
        return options if options[0] != options[1] else options[1:]
    return pulled(body)


#: how many ways of pulling constants out of the terms of a split sum or expectation are tried
_MAX_SPLITS = 64


def _combined_expectations(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``a E[f] + b E[g] = E[a f + b g]``: in a sum of terms, the expectations over the same
    variables, bounds and density (times factors free of their variables) made one.

    A factor that mentions a variable of the expectation (by name, or through a definition)
    cannot move inside, where that name is the bound variable; expectations over different
    distributions, or the same one written over different variables, are not combined."""
    if not isinstance(node, sp.Add):
        return []
    groups: dict[tuple, list[int]] = {}
    parts: dict[int, tuple[list[sp.Basic], Expectation]] = {}
    for i, term in enumerate(node.args):
        factors = factors_of(term)
        found = [f for f in factors if isinstance(f, Expectation)]
        if len(found) != 1:
            continue
        expectation = found[0]
        constants = [f for f in factors if f is not expectation]
        names = {v.name for v in expectation.variables}
        if not all(f.is_commutative and not ({s.name for s in f.free_symbols
                                              | context.unfold(f).free_symbols
                                              if isinstance(s, sp.Symbol)} & names)
                   for f in constants):
            continue
        parts[i] = (constants, expectation)
        groups.setdefault(expectation.args[1:], []).append(i)
    options = []
    for members in groups.values():
        if len(members) < 2:
            continue
        first = parts[members[0]][1]
        body = sp.Add(*[product_of(parts[i][0] + [parts[i][1].body]) for i in members],
                      evaluate=False)
        rest = [term for i, term in enumerate(node.args) if i not in members]
        combined = first.with_body(body)
        options.append(sp.Add(*rest, combined, evaluate=False) if rest else combined)
    return options


def _linearity_of_sums(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    return _linear(node, context, (sp.Sum, sp.Integral))


def _linearity_of_expectation(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    return _linear(node, context, (Expectation,)) + _combined_expectations(node, context)


def _fresh_index(index: sp.Symbol, lower: sp.Expr, upper: sp.Expr) -> sp.Dummy:
    """A new index for a sum split or shifted from ``index``'s: an integer where the bounds
    are integers, else nothing at all. The old one carries the assumptions of the old
    range, under which SymPy would evaluate the body wrongly on the new one (``|k - 1|`` at
    ``k + 1`` became ``k`` for a ``k >= 0`` summed from -1: hostile review 49); a sum from
    1/2 runs over half-integers, where an integer index made ``sin(pi (j - 1))`` 0 (hostile
    review 51)."""
    integers = all(bound.is_integer or bound.is_infinite for bound in (lower, upper))
    return sp.Dummy(str(index), integer=True) if integers else sp.Dummy(str(index))


def _split_off_a_term(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``sum_{k=a}^{b} f(k) = f(a) + sum_{k=a+1}^{b} f(k) = sum_{k=a}^{b-1} f(k) + f(b)``: an
    identity for every pair of integer bounds under SymPy's (Karr's) convention for a sum
    whose upper bound is below its lower one (``sum_{k=a}^{a-1} = 0``, ``sum_{k=a}^{a-2} =
    -f(a - 1)``); an infinite bound has no last term."""
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return []
    index, lower, upper = node.limits[0]
    fresh = _fresh_index(index, lower, upper)
    rest = node.function.xreplace({index: fresh})
    options = []
    if lower.is_finite:
        options.append(sp.Add(node.function.subs(index, lower),
                              sp.Sum(rest, (fresh, lower + 1, upper)), evaluate=False))
    if upper.is_finite:
        options.append(sp.Add(sp.Sum(rest, (fresh, lower, upper - 1)),
                              node.function.subs(index, upper), evaluate=False))
    return options


def _shift_the_index(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``sum_{k=a}^{b} f(k) = sum_{k=a+c}^{b+c} f(k - c)`` for ``c`` = 1 or -1: an identity for
    every pair of bounds (infinite ones stay infinite)."""
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return []
    index, lower, upper = node.limits[0]
    fresh = _fresh_index(index, lower, upper)
    return [sp.Sum(node.function.xreplace({index: fresh - shift}),
                   (fresh, lower + shift, upper + shift)) for shift in (1, -1)]


def _exchange_of_sums(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``sum_k sum_j f = sum_j sum_k f`` (nested or as two limits of one sum), when the inner
    bounds do not mention the outer variable and every bound is finite (an infinite one needs
    a stated condition, e.g. absolute convergence)."""
    if not isinstance(node, sp.Sum):
        return []
    if len(node.limits) > 1:
        pairs = [(node.limits[i], node.limits[i + 1]) for i in range(len(node.limits) - 1)]
        options = []
        for i, (inner, outer) in enumerate(pairs):
            _exchangeable(inner, outer, context)
            limits = list(node.limits)
            limits[i], limits[i + 1] = outer, inner
            options.append(sp.Sum(node.function, *limits))
        return options
    if not isinstance(node.function, sp.Sum):
        return []
    outer, inner_sum = node.limits[0], node.function
    inner = inner_sum.limits[-1]
    _exchangeable(inner, outer, context)
    rest = inner_sum.limits[:-1]
    body = sp.Sum(inner_sum.function, *rest, outer) if rest else \
        sp.Sum(inner_sum.function, outer)
    return [sp.Sum(body, inner)]


def _exchangeable(inner: tuple, outer: tuple, context: RuleContext) -> None:
    if inner[0] == outer[0]:
        raise RuleRefused(f"both sums run over {inner[0]}: the inner one hides the outer one's "
                          f"variable; rename one")
    if any(outer[0] in context.unfold(bound).free_symbols for bound in inner[1:]):
        raise RuleRefused(f"the bounds of the sum over {inner[0]} depend on {outer[0]}, the "
                          f"variable of the sum around it: exchanging them changes the range")
    if any(inner[0] in context.unfold(bound).free_symbols for bound in outer[1:]):
        raise RuleRefused(f"the bounds of the sum over {outer[0]} mention {inner[0]}, which the "
                          f"inner sum binds: moved outside, that sum would capture them")
    if not _finite_bounds((inner, outer), context) and not context.condition:
        raise RuleRefused("an infinite double sum can be exchanged only when it converges "
                          "absolutely: state it with condition=...")


for _rule in (
    Rule("swap sum and gradient",
         "d/dv sum_x f = sum_x df/dv, for bounds free of v; an infinite sum needs a stated "
         "condition", rewrite=_swap_sum_and_gradient, interchange=True,
         aliases=("swap sum and derivative", "differentiate under the sum")),
    Rule("swap integral and gradient",
         "d/dv int f dx = int df/dv dx, for bounds free of v, under a stated condition (f, "
         "df/dv dominated by an integrable function)",
         rewrite=_swap_integral_and_gradient, interchange=True,
         aliases=("differentiate under the integral", "leibniz integral rule")),
    Rule("definition of expectation", "E_{x~p}[f] = sum_x p(x) f(x) (or an integral)",
         rewrite=_definition_of_expectation,
         aliases=("defn expectation", "definition of expectation again")),
    Rule("linearity of sums", "sum (a f + g) = a sum f + sum g for a free of the summation "
         "variable (integrals alike)", rewrite=_linearity_of_sums, proves=True,
         aliases=("linearity of integrals", "linearity of summation", "split the sum",
                  "factor out of the sum")),
    Rule("linearity of expectation", "E[a f + g] = a E[f] + E[g] for a free of the random "
         "variable (split, or expectations over the same distribution combined)",
         rewrite=_linearity_of_expectation, proves=True),
    # (not identities by themselves: for an abstract distribution, summing to one is an
    # assumption, which the value check states; so these rules never prove a step alone)
    Rule("sum of a distribution is one", "sum_x p(x) = 1 (or the integral) over exactly the "
         "support of a declared distribution p", rewrite=rewrite_sum_of_distribution,
         aliases=("normalisation", "normalization", "probabilities sum to one")),
    Rule("expectation of a constant", "E_{x~p}[c] = c for c free of x and p a declared "
         "distribution", rewrite=rewrite_expectation_of_constant),
    Rule("split off a term", "sum_{k=a}^{b} f(k) = f(a) + sum_{k=a+1}^{b} f(k) (or the last "
         "term, f(b))", rewrite=_split_off_a_term, proves=True,
         aliases=("peel off a term", "split off the first term", "split off the last term")),
    Rule("shift the index", "sum_{k=a}^{b} f(k) = sum_{k=a+1}^{b+1} f(k-1) (or by -1)",
         rewrite=_shift_the_index, proves=True,
         aliases=("index shift", "reindex the sum", "change of summation index")),
    Rule("exchange of sums", "sum_k sum_j f = sum_j sum_k f, for finite bounds that do not "
         "depend on each other", rewrite=_exchange_of_sums, proves=True,
         aliases=("exchange finite sums", "swap sums", "swap the order of summation")),
):
    register_builtin(_rule)
