"""derivations/baseline.py and derivations/fisher_information.py: the baseline's
unbiasedness and the categorical Fisher information for a symbolic number of actions /
outcomes, every step proved (not under an assumption, not by sampling), the lemmas cited;
false steps that cite the same lemmas fail; and the proved results checked numerically
against NumPy code that shares nothing with the derivations."""
import dataclasses
import warnings

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

import pgsym
from derivations import baseline, fisher_information as fisher
from pgsym import Derivation, Expectation, Justification, Settings, VerdictKind
from pgsym._sums import write_out

theta = fisher.theta
pytestmark = pytest.mark.xdist_group("baseline_and_fisher")  # one worker verifies them, once


@pytest.fixture(scope="module")
def built():
    """Every derivation of the two modules, by name (the Gaussian ones aside: they are
    checked by quadrature in tests/test_gaussian_estimator.py)."""
    derivations = [d for d in fisher.build() if "Gaussian" not in d.name] + baseline.build()
    return {d.name: d for d in derivations}


@pytest.fixture(scope="module")
def reports(built):
    derivations = list(built.values())
    return {d.name: r for d, r in zip(derivations, pgsym.verify_many(derivations, Settings()))}


# -- every step proved, for symbolic sizes -------------------------------------------------
def test_every_step_is_proved_without_assumptions_or_sampling(reports):
    for name, report in reports.items():
        assert report.ok, (name, report.failures())
        for step in report.steps:
            assert step.verdict.kind is VerdictKind.PROVED, (name, step.number, step.verdict)
            assert not step.rests_on_sampling


def test_only_the_pointwise_quotient_rule_step_is_equality_only(built, reports):
    """Every step's rule is checked, except one pointwise identity with no sum in it, and
    the baseline's b * 0 = 0."""
    unchecked = {(name, s.number) for name, r in reports.items() for s in r.steps
                 if s.justification.status is not Justification.CONFIRMED}
    assert unchecked == {("the squared score, pointwise", 2), ("baseline is unbiased", 5)}


def test_the_sizes_are_symbolic_and_the_theorems_cite_the_lemmas(built):
    unbiased, categorical = built["baseline is unbiased"], \
        built["Fisher information of a categorical distribution"]
    assert baseline.A in unbiased.unfold(unbiased.start).free_symbols
    assert fisher.K in categorical.unfold(categorical.start).free_symbols
    cited = {s.lemma.name for d in (unbiased, categorical) for s in d.steps if s.lemma}
    assert cited == {"the score times a baseline, summed over actions",
                     "the derivatives of normalised weights sum to zero",
                     "the squared score summed over K outcomes"}
    assert unbiased.result == 0
    log_p = sp.log(fisher.p(fisher.x, theta))
    assert categorical.start == Expectation(sp.Derivative(log_p, theta)**2, fisher.OUTCOMES,
                                            fisher.p(fisher.x, theta))
    assert categorical.result == -Expectation(sp.Derivative(log_p, (theta, 2)), fisher.OUTCOMES,
                                              fisher.p(fisher.x, theta))


def test_a_multiply_by_one_step_to_one_is_not_called_collapsed():
    with warnings.catch_warnings():
        warnings.simplefilter("error", pgsym.CollapsedStepWarning)
        fisher.weights_sum_to_one()


# -- false steps citing the same lemmas fail -------------------------------------------------
def _with_step(derivation: Derivation, index: int, expr: sp.Expr) -> Derivation:
    steps = list(derivation.steps)
    steps[index] = dataclasses.replace(steps[index], expr=expr)
    return dataclasses.replace(derivation, steps=tuple(steps))


def _perturbation_cases():
    names = [d.name for d in fisher.build() if "Gaussian" not in d.name] + \
        [d.name for d in baseline.build()]
    return [(name, i) for name in names for i in range(len(_named(name).steps))]


def _named(name: str) -> Derivation:
    return next(d for d in [*fisher.build(), *baseline.build()] if d.name == name)


@pytest.mark.parametrize("name,index", _perturbation_cases(),
                         ids=[f"{n}-step{i + 1}" for n, i in _perturbation_cases()])
def test_a_step_with_one_added_is_refuted(name, index):
    derivation = _named(name)
    mutated = _with_step(derivation, index, derivation.steps[index].expr + 1)
    report = pgsym.verify(mutated, only={index + 1}, time_limit=20)
    assert not report.ok
    assert report.steps[0].verdict.kind is VerdictKind.REFUTED, report.steps[0].verdict


def test_the_fisher_information_with_its_sign_flipped_is_refuted(built):
    categorical = built["Fisher information of a categorical distribution"]
    mutated = _with_step(categorical, 4, -categorical.steps[4].expr)
    [step] = pgsym.verify(mutated, only={5}, time_limit=20).steps
    assert step.verdict.kind is VerdictKind.REFUTED
    assert step.justification.status is Justification.MISMATCH


