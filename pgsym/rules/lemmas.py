"""Citing a proved result: a verified derivation (a *lemma*) or an equation taken as given.

A lemma states ``start = result`` (its definitions unfolded) for every value of its free
symbols that their assumptions allow, and for every function its undefined functions may
stand for. A step cites it with ``rule=lemma``; the check finds an *instance* of the lemma
(its free symbols replaced by expressions that meet their assumptions, its functions kept or
replaced as ``using=`` says) whose one side occurs in one step and whose other side, put in
its place, gives the other step, up to the order and grouping of terms and factors.

An :class:`Equation` is cited the same way, but it is not proved: it is a property the
derivation takes as given (the Bellman equation of a value function), so a step citing it
is proved *under the assumption* that it holds, and every output prints it.

>>> import sympy as sp
>>> from pgsym.rules import RuleContext
>>> x, y = sp.symbols("x y", positive=True)
>>> f = sp.Function("f")
>>> check = instance_check(sp.log(x * y), sp.log(x) + sp.log(y))
>>> z = sp.Symbol("z", positive=True)
>>> check(f(sp.log(2 * z)), f(sp.log(2) + sp.log(z)), RuleContext()).status.value
'confirmed'
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from pgsym._trees import (CANONICAL_NAME, canonical_bound, rebuild, rename_bound,
                          replace_unevaluated, smooth_everywhere_by_form, untrusted_functions)
from pgsym.expectation import DeclaredDistribution, Expectation
from pgsym.report import Justification, RuleCheck
from pgsym.rules._core import (RuleCheckFunction, RuleContext, alpha_equal, typeset,
                               with_enclosing_limits)



@dataclass(frozen=True)
class Equation:
    """An equation taken as given, cited like a lemma: ``lhs = rhs`` for every value of its
    free symbols (the Bellman equation ``V(s) = sum_a pi(a|s) (r(s, a) + gamma ...)``).

    Nothing proves it; a step that cites it is *proved under the assumption* that it holds,
    and every output says so.

    >>> import sympy as sp
    >>> s = sp.Symbol("s", integer=True)
    >>> V, r = sp.Function("V"), sp.Function("r")
    >>> Equation("Bellman equation", V(s), r(s) + V(s + 1)).assumption.split("$")[0]
    'the Bellman equation: '
    """

    name: str
    lhs: sp.Expr
    rhs: sp.Expr
    #: the symbols it holds for every value of (default: the free symbols of ``lhs``); the
    #: others are fixed (``gamma`` in the Bellman equation)
    variables: tuple[sp.Symbol, ...] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"an Equation needs a non-empty name, got {self.name!r}")
        for side in ("lhs", "rhs"):
            value = getattr(self, side)
            if isinstance(value, int) and not isinstance(value, bool):  # (Equation(..., 1))
                value = sp.Integer(value)
                object.__setattr__(self, side, value)
            if not isinstance(value, sp.Expr):
                raise ValueError(f"Equation {self.name!r}: {side} must be a SymPy expression, "
                                 f"got {type(value).__name__}")
        variables = tuple(sorted(self.lhs.free_symbols, key=str)) if self.variables is None \
            else tuple(self.variables)
        if not all(isinstance(v, sp.Symbol) for v in variables):
            raise ValueError(f"Equation {self.name!r}: variables must be symbols, got "
                             f"{variables!r}")
        object.__setattr__(self, "variables", variables)

    @property
    def assumption(self) -> str:
        """How every output states what a citing step assumes: its name, the equation as
        math (``$...$``, which every format renders), and the symbols it holds for every
        value of (the others are fixed: a Bellman equation for every gamma says more than
        one for the gamma of the step, and hostile review 41 printed them alike)."""
        from pgsym.printing.latex import expression_to_latex as latex  # (printers import this)
        equation = f"the {self.name}: ${latex(self.lhs)} = {latex(self.rhs)}$"
        if not self.variables:
            return equation
        return f"{equation} for every ${', '.join(latex(v) for v in self.variables)}$"


def instance_check(lhs: sp.Expr, rhs: sp.Expr, variables: tuple[sp.Symbol, ...] | None = None,
                   ranges: dict | None = None, pinned: frozenset = frozenset()
                   ) -> RuleCheckFunction:
    """A rule check confirming that an instance of ``lhs = rhs`` links two steps; only
    ``variables`` (default: every free symbol) may take other values, each one allowed by
    its assumptions and by its range in ``ranges`` (``{j: (low, high)}``).

    ``pinned`` symbols and functions stay themselves (an equation taken as given holds for
    its functions and at its fixed symbols only, and so does a lemma resting on it): no
    ``using=`` replaces them, and an instance under a derivative, substitution or limit
    that varies a pinned symbol is not one (the equation may hold at that value only).

    Expectations are matched as the sums and integrals they stand for, whose variables are
    renamed with the assumptions of their ranges only (a variable declared positive that
    runs over -3..-1 is not positive there)."""
    lhs, rhs = _without_expectations(lhs), _without_expectations(rhs)

    def search(before: sp.Expr, after: sp.Expr, context: RuleContext
               ) -> tuple[int, sp.Expr | None, dict | None] | RuleCheck:
        """(rewrites tried, the first, the replacements of the one giving the other step,
        or None), or why no instance may be taken."""
        before, after = _without_expectations(before), _without_expectations(after)
        try:
            explicit_lhs, explicit_rhs = _explicit(lhs, rhs, context.using, ranges, pinned,
                                                   variables)
        except ValueError as bad:
            return RuleCheck(Justification.MISMATCH, str(bad))
        # what using= brings in may not vary what the equation fixes (g := d/dc applied)
        for side in (explicit_lhs, explicit_rhs):
            if any(_touches(varied, pinned, context) for varied in _varied_around(side, frozenset()).values()):
                return RuleCheck(Justification.MISMATCH,
                                 "using= brings in a derivative, substitution or limit that varies "
                                 "a symbol the equation taken as given fixes")
        # the ranges' bounds read what using= gave their symbols (n -> m in 0..n-1)
        given = {old: new for old, new in context.using if isinstance(old, sp.Symbol)}
        explicit_ranges = {symbol: tuple(sp.sympify(b).xreplace(given) for b in bounds)
                           for symbol, bounds in (ranges or {}).items()} if ranges else ranges
        redefined = _redefined_functions(explicit_lhs, explicit_rhs, context)
        if redefined:
            return RuleCheck(Justification.MISMATCH, redefined)
        tried, first = 0, None
        for written_before, written_after in ((before, after),
                                              (context.unfold(before), context.unfold(after))):
            for one, other in ((written_before, written_after), (written_after, written_before)):
                for pattern, replacement in ((explicit_lhs, explicit_rhs),
                                             (explicit_rhs, explicit_lhs)):
                    for rewritten, replaced in _rewritten(
                            canonical_bound(one), pattern, replacement, variables,
                            explicit_ranges, pinned, context.range_cases, context):
                        tried += 1
                        first = rewritten if first is None else first
                        if alpha_equal(rewritten, other):
                            return tried, first, replaced
        return tried, first, None

    def instances(before: sp.Expr, after: sp.Expr, context: RuleContext
                  ) -> tuple[tuple[sp.Expr, sp.Expr], ...] | None:
        """The instances of the lemma, (one side, the other), that link the two steps, or
        None where they are not linked by one."""
        found = search(before, after, context)
        return None if isinstance(found, RuleCheck) or found[2] is None else \
            tuple(found[2].items())

    def check(before: sp.Expr, after: sp.Expr, context: RuleContext) -> RuleCheck:
        found = search(before, after, context)
        if isinstance(found, RuleCheck):
            return found
        tried, first, replaced = found
        if replaced is not None:
            return RuleCheck(Justification.CONFIRMED)
        if tried == 0:
            ranged = ", within its ranges (each one shown nonempty)" if ranges else ""
            return RuleCheck(Justification.MISMATCH,
                             f"no instance of either side of the lemma, {lhs} = {rhs}, occurs "
                             f"in the two steps (an instance replaces the lemma's free symbols "
                             f"by expressions with their assumptions{ranged}; give functions or "
                             f"symbols it cannot find with using={{...}})")
        gives = str(first)
        shown = [("the lemma ", f"{lhs} = {rhs}", sp.Eq(lhs, rhs, evaluate=False), " occurs")]
        if len(gives) <= 300:
            shown.append(("(it gives ", gives, first, ")"))
        else:
            gives = gives[:300] + " ..."
        return RuleCheck(Justification.MISMATCH,
                         f"an instance of the lemma {lhs} = {rhs} occurs, but putting its other "
                         f"side in its place does not give the other step (it gives {gives})",
                         typeset(*shown, latex=context.latex))

    check.instances = instances  # (read by the check that given equations hold together)
    return check


def _without_expectations(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every expectation written as its sum or integral."""
    if not expr.has(Expectation):
        return expr
    return expr.replace(lambda e: isinstance(e, Expectation), lambda e: e.unfold())


