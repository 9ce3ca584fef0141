"""The gradient library of :mod:`pgsym.gradients` for JAX: the same functions, taking and
returning JAX arrays, batched and ``jax.jit``-compatible, on whatever device the inputs are.

The arithmetic is :mod:`pgsym.gradients._kernels_jax`, which ``pgsym build`` prints from the
same verified expressions as the NumPy kernels (the same derivations and sha256), with
SymPy's JAX printer. What is written by hand here is what :mod:`pgsym.gradients` writes by
hand: the input checks, the logits ``features @ theta`` and the one-hot actions.

Checks. Shapes and dtypes are checked as NumPy's are, with the same messages (they are
known while tracing, so the checks cost nothing under ``jax.jit``). Values are not: that
would need them on the host. Finiteness, and a ``log_std`` so negative that the standard
deviation underflows, are checked by the NumPy functions only; an action (or state) out of
range makes that sample's results NaN instead of raising.

Dtypes: float32 or float64 (integers become JAX's default float); float32 when every
floating input is float32. JAX computes in float32 unless ``jax_enable_x64`` is set
(``jax.config.update("jax_enable_x64", True)``), float64 inputs included.

>>> import jax.numpy as jnp
>>> theta = jnp.zeros((2, 3)); features = jnp.ones((4, 2)); actions = jnp.array([0, 1, 2, 0])
>>> [round(float(x), 4) for x in softmax_log_prob(theta, features, actions)]
[-1.0986, -1.0986, -1.0986, -1.0986]
>>> softmax_score(theta, features, actions).shape
(4, 2, 3)

Importing this module without JAX installed raises an ImportError: ``pip install
"pgsym[jax]"``.
"""
from __future__ import annotations

try:
    import jax.numpy as jnp
except ImportError as error:
    raise ImportError('pgsym.gradients.jax needs JAX, which is not installed: '
                      'pip install "pgsym[jax]"') from error

from pgsym.gradients import _kernels_jax as _kernels

__all__ = [
    "softmax_log_prob", "softmax_score", "softmax_probabilities", "tabular_softmax_score",
    "tabular_softmax_log_prob", "softmax_reinforce_gradient", "gaussian_log_prob",
    "gaussian_score", "reinforce_gradient",
]


