"""Eq. (11) for the average reward per step, exactly, on the 2-state 2-action MDP of
policy_gradient_theorem.py, tabular softmax policy with symbolic parameters:

    dJ_avR/dtheta = sum_s d(s) sum_a pi(s, a) grad log pi(s, a) Q~(s, a)
                  = E_{s~d, a~pi}[grad log pi(s, a) Q~(s, a)]

with d the stationary distribution of the policy (a distribution: no 1/(1 - gamma)) and Q~
the differential action value, Q~(s, a) = R(s, a) - J_avR + sum_t P(t | s, a) h(t), where
h solves h = r_pi - J_avR + P_pi h with sum_s d(s) h(s) = 0.
"""
import sympy as sp

from derivations._two_state_mdp import (A, P, R as REWARDS, S, policy_closed_forms, softmax_policy,
                                        stationary_distribution, table, theta)
from pgsym import Derivation, Expectation

s, a = sp.symbols("s a", integer=True, nonnegative=True)
pi, Q_diff, d = (sp.Function(name, real=True) for name in ("pi", "Q_diff", "d"))
J_avR = sp.Symbol("J_avR")


def _closed_forms() -> dict:
    P_pi, r_pi = policy_closed_forms()
    stationary = stationary_distribution(P_pi)
    average = sp.cancel(sum(stationary[i] * r_pi[i] for i in range(S)))
    h = sp.symbols("h0:2")
    solution = sp.solve([h[0] - (r_pi[0] - average + P_pi[0, 0] * h[0] + P_pi[0, 1] * h[1]),
                         stationary[0] * h[0] + stationary[1] * h[1]], h, dict=True)[0]
    differential = [sp.cancel(solution[h[i]]) for i in range(S)]
    action_values = [[REWARDS[i][j] - average + sum(P[i][j][k] * differential[k] for k in range(S))
                      for j in range(A)] for i in range(S)]
    return {
        pi: softmax_policy(),
        Q_diff: table(action_values, 2),
        d: table(stationary, 1),
        J_avR: average,
    }


def component(i: int, j: int, definitions: dict) -> Derivation:
    wrt = theta[i, j]
    score = sp.Derivative(sp.log(pi(s, a)), wrt)
    derivation = Derivation(
        f"average-reward policy gradient, d/dtheta[{i},{j}]",
        start=sp.Derivative(J_avR, wrt),
        definitions=definitions,
        parameters=(wrt,),
        equation="eq. (11)",
        description="Exact gradient of $J_{avR}$ on a 2-state 2-action MDP: stationary $d$, differential $Q$.",
    )
    derivation.step(sp.Sum(d(s) * sp.Sum(sp.Mul(pi(s, a), score, Q_diff(s, a), evaluate=False),
                                         (a, 0, A - 1)), (s, 0, S - 1)),
                    rule="policy gradient theorem",
                    note="$d$ stationary, $\\tilde Q$ the differential action value")
    derivation.step(Expectation(Expectation(sp.Mul(score, Q_diff(s, a), evaluate=False), (a, 0, A - 1),
                                            pi(s, a)), (s, 0, S - 1), d(s)),
                    rule="definition of expectation")
    return derivation


def build() -> list[Derivation]:
    definitions = _closed_forms()
    return [component(i, j, definitions) for i in range(S) for j in range(A)]
