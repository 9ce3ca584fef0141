"""The score and the Fisher information (section 3 calls the score "the Fisher information").

The score grad log p has mean zero (see the baseline derivations with b = 1); the Fisher
information is its second moment, E[(d log p)^2] = -E[d^2 log p], shown here for a
categorical (softmax, K = 3) and for a Gaussian N(mu, sigma^2) in mu and in sigma (where it
is 1/sigma^2 and 2/sigma^2; the Gaussian's score has mean zero by the Gaussian estimator
with f = 1).
"""
import sympy as sp

from pgsym import Derivation, Erratum, Expectation

x = sp.Symbol("x", integer=True)
k = sp.Symbol("k", integer=True)
logits = sp.IndexedBase("theta", real=True)
p = sp.Function("p", positive=True)
y = sp.Symbol("y", real=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)


ERRATUM = Erratum(
    "section 3",
    "grad log p(x; theta) is known as the score or sometimes the Fischer information",
    "grad log p is the score; the Fisher information is its covariance E[score score^T] "
    "(the score has mean zero), which equals -E[Hessian of log p]; and it is Fisher, not Fischer",
)


def _fisher_chain(name: str, density: sp.Expr, limits: tuple, wrt: sp.Basic, definitions: dict,
                  description: str, errata=()) -> Derivation:
    score = sp.Derivative(sp.log(density), wrt)
    curvature = sp.Derivative(sp.log(density), (wrt, 2))
    d = Derivation(name, start=Expectation(score**2, limits, density), definitions=definitions,
                   parameters=(wrt,), equation="section 3 (score)", description=description,
                   errata=errata)
    total = sp.Sum if limits[0].is_integer else sp.Integral
    d.step(total(sp.Mul(density, score**2, evaluate=False), limits), rule="definition of expectation")
    d.step(-total(sp.Mul(density, curvature, evaluate=False), limits), rule="algebra",
           note="$\\partial^2 \\log p = \\frac{\\partial^2 p}{p} - (\\partial \\log p)^2$ "
                "and $\\int \\partial^2 p = \\partial^2 \\int p = 0$")
    d.step(-Expectation(curvature, limits, density), rule="definition of expectation")
    return d


def build() -> list[Derivation]:
    categorical = _fisher_chain(
        "Fisher information, softmax K=3", p(x), (x, 1, 3), logits[1],
        {p: sp.Lambda(x, sp.exp(logits[x]) / sp.Sum(sp.exp(logits[k]), (k, 1, 3)))},
        "The Fisher information of a categorical distribution is minus its expected Hessian.",
        errata=(ERRATUM,))
    normal = sp.Lambda((y, mu, sigma), sp.exp(-(y - mu) ** 2 / (2 * sigma**2)) / (sigma * sp.sqrt(2 * sp.pi)))
    return [categorical] + [
        _fisher_chain(f"Fisher information, Gaussian, {name}", p(y, mu, sigma), (y, -sp.oo, sp.oo),
                      wrt, {p: normal},
                      f"The Fisher information of N(mu, sigma^2) in {name} is minus its expected Hessian.")
        for name, wrt in (("mu", mu), ("sigma", sigma))
    ]
