"""LaTeX for derivations: SymPy's LaTeX printer taught the notation of the notes.

``p(x; theta)`` separates parameters from arguments, ``\\nabla_\\theta`` stands for the
derivative with respect to a parameter, ``dz/d\\theta`` for that of a named quantity, and a
product whose factor was grouped by hand keeps its grouping in brackets.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from pgsym.distribution import assumed_distributions
from pgsym.document import Document, heading
from pgsym.printing.text import summary
from pgsym.printing import verdicts

if TYPE_CHECKING:  # pragma: no cover
    from pgsym.derivation import Derivation
    from pgsym.report import Report, StepReport


def exact_decimal(number: int) -> str:
    """All digits of ``number``, also past Python's limit on converting huge integers to text.

    >>> len(exact_decimal(10**5000))
    5001
    """
    try:
        return str(number)
    except ValueError:  # more digits than sys.get_int_max_str_digits()
        sign, number = ("-", -number) if number < 0 else ("", number)
        half = 10 ** (len(bin(number)) * 3 // 20)  # about half the digits
        high, low = divmod(number, half)
        width = len(exact_decimal(half)) - 1
        return sign + exact_decimal(high) + exact_decimal(low).rjust(width, "0")


class DerivationLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the notation of the notes.

    >>> import sympy as sp
    >>> theta = sp.Symbol("theta")
    >>> p = sp.Function("p")(sp.Symbol("x"), theta)
    >>> DerivationLatexPrinter({"parameters": (theta,)}).doprint(sp.Derivative(p, theta))
    '\\\\nabla_{\\\\theta} p\\\\left(x; \\\\theta\\\\right)'
    """

    _default_settings = {**LatexPrinter._default_settings, "parameters": (), "order": "none"}

    def _print_Integer(self, expr: sp.Integer) -> str:
        return exact_decimal(int(expr))

    def _print_Rational(self, expr: sp.Rational) -> str:
        if expr.q == 1:
            return exact_decimal(expr.p)
        sign, numerator = ("- ", -expr.p) if expr.p < 0 else ("", expr.p)
        numerator, denominator = exact_decimal(numerator), exact_decimal(expr.q)
        if self._settings["fold_short_frac"]:
            return f"{sign}{numerator} / {denominator}"
        return rf"{sign}\frac{{{numerator}}}{{{denominator}}}"

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

    # (an Expectation, and a declared distribution's value, print themselves in any LaTeX
    # printer through their _latex methods, with this printer's notation for their parts)


def expression_to_latex(expr: sp.Basic, parameters: tuple = ()) -> str:
    """Returns ``expr`` in the notation of the notes."""
    return DerivationLatexPrinter({"parameters": parameters}).doprint(expr)


_TEXT_SPECIALS = {"\\": r"\textbackslash{}", "#": r"\#", "%": r"\%", "&": r"\&", "_": r"\_",
                  "{": r"\{", "}": r"\}", "^": r"\^{}", "~": r"\~{}"}


def _escape_text(text: str) -> str:
    """Escapes LaTeX specials in plain text, leaving ``$...$`` math as written.

    >>> print(_escape_text("J_1 ^ {x} $J_1$"))
    J\\_1 \\^{} \\{x\\} $J_1$
    """
    pieces = text.split("$")
    for i in range(0, len(pieces), 2):
        pieces[i] = re.sub(r"[\\#%&_{}^~]", lambda m: _TEXT_SPECIALS[m.group()], pieces[i])
    return "$".join(pieces)


@dataclass(frozen=True)
class Line:
    """One printed line of a derivation: the left side (first line only, else empty), the
    right side, both in LaTeX, the justification (text with ``$...$`` math) and the verdict."""

    number: int
    left: str
    right: str
    justification: str
    verdict: "StepReport | None" = None
    #: the step's relation to the one before it, as LaTeX (``=``, ``\le``, ...)
    relation: str = "="


def lines(derivation: "Derivation", report: "Report | None" = None) -> list[Line]:
    """Returns the derivation's lines, the one form every printer reads.

    >>> import sympy as sp
    >>> from pgsym import Derivation
    >>> x = sp.Symbol("x")
    >>> [(l.left, l.right) for l in lines(Derivation("d", start=x * x).step(x**2, rule="algebra"))]
    [('x^{2}', 'x^{2}')]
    """
    def show(expr: sp.Basic) -> str:
        return expression_to_latex(expr, derivation.parameters)

    verdicts = {s.number: s for s in report.steps} if report is not None else {}
    return [Line(number, show(derivation.start) if number == 1 else "", show(step.expr),
                 step.justification, verdicts.get(number), RELATION_LATEX[step.relation])
            for number, step in enumerate(derivation.steps, start=1)]


#: how each relation a step may claim is typeset
RELATION_LATEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">"}


