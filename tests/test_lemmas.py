"""Lemmas: a verified derivation cited as a rule, and equations taken as given."""
import pytest
import sympy as sp

import pgsym
from pgsym import Derivation, Equation, Justification, StepError, VerdictKind

theta = sp.Symbol("theta", real=True)
t = sp.Symbol("t", integer=True)
T = sp.Symbol("T", integer=True, positive=True)
H = sp.Symbol("H", integer=True, positive=True)
pi = sp.Function("pi", positive=True)


def _log_of_a_product() -> Derivation:
    lemma = Derivation("log of a product of probabilities",
                       start=sp.log(sp.Product(pi(t, theta), (t, 1, T))))
    return lemma.step(sp.Sum(sp.log(pi(t, theta)), (t, 1, T)), rule="log of a product")


def test_a_lemma_for_a_symbolic_size_instantiates_at_another_size_and_proves_the_step():
    lemma = _log_of_a_product()
    d = Derivation("uses the lemma", start=sp.Derivative(sp.log(sp.Product(pi(t, theta), (t, 1, H + 1))), theta))
    d.step(sp.Derivative(sp.Sum(sp.log(pi(t, theta)), (t, 1, H + 1)), theta), rule=lemma)
    report = d.verify()
    step = report.steps[0]
    assert report.ok and step.verdict.kind is VerdictKind.PROVED
    assert step.justification.status is Justification.CONFIRMED
    assert "log of a product of probabilities" in step.verdict.detail
    assert d.steps[0].rule == "log of a product of probabilities"  # cited by name
    assert "log of a product of probabilities" in d.to_latex(report)


def test_a_lemma_is_instantiated_under_its_binders_with_their_ranges():
    k = sp.Symbol("k", integer=True)
    lemma = _log_of_a_product()
    inner = sp.log(sp.Product(pi(t, theta), (t, 1, k)))
    d = Derivation("inside a sum", start=sp.Sum(inner, (k, 1, H)))
    d.step(sp.Sum(sp.Sum(sp.log(pi(t, theta)), (t, 1, k)), (k, 1, H)), rule=lemma)
    assert d.verify().ok  # k runs over 1..H, so it meets T's assumption (a positive integer)
    outside = Derivation("outside T's assumptions", start=sp.Sum(inner, (k, -3, H)))
    outside.step(sp.Sum(sp.Sum(sp.log(pi(t, theta)), (t, 1, k)), (k, -3, H)), rule=lemma)
    assert not outside.verify().ok


def test_a_lemma_that_is_not_verified_cannot_be_cited():
    x = sp.Symbol("x", positive=True)
    false_lemma = Derivation("false", start=sp.log(1 + x)).step(sp.log(x), rule="algebra")
    d = Derivation("rests on it", start=sp.log(1 + 2 * x)).step(sp.log(2 * x), rule=false_lemma)
    step = d.verify().steps[0]
    assert not step.ok and "the lemma 'false' is not proved" in step.justification.detail


def test_a_step_citing_an_unproved_lemma_that_does_not_fit_says_the_lemma_is_not_proved():
    # the step holds (so its value is proved) but is no instance of the wrong lemma: the
    # message said only that the lemma's other side does not give the step
    x = sp.Symbol("x", positive=True)
    false_lemma = Derivation("false", start=sp.log(1 + x)).step(sp.log(x), rule="algebra")
    d = Derivation("rests on it", start=sp.sin(x)**2 + sp.cos(x)**2).step(sp.Integer(1),
                                                                          rule=false_lemma)
    report = d.verify()
    [step] = report.steps
    assert not report.ok and step.justification.status is Justification.MISMATCH
    assert "the lemma 'false' is not proved" in step.justification.detail


def test_using_gives_the_instance_of_a_lemmas_functions_and_checks_their_assumptions():
    x = sp.Symbol("x", real=True)
    q = sp.Function("q", positive=True)
    f = sp.Function("f")
    lemma = Derivation("log of exp", start=sp.log(sp.exp(q(x)))).step(q(x), rule="algebra")
    g = sp.Function("g", positive=True)
    d = Derivation("renamed", start=sp.log(sp.exp(g(theta)))).step(g(theta), rule=lemma, using={q: g})
    assert d.verify().ok
    bad = Derivation("not positive", start=sp.log(sp.exp(f(theta)))).step(f(theta), rule=lemma,
                                                                          using={q: f})
    step = bad.verify().steps[0]
    assert not step.ok and "q is declared" in step.justification.detail


def test_a_given_equation_proves_a_step_under_its_stated_assumption():
    s = sp.Symbol("s", integer=True)
    gamma = sp.Symbol("gamma", positive=True)
    V, r = sp.Function("V"), sp.Function("r")
    bellman = Equation("Bellman equation", V(s), r(s) + gamma * V(s + 1))
    d = Derivation("unroll once", start=V(0), parameters=(gamma,))
    d.step(r(0) + gamma * V(1), rule=bellman)
    d.step(r(0) + gamma * (r(1) + gamma * V(2)), rule=bellman)
    report = d.verify()
    assert report.ok
    assert all(s.verdict.kind is VerdictKind.PROVED_ASSUMING for s in report.steps)
    assert "Bellman equation" in report.steps[0].verdict.assumption
    wrong = Derivation("misapplied", start=V(0), parameters=(gamma,))
    wrong.step(r(0) + gamma * V(2), rule=bellman)
    assert not wrong.verify().ok


def test_lemmas_citing_each_other_in_a_circle_are_refused():
    x = sp.Symbol("x", positive=True)
    first = Derivation("first", start=x + 1).step(1 + x, rule="associativity")
    second = Derivation("second", start=x + 2).step(2 + x, rule=first)
    first.step(x + 1, rule=second)
    with pytest.raises(pgsym.DerivationError, match="circle"):
        first.verify()


def test_a_lemma_must_be_an_equality_with_steps():
    x = sp.Symbol("x", positive=True)
    with pytest.raises(StepError, match="no steps"):
        Derivation("d", start=x).step(x + 0, rule=Derivation("empty", start=x))
    inequality = Derivation("ineq", start=x).step(x + 1, rule="algebra", relation="<=")
    with pytest.raises(StepError, match="inequality"):
        Derivation("d", start=x).step(x + 1, rule=inequality)


# -- instances under sums whose ranges decide them ---------------------------------------
_n = sp.Symbol("n", integer=True, positive=True)
_s, _x = sp.symbols("s x", integer=True)
_f, _mu = sp.Function("f", real=True), sp.Function("mu", real=True)


def _min_below_n() -> Derivation:
    """A lemma that holds only for s in 0..n-1: min(s, n - 1) = s."""
    lemma = Derivation("the smaller of s and n - 1", start=sp.Min(_s, _n - 1), ranges={_s: (0, _n - 1)})
    return lemma.step(_s, rule="algebra")


def test_a_lemma_with_a_range_is_instantiated_at_the_variable_of_a_sum_that_runs_within_it():
    lemma = _min_below_n()
    d = Derivation("inside a sum over the states", start=sp.Sum(_mu(_x) * sp.Min(_x, _n - 1), (_x, 0, _n - 1)))
    d.step(sp.Sum(_mu(_x) * _x, (_x, 0, _n - 1)), rule=lemma)
    assert d.verify().ok


def test_a_lemma_with_a_range_is_refused_at_the_variable_of_a_sum_that_runs_beyond_it():
    lemma = _min_below_n()
    d = Derivation("x reaches n", start=sp.Sum(_mu(_x) * sp.Min(_x, _n - 1), (_x, 0, _n)))
    d.step(sp.Sum(_mu(_x) * _x, (_x, 0, _n)), rule=lemma)
    report = d.verify()
    assert not report.ok
    assert report.steps[0].justification.status is Justification.MISMATCH


