"""Probability distributions declared once: a support, values, and the facts the verifier
knows about them (the values are non-negative and sum, or integrate, to one).

This module is what the rules, the verifier and the printers read of distributions; it
imports none of them. The public :mod:`pgsym.distribution` is the same class with the
verifier's proof of normalisation installed (:func:`use_normalisation_prover`): the
constructor proves that given values sum to one, and the prover lives above the rules
that read this module.

A :class:`Distribution` is declared over a finite or infinite range of an integer variable
(a probability mass function) or over an interval of a real one (a density), either

* **by its values**, an expression in the variable and the parameters (a softmax, a
  Gaussian): the verifier reads every value, so every fact about it is *proved*; the
  constructor checks that SymPy shows the values non-negative and proves that they sum to
  one (the proved fact is then used by the verifier as it is); or
* **abstractly**, as an undefined function of the variable and the parameters (``p(x;
  theta)``): nothing shows that it sums to one, so a step whose proof needs it is **proved
  under the stated assumption** that ``p`` is a probability distribution, and every output
  says so beside the step.

How the value check knows the normalisation (:func:`compare_with_distributions`): a step
is first compared with ``p`` an arbitrary non-negative function; what holds for every such
function holds for every distribution, and needs no assumption. Failing that, it is
compared with every abstract ``p`` written as ``w(x; theta) / sum_x w(x; theta)`` for an
arbitrary weight ``w`` (every distribution over the support is of that form for a
non-negative ``w``, and every such quotient is one), and with each sum of ``c p(x)`` over
exactly ``p``'s support replaced by ``c``. A proof there holds for every distribution, under
the assumption; a counterexample is a genuine distribution. The fact is used for nothing
else: a sum over another range, or of a function that was not declared, or with parameter
values outside the declared parameters' assumptions, is never one by it.

>>> import sympy as sp
>>> from pgsym import Distribution, Expectation
>>> x = sp.Symbol("x", integer=True)
>>> theta = sp.Symbol("theta", real=True)
>>> p = Distribution("p", (x, 1, 3), parameters=(theta,))          # abstract
>>> Expectation(x**2, p)
Expectation(x**2, (x, 1, 3), p(x, theta))
>>> sp.latex(Expectation(x**2, p))
'\\\\mathbb{E}_{x \\\\sim p(\\\\cdot; \\\\theta)}\\\\left[x^{2}\\\\right]'
>>> coin = Distribution("coin", (x, 0, 1), sp.Rational(1, 2))          # by its values
>>> coin.expectation(x).doit()
1/2
"""
from __future__ import annotations

import dataclasses
import re
import weakref
from typing import Callable, Iterable, Sequence

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from pgsym._trees import (range_assumptions, rebuild, rename_bound, replace_unevaluated,
                          untrusted_functions)
from pgsym.expectation import DeclaredDistribution, Expectation
from pgsym.report import Verdict, VerdictKind
from pgsym.sampling import respects

__all__ = ["ASSUMING_DISTRIBUTIONS", "Distribution", "DistributionError", "DistributionValue",
           "assumed_distributions", "compare_with_distributions", "distribution_of",
           "signs_as_declared", "use_normalisation_prover", "values_written_out",
           "with_values"]

#: the method of a value verdict that rests on abstract distributions being normalised
ASSUMING_DISTRIBUTIONS = "declared distributions"
#: CPU seconds the constructor may spend proving that given values sum to one
CHECK_TIME_LIMIT = 30.0


class DistributionError(ValueError):
    """A distribution is malformed, or its values are not shown to be a distribution."""


class DistributionValue(AppliedUndef):
    """The value ``p(x; theta)`` of a declared distribution: an undefined function's
    application whose class knows its :class:`Distribution` (``type(value).distribution``)."""

    def __reduce__(self):
        # rebuilt through its distribution: SymPy would rebuild the class without the base
        # DistributionValue, equal to it all the same, and SymPy's cache would then hand that
        # plain function to every later p(x) built in the process (printed and checked as an
        # arbitrary function)
        return (_distribution_value, (type(self).distribution, self.args))

    def doit(self, **hints) -> sp.Expr:
        """The value itself where the distribution is given by its values."""
        distribution = type(self).distribution
        if distribution.is_abstract:
            return self
        value = distribution.values_at(self)
        return value.doit(**hints) if hints.get("deep", True) else value

    def _latex(self, printer, exp=None, **_) -> str:
        name = _latex_name(type(self).__name__, printer)
        value = printer._print(self.args[0])
        parameters = ", ".join(printer._print(a) for a in self.args[1:])
        text = f"{name}({value}; {parameters})" if parameters else f"{name}({value})"
        return f"{text}^{{{exp}}}" if exp is not None else text


def _distribution_value(distribution: "Distribution", args: tuple) -> sp.Expr:
    """A distribution's value, as unpickled."""
    return distribution.function(*args)


def _latex_name(name: str, printer) -> str:
    deal = getattr(printer, "_deal_with_super_sub", None)
    return deal(name) if deal is not None else name


#: keys of the distributions whose values the constructor proved to sum to one
_PROVED_NORMALISED: set[tuple] = set()

#: ``prove(a, b, time_limit) -> Verdict``: the symbolic verdict on ``a = b`` that the
#: constructor needs to accept values as a distribution (installed by pgsym.distribution)
NormalisationProver = Callable[[sp.Expr, sp.Expr, float], Verdict]
_PROVER: list[NormalisationProver] = []


def use_normalisation_prover(prover: NormalisationProver) -> None:
    """Installs the proof that :class:`Distribution`'s constructor asks for (``check=True``)
    when values are given: the verifier's, which sits above the rules that read this module
    and so cannot be imported here. :mod:`pgsym.distribution` installs it."""
    _PROVER[:] = [prover]


