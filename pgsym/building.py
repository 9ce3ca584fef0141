"""The build as a library function, ``pgsym.build``: verify a package's derivations, write
the document and the kernels it declares, and return what happened.

``pgsym build`` is this function with its arguments parsed and its result printed. (The
module is not called ``build``: importing it would hide the function ``pgsym.build``.)

>>> import inspect
>>> list(inspect.signature(build).parameters)[:3]
['package', 'out', 'settings']
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pgsym import catalog
from pgsym.document import Document, assemble
from pgsym.report import Report


@dataclass(frozen=True)
class BuildResult:
    """What a build did: the document (with its reports), where it went, the files it
    changed, the PDF and the kernels' file where it wrote them."""

    document: Document
    out: Path
    changed: tuple[Path, ...]
    pdf: Path | None = None
    kernels: Path | None = None
    #: True when the kernels' file was rewritten (False: it was up to date)
    kernels_written: bool = False
    #: the kernels' file of each backend the package declares (NumPy's is ``kernels``), and
    #: those rewritten
    kernel_files: tuple[Path, ...] = ()
    kernels_changed: tuple[Path, ...] = ()
    #: why the kernels were not written, if they were declared and not written
    kernels_error: str = ""
    entries: tuple[catalog.Entry, ...] = field(default=(), repr=False)

    @property
    def reports(self) -> tuple[Report, ...]:
        return self.document.reports

    @property
    def ok(self) -> bool:
        """True when every derivation verified and every declared output was written."""
        return self.document.ok and not self.kernels_error


def _quiet(message: str) -> None:
    """The default progress: say nothing."""


def build(package: str = "derivations", out: Path | None = None, settings=None, *,
          pdf: bool = False, figures: bool = True, kernels: Path | None = None,
          progress: Callable[[str], None] = _quiet,
          on_verified: Callable[[list[catalog.Entry], list[Report]], None] | None = None,
          on_done: Callable[[int], None] | None = None, cache=None) -> BuildResult:
    """Verifies every derivation of ``package``, writes its document into ``out`` (default:
    the package's ``generated/`` folder) and the NumPy kernels it declares (``KERNELS``) into
    ``kernels`` (default: the file the declaration names), those for its other backends
    beside them (:func:`pgsym.codegen.backend_file`); returns a :class:`BuildResult`.

    Declarations (figures, kernels) are checked before the minute verification takes: a
    wrong one raises :class:`pgsym.DerivationError` or :class:`pgsym.codegen.BuildError`;
    a PDF that does not compile raises :class:`pgsym.publish.PublishError`.
    ``on_verified`` sees the entries and their reports as soon as they are verified (the
    command line prints its table there), ``on_done`` the number verified so far.
    ``cache`` (a :class:`pgsym.cache.StepCache`) answers for the steps checked before and
    unchanged; None (the default here, not on the command line) checks every step.
    """
    from pgsym import codegen, publish
    from pgsym.verification import Settings

    settings = settings if settings is not None else Settings()
    catalog.package_folders(package)  # (a package that does not import says so first)
    out = out if out is not None else catalog.output_path(package, "generated")
    drawings = publish.declared_figures(package) if figures else ()
    declared = codegen.declared_kernels(package)
    if declared is None and kernels is not None:
        raise codegen.BuildError(f"package {package} declares no KERNELS, so there are no "
                                 f"kernels to write to {kernels}")
    # (drawn meanwhile in a child, from the start: the derivations take a second to build;
    # but after the kernels where there are none yet, as a figure may draw with them, hostile
    # 60, or where no child can draw them: here, first, they would only import the kernels)
    target = None if declared is None else kernels or catalog.output_path(package, declared.file)
    early = publish.draws_aside() and (target is None or target.exists())
    with publish.FiguresDrawing(out, drawings if early else (), progress) as drawing:
        entries = catalog.discover(package)
        derivations = {e.derivation.name: e.derivation for e in entries}
        if declared is not None:
            codegen.check_kernels(declared, derivations, package)
        reports = catalog.verify_entries(entries, settings,
                                         on_done=on_done or (lambda done: None), cache=cache)
        if on_verified is not None:
            on_verified(entries, reports)
        document = assemble(entries, reports, package=package)
        changed = publish.write_document(document, out, drawings=drawing, progress=progress,
                                         cache=cache)
    result = BuildResult(document, out, tuple(changed), entries=tuple(entries))
    if declared is not None:
        result = _with_kernels(result, declared, derivations, reports, target, package)
    if drawings and (not early or result.kernels_changed):
        # (a figure may draw with the kernels, drawn above from those before this build:
        # drawn again from those just written, hostile review 59)
        if early:
            progress("drawing the figures again: the kernels changed")
        stale = _loaded(result.kernels_changed)  # (imported before they were written)
        again = publish.write_document(document, out, drawings=drawings, progress=progress,
                                       cache=cache)
        result = _replace(result, changed=tuple(dict.fromkeys((*result.changed, *again))))
        if stale:  # (the figures' process inherits them as they were: hostile reviews 60, 61)
            raise publish.PublishError(
                f"the figures may show the kernels before this build: {', '.join(stale)} was "
                f"imported before they changed; run pgsym build again to draw them anew")
    if pdf:
        result = _replace(result, pdf=publish.compile_pdf(out / "notes.tex", progress=progress))
    return result


def _loaded(files) -> list[str]:
    """The modules imported in this process from ``files``."""
    wanted = {Path(f).resolve() for f in files}
    return sorted(name for name, module in list(sys.modules.items())
                  if getattr(module, "__file__", None)
                  and Path(module.__file__).resolve() in wanted)


def _with_kernels(result: BuildResult, declared, derivations: dict, reports: list,
                  target: Path, package: str) -> BuildResult:
    """``result`` with the kernels ``declared`` written to ``target`` (and beside it, for
    the other backends), or why they were not."""
    from pgsym import codegen

    try:
        sources = codegen.module_sources(declared, derivations,
                                         {r.derivation: r for r in reports}, package=package)
    except (codegen.BuildError, ImportError) as error:
        return _replace(result, kernels=target, kernels_error=str(error))
    files = {backend: codegen.backend_file(target, backend) for backend in sources}
    changed = tuple(files[b] for b, source in sources.items()
                    if codegen.write_kernels(files[b], source))
    return _replace(result, kernels=target, kernels_written=target in changed,
                    kernel_files=tuple(files.values()), kernels_changed=changed)


def _replace(result: BuildResult, **changes) -> BuildResult:
    import dataclasses

    return dataclasses.replace(result, **changes)
