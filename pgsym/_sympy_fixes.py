"""Corrections to SymPy that pgsym's verdicts rest on, applied when pgsym reads expressions.

SymPy says ``(-1)**(q/2)`` is imaginary for an integer ``q`` (its rule for a negative base
and a rational exponent read "not known to be an integer" as "no integer"), false at every
even q, and built ``re((-1)**(q/2))`` as 0: a false step was proved identical (hostile
review 63). Here the exponent must be known to be no integer.

>>> import sympy as sp
>>> q = sp.Symbol("q", integer=True)
>>> ((-1)**(q / 2)).is_imaginary, sp.re((-1)**(q / 2)) == 0, ((-1)**sp.S.Half).is_imaginary
(None, False, True)

SymPy called ``I*(x - 7/3)**(1/3)`` and ``cosh(log(I*p) - log(53/10))`` not real, so
nonzero, though each is 0 at one point, and a Kronecker delta of either and 0 evaluated to 0
(hostile review 65): a product is not real here only where no factor may be 0, and cosh of
a + ib only where neither sin b nor a may be 0.

SymPy's ``Subs`` compares by its expression with the variables renamed after the point's
printed form, so two substitutions at points that print alike but differ (``k`` an integer,
``k`` with no assumptions: pgsym's renamed bound variables are such pairs) are equal and
hash alike; SymPy's cache then hands back one for the other, with a stale point (hostile
review 51: a point came loose from its sum's index, a false shift was proved and true steps
refuted). Its renaming also gave two variables at one point one name: d f/dx and d f/dy at
(t, t) compared equal, and a false step was proved identical and printed as true (hostile
review 55). Here a substitution compares by its expression with each variable renamed after
its position, and by its points.

>>> import sympy as sp
>>> x, g = sp.Symbol("x"), sp.Function("g")
>>> at = lambda point: sp.Subs(sp.Derivative(g(x), x), x, point)
>>> at(sp.Symbol("k", integer=True)) == at(sp.Symbol("k")), at(sp.Symbol("k")) == at(sp.Symbol("k"))
(False, True)
>>> y, t, f = sp.Symbol("y"), sp.Symbol("t"), sp.Function("f")
>>> partial = lambda v: sp.Subs(sp.Derivative(f(x, y), v), (x, y), (t, t))
>>> partial(x) == partial(y), partial(x) == sp.Subs(sp.Derivative(f(y, x), y), (y, x), (t, t))
(False, True)
"""
from __future__ import annotations

import gc

from sympy.core import random as _sympy_random
from sympy.core.add import Add
from sympy.core.cache import clear_cache
from sympy.core.function import Function, Subs
from sympy.core.mul import Mul
from sympy.core.logic import fuzzy_or
from sympy.core.numbers import pi
from sympy.core.power import Pow
from sympy.functions.elementary.hyperbolic import cosh
from sympy.functions.elementary.integers import RoundFunction, ceiling, floor, frac
from sympy.core.symbol import Dummy, Symbol


#: the seed of the order in which SymPy derives facts (:func:`fixed_fact_order`)
FACT_ORDER_SEED = 0


def fixed_fact_order() -> None:
    """Resets the random order in which SymPy derives facts, so that it no longer depends
    on a seed drawn at start-up or on the questions asked before.

    SymPy answers a question such as ``is_real`` by deriving related facts in a random order
    (from its own generator), and some orders end where others do not: for
    ``s := T - T cos(exp(-10**10))``, T a tower of four exponentials, ``is_real`` came back
    True, raised MemoryError, or ran past its 5 s, from one run to the next (a CI run hung on
    it). Called before each question :class:`~pgsym.Derivation` asks, and before each check.
    (Python's hash seed, which orders sets, still decides some of the order: that tower is
    built, or refused with a clear message, by the seed; see tests/test_derivation.py.)

    >>> import sympy as sp
    >>> fixed_fact_order(); sp.exp(sp.Symbol("t", real=True)).is_positive
    True
    """
    _sympy_random._assumptions_rng.seed(FACT_ORDER_SEED)


class _Variable(Dummy):
    """A substitution's variable as it compares: a class of its own, so that no symbol of an
    expression (a Dummy of the same name and number: hostile review 57) is the same."""


def _hashable_content_by_position(self: Subs) -> tuple:
    # (a variable's assumptions change no value at the point: the chain rule's _u and a
    # step's real u stand for one substitution; the expression shows any they were used for.
    # Named by how many substitutions lie inside too: an inner one's first variable got the
    # outer one's name, and f(x, y) and f(y, x) both read f(v, v): hostile review 56)
    inside = len(self.expr.atoms(Subs))
    renamed = {variable: _Variable(f"v{inside}", dummy_index=position,
                                   commutative=variable.is_commutative)
               for position, variable in enumerate(self.variables)
               if isinstance(variable, Symbol)}
    return (self.expr.xreplace(renamed), self.point)


