"""The loops around the Numba kernels: one compiled call per function, block by block.

The arithmetic of the scores is in :mod:`pgsym.gradients._kernels_numba`, printed by
``pgsym build`` from the same verified expressions as the NumPy kernels; what is written
here is what :mod:`pgsym.gradients` does around the NumPy kernels, as loops: the mean
``weights^T phi`` of each sample (a product of the features with the parameters, the same
linear algebra as ``weights.T @ phi.T``), the finiteness check of the per-sample inputs, and
the blocks of samples whose temporaries stay in the first-level cache. Each function returns
-1, or the first sample of a block with a non-finite input (its caller then runs the full
input checks, which name it); the results are written into the arrays it is given.

Numba's cache (``cache=True``) keeps the compiled code beside this file, keyed by this
file's modification time: it does not see a change of the kernels it calls. ``KERNELS_SHA256``
is the sha256 of the kernels module these loops were last checked against, and a test fails
until it is updated when the kernels change (which changes this file, and so its cache).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from pgsym.gradients import _kernels_numba as kernels

#: sha256 of pgsym/gradients/_kernels_numba.py (see the module's docstring)
KERNELS_SHA256 = "8561dfc54a3caebb6b17e303106e4ffacef78f71617b037216fdfeab984f2a89"

#: samples per block: the temporaries of a block, a few (k, BLOCK) arrays, stay in L1
BLOCK = 256

_jit = numba.njit(cache=True, nogil=True, error_model="numpy")


@numba.njit(cache=True, nogil=True, error_model="numpy",
            fastmath={"reassoc", "nsz", "arcp", "contract"})
def _finite_rows(array, start, stop):
    """Whether rows [start, stop) of a C-contiguous 2-D array are all finite: one sum, as the
    NumPy path checks a block (a finite sum has no NaN and no infinity; an infinite sum of
    finite entries is looked at entry by entry). The sum may be added in any order
    (reassociated, so that it runs at the speed of memory), never assuming there is no NaN
    or infinity."""
    entries = array[start:stop].reshape(-1)
    total = 0.0
    for i in range(entries.shape[0]):
        total += entries[i]
    if math.isfinite(total):
        return True
    for i in range(entries.shape[0]):
        if not math.isfinite(entries[i]):
            return False
    return True


@_jit
def _means(weights, features, start, stop, transposed, mean):
    """mean[c, s] = sum_j features[start + s, j] weights[j, c] for the block's samples (the
    block's features first copied into ``transposed`` (d, BLOCK), so that the loop over the
    samples reads contiguous rows)."""
    d, k = weights.shape
    size = stop - start
    block = features[start:stop]
    for j in range(d):
        for s in range(size):
            transposed[j, s] = block[s, j]
    for c in range(k):
        for s in range(size):
            mean[c, s] = 0.0
        for j in range(d):
            w = weights[j, c]
            for s in range(size):
                mean[c, s] += transposed[j, s] * w
    return mean[:, :size]


@_jit
def gaussian_log_prob(weights, log_std, features, actions, result):
    n = features.shape[0]
    k = weights.shape[1]
    mean = np.empty((k, BLOCK), result.dtype)
    transposed = np.empty((weights.shape[0], BLOCK), result.dtype)
    spread = log_std.reshape((k, 1))
    rows = result.reshape((1, n))
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        if not (_finite_rows(features, start, stop) and _finite_rows(actions, start, stop)):
            return start
        block_mean = _means(weights, features, start, stop, transposed, mean)
        kernels.gaussian_log_prob(actions[start:stop].T, block_mean, spread, rows[:, start:stop])
    return -1


@_jit
def gaussian_score(weights, log_std, features, actions, weights_score, log_std_score):
    n = features.shape[0]
    k = weights.shape[1]
    mean = np.empty((k, BLOCK), weights_score.dtype)
    transposed = np.empty((weights.shape[0], BLOCK), weights_score.dtype)
    cofactor = np.empty((BLOCK, k), weights_score.dtype).T  # each sample's k entries together
    spread = log_std.reshape((k, 1))
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        if not (_finite_rows(features, start, stop) and _finite_rows(actions, start, stop)):
            return start
        block_mean = _means(weights, features, start, stop, transposed, mean)
        block_cofactor = cofactor[:, :stop - start]
        kernels.gaussian_score_cofactors(actions[start:stop].T, block_mean, spread,
                                          block_cofactor, log_std_score[start:stop].T)
        kernels.gaussian_weights_score(features[start:stop].T, block_cofactor,
                                        weights_score[start:stop])
    return -1


@_jit
def reinforce_sums(scores, weights, total):
    """total[m] = sum_n scores[n, m] weights[n], the rows added one after another to 0, as
    ``numpy.add.reduce(axis=0)`` adds the rows of a C-contiguous array (the same sum, bit for
    bit, -0.0 included); -1, or the first sample of a block of scores that is not finite.

    The finiteness is read off the sums: a NaN or an infinity among the scores makes every
    later sum it enters NaN or infinite (times a finite weight, plus finite terms), so while
    the sums stay finite after a block, its scores were finite; once they are not (a bad
    score, or finite terms overflowing), the block, and each block after it, is checked
    entry by entry."""
    n, width = scores.shape
    for m in range(width):
        total[m] = 0.0
    finite_so_far = True
    for start in range(0, n, BLOCK):
        stop = min(n, start + BLOCK)
        if not finite_so_far and not _finite_rows(scores, start, stop):
            return start
        for row in range(start, stop):
            w = weights[row]
            for m in range(width):
                total[m] += scores[row, m] * w
        if finite_so_far:
            for m in range(width):
                if not math.isfinite(total[m]):
                    finite_so_far = False
            if not finite_so_far and not _finite_rows(scores, start, stop):
                return start
    return -1


@_jit
def reinforce_squared_deviations(scores, weights, mean, total):
    """total[m] = sum_n (scores[n, m] weights[n] - mean[m])^2, added as reinforce_sums adds."""
    n, width = scores.shape
    for m in range(width):
        total[m] = 0.0
    for row in range(n):
        w = weights[row]
        for m in range(width):
            deviation = scores[row, m] * w - mean[m]
            total[m] += deviation * deviation
    return total

