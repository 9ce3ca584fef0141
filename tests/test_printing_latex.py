"""The LaTeX printer: the notation of papers, on small derivations.

The LaTeX of the shipped derivations is checked once, against the committed build
(derivations/generated/), by tests/test_publish.py.
"""
import re

import pytest
import sympy as sp

from pgsym import Derivation, DerivationError, Expectation, Notation
from pgsym.printing.latex import derivation_to_latex, escape_text, expression_to_latex, lines, width

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
    assert re.search(r"\\footnotesize(\\raggedright)? \$\^\{\\mathrm\{a\}\}\$ refuted at \$x = ", latex)


def test_a_note_sets_the_counterexample_and_what_the_rule_gives_as_formulas():
    # (new users 30 and 31: "lambda = 425679554/315991941", "Sum(lambda**(-2 + _n), (_n, 2,
    # N))" and "_b0_0" stood in the published notes as Python)
    lam = sp.Symbol("lambda", positive=True)
    n = sp.Symbol("n", integer=True, positive=True)
    k = sp.Symbol("k", integer=True)
    d = Derivation("shift", start=sp.Sum(lam**k, (k, 1, n))).step(
        sp.Sum(lam**k, (k, 0, n - 1)), rule="shift the index")
    report = d.verify()
    latex = derivation_to_latex(d, report)
    note = latex.split(r"\footnotesize", 1)[1]
    assert r"refuted at $" in note and r"\lambda = " in note
    assert not re.search(r"(?<!\\)lambda =", note)
    assert "applying the rule to the previous step gives $" in note and r"\sum_{" in note
    assert "Sum(" not in note and "**" not in note and r"\_" not in note
    # the terminal keeps the plain text
    assert "Sum(" in report.failures()[0] and "$" not in report.failures()[0]


def test_a_note_sets_the_lemma_and_what_its_instance_gives_as_formulas():
    k = sp.Symbol("k", integer=True)
    n = sp.Symbol("n", integer=True, positive=True)
    lemma = Derivation("sum", start=sp.Sum(k, (k, 0, n))).step(n * (n + 1) / 2, rule="algebra")
    d = Derivation("use", start=sp.Sum(k, (k, 0, n)) + 1).step(n * (n + 1) / 2 + 2, rule=lemma)
    note = derivation_to_latex(d, d.verify()).split(r"\footnotesize", 1)[1]
    assert r"the lemma $\sum_{k=0}^{n} k = \frac{" in note and "(it gives $" in note
    assert "Sum(" not in note and "*" not in note


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


# -- an operator's operand runs on to the right: nothing may follow it unbracketed ----------
# A reader takes d/dx, nabla, a sum or a bare log to apply to everything after it in the
# product: \frac{d}{d x} x^{2} \left(x + 1\right) reads d/dx [x^2 (x + 1)].

def test_a_derivative_followed_by_another_factor_is_not_read_as_the_derivative_of_both():
    y = sp.Symbol("y", real=True)
    assert expression_to_latex((y + 1) * sp.Derivative(y**2, y)) == \
        r"\left(y + 1\right) \frac{d}{d y} y^{2}"  # SymPy's order: the operator goes last
    written = sp.Mul(sp.Derivative(sp.log(y), y), y, evaluate=False)  # the author's order stays
    assert expression_to_latex(written) == r"\left(\frac{d}{d y} \log y\right) y"
    theta = sp.Symbol("theta")
    pi, Q = sp.Function("pi")(x, theta), sp.Function("Q")(x)
    assert expression_to_latex(sp.Mul(pi, sp.Derivative(sp.log(pi), theta), Q, evaluate=False),
                               (theta,)) == \
        r"\pi(x; \theta) \left(\nabla_{\theta} \log \pi(x; \theta)\right) Q(x)"
    # a derivative written as one closed fraction needs no bracket
    f = sp.Function("f")(x)
    assert expression_to_latex(sp.Mul(sp.Derivative(f, x), x, evaluate=False)) == \
        r"\frac{d f(x)}{d x} x"


def test_a_factor_after_a_sum_is_not_printed_inside_its_body():
    k = sp.Symbol("k", integer=True, nonnegative=True)
    total = sp.Sum(x**k, (k, 0, 2))
    assert expression_to_latex((k + 1) * total) == r"\left(k + 1\right) \sum_{k=0}^{2} x^{k}"
    assert expression_to_latex(sp.Mul(total, k + 1, evaluate=False)) == \
        r"\left(\sum_{k=0}^{2} x^{k}\right) \left(k + 1\right)"
    two = expression_to_latex(total * sp.Sum(k * x, (k, 0, 2)))
    assert two.startswith(r"\left(\sum") and two.count(r"\right)") == 1 and two.endswith(("x^{k}", "k x"))
    assert expression_to_latex((x + 1) * sp.Integral(x**2, (x, 0, 1))).startswith(r"\left(x + 1\right) \int")


def test_a_log_printed_without_brackets_is_the_last_factor_or_gets_brackets():
    y = sp.Symbol("y", positive=True)
    assert expression_to_latex(sp.Mul(sp.log(x), y, evaluate=False)) == r"\log(x) y"
    assert expression_to_latex(sp.log(x) * sp.sin(x)) == r"\sin{\left(x \right)} \log x"
    f, g = sp.Function("f")(x), sp.Function("g")(x)
    assert expression_to_latex(sp.Mul(sp.log(f), sp.Derivative(g, x), evaluate=False)) == \
        r"\log(f(x)) \frac{d g(x)}{d x}"
    # a product that ends in a bare log is itself open
    assert expression_to_latex(sp.Mul(sp.Mul(y, sp.log(x), evaluate=False), x, evaluate=False)) == \
        r"\left(y \log x\right) x"


def test_ordinary_products_print_as_before():
    a, b, gamma, y = sp.symbols("a b gamma y")
    k = sp.Symbol("k", integer=True)
    f = sp.Function("f")(x)
    assert expression_to_latex(y * sp.log(x)) == r"y \log x"
    assert expression_to_latex(2 * x * sp.sin(x)) == r"2 x \sin{\left(x \right)}"
    assert expression_to_latex(x * (x + 1)) == r"x \left(x + 1\right)"
    assert expression_to_latex(gamma * sp.Sum(f.subs(x, k), (k, 0, 3))) == r"\gamma \sum_{k=0}^{3} f(k)"
    assert expression_to_latex(sp.Sum(f.subs(x, k), (k, 0, 3)) / (1 - gamma)) == \
        r"\frac{1}{1 - \gamma} \sum_{k=0}^{3} f(k)"
    assert expression_to_latex(y * sp.Derivative(f, x)) == r"y \frac{d f(x)}{d x}"
    assert expression_to_latex(sp.log(x) / y) == r"\frac{\log x}{y}"
    assert expression_to_latex(sp.Mul(b, a, evaluate=False)) == "b a"
    assert expression_to_latex(sp.log(x + 1) * y) == r"y \log(x + 1)"


