"""The document model and its printers, on small derivations."""
import json
import pkgutil
import subprocess
import sys
import types

import pytest
import sympy as sp

import pgsym
from pgsym import Derivation
from pgsym.catalog import Entry
from pgsym.derivation import DerivationError
from pgsym.document import assemble
from pgsym.printing.html import derivation_to_html, document_to_html
from pgsym.printing.latex import document_to_latex
from pgsym.printing.markdown import document_to_markdown

x = sp.Symbol("x", positive=True)
GOOD = Entry("pkg.good", Derivation("good", start=sp.log(x * x)).step(2 * sp.log(x), rule="algebra"))
BAD = Entry("pkg.bad", Derivation("bad", start=sp.log(x * x)).step(sp.log(x), rule="algebra"))


@pytest.fixture
def package(monkeypatch):
    module = types.ModuleType("pkg")
    module.TITLE = "T_1 ^ 2 & co"
    module.OUTLINE = (("1 First", "Text with $x_1$ math.\n\n$$x^2$$", ("good",)),)
    monkeypatch.setitem(sys.modules, "pkg", module)
    return module


def test_the_outline_places_derivations_and_the_rest_go_last(package):
    document = assemble([GOOD, BAD], [GOOD.derivation.verify(), BAD.derivation.verify()], package="pkg")
    assert [(s.title, [e.derivation.name for e in s.entries]) for s in document.sections] == \
        [("1 First", ["good"]), ("Other derivations", ["bad"])]
    assert not document.ok


def test_an_outline_naming_a_module_without_derivations_is_an_error(package):
    package.OUTLINE = (("1 First", "", ("good", "missing")),)
    with pytest.raises(DerivationError, match="section '1 First': no derivations from missing"):
        assemble([GOOD], [GOOD.derivation.verify()], package="pkg")


def test_every_format_shows_a_refuted_step_as_refuted(package):
    document = assemble([GOOD, BAD], [GOOD.derivation.verify(), BAD.derivation.verify()], package="pkg")
    assert r"\,$\times^{\mathrm{a}}$" in document_to_latex(document)  # a mark, its note below
    assert "❌ refuted" in document_to_markdown(document)
    page = document_to_html(document)
    assert '<span class="badge refuted">refuted</span>' in page
    assert '<span class="badge proved">proved</span>' in page


def test_text_is_escaped_for_each_format_and_math_is_kept(package):
    document = assemble([GOOD], [GOOD.derivation.verify()], package="pkg")
    latex = document_to_latex(document)
    assert r"\title{T\_1 \^{} 2 \& co}" in latex and "Text with $x_1$ math." in latex
    assert r"\[ x^2 \]" in latex
    assert "# T\\_1 ^ 2 & co" in document_to_markdown(document)
    page = document_to_html(document)
    assert "<title>T_1 ^ 2 &amp; co</title>" in page
    assert 'display="block"' in page.split("1 First")[1]  # the $$ paragraph


def test_a_derivation_without_a_report_prints_no_badges():
    assert "badge" not in derivation_to_html(GOOD.derivation)
    assert GOOD.derivation._repr_html_().startswith('<div class="derivation"><table')
    assert "verified" in GOOD.derivation.verify()._repr_html_()


def _modules():
    return [info.name for info in pkgutil.walk_packages(pgsym.__path__, "pgsym.")
            if not info.name.endswith(("plots", "__main__"))]


_DOCTESTS = r"""
import doctest, importlib, json, os, sys
results = {}
for name in sys.argv[1:]:
    try:
        module = importlib.import_module(name)
    except ImportError as error:
        missing = (getattr(error.__cause__ or error, "name", None) or "").split(".")[0]
        if missing in ("jax", "torch") and not os.environ.get("PGSYM_REQUIRE_BACKENDS"):
            results[name] = f"skip: {name} needs {missing} (pip install \"pgsym[{missing}]\")"
            continue
        raise
    results[name] = doctest.testmod(module, optionflags=doctest.ELLIPSIS).failed
print(json.dumps(results))
"""


@pytest.fixture(scope="session")
def doctest_failures() -> dict:
    """Every module's docstring examples, run in a fresh interpreter: they declare
    distributions and functions, and build expressions under ``sympy.evaluate(False)``, which
    must not reach the tests that share this process (nor the tests reach them). The
    modules that need an optional backend that is not installed are skipped (the README's
    test command installs neither; CI installs both and requires them)."""
    done = subprocess.run([sys.executable, "-c", _DOCTESTS, *_modules()], capture_output=True,
                          text=True)
    if done.returncode:
        pytest.fail(f"the docstring examples could not run:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.xdist_group("doctests")  # one worker runs the examples, once
@pytest.mark.parametrize("name", _modules())
def test_the_examples_in_the_docstrings_run(name, doctest_failures):
    outcome = doctest_failures[name]
    if isinstance(outcome, str):
        pytest.skip(outcome[len("skip: "):])
    assert outcome == 0, f"{outcome} docstring example(s) of {name} failed: " \
                         f"python -m doctest -v {name.replace('.', '/')}.py"


def test_the_texts_of_the_notes_hold_no_control_characters():
    """A backslash lost in a Python string turns LaTeX into control characters: '\\alpha'
    written as "\\alpha" in a plain string is a bell, '\\nabla' a newline and 'abla'."""
    import re

    import derivations
    from pgsym import catalog
    texts = [text for _, text, _ in derivations.OUTLINE]
    texts += [entry.derivation.description for entry in catalog.discover()]
    for text in texts:
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f]", text), repr(text)


def test_a_note_several_steps_share_is_listed_once():
    """New user 29: "proved under a stated assumption: x < 1" was listed once per step, four
    times, in every format. It is now listed once, naming the steps (one footnote letter in
    the LaTeX)."""
    from pgsym.printing.latex import derivation_to_latex
    from pgsym.report import VerdictKind

    x = sp.Symbol("x", positive=True)
    d = Derivation("twice", start=sp.log(x * (1 - x)))
    d.step(sp.log(x) + sp.log(1 - x), rule="log of a product", condition=1 - x > 0)
    d.step(sp.log(x * (1 - x)), rule="log of a product", condition=1 - x > 0)
    report = d.verify()
    assert [s.verdict.kind for s in report.steps] == [VerdictKind.PROVED_ASSUMING] * 2
    latex = derivation_to_latex(d, report)
    assert latex.count("proved under a stated assumption") == 1 and "mathrm{b}" not in latex
    page = derivation_to_html(d, report)
    assert page.count("proved under a stated assumption: ") == 1
    assert "steps 1 and 2: proved under a stated assumption" in page
