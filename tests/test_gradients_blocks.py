"""pgsym.gradients evaluates its kernels in blocks of samples and writes the scores into
``out=`` buffers: the results are those of one whole-array evaluation, bit for bit, at every
block boundary; ``out`` is checked before anything is written; an input that is not finite
is still named, at its index in the whole array, in the order the checks always had."""
import math

import numpy as np
import pytest

from pgsym import gradients as g
from pgsym.gradients import _kernels

D, A, K, S = 3, 4, 2, 5


@pytest.fixture(autouse=True)
def numpy_kernels(monkeypatch):
    """The blocks of the NumPy kernels, which every install has; the Numba kernels' blocks
    are compared with them in tests/test_numba.py."""
    monkeypatch.setattr(g, "_numba_kernels", None)


# -- the whole-array evaluation the blocks must reproduce (pgsym.gradients before blocks) ----
def _shift(logits):
    return logits[:1] if logits.shape[1] == 0 else logits.max(axis=0, keepdims=True)


def _cofactor(logits, actions):
    onehot = np.zeros_like(logits)
    onehot[actions, np.arange(len(actions))] = 1
    return _kernels.softmax_score_cofactor(onehot, _kernels.softmax_probabilities(logits, _shift(logits)))


def _log_prob(logits, actions):
    chosen = logits[actions, np.arange(len(actions))][None, :]
    return _kernels.softmax_log_prob(chosen, _shift(logits), logits)[0]


def whole_array(name, *arguments):
    if name == "softmax_log_prob":
        theta, features, actions = arguments
        return _log_prob(theta.T @ features.T, actions)
    if name == "softmax_probabilities":
        theta, features = arguments
        logits = theta.T @ features.T
        return np.ascontiguousarray(_kernels.softmax_probabilities(logits, _shift(logits)).T)
    if name == "softmax_score":
        theta, features, actions = arguments
        return _kernels.softmax_score(features.T, _cofactor(theta.T @ features.T, actions))
    if name == "tabular_softmax_log_prob":
        theta, states, actions = arguments
        return _log_prob(theta[states].T, actions)
    if name == "tabular_softmax_score":
        theta, states, actions = arguments
        score = np.zeros((len(states),) + theta.shape, dtype=theta.dtype)
        score[np.arange(len(states)), states] = _cofactor(theta[states].T, actions).T
        return score
    if name == "gaussian_log_prob":
        weights, log_std, features, actions = arguments
        return _kernels.gaussian_log_prob(actions.T, weights.T @ features.T, log_std[:, None])[0]
    if name == "gaussian_score":
        weights, log_std, features, actions = arguments
        cofactor, log_std_score = _kernels.gaussian_score_cofactors(
            actions.T, weights.T @ features.T, log_std[:, None])
        return (_kernels.gaussian_weights_score(features.T, cofactor),
                np.ascontiguousarray(log_std_score.T))
    raise KeyError(name)


def exact_case(n, seed=0, dtype=np.float64):
    """Inputs whose matrix products are exact (small multiples of 1/4, few terms), so that a
    product over a block equals the product over the whole array bit for bit, whatever
    order BLAS adds in; what the comparison then tests is the blocks themselves."""
    rng = np.random.default_rng(seed)
    quarters = lambda *shape: (rng.integers(-8, 9, size=shape) / 4).astype(dtype)  # noqa: E731
    return {
        "theta": quarters(D, A), "features": quarters(n, D), "actions": rng.integers(0, A, size=n),
        "table": quarters(S, A), "states": rng.integers(0, S, size=n),
        "weights": quarters(D, K), "log_std": quarters(K) / 4, "continuous": quarters(n, K),
    }


def arguments_of(name, case):
    c = case
    return {
        "softmax_log_prob": (c["theta"], c["features"], c["actions"]),
        "softmax_probabilities": (c["theta"], c["features"]),
        "softmax_score": (c["theta"], c["features"], c["actions"]),
        "tabular_softmax_log_prob": (c["table"], c["states"], c["actions"]),
        "tabular_softmax_score": (c["table"], c["states"], c["actions"]),
        "gaussian_log_prob": (c["weights"], c["log_std"], c["features"], c["continuous"]),
        "gaussian_score": (c["weights"], c["log_std"], c["features"], c["continuous"]),
    }[name]


PER_SAMPLE = ["softmax_log_prob", "softmax_probabilities", "softmax_score", "tabular_softmax_log_prob",
              "tabular_softmax_score", "gaussian_log_prob", "gaussian_score"]
SCORES = ["softmax_score", "tabular_softmax_score", "gaussian_score"]


