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
