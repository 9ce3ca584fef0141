"""A printed function computes the verified expression it names, or refuses (ninth hostile
review): deltas and piecewise constants in the arguments' float dtype, not wrapping integers;
integers beyond what the float computed in holds refused; complex expressions and loggamma off
the positives refused (pgsym._compiled_checks); a report of another derivation refused by
pgsym build too; a kernel printing a summand or a cofactor says so."""
import importlib
import math
import os

import numpy as np
import pytest
import sympy as sp

import pgsym
from pgsym import Derivation
from pgsym.codegen import BuildError, Kernel, KernelModule, NotVerifiedError, Output, module_source
from tests.conftest import HEAVY_JAX_TORCH

pytestmark = pytest.mark.xdist_group(HEAVY_JAX_TORCH)  # (tests/conftest.py: why, and when)

a, b, c = sp.symbols("a b c", integer=True)
x, y = sp.symbols("x y", real=True)
BACKENDS = ("numpy", "jax", "torch")


def _library(backend: str):
    """NumPy, or the optional backend: skipped where it is not installed (the README's test
    command installs neither), failed where CI requires it (PGSYM_REQUIRE_BACKENDS=1)."""
    if backend == "numpy":
        return np
    try:
        return importlib.import_module(backend)
    except ImportError:
        if os.environ.get("PGSYM_REQUIRE_BACKENDS") == "1":
            pytest.fail(f"PGSYM_REQUIRE_BACKENDS=1 but {backend} is not installed")
        pytest.skip(f"{backend} is not installed (pip install \"pgsym[{backend}]\")")


def _array(backend: str, values, dtype=None):
    if backend == "torch":
        torch = _library("torch")
        return torch.tensor(values, dtype=getattr(torch, dtype) if dtype else None)
    if backend == "jax":
        return _library("jax").numpy.asarray(values, dtype=dtype)
    return np.asarray(values, dtype=dtype)


def _values(result) -> list[float]:
    return np.asarray(result.tolist() if hasattr(result, "tolist") else result, dtype=float).tolist()


# -- F2: integer-valued constructs are floats of the arguments' dtype ------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_sum_of_deltas_times_a_large_constant_does_not_wrap_around(backend):
    _library(backend)
    large = sp.Integer(2 * 10**9)  # an int32 (JAX's default) holds one of them, not two
    d = Derivation("two deltas", start=sp.Mul(large, sp.KroneckerDelta(a, b) + sp.KroneckerDelta(a, c),
                                              evaluate=False))
    d.step(large * sp.KroneckerDelta(a, b) + large * sp.KroneckerDelta(a, c), rule="distributivity")
    f = pgsym.compile(d, {"a": a, "b": b, "c": c}, backend)
    ones, others = _array(backend, [1.0, 1.0]), _array(backend, [1.0, 2.0])
    assert _values(f(ones, ones, others)) == [4e9, 2e9]


