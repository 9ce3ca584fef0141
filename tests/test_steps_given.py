"""Steps given to the constructor (``Derivation(..., steps=(Step(...), ...))``, or
``dataclasses.replace``) are checked as ``Derivation.step`` checks them: the verifier trusts
a step's relation, the rules it cites, its ``using=``, condition and ``accept=``.

Fourth hostile review: a Step spelled ``relation="=="`` (or ``"!="``, ``"≤"``) was read as
``>=`` by the verifier (x^2 + 5 "==" x^2 + 3 proved) and broke ``d.relation`` and the LaTeX
printer; a chain pointing both ways (<= then >=) passed when given to the constructor.
"""
import dataclasses

import pytest
import sympy as sp

import pgsym
from pgsym import Derivation, Equation, Step, StepError
from pgsym.report import VerdictKind

x = sp.Symbol("x", real=True)


def _given(start, *steps, **fields) -> Derivation:
    return Derivation("given", start=start, steps=tuple(steps), **fields)


def test_a_relation_spelled_double_equals_is_an_equality_and_a_false_one_is_refuted():
    d = _given(x**2 + 5, Step(x**2 + 3, rule="algebra", chain=("algebra",), relation="=="))
    assert d.steps[0].relation == "=" and d.relation == "="
    report = d.verify()
    assert not report.ok
    assert report.steps[0].verdict.kind is VerdictKind.REFUTED
    assert "=" in d.to_latex(report)


def test_a_true_equality_spelled_double_equals_still_passes():
    d = _given((x + 1)**2, Step(x**2 + 2 * x + 1, rule="algebra", relation="=="))
    assert d.verify().ok


@pytest.mark.parametrize("relation", ["!=", "~", "", None, "=>="])
def test_an_unknown_relation_is_refused(relation):
    with pytest.raises(StepError, match=r"step 1 \(algebra\): relation= must be one of"):
        _given(x**2 + 5, Step(x**2 + 3, rule="algebra", relation=relation))


def test_a_relation_spelled_le_sign_is_read_as_at_most():
    false = _given(x**2 + 5, Step(x**2 + 3, rule="algebra", relation="≤"))
    assert false.steps[0].relation == "<=" and false.relation == "<="
    assert false.verify().steps[0].verdict.kind is VerdictKind.REFUTED
    true = _given(x**2 + 3, Step(x**2 + 5, rule="algebra", relation="≤"))
    assert true.verify().ok


def test_a_chain_given_pointing_both_ways_is_refused():
    with pytest.raises(StepError, match=r"step 2 \(algebra\): the steps point both ways"):
        _given(x**2, Step(x**2 + 1, rule="algebra", relation="<="),
               Step(x**2 - 5, rule="algebra", relation=">="))


def test_a_chain_given_pointing_one_way_passes():
    d = _given(x**2, Step(x**2 + 1, rule="algebra", relation="<="),
               Step(x**2 + 5, rule="algebra", relation="<"))
    assert d.relation == "<"
    assert d.verify().ok


def test_a_relation_assigned_after_construction_is_not_read_as_another():
    """The constructor is not the only way in: ``d.steps`` can be assigned. verify checks
    the steps again ('==' read as '='), and the printer names a step assigned after that."""
    d = Derivation("assigned", start=x**2 + 5)
    d.steps = (Step(x**2 + 3, rule="algebra", chain=("algebra",), relation="=="),)
    report = d.verify()
    assert not report.ok and d.steps[0].relation == "="
    assert report.steps[0].verdict.kind is VerdictKind.REFUTED
    d.steps = (Step(x**2 + 3, rule="algebra", chain=("algebra",), relation="=="),)
    with pytest.raises(StepError, match=r"step 1 \(algebra\): the relation '=='"):
        d.to_latex(report)


def test_a_step_whose_name_is_not_what_it_cites_is_refused():
    with pytest.raises(StepError, match="named 'algebra' but cites 'exchange of sums'"):
        _given(x, Step(x, rule="algebra", chain=("exchange of sums",)))