def test_a_node_in_two_sums_is_replaced_only_if_the_lemma_holds_in_both():
    lemma = _min_below_n()
    start = sp.Sum(_mu(_x) * sp.Min(_x, _n - 1), (_x, 0, _n - 1)) + sp.Sum(sp.Min(_x, _n - 1), (_x, 0, _n))
    d = Derivation("the second sum reaches n", start=start)
    d.step(sp.Sum(_mu(_x) * _x, (_x, 0, _n - 1)) + sp.Sum(_x, (_x, 0, _n)), rule=lemma)
    report = d.verify()
    assert not report.ok
    assert report.steps[0].justification.status is Justification.MISMATCH


def _resting_on_a_given_equation() -> tuple[Derivation, Equation]:
    V, r = sp.Function("V", real=True), sp.Function("r", real=True)
    gamma = sp.Symbol("gamma", positive=True)
    k = sp.Symbol("k", integer=True)
    bellman = Equation("Bellman equation", V(k), r(k) + gamma * V(k + 1), variables=(k,))
    lemma = Derivation("two steps of the Bellman equation", start=V(k), parameters=(gamma,))
    lemma.step(r(k) + gamma * V(k + 1), rule=bellman)
    lemma.step(r(k) + gamma * (r(k + 1) + gamma * V(k + 2)), rule=bellman)
    return lemma, bellman


def test_a_lemma_resting_on_a_given_equation_proves_its_instances_under_that_assumption():
    lemma, _ = _resting_on_a_given_equation()
    V, r = sp.Function("V", real=True), sp.Function("r", real=True)
    gamma = sp.Symbol("gamma", positive=True)
    d = Derivation("unroll twice from 3", start=V(3) + 1, parameters=(gamma,))
    d.step(r(3) + gamma * (r(4) + gamma * V(5)) + 1, rule=lemma)
    report = d.verify()
    assert report.ok  # stand-ins for V and r do not satisfy the Bellman equation: not sampled
    assert report.steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING
    assert "Bellman equation" in report.steps[0].verdict.assumption


def test_a_misapplied_lemma_resting_on_a_given_equation_still_fails():
    lemma, _ = _resting_on_a_given_equation()
    V, r = sp.Function("V", real=True), sp.Function("r", real=True)
    gamma = sp.Symbol("gamma", positive=True)
    d = Derivation("one gamma too few", start=V(3), parameters=(gamma,))
    d.step(r(3) + (r(4) + gamma * V(5)), rule=lemma)
    assert not d.verify().ok


# -- the hostile review of lemmas resting on given equations (each was accepted once) -------
_b = sp.Symbol("b", integer=True)
_h = sp.Function("h", real=True)
_f_equals_h = Equation("f equals h", _f(_s), _h(_s), variables=(_s,))


def _delta_lemma() -> Derivation:
    """f(s) sum_b delta(s, b) = h(s) for s in 0..n-1, resting on the given f = h."""
    delta_sum = sp.Sum(sp.KroneckerDelta(_s, _b), (_b, 0, _n - 1))
    lemma = Derivation("f picks the term at s", start=_f(_s) * delta_sum, ranges={_s: (0, _n - 1)})
    lemma.step(_h(_s) * delta_sum, rule=_f_equals_h)
    return lemma.step(_h(_s), rule="algebra")


def test_a_ranged_lemma_is_refused_under_a_sum_that_runs_backwards_out_of_its_range():
    delta_sum = sp.Sum(sp.KroneckerDelta(_s, _b), (_b, 0, _n - 1))
    d = Derivation("reversed", start=sp.Sum(_f(_s) * delta_sum, (_s, _n + 3, -5)))
    d.step(sp.Sum(_h(_s), (_s, _n + 3, -5)), rule=_delta_lemma())  # false at n = 1, f = h = 1
    assert not d.verify().ok


def test_using_cannot_rename_the_bound_of_a_lemmas_range_without_the_range():
    m_ = sp.Symbol("m", integer=True, positive=True)
    start = _f(_n - 1) * sp.Sum(sp.KroneckerDelta(_n - 1, _b), (_b, 0, m_ - 1))
    d = Derivation("n to m", start=start)
    d.step(_h(_n - 1), rule=_delta_lemma(), using={_n: m_})  # false at n = 3, m = 1
    assert not d.verify().ok


def test_a_given_equation_holds_for_its_own_functions_only():
    g = sp.Function("g", real=True)
    vanishes = Equation("f vanishes", _f(_x), sp.Integer(0), variables=(_x,))
    direct = Derivation("f to g", start=g(_x) + 1, functions=(_f,))
    direct.step(sp.Integer(1), rule=vanishes, using={_f: g})
    assert not direct.verify().ok
    lemma = Derivation("f plus one", start=_f(_x) + 1).step(sp.Integer(1), rule=vanishes)
    through = Derivation("through a lemma", start=g(_x) + 1)
    through.step(sp.Integer(1), rule=lemma, using={_f: g})
    assert not through.verify().ok


def test_a_given_equation_holds_at_its_fixed_symbols_only():
    c = sp.Symbol("c", real=True)
    constant = Equation("f is c", _f(_x), c, variables=(_x,))
    moved = Derivation("c to 7", start=_f(_x) + c)
    moved.step(sp.Integer(7) + c, rule=constant, using={c: sp.Integer(7)})
    assert not moved.verify().ok
    scaled = Equation("f is c h", _f(_x), c * _h(_x), variables=(_x,))
    lemma = Derivation("f plus c", start=_f(_x) + c).step(c * _h(_x) + c, rule=scaled)
    instance = Derivation("c matched to 3", start=_f(_x) + 3)
    instance.step(3 * _h(_x) + 3, rule=lemma)
    assert not instance.verify().ok


def test_a_given_equation_is_not_substituted_under_a_derivative_by_its_fixed_symbol():
    gamma = sp.Symbol("gamma", positive=True)
    V, r = sp.Function("V", real=True), sp.Function("r", real=True)
    bellman = Equation("Bellman equation", V(_s), r(_s) + gamma * V(_s + 1), variables=(_s,))
    d = Derivation("d/dgamma", start=sp.Derivative(V(_s), gamma), parameters=(gamma,))
    d.step(sp.Derivative(r(_s) + gamma * V(_s + 1), gamma), rule=bellman)
    assert not d.verify().ok
    varying = Equation("Bellman equation for every gamma", V(_s), r(_s) + gamma * V(_s + 1),
                       variables=(_s, gamma))
    d = Derivation("d/dgamma, gamma a variable", start=sp.Derivative(V(_s), gamma),
                   parameters=(gamma,))
    d.step(sp.Derivative(r(_s) + gamma * V(_s + 1), gamma), rule=varying)
    assert d.verify().ok


def test_lemmas_that_differ_only_in_their_functions_assumptions_are_verified_apart():
    x_, y_, v_ = sp.symbols("x y v")
    k = sp.Function("k")
    identity = Equation("k is the identity", k(v_), v_, variables=(v_,))

    def split(f):
        lemma = Derivation("split the log", start=k(sp.log(f(x_) * f(y_))))
        lemma.step(k(sp.log(f(x_)) + sp.log(f(y_))), rule="log of a product")
        return lemma.step(sp.log(f(x_)) + sp.log(f(y_)), rule=identity)

    positive, unassumed = sp.Function("f", positive=True), sp.Function("f")
    first = Derivation("uses the positive one", start=k(sp.log(positive(x_) * positive(y_))))
    first.step(sp.log(positive(x_)) + sp.log(positive(y_)), rule=split(positive))
    assert first.verify().ok
    second = Derivation("uses the other", start=k(sp.log(unassumed(x_) * unassumed(y_))))
    second.step(sp.log(unassumed(x_)) + sp.log(unassumed(y_)), rule=split(unassumed))
    assert not second.verify(time_limit=5).ok  # false at f = -1: log 1 = 0, not 2 pi i


