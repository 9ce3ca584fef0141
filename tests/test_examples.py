"""The two examples beyond the notes, derivations/trajectory_policy_gradient.py and
derivations/optimal_baseline.py: every step proved, and the proved results checked
numerically on random small instances (finite horizons, random softmax policies, random
weights), against NumPy code that shares nothing with the derivations."""
import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sympy.core.function import AppliedUndef

import pgsym
from derivations import optimal_baseline as baseline
from derivations import trajectory_policy_gradient as trajectory
from pgsym import Derivation, Settings, VerdictKind
from pgsym.rules import canonical

pytestmark = pytest.mark.xdist_group("examples")  # one worker verifies them, once


@pytest.fixture(scope="module")
def trajectory_derivations():
    lemma, score = trajectory.build()
    return {"lemma": lemma, "score": score}


@pytest.fixture(scope="module")
def baseline_derivations():
    lemma, optimal = baseline.build()
    return {"lemma": lemma, "optimal": optimal}


@pytest.fixture(scope="module")
def reports(trajectory_derivations, baseline_derivations):
    derivations = [*trajectory_derivations.values(), *baseline_derivations.values()]
    return {d.name: r for d, r in zip(derivations, pgsym.verify_many(derivations, Settings()))}


# -- every step proved ------------------------------------------------------------------
def test_every_step_of_both_examples_is_proved(reports):
    for name, report in reports.items():
        assert report.ok, (name, report.failures())
        for step in report.steps:
            assert step.verdict.kind is VerdictKind.PROVED, (name, step.number, step.verdict)
            assert not step.rests_on_sampling


def test_the_trajectory_score_cites_the_lemma_and_checked_rules(trajectory_derivations, reports):
    score = trajectory_derivations["score"]
    assert score.steps[2].lemma is trajectory_derivations["lemma"]
    assert "algebra" not in [s.rule for s in score.steps]
    report = reports[score.name]
    assert all(s.justification.status is pgsym.Justification.CONFIRMED for s in report.steps)
    t, T, s, a = trajectory.t, trajectory.T, trajectory.s, trajectory.a
    score_at = sp.Derivative(sp.log(trajectory.pi(s(t), a(t), trajectory.theta)), trajectory.theta)
    assert score.result == sp.Sum(score_at, (t, 0, T - 1))


def test_the_minimality_step_is_a_proved_inequality(baseline_derivations, reports):
    optimal = baseline_derivations["optimal"]
    assert optimal.relation == ">="
    assert optimal.steps[1].lemma is baseline_derivations["lemma"]
    assert [s.relation for s in optimal.steps] == ["="] * (len(optimal.steps) - 1) + [">="]
    b, b_star = baseline.b, baseline.b_star
    assert canonical(optimal.expressions[-2]) == canonical(baseline.V(b_star)
                                                           + (b - b_star)**2 * baseline.WEIGHT)
    assert optimal.result == baseline.V(b_star)
    assert [s.rule for s in optimal.steps].count("algebra") == 2
    inequality = reports[optimal.name].steps[-1]
    assert inequality.step.relation == ">="
    assert inequality.verdict.kind is VerdictKind.PROVED
    assert "by the signs of its parts" in inequality.verdict.detail


def test_the_reverse_inequality_is_refuted():
    b, b_star, V = baseline.b, baseline.b_star, baseline.V
    wrong = Derivation("the optimal baseline maximises the second moment",
                       start=V(b_star) + (b - b_star)**2 * baseline.WEIGHT,
                       definitions=baseline.DEFINITIONS, parameters=(b,))
    wrong.step(V(b_star), rule="algebra", relation="<=")
    step = wrong.verify(accept_numeric=True).steps[0]
    assert step.verdict.kind is VerdictKind.REFUTED


# -- the trajectory score, numerically --------------------------------------------------
def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def _trajectory_instance(seed: int, horizon: int, states: int, actions: int) -> dict:
    """A random tabular softmax policy pi(a|s; theta) = softmax_a(theta phi[s, a] + c[s, a]),
    random start distribution and dynamics, and a random trajectory of ``horizon`` steps."""
    rng = np.random.default_rng(seed)
    return {
        "features": rng.normal(size=(states, actions)),
        "offsets": rng.normal(size=(states, actions)),
        "start": rng.dirichlet(np.ones(states)),
        "dynamics": rng.dirichlet(np.ones(states), size=(states, actions)),
        "states": rng.integers(0, states, size=horizon + 1),
        "actions": rng.integers(0, actions, size=horizon),
    }


