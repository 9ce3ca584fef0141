"""Score functions of the two policies of the gradient library, the expressions it compiles,
proved for all sizes: ``d`` features, ``A`` actions and ``k`` action dimensions are symbolic.

Linear softmax policy, pi(a|s) = exp(z_a) / sum_b exp(z_b) with logits z_b = sum_j phi_j theta_jb:

    log pi(a|s) = z_a - m - log sum_b exp(z_b - m)        for any m (the code takes m = max z)
    pi(c|s)     = exp(z_c - m) / sum_b exp(z_b - m)
    d log pi(a|s) / d theta_ic = phi_i (delta_ac - pi(c|s))    for i in 0..d-1, c in 0..A-1

Gaussian policy with mean mu_c = sum_j phi_j W_jc and standard deviation exp(l_c) per action
dimension c:

    log N(a; mu, exp(l)) = sum_c -(a_c - mu_c)^2 exp(-2 l_c) / 2 - l_c - log(2 pi) / 2
    d log N / d W_ic     = phi_i (a_c - mu_c) exp(-2 l_c)         for i in 0..d-1, c in 0..k-1
    d log N / d l_c      = (a_c - mu_c)^2 exp(-2 l_c) - 1         for c in 0..k-1

Each score is one component of the gradient, for an index that runs over its range
(``ranges=``): the derivative of a logit (or of a mean) with respect to one weight is a
derivative of a finite sum term by term, ``d theta[j, b] / d theta[i, c] = delta(j, i)
delta(b, c)``, and the sum of a Kronecker delta over a range that holds its index (the rules
of :mod:`pgsym.rules.indexed`). The chosen action ``a`` of the softmax may be any integer.
The last step of each derivation is what :mod:`pgsym.codegen` prints to NumPy, every index
along an axis of its own.
"""
from __future__ import annotations

import sympy as sp

from pgsym import Derivation

phi = sp.IndexedBase("phi", real=True)
theta = sp.IndexedBase("theta", real=True)
weights = sp.IndexedBase("W", real=True)
log_std = sp.IndexedBase("l", real=True)
action = sp.IndexedBase("a", real=True)
#: the index of a feature (i) and of an action or action dimension (c) in a gradient's
#: component; j and b are summed over
i, j, b, c = sp.symbols("i j b c", integer=True)
#: the numbers of features, of actions (softmax) and of action dimensions (Gaussian)
d, A, k = sp.symbols("d A k", integer=True, positive=True)
#: the sampled action of the softmax policy
a = sp.Symbol("a", integer=True)
#: any real shift of the logits; the compiled code takes their maximum
m = sp.Symbol("m", real=True)
z = sp.Function("z", real=True)
pi = sp.Function("pi", positive=True)
mu = sp.Function("mu", real=True)

FEATURES = (j, 0, d - 1)
ACTIONS = (b, 0, A - 1)
DIMENSIONS = (b, 0, k - 1)
#: the ranges of the indices of a gradient's component
SOFTMAX_RANGES = {i: (0, d - 1), c: (0, A - 1)}
GAUSSIAN_RANGES = {i: (0, d - 1), c: (0, k - 1)}


def _mul(*factors: sp.Expr) -> sp.Expr:
    return sp.Mul(*factors, evaluate=False)


def _minus(expr: sp.Expr) -> sp.Expr:
    return sp.Mul(-1, expr, evaluate=False)


def _over(numerator: sp.Expr, denominator: sp.Expr) -> sp.Expr:
    return _mul(numerator, sp.Pow(denominator, -1, evaluate=False))


def _linear(base: sp.IndexedBase, column: sp.Expr) -> sp.Sum:
    """sum_j phi_j base[j, column]: a logit, or a mean."""
    return sp.Sum(_mul(phi[j], base[j, column]), FEATURES)


def _softmax_definitions() -> dict:
    u = sp.Dummy("u", integer=True)
    return {z: sp.Lambda(u, _linear(theta, u)),
            pi: sp.Lambda(u, sp.exp(z(u)) / sp.Sum(sp.exp(z(b)), ACTIONS))}


def _partition() -> sp.Sum:
    return sp.Sum(sp.exp(z(b)), ACTIONS)


def _shifted_partition() -> sp.Sum:
    return sp.Sum(sp.exp(z(b) - m), ACTIONS)


def softmax_log_prob_template() -> sp.Expr:
    """log pi(a|s) in the stable form the code evaluates."""
    return z(a) - m - sp.log(_shifted_partition())


def softmax_probability_template() -> sp.Expr:
    """pi(c|s) in the stable form the code evaluates."""
    return sp.exp(z(c) - m) / _shifted_partition()


def softmax_score_template() -> sp.Expr:
    """d log pi(a|s) / d theta_ic: the component (i, c) of the softmax score."""
    return _mul(phi[i], sp.KroneckerDelta(a, c) - pi(c))


