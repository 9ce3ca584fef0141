"""How a derivation is written: the notation its author declares, read by every printer.

A derivation keeps one notation throughout; the defaults print the usual conventions of
papers (``\\nabla_\\theta`` for the gradient by a parameter, ``\\partial / \\partial
\\theta_{ij}`` for a component, one kind of derivative for everything else, justifications
in a right-aligned column), so most derivations declare nothing.

>>> Notation(conditional={"pi": 1}).merge(derivative="partial").derivative
'partial'
>>> Notation(justifications="footnotes")  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
    ...
NotationError: Notation: justifications must be one of 'column', 'numbered', got 'footnotes'
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Mapping

import sympy as sp

#: what ``derivative`` may say: ``auto`` chooses one kind for the whole derivation
#: (``\partial`` where some differentiated expression depends on more than one symbol,
#: else ``d``)
DERIVATIVES = ("auto", "total", "partial")
#: how a function's parameters are set apart from its arguments: ``p(x; \theta)`` or
#: ``p_\theta(x)``
PARAMETER_STYLES = ("semicolon", "subscript")
#: where justifications go: a right-aligned ``(chain rule)`` column beside each step, or
#: numbered tags ``(1)``, ``(2)`` explained in a legend under the derivation
JUSTIFICATIONS = ("column", "numbered")


class NotationError(ValueError):
    """A notation is declared wrongly; the message names the field."""


class NotationWarning(UserWarning):
    """A notation declares something a derivation does not have (a conditional for a
    function it has nowhere), which printing therefore ignores."""


def _frozen(mapping: Mapping | None, what: str, check) -> Mapping:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise NotationError(f"Notation: {what} must be a dict, got {type(mapping).__name__}")
    for key, value in mapping.items():
        check(key, value)
    return dict(mapping)  # a copy: the caller's dict may change later


@dataclass(frozen=True)
class Notation:
    """The notation of one derivation.

    ``conditional``: functions written with a bar, by name, and how many arguments stand
    before it: ``{"pi": 1}`` prints ``pi(a, s)`` as ``\\pi(a \\mid s)``; or which arguments
    (counted from 1) stand before and after it: ``{"pi": "2|1"}`` prints ``pi(s, a)`` as
    ``\\pi(a \\mid s)``. ``"k|m"`` that does not name every argument once counts them
    instead, k before the bar and m after it where k + m is their number: ``{"P": "1|2"}``
    prints ``P(s', s, a)`` as ``P(s' \\mid s, a)``. Parameters are not counted. Printing
    raises a NotationError where a declaration does not fit the arguments of a function
    it prints, and warns where it names no function of the derivation.
    ``sums``: names for sums over several variables, by their variables' names joined with
    commas: ``{"s_0,a_0,s_1,a_1": "\\tau"}`` prints that sum as ``\\sum_{\\tau}``. A sum over
    several variables that is not named shows its ranges the first time and only its
    variables after that.
    ``break_after``: where a wide step's right side is broken, by step number: after that
    many of its top-level terms (``{3: 2}``). Without a hint a step too wide for the page is
    broken before a top-level ``+`` or ``-`` wherever it needs to be.
    """

    derivative: str = "auto"
    gradient: bool = True
    conditional: Mapping[str, int | str] = field(default_factory=dict)
    parameters: str = "semicolon"
    sums: Mapping[str, str] = field(default_factory=dict)
    justifications: str = "column"
    break_after: Mapping[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, allowed in (("derivative", DERIVATIVES), ("parameters", PARAMETER_STYLES),
                              ("justifications", JUSTIFICATIONS)):
            value = getattr(self, name)
            if value not in allowed:
                raise NotationError(f"Notation: {name} must be one of "
                                    f"{', '.join(map(repr, allowed))}, got {value!r}")
        if not isinstance(self.gradient, bool):
            raise NotationError(f"Notation: gradient must be True or False, got {self.gradient!r}")

        def count(key, value):
            side = r"[1-9]\d*(,[1-9]\d*)*"  # positions count from 1
            pattern = isinstance(value, str) and re.fullmatch(rf"{side}\|{side}", value)
            if not isinstance(key, str) or not (pattern or isinstance(value, int) and value >= 1):
                raise NotationError(f"Notation: conditional maps a function's name to the "
                                    f"number of arguments before the bar (1 or more), or to "
                                    f"their positions before and after it ('2|1'), got "
                                    f"{key!r}: {value!r}")

        def name(key, value):
            if not isinstance(key, str) or not isinstance(value, str) or not value.strip():
                raise NotationError(f"Notation: sums maps variables' names ('i,c') to the "
                                    f"LaTeX shown under the sum, got {key!r}: {value!r}")

        def place(key, value):
            if not isinstance(key, int) or not isinstance(value, int) or key < 1 or value < 1:
                raise NotationError(f"Notation: break_after maps a step number to the number "
                                    f"of top-level terms before the break, got {key!r}: {value!r}")

        object.__setattr__(self, "conditional", _frozen(self.conditional, "conditional", count))
        object.__setattr__(self, "sums", _frozen(
            {",".join(k.replace(" ", "").split(",")): v for k, v in dict(self.sums).items()}
            if isinstance(self.sums, Mapping) else self.sums, "sums", name))
        object.__setattr__(self, "break_after", _frozen(self.break_after, "break_after", place))

    def name_of_sum(self, total: sp.Basic) -> str | None:
        """The LaTeX ``sums`` gives a sum over several variables (printed under it in place of
        its ranges), or None."""
        if not isinstance(total, sp.Sum) or len(total.limits) < 2:
            return None
        return self.sums.get(",".join(limit[0].name for limit in total.limits))

    def merge(self, **overrides) -> "Notation":
        """This notation with some fields replaced."""
        return dataclasses.replace(self, **overrides)

    @classmethod
    def of(cls, value: "Notation | Mapping | None") -> "Notation":
        """``value`` as a Notation: a Notation, a dict of its fields, or None (the default)."""
        if value is None:
            return cls()
        if isinstance(value, Notation):
            return value
        if isinstance(value, Mapping):
            unknown = sorted(set(value) - {f.name for f in dataclasses.fields(cls)})
            if unknown:
                raise NotationError(f"Notation: no field {unknown[0]!r}; the fields are "
                                    f"{', '.join(f.name for f in dataclasses.fields(cls))}")
            return cls(**value)
        raise NotationError(f"notation must be a pgsym.Notation or a dict, got "
                            f"{type(value).__name__}")


def primed_name(name: str) -> tuple[str, str] | None:
    """``name`` as the name before its closing primes and the primes, where it ends with
    primes and has no subscript or superscript before them (``phi'``: ``("phi", "'")``);
    else None. SymPy does not read such a name's letters (it prints ``phi'`` as the
    letters phi'), so printers print the rest and add the primes."""
    base = name.rstrip("'")
    if base and base != name and not re.search(r"[_^]", base):
        return base, name[len(base):]
    return None


def symbol_latex(name: str) -> str:
    """How a symbol named ``name`` prints: as SymPy prints it, except that the primes ending
    a name (:func:`primed_name`) follow the letter SymPy prints for the rest (``phi'`` is
    ``\\phi'``, which SymPy printed as the letters phi': new user 18).

    >>> print(symbol_latex("phi'"), symbol_latex("x''"), symbol_latex("theta_t'"))
    \\phi' x'' \\theta_{t'}
    """
    primed = primed_name(name)
    if primed is not None:
        return sp.latex(sp.Symbol(primed[0])) + primed[1]
    return sp.latex(sp.Symbol(name))
