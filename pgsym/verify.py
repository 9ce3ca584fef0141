"""Step checking: symbolic proof first, numeric fallback, time limits, counterexamples.

Every step is compared with the one before it. The verdict is data (a
:class:`VerdictKind` plus evidence); this module never prints.
"""
from __future__ import annotations

import enum
import math
import random
import time
from dataclasses import dataclass
from typing import Callable, Collection

import sympy as sp

from pgsym import rules as _rules
from pgsym._sums import write_out
from pgsym._deadline import TimeLimitExceeded, call_with_time_limit
from pgsym.derivation import Derivation, Step, require_steps, step_location
from pgsym.sampling import (Instantiation, evaluate, instantiations, random_point,
                            sampled_symbols, with_indexed_values)

DEFAULT_TIME_LIMIT = 10.0
DEFAULT_TOLERANCE = 1e-20
# Numeric values carry this many digits, far more than the tolerance needs, so that a
# difference above the tolerance is never a rounding artefact.
_DIGITS = 40
_CONFIRM_DIGITS = 80
# No single sample point may take longer than this; a slower one is skipped.
_POINT_SECONDS = 1.0
DEFAULT_POINTS = 24


class VerdictKind(enum.Enum):
    """How strongly a step is known to hold, strongest first."""

    PROVED = "proved"
    CHECKED_NUMERICALLY = "checked numerically"
    REFUTED = "refuted"
    UNKNOWN = "unknown"

    @property
    def holds(self) -> bool:
        return self in (VerdictKind.PROVED, VerdictKind.CHECKED_NUMERICALLY)


@dataclass(frozen=True)
class Counterexample:
    """Values at which the two sides differ: the point, the stand-in functions, both values."""

    point: tuple[tuple[sp.Symbol, sp.Expr], ...]
    functions: tuple[tuple[str, sp.Lambda], ...]
    before: sp.Expr
    after: sp.Expr

    def describe(self) -> str:
        """Returns a one-line account of the counterexample, with enough digits to differ."""
        where = ", ".join(f"{s} = {v}" for s, v in self.point) or "any point"
        with_functions = "; ".join(f"{name} = {lam}" for name, lam in self.functions)
        suffix = f" with {with_functions}" if with_functions else ""
        gap = _relative_difference(self.before, self.after)
        digits = max(10, 3 + math.ceil(-math.log10(gap))) if gap > 0 else 10
        return (f"at {where}{suffix}: previous step = {sp.N(self.before, digits)}, "
                f"this step = {sp.N(self.after, digits)}")


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing a step with the one before it, with its evidence."""

    kind: VerdictKind
    method: str
    detail: str = ""
    counterexample: Counterexample | None = None
    tolerance: float | None = None
    points: int = 0


@dataclass(frozen=True)
class StepReport:
    """One step's verdict and what the check of its rule found."""

    number: int
    step: Step
    verdict: Verdict
    justification: _rules.RuleCheck
    seconds: float

    @property
    def ok(self) -> bool:
        """True when the equality holds and the rule, if checkable, was confirmed."""
        return self.verdict.kind.holds and \
            self.justification.status is not _rules.Justification.MISMATCH


@dataclass(frozen=True)
class Report:
    """Per-step verdicts of one derivation; ``ok`` only if every step holds."""

    derivation: str
    steps: tuple[StepReport, ...]
    time_limit: float
    tolerance: float

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def weakest(self) -> VerdictKind:
        """The weakest verdict of any step (the derivation is only as strong as that)."""
        order = list(VerdictKind)
        return max((s.verdict.kind for s in self.steps), key=order.index)

    def _repr_html_(self) -> str:
        from pgsym.printing.html import report_to_html

        return report_to_html(self)

    def failures(self) -> list[str]:
        """Returns one message per failing step, naming the derivation, step and cause."""
        messages = []
        for s in self.steps:
            if s.ok:
                continue
            where = step_location(self.derivation, s.number, s.step.rule)
            if not s.verdict.kind.holds:
                cause = s.verdict.kind.value
                if s.verdict.counterexample is not None:
                    cause += " " + s.verdict.counterexample.describe()
                elif s.verdict.detail:
                    cause += f": {s.verdict.detail}"
            else:
                cause = f"wrong justification: {s.justification.detail}"
            messages.append(f"{where}: {cause}")
        return messages


@dataclass(frozen=True)
class _Settings:
    time_limit: float
    tolerance: float
    points: int
    seed: int