def test_a_step_citing_two_things_is_refused():
    rule = pgsym.Rule("mine", "a rule of mine", check=lambda before, after, context: None)
    with pytest.raises(StepError, match="cites one thing"):
        _given(x, Step(x + 0, rule="mine", chain=("algebra",), custom_rule=rule))


def test_an_unknown_rule_given_is_refused():
    with pytest.raises(StepError, match="unknown rule 'magic'"):
        _given(x, Step(2 * x, rule="magic"))


@pytest.mark.parametrize("fields, message", [
    (dict(accept="always"), "accept= may only be"),
    (dict(condition=sp.true), "condition= must be"),
    (dict(condition=3), "condition= must be"),
    (dict(using=((x, "y"),)), "`using` must map SymPy objects"),
    (dict(using=(x,)), "`using` must be pairs"),
])
def test_the_other_fields_of_a_given_step_are_checked(fields, message):
    with pytest.raises(StepError, match=message):
        _given(x**2, Step(x * x, rule="algebra", **fields))


def test_a_given_lemma_that_is_an_inequality_is_refused():
    lemma = Derivation("at most", start=x**2).step(x**2 + 1, rule="algebra", relation="<=")
    with pytest.raises(StepError, match="only equalities can be cited"):
        _given(x**2, Step(x**2 + 1, rule="at most", lemma=lemma))


def test_a_given_step_calling_a_defined_function_outside_its_assumptions_is_refused():
    """The assumptions of a definition's variables are checked in the steps, as in step()."""
    u = sp.Symbol("u", positive=True)
    f = sp.Function("f")
    with pytest.raises(StepError, match="u is declared positive"):
        _given(f(1), Step(f(-x**2 - 1), rule="algebra"), definitions={f: sp.Lambda(u, sp.log(u))})


def test_steps_built_by_step_come_back_unchanged_through_replace():
    """Aliases, several rules in order, lemmas, conditions: a derivation built with step()
    is rebuilt as it was by dataclasses.replace (which the mutation tests use)."""
    p = sp.Function("p", positive=True)
    lemma = Derivation("square", start=(x + 1)**2).step(x**2 + 2 * x + 1, rule="multiply out")
    d = Derivation("built", start=sp.log(p(x) / p(x + 1)) + (x + 1)**2)
    d.step(sp.log(p(x)) - sp.log(p(x + 1)) + (x + 1)**2, rule="log of a quotient")
    d.step(sp.log(p(x)) - sp.log(p(x + 1)) + x**2 + 2 * x + 1, rule=lemma)
    d.step(sp.log(p(x)) - sp.log(p(x + 1)) + x**2 + 2 * x + 2, rule=("algebra", "Algebra"),
           condition="nothing  needed", relation="<=")
    again = dataclasses.replace(d, steps=d.steps)
    assert again.steps == d.steps


def test_steps_assigned_after_building_are_checked_when_verified():
    """``d.steps = ...`` skips the constructor: verify checks the steps again, of the
    derivation and of the lemmas it cites."""
    rising = Derivation("both ways", start=x**2).step(x**2 + 1, rule="algebra", relation="<=")
    falling = Derivation("other", start=x**2 + 1).step(x**2 - 5, rule="algebra", relation=">=")
    rising.steps = rising.steps + falling.steps
    with pytest.raises(StepError, match="point both ways"):
        rising.verify()
    lemma = Derivation("lemma", start=2 * x).step(x + x, rule="algebra")
    citing = Derivation("cites it", start=2 * x).step(x + x, rule=lemma)
    lemma.steps = (Step(x + x, rule="algebra", chain=("exchange of sums",)),)
    with pytest.raises(StepError, match="named 'algebra' but cites 'exchange of sums'"):
        citing.verify()


