"""The gradient library of :mod:`pgsym.gradients` for PyTorch: the same functions, taking and
returning tensors, batched, on the device the inputs are on.

The arithmetic is :mod:`pgsym.gradients._kernels_torch`, which ``pgsym build`` prints from
the same verified expressions as the NumPy kernels (the same derivations and sha256), with
SymPy's PyTorch printer. What is written by hand here is what :mod:`pgsym.gradients` writes
by hand: the input checks, the logits ``features @ theta`` and the one-hot actions. No loop
runs over the samples and nothing waits for the device (no ``.item()``, no check of
values), so the functions can be traced and compiled.

Checks. Shapes and dtypes are checked as NumPy's are, with the same messages. Values are
not: that would need them on the host. Finiteness, and a ``log_std`` so negative that the
standard deviation underflows, are checked by the NumPy functions only; an action (or
state) out of range makes that sample's results NaN instead of raising.

Dtypes: float32 or float64 (integers become float64, as in NumPy; what is not a tensor is
converted as NumPy converts it, so Python floats are float64); float32 when every floating
input is float32. Results with an (N, d, A) or (N, k) layout may be non-contiguous views.

>>> import torch
>>> theta = torch.zeros(2, 3); features = torch.ones(4, 2); actions = torch.tensor([0, 1, 2, 0])
>>> [round(float(x), 4) for x in softmax_log_prob(theta, features, actions)]
[-1.0986, -1.0986, -1.0986, -1.0986]
>>> tuple(softmax_score(theta, features, actions).shape)
(4, 2, 3)

Importing this module without PyTorch installed raises an ImportError: ``pip install
"pgsym[torch]"``.
"""
from __future__ import annotations

import math

import numpy as np

try:
    import torch
except ImportError as error:
    raise ImportError('pgsym.gradients.torch needs PyTorch, which is not installed: '
                      'pip install "pgsym[torch]"') from error

from pgsym.gradients import _kernels_torch as _kernels

__all__ = [
    "softmax_log_prob", "softmax_score", "softmax_probabilities", "tabular_softmax_score",
    "tabular_softmax_log_prob", "softmax_reinforce_gradient", "gaussian_log_prob",
    "gaussian_score", "reinforce_gradient",
]


# -- input checks (shapes and dtypes only: no device sync) --------------------------------
def _tensor(value) -> torch.Tensor:
    return value if isinstance(value, torch.Tensor) else torch.as_tensor(np.asarray(value))


def _dtype(dtype: torch.dtype) -> str:
    """The dtype as NumPy's messages name it (``float64``, not ``torch.float64``)."""
    return str(dtype).removeprefix("torch.")


def _is_integer(dtype: torch.dtype) -> bool:
    return not (dtype.is_floating_point or dtype.is_complex or dtype == torch.bool)


def _floats(name: str, value, ndim: int) -> torch.Tensor:
    """``value`` as a float32/float64 tensor of ``ndim`` dimensions."""
    array = _tensor(value)
    if _is_integer(array.dtype) or array.dtype == torch.bool:
        array = array.to(torch.float64)
    if array.dtype not in (torch.float32, torch.float64):
        raise ValueError(f"{name} must hold float32 or float64 numbers, got dtype {_dtype(array.dtype)}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {tuple(array.shape)}")
    return array


