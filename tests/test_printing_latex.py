"""Golden files for the LaTeX of the shipped derivations.

Regenerate them after an intended change with:
    PGSYM_UPDATE_GOLDEN=1 python -m pytest tests/test_printing_latex.py
"""
import os
from pathlib import Path

import pytest
import sympy as sp

from pgsym import Derivation, Expectation, catalog
from pgsym.printing.latex import expression_to_latex

GOLDEN = Path(__file__).parent / "golden"
ENTRIES = catalog.discover()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.slug for e in ENTRIES])
def test_latex_of_each_shipped_derivation_matches_its_golden_file(entry):
    derivation = entry.derivation
    latex = derivation.to_latex(derivation.verify())
    golden = GOLDEN / f"{entry.slug}.tex"
    if os.environ.get("PGSYM_UPDATE_GOLDEN"):
        golden.write_text(latex)
    assert golden.exists(), f"no golden file {golden}; run with PGSYM_UPDATE_GOLDEN=1"
    assert latex == golden.read_text()


def test_every_step_is_a_line_with_its_justification_and_verdict():
    derivation = ENTRIES[0].derivation
    latex = derivation.to_latex(derivation.verify())
    lines = latex.strip().splitlines()[1:-1]
    assert len(lines) == len(derivation.steps)
    for line, step in zip(lines, derivation.steps):
        assert "&=" in line and f"\\# {step.rule}" in line and "[proved]" in line


def test_notation_follows_the_notes():
    theta, x = sp.Symbol("theta"), sp.Symbol("x", integer=True)
    p = sp.Function("p")(x, theta)
    z = sp.Symbol("z")
    assert expression_to_latex(sp.Derivative(p, theta), (theta,)) == \
        r"\nabla_{\theta} p\left(x; \theta\right)"
    assert expression_to_latex(sp.Derivative(z, theta), (theta,)) == r"\frac{d z}{d \theta}"
    f = sp.Function("f")(x)
    assert expression_to_latex(Expectation(f, (x, 1, 3), p), (theta,)) == \
        r"\mathbb{E}_{x \sim p\left(x; \theta\right)}\left[f\left(x\right)\right]"


def test_text_in_justifications_is_escaped_but_math_is_kept():
    x = sp.Symbol("x", positive=True)
    d = Derivation("escape", start=x + x).step(2 * x, rule="algebra", note="50% of #1 & $x_1$")
    assert r"50\% of \#1 \& $x_1$" in d.to_latex()


def test_jupyter_shows_a_derivation_as_math():
    assert ENTRIES[0].derivation._repr_latex_().startswith("$\\displaystyle \\begin{aligned}")


def test_integers_past_pythons_digit_limit_print_exactly():
    import sys

    from pgsym.printing.latex import expression_to_latex

    huge = 3**20000 + 1  # 9543 digits, past the 4300 digits str() accepts by default
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        digits = str(huge)
    finally:
        sys.set_int_max_str_digits(limit)
    assert expression_to_latex(sp.Integer(huge)) == digits
    assert expression_to_latex(sp.Rational(-huge, 7)) == rf"- \frac{{{digits}}}{{7}}"
