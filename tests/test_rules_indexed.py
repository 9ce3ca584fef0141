"""The rules of pgsym.rules.indexed: what each confirms, the side conditions each checks, and
false steps citing them that must not pass."""
import pytest
import sympy as sp

from pgsym import Derivation, Justification, VerdictKind
from pgsym.rules import RuleContext, get_rule

x = sp.IndexedBase("x", real=True)
theta = sp.IndexedBase("theta", real=True)
phi = sp.IndexedBase("phi", real=True)
i, j, k, l, b, c = sp.symbols("i j k l b c", integer=True)
n, A, d = sp.symbols("n A d", integer=True, positive=True)
v = sp.Symbol("v", real=True)
f = sp.Function("f", real=True)

INDEXED = get_rule("derivative of an indexed variable")
FINITE_SUM = get_rule("derivative of a finite sum")
DELTA = get_rule("sum of a Kronecker delta")


def _status(rule, before, after, context=RuleContext()):
    return rule.check(before, after, context).status.value


def _proved(derivation: Derivation) -> bool:
    report = derivation.verify(time_limit=30)
    return report.ok and all(s.verdict.kind is VerdictKind.PROVED for s in report.steps)


# -- derivative of an indexed variable ----------------------------------------------------
def test_an_entry_differentiated_by_an_entry_of_its_array_is_a_delta_per_index():
    assert _status(INDEXED, sp.Derivative(x[i], x[j]), sp.KroneckerDelta(i, j)) == "confirmed"
    assert _status(INDEXED, sp.Derivative(theta[i, j], theta[k, l]),
                   sp.KroneckerDelta(i, k) * sp.KroneckerDelta(j, l)) == "confirmed"


def test_entries_of_another_array_or_of_another_shape_are_not_rewritten():
    assert _status(INDEXED, sp.Derivative(x[i], theta[j, k]), sp.S.Zero) == "mismatch"
    refused = INDEXED.check(sp.Derivative(x[i, j], x[k]), sp.KroneckerDelta(i, k), RuleContext())
    assert refused.status.value == "mismatch" and "different numbers of indices" in refused.detail


def test_a_derivative_with_the_indices_swapped_is_refuted():
    d_ = Derivation("swapped", start=sp.Derivative(theta[i, j], theta[k, l]),
                    ranges={k: (0, n - 1), l: (0, d - 1)})
    d_.step(sp.KroneckerDelta(i, l) * sp.KroneckerDelta(j, k), rule="derivative of an indexed variable")
    report = d_.verify(time_limit=30)
    [step] = report.steps
    assert not report.ok and step.justification.status.value == "mismatch"
    assert not step.verdict.kind.is_proof  # (false only where i = k and j = l, i != j)


# -- derivative of a finite sum -----------------------------------------------------------
def test_a_finite_sum_of_symbolic_length_is_differentiated_term_by_term():
    total = sp.Sum(phi[j] * theta[j], (j, 0, n - 1))
    assert _status(FINITE_SUM, sp.Derivative(total, theta[k]),
                   sp.Sum(phi[j] * sp.Derivative(theta[j], theta[k]), (j, 0, n - 1))) == "confirmed"
    d_ = Derivation("linear form", start=sp.Derivative(total, theta[k]), ranges={k: (0, n - 1)})
    d_.step(sp.Sum(sp.Mul(phi[j], sp.Derivative(theta[j], theta[k]), evaluate=False), (j, 0, n - 1)),
            rule="derivative of a finite sum")
    d_.step(sp.Sum(sp.Mul(phi[j], sp.KroneckerDelta(j, k), evaluate=False), (j, 0, n - 1)),
            rule="derivative of an indexed variable")
    d_.step(phi[k], rule="sum of a Kronecker delta")
    assert _proved(d_)


@pytest.mark.parametrize("total, wrt, message", [
    (sp.Sum(v**j / sp.factorial(j), (j, 0, sp.oo)), v, "not shown to be a finite integer"),
    (sp.Sum(v * j, (j, 0, v)), v, "not shown to be a finite integer"),
    (sp.Sum(v * j, (j, 0, n * v)), v, "not shown to be a finite integer"),
    (sp.Sum(theta[j], (j, 0, n)), theta[j], ""),  # (the sum's j is another variable)
], ids=["infinite", "real bound", "bound depends on v", "captured index"])
def test_a_sum_that_is_not_finite_or_whose_bounds_move_is_not_differentiated_term_by_term(
        total, wrt, message):
    inside = sp.Sum(sp.Derivative(total.function, wrt), total.limits[0])
    found = FINITE_SUM.check(sp.Derivative(total, wrt), inside,
                             RuleContext(condition="the series converges uniformly"))
    assert found.status.value == "mismatch" and message in found.detail


