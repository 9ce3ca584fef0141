"""Concrete stand-ins for undefined functions and random points, for numeric checks.

An identity between expressions in undefined functions such as ``p(x, theta)`` must hold
for every positive differentiable ``p``; evaluating both sides with a concrete ``p`` at a
concrete point therefore either agrees or exhibits a counterexample.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from pgsym._sums import write_out


@dataclass(frozen=True)
class Instantiation:
    """Concrete functions standing in for the undefined ones, by name: ``{"p": Lambda}``."""

    functions: tuple[tuple[str, sp.Lambda], ...]

    def apply(self, expr: sp.Expr) -> sp.Expr:
        """Returns ``expr`` with every undefined function replaced by its stand-in."""
        table = dict(self.functions)
        if not table:
            return expr
        return expr.replace(
            lambda e: isinstance(e, AppliedUndef) and type(e).__name__ in table,
            lambda e: table[type(e).__name__](*e.args),
        )


def _coefficients(rng: random.Random, count: int) -> list[sp.Rational]:
    values = []
    for _ in range(count):
        value = sp.Rational(rng.randint(3, 12), 10) * rng.choice((-1, 1))
        values.append(value)
    return values


def _stand_in(family: int, arity: int, rng: random.Random) -> sp.Lambda:
    """Returns a smooth function of ``arity`` arguments with values in [1/4, 3].

    Bounded, so that nesting (``exp(exp(p))``) cannot overflow into numbers too large to
    evaluate; non-degenerate, so that wrong identities still show.
    """
    args = sp.symbols(f"a0:{arity}", real=True)
    c, d = _coefficients(rng, arity), _coefficients(rng, arity)
    linear = sum((ci * a for ci, a in zip(c, args)), sp.S.Zero)
    other = sum((di * a for di, a in zip(d, args)), sp.S.Zero)
    if family == 0:
        body = sp.Rational(3, 2) + sp.sin(linear) + sp.cos(other) / 4
    elif family == 1:
        body = 2 + sp.tanh(linear) * sp.cos(other)
    else:
        body = 1 + 1 / (1 + linear**2) + sp.exp(-other**2)
    return sp.Lambda(args, body)


def instantiations(expr: sp.Expr, count: int, seed: int = 0) -> list[Instantiation]:
    """Returns ``count`` different instantiations of the undefined functions of ``expr``.

    >>> import sympy as sp
    >>> p = sp.Function("p")(sp.Symbol("x"))
    >>> [name for name, _ in instantiations(p, 1)[0].functions]
    ['p']
    """
    rng = random.Random(seed)
    arities = sorted({(type(f).__name__, len(f.args)) for f in expr.atoms(AppliedUndef)})
    result = []
    for k in range(count):
        table = tuple((name, _stand_in((k + i) % 3, arity, rng))
                      for i, (name, arity) in enumerate(arities))
        result.append(Instantiation(table))
    return result


def random_value(symbol: sp.Basic, rng: random.Random) -> sp.Rational:
    """Returns an exact random value that respects the symbol's assumptions."""
    if symbol.is_integer:
        low = 1 if symbol.is_positive else 0 if symbol.is_nonnegative else -3
        return sp.Integer(rng.randint(low, 5))
    if symbol.is_positive or symbol.is_nonnegative:
        return sp.Rational(rng.randint(25, 300), 100)
    if symbol.is_negative:
        return -sp.Rational(rng.randint(25, 300), 100)
    return sp.Rational(rng.randint(-200, 200), 100)


def sampled_symbols(*exprs: sp.Expr) -> set[sp.Symbol]:
    """The symbols to give values to: free symbols, less the labels of indexed objects."""
    symbols: set[sp.Symbol] = set()
    labels: set[sp.Basic] = set()
    for expr in exprs:
        symbols |= {s for s in expr.free_symbols if isinstance(s, sp.Symbol)}
        labels |= {i.base.label for i in expr.atoms(sp.Indexed)}
    return symbols - labels


def random_point(symbols: set[sp.Symbol], rng: random.Random) -> dict[sp.Basic, sp.Rational]:
    """Returns one random value for each symbol, in a stable order."""
    return {s: random_value(s, rng) for s in sorted(symbols, key=sp.default_sort_key)}


def _concrete(expr: sp.Expr, instantiation: Instantiation, point: dict) -> sp.Expr:
    """Stand-in functions applied, derivatives and sums done, the point substituted.

    Derivatives are taken before the point is substituted (they need their variables) but
    without evaluating sums, whose closed forms SymPy may search for a long time; sums are
    done once their bounds are numbers.
    """
    concrete = instantiation.apply(expr).replace(
        lambda e: isinstance(e, sp.Derivative), lambda e: e.doit(deep=False))
    return write_out(concrete.xreplace(point)).doit().xreplace(point)


def with_indexed_values(exprs: tuple[sp.Expr, ...], instantiation: Instantiation, point: dict,
                        rng: random.Random) -> dict[sp.Basic, sp.Rational]:
    """Returns ``point`` extended with a value for every indexed object such as ``theta[2]``
    that the expressions reach once their sums are expanded at that point."""
    indexed: set[sp.Indexed] = set()
    for expr in exprs:
        indexed |= {i for i in _concrete(expr, instantiation, point).atoms(sp.Indexed)
                    if all(j.is_Integer for j in i.indices)}
    extended = dict(point)
    for item in sorted(indexed - set(point), key=sp.default_sort_key):
        extended[item] = random_value(item, rng)
    return extended


def evaluate(expr: sp.Expr, instantiation: Instantiation, point: dict, digits: int) -> sp.Expr | None:
    """Returns the value of ``expr`` at ``point`` to ``digits`` digits, or ``None``.

    The value is a SymPy number carrying that precision, so that differences between two
    values are computed without rounding to machine precision. ``None`` means the
    expression is undefined or not numeric there (a pole, a symbol left over, a sum that
    does not evaluate).
    """
    # numbers with the working precision, not exact rationals: exact arithmetic on a large
    # closed form (a stationary distribution, say) can take seconds per point
    floats = {k: v if v.is_Integer else sp.Float(v, digits + 10) for k, v in point.items()}
    value = sp.N(_concrete(expr, instantiation, floats), digits)
    if not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    real, imaginary = value.as_real_imag()
    if not (real.is_Number and imaginary.is_Number):
        return None
    return value
