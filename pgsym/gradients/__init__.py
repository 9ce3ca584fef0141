"""Score functions of verified derivations as vectorised NumPy functions.

The arithmetic lives in :mod:`pgsym.gradients._kernels`, which ``pgsym build`` prints from
the last steps of the derivations in ``derivations/policy_scores.py`` after proving them;
this module checks its inputs, does the linear algebra around the kernels (logits
``features @ theta``, the one-hot actions) and never imports SymPy. The scores are the
features times a cofactor, both kernels printed from the same derivation.

Shapes: ``N`` samples, ``d`` features, ``A`` actions, ``k`` action dimensions. Arrays are
float64 unless every floating input is float32, in which case results are float32 too.

>>> import numpy as np
>>> theta = np.zeros((2, 3)); features = np.ones((4, 2)); actions = np.array([0, 1, 2, 0])
>>> softmax_log_prob(theta, features, actions).round(4).tolist()
[-1.0986, -1.0986, -1.0986, -1.0986]
>>> softmax_score(theta, features, actions).shape
(4, 2, 3)
"""
from __future__ import annotations

from typing import Union

import numpy as np

from pgsym.gradients import _kernels

__all__ = [
    "softmax_log_prob", "softmax_score", "softmax_probabilities", "tabular_softmax_score",
    "tabular_softmax_log_prob", "softmax_reinforce_gradient", "gaussian_log_prob",
    "gaussian_score", "reinforce_gradient",
]

Baseline = Union[None, str, float, np.ndarray]


# -- input checks -------------------------------------------------------------------------
def _floats(name: str, value, ndim: int) -> np.ndarray:
    """``value`` as a float32/float64 array of ``ndim`` dimensions with finite entries."""
    array = np.asarray(value)
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    if array.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must hold float32 or float64 numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    _require_finite(name, array)
    return array


def _require_finite(name: str, array: np.ndarray) -> None:
    # one pass for the common case: a finite sum means no NaN and no infinity
    if array.size and not np.isfinite(array.sum(dtype=np.float64)):
        bad = ~np.isfinite(array)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} must be finite, got {array[where]} at index {where}")


def _indices(name: str, value, count: int, upper: int, what: str) -> np.ndarray:
    """Integer labels in [0, upper), one per sample."""
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got shape {array.shape}")
    if array.dtype.kind not in "iu":
        if array.size == 0 and array.dtype.kind == "f":
            array = array.astype(np.int64)
        else:
            raise ValueError(f"{name} must hold integers (the {what}), got dtype {array.dtype}")
    if array.shape[0] != count:
        raise ValueError(f"{name} must have shape ({count},) to match the other inputs, "
                         f"got {array.shape}")
    if array.size and (array.min() < 0 or array.max() >= upper):
        bad = array[(array < 0) | (array >= upper)][0]
        raise ValueError(f"{name} must lie in [0, {upper}) ({upper} {what}s), got {bad}")
    return array


def _result_type(*arrays: np.ndarray) -> np.dtype:
    return np.result_type(*(a.dtype for a in arrays))


def _same_width(name: str, array: np.ndarray, axis: int, expected: int, other: str) -> None:
    if array.shape[axis] != expected:
        raise ValueError(f"{name} has {array.shape[axis]} along axis {axis} but {other} has "
                         f"{expected}: shape {array.shape}")