def test_a_ranged_lemma_is_instantiated_at_a_symbol_the_citing_derivation_ranges_within():
    lemma = _min_below_n()
    inside = Derivation("x in 0..n-1", start=sp.Min(_x, _n - 1), ranges={_x: (0, _n - 1)})
    inside.step(_x, rule=lemma)
    assert inside.verify().ok
    beyond = Derivation("x in 0..n", start=sp.Min(_x, _n - 1) + 1, ranges={_x: (0, _n)})
    beyond.step(_x + 1, rule=lemma)
    report = beyond.verify()
    assert not report.ok and report.steps[0].justification.status is Justification.MISMATCH


# -- the second hostile review (each was accepted once) -------------------------------------
def test_a_derivative_by_an_integer_symbol_is_not_proved():
    n_ = sp.Symbol("n", integer=True)
    u = sp.Symbol("u", real=True)
    f = sp.Function("f", real=True)
    d = Derivation("f'(n) = 0", start=sp.Derivative(f(n_), n_),
                   definitions={f: sp.Lambda(u, sp.sin(sp.pi * u))})
    d.step(sp.Integer(0), rule="algebra")  # sin(pi n) is 0 at integers, f'(0) = pi
    assert not d.verify().ok
    zero_at_integers = Equation("f vanishes at integers", _f(_s), sp.Integer(0), variables=(_s,))
    through = Derivation("d/ds through it", start=sp.Derivative(_f(_s), _s))
    through.step(sp.Derivative(sp.Integer(0), _s, evaluate=False), rule=zero_at_integers)
    assert not through.verify().ok


def test_an_equation_fixing_an_indexed_entry_is_not_used_under_a_derivative_by_that_array():
    theta_ = sp.IndexedBase("theta")
    j = sp.Symbol("j", integer=True)
    squared = Equation("theta[0] squared is one", theta_[0]**2, sp.Integer(1), variables=())
    for wrt in (theta_[0], theta_[j]):
        d = Derivation("d/dtheta", start=sp.Derivative(theta_[0]**2, wrt))
        d.step(sp.Derivative(sp.Integer(1), wrt, evaluate=False), rule=squared)
        assert not d.verify().ok


def test_an_equations_fixed_symbol_is_not_varied_through_a_definition():
    c, y = sp.symbols("c y", real=True)
    squared = Equation("c squared is one", c**2, sp.Integer(1), variables=())
    d = Derivation("d/dy with y := c", start=sp.Derivative(c**2, y), definitions={y: c})
    d.step(sp.Derivative(sp.Integer(1), y, evaluate=False), rule=squared)
    assert not d.verify().ok


def test_using_may_not_bring_in_a_derivative_by_a_fixed_symbol():
    y, u, c = sp.symbols("y u c", real=True)
    g = sp.Function("g")
    constant = Equation("f is the constant c", _f(_x), c, variables=(_x,))
    lemma = Derivation("g of f", start=g(_f(y))).step(g(c), rule=constant)
    d = Derivation("d/dc through the lemma", start=sp.Derivative(_f(y), c))
    d.step(sp.Derivative(c, c, evaluate=False), rule=lemma,
           using={g: sp.Lambda(u, sp.Derivative(u, c))})
    assert not d.verify().ok


# -- the second hostile review of the verifier (G2, F3): a derivative by a function's value
def _bellman_under_a_derivative():
    gamma = sp.Symbol("gamma", positive=True)
    V, r, w = (sp.Function(name, real=True) for name in ("V", "r", "w"))
    bellman = Equation("Bellman equation", V(_s), r(_s) + gamma * V(_s + 1), variables=(_s,))
    return gamma, V, r, w, bellman


def test_a_given_equation_is_not_substituted_under_a_derivative_by_a_value_of_its_function():
    gamma, V, r, _, bellman = _bellman_under_a_derivative()
    # d/dr(0) varies the function r, which the equation ties to V: under the equation the
    # start is 1, while pgsym reads it (V, r independent) as 0
    d = Derivation("d/dr(0) through the Bellman equation", start=sp.Derivative(V(0), r(0)))
    d.step(sp.Derivative(r(0) + gamma * V(1), r(0)), rule=bellman)
    report = d.verify()
    assert not report.ok and report.steps[0].justification.status is Justification.MISMATCH
    lemma = Derivation("one Bellman step", start=V(_s)).step(r(_s) + gamma * V(_s + 1),
                                                              rule=bellman)
    d = Derivation("d/dV(1) through a lemma resting on it", start=sp.Derivative(V(0), V(1)))
    d.step(sp.Derivative(r(0) + gamma * V(1), V(1)), rule=lemma)
    report = d.verify()
    assert not report.ok and report.steps[0].justification.status is Justification.MISMATCH


def test_a_given_equation_is_substituted_under_a_derivative_by_a_value_of_another_function():
    gamma, V, r, w, bellman = _bellman_under_a_derivative()
    d = Derivation("d/dw(0), w not in the equation", start=sp.Derivative(V(0), w(0)))
    d.step(sp.Derivative(r(0) + gamma * V(1), w(0)), rule=bellman)
    report = d.verify()
    assert report.ok and report.steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING


# -- the fourth hostile review of the verifier (G5, F4): a Lambda's arguments in using=
def _log_of_a_product_of_values(variables_positive: bool) -> Derivation:
    x, y = sp.symbols("x y", positive=True) if variables_positive else sp.symbols("x y", real=True)
    f = sp.Function("f", positive=True)
    lemma = Derivation("log of a product of values of f", start=sp.log(f(x) * f(y)))
    return lemma.step(sp.log(f(x)) + sp.log(f(y)), rule="log of a product")


def test_a_lambda_given_for_a_lemmas_function_is_applied_only_where_its_variables_allow():
    # Lambda(u, u**2 + u) is positive for a positive u only; the lemma applies f to any real
    # x, y, so the instance log((a^2 + a)(b^2 + b)) = log(a^2 + a) + log(b^2 + b) would hold
    # for every real a, b (false at a = b = -1/2)
    u = sp.Symbol("u", positive=True)
    f = sp.Function("f", positive=True)
    a, b = sp.symbols("a b", real=True)
    d = Derivation("false for a = b = -1/2", start=sp.log((a**2 + a) * (b**2 + b)))
    d.step(sp.log(a**2 + a) + sp.log(b**2 + b), rule=_log_of_a_product_of_values(False),
           using={f: sp.Lambda(u, u**2 + u)})
    [step] = d.verify().steps
    assert not step.ok and step.justification.status is Justification.MISMATCH
    assert "which the Lambda's u does not allow" in step.justification.detail
    # the reviewer's: |f(x)| = f(x), f := 2u, at x = 10^13 - n^3 (negative for large n)
    x = sp.Symbol("x", real=True)
    n = sp.Symbol("n", integer=True, positive=True)
    lemma = Derivation("|f| = f", start=sp.Abs(f(x), evaluate=False)).step(f(x), rule="algebra")
    d = Derivation("false for n >= 21545", start=2 * sp.Abs(10**13 - n**3))
    d.step(sp.Mul(2, 10**13 - n**3, evaluate=False), rule=lemma, using={f: sp.Lambda(u, 2 * u)})
    report = d.verify()
    assert not report.ok and report.steps[0].justification.status is Justification.MISMATCH


def test_a_lambda_given_for_a_lemmas_function_applied_to_allowed_arguments_still_passes():
    u = sp.Symbol("u", positive=True)
    f = sp.Function("f", positive=True)
    n, m = sp.symbols("n m", integer=True, positive=True)
    d = Derivation("true", start=sp.log((n**2 + n) * (m**2 + m)))
    d.step(sp.log(n**2 + n) + sp.log(m**2 + m), rule=_log_of_a_product_of_values(True),
           using={f: sp.Lambda(u, u**2 + u)})
    report = d.verify()
    assert report.ok and report.steps[0].verdict.kind is VerdictKind.PROVED


