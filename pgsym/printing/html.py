"""A self-contained HTML page: math as MathML, each step's verdict as a badge.

The math is the LaTeX of ``pgsym.printing.latex`` converted by latex2mathml, so the page
shows exactly the notation of the LaTeX document; browsers lay MathML out natively, so the
page needs no script and no network.
"""
from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

from latex2mathml.converter import convert

from pgsym.document import heading
from pgsym.printing import verdicts
from pgsym.printing.latex import (expression_to_latex, justification, lines, notes_by_step,
                                  printer_for, text_and_math, verdict_label, verdict_note,
                                  width)
from pgsym.printing.pipeline import Backend, render

if TYPE_CHECKING:  # pragma: no cover
    from pgsym.derivation import Derivation
    from pgsym.document import Document
    from pgsym.report import Report

_STYLE = """
body { font-family: Georgia, serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       line-height: 1.5; color: #222; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; margin-top: 2rem; }
table.derivation { border-collapse: collapse; margin: 0.5rem 0 1rem; }
table.derivation td { padding: 0.3rem 0.4rem; vertical-align: middle; }
td.lhs { text-align: right; white-space: nowrap; }
td.justification { color: #555; font-size: 0.9rem; min-width: 7rem; max-width: 18rem;
                   text-align: right; }
div.derivation { overflow-x: auto; }
.notes { font-size: 0.85rem; color: #555; }
.badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 0.8rem;
         font: 0.75rem sans-serif; white-space: nowrap; }
.badge.proved { background: #d8f3dc; color: #1b4332; }
.badge.assumed { background: #e3f2fd; color: #0d3c61; }
.badge.numeric-accepted { background: #fff3bf; color: #5c4400; }
.badge.numeric, .badge.refuted, .badge.unknown, .badge.wrong-justification { background: #ffd6d6; color: #7a0000; }
.summary { font-weight: bold; } figure { margin: 1.5rem 0; } figure img { max-width: 100%; }
td.rhs math[display="block"] { display: inline-block; margin: 0; }
"""


#: ems of math (roughly) a step's two sides may take on one row beside its justification
_ROOM = 46.0
#: how a continued line of a right side begins
_CONTINUED = r"\qquad "


def math(latex: str, *, display: bool = False) -> str:
    """Returns ``latex`` as a MathML element.

    >>> math("x^{2}")
    '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow><msup><mi>x</mi><mrow><mn>2</mn></mrow></msup></mrow></math>'
    """
    converted = convert(latex, display="block" if display else "inline")
    # latex2mathml writes \sim as an identifier "~"; it is the relation "is distributed as";
    # and the ";" of pi(a; theta) as an identifier, which no space follows
    converted = converted.replace("<mi>&#x0007E;</mi>", "<mo>&#x0223C;</mo>")
    return _OPERATOR_NAME.sub(_spaced_name, converted.replace("<mi>;</mi>",
                                                              '<mo separator="true">;</mo>'))


#: an identifier of several letters: an operator name (log, exp, sin...), which latex2mathml
#: writes without the thin spaces TeX puts around it ("a log sigma" came out "alogsigma":
#: new user 27)
_OPERATOR_NAME = re.compile(r"<mi>([A-Za-z]{2,})</mi>")
_ENDS_OF_OPERANDS = ("</mi>", "</mn>", "</msub>", "</msup>", "</msubsup>", "</mfrac>",
                     "</mrow>", "&#x00029;</mo>", "&#x0005D;</mo>")
_THIN_SPACE = '<mspace width="0.1667em"></mspace>'


def _spaced_name(found: re.Match) -> str:
    """An operator name with TeX's thin spaces: after an operand before it, and before an
    operand after it (none before a parenthesis or an operator)."""
    text, start, end = found.string, found.start(), found.end()
    left = _THIN_SPACE if text.endswith(_ENDS_OF_OPERANDS, 0, start) else ""
    right = "" if text.startswith("<mo", end) or text.startswith("</", end) else _THIN_SPACE
    return f"{left}{found.group(0)}{right}"


def _text(text: str) -> str:
    """Plain text with ``$...$`` math: the text escaped, the math as inline MathML."""
    return "".join(_inline(piece) if is_math else html.escape(piece)
                   for piece, is_math in text_and_math(text))


def _inline(latex: str) -> str:
    """Math of a note as MathML, or as its text where latex2mathml cannot read it."""
    try:
        return math(latex)
    except Exception:  # (latex2mathml's own exceptions: the math is shown as written)
        return html.escape(f"${latex}$")


def _badge(step_report) -> str:
    css = verdicts.style(step_report).css
    return f'<span class="badge {css}">{html.escape(verdict_label(step_report))}</span>'