class Distribution(DeclaredDistribution):
    """A probability distribution over ``support = (variable, lower, upper)``, declared once.

    ``values`` is an expression in the variable and the ``parameters`` (or ``None``: the
    values are an undefined function, ``p(x; theta)``, assumed to be a distribution). An
    integer variable gives a probability mass function over ``lower, ..., upper`` (bounds
    may be infinite), a real one a density on ``(lower, upper)``. The values are declared
    non-negative (``positive=True``: positive), and that is checked where they are given.

    ``p(x)`` is the value at ``x`` (``p(k, s, theta)`` with other parameter values);
    ``Expectation(f(x), p)`` or ``p.expectation(f(x))`` is ``E_{x ~ p}[f(x)]``.

    >>> import sympy as sp
    >>> a, s = sp.Symbol("a", integer=True), sp.Symbol("s", integer=True)
    >>> theta = sp.Symbol("theta", real=True)
    >>> pi = Distribution("pi", (a, 0, 1), parameters=(s, theta))   # pi(a | s; theta)
    >>> pi(a)
    pi(a, s, theta)
    >>> pi.expectation(a).unfold()
    Sum(a*pi(a, s, theta), (a, 0, 1))

    With ``check=True`` (the default), values that SymPy cannot prove sum to one (within
    ``time_limit`` CPU seconds) are refused; ``check=False`` declares them anyway: the
    verifier still reads the values in every step, so nothing unproved is accepted, but
    the sum is then not known to be one without computing it.
    """

    def __init__(self, name: str, support: Sequence, values: sp.Expr | None = None,
                 parameters: Sequence[sp.Symbol] = (), *, positive: bool = False,
                 check: bool = True, time_limit: float = CHECK_TIME_LIMIT) -> None:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name):
            raise DistributionError(f"Distribution: the name must be an identifier such as 'p' "
                                    f"or 'pi', got {name!r}")
        try:
            variable, lower, upper = (sp.sympify(a, strict=True) for a in support)
            parameters = tuple(sp.sympify(p, strict=True) for p in parameters)
            values = None if values is None else sp.sympify(values, strict=True)
        except (TypeError, ValueError, sp.SympifyError) as error:
            raise DistributionError(f"Distribution {name!r}: {error}; write Distribution(name, "
                                    f"(variable, lower, upper), values, parameters)") from None
        self.name, self.variable, self.lower, self.upper = name, variable, lower, upper
        self.values, self.parameters, self.positive = values, parameters, bool(positive)
        self._check_declaration()
        if values is not None:
            self._check_values(check, time_limit)
        self._declared = True

    def __setattr__(self, name: str, value) -> None:
        # declared once: values set afterwards would skip the checks of their sign (which the
        # function's assumptions then state) and of their total
        if getattr(self, "_declared", False):
            raise AttributeError(f"Distribution {self.name!r} is declared once: its {name} "
                                 f"cannot change; declare another Distribution")
        super().__setattr__(name, value)

    # -- identity -----------------------------------------------------------------------
    @property
    def _key(self) -> tuple:
        return (self.name, self.variable, self.lower, self.upper, self.values, self.parameters,
                self.positive)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Distribution) and self._key == other._key

    def __hash__(self) -> int:
        return hash(("Distribution",) + self._key)

    def __repr__(self) -> str:
        values = "" if self.values is None else f", {self.values}"
        parameters = f", parameters={self.parameters}" if self.parameters else ""
        return f"Distribution({self.name!r}, {tuple(self.support)}{values}{parameters})"

    def __reduce__(self):
        return (_restored, self._key)

    # -- reading ------------------------------------------------------------------------
    @property
    def support(self) -> sp.Tuple:
        return sp.Tuple(self.variable, self.lower, self.upper)

    @property
    def is_discrete(self) -> bool:
        return bool(self.variable.is_integer)

    @property
    def is_abstract(self) -> bool:
        """Whether the values are an undefined function (their normalisation is assumed)."""
        return self.values is None

    @property
    def function(self) -> UndefinedFunction:
        """The undefined function whose applications are this distribution's values."""
        found = _FUNCTIONS.get(self)
        if found is None:
            facts = {"positive": True} if self.positive else {"nonnegative": True}
            found = UndefinedFunction(self.name, bases=(DistributionValue,), distribution=self,
                                      **facts)
            _FUNCTIONS[self] = found
        return found

    def __call__(self, *arguments) -> sp.Expr:
        """``p(x; theta)``: the value at ``arguments[0]`` (default: the variable), with the
        declared parameters or, after the value, other values for all of them."""
        if len(arguments) > 1 and len(arguments) != 1 + len(self.parameters):
            raise TypeError(f"{self.name} takes a value and {len(self.parameters)} "
                            f"parameter(s) {self.parameters}, or a value alone; got {arguments}")
        if not arguments:
            arguments = (self.variable,)
        if len(arguments) == 1:
            arguments = arguments + self.parameters
        return self.function(*arguments)

    def expectation(self, body: sp.Expr, variable: sp.Symbol | None = None) -> Expectation:
        """``E_{x ~ p}[body]`` over ``variable`` (default: the declared one).

        >>> import sympy as sp
        >>> from pgsym import Distribution
        >>> k = sp.Symbol("k", integer=True)
        >>> Distribution("u", (k, 1, 4), sp.Rational(1, 4)).expectation(k).doit()
        5/2
        """
        return Expectation(body, (variable if variable is not None else self.variable, self))

    def total(self, variable: sp.Symbol | None = None) -> sp.Expr:
        """``sum_x p(x; theta)`` over the support (an integral for a density): one."""
        variable = self.variable if variable is None else variable
        kind = sp.Sum if self.is_discrete else sp.Integral
        return kind(self(variable), (variable, self.lower, self.upper))

    def bounds_at(self, parameters: Sequence[sp.Expr]) -> tuple[sp.Expr, sp.Expr]:
        """The support's bounds for the given values of the parameters."""
        mapping = dict(zip(self.parameters, parameters))
        return self.lower.xreplace(mapping), self.upper.xreplace(mapping)

    def values_at(self, application: sp.Expr) -> sp.Expr:
        """The values of ``p(v; a)`` (``values`` at ``v`` and ``a``), nothing evaluated."""
        arguments = application.args
        body = rename_bound(self.values, set().union(*(a.free_symbols for a in arguments)))
        return replace_unevaluated(body, dict(zip((self.variable,) + self.parameters, arguments)))

    def latex_name(self, parameters: Sequence[sp.Expr], printer) -> str:
        """``p`` or ``p(\\cdot; theta)``, as printed below ``E_{x ~ p}``."""
        name = _latex_name(self.name, printer)
        if not parameters:
            return name
        return f"{name}(\\cdot; {', '.join(printer._print(p) for p in parameters)})"

    @property
    def assumption(self) -> str:
        """What is assumed of an abstract distribution, in words."""
        # (math between dollars, as every assumption a printed note shows: "pi(a)" was
        # printed as text in LaTeX: new user 20)
        variable, lower, upper = (sp.latex(e) for e in (self.variable, self.lower, self.upper))
        if self.is_discrete:
            where = rf"${variable} = {lower}, \ldots, {upper}$"
            how = "sum to one"
        else:
            where = rf"${variable} \in ({lower}, {upper})$"
            how = "integrate to one"
        return (f"${sp.latex(self(self.variable))}$ is a probability distribution over {where}: "
                f"its values are non-negative and {how}")

    def respects_parameters(self, parameters: Sequence[sp.Expr]) -> bool:
        """Whether the values given for the parameters have every assumption the declared
        parameters have: the distribution is declared for those values only."""
        return len(parameters) == len(self.parameters) and \
            all(respects(p, a) for p, a in zip(self.parameters, parameters))

    # -- checking the declaration -----------------------------------------------------------
    def _error(self, text: str) -> DistributionError:
        return DistributionError(f"Distribution {self.name!r}: {text}")

    def _check_declaration(self) -> None:
        variable, lower, upper = self.variable, self.lower, self.upper
        if not isinstance(variable, sp.Symbol):
            raise self._error(f"the variable must be a Symbol, got {variable!r}")
        if not (variable.is_integer or variable.is_real):
            raise self._error(f"declare the variable {variable} integer=True (a mass function) "
                              f"or real=True (a density)")
        for parameter in self.parameters:
            if not isinstance(parameter, sp.Symbol) or parameter == variable:
                raise self._error(f"the parameters must be Symbols other than the variable, got "
                                  f"{parameter!r}")
        if len(set(self.parameters)) != len(self.parameters):
            raise self._error(f"a parameter is listed twice in {self.parameters}")
        for bound in (lower, upper):
            if variable in bound.free_symbols or bound.has(sp.nan, sp.zoo):
                raise self._error(f"the bound {bound} is not a bound of {variable}")
            if bound.is_infinite:
                continue
            wanted = "integer" if variable.is_integer else "real"
            if getattr(bound, f"is_{wanted}") is not True:
                raise self._error(f"the bound {bound} is not shown to be {wanted} (declare its "
                                  f"symbols {wanted}=True)")
        if lower == sp.oo or upper == -sp.oo:
            raise self._error(f"its support {lower}..{upper} is empty")
        if not (lower == -sp.oo or upper == sp.oo):
            width = upper - lower
            shown = width.is_nonnegative if variable.is_integer else width.is_positive
            if shown is not True:  # no distribution lives on an empty range
                raise self._error(f"its support {lower}..{upper} is not shown to be non-empty: "
                                  f"give the bounds' symbols the assumptions that show "
                                  f"{lower} {'<=' if variable.is_integer else '<'} {upper}")

    def _check_values(self, check: bool, time_limit: float) -> None:
        values, variable = self.values, self.variable
        allowed = {variable, *self.parameters} | self.lower.free_symbols | self.upper.free_symbols
        extra = values.free_symbols - allowed
        if extra:
            raise self._error(f"its values {values} use {sorted(map(str, extra))}, which are "
                              f"neither the variable nor parameters: list them in parameters=")
        if values.atoms(sp.Indexed) or values.atoms(AppliedUndef) - values.atoms(DistributionValue):
            raise self._error(f"its values {values} use indexed objects or undefined functions; "
                              f"give them as an expression of Symbols (or leave the values "
                              f"undefined: values=None)")
        kind = sp.Sum if self.is_discrete else sp.Integral
        in_range = sp.Symbol(variable.name, **range_assumptions(kind(variable, self.support),
                                                                 tuple(self.support)))
        fact = "positive" if self.positive else "nonnegative"
        untrusted = untrusted_functions(values)
        if untrusted:  # (SymPy says atan(m) > 0 for every integer m >= 0; atan(0) = 0)
            names = ", ".join(sorted(cls.__name__ for cls in untrusted))
            raise self._error(f"its values {values} use {names}, whose sign SymPy's assumptions "
                              f"do not show reliably, so they are not shown to be {fact} for "
                              f"{variable} in its support; write them with the functions the "
                              f"verifier trusts (exp, log, ...), or leave the values undefined "
                              f"(values=None)")
        shown = getattr(values.xreplace({variable: in_range}), f"is_{fact}")
        if shown is not True:
            raise self._error(f"its values {values} are not shown to be {fact} for {variable} in "
                              f"its support (give the parameters the assumptions that show it, "
                              f"e.g. real=True or positive=True)")
        if not check:
            return
        if not _PROVER:
            raise self._error("no proof of normalisation is installed to check its values: "
                              "import Distribution from pgsym (or pgsym.distribution), or "
                              "declare it with check=False")
        verdict = _PROVER[0](self._factored_total(), sp.S.One, time_limit)
        if verdict.kind is not VerdictKind.PROVED:
            raise self._error(f"its values {values} are not proved to "
                              f"{'sum' if self.is_discrete else 'integrate'} to one over "
                              f"{variable} = {self.lower}..{self.upper} ({verdict.kind.value}: "
                              f"{verdict.detail}); declare it with check=False to have each "
                              f"step that needs the sum compute it")
        _PROVED_NORMALISED.add(self._key)

    def _factored_total(self) -> sp.Expr:
        """The total of the values with the factors free of the variable outside the sum (or
        integral), so that SymPy sees a normaliser cancel."""
        factors = sp.Mul.make_args(self.values)
        constant = [f for f in factors if self.variable not in f.free_symbols]
        varying = [f for f in factors if self.variable in f.free_symbols] or [sp.S.One]
        kind = sp.Sum if self.is_discrete else sp.Integral
        return sp.Mul(*constant) * kind(sp.Mul(*varying), tuple(self.support))

    @property
    def is_known_normalised(self) -> bool:
        """Whether the values were proved to sum (or integrate) to one."""
        return self._key in _PROVED_NORMALISED


