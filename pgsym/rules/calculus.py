"""Rules of differentiation and of logarithms: chain, product, quotient and power rules,
linearity, the derivative of a constant and of a log, the log-derivative identity, and the
laws of logarithms (each with the positivity it needs).

>>> import sympy as sp
>>> from pgsym.rules import get_rule, RuleContext
>>> x = sp.Symbol("x", real=True)
>>> f, g = sp.Function("f"), sp.Function("g")
>>> product = sp.Derivative(f(x) * g(x), x)
>>> split = sp.Derivative(f(x), x) * g(x) + f(x) * sp.Derivative(g(x), x)
>>> get_rule("product rule").check(product, split, RuleContext()).status.value
'confirmed'
"""
from __future__ import annotations

from itertools import combinations

import sympy as sp
from sympy.core.function import AppliedUndef

from pgsym._trees import NOT_SMOOTH, range_assumptions, replace_unevaluated
from pgsym.rules._core import (Rule, RuleContext, RuleRefused, factors_of, product_of,
                               register_builtin, single_variable)

#: at most this many constant factors are considered for pulling out in every combination
_MAX_CONSTANT_FACTORS = 5


def _chain_rule(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    if not isinstance(node, sp.Derivative):
        return []
    variable = single_variable(node)
    outer = node.expr
    if variable is None:
        return []
    if isinstance(outer, sp.Pow) and not outer.base.is_commutative:
        return []  # d/dt F**2 is F F' + F' F, not 2 F F', for matrices
    if isinstance(outer, sp.Pow) and not context.depends_on(outer.exp, variable):
        inner, build = outer.base, (lambda u, e=outer.exp: sp.Pow(u, e))
    elif isinstance(outer, sp.Function) and not isinstance(outer, AppliedUndef) \
            and len(outer.args) == 1:
        if isinstance(outer, NOT_SMOOTH):
            raise RuleRefused(f"{outer.func} is not differentiable everywhere (a kink, jump or "
                              f"branch cut), so the chain rule does not apply to it")
        inner, build = outer.args[0], outer.func
    elif isinstance(outer, AppliedUndef) and len(outer.args) == 1:
        inner, build = outer.args[0], outer.func  # f(g(x)): f' evaluated at g(x)
    elif isinstance(outer, AppliedUndef):
        return _chain_rule_of_several(outer, variable, context)
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


def _chain_rule_of_several(outer: AppliedUndef, variable: sp.Basic,
                           context: RuleContext) -> list[sp.Basic]:
    """d/dv f(a, g(v)) = (d/du f(a, u) at u = g(v)) dg/dv, and over every argument that
    depends on v, the sum of such terms (new user 14: d/dtheta Q(s, mu(s, theta)))."""
    moving = [i for i, argument in enumerate(outer.args)
              if context.depends_on(argument, variable)]
    if all(outer.args[i] == variable for i in moving):
        return []  # (by v itself only: a partial derivative, not the chain rule)
    terms = []
    for i in moving:
        u = sp.Dummy("u")
        at_u = sp.Subs(sp.Derivative(outer.func(*outer.args[:i], u, *outer.args[i + 1:]), u),
                       u, outer.args[i])
        terms.append(at_u if outer.args[i] == variable else
                     sp.Mul(at_u, sp.Derivative(outer.args[i], variable), evaluate=False))
    options = [terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)]
    if len(moving) == 1:  # SymPy's spelling: d f(a, g)/dg dg/dv, g a symbol or a value
        inner = outer.args[moving[0]]
        others = outer.args[:moving[0]] + outer.args[moving[0] + 1:]
        if isinstance(inner, (sp.Symbol, AppliedUndef)) and not any(o.has(inner) for o in others):
            options.append(sp.Mul(sp.Derivative(outer, inner), sp.Derivative(inner, variable),
                                  evaluate=False))
    return options


