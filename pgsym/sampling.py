"""Concrete stand-ins for undefined functions, random points, and values at those points.

An identity between expressions in undefined functions such as ``p(x, theta)`` must hold
for every function the assumptions allow; evaluating both sides with concrete stand-ins at
concrete points therefore either agrees or exhibits a counterexample. Agreement is evidence,
never proof, and the sampler is built not to be fooled cheaply:

* points are exact rationals; where both sides evaluate exactly (rational and algebraic
  numbers) the comparison is exact, elsewhere the *difference* is evaluated by SymPy's
  adaptive-precision ``evalf``, which raises its working precision until it can tell the
  difference from zero or reaches :data:`MAX_DIGITS` digits;
* values respect every assumption of a symbol and nothing more: symbols without
  assumptions are complex, reals take both signs and magnitudes over twelve orders,
  integers range far beyond the usual grid (except sum bounds, which stay small);
* stand-in functions take every sign and range the function's assumptions permit (complex
  values for a function without assumptions), and positive ones span several orders.
"""
from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Callable, Iterator

import mpmath

import sympy as sp
from sympy.core.function import AppliedUndef

from pgsym._convergence import converges
from pgsym._trees import (ambiguous_value_derivative, differentiates_under_limit,
                          has_undefined_value, nodes, rename_bound, replaced,
                          substituted_at_once)
from pgsym._intervals import compare_at_point, compare_enclosed
from pgsym._sums import write_out

#: the working precision, in digits, up to which a difference is told from zero
MAX_DIGITS = 600
#: digits of the values shown in a counterexample
SHOWN_DIGITS = 30


class SamplingError(ValueError):
    """A value that respects a symbol's assumptions could not be drawn."""


@dataclass(frozen=True)
class Instantiation:
    """Concrete functions standing in for the undefined ones, by name: ``{"p": Lambda}``."""

    functions: tuple[tuple[str, sp.Lambda], ...]

    def apply(self, expr: sp.Expr) -> sp.Expr:
        """Returns ``expr`` with every undefined function replaced by its stand-in."""
        table = dict(self.functions)
        if not table:
            return expr
        return replaced(expr, lambda e: isinstance(e, AppliedUndef) and type(e).__name__ in table,
                        lambda e: table[type(e).__name__](*e.args))


# -- stand-in functions -------------------------------------------------------------------
def _coefficient(rng: random.Random) -> sp.Rational:
    return sp.Rational(rng.randint(30, 120), 100) * rng.choice((-1, 1))


def _real_shape(family: int, args: tuple, rng: random.Random) -> sp.Expr:
    """A smooth real function of ``args``, bounded, that changes sign."""
    first = sum((_coefficient(rng) * a for a in args), sp.S.Zero)
    second = sum((_coefficient(rng) * a for a in args), sp.S.Zero)
    offset = sp.Rational(rng.randint(-90, 90), 100)
    if family % 3 == 0:
        return sp.sin(first) + sp.cos(second) / 2 + offset
    if family % 3 == 1:
        return sp.tanh(first) * sp.cos(second) + offset
    return 1 / (1 + first**2) - sp.exp(-second**2) + offset


def _stand_in(function: AppliedUndef, family: int, rng: random.Random) -> sp.Lambda:
    """Returns a smooth stand-in for ``function`` that respects its assumptions only.

    Positive functions span about ``10**-4 .. 10**4`` (``exp`` of a bounded function times a
    random scale); real ones take both signs; functions without assumptions are complex.
    """
    args = sp.symbols(f"a0:{len(function.args)}")
    if family % 4 == 3:  # a constant function, 0 where that is allowed
        return sp.Lambda(args, _constant_stand_in(function, rng))
    shape = _real_shape(family, args, rng)
    scale = sp.Integer(10) ** rng.randint(-2, 2)
    positive = scale * sp.exp(rng.randint(1, 3) * shape)
    if function.is_integer:
        body = sp.floor(4 * sp.Integer(10) ** rng.randint(0, 3) * shape) + \
            (5 if function.is_nonnegative else 0)
    elif function.is_positive or function.is_nonnegative:
        body = positive
    elif function.is_negative or function.is_nonpositive:
        body = -positive
    elif function.is_real or function.is_extended_real:
        body = scale * 3 * shape
    else:  # complex: a real part and an imaginary part that vary independently
        body = scale * (3 * shape + sp.I * 2 * _real_shape(family + 1, args, rng))
    return sp.Lambda(args, body)


def _constant_stand_in(function: AppliedUndef, rng: random.Random) -> sp.Expr:
    """A constant that respects the function's assumptions: 0 where allowed, else a random
    value of the allowed sign (complex where the function has no assumptions)."""
    if respects(function, sp.S.Zero):
        return sp.S.Zero
    for _ in range(200):
        value = _candidate(function, rng, small=True)
        if respects(function, value):
            return value
    return sp.S.One


def instantiations(expr: sp.Expr, count: int, seed: int = 0) -> list[Instantiation]:
    """Returns ``count`` different instantiations of the undefined functions of ``expr``.

    >>> import sympy as sp
    >>> p = sp.Function("p")(sp.Symbol("x"))
    >>> [name for name, _ in instantiations(p, 1)[0].functions]
    ['p']
    """
    representatives: dict[tuple[str, int], AppliedUndef] = {}
    for f in sorted(expr.atoms(AppliedUndef), key=sp.default_sort_key):
        representatives.setdefault((type(f).__name__, len(f.args)), f)
    return list(_instantiations(tuple(sorted(representatives.items())), count, seed))


@functools.lru_cache(maxsize=64)
def _instantiations(representatives: tuple, count: int, seed: int) -> tuple[Instantiation, ...]:
    """The stand-ins of the functions ``representatives`` (one applied function per name and
    arity): the same for every step that has the same ones (a derivation's steps, checked
    in one process, mostly do)."""
    rng = random.Random(seed)
    result = []
    for k in range(count):
        table = tuple((name, _stand_in(f, k + i, rng))
                      for i, ((name, _), f) in enumerate(representatives))
        result.append(Instantiation(table))
    return tuple(result)


# -- random values ---------------------------------------------------------------------
_CHECKED_FACTS = ("integer", "rational", "real", "extended_real", "positive", "negative",
                  "zero", "nonzero", "nonnegative", "nonpositive", "even", "odd", "prime",
                  "composite", "imaginary", "irrational", "finite")


def respects(symbol: sp.Basic, value: sp.Expr) -> bool:
    for fact, wanted in _facts(symbol).items():
        if wanted is not None and getattr(value, f"is_{fact}") is not wanted:
            return False
    return True


