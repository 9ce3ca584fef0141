"""Section 2 of the notes: the three policy objectives, and how the average value and the
average reward per step are related, exactly, on a 2-state 2-action MDP with a tabular
softmax policy (symbolic parameters theta[s, a] and symbolic discount gamma).

    J_1    = V(s_1)                                  the value of the start state
    J_avV  = sum_s d(s) V(s)                         d the stationary distribution of pi
    J_avR  = sum_s d(s) sum_a pi(s, a) R(s, a)

Because d is stationary, sum_s d(s) sum_a pi(s, a) P(t | s, a) = d(t), and the Bellman
equation V = r_pi + gamma P_pi V gives J_avV = J_avR + gamma J_avV, so
(1 - gamma) J_avV = J_avR for every policy and every gamma in [0, 1). Random MDPs are
checked numerically in tests/test_mdp.py.
"""
import sympy as sp

from derivations._two_state_mdp import (A, P, R as REWARDS, S, gamma, policy_closed_forms,
                                        softmax_policy, stationary_distribution, table)
from pgsym import Derivation, Erratum

s, a, t = sp.symbols("s a t", integer=True, nonnegative=True)

pi, V, R, P_, d = (sp.Function(name, real=True) for name in ("pi", "V", "R", "P", "d"))
J_1, J_avV, J_avR = sp.symbols("J_1 J_avV J_avR")

ERRATUM = Erratum(
    "eq. (11) and section 2",
    "the policy gradient holds for J_1, J_avR or 1/(1 - gamma) J_avV",
    "with d the stationary distribution, J_avV = J_avR / (1 - gamma) (derivation 'average "
    "value and average reward'), so the objective equal to J_avR is (1 - gamma) J_avV; "
    "1/(1 - gamma) J_avV is J_avR / (1 - gamma)^2",
)


def _closed_forms() -> dict:
    """V and the stationary distribution of the tabular softmax policy, in closed form."""
    P_pi, r_pi = policy_closed_forms()
    values = [sp.cancel(v) for v in (sp.eye(S) - gamma * P_pi).LUsolve(sp.Matrix(r_pi))]
    stationary = stationary_distribution(P_pi)
    return {
        pi: softmax_policy(),
        V: table(values, 1),
        R: table(REWARDS, 2),
        P_: table(P, 3),
        d: table(stationary, 1),
        J_1: V(0),
        J_avV: sp.Sum(d(s) * V(s), (s, 0, S - 1)),
        J_avR: sp.Sum(d(s) * sp.Sum(pi(s, a) * R(s, a), (a, 0, A - 1)), (s, 0, S - 1)),
    }


def average_value(definitions: dict) -> Derivation:
    """J_avV = J_avR / (1 - gamma)."""
    derivation = Derivation(
        "average value and average reward",
        start=J_avV,
        definitions=definitions,
        equation="section 2",
        description=r"$J_{avV} = J_{avR} / (1 - \gamma)$ on a 2-state 2-action MDP, symbolic $\theta$ and $\gamma$.",
        errata=(ERRATUM,),
    )
    bellman = sp.Sum(pi(s, a) * (R(s, a) + gamma * sp.Sum(P_(s, a, t) * V(t), (t, 0, S - 1))),
                     (a, 0, A - 1))
    derivation.step(definitions[J_avV], rule="definition")
    derivation.step(sp.Sum(d(s) * bellman, (s, 0, S - 1)), rule="algebra",
                    note="Bellman equation $V(s) = \\sum_a \\pi(s, a) (R(s, a) + \\gamma \\sum_t P(t | s, a) V(t))$")
    derivation.step(J_avR + gamma * sp.Sum(
        sp.Sum(d(s) * sp.Sum(pi(s, a) * P_(s, a, t), (a, 0, A - 1)), (s, 0, S - 1)) * V(t),
        (t, 0, S - 1)), rule="algebra", note="split the sum; definition of $J_{avR}$")
    derivation.step(J_avR + gamma * sp.Sum(d(s) * V(s), (s, 0, S - 1)), rule="algebra",
                    note="$d$ is stationary: $\\sum_s d(s) \\sum_a \\pi(s, a) P(t | s, a) = d(t)$")
    derivation.step(J_avR + gamma * J_avV, rule="definition")
    derivation.step(J_avR / (1 - gamma), rule="algebra",
                    note="solve $J_{avV} = J_{avR} + \\gamma J_{avV}$; $\\gamma < 1$")
    return derivation


def start_value(definitions: dict) -> Derivation:
    """J_1 = V(s_1) = sum_a pi(s_1, a) (R(s_1, a) + gamma sum_t P(t | s_1, a) V(t))."""
    derivation = Derivation(
        "start value",
        start=J_1,
        definitions=definitions,
        equation="section 2",
        description="$J_1 = V(s_1)$ satisfies the Bellman equation of the start state.",
    )
    derivation.step(V(0), rule="definition", note="$s_1$ is state 0")
    derivation.step(sp.Sum(pi(0, a) * (R(0, a) + gamma * sp.Sum(P_(0, a, t) * V(t), (t, 0, S - 1))),
                           (a, 0, A - 1)), rule="algebra", note="Bellman equation")
    return derivation


def build() -> list[Derivation]:
    definitions = _closed_forms()
    return [start_value(definitions), average_value(definitions)]
