"""Verdicts and reports: plain data that every printer reads and no printer computes.

A step *passes* only when it is proved, or proved under an assumption the step states; a
step that was only checked numerically passes only where the user opted in, visibly.

>>> Verdict(VerdictKind.PROVED, "cancel").kind.is_proof
True
>>> Verdict(VerdictKind.CHECKED_NUMERICALLY, "numeric").kind.is_proof
False
"""
from __future__ import annotations

import enum
import importlib
import math
from dataclasses import dataclass
from typing import Callable

import sympy as sp


class VerdictKind(enum.Enum):
    """How strongly a step is known to hold, strongest first."""

    PROVED = "proved"
    PROVED_ASSUMING = "proved under a stated assumption"
    CHECKED_NUMERICALLY = "checked numerically"
    REFUTED = "refuted"
    UNKNOWN = "unknown"

    @property
    def is_proof(self) -> bool:
        """True for the verdicts that let a step pass without any opt-in."""
        return self in (VerdictKind.PROVED, VerdictKind.PROVED_ASSUMING)


class Justification(enum.Enum):
    """What the check of a step's rule found."""

    CONFIRMED = "confirmed"
    MISMATCH = "mismatch"
    NOT_CHECKED = "not checked"
    TIMEOUT = "timeout"

    @property
    def fails(self) -> bool:
        """True when the rule check makes the step fail."""
        return self in (Justification.MISMATCH, Justification.TIMEOUT)


@dataclass(frozen=True)
class RuleCheck:
    """The outcome of checking that a rule links two expressions, with an explanation."""

    status: Justification
    detail: str = ""
    #: ``(text, typeset)`` for the formulas the detail shows: ``text`` a piece of the detail
    #: (a formula with the words around it), ``typeset`` the same with the formula as
    #: ``$latex$``, for the published notes (plain strings: a check's outcome reaches the
    #: parent process as text, with no SymPy object to rebuild there)
    typeset: tuple[tuple[str, str], ...] = ()

    def detail_with(self, latex: bool) -> str:
        """The detail, with ``latex`` each formula it shows as ``$...$`` LaTeX.

        >>> RuleCheck(Justification.MISMATCH, "x gives x**2, not x",
        ...           (("gives x**2, not", "gives $x^{2}$, not"),)).detail_with(True)
        'x gives $x^{2}$, not x'
        """
        detail = self.detail
        if latex:
            for text, typeset in self.typeset:
                detail = detail.replace(text, typeset, 1)
        return detail


#: turns an expression into the LaTeX of a published note
MathPrinter = Callable[[sp.Basic], str]


@dataclass(frozen=True)
class Counterexample:
    """Values at which the two sides differ: the point, the stand-in functions, both values
    (as numbers carrying enough digits to differ) and their difference."""

    point: tuple[tuple[sp.Basic, sp.Expr], ...]
    functions: tuple[tuple[str, sp.Lambda], ...]
    before: sp.Expr
    after: sp.Expr
    difference: sp.Expr | None = None

    @classmethod
    def at(cls, point: dict, functions: tuple, before: sp.Expr, after: sp.Expr) -> "Counterexample":
        """The counterexample with the values of ``before`` and ``after`` (exact expressions)
        evaluated to as many digits as it takes to see them differ (at most
        :data:`MAX_SHOWN_DIGITS`; the difference is always shown)."""
        gap = relative_difference(before, after)
        digits = max(10, 3 + math.ceil(-math.log10(gap))) if 0 < gap < 1 else 10
        digits = min(digits, MAX_SHOWN_DIGITS)
        return cls(tuple(point.items()), tuple(functions), sp.N(before, digits),
                   sp.N(after, digits), sp.N(before - after, 10, maxn=2000))

    def describe(self, latex: MathPrinter | None = None) -> str:
        """Returns a one-line account of the counterexample; with ``latex``, its symbols and
        values as ``$...$`` formulas, for a published note.

        >>> x = sp.Symbol("x")
        >>> example = Counterexample.at({x: sp.Integer(2)}, (), sp.Integer(4), sp.Integer(5))
        >>> example.describe()
        'at x = 2: previous step = 4.000000000, this step = 5.000000000 (difference -1.000000000)'
        >>> example.describe(sp.latex)
        'at $x = 2$: previous step $= 4.0$, this step $= 5.0$ (difference $-1.0$)'
        """
        if latex is None:
            where = ", ".join(f"{s} = {_shown_value(v)}" for s, v in self.point)
            functions = "; ".join(f"{name} = {lam}" for name, lam in self.functions)
            before, after = f"= {self.before}", f"= {self.after}"
            difference = str(self.difference)
        else:
            where = ", ".join(f"${latex(s)} = {_shown_value(v, latex)}$" for s, v in self.point)
            functions = "; ".join(f"${name} = {latex(lam)}$" for name, lam in self.functions)
            before, after = f"$= {latex(self.before)}$", f"$= {latex(self.after)}$"
            difference = f"${latex(self.difference)}$" if self.difference is not None else ""
        where = where or "any point"
        suffix = f" with {functions}" if functions else ""
        difference = f" (difference {difference})" if self.difference is not None else ""
        return f"at {where}{suffix}: previous step {before}, this step {after}{difference}"


