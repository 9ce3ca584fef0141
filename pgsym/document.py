"""The verified document: the notes' sections, each with its derivations and their reports.

Every output format (``pgsym.printing.latex``, ``.markdown``, ``.html``) prints the same
``Document``; ``pgsym.publish`` writes them.

>>> from pgsym.catalog import Entry
>>> import sympy as sp
>>> from pgsym import Derivation
>>> x = sp.Symbol("x")
>>> entry = Entry("m", Derivation("double", start=x + x).step(2 * x, rule="algebra"))
>>> document = assemble([entry], [entry.derivation.verify()], title="T")
>>> [s.title for s in document.sections], document.ok
(['Derivations'], True)
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from pgsym.catalog import Entry
from pgsym.derivation import DerivationError, Erratum
from pgsym.report import Report


#: the text width, in cm, of the notes' own document, which the printers' defaults fit
NOTES_WIDTH_CM = 17.0


@dataclass(frozen=True)
class Section:
    """A section of the document: a title, a short text, the derivations it shows.

    The text is plain prose with ``$...$`` math; a paragraph written ``$$...$$`` is displayed.
    """

    title: str
    text: str
    entries: tuple[Entry, ...] = ()

    def paragraphs(self) -> list[str]:
        """The text's paragraphs, each on one line."""
        return [" ".join(p.split()) for p in self.text.strip().split("\n\n") if p.strip()]


@dataclass(frozen=True)
class Figure:
    """A figure written beside the document, shown at the end of a section."""

    file: str
    caption: str
    section: str


@dataclass(frozen=True)
class Document:
    """Sections of verified derivations, the reports that verified them, figures, errata."""

    title: str
    source: str
    sections: tuple[Section, ...]
    reports: tuple[Report, ...]
    figures: tuple[Figure, ...] = ()
    #: the text width, in cm, of the paper each derivation's fragment is for (the package's
    #: ``FRAGMENT_WIDTH_CM``; the notes' own by default): its lines are broken to fit it
    fragment_width_cm: float = NOTES_WIDTH_CM

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.reports)

    def report(self, entry: Entry) -> Report | None:
        """The report of ``entry``'s derivation, if it was verified."""
        return next((r for r in self.reports if r.derivation == entry.derivation.name), None)

    def figures_of(self, section: Section) -> list[Figure]:
        return [f for f in self.figures if f.section == section.title]

    def errata(self) -> list[Finding]:
        """Every erratum, with the entry whose derivation shows it, in document order."""
        findings = []
        for section in self.sections:
            for entry in section.entries:
                report = self.report(entry)
                findings += [Finding(erratum, entry, report is not None and report.ok)
                             for erratum in entry.derivation.errata]
        return findings


@dataclass(frozen=True)
class Finding:
    """An erratum, the entry whose derivation shows it, and whether that derivation verified."""

    erratum: Erratum
    entry: Entry
    verified: bool

    @property
    def status(self) -> str:
        return "verified" if self.verified else "NOT verified"


def heading(entry: Entry) -> str:
    """A derivation's title in every format: its name and the place in the notes it covers."""
    equation = entry.derivation.equation
    return entry.derivation.name + (f" ({equation})" if equation else "")


def assemble(entries: list[Entry], reports: list[Report], *, package: str | None = None,
             title: str | None = None, figures: tuple[Figure, ...] = ()) -> Document:
    """Returns the document of ``entries`` laid out by ``package``'s ``OUTLINE``.

    A package without an outline gets one section holding every derivation; derivations the
    outline does not place go into a last section, so none is left out.
    """
    module = importlib.import_module(package) if package else None
    outline = getattr(module, "OUTLINE", ())
    by_module: dict[str, list[Entry]] = {}
    for entry in entries:
        by_module.setdefault(entry.module_name, []).append(entry)
    sections = []
    for heading, text, modules in outline:
        unknown = [m for m in modules if m not in by_module]
        if unknown:
            raise DerivationError(f"{package}.OUTLINE, section {heading!r}: no derivations "
                                  f"from {', '.join(unknown)} (a module named twice, or none "
                                  f"such in {package})")
        sections.append(Section(heading, text, tuple(e for m in modules for e in by_module.pop(m, []))))
    rest = tuple(e for group in by_module.values() for e in group)
    if rest:
        sections.append(Section("Derivations" if not outline else "Other derivations", "", rest))
    width = getattr(module, "FRAGMENT_WIDTH_CM", NOTES_WIDTH_CM)
    if isinstance(width, bool) or not isinstance(width, (int, float)) or not 6 <= width <= 40:
        raise DerivationError(f"{package}.FRAGMENT_WIDTH_CM must be the text width of your "
                              f"paper in cm, a number from 6 to 40 (12.2 for LaTeX's article "
                              f"at 10 pt), got {width!r}")
    return Document(title or getattr(module, "TITLE", "Verified derivations"),
                    getattr(module, "SOURCE", ""), tuple(sections), tuple(reports), figures,
                    float(width))
