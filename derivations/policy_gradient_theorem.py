"""Eq. (11) of the notes, the policy gradient theorem, exactly, on a 2-state 2-action MDP.

J(theta) = sum_s mu0(s) V(s) is differentiated in closed form (V solves the Bellman
equations of the tabular softmax policy) and compared with

    sum_s d(s) sum_a pi(s, a) grad log pi(s, a) Q(s, a),

where d(s) = sum_t gamma^t Pr(s_t = s) is the discounted visitation, for every parameter
and for a symbolic discount gamma. As an expectation, the theorem needs d normalised: the
notes' E_pi hides a factor 1/(1 - gamma). Random MDPs of up to 50 states and 10 actions are
checked numerically in tests/test_mdp.py.
"""
import sympy as sp

from derivations._two_state_mdp import (A, MU0, P, R, S, gamma, policy_closed_forms, softmax_policy,
                                        table, theta)
from pgsym import Derivation, Erratum, Expectation

s, a = sp.symbols("s a", integer=True, nonnegative=True)

pi, V, Q, d, d_norm, mu0 = (sp.Function(n, real=True) for n in ("pi", "V", "Q", "d", "d_gamma", "mu_0"))
J = sp.Symbol("J")


def _closed_forms() -> dict:
    """The exact values of the tabular softmax policy on this MDP, as functions of theta."""
    P_pi, r_pi = policy_closed_forms()
    system = sp.eye(S) - gamma * P_pi
    values = [sp.cancel(v) for v in system.LUsolve(sp.Matrix(r_pi))]
    visitation = [sp.cancel(v) for v in system.T.LUsolve(sp.Matrix(MU0))]
    action_values = [[R[i][j] + gamma * sum(P[i][j][k] * values[k] for k in range(S))
                      for j in range(A)] for i in range(S)]
    i = sp.Dummy("i", integer=True)
    return {
        pi: softmax_policy(),
        V: table(values, 1),
        Q: table(action_values, 2),
        d: table(visitation, 1),
        d_norm: sp.Lambda(i, (1 - gamma) * d(i)),
        mu0: table(MU0, 1),
        J: sp.Sum(mu0(s) * V(s), (s, 0, S - 1)),
    }


ERRATUM = Erratum(
    "eq. (11)",
    "grad J = E_pi[grad log pi(s, a) Q(s, a)], with states drawn from an unnamed distribution",
    "for the start value J_1 the states are weighted by the discounted visitation "
    "d(s) = sum_t gamma^t Pr(s_t = s), which sums to 1/(1 - gamma): as an expectation over "
    "the normalised d_gamma = (1 - gamma) d, grad J = E[grad log pi Q] / (1 - gamma)",
)


def component(i: int, j: int, definitions: dict) -> Derivation:
    """The theorem for the partial derivative with respect to theta[i, j]."""
    wrt = theta[i, j]
    score = sp.Derivative(sp.log(pi(s, a)), wrt)
    d_ = Derivation(
        f"policy gradient theorem, d/dtheta[{i},{j}]",
        start=sp.Derivative(J, wrt),
        definitions=definitions,
        parameters=(wrt,),
        equation="eq. (11)",
        description=r"Exact policy gradient of $J_1$ on a 2-state, 2-action MDP, symbolic $\gamma$.",
        errata=(ERRATUM,) if (i, j) == (0, 0) else (),
    )
    d_.step(sp.Sum(d(s) * sp.Sum(sp.Mul(pi(s, a), score, Q(s, a), evaluate=False), (a, 0, A - 1)),
                   (s, 0, S - 1)), rule="policy gradient theorem",
            note="$d$ is the discounted visitation")
    d_.step(sp.Mul(1 / (1 - gamma),
                   Expectation(Expectation(sp.Mul(score, Q(s, a), evaluate=False), (a, 0, A - 1), pi(s, a)),
                               (s, 0, S - 1), d_norm(s)), evaluate=False),
            rule="algebra", note="definition of expectation, with $d_\\gamma = (1 - \\gamma) d$ a distribution")
    return d_


def build() -> list[Derivation]:
    definitions = _closed_forms()
    return [component(i, j, definitions) for i in range(S) for j in range(A)]
