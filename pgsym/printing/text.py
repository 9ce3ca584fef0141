"""Plain-text tables of verification reports, for the terminal."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pgsym.printing import verdicts
from pgsym.report import Justification, Report, step_location

if TYPE_CHECKING:  # pragma: no cover
    from pgsym.document import Document

_RULE_CHECKS = {
    Justification.CONFIRMED: "rule confirmed",
    Justification.MISMATCH: "RULE MISMATCH",
    Justification.NOT_CHECKED: "equality only",
    Justification.TIMEOUT: "RULE CHECK TIMED OUT",
}


def report_table(reports: list[Report], equations: dict[str, str] | None = None) -> str:
    """Returns a table with one row per step: derivation, step, rule, verdict, rule check, time.

    >>> report_table([]).splitlines()[0].split()[:2]
    ['derivation', 'step']
    """
    equations = equations or {}
    header = ("derivation", "step", "rule", "verdict", "rule check", "cpu")
    rows = []
    for report in reports:
        label = report.derivation
        if equations.get(report.derivation):
            label += f" ({equations[report.derivation]})"
        for s in report.steps:
            rows.append((label if s.number == 1 else "", str(s.number), s.step.rule,
                         verdicts.label(s, shout=True), _RULE_CHECKS[s.justification.status],
                         f"{s.seconds:.2f}s"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(row) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *map(line, rows)])


def summary(reports: list[Report]) -> str:
    """Returns one closing line: how many derivations and steps hold, and how strongly.

    Steps that pass on numeric evidence (opted in) and steps proved under an assumption
    they state are counted apart, so a reader sees what the verdict rests on.
    """
    steps = [s for r in reports for s in r.steps]
    counts = {status: sum(verdicts.status(s) is status for s in steps) for status in verdicts.Status}
    held = sum(r.ok for r in reports)
    parts = ", ".join(f"{counts[k]} {k.value}" for k in verdicts.Status if counts[k])
    line = f"{held} of {len(reports)} derivations verified; {len(steps)} steps: {parts}"
    near = [step_location(r.derivation, s.number, s.step.rule) + f" ({s.seconds:.1f} s)"
            for r in reports for s in r.near_limit()]
    if near:
        line += (f"\nwarning: {len(near)} step(s) used over a quarter of their CPU time limit "
                 f"and may turn unknown on a slower machine (raise --time-limit): "
                 + "; ".join(near))
    return line


def errata_list(document: "Document") -> str:
    """Returns the document's errata, each with the derivation showing it."""
    lines = ["Errata in the notes:"]
    for found in document.errata():
        lines.append(f"- {found.erratum.location}: the notes say \"{found.erratum.says}\".")
        lines.append(f"  Correction: {found.erratum.correction}.")
        lines.append(f"  Shown by: {found.entry.derivation.name} ({found.status}).")
    if len(lines) == 1:
        lines.append("(none recorded)")
    return "\n".join(lines)


def checks_table(results: list) -> str:
    """Returns one row per numerical check (``pgsym.checks.CheckResult``) and a summary line.

    >>> from pgsym.checks import CheckResult
    >>> print(checks_table([CheckResult("x = y", 1e-9, 1e-6, "N=3")]))  # doctest: +NORMALIZE_WHITESPACE
    check  measured  bound    result  case
    x = y  1.0e-09   1.0e-06  ok      N=3
    <BLANKLINE>
    1 of 1 checks passed
    """
    header = ("check", "measured", "bound", "result", "case")
    rows = [(r.name, f"{r.measured:.1e}", f"{r.bound:.1e}", "ok" if r.passed else "FAILED", r.detail)
            for r in results]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = ["  ".join([*(str(c).ljust(w) for c, w in zip(row, widths)), row[-1]]).rstrip()
             for row in [header, *rows]]
    passed = sum(r.passed for r in results)
    return "\n".join(lines) + f"\n\n{passed} of {len(results)} checks passed"
