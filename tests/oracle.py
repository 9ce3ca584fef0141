"""An evaluator for tests that shares no code with pgsym.sampling or pgsym.verification."""
import functools

import sympy as sp
from sympy.core.function import AppliedUndef


def stand_in(name_arity: tuple[str, int], shift: int) -> sp.Lambda:
    _, arity = name_arity
    args = sp.symbols(f"t0:{arity}")
    body = 2 + sp.cos(sum((k + 1 + shift) * a / 3 for k, a in enumerate(args))) \
        + sp.exp(sum(a / (k + 2) for k, a in enumerate(args)) / (2 + shift))
    return sp.Lambda(args, body)


def value(expr: sp.Expr, functions: dict, point: dict, digits: int = 40) -> sp.Expr | None:
    """The value of ``expr`` with ``functions`` substituted (by name) at ``point``, to
    ``digits`` significant digits."""
    # (the mutation tests evaluate the same unperturbed step at the same points for every
    # mutant: the values are kept, keyed by everything they depend on)
    return _value(expr, tuple(sorted(functions.items())), tuple(sorted(point.items(), key=str)),
                  digits)


@functools.lru_cache(maxsize=4096)
def _value(expr: sp.Expr, functions: tuple, point: tuple, digits: int) -> sp.Expr | None:
    functions, point = dict(functions), dict(point)
    # expectations become their sums; nothing else is evaluated while symbols are free, since
    # SymPy's doit on large closed forms (a squared derivative of a value function, say)
    # can take minutes
    # derivatives with respect to a function (dz/dy with y = p(x; theta)) are taken before
    # the function is replaced by a stand-in, which could not be a variable of differentiation
    by_function = _expectations_unfolded(expr).replace(
        lambda e: isinstance(e, sp.Derivative) and not all(isinstance(v, sp.Symbol) for v in e.variables),
        lambda e: e.doit(deep=False))
    concrete = by_function.replace(lambda e: isinstance(e, AppliedUndef) and type(e).__name__ in functions,
                                   lambda e: functions[type(e).__name__](*e.args))
    # differentiate first, then fix the sums' bounds, so that no closed-form sum is sought
    differentiated = concrete.replace(lambda e: isinstance(e, sp.Derivative), lambda e: e.doit(deep=False))
    # 60-digit numbers, not exact rationals: exact arithmetic on a closed form (an MDP's
    # stationary distribution) at a point with 15-digit denominators runs out of memory
    approximate = {k: v if sp.sympify(v).is_Integer else sp.N(v, digits + 20)
                   for k, v in point.items()}
    result = sp.N(_at(_sums_written_out(_at(differentiated, approximate)).doit(), approximate),
                  digits)
    if not result.is_number or result.has(sp.nan, sp.zoo, sp.oo):
        return None
    return result


def _at(expr: sp.Basic, point: dict) -> sp.Basic:
    """``expr.subs(point)``; by plain replacement of the symbols when none of them is also
    the variable of a sum, integral, product, derivative or substitution in ``expr``, nor
    in one (the same result: subs spends minutes on the large closed forms of the MDP
    derivations, most of it inside sums and derivatives with respect to theta[0, 0])."""
    bound = {v for node in expr.atoms(sp.Sum, sp.Integral, sp.Product, sp.Derivative, sp.Subs)
             for v in node.variables}
    bound |= {s for v in bound for s in v.free_symbols}
    if bound.isdisjoint(point):
        return expr.xreplace(point)
    return expr.subs(point)


@functools.lru_cache(maxsize=1024)
def _expectations_unfolded(expr: sp.Basic) -> sp.Basic:
    return expr.replace(lambda e: type(e).__name__ == "Expectation", lambda e: e.doit(deep=False))


def _sums_written_out(expr: sp.Basic) -> sp.Basic:
    """Finite sums with numeric bounds as explicit additions, innermost first: SymPy's own
    Sum.doit looks for closed forms (partial fractions...) and can take minutes."""
    def write(total: sp.Sum) -> sp.Basic:
        terms = [total.function]
        for index, lower, upper in reversed(total.limits):
            if not (lower.is_Integer and upper.is_Integer):
                return total
            terms = [t.xreplace({index: k}) for t in terms for k in range(int(lower), int(upper) + 1)]
        return sp.Add(*terms)
    return expr.replace(lambda e: isinstance(e, sp.Sum), write)


def differ(x: sp.Expr, y: sp.Expr, tolerance: float = 1e-25) -> bool:
    """True when ``x`` and ``y`` (40-digit numbers) differ beyond rounding."""
    return bool(abs(x - y) > tolerance * max(sp.S.One, abs(x), abs(y)))


def differ_at_two_precisions(a: sp.Expr, b: sp.Expr, functions: dict, point: dict) -> bool:
    """True when ``a`` and ``b`` differ at ``point`` by the same amount at 40 and at 80
    digits, relative to their size: so also for values far below 1 (exponentials of large
    logits), where :func:`differ`'s absolute floor sees nothing. Rounding noise (a difference
    that is really 0) shrinks with the precision and does not count."""
    low, high = ([value(e, functions, point, digits) for e in (a, b)] for digits in (40, 80))
    if None in low or None in high:
        return False
    gap, exact = low[0] - low[1], high[0] - high[1]
    return bool(exact != 0 and abs(exact) > sp.Float(10) ** -20 * max(abs(high[0]), abs(high[1]))
                and abs(gap - exact) <= sp.Float(10) ** -10 * abs(exact))


@functools.lru_cache(maxsize=1024)
def _entries(expr: sp.Expr, point: tuple) -> frozenset:
    """The array entries ``expr`` reads at ``point``, its sums written out."""
    return frozenset(_sums_written_out(_at(_expectations_unfolded(expr), dict(point)))
                     .atoms(sp.Indexed))


def differs_somewhere(a: sp.Expr, b: sp.Expr) -> bool | None:
    """True when ``a`` and ``b`` take different values at one of a few fixed points, False
    when they agree at all of them, None when neither could be evaluated at any."""
    evaluated = False
    both = a - b
    names = sorted({(type(f).__name__, len(f.args)) for f in both.atoms(AppliedUndef)})
    labels = {i.base.label for i in both.atoms(sp.Indexed)}
    symbols = sorted(both.free_symbols - labels, key=sp.default_sort_key)
    for shift in range(3):
        functions = {n: stand_in((n, k), shift) for n, k in names}
        for offset in (sp.Rational(3, 7), sp.Rational(11, 10), sp.Rational(17, 9)):
            point = {s: (offset + i) if not s.is_integer else 2 + i + shift
                     for i, s in enumerate(symbols) if not isinstance(s, sp.Indexed)}
            symbols_only = dict(point)  # (the entries drawn below are not put in)
            for expr in (a, b):
                drawn = _entries(expr, tuple(symbols_only.items())) - set(point)
                for j, item in enumerate(sorted(drawn, key=sp.default_sort_key)):
                    point.setdefault(item, offset - sp.Rational(j + 1, 5))
            x, y = value(a, functions, point), value(b, functions, point)
            if x is not None and y is not None:
                evaluated = True
                if differ(x, y):
                    return True
    return False if evaluated else None
