"""Eqs. (4) and (6) of the notes: theta <- theta + alpha grad J is gradient *ascent*.

Along the update direction, J changes at rate dJ(theta + alpha grad J)/d alpha at alpha = 0,
which is |grad J|^2 >= 0: for a small step size the update increases J.
"""
import sympy as sp

from pgsym import Derivation, Erratum

theta = sp.Symbol("theta", real=True)
alpha = sp.Symbol("alpha", real=True)
J = sp.Function("J", real=True)

ERRATUM = Erratum(
    "eq. (6)",
    "the general gradient decent update rule is theta <- theta + alpha grad J",
    "with the plus sign the update is gradient ascent, which increases J (as the policy "
    "gradient algorithm of section 2 wants); gradient descent would subtract",
)


def build() -> Derivation:
    gradient = sp.Derivative(J(theta), theta)
    d = Derivation(
        "gradient ascent increases J",
        start=sp.Subs(sp.Derivative(J(theta + alpha * gradient), alpha), alpha, 0),
        parameters=(theta,),
        equation="eqs. (4), (6)",
        description=r"The update of eqs. (4) and (6) moves $J$ up at rate $\lVert \nabla_\theta J \rVert^2$.",
        errata=(ERRATUM,),
    )
    d.step(gradient**2, rule="algebra", note="chain rule at $\\alpha = 0$; never negative")
    return d