_FUNCTIONS: dict[Distribution, UndefinedFunction] = {}


def distributions_in_case(expr: sp.Basic, case: dict) -> sp.Basic:
    """``expr`` in a range case (:meth:`pgsym.Derivation.range_cases`) of a symbol that a
    declared distribution names but its values do not show (``K`` of a support ``0..K-1``,
    written ``c + 1 + K_above_c`` for a ``c`` ranged in ``0..K-1``): each value of such a
    distribution becomes a value of the same distribution declared in the case, so that
    ``pi(c)`` is still shown in the support and ``sum_a pi(a)`` over ``0..K-1`` is still
    its total (``pi(c) sum_a pi(a) = pi(c)`` was refuted: new user 20). Nothing is
    evaluated.

    >>> import sympy as sp
    >>> a, K = sp.Symbol("a", integer=True), sp.Symbol("K", integer=True, positive=True)
    >>> c, u = sp.symbols("c u", integer=True, nonnegative=True)
    >>> pi = Distribution("pi", (a, 0, K - 1))
    >>> type(distributions_in_case(pi(c), {K: c + 1 + u})).distribution.upper
    c + u
    """
    if not case or not expr.has(DistributionValue):
        return expr
    if isinstance(expr, DistributionValue):
        distribution = type(expr).distribution
        if distribution.hidden_symbols & set(case):
            return _declared_in_case(distribution, case).function(*expr.args)
        return expr
    if expr.is_Atom or not expr.args:
        return expr
    return rebuild(expr, [distributions_in_case(a, case) for a in expr.args])


