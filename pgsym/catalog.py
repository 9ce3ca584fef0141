"""Finds the derivations shipped in the ``derivations`` package (or another package), and
the places a build of a package writes to."""
from __future__ import annotations

import importlib
import pkgutil
import re
import site
import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sympy as sp

from pgsym.derivation import Derivation, DerivationError


@dataclass(frozen=True)
class Entry:
    """A derivation together with the module that builds it."""

    module: str
    derivation: Derivation

    @property
    def slug(self) -> str:
        """The derivation's name in lower case with dashes, used for file names.

        >>> Entry("m", Derivation("Score, K=2", start=sp.Integer(1))).slug
        'score-k-2'
        """
        return re.sub(r"[^a-z0-9]+", "-", self.derivation.name.lower()).strip("-")

    @property
    def module_name(self) -> str:
        """The short name of the module that builds the derivation."""
        return self.module.rsplit(".", 1)[-1]


def discover(package: str = "derivations", modules: list[str] | None = None) -> list[Entry]:
    """Returns every derivation built by a public module of ``package`` (or only by the
    ``modules`` named), in module order.

    >>> "log-derivative-trick" in [e.slug for e in discover()]
    True
    >>> [e.slug for e in discover(modules=["log_derivative_trick"])]
    ['log-derivative-trick']
    """
    entries: list[Entry] = []
    for info in sorted(pkgutil.iter_modules(package_folders(package)), key=lambda i: i.name):
        if info.name.startswith("_") or (modules is not None and info.name not in modules):
            continue
        entries.extend(_built(f"{package}.{info.name}"))
    if modules is None and not entries:
        raise DerivationError(f"package {package} builds no derivations")
    _reject_clashes(entries)
    return entries


def package_folders(package: str) -> list[str]:
    """The folders holding ``package``'s modules (imported, or a clear error)."""
    path = getattr(_import(package), "__path__", None)
    if path is None:
        raise DerivationError(f"{package} is a module, not a package of modules that build "
                              f"derivations")
    return list(path)


def _built(name: str) -> list[Entry]:
    build = getattr(_import(name), "build", None)
    if build is None:
        raise DerivationError(f"module {name} defines no build() function")
    try:
        built = build()
    except DerivationError as error:
        raise DerivationError(f"{name}.build() failed: {error}") from error
    except Exception as error:
        raise DerivationError(f"{name}.build() failed: {_cause(error)}") from error
    entries = []
    for derivation in built if isinstance(built, (list, tuple)) else [built]:
        if not isinstance(derivation, Derivation):
            raise DerivationError(f"{name}.build() returned {type(derivation).__name__}, "
                                  f"not a Derivation")
        entries.append(Entry(name, derivation))
    return entries


def find(package: str, names: list[str]) -> list[Entry]:
    """Returns the entries named (see :func:`select`), all if none are named.

    Names of modules are served by building those modules alone: some modules take a second
    to build (closed forms of MDPs), and ``pgsym verify log_derivative_trick`` should not
    wait for them.

    >>> [e.slug for e in find("derivations", ["log_derivative_trick"])]
    ['log-derivative-trick']
    """
    if names and all("-" not in n and " " not in n for n in names):
        try:
            return select(discover(package, modules=names), names)
        except DerivationError:
            pass  # not all are module names: look among every derivation
    return select(discover(package), names)


#: the package of the notes' derivations, in a checkout of pgsym (it is not installed with pgsym)
DEFAULT_PACKAGE = "derivations"


def _import(name: str):
    """Imports ``name``; any failure, a syntax error in the module included, is reported."""
    try:
        return importlib.import_module(name)
    except Exception as error:
        hint = ""
        if name == DEFAULT_PACKAGE and getattr(error, "name", None) == DEFAULT_PACKAGE:
            hint = (" (the notes' derivations are not installed with pgsym: run pgsym in a "
                    "checkout of pgsym, or name your own package with --package)")
        raise DerivationError(f"cannot import {name}: {_cause(error)}{_raised_at(error)}{hint}"
                              ) from error