def _explicit(lhs: sp.Expr, rhs: sp.Expr, using, ranges: dict | None = None,
              pinned: frozenset = frozenset(), variables: tuple | None = None
              ) -> tuple[sp.Expr, sp.Expr]:
    """The lemma with the instantiation the step gives by ``using=`` applied (symbols to
    expressions, functions to functions or Lambdas), each checked against its assumptions;
    ``pinned`` symbols and functions, and symbols not among ``variables``, stay themselves."""
    symbols, functions = {}, {}
    free = lhs.free_symbols | rhs.free_symbols
    lemma_functions = {a.func for a in (lhs.atoms(AppliedUndef) | rhs.atoms(AppliedUndef))}
    declared = _declared_symbols(lhs, rhs)
    for old, new in using:
        if old in pinned or isinstance(old, sp.Symbol) and variables is not None \
                and old not in variables:
            raise ValueError(f"using= gives {old} another value, but the equation taken as given "
                             f"(or a lemma resting on one, or on a condition naming {old}) holds for "
                             f"{old} itself only")
        if old in declared:
            raise ValueError(f"using= gives {old} another value, but a declared distribution of "
                             f"the lemma depends on {old}, and it stays itself")
        if isinstance(getattr(old, "distribution", None), DeclaredDistribution):
            raise ValueError(f"using= replaces {old}, a declared distribution, which stays "
                             f"itself: the lemma holds for that distribution only")
        if isinstance(old, UndefinedFunction):
            if old not in lemma_functions:
                raise ValueError(f"using= names the function {old}, which the lemma does not use")
            _check_function(old, new)
            functions[old] = new
        elif isinstance(old, sp.Symbol):
            if old not in free:
                raise ValueError(f"using= names {old}, which is not a free symbol of the lemma")
            problem = _unmet_assumptions(old, new, ranges, dict(using))
            if problem:
                raise ValueError(f"using= {old} -> {new}: {problem}")
            symbols[old] = new
        else:
            raise ValueError(f"using= for a lemma maps its free symbols and functions, got {old}")
    values = set().union(*(sp.sympify(v).free_symbols for v in symbols.values())) if symbols else set()
    # (and from the free symbols of the Lambdas given for functions: F -> Lambda(u, x) put
    # under the lemma's own integral over x would read that x: hostile review 41 proved
    # 1/2 = x so)
    values |= set().union(*(new.free_symbols for new in functions.values()
                            if isinstance(new, sp.Basic)))
    sides = []
    for side in (lhs, rhs):
        side = rename_bound(side, values)
        captured = _captured_derivative(side, symbols, functions)
        if captured:
            raise ValueError(f"using= {captured}")
        side = replace_unevaluated(side, symbols) if symbols else side
        for function, new in functions.items():
            _check_arguments(function, new, side)
            side = _with_function(side, function, new)
        sides.append(side)
    return sides[0], sides[1]


