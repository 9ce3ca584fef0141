"""Showing that an integral or an infinite sum converges, before any value is trusted.

Quadrature and series acceleration return finite numbers for divergent integrals and sums
(a principal value, a Cesàro sum), and SymPy's closed forms can do the same; so no value
of an improper integral or an infinite sum is used, symbolic or numeric, unless its
convergence is shown here. The tests are sufficient conditions, not exhaustive ones: what
they cannot show is treated as not shown.

>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> converges(sp.Integral(sp.exp(-x**2), (x, -sp.oo, sp.oo)))
>>> converges(sp.Integral(sp.sin(x) / x**2, (x, -sp.oo, sp.oo)))  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
...
pgsym._convergence.NotShownToConverge: could not show that Integral(sin(x)/x**2, (x, -oo, oo)) converges: the integrand may not be continuous on [-oo, oo]
"""
from __future__ import annotations

import sympy as sp

from pgsym._trees import differentiates_under_limit


class NotShownToConverge(ArithmeticError):
    """The integral or sum may diverge; the message says what could not be shown."""


_ENTIRE = (sp.exp, sp.sin, sp.cos, sp.sinh, sp.cosh, sp.erf)


def entire_in(expr: sp.Expr, variable: sp.Symbol) -> bool:
    """Whether ``expr`` is visibly an entire function of ``variable`` (built from
    polynomials, exp, sin, cos, sinh, cosh, erf), so it has no singularity anywhere."""
    if not expr.has(variable) or expr == variable:
        return True
    if isinstance(expr, (sp.Add, sp.Mul)):
        return all(entire_in(a, variable) for a in expr.args)
    if isinstance(expr, sp.Pow):
        base, exponent = expr.args
        if exponent.is_Integer and exponent >= 0:
            return entire_in(base, variable)
        if not base.has(variable) and base.is_positive:  # c**f(x) = exp(f(x) log c)
            return entire_in(exponent, variable)
        return False
    if isinstance(expr, _ENTIRE):
        return entire_in(expr.args[0], variable)
    return False


def _continuous_on(expr: sp.Expr, variable: sp.Symbol, lower: sp.Expr, upper: sp.Expr) -> bool:
    if entire_in(expr, variable):
        return True
    if expr.free_symbols - {variable} or expr.has(sp.core.function.AppliedUndef):
        return False  # a domain with parameters or unknown functions: not shown
    try:
        if (upper - lower).is_negative:  # a reversed integral covers the same interval
            lower, upper = upper, lower
        elif not (upper - lower).is_nonnegative:
            return False  # which way the interval runs is not known
        interval = sp.Interval(lower, upper)
        domain = sp.calculus.util.continuous_domain(expr, variable, interval)
        return bool(interval.is_subset(domain))
    except Exception:  # SymPy could not tell
        return False


def converges(total: sp.Expr) -> None:
    """Returns if ``total`` (a Sum, Product or Integral) is shown to converge; raises
    :class:`NotShownToConverge` otherwise.

    Finite sums and products always converge. An infinite sum converges where SymPy's
    ``is_convergent`` says so. An integral converges absolutely when its integrand is
    continuous on the closed interval and, where a bound is infinite, ``x**2`` times the
    integrand tends to 0 there.
    """
    if isinstance(total, (sp.Sum, sp.Product)):
        if all(bound.is_finite for limit in total.limits for bound in limit[1:]):
            return
        if isinstance(total, sp.Product):
            raise NotShownToConverge(f"could not show that the infinite product {total} converges")
        try:
            convergent = total.is_convergent()
        except Exception as error:
            raise NotShownToConverge(f"could not show that {total} converges: {error}") from None
        if convergent is not sp.true and convergent is not True:
            raise NotShownToConverge(f"could not show that {total} converges")
        return
    # derivatives inside the integrand are taken first (those not under a limit themselves)
    function = total.function.replace(
        lambda e: isinstance(e, sp.Derivative) and not differentiates_under_limit(e),
        lambda e: e.doit(deep=False))
    for limit in total.limits:
        if len(limit) != 3:
            raise NotShownToConverge(f"{total} is an indefinite integral")
        variable, lower, upper = limit
        if not _continuous_on(function, variable, lower, upper):
            raise NotShownToConverge(f"could not show that {total} converges: the integrand may "
                                     f"not be continuous on [{lower}, {upper}]")
        if not (lower.is_finite and upper.is_finite) and _gaussian_tails(function, variable):
            continue
        for bound in (lower, upper):
            if bound.is_finite:
                continue
            if bound not in (sp.oo, -sp.oo):
                raise NotShownToConverge(f"could not show that {total} converges")
            try:
                tail = sp.limit(variable**2 * function, variable, bound)
            except Exception as error:
                raise NotShownToConverge(f"could not show that {total} converges: {error}") from None
            if tail != 0:
                raise NotShownToConverge(f"could not show that {total} converges: x^2 times the "
                                         f"integrand tends to {tail} at {bound}")


def _gaussian_tails(function: sp.Expr, variable: sp.Symbol) -> bool:
    """Whether every term of ``function`` is a polynomial in ``variable`` times
    ``exp(E)``, with ``E`` a polynomial of even degree whose leading coefficient is negative:
    such a term decays faster than any power at both ends (a quick, sufficient test; the
    general one takes a limit).

    >>> x, s = sp.Symbol("x", real=True), sp.Symbol("s", positive=True)
    >>> _gaussian_tails((1 + x**4) * sp.exp(x - x**2 / s), x), _gaussian_tails(sp.exp(x), x)
    (True, False)

    The terms are read first off the top-level expansion, then, where that fails (a square
    of a sum of Gaussians, as a squared score times a density is), off the full one.
    """
    return any(_gaussian_terms(sp.expand(function, deep=deep, power_exp=True), variable)
               for deep in (False, True))


def _gaussian_terms(expanded: sp.Expr, variable: sp.Symbol) -> bool:
    for term in sp.Add.make_args(expanded):
        exponent = sp.S.Zero
        for factor in sp.Mul.make_args(term):
            if isinstance(factor, sp.exp):
                exponent += factor.args[0]
            elif isinstance(factor, sp.Pow) and isinstance(factor.base, sp.exp) \
                    and factor.exp.is_Integer and factor.exp > 0:
                exponent += factor.exp * factor.base.args[0]
            elif not factor.is_polynomial(variable):
                return False
        if not exponent.is_polynomial(variable):
            return False
        polynomial = sp.Poly(sp.expand(exponent), variable)
        degree, leading = polynomial.degree(), polynomial.LC()
        if degree < 2 or degree % 2 or not (leading.is_negative is True):
            return False
    return True