def _shown_value(value: sp.Expr, latex: MathPrinter | None = None) -> str:
    """A point's exact value, followed by its decimal value where the exact one is hard to
    read (a fraction with a large denominator, an irrational number); with ``latex``, as
    LaTeX.

    >>> _shown_value(sp.Rational(551585301, 301358431))
    '551585301/301358431 (≈ 1.830330)'
    >>> print(_shown_value(sp.Rational(551585301, 301358431), sp.latex))
    \\frac{551585301}{301358431} \\approx 1.83033
    >>> _shown_value(sp.Rational(3, 2))
    '3/2'
    """
    readable = value.is_Integer or (value.is_Rational and value.q <= 100) or \
        not value.is_number or value.is_extended_real is not True or not value.is_finite
    if latex is not None:
        return latex(value) if readable else rf"{latex(value)} \approx {latex(sp.N(value, 7))}"
    return str(value) if readable else f"{value} (≈ {sp.N(value, 7)})"


#: digits of the values a counterexample shows (the difference is shown besides)
MAX_SHOWN_DIGITS = 60
#: share of its CPU time a step's check may use before the report warns that it is near
NEAR_LIMIT = 0.25


def step_location(derivation: str, number: int, rule: str) -> str:
    """Names a step in messages: ``derivation 'name', step 3 (chain rule)``."""
    return f"derivation {derivation!r}, step {number} ({rule})"


