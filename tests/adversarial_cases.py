"""Hostile inputs for the verifier: false or unjustified steps that must never pass.

Used by ``tests/test_adversarial.py``. Every case builds a :class:`pgsym.Derivation` whose last
step is false (the two sides differ somewhere) or unjustified (the value may be right, the
cited rule does not link the sides). Each case says why in its ``why``.

Every verification runs in a forked child process with a wall-clock limit (:func:`isolated`),
so that a verifier that hangs, even inside C code, fails the test instead of blocking the
suite. The child starts its own process group, and that whole group is killed when the time
is up, so helper processes of the verifier go with it. Builders are plain callables: forking
needs no pickling. What the verifier itself might pickle (user rule checks, the custom SymPy
function) lives at module level.
"""
from __future__ import annotations

import multiprocessing
import os
import re
import signal
import time
import traceback
from dataclasses import dataclass
from typing import Callable

import sympy as sp

import pgsym
from pgsym import Derivation, Justification, Rule, RuleCheck

# -- symbols ------------------------------------------------------------------------------
x = sp.Symbol("x", positive=True)
y = sp.Symbol("y", positive=True)
r = sp.Symbol("r", real=True)
s = sp.Symbol("s", real=True)
t = sp.Symbol("t", real=True)
u = sp.Symbol("u", real=True)
theta = sp.Symbol("theta", real=True)
z = sp.Symbol("z")  # no assumptions: SymPy treats it as complex
n = sp.Symbol("n", integer=True)
m = sp.Symbol("m", integer=True, nonnegative=True)
k = sp.Symbol("k", integer=True)
j = sp.Symbol("j", integer=True, nonnegative=True)
a_real, b_real = sp.symbols("a b", real=True)
f = sp.Function("f")  # no assumptions: complex values, may vanish or be negative
g = sp.Function("g")
p = sp.Function("p", positive=True)
A, B, C = sp.symbols("A B C", commutative=False)
MA, MB, MC = (sp.MatrixSymbol(name, 2, 2) for name in ("MA", "MB", "MC"))
_e_ext = sp.Symbol("w", extended_real=True)  # may be -oo or oo
_ep_ext = sp.Symbol("ep", extended_positive=True)  # may be oo
_f_real = sp.Function("f", real=True)
_N_pos = sp.Symbol("N", integer=True, positive=True)
_i_int, _j_int, _x_int = sp.symbols("i j x", integer=True)
_y_sym, _z_sym = sp.symbols("y z")

#: verdict kinds that count as a pass without any opt-in
PROVED_KINDS = frozenset({"PROVED", "PROVED_ASSUMING"})
#: what a false step may get when numeric evidence is accepted
NOT_PASSING_KINDS = frozenset({"REFUTED", "UNKNOWN"})


# -- running a check in a child process -----------------------------------------------------
@dataclass(frozen=True)
class Isolated:
    """What a callable did in a child process: its value, or the exception it raised."""

    value: object = None
    error_type: str | None = None
    error_message: str = ""
    derivation_error: bool = False
    error_traceback: str = ""
    seconds: float = 0.0
    finished: bool = True  # False: killed at the wall-clock limit (or crashed)

    def describe(self) -> str:
        if not self.finished:
            return f"did not finish within the wall-clock limit ({self.seconds:.1f} s) or crashed"
        if self.error_type is not None:
            return f"raised {self.error_type}: {self.error_message}\n{self.error_traceback}"
        return repr(self.value)


def _child(function: Callable[[], object], connection) -> None:
    try:
        os.setpgid(0, 0)  # own process group: a kill at the limit takes the verifier's helpers too
    except OSError:
        pass
    try:
        payload = ("value", function())
    except BaseException as error:  # reported to the parent, which decides
        payload = ("error", type(error).__name__, str(error),
                   isinstance(error, pgsym.DerivationError), traceback.format_exc())
    try:
        connection.send(payload)
    except Exception as error:  # an unpicklable value
        connection.send(("error", type(error).__name__, f"cannot send the result: {error}",
                         False, traceback.format_exc()))
    connection.close()


def _kill_group(process) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass
    if process.is_alive():
        process.kill()
    process.join(5)


def isolated(function: Callable[[], object], wall: float = 90.0) -> Isolated:
    """Runs ``function()`` in a forked child; gives up (and kills the child's process group)
    after ``wall`` seconds."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(function, sender), daemon=False)
    started = time.monotonic()
    process.start()
    sender.close()
    payload = None
    if receiver.poll(wall):
        try:
            payload = receiver.recv()
        except EOFError:  # the child died without answering
            payload = None
    seconds = time.monotonic() - started
    receiver.close()
    process.join(10)
    if payload is None or process.is_alive():
        _kill_group(process)
    if payload is None:
        return Isolated(seconds=seconds, finished=False)
    if payload[0] == "value":
        return Isolated(value=payload[1], seconds=seconds)
    _, kind, message, derivation_error, trace = payload
    return Isolated(error_type=kind, error_message=message, derivation_error=derivation_error,
                    error_traceback=trace, seconds=seconds)


@dataclass(frozen=True)
class Summary:
    """The picklable part of a :class:`pgsym.Report`."""

    ok: bool
    kinds: tuple[str, ...]
    justifications: tuple[str, ...]
    failures: tuple[str, ...]
    #: each step's verdict in words, "method: detail" (what a false pass rested on: one was
    #: seen once in CI, binomial-identity-broken-at-one-integer, and not since)
    verdicts: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        """The verdict of the last step (the one under test)."""
        return self.kinds[-1]

    @property
    def justification(self) -> str:
        return self.justifications[-1]


def summarize(report) -> Summary:
    failures = getattr(report, "failures", None)
    return Summary(
        ok=bool(report.ok),
        kinds=tuple(step.verdict.kind.name for step in report.steps),
        justifications=tuple(step.justification.status.name for step in report.steps),
        failures=tuple(failures()) if callable(failures) else (),
        verdicts=tuple(f"{step.verdict.method}: {step.verdict.detail}" for step in report.steps),
    )


def verify_isolated(build: Callable[[], Derivation], *, time_limit: float = 2.0,
                    accept_numeric: bool = False, wall: float = 90.0) -> Isolated:
    """Builds and verifies a derivation in a child process; the value is a :class:`Summary`."""

    def work() -> Summary:
        derivation = build()
        return summarize(pgsym.verify(derivation, time_limit=time_limit,
                                      accept_numeric=accept_numeric))

    return isolated(work, wall)


_plain_k = sp.Symbol("k")  # no assumptions: its range decides what it is
_plain_N = sp.Symbol("N")
_real_f = sp.Function("f", real=True)
_real_g = sp.Function("g", real=True)
_positive_function = sp.Function("f", positive=True)
_canonical_name = sp.Symbol("_b0_0", integer=True, positive=True)
_matrix_function = sp.Function("G", commutative=False)
_harmonic_name = sp.Symbol("H")
_divergent_integral = sp.Integral(1 / x, (x, 1, sp.oo))
_partial = sp.Piecewise((1, t > 0))
_theta_base = sp.IndexedBase("theta")
m_pos = sp.Symbol("m", integer=True, positive=True)
_variable_alias, _bound_alias = sp.symbols("y b", real=True)
_positive_k = sp.Symbol("k", integer=True, positive=True)
_inner_j = sp.Symbol("j", integer=True)  # (an inner index printed apart from the outer k)
_positive_s = sp.Symbol("s", positive=True)
_real_u, _real_v = sp.symbols("u v", real=True)
_positive_q, _w_name = sp.Symbol("q", integer=True, positive=True), sp.Symbol("w")
_count = sp.Symbol("N", integer=True, nonnegative=True)
_zero_in_disguise = sp.sin(r)**2 + sp.cos(r)**2 - 1


# -- cases ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One hostile derivation; its last step is the one that must not pass."""

    id: str
    build: Callable[[], Derivation]
    why: str
    #: the two sides really differ somewhere (not only the citation is wrong): then even
    #: numeric evidence must not make the step pass
    value_false: bool = True
    #: refusing the derivation with a DerivationError (naming it) is an acceptable answer
    may_raise: bool = False
    time_limit: float = 2.0
    #: sampling cannot reach the one place where the sides differ (an index of 50 in a sum
    #: whose sampled bounds stay small): the step must not be proved, but with numeric
    #: evidence accepted it may pass, as evidence may
    sampling_misses: bool = False


def claim(name: str, before: sp.Expr, after: sp.Expr, rule="algebra", **step) -> Callable[[], Derivation]:
    """A builder for the one-step derivation ``before = after``."""
    return lambda: Derivation(name, start=before).step(after, rule=rule, **step)


def _case(id: str, before, after, why: str, relation: str = "=", **options) -> Case:
    if relation == "=":
        return Case(id, claim(id, before, after), why, **options)
    return Case(id, claim(id, before, after, relation=relation), why, **options)


# 1. numeric evidence is not proof: TRUE identities that SymPy cannot prove --------------------
NUMERIC_ONLY = [
    _case("atan-plus-atan-of-inverse", sp.atan(x) + sp.atan(1 / x), sp.pi / 2,
          "true for x > 0, but simplify cannot prove it"),
    _case("dilogarithm-reflection",
          sp.polylog(2, 1 / (1 + x)) + sp.polylog(2, x / (1 + x)),
          sp.pi**2 / 6 - sp.log(1 / (1 + x)) * sp.log(x / (1 + x)),
          "Euler's reflection Li2(a) + Li2(1-a) = pi^2/6 - log a log(1-a), a = 1/(1+x) in (0, 1)"),
    _case("atan-difference", sp.atan(x + 1) - sp.atan(x), sp.atan(1 / (1 + x + x**2)),
          "tan(A - B) = 1/(1 + x(x+1)) with A - B in (0, pi/2) for x > 0"),
    _case("lambert-w-definition", sp.LambertW(x) * sp.exp(sp.LambertW(x)), x,
          "W(x) e^W(x) = x is the definition of the principal branch, for x > 0"),
    _case("hurwitz-zeta-recurrence", sp.zeta(2, x) - sp.zeta(2, x + 1), 1 / x**2,
          "zeta(2, x) = sum_k 1/(k + x)^2, so the difference is its first term"),
]


# 2. near-identities that fool a sampler -------------------------------------------------------
_SQRT2_60 = sp.Rational(sp.integer_nthroot(2 * 10**120, 2)[0], 10**60)  # floor(sqrt(2) 10^60) / 10^60
_ROOTS_AT_SMALL_INTEGERS = sp.Mul(*[(n - i) for i in range(-10, 11)])
_ROOTS_AT_0_TO_6 = sp.Mul(*[(m - i) for i in range(7)])