# -- (G5, F5): a lemma's range on a symbol pinned by the equation it rests on
def _pinned_ranged_lemma():
    s, t = sp.symbols("s t", integer=True)
    g = sp.Symbol("g", integer=True)
    F, G = sp.Function("F"), sp.Function("G")
    given = Equation("given equation", F(s), sp.Abs(g) * G(s), variables=(s,))  # g fixed
    lemma = Derivation("F = g G for g in 0..3", start=F(s), ranges={g: (0, 3)})
    lemma.step(sp.Abs(g) * G(s), rule=given)
    lemma.step(g * G(s), rule="algebra")  # |g| = g for g = 0..3 only
    return t, g, F, G, lemma


@pytest.mark.parametrize("ranges", [{}, {"g": (-1, 2)}], ids=["no range", "a wider range"])
def test_a_symbol_the_lemma_ranges_and_its_equation_pins_must_be_in_the_range_where_cited(ranges):
    t, g, F, G, lemma = _pinned_ranged_lemma()
    d = Derivation("false for g < 0", start=F(t), ranges={g: ranges["g"]} if ranges else {})
    d.step(g * G(t), rule=lemma)
    [step] = d.verify().steps
    assert not step.ok and step.justification.status is Justification.MISMATCH


@pytest.mark.parametrize("bounds", [(0, 3), (1, 2)])
def test_a_symbol_the_lemma_ranges_and_its_equation_pins_may_be_cited_within_the_range(bounds):
    t, g, F, G, lemma = _pinned_ranged_lemma()
    d = Derivation("within the range", start=F(t), ranges={g: bounds}).step(g * G(t), rule=lemma)
    report = d.verify()
    assert report.ok and report.steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING


# -- a lemma side put in place is compared up to trivial arithmetic with 0 (a new user's friction)
def _zero_term_lemma(rhs=None):
    """``sum_x b h(x) = rhs`` (0 unless given), as an instance check."""
    from pgsym.rules.lemmas import instance_check
    x, b = sp.Symbol("x", integer=True), sp.Symbol("b", real=True)
    h = sp.Function("h", real=True)
    return instance_check(sp.Sum(b * h(x), (x, 0, 1)), sp.Integer(0) if rhs is None else rhs(b)), \
        lambda c: sp.Sum(c * h(x), (x, 0, 1))


def test_a_lemma_whose_side_is_zero_drops_a_term_subtracted_or_scaled():
    from pgsym.rules import RuleContext
    lemma, term = _zero_term_lemma()
    c, F = sp.Symbol("c", real=True), sp.Function("F", real=True)(theta)
    for scale in (-1, -2, c):
        with_term = sp.Add(F, sp.Mul(scale, term(c), evaluate=False), evaluate=False)
        assert lemma(with_term, F, RuleContext()).status is Justification.CONFIRMED, scale
        assert lemma(F, with_term, RuleContext()).status is Justification.CONFIRMED, scale


def test_a_term_is_not_dropped_unless_the_lemma_side_is_zero_and_its_factors_finite():
    from pgsym.rules import RuleContext
    c, F = sp.Symbol("c", real=True), sp.Function("F", real=True)(theta)
    n = sp.Symbol("n", integer=True, positive=True)
    lemma, term = _zero_term_lemma()
    subtracted = sp.Add(F, sp.Mul(-1, term(c), evaluate=False), evaluate=False)
    assert lemma(subtracted, F - c, RuleContext()).status is Justification.MISMATCH
    nonzero, _ = _zero_term_lemma(lambda b: b)  # sum_x b h(x) = b: the term is c, not 0
    assert nonzero(subtracted, F, RuleContext()).status is Justification.MISMATCH
    # 0 times a divergent sum, or times a symbol not shown finite, is not shown to be 0
    for factor in (sp.Sum(1 / n, (n, 1, sp.oo)), sp.Symbol("z")):
        scaled = sp.Add(F, sp.Mul(factor, term(c), evaluate=False), evaluate=False)
        assert lemma(scaled, F, RuleContext()).status is Justification.MISMATCH, factor


def test_the_baseline_lemma_drops_the_baseline_term_of_a_score_function_gradient():
    from pgsym import Distribution, Expectation
    x, b = sp.Symbol("x", integer=True), sp.Symbol("b", real=True)
    f = sp.Function("f", real=True)
    q = Distribution("q", (x, 0, 1), sp.exp(theta * x) / (1 + sp.exp(theta)), parameters=(theta,))
    score = sp.Derivative(sp.log(q(x)), theta)
    lemma = Derivation("baseline term is zero", start=Expectation(b * score, q), parameters=(theta,))
    lemma.step(b * Expectation(score, q), rule="linearity of expectation")
    lemma.step(b * sp.Sum(q(x) * score, (x, 0, 1)), rule="definition of expectation")
    lemma.step(b * sp.Sum(sp.Derivative(q(x), theta), (x, 0, 1)), rule="algebra")
    lemma.step(b * sp.Derivative(sp.Sum(q(x), (x, 0, 1)), theta), rule="swap sum and gradient")
    lemma.step(b * sp.Derivative(sp.Integer(1), theta, evaluate=False),
               rule="sum of a distribution is one")
    lemma.step(sp.Integer(0), rule="derivative of a constant")  # b * 0, b real
    main = Derivation("baseline dropped", parameters=(theta,),
                      start=sp.Add(Expectation(f(x) * score, q), -Expectation(b * score, q),
                                   evaluate=False))
    main.step(Expectation(f(x) * score, q), rule=lemma)
    report = main.verify()
    assert report.ok, report.failures()
    assert report.steps[0].justification.status is Justification.CONFIRMED


# -- (G8, hostile review 6): a lemma's range on a symbol its statement does not mention
def _range_given_lemma(j_in_a_step: bool):
    """``|n| G(0) = 2 n g(0)``, resting on ``G(s) = 2 g(s)``, with ``j`` in ``0..n-1``: true
    only for ``n >= 1``, which the range's case (``n = j' + m + 1``) is all that proves."""
    n, j, s, y = (sp.Symbol(name, integer=True) for name in "njsy")
    G, g, h = (sp.Function(name, real=True) for name in "Ggh")
    given = Equation("definition of G", G(s), 2 * g(s))
    if j_in_a_step:
        lemma = Derivation("|n| G(0) = 2 n g(0)", start=sp.Mul(sp.Abs(n), G(0), evaluate=False),
                           ranges={j: (0, n - 1)}, functions=(h,))
        lemma.step(sp.Mul(sp.Abs(n), 2, g(0), evaluate=False), rule=given)
        lemma.step(sp.Add(2 * n * g(0), h(j), -h(j), evaluate=False), rule="algebra")
    else:  # j only in a definition no step uses
        lemma = Derivation("|n| G(0) = 2 n g(0)", start=sp.Mul(sp.Abs(n), G(0), evaluate=False),
                           definitions={y: j}, ranges={j: (0, n - 1)})
        lemma.step(sp.Mul(sp.Abs(n), 2, g(0), evaluate=False), rule=given)
    lemma.step(2 * n * g(0), rule="algebra")  # |n| = n: only for n >= 1
    return lemma, G, g


def test_a_range_on_a_symbol_only_an_unused_definition_mentions_proves_nothing_for_n():
    lemma, _, _ = _range_given_lemma(j_in_a_step=False)
    assert lemma.range_cases() == [{}]
    report = lemma.verify(time_limit=30)
    assert not report.ok and report.steps[-1].verdict.kind is VerdictKind.REFUTED