def _numpy_log_probability(instance: dict, theta: float) -> float:
    """log P(tau; theta) = log mu(s_0) + sum_t log pi(a_t|s_t; theta) + log p(s_{t+1}|s_t, a_t)."""
    log_policy = _log_softmax(theta * instance["features"] + instance["offsets"])
    s, a = instance["states"], instance["actions"]
    total = np.log(instance["start"][s[0]])
    for t in range(len(a)):
        total += log_policy[s[t], a[t]] + np.log(instance["dynamics"][s[t], a[t], s[t + 1]])
    return total


def _trajectory_value(derivation: Derivation, expr: sp.Expr, instance: dict, theta: float) -> float:
    """``expr`` (definitions unfolded) at this horizon, trajectory, policy and theta, by SymPy."""
    features = sp.Matrix(instance["features"].tolist())
    offsets = sp.Matrix(instance["offsets"].tolist())
    count = features.shape[1]

    def policy(state, action, variable):
        state, action = int(state), int(action)
        logits = [variable * features[state, b] + offsets[state, b] for b in range(count)]
        return sp.exp(logits[action]) / sp.Add(*[sp.exp(z) for z in logits])

    def functions(expr: sp.Expr, tables: dict) -> sp.Expr:
        return expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in tables,
                            lambda e: tables[e.func.__name__](*e.args))

    concrete = derivation.unfold(expr).xreplace({trajectory.T: len(instance["actions"])})
    concrete = concrete.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), lambda e: e.doit())
    concrete = functions(concrete, {  # the trajectory first: the other functions take it
        "s": lambda time: sp.Integer(int(instance["states"][int(time)])),
        "a": lambda time: sp.Integer(int(instance["actions"][int(time)])),
    })
    concrete = functions(concrete, {
        "pi": policy,
        "mu": lambda state: sp.Float(instance["start"][int(state)], 30),
        "p": lambda following, state, action: sp.Float(
            instance["dynamics"][int(state), int(action), int(following)], 30),
    })
    assert not concrete.atoms(AppliedUndef), concrete
    return float(concrete.doit().xreplace({trajectory.theta: sp.Float(theta, 30)}).evalf(30))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), horizon=st.integers(1, 5), states=st.integers(1, 3),
       actions=st.integers(2, 4), theta=st.floats(-2, 2))
def test_the_trajectory_score_matches_finite_differences_of_log_p(trajectory_derivations, seed,
                                                                   horizon, states, actions, theta):
    score = trajectory_derivations["score"]
    instance = _trajectory_instance(seed, horizon, states, actions)
    h = 1e-5
    numeric = (_numpy_log_probability(instance, theta + h)
               - _numpy_log_probability(instance, theta - h)) / (2 * h)
    proved_result = _trajectory_value(score, score.result, instance, theta)
    proved_start = _trajectory_value(score, score.start, instance, theta)
    assert proved_result == pytest.approx(numeric, rel=1e-6, abs=1e-6)
    assert proved_start == pytest.approx(proved_result, rel=1e-12, abs=1e-12)


# -- the optimal baseline, numerically --------------------------------------------------
def _baseline_value(derivation: Derivation, expr: sp.Expr, weights: np.ndarray,
                    values: np.ndarray, base: float) -> float:
    """``expr`` (definitions unfolded) for these weights pi(a), values g(a) and baseline b."""
    concrete = derivation.unfold(expr).xreplace({baseline.A: len(weights)})
    concrete = concrete.replace(lambda e: isinstance(e, sp.Sum), lambda e: e.doit())
    tables = {"pi": weights, "g": values}
    concrete = concrete.replace(lambda e: isinstance(e, AppliedUndef) and e.func.__name__ in tables,
                                lambda e: sp.Float(tables[e.func.__name__][int(e.args[0])], 30))
    return float(concrete.xreplace({baseline.b: sp.Float(base, 30)}).evalf(30))


def _numpy_second_moment(weights: np.ndarray, values: np.ndarray, base) -> np.ndarray:
    base = np.asarray(base, dtype=float)
    return np.sum(weights * (values - base[..., None])**2, axis=-1)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), actions=st.integers(1, 6),
       base=st.floats(-20, 20), normalised=st.booleans())