@pytest.fixture
def blocks_of_three(monkeypatch):
    """Blocks of 3 samples for every function, so that small N crosses many block boundaries."""
    monkeypatch.setattr(g, "_SMALLEST_BLOCK", 3)
    monkeypatch.setattr(g, "_BLOCK_BYTES", 1)
    return 3


def assert_bitwise(ours, theirs):
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_bitwise(a, b)
        return
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert ours.tobytes() == theirs.tobytes()


# -- values --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PER_SAMPLE)
@pytest.mark.parametrize("n", [0, 1, 2, 3, 4, 5, 6, 7, 11])
def test_blocks_give_the_whole_array_result_bit_for_bit_at_every_boundary(name, n, blocks_of_three):
    arguments = arguments_of(name, exact_case(n, seed=n))
    assert_bitwise(getattr(g, name)(*arguments), whole_array(name, *arguments))


@pytest.mark.parametrize("name", PER_SAMPLE)
def test_default_blocks_give_the_whole_array_result_bit_for_bit(name):
    # sizes around the default block sizes, and one that is no multiple of them
    for n in (g._SMALLEST_BLOCK - 1, 4096, 4097, 10_007):
        arguments = arguments_of(name, exact_case(n, seed=n))
        assert_bitwise(getattr(g, name)(*arguments), whole_array(name, *arguments))


@pytest.mark.parametrize("name", PER_SAMPLE)
def test_float32_inputs_give_float32_results_block_by_block(name, blocks_of_three):
    arguments = arguments_of(name, exact_case(7, dtype=np.float32))
    ours, theirs = getattr(g, name)(*arguments), whole_array(name, *arguments)
    for a, b in zip(*((ours, theirs) if isinstance(ours, tuple) else ((ours,), (theirs,)))):
        assert a.dtype == np.float32
        # the whole-array Gaussian log-density is float64 (the kernel's log(2 pi) is), which
        # the blocks round once into the float32 result
        assert a.tobytes() == b.astype(np.float32).tobytes()


def test_random_inputs_agree_with_the_whole_array_evaluation(blocks_of_three):
    rng = np.random.default_rng(3)
    theta, features, actions = rng.normal(size=(D, A)), rng.normal(size=(10, D)), rng.integers(0, A, 10)
    for name in ("softmax_log_prob", "softmax_score"):
        assert np.allclose(getattr(g, name)(theta, features, actions),
                           whole_array(name, theta, features, actions), rtol=1e-14, atol=1e-15)


def _exact_reinforce(scores, weights):
    """ndarray.mean and ndarray.std of the terms, as reinforce_gradient always computed them."""
    terms = scores * weights.reshape((len(weights),) + (1,) * (scores.ndim - 1))
    if len(weights) == 1:
        return terms.mean(axis=0), None
    return terms.mean(axis=0), terms.std(axis=0, ddof=1) / math.sqrt(len(weights))