# A reader's parse of the printed LaTeX: juxtaposition is a product, and an operator
# (\frac{d}{d x}, \sum, a \log without brackets) takes all that follows it in its product.
_TOKEN = re.compile(r"\\left\(|\\right\)|\\frac|\\sum|\\log|\\cdot|[A-Za-z]|\d+|[{}()^_=+\-]|\s+")


class _Reader:
    def __init__(self, latex: str):
        self.tokens = [t for t in _TOKEN.findall(latex) if not t.isspace()]
        assert "".join(self.tokens) == re.sub(r"\s+", "", latex), f"cannot read {latex}"
        self.at = 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, expected=None):
        token = self.peek()
        assert expected is None or token == expected, (token, expected, self.tokens)
        self.at += 1
        return token

    def group(self) -> list[str]:
        self.take("{")
        start, depth = self.at, 1
        while depth:
            depth += {"{": 1, "}": -1}.get(self.take(), 0)
        return self.tokens[start:self.at - 1]

    def expression(self):
        sign = -1 if self.peek() == "-" and self.take() else 1
        total = sign * self.term()
        while self.peek() in ("+", "-"):
            sign = 1 if self.take() == "+" else -1
            total += sign * self.term()
        return total

    def term(self):
        product = sp.Integer(1)
        while self.peek() not in (None, "+", "-", r"\right)", ")", "}"):
            token = self.take()
            if token == r"\log" and self.peek() != "(":
                return product * sp.log(self.term())
            if token == r"\sum":
                self.take("_")
                below = self.group()
                self.take("^")
                top = self.group()
                k = sp.Symbol(below[0])
                return product * sp.Sum(self.term(), (k, int(below[2]), int(top[0]))).doit()
            if token == r"\frac":
                top, below = self.group(), self.group()
                if top == ["d"]:
                    return product * sp.diff(self.term(), sp.Symbol(below[1]))
                if top[0] == "d":  # \frac{d y}{d x}: closed
                    product *= sp.diff(sp.Symbol(top[1]), sp.Symbol(below[1]))
                else:
                    product *= _read(" ".join(top)) / _read(" ".join(below))
                continue
            product *= self.power(self.atom(token))
        return product

    def atom(self, token):
        if token in (r"\left(", "("):
            inner = self.expression()
            self.take(r"\right)" if token == r"\left(" else ")")
            return inner
        if token == r"\log":  # \log(...)
            self.take("(")
            inner = self.expression()
            self.take(")")
            return sp.log(inner)
        if token == r"\cdot":
            return sp.Integer(1)
        return sp.Integer(token) if token.isdigit() else sp.Symbol(token)

    def power(self, base):
        if self.peek() == "^":
            self.take()
            return base ** _Reader(" ".join(self.group())).expression()
        return base


def _read(latex: str) -> sp.Expr:
    reader = _Reader(latex)
    value = reader.expression()
    assert reader.peek() is None, (latex, reader.tokens[reader.at:])
    return value


def _as_read(expr: sp.Expr) -> sp.Expr:
    """``expr`` with its symbols as the reader's (the printed text does not carry
    assumptions), evaluated."""
    return expr.doit().subs({s: sp.Symbol(s.name) for s in expr.free_symbols})


def _factors():
    from hypothesis import strategies as st

    u, v = sp.Symbol("x", positive=True), sp.Symbol("y", positive=True)
    k = sp.Symbol("k", integer=True, nonnegative=True)
    return st.sampled_from([
        u, v, k, u + 1, v - 2, k + 1, sp.Integer(3),
        sp.Derivative(u**2, u), sp.Derivative(u * v, u), sp.Derivative(v, u), sp.Derivative(sp.log(u), u),
        sp.Sum(u**k, (k, 0, 2)), sp.Sum(k * v, (k, 1, 3)),
        sp.log(u), sp.log(v), sp.log(u + 1),
    ])


def test_every_printed_product_reads_as_the_product_it_prints():
    """For random products (SymPy's order or the author's, nested) of derivatives, sums,
    logarithms, sums of terms and symbols, a reader who lets every operator take all that
    follows it in its product reads the value that was printed."""
    hypothesis = pytest.importorskip("hypothesis")
    from hypothesis import strategies as st

    def product(factors, written):
        return sp.Mul(*factors, evaluate=False) if written else sp.Mul(*factors)

    leaf = st.builds(product, st.lists(_factors(), min_size=2, max_size=4), st.booleans())
    nested = st.builds(product, st.lists(st.one_of(_factors(), leaf), min_size=2, max_size=3),
                       st.booleans())
    point = {sp.Symbol("x"): sp.Rational(7, 3), sp.Symbol("y"): sp.Rational(5, 2),
             sp.Symbol("k"): 5}

    @hypothesis.settings(max_examples=300, deadline=None, derandomize=True)
    @hypothesis.given(nested)
    def reads_back(expr):
        latex = expression_to_latex(expr)
        read = _read(latex).subs(point)
        assert sp.simplify(read - _as_read(expr).subs(point)) == 0, latex

    reads_back()


def test_a_factor_that_begins_with_a_digit_is_set_apart_from_the_factor_before_it():
    """``b 0`` reads as b_0 and ``2 3`` as 23: a factor printed after another one that
    begins with a digit gets ``\\cdot``, in the author's order and in SymPy's alike."""
    b, k, gamma, y = sp.symbols("b k gamma y")
    expectation_like = sp.Function("E")(x)
    assert expression_to_latex(sp.Mul(-b, sp.Integer(0), evaluate=False)) == r"- b \cdot 0"
    assert expression_to_latex(sp.Add(expectation_like, sp.Mul(-b, sp.Integer(0), evaluate=False),
                                      evaluate=False)) == r"E(x) - b \cdot 0"
    assert expression_to_latex(sp.Mul(2, 3, evaluate=False)) == r"2 \cdot 3"
    assert expression_to_latex(sp.Mul(y, 2**k, evaluate=False)) == r"y \cdot 2^{k}"
    assert expression_to_latex(y * 2**k) == r"y \cdot 2^{k}"
    assert expression_to_latex(sp.Mul(y / (y + 1), 2, evaluate=False)) == r"\frac{y}{y + 1} \cdot 2"
    assert expression_to_latex(sp.Mul(y + 1, 2, evaluate=False)) == r"\left(y + 1\right) \cdot 2"
    assert expression_to_latex(sp.Mul(2, sp.Rational(1, 3), evaluate=False)) == r"2 \cdot \frac{1}{3}"
    total = sp.Sum(y**k, (k, 0, 3))
    assert expression_to_latex(2 * total / (1 - gamma)) == \
        r"\frac{1}{1 - \gamma} \cdot 2 \sum_{k=0}^{3} y^{k}"
    # a number first, and a factor that does not begin with a digit, are as before
    assert expression_to_latex(2 * y) == "2 y"
    assert expression_to_latex(sp.Mul(y, sp.Rational(1, 2), evaluate=False)) == r"y \frac{1}{2}"


