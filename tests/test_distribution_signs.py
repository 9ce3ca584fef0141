"""The sign of a declared distribution's values is read only where its declaration gives it
(third hostile review: pgsym/_distributions.py signs_as_declared, the declaration check, and
their consumers in pgsym/verification.py and pgsym/rules/_core.py)."""
import pytest
import sympy as sp

from pgsym import Derivation, Distribution, Justification, VerdictKind
from pgsym.distribution import DistributionError
from pgsym._distributions import signs_as_declared
from pgsym.rules import RuleContext, get_rule

x, k, m = sp.symbols("x k m", integer=True)
t = sp.Symbol("t", positive=True)
u = sp.Symbol("u", negative=True)
#: given by its values, positive for t > 0 (q(0; -3) = -1)
Q = Distribution("q", (x, 0, 1), (1 + t * x) / (2 + t), parameters=(t,), positive=True)
#: abstract, declared positive for t > 0
P = Distribution("p", (x, 0, 1), parameters=(t,), positive=True)


def _verdict(start, after, rule="algebra", **step):
    report = Derivation("signs", start=start).step(after, rule=rule, **step).verify(workers=1)
    [step_report] = report.steps
    return step_report


# -- F1: a declared sign SymPy's assumptions cannot be trusted for --------------------------
@pytest.mark.parametrize("positive", [True, False])
def test_values_whose_sign_rests_on_an_untrusted_function_are_refused(positive):
    # SymPy says atan(m) > 0 for every integer m >= 0, though atan(0) = 0
    with pytest.raises(DistributionError, match="atan"):
        Distribution("p", (m, 0, 1), sp.atan(m) / sp.atan(1), positive=positive)


def test_values_of_trusted_functions_are_still_declared_positive():
    logits = sp.symbols("l0:2", real=True)
    softmax = Distribution("pi", (k, 0, 1), sp.exp(sum(l * sp.KroneckerDelta(k, i) for i, l in
                                                       enumerate(logits)))
                           / sum(sp.exp(l) for l in logits), parameters=logits, positive=True)
    assert softmax.is_known_normalised
    for action in (0, 1):
        assert _verdict(softmax(action), softmax(action) / 2,
                        relation=">").verdict.kind is VerdictKind.PROVED
    # at an integer k not shown in the support, pi(k) is 0 (hostile review 17: the formula was
    # read there too), and 0 > 0 fails
    assert _verdict(softmax(k), softmax(k) / 2, relation=">").verdict.kind is VerdictKind.REFUTED


# -- F2: values at parameters outside the declaration ------------------------------------------
@pytest.mark.parametrize("value", [Q(0, -3), Q(0, u), P(0, -3), P(0, u), P(5, t), P(x, t)],
                         ids=["values-at-minus-3", "values-at-negative-u", "abstract-at-minus-3",
                              "abstract-at-negative-u", "abstract-off-support",
                              "abstract-at-any-integer"])
def test_a_relation_does_not_take_the_declared_sign_where_the_declaration_says_nothing(value):
    step = _verdict(value, value / 2, relation=">")  # value > value/2, i.e. value > 0
    assert not step.verdict.kind.is_proof, step.verdict


def test_the_values_outside_the_parameters_are_read_by_relations_as_by_equalities():
    assert _verdict(Q(0, -3), sp.S(-1)).verdict.kind is VerdictKind.PROVED
    assert _verdict(Q(0, -3), Q(0, -3) / 2, relation="<").verdict.kind is VerdictKind.PROVED
    refuted = _verdict(Q(0, -3), Q(0, -3) / 2, relation=">").verdict
    assert refuted.kind is VerdictKind.REFUTED
    # the counterexample of a claimed a > b shows a as the previous step
    assert "previous step = -1.0" in refuted.detail and "this step = -0.5" in refuted.detail


@pytest.mark.parametrize("value", [Q(0, t), P(0, t), P(1, t), sp.Sum(P(k, t), (k, 0, 1))],
                         ids=["values", "abstract-at-0", "abstract-at-1", "abstract-summed"])
def test_a_distribution_inside_its_declaration_keeps_its_sign(value):
    step = _verdict(value, value / 2, relation=">")
    assert step.verdict.kind is VerdictKind.PROVED, step.verdict