def test_a_lemma_whose_range_forces_its_size_is_cited_only_where_the_range_is_nonempty():
    lemma, G, g = _range_given_lemma(j_in_a_step=True)
    assert lemma.verify(time_limit=30).ok  # true for n >= 1, where j has a value
    k = sp.Symbol("k", integer=True)
    false = Derivation("false at k = -1", start=sp.Mul(sp.Abs(k), G(0), evaluate=False))
    false.step(2 * k * g(0), rule=lemma)
    [step] = false.verify(time_limit=30).steps
    assert not step.ok and not step.verdict.kind.is_proof
    assert step.justification.status is Justification.MISMATCH
    # where the instance's size is shown >= 1 (declared, or by the citing derivation's range)
    m = sp.Symbol("m", integer=True)
    for size, ranges in ((sp.Symbol("p", integer=True, positive=True), {}),
                         (m, {m: (1, sp.Symbol("d", integer=True, positive=True))})):
        true = Derivation("true", start=sp.Mul(sp.Abs(size), G(0), evaluate=False), ranges=ranges)
        true.step(2 * size * g(0), rule=lemma)
        report = true.verify(time_limit=30)
        assert report.ok and report.steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING, \
            report.failures()


# -- the seventh hostile review (G9, F2): a derivative's variable is bound in the derivative
def _derivative_lemma():
    u, v = sp.symbols("u v", real=True)
    s = sp.Symbol("s", integer=True)
    h = sp.Function("h", real=True)
    given = Equation("shift invariance", h(s), h(s + 1), variables=(s,))
    lemma = Derivation("d/du (u v) = v", start=sp.Derivative(u * v, u) + h(0))
    lemma.step(v + h(0), rule="algebra")
    lemma.step(v + h(1), rule=given)  # rests on an equation: its instances are not sampled
    return u, v, h, lemma


@pytest.mark.parametrize("given", [True, False], ids=["using=", "matched"])
def test_a_lemma_instance_that_captures_a_derivatives_variable_is_refused(given):
    u, v, h, lemma = _derivative_lemma()
    x = sp.Symbol("x", real=True)
    # the reviewer's: u, v -> x gives d/dx (x x) = x, i.e. 2x = x
    d = Derivation("false: d/dx x^2 = x", start=sp.Derivative(sp.Mul(x, x, evaluate=False), x) + h(0))
    d.step(x + h(1), rule=lemma, **({"using": {u: x, v: x}} if given else {}))
    [step] = d.verify(time_limit=30).steps
    assert not step.ok and not step.verdict.kind.is_proof
    assert step.justification.status is Justification.MISMATCH
    if given:
        assert "captures" in step.justification.detail


def test_a_lemma_instance_where_only_the_other_symbol_becomes_the_derivatives_variable_is_refused():
    u, v, h, lemma = _derivative_lemma()
    # u stays u, v -> u: d/du (u u) = u, false
    d = Derivation("false: d/du u^2 = u", start=sp.Derivative(sp.Mul(u, u, evaluate=False), u) + h(0))
    d.step(u + h(1), rule=lemma, using={v: u})
    [step] = d.verify(time_limit=30).steps
    assert not step.ok and step.justification.status is Justification.MISMATCH
    # a Lambda whose derivative's variable an argument mentions: w -> d/dx (w x) is w, not 2x at x
    x, w = sp.symbols("x w", real=True)
    F = sp.Function("F")
    lemma = Derivation("F(u) = F(u)", start=sp.Add(F(u), F(u), evaluate=False)).step(2 * F(u), rule="algebra")
    d = Derivation("false: 2 d/dx (x x) = 2 x", start=sp.Add(sp.Derivative(x * x, x), sp.Derivative(x * x, x),
                                                              evaluate=False))
    d.step(2 * x, rule=lemma, using={F: sp.Lambda(w, sp.Derivative(w * x, x)), u: x})
    [step] = d.verify(time_limit=30).steps
    assert not step.ok and step.justification.status is Justification.MISMATCH
    assert "captured" in step.justification.detail


@pytest.mark.parametrize("given", [True, False], ids=["using=", "matched"])
def test_a_lemma_instance_that_renames_a_derivatives_variable_freely_still_passes(given):
    u, v, h, lemma = _derivative_lemma()
    x, y = sp.symbols("x y", real=True)
    d = Derivation("true: d/dx (x y^2) = y^2", start=sp.Derivative(x * y**2, x) + h(0))
    d.step(y**2 + h(1), rule=lemma, **({"using": {u: x, v: y**2}} if given else {}))
    report = d.verify(time_limit=30)
    assert report.ok and report.steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING, report.failures()


def test_a_lambda_given_for_a_lemmas_function_keeps_the_lemmas_side_as_written():
    # the seventh hostile review (F5): F(u) + F(u) with F := Lambda(w, sin(w)) was evaluated to
    # 2 sin(u), so the true step sin(t) + sin(t) = 2 sin(t) found no instance
    u, w, t_ = sp.symbols("u w t", real=True)
    F = sp.Function("F", real=True)
    lemma = Derivation("F twice", start=sp.Add(F(u), F(u), evaluate=False)).step(2 * F(u), rule="algebra")
    true = Derivation("sin twice", start=sp.Add(sp.sin(t_), sp.sin(t_), evaluate=False))
    true.step(2 * sp.sin(t_), rule=lemma, using={F: sp.Lambda(w, sp.sin(w)), u: t_})
    report = true.verify(time_limit=30)
    assert report.ok and report.steps[0].justification.status is Justification.CONFIRMED, report.failures()
    false = Derivation("sin twice, wrong", start=sp.Add(sp.sin(t_), sp.sin(t_), evaluate=False))
    false.step(3 * sp.sin(t_), rule=lemma, using={F: sp.Lambda(w, sp.sin(w)), u: t_})
    [step] = false.verify(time_limit=30).steps
    assert not step.ok and step.justification.status is Justification.MISMATCH


def test_a_lemma_instance_that_does_not_give_the_step_says_what_it_gives():
    a, b = sp.symbols("a b", real=True)
    lemma = Derivation("square of a sum", start=(a + b)**2).step(a**2 + 2 * a * b + b**2,
                                                                  rule="algebra")
    u = sp.Symbol("u", real=True)
    wrong = Derivation("misused", start=(u + 1)**2).step(u**2 + 2 * u, rule=lemma,
                                                         using={a: u, b: 1})
    report = wrong.verify()
    detail = report.steps[0].justification.detail
    assert not report.ok and "does not give the other step (it gives" in detail, detail
    assert "(it gives u**2 + 2*u*1 + 1**2)" in detail, detail  # (a Python 1 in using= is 1)


def test_a_lemma_named_like_a_built_in_rule_cannot_be_cited():
    """Its steps would be published '(product rule) ✓' though the product rule was never
    applied (hostile review 9)."""
    u = sp.Symbol("u", real=True)
    for name in ("product rule", "Product-Rule", "pr\u043educt rule"):
        lemma = Derivation(name, start=u * u).step(u ** 2, rule="algebra")
        with pytest.raises(StepError, match="named like the built-in rule 'product rule'"):
            Derivation("uses it", start=3 * u * u).step(3 * u ** 2, rule=lemma)
    fine = Derivation("square of u", start=u * u).step(u ** 2, rule="algebra")
    Derivation("uses it", start=u * u).step(u ** 2, rule=fine)


