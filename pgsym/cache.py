"""Verdicts of steps kept between runs, so that ``pgsym verify`` and ``pgsym build`` check only
the steps that changed.

A step's verdict is stored under a digest of everything it depends on: the two expressions
(with the assumptions of every symbol and function, the values of declared distributions,
and the source of any class of the user's that appears in them), the definitions and
ranges of its derivation, what it cites (the rule, ``using=``, the condition, the relation,
a lemma's statement and whether the lemma passed), the settings (time limit, points, seed,
opt-in for numeric evidence), the source of pgsym itself, and the versions of Python,
SymPy, mpmath and python-flint. Changing any of them changes the digest, and the step is
checked again.

The cache can only ever answer with what a check found, never make a failing step pass:

* only verdicts reached with no time limit met anywhere in the check are stored (a verdict
  that a time limit shaped could come out otherwise on another machine or run); nor are
  steps citing a rule of the user's (its code is not pgsym's to vouch for);
* every entry is signed with a key kept beside the entries, readable by its owner only, and
  names the digest it was stored under: an entry that is truncated, corrupt, written by
  anyone without the key (another machine's cache copied in), or moved to another digest,
  is ignored and the step is checked.

Where it lives: ``$PGSYM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/pgsym``, else
``~/.cache/pgsym``; deleting the folder empties it. ``pgsym verify --no-cache`` checks every
step from scratch.

>>> import sympy as sp, tempfile
>>> from pgsym import Derivation, verify_many
>>> x = sp.Symbol("x", positive=True)
>>> d = Derivation("log of a square", start=sp.log(x**2)).step(2 * sp.log(x), rule="algebra")
>>> cache = StepCache(tempfile.mkdtemp())
>>> verify_many([d], cache=cache)[0].ok, cache.hits, cache.stored
(True, 0, 1)
>>> verify_many([d], cache=cache)[0].ok, cache.hits
(True, 1)
"""
from __future__ import annotations

import ast
import dataclasses
import enum
import functools
import hashlib
import hmac
import importlib.metadata
import inspect
import json
import os
import pickle
import platform
import secrets
import stat
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from pgsym import _isolation, verification
from pgsym._deadline import TimeLimitExceeded
from pgsym._distributions import Distribution
from pgsym._isolation import Outcome, Task, run_tasks
from pgsym.report import Justification, RuleCheck, Verdict
from pgsym.rules import registered_rules
from pgsym.rules.lemmas import Equation

__all__ = ["ENVIRONMENT_VARIABLE", "StepCache", "default_directory", "document_key",
           "step_key"]

#: the environment variable that chooses the cache's folder
ENVIRONMENT_VARIABLE = "PGSYM_CACHE_DIR"
#: the first bytes of every entry; a new layout of the entries gets a new one
_MAGIC = b"pgsym step verdict 1\n"
_MAC_BYTES = 32
_KEY_CHARACTERS = 64
_SECRET_BYTES = 32
#: what a document's key begins with: a new way of keeping documents gets a new one
_DOCUMENT_KEY = "pgsym printed document 1"


def default_directory() -> Path:
    """The cache's folder: ``$PGSYM_CACHE_DIR``, else ``$XDG_CACHE_HOME/pgsym``, else
    ``~/.cache/pgsym`` (outside any checkout, so that a build leaves the tree unchanged)."""
    chosen = os.environ.get(ENVIRONMENT_VARIABLE)
    if chosen:
        return Path(chosen).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "")
    # (the XDG specification says to ignore a relative path there)
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "pgsym"


