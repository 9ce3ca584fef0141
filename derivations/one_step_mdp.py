"""Eqs. (8)-(10) of the notes: the policy gradient of a one-step MDP.

J = sum_s d(s) sum_a pi(s, a) R(s, a)                       (8)
grad J = sum_s d(s) sum_a pi(s, a) grad log pi(s, a) R(s, a)  (9)
       = E_{s~d, a~pi}[grad log pi(s, a) r]                   (10)

for any number of states S and actions A (symbolic), any positive differentiable policy.
"""
import sympy as sp

from derivations._notation import pi, theta
from pgsym import Derivation, Erratum, Expectation

s, a = sp.symbols("s a", integer=True, positive=True)
S, A = sp.symbols("S A", integer=True, positive=True)
d = sp.Function("d", positive=True)
R = sp.Function("R", real=True)
J = sp.Symbol("J")

ERRATUM = Erratum(
    "eq. (8)",
    "J_1(theta) = V(s_1) = sum_s d(s) sum_a pi(s, a) R(s, a)",
    "holds for one-step MDPs only (an episode ends after one action, d the start-state "
    "distribution); for longer episodes J_1 also depends on the rewards of later steps, "
    "and its gradient is eq. (11) with Q in place of R",
)


def _unevaluated(*factors):
    return sp.Mul(*factors, evaluate=False)


def build() -> Derivation:
    policy = pi(s, a, theta)
    gradient = sp.Derivative(policy, theta)
    score = sp.Derivative(sp.log(policy), theta)
    actions, states = (a, 1, A), (s, 1, S)
    derivation = Derivation(
        "one-step MDP policy gradient",
        start=sp.Derivative(J, theta),
        definitions={J: sp.Sum(_unevaluated(d(s), sp.Sum(_unevaluated(policy, R(s, a)), actions)), states)},
        parameters=(theta,),
        equation="eqs. (8)-(10)",
        description="The likelihood-ratio gradient of a one-step MDP, for symbolic $S$ and $A$.",
        notation={"conditional": {"pi": "2|1"}},
        errata=(ERRATUM,),
    )
    derivation.step(sp.Derivative(derivation.definitions[J], theta), rule="definition",
                    note="eq. (8), one-step MDP")
    derivation.step(sp.Sum(_unevaluated(d(s), sp.Derivative(sp.Sum(_unevaluated(policy, R(s, a)), actions), theta)),
                           states), rule="swap sum and gradient", note="over states")
    derivation.step(sp.Sum(_unevaluated(d(s), sp.Sum(_unevaluated(gradient, R(s, a)), actions)), states),
                    rule="swap sum and gradient", note="over actions")
    derivation.step(sp.Sum(_unevaluated(d(s), sp.Sum(_unevaluated(policy, _unevaluated(gradient, 1 / policy), R(s, a)),
                                                     actions)), states), rule="multiply by one")
    derivation.step(sp.Sum(_unevaluated(d(s), sp.Sum(_unevaluated(policy, score, R(s, a)), actions)), states),
                    rule="log-derivative identity", note="eq. (9)")
    derivation.step(Expectation(Expectation(_unevaluated(score, R(s, a)), actions, policy), states, d(s)),
                    rule="definition of expectation", note="eq. (10), with $r = R(s, a)$")
    return derivation
