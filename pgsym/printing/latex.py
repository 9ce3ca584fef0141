"""LaTeX for derivations: SymPy's LaTeX printer taught the notation of the notes.

``p(x; theta)`` separates parameters from arguments, ``\\nabla_\\theta`` stands for the
derivative with respect to a parameter, ``dz/d\\theta`` for that of a named quantity, and a
product whose factor was grouped by hand keeps its grouping in brackets.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from pgsym.expectation import Expectation
from pgsym.verify import VerdictKind

if TYPE_CHECKING:  # pragma: no cover
    from pgsym.derivation import Derivation
    from pgsym.verify import Report, StepReport


class DerivationLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the notation of the notes.

    >>> import sympy as sp
    >>> theta = sp.Symbol("theta")
    >>> p = sp.Function("p")(sp.Symbol("x"), theta)
    >>> DerivationLatexPrinter({"parameters": (theta,)}).doprint(sp.Derivative(p, theta))
    '\\\\nabla_{\\\\theta} p\\\\left(x; \\\\theta\\\\right)'
    """

    _default_settings = {**LatexPrinter._default_settings, "parameters": (), "order": "none"}

    def _parameters(self) -> tuple:
        return tuple(self._settings["parameters"])

    def _print_AppliedUndef(self, expr: AppliedUndef, exp=None) -> str:
        name = self._deal_with_super_sub(type(expr).__name__)
        arguments = [a for a in expr.args if a not in self._parameters()]
        parameters = [a for a in expr.args if a in self._parameters()]
        text = ", ".join(self._print(a) for a in arguments)
        if parameters:
            joined = ", ".join(self._print(a) for a in parameters)
            text = f"{text}; {joined}" if arguments else joined
        printed = f"{name}\\left({text}\\right)"
        return f"{printed}^{{{exp}}}" if exp is not None else printed

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        counts = expr.variable_count
        if len(counts) != 1 or counts[0][1] != 1:
            return super()._print_Derivative(expr)
        variable = counts[0][0]
        if isinstance(expr.expr, sp.Symbol):
            return f"\\frac{{d {self._print(expr.expr)}}}{{d {self._print(variable)}}}"
        if variable in self._parameters():
            inner = self._print(expr.expr)
            if isinstance(expr.expr, (sp.Add, sp.Mul)):
                inner = f"\\left({inner}\\right)"
            return f"\\nabla_{{{self._print(variable)}}} {inner}"
        return super()._print_Derivative(expr)

    def _print_Mul(self, expr: sp.Mul) -> str:
        if not any(isinstance(a, sp.Mul) for a in expr.args):
            return super()._print_Mul(expr)
        parts = []
        for factor in expr.args:
            printed = self._print(factor)
            if isinstance(factor, sp.Mul):
                printed = f"\\left[{printed}\\right]"
            elif isinstance(factor, sp.Add):
                printed = f"\\left({printed}\\right)"
            parts.append(printed)
        return " \\cdot ".join(parts)

    def _print_Expectation(self, expr: Expectation) -> str:
        variable = self._print(expr.variable)
        return (f"\\mathbb{{E}}_{{{variable} \\sim {self._print(expr.density)}}}"
                f"\\left[{self._print(expr.body)}\\right]")


def expression_to_latex(expr: sp.Basic, parameters: tuple = ()) -> str:
    """Returns ``expr`` in the notation of the notes."""
    return DerivationLatexPrinter({"parameters": parameters}).doprint(expr)


def _escape_text(text: str) -> str:
    """Escapes LaTeX specials in plain text, leaving ``$...$`` math as written."""
    pieces = text.split("$")
    for i in range(0, len(pieces), 2):
        for special, escaped in (("\\", r"\textbackslash{}"), ("#", r"\#"), ("%", r"\%"),
                                 ("&", r"\&"), ("_", r"\_"), ("{", r"\{"), ("}", r"\}")):
            pieces[i] = pieces[i].replace(special, escaped)
    return "$".join(pieces)


def derivation_to_latex(derivation: "Derivation", report: "Report | None" = None, *,
                        environment: str = "align*") -> str:
    """Returns the derivation as aligned steps with their justifications, like the notes.

    With a ``report``, each justification ends with the step's verdict.
    """
    def show(expr: sp.Basic) -> str:
        return expression_to_latex(expr, derivation.parameters)

    verdicts = {s.number: s for s in report.steps} if report is not None else {}
    lines = []
    for number, step in enumerate(derivation.steps, start=1):
        left = show(derivation.start) if number == 1 else ""
        comment = r"\text{\# " + _escape_text(step.justification) + "}"
        if number in verdicts:
            comment += r" \quad \text{[" + _verdict_label(verdicts[number]) + "]}"
        lines.append(f"{left} &= {show(step.expr)} && {comment}")
    body = " \\\\\n".join(lines)
    return f"\\begin{{{environment}}}\n{body}\n\\end{{{environment}}}\n"


def _verdict_label(step_report: "StepReport") -> str:
    verdict = step_report.verdict
    label = verdict.kind.value
    if verdict.tolerance is not None and verdict.kind is VerdictKind.CHECKED_NUMERICALLY:
        label += f", rel. tol. {verdict.tolerance:.0e}"
    if not step_report.ok and verdict.kind.holds:
        label += ", wrong justification"
    return label
