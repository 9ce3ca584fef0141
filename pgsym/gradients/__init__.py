"""Score functions of verified derivations as vectorised NumPy functions.

The arithmetic lives in :mod:`pgsym.gradients._kernels`, which ``pgsym build`` prints from
the last steps of the derivations in ``derivations/policy_scores.py`` after proving them;
this module checks its inputs, does the linear algebra around the kernels (logits
``features @ theta``, the one-hot actions) and never imports SymPy. The scores are the
features times a cofactor, both kernels printed from the same derivation. Where numba is
installed, the same expressions printed for Numba (:mod:`pgsym.gradients._kernels_numba`,
compiled loops that write each result element once, into ``out=`` too) run instead of the
NumPy kernels of ``softmax_score``, ``gaussian_log_prob`` and ``gaussian_score``, and
``reinforce_gradient`` sums in compiled loops; the results are the same (float64 results to
1e-12 relative, some bit for bit; float32 results to float32's rounding only, a few units in
the last place, as the two paths round their float32 intermediates differently), and so are
the checks and their errors.

Shapes: ``N`` samples, ``d`` features, ``A`` actions, ``k`` action dimensions. Arrays are
float64 unless every floating input is float32, in which case results are float32 too (a
baseline given as a Python number takes the other inputs' dtype). Non-native byte order is
accepted (converted to native). Where every input is finite but an intermediate overflows
(logits ``features @ theta`` beyond the dtype's range, a Gaussian ``(a - mean)^2 / std^2``,
a return times a score), the result is refused with a ValueError rather than returned as
NaN or infinity.

The functions run over the samples in blocks small enough that a block's temporaries (its
logits, probabilities, cofactor, scores) stay in the processor's cache: each input is read
from memory once and each result written once, which is what bounds their speed at large N.
The scores take ``out=`` (an array of the result's shape and dtype, written in place) so that
a caller who computes them repeatedly does not pay for a fresh (N, d, A) array each time.

>>> import numpy as np
>>> theta = np.zeros((2, 3)); features = np.ones((4, 2)); actions = np.array([0, 1, 2, 0])
>>> softmax_log_prob(theta, features, actions).round(4).tolist()
[-1.0986, -1.0986, -1.0986, -1.0986]
>>> softmax_score(theta, features, actions).shape
(4, 2, 3)
"""
from __future__ import annotations

import math
from typing import Callable, Iterator, Optional, Union

import numpy as np

from pgsym.gradients import _kernels

#: the Numba kernels (:mod:`pgsym.gradients._kernels_numba`, printed from the same verified
#: expressions) and the loops around them (:mod:`pgsym.gradients._numba_loops`) where numba is
#: installed (``pip install "pgsym[numba]"``), else None and the NumPy kernels alone: "auto"
#: until the first call that can use them imports them. Tests set it to None to run the
#: NumPy kernels.
_numba_kernels = "auto"

__all__ = [
    "softmax_log_prob", "softmax_score", "softmax_probabilities", "tabular_softmax_score",
    "tabular_softmax_log_prob", "softmax_reinforce_gradient", "gaussian_log_prob",
    "gaussian_score", "reinforce_gradient",
]

Baseline = Union[None, str, float, np.ndarray]

#: Bytes that one block's temporaries may take. A block is computed, used and copied out
#: while it is in the caches (1 MiB of L2 per core and 32 MiB of L3 on the machines we
#: measure on); each block costs a dozen NumPy calls of a few microseconds each, so blocks
#: must not be small either. Measured with benchmarks/gradients.py for 64 KiB to 8 MiB:
#: 2 MiB (2,000 to 13,000 samples, by function) is near the best for every function at
#: N = 1e5 and 1e6; at 8 MiB the temporaries outgrow what the allocator keeps for reuse and
#: every block pays page faults again.
_BLOCK_BYTES = 1 << 21
_SMALLEST_BLOCK = 256


def _numba():
    """:mod:`pgsym.gradients._numba_loops`, or None without numba (imported on first use: importing
    numba takes a few tenths of a second, which a user of the log-probabilities alone need
    not pay)."""
    global _numba_kernels
    if isinstance(_numba_kernels, str):
        try:
            from pgsym.gradients import _numba_loops as compiled
        except ImportError:
            compiled = None
        _numba_kernels = compiled
    return _numba_kernels