def _log_of_a_product_twice():
    y, z = sp.symbols("y z", positive=True)
    d = Derivation("logs", start=sp.log(sp.Mul(x, y, z, evaluate=False)))
    return d.step(sp.log(x) + sp.log(y) + sp.log(z), rule=("log of a product", "log of a product"),
                  note="one factor at a time")


def test_a_rule_cited_twice_is_named_once_with_its_count_in_every_format():
    from pgsym.printing.html import derivation_to_html, report_to_html
    from pgsym.printing.markdown import derivation_to_markdown

    d = _log_of_a_product_twice()
    words = "log of a product, twice: one factor at a time"
    assert lines(d)[0].justification == words
    assert f"({words})" in derivation_to_latex(d)
    assert rf"\text{{({words})}}" in derivation_to_markdown(d)
    assert f"({words})" in derivation_to_html(d)
    assert "log of a product and log of a product" not in derivation_to_latex(d) \
        + derivation_to_markdown(d) + derivation_to_html(d)
    # what is checked, and the step's name in the model, are as cited
    assert d.steps[0].rule == "log of a product and log of a product"
    assert d.steps[0].chain == ("log of a product", "log of a product")
    report = d.verify()
    assert report.steps[0].step.rule == "log of a product and log of a product"
    assert f"({words})" in report_to_html(report)


def test_rules_cited_several_times_among_others_are_counted_in_the_order_they_first_come():
    y = sp.Symbol("y", positive=True)
    d = Derivation("d", start=sp.log(x * y) + sp.log(x * y) + 0 * x)
    d = d.step(sp.log(x) + sp.log(y) + sp.log(x) + sp.log(y),
               rule=("log of a product", "algebra", "log of a product", "log of a product"))
    assert lines(d)[0].justification == "log of a product three times and algebra"
    once = Derivation("d", start=sp.log(x * y)).step(sp.log(x) + sp.log(y),
                                                     rule=("log of a product", "algebra"))
    assert lines(once)[0].justification == "log of a product and algebra"


def test_a_conditional_k_bar_m_that_names_not_every_argument_counts_them():
    """``"1|2"`` on P(s', s, a): one argument before the bar, two after it."""
    s1, s, a, theta = sp.symbols("s1 s a theta")
    P = sp.Function("P")(s1, s, a)
    pi = sp.Function("pi")(s, a, theta)
    d = Derivation("c", start=P * pi, parameters=(theta,),
                   notation={"conditional": {"P": "1|2", "pi": "2|1"}}).step(pi * P, rule="algebra")
    assert r"P(s_{1} \mid s, a)" in lines(d)[0].left
    assert r"\pi(a \mid s; \theta)" in lines(d)[0].left
    d2 = Derivation("c", start=P, notation={"conditional": {"P": "2|1"}}).step(P, rule="definition")
    assert lines(d2)[0].left == r"P(s_{1}, s \mid a)"
    d3 = Derivation("c", start=P, notation={"conditional": {"P": "3|1,2"}}).step(P, rule="definition")
    assert lines(d3)[0].left == r"P(a \mid s_{1}, s)"


@pytest.mark.parametrize("declared", ["1|3", "2|3", "1,2|1", 3, "4|1,2,3"])
def test_a_conditional_that_does_not_fit_the_arguments_is_an_error_naming_them(declared):
    from pgsym.notation import NotationError

    s1, s, a, theta = sp.symbols("s1 s a theta")
    P = sp.Function("P")(s1, s, a, theta)
    d = Derivation("dynamics", start=P, parameters=(theta,),
                   notation={"conditional": {"P": declared}}).step(P, rule="definition")
    for make in (lambda: lines(d), lambda: derivation_to_latex(d), d.to_latex):
        with pytest.raises(NotationError) as error:
            make()
        message = str(error.value)
        assert "'dynamics'" in message and f"{{'P': {declared!r}}}" in message
        assert "P(s1, s, a, theta)" in message and "3 arguments (s1, s, a)" in message
        assert "parameters (theta)" in message


def test_a_conditional_on_a_function_of_one_argument_is_an_error():
    from pgsym.notation import NotationError

    f = sp.Function("f")(x)
    d = Derivation("one", start=f, notation={"conditional": {"f": 1}}).step(f, rule="definition")
    with pytest.raises(NotationError, match=r"conditional \{'f': 1\} does not fit f\(x\)"):
        lines(d)


def test_a_conditional_for_a_function_the_derivation_has_nowhere_is_not_ignored_silently():
    from pgsym.notation import NotationWarning

    s, a = sp.symbols("s a")
    pi = sp.Function("pi")(a, s)
    d = Derivation("typo", start=pi, notation={"conditional": {"Pi": 1}}).step(pi, rule="definition")
    with pytest.warns(NotationWarning, match=r"'typo'.*'Pi'.*no function of the derivation.*pi"):
        derivation_to_latex(d)


def test_text_cannot_close_the_tag_it_is_printed_in_and_add_a_row():
    """Hostile review 20: a note (or a rule's name) whose $...$ math held '\\)}' closed the
    \\tag* it is printed in, and '\\\\ 1 &= 2' added a row '1 = 2 (algebra) ✓' that pdflatex
    compiled."""
    from pgsym import Rule, RuleCheck
    from pgsym.report import Justification

    breakout = r"$\)} \\ 1 &= 2 \tag*{\small (algebra)\(\checkmark$"
    x = sp.Symbol("x", real=True)
    noted = Derivation("noted", start=x**2).step(sp.Mul(x, x, evaluate=False), rule="algebra",
                                                 note=breakout)
    mine = Rule("mine " + breakout, "always", lambda before, after, context:
                RuleCheck(Justification.CONFIRMED, ""))
    ruled = Derivation("ruled", start=x**2).step(sp.Mul(x, x, evaluate=False), rule=mine)
    for derivation in (noted, ruled):
        latex = derivation_to_latex(derivation)
        body = latex.split(r"\begin{align*}")[1].split(r"\end{align*}")[0]
        assert body.count(r"\\") == 0 and "&= 2" not in body.replace(r"\&= 2", ""), latex
    # math that stays inside its dollars is kept as math
    assert escape_text(r"with $w(a; \theta) = e^{\theta \phi_a}$") == \
        r"with $w(a; \theta) = e^{\theta \phi_a}$"
    assert escape_text("costs $5") == r"costs \$5"