def _shift_out(at: sp.Expr) -> sp.Expr:
    """exp(z(at)) written as exp(m) exp(z(at) - m)."""
    return _mul(sp.exp(m), sp.exp(z(at) - m))


def softmax_log_prob() -> Derivation:
    """log pi(a|s) = z_a - m - log sum_b exp(z_b - m), for any shift m."""
    d_ = Derivation(
        "softmax log-probability",
        start=sp.log(pi(a)),
        definitions=_softmax_definitions(),
        parameters=(m,),
        equation="gradient library",
        description="The log-probability of a linear softmax policy with d features and A "
                    "actions (both symbolic), shifted so that no exponential overflows; the "
                    "shift m is arbitrary.",
    )
    d_.step(sp.log(sp.exp(z(a)) / _partition()), rule="definition", note="softmax")
    d_.step(z(a) - sp.log(_partition()), rule="log of a quotient",
            note="$\\log e^{z_a} = z_a$")
    d_.step(z(a) - sp.log(sp.Sum(_shift_out(b), ACTIONS)), rule="substitution",
            using={sp.exp(z(b)): _shift_out(b)}, note="$e^{z_b} = e^{m} e^{z_b - m}$")
    d_.step(z(a) - sp.log(_mul(sp.exp(m), _shifted_partition())), rule="linearity of sums")
    d_.step(z(a) + _minus(m + sp.log(_shifted_partition())), rule="log of a product",
            note="$\\log e^m = m$")
    d_.step(softmax_log_prob_template(), rule="algebra", note="open the bracket")
    return d_


def softmax_probability() -> Derivation:
    """pi(c|s) = exp(z_c - m) / sum_b exp(z_b - m), for any shift m."""
    d_ = Derivation(
        "softmax probability",
        start=pi(c),
        definitions=_softmax_definitions(),
        parameters=(m,),
        ranges={c: SOFTMAX_RANGES[c]},
        equation="gradient library",
        description="The probabilities of a linear softmax policy with d features and A "
                    "actions (both symbolic), shifted so that no exponential overflows.",
    )
    d_.step(sp.exp(z(c)) / _partition(), rule="definition", note="softmax")
    d_.step(_over(_shift_out(c), _partition()), rule="substitution",
            using={sp.exp(z(c)): _shift_out(c)}, note="$e^{z_c} = e^{m} e^{z_c - m}$")
    d_.step(_over(_shift_out(c), sp.Sum(_shift_out(b), ACTIONS)), rule="substitution",
            using={sp.exp(z(b)): _shift_out(b)}, note="$e^{z_b} = e^{m} e^{z_b - m}$")
    d_.step(_over(_shift_out(c), _mul(sp.exp(m), _shifted_partition())), rule="linearity of sums")
    d_.step(softmax_probability_template(), rule="algebra", note="cancel $e^m$")
    return d_


def softmax_score() -> Derivation:
    """d log pi(a|s) / d theta_ic = phi_i (delta_ac - pi(c|s)), for i < d and c < A."""
    def derivative(expr: sp.Expr) -> sp.Derivative:
        return sp.Derivative(expr, theta[i, c])

    partition = _partition()

    def score(first: sp.Expr, each: sp.Expr) -> sp.Expr:
        """first - (1/sum_b e^{z_b}) sum_b e^{z_b} each(b)."""
        return first - _mul(1 / partition, sp.Sum(_mul(sp.exp(z(b)), each), ACTIONS))

    d_ = Derivation(
        "softmax score",
        start=derivative(sp.log(pi(a))),
        definitions=_softmax_definitions(),
        ranges=SOFTMAX_RANGES,
        equation="gradient library",
        description="The score of a linear softmax policy, component (i, c), for d features "
                    "and A actions (both symbolic).",
    )
    d_.step(derivative(sp.log(sp.exp(z(a)) / partition)), rule="definition", note="softmax")
    d_.step(derivative(z(a) - sp.log(partition)), rule="log of a quotient",
            note="$\\log e^{z_a} = z_a$")
    d_.step(derivative(z(a)) - derivative(sp.log(partition)), rule="linearity of differentiation")
    d_.step(derivative(z(a)) - _mul(1 / partition, derivative(partition)),
            rule=("chain rule", "derivative of log"))
    d_.step(derivative(z(a)) - _mul(1 / partition, sp.Sum(derivative(sp.exp(z(b))), ACTIONS)),
            rule="derivative of a finite sum")
    d_.step(score(derivative(z(a)), derivative(z(b))), rule="algebra",
            note="$\\partial e^{u} = e^{u} \\partial u$")
    d_.step(score(derivative(_linear(theta, a)), derivative(_linear(theta, b))),
            rule="definition", note="the logits")
    d_.step(score(sp.Sum(_mul(phi[j], derivative(theta[j, a])), FEATURES),
                  sp.Sum(_mul(phi[j], derivative(theta[j, b])), FEATURES)),
            rule="derivative of a finite sum", note="the logits are linear in $\\theta$")
    d_.step(score(sp.Sum(_mul(phi[j], sp.KroneckerDelta(j, i), sp.KroneckerDelta(a, c)), FEATURES),
                  sp.Sum(_mul(phi[j], sp.KroneckerDelta(j, i), sp.KroneckerDelta(b, c)), FEATURES)),
            rule="derivative of an indexed variable")
    d_.step(score(_mul(phi[i], sp.KroneckerDelta(a, c)), _mul(phi[i], sp.KroneckerDelta(b, c))),
            rule="sum of a Kronecker delta", note="$0 \\le i < d$")
    d_.step(_mul(phi[i], sp.KroneckerDelta(a, c)) - _mul(1 / partition, sp.exp(z(c)), phi[i]),
            rule="sum of a Kronecker delta", note="$0 \\le c < A$")
    d_.step(_mul(phi[i], sp.KroneckerDelta(a, c)) - _mul(phi[i], pi(c)), rule="definition",
            note="softmax")
    d_.step(softmax_score_template(), rule="algebra", note="factor out $\\phi_i$")
    return d_


