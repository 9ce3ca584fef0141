"""The Gaussian score-function estimator (footnote 4): wrong scores are refuted, and each
counterexample is confirmed by numerical quadrature, which shares nothing with SymPy's
symbolic integration. (The generic mutation test leaves integrals out: its symbolic oracle
takes minutes per step on them.)"""
import mpmath
import pytest
import sympy as sp

from derivations import gaussian_estimator as g
from pgsym import Derivation, VerdictKind

WRONG_SCORES = {
    g.mu: [(g.x - g.mu) / g.sigma, -(g.x - g.mu) / g.sigma**2, (g.x - g.mu) ** 2 / g.sigma**2],
    g.sigma: [(g.x - g.mu) ** 2 / g.sigma**3, (g.x - g.mu) ** 2 / g.sigma**2 - 1 / g.sigma,
              (g.x - g.mu) / g.sigma**2],
}
# one wrong score per function and parameter, each of the three used (every case costs about a
# minute of CPU: the sides are Gaussian integrals in closed form, cross-checked by quadrature)
PAIRS = [(function, wrt) for function in g.FUNCTIONS for wrt in (g.mu, g.sigma)]
CASES = [(function, wrt, i % 3) for i, (function, wrt) in enumerate(PAIRS)]


def _quadrature(integrand: sp.Expr, point: dict) -> mpmath.mpf:
    f = sp.lambdify(g.x, integrand.xreplace(point), modules="mpmath")
    mpmath.mp.dps = 30
    return mpmath.quad(f, [-mpmath.inf, point[g.mu], mpmath.inf])


@pytest.mark.parametrize("function,wrt,k", CASES, ids=[f"{f}-d{w}-{k}" for f, w, k in CASES])
def test_a_wrong_score_is_refuted_and_the_counterexample_holds_by_quadrature(function, wrt, k):
    right = g.estimator(function, wrt)
    wrong_score = WRONG_SCORES[wrt][k]
    f = g.FUNCTIONS[function]
    density = g.DENSITY(g.x, g.mu, g.sigma)
    mutated = Derivation(right.name, right.start, right.definitions, right.parameters)
    for step in right.steps[:4]:
        mutated.step(step.expr, rule=step.rule, note=step.note)
    mutated.step(sp.Integral(sp.Mul(g.p(g.x, g.mu, g.sigma), wrong_score, f, evaluate=False),
                             (g.x, -sp.oo, sp.oo)), rule="algebra")
    report = mutated.verify(only={5})
    [step] = report.steps
    assert step.verdict.kind is VerdictKind.REFUTED and not report.ok
    point = dict(step.verdict.counterexample.point)
    for symbol in (*g.coefficients, g.a):  # symbols the values do not depend on (c0) are absent
        point.setdefault(symbol, sp.Rational(1, 2))
    right_value = _quadrature(density * g.SCORES[wrt] * f, point)
    wrong_value = _quadrature(density * wrong_score * f, point)
    assert abs(right_value - wrong_value) > 1e-12 * max(1, abs(right_value))
    assert abs(right_value - float(step.verdict.counterexample.before)) < 1e-8 * max(1, abs(right_value))


@pytest.mark.parametrize("function", list(g.FUNCTIONS))
def test_the_estimators_hold_by_quadrature_at_random_points(function):
    """Independently of the derivation: d/dmu and d/dsigma of E[f] by central differences of
    quadratures equal E[f * score] by quadrature."""
    point = {g.mu: sp.Rational(3, 10), g.sigma: sp.Rational(7, 5), g.a: sp.Rational(1, 2),
             **{c: sp.Rational(k + 1, 3) * (-1) ** k for k, c in enumerate(g.coefficients)}}
    f = g.FUNCTIONS[function]
    density = g.DENSITY(g.x, g.mu, g.sigma)
    h = sp.Rational(1, 10**6)
    for wrt in (g.mu, g.sigma):
        shifted = [{**point, wrt: point[wrt] + s} for s in (h, -h)]
        numeric = (_quadrature(density * f, shifted[0]) - _quadrature(density * f, shifted[1])) / (2 * h)
        assert abs(numeric - _quadrature(density * g.SCORES[wrt] * f, point)) < 1e-6