def test_the_imaginary_unit_prints_upright_so_an_index_named_i_is_told_from_it():
    i = sp.Symbol("i", integer=True)
    assert expression_to_latex(sp.I * i) == r"i \mathrm{i}"


def test_markdown_and_html_keep_text_from_adding_a_row_too():
    """Hostile review 21: the Markdown printer put a note's $...$ math into the aligned block
    as written, so '$\\\\ 1 &= 2$' added a row '1 = 2 ✅ proved'; plain text with an unpaired
    brace could close its \\text{} the same way."""
    from pgsym.printing.html import derivation_to_html
    from pgsym.printing.markdown import derivation_to_markdown

    x = sp.Symbol("x", real=True)
    for note in (r"expand $\\ 1 &= 2$", r"expand } \\ 1 &= 2 \text{"):
        d = Derivation("noted", start=(x + 1)**2).step(x**2 + 2*x + 1, rule="algebra", note=note)
        block = derivation_to_markdown(d).split(r"\begin{aligned}")[1].split(r"\end{aligned}")[0]
        justification = block.split("&&", 1)[1]
        assert block.count(r"\\") == 0 and not re.search(r"(?<!\\)&", justification), block
        assert "<mtr>" not in derivation_to_html(d).split('class="justification"')[1]


def test_the_document_states_the_definitions_and_distributions_the_steps_read():
    """New user 9: a paper's reader could not check a step against the softmax or the q > 0 it
    rested on: the document said nothing of them. Each derivation is followed by a sentence
    with its definitions and declared distributions; a definition too wide for a line is
    named, not printed."""
    from pgsym import Distribution, Expectation
    from pgsym.printing.latex import declarations
    k = sp.Symbol("k", integer=True)
    size = sp.Symbol("K", integer=True, positive=True)
    q = Distribution("q", (k, 0, size - 1), positive=True)
    b = Distribution("b", (k, 0, 1), sp.Rational(1, 2) + 0 * k)
    J, V = sp.Symbol("J"), sp.Symbol("V")
    long_form = sp.Add(*(sp.exp(sp.Symbol(f"theta_{i}")) / (i + 1) for i in range(60)))
    d = Derivation("stated", start=Expectation(J * V, q) + b(k), definitions={J: size**2, V: long_form})
    sentence = declarations(d)
    assert sentence.startswith("Here $J := K^{2}$; $V$ is defined in the derivation's source")
    assert r"$q(k)$ is a probability mass function of $k \in \{0, \ldots, K - 1\}$, with positive values" in sentence
    assert r"$b(k) = \frac{1}{2}$ is a probability mass function of $k \in \{0, 1\}$" in sentence
    assert declarations(Derivation("bare", start=sp.Symbol("x"))) == ""


def test_the_document_states_the_range_and_weight_of_an_expectation_whose_subscript_hides_them():
    """Hostile review 35: E_{s0, a0}[1] = 2 was published, proved, with the weight 2 u u that
    the subscript does not show."""
    from pgsym import Distribution, Expectation
    from pgsym.printing.latex import declarations
    s0, a0 = sp.symbols("s0 a0", integer=True)
    u = Distribution("u", (s0, 0, 1), sp.Rational(1, 2) + 0 * s0)
    d = Derivation("weighted", start=Expectation(1, [(s0, 0, 1), (a0, 0, 1)], 2 * u(s0) * u(a0)))
    d.step(sp.Integer(2), rule="algebra")
    assert (r"$\mathbb{E}_{s_{0}, a_{0}}$ is over $s_{0} \in \{0, 1\}, a_{0} \in \{0, 1\}$, with "
            r"the weight $2 u(a_{0}) u(s_{0})$") in declarations(d)


def test_a_sum_named_by_notation_stands_for_one_range_which_the_document_states():
    """Hostile review 36: notation={"sums": {"i,c": r"\\tau"}} printed sums over 0..1 and over
    1..2 alike as sum_tau, and a true derivation read as a false one, every step proved."""
    from pgsym.printing.latex import declarations
    i, c = sp.symbols("i c", integer=True)
    f = sp.Function("f")
    named = {"sums": {"i,c": r"\tau"}}
    d = Derivation("shift", start=sp.Sum(f(i, c), (i, 0, 1), (c, 0, 1)), notation=named)
    with pytest.raises(ValueError, match=r"named sum"):
        d.step(sp.Sum(f(i - 1, c - 1), (i, 1, 2), (c, 1, 2)), rule="algebra")
    same = Derivation("same", start=sp.Sum(f(i, c), (i, 0, 1), (c, 0, 1)), notation=named)
    same.step(sp.Sum(f(c, i), (c, 0, 1), (i, 0, 1)), rule="algebra")
    assert r"$\sum_{\tau}$ is over $i \in \{0, 1\}, c \in \{0, 1\}$" in declarations(same)


def test_a_parameter_prints_after_the_semicolon_only_in_its_place_and_a_subscript_is_no_alias():
    """Hostile review 37: p(x, theta) - p(theta, x) printed as p(x; theta) - p(x; theta), and
    under parameters='subscript' p(x, theta) and a function named p_theta both printed as
    p_theta(x): true steps were published as false ones, proved."""
    from pgsym import DerivationError
    x, theta = sp.Symbol("x", real=True), sp.Symbol("theta", real=True)
    p = sp.Function("p")
    d = Derivation("order", start=p(x, theta) - p(theta, x), parameters=(theta,))
    assert r"p(x; \theta) - p(\theta, x)" in derivation_to_latex(d)
    with pytest.raises(DerivationError, match="print as"):
        Derivation("alias", start=p(x, theta) * sp.Function("p_theta")(x), parameters=(theta,),
                   notation={"parameters": "subscript"})


def test_a_break_after_beyond_the_terms_of_its_step_is_an_error_not_an_empty_row():
    """Hostile review 39: break_after {1: 5} on a step of two terms printed an empty row."""
    from pgsym.notation import NotationError
    x, y = sp.symbols("x y")
    d = Derivation("short", start=x + y, notation={"break_after": {1: 5}})
    d.step(y + x, rule="algebra")
    with pytest.raises(NotationError, match=r"break_after \{1: 5\} breaks step 1 after 5 terms, "
                                            r"but its right side has 2: give 1 to 1"):
        derivation_to_latex(d)