NEAR_IDENTITIES = [
    # far below any tolerance
    _case("tiny-relative-1e-40", r + r / 10**40, r, "differs by r/10^40, nonzero for r != 0"),
    _case("rationals-differing-by-1e-50", sp.Rational(1, 3) + sp.Rational(1, 10**50),
          sp.Rational(1, 3), "two different rational constants"),
    _case("sqrt2-vs-60-digit-rational", sp.sqrt(2), _SQRT2_60,
          "sqrt(2) is irrational; the rational agrees to 60 digits"),
    _case("ramanujan-near-integer", sp.exp(sp.pi * sp.sqrt(163)), sp.Integer(640320**3 + 744),
          "e^(pi sqrt 163) = 262537412640768743.99999999999925..., transcendental, not an integer"),
    _case("partial-sum-of-e", sp.Sum(1 / sp.factorial(j), (j, 0, 60)), sp.E,
          "a rational partial sum, short of e by about 1/61!"),
    _case("partial-sum-of-zeta3", sp.Sum(1 / j**3, (j, 1, 10**12)), sp.zeta(3),
          "short of zeta(3) by the tail, about 1/(2 * 10^24); slow: the sum has 10^12 terms",
          time_limit=3),
    _case("tiny-exponent", x**sp.Rational(1, 10**40), sp.Integer(1),
          "x^(10^-40) = 1 + 10^-40 log x + ..., not 1 for x != 1"),
    _case("tiny-angle", sp.cos(r / 10**25), sp.Integer(1), "cos(r/10^25) < 1 for r != 0"),
    _case("tiny-shift", sp.sin(r + sp.Rational(1, 10**30)), sp.sin(r),
          "sin is not periodic with period 10^-30"),
    # far above the scale
    _case("huge-scale-off-by-one", 10**60 * sp.sin(r)**2 + 10**60 * sp.cos(r)**2 + 1,
          sp.Integer(10**60), "the left side is 10^60 + 1"),
    _case("huge-binomial-off-by-one", (r + 10**60)**2, r**2 + 2 * 10**60 * r + 10**120 + 1,
          "the right side has an extra +1 beside 10^120"),
    _case("double-exponential-plus-one", sp.exp(sp.exp(x + 5)) + 1, sp.exp(sp.exp(x + 5)),
          "differs by 1, hidden under e^(e^(x+5)) > 10^64"),
    # vanishing numerically almost everywhere
    _case("gaussian-spike", r + sp.exp(-10**8 * r**2), r,
          "exp(-10^8 r^2) > 0 everywhere (it is 1 at r = 0)"),
    _case("double-exponential-decay", r + sp.exp(-sp.exp(r + 50)), r,
          "exp(-e^(r+50)) > 0 everywhere"),
    _case("positive-function-decay", r + sp.exp(-10**4 * p(r)**2), r,
          "exp(-10^4 p^2) > 0 for every p"),
    # holding only on the sampled grid or range
    _case("sin-of-100-pi-x", x + sp.sin(100 * sp.pi * x), x,
          "sin(100 pi x) vanishes at multiples of 1/100 only; it is 1 at x = 1/200"),
    _case("sin-of-100-pi-r", r**2 + sp.sin(100 * sp.pi * r), r**2,
          "sin(100 pi r) is 1 at r = 1/200"),
    _case("polynomial-with-roots-at-small-integers", n**2 + _ROOTS_AT_SMALL_INTEGERS, n**2,
          "prod_{i=-10..10} (n - i) vanishes only for |n| <= 10; it is 21! at n = 11"),
    _case("polynomial-with-roots-0-to-6", m + _ROOTS_AT_0_TO_6, m,
          "n(n-1)...(n-6) is 7! at n = 7"),
    _case("mod-1000", sp.Mod(m, 1000), m, "Mod(1000, 1000) = 0 != 1000"),
    _case("floor-over-1000", x + sp.floor(x / 1000), x, "floor(x/1000) = 1 at x = 1000"),
    _case("ceiling-over-million", sp.ceiling(x / 10**6), sp.Integer(1),
          "ceiling(x/10^6) = 2 at x = 2*10^6"),
    _case("min-with-a-million", sp.Min(x, 10**6), x, "Min(2*10^6, 10^6) = 10^6"),
    _case("max-with-minus-a-million", sp.Max(r, -10**6), r, "Max(-2*10^6, -10^6) = -10^6"),
    _case("abs-of-shifted", sp.Abs(r + 1000), r + 1000, "at r = -2000: 1000 vs -1000"),
    _case("sign-of-shifted", sp.sign(r + 10**4), sp.Integer(1), "sign is -1 at r = -2*10^4"),
    _case("heaviside-far-right", r + sp.Heaviside(r - 1000), r, "Heaviside(r - 1000) = 1 at r = 2000"),
    _case("heaviside-far-left", r + sp.Heaviside(-r - 1000), r, "Heaviside(-r - 1000) = 1 at r = -2000"),
    _case("heaviside-beyond-10-to-the-56",
          sp.sin(r)**2 + sp.cos(r)**2 + sp.Rational(519, 463) * sp.Heaviside(r - 10**56),
          sp.Integer(1), "the Heaviside term is 519/463 for r > 10^56 (found by hypothesis)"),
    _case("kronecker-delta-at-1000", n + sp.KroneckerDelta(n, 1000), n,
          "KroneckerDelta(n, 1000) = 1 at n = 1000"),
    # complex symbols sampled as real
    _case("sqrt-of-square-complex", sp.sqrt(z**2), z, "false at z = -1: sqrt(1) = 1"),
    _case("log-of-exp-complex", sp.log(sp.exp(z)), z, "log(exp(2 pi i)) = 0 != 2 pi i"),
    _case("abs-squared-complex", sp.Abs(z)**2, z**2, "at z = i: 1 vs -1"),
    _case("z-times-conjugate", z * sp.conjugate(z), z**2, "at z = i: 1 vs -1"),
    _case("real-part-is-z", sp.re(z), z, "at z = i: 0 vs i"),
    _case("sqrt-of-exp-complex", sp.sqrt(sp.exp(z)), sp.exp(z / 2),
          "at z = 2 pi i: sqrt(1) = 1 vs e^(i pi) = -1"),
    # undefined functions without assumptions replaced by positive stand-ins only
    _case("log-of-square-of-f", sp.log(f(r)**2), 2 * sp.log(f(r)), "f = -1: log 1 = 0 vs 2 i pi"),
    _case("abs-of-f", sp.Abs(f(r)), f(r), "f = -1: 1 vs -1"),
    _case("sqrt-of-square-of-f", sp.sqrt(f(r)**2), f(r), "f = -1: 1 vs -1"),
    _case("f-over-abs-f", f(r) / sp.Abs(f(r)), sp.Integer(1), "f = -1: -1 vs 1"),
    _case("heaviside-of-f", sp.Heaviside(f(r)), sp.Integer(1), "f = -1: 0 vs 1"),
    _case("log-of-exp-of-f", sp.log(sp.exp(f(r))), f(r), "f = 2 pi i: 0 vs 2 pi i"),
    # positive functions whose stand-ins are narrow
    _case("floor-of-p-over-4", sp.floor(p(r) / 4), sp.Integer(0), "p = 5: floor(5/4) = 1"),
    _case("heaviside-p-minus-10", sp.Heaviside(p(r) - 10), sp.Integer(0), "p = 11: 1 vs 0"),
    _case("p-to-the-100-capped", sp.Min(p(r)**100, 10**60), p(r)**100,
          "p = 4: 4^100 > 10^60, so the Min is 10^60"),
    _case("piecewise-p-below-4", sp.Piecewise((1, p(r) < 4), (0, True)), sp.Integer(1),
          "p = 5: 0 vs 1"),
    # points where one side is undefined or differs, off the usual range
    _case("real-part-of-sqrt-far-right", x + sp.re(sp.sqrt(x - 10**6)), x,
          "at x = 2*10^6 the real part is 1000"),
    _case("piecewise-undefined-beyond-1000", x, x + sp.Piecewise((0, x < 1000)),
          "the right side is undefined (nan) for x >= 1000"),
    _case("zero-to-a-symbolic-power", x + sp.Pow(0, 1000 - x), x,
          "0**(1000 - x) is 1 at x = 1000 and zoo beyond"),
    # Subs evaluated at the wrong point
    _case("subs-with-its-variable-free-elsewhere", sp.Subs(u**2, u, r) + u, r**2 + r,
          "the free u outside the Subs is not r; only a botched substitution replaces it"),
    _case("subs-of-derivative-without-chain-factor",
          sp.Subs(sp.Derivative(f(u), u), u, r**2), sp.Derivative(f(r**2), r),
          "d/dr f(r^2) = 2 r f'(r^2), not f'(r^2)"),
    _case("derivative-of-subs-drops-a-partial",
          sp.Derivative(sp.Subs(g(u, t), u, t), t), sp.Subs(sp.Derivative(g(u, t), t), u, t),
          "d/dt g(t, t) = g_1(t, t) + g_2(t, t); the right side has only g_2"),
    _case("subs-of-derivative-is-not-derivative-of-value",
          sp.Subs(sp.Derivative(u**3, u), u, r), sp.Integer(0),
          "the derivative is taken before substituting: 3 r^2, not d/dr of a constant"),
    # where two real arguments coincide (the seventh hostile review, F6): random reals never do
    _case("kronecker-delta-of-two-reals", sp.KroneckerDelta(r, s), sp.Integer(0),
          "KroneckerDelta(r, s) is 1 where r = s"),
    _case("kronecker-delta-of-reals-on-a-line", sp.KroneckerDelta(r, 2 * s + 1), sp.Integer(0),
          "KroneckerDelta(r, 2 s + 1) is 1 where r = 2 s + 1"),
    _case("piecewise-on-equal-reals", sp.Piecewise((1, sp.Eq(r, s)), (0, True)), sp.Integer(0),
          "the Piecewise is 1 where r = s"),
]


# 3. "proved" from a wrong source ------------------------------------------------------------
def _unevaluated_zero_over_zero() -> sp.Expr:
    return sp.Mul(0, sp.Pow(0, -1, evaluate=False), evaluate=False)


def _unevaluated_one_over_r_minus_r() -> sp.Expr:
    return sp.Pow(sp.Add(r, -r, evaluate=False), -1, evaluate=False)


_a = sp.Symbol("a")  # defined as the free k below: a bound k must not capture it
_mm, _nn = sp.symbols("mm nn", integer=True)
_SYMBOLIC_SUM = sp.Sum(k, (k, _mm, _nn))


def _empty_sum_chain() -> Derivation:
    # Karr (SymPy's Sum): Sum(k, (k, 5, 1)) = -9, so the last step says -9 = -18.
    # Empty sums are 0: then the Subs is 0 and the first step says 0 = -9.
    # Under either convention one step is false.
    d = Derivation("empty sum chain", start=sp.Subs(_SYMBOLIC_SUM, (_mm, _nn), (5, 1)))
    d.step(sp.Integer(-9), rule="algebra")
    d.step(sp.Sum(k, (k, 5, 1)) - 9, rule="algebra")
    return d


def _t3_integrand() -> sp.Expr:
    return t**3 * sp.exp(-t**2 * x)