def _declared_in_case(distribution: Distribution, case: dict) -> Distribution:
    """``distribution`` declared with its hidden symbols replaced as ``case`` has them; known
    normalised where it was and every value meets the symbol's assumptions (it was proved
    normalised for every such value)."""
    hidden = distribution.hidden_symbols & set(case)
    mapping = {symbol: case[symbol] for symbol in hidden}
    values = None if distribution.values is None else distribution.values.xreplace(mapping)
    derived = Distribution(distribution.name, (distribution.variable,
                                               distribution.lower.xreplace(mapping),
                                               distribution.upper.xreplace(mapping)),
                           values, distribution.parameters, positive=distribution.positive,
                           check=False)
    if distribution.is_known_normalised and all(respects(s, v) for s, v in mapping.items()):
        _PROVED_NORMALISED.add(derived._key)
    return derived


def _restored(name, variable, lower, upper, values, parameters, positive) -> Distribution:
    return Distribution(name, (variable, lower, upper), values, parameters, positive=positive,
                        check=False)


def distribution_of(expr: sp.Basic) -> tuple[Distribution, tuple[sp.Expr, ...]] | None:
    """The declared distribution ``expr`` is a value of, and the parameters' values there.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", integer=True)
    >>> p = Distribution("p", (x, 0, 1), check=False)
    >>> distribution_of(p(x))[0] is p, distribution_of(sp.Function("p")(x))
    (True, None)
    """
    if isinstance(expr, DistributionValue):
        return type(expr).distribution, tuple(expr.args[1:])
    return None


# -- what the verifier reads ---------------------------------------------------------------
def _transformed(expr: sp.Basic, change: Callable[..., sp.Basic],
                 scope: dict | None = None, ranges: dict | None = None) -> sp.Basic:
    """``expr`` rebuilt bottom-up (nothing evaluated), each node passed to ``change`` after
    its arguments, with the ``scope``: each variable bound around the node mapped to a
    symbol with the assumptions its range gives it (``k`` of ``sum_{k=0}^{n}`` is a
    non-negative integer, whatever its symbol declares). Expectations are unfolded. Given
    ``ranges`` (a dict, empty at the top), ``change`` gets them too: each bound variable
    mapped to its sum's or integral's kind and bounds."""
    scope = {} if scope is None else scope
    if isinstance(expr, Expectation):
        return _transformed(expr.unfold(), change, scope, ranges)
    if expr.is_Atom or not expr.args:
        return change(expr, scope) if ranges is None else change(expr, scope, ranges)
    inner, inner_ranges = scope, ranges
    if isinstance(expr, sp.concrete.expr_with_limits.ExprWithLimits):
        inner = dict(scope)
        inner_ranges = None if ranges is None else dict(ranges)
        for variable, *bounds in reversed(expr.limits):  # the outermost limit is the last
            if inner_ranges is not None:
                inner_ranges.pop(variable, None)
            if len(bounds) == 2 and isinstance(variable, sp.Symbol):
                limit = (variable, *(b.xreplace(inner) for b in bounds))
                inner[variable] = sp.Symbol(variable.name, **range_assumptions(expr, limit))
                if inner_ranges is not None:
                    inner_ranges[variable] = (type(expr), *limit[1:])
            elif isinstance(variable, sp.Symbol):
                inner[variable] = sp.Dummy(variable.name)  # (nothing known of it)
    node = rebuild(expr, [_transformed(a, change, inner, inner_ranges) for a in expr.args])
    return change(node, scope) if ranges is None else change(node, scope, ranges)


def _declared(expr: sp.Basic) -> set[Distribution]:
    return {type(v).distribution for v in expr.atoms(DistributionValue)}


