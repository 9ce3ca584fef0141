"""The derivation model: a start expression and a chain of steps, each tagged with its rule.

Building a derivation never verifies it; :mod:`pgsym.verify` does that.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from pgsym import rules as _rules

if TYPE_CHECKING:  # pragma: no cover
    from pgsym.verify import Report


class DerivationError(ValueError):
    """A derivation is malformed; the message names the derivation and the cause."""


class StepError(DerivationError):
    """A step is malformed; the message names the derivation, the step number and its rule."""


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``= expr`` justified by ``rule``.

    >>> import sympy as sp
    >>> Step(sp.Symbol("x"), rule="definition").rule
    'definition'
    """

    expr: sp.Expr
    rule: str
    note: str = ""
    using: tuple[tuple[sp.Basic, sp.Basic], ...] = ()

    @property
    def justification(self) -> str:
        """The text printed in the right-hand column: the rule, then the note if any."""
        return f"{self.rule}: {self.note}" if self.note else self.rule


@dataclass(frozen=True)
class Erratum:
    """A place where the notes are wrong, or right only under a condition, and what holds.

    >>> Erratum("eq. (6)", "gradient decent", "the update ascends the gradient").location
    'eq. (6)'
    """

    location: str
    says: str
    correction: str


def _undefined_functions(expr: sp.Basic) -> set[str]:
    return {type(f).__name__ for f in expr.atoms(AppliedUndef)}


def _free_names(expr: sp.Basic) -> set[sp.Symbol]:
    return set(expr.free_symbols)


