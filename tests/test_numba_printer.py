"""The Numba printer (codegen._NumbaKernelPrinter) against the NumPy printer: a kernel printed
for Numba computes what the kernel printed for NumPy computes, at 0, -0.0, +-inf, nan, huge and
tiny numbers (nan where NumPy gives nan, inf where it gives inf, the same sign of zero), or is
refused with a BuildError naming what it cannot print.

The tests skip where numba is not installed, except with PGSYM_REQUIRE_BACKENDS=1.
"""
from __future__ import annotations

import importlib.util
import itertools
import math
import os
import warnings

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.cfunctions import expm1, hypot, log1p, log2, log10

from pgsym import codegen
from tests.conftest import HEAVY_NUMBA

pytestmark = pytest.mark.xdist_group(HEAVY_NUMBA)  # (tests/conftest.py: why, and when)

# (numba is imported by the tests, not here: collecting this file in every worker would load
# it into both, and a process holding it forks slower: tests/conftest.py)
if importlib.util.find_spec("numba") is None:
    if os.environ.get("PGSYM_REQUIRE_BACKENDS") == "1":
        raise ImportError("PGSYM_REQUIRE_BACKENDS=1 but numba is not installed")
    pytest.skip("numba is not installed (pip install \"pgsym[numba]\")", allow_module_level=True)

x, y = sp.symbols("x y", real=True)
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, math.inf, -math.inf, math.nan, 1e300, -1e300,
           5e-324, 1e-300, 1e20, 2.0**53 + 2)


def kernel(expression: sp.Expr) -> codegen.Kernel:
    return codegen.Kernel("f", derivations=("d",), arguments={"x": x, "y": y},
                          outputs=(codegen.Output(expression),), batch="last")


def functions(expression: sp.Expr):
    """(the NumPy kernel, the Numba kernel) of an expression of x and y, each taking two
    floats and returning a float."""
    spaces = []
    for backend, modules in (("numpy", "import numpy, functools"),
                             ("numba", "import numba, numpy, math")):
        source = codegen.preview(kernel(expression), backend).replace("cache=True, ", "")
        space: dict = {}
        exec(modules + "\n" + source, space)  # noqa: S102  # code codegen printed
        spaces.append(space["f"])
    numpy_kernel, numba_kernel = spaces

    def numpy_value(a: float, b: float) -> float:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = numpy_kernel(np.array([[a]]), np.array([[b]]))
        return float(np.broadcast_to(result, (1, 1))[0, 0])

    def numba_value(a: float, b: float) -> float:
        return float(numba_kernel(np.array([[a]]), np.array([[b]]), np.empty((1, 1)))[0, 0])

    return numpy_value, numba_value


def agree(ours: float, theirs: float) -> bool:
    if math.isnan(theirs) or math.isnan(ours):
        return math.isnan(theirs) and math.isnan(ours)
    if ours == theirs:
        return math.copysign(1, ours) == math.copysign(1, theirs)
    return math.isfinite(theirs) and abs(ours - theirs) <= 4e-16 * abs(theirs)


def disagreements(expression: sp.Expr, points) -> list:
    numpy_value, numba_value = functions(expression)
    return [(point, numpy_value(*point), numba_value(*point)) for point in points
            if not agree(numba_value(*point), numpy_value(*point))]


ONE = [(v, 1.0) for v in SPECIAL]
TWO = list(itertools.product(SPECIAL[:10] + (1e300,), repeat=2))


# -- the holes of hostile review 12, each printed as NumPy computes it -------------------------
@pytest.mark.parametrize("expression", [sp.floor(x), sp.ceiling(x), sp.floor(x) * y],
                         ids=str)
def test_floor_and_ceiling_are_floats_beyond_int64_and_at_nan_and_inf(expression):
    """math.floor is int64 in Numba: floor(1e20), floor(nan), floor(inf) were -2**63."""
    assert not disagreements(expression, ONE + [(1e20, 1.0), (-1e19, 2.0), (math.inf, 1.0)])


@pytest.mark.parametrize("expression", [sp.sign(x), sp.Max(x, y), sp.Min(x, y),
                                        sp.Max(x, y, 0), sp.Min(0, x, y), 1 / sp.sign(x)],
                         ids=str)
