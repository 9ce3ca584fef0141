"""Footnote 4 of the notes: eq. (7) when p is a Gaussian N(mu, sigma^2).

    d/dmu    E_{x~N(mu, sigma^2)}[f(x)] = E[f(x) (x - mu) / sigma^2]
    d/dsigma E_{x~N(mu, sigma^2)}[f(x)] = E[f(x) ((x - mu)^2 / sigma^3 - 1 / sigma)]

step by step as in eq. (7), with the integral and the derivative swapped, for every
polynomial f of degree at most 4 (f = c0 + c1 x + ... + c4 x^4 with symbolic coefficients)
and for f = exp(a x); every step is computed in closed form. Swapping needs the integrand
and its derivative to be dominated by an integrable function, which holds for these f
(polynomial or exponential growth against the Gaussian's exp(-x^2)).
"""
import sympy as sp

from pgsym import Derivation, Expectation

x = sp.Symbol("x", real=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
a = sp.Symbol("a", real=True)
coefficients = sp.symbols("c0:5", real=True)
p = sp.Function("p", positive=True)

DENSITY = sp.Lambda((x, mu, sigma), sp.exp(-(x - mu) ** 2 / (2 * sigma**2)) / (sigma * sp.sqrt(2 * sp.pi)))
#: d/dv log p(x) for each parameter v, in the form the notes' footnote would write it
SCORES = {mu: (x - mu) / sigma**2, sigma: (x - mu) ** 2 / sigma**3 - 1 / sigma}
FUNCTIONS = {
    "polynomial of degree 4": sum((c * x**k for k, c in enumerate(coefficients)), sp.S.Zero),
    "exp(a x)": sp.exp(a * x),
}


def _mul(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def estimator(function: str, wrt: sp.Symbol) -> Derivation:
    """grad_wrt E_{N(mu, sigma^2)}[f] = E[f grad_wrt log p], f the named function."""
    f = FUNCTIONS[function]
    limits = (x, -sp.oo, sp.oo)
    density = p(x, mu, sigma)
    gradient = sp.Derivative(density, wrt)
    d = Derivation(
        f"Gaussian score-function estimator, d/d{wrt}, f = {function}",
        start=sp.Derivative(Expectation(f, limits, density), wrt),
        definitions={p: DENSITY},
        parameters=(mu, sigma),
        equation="eq. (7), footnote 4",
        description=f"Eq. (7) for a Gaussian p, gradient in {wrt}, f a {function}.",
    )
    d.step(sp.Derivative(sp.Integral(_mul(density, f), limits), wrt), rule="definition of expectation")
    d.step(sp.Integral(_mul(gradient, f), limits), rule="swap integral and gradient",
           note="the bounds do not depend on the parameter",
           condition=f"$p f$ and its derivative in ${sp.latex(wrt)}$ are dominated, for the "
                     f"parameters in a neighbourhood, by an integrable function (the Gaussian "
                     f"tail beats polynomial and exponential growth)")
    d.step(sp.Integral(_mul(density, _mul(gradient, 1 / density), f), limits), rule="multiply by one",
           note="multiply and divide by $p(x)$")
    d.step(sp.Integral(_mul(density, sp.Derivative(sp.log(density), wrt), f), limits),
           rule="log-derivative identity")
    d.step(sp.Integral(_mul(density, SCORES[wrt], f), limits), rule="algebra",
           note="differentiate $\\log p(x) = -\\frac{(x - \\mu)^2}{2 \\sigma^2} - \\log \\sigma - \\frac{1}{2}\\log 2\\pi$")
    d.step(Expectation(_mul(f, SCORES[wrt]), limits, density), rule="definition of expectation")
    return d


def build() -> list[Derivation]:
    return [estimator(function, wrt) for function in FUNCTIONS for wrt in (mu, sigma)]
