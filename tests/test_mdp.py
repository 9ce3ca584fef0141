import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgsym.mdp import FiniteMDP, random_mdp, softmax_policy


def complex_step_gradient(mdp: FiniteMDP, theta: np.ndarray) -> np.ndarray:
    """dJ/dtheta by the complex-step method: exact to rounding, and shares no code with the
    policy gradient theorem (it differentiates the linear solve itself)."""
    step = 1e-30
    gradient = np.empty_like(theta)
    for index in np.ndindex(theta.shape):
        shifted = theta.astype(complex)
        shifted[index] += 1j * step
        gradient[index] = mdp.objective(shifted).imag / step
    return gradient


mdps = st.builds(
    lambda s, a, gamma, seed: (random_mdp(s, a, gamma, np.random.default_rng(seed)),
                               np.random.default_rng(seed + 1).normal(scale=2.0, size=(s, a))),
    st.integers(1, 50), st.integers(1, 10), st.floats(0.0, 0.99), st.integers(0, 2**32 - 1))


@settings(max_examples=30)
@given(mdps)
def test_policy_gradient_theorem_matches_the_exact_derivative_of_J(case):
    mdp, theta = case
    exact = complex_step_gradient(mdp, theta)
    theorem = mdp.policy_gradient(theta)
    scale = max(np.abs(exact).max(), 1e-300)
    assert np.abs(theorem - exact).max() / scale < 1e-9


@settings(max_examples=20)
@given(mdps)
def test_policy_gradient_agrees_with_central_finite_differences(case):
    mdp, theta = case
    h = 1e-5
    numeric = np.empty_like(theta)
    for index in np.ndindex(theta.shape):
        up, down = theta.copy(), theta.copy()
        up[index] += h
        down[index] -= h
        numeric[index] = (mdp.objective(up) - mdp.objective(down)) / (2 * h)
    scale = max(np.abs(numeric).max(), 1e-12)
    assert np.abs(mdp.policy_gradient(theta) - numeric).max() / scale < 1e-6


@settings(max_examples=20)
@given(mdps)
def test_values_satisfy_the_bellman_equation_and_visitation_sums_to_the_horizon(case):
    mdp, theta = case
    pi = softmax_policy(theta)
    v, q = mdp.values(theta), mdp.q_values(theta)
    np.testing.assert_allclose((pi * q).sum(axis=1), v, rtol=1e-9, atol=1e-9)
    assert mdp.visitation(theta).sum() == pytest.approx(1 / (1 - mdp.gamma), rel=1e-9)
    assert mdp.objective(theta) == pytest.approx(mdp.initial @ v)


def test_monte_carlo_returns_estimate_the_objective():
    rng = np.random.default_rng(0)
    mdp = random_mdp(4, 3, 0.8, rng)
    theta = rng.normal(size=(4, 3))
    _, _, returns = mdp.sample_episodes(theta, 20000, 80, rng)
    estimate, error = returns[:, 0].mean(), returns[:, 0].std() / np.sqrt(20000)
    assert abs(estimate - mdp.objective(theta)) < 5 * error


@pytest.mark.parametrize("kwargs,message", [
    (dict(P=np.ones((2, 2, 3)) / 3), r"P must have shape \(S, A, S\)"),
    (dict(R=np.zeros((2, 3))), r"R must have shape \(S, A\) = \(2, 2\), got \(2, 3\)"),
    (dict(gamma=1.0), r"gamma must be in \[0, 1\)"),
    (dict(initial=np.array([0.5, 0.6])), "initial must be a probability distribution"),
    (dict(P=np.full((2, 2, 2), 0.7)), r"P\[s, a, :\] must be a probability distribution"),
    (dict(R=np.array([[0.0, np.nan], [0.0, 0.0]])), "R contains NaN"),
])
def test_bad_mdps_are_rejected_with_the_argument_named(kwargs, message):
    arguments = dict(P=np.full((2, 2, 2), 0.5), R=np.zeros((2, 2)), gamma=0.9,
                     initial=np.array([0.5, 0.5]))
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        FiniteMDP(**arguments)


def test_a_theta_of_the_wrong_shape_is_rejected():
    mdp = random_mdp(3, 2, 0.5, np.random.default_rng(1))
    with pytest.raises(ValueError, match=r"theta must have shape \(S, A\) = \(3, 2\), got \(2, 3\)"):
        mdp.policy_gradient(np.zeros((2, 3)))


@settings(deadline=None, max_examples=30)
@given(st.integers(0, 2**32 - 1), st.integers(1, 12), st.integers(1, 5), st.floats(0.0, 0.99))
def test_the_average_value_is_the_average_reward_over_one_minus_gamma(seed, states, actions, gamma):
    """Section 2: (1 - gamma) J_avV = J_avR, with d the stationary distribution."""
    rng = np.random.default_rng(seed)
    mdp = random_mdp(states, actions, gamma, rng)
    theta = rng.normal(size=(states, actions))
    d = mdp.stationary(theta)
    P_pi = np.einsum("sa,sat->st", softmax_policy(theta), mdp.P)
    assert np.allclose(d @ P_pi, d, atol=1e-10) and np.isclose(d.sum(), 1) and np.all(d > -1e-12)
    assert np.isclose((1 - gamma) * mdp.average_value(theta), mdp.average_reward(theta),
                      rtol=1e-9, atol=1e-9)
