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

from derivations._two_state_mdp import (A, P, R as REWARDS, S, bellman_matrix, policy_closed_forms,
                                        softmax_policy, solve, stationary_distribution, table,
                                        written_out)
from derivations._finite_mdp import (ACTIONS, BELLMAN_Q, BELLMAN_V, STATIONARY, P as P_mdp, Q as Q_,
                                     R as R_, V as V_, a as a_, d as d_, gamma, n, on_policy,
                                     pi as pi_, s as s_, states, t as t_, theta)
from pgsym import Derivation, Erratum

s, a, t = sp.symbols("s a t", integer=True, nonnegative=True)

pi, V, R, P_, d = (sp.Function(name, real=True) for name in ("pi", "V", "R", "P", "d"))
J_1, J_avV, J_avR = sp.symbols("J_1 J_avV J_avR")
#: the objectives of an MDP of any size, as functions of theta; s_1 the start state
START_VALUE, AVERAGE_VALUE, AVERAGE_REWARD = (sp.Function(name, real=True)
                                              for name in ("J_1", "J_avV", "J_avR"))
s_1 = sp.Symbol("s_1", integer=True)
GENERAL_NOTATION = {"conditional": {"pi": 1, "P": 1}}

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
    values = [written_out(v) for v in solve(bellman_matrix(P_pi), r_pi)]
    stationary = [written_out(w) for w in stationary_distribution(P_pi)]
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
        "average value and average reward on a 2-state MDP",
        start=J_avV,
        definitions=definitions,
        equation="section 2",
        description=r"$J_{avV} = J_{avR} / (1 - \gamma)$ on a 2-state 2-action MDP, symbolic $\theta$ and $\gamma$.",
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


def _general_definitions() -> dict:
    return {
        AVERAGE_VALUE: sp.Lambda(theta, sp.Sum(d_(s_, theta) * V_(s_, theta), states(s_))),
        AVERAGE_REWARD: sp.Lambda(theta, sp.Sum(d_(s_, theta) * sp.Sum(
            pi_(a_, s_, theta) * R_(s_, a_), ACTIONS), states(s_))),
        START_VALUE: sp.Lambda(theta, V_(s_1, theta)),
    }


