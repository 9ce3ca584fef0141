"""A step's stated inequality condition, as the region its value check runs over.

A step may rest on ``condition=x < c`` (the PPO surrogate's ``min(rho, 1 + eps) = rho``
inside the clip range). Its sides are compared where the condition holds by writing each
conditioned symbol as a parametrisation of exactly that region by a fresh positive (or
nonnegative) symbol ``u``: ``x < c`` is ``x = c - u``; with ``x`` declared positive,
``0 < x < c`` is ``x = c / (1 + u)``. A proof for every ``u`` is then a proof for every ``x``
of the region, and a counterexample at some ``u`` is one at the ``x`` it stands for.

A parametrisation never covers less than the region (that could prove a false step); a
condition it cannot parametrise exactly (a closed interval, two bounds of one side, an
integer symbol, a symbol with other assumptions than a sign, a bound that may not be above
the other) is not used, and a refutation at a point that breaks it is not believed
(:func:`breaks`).

>>> x, c = sp.Symbol("x", real=True), sp.Symbol("c", positive=True)
>>> region = parametrised(sp.Lt(x, c), (sp.Min(x, c),))
>>> [u] = region.parameters
>>> region.values == {x: c - u}, sp.Min(x, c).xreplace(region.values) == c - u
(True, True)
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from pgsym._trees import bound_variables, nodes
from pgsym.report import Counterexample, Verdict

#: the assumptions a parametrised symbol may carry: real, or real with one sign (others,
#: such as nonzero or rational, would make the region smaller than the parametrisation)
_PLAIN = tuple(sp.Symbol("t", **{kind: True}).assumptions0 for kind in
               ("real", "positive", "negative", "nonnegative", "nonpositive"))


@dataclass(frozen=True)
class Region:
    """Each conditioned symbol's value in terms of a fresh symbol, and the way back."""

    #: symbol -> its parametrisation (an expression of a fresh Dummy)
    values: dict
    #: fresh Dummy -> the symbol it parametrises
    parameters: dict
    #: whether the region is exactly the condition's; else it holds it (a part that is no
    #: bound on a symbol, (1 - x)**b > 0, was left out): a proof over it holds where the
    #: condition does, but a counterexample in it may break the part left out
    exact: bool = True

    def counterexample(self, verdict: Verdict) -> Verdict:
        """``verdict`` with its counterexample's point given in the conditioned symbols."""
        found = verdict.counterexample
        if found is None:
            return verdict
        point = dict(found.point)
        shown = []
        for symbol, value in found.point:
            if symbol in self.parameters:
                original = self.parameters[symbol]
                shown.append((original, self.values[original].xreplace(point)))
            else:
                shown.append((symbol, value))
        mapped = Counterexample(tuple(shown), found.functions, found.before, found.after,
                                found.difference)
        return Verdict(verdict.kind, verdict.method,
                       verdict.detail.replace(found.describe(), mapped.describe()), mapped,
                       verdict.tolerance, verdict.points, verdict.undefined, verdict.assumption)