def _facts(symbol: sp.Basic) -> dict[str, bool | None]:
    """What SymPy's assumptions say of ``symbol``, fact by fact. A symbol's and an indexed
    variable's facts follow from the assumptions they were made with alone (an ``Indexed``
    takes its base's), so those are worked out once per set of assumptions: the sampler
    draws values for thousands of ``theta[i, j]``."""
    if not isinstance(symbol, (sp.Symbol, sp.Indexed)):
        return {fact: getattr(symbol, f"is_{fact}") for fact in _CHECKED_FACTS}
    key = (type(symbol), tuple(sorted(symbol.assumptions0.items())))
    found = _FACTS.get(key)
    if found is None:
        found = _FACTS[key] = {fact: getattr(symbol, f"is_{fact}") for fact in _CHECKED_FACTS}
    return found


#: the facts of symbols and indexed variables, by their kind and assumptions
_FACTS: dict[tuple, dict[str, bool | None]] = {}


#: the powers of ten that wide samples range over: small magnitudes catch terms that only
#: show near zero; large ones stop at 1e3, since exp(1e6) costs minutes to evaluate exactly
WIDE_EXPONENTS = (-6, 3)
#: integers range this far, besides the usual small ones
WIDE_INTEGERS = 10**4


def _magnitude(rng: random.Random, wide: bool) -> sp.Rational:
    """A positive rational off every simple grid: a ratio of two 9-digit numbers, scaled by
    a power of ten over :data:`WIDE_EXPONENTS` when ``wide``."""
    if not wide:  # between 1/3 and 3
        return sp.Rational(rng.randint(10**8, 9 * 10**8), 3 * 10**8 + 2 * rng.randint(0, 10**7) + 1)
    value = sp.Rational(rng.randint(10**8, 10**9), rng.randint(10**8, 10**9) | 1)
    return value * sp.Rational(10) ** rng.randint(*WIDE_EXPONENTS)


def _candidate(symbol: sp.Basic, rng: random.Random, small: bool) -> sp.Expr:
    facts = _facts(symbol)
    sign = -1 if facts["negative"] or facts["nonpositive"] else \
        1 if facts["positive"] or facts["nonnegative"] else rng.choice((-1, 1))
    if facts["integer"]:
        if small:  # a sum's bound: the sum is written out at the point
            return sp.Integer(rng.randint(-3, 5))
        if rng.random() < 0.5:
            return sp.Integer(rng.randint(-4, 12))
        return sp.Integer(sign * rng.randint(13, WIDE_INTEGERS))
    wide = not small and rng.random() < 0.5
    if facts["rational"]:
        return sign * sp.Rational(rng.randint(1, 10**6), rng.randint(2, 10**6))
    if facts["real"] or facts["extended_real"]:
        return sign * _magnitude(rng, wide)
    if facts["imaginary"]:
        return sp.I * sign * _magnitude(rng, wide)
    real = rng.choice((-1, 1)) * _magnitude(rng, wide)
    imaginary = rng.choice((-1, 1)) * _magnitude(rng, not small and rng.random() < 0.5)
    return real + sp.I * imaginary


def random_value(symbol: sp.Basic, rng: random.Random, small: bool = False) -> sp.Expr:
    """Returns an exact random value that respects every assumption of ``symbol``.

    Raises :class:`SamplingError` when no such value is found (assumptions this sampler
    cannot meet, such as ``irrational``).

    >>> import sympy as sp
    >>> random_value(sp.Symbol("n", integer=True, positive=True), random.Random(1)).is_positive
    True
    """
    if not symbol.is_commutative:
        raise SamplingError(f"{symbol} is not commutative: numbers cannot stand in for it")
    for _ in range(200):
        value = _candidate(symbol, rng, small)
        if respects(symbol, value):
            return value
    raise SamplingError(f"cannot draw a value for {symbol} that respects its assumptions "
                        f"{sorted(k for k, v in symbol.assumptions0.items() if v)}")


def sampled_symbols(*exprs: sp.Expr) -> set[sp.Symbol]:
    """The symbols to give values to: free symbols, less the labels of indexed objects."""
    symbols: set[sp.Symbol] = set()
    labels: set[sp.Basic] = set()
    for expr in exprs:
        symbols |= {s for s in expr.free_symbols if isinstance(s, sp.Symbol)}
        symbols |= _indices_of_variables(expr, frozenset())
        labels |= {i.base.label for i in expr.atoms(sp.Indexed)}
    return symbols - labels


def _indices_of_variables(expr: sp.Basic, bound: frozenset) -> set[sp.Symbol]:
    """The free indices of the variables of differentiation in ``expr``: SymPy leaves them
    out of ``free_symbols`` (``d/d theta[k, b] exp(theta[1, 1])`` has no ``k``, ``b``), yet
    the derivative's value depends on them, so they must be given values too."""
    found: set[sp.Symbol] = set()
    if isinstance(expr, sp.Derivative):
        found |= {s for v in expr.variables if not isinstance(v, sp.Symbol)
                  for s in v.free_symbols if isinstance(s, sp.Symbol) and s not in bound}
    if isinstance(expr, (sp.Sum, sp.Product, sp.Integral)):
        bound = bound | {limit[0] for limit in expr.limits}
    for arg in expr.args:
        if not arg.is_Atom:
            found |= _indices_of_variables(arg, bound)
    return found


def bound_symbols_of_ranges(*exprs: sp.Expr) -> set[sp.Basic]:
    """Free symbols that appear in the bounds of a sum or product: they stay small, so that
    the sum can be written out at the point."""
    found: set[sp.Basic] = set()
    for expr in exprs:
        for node in nodes(expr):
            if isinstance(node, (sp.Sum, sp.Product)):
                for limit in node.limits:
                    found |= limit[1].free_symbols | limit[2].free_symbols
    return found


def random_point(symbols: set[sp.Symbol], rng: random.Random,
                 small: set[sp.Basic] | bool = frozenset()) -> dict[sp.Basic, sp.Expr]:
    """Returns one random value for each symbol, in a stable order; the symbols in
    ``small`` (all of them if ``small is True``) get moderate values."""
    return {s: random_value(s, rng, small=small is True or s in small)
            for s in sorted(symbols, key=sp.default_sort_key)}


#: functions whose identities break where an argument is 0, -1, -2, ...
_POLES_AT_NONPOSITIVE_INTEGERS = (sp.binomial, sp.factorial, sp.gamma, sp.loggamma,
                                  sp.polygamma, sp.RisingFactorial, sp.FallingFactorial,
                                  sp.subfactorial, sp.harmonic, sp.beta, sp.factorial2)


