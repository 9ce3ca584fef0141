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

from pgsym._signs import sign_of
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


def continuous_everywhere(expr: sp.Expr, variable: sp.Symbol) -> bool:
    """Whether ``expr`` is visibly continuous in ``variable`` on the whole real line, for
    every value the other symbols may take: entire (:func:`entire_in`), or built from such
    parts by +, *, entire functions, and log, 1/f and real powers of parts shown positive
    (1/f: nonzero) at every real value of ``variable``. SymPy's own test gives up on any
    parameter, so the Gaussian KL's integrand N(x; mu) log(N(x; mu)/N(x; nu)) was "not
    shown continuous" (new user 30).

    >>> x, m = sp.Symbol("x", real=True), sp.Symbol("m", real=True)
    >>> continuous_everywhere(sp.log(sp.exp(-(x - m)**2) / sp.exp(-x**2)), x)
    True
    >>> continuous_everywhere(sp.log(1 + (x - m)), x), continuous_everywhere(1 / (x - m), x)
    (False, False)
    """
    if entire_in(expr, variable):
        return True
    if isinstance(expr, (sp.Add, sp.Mul)):
        return all(continuous_everywhere(a, variable) for a in expr.args)
    if isinstance(expr, _ENTIRE):
        return continuous_everywhere(expr.args[0], variable)
    if isinstance(expr, sp.log) or isinstance(expr, sp.Pow) and (
            expr.exp.has(variable) or not expr.exp.is_Integer):
        inside, power = (expr.args[0], sp.S.One) if isinstance(expr, sp.log) else expr.args
        # (log f, f**g = exp(g log f): f > 0; f**(p/q) with f > 0 too, not looked at closer)
        real = _anywhere(power, variable).is_extended_real
        return real is True and continuous_everywhere(power, variable) \
            and continuous_everywhere(inside, variable) \
            and _sign_everywhere(inside, variable) == "positive"
    if isinstance(expr, sp.Pow) and expr.exp.is_Integer:  # (negative: entire_in took the rest)
        return continuous_everywhere(expr.base, variable) \
            and _sign_everywhere(expr.base, variable) in ("positive", "negative")
    return False


def _sign_everywhere(expr: sp.Expr, variable: sp.Symbol) -> str | None:
    """The sign of ``expr`` shown for every real value of ``variable``."""
    return sign_of(_anywhere(expr, variable))


def _anywhere(expr: sp.Expr, variable: sp.Symbol) -> sp.Expr:
    """``expr`` with ``variable`` free to take any real value, whatever its own assumptions
    (the interval of an integral is what it runs over)."""
    return expr.xreplace({variable: sp.Dummy(real=True)})


def _continuous_on(expr: sp.Expr, variable: sp.Symbol, lower: sp.Expr, upper: sp.Expr) -> bool:
    if continuous_everywhere(expr, variable):
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


def _periodic_divisor(term: sp.Expr, index: sp.Symbol) -> sp.Expr | None:
    """A trigonometric function of ``index`` in a denominator of ``term``, if any: SymPy's
    ``is_convergent`` compares with the term at large ``k`` as if ``sin(k)`` stayed away
    from 0, which it does not (near the convergents p/q of pi, |sin p| < 1/q)."""
    for power in term.atoms(sp.Pow):
        if power.exp.is_negative is not False and any(
                node.has(index) for node in power.base.atoms(sp.sin, sp.cos, sp.tan, sp.cot,
                                                            sp.sec, sp.csc)):
            return power.base
    for node in term.atoms(sp.tan, sp.cot, sp.sec, sp.csc):  # (a pole of their own)
        if node.has(index):
            return node
    return None