def _derivative_of_log(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    if isinstance(node, sp.Derivative) and isinstance(node.expr, sp.log):
        if single_variable(node) == node.expr.args[0]:
            return [sp.Pow(node.expr.args[0], -1)]
    if isinstance(node, sp.Subs) and len(node.variables) == 1:
        inner = node.expr
        if isinstance(inner, sp.Derivative) and isinstance(inner.expr, sp.log) \
                and single_variable(inner) == inner.expr.args[0] == node.variables[0]:
            return [sp.Pow(node.point[0], -1)]
    return []


def _derivative_of_exp(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """d/du e^u = e^u, also at a point (new user 14 cited the chain rule with algebra)."""
    if isinstance(node, sp.Derivative) and isinstance(node.expr, sp.exp):
        if single_variable(node) == node.expr.args[0]:
            return [node.expr]
    if isinstance(node, sp.Subs) and len(node.variables) == 1:
        inner = node.expr
        if isinstance(inner, sp.Derivative) and isinstance(inner.expr, sp.exp) \
                and single_variable(inner) == inner.expr.args[0] == node.variables[0]:
            return [sp.exp(node.point[0])]
    return []


def _log_derivative(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``(d/dv u) * (1/u)`` inside a product becomes ``d/dv log u``."""
    if not isinstance(node, sp.Mul):
        return []
    factors = factors_of(node)
    options = []
    for i, f in enumerate(factors):
        if isinstance(f, sp.Derivative) and single_variable(f) is not None \
                and f.expr.is_commutative:  # (u' B) / u is not (u'/u) B for matrices
            inverse = sp.Pow(f.expr, -1)
            for j, g in enumerate(factors):
                if j != i and g == inverse:
                    rest = [h for k, h in enumerate(factors) if k not in (i, j)]
                    score = sp.Derivative(sp.log(f.expr), single_variable(f))
                    options.append(product_of([score] + rest))
    return options


def pulled_constants(factors: list[sp.Basic], is_constant, rebuild_inner) -> list[sp.Basic]:
    """Every way of moving some of the constant commutative ``factors`` out in front of
    ``rebuild_inner(rest)`` (all of them first): ``d/dv (2 c f)`` is ``2 c df/dv``, and also
    ``2 d/dv (c f)``."""
    # only commutative factors may move out (d/dt (G A) is not A dG/dt for matrices)
    movable = [i for i, f in enumerate(factors) if f.is_commutative and is_constant(f)]
    options = []
    for size in range(len(movable), 0, -1):
        for chosen in combinations(movable[:_MAX_CONSTANT_FACTORS], size):
            rest = [f for i, f in enumerate(factors) if i not in chosen]
            if rest:
                options.append(product_of([factors[i] for i in chosen] +
                                          [rebuild_inner(product_of(rest))]))
    return options


def pull_constants(derivative: sp.Derivative, context: RuleContext) -> list[sp.Basic]:
    """``d/dv (c * f) = c * d/dv f`` for factors ``c`` free of ``v`` (through definitions)."""
    variable = single_variable(derivative)
    if variable is None:  # a higher derivative SymPy merged: not a first derivative's rule
        return []
    return pulled_constants(factors_of(derivative.expr),
                            lambda f: not context.depends_on(f, variable),
                            lambda rest: sp.Derivative(rest, variable))


def _linearity(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    if not isinstance(node, sp.Derivative) or single_variable(node) is None:
        return []
    variable = single_variable(node)
    if isinstance(node.expr, sp.Add):
        terms = [sp.Derivative(t, variable) for t in node.expr.args]
        split = sp.Add(*terms, evaluate=False)
        pulled = sp.Add(*[(pull_constants(t, context) or [t])[0] for t in terms],
                        evaluate=False)
        return [pulled, split] if pulled != split else [split]
    return pull_constants(node, context)


def _product_rule(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``d/dv (f g h) = f' g h + f g' h + f g h'`` (in the order written, so it holds for
    matrices too); also without the terms whose factor is free of ``v``."""
    if not (isinstance(node, sp.Derivative) and isinstance(node.expr, sp.Mul)):
        return []
    variable = single_variable(node)
    if variable is None:
        return []
    factors = factors_of(node.expr)

    def term(i: int) -> sp.Basic:
        return product_of([sp.Derivative(f, variable) if k == i else f
                           for k, f in enumerate(factors)])

    every = [term(i) for i in range(len(factors))]
    varying = [term(i) for i, f in enumerate(factors) if context.depends_on(f, variable)]
    options = [sp.Add(*every, evaluate=False)]
    if varying and len(varying) < len(every):
        options.append(sp.Add(*varying, evaluate=False) if len(varying) > 1 else varying[0])
    return options


def _quotient_rule(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``d/dv (f/g) = (f' g - f g') / g**2``, and ``d/dv (1/g) = -g'/g**2``."""
    if not isinstance(node, sp.Derivative) or single_variable(node) is None:
        return []
    variable = single_variable(node)
    factors = factors_of(node.expr)
    if not all(f.is_commutative for f in factors):
        return []
    options = []
    for i, g in enumerate(factors):
        if isinstance(g, sp.Pow) and g.exp == -1:
            denominator = g.base
            numerator = product_of([f for k, f in enumerate(factors) if k != i])
            d_num = sp.Derivative(numerator, variable)
            d_den = sp.Derivative(denominator, variable)
            square = sp.Pow(denominator, 2)
            if numerator == sp.S.One:
                options.append(sp.Mul(-1, d_den, sp.Pow(square, -1), evaluate=False))
                continue
            top = sp.Add(sp.Mul(d_num, denominator, evaluate=False),
                         sp.Mul(-1, numerator, d_den, evaluate=False), evaluate=False)
            options.append(sp.Mul(top, sp.Pow(square, -1), evaluate=False))
    return options


def _power_rule(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``d/dv u**n = n u**(n-1) du/dv`` for ``n`` free of ``v`` (``n v**(n-1)`` for ``u = v``;
    ``d/dv v = 1``, the power 1: new user 27 found no rule for it)."""
    if isinstance(node, sp.Derivative) and node.expr == single_variable(node) is not None:
        return [sp.S.One]
    if not (isinstance(node, sp.Derivative) and isinstance(node.expr, sp.Pow)):
        return []
    variable = single_variable(node)
    base, exponent = node.expr.args
    if not base.is_commutative:
        return []  # d/dt F**2 is F F' + F' F, not 2 F F', for matrices
    if variable is None or context.depends_on(exponent, variable) \
            or not context.depends_on(base, variable):
        return []
    lowered = sp.Mul(exponent, sp.Pow(base, sp.Add(exponent, -1)), evaluate=False)
    if base == variable:
        return [lowered]
    return [sp.Mul(lowered, sp.Derivative(base, variable), evaluate=False)]


def _derivative_of_constant(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``d/dv c = 0`` for ``c`` free of ``v`` (read through definitions)."""
    if not isinstance(node, sp.Derivative):
        return []
    if any(context.depends_on(node.expr, v) for v, _ in node.variable_count):
        return []
    return [sp.S.Zero]


def _log_laws(node: sp.Basic, context: RuleContext) -> list[sp.Basic]:
    """``log(a b) = log a + log b``, ``log(a/b) = log a - log b`` and ``log(a**k) = k log a``,
    for factors shown positive (by assumptions or the step's condition) and real powers."""
    if not isinstance(node, sp.log):
        return []
    argument = node.args[0]

    def power_out(factor: sp.Basic) -> sp.Basic:
        if isinstance(factor, sp.Pow) and factor.exp.is_real \
                and context.is_positive(factor.base):
            return sp.Mul(factor.exp, sp.log(factor.base), evaluate=False)
        return sp.log(factor)

    if isinstance(argument, sp.Mul):
        for factor in factors_of(argument):
            if not context.is_positive(factor):
                raise RuleRefused(f"{factor} is not shown positive, so log of the product "
                                  f"{argument} need not split: declare it positive or state "
                                  f"condition=sympy.And(... > 0)")
        split = sp.Add(*[sp.log(f) for f in factors_of(argument)], evaluate=False)
        powers = sp.Add(*[power_out(f) for f in factors_of(argument)], evaluate=False)
        # (and each log as written: log(a e^u) = log a + log(e^u), which SymPy makes
        # log a + u, was refused: new user 32)
        def as_written(factor: sp.Basic) -> sp.Basic:  # (a divisor b: - log b)
            if isinstance(factor, sp.Pow) and factor.exp.is_negative and factor.exp.is_Rational:
                return -sp.log(sp.Pow(factor.base, -factor.exp), evaluate=False)
            return sp.log(factor, evaluate=False)

        written = sp.Add(*[as_written(f) for f in factors_of(argument)], evaluate=False)
        return list(dict.fromkeys((powers, split, written)))
    if isinstance(argument, sp.Product):
        return [_log_of_product(argument, context)]
    if isinstance(argument, sp.Pow):
        if not context.is_positive(argument.base):
            raise RuleRefused(f"{argument.base} is not shown positive, so log({argument}) need "
                              f"not be {argument.exp} log({argument.base})")
        if not argument.exp.is_real:
            raise RuleRefused(f"the power {argument.exp} is not shown real")
        return [power_out(argument)]
    return []


def _log_of_product(product: sp.Product, context: RuleContext) -> sp.Basic:
    """``log prod_k f(k) = sum_k log f(k)`` over a finite range, for ``f(k)`` shown positive
    for every ``k`` in it."""
    for limit in product.limits:
        if not all(context.unfold(bound).is_finite for bound in limit[1:]):
            raise RuleRefused(f"the product over {limit[0]} may be infinite; its log is a sum "
                              f"only where it converges")
    inside = {limit[0]: sp.Dummy(limit[0].name, **range_assumptions(product, limit))
              for limit in product.limits}
    term = replace_unevaluated(product.function, inside)
    if not context.is_positive(term):
        raise RuleRefused(f"the factor {product.function} of the product is not shown positive "
                          f"over its range, so the log of the product need not be the sum of "
                          f"logs")
    return sp.Sum(sp.log(product.function), *product.limits)


for _rule in (
    Rule("chain rule", "d/dv f(g) = f'(g) * dg/dv", rewrite=_chain_rule),
    Rule("derivative of log", "d/du log u = 1/u", rewrite=_derivative_of_log,
         aliases=("d/dx log x = 1/x",)),
    Rule("derivative of exp", "d/du e^u = e^u", rewrite=_derivative_of_exp,
         aliases=("d/dx exp x = exp x",)),
    Rule("linearity of differentiation", "d/dv (a f + g) = a df/dv + dg/dv for a free of v",
         rewrite=_linearity, aliases=("linearity",)),
    Rule("product rule", "d/dv (f g) = f' g + f g'", rewrite=_product_rule,
         aliases=("leibniz rule",)),
    Rule("quotient rule", "d/dv (f/g) = (f' g - f g') / g^2", rewrite=_quotient_rule),
    Rule("power rule", "d/dv u^n = n u^(n-1) du/dv for n free of v", rewrite=_power_rule),
    Rule("derivative of a constant", "d/dv c = 0 for c free of v",
         rewrite=_derivative_of_constant,
         aliases=("gradient of a constant", "gradient of a theta-free term is zero")),
    Rule("log-derivative identity", "(1/u) du/dv = d/dv log u (for u != 0)",
         rewrite=_log_derivative, aliases=("log derivative trick", "likelihood ratio")),
    Rule("log of a product", "log(a b) = log a + log b, log(a/b) = log a - log b, "
         "log(a^k) = k log a, log prod f = sum log f, for a, b, f > 0 and k real",
         rewrite=_log_laws, proves=True,
         aliases=("log of a quotient", "log of a power", "laws of logarithms")),
):
    register_builtin(_rule)