@dataclass
class Derivation:
    """A chain ``start = step_1 = step_2 = ...``; each step names the rule that justifies it.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> d = Derivation("square", start=x * x).step(x**2, rule="algebra")
    >>> [s.rule for s in d.steps]
    ['algebra']
    """

    name: str
    start: sp.Expr
    definitions: Mapping[sp.Basic, sp.Expr] = field(default_factory=dict)
    parameters: tuple[sp.Symbol, ...] = ()
    equation: str = ""
    description: str = ""
    errata: tuple[Erratum, ...] = ()
    steps: tuple[Step, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise DerivationError(f"a derivation needs a non-empty name, got {self.name!r}")
        self.start = self._checked_expression(self.start, "start expression")
        definitions = {}
        for key, value in dict(self.definitions).items():
            if isinstance(key, UndefinedFunction):
                if not isinstance(value, sp.Lambda):
                    raise DerivationError(
                        f"derivation {self.name!r}: the function {key} must be defined by a "
                        f"sympy.Lambda, got {type(value).__name__}")
                definitions[key] = value
                continue
            if not isinstance(key, sp.Symbol):
                raise DerivationError(
                    f"derivation {self.name!r}: definitions must map symbols to expressions "
                    f"(or undefined functions to Lambdas), got key {key!r} of type "
                    f"{type(key).__name__}"
                )
            definitions[key] = self._checked_expression(value, f"definition of {key}")
        self.definitions = definitions
        self.parameters = tuple(self.parameters)
        self.errata = tuple(self.errata)
        self.steps = tuple(self.steps)

    # -- building -------------------------------------------------------------------------
    def step(
        self,
        expr: sp.Expr,
        *,
        rule: str,
        note: str = "",
        using: Mapping[sp.Basic, sp.Basic] | None = None,
    ) -> "Derivation":
        """Append ``= expr`` justified by ``rule``; returns the derivation so calls chain.

        Raises :class:`StepError` for anything that is not a scalar SymPy expression, an
        unknown rule, or a free symbol that neither the start nor a definition introduces.
        """
        where = step_location(self.name, len(self.steps) + 1, rule)
        try:
            known_rule = _rules.get_rule(rule)
        except KeyError as missing:
            raise StepError(f"{where}: {missing.args[0]}") from None
        if known_rule.needs_using and not using:
            raise StepError(f"{where}: this rule needs `using=` (what replaces what)")
        try:
            expr = self._checked_expression(expr, "step")
        except DerivationError as bad:
            raise StepError(f"{where}: {str(bad).split(': ', 1)[1]}") from None
        known = self._known_symbols()
        unknown_symbols = {name for name in _free_names(expr) - known
                           if not (isinstance(name, sp.Indexed) and name.base.label in known)}
        if unknown_symbols:
            names = ", ".join(sorted(map(str, unknown_symbols)))
            raise StepError(
                f"{where}: free symbol(s) {names} appear in neither the start expression nor "
                f"a definition; add them to `definitions=` or fix the step"
            )
        unknown_functions = _undefined_functions(expr) - self._known_functions()
        if unknown_functions:
            names = ", ".join(sorted(unknown_functions))
            raise StepError(
                f"{where}: function(s) {names} appear in neither the start expression nor a "
                f"definition"
            )
        pairs = tuple(dict(using or {}).items())
        for old, new in pairs:
            if not isinstance(old, sp.Basic) or not isinstance(new, sp.Basic):
                raise StepError(f"{where}: `using` must map SymPy objects to SymPy objects")
        self.steps = self.steps + (Step(expr, rule, note, pairs),)
        return self

    def _checked_expression(self, expr: object, what: str) -> sp.Expr:
        if isinstance(expr, (int, float)) and not isinstance(expr, bool):
            return sp.sympify(expr)
        if not isinstance(expr, sp.Expr):
            kind = type(expr).__name__
            hint = " (write the right-hand side only, not an equation)" if isinstance(
                expr, sp.core.relational.Relational) else ""
            raise DerivationError(
                f"derivation {self.name!r}: the {what} must be a scalar SymPy expression, "
                f"got {kind}: {expr!r}{hint}"
            )
        return expr

    def _known_symbols(self) -> set[sp.Symbol]:
        known = _free_names(self.start) | set(self.parameters)
        known |= {key for key in self.definitions if isinstance(key, sp.Symbol)}
        for value in self.definitions.values():
            known |= _free_names(value)
        return known

    def _known_functions(self) -> set[str]:
        known = _undefined_functions(self.start)
        for key, value in self.definitions.items():
            known |= _undefined_functions(value)
            if isinstance(key, UndefinedFunction):
                known.add(key.__name__)
        return known

    # -- reading --------------------------------------------------------------------------
    @property
    def expressions(self) -> tuple[sp.Expr, ...]:
        """The start expression followed by every step's expression."""
        return (self.start,) + tuple(s.expr for s in self.steps)

    @property
    def result(self) -> sp.Expr:
        """The last expression of the chain (the start if there are no steps)."""
        return self.expressions[-1]

    def unfold(self, expr: sp.Expr) -> sp.Expr:
        """Returns ``expr`` with every defined symbol and function replaced by its definition.

        >>> import sympy as sp
        >>> y, z = sp.symbols("y z")
        >>> Derivation("d", start=z, definitions={z: 2 * y, y: sp.Symbol("w")}).unfold(z)
        2*w
        """
        if not self.definitions:
            return expr
        symbols = {k: v for k, v in self.definitions.items() if isinstance(k, sp.Symbol)}
        functions = {k: v for k, v in self.definitions.items() if isinstance(k, UndefinedFunction)}
        for _ in range(len(self.definitions) + 1):
            unfolded = expr.xreplace(symbols)
            if functions:
                unfolded = unfolded.replace(
                    lambda e: isinstance(e, AppliedUndef) and e.func in functions,
                    lambda e: functions[e.func](*e.args))
            if unfolded == expr:
                return expr
            expr = unfolded
        raise DerivationError(f"derivation {self.name!r}: its definitions are circular")

    # -- conveniences that hand over to other modules ------------------------------------
    def verify(self, **options) -> "Report":
        """Verifies every step against the one before it; see :func:`pgsym.verify.verify`."""
        from pgsym.verify import verify

        return verify(self, **options)

    def to_latex(self, report: "Report | None" = None) -> str:
        """Returns the derivation as an ``align*`` block, with verdicts if a report is given."""
        from pgsym.printing.latex import derivation_to_latex

        return derivation_to_latex(self, report)

    def _repr_html_(self) -> str:
        from pgsym.printing.html import derivation_to_html

        return derivation_to_html(self)

    def _repr_latex_(self) -> str:
        from pgsym.printing.latex import derivation_to_latex

        return "$\\displaystyle " + derivation_to_latex(self, None, environment="aligned") + "$"


def step_location(derivation: str, number: int, rule: str) -> str:
    """Names a step in messages: ``derivation 'name', step 3 (chain rule)``."""
    return f"derivation {derivation!r}, step {number} ({rule})"


def require_steps(derivation: Derivation) -> None:
    """Raises :class:`DerivationError` if ``derivation`` has no steps to verify."""
    if not derivation.steps:
        raise DerivationError(
            f"derivation {derivation.name!r} has no steps: add at least one with .step(expr, rule=...)"
        )
