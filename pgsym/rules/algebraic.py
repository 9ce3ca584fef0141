"""Rules that need no calculus: definitions, regrouping, multiplying by one, substitution,
and the rules that only assert equality (``algebra``).

>>> import sympy as sp
>>> from pgsym.rules import get_rule, RuleContext
>>> a, b = sp.symbols("a b", positive=True)
>>> get_rule("associativity").check(a * (b + a), (a + b) * a, RuleContext()).status.value
'confirmed'
"""
from __future__ import annotations

import sympy as sp

from pgsym._distributions import values_written_out
from pgsym._trees import binders, bound_variables, range_assumptions, replace_unevaluated
from pgsym.report import Justification, RuleCheck
from pgsym.rules._core import (Rule, RuleContext, RuleRefused, alpha_equal,
                               as_written_and_unfolded, canonical, factors_of, matches,
                               polynomials_expanded, product_of, register_builtin)


def _check_definition(before: sp.Expr, after: sp.Expr, context: RuleContext) -> RuleCheck:
    if canonical(before) == canonical(after):
        return RuleCheck(Justification.MISMATCH, "no definition is used: the step only regroups")
    # (up to the names of bound variables: Z := sum_b mu(b) ... unfolds in a step that writes
    # sum_a mu(a) ...; new user 21)
    unfolded = context.unfold(before), context.unfold(after)
    # (or with their polynomial parts as SymPy evaluates them: G := u -> sum_{k=0}^{T-u},
    # unfolded at t + 1, runs to T - (t + 1), which a step writes T - t - 1: new user 23;
    # multiplying out is algebra, not the definition)
    # (and a distribution declared by its values is defined by them: q(x) written out as
    # e^(theta x) / (1 + e^theta) inside a sum over its support; new user 31)
    for sides in (unfolded, tuple(values_written_out(side) for side in unfolded)):
        if alpha_equal(*sides) or alpha_equal(
                *(polynomials_expanded(side, multiply_out=False) for side in sides)):
            return RuleCheck(Justification.CONFIRMED)
    return RuleCheck(Justification.MISMATCH,
                     "unfolding the definitions (and the values of the distributions declared "
                     "by their values) does not make the two steps identical")


def _check_regrouping(before: sp.Expr, after: sp.Expr, context: RuleContext) -> RuleCheck:
    if any(canonical(b) == canonical(a) for b, a in as_written_and_unfolded(before, after, context)):
        return RuleCheck(Justification.CONFIRMED)
    return RuleCheck(Justification.MISMATCH,
                     "the steps differ by more than the order and grouping of factors and terms")


def _cancel_one_pair(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """Removes a factor ``q * (1/q)`` from a product: the inverse of multiplying by one.

    Needs ``q != 0``: shown by SymPy's assumptions, or stated by the step's condition.
    """
    if not isinstance(node, sp.Mul):
        return []
    factors = factors_of(node)
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
                options.append(product_of(rest))
    if refusal and not options:
        raise RuleRefused(refusal)
    return options


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
    for written_before, written_after in as_written_and_unfolded(before, after, context):
        for source, target, replace in ((written_before, written_after, mapping),
                                        (written_after, written_before, inverse)):
            if matches([replace_unevaluated(source, replace)], target):
                return RuleCheck(Justification.CONFIRMED)
    shown = ", ".join(f"{old} -> {new}" for old, new in mapping.items())
    return RuleCheck(Justification.MISMATCH, f"substituting {shown} does not give this step")


def _distribute(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``a (b + c) = a b + a c``: a product of commuting factors, one of them a sum,
    multiplied out (one level: the sums inside the terms stay)."""
    if not (isinstance(node, sp.Mul) and node.is_commutative):
        return []
    options = []
    for position, factor in enumerate(node.args):  # one sum multiplied out at a time
        if isinstance(factor, sp.Add):
            rest = node.args[:position] + node.args[position + 1:]
            options.append(sp.Add(*[sp.Mul(*rest, term) for term in factor.args]))
    return options


for _rule in (
    Rule("distributivity", "a (b + c) = a b + a c, for commuting factors (multiplying out, or "
         "back: factoring)", rewrite=_distribute, proves=True,
         aliases=("distributive law", "multiply out", "expand the product")),
    Rule("definition", "replace a defined symbol by its definition, or a value of a "
         "distribution declared by its values by those values, or back",
         _check_definition, aliases=("definitions", "by definition"),
         transform=lambda expr, context: [context.unfold(expr)]),
    Rule("multiply by one", "multiply by q/q = 1 (or divide and multiply by q), for q != 0",
         rewrite=_cancel_one_pair, aliases=("multiply by 1", "multiply/divide")),
    Rule("associativity", "regroup and reorder factors and terms",
         _check_regrouping, aliases=("commutativity", "multiplication is associative",
                                     "associativity/commutativity"),
         transform=lambda expr, context: [expr]),
    Rule("substitution", "replace expressions as given by `using=`, each replacement proved",
         _check_substitution, needs_using=True, aliases=("substitute",)),
    Rule("algebra", "any algebraic identity; only the equality of the two sides is checked",
         aliases=("simplify", "simplification")),
    Rule("policy gradient theorem",
         "grad J = E_pi[grad log pi(a|s) Q(s,a)]; only the equality of the two sides is checked"),
):
    register_builtin(_rule)