def derivation_to_latex(derivation: "Derivation", report: "Report | None" = None, *,
                        environment: str = "align*", justification_width: str | None = None) -> str:
    """Returns the derivation as aligned steps with their justifications, like the notes.

    With a ``report``, each justification ends with the step's verdict; with a
    ``justification_width`` (``"6cm"``), each justification is a tag that wide at the right
    margin, which amsmath moves below a step too wide to share its line.
    """
    rows = []
    for line in lines(derivation, report):
        comment = r"\# " + _escape_text(line.justification)
        verdict = "" if line.verdict is None else "[" + verdict_label(line.verdict) + "]"
        if not justification_width:
            comment = r"\text{" + comment + "}" + (r" \quad \text{" + verdict + "}" if verdict else "")
            rows.append(f"{line.left} &{line.relation} {line.right} && {comment}")
            continue
        # a tag: amsmath sets it at the right margin, or below the step where the step is wide
        tag = rf"\tag*{{\parbox[t]{{{justification_width}}}{{\raggedright\small {comment} {verdict}}}}}"
        if line.left and len(_visible(line.left + line.right)) > _LONG_LINE:
            rows.append(f"{line.left} & \\notag")  # the start on a line of its own
            rows.append(f"&{line.relation} {line.right} {tag}")
        else:
            rows.append(f"{line.left} &{line.relation} {line.right} {tag}")
    body = " \\\\\n".join(rows)
    return f"\\begin{{{environment}}}\n{body}\n\\end{{{environment}}}\n"


#: characters of typeset math (roughly) that fit beside a justification column on a page
_LONG_LINE = 45


def _visible(latex: str) -> str:
    """The characters of ``latex`` that are typeset, roughly: commands and braces dropped."""
    return re.sub(r"\\[a-zA-Z]+|[{}\s^_]", "", latex)


def verdict_label(step_report: "StepReport") -> str:
    """The verdict as printed beside a step: ``proved``, ``checked numerically only: NOT
    verified: 72 points, 0 undefined``... (see :mod:`pgsym.printing.verdicts`); a proof that
    rests on declared distributions being normalised says so (``proved under a stated
    assumption; assuming p is a probability distribution``)."""
    assumed = assumed_distributions(step_report.verdict)
    label = verdicts.label(step_report)
    return f"{label}; {assumed}" if assumed and step_report.ok else label


def _paragraph_to_latex(paragraph: str) -> str:
    if paragraph.startswith("$$") and paragraph.endswith("$$"):
        return "\\[ " + paragraph[2:-2].strip() + " \\]"
    return _escape_text(paragraph)


_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath,amssymb,graphicx}
\setlength{\textwidth}{17cm}
\setlength{\oddsidemargin}{-0.46cm}
\setlength{\textheight}{24cm}
\setlength{\topmargin}{-1.5cm}
\allowdisplaybreaks
"""


def document_to_latex(document: "Document", *, header: str = "") -> str:
    """Returns a standalone LaTeX document (amsmath): the sections, every derivation aligned
    with its justifications and verdicts, the figures and the errata.

    Figures are included by file name, so compile beside them (``pgsym build --pdf`` does).
    """
    out = [header, _PREAMBLE,
           f"\\title{{{_escape_text(document.title)}}}",
           "\\author{Verified and generated by pgsym}",
           f"\\date{{\\parbox{{\\linewidth}}{{\\centering\\small From: {_escape_text(document.source)}}}}}"
           if document.source else "\\date{}", "", "\\begin{document}", "\\maketitle", "",
           _escape_text(summary(list(document.reports))) + ".", ""]
    for section in document.sections:
        out += [f"\\section*{{{_escape_text(section.title)}}}", ""]
        out += [p for paragraph in section.paragraphs() for p in (_paragraph_to_latex(paragraph), "")]
        for entry in section.entries:
            derivation, report = entry.derivation, document.report(entry)
            out += [f"\\subsection*{{{_escape_text(heading(entry))}}}", ""]
            if derivation.description:
                out += [_escape_text(derivation.description), ""]
            out += [derivation_to_latex(derivation, report, justification_width="5.5cm")]
        for figure in document.figures_of(section):
            out += ["\\begin{figure}[htbp]", "\\centering",
                    f"\\IfFileExists{{{figure.file}}}{{\\includegraphics[width=0.75\\linewidth]"
                    f"{{{figure.file}}}}}{{\\fbox{{{_escape_text(figure.file)} was not built}}}}",
                    f"\\caption{{{_escape_text(figure.caption)}}}", "\\end{figure}", ""]
    out += ["\\section*{Errata}", ""]
    errata = document.errata()
    if errata:
        out.append("\\begin{itemize}")
        for found in errata:
            out.append(f"\\item \\textbf{{{_escape_text(found.erratum.location)}}}: the notes say "
                       f"``{_escape_text(found.erratum.says)}''. Correction: "
                       f"{_escape_text(found.erratum.correction)}. Shown by: "
                       f"\\emph{{{_escape_text(found.entry.derivation.name)}}} ({found.status}).")
        out.append("\\end{itemize}")
    else:
        out.append("None recorded.")
    out += ["", "\\end{document}", ""]
    return "\n".join(out)
