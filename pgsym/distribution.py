"""Probability distributions declared once (:class:`Distribution`), whose constructor proves
with the verifier that values given for them sum, or integrate, to one.

The class and everything the rules, the verifier and the printers read of it live in
:mod:`pgsym._distributions`, which imports none of them, and the rules that read it in
:mod:`pgsym.rules.distributions`; this module installs the verifier's proof there, so that
importing ``Distribution`` from here (or from ``pgsym``) gives a constructor that checks.

>>> import sympy as sp
>>> x = sp.Symbol("x", integer=True)
>>> Distribution("coin", (x, 0, 1), sp.Rational(1, 2)).is_known_normalised
True
"""
from __future__ import annotations

import sympy as sp

from pgsym import verification
from pgsym._distributions import (ASSUMING_DISTRIBUTIONS, CHECK_TIME_LIMIT, Distribution,
                                  DistributionError, DistributionValue, assumed_distributions,
                                  compare_with_distributions, distribution_of,
                                  use_normalisation_prover, with_values)
from pgsym._isolation import cpu_allowance, run_tasks
from pgsym.report import Verdict, VerdictKind
from pgsym.rules.distributions import (check_expectation_of_constant, check_sum_of_distribution,
                                       rewrite_expectation_of_constant,
                                       rewrite_sum_of_distribution)

__all__ = ["ASSUMING_DISTRIBUTIONS", "CHECK_TIME_LIMIT", "Distribution", "DistributionError",
           "DistributionValue", "assumed_distributions", "check_expectation_of_constant",
           "check_sum_of_distribution", "compare_with_distributions", "distribution_of",
           "rewrite_expectation_of_constant", "rewrite_sum_of_distribution", "with_values"]


def _proved_equal(a: sp.Expr, b: sp.Expr, time_limit: float) -> Verdict:
    """The verifier's symbolic verdict on ``a = b`` (no sampling: a constructor needs a
    proof, and quadrature at extreme parameters can be fooled), in a child process."""
    settings = verification.Settings(time_limit)

    def task(emit) -> None:
        emit(verification._compare(a, b, settings, verification._Budget(time_limit),
                                   numeric=False))

    [outcome] = run_tasks([task], cpu_seconds=cpu_allowance(time_limit))
    if outcome.messages:
        return outcome.messages[0]
    return Verdict(VerdictKind.UNKNOWN, outcome.ended, outcome.detail or "the proof did not finish")


use_normalisation_prover(_proved_equal)
