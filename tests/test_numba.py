"""The Numba kernels (pgsym.gradients._kernels_numba, printed by codegen from the same verified
expressions as the NumPy ones) and the compiled loops around them (pgsym.gradients._numba_loops):
the committed module is what codegen prints; each kernel agrees with its NumPy kernel; every
function of pgsym.gradients gives the NumPy path's results (to 1e-12, float32 to its own
precision), the same errors and the same out= behaviour; the scores are finite differences
of the log-probabilities.

The tests skip where numba is not installed, except with PGSYM_REQUIRE_BACKENDS=1 (as in CI,
which installs it with the test extra), where they fail.
"""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pgsym
from pgsym import codegen
from pgsym import gradients as g
from pgsym.gradients import _kernels

from tests.conftest import HEAVY_NUMBA

# (numba is imported by the tests, not here: collecting this file in every worker would load
# it into both, and a process holding it forks slower: tests/conftest.py)
if importlib.util.find_spec("numba") is None:
    if os.environ.get("PGSYM_REQUIRE_BACKENDS") == "1":
        raise ImportError("PGSYM_REQUIRE_BACKENDS=1 but numba is not installed")
    pytest.skip("numba is not installed (pip install \"pgsym[numba]\")", allow_module_level=True)


def _loops():
    """pgsym.gradients._numba_loops, the compiled loops (imported at the first call)."""
    from pgsym.gradients import _numba_loops
    return _numba_loops


def _kernels_numba():
    """pgsym.gradients._kernels_numba, the printed Numba kernels (imported at the first call)."""
    from pgsym.gradients import _kernels_numba
    return _kernels_numba

pytestmark = pytest.mark.xdist_group(HEAVY_NUMBA)  # (tests/conftest.py: why, and when)

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
FUNCTIONS = ("softmax_log_prob", "softmax_probabilities", "softmax_score",
             "softmax_reinforce_gradient", "tabular_softmax_log_prob", "tabular_softmax_score",
             "gaussian_log_prob", "gaussian_score", "reinforce_gradient")


def case(seed: int, n: int, d: int, a: int, k: int, dtype=np.float64, scale: float = 1.0):
    rng = np.random.default_rng(seed)
    x = {
        "theta": rng.normal(size=(d, a)) * scale, "features": rng.normal(size=(n, d)),
        "actions": rng.integers(0, a, size=n), "returns": rng.normal(size=n),
        "table": rng.normal(size=(d, a)) * scale, "states": rng.integers(0, d, size=n),
        "weights": rng.normal(size=(d, k)), "log_std": rng.normal(size=k) * 0.3,
        "continuous": rng.normal(size=(n, k)) * 2, "scores": rng.normal(size=(n, d, a)),
    }
    return {key: v.astype(dtype) if v.dtype.kind == "f" else v for key, v in x.items()}


def arguments(name: str, x: dict) -> tuple:
    return {
        "softmax_log_prob": (x["theta"], x["features"], x["actions"]),
        "softmax_probabilities": (x["theta"], x["features"]),
        "softmax_score": (x["theta"], x["features"], x["actions"]),
        "softmax_reinforce_gradient": (x["theta"], x["features"], x["actions"], x["returns"]),
        "tabular_softmax_log_prob": (x["table"], x["states"], x["actions"]),
        "tabular_softmax_score": (x["table"], x["states"], x["actions"]),
        "gaussian_log_prob": (x["weights"], x["log_std"], x["features"], x["continuous"]),
        "gaussian_score": (x["weights"], x["log_std"], x["features"], x["continuous"]),
        "reinforce_gradient": (x["scores"], x["returns"]),
    }[name]


def both_paths(monkeypatch, name, *args, **kwargs):
    """(the result with the Numba kernels, the result with the NumPy kernels alone)."""
    function = getattr(g, name)
    monkeypatch.setattr(g, "_numba_kernels", _loops())
    compiled = function(*args, **kwargs)
    monkeypatch.setattr(g, "_numba_kernels", None)
    plain = function(*args, **kwargs)
    return compiled, plain


def assert_agree(ours, theirs, dtype=np.float64):
    if isinstance(theirs, tuple):
        for a, b in zip(ours, theirs, strict=True):
            assert_agree(a, b, dtype)
        return
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    tolerance = 1e-12 if dtype == np.float64 else 1e-5
    scale = max(1.0, float(np.max(np.abs(theirs), initial=0.0)))
    np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance * scale)


