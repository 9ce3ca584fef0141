"""The score and the Fisher information (section 3 calls the score "the Fisher information").

The Fisher information is the score's second moment, E[(d log p)^2] = -E[d^2 log p]. It is
proved here for a categorical distribution over K outcomes, K symbolic, and for a Gaussian
N(mu, sigma^2) in mu and in sigma (where it is 1/sigma^2 and 2/sigma^2).

The categorical proof rests on four lemmas, proved first:

* normalised weights sum to one: sum_x w(x; theta) / sum_k w(k; theta) = 1 for any positive
  weights w over x = 0, ..., K - 1 (every positive distribution over K outcomes is of that
  form, with w = p);
* so their derivatives sum to zero: sum_x d/dtheta [w(x; theta) / sum_k w(k; theta)] = 0 (the
  score has mean zero; section 4's baseline derivation cites this lemma too);
* pointwise, for any positive f: f (d log f)^2 = d^2 f - f d^2 log f (the quotient rule);
* summed, for any positive f, normalised or not:
  sum_x f (d log f)^2 = d/dtheta sum_x df/dtheta - sum_x f d^2 log f.

The categorical distribution is written p(x; theta) = exp(theta phi_x + c_x) / sum_k exp(theta
phi_k + c_k) with any real phi and c: a softmax whose logits are linear in theta, which is the
linear softmax policy of the notes differentiated in any one coordinate theta_i (phi_x the
feature that multiplies theta_i, c_x the rest of the logit). Its Fisher information then
follows from the lemmas with f = p and w = exp(theta phi + c). (The lemmas hold for any
positive weights; the theorem is stated for this family because the verifier evaluates
second derivatives of a quotient of undefined functions too slowly, while phi and c are
numbers at each point it samples.)
"""
import sympy as sp

from derivations._notation import theta
from pgsym import Derivation, Erratum, Expectation

x = sp.Symbol("x", integer=True)
k = sp.Symbol("k", integer=True)
#: the number of outcomes of the categorical distribution
K = sp.Symbol("K", integer=True, positive=True)
OUTCOMES = (x, 0, K - 1)
#: positive weights w(x; theta), and a positive function f(x; theta) for the lemmas
w = sp.Function("w", positive=True)
f = sp.Function("f", positive=True)
#: the categorical distribution p(x; theta) and its logits theta phi_x + c_x
p = sp.Function("p", positive=True)
phi = sp.IndexedBase("phi", real=True)
c = sp.IndexedBase("c", real=True)
#: the softmax's weights exp(theta phi_x + c_x)
WEIGHTS = sp.Lambda((x, theta), sp.exp(theta * phi[x] + c[x]))

y = sp.Symbol("y", real=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)

EQUATION = "section 3 (score)"

ERRATUM = Erratum(
    "section 3",
    "grad log p(x; theta) is known as the score or sometimes the Fischer information",
    "grad log p is the score; the Fisher information is its covariance E[score score^T] "
    "(the score has mean zero), which equals -E[Hessian of log p]; and it is Fisher, not Fischer",
)


def _product(*factors):
    return sp.Mul(*factors, evaluate=False)


def _square(base):
    return sp.Pow(base, 2, evaluate=False)


def _difference(first, second):
    return sp.Add(first, _product(-1, second), evaluate=False)


def _d(expr, order=1):
    return sp.Derivative(expr, (theta, order))


def normalised(weights=w, outcome=x) -> sp.Expr:
    """w(outcome; theta) / sum_k w(k; theta)."""
    return weights(outcome, theta) / sp.Sum(weights(k, theta), (k, 0, K - 1))


def weights_sum_to_one() -> Derivation:
    """sum_x w(x) / sum_k w(k) = 1 for positive weights w over x = 0..K-1."""
    total = sp.Sum(w(k, theta), (k, 0, K - 1))
    lemma = Derivation(
        "normalised weights sum to one",
        start=sp.Sum(normalised(), OUTCOMES),
        parameters=(theta,),
        equation=EQUATION,
        description="Positive weights divided by their sum sum to one, over any number $K$ of "
                    "outcomes.",
    )
    lemma.step(_product(1 / total, total), rule="linearity of sums",
               note="the denominator does not depend on $x$")
    lemma.step(sp.Integer(1), rule="multiply by one", note="the sum of positive weights is positive")
    return lemma


def derivatives_sum_to_zero(sum_to_one: Derivation) -> Derivation:
    """sum_x d/dtheta [w(x) / sum_k w(k)] = 0: the score of any distribution has mean zero."""
    lemma = Derivation(
        "the derivatives of normalised weights sum to zero",
        start=sp.Sum(_d(normalised()), OUTCOMES),
        parameters=(theta,),
        equation=EQUATION,
        description="The probabilities of $K$ outcomes sum to one for every $\\theta$, so their "
                    "derivatives sum to zero (the score has mean zero: "
                    "$\\sum_x p \\, \\partial \\log p = \\sum_x \\partial p$).",
    )
    lemma.step(_d(sp.Sum(normalised(), OUTCOMES)), rule="swap sum and gradient",
               note="a finite sum whose bounds do not depend on $\\theta$")
    lemma.step(_d(sp.Integer(1)), rule=sum_to_one)
    lemma.step(sp.Integer(0), rule="derivative of a constant")
    return lemma