def _captured_derivative(side: sp.Expr, symbols: dict, functions: dict | None = None) -> str:
    """Why putting ``symbols`` (and ``functions``) into ``side`` changes what one of its
    derivatives means (empty if it does not). A derivative's variable is bound in the
    derivative and free outside it: d/du (u v) at u := t, v := s is d/dt (t s) only when t is a
    symbol that nothing else in the derivative becomes; with v := t as well the substituted
    d/dt (t t) = 2 t is not the instance (v = t). So each variable's image must be a symbol
    (or stay the variable it is) that the images of the rest of the derivative (its other
    symbols, its functions' Lambdas) do not contain."""
    functions = functions or {}
    for node in sp.preorder_traversal(side):
        if not isinstance(node, sp.Derivative):
            continue
        for variable in dict.fromkeys(node.variables):
            if isinstance(variable, sp.Symbol):
                image = sp.sympify(symbols.get(variable, variable))
                if not isinstance(image, sp.Symbol):
                    return (f"{variable} -> {image}: {variable} is the variable of the derivative "
                            f"{node}, and {image} is not a symbol")
            else:
                image = replace_unevaluated(variable, symbols) if symbols else variable
            rest = replace_unevaluated(node, {variable: sp.Dummy()})
            around: set = set()
            for symbol in rest.free_symbols:
                around |= sp.sympify(symbols.get(symbol, symbol)).free_symbols
            for application in rest.atoms(AppliedUndef):
                new = functions.get(application.func)
                if isinstance(new, sp.Lambda):
                    around |= new.free_symbols
                elif new is not None:
                    around.add(new)
            caught = image in around if isinstance(image, sp.Symbol) else \
                bool(image.free_symbols & around) or image.func in around
            if caught:
                return (f"{variable} -> {image} captures: {variable} is the variable of the "
                        f"derivative {node}, and what the rest of that derivative becomes "
                        f"mentions {image} too (a derivative's variable is bound in it)")
    return ""


