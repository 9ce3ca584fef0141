"""Eq. (11) of the notes, the policy gradient theorem, for every finite MDP.

The MDP of :mod:`derivations._finite_mdp` has n states and m actions (symbolic), an abstract
policy pi(a | s; theta), dynamics P(t | s, a), rewards R(s, a) and start distribution mu(s).
The proof is the textbook one (Sutton et al., 2000), in matrix form written with indices:

1. Differentiating the Bellman equations gives a recursion for the gradient of the values
   (the lemma ``recursion of the gradient of the value``):
   grad V(s) = sum_a grad pi(a|s) Q(s, a) + gamma sum_t sum_a pi(a|s) P(t|s, a) grad V(t).
2. With G = (I - gamma P_pi)^{-1} (taken as given: I - gamma P_pi is invertible for
   0 <= gamma < 1), grad V(x) = sum_t delta(x, t) grad V(t) = sum_s G(x, s) (grad V(s) - gamma
   sum_t P_pi(t|s) grad V(t)) = sum_s G(x, s) sum_a grad pi(a|s) Q(s, a), so that
   grad J = grad sum_x mu(x) V(x) = sum_s d(s) sum_a pi(a|s) grad log pi(a|s) Q(s, a), with
   d(s) = sum_x mu(x) G(x, s) = sum_k gamma^k Pr(s_k = s), the discounted visitation.
3. d sums to 1/(1 - gamma) (the lemmas ``rows of the resolvent sum to 1/(1 - gamma)`` and
   ``mass of the discounted visitation``): as an expectation over the normalised
   d_gamma = (1 - gamma) d, grad J = E_{s ~ d_gamma, a ~ pi}[grad log pi Q] / (1 - gamma).
   This is the notes' erratum on eq. (11), now for every MDP.

The Bellman equations, the normalisations of pi, P and mu, and the resolvent are
:class:`pgsym.Equation` s taken as given: the steps citing them are proved under these
assumptions, which every output prints. A 2-state instance with exact closed forms
(:func:`instance`) is kept as an illustration, and random MDPs of up to 50 states are checked
numerically in tests/test_mdp.py.
"""
import sympy as sp

from derivations._finite_mdp import (ACTIONS, BELLMAN_Q, BELLMAN_V, DYNAMICS_SUM_TO_ONE, P,
                                     POLICY_SUMS_TO_ONE, Q, R, V, a, d_theta, gamma, mu, n,
                                     on_policy, pi, s, states, t, theta, x)
from derivations._two_state_mdp import (A as INSTANCE_ACTIONS, MU0, P as INSTANCE_P,
                                        R as INSTANCE_R, S as INSTANCE_STATES, FIELD, bellman_matrix,
                                        policy_closed_forms, solve, written_out,
                                        softmax_policy, table, theta as instance_theta)
from pgsym import Derivation, Equation, Erratum, Expectation

#: G(x, s; theta) = (I - gamma P_pi)^{-1}[x, s], the expected discounted number of visits to s
#: starting from x
G = sp.Function("G", real=True)
J = sp.Function("J", real=True)
#: the discounted visitation d(s) = sum_x mu(x) G(x, s) and its normalised form
d = sp.Function("d", real=True)
d_gamma = sp.Function("d_gamma", real=True)

NOTATION = {"conditional": {"pi": 1, "P": 1}}
delta = sp.KroneckerDelta

RESOLVENT = Equation(
    "resolvent $G = (I - \\gamma P_\\pi)^{-1}$",
    sp.Sum(G(x, s, theta) * (delta(s, t) - gamma * sp.Sum(pi(a, s, theta) * P(t, s, a), ACTIONS)),
           states(s)),
    delta(x, t), variables=(x, t, theta))
START_SUMS_TO_ONE = Equation("start distribution's normalisation", sp.Sum(mu(x), states(x)),
                             sp.S.One, variables=())
NOT_ONE = sp.Ne(gamma, 1)
VISITATION = sp.Lambda((s, theta), sp.Sum(mu(x) * G(x, s, theta), states(x)))
#: the start value of the 2-state instance
START_VALUE = sp.Symbol("J")

