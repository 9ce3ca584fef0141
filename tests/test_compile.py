"""pgsym.compile: NumPy functions from the verified last step of a derivation, checked against
finite differences of the derivation's start expression, on derivations written here."""
import hashlib

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pgsym
from pgsym import Derivation
from pgsym.codegen import BuildError, NotVerifiedError
from tests.conftest import HEAVY_JAX_TORCH

theta = sp.IndexedBase("theta", real=True)
b = sp.Symbol("b", integer=True, nonnegative=True)
c = sp.Symbol("c", integer=True, nonnegative=True)
m = sp.Symbol("m", real=True)
x, mu = sp.symbols("x mu", real=True)
sigma = sp.Symbol("sigma", positive=True)
K = 3
total = sp.Sum(sp.exp(theta[b]), (b, 0, K - 1))
log_softmax_0 = sp.log(sp.exp(theta[0]) / total)
log_density = sp.log(sp.exp(-(x - mu)**2 / (2 * sigma**2)) / (sp.sqrt(2 * sp.pi) * sigma))


def softmax_score() -> Derivation:
    """d/d theta_0 of log pi(0) for a softmax over K = 3 logits."""
    d = Derivation("d/dtheta_0 log softmax_0, K=3", start=sp.Derivative(log_softmax_0, theta[0]))
    d.step(sp.Derivative(theta[0] - sp.log(total), theta[0]), rule="algebra")
    d.step(1 - sp.exp(theta[0]) / total, rule="algebra")
    return d


def gaussian_score() -> Derivation:
    """d/d mu of log N(x; mu, sigma^2)."""
    d = Derivation("Gaussian score in the mean", start=sp.Derivative(log_density, mu))
    d.step(sp.Derivative(-(x - mu)**2 / (2 * sigma**2) - sp.log(sp.sqrt(2 * sp.pi) * sigma), mu),
           rule="algebra")
    d.step((x - mu) / sigma**2, rule="algebra")
    return d


def shifted_softmax() -> Derivation:
    """pi(c) for every c at once, with the logits shifted by any m."""
    d = Derivation("softmax with a shift, K=3", start=sp.exp(theta[c]) / total, parameters=(m,))
    d.step(sp.exp(theta[c] - m) / sp.Sum(sp.exp(theta[b] - m), (b, 0, K - 1)), rule="algebra")
    return d


@pytest.fixture(scope="module")
def softmax():
    return pgsym.compile(softmax_score(), {"theta": theta})


@pytest.fixture(scope="module")
def gaussian():
    return pgsym.compile(gaussian_score(), {"x": x, "mu": mu, "sigma": sigma})


# the start expressions, evaluated by SymPy's own lambdify (not by pgsym's printer)
_logits = sp.symbols("t0:3", real=True)
_log_softmax_0 = sp.lambdify(_logits, log_softmax_0.doit().subs(
    {theta[k]: _logits[k] for k in range(K)}), "numpy")
_log_density = sp.lambdify((x, mu, sigma), log_density, "numpy")


def central_difference(f, at: np.ndarray, step: np.ndarray) -> np.ndarray:
    return (f(at + step) - f(at - step)) / (2 * np.abs(step).sum(axis=-1))


@settings(max_examples=60)
@given(hnp.arrays(np.float64, st.tuples(st.integers(0, 12), st.just(K)),
                  elements=st.floats(-6, 6)))
def test_the_softmax_score_is_the_derivative_of_the_start_expression(softmax, logits):
    h = 1e-5
    numeric = central_difference(lambda t: _log_softmax_0(*t.T), logits, np.array([h, 0, 0]))
    assert softmax(logits).shape == (len(logits),)
    np.testing.assert_allclose(softmax(logits), numeric, rtol=1e-6, atol=1e-8)


@settings(max_examples=60)
@given(st.integers(0, 12).flatmap(lambda n: st.tuples(
    hnp.arrays(np.float64, n, elements=st.floats(-5, 5)),
    hnp.arrays(np.float64, n, elements=st.floats(-5, 5)),
    hnp.arrays(np.float64, n, elements=st.floats(0.3, 4)))))
def test_the_gaussian_score_is_the_derivative_of_the_start_expression(gaussian, samples):
    xs, mus, sigmas = samples
    h = 1e-5
    numeric = (_log_density(xs, mus + h, sigmas) - _log_density(xs, mus - h, sigmas)) / (2 * h)
    np.testing.assert_allclose(gaussian(xs, mus, sigmas), numeric, rtol=1e-6, atol=1e-7)