def _with_function(expr: sp.Basic, function: UndefinedFunction, new: object) -> sp.Basic:
    """``expr`` with every value of ``function`` replaced by ``new`` applied to its (already
    replaced) arguments, the rest left as written: the lemma's F(u) + F(u) with F := sin is
    sin(u) + sin(u), the side the lemma states, not 2 sin(u)."""
    if not expr.args:
        return expr
    args = [_with_function(a, function, new) for a in expr.args]
    if isinstance(expr, AppliedUndef) and expr.func == function:
        return _applied(new, tuple(args))
    return rebuild(expr, args)


def _applied(function: object, args: tuple) -> sp.Expr:
    """``function(*args)`` without capture: a Lambda's bound variables that an argument
    mentions are renamed first (SymPy's own call substitutes into them), and an argument may
    not mention the variable of a derivative in the body that a Lambda variable is under
    (Lambda(w, d/dt (w t)) at t is not d/dt (t t))."""
    if not isinstance(function, sp.Lambda):
        return function(*args)
    mentioned = set().union(*(a.free_symbols for a in args)) if args else set()
    for node in sp.preorder_traversal(function.expr):
        if isinstance(node, sp.Derivative) and node.free_symbols & set(function.variables) \
                and set(node.variables) & mentioned:
            raise ValueError(f"{function} applied to {args}: an argument mentions the variable "
                             f"of the derivative {node} in its body (it would be captured)")
    body = rename_bound(function.expr, mentioned)
    return replace_unevaluated(body, dict(zip(function.variables, args)))