def test_a_stated_condition_does_not_make_an_infinite_sum_finite():
    total = sp.Sum(v**j / sp.factorial(j), (j, 0, sp.oo))
    d_ = Derivation("exp", start=sp.Derivative(total, v))
    d_.step(sp.Sum(sp.Derivative(v**j / sp.factorial(j), v), (j, 0, sp.oo)),
            rule="derivative of a finite sum", condition="the series converges uniformly")
    assert not d_.verify(time_limit=30).ok


# -- sum of a Kronecker delta -------------------------------------------------------------
def test_a_delta_summed_over_a_range_that_holds_its_index_picks_one_term():
    d_ = Derivation("sifting", start=sp.Sum(sp.KroneckerDelta(b, c) * f(b), (b, 0, A - 1)),
                    ranges={c: (0, A - 1)})
    d_.step(f(c), rule="sum of a Kronecker delta")
    assert _proved(d_)
    ones = Derivation("delta sums to one", start=sp.Sum(sp.KroneckerDelta(c, b), (b, 0, A - 1)),
                      ranges={c: sp.Range(0, A)})
    ones.step(sp.S.One, rule="sum of a Kronecker delta")
    assert _proved(ones)


@pytest.mark.parametrize("ranges", [{}, {c: (0, A)}, {c: (-1, A - 1)}, {c: (1, A + 1)}],
                         ids=["no range", "one too many above", "one too many below", "shifted"])
def test_a_delta_whose_index_may_lie_outside_the_sum_is_not_summed(ranges):
    d_ = Derivation("sifting, wrongly", start=sp.Sum(sp.KroneckerDelta(b, c) * f(b), (b, 0, A - 1)),
                    ranges=ranges)
    d_.step(f(c), rule="sum of a Kronecker delta")
    report = d_.verify(time_limit=30)
    [step] = report.steps
    assert not report.ok
    assert step.justification.status.value == "mismatch"
    assert "not shown to be an integer in the range" in step.justification.detail
    if ranges:  # c = A (or -1) is in the declared range, where the sum is 0, not f(c)
        assert step.verdict.kind is VerdictKind.REFUTED


def test_a_delta_at_a_point_that_need_not_be_an_integer_is_not_summed():
    found = DELTA.check(sp.Sum(sp.KroneckerDelta(b, c / 2) * f(b), (b, 0, A - 1)), f(c / 2),
                        RuleContext(range_cases=({c: c},)))
    assert found.status.value == "mismatch"


def test_two_indices_ranged_up_to_one_size_are_both_known_to_lie_below_it():
    # one case per order of c and j fixes A above the larger (the first range alone fixed A
    # once, and the second index was then known to lie above 0 only: new user 20); a third
    # index of another size keeps its own range
    for ranges in ({c: (0, A - 1), j: (0, A - 1)}, {j: (0, A - 1), c: (0, A - 1)}):
        d_ = Derivation("two ranges",
                        start=f(c) + sp.Sum(sp.KroneckerDelta(b, j) * f(b), (b, 0, A - 1)),
                        ranges=ranges)
        d_.step(f(c) + f(j), rule="sum of a Kronecker delta")
        report = d_.verify(time_limit=30)
        assert report.ok, report.failures()
    wrong = Derivation("two ranges",
                       start=f(c) + sp.Sum(sp.KroneckerDelta(b, j) * f(b), (b, 0, A - 2)),
                       ranges={c: (0, A - 1), j: (0, A - 1)})
    wrong.step(f(c) + f(j), rule="sum of a Kronecker delta")
    [step] = wrong.verify(time_limit=30).steps
    assert not step.verdict.kind.is_proof


def test_a_range_on_a_symbol_that_is_free_nowhere_takes_nothing_from_a_free_one():
    # c appears nowhere (or only as a sum's variable): its range makes no case, and j's
    # range fixes A, so that j is shown to lie in the sum's range
    for start in (sp.Sum(sp.KroneckerDelta(b, j) * f(b), (b, 0, A - 1)),
                  sp.Sum(sp.KroneckerDelta(c, j) * f(c), (c, 0, A - 1))):
        d_ = Derivation("a range on a symbol free nowhere", start=start,
                        ranges={c: (0, A - 1), j: (0, A - 1)})
        d_.step(f(j), rule="sum of a Kronecker delta")
        report = d_.verify(time_limit=30)
        assert report.ok, report.failures()