def test_a_free_index_on_the_axis_gives_one_column_per_entry():
    probabilities = pgsym.compile(shifted_softmax(), {"theta": theta, "shift": m}, axis=(c,))
    logits = np.array([[0.0, 1.0, 2.0], [800.0, 801.0, 799.0]])
    result = probabilities(logits, logits.max(axis=1))
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    assert result.shape == (2, K)
    np.testing.assert_allclose(result, expected / expected.sum(axis=1, keepdims=True))
    assert "theta (N, 3), shift (N,). Returns (N, 3)." in probabilities.__doc__


def test_the_docstring_names_the_derivation_and_the_hash_of_its_verified_last_step(softmax):
    derivation = softmax_score()
    expected = hashlib.sha256(sp.srepr(sp.Tuple(derivation.result)).encode()).hexdigest()
    assert softmax.__doc__.startswith(f"The last step of the derivation {derivation.name!r}")
    assert "Verified by pgsym: every step proved." in softmax.__doc__
    assert f"sha256 of the verified expression: {expected}" in softmax.__doc__
    assert (softmax.verified, softmax.derivation, softmax.sha256) == (True, derivation.name, expected)
    assert "numpy.sum(numpy.exp(theta), axis=-1, keepdims=True)" in softmax.source


def test_a_derivation_with_a_wrong_step_is_refused_naming_it_and_the_step():
    wrong = Derivation("wrong score", start=sp.Derivative(sp.log(sigma * x**2), x))
    wrong.step(sp.Derivative(sp.log(sigma) + 2 * sp.log(x), x), rule="algebra")
    wrong.step(1 / x, rule="algebra")
    with pytest.raises(NotVerifiedError, match=r"pgsym.compile: derivation 'wrong score' does not "
                                               r"verify, so nothing was compiled: derivation "
                                               r"'wrong score', step 2 \(algebra\): refuted"):
        pgsym.compile(wrong, {"x": x})


def test_a_bare_expression_is_compiled_only_when_declared_unverified():
    with pytest.raises(NotVerifiedError, match="a bare SymPy expression has no steps"):
        pgsym.compile((x - mu) / sigma**2, {"x": x, "mu": mu, "sigma": sigma})
    unchecked = pgsym.compile((x - mu) / sigma**2, {"x": x, "mu": mu, "sigma": sigma},
                              verified=False)
    assert unchecked.__doc__.startswith("NOT VERIFIED: a bare SymPy expression")
    assert unchecked.verified is False and unchecked.derivation is None
    assert unchecked([3.0], [1.0], [2.0]).tolist() == [0.5]
    not_checked = pgsym.compile(gaussian_score(), {"x": x, "mu": mu, "sigma": sigma}, verified=False)
    assert not_checked.__doc__.startswith("NOT VERIFIED: the last step of the derivation "
                                          "'Gaussian score in the mean'")


def test_a_report_may_be_given_but_only_the_derivations_own_passing_one():
    derivation = gaussian_score()
    report = derivation.verify()
    score = pgsym.compile(derivation, {"x": x, "mu": mu, "sigma": sigma}, verified=report)
    assert score.verified
    other = softmax_score()
    with pytest.raises(NotVerifiedError, match="the report given is of derivation 'Gaussian score"):
        pgsym.compile(other, {"theta": theta}, verified=report)
    failing = Derivation("x is 2x", start=x).step(2 * x, rule="algebra")
    with pytest.raises(NotVerifiedError, match="derivation 'x is 2x', step 1"):
        pgsym.compile(failing, {"x": x}, verified=failing.verify())


def test_a_report_of_another_derivation_with_the_same_name_and_steps_is_refused():
    """Fourth hostile review, F3: the report's name and steps matched, its start and
    definitions did not, and compile printed through the new definitions as verified."""
    y = sp.Symbol("y", real=True)
    square = Derivation("square", start=(x + 1)**2, definitions={y: x + 1})
    report = square.step(y**2, rule="definition").verify()
    assert report.ok
    assert pgsym.compile(square, {"x": x}, verified=report).verified  # its own: taken
    other_start = Derivation("square", start=sp.exp(x), definitions={y: x + 1})
    other_definition = Derivation("square", start=(x + 1)**2, definitions={y: x - 7})
    for other in (other_start, other_definition):
        other.step(y**2, rule="definition")
        assert tuple(s.step for s in report.steps) == other.steps
        with pytest.raises(NotVerifiedError, match="the report given is of derivation 'square'"):
            pgsym.compile(other, {"x": x}, verified=report)
    square.definitions[y] = x - 7  # changed in place after it was verified
    with pytest.raises(NotVerifiedError, match="its start, definitions, ranges and steps"):
        pgsym.compile(square, {"x": x}, verified=report)