WRONG_SOURCES = [
    # non-commutative symbols and matrices
    _case("noncommutative-AB-equals-BA", A * B, B * A, "A, B are non-commutative"),
    _case("noncommutative-ABC-equals-ACB", A * B * C, A * C * B, "B and C do not commute"),
    _case("noncommutative-binomial-square", (A + B)**2, A**2 + 2 * A * B + B**2,
          "(A+B)^2 = A^2 + AB + BA + B^2"),
    _case("noncommutative-exp-of-sum", sp.exp(A) * sp.exp(B), sp.exp(A + B),
          "e^A e^B = e^(A+B) needs AB = BA (Baker-Campbell-Hausdorff)"),
    _case("matrix-product-entry-swapped", (MA * MB)[0, 0], (MB * MA)[0, 0],
          "A01 B10 != B01 A10 in general"),
    _case("trace-of-non-cyclic-permutation", sp.Trace(MA * MB * MC), sp.Trace(MB * MA * MC),
          "only cyclic permutations keep the trace: A=E12, B=E21, C=E11 gives 1 vs 0"),
    Case("commutativity-cited-for-matrix-product",
         claim("commutativity-cited-for-matrix-product", sp.Trace(MA * MB * MC),
               sp.Trace(MB * MA * MC), rule="associativity"),
         "matrix products do not commute; 'commutativity' cannot reorder them"),
    # associativity that is really something else
    Case("associativity-cites-exp-of-log",
         claim("associativity-cites-exp-of-log", sp.exp(sp.log(r), evaluate=False), r,
               rule="associativity"),
         "exp(log r) = r is not a regrouping (and is undefined at r = 0)", value_false=False),
    Case("associativity-cites-log-of-exp",
         claim("associativity-cites-log-of-exp", sp.log(sp.exp(r), evaluate=False), r,
               rule="associativity"),
         "log(exp r) = r is an identity about log, not a regrouping", value_false=False),
    Case("associativity-cancels-squared-quotient",
         claim("associativity-cancels-squared-quotient",
               sp.Mul(r, sp.Pow(sp.Mul(s, 1 / s, evaluate=False), 2, evaluate=False),
                      evaluate=False), r, rule="associativity"),
         "cancelling (s/s)^2 is not regrouping, and fails at s = 0", value_false=False),
    Case("associativity-cancels-quotient",
         claim("associativity-cancels-quotient",
               sp.Mul(r, sp.Mul(s, 1 / s, evaluate=False), evaluate=False), r,
               rule="associativity"),
         "cancelling s/s is not regrouping, and fails at s = 0", value_false=False),
    # SymPy's wrong closed forms
    _case("alternating-binomial-sum", sp.Sum((-1)**j * sp.binomial(m, j), (j, 0, m)), sp.Integer(0),
          "the sum is 1 at m = 0"),
    _case("alternating-binomial-sum-times-k", sp.Sum((-1)**j * j * sp.binomial(m, j), (j, 0, m)),
          sp.Integer(0), "the sum is -1 at m = 1"),
    _case("alternating-binomial-sum-times-k2",
          sp.Sum((-1)**j * j**2 * sp.binomial(m, j), (j, 0, m)), sp.Integer(0),
          "the sum is -1 at m = 1 and 2 at m = 2"),
    _case("divergent-positive-integral-claimed-zero",
          sp.Integral(1 / (1 + sp.cos(r)), (r, 0, 2 * sp.pi)), sp.Integer(0),
          "the integrand is positive with a non-integrable pole at pi: the integral is +oo",
          time_limit=3),
    _case("principal-value-of-exp-over-r", sp.Integral(sp.exp(r) / r, (r, -1, 1)),
          sp.Ei(1) - sp.Ei(-1), "diverges at r = 0; Ei(1) - Ei(-1) is only its principal value",
          time_limit=3),
    _case("integral-of-inverse-square-through-0", sp.Integral(1 / r**2, (r, -1, 1)), sp.Integer(-2),
          "the integral is +oo; -2 is the antiderivative -1/r applied across the pole",
          time_limit=3),
    _case("integral-of-inverse-through-0", sp.Integral(1 / r, (r, -1, 1)), sp.Integer(0),
          "diverges; 0 is only the principal value", time_limit=3),
    _case("integral-of-sin-over-square", sp.Integral(sp.sin(r) / r**2, (r, -sp.oo, sp.oo)),
          sp.Integer(0), "sin r / r^2 ~ 1/r at 0: divergent; 0 is a principal value", time_limit=3),
    _case("integral-of-sin-to-infinity-is-1", sp.Integral(sp.sin(r), (r, 0, sp.oo)), sp.Integer(1),
          "1 - cos R oscillates: no limit", time_limit=3),
    _case("integral-of-cos-to-infinity-is-0", sp.Integral(sp.cos(r), (r, 0, sp.oo)), sp.Integer(0),
          "sin R oscillates: no limit", time_limit=3),
    _case("integral-of-odd-log-growth", sp.Integral(r / (1 + r**2), (r, -sp.oo, sp.oo)),
          sp.Integer(0), "each half diverges like log R / 2; 0 is only symmetric truncation",
          time_limit=3),
    _case("integral-of-tan-over-a-period", sp.Integral(sp.tan(r), (r, 0, sp.pi)), sp.Integer(0),
          "non-integrable pole at pi/2", time_limit=3),
    _case("parametric-integral-with-poles-for-negative-s",
          sp.Integral(1 / (r**2 + s), (r, -sp.oo, sp.oo)), sp.pi / sp.sqrt(s),
          "true for s > 0 only: for s <= 0 the integrand has non-integrable poles at "
          "r = +-sqrt(-s) and the integral diverges (the right side is imaginary or zoo)",
          time_limit=3),
    _case("grandi-series", sp.Sum((-1)**j, (j, 0, sp.oo)), sp.Rational(1, 2),
          "partial sums alternate 1, 0: divergent (1/2 is only its Cesaro sum)", time_limit=3),
    _case("sum-of-naturals", sp.Sum(j, (j, 1, sp.oo)), sp.Rational(-1, 12),
          "diverges to +oo (-1/12 is zeta(-1), not the sum)", time_limit=3),
    _case("alternating-naturals", sp.Sum((-1)**j * j, (j, 0, sp.oo)), sp.Rational(-1, 4),
          "divergent (-1/4 is only its Abel sum)", time_limit=3),
    _case("harmonic-minus-harmonic", sp.Sum(1 / j, (j, 1, sp.oo)) - sp.Sum(1 / j, (j, 2, sp.oo)),
          sp.Integer(1), "oo - oo is undefined; the sums diverge", time_limit=3),
    # interchanges with no condition, or citing algebra
    _case("derivative-of-fourier-series-by-algebra",
          sp.Derivative(sp.Sum(sp.sin(j * t) / j, (j, 1, sp.oo)), t),
          sp.Sum(sp.cos(j * t), (j, 1, sp.oo)),
          "the left side is -1/2 on (0, 2 pi); sum cos(jt) diverges", time_limit=3),
    Case("derivative-of-fourier-series-swapped",
         lambda: Derivation("derivative-of-fourier-series-swapped",
                            start=sp.Derivative(sp.Sum(sp.sin(j * t) / j, (j, 1, sp.oo)), t),
                            parameters=(t,))
         .step(sp.Sum(sp.Derivative(sp.sin(j * t) / j, t), (j, 1, sp.oo)),
               rule="swap sum and gradient"),
         "infinite sum, no condition; and the swapped series diverges", time_limit=3),
    Case("dirichlet-integral-swapped",
         lambda: Derivation("dirichlet-integral-swapped",
                            start=sp.Derivative(sp.Integral(sp.sin(t * x) / x, (x, 0, sp.oo)), t),
                            parameters=(t,))
         .step(sp.Integral(sp.Derivative(sp.sin(t * x) / x, t), (x, 0, sp.oo)),
               rule="swap integral and gradient"),
         "d/dt (pi/2 sign t) = 0 for t != 0, but the integral of cos(tx) diverges; no "
         "dominating function, no condition", time_limit=3),
    _case("dirichlet-integral-by-algebra",
          sp.Derivative(sp.Integral(sp.sin(t * x) / x, (x, 0, sp.oo)), t),
          sp.Integral(sp.cos(t * x), (x, 0, sp.oo)),
          "0 (for t != 0) vs a divergent integral", time_limit=3),
    Case("undominated-swap-t-cubed",
         lambda: Derivation("undominated-swap-t-cubed",
                            start=sp.Derivative(sp.Integral(_t3_integrand(), (x, 0, sp.oo)), t),
                            parameters=(t,))
         .step(sp.Integral(sp.Derivative(_t3_integrand(), t), (x, 0, sp.oo)),
               rule="swap integral and gradient"),
         "F(t) = int t^3 e^(-t^2 x) dx = t for all t, so F'(0) = 1, but the swapped integral "
         "is 0 at t = 0; no condition stated", time_limit=3),
    _case("undominated-swap-t-cubed-by-algebra",
          sp.Derivative(sp.Integral(_t3_integrand(), (x, 0, sp.oo)), t),
          sp.Integral(sp.Derivative(_t3_integrand(), t), (x, 0, sp.oo)),
          "false at t = 0 (1 vs 0), see above", time_limit=3),
    # nan and zoo equal nothing, themselves included
    _case("nan-equals-nan", sp.nan, sp.nan, "nan is not a value"),
    _case("zoo-equals-zoo", sp.zoo, sp.zoo, "complex infinity is not a value"),
    _case("zero-over-zero-equals-itself", _unevaluated_zero_over_zero(), _unevaluated_zero_over_zero(),
          "0/0 is undefined"),
    _case("one-over-r-minus-r-equals-itself", _unevaluated_one_over_r_minus_r(),
          _unevaluated_one_over_r_minus_r(), "1/(r - r) = 1/0 is undefined"),
    _case("infinity-minus-infinity-is-zero", sp.Add(sp.oo, -sp.oo, evaluate=False), sp.Integer(0),
          "oo - oo is undefined"),
    # definitions captured by bound variables
    Case("definition-captured-by-sum-index",
         lambda: Derivation("definition-captured-by-sum-index", start=sp.Sum(_a, (k, 1, 3)),
                            definitions={_a: k}).step(sp.Sum(k, (k, 1, 3)), rule="definition"),
         "a := k (the free k); sum_{k=1..3} a = 3a = 3k, not 1 + 2 + 3", may_raise=True),
    Case("definition-captured-by-sum-index-to-6",
         lambda: Derivation("definition-captured-by-sum-index-to-6", start=sp.Sum(_a, (k, 1, 3)),
                            definitions={_a: k}).step(sp.Integer(6), rule="algebra"),
         "3k = 6 only at k = 2", may_raise=True),
    Case("definition-captured-reverse",
         lambda: Derivation("definition-captured-reverse", start=sp.Sum(k, (k, 1, 3)),
                            definitions={_a: k}).step(sp.Sum(_a, (k, 1, 3)), rule="definition"),
         "6 = 3k only at k = 2", may_raise=True),
    Case("definition-captured-by-integration-variable",
         lambda: Derivation("definition-captured-by-integration-variable",
                            start=sp.Integral(_a, (s, 0, 1)), definitions={_a: s})
         .step(sp.Rational(1, 2), rule="algebra"),
         "a := s (the free s); int_0^1 a ds = a = s, not 1/2", may_raise=True),
    # empty sums: SymPy's Sum follows Karr (Sum(k, (k, 5, 1)) = -9)
    Case("empty-sum-chain", _empty_sum_chain,
         "one of the two steps is false whichever convention empty sums follow"),
    # second hostile review: sums over non-integer ranges, assumptions leaking into an inner
    # range, floats rounding integers, 0/0 hidden as q/q, definitions against assumptions
    _case("half-integer-range-sum-is-not-an-integer-sum",
          sp.Sum(sp.sin(sp.pi * _plain_k), (_plain_k, sp.S.Half, sp.S.Half + 2)), sp.S.Zero,
          "k runs over 1/2, 3/2, 5/2: sin(pi/2) + sin(3pi/2) + sin(5pi/2) = 1"),
    _case("half-integer-range-symbolic-length",
          sp.Sum(sp.cos(sp.pi * _plain_k)**2, (_plain_k, sp.S.Half, sp.S.Half + _count)),
          _count + 1, "cos(pi k) = 0 at every half-integer k: the sum is 0"),
    _case("half-integer-range-product",
          sp.Product(sp.cos(sp.pi * _plain_k)**2, (_plain_k, sp.S.Half, sp.S.Half + _count)),
          sp.S.One, "every factor is cos(pi/2 + i pi)^2 = 0"),
    _case("positive-outer-index-leaks-into-inner-range",
          sp.Sum(sp.Sum(sp.Abs(_inner_j), (_inner_j, 1, _positive_k)),
                 (_positive_k, -_count - 1, _count + 1)),
          sp.Sum(sp.Sum(_inner_j, (_inner_j, 1, _positive_k)),
                 (_positive_k, -_count - 1, _count + 1)),
          "the outer index takes negative values, so the inner range 1..k is reversed and "
          "holds non-positive j, where |j| != j"),
    _case("positive-outer-index-leaks-written-out",
          sp.Sum(sp.Sum(sp.Abs(_inner_j), (_inner_j, 1, _positive_k)), (_positive_k, -3, 3)),
          sp.Integer(14), "the terms are -3, -1, 0, 0, 1, 3, 6: the sum is 6"),
    Case("integer-plus-one-rounded-by-a-float",
         lambda: Derivation("integer-plus-one-rounded-by-a-float", start=r + 2**60 + 1)
         .step(r + sp.Float(2.0**60), rule="algebra"),
         "2^60 + 1 is not the float 2.0^60 (SymPy rounds the integer to 53 bits); a float "
         "that does not print as it is is refused", may_raise=True),
    _case("float-tenth-is-not-one-tenth", sp.Rational(1, 10), sp.Float(0.1),
          "0.1 as a float is 3602879701896397/2^55", may_raise=True),
    _case("large-integer-is-not-its-float", sp.Integer(10)**40 + 10**20, sp.Float(1e40),
          "10^40 + 10^20 is not the double nearest 10^40", may_raise=True),
    Case("multiply-by-zero-over-zero-under-a-false-condition",
         lambda: Derivation("multiply by q/q with q = 0", start=r)
         .step(sp.Mul(r, sp.Mul(_zero_in_disguise, 1 / _zero_in_disguise, evaluate=False),
                      evaluate=False),
               rule="multiply by one", condition=sp.Ne(_zero_in_disguise, 0)),
         "q = sin^2 + cos^2 - 1 is 0 everywhere: r * q/q is 0/0, nowhere equal to r"),
    Case("definition-contradicts-the-symbols-assumption",
         lambda: Derivation("definition-contradicts-the-symbols-assumption", start=sp.sqrt(_positive_s**2),
                            definitions={_positive_s: -1})
         .step(sp.Integer(-1), rule="definition"),
         "sqrt(s^2) was stored as s because s is declared positive; s := -1 contradicts it",
         may_raise=True),
    Case("function-called-outside-its-parameters-assumptions",
         lambda: Derivation("function-called-outside-its-parameters-assumptions", start=_h(-1),
                            definitions={_h: sp.Lambda(_positive_s, sp.sqrt(_positive_s**2) + 1)})
         .step(sp.Integer(0), rule="definition"),
         "h(u) := sqrt(u^2) + 1 was stored as u + 1 for a positive u; h(-1) is 2, not 0",
         may_raise=True),
    # third hostile review: indefinite integrals, simultaneous Subs, capture by canonical
    # names, declared functions defined against their assumptions, derivatives at kinks
    Case("indefinite-integrals-in-different-variables",
         lambda: Derivation("indefinite-integrals-in-different-variables",
                            start=sp.Integral(_real_f(r), r), parameters=(s,))
         .step(sp.Integral(_real_f(s), s), rule="algebra"),
         "antiderivatives of f in r and in s are different functions (and defined only up to "
         "a constant)"),
    _case("derivative-of-an-indefinite-integral-is-zero",
          sp.Derivative(sp.Integral(_real_f(r), r), r), sp.S.Zero, "d/dr of an antiderivative is f(r)"),
    _case("simultaneous-subs-read-sequentially",
          sp.Subs(sp.Derivative(r**2 * s, r), (r, s), (s, r)), 2 * r**2,
          "d/dr (r^2 s) = 2 r s, at (r, s) = (s, r) it is 2 s r, not 2 r^2 (a substitution "
          "feeding its variables into each other is now refused)", may_raise=True),
    _case("subs-variable-named-like-a-canonical-bound-variable",
          sp.Sum(sp.Subs(sp.Derivative(_real_g(k, _canonical_name), _canonical_name),
                         _canonical_name, 1), (k, 1, _count)),
          _count * sp.Subs(sp.Derivative(_real_g(_canonical_name, _canonical_name),
                                         _canonical_name), _canonical_name, 1),
          "with g(a, b) = a b^2 and N = 3 the sides are 12 and 9", may_raise=True),
    Case("function-declared-positive-defined-negative",
         lambda: Derivation("function-declared-positive-defined-negative",
                            start=sp.sqrt(_positive_function(r)**2),
                            definitions={_positive_function: sp.Lambda(s, -1 - s**2)})
         .step(-1 - r**2, rule="definition"),
         "sqrt(f^2) was stored as f because f is declared positive; -1 - s^2 is negative",
         may_raise=True),
    Case("indexed-summand-keeps-its-bound-index",
         lambda: Derivation("indexed-summand-keeps-its-bound-index",
                            start=sp.Sum(_theta_base[k] * k, (k, 1, 2)), parameters=(k,))
         .step(3 * _theta_base[k], rule="algebra"),
         "theta[1] + 2 theta[2] is not 3 theta[k] (renaming the index must reach theta[k])"),
    Case("indexed-summand-keeps-its-bound-index-symbolic-range",
         lambda: Derivation("indexed-summand-keeps-its-bound-index-symbolic-range",
                            start=sp.Sum(_theta_base[k], (k, 1, _count)), parameters=(k,))
         .step(_count * _theta_base[k], rule="algebra"),
         "theta[1] + ... + theta[N] is not N theta[k]"),
    # fifth review: identities SymPy simplifies that break at a few integers, chains through
    # expressions with holes, and a divergent sum hidden behind f - f
    _case("binomial-identity-broken-at-one-integer",
          (n - 7)**2 - 1, sp.binomial((n - 7)**2 - 1, (n - 7)**2 - 2),
          "at n = 7 the left side is -1 and binomial(-1, -2) is 0 (SymPy's convention)"),
    Case("chain-through-an-expression-with-holes-at-the-integers",
         lambda: Derivation("chain-through-an-expression-with-holes-at-the-integers", start=n)
         .step(sp.gamma(n + 1) / sp.gamma(n), rule="algebra")
         .step(sp.binomial(n, n - 1), rule="algebra"),
         "gamma(n+1)/gamma(n) is undefined for integers n <= 0, so each step holds only where "
         "it is defined; n = binomial(n, n-1) is false at n = -1"),
    Case("divergent-sum-hidden-behind-f-minus-f",
         lambda: Derivation("divergent-sum-hidden-behind-f-minus-f",
                            start=sp.Add(_harmonic_name, -_harmonic_name, evaluate=False),
                            definitions={_harmonic_name: sp.Sum(
                                sp.Add(1 / m_pos, _h(m_pos), -_h(m_pos), evaluate=False),
                                (m_pos, 1, sp.oo))})
         .step(sp.S.Zero, rule="algebra"),
         "the sum is the harmonic series whatever h is: H - H is undefined"),
    # sixth review: the same broken identity inside a sum's, product's or expectation's body,
    # a term with a hole at one index, a reversed divergent integral
    _case("broken-binomial-identity-inside-a-sum",
          sp.Sum((k - 50)**2 - 1, (k, 1, n)),
          sp.Sum(sp.binomial((k - 50)**2 - 1, (k - 50)**2 - 2), (k, 1, n)),
          "at n = 50 the sums are 40375 and 40376 (the term at k = 50 is -1 against 0)",
          sampling_misses=True),
    _case("broken-binomial-identity-inside-a-product",
          sp.Product(2 * (k - 50)**2 - 1, (k, 1, n)),
          sp.Product(sp.binomial(2 * (k - 50)**2 - 1, 2 * (k - 50)**2 - 2), (k, 1, n)),
          "at n = 50 the right side has a factor 0 where the left has -1",
          sampling_misses=True),
    _case("broken-binomial-identity-inside-an-expectation",
          pgsym.Expectation((k - 50)**2 - 1, (k, 1, n), 1),
          pgsym.Expectation(sp.binomial((k - 50)**2 - 1, (k - 50)**2 - 2), (k, 1, n), 1),
          "the terms differ at k = 50", sampling_misses=True),
    _case("sum-of-a-term-with-a-hole-at-one-index",
          sp.Sum(k + 50, (k, 1, n)), sp.Sum((k**2 - 2500) / (k - 50), (k, 1, n)),
          "for n >= 50 the right side's term at k = 50 is 0/0: the sum is undefined there"),
    _case("reversed-divergent-integral",
          sp.Integral(1 / r**2, (r, 1, -1)), sp.Integer(2),
          "1/r^2 is not integrable across 0, whichever way the interval runs"),
    # seventh review: integer points where an identity breaks that cannot be listed (two
    # symbols, degree above 12), holes at such points in a sum's term
    _case("broken-binomial-identity-at-unlistable-integers",
          (m_pos - 20)**2 * (m_pos + 20)**2 * m_pos**10 - 1,
          sp.binomial((m_pos - 20)**2 * (m_pos + 20)**2 * m_pos**10 - 1,
                      (m_pos - 20)**2 * (m_pos + 20)**2 * m_pos**10 - 2),
          "at m = 20 the left side is -1 and the binomial 0 (degree 14: no listed root)"),
    _case("broken-binomial-identity-in-two-integers",
          (n - k - 30)**2 - 1, sp.binomial((n - k - 30)**2 - 1, (n - k - 30)**2 - 2),
          "at n = 30, k = 0 the sides are -1 and 0"),
    # hostile review 62: points where a binomial's argument is -1 that the probe could not
    # list (two real symbols; an irreducible cubic's root), and an inequality in two integers
    _case("broken-binomial-identity-in-two-reals",
          _real_u * _real_v, sp.binomial(_real_u * _real_v, _real_u * _real_v - 1),
          "at u = 1, v = -1 the left side is -1 and binomial(-1, -2) is 0"),
    _case("broken-binomial-identity-at-a-cube-root",
          sp.binomial((r**3 - 2)**2 - 1, (r**3 - 2)**2 - 1), sp.S.One,
          "at r = 2^(1/3) the argument is -1 and binomial(-1, -1) is 0", time_limit=5.0),
    _case("kronecker-delta-at-a-cube-root", r + sp.KroneckerDelta(r**3, 2), r,
          "at r = 2^(1/3) the delta is 1"),
    _case("sign-squared-off-a-curve-in-two-reals", r * sp.sign(r * _real_v - 1)**2, r,
          "on the curve r v = 1 the sign is 0, so the left side is 0"),
    # hostile review 63: SymPy called (-1)**(q/2) imaginary for an integer q (-1 at q = 2)
    # and built re of it as 0
    Case("real-part-of-a-power-sympy-called-imaginary",
         lambda: Derivation("real-part-of-a-power-sympy-called-imaginary", start=sp.re(_w_name),
                            definitions={_w_name: (-1)**(_positive_q / 2)})
         .step(sp.S.Zero, rule="algebra"), "at q = 2 the power is -1 and its real part -1"),
    _case("real-part-of-a-power-sympy-called-imaginary-is-nonnegative",
          sp.re(sp.Pow(-1, _positive_q / 2), evaluate=False), sp.S.Zero,
          "at q = 2 the real part is -1", relation=">="),
    _case("sign-squared-at-pi", sp.sign(r - sp.pi)**2, sp.S.One,
          "at r = pi the sign is 0 (a linear switch with an irrational root)"),
    _case("piecewise-at-a-root-of-a-quintic",
          sp.Piecewise((0, sp.Eq(r**5 - r - 1, 0)), (1, True)), sp.S.One,
          "at the real root of r^5 - r - 1 the left side is 0 (no radicals for it)"),
    _case("delta-in-a-sum-beyond-the-bounds-sampled",
          sp.Sum(sp.KroneckerDelta(k, 10**5), (k, 0, _count)), sp.S.Zero,
          "for N >= 100000 the sum is 1: sampled bounds stay below 10000"),
    _case("broken-binomial-inequality-in-two-integers",
          sp.binomial((n - 7)**2 + (k - 3)**2 - 1, (n - 7)**2 + (k - 3)**2 - 2),
          (n - 7)**2 + (k - 3)**2 - 1,
          "at n = 7, k = 3 the claim reads 0 <= -1", relation="<="),
    _case("sum-of-a-term-with-a-hole-at-a-symbolic-index",
          sp.Sum((k**2 - (n + 20)**2) / (k - n - 20), (k, 1, m_pos)),
          m_pos * (m_pos + 1) / 2 + (n + 20) * m_pos,
          "at n = 0 the term at k = 20 is 0/0: for m >= 20 the sum is undefined"),
    _case("sum-of-a-term-with-a-hole-at-a-root-of-degree-13",
          sp.Sum((k**26 - 20**26) / (k**13 - 20**13), (k, 1, m_pos)),
          sp.Sum(k**13, (k, 1, m_pos)) + 20**13 * m_pos,
          "the term at k = 20 is 0/0"),
    _case("derivative-of-max-at-its-kink", sp.Subs(sp.Derivative(sp.Max(r, 0), r), r, 0),
          sp.Rational(1, 2), "Max(r, 0) has no derivative at 0 (SymPy says Heaviside(0) = 1/2)"),
    _case("derivative-of-abs-at-its-kink", sp.Subs(sp.Derivative(sp.Abs(r), r), r, 0), sp.S.Zero,
          "|r| has no derivative at 0"),
    _case("derivative-of-piecewise-at-its-jump",
          sp.Subs(sp.Derivative(sp.Piecewise((r, r > 0), (0, True)), r), r, 0), sp.S.Zero,
          "max(r, 0) as a Piecewise has no derivative at 0"),
    # second hostile review of the verifier (G2): an extended real symbol may be +-oo
    _case("exp-of-an-extended-real-is-positive",
          sp.exp(_e_ext), sp.exp(_e_ext) + sp.Integer(2)**_e_ext,
          "at w = -oo both sides are 0, so '<' fails", relation="<", sampling_misses=True),
    _case("exp-of-minus-an-extended-positive-is-positive",
          sp.exp(-2 * _ep_ext), sp.exp(-2 * _ep_ext) + sp.exp(-_ep_ext),
          "at ep = oo both sides are 0 (SymPy itself says exp(-ep) > 0)", relation="<",
          sampling_misses=True),
    _case("extended-positive-to-a-negative-power-is-positive",
          _ep_ext**-2, _ep_ext**-2 + _ep_ext**-4, "at ep = oo both powers are 0",
          relation="<",
          sampling_misses=True),
    # ... and a derivative by a function's value (d/df(1)) holds f's other values constant,
    # though f(k) is f(1) where k = 1
    _case("derivative-by-a-value-of-a-sum-of-the-function",
          sp.Derivative(sp.Sum(_f_real(k), (k, 1, _N_pos)), _f_real(1)), sp.S.Zero,
          "the term k = 1 is f(1): the derivative is 1"),
    Case("derivative-by-a-value-cited-as-a-constant",
         claim("derivative-by-a-value-cited-as-a-constant",
               sp.Derivative(sp.Sum(_f_real(k), (k, 1, _N_pos)), _f_real(1)), sp.S.Zero,
               rule="derivative of a constant"),
         "the sum depends on f(1) through its term k = 1"),
    Case("derivative-of-a-value-by-another-in-a-sum",
         lambda: Derivation("derivative-of-a-value-by-another-in-a-sum",
                            start=sp.Sum(sp.Derivative(_f_real(_i_int), _f_real(_j_int)),
                                         (_j_int, 0, _N_pos - 1)),
                            ranges={_i_int: (0, _N_pos - 1)})
         .step(sp.S.Zero, rule="algebra"),
         "the term j = i is 1: the sum is 1"),
    Case("derivative-by-a-defined-value-of-a-sum-over-its-range",
         lambda: Derivation("derivative-by-a-defined-value-of-a-sum-over-its-range",
                            start=sp.Derivative(_z_sym, _y_sym),
                            definitions={_z_sym: sp.Sum(sp.log(p(k, theta)), (k, 1, _N_pos)),
                                         _y_sym: p(_x_int, theta)},
                            parameters=(theta,), ranges={_x_int: (1, _N_pos)})
         .step(sp.S.Zero, rule="algebra"),
         "the term k = x is log p(x; theta): the derivative is 1/p(x; theta)"),
]

