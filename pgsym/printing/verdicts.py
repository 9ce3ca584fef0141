"""How a step's outcome is shown, in one table that every format reads.

>>> Status.PROVED_ASSUMING in STYLES
True
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from pgsym.report import Justification, Report, StepReport, VerdictKind, step_location


class Status(enum.Enum):
    """What a reader must know about a step: its verdict, and whether it passes."""

    PROVED = "proved"
    PROVED_ASSUMING = "proved under a stated assumption"
    NUMERIC_ACCEPTED = "checked numerically, accepted"
    NUMERIC = "checked numerically, not accepted"
    REFUTED = "refuted"
    UNKNOWN = "unknown"
    WRONG_JUSTIFICATION = "wrong justification"
    RULE_TIMEOUT = "rule check timed out"


@dataclass(frozen=True)
class Style:
    """A status as text, as a CSS class, as a badge, and as the small mark LaTeX sets beside
    a justification (math mode); ``passes`` as in the report."""

    label: str
    css: str
    badge: str
    passes: bool
    latex: str


STYLES = {
    Status.PROVED: Style("proved", "proved", "✅", True, r"\checkmark"),
    Status.PROVED_ASSUMING: Style("proved under a stated assumption", "assumed", "☑️", True,
                                  r"\checkmark"),
    Status.NUMERIC_ACCEPTED: Style("checked numerically (accepted, not proved)",
                                   "numeric-accepted", "🔢", True, r"\approx"),
    Status.NUMERIC: Style("checked numerically only, not proved", "numeric", "🔢", False,
                          r"\approx"),
    Status.REFUTED: Style("refuted", "refuted", "❌", False, r"\times"),
    Status.UNKNOWN: Style("unknown", "unknown", "❓", False, "?"),
    Status.WRONG_JUSTIFICATION: Style("wrong justification", "wrong-justification", "❌", False,
                                      r"\times"),
    Status.RULE_TIMEOUT: Style("rule check timed out", "wrong-justification", "❓", False, "?"),
}


def status(step: StepReport) -> Status:
    """The status of a checked step."""
    kind = step.verdict.kind
    value_holds = kind.is_proof or step.rests_on_sampling
    if value_holds and step.justification.status is Justification.TIMEOUT:
        return Status.RULE_TIMEOUT
    if value_holds and step.justification.status.fails:
        return Status.WRONG_JUSTIFICATION
    return {
        VerdictKind.PROVED: Status.PROVED,
        VerdictKind.PROVED_ASSUMING: Status.PROVED_ASSUMING,
        VerdictKind.CHECKED_NUMERICALLY: Status.NUMERIC_ACCEPTED if step.numeric_accepted
        else Status.NUMERIC,
        VerdictKind.REFUTED: Status.REFUTED,
        VerdictKind.UNKNOWN: Status.UNKNOWN,
    }[kind]


def style(step: StepReport) -> Style:
    """The style of a checked step's status."""
    return STYLES[status(step)]


def label(step: StepReport, shout: bool = False) -> str:
    """The status in words, with the extent of numeric evidence where there is some.

    ``proved``, ``checked numerically (accepted, not proved): 72 points, 0 undefined``...
    A failing step's label is in capitals where ``shout`` (the terminal's table).
    """
    text = style(step).label
    verdict = step.verdict
    if verdict.kind is VerdictKind.CHECKED_NUMERICALLY:
        text += f": {verdict.points} points, {verdict.undefined} undefined"
        if verdict.tolerance is not None:
            text += f", rel. tol. {verdict.tolerance:.0e}"
    return text.upper() if shout and not step.ok else text


def summary(reports: list[Report]) -> str:
    """Returns one closing line: how many derivations and steps hold, and how strongly.

    Steps that pass on numeric evidence (opted in) and steps proved under an assumption
    they state are counted apart, so a reader sees what the verdict rests on.
    """
    steps = [s for r in reports for s in r.steps]
    counts = {kind: sum(status(s) is kind for s in steps) for kind in Status}
    held = sum(r.ok for r in reports)
    parts = ", ".join(f"{counts[k]} {k.value}" for k in Status if counts[k])
    line = f"{held} of {len(reports)} derivations verified; {len(steps)} steps" + (
        f": {parts}" if parts else "")
    near = [step_location(r.derivation, s.number, s.step.rule) + f" ({s.seconds:.1f} s)"
            for r in reports for s in r.near_limit()]
    if near:
        line += (f"\nwarning: {len(near)} step(s) used over a quarter of their CPU time limit "
                 f"(or ran out of it) and may turn unknown on a slower machine (raise "
                 f"--time-limit): "
                 + "; ".join(near))
    return line