def verify(derivation: Derivation, *, time_limit: float = DEFAULT_TIME_LIMIT,
           tolerance: float = DEFAULT_TOLERANCE, points: int = DEFAULT_POINTS,
           seed: int = 0, only: Collection[int] | None = None) -> Report:
    """Returns the verdict of every step of ``derivation``, each against the one before.

    ``time_limit`` bounds, in seconds, the check of each step's value and, separately, the
    check of its rule; ``tolerance`` is the relative tolerance of numeric comparisons.
    ``only`` restricts the report to the given step numbers (1-based); such a report
    speaks for those steps only, and its ``ok`` for them alone.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> d = Derivation("double", start=x + x).step(2 * x, rule="algebra")
    >>> verify(d).ok
    True
    """
    require_steps(derivation)
    settings = _Settings(time_limit, tolerance, points, seed)
    expressions = derivation.expressions
    results = []
    evaluated: dict[sp.Expr, sp.Expr] = {}  # each expression is evaluated once, not twice
    for number, step in enumerate(derivation.steps, start=1):
        if only is not None and number not in only:
            continue
        started = time.perf_counter()
        before, after = expressions[number - 1], expressions[number]
        verdict = _compare(derivation.unfold(before), derivation.unfold(after), settings, evaluated)
        justification = _check_rule(derivation, step, before, after, settings)
        results.append(StepReport(number, step, verdict, justification,
                                  time.perf_counter() - started))
    return Report(derivation.name, tuple(results), time_limit, tolerance)


def _check_rule(derivation: Derivation, step: Step, before: sp.Expr, after: sp.Expr,
                settings: _Settings) -> _rules.RuleCheck:
    rule = _rules.get_rule(step.rule)
    if rule.check is None:
        return _rules.RuleCheck(_rules.Justification.NOT_CHECKED,
                                f"{rule.name!r} is not a transformation; only equality is checked")
    context = _rules.RuleContext(unfold=derivation.unfold, using=step.using)
    try:
        return call_with_time_limit(lambda: rule.check(before, after, context),
                                    settings.time_limit)
    except TimeLimitExceeded:
        return _rules.RuleCheck(_rules.Justification.MISMATCH,
                                f"the rule check did not finish in {settings.time_limit:g} s")


def check_equal(before: sp.Expr, after: sp.Expr, *, time_limit: float = DEFAULT_TIME_LIMIT,
                tolerance: float = DEFAULT_TOLERANCE, points: int = DEFAULT_POINTS,
                seed: int = 0) -> Verdict:
    """Returns the verdict on ``before == after`` (no definitions, no rule).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> check_equal(sp.log(x**2), 2 * sp.log(x)).kind
    <VerdictKind.PROVED: 'proved'>
    """
    before, after = sp.sympify(before, strict=True), sp.sympify(after, strict=True)
    return _compare(before, after, _Settings(time_limit, tolerance, points, seed))


def _compare(before: sp.Expr, after: sp.Expr, settings: _Settings,
             evaluated: dict[sp.Expr, sp.Expr] | None = None) -> Verdict:
    """Returns the verdict on ``before == after`` within ``settings.time_limit`` seconds.

    A structural comparison comes first, then a quick numeric probe so that wrong steps
    fail fast, then symbolic proof (at most 60 % of the time left), then sampling.
    ``evaluated`` remembers the evaluated form of expressions already seen.
    """
    deadline = time.monotonic() + settings.time_limit
    evaluated = {} if evaluated is None else evaluated

    def evaluate_both() -> tuple[sp.Expr, sp.Expr]:
        for expr in (before, after):
            if expr not in evaluated:
                evaluated[expr] = write_out(expr).doit()
        return evaluated[before], evaluated[after]

    try:
        a, b = call_with_time_limit(evaluate_both, settings.time_limit)
    except TimeLimitExceeded:
        return _gave_up("evaluating the steps", "timeout", settings)
    except Exception as error:  # SymPy's own failures become a readable verdict
        return Verdict(VerdictKind.UNKNOWN, "error", f"could not evaluate: {error}")
    quick = _attempt(lambda: _cheap_proof(a, b), deadline)
    if isinstance(quick, Verdict):
        return quick
    probe = _attempt(lambda: _numeric(a, b, settings, 3, 1, deadline), deadline)
    if isinstance(probe, Verdict) and probe.kind is VerdictKind.REFUTED:
        return probe
    symbolic_deadline = time.monotonic() + 0.6 * max(0.0, deadline - time.monotonic())
    proof = _attempt(lambda: _symbolic_proof(a, b), symbolic_deadline)
    if isinstance(proof, Verdict):
        return proof
    numeric = _attempt(lambda: _numeric(a, b, settings, settings.points, 3, deadline), deadline)
    if isinstance(numeric, Verdict):
        return numeric
    return _gave_up("proving or sampling", numeric, settings)


def _gave_up(what: str, why: str | None, settings: _Settings) -> Verdict:
    if why and why != "timeout":
        return Verdict(VerdictKind.UNKNOWN, "error", f"{what} failed: {why}")
    return Verdict(VerdictKind.UNKNOWN, "timeout",
                   f"{what} did not finish within the time limit of {settings.time_limit:g} s")