ERRATUM = Erratum(
    "eq. (11)",
    "grad J = E_pi[grad log pi(s, a) Q(s, a)], with states drawn from an unnamed distribution",
    "for the start value J_1 the states are weighted by the discounted visitation "
    "d(s) = sum_t gamma^t Pr(s_t = s), which sums to 1/(1 - gamma) for every MDP: as an "
    "expectation over the normalised d_gamma = (1 - gamma) d, "
    "grad J = E[grad log pi Q] / (1 - gamma)",
)


def dV(state: sp.Expr) -> sp.Expr:
    return d_theta(V(state, theta))


def value_recursion() -> Derivation:
    """grad V(s) = sum_a grad pi(a|s) Q(s, a) + gamma sum_t sum_a pi(a|s) P(t|s, a) grad V(t)."""
    lemma = Derivation(
        "recursion of the gradient of the value", start=dV(s), parameters=(theta,),
        ranges={s: (0, n - 1)}, equation="eq. (11)", notation=NOTATION,
        description="Differentiating the Bellman equations: the gradient of $V$ at $s$ is the "
                    "policy's own term plus the discounted gradient at the next state.")
    chosen = pi(a, s, theta) * Q(s, a, theta)
    own = d_theta(pi(a, s, theta)) * Q(s, a, theta)
    lemma.step(d_theta(sp.Sum(chosen, ACTIONS)), rule=BELLMAN_V)
    lemma.step(sp.Sum(d_theta(chosen), ACTIONS), rule="swap sum and gradient")
    lemma.step(sp.Sum(own + pi(a, s, theta) * d_theta(Q(s, a, theta)), ACTIONS),
               rule="product rule")
    lemma.step(sp.Sum(own + pi(a, s, theta) * d_theta(
        R(s, a) + gamma * sp.Sum(P(t, s, a) * V(t, theta), states(t))), ACTIONS), rule=BELLMAN_Q)
    lemma.step(sp.Sum(own + pi(a, s, theta) * gamma * sp.Sum(d_theta(P(t, s, a) * V(t, theta)),
                                                             states(t)), ACTIONS),
               rule=("linearity of differentiation", "derivative of a constant",
                     "swap sum and gradient"),
               note="$R$ does not depend on $\\theta$")
    lemma.step(sp.Sum(own + pi(a, s, theta) * gamma * sp.Sum(P(t, s, a) * dV(t), states(t)),
                      ACTIONS),
               rule="linearity of differentiation", note="nor does $P$")
    lemma.step(sp.Sum(own, ACTIONS)
               + gamma * sp.Sum(pi(a, s, theta) * sp.Sum(P(t, s, a) * dV(t), states(t)), ACTIONS),
               rule="linearity of sums")
    lemma.step(sp.Sum(own, ACTIONS)
               + gamma * sp.Sum(pi(a, s, theta) * P(t, s, a) * dV(t), states(t), ACTIONS),
               rule="linearity of sums")
    lemma.step(sp.Sum(own, ACTIONS) + gamma * sp.Sum(on_policy(dV(t)), states(t)),
               rule="exchange of sums")
    return lemma


def _resolvent_entry(row: sp.Expr, column: sp.Symbol) -> sp.Expr:
    """G(row, column) (delta(column, t) - gamma P_pi(t | column)): a term of (G (I - gamma P_pi))[row, t]."""
    return G(row, column, theta) * (delta(column, t) - gamma * sp.Sum(
        pi(a, column, theta) * P(t, column, a), ACTIONS))