def test_definitions_no_argument_stands_for_are_unfolded():
    pi = sp.Function("pi", positive=True)
    u = sp.Symbol("u", integer=True)
    d = Derivation("softmax score by definition, K=3",
                   start=sp.Derivative(sp.log(pi(0)), theta[0]),
                   definitions={pi: sp.Lambda(u, sp.exp(theta[u]) / total)})
    d.step(1 - pi(0), rule="algebra")
    score = pgsym.compile(d, {"theta": theta})
    assert "(definitions of pi unfolded)" in score.__doc__
    logits = np.array([[0.0, 1.0, -1.0]])
    np.testing.assert_allclose(score(logits), 1 - np.exp(0) / np.exp(logits).sum())
    by_value = pgsym.compile(d, {"probability": pi(0)})  # bound: left folded
    assert by_value(np.array([0.25])).tolist() == [0.75]


# -- the function's inputs ----------------------------------------------------------------
@pytest.mark.parametrize("arguments, message", [
    (([[0.0, 1.0]],), "'theta' must have shape (N, 3): N samples first, then 3 entries; got shape (1, 2)"),
    (([0.0, 1.0, 2.0],), "'theta' must have shape (N, 3): N samples first, then 3 entries; got shape (3,)"),
    ((np.zeros((2, 3, 1)),), "'theta' must have shape (N, 3)"),
    ((np.zeros((2, 3), dtype=complex),), "'theta' must hold float32 or float64 numbers (or integers), got dtype complex128"),
    ((np.array([["a", "b", "c"]]),), "'theta' must hold float32 or float64 numbers (or integers), got dtype <U1"),
    ((np.zeros((2, 3), dtype=bool),), "got dtype bool"),
    (([[0.0, 1.0, 2.0], [1.0]],), "'theta' is not an array of numbers"),
])
def test_a_vector_of_the_wrong_shape_or_dtype_is_named_with_the_shape_expected(softmax, arguments, message):
    with pytest.raises(ValueError) as raised:
        softmax(*arguments)
    assert str(raised.value).startswith("d_dtheta_0_log_softmax_0_k_3: argument ")
    assert message in str(raised.value)


