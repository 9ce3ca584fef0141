"""The rules that read declared distributions: "sum of a distribution is one" (``sum_x p(x;
theta) = 1`` over exactly ``p``'s support) and "expectation of a constant" (``E_{x ~ p}[c] =
c``). Each refuses a distribution whose values were declared with ``check=False`` (their
total is not known to be one). :mod:`pgsym.rules.limits` registers them.
"""
from __future__ import annotations

import sympy as sp

from pgsym._distributions import Distribution, DistributionValue, distribution_of
from pgsym.expectation import Expectation
from pgsym.report import RuleCheck
from pgsym.rules._core import RuleContext, RuleRefused, by_rewriting

__all__ = ["check_expectation_of_constant", "check_sum_of_distribution",
           "rewrite_expectation_of_constant", "rewrite_sum_of_distribution"]


def _refuse_unknown_total(distribution: Distribution) -> None:
    """Values declared with ``check=False`` are not known to sum to one: no rule says so."""
    if not distribution.is_abstract and not distribution.is_known_normalised:
        raise RuleRefused(f"the values of {distribution.name} were declared with check=False: "
                          f"their total is not known to be one")


def _refuse_rebound(distribution, bound: set) -> None:
    """A symbol the declaration depends on without showing it (``K`` of ``p`` over
    ``0..K-1``) is the declared one: a sum or expectation around that binds the name runs
    it over other values, for which ``p`` was never declared (over ``K = 0..2`` its support
    is empty at ``K = 0``)."""
    rebound = sorted(map(str, distribution.hidden_symbols & bound))
    if rebound:
        raise RuleRefused(f"{distribution.name} is declared with {', '.join(rebound)} as "
                          f"given, but a sum or expectation around it binds "
                          f"{', '.join(rebound)}: it is declared for no such values")


def rewrite_sum_of_distribution(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``sum_x p(x; a)`` over exactly ``p``'s support (an integral for a density) is 1."""
    if not isinstance(node, (sp.Sum, sp.Integral)) or len(node.limits) != 1 \
            or len(node.limits[0]) != 3:
        return []
    found = distribution_of(node.function)
    if found is None:
        return []
    distribution, parameters = found
    (index, lower, upper), = node.limits
    name = distribution.name
    if node.function.args[0] != index:
        raise RuleRefused(f"the sum is over {index}, but {node.function} is not {name} at {index}")
    if distribution.is_discrete != isinstance(node, sp.Sum):
        kind, total = ("mass function", "sum") if distribution.is_discrete else ("density", "integral")
        raise RuleRefused(f"{name} is a {kind}: its total is a {total}")
    if any(context.depends_on(p, index) for p in parameters):
        raise RuleRefused(f"the parameters of {node.function} vary with {index}")
    if not distribution.respects_parameters(parameters):
        raise RuleRefused(f"{name} is declared for parameters {distribution.parameters} only, "
                          f"and {parameters} are not shown to have their assumptions")
    _refuse_unknown_total(distribution)
    _refuse_rebound(distribution, {limit[0] for limit in context.enclosing})
    support = distribution.bounds_at(parameters)
    if (lower, upper) != support and (context.unfold(lower), context.unfold(upper)) != support:
        raise RuleRefused(f"{name} is declared over {distribution.variable} = {support[0]}.."
                          f"{support[1]}; this {type(node).__name__.lower()} runs over "
                          f"{lower}..{upper}")
    return [sp.S.One]


def check_sum_of_distribution(before: sp.Expr, after: sp.Expr,
                              context: RuleContext) -> RuleCheck:
    """The rule "sum of a distribution is one": ``sum_x p(x; theta) = 1`` for a declared
    distribution ``p`` summed over exactly its support (``integral ... dx`` for a density),
    in either direction, anywhere in the step.

    >>> import sympy as sp
    >>> from pgsym.rules import RuleContext
    >>> x = sp.Symbol("x", integer=True)
    >>> p, c = Distribution("p", (x, 1, 6)), sp.Symbol("c")
    >>> check_sum_of_distribution(c * sp.Sum(p(x), (x, 1, 6)), c, RuleContext()).status
    <Justification.CONFIRMED: 'confirmed'>
    >>> check_sum_of_distribution(c * sp.Sum(p(x), (x, 0, 6)), c, RuleContext()).detail
    'the rule does not apply: p is declared over x = 1..6; this sum runs over 0..6'
    """
    return by_rewriting(rewrite_sum_of_distribution)(before, after, context)


def rewrite_expectation_of_constant(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``E[c] = c`` where the density is a product of declared distributions, one for each
    variable over exactly its support, each with parameters from the variables before it."""
    if not isinstance(node, Expectation):
        return []
    limits = node.all_limits
    variables = [limit[0] for limit in limits]
    for variable in variables:
        if context.depends_on(node.body, variable):
            raise RuleRefused(f"the body {node.body} varies with {variable}: it is not a constant")
    factors = list(sp.Mul.make_args(node.density))
    if len(factors) != len(limits):
        raise RuleRefused(f"the density {node.density} is not one declared distribution for each "
                          f"of the variables {tuple(variables)}")
    for position, (variable, lower, upper) in enumerate(limits):
        owners = [f for f in factors if isinstance(f, DistributionValue) and f.args[0] == variable]
        if len(owners) != 1:
            raise RuleRefused(f"no declared distribution of {variable} (a pgsym.Distribution's "
                              f"value at {variable}) is a factor of the density {node.density}")
        value = owners[0]
        distribution, parameters = distribution_of(value)
        later = set(variables[position:])
        if any(context.depends_on(p, v) for p in parameters for v in later):
            raise RuleRefused(f"the parameters of {value} vary with {variable} or a variable "
                              f"after it: the density does not factor as a chain")
        if distribution.is_discrete != bool(variable.is_integer):
            raise RuleRefused(f"{distribution.name} and the variable {variable} are not of the "
                              f"same kind (integer or real)")
        if not distribution.respects_parameters(parameters):
            raise RuleRefused(f"{distribution.name} is declared for parameters "
                              f"{distribution.parameters}, and {parameters} are not shown to "
                              f"have their assumptions")
        _refuse_unknown_total(distribution)
        _refuse_rebound(distribution, set(variables) | {l[0] for l in context.enclosing})
        if (lower, upper) != distribution.bounds_at(parameters):
            support = distribution.bounds_at(parameters)
            raise RuleRefused(f"{distribution.name} is declared over {support[0]}..{support[1]}, "
                              f"but the expectation runs {variable} over {lower}..{upper}")
    return [node.body]


def check_expectation_of_constant(before: sp.Expr, after: sp.Expr,
                                  context: RuleContext) -> RuleCheck:
    """The rule "expectation of a constant": ``E_{x ~ p}[c] = c`` for ``c`` free of the
    variables and ``p`` a declared distribution over exactly the expectation's range; over
    several variables (``E_tau[c]``), the density must be a chain of declared
    distributions, one per variable, each with parameters from the variables before it.

    >>> import sympy as sp
    >>> from pgsym.rules import RuleContext
    >>> x, c = sp.Symbol("x", integer=True), sp.Symbol("c")
    >>> p = Distribution("p", (x, 1, 6))
    >>> check_expectation_of_constant(Expectation(c, p), c, RuleContext()).status
    <Justification.CONFIRMED: 'confirmed'>
    >>> q = sp.Function("q", nonnegative=True)
    >>> check_expectation_of_constant(Expectation(c, (x, 1, 6), q(x)), c, RuleContext()).status
    <Justification.MISMATCH: 'mismatch'>
    """
    return by_rewriting(rewrite_expectation_of_constant)(before, after, context)