def unfound_switches(exprs: tuple[sp.Expr, ...], symbols: set[sp.Basic]) -> str:
    """Where a binomial, gamma or factorial argument (or, for integer symbols, a
    denominator) depends on the sampled symbols in a way whose points at 0, -1, -2
    :func:`special_values` cannot list: several symbols (``binomial(x y, x y - 1)``, at
    x y = -1), a polynomial with irrational coefficients or a degree above 12, real roots
    that are not all rational or radicals (``(x^3 - 2)^2 - 1`` at the cube root of 2:
    hostile review 62), an argument no polynomial. SymPy's identities of these functions
    break at such points and no sampled point would show it. Returns the first such
    expression, in words ("" if none)."""
    for expr in exprs:
        for node in nodes(expr):
            if isinstance(node, _POLES_AT_NONPOSITIVE_INTEGERS):
                candidates = [a for a in node.args if not a.is_positive]
                poles = False
            elif isinstance(node, sp.Pow) and node.exp.is_Integer and node.exp.is_negative:
                candidates = [node.base] if node.base.is_zero is not False else []
                poles = True
            else:
                continue
            for candidate in candidates:
                inside = candidate.free_symbols & symbols
                integers = {s for s in inside if s.is_integer}
                if not integers and (poles or not inside):
                    continue  # (a hole at a point of a continuum: the probe's business)
                listed = len(inside) == 1 and _listable_polynomial(candidate, *inside) \
                    is not None and (integers or all(_all_real_roots_listed(candidate + shift,
                                                                            *inside)
                                                     for shift in (0, 1, 2)))
                if not listed:
                    return f"{node}, where {candidate} may reach 0, -1, ... at points " \
                           f"that cannot be listed"
    return ""


def _all_real_roots_listed(expr: sp.Expr, symbol: sp.Basic) -> bool:
    """Whether :func:`_switching_roots` finds every real root of ``expr``, a polynomial
    in ``symbol`` with rational coefficients."""
    polynomial = _listable_polynomial(expr, symbol)
    if polynomial is None:
        return False
    if polynomial.degree() < 1:
        return True
    return polynomial.sqf_part().count_roots() == len(_switching_roots(expr, symbol))


def _listable_polynomial(expr: sp.Expr, symbol: sp.Basic) -> sp.Poly | None:
    """``expr`` as a polynomial in ``symbol`` whose rational roots can be listed (degree at
    most 12, rational coefficients), or None."""
    try:
        polynomial = sp.Poly(expr, symbol)
    except sp.PolynomialError:
        return None
    if polynomial.degree() > 12 or not all(c.is_Rational for c in polynomial.all_coeffs()):
        return None
    return polynomial


class SpecialValues(dict):
    """:func:`special_values`: each symbol's values, and in ``switches`` those at which
    something switches (the others lie beyond one: a side undefined there is not a
    removable singularity)."""

    def __init__(self) -> None:
        super().__init__()
        self.switches: dict[sp.Basic, set] = {}


def _switches_and_poles(expr: sp.Expr, inner: bool = True) -> tuple[list[sp.Expr],
                                                                      list[sp.Expr]]:
    """What is 0 where ``expr`` switches (:func:`special_values`), and the bases of its
    negative integer powers (of ``expr`` itself only, where ``inner`` is False)."""
    switches: list[sp.Expr] = []
    poles: list[sp.Expr] = []
    for node in nodes(expr) if inner else (expr,):  # (a switch met twice adds nothing)
        if isinstance(node, (sp.KroneckerDelta, sp.core.relational.Relational)):
            switches.append(node.args[0] - node.args[1])
        elif isinstance(node, (sp.floor, sp.ceiling, sp.frac)):  # the steps next to 0
            switches += [node.args[0] + shift for shift in (-2, -1, 0, 1)]
        elif isinstance(node, sp.Mod):  # where the argument is a multiple of the modulus
            switches += [node.args[0] - shift * node.args[1] for shift in (-1, 0, 1, 2)]
        elif isinstance(node, (sp.Heaviside, sp.sign, sp.Abs, sp.log, sp.re, sp.im, sp.arg)):
            switches.append(node.args[0])
        elif isinstance(node, _POLES_AT_NONPOSITIVE_INTEGERS):
            # binomial, gamma, factorial... have poles or conventions at 0, -1, -2, ...
            switches += [argument + shift for argument in node.args for shift in (0, 1, 2)]
        elif isinstance(node, (sp.Min, sp.Max)):
            switches += [u - v for u in node.args for v in node.args if u != v]
        elif isinstance(node, sp.Pow):
            if not node.exp.is_Integer:
                switches.append(node.base)  # a branch point
            elif node.exp.is_negative:
                poles.append(node.base)  # a hole (an integer has no neighbours to fill it)
            if node.base.is_number:
                switches.append(node.exp)  # 0**(1000 - x) switches at x = 1000
        for kind, where in _POLES.items():  # (atanh(k - 100) has no value at k = 101, nor
            # tan(pi k / 202): hostile review 53; written to vanish there)
            if isinstance(node, kind):
                poles += [sp.expand(form(node.args[0])) for form in where]
    return switches, poles


#: functions with poles (or ends of their domain) at arguments of a known form: each
#: written as expressions of the argument that vanish there (over pi, so that pi k / 202
#: gives a polynomial in k)
_POLES = {
    (sp.atanh, sp.acoth): (lambda u: u - 1, lambda u: u + 1),
    (sp.tan, sp.sec): (lambda u: u / sp.pi - sp.S.Half, lambda u: u / sp.pi + sp.S.Half),
    (sp.cot, sp.csc): (lambda u: u / sp.pi, lambda u: u / sp.pi - 1, lambda u: u / sp.pi + 1),
    (sp.coth, sp.csch, sp.asec, sp.acsc): (lambda u: u,),
    sp.zeta: (lambda u: u - 1,),
}