def _check_arguments(function: UndefinedFunction, new: object, side: sp.Expr) -> None:
    """A ValueError unless every argument ``function`` is applied to in ``side`` meets the
    assumptions of the variable of ``new`` (a Lambda) it is put in: the Lambda's body was
    checked only where its variables' assumptions hold (``Lambda(u, 2*u)``, u positive, is
    positive for positive arguments only), and an instance gives the argument any value its
    own assumptions allow."""
    if not isinstance(new, sp.Lambda):
        return
    for application in sorted(side.atoms(AppliedUndef), key=str):
        if application.func != function:
            continue
        if len(application.args) not in new.nargs:
            raise ValueError(f"using= {function} -> {new}: the lemma applies {function} to "
                             f"{len(application.args)} argument(s), the Lambda takes "
                             f"{len(new.variables)}")
        for variable, argument in zip(new.variables, application.args):
            problem = _unmet_assumptions(variable, argument)
            if problem:
                raise ValueError(f"using= {function} -> {new}: the lemma applies {function} to "
                                 f"{argument} ({application}), which the Lambda's {variable} "
                                 f"does not allow: {problem}")


def _shown(value: sp.Basic, fact: str) -> bool | None:
    """SymPy's assumption ``fact`` of ``value``, or None where ``value`` holds a function
    whose assumptions SymPy may get wrong (``atan(m)`` is "positive" for every integer
    m >= 0, atan(0) = 0: hostile review 30 instantiated a lemma's positive symbol so)."""
    if fact != "commutative" and untrusted_functions(value):
        return None
    return getattr(value, f"is_{fact}", None)


def _redefined_functions(lhs: sp.Expr, rhs: sp.Expr, context: RuleContext) -> str:
    """Why the lemma's functions may not be this derivation's (empty if they may): a function
    the lemma declares with an assumption (``positive``) and this derivation defines must
    show it in its definition, or the lemma's proof, which used it, does not apply."""
    for application in sorted(lhs.atoms(AppliedUndef) | rhs.atoms(AppliedUndef), key=str):
        declared = getattr(application.func, "_explicit_class_assumptions", None) or {}
        unfolded = context.unfold(application)
        if unfolded == application:
            continue
        for fact, holds in sorted(declared.items()):
            if holds is not None and _shown(unfolded, fact) is not holds:
                return (f"the lemma's {application.func} is declared "
                        f"{_declared_as(declared, fact, holds)}, which this derivation's "
                        f"definition {application} = {unfolded} is not shown to be")
    return ""


#: the facts a function is declared with, strongest first: SymPy stores every fact they
#: imply, and the message names what the author wrote (positive, not nonnegative)
_AS_DECLARED = ("positive", "negative", "nonnegative", "nonpositive", "nonzero", "zero",
                "integer", "rational", "real", "extended_real", "finite", "complex")


def _declared_as(declared: dict, fact: str, holds: bool) -> str:
    """How the function was declared, for a message about ``fact``."""
    strongest = next((f for f in _AS_DECLARED if declared.get(f) is True), None)
    return f"{strongest}=True" if strongest else f"{fact}={holds}"


def _check_function(old: UndefinedFunction, new: object) -> None:
    declared = dict(getattr(old, "_explicit_class_assumptions", None) or {})
    declared.setdefault("commutative", True)
    if isinstance(new, UndefinedFunction):
        given = getattr(new, "_explicit_class_assumptions", None) or {}
        for fact, holds in declared.items():
            shown = given.get(fact, True if fact == "commutative" else None)
            if shown is not holds:
                raise ValueError(f"using= {old} -> {new}: {old} is declared "
                                 f"{_declared_as(declared, fact, holds)}, {new} is not")
        return
    if isinstance(new, sp.Lambda):
        for fact, holds in declared.items():
            if _shown(new.expr, fact) is not holds:
                raise ValueError(f"using= {old} -> {new}: {old} is declared "
                                 f"{_declared_as(declared, fact, holds)}, which {new.expr} is "
                                 f"not shown to be")
        rough = next((node for node in sp.preorder_traversal(new.expr)
                      if not (smooth_everywhere_by_form(node)
                              or isinstance(node, AppliedUndef))), None)
        if rough is not None:
            # (the rules read an undefined function as smooth: a derivative moves under its
            # sum or integral; hostile review 23 passed a swap across a moving jump so)
            raise ValueError(f"using= {old} -> {new}: its body holds {rough}, which may jump or "
                             f"bend, but the lemma was proved for an undefined {old}, which the "
                             f"rules read as smooth; cite the lemma's steps for this function")
        return
    raise ValueError(f"using= {old} -> {new!r}: a function is replaced by an undefined "
                     f"function or a sympy.Lambda")