def test_off_its_support_a_distribution_declared_positive_is_still_non_negative():
    assert _verdict(P(5, t), P(5, t) / 2, relation=">=").verdict.kind is VerdictKind.PROVED


def test_an_equality_does_not_take_the_declared_sign_outside_the_parameters():
    outside = _verdict(sp.Abs(P(0, -3), evaluate=False), P(0, -3))
    inside = _verdict(sp.Abs(P(0, t), evaluate=False), P(0, t))
    assert not outside.verdict.kind.is_proof, outside.verdict
    assert inside.verdict.kind is VerdictKind.PROVED, inside.verdict


def test_signs_as_declared_keeps_the_sign_only_where_the_declaration_gives_it():
    assert signs_as_declared(P(0, t)) == P(0, t)
    assert signs_as_declared(sp.Sum(P(k, t), (k, 0, 1))) == sp.Sum(P(k, t), (k, 0, 1))
    assert signs_as_declared(P(0, -3)).is_positive is None
    assert signs_as_declared(P(0, -3)).is_nonnegative is None
    assert signs_as_declared(P(2, t)).is_positive is None
    assert signs_as_declared(P(2, t)).is_nonnegative
    # a sum over a wider range, or running backwards (k = -4..-1 in SymPy's convention)
    for total in (sp.Sum(P(k, t), (k, 0, 2)), sp.Sum(P(k, t), (k, 0, -5))):
        assert signs_as_declared(total).function.is_positive is None, total
    assert signs_as_declared(Q(0, -3)) == Q.values_at(Q(0, -3))
    # the indices of the sums around a node a rule rewrites
    assert signs_as_declared(P(k, t), [(k, 0, 1)]) == P(k, t)


# -- F3: the rules' side conditions ------------------------------------------------------
@pytest.mark.parametrize("distribution", [Q, P], ids=["values", "abstract"])
def test_log_of_a_product_does_not_take_the_declared_sign_outside_the_parameters(distribution):
    rule = get_rule("log of a product")
    outside, inside = distribution(0, -3), distribution(0, t)
    assert rule.check(sp.log(sp.Pow(outside, 2, evaluate=False)), 2 * sp.log(outside),
                      RuleContext()).status is Justification.MISMATCH
    assert rule.check(sp.log(sp.Pow(inside, 2, evaluate=False)), 2 * sp.log(inside),
                      RuleContext()).status is Justification.CONFIRMED


def test_log_of_a_product_over_the_support_is_still_proved():
    before = sp.Sum(sp.log(sp.Pow(P(k, t), 2, evaluate=False)), (k, 0, 1))
    step = _verdict(before, sp.Sum(2 * sp.log(P(k, t)), (k, 0, 1)), rule="log of a product")
    assert step.justification.status is Justification.CONFIRMED
    assert step.verdict.kind is VerdictKind.PROVED, step.verdict


def test_the_rules_do_not_read_signs_of_untrusted_functions():
    n = sp.Symbol("n", integer=True, nonnegative=True)
    assert sp.atan(n).is_positive and not RuleContext().is_positive(sp.atan(n))


def test_a_value_at_a_free_variable_keeps_its_sign_where_the_derivation_ranges_it_over_the_support():
    def verdict(ranges):
        before = sp.log(sp.Pow(P(x, t), 2, evaluate=False))
        derivation = Derivation("ranged", start=before, ranges=ranges)
        derivation.step(2 * sp.log(P(x, t)), rule="log of a product")
        [step] = derivation.verify(workers=1).steps
        return step
    ranged, free = verdict({x: (0, 1)}), verdict({})
    assert ranged.justification.status is Justification.CONFIRMED
    assert ranged.verdict.kind is VerdictKind.PROVED, ranged.verdict
    assert free.justification.status is Justification.MISMATCH  # p(x) = 0 off the support
    relation = Derivation("ranged", start=P(x, t), ranges={x: (0, 1)})
    relation.step(P(x, t) / 2, rule="algebra", relation=">")
    assert relation.verify(workers=1).steps[0].verdict.kind is VerdictKind.PROVED