def special_values(exprs: tuple[sp.Expr, ...], symbols: set[sp.Basic]) -> SpecialValues:
    """Values at which something happens, and values just beyond: where a Kronecker delta, a
    step function, an absolute value, a floor, a minimum, a comparison, a branch point or a
    power of zero switches, for a symbol that enters it linearly (``KroneckerDelta(n, 1000)``
    gives ``n = 1000``; ``Min(x, 10**6)`` gives ``x = 10**6`` and points on either side,
    near it and a step away: a side undefined on a whole interval next to the switch, as
    ``1/floor(x)`` on ``[0, 1)``, shows there). Random points would miss them. Only values
    the symbol's assumptions allow are kept.
    """
    switches: list[sp.Expr] = []
    poles: list[sp.Expr] = []
    for expr in exprs:
        found_switches, found_poles = _switches_and_poles(expr)
        switches += found_switches
        poles += found_poles
    found = SpecialValues()

    def add(symbol: sp.Basic, value: sp.Expr, switch: bool = False) -> None:
        if _may_take(symbol, value) and value not in found.get(symbol, []):
            found.setdefault(symbol, []).append(value)
        if switch:
            found.switches.setdefault(symbol, set()).add(value)

    for symbol in sorted(symbols, key=sp.default_sort_key):
        if symbol.is_integer:  # identities of binomials and factorials break at 0 and below
            for value in range(-2, 3):
                add(symbol, sp.Integer(value))
    integer_poles = [p for p in poles if any(s.is_integer for s in p.free_symbols & symbols)]
    for switch in switches + integer_poles:
        inside = switch.free_symbols & symbols
        if len(inside) > 1 and switch in switches:
            # where the switch's arguments coincide (x = y in KroneckerDelta(x, y), Eq(x, y)):
            # a value in the other symbols, which random reals never meet
            for symbol, value in _coinciding(switch, inside, symbols):
                add(symbol, value, switch=True)
                break
        if len(inside) != 1:
            continue
        [symbol] = inside
        for root in _switching_roots(switch, symbol):
            step = max(sp.S.One, abs(root) / 3)
            if symbol.is_integer:
                step = sp.ceiling(step)
            add(symbol, root, switch=True)
            near = () if symbol.is_integer else (root - step / 1000, root + step / 1000)
            for value in (root - step, root + step, *near):
                add(symbol, value)
    for symbol, values in list(found.switches.items()):
        # between two switches of a real symbol: close ones (x = c -+ 10**-6 in
        # Piecewise((1, (x - c)**2 < 10**-12), (0, True))) leave a gap no random point meets,
        # where the sides may differ though they agree at both (hostile review 65)
        if symbol.is_integer:
            continue
        ordered = sorted((v for v in values if v.is_number and v.is_extended_real is True
                          and v.is_finite), key=lambda v: float(v))
        for low, high in zip(ordered, ordered[1:]):
            add(symbol, (low + high) / 2)
    for symbol, value in _bounds_past_switches(exprs, symbols) + \
            _bounds_reversing_ranges(exprs, symbols):
        add(symbol, value)
    return found


def _bounds_reversing_ranges(exprs: tuple[sp.Expr, ...], symbols: set) -> list[tuple]:
    """Values of sampled symbols that leave a sum's or product's range one term, or make
    it empty or run backwards by one or two terms, for a bound linear in the symbol: ``sum_{k=n}^{5} p(k)``
    is ``-p(6)`` at n = 7 in SymPy's (Karr's) convention, and random bounds stay small
    (hostile review 66 had it pass as ``>= 0`` with accept_numeric)."""
    found = []
    for expr in exprs:
        for node in nodes(expr):
            if not isinstance(node, (sp.Sum, sp.Product)):
                continue
            for limit in node.limits:
                if len(limit) != 3:
                    continue
                _, lower, upper = limit
                width = upper - lower
                for symbol in sorted(width.free_symbols & symbols, key=str):
                    found += [(symbol, value) for value in
                              _where_linear_reaches(width, symbol, (-3, -2, -1, 0))
                              if abs(value) <= _FARTHEST_BOUND]
    return found


def _where_linear_reaches(expr: sp.Expr, symbol: sp.Basic, targets) -> list[sp.Expr]:
    """The values of ``symbol`` at which ``expr``, linear in it with a rational slope and no
    other symbol, takes each of ``targets`` ([] where it is no such function).

    >>> n = sp.Symbol("n")
    >>> _where_linear_reaches(2 * n - 5, n, (-1, 0))
    [2, 5/2]
    """
    try:
        slope, rest = sp.Poly(expr, symbol).all_coeffs()
    except (sp.PolynomialError, ValueError):
        return []  # (not linear in it)
    if not slope.is_Rational or slope == 0 or rest.free_symbols:
        return []
    return [(target - rest) / slope for target in targets]


#: the largest value given to a sum's bound to take it past a switch of its terms
_FARTHEST_BOUND = 10_000


def _bounds_past_switches(exprs: tuple[sp.Expr, ...], symbols: set,
                          keep_beyond: bool = False) -> list[tuple]:
    """Values of sampled symbols that take a sum's or product's bound one and two terms past
    where its terms switch (``sum_{t=0}^{T} min(t, 40)`` switches at t = 40: T = 41, 42), for
    a bound linear in the symbol; random bounds stay small and never reach the switch (new
    user 17's false step passed with accept_numeric). With ``keep_beyond``, a value
    beyond :data:`_FARTHEST_BOUND` comes as ``(symbol, None)``."""
    found = []
    for expr in exprs:
        for node in nodes(expr):
            if not isinstance(node, (sp.Sum, sp.Product)) or len(node.limits) != 1 \
                    or len(node.limits[0]) != 3:
                continue
            index, lower, upper = node.limits[0]
            switches, poles = _switches_and_poles(node.function)
            for switch in switches + poles:
                if switch.free_symbols & (symbols | {index}) != {index}:
                    continue
                for root in rational_roots(switch, index):
                    for bound, past in ((upper, root + 1), (lower, root - 1)):
                        for symbol in sorted(bound.free_symbols & symbols, key=str):
                            targets = (past, past + (1 if bound is upper else -1))
                            for value in _where_linear_reaches(bound, symbol, targets):
                                if abs(value) <= _FARTHEST_BOUND:
                                    found.append((symbol, value))
                                elif keep_beyond:
                                    found.append((symbol, None))
    return found


def _beyond_farthest_bound(exprs: tuple[sp.Expr, ...], symbols: set) -> str:
    """A sum's or product's term that switches where no sampled bound reaches (beyond
    :data:`_FARTHEST_BOUND`), in words ("" if none)."""
    for symbol, value in _bounds_past_switches(exprs, symbols, keep_beyond=True):
        if value is None:
            return f"a sum's or product's terms switch where {symbol} would pass " \
                   f"{_FARTHEST_BOUND} to reach it"
    return ""


def _switching_roots(switch: sp.Expr, symbol: sp.Basic) -> list[sp.Expr]:
    """The rational roots of ``switch`` in ``symbol``, and for a symbol that is no integer
    the real roots, in radicals, of its factors of degree 2 to 4 (``Eq(x**2, 2)`` switches
    at ``sqrt(2)``, which random points never meet: hostile review 47; ``x**3 = 2`` at
    ``2**(1/3)``: hostile review 62), and the root of a switch linear in it with numbers
    for coefficients (``x - pi``). Exact, not floats: the sides are exact there."""
    found = list(rational_roots(switch, symbol))
    polynomial = _listable_polynomial(switch, symbol)
    if polynomial is None:
        roots = _numeric_roots(switch, symbol) or []  # (x - pi switches at pi: hostile
        # review 63; (x - pi)**2 - 10**-10 at pi -+ 10**-5)
        return found + [r for r in roots if r not in found]
    if symbol.is_integer:
        return found
    for factor, _ in polynomial.factor_list()[1]:
        if 2 <= factor.degree() <= 4:
            found += [r for r in sorted(sp.roots(factor, filter="R"), key=sp.default_sort_key)
                      if r not in found and not r.has(sp.CRootOf)]
    return found


