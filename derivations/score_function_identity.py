"""Section 3 of the notes: grad pi = pi * grad log pi, by multiplying by one.

grad pi = grad pi * (pi/pi) = (grad pi / pi) * pi = grad log pi * pi.
"""
import sympy as sp

from derivations._notation import a, pi, s, theta
from pgsym import Derivation


def build() -> Derivation:
    """Returns the multiply-by-one derivation of grad pi = pi grad log pi."""
    policy = pi(s, a, theta)
    gradient = sp.Derivative(policy, theta)
    d = Derivation(
        "policy score identity",
        start=gradient,
        parameters=(theta,),
        equation="section 3",
        description="The gradient of the policy is the policy times its score.",
        notation={"conditional": {"pi": "2|1"}},
    )
    d.step(sp.Mul(gradient, sp.Mul(policy, 1 / policy, evaluate=False), evaluate=False),
           rule="multiply by one", note="$1 = \\frac{\\pi_\\theta(s, a)}{\\pi_\\theta(s, a)}$")
    d.step(sp.Mul(sp.Mul(gradient, 1 / policy, evaluate=False), policy, evaluate=False),
           rule="associativity", note="multiplication is associative")
    d.step(sp.Mul(sp.Derivative(sp.log(policy), theta), policy, evaluate=False),
           rule="log-derivative identity",
           note="$\\frac{\\nabla_\\theta \\pi_\\theta(s, a)}{\\pi_\\theta(s, a)} = "
                "\\nabla_\\theta \\log \\pi_\\theta(s, a)$")
    return d
