"""Lemmas: a verified derivation cited as a rule, and equations taken as given."""
import pytest
import sympy as sp

import pgsym
from pgsym import Derivation, Equation, Justification, StepError, VerdictKind

theta = sp.Symbol("theta", real=True)
t = sp.Symbol("t", integer=True)
T = sp.Symbol("T", integer=True, positive=True)
H = sp.Symbol("H", integer=True, positive=True)
pi = sp.Function("pi", positive=True)


def _log_of_a_product() -> Derivation:
    lemma = Derivation("log of a product of probabilities",
                       start=sp.log(sp.Product(pi(t, theta), (t, 1, T))))
    return lemma.step(sp.Sum(sp.log(pi(t, theta)), (t, 1, T)), rule="log of a product")


def test_a_lemma_for_a_symbolic_size_instantiates_at_another_size_and_proves_the_step():
    lemma = _log_of_a_product()
    d = Derivation("uses the lemma", start=sp.Derivative(sp.log(sp.Product(pi(t, theta), (t, 1, H + 1))), theta))
    d.step(sp.Derivative(sp.Sum(sp.log(pi(t, theta)), (t, 1, H + 1)), theta), rule=lemma)
    report = d.verify()
    step = report.steps[0]
    assert report.ok and step.verdict.kind is VerdictKind.PROVED
    assert step.justification.status is Justification.CONFIRMED
    assert "log of a product of probabilities" in step.verdict.detail
    assert d.steps[0].rule == "log of a product of probabilities"  # cited by name
    assert "log of a product of probabilities" in d.to_latex(report)


def test_a_lemma_is_instantiated_under_its_binders_with_their_ranges():
    k = sp.Symbol("k", integer=True)
    lemma = _log_of_a_product()
    inner = sp.log(sp.Product(pi(t, theta), (t, 1, k)))
    d = Derivation("inside a sum", start=sp.Sum(inner, (k, 1, H)))
    d.step(sp.Sum(sp.Sum(sp.log(pi(t, theta)), (t, 1, k)), (k, 1, H)), rule=lemma)
    assert d.verify().ok  # k runs over 1..H, so it meets T's assumption (a positive integer)
    outside = Derivation("outside T's assumptions", start=sp.Sum(inner, (k, -3, H)))
    outside.step(sp.Sum(sp.Sum(sp.log(pi(t, theta)), (t, 1, k)), (k, -3, H)), rule=lemma)
    assert not outside.verify().ok


def test_a_lemma_that_is_not_verified_cannot_be_cited():
    x = sp.Symbol("x", positive=True)
    false_lemma = Derivation("false", start=sp.log(1 + x)).step(sp.log(x), rule="algebra")
    d = Derivation("rests on it", start=sp.log(1 + 2 * x)).step(sp.log(2 * x), rule=false_lemma)
    step = d.verify().steps[0]
    assert not step.ok and "the lemma 'false' is not proved" in step.justification.detail


def test_using_gives_the_instance_of_a_lemmas_functions_and_checks_their_assumptions():
    x = sp.Symbol("x", real=True)
    q = sp.Function("q", positive=True)
    f = sp.Function("f")
    lemma = Derivation("log of exp", start=sp.log(sp.exp(q(x)))).step(q(x), rule="algebra")
    g = sp.Function("g", positive=True)
    d = Derivation("renamed", start=sp.log(sp.exp(g(theta)))).step(g(theta), rule=lemma, using={q: g})
    assert d.verify().ok
    bad = Derivation("not positive", start=sp.log(sp.exp(f(theta)))).step(f(theta), rule=lemma,
                                                                          using={q: f})
    step = bad.verify().steps[0]
    assert not step.ok and "q is declared" in step.justification.detail


def test_a_given_equation_proves_a_step_under_its_stated_assumption():
    s = sp.Symbol("s", integer=True)
    gamma = sp.Symbol("gamma", positive=True)
    V, r = sp.Function("V"), sp.Function("r")
    bellman = Equation("Bellman equation", V(s), r(s) + gamma * V(s + 1))
    d = Derivation("unroll once", start=V(0), parameters=(gamma,))
    d.step(r(0) + gamma * V(1), rule=bellman)
    d.step(r(0) + gamma * (r(1) + gamma * V(2)), rule=bellman)
    report = d.verify()
    assert report.ok
    assert all(s.verdict.kind is VerdictKind.PROVED_ASSUMING for s in report.steps)
    assert "Bellman equation" in report.steps[0].verdict.assumption
    wrong = Derivation("misapplied", start=V(0), parameters=(gamma,))
    wrong.step(r(0) + gamma * V(2), rule=bellman)
    assert not wrong.verify().ok


def test_lemmas_citing_each_other_in_a_circle_are_refused():
    x = sp.Symbol("x", positive=True)
    first = Derivation("first", start=x + 1).step(1 + x, rule="associativity")
    second = Derivation("second", start=x + 2).step(2 + x, rule=first)
    first.step(x + 1, rule=second)
    with pytest.raises(pgsym.DerivationError, match="circle"):
        first.verify()


def test_a_lemma_must_be_an_equality_with_steps():
    x = sp.Symbol("x", positive=True)
    with pytest.raises(StepError, match="no steps"):
        Derivation("d", start=x).step(x + 0, rule=Derivation("empty", start=x))
    inequality = Derivation("ineq", start=x).step(x + 1, rule="algebra", relation="<=")
    with pytest.raises(StepError, match="inequality"):
        Derivation("d", start=x).step(x + 1, rule=inequality)
