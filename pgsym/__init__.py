"""pgsym: machine-checked derivations of policy gradients and the log-derivative trick.

>>> import sympy as sp
>>> from pgsym import Derivation
>>> x = sp.Symbol("x", positive=True)
>>> Derivation("log of a square", start=sp.log(x**2)).step(2 * sp.log(x), rule="algebra").verify().ok
True
"""
from __future__ import annotations

import importlib

# Names are imported on first use, so that `import pgsym.gradients` does not import SymPy.
_HOMES = {
    "pgsym.building": ("BuildResult", "build"),
    "pgsym.compiler": ("compile",),
    "pgsym.derivation": ("CollapsedStepWarning", "Derivation", "DerivationError", "Erratum",
                         "Step", "StepError"),
    "pgsym.distribution": ("Distribution",),
    "pgsym.expectation": ("Expectation",),
    "pgsym.notation": ("Notation",),
    "pgsym.report": ("Counterexample", "Justification", "Report", "RuleCheck", "StepReport",
                     "Verdict", "VerdictKind"),
    "pgsym.rules": ("Rule", "RuleContext", "get_rule", "registered_rules"),
    "pgsym.rules.lemmas": ("Equation",),
    "pgsym.verification": ("Settings", "check_equal", "verify", "verify_many"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str):
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pgsym' has no attribute {name!r}")


__all__ = [
    "BuildResult",
    "CollapsedStepWarning",
    "Counterexample",
    "Derivation",
    "DerivationError",
    "Distribution",
    "Equation",
    "Erratum",
    "Expectation",
    "Justification",
    "Notation",
    "Report",
    "Rule",
    "RuleCheck",
    "RuleContext",
    "Settings",
    "Step",
    "StepError",
    "StepReport",
    "Verdict",
    "VerdictKind",
    "build",
    "check_equal",
    "compile",
    "get_rule",
    "registered_rules",
    "verify",
    "verify_many",
]