def test_scalars_must_share_the_number_of_samples(gaussian):
    with pytest.raises(ValueError, match=r"argument 'mu' must have shape \(2,\) to match 'x' "
                                         r"\(N = 2\); got shape \(3,\)"):
        gaussian([1.0, 2.0], [0.0, 0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match=r"argument 'sigma' must have shape \(2,\): one value per "
                                         r"sample, 2 samples; got shape \(\)"):
        gaussian([1.0, 2.0], [0.0, 0.0], 1.0)
    with pytest.raises(TypeError):
        gaussian([1.0], [0.0])


def test_vectors_must_share_their_entries_and_hold_those_read():
    a = sp.IndexedBase("a", real=True)
    dot = sp.Sum(a[b] * theta[b], (b, 0, sp.Symbol("n", integer=True) - 1))
    function = pgsym.compile(dot, {"a": a, "theta": theta}, verified=False)
    assert function(np.ones((2, 4)), np.full((2, 4), 2.0)).tolist() == [8.0, 8.0]
    with pytest.raises(ValueError, match=r"argument 'theta' must have shape \(2, 4\) to match 'a' "
                                         r"\(K = 4\); got shape \(2, 5\)"):
        function(np.ones((2, 4)), np.ones((2, 5)))
    entry = pgsym.compile(theta[2] - theta[0], {"theta": theta}, verified=False)
    assert entry([[1.0, 5.0, 4.0]]).tolist() == [3.0]
    with pytest.raises(ValueError, match=r"argument 'theta' must have at least 3 entries per "
                                         r"sample .* reads entry 2; got shape \(1, 2\)"):
        entry([[1.0, 5.0]])


def test_float32_stays_float32_integers_become_float64_and_no_samples_is_fine(softmax, gaussian):
    assert softmax(np.zeros((4, 3), dtype=np.float32)).dtype == np.float32
    assert softmax(np.zeros((4, 3), dtype=np.int64)).dtype == np.float64
    assert gaussian(np.zeros(2, np.float32), np.zeros(2, np.float32), np.ones(2)).dtype == np.float64
    assert softmax(np.zeros((0, 3))).shape == (0,)
    constant = pgsym.compile(sp.Integer(2) + 0 * x, {"x": x}, verified=False)
    assert constant(np.arange(3)).tolist() == [2.0, 2.0, 2.0]


# -- what cannot be compiled --------------------------------------------------------------
@pytest.mark.parametrize("expression, arguments, message", [
    ((x - mu) / sigma, {"x": x}, "no argument stands for mu, sigma (arguments: x)"),
    (sp.Derivative(x**2, x), {"x": x}, "Derivative(x**2, x) is not in closed form"),
    (sp.Sum(theta[b], (b, 0, sp.Symbol("K", integer=True) - 2)), {"theta": theta},
     "a sum runs to K - 2; along the vector axis a sum runs over every entry"),
    (pgsym.Expectation(x**2, (x, pgsym.Distribution("q", (x, -sp.oo, sp.oo)))), {"x": x, "mu": mu},
     "is an expectation, not in closed form: compile the quantity inside it"),
    (sp.Sum(theta[b], (b, 1, 3)), {"theta": theta}, "starts at 1; a sum along the vector axis must run over every entry, from 0"),
    (sp.Sum(x, (b, 0, 3)), {"x": x}, "the summand of"),
    (sp.Sum(b * theta[b], (b, 0, 3)), {"theta": theta}, "the index b appears outside an argument"),
    (theta[3] + sp.Sum(theta[b], (b, 0, 1)), {"theta": theta}, "reads entry 3, but its sums run over 2 entries"),
    (sp.Sum(theta[b], (b, 0, 3)) + theta[m], {"theta": theta, "m": m}, "stands for theta[b], which is laid out along the vector axis, and for theta[m]"),
    (sp.Sum(theta[b] * theta[c], (b, 0, 3)), {"theta": theta},
     "inside the sum over b, theta[c] varies along c: one axis cannot carry both indices"),
    (theta[b] * theta[c], {"theta": theta}, "vary along two free indices"),
    (sp.Sum(theta[b], (b, 0, m)), {"theta": theta, "m": m}, "runs to m, which depends on argument 'm'"),
    (sp.Sum(theta[c] * sp.Sum(theta[b], (b, 0, 2)), (c, 0, 2)), {"theta": theta}, "a sum inside a sum"),
    (sp.Sum(theta[b], (b, 0, 2), (c, 0, 2)), {"theta": theta}, "sums over several indices at once"),
    (sp.Sum(theta[b], (b, 0, 2)) + sp.Sum(theta[c], (c, 0, 3)), {"theta": theta},
     "the sums run to different last entries (2, 3)"),
    (sp.gamma(x), {"x": x}, "SymPy prints math.gamma, which does not work on arrays"),
    (x, {"numpy": x}, "an argument cannot be called 'numpy'"),
    (x, {"_x": x}, "must be a Python name not starting with '_'"),
    (x + mu, {"x": (x, mu)}, "argument 'x' stands for several different values (mu, x)"),
])
def test_what_cannot_be_printed_is_refused_with_the_cause(expression, arguments, message):
    with pytest.raises(BuildError) as raised:
        pgsym.compile(expression, arguments, verified=False, axis=(b, c))
    assert message in str(raised.value)
    assert str(raised.value).startswith("pgsym.compile, an expression: ")


def test_sums_along_one_axis_may_share_it_with_a_free_index_and_entries_read_one_by_one():
    a = sp.IndexedBase("a", real=True)
    expression = a[c] * sp.Sum(theta[b] * a[b], (b, 0, 2)) + theta[0] * x + sp.Sum(theta[c], (c, 0, 2))
    function = pgsym.compile(expression, {"a": a, "theta": theta, "x": x}, axis=(c,), verified=False)
    a_values, theta_values = np.array([[1.0, 2.0, 3.0]]), np.array([[0.5, -1.0, 2.0]])
    dot = (a_values * theta_values).sum()
    expected = a_values * dot + theta_values[0, 0] * 4.0 + theta_values.sum()
    np.testing.assert_allclose(function(a_values, theta_values, [4.0]), expected)


def test_an_unknown_backend_or_source_is_refused():
    with pytest.raises(BuildError, match="unknown backend 'tensorflow'; known: numpy, jax, torch"):
        pgsym.compile(x, {"x": x}, backend="tensorflow", verified=False)
    with pytest.raises(TypeError, match="expected a pgsym.Derivation or a SymPy expression, got str"):
        pgsym.compile("x", {"x": x}, verified=False)


def test_a_name_with_backslashes_and_quotes_is_kept_in_the_docstring():
    name = 'score of \\mu, """quoted""" "'
    d = Derivation(name, start=2 * x).step(sp.Add(x, x, evaluate=False), rule="algebra")
    function = pgsym.compile(d, {"x": x}, name="doubled")
    assert f"The last step of the derivation {name!r}" in function.__doc__
    assert function([1.5]).tolist() == [3.0]


def test_the_generated_code_is_inspectable(softmax):
    import inspect

    assert inspect.getsource(softmax).startswith("def d_dtheta_0_log_softmax_0_k_3(theta):")


@pytest.mark.xdist_group(HEAVY_JAX_TORCH)
@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_a_step_function_and_a_large_exact_constant_compile_and_run_in_every_backend(backend):
    """Hostile review 22: torch.heaviside was given a Python float (every call raised), and
    2**70 was printed as an integer literal that JAX and torch overflow on at the call."""
    from tests.test_compiled_checks import _library
    _library(backend)  # (skipped where not installed, failed where CI requires it)
    step = pgsym.compile(sp.Heaviside(x), {"x": x}, backend=backend, verified=False)
    assert [float(v) for v in step(np.array([-1.0, 0.0, 2.0]))] == [0.0, 0.5, 1.0]
    big = pgsym.compile(2**70 * x, {"x": x}, backend=backend, verified=False)
    assert [float(v) for v in big(np.array([1.0, -2.0]))] == [2.0**70, -2.0**71]


@pytest.mark.xdist_group(HEAVY_JAX_TORCH)
@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_max_and_min_with_a_constant_run_in_every_backend_and_keep_nan(backend):
    """Hostile review 25: torch's printer gave torch.max a Python number (every call raised);
    a number is now a clamp's bound. NaN propagates in every backend, as in NumPy."""
    from tests.test_compiled_checks import _library
    _library(backend)
    tolerance = 1e-6 if backend == "jax" else 1e-15  # (JAX computes in float32 without x64)
    y = sp.Symbol("y", real=True)
    cases = [(sp.Max(x, y, 0), [0.0, 2.0, 0.5]), (sp.Min(x, sp.pi), [-1.0, 2.0, 0.5]),
             (sp.Max(x, sp.sqrt(2)), [sp.sqrt(2), 2.0, sp.sqrt(2)]),
             (sp.Min(x, y, 1), [-3.0, 1.0, 0.25])]
    for expr, expected in cases:
        function = pgsym.compile(expr, {"x": x, "y": y}, backend=backend, verified=False)
        values = function(np.array([-1.0, 2.0, 0.5]), np.array([-3.0, 1.0, 0.25]))
        assert [float(v) for v in values] == pytest.approx([float(e) for e in expected],
                                                          rel=tolerance), expr
        assert np.isnan(float(function(np.array([np.nan]), np.array([1.0]))[0])), expr


@pytest.mark.xdist_group(HEAVY_JAX_TORCH)
@pytest.mark.parametrize("backend", ["numpy", "jax", "torch"])
def test_a_complex_value_is_refused_not_cut_to_its_real_part(backend):
    """Hostile review 38: a verified (-x)**(1/3), x > 0, compiled into a function that returned
    1 at x = 8, the real part of 1 + 1.732i."""
    from tests.test_compiled_checks import _library
    _library(backend)
    positive = sp.Symbol("x", positive=True)
    root = pgsym.compile((-positive) ** sp.Rational(1, 3), {"x": positive}, backend=backend,
                         verified=False)
    with pytest.raises(ValueError, match="complex"):
        root(np.array([8.0, 0.3]))
    assert [float(v) for v in pgsym.compile(positive ** sp.Rational(1, 3), {"x": positive},
                                            backend=backend, verified=False)(
        np.array([8.0]))] == pytest.approx([2.0])


_positive = sp.Symbol("x_pos", positive=True)
_kink = Derivation("a kink away from its domain", start=sp.Max(_positive, -_positive) * m)
_kink.step(_positive * m, rule="algebra")


@settings(max_examples=60, deadline=None)
@given(hnp.arrays(np.float64, st.integers(1, 6),
                  elements=st.floats(-1e6, 1e6) | st.just(float("nan"))))
def test_a_compiled_function_refuses_values_its_derivation_was_not_verified_for(values):
    """Max(x, -x) m = x m was verified for x > 0: at x = -3 the last step (x m) is not the
    start (|x| m), so the function refuses x <= 0 instead of returning -3 m. Wherever it
    returns, it returns the start's value (nan in, nan out)."""
    f = pgsym.compile(_kink, {"x": _positive, "m": m}, verified=_kink_report())
    ones = np.ones_like(values)
    if (values <= 0).any():
        with pytest.raises(ValueError, match=r"argument 'x' must hold values that are positive .* at index"):
            f(values, ones)
    else:
        np.testing.assert_array_equal(f(values, ones), np.abs(values))  # (nan stays nan)


def test_integer_and_sign_conditions_of_vectors_and_functions_are_checked():
    positive_entries = sp.IndexedBase("w", positive=True)
    count = sp.Symbol("n", integer=True, nonnegative=True)
    d = Derivation("entries", start=sp.Sum(sp.Abs(positive_entries[b]), (b, 0, 2)) + count)
    d.step(sp.Sum(positive_entries[b], (b, 0, 2)) + count, rule="algebra")
    f = pgsym.compile(d, {"w": positive_entries, "n": count})
    assert "w positive, n nonnegative and integer, as the derivation assumes" in f.__doc__
    assert f(np.ones((2, 3)), np.array([0.0, 2.0])).tolist() == [3.0, 5.0]
    with pytest.raises(ValueError, match=r"'w' must hold values that are positive .* got -1.0 at index \(1, 2\)"):
        f(np.array([[1.0, 1, 1], [1, 1, -1]]), np.array([0.0, 2.0]))
    with pytest.raises(ValueError, match=r"'n' must hold values that are integer .* got 2.5 at index 1"):
        f(np.ones((2, 3)), np.array([0.0, 2.5]))
    with pytest.raises(ValueError, match=r"'n' must hold values that are nonnegative .* got -1.0 at index 0"):
        f(np.ones((2, 3)), np.array([-1.0, 2.0]))


_KINK_REPORT = []


def _kink_report():
    if not _KINK_REPORT:
        _KINK_REPORT.append(_kink.verify())
    return _KINK_REPORT[0]


def test_a_compiled_function_checks_the_ranges_its_derivation_was_verified_over():
    """Hostile review 43: y [0 <= a <= 2] = y, proved with ranges={a: (0, 2)}, returned 1 at
    a = 7, where the start is 0."""
    y, a = sp.Symbol("y", real=True), sp.Symbol("a", integer=True)
    d = Derivation("in range", start=y * sp.Piecewise((1, (a >= 0) & (a <= 2)), (0, True)),
                   ranges={a: (0, 2)})
    d.step(y, rule="algebra")
    f = pgsym.compile(d, {"y": y, "a": a})
    assert "a integer and >= 0 and <= 2" in f.__doc__
    assert f(np.ones(3), np.array([0.0, 1.0, 2.0])).tolist() == [1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match=r"'a' must hold values that are <= 2 .* got 7.0 at index 1"):
        f(np.ones(2), np.array([0.0, 7.0]))
    n = sp.Symbol("n", integer=True, positive=True)
    e = Derivation("symbolic range", start=y * sp.Piecewise((1, (a >= 0) & (a <= n)), (0, True)),
                   ranges={a: (0, n)})
    e.step(y, rule="algebra")
    with pytest.raises(BuildError, match="checks ranges with numeric bounds only"):
        pgsym.compile(e, {"y": y, "a": a, "n": n})


def test_a_vector_length_declared_positive_is_at_least_one():
    """Hostile review 44: sum_{b<K} theta_b + sum_{b<K} delta(b, 0) = sum theta_b + 1, for
    K declared positive, returned 1 for theta of shape (N, 0), where the start is 0."""
    K = sp.Symbol("K", integer=True, positive=True)
    start = sp.Sum(theta[b], (b, 0, K - 1)) + sp.Sum(sp.KroneckerDelta(b, 0), (b, 0, K - 1))
    d = Derivation("delta sums to one", start=start).step(sp.Sum(theta[b], (b, 0, K - 1)) + 1,
                                                           rule="algebra")
    f = pgsym.compile(d, {"theta": theta})
    assert f(np.ones((3, 2))).tolist() == [3.0, 3.0, 3.0]
    with pytest.raises(ValueError, match=r"at least 1 entries per sample"):
        f(np.ones((3, 0)))


def test_a_compiled_function_checks_parity():
    """Hostile review 44: |x|^n = x^n for n even compiled to x^n returned -1 at n = 3,
    x = -1, where the start is 1."""
    n = sp.Symbol("n", integer=True, nonnegative=True, even=True)
    d = Derivation("even power", start=sp.Abs(x)**n).step(x**n, rule="algebra")
    f = pgsym.compile(d, {"x": x, "n": n})
    assert "n nonnegative and even" in f.__doc__
    assert f(np.array([-1.0, 2.0]), np.array([2.0, 4.0])).tolist() == [1.0, 16.0]
    with pytest.raises(ValueError, match=r"'n' must hold values that are even .* got 3.0"):
        f(np.array([-1.0]), np.array([3.0]))


def test_a_compiled_function_checks_a_step_s_numeric_inequality_condition():
    """Hostile review 44: min(x, 1) = x under x < 1 compiled to x returned 5 at x = 5,
    where the start is 1."""
    d = Derivation("below one", start=sp.Min(x, 1)).step(x, rule="algebra", condition=x < 1)
    f = pgsym.compile(d, {"x": x})
    assert "x < 1" in f.__doc__
    assert f(np.array([0.5, -2.0])).tolist() == [0.5, -2.0]
    with pytest.raises(ValueError, match=r"'x' must hold values that are < 1 .* got 5.0 at index 1"):
        f(np.array([0.5, 5.0]))
    with pytest.raises(ValueError, match=r"got 1.0"):
        f(np.array([1.0]))


def test_a_compiled_function_refuses_an_argument_declared_prime():
    """Hostile review 45: max(2, p) = p for a prime p compiled to p returned 1 at p = 1."""
    p = sp.Symbol("p", prime=True)
    d = Derivation("prime", start=sp.Max(2, p, evaluate=False)).step(p, rule="algebra")
    with pytest.raises(BuildError, match="declared prime, which a printed function cannot check"):
        pgsym.compile(d, {"p": p})
    X = sp.Symbol("X", extended_positive=True)  # (checked as positive: +oo passes)
    f = pgsym.compile(sp.Abs(X, evaluate=False), {"X": X}, verified=False)
    assert np.isinf(f(np.array([np.inf]))).all()
    with pytest.raises(ValueError, match="'X' must hold values that are positive"):
        f(np.array([-3.0]))


def test_an_infinity_is_no_integer():
    """Hostile review 46: cos(pi n) = 1 for an even n returned 1 at n = inf."""
    n = sp.Symbol("n", integer=True, even=True)
    f = pgsym.compile(sp.cos(sp.pi * n, evaluate=False), {"n": n}, verified=False)
    for bad in (np.inf, -np.inf, 3.0):
        with pytest.raises(ValueError, match="'n' must hold values that are even"):
            f(np.array([2.0, bad]))


def test_a_compiled_function_checks_a_noninteger_argument_and_refuses_an_irrational_one():
    """Hostile review 47: sign(x - 1)^2 = 1 for a noninteger x compiled to 1, which it
    returned at x = 1 (the start is 0 there); no float is irrational."""
    y = sp.Symbol("y", real=True, noninteger=True)
    d = Derivation("sign", start=sp.Pow(sp.sign(y - 1), 2, evaluate=False))
    f = pgsym.compile(d.step(sp.Integer(1), rule="algebra"), {"y": y})
    assert f(np.array([0.5, 2.5])).tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="'y' must hold values that are noninteger .* got 1.0"):
        f(np.array([0.5, 1.0]))
    z = sp.Symbol("z", irrational=True)
    e = Derivation("sign", start=sp.Pow(sp.sign(z - 1), 2, evaluate=False))
    with pytest.raises(BuildError, match="declared irrational, .* declare it real instead"):
        pgsym.compile(e.step(sp.Integer(1), rule="algebra"), {"z": z})