def _numeric_roots(switch: sp.Expr, symbol: sp.Basic) -> list[sp.Expr] | None:
    """Every real root of ``switch``, linear or quadratic in ``symbol`` with numbers (not
    only rationals) for coefficients, exact (``x - pi`` gives ``[pi]``; ``(x - pi)**2 -
    10**-10`` gives ``pi -+ 10**-5``, where ``|(x - pi)**2 - 10**-10|`` kinks: hostile
    review 65). None where ``switch`` is no such function, or the sign of its discriminant
    cannot be decided.

    >>> x = sp.Symbol("x", real=True)
    >>> _numeric_roots(x**2 - 2 * sp.pi * x + sp.pi**2 - 1, x)
    [-1 + pi, 1 + pi]
    """
    try:
        polynomial = sp.Poly(switch, symbol)
    except sp.PolynomialError:
        return None
    coefficients = polynomial.all_coeffs()
    if polynomial.degree() not in (1, 2) or not all(c.is_number for c in coefficients) \
            or coefficients[0].is_zero is not False:
        return None
    if polynomial.degree() == 1:
        slope, rest = coefficients
        return [-rest / slope]
    a, b, c = coefficients
    discriminant = b**2 - 4 * a * c
    if discriminant.is_negative:
        return []
    if discriminant.is_zero:
        return [-b / (2 * a)]
    if not discriminant.is_positive:
        return None
    return sorted(((-b - sp.sqrt(discriminant)) / (2 * a), (-b + sp.sqrt(discriminant)) / (2 * a)),
                  key=sp.default_sort_key)


def unlocated_jumps(exprs: tuple[sp.Expr, ...], symbols: set[sp.Basic]) -> str:
    """A point where the sides jump (a Kronecker delta, a comparison or piecewise condition,
    a floor, a sign, a step function, a power of zero) or kink (an absolute value, a
    minimum or maximum) that :func:`special_values` cannot place, in words ("" if none): a
    switch in one symbol whose real roots are not all listed (``x**5 - x - 1``), in several
    symbols linear in none (``x**2 + y**2 - 1``), or in a sum's terms beyond the bounds a
    symbol is given (``KroneckerDelta(k, 10**5)``). Random points never meet such a point,
    and the sides may differ there only, or only on a tiny interval around it
    (``|c(x)| = c(x)`` where ``c`` dips below 0 between two close roots): sampling is no
    evidence for them (hostile reviews 63 and 65)."""
    for expr in exprs:
        for node in nodes(expr):
            if not isinstance(node, _JUMPS) and not (
                    isinstance(node, sp.Pow) and node.base.is_zero and not node.exp.is_number):
                continue
            switches, _ = _switches_and_poles(node, inner=False)
            for switch in switches:
                inside = switch.free_symbols & symbols
                if not inside or _located(switch, inside, symbols):
                    continue
                return f"{node} switches where {switch} = 0, at points that cannot be listed"
    return _beyond_farthest_bound(exprs, symbols)


#: the functions whose value jumps, or kinks, where their argument switches
_JUMPS = (sp.KroneckerDelta, sp.core.relational.Relational, sp.floor, sp.ceiling, sp.frac,
          sp.Mod, sp.Heaviside, sp.sign, sp.Abs, sp.Min, sp.Max)


def _located(switch: sp.Expr, inside: set, symbols: set) -> bool:
    if len(inside) > 1:
        return next(_coinciding(switch, inside, symbols), None) is not None
    [symbol] = inside
    if _listable_polynomial(switch, symbol) is None:
        return _numeric_roots(switch, symbol) is not None
    return symbol.is_integer or _all_real_roots_listed(switch, symbol)


def _coinciding(switch: sp.Expr, inside: set, symbols: set) -> Iterator[tuple]:
    """Each way of putting ``switch`` at zero by one symbol it is linear in: the symbol and
    its value in the others (``x - 2 y`` gives ``x = 2 y``; ``x y + 1`` gives ``x = -1/y``:
    hostile review 62), when those are sampled and the value may meet the symbol's
    assumptions (where the others are drawn, :func:`pgsym.verification._points` draws them
    until it does)."""
    for symbol in sorted(inside, key=sp.default_sort_key):
        try:
            polynomial = sp.Poly(switch, symbol)
        except sp.PolynomialError:
            continue
        if polynomial.degree() != 1:
            continue
        slope, rest = polynomial.all_coeffs()
        if slope.is_zero is not False and not slope.free_symbols:
            continue
        value = sp.cancel(-rest / slope)
        if value.free_symbols <= symbols and _may_take(symbol, value):
            yield symbol, value


def _may_take(symbol: sp.Basic, value: sp.Expr) -> bool:
    """Whether ``symbol`` may take ``value``: a number that respects its assumptions, or an
    expression in other symbols whose assumptions contradict none of them (placed where
    the others are drawn, and checked there)."""
    if respects(symbol, value):
        return True
    return bool(value.free_symbols) and not any(
        wanted is not None and getattr(value, f"is_{fact}") is (not wanted)
        for fact, wanted in _facts(symbol).items())


def listed_rational_roots(expr: sp.Expr, symbol: sp.Basic) -> list[sp.Rational] | None:
    """The rational roots of ``expr``, a polynomial in ``symbol`` whose roots can be listed
    (:func:`_listable_polynomial`), or ``None`` where they cannot (its other roots are not
    rational, and no integer)."""
    return None if _listable_polynomial(expr, symbol) is None else rational_roots(expr, symbol)


def rational_roots(expr: sp.Expr, symbol: sp.Basic) -> list[sp.Rational]:
    """The rational roots of ``expr``, a polynomial in ``symbol`` with rational
    coefficients (none otherwise)."""
    polynomial = _listable_polynomial(expr, symbol)
    if polynomial is None or polynomial.degree() < 1:
        return []
    return sorted(set(sp.roots(polynomial, filter="Q")), key=sp.default_sort_key)


def matrix_values(exprs: tuple[sp.Expr, ...], rng: random.Random) -> dict[sp.Basic, sp.Basic]:
    """Random explicit matrices for the matrix symbols of ``exprs`` (of numeric shape)."""
    values: dict[sp.Basic, sp.Basic] = {}
    for expr in exprs:
        for m in sorted(expr.atoms(sp.MatrixSymbol), key=sp.default_sort_key):
            rows, columns = m.shape
            if not (rows.is_Integer and columns.is_Integer) or rows * columns > 400:
                raise SamplingError(f"cannot sample the matrix {m} of shape {m.shape}")
            entry = sp.Symbol("entry")  # complex entries: a matrix symbol carries no assumptions
            values[m] = sp.ImmutableMatrix(int(rows), int(columns),
                                           lambda i, j: random_value(entry, rng))
    return values


