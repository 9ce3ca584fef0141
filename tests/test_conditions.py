"""A step's inequality condition: its sides are compared over exactly the region it states."""
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from pgsym import Derivation, VerdictKind
from pgsym._conditions import parametrised

x = sp.Symbol("x", real=True)
r = sp.Symbol("r", real=True)
rho, eps, A = (sp.Symbol(n, positive=True) for n in ("rho", "epsilon", "A"))
CLIPPED = sp.Min(r * A, sp.Min(sp.Max(r, 1 - eps), 1 + eps) * A)  # PPO's surrogate, A > 0
INSIDE = sp.And(sp.Lt(r, 1 + eps), sp.Gt(r, 1 - eps))


def _verdict(start, end, condition):
    return Derivation("conditioned", start=start).step(end, rule="algebra",
                                                       condition=condition).verify().steps[0]


@pytest.mark.parametrize("start, end, condition", [
    (sp.Min(x, 1), x, sp.Lt(x, 1)),
    (sp.Min(x, 1), x, sp.Le(x, 1)),
    (sp.Abs(x), -x, sp.Lt(x, 0)),
    (sp.Min(rho, 1 + eps), rho, sp.Lt(rho, 1 + eps)),  # 0 < rho < 1 + eps
    (CLIPPED, r * A, INSIDE),
])
def test_a_step_true_under_its_condition_is_proved_under_it(start, end, condition):
    step = _verdict(start, end, condition)
    assert step.verdict.kind is VerdictKind.PROVED_ASSUMING, step.verdict


@pytest.mark.parametrize("start, end, condition", [
    (sp.Min(x, 1), sp.Integer(1), sp.Lt(x, 1)),
    (sp.Abs(x), x, sp.Lt(x, 0)),
    (sp.Min(rho, 1 + eps), 1 + eps, sp.Lt(rho, 1 + eps)),
    (CLIPPED, (1 + eps) * A, INSIDE),
])
def test_a_step_false_under_its_condition_is_refuted_at_a_point_that_meets_it(start, end,
                                                                               condition):
    step = _verdict(start, end, condition)
    assert step.verdict.kind is VerdictKind.REFUTED
    point = dict(step.verdict.counterexample.point)
    assert condition.xreplace(point) is sp.true, point  # (in the step's own symbols)
    assert all(not s.name.startswith("u_") for s in point)


def test_a_refutation_outside_a_condition_that_cannot_be_parametrised_is_not_believed():
    assert parametrised(sp.Gt(rho, 1 - eps), (rho,)) is None
    """Two bounds on one side (rho > 0 declared, rho > 1 - eps stated: which binds is not
    known), or a condition that never holds: a point that breaks it refutes nothing."""
    for start, end, condition in ((sp.Min(x, 1), sp.Integer(5), sp.And(sp.Lt(x, 1), sp.Gt(x, 2))),
                                  (sp.Min(rho, 1 + eps), rho, sp.Gt(rho, 1 - eps))):
        step = _verdict(start, end, condition)
        assert step.verdict.kind in (VerdictKind.UNKNOWN, VerdictKind.REFUTED)
        if step.verdict.kind is VerdictKind.REFUTED:
            assert condition.xreplace(dict(step.verdict.counterexample.point)) is sp.true
        else:
            assert "breaks the stated condition" in step.verdict.detail


def test_a_point_where_a_condition_is_not_real_or_a_sign_it_states_fails_refutes_nothing():
    """Hostile review 55: |x| = x under sqrt(x) > 0, and under x/y > 0 and y > 0, was refuted
    at x = -1, where neither holds (i > 0 holds nowhere; the step names no y, and x/y > 0 is
    false there for every positive y)."""
    y = sp.Symbol("y", real=True)
    for condition in (sp.sqrt(x) > 0, sp.And(x / y > 0, y > 0)):
        d = Derivation("abs", start=sp.Abs(x) + 0 * y, parameters=(y,))
        [step] = d.step(x, rule="algebra", condition=condition).verify().steps
        assert step.verdict.kind is not VerdictKind.REFUTED, condition
    # (a counterexample meeting such a condition still refutes)
    wrong = Derivation("abs", start=sp.Abs(x) + 0 * y, parameters=(y,))
    [step] = wrong.step(-x, rule="algebra", condition=sp.sqrt(x) > 0).verify().steps
    assert step.verdict.kind is VerdictKind.REFUTED


