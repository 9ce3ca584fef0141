"""The JAX and PyTorch backends (pgsym.gradients.jax, pgsym.gradients.torch, pgsym.compile's
backend=): the three backends agree with each other and with finite differences of the
log-probabilities, jax.jit changes nothing, the generated modules are printed from the same
expressions, and a missing library is named with the extra to install.

The tests of a backend skip where its library is not installed, except with
PGSYM_REQUIRE_BACKENDS=1 (as in CI), where they fail.
"""
import importlib
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

import pgsym
from pgsym import Derivation, codegen, gradients as g
from tests.conftest import HEAVY_JAX_TORCH

pytestmark = pytest.mark.xdist_group(HEAVY_JAX_TORCH)  # (tests/conftest.py: why, and when)

REQUIRED = os.environ.get("PGSYM_REQUIRE_BACKENDS") == "1"
BACKENDS = ("jax", "torch")
FUNCTIONS = ("softmax_log_prob", "softmax_probabilities", "softmax_score",
             "tabular_softmax_log_prob", "tabular_softmax_score", "softmax_reinforce_gradient",
             "gaussian_log_prob", "gaussian_score", "reinforce_gradient")


def _installed(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def _library(name: str):
    """The library ``name`` (jax with float64 enabled), skipping or failing where it is missing."""
    try:
        library = importlib.import_module(name)
    except ImportError:
        message = f"{name} is not installed (pip install \"pgsym[{name}]\")"
        if REQUIRED:
            pytest.fail(f"PGSYM_REQUIRE_BACKENDS=1 but {message}")
        pytest.skip(message)
    if name == "jax":
        library.config.update("jax_enable_x64", True)
    return library


def _module(backend: str):
    _library(backend)
    return importlib.import_module(f"pgsym.gradients.{backend}")


def _to(backend: str, value):
    """``value`` (a NumPy array, or anything else left alone) as the backend's array."""
    if not isinstance(value, np.ndarray):
        return value
    if backend == "jax":
        return _library("jax").numpy.asarray(value)
    return _library("torch").from_numpy(value.copy())


_JITTED: dict = {}


def _function(backend: str, name: str):
    """The backend's function ``name``; for JAX jitted (a new shape compiles the function once,
    where eager JAX compiles each operation), a string argument static."""
    function = getattr(_module(backend), name)
    if backend != "jax":
        return function
    jax = _library("jax")

    def jitted(*arguments):
        static = tuple(i for i, a in enumerate(arguments) if isinstance(a, str))
        if (name, static) not in _JITTED:
            _JITTED[name, static] = jax.jit(function, static_argnums=static)
        return _JITTED[name, static](*arguments)
    return jitted


def _numpy(result) -> list[np.ndarray]:
    results = result if isinstance(result, tuple) else (result,)
    return [np.asarray(r.cpu() if hasattr(r, "cpu") else r) for r in results]


def _tolerance(dtype) -> dict:
    return {"rtol": 2e-4, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-10, "atol": 1e-12}


def _cases(rng: np.random.Generator, n: int, d: int, actions: int, k: int, dtype) -> dict:
    """Arguments of every function, drawn from ``rng``, floating ones of ``dtype``."""
    def floats(*shape, scale=1.0):
        return (scale * rng.normal(size=shape)).astype(dtype)

    theta, features, chosen = floats(d, actions), floats(n, d), rng.integers(0, actions, n)
    states, table = rng.integers(0, d, n), floats(d, actions)
    weights, log_std, points = floats(d, k), floats(k, scale=0.5), floats(n, k)
    returns = floats(n)
    baseline = rng.choice([None, "mean", 0.5, "array"])
    baseline = floats(n) if baseline == "array" else baseline
    return {
        "softmax_log_prob": (theta, features, chosen),
        "softmax_probabilities": (theta, features),
        "softmax_score": (theta, features, chosen),
        "tabular_softmax_log_prob": (table, states, chosen),
        "tabular_softmax_score": (table, states, chosen),
        "softmax_reinforce_gradient": (theta, features, chosen, returns, baseline),
        "gaussian_log_prob": (weights, log_std, features, points),
        "gaussian_score": (weights, log_std, features, points),
        "reinforce_gradient": (floats(n, d, actions), returns, baseline),
    }


# -- the three backends agree -------------------------------------------------------------
# sizes from small sets, values from the seed: JAX compiles each function once per shape
@pytest.mark.parametrize("backend", BACKENDS)
@settings(deadline=None, max_examples=12)
@given(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 5]), st.sampled_from([1, 3]),
       st.sampled_from([1, 4]), st.sampled_from([1, 2]), st.sampled_from([np.float32, np.float64]))