#: claims about Sum(k, (k, 5, 1)); "empty" holds if empty sums are 0, "karr" under SymPy's
#: (Karr's) convention. A claim of one convention and a claim of the other cannot both pass.
EMPTY_SUM_CLAIMS = {
    "numeric-bounds-is-0": ("empty", sp.Sum(k, (k, 5, 1)), sp.Integer(0)),
    "numeric-bounds-is-minus-9": ("karr", sp.Sum(k, (k, 5, 1)), sp.Integer(-9)),
    "symbolic-closed-form": ("karr", _SYMBOLIC_SUM, _nn * (_nn + 1) / 2 - _mm * (_mm - 1) / 2),
    "symbolic-at-5-1-is-0": ("empty", sp.Subs(_SYMBOLIC_SUM, (_mm, _nn), (5, 1)), sp.Integer(0)),
    "symbolic-at-5-1-is-minus-9": ("karr", sp.Subs(_SYMBOLIC_SUM, (_mm, _nn), (5, 1)), sp.Integer(-9)),
    "split-at-3": ("karr", sp.Sum(k, (k, 1, _nn)), sp.Sum(k, (k, 1, 3)) + sp.Sum(k, (k, 4, _nn))),
}
EMPTY_SUM_PAIRS = [(e, c) for e, (kind_e, _, _) in EMPTY_SUM_CLAIMS.items() if kind_e == "empty"
                   for c, (kind_c, _, _) in EMPTY_SUM_CLAIMS.items() if kind_c == "karr"]


# 4. a cited rule must really link the two sides -----------------------------------------------
_N = sp.Symbol("N", integer=True)
_M = sp.Symbol("M", integer=True)
_b = sp.Symbol("b", real=True)
_w = sp.Symbol("w", real=True)
_exp_term = theta**j / sp.factorial(j)


def _with_params(name, start, **options):
    return Derivation(name, start=start, parameters=(theta,), **options)


def _times_q_over_q(expr: sp.Expr, q: sp.Expr) -> sp.Expr:
    return sp.Mul(expr, sp.Mul(q, 1 / q, evaluate=False), evaluate=False)


def _confirms_anything(before, after, context) -> RuleCheck:
    return RuleCheck(Justification.CONFIRMED, "trust me")


_trusting_interchange = Rule("my swap", "swap a limit and a derivative", _confirms_anything,
                             interchange=True)


def _always_confirmed(before, after, context) -> RuleCheck:
    return RuleCheck(Justification.CONFIRMED, "trusted")


def _raises(before, after, context) -> RuleCheck:
    raise RuntimeError("this rule check crashed")


TRUST_ME = Rule("trust me", "confirms anything", _always_confirmed)

RULE_MISUSE = [
    Case("swap-sum-bound-defined-as-infinity",
         lambda: _with_params("swap-sum-bound-defined-as-infinity",
                              sp.Derivative(sp.Sum(_exp_term, (j, 0, _N)), theta),
                              definitions={_N: sp.oo})
         .step(sp.Sum(sp.Derivative(_exp_term, theta), (j, 0, _N)), rule="swap sum and gradient"),
         "N := oo: the sum is infinite, which this rule refuses (value right: both are e^theta); "
         "refusing the definition (N is declared an integer, oo is not) is right too",
         value_false=False, time_limit=3, may_raise=True),
    Case("leibniz-integral-bound-depends-on-an-alias-of-the-variable",
         lambda: Derivation("leibniz-integral-bound-depends-on-an-alias-of-the-variable",
                            start=sp.Derivative(sp.Integral(s, (s, 0, _bound_alias)), _variable_alias),
                            definitions={_variable_alias: theta, _bound_alias: theta})
         .step(sp.Integral(sp.Derivative(s, _variable_alias), (s, 0, _bound_alias)),
               rule="swap integral and gradient", condition="dominated"),
         "y := theta, b := theta: d/dy of the integral over (0, b) is theta, the swap gives 0"),
    Case("leibniz-sum-bound-depends-on-an-alias-of-the-variable",
         lambda: Derivation("leibniz-sum-bound-depends-on-an-alias-of-the-variable",
                            start=sp.Derivative(sp.Sum(1, (k, 0, _bound_alias)), _variable_alias),
                            definitions={_variable_alias: _count, _bound_alias: _count})
         .step(sp.Sum(sp.Derivative(1, _variable_alias), (k, 0, _bound_alias)),
               rule="swap sum and gradient", condition="fine"),
         "the sum over 0..N has N + 1 terms: its derivative in N is not 0 (nor is N a variable "
         "one may differentiate by)"),
    Case("multiply-by-one-under-an-unrelated-condition",
         lambda: Derivation("multiply-by-one-under-an-unrelated-condition", start=s,
                            parameters=(r,))
         .step(sp.Mul(s, sp.Mul(r - 1, 1 / (r - 1), evaluate=False), evaluate=False),
               rule="multiply by one", condition=sp.Ne(s, 0)),
         "the condition s != 0 says nothing about r - 1, which is 0 at r = 1",
         value_false=False),
    # fourth hostile review (rule checks): non-commutative factors moved, evaluation while
    # unfolding, premises used outside their range, chain rule through a kink
    Case("swap-sum-moves-a-non-commutative-factor",
         lambda: Derivation("swap-sum-moves-a-non-commutative-factor",
                            start=sp.Derivative(sp.Sum(sp.Mul(_matrix_function(t, k), A), (k, 1, _count)), t))
         .step(sp.Sum(sp.Mul(A, sp.Derivative(_matrix_function(t, k), t)), (k, 1, _count)),
               rule="swap sum and gradient", condition="a finite sum"),
         "d/dt (G A) is G' A, not A G', for matrices"),
    Case("linearity-moves-a-non-commutative-factor",
         lambda: Derivation("linearity-moves-a-non-commutative-factor",
                            start=sp.Derivative(sp.Mul(_matrix_function(t), A), t))
         .step(sp.Mul(A, sp.Derivative(_matrix_function(t), t)), rule="linearity of differentiation"),
         "d/dt (G A) is G' A, not A G'"),
    Case("multiply-by-one-cancels-non-adjacent-matrices",
         lambda: Derivation("multiply-by-one-cancels-non-adjacent-matrices", start=A * B * A**-1)
         .step(B, rule="multiply by one", condition="A is invertible"),
         "A B A^-1 is B only if A and B commute"),
    Case("divergent-difference-behind-a-definition",
         lambda: Derivation("divergent-difference-behind-a-definition",
                            start=sp.Add(_harmonic_name, -_harmonic_name, evaluate=False),
                            definitions={_harmonic_name: _divergent_integral})
         .step(sp.S.Zero, rule="algebra"),
         "H - H with H the divergent integral of 1/x over (1, oo) is undefined, not 0"),
    Case("divergent-difference-unfolded-by-a-function-definition",
         lambda: Derivation("divergent-difference-unfolded-by-a-function-definition",
                            start=sp.Add(_divergent_integral, -_divergent_integral, _h(z),
                                         evaluate=False),
                            definitions={_h: sp.Lambda(_lam_u, _lam_u)})
         .step(z, rule="definition"),
         "H - H + h(z) is undefined, and unfolding h does not cancel H - H"),
    Case("partial-piecewise-cancelled-by-evaluation",
         lambda: Derivation("partial-piecewise-cancelled-by-evaluation",
                            start=sp.Add(_partial, -_partial, z, evaluate=False))
         .step(z, rule="algebra"),
         "Piecewise((1, t > 0)) is undefined for t <= 0, so P - P + z is not z there"),
    Case("associativity-cancels-through-a-definition",
         lambda: Derivation("associativity-cancels-through-a-definition",
                            start=sp.Add(_h(t), -t, z, evaluate=False),
                            definitions={_h: sp.Lambda(_lam_u, _lam_u)})
         .step(z, rule="associativity"),
         "h(t) - t + z = z is true, but by cancellation, not regrouping", value_false=False),
    Case("substitution-premise-used-outside-its-range",
         lambda: Derivation("substitution-premise-used-outside-its-range",
                            start=sp.Sum(sp.sqrt(u**2) * _h(u), (u, -_count - 1, _count + 1)),
                            definitions={_h: sp.Lambda(_lam_u, _lam_u)})
         .step(sp.Sum(u * _h(u), (u, -_count - 1, _count + 1)), rule="substitution",
               using={sp.sqrt(u**2): u}),
         "sqrt(u^2) = u holds for u >= 0 only; the sum runs over negative u too"),
    Case("chain-rule-through-sign",
         lambda: Derivation("chain-rule-through-sign", start=sp.Derivative(sp.sign(t**2 + sp.I * t), t))
         .step(sp.Mul(sp.Subs(sp.Derivative(sp.sign(z), z), z, t**2 + sp.I * t),
                      sp.Derivative(t**2 + sp.I * t, t), evaluate=False), rule="chain rule"),
         "sign is not differentiable (not holomorphic): the chain rule does not apply",
         value_false=False),
    Case("user-interchange-rule-does-not-turn-sampling-into-proof",
         lambda: Derivation("user-interchange-rule-does-not-turn-sampling-into-proof",
                            start=(n - 50)**14 - 1)
         .step(sp.binomial((n - 50)**14 - 1, (n - 50)**14 - 2), rule=_trusting_interchange,
               condition="the limit and the derivative commute"),
         "false at n = 50; a rule of the user's that confirms everything must not make it "
         "proved", sampling_misses=True),
    Case("substitution-premise-applied-inside-a-subs",
         lambda: Derivation("substitution-premise-applied-inside-a-subs",
                            start=sp.Sum(sp.Abs(k), (k, 1, _count)) + sp.Subs(sp.Abs(k), k, -1)
                            + sp.Subs(-sp.Abs(k) / 2, k, -2))
         .step(sp.Sum(k, (k, 1, _count)) + sp.Subs(k, k, -1) + sp.Subs(-k / 2, k, -2),
               rule="substitution", using={sp.Abs(k): k}),
         "|k| = k holds over the sum's range, not at the Subs points k = -1, -2 (the two "
         "misapplications cancel, so the value holds)", value_false=False),
    Case("swap-sum-bound-defined-as-infinity-no-assumptions",
         lambda: _with_params("swap-sum-bound-defined-as-infinity-no-assumptions",
                              sp.Derivative(sp.Sum(_exp_term, (j, 0, _plain_N)), theta),
                              definitions={_plain_N: sp.oo})
         .step(sp.Sum(sp.Derivative(_exp_term, theta), (j, 0, _plain_N)),
               rule="swap sum and gradient"),
         "N := oo: the sum is infinite, which this rule refuses (value right: both are e^theta)",
         value_false=False, time_limit=3),
    Case("swap-sum-bound-defined-as-floor-theta",
         lambda: _with_params("swap-sum-bound-defined-as-floor-theta",
                              sp.Derivative(sp.Sum(theta - j, (j, 0, _M)), theta),
                              definitions={_M: sp.floor(theta)})
         .step(sp.Sum(sp.Derivative(theta - j, theta), (j, 0, _M)), rule="swap sum and gradient"),
         "M := floor(theta): the bound depends on theta (the left side is not even "
         "differentiable at integers)", value_false=False, time_limit=3),
    Case("swap-sum-infinite-written",
         lambda: _with_params("swap-sum-infinite-written",
                              sp.Derivative(sp.Sum(_exp_term, (j, 0, sp.oo)), theta))
         .step(sp.Sum(sp.Derivative(_exp_term, theta), (j, 0, sp.oo)), rule="swap sum and gradient"),
         "an infinite sum with no condition stated", value_false=False, time_limit=3),
    Case("swap-integral-bound-defined-as-theta",
         lambda: _with_params("swap-integral-bound-defined-as-theta",
                              sp.Derivative(sp.Integral(theta - s, (s, 0, _b)), theta),
                              definitions={_b: theta})
         .step(sp.Integral(sp.Derivative(theta - s, theta), (s, 0, _b)),
               rule="swap integral and gradient"),
         "b := theta: the bound depends on theta; the value is right only because the integrand "
         "vanishes at s = theta (Leibniz's boundary term)", value_false=False),
    Case("swap-integral-bound-theta-written",
         lambda: _with_params("swap-integral-bound-theta-written",
                              sp.Derivative(sp.Integral(theta - s, (s, 0, theta)), theta))
         .step(sp.Integral(sp.Derivative(theta - s, theta), (s, 0, theta)),
               rule="swap integral and gradient"),
         "the upper bound is theta", value_false=False),
    Case("substitution-of-a-value-for-a-variable",
         claim("substitution-of-a-value-for-a-variable", sp.sin(r)**2 + sp.cos(r)**2,
               sp.sin(2)**2 + sp.cos(2)**2, rule="substitution", using={r: sp.Integer(2)}),
         "r = 2 is false; the two sides are both 1 by another reason", value_false=False),
    Case("substitution-log-of-product-inside-exp",
         claim("substitution-log-of-product-inside-exp",
               sp.exp(sp.log(a_real * b_real), evaluate=False),
               sp.exp(sp.log(a_real) + sp.log(b_real), evaluate=False), rule="substitution",
               using={sp.log(a_real * b_real): sp.log(a_real) + sp.log(b_real)}),
         "log(ab) = log a + log b is false for a = b = -1 (0 vs 2 i pi); both sides are ab anyway",
         value_false=False),
    Case("substitution-log-of-product",
         claim("substitution-log-of-product", sp.log(a_real * b_real),
               sp.log(a_real) + sp.log(b_real), rule="substitution",
               using={sp.log(a_real * b_real): sp.log(a_real) + sp.log(b_real)}),
         "false for a = b = -1"),
    Case("substitution-abs-by-itself",
         claim("substitution-abs-by-itself", sp.cos(sp.Abs(r)), sp.cos(r), rule="substitution",
               using={sp.Abs(r): r}),
         "|r| = r is false for r < 0 (cos is even, so the value is right)", value_false=False),
    Case("multiply-by-one-with-x-minus-1",
         claim("multiply-by-one-with-x-minus-1", r**2, _times_q_over_q(r**2, r - 1),
               rule="multiply by one"),
         "(r-1)/(r-1) is undefined at r = 1", value_false=False),
    Case("multiply-by-one-with-sin-theta",
         claim("multiply-by-one-with-sin-theta", theta**2, _times_q_over_q(theta**2, sp.sin(theta)),
               rule="multiply by one"),
         "sin(theta)/sin(theta) is undefined at theta = 0", value_false=False),
    Case("multiply-by-one-with-undefined-function",
         claim("multiply-by-one-with-undefined-function", sp.Derivative(f(r, theta), theta),
               _times_q_over_q(sp.Derivative(f(r, theta), theta), f(r, theta)),
               rule="multiply by one"),
         "f has no assumptions: f/f is undefined where f = 0", value_false=False),
    Case("multiply-by-one-with-derivative-of-positive",
         claim("multiply-by-one-with-derivative-of-positive", p(r, theta),
               _times_q_over_q(p(r, theta), sp.Derivative(p(r, theta), theta)),
               rule="multiply by one"),
         "p > 0, but dp/dtheta may vanish", value_false=False),
    Case("chain-rule-cited-for-linearity",
         claim("chain-rule-cited-for-linearity", sp.Derivative(r**2 + sp.sin(r), r),
               sp.Derivative(r**2, r) + sp.Derivative(sp.sin(r), r), rule="chain rule"),
         "splitting a derivative over a sum is linearity", value_false=False),
    Case("chain-rule-cited-for-product-rule",
         claim("chain-rule-cited-for-product-rule", sp.Derivative(r * sp.sin(r), r),
               sp.sin(r) + r * sp.cos(r), rule="chain rule"),
         "this is the product rule", value_false=False),
    Case("derivative-of-log-cited-for-exp",
         claim("derivative-of-log-cited-for-exp", sp.Derivative(sp.exp(r), r), sp.exp(r),
               rule="derivative of log"),
         "no log is differentiated", value_false=False),
    Case("definition-cited-where-none-is-used",
         lambda: Derivation("definition-cited-where-none-is-used",
                            start=sp.sin(r)**2 + sp.cos(r)**2, definitions={_w: r**2})
         .step(sp.Integer(1), rule="definition"),
         "w := r^2 is not used; this is trigonometry", value_false=False),
    Case("definition-cited-with-extra-algebra",
         lambda: Derivation("definition-cited-with-extra-algebra", start=_w * (r + 1),
                            definitions={_w: r**2})
         .step(r**3 + r**2, rule="definition"),
         "unfolding w gives r^2 (r + 1); expanding it is algebra, not the definition",
         value_false=False),
    Case("associativity-cited-for-distribution",
         claim("associativity-cited-for-distribution", r * (s + t), r * s + r * t,
               rule="associativity"),
         "distributing is not regrouping", value_false=False),
    Case("linearity-pulls-out-a-theta-dependent-definition",
         lambda: _with_params("linearity-pulls-out-a-theta-dependent-definition",
                              sp.Derivative(_w * g(theta), theta), definitions={_w: theta})
         .step(_w * sp.Derivative(g(theta), theta), rule="linearity"),
         "w := theta is not constant: the product rule adds g(theta)"),
    Case("condition-does-not-rescue-a-false-value",
         claim("condition-does-not-rescue-a-false-value", x + 1, x, condition="x > 0"),
         "x + 1 != x under any assumption"),
    Case("condition-under-which-the-step-is-false",
         claim("condition-under-which-the-step-is-false", sp.Abs(r), -r,
               condition=sp.Gt(r, 0)),
         "for r > 0, |r| = r != -r"),
    Case("swap-with-a-blank-condition",
         lambda: _with_params("swap-with-a-blank-condition",
                              sp.Derivative(sp.Sum(_exp_term, (j, 0, sp.oo)), theta))
         .step(sp.Sum(sp.Derivative(_exp_term, theta), (j, 0, sp.oo)), rule="swap sum and gradient",
               condition="   "),
         "a condition of blanks states nothing (value right: both are e^theta)", value_false=False,
         time_limit=3),
    Case("swap-with-the-condition-true",
         lambda: _with_params("swap-with-the-condition-true",
                              sp.Derivative(sp.Sum(_exp_term, (j, 0, sp.oo)), theta))
         .step(sp.Sum(sp.Derivative(_exp_term, theta), (j, 0, sp.oo)), rule="swap sum and gradient",
               condition=sp.true),
         "'assuming True' states nothing: the convergence condition is missing", value_false=False,
         may_raise=True, time_limit=3),
    Case("swap-with-the-condition-false",
         lambda: _with_params("swap-with-the-condition-false",
                              sp.Derivative(sp.Sum(sp.sin(j * theta) / j, (j, 1, sp.oo)), theta))
         .step(sp.Sum(sp.Derivative(sp.sin(j * theta) / j, theta), (j, 1, sp.oo)),
               rule="swap sum and gradient", condition=sp.false),
         "assuming False proves anything; the swapped series sum cos(j theta) diverges",
         may_raise=True, time_limit=3),
    Case("rule-check-that-raises",
         claim("rule-check-that-raises", r + r, 2 * r, rule=Rule("raiser", "raises", _raises)),
         "a rule check that crashes has not confirmed anything", value_false=False),
    Case("user-rule-cannot-override-a-false-value",
         claim("user-rule-cannot-override-a-false-value", x + 1, x, rule=TRUST_ME),
         "a rule that confirms anything does not make x + 1 = x"),
]