def test_a_lemma_report_kept_in_the_process_is_not_replayed_for_a_function_of_other_assumptions():
    """Hostile review 10: a lemma proved for a positive f (declared by f.is_positive = True
    after it was made, or by a positive base class) digested like the same lemma for a
    plain f, so the refuted lemma's citations replayed the proved lemma's report."""
    from sympy.core.cache import clear_cache
    from sympy.core.function import AppliedUndef, UndefinedFunction

    from pgsym.verification import _fingerprint

    x = sp.Symbol("x", real=True)

    class Positive(AppliedUndef):
        is_positive = True

    y = sp.Symbol("y", real=True)

    def lemma(f) -> Derivation:  # (true for a positive f only)
        return Derivation("log of two values", start=sp.log(f(x) * f(y))).step(
            sp.log(f(x)) + sp.log(f(y)), rule="log of a product")

    def citing(f, cited: Derivation) -> Derivation:
        return Derivation("cites it", start=sp.log(f(x) * f(y)) + 1).step(
            sp.log(f(x)) + sp.log(f(y)) + 1, rule=cited)

    # (SymPy's cache hands back the class or value made last of one name: it is cleared
    # before each, as its LRU would in a long run)
    clear_cache()
    plain = _fingerprint(lemma(sp.Function("f")))
    clear_cache()
    assert _fingerprint(lemma(sp.Function("f"))) == plain  # (rebuilt: the same)
    clear_cache()
    assert _fingerprint(lemma(UndefinedFunction("f", bases=(Positive,)))) != plain
    # (a fact set on the class SymPy shares is refused since hostile review 77: it reached
    # every derivation declaring f in the process)
    clear_cache()
    declared_later = sp.Function("f")
    declared_later.is_positive = True
    try:
        with pytest.raises(pgsym.DerivationError, match="holds what sympy.Function makes"):
            lemma(declared_later)
    finally:
        del declared_later.is_positive
        clear_cache()

    positive = UndefinedFunction("f", bases=(Positive,))
    proved = lemma(positive)
    assert citing(positive, proved).verify().ok
    clear_cache()
    g = sp.Function("f")
    report = citing(g, lemma(g)).verify()
    assert not report.ok and not report.steps[0].verdict.kind.is_proof


def _resting_on_a_distribution_and_a_given_equation():
    """A lemma about an abstract distribution p over 0..K-1 that rests on an equation taken as
    given: its instances are not sampled (stand-ins do not meet the equation), so the
    instance check alone decides."""
    from pgsym import Distribution
    x, s = sp.Symbol("x", integer=True), sp.Symbol("s", integer=True)
    K = sp.Symbol("K", integer=True, positive=True)
    V, r = sp.Function("V", real=True), sp.Function("r", real=True)
    p = Distribution("p", (x, 0, K - 1))
    given = Equation("given equation", V(s), r(s), variables=(s,))
    lemma = Derivation("V plus a total", start=V(s) + sp.Sum(p(x), (x, 0, K - 1)), functions=(r,))
    lemma.step(r(s) + sp.Sum(p(x), (x, 0, K - 1)), rule=given)
    lemma.step(r(s) + 1, rule="sum of a distribution is one")
    return x, s, K, V, r, p, lemma


def test_a_lemma_instance_keeps_the_symbols_a_declared_distribution_depends_on():
    """Hostile review 14: with K -> M the instance read sum_{x=0}^{M-1} p(x) = 1 for the
    distribution p over 0..K-1 (p stays itself: its support does not follow), and with
    K -> 1 it read p(0) = 1; both were proved under the stated assumptions."""
    x, s, K, V, r, p, lemma = _resting_on_a_distribution_and_a_given_equation()
    M = sp.Symbol("M", integer=True, positive=True)
    q = sp.Function("q", nonnegative=True)
    for upper, using in ((M - 1, None), (0, None), (M - 1, {K: M})):
        false = Derivation("false instance", start=V(s) + sp.Sum(p(x), (x, 0, upper)), functions=(r, p))
        false.step(r(s) + 1, rule=lemma, using=using)
        [step] = false.verify().steps
        assert not step.ok and step.justification.status is Justification.MISMATCH, (upper, using)
    # nor may using= put another function in the distribution's place
    false = Derivation("q for p", start=V(s) + sp.Sum(q(x), (x, 0, K - 1)), functions=(r, q))
    false.step(r(s) + 1, rule=lemma, using={p.function: q})
    [step] = false.verify().steps
    assert not step.ok and "a declared distribution" in step.justification.detail
    true = Derivation("the lemma itself", start=V(s) + sp.Sum(p(x), (x, 0, K - 1)), functions=(r, p))
    true.step(r(s) + 1, rule=lemma)
    assert true.verify().ok


def test_a_function_given_to_a_lemma_may_not_bring_in_a_jump_its_rules_read_as_smooth():
    """Hostile review 23: a lemma that swaps d/dtheta with an integral of an undefined f
    (and rests on an equation taken as given, so its instances are not sampled) was cited
    with f -> g(x) 1{x < theta}: the moving edge the swap rule refuses went through the
    lemma, and the false swap was proved."""
    x, th = sp.Symbol("x", real=True), sp.Symbol("theta", real=True)
    f, z, g = sp.Function("f"), sp.Function("z"), sp.Function("g")
    offset = Equation("vanishing offset", z(th), sp.Integer(0), variables=(th,))
    lemma = Derivation("Leibniz, with an offset",
                       start=sp.Derivative(sp.Integral(f(x, th), (x, 0, 1)), th) + z(th),
                       parameters=(th,))
    lemma.step(sp.Integral(sp.Derivative(f(x, th), th), (x, 0, 1)) + z(th),
               rule="swap integral and gradient", condition="$f$ and its derivative are dominated")
    lemma.step(sp.Integral(sp.Derivative(f(x, th), th), (x, 0, 1)), rule=offset)
    body = g(x) * sp.Piecewise((1, x < th), (0, True))
    false = Derivation("edge dropped", start=sp.Derivative(sp.Integral(body, (x, 0, 1)), th) + z(th),
                       parameters=(th,))
    false.step(sp.Integral(sp.Derivative(body, th), (x, 0, 1)), rule=lemma,
               using={f: sp.Lambda((x, th), body)})
    [step] = false.verify().steps
    assert not step.ok and "may jump or bend" in step.justification.detail
    smooth = g(x) * sp.exp(x * th)
    true = Derivation("smooth", start=sp.Derivative(sp.Integral(smooth, (x, 0, 1)), th) + z(th),
                      parameters=(th,))
    true.step(sp.Integral(sp.Derivative(smooth, th), (x, 0, 1)), rule=lemma,
              using={f: sp.Lambda((x, th), smooth)})
    assert true.verify().steps[0].justification.status is Justification.CONFIRMED


def test_a_function_given_to_a_lemma_may_not_hide_a_jump_behind_a_pole():
    """Hostile review 25: tanh(1/(x - theta)) is smooth wherever it is defined, yet jumps from
    -1 to 1 where x = theta; a lemma whose rules read its undefined f as smooth everywhere
    may not be given it."""
    x, th = sp.Symbol("x", real=True), sp.Symbol("theta", real=True)
    f, g = sp.Function("f"), sp.Function("g")
    lemma = Derivation("Leibniz", start=sp.Derivative(sp.Integral(f(x, th), (x, 0, 1)), th),
                       parameters=(th,))
    lemma.step(sp.Integral(sp.Derivative(f(x, th), th), (x, 0, 1)),
               rule="swap integral and gradient", condition="$f$ and its derivative are dominated")
    body = g(x) * sp.tanh(1 / (x - th))
    false = Derivation("jump dropped", start=sp.Derivative(sp.Integral(body, (x, 0, 1)), th),
                       parameters=(th,))
    false.step(sp.Integral(sp.Derivative(body, th), (x, 0, 1)), rule=lemma,
               using={f: sp.Lambda((x, th), body)})
    [step] = false.verify(time_limit=1.0).steps  # (the rule is refused at once)
    assert not step.ok and "1/(-theta + x), which may jump or bend" in step.justification.detail


