"""Rigorous enclosures of closed real numbers, by interval arithmetic (``mpmath.iv``).

The sampler compares the two sides of a step at a point where both are closed numbers
built from rationals, ``pi``, ``e``, ``+``, ``*``, powers, ``exp``, ``log``, ``sin``,
``cos``, ``tanh``, ``floor`` and ``Abs`` (what the stand-in functions are made of). SymPy's
``evalf`` finds such a number's digits adaptively, re-evaluating the whole tree at rising
precision, and on a true step (a difference of exactly 0) it must exhaust that precision
before it gives up; with written-out sums of thousands of nodes that was most of the
verifier's time. An interval evaluation at a fixed precision, with every repeated subtree
evaluated once, settles the same question: two enclosures that do not overlap prove the
sides differ (each operation rounds outwards, so the true values lie in them), and two
enclosures inside one interval narrower than the tolerance show the sides agree to it.
Anything else (an unsupported node, a division by an interval around 0, a logarithm of an
interval reaching 0, cancellation that widens the intervals) answers
``None``, and the caller falls back to ``evalf``.

>>> import sympy as sp
>>> a = sp.exp(sp.Rational(1, 3)) * sp.exp(sp.Rational(2, 3))
>>> compare_enclosed(a, sp.E, 60), compare_enclosed(a, sp.E + sp.Rational(1, 10**40), 60)
('agree', 'differ')
>>> compare_enclosed(sp.gamma(sp.Rational(1, 3)), sp.S.One, 60) is None
True
"""
from __future__ import annotations

from typing import Callable

import mpmath
import sympy as sp
from mpmath import libmp

from pgsym.expectation import Expectation

__all__ = ["compare_enclosed"]

_Interval = object  # an mpmath.iv.mpf


class _Unsupported(Exception):
    """A node with no rigorous interval implementation here, or a value that is not a
    finite real interval."""


def compare_enclosed(before: sp.Expr, after: sp.Expr, digits: int) -> str | None:
    """``"differ"`` when enclosures of the two closed numbers are disjoint, ``"agree"`` when
    both lie in one interval narrower than ``10**-(digits // 2)`` (the tolerance the
    sampler uses at ``digits`` digits), else ``None`` (evaluate another way).

    Each side is evaluated with about ``digits`` digits, and once more with twice as many
    when cancellation left the enclosures overlapping but too wide to tell."""
    return _decided(lambda bits: _Evaluator(bits).enclose_all((before, after)), digits)


def agree_at_point(before: sp.Expr, after: sp.Expr, point: dict,
                   draw: Callable[[sp.Indexed], sp.Expr], digits: int) -> bool:
    """Whether the two sides, with the symbols of ``point`` set to its values, are shown to
    agree to ``10**-(digits // 2)``, evaluated as written: finite sums and products with
    numeric bounds term by term, without writing them out as SymPy expressions; an indexed
    variable with numeric indices takes its value in ``point``, or ``draw(item)`` (which
    records it there). ``False`` says nothing: the caller evaluates the sides its own way.

    >>> import sympy as sp
    >>> k, n = sp.symbols("k n", integer=True)
    >>> agree_at_point(sp.Sum(k, (k, 1, n)), n * (n + 1) / 2, {n: sp.Integer(40)}, None, 60)
    True
    """
    return _decided(lambda bits: _Evaluator(bits, point, draw).enclose_all((before, after)),
                    digits) == "agree"