#: names a user rule must not take: built-in rules and their aliases, spelt differently
BUILTIN_NAMES_FOR_USER_RULES = ["chain rule", "Chain-Rule", "linearity", "ALGEBRA", "multiply_by_one"]


def wrong_chain_rule_after_trusting(name: str) -> tuple:
    """Derivation A uses an always-confirming user rule; derivation B then cites the built-in
    chain rule for a step that is linearity. Returns B's summary (and A's for the record)."""
    first = Derivation(f"{name} A", start=r + r).step(2 * r, rule=TRUST_ME)
    first_report = pgsym.verify(first, time_limit=2)
    second = Derivation(f"{name} B", start=sp.Derivative(r**2 + sp.sin(r), r))
    second.step(sp.Derivative(r**2, r) + sp.Derivative(sp.sin(r), r), rule="chain rule")
    return summarize(first_report), summarize(pgsym.verify(second, time_limit=2))


def cite_user_rule_by_name(name: str) -> str:
    """After a user rule object was used, its name as a string must still be unknown."""
    first = Derivation(f"{name} A", start=r + r).step(2 * r, rule=TRUST_ME)
    pgsym.verify(first, time_limit=2)
    second = Derivation(f"{name} B", start=r + 1)
    second.step(r, rule="trust me")  # must raise: user rules are not registered globally
    return "not refused"


# 5. time limits -----------------------------------------------------------------------------
def _loops_forever(before, after, context) -> RuleCheck:
    while True:
        pass


def _swallows_interrupts(before, after, context) -> RuleCheck:
    """Loops, and answers CONFIRMED if anything (a timer signal, say) interrupts it."""
    try:
        while True:
            pass
    except BaseException:
        return RuleCheck(Justification.CONFIRMED, "interrupted, so I say yes")


def _backtracks_forever(before, after, context) -> RuleCheck:
    """Catastrophic regex backtracking: 2^64 steps inside C code, deaf to signals."""
    re.fullmatch(r"(a+)+b", "a" * 64)
    return RuleCheck(Justification.CONFIRMED, "finished")


def _ignores_cpu_signals(before, after, context) -> RuleCheck:
    """Ignores SIGXCPU, SIGALRM, SIGTERM and SIGINT, then loops."""
    for name in ("SIGXCPU", "SIGALRM", "SIGTERM", "SIGINT"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_IGN)
    while True:
        pass


def _sleeps(before, after, context) -> RuleCheck:
    """Blocks without using CPU time, so a CPU-time limit alone never stops it."""
    time.sleep(10**6)
    return RuleCheck(Justification.CONFIRMED, "woke up")


class Stubborn(sp.Function):
    """Evaluating it never ends; if interrupted, it pretends to equal its argument."""

    nargs = 1

    def doit(self, **hints):
        try:
            while True:
                pass
        except BaseException:
            return self.args[0]


LOOPING_RULES = {
    "python-loop": Rule("endless", "never answers", _loops_forever),
    "swallows-the-interrupt": Rule("stubborn", "confirms when interrupted", _swallows_interrupts),
    "regex-backtracking-in-C": Rule("backtracking", "never answers, in C", _backtracks_forever),
    "ignores-signals": Rule("deaf", "ignores the signals a limit may send", _ignores_cpu_signals),
    "sleeps": Rule("sleepy", "blocks without using CPU time", _sleeps),
}


def huge_power_step() -> Derivation:
    # 10^(10^8) = 10 * 10^(10^8 - 1), so the step is off by exactly 1
    big = sp.Pow(10, 10**8, evaluate=False)
    other = sp.Add(sp.Mul(10, sp.Pow(10, 10**8 - 1, evaluate=False), evaluate=False), 1,
                   evaluate=False)
    return Derivation("huge power", start=big).step(other, rule="algebra")


def huge_factorial_step() -> Derivation:
    # (10^7)! = 10^7 (10^7 - 1)!, so the step is off by exactly 1
    big = sp.factorial(sp.Integer(10**7), evaluate=False)
    other = sp.Add(sp.Mul(10**7, sp.factorial(sp.Integer(10**7 - 1), evaluate=False),
                          evaluate=False), 1, evaluate=False)
    return Derivation("huge factorial", start=big).step(other, rule="algebra")


def exploding_definitions_step(depth: int = 40) -> Derivation:
    # a_1 = x^2 + x, a_{i+1} = a_i^2 + a_i: a_depth has degree 2^depth and, unfolded as a
    # tree, 2^depth leaves. The step writes the last level factored and adds 10^-50.
    names = sp.symbols(f"a1:{depth + 1}")
    definitions = {names[0]: x**2 + x}
    for lower, upper in zip(names, names[1:]):
        definitions[upper] = lower**2 + lower
    last, below = names[-1], names[-2]
    d = Derivation("exploding definitions", start=last, definitions=definitions)
    return d.step(below * (below + 1) + sp.Rational(1, 10**50), rule="algebra")


def stubborn_value_step() -> Derivation:
    return Derivation("stubborn value", start=x).step(Stubborn(x), rule="algebra")


def huge_power_check_equal():
    before = sp.Pow(3, 10**8, evaluate=False)
    after = sp.Add(sp.Mul(3, sp.Pow(3, 10**8 - 1, evaluate=False), evaluate=False), 1,
                   evaluate=False)
    return pgsym.check_equal(before, after, time_limit=0.5).kind.name


# 6. bad input -----------------------------------------------------------------------------------
_lam_u = sp.Symbol("lam_u")
_lam_v = sp.Symbol("lam_v")
_h = sp.Function("h")
_yy, _zz = sp.symbols("yy zz")


def _nested(depth: int) -> sp.Expr:
    # unevaluated, so that building it does not already recurse through SymPy's assumptions
    expr = x
    for _ in range(depth):
        expr = sp.sin(expr, evaluate=False)
    return expr