def resolvent_times_constants() -> Derivation:
    """(1 - gamma) sum_s G(x, s) = sum_t delta(x, t): G (I - gamma P_pi) 1 = G (1 - gamma) 1."""
    lemma = Derivation(
        "the resolvent applied to the constant vector",
        start=(1 - gamma) * sp.Sum(G(x, s, theta), states(s)), parameters=(theta,),
        equation="eq. (11)", notation=NOTATION,
        description="$P_\\pi$ maps constants to themselves, so $(I - \\gamma P_\\pi)$ maps "
                    "$1$ to $1 - \\gamma$.")
    policy_mass = sp.Sum(pi(a, s, theta), ACTIONS)
    moves = sp.Sum(pi(a, s, theta) * sp.Sum(P(t, s, a), states(t)), ACTIONS)
    stays = sp.Sum(delta(s, t), states(t))
    lemma.step(sp.Sum(G(x, s, theta) * (1 - gamma), states(s)), rule="linearity of sums")
    lemma.step(sp.Sum(G(x, s, theta) * (1 - gamma * policy_mass), states(s)),
               rule=POLICY_SUMS_TO_ONE)
    lemma.step(sp.Sum(G(x, s, theta) * (1 - gamma * moves), states(s)), rule=DYNAMICS_SUM_TO_ONE)
    lemma.step(sp.Sum(G(x, s, theta) * (stays - gamma * moves), states(s)),
               rule="sum of a Kronecker delta")
    lemma.step(sp.Sum(G(x, s, theta) * (stays - gamma * sp.Sum(
        pi(a, s, theta) * P(t, s, a), states(t), ACTIONS)), states(s)), rule="linearity of sums")
    lemma.step(sp.Sum(G(x, s, theta) * (stays - gamma * sp.Sum(
        pi(a, s, theta) * P(t, s, a), ACTIONS, states(t))), states(s)), rule="exchange of sums")
    lemma.step(sp.Sum(G(x, s, theta) * sp.Sum(
        delta(s, t) - gamma * sp.Sum(pi(a, s, theta) * P(t, s, a), ACTIONS), states(t)), states(s)),
        rule="linearity of sums")
    lemma.step(sp.Sum(_resolvent_entry(x, s), states(t), states(s)), rule="linearity of sums")
    lemma.step(sp.Sum(_resolvent_entry(x, s), states(s), states(t)), rule="exchange of sums")
    lemma.step(sp.Sum(delta(x, t), states(t)), rule=RESOLVENT)
    return lemma


def resolvent_rows(constants: Derivation) -> Derivation:
    """(1 - gamma) sum_s G(x, s) = 1: every row of (I - gamma P_pi)^{-1} sums to 1/(1 - gamma)."""
    lemma = Derivation(
        "rows of the resolvent sum to 1/(1 - gamma)",
        start=(1 - gamma) * sp.Sum(G(x, s, theta), states(s)), parameters=(theta,),
        ranges={x: (0, n - 1)}, equation="eq. (11)",
        description="Every row of $(I - \\gamma P_\\pi)^{-1}$ sums to $1/(1 - \\gamma)$.")
    lemma.step(sp.Sum(delta(x, t), states(t)), rule=constants)
    lemma.step(sp.S.One, rule="sum of a Kronecker delta", note="$x$ is a state")
    return lemma


def visitation_mass(rows: Derivation) -> Derivation:
    """sum_s d(s) = 1/(1 - gamma) for the discounted visitation d(s) = sum_x mu(x) G(x, s)."""
    lemma = Derivation(
        "mass of the discounted visitation", start=sp.Sum(d(s, theta), states(s)),
        definitions={d: VISITATION},
        parameters=(theta,), equation="eq. (11)",
        description="The discounted visitation $d(s) = \\sum_k \\gamma^k \\Pr(s_k = s)$ sums "
                    "to $1/(1 - \\gamma)$, not to 1.")
    rows_sum = sp.Sum(G(x, s, theta), states(s))
    lemma.step(sp.Sum(mu(x) * G(x, s, theta), states(x), states(s)), rule="definition")
    lemma.step(sp.Sum(mu(x) * G(x, s, theta), states(s), states(x)), rule="exchange of sums")
    lemma.step(sp.Sum(mu(x) * rows_sum, states(x)), rule="linearity of sums")
    lemma.step(sp.Sum(sp.Mul(mu(x), (1 - gamma) * rows_sum, 1 / (1 - gamma), evaluate=False),
                      states(x)), rule="multiply by one", condition=NOT_ONE)
    lemma.step(sp.Sum(sp.Mul(mu(x), 1 / (1 - gamma), evaluate=False), states(x)), rule=rows)
    lemma.step(sp.Sum(mu(x), states(x)) / (1 - gamma), rule="linearity of sums")
    lemma.step(1 / (1 - gamma), rule=START_SUMS_TO_ONE)
    return lemma