def test_every_function_agrees_with_numpy(backend, seed, n, d, actions, k, dtype):
    rng = np.random.default_rng(seed)
    for name, arguments in [case for _ in range(3)
                            for case in _cases(rng, n, d, actions, k, dtype).items()]:
        if n == 0 and "reinforce" in name:
            continue  # no estimate without samples, in every backend (tested below)
        expected = _numpy(getattr(g, name)(*arguments))
        received = _numpy(_function(backend, name)(*(_to(backend, a) for a in arguments)))
        assert len(received) == len(expected), name
        for got, want in zip(received, expected):
            # float32 in, float32 out (NumPy's reinforce_gradient gives a float64 stderr)
            assert got.shape == want.shape and got.dtype == dtype, (name, got.shape, got.dtype)
            np.testing.assert_allclose(got, want, **_tolerance(dtype), err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_jax_jit_of_every_function_gives_what_it_gives_eagerly(dtype):
    module = _module("jax")
    cases = _cases(np.random.default_rng(7), 5, 3, 4, 2, dtype)
    cases["reinforce_gradient"] = cases["reinforce_gradient"][:2] + ("mean",)
    for name in FUNCTIONS:
        arguments = tuple(_to("jax", a) for a in cases[name])
        eager = _numpy(getattr(module, name)(*arguments))
        for got, want in zip(_numpy(_function("jax", name)(*arguments)), eager):
            assert got.dtype == want.dtype == dtype, name
            np.testing.assert_allclose(got, want, **_tolerance(dtype), err_msg=name)


def test_torch_keeps_the_device_and_never_reads_values_on_the_host(monkeypatch):
    torch = _library("torch")
    module = _module("torch")

    def refuse(*args, **kwargs):
        raise AssertionError("a value was read on the host")
    monkeypatch.setattr(torch.Tensor, "item", refuse)
    monkeypatch.setattr(torch.Tensor, "tolist", refuse)
    monkeypatch.setattr(torch.Tensor, "__bool__", refuse)
    cases = _cases(np.random.default_rng(3), 6, 3, 4, 2, np.float64)
    cases["reinforce_gradient"] = cases["reinforce_gradient"][:2] + ("mean",)
    for name in FUNCTIONS:
        for result in (lambda r: r if isinstance(r, tuple) else (r,))(
                getattr(module, name)(*(_to("torch", a) for a in cases[name]))):
            assert result.device == torch.device("cpu") and result.dtype == torch.float64, name


# -- finite differences of the log-probabilities ------------------------------------------
def _central_difference(log_prob, parameter: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d log_prob / d parameter per sample, (N, *parameter.shape), by central differences."""
    columns = []
    for index in np.ndindex(parameter.shape):
        step = np.zeros_like(parameter)
        step[index] = h
        columns.append((log_prob(parameter + step) - log_prob(parameter - step)) / (2 * h))
    return np.stack(columns, axis=-1).reshape((-1,) + parameter.shape)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(deadline=None, max_examples=6)
@given(st.integers(0, 2**32 - 1), st.sampled_from([1, 6]), st.sampled_from([1, 3]),
       st.sampled_from([1, 3]), st.sampled_from([1, 2]))
def test_the_scores_are_finite_differences_of_the_log_probabilities(backend, seed, n, d, actions, k):
    rng = np.random.default_rng(seed)
    theta, features, chosen = rng.normal(size=(d, actions)), rng.normal(size=(n, d)), rng.integers(0, actions, n)
    weights, log_std, points = rng.normal(size=(d, k)), rng.uniform(-0.5, 0.5, k), rng.normal(size=(n, k))
    states = rng.integers(0, d, n)

    def call(name, *arguments):
        return _numpy(_function(backend, name)(*(_to(backend, a) for a in arguments)))

    def log_prob(name, *arguments):
        return lambda parameter: call(name, *[parameter if a is None else a for a in arguments])[0]

    tolerance = {"rtol": 1e-6, "atol": 1e-7}
    np.testing.assert_allclose(call("softmax_score", theta, features, chosen)[0],
                               _central_difference(log_prob("softmax_log_prob", None, features, chosen), theta),
                               **tolerance)
    np.testing.assert_allclose(call("tabular_softmax_score", theta, states, chosen)[0],
                               _central_difference(log_prob("tabular_softmax_log_prob", None, states, chosen), theta),
                               **tolerance)
    by_weights, by_log_std = call("gaussian_score", weights, log_std, features, points)
    np.testing.assert_allclose(by_weights, _central_difference(
        log_prob("gaussian_log_prob", None, log_std, features, points), weights), **tolerance)
    np.testing.assert_allclose(by_log_std, _central_difference(
        log_prob("gaussian_log_prob", weights, None, features, points), log_std), **tolerance)


# -- checks: shapes and dtypes as NumPy's; values NumPy's alone ---------------------------
BAD = [
    ("softmax_score", lambda: (np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(4, int))),
    ("softmax_score", lambda: (np.zeros(3), np.zeros((4, 2)), np.zeros(4, int))),
    ("softmax_score", lambda: (np.zeros((2, 3)), np.zeros((4, 2)), np.zeros(4))),
    ("softmax_score", lambda: (np.zeros((2, 3)), np.zeros((4, 2)), np.zeros(5, int))),
    ("softmax_score", lambda: (np.zeros((2, 0)), np.zeros((4, 2)), np.zeros(4, int))),
    ("gaussian_score", lambda: (np.zeros((2, 3)), np.zeros(2), np.zeros((4, 2)), np.zeros((4, 3)))),
    ("gaussian_log_prob", lambda: (np.zeros((2, 3)), np.zeros(3), np.zeros((4, 2)), np.zeros((4, 2)))),
    ("reinforce_gradient", lambda: (np.zeros((0, 2)), np.zeros(0))),
    ("reinforce_gradient", lambda: (np.zeros((4, 2)), np.zeros(3))),
    ("reinforce_gradient", lambda: (np.zeros((4, 2)), np.zeros(4), "median")),
    ("reinforce_gradient", lambda: (np.zeros((4, 2)), np.zeros(4), np.zeros(2))),
    ("softmax_reinforce_gradient", lambda: (np.zeros((2, 3)), np.zeros((0, 2)), np.zeros(0, int), np.zeros(0))),
]


@pytest.mark.parametrize("backend", BACKENDS)
def test_wrong_shapes_and_dtypes_are_refused_with_numpys_messages(backend):
    module = _module(backend)
    for name, arguments in BAD:
        with pytest.raises(ValueError) as expected:
            getattr(g, name)(*arguments())
        with pytest.raises(ValueError) as received:
            getattr(module, name)(*(_to(backend, a) for a in arguments()))
        assert str(received.value) == str(expected.value), name
    with pytest.raises(ValueError, match=r"theta must hold float32 or float64 numbers, got dtype .*complex"):
        module.softmax_score(_to(backend, np.zeros((2, 3), complex)), _to(backend, np.zeros((4, 2))),
                             _to(backend, np.zeros(4, int)))


@pytest.mark.parametrize("backend", BACKENDS)
def test_labels_out_of_range_give_nan_where_numpy_raises(backend):
    module = _module(backend)
    theta, features = np.zeros((2, 3)), np.ones((3, 2))
    actions, states = np.array([0, 3, -1]), np.array([0, 1, 2])
    with pytest.raises(ValueError, match="actions must lie in"):
        g.softmax_log_prob(theta, features, actions)
    log_prob = _numpy(module.softmax_log_prob(*(_to(backend, a) for a in (theta, features, actions))))[0]
    assert np.isfinite(log_prob[0]) and np.isnan(log_prob[1:]).all()
    score = _numpy(module.softmax_score(*(_to(backend, a) for a in (theta, features, actions))))[0]
    assert np.isfinite(score[0]).all() and np.isnan(score[1:]).all()
    tabular = _numpy(module.tabular_softmax_score(*(_to(backend, a) for a in (theta, states, np.zeros(3, int)))))[0]
    assert np.isfinite(tabular[:2]).all() and np.isnan(tabular[2]).all()
    assert "NumPy" in module.__doc__ and "not" in module.__doc__.split("Values are")[1][:5]


# -- the generated modules ----------------------------------------------------------------
def test_the_committed_backend_kernels_print_the_numpy_kernels_expressions():
    """Each committed module is what codegen prints now (the verified build is checked by
    CI's `pgsym build`; here the preview, without its NOT VERIFIED lines, is compared) and
    names the same derivations and sha256 as the NumPy module."""
    def comments(text):
        return re.findall(r"^# (?:from|sha256): .*$", text, flags=re.MULTILINE)

    import derivations
    from derivations import policy_scores

    notes = {d.name: d for d in policy_scores.build()}  # the kernels' derivations alone
    previews = codegen.module_sources(derivations.KERNELS, notes, verified=False,
                                      package="derivations")
    numpy_kernels = codegen.KERNELS_PATH.read_text()
    for backend in BACKENDS:
        path = codegen.backend_file(codegen.KERNELS_PATH, backend)
        preview = previews[backend]
        current = "".join(line for line in preview.splitlines(True)
                          if not line.startswith("# NOT VERIFIED"))
        assert path.read_text() == current, f"{path.name} is out of date: run `pgsym build`"
        assert comments(path.read_text()) == comments(numpy_kernels)


def test_the_numpy_library_and_codegen_import_neither_jax_nor_torch():
    code = ("import sys, pgsym, pgsym.gradients, pgsym.codegen, pgsym.compiler; "
            "print('jax' in sys.modules, 'torch' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_missing_library_is_named_with_the_extra_to_install(monkeypatch, backend):
    monkeypatch.setitem(sys.modules, backend, None)  # `import jax` now raises ImportError
    for module in (f"pgsym.gradients.{backend}", f"pgsym.gradients._kernels_{backend}",
                   f"pgsym._batch_{backend}"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    extra = re.escape(f'pip install "pgsym[{backend}]"')
    with pytest.raises(ImportError, match=f"pgsym.gradients.{backend} needs .*: {extra}"):
        importlib.import_module(f"pgsym.gradients.{backend}")
    x = sp.Symbol("x", real=True)
    with pytest.raises(ImportError, match=extra):
        pgsym.compile(x, {"x": x}, backend=backend, verified=False)


# -- pgsym.compile(backend=...) -----------------------------------------------------------
theta = sp.IndexedBase("theta", real=True)
b, c = sp.symbols("b c", integer=True, nonnegative=True)
m, x, mu = sp.symbols("m x mu", real=True)
sigma = sp.Symbol("sigma", positive=True)


def _user_derivations():
    """A softmax over 3 logits, shifted (a vector result), and a Gaussian score in the mean."""
    softmax = Derivation("softmax with a shift", parameters=(m,),
                         start=sp.exp(theta[c]) / sp.Sum(sp.exp(theta[b]), (b, 0, 2)))
    softmax.step(sp.exp(theta[c] - m) / sp.Sum(sp.exp(theta[b] - m), (b, 0, 2)), rule="algebra")
    gaussian = Derivation("Gaussian score in the mean",
                          start=sp.Derivative(-(x - mu)**2 / (2 * sigma**2) - sp.log(sigma), mu))
    gaussian.step((x - mu) / sigma**2, rule="algebra")
    return ((softmax, {"theta": theta, "m": m}, (c,)),
            (gaussian, {"x": x, "mu": mu, "sigma": sigma}, ()))


@pytest.fixture(scope="module")
def reports():
    """The reports of the user's derivations, each verified once."""
    return {d.name: d.verify() for d, _, _ in _user_derivations()}


@pytest.fixture(scope="module")
def compiled(reports):
    """name -> backend -> function, compiled from each derivation's report."""
    functions = {}
    for derivation, arguments, axis in _user_derivations():
        functions[derivation.name] = {
            backend: pgsym.compile(derivation, arguments, backend=backend, axis=axis,
                                   verified=reports[derivation.name])
            for backend in ("numpy", *BACKENDS) if backend == "numpy" or _installed(backend)}
    return functions


@pytest.mark.parametrize("backend", BACKENDS)
def test_compile_prints_a_users_derivation_for_each_backend(compiled, backend):
    _library(backend)
    rng = np.random.default_rng(0)
    inputs = {"softmax with a shift": (rng.normal(size=(5, 3)), rng.normal(size=5)),
              "Gaussian score in the mean": (rng.normal(size=5), rng.normal(size=5),
                                             rng.uniform(0.5, 2, size=5))}
    for name, functions in compiled.items():
        function, reference = functions[backend], functions["numpy"]
        assert (function.verified, function.derivation, function.sha256) == \
            (reference.verified, reference.derivation, reference.sha256)
        assert f"sha256 of the verified expression: {reference.sha256}" in function.__doc__
        for dtype in (np.float32, np.float64):
            arguments = [a.astype(dtype) for a in inputs[name]]
            expected = reference(*arguments)
            got = _numpy(function(*(_to(backend, a) for a in arguments)))[0]
            assert got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_allclose(got, expected, **_tolerance(dtype))
        with pytest.raises(ValueError, match=r"argument '\w+' must have shape"):
            function(*(_to(backend, a[:, None]) for a in inputs[name]))
        if backend == "jax":
            jax = _library("jax")
            arguments = [_to(backend, a) for a in inputs[name]]
            np.testing.assert_allclose(_numpy(jax.jit(function)(*arguments))[0],
                                       _numpy(function(*arguments))[0], rtol=1e-12)


def test_torch_refuses_a_function_it_has_no_counterpart_for():
    with pytest.raises(codegen.BuildError, match="cannot print it as PyTorch code: PyTorch has no "
                                                 "function for factorial"):
        pgsym.compile(sp.factorial(x), {"x": x}, backend="torch", verified=False) \
            if _installed("torch") else codegen.preview(
                codegen.Kernel("f", arguments={"x": x}, outputs=(codegen.Output(sp.factorial(x)),)),
                "torch")


# -- a package's kernels for every backend ------------------------------------------------
@pytest.mark.parametrize("backends", [("jax",), ("numpy", "tensorflow"), ("numpy", "jax", "jax"), ()])
def test_a_kernel_module_names_known_backends_once_numpy_first(backends):
    with pytest.raises(codegen.BuildError, match="KERNELS.backends must name each backend once, "
                                                 "'numpy' first, of 'numpy', 'jax', 'torch'"):
        codegen.KernelModule((), "_k.py", backends=backends)


PACKAGE_INIT = """
from pgsym.codegen import Kernel, KernelModule
from {package} import gaussian

KERNELS = KernelModule(file="_kernels.py", backends=("numpy", "jax", "torch"), kernels=(
    Kernel("mean_score", derivations=("Gaussian score in the mean",),
           arguments={"x": gaussian.x, "mu": gaussian.mu, "sigma": gaussian.sigma}),
))
"""

PACKAGE_GAUSSIAN = """
import sympy as sp
from pgsym import Derivation

x, mu = sp.symbols("x mu", real=True)
sigma = sp.Symbol("sigma", positive=True)

def build():
    d = Derivation("Gaussian score in the mean", start=sp.Derivative(-(x - mu)**2 / (2 * sigma**2), mu))
    return d.step((x - mu) / sigma**2, rule="algebra")
"""


def test_build_writes_a_packages_kernels_for_each_backend_it_declares(tmp_path, monkeypatch):
    for backend in BACKENDS:
        _library(backend)
    package = "backend_notes"
    folder = tmp_path / package
    folder.mkdir()
    (folder / "__init__.py").write_text(PACKAGE_INIT.replace("{package}", package))
    (folder / "gaussian.py").write_text(PACKAGE_GAUSSIAN)
    monkeypatch.syspath_prepend(str(tmp_path))
    result = pgsym.build(package, out=tmp_path / "out", figures=False)
    assert result.ok, result.kernels_error
    files = [folder / "_kernels.py", folder / "_kernels_jax.py", folder / "_kernels_torch.py"]
    assert result.kernel_files == tuple(files) and result.kernels_changed == tuple(files)
    assert result.kernels == files[0] and result.kernels_written
    x, mu, sigma = np.array([1.0, 3.0]), np.array([0.0, 1.0]), np.array([1.0, 2.0])
    for path, backend in zip(files, ("numpy", *BACKENDS)):
        spec = importlib.util.spec_from_file_location(f"{package}_{backend}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        got = _numpy(module.mean_score(*(_to(backend, a) for a in (x, mu, sigma))))[0]
        assert got.tolist() == [1.0, 0.5], backend
        assert "from the last step of 'Gaussian score in the mean', verified: every step " \
               "proved." in module.mean_score.__doc__
    again = pgsym.build(package, out=tmp_path / "out", figures=False)
    assert again.kernels_changed == () and not again.kernels_written


def test_torch_keeps_float64_returns_with_float32_scores():
    """Hostile review 12: float64 returns of 1e40 were cast to the float32 scores' dtype,
    giving inf; the rule is float64 unless every floating input is float32."""
    torch = _library("torch")
    t = _module("torch")
    scores = torch.tensor([[1e-3, 1.0], [1e-3, 1.0]], dtype=torch.float32)
    estimate, _ = t.reinforce_gradient(scores, torch.tensor([1e40, 1e40], dtype=torch.float64))
    assert estimate.dtype == torch.float64 and bool(torch.isfinite(estimate).all())
    features = torch.ones(2, 1, dtype=torch.float32)
    estimate, _ = t.softmax_reinforce_gradient(torch.zeros(1, 2, dtype=torch.float32), features,
                                               torch.tensor([0, 1]),
                                               torch.tensor([1e40, 0.0], dtype=torch.float64))
    assert estimate.dtype == torch.float64 and bool(torch.isfinite(estimate).all())
    # all float32 stays float32
    estimate, _ = t.reinforce_gradient(scores, torch.tensor([1.0, 2.0], dtype=torch.float32))
    assert estimate.dtype == torch.float32


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_sample_outside_the_verified_domain_comes_out_nan_on_every_backend(backend):
    """Values are not checked on the host under jax.jit or on a device (no sync): a sample
    whose argument breaks what the derivation assumes (x > 0) is nan, not the last step's
    value there (x m = -3 where the start, |x| m, is 3)."""
    library = _library(backend)
    x, m = sp.Symbol("x", positive=True), sp.Symbol("m", real=True)
    d = Derivation("kink", start=sp.Max(x, -x) * m).step(x * m, rule="algebra")
    f = pgsym.compile(d, {"x": x, "m": m}, backend=backend)
    assert "nan for a sample where one is not" in f.__doc__
    as_array = library.numpy.asarray if backend == "jax" else library.as_tensor
    values = f(as_array(np.array([2.0, -3.0, 0.0])), as_array(np.ones(3)))
    assert np.asarray(values)[0] == 2.0 and np.isnan(np.asarray(values)[1:]).all()
    if backend == "jax":
        jitted = library.jit(f)(as_array(np.array([2.0, -3.0])), as_array(np.ones(2)))
        assert np.asarray(jitted)[0] == 2.0 and np.isnan(np.asarray(jitted)[1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_erf_and_digamma_compile_for_jax_and_torch(backend):
    """User 15: torch's digamma was refused as 'not working on arrays' (torch.special is
    torch's), and JAX's printer had math.erf."""
    library = _library(backend)
    x = sp.Symbol("x", real=True)
    values = np.array([0.5, 1.0])
    for expression in (sp.erf(x), sp.polygamma(0, x + 2)):
        f = pgsym.compile(expression, {"x": x}, backend=backend, verified=False)
        as_array = library.numpy.asarray if backend == "jax" else library.as_tensor
        got = np.asarray(f(as_array(values)))
        expected = [float(sp.N(expression.subs(x, v))) for v in values]
        np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_a_function_the_installed_library_lacks_is_refused_when_compiling():
    """Hostile review 45: x Gamma(x) = Gamma(x + 1) compiled for torch as
    torch.special.gamma, which torch has not: every call raised AttributeError."""
    _library("torch")
    x = sp.Symbol("x", positive=True)
    with pytest.raises(codegen.BuildError, match="torch.special.gamma, which the installed torch"):
        pgsym.compile(sp.gamma(x), {"x": x}, backend="torch", verified=False)


def test_torch_atan2_of_a_number_and_an_array():
    """Hostile review 47: atan2(x, -1) printed for torch as torch.atan2(x, -1.0), which
    raises TypeError at every call (torch.atan2 takes tensors only)."""
    torch = _library("torch")
    x = sp.Symbol("x", real=True)
    for expression in (sp.atan2(x, -1), sp.atan2(1, x)):
        f = pgsym.compile(expression, {"x": x}, backend="torch", verified=False)
        got = f(torch.tensor([0.5, -2.0], dtype=torch.float64)).numpy()
        expected = [float(sp.N(expression.subs(x, v))) for v in (0.5, -2.0)]
        np.testing.assert_allclose(got, expected, rtol=1e-14)


@pytest.mark.parametrize("backend", ("numpy",) + BACKENDS)
def test_a_condition_between_arguments_is_checked_on_every_backend(backend):
    """Hostile review 51: |x - y| = x - y for x > y compiled to x - y, which returned -1 at
    x = 0, y = 1 (the start is 1): a condition between arguments was stated in the
    docstring only. NumPy raises; JAX and torch give nan there, jitted too."""
    x, y, eps = sp.Symbol("x", real=True), sp.Symbol("y", real=True), sp.Symbol("eps", positive=True)
    d = Derivation("abs", start=sp.Abs(x - y) + 0 * eps).step(
        x - y, rule="algebra", condition=sp.And(x > y, x < y + eps))
    f = pgsym.compile(d, {"x": x, "y": y, "eps": eps}, backend=backend)
    assert "x > y, x < eps + y, as the derivation assumes" in f.__doc__
    inside = [np.array([1.0, 3.0]), np.array([0.0, 2.5]), np.array([2.0, 1.0])]
    outside = [np.array([0.0, 3.0]), np.array([1.0, 1.0]), np.array([2.0, 1.0])]
    if backend == "numpy":
        assert f(*inside).tolist() == [1.0, 0.5]
        with pytest.raises(ValueError, match="must meet x > y .* which sample 0 does not"):
            f(*outside)
        return
    library = _library(backend)
    as_array = library.numpy.asarray if backend == "jax" else library.as_tensor
    assert np.asarray(f(*map(as_array, inside))).tolist() == [1.0, 0.5]
    broken = [np.array([0.0, 3.0, 5.0]), np.array([1.0, 1.0, 1.0]), np.array([2.0, 1.0, 9.0])]
    values = np.asarray(f(*map(as_array, broken)))
    assert np.isnan(values[:2]).all() and values[2] == 4.0
    if backend == "jax":
        jitted = np.asarray(library.jit(f)(*map(as_array, broken)))
        assert np.isnan(jitted[:2]).all() and jitted[2] == 4.0


@pytest.mark.parametrize("backend", ("numpy",) + BACKENDS)
def test_a_condition_that_two_values_differ_is_checked_on_every_backend(backend):
    """New user 37: a Laplace score verified under x != mu returned 0 at x = mu, where the
    start is undefined; x != 0 was not checked either. NumPy raises; JAX and torch give nan
    there."""
    x, y = sp.symbols("x y", real=True)
    start = sp.Add(sp.Mul((x - y)**2, sp.Pow(x - y, -1), evaluate=False),
                   sp.Mul(x**3, sp.Pow(x, -2), evaluate=False), evaluate=False)
    d = Derivation("cancelled", start=start).step(
        2 * x - y, rule="algebra", condition=sp.And(sp.Ne(x, y), sp.Ne(x, 0)))
    f = pgsym.compile(d, {"x": x, "y": y}, backend=backend)
    inside = [np.array([1.0, -3.0]), np.array([0.0, 2.5])]
    for outside in ([np.array([1.0, 3.0]), np.array([1.0, 2.0])],   # x = y
                    [np.array([0.0, 3.0]), np.array([1.0, 2.0])]):  # x = 0
        if backend == "numpy":
            assert f(*inside).tolist() == [2.0, -8.5]
            with pytest.raises(ValueError, match="must meet Ne.* which sample 0 does not"):
                f(*outside)
            continue
        library = _library(backend)
        as_array = library.numpy.asarray if backend == "jax" else library.as_tensor
        assert np.asarray(f(*map(as_array, inside))).tolist() == [2.0, -8.5]
        values = np.asarray(f(*map(as_array, outside)))
        assert np.isnan(values[0]) and values[1] == 4.0


@pytest.mark.parametrize("backend", ("numpy",) + BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_condition_between_arguments_is_not_let_through_by_rounding(backend, dtype):
    """Hostile review 52: under rho <= 1 + eps, rho = 1 + u and eps = 0.9 u (u the dtype's
    machine epsilon) passed: 1 + eps rounds to rho, though exactly rho > 1 + eps and the
    start is 0 there. A condition computed with roundings is met only by more than they
    may err; one inside by far is still met."""
    rho, eps = sp.Symbol("rho", real=True), sp.Symbol("epsilon", real=True)
    start = sp.Piecewise((1, rho <= 1 + eps), (0, True))
    d = Derivation("clip", start=start).step(sp.Integer(1), rule="algebra",
                                             condition=rho <= 1 + eps)
    f = pgsym.compile(d, {"rho": rho, "epsilon": eps}, backend=backend)
    u = float(np.finfo(dtype).eps)
    near = (np.array([1 + u], dtype=dtype), np.array([0.9 * u], dtype=dtype))
    far = (np.array([1.0], dtype=dtype), np.array([0.25], dtype=dtype))
    if backend == "numpy":
        assert f(*far).tolist() == [1.0]
        with pytest.raises(ValueError, match="not by more than the rounding"):
            f(*near)
        return
    library = _library(backend)
    as_array = library.numpy.asarray if backend == "jax" else library.as_tensor
    assert np.asarray(f(*map(as_array, far))).tolist() == [1.0]
    assert np.isnan(np.asarray(f(*map(as_array, near)))).all()


@pytest.mark.parametrize("backend", ("numpy",) + BACKENDS)
def test_conditions_on_arguments_that_are_defined_symbols_are_checked(backend):
    """Hostile review 54: with z := x^2, |z - y| = z - y for z >= y compiled with z an
    argument returned -5 at z = 0, y = 5: the condition was unfolded to x^2 >= y, which
    names no argument, and so was never checked (a bound z >= 1 likewise)."""
    x, y, z = sp.Symbol("x", real=True), sp.Symbol("y", real=True), sp.Symbol("z", real=True)
    d = Derivation("defined", start=sp.Abs(z - y), definitions={z: x**2}).step(
        z - y, rule="algebra", condition=z >= y)
    f = pgsym.compile(d, {"z": z, "y": y}, backend=backend)
    broken = (np.array([0.0]), np.array([5.0]))
    if backend == "numpy":
        with pytest.raises(ValueError, match="must meet z >= y"):
            f(*broken)
        return
    library = _library(backend)
    as_array = library.numpy.asarray if backend == "jax" else library.as_tensor
    assert np.isnan(np.asarray(f(*map(as_array, broken)))).all()


def test_jax_compares_arguments_as_they_are_where_their_difference_underflows():
    """Hostile review 54: under x >= y, float32 x = 2e-38 and y just above it passed in JAX:
    x - y is subnormal, and JAX on CPU flushes it to 0."""
    library = _library("jax")
    x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    d = Derivation("step", start=sp.Piecewise((1, x >= y), (0, True))).step(
        sp.Integer(1), rule="algebra", condition=x >= y)
    f = pgsym.compile(d, {"x": x, "y": y}, backend="jax")
    low = np.array([2e-38], dtype=np.float32)
    high = np.nextafter(low, np.float32(np.inf))
    values = np.asarray(f(library.numpy.asarray(low), library.numpy.asarray(high)))
    assert np.isnan(values).all()