def test_given_equations_that_contradict_each_other_do_not_carry_a_chain():
    """Hostile review 51: f(x + 1) = f(x) + 1 and f(x + 2) = f(x), each satisfiable, chained
    f(x) to f(x) + 2 with every step proved under the assumption; the last step citing one
    is now unknown. A consistent chain on the same equation still passes."""
    x = sp.Symbol("x", real=True)
    f = sp.Function("f", real=True)
    up = Equation("step up", f(x + 1), f(x) + 1, variables=(x,))
    period = Equation("period two", f(x + 2), f(x), variables=(x,))
    d = Derivation("zero is two", start=f(x), functions=(f,))
    d = d.step(f(x + 2), rule=period).step(f(x + 1) + 1, rule=up)
    d = d.step(sp.Add(sp.Add(f(x), 1, evaluate=False), 1, evaluate=False), rule=up)
    d = d.step(f(x) + 2, rule="algebra")
    report = d.verify()
    assert not report.ok and report.steps[2].verdict.kind is VerdictKind.UNKNOWN
    assert "contradict each other" in report.steps[2].verdict.detail
    fine = Derivation("two up", start=f(x + 2), functions=(f,)).step(f(x + 1) + 1, rule=up)
    fine = fine.step(sp.Add(sp.Add(f(x), 1, evaluate=False), 1, evaluate=False), rule=up)
    assert fine.verify().ok


def test_contradicting_equations_are_seen_behind_a_relation_or_a_free_factor():
    """Hostile review 52: f(1) = g(1) = f(1) - 1 <= f(1) - 1 passed (a last step <= turned
    the check off), and so did y f(1) = y g(1) = y (f(1) - 1), whose ends differ by y: not
    never 0, but not 0 at y = 1 for any f."""
    x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
    f, g = sp.Function("f", real=True), sp.Function("g", real=True)
    same = Equation("E2", f(x), g(x), variables=(x,))
    less = Equation("E1", g(x), f(x) - 1, variables=(x,))
    chained = Derivation("zero is minus one", start=f(1), functions=(f, g))
    chained = chained.step(g(1), rule=same).step(f(1) - 1, rule=less)
    chained = chained.step(f(1) - 1 + 0 * y, rule="algebra", relation="<=")
    factor = Derivation("y is zero", start=y * f(1), functions=(f, g))
    factor = factor.step(y * g(1), rule=same).step(y * (f(1) - 1), rule=less)
    for d in (chained, factor):
        report = d.verify()
        assert not report.ok and "contradict each other" in report.steps[1].verdict.detail


def test_contradicting_equations_are_seen_through_assumptions_ranges_and_conditions():
    """Hostile review 53: three chains on equations that contradict each other passed: ends
    differing by a positive function g(x), by 2 n for n ranged in 1..5, and with a condition
    in words on a step between the equation steps."""
    x = sp.Symbol("x", real=True)
    n = sp.Symbol("n", integer=True)
    f, g = sp.Function("f", real=True), sp.Function("g", positive=True)
    E1 = Equation("E1", f(x + 1), f(x) + g(x), variables=(x,))
    E2 = Equation("E2", f(x + 1), f(x), variables=(x,))
    positive = Derivation("A", start=f(x + 1), functions=(g,))
    positive = positive.step(f(x) + g(x), rule=E1).step(f(x + 1) + g(x), rule=E2)
    up = Equation("up", f(x + 1), f(x) + n, variables=(x,))
    period = Equation("period", f(x + 2), f(x), variables=(x,))
    ranged = Derivation("B", start=f(x), ranges={n: (1, 5)})
    ranged = ranged.step(f(x + 2), rule=period).step(f(x + 1) + n, rule=up)
    ranged = ranged.step(sp.Add(sp.Add(f(x), n, evaluate=False), n, evaluate=False), rule=up)
    one = Equation("one", f(x + 1), f(x) + 1, variables=(x,))
    worded = Derivation("C", start=f(x)).step(f(x + 2), rule=period)
    worded = worded.step(sp.Mul(1, f(x + 2), evaluate=False), rule="algebra",
                         condition="$f$ is continuous")
    worded = worded.step(f(x + 1) + 1, rule=one)
    worded = worded.step(sp.Add(sp.Add(f(x), 1, evaluate=False), 1, evaluate=False), rule=one)
    for d in (positive, ranged, worded):
        report = d.verify()
        assert not report.ok, d.name
        assert any("contradict each other" in s.verdict.detail for s in report.steps), d.name


