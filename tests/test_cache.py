"""The verdict cache (pgsym/cache.py): it answers only for steps unchanged in everything their
verdict depends on, and nothing found on disk can make a failing step pass."""
import dataclasses
import functools
import operator
import os
import pickle
import re
import shutil
import stat
import subprocess
import sys
import textwrap

import pytest
import sympy as sp

import pgsym

from pgsym import Derivation, Distribution, Rule, RuleCheck, Settings, verify_many
from pgsym import cache as cache_module
from pgsym import _own_classes, verification
from pgsym._deadline import TimeLimitExceeded
from pgsym.cache import StepCache, default_directory, step_key
from pgsym.cli import main
from pgsym.report import Justification, VerdictKind

x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", real=True)


def _proved() -> Derivation:
    return Derivation("log of a square", start=sp.log(x**2)).step(2 * sp.log(x), rule="algebra")


def _refuted() -> Derivation:
    # false: log(y^2) = 2 log|y|, not 2 log y (and y may be negative)
    return Derivation("a false step", start=sp.log(y**2 + 1)).step(2 * sp.log(y + 1),
                                                                    rule="algebra")


def _verdicts(reports):
    return [(s.verdict.kind, s.verdict.method, s.verdict.detail, s.justification)
            for r in reports for s in r.steps]


def _entries(cache: StepCache) -> list:
    return sorted(p for p in (cache.directory / "steps").rglob("*") if p.is_file())


def test_a_second_run_answers_every_step_from_the_cache_with_the_same_verdicts(tmp_path):
    cache = StepCache(tmp_path)
    first = verify_many([_proved(), _refuted()], cache=cache)
    assert (cache.hits, cache.misses, cache.stored) == (0, 2, 2)
    again = StepCache(tmp_path)
    second = verify_many([_proved(), _refuted()], cache=again)
    assert (again.hits, again.misses) == (2, 0)
    assert _verdicts(second) == _verdicts(first)
    assert [r.ok for r in second] == [True, False]
    assert second[1].steps[0].verdict.kind is VerdictKind.REFUTED
    assert second[1].steps[0].verdict.counterexample is not None


def test_changing_one_derivation_checks_only_its_steps(tmp_path):
    z = sp.Symbol("z", positive=True)
    other = Derivation("other", start=sp.log(z**3)).step(3 * sp.log(z), rule="algebra")
    verify_many([_proved(), other], cache=StepCache(tmp_path))
    changed = Derivation("other", start=sp.log(z**4)).step(4 * sp.log(z), rule="algebra")
    cache = StepCache(tmp_path)
    reports = verify_many([_proved(), changed], cache=cache)
    assert (cache.hits, cache.misses) == (1, 1)
    assert all(r.ok for r in reports)


def test_without_a_cache_nothing_is_read_or_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PGSYM_CACHE_DIR", str(tmp_path / "cache"))
    verify_many([_proved()])
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "one bit flipped",
                                    "another cache's entry"])
def test_a_damaged_or_foreign_entry_is_ignored_and_the_step_checked(tmp_path, damage):
    cache = StepCache(tmp_path / "mine")
    verify_many([_refuted()], cache=cache)
    [entry] = _entries(cache)
    data = entry.read_bytes()
    if damage == "garbage":
        entry.write_bytes(os.urandom(len(data)))
    elif damage == "truncated":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        entry.write_bytes(b"")
    elif damage == "one bit flipped":
        entry.write_bytes(data[:-10] + bytes([data[-10] ^ 1]) + data[-9:])
    else:  # the same step, stored by another cache (another machine): another secret
        theirs = StepCache(tmp_path / "theirs")
        verify_many([_refuted()], cache=theirs)
        [their_entry] = _entries(theirs)
        shutil.copy(their_entry, entry)
    again = StepCache(tmp_path / "mine")
    [report] = verify_many([_refuted()], cache=again)
    assert (again.hits, again.misses, again.ignored) == (0, 1, 1)
    assert report.steps[0].verdict.kind is VerdictKind.REFUTED


def test_a_proved_verdict_put_in_the_place_of_a_refuted_one_is_ignored(tmp_path):
    cache = StepCache(tmp_path)
    verify_many([_proved(), _refuted()], cache=cache)
    settings = Settings()
    proved_key = step_key(_proved(), 1, settings, {})
    refuted_key = step_key(_refuted(), 1, settings, {})
    proved, refuted = cache._path(proved_key), cache._path(refuted_key)
    # the entry copied whole: it names the digest it was stored under
    shutil.copy(proved, refuted)
    again = StepCache(tmp_path)
    assert not verify_many([_refuted()], cache=again)[0].ok
    assert again.ignored == 1
    # the digest inside rewritten too: the signature covers it
    data = proved.read_bytes()
    start = len(cache_module._MAGIC) + cache_module._MAC_BYTES
    refuted.write_bytes(data[:start] + refuted_key.encode() + data[start + 64:])
    again = StepCache(tmp_path)
    [report] = verify_many([_refuted()], cache=again)
    assert again.ignored == 1 and report.steps[0].verdict.kind is VerdictKind.REFUTED