def average_value_lemma() -> Derivation:
    """(1 - gamma) J_avV = J_avR on every finite MDP, d the stationary distribution."""
    J_v, J_r = AVERAGE_VALUE(theta), AVERAGE_REWARD(theta)
    proof = Derivation(
        "the average value discounts the average reward", start=(1 - gamma) * J_v,
        definitions=_general_definitions(), parameters=(theta,), equation="section 2",
        notation=GENERAL_NOTATION,
        description=r"$(1 - \gamma) J_{avV} = J_{avR}$ on every finite MDP ($n$ states, $m$ "
                    r"actions), $d$ the stationary distribution of $\pi$.")
    weighted = lambda body: sp.Sum(d_(s_, theta) * body, states(s_))  # noqa: E731
    policy = pi_(a_, s_, theta)
    future = sp.Sum(P_mdp(t_, s_, a_) * V_(t_, theta), states(t_))
    proof.step(J_v - gamma * J_v, rule="distributivity")
    proof.step(weighted(V_(s_, theta)) - gamma * J_v, rule="definition")
    proof.step(weighted(sp.Sum(policy * Q_(s_, a_, theta), ACTIONS)) - gamma * J_v,
               rule=BELLMAN_V)
    proof.step(weighted(sp.Sum(policy * (R_(s_, a_) + gamma * future), ACTIONS)) - gamma * J_v,
               rule=BELLMAN_Q)
    proof.step(weighted(sp.Sum(policy * R_(s_, a_) + gamma * policy * future, ACTIONS))
               - gamma * J_v, rule="distributivity")
    proof.step(weighted(sp.Sum(policy * R_(s_, a_), ACTIONS)
                        + gamma * sp.Sum(policy * future, ACTIONS)) - gamma * J_v,
               rule="linearity of sums")
    proof.step(weighted(sp.Sum(policy * R_(s_, a_), ACTIONS))
               + gamma * weighted(sp.Sum(policy * future, ACTIONS)) - gamma * J_v,
               rule=("distributivity", "linearity of sums"))
    proof.step(J_r + gamma * weighted(sp.Sum(policy * future, ACTIONS)) - gamma * J_v,
               rule="definition")
    proof.step(J_r + gamma * weighted(sp.Sum(policy * P_mdp(t_, s_, a_) * V_(t_, theta), states(t_),
                                             ACTIONS)) - gamma * J_v, rule="linearity of sums")
    proof.step(J_r + gamma * weighted(sp.Sum(on_policy(V_(t_, theta)), states(t_))) - gamma * J_v,
               rule="exchange of sums")
    proof.step(J_r + gamma * sp.Sum(d_(s_, theta) * on_policy(V_(t_, theta)), states(t_), states(s_))
               - gamma * J_v, rule="linearity of sums")
    proof.step(J_r + gamma * sp.Sum(d_(s_, theta) * on_policy(V_(t_, theta)), states(s_), states(t_))
               - gamma * J_v, rule="exchange of sums")
    proof.step(J_r + gamma * sp.Sum(sp.Sum(d_(s_, theta) * on_policy(1), states(s_))
                                    * V_(t_, theta), states(t_)) - gamma * J_v,
               rule=("linearity of sums", "linearity of sums"))
    proof.step(J_r + gamma * sp.Sum(d_(s_, theta) * V_(s_, theta), states(s_)) - gamma * J_v,
               rule=STATIONARY)
    proof.step(sp.Add(J_r, gamma * J_v, -gamma * J_v, evaluate=False), rule="definition")
    proof.step(J_r, rule="algebra")
    return proof


def average_value_general(lemma: Derivation) -> Derivation:
    """J_avV = J_avR / (1 - gamma) on every finite MDP."""
    J_v, J_r = AVERAGE_VALUE(theta), AVERAGE_REWARD(theta)
    proof = Derivation(
        "average value and average reward", start=J_v, definitions=_general_definitions(),
        parameters=(theta, gamma), equation="section 2", notation={"conditional": {"pi": 1}},
        errata=(ERRATUM,),
        description=r"$J_{avV} = J_{avR} / (1 - \gamma)$ on every finite MDP.")
    proof.step(sp.Mul((1 - gamma) * J_v, 1 / (1 - gamma), evaluate=False),
               rule="multiply by one", condition=sp.Ne(gamma, 1))
    proof.step(sp.Mul(J_r, 1 / (1 - gamma), evaluate=False), rule=lemma)
    return proof


def start_value_general() -> Derivation:
    """J_1 = V(s_1) satisfies the Bellman equation of the start state, on every finite MDP."""
    proof = Derivation(
        "start value", start=START_VALUE(theta), definitions=_general_definitions(),
        parameters=(theta,), ranges={s_1: (0, n - 1)}, equation="section 2",
        notation=GENERAL_NOTATION,
        description="$J_1 = V(s_1)$ satisfies the Bellman equation of the start state, on "
                    "every finite MDP.")
    proof.step(V_(s_1, theta), rule="definition")
    proof.step(sp.Sum(pi_(a_, s_1, theta) * Q_(s_1, a_, theta), ACTIONS), rule=BELLMAN_V)
    proof.step(sp.Sum(pi_(a_, s_1, theta) * (R_(s_1, a_) + gamma * sp.Sum(
        P_mdp(t_, s_1, a_) * V_(t_, theta), states(t_))), ACTIONS), rule=BELLMAN_Q)
    return proof


def build() -> list[Derivation]:
    definitions = _closed_forms()
    lemma = average_value_lemma()
    return [start_value_general(), lemma, average_value_general(lemma), average_value(definitions)]
