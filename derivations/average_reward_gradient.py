"""Eq. (11) for the average reward per step, for every finite MDP:

    grad J_avR = sum_s d(s) sum_a pi(a|s) grad log pi(a|s) Q~(s, a)
               = E_{s ~ d, a ~ pi}[grad log pi(a|s) Q~(s, a)],

with d the stationary distribution of the policy (a distribution: no 1/(1 - gamma)) and Q~
the differential action value. The proof is Sutton et al.'s (2000): differentiating the
differential Bellman equations h(s) = sum_a pi(a|s) Q~(s, a),
Q~(s, a) = R(s, a) - J_avR + sum_t P(t|s, a) h(t) gives, at every state s (the lemma),

    grad J_avR = sum_a grad pi(a|s) Q~(s, a) + sum_t P_pi(t|s) grad h(t) - grad h(s);

averaging over s ~ d, stationarity (sum_s d(s) P_pi(t|s) = d(t)) cancels the last two terms.
The differential Bellman equations, stationarity and the normalisations of d and pi are
:class:`pgsym.Equation` s taken as given (the steps citing them are proved under these
assumptions). The 2-state instance in closed form is kept as an illustration.
"""
import sympy as sp

from derivations._finite_mdp import (ACTIONS, P, POLICY_SUMS_TO_ONE, R, STATIONARY,
                                     STATIONARY_SUMS_TO_ONE, a, d, d_theta, n, on_policy, pi, s,
                                     states, t, theta)
from derivations._two_state_mdp import (A as INSTANCE_ACTIONS, P as INSTANCE_P,
                                        R as INSTANCE_R, S as INSTANCE_STATES, FIELD, policy_closed_forms, solve,
                                        softmax_policy, stationary_distribution, table, written_out,
                                        theta as instance_theta)
from pgsym import Derivation, Equation, Expectation

#: the average reward rho(theta) = J_avR, the differential values h and Q~, the stationary d
rho = sp.Function("J_avR", real=True)
h = sp.Function("h", real=True)
Q_diff = sp.Function("Q_diff", real=True)

NOTATION = {"conditional": {"pi": 1, "P": 1}}

DIFFERENTIAL_V = Equation("differential Bellman equation for h", h(s, theta),
                          sp.Sum(pi(a, s, theta) * Q_diff(s, a, theta), ACTIONS),
                          variables=(s, theta))
DIFFERENTIAL_Q = Equation("differential Bellman equation for Q~", Q_diff(s, a, theta),
                          R(s, a) - rho(theta) + sp.Sum(P(t, s, a) * h(t, theta), states(t)),
                          variables=(s, a, theta))


def dh(state: sp.Expr) -> sp.Expr:
    return d_theta(h(state, theta))


def _own(state: sp.Expr) -> sp.Expr:
    return sp.Sum(d_theta(pi(a, state, theta)) * Q_diff(state, a, theta), ACTIONS)


