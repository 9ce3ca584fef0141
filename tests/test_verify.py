import time

import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from pgsym import Derivation, Rule, VerdictKind, check_equal, register_rule
from pgsym.rules import RuleCheck
from tests import oracle

x, y = sp.symbols("x y", positive=True)
theta = sp.Symbol("theta", real=True)
p = sp.Function("p", positive=True)


def test_an_algebraic_identity_is_proved():
    assert check_equal(sp.log(x * y), sp.log(x) + sp.log(y)).kind is VerdictKind.PROVED


def test_a_wrong_identity_is_refuted_with_values_that_really_differ():
    verdict = check_equal(sp.log(x + y), sp.log(x) + sp.log(y))
    assert verdict.kind is VerdictKind.REFUTED
    example = verdict.counterexample
    point = dict(example.point)
    assert oracle.differ(sp.N(sp.log(x + y).subs(point), 40),
                         sp.N((sp.log(x) + sp.log(y)).subs(point), 40))
    assert "x = " in verdict.detail and "previous step = " in verdict.detail


def test_a_wrong_identity_between_undefined_functions_names_the_stand_in():
    P = p(x, theta)
    verdict = check_equal(sp.Derivative(sp.log(P), theta), sp.Derivative(P, theta))
    assert verdict.kind is VerdictKind.REFUTED
    assert [name for name, _ in verdict.counterexample.functions] == ["p"]
    assert "p = Lambda" in verdict.detail


def test_an_identity_simplify_cannot_prove_is_checked_numerically_with_its_tolerance():
    verdict = check_equal(sp.atan(x) + sp.atan(1 / x), sp.pi / 2, tolerance=1e-10)
    assert verdict.kind is VerdictKind.CHECKED_NUMERICALLY
    assert verdict.tolerance == 1e-10 and verdict.points >= 12


def test_a_tiny_relative_error_far_below_double_precision_is_still_refuted():
    verdict = check_equal(x, x * (1 + sp.Rational(1, 10**15)))
    assert verdict.kind is VerdictKind.REFUTED
    assert verdict.counterexample.before != verdict.counterexample.after


def test_a_wrong_step_with_nested_exponentials_is_refuted_quickly():
    nested = sp.exp(sp.exp(sp.exp(p(x, theta) / 4) / 4) / 4)
    started = time.monotonic()
    verdict = check_equal(nested, nested + x, time_limit=5)
    assert verdict.kind is VerdictKind.REFUTED
    assert time.monotonic() - started < 5


def test_an_identity_that_fails_only_off_the_assumptions_is_not_passed():
    r = sp.Symbol("r", real=True)
    assert check_equal(sp.sqrt(r**2), r).kind is VerdictKind.REFUTED
    assert check_equal(sp.sqrt(x**2), x).kind is VerdictKind.PROVED


class _NeverFinishes(sp.Function):
    """An expression whose evaluation loops forever, as a stand-in for a runaway simplify."""

    def doit(self, **hints):
        while True:
            pass


def test_a_check_that_cannot_finish_is_stopped_at_the_time_limit():
    started = time.monotonic()
    verdict = check_equal(_NeverFinishes(x), x, time_limit=0.5)
    assert time.monotonic() - started < 3
    assert verdict.kind is VerdictKind.UNKNOWN and verdict.method == "timeout"


def test_a_rule_check_that_cannot_finish_is_stopped_and_not_passed():
    def loop(before, after, context) -> RuleCheck:
        while True:
            pass

    register_rule(Rule("endless rule", "never answers", loop), replace=True)
    started = time.monotonic()
    report = Derivation("endless", start=x + x).step(2 * x, rule="endless rule").verify(time_limit=0.5)
    assert time.monotonic() - started < 3
    assert not report.ok
    assert "did not finish" in report.steps[0].justification.detail


def test_an_expression_that_cannot_be_evaluated_is_unknown_not_passed():
    n = sp.Symbol("n", integer=True, positive=True)
    s = sp.Symbol("s", real=True)
    divergent = sp.Sum(n**s, (n, 1, sp.oo))
    verdict = check_equal(divergent, divergent + 1, time_limit=3)
    assert verdict.kind is not VerdictKind.PROVED and not verdict.kind.holds


def test_every_verdict_of_a_derivation_is_in_the_report_with_the_weakest_first_class():
    d = Derivation("mixed", start=sp.atan(x) + sp.atan(1 / x))
    d.step(sp.pi / 2, rule="algebra").step(sp.pi / 2 + 0, rule="algebra")
    report = d.verify()
    assert [s.verdict.kind for s in report.steps] == [VerdictKind.CHECKED_NUMERICALLY, VerdictKind.PROVED]
    assert report.ok and report.weakest is VerdictKind.CHECKED_NUMERICALLY


# -- properties: the verdict agrees with the truth, known by construction -------------------
P = p(x, theta)
atoms = st.sampled_from([x, y, P, sp.Derivative(P, theta), sp.Integer(2), sp.Rational(1, 3)])


def _combine(children):
    pair = st.tuples(children, children)
    return st.one_of(
        pair.map(lambda ab: ab[0] + ab[1]),
        pair.map(lambda ab: ab[0] * ab[1]),
        children.map(lambda a: a**2),
        children.map(lambda a: sp.exp(a / 4)),
        children.map(lambda a: sp.log(1 + a**2)),
    )


expressions = st.recursive(atoms, _combine, max_leaves=6)
equal_forms = st.sampled_from([
    ("expanded", sp.expand),
    ("times q/q", lambda e: sp.Mul(e, sp.Mul(x + 1, 1 / (x + 1), evaluate=False), evaluate=False)),
    ("over a common denominator", sp.together),
    ("evaluated", lambda e: e.doit()),
])
nonzero = st.fractions(min_value=-5, max_value=5, max_denominator=10**12) \
    .filter(lambda q: q != 0).map(sp.Rational)


@settings(max_examples=40)
@given(expressions, equal_forms)
def test_expressions_equal_by_construction_are_never_refuted(expr, form):
    _, transform = form
    verdict = check_equal(expr, transform(expr), time_limit=5)
    assert verdict.kind.holds, verdict


@settings(max_examples=40)
@given(expressions, nonzero, st.sampled_from([x, y, P, x * y]))
def test_expressions_that_differ_by_a_nonzero_term_are_always_refuted(expr, c, term):
    verdict = check_equal(expr, expr + c * term, time_limit=5)
    assert verdict.kind is VerdictKind.REFUTED, verdict
    functions, point = dict(verdict.counterexample.functions), dict(verdict.counterexample.point)
    before, after = oracle.value(expr, functions, point), oracle.value(expr + c * term, functions, point)
    assert oracle.differ(before, after)


@pytest.mark.parametrize("tolerance", [1e-6, 1e-12])
def test_tolerance_is_reported_for_numeric_checks(tolerance):
    verdict = check_equal(sp.atan(y) + sp.atan(1 / y), sp.pi / 2, tolerance=tolerance)
    assert verdict.tolerance == tolerance
