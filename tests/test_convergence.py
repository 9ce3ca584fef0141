"""pgsym._convergence: an integral or infinite sum is valued only once shown to converge."""
import pytest
import sympy as sp

from pgsym._convergence import NotShownToConverge, _gaussian_tails, converges

x = sp.Symbol("x", real=True)
mu = sp.Symbol("mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
u = (x - mu)**2 / (2 * sigma**2)


@pytest.mark.parametrize("integrand", [
    (1 + x**4) * sp.exp(x - x**2 / sigma),
    (sp.exp(-u) + x**2 * sp.exp(-u))**2 * sp.exp(u),       # a squared score times a density
    sigma * (-sp.exp(-u) / sigma**2 + (x - mu)**2 * sp.exp(-u) / sigma**4)**2 * sp.exp(u),
])
def test_gaussian_tails_are_recognised(integrand):
    assert _gaussian_tails(integrand, x)


@pytest.mark.parametrize("integrand", [
    sp.exp(x),
    (sp.exp(-u) + x**2)**2 * sp.exp(u),                    # x^4 exp(u) grows
    (sp.exp(-u) + x**2 * sp.exp(-u))**2 * sp.exp(3 * u),   # exp(u) x^4 grows
    x**3 * sp.exp(-x**3),                                  # odd degree: grows at -oo
])
def test_what_may_grow_is_not_a_gaussian_tail(integrand):
    assert not _gaussian_tails(integrand, x)


def test_a_divergent_integral_is_not_shown_to_converge():
    with pytest.raises(NotShownToConverge):
        converges(sp.Integral((sp.exp(-u) + x**2)**2 * sp.exp(u), (x, -sp.oo, sp.oo)))
    converges(sp.Integral((sp.exp(-u) + x**2 * sp.exp(-u))**2 * sp.exp(u), (x, -sp.oo, sp.oo)))


# -- several variables: convergence is shown jointly (fifth hostile review) ------------------
y = sp.Symbol("y", real=True)
k, n = sp.symbols("k n", integer=True, positive=True)
y_pos = sp.Symbol("y_pos", positive=True)
_R = (-sp.oo, sp.oo)


@pytest.mark.parametrize("total", [
    # a Gaussian in x for every y and in y for every x; its integral over the plane is oo
    sp.Integral(sp.exp(-(x - y)**2), (x, *_R), (y, *_R)),
    sp.Integral(2 * sp.Integral(sp.exp(-(x - y)**2), (x, *_R)), (y, *_R)),  # not merged by SymPy
    sp.Integral(sp.Integral(sp.exp(-(x - y)**2), (x, *_R)) + sp.exp(-y**2), (y, *_R)),
    sp.Integral(sp.exp(-x**2), (x, *_R), (y, *_R)),                        # constant in y
    sp.Integral(sp.exp(-x**2 - 3 * x * y - y**2), (x, *_R), (y, *_R)),     # indefinite form
    sp.Integral(sp.exp(-x**2 * y**2), (y, *_R), (x, 0, 1)),                # sqrt(pi)/|x| on [0, 1]
    sp.Integral(sp.exp(-y**2), (x, 0, sp.exp(2 * y**2)), (y, *_R)),        # inner = exp(y^2)
    sp.Integral(1, (x, 0, 1 / y_pos), (y_pos, 0, 1)),                       # finite bounds, oo area
    sp.Sum(1 / n**2, (n, 1, sp.oo), (k, 1, sp.oo)),                         # SymPy read one limit
    sp.Sum(1 / n**2, (n, 1, k), (k, 1, sp.oo)),
    sp.Sum(2 * sp.Sum(1 / n**2, (n, 1, k)), (k, 1, sp.oo)),
    sp.Sum(sp.Sum(1 / n**2, (n, 1, k)) + 1 / k**2, (k, 1, sp.oo)),
])
def test_a_divergent_multiple_integral_or_sum_is_not_shown_to_converge(total):
    with pytest.raises(NotShownToConverge):
        converges(total)


@pytest.mark.parametrize("total", [
    sp.Integral(sp.exp(-x**2 - y**2), (x, *_R), (y, *_R)),
    sp.Integral(x**2 * y * sp.exp(-x**2 - x * y - y**2 + 3 * x), (x, *_R), (y, *_R)),
    sp.Integral(sp.exp(-(x - y)**2 / (2 * sigma**2) - y**2), (x, *_R), (y, *_R)),
    sp.Integral(sp.exp(x - x**2) * y**2 * sp.exp(-y**4), (x, *_R), (y, *_R)),  # product form
    sp.Integral(sp.exp(-y**2) / (1 + x), (x, 0, 1), (y, *_R)),
    sp.Integral(sp.exp(-(x - y)**2), (x, *_R), (y, 0, 1)),                   # y over a finite range
    sp.Integral(2 * sp.Integral(sp.exp(-x**2 - y**2), (x, *_R)), (y, *_R)),
    sp.Integral(x * y, (x, 0, y), (y, 0, 1)),                                # bounded triangle
    sp.Integral(1 / (1 + x), (x, 0, 1), (y, 0, 1)),
    sp.Sum(1 / (n**2 * k**2), (n, 1, sp.oo), (k, 1, sp.oo)),
    sp.Sum(1 / (n**2 * k**3) + 1 / k**2, (n, 1, 5), (k, 1, sp.oo)),
])
def test_a_convergent_multiple_integral_or_sum_is_shown_jointly(total):
    converges(total)


def test_a_divergent_double_integral_does_not_cancel():
    from pgsym import Derivation
    ridge = sp.Integral(sp.exp(-(x - y)**2), (x, *_R), (y, *_R))
    d = Derivation("H - H, H divergent", start=sp.Add(ridge, -ridge, evaluate=False))
    d.step(sp.S.Zero, rule="algebra")
    verdict = d.verify().steps[0].verdict
    assert verdict.kind.value == "unknown" and "jointly" in verdict.detail, verdict


def test_a_joint_gaussian_double_integral_step_is_still_proved():
    from pgsym import Derivation
    gaussian = sp.Integral(sp.exp(-x**2 - y**2), (x, *_R), (y, *_R))
    d = Derivation("two forms of a double Gaussian", start=gaussian)
    d.step(sp.Integral(sp.exp(-x**2) * sp.exp(-y**2), (x, *_R), (y, *_R)), rule="algebra")
    cancelled = Derivation("H - H, H a double Gaussian",
                           start=sp.Add(gaussian, -gaussian, evaluate=False))
    cancelled.step(sp.S.Zero, rule="algebra")
    for derivation in (d, cancelled):
        verdict = derivation.verify().steps[0].verdict
        assert verdict.kind.value == "proved", verdict


def test_a_series_dividing_by_a_sine_of_the_index_is_not_shown_to_converge():
    """Hostile review 23: SymPy's is_convergent calls sum 1/(k^2 sin(k)^2) convergent; near
    the convergents p/q of pi, |sin p| < 1/q, and the terms do not even tend to 0."""
    k = sp.Symbol("k", integer=True, positive=True)
    for term in (1 / (k**2 * sp.sin(k)**2), sp.cos(k)**2 / (k**2 * sp.sin(k)**2),
                 1 / (k**2 * sp.cos(k)**2), sp.tan(k) / k**3):
        with pytest.raises(NotShownToConverge):
            converges(sp.Sum(term, (k, 1, sp.oo)))
    converges(sp.Sum(sp.sin(k) / k**2, (k, 1, sp.oo)))  # (a bounded numerator is fine)


def test_the_gaussian_kl_integrand_is_shown_continuous_and_its_steps_proved():
    """New user 30: E_p[log(p/q)] for two Gaussians of one width stayed unknown, "the
    integrand may not be continuous": SymPy's continuity test gives up on any parameter.
    A log of a part shown positive for every real x is continuous now; a false step is
    still refuted, and what may be singular is still not shown continuous."""
    from pgsym import Derivation, Distribution, Expectation, VerdictKind
    from pgsym._convergence import continuous_everywhere

    nu = sp.Symbol("nu", real=True)

    def normal(m):
        return sp.exp(-(x - m)**2 / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma)

    p = Distribution("p", (x, -sp.oo, sp.oo), normal(mu), parameters=(mu, sigma))
    q = Distribution("q", (x, -sp.oo, sp.oo), normal(nu), parameters=(nu, sigma))
    d = Derivation("KL", start=Expectation(sp.log(p(x) / q(x)), p), parameters=(mu,))
    d.step(Expectation(sp.log(p(x)) - sp.log(q(x)), p), rule="log of a quotient")
    d.step(Expectation(((x - nu)**2 - (x - mu)**2) / (2 * sigma**2), p), rule="algebra")
    assert [s.verdict.kind for s in d.verify(time_limit=20).steps] == [VerdictKind.PROVED] * 2
    wrong = Derivation("KL", start=Expectation(sp.log(p(x) / q(x)), p), parameters=(mu,))
    wrong.step(Expectation(((x - nu)**2 - (x - mu)**2) / sigma**2, p), rule="algebra")
    assert wrong.verify(time_limit=20).steps[0].verdict.kind is VerdictKind.REFUTED
    n = sp.Symbol("n", integer=True)
    for singular in (sp.log((x - mu)**2), 1 / (x - mu), sp.sqrt(x - mu), sp.log(1 + x),
                     (x**2 + 1)**(sp.I * x), sp.log(sp.exp(x) - sp.exp(mu)), x**n,
                     sp.log(sp.Function("f")(x)**2 + 1)):
        assert not continuous_everywhere(singular * normal(mu), x), singular
    positive_x = sp.Symbol("x", positive=True)  # (the interval decides, not x's own sign)
    assert not continuous_everywhere(sp.log(positive_x), positive_x)
    assert continuous_everywhere(sp.log(1 + x**2) / (2 + x**2) + (1 + x**2)**x, x)