BAD_INPUT = [
    Case("lambda-called-with-too-many-arguments",
         lambda: Derivation("bad input lambda too many", start=_h(x, x),
                            definitions={_h: sp.Lambda(_lam_u, _lam_u**2)})
         .step(x**2, rule="definition"),
         "h takes one argument"),
    Case("lambda-called-with-too-few-arguments",
         lambda: Derivation("bad input lambda too few", start=_h(x),
                            definitions={_h: sp.Lambda((_lam_u, _lam_v), _lam_u * _lam_v)})
         .step(x**2, rule="definition"),
         "h takes two arguments"),
    Case("definition-key-is-a-sum-index",
         lambda: Derivation("bad input bound sum index", start=sp.Sum(k**2, (k, 1, 3)),
                            definitions={k: sp.Integer(2)})
         .step(sp.Integer(14), rule="algebra"),
         "k is the sum's bound variable; defining it makes no sense"),
    Case("definition-key-is-an-integration-variable",
         lambda: Derivation("bad input bound integration variable",
                            start=sp.Integral(s**2, (s, 0, 1)), definitions={s: sp.Integer(2)})
         .step(sp.Rational(1, 3), rule="algebra"),
         "s is the integral's bound variable"),
    Case("derivative-with-respect-to-a-defined-expression",
         lambda: Derivation("bad input derivative wrt expression", start=sp.Derivative(_zz, _yy),
                            definitions={_yy: x**2, _zz: sp.sin(_yy)})
         .step(sp.cos(_yy), rule="algebra"),
         "yy := x^2 is not a symbol or a function application; d/d(x^2) is not defined"),
    Case("immutable-matrix-as-step",
         lambda: Derivation("bad input matrix step", start=x).step(sp.ImmutableMatrix([[x]]),
                                                                   rule="algebra"),
         "a 1x1 matrix is not a scalar expression"),
    Case("immutable-matrix-as-start",
         lambda: Derivation("bad input matrix start", start=sp.ImmutableMatrix([[x, 1]]))
         .step(sp.ImmutableMatrix([[x, 1]]), rule="algebra"),
         "a matrix is not a scalar expression"),
    Case("matrix-symbol-as-step",
         lambda: Derivation("bad input matrix symbol", start=MA).step(MA * sp.Identity(2),
                                                                      rule="algebra"),
         "MatrixSymbol is not a scalar expression"),
    Case("equation-as-step",
         lambda: Derivation("bad input equation", start=x).step(sp.Eq(x, 2), rule="algebra"),
         "a step is an expression, not an equation"),
    Case("inequality-as-step",
         lambda: Derivation("bad input inequality", start=x).step(sp.Gt(x, 2), rule="algebra"),
         "a step is an expression, not a relation"),
    Case("unknown-rule-name",
         lambda: Derivation("bad input unknown rule", start=x).step(x, rule="by inspection"),
         "no such rule"),
    Case("rule-that-is-not-a-rule",
         lambda: Derivation("bad input rule 42", start=x).step(x, rule=42),
         "a rule is a name or a Rule object"),
    Case("numeric-opt-in-misspelt",
         lambda: Derivation("bad input accept typo", start=sp.atan(x) + sp.atan(1 / x))
         .step(sp.pi / 2, rule="algebra", accept="numerically"),
         "accept= takes 'numeric' only; a typo must not silently opt in (or out)"),
]

#: bad input that may be refused with a DerivationError or reported as a failing step, but
#: never passes and never raises anything else
BAD_INPUT_REFUSED_OR_FAILED = [
    Case("lambda-as-a-symbol-definition",
         lambda: Derivation("bad input lambda for a symbol", start=_yy + x,
                            definitions={_yy: sp.Lambda(_lam_u, _lam_u**2)})
         .step(x, rule="definition"),
         "a symbol must be defined by a scalar expression, not a function; yy + x = x is false"),
    Case("circular-symbol-definitions",
         lambda: Derivation("bad input circular symbols", start=_yy,
                            definitions={_yy: _zz + 1, _zz: _yy - 1})
         .step(_zz + 1, rule="definition"),
         "yy := zz + 1, zz := yy - 1 never unfolds"),
    Case("circular-function-definition",
         lambda: Derivation("bad input circular function", start=_h(x),
                            definitions={_h: sp.Lambda(_lam_u, _h(_lam_u) + 1)})
         .step(x, rule="algebra"),
         "h(u) := h(u) + 1 never unfolds (and has no solution)"),
]

#: the name each BAD_INPUT derivation is built with (its message must say it)
BAD_INPUT_NAMES = {
    "lambda-called-with-too-many-arguments": "bad input lambda too many",
    "lambda-called-with-too-few-arguments": "bad input lambda too few",
    "definition-key-is-a-sum-index": "bad input bound sum index",
    "definition-key-is-an-integration-variable": "bad input bound integration variable",
    "derivative-with-respect-to-a-defined-expression": "bad input derivative wrt expression",
    "immutable-matrix-as-step": "bad input matrix step",
    "immutable-matrix-as-start": "bad input matrix start",
    "matrix-symbol-as-step": "bad input matrix symbol",
    "equation-as-step": "bad input equation",
    "inequality-as-step": "bad input inequality",
    "lambda-as-a-symbol-definition": "bad input lambda for a symbol",
    "unknown-rule-name": "bad input unknown rule",
    "rule-that-is-not-a-rule": "bad input rule 42",
    "numeric-opt-in-misspelt": "bad input accept typo",
    "circular-symbol-definitions": "bad input circular symbols",
    "circular-function-definition": "bad input circular function",
}


def deeply_nested_step(depth: int = 500) -> Derivation:
    # sin(sin(...sin(x))) = x is false (at x = 1 the left side is about 0.077). The step is
    # plain x: combining the deep expression with anything (even an unevaluated Add) already
    # exceeds SymPy's own recursion limit before pgsym sees it
    return Derivation("bad input deeply nested", start=_nested(depth)).step(x, rule="algebra")


# -- the rules of issue 10: identities that prove a step by themselves, lemmas, relations,
# ranges. Each must refuse a misuse (a promoted rule that confirms a false step would pass it)
_K = sp.Symbol("K", integer=True, positive=True)
_i = sp.Symbol("i", integer=True)


def _lemma_sqrt_of_square() -> Derivation:
    """sqrt(x**2) = x for positive x: a true lemma about positive x only."""
    return Derivation("sqrt of a square", start=sp.sqrt(x**2)).step(x, rule="algebra")


def _false_lemma() -> Derivation:
    """log(x + y) = log x + log y: false, so nothing may rest on it."""
    return Derivation("false lemma", start=sp.log(x + y)).step(sp.log(x) + sp.log(y),
                                                               rule="algebra")


def _lemma_instance_outside_its_assumptions() -> Derivation:
    d = Derivation("lemma-instance-outside-its-assumptions", start=sp.sqrt(r**2))
    return d.step(r, rule=_lemma_sqrt_of_square())


def _citing_a_false_lemma() -> Derivation:
    s_pos = sp.Symbol("w", positive=True)
    d = Derivation("citing-a-false-lemma", start=sp.log(s_pos + 2))
    return d.step(sp.log(s_pos) + sp.log(2), rule=_false_lemma())


def _lemma_with_a_sampled_step() -> Derivation:
    lemma = Derivation("sampled lemma", start=sp.atan(x) + sp.atan(1 / x)).step(
        sp.pi / 2, rule="algebra", accept="numeric")
    d = Derivation("lemma-with-a-sampled-step", start=sp.atan(y) + sp.atan(1 / y) + 1)
    return d.step(sp.pi / 2 + 1 + sp.Rational(1, 10**30), rule=lemma)


def _lemma_at_a_symbolic_size_with_a_wrong_bound() -> Derivation:
    lemma = Derivation("log of the product of p", start=sp.log(sp.Product(p(_i), (_i, 1, _K))))
    lemma.step(sp.Sum(sp.log(p(_i)), (_i, 1, _K)), rule="log of a product")
    d = Derivation("lemma-at-a-symbolic-size-with-a-wrong-bound",
                   start=sp.log(sp.Product(p(_i), (_i, 1, _K))))
    return d.step(sp.Sum(sp.log(p(_i)), (_i, 1, _K + 1)), rule=lemma)


RULE_MISUSE += [
    _case("linearity-of-sums-pulls-out-the-index", sp.Sum(k * f(k), (k, 1, 3)),
          k * sp.Sum(f(k), (k, 1, 3)), "k is the summation variable: it is not a constant",
          may_raise=True),
    Case("linearity-of-sums-pulls-out-the-index-symbolic",
         claim("linearity-of-sums-pulls-out-the-index-symbolic",
               sp.Sum(_i * p(_i), (_i, 1, _K)), sp.Sum(p(_i), (_i, 1, _K)) * _K,
               rule="linearity of sums"),
         "pulling the index out of the sum (as K) is not linearity", value_false=True),
    Case("exchange-of-sums-with-dependent-bounds",
         claim("exchange-of-sums-with-dependent-bounds",
               sp.Sum(sp.Sum(p(_i) * p(k), (_i, 1, k)), (k, 1, _K)),
               sp.Sum(sp.Sum(p(_i) * p(k), (k, 1, _K)), (_i, 1, _K)), rule="exchange of sums"),
         "the inner range 1..k depends on the outer index: the swapped sum counts more terms"),
    Case("exchange-of-infinite-sums-without-a-condition",
         claim("exchange-of-infinite-sums-without-a-condition",
               sp.Sum(sp.Sum(f(_i, k), (_i, 1, sp.oo)), (k, 1, sp.oo)),
               sp.Sum(sp.Sum(f(_i, k), (k, 1, sp.oo)), (_i, 1, sp.oo)), rule="exchange of sums"),
         "an infinite double sum exchanges only under absolute convergence", value_false=False),
    Case("log-of-a-product-of-reals", claim("log-of-a-product-of-reals", sp.log(r * s),
                                            sp.log(r) + sp.log(s), rule="log of a product"),
         "log(rs) = log r + log s fails for r = s = -1 (log 1 = 0, 2 i pi)"),
    Case("log-of-a-square-of-a-real", claim("log-of-a-square-of-a-real", sp.log(r**2),
                                            2 * sp.log(r), rule="log of a product"),
         "log(r^2) = 2 log r fails for r = -1"),
    Case("log-of-a-product-with-a-negative-term",
         claim("log-of-a-product-with-a-negative-term",
               sp.log(sp.Product(_i - 2, (_i, 1, _K))),
               sp.Sum(sp.log(_i - 2), (_i, 1, _K)), rule="log of a product"),
         "i - 2 is -1 at i = 1: the factors are not all positive"),
    Case("lemma-instance-outside-its-assumptions", _lemma_instance_outside_its_assumptions,
         "sqrt(x^2) = x holds for positive x only; r = -1 gives 1 = -1"),
    Case("citing-a-false-lemma", _citing_a_false_lemma,
         "the lemma log(x + y) = log x + log y is false (x = y = 1)"),
    Case("lemma-with-a-sampled-step", _lemma_with_a_sampled_step,
         "the lemma rests on sampling, and the step adds 1e-30"),
    Case("lemma-at-a-symbolic-size-with-a-wrong-bound",
         _lemma_at_a_symbolic_size_with_a_wrong_bound,
         "the sum runs one term past the product"),
]


def _relation(name: str, before: sp.Expr, after: sp.Expr, relation: str,
              **options) -> Callable[[], Derivation]:
    return lambda: Derivation(name, start=before, parameters=(r, s)).step(
        after, rule="algebra", relation=relation, **options)


RELATIONS = [
    Case("square-below-itself", _relation("square-below-itself", r**2, r, "<="),
         "r^2 <= r fails at r = 2"),
    Case("strict-with-equality", _relation("strict-with-equality", r**2, r**2 + s**2, "<"),
         "r^2 < r^2 + s^2 fails at s = 0"),
    Case("wrong-direction", _relation("wrong-direction", sp.exp(r), r, "<="),
         "e^r >= 1 + r > r, so e^r <= r is false everywhere"),
    Case("sum-over-a-backwards-range",
         lambda: Derivation("sum-over-a-backwards-range", start=sp.Sum(p(k), (k, 1, n)))
         .step(sp.S.Zero, rule="algebra", relation=">="),
         "for n <= -1 the sum over 1..n runs backwards and is negative (Karr)"),
    Case("variance-below-its-minimum",
         lambda: Derivation("variance-below-its-minimum",
                            start=sp.Sum(p(k) * (f(k) - r)**2, (k, 1, _K)), parameters=(r, s))
         .step(sp.Sum(p(k) * (f(k) - s)**2, (k, 1, _K)), rule="algebra", relation=">="),
         "f is complex and s is not the minimiser: no relation holds in general"),
]

RANGES = [
    Case("delta-sum-outside-the-range",
         lambda: Derivation("delta-sum-outside-the-range",
                            start=sp.Sum(sp.KroneckerDelta(k, j), (j, 0, _K - 1)),
                            ranges={k: (0, _K)}).step(sp.S.One, rule="algebra"),
         "k = K is in the declared range 0..K, and there the sum over 0..K-1 is 0"),
    Case("small-numeric-range-checked-value-by-value",
         lambda: Derivation("small-numeric-range-checked-value-by-value",
                            start=sp.KroneckerDelta(k, 2), ranges={k: (0, 3)})
         .step(sp.S.Zero, rule="algebra"),
         "k = 2 is in 0..3"),
]
RULE_MISUSE += RELATIONS + RANGES


_declared_positive = sp.Function("q_pos", positive=True)


def _lemma_applied_to_a_function_only_declared_positive() -> Derivation:
    lemma = Derivation("log of a product of positives",
                       start=sp.log(sp.Product(_declared_positive(_i), (_i, 1, _K))))
    lemma.step(sp.Sum(sp.log(_declared_positive(_i)), (_i, 1, _K)), rule="log of a product")
    d = Derivation("lemma-applied-to-a-function-only-declared-positive",
                   start=sp.log(sp.Product(_declared_positive(_i), (_i, 1, _K))),
                   definitions={_declared_positive: sp.Lambda(_i, _i - sp.Rational(7, 2))})
    return d.step(sp.Sum(sp.log(_declared_positive(_i)), (_i, 1, _K)), rule=lemma)


RULE_MISUSE += [
    Case("lemma-applied-to-a-function-only-declared-positive",
         _lemma_applied_to_a_function_only_declared_positive,
         "q is declared positive but defined as i - 7/2, negative at i = 1..3: the log of the "
         "product is not the sum of the logs there (the lemma needs q > 0)", may_raise=True),
]


# -- hostile review of issue 10's features: promoted rules and lemmas ------------------------------
_q_irrational = sp.Symbol("q", irrational=True)  # the sampler cannot draw it: the probe is silent
_xs, _ys = sp.symbols("x_s y_s")
_nc_a, _nc_b = sp.symbols("NA NB", commutative=False)


def _lemma_about_numbers_applied_to_matrices() -> Derivation:
    lemma = Derivation("binomial square", start=(_xs + _ys)**2).step(
        _xs**2 + 2 * _xs * _ys + _ys**2, rule="algebra")
    return Derivation("lemma-about-numbers-applied-to-matrices", start=(_nc_a + _nc_b)**2).step(
        _nc_a**2 + 2 * _nc_a * _nc_b + _nc_b**2, rule=lemma)


def _using_lambda_captures_a_bound_variable() -> Derivation:
    xi, ki, zi = sp.symbols("x_i k_i z_i", integer=True)
    given = pgsym.Equation("evaluation of a substitution", sp.Subs(f(xi), xi, ki), f(ki))
    captured = sp.Lambda(zi, sp.Sum(zi * ki, (ki, 0, 3)))  # 6 z
    d = Derivation("using-lambda-captures-a-bound-variable",
                   start=sp.Subs(sp.Sum(xi * ki, (ki, 0, 3)), xi, ki))
    return d.step(sp.Sum(ki**2, (ki, 0, 3)), rule=given, using={f: captured})


def _equation_symbol_captured_by_an_expectation() -> Derivation:
    si, gamma = sp.Symbol("s_i", integer=True), sp.Symbol("gamma_r", real=True)
    value, density = sp.Function("V"), sp.Function("p_nn", nonnegative=True)
    given = pgsym.Equation("recursion", value(si), gamma * value(si + 1), variables=(si,))
    d = Derivation("equation-symbol-captured-by-an-expectation",
                   start=pgsym.Expectation(value(si), (gamma, 0, 1), density(gamma)))
    return d.step(pgsym.Expectation(gamma * value(si + 1), (gamma, 0, 1), density(gamma)),
                  rule=given)


def _lemma_cited_outside_its_range() -> Derivation:
    ji, xi = sp.symbols("j_i x_i", integer=True)
    lemma = Derivation("vanishes on its range", start=ji * (ji - 1), ranges={ji: (0, 1)})
    lemma.step(sp.Integer(0), rule="algebra")
    return Derivation("lemma-cited-outside-its-range", start=_q_irrational + xi * (xi - 1)).step(
        _q_irrational, rule=lemma)