@pytest.mark.parametrize("declared", [{"imaginary": True}, {"zero": True},
                                      {"extended_real": False}])
def test_a_compiled_function_refuses_an_argument_no_float_can_be(declared):
    """Hostile review 48: |y^2| = -y^2 for an imaginary y compiled to -y^2, which returned
    -9 at y = 3 (the start is 9); z declared zero was checked as 'nonnegative and even'."""
    y = sp.Symbol("y", **declared)
    with pytest.raises(BuildError, match="which a printed function cannot check"):
        pgsym.compile(-y**2, {"y": y}, verified=False)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_bound_that_is_no_float_is_checked_exactly(dtype):
    """Hostile review 50: under x <= 1/10 the float 0.1 (above 1/10) was accepted, in
    float64 and float32, and the function returned 0 where the start is 1."""
    y = sp.Symbol("y", real=True)
    start = sp.Piecewise((0, y <= sp.Rational(1, 10)), (1, True))
    d = Derivation("bound", start=start).step(sp.S(0), rule="algebra",
                                              condition=y <= sp.Rational(1, 10))
    f = pgsym.compile(d, {"y": y})
    assert f(np.array([0.05], dtype=dtype)).tolist() == [0.0]
    with pytest.raises(ValueError, match="'y' must hold values that are <= 0.0999"):
        f(np.array([0.1], dtype=dtype))


