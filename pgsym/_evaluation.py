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

import sympy as sp

from pgsym._trees import differentiates_under_limit, has_undefined_value
from pgsym._convergence import NotShownToConverge, converges
from pgsym._sums import write_out
from pgsym.expectation import Expectation
from pgsym.sampling import (SamplingError, concrete, instantiations, numeric_value,
                            random_point, respects, sampled_symbols, special_values,
                            unfound_integer_switches)

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


def evaluate(expr: sp.Expr) -> Evaluated:
    """Returns ``expr`` with derivatives, sums, products and integrals done where that is safe.

    >>> import sympy as sp
    >>> k, n = sp.Symbol("k", integer=True), sp.Symbol("n", integer=True, positive=True)
    >>> result = evaluate(sp.Sum(k, (k, 1, n)))
    >>> sp.factor(result.value), len(result.closed_forms)
    (n*(n + 1)/2, 1)
    """
    found: list[ClosedForm] = []
    return Evaluated(_evaluate(write_out(expr), found), tuple(found))


def _evaluate(node: sp.Basic, found: list[ClosedForm]) -> sp.Basic:
    if node.is_Atom or not node.args or isinstance(node, sp.Lambda):
        return node
    if isinstance(node, Expectation):
        return _evaluate(node.unfold(), found)
    args = [_evaluate(a, found) for a in node.args]
    rebuilt = node.func(*args) if args != list(node.args) else node
    if isinstance(rebuilt, sp.Derivative):
        if differentiates_under_limit(rebuilt):
            return rebuilt
        return rebuilt.doit(deep=False)
    if isinstance(rebuilt, sp.Subs):
        # substituting may leave a substitution into a derivative (d/dxi J(xi) at xi = theta)
        # that is now a plain derivative: one more pass settles it
        done = rebuilt.doit(deep=False)
        return done.replace(lambda e: isinstance(e, sp.Subs), lambda e: e.doit(deep=False))
    if isinstance(rebuilt, (sp.Sum, sp.Product, sp.Integral)):
        written = write_out(rebuilt)
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
        unlisted = unfound_integer_switches((total.function,),
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
        if abs(direct - closed) > QUADRATURE_TOLERANCE * scale:
            raise CrossCheckFailed(
                f"SymPy's closed form {value} of {original} is wrong at {_shown(point)}: "
                f"it gives {sp.N(closed, 15)}, the direct evaluation {sp.N(direct, 15)}")


def _shown(point: dict) -> str:
    return ", ".join(f"{s} = {v}" for s, v in point.items()) or "every point"