# -- the generated module -------------------------------------------------------------------
def test_the_committed_numba_kernels_are_what_codegen_prints_from_the_same_expressions():
    import derivations
    from derivations import policy_scores

    notes = {d.name: d for d in policy_scores.build()}
    preview = codegen.module_sources(derivations.KERNELS, notes, verified=False,
                                     package="derivations", backends=("numba",))["numba"]
    current = "".join(line for line in preview.splitlines(True)
                      if not line.startswith("# NOT VERIFIED"))
    path = codegen.backend_file(codegen.KERNELS_PATH, "numba")
    assert path.name == "_kernels_numba.py"
    assert path.read_text() == current, f"{path.name} is out of date: run `pgsym build`"

    def comments(text):
        return re.findall(r"^# (?:from|sha256): .*$", text, flags=re.MULTILINE)

    assert comments(path.read_text()) == comments(codegen.KERNELS_PATH.read_text())


def test_numba_is_refused_for_batch_first_functions_with_a_reason():
    x = sp.Symbol("x", real=True)
    with pytest.raises(codegen.BuildError, match="batch-last only"):
        pgsym.compile(x, {"x": x}, backend="numba", verified=False)
    kernel = codegen.Kernel("f", arguments={"x": x}, outputs=(codegen.Output(x + 1),))
    with pytest.raises(codegen.BuildError, match="batch-last only"):
        codegen.preview(kernel, backend="numba")


def test_a_preview_prints_loops_that_write_each_result_once():
    c = sp.Symbol("c", integer=True)
    z, m = sp.IndexedBase("z"), sp.Symbol("m", real=True)
    n = sp.Symbol("n", integer=True, positive=True)
    expression = sp.exp(z[c] - m) / sp.Sum(sp.exp(z[c] - m), (c, 0, n - 1))
    kernel = codegen.Kernel("p", arguments={"z": z, "m": m}, outputs=(codegen.Output(expression),),
                            axis=(c,), batch="last")
    source = codegen.preview(kernel, backend="numba")
    assert source.startswith("@numba.njit(cache=True")
    assert "def p(z, m, out):" in source
    assert source.count("math.exp(") == 1  # the common subexpression, once
    assert source.count("out[_c, _n] =") == 1


# -- each kernel against NumPy's --------------------------------------------------------------
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 40), a=st.integers(1, 6),
       d=st.integers(1, 5), dtype=st.sampled_from([np.float64, np.float32]))
def test_every_kernel_agrees_with_the_numpy_kernel(seed, n, a, d, dtype):
    rng = np.random.default_rng(seed)
    logits = (rng.normal(size=(a, n)) * 3).astype(dtype)
    shift = logits.max(axis=0, keepdims=True) if n else np.zeros((1, 0), dtype)
    chosen = logits[:1]
    features = rng.normal(size=(n, d)).astype(dtype).T
    onehot = (rng.integers(0, a, size=n) == np.arange(a)[:, None]).astype(dtype)
    cofactor = rng.normal(size=(a, n)).astype(dtype)
    means, actions = rng.normal(size=(a, n)).astype(dtype), rng.normal(size=(a, n)).astype(dtype)
    log_std = (rng.normal(size=(a, 1)) * 0.5).astype(dtype)
    cases = {
        "softmax_log_prob": ((chosen, shift, logits), [(1, n)]),
        "softmax_probabilities": ((logits, shift), [(a, n)]),
        "softmax_score": ((features, cofactor), [(n, d, a)]),
        "softmax_score_cofactor": ((onehot, _kernels.softmax_probabilities(logits, shift)), [(a, n)]),
        "gaussian_log_prob": ((actions, means, log_std), [(1, n)]),
        "gaussian_score_cofactors": ((actions, means, log_std), [(a, n), (a, n)]),
        "gaussian_weights_score": ((features, cofactor), [(n, d, a)]),
    }
    for name, (args, shapes) in cases.items():
        expected = getattr(_kernels, name)(*args)
        expected = expected if isinstance(expected, tuple) else (expected,)
        outs = [np.full(shape, np.nan, dtype) for shape in shapes]
        received = getattr(_kernels_numba(), name)(*args, *outs)
        received = received if isinstance(received, tuple) else (received,)
        for got, want, out in zip(received, expected, outs, strict=True):
            assert got is out
            want = np.broadcast_to(want, got.shape)
            tolerance = 1e-12 if dtype == np.float64 else 1e-5
            np.testing.assert_allclose(got, want.astype(dtype), rtol=tolerance,
                                       atol=tolerance, err_msg=name)