def test_a_verdict_stored_as_refuted_and_edited_to_proved_is_ignored(tmp_path):
    cache = StepCache(tmp_path)
    verify_many([_refuted()], cache=cache)
    [entry] = _entries(cache)
    data = entry.read_bytes()
    header = len(cache_module._MAGIC) + cache_module._MAC_BYTES + 64
    justification, verdict, seconds = pickle.loads(data[header:])
    assert verdict.kind is VerdictKind.REFUTED
    proved = dataclasses.replace(verdict, kind=VerdictKind.PROVED, counterexample=None)
    entry.write_bytes(data[:header] + pickle.dumps((justification, proved, seconds)))
    again = StepCache(tmp_path)
    [report] = verify_many([_refuted()], cache=again)
    assert again.ignored == 1 and report.steps[0].verdict.kind is VerdictKind.REFUTED


def test_a_check_that_met_a_time_limit_is_not_stored(tmp_path, monkeypatch):
    def out_of_time(*args, **kwargs):
        raise TimeLimitExceeded()

    # (the checks run in forked children, which inherit the patch)
    monkeypatch.setattr(verification, "_symbolic", out_of_time)
    cache = StepCache(tmp_path)
    [report] = verify_many([_proved()], cache=cache)
    assert report.steps[0].verdict.kind is not VerdictKind.PROVED
    assert cache.stored == 0 and _entries(cache) == []


def test_a_rule_check_that_timed_out_is_not_stored(tmp_path):
    def endless(before, after, context):
        while True:
            pass

    endless_rule = Rule("endless rule", "never ends", check=endless)
    d = Derivation("endless", start=sp.log(x**2)).step(2 * sp.log(x), rule=endless_rule)
    cache = StepCache(tmp_path)
    [report] = verify_many([d], Settings(time_limit=0.5), cache=cache)
    assert report.steps[0].justification.status is Justification.TIMEOUT
    assert cache.stored == 0


def test_steps_citing_a_rule_of_the_users_are_never_stored(tmp_path):
    rule = Rule("my rule", "anything", check=lambda a, b, c: RuleCheck(Justification.CONFIRMED))
    d = Derivation("mine", start=sp.log(x**2)).step(2 * sp.log(x), rule=rule)
    cache = StepCache(tmp_path)
    verify_many([d], cache=cache)
    verify_many([d], cache=cache)
    assert (cache.hits, cache.stored) == (0, 0)


def _key(derivation, settings=Settings(), number=1):
    return step_key(derivation, number, settings, {})


def test_the_key_changes_with_everything_the_verdict_depends_on():
    f = sp.Function("f")
    a = sp.Symbol("a")
    k = sp.Symbol("k", integer=True)

    def score(function, symbol=a, **step):
        return Derivation("d", start=sp.log(function(symbol) ** 2), definitions={}).step(
            2 * sp.log(function(symbol)), **{"rule": "algebra", **step})

    keys = {
        "plain": _key(score(f)),
        "function positive": _key(score(sp.Function("f", positive=True))),
        "symbol positive": _key(score(f, sp.Symbol("a", positive=True))),
        "other rule": _key(score(f, rule="definition")),
        "condition": _key(score(f, condition="$f$ is smooth")),
        "accept": _key(score(f, accept="numeric")),
        "time limit": _key(score(f), Settings(time_limit=30)),
        "seed": _key(score(f), Settings(seed=1)),
        "accept numeric": _key(score(f), Settings(accept_numeric=True)),
    }
    assert len(set(keys.values())) == len(keys), keys
    defined = Derivation("d", start=a, definitions={a: sp.Symbol("b") ** 2}).step(
        sp.Symbol("b") ** 2, rule="definition")
    redefined = Derivation("d", start=a, definitions={a: sp.Symbol("b") ** 3}).step(
        sp.Symbol("b") ** 2, rule="definition")
    assert _key(defined) != _key(redefined)
    ranged = Derivation("r", start=(k + 1)**2, ranges={k: (0, 3)}).step(k**2 + 2 * k + 1,
                                                                         rule="algebra")
    other_range = Derivation("r", start=(k + 1)**2, ranges={k: (0, 4)}).step(k**2 + 2 * k + 1,
                                                                              rule="algebra")
    assert _key(ranged) != _key(other_range)


def test_two_dummies_of_one_name_are_two_symbols_to_the_key():
    i, j = sp.Dummy("i", positive=True), sp.Dummy("i", positive=True)

    def log_of_square(product):
        return Derivation("d", start=sp.log(product**2)).step(2 * sp.log(product), rule="algebra")

    assert _key(log_of_square(i * j)) != _key(log_of_square(i * i))
    assert _key(log_of_square(i * j)) == _key(log_of_square(j * i))


def test_keys_that_share_descriptions_between_steps_are_each_step_s_own_key():
    # a run describes a derivation, and values with no dummy in them, once for all its steps;
    # the dummies of the definitions keep their numbers for every step
    i, j = sp.Dummy("i", positive=True), sp.Dummy("i", positive=True)
    a, x = sp.Symbol("a"), sp.Symbol("x")

    def chain(dummy):
        return Derivation("d", start=a + x, definitions={a: sp.log(i**2)},
                          parameters=(j,)).step(
            sp.log(i**2) + x, rule="definition").step(2 * sp.log(dummy) + x, rule="algebra") \
            .step(sp.log(dummy**2) + x, rule="algebra")  # (no i in this step's expressions)

    derivations = [chain(i), chain(j), chain(i)]
    described: dict = {}
    without_dummies: dict = {}
    together = [step_key(d, n, Settings(), {}, described=described,
                         without_dummies=without_dummies)
                for d in derivations for n in (1, 2, 3)]
    assert together == [_key(d, number=n) for d in derivations for n in (1, 2, 3)]
    assert together[5] != together[2] == together[8]  # (log j is not log i)
    assert len(described) == 3 and without_dummies


