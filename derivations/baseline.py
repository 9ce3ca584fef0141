"""Baselines leave the policy gradient unbiased: E_{a~pi}[grad log pi(a; theta) b] = 0.

For a policy over A actions (A symbolic) in a state s, and any baseline b = b(s) that does
not depend on the action:

    sum_a pi grad log pi b = b sum_a grad pi = b * 0 = 0.

The first equality holds for any positive function (the lemma, proved first); the second is
the lemma of section 3 that the derivatives of normalised weights w / sum w sum to zero, for
any positive weights w (every policy with positive probabilities is of that form, with
w = pi). The theorem is stated for the softmax policy pi(a; theta) = exp(theta phi_a + c_a) /
sum_c exp(theta phi_c + c_c) with any real phi and c: the notes' linear softmax policy
differentiated in any one coordinate theta_i (phi_a the feature that multiplies theta_i, c_a
the rest of the logit); its normalisation is proved, not assumed. (For weights that are
undefined functions of theta the verifier's sampling of the first step needs most of its time
budget; with phi and c it samples numbers.) With b = 1 this is the statement that the score
has mean zero.
"""
import sympy as sp

from derivations import fisher_information
from derivations._notation import theta
from pgsym import Derivation, Expectation

a = sp.Symbol("a", integer=True)
#: the number of actions
A = sp.Symbol("A", integer=True, positive=True)
ACTIONS = (a, 0, A - 1)
#: the baseline b(s), fixed with the state
b = sp.Symbol("b", real=True)
#: the policy pi(a; theta) in the state s, and any positive f
pi = sp.Function("pi", positive=True)
f = sp.Function("f", positive=True)
#: the softmax policy's weights exp(theta phi_a + c_a)
WEIGHTS = fisher_information.WEIGHTS

EQUATION = "section 4 (baselines)"


def _product(*factors):
    return sp.Mul(*factors, evaluate=False)


def _d(expr):
    return sp.Derivative(expr, theta)


def score_times_baseline() -> Derivation:
    """sum_a f grad log f b = b sum_a grad f, for any positive f."""
    value = f(a, theta)
    lemma = Derivation(
        "the score times a baseline, summed over actions",
        start=sp.Sum(_product(value, _d(sp.log(value)), b), ACTIONS),
        parameters=(theta,),
        equation=EQUATION,
        description="For any positive $f$ over $A$ actions and any $b$ that does not depend on "
                    "the action, $\\sum_a f \\, \\partial \\log f \\, b = b \\sum_a \\partial f$.",
    )
    lemma.step(sp.Sum(_product(value, _product(_d(value), 1 / value), b), ACTIONS),
               rule="log-derivative identity")
    lemma.step(sp.Sum(_product(_d(value), b), ACTIONS), rule="multiply by one",
               note="$f > 0$")
    lemma.step(_product(b, sp.Sum(_d(value), ACTIONS)), rule="linearity of sums",
               note="$b$ does not depend on $a$")
    return lemma


def unbiased(lemma: Derivation, mean_zero: Derivation) -> Derivation:
    """E_{a~pi}[grad log pi b] = 0 for pi the softmax over A actions, logits linear in theta."""
    policy = pi(a, theta)
    k = fisher_information.k
    probabilities = WEIGHTS(a, theta) / sp.Sum(WEIGHTS(k, theta), (k, 0, A - 1))
    d = Derivation(
        "baseline is unbiased",
        start=Expectation(_product(_d(sp.log(policy)), b), ACTIONS, policy),
        definitions={pi: sp.Lambda((a, theta), probabilities)},
        parameters=(theta,),
        equation=EQUATION,
        description="A baseline $b(s)$ that does not depend on the action adds nothing to the "
                    "gradient of a softmax policy over $A$ actions ($A$ symbolic), "
                    "$\\pi(a; \\theta) \\propto e^{\\theta \\phi_a + c_a}$.",
    )
    d.step(sp.Sum(_product(policy, _d(sp.log(policy)), b), ACTIONS),
           rule="definition of expectation")
    d.step(_product(b, sp.Sum(_d(policy), ACTIONS)), rule=lemma, using={f: pi},
           note="with $f = \\pi$")
    d.step(_product(b, sp.Sum(_d(probabilities), ACTIONS)), rule="definition",
           note="the softmax")
    d.step(_product(b, sp.Integer(0)), rule=mean_zero, using={fisher_information.w: WEIGHTS},
           note="with $w(a; \\theta) = e^{\\theta \\phi_a + c_a}$")
    d.step(sp.Integer(0), rule="algebra")
    return d


def build() -> list[Derivation]:
    _, mean_zero, _, _ = fisher_information.lemmas()
    lemma = score_times_baseline()
    return [lemma, unbiased(lemma, mean_zero)]