def test_a_lemma_symbol_is_not_instantiated_by_a_value_whose_assumptions_sympy_may_get_wrong():
    """Hostile review 30: a lemma about a positive v (resting on a given equation, so its
    instances are not sampled) was cited with v -> atan(m), m >= 0 an integer: SymPy calls
    atan(m) positive, but atan(0) = 0, and sign(atan(m)) f(x) = g(x) was proved under the
    stated assumption f = g, though false at m = 0."""
    s, x = sp.symbols("s x", real=True)
    v = sp.Symbol("v", positive=True)
    m = sp.Symbol("m", integer=True, nonnegative=True)
    f, g = sp.Function("f", real=True), sp.Function("g", real=True)
    given = Equation("f equals g", f(s), g(s), variables=(s,))
    lemma = Derivation("lemma", start=sp.Mul(sp.sign(v, evaluate=False), f(s), evaluate=False))
    lemma.step(sp.Mul(sp.sign(v, evaluate=False), g(s), evaluate=False), rule=given)
    lemma.step(g(s), rule="algebra")
    assert lemma.verify().ok
    false = Derivation("cite", start=sp.Mul(sp.sign(sp.atan(m), evaluate=False), f(x),
                                            evaluate=False))
    false.step(g(x), rule=lemma)
    [step] = false.verify().steps
    assert not step.ok and step.justification.status is not Justification.CONFIRMED


def test_an_equation_may_have_a_plain_integer_side():
    """New user 11: Equation('normalised', Sum(p(a), ...), 1) was refused for its int 1."""
    a = sp.Symbol("a", integer=True)
    p = sp.Function("p", positive=True)
    assert Equation("normalised", sp.Sum(p(a), (a, 0, 1)), 1).rhs == sp.S.One
    with pytest.raises(ValueError, match="rhs must be a SymPy expression, got float"):
        Equation("rounded", p(a), 0.5)


def test_a_lambda_given_for_a_function_keeps_its_free_symbols_out_of_the_lemmas_binders():
    """Hostile review 41: F -> Lambda(u, x) put under the lemma's own integral over x read
    that x as the bound one; the lemma rests on a given equation, so its instance was not
    sampled, and 1/2 = x was proved under the assumption h = 0."""
    from pgsym import Equation
    x, y, t, u, c = sp.symbols("x y t u c", real=True)
    F, G, h = (sp.Function(name, real=True) for name in "FGh")
    vanishing = Equation("vanishing of h", h(u), sp.Integer(0), variables=(u,))
    lemma = Derivation("constant out", start=sp.Integral(F(y) * G(x), (x, 0, 1)) + h(c))
    lemma.step(F(y) * sp.Integral(G(x), (x, 0, 1)) + h(c), rule="linearity of sums")
    lemma.step(F(y) * sp.Integral(G(x), (x, 0, 1)), rule=vanishing)
    assert lemma.verify().ok
    d = Derivation("one half is every number", start=sp.Rational(1, 2) + h(c), parameters=(x,))
    d.step(sp.Integral(t, (t, 0, 1)) + h(c), rule="algebra")
    d.step(x * sp.Integral(sp.Integer(1), (t, 0, 1)), rule=lemma,
           using={F: sp.Lambda(u, x), G: sp.Lambda(u, sp.Integer(1))})
    report = d.verify(only={2})
    assert not report.ok and not report.steps[0].verdict.kind.is_proof


def test_a_given_equation_states_what_it_holds_for_and_prints_apart_from_the_derivation():
    """The same Bellman equation for every gamma and for the fixed gamma printed alike, and
    an equation's x1 printed as the derivation's x_1 (hostile review 41)."""
    s = sp.Symbol("s", integer=True)
    gamma = sp.Symbol("gamma", positive=True)
    V, r = sp.Function("V", real=True), sp.Function("r", real=True)
    every = Equation("Bellman equation", V(s), gamma * V(s + 1) + r(s), variables=(s, gamma))
    fixed = Equation("Bellman equation", V(s), gamma * V(s + 1) + r(s), variables=(s,))
    assert every.assumption.endswith(r"for every $s, \gamma$")
    assert fixed.assumption.endswith("for every $s$") and every.assumption != fixed.assumption
    x1, x_1, t = sp.Symbol("x1", real=True), sp.Symbol("x_1", real=True), sp.Symbol("t", real=True)
    f, g = sp.Function("f", real=True), sp.Function("g", real=True)
    given = Equation("given relation", f(x1), g(x1))
    d = Derivation("uses it", start=f(t) + x_1)
    with pytest.raises(StepError, match="could not tell them apart"):
        d.step(g(t) + x_1, rule=given)


def test_a_function_given_for_a_declared_one_is_refused_naming_the_declaration_written():
    """New user 12 read 'pi is declared nonnegative=True' for a pi declared positive=True
    (SymPy stores every fact a declaration implies)."""
    from pgsym.rules.lemmas import _check_function
    x = sp.Symbol("x", real=True)
    with pytest.raises(ValueError, match="pi is declared positive=True, which"):
        _check_function(sp.Function("pi", positive=True), sp.Lambda(x, x))


def test_a_given_equation_the_derivation_s_definitions_contradict_refutes_the_step():
    """f(x) = 0 for every x, with f := x**2: nothing is left to assume, so the equation is
    checked, and the step citing it is refuted instead of "proved under the assumption"."""
    x = sp.Symbol("x", real=True)
    f = sp.Function("f")
    false = Equation("f vanishes", f(x), 0, variables=(x,))
    d = Derivation("vanishes", start=f(x) + 1, definitions={f: sp.Lambda(x, x**2)})
    d.step(sp.Integer(1), rule=false)
    [step] = d.verify().steps
    assert step.verdict.kind is VerdictKind.REFUTED
    assert "f vanishes, taken as given, is false with this derivation's definitions" \
        in step.verdict.detail
    true = Equation("square of a difference", f(x), x**2, variables=(x,))
    ok = Derivation("holds", start=f(x) + 1, definitions={f: sp.Lambda(x, x**2)})
    ok.step(x**2 + 1, rule=true)
    assert ok.verify().ok  # (proved outright: the sides are equal once f is unfolded)


def test_a_given_equation_that_constrains_a_fixed_symbol_or_a_function_is_not_sampled():
    x = sp.Symbol("x", real=True)
    root = Equation("x is a root", x**2, 2, variables=())  # true of the x it is about
    d = Derivation("root", start=sp.exp(x**2)).step(sp.exp(2), rule=root)
    assert d.verify().steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING
    g = sp.Function("g")
    constraint = Equation("g vanishes", g(x), 0, variables=(x,))  # g is not defined
    e = Derivation("constraint", start=g(x) + 1, functions=(g,)).step(sp.Integer(1),
                                                                       rule=constraint)
    assert e.verify().steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING


def test_a_lemma_proved_under_a_stated_condition_holds_for_the_symbols_it_names_only():
    """Hostile review 43: a lemma proved for x < 1 (and resting on a given equation, so its
    instances are not sampled) cited at x = y + 2 proved min(y + 2, 1) = y + 2 "assuming
    x < 1". The condition's symbols stay themselves, by using= or by matching."""
    x, y = sp.symbols("x y", real=True)
    f = sp.Function("f", real=True)
    vanishes = Equation("vanishing of f", f(x), sp.S.Zero, variables=(x,))
    lemma = Derivation("min below one", start=sp.Min(x, 1) + f(x))
    lemma.step(sp.Min(x, 1), rule=vanishes).step(x, rule="algebra", condition=x < 1)
    assert lemma.verify().ok
    for using in ({x: y + 2}, None):
        d = Derivation("cited at y + 2", start=sp.Min(y + 2, 1) + f(y + 2))
        d.step(y + 2, rule=lemma, using=using)
        assert not d.verify().ok
    same = Derivation("cited as it is", start=sp.Min(x, 1) + f(x)).step(x, rule=lemma)
    [step] = same.verify().steps
    assert step.verdict.kind is VerdictKind.PROVED_ASSUMING and "x < 1" in step.verdict.assumption