def derivation_to_html(derivation: "Derivation", report: "Report | None" = None) -> str:
    """Returns the derivation as a table: one row per step, its right side one MathML block,
    the justification in brackets and, with a report, the verdict's badge and the note a
    verdict needs (an assumption, a counterexample)."""
    rows = []
    start = printer_for(derivation).doprint(derivation.start)  # (its column narrows the rest)
    for line in lines(derivation, report, room=max(_ROOM - width(start), _ROOM / 2)):
        # (in display style, as the right side is: new user 31 saw small limits on the left)
        left = math(line.left, display=True) if line.left else ""
        badge = _badge(line.verdict) if line.verdict is not None else ""
        first, *rest = line.pieces
        rows.append(f'<tr class="step"><td class="lhs">{left}</td>'
                    f'<td class="rhs">{math(line.relation + " " + first, display=True)}</td>'
                    f'<td class="justification">({_text(line.justification)})</td>'
                    f'<td class="verdict">{badge}</td></tr>')
        # (a long right side continues on rows of its own, as in the LaTeX: one line of it
        # pushed the justifications and badges off the page, new user 28)
        rows += [f'<tr class="continued"><td></td><td class="rhs">'
                 f'{math(_CONTINUED + piece, display=True)}</td><td></td><td></td></tr>'
                 for piece in rest]
    if not rows:
        rows.append(f'<tr class="start"><td class="rhs">{math(start, display=True)}</td></tr>')
    notes = notes_by_step((s.number, verdict_note(s, tuple(derivation.parameters)))
                          for s in (report.steps if report is not None else ()))
    listed = "".join(f"<li>{steps}: {_text(note)}</li>" for steps, note in notes)
    return ('<div class="derivation"><table class="derivation">\n' + "\n".join(rows)
            + "\n</table></div>"
            + (f'\n<ul class="notes">{listed}</ul>' if listed else ""))


def _figure(figure, folder: Path | None) -> str:
    path = folder / figure.file if folder is not None else None
    if path is None or not path.exists():
        return f"<p><em>Figure {html.escape(figure.file)} was not built.</em></p>"
    data = base64.b64encode(path.read_bytes()).decode()
    return (f'<figure><img alt="{html.escape(figure.caption)}" src="data:image/png;base64,{data}">'
            f"<figcaption>{html.escape(figure.caption)}</figcaption></figure>")


class HtmlBackend(Backend):
    """One self-contained HTML page; figures are read from ``figures_from`` and embedded."""

    def __init__(self, header: str = "", figures_from: Path | None = None):
        self.header, self.figures_from = header, figures_from
        self._open = False

    def text(self, text: str) -> str:
        return _text(text)

    def strong(self, text: str) -> str:
        return f"<strong>{_text(text)}</strong>"

    def quote(self, text: str) -> str:
        return f"&ldquo;{_text(text)}&rdquo;"

    def reference(self, entry) -> str:
        return f'<a href="#{entry.slug}">{html.escape(entry.derivation.name)}</a>'

    def _close(self) -> list[str]:
        was_open, self._open = self._open, False
        return ["</section>"] if was_open else []

    def begin(self, document, summary_line: str) -> list[str]:
        out = ["<!DOCTYPE html>"]
        if self.header:
            out.append(f"<!-- {html.escape(self.header.strip())} -->")
        out += ['<html lang="en"><head><meta charset="utf-8">',
                f"<title>{html.escape(document.title)}</title>",
                f"<style>{_STYLE}</style></head><body>", f"<h1>{html.escape(document.title)}</h1>"]
        if document.source:
            out.append(f"<p>Verified and generated by pgsym from: {html.escape(document.source)}.</p>")
        return out + [f'<p class="summary">{html.escape(summary_line)}</p>']

    def section(self, title: str) -> list[str]:
        out = self._close() + [f"<section><h2>{html.escape(title)}</h2>"]
        self._open = True
        return out

    def paragraph(self, text: str) -> list[str]:
        return [f"<p>{_text(text)}</p>"]

    def display(self, latex: str) -> list[str]:
        return [math(latex, display=True)]

    def derivation(self, entry, report) -> list[str]:
        out = [f'<h3 id="{entry.slug}">{html.escape(heading(entry))}</h3>']
        if entry.derivation.description:
            out.append(f"<p>{_text(entry.derivation.description)}</p>")
        return out + [derivation_to_html(entry.derivation, report)]

    def figure(self, figure) -> list[str]:
        return [_figure(figure, self.figures_from)]

    def errata(self, sentences: list[str]) -> list[str]:
        items = [f"<li>{s}</li>" for s in sentences] or ["<li>None recorded.</li>"]
        return self._close() + ['<section id="errata"><h2>Errata</h2><ul>', *items, "</ul></section>"]

    def end(self) -> list[str]:
        return ["</body></html>", ""]


def document_to_html(document: "Document", *, figures_from: Path | None = None,
                     header: str = "") -> str:
    """Returns the whole document as one HTML page; figures are read from ``figures_from``
    and embedded, so the page is a single file."""
    return render(document, HtmlBackend(header, figures_from))


def report_to_html(report: "Report") -> str:
    """Returns a verification report as a table: each step's right side as MathML, its rule
    and its verdict's badge, then the failures, if any (for Jupyter)."""
    rows = [f"<tr><td>{s.number}</td><td>{math('= ' + expression_to_latex(s.step.expr))}</td>"
            f"<td>({_text(justification(s.step))})</td><td>{_badge(s)}</td></tr>"
            for s in report.steps]
    failures = "".join(f"<li>{html.escape(m)}</li>" for m in report.failures())
    return (f"<div><style>{_STYLE}</style><strong>{html.escape(report.derivation)}</strong>: "
            f"{'verified' if report.ok else 'NOT verified'}"
            f'<table class="derivation">{"".join(rows)}</table>'
            + (f"<ul>{failures}</ul>" if failures else "") + "</div>")
