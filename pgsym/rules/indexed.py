"""Rules for indexed variables and sums over symbolic ranges: differentiating ``x[i]`` with
respect to ``x[j]``, differentiating a finite sum term by term, and summing a Kronecker
delta over its range.

With them a result is proved for symbolic sizes (``d`` features, ``A`` actions) instead of
sums written out at a few sizes: ``d/d theta[k, b] sum_j phi[j] theta[j, a]`` is, term by
term, ``sum_j phi[j] delta(j, k) delta(a, b)``, which is ``phi[k] delta(a, b)`` for ``k`` in
``0..d-1``. The side conditions are checked: the bounds of a sum differentiated term by term
are finite integers free of the variable; the index a delta is summed at must be shown to
lie in the sum's range (by the derivation's ``ranges=``, in every one of its range cases),
or the rule refuses.

>>> import sympy as sp
>>> from pgsym.rules import get_rule, RuleContext
>>> x = sp.IndexedBase("x")
>>> i, j = sp.symbols("i j", integer=True)
>>> get_rule("derivative of an indexed variable").check(
...     sp.Derivative(x[i], x[j]), sp.KroneckerDelta(i, j), RuleContext()).status.value
'confirmed'
"""
from __future__ import annotations

from dataclasses import replace

import sympy as sp

from pgsym._trees import bound_variables, binders, replace_unevaluated
from pgsym.rules._core import (Rule, RuleContext, RuleRefused, factors_of, product_of,
                               register_builtin, single_variable)
from pgsym.rules.limits import _swap_sum_and_gradient


def _derivative_of_indexed(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``d x[i1, ..., in] / d x[j1, ..., jn] = delta(i1, j1) ... delta(in, jn)``: the entries
    of one array are independent variables, one for each tuple of indices."""
    if not isinstance(node, sp.Derivative):
        return []
    variable = single_variable(node)
    entry = node.expr
    if not (isinstance(variable, sp.Indexed) and isinstance(entry, sp.Indexed)
            and entry.base == variable.base):
        return []
    if len(entry.indices) != len(variable.indices):
        raise RuleRefused(f"{entry} and {variable} have different numbers of indices, so they "
                          f"are not entries of one array")
    deltas = [sp.KroneckerDelta(i, j) for i, j in zip(entry.indices, variable.indices)]
    return [product_of(deltas)]


def _derivative_of_finite_sum(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``d/dv sum_{j=lo}^{hi} f = sum_j df/dv`` for integer bounds, finite and free of ``v``:
    a finite sum of any length is differentiated term by term (linearity), so no condition
    is needed. Factors free of ``v`` may be pulled out of the derivative on the way; that
    form comes first, so that every sum of a step may be differentiated so at once."""
    if not (isinstance(node, sp.Derivative) and isinstance(node.expr, sp.Sum)):
        return []
    for limit in node.expr.limits:
        for bound in limit[1:]:
            unfolded = context.unfold(bound)
            if not (unfolded.is_integer and unfolded.is_finite):
                raise RuleRefused(f"the bound {bound} of the sum over {limit[0]} is not shown to "
                                  f"be a finite integer: differentiating term by term needs a "
                                  f"finite sum (an infinite one needs 'swap sum and gradient' "
                                  f"under a stated condition)")
    plain, *pulled = _swap_sum_and_gradient(node, context)
    return [*pulled, plain]


def _delta_factor(factors: list[sp.Basic], index: sp.Symbol) -> tuple[int, sp.Expr] | None:
    """Where a factor ``delta(index, at)`` (or ``delta(at, index)``) is, and ``at``."""
    for position, factor in enumerate(factors):
        if isinstance(factor, sp.KroneckerDelta) and len(factor.args) == 2:
            first, second = factor.args
            for mine, other in ((first, second), (second, first)):
                if mine == index and index not in other.free_symbols:
                    return position, other
    return None


def _sum_of_delta(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``sum_{j=lo}^{hi} delta(j, e) h(j) = h(e)``, for ``e`` an integer shown to lie in
    ``lo..hi`` (``sum_j delta(j, e) = 1``); outside the range the sum would be 0."""
    if isinstance(node, sp.Sum) and len(node.limits) > 1:
        # sum over (t, x) is the sum over x of the sum over t: the delta is summed in the
        # innermost sum, the variables of the outer ones running over their ranges
        outer = tuple(tuple(limit) for limit in reversed(node.limits[1:]) if len(limit) == 3)
        inside = replace(context, enclosing=context.enclosing + outer)
        return [sp.Sum(option, *node.limits[1:])
                for option in _sum_of_delta(sp.Sum(node.function, node.limits[0]), inside)]
    if not (isinstance(node, sp.Sum) and len(node.limits) == 1 and len(node.limits[0]) == 3):
        return []
    index, lowest, highest = node.limits[0]
    factors = factors_of(node.function)
    found = _delta_factor(factors, index)
    if found is None:
        return []
    position, at = found
    rest = product_of([f for k, f in enumerate(factors) if k != position])
    if not context.shown_within(at, lowest, highest):
        raise RuleRefused(f"{at} is not shown to be an integer in the range {lowest}..{highest} "
                          f"of the sum over {index}: summing delta({index}, {at}) there gives "
                          f"the rest at {at} only for {at} in the range (declare it with "
                          f"ranges={{{at}: ({lowest}, {highest})}})")
    captured = {v for b in binders(rest) for v in bound_variables(b)} & ({index} | at.free_symbols)
    if captured:
        name = sorted(map(str, captured))[0]
        raise RuleRefused(f"a sum or integral inside binds {name}: putting {at} in place of "
                          f"{index} there would change what it means; rename the inner variable")
    return [replace_unevaluated(rest, {index: at})]


for _rule in (
    Rule("derivative of an indexed variable",
         "d x[i] / d x[j] = delta(i, j) (one delta per index), entries of one array being "
         "independent variables", rewrite=_derivative_of_indexed, proves=True,
         aliases=("derivative of an entry",)),
    Rule("derivative of a finite sum",
         "d/dv sum_{j=lo}^{hi} f = sum_j df/dv, for finite integer bounds free of v",
         rewrite=_derivative_of_finite_sum, proves=True,
         aliases=("differentiate a finite sum term by term",)),
    Rule("sum of a Kronecker delta",
         "sum_{j=lo}^{hi} delta(j, e) h(j) = h(e), for an integer e shown to lie in lo..hi",
         rewrite=_sum_of_delta, proves=True,
         aliases=("sifting property", "sum over a kronecker delta")),
):
    register_builtin(_rule)
