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
from sympy.core.function import AppliedUndef

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
    expr = with_positive_stand_ins(expr)
    if untrusted_functions(expr):
        return None
    return _sign(expr)


def with_positive_stand_ins(expr: sp.Expr) -> sp.Expr:
    """``expr`` with each factorial of an integer shown nonnegative, and each gamma of a
    number shown positive, replaced by a positive symbol (one per distinct node). n! >= 1
    and Gamma(x) > 0 there: facts stated here, where SymPy's assumptions of those functions
    are not trusted (:func:`~pgsym._trees.untrusted_functions`), so that ``1/k!`` is
    positive for a nonnegative integer ``k`` (new user 28). Signs shown of the result hold
    for ``expr``: the symbols stand for any positive values.

    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> with_positive_stand_ins(2 / sp.factorial(k + 1)).is_positive, sign_of(sp.gamma(k - 1))
    (True, None)
    """
    if not expr.has(sp.factorial, sp.gamma):
        return expr
    stand_ins: dict[sp.Basic, sp.Dummy] = {}
    for node in sp.postorder_traversal(expr):  # (inner ones first: (k!)! too)
        if not isinstance(node, (sp.factorial, sp.gamma)) or node in stand_ins:
            continue
        [argument] = node.args
        argument = argument.xreplace(stand_ins)
        if untrusted_functions(argument):
            continue
        shown = argument.is_integer and argument.is_nonnegative \
            if isinstance(node, sp.factorial) else argument.is_positive
        if shown:
            stand_ins[node] = sp.Dummy(str(node), positive=True,  # (n! is an integer)
                                       integer=isinstance(node, sp.factorial) or None)
    return expr.xreplace(stand_ins)


def shown_positive(value: sp.Expr) -> bool:
    """Whether SymPy's assumptions show ``value`` positive, or a sum in it taken over a
    common denominator, or it is a product or a real power of parts so shown (for the
    positivity a rule or a compiled function's check asks of one expression; SymPy leaves
    ``1 - 1/(1 + exp(-u))`` open: new user 27). The caller leaves out functions whose
    assumptions are not trusted.

    >>> u = sp.Symbol("u", real=True)
    >>> shown_positive((1 - 1 / (1 + sp.exp(-u)))**u), shown_positive(1 - sp.exp(-u))
    (True, False)
    """
    if value.is_positive:
        return True
    if value.is_Add:
        return sp.together(value).is_positive is True
    if value.is_Pow and value.exp.is_real:
        return shown_positive(value.base)
    if value.is_Mul:
        return all(shown_positive(factor) for factor in value.args)
    return False


def _sign(expr: sp.Expr) -> str | None:
    by_assumptions = _assumed(expr) if finite_atoms(expr) else _extended_atom(expr)
    if by_assumptions in (POSITIVE, NEGATIVE, ZERO):
        return by_assumptions
    found = _composed(expr)
    if found is None:
        return by_assumptions
    if by_assumptions is None or found in (POSITIVE, NEGATIVE, ZERO):
        return found
    return by_assumptions


def finite_atoms(expr: sp.Expr) -> bool:
    """Whether every symbol and function value in ``expr`` is finite or not known real.

    SymPy reads an extended real symbol (which may be +-oo) as finite in places: it says
    ``exp(-e) > 0`` for ``e`` extended positive, and ``exp(-oo) = 0``. Its sign of a
    compound expression holding one is therefore not taken."""
    atoms = expr.free_symbols | expr.atoms(AppliedUndef)
    return not any(atom.is_finite is not True and atom.is_extended_real for atom in atoms)