# -- softmax ------------------------------------------------------------------------------
def _softmax_inputs(theta, features, actions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta = _floats("theta", theta, 2)
    features = _floats("features", features, 2)
    _same_width("features", features, 1, theta.shape[0], "theta (d, A)")
    if theta.shape[1] < 1:
        raise ValueError(f"theta must have at least one action column, got shape {theta.shape}")
    actions = _indices("actions", actions, features.shape[0], theta.shape[1], "action")
    dtype = _result_type(theta, features)
    return theta.astype(dtype, copy=False), features.astype(dtype, copy=False), actions


# The kernels take the action (or action-dimension) axis first and the samples last: their
# sums over a handful of actions then run along contiguous rows.
def _shift(logits: np.ndarray) -> np.ndarray:
    """The largest logit of each sample, (1, N): subtracting it keeps exp from overflowing."""
    if logits.shape[1] == 0:
        return logits[:1]
    return logits.max(axis=0, keepdims=True)


def _logits(theta: np.ndarray, features: np.ndarray) -> np.ndarray:
    """z[b, n] = sum_j phi_j(s_n) theta[j, b], shape (A, N)."""
    return theta.T @ features.T


def _log_prob_from_logits(logits: np.ndarray, actions: np.ndarray) -> np.ndarray:
    chosen = logits[actions, np.arange(len(actions))][None, :]
    return _kernels.softmax_log_prob(chosen, _shift(logits), logits)[0]


def _probabilities(logits: np.ndarray) -> np.ndarray:
    return _kernels.softmax_probabilities(logits, _shift(logits))


def _onehot(logits: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """1 where c is the sample's action, else 0: KroneckerDelta(a, c), shape (A, N)."""
    onehot = np.zeros_like(logits)
    onehot[actions, np.arange(len(actions))] = 1
    return onehot


def _cofactor(logits: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """d log pi(a|s) / d z for every action: one-hot of the action minus pi(.|s), (A, N)."""
    return _kernels.softmax_score_cofactor(_onehot(logits, actions), _probabilities(logits))


def softmax_probabilities(theta, features) -> np.ndarray:
    """pi(.|s) of the linear softmax policy, shape (N, A).

    >>> softmax_probabilities(np.zeros((1, 2)), np.ones((1, 1))).tolist()
    [[0.5, 0.5]]
    """
    theta = _floats("theta", theta, 2)
    features = _floats("features", features, 2)
    _same_width("features", features, 1, theta.shape[0], "theta (d, A)")
    dtype = _result_type(theta, features)
    logits = _logits(theta.astype(dtype, copy=False), features.astype(dtype, copy=False))
    return np.ascontiguousarray(_probabilities(logits).T)


def softmax_log_prob(theta, features, actions) -> np.ndarray:
    """log pi(a|s) for pi(a|s) proportional to exp(phi(s)^T theta_a).

    ``theta`` (d, A), ``features`` (N, d), ``actions`` (N,) integers in [0, A) -> (N,).

    >>> softmax_log_prob(np.zeros((1, 4)), np.ones((1, 1)), [3]).round(4).tolist()
    [-1.3863]
    """
    theta, features, actions = _softmax_inputs(theta, features, actions)
    return _log_prob_from_logits(_logits(theta, features), actions)


def softmax_score(theta, features, actions) -> np.ndarray:
    """grad_theta log pi(a|s) for every sample, shape (N, d, A).

    Component (n, i, c) is phi_i(s_n) (1[a_n = c] - pi(c|s_n)).

    >>> softmax_score(np.zeros((1, 2)), np.ones((1, 1)), [0]).tolist()
    [[[0.5, -0.5]]]
    """
    theta, features, actions = _softmax_inputs(theta, features, actions)
    return _kernels.softmax_score(features.T, _cofactor(_logits(theta, features), actions))


def softmax_reinforce_gradient(theta, features, actions, returns,
                               baseline: Baseline = None) -> tuple[np.ndarray, np.ndarray]:
    """The REINFORCE estimate mean_n (R_n - b) grad log pi(a_n|s_n) and its standard error,
    each (d, A), without forming the (N, d, A) scores: both are products of the (N, d)
    features with (N, A) arrays.

    >>> estimate, stderr = softmax_reinforce_gradient(
    ...     np.zeros((1, 2)), np.ones((2, 1)), [0, 1], [1.0, 0.0])
    >>> estimate.tolist()
    [[0.25, -0.25]]
    """
    theta, features, actions = _softmax_inputs(theta, features, actions)
    weights = _advantages(returns, baseline, features.shape[0], features.dtype)
    n = features.shape[0]
    if n == 0:
        raise ValueError("returns must hold at least one sample to estimate a gradient, got 0")
    weighted = _cofactor(_logits(theta, features), actions) * weights
    estimate = (weighted @ features).T / n
    if n == 1:
        return estimate, np.full_like(estimate, np.inf)
    second_moment = (np.square(weighted) @ np.square(features)).T / n
    variance = np.maximum(second_moment - np.square(estimate), 0) * (n / (n - 1))
    return estimate, np.sqrt(variance / n)


def _tabular_inputs(theta, states, actions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta = _floats("theta", theta, 2)
    count = np.shape(states)[0] if np.ndim(states) == 1 else 0
    states = _indices("states", states, count, theta.shape[0], "state")
    actions = _indices("actions", actions, states.shape[0], theta.shape[1], "action")
    return theta, states, actions


def tabular_softmax_log_prob(theta, states, actions) -> np.ndarray:
    """log pi(a|s) of the tabular softmax policy (one-hot features), theta (S, A) -> (N,)."""
    theta, states, actions = _tabular_inputs(theta, states, actions)
    return _log_prob_from_logits(theta[states].T, actions)


def tabular_softmax_score(theta, states, actions) -> np.ndarray:
    """grad_theta log pi(a|s) of the tabular softmax policy, shape (N, S, A).

    The features are one-hot, so row s_n of each score is the only non-zero one; no (N, S)
    feature matrix is formed.

    >>> tabular_softmax_score(np.zeros((2, 2)), [1], [0]).tolist()
    [[[0.0, 0.0], [0.5, -0.5]]]
    """
    theta, states, actions = _tabular_inputs(theta, states, actions)
    score = np.zeros((states.shape[0],) + theta.shape, dtype=theta.dtype)
    score[np.arange(states.shape[0]), states] = _cofactor(theta[states].T, actions).T
    return score


# -- Gaussian -----------------------------------------------------------------------------
def _gaussian_inputs(weights, log_std, features, actions):
    weights = _floats("weights", weights, 2)
    log_std = _floats("log_std", log_std, 1)
    features = _floats("features", features, 2)
    actions = _floats("actions", actions, 2)
    _same_width("features", features, 1, weights.shape[0], "weights (d, k)")
    _same_width("log_std", log_std, 0, weights.shape[1], "weights (d, k)")
    if actions.shape != (features.shape[0], weights.shape[1]):
        raise ValueError(f"actions must have shape (N, k) = {(features.shape[0], weights.shape[1])}, "
                         f"got {actions.shape}")
    if np.any(np.exp(log_std) == 0):
        raise ValueError(f"log_std is so negative that the standard deviation underflows to 0: "
                         f"{log_std.min()}")
    dtype = _result_type(weights, log_std, features, actions)
    return tuple(x.astype(dtype, copy=False) for x in (weights, log_std, features, actions))


def gaussian_log_prob(weights, log_std, features, actions) -> np.ndarray:
    """log N(a; features @ weights, diag(exp(2 log_std))), shape (N,).

    ``weights`` (d, k), ``log_std`` (k,), ``features`` (N, d), ``actions`` (N, k).

    >>> gaussian_log_prob(np.zeros((1, 1)), np.zeros(1), np.ones((1, 1)), np.zeros((1, 1))).round(4)
    array([-0.9189])
    """
    weights, log_std, features, actions = _gaussian_inputs(weights, log_std, features, actions)
    mean = weights.T @ features.T
    return _kernels.gaussian_log_prob(actions.T, mean, log_std[:, None])[0]


def gaussian_score(weights, log_std, features, actions) -> tuple[np.ndarray, np.ndarray]:
    """(grad_weights log N (N, d, k), grad_log_std log N (N, k)).

    >>> dw, dl = gaussian_score(np.zeros((1, 1)), np.zeros(1), np.ones((1, 1)), np.ones((1, 1)))
    >>> dw.tolist(), dl.tolist()
    ([[[1.0]]], [[0.0]])
    """
    weights, log_std, features, actions = _gaussian_inputs(weights, log_std, features, actions)
    cofactor, log_std_score = _kernels.gaussian_score_cofactors(
        actions.T, weights.T @ features.T, log_std[:, None])
    return (_kernels.gaussian_weights_score(features.T, cofactor),
            np.ascontiguousarray(log_std_score.T))


# -- REINFORCE ----------------------------------------------------------------------------
def _advantages(returns, baseline: Baseline, n: int, dtype: np.dtype) -> np.ndarray:
    returns = _floats("returns", returns, 1)
    if returns.shape[0] != n:
        raise ValueError(f"returns must have shape ({n},) to match the scores, got {returns.shape}")
    if baseline is None:
        return returns.astype(dtype, copy=False)
    if isinstance(baseline, str):
        if baseline != "mean":
            raise ValueError(f"baseline must be None, 'mean', a number or an array of shape "
                             f"({n},), got {baseline!r}")
        return (returns - returns.mean()).astype(dtype, copy=False) if n else returns
    values = _floats("baseline", baseline, np.ndim(baseline))
    if values.shape not in ((), (n,)):
        raise ValueError(f"baseline must be a number or have shape ({n},), got {values.shape}")
    return (returns - values).astype(dtype, copy=False)


def reinforce_gradient(scores, returns, baseline: Baseline = None) -> tuple[np.ndarray, np.ndarray]:
    """The score-function (REINFORCE) estimate of grad E[R] and its standard error.

    ``scores`` (N, ...) holds grad log pi of each sample (any shape after the first axis),
    ``returns`` (N,). The estimate is mean_n (R_n - b_n) scores[n] (eq. (7) with f = R - b);
    the standard error is the sample standard deviation over sqrt(N). ``baseline`` is None,
    a number, an array (N,), or ``'mean'`` for the batch mean of the returns (which makes
    the estimate slightly biased, by O(1/N)).

    >>> estimate, stderr = reinforce_gradient(np.array([[1.0], [-1.0]]), np.array([2.0, 0.0]))
    >>> estimate.tolist(), stderr.tolist()
    ([1.0], [1.0])
    """
    scores = _floats("scores", scores, max(1, np.ndim(scores)))
    n = scores.shape[0]
    if n == 0:
        raise ValueError("scores must hold at least one sample to estimate a gradient, got 0")
    weights = _advantages(returns, baseline, n, scores.dtype)
    terms = scores * weights.reshape((n,) + (1,) * (scores.ndim - 1))
    estimate = terms.mean(axis=0)
    if n == 1:
        return estimate, np.full_like(estimate, np.inf)
    return estimate, terms.std(axis=0, ddof=1) / np.sqrt(n)
