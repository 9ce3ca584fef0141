"""Hostile review 12: finite inputs whose intermediates overflow, out= subclasses and
self-overlapping out=, float64 returns beside float32 scores, big-endian inputs; each on the
Numba path (where numba is installed) and the NumPy path."""
import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import pgsym.gradients as g
from tests.conftest import HEAVY_NUMBA

pytestmark = pytest.mark.xdist_group(HEAVY_NUMBA)  # (tests/conftest.py: why, and when)


@pytest.fixture(params=["numba", "numpy"])
def path(request, monkeypatch):
    monkeypatch.setattr(g, "_numba_kernels", "auto" if request.param == "numba" else None)
    return request.param


@pytest.mark.parametrize("dtype, log_std", [(np.float64, -400.0), (np.float32, -50.0)])
def test_gaussian_log_std_where_the_precision_overflows_is_refused(path, dtype, log_std):
    args = (np.zeros((1, 1), dtype), np.array([log_std], dtype), np.ones((1, 1), dtype),
            np.zeros((1, 1), dtype))
    for function in (g.gaussian_log_prob, g.gaussian_score):
        with pytest.raises(ValueError, match="log_std must be at least .* overflows"):
            function(*args)
    # just above the threshold: finite and right
    ok = np.array([-354.0 if dtype == np.float64 else -44.0], dtype)
    lp = g.gaussian_log_prob(args[0], ok, args[2], args[3])
    assert np.isfinite(lp).all()


def test_gaussian_intermediate_overflow_is_refused(path):
    args = (np.zeros((1, 1)), np.array([300.0]), np.ones((1, 1)), np.array([[1e200]]))
    with pytest.raises(ValueError,
                       match="gaussian_log_prob: an intermediate overflowed at sample 0"):
        g.gaussian_log_prob(*args)
    with pytest.raises(ValueError, match="gaussian_score: an intermediate overflowed at sample 0"):
        g.gaussian_score(*args)


def test_softmax_logits_overflow_is_refused(path):
    theta = np.array([[1.0, 0.0], [1.0, 0.0]])
    phi = np.vstack([np.ones((5, 2)), [[1e308, 1e308]]])
    actions = [0] * 6
    for function, args in ((g.softmax_probabilities, (theta, phi)),
                           (g.softmax_log_prob, (theta, phi, actions)),
                           (g.softmax_score, (theta, phi, actions)),
                           (g.softmax_reinforce_gradient, (theta, phi, actions, np.ones(6)))):
        with pytest.raises(ValueError, match=f"{function.__name__}: an intermediate overflowed"
                                             ".*logits"):
            function(*args)


def test_reinforce_sum_overflow_is_refused(path):
    scores = np.ones((3, 2))
    with pytest.raises(ValueError, match="reinforce_gradient: an intermediate overflowed"):
        g.reinforce_gradient(scores, np.full(3, 1e308))


def test_softmax_probabilities_without_actions_is_refused():
    with pytest.raises(ValueError, match="theta must have at least one action column"):
        g.softmax_probabilities(np.zeros((2, 0)), np.ones((3, 2)))


@pytest.mark.parametrize("make", [lambda s: np.ma.masked_all(s),
                                  lambda s: np.asmatrix(np.empty((s[0], s[1] * s[2])))])
def test_out_subclass_is_refused(path, make):
    out = make((1, 1, 2))
    with pytest.raises(ValueError, match="out must be a plain numpy.ndarray"):
        g.softmax_score(np.zeros((1, 2)), np.ones((1, 1)), [0], out=out)


def test_out_memmap_is_accepted(path, tmp_path):
    out = np.memmap(tmp_path / "m.bin", np.float64, "w+", shape=(1, 1, 2))
    g.softmax_score(np.zeros((1, 2)), np.ones((1, 1)), [0], out=out)
    assert out.tolist() == [[[0.5, -0.5]]]


def test_self_overlapping_out_is_refused(path):
    base = np.zeros((1, 2))
    out = as_strided(base, (3, 1, 2), (0,) + base.strides)
    with pytest.raises(ValueError, match="out must not overlap itself"):
        g.softmax_score(np.zeros((1, 2)), np.array([[1.0], [2.0], [3.0]]), [0, 1, 0], out=out)
    overlapping = as_strided(np.zeros(3), (2, 2), (8, 8))   # [1, 0] is [0, 1]
    with pytest.raises(ValueError, match=r"out\[1\] must not overlap itself"):
        g.gaussian_score(np.zeros((1, 2)), np.zeros(2), np.ones((2, 1)), np.zeros((2, 2)),
                         out=(np.empty((2, 1, 2)), overlapping))


@pytest.mark.parametrize("layout", ["C", "F", "sliced", "reversed"])
def test_ordinary_out_layouts_are_accepted(path, layout):
    theta, phi, acts = np.zeros((2, 3)), np.arange(8.0).reshape(4, 2), [0, 1, 2, 0]
    expected = g.softmax_score(theta, phi, acts)
    if layout == "C":
        out = np.empty((4, 2, 3))
    elif layout == "F":
        out = np.empty((4, 2, 3), order="F")
    elif layout == "sliced":
        out = np.empty((8, 2, 6))[::2, :, ::2]
    else:
        out = np.empty((4, 2, 3))[::-1, :, ::-1]
    np.testing.assert_array_equal(g.softmax_score(theta, phi, acts, out=out), expected)


def test_float64_returns_are_not_cast_down(path):
    scores = np.array([[1e-3, 1.0], [1e-3, 1.0]], np.float32)
    estimate, stderr = g.reinforce_gradient(scores, np.array([1e40, 1e40]))
    assert estimate.dtype == np.float64 and np.isfinite(estimate).all()
    np.testing.assert_allclose(estimate, scores.astype(float).mean(0) * 1e40, rtol=1e-12)
    estimate, _ = g.reinforce_gradient(scores[:, :1], np.array([1e40, 1e40]))  # one column
    assert estimate.dtype == np.float64 and np.isfinite(estimate).all()
    estimate, _ = g.reinforce_gradient(scores, np.array([1 + 1e-12, 1.0]))
    assert estimate[1] == (1 + 1e-12 + 1) / 2
    # every floating input float32, or integer returns, or a Python number baseline: float32
    assert g.reinforce_gradient(scores, np.ones(2, np.float32))[0].dtype == np.float32
    assert g.reinforce_gradient(scores, [1, 2], baseline=0.5)[0].dtype == np.float32
    theta, phi = np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)
    estimate, _ = g.softmax_reinforce_gradient(theta, phi, [0, 1], np.array([1e40, 0.0]))
    assert estimate.dtype == np.float64
    np.testing.assert_allclose(estimate, [[2.5e39, -2.5e39]] * 2, rtol=1e-12)
    assert g.softmax_reinforce_gradient(theta, phi, [0, 1], np.ones(2, np.float32))[0].dtype \
        == np.float32


def test_big_endian_floats_are_accepted(path):
    theta = np.array([[0.3, -0.2]])
    phi = np.array([[1.0], [2.0]])
    expected = g.softmax_score(theta, phi, [0, 1])
    got = g.softmax_score(theta.astype(">f8"), phi.astype(">f8"), [0, 1])
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float64 and got.dtype.isnative
    lp = g.gaussian_log_prob(np.zeros((1, 1), ">f4"), np.zeros(1, ">f4"), np.ones((1, 1), ">f4"),
                             np.zeros((1, 1), ">f4"))
    assert lp.dtype == np.float32