if Subs._hashable_content is not _hashable_content_by_position:  # (once, on reload too)
    Subs._hashable_content = _hashable_content_by_position


def _is_imaginary_only_for_an_exponent_known_to_be_no_integer(self: Pow) -> bool | None:
    if self.base.is_extended_real and self.exp.is_extended_real \
            and self.base.is_positive is not True and self.exp.is_rational \
            and self.exp.is_integer is None:
        return None  # ((-1)**(q/2) is -1 at q = 2, i at q = 1)
    return _sympy_is_imaginary(self)


def _real_argument_only(fact_of_a_real_argument):
    """A fact of floor, ceiling or frac known only for a real argument: of a complex one,
    floor(z) is floor(re z) + i floor(im z), which is 0 for z = i/2, and SymPy called it
    nonzero and not real (Abs(floor(x + i(x^2 + 1 - 10^-30))) > 0 was proved by signs:
    hostile review 64)."""
    def fact(self):
        return fact_of_a_real_argument(self) if self.args[0].is_extended_real else None
    fact.__name__ = f"real_argument_only_{fact_of_a_real_argument.__name__}"
    return fact


def _not_real_only_where_no_factor_may_be_0(self: Mul) -> bool | None:
    """SymPy called ``I*(x - 7/3)**(1/3)`` not real (so nonzero) for a real x: "I times a
    factor not known imaginary" is not real, forgetting the factor may be 0 (hostile review
    65: x + KroneckerDelta(that, 0) = x was proved). Not real only where every factor is
    known nonzero."""
    real = _sympy_mul_is_extended_real(self)
    if real is False and not all(factor.is_zero is False for factor in self.args):
        return None
    return real


def _cosh_is_real(self) -> bool | None:
    """cosh(a + ib) = cos b cosh a + i sin b sinh a is real where sin b = 0 or a = 0: SymPy
    read only the first (cosh(log(i p) - log(53/10)) is 0 at p = 53/10, which SymPy called
    not real, so nonzero: hostile review 65)."""
    argument = self.args[0]
    if argument.is_real or argument.is_imaginary:
        return True
    real, imaginary = argument.as_real_imag()
    return fuzzy_or([(imaginary % pi).is_zero, real.is_zero])


def _replace_handler(cls: type, fact: str, handler) -> None:
    """``handler`` for ``fact`` in ``cls`` and the classes SymPy made from it (their
    assumptions call the handlers listed when each class was made)."""
    setattr(cls, f"_eval_is_{fact}", handler)
    for made in (cls, *cls.__subclasses__()):
        if getattr(made, f"_eval_is_{fact}") is handler:
            made._prop_handler[fact] = handler


def _forget_facts_derived_before() -> None:
    """Facts SymPy worked out before the fix, kept on the objects and in SymPy's cache (a
    query ``((-1)**(q/2)).is_imaginary`` before pgsym was imported brought the false step
    back: hostile review 64), are forgotten: SymPy's cache is cleared, and every compound
    expression alive goes back to its class's facts (a symbol's declared ones are its own
    and stay)."""
    clear_cache()
    for found in gc.get_objects():
        if isinstance(found, (Pow, Mul, Add, Function)) and \
                found._assumptions is not type(found).default_assumptions:
            found._assumptions = type(found).default_assumptions


if getattr(Pow._eval_is_imaginary, "__name__", "") != \
        _is_imaginary_only_for_an_exponent_known_to_be_no_integer.__name__:  # (once)
    _sympy_is_imaginary = Pow._eval_is_imaginary
    _replace_handler(Pow, "imaginary", _is_imaginary_only_for_an_exponent_known_to_be_no_integer)
    for rounding in (RoundFunction, floor, ceiling, frac):
        for name, handler in list(vars(rounding).items()):
            if name.startswith("_eval_is_") and name != "_eval_is_finite":
                _replace_handler(rounding, name[len("_eval_is_"):], _real_argument_only(handler))
    _sympy_mul_is_extended_real = Mul._eval_is_extended_real
    _replace_handler(Mul, "extended_real", _not_real_only_where_no_factor_may_be_0)
    _replace_handler(cosh, "real", _cosh_is_real)
    _forget_facts_derived_before()
else:  # (a reload: the originals are those the first load kept)
    _sympy_is_imaginary = Pow._eval_is_imaginary.__globals__["_sympy_is_imaginary"]
    _sympy_mul_is_extended_real = \
        Mul._eval_is_extended_real.__globals__["_sympy_mul_is_extended_real"]
