"""What printed code cannot compute as SymPy means it, refused before anything is printed.

Printed functions (:func:`pgsym.compile`, the kernels ``pgsym build`` writes) compute in
real floating point: their arguments are float32 or float64 arrays and their results are
cast to that dtype. On real arrays the functions they call give real numbers, or nan where
SymPy's value is not real (``numpy.log`` of a negative), so a result differs from the
verified expression silently only where

- the expression holds the imaginary unit: the complex value computed is cast to its real
  part, with a warning at best (``exp(I x)`` printed as ``cos x``);
- a library function means something else than SymPy's function on part of its domain:
  ``torch.lgamma`` and ``math.lgamma``, which SymPy's ``loggamma`` is printed as, are
  log|Gamma(z)|, real where SymPy's ``loggamma(z)`` is complex (every z < 0 but the poles).

>>> x = sp.Symbol("x", real=True)
>>> refusal([sp.exp(sp.I * x)]) is not None, refusal([sp.cos(x)])
(True, None)
>>> refusal([sp.loggamma(sp.Symbol("s", positive=True))]) is None
True
"""
from __future__ import annotations

from typing import Sequence

import sympy as sp
from sympy.core.function import UndefinedFunction


def refusal(expressions: Sequence[sp.Expr]) -> str | None:
    """Why ``expressions`` (with the arguments' symbols, whose assumptions are read) cannot
    be printed as real floating-point code that computes them, or None where they can."""
    for expression in expressions:
        if expression.has(sp.I, sp.zoo):
            return (f"{expression} holds the imaginary unit: printed functions compute in "
                    f"real floating point and return float32 or float64, so a complex value "
                    f"would come back as its real part. Rewrite it in real terms "
                    f"(sympy.expand_complex, .rewrite(sympy.cos)), or derive its real and "
                    f"imaginary parts and compile each")
        for node in expression.atoms(sp.loggamma):
            if node.args[0].is_positive is not True:
                return (f"{node}: SymPy's loggamma is printed as lgamma, which is "
                        f"log|Gamma(z)|, and that is loggamma(z) only for z > 0 (for z < 0 "
                        f"SymPy's value is complex), but {node.args[0]} is not known to be "
                        f"positive: declare the symbols it is made of positive, where the "
                        f"derivation means that")
    return None


#: the signs a value may be declared to have, strongest first (one is enough: positive
#: implies nonnegative and nonzero)
_SIGNS = ("positive", "negative", "nonnegative", "nonpositive", "nonzero")


#: assumptions a printed function cannot check on float values, with what to do instead
_UNCHECKABLE = (("prime", "declare it integer (with a range) instead"),
                ("composite", "declare it integer (with a range) instead"),
                ("irrational", "declare it real instead"),
                ("transcendental", "declare it real instead"),
                ("zero", "write 0 in its place"),
                ("imaginary", "declare it real instead, or write it as I times a real symbol"))


def unchecked_facts(atoms: Sequence) -> list[str]:
    """What the assumptions of ``atoms`` declare that a printed function cannot check on its
    values (prime, composite: hostile review 45 proved max(2, p) = p for a prime p, whose
    function returned 1 at p = 1; irrational, transcendental: every float is rational;
    imaginary: a float is real; zero: an argument that may only be 0 is no argument)."""
    found = []
    for atom in atoms:
        value = _a_value_of(atom)
        if value is None:
            continue
        # (no float is irrational or transcendental: hostile review 47; nor imaginary, nor
        # any other non-real value: |y^2| = -y^2 for an imaginary y returned -9 at y = 3,
        # hostile review 48)
        declared = next(((fact, advice) for fact, advice in _UNCHECKABLE
                         if getattr(value, f"is_{fact}") is True), None)
        if declared is None and value.is_extended_real is False:
            declared = ("not real", "declare it real instead")
        if declared is not None:
            found.append(f"{atom} is declared {declared[0]}, which a printed function cannot "
                         f"check on its values, and the steps may hold only there; "
                         f"{declared[1]}")
    return found


def domain(atoms: Sequence) -> tuple[str, ...]:
    """The conditions the values of an argument standing for ``atoms`` must meet: the sign,
    integrality (or its opposite) and parity their assumptions declare (a symbol declared positive, a function
    declared ``positive=True``, the entries of an ``IndexedBase`` declared so). The
    derivation was verified for those values only: a function printed from its last step
    may compute something else elsewhere (``Max(x, -x) = x`` for ``x > 0``), so printed
    functions check them (``_batch_outside``).

    >>> domain((sp.Symbol("x", positive=True),)), domain((sp.Symbol("n", integer=True, nonnegative=True),))
    (('positive',), ('nonnegative', 'integer'))
    >>> domain((sp.Function("p", positive=True), sp.Symbol("y", real=True)))
    ('positive',)
    """
    conditions: list[str] = []
    for atom in atoms:
        value = _a_value_of(atom)
        if value is None:
            continue
        sign = next((s for s in _SIGNS if getattr(value, f"is_{s}") is True
                     or getattr(value, f"is_extended_{s}") is True), None)  # (+-oo passes)
        parity = "even" if value.is_even is True else "odd" if value.is_odd is True else None
        integer = "integer" if value.is_integer is True and parity is None else None
        # (sign(x - 1)^2 = 1 for a noninteger x returned 1 at x = 1: hostile review 47)
        noninteger = "noninteger" if value.is_noninteger is True else None
        for condition in (sign, integer, parity, noninteger):
            if condition is not None and condition not in conditions:
                conditions.append(condition)
    return tuple(conditions)


def _a_value_of(atom) -> sp.Basic | None:
    """One value an argument standing for ``atom`` holds, with its assumptions: the atom
    itself, an entry of an ``IndexedBase``, an application of an undefined function."""
    if isinstance(atom, sp.IndexedBase):
        return sp.Indexed(atom, sp.Dummy("i", integer=True))
    if isinstance(atom, UndefinedFunction):
        for count in range(1, 6):  # (a function declared with nargs takes only those)
            try:
                return atom(*sp.symbols(f"_0:{count}", cls=sp.Dummy))
            except TypeError:
                continue
        return None
    return atom if isinstance(atom, sp.Basic) else None