def test_a_delta_times_a_constant_beyond_int64_is_its_value_in_numpy():
    """The reviewer's case: 2 * 6e18 came back as -6.4e18 (int64 wrapped)."""
    large = sp.Integer(6 * 10**18)
    f = pgsym.compile(large * sp.KroneckerDelta(a, b) + large * sp.KroneckerDelta(a, c),
                      {"a": a, "b": b, "c": c}, verified=False)
    assert f([1.0, 1.0], [1.0, 2.0], [1.0, 3.0]).tolist() == [1.2e19, 0.0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_delta_keeps_the_dtype_of_float32_arguments_and_may_read_a_number_first(backend):
    _library(backend)
    f = pgsym.compile(sp.KroneckerDelta(1, x) * y, {"x": x, "y": y}, backend, verified=False)
    result = f(_array(backend, [1.0, 2.0], "float32"), _array(backend, [3.0, 3.0], "float32"))
    assert "float32" in str(result.dtype)
    assert _values(result) == [3.0, 0.0]


def test_piecewise_numbers_in_torch_are_floats_and_undefined_where_no_condition_holds():
    """torch.where of numbers alone was int64 (wrapping like the deltas), and SymPy's printer
    put 0 where no condition holds, where the Piecewise is undefined."""
    torch = _library("torch")
    large = sp.Integer(6 * 10**18)
    step = large * sp.Piecewise((1, x > 0), (0, True)) + large * sp.Piecewise((1, y > 0), (0, True))
    f = pgsym.compile(step, {"x": x, "y": y}, "torch", verified=False)
    arguments = torch.tensor([1.0, -1.0], dtype=torch.float64), torch.tensor([1.0, 1.0], dtype=torch.float64)
    assert f(*arguments).tolist() == [1.2e19, 6e18]
    partial = pgsym.compile(sp.Piecewise((x, x > 0)), {"x": x}, "torch", verified=False)
    result = partial(torch.tensor([2.0, -1.0], dtype=torch.float64))
    assert result[0].item() == 2.0 and math.isnan(result[1].item())
    assert result.dtype == torch.float64


# -- F8: integers a float would round are refused ---------------------------------------------
def _delta(backend: str):
    d = Derivation("delta", start=sp.Add(sp.KroneckerDelta(a, b), a, -a, evaluate=False))
    return pgsym.compile(d.step(sp.KroneckerDelta(a, b), rule="algebra"), {"a": a, "b": b}, backend)


@pytest.mark.parametrize("backend", ["numpy", "torch"])
def test_integers_beyond_2_to_the_53_are_refused_naming_the_argument(backend):
    _library(backend)
    f = _delta(backend)
    limit = 2**53
    assert _values(f(_array(backend, [limit, 3], "int64"), _array(backend, [limit, 4], "int64"))) == [1.0, 0.0]
    with pytest.raises(ValueError, match=r"argument 'b' holds integers beyond 2\*\*53"):
        f(_array(backend, [limit], "int64"), _array(backend, [limit + 1], "int64"))
    with pytest.raises(ValueError, match=r"argument 'a' holds integers beyond 2\*\*53"):
        f(_array(backend, [-limit - 1], "int64"), _array(backend, [0], "int64"))
    assert _values(f(_array(backend, [2**31 - 1], "int32"), _array(backend, [2**31 - 1], "int32"))) == [1.0]


def test_jax_refuses_integers_its_float_would_round_and_under_jit_those_it_cannot_check():
    jax = _library("jax")
    f = _delta("jax")
    floats = jax.numpy.result_type(float)
    bits = jax.numpy.finfo(floats).nmant + 1  # 24 in float32 (JAX's default), 53 in float64
    integers = jax.numpy.int64 if bits == 53 else jax.numpy.int32
    limit = jax.numpy.asarray([2**bits], dtype=integers)
    assert _values(f(limit, limit)) == [1.0]
    with pytest.raises(ValueError, match=rf"argument 'b' holds integers beyond 2\*\*{bits}"):
        f(limit, limit + 1)
    small = jax.numpy.asarray([3], dtype=jax.numpy.int8)
    assert _values(jax.jit(f)(small, small)) == [1.0]  # int8: every value exact, no check
    with pytest.raises(ValueError, match="under jax.jit their values cannot be checked"):
        jax.jit(f)(limit, limit)


# -- F4, F5: what would be computed as something else is refused ------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_complex_last_step_is_refused_not_cast_to_its_real_part(backend):
    _library(backend)
    euler = Derivation("Euler", start=sp.cos(x) + sp.I * sp.sin(x)).step(sp.exp(sp.I * x), rule="algebra")
    with pytest.raises(BuildError, match=r"derivation 'Euler': exp\(I\*x\) holds the imaginary unit"):
        pgsym.compile(euler, {"x": x}, backend)
    real = Derivation("real part", start=(sp.exp(sp.I * x) + sp.exp(-sp.I * x)) / 2).step(sp.cos(x), rule="algebra")
    assert _values(pgsym.compile(real, {"x": x}, backend)(_array(backend, [0.0]))) == [1.0]


def test_a_complex_output_of_a_kernel_is_refused_by_the_build_too():
    spec = KernelModule(kernels=(Kernel("phase", derivations=("phase",), arguments={"x": x}),),
                        file="_kernels.py")
    d = Derivation("phase", start=sp.cos(x) + sp.I * sp.sin(x)).step(sp.exp(sp.I * x), rule="algebra")
    with pytest.raises(BuildError, match="holds the imaginary unit"):
        module_source(spec, {"phase": d}, verified=False)


def test_loggamma_is_compiled_for_torch_only_where_its_argument_is_known_positive():
    """torch.lgamma (and math.lgamma for constants) is log|Gamma|: SymPy's loggamma only for
    positive arguments (loggamma(-1/2) is 1.2655 - pi i, torch gave 1.2655)."""
    torch = _library("torch")
    negative = sp.Symbol("z", negative=True, noninteger=True)
    with pytest.raises(BuildError, match=r"loggamma\(z\).*z is not known to be positive"):
        pgsym.compile(sp.loggamma(negative), {"z": negative}, "torch", verified=False)
    with pytest.raises(BuildError, match=r"loggamma\(x\)"):
        pgsym.compile(sp.loggamma(x), {"x": x}, "torch", verified=False)
    with pytest.raises(BuildError, match=r"loggamma\(-1/2\)"):
        pgsym.compile(x + sp.loggamma(sp.Rational(-1, 2)), {"x": x}, "torch", verified=False)
    s = sp.Symbol("s", positive=True)
    f = pgsym.compile(sp.loggamma(s) + sp.loggamma(sp.Rational(3, 2)), {"s": s}, "torch", verified=False)
    expected = math.lgamma(2.5) + math.lgamma(1.5)
    assert f(torch.tensor([2.5], dtype=torch.float64)).item() == pytest.approx(expected, rel=1e-14)


# -- F3: pgsym build takes a report only of the derivation as it stands -----------------------
def test_a_kernel_is_not_printed_from_the_report_of_another_derivation_with_its_name_and_steps():
    good = Derivation("factored", start=x**2 - 1).step((x - 1) * (x + 1), rule="algebra")
    report = good.verify()
    spec = KernelModule(kernels=(Kernel("factored", derivations=("factored",), arguments={"x": x}),),
                        file="_kernels.py")
    assert "every step proved" in module_source(spec, {"factored": good}, verified={"factored": report})
    edited = Derivation("factored", start=x**2 + 5).step((x - 1) * (x + 1), rule="algebra")  # false
    assert tuple(s.step for s in report.steps) == edited.steps
    with pytest.raises(NotVerifiedError, match="its start, definitions, ranges and steps are compared"):
        module_source(spec, {"factored": edited}, verified={"factored": report})


# -- F9: a kernel printing part of the last step says which part ------------------------------
def test_the_docstring_says_when_a_kernel_prints_a_cofactor_or_a_summand_of_the_last_step():
    last = (3 - x) * y
    d = Derivation("score", start=sp.Mul(3 - x, y, evaluate=False)).step(last, rule="algebra")
    i = sp.Symbol("i", integer=True, nonnegative=True)
    total = sp.Sum(x * y, (i, 0, 2))
    s = Derivation("sum", start=sp.Sum(x * (y + 1) - x, (i, 0, 2))).step(total, rule="algebra")
    kernels = (Kernel("cofactor", derivations=("score",), arguments={"x": x, "y": y},
                      outputs=(Output(last, factor_out=(3 - x,)),)),
               Kernel("summand", derivations=("sum",), arguments={"x": x, "y": y},
                      outputs=(Output(x * y, part="summand"),)),
               Kernel("whole", derivations=("score",), arguments={"x": x, "y": y}))
    namespace: dict = {}
    exec(module_source(KernelModule(kernels=kernels, file="_kernels.py"),  # noqa: S102 - printed here
                       {"score": d, "sum": s}, verified=True), namespace)
    assert ("the result is the last step with (3 - x) taken out: the last step is (3 - x) times "
            "the value returned") in " ".join(namespace["cofactor"].__doc__.split())
    assert "the result is the summand of the last step (a sum)" in namespace["summand"].__doc__
    assert "Not the last step itself" not in namespace["whole"].__doc__
    assert namespace["cofactor"](np.array([5.0]), np.array([2.0])).tolist() == [2.0]


def test_the_report_of_the_same_derivation_built_again_is_taken():
    """Built twice (as pgsym build's discovery and a caller's do), a Lambda in the definitions
    gets other Dummies; the fingerprint numbers them in order, so the report still matches."""
    f = sp.Function("f")

    def built() -> Derivation:
        u = sp.Dummy("u", real=True)  # as a definition made by a helper is
        d = Derivation("twice", start=f(x) + f(x), definitions={f: sp.Lambda(u, u**2)})
        return d.step(2 * x**2, rule=("definition", "algebra"))

    first, second = built(), built()
    assert sp.srepr(first.definitions) != sp.srepr(second.definitions)  # other Dummies
    spec = KernelModule(kernels=(Kernel("twice", derivations=("twice",), arguments={"x": x}),),
                        file="_kernels.py")
    assert "every step proved" in module_source(spec, {"twice": second}, verified={"twice": first.verify()})
    from pgsym.verification import _dummies_renumbered

    assert _dummies_renumbered("D(dummy_index=71) D(dummy_index=9) D(dummy_index=71)") == \
        "D(dummy_index=0) D(dummy_index=1) D(dummy_index=0)"  # distinct ones stay distinct


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_negative_zero_is_the_zero_the_expression_is_verified_at(backend):
    """Hostile review 41: atan2(-0.0, -1) came back -pi and acot(-0.0) -pi/2 (IEEE keeps the
    sign of zero); the expression's values at 0 are pi and pi/2."""
    _library(backend)
    y, x = sp.symbols("y x", real=True)
    angle = pgsym.compile(sp.atan2(y, x), {"y": y, "x": x}, backend, verified=False)
    cotangent = pgsym.compile(sp.acot(x), {"x": x}, backend, verified=False)
    zeros, minus_ones = _array(backend, [-0.0, 0.0, 1.0]), _array(backend, [-1.0, -1.0, -1.0])
    assert _values(angle(zeros, minus_ones)) == pytest.approx(
        [math.pi, math.pi, float(sp.atan2(1, -1))], rel=1e-6)
    assert _values(cotangent(zeros)) == pytest.approx(
        [math.pi / 2, math.pi / 2, float(sp.acot(1))], rel=1e-6)