# -- input checks -------------------------------------------------------------------------
def _floats(name: str, value, ndim: int, finite: bool = True) -> np.ndarray:
    """``value`` as a float32/float64 array of ``ndim`` dimensions with finite entries (their
    finiteness unchecked when ``finite`` is false: the blocks check it, see :func:`_blocks`)."""
    array = np.asarray(value)
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    if array.dtype.kind == "f" and not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    if array.dtype not in (np.float32, np.float64):
        raise ValueError(f"{name} must hold float32 or float64 numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    if finite:
        _require_finite(name, array)
    return array


def _require_finite(name: str, array: np.ndarray) -> None:
    # one pass for the common case: a finite sum means no NaN and no infinity
    if array.size and not np.isfinite(array.sum(dtype=np.float64)):
        bad = ~np.isfinite(array)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(f"{name} must be finite, got {array[where]} at index {where}")


def _checked(check: Callable, *arguments):
    """``check(*arguments, finite=False)``: every input check but the finiteness of the
    per-sample arrays, which the blocks check while each block is in cache (one pass over
    memory instead of two). When a check fails, all of them run in their usual order, so the
    error raised is the one a full check names first."""
    try:
        return check(*arguments, finite=False)
    except ValueError:
        check(*arguments, finite=True)
        raise


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


def _output(out, shape: tuple, dtype: np.dtype, what: str, name: str = "out",
            **inputs: np.ndarray) -> np.ndarray:
    """A new array for the result, or ``out`` once it is shown to fit: an ndarray of the
    result's shape and dtype, writeable, sharing no memory with an input (the blocks read
    the inputs after writing earlier blocks of the result)."""
    if out is None:
        return np.empty(shape, dtype)
    if not isinstance(out, np.ndarray):
        raise ValueError(f"{name} must be a NumPy array of shape {what} = {shape} and dtype "
                         f"{np.dtype(dtype)}, got {type(out).__name__}")
    if type(out) is not np.ndarray and not isinstance(out, np.memmap):
        # a masked array's mask, a matrix's 2-D rule: the results would be written past them
        raise ValueError(f"{name} must be a plain numpy.ndarray (or numpy.memmap), got the "
                         f"subclass {type(out).__module__}.{type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"{name} must have shape {what} = {shape}, got {out.shape}")
    if out.dtype != dtype:
        raise ValueError(f"{name} must have dtype {np.dtype(dtype)} (float32 only when every "
                         f"floating input is float32), got {out.dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    if _self_overlapping(out):
        raise ValueError(f"{name} must not overlap itself (strides {out.strides} for shape "
                         f"{out.shape}: two of its elements share memory)")
    for input_name, array in inputs.items():
        if np.may_share_memory(out, array):
            raise ValueError(f"{name} must not share memory with {input_name}")
    return out


def _self_overlapping(array: np.ndarray) -> bool:
    """Whether the elements of ``array`` may share memory: a sufficient test of their
    separation (the axes sorted by |stride|, each |stride| at least the extent of the axes
    before it plus the item size), which every C, Fortran, sliced or reversed array passes."""
    if array.size <= 1:
        return False
    axes = sorted((abs(stride), length) for stride, length in zip(array.strides, array.shape)
                  if length > 1)
    extent = array.itemsize
    for stride, length in axes:
        if stride < extent:
            return True
        extent += stride * (length - 1)
    return False


def _require_finite_result(function: str, result: np.ndarray, block: slice, cause: str) -> None:
    """Refuse a block of results that is not finite although its inputs were (the blocks are
    handed out only once their inputs are checked finite): an intermediate overflowed. One sum
    while the block is still in cache; entry by entry only when the sum is not finite."""
    if np.isfinite(result.sum(dtype=np.float64)):
        return
    bad = ~np.isfinite(result)
    if bad.any():
        where = np.argwhere(bad)[0]
        at = f" at sample {block.start + int(where[0])}" if block is not None else ""
        raise ValueError(f"{function}: an intermediate overflowed{at} ({cause}); the inputs "
                         f"are finite but the result is {result[tuple(where)]}: scale them down")


# -- blocks -------------------------------------------------------------------------------
def _blocks(n: int, bytes_per_sample: int, per_sample: tuple = (),
            recheck: Optional[Callable[[], object]] = None) -> Iterator[slice]:
    """Consecutive slices of range(n) whose temporaries, ``bytes_per_sample`` each, fit in
    the cache. Before a block is handed out, the rows of the ``per_sample`` float arrays in it
    are checked finite; if one is not, ``recheck`` (the full input checks) raises the error."""
    size = max(_SMALLEST_BLOCK, _BLOCK_BYTES // max(1, bytes_per_sample))
    for start in range(0, n, size):
        block = slice(start, min(n, start + size))
        for array in per_sample:
            part = array[block]
            if not np.isfinite(part.sum(dtype=np.float64)) and not np.isfinite(part).all():
                recheck()
        yield block


_LOGITS_OVERFLOW = "the logits features @ theta exceed the dtype's range"


# -- softmax ------------------------------------------------------------------------------
def _softmax_inputs(theta, features, actions,
                    finite: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta = _floats("theta", theta, 2)
    features = _floats("features", features, 2, finite)
    _same_width("features", features, 1, theta.shape[0], "theta (d, A)")
    if theta.shape[1] < 1:
        raise ValueError(f"theta must have at least one action column, got shape {theta.shape}")
    actions = _indices("actions", actions, features.shape[0], theta.shape[1], "action")
    dtype = _result_type(theta, features)
    return theta.astype(dtype, copy=False), features.astype(dtype, copy=False), actions


def _softmax_probability_inputs(theta, features, finite: bool = True):
    theta = _floats("theta", theta, 2)
    features = _floats("features", features, 2, finite)
    _same_width("features", features, 1, theta.shape[0], "theta (d, A)")
    if theta.shape[1] < 1:
        raise ValueError(f"theta must have at least one action column, got shape {theta.shape}")
    dtype = _result_type(theta, features)
    return theta.astype(dtype, copy=False), features.astype(dtype, copy=False)


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
    # logits[actions[n], n] for every n, taken from the flat (A, N) array in one gather
    flat = actions * logits.shape[1] + np.arange(len(actions))
    chosen = np.ravel(logits).take(flat)[None, :]
    return _kernels.softmax_log_prob(chosen, _shift(logits), logits)[0]


def _probabilities(logits: np.ndarray) -> np.ndarray:
    return _kernels.softmax_probabilities(logits, _shift(logits))


def _onehot(like: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """1 where c is the sample's action, else 0: KroneckerDelta(a, c), shape (A, N) and the
    dtype of ``like`` (logits or probabilities, (A, N))."""
    return (actions == np.arange(like.shape[0])[:, None]).astype(like.dtype)


def _cofactor(logits: np.ndarray, actions: np.ndarray) -> np.ndarray:
    """d log pi(a|s) / d z for every action: one-hot of the action minus pi(.|s), (A, N)."""
    return _kernels.softmax_score_cofactor(_onehot(logits, actions), _probabilities(logits))


def softmax_probabilities(theta, features) -> np.ndarray:
    """pi(.|s) of the linear softmax policy, shape (N, A).

    >>> softmax_probabilities(np.zeros((1, 2)), np.ones((1, 1))).tolist()
    [[0.5, 0.5]]
    """
    theta, features = _checked(_softmax_probability_inputs, theta, features)
    (n, d), a = features.shape, theta.shape[1]
    result = np.empty((n, a), features.dtype)
    recheck = lambda: _softmax_probability_inputs(theta, features)  # noqa: E731
    for block in _blocks(n, features.itemsize * (d + 4 * a), (features,), recheck):
        result[block] = _probabilities(_logits(theta, features[block])).T
        _require_finite_result("softmax_probabilities", result[block], block, _LOGITS_OVERFLOW)
    return result


def softmax_log_prob(theta, features, actions) -> np.ndarray:
    """log pi(a|s) for pi(a|s) proportional to exp(phi(s)^T theta_a).

    ``theta`` (d, A), ``features`` (N, d), ``actions`` (N,) integers in [0, A) -> (N,).

    >>> softmax_log_prob(np.zeros((1, 4)), np.ones((1, 1)), [3]).round(4).tolist()
    [-1.3863]
    """
    theta, features, actions = _checked(_softmax_inputs, theta, features, actions)
    (n, d), a = features.shape, theta.shape[1]
    result = np.empty(n, features.dtype)
    recheck = lambda: _softmax_inputs(theta, features, actions)  # noqa: E731
    for block in _blocks(n, features.itemsize * (d + 3 * a), (features,), recheck):
        result[block] = _log_prob_from_logits(_logits(theta, features[block]), actions[block])
        _require_finite_result("softmax_log_prob", result[block], block, _LOGITS_OVERFLOW)
    return result


def softmax_score(theta, features, actions, *, out: Optional[np.ndarray] = None) -> np.ndarray:
    """grad_theta log pi(a|s) for every sample, shape (N, d, A).

    Component (n, i, c) is phi_i(s_n) (1[a_n = c] - pi(c|s_n)). ``out``, if given, is an
    array of that shape and the result's dtype that receives the scores and is returned
    (if an input turns out not to be finite, the ValueError comes after part of it is written).

    >>> softmax_score(np.zeros((1, 2)), np.ones((1, 1)), [0]).tolist()
    [[[0.5, -0.5]]]
    """
    theta, features, actions = _checked(_softmax_inputs, theta, features, actions)
    (n, d), a = features.shape, theta.shape[1]
    out = _output(out, (n, d, a), features.dtype, "(N, d, A)",
                  theta=theta, features=features, actions=actions)
    recheck = lambda: _softmax_inputs(theta, features, actions)  # noqa: E731
    compiled = _numba()
    for block in _blocks(n, features.itemsize * (d * a + d + 5 * a), (features,), recheck):
        phi = features[block]
        cofactor = _cofactor(_logits(theta, phi), actions[block])
        if compiled is None:
            # the kernel's (block, d, A) scores are still in cache when they are copied out
            out[block] = _kernels.softmax_score(phi.T, cofactor)
        else:
            # written straight into the result, each element once; the cofactor's columns
            # made contiguous, as the loop reads each sample's A entries together
            compiled.kernels.softmax_score(phi.T, np.asfortranarray(cofactor), out[block])
        # the cofactor is 1[a = c] - pi(c|s), in [-1, 1] when finite: the scores, features
        # times it, are finite with it
        _require_finite_result("softmax_score", cofactor.T, block, _LOGITS_OVERFLOW)
    return out


def softmax_reinforce_gradient(theta, features, actions, returns,
                               baseline: Baseline = None) -> tuple[np.ndarray, np.ndarray]:
    """The REINFORCE estimate mean_n (R_n - b) grad log pi(a_n|s_n) and its standard error,
    each (d, A), without forming the (N, d, A) scores: both are products of the (N, d)
    features with (N, A) arrays, summed block by block.

    >>> estimate, stderr = softmax_reinforce_gradient(
    ...     np.zeros((1, 2)), np.ones((2, 1)), [0, 1], [1.0, 0.0])
    >>> estimate.tolist()
    [[0.25, -0.25]]
    """
    theta, features, actions, weights = _checked(
        _softmax_reinforce_inputs, theta, features, actions, returns, baseline)
    (n, d), a = features.shape, theta.shape[1]
    total = np.zeros((a, d), features.dtype)
    total_of_squares = np.zeros((a, d), features.dtype)
    recheck = lambda: _softmax_inputs(theta, features, actions)  # noqa: E731
    for block in _blocks(n, features.itemsize * (2 * d + 6 * a), (features,), recheck):
        phi = features[block]
        cofactor = _cofactor(_logits(theta, phi), actions[block])
        _require_finite_result("softmax_reinforce_gradient", cofactor.T, block, _LOGITS_OVERFLOW)
        weighted = cofactor * weights[block]
        total += weighted @ phi
        total_of_squares += np.square(weighted) @ np.square(phi)
    estimate = total.T / n
    _require_finite_result("softmax_reinforce_gradient", estimate, None, _SUM_OVERFLOW)
    if n == 1:
        return estimate, np.full_like(estimate, np.inf)
    second_moment = total_of_squares.T / n
    variance = np.maximum(second_moment - np.square(estimate), 0) * (n / (n - 1))
    stderr = np.sqrt(variance / n)
    _require_finite_result("softmax_reinforce_gradient", stderr, None, _SQUARES_OVERFLOW)
    return estimate, stderr


def _softmax_reinforce_inputs(theta, features, actions, returns, baseline, finite: bool = True):
    theta, features, actions = _softmax_inputs(theta, features, actions, finite)
    # float64 unless the returns and baseline are float32 too (not cast down to the features')
    dtype = _reinforce_dtype(features.dtype, returns, baseline)
    theta, features = theta.astype(dtype, copy=False), features.astype(dtype, copy=False)
    weights = _advantages(returns, baseline, features.shape[0], features.dtype)
    if features.shape[0] == 0:
        raise ValueError("returns must hold at least one sample to estimate a gradient, got 0")
    return theta, features, actions, weights


def _tabular_inputs(theta, states, actions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    theta = _floats("theta", theta, 2)
    count = np.shape(states)[0] if np.ndim(states) == 1 else 0
    states = _indices("states", states, count, theta.shape[0], "state")
    actions = _indices("actions", actions, states.shape[0], theta.shape[1], "action")
    return theta, states, actions


def _per_state(n: int, theta: np.ndarray) -> bool:
    """Whether the kernels run once per state (S columns, then a gather per sample) rather
    than once per sample: when there are fewer cells in the table than samples. Each sample's
    value is computed by the same operations either way (the same bits)."""
    return theta.size < n


def tabular_softmax_log_prob(theta, states, actions) -> np.ndarray:
    """log pi(a|s) of the tabular softmax policy (one-hot features), theta (S, A) -> (N,)."""
    theta, states, actions = _tabular_inputs(theta, states, actions)
    (n,), (s, a) = states.shape, theta.shape
    by_action = np.ascontiguousarray(theta.T)
    if _per_state(n, theta):
        # log pi(c|s) for every cell: the kernel at column (s, c) of the logits of s
        cells = _tabular_cells(s, a)
        table = _log_prob_from_logits(by_action.take(cells[0], axis=1), cells[1])
        return table.take(states * a + actions)
    result = np.empty(n, theta.dtype)
    for block in _blocks(n, theta.itemsize * 4 * a):
        result[block] = _log_prob_from_logits(by_action.take(states[block], axis=1), actions[block])
    return result


def tabular_softmax_score(theta, states, actions, *,
                          out: Optional[np.ndarray] = None) -> np.ndarray:
    """grad_theta log pi(a|s) of the tabular softmax policy, shape (N, S, A).

    The features are one-hot, so row s_n of each score is the only non-zero one; no (N, S)
    feature matrix is formed. ``out``, if given, receives the scores (see softmax_score).

    >>> tabular_softmax_score(np.zeros((2, 2)), [1], [0]).tolist()
    [[[0.0, 0.0], [0.5, -0.5]]]
    """
    theta, states, actions = _tabular_inputs(theta, states, actions)
    (n,), (s, a) = states.shape, theta.shape
    compiled = _numba()
    if out is not None:
        score = _output(out, (n, s, a), theta.dtype, "(N, S, A)",
                        theta=theta, states=states, actions=actions)
    elif compiled is None:
        # zero pages from the operating system: only the rows written below are touched twice
        score = np.zeros((n, s, a), dtype=theta.dtype)
    else:
        score = np.empty((n, s, a), dtype=theta.dtype)  # (every element is written below)
    by_action = np.ascontiguousarray(theta.T)
    per_state = _per_state(n, theta)
    if per_state:
        # the cofactor 1[a = c] - pi(c|s) of every (state, action) cell, by the verified
        # kernel, once: row s A + a is what a sample in state s taking action a gets
        cells = _tabular_cells(s, a)
        probabilities = _probabilities(by_action).take(cells[0], axis=1)
        table = np.ascontiguousarray(_kernels.softmax_score_cofactor(
            _onehot(probabilities, cells[1]), probabilities).T)
    for block in _blocks(n, theta.itemsize * (s * a + 5 * a)):
        if per_state:
            cofactor, rows = table, states[block] * a + actions[block]
        else:
            probabilities = _probabilities(by_action.take(states[block], axis=1))
            cofactor = _kernels.softmax_score_cofactor(_onehot(probabilities, actions[block]),
                                                       probabilities).T
            rows = np.arange(block.stop - block.start)
        if compiled is not None:
            compiled.tabular_scores(states[block], rows, cofactor, score[block])
            continue
        if out is not None:
            score[block] = 0
        values = cofactor.take(rows, axis=0)
        if score.flags.c_contiguous:
            # row s_n of sample n's (S, A) score is row n S + s_n of the (N S, A) scores
            flat = score[block].reshape(-1, a)
            flat[np.arange(0, flat.shape[0], s) + states[block]] = values
        else:
            score[np.arange(block.start, block.stop), states[block]] = values
    return score


def _tabular_cells(s: int, a: int) -> tuple[np.ndarray, np.ndarray]:
    """The state and the action of each of the S A cells, in the order s A + a."""
    return np.repeat(np.arange(s), a), np.tile(np.arange(a), s)


# -- Gaussian -----------------------------------------------------------------------------
def _gaussian_inputs(weights, log_std, features, actions, finite: bool = True):
    weights = _floats("weights", weights, 2)
    log_std = _floats("log_std", log_std, 1)
    features = _floats("features", features, 2, finite)
    actions = _floats("actions", actions, 2, finite)
    _same_width("features", features, 1, weights.shape[0], "weights (d, k)")
    _same_width("log_std", log_std, 0, weights.shape[1], "weights (d, k)")
    if actions.shape != (features.shape[0], weights.shape[1]):
        raise ValueError(f"actions must have shape (N, k) = {(features.shape[0], weights.shape[1])}, "
                         f"got {actions.shape}")
    dtype = _result_type(weights, log_std, features, actions)
    # the kernels take exp(-2 log_std), 1/std^2: refuse the log_std where it overflows (which
    # includes those where the standard deviation underflows to 0)
    lowest = -0.5 * math.log(float(np.finfo(dtype).max))
    with np.errstate(over="ignore"):
        overflows = ~np.isfinite(np.exp(-2 * log_std.astype(dtype)))
    if log_std.size and (log_std.min() < lowest or overflows.any()):
        raise ValueError(f"log_std must be at least {lowest:.4g} for {np.dtype(dtype)} inputs "
                         f"(below it exp(-2 log_std), 1/std^2, overflows), got {log_std.min()}")
    return tuple(x.astype(dtype, copy=False) for x in (weights, log_std, features, actions))


_GAUSSIAN_OVERFLOW = ("(actions - features @ weights)^2 / std^2, or the mean features @ weights, "
                      "exceeds the dtype's range")
_GAUSSIAN_WEIGHTS_OVERFLOW = "the features times (actions - mean) / std^2 exceed the dtype's range"


def gaussian_log_prob(weights, log_std, features, actions) -> np.ndarray:
    """log N(a; features @ weights, diag(exp(2 log_std))), shape (N,).

    ``weights`` (d, k), ``log_std`` (k,), ``features`` (N, d), ``actions`` (N, k).

    >>> gaussian_log_prob(np.zeros((1, 1)), np.zeros(1), np.ones((1, 1)), np.zeros((1, 1))).round(4)
    array([-0.9189])
    """
    arguments = (weights, log_std, features, actions)
    weights, log_std, features, actions = _checked(_gaussian_inputs, *arguments)
    (n, d), k = features.shape, weights.shape[1]
    result = np.empty(n, features.dtype)
    recheck = lambda: _gaussian_inputs(*arguments)  # noqa: E731
    compiled = _numba()
    for block in _blocks(n, features.itemsize * (d + 5 * k), (features, actions), recheck):
        mean = weights.T @ features[block].T
        if compiled is None:
            result[block] = _kernels.gaussian_log_prob(actions[block].T, mean, log_std[:, None])[0]
        else:  # written straight into the result
            compiled.kernels.gaussian_log_prob(actions[block].T, mean, log_std[:, None],
                                               result[None, block])
        _require_finite_result("gaussian_log_prob", result[block], block, _GAUSSIAN_OVERFLOW)
    return result


def gaussian_score(weights, log_std, features, actions, *,
                   out: Optional[tuple[np.ndarray, np.ndarray]] = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """(grad_weights log N (N, d, k), grad_log_std log N (N, k)).

    ``out``, if given, is a pair of arrays of those shapes and the result's dtype that
    receive the two scores and are returned (see softmax_score).

    >>> dw, dl = gaussian_score(np.zeros((1, 1)), np.zeros(1), np.ones((1, 1)), np.ones((1, 1)))
    >>> dw.tolist(), dl.tolist()
    ([[[1.0]]], [[0.0]])
    """
    arguments = (weights, log_std, features, actions)
    weights, log_std, features, actions = _checked(_gaussian_inputs, *arguments)
    (n, d), k = features.shape, weights.shape[1]
    if out is None:
        out = (None, None)
    elif not (isinstance(out, (tuple, list)) and len(out) == 2):
        raise ValueError(f"out must be a pair of arrays, of shapes (N, d, k) = {(n, d, k)} and "
                         f"(N, k) = {(n, k)}, got {type(out).__name__}")
    inputs = dict(weights=weights, log_std=log_std, features=features, actions=actions)
    weights_score = _output(out[0], (n, d, k), features.dtype, "(N, d, k)", "out[0]", **inputs)
    log_std_score = _output(out[1], (n, k), features.dtype, "(N, k)", "out[1]",
                            **inputs, **{"out[0]": weights_score})
    recheck = lambda: _gaussian_inputs(*arguments)  # noqa: E731
    compiled = _numba()
    for block in _blocks(n, features.itemsize * (d * k + d + 6 * k), (features, actions), recheck):
        phi = features[block]
        if compiled is None:
            cofactor, log_std_block = _kernels.gaussian_score_cofactors(
                actions[block].T, weights.T @ phi.T, log_std[:, None])
            weights_score[block] = _kernels.gaussian_weights_score(phi.T, cofactor)
            log_std_score[block] = log_std_block.T
        else:
            # both scores written straight into the results; the cofactor (k, block) with
            # contiguous columns, as the product reads each sample's k entries together
            cofactor = np.empty((phi.shape[0], k), features.dtype).T
            compiled.kernels.gaussian_score_cofactors(actions[block].T, weights.T @ phi.T,
                                                      log_std[:, None], cofactor,
                                                      log_std_score[block].T)
            compiled.kernels.gaussian_weights_score(phi.T, cofactor, weights_score[block])
        _require_finite_result("gaussian_score", log_std_score[block], block,
                               _GAUSSIAN_OVERFLOW)
        _require_finite_result("gaussian_score", weights_score[block], block,
                               _GAUSSIAN_WEIGHTS_OVERFLOW)
    return weights_score, log_std_score


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


_SUM_OVERFLOW = "the sum of the returns times the scores exceeds the dtype's range"
_SQUARES_OVERFLOW = ("the sum of the squares of the returns times the scores, for the standard "
                     "error, exceeds the dtype's range")


def _reinforce_dtype(dtype: np.dtype, returns, baseline: Baseline) -> np.dtype:
    """The results' dtype: float64 unless every floating input is float32. Integer returns
    and a baseline given as a Python number (or 'mean') take the scores' dtype."""
    dtypes = [dtype]
    for value in (returns, baseline):
        if value is None or isinstance(value, (str, int, float)):
            continue
        kind = np.asarray(value).dtype
        if kind.kind == "f":
            dtypes.append(kind.newbyteorder("="))
    result = np.result_type(*dtypes)
    return result if result in (np.float32, np.float64) else dtype


def _reinforce_inputs(scores, returns, baseline, finite: bool = True):
    scores = _floats("scores", scores, max(1, np.ndim(scores)), finite)
    n = scores.shape[0]
    if n == 0:
        raise ValueError("scores must hold at least one sample to estimate a gradient, got 0")
    # the scores stay as they are (the sums multiply them by the wider advantages)
    return scores, _advantages(returns, baseline, n, _reinforce_dtype(scores.dtype, returns,
                                                                        baseline))


def _sum_over_samples(terms: Callable[[slice, np.ndarray], None], blocks: list[slice],
                      buffer: np.ndarray) -> np.ndarray:
    """The sum over all samples of the rows that ``terms(block, into)`` writes into ``into``,
    added row after row in the order NumPy adds the rows of one (N, M) C-contiguous array
    (so the total is the one ``.sum(axis=0)`` of the whole would give, bit for bit): the sum
    so far goes in the buffer's row 0, in front of the block's rows."""
    total = None
    for block in blocks:
        rows = buffer[:block.stop - block.start + 1]
        terms(block, rows[1:])
        if total is None:
            total = np.add.reduce(rows[1:], axis=0)
        else:
            rows[0] = total
            total = np.add.reduce(rows, axis=0)
    return total


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
    arguments = (scores, returns, baseline)
    scores, weights = _checked(_reinforce_inputs, *arguments)
    n = scores.shape[0]
    width = scores.size // n
    if width < 2 or not scores.flags.c_contiguous:
        # NumPy sums one column pairwise and a strided array in its own order: keep its way
        _require_finite("scores", scores)
        terms = scores * weights.reshape((n,) + (1,) * (scores.ndim - 1))
        estimate = terms.mean(axis=0)
        return _reinforce_results(estimate, None if n == 1 else
                                  terms.std(axis=0, ddof=1) / math.sqrt(n))
    # the mean and the standard deviation as ndarray.mean and ndarray.std compute them (the
    # sum of the terms, then of their squared deviations from the mean), block by block
    flat = scores.reshape(n, width)
    recheck = lambda: _reinforce_inputs(*arguments)  # noqa: E731
    compiled = _numba()
    if compiled is not None:
        # the same sums, added in the same order, in two compiled passes over the scores
        mean = np.empty(width, weights.dtype)
        if compiled.reinforce_sums(flat, weights, mean) >= 0:
            recheck()
        np.true_divide(mean, np.intp(n), out=mean, casting="unsafe")
        estimate = mean.reshape(scores.shape[1:])
        if n == 1:
            return _reinforce_results(estimate, None)
        variance = compiled.reinforce_squared_deviations(flat, weights, mean,
                                                         np.empty(width, weights.dtype))
        np.true_divide(variance, np.intp(n - 1), out=variance, casting="unsafe")
        std = np.sqrt(variance, out=variance).reshape(scores.shape[1:])
        return _reinforce_results(estimate, std / math.sqrt(n))
    blocks = list(_blocks(n, scores.itemsize * width, (flat,), recheck))
    buffer = np.empty((blocks[0].stop + 1, width), weights.dtype)
    count = np.intp(n)

    def terms(block: slice, into: np.ndarray) -> None:
        np.multiply(flat[block], weights[block, None], out=into)

    def squared_deviations(block: slice, into: np.ndarray) -> None:
        np.multiply(flat[block], weights[block, None], out=into)
        np.subtract(into, mean, out=into)
        np.square(into, out=into)

    mean = _sum_over_samples(terms, blocks, buffer)
    np.true_divide(mean, count, out=mean, casting="unsafe")
    estimate = mean.reshape(scores.shape[1:])
    if n == 1:
        return _reinforce_results(estimate, None)
    variance = _sum_over_samples(squared_deviations, blocks, buffer)
    np.true_divide(variance, np.maximum(count - 1, 0), out=variance, casting="unsafe")
    std = np.sqrt(variance, out=variance).reshape(scores.shape[1:])
    # (over a Python float: a NumPy float64 would make a float32 error float64)
    return _reinforce_results(estimate, std / math.sqrt(n))


def _reinforce_results(estimate: np.ndarray, stderr: Optional[np.ndarray]):
    """(estimate, stderr), refused if finite scores and returns overflowed in the sums; a
    single sample's standard error is infinite (None here)."""
    _require_finite_result("reinforce_gradient", estimate, None, _SUM_OVERFLOW)
    if stderr is None:
        return estimate, np.full_like(estimate, np.inf)
    _require_finite_result("reinforce_gradient", stderr, None, _SQUARES_OVERFLOW)
    return estimate, stderr