@pytest.mark.parametrize("shape", [(1, 2), (2, 2), (3, 3), (7, 2, 3), (11, 3, 4), (10, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_reinforce_gradient_adds_in_numpys_order(shape, dtype, blocks_of_three):
    rng = np.random.default_rng(sum(shape))
    # (every floating input of this dtype: float64 returns would make the results float64)
    scores, returns = rng.normal(size=shape).astype(dtype), rng.normal(size=shape[0]).astype(dtype)
    estimate, stderr = g.reinforce_gradient(scores, returns)
    expected = _exact_reinforce(scores, returns.astype(dtype))
    assert_bitwise(estimate, expected[0])
    if shape[0] == 1:
        assert np.isinf(stderr).all()
    else:
        assert_bitwise(stderr, expected[1])
    for baseline in ("mean", 0.5, rng.normal(size=shape[0]).astype(dtype)):
        weights = returns - (returns.mean() if isinstance(baseline, str) else baseline)
        assert_bitwise(g.reinforce_gradient(scores, returns, baseline)[0],
                       _exact_reinforce(scores, weights.astype(dtype))[0])


def test_reinforce_gradient_of_strided_scores_is_numpys():
    rng = np.random.default_rng(5)
    scores, returns = rng.normal(size=(9, 4, 6))[:, :, ::2], rng.normal(size=9)
    for ours, theirs in zip(g.reinforce_gradient(scores, returns), _exact_reinforce(scores, returns)):
        assert_bitwise(ours, theirs)


@pytest.mark.parametrize("n", [1, 2, 5, 7, 4097])
def test_the_fused_reinforce_gradient_sums_as_accurately_as_one_product(n, monkeypatch):
    """Its block sums add in another order than one BLAS product: the two may differ in the
    last bits, each within a few rounding errors of the sum of the terms' magnitudes."""
    if n < 10:
        monkeypatch.setattr(g, "_SMALLEST_BLOCK", 3)
        monkeypatch.setattr(g, "_BLOCK_BYTES", 1)
    rng = np.random.default_rng(n)
    theta, features = rng.normal(size=(D, A)), rng.normal(size=(n, D))
    actions, returns = rng.integers(0, A, size=n), rng.normal(size=n)
    terms = whole_array("softmax_score", theta, features, actions) * returns[:, None, None]
    estimate, stderr = g.softmax_reinforce_gradient(theta, features, actions, returns)
    scale = np.abs(terms).sum(axis=0) / n
    assert np.all(np.abs(estimate - terms.mean(axis=0)) <= 8 * np.finfo(float).eps * scale * np.log2(n + 1) + 1e-300)
    if n > 1:
        assert np.allclose(stderr, np.sqrt(np.maximum(
            (terms**2).mean(axis=0) - terms.mean(axis=0)**2, 0) * n / (n - 1) / n), rtol=1e-9, atol=1e-15)


# -- out= ----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", SCORES)
@pytest.mark.parametrize("n", [0, 1, 7])
def test_out_receives_the_scores_and_is_returned(name, n, blocks_of_three):
    arguments = arguments_of(name, exact_case(n, seed=n))
    expected = getattr(g, name)(*arguments)
    if isinstance(expected, tuple):
        out = tuple(np.full_like(part, np.nan) for part in expected)
        result = getattr(g, name)(*arguments, out=out)
        assert all(r is o for r, o in zip(result, out))
    else:
        out = np.full_like(expected, np.nan)  # every entry, the zeros too, must be written
        result = getattr(g, name)(*arguments, out=out)
        assert result is out
    assert_bitwise(result, expected)


@pytest.mark.parametrize("name", ["softmax_score", "tabular_softmax_score"])
def test_out_may_be_a_strided_view(name, blocks_of_three):
    arguments = arguments_of(name, exact_case(8, seed=1))
    expected = getattr(g, name)(*arguments)
    storage = np.full(expected.shape[:-1] + (2 * expected.shape[-1],), np.nan)
    out = storage[..., ::2]
    assert getattr(g, name)(*arguments, out=out) is out
    assert np.array_equal(out, expected) and np.isnan(storage[..., 1::2]).all()


def test_gaussian_out_may_be_strided_views(blocks_of_three):
    arguments = arguments_of("gaussian_score", exact_case(8, seed=1))
    expected = g.gaussian_score(*arguments)
    out = (np.empty((8, D, 2 * K))[:, :, ::2], np.empty((16, K))[::2])
    g.gaussian_score(*arguments, out=out)
    assert np.array_equal(out[0], expected[0]) and np.array_equal(out[1], expected[1])


def _softmax_arguments(n=5):
    return (np.zeros((3, 4)), np.zeros((n, 3)), np.zeros(n, dtype=int))


BAD_OUT = [
    (np.empty((5, 3, 3)), r"out must have shape \(N, d, A\) = \(5, 3, 4\), got \(5, 3, 3\)"),
    (np.empty((4, 3, 4)), r"out must have shape \(N, d, A\) = \(5, 3, 4\), got \(4, 3, 4\)"),
    (np.empty(60), r"out must have shape \(N, d, A\) = \(5, 3, 4\), got \(60,\)"),
    (np.empty((5, 3, 4), dtype=np.float32), "out must have dtype float64 .*, got float32"),
    (np.empty((5, 3, 4), dtype=np.int64), "out must have dtype float64 .*, got int64"),
    ([[[0.0] * 4] * 3] * 5, "out must be a NumPy array of shape \\(N, d, A\\) = \\(5, 3, 4\\) and dtype float64, got list"),
]


@pytest.mark.parametrize("out,message", BAD_OUT)
def test_a_wrong_out_is_refused_with_a_clear_message(out, message):
    with pytest.raises(ValueError, match=message):
        g.softmax_score(*_softmax_arguments(), out=out)


def test_out_is_checked_before_anything_is_written():
    out = np.full((5, 3, 4), 7.0)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out must be writeable"):
        g.softmax_score(*_softmax_arguments(), out=out)
    out = np.full((5, 3, 3), 7.0)
    with pytest.raises(ValueError):
        g.softmax_score(*_softmax_arguments(), out=out)
    assert (out == 7.0).all()


def test_float32_inputs_need_a_float32_out():
    theta, features, actions = _softmax_arguments()
    theta32, features32 = theta.astype(np.float32), features.astype(np.float32)
    with pytest.raises(ValueError, match="out must have dtype float32 .*, got float64"):
        g.softmax_score(theta32, features32, actions, out=np.empty((5, 3, 4)))
    out = np.empty((5, 3, 4), dtype=np.float32)
    assert g.softmax_score(theta32, features32, actions, out=out) is out
    with pytest.raises(ValueError, match="out must have dtype float64"):  # mixed: float64
        g.softmax_score(theta32, features, actions, out=out)


def test_out_may_not_share_memory_with_an_input():
    storage = np.zeros(5 * 3 * 4 + 15)
    features, out = storage[:15].reshape(5, 3), storage[15:].reshape(5, 3, 4)
    g.softmax_score(np.zeros((3, 4)), features, np.zeros(5, dtype=int), out=out)  # apart: fine
    features = storage[-15:].reshape(5, 3)
    with pytest.raises(ValueError, match="out must not share memory with features"):
        g.softmax_score(np.zeros((3, 4)), features, np.zeros(5, dtype=int), out=out)


def test_bad_tabular_and_gaussian_outs_are_refused():
    with pytest.raises(ValueError, match=r"out must have shape \(N, S, A\) = \(2, 2, 3\), got \(2, 3, 2\)"):
        g.tabular_softmax_score(np.zeros((2, 3)), [0, 1], [2, 0], out=np.empty((2, 3, 2)))
    arguments = (np.zeros((3, 2)), np.zeros(2), np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"out must be a pair of arrays, of shapes \(N, d, k\) = \(4, 3, 2\) "
                                         r"and \(N, k\) = \(4, 2\), got ndarray"):
        g.gaussian_score(*arguments, out=np.empty((4, 3, 2)))
    with pytest.raises(ValueError, match=r"out\[1\] must have shape \(N, k\) = \(4, 2\), got \(4, 3\)"):
        g.gaussian_score(*arguments, out=(np.empty((4, 3, 2)), np.empty((4, 3))))
    with pytest.raises(ValueError, match=r"out\[0\] must have dtype float64"):
        g.gaussian_score(*arguments, out=(np.empty((4, 3, 2), dtype=np.float32), np.empty((4, 2))))
    shared = np.empty(4 * 3 * 2)
    with pytest.raises(ValueError, match=r"out\[1\] must not share memory with out\[0\]"):
        g.gaussian_score(*arguments, out=(shared.reshape(4, 3, 2), shared[:8].reshape(4, 2)))


# -- input checks, now made block by block ----------------------------------------------------
@pytest.mark.parametrize("name", ["softmax_log_prob", "softmax_score", "softmax_probabilities",
                                  "softmax_reinforce_gradient"])
def test_a_value_that_is_not_finite_in_a_late_block_is_named_at_its_index(name, blocks_of_three):
    case = exact_case(10)
    case["features"][8, 1] = np.inf
    arguments = (case["theta"], case["features"], case["actions"], np.ones(10))
    arguments = arguments[:2] if name == "softmax_probabilities" else \
        arguments if name == "softmax_reinforce_gradient" else arguments[:3]
    with pytest.raises(ValueError, match=r"features must be finite, got inf at index \(8, 1\)"):
        getattr(g, name)(*arguments)


def test_the_first_of_several_errors_is_the_one_the_checks_always_named_first(blocks_of_three):
    case = exact_case(10)
    case["features"][8, 1] = np.nan
    actions = case["actions"].copy()
    actions[0] = A  # out of range, in the first block
    with pytest.raises(ValueError, match=r"features must be finite, got nan at index \(8, 1\)"):
        g.softmax_score(case["theta"], case["features"], actions)
    arguments = [case["weights"], case["log_std"], case["features"], case["continuous"].copy()]
    arguments[3][1, 0] = np.nan  # the actions' NaN is in an earlier block than the features'
    for function in (g.gaussian_score, g.gaussian_log_prob):
        with pytest.raises(ValueError, match=r"features must be finite, got nan at index \(8, 1\)"):
            function(*arguments)
    arguments[2] = case["features"].copy()
    arguments[2][8, 1] = 0.0
    with pytest.raises(ValueError, match=r"actions must be finite, got nan at index \(1, 0\)"):
        g.gaussian_score(*arguments)


def test_scores_that_are_not_finite_are_named_at_their_index(blocks_of_three):
    scores = np.zeros((10, 2, 2))
    scores[9, 1, 0] = -np.inf
    with pytest.raises(ValueError, match=r"scores must be finite, got -inf at index \(9, 1, 0\)"):
        g.reinforce_gradient(scores, np.ones(10))
    with pytest.raises(ValueError, match=r"scores must be finite, got -inf at index \(9, 1, 0\)"):
        g.reinforce_gradient(scores, np.ones(3))  # before the returns' shape, as always


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_huge_finite_features_whose_sum_overflows_are_accepted(blocks_of_three):
    features = np.full((7, D), 1e308)
    probabilities = g.softmax_probabilities(np.zeros((D, A)), features)
    assert np.array_equal(probabilities, np.full((7, A), 0.25))