def normalised_visitation(mass: Derivation) -> Derivation:
    """sum_s d_gamma(s) = 1: the normalised visitation is a distribution over the states."""
    lemma = Derivation(
        "the normalised visitation is a distribution", start=sp.Sum(d_gamma(s), states(s)),
        definitions={d_gamma: sp.Lambda(s, (1 - gamma) * d(s, theta)), d: VISITATION},
        parameters=(theta,), equation="eq. (11)",
        description="$d_\\gamma = (1 - \\gamma) d$ sums to one, so eq. (11) is an expectation "
                    "over $d_\\gamma$.")
    lemma.step(sp.Sum((1 - gamma) * d(s, theta), states(s)), rule="definition")
    lemma.step((1 - gamma) * sp.Sum(d(s, theta), states(s)), rule="linearity of sums")
    lemma.step(sp.Mul(1 - gamma, 1 / (1 - gamma), evaluate=False), rule=mass)
    lemma.step(sp.S.One, rule="multiply by one", condition=NOT_ONE)
    return lemma


def theorem(recursion: Derivation) -> Derivation:
    """grad J = sum_s d(s) sum_a pi grad log pi Q = E_{d_gamma, pi}[grad log pi Q] / (1 - gamma)."""
    proof = Derivation(
        "policy gradient theorem", start=d_theta(J(theta)), parameters=(theta,),
        definitions={J: sp.Lambda(theta, sp.Sum(mu(x) * V(x, theta), states(x))),
                     d: VISITATION,
                     d_gamma: sp.Lambda(s, (1 - gamma) * d(s, theta))},
        equation="eq. (11)", notation=NOTATION, errata=(ERRATUM,),
        description="Eq. (11) for the start value $J(\\theta) = \\sum_x \\mu(x) V(x)$ of every "
                    "finite MDP ($n$ states, $m$ actions), with $d$ the discounted visitation.")
    next_value = lambda state: gamma * sp.Sum(on_policy(dV(t)), states(t))  # noqa: E731
    own = sp.Sum(d_theta(pi(a, s, theta)) * Q(s, a, theta), ACTIONS)
    moves = sp.Sum(pi(a, s, theta) * P(t, s, a), ACTIONS)

    def per_start(body: sp.Expr) -> sp.Expr:
        return sp.Sum(mu(x) * body, states(x))

    proof.step(d_theta(per_start(V(x, theta))), rule="definition")
    proof.step(per_start(dV(x)), rule="swap sum and gradient")
    proof.step(per_start(sp.Sum(delta(x, t) * dV(t), states(t))), rule="sum of a Kronecker delta")
    proof.step(per_start(sp.Sum(sp.Sum(_resolvent_entry(x, s), states(s)) * dV(t), states(t))),
               rule=RESOLVENT)
    proof.step(per_start(sp.Sum(_resolvent_entry(x, s) * dV(t), states(s), states(t))),
               rule="linearity of sums")
    proof.step(per_start(sp.Sum(_resolvent_entry(x, s) * dV(t), states(t), states(s))),
               rule="exchange of sums")
    proof.step(per_start(sp.Sum(G(x, s, theta) * sp.Sum(
        (delta(s, t) - gamma * moves) * dV(t), states(t)), states(s))), rule="linearity of sums")
    proof.step(per_start(sp.Sum(G(x, s, theta) * sp.Sum(
        delta(s, t) * dV(t) - gamma * moves * dV(t), states(t)), states(s))),
        rule="distributivity")
    proof.step(per_start(sp.Sum(G(x, s, theta) * (sp.Sum(delta(s, t) * dV(t), states(t))
                                                   - gamma * sp.Sum(moves * dV(t), states(t))),
                                states(s))), rule="linearity of sums")
    proof.step(per_start(sp.Sum(G(x, s, theta) * (dV(s) - gamma * sp.Sum(moves * dV(t), states(t))),
                                states(s))), rule="sum of a Kronecker delta")
    proof.step(per_start(sp.Sum(G(x, s, theta) * (dV(s) - next_value(s)), states(s))),
               rule="linearity of sums")
    proof.step(per_start(sp.Sum(G(x, s, theta) * sp.Add(own, next_value(s), -next_value(s),
                                                         evaluate=False), states(s))),
               rule=recursion)
    proof.step(per_start(sp.Sum(G(x, s, theta) * own, states(s))), rule="algebra",
               note="the discounted terms cancel")
    proof.step(sp.Sum(mu(x) * G(x, s, theta) * own, states(s), states(x)),
               rule="linearity of sums")
    proof.step(sp.Sum(mu(x) * G(x, s, theta) * own, states(x), states(s)),
               rule="exchange of sums")
    proof.step(sp.Sum(sp.Sum(mu(x) * G(x, s, theta), states(x)) * own, states(s)),
               rule="linearity of sums")
    proof.step(sp.Sum(d(s, theta) * own, states(s)), rule="definition")
    policy = pi(a, s, theta)
    score = d_theta(sp.log(policy))

    def weighted(*factors: sp.Expr) -> sp.Expr:
        return sp.Sum(sp.Mul(*factors, evaluate=False), ACTIONS)

    proof.step(sp.Sum(d(s, theta) * weighted(policy, d_theta(policy) / policy, Q(s, a, theta)),
                      states(s)), rule="multiply by one")
    inner = weighted(policy, score, Q(s, a, theta))
    proof.step(sp.Sum(d(s, theta) * inner, states(s)), rule="log-derivative identity")
    proof.step(sp.Sum(sp.Mul(1 / (1 - gamma), 1 - gamma, d(s, theta), inner, evaluate=False),
                      states(s)), rule="multiply by one", condition=NOT_ONE)
    proof.step(sp.Mul(1 / (1 - gamma), sp.Sum((1 - gamma) * d(s, theta) * inner, states(s)),
                      evaluate=False), rule="linearity of sums")
    proof.step(sp.Mul(1 / (1 - gamma), sp.Sum(d_gamma(s) * inner, states(s)), evaluate=False),
               rule="definition", note="$d_\\gamma = (1 - \\gamma) d$ sums to one (lemma above)")
    proof.step(sp.Mul(1 / (1 - gamma),
                      Expectation(Expectation(sp.Mul(score, Q(s, a, theta), evaluate=False),
                                              ACTIONS, policy), states(s), d_gamma(s)),
                      evaluate=False), rule="definition of expectation")
    return proof


