"""How a step's outcome is shown, in one table that every format reads.

>>> Status.PROVED_ASSUMING in STYLES
True
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from pgsym.report import Justification, StepReport, VerdictKind


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
    """A status as text, as a CSS class, and as a badge; ``passes`` as in the report."""

    label: str
    css: str
    badge: str
    passes: bool


STYLES = {
    Status.PROVED: Style("proved", "proved", "✅", True),
    Status.PROVED_ASSUMING: Style("proved under a stated assumption", "assumed", "☑️", True),
    Status.NUMERIC_ACCEPTED: Style("checked numerically (accepted, not proved)",
                                   "numeric-accepted", "🔢", True),
    Status.NUMERIC: Style("checked numerically only, not proved", "numeric", "🔢", False),
    Status.REFUTED: Style("refuted", "refuted", "❌", False),
    Status.UNKNOWN: Style("unknown", "unknown", "❓", False),
    Status.WRONG_JUSTIFICATION: Style("wrong justification", "wrong-justification", "❌", False),
    Status.RULE_TIMEOUT: Style("rule check timed out", "wrong-justification", "❓", False),
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