def test_sign_max_and_min_propagate_nan_and_keep_numpys_zero(expression):
    """Python's copysign, max and min gave sign(nan) = 1, Max(1, nan) = 1 (but Max(nan, 1)
    nan), Min(1, nan) = 1; numpy.sign(-0.0) and Numba's maximum(0.0, -0.0) differ from NumPy's
    in the sign of zero (1/sign(-0.0): inf or -inf)."""
    assert not disagreements(expression, TWO)


@pytest.mark.parametrize("expression", [x**-2, 1 / x**3, x**-7, sp.Abs(x)**-2, x**(-2**70)],
                         ids=str)
def test_negative_integer_powers_are_infinite_at_zero(expression):
    """Numba's power by a negative integer raised ZeroDivisionError at 0."""
    assert not disagreements(expression, ONE)


@pytest.mark.parametrize("expression", [x * 2**70, x + 2**70, x / 2**70, x * sp.Rational(2**70, 3),
                                        x**(2**70), x + 2**60 + 1], ids=str)
def test_integers_beyond_int64_are_printed_as_floats(expression):
    """An integer literal beyond int64 was a TypingError deep in Numba's compiler."""
    assert not disagreements(expression, ONE)


def test_an_integer_beyond_float64_is_refused_by_name():
    with pytest.raises(codegen.BuildError, match="beyond float64"):
        codegen.preview(kernel(x * 10**400), "numba")


@pytest.mark.parametrize("expression", [sp.Piecewise((x, x > 0)),
                                        sp.Piecewise((1, x > 0), (0, x < 0))], ids=str)
def test_a_piecewise_without_a_true_branch_is_nan_where_no_condition_holds(expression):
    """Python's printer put None there: a TypeError when the kernel ran."""
    assert "None" not in codegen.preview(kernel(expression), "numba")
    assert not disagreements(expression, ONE)


# -- the rest of what the Numba printer prints --------------------------------------------------
@pytest.mark.parametrize("expression", [
    sp.Abs(x), sp.exp(x), sp.log(x), sp.sqrt(x), sp.sin(x), sp.cos(x), sp.tan(x), sp.asin(x),
    sp.acos(x), sp.atan(x), sp.sinh(x), sp.cosh(x), sp.tanh(x), sp.asinh(x), sp.acosh(x),
    sp.atanh(x), expm1(x), log1p(x), log2(x), log10(x), sp.log(x, 2), sp.pi * x, sp.E * x,
    sp.Heaviside(x), sp.Heaviside(x, 0), sp.Heaviside(x, 1), 1 / x, x**2, x**3, x**7,
    x**sp.Rational(1, 3), x**sp.Rational(3, 2), x**sp.Rational(-1, 2), x**sp.Rational(-3, 2),
    x**-1.5, sp.Float(-2.5)**x, 2**x, sp.Mod(x, 3), sp.Mod(x, -3), sp.Mod(3, x),
    sp.Piecewise((x, x > 0), (1, True))], ids=str)
def test_each_function_of_one_argument_agrees_with_numpy_at_special_values(expression):
    assert not disagreements(expression, ONE)


@pytest.mark.parametrize("expression", [sp.atan2(x, y), sp.Mod(x, y), sp.KroneckerDelta(x, y),
                                        x**y, x / y, x * y, hypot(x, y)], ids=str)
def test_each_function_of_two_arguments_agrees_with_numpy_at_special_values(expression):
    assert not disagreements(expression, TWO)


@pytest.mark.parametrize("expression", [sp.erf(x), sp.erfc(x), sp.gamma(x), sp.loggamma(x),
                                        sp.factorial(x)], ids=str)
def test_a_function_numpys_printer_refuses_is_refused_by_name(expression):
    """NumPy's printer has no vectorised form of these: a Numba kernel of them would have
    nothing to agree with (and math.gamma's poles, math.factorial's floats differ)."""
    with pytest.raises(codegen.BuildError):
        codegen.preview(kernel(expression), "numpy")
    with pytest.raises(codegen.BuildError, match=r"math\.(erf|erfc|gamma|factorial)|loggamma"):
        codegen.preview(kernel(expression), "numba")
