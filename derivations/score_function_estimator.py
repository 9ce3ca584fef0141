"""Eq. (7) of the notes: grad E_{x~p(x|theta)}[f(x)] = E_{x~p(x|theta)}[f(x) grad log p(x)].

The discrete case, step by step as in the notes, for a general finite support {1, ..., K}
(symbolic K), and again with p a softmax over K = 2, ..., 6 outcomes, where every step is
computed in closed form.
"""
import sympy as sp

from derivations._notation import p, theta
from pgsym import Derivation, Expectation

x = sp.Symbol("x", integer=True)
k = sp.Symbol("k", integer=True)
K = sp.Symbol("K", integer=True, positive=True)
f = sp.Function("f", real=True)
logits = sp.IndexedBase("theta", real=True)

SOFTMAX_SIZES = range(2, 7)


def _unevaluated(*factors):
    return sp.Mul(*factors, evaluate=False)


def score_function_chain(d: Derivation, density: sp.Expr, size, wrt) -> Derivation:
    """Adds the five steps of eq. (7) to ``d``, which starts at grad E_{x~density}[f(x)]."""
    limits = (x, 1, size)
    gradient = sp.Derivative(density, wrt)
    d.step(sp.Derivative(sp.Sum(_unevaluated(density, f(x)), limits), wrt),
           rule="definition of expectation")
    d.step(sp.Sum(_unevaluated(gradient, f(x)), limits), rule="swap sum and gradient",
           note=f"the sum is finite and its bounds do not depend on ${sp.latex(wrt)}$")
    d.step(sp.Sum(_unevaluated(density, _unevaluated(gradient, 1 / density), f(x)), limits),
           rule="multiply by one", note="multiply and divide by $p(x)$")
    d.step(sp.Sum(_unevaluated(density, sp.Derivative(sp.log(density), wrt), f(x)), limits),
           rule="log-derivative identity", note="$\\frac{1}{z} \\nabla_\\theta z = \\nabla_\\theta \\log z$")
    d.step(Expectation(_unevaluated(f(x), sp.Derivative(sp.log(density), wrt)), limits, density),
           rule="definition of expectation", note="again")
    return d


def general() -> Derivation:
    """Eq. (7) for any positive p on a finite support of symbolic size K."""
    density = p(x, theta)
    d = Derivation(
        "score-function estimator",
        start=sp.Derivative(Expectation(f(x), (x, 1, K), density), theta),
        parameters=(theta,),
        equation="eq. (7)",
        description="The gradient of an expectation is the expectation of $f$ times the score.",
    )
    return score_function_chain(d, density, K, theta)


def softmax(size: int) -> Derivation:
    """Eq. (7) for p(x) = exp(theta_x) / sum_k exp(theta_k) over ``size`` outcomes."""
    q = sp.Function("p", positive=True)
    d = Derivation(
        f"score-function estimator, softmax K={size}",
        start=sp.Derivative(Expectation(f(x), (x, 1, size), q(x)), logits[1]),
        definitions={q: sp.Lambda(x, sp.exp(logits[x]) / sp.Sum(sp.exp(logits[k]), (k, 1, size)))},
        parameters=(logits[1],),
        equation="eq. (7)",
        description=f"Eq. (7) with a categorical (softmax) p over {size} outcomes, in closed form.",
    )
    return score_function_chain(d, q(x), size, logits[1])


def build() -> list[Derivation]:
    return [general(), *(softmax(size) for size in SOFTMAX_SIZES)]