def relative_difference(x: sp.Expr, y: sp.Expr) -> float:
    """``|x - y| / max(1, |x|, |y|)`` as a float (0.0 when it underflows), for numbers given
    exactly or approximately; the difference is evaluated with adaptive precision.

    >>> relative_difference(sp.Integer(3), sp.Integer(1))
    0.6666666666666666
    """
    gap = abs(complex(sp.N(x - y, 15, maxn=2000)))
    scale = max(1.0, abs(complex(sp.N(x, 15))), abs(complex(sp.N(y, 15))))
    return gap / scale


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing a step with the one before it, with its evidence.

    ``undefined`` counts the sample points where a side had no value (a pole, a branch
    point, an evaluation that did not finish); ``assumption`` is the stated condition a
    ``PROVED_ASSUMING`` verdict rests on.
    """

    kind: VerdictKind
    method: str
    detail: str = ""
    counterexample: Counterexample | None = None
    tolerance: float | None = None
    points: int = 0
    undefined: int = 0
    assumption: str = ""


@dataclass(frozen=True)
class StepReport:
    """One step's verdict, what the check of its rule found, and whether numbers may do."""

    number: int
    #: the :class:`pgsym.derivation.Step` checked (a report names no type above it)
    step: object
    verdict: Verdict
    justification: RuleCheck
    seconds: float
    numeric_accepted: bool = False

    @property
    def rests_on_sampling(self) -> bool:
        """True when the step passes on numeric evidence alone (the user opted in)."""
        return self.verdict.kind is VerdictKind.CHECKED_NUMERICALLY and self.numeric_accepted

    @property
    def ok(self) -> bool:
        """True when the step is proved (or checked numerically, opted in) and its rule,
        if checkable, was confirmed."""
        value_holds = self.verdict.kind.is_proof or self.rests_on_sampling
        return value_holds and not self.justification.status.fails

    def cause(self, latex: MathPrinter | None = None) -> str:
        """Why the step fails, in words (empty when it passes); with ``latex``, its formulas
        (a counterexample's values, what a rule gives) as ``$...$`` LaTeX, for a published
        note."""
        if self.ok:
            return ""
        verdict = self.verdict
        numeric = verdict.kind is VerdictKind.CHECKED_NUMERICALLY
        rule_detail = self.justification.detail_with(latex is not None)
        if self.justification.status.fails and (verdict.kind.is_proof or numeric):
            # (a value only checked numerically: opting in would not make the step pass,
            # so the justification is what to fix)
            if self.justification.status is Justification.TIMEOUT:
                cause = f"rule check timed out: {rule_detail}"
            else:
                cause = f"wrong justification: {rule_detail}"
            if numeric and not self.numeric_accepted:
                cause += f"; and the value is only checked numerically ({verdict.detail})"
            return cause
        if verdict.kind is VerdictKind.CHECKED_NUMERICALLY:
            return (f"only checked numerically ({verdict.detail}); numeric evidence is not "
                    f"proof: opt in with accept='numeric' on the step or --accept-numeric")
        cause = verdict.kind.value
        if verdict.counterexample is not None:
            cause += " " + verdict.counterexample.describe(latex)
        elif verdict.detail:
            cause += f": {verdict.detail}"
        if self.justification.status.fails:
            cause += f"; and the rule check: {rule_detail}"
        return cause


@dataclass(frozen=True)
class Report:
    """Per-step verdicts of one derivation; ``ok`` only if every step passes."""

    derivation: str
    steps: tuple[StepReport, ...]
    time_limit: float
    tolerance: float
    accept_numeric: bool = False
    #: a digest of the derivation verified (its start, definitions, ranges and steps), so
    #: that the report is not taken for another of the same name and steps (pgsym.compile)
    fingerprint: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def weakest(self) -> VerdictKind:
        """The weakest verdict of any step (the derivation is only as strong as that)."""
        order = list(VerdictKind)
        return max((s.verdict.kind for s in self.steps), key=order.index)

    def resting_on_sampling(self) -> list[StepReport]:
        """The steps that pass only because numeric evidence was accepted for them."""
        return [s for s in self.steps if s.rests_on_sampling]

    def assumptions(self) -> list[StepReport]:
        """The steps proved under an assumption they state."""
        return [s for s in self.steps if s.verdict.kind is VerdictKind.PROVED_ASSUMING]

    def near_limit(self) -> list[StepReport]:
        """The steps whose check used more than :data:`NEAR_LIMIT` of the CPU time it may use
        (the rule check and the value check each have ``time_limit``): on a slower machine
        they may not finish, so their verdict could turn ``unknown``; and those that ran out
        of it (a phase's share of it: their verdict depends on the machine's speed)."""
        return [s for s in self.steps if s.seconds > NEAR_LIMIT * 2 * self.time_limit
                or s.verdict.method == "timeout"]

    def _repr_html_(self) -> str:
        return _printer("html", "report_to_html")(self)

    def __str__(self) -> str:
        """A table with one row per step, the summary line, and why each failing step fails
        (``print(report)``)."""
        return _printer("text", "report_to_text")(self)

    def failures(self) -> list[str]:
        """Returns one message per failing step, naming the derivation, step and cause."""
        return [f"{step_location(self.derivation, s.number, s.step.rule)}: {s.cause()}"
                for s in self.steps if not s.ok]


def _printer(module: str, name: str):
    """A printer's function, looked up when a report is shown: reports are data that the
    printers read, so this module imports none of them."""
    return getattr(importlib.import_module(f"pgsym.printing.{module}"), name)
