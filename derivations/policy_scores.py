"""Score functions of the two policies of the gradient library, the expressions it compiles.

Linear softmax policy, pi(a|s) = exp(z_a) / sum_b exp(z_b) with logits z_b = sum_j phi_j theta_jb:

    log pi(a|s) = z_a - m - log sum_b exp(z_b - m)        for any m (the code takes m = max z)
    pi(c|s)     = exp(z_c - m) / sum_b exp(z_b - m)
    d log pi(a|s) / d theta_ic = phi_i (delta_ac - pi(c|s))

Gaussian policy with mean mu_c = sum_j phi_j W_jc and standard deviation exp(l_c) per action
dimension c:

    log N(a; mu, exp(l)) = sum_c -(a_c - mu_c)^2 exp(-2 l_c) / 2 - l_c - log(2 pi) / 2
    d log N / d W_ic     = phi_i (a_c - mu_c) exp(-2 l_c)
    d log N / d l_c      = (a_c - mu_c)^2 exp(-2 l_c) - 1

A gradient is stated for all its components at once as a directional derivative: for every
direction V, sum_ic V_ic d/d theta_ic (...) = sum_ic V_ic G_ic, which holds for all V exactly
when G is the gradient. Each identity is proved for every number of features d <= 3 and of
actions (or action dimensions) up to 4 (3 for the Gaussian), with all sums written out; the
summand of the last step, the same expression at every size, is what
:mod:`pgsym.codegen` compiles to NumPy.
"""
from __future__ import annotations

import sympy as sp

from pgsym import Derivation

#: sizes at which every identity below is proved: (features d, actions A or dimensions k)
SOFTMAX_SIZES = ((1, 2), (2, 3), (3, 4))
GAUSSIAN_SIZES = ((1, 1), (2, 2), (3, 3))

phi = sp.IndexedBase("phi", real=True)
theta = sp.IndexedBase("theta", real=True)
weights = sp.IndexedBase("W", real=True)
direction = sp.IndexedBase("V", real=True)
log_std = sp.IndexedBase("l", real=True)
action = sp.IndexedBase("a", real=True)
i, j, b, c = sp.symbols("i j b c", integer=True, nonnegative=True)
#: the sampled action of the softmax policy
a = sp.Symbol("a", integer=True)
#: any real shift of the logits; the compiled code takes their maximum
m = sp.Symbol("m", real=True)
z = sp.Function("z", real=True)
pi = sp.Function("pi", positive=True)
mu = sp.Function("mu", real=True)