def test_a_function_or_argument_named_like_a_builtin_the_code_reads_does_not_hide_it():
    """A derivation named "abs" compiled to def abs(x): ... abs(x), which called itself: the
    NumPy code prints Abs as the builtin abs."""
    x = sp.Symbol("x", real=True)
    d = Derivation("abs", start=sp.Abs(x) * 1).step(sp.Max(x, -x), rule="algebra")
    f = pgsym.compile(d, {"x": x})
    assert f.__name__ == "f_abs" and f(np.array([-2.0, 3.0])).tolist() == [2.0, 3.0]
    with pytest.raises(BuildError, match="an argument cannot be called 'abs'"):
        pgsym.compile(d, {"abs": x})


def test_a_derivation_ending_in_a_bound_compiles_to_the_bound_and_says_so():
    """New user 22: dJ/dtheta = s(1 - s)(r1 - r0) > 0 compiled into a function returning 0,
    the bound the chain ends in, with a docstring saying only that every step was proved.
    The function computes the last step (a bound may be what is wanted: the optimal
    baseline's minimum); its docstring and its ``relation`` now say it is a bound."""
    theta = sp.Symbol("theta", real=True)
    r0, r1 = sp.symbols("r_0 r_1", real=True)
    s = 1 / (1 + sp.exp(-theta))
    d = Derivation("bandit", start=s * (1 - s) * (r1 - r0)).step(
        sp.Integer(0), rule="algebra", relation=">", condition=r1 > r0)
    f = pgsym.compile(d, {"theta": theta, "r0": r0, "r1": r1})
    assert f.relation == ">"
    assert "a BOUND on the start, not its value (the chain proves start > last step)" in f.__doc__
    equal = pgsym.compile(Derivation("e", start=theta * 1).step(theta, rule="algebra"),
                          {"theta": theta})
    assert equal.relation == "=" and "BOUND" not in equal.__doc__