def squared_score() -> Derivation:
    """f (d log f)^2 = d^2 f - f d^2 log f for a positive f."""
    value = f(x, theta)
    lemma = Derivation(
        "the squared score, pointwise",
        start=_product(value, _square(_d(sp.log(value)))),
        parameters=(theta,),
        equation=EQUATION,
        description="For any positive $f$, $f (\\partial \\log f)^2 = \\partial^2 f - f \\, "
                    "\\partial^2 \\log f$.",
    )
    lemma.step(_product(value, _square(_product(_d(value), 1 / value))),
               rule="log-derivative identity")
    lemma.step(_difference(_d(value, 2), _product(value, _d(sp.log(value), 2))), rule="algebra",
               note="$\\partial^2 \\log f = \\partial (\\partial f / f) = \\partial^2 f / f - "
                    "(\\partial f / f)^2$ by the quotient rule")
    return lemma


def fisher_sum(pointwise: Derivation) -> Derivation:
    """sum_x f (d log f)^2 = d/dtheta sum_x df/dtheta - sum_x f d^2 log f, for positive f."""
    value = f(x, theta)
    curvature = sp.Sum(_product(value, _d(sp.log(value), 2)), OUTCOMES)
    lemma = Derivation(
        "the squared score summed over K outcomes",
        start=sp.Sum(_product(value, _square(_d(sp.log(value)))), OUTCOMES),
        parameters=(theta,),
        equation=EQUATION,
        description="For any positive $f$ over $K$ outcomes, normalised or not, the sum of "
                    "$f (\\partial \\log f)^2$ is the derivative of $\\sum_x \\partial f$ minus "
                    "the sum of $f \\, \\partial^2 \\log f$.",
    )
    lemma.step(sp.Sum(_difference(_d(value, 2), _product(value, _d(sp.log(value), 2))), OUTCOMES),
               rule=pointwise, note="for each $x$")
    lemma.step(_difference(sp.Sum(_d(value, 2), OUTCOMES), curvature), rule="linearity of sums")
    lemma.step(_difference(_d(sp.Sum(_d(value), OUTCOMES)), curvature),
               rule="swap sum and gradient", note="a finite sum whose bounds do not depend on "
                                                  "$\\theta$")
    return lemma


def categorical(summed: Derivation, mean_zero: Derivation) -> Derivation:
    """E[(d log p)^2] = -E[d^2 log p] for p a softmax over K outcomes, logits linear in theta."""
    value = p(x, theta)
    curvature = sp.Sum(_product(value, _d(sp.log(value), 2)), OUTCOMES)
    d = Derivation(
        "Fisher information of a categorical distribution",
        start=Expectation(_square(_d(sp.log(value))), OUTCOMES, value),
        definitions={p: sp.Lambda((x, theta), normalised(WEIGHTS))},
        parameters=(theta,),
        equation=EQUATION,
        description="The Fisher information of a categorical distribution over $K$ outcomes "
                    "($K$ symbolic), $p(x; \\theta) \\propto e^{\\theta \\phi_x + c_x}$, is minus "
                    "its expected second derivative of $\\log p$.",
        errata=(ERRATUM,),
    )
    d.step(sp.Sum(_product(value, _square(_d(sp.log(value)))), OUTCOMES),
           rule="definition of expectation")
    d.step(_difference(_d(sp.Sum(_d(value), OUTCOMES)), curvature), rule=summed, using={f: p},
           note="with $f = p$")
    d.step(_difference(_d(sp.Sum(_d(normalised(WEIGHTS)), OUTCOMES)), curvature), rule="definition")
    d.step(_difference(_d(sp.Integer(0)), curvature), rule=mean_zero, using={w: WEIGHTS},
           note="with $w(x; \\theta) = e^{\\theta \\phi_x + c_x}$")
    d.step(-curvature, rule="derivative of a constant")
    d.step(-Expectation(_d(sp.log(value), 2), OUTCOMES, value), rule="definition of expectation")
    return d


def _gaussian(name: str, wrt: sp.Symbol) -> Derivation:
    density = p(y, mu, sigma)
    limits = (y, -sp.oo, sp.oo)
    score = sp.Derivative(sp.log(density), wrt)
    curvature = sp.Derivative(sp.log(density), (wrt, 2))
    normal = sp.Lambda((y, mu, sigma),
                       sp.exp(-(y - mu) ** 2 / (2 * sigma**2)) / (sigma * sp.sqrt(2 * sp.pi)))
    d = Derivation(f"Fisher information, Gaussian, {name}",
                   start=Expectation(score**2, limits, density), definitions={p: normal},
                   parameters=(wrt,), equation=EQUATION,
                   description=f"The Fisher information of N(mu, sigma^2) in {name} is minus its "
                               f"expected Hessian.")
    d.step(sp.Integral(sp.Mul(density, score**2, evaluate=False), limits),
           rule="definition of expectation")
    d.step(-sp.Integral(sp.Mul(density, curvature, evaluate=False), limits), rule="algebra",
           note="$\\partial^2 \\log p = \\frac{\\partial^2 p}{p} - (\\partial \\log p)^2$ "
                "and $\\int \\partial^2 p = \\partial^2 \\int p = 0$")
    d.step(-Expectation(curvature, limits, density), rule="definition of expectation")
    return d


def lemmas() -> tuple[Derivation, Derivation, Derivation, Derivation]:
    """The four lemmas, each citing the ones before it (section 4 cites the second)."""
    sum_to_one = weights_sum_to_one()
    pointwise = squared_score()
    return sum_to_one, derivatives_sum_to_zero(sum_to_one), pointwise, fisher_sum(pointwise)


def build() -> list[Derivation]:
    sum_to_one, mean_zero, pointwise, summed = lemmas()
    return [sum_to_one, mean_zero, pointwise, summed, categorical(summed, mean_zero),
            _gaussian("mu", mu), _gaussian("sigma", sigma)]
