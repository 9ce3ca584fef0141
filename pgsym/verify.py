"""Step checking: symbolic proof first, numeric fallback, time limits, counterexamples.

Every step is compared with the one before it. The verdict is data (a
:class:`VerdictKind` plus evidence); this module never prints.
"""
from __future__ import annotations

import enum
import random
import time
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from pgsym import rules as _rules
from pgsym._deadline import TimeLimitExceeded, call_with_time_limit
from pgsym.derivation import Derivation, Step, require_steps
from pgsym.sampling import Instantiation, evaluate, instantiations, random_point

DEFAULT_TIME_LIMIT = 10.0
DEFAULT_TOLERANCE = 1e-9
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
    before: complex
    after: complex

    def describe(self) -> str:
        """Returns a one-line human-readable account of the counterexample."""
        where = ", ".join(f"{s} = {v}" for s, v in self.point) or "any point"
        with_functions = "; ".join(f"{name} = {lam}" for name, lam in self.functions)
        suffix = f" with {with_functions}" if with_functions else ""
        return (f"at {where}{suffix}: previous step = {_short(self.before)}, "
                f"this step = {_short(self.after)}")


def _short(value: complex) -> str:
    if abs(value.imag) <= 1e-12 * max(1.0, abs(value.real)):
        return f"{value.real:.10g}"
    return f"{value.real:.10g}{value.imag:+.10g}j"


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

    def failures(self) -> list[str]:
        """Returns one message per failing step, naming the derivation, step and cause."""
        messages = []
        for s in self.steps:
            if s.ok:
                continue
            where = f"derivation {self.derivation!r}, step {s.number} ({s.step.rule})"
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
           seed: int = 0) -> Report:
    """Returns the verdict of every step of ``derivation``, each against the one before.

    ``time_limit`` bounds the symbolic and the numeric phase of each step separately (in
    seconds); ``tolerance`` is the relative tolerance of numeric comparisons.

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
    for number, step in enumerate(derivation.steps, start=1):
        started = time.perf_counter()
        before, after = expressions[number - 1], expressions[number]
        verdict = compare(derivation.unfold(before), derivation.unfold(after), settings)
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
    return compare(before, after, _Settings(time_limit, tolerance, points, seed))


def compare(before: sp.Expr, after: sp.Expr, settings: _Settings) -> Verdict:
    """Symbolic proof, with a quick numeric probe first so that wrong steps fail fast."""
    try:
        values = call_with_time_limit(lambda: (before.doit(), after.doit()), settings.time_limit)
    except TimeLimitExceeded:
        return Verdict(VerdictKind.UNKNOWN, "timeout",
                       f"evaluating the steps took longer than {settings.time_limit:g} s")
    except Exception as error:  # SymPy's own failures become a readable verdict
        return Verdict(VerdictKind.UNKNOWN, "error", f"could not evaluate: {error}")
    a, b = values
    quick = _attempt(lambda: _cheap_proof(a, b), settings.time_limit)
    if quick is not None:
        return quick
    probe = _attempt(lambda: _numeric(a, b, settings, points=3, functions=1), settings.time_limit)
    if probe is not None and probe.kind is VerdictKind.REFUTED:
        return probe
    proof = _attempt(lambda: _symbolic_proof(a, b), settings.time_limit)
    if proof is not None:
        return proof
    numeric = _attempt(lambda: _numeric(a, b, settings, settings.points, functions=3),
                       settings.time_limit)
    if numeric is None:
        return Verdict(VerdictKind.UNKNOWN, "timeout",
                       f"neither proved nor checked within {settings.time_limit:g} s")
    return numeric


def _attempt(check: Callable[[], Verdict | None], seconds: float) -> Verdict | None:
    try:
        return call_with_time_limit(check, seconds)
    except TimeLimitExceeded:
        return None
    except Exception:  # a SymPy failure in one strategy just means "this strategy gave up"
        return None


def _cheap_proof(a: sp.Expr, b: sp.Expr) -> Verdict | None:
    if a == b or _rules.canonical(a) == _rules.canonical(b):
        return Verdict(VerdictKind.PROVED, "identical")
    if sp.expand(a - b) == 0:
        return Verdict(VerdictKind.PROVED, "expand")
    return None


def _symbolic_proof(a: sp.Expr, b: sp.Expr) -> Verdict | None:
    difference = a - b
    for method, transform in (("cancel", lambda e: sp.cancel(sp.together(e))),
                              ("simplify", sp.simplify)):
        if transform(difference) == 0:
            return Verdict(VerdictKind.PROVED, method)
    return None


def _differ(x: complex, y: complex, tolerance: float) -> bool:
    return abs(x - y) > tolerance * max(1.0, abs(x), abs(y))


def _numeric(a: sp.Expr, b: sp.Expr, settings: _Settings, points: int,
             functions: int) -> Verdict:
    both = a - b
    symbols = {s for s in both.free_symbols if isinstance(s, sp.Symbol)}
    rng = random.Random(settings.seed)
    checked, worst = 0, 0.0
    for instantiation in instantiations(both, functions, settings.seed):
        for _ in range(points):
            point = random_point(symbols, rng)
            x, y = evaluate(a, instantiation, point, 30), evaluate(b, instantiation, point, 30)
            if x is None or y is None:
                continue
            if _differ(x, y, settings.tolerance):
                confirmed = _confirmed_counterexample(a, b, instantiation, point, settings)
                if confirmed is not None:
                    return confirmed
                continue
            checked += 1
            worst = max(worst, abs(x - y) / max(1.0, abs(x), abs(y)))
    if checked < max(1, points * functions // 2):
        return Verdict(VerdictKind.UNKNOWN, "numeric",
                       f"only {checked} of {points * functions} sample points could be evaluated")
    return Verdict(VerdictKind.CHECKED_NUMERICALLY, "numeric",
                   f"{checked} random points, {functions} stand-in function families, "
                   f"largest relative difference {worst:.1e}",
                   tolerance=settings.tolerance, points=checked)


def _confirmed_counterexample(a: sp.Expr, b: sp.Expr, instantiation: Instantiation,
                              point: dict, settings: _Settings) -> Verdict | None:
    """Re-evaluates at higher precision so that a refutation is never a rounding artefact."""
    x, y = evaluate(a, instantiation, point, 60), evaluate(b, instantiation, point, 60)
    if x is None or y is None or not _differ(x, y, settings.tolerance):
        return None
    example = Counterexample(tuple(point.items()), instantiation.functions, x, y)
    return Verdict(VerdictKind.REFUTED, "counterexample", example.describe(),
                   counterexample=example, tolerance=settings.tolerance)