def _extended_atom(expr: sp.Expr) -> str | None:
    """The sign of a symbol or function value that may be infinite (positive: ``> 0``, or
    ``+oo``); ``None`` for anything compound."""
    if not isinstance(expr, (sp.Symbol, AppliedUndef)):
        return None
    if expr.is_zero:
        return ZERO
    for fact, sign in (("extended_positive", POSITIVE), ("extended_negative", NEGATIVE),
                       ("extended_nonnegative", NONNEGATIVE),
                       ("extended_nonpositive", NONPOSITIVE)):
        if getattr(expr, f"is_{fact}"):
            return sign
    return None


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
        return _product_sign([_sign(factor) for factor in expr.args],
                             [factor.is_finite is True for factor in expr.args])
    if isinstance(expr, sp.Pow):
        return _power_sign(expr)
    if isinstance(expr, sp.exp) and expr.args[0].is_real:
        return POSITIVE
    if isinstance(expr, sp.exp) and expr.args[0].is_extended_real:
        return NONNEGATIVE  # exp(-oo) = 0
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


def _product_sign(signs: list[str | None], finite: list[bool]) -> str | None:
    if ZERO in signs:  # 0 * oo is undefined
        others = [f for s, f in zip(signs, finite) if s != ZERO]
        return ZERO if all(others) else None
    if None in signs:
        return None
    strict = all(s in (POSITIVE, NEGATIVE) for s in signs)
    if not strict and not all(finite):  # (a factor that may be 0 times one that may be
        # infinite: X x**2 at X = oo, x = 0 is undefined; hostile review 66)
        return None
    negative = sum(s in (NEGATIVE, NONPOSITIVE) for s in signs) % 2 == 1
    if negative:
        return NEGATIVE if strict else NONPOSITIVE
    return POSITIVE if strict else NONNEGATIVE


def _power_sign(power: sp.Pow) -> str | None:
    """A sign shown here may hold where the base is infinite (positive, negative: ``+-oo``
    too), so a negative exponent needs a finite base (``oo**-2 = 0``); an exponent that may
    be infinite shows only ``>= 0`` (``2**-oo = 0``)."""
    base, exponent = power.args
    base_sign = _sign(base)
    reciprocal_nonzero = exponent.is_nonnegative or base.is_finite
    if exponent.is_integer and exponent.is_even and base.is_extended_real:
        if base.is_nonzero:
            return POSITIVE
        if base_sign in (POSITIVE, NEGATIVE):
            return POSITIVE if reciprocal_nonzero else NONNEGATIVE
        return NONNEGATIVE if exponent.is_nonnegative else None  # 1/0 is undefined
    if base_sign == POSITIVE and exponent.is_real and reciprocal_nonzero:
        return POSITIVE
    if base_sign == POSITIVE and exponent.is_extended_real:
        return NONNEGATIVE
    if base_sign == NONNEGATIVE and exponent.is_positive:
        return NONNEGATIVE
    if base_sign == NEGATIVE and exponent.is_integer and exponent.is_odd \
            and reciprocal_nonzero:
        return NEGATIVE
    return None


def _limit_sign(node: sp.Basic) -> str | None:
    """A sum or integral over a range that runs forwards (upper >= lower - 1 for a sum,
    upper >= lower for an integral) has the sign of its terms; an empty one is 0."""
    variable, lower, upper = node.limits[0]
    forwards = (upper - lower + 1) if isinstance(node, sp.Sum) else (upper - lower)
    if not (forwards.is_nonnegative or forwards.is_infinite and forwards.is_positive):
        return None
    if isinstance(node, sp.Sum) and not (forwards.is_integer or forwards.is_infinite):
        # a range whose length is not an integer is no sum of terms: sum_{k=a}^{a-3/4} k^2
        # is -1/64 at a = 1/2 (hostile review 13)
        return None
    inside = sp.Dummy(variable.name, **range_assumptions(node, node.limits[0]))
    body_sign = _sign(replace_unevaluated(node.function, {variable: inside}))
    if body_sign is None:
        return None
    if body_sign == ZERO:
        return ZERO
    non_empty = (upper - lower).is_nonnegative if isinstance(node, sp.Sum) else False
    return body_sign if non_empty else _WEAK.get(body_sign, body_sign)
