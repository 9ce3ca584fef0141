"""Finite MDPs with a tabular softmax policy: exact objective, values, visitation, gradient.

Everything is exact up to floating point: values come from linear solves, not from
simulation, so these functions are the reference that Monte Carlo estimators and the
policy gradient theorem are checked against.

>>> import numpy as np
>>> P = np.array([[[1.0], [1.0]]]).reshape(1, 2, 1)       # one state, two actions
>>> mdp = FiniteMDP(P, R=np.array([[1.0, 0.0]]), gamma=0.0, initial=np.array([1.0]))
>>> float(mdp.objective(np.zeros((1, 2))))                  # uniform policy: mean reward
0.5
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def softmax_policy(theta: np.ndarray) -> np.ndarray:
    """Returns pi[s, a] = exp(theta[s, a]) / sum_b exp(theta[s, b]) (complex theta allowed)."""
    shifted = theta - theta.real.max(axis=1, keepdims=True)
    weights = np.exp(shifted)
    return weights / weights.sum(axis=1, keepdims=True)


@dataclass(frozen=True, eq=False)
class FiniteMDP:
    """A finite MDP: ``P[s, a, s']`` transition probabilities, ``R[s, a]`` expected rewards,
    discount ``gamma`` in [0, 1) and ``initial`` state distribution.

    The policy is tabular softmax with parameters ``theta[s, a]``; the objective is the
    start value J(theta) = sum_s initial[s] V(s), the notes' J_1 with a random start.
    """

    P: np.ndarray
    R: np.ndarray
    gamma: float
    initial: np.ndarray

    def __post_init__(self) -> None:
        P, R, initial = (np.asarray(a, dtype=float) for a in (self.P, self.R, self.initial))
        _require(P.ndim == 3 and P.shape[0] == P.shape[2] and P.shape[0] > 0 and P.shape[1] > 0,
                 f"P must have shape (S, A, S) with S, A >= 1, got {np.shape(self.P)}")
        S, A = P.shape[:2]
        _require(R.shape == (S, A), f"R must have shape (S, A) = ({S}, {A}), got {R.shape}")
        _require(initial.shape == (S,), f"initial must have shape (S,) = ({S},), got {initial.shape}")
        for name, array in (("P", P), ("R", R), ("initial", initial)):
            _require(bool(np.all(np.isfinite(array))), f"{name} contains NaN or infinite values")
        _require(bool(np.all(P >= 0)) and np.allclose(P.sum(axis=2), 1.0),
                 "P[s, a, :] must be a probability distribution for every s, a")
        _require(bool(np.all(initial >= 0)) and np.isclose(initial.sum(), 1.0),
                 "initial must be a probability distribution")
        _require(0.0 <= float(self.gamma) < 1.0, f"gamma must be in [0, 1), got {self.gamma}")
        object.__setattr__(self, "P", P)
        object.__setattr__(self, "R", R)
        object.__setattr__(self, "initial", initial)
        object.__setattr__(self, "gamma", float(self.gamma))

    @property
    def n_states(self) -> int:
        return self.P.shape[0]

    @property
    def n_actions(self) -> int:
        return self.P.shape[1]

    def _policy(self, theta: np.ndarray) -> np.ndarray:
        theta = np.asarray(theta)
        _require(theta.shape == (self.n_states, self.n_actions),
                 f"theta must have shape (S, A) = ({self.n_states}, {self.n_actions}), "
                 f"got {theta.shape}")
        _require(bool(np.all(np.isfinite(theta))), "theta contains NaN or infinite values")
        return softmax_policy(theta)

    def _system(self, pi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Returns (I - gamma P_pi, r_pi)."""
        P_pi = np.einsum("sa,sat->st", pi, self.P)
        r_pi = np.einsum("sa,sa->s", pi, self.R)
        return np.eye(self.n_states) - self.gamma * P_pi, r_pi

    def values(self, theta: np.ndarray) -> np.ndarray:
        """Returns V[s], the discounted value of each state under the policy."""
        matrix, r_pi = self._system(self._policy(theta))
        return np.linalg.solve(matrix, r_pi)

    def objective(self, theta: np.ndarray) -> np.ndarray:
        """Returns J(theta) = sum_s initial[s] V(s) (complex theta gives a complex J)."""
        return self.initial @ self.values(theta)

    def q_values(self, theta: np.ndarray) -> np.ndarray:
        """Returns Q[s, a] = R[s, a] + gamma sum_s' P[s, a, s'] V(s')."""
        return self.R + self.gamma * self.P @ self.values(theta)

    def visitation(self, theta: np.ndarray) -> np.ndarray:
        """Returns the discounted visitation d[s] = sum_t gamma^t Pr(s_t = s) (sums to 1/(1-gamma))."""
        matrix, _ = self._system(self._policy(theta))
        return np.linalg.solve(matrix.T, self.initial)

    def stationary(self, theta: np.ndarray) -> np.ndarray:
        """Returns the stationary distribution d of the policy's state chain: d P_pi = d,
        sum d = 1 (unique when the chain is irreducible, as with positive transitions)."""
        pi = self._policy(theta)
        P_pi = np.einsum("sa,sat->st", pi, self.P)
        system = np.vstack([P_pi.T - np.eye(self.n_states), np.ones((1, self.n_states))])
        target = np.zeros(self.n_states + 1)
        target[-1] = 1.0
        return np.linalg.lstsq(system, target, rcond=None)[0]

    def average_value(self, theta: np.ndarray) -> float:
        """J_avV = sum_s d(s) V(s), d the stationary distribution (section 2 of the notes)."""
        return float(self.stationary(theta) @ self.values(theta))

    def average_reward(self, theta: np.ndarray) -> float:
        """J_avR = sum_s d(s) sum_a pi(s, a) R(s, a), the average reward per step."""
        pi = self._policy(theta)
        return float(self.stationary(theta) @ np.einsum("sa,sa->s", pi, self.R))

    def policy_gradient(self, theta: np.ndarray) -> np.ndarray:
        """Returns dJ/dtheta[s, a] by the policy gradient theorem, exactly.

        sum_s d(s) sum_b pi(b|s) d log pi(b|s)/d theta[s, a] Q(s, b)
        = d(s) pi(a|s) (Q(s, a) - V(s)) for the tabular softmax policy.
        """
        pi = self._policy(theta)
        q = self.q_values(theta)
        v = np.einsum("sa,sa->s", pi, q)
        return self.visitation(theta)[:, None] * pi * (q - v[:, None])

    def sample_episodes(self, theta: np.ndarray, n: int, horizon: int,
                        rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Samples ``n`` episodes of ``horizon`` steps; returns states, actions (n, horizon)
        and discounted returns-to-go G_t = sum_{k >= t} gamma^(k-t) r_k, shape (n, horizon).

        Rewards are the expected rewards R[s, a]; the return from t = 0 is an unbiased
        estimate of J up to the truncation gamma^horizon.
        """
        pi = self._policy(theta)
        _require(n >= 0 and horizon >= 1, f"need n >= 0 and horizon >= 1, got {n}, {horizon}")
        states = np.empty((n, horizon), dtype=np.int64)
        actions = np.empty((n, horizon), dtype=np.int64)
        rewards = np.empty((n, horizon))
        state = _sample_rows(np.broadcast_to(self.initial, (n, self.n_states)), rng)
        for t in range(horizon):
            action = _sample_rows(pi[state], rng)
            states[:, t], actions[:, t] = state, action
            rewards[:, t] = self.R[state, action]
            state = _sample_rows(self.P[state, action], rng)
        returns = np.empty_like(rewards)
        running = np.zeros(n)
        for t in range(horizon - 1, -1, -1):
            running = rewards[:, t] + self.gamma * running
            returns[:, t] = running
        return states, actions, returns


def _sample_rows(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Samples one index per row of a (n, k) matrix of probabilities."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random((probabilities.shape[0], 1)) * cumulative[:, -1:]
    return np.minimum((draws > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def random_mdp(n_states: int, n_actions: int, gamma: float, rng: np.random.Generator) -> FiniteMDP:
    """Returns an MDP with Dirichlet transitions, standard normal rewards and initial state."""
    P = rng.dirichlet(np.ones(n_states), size=(n_states, n_actions))
    R = rng.standard_normal((n_states, n_actions))
    initial = rng.dirichlet(np.ones(n_states))
    return FiniteMDP(P, R, gamma, initial)