def parametrised(condition: sp.Basic | None, sides: tuple,
                 reasons: list[str] | None = None) -> Region | None:
    """The region of ``condition`` (a relation or an ``And`` of relations, each between a
    real symbol of ``sides`` and a bound free of every conditioned symbol), or None where it
    cannot be parametrised exactly. A symbol the sides bind or differentiate by is not
    parametrised either (``d/dx`` of ``c - u`` is no derivative). Parts of an ``And`` that
    bound no symbol are left out, and the region says it is not exact. Where a symbol's
    declared sign and a stated bound cannot be ordered, why is added to ``reasons``."""
    if condition is None:
        return None
    relations = condition.args if isinstance(condition, sp.And) else (condition,)
    used = set().union(*(side.free_symbols for side in sides))
    stated: dict = {}  # symbol -> its bounds: [(bound, upper, strict)]
    exact = True
    for relation in relations:
        if not isinstance(relation, (sp.StrictLessThan, sp.LessThan, sp.StrictGreaterThan,
                                     sp.GreaterThan)):
            exact = False  # (another kind of part: the region is within what the rest says)
            continue
        strict = isinstance(relation, (sp.StrictLessThan, sp.StrictGreaterThan))
        upper = isinstance(relation, (sp.StrictLessThan, sp.LessThan))
        # (the symbol the relation bounds: one of the sides', with at most a sign declared;
        # of two, the left one unless it is already bounded on that side)
        ways = [(symbol, bound, below) for symbol, bound, below in (
                    (relation.lhs, relation.rhs, upper), (relation.rhs, relation.lhs, not upper))
                if isinstance(symbol, sp.Symbol) and symbol in used
                and symbol.assumptions0 in _PLAIN and bound.is_real is True]
        ways.sort(key=lambda way: any(b[1] == way[2] for b in stated.get(way[0], ())))
        if not ways:
            exact = False
            continue
        symbol, bound, below = ways[0]
        stated.setdefault(symbol, []).append((bound, below, strict))
    if any(bound.free_symbols & set(stated) for bounds in stated.values()
           for bound, _, _ in bounds):
        return None  # (a bound that is itself bounded: the region is no product of intervals)
    if not stated:
        return None
    values, parameters = {}, {}
    for symbol, bounds in stated.items():
        # (neither the symbol nor what its bounds name may be bound or differentiated by in
        # the sides: x = c - u makes x move with c under d/dc, and a sum over k would read
        # x < k with its own k; hostile review 44)
        named = {symbol}.union(*(bound.free_symbols for bound, _, _ in bounds))
        if any(_bound_or_differentiated(s, sides) for s in named):
            return None
        value = _parametrisation(symbol, bounds)
        if value is None:
            if reasons is not None:
                reasons += _unordered(symbol, bounds)
            return None
        values[symbol], parameters[value[1]] = value[0], symbol
    return Region(values, parameters, exact)


def _parametrisation(symbol: sp.Symbol, stated: list):
    """``symbol``'s value over the interval its declared sign and the ``stated`` bounds
    (``(bound, upper, strict)``) leave, and the fresh symbol it is written in; None where
    that interval cannot be written exactly by one symbol ``u > 0`` or ``u >= 0``."""
    declared = symbol.assumptions0
    lows = [(sp.S.Zero, bool(declared.get("positive")))] \
        if declared.get("positive") or declared.get("nonnegative") else []
    highs = [(sp.S.Zero, bool(declared.get("negative")))] \
        if declared.get("negative") or declared.get("nonpositive") else []
    for bound, upper, strict in stated:
        (highs if upper else lows).append((bound, strict))
    low, high = _tightest(lows, upper=False), _tightest(highs, upper=True)
    if low is False or high is False:
        return None

    def fresh(positive: bool) -> sp.Dummy:
        return sp.Dummy(f"u_{symbol.name}", **({"positive": True} if positive
                                               else {"nonnegative": True}))
    if low is None and high is None:
        return None
    if low is None:  # (-oo, high): u = 0 gives high where it is allowed
        u = fresh(high[1])
        return high[0] - u, u
    if high is None:
        u = fresh(low[1])
        return low[0] + u, u
    if (high[0] - low[0]).is_positive is not True:
        return None  # (the interval may be empty: any step would hold on it)
    if not low[1] and not high[1]:
        return None  # (a closed interval: no one parametrisation by u >= 0 covers it)
    # u -> oo gives the open end; u = 0 the other, allowed where that end is closed
    if low[1]:
        u = fresh(high[1])
        return low[0] + (high[0] - low[0]) / (1 + u), u
    u = fresh(False)
    return high[0] + (low[0] - high[0]) / (1 + u), u