# -- values at a point ----------------------------------------------------------------
def concrete(expr: sp.Expr, instantiation: Instantiation, point: dict) -> sp.Expr:
    """``expr`` with stand-ins applied, derivatives and substitutions done, then the point
    substituted and finite sums written out; integrals and infinite sums are left for
    :func:`numeric_value` (quadrature, series acceleration).

    Derivatives are taken before the point is substituted (they need their variables),
    except those that would move under an integral or an infinite sum: that interchange
    needs a condition, so such a derivative stays unevaluated and the point has no value.
    Bound variables that share a name with a sampled symbol are renamed first, so the point
    never rewrites them.
    """
    safe = _instantiated(expr, instantiation, frozenset(point))
    substituted = write_out(safe.xreplace(point), evaluate=True)
    return replaced(substituted, _evaluable, _differentiated)


def _differentiated(node: sp.Basic) -> sp.Basic:
    if isinstance(node, sp.Derivative) and differentiates_under_limit(node):
        return node
    if isinstance(node, sp.Subs):
        done = substituted_at_once(node)
        if not isinstance(done, sp.Subs):
            return done
    return node.doit(deep=False)


def _evaluable(node: sp.Basic) -> bool:
    return isinstance(node, (sp.Derivative, sp.Subs))


@functools.lru_cache(maxsize=64)
def _instantiated(expr: sp.Expr, instantiation: Instantiation,
                  sampled: frozenset) -> sp.Expr:
    """``expr`` with the stand-ins applied and derivatives taken, its bound variables renamed
    away from the ``sampled`` symbols: the same for every point of one family (the sampler
    visits many), so it is computed once."""
    # a derivative with respect to a function (dz/dy with y = p(x; theta)) is taken before
    # the function is replaced by a stand-in, which could not be a variable of differentiation
    # (unless another value of the function in it may be the same one, f(k) beside f(1),
    # which SymPy would hold constant: then the derivative has no value, a symbol's)
    # (each such derivative a Dummy of its own, as one with no value)
    by_function = expr.replace(
        lambda e: isinstance(e, sp.Derivative) and any(isinstance(v, AppliedUndef)
                                                       for v in e.variables),
        lambda e: sp.Dummy("unevaluable") if ambiguous_value_derivative(e) is not None
        else _differentiated(e))
    concrete_functions = instantiation.apply(by_function)
    differentiated = replaced(concrete_functions, _evaluable, _differentiated)
    return rename_bound(differentiated, set(sampled))


@dataclass(frozen=True)
class Comparison:
    """The two sides at one point.

    ``outcome`` is ``"agree"`` (exactly, to :data:`MAX_DIGITS` digits, or to
    :data:`QUADRATURE_TOLERANCE` where ``quadrature``), ``"differ"`` (a counterexample),
    ``"one-sided"`` (one side is undefined there, the other is not), ``"undefined"`` (both
    are) or ``"unevaluable"`` (a value could not be computed: an integral not shown to
    converge, a derivative under a limit).
    """

    outcome: str
    before: sp.Expr | None = None
    after: sp.Expr | None = None
    exact: bool = False
    quadrature: bool = False


def _state(value: sp.Expr) -> str:
    if has_undefined_value(value):
        return "undefined"
    return "defined" if value.is_number else "unevaluable"


def _sides(before: sp.Expr, after: sp.Expr) -> Comparison | None:
    """The comparison when a side has no value, else ``None``."""
    states = {_state(before), _state(after)}
    if states == {"defined"}:
        return None
    if "unevaluable" in states:
        return Comparison("unevaluable", before, after)
    return Comparison("undefined" if states == {"undefined"} else "one-sided", before, after)


def compare_at(a: sp.Expr, b: sp.Expr, instantiation: Instantiation, point: dict,
               rng: random.Random, max_digits: int = MAX_DIGITS) -> Comparison:
    """Compares the two sides at ``point``: exactly where SymPy's exact arithmetic settles the
    difference, else by evaluating the difference with adaptive precision (up to
    ``max_digits`` digits); where an integral or an infinite sum is left, by quadrature or
    series acceleration, to :data:`QUADRATURE_TOLERANCE`, once it is shown to converge.

    Indexed objects that the written-out sums reach (``theta[2]``) get random values too;
    ``point`` is extended with them.
    """
    outcome, values = compare_at_point(
        *(_instantiated(side, instantiation, frozenset(point)) for side in (a, b)), point,
        lambda item: random_value(item, rng), max_digits)
    if outcome is not None:
        # shown by one rigorous evaluation of each side as written (two disjoint enclosures
        # prove a difference); anything else (a side without a value, what intervals cannot
        # enclose, enclosures too wide to tell) is looked at below
        return Comparison(outcome, *values)
    before, after = with_entries_drawn(
        (concrete(a, instantiation, point), concrete(b, instantiation, point)), point, rng)
    if before.has(sp.MatrixExpr) or after.has(sp.MatrixExpr):
        before, after = before.doit(), after.doit()
    missing = _sides(before, after)
    if missing is not None:
        return missing
    if before.has(sp.Integral, sp.Sum, sp.Product) or after.has(sp.Integral, sp.Sum, sp.Product):
        return _compare_by_quadrature(before, after)
    difference = before - after
    if difference.is_Rational:  # exact arithmetic has settled it
        return Comparison("differ" if difference != 0 else "agree", before, after, exact=True)
    enclosed = compare_enclosed(before, after, max_digits)  # one rigorous evaluation, if it can
    if enclosed is not None:
        return Comparison(enclosed, before, after)
    try:
        value = sp.N(difference, 15, maxn=max_digits, strict=True)
    except sp.core.evalf.PrecisionExhausted:
        # not told from zero: zero to max_digits digits, or an evaluation that cannot reach
        # 15 certain digits at all (sin of a huge number); an algebraic difference is settled
        # exactly, any other by the difference at two precisions
        exact = _algebraic_is_nonzero(difference)
        if exact is not None:
            return Comparison("differ" if exact else "agree", before, after, exact=True)
        return Comparison(_at_two_precisions(difference, max_digits), before, after)
    if _state(value) != "defined":
        return _sides(sp.N(before, 15), sp.N(after, 15)) or Comparison("unevaluable")
    return Comparison("differ" if value != 0 else "agree", before, after)