class StepCache:
    """Step verdicts stored in ``directory`` (default :func:`default_directory`), read and
    written by :func:`pgsym.verify_many` (``cache=``) and the command line.

    ``hits``, ``misses`` and ``stored`` count the steps answered from the cache, checked,
    and stored since it was made; ``ignored`` the entries found unfit (and checked again);
    ``problem`` says why the cache could not be used at all, if it could not.
    """

    def __init__(self, directory: str | os.PathLike | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_directory()
        self.hits = self.misses = self.stored = self.ignored = 0
        self._secret: bytes | None = None
        self._secret_read = False
        self.problem = ""

    def __repr__(self) -> str:
        return f"StepCache({str(self.directory)!r})"

    # -- what verification calls -----------------------------------------------------------
    def run_tasks(self, tasks: Sequence[Task], *, cpu_seconds: float, workers: int = 1,
                  on_done: Callable[[int], None] = lambda index: None,
                  groups: Sequence | None = None,
                  follow: _isolation.Follow | None = None) -> list[Outcome]:
        """:func:`pgsym._isolation.run_tasks` for the step checks of the verifier: a check
        whose verdict is stored is answered from here; the others run, and those whose
        verdict does not depend on a time limit are stored. Tasks that ``follow`` adds are
        answered or run the same way."""
        tasks = list(tasks)
        outcomes: dict[int, Outcome] = {}
        keys: dict[int, str | None] = {}
        missing: list[int] = []  # (the indices of the tasks that run, in the order they run)
        described: dict = {}
        without_dummies: dict = {}

        def answered(indices: list[int], task_groups: Sequence) -> list[tuple[Task, Any]]:
            """The tasks among ``indices`` to run, with their groups; the others answered."""
            keys.update(zip(indices, self._keys([tasks[i] for i in indices], described,
                                                without_dummies)))
            to_run = []
            for index, group in zip(indices, task_groups):
                found = self._load(keys[index]) if keys[index] is not None else None
                if found is None:
                    missing.append(index)
                    to_run.append((_timed(tasks[index]), group))
                    continue
                self.hits += 1
                outcomes[index] = found
                on_done(index)
                to_run += followed(index)
            self.misses += len(indices) - sum(i in outcomes for i in indices)
            return to_run

        def followed(index: int) -> list[tuple[Task, Any]]:
            more = list(follow(index, outcomes[index])) if follow is not None else []
            if not more:
                return []
            tasks.extend(task for task, _ in more)
            return answered(list(range(len(tasks) - len(more), len(tasks))),
                            [group for _, group in more])

        def ran(position: int, outcome: Outcome) -> list[tuple[Task, Any]]:
            index = missing[position]
            untimed = any(isinstance(m, _NoTimeLimitMet) for m in outcome.messages)
            outcome = outcomes[index] = dataclasses.replace(outcome, messages=tuple(
                m for m in outcome.messages if not isinstance(m, _NoTimeLimitMet)))
            if keys[index] is not None and untimed and outcome.ended == "finished":
                self._store(keys[index], outcome)
            on_done(index)
            return followed(index)

        first = answered(list(range(len(tasks))),
                         [None] * len(tasks) if groups is None else list(groups))
        if first:
            run_tasks([task for task, _ in first], cpu_seconds=cpu_seconds, workers=workers,
                      groups=[group for _, group in first], follow=ran)
        return [outcomes[i] for i in range(len(tasks))]

    def _keys(self, tasks: Sequence[Task], described: dict,
              without_dummies: dict) -> list[str | None]:
        """The digest of each task that is a step check the cache can answer, else None.
        ``described`` and ``without_dummies`` keep what is described of derivations and of
        values with no dummy in them (:func:`step_key`) for one call of :meth:`run_tasks`:
        no code of the user's runs in this process meanwhile (the checks run in others), so
        no function's assumptions change."""
        try:
            shared = (_environment(self._listed_modules), _rules_digest())
        except _Uncacheable:
            return [None] * len(tasks)
        keys, cases = [], verification.RANGE_CASES  # (the checks inherit them)
        for task in tasks:
            if not (isinstance(task, functools.partial)
                    and task.func is verification._check_step
                    and len(task.args) == 4 and not task.keywords):
                keys.append(None)
                continue
            try:
                keys.append(step_key(*task.args, shared=shared, cases=cases,
                                     described=described, without_dummies=without_dummies))
            except _Uncacheable:
                keys.append(None)
        return keys

    # -- entries ------------------------------------------------------------------------
    def _path(self, key: str) -> Path:
        return self.directory / "steps" / key[:2] / key

    def _load(self, key: str) -> Outcome | None:
        secret = self._key()
        if secret is None:
            return None
        try:
            data = self._path(key).read_bytes()
        except OSError:  # none stored (or unreadable): the step is checked
            return None
        entry = _opened(data, key, secret)
        if entry is None:
            self.ignored += 1
            return None
        justification, verdict, seconds = entry
        return Outcome((justification, verdict), "finished", "", seconds)

    def _store(self, key: str, outcome: Outcome) -> None:
        checks = [m for m in outcome.messages if isinstance(m, RuleCheck)]
        verdicts = [m for m in outcome.messages if isinstance(m, Verdict)]
        if len(checks) != 1 or len(verdicts) != 1 or len(outcome.messages) != 2 or \
                not _storable(checks[0], verdicts[0]):
            return
        secret = self._key()
        if secret is None:
            return
        try:
            payload = pickle.dumps((checks[0], verdicts[0], float(outcome.cpu_seconds)),
                                   protocol=4)
        except Exception:  # (whatever cannot be pickled is simply checked again next time)
            return
        try:
            _write_atomically(self._path(key), _sealed(key, payload, secret))
        except OSError:  # a cache that cannot be written only costs time
            return
        self.stored += 1

    def _listed_modules(self, root: Path, everything: str) -> set[Path]:
        """:func:`_verdict_modules` of the package at ``root``, kept in this cache under
        ``everything`` (the digest of every file of the package), signed like the entries:
        finding them reads every module's code (0.35 s of a run that finds every verdict
        here), and the same files always give the same modules. A listing that is missing,
        damaged or not this cache's is found again; a change to any file of the package is
        another ``everything``."""
        path = self.directory / "modules" / everything
        secret = self._key()
        if secret is not None:
            try:
                data = path.read_bytes()
            except OSError:
                data = b""
            mac, listed = data[:_MAC_BYTES], data[_MAC_BYTES:]
            if len(mac) == _MAC_BYTES and hmac.compare_digest(
                    mac, _mac(everything.encode(), listed, secret)):
                found = {root / name for name in listed.decode().split("\n") if name}
                if all(p.is_file() for p in found):
                    return found
        found = _verdict_modules(root)
        if secret is not None:
            listed = "\n".join(sorted(p.relative_to(root).as_posix() for p in found)).encode()
            try:
                _write_atomically(path, _mac(everything.encode(), listed, secret) + listed)
            except OSError:  # (not kept: found again next time)
                pass
        return found

    def printed(self, key: str) -> dict[str, str] | None:
        """The texts of a document kept under ``key`` (:func:`document_key`), or None if none
        is kept, or the entry is not this cache's, whole and as written."""
        texts = self._kept("documents", key)
        if not (isinstance(texts, dict) and all(isinstance(name, str) and isinstance(text, str)
                                                for name, text in texts.items())):
            return None
        return texts

    def keep_printed(self, key: str, texts: Mapping[str, str]) -> None:
        """Keeps the texts of a document under ``key``."""
        self._keep("documents", key, dict(texts))

    def given_equations_key(self, derivation) -> str | None:
        """The digest of everything the check that the equations a derivation takes as given
        do not contradict each other reads (:func:`pgsym.verification._given_equations_together`):
        the whole derivation, with every lemma it cites and theirs, and the source of the
        verifier; None for a derivation holding what cannot be described surely (a rule or
        class of the user's)."""
        try:
            described = _Digester()(derivation)
            shared = (_environment(self._listed_modules), "given equations 1")
        except (_Uncacheable, RecursionError):
            return None
        return hashlib.sha256(repr((shared, described)).encode()).hexdigest()

    def given_equations_found(self, key: str) -> str | None:
        """Why the given equations of the derivation digested to ``key`` contradict each other
        (``""``: not shown), as kept; None if nothing is kept."""
        found = self._kept("given", key)
        return found if isinstance(found, str) else None

    def keep_given_equations_found(self, key: str, why: str) -> None:
        self._keep("given", key, why)

    def _kept(self, kind: str, key: str) -> Any:
        """The value kept under ``key`` in the folder ``kind``, or None if none is kept, or
        the entry is not this cache's, whole and as written."""
        secret = self._key()
        if secret is None:
            return None
        try:
            data = (self.directory / kind / key).read_bytes()
        except OSError:
            return None
        mac, payload = data[:_MAC_BYTES], data[_MAC_BYTES:]
        if len(mac) != _MAC_BYTES or not hmac.compare_digest(
                mac, _mac(_kept_domain(kind, key), payload, secret)):
            self.ignored += 1
            return None
        try:
            return json.loads(payload.decode())
        except ValueError:
            return None

    def _keep(self, kind: str, key: str, value: Any) -> None:
        """Keeps ``value`` (JSON) under ``key`` in the folder ``kind``, signed (a cache that
        cannot be written only costs time)."""
        secret = self._key()
        if secret is None:
            return
        payload = json.dumps(value).encode()
        try:
            _write_atomically(self.directory / kind / key,
                              _mac(_kept_domain(kind, key), payload, secret) + payload)
        except OSError:
            return

    def _key(self) -> bytes | None:
        """The secret that signs the entries (made on first use), or None if the folder
        cannot hold one only its owner can read: then nothing is read or written."""
        if not self._secret_read:
            self._secret_read = True
            try:
                self._secret = _secret(self.directory / "key")
            except OSError as error:
                self._secret, self.problem = None, str(error)
        return self._secret


def step_key(derivation, number: int, settings, lemmas: Mapping[int, Any], *,
             shared: tuple | None = None, cases: dict | None = None,
             described: dict | None = None, without_dummies: dict | None = None) -> str:
    """The digest of everything the verdict of step ``number`` of ``derivation`` depends on
    (raises ``_Uncacheable`` for a step the cache does not answer: one citing a rule of the
    user's, or with objects it cannot describe). ``cases`` keeps each derivation's range
    cases between calls (they are the same for all its steps), ``described`` what is
    described of the derivation itself, where that holds no dummy (whose number depends on
    the step), and ``without_dummies`` what is described of values with no dummy in them."""
    # (one per step: its dummies are numbered in the step's order)
    describer = _Digester(without_dummies)
    shared = shared or (_environment(), _rules_digest())
    step = derivation.steps[number - 1]
    _class_name(type(step))  # (a step of a class of the user's may say anything: review 59)
    if step.custom_rule is not None:
        raise _Uncacheable("a rule of the user's")
    lemma = None
    if step.lemma is not None:
        lemma = (describer.lemma(step.lemma), describer.status(lemmas[id(step.lemma)]))
    parts = (
        shared,
        describer(settings),
        _derivation_described(describer, derivation, cases, described),
        describer(derivation.expressions[number - 1]),
        describer(derivation.expressions[number]),
        describer((step.rule, step.chain, step.relation, step.condition, step.accept,
                   step.using)),
        lemma,
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _derivation_described(describer: "_Describer", derivation, cases: dict | None,
                          described: dict | None) -> str:
    """The digest of ``describer.derivation`` of ``derivation`` (written out once, not once
    per step), kept in ``described`` (by the derivation, alive there) when ``describer`` had
    numbered no dummy before: then it numbers the derivation's dummies alike for every
    step, and is given the same numbers again with the digest kept."""
    fresh = not describer._dummies
    found = described.get(id(derivation)) if described is not None and fresh else None
    if found is not None and found[0] is derivation:
        describer._dummies.update(found[2])
        return found[1]
    description = hashlib.sha256(repr(describer.derivation(
        derivation, _range_cases(derivation, cases))).encode()).hexdigest()
    if described is not None and fresh:
        described[id(derivation)] = (derivation, description, dict(describer._dummies))
    return description


def _range_cases(derivation, known: dict | None) -> list:
    """``derivation.range_cases()``, kept in ``known`` (by the derivation, alive there)."""
    try:
        return verification.range_cases(derivation, known) if known is not None \
            else derivation.range_cases()
    except Exception as error:  # the check meets the same error, and reports it
        raise _Uncacheable(str(error)) from None


# -- in the child: did the check meet a time limit? ---------------------------------------
@dataclass(frozen=True)
class _NoTimeLimitMet:
    """Sent after a check that met no time limit in any of its phases."""


def _timed(task: Task) -> Task:
    def run(emit) -> None:
        before = TimeLimitExceeded.raised
        task(emit)
        if TimeLimitExceeded.raised == before:
            emit(_NoTimeLimitMet())
    return run


def _storable(justification: RuleCheck, verdict: Verdict) -> bool:
    """Whether a check's outcome is one the same check would give again: no timeout, no
    failure of the machine (memory)."""
    return (isinstance(justification, RuleCheck) and isinstance(verdict, Verdict)
            and isinstance(justification.status, Justification)
            and justification.status is not Justification.TIMEOUT
            and verdict.method not in ("timeout", "error")
            and "MemoryError" not in justification.detail + verdict.detail)


# -- entries on disk -----------------------------------------------------------------------
def _mac(key: bytes, payload: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, _MAGIC + key + payload, hashlib.sha256).digest()


def _kept_domain(kind: str, key: str) -> bytes:
    """What the signature of a value kept in the folder ``kind`` under ``key`` covers besides
    the value: never what a step verdict's covers, nor another folder's."""
    return b"pgsym kept " + kind.encode() + b"\n" + key.encode()


def _sealed(key: str, payload: bytes, secret: bytes) -> bytes:
    """An entry: the format's magic, its signature, the digest it is stored under, the
    pickled (rule check, verdict, seconds)."""
    encoded = key.encode()
    return _MAGIC + _mac(encoded, payload, secret) + encoded + payload


def _opened(data: bytes, key: str, secret: bytes) -> tuple[RuleCheck, Verdict, float] | None:
    """What an entry holds, or None if it is not an entry stored under ``key`` with this
    cache's secret, whole and as written (checked before anything is unpickled)."""
    header = len(_MAGIC) + _MAC_BYTES + _KEY_CHARACTERS
    if len(data) <= header or not data.startswith(_MAGIC):
        return None
    mac = data[len(_MAGIC):len(_MAGIC) + _MAC_BYTES]
    stored_key, payload = data[len(_MAGIC) + _MAC_BYTES:header], data[header:]
    if not hmac.compare_digest(stored_key, key.encode()):
        return None
    if not hmac.compare_digest(mac, _mac(stored_key, payload, secret)):
        return None
    try:
        entry = pickle.loads(payload)
    except Exception:
        return None
    if not (isinstance(entry, tuple) and len(entry) == 3):
        return None
    justification, verdict, seconds = entry
    if not _storable(justification, verdict) or isinstance(seconds, bool) or \
            not isinstance(seconds, float) or not 0 <= seconds < float("inf"):
        return None
    return justification, verdict, seconds


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def _secret(path: Path) -> bytes:
    """The secret in ``path``, made if there is none; an OSError if it is not a regular
    file that only its owner (this user) may read and write."""
    for _ in range(3):
        try:
            handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            _make_secret(path)
            continue
        with os.fdopen(handle, "rb") as file:
            info = os.fstat(file.fileno())
            secret = file.read(_SECRET_BYTES + 1)
        private = not hasattr(os, "getuid") or (
            info.st_uid == os.getuid() and not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO))
        if not stat.S_ISREG(info.st_mode) or not private:
            raise OSError(f"{path} is not a file only its owner may read and write")
        if len(secret) != _SECRET_BYTES:  # damaged: a new secret (every entry then ignored)
            path.unlink()
            continue
        return secret
    raise OSError(f"cannot make a secret in {path}")


def _make_secret(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mode 0600
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(secrets.token_bytes(_SECRET_BYTES))
        try:
            os.link(temporary, path)  # never replaces a secret another process just made
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)


# -- what a verdict depends on ----------------------------------------------------------------
class _Uncacheable(Exception):
    """A step whose verdict the cache does not keep (or an object it cannot describe)."""


class _Describer:
    """Turns what a verdict depends on into nested tuples of plain values, whose ``repr`` is
    the same in every process exactly when the objects are the same (with the assumptions
    of functions, which SymPy's equality ignores, and the values of distributions), up to
    the numbering of SymPy's ``Dummy`` symbols: those are numbered in the order they are
    met (their own numbers differ from process to process). Renaming dummies one-to-one
    changes no verdict, and two dummies met are never given one number."""

    def __init__(self, without_dummies: dict | None = None, *, ordered: bool = False) -> None:
        #: whether a mapping is described in its order (a printer states definitions in
        #: theirs: hostile review 58), not as a set of pairs (no verdict reads the order)
        self._ordered = ordered
        self._seen: dict[int, tuple[object, Any, bool]] = {}
        self._dummies: dict[sp.Dummy, int] = {}
        #: descriptions of values with no dummy in them, which do not depend on the order
        #: dummies are met in: they may be shared by the describers of many steps
        self._without_dummies = without_dummies if without_dummies is not None else {}
        self._dummies_met = 0  # (how many dummies, or values holding one, were described)

    def __call__(self, value: Any) -> Any:
        if value is None or type(value) in (bool, int, float, str):
            return (type(value).__name__, repr(value))
        if isinstance(value, (int, float, str)) and not isinstance(value, enum.Enum):
            # (a subclass, by its class and its value as the base class writes it: a class
            # of the user's is refused, its own __repr__ gave two symbols' names one
            # description and a false step was answered from a true one's entry, hostile
            # review 58; its __eq__ or __hash__ may hide what it holds as well)
            base = next(kind for kind in (bool, int, float, str) if isinstance(value, kind))
            return (_class_name(type(value)), base.__repr__(value))
        found = self._seen.get(id(value))
        if found is not None and found[0] is value:
            self._dummies_met += found[2]
            return found[1]
        found = self._without_dummies.get(id(value))
        if found is not None and found[0] is value:
            return found[1]
        before = self._dummies_met
        described = self._described(value)
        self._dummies_met += isinstance(value, sp.Dummy)
        with_dummy = self._dummies_met != before
        # (the objects kept alive with their ids)
        self._seen[id(value)] = (value, described, with_dummy)
        if not with_dummy:
            self._without_dummies[id(value)] = (value, described)
        return described

    def _described(self, value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return ("enum", _class_name(type(value)), value.name)
        if isinstance(value, (tuple, list, set, frozenset, Mapping)):
            # (Python's own containers by their items; a subclass of the user's is refused:
            # its __str__ or __getattr__ may print what its items do not say, hostile
            # review 59)
            kind = type(value)
            head = kind.__name__ if kind in (tuple, list) else _class_name(kind) \
                if kind not in (set, frozenset, dict) else None
            if isinstance(value, (tuple, list)):
                return (head, *map(self, value))
            if isinstance(value, (set, frozenset)):
                return ("set", *sorted(map(self, value), key=repr)) + ((head,) if head else ())
            pairs = [(self(k), self(v)) for k, v in value.items()]
            return ("dict", *(pairs if self._ordered else sorted(pairs, key=repr))) + \
                ((head,) if head else ())
        if isinstance(value, UndefinedFunction):
            return self._function(value)
        if isinstance(value, sp.Dummy):
            number = self._dummies.setdefault(value, len(self._dummies))
            return ("dummy", _class_name(type(value)), number, value.name,
                    *map(self, sorted(value.assumptions0.items())))
        if isinstance(value, sp.Basic):
            head = self._function(type(value)) if isinstance(value, AppliedUndef) else \
                self(type(value))
            return ("basic", head, *map(self, value._hashable_content()))
        if isinstance(value, type):
            # (with the assumptions a class of SymPy's states, which a class put in SymPy's
            # place could change)
            return ("class", _class_name(value), tuple(sorted(
                (getattr(value, "default_assumptions", None) or {}).items())))
        if type(value) is Distribution:  # (a subclass may answer _key with anything: 59)
            return ("distribution", *map(self, value._key), value.is_known_normalised)
        if dataclasses.is_dataclass(value) and type(value).__module__.startswith("pgsym."):
            return (_class_name(type(value)),
                    *((f.name, self(getattr(value, f.name))) for f in dataclasses.fields(value)))
        if type(value).__name__ in ("mpz", "mpq") and \
                type(value).__module__.split(".")[0] == "gmpy2":  # (inside SymPy's numbers)
            return (type(value).__name__, str(value))
        raise _Uncacheable(f"cannot describe {type(value).__name__}")

    def _function(self, function: UndefinedFunction) -> tuple:
        """An undefined function: its name, assumptions, bases, number of arguments and,
        for a declared distribution's values, the distribution."""
        extra = set(vars(function)) - verification._PLAIN_FUNCTION
        if any(not name.startswith("is_") for name in extra):
            raise _Uncacheable(f"the function {function} carries {sorted(extra)}")
        # every assumption the class holds, also one set on it after it was made
        # (f.is_positive = True), which _kwargs does not record
        facts = sorted((name, value) for name, value in vars(function).items()
                       if name.startswith("is_"))
        if any(value not in (True, False, None) for _, value in facts):
            raise _Uncacheable(f"the function {function} carries a non-boolean assumption")
        # (and the facts SymPy reads, which may have been changed in place: hostile review
        # 43 set f.default_assumptions["positive"] = True in one run and not the next)
        facts.append(("default_assumptions", repr(sorted(
            (getattr(function, "default_assumptions", None) or {}).items()))))
        return ("function", function.__name__, self(dict(function._kwargs)), tuple(facts),
                self(getattr(function, "distribution", None)),
                tuple(_class_name(base) for base in function.__bases__), self(function.nargs))

    def derivation(self, derivation, cases: list) -> tuple:
        """What a step of ``derivation`` reads besides its own expressions: definitions,
        ranges and the substitutions that make the ranges exact (``cases``, which depend on
        the names every step uses). A subclass of the user's may unfold its definitions
        otherwise (hostile review 59): refused."""
        _class_name(type(derivation))
        return ("derivation", self(derivation.definitions), self(derivation.ranges),
                self(cases))

    def lemma(self, lemma) -> tuple:
        """What a step citing ``lemma`` reads of it: its statement, and what its instances
        must keep (the functions and fixed symbols of the equations taken as given that it
        rests on, however deep: tightening such an equation's ``variables=`` changes which
        instances are allowed); the lemma's own checks are in its status."""
        _class_name(type(lemma))
        pinned = self(verification._pinned(lemma))
        if isinstance(lemma, Equation):
            return ("equation", self(lemma.name), self(lemma.lhs), self(lemma.rhs),
                    self(lemma.variables), pinned)
        return ("lemma", self(lemma.name), self(lemma.start), self(lemma.result),
                self(lemma.definitions), self(lemma.ranges), pinned)

    def status(self, status) -> tuple:
        """Whether a cited lemma passed, and what it proves a step by (its check is a
        function of the statement described by :meth:`lemma`)."""
        return ("status", self(status.proved), self(status.why_not), self(status.promotion))


class _Digester(_Describer):
    """A :class:`_Describer` that gives each value the digest of its description, made of
    its parts' digests: the same in every process exactly when the description is, and as
    short for a whole document as for a symbol (a document's description written out is
    17 MB; its subtrees are shared)."""

    def _described(self, value: Any) -> Any:
        return hashlib.sha256(repr(super()._described(value)).encode()).hexdigest()


def document_key(document, figures_from: Path) -> str | None:
    """The digest of everything the texts that :func:`pgsym.publish.write_document` prints
    of ``document`` depend on, or None where it holds something that cannot be described
    surely (a class of the user's, a function in a derivation).

    That is the document itself: its sections, their derivations (with every symbol's and
    function's assumptions, the values of declared distributions, and definitions and ranges
    in their order, which the printers keep), notation, errata and
    reports (every verdict and its words; a step's CPU time only where the summary line
    prints it, the steps near their time limit); the bytes of the figures it shows, read
    from ``figures_from``; every file of pgsym's source; the versions of Python, SymPy,
    mpmath and latex2mathml, which print it, and SymPy's global printer settings."""
    from pgsym.report import Report

    def printed_times(report: Report) -> Report:  # (0 for a time that is never printed)
        near = {id(s) for s in report.near_limit()}
        return dataclasses.replace(report, steps=tuple(
            s if id(s) in near else dataclasses.replace(s, seconds=0.0) for s in report.steps))

    figures = []
    for figure in document.figures:
        try:
            figures.append((figure.file, hashlib.sha256(
                (figures_from / figure.file).read_bytes()).hexdigest()))
        except OSError:
            figures.append((figure.file, None))
    try:
        described = _Digester(ordered=True)(dataclasses.replace(
            document, reports=tuple(map(printed_times, document.reports))))
    except (_Uncacheable, RecursionError):
        return None
    try:
        printer = importlib.metadata.version("latex2mathml")
    except importlib.metadata.PackageNotFoundError:
        printer = "not installed"
    from sympy.printing.latex import accepted_latex_functions
    from sympy.printing.printer import Printer

    # (SymPy's global printer settings change what prints: symbol_names={x: "y"} printed a
    # verified x as y, and the document kept printed so came back without it: hostile 60)
    settings = (repr(sorted(Printer._global_settings.items(), key=repr)),
                repr(sorted(accepted_latex_functions)))
    environment = (_DOCUMENT_KEY, _every_source_file(), sp.__version__,
                   mpmath.__version__, printer, sys.version, sys.implementation.name, settings)
    return hashlib.sha256(repr((environment, described, figures)).encode()).hexdigest()


def _class_name(cls: type) -> str:
    """A class by its module and name. A class of the user's (a Function subclass with its
    own methods) makes the step uncacheable: what its methods compute may rest on anything
    (a closure's cells, a class attribute or a module global the code that builds the
    derivations sets, another module), none of which a key can read surely; hostile reviews
    33 and 34 had a false step answered 'proved' from the cache through three of them. Such
    steps run one per process (verification._runs_user_code) and are checked each time."""
    if isinstance(cls, UndefinedFunction):
        return f"undefined function {cls.__name__}"
    module = getattr(cls, "__module__", None) or ""
    if not verification.own_class(cls):
        raise _Uncacheable(f"a class of the user's, {module}.{cls.__qualname__}")
    return f"{module}.{cls.__qualname__}"


@functools.lru_cache(maxsize=None)
def _source_digest(module: str) -> str:
    found = sys.modules.get(module)
    try:
        path = inspect.getsourcefile(found) if found is not None else None
        if path is None:
            raise _Uncacheable(f"no source for the module {module}")
        return f"{module}:{hashlib.sha256(Path(path).read_bytes()).hexdigest()}"
    except (OSError, TypeError):
        raise _Uncacheable(f"no source for the module {module}") from None


@functools.lru_cache(maxsize=None)
def _environment(listing: Callable[[Path, str], set[Path]] | None = None) -> tuple:
    """What every verdict depends on: pgsym's source and version, SymPy's and mpmath's
    versions and back-ends, Python, the machine's word and the limits a check runs under.
    ``listing(root, everything)`` finds the modules verdicts depend on where it may have
    kept them (:meth:`StepCache._listed_modules`)."""
    try:
        version = importlib.metadata.version("pgsym")
    except importlib.metadata.PackageNotFoundError:
        version = "not installed"
    from sympy.external.gmpy import GROUND_TYPES
    import flint  # (the sampler's ball arithmetic: hostile review 75)

    return (_MAGIC.decode().strip(), version, _pgsym_source(listing), sp.__version__,
            mpmath.__version__, mpmath.libmp.BACKEND, GROUND_TYPES, flint.__version__,
            sys.version,
            sys.implementation.name, platform.machine(), sys.flags.optimize,
            sys.getrecursionlimit(), _isolation._memory_limit())


#: the modules a verdict can depend on: the verifier, the rules, the cache and the
#: distributions' proof; with every pgsym module they import (not the printers, the code
#: generator or the gradient library, whose edits leave every verdict as it was)
_VERDICT_ROOTS = ("pgsym.verification", "pgsym.rules", "pgsym.cache", "pgsym.distribution")


def _pgsym_source(listing: Callable[[Path, str], set[Path]] | None = None) -> str:
    """A digest of the source of the pgsym modules verdicts depend on
    (:data:`_VERDICT_ROOTS` and what they import, read off their code, or found by
    ``listing`` from the digest of every file of the package)."""
    root = Path(verification.__file__).resolve().parent
    contents: dict[Path, bytes] = {}
    if listing is None:
        chosen = _verdict_modules(root)
    else:
        contents = _source_files(root)
        chosen = listing(root, _every_source_file(contents))
    digest = hashlib.sha256()
    for path in sorted(chosen):
        data = contents[path] if path in contents else path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + data + b"\0")
    return digest.hexdigest()


def _source_files(root: Path) -> dict[Path, bytes]:
    """Every Python file of pgsym (under ``root``) and its bytes, in the order of paths."""
    return {path: path.read_bytes() for path in sorted(root.rglob("*.py"))}


def _every_source_file(contents: dict[Path, bytes] | None = None) -> str:
    """A digest of every Python file of pgsym with its path (``contents``, if read)."""
    root = Path(verification.__file__).resolve().parent
    everything = hashlib.sha256()
    for path, data in (contents if contents is not None else _source_files(root)).items():
        everything.update(path.relative_to(root).as_posix().encode() + b"\0" + data + b"\0")
    return everything.hexdigest()


def _verdict_modules(root: Path) -> set[Path]:
    """The files of :data:`_VERDICT_ROOTS`, every module of a package among them, and every
    pgsym module any of those imports anywhere in its code (imports inside functions too),
    transitively; the package's ``__init__`` only re-exports, and is read but not followed."""
    def path_of(module: str) -> Path | None:
        relative = Path(*module.split(".")[1:])
        for candidate in (root / relative / "__init__.py", root / f"{relative}.py"):
            if candidate.is_file():
                return candidate
        return None

    found: set[Path] = {root / "__init__.py"}
    pending = list(_VERDICT_ROOTS)
    while pending:
        path = path_of(pending.pop())
        if path is None or path in found:
            continue
        found.add(path)
        package = ".".join(("pgsym",) + path.parent.relative_to(root).parts)
        if path.name == "__init__.py":
            pending += [f"{package}.{p.stem}" for p in path.parent.glob("*.py")
                        if p.name != "__init__.py"]
        for node in ast.walk(ast.parse(path.read_bytes())):
            if isinstance(node, ast.Import):
                pending += [a.name for a in node.names if a.name.startswith("pgsym.")]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                    base = ".".join(parent + ([base] if base else []))
                if base == "pgsym" or base.startswith("pgsym."):
                    pending += [base] + [f"{base}.{a.name}" for a in node.names]
    return found


def _rules_digest() -> tuple:
    """The registered rules, and for any whose code is not pgsym's, that code's source: the
    suggestions of a mismatch try every rule."""
    described = []
    for name, rule in sorted(registered_rules().items()):
        modules = set()
        for field in dataclasses.fields(rule):
            value = getattr(rule, field.name)
            if callable(value):
                value = getattr(value, "func", value)
                modules.add(getattr(value, "__module__", None) or "")
        sources = sorted(_source_digest(m) for m in modules
                         if m.split(".")[0] not in verification.OWN_PACKAGES)
        described.append((name, tuple(sources)))
    return tuple(described)