def _exchange_of_two_sums_over_one_name() -> Derivation:
    nn, mm = sp.symbols("n_p m_p", integer=True, positive=True)
    d = Derivation("exchange-of-two-sums-over-one-name",
                   start=_q_irrational * sp.Sum(sp.Sum(f(k), (k, 0, mm)), (k, 0, nn)))
    return d.step(_q_irrational * sp.Sum(sp.Sum(f(k), (k, 0, nn)), (k, 0, mm)),
                  rule="exchange of sums")


def _log_law_trusts_a_bound_variables_declaration() -> Derivation:
    xp = sp.Symbol("x_p", integer=True, positive=True)  # declared positive, summed over -3..-1
    d = Derivation("log-law-trusts-a-bound-variables-declaration",
                   start=_q_irrational + sp.Sum(sp.log(xp**2), (xp, -3, -1)))
    return d.step(_q_irrational + sp.Sum(2 * sp.log(xp), (xp, -3, -1)), rule="log of a power")


def _range_offset_collides_with_a_symbol_of_that_name() -> Derivation:
    ji = sp.Symbol("j_c", integer=True)
    same_name = sp.Symbol("j_c", integer=True, nonnegative=True)
    nn = sp.Symbol("n_c", integer=True, positive=True)
    return Derivation("range-offset-collides-with-a-symbol-of-that-name", start=ji - same_name,
                      ranges={ji: (5, nn)}).step(sp.Integer(5), rule="algebra")


_F_nc = sp.Function("F_nc", commutative=False)

RULE_MISUSE += [
    Case("lemma-about-numbers-applied-to-matrices", _lemma_about_numbers_applied_to_matrices,
         "(A + B)^2 = A^2 + AB + BA + B^2 for matrices, not A^2 + 2AB + B^2"),
    Case("using-lambda-captures-a-bound-variable", _using_lambda_captures_a_bound_variable,
         "the start is 6k (a sum of x k over k, at x = k), the step 14: false at k = 0"),
    Case("equation-symbol-captured-by-an-expectation", _equation_symbol_captured_by_an_expectation,
         "gamma is fixed in the equation, but the expectation binds a gamma of its own"),
    Case("lemma-cited-outside-its-range", _lemma_cited_outside_its_range,
         "j(j - 1) = 0 only for j in 0..1; at x = 2 it is 2", may_raise=True),
    Case("exchange-of-two-sums-over-one-name", _exchange_of_two_sums_over_one_name,
         "the inner sum hides the outer index: (n+1) sum_0^m f against (m+1) sum_0^n f"),
    Case("log-law-trusts-a-bound-variables-declaration",
         _log_law_trusts_a_bound_variables_declaration,
         "x runs over -3..-1: log x^2 = 2 log x is off by 2 i pi for each term"),
    Case("range-offset-collides-with-a-symbol-of-that-name",
         _range_offset_collides_with_a_symbol_of_that_name,
         "two symbols print as j: j - j' = 5 fails at j = 6, j' = 0 (refused when built: "
         "they print alike)", may_raise=True),
    _case("derivative-of-a-non-commuting-square", sp.Derivative(_F_nc(t)**2, t),
          2 * _F_nc(t)**2 * sp.Derivative(_F_nc(t), t) * _F_nc(t)**-1,
          "d/dt F^2 = F F' + F' F for matrices, not 2 F^2 F' F^-1"),
]


def _relation_whose_sign_check_crashes_simplify() -> Derivation:
    """SymPy's simplify raises StopIteration on this difference of sums; the text of that
    failure was once taken for a form whose sign was shown."""
    a_i = sp.Symbol("a_i", integer=True)
    count = sp.Symbol("A_n", integer=True, positive=True)
    b_r = sp.Symbol("b_r", real=True)
    weight, value = sp.Function("w_pos", positive=True), sp.Function("g_real", real=True)
    total = sp.Sum(weight(a_i), (a_i, 0, count - 1))
    mean = sp.Sum(weight(a_i) * value(a_i), (a_i, 0, count - 1)) / total
    spread = sp.Sum(weight(a_i) * (value(a_i) - mean)**2, (a_i, 0, count - 1))
    return Derivation("relation-whose-sign-check-crashes-simplify",
                      start=(b_r - mean)**2 * total + spread).step(
        spread + b_r**2 + 1, rule="algebra", relation=">=")


RULE_MISUSE += [
    Case("relation-whose-sign-check-crashes-simplify", _relation_whose_sign_check_crashes_simplify,
         "at b = the mean the left side is the spread, less than spread + b^2 + 1"),
]


# 3. (eighth review) SymPy's evaluation and assumptions where they are wrong: a constructor
# that rewrites a function it should not (conjugate(loggamma(r)) -> loggamma(r), false on the
# branch cut r < 0; acot(-r) -> -acot(r), false at 0; sinh(acoth(r)) with the wrong sign for
# |r| < 1), and assumptions that are false at one point (atan, asin of a rational "is never
# rational", so atan(0) "is not 0")
def _conjugate(expr: sp.Expr) -> sp.Expr:
    return sp.conjugate(expr, evaluate=False)


def _atan_of_floor_is_positive() -> Derivation:
    return Derivation("atan-of-a-floor-is-positive", start=sp.S.Zero, parameters=(t,)).step(
        sp.atan(sp.floor(10**6 * sp.Abs(sp.sin(t)))), rule="algebra", relation="<")


WRONG_SOURCES += [
    _case("loggamma-equals-its-conjugate",
          sp.Add(sp.loggamma(r), -_conjugate(sp.loggamma(r)), evaluate=False), sp.S.Zero,
          "loggamma(r) is complex for r < 0: loggamma(-5/2) - its conjugate is -6 pi i"),
    _case("li-equals-its-conjugate", sp.Add(sp.li(r), -_conjugate(sp.li(r)), evaluate=False),
          sp.S.Zero, "li(r) is complex for r < 0"),
    _case("uppergamma-equals-its-conjugate",
          sp.Add(sp.uppergamma(a_real, r), -_conjugate(sp.uppergamma(a_real, r)),
                 evaluate=False), sp.S.Zero, "uppergamma(1/2, r) is complex for r < 0"),
    _case("sign-of-atan-of-a-nonnegative-integer", sp.sign(sp.atan(m), evaluate=False),
          sp.S.One, "atan(0) = 0, whose sign is 0"),
    _case("kronecker-delta-of-atan", sp.KroneckerDelta(sp.atan(n), 0, evaluate=False), sp.S.Zero,
          "atan(0) = 0, so the delta is 1 at n = 0"),
    _case("kronecker-delta-of-asin", sp.KroneckerDelta(sp.asin(n), 0, evaluate=False), sp.S.Zero,
          "asin(0) = 0, so the delta is 1 at n = 0"),
    _case("sum-of-signs-of-atan", sp.Sum(sp.sign(sp.atan(k)), (k, 0, _count)),
          sp.Sum(sp.S.One, (k, 0, _count)), "the term at k = 0 is sign(0) = 0: N against N + 1"),
    Case("atan-of-a-floor-is-positive", _atan_of_floor_is_positive,
         "floor(10^6 |sin t|) is 0 near t = pi, where atan of it is 0", sampling_misses=True),
    _case("acot-is-odd", sp.Add(sp.acot(r), sp.acot(-r, evaluate=False), evaluate=False),
          sp.S.Zero, "acot(0) = pi/2: at r = 0 the sum is pi"),
    _case("sinh-of-acoth", sp.sinh(sp.acoth(r), evaluate=False),
          1 / (sp.sqrt(r - 1) * sp.sqrt(r + 1)),
          "acoth(0) = i pi/2, so sinh(acoth(0)) = i, not 1/sqrt(-1) = -i"),
    _case("cosh-of-acoth", sp.cosh(sp.acoth(r), evaluate=False),
          r / (sp.sqrt(r - 1) * sp.sqrt(r + 1)),
          "the sign is wrong for -1 < r < 0: at r = -1/3, -0.354 i against 0.354 i"),
]


# 3. (eighth review) holes and divergence that SymPy's evaluation removes before they are
# looked at: q * (1/q) cancels to 1 in a sum's term although q is 0 at an index of the range;
# a divergent series whose undefined function cancels only by trigonometry
def _q_over_q(q: sp.Expr) -> sp.Expr:
    return sp.Mul(q, 1 / q, evaluate=False)


WRONG_SOURCES += [
    _case("sum-of-q-over-q-with-a-hole-at-an-index", sp.Sum(_q_over_q(k - 5), (k, 1, m_pos)),
          m_pos, "for m >= 5 the term at k = 5 is 0/0: the sum is undefined"),
    _case("sum-of-q-over-q-with-a-hole-at-a-half-integer",
          sp.Sum(_q_over_q(2 * _plain_k - 3), (_plain_k, sp.S.Half, _count + sp.S.Half)),
          _count + 1, "k runs over 1/2, 3/2, ...: for N >= 1 the term at k = 3/2 is 0/0"),
    Case("divergent-sum-hidden-behind-pythagoras",
         lambda: Derivation("divergent-sum-hidden-behind-pythagoras",
                            start=sp.Add(_harmonic_name, -_harmonic_name, evaluate=False),
                            definitions={_harmonic_name: sp.Sum(
                                1 / m_pos + sp.sin(_h(m_pos))**2 + sp.cos(_h(m_pos))**2 - 1,
                                (m_pos, 1, sp.oo))})
         .step(sp.S.Zero, rule="algebra"),
         "the term is 1/k whatever h is: the sum is the harmonic series, H - H is undefined, "
         "and 'H converges' is an assumption nothing satisfies"),
]


#: (eighth review) a narrow Gaussian at 3/10 that one tanh-sinh quadrature over [0, 1] misses
#: (7e-58, with an error estimate of 7e-58), and its exact value
SPIKE_INTEGRAL = sp.Integral(sp.exp(-10**6 * (r - sp.Rational(3, 10))**2), (r, 0, 1))
SPIKE_VALUE = sp.sqrt(sp.pi) / 2000 * (sp.erf(700) + sp.erf(300))

WRONG_SOURCES += [
    _case("narrow-spike-integral-doubled", SPIKE_INTEGRAL, 2 * SPIKE_VALUE,
          "the integral is sqrt(pi)/1000 (erf(700) + erf(300))/2, half the right side",
          time_limit=10),
]

# (fifth hostile review of convergence) a multiple integral or sum that converges in each
# variable with the others held fixed, and diverges as a whole: H - H is oo - oo
_RIDGE = sp.Integral(sp.exp(-(r - s)**2), (r, -sp.oo, sp.oo), (s, -sp.oo, sp.oo))
_OUTER_DIVERGENT = sp.Sum(1 / m_pos**2, (m_pos, 1, sp.oo), (j, 0, sp.oo))
_TRIANGLE_DIVERGENT = sp.Sum(1 / m_pos**2, (m_pos, 1, j + 1), (j, 0, sp.oo))

WRONG_SOURCES += [
    _case("divergent-double-integral-of-a-ridge-cancels", sp.Add(_RIDGE, -_RIDGE, evaluate=False),
          sp.S.Zero, "exp(-(r-s)^2) is a Gaussian in r for each s and in s for each r, but "
          "its integral over the plane is oo (sqrt(pi) for every s): H - H is undefined"),
    _case("divergent-double-integral-of-a-ridge-plus-one", _RIDGE, sp.Add(_RIDGE, 1, evaluate=False),
          "H = H + 1 holds only as oo = oo: H diverges"),
    _case("double-sum-divergent-in-the-outer-index-cancels",
          sp.Add(_OUTER_DIVERGENT, -_OUTER_DIVERGENT, evaluate=False), sp.S.Zero,
          "the inner sum is pi^2/6 for every j: the double sum is oo (SymPy's is_convergent "
          "reads its first limit only)"),
    _case("triangular-double-sum-divergent-in-the-outer-index-cancels",
          sp.Add(_TRIANGLE_DIVERGENT, -_TRIANGLE_DIVERGENT, evaluate=False), sp.S.Zero,
          "the inner sum tends to pi^2/6: the double sum is oo"),
]

# (fifteenth hostile review) q * (1/q) cancelled to 1 where q is 0 on a whole interval or at an
# integer: not a removable singularity; and inequalities between numbers that are not real
def _times_one(base: sp.Expr, q: sp.Expr) -> sp.Expr:
    return sp.Mul(base, sp.Mul(q, sp.Pow(q, -1, evaluate=False), evaluate=False), evaluate=False)


WRONG_SOURCES += [
    _case("times-heaviside-over-itself", r, _times_one(r, sp.Heaviside(r)),
          "H(r)/H(r) is 0/0 for every r < 0"),
    _case("times-max-over-itself", r, _times_one(r, sp.Max(r, 0)),
          "Max(r, 0)/Max(r, 0) is 0/0 for every r <= 0"),
    _case("times-floor-over-itself", r, _times_one(r, sp.floor(r)),
          "floor(r)/floor(r) is 0/0 for every r in [0, 1)"),
    Case("times-an-arbitrary-function-over-itself",
         lambda: Derivation("f/f", start=r, functions=(_f_real,))
         .step(_times_one(r, _f_real(r)), rule="algebra"),
         "f may be 0 on an interval, where f/f is 0/0"),
    _case("integer-times-sine-over-itself", n, _times_one(n, sp.sin(sp.pi * n / 2)),
          "sin(pi n/2) is 0 at every even n: 0/0 there, and an integer has no neighbours"),
    _case("integer-times-itself-over-itself", n, _times_one(n, n), "n/n is 0/0 at n = 0"),
    _case("complex-sides-ordered", sp.I * r, sp.I * r + 1,
          "complex numbers are not ordered: i r <= i r + 1 says nothing", relation="<="),
    _case("complex-symbol-ordered", z, z + 1, "z is complex: z < z + 1 is not a statement",
          relation="<"),
    _case("complex-function-ordered", f(r), f(r) + r**2 + 1,
          "f is complex-valued: f(r) < f(r) + r^2 + 1 is not a statement", relation="<"),
]

# (sixteenth hostile review) a jump whose place moves with the derivative's variable, swapped
# with the integral: SymPy differentiates branch by branch and drops the moving edge's term
_DOMINATED = "the integrand and its derivative are dominated by an integrable function"


def _moving_edge_swap(edge: sp.Expr, condition) -> Callable[[], Derivation]:
    body = _f_real(r) * edge
    return lambda: Derivation("moving edge", start=sp.Derivative(sp.Integral(body, (r, 0, 1)), theta),
                              functions=(_f_real,)) \
        .step(sp.Integral(sp.Derivative(body, theta), (r, 0, 1)), rule="swap integral and gradient",
              condition=condition)


def _uniform_score_trick() -> Derivation:
    from pgsym import Distribution, Expectation
    positive = sp.Symbol("theta", positive=True)
    uniform = Distribution("p", (r, -sp.oo, sp.oo),
                           sp.Piecewise((1 / positive, (r > 0) & (r < positive)), (0, True)),
                           parameters=(positive,), check=False)
    d = Derivation("score trick, moving support",
                   start=sp.Derivative(Expectation(_f_real(r), (r, uniform)), positive),
                   functions=(_f_real,))
    d.step(sp.Derivative(sp.Integral(uniform(r) * _f_real(r), (r, -sp.oo, sp.oo)), positive),
           rule="definition of expectation")
    d.step(sp.Integral(sp.Derivative(uniform(r) * _f_real(r), positive), (r, -sp.oo, sp.oo)),
           rule="swap integral and gradient", condition=_DOMINATED)
    return d