def _unmet_assumptions(symbol: sp.Symbol, value: sp.Basic,
                       ranges: dict | None = None, values: dict | None = None,
                       enclosing: tuple = (), cases: tuple = ({},)) -> str:
    """Why ``value`` may not stand for ``symbol`` (empty when it may): every assumption the
    symbol was declared with, its commutativity (a lemma about commuting symbols says
    nothing of matrices) and, for a symbol with a range in the lemma, that range (its
    bounds instantiated by ``values``) must be shown for the value, or, for the variable of
    a sum around the instance (``enclosing``: its limits, outermost first), for the bounds
    of that sum."""
    declared = dict(getattr(symbol, "_assumptions_orig", None) or {})
    declared.setdefault("commutative", bool(symbol.is_commutative))
    value = sp.sympify(value)
    for fact, holds in sorted(declared.items()):
        if holds is None:
            continue
        shown = _shown(value, fact)
        if shown is not holds:
            wanted = fact if holds else f"not {fact}"
            return f"{symbol} is declared {wanted}, and {value} is not shown to be"
    if ranges and symbol in ranges:
        if untrusted_functions(value):
            return (f"{symbol} runs over a range in the lemma, and {value} holds a function "
                    f"whose value SymPy's simplification may get wrong")
        low, high = (sp.sympify(b).xreplace(values or {}) for b in ranges[symbol])
        ends = (value,)
        for variable, first, last in reversed(enclosing):  # the innermost binding wins
            if variable == value:
                # both ends in the range: a sum that runs backwards (Karr's convention) takes
                # the values strictly between them, which are then in the range too
                ends = (first, last)
                break
        # in every range case of the citing derivation (its ranged symbols in their ranges)
        if not all(sp.simplify((end - low).xreplace(case)).is_nonnegative
                   and sp.simplify((high - end).xreplace(case)).is_nonnegative
                   for end in ends for case in cases or ({},)):
            return (f"{symbol} runs over {low}..{high} in the lemma, and {value} is not shown to "
                    f"lie in that range")
    return ""


def _empty_ranges(ranges: dict | None, values: dict, pattern: sp.Expr, replacement: sp.Expr,
                  cases: tuple = ({},)) -> bool:
    """Whether a range of the lemma on a symbol its statement does not mention may be empty
    for the instance. The lemma's steps hold for each value of ``j`` in ``low..high``, so
    its statement holds only where some value is (its range cases take ``n`` of
    ``j in 0..n-1`` to ``n >= 1``): ``high - low >= 0`` must be shown for the instance, in
    every range case of the citing derivation, with every symbol of the bounds in the
    instance. (A ranged symbol the statement mentions is itself shown to lie in its range,
    which shows this.)"""
    stated = pattern.free_symbols | replacement.free_symbols
    for symbol, (low, high) in (ranges or {}).items():
        if symbol in stated:
            continue
        gap = sp.sympify(high) - sp.sympify(low)
        if gap.is_Integer:
            if gap < 0:
                return True
            continue
        if not gap.free_symbols <= set(values) | stated:
            return True  # a bound the instance does not give (another ranged symbol)
        gap = gap.xreplace(values)
        if not all(sp.simplify(gap.xreplace(case)).is_nonnegative for case in cases or ({},)):
            return True
    return False


def _stripped(expr: sp.Basic) -> sp.Basic:
    """``expr`` with canonically named bound variables stripped of their assumptions (and of
    the underscores of their prefix), so that a pattern whose bounds are wild matches them.
    (Only for finding candidates: each is confirmed by :func:`_alpha_equal`.)"""
    names = {s: sp.Symbol(re.sub("^_+", "_", s.name)) for s in expr.atoms(sp.Symbol)
             if CANONICAL_NAME.fullmatch(s.name)}
    return replace_unevaluated(expr, names) if names else expr


