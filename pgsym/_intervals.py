"""Rigorous enclosures of closed numbers, by ball arithmetic (Arb, through python-flint).

The sampler compares the two sides of a step at a point where both are closed numbers
built from rationals, ``pi``, ``e``, ``I``, ``+``, ``*``, powers, ``exp``, ``log``, ``sin``,
``cos``, ``tanh``, ``floor`` and ``Abs`` (what the stand-in functions are made of; those of
functions declared without assumptions are complex). A real number is enclosed by a ball
(an interval: a midpoint and a radius), a complex one by a rectangle, a ball for each of
its real and imaginary parts. Arb's operations and elementary functions are rigorous: the
ball they return holds the true result for every value in the balls they were given. (Each
operation takes a fifteenth of the time of mpmath's interval arithmetic, used before; the
evaluation as a whole, its Python around the arithmetic included, half.) SymPy's
``evalf`` finds such a number's digits adaptively, re-evaluating the whole tree at rising
precision, and on a true step (a difference of exactly 0) it must exhaust that precision
before it gives up; with written-out sums of thousands of nodes that was most of the
verifier's time. A ball evaluation at a fixed precision, with every repeated subtree
evaluated once, settles the same question: two enclosures that do not overlap prove the
sides differ (the true values lie in them), and two enclosures inside one interval
narrower than the tolerance show the sides agree to it. Anything else (an unsupported node,
a division by an interval around 0, a logarithm of an interval reaching 0, cancellation that
widens the intervals) answers
``None``, and the caller falls back to ``evalf``.

>>> import sympy as sp
>>> a = sp.exp(sp.Rational(1, 3)) * sp.exp(sp.Rational(2, 3))
>>> compare_enclosed(a, sp.E, 60), compare_enclosed(a, sp.E + sp.Rational(1, 10**40), 60)
('agree', 'differ')
>>> compare_enclosed(sp.gamma(sp.Rational(1, 3)), sp.S.One, 60) is None
True
>>> compare_enclosed(sp.exp(sp.I * sp.pi / 3), (1 + sp.sqrt(3) * sp.I) / 2, 60)
'agree'
"""
from __future__ import annotations

import functools
from typing import Callable

import flint
import sympy as sp
from mpmath import libmp

from pgsym.expectation import Expectation

__all__ = ["compare_enclosed"]

_Interval = object  # a flint.arb (a real ball), or a flint.acb (a rectangle)


class _Unsupported(Exception):
    """A node with no rigorous interval implementation here, or a value that is not a
    finite interval or rectangle."""


def compare_enclosed(before: sp.Expr, after: sp.Expr, digits: int) -> str | None:
    """``"differ"`` when enclosures of the two closed numbers are disjoint, ``"agree"`` when
    both lie in one interval narrower than ``10**-(digits // 2)`` (the tolerance the
    sampler uses at ``digits`` digits), else ``None`` (evaluate another way).

    Each side is evaluated with about ``digits`` digits, and once more with twice as many
    when cancellation left the enclosures overlapping but too wide to tell."""
    return _decided(lambda bits: _Evaluator(bits).enclose_all((before, after)), digits)[0]


def compare_at_point(before: sp.Expr, after: sp.Expr, point: dict,
                     draw: Callable[[sp.Indexed], sp.Expr] | None,
                     digits: int) -> tuple[str | None, tuple]:
    """The two sides, with the symbols of ``point`` set to its values, evaluated as written:
    finite sums and products with numeric bounds term by term, without writing them out as
    SymPy expressions; an indexed variable with numeric indices takes its value in
    ``point``, or ``draw(item)`` (which records it there).

    ``("agree", ())`` when they are shown to agree to ``10**-(digits // 2)``;
    ``("differ", (a, b))`` when their enclosures are disjoint, with ``a`` and ``b`` the
    midpoints of the enclosures (SymPy numbers to about ``digits`` digits, for showing);
    ``(None, ())`` says nothing: the caller evaluates the sides its own way.

    >>> import sympy as sp
    >>> k, n = sp.symbols("k n", integer=True)
    >>> compare_at_point(sp.Sum(k, (k, 1, n)), n * (n + 1) / 2, {n: sp.Integer(40)}, None, 60)
    ('agree', ())
    >>> outcome, values = compare_at_point(sp.Sum(k, (k, 1, n)), n**2 / 2, {n: sp.Integer(40)},
    ...                                    None, 60)
    >>> outcome, [int(value) for value in values]
    ('differ', [820, 800])
    """
    outcome, enclosures = _decided(
        lambda bits: _Evaluator(bits, point, draw).enclose_all((before, after)), digits)
    if outcome != "differ":
        return outcome, ()
    return outcome, tuple(_midpoint(value, digits) for value in enclosures)


