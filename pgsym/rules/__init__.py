"""The rules that justify steps: one registry of built-in rules, and rules users pass in.

The built-in rules live by subject: :mod:`~pgsym.rules.calculus` (derivatives and
logarithms), :mod:`~pgsym.rules.limits` (sums, integrals, expectations),
:mod:`~pgsym.rules.algebraic` (definitions, regrouping, substitution) and
:mod:`~pgsym.rules.indexed` (indexed variables, finite sums, Kronecker deltas); the registry and
the way rules are checked are in :mod:`~pgsym.rules._core`.

>>> sorted(registered_rules())[:3]
['algebra', 'associativity', 'chain rule']
"""
from pgsym.rules import algebraic, calculus, indexed, limits  # noqa: F401  (they register the rules)
from pgsym.rules._core import (Justification, Rule, RuleCheck, RuleContext, RuleRefused,
                               canonical, check_chain, get_rule, is_builtin_name,
                               registered_rules)

__all__ = ["Justification", "Rule", "RuleCheck", "RuleContext", "RuleRefused", "canonical",
           "check_chain", "get_rule", "is_builtin_name", "registered_rules"]