def _instantiable(*sides: sp.Expr) -> list[sp.Symbol]:
    """The lemma's symbols an instance may replace: its free symbols, not the items of an
    indexed object (``a[t]`` in a product over ``t``, which SymPy counts as free) nor the
    labels of indexed objects, which stay themselves, like its functions, nor the symbols a
    declared distribution of the lemma depends on (:func:`_declared_symbols`)."""
    labels = {i.base.label for side in sides for i in side.atoms(sp.Indexed)}
    declared = _declared_symbols(*sides)
    return sorted((s for side in sides for s in side.free_symbols
                   if isinstance(s, sp.Symbol) and s not in labels and s not in declared),
                  key=str)


def _declared_symbols(*sides: sp.Expr) -> frozenset:
    """The symbols that the declared distributions of ``sides`` depend on without showing
    them in their values (``K`` of ``p`` over ``0..K-1``): the distribution stays itself in
    an instance, so they must too (``sum_{x=0}^{K-1} p(x) = 1`` says nothing of ``M``)."""
    found: frozenset = frozenset()
    for side in sides:
        for application in side.atoms(AppliedUndef):
            distribution = getattr(type(application), "distribution", None)
            if isinstance(distribution, DeclaredDistribution):
                found |= distribution.hidden_symbols
    return found


def _rewritten(source: sp.Expr, pattern: sp.Expr, replacement: sp.Expr,
               variables: tuple | None = None, ranges: dict | None = None,
               pinned: frozenset = frozenset(), cases: tuple = ({},),
               context: RuleContext | None = None) -> Iterator[tuple[sp.Expr, dict]]:
    """``source`` with instances of ``pattern`` replaced by the same instance of
    ``replacement``: all at once, then one at a time, each with the replacements made
    (instance of ``pattern`` -> instance of ``replacement``). ``cases`` are the citing
    derivation's range cases, under which its own ranged symbols show their ranges."""
    free = [symbol for symbol in _instantiable(pattern, replacement) if symbol not in pinned]
    if variables is not None:
        free = [symbol for symbol in free if symbol in variables]
    wilds = {s: sp.Wild(f"lemma_{i}") for i, s in enumerate(free)}
    wild_pattern = _stripped(canonical_bound(replace_unevaluated(pattern, wilds)))
    places: dict[sp.Basic, set[tuple]] = {}
    varied_around = _varied_around(source, frozenset())
    for node, enclosing in with_enclosing_limits(source):
        if not node.is_Atom:
            places.setdefault(node, set()).add(enclosing)
    for node, varied in varied_around.items():  # an equation at a fixed value, varied
        if _touches(varied, pinned, context):
            places.pop(node, None)
    found: dict[sp.Basic, tuple[sp.Expr, ...]] = {}
    for node, enclosings in places.items():
        # a node is replaced wherever it occurs: it must be an instance in every place
        instances = [_instance(node, wild_pattern, wilds, pattern, replacement, ranges,
                               enclosing, cases) for enclosing in sorted(enclosings, key=len)]
        if instances[0] and all(i == instances[0] for i in instances):
            found[node] = instances[0]
    if not found:
        return
    for variant in (0, 1):  # the instance as substituted, and as SymPy evaluates it
        every = {node: i[variant] for node, i in found.items()}
        yield replace_unevaluated(source, every), every
        if len(found) > 1:
            for node, instances in found.items():
                yield replace_unevaluated(source, {node: instances[variant]}), \
                    {node: instances[variant]}