def _peeled(node: sp.Basic, scope: dict, may_use: Callable[[Distribution], bool]) -> sp.Basic:
    """A sum (integral) of ``c * p(k; a)`` over exactly ``p``'s support, ``c`` free of ``k``,
    is ``c``; so is each such term of a sum of terms. A sum over several limits is read as
    nested sums, the innermost first."""
    if not isinstance(node, (sp.Sum, sp.Integral)) or any(len(l) != 3 for l in node.limits):
        return node
    scopes, inner = [], dict(scope)
    for variable, lower, upper in reversed(node.limits):  # the scope of each level
        scopes.append(dict(inner))
        limit = (variable, lower.xreplace(inner), upper.xreplace(inner))
        inner[variable] = sp.Symbol(variable.name, **range_assumptions(node, limit))
    scopes.reverse()
    kind, body, changed = type(node), node.function, False
    for position, limit in enumerate(node.limits):
        peeled = _peeled_once(kind, body, limit, scopes[position], may_use)
        changed = changed or peeled is not None
        body = kind(body, limit) if peeled is None else peeled
    return body if changed else node


def _peeled_once(kind: type, body: sp.Expr, limit: sp.Tuple, scope: dict,
                 may_use: Callable[[Distribution], bool]) -> sp.Expr | None:
    """``kind(body, limit)`` with the declaration of a distribution used, or ``None``: the
    whole body ``c p(k)``, or each term ``c p(k)`` of it (a sum of terms, or a product with
    one sum of terms as a factor), the other terms kept under one sum."""
    whole = _one_sum(body, limit, kind is sp.Sum, scope, may_use)
    if whole is not None:
        return whole
    factors = list(sp.Mul.make_args(body))
    added = [i for i, f in enumerate(factors) if isinstance(f, sp.Add)]
    if isinstance(body, sp.Add):
        terms = list(body.args)
    elif len(added) == 1:  # p(k) (f(k) + c): distribute the one sum of terms
        others = [f for i, f in enumerate(factors) if i != added[0]]
        terms = [sp.Mul(*others, term, evaluate=False) for term in factors[added[0]].args]
    else:
        return None
    peeled, kept = [], []
    for term in terms:
        found = _one_sum(term, limit, kind is sp.Sum, scope, may_use)
        (kept if found is None else peeled).append(term if found is None else found)
    if not peeled:
        return None
    kept_body = sp.Add(*kept, evaluate=False) if len(kept) > 1 else (kept[0] if kept else None)
    rest = [kind(kept_body, limit)] if kept else []
    return sp.Add(*peeled, *rest, evaluate=False) if len(peeled) + len(rest) > 1 else \
        (peeled + rest)[0]


def _one_sum(body: sp.Expr, limit: sp.Tuple, is_sum: bool, scope: dict,
             may_use: Callable[[Distribution], bool]) -> sp.Expr | None:
    """``c`` if ``body = c * p(k; a)`` summed over ``limit`` is ``c`` by ``p``'s declaration."""
    index, lower, upper = limit
    factors = list(sp.Mul.make_args(body))
    matches = [i for i, f in enumerate(factors)
               if _is_total(f, index, lower, upper, is_sum, scope, may_use)]
    if len(matches) != 1:
        return None
    rest = [f for i, f in enumerate(factors) if i != matches[0]]
    if any(index in f.free_symbols for f in rest):
        return None
    return sp.Mul(*rest, evaluate=False) if len(rest) > 1 else (rest[0] if rest else sp.S.One)


def _is_total(factor: sp.Expr, index: sp.Basic, lower: sp.Expr, upper: sp.Expr, is_sum: bool,
              scope: dict, may_use: Callable[[Distribution], bool]) -> bool:
    """Whether summing ``factor`` over ``index`` from ``lower`` to ``upper`` is the total of
    a declared distribution over exactly its support."""
    found = distribution_of(factor)
    if found is None:
        return False
    distribution, parameters = found
    return (may_use(distribution) and factor.args[0] == index and distribution.is_discrete == is_sum
            and not any(index in p.free_symbols for p in parameters)
            and distribution.respects_parameters([p.xreplace(scope) for p in parameters])
            and all(respects(h, h.xreplace(scope)) for h in distribution.hidden_symbols)
            and all(bound == own or sp.expand(bound - own) == 0  # ((K + 1) - 1 is K)
                    for bound, own in zip((lower, upper), distribution.bounds_at(parameters))))


