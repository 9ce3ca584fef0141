"""One walk over a document, one backend per format.

:func:`render` visits the title, the summary, each section with its paragraphs,
derivations and figures, and the errata, in that order, and asks a :class:`Backend` for the
text of each; a format is a backend (``LatexBackend``, ``MarkdownBackend``, ``HtmlBackend``,
``TextBackend``), never an ``if`` on the format's name. Sentences shared by every format (an
erratum, the summary) are written once here, with the backend's inks.

>>> from pgsym.printing.text import TextBackend
>>> from pgsym.document import Document
>>> print(render(Document("T", "", (), ()), TextBackend()))
T
<BLANKLINE>
0 of 0 derivations verified; 0 steps.
<BLANKLINE>
Errata in the notes:
(none recorded)
"""
from __future__ import annotations

__all__ = ["Backend", "erratum_sentence", "heading", "render", "summary_line"]

from typing import TYPE_CHECKING

from pgsym.document import heading
from pgsym.printing.verdicts import summary

if TYPE_CHECKING:  # pragma: no cover
    from pgsym.catalog import Entry
    from pgsym.document import Document, Figure, Finding
    from pgsym.report import Report


class Backend:
    """The text of each part of a document in one format; ``render`` calls these in
    document order and joins what they return (lists of lines)."""

    # inks: how a phrase is set inside a sentence
    def text(self, text: str) -> str:
        """Prose with ``$...$`` math, escaped for the format."""
        raise NotImplementedError

    def strong(self, text: str) -> str:
        return self.text(text)

    def quote(self, text: str) -> str:
        return f"\u201c{self.text(text)}\u201d"

    def reference(self, entry: "Entry") -> str:
        """A pointer to the derivation ``entry``, by its name."""
        return self.text(entry.derivation.name)

    # parts
    def begin(self, document: "Document", summary_line: str) -> list[str]:
        raise NotImplementedError

    def section(self, title: str) -> list[str]:
        raise NotImplementedError

    def paragraph(self, text: str) -> list[str]:
        return [self.text(text), ""]

    def display(self, latex: str) -> list[str]:
        """A displayed formula (a ``$$...$$`` paragraph)."""
        raise NotImplementedError

    def derivation(self, entry: "Entry", report: "Report | None") -> list[str]:
        raise NotImplementedError

    def figure(self, figure: "Figure") -> list[str]:
        raise NotImplementedError

    def errata(self, sentences: list[str]) -> list[str]:
        raise NotImplementedError

    def end(self) -> list[str]:
        return []


def erratum_sentence(found: "Finding", ink: Backend) -> str:
    """The one sentence every format says of an erratum, in ``ink``'s format."""
    erratum = found.erratum
    return (f"{ink.strong(erratum.location)}: the notes say {ink.quote(erratum.says)}. "
            f"Correction: {ink.text(erratum.correction)}. Shown by: "
            f"{ink.reference(found.entry)} ({found.status}).")


def summary_line(document: "Document") -> str:
    """The document's summary: how many derivations and steps hold, and how strongly."""
    return summary(list(document.reports)) + "."


def render(document: "Document", backend: Backend) -> str:
    """Returns ``document`` in ``backend``'s format: the one walk every format shares."""
    from pgsym.printing.latex import declarations  # (latex.py's backend imports this module)
    out = backend.begin(document, summary_line(document))
    for section in document.sections:
        out += backend.section(section.title)
        for paragraph in section.paragraphs():
            if paragraph.startswith("$$") and paragraph.endswith("$$"):
                out += backend.display(paragraph[2:-2].strip())
            else:
                out += backend.paragraph(paragraph)
        for entry in section.entries:
            out += backend.derivation(entry, document.report(entry))
            stated = declarations(entry.derivation)
            if stated:  # (the definitions and distributions the steps read)
                out += backend.paragraph(stated)
        for figure in document.figures_of(section):
            out += backend.figure(figure)
    out += backend.errata([erratum_sentence(found, backend) for found in document.errata()])
    out += backend.end()
    return "\n".join(out)
