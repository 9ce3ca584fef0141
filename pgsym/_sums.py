"""Sums with numeric bounds written out term by term, before SymPy evaluates anything.

SymPy's summation algorithms look for closed forms; on small finite sums of piecewise or
Kronecker-delta terms they are slow and, in some nestings, wrong (a nested sum's index can
escape). Writing the terms out is exact and cheap, so every check does it first.
"""
from __future__ import annotations

import sympy as sp

from pgsym.expectation import Expectation

#: sums longer than this are left to SymPy
MAX_TERMS = 200


def write_out(expr: sp.Basic) -> sp.Basic:
    """Returns ``expr`` with expectations unfolded and finite sums written out.

    >>> import sympy as sp
    >>> i = sp.Symbol("i", integer=True)
    >>> write_out(sp.Sum(sp.KroneckerDelta(i, 1) * i, (i, 0, 2)))
    1
    """
    if expr.is_Atom or not expr.args:
        return expr
    if isinstance(expr, Expectation):
        return write_out(expr.unfold())
    args = [write_out(a) for a in expr.args]
    rebuilt = expr.func(*args) if args != list(expr.args) else expr
    if isinstance(rebuilt, sp.Sum):
        return _written_sum(rebuilt)
    return rebuilt


def _written_sum(total: sp.Sum) -> sp.Basic:
    terms = [total.function]
    for index, lower, upper in reversed(total.limits):
        if not (lower.is_Integer and upper.is_Integer) or (upper - lower + 1) * len(terms) > MAX_TERMS:
            return total
        terms = [t.xreplace({index: sp.Integer(k)}) for t in terms
                 for k in range(int(lower), int(upper) + 1)]
    return sp.Add(*terms)
