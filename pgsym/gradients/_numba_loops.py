"""Numba's kernels for :mod:`pgsym.gradients` (``kernels``: the module ``pgsym build``
prints from the same verified expressions as the NumPy kernels, imported here so that numba
is imported once, when first needed), and the compiled loops of ``reinforce_gradient``,
which has no kernel: the mean and the standard deviation of the weighted scores, added in
the order NumPy adds them, with the finiteness check of the scores.

(Means and logits stay matrix products by NumPy, block by block, around the kernels: the
loops written for them here ran at 7 to 12 ns per sample, slower than BLAS.)

Numba's cache (``cache=True``) keeps the compiled code of each module beside it, keyed by
that module's file: the loops here call no kernel, so a regenerated kernels module is never
run from a stale cache.
"""
from __future__ import annotations

import math

import numba

from pgsym.gradients import _kernels_numba as kernels

#: rows per block of the finiteness check
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


@_jit
def tabular_scores(states, rows, cofactor, out):
    """out[n, s, c] = cofactor[rows[n], c] where s is sample n's state, else 0: the (N, S, A)
    scores of the tabular softmax policy, each sample's (S, A) block zeroed and its row
    written while in cache (the NumPy path zeroes a whole block of samples, then writes each
    sample's row again; a branch per element here ran at a third of the speed)."""
    n, states_count, width = out.shape
    for i in range(n):
        for s in range(states_count):
            for c in range(width):
                out[i, s, c] = 0.0
        state, row = states[i], rows[i]
        for c in range(width):
            out[i, state, c] = cofactor[row, c]
    return out