def _attempt(check: Callable[[], Verdict | None], deadline: float) -> Verdict | str | None:
    """Returns the check's verdict, ``None`` if it found none, or why it gave up."""
    try:
        return call_with_time_limit(check, deadline - time.monotonic())
    except TimeLimitExceeded:
        return "timeout"
    except Exception as error:  # a SymPy failure in one strategy: that strategy gave up
        return f"{type(error).__name__}: {error}"


def _cheap_proof(a: sp.Expr, b: sp.Expr) -> Verdict | None:
    if a == b or _rules.canonical(a) == _rules.canonical(b):
        return Verdict(VerdictKind.PROVED, "identical")
    return None


def _symbolic_proof(a: sp.Expr, b: sp.Expr) -> Verdict | None:
    difference = a - b
    # cheapest first; expand can be slow on large rational functions that cancel settles
    for method, transform in (("cancel", lambda e: sp.cancel(sp.together(e))),
                              ("expand", sp.expand),
                              ("simplify", sp.simplify)):
        if transform(difference) == 0:
            return Verdict(VerdictKind.PROVED, method)
    return None


def _relative_difference(x: sp.Expr, y: sp.Expr) -> float:
    scale = max(sp.S.One, abs(x), abs(y))
    return float(abs(x - y) / scale)


def _differ(x: sp.Expr, y: sp.Expr, tolerance: float) -> bool:
    return _relative_difference(x, y) > tolerance


def _value_at(expr: sp.Expr, instantiation: Instantiation, point: dict, digits: int,
              deadline: float) -> sp.Expr | None:
    """The value of ``expr`` at one point, or ``None`` if it is undefined or too slow there."""
    seconds = min(_POINT_SECONDS, deadline - time.monotonic())
    try:
        return call_with_time_limit(lambda: evaluate(expr, instantiation, point, digits), seconds)
    except TimeLimitExceeded:
        return None
    except (ArithmeticError, TypeError, ValueError):
        return None


def _point(a: sp.Expr, b: sp.Expr, instantiation: Instantiation, symbols: set[sp.Symbol],
           rng: random.Random, deadline: float) -> dict | None:
    """A random point for the symbols and every indexed object, or ``None`` if too slow."""
    point = random_point(symbols, rng)
    seconds = min(_POINT_SECONDS, deadline - time.monotonic())
    try:
        return call_with_time_limit(
            lambda: with_indexed_values((a, b), instantiation, point, rng), seconds)
    except TimeLimitExceeded:
        return None
    except (ArithmeticError, TypeError, ValueError):
        return None


def _numeric(a: sp.Expr, b: sp.Expr, settings: _Settings, points: int, functions: int,
             deadline: float) -> Verdict:
    symbols = sampled_symbols(a, b)
    rng = random.Random(settings.seed)
    checked, worst = 0, 0.0
    for instantiation in instantiations(sp.Tuple(a, b), functions, settings.seed):
        for _ in range(points):
            if time.monotonic() >= deadline:
                break
            point = _point(a, b, instantiation, symbols, rng, deadline)
            if point is None:
                continue
            x = _value_at(a, instantiation, point, _DIGITS, deadline)
            y = _value_at(b, instantiation, point, _DIGITS, deadline) if x is not None else None
            if x is None or y is None:
                continue
            if _differ(x, y, settings.tolerance):
                confirmed = _confirmed_counterexample(a, b, instantiation, point, settings, deadline)
                if confirmed is not None:
                    return confirmed
                continue
            checked += 1
            worst = max(worst, _relative_difference(x, y))
    if checked < max(1, points * functions // 2):
        return Verdict(VerdictKind.UNKNOWN, "numeric",
                       f"only {checked} of {points * functions} sample points could be "
                       f"evaluated in time")
    return Verdict(VerdictKind.CHECKED_NUMERICALLY, "numeric",
                   f"{checked} random points, {functions} stand-in function families, "
                   f"largest relative difference {worst:.1e}",
                   tolerance=settings.tolerance, points=checked)


def _confirmed_counterexample(a: sp.Expr, b: sp.Expr, instantiation: Instantiation,
                              point: dict, settings: _Settings, deadline: float) -> Verdict | None:
    """Re-evaluates at higher precision so that a refutation is never a rounding artefact."""
    x = _value_at(a, instantiation, point, _CONFIRM_DIGITS, deadline)
    y = _value_at(b, instantiation, point, _CONFIRM_DIGITS, deadline)
    if x is None or y is None or not _differ(x, y, settings.tolerance):
        return None
    example = Counterexample(tuple(point.items()), instantiation.functions, x, y)
    return Verdict(VerdictKind.REFUTED, "counterexample", example.describe(),
                   counterexample=example, tolerance=settings.tolerance)