def test_a_symbol_the_sides_differentiate_by_is_not_parametrised():
    assert parametrised(sp.Lt(x, 1), (sp.Derivative(sp.Min(x, 1), x),)) is None
    assert parametrised(sp.Lt(x, 1), (sp.Integral(x, (x, 0, 1)) + x,)) is None


_SIGNS = ("real", "positive", "negative", "nonnegative", "nonpositive")
_RELATIONS = (sp.Lt, sp.Le, sp.Gt, sp.Ge)


@settings(max_examples=150, deadline=None)
@given(sign=st.sampled_from(_SIGNS),
       stated=st.lists(st.tuples(st.sampled_from(_RELATIONS),
                                 st.fractions(-3, 3, max_denominator=4)), min_size=1, max_size=2),
       probes=st.lists(st.fractions(-5, 5, max_denominator=8), min_size=1, max_size=12))
def test_a_parametrisation_covers_exactly_the_region_its_condition_and_sign_leave(
        sign, stated, probes):
    """Every value of the fresh symbol lands in the region, and every point of the region
    is reached by one: covering less could prove a false step, covering more refute a true
    one."""
    t = sp.Symbol("t", **{sign: True})
    condition = sp.And(*[relation(t, sp.Rational(bound)) for relation, bound in stated])
    if condition in (sp.true, sp.false):
        return
    region = parametrised(condition, (t,))
    if region is None:
        return
    [(symbol, value)] = region.values.items()
    [u] = region.parameters

    def inside(point) -> bool:
        return condition.xreplace({t: point}) is sp.true and \
            sp.Symbol("probe", **{sign: True}).assumptions0.get(sign) is True and \
            {"real": True, "positive": point > 0, "negative": point < 0,
             "nonnegative": point >= 0, "nonpositive": point <= 0}[sign]

    allowed_zero = u.is_positive is not True
    for parameter in [sp.Rational(1, 10**9), sp.Rational(1, 2), 1, 7, 10**9] + [0] * allowed_zero:
        assert inside(value.xreplace({u: parameter})), (condition, sign, value, parameter)
    for probe in map(sp.Rational, probes):
        if inside(probe):
            solutions = [s for s in sp.solve(sp.Eq(value, probe), u)
                         if s.is_real and (s > 0 if u.is_positive else s >= 0)]
            assert solutions, (condition, sign, value, probe)


def test_a_condition_whose_bound_the_sides_differentiate_or_sum_by_is_not_parametrised():
    """Hostile review 44: with x = c - u, d/dc x = 1 was proved under x < c (x and c are
    independent: it is 0); and a sum over k read x < k with its own k."""
    c = sp.Symbol("c", real=True)
    k = sp.Symbol("k", integer=True)
    assert parametrised(sp.Lt(x, c), (sp.Derivative(x, c), sp.Integer(1))) is None
    assert parametrised(sp.Lt(x, k), (sp.Sum((x - k)**2, (k, 1, 2)), sp.Integer(0))) is None
    step = _verdict(sp.Derivative(x, c), sp.Integer(1), sp.Lt(x, c))
    assert step.verdict.kind is VerdictKind.REFUTED


def test_a_switch_the_condition_allows_still_refutes_a_false_step():
    """New user 15: Piecewise((1, x > 0), (5, True)) = 1 for x >= 0 under x < 1 is false at
    x = 0, which the condition allows; written in the region's parameter, the switch was
    not sampled, and the step was only 'checked numerically' (it passed with numeric
    evidence accepted)."""
    t = sp.Symbol("t", nonnegative=True)
    for start in (sp.Piecewise((1, t > 0), (5, True)), sp.sign(t)):
        d = Derivation("switch", start=start)
        d.step(sp.Integer(1), rule="algebra", condition=t < 1, accept="numeric")
        [step] = d.verify().steps
        assert step.verdict.kind is VerdictKind.REFUTED, step.verdict
        assert dict(step.verdict.counterexample.point)[t] == 0