def test_a_delta_is_not_summed_into_a_sum_that_would_capture_its_index():
    m = sp.Symbol("m", integer=True)
    before = sp.Sum(sp.KroneckerDelta(j, m) * sp.Sum(f(j) * f(m), (m, 0, n - 1)), (j, 0, n - 1))
    captured = Derivation("captured", start=before, ranges={m: (0, n - 1)})
    captured.step(sp.Sum(f(m) * f(m), (m, 0, n - 1)), rule="sum of a Kronecker delta")
    report = captured.verify(time_limit=30)
    assert not report.ok and report.steps[0].justification.status.value == "mismatch"
    assert report.steps[0].verdict.kind is VerdictKind.REFUTED
    right = Derivation("not captured", start=before, ranges={m: (0, n - 1)})
    right.step(sp.Sum(f(m) * f(l), (l, 0, n - 1)), rule="sum of a Kronecker delta")
    assert _proved(right)


# -- the verifier around them ---------------------------------------------------------------
def test_a_wrong_derivative_with_respect_to_an_indexed_variable_is_refuted():
    # the indices of d/d theta[i, c] are free symbols SymPy does not list: they are sampled
    d_ = Derivation("wrong", start=sp.Derivative(sp.exp(theta[j, c]), theta[i, c]),
                    ranges={i: (0, d - 1), j: (0, n - 1)})
    d_.step(sp.exp(theta[j, c]), rule="algebra")
    [step] = d_.verify(time_limit=30).steps
    assert step.verdict.kind is VerdictKind.REFUTED


def test_a_counterexample_over_a_range_gives_the_derivations_own_sizes():
    d_ = Derivation("sifting, one too far",
                    start=sp.Sum(sp.KroneckerDelta(b, c) * f(b), (b, 0, A - 1)), ranges={c: (0, A)})
    d_.step(f(c), rule="algebra")
    [step] = d_.verify(time_limit=30).steps
    assert step.verdict.kind is VerdictKind.REFUTED
    point = dict(step.verdict.counterexample.point)
    assert A in point and point[A].is_Integer and point[c].is_Integer


def test_reciprocals_of_sums_proved_equal_are_equal_and_of_different_sums_are_not():
    m = sp.Symbol("m", real=True)
    z = sp.Function("z", real=True)

    def shifted(at):
        return sp.Mul(sp.exp(m), sp.exp(z(at) - m), evaluate=False)

    start = 1 / sp.Sum(sp.exp(z(b)), (b, 0, A - 1))
    same = Derivation("reciprocal", start=start, parameters=(m,))
    same.step(1 / sp.Sum(shifted(b), (b, 0, A - 1)), rule="algebra")
    assert _proved(same)
    other = Derivation("reciprocal, wrongly", start=start, parameters=(m,))
    other.step(1 / sp.Sum(sp.Mul(sp.exp(m), sp.exp(z(b) + m), evaluate=False), (b, 0, A - 1)),
               rule="algebra")
    [step] = other.verify(time_limit=30).steps
    assert step.verdict.kind is VerdictKind.REFUTED


def test_the_delta_rewrite_itself_refuses_a_sum_inside_that_binds_the_point():
    # (rule checks rename bound variables apart first; the rewrite does not rely on it)
    m = sp.Symbol("m", integer=True, nonnegative=True)
    above = sp.Symbol("above", integer=True, nonnegative=True)
    node = sp.Sum(sp.KroneckerDelta(j, m) * sp.Sum(f(j) * f(m), (m, 0, n - 1)), (j, 0, n - 1))
    with pytest.raises(Exception, match="binds m"):
        DELTA.rewrite(node, RuleContext(range_cases=({n: m + above + 1},)))


# -- ranges declared on a summed variable (a new user's report) -----------------------------
h = sp.IndexedBase("h", real=True)


@pytest.mark.parametrize("upper, ranges", [
    (2, {b: (0, 2), c: (0, 2)}), (A - 1, {b: (0, A - 1), c: (0, A - 1)}), (A - 1, {c: (0, A - 1)})],
    ids=["numeric range on the summed variable", "symbolic range on the summed variable",
         "range on the free index only"])
def test_a_range_on_the_summed_variable_too_leaves_the_sifting_step_proved(upper, ranges):
    # the summed b's range is its sum's own: it made cases that put 0 in the sum's limits
    # (a raw "Invalid limits" error) or rewrote A in terms of b, so that c lost its range
    # and the true step was refuted at c = 12 > A - 1
    start = sp.Sum(sp.KroneckerDelta(b, c) * h[b], (b, 0, upper))
    true = Derivation("sifting", start=start, ranges=ranges)
    true.step(h[c], rule="sum of a Kronecker delta")
    assert _proved(true), true.verify(time_limit=30).failures()
    # the same ranges do not let a false step through, and its counterexample lies in them
    false = Derivation("sifting, one off", start=start, ranges=ranges)
    false.step(h[c + 1], rule="sum of a Kronecker delta")
    [step] = false.verify(time_limit=30).steps
    assert step.verdict.kind is VerdictKind.REFUTED
    point = dict(step.verdict.counterexample.point)
    assert 0 <= point[c] <= (upper.xreplace(point) if upper != 2 else 2)