def differential_value_recursion() -> Derivation:
    """grad h(s) = sum_a grad pi Q~ - grad J_avR + sum_t P_pi(t|s) grad h(t)."""
    lemma = Derivation(
        "recursion of the gradient of the differential value", start=dh(s),
        parameters=(theta,), ranges={s: (0, n - 1)}, equation="eq. (11), average reward",
        notation=NOTATION,
        description="Differentiating the differential Bellman equations at one state.")
    chosen = pi(a, s, theta) * Q_diff(s, a, theta)
    own = d_theta(pi(a, s, theta)) * Q_diff(s, a, theta)
    lemma.step(d_theta(sp.Sum(chosen, ACTIONS)), rule=DIFFERENTIAL_V)
    lemma.step(sp.Sum(d_theta(chosen), ACTIONS), rule="swap sum and gradient")
    lemma.step(sp.Sum(own + pi(a, s, theta) * d_theta(Q_diff(s, a, theta)), ACTIONS),
               rule="product rule")
    lemma.step(sp.Sum(own + pi(a, s, theta) * d_theta(
        R(s, a) - rho(theta) + sp.Sum(P(t, s, a) * h(t, theta), states(t))), ACTIONS),
        rule=DIFFERENTIAL_Q)
    lemma.step(sp.Sum(own + pi(a, s, theta) * (-d_theta(rho(theta)) + sp.Sum(
        d_theta(P(t, s, a) * h(t, theta)), states(t))), ACTIONS),
        rule=("linearity of differentiation", "derivative of a constant", "swap sum and gradient"),
        note="$R$ does not depend on $\\theta$")
    lemma.step(sp.Sum(own + pi(a, s, theta) * (-d_theta(rho(theta)) + sp.Sum(
        P(t, s, a) * dh(t), states(t))), ACTIONS), rule="linearity of differentiation",
        note="nor does $P$")
    lemma.step(sp.Sum(own - pi(a, s, theta) * d_theta(rho(theta))
                      + pi(a, s, theta) * sp.Sum(P(t, s, a) * dh(t), states(t)), ACTIONS),
               rule="distributivity")
    lemma.step(sp.Sum(own, ACTIONS) - d_theta(rho(theta)) * sp.Sum(pi(a, s, theta), ACTIONS)
               + sp.Sum(pi(a, s, theta) * sp.Sum(P(t, s, a) * dh(t), states(t)), ACTIONS),
               rule="linearity of sums")
    lemma.step(sp.Sum(own, ACTIONS) - d_theta(rho(theta))
               + sp.Sum(pi(a, s, theta) * sp.Sum(P(t, s, a) * dh(t), states(t)), ACTIONS),
               rule=POLICY_SUMS_TO_ONE)
    lemma.step(sp.Sum(own, ACTIONS) - d_theta(rho(theta))
               + sp.Sum(pi(a, s, theta) * P(t, s, a) * dh(t), states(t), ACTIONS),
               rule="linearity of sums")
    lemma.step(sp.Sum(own, ACTIONS) - d_theta(rho(theta)) + sp.Sum(on_policy(dh(t)), states(t)),
               rule="exchange of sums")
    return lemma


def gradient_at_a_state(recursion: Derivation) -> Derivation:
    """grad J_avR = sum_a grad pi Q~ + sum_t P_pi(t|s) grad h(t) - grad h(s), at every s."""
    lemma = Derivation(
        "the average reward's gradient seen from one state", start=d_theta(rho(theta)),
        parameters=(theta,), ranges={s: (0, n - 1)}, functions=(h,),
        equation="eq. (11), average reward", notation=NOTATION,
        description="The recursion of the differential values, solved for "
                    "$\\nabla_\\theta J_{avR}$.")
    grad_rho = d_theta(rho(theta))
    next_gradient = sp.Sum(on_policy(dh(t)), states(t))
    lemma.step(sp.Add(grad_rho, dh(s), -dh(s), evaluate=False), rule="algebra",
               note="add and subtract $\\nabla_\\theta h(s)$")
    lemma.step(sp.Add(grad_rho, sp.Add(_own(s), -grad_rho, next_gradient, evaluate=False),
                      -dh(s), evaluate=False), rule=recursion)
    lemma.step(_own(s) + next_gradient - dh(s), rule="algebra",
               note="$\\nabla_\\theta J_{avR}$ cancels")
    return lemma