def _mul(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def _softmax_definitions(features: int, actions: int) -> dict:
    u = sp.Dummy("u", integer=True)
    return {
        z: sp.Lambda(u, sp.Sum(phi[j] * theta[j, u], (j, 0, features - 1))),
        pi: sp.Lambda(u, sp.exp(z(u)) / sp.Sum(sp.exp(z(b)), (b, 0, actions - 1))),
    }


def softmax_log_prob_template(actions: sp.Expr) -> sp.Expr:
    """log pi(a|s) in the stable form the code evaluates, for ``actions`` actions."""
    return z(a) - m - sp.log(sp.Sum(sp.exp(z(b) - m), (b, 0, actions - 1)))


def softmax_probability_template(actions: sp.Expr) -> sp.Expr:
    """pi(c|s) in the stable form the code evaluates."""
    return sp.exp(z(c) - m) / sp.Sum(sp.exp(z(b) - m), (b, 0, actions - 1))


def softmax_score_template() -> sp.Expr:
    """The summand of the softmax score: V_ic times the component (i, c) of grad log pi(a|s)."""
    return _mul(direction[i, c], phi[i], sp.KroneckerDelta(a, c) - pi(c))


def softmax_log_prob(features: int, actions: int) -> Derivation:
    """log pi(a|s) = z_a - m - log sum_b exp(z_b - m), for any shift m."""
    d = Derivation(
        f"softmax log-probability, d={features} A={actions}",
        start=sp.log(pi(a)),
        definitions=_softmax_definitions(features, actions),
        parameters=(m,),
        equation="gradient library",
        description="The log-probability of a linear softmax policy, shifted so that no "
                    "exponential overflows; the shift m is arbitrary.",
    )
    total = sp.Sum(sp.exp(z(b)), (b, 0, actions - 1))
    d.step(sp.log(sp.exp(z(a)) / total), rule="definition", note="softmax")
    d.step(z(a) - sp.log(total), rule="algebra", note="$\\log (e^u / v) = u - \\log v$")
    d.step(z(a) - sp.log(_mul(sp.exp(m), sp.Sum(sp.exp(z(b) - m), (b, 0, actions - 1)))),
           rule="algebra", note="$e^{m} e^{-m} = 1$ in every term")
    d.step(softmax_log_prob_template(actions), rule="algebra", note="$\\log e^m v = m + \\log v$")
    return d


def softmax_probability(features: int, actions: int) -> Derivation:
    """pi(c|s) = exp(z_c - m) / sum_b exp(z_b - m), for any shift m."""
    d = Derivation(
        f"softmax probability, d={features} A={actions}",
        start=pi(c),
        definitions=_softmax_definitions(features, actions),
        parameters=(m,),
        equation="gradient library",
        description="The probabilities of a linear softmax policy, shifted so that no "
                    "exponential overflows.",
    )
    total = sp.Sum(sp.exp(z(b)), (b, 0, actions - 1))
    d.step(sp.exp(z(c)) / total, rule="definition", note="softmax")
    d.step(softmax_probability_template(actions), rule="algebra",
           note="multiply numerator and denominator by $e^{-m}$")
    return d


def softmax_score(features: int, actions: int) -> Derivation:
    """sum_ic V_ic d log pi(a|s) / d theta_ic = sum_ic V_ic phi_i (delta_ac - pi(c|s))."""
    components = ((i, 0, features - 1), (c, 0, actions - 1))
    d = Derivation(
        f"softmax score, d={features} A={actions}",
        start=sp.Sum(_mul(direction[i, c], sp.Derivative(sp.log(pi(a)), theta[i, c])), *components),
        definitions=_softmax_definitions(features, actions),
        equation="gradient library",
        description="The score of a linear softmax policy, every component at once.",
    )
    total = sp.Sum(sp.exp(z(b)), (b, 0, actions - 1))
    d.step(sp.Sum(_mul(direction[i, c], sp.Derivative(z(a) - sp.log(total), theta[i, c])), *components),
           rule="algebra", note="$\\log \\pi(a) = z_a - \\log \\sum_b e^{z_b}$")
    d.step(sp.Sum(_mul(direction[i, c],
                       sp.Derivative(z(a), theta[i, c])
                       - sp.Sum(_mul(sp.exp(z(b)), sp.Derivative(z(b), theta[i, c])),
                                (b, 0, actions - 1)) / total), *components),
           rule="algebra", note="chain rule through $\\log$ and $\\exp$, sum and gradient swapped")
    d.step(sp.Sum(_mul(direction[i, c], phi[i] * sp.KroneckerDelta(a, c)
                       - phi[i] * sp.exp(z(c)) / total), *components),
           rule="algebra", note="$\\partial z_b / \\partial \\theta_{ic} = \\phi_i \\delta_{bc}$")
    d.step(sp.Sum(_mul(direction[i, c], phi[i] * sp.KroneckerDelta(a, c) - phi[i] * pi(c)), *components),
           rule="definition", note="softmax")
    d.step(sp.Sum(softmax_score_template(), *components), rule="algebra", note="factor out $\\phi_i$")
    return d


def gaussian_log_prob_template(dimensions: sp.Expr) -> sp.Expr:
    """log N(a; mu, diag(exp(2 l))) as the sum over action dimensions the code evaluates."""
    deviation = action[c] - mu(c)
    return sp.Sum(-deviation**2 * sp.exp(-2 * log_std[c]) / 2 - log_std[c] - sp.log(2 * sp.pi) / 2,
                  (c, 0, dimensions - 1))


def gaussian_weights_score_template() -> sp.Expr:
    """The summand of the score in the weights: V_ic times d log N / d W_ic."""
    return _mul(direction[i, c], phi[i], (action[c] - mu(c)) * sp.exp(-2 * log_std[c]))


def gaussian_log_std_score_template() -> sp.Expr:
    """The summand of the score in the log standard deviations: V_c times d log N / d l_c."""
    return _mul(direction[0, c], (action[c] - mu(c))**2 * sp.exp(-2 * log_std[c]) - 1)


def _gaussian_definitions(features: int) -> dict:
    u = sp.Dummy("u", integer=True)
    return {mu: sp.Lambda(u, sp.Sum(phi[j] * weights[j, u], (j, 0, features - 1)))}


def _gaussian_density(dimensions: int) -> sp.Expr:
    deviation = action[c] - mu(c)
    sigma = sp.exp(log_std[c])
    return sp.Product(sp.exp(-deviation**2 / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma),
                      (c, 0, dimensions - 1))


def gaussian_log_prob(features: int, dimensions: int) -> Derivation:
    """log of the product of normal densities = the sum the code evaluates."""
    d = Derivation(
        f"Gaussian log-density, d={features} k={dimensions}",
        start=sp.log(_gaussian_density(dimensions)),
        definitions=_gaussian_definitions(features),
        equation="gradient library",
        description="The log-density of a Gaussian policy with independent action dimensions.",
    )
    d.step(gaussian_log_prob_template(dimensions), rule="algebra",
           note="the log of a product is the sum of the logs")
    return d


def gaussian_weights_score(features: int, dimensions: int) -> Derivation:
    """sum_ic V_ic d log N / d W_ic = sum_ic V_ic phi_i (a_c - mu_c) exp(-2 l_c)."""
    components = ((i, 0, features - 1), (c, 0, dimensions - 1))
    log_density = gaussian_log_prob_template(dimensions)
    d = Derivation(
        f"Gaussian score in the weights, d={features} k={dimensions}",
        start=sp.Sum(_mul(direction[i, c], sp.Derivative(log_density, weights[i, c])), *components),
        definitions=_gaussian_definitions(features),
        equation="gradient library",
        description="The score of a Gaussian policy in the weights of its linear mean.",
    )
    d.step(sp.Sum(gaussian_weights_score_template(), *components), rule="algebra",
           note="$\\partial \\mu_{c'} / \\partial W_{ic} = \\phi_i \\delta_{cc'}$")
    return d


def gaussian_log_std_score(features: int, dimensions: int) -> Derivation:
    """sum_c V_c d log N / d l_c = sum_c V_c ((a_c - mu_c)^2 exp(-2 l_c) - 1)."""
    log_density = gaussian_log_prob_template(dimensions)
    d = Derivation(
        f"Gaussian score in the log standard deviations, d={features} k={dimensions}",
        start=sp.Sum(_mul(direction[0, c], sp.Derivative(log_density, log_std[c])),
                     (c, 0, dimensions - 1)),
        definitions=_gaussian_definitions(features),
        equation="gradient library",
        description="The score of a Gaussian policy in its log standard deviations.",
    )
    d.step(sp.Sum(gaussian_log_std_score_template(), (c, 0, dimensions - 1)), rule="algebra",
           note="differentiate each term in $l_c$")
    return d


def build() -> list[Derivation]:
    return [
        *(builder(*size) for size in SOFTMAX_SIZES
          for builder in (softmax_log_prob, softmax_probability, softmax_score)),
        *(builder(*size) for size in GAUSSIAN_SIZES
          for builder in (gaussian_log_prob, gaussian_weights_score, gaussian_log_std_score)),
    ]