def with_values(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every value of a distribution declared by its values replaced by them
    (a sum over the support of a distribution proved normalised is 1 first).

    >>> import sympy as sp
    >>> from pgsym import Distribution
    >>> x = sp.Symbol("x", integer=True)
    >>> coin = Distribution("coin", (x, 0, 1), sp.Rational(1, 2))
    >>> with_values(sp.Sum(x * coin(x), (x, 0, 1))).doit()
    1/2
    >>> with_values(sp.Sum(3 * coin(x), (x, 0, 1)))
    3
    """
    return _values_written(expr, peel=True)


def values_written_out(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every value of a distribution declared by its values replaced by them,
    and nothing else changed (no sum over a support made 1): what the ``definition`` rule
    unfolds.

    >>> import sympy as sp
    >>> from pgsym import Distribution
    >>> x = sp.Symbol("x", integer=True)
    >>> coin = Distribution("coin", (x, 0, 1), sp.Rational(1, 2))
    >>> values_written_out(sp.Sum(coin(x), (x, 0, 1)))
    Sum(1/2, (x, 0, 1))
    """
    return _values_written(expr, peel=False)


def _values_written(expr: sp.Expr, peel: bool) -> sp.Expr:
    """The values written out; with ``peel``, each sum over the support of a distribution
    proved normalised made 1 first."""
    for _ in range(16):  # values may use other distributions' values
        concrete = {d for d in _declared(expr) if not d.is_abstract}
        if not concrete:
            return expr
        if peel:
            expr = _transformed(expr, lambda node, scope: _peeled(
                node, scope, lambda d: d in concrete and d.is_known_normalised))
        expr = _transformed(expr, _valued, ranges={})
    raise DistributionError("the values of declared distributions use each other in a circle")


def _valued(node: sp.Basic, scope: dict, ranges: dict) -> sp.Basic:
    """A value of a distribution declared by its values, replaced by them: where the point
    is not shown to lie in the support, as 0 outside it (a distribution is 0 off its
    support, whatever its formula gives there)."""
    if not isinstance(node, DistributionValue) or node.distribution.is_abstract:
        return node
    distribution, parameters = node.distribution, node.args[1:]
    values = distribution.values_at(node)
    if _in_support(distribution, node.args[0], parameters, scope, ranges):
        return values
    value = node.args[0]
    lower, upper = distribution.bounds_at(parameters)
    if distribution.is_discrete:
        inside = sp.And(sp.Le(lower, value), sp.Le(value, upper), sp.Eq(sp.floor(value), value))
    else:
        inside = sp.And(sp.Lt(lower, value), sp.Lt(value, upper))
    if inside is sp.true:
        return values
    return sp.Piecewise((values, inside), (0, True))


def signs_as_declared(expr: sp.Expr, enclosing: Sequence[tuple] = ()) -> sp.Expr:
    """``expr`` read as :func:`with_values` reads it, with each value of an abstract
    distribution whose declaration does not give its sign there replaced by a function that
    carries only what is known: outside the declared parameters' assumptions (``q(0; -3)``
    for ``t`` declared positive) an arbitrary function, and at a point of a distribution
    declared positive not shown to lie in its support a non-negative one (a distribution
    is 0 off its support). What holds for those holds for the distribution. ``enclosing``
    are the limits ``(k, lowest, highest)`` of sums or products around ``expr`` (the
    indices ``k`` free in it run over those integers).

    The verifier reads signs from SymPy's assumptions, and those of ``p``'s function are its
    declaration (:attr:`Distribution.function`) wherever it is applied; every check that
    reads a sign reads this instead (relations, the rules' ``is_positive``, comparisons).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", integer=True)
    >>> t = sp.Symbol("t", positive=True)
    >>> q = Distribution("q", (x, 0, 1), parameters=(t,), positive=True, check=False)
    >>> signs_as_declared(q(0, -3)).is_positive, signs_as_declared(q(0, t)).is_positive
    (None, True)
    >>> signs_as_declared(q(5, t)).is_positive, signs_as_declared(q(5, t)).is_nonnegative
    (None, True)
    """
    expr = with_values(expr)
    if not any(d.is_abstract for d in _declared(expr)):
        return expr
    return _as_declared(expr, {}, {limit[0]: (sp.Sum, *limit[1:]) for limit in enclosing})


def _as_declared(expr: sp.Basic, scope: dict, ranges: dict) -> sp.Basic:
    """:func:`signs_as_declared` below the bound variables of ``scope`` (each mapped to a
    symbol with its range's assumptions) and ``ranges`` (each mapped to its sum's or
    integral's kind and bounds)."""
    if isinstance(expr, Expectation):
        return _as_declared(expr.unfold(), scope, ranges)
    if expr.is_Atom or not expr.args:
        return expr
    inner_scope, inner_ranges = scope, ranges
    if isinstance(expr, sp.concrete.expr_with_limits.ExprWithLimits):
        inner_scope, inner_ranges = dict(scope), dict(ranges)
        for variable, *bounds in reversed(expr.limits):  # the outermost limit is the last
            inner_ranges.pop(variable, None)
            if len(bounds) == 2 and isinstance(variable, sp.Symbol):
                limit = (variable, *(b.xreplace(inner_scope) for b in bounds))
                inner_scope[variable] = sp.Symbol(variable.name,
                                                  **range_assumptions(expr, limit))
                inner_ranges[variable] = (type(expr), *limit[1:])
            else:
                inner_scope[variable] = sp.Dummy(variable.name)  # (nothing known of it)
    node = rebuild(expr, [_as_declared(a, inner_scope, inner_ranges) for a in expr.args])
    found = distribution_of(node)
    if found is None or not found[0].is_abstract:
        return node
    distribution, parameters = found
    name = distribution.name
    if not distribution.respects_parameters([p.xreplace(scope) for p in parameters]):
        return sp.Function(f"{name}_outside_parameters")(*node.args)
    if distribution.positive and not _in_support(distribution, node.args[0], parameters,
                                                  scope, ranges):
        return sp.Function(f"{name}_off_support", nonnegative=True)(*node.args)
    return node


def _in_support(distribution: Distribution, value: sp.Expr, parameters: Sequence[sp.Expr],
                scope: dict, ranges: dict) -> bool:
    """Whether SymPy's assumptions show ``value`` in the support at ``parameters`` (for a
    density: inside it), or ``value`` is the variable of a sum (integral) around it over a
    range within the support."""
    lower, upper = (b.xreplace(scope) for b in distribution.bounds_at(parameters))
    if value in ranges:
        kind, low, high = ranges[value]
        low, high = sp.sympify(low), sp.sympify(high)
        if kind is not (sp.Sum if distribution.is_discrete else sp.Integral):
            return False
        # (a sum running backwards is over high + 1, ..., low - 1 in SymPy's convention; an
        # integral backwards over high..low; a sum from a non-integer over non-integers)
        if kind is sp.Sum and not (low.is_integer and high.is_integer):
            return False
        forwards = _at_most(low, high) if kind is sp.Integral else _at_most(low, high + 1)
        return forwards and _at_most(lower, low) and _at_most(high, upper)
    value = value.xreplace(scope)
    if distribution.is_discrete:
        if value.is_integer is not True:
            return False
        return _at_most(lower, value) and _at_most(value, upper)
    if value.is_real is not True or value.is_finite is not True:
        return False
    return all(bound.is_infinite or (gap.is_positive is True) for bound, gap in
               ((lower, value - lower), (upper, upper - value)))


def _at_most(low: sp.Expr, high: sp.Expr) -> bool:
    """Whether ``low <= high`` is shown (``-oo`` and ``oo`` included)."""
    low, high = sp.sympify(low), sp.sympify(high)
    if low == -sp.oo or high == sp.oo or low == high:
        return True
    if low.is_infinite or high.is_infinite:
        return False
    return sp.expand(high - low).is_nonnegative is True


@dataclasses.dataclass(frozen=True)
class _Weight:
    """How an abstract distribution is written for the second comparison: ``w / total``."""

    distribution: Distribution
    weight: UndefinedFunction

    def normalised(self, application: sp.Expr) -> sp.Expr:
        """``w(v; a) / sum_k w(k; a)`` over the support at ``a``."""
        distribution, parameters = self.distribution, application.args[1:]
        lower, upper = distribution.bounds_at(parameters)
        index = sp.Symbol(f"{distribution.variable.name}_total",
                          **distribution.variable.assumptions0)
        kind = sp.Sum if distribution.is_discrete else sp.Integral
        total = kind(self.weight(index, *parameters), (index, lower, upper))
        return sp.Mul(self.weight(*application.args), sp.Pow(total, -1), evaluate=False)


def _weights(distributions: Iterable[Distribution], exprs: Sequence[sp.Expr],
             positive: bool) -> dict[Distribution, _Weight]:
    """A fresh weight function for each distribution, non-negative (or ``positive``, also
    where the distribution is declared non-negative: a sub-family, good for sampling)."""
    taken = {type(f).__name__ for e in exprs for f in e.atoms(AppliedUndef)}
    weights = {}
    for distribution in sorted(distributions, key=lambda d: (d.name, str(d._key))):
        name, number = f"{distribution.name}_weight", 1
        while name in taken:
            number += 1
            name = f"{distribution.name}_weight{number}"
        taken.add(name)
        facts = {"positive": True} if positive or distribution.positive else {"nonnegative": True}
        weights[distribution] = _Weight(distribution, sp.Function(name, **facts))
        _WEIGHTS[weights[distribution].weight] = distribution
    return weights


#: the weight functions :func:`_weights` made, with their distributions (by identity: a
#: function of the user's named like one is none)
_WEIGHTS: "weakref.WeakKeyDictionary[UndefinedFunction, Distribution]" = \
    weakref.WeakKeyDictionary()


def is_weight_total(expr: sp.Expr) -> bool:
    """Whether ``expr`` is the total of a weight function over the whole support of its
    distribution, as :meth:`_Weight.normalised` divides by: a weight ``w`` stands for the
    distribution ``w / total``, which only weights whose total is not 0 are, so a proof may
    cancel it (E_{a~pi}[V] = V for a non-negative pi was unknown: new user 17).

    >>> k = sp.Symbol("k", integer=True)
    >>> w = _weights([Distribution("q", (k, 0, 2))], (), positive=False)
    >>> total = next(iter(w.values())).normalised(Distribution("q", (k, 0, 2))(k)).args[1].base
    >>> is_weight_total(total), is_weight_total(sp.Sum(sp.Function("q_weight")(k), (k, 0, 2)))
    (True, False)
    """
    if not isinstance(expr, (sp.Sum, sp.Integral)) or len(expr.limits) != 1 \
            or len(expr.limits[0]) != 3 or not isinstance(expr.function, AppliedUndef):
        return False
    distribution = _WEIGHTS.get(expr.function.func)
    index, lower, upper = expr.limits[0]
    if distribution is None or not expr.function.args or expr.function.args[0] != index \
            or index in set().union(*(a.free_symbols for a in expr.function.args[1:])):
        return False
    kind = sp.Sum if distribution.is_discrete else sp.Integral
    return isinstance(expr, kind) and (lower, upper) == tuple(
        distribution.bounds_at(expr.function.args[1:]))


def _normalised(expr: sp.Expr, weights: dict[Distribution, _Weight],
                in_support: bool = False) -> sp.Expr:
    """``expr`` with the normalisation of the abstract distributions in ``weights`` used: sums
    of ``c p`` over exactly the support are ``c``, every other value is ``w / sum w`` (with
    ``in_support``, only a value shown in the support: off it a distribution is 0, which
    ``w / sum w`` never is; a relation reads the others as :func:`signs_as_declared` does,
    where ``p(5) > p(5)/2`` for a support 0..1 was proved)."""
    expr = _transformed(expr, lambda node, scope: _peeled(node, scope, lambda d: d in weights))

    def written(node: sp.Basic, scope: dict, ranges: dict) -> sp.Basic:
        found = distribution_of(node)
        if found is None or found[0] not in weights or \
                not found[0].respects_parameters([p.xreplace(scope) for p in found[1]]):
            return node  # (outside the parameters' declared range nothing is known of it)
        if in_support and not _in_support(found[0], node.args[0], found[1], scope, ranges):
            return node
        return weights[found[0]].normalised(node)

    return _transformed(expr, written, ranges={})


def _names(distributions: Iterable[Distribution]) -> str:
    return ", ".join(sorted({re.sub(r"[^A-Za-z0-9]", "", d.name) for d in distributions}))


#: shares of a step's time limit for the comparisons of :func:`compare_with_distributions`
_SHARES = (0.3, 0.35, 1.0)


def compare_with_distributions(a: sp.Expr, b: sp.Expr,
                               compare: Callable[[sp.Expr, sp.Expr, float | None, bool], Verdict]
                               ) -> Verdict:
    """The verdict on ``a = b`` where declared distributions may appear.

    ``compare(a, b, share, promote)`` is the verifier's comparison within ``share`` of the
    time limit (``None``: the whole), where a confirmed rule that proves the step by itself
    counts only if ``promote`` (not where an abstract distribution is an arbitrary function:
    such a rule may rest on its normalisation).

    Values given by expressions are read. Abstract distributions are first arbitrary
    functions (non-negative or positive, as declared): a proof then needs no assumption.
    Failing that, each is written as a normalised weight ``w / sum w``: positive weights
    first, whose counterexamples are distributions (but which stand only for positive
    distributions), then, where a distribution is declared non-negative and that proved the
    step, non-negative weights (every distribution). A proof there is **proved under the
    assumption** that they are distributions."""
    a, b = with_values(a), with_values(b)
    abstract = {d for d in _declared(a) | _declared(b) if d.is_abstract}
    # (each value's sign only where the declaration gives it; a rule still proves nothing
    # by itself where a value is outside it: it is no distribution's value there)
    a, b = signs_as_declared(a), signs_as_declared(b)
    if not abstract:
        return compare(a, b, None, True)
    plain = compare(a, b, _SHARES[0], False)
    if plain.kind.is_proof:
        return plain
    positive = _weights(abstract, (a, b), positive=True)
    verdict = compare(_normalised(a, positive), _normalised(b, positive), _SHARES[1], True)
    weights, for_positive = positive, verdict.kind.is_proof
    if verdict.kind.is_proof and not all(d.positive for d in abstract):
        weights = _weights(abstract, (a, b), positive=False)
        verdict = compare(_normalised(a, weights), _normalised(b, weights), _SHARES[2], True)
    if verdict.kind.is_proof:
        return _proved_for_distributions(abstract, verdict)
    written = _written(weights)
    # (a counterexample of the first comparison may use a function that is no distribution)
    hint = ""
    if for_positive:  # (new user 17 could not tell that positive=True was all it needed)
        unsigned = ", ".join(sorted(d.name for d in abstract if not d.positive))
        hint = (f"; it is proved for distributions with positive values: declare {unsigned} "
                f"with positive=True if that is what {'it is' if ',' not in unsigned else 'they are'}")
    return dataclasses.replace(verdict, detail=f"{verdict.detail} (with {written}: a "
                                               f"distribution for every weight{hint})")


def relation_with_distributions(a: sp.Expr, b: sp.Expr,
                                compare: Callable[[sp.Expr, sp.Expr], Verdict]) -> Verdict:
    """The verdict on a relation ``a <= b`` (``<``, ...) where declared distributions may
    appear, ``compare(a, b)`` the verifier's comparison of the relation.

    Abstract distributions are first arbitrary functions (non-negative or positive, as
    declared): what holds for those holds for every distribution, but a counterexample may
    be no distribution (sum_k p log(q/p) <= 0 was refuted with p = 0.52 at each of five
    points: new user 19). Then each is written as a normalised weight ``w / sum w``, as
    :func:`compare_with_distributions` writes it: positive weights, whose counterexamples
    are distributions, and where a distribution is declared non-negative and that proved
    the relation, non-negative weights. A refutation found only with arbitrary functions
    leaves the step unknown (or checked numerically, where the normalised weights agree
    with the relation at every point sampled)."""
    abstract = {d for d in _declared(with_values(a)) | _declared(with_values(b)) if d.is_abstract}
    plain = compare(a, b)
    if not abstract or plain.kind is not VerdictKind.REFUTED:
        return plain
    a, b = with_values(a), with_values(b)
    weights = _weights(abstract, (a, b), positive=True)
    sides = (_normalised(a, weights, True), _normalised(b, weights, True))
    verdict = compare(*sides)
    if verdict.kind.is_proof and not all(d.positive for d in abstract):
        weights = _weights(abstract, (a, b), positive=False)
        sides = (_normalised(a, weights, True), _normalised(b, weights, True))
        verdict = compare(*sides)
    if verdict.kind.is_proof:
        return _proved_for_distributions(abstract, verdict)
    names, written = _names(abstract), _written(weights)
    # (a value not shown in the support stays an arbitrary value: p(1) for a support
    # 0..K - 1 refuted p(0) + p(1) <= 1 at K = 3, where it is in it: hostile review 55)
    left = abstract & (_declared(sides[0]) | _declared(sides[1]))
    if verdict.kind is VerdictKind.REFUTED and left:
        return Verdict(VerdictKind.UNKNOWN, verdict.method,
                       f"refuted only where values of {_names(left)} not shown to lie in the "
                       f"support are read as arbitrary values ({verdict.detail}); with "
                       f"{written}")
    if verdict.kind in (VerdictKind.REFUTED, VerdictKind.CHECKED_NUMERICALLY):
        return dataclasses.replace(verdict, detail=f"{verdict.detail} (with {written}: "
                                                   f"a distribution for every weight)")
    read = "is read as an arbitrary function, which is no distribution" if len(abstract) == 1 \
        else "are read as arbitrary functions, which are no distributions"
    return Verdict(VerdictKind.UNKNOWN, verdict.method,
                   f"refuted only where {names} {read} ({plain.detail}); with {written}: "
                   f"{verdict.detail}")


def _proved_for_distributions(abstract: set, verdict: Verdict) -> Verdict:
    """``verdict``, a proof with the ``abstract`` distributions written as normalised
    weights, as a proof under the assumption that they are distributions."""
    plural = "is a probability distribution" if len(abstract) == 1 else \
        "are probability distributions"
    facts = "; ".join(sorted(d.assumption for d in abstract))
    return Verdict(VerdictKind.PROVED_ASSUMING, ASSUMING_DISTRIBUTIONS,
                   f"assuming {_names(abstract)} {plural}",
                   assumption="; ".join(filter(None, (facts, verdict.assumption))))


def _written(weights: dict) -> str:
    """How the distributions were written: ``p = p_weight/(its total), ...``."""
    return ", ".join(f"{d.name} = {w.weight}/(its total)" for d, w in sorted(
        weights.items(), key=lambda item: item[0].name))


def assumed_distributions(verdict: Verdict) -> str:
    """The words a printed verdict adds when it rests on abstract distributions being
    normalised (``assuming p is a probability distribution``), else ``""``."""
    if verdict.kind is VerdictKind.PROVED_ASSUMING and verdict.method == ASSUMING_DISTRIBUTIONS:
        return verdict.detail
    return ""
