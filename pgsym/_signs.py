"""The sign of an expression, shown from the signs of its parts (for steps claiming ``<=``).

SymPy's assumptions decide the sign of symbols, functions declared positive and many
compositions; this module adds what they leave open: sums, products and integrals of terms
of one sign over ranges that run forwards, squares of real expressions, and sums of terms
of one sign.

>>> import sympy as sp
>>> b, c = sp.symbols("b c", real=True)
>>> p = sp.Function("p", positive=True)
>>> k, K = sp.Symbol("k", integer=True), sp.Symbol("K", integer=True, positive=True)
>>> sign_of((b - c)**2 * sp.Sum(p(k), (k, 1, K)))
'nonnegative'
"""
from __future__ import annotations

import sympy as sp

from pgsym._trees import range_assumptions, replace_unevaluated, untrusted_functions

POSITIVE, NONNEGATIVE, NEGATIVE, NONPOSITIVE, ZERO = (
    "positive", "nonnegative", "negative", "nonpositive", "zero")
_FLIP = {POSITIVE: NEGATIVE, NONNEGATIVE: NONPOSITIVE, NEGATIVE: POSITIVE,
         NONPOSITIVE: NONNEGATIVE, ZERO: ZERO}
_WEAK = {POSITIVE: NONNEGATIVE, NEGATIVE: NONPOSITIVE}


def sign_of(expr: sp.Expr) -> str | None:
    """``"positive"``, ``"nonnegative"``, ``"negative"``, ``"nonpositive"``, ``"zero"``, or
    ``None`` when the signs of the parts do not show one.

    ``None`` too where ``expr`` holds a SymPy function whose assumptions are not trusted
    (:func:`~pgsym._trees.untrusted_functions`): SymPy says ``atan(m) > 0`` for every integer
    ``m >= 0``, and ``atan(0) = 0``."""
    if untrusted_functions(expr):
        return None
    return _sign(expr)


def _sign(expr: sp.Expr) -> str | None:
    by_assumptions = _assumed(expr)
    if by_assumptions in (POSITIVE, NEGATIVE, ZERO):
        return by_assumptions
    found = _composed(expr)
    if found is None:
        return by_assumptions
    if by_assumptions is None or found in (POSITIVE, NEGATIVE, ZERO):
        return found
    return by_assumptions


def _assumed(expr: sp.Expr) -> str | None:
    if expr.is_zero:
        return ZERO
    if expr.is_positive:
        return POSITIVE
    if expr.is_negative:
        return NEGATIVE
    if expr.is_nonnegative:
        return NONNEGATIVE
    if expr.is_nonpositive:
        return NONPOSITIVE
    return None


def _composed(expr: sp.Expr) -> str | None:
    if isinstance(expr, sp.Add):
        return _sum_sign([_sign(term) for term in expr.args])
    if isinstance(expr, sp.Mul):
        return _product_sign([_sign(factor) for factor in expr.args])
    if isinstance(expr, sp.Pow):
        return _power_sign(expr)
    if isinstance(expr, sp.exp) and expr.args[0].is_extended_real:
        return POSITIVE
    if isinstance(expr, sp.Abs):
        return NONNEGATIVE
    if isinstance(expr, (sp.Sum, sp.Integral)) and len(expr.limits) == 1 \
            and len(expr.limits[0]) == 3:
        return _limit_sign(expr)
    return None


def _sum_sign(signs: list[str | None]) -> str | None:
    if None in signs:
        return None
    if all(s == ZERO for s in signs):
        return ZERO
    if all(s in (POSITIVE, NONNEGATIVE, ZERO) for s in signs):
        return POSITIVE if POSITIVE in signs else NONNEGATIVE
    if all(s in (NEGATIVE, NONPOSITIVE, ZERO) for s in signs):
        return NEGATIVE if NEGATIVE in signs else NONPOSITIVE
    return None


def _product_sign(signs: list[str | None]) -> str | None:
    if ZERO in signs:
        return ZERO
    if None in signs:
        return None
    negative = sum(s in (NEGATIVE, NONPOSITIVE) for s in signs) % 2 == 1
    strict = all(s in (POSITIVE, NEGATIVE) for s in signs)
    if negative:
        return NEGATIVE if strict else NONPOSITIVE
    return POSITIVE if strict else NONNEGATIVE


def _power_sign(power: sp.Pow) -> str | None:
    base, exponent = power.args
    base_sign = _sign(base)
    if exponent.is_integer and exponent.is_even and base.is_extended_real:
        if base_sign in (POSITIVE, NEGATIVE) or base.is_nonzero:
            return POSITIVE
        return NONNEGATIVE if exponent.is_nonnegative else None  # 1/0 is undefined
    if base_sign == POSITIVE and exponent.is_extended_real:
        return POSITIVE
    if base_sign == NONNEGATIVE and exponent.is_positive:
        return NONNEGATIVE
    if base_sign == NEGATIVE and exponent.is_integer and exponent.is_odd:
        return NEGATIVE
    return None


def _limit_sign(node: sp.Basic) -> str | None:
    """A sum or integral over a range that runs forwards (upper >= lower - 1 for a sum,
    upper >= lower for an integral) has the sign of its terms; an empty one is 0."""
    variable, lower, upper = node.limits[0]
    forwards = (upper - lower + 1) if isinstance(node, sp.Sum) else (upper - lower)
    if not (forwards.is_nonnegative or forwards.is_infinite and forwards.is_positive):
        return None
    inside = sp.Dummy(variable.name, **range_assumptions(node, node.limits[0]))
    body_sign = _sign(replace_unevaluated(node.function, {variable: inside}))
    if body_sign is None:
        return None
    if body_sign == ZERO:
        return ZERO
    non_empty = (upper - lower).is_nonnegative if isinstance(node, sp.Sum) else False
    return body_sign if non_empty else _WEAK.get(body_sign, body_sign)