def _gaussian_definitions() -> dict:
    u = sp.Dummy("u", integer=True)
    return {mu: sp.Lambda(u, _linear(weights, u))}


def _gaussian_term(at: sp.Expr) -> sp.Expr:
    """log N(a_at; mu_at, exp(l_at)) as the code evaluates it."""
    return -(action[at] - mu(at))**2 * sp.exp(-2 * log_std[at]) / 2 - log_std[at] \
        - sp.log(2 * sp.pi) / 2


def gaussian_log_prob_template() -> sp.Expr:
    """log N(a; mu, diag(exp(2 l))) as the sum over action dimensions the code evaluates."""
    return sp.Sum(_gaussian_term(c), (c, 0, k - 1))


def gaussian_weights_score_template() -> sp.Expr:
    """d log N / d W_ic: the component (i, c) of the score in the weights."""
    return _mul(phi[i], (action[c] - mu(c)) * sp.exp(-2 * log_std[c]))


def gaussian_log_std_score_template() -> sp.Expr:
    """d log N / d l_c: the component c of the score in the log standard deviations."""
    return (action[c] - mu(c))**2 * sp.exp(-2 * log_std[c]) - 1


def _normal_density(at: sp.Expr) -> sp.Expr:
    """N(a_at; mu_at, exp(l_at)^2) as the textbook writes it (nothing evaluated)."""
    sigma = sp.exp(log_std[at])
    exponent = -(action[at] - mu(at))**2 / (2 * sigma**2)
    root = sp.Pow(_mul(2, sp.pi), sp.S.Half, evaluate=False)
    return _mul(sp.exp(exponent), sp.Pow(_mul(root, sigma), -1, evaluate=False))


def gaussian_log_prob() -> Derivation:
    """log of the product of normal densities = the sum the code evaluates."""
    root = sp.Pow(_mul(2, sp.pi), sp.S.Half, evaluate=False)
    d_ = Derivation(
        "Gaussian log-density",
        start=sp.log(sp.Product(_normal_density(c), (c, 0, k - 1))),
        definitions=_gaussian_definitions(),
        equation="gradient library",
        description="The log-density of a Gaussian policy with k independent action "
                    "dimensions and d features (both symbolic).",
    )
    d_.step(sp.Sum(sp.log(_normal_density(c)), (c, 0, k - 1)), rule="log of a product",
            note="every density is positive")
    exponent = -(action[c] - mu(c))**2 * sp.exp(-2 * log_std[c]) / 2
    d_.step(sp.Sum(exponent + _minus(sp.log(_mul(root, sp.exp(log_std[c])))), (c, 0, k - 1)),
            rule="log of a quotient", note="$\\log e^u = u$")
    d_.step(sp.Sum(exponent + _minus(_mul(sp.S.Half, sp.log(_mul(2, sp.pi))) + log_std[c]),
                   (c, 0, k - 1)), rule="log of a product", note="$\\log \\sqrt{2 \\pi} = \\frac{1}{2} \\log 2 \\pi$")
    d_.step(gaussian_log_prob_template(), rule="algebra", note="open the bracket")
    return d_