def theorem(at_a_state: Derivation) -> Derivation:
    proof = Derivation(
        "average-reward policy gradient", start=d_theta(rho(theta)), parameters=(theta,),
        functions=(h, d),
        equation="eq. (11), average reward", notation=NOTATION,
        description="Eq. (11) for $J_{avR}$ on every finite MDP: states weighted by the "
                    "stationary distribution $d$, differential action values $\\tilde Q$.")
    grad_rho = d_theta(rho(theta))
    stationary = lambda body: sp.Sum(d(s, theta) * body, states(s))  # noqa: E731
    next_gradient = sp.Sum(on_policy(dh(t)), states(t))
    proof.step(sp.Mul(sp.Sum(d(s, theta), states(s)), grad_rho, evaluate=False),
               rule=STATIONARY_SUMS_TO_ONE)
    proof.step(stationary(grad_rho), rule="linearity of sums")
    proof.step(stationary(_own(s) + next_gradient - dh(s)), rule=at_a_state)
    proof.step(stationary(_own(s)) + stationary(next_gradient) - stationary(dh(s)),
               rule=("distributivity", "linearity of sums"))
    proof.step(stationary(_own(s)) + sp.Sum(d(s, theta) * on_policy(dh(t)), states(t), states(s))
               - stationary(dh(s)), rule="linearity of sums")
    proof.step(stationary(_own(s)) + sp.Sum(d(s, theta) * on_policy(dh(t)), states(s), states(t))
               - stationary(dh(s)), rule="exchange of sums")
    proof.step(stationary(_own(s)) + sp.Sum(stationary(on_policy(1)) * dh(t), states(t))
               - stationary(dh(s)), rule=("linearity of sums", "linearity of sums"),
               note="$\\nabla_\\theta h(t)$ out of the sums over $a$ and $s$")
    proof.step(stationary(_own(s)) + sp.Sum(d(t, theta) * dh(t), states(t))
               - stationary(dh(s)), rule=STATIONARY)
    proof.step(stationary(_own(s)), rule="algebra",
               note="the two sums are the same sum, over $t$ and over $s$")
    policy = pi(a, s, theta)
    score = d_theta(sp.log(policy))

    def weighted(*factors: sp.Expr) -> sp.Expr:
        return sp.Sum(sp.Mul(*factors, evaluate=False), ACTIONS)

    proof.step(stationary(weighted(policy, d_theta(policy) / policy, Q_diff(s, a, theta))),
               rule="multiply by one")
    proof.step(stationary(weighted(policy, score, Q_diff(s, a, theta))),
               rule="log-derivative identity")
    proof.step(Expectation(Expectation(sp.Mul(score, Q_diff(s, a, theta), evaluate=False),
                                       ACTIONS, policy), states(s), d(s, theta)),
               rule="definition of expectation")
    return proof


def _instance_closed_forms() -> dict:
    P_pi, r_pi = policy_closed_forms()
    weights = stationary_distribution(P_pi)
    average = sum(weights[i] * r_pi[i] for i in range(INSTANCE_STATES))
    # h(0) = r_pi(0) - J_avR + sum_t P_pi(0, t) h(t), and h is centred: sum_s d(s) h(s) = 0
    differential = solve([[1 - P_pi[0][0], -P_pi[0][1]], weights], [r_pi[0] - average, FIELD.zero])
    weights, differential = ([written_out(value) for value in values]
                             for values in (weights, differential))
    average = written_out(average)
    action_values = [[INSTANCE_R[i][j] - average + sum(INSTANCE_P[i][j][k] * differential[k]
                                                       for k in range(INSTANCE_STATES))
                      for j in range(INSTANCE_ACTIONS)] for i in range(INSTANCE_STATES)]
    return {pi: softmax_policy(), Q_diff: table(action_values, 2), d: table(weights, 1),
            INSTANCE_AVERAGE: average}


#: the average reward of the 2-state instance
INSTANCE_AVERAGE = sp.Symbol("J_avR")


def instance() -> Derivation:
    """The theorem on the 2-state, 2-action MDP in closed form, d/dtheta[0, 0]."""
    wrt = instance_theta[0, 0]
    score = sp.Derivative(sp.log(pi(s, a)), wrt)
    last_state, last_action = INSTANCE_STATES - 1, INSTANCE_ACTIONS - 1
    example = Derivation(
        "average-reward policy gradient on a 2-state MDP, d/dtheta[0,0]",
        start=sp.Derivative(INSTANCE_AVERAGE, wrt), definitions=_instance_closed_forms(),
        parameters=(wrt,), equation="eq. (11), average reward",
        notation={"conditional": {"pi": "2|1"}},
        description=r"An instance: the exact gradient of $J_{avR}$ on a 2-state, 2-action MDP "
                    r"with a tabular softmax policy, in closed form.")
    example.step(Expectation(Expectation(sp.Mul(score, Q_diff(s, a), evaluate=False),
                                         (a, 0, last_action), pi(s, a)),
                             (s, 0, last_state), d(s)),
                 rule="policy gradient theorem",
                 note="$d$ stationary, $\\tilde Q$ the differential action value")
    return example


def build() -> list[Derivation]:
    recursion = differential_value_recursion()
    at_a_state = gradient_at_a_state(recursion)
    return [recursion, at_a_state, theorem(at_a_state), instance()]
