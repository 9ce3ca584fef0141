"""Finds the derivations shipped in the ``derivations`` package (or another package)."""
from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass
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
    root = _import(package)
    entries: list[Entry] = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or (modules is not None and info.name not in modules):
            continue
        entries.extend(_built(f"{package}.{info.name}"))
    _reject_duplicate_names(entries)
    return entries


def _built(name: str) -> list[Entry]:
    build = getattr(_import(name), "build", None)
    if build is None:
        raise DerivationError(f"module {name} defines no build() function")
    try:
        built = build()
    except DerivationError:
        raise
    except Exception as error:
        raise DerivationError(f"{name}.build() failed: {type(error).__name__}: {error}") from error
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


def _import(name: str):
    try:
        return importlib.import_module(name)
    except ImportError as error:
        raise DerivationError(f"cannot import {name}: {error}") from error


def _reject_duplicate_names(entries: list[Entry]) -> None:
    seen: dict[str, str] = {}
    for entry in entries:
        other = seen.setdefault(entry.derivation.name, entry.module)
        if other != entry.module:
            raise DerivationError(f"derivation {entry.derivation.name!r} is built by both "
                                  f"{other} and {entry.module}")


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


def package_directory(package: str = "derivations"):
    """The folder of ``package`` on disk (where its generated LaTeX lives)."""
    from pathlib import Path

    return Path(_import(package).__file__).resolve().parent


_ENTRIES_FOR_WORKERS: list[Entry] = []


def _verify_one(task: tuple[int, float]):
    from pgsym.verify import verify

    index, time_limit = task
    return verify(_ENTRIES_FOR_WORKERS[index].derivation, time_limit=time_limit)


def verify_entries(entries: list[Entry], time_limit: float, workers: int | None = None,
                   on_done: Callable[[int], None] = lambda done: None) -> list:
    """Verifies every entry, on ``workers`` processes (default: one per core), and returns
    the reports in the order of the entries; ``on_done(n)`` is called as each one finishes.
    Without ``fork`` (or with one worker) it runs in this process."""
    import multiprocessing
    import os

    from pgsym.verify import verify

    workers = workers or os.cpu_count() or 1
    reports = []
    if workers <= 1 or len(entries) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        for entry in entries:
            reports.append(verify(entry.derivation, time_limit=time_limit))
            on_done(len(reports))
        return reports
    _ENTRIES_FOR_WORKERS[:] = entries  # inherited by the forked workers, never pickled
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for report in pool.imap(_verify_one, [(i, time_limit) for i in range(len(entries))]):
                reports.append(report)
                on_done(len(reports))
        return reports
    finally:
        _ENTRIES_FOR_WORKERS.clear()