def gaussian_weights_score() -> Derivation:
    """d log N / d W_ic = phi_i (a_c - mu_c) exp(-2 l_c), for i < d and c < k."""
    def derivative(expr: sp.Expr) -> sp.Derivative:
        return sp.Derivative(expr, weights[i, c])

    deviation = action[b] - mu(b)
    precision = sp.exp(-2 * log_std[b])

    def summed(term: sp.Expr) -> sp.Sum:
        return sp.Sum(_mul(-precision / 2, term), DIMENSIONS)

    d_ = Derivation(
        "Gaussian score in the weights",
        start=derivative(sp.Sum(_gaussian_term(b), DIMENSIONS)),
        definitions=_gaussian_definitions(),
        ranges=GAUSSIAN_RANGES,
        equation="gradient library",
        description="The score of a Gaussian policy in the weights of its linear mean, "
                    "component (i, c), for d features and k action dimensions (both symbolic).",
    )
    d_.step(sp.Sum(derivative(_gaussian_term(b)), DIMENSIONS), rule="derivative of a finite sum")
    d_.step(summed(derivative(deviation**2)),
            rule=("linearity of differentiation", "derivative of a constant",
                  "linearity of differentiation"),
            note="$l$ does not depend on $W$")
    d_.step(summed(_mul(2, deviation, derivative(deviation))), rule="power rule")
    d_.step(summed(_mul(2, deviation, _minus(derivative(mu(b))))),
            rule=("linearity of differentiation", "derivative of a constant"),
            note="$a$ does not depend on $W$")
    d_.step(summed(_mul(2, deviation, _minus(derivative(_linear(weights, b))))),
            rule="definition", note="the mean")
    d_.step(summed(_mul(2, deviation, _minus(sp.Sum(_mul(phi[j], derivative(weights[j, b])),
                                                    FEATURES)))),
            rule="derivative of a finite sum", note="the mean is linear in $W$")
    d_.step(summed(_mul(2, deviation, _minus(sp.Sum(_mul(phi[j], sp.KroneckerDelta(j, i),
                                                         sp.KroneckerDelta(b, c)), FEATURES)))),
            rule="derivative of an indexed variable")
    d_.step(summed(_mul(2, deviation, _minus(_mul(phi[i], sp.KroneckerDelta(b, c))))),
            rule="sum of a Kronecker delta", note="$0 \\le i < d$")
    d_.step(_mul(-sp.exp(-2 * log_std[c]) / 2, 2, action[c] - mu(c), _minus(phi[i])),
            rule="sum of a Kronecker delta", note="$0 \\le c < k$")
    d_.step(gaussian_weights_score_template(), rule="algebra")
    return d_


def gaussian_log_std_score() -> Derivation:
    """d log N / d l_c = (a_c - mu_c)^2 exp(-2 l_c) - 1, for c < k."""
    def derivative(expr: sp.Expr) -> sp.Derivative:
        return sp.Derivative(expr, log_std[c])

    deviation = action[b] - mu(b)
    precision = sp.exp(-2 * log_std[b])

    def summed(first: sp.Expr, second: sp.Expr) -> sp.Sum:
        return sp.Sum(_mul(-deviation**2 / 2, first) + _minus(second), DIMENSIONS)

    d_ = Derivation(
        "Gaussian score in the log standard deviations",
        start=derivative(sp.Sum(_gaussian_term(b), DIMENSIONS)),
        definitions=_gaussian_definitions(),
        ranges={c: GAUSSIAN_RANGES[c]},
        equation="gradient library",
        description="The score of a Gaussian policy in its log standard deviations, "
                    "component c, for k action dimensions (symbolic).",
    )
    d_.step(sp.Sum(derivative(_gaussian_term(b)), DIMENSIONS), rule="derivative of a finite sum")
    d_.step(summed(derivative(precision), derivative(log_std[b])),
            rule=("linearity of differentiation", "derivative of a constant",
                  "linearity of differentiation"),
            note="$a$ and $\\mu$ do not depend on $l$")
    d_.step(summed(_mul(-2, precision, derivative(log_std[b])), derivative(log_std[b])),
            rule="algebra", note="$\\partial e^{u} = e^{u} \\partial u$")
    d_.step(summed(_mul(-2, precision, sp.KroneckerDelta(b, c)), sp.KroneckerDelta(b, c)),
            rule="derivative of an indexed variable")
    d_.step(_mul(-2, -sp.S.Half, sp.Sum(_mul(deviation**2, precision, sp.KroneckerDelta(b, c)),
                                        DIMENSIONS))
            + _minus(sp.Sum(sp.KroneckerDelta(b, c), DIMENSIONS)), rule="linearity of sums")
    d_.step(_mul(-2, -sp.S.Half, (action[c] - mu(c))**2, sp.exp(-2 * log_std[c]))
            + _minus(sp.S.One), rule="sum of a Kronecker delta", note="$0 \\le c < k$")
    d_.step(gaussian_log_std_score_template(), rule="algebra")
    return d_


def build() -> list[Derivation]:
    return [softmax_log_prob(), softmax_probability(), softmax_score(),
            gaussian_log_prob(), gaussian_weights_score(), gaussian_log_std_score()]