def _raised_at(error: Exception) -> str:
    """Where in the user's code ``error`` was raised: the innermost frame outside pgsym,
    the standard library and installed packages (a module that ``name`` imports may be the
    one at fault: new user 27 read "cannot import mynotes.bandit" for an error in the module
    it imported)."""
    paths = sysconfig.get_paths()
    ours = (str(Path(__file__).parent), paths["stdlib"], paths["purelib"], paths["platlib"],
            "<frozen ")
    frames = [(frame.f_code.co_filename, line)
              for frame, line in traceback.walk_tb(error.__traceback__)
              if not frame.f_code.co_filename.startswith(ours)]
    return f" (raised at {frames[-1][0]}, line {frames[-1][1]})" if frames else ""


def _cause(error: Exception) -> str:
    """``error``'s type and message on one line."""
    message = " ".join(str(error).split())
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _reject_clashes(entries: list[Entry]) -> None:
    """Refuses two derivations with one name, or one slug (their files would clash)."""
    by_slug: dict[str, Entry] = {}
    for entry in entries:
        name = entry.derivation.name
        if not entry.slug:
            raise DerivationError(f"derivation {name!r} in {entry.module} has no letters or "
                                  f"digits to name its files")
        other = by_slug.setdefault(entry.slug, entry)
        if other is entry:
            continue
        if other.derivation.name == name:
            raise DerivationError(f"derivation {name!r} is built twice: by {other.module} "
                                  f"and by {entry.module}")
        raise DerivationError(f"derivations {other.derivation.name!r} (in {other.module}) and "
                              f"{name!r} (in {entry.module}) have the same slug {entry.slug!r}")


def select(entries: list[Entry], names: list[str]) -> list[Entry]:
    """Returns the entries named (by derivation name, slug or module), all if none are named."""
    if not names:
        return entries
    chosen = []
    for name in names:
        matches = [e for e in entries if name in (e.slug, e.derivation.name, e.module_name)]
        if not matches:
            known = ", ".join(e.slug for e in entries)
            raise DerivationError(f"no derivation is called {name!r}; known: {known}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen


def package_directory(package: str = "derivations") -> Path:
    """The folder of ``package`` on disk (where its generated LaTeX lives)."""
    folders = package_folders(package)
    if len(folders) != 1:
        raise DerivationError(f"namespace package {package} spans {len(folders)} folders: "
                              f"{', '.join(folders)}; there is no one folder to write to")
    return Path(folders[0]).resolve()


def is_installed(path: Path) -> bool:
    """Whether ``path`` lies in an installation of Python packages (a site-packages folder),
    where a build never writes unless told to.

    >>> is_installed(Path(sysconfig.get_paths()["purelib"]) / "pgsym")
    True
    """
    path = Path(path).resolve()
    if {"site-packages", "dist-packages"} & set(path.parts):
        return True
    roots = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    roots.update(getattr(site, "getsitepackages", lambda: [])())
    roots.add(site.getusersitepackages())
    return any(path.is_relative_to(Path(root).resolve()) for root in roots if root)


def output_path(package: str, relative: str) -> Path:
    """Where a build of ``package`` writes what it places at ``relative`` to its folder: there
    when the package is a folder of source files (a checkout), but in the current directory
    (under the last part of ``relative``) when that place lies in an installation.

    >>> output_path("derivations", "generated") == package_directory("derivations") / "generated"
    True
    """
    path = (package_directory(package) / relative).resolve()
    return Path.cwd() / Path(relative).name if is_installed(path) else path


def verify_entries(entries: list[Entry], settings=None, workers: int | None = None,
                   on_done: Callable[[int], None] = lambda done: None, cache=None) -> list:
    """Verifies every entry (all their steps in parallel, on ``workers`` processes, default
    one per core) and returns the reports in the order of the entries; ``on_done(n)`` is
    called as the ``n``-th derivation is done. ``settings`` is a
    :class:`pgsym.verification.Settings` (time limit, opt-in for numeric evidence);
    ``cache`` a :class:`pgsym.cache.StepCache` (None: every step is checked)."""
    from pgsym.verification import Settings, verify_many

    return verify_many([e.derivation for e in entries], settings or Settings(),
                       workers=workers, on_done=on_done, cache=cache)