def _decided(enclosures: Callable[[int], list], digits: int) -> str | None:
    for bits in (int(digits * 3.33) + 32, int(digits * 6.65) + 64):
        saved = mpmath.iv.prec
        mpmath.iv.prec = bits
        try:
            (a_low, a_high), (b_low, b_high) = enclosures(bits)
        except (_Unsupported, ArithmeticError, ValueError, TypeError, RecursionError):
            return None
        finally:
            mpmath.iv.prec = saved
        if libmp.mpf_lt(a_high, b_low) or libmp.mpf_lt(b_high, a_low):
            return "differ"
        # an upper bound of the hull's width against a lower bound of the tolerance
        highest = b_high if libmp.mpf_lt(a_high, b_high) else a_high
        lowest = a_low if libmp.mpf_lt(a_low, b_low) else b_low
        width = libmp.mpf_sub(highest, lowest, bits, libmp.round_up)
        tolerance = libmp.from_rational(1, 10 ** (digits // 2), bits, libmp.round_down)
        if libmp.mpf_lt(width, tolerance):
            return "agree"
    return None


def _finite(value):
    """``value`` (an interval), if both its ends are finite numbers."""
    if not isinstance(value, mpmath.iv.mpf) or any(
            end in (libmp.finf, libmp.fninf, libmp.fnan) for end in value._mpi_):
        raise _Unsupported("not a finite interval")
    return value


#: the most terms all the finite sums and products of one evaluation may have together
MAX_TERMS = 20000


class _Evaluator:
    """Encloses expressions at ``bits`` of working precision; symbols take their values in
    ``point`` or, inside a sum or product, the index's current value. Every subtree is
    enclosed once per value of the indices it depends on."""

    def __init__(self, bits: int, point: dict | None = None,
                 draw: Callable[[sp.Indexed], sp.Expr] | None = None) -> None:
        self.point = point or {}
        self.draw = draw
        self.indices: dict[sp.Symbol, sp.Integer] = {}  # the running indices of sums
        self.memo: dict = {}
        self.depends: dict[sp.Basic, frozenset] = {}
        self.ordered: dict[sp.Basic, tuple] = {}
        self.terms = 0

    def enclose_all(self, exprs) -> list:
        return [_finite(self.enclose(expr))._mpi_ for expr in exprs]

    # -- what a subtree depends on --------------------------------------------------------
    def _dependencies(self, node: sp.Basic) -> frozenset:
        """The symbols in ``node`` that a sum or product around it may bind."""
        found = self.depends.get(node)
        if found is None:
            if node.is_Symbol:
                found = frozenset((node,)) if node not in self.point else frozenset()
            elif not node.args:
                found = frozenset()
            else:
                found = frozenset().union(*(self._dependencies(a) for a in node.args
                                            if isinstance(a, sp.Basic)))
                if isinstance(node, (sp.Sum, sp.Product)):
                    found -= frozenset(limit[0] for limit in node.limits)
            self.depends[node] = found
        return found

    def enclose(self, node: sp.Basic):
        depends = self.ordered.get(node)
        if depends is None:
            depends = self.ordered[node] = tuple(sorted(self._dependencies(node), key=str))
        key = (node, tuple(self.indices.get(s) for s in depends)) if depends else node
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = _finite(self._enclosed(node))
        return found

    # -- exact integers: bounds, indices, Kronecker deltas ----------------------------------
    def exact(self, node: sp.Basic) -> sp.Rational:
        """The exact rational value of a small expression of indices and point symbols."""
        if node.is_Rational:
            return node
        value = node.xreplace(self.indices).xreplace(self.point)
        if not value.is_Rational:
            raise _Unsupported(f"{node} has no exact rational value here")
        return value

    def _summed(self, node, limits: tuple, combine: Callable, empty):
        *inner, (index, lower, upper) = limits
        low, high = self.exact(lower), self.exact(upper)
        if not (low.is_Integer and high.is_Integer) or high < low - 1:
            raise _Unsupported("a range of non-integers, or running backwards")
        self.terms += int(high - low + 1)
        if self.terms > MAX_TERMS:
            raise _Unsupported("too many terms")
        outer = self.indices.get(index)
        total = empty
        try:
            for value in range(int(low), int(high) + 1):
                self.indices[index] = sp.Integer(value)
                term = self._summed(node, tuple(inner), combine, empty) if inner \
                    else self.enclose(node.function)
                total = combine(total, term)
        finally:
            if outer is None:
                self.indices.pop(index, None)
            else:
                self.indices[index] = outer
        return total

    # -- one node -----------------------------------------------------------------------
    def _enclosed(self, node: sp.Basic):
        iv = mpmath.iv
        if node.is_Rational:
            return iv.mpf(int(node.p)) / int(node.q) if node.q != 1 else iv.mpf(int(node.p))
        if node.is_Float:
            return iv.mpf(mpmath.mpf(node._mpf_))
        if node is sp.pi:
            return +iv.pi
        if node is sp.E:
            return +iv.e
        if node.is_Symbol:
            if node in self.indices:
                return iv.mpf(int(self.indices[node]))
            if node in self.point:
                return self.enclose(self.point[node])
            raise _Unsupported(f"no value for {node}")
        if node.is_Add:
            return self._fold(node.args, lambda x, y: x + y)
        if node.is_Mul:
            return self._fold(node.args, lambda x, y: x * y)
        if node.is_Pow:
            return self._power(node)
        if isinstance(node, sp.exp):
            return iv.exp(self.enclose(node.args[0]))
        if isinstance(node, sp.log) and len(node.args) == 1:
            return _logarithm(self.enclose(node.args[0]))
        if isinstance(node, (sp.sin, sp.cos)):
            return (iv.sin if isinstance(node, sp.sin) else iv.cos)(self.enclose(node.args[0]))
        if isinstance(node, sp.tanh):  # 1 - 2 / (exp(2x) + 1): x occurs once, so no widening
            return 1 - 2 / (iv.exp(2 * self.enclose(node.args[0])) + 1)
        if isinstance(node, sp.Abs):
            return _absolute(self.enclose(node.args[0]))
        if isinstance(node, sp.floor):
            return _floor(self.enclose(node.args[0]))
        if isinstance(node, sp.KroneckerDelta):
            i, j = (self.exact(arg) for arg in node.args[:2])
            return iv.mpf(int(i == j))
        if isinstance(node, sp.Sum):
            return self._summed(node, node.limits, lambda x, y: x + y, iv.mpf(0))
        if isinstance(node, sp.Product):
            return self._summed(node, node.limits, lambda x, y: x * y, iv.mpf(1))
        if isinstance(node, sp.Indexed):
            item = node.base[tuple(self.exact(i) for i in node.indices)]
            if item not in self.point:
                if self.draw is None:
                    raise _Unsupported(f"no value for {item}")
                self.point[item] = self.draw(item)
            return self.enclose(self.point[item])
        if isinstance(node, Expectation):
            return self.enclose(node.unfold())
        raise _Unsupported(type(node).__name__)

    def _fold(self, args: tuple, combine: Callable):
        total = self.enclose(args[0])
        for arg in args[1:]:
            total = combine(total, self.enclose(arg))
        return total

    def _power(self, node: sp.Pow):
        iv = mpmath.iv
        base, exponent = node.args
        if base is sp.E:
            return iv.exp(self.enclose(exponent))
        enclosed = self.enclose(base)
        if not exponent.is_number and self._dependencies(exponent) <= set(self.indices):
            exponent = self.exact(exponent)  # gamma**k inside a sum over k
        if exponent.is_Integer:
            low, high = enclosed._mpi_
            if exponent < 0 and not (libmp.mpf_gt(low, libmp.fzero)
                                     or libmp.mpf_lt(high, libmp.fzero)):
                raise _Unsupported("a negative power of an interval around 0")
            return enclosed ** int(exponent)
        if not libmp.mpf_gt(enclosed._mpi_[0], libmp.fzero):
            raise _Unsupported("a non-integer power of an interval reaching 0 or below")
        if exponent == sp.S.Half:
            return iv.sqrt(enclosed)
        return iv.exp(self.enclose(exponent) * _logarithm(enclosed))


def _logarithm(value):
    if not libmp.mpf_gt(value._mpi_[0], libmp.fzero):
        raise _Unsupported("the logarithm of an interval reaching 0 or below")
    return mpmath.iv.log(value)


def _floor(value):
    low, high = (libmp.mpf_floor(end) for end in value._mpi_)
    if low != high:
        raise _Unsupported("floor of an interval that reaches an integer")
    return mpmath.iv.mpf(libmp.to_int(low))


def _absolute(value):
    low, high = value._mpi_
    if not libmp.mpf_lt(low, libmp.fzero):
        return value
    if not libmp.mpf_gt(high, libmp.fzero):
        return -value
    return abs(value)