def test_a_condition_that_holds_everywhere_is_not_checked_in_floating_point():
    """New user 27: a step stated under 1 - sigma(u) > 0 (sigma the logistic function, a
    condition true for every real u) compiled into a function that refused u = 40, where
    1 - sigma(u) rounds to 0; a relation the assumptions show true everywhere has no sample
    to refuse. One that may fail is still checked."""
    u = sp.Symbol("u", real=True)
    r0, r1 = sp.symbols("r_0 r_1", real=True)
    s = 1 / (1 + sp.exp(-u))
    d = Derivation("always", start=sp.log(s * (1 - s))).step(
        sp.log(s) + sp.log(1 - s), rule="log of a product", condition=1 - s > 0)
    f = pgsym.compile(d, {"u": u})
    assert np.allclose(f(np.array([0.0, 3.0])), [np.log(0.25), float(sp.log(s * (1 - s)).subs(u, 3))])
    assert f(np.array([40.0]))[0] < -39  # (log(1 - sigma(40)) = -40 - log(1 + e^-40))
    sometimes = Derivation("sometimes", start=sp.Abs(r1 - r0)).step(
        r1 - r0, rule="algebra", condition=r1 > r0)
    g = pgsym.compile(sometimes, {"r0": r0, "r1": r1})
    with pytest.raises(ValueError, match="must meet"):
        g(np.array([1.0]), np.array([0.0]))
    # nor one SymPy calls true only for finite values (exp(-e) > 0, 0 at e = oo)
    from pgsym.codegen import derivation_relations
    e, y = sp.Symbol("e", extended_positive=True), sp.Symbol("y", real=True)
    finite = sp.Symbol("f", positive=True)
    for symbol, checked in ((finite, False), (e, True)):
        condition = sp.StrictGreaterThan(y + sp.exp(-symbol), y, evaluate=False)
        stated = Derivation("d", start=sp.Abs(y)).step(y, rule="algebra", condition=condition)
        assert bool(derivation_relations(stated)) is checked, symbol


