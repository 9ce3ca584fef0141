"""Beyond the notes: the optimal constant baseline, and why it is optimal.

Subtracting a constant b from a per-action quantity g(a) (a return, or one component of
score times return) gives the estimator g(a) - b, whose second moment under the action
weights pi(a) > 0 of A actions (A symbolic) is

    V(b) = sum_{a=0}^{A-1} pi(a) (g(a) - b)^2.

For any constant c, adding and subtracting c and expanding the square gives (the lemma)

    V(b) = V(c) + 2 (c - b) (sum_a pi(a) g(a) - c sum_a pi(a)) + (b - c)^2 sum_a pi(a),

and for c = b* = sum_a pi(a) g(a) / sum_a pi(a) the middle term vanishes:

    V(b) = V(b*) + (b - b*)^2 sum_a pi(a) >= V(b*),

the second moment is smallest at b*, and exceeds its minimum by (b - b*)^2 sum_a pi(a). (When
the weights are a distribution, sum_a pi(a) = 1, b* is the mean of g and V(b) - V(b*) =
(b - b*)^2.)
"""
import sympy as sp

from pgsym import Derivation

a = sp.Symbol("a", integer=True)
A = sp.Symbol("A", integer=True, positive=True)
b, c, x = sp.symbols("b c x", real=True)
b_star = sp.Symbol("b^*", real=True)
#: the weight of each action (the policy's probabilities), and the quantity the baseline
#: is subtracted from
pi = sp.Function("pi", positive=True)
g = sp.Function("g", real=True)
#: the second moment as a function of the baseline
V = sp.Function("V")

ACTIONS = (a, 0, A - 1)
EQUATION = "beyond the notes (baselines)"


def _product(*factors):
    return sp.Mul(*factors, evaluate=False)


def _total(*terms):
    return sp.Add(*terms, evaluate=False)


def _sum(body):
    return sp.Sum(body, ACTIONS)


def second_moment(base) -> sp.Sum:
    """sum_a pi(a) (g(a) - base)^2."""
    return _sum(_product(pi(a), (g(a) - base)**2))


WEIGHT = _sum(pi(a))                      # sum_a pi(a)
WEIGHTED = _sum(_product(pi(a), g(a)))    # sum_a pi(a) g(a)
DEFINITIONS = {V: sp.Lambda(x, second_moment(x)), b_star: WEIGHTED / WEIGHT}


def about_any_constant() -> Derivation:
    """V(b) = V(c) + 2 (c - b) (sum pi g - c sum pi) + (b - c)^2 sum pi, for any real c."""
    lemma = Derivation(
        "second moment about any constant",
        start=second_moment(b),
        parameters=(b, c),
        equation=EQUATION,
        description="The second moment about $b$, written about another constant $c$.",
    )
    split = _total(g(a) - c, c - b)
    lemma.step(_sum(_product(pi(a), split**2)), rule="substitution", using={g(a) - b: split},
               note="add and subtract $c$")
    expanded = _total(_product(pi(a), (g(a) - c)**2), _product(2, c - b, pi(a), g(a) - c),
                      _product((b - c)**2, pi(a)))
    lemma.step(_sum(expanded), rule="substitution", using={_product(pi(a), split**2): expanded},
               note="expand the square")
    lemma.step(_total(second_moment(c), _product(2, c - b, _sum(_product(pi(a), g(a) - c))),
                      _product((b - c)**2, WEIGHT)), rule="linearity of sums")
    deviations = _total(_product(pi(a), g(a)), _product(-1, c, pi(a)))
    lemma.step(_total(second_moment(c), _product(2, c - b, _sum(deviations)),
                      _product((b - c)**2, WEIGHT)), rule="substitution",
               using={_product(pi(a), g(a) - c): deviations}, note="multiply out $\\pi(a)$")
    lemma.step(_total(second_moment(c), _product(2, c - b, _total(WEIGHTED, _product(-1, c, WEIGHT))),
                      _product((b - c)**2, WEIGHT)), rule="linearity of sums")
    return lemma


def optimal_baseline(lemma: Derivation, minimise: bool = True) -> Derivation:
    """V(b) = V(b*) + (b - b*)^2 sum pi >= V(b*) (without the last step if not ``minimise``)."""
    d = Derivation(
        "the optimal baseline minimises the second moment" if minimise else
        "second moment about the optimal baseline",
        start=V(b),
        definitions=DEFINITIONS,
        parameters=(b,),
        equation=EQUATION,
        description="The second moment of $g - b$ is its value at $b^*$ plus $(b - b^*)^2$ times "
                    "the total weight, for $A$ actions ($A$ symbolic), so no constant baseline "
                    "does better than $b^*$.",
    )
    middle = lambda deviation: _total(second_moment(b_star),  # noqa: E731
                                      _product(2, b_star - b, deviation),
                                      _product((b - b_star)**2, WEIGHT))
    d.step(second_moment(b), rule="definition")
    d.step(middle(_total(WEIGHTED, _product(-1, b_star, WEIGHT))), rule=lemma,
           using={c: b_star}, note="with $c = b^*$")
    d.step(middle(_total(WEIGHTED, _product(-1, _product(WEIGHTED, 1 / WEIGHT), WEIGHT))),
           rule="definition", note="$b^* = \\sum_a \\pi(a) g(a) / \\sum_a \\pi(a)$")
    d.step(middle(_total(WEIGHTED, _product(-1, WEIGHTED))), rule="multiply by one",
           note="$\\sum_a \\pi(a) > 0$")
    d.step(_total(second_moment(b_star), _product((b - b_star)**2, WEIGHT)), rule="algebra",
           note="the middle term is $2 (b^* - b) \\cdot 0$")
    d.step(_total(V(b_star), _product((b - b_star)**2, WEIGHT)), rule="definition")
    if minimise:
        d.step(V(b_star), rule="algebra", relation=">=",
               note="a square times a sum of positive weights is never negative")
    return d


def build() -> list[Derivation]:
    lemma = about_any_constant()
    return [lemma, optimal_baseline(lemma)]