def test_the_mean_zero_lemma_does_not_hold_for_weights_that_do_not_sum_to_one():
    _, mean_zero, _, _ = fisher.lemmas()
    a, k, A = baseline.a, fisher.k, baseline.A
    weights = fisher.WEIGHTS
    unnormalised = weights(a, theta) / (1 + sp.Sum(weights(k, theta), (k, 0, A - 1)))
    d = Derivation("derivatives of unnormalised weights", parameters=(theta,),
                   start=sp.Sum(sp.Derivative(unnormalised, theta), (a, 0, A - 1)))
    d.step(sp.Integer(0), rule=mean_zero, using={fisher.w: weights})
    [step] = d.verify().steps
    assert step.verdict.kind is VerdictKind.REFUTED
    assert step.justification.status is Justification.MISMATCH


def test_the_mean_zero_lemma_does_not_hold_over_another_range():
    _, mean_zero, _, _ = fisher.lemmas()
    d = Derivation("one outcome too many", parameters=(theta,),
                   start=sp.Sum(sp.Derivative(fisher.normalised(), theta), (fisher.x, 0, fisher.K)))
    d.step(sp.Integer(0), rule=mean_zero)
    [step] = d.verify().steps
    assert step.verdict.kind is VerdictKind.REFUTED
    assert step.justification.status is Justification.MISMATCH


def test_a_baseline_that_depends_on_the_action_is_not_taken_out_of_the_sum():
    """The lemma's b stands for something free of the action: b := g(a) would be captured
    by the sum over a, and the instance is refused."""
    a, A, pi = baseline.a, baseline.A, baseline.pi
    g = sp.Function("g", real=True)
    policy = pi(a, theta)
    score = sp.Derivative(sp.log(policy), theta)
    unbiased = baseline.unbiased(baseline.score_times_baseline(), fisher.lemmas()[1])
    d = Derivation("an action-dependent baseline", parameters=(theta,),
                   start=Expectation(sp.Mul(score, g(a), evaluate=False), baseline.ACTIONS, policy),
                   definitions=unbiased.definitions, ranges={a: (0, A - 1)})
    d.step(sp.Sum(sp.Mul(policy, score, g(a), evaluate=False), baseline.ACTIONS),
           rule="definition of expectation")
    d.step(sp.Mul(g(a), sp.Sum(sp.Derivative(policy, theta), baseline.ACTIONS), evaluate=False),
           rule=unbiased.steps[1].lemma, using={baseline.f: pi, baseline.b: g(a)})
    report = d.verify()
    assert not report.ok
    assert report.steps[1].justification.status is Justification.MISMATCH


# -- the proved results, numerically ---------------------------------------------------------
def _softmax(logits: np.ndarray) -> np.ndarray:
    e = np.exp(logits - logits.max())
    return e / e.sum()


_CONCRETE: dict = {}


def _at(derivation: Derivation, expr: sp.Expr, size: sp.Symbol, phi, c, t,
        symbols: dict | None = None) -> float:
    """``expr`` (definitions unfolded) for these features phi, offsets c and parameter t."""
    key = (derivation.name, expr, size, len(phi))
    concrete = _CONCRETE.get(key)
    if concrete is None:  # (the symbolic part is the same for every example of one size;
        # its sums written out first: SymPy differentiates a sum of exp over k in 2 s)
        concrete = _CONCRETE[key] = write_out(
            derivation.unfold(expr).xreplace({size: len(phi)}), evaluate=True).doit()
    values = {fisher.phi[i]: sp.Float(v, 30) for i, v in enumerate(phi)}
    values |= {fisher.c[i]: sp.Float(v, 30) for i, v in enumerate(c)}
    values |= {theta: sp.Float(t, 30)} | {s: sp.Float(v, 30) for s, v in (symbols or {}).items()}
    return float(concrete.xreplace(values).doit().evalf(30))


_instances = dict(size=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))


@settings(max_examples=10, deadline=None)
@given(**_instances)
def test_the_fisher_information_is_the_variance_of_the_feature(built, size, seed):
    """For p proportional to exp(theta phi + c), the score is phi - E[phi], so both sides
    of the theorem are Var_p(phi)."""
    categorical = built["Fisher information of a categorical distribution"]
    rng = np.random.default_rng(seed)
    phi, c, t = rng.normal(size=size), rng.normal(size=size), rng.normal()
    p = _softmax(t * phi + c)
    variance = p @ phi**2 - (p @ phi) ** 2
    for expr in (categorical.start, categorical.result):
        assert _at(categorical, expr, fisher.K, phi, c, t) == pytest.approx(variance, abs=1e-12)


@settings(max_examples=10, deadline=None)
@given(**_instances, base=st.floats(-10, 10))
def test_the_baseline_term_vanishes_for_random_softmax_policies(built, size, seed, base):
    unbiased = built["baseline is unbiased"]
    rng = np.random.default_rng(seed)
    phi, c, t = rng.normal(size=size), rng.normal(size=size), rng.normal()
    p = _softmax(t * phi + c)
    scores = phi - p @ phi
    assert p @ (scores * base) == pytest.approx(0, abs=1e-12)
    assert _at(unbiased, unbiased.start, baseline.A, phi, c, t, {baseline.b: base}) == \
        pytest.approx(0, abs=1e-12)