# -- input checks (shapes and dtypes: known while tracing) --------------------------------
def _floats(name: str, value, ndim: int) -> jnp.ndarray:
    """``value`` as a float32/float64 array of ``ndim`` dimensions."""
    array = jnp.asarray(value)
    if jnp.issubdtype(array.dtype, jnp.integer) or array.dtype == jnp.bool_:
        array = array.astype(jnp.result_type(float))
    if array.dtype not in (jnp.float32, jnp.float64):
        raise ValueError(f"{name} must hold float32 or float64 numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    return array


def _indices(name: str, value, count: int, what: str) -> jnp.ndarray:
    """Integer labels, one per sample (their range is not checked: see the module's doc)."""
    array = jnp.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must have shape (N,), got shape {array.shape}")
    if not jnp.issubdtype(array.dtype, jnp.integer):
        if array.size == 0 and jnp.issubdtype(array.dtype, jnp.floating):
            array = array.astype(jnp.int32)
        else:
            raise ValueError(f"{name} must hold integers (the {what}), got dtype {array.dtype}")
    if array.shape[0] != count:
        raise ValueError(f"{name} must have shape ({count},) to match the other inputs, "
                         f"got {array.shape}")
    return array


def _same_width(name: str, array, axis: int, expected: int, other: str) -> None:
    if array.shape[axis] != expected:
        raise ValueError(f"{name} has {array.shape[axis]} along axis {axis} but {other} has "
                         f"{expected}: shape {array.shape}")


def _valid(labels: jnp.ndarray, upper: int) -> jnp.ndarray:
    """True where a label lies in [0, upper), (N,)."""
    return (labels >= 0) & (labels < upper)


# -- softmax ------------------------------------------------------------------------------
def _softmax_inputs(theta, features, actions):
    theta = _floats("theta", theta, 2)
    features = _floats("features", features, 2)
    _same_width("features", features, 1, theta.shape[0], "theta (d, A)")
    if theta.shape[1] < 1:
        raise ValueError(f"theta must have at least one action column, got shape {theta.shape}")
    actions = _indices("actions", actions, features.shape[0], "action")
    dtype = jnp.result_type(theta, features)
    return theta.astype(dtype), features.astype(dtype), actions


# The kernels take the action (or action-dimension) axis first and the samples last, as the
# NumPy ones do.
def _shift(logits: jnp.ndarray) -> jnp.ndarray:
    """The largest logit of each sample, (1, N): subtracting it keeps exp from overflowing."""
    return jnp.max(logits, axis=0, keepdims=True)


def _logits(theta: jnp.ndarray, features: jnp.ndarray) -> jnp.ndarray:
    """z[b, n] = sum_j phi_j(s_n) theta[j, b], shape (A, N)."""
    return theta.T @ features.T


def _log_prob_from_logits(logits: jnp.ndarray, actions: jnp.ndarray) -> jnp.ndarray:
    valid = _valid(actions, logits.shape[0])
    chosen = jnp.take_along_axis(logits, jnp.where(valid, actions, 0)[None, :], axis=0)
    log_prob = _kernels.softmax_log_prob(chosen, _shift(logits), logits)[0]
    return jnp.where(valid, log_prob, jnp.nan)


def _probabilities(logits: jnp.ndarray) -> jnp.ndarray:
    return _kernels.softmax_probabilities(logits, _shift(logits))


def _cofactor(logits: jnp.ndarray, actions: jnp.ndarray, valid=True) -> jnp.ndarray:
    """d log pi(a|s) / d z for every action: one-hot of the action minus pi(.|s), (A, N);
    NaN for a sample whose action (or ``valid``) is out of range."""
    onehot = (actions[None, :] == jnp.arange(logits.shape[0])[:, None]).astype(logits.dtype)
    cofactor = _kernels.softmax_score_cofactor(onehot, _probabilities(logits))
    return jnp.where(valid & _valid(actions, logits.shape[0]), cofactor, jnp.nan)


def softmax_probabilities(theta, features) -> jnp.ndarray:
    """pi(.|s) of the linear softmax policy, shape (N, A).

    >>> softmax_probabilities(jnp.zeros((1, 2)), jnp.ones((1, 1))).tolist()
    [[0.5, 0.5]]
    """
    theta = _floats("theta", theta, 2)
    features = _floats("features", features, 2)
    _same_width("features", features, 1, theta.shape[0], "theta (d, A)")
    dtype = jnp.result_type(theta, features)
    return _probabilities(_logits(theta.astype(dtype), features.astype(dtype))).T


def softmax_log_prob(theta, features, actions) -> jnp.ndarray:
    """log pi(a|s) for pi(a|s) proportional to exp(phi(s)^T theta_a).

    ``theta`` (d, A), ``features`` (N, d), ``actions`` (N,) integers in [0, A) -> (N,); NaN
    where an action is out of range (not checked: see the module's doc).
    """
    theta, features, actions = _softmax_inputs(theta, features, actions)
    return _log_prob_from_logits(_logits(theta, features), actions)


def softmax_score(theta, features, actions) -> jnp.ndarray:
    """grad_theta log pi(a|s) for every sample, shape (N, d, A).

    Component (n, i, c) is phi_i(s_n) (1[a_n = c] - pi(c|s_n)).

    >>> softmax_score(jnp.zeros((1, 2)), jnp.ones((1, 1)), jnp.array([0])).tolist()
    [[[0.5, -0.5]]]
    """
    theta, features, actions = _softmax_inputs(theta, features, actions)
    return _kernels.softmax_score(features.T, _cofactor(_logits(theta, features), actions))


def softmax_reinforce_gradient(theta, features, actions, returns, baseline=None):
    """The REINFORCE estimate mean_n (R_n - b) grad log pi(a_n|s_n) and its standard error,
    each (d, A), without forming the (N, d, A) scores. ``baseline`` as in
    :func:`reinforce_gradient` (under ``jax.jit``, pass ``"mean"`` as a static argument).

    >>> estimate, stderr = softmax_reinforce_gradient(
    ...     jnp.zeros((1, 2)), jnp.ones((2, 1)), jnp.array([0, 1]), jnp.array([1.0, 0.0]))
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
        return estimate, jnp.full_like(estimate, jnp.inf)
    second_moment = (jnp.square(weighted) @ jnp.square(features)).T / n
    variance = jnp.maximum(second_moment - jnp.square(estimate), 0) * (n / (n - 1))
    return estimate, jnp.sqrt(variance / n)


def _tabular_inputs(theta, states, actions):
    theta = _floats("theta", theta, 2)
    states = _indices("states", states, jnp.shape(states)[0] if jnp.ndim(states) == 1 else 0,
                      "state")
    actions = _indices("actions", actions, states.shape[0], "action")
    return theta, states, actions


def _tabular_cofactor(theta, states, actions) -> jnp.ndarray:
    valid = _valid(states, theta.shape[0])
    return _cofactor(theta[jnp.where(valid, states, 0)].T, actions, valid)


def tabular_softmax_log_prob(theta, states, actions) -> jnp.ndarray:
    """log pi(a|s) of the tabular softmax policy (one-hot features), theta (S, A) -> (N,);
    NaN where a state or action is out of range."""
    theta, states, actions = _tabular_inputs(theta, states, actions)
    valid = _valid(states, theta.shape[0])
    log_prob = _log_prob_from_logits(theta[jnp.where(valid, states, 0)].T, actions)
    return jnp.where(valid, log_prob, jnp.nan)


def tabular_softmax_score(theta, states, actions) -> jnp.ndarray:
    """grad_theta log pi(a|s) of the tabular softmax policy, shape (N, S, A): the score
    kernel with one-hot features (row s_n of each score is the only non-zero one).

    >>> score = tabular_softmax_score(jnp.zeros((2, 2)), jnp.array([1]), jnp.array([0]))
    >>> score.shape, score[0, 1].tolist(), bool((score[0, 0] == 0).all())
    ((1, 2, 2), [0.5, -0.5], True)
    """
    theta, states, actions = _tabular_inputs(theta, states, actions)
    onehot = (states[None, :] == jnp.arange(theta.shape[0])[:, None]).astype(theta.dtype)
    return _kernels.softmax_score(onehot, _tabular_cofactor(theta, states, actions))


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
    dtype = jnp.result_type(weights, log_std, features, actions)
    return tuple(x.astype(dtype) for x in (weights, log_std, features, actions))


def gaussian_log_prob(weights, log_std, features, actions) -> jnp.ndarray:
    """log N(a; features @ weights, diag(exp(2 log_std))), shape (N,).

    ``weights`` (d, k), ``log_std`` (k,), ``features`` (N, d), ``actions`` (N, k).
    """
    weights, log_std, features, actions = _gaussian_inputs(weights, log_std, features, actions)
    return _kernels.gaussian_log_prob(actions.T, weights.T @ features.T, log_std[:, None])[0]


def gaussian_score(weights, log_std, features, actions):
    """(grad_weights log N (N, d, k), grad_log_std log N (N, k)).

    >>> dw, dl = gaussian_score(jnp.zeros((1, 1)), jnp.zeros(1), jnp.ones((1, 1)), jnp.ones((1, 1)))
    >>> dw.tolist(), dl.tolist()
    ([[[1.0]]], [[0.0]])
    """
    weights, log_std, features, actions = _gaussian_inputs(weights, log_std, features, actions)
    cofactor, log_std_score = _kernels.gaussian_score_cofactors(
        actions.T, weights.T @ features.T, log_std[:, None])
    return _kernels.gaussian_weights_score(features.T, cofactor), log_std_score.T


# -- REINFORCE ----------------------------------------------------------------------------
def _advantages(returns, baseline, n: int, dtype) -> jnp.ndarray:
    returns = _floats("returns", returns, 1)
    if returns.shape[0] != n:
        raise ValueError(f"returns must have shape ({n},) to match the scores, got {returns.shape}")
    if baseline is None:
        return returns.astype(dtype)
    if isinstance(baseline, str):
        if baseline != "mean":
            raise ValueError(f"baseline must be None, 'mean', a number or an array of shape "
                             f"({n},), got {baseline!r}")
        return (returns - returns.mean()).astype(dtype) if n else returns
    values = _floats("baseline", baseline, jnp.ndim(baseline))
    if values.shape not in ((), (n,)):
        raise ValueError(f"baseline must be a number or have shape ({n},), got {values.shape}")
    return (returns - values).astype(dtype)


def reinforce_gradient(scores, returns, baseline=None):
    """The score-function (REINFORCE) estimate of grad E[R] and its standard error.

    ``scores`` (N, ...) holds grad log pi of each sample, ``returns`` (N,); ``baseline`` is
    None, a number, an array (N,), or ``'mean'`` for the batch mean of the returns (biased
    by O(1/N); under ``jax.jit`` a static argument). As :func:`pgsym.gradients.reinforce_gradient`.

    >>> estimate, stderr = reinforce_gradient(jnp.array([[1.0], [-1.0]]), jnp.array([2.0, 0.0]))
    >>> estimate.tolist(), stderr.tolist()
    ([1.0], [1.0])
    """
    scores = _floats("scores", scores, max(1, jnp.ndim(scores)))
    n = scores.shape[0]
    if n == 0:
        raise ValueError("scores must hold at least one sample to estimate a gradient, got 0")
    weights = _advantages(returns, baseline, n, scores.dtype)
    terms = scores * weights.reshape((n,) + (1,) * (scores.ndim - 1))
    estimate = terms.mean(axis=0)
    if n == 1:
        return estimate, jnp.full_like(estimate, jnp.inf)
    return estimate, terms.std(axis=0, ddof=1) / jnp.sqrt(n)