def test_a_step_failing_only_outside_the_declared_ranges_is_not_refuted():
    # c and i both run up to A - 1; only i's range can fix A, so c is sampled from all c >= 0:
    # the step holds for c in 0..A - 1 and fails above, which must not refute it
    start = sp.Sum(sp.KroneckerDelta(b, c) * h[b], (b, 0, A - 1)) * (i + 1)
    d_ = Derivation("two ranges up to A", start=start, ranges={i: (0, A - 1), c: (0, A - 1)})
    d_.step(h[c] * (i + 1), rule="algebra")
    [step] = d_.verify(time_limit=30).steps
    assert step.verdict.kind is not VerdictKind.REFUTED
    assert not step.verdict.kind.is_proof


@pytest.mark.parametrize("declared, bounds, start, end", [
    (dict(positive=True, even=True), (0, -1), lambda m: sp.Pow(-1, m, evaluate=False), lambda m: 1),
    (dict(positive=True), (-10, 0), lambda m: sp.Abs(m, evaluate=False), lambda m: m)],
    ids=["n even", "n positive"])
def test_a_range_case_that_breaks_a_size_declared_even_or_positive_does_not_refute(
        declared, bounds, start, end):
    # j in low..n + c rewrites n as low + j' + m - c with j', m >= 0 only: n odd (5885) or
    # negative (-2) there, where the step need not hold; a refutation there is no refutation
    m = sp.Symbol("n", integer=True, **declared)
    ranges = {j: (bounds[0], m + bounds[1])}
    true = Derivation("true", start=sp.Mul(start(m), f(j), evaluate=False), ranges=ranges)
    true.step(end(m) * f(j), rule="algebra")
    [step] = true.verify(time_limit=30).steps
    assert step.verdict.kind is not VerdictKind.REFUTED, step.verdict
    # a false step is still refuted, at a point that gives each symbol once and meets them all
    false = Derivation("false", start=sp.Mul(start(m), f(j), evaluate=False), ranges=ranges)
    false.step(end(m) * f(j) + j - bounds[0], rule="algebra")
    [step] = false.verify(time_limit=30).steps
    assert step.verdict.kind is VerdictKind.REFUTED, step.verdict
    point = step.verdict.counterexample.point
    names = [str(symbol) for symbol, _ in point]
    assert len(names) == len(set(names)), point
    values = dict(point)
    assert bounds[0] <= values[j] <= values[m] + bounds[1]


def test_a_kronecker_delta_whose_index_a_subs_rebinds_is_not_summed_over_the_outer_range():
    """Hostile review 13: inside Subs(.., k, 7) the index k is 7, not the k of the sum over
    k = 2..3 around it; the rule read it as the sum's, and with an unevaluable term beside
    it (which left the probe nothing to compare) the false step was proved under the stated
    condition of the interchange chained with it."""
    k, j = sp.symbols("k j", integer=True)
    v, x, y = sp.symbols("v x y", real=True)
    h, g = sp.Function("h", real=True), sp.Function("g", real=True)
    unevaluable = sp.Integral(g(x, y), (x, 0, 1), (y, 0, 1))
    start = sp.Derivative(sp.Sum(sp.Subs(sp.Sum(sp.KroneckerDelta(j, k) * h(j, v), (j, 2, 3)),
                                         k, 7), (k, 2, 3)), v) + unevaluable
    after = sp.Sum(sp.Derivative(sp.Subs(h(k, v), k, 7), v), (k, 2, 3)) + unevaluable
    d = Derivation("subs delta", start=start, functions=(h, g))
    d.step(after, rule=("swap sum and gradient", "sum of a Kronecker delta"),
           condition="$h$ is smooth")
    step = d.verify().steps[0]
    assert not step.ok and not step.verdict.kind.is_proof
    assert step.justification.status is not Justification.CONFIRMED