# -- hostile review 40 ------------------------------------------------------------------------
def test_a_broken_step_prints_the_ranges_of_a_sum_over_several_variables_as_the_whole_would():
    """A step broken across lines was printed once whole to measure it, which marked its
    sums' ranges as shown: its pieces then printed sum_{j,k} without them, and two sums over
    different ranges printed alike. (The shipped average-reward derivations printed so.)"""
    j, k = sp.symbols("j k", integer=True)
    y = sp.Symbol("y", real=True)
    big, small = sp.Sum(1, (j, 0, 2), (k, 0, 2)), sp.Sum(1, (j, 0, 1), (k, 0, 1))
    d = Derivation("ranges", start=y, notation={"break_after": {1: 1, 2: 1}})
    d.step(sp.Add(big, y, -9, evaluate=False), rule="algebra")
    d.step(sp.Add(small, y, -4, evaluate=False), rule="algebra")
    latex = derivation_to_latex(d, d.verify())
    for high in (1, 2):
        assert rf"0 \leq j \leq {high}" in latex and rf"0 \leq k \leq {high}" in latex


def test_a_value_at_a_point_inside_a_product_or_a_power_is_bracketed():
    """x (g(x) + 1)|_{x=0} printed as (x (g(x) + 1))|_{x=0}, whose value is another, and a
    square of a value at 0 put its exponent on the bar, as in f(x)|_0^2 = f(2) - f(0)."""
    r = sp.Symbol("r", real=True)
    g = sp.Function("g", real=True)
    inside = expression_to_latex(r * sp.Subs(g(r) + 1, r, 0))
    assert inside.endswith(r"\left(\left. 1 + g(r) \right|_{r = 0}\right)"), inside
    whole = expression_to_latex(sp.Subs(r * (g(r) + 1), r, 0))
    assert whole.startswith(r"\left. r") and whole != inside
    squared = expression_to_latex(sp.Subs(g(r), r, 0)**2)
    assert squared == r"\left(\left. g(r) \right|_{r = 0}\right)^{2}", squared


def test_factors_that_do_not_commute_print_in_their_order_and_long_names_upright():
    b, d = sp.symbols("B D", commutative=False)
    printed = expression_to_latex(b * d + d * b)
    assert "B D" in printed and "D B" in printed
    a, c, ac = sp.symbols("a c ac", real=True)
    assert expression_to_latex(ac**2 + a**2 * c**2) == r"a^{2} c^{2} + \mathrm{ac}^{2}"


def test_the_document_states_the_ranges_of_the_ranged_symbols():
    """sum_b delta_{ab} = 1 holds for a in 0..A-1 only; ranges= was printed nowhere."""
    from pgsym.printing.latex import declarations
    a, b = sp.symbols("a b", integer=True)
    big_a = sp.Symbol("A", integer=True, positive=True)
    d = Derivation("delta", start=sp.Sum(sp.KroneckerDelta(a, b), (b, 0, big_a - 1)),
                   ranges={a: (0, big_a - 1)}).step(sp.S.One, rule="algebra")
    assert declarations(d) == r"Here $a \in \{0, \ldots, A - 1\}$; $A$ is a positive integer."


def test_a_report_of_another_derivation_is_not_printed_beside_these_steps():
    from pgsym.notation import NotationError
    from pgsym.printing.html import derivation_to_html
    from pgsym.printing.markdown import derivation_to_markdown
    r, y = sp.symbols("r y", real=True)
    right = Derivation("d", start=r + y, definitions={y: sp.S(1)}).step(r + 1, rule="definition")
    wrong = Derivation("d", start=r + y, definitions={y: sp.S(2)}).step(r + 1, rule="definition")
    report = right.verify()
    assert report.ok
    for printed in (derivation_to_latex, derivation_to_markdown, derivation_to_html):
        with pytest.raises(NotationError, match="not of this derivation"):
            printed(wrong, report)
    only = right.verify(only={1})  # (a report of some steps of it still prints)
    assert r"\checkmark" in derivation_to_latex(right, only)


@pytest.mark.parametrize("note", [r"$\globaldefs=1 \mathchardef\times=1$", r"$\pdfliteral{q Q}$",
                                  r"$\left( x$", r"$x^$", r"a $$x &= 1$$ b"])
def test_note_math_that_could_restyle_the_page_or_not_typeset_is_printed_as_text(note):
    from pgsym.printing.html import derivation_to_html
    from pgsym.printing.latex import text_and_math
    from pgsym.printing.markdown import MarkdownBackend
    from pgsym.catalog import Entry
    assert not any(is_math for _, is_math in text_and_math(note))
    d = Derivation("note", start=(x + 1)**2).step(x**2 + 2*x + 1, rule="algebra", note=note)
    report = d.verify()
    assert r"\globaldefs" not in derivation_to_latex(d, report).replace(r"\textbackslash{}", "")
    derivation_to_html(d, report)  # (latex2mathml raised on the last two)
    markdown = "\n".join(MarkdownBackend().derivation(Entry("m", d), report))
    assert "$$x" not in markdown


def test_a_number_to_a_huge_power_kept_unevaluated_is_printed_without_computing_it():
    """7**(10**8) kept as a power: the printer rebuilt it to see SymPy's order, computing its
    digits (minutes, in the parent, with no time limit)."""
    big = sp.Pow(7, 10**8, evaluate=False)
    r = sp.Symbol("r", real=True)
    assert expression_to_latex(sp.Add(big, r, evaluate=False)) == "7^{100000000} + r"


# -- hostile review 41 ------------------------------------------------------------------------
def test_an_expectation_not_over_the_whole_support_of_a_declared_distribution_states_its_range():
    """E_{x ~ phi}[x^2] = 1/2 was published with its range, x > 0, printed nowhere, and
    E_{k ~ 1}[c] = 4 c with its unnormalised weight; E_{k ~ p}[c] = c/2 summed p over half
    its support."""
    from pgsym import Distribution
    from pgsym.printing.latex import declarations
    k = sp.Symbol("k", integer=True)
    c, r = sp.Symbol("c", real=True), sp.Symbol("r", real=True)
    phi = sp.exp(-r**2 / 2) / sp.sqrt(2 * sp.pi)
    over_half = declarations(Derivation("half", start=Expectation(r**2, [(r, 0, sp.oo)], phi)))
    assert r"is over $r \in (0, \infty)$, with the weight" in over_half
    assert r"with the weight $1$" in declarations(
        Derivation("ones", start=Expectation(c, [(k, 0, 3)], sp.Integer(1))))
    p = Distribution("p", (k, 0, 3), sp.Rational(1, 4))
    part = declarations(Derivation("part", start=Expectation(c, [(k, 0, 1)], p(k))))
    assert r"is over $k \in \{0, 1\}$" in part
    whole = declarations(Derivation("whole", start=Expectation(c, [(k, 0, 3)], p(k))))
    assert "is over" not in whole  # (the support is stated with p)