def converges(total: sp.Expr) -> None:
    """Returns if ``total`` (a Sum, Product or Integral) is shown to converge; raises
    :class:`NotShownToConverge` otherwise.

    Finite sums and products always converge. An infinite sum over one index converges where
    SymPy's ``is_convergent`` says so. An integral over one variable converges absolutely
    when its integrand is continuous on the closed interval and, where a bound is infinite,
    ``x**2`` times the integrand tends to 0 there, or it is a polynomial times a Gaussian.

    Over several variables (one object with several limits, or one nested in the body of
    another), each variable's test passing with the others held fixed shows nothing about
    the whole: ``exp(-(x-y)**2)`` is a Gaussian in ``x`` for every ``y`` and in ``y`` for
    every ``x``, and its double integral over the plane is infinite. Convergence is then
    shown jointly (:func:`_jointly`), or not at all.
    """
    if isinstance(total, (sp.Sum, sp.Product)):
        if all(bound.is_finite for limit in total.limits for bound in limit[1:]):
            return
        if isinstance(total, sp.Product):
            raise NotShownToConverge(f"could not show that the infinite product {total} converges")
        function, limits = _flattened(total.function, total.limits, sp.Sum)
        if len(limits) > 1:
            return _jointly(total, function, limits)
        _no_nested_limit(total, function, limits)
        periodic = _periodic_divisor(function, limits[0][0])
        if periodic is not None:
            raise NotShownToConverge(f"could not show that {total} converges: its term divides "
                                     f"by {periodic}, which comes arbitrarily near 0 at integers "
                                     f"(SymPy's test calls sum 1/(k^2 sin(k)^2) convergent)")
        try:
            convergent = total.func(function, *limits).is_convergent()
        except Exception as error:
            raise NotShownToConverge(f"could not show that {total} converges: {error}") from None
        if convergent is not sp.true and convergent is not True:
            raise NotShownToConverge(f"could not show that {total} converges")
        return
    if any(len(limit) != 3 for limit in total.limits):
        raise NotShownToConverge(f"{total} is an indefinite integral")
    # derivatives inside the integrand are taken first (those not under a limit themselves)
    function = total.function.replace(
        lambda e: isinstance(e, sp.Derivative) and not differentiates_under_limit(e),
        lambda e: e.doit(deep=False))
    function, limits = _flattened(function, total.limits, sp.Integral)
    if len(limits) > 1:
        return _jointly(total, function, limits)
    _no_nested_limit(total, function, limits)
    _one_integral(total, function, limits[0])


def _one_integral(total: sp.Expr, function: sp.Expr, limit: tuple) -> None:
    """The test for an integral over one variable (``total`` names it in messages)."""
    variable, lower, upper = limit
    if not _continuous_on(function, variable, lower, upper):
        raise NotShownToConverge(f"could not show that {total} converges: the integrand may "
                                 f"not be continuous on [{lower}, {upper}]")
    if not (lower.is_finite and upper.is_finite) and _gaussian_tails(function, variable):
        return
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


# -- several variables ------------------------------------------------------------------
def _flattened(function: sp.Expr, limits: tuple, kind: type) -> tuple[sp.Expr, tuple]:
    """``function`` and ``limits`` with a nested object of the same ``kind`` that is a
    factor of the body taken in: ``Integral(2 Integral(f, (x, ...)), (y, ...))`` becomes
    ``Integral(2 f, (x, ...), (y, ...))``, the same iterated integral (SymPy merges only a
    body that is the inner object itself). Stops where the rest of the body or an outer
    variable would be captured by the inner object's variables."""
    limits = tuple(limits)
    while True:
        factors = sp.Mul.make_args(function)
        inner = [factor for factor in factors if isinstance(factor, kind)]
        if len(inner) != 1:
            return function, limits
        inner = inner[0]
        rest = sp.Mul(*[factor for factor in factors if factor is not inner])
        bound = {limit[0] for limit in inner.limits}
        outer = {limit[0] for limit in limits}
        if any(len(limit) != 3 for limit in inner.limits) or rest.free_symbols & bound \
                or bound & outer:
            return function, limits
        function, limits = rest * inner.function, tuple(inner.limits) + limits


def _no_nested_limit(total: sp.Expr, function: sp.Expr, limits: tuple) -> None:
    """Raises where the body holds an integral, or an infinite sum or product, or one whose
    bounds move, over a variable of ``total``: convergence for each value of that variable
    says nothing about the whole. A finite sum with fixed bounds is a finite combination."""
    variables = {limit[0] for limit in limits}
    for node in sp.preorder_traversal(function):
        if not isinstance(node, (sp.Integral, sp.Sum, sp.Product)):
            continue
        if not node.free_symbols & variables:
            continue
        fixed = all(len(limit) == 3 and all(bound.is_finite and not bound.free_symbols & variables
                                            for bound in limit[1:]) for limit in node.limits)
        if isinstance(node, sp.Integral) or not fixed:
            raise NotShownToConverge(
                f"could not show that {total} converges: its body holds {node}, which depends "
                f"on {', '.join(sorted(map(str, node.free_symbols & variables)))}; convergence "
                f"for each value of the outer variable does not show it for the whole")