def test_contradicting_equations_are_seen_through_lemmas_and_a_function_factor():
    """Hostile review 54: lemmas resting on f(x + 2) = f(x) and on f(x + 1) = f(x) + 1
    chained f(x) to f(x) + 2, and h(x) f(x) was chained to h(x) (f(x) + 2): both passed."""
    x = sp.Symbol("x", real=True)
    f, h = sp.Function("f", real=True), sp.Function("h", real=True)
    up = Equation("up", f(x + 1), f(x) + 1, variables=(x,))
    period = Equation("period", f(x + 2), f(x), variables=(x,))
    A = Derivation("A", start=f(x), functions=(f,)).step(f(x + 2), rule=period)
    B = Derivation("B", start=f(x + 2), functions=(f,)).step(f(x + 1) + 1, rule=up)
    B = B.step(sp.Add(sp.Add(f(x), 1, evaluate=False), 1, evaluate=False), rule=up)
    lemmas = Derivation("via lemmas", start=f(x), functions=(f,)).step(f(x + 2), rule=A)
    lemmas = lemmas.step(sp.Add(sp.Add(f(x), 1, evaluate=False), 1, evaluate=False), rule=B)
    factor = Derivation("factor", start=h(x) * f(x), functions=(f, h))
    factor = factor.step(h(x) * f(x + 2), rule=period).step(h(x) * (f(x + 1) + 1), rule=up)
    factor = factor.step(h(x) * sp.Add(sp.Add(f(x), 1, evaluate=False), 1, evaluate=False),
                         rule=up)
    for d in (lemmas, factor):
        report = d.verify()
        assert not report.ok, d.name
        assert any("contradict each other" in s.verdict.detail for s in report.steps), d.name


def test_contradicting_equations_are_seen_across_a_relation_step():
    """Hostile review 55: a step <= between the equation steps switched the check off, and
    f(x + 2) <= y**2 + f(x + 2) - 2 passed (0 <= -2 at y = 0); consistent equations across
    such a step stay proved."""
    x, y = sp.symbols("x y", real=True)
    f = sp.Function("f", real=True)
    up = Equation("up", f(x + 1), f(x) + 1, variables=(x,))
    period = Equation("period", f(x + 2), f(x), variables=(x,))

    def add(*terms):
        return sp.Add(*terms, evaluate=False)

    chain = Derivation("behind <=", start=f(x + 2), functions=(f,), parameters=(y,))
    chain = chain.step(f(x), rule=period).step(f(x) + y**2, rule="algebra", relation="<=")
    chain = chain.step(add(y**2, add(f(x), 1), -1), rule="algebra")
    chain = chain.step(add(y**2, f(x + 1), -1), rule=up)
    chain = chain.step(add(y**2, add(f(x + 1), 1), -2), rule="algebra")
    chain = chain.step(add(y**2, f(x + 2), -2), rule=up)
    report = chain.verify()
    assert not report.ok
    assert "contradict each other" in report.steps[-1].verdict.detail
    assert "y = 0" in report.steps[-1].verdict.detail
    consistent = Derivation("consistent", start=f(x + 1), functions=(f,), parameters=(y,))
    consistent = consistent.step(f(x) + 1, rule=up).step(f(x) + 1 + y**2, rule="algebra",
                                                          relation="<=")
    consistent = consistent.step(f(x + 1) + y**2, rule=up)
    assert consistent.verify().ok


