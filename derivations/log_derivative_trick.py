"""Section 3 of the notes: the chain rule gives d/dtheta log p(x; theta) = grad p / p.

With y = p(x; theta) and z = log y:
dz/dtheta = dz/dy * dy/dtheta = (1/p) dy/dtheta = grad p / p = grad log p.
"""
import sympy as sp

from derivations._notation import p, theta, x
from pgsym import Derivation

y, z = sp.symbols("y z")


def build() -> Derivation:
    """Returns the section-3 derivation of the log-derivative trick."""
    likelihood = p(x, theta)
    d = Derivation(
        "log-derivative trick",
        start=sp.Derivative(z, theta),
        definitions={z: sp.log(y), y: likelihood},
        parameters=(theta,),
        equation="section 3",
        description="The score is the gradient of the likelihood divided by the likelihood.",
    )
    d.step(sp.Mul(sp.Derivative(z, y), sp.Derivative(y, theta), evaluate=False),
           rule="chain rule")
    d.step(sp.Mul(1 / likelihood, sp.Derivative(y, theta), evaluate=False),
           rule="derivative of log", note="$\\frac{d}{dy} \\log y = \\frac{1}{y}$")
    d.step(sp.Mul(1 / likelihood, sp.Derivative(likelihood, theta), evaluate=False),
           rule="definition", note="$\\frac{dy}{d\\theta} = \\nabla_\\theta p(x; \\theta)$")
    d.step(sp.Derivative(sp.log(likelihood), theta), rule="log-derivative identity",
           note="set $w = p(x; \\theta)$: $\\frac{1}{w} \\nabla_\\theta w = \\nabla_\\theta \\log w$")
    return d