@pytest.mark.parametrize("name", ["mu", "sigma"])
def test_a_wrong_gaussian_fisher_information_is_refuted_and_confirmed_by_quadrature(name):
    from derivations import fisher_information as fi

    [right] = [d for d in fi.build() if d.name == f"Fisher information, Gaussian, {name}"]
    for factor in (-1, 2):  # the sign of the curvature dropped, or a factor 2 too many
        mutated = Derivation(right.name, right.start, right.definitions, right.parameters)
        mutated.step(right.steps[0].expr, rule=right.steps[0].rule)
        mutated.step(factor * right.steps[1].expr, rule="algebra")
        report = mutated.verify(only={2})
        [step] = report.steps
        assert step.verdict.kind is VerdictKind.REFUTED
        point = {g.mu: sp.Integer(0), **{k: v for k, v in step.verdict.counterexample.point}}
        point = {g.mu: point.get(fi.mu, point[g.mu]), g.sigma: point[fi.sigma]}
        density = g.DENSITY(g.x, g.mu, g.sigma)
        log_density = sp.log(density)
        score = sp.diff(log_density, {"mu": g.mu, "sigma": g.sigma}[name])
        curvature = sp.diff(log_density, {"mu": g.mu, "sigma": g.sigma}[name], 2)
        right_value = _quadrature(density * score**2, point)
        assert abs(right_value + _quadrature(density * curvature, point)) < 1e-20
        mutated_value = -factor * _quadrature(density * curvature, point)
        assert abs(right_value - mutated_value) > 1e-6
        assert abs(mutated_value - float(step.verdict.counterexample.after)) < 1e-8 * max(1, abs(mutated_value))


def test_quadrature_finds_a_narrow_gaussian_far_from_zero():
    """The mean of N(-4516.5, 2.2^2): one tanh-sinh quadrature over the real line samples
    densely near 0 only and returned about 1e-196919 for it (a new user's E[x] = mu was
    refuted there); the Gaussian factor's peak is now a breakpoint."""
    from pgsym.sampling import numeric_value
    x = sp.Symbol("x", real=True)
    m, s = sp.Rational(-45165, 10), sp.Rational(22, 10)
    density = sp.exp(-(x - m)**2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    for body, exact in ((x * density, m), (x**2 * density, m**2 + s**2), (density, 1)):
        value = numeric_value(sp.Integral(body, (x, -sp.oo, sp.oo)), 20)
        assert abs(value - exact) < 1e-12 * max(1, abs(exact)), (body, value)
    # a half line, and an interval reversed, cut at the peak too
    half = numeric_value(sp.Integral(density, (x, -sp.oo, m)), 20)
    assert abs(half - sp.Rational(1, 2)) < 1e-12
    reversed_ = numeric_value(sp.Integral(density, (x, sp.oo, -sp.oo)), 20)
    assert abs(reversed_ + 1) < 1e-12
    # exp of a quartic peaks where its derivative vanishes (a triple root here)
    quartic = numeric_value(sp.Integral(sp.exp(-(x - m)**4), (x, -sp.oo, sp.oo)), 20)
    assert abs(quartic - 2 * sp.gamma(sp.Rational(5, 4))) < 1e-12
    # two Gaussian factors peak together, at 0, far between their own peaks (at -+10^4)
    together = sp.Mul(sp.exp(2 * 10**8), sp.exp(-(x + 10**4)**2), sp.exp(-(x - 10**4)**2),
                      evaluate=False)
    product = numeric_value(sp.Integral(together, (x, -sp.oo, sp.oo)), 20)
    assert abs(product - sp.sqrt(sp.pi / 2)) < 1e-12


def test_moments_of_a_gaussian_distribution_are_proved_and_a_wrong_one_refuted():
    """E[x] = mu, E[x^2] = mu^2 + sigma^2 over a declared Gaussian: proved, wherever the
    sampler puts mu (it ranges to 1e4); E[x^3] with a wrong coefficient: refuted."""
    from pgsym import Distribution, Expectation
    x = sp.Symbol("x", real=True)
    mu, sigma = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    p = Distribution("p", (x, -sp.oo, sp.oo),
                     sp.exp(-(x - mu)**2 / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2),
                     parameters=(mu, sigma), positive=True)
    E = lambda body: Expectation(body, (x, -sp.oo, sp.oo), p(x, mu, sigma))
    for body, value in ((x, mu), (x**2, mu**2 + sigma**2)):
        report = Derivation(f"E[{body}]", start=E(body)).step(value, rule="algebra").verify()
        assert report.ok, report
    wrong = Derivation("E[x^3], wrong", start=E(x**3)).step(mu**3 + 2 * mu * sigma**2,
                                                            rule="algebra").verify()
    assert wrong.steps[0].verdict.kind is VerdictKind.REFUTED