_data = sp.IndexedBase("data", real=True)
_i = sp.Symbol("i", integer=True)
_n = sp.Symbol("n", integer=True, positive=True)


def _centred_sum() -> Derivation:
    """sum_i (data_i - m): a term constant along the axis inside a summand that varies."""
    d = Derivation("centred sum", start=sp.Sum(_data[_i] - m, (_i, 0, _n - 1)))
    return d.step(sp.Sum(sp.Add(_data[_i], -2 * m, m, evaluate=False), (_i, 0, _n - 1)),
                  rule="algebra")


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 9)),
                  elements=st.floats(-1e3, 1e3)),
       st.floats(-1e3, 1e3))
def test_a_constant_term_of_a_summand_is_summed_once_per_entry(values, shift):
    # (new user 33: SymPy's cse made sum_i (x_i - theta) into sum(x) - theta sum(1), printed
    # as numpy.sum(1, axis=-1), which is 1: the compiled gradient was wrong by 6.7, every
    # step proved)
    compiled = _compiled_centred_sum()
    shifts = np.full(values.shape[0], shift)
    np.testing.assert_allclose(np.reshape(compiled(values, shifts), -1), (values - shift).sum(-1),
                               rtol=1e-12, atol=1e-9)


_CENTRED = []


def _compiled_centred_sum():
    if not _CENTRED:
        _CENTRED.append(pgsym.compile(_centred_sum(), arguments={"data": _data, "m": m}))
    return _CENTRED[0]