def test_the_key_reads_the_values_of_a_declared_distribution():
    k = sp.Symbol("k", integer=True)

    def expectation(values, check=True):
        p = Distribution("p", (k, 0, 1), values, check=check)
        return Derivation("e", start=p.expectation(k)).step(
            sp.Sum(k * p(k), (k, 0, 1)), rule="definition of expectation")

    half = _key(expectation(sp.Rational(1, 2)))
    assert half == _key(expectation(sp.Rational(1, 2)))
    assert half != _key(expectation((k + 1) / sp.Integer(3)))
    # values declared unchecked are not known to sum to one, until the same values are
    # proved to (the verifier then knows it, and the key says so)
    unchecked = expectation(sp.Rational(1, 4) + k / 2, check=False)
    before = _key(unchecked)
    expectation(sp.Rational(1, 4) + k / 2)
    assert _key(unchecked) != before


def test_the_key_changes_with_pgsyms_own_source(monkeypatch):
    before = _key(_proved())
    monkeypatch.setattr(cache_module, "_environment",
                        lambda: ("another version of pgsym's source",))
    assert _key(_proved()) != before


def test_the_source_digest_reads_every_module_a_verdict_can_depend_on(tmp_path):
    """The digest covers the verifier and whatever it imports, lazily too, and not the
    printers or the code generator: an edit there leaves the verdicts (and the cache) be."""
    root = tmp_path / "pgsym"
    (root / "rules").mkdir(parents=True)
    files = {
        "__init__.py": "from pgsym import printing\n",
        "verification.py": "from pgsym import _helper\n",
        "_helper.py": "def f():\n    from pgsym._lazy import g\n",
        "_lazy.py": "", "cache.py": "", "distribution.py": "",
        "rules/__init__.py": "", "rules/custom.py": "",
        "printing.py": "", "codegen.py": "from pgsym import verification\n",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    read = {p.relative_to(root).as_posix() for p in cache_module._verdict_modules(root)}
    assert read == {"__init__.py", "verification.py", "_helper.py", "_lazy.py", "cache.py",
                    "distribution.py", "rules/__init__.py", "rules/custom.py"}


def test_the_listing_of_verdict_modules_kept_in_the_cache_is_signed_and_keyed_by_every_file(
        tmp_path):
    """The modules verdicts depend on are kept in the cache (finding them parses pgsym's
    code); a listing not signed by this cache, or for other files, is found again: one that
    left verification.py out would let edits to it keep stale verdicts."""
    cache = StepCache(tmp_path / "cache")
    root = cache_module.Path(verification.__file__).resolve().parent
    expected = cache_module._verdict_modules(root)
    assert cache._listed_modules(root, "a" * 64) == expected
    kept = tmp_path / "cache" / "modules" / ("a" * 64)
    assert kept.is_file()
    assert cache._listed_modules(root, "a" * 64) == expected  # (read back)
    data = kept.read_bytes()
    forged = data[:-len(b"verification.py")] + b"verificatioX.py" if \
        data.endswith(b"verification.py") else data.replace(b"verification.py\n", b"")
    kept.write_bytes(forged)
    assert cache._listed_modules(root, "a" * 64) == expected
    other = StepCache(tmp_path / "other")  # (another secret: this listing is not its own)
    (tmp_path / "other" / "modules").mkdir(parents=True)
    (tmp_path / "other" / "modules" / ("a" * 64)).write_bytes(
        kept.read_bytes().replace(b"verification.py\n", b""))
    assert other._listed_modules(root, "a" * 64) == expected
    assert cache_module._pgsym_source(cache._listed_modules) == cache_module._pgsym_source()


def test_the_key_reads_a_cited_lemma_and_whether_it_passed(tmp_path):
    n = sp.Symbol("n", integer=True, positive=True)
    t = sp.Symbol("t", integer=True)
    g = sp.Function("g", positive=True)
    lemma = Derivation("log of the product of g", start=sp.log(sp.Product(g(t), (t, 1, n))))
    lemma.step(sp.Sum(sp.log(g(t)), (t, 1, n)), rule="log of a product")
    m = sp.Symbol("m", integer=True, positive=True)
    d = Derivation("cites it", start=sp.log(sp.Product(g(t), (t, 1, m))))
    d.step(sp.Sum(sp.log(g(t)), (t, 1, m)), rule=lemma)
    cache = StepCache(tmp_path)
    first = verify_many([d], cache=cache)
    assert first[0].ok and cache.stored == 2
    again = StepCache(tmp_path)
    # (the lemma's own report is also kept in this process, so only the citing step asks)
    assert verify_many([d], cache=again)[0].ok and again.hits >= 1 and again.misses == 0
    # in a new process: the lemma's step is answered, then the step that waited for it
    verification._LEMMA_REPORTS.clear()
    fresh = StepCache(tmp_path)
    assert verify_many([d], cache=fresh)[0].ok and (fresh.hits, fresh.misses) == (2, 0)
    # the lemma's statement changed: the citing step is checked again
    wrong = Derivation("log of the product of g", start=sp.log(sp.Product(g(t), (t, 1, n))))
    wrong.step(sp.Sum(sp.log(g(t)), (t, 1, n + 1)), rule="log of a product")
    cites_wrong = Derivation("cites it", start=sp.log(sp.Product(g(t), (t, 1, m))))
    cites_wrong.step(sp.Sum(sp.log(g(t)), (t, 1, m)), rule=wrong)
    third = StepCache(tmp_path)
    [report] = verify_many([cites_wrong], cache=third)
    assert not report.ok and third.hits == 0


def test_the_key_reads_what_a_cited_lemmas_equations_fix(tmp_path):
    # second hostile review (F4): tightening variables= of the equation a lemma rests on
    # (c fixed: only f = c itself) must not answer with the verdict stored while c was free
    t, c = sp.symbols("t c", real=True)
    f = sp.Function("f", real=True)

    def cites(variables):
        given = pgsym.Equation("E", f(t), c, variables=variables)
        lemma = Derivation("L", start=f(t)).step(c, rule=given)
        return Derivation("main", start=f(t)).step(sp.Integer(7), rule=lemma,
                                                   using={c: sp.Integer(7)})

    settings = Settings(time_limit=20)
    assert not verify_many([cites((t,))], settings)[0].ok
    assert verify_many([cites((t, c))], settings, cache=StepCache(tmp_path))[0].ok
    again = StepCache(tmp_path)
    [report] = verify_many([cites((t,))], settings, cache=again)
    assert not report.ok and report.steps[0].verdict.kind is not VerdictKind.PROVED_ASSUMING
    # the same lemma again is still answered from the cache
    same = StepCache(tmp_path)
    assert verify_many([cites((t, c))], settings, cache=same)[0].ok and same.hits >= 1


def test_the_key_is_the_same_in_another_process(tmp_path):
    module = tmp_path / "keyed_derivation.py"
    module.write_text(textwrap.dedent("""
        import sympy as sp
        from pgsym import Derivation, Distribution, Settings
        from pgsym.cache import step_key

        def derivation():
            k = sp.Symbol("k", integer=True)
            p = Distribution("p", (k, 0, 2), parameters=(sp.Symbol("theta", real=True),))
            f = sp.Function("f", real=True)
            g = sp.Function("g", real=True)
            i = sp.Dummy("i", integer=True)  # (its number differs from process to process)
            d = Derivation("e", start=p.expectation(f(k)) + g(k),
                           definitions={g: sp.Lambda(i, i**2)})
            return d.step(sp.Sum(p(k) * f(k), (k, 0, 2)) + g(k), rule="definition of expectation")

        def key():
            return step_key(derivation(), 1, Settings(), {})
        """))
    keys = [subprocess.run([sys.executable, "-c", "import keyed_derivation as m; print(m.key())"],
                           cwd=tmp_path, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
            for seed in ("1", "2")]
    assert keys[0] == keys[1] and len(keys[0]) == 64


def test_a_step_with_a_class_of_the_users_is_never_answered_from_the_cache(tmp_path,
                                                                         monkeypatch):
    """Hostile reviews 33 and 34: what a class of the user's computes may rest on what no key
    reads surely. Two classes made by one factory (G = n e^x, positive for n > 0), a dict
    class attribute, or a dunder-named one set by the code that builds the derivations: in
    each, the verdict proved for one value answered 'proved' for another, where the step is
    false. Such a step is checked every time."""
    (tmp_path / "user_functions.py").write_text(
        "import sympy as sp\n\n"
        "def make(n):\n"
        "    class G(sp.Function):\n"
        "        def _eval_is_positive(self):\n"
        "            return n > 0\n"
        "    return G\n\n"
        "class F(sp.Function):\n"
        "    cfg = {'s': 1}\n"
        "    __s__ = 1\n\n"
        "    def fdiff(self, argindex=1):\n"
        "        return self.cfg['s'] * self.__s__ * F(self.args[0])\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import user_functions

    power = lambda G: Derivation("log of a square", start=sp.log(G(x) ** 2)).step(  # noqa: E731
        2 * sp.log(G(x)), rule="log of a power")
    growth = Derivation("F' = F", start=sp.Derivative(user_functions.F(x), x)).step(
        user_functions.F(x), rule="algebra")
    cache = StepCache(tmp_path / "cache")
    verify_many([power(user_functions.make(1)), growth], cache=cache)
    assert cache.stored == 0 and cache.hits == 0


def test_the_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("PGSYM_CACHE_DIR", str(tmp_path / "chosen"))
    assert default_directory() == tmp_path / "chosen"
    monkeypatch.delenv("PGSYM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_directory() == tmp_path / "xdg" / "pgsym"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_directory() == tmp_path / "home" / ".cache" / "pgsym"


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_key_others_may_read_turns_the_cache_off(tmp_path):
    verify_many([_proved()], cache=StepCache(tmp_path))
    key = tmp_path / "key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    key.chmod(0o644)
    cache = StepCache(tmp_path)
    assert verify_many([_proved()], cache=cache)[0].ok
    assert cache.hits == 0 and cache.stored == 0 and "only its owner" in cache.problem


def test_a_damaged_key_is_replaced_and_the_old_entries_ignored(tmp_path):
    verify_many([_proved()], cache=StepCache(tmp_path))
    (tmp_path / "key").write_bytes(b"short")
    cache = StepCache(tmp_path)
    assert verify_many([_proved()], cache=cache)[0].ok
    assert (cache.hits, cache.ignored, cache.stored) == (0, 1, 1)
    assert len((tmp_path / "key").read_bytes()) == 32


@pytest.fixture
def small_package(tmp_path, monkeypatch):
    package = tmp_path / "cached_derivations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "square.py").write_text(textwrap.dedent("""
        import sympy as sp
        from pgsym import Derivation

        def build():
            x = sp.Symbol("x", positive=True)
            return Derivation("log of a square", start=sp.log(x**2)).step(
                2 * sp.log(x), rule="algebra")
        """))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PGSYM_CACHE_DIR", str(tmp_path / "cache"))
    return "cached_derivations"


def test_the_command_line_uses_the_cache_unless_told_not_to(small_package, tmp_path, capsys):
    assert main(["verify", "--package", small_package]) == 0
    first = capsys.readouterr()
    assert "0 of 1 step verdicts from the cache" in first.err and "1 stored" in first.err
    assert main(["verify", "--package", small_package]) == 0
    second = capsys.readouterr()
    assert "1 of 1 step verdicts from the cache" in second.err
    assert main(["verify", "--package", small_package, "--no-cache"]) == 0
    scratch = capsys.readouterr()
    assert "from the cache" not in scratch.err

    def table(out):  # the same table and summary, but for the CPU seconds
        return [re.sub(r"\s+\d+\.\d+s$", "", line) for line in out.splitlines()]

    assert table(first.out) == table(second.out) == table(scratch.out)


def test_the_key_reads_an_assumption_set_on_a_function_after_it_was_made(tmp_path):
    # the seventh hostile review (G9, F3): f.is_positive = True is not in f._kwargs, and a
    # "proved" |f(y)| = f(y) for it was replayed for the plain f (SymPy makes Function("f")
    # once per name, so the assumption is set, and then removed, on the one class)
    f = sp.Function("f_g9_set_later")

    def abs_of():
        return Derivation("abs of f", start=sp.Abs(f(y), evaluate=False)).step(f(y), rule="algebra")

    plain = _key(abs_of())
    f.is_positive = True
    try:  # (refused since hostile review 77: the fact reached every derivation declaring f)
        with pytest.raises(pgsym.DerivationError, match="holds what sympy.Function makes"):
            abs_of()
    finally:
        del f.is_positive
        sp.core.cache.clear_cache()
    assert f(y).is_positive is None and _key(abs_of()) == plain
    cache = StepCache(tmp_path)
    [report] = verify_many([abs_of()], Settings(time_limit=20), cache=cache, workers=1)
    assert not report.ok and cache.hits == 0


def test_assumptions_changed_in_place_on_a_function_change_its_key(tmp_path):
    """Hostile review 43: f.default_assumptions["positive"] = True, set in one run (SymPy
    reads it) and not in the next, gave the second run the first one's "proved" for
    log(f g) = log f + log g, false for f = g = -1."""
    f, g = sp.Function("f_h43_in_place"), sp.Function("g_h43_in_place")

    def log_of_a_product() -> Derivation:
        d = Derivation("log of a product", start=sp.log(f(y) * g(y)))
        return d.step(sp.log(f(y)) + sp.log(g(y)), rule="log of a product")

    saved = [dict(F.default_assumptions) for F in (f, g)]
    try:
        for F in (f, g):
            F.default_assumptions.update(positive=True, real=True, nonzero=True)
        assert verify_many([log_of_a_product()], cache=StepCache(tmp_path))[0].ok
    finally:
        for F, facts in zip((f, g), saved):
            F.default_assumptions.clear()
            F.default_assumptions.update(facts)
        sp.core.cache.clear_cache()  # (f(y) kept the facts it derived: as in a new run)
    again = StepCache(tmp_path)
    assert not verify_many([log_of_a_product()], cache=again)[0].ok
    assert again.hits == 0


def test_a_class_of_the_user_s_claiming_to_be_python_s_own_is_not_cached(tmp_path):
    """Hostile review 43: a Function subclass with __module__ = "builtins" was described by
    its name only; a second run, where it was no longer positive, got "proved" from the
    first run's entry."""
    def log_of_a_product(positive: bool) -> Derivation:
        body = {"__module__": "builtins"}
        if positive:
            body.update(_eval_is_positive=lambda self: True, _eval_is_real=lambda self: True)
        F = type("F", (sp.Function,), dict(body))
        G = type("G", (sp.Function,), dict(body))
        d = Derivation("log of a product", start=sp.log(F(y) * G(y)))
        return d.step(sp.log(F(y)) + sp.log(G(y)), rule="log of a product")

    assert not verification.own_class(type("F", (sp.Function,), {"__module__": "builtins"}))
    assert verification.own_class(sp.Function) and verification.own_class(object)
    first = StepCache(tmp_path)
    assert verify_many([log_of_a_product(True)], cache=first)[0].ok
    again = StepCache(tmp_path)
    assert not verify_many([log_of_a_product(False)], cache=again)[0].ok
    assert again.hits == 0


# -- the printed texts of a document (pgsym build with nothing changed prints nothing) -----
def _document(*derivations, title="T", figures=()):
    from pgsym.catalog import Entry
    from pgsym.document import Document, assemble

    entries = [Entry("m", d) for d in derivations]
    document = assemble(entries, verify_many(list(derivations)), title=title)
    return Document(document.title, document.source, document.sections, document.reports,
                    tuple(figures))


def test_a_document_printed_before_is_read_from_the_cache_as_printing_gives_it(tmp_path,
                                                                               monkeypatch):
    from pgsym import publish

    document = _document(_proved(), _refuted())
    cache = StepCache(tmp_path / "cache")
    first = publish.write_document(document, tmp_path / "a", cache=cache)
    assert len(list((tmp_path / "cache" / "documents").iterdir())) == 1

    def not_again(*arguments):
        raise AssertionError("printed again")
    monkeypatch.setattr(publish, "_printed", not_again)
    second = publish.write_document(document, tmp_path / "b", cache=StepCache(tmp_path / "cache"))
    assert [p.name for p in second] == [p.name for p in first]
    assert all((tmp_path / "b" / p.name).read_bytes() == p.read_bytes() for p in first)
    with pytest.raises(AssertionError, match="printed again"):  # (no cache: printed)
        publish.write_document(document, tmp_path / "c")


def test_the_printed_key_changes_with_everything_the_texts_depend_on(tmp_path, monkeypatch):
    from pgsym.cache import document_key
    from pgsym.document import Figure

    figure = Figure("dot.png", "A dot.", "Derivations")
    (tmp_path / "dot.png").write_bytes(b"one")
    base = _document(_proved(), figures=(figure,))
    key = document_key(base, tmp_path)
    assert key is not None and key == document_key(_document(_proved(), figures=(figure,)),
                                                   tmp_path)
    report = base.reports[0]
    step = report.steps[0]
    z = sp.Symbol("x", real=True)  # (the same name, other assumptions: prints alike)
    others = {
        "title": _document(_proved(), title="U", figures=(figure,)),
        "verdict": dataclasses.replace(base, reports=(dataclasses.replace(report, steps=(
            dataclasses.replace(step, verdict=dataclasses.replace(
                step.verdict, kind=VerdictKind.CHECKED_NUMERICALLY)),)),)),
        "assumptions": _document(Derivation("log of a square", start=sp.log(z**2)).step(
            2 * sp.log(z), rule="algebra"), figures=(figure,)),
        "notation": _document(Derivation("log of a square", start=sp.log(x**2),
                                         notation={"justifications": "numbered"}).step(
            2 * sp.log(x), rule="algebra"), figures=(figure,)),
        "time near its limit": dataclasses.replace(base, reports=(dataclasses.replace(
            report, steps=(dataclasses.replace(step, seconds=2 * report.time_limit),)),)),
    }
    for what, document in others.items():
        assert document_key(document, tmp_path) != key, what
    # (a time the document never prints changes nothing)
    faster = dataclasses.replace(base, reports=(dataclasses.replace(
        report, steps=(dataclasses.replace(step, seconds=step.seconds + 0.01),)),))
    assert document_key(faster, tmp_path) == key
    (tmp_path / "dot.png").write_bytes(b"two")  # (the HTML embeds the figure)
    assert document_key(base, tmp_path) != key
    (tmp_path / "dot.png").write_bytes(b"one")
    monkeypatch.setattr(cache_module, "_every_source_file", lambda: "another pgsym")
    assert document_key(base, tmp_path) != key


def test_a_damaged_or_foreign_printed_document_is_ignored_and_printed_again(tmp_path):
    from pgsym import publish
    from pgsym.cache import document_key

    document = _document(_proved())
    publish.write_document(document, tmp_path / "a", cache=StepCache(tmp_path / "cache"))
    key = document_key(document, tmp_path / "a")
    [entry] = (tmp_path / "cache" / "documents").iterdir()
    assert entry.name == key
    data = entry.read_bytes()
    entry.write_bytes(data.replace(b"2 \\\\log", b"3 \\\\log"))  # (a false step, published)
    assert entry.read_bytes() != data
    fresh = StepCache(tmp_path / "cache")
    assert fresh.printed(key) is None and fresh.ignored == 1
    publish.write_document(document, tmp_path / "b", cache=fresh)
    assert (tmp_path / "b" / "notes.tex").read_bytes() == (tmp_path / "a" / "notes.tex").read_bytes()
    StepCache(tmp_path / "other").keep_printed(key, {"notes.tex": "forged"})
    shutil.copy(tmp_path / "other" / "documents" / key, entry)  # (signed with another key)
    assert StepCache(tmp_path / "cache").printed(key) is None


def test_a_document_whose_printing_warns_is_printed_and_warns_every_time(tmp_path):
    from pgsym import publish
    from pgsym.notation import NotationWarning

    warned = Derivation("log of a square", start=sp.log(x**2),
                        notation={"conditional": {"nowhere": 1}}).step(2 * sp.log(x),
                                                                      rule="algebra")
    document = _document(warned)
    for folder in "ab":
        with pytest.warns(NotationWarning, match="nowhere"):
            publish.write_document(document, tmp_path / folder,
                                   cache=StepCache(tmp_path / "cache"))
    assert not (tmp_path / "cache" / "documents").exists()


def test_a_document_holding_a_class_of_the_users_is_never_read_from_the_cache(tmp_path):
    from pgsym.cache import document_key

    class Twice(sp.Function):
        @classmethod
        def eval(cls, arg):
            return None

    document = _document(Derivation("own", start=sp.Add(Twice(x), Twice(x), evaluate=False))
                         .step(2 * Twice(x), rule="algebra"))
    assert document_key(document, tmp_path) is None


# -- the check that the equations taken as given do not contradict each other -------------
def _chained(up_name="step up", period_rhs=None):
    from pgsym import Equation

    t = sp.Symbol("t", real=True)
    f = sp.Function("f", real=True)
    up = Equation(up_name, f(t + 1), f(t) + 1, variables=(t,))
    period = Equation("period two", f(t + 2), f(t) if period_rhs is None else period_rhs(f, t),
                      variables=(t,))
    d = Derivation("zero is two", start=f(t), functions=(f,))
    d = d.step(f(t + 2), rule=period).step(f(t + 1) + 1, rule=up)
    d = d.step(sp.Add(sp.Add(f(t), 1, evaluate=False), 1, evaluate=False), rule=up)
    return d.step(f(t) + 2, rule="algebra")


def test_what_the_given_equations_check_found_is_kept_and_read_back(tmp_path, monkeypatch):
    first = StepCache(tmp_path)
    [report] = verify_many([_chained()], cache=first)
    assert report.steps[2].verdict.kind is VerdictKind.UNKNOWN
    assert len(list((tmp_path / "given").iterdir())) == 1

    def not_again(*arguments):
        raise AssertionError("checked again")
    monkeypatch.setattr(verification, "_given_equations_contradict", not_again)
    [again] = verify_many([_chained()], cache=StepCache(tmp_path))
    assert _verdicts([again]) == _verdicts([report])
    with pytest.raises(AssertionError, match="checked again"):  # (no cache: checked)
        verify_many([_chained()])


def test_the_given_equations_key_reads_every_equation_and_what_they_say(tmp_path):
    cache = StepCache(tmp_path)
    key = cache.given_equations_key(_chained())
    assert key is not None and key == cache.given_equations_key(_chained())
    assert cache.given_equations_key(_chained(up_name="up")) != key
    # (the same steps, a period equation written f(t + 2) = f(t) + 0: another equation)
    assert cache.given_equations_key(
        _chained(period_rhs=lambda f, t: sp.Add(f(t), 0, evaluate=False))) != key


def test_a_given_equations_check_that_met_a_time_limit_is_not_kept(tmp_path, monkeypatch):
    def out_of_time(*arguments):
        TimeLimitExceeded.raised += 1  # (as a check stopped at its limit counts itself)
        return ""
    monkeypatch.setattr(verification, "_given_equations_contradict", out_of_time)
    [report] = verify_many([_chained()], cache=StepCache(tmp_path))
    assert report.ok  # (nothing shown in time: the steps' verdicts stand)
    assert not (tmp_path / "given").exists()


class Name(str):
    """A name whose repr hides what it is (module level: the verdicts come back pickled)."""

    def __repr__(self):
        return "Name(...)"


def test_a_name_of_a_class_of_the_users_is_never_answered_from_the_cache(tmp_path):
    """Hostile review 58: a str subclass whose __repr__ hides its value gave the symbols a
    and b one description, and a 1 = b was answered 'proved' from the entry of a 1 = a."""
    a, b = sp.Symbol(Name("a"), positive=True), sp.Symbol(Name("b"), positive=True)
    start = sp.Mul(a, 1, evaluate=False)
    true = Derivation("d", start=start).step(a, rule="algebra")
    false = Derivation("d", start=start, parameters=(b,)).step(b, rule="algebra")
    with pytest.raises(cache_module._Uncacheable, match="Name"):
        _key(true)
    cache = StepCache(tmp_path)
    assert verify_many([true], cache=cache)[0].ok
    [report] = verify_many([false], cache=StepCache(tmp_path))
    assert report.steps[0].verdict.kind is VerdictKind.REFUTED
    # (Python's own subclasses are described by their class: bool is no int to the key)
    assert cache_module._Describer()(True) != cache_module._Describer()(1)


def test_the_printed_key_reads_the_order_of_definitions_and_ranges(tmp_path):
    """Hostile review 58: the printers state definitions in their order, and reordering them
    published the old order from the cache."""
    from pgsym.cache import document_key

    y, z = sp.symbols("y z")
    k = sp.Symbol("k", integer=True)
    n = sp.Symbol("n", integer=True)

    def document(definitions, ranges):
        return _document(Derivation("d", start=y + z, definitions=definitions, ranges=ranges)
                         .step(sp.Add(z, y, evaluate=False), rule="algebra"))
    key = document_key(document({z: x + 1, y: x + 2}, {k: (0, 3), n: (1, 2)}), tmp_path)
    assert document_key(document({y: x + 2, z: x + 1}, {k: (0, 3), n: (1, 2)}), tmp_path) != key
    assert document_key(document({z: x + 1, y: x + 2}, {n: (1, 2), k: (0, 3)}), tmp_path) != key


class _Planted(sp.Function):
    """A class of the user's put where SymPy's would be (hostile review 59)."""

    @classmethod
    def eval(cls, arg):
        return None


def test_a_class_of_the_users_put_in_sympys_place_is_still_the_users(monkeypatch):
    """Hostile review 59: a Function subclass claiming __module__ = "sympy", set as
    sympy.twice, passed for SymPy's own; its eval changed between runs and a false step was
    answered from the cache."""
    d = Derivation("planted", start=sp.Add(_Planted(x), 0, evaluate=False)).step(
        _Planted(x), rule="algebra")
    module, name = _Planted.__module__, _Planted.__qualname__
    _Planted.__module__, _Planted.__qualname__ = "sympy", "pgsym_planted"
    monkeypatch.setattr(sp, "pgsym_planted", _Planted, raising=False)
    try:
        assert not verification.own_class(_Planted)
        with pytest.raises(cache_module._Uncacheable):
            _key(d)
    finally:
        _Planted.__module__, _Planted.__qualname__ = module, name
    assert all(verification.own_class(c) for c in (sp.exp, sp.Mul, sp.Sum, Derivation,
                                                      Distribution, sp.Symbol))
    # (a package installed beside Python's library is not Python's own)
    import sysconfig

    library = sysconfig.get_paths()["stdlib"]
    assert _own_classes._in_own_files(os.path.join(library, "fractions.py"))
    assert not _own_classes._in_own_files(os.path.join(library, "site-packages", "mine", "a.py"))
    assert _own_classes._in_own_files(sp.__file__) and not _own_classes._in_own_files(__file__)


class _Coin(Distribution):
    """A distribution whose identity says nothing of its values."""

    @property
    def _key(self):
        return ("coin",)


class _Unfolding(Derivation):
    """A derivation that unfolds its definitions its own way."""


class _Title(tuple):
    """A title that prints other than its items."""

    def __str__(self):
        return "another title"


def test_subclasses_of_the_users_are_never_described_by_what_pgsyms_classes_would_say(tmp_path):
    """Hostile review 59: a Distribution subclass answering _key with a constant, a
    Derivation subclass unfolding its own way and a tuple subclass printing otherwise were
    described as pgsym's and Python's own: false steps were answered 'proved' from the cache
    and a stale title published."""
    from pgsym.cache import document_key

    k = sp.Symbol("k", integer=True)
    coin = _Coin("coin", (k, 0, 1), sp.Rational(1, 2))
    with pytest.raises(cache_module._Uncacheable):
        cache_module._Describer()(coin)
    with pytest.raises(cache_module._Uncacheable):
        _key(_Unfolding("own", start=sp.log(x**2)).step(2 * sp.log(x), rule="algebra"))
    with pytest.raises(cache_module._Uncacheable):
        cache_module._Describer()(_Title(("a",)))
    document = _document(_proved())
    assert document_key(dataclasses.replace(document, title=_Title(("T",))), tmp_path) is None


class _UserBase(sp.Function):
    """Code of the user's that a class put in SymPy's place inherits (hostile review 60)."""

    def _eval_evalf(self, precision):
        return (2 * self.args[0])._eval_evalf(precision)


class _Inherits(_UserBase):
    pass


class _Partial(sp.Function):
    _imp_ = staticmethod(functools.partial(operator.mul, 2))


class _Forged(sp.Function):
    def _eval_evalf(self, precision):
        return (2 * self.args[0])._eval_evalf(precision)


def test_classes_put_in_sympys_place_are_the_users_however_they_hide_their_code(monkeypatch):
    """Hostile review 60: classes planted as SymPy's with their code in a base class of the
    user's, in a functools.partial, or compiled under SymPy's file name passed for SymPy's:
    false steps were answered from the cache."""
    method = _Forged.__dict__["_eval_evalf"]
    forged = method.__code__.replace(co_filename=sp.core.function.__file__)
    monkeypatch.setattr(method, "__code__", forged)
    assert _own_classes._in_own_files(method.__code__.co_filename)  # (the name is forged)
    for cls in (_Inherits, _Partial, _Forged):
        module, name = cls.__module__, cls.__qualname__
        cls.__module__, cls.__qualname__ = "sympy", f"pgsym_planted_{name}"
        monkeypatch.setattr(sp, f"pgsym_planted_{name}", cls, raising=False)
        try:
            assert not verification.own_class(cls), name
        finally:
            cls.__module__, cls.__qualname__ = module, name
    # (review 61: hung inside a class SymPy had, Symbol.G, or in a module of Python's loaded
    # since pgsym looked, colorsys.H)
    import colorsys

    for owner, module, qualname in ((sp.Symbol, "sympy.core.symbol", "Symbol.pgsym_G"),
                                    (colorsys, "colorsys", "pgsym_H")):
        original = _Forged.__module__, _Forged.__qualname__
        _Forged.__module__, _Forged.__qualname__ = module, qualname
        monkeypatch.setattr(owner, qualname.split(".")[-1], _Forged, raising=False)
        try:
            assert not verification.own_class(_Forged), qualname
        finally:
            _Forged.__module__, _Forged.__qualname__ = original


def test_the_printed_key_reads_sympys_global_printer_settings(tmp_path, monkeypatch):
    """Hostile review 60: Printer.set_global_settings(symbol_names={x: "y"}) printed a verified
    x as y, and the text printed so came back from the cache once the setting was gone."""
    from sympy.printing.printer import Printer

    from pgsym.cache import document_key

    document = _document(_proved())
    key = document_key(document, tmp_path)
    monkeypatch.setattr(Printer, "_global_settings", {"symbol_names": {x: "y"}})
    assert document_key(document, tmp_path) != key
