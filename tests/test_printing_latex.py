"""The LaTeX printer: the notation of papers, on small derivations.

The LaTeX of the shipped derivations is checked once, against the committed build
(derivations/generated/), by tests/test_publish.py.
"""
import re

import pytest
import sympy as sp

from pgsym import Derivation, Expectation, Notation
from pgsym.printing.latex import derivation_to_latex, expression_to_latex, lines, width

x = sp.Symbol("x", positive=True)


def test_every_step_is_a_row_with_its_justification_in_brackets_and_a_small_mark():
    d = (Derivation("d", start=sp.log(x * x)).step(2 * sp.log(x), rule="algebra")
         .step(sp.Add(sp.log(x), sp.log(x), evaluate=False), rule="algebra"))
    latex = derivation_to_latex(d, d.verify())
    rows = latex.strip().splitlines()[1:-1]
    assert len(rows) == len(d.steps)
    for row in rows:
        assert "&=" in row and r"\tag*{\small (algebra)\,$\checkmark$}" in row
    assert r"\#" not in latex and "[proved]" not in latex


def test_a_verdict_that_needs_words_gets_a_letter_and_a_note_under_the_derivation():
    d = Derivation("bad", start=sp.log(x * x)).step(sp.log(x), rule="algebra")
    latex = derivation_to_latex(d, d.verify())
    assert r"\,$\times^{\mathrm{a}}$" in latex
    assert re.search(r"\\footnotesize(\\raggedright)? \$\^\{\\mathrm\{a\}\}\$ refuted at x = ", latex)


def test_a_derivation_without_steps_prints_its_start_and_no_empty_alignment():
    latex = derivation_to_latex(Derivation("empty", start=x**2))
    assert "align" not in latex and latex == "\\[ x^{2} \\]\n"


def test_a_wide_step_is_broken_before_a_top_level_plus_or_minus():
    terms = sp.Add(*[sp.Function(f"f_{k}")(x) * sp.Symbol(f"c_{k}") for k in range(14)])
    y = sp.Symbol("y")
    d = Derivation("wide", start=y, definitions={y: terms}).step(terms, rule="definition")
    [line] = lines(d)
    assert len(line.pieces) > 1
    assert all(width(piece) <= 38 for piece in line.pieces)
    assert all(piece.startswith(" + ") for piece in line.pieces[1:])
    latex = derivation_to_latex(d)
    assert latex.count(r"&\qquad  + ") == len(line.pieces) - 1


def test_an_author_may_say_where_a_step_breaks():
    a, b, c = sp.symbols("a b c")
    y = sp.Symbol("y")
    d = Derivation("hint", start=y, definitions={y: a + b + c},
                   notation=Notation(break_after={1: 2}))
    d = d.step(sp.Add(a, b, c, evaluate=False), rule="definition")
    assert lines(d)[0].pieces == ("a + b", " + c")


def test_terms_and_factors_an_author_wrote_unevaluated_keep_their_order():
    a, b = sp.symbols("a b")
    assert expression_to_latex(sp.Add(b, a, evaluate=False)) == "b + a"
    assert expression_to_latex(sp.Mul(b, a, evaluate=False)) == "b a"


def test_evaluated_sums_start_with_a_positive_term():
    b = sp.Symbol("b")
    R = sp.Function("R")(sp.Symbol("a"))
    assert expression_to_latex(R - b) == "R(a) - b"
    g = sp.Symbol("g")
    assert expression_to_latex(g**2 - sp.Symbol("m")**2) == "g^{2} - m^{2}"


def test_nested_products_print_without_brackets():
    a, b, c = sp.symbols("a b c")
    product = sp.Mul(sp.Mul(a, b, evaluate=False), c, evaluate=False)
    assert expression_to_latex(product) == "a b c"


def test_conditional_notation_and_parameters_as_declared():
    s, a, theta = sp.symbols("s a theta")
    pi = sp.Function("pi")(a, s, theta)
    d = Derivation("c", start=pi, parameters=(theta,), notation={"conditional": {"pi": 1}})
    d = d.step(pi, rule="definition")
    assert lines(d)[0].left == r"\pi(a \mid s; \theta)"
    d2 = Derivation("c", start=pi, parameters=(theta,),
                    notation={"conditional": {"pi": 1}, "parameters": "subscript"})
    d2 = d2.step(pi, rule="definition")
    assert lines(d2)[0].left == r"\pi_{\theta}(a \mid s)"