WRONG_SOURCES += [
    Case("swap-with-a-piecewise-edge-at-theta",
         _moving_edge_swap(sp.Piecewise((1, r < theta), (0, True)), _DOMINATED),
         "d/dtheta of the integral of f 1{x < theta} over 0..1 is f(theta), which the swap drops"),
    Case("swap-with-a-heaviside-edge-at-theta",
         _moving_edge_swap(sp.Heaviside(theta - r), (theta > 0) & (theta < 1)),
         "the Heaviside edge at x = theta moves with theta: its term f(theta) is dropped"),
    Case("swap-with-the-support-of-a-uniform-density", _uniform_score_trick,
         "the support (0, theta) moves with theta: d/dtheta E[f] is not E[d/dtheta (p f)]"),
]

# (seventeenth hostile review) holes a re-evaluation fills, hidden from the plain q * (1/q)
# check; a distribution read off its support; edges that move without a NOT_SMOOTH node
_H = sp.Heaviside(r)
_k_int = sp.Symbol("k", integer=True)
_n_pos = sp.Symbol("n", integer=True, positive=True)


def _unevaluated(kind, *args):
    return kind(*args, evaluate=False)


def _hole_case(id: str, start, after, why: str) -> Case:
    return Case(id, lambda: Derivation(id, start=start, parameters=(_n_pos,))
                .step(after, rule="algebra"), why)


WRONG_SOURCES += [
    _hole_case("heaviside-over-itself-in-nested-products", r,
               _unevaluated(sp.Mul, r, _unevaluated(sp.Mul, 2, _H),
                            _unevaluated(sp.Mul, sp.Rational(1, 2), _unevaluated(sp.Pow, _H, -1))),
               "the factors of 2 H and 1/(2 H) cancel across two products: 0/0 for r < 0"),
    _hole_case("heaviside-to-a-symbolic-power-over-itself", r,
               _unevaluated(sp.Mul, r, _unevaluated(sp.Pow, _H, _n_pos), _unevaluated(sp.Pow, _H, -_n_pos)),
               "H^n / H^n is 0/0 for r < 0"),
    _hole_case("inverse-heaviside-terms-cancel", r,
               _unevaluated(sp.Add, r, _unevaluated(sp.Pow, _H, -1),
                            _unevaluated(sp.Mul, -1, _unevaluated(sp.Pow, _H, -1))),
               "1/H - 1/H is zoo - zoo for r < 0"),
    _hole_case("exp-of-log-of-heaviside-over-itself", r,
               _unevaluated(sp.Mul, r, sp.exp(sp.log(_H), evaluate=False), _unevaluated(sp.Pow, _H, -1)),
               "log H(r) is undefined for r < 0"),
    _hole_case("inverse-of-inverse-heaviside", _H, _unevaluated(sp.Pow, _unevaluated(sp.Pow, _H, -1), -1),
               "1/(1/H) is undefined for r < 0"),
    _hole_case("heaviside-plus-zero-over-itself", r,
               _unevaluated(sp.Mul, r, _unevaluated(sp.Add, _H, 0), _unevaluated(sp.Pow, _H, -1)),
               "(H + 0)/H is 0/0 for r < 0"),
    _hole_case("integer-over-itself-in-nested-products", _k_int,
               _unevaluated(sp.Mul, _k_int, _unevaluated(sp.Mul, 2, _k_int),
                            _unevaluated(sp.Mul, sp.Rational(1, 2), _unevaluated(sp.Pow, _k_int, -1))),
               "k/k is 0/0 at k = 0"),
]


def _uniform(name: str = "p", values=True):
    from pgsym import Distribution
    width = sp.Symbol("theta", positive=True)
    return width, Distribution(name, (r, 0, width), 1 / width if values else None,
                               parameters=(width,), check=False)


def _off_support_value() -> Derivation:
    width, p = _uniform()
    return Derivation("off support", start=p(-1, width)).step(1 / width, rule="algebra")


def _off_support_sum() -> Derivation:
    from pgsym import Distribution
    K = sp.Symbol("K", integer=True, positive=True)
    q = Distribution("q", (_k_int, 0, K - 1), 1 / K, parameters=(K,), check=False)
    return Derivation("off support", start=sp.Sum(q(_k_int, K), (_k_int, 0, 2 * K - 1))) \
        .step(sp.Integer(2), rule="algebra")


def _moving_support_swap(values: bool) -> Callable[[], Derivation]:
    def build() -> Derivation:
        width, p = _uniform(values=values)
        body = p(r, width) * _f_real(r)
        return Derivation("moving support", start=sp.Derivative(sp.Integral(body, (r, -sp.oo, sp.oo)), width),
                          functions=(_f_real,)) \
            .step(sp.Integral(sp.Derivative(body, width), (r, -sp.oo, sp.oo)),
                  rule="swap integral and gradient", condition=_DOMINATED)
    return build


WRONG_SOURCES += [
    Case("a-density-read-off-its-support", _off_support_value,
         "U(0, theta) is 0 at -1, not 1/theta"),
    Case("a-mass-function-summed-past-its-support", _off_support_sum,
         "a pmf on 0..K-1 sums to 1 over 0..2K-1, not 2"),
    Case("swap-with-the-moving-support-of-a-valued-density", _moving_support_swap(True),
         "the support (0, theta) moves with theta: its edge's term is dropped"),
    Case("swap-with-the-moving-support-of-an-abstract-density", _moving_support_swap(False),
         "p over (0, theta) is 0 off it: its edge moves with theta"),
    Case("swap-with-a-sign-written-as-a-square-root",
         _moving_edge_swap((r - theta) / sp.sqrt(r**2 - 2 * r * theta + theta**2), _DOMINATED),
         "(r - theta)/sqrt((r - theta)^2) is sign(r - theta): its jump moves with theta"),
]

# (eighteenth hostile review) holes other constructors fill, and a hole on an interval next to
# a switch; a declaration read where its support runs backwards or its hidden symbol is rebound
_y_real = sp.Symbol("y", real=True)
_q_half_line = r - sp.Abs(r)  # 0 for every r >= 0, where log and cot of it are undefined


def _filled(id: str, start, after, why: str) -> Case:
    return Case(id, lambda: Derivation(id, start=sp.sympify(start), parameters=(r, _y_real, _k_int))
                .step(after, rule="algebra"), why)


WRONG_SOURCES += [
    _filled("zero-times-an-undefined-log", 0, _unevaluated(sp.Mul, 0, sp.log(_q_half_line)),
            "log(r - |r|) is log 0 for r >= 0: 0 times it is undefined there"),
    _filled("an-undefined-log-to-the-power-zero", 1, _unevaluated(sp.Pow, sp.log(_q_half_line), 0),
            "log(r - |r|)^0 is undefined for r >= 0"),
    _filled("one-to-the-power-of-an-undefined-log", 1, _unevaluated(sp.Pow, 1, sp.log(_q_half_line)),
            "1^log(r - |r|) is undefined for r >= 0"),
    _filled("an-undefined-cotangent-minus-itself", 0,
            _unevaluated(sp.Add, sp.cot(_q_half_line), -sp.cot(_q_half_line)),
            "cot(r - |r|) is cot 0 for r >= 0"),
    _filled("derivative-of-an-undefined-log-by-another-variable", 0,
            sp.Derivative(sp.log(_q_half_line), _y_real), "log(r - |r|) is undefined for r >= 0"),
    _filled("zero-times-an-undefined-log-at-integers", 0,
            _unevaluated(sp.Mul, 0, sp.log(_k_int - sp.Abs(_k_int))), "log 0 at every k >= 0"),
    _filled("exp-of-an-undefined-power-times-its-inverse", 1,
            _unevaluated(sp.Mul, sp.exp(1 / sp.floor(r)), sp.exp(-1 / sp.floor(r))),
            "1/floor(r) is undefined on [0, 1)"),
    _filled("sine-and-cosine-squared-of-a-reciprocal-floor",
            sp.sin(1 / sp.floor(r))**2 + sp.cos(1 / sp.floor(r))**2, sp.Integer(1),
            "the previous step is undefined on [0, 1), not at one point"),
    _filled("sine-and-cosine-squared-of-log-max",
            sp.sin(sp.log(sp.Max(r, 0)))**2 + sp.cos(sp.log(sp.Max(r, 0)))**2, sp.Integer(1),
            "the previous step is undefined for every r <= 0"),
]


def _reversed_density_integral() -> Derivation:
    from pgsym import Distribution
    p = Distribution("p", (r, 0, 1), 2 * r)
    return Derivation("reversed", start=sp.Integral(p(r), (r, 2, -1))).step(sp.Integer(-3), rule="algebra")


def _rebound_hidden_symbol() -> Derivation:
    from pgsym import Distribution
    K = sp.Symbol("K", integer=True, positive=True)
    p = Distribution("p", (_k_int, 0, K - 1), 1 / K)
    return Derivation("rebound", start=sp.Sum(sp.Sum(p(_k_int), (_k_int, 0, K - 1)), (K, 0, 2))) \
        .step(sp.Integer(3), rule="algebra")


def _rebound_in_an_expectation() -> Derivation:
    from pgsym import Distribution, Expectation
    K = sp.Symbol("K", integer=True, positive=True)
    c = sp.Symbol("c", positive=True)
    outer = Distribution("r", (K, 0, 2), sp.Rational(1, 3))
    p = Distribution("p", (_k_int, 0, K - 1), 1 / K)
    start = Expectation(c, [(K, 0, 2), (_k_int, 0, K - 1)], outer(K) * p(_k_int), name="tau")
    return Derivation("rebound expectation", start=start, parameters=(c,)) \
        .step(c, rule="expectation of a constant")


WRONG_SOURCES += [
    Case("a-density-integrated-backwards-past-its-support", _reversed_density_integral,
         "p is 0 off (0, 1): the integral from 2 to -1 is -1"),
    Case("a-support-whose-hidden-size-a-sum-rebinds", _rebound_hidden_symbol,
         "at K = 0 the support 0..-1 is empty: the sum is 2"),
    Case("expectation-of-a-constant-with-a-rebound-support", _rebound_in_an_expectation,
         "at K = 0 the inner support is empty: E[c] = 2c/3"),
    Case("an-integer-index-from-a-half",
         lambda: Derivation("an-integer-index-from-a-half",
                            start=sp.Sum(_k_int, (_k_int, sp.S.Half, sp.Rational(5, 2))))
         .step(sp.Integer(3), rule="algebra"),
         "k declared integer takes 1/2, 3/2, 5/2", may_raise=True),
]

# (twenty-fourth hostile review) functions with a pole or an end of their domain that the
# hole check did not list: their values cancel, or are multiplied by 0, where undefined
WRONG_SOURCES += [
    _filled(f"{name}-of-floor-minus-itself", _y_real,
            _unevaluated(sp.Add, _y_real, function(sp.floor(r)), -function(sp.floor(r))),
            f"{name}(floor r) is undefined on a whole interval")
    for name, function in (("atanh", sp.atanh), ("zeta", sp.zeta), ("asec", sp.asec),
                           ("erfinv", sp.erfinv), ("li", sp.li))
] + [
    _filled("zero-times-atanh-of-floor", _y_real,
            _unevaluated(sp.Add, _y_real, _unevaluated(sp.Mul, 0, sp.atanh(sp.floor(r)))),
            "atanh(floor r) is oo on [1, 2)"),
]

# (twenty-fifth hostile review) a jump hidden in smooth functions of a part that has a pole:
# tanh(1/(x - theta)) goes from -1 to 1 where x = theta, and that point moves with theta
WRONG_SOURCES += [
    Case("swap-with-a-jump-behind-a-moving-pole",
         _moving_edge_swap(sp.tanh(1 / (r - theta)), _DOMINATED),
         "tanh(1/(r - theta)) jumps by 2 at r = theta: the swap drops -2 f(theta)"),
    Case("swap-with-a-jump-at-the-poles-of-tan",
         _moving_edge_swap(sp.tanh(sp.tan(4 * (r - theta))), _DOMINATED),
         "tanh(tan(4(r - theta))) jumps by 2 at r = theta + pi/8: the swap drops that term"),
    Case("swap-with-a-moving-essential-singularity",
         _moving_edge_swap(sp.exp(-1 / (r - theta)), _DOMINATED),
         "exp(-1/(r - theta)) jumps from oo to 0 at r = theta"),
]

# (a new user, then the twenty-ninth hostile review) a 0/0 that pgsym's own constructions let
# SymPy cancel before the verifier looks: an expectation's density times a body divided by it,
# and finite sums and products written out term by term
_q_maybe_zero = sp.Function("q", real=True)
_n_integer = sp.Symbol("n", integer=True)


def _importance_sampling(support_end, several: bool = False) -> Callable[[], Derivation]:
    from pgsym import Distribution, Expectation

    def build() -> Derivation:
        target = Distribution("pi", (_k_int, 0, support_end))
        proposal = Distribution("q", (_k_int, 0, support_end))  # not declared positive
        h = sp.Function("h", real=True)
        if not several:
            start = Expectation(target(_k_int) / proposal(_k_int) * h(_k_int), proposal)
            return Derivation("importance sampling", start=start).step(
                Expectation(h(_k_int), target), rule="algebra")
        s0, a0 = sp.symbols("s0 a0", integer=True)
        d = Distribution("d", (s0, 0, 1))
        mu = Distribution("mu", (a0, 0, 1), parameters=(s0,))
        pi = Distribution("pi", (a0, 0, 1), parameters=(s0,))
        limits = [(s0, 0, 1), (a0, 0, 1)]
        start = Expectation(mu(a0, s0) / pi(a0, s0) * h(a0), limits, d(s0) * pi(a0, s0),
                            name="pi")
        return Derivation("importance sampling over (s, a)", start=start).step(
            Expectation(h(a0), limits, d(s0) * mu(a0, s0), name="mu"), rule="algebra")
    return build


WRONG_SOURCES += [
    Case("importance-weights-over-a-symbolic-support", _importance_sampling(sp.Symbol("K", integer=True, positive=True) - 1),
         "E_q[pi/q h] = E_pi[h] fails where q is 0 and pi h is not"),
    Case("importance-weights-over-0-to-2", _importance_sampling(2),
         "E_q[pi/q h] = E_pi[h] fails where q is 0 and pi h is not"),
    Case("importance-weights-over-states-and-actions", _importance_sampling(1, several=True),
         "the proposal pi may be 0 at some (s, a)"),
    _case("a-written-out-sum-cancelling-q-over-q",
          sp.Sum(_unevaluated(sp.Mul, _k_int, _q_maybe_zero(r), 1 / _q_maybe_zero(r)), (_k_int, 1, 2)),
          sp.Integer(3), "each term is 0/0 where q(r) = 0"),
    _case("a-written-out-sum-cancelling-n-over-n",
          sp.Sum(_unevaluated(sp.Mul, _k_int, _n_integer, 1 / _n_integer), (_k_int, 1, 2)),
          sp.Integer(3), "each term is 0/0 at n = 0"),
    _case("a-written-out-product-cancelling-q-over-q",
          sp.Product(_unevaluated(sp.Mul, _k_int, _q_maybe_zero(r), 1 / _q_maybe_zero(r)), (_k_int, 1, 2)),
          sp.Integer(2), "each factor is 0/0 where q(r) = 0"),
]