def test_a_derivative_total_through_a_definition_is_not_printed_partial():
    """d f(x, y)/dx with y := x^2 is verified as the total derivative; the automatic
    notation printed it with a partial sign, which reads as y held fixed."""
    from pgsym.notation import NotationError
    r, y = sp.symbols("r y", real=True)
    f = sp.Function("f", real=True)
    d = Derivation("total", start=sp.Derivative(f(r, y), r), definitions={y: r**2})
    assert r"\frac{d f(r, y)}{d r}" in derivation_to_latex(d)
    forced = Derivation("total", start=sp.Derivative(f(r, y), r), definitions={y: r**2},
                        notation={"derivative": "partial"})
    with pytest.raises(NotationError, match="total derivative"):
        derivation_to_latex(forced)
    free = Derivation("partial", start=sp.Derivative(f(r, y), r))  # (y does not vary with r)
    assert r"\partial" in derivation_to_latex(free)


def test_a_step_broken_inside_nested_brackets_balances_left_and_right_on_every_line():
    """New user 13: a sum broken inside a bracket inside another left the outer \\left( open
    at the end of the line, and pdflatex stopped ('Extra }, or forgotten \\right.')."""
    theta = sp.Symbol("theta", real=True)
    s0, a0, s1, a1 = sp.symbols("s_0 a_0 s_1 a_1", integer=True)
    mu, pi, P, rho = (sp.Function(name, positive=True) for name in ("mu", "pi", "P", "rho"))
    R = sp.Function("R", real=True)
    factors = [mu(s0), pi(a0, s0, theta), P(s1, s0, a0), rho(a1, s1, theta)]
    product = sp.Mul(*factors, evaluate=False)
    d = Derivation("nested", parameters=(theta,), start=sp.Mul(
        *factors, sp.Derivative(sp.log(product), theta), R(s0, a0, s1, a1), evaluate=False))
    d.step(sp.Mul(*factors, sp.Derivative(sum(sp.log(f) for f in factors), theta),
                  R(s0, a0, s1, a1), evaluate=False), rule="log of a product")
    rows = [line.pieces for line in lines(d)]
    assert any(len(pieces) > 1 for pieces in rows)
    for piece in (p for pieces in rows for p in pieces):
        assert len(re.findall(r"\\left(?![A-Za-z])", piece)) == \
            len(re.findall(r"\\right(?![A-Za-z])", piece)), piece


# -- hostile review 42 ------------------------------------------------------------------------
def test_the_document_states_the_declared_signs_and_conditions_print_as_the_steps_do():
    """sqrt(x^2) = -x (x < 0) was published with no word of the sign; a condition on a symbol
    ab was printed by sympy.latex as a product of a and b."""
    from pgsym.printing.latex import declarations
    r, q = sp.symbols("r q", negative=True)
    sigma = sp.Symbol("sigma", positive=True)
    d = Derivation("signs", start=sp.sqrt(r**2) + q + sigma)
    assert declarations(d) == r"Here $q, r < 0$; $\sigma > 0$."
    a, b, ab = sp.symbols("a b ab", real=True)
    d = Derivation("condition", start=a + b + ab).step(a + b + ab + 0 * ab, rule="algebra",
                                                       condition=sp.Ne(ab, 0))
    assert d.steps[0].assumption == r"$\mathrm{ab} \neq 0$"


def test_a_fragment_for_a_paper_carries_the_declarations_sentence():
    """The fragment meant for \\input printed sum_b delta_{ab} = 1 with no range for a."""
    from pgsym.catalog import Entry
    from pgsym.publish import fragment
    a, b = sp.symbols("a b", integer=True)
    big_a = sp.Symbol("A", integer=True, positive=True)
    d = Derivation("delta", start=sp.Sum(sp.KroneckerDelta(a, b), (b, 0, big_a - 1)),
                   ranges={a: (0, big_a - 1)}).step(sp.S.One, rule="algebra")
    assert r"Here $a \in \{0, \ldots, A - 1\}$; $A$ is a positive integer." in fragment(Entry("m", d), d.verify())


def test_a_distribution_whose_normalisation_was_not_checked_is_not_called_one():
    """Hostile review 44: values 1, 1 declared with check=False were printed as "a
    probability mass function of k in {0, 1}", beside a verified line saying they sum to 2."""
    from pgsym import Distribution
    from pgsym.printing.latex import declarations
    k = sp.Symbol("k", integer=True)
    p = Distribution("p_h44", (k, 0, 1), sp.Integer(1), check=False)
    d = Derivation("mass of p", start=p.total()).step(sp.Integer(2), rule="algebra")
    assert "is declared a probability mass function" in declarations(d)
    assert "not checked" in declarations(d)


def test_the_declarations_sentence_states_functions_signs_and_integer_symbols():
    """Hostile review 44: sqrt(g(x)^2) = -g(x) for g declared negative, and
    x + cos(2 t pi) = x + 1 for an integer t, were published with no word of either."""
    from pgsym.printing.latex import declarations
    x, t = sp.Symbol("x", real=True), sp.Symbol("t", integer=True)
    g = sp.Function("g", negative=True)
    d = Derivation("root", start=sp.sqrt(g(x)**2)).step(-g(x), rule="algebra")
    assert declarations(d) == "Here $g(x) < 0$."
    e = Derivation("cos", start=x + sp.cos(2 * t * sp.pi, evaluate=False))
    e.step(x + 1, rule="algebra")
    assert declarations(e) == "Here $t$ is an integer."


def test_a_step_a_partial_report_does_not_cover_prints_as_not_checked():
    """Hostile review 45: verify(only=[1]) and to_latex printed a false step 2 bare."""
    from pgsym.printing.html import derivation_to_html
    from pgsym.printing.markdown import derivation_to_markdown
    r = sp.Symbol("r", real=True)
    d = Derivation("d", start=(r + 1)**2).step(r**2 + 2 * r + 1, rule="algebra")
    d.step(r**2 + 2 * r + 2, rule="algebra")
    only = d.verify(only={1})
    assert "not checked: the report covers step(s) 1 only" in derivation_to_latex(d, only)
    for printed in (derivation_to_markdown, derivation_to_html):
        shown = printed(d, only)
        assert "unknown" in shown and shown.find("unknown") > shown.rfind("proved")


def test_the_declarations_sentence_reads_what_the_assumptions_imply():
    """Hostile review 45: an extended_positive X (|X| = X), a prime p (max(2, p) = p), a real
    r declared not positive (max(0, r) = 0) and an integer-valued g (cos(2 pi g(x)) = 1)
    were published with no word of what the steps rest on."""
    from pgsym.printing.latex import declarations
    X = sp.Symbol("X", extended_positive=True)
    p = sp.Symbol("p", prime=True)
    r = sp.Symbol("r", real=True, positive=False)
    x = sp.Symbol("x", real=True)
    g = sp.Function("g", integer=True)
    for start, end, said in ((sp.Abs(X, evaluate=False), X, r"$X > 0 \text{ (possibly infinite)}$"),
                             (sp.Max(2, p, evaluate=False), p, "$p$ is a prime number"),
                             (sp.Max(0, r, evaluate=False), 0, r"$r \leq 0$"),
                             (sp.cos(2 * sp.pi * g(x), evaluate=False), 1, "$g(x)$ is an integer")):
        d = Derivation("d", start=start).step(sp.S(end), rule="algebra")
        assert said in declarations(d), (said, declarations(d))