def test_no_baseline_has_a_smaller_second_moment_than_b_star(baseline_derivations, seed, actions,
                                                             base, normalised):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(actions)) if normalised else rng.uniform(0.05, 3, actions)
    weights = np.maximum(weights, 1e-9)  # positive, as pi is declared
    values = rng.normal(0, 3, actions) * rng.choice([1, 10])
    optimal = baseline_derivations["optimal"]
    at_b = _baseline_value(optimal, optimal.start, weights, values, base)
    smallest = _baseline_value(optimal, optimal.result, weights, values, base)
    decomposed = _baseline_value(optimal, optimal.expressions[-2], weights, values, base)
    b_star = np.sum(weights * values) / np.sum(weights)
    scale = 1 + abs(at_b)
    assert at_b == pytest.approx(_numpy_second_moment(weights, values, base), rel=1e-9, abs=1e-9)
    assert smallest == pytest.approx(_numpy_second_moment(weights, values, b_star), rel=1e-9, abs=1e-9)
    assert decomposed == pytest.approx(at_b, rel=1e-9, abs=1e-9 * scale)
    assert at_b >= smallest - 1e-9 * scale
    # b* is the minimiser: the second moment is no smaller anywhere on a grid around it
    grid = b_star + np.linspace(-5, 5, 201) * (1 + np.abs(values).max())
    assert np.all(_numpy_second_moment(weights, values, grid) >= smallest - 1e-9 * scale)


# -- pgsym.compile: the final expression of the baseline example as a NumPy function ------
@pytest.fixture(scope="module")
def compiled_minimum(baseline_derivations, reports):
    optimal = baseline_derivations["optimal"]
    return pgsym.compile(optimal, {"pi": baseline.pi, "g": baseline.g, "b_star": baseline.b_star},
                         verified=reports[optimal.name])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), samples=st.integers(1, 8), actions=st.integers(1, 6))
def test_the_compiled_minimum_is_where_finite_differences_of_v_vanish(compiled_minimum, seed,
                                                                      samples, actions):
    rng = np.random.default_rng(seed)
    weights = rng.uniform(0.05, 3, size=(samples, actions))
    values = rng.normal(0, 3, size=(samples, actions))
    b_star = np.sum(weights * values, axis=1) / np.sum(weights, axis=1)
    smallest = compiled_minimum(weights, values, b_star)
    assert smallest.shape == (samples,)
    np.testing.assert_allclose(smallest, _numpy_second_moment(weights, values, b_star),
                               rtol=1e-10, atol=1e-12)
    h = 1e-3
    above = _numpy_second_moment(weights, values, b_star + h)
    below = _numpy_second_moment(weights, values, b_star - h)
    scale = np.sum(weights, axis=1)
    # V'(b*) = 0 and V''(b*) = 2 sum pi: b* is the minimum, and the compiled value is V there
    assert np.all(np.abs(above - below) / (2 * h) <= 1e-8 * (1 + smallest))
    np.testing.assert_allclose((above - 2 * smallest + below) / h**2, 2 * scale, rtol=1e-4)
    assert np.all(above >= smallest) and np.all(below >= smallest)


def test_the_compiled_decomposition_equals_the_second_moment(baseline_derivations):
    """It printed `t0 = A - 1` (common subexpression elimination of the symbolic bound of two
    sums along the axis), and A is no argument: a NameError (new user 12 met it too)."""
    decomposition = baseline.optimal_baseline(baseline_derivations["lemma"], minimise=False)
    # (the same steps as the verified derivation, but its last: not verified again here)
    compiled = pgsym.compile(decomposition, {"pi": baseline.pi, "g": baseline.g, "b": baseline.b,
                                             "b_star": baseline.b_star}, verified=False)
    rng = np.random.default_rng(0)
    weights, values = rng.uniform(0.05, 3, size=(5, 4)), rng.normal(size=(5, 4))
    base = rng.normal(size=5)
    b_star = np.sum(weights * values, axis=1) / np.sum(weights, axis=1)
    np.testing.assert_allclose(compiled(weights, values, base, b_star),
                               _numpy_second_moment(weights, values, base))


# -- every perturbed step fails ------------------------------------------------------------
def _perturbation_cases():
    cases = []
    for module in (trajectory, baseline):
        for derivation in module.build():
            for index, step in enumerate(derivation.steps):
                cases.append((derivation.name, index))
    return cases


@pytest.mark.parametrize("name,index", _perturbation_cases(),
                         ids=[f"{n}-step{i + 1}" for n, i in _perturbation_cases()])
def test_a_perturbed_step_of_the_examples_does_not_pass(name, index):
    """Each step with one added to it (or, for the inequality, pushed past the bound) is
    refuted: the checks that prove the examples are not blind to their shape."""
    import dataclasses

    derivation = next(d for m in (trajectory, baseline) for d in m.build() if d.name == name)
    steps = list(derivation.steps)
    step = steps[index]
    wrong = step.expr + 1 if step.relation == "=" else step.expr + sp.Symbol("b", real=True)**2 + 1
    steps[index] = dataclasses.replace(step, expr=wrong)
    mutated = dataclasses.replace(derivation, steps=tuple(steps))
    report = pgsym.verify(mutated, only={index + 1}, time_limit=20)
    assert not report.ok
    assert report.steps[0].verdict.kind is VerdictKind.REFUTED, report.steps[0].verdict