def _jointly(total: sp.Expr, function: sp.Expr, limits: tuple) -> None:
    """Convergence of an integral or sum over several variables, shown jointly.

    Each term of the body (as written, or expanded) must be (a) a product of factors of
    one variable each over a rectangular range (bounds free of the variables), each
    factor's own integral or sum shown to converge (Fubini-Tonelli: the double integral of
    ``|f(x) g(y)|`` is the product of the two); or, for integrals, (c) a polynomial times
    ``exp(Q)``, ``Q`` a quadratic polynomial whose quadratic part in the variables with an
    infinite range is negative definite (leading principal minors of ``-Hessian`` positive,
    exactly), the others running over finite real ranges; or (d), for integrals, an
    integrand entire in every variable over a bounded region (every bound finite and entire
    in the variables). Anything else is not shown: each variable's test passing with the
    others held fixed does not make the whole converge.
    """
    variables = [limit[0] for limit in limits]
    integral = isinstance(total, sp.Integral)
    if len(set(variables)) != len(variables):
        raise NotShownToConverge(f"could not show that {total} converges: a variable is "
                                 f"bound twice")
    _no_nested_limit(total, function, limits)
    rectangular = not any(bound.free_symbols & set(variables)
                          for limit in limits for bound in limit[1:])
    if not rectangular:
        if integral and _bounded_region(function, limits):
            return
        raise NotShownToConverge(
            f"could not show that {total} converges: the range of one variable depends on "
            f"another, over an unbounded region (or an integrand not visibly entire)")
    forms = [function] + [sp.expand(function, deep=deep, power_exp=True) for deep in (False, True)]
    for form in forms:
        if all(_factorised(term, limits, integral)
               or integral and _joint_gaussian(term, limits)
               for term in sp.Add.make_args(form)):
            return
    raise NotShownToConverge(
        f"could not show that {total} converges jointly in {', '.join(map(str, variables))}: "
        f"its {'integrand' if integral else 'term'} is neither a product of convergent factors "
        f"of one variable each" + (" nor a polynomial times a Gaussian in all of them together"
                                   if integral else "") +
        " (converging in each variable with the others held fixed is not enough)")


def _factorised(term: sp.Expr, limits: tuple, integral: bool) -> bool:
    variables = [limit[0] for limit in limits]
    parts = {variable: [] for variable in variables}
    constant = []
    for factor in sp.Mul.make_args(term):
        present = [variable for variable in variables if variable in factor.free_symbols]
        if len(present) > 1:
            return False
        (parts[present[0]] if present else constant).append(factor)
    parts[variables[0]] += constant
    for limit in limits:
        one = sp.Mul(*parts[limit[0]])
        try:
            if integral:
                _one_integral(sp.Integral(one, limit), one, limit)
            else:
                converges(sp.Sum(one, limit))
        except NotShownToConverge:
            return False
    return True


def _joint_gaussian(term: sp.Expr, limits: tuple) -> bool:
    variables = [limit[0] for limit in limits]
    infinite = []
    for variable, lower, upper in limits:
        if lower in (sp.oo, -sp.oo) or upper in (sp.oo, -sp.oo):
            if not all(bound in (sp.oo, -sp.oo) or bound.is_finite and bound.is_real
                       for bound in (lower, upper)):
                return False
            infinite.append(variable)
        elif not all(bound.is_finite and bound.is_real for bound in (lower, upper)):
            return False
    exponent = _exponent(term, variables)
    if exponent is None:
        return False
    exponent = sp.expand(exponent)
    if not exponent.is_polynomial(*variables) or sp.Poly(exponent, *variables).total_degree() > 2:
        return False
    if not infinite:
        return True  # a polynomial times exp of one, over a bounded box
    hessian = sp.hessian(exponent, infinite)
    if not all(entry.is_real for entry in hessian):
        return False
    negative = -hessian
    return all(sp.simplify(negative[:size, :size].det()).is_positive is True
               for size in range(1, len(infinite) + 1))


def _bounded_region(function: sp.Expr, limits: tuple) -> bool:
    variables = [limit[0] for limit in limits]
    return all(bound.is_finite and all(entire_in(bound, variable) for variable in variables)
               for limit in limits for bound in limit[1:]) \
        and all(entire_in(function, variable) for variable in variables)


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


def _exponent(term: sp.Expr, variables) -> sp.Expr | None:
    """``E`` where ``term`` is a polynomial in ``variables`` times ``exp(E)`` (its
    exponential factors multiplied together), else ``None``."""
    exponent = sp.S.Zero
    for factor in sp.Mul.make_args(term):
        if isinstance(factor, sp.exp):
            exponent += factor.args[0]
        elif isinstance(factor, sp.Pow) and isinstance(factor.base, sp.exp) \
                and factor.exp.is_Integer and factor.exp > 0:
            exponent += factor.exp * factor.base.args[0]
        elif not factor.is_polynomial(*variables):
            return None
    return exponent


def _gaussian_terms(expanded: sp.Expr, variable: sp.Symbol) -> bool:
    for term in sp.Add.make_args(expanded):
        exponent = _exponent(term, (variable,))
        if exponent is None or not exponent.is_polynomial(variable):
            return False
        polynomial = sp.Poly(sp.expand(exponent), variable)
        degree, leading = polynomial.degree(), polynomial.LC()
        if degree < 2 or degree % 2 or not (leading.is_negative is True):
            return False
    return True
