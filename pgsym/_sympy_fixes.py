"""A correction to SymPy that pgsym's verdicts rest on, applied when pgsym reads expressions.

SymPy's ``Subs`` compares by its expression with the variables renamed after the point's
printed form, so two substitutions at points that print alike but differ (``k`` an integer,
``k`` with no assumptions: pgsym's renamed bound variables are such pairs) are equal and
hash alike; SymPy's cache then hands back one for the other, with a stale point (hostile
review 51: a point came loose from its sum's index, a false shift was proved and true steps
refuted). Here a substitution's points are part of what it compares by.

>>> import sympy as sp
>>> x, g = sp.Symbol("x"), sp.Function("g")
>>> at = lambda point: sp.Subs(sp.Derivative(g(x), x), x, point)
>>> at(sp.Symbol("k", integer=True)) == at(sp.Symbol("k")), at(sp.Symbol("k")) == at(sp.Symbol("k"))
(False, True)
"""
from __future__ import annotations

from sympy.core.function import Subs

_sympy_hashable_content = Subs._hashable_content


def _hashable_content_with_points(self: Subs) -> tuple:
    return _sympy_hashable_content(self) + (self.point,)


if Subs._hashable_content is not _hashable_content_with_points:  # (once, on reload too)
    Subs._hashable_content = _hashable_content_with_points
