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
    for bits in (int(digits * 3.33) + 32, int(digits * 6.65) + 64):
        try:
            (a_low, a_high), (b_low, b_high) = _enclosures((before, after), bits)
        except (_Unsupported, ArithmeticError, ValueError, TypeError, RecursionError):
            return None
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


def _enclosures(exprs: tuple[sp.Expr, ...], bits: int) -> list:
    context = mpmath.iv
    saved = context.prec
    context.prec = bits
    try:
        memo: dict[sp.Basic, _Interval] = {}
        return [_finite(_enclose(expr, memo))._mpi_ for expr in exprs]
    finally:
        context.prec = saved


def _finite(value):
    """``value`` (an interval), if both its ends are finite numbers."""
    if not isinstance(value, mpmath.iv.mpf) or any(
            end in (libmp.finf, libmp.fninf, libmp.fnan) for end in value._mpi_):
        raise _Unsupported("not a finite interval")
    return value


def _enclose(node: sp.Basic, memo: dict):
    found = memo.get(node)
    if found is not None:
        return found
    iv = mpmath.iv
    if node.is_Rational:
        value = iv.mpf(int(node.p)) / int(node.q) if node.q != 1 else iv.mpf(int(node.p))
    elif node.is_Float:
        value = iv.mpf(mpmath.mpf(node._mpf_))
    elif node is sp.pi:
        value = +iv.pi
    elif node is sp.E:
        value = +iv.e
    elif node.is_Add:
        value = _fold(node.args, memo, lambda x, y: x + y)
    elif node.is_Mul:
        value = _fold(node.args, memo, lambda x, y: x * y)
    elif node.is_Pow:
        value = _power(node, memo)
    elif isinstance(node, sp.exp):
        value = iv.exp(_enclose(node.args[0], memo))
    elif isinstance(node, sp.log) and len(node.args) == 1:
        value = _logarithm(_enclose(node.args[0], memo))
    elif isinstance(node, (sp.sin, sp.cos)):
        value = (iv.sin if isinstance(node, sp.sin) else iv.cos)(_enclose(node.args[0], memo))
    elif isinstance(node, sp.tanh):  # 1 - 2 / (exp(2x) + 1): x occurs once, so no widening
        value = 1 - 2 / (iv.exp(2 * _enclose(node.args[0], memo)) + 1)
    elif isinstance(node, sp.Abs):
        value = _absolute(_enclose(node.args[0], memo))
    elif isinstance(node, sp.floor):
        value = _floor(_enclose(node.args[0], memo))
    else:
        raise _Unsupported(type(node).__name__)
    memo[node] = _finite(value)
    return value


def _fold(args: tuple, memo: dict, combine: Callable):
    total = _enclose(args[0], memo)
    for arg in args[1:]:
        total = combine(total, _enclose(arg, memo))
    return total


def _power(node: sp.Pow, memo: dict):
    iv = mpmath.iv
    base, exponent = node.args
    if base is sp.E:
        return iv.exp(_enclose(exponent, memo))
    enclosed = _enclose(base, memo)
    if exponent.is_Integer:
        low, high = enclosed._mpi_
        if exponent < 0 and not (libmp.mpf_gt(low, libmp.fzero) or libmp.mpf_lt(high, libmp.fzero)):
            raise _Unsupported("a negative power of an interval around 0")
        return enclosed ** int(exponent)
    if not libmp.mpf_gt(enclosed._mpi_[0], libmp.fzero):  # a real power of a number that may be <= 0
        raise _Unsupported("a non-integer power of an interval reaching 0 or below")
    if exponent == sp.S.Half:
        return iv.sqrt(enclosed)
    return iv.exp(_enclose(exponent, memo) * _logarithm(enclosed))


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