def test_the_products_over_two_axes_are_the_numpy_products_bit_for_bit_but_for_the_sign_of_zero():
    rng = np.random.default_rng(0)
    features, cofactor = rng.normal(size=(5, 300)), rng.normal(size=(4, 300))
    features[0, :7] = 0.0
    expected = _kernels.softmax_score(features, cofactor)
    received = _kernels_numba().softmax_score(features, np.asfortranarray(cofactor),
                                            np.empty((300, 5, 4)))
    # numpy.einsum adds each product to 0 (0 + -0.0 is 0.0); the loop writes the product
    assert (received + 0.0).tobytes() == (expected + 0.0).tobytes()


# -- every function against the NumPy path -------------------------------------------------------
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 700), d=st.integers(1, 6),
       a=st.integers(1, 5), k=st.integers(1, 3), dtype=st.sampled_from([np.float64, np.float32]),
       scale=st.sampled_from([1.0, 30.0]))
def test_every_function_gives_the_numpy_paths_results(monkeypatch, seed, n, d, a, k, dtype, scale):
    x = case(seed, n, d, a, k, dtype, scale)
    for name in FUNCTIONS:
        compiled, plain = both_paths(monkeypatch, name, *arguments(name, x))
        assert_agree(compiled, plain, dtype)


def test_out_buffers_are_written_and_returned_as_by_the_numpy_path(monkeypatch):
    x = case(1, 1000, 4, 3, 2)
    for name, shapes in (("softmax_score", None), ("gaussian_score", None)):
        expected = getattr(g, name)(*arguments(name, x))
        for path in (_loops(), None):
            monkeypatch.setattr(g, "_numba_kernels", path)
            if isinstance(expected, tuple):
                out = tuple(np.full_like(e, np.nan) for e in expected)
                received = getattr(g, name)(*arguments(name, x), out=out)
                assert all(r is o for r, o in zip(received, out))
            else:
                out = np.full_like(expected, np.nan)
                received = getattr(g, name)(*arguments(name, x), out=out)
                assert received is out
            assert_agree(received, expected)
    # a strided out= (every other sample of a bigger array) is written in place too
    monkeypatch.setattr(g, "_numba_kernels", _loops())
    big = np.zeros((2000, 4, 2))
    weights_score, _ = g.gaussian_score(*arguments("gaussian_score", x),
                                        out=(big[::2], np.zeros((1000, 2))))
    assert np.shares_memory(weights_score, big) and not big[1::2].any()
    assert_agree(big[::2], g.gaussian_score(*arguments("gaussian_score", x))[0])


@pytest.mark.parametrize("name", ["softmax_score", "gaussian_log_prob", "gaussian_score"])
@pytest.mark.parametrize("where", ["nan", "inf"])
def test_a_non_finite_input_raises_the_numpy_paths_error(monkeypatch, name, where):
    x = case(2, 2000, 4, 3, 2)
    x["features"][1500, 2] = np.nan if where == "nan" else np.inf
    messages = []
    for path in (_loops(), None):
        monkeypatch.setattr(g, "_numba_kernels", path)
        with pytest.raises(ValueError) as error:
            getattr(g, name)(*arguments(name, x))
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert "features must be finite" in messages[0] and "(1500, 2)" in messages[0]


def test_non_contiguous_inputs_give_the_same_results(monkeypatch):
    x = case(3, 600, 4, 3, 2)
    features = np.asfortranarray(x["features"])
    actions = np.ascontiguousarray(np.repeat(x["continuous"], 2, axis=0)[::2])
    for name in ("gaussian_log_prob", "gaussian_score"):
        compiled, plain = both_paths(monkeypatch, name, x["weights"], x["log_std"][::1], features,
                                     actions)
        assert_agree(compiled, plain)