def test_contradicting_equations_are_seen_where_the_difference_switches():
    """Hostile review 56: f(x + 1) = f(x) + delta(x, 7) and f(x + 1) = f(x) contradict each
    other at x = 7 only; the ends' difference was 0 at every point tried, and 0 = delta(x, 7)
    for every integer x passed."""
    x = sp.Symbol("x", integer=True)
    f = sp.Function("f", real=True)
    jump = Equation("jump at 7", f(x + 1), f(x) + sp.KroneckerDelta(x, 7), variables=(x,))
    constant = Equation("constant", f(x + 1), f(x), variables=(x,))
    d = Derivation("zero is a delta", start=sp.Add(f(x + 1), -f(x + 1), evaluate=False),
                   functions=(f,))
    d = d.step(sp.Add(f(x) + sp.KroneckerDelta(x, 7), -f(x + 1), evaluate=False), rule=jump)
    d = d.step(sp.Add(f(x) + sp.KroneckerDelta(x, 7), -f(x), evaluate=False), rule=constant)
    report = d.verify()
    assert not report.ok
    assert "x = 7" in report.steps[-1].verdict.detail


def test_equations_that_hold_for_no_function_through_fixed_points_or_together_are_seen():
    """Hostile review 57: f(x) = f(x**3) + 1 holds for no f (at x = 0 it says f(0) = f(0)
    + 1), nor f(x) = f(exp(x) - 1) + 1; and f(x) = g(x) beside f(x) = g(x) + 1, cited at
    different points, proved f(0) + f(1) = g(0) + g(1) + 1 under them."""
    x = sp.Symbol("x", real=True)
    f, g = sp.Function("f", real=True), sp.Function("g", real=True)
    for image, at in ((x**3, 2), (sp.exp(x) - 1, 1)):
        E = Equation("E", f(x), f(image) + 1, variables=(x,))
        d = Derivation("fixed point", start=f(sp.Integer(at)), functions=(f,))
        [step] = d.step(f(image.subs(x, at)) + 1, rule=E).verify().steps
        assert step.verdict.kind is VerdictKind.REFUTED, (image, step.verdict)
    same = Equation("same", f(x), g(x), variables=(x,))
    apart = Equation("apart", f(x), g(x) + 1, variables=(x,))
    d = Derivation("two equations", start=f(0) + f(1), functions=(f, g))
    d = d.step(g(0) + f(1), rule=same).step(g(0) + g(1) + 1, rule=apart)
    report = d.verify()
    assert not report.ok and "contradict each other" in report.steps[-1].verdict.detail
    # (equations over values apart do not clash: x > 0 beside y < 0)
    p, q = sp.Symbol("p", positive=True), sp.Symbol("q", negative=True)
    right = Equation("right", f(p), g(p), variables=(p,))
    left = Equation("left", f(q), g(q) + 1, variables=(q,))
    d = Derivation("halves", start=f(1) + f(-1), functions=(f, g))
    assert d.step(g(1) + f(-1), rule=right).step(g(1) + g(-1) + 1, rule=left).verify().ok


def test_instances_of_a_given_equation_that_hold_for_no_values_are_seen_inside_any_ends():
    """Hostile review 70: f(x) = f(-1/x) + 1 (x != 0), used at x = 1 and at x = -1, says
    f(1) = f(-1) + 1 and f(-1) = f(1) + 1; inside a square or an undefined g the chain's ends
    (f(1)^2 and (f(1) + 2)^2) may be equal, and every step was proved under it. Consistent
    instances (f(x + 1) = f(x) + 1 at x = 0 and x = 1) stay proved."""
    nonzero = sp.Symbol("x", real=True, nonzero=True)
    f, g = sp.Function("f", real=True), sp.Function("g", real=True)
    inversion = Equation("inversion law", f(nonzero), f(-1 / nonzero) + 1,
                         variables=(nonzero,))
    minus_one_over_minus_one = sp.Mul(-1, sp.Pow(-1, -1, evaluate=False), evaluate=False)
    for outer in (lambda e: e**2, g):
        d = Derivation("inversion", start=outer(f(1)), functions=(f, g))
        d = d.step(outer(f(-1) + 1), rule=inversion)  # (at x = 1)
        d = d.step(outer(sp.Add(sp.Add(f(minus_one_over_minus_one), 1, evaluate=False), 1,
                                evaluate=False)), rule=inversion)  # (at x = -1)
        d = d.step(outer(f(1) + 2), rule="algebra")
        report = d.verify()
        assert not report.ok
        assert report.steps[1].verdict.kind is VerdictKind.UNKNOWN
        assert "hold together for no values" in report.steps[1].verdict.detail

    up = Equation("up", f(x + 1), f(x) + 1, variables=(x,))
    d = Derivation("up twice", start=f(2)**2, functions=(f,))
    d = d.step((f(1) + 1)**2, rule=up).step(
        sp.Add(sp.Add(f(0), 1, evaluate=False), 1, evaluate=False)**2, rule=up)
    report = d.verify()
    assert report.ok, report
    assert [s.verdict.kind for s in report.steps] == [VerdictKind.PROVED_ASSUMING] * 2