def test_the_declarations_sentence_states_non_integers_function_parity_and_infinities():
    """Hostile review 47: sign(x - 1)^2 = 1 for a noninteger x was published with "x != 0"
    only, cos(pi g(t)) = -1 for an odd g as "g(t) is an integer", and f(x) of an
    extended_real f with no word that it may be infinite."""
    from pgsym.printing.latex import declarations
    x, t = sp.Symbol("x", real=True, noninteger=True), sp.Symbol("t", real=True)
    g, f = sp.Function("g", odd=True), sp.Function("f", extended_real=True)
    d = Derivation("d", start=sp.Pow(sp.sign(x - 1), 2, evaluate=False))
    assert "$x$ is not an integer" in declarations(d.step(sp.Integer(1), rule="algebra"))
    e = Derivation("e", start=sp.cos(sp.pi * g(t), evaluate=False) + f(t))
    said = declarations(e)
    assert "$g(t)$ is a nonzero odd integer" in said
    assert "$f(t)$ may be infinite" in said


def test_the_declarations_sentence_states_imaginary_and_zero_symbols():
    """Hostile review 48: |y^2| = -y^2 for an imaginary y was published with no word of it,
    and z x + 1 = 1 for z declared zero as "z is a nonnegative even integer"."""
    from pgsym.printing.latex import declarations
    y, z, x = sp.Symbol("y", imaginary=True), sp.Symbol("z", zero=True), sp.Symbol("x", real=True)
    f = sp.Function("f", imaginary=True)
    d = Derivation("d", start=sp.Abs(y**2, evaluate=False) + sp.Mul(z, x, evaluate=False) + f(x))
    said = declarations(d)
    assert "$z = 0$" in said and "integer" not in said
    assert "$y, f(x)$ are imaginary" in said


def test_a_greek_letter_with_a_prime_prints_as_the_letter():
    """New user 18: a symbol named phi' printed as the italic letters phi' (SymPy knows no
    Greek name with a prime); it prints as \\phi', and apart from a symbol phi."""
    w, primed = sp.symbols("w phi'", real=True)
    d = Derivation("primed", start=sp.Derivative(w * primed, w), parameters=(w,))
    d.step(primed, rule="algebra")
    printed = derivation_to_latex(d, d.verify())
    assert r"\phi'" in printed and "phi'" not in printed.replace(r"\phi'", "")
    with pytest.raises(DerivationError, match="print"):
        Derivation("alike", start=primed + sp.Symbol("\u03c6'"))


def test_a_sum_that_may_run_backwards_states_the_convention_it_is_read_in():
    """Hostile review 49: sum_{k=3}^{1} k = -2 (Karr's convention, SymPy's) was published
    bare; a reader takes an empty sum for 0. A sum whose range cannot run backwards says
    nothing of it."""
    from pgsym.printing.latex import declarations
    k, n = sp.Symbol("k", integer=True), sp.Symbol("n", integer=True)
    m = sp.Symbol("m", integer=True, positive=True)
    backwards = Derivation("b", start=sp.Sum(k, (k, 3, 1))).step(sp.Integer(-2), rule="algebra")
    assert backwards.verify().ok and "Karr's convention" in declarations(backwards)
    assert "Karr's convention" in declarations(Derivation("n", start=sp.Sum(k, (k, 1, n))))
    assert "Karr" not in declarations(Derivation("m", start=sp.Sum(k, (k, 1, m))))


def test_an_unevaluated_power_with_a_negative_exponent_prints_as_a_fraction():
    """Hostile review 50: Pow(2, -1, evaluate=False), one half, printed as 2 (-1), which
    reads as -2 (in e^{...}, in exponents and in sums too)."""
    x = sp.Symbol("x", positive=True)
    half = sp.Pow(2, -1, evaluate=False)
    assert expression_to_latex(half) == r"\frac{1}{2}"
    assert expression_to_latex(sp.exp(half, evaluate=False)) == r"e^{\frac{1}{2}}"
    assert r"\left(-" not in expression_to_latex(sp.Add(x**half, sp.Pow(3, -2, evaluate=False),
                                                        evaluate=False))


def test_an_unevaluated_power_of_a_number_prints_as_written_not_as_its_value():
    """Pow(3, -2, evaluate=False) printed its value 1/9: the step shown is the one written."""
    assert expression_to_latex(sp.Pow(3, -2, evaluate=False)) == r"\frac{1}{3^{2}}"
    assert expression_to_latex(sp.Pow(2, -sp.Rational(1, 2), evaluate=False)) == r"\frac{1}{\sqrt{2}}"


def test_a_heaviside_step_prints_apart_from_a_parameter_theta_with_its_value_at_zero():
    """New user 19: SymPy prints Heaviside(r + 1) as theta(r + 1), as it prints a parameter
    theta times r + 1: H(r + 1) - theta (r + 1) was published as theta(r+1) - theta(r+1)."""
    from pgsym.printing.latex import declarations
    r, theta = sp.Symbol("r", real=True), sp.Symbol("theta")
    tex = expression_to_latex(sp.Heaviside(r + 1) - theta * (r + 1))
    assert r"\operatorname{H}\left(r + 1\right)" in tex and tex.count(r"\theta") == 1
    assert expression_to_latex(sp.Heaviside(r, 0)) == r"\operatorname{H}_{0}\left(r\right)"
    said = declarations(Derivation("steps", start=sp.Heaviside(r) + sp.Heaviside(r, 0)))
    assert r"$\operatorname{H}(0) = \frac{1}{2}$" in said
    assert r"$\operatorname{H}_{0}(0) = 0$" in said


def test_a_remainder_times_a_factor_prints_apart_from_the_remainder_of_a_product():
    """Hostile review 55: (x mod y) z, written unevaluated, and x mod (y z) both printed as
    x mod y z."""
    x, y, z = sp.symbols("x y z", integer=True, positive=True)
    times = expression_to_latex(sp.Mul(sp.Mod(x, y), z, evaluate=False))
    of_product = expression_to_latex(sp.Mod(x, y * z))
    assert times == r"\left(x \bmod y\right) z"
    assert of_product == r"\left(x \bmod \left(y z\right)\right)"
    assert expression_to_latex(z * sp.Mod(x, y)) == r"z \left(x \bmod y\right)"


