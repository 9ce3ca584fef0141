"""The kernels are printed only from verified derivations whose last step is the kernel's."""
import numpy as np
import pytest
import sympy as sp

from derivations import policy_scores
from pgsym import codegen


def test_kernels_are_not_printed_from_derivations_that_were_not_verified():
    with pytest.raises(codegen.BuildError, match="is not verified"):
        codegen.generate_source(verified={"softmax log-probability, d=1 A=2"})


def test_a_kernel_whose_expression_is_not_the_derivations_last_step_is_refused(monkeypatch):
    wrong = lambda: sp.Mul(policy_scores.direction[policy_scores.i, policy_scores.c],  # noqa: E731
                           policy_scores.phi[policy_scores.i],
                           sp.KroneckerDelta(policy_scores.a, policy_scores.c) + policy_scores.pi(policy_scores.c),
                           evaluate=False)
    original = policy_scores.softmax_score_template
    monkeypatch.setattr(policy_scores, "softmax_score_template", wrong)
    # the derivations still end in the true summand; the kernel would print the wrong one
    monkeypatch.setattr(policy_scores, "softmax_score",
                        lambda d, A, build=policy_scores.softmax_score: _with_template(build, original, d, A))
    with pytest.raises(codegen.BuildError, match="softmax_score_cofactor: derivation 'softmax score"):
        codegen.generate_source(verified=False)


def _with_template(build, template, d, A):
    import derivations.policy_scores as ps

    saved = ps.softmax_score_template
    ps.softmax_score_template = template
    try:
        return build(d, A)
    finally:
        ps.softmax_score_template = saved


def test_a_wrong_step_behind_a_kernel_stops_the_build(monkeypatch):
    def wrong_probability(features, actions, build=policy_scores.softmax_probability):
        derivation = build(features, actions)
        step = derivation.steps[-1]
        derivation.steps = derivation.steps[:-1]
        derivation.step(2 * step.expr, rule=step.rule, note=step.note)
        return derivation

    monkeypatch.setattr(policy_scores, "softmax_probability", wrong_probability)
    with pytest.raises(codegen.BuildError, match="softmax_probabilities: derivation 'softmax probability, d=1 A=2', step 2"):
        codegen.generate_source(verified=True)


def test_the_printed_kernels_compute_what_their_expressions_say():
    namespace: dict = {}
    exec(codegen.generate_source(verified=False), namespace)  # noqa: S102 - our own output
    logits = np.array([[0.0, 1.0], [2.0, -1.0]])  # (A, N)
    shift = logits.max(axis=0, keepdims=True)
    probabilities = namespace["softmax_probabilities"](logits, shift)
    assert np.allclose(probabilities, np.exp(logits) / np.exp(logits).sum(axis=0))
    chosen = logits[[1, 0], [0, 1]][None, :]
    assert np.allclose(namespace["softmax_log_prob"](chosen, shift, logits)[0],
                       np.log(probabilities[[1, 0], [0, 1]]))