def test_a_given_equation_no_function_can_satisfy_refutes_the_step_citing_it():
    """Hostile review 43: f(x) = f(x) + 1 for every x holds for no f; taken as given, it
    proved 0 = 1. Its functions cancel, so pgsym checks what is left."""
    x = sp.Symbol("x", real=True)
    f = sp.Function("f", real=True)
    shift = Equation("shift equation", f(x), f(x) + 1, variables=(x,))
    d = Derivation("zero is one", start=sp.Add(f(x), -f(x), evaluate=False))
    d.step(sp.Add(f(x) + 1, -f(x), evaluate=False), rule=shift)
    [step] = d.verify().steps
    assert step.verdict.kind is VerdictKind.REFUTED
    assert "holds for no" in step.verdict.detail
    c = sp.Symbol("c", real=True)  # a fixed symbol: f(x) = f(x) + c - 1 holds at c = 1
    fixed = Equation("shift by c - 1", f(x), f(x) + c - 1, variables=(x,))
    e = Derivation("c is one", start=sp.Add(f(x), -f(x), evaluate=False))
    e.step(sp.Add(f(x) + c - 1, -f(x), evaluate=False), rule=fixed)
    assert e.verify().steps[0].verdict.kind is not VerdictKind.REFUTED


def test_a_given_equation_its_declarations_contradict_refutes_the_step_citing_it():
    """Hostile review 44: f(x) = -1 for a positive f, g(x)**2 = -1 for a real g and
    g(x) + c = g(x) for a positive c hold for no value at all; taken as given, they were
    cited 'under the assumption'."""
    x = sp.Symbol("x", real=True)
    c = sp.Symbol("c", positive=True)
    f, g = sp.Function("f", positive=True), sp.Function("g", real=True)
    y = sp.Symbol("y", real=True)
    for lhs, rhs, start, end in ((f(x), -1, f(x) + y, y - 1),
                                 (g(x)**2, -1, g(x)**2 + y, y - 1),
                                 (g(x) + c, g(x), g(x) + c, g(x))):
        equation = Equation("impossible", lhs, rhs, variables=(x,))
        d = Derivation("cites it", start=start, parameters=(c,)).step(end, rule=equation)
        [step] = d.verify().steps
        assert step.verdict.kind is VerdictKind.REFUTED, (lhs, rhs, step.verdict)
        assert "holds for no value of its functions and symbols" in step.verdict.detail


def test_a_given_equation_a_distribution_s_values_decide_is_checked():
    """Hostile review 46: q(x) = 0 for every x, theta0, theta1, with q a softmax declared by
    its values, was taken as given."""
    from pgsym import Distribution
    x = sp.Symbol("x", integer=True)
    t0, t1 = sp.symbols("theta0 theta1", real=True)
    q = Distribution("q_h46", (x, 0, 1), sp.exp(t0 * (1 - x) + t1 * x) / (sp.exp(t0) + sp.exp(t1)),
                     parameters=(t0, t1))
    vanishes = Equation("q vanishes", q(x), sp.Integer(0), variables=(x, t0, t1))
    d = Derivation("q at 0", start=q(0), functions=(q,)).step(sp.Integer(0), rule=vanishes)
    assert d.verify().steps[0].verdict.kind is VerdictKind.REFUTED


def test_a_given_equation_in_one_real_function_value_with_no_real_root_is_refuted():
    """Hostile review 46: f(x)**2 - 2 f(x) + 2 = 0 for a real f, (f - 1)**2 + 1 >= 1, was
    taken as given; one with a real root still is."""
    x = sp.Symbol("x", real=True)
    f = sp.Function("f", real=True)
    none = Equation("no root", f(x)**2 - 2 * f(x) + 2, 0, variables=(x,))
    d = Derivation("cites it", start=f(x)**2 - 2 * f(x) + 2).step(sp.Integer(0), rule=none)
    [step] = d.verify().steps
    assert step.verdict.kind is VerdictKind.REFUTED and "no real solution" in step.verdict.detail
    some = Equation("a root", f(x)**2 - 2 * f(x), 0, variables=(x,))
    e = Derivation("cites it", start=f(x)**2 - 2 * f(x)).step(sp.Integer(0), rule=some)
    assert e.verify().steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING


@pytest.mark.parametrize("kind, lhs", [
    ("fixed symbol, quartic", "x**4 - 2*x**2 + 2"),
    ("two symbols", "x**2 - 2*x*y + y**2 + 1"),
    ("two function values", "V(s)**2 - 2*V(s)*V(s + 1) + V(s + 1)**2 + 1"),
    ("cosine", "cos(x) + 2"),
    ("cosine of a value", "cos(V(s)) + 2"),
    ("exponentials", "exp(V(s)) + exp(-V(s)) - 1"),
])
def test_a_given_equation_no_real_values_satisfy_is_refuted(kind, lhs):
    """Hostile review 47: given equations that no real values of their symbols and
    function values satisfy were taken as given, and a step citing one "proved" cos x + 3 = 1
    under the assumption cos x + 2 = 0."""
    x, y, s = sp.symbols("x y s", real=True)
    V = sp.Function("V", real=True)
    expr = sp.sympify(lhs, locals={"x": x, "y": y, "s": s, "V": V})
    impossible = Equation(kind, expr, 0, variables=(s,) if expr.has(V) else ())
    d = Derivation(kind, start=sp.Add(expr, 1, evaluate=False)).step(
        sp.Add(0, 1, evaluate=False), rule=impossible)
    [step] = d.verify().steps
    assert step.verdict.kind is VerdictKind.REFUTED, step.verdict
    assert "no real solution" in step.verdict.detail


@pytest.mark.parametrize("lhs", ["x**2 - 2*x*y + y**2 - 1", "cos(x) + 1", "x*y + 1",
                                 "V(s)**2 - V(s + 1)", "exp(V(s)) - 2", "x**2 + y**2"])
def test_a_given_equation_some_real_values_satisfy_is_taken_as_given(lhs):
    """The other side of the test above: each of these has a real solution."""
    x, y, s = sp.symbols("x y s", real=True)
    V = sp.Function("V", real=True)
    expr = sp.sympify(lhs, locals={"x": x, "y": y, "s": s, "V": V})
    possible = Equation("possible", expr, 0, variables=(s,) if expr.has(V) else ())
    d = Derivation("cites it", start=sp.Add(expr, 1, evaluate=False)).step(
        sp.Add(0, 1, evaluate=False), rule=possible)
    assert d.verify().steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING


def test_a_given_equation_is_refuted_only_by_a_value_in_the_derivation_s_ranges():
    """Hostile review 48: f(s) = 0 for s in 0..1 with f := u (u - 1) (true on the range) was
    refuted at s = 6903."""
    s, u = sp.symbols("s u", integer=True)
    f = sp.Function("f", real=True)
    on_range = Equation("vanishes on the range", f(s), 0, variables=(s,))
    d = Derivation("ranged", start=sp.Add(f(s), 1, evaluate=False),
                   definitions={f: sp.Lambda(u, u * (u - 1))}, ranges={s: (0, 1)})
    d.step(sp.Add(0, 1, evaluate=False), rule=on_range)
    assert d.verify().ok


def test_a_given_equation_false_where_two_of_its_values_coincide_is_refuted():
    """Hostile review 50: f(x) = f(-x) + 1 for every x says f(0) = f(0) + 1 at x = 0, so no
    f satisfies it; a step citing it was proved under the assumption. f(x) = f(-x) (an even
    f) is still taken as given."""
    x = sp.Symbol("x", real=True)
    f = sp.Function("f", real=True)
    shift = Equation("odd shift", f(x), f(-x) + 1, variables=(x,))
    d = Derivation("cites it", start=f(0), functions=(f,)).step(f(0) + 1, rule=shift)
    [step] = d.verify().steps
    assert step.verdict.kind is VerdictKind.REFUTED and "at x = 0" in step.verdict.detail
    even = Equation("even", f(x), f(-x), variables=(x,))
    e = Derivation("cites it", start=f(2), functions=(f,)).step(f(-2), rule=even)
    assert e.verify().steps[0].verdict.kind is VerdictKind.PROVED_ASSUMING