def test_instances_that_hold_together_for_complex_values_only_do_not_chain_real_functions():
    """Hostile review 74: f(x) = g(x)^2 + 1 and g(x) = f(x)^2 + 1 hold together only where
    f(x) and g(x) are complex roots of a^2 - a + 1 (their Groebner basis is not 1), and they
    chained the real f(x) to a value above f(x), every step proved under them. Where the
    values may be complex (f, g declared without assumptions), or where a real solution
    exists (f = g^2 - 1, g = f^2 - 1: f = g = (1 + sqrt 5)/2), nothing is said."""
    x = sp.Symbol("x", real=True)

    def chain(assumptions: dict, shift: int):
        f, g = sp.Function("f", **assumptions), sp.Function("g", **assumptions)
        a = f(x)
        first = Equation("f from g", f(x), g(x)**2 + shift, variables=(x,))
        second = Equation("g from f", g(x), f(x)**2 + shift, variables=(x,))
        d = Derivation("f from itself", start=a, functions=(f, g))
        d = d.step(g(x)**2 + shift, rule=first).step((a**2 + shift)**2 + shift, rule=second)
        return d.verify()

    report = chain({"real": True}, 1)
    assert not report.ok
    assert report.steps[1].verdict.kind is VerdictKind.UNKNOWN, report
    assert "hold together for no real values" in report.steps[1].verdict.detail
    for assumptions, shift in (({}, 1), ({"real": True}, -1)):
        report = chain(assumptions, shift)
        assert report.ok, (assumptions, shift, report)


def test_a_step_whose_given_equation_is_not_found_is_unknown_not_refuted():
    """New user 36: a true step citing an equation taken as given, written so that the rule
    check found no instance of it (a Subs of the derivative), was "refuted" with stand-ins
    for Gamma and psi that do not meet the equation. It is unknown, saying why; with the
    instance found it passes, and a step not citing the equation is still refuted."""
    a, b, u = sp.symbols("a b u", positive=True)
    gamma_, psi = sp.Function("Gamma", positive=True), sp.Function("psi", real=True)
    digamma = Equation("digamma", sp.Derivative(gamma_(u), u) / gamma_(u), psi(u),
                       variables=(u,))
    hidden = Derivation("hidden", start=sp.Subs(sp.Derivative(gamma_(u), u), u, a + b)
                        / gamma_(a + b)).step(psi(a + b), rule=digamma)
    [step] = hidden.verify().steps
    assert step.verdict.kind is VerdictKind.UNKNOWN and "no instance" in step.verdict.detail
    found = Derivation("found", start=sp.Derivative(gamma_(a), a) / gamma_(a)) \
        .step(psi(a), rule=digamma)
    assert found.verify().ok
    plain = Derivation("plain", start=sp.Derivative(gamma_(a), a) / gamma_(a),
                       functions=(psi,)).step(psi(a), rule="algebra")
    assert plain.verify().steps[0].verdict.kind is VerdictKind.REFUTED