def test_the_gradient_by_a_parameter_and_the_derivative_by_a_component():
    theta = sp.IndexedBase("theta")
    i, j = sp.symbols("i j", integer=True)
    f = sp.Function("f")
    assert expression_to_latex(sp.Derivative(f(theta[i, j]), theta[i, j])) == \
        r"\frac{\partial f({\theta}_{i,j})}{\partial {\theta}_{i,j}}"


def test_one_kind_of_derivative_in_one_derivation():
    b, c = sp.symbols("b c")
    f = sp.Function("f")
    d = Derivation("kinds", start=sp.Derivative(f(b) * c, b)).step(
        c * sp.Derivative(f(b), b), rule="linearity of differentiation")
    printed = [lines(d)[0].left, lines(d)[0].right]
    assert all(r"\partial" in p for p in printed) and not any("{d " in p for p in printed)
    total = Derivation("kinds", start=sp.Derivative(f(b) * c, b), notation={"derivative": "total"})
    total = total.step(c * sp.Derivative(f(b), b), rule="linearity of differentiation")
    assert r"\partial" not in lines(total)[0].right


def test_a_sum_over_several_variables_shows_its_ranges_once_or_its_declared_name():
    i, c = sp.symbols("i c", integer=True)
    V = sp.IndexedBase("V")
    total = sp.Sum(V[i, c], (i, 0, 1), (c, 0, 2))
    d = Derivation("sums", start=total).step(2 * total / 2, rule="algebra")
    first, = lines(d)
    assert r"\substack" in first.left and r"\substack" not in first.right
    assert r"\sum_{i, c}" in first.right
    named = Derivation("sums", start=total, notation={"sums": {"i, c": r"i, c \in \mathcal{A}"}})
    named = named.step(2 * total / 2, rule="algebra")
    assert lines(named)[0].left.startswith(r"\sum_{i, c \in \mathcal{A}}")


def test_an_unknown_notation_is_refused_with_its_field():
    from pgsym.derivation import DerivationError

    with pytest.raises(DerivationError, match="derivative must be one of"):
        Derivation("n", start=x, notation={"derivative": "curly"})
    with pytest.raises(DerivationError, match="no field 'colour'"):
        Derivation("n", start=x, notation={"colour": "red"})


def test_pgsym_objects_print_in_plain_sympy_latex():
    k = sp.Symbol("k", integer=True)
    p = sp.Function("p")
    assert sp.latex(Expectation(k, (k, 0, 3), p(k))) == \
        r"\mathbb{E}_{k \sim p{\left(k \right)}}\left[k\right]"


def test_notation_follows_the_notes():
    theta, x = sp.Symbol("theta"), sp.Symbol("x", integer=True)
    p = sp.Function("p")(x, theta)
    z = sp.Symbol("z")
    assert expression_to_latex(sp.Derivative(p, theta), (theta,)) == \
        r"\nabla_{\theta} p(x; \theta)"
    assert expression_to_latex(sp.Derivative(z, theta), (theta,)) == r"\nabla_{\theta} z"
    f = sp.Function("f")(x)
    assert expression_to_latex(Expectation(f, (x, 1, 3), p), (theta,)) == \
        r"\mathbb{E}_{x \sim p(x; \theta)}\left[f(x)\right]"


def test_text_in_justifications_is_escaped_but_math_is_kept():
    d = Derivation("escape", start=x + x).step(2 * x, rule="algebra", note="50% of #1 & $x_1$")
    assert r"50\% of \#1 \& $x_1$" in d.to_latex()


def test_jupyter_shows_a_derivation_as_math():
    d = Derivation("d", start=sp.log(x * x)).step(2 * sp.log(x), rule="algebra")
    assert d._repr_latex_().startswith("$\\displaystyle \\begin{aligned}")


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


def test_a_grouped_factor_keeps_its_grouping_without_brackets():
    """Associativity must show: f (b / b) and (f / b) b print differently, with no [...]."""
    a, b = sp.symbols("a b")
    f = sp.Function("f")(a)
    assert expression_to_latex(sp.Mul(f, sp.Mul(b, 1 / b, evaluate=False), evaluate=False)) == \
        r"f(a) \frac{b}{b}"
    assert expression_to_latex(sp.Mul(sp.Mul(f, 1 / b, evaluate=False), b, evaluate=False)) == \
        r"\frac{f(a)}{b} b"


def test_no_term_shows_two_signs():
    a, b = sp.symbols("a b")
    term = sp.Mul(-1, sp.Mul(-1, a, evaluate=False), evaluate=False)
    printed = expression_to_latex(sp.Add(-1, term, b, evaluate=False))
    assert "- -" not in printed and "+ -" not in printed