def with_entries_drawn(sides: tuple, point: dict, rng: random.Random) -> tuple:
    """``sides`` (evaluated at ``point``) with the entries of indexed objects that written-out
    sums reach (``r[1]``) given random values too; ``point`` is extended with them (some may
    have values already, drawn by an earlier evaluation)."""
    indexed = {i for side in sides for i in side.atoms(sp.Indexed)
               if all(j.is_Integer for j in i.indices)}
    for item in sorted(indexed - set(point), key=sp.default_sort_key):
        point[item] = random_value(item, rng)
    return tuple(side.xreplace(point) for side in sides) if indexed else tuple(sides)


def _at_two_precisions(difference: sp.Expr, max_digits: int) -> str:
    """``"differ"`` when the difference is the same nonzero number at a low and at a high
    working precision, ``"agree"`` when it shrinks to rounding noise, else
    ``"unevaluable"``."""
    low_digits = max(30, max_digits // 4)
    low, high = (abs(sp.N(difference, digits)) for digits in (low_digits, max_digits))
    if not (low.is_Number and high.is_Number):
        return "unevaluable"
    if high == 0 or high < sp.Float(10, 30) ** (-max_digits // 2):
        return "agree"
    if abs(high - low) < high / 10**6:
        return "differ"
    return "unevaluable"


#: relative agreement required where an integral or infinite sum is evaluated numerically
QUADRATURE_TOLERANCE = sp.Float("1e-12")


def _compare_by_quadrature(before: sp.Expr, after: sp.Expr) -> Comparison:
    """Compares sides holding integrals or sums too long to write out. Quadrature and series
    acceleration are trusted to :data:`QUADRATURE_TOLERANCE`; a finite sum is summed by
    ``evalf`` to its working precision, so where nothing else is left, the sides are
    compared to within a few digits of it (30, then 60): ``sum_{j <= 10^12} 1/j^3`` is
    short of ``zeta(3)`` by ``5e-25``, which a tolerance of ``1e-12`` calls agreement."""
    finite = not any(node.has(sp.Integral) or _infinite_total(node) for node in (before, after))
    for digits in ((30, 60) if finite else (20, 30)):  # a difference must show at both
        try:
            x, y = numeric_value(before, digits), numeric_value(after, digits)
        except ArithmeticError:
            return Comparison("unevaluable", before, after)
        missing = _sides(x, y)
        if missing is not None:
            return missing
        tolerance = sp.Float(10, digits) ** (5 - digits) if finite else QUADRATURE_TOLERANCE
        if not abs(x - y) > tolerance * max(sp.S.One, abs(x), abs(y)):
            # (so they do not differ at both: the second precision cannot change that)
            return Comparison("agree", before, after, quadrature=True)
    if not (before.has(sp.Integral) or after.has(sp.Integral)):
        # (the values found are shown: evalf alone may sum wrongly, see _summed_twice; an
        # integral's difference is confirmed piece by piece, from the sides themselves)
        return Comparison("differ", x, y, quadrature=True)
    return Comparison("differ", before, after, quadrature=True)


def _infinite_total(expr: sp.Expr) -> bool:
    return any(isinstance(node, (sp.Sum, sp.Product))
               and any(not bound.is_finite for limit in node.limits for bound in limit[1:])
               for node in nodes(expr))


def _mpmath_number(value: sp.Expr, digits: int):
    if value in (sp.oo, -sp.oo):
        return mpmath.inf if value == sp.oo else -mpmath.inf
    return mpmath.mpmathify(sp.N(value, digits))


def numeric_value(expr: sp.Expr, digits: int,
                  cut: Callable[[object, object], list] | None = None) -> sp.Expr:
    """The value of a closed expression to about ``digits`` digits.

    Its integrals and infinite sums must first be shown to converge
    (:func:`pgsym._convergence.converges`; else :class:`NotShownToConverge`, an
    ``ArithmeticError``); integrals over one variable are then evaluated by mpmath's
    tanh-sinh quadrature, whose error estimate must be far below
    :data:`QUADRATURE_TOLERANCE`, and the rest by ``evalf`` (sums by series acceleration).
    ``cut(a, b)``, if given, lists the points that cut each interval into the pieces
    quadrature runs over separately; an integral that is not over one variable is then an
    ``ArithmeticError`` (it would be left to ``evalf`` whole).
    """
    def integrate(integral: sp.Integral) -> sp.Expr:
        converges(integral)
        if len(integral.limits) != 1 or integral.function.has(sp.Integral):
            if cut is not None:
                raise ArithmeticError(f"cannot evaluate {integral} piece by piece")
            return integral
        if cut is None:
            found = _INTEGRALS.get((integral, digits))
            if found is None:
                if len(_INTEGRALS) >= 256:
                    _INTEGRALS.clear()
                found = _INTEGRALS[(integral, digits)] = quadrature(integral)
            return found
        return quadrature(integral)

    def quadrature(integral: sp.Integral) -> sp.Expr:
        variable, lower, upper = integral.limits[0]
        function = sp.lambdify(variable, _constants_evaluated(integral.function, digits),
                               modules="mpmath")
        with mpmath.workdps(digits):
            bounds = [_mpmath_number(bound, digits) for bound in (lower, upper)]
            if cut is not None:
                bounds = cut(*bounds)
            bounds = _with_peaks(bounds, _gaussian_peaks(integral.function, variable, digits))
            value, error = mpmath.quad(function, bounds, error=True)
            if not mpmath.isfinite(value) or error > mpmath.mpf(10) ** (5 - digits) * max(1, abs(value)):
                raise ArithmeticError(f"the quadrature of {integral} did not converge")
            return sp.Float(mpmath.re(value), digits) + sp.I * sp.Float(mpmath.im(value), digits)

    def summed(total: sp.Basic) -> sp.Basic:
        converges(total)
        return _summed_twice(total, digits)

    closed = expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)) and not e.free_symbols,
                          summed)
    closed = closed.replace(lambda e: isinstance(e, sp.Integral) and not e.free_symbols, integrate)
    return sp.N(closed, digits)


#: the terms of an infinite sum added one by one before ``evalf`` sums the rest
_HEAD = 32


