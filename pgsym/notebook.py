"""What Jupyter shows for a derivation: the hand-overs of ``Derivation._repr_html_`` and
``_repr_latex_``, kept out of the model so that it imports no printer.

>>> import sympy as sp
>>> from pgsym import Derivation
>>> x = sp.Symbol("x")
>>> derivation_latex(Derivation("d", start=x * (x + 1)).step(x**2 + x, rule="algebra"))[:33]
'$\\\\displaystyle \\\\begin{aligned}\\nx '
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from pgsym.printing.html import derivation_to_html
from pgsym.printing.latex import derivation_to_latex

if TYPE_CHECKING:  # pragma: no cover
    from pgsym.derivation import Derivation


def derivation_html(derivation: "Derivation") -> str:
    """The derivation as an HTML table (MathML), without verdicts."""
    return derivation_to_html(derivation)


def derivation_latex(derivation: "Derivation") -> str:
    """The derivation as one displayed ``aligned`` block, justifications beside the steps."""
    return "$\\displaystyle " + derivation_to_latex(derivation, None, environment="aligned") + "$"
