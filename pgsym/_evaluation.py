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
from pgsym._sums import write_out
from pgsym.expectation import Expectation
from pgsym.sampling import (SamplingError, concrete, instantiations, numeric_value,
                            random_point, sampled_symbols)

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
        return rebuilt.doit(deep=False)
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
        _show_convergence(record.original)
        _compare_at_points(record, rng)


def _show_convergence(original: sp.Expr) -> None:
    if isinstance(original, sp.Sum):
        if all(bound.is_finite for limit in original.limits for bound in limit[1:]):
            return
        try:
            convergent = original.is_convergent()
        except Exception as error:
            raise CrossCheckFailed(f"could not show that {original} converges: {error}") from None
        if convergent is not sp.true and convergent is not True:
            raise CrossCheckFailed(f"could not show that {original} converges")
        return
    if isinstance(original, sp.Product):
        if not all(bound.is_finite for limit in original.limits for bound in limit[1:]):
            raise CrossCheckFailed(f"could not show that the infinite product {original} converges")
        return
    for limit in original.limits:
        if len(limit) != 3:
            raise CrossCheckFailed(f"{original} is an indefinite integral")
    _show_integral_converges(original)


_ENTIRE = (sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.erf)


def _entire_in(expr: sp.Expr, variable: sp.Symbol) -> bool:
    """Whether ``expr`` is visibly an entire function of ``variable`` (built from
    polynomials, exp, sin, cos, sinh, cosh, erf), so it has no singularity on any interval."""
    if not expr.has(variable):
        return True
    if expr == variable:
        return True
    if isinstance(expr, (sp.Add, sp.Mul)):
        return all(_entire_in(a, variable) for a in expr.args)
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent.is_Integer and exponent >= 0:
            return _entire_in(base, variable)
        if not base.has(variable) and base.is_positive:  # c**f(x) = exp(f(x) log c)
            return _entire_in(exponent, variable)
        return False
    if isinstance(expr, _ENTIRE):
        return _entire_in(expr.args[0], variable)
    return False


def _show_integral_converges(integral: sp.Integral) -> None:
    """Shows that each (iterated) integral converges absolutely: the integrand is entire in
    its variable, and where a bound is infinite, ``x**2`` times the integrand tends to 0."""
    function = integral.function
    for variable, lower, upper in integral.limits:
        if not _entire_in(function, variable):
            raise CrossCheckFailed(f"could not show that {integral} converges: the integrand "
                                   f"may have a singularity in {variable}")
        for bound, direction in ((lower, -1), (upper, 1)):
            if bound.is_finite:
                continue
            if bound not in (sp.oo, -sp.oo):
                raise CrossCheckFailed(f"could not show that {integral} converges")
            try:
                tail = sp.limit(variable**2 * function, variable, bound)
            except Exception as error:
                raise CrossCheckFailed(f"could not show that {integral} converges: {error}") from None
            if tail != 0:
                raise CrossCheckFailed(f"could not show that {integral} converges: "
                                       f"x^2 times the integrand tends to {tail} at {bound}")


def _compare_at_points(record: ClosedForm, rng: random.Random) -> None:
    original, value = record.original, record.value
    # moderate values only: quadrature at extreme parameters is not accurate enough to judge
    symbols = sampled_symbols(original, value)
    stand_ins = instantiations(sp.Tuple(original, value), 1, rng.randint(0, 10**6))[0]
    for _ in range(CROSS_CHECK_POINTS):
        try:
            point = random_point(symbols, rng, small=True)
        except SamplingError as error:
            raise CrossCheckFailed(f"could not sample {original}: {error}") from None
        try:
            direct = numeric_value(concrete(original, stand_ins, point), 20)
            closed = numeric_value(concrete(value, stand_ins, point), 20)
        except (ArithmeticError, ValueError, TypeError) as error:
            raise CrossCheckFailed(f"could not evaluate {original} at {_shown(point)} to confirm "
                                   f"SymPy's closed form {value}: {error}") from None
        if not (direct.is_number and closed.is_number) or has_undefined_value(direct):
            raise CrossCheckFailed(f"could not evaluate {original} at {_shown(point)} to confirm "
                                   f"SymPy's closed form {value}")
        scale = max(sp.S.One, abs(direct), abs(closed))
        if abs(direct - closed) > QUADRATURE_TOLERANCE * scale:
            raise CrossCheckFailed(
                f"SymPy's closed form {value} of {original} is wrong at {_shown(point)}: "
                f"it gives {sp.N(closed, 15)}, the direct evaluation {sp.N(direct, 15)}")


def _shown(point: dict) -> str:
    return ", ".join(f"{s} = {v}" for s, v in point.items()) or "every point"