def test_cases_squared_cases_before_a_factor_and_subfactorials_print_unambiguously():
    """Hostile review 56: a Piecewise squared crashed the printer; cases then y read as y
    in the last case; k !n and k! n both rendered k!n."""
    x, y, k, n = sp.symbols("x y k n")
    cases = sp.Piecewise((x, x > 0), (0, True))
    assert expression_to_latex(sp.Pow(cases, 2, evaluate=False)).endswith(r"\right)^{2}")
    assert expression_to_latex(sp.Mul(cases, y, evaluate=False)).endswith(r"\right) y")
    assert expression_to_latex(k * sp.subfactorial(n)) == r"k \left(!n\right)"
    assert expression_to_latex(sp.factorial(k) * n) == "n k!"
    assert expression_to_latex(sp.KroneckerDelta(k, 7)) == r"\delta_{7, k}"  # (not 7 k)
    assert expression_to_latex(sp.KroneckerDelta(k, n)) == r"\delta_{k n}"


def test_an_odd_root_of_a_value_that_may_be_negative_prints_as_the_principal_power():
    """Hostile review 52: x**(1/3) printed as the real-looking cube root, though SymPy's value
    is the principal one: "cube root of -8 = 1 + sqrt(3) i" was published."""
    from pgsym.printing.latex import declarations
    x, y = sp.Symbol("x", real=True), sp.Symbol("y", positive=True)
    assert expression_to_latex(x ** sp.Rational(1, 3)) == r"x^{\frac{1}{3}}"
    assert expression_to_latex(y ** sp.Rational(1, 3)) == r"\sqrt[3]{y}"
    assert "principal value" in declarations(Derivation("root", start=x ** sp.Rational(1, 3)))
    assert "principal" not in declarations(Derivation("root", start=y ** sp.Rational(1, 3)))
    # (hostile review 53: a root in a definition only was not stated)
    z = sp.Symbol("z")
    defined = Derivation("root", start=z + 1, definitions={z: x ** sp.Rational(1, 3)})
    assert "principal value" in declarations(defined)


def test_operator_names_in_html_math_have_the_thin_spaces_tex_gives_them():
    """New user 27: latex2mathml writes \\log as a bare identifier, so the page read
    "alogsigma(theta)", and the ";" of pi(a; theta) as an identifier with no space after."""
    from pgsym.printing.html import math

    thin = '<mspace width="0.1667em"></mspace>'
    page = math(r"a \log \sigma(\theta) + \log(1 - \sigma) + \pi(a;\theta)")
    assert f"<mi>a</mi>{thin}<mi>log</mi>{thin}<mi>&#x003C3;</mi>" in page, page
    # none before a parenthesis, nor after an operator
    assert '<mo>&#x0002B;</mo><mi>log</mi><mo stretchy="false">&#x00028;</mo>' in page, page
    assert '<mi>a</mi><mo separator="true">;</mo><mi>&#x003B8;</mi>' in page, page


def test_the_gaussian_normaliser_prints_as_one_over_root_two_pi():
    """New user 28: SymPy's sqrt(2)/(2 sqrt(pi)) printed as such, not as the density is
    written; the value printed is the same."""
    y = sp.Symbol("y", real=True)
    s = sp.Symbol("sigma", positive=True)
    density = sp.exp(-y**2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    assert expression_to_latex(density) == \
        r"\frac{e^{- \frac{y^{2}}{2 \sigma^{2}}}}{\sigma \sqrt{2 \pi}}"
    assert expression_to_latex(sp.sqrt(2) / (4 * sp.sqrt(sp.pi))) == r"\frac{1}{2 \sqrt{2 \pi}}"
    assert expression_to_latex(3 * sp.sqrt(2) / sp.sqrt(sp.pi)) == r"\frac{3 \sqrt{2}}{\sqrt{\pi}}"


def test_a_sum_of_a_negative_term_brackets_it():
    # (new user 32: "\sum_{k=1}^{K} - x(k)", a minus straight after the sum)
    from pgsym.printing.latex import printer_for
    k, j = sp.symbols("k j", integer=True)
    n = sp.Symbol("n", integer=True, positive=True)
    x = sp.Function("x", real=True)
    printer = printer_for()
    assert printer.doprint(sp.Sum(-x(k), (k, 1, n))) == r"\sum_{k=1}^{n} \left(- x(k)\right)"
    assert printer.doprint(sp.Sum(-x(k) * x(j), (k, 1, n), (j, 1, n))).endswith(
        r"\left(- x(j) x(k)\right)")
    assert printer.doprint(sp.Sum(x(k), (k, 1, n))) == r"\sum_{k=1}^{n} x(k)"


def test_a_derivative_or_product_of_a_negative_value_brackets_it():
    # (new user 34: d/ds of -1/2 printed as "\frac{d}{d s} - \frac{1}{2}", d/ds minus a half,
    # in every format of a published fragment)
    from pgsym.printing.latex import printer_for
    s = sp.Symbol("s", positive=True)
    k = sp.Symbol("k", integer=True)
    printer = printer_for()
    assert printer.doprint(sp.Derivative(sp.Rational(-1, 2), s)) == \
        r"\frac{d}{d s} \left(- \frac{1}{2}\right)"
    assert printer.doprint(sp.Derivative(-2, (s, 2))) == r"\frac{d^{2}}{d s^{2}} \left(-2\right)"
    assert printer.doprint(sp.Derivative(sp.Rational(1, 2), s)) == r"\frac{d}{d s} \frac{1}{2}"
    assert printer.doprint(sp.Product(-k, (k, 1, 3))) == r"\prod_{k=1}^{3} \left(- k\right)"
    assert printer.doprint(sp.Product(k, (k, 1, 3))) == r"\prod_{k=1}^{3} k"


def test_a_ratio_of_sums_is_one_fraction_and_a_sum_over_a_number_is_not():
    """New user 36: E[g^2 r]/E[g^2] printed as \\frac{1}{E[g^2]} E[g^2 r]. A sum over a
    coefficient keeps the form papers give it, (1/(1 - gamma)) sum ...; a ratio of sums
    (or expectations) is one fraction."""
    k = sp.Symbol("k", integer=True)
    gamma = sp.Symbol("gamma", positive=True)
    f = sp.Function("f", positive=True)
    top, bottom = sp.Sum(k * f(k), (k, 0, 3)), sp.Sum(f(k), (k, 0, 3))
    assert expression_to_latex(top / bottom) == \
        r"\frac{\sum_{k=0}^{3} k f(k)}{\sum_{k=0}^{3} f(k)}"
    assert expression_to_latex(top / (1 - gamma)).startswith(r"\frac{1}{1 - \gamma} \sum")