# -- derivatives ------------------------------------------------------------------------------
@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 4), k=st.integers(1, 3))
def test_the_gaussian_scores_are_finite_differences_of_the_log_density(seed, d, k):
    x = case(seed, 5, d, 2, k)
    weights, log_std, features, actions = arguments("gaussian_score", x)
    weights_score, log_std_score = g.gaussian_score(weights, log_std, features, actions)
    step = 1e-6
    for i in range(d):
        for c in range(k):
            up, down = weights.copy(), weights.copy()
            up[i, c] += step
            down[i, c] -= step
            numeric = (g.gaussian_log_prob(up, log_std, features, actions)
                       - g.gaussian_log_prob(down, log_std, features, actions)) / (2 * step)
            np.testing.assert_allclose(weights_score[:, i, c], numeric, rtol=1e-5, atol=1e-6)
    for c in range(k):
        up, down = log_std.copy(), log_std.copy()
        up[c] += step
        down[c] -= step
        numeric = (g.gaussian_log_prob(weights, up, features, actions)
                   - g.gaussian_log_prob(weights, down, features, actions)) / (2 * step)
        np.testing.assert_allclose(log_std_score[:, c], numeric, rtol=1e-5, atol=1e-6)


@SETTINGS
@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 4), a=st.integers(1, 4))
def test_the_softmax_scores_are_finite_differences_of_the_log_probability(seed, d, a):
    x = case(seed, 5, d, a, 1)
    theta, features, actions = arguments("softmax_score", x)
    score = g.softmax_score(theta, features, actions)
    step = 1e-6
    for i in range(d):
        for c in range(a):
            up, down = theta.copy(), theta.copy()
            up[i, c] += step
            down[i, c] -= step
            numeric = (g.softmax_log_prob(up, features, actions)
                       - g.softmax_log_prob(down, features, actions)) / (2 * step)
            np.testing.assert_allclose(score[:, i, c], numeric, rtol=1e-5, atol=1e-6)


# -- compiling ------------------------------------------------------------------------------------
def test_a_fresh_process_runs_the_compiled_code_from_the_cache():
    """The compiled code is kept on disk (Numba's cache beside the modules): a second process
    loads it instead of compiling, which takes seconds per function."""
    code = ("import numpy as np; from pgsym import gradients as g; "
            "g.gaussian_score(np.zeros((2, 1)), np.zeros(1), np.ones((3, 2)), np.ones((3, 1)))")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # fills it
    # (what Numba says it did, not how long it took: a busy machine made a timing fail)
    said = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                          text=True, env={**os.environ, "NUMBA_DEBUG_CACHE": "1"}).stdout
    assert "[cache] data loaded from" in said and "data saved to" not in said, said[-2000:]


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("row", [0, 700, 1999])
def test_reinforce_names_a_non_finite_score_as_the_numpy_path_does(monkeypatch, bad, row):
    x = case(4, 2000, 3, 2, 1)
    scores = x["scores"].copy()
    scores[row, 1, 0] = bad
    messages = []
    for path in (_loops(), None):
        monkeypatch.setattr(g, "_numba_kernels", path)
        with pytest.raises(ValueError) as error:
            g.reinforce_gradient(scores, x["returns"])
        messages.append(str(error.value))
    assert messages[0] == messages[1] and f"({row}, 1, 0)" in messages[0]


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # NumPy's
def test_reinforce_sums_that_overflow_are_infinite_as_in_the_numpy_path(monkeypatch):
    """Finite scores whose sum overflows are refused on both paths, as an overflow (not as a
    bad score), and a bad score after them is still named."""
    x = case(5, 2000, 3, 2, 1)
    scores = x["scores"].copy()
    scores[:600] = 1e308
    for kernels in (_loops(), None):
        monkeypatch.setattr(g, "_numba_kernels", kernels)
        with pytest.raises(ValueError, match="reinforce_gradient: an intermediate overflowed"):
            g.reinforce_gradient(scores, np.ones(2000))
    scores[1500, 0, 0] = np.nan
    monkeypatch.setattr(g, "_numba_kernels", _loops())
    with pytest.raises(ValueError, match=r"scores must be finite, got nan at index \(1500, 0, 0\)"):
        g.reinforce_gradient(scores, np.ones(2000))


def test_reinforce_is_the_numpy_paths_result_bit_for_bit(monkeypatch):
    rng = np.random.default_rng(6)
    for dtype in (np.float64, np.float32):
        for n in (1, 2, 257, 3001):
            scores = rng.normal(size=(n, 3, 4)).astype(dtype)
            for baseline in (None, "mean", 0.5):
                compiled, plain = both_paths(monkeypatch, "reinforce_gradient", scores,
                                             rng.normal(size=n), baseline)
                for a, b in zip(compiled, plain):
                    assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