def test_a_part_of_the_condition_that_bounds_no_symbol_is_left_out_of_the_region():
    """New user 15: with x < 1 and (1 - x)**(b - 1) > 0 the whole condition was dropped and
    the step refuted at x = 2.2. The region of x < 1 holds the condition, so a proof over it
    holds; the log of a product is shown positive there too."""
    t = sp.Symbol("t", positive=True)
    beta = sp.Symbol("beta", positive=True)
    B = sp.Function("B", positive=True)
    for condition in (t < 1, sp.And(t < 1, (1 - t)**(beta - 1) > 0)):
        d = Derivation("beta log-density", start=sp.log((1 - t)**(beta - 1) / B(beta)),
                       functions=(B,))
        d.step((beta - 1) * sp.log(1 - t) - sp.log(B(beta)), rule="log of a product",
               condition=condition)
        [step] = d.verify().steps
        assert step.ok and step.verdict.kind is VerdictKind.PROVED_ASSUMING, step.verdict
    region = parametrised(sp.And(t < 1, (1 - t)**(beta - 1) > 0), ((1 - t)**beta,))
    assert region is not None and not region.exact


def test_a_point_where_a_stand_in_function_breaks_the_condition_refutes_nothing():
    """Hostile review 46: min(f(x), 1) = f(x) under f(x) < 1 was refuted where the stand-in
    f was 53.79; the condition is read with the stand-ins."""
    f = sp.Function("f", real=True)
    step = _verdict(sp.Min(f(x), 1), f(x), f(x) < 1)
    assert step.verdict.kind is not VerdictKind.REFUTED, step.verdict


def test_a_declared_sign_that_cannot_be_ordered_against_a_stated_bound_is_named():
    """New user 19: the PPO clip identity under 1 - eps < rho < 1 + eps is proved for a real
    rho, and unknown for a positive one (0 or 1 - eps: which bound is tighter is not known),
    with a message that did not say why."""
    eps, A = sp.Symbol("epsilon", positive=True), sp.Symbol("A", real=True)
    verdicts = {}
    for declared in ({"positive": True}, {"real": True}):
        rho = sp.Symbol("rho", **declared)
        clipped = sp.Min(rho * A, sp.Min(sp.Max(rho, 1 - eps), 1 + eps) * A)
        d = Derivation("clip", start=clipped).step(
            rho * A, rule="algebra", condition=sp.And(rho > 1 - eps, rho < 1 + eps))
        [step] = d.verify().steps
        verdicts["positive" if "positive" in declared else "real"] = step.verdict
    assert verdicts["real"].kind.is_proof
    assert verdicts["positive"].kind is VerdictKind.UNKNOWN
    assert "whether 0 or 1 - epsilon is its tighter lower bound" in verdicts["positive"].detail


def test_a_point_where_a_stated_inequation_fails_does_not_count_as_a_hole():
    """New user 20: under gamma != 1, a step to (1 - gamma^T)/(1 - gamma) stayed unknown: "not
    defined at the same points: at gamma = 1", which the condition excludes. Without the
    condition the hole still counts."""
    t = sp.Symbol("t", integer=True)
    T = sp.Symbol("T", integer=True, positive=True)
    gamma = sp.Symbol("gamma", real=True)
    start = sp.Sum(gamma**t, (t, 0, T - 1))
    end = sp.Mul(1 - gamma**T, sp.Pow(1 - gamma, -1), evaluate=False)
    kinds = {}
    for condition in (sp.Ne(gamma, 1), ""):
        d = Derivation("geometric", start=start).step(end, rule="algebra", condition=condition)
        [step] = d.verify().steps
        kinds[condition != ""] = step.verdict
    # (SymPy does not sum it in closed form: the value is checked numerically, no hole)
    assert kinds[True].kind is VerdictKind.CHECKED_NUMERICALLY, kinds[True]
    assert kinds[False].kind is VerdictKind.UNKNOWN
    assert "not defined at the same points" in kinds[False].detail


