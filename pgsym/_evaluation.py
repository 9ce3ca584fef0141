"""Evaluating a step for a symbolic proof, without trusting what must not be trusted.

SymPy's ``doit`` is right almost always, but not always: an alternating binomial sum it
sums to 0 is 1 at n = 0, and it differentiates under an integral or an infinite sum
whenever it finds no closed form, which is an interchange that needs a condition. So:

* :func:`evaluate` works bottom-up and never moves a derivative under an integral or a
  possibly infinite sum or product (:func:`~pgsym._trees.differentiates_under_limit`);
* every closed form it obtains for a sum, product or integral is recorded, and
  :func:`cross_check` compares each with a direct evaluation of the unevaluated object
  (terms written out, or quadrature and series acceleration) at sample points, after
  showing that an infinite sum or an improper integral converges.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import mpmath
import sympy as sp

from sympy.core.function import Application

from pgsym._trees import (TRUSTED_FUNCTIONS, differentiates_under_limit, has_undefined_value,
                          nodes, rebuild, replace_unevaluated, substituted_at_once,
                          untrusted_functions)
from pgsym._convergence import NotShownToConverge, converges
from pgsym._sums import write_out
from pgsym.expectation import Expectation
from pgsym.sampling import (Instantiation, SamplingError, concrete, instantiations, numeric_value,
                            random_point, respects, sampled_symbols, special_values,
                            unfound_switches)

#: sample points at which each closed form is compared with its unevaluated object
CROSS_CHECK_POINTS = 3
#: relative agreement required where the unevaluated object is evaluated by quadrature or
#: series acceleration (their error estimates are far below this)
QUADRATURE_TOLERANCE = sp.Float("1e-12")


@dataclass(frozen=True)
class ClosedForm:
    """A sum, product or integral, and the closed form SymPy gave for it."""

    original: sp.Expr
    value: sp.Expr


@dataclass(frozen=True)
class Evaluated:
    """An expression evaluated as far as is safe, and the closed forms that were used."""

    value: sp.Expr
    closed_forms: tuple[ClosedForm, ...]


class CrossCheckFailed(Exception):
    """A closed form could not be confirmed; the message says why."""


def evaluate(expr: sp.Expr, totals: bool = True) -> Evaluated:
    """Returns ``expr`` with derivatives, sums, products and integrals done where that is safe
    (with ``totals=False``, sums, products and integrals are left as they are: no closed form
    to cross-check).

    >>> import sympy as sp
    >>> k, n = sp.Symbol("k", integer=True), sp.Symbol("n", integer=True, positive=True)
    >>> result = evaluate(sp.Sum(k, (k, 1, n)))
    >>> sp.factor(result.value), len(result.closed_forms)
    (n*(n + 1)/2, 1)
    """
    found: list[ClosedForm] = []
    return Evaluated(_evaluate(write_out(expr), found, totals), tuple(found))


def _evaluate(node: sp.Basic, found: list[ClosedForm], totals: bool = True) -> sp.Basic:
    if node.is_Atom or not node.args or isinstance(node, sp.Lambda):
        return node
    if isinstance(node, Expectation):
        return _evaluate(node.unfold(), found, totals)
    args = [_evaluate(a, found, totals) for a in node.args]
    rebuilt = node.func(*args) if args != list(node.args) else node
    if isinstance(rebuilt, sp.Derivative):
        if differentiates_under_limit(rebuilt):
            return rebuilt
        return rebuilt.doit(deep=False)
    if isinstance(rebuilt, sp.Subs):
        done = substituted_at_once(rebuilt)
        if not isinstance(done, sp.Subs):
            return done
        # substituting may leave a substitution into a derivative (d/dxi J(xi) at xi = theta)
        # that is now a plain derivative: one more pass settles it
        done = rebuilt.doit(deep=False)
        return done.replace(lambda e: isinstance(e, sp.Subs), lambda e: e.doit(deep=False))
    if isinstance(rebuilt, (sp.Sum, sp.Product, sp.Integral)):
        if not totals:
            return rebuilt
        written = write_out(rebuilt, evaluate=True)
        if written != rebuilt:
            return written
        try:
            closed = rebuilt.doit(deep=False)
        except Exception:  # SymPy could not evaluate it: it stays an unevaluated object
            return rebuilt
        if closed != rebuilt:
            found.append(ClosedForm(rebuilt, closed))
        return closed
    return rebuilt


# -- cross-checks ---------------------------------------------------------------------
def cross_check(closed_forms: tuple[ClosedForm, ...], seed: int = 0) -> None:
    """Raises :class:`CrossCheckFailed` unless every closed form matches its unevaluated
    object at :data:`CROSS_CHECK_POINTS` sample points (and converges, if improper)."""
    rng = random.Random(seed)
    for record in closed_forms:
        if has_undefined_value(record.value):
            raise CrossCheckFailed(f"SymPy's value of {record.original} is undefined or "
                                   f"infinite: {record.value}")
        try:
            converges(record.original)
        except NotShownToConverge as failure:
            raise CrossCheckFailed(str(failure)) from None
        _terms_defined(record.original)
        _compare_at_points(record, rng)


def _terms_defined(total: sp.Basic) -> None:
    """A sum's or product's closed form comes from its term's formula, which may have holes
    (``(k**2 - 2500)/(k - 50)`` at ``k = 50``) that SymPy cancels; where a hole may lie in the
    range, the closed form is not the sum."""
    if not isinstance(total, (sp.Sum, sp.Product)):
        return
    for index, lower, upper in total.limits:
        if not index.is_integer:
            continue
        unlisted = unfound_switches((total.function,),
                                            {index} | total.function.free_symbols)
        if unlisted:
            raise CrossCheckFailed(f"the term of {total} may be undefined at an index in its "
                                   f"range: {unlisted}")
        for value in special_values((total.function,), {index}).get(index, []):
            term = total.function.xreplace({index: value})
            if not has_undefined_value(term):
                continue
            outside = (value - lower).is_negative or (upper - value).is_negative
            if not outside:
                raise CrossCheckFailed(f"the term of {total} is undefined at {index} = {value} "
                                       f"({term}), which may lie in its range")


def _compare_at_points(record: ClosedForm, rng: random.Random) -> None:
    original, value = record.original, record.value
    # moderate values only: quadrature at extreme parameters is not accurate enough to judge;
    # integers run through every small value, where closed forms of sums tend to break
    symbols = sampled_symbols(original, value)
    integers = sorted((s for s in symbols if s.is_integer), key=sp.default_sort_key)
    stand_ins = instantiations(sp.Tuple(original, value), 1, rng.randint(0, 10**6))[0]
    sweep = [v for v in range(-3, 9)]
    for number in range(max(CROSS_CHECK_POINTS, len(sweep) if integers else 0)):
        try:
            point = random_point(symbols, rng, small=True)
        except SamplingError as error:
            raise CrossCheckFailed(f"could not sample {original}: {error}") from None
        for offset, symbol in enumerate(integers):
            candidate = sp.Integer(sweep[(number + offset) % len(sweep)])
            if respects(symbol, candidate):
                point[symbol] = candidate
        try:
            direct = numeric_value(concrete(original, stand_ins, point), 20)
            closed = numeric_value(concrete(value, stand_ins, point), 20)
        except (ArithmeticError, ValueError, TypeError) as error:
            raise CrossCheckFailed(f"could not evaluate {original} at {_shown(point)} to confirm "
                                   f"SymPy's closed form {value}: {error}") from None
        if not (direct.is_number and closed.is_number) or has_undefined_value(direct) \
                or has_undefined_value(closed):
            if has_undefined_value(direct) and has_undefined_value(closed):
                continue  # undefined alike there (a bound outside the domain, say)
            raise CrossCheckFailed(f"SymPy's closed form {value} of {original} and its direct "
                                   f"evaluation are not both defined at {_shown(point)}")
        scale = max(sp.S.One, abs(direct), abs(closed))
        if abs(direct - closed) > QUADRATURE_TOLERANCE * scale \
                and not _agrees_piece_by_piece(concrete(original, stand_ins, point), closed):
            raise CrossCheckFailed(
                f"SymPy's closed form {value} of {original} is wrong at {_shown(point)}: "
                f"it gives {sp.N(closed, 15)}, the direct evaluation {sp.N(direct, 15)}")


def _agrees_piece_by_piece(original: sp.Expr, closed: sp.Expr) -> bool:
    """Whether ``original``, with its integrals evaluated over each number of pieces of
    :data:`CHECK_PIECES`, agrees with ``closed`` every time (a quadrature over the whole
    interval can miss a narrow peak)."""
    if not original.has(sp.Integral):
        return False
    for pieces in CHECK_PIECES:
        try:
            direct = careful_value(original, 20, pieces)
        except (ArithmeticError, TypeError, ValueError):
            return False
        if not direct.is_number or has_undefined_value(direct):
            return False
        if abs(direct - closed) > QUADRATURE_TOLERANCE * max(sp.S.One, abs(direct), abs(closed)):
            return False
    return True


def _shown(point: dict) -> str:
    return ", ".join(f"{s} = {v}" for s, v in point.items()) or "every point"


# -- values as written ------------------------------------------------------------------
#: digits to which a value is computed as written
WRITTEN_DIGITS = 40
#: terms a finite sum or product is written out to, at most, when evaluated as written
_WRITTEN_TERMS = 200


def value_as_written(expr: sp.Expr, instantiation: Instantiation, point: dict,
                     digits: int = WRITTEN_DIGITS) -> sp.Expr | None:
    """The value of ``expr`` at ``point`` (stand-ins applied) with no SymPy function outside
    :data:`~pgsym._trees.TRUSTED_FUNCTIONS` rebuilt by its constructor: each such function is
    evaluated by ``evalf`` (mpmath) at the values of its arguments, so that
    ``conjugate(loggamma(-5/2))`` is the conjugate of loggamma's value, not ``loggamma(-5/2)``.
    ``None`` where that cannot be done (an untrusted function under an integral, a
    derivative or an infinite sum, a function evalf does not know).

    >>> import sympy as sp
    >>> r = sp.Symbol("r", real=True)
    >>> e = sp.loggamma(r) - sp.conjugate(sp.loggamma(r), evaluate=False)
    >>> sp.N(value_as_written(e, Instantiation(()), {r: sp.Rational(-5, 2)}), 6)
    -18.8496*I
    """
    try:
        with sp.evaluate(False):
            applied = instantiation.apply(_derivatives_split(expr))
        if applied.free_symbols - point.keys():
            return None
        value = _written_value(applied, point, digits)
    except (ArithmeticError, TypeError, ValueError, NotImplementedError, AttributeError):
        return None
    if value is None or not value.is_number or has_undefined_value(value):
        return None
    return value


def _derivatives_split(expr: sp.Basic) -> sp.Basic:
    """``expr`` with each derivative by symbols split by linearity down to the parts that
    depend on its variables: a derivative of a sum is the sum of the derivatives, a factor
    free of the variables moves out, and the derivative of a part free of them is 0 times
    that part (0 where it has a value, undefined where it has none). Each rewriting keeps
    the value wherever the new form has one, so that untrusted functions outside what is
    differentiated are evaluated as written (``d/d lambda (k log lambda - log k!)`` is
    ``k d/d lambda log lambda - 0 log k!``: the Poisson score of new user 16).

    >>> import sympy as sp
    >>> k, lam = sp.symbols("k lambda")
    >>> with sp.evaluate(False):
    ...     print(_derivatives_split(sp.Derivative(k * sp.log(lam) - sp.loggamma(k), lam)))
    k*Derivative(log(lambda), lambda) + 0*(-loggamma(k))
    """
    if expr.is_Atom or not expr.args or not expr.has(sp.Derivative):
        return expr
    if not isinstance(expr, sp.Derivative):
        return rebuild(expr, [_derivatives_split(a) for a in expr.args])
    inner = _derivatives_split(expr.expr)
    variables = set(expr.variables)
    if not all(isinstance(v, sp.Symbol) for v in variables):
        return rebuild(expr, [inner, *expr.args[1:]])
    if not inner.free_symbols & variables:
        return sp.Mul(sp.S.Zero, inner, evaluate=False)
    if isinstance(inner, sp.Add):
        return sp.Add(*[_derivatives_split(rebuild(expr, [t, *expr.args[1:]])) for t in inner.args],
                      evaluate=False)
    if isinstance(inner, sp.Mul):
        constant = [f for f in inner.args if not f.free_symbols & variables]
        if constant:
            varying = [f for f in inner.args if f.free_symbols & variables]
            rest = varying[0] if len(varying) == 1 else sp.Mul(*varying, evaluate=False)
            return sp.Mul(*constant, _derivatives_split(rebuild(expr, [rest, *expr.args[1:]])),
                          evaluate=False)
    return rebuild(expr, [inner, *expr.args[1:]])


def _written_value(node: sp.Basic, point: dict, digits: int) -> sp.Expr | None:
    if not untrusted_functions(node):  # SymPy's own evaluation is trusted here
        if node.has(sp.Derivative, sp.Subs):  # (taken before the point is substituted)
            with sp.evaluate(True):
                rebuilt = _rebuilt(node)
            return numeric_value(concrete(rebuilt, Instantiation(()), point), digits)
        with sp.evaluate(False):
            placed = replace_unevaluated(node, point)
        with sp.evaluate(True):
            rebuilt = _rebuilt(placed)
        return numeric_value(concrete(rebuilt, Instantiation(()), {}), digits)
    if isinstance(node, (sp.Sum, sp.Product)) and len(node.limits) == 1:
        with sp.evaluate(False):
            placed = replace_unevaluated(node, point)
        terms = _terms(placed)
        return None if terms is placed else _written_value(terms, {}, digits)
    if isinstance(node, sp.Derivative):
        return _derivative_value(node, point, digits)
    if node.is_Atom or not isinstance(node, (sp.Add, sp.Mul, sp.Pow, Application)):
        return None  # an integral, limit... of an untrusted function
    args = [_written_value(a, point, digits) for a in node.args]
    if any(a is None for a in args):
        return None
    if type(node) not in _TRUSTED_CLASSES and isinstance(node, Application):
        with sp.evaluate(False):
            raw = node.func(*args)
        value = raw.evalf(digits)
        return None if value.atoms(sp.Function) else value
    with sp.evaluate(True):
        value = node.func(*args)
    return value if value.is_number else None


_TRUSTED_CLASSES = frozenset(TRUSTED_FUNCTIONS)


def _derivative_value(derivative: sp.Derivative, point: dict, digits: int) -> sp.Expr | None:
    """The value of a derivative whose untrusted functions are all constant in its
    variables: each is replaced by its value as written at ``point`` (a constant, so the
    derivative is unchanged), and the derivative, now of trusted functions only, is taken
    (``d/d theta log(e^(k theta) / k!)``: new user 28). None where an untrusted function
    depends on a variable."""
    variables = set(derivative.variables)
    if not all(isinstance(v, sp.Symbol) for v in variables):
        return None
    values: dict[sp.Basic, sp.Expr] = {}
    for node in _outermost_untrusted(derivative.expr):
        if node.free_symbols & variables:
            return _differenced(derivative, point, digits)
        value = _written_value(node, point, digits)
        if value is None:
            return None
        values[node] = value
    with sp.evaluate(False):
        constant = derivative.xreplace(values)
    return None if untrusted_functions(constant) else _written_value(constant, point, digits)


#: the highest total order of a derivative taken by differences as written
_MOST_DIFFERENCED_ORDER = 4


def _differenced(derivative: sp.Derivative, point: dict, digits: int) -> sp.Expr | None:
    """The value at ``point`` of a derivative of an untrusted function that moves with its
    variables (``d/da log gamma(a)``; new users 35 and 36 could not check a Gamma or Beta
    score), by central differences of the expression as written, one variable after the
    other, with two steps (``10^-(digits/2)`` and a thousandth of it) at the precision the
    division by the step needs: the two must agree to ``digits - 5`` digits, as they do only
    where the expression is smooth around the point (the error falls with the step squared,
    so the finer one's is a millionth of that), else ``None``. A value as written is a
    check of SymPy's evaluation, not a proof: SymPy's derivative of gamma is what it checks.

    >>> a = sp.Symbol("a", positive=True)
    >>> d = sp.Derivative(sp.log(sp.gamma(a)), a)
    >>> abs(_differenced(d, {a: sp.Integer(3)}, 30) - sp.polygamma(0, 3)) < 1e-29
    True
    >>> _differenced(sp.Derivative(sp.gamma(a) * abs(a - 3), a), {a: sp.Integer(3)}, 30)
    """
    order = sum(count for _, count in derivative.variable_count)
    if not 0 < order <= _MOST_DIFFERENCED_ORDER or any(
            v not in point or not point[v].is_real for v in derivative.variables):
        return None
    working = digits + order * (digits // 2 + 3) + 10  # (what dividing by step^order loses)

    def at(where: dict) -> sp.Expr:
        value = _written_value(derivative.expr, where, working)
        if value is None or not value.is_number:
            raise ArithmeticError("not evaluable near the point")
        return value

    def differenced(step: sp.Rational) -> sp.Expr:
        stencil = [({}, sp.S.One)]  # (shifts of the variables, weight)
        for variable, count in derivative.variable_count:
            stencil = [({**shifts,
                         variable: shifts.get(variable, 0) + (sp.Rational(count, 2) - k) * step},
                        weight * (-1) ** k * sp.binomial(count, k) / step ** count)
                       for shifts, weight in stencil for k in range(count + 1)]
        return sp.N(sp.Add(*(weight * at({**point, **{v: point[v] + shift for v, shift in
                                                       shifts.items()}})
                              for shifts, weight in stencil)), working)

    try:
        coarse = differenced(sp.Integer(10) ** -(digits // 2))
        fine = differenced(sp.Integer(10) ** -(digits // 2 + 3))
    except (ArithmeticError, TypeError, ValueError, KeyError):
        return None
    if not (coarse.is_number and fine.is_number) or \
            abs(coarse - fine) > sp.Integer(10) ** (5 - digits) * max(sp.S.One, abs(fine)):
        return None
    return sp.N(fine, digits)


def _outermost_untrusted(expr: sp.Basic) -> list[sp.Basic]:
    """The applications of untrusted functions in ``expr`` that no other one holds."""
    if isinstance(expr, Application) and type(expr) not in _TRUSTED_CLASSES and \
            untrusted_functions(expr) >= {type(expr)}:
        return [expr]
    return [found for arg in expr.args for found in _outermost_untrusted(arg)]


def _rebuilt(node: sp.Basic) -> sp.Basic:
    if node.is_Atom or not node.args or isinstance(node, sp.Lambda):
        return node
    return node.func(*[_rebuilt(a) for a in node.args])


def _terms(total: sp.Sum | sp.Product) -> sp.Basic:
    """A sum or product with numeric bounds as the unevaluated sum (product) of its terms, in
    SymPy's (Karr's) convention for reversed ranges; itself if it is too long or symbolic."""
    (index, lower, upper), = total.limits
    with sp.evaluate(True):  # (bounds placed unevaluated, 1 - 1 for n - 1 at n = 1)
        lower, upper = (bound.doit() for bound in (lower, upper))
        width = upper - lower
    if not width.is_Integer or abs(int(width)) > _WRITTEN_TERMS:
        return total
    start, last, inverted = lower, int(width), False
    if last < -1:
        start, last, inverted = upper + 1, -last - 2, True
    with sp.evaluate(False):
        terms = [replace_unevaluated(total.function, {index: start + i}) for i in range(last + 1)]
        combine = sp.Add if isinstance(total, sp.Sum) else sp.Mul
        value = combine(*terms) if terms else (sp.S.Zero if combine is sp.Add else sp.S.One)
        if inverted:
            value = sp.Mul(-1, value) if combine is sp.Add else sp.Pow(value, -1)
    return value


# -- quadrature, checked ----------------------------------------------------------------
#: pieces a finite interval is cut into when a difference found by quadrature is checked
#: (an integrand's narrow peak between the nodes of one quadrature over the whole interval
#: is missed, with a tiny error estimate)
CHECK_PIECES = (64, 256)
#: how far from a finite bound the pieces of an infinite interval reach
_REACH = 200


def careful_value(expr: sp.Expr, digits: int, pieces: int) -> sp.Expr:
    """:func:`pgsym.sampling.numeric_value` with each integral (shown to converge) evaluated
    over ``pieces`` pieces of its interval (an infinite interval: its first ``_REACH`` units
    from the finite end, or from 0, in pieces, then the tails)."""
    return numeric_value(expr, digits, cut=lambda a, b: _cut(a, b, pieces))


def _cut(a, b, pieces: int) -> list:
    """The points that cut ``[a, b]`` into ``pieces`` pieces (and tails, if infinite)."""
    reversed_ = False
    if mpmath.isfinite(a) and mpmath.isfinite(b) or a == b:
        return list(mpmath.linspace(a, b, pieces + 1))
    if a == mpmath.inf or b == -mpmath.inf:  # a reversed interval: cut it forwards, reverse
        a, b, reversed_ = b, a, True
    if mpmath.isfinite(a):
        cuts = [a] + list(mpmath.linspace(a, a + _REACH, pieces + 1))[1:] + [b]
    elif mpmath.isfinite(b):
        cuts = [a] + list(mpmath.linspace(b - _REACH, b, pieces + 1))
    else:
        cuts = [a] + list(mpmath.linspace(-_REACH, _REACH, pieces + 1)) + [b]
    return cuts[::-1] if reversed_ else cuts


def confirmed_difference(before: sp.Expr, after: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """The values of the sides, which one quadrature per integral found different, where
    they still differ (beyond :data:`QUADRATURE_TOLERANCE`) with every integral evaluated
    over each number of pieces of :data:`CHECK_PIECES` (the values over the most pieces);
    ``None`` where they do not, or that cannot be evaluated."""
    values = None
    for pieces in CHECK_PIECES:
        try:
            x, y = careful_value(before, 20, pieces), careful_value(after, 20, pieces)
        except (ArithmeticError, TypeError, ValueError):
            return None
        if not (x.is_number and y.is_number) or has_undefined_value(x) \
                or has_undefined_value(y):
            return None
        if abs(x - y) <= QUADRATURE_TOLERANCE * max(sp.S.One, abs(x), abs(y)):
            return None
        values = (x, y)
    return values