def test_a_stated_condition_excuses_the_probe_for_an_interchange_only():
    """The condition of an interchange is what such a step rests on where the probe cannot
    evaluate it; a rule chained with the interchange is code that could confirm a false step,
    so the probe must still have compared the sides (hostile review 13)."""
    from pgsym import get_rule
    from pgsym.report import RuleCheck
    from pgsym.verification import _promotion

    v = sp.Symbol("v", real=True)
    k = sp.Symbol("k", integer=True)
    h = sp.Function("h", real=True)
    d = Derivation("swap", start=sp.Derivative(sp.Sum(h(k, v), (k, 0, 3)), v))
    d.step(sp.Sum(sp.Derivative(h(k, v), v), (k, 0, 3)), rule="swap sum and gradient",
           condition="$h$ is smooth")
    confirmed = RuleCheck(Justification.CONFIRMED, "")
    alone = _promotion((get_rule("swap sum and gradient"),), d.steps[0], confirmed)
    chained = _promotion((get_rule("swap sum and gradient"), get_rule("sum of a Kronecker delta")),
                         d.steps[0], confirmed)
    assert alone.kind is VerdictKind.PROVED_ASSUMING and not alone.needs_probe
    assert chained.kind is VerdictKind.PROVED_ASSUMING and chained.needs_probe


def test_a_range_bounded_by_another_ranged_symbol_is_written_in_its_offset():
    """Hostile review 55: with g in a..K and a in 0..K, the true sum_{j=a}^{K} [j = g] = 1 was
    refuted: g was written as the original a plus an offset, beside the offset of a named a,
    and the counterexample read both ("a = 1, a = 4"). The false forms are refuted at a
    point given in the derivation's own symbols, inside the ranges."""
    a, g, j = sp.symbols("a g j", integer=True)
    K = sp.Symbol("K", integer=True, positive=True)

    def verdict(end, rule="algebra"):
        d = Derivation("shared bound", start=sp.Sum(sp.KroneckerDelta(j, g), (j, a, K)),
                       ranges={g: (a, K), a: (0, K)})
        return d.step(end, rule=rule).verify().steps[0].verdict

    assert verdict(sp.S.One).kind is VerdictKind.PROVED
    assert verdict(sp.S.One, "sum of a Kronecker delta").kind is VerdictKind.PROVED
    for false in (sp.S.Zero, sp.KroneckerDelta(a, g)):
        refuted = verdict(false)
        assert refuted.kind is VerdictKind.REFUTED
        point = dict(refuted.counterexample.point)
        assert set(point) == {a, g, K} and 0 <= point[a] <= point[g] <= point[K], point
        assert ", ".join(f"{s} = {v}" for s, v in refuted.counterexample.point) \
            in refuted.detail


def test_a_defined_sum_unfolded_at_a_shifted_argument_is_the_definition_within_a_range():
    """New user 23: G := u -> sum_{k=0}^{T-u} gamma^k r(u + k) unfolds at t + 1 to a sum up to
    T - (t + 1), which the step writes T - t - 1: 'definition' was refused ("distributivity
    links them"), and with t ranged in 0..T-1 the step was only checked numerically."""
    t, k, u = sp.symbols("t k u", integer=True)
    T = sp.Symbol("T", integer=True, positive=True)
    gamma = sp.Symbol("gamma", positive=True)
    r, G = sp.Function("r", real=True), sp.Function("G", real=True)
    definition = sp.Lambda(u, sp.Sum(gamma**k * r(u + k), (k, 0, T - u)))
    start = sp.Sum(gamma**k * r(t + 1 + k), (k, 0, T - (t + 1)))
    for ranges in ({}, {t: (0, T - 1)}):
        d = Derivation("return", start=start, definitions={G: definition}, ranges=ranges)
        [step] = d.step(G(t + 1), rule="definition").verify().steps
        assert step.verdict.kind is VerdictKind.PROVED, (ranges, step.verdict)
        assert step.justification.status is Justification.CONFIRMED, step.justification
    # (a step off by one is still refuted)
    wrong = Derivation("return", start=start, definitions={G: definition},
                       ranges={t: (0, T - 1)}).step(G(t), rule="definition")
    assert wrong.verify().steps[0].verdict.kind is VerdictKind.REFUTED


def test_an_entry_of_a_matrix_is_no_constant_in_another_entry():
    # (hostile review 71: d A[i, j] / d A[0, 1] = 0 was confirmed by the derivative of a
    # constant; at i = 0, j = 1 it is 1)
    A = sp.MatrixSymbol("A", 3, 3)
    i, j = sp.symbols("i j", integer=True)
    d = Derivation("entry", start=sp.Derivative(A[i, j], A[0, 1]))
    [step] = d.step(sp.S.Zero, rule="derivative of a constant").verify().steps
    assert step.justification.status is Justification.MISMATCH, step.justification
    assert not step.ok