def test_a_step_false_only_at_the_corner_of_a_two_sided_condition_is_refuted_there():
    """New user 21: x + y < 2 for x <= 1 and y <= 1, and Heaviside(x + y - 2, 1) = 0 there,
    fail only at x = y = 1; the first passed with accept="numeric", neither was refuted: the
    region's ends were sampled one at a time."""
    x, y = sp.symbols("x y", real=True)
    within = sp.And(x <= 1, y <= 1)
    strict = Derivation("corner", start=x + y).step(sp.Integer(2), rule="algebra", relation="<",
                                                   condition=within, accept="numeric")
    step_function = Derivation("corner", start=sp.Heaviside(x + y - 2, 1)).step(
        sp.Integer(0), rule="algebra", condition=within)
    for d in (strict, step_function):
        [step] = d.verify().steps
        assert step.verdict.kind is VerdictKind.REFUTED and "x = 1, y = 1" in step.verdict.detail


def test_conditions_in_two_symbols_that_exclude_each_other_do_not_carry_a_chain():
    """New user 22: max(r0, r1) - min(r0, r1) = r1 - min(r0, r1) for r1 > r0, then = 0 for
    r1 < r0: each step holds under its condition, the chain nowhere, and it passed."""
    r0, r1 = sp.symbols("r_0 r_1", real=True)
    d = Derivation("gap is zero", start=sp.Max(r1, r0) - sp.Min(r1, r0))
    d = d.step(r1 - sp.Min(r1, r0), rule="algebra", condition=r1 > r0)
    d = d.step(sp.Integer(0), rule="algebra", condition=r1 < r0)
    report = d.verify()
    assert not report.ok and "hold together nowhere" in report.steps[1].verdict.detail


def test_three_conditions_each_pair_possible_that_hold_together_nowhere_are_caught():
    """Hostile review 75: max(x, y) + max(y, z) + max(z, x) carried to x + y + z one max at a
    time, under x > y, y > z and z > x: any two may hold, all three nowhere (they add up to
    0 > 0), and the chain passed; with none strict they hold at x = y = z."""
    x, y, z = sp.symbols("x y z", real=True)

    def chain(first, second, last):
        d = Derivation("sum of maxima", start=sp.Max(x, y) + sp.Max(y, z) + sp.Max(z, x))
        d.step(x + sp.Max(y, z) + sp.Max(z, x), rule="algebra", condition=first)
        d.step(x + y + sp.Max(z, x), rule="algebra", condition=second)
        return d.step(x + y + z, rule="algebra", condition=last)

    report = chain(x > y, y > z, z > x).verify()
    assert not report.ok and "hold together nowhere" in report.steps[2].verdict.detail
    report = chain(x > y, y > z, z >= x).verify()
    assert not report.ok and "hold together nowhere" in report.steps[2].verdict.detail
    assert chain(x >= y, y >= z, z >= x).verify().ok  # (all hold at x = y = z)


@given(st.lists(st.tuples(st.integers(-3, 3), st.integers(-3, 3), st.integers(-3, 3),
                          st.booleans()), min_size=2, max_size=4))
@settings(max_examples=60, deadline=None)
def test_linear_conditions_said_to_hold_nowhere_have_no_common_point(rows):
    """What the linear program calls holding nowhere has no point on a grid that meets it,
    and a system a grid point meets is never called so."""
    from pgsym.verification import _no_common_point
    x, y = sp.symbols("x y", real=True)
    gaps = [(a * x + b * y + c, strict) for a, b, c, strict in rows]
    grid = [sp.Rational(i, 4) for i in range(-16, 17)]
    met = any(all(g.subs({x: u, y: v}) > 0 if strict else g.subs({x: u, y: v}) >= 0
                  for g, strict in gaps) for u in grid for v in grid)
    if met:
        assert not _no_common_point(gaps)


def test_conditions_in_two_symbols_that_hold_together_nowhere_are_caught():
    """Hostile review 62: x > y^2 + 1, then x < -y^2: each step held under its own condition
    and the chain published y^2 + 1 < -y^2 (the gaps add up to -2 y^2 - 1, not a number)."""
    x, y = sp.symbols("x y", real=True)
    d = Derivation("nowhere", start=y**2 + 1, parameters=(x,))
    d.step(x, rule="algebra", relation="<", condition=x > y**2 + 1)
    d.step(-y**2, rule="algebra", relation="<", condition=x < -y**2)
    report = d.verify(time_limit=10)
    assert not report.ok
    assert "hold together nowhere" in report.steps[1].verdict.detail
