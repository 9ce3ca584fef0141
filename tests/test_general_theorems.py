"""The theorems of sections 2 and 4 for every finite MDP: each step that cites a given
equation or a lemma, and the last step of each derivation, must fail when perturbed.

tests/test_mutations.py leaves out derivations that cite lemmas (their stand-in functions
cannot satisfy the equations taken as given, so a perturbed step is not always *refuted*);
here a perturbed step must simply not pass: refuted, a wrong justification, or unknown.
That the unperturbed theorems are proved, with their assumptions stated, is checked with the
whole catalogue (tests/test_publish.py, tests/test_load.py).
"""
import dataclasses

import pytest
import sympy as sp

from derivations import average_reward_gradient, objectives, policy_gradient_theorem
from derivations._finite_mdp import gamma
from pgsym import Derivation, VerdictKind


def _general(module) -> list[Derivation]:
    return [d for d in module.build() if "2-state" not in d.name]


DERIVATIONS = [d for module in (policy_gradient_theorem, average_reward_gradient, objectives)
               for d in _general(module)]


def _risky_steps(derivation: Derivation) -> list[int]:
    """Indices of the steps that cite a given equation or a lemma, and of the last step."""
    chosen = {i for i, step in enumerate(derivation.steps) if step.lemma is not None}
    return sorted(chosen | {len(derivation.steps) - 1})


CASES = [(d, i) for d in DERIVATIONS for i in _risky_steps(d)]


def _perturbed(expr: sp.Expr) -> sp.Expr:
    """The expression with gamma doubled where it occurs, else with 1 added."""
    if gamma in expr.free_symbols:
        return expr.xreplace({gamma: 2 * gamma})
    return expr + 1


@pytest.mark.parametrize("derivation,index", CASES,
                         ids=[f"{d.name}-step{i + 1}".replace(" ", "-") for d, i in CASES])
def test_a_perturbed_step_of_a_general_theorem_does_not_pass(derivation, index):
    steps = list(derivation.steps)
    steps[index] = dataclasses.replace(steps[index], expr=_perturbed(steps[index].expr))
    mutated = dataclasses.replace(derivation, steps=tuple(steps))
    [step] = mutated.verify(time_limit=20, only={index + 1}).steps
    assert not step.ok, (steps[index].expr, step.verdict)
