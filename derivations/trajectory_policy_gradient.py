"""Beyond the notes: the score of a whole trajectory is the sum of the policy's scores.

A trajectory tau = (s_0, a_0, s_1, ..., a_{T-1}, s_T) of T steps (T symbolic) has probability

    P(tau; theta) = mu(s_0) prod_{t=0}^{T-1} pi(s_t, a_t; theta) p(s_{t+1} | s_t, a_t),

with mu the start distribution and p the dynamics, which do not depend on theta. The log
turns the product into a sum (the lemma, proved first for any positive factors f(t), g(t)),
and the gradient of every term without theta vanishes:

    grad log P(tau; theta) = sum_{t=0}^{T-1} grad log pi(s_t, a_t; theta),

so REINFORCE needs neither mu nor p. The state and the action at time t are s(t) and a(t),
integer-valued (the labels of a finite MDP). (Not the indexed s[t], a[t]: a lemma's instance
is found by matching its free symbols, and SymPy counts s[t] as a free symbol of a product
over t, so the instance is not found; and the verifier's sampler cannot evaluate the
derivative of a product over a symbolic range of indexed factors.)
"""
import sympy as sp

from derivations._notation import theta
from pgsym import Derivation

t = sp.Symbol("t", integer=True)
T = sp.Symbol("T", integer=True, positive=True)
tau = sp.Symbol("tau")
#: the state and the action at time t
s = sp.Function("s", integer=True)
a = sp.Function("a", integer=True)
#: the policy pi(s, a; theta), the start distribution mu(s) and the dynamics p(s' | s, a)
pi = sp.Function("pi", positive=True)
mu = sp.Function("mu", positive=True)
p = sp.Function("p", positive=True)
#: the trajectory's probability P(tau; theta)
P = sp.Function("P")
#: the lemma's factors
f = sp.Function("f", positive=True)
g = sp.Function("g", positive=True)

STEPS = (t, 0, T - 1)


def log_of_product_lemma() -> Derivation:
    """log prod_t f(t) g(t) = sum_t log f(t) + sum_t log g(t), for positive f, g."""
    lemma = Derivation(
        "log of a product of two factors",
        start=sp.log(sp.Product(f(t) * g(t), STEPS)),
        equation="beyond the notes (trajectories)",
        description="The log of a finite product of positive factors is the sum of their logs.",
    )
    lemma.step(sp.Sum(sp.log(f(t) * g(t)), STEPS), rule="log of a product",
               note="every factor is positive")
    lemma.step(sp.Sum(sp.log(f(t)) + sp.log(g(t)), STEPS), rule="log of a product",
               note="inside the sum")
    lemma.step(sp.Sum(sp.log(f(t)), STEPS) + sp.Sum(sp.log(g(t)), STEPS),
               rule="linearity of sums")
    return lemma


def trajectory_score(lemma: Derivation) -> Derivation:
    policy = pi(s(t), a(t), theta)
    dynamics = p(s(t + 1), s(t), a(t))
    start_term = sp.log(mu(s(0)))
    factors = sp.Product(policy * dynamics, STEPS)
    policy_logs = sp.Sum(sp.log(policy), STEPS)
    dynamics_logs = sp.Sum(sp.log(dynamics), STEPS)
    d = Derivation(
        "trajectory policy gradient",
        start=sp.Derivative(sp.log(P(tau, theta)), theta),
        definitions={P: sp.Lambda((tau, theta), mu(s(0)) * factors)},
        parameters=(theta,),
        equation="beyond the notes (trajectories)",
        description="The score of a trajectory of symbolic length $T$ is the sum of the policy's "
                    "scores; the start distribution and the dynamics drop out.",
        notation={"conditional": {"pi": "2|1", "p": 1}},
    )
    d.step(sp.Derivative(sp.log(mu(s(0)) * factors), theta), rule="definition",
           note="the probability of the trajectory")
    d.step(sp.Derivative(start_term + sp.log(factors), theta), rule="log of a product")
    d.step(sp.Derivative(start_term + policy_logs + dynamics_logs, theta), rule=lemma,
           using={f: sp.Lambda(t, policy), g: sp.Lambda(t, dynamics)},
           note="with $f(t) = \\pi(s(t), a(t); \\theta)$, $g(t) = p(s(t + 1), s(t), a(t))$")
    d.step(sp.Derivative(start_term, theta) + sp.Derivative(policy_logs, theta)
           + sp.Derivative(dynamics_logs, theta), rule="linearity of differentiation")
    d.step(sp.Derivative(policy_logs, theta), rule="derivative of a constant",
           note="$\\mu$ and the dynamics $p$ do not depend on $\\theta$")
    d.step(sp.Sum(sp.Derivative(sp.log(policy), theta), STEPS), rule="swap sum and gradient",
           note="a finite sum whose bounds do not depend on $\\theta$")
    return d


def build() -> list[Derivation]:
    lemma = log_of_product_lemma()
    return [lemma, trajectory_score(lemma)]