def _touches(varied: frozenset, pinned: frozenset, context: RuleContext | None) -> bool:
    """Whether varying ``varied`` may change something ``pinned``: the same symbol or
    function (d/dr(0) varies the function r), through the citing derivation's definitions
    (d/dy with y := c varies c), or an entry of the same indexed object (d/d theta[j]
    varies theta[0])."""
    if not varied or not pinned:
        return False
    unfold = context.unfold if context is not None else (lambda e: e)

    def reach(items: frozenset) -> set:
        out = set(items)
        for item in items:
            if isinstance(item, sp.Basic):
                unfolded = sp.sympify(unfold(item))
                out |= unfolded.free_symbols | {a.func for a in unfolded.atoms(AppliedUndef)}
        for item in list(out):
            if isinstance(item, sp.Indexed):
                out.add(item.base.label)
        return out

    return bool(reach(varied) & reach(pinned))


def _varied_around(expr: sp.Basic, varied: frozenset,
                   found: dict | None = None) -> dict[sp.Basic, frozenset]:
    """Every node of ``expr`` with the symbols that a derivative, substitution or limit
    around it varies (for a node in several places, all of them)."""
    found = {} if found is None else found
    found[expr] = found.get(expr, frozenset()) | varied
    if expr.is_Atom:
        return found
    inside = varied
    if isinstance(expr, sp.Derivative):
        inside = varied | _varies(expr.variables)
    elif isinstance(expr, sp.Subs):
        inside = varied | _varies(expr.variables)
    elif isinstance(expr, sp.Limit):
        inside = varied | _varies((expr.args[1],))
    for arg in expr.args:
        _varied_around(arg, inside, found)
    return found


def _varies(variables) -> frozenset:
    """What varying ``variables`` varies: each itself and, for a function's value (d/dr(0)),
    the function (its other values may be tied to this one by an equation)."""
    return frozenset(variables) | {v.func for v in variables if isinstance(v, AppliedUndef)}


def _instance(node: sp.Basic, wild_pattern: sp.Basic, wilds: dict, pattern: sp.Expr,
              replacement: sp.Expr, ranges: dict | None = None,
              enclosing: tuple = (), cases: tuple = ({},)) -> tuple[sp.Expr, sp.Expr] | None:
    """The instance of ``replacement`` that takes the place of ``node`` (as substituted, and
    as SymPy evaluates it), if ``node`` is an instance of ``pattern`` whose values meet the
    lemma's assumptions."""
    try:
        matched = _stripped(node).match(wild_pattern)
    except (TypeError, ValueError, AttributeError, RecursionError):
        return None
    if matched is None:
        return None
    # a value mentions the node's own symbols with their assumptions, not stripped ones
    by_name = {s.name: s for s in node.free_symbols if isinstance(s, sp.Symbol)}
    values = {}
    for symbol, wild in wilds.items():
        if wild not in matched:  # only the other side has it: it stays itself
            values[symbol] = symbol
            continue
        values[symbol] = matched[wild].xreplace({s: by_name.get(s.name, s)
                                                 for s in matched[wild].atoms(sp.Symbol)})
    # a ranged symbol that is no wildcard (pinned by an equation taken as given) stays
    # itself, and the lemma holds for it only in its range: that must be shown here too
    kept = {symbol: symbol for symbol in ranges or {} if symbol not in values
            and symbol in pattern.free_symbols | replacement.free_symbols}
    if any(_unmet_assumptions(symbol, value, ranges, {**values, **kept}, enclosing, cases)
           for symbol, value in {**values, **kept}.items()):
        return None
    if _empty_ranges(ranges, {**values, **kept}, pattern, replacement, cases):
        return None
    try:
        avoid = set().union(*(v.free_symbols for v in values.values())) if values else set()
        renamed = rename_bound(pattern, avoid)
        other_side = rename_bound(replacement, avoid)
        # a derivative's variable is bound in it: d/du (u v) with u, v -> t is no instance
        if _captured_derivative(renamed, values) or _captured_derivative(other_side, values):
            return None
        # the match is trusted only when the instance is the node itself
        if not (alpha_equal(replace_unevaluated(renamed, values), node)
                or alpha_equal(renamed.xreplace(values), node)):
            return None
        return replace_unevaluated(other_side, values), other_side.xreplace(values)
    except (TypeError, ValueError, AttributeError, RecursionError):
        return None
