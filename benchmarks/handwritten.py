"""Hand-written NumPy versions of the gradient library: the benchmark's baseline and the
tests' oracle. Nothing in ``pgsym`` uses them; they are written directly from the textbook
formulas, without input checks, to measure against and to compare with."""
from __future__ import annotations

import numpy as np


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def softmax_log_prob(theta, features, actions):
    log_pi = _log_softmax(features @ theta)
    return log_pi[np.arange(len(actions)), actions]


def softmax_score(theta, features, actions):
    pi = np.exp(_log_softmax(features @ theta))
    pi = -pi
    pi[np.arange(len(actions)), actions] += 1
    return features[:, :, None] * pi[:, None, :]


def softmax_probabilities(theta, features):
    return np.exp(_log_softmax(features @ theta))


def tabular_softmax_log_prob(theta, states, actions):
    return _log_softmax(theta[states])[np.arange(len(actions)), actions]


def tabular_softmax_score(theta, states, actions):
    pi = -np.exp(_log_softmax(theta[states]))
    pi[np.arange(len(actions)), actions] += 1
    score = np.zeros((len(states),) + theta.shape)
    score[np.arange(len(states)), states] = pi
    return score


def softmax_reinforce_gradient(theta, features, actions, returns):
    """The estimate and its standard error, both (d, A), without per-sample scores."""
    pi = np.exp(_log_softmax(features @ theta))
    pi = -pi
    pi[np.arange(len(actions)), actions] += 1
    weighted = pi * returns[:, None]
    n = len(returns)
    estimate = features.T @ weighted / n
    second = (features**2).T @ weighted**2 / n
    return estimate, np.sqrt(np.maximum(second - estimate**2, 0) / (n - 1))


def gaussian_log_prob(weights, log_std, features, actions):
    z = (actions - features @ weights) / np.exp(log_std)
    return (-0.5 * z**2 - log_std - 0.5 * np.log(2 * np.pi)).sum(axis=1)


def gaussian_score(weights, log_std, features, actions):
    deviation = actions - features @ weights
    inverse_variance = np.exp(-2 * log_std)
    weights_score = features[:, :, None] * (deviation * inverse_variance)[:, None, :]
    return weights_score, deviation**2 * inverse_variance - 1


def reinforce_gradient(scores, returns):
    """The estimate and its standard error."""
    terms = scores * returns.reshape((-1,) + (1,) * (scores.ndim - 1))
    return terms.mean(axis=0), terms.std(axis=0, ddof=1) / np.sqrt(len(returns))