def _summed_twice(total: sp.Basic, digits: int) -> sp.Basic:
    """A closed infinite sum over one index (shown to converge) evaluated by SymPy's
    ``evalf`` and by mpmath's ``nsum``, two independent ways, as their common value; an
    ``ArithmeticError`` where they disagree. ``evalf`` sums a hypergeometric term by its
    ratio, which is wrong past a zero term: it gave -1 for ``sum_{k >= 0} (k - 1)/2^k = 0``
    (new user 16, whose true step was refuted and a false one agreed), so its first
    :data:`_HEAD` terms are added one by one. Any other sum or product is left to
    ``evalf``."""
    if not (isinstance(total, sp.Sum) and len(total.limits) == 1
            and _infinite_total(total) and not total.function.has(sp.Sum, sp.Product,
                                                                   sp.Integral)):
        return total
    index, lower, upper = total.limits[0]
    try:
        term = sp.lambdify(index, _constants_evaluated(total.function, digits),
                           modules="mpmath")
        with mpmath.workdps(digits):
            other = mpmath.nsum(term, [_mpmath_number(lower, digits),
                                       _mpmath_number(upper, digits)])
    except Exception:  # (mpmath's NoConvergence, a term lambdify cannot print...)
        raise ArithmeticError(f"cannot sum {total} a second way") from None
    if lower.is_finite and upper is sp.oo:  # (evalf from past the small indices: a zero
        # term of a hypergeometric one lies at a root of its numerator, a small integer)
        head = sp.Add(*(total.function.xreplace({index: lower + j}) for j in range(_HEAD)))
        value = sp.N(head + sp.Sum(total.function, (index, lower + _HEAD, upper)), digits)
    else:
        value = sp.N(total, digits)
    other = sp.Float(mpmath.re(other), digits) + sp.I * sp.Float(mpmath.im(other), digits)
    if not (value.is_number and other.is_finite) or \
            abs(value - other) > QUADRATURE_TOLERANCE * max(sp.S.One, abs(value)):
        raise ArithmeticError(f"two ways of summing {total} disagree ({value} and "
                              f"{sp.N(other, 15)})")
    return value


def _constants_evaluated(expr: sp.Expr, digits: int) -> sp.Expr:
    """``expr`` with each constant part (a fraction, ``sqrt(2*pi)``) evaluated to ``digits``
    and ten more digits, where the code SymPy prints for mpmath would evaluate it at every
    point, at the working precision: half the time of a quadrature went into
    ``mpf(p)/mpf(q)`` for the long fractions of a random point. Integers stay exact, and so
    do exponents (``x**(1/2)`` is still a square root).

    >>> x = sp.Symbol("x")
    >>> _constants_evaluated(sp.sqrt(2) * x**sp.Rational(1, 2) / 3, 15)
    0.4714045207910316829338962*sqrt(x)
    """
    def evaluated(node: sp.Basic) -> sp.Basic:
        if node.is_Integer or node.is_Atom and not node.is_number:
            return node
        if node.is_number and not node.has(sp.Integral, sp.Sum, sp.Product):
            return sp.N(node, digits + 10)
        if isinstance(node, sp.Pow):
            return sp.Pow(evaluated(node.base), node.exp)
        return node.func(*map(evaluated, node.args))
    try:
        return evaluated(expr)
    except (TypeError, ValueError, ArithmeticError):  # (a node that cannot be rebuilt so)
        return expr


def _gaussian_peaks(function: sp.Expr, variable: sp.Symbol, digits: int) -> list:
    """Where the factors ``exp(P(x))`` of a closed integrand (and the products of such
    factors in one term: two Gaussian densities), ``P`` a polynomial of even degree ``d``
    with a negative leading coefficient ``a`` (a Gaussian, ``exp(-(x - m)^4)``), peak or
    turn (the real roots of ``P'``), and ten widths ``(-a)^(-1/d)`` either side:
    quadrature over an infinite interval samples densely near 0 only, and misses a peak of
    width 2 at -4516 (it returned 1e-196919 for the mean of N(-4516, 2.2^2)), however its
    error estimate reads."""
    points = []
    exponents = {factor.args[0] for factor in function.atoms(sp.exp)}
    for term in sp.Add.make_args(function):  # (a product peaks where the sum of exponents does)
        together = [f.args[0] for f in sp.Mul.make_args(term) if isinstance(f, sp.exp)]
        if len(together) > 1:
            exponents.add(sp.Add(*together))
    for exponent in exponents:
        try:
            polynomial = sp.Poly(exponent, variable)
        except sp.PolynomialError:  # (not a polynomial in x)
            continue
        degree = polynomial.degree()
        if degree < 2 or degree % 2:
            continue
        coefficients = [mpmath.mpmathify(sp.N(c, digits)) for c in polynomial.all_coeffs()]
        if not all(isinstance(c, mpmath.mpf) for c in coefficients) or coefficients[0] >= 0:
            continue
        width = (-coefficients[0]) ** (mpmath.mpf(-1) / degree)
        for center in _turns(polynomial.diff(variable), digits, width):
            points += [center - 10 * width, center, center + 10 * width]
    return points


def _turns(slope: sp.Poly, digits: int, width) -> list:
    """The real roots of ``slope`` (and, with coefficients that are not rational, the real
    parts of its roots within ``width`` of the real line), as mpmath numbers."""
    if slope.degree() == 1:
        b, c = slope.all_coeffs()
        return [mpmath.mpmathify(sp.N(-c / b, digits))]
    if slope.domain.is_QQ or slope.domain.is_ZZ:  # exactly, multiple roots too
        return [mpmath.mpmathify(sp.N(root, digits)) for root in set(slope.real_roots())]
    try:
        roots = mpmath.polyroots([mpmath.mpmathify(sp.N(c, digits)) for c in slope.all_coeffs()],
                                 maxsteps=200, extraprec=2 * digits)
    except (mpmath.libmp.NoConvergence, TypeError):
        return []
    return [mpmath.re(root) for root in roots if abs(mpmath.im(root)) <= width]


def _with_peaks(bounds: list, peaks: list) -> list:
    """``bounds`` (increasing, or decreasing for a reversed interval) with the peaks that lie
    strictly inside their range added, in order."""
    low, high = min(bounds[0], bounds[-1]), max(bounds[0], bounds[-1])
    inside = [p for p in peaks if low < p < high and p not in bounds]
    if not inside:
        return bounds
    points = sorted(set(bounds) | set(inside))
    return points if bounds[0] <= bounds[-1] else points[::-1]


#: values of closed integrals already found by quadrature, by integral and digits: the two
#: sides of a step often hold the same integral at a point (half the quadratures of the
#: Gaussian derivations)
_INTEGRALS: dict[tuple[sp.Integral, int], sp.Expr] = {}


def _algebraic_is_nonzero(number: sp.Expr) -> bool | None:
    """Whether an algebraic number (rationals, radicals, +, *) is nonzero, decided exactly by
    its minimal polynomial; ``None`` for other numbers or when SymPy cannot tell."""
    for node in nodes(number):
        if not (node.is_Rational or node is sp.I or isinstance(node, (sp.Add, sp.Mul))
                or isinstance(node, sp.Pow) and node.exp.is_Rational):
            return None
    try:
        return sp.minimal_polynomial(number, sp.Dummy("t")).is_Symbol is False
    except Exception:  # SymPy's algorithms have limits; then the evidence stays numeric
        return None


def shown(value: sp.Expr) -> sp.Expr:
    """``value`` to :data:`SHOWN_DIGITS` digits, for a counterexample."""
    return sp.N(value, SHOWN_DIGITS)