def _indices(name: str, value, count: int, what: str) -> torch.Tensor:
    """Integer labels, one per sample, as int64 (their range is not checked: see the
    module's doc)."""
    array = _tensor(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got shape {tuple(array.shape)}")
    if not _is_integer(array.dtype) and not (array.numel() == 0 and array.dtype.is_floating_point):
        raise ValueError(f"{name} must hold integers (the {what}), got dtype {_dtype(array.dtype)}")
    if array.shape[0] != count:
        raise ValueError(f"{name} must have shape ({count},) to match the other inputs, "
                         f"got {tuple(array.shape)}")
    return array.to(torch.int64)


def _same_width(name: str, array: torch.Tensor, axis: int, expected: int, other: str) -> None:
    if array.shape[axis] != expected:
        raise ValueError(f"{name} has {array.shape[axis]} along axis {axis} but {other} has "
                         f"{expected}: shape {tuple(array.shape)}")


def _result_type(*arrays: torch.Tensor) -> torch.dtype:
    dtype = arrays[0].dtype
    for array in arrays[1:]:
        dtype = torch.promote_types(dtype, array.dtype)
    return dtype


def _valid(labels: torch.Tensor, upper: int) -> torch.Tensor:
    """True where a label lies in [0, upper), (N,)."""
    return (labels >= 0) & (labels < upper)


def _onehot(labels: torch.Tensor, count: int, dtype: torch.dtype) -> torch.Tensor:
    """1 where c is the sample's label, else 0, shape (count, N)."""
    return (labels[None, :] == torch.arange(count, device=labels.device)[:, None]).to(dtype)


# -- softmax ------------------------------------------------------------------------------
def _softmax_inputs(theta, features, actions):
    theta = _floats("theta", theta, 2)
    features = _floats("features", features, 2)
    _same_width("features", features, 1, theta.shape[0], "theta (d, A)")
    if theta.shape[1] < 1:
        raise ValueError(f"theta must have at least one action column, got shape "
                         f"{tuple(theta.shape)}")
    actions = _indices("actions", actions, features.shape[0], "action")
    dtype = _result_type(theta, features)
    return theta.to(dtype), features.to(dtype), actions


# The kernels take the action (or action-dimension) axis first and the samples last, as the
# NumPy ones do.
def _shift(logits: torch.Tensor) -> torch.Tensor:
    """The largest logit of each sample, (1, N): subtracting it keeps exp from overflowing."""
    return torch.amax(logits, dim=0, keepdim=True)


def _logits(theta: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """z[b, n] = sum_j phi_j(s_n) theta[j, b], shape (A, N)."""
    return theta.T @ features.T


def _log_prob_from_logits(logits: torch.Tensor, actions: torch.Tensor) -> torch.Tensor:
    valid = _valid(actions, logits.shape[0])
    chosen = torch.gather(logits, 0, torch.where(valid, actions, 0)[None, :])
    log_prob = _kernels.softmax_log_prob(chosen, _shift(logits), logits)[0]
    return torch.where(valid, log_prob, torch.nan)


def _probabilities(logits: torch.Tensor) -> torch.Tensor:
    return _kernels.softmax_probabilities(logits, _shift(logits))


def _cofactor(logits: torch.Tensor, actions: torch.Tensor, valid=True) -> torch.Tensor:
    """d log pi(a|s) / d z for every action: one-hot of the action minus pi(.|s), (A, N);
    NaN for a sample whose action (or ``valid``) is out of range."""
    onehot = _onehot(actions, logits.shape[0], logits.dtype)
    cofactor = _kernels.softmax_score_cofactor(onehot, _probabilities(logits))
    return torch.where(_valid(actions, logits.shape[0]) & valid, cofactor, torch.nan)


def softmax_probabilities(theta, features) -> torch.Tensor:
    """pi(.|s) of the linear softmax policy, shape (N, A).

    >>> softmax_probabilities(torch.zeros(1, 2), torch.ones(1, 1)).tolist()
    [[0.5, 0.5]]
    """
    theta = _floats("theta", theta, 2)
    features = _floats("features", features, 2)
    _same_width("features", features, 1, theta.shape[0], "theta (d, A)")
    dtype = _result_type(theta, features)
    return _probabilities(_logits(theta.to(dtype), features.to(dtype))).T


def softmax_log_prob(theta, features, actions) -> torch.Tensor:
    """log pi(a|s) for pi(a|s) proportional to exp(phi(s)^T theta_a).

    ``theta`` (d, A), ``features`` (N, d), ``actions`` (N,) integers in [0, A) -> (N,); NaN
    where an action is out of range (not checked: see the module's doc).
    """
    theta, features, actions = _softmax_inputs(theta, features, actions)
    return _log_prob_from_logits(_logits(theta, features), actions)


def softmax_score(theta, features, actions) -> torch.Tensor:
    """grad_theta log pi(a|s) for every sample, shape (N, d, A).

    Component (n, i, c) is phi_i(s_n) (1[a_n = c] - pi(c|s_n)).

    >>> softmax_score(torch.zeros(1, 2), torch.ones(1, 1), torch.tensor([0])).tolist()
    [[[0.5, -0.5]]]
    """
    theta, features, actions = _softmax_inputs(theta, features, actions)
    return _kernels.softmax_score(features.T, _cofactor(_logits(theta, features), actions))


def softmax_reinforce_gradient(theta, features, actions, returns, baseline=None):
    """The REINFORCE estimate mean_n (R_n - b) grad log pi(a_n|s_n) and its standard error,
    each (d, A), without forming the (N, d, A) scores. ``baseline`` as in
    :func:`reinforce_gradient`.

    >>> estimate, stderr = softmax_reinforce_gradient(
    ...     torch.zeros(1, 2), torch.ones(2, 1), torch.tensor([0, 1]), torch.tensor([1.0, 0.0]))
    >>> estimate.tolist()
    [[0.25, -0.25]]
    """
    theta, features, actions = _softmax_inputs(theta, features, actions)
    weights = _advantages(returns, baseline, features.shape[0], features.dtype)
    n = features.shape[0]
    if n == 0:
        raise ValueError("returns must hold at least one sample to estimate a gradient, got 0")
    features = features.to(weights.dtype)
    weighted = _cofactor(_logits(theta.to(weights.dtype), features), actions) * weights
    estimate = (weighted @ features).T / n
    if n == 1:
        return estimate, torch.full_like(estimate, math.inf)
    second_moment = (torch.square(weighted) @ torch.square(features)).T / n
    variance = torch.clamp(second_moment - torch.square(estimate), min=0) * (n / (n - 1))
    return estimate, torch.sqrt(variance / n)


def _tabular_inputs(theta, states, actions):
    theta = _floats("theta", theta, 2)
    states = _tensor(states)
    states = _indices("states", states, states.shape[0] if states.ndim == 1 else 0, "state")
    actions = _indices("actions", actions, states.shape[0], "action")
    return theta, states, actions


def _tabular_cofactor(theta, states, actions) -> torch.Tensor:
    valid = _valid(states, theta.shape[0])
    return _cofactor(theta[torch.where(valid, states, 0)].T, actions, valid)


def tabular_softmax_log_prob(theta, states, actions) -> torch.Tensor:
    """log pi(a|s) of the tabular softmax policy (one-hot features), theta (S, A) -> (N,);
    NaN where a state or action is out of range."""
    theta, states, actions = _tabular_inputs(theta, states, actions)
    valid = _valid(states, theta.shape[0])
    log_prob = _log_prob_from_logits(theta[torch.where(valid, states, 0)].T, actions)
    return torch.where(valid, log_prob, torch.nan)


def tabular_softmax_score(theta, states, actions) -> torch.Tensor:
    """grad_theta log pi(a|s) of the tabular softmax policy, shape (N, S, A): the score
    kernel with one-hot features (row s_n of each score is the only non-zero one).

    >>> score = tabular_softmax_score(torch.zeros(2, 2), torch.tensor([1]), torch.tensor([0]))
    >>> tuple(score.shape), score[0, 1].tolist(), bool((score[0, 0] == 0).all())
    ((1, 2, 2), [0.5, -0.5], True)
    """
    theta, states, actions = _tabular_inputs(theta, states, actions)
    onehot = _onehot(states, theta.shape[0], theta.dtype)
    return _kernels.softmax_score(onehot, _tabular_cofactor(theta, states, actions))


# -- Gaussian -----------------------------------------------------------------------------
def _gaussian_inputs(weights, log_std, features, actions):
    weights = _floats("weights", weights, 2)
    log_std = _floats("log_std", log_std, 1)
    features = _floats("features", features, 2)
    actions = _floats("actions", actions, 2)
    _same_width("features", features, 1, weights.shape[0], "weights (d, k)")
    _same_width("log_std", log_std, 0, weights.shape[1], "weights (d, k)")
    if tuple(actions.shape) != (features.shape[0], weights.shape[1]):
        raise ValueError(f"actions must have shape (N, k) = {(features.shape[0], weights.shape[1])}, "
                         f"got {tuple(actions.shape)}")
    dtype = _result_type(weights, log_std, features, actions)
    return tuple(x.to(dtype) for x in (weights, log_std, features, actions))


def gaussian_log_prob(weights, log_std, features, actions) -> torch.Tensor:
    """log N(a; features @ weights, diag(exp(2 log_std))), shape (N,).

    ``weights`` (d, k), ``log_std`` (k,), ``features`` (N, d), ``actions`` (N, k).
    """
    weights, log_std, features, actions = _gaussian_inputs(weights, log_std, features, actions)
    return _kernels.gaussian_log_prob(actions.T, weights.T @ features.T, log_std[:, None])[0]


def gaussian_score(weights, log_std, features, actions):
    """(grad_weights log N (N, d, k), grad_log_std log N (N, k)).

    >>> dw, dl = gaussian_score(torch.zeros(1, 1), torch.zeros(1), torch.ones(1, 1), torch.ones(1, 1))
    >>> dw.tolist(), dl.tolist()
    ([[[1.0]]], [[0.0]])
    """
    weights, log_std, features, actions = _gaussian_inputs(weights, log_std, features, actions)
    cofactor, log_std_score = _kernels.gaussian_score_cofactors(
        actions.T, weights.T @ features.T, log_std[:, None])
    return _kernels.gaussian_weights_score(features.T, cofactor), log_std_score.T


# -- REINFORCE ----------------------------------------------------------------------------
def _advantages(returns, baseline, n: int, dtype: torch.dtype) -> torch.Tensor:
    """R - b in ``dtype``, or in float64 where the returns or the baseline array are float64
    (float64 unless every floating input is float32, as in pgsym.gradients: float64 returns
    of 1e40 were cast to float32's inf)."""
    returns = _tensor(returns)
    if returns.dtype.is_floating_point:
        dtype = torch.promote_types(dtype, returns.dtype)
    returns = _floats("returns", returns, 1)
    if returns.shape[0] != n:
        raise ValueError(f"returns must have shape ({n},) to match the scores, got "
                         f"{tuple(returns.shape)}")
    if baseline is None:
        return returns.to(dtype)
    if isinstance(baseline, str):
        if baseline != "mean":
            raise ValueError(f"baseline must be None, 'mean', a number or an array of shape "
                             f"({n},), got {baseline!r}")
        return (returns - returns.mean()).to(dtype) if n else returns
    if isinstance(baseline, (int, float)):  # kept a Python number: no copy to the device
        return (returns - float(baseline)).to(dtype)
    values = _tensor(baseline)
    if values.dtype.is_floating_point:
        dtype = torch.promote_types(dtype, values.dtype)
    values = _floats("baseline", values, values.ndim)
    if tuple(values.shape) not in ((), (n,)):
        raise ValueError(f"baseline must be a number or have shape ({n},), got "
                         f"{tuple(values.shape)}")
    return (returns - values.to(returns.device)).to(dtype)


def reinforce_gradient(scores, returns, baseline=None):
    """The score-function (REINFORCE) estimate of grad E[R] and its standard error.

    ``scores`` (N, ...) holds grad log pi of each sample, ``returns`` (N,); ``baseline`` is
    None, a number, an array (N,), or ``'mean'`` for the batch mean of the returns (biased
    by O(1/N)). As :func:`pgsym.gradients.reinforce_gradient`.

    >>> estimate, stderr = reinforce_gradient(torch.tensor([[1.0], [-1.0]]), torch.tensor([2.0, 0.0]))
    >>> estimate.tolist(), stderr.tolist()
    ([1.0], [1.0])
    """
    scores = _tensor(scores)
    scores = _floats("scores", scores, max(1, scores.ndim))
    n = scores.shape[0]
    if n == 0:
        raise ValueError("scores must hold at least one sample to estimate a gradient, got 0")
    weights = _advantages(returns, baseline, n, scores.dtype)
    terms = scores.to(weights.dtype) * weights.reshape((n,) + (1,) * (scores.ndim - 1))
    estimate = terms.mean(dim=0)
    if n == 1:
        return estimate, torch.full_like(estimate, math.inf)
    return estimate, terms.std(dim=0, correction=1) / math.sqrt(n)
