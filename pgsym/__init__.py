"""pgsym: machine-checked derivations of policy gradients and the log-derivative trick.

>>> import sympy as sp
>>> from pgsym import Derivation
>>> x = sp.Symbol("x", positive=True)
>>> Derivation("log of a square", start=sp.log(x**2)).step(2 * sp.log(x), rule="algebra").verify().ok
True
"""
from pgsym.derivation import Derivation, DerivationError, Erratum, Step, StepError
from pgsym.expectation import Expectation
from pgsym.rules import Justification, Rule, RuleCheck, get_rule, register_rule, registered_rules
from pgsym.verify import Counterexample, Report, StepReport, Verdict, VerdictKind, check_equal, verify

__all__ = [
    "Counterexample",
    "Derivation",
    "DerivationError",
    "Erratum",
    "Expectation",
    "Justification",
    "Report",
    "Rule",
    "RuleCheck",
    "Step",
    "StepError",
    "StepReport",
    "Verdict",
    "VerdictKind",
    "check_equal",
    "get_rule",
    "register_rule",
    "registered_rules",
    "verify",
]