def _midpoint(value, digits: int) -> sp.Expr:
    """The middle of an interval, or of a rectangle, as a SymPy number."""
    real, imaginary = (value.real, value.imag) if isinstance(value, flint.acb) \
        else (value, None)
    bits = sp.core.evalf.dps_to_prec(digits)

    def mid(part) -> sp.Float:  # (the ball's exact midpoint, rounded to the given precision)
        return sp.Float._new(libmp.mpf_pos(part.mid()._mpf_, bits, libmp.round_nearest), bits)
    middle = mid(real)
    if imaginary is not None:
        middle += sp.I * mid(imaginary)
    return middle


def _decided(enclosures: Callable[[int], list], digits: int) -> tuple[str | None, list]:
    for bits in (int(digits * 3.33) + 32, int(digits * 6.65) + 64):
        saved = flint.ctx.prec
        flint.ctx.prec = bits
        try:
            before, after = enclosures(bits)
            # real parts, then imaginary parts (an exact 0 for a real value)
            parts = list(zip(_parts(before), _parts(after)))
            if any(not a.overlaps(b) for a, b in parts):
                return "differ", [before, after]
            # an upper bound of each part's hull width against half the tolerance (so that
            # the complex difference is within the tolerance); Arb's comparisons hold only
            # where they hold for every value in the balls
            tolerance = flint.arb(flint.fmpq(1, 2 * 10 ** (digits // 2)))
            if all(2 * a.union(b).rad() < tolerance for a, b in parts):
                return "agree", [before, after]
        except (_Unsupported, ArithmeticError, ValueError, TypeError, RecursionError,
                ZeroDivisionError):
            return None, []
        finally:
            flint.ctx.prec = saved
    return None, []


def _parts(value) -> tuple:
    """The real and imaginary parts of an enclosure, as balls (an exact 0 for the
    imaginary part of a real one)."""
    if isinstance(value, flint.acb):
        return value.real, value.imag
    return value, flint.arb(0)


def _finite(value):
    """``value`` (a ball, or a rectangle), if its midpoints and radii are finite numbers;
    a rectangle whose imaginary part is exactly 0 becomes its real ball."""
    if isinstance(value, flint.acb) and value.imag.is_zero():
        value = value.real
    if isinstance(value, flint.arb):
        parts = (value,)
    elif isinstance(value, flint.acb):
        parts = (value.real, value.imag)
    else:
        raise _Unsupported("not a ball")
    if not all(part.is_finite() for part in parts):
        raise _Unsupported("not a finite ball or rectangle")
    return value


def _real(value, what: str):
    """``value`` if it is a real ball (not a rectangle), for functions enclosed on real
    arguments only."""
    if isinstance(value, flint.acb):
        raise _Unsupported(f"{what} of a complex value")
    return value


#: the most terms all the finite sums and products of one evaluation may have together
MAX_TERMS = 20000


#: the symbols each subtree depends on, and in the order the memo's keys list them, for
#: every evaluation (at most this many subtrees are kept)
_DEPENDS: dict[sp.Basic, frozenset] = {}
_ORDERED: dict[sp.Basic, tuple] = {}
_KEPT_NODES = 200_000
#: whole sides' enclosures, by (side, precision, the values of its symbols), and whether a
#: side holds indexed values (whose enclosures are not kept)
_SIDES: dict[tuple, _Interval] = {}
_HAS_INDEXED: dict[sp.Basic, bool] = {}
_KEPT_SIDES = 4096


class _Evaluator:
    """Encloses expressions at ``bits`` of working precision; symbols take their values in
    ``point`` or, inside a sum or product, the index's current value. Every subtree is
    enclosed once per value of the indices it depends on."""

    def __init__(self, bits: int, point: dict | None = None,
                 draw: Callable[[sp.Indexed], sp.Expr] | None = None) -> None:
        self.point = point if point is not None else {}
        self.draw = draw
        self.indices: dict[sp.Symbol, sp.Integer] = {}  # the running indices of sums
        self.memo: dict = {}
        # (what a subtree depends on is its own: kept from one point to the next)
        if len(_DEPENDS) > _KEPT_NODES:
            _DEPENDS.clear()
            _ORDERED.clear()
        self.depends, self.ordered = _DEPENDS, _ORDERED
        self.terms = 0

    def enclose_all(self, exprs) -> list:
        return [self._enclosed_side(expr) for expr in exprs]

    def _enclosed_side(self, expr: sp.Basic):
        """``expr``'s enclosure, kept from one comparison to the next: a step's right side
        is the next step's left side, compared at the same points (in a replay of the
        catalogue, 58 % of the sides compared had been enclosed before). It is kept only
        where it depends on nothing but the symbols' values in the point (no indexed
        values, which are drawn as they are met)."""
        has_indexed = _HAS_INDEXED.get(expr)
        if has_indexed is None:
            has_indexed = _HAS_INDEXED[expr] = expr.has(sp.Indexed, sp.IndexedBase)
        if has_indexed:
            return _finite(self.enclose(expr))
        symbols = self.ordered.get(expr)
        if symbols is None:
            symbols = self.ordered[expr] = tuple(self._dependencies(expr))
        values = tuple((s, self.point.get(s)) for s in symbols)
        if not all(getattr(value, "is_number", False) for _, value in values):
            return _finite(self.enclose(expr))
        key = (expr, flint.ctx.prec, values)
        found = _SIDES.get(key)
        if found is None:
            found = _finite(self.enclose(expr))
            if len(_SIDES) >= _KEPT_SIDES:
                _SIDES.clear()
                _HAS_INDEXED.clear()
            _SIDES[key] = found
        return found

    # -- what a subtree depends on --------------------------------------------------------
    def _dependencies(self, node: sp.Basic) -> frozenset:
        """The symbols in ``node`` that a sum or product around it may bind."""
        found = self.depends.get(node)
        if found is None:
            if node.is_Symbol:  # (one with a value in the point too: a sum may bind it)
                found = frozenset((node,))
            elif not node.args:
                found = frozenset()
            elif isinstance(node, (sp.Sum, sp.Product)):
                # each index binds what is inside it (the body, the bounds of the limits
                # before it), never its own bounds, which read an enclosing index of the
                # same name (sum_{k=0}^{3} sum_{k=0}^{k} k: the inner sum was kept from
                # the outer k = 0 for every k; hostile review 74)
                found = self._dependencies(node.function)
                for index, *bounds in node.limits:
                    found = (found - {index}).union(*map(self._dependencies, bounds))
            else:
                found = frozenset().union(*(self._dependencies(a) for a in node.args
                                            if isinstance(a, sp.Basic)))
            self.depends[node] = found
        return found

    def enclose(self, node: sp.Basic):
        depends = self.ordered.get(node)
        if depends is None:  # (in an order fixed once per node: the memo's keys follow it)
            depends = self.ordered[node] = tuple(self._dependencies(node))
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
        if node.is_Rational:
            return flint.arb(flint.fmpq(int(node.p), int(node.q))) if node.q != 1 \
                else flint.arb(int(node.p))
        if node.is_Float:  # (exactly: its mantissa and exponent, not rounded to a precision)
            sign, mantissa, exponent, _ = node._mpf_
            if not mantissa and node._mpf_ != libmp.fzero:
                raise _Unsupported("an infinite or undefined float")
            return flint.arb((-mantissa if sign else mantissa, exponent))
        if node is sp.pi:
            return flint.arb.pi()
        if node is sp.E:
            return flint.arb.const_e()
        if node is sp.I:
            return flint.acb(0, 1)
        if node.is_Symbol:
            if node in self.indices:
                return flint.arb(int(self.indices[node]))
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
            return self.enclose(node.args[0]).exp()
        if isinstance(node, sp.log) and len(node.args) == 1:
            return _logarithm(self.enclose(node.args[0]))
        if isinstance(node, sp.sin):
            return self.enclose(node.args[0]).sin()
        if isinstance(node, sp.cos):
            return self.enclose(node.args[0]).cos()
        if isinstance(node, sp.tanh):  # (near a pole, i pi / 2, not finite: refused)
            return self.enclose(node.args[0]).tanh()
        if isinstance(node, sp.Abs):  # (of a rectangle, a real ball)
            return abs(self.enclose(node.args[0]))
        if isinstance(node, (sp.re, sp.im, sp.conjugate)):
            return _complex_part(type(node), self.enclose(node.args[0]))
        if isinstance(node, sp.floor):
            return _floor(_real(self.enclose(node.args[0]), "floor"))
        if isinstance(node, sp.KroneckerDelta):
            i, j = (self.exact(arg) for arg in node.args[:2])
            return flint.arb(int(i == j))
        if isinstance(node, sp.Sum):
            return self._summed(node, node.limits, lambda x, y: x + y, flint.arb(0))
        if isinstance(node, sp.Product):
            return self._summed(node, node.limits, lambda x, y: x * y, flint.arb(1))
        if isinstance(node, sp.Indexed):
            item = _item(node.base, tuple(self.exact(i) for i in node.indices))
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
        base, exponent = node.args
        if base is sp.E:
            return self.enclose(exponent).exp()
        enclosed = self.enclose(base)
        if not exponent.is_number and all(s in self.indices or s in self.point
                                          for s in self._dependencies(exponent)):
            exponent = self.exact(exponent)  # gamma**k inside a sum over k
        if exponent.is_Integer:
            if exponent < 0 and not _away_from_zero(enclosed):
                raise _Unsupported("a negative power of an interval around 0")
            return enclosed ** int(exponent)
        if not _real(enclosed, "a non-integer power") > 0:
            raise _Unsupported("a non-integer power of an interval reaching 0 or below")
        if exponent == sp.S.Half:
            return enclosed.sqrt()
        return (self.enclose(exponent) * _logarithm(enclosed)).exp()


@functools.lru_cache(maxsize=4096)
def _item(base: sp.IndexedBase, indices: tuple) -> sp.Indexed:
    """``base[indices]``, made once (SymPy works out an indexed object's assumptions anew
    each time it makes one: a tenth of the time of an evaluation)."""
    return base[indices]


def _away_from_zero(value) -> bool:
    """Whether the ball, or rectangle, holds no 0 (a part of it is all of one sign)."""
    return any(part > 0 or part < 0 for part in _parts(value))


def _logarithm(value):
    """The principal logarithm. A rectangle must lie in the open right half-plane or
    strictly above or below the real axis: one that reaches the cut along the negative real
    axis (where the argument jumps from pi to -pi) or 0 is not enclosed."""
    if isinstance(value, flint.acb):
        if not (value.real > 0 or value.imag > 0 or value.imag < 0):
            raise _Unsupported("the logarithm of a rectangle reaching the cut or 0")
        return value.log()
    if not value > 0:
        raise _Unsupported("the logarithm of an interval reaching 0 or below")
    return value.log()


def _complex_part(kind: type, value):
    """re, im or conjugate of a ball or rectangle."""
    if not isinstance(value, flint.acb):
        return flint.arb(0) if kind is sp.im else value
    if kind is sp.re:
        return value.real
    if kind is sp.im:
        return value.imag
    return value.conjugate()


def _floor(value):
    floor = value.floor()
    if not floor.is_exact():
        raise _Unsupported("floor of an interval that reaches an integer")
    return floor