def _instance_closed_forms() -> dict:
    """The exact values of the tabular softmax policy on the 2-state MDP, in theta."""
    P_pi, r_pi = policy_closed_forms()
    system = bellman_matrix(P_pi)
    values = [written_out(v) for v in solve(system, r_pi)]
    visitation = [written_out(v) for v in solve([list(column) for column in zip(*system)],
                                                [FIELD.convert(m) for m in MU0])]
    action_values = [[INSTANCE_R[i][j] + gamma * sum(INSTANCE_P[i][j][k] * values[k]
                                                     for k in range(INSTANCE_STATES))
                      for j in range(INSTANCE_ACTIONS)] for i in range(INSTANCE_STATES)]
    return {
        pi: softmax_policy(),
        V: table(values, 1),
        Q: table(action_values, 2),
        d: table(visitation, 1),
        mu: table(MU0, 1),
        START_VALUE: sp.Sum(mu(s) * V(s), (s, 0, INSTANCE_STATES - 1)),
    }


def instance() -> Derivation:
    """The theorem on a 2-state, 2-action MDP with a tabular softmax policy, in closed form,
    for the partial derivative by theta[0, 0] (an illustration of the general statement)."""
    wrt = instance_theta[0, 0]
    last_state, last_action = INSTANCE_STATES - 1, INSTANCE_ACTIONS - 1
    score = sp.Derivative(sp.log(pi(s, a)), wrt)
    example = Derivation(
        "policy gradient theorem on a 2-state MDP, d/dtheta[0,0]",
        start=sp.Derivative(START_VALUE, wrt), definitions=_instance_closed_forms(), parameters=(wrt,),
        equation="eq. (11)", notation={"conditional": {"pi": "2|1"}},
        description=r"An instance: the exact gradient of $J_1$ on a 2-state, 2-action MDP with "
                    r"a tabular softmax policy, symbolic $\gamma$, in closed form.")
    example.step(sp.Sum(d(s) * sp.Sum(sp.Mul(pi(s, a), score, Q(s, a), evaluate=False),
                                      (a, 0, last_action)), (s, 0, last_state)),
                 rule="policy gradient theorem", note="$d$ is the discounted visitation")
    return example


def build() -> list[Derivation]:
    recursion = value_recursion()
    constants = resolvent_times_constants()
    rows = resolvent_rows(constants)
    mass = visitation_mass(rows)
    return [recursion, constants, rows, mass, normalised_visitation(mass), theorem(recursion),
            instance()]
