"""Baselines leave the policy gradient unbiased: E_{a~pi}[grad log pi(s, a) b(s)] = 0.

For a softmax policy over A = 2, ..., 5 actions with arbitrary logits and any baseline
b(s) that does not depend on the action: sum_a pi grad log pi b = b grad sum_a pi = b grad 1 = 0.
With b = 1 this is also the statement that the score has mean zero.
"""
import sympy as sp

from pgsym import Derivation, Expectation

a, c = sp.symbols("a c", integer=True)
s = sp.Symbol("s", real=True)
logits = sp.IndexedBase("theta", real=True)
baseline = sp.Function("b", real=True)
pi = sp.Function("pi", positive=True)

ACTION_COUNTS = range(2, 6)


def _unevaluated(*factors):
    return sp.Mul(*factors, evaluate=False)


def build_for(actions: int) -> Derivation:
    wrt = logits[1]
    policy = pi(a)
    limits = (a, 1, actions)
    d = Derivation(
        f"baseline is unbiased, softmax A={actions}",
        start=Expectation(_unevaluated(sp.Derivative(sp.log(policy), wrt), baseline(s)), limits, policy),
        definitions={pi: sp.Lambda(a, sp.exp(logits[a]) / sp.Sum(sp.exp(logits[c]), (c, 1, actions)))},
        parameters=(wrt,),
        equation="section 4 (baselines)",
        description=f"A state-dependent baseline adds nothing to the gradient ({actions} actions).",
    )
    d.step(sp.Sum(_unevaluated(policy, sp.Derivative(sp.log(policy), wrt), baseline(s)), limits),
           rule="definition of expectation")
    d.step(sp.Sum(_unevaluated(policy, _unevaluated(sp.Derivative(policy, wrt), 1 / policy), baseline(s)), limits),
           rule="log-derivative identity")
    d.step(sp.Sum(_unevaluated(sp.Derivative(policy, wrt), baseline(s)), limits), rule="multiply by one")
    d.step(_unevaluated(baseline(s), sp.Sum(sp.Derivative(policy, wrt), limits)), rule="algebra",
           note="$b(s)$ does not depend on $a$")
    d.step(_unevaluated(baseline(s), sp.Derivative(sp.Sum(policy, limits), wrt)), rule="swap sum and gradient")
    d.step(_unevaluated(baseline(s), sp.Derivative(sp.Integer(1), wrt)), rule="algebra",
           note="$\\sum_a \\pi(a) = 1$")
    d.step(sp.Integer(0), rule="algebra")
    return d


def build() -> list[Derivation]:
    return [build_for(n) for n in ACTION_COUNTS]
