"""Plain-text tables of verification reports, for the terminal."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from pgsym.printing import verdicts
from pgsym.printing.pipeline import Backend, erratum_sentence
from pgsym.printing.verdicts import summary
from pgsym.report import Justification, Report

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


def errata_list(document: "Document") -> str:
    """Returns the document's errata, each with the derivation showing it."""
    backend = TextBackend()
    return "\n".join(backend.errata([erratum_sentence(f, backend) for f in document.errata()]))


def report_to_text(report: Report) -> str:
    """A table with one row per step, the summary line, and why each failing step fails."""
    return "\n".join([report_table([report]), summary([report]), *report.failures()])


_PLAIN = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "theta": "θ",
          "lambda": "λ", "mu": "μ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ",
          "nabla": "∇", "partial": "∂", "sum": "Σ", "prod": "Π", "int": "∫", "sim": "~",
          "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "cdot": "·", "mid": "|",
          "lVert": "‖", "rVert": "‖", "infty": "∞", "log": "log", "exp": "exp", "to": "→",
          "quad": " ", "qquad": "  ", "approx": "≈", "times": "×", "checkmark": "✓"}


def plain_math(latex: str) -> str:
    """LaTeX math as plain text, for the terminal.

    >>> plain_math(r"\\mathbb{E}_{x \\sim p}\\left[\\nabla_{\\theta} \\log p\\right] = \\frac{a}{b}")
    'E_{x ~ p}[∇_θ log p] = (a)/(b)'
    """
    text = re.sub(r"\\mathbb\{(\w)\}", r"\1", latex)
    text = re.sub(r"\\(left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])\.?", "", text)
    for _ in range(3):
        text = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)", text)
    text = re.sub(r"\\([A-Za-z]+)(?![A-Za-z])", lambda m: _PLAIN.get(m.group(1), m.group(1)), text)
    text = re.sub(r"_\{(\S)\}", r"_\1", text)
    return re.sub(r"_\{([^{}]*)\}", r"_{\1}", text).replace("\\,", " ")


def plain_text(text: str) -> str:
    """Prose with ``$...$`` math as plain text."""
    pieces = text.split("$")
    return "".join(plain_math(p) if i % 2 else p for i, p in enumerate(pieces))


class TextBackend(Backend):
    """Plain text for a terminal: the math as readable text, verdicts in words."""

    def text(self, text: str) -> str:
        return plain_text(text)

    def quote(self, text: str) -> str:
        return f'"{plain_text(text)}"'

    def begin(self, document, summary_line: str) -> list[str]:
        return [document.title, "", summary_line, ""]

    def section(self, title: str) -> list[str]:
        return [title, "=" * len(title), ""]

    def display(self, latex: str) -> list[str]:
        return ["    " + plain_math(latex), ""]

    def derivation(self, entry, report) -> list[str]:
        from pgsym.document import heading
        from pgsym.printing.latex import lines, verdict_label

        out = [heading(entry), ""]
        if entry.derivation.description:
            out += [plain_text(entry.derivation.description), ""]
        for line in lines(entry.derivation, report, room=10**6):
            if line.left:
                out.append("    " + plain_math(line.left))
            verdict = f" [{verdict_label(line.verdict)}]" if line.verdict is not None else ""
            out.append(f"      {plain_math(line.relation)} {plain_math(line.right)}"
                       f"    ({plain_text(line.justification)}){verdict}")
        return out + [""]

    def figure(self, figure) -> list[str]:
        return [f"[figure {figure.file}: {plain_text(figure.caption)}]", ""]

    def errata(self, sentences: list[str]) -> list[str]:
        return ["Errata in the notes:", *([f"- {s}" for s in sentences] or ["(none recorded)"])]


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