def _unordered(symbol: sp.Symbol, stated: list) -> list[str]:
    """Why ``symbol``'s declared sign and its ``stated`` bounds leave no one interval, where
    that is why: the sign is a bound of its own, not known to be weaker or stronger."""
    declared = symbol.assumptions0
    for upper, signs, side in ((False, ("positive", "nonnegative"), "lower"),
                               (True, ("negative", "nonpositive"), "upper")):
        sign = next((s for s in signs if declared.get(s)), None)
        bounds = [bound for bound, is_upper, _ in stated if is_upper == upper]
        if sign and bounds and _tightest([(sp.S.Zero, True)] + [(b, True) for b in bounds],
                                         upper) is False:
            return [f"{symbol} is declared {sign}, and whether 0 or {bounds[0]} is its tighter "
                    f"{side} bound is not known: declare {symbol} real (the condition bounds "
                    f"it), or declare the symbols of {bounds[0]} so that it is "
                    f"{'non-negative' if side == 'lower' else 'non-positive'}"]
    return []


def _tightest(bounds: list, upper: bool):
    """The bound of ``bounds`` (``(value, strict)``) that implies the others, None when there
    is none, False when which one does is not known."""
    if not bounds:
        return None
    best = bounds[0]
    for other in bounds[1:]:
        gap = (best[0] - other[0]) if upper else (other[0] - best[0])  # > 0: other tighter
        if gap.is_positive:
            best = other
        elif gap.is_zero:
            best = (best[0], best[1] or other[1])
        elif not gap.is_negative:
            return False
    return best


def _bound_or_differentiated(symbol: sp.Symbol, sides: tuple) -> bool:
    """Whether a node of ``sides`` binds ``symbol`` (a sum, integral, expectation, Lambda,
    substitution) or differentiates by it: there it is no value to write as ``c - u``."""
    for side in sides:
        for node in nodes(side):
            if isinstance(node, sp.Derivative) and symbol in node.variables:
                return True
            if symbol in bound_variables(node):
                return True
    return False


def breaks(condition: sp.Basic | None, verdict: Verdict) -> bool:
    """Whether ``verdict``'s counterexample lies where ``condition`` is false (it says nothing
    about a step that rests on the condition)."""
    if condition is None or verdict.counterexample is None:
        return False
    point = dict(verdict.counterexample.point)
    # (with the stand-in functions of the counterexample: f(x) < 1 is false where the
    # stand-in f is 53.79; hostile review 46)
    standing = dict(verdict.counterexample.functions)
    parts = condition.args if isinstance(condition, sp.And) else (condition,)
    # a symbol the point leaves free that a part gives a sign (y > 0) has that sign in the
    # others: x/y > 0 is false at x = -1 for a positive y (hostile review 55)
    signed = {}
    for part in parts:
        gap = gap_of(part)
        if gap is not None and gap[0].is_Symbol and gap[0] not in point:
            signed[gap[0]] = sp.Dummy(gap[0].name, **{
                "positive" if gap[1] else "nonnegative": True})
    for part in parts:
        try:  # (one part false is enough; another may not be decided there: new user 15)
            if standing:
                part = part.replace(
                    lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in standing,
                    lambda e: standing[e.func.__name__](*e.args))
            if isinstance(part, sp.core.relational.Relational) and \
                    not isinstance(part, (sp.Eq, sp.Ne)) and any(
                    side.xreplace(point).is_extended_real is False for side in part.args):
                return True  # (sqrt(x) > 0 at x = -1: i > 0 holds nowhere)
            if part.xreplace(point).xreplace(signed) is sp.false:
                return True
        except (TypeError, ValueError):
            continue
    return False


def gap_of(relation: sp.Basic) -> tuple[sp.Expr, bool] | None:
    """``relation`` as ``(g, strict)`` meaning ``g > 0`` (``g >= 0``), for a comparison;
    None for anything else.

    >>> x = sp.Symbol("x")
    >>> gap_of(x < 2), gap_of(sp.Eq(x, 2))
    ((2 - x, True), None)
    """
    if isinstance(relation, (sp.StrictGreaterThan, sp.GreaterThan)):
        return relation.lhs - relation.rhs, isinstance(relation, sp.StrictGreaterThan)
    if isinstance(relation, (sp.StrictLessThan, sp.LessThan)):
        return relation.rhs - relation.lhs, isinstance(relation, sp.StrictLessThan)
    return None
