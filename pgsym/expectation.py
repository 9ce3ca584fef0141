"""An unevaluated expectation ``E_{x ~ p}[f(x)]`` that unfolds to a sum or an integral."""
from __future__ import annotations

import sympy as sp
from sympy.core.logic import fuzzy_and


class Expectation(sp.Expr):
    """``E_{x ~ density}[body]`` over ``x`` in ``[lower, upper]`` (a sum for integer ``x``).

    The expectation stays unevaluated until ``unfold()`` (the rule "definition of
    expectation") or ``doit()`` turns it into ``Sum(density * body)`` for an integer
    variable, ``Integral(density * body)`` otherwise.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", integer=True)
    >>> p, f = sp.Function("p"), sp.Function("f")
    >>> Expectation(f(x), (x, 1, 3), p(x)).unfold()
    Sum(f(x)*p(x), (x, 1, 3))
    """

    def _eval_is_commutative(self) -> bool | None:
        return fuzzy_and([self.body.is_commutative, self.density.is_commutative])

    def __new__(cls, body, limits, density):
        try:
            body, density = sp.sympify(body, strict=True), sp.sympify(density, strict=True)
            variable, lower, upper = (sp.sympify(a, strict=True) for a in limits)
        except (TypeError, ValueError, sp.SympifyError) as error:
            raise ValueError(f"Expectation(body, (variable, lower, upper), density): {error}; "
                             f"the limits must be three expressions, e.g. (x, 0, K - 1)") from None
        if not isinstance(variable, sp.Symbol):
            raise TypeError(f"Expectation: the variable must be a Symbol, got {variable!r}")
        return super().__new__(cls, body, sp.Tuple(variable, lower, upper), density)

    @property
    def body(self) -> sp.Expr:
        return self.args[0]

    @property
    def limits(self) -> sp.Tuple:
        return self.args[1]

    @property
    def variable(self) -> sp.Symbol:
        return self.args[1][0]

    @property
    def density(self) -> sp.Expr:
        return self.args[2]

    @property
    def bound_symbols(self) -> list[sp.Basic]:
        return [self.variable]

    @property
    def is_discrete(self) -> bool:
        return bool(self.variable.is_integer)

    @property
    def free_symbols(self) -> set[sp.Basic]:
        inner = (self.body.free_symbols | self.density.free_symbols) - {self.variable}
        return inner | self.limits[1].free_symbols | self.limits[2].free_symbols

    def unfold(self) -> sp.Expr:
        """Returns the sum or integral this expectation stands for, unevaluated."""
        kind = sp.Sum if self.is_discrete else sp.Integral
        return kind(self.density * self.body, tuple(self.limits))

    def doit(self, **hints) -> sp.Expr:
        return self.unfold().doit(**hints) if hints.get("deep", True) else self.unfold()

    def _eval_derivative(self, symbol):
        return sp.diff(self.unfold(), symbol)

    def _eval_subs(self, old, new):
        if old == self.variable:
            return self
        return None
