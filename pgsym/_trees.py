"""Small operations on expression trees that SymPy does not offer as we need them.

* Bound variables (of sums, integrals, products, expectations, lambdas, substitutions) kept
  apart from free ones, so that replacing a free symbol never captures or rewrites a bound
  one (:func:`rename_bound`).
* Rebuilding a node without SymPy's evaluation, so that a check that must only regroup or
  only substitute does not also simplify (:func:`rebuild`, :func:`replace_unevaluated`).
* Dependence on a variable, and derivatives that would move under a limit.

>>> import sympy as sp
>>> k = sp.Symbol("k", integer=True)
>>> a = sp.Symbol("a")
>>> renamed = rename_bound(sp.Sum(a, (k, 1, 3)), {k})
>>> renamed.xreplace({a: k}).doit()
3*k
"""
from __future__ import annotations

import re
from typing import Iterator

import sympy as sp
from sympy.core.function import AppliedUndef, Application
from sympy.matrices.expressions.matexpr import MatrixElement

from pgsym import _sympy_fixes  # noqa: F401  (Subs compared with its points)
from pgsym.expectation import Expectation


def nodes(expr: sp.Basic) -> Iterator[sp.Basic]:
    """Every distinct subexpression of ``expr`` once, in the order ``sympy.preorder_traversal``
    first meets it. A check of each node on its own (not of where it stands) need not visit
    a repeated subtree again: the closed forms of a 2-state MDP hold 195 distinct nodes in
    11435, and the structural checks of a step walked them all, a dozen times.

    >>> x = sp.Symbol("x")
    >>> [str(n) for n in nodes(sp.Add(sp.sin(x), sp.sin(x) ** 2, evaluate=False))]
    ['sin(x)**2 + sin(x)', 'sin(x)', 'x', 'sin(x)**2', '2']
    """
    seen: set = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        yield node
        if isinstance(node, sp.Basic):
            stack.extend(reversed(node.args))


def written_size(expr: sp.Basic, limit: int) -> int:
    """How many nodes ``expr`` has written out (a subtree shared n times counted n times),
    or a number above ``limit`` as soon as it is passed; in time linear in its distinct
    nodes. Printing and SymPy's walks take time in the size written out: ``e = sin(e) +
    cos(e)`` twenty times over has 21 distinct subtrees and two million nodes (hostile
    review 66).

    >>> x = sp.Symbol("x")
    >>> e = x
    >>> for _ in range(3):
    ...     e = sp.sin(e) + sp.cos(e)
    >>> written_size(e, 10**6), len(list(nodes(e)))
    (29, 10)
    """
    sizes: dict = {}
    stack: list = [(expr, False)]
    while stack:
        node, expanded = stack.pop()
        if node in sizes:
            continue
        arguments = node.args if isinstance(node, sp.Basic) else ()
        if expanded:
            sizes[node] = 1 + sum(sizes[argument] for argument in arguments)
            if sizes[node] > limit:
                return sizes[node]
        else:
            stack.append((node, True))
            stack.extend((argument, False) for argument in arguments if argument not in sizes)
    return sizes[expr]


def atoms_of(expr: sp.Basic, *types: type) -> set:
    """``expr.atoms(*types)`` in one walk over the distinct nodes (:func:`nodes`)."""
    return {node for node in nodes(expr) if isinstance(node, types)}


def binders(expr: sp.Basic) -> list[sp.Basic]:
    """Every distinct node of ``expr`` that binds variables, outermost first."""
    return [node for node in nodes(expr) if bound_variables(node)]


def bound_variables(node: sp.Basic) -> tuple[sp.Basic, ...]:
    """The variables ``node`` itself binds (not those of nodes inside it)."""
    if isinstance(node, sp.concrete.expr_with_limits.ExprWithLimits):
        return tuple(limit[0] for limit in node.limits)
    if isinstance(node, Expectation):
        return node.variables
    if isinstance(node, sp.Lambda):
        return tuple(node.variables)
    if isinstance(node, sp.Subs):
        return tuple(node.variables)
    return ()


def rename_bound(expr: sp.Basic, avoid: set[sp.Basic]) -> sp.Basic:
    """Returns ``expr`` with every bound variable that is in ``avoid`` renamed.

    The new names are chosen deterministically (``k_1``, ``k_2``, ...) with the old
    variable's assumptions, so that two expressions renamed alike still compare equal.
    """
    if not avoid or expr.is_Atom or not binders(expr):
        return expr
    taken = {s.name for s in expr.atoms(sp.Symbol)} | {getattr(s, "name", "") for s in avoid}
    return _renamed(expr, set(avoid), taken)


def _fresh(variable: sp.Symbol, taken: set[str]) -> sp.Symbol:
    number = 1
    while f"{variable.name}_{number}" in taken:
        number += 1
    name = f"{variable.name}_{number}"
    taken.add(name)
    return sp.Symbol(name, **variable.assumptions0)


def _renamed(expr: sp.Basic, avoid: set[sp.Basic], taken: set[str]) -> sp.Basic:
    if expr.is_Atom or not expr.args:
        return expr
    clashing = [v for v in bound_variables(expr) if v in avoid and isinstance(v, sp.Symbol)]
    if clashing:
        expr = _rename_node(expr, {v: _fresh(v, taken) for v in clashing})
    args = [_renamed(a, avoid, taken) for a in expr.args]
    return rebuild(expr, args)  # nothing evaluated: H - H stays


def _rename_node(node: sp.Basic, mapping: dict[sp.Basic, sp.Basic]) -> sp.Basic:
    """Renames variables that ``node`` binds, in the places where they are bound only."""
    if isinstance(node, sp.concrete.expr_with_limits.ExprWithLimits):
        function, limits = node.function, [list(limit) for limit in node.limits]
        for position, limit in enumerate(limits):
            old = limit[0]
            if old not in mapping:
                continue
            new = mapping[old]
            function = replace_unevaluated(function, {old: new})
            limit[0] = new
            for inner in limits[:position]:  # inner bounds may depend on an outer variable
                inner[1:] = [replace_unevaluated(bound, {old: new}) for bound in inner[1:]]
        return type(node)(function, *[tuple(limit) for limit in limits])
    if isinstance(node, Expectation):
        mapping = {v: new for v, new in mapping.items() if v in node.variables}
        limits, outer = [], {}
        for variable, lower, upper in node.all_limits:  # a bound may use the variables before it
            limits.append((mapping.get(variable, variable), replace_unevaluated(lower, outer),
                           replace_unevaluated(upper, outer)))
            if variable in mapping:
                outer[variable] = mapping[variable]
        return node.rebuilt(replace_unevaluated(node.body, mapping), limits,
                            replace_unevaluated(node.density, mapping))
    if isinstance(node, sp.Lambda):
        return sp.Lambda(tuple(mapping.get(v, v) for v in node.variables),
                         replace_unevaluated(node.expr, mapping))
    if isinstance(node, sp.Subs):
        return sp.Subs(replace_unevaluated(node.expr, mapping), tuple(mapping.get(v, v) for v in node.variables),
                       node.point)
    return node


def differentiates_under_limit(derivative: sp.Derivative) -> bool:
    """Whether evaluating ``derivative`` would move it under an integral, or under a sum or
    product that may be infinite: an interchange that needs a condition (domination, uniform
    convergence), so no check may perform it on its own.

    >>> import sympy as sp
    >>> x, t = sp.symbols("x t", real=True)
    >>> differentiates_under_limit(sp.Derivative(sp.Integral(sp.exp(-t * x), (x, 0, 1)), t))
    True
    >>> k, K = sp.symbols("k K", integer=True)
    >>> differentiates_under_limit(sp.Derivative(sp.Sum(t**k, (k, 1, K)), t))
    False
    """
    variables = [v for v, _ in derivative.variable_count]
    for node in nodes(derivative.expr):
        if isinstance(node, Expectation):  # (a sum or an integral, once unfolded)
            node = node.unfold()
        if isinstance(node, sp.Integral) or isinstance(node, (sp.Sum, sp.Product)) and not all(
                bound.is_finite for limit in node.limits for bound in limit[1:]):
            if any(depends_on(node, v) for v in variables):
                return True
    return False


def depends_on(expr: sp.Basic, variable: sp.Basic) -> bool:
    """Whether ``expr`` may vary with ``variable``; ``theta[k]`` may vary with ``theta[1]``.

    >>> import sympy as sp
    >>> theta, k = sp.IndexedBase("theta"), sp.Symbol("k", integer=True)
    >>> depends_on(sp.exp(theta[k]), theta[1]), depends_on(sp.exp(theta[k]), sp.Symbol("x"))
    (True, False)
    >>> A = sp.MatrixSymbol("A", 3, 3)
    >>> depends_on(A[k, 2], A[0, 1]), depends_on(A[k, 2], sp.MatrixSymbol("B", 3, 3)[0, 1])
    (True, False)
    """
    if expr.has(variable):
        return True
    if isinstance(variable, sp.Indexed):
        return any(i.base == variable.base for i in expr.atoms(sp.Indexed))
    if isinstance(variable, MatrixElement):  # (A[i, j] is A[0, 1] where i = 0, j = 1: the
        # derivative of a constant confirmed d A[i, j] / d A[0, 1] = 0, hostile review 71)
        return any(e.parent == variable.parent for e in expr.atoms(MatrixElement))
    if isinstance(variable, AppliedUndef):  # f(k) is f(1) where k = 1
        return bool(other_values(expr, variable))
    return False


def other_values(expr: sp.Basic, value: AppliedUndef) -> list[AppliedUndef]:
    """The applications of ``value``'s function in ``expr`` that are not ``value`` itself
    but may equal it (their arguments are not shown different): SymPy differentiates by
    ``f(1)`` as by a symbol, so ``f(k)`` stays constant, though it is ``f(1)`` where
    ``k = 1``.

    >>> import sympy as sp
    >>> f, k = sp.Function("f"), sp.Symbol("k", integer=True)
    >>> other_values(sp.Sum(f(k), (k, 1, 3)) + f(2), f(1))
    [f(k)]
    """
    return sorted((a for a in expr.atoms(AppliedUndef)
                   if a.func == value.func and a != value and not _distinct_values(a, value)),
                  key=sp.default_sort_key)


def _distinct_values(a: AppliedUndef, b: AppliedUndef) -> bool:
    """Whether ``a`` and ``b`` (of one function) are shown to be values at different points:
    some argument differs by a nonzero difference (``s`` and ``s + 1``, ``0`` and ``1``), of
    finite arguments (``e + 1`` is ``e`` at ``e = oo``)."""
    if len(a.args) != len(b.args):
        return True
    for first, second in zip(a.args, b.args):
        if any(atom.is_finite is not True and atom.is_extended_real
               for argument in (first, second) for atom in argument.free_symbols):
            continue
        if (first - second).is_zero is False:
            return True
    return False


def ambiguous_value_derivative(expr: sp.Basic) -> sp.Derivative | None:
    """A derivative in ``expr`` by a function's value (``d/df(1)``) of an expression holding
    another value of that function that may equal it (``f(k)``), which SymPy would treat as
    a constant; ``None`` if there is none.

    >>> import sympy as sp
    >>> f, k = sp.Function("f"), sp.Symbol("k", integer=True)
    >>> ambiguous_value_derivative(sp.Derivative(sp.Sum(f(k), (k, 1, 3)), f(1))) is None
    False
    >>> ambiguous_value_derivative(sp.Derivative(f(2) * f(1), f(1))) is None
    True
    """
    for node in nodes(expr):
        if isinstance(node, sp.Derivative) and any(
                isinstance(v, AppliedUndef) and other_values(node.expr, v)
                for v in node.variables):
            return node
    return None


#: functions whose derivative does not exist everywhere (at a kink, jump or branch cut)
NOT_SMOOTH = (sp.Abs, sp.Max, sp.Min, sp.Piecewise, sp.Heaviside, sp.sign, sp.floor,
              sp.ceiling, sp.frac, sp.Mod, sp.re, sp.im, sp.arg, sp.conjugate, sp.DiracDelta,
              sp.KroneckerDelta)

#: functions smooth (analytic) wherever they are defined (gamma: but at its poles, the
#: integers <= 0; user 15 was told gamma is "not analytic")
SMOOTH_FUNCTIONS = (sp.exp, sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh, sp.gamma)


def smooth_by_form(node: sp.Basic) -> bool:
    """Whether ``node``, as a function of its arguments, is smooth (analytic) wherever it
    is defined, by its form alone: sums, products, integer powers (or powers of a positive
    base), log of a positive argument, exp, gamma and the trigonometric and hyperbolic functions,
    indexed items, and sums, integrals and derivatives of such parts. Not: Abs, Max,
    Piecewise, Heaviside, floor, sign, sqrt of what may be negative (``sqrt((x - t)**2)``
    is ``|x - t|``), log across its branch cut, an undefined function (it may be anything).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> smooth_by_form(sp.exp(x)), smooth_by_form(sp.sqrt(x**2)), smooth_by_form(sp.Abs(x))
    (True, False, False)
    """
    if node.is_Atom or isinstance(node, (sp.Add, sp.Mul, sp.Indexed, sp.IndexedBase, sp.Tuple,
                                         sp.Sum, sp.Product, sp.Integral, sp.Derivative)
                                  + SMOOTH_FUNCTIONS):
        return True
    if isinstance(node, sp.Pow):
        return bool(node.exp.is_Integer or node.base.is_positive)
    if isinstance(node, sp.log):
        return bool(node.args[0].is_positive)
    return False


def smooth_everywhere_by_form(node: sp.Basic) -> bool:
    """Whether ``node``, as a function of its real arguments, is defined and smooth at every
    point, by its form alone: as :func:`smooth_by_form`, but no negative power of what may
    be 0 and no tan. A part smooth only where it is defined can jump across the point where
    it is not: ``tanh(1/(x - t))`` goes from -1 to 1 at x = t, ``tanh(tan(x - t))`` at every
    pole of tan (hostile review 25 moved a derivative under an integral across such a jump).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> smooth_by_form(1 / x), smooth_everywhere_by_form(1 / x), smooth_everywhere_by_form(x**2)
    (True, False, True)
    """
    if isinstance(node, sp.Pow):
        return bool(node.exp.is_Integer and node.exp >= 0 or node.base.is_positive)
    if isinstance(node, (sp.Sum, sp.Product, sp.Integral)):
        # a limit of smooth terms need not be continuous: the integral of a/(a^2 + t^2) over
        # t > 0 is pi/2 sign(a) (hostile review 26); over finite bounds it is smooth
        return all(bound.is_finite for limit in node.limits for bound in limit[1:])
    if isinstance(node, sp.gamma):  # (its poles: smooth everywhere for a positive argument)
        return node.args[0].is_positive is True
    return not isinstance(node, sp.tan) and smooth_by_form(node)


#: SymPy's function classes whose automatic evaluation (constructors, the ``_eval_*`` methods
#: other constructors call on them) and assumptions are trusted to be right everywhere. Any
#: other SymPy function may be rewritten wrongly: ``conjugate(loggamma(r))`` becomes
#: ``loggamma(r)`` (false for r < 0), ``acot(-r)`` becomes ``-acot(r)`` (false at 0), and
#: ``atan(m)`` is "positive" for every integer m >= 0 (atan(0) = 0); so a proof that rests on
#: SymPy's evaluation or assumptions of such a function is not taken on trust (see
#: :func:`untrusted_functions`). Sums, integrals, derivatives, Add, Mul, Pow, matrices and
#: indexed objects are not functions, and are trusted; so are undefined functions (their
#: assumptions are the user's declaration), pgsym's own classes and the user's own classes
#: (their code is the user's definition of them).
TRUSTED_FUNCTIONS = (sp.exp, sp.log, sp.sin, sp.cos, sp.tan, sp.sinh, sp.cosh, sp.tanh, sp.Abs,
                     sp.sign, sp.re, sp.im, sp.conjugate, sp.floor, sp.ceiling, sp.Heaviside,
                     sp.Max, sp.Min, sp.Piecewise, sp.KroneckerDelta, sp.erf, sp.And, sp.Or,
                     sp.Not)


def untrusted_functions(expr: sp.Basic) -> set[type]:
    """The classes of SymPy's functions in ``expr`` outside :data:`TRUSTED_FUNCTIONS`: where
    there is one, neither SymPy's evaluation of ``expr`` nor its assumptions are proof.

    >>> import sympy as sp
    >>> r = sp.Symbol("r", real=True)
    >>> untrusted_functions(sp.exp(r) + sp.conjugate(sp.loggamma(r), evaluate=False))
    {loggamma}
    """
    found = set()
    for node in nodes(expr):
        cls = type(node)
        if isinstance(node, AppliedUndef) or not isinstance(node, Application) \
                or not (cls.__module__ or "").startswith("sympy.") or cls in _TRUSTED_EXACTLY:
            continue
        found.add(cls)
    return found


#: the classes themselves: a subclass may override what made its base trusted
_TRUSTED_EXACTLY = frozenset(TRUSTED_FUNCTIONS)


#: node types whose constructors take ``evaluate=False``
_UNEVALUATED = (sp.Add, sp.Mul, sp.Pow, sp.Function, sp.Derivative)


def substituted_at_once(substitution: sp.Subs) -> sp.Basic:
    """``substitution`` done, every variable at once, where its expression binds nothing and
    holds no derivative left to take; else ``substitution`` itself. SymPy substitutes one
    variable after the other and cancels in between: the mixed partial of
    x y (x^2 - y^2)/(x^2 + y^2), 0/0 at (0, 0), had the value -1 in either order, and
    -1 = 1 was proved (new user 24).

    >>> x, y = sp.symbols("x y")
    >>> substituted_at_once(sp.Subs(x * y / (x**2 + y**2), (x, y), (0, 0)))
    nan
    """
    if any(bound_variables(node) or isinstance(node, sp.Derivative)
           for node in nodes(substitution.expr)):
        return substitution
    return substitution.expr.xreplace(dict(zip(substitution.variables, substitution.point)))


def rebuild(expr: sp.Basic, args: list[sp.Basic] | tuple) -> sp.Basic:
    """Returns ``expr``'s node with new ``args``, without SymPy's evaluation where the node
    type allows it (``exp(log(x))`` stays as written).

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> rebuild(sp.exp(x), [sp.log(x)])
    exp(log(x))
    """
    args = list(args)
    if args == list(expr.args):
        return expr
    if isinstance(expr, _UNEVALUATED):
        return expr.func(*args, evaluate=False)
    return expr.func(*args)


def replaced(expr: sp.Basic, query, value) -> sp.Basic:
    """``expr.replace(query, value)``, visiting each distinct subexpression once: a
    stand-in for ``pi(a, s)``, written a dozen times in an MDP's closed form, is applied
    once (SymPy's ``replace`` rebuilds every occurrence).

    >>> x, y = sp.symbols("x y")
    >>> f = sp.Function("f")
    >>> replaced(f(x) + f(x)**2 + sp.sin(f(y)), lambda e: isinstance(e, AppliedUndef),
    ...          lambda e: e.args[0] + 1)
    x + (x + 1)**2 + sin(y + 1) + 1
    """
    done: dict[sp.Basic, sp.Basic] = {}

    def visit(node: sp.Basic) -> sp.Basic:
        found = done.get(node)
        if found is not None:
            return found
        result = node
        if node.args:
            args = tuple(visit(a) for a in node.args)
            if args != node.args:
                result = node.func(*args)
                # (as replace does: a node that collapses to an argument that was replaced
                # is not replaced again)
                if any(result == old and old != new for old, new in zip(node.args, args)):
                    done[node] = result
                    return result
        if query(result):
            new_value = value(result)
            result = result if new_value is None else new_value
        done[node] = result
        return result

    return visit(expr)


def replace_unevaluated(expr: sp.Basic, mapping: dict) -> sp.Basic:
    """``expr.xreplace(mapping)`` without evaluating the rebuilt nodes.

    >>> import sympy as sp
    >>> q, g = sp.symbols("q g")
    >>> replace_unevaluated(sp.Mul(g, q, evaluate=False), {g: 1 / q})
    q/q
    """
    if expr in mapping:
        return mapping[expr]
    if not expr.args:  # (an Indexed is an "atom" with arguments: theta[k] is rewritten too)
        return expr
    return rebuild(expr, [replace_unevaluated(a, mapping) for a in expr.args])


def has_undefined_value(expr: sp.Basic) -> bool:
    """Whether ``expr`` holds an undefined or infinite value (``nan``, ``zoo``, ``oo``...)
    other than as a bound of a sum, product or integral: such a value equals nothing.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> has_undefined_value(sp.Integral(sp.exp(-x**2), (x, -sp.oo, sp.oo))), has_undefined_value(sp.oo)
    (False, True)
    """
    infinite = False
    for node in nodes(expr):  # (one walk over distinct nodes: this runs on every side)
        if node is sp.nan or node is sp.zoo or isinstance(node, sp.AccumBounds) \
                or isinstance(node, sp.Symbol) and node.is_infinite:  # (Symbol("w", infinite=True))
            return True
        infinite = infinite or node is sp.oo or node is sp.S.NegativeInfinity
    if not infinite:
        return False
    stripped = expr.replace(lambda e: isinstance(e, sp.concrete.expr_with_limits.ExprWithLimits),
                            lambda e: e.function)
    stripped = stripped.replace(lambda e: isinstance(e, Expectation),
                                lambda e: sp.Mul(e.density, e.body, evaluate=False))
    return stripped.has(sp.oo, -sp.oo)


def _known(fact) -> bool:
    return fact is True or fact is sp.true


def polynomials_expanded(expr: sp.Basic, multiply_out: bool = True) -> sp.Basic:
    """``expr`` with each largest part that is a polynomial (sums, products and whole
    non-negative powers of symbols and rational numbers) multiplied out (or, without
    ``multiply_out``, only as SymPy evaluates it when it is built: flattened, numbers
    multiplied in), the rest rebuilt as written. A polynomial is defined everywhere, so this
    hides no hole, as SymPy's own evaluation of ``x/x`` to 1 would.

    >>> t, T = sp.symbols("t T")
    >>> polynomials_expanded(sp.Add(T, sp.Mul(-1, t + 1, evaluate=False), evaluate=False))
    T - t - 1
    >>> polynomials_expanded(sp.Mul(t, 1 / t, evaluate=False))
    t/t
    >>> polynomials_expanded(t**2 * (t + 1)), polynomials_expanded(t**2 * (t + 1), False)
    (t**3 + t**2, t**2*(t + 1))
    """
    written, polynomial = _expanded_parts(expr, multiply_out)
    return _polynomial_written(written, multiply_out) if polynomial else written


def _polynomial_written(polynomial: sp.Basic, multiply_out: bool) -> sp.Basic:
    if multiply_out:
        return sp.expand(polynomial)
    if not polynomial.args:
        return polynomial
    return polynomial.func(*(_polynomial_written(arg, False) for arg in polynomial.args))


def _expanded_parts(expr: sp.Basic, multiply_out: bool) -> tuple[sp.Basic, bool]:
    """``(expr with its largest polynomial parts written out, whether it is one)``, where
    ``expr`` itself is left as written for its caller to write out."""
    if isinstance(expr, sp.Symbol) or expr.is_Rational:  # (not floats: they would round)
        return expr, True
    if not expr.args:
        return expr, False
    parts = [_expanded_parts(arg, multiply_out) for arg in expr.args]
    if all(polynomial for _, polynomial in parts) and (
            isinstance(expr, (sp.Add, sp.Mul)) or isinstance(expr, sp.Pow)
            and expr.exp.is_Integer and expr.exp >= 0):
        return rebuild(expr, [part for part, _ in parts]), True
    return rebuild(expr, [_polynomial_written(part, multiply_out) if polynomial else part
                          for part, polynomial in parts]), False


def range_assumptions(node: sp.Basic, limit: tuple) -> dict[str, bool]:
    """The assumptions a bound variable may carry: those its range gives it, nothing more.

    A sum's index is an integer, positive when the whole range (either orientation, in
    SymPy's Karr convention) lies at or above 1; an integral's variable is real when both
    bounds are, positive when both are at or above 0 (almost everywhere).

    >>> import sympy as sp
    >>> k, K = sp.Symbol("k"), sp.Symbol("K", integer=True, positive=True)
    >>> range_assumptions(sp.Sum(k, (k, 1, K)), (k, 1, K))
    {'integer': True, 'positive': True}
    """
    if len(limit) != 3:
        return {}
    # (multiplied out: the bound -(t + 1) + (T' + t + 1) of a range case is T', and
    # non-negative, as its other form -t + (T' + t + 1) - 1 was: new user 23)
    lower, upper = (polynomials_expanded(sp.sympify(bound)) for bound in limit[1:])
    if isinstance(node, (sp.Sum, sp.Product)):
        if not all(b.is_integer or b.is_infinite for b in (lower, upper)):
            # k runs over lower, lower + 1, ...: an integer only when the bounds are
            return {"real": True} if lower.is_extended_real and upper.is_extended_real else {}
        facts = {"integer": True}
        if _known(lower >= 1) and _known(upper >= 0):
            facts["positive"] = True
        elif _known(lower >= 0) and _known(upper >= -1):
            facts["nonnegative"] = True
        elif _known(upper <= -1) and _known(lower <= 0):
            facts["negative"] = True
        elif _known(upper <= 0) and _known(lower <= 1):
            facts["nonpositive"] = True
        return facts
    if not (lower.is_extended_real and upper.is_extended_real):
        return {}  # a path in the complex plane
    facts = {"real": True}
    if _known(lower >= 0) and _known(upper >= 0):
        facts["positive"] = True
    elif _known(lower <= 0) and _known(upper <= 0):
        facts["negative"] = True
    return facts


#: the names :func:`canonical_bound` gives bound variables (``_b0_0``, or with more
#: underscores where the expression has such names already)
CANONICAL_NAME = re.compile(r"_+b\d+_\d+")


def canonical_bound(expr: sp.Basic, prefix: str = "_b") -> sp.Basic:
    """Returns ``expr`` with the variable of every sum, product, integral and ``Subs`` renamed to a
    canonical name, ``_b<h>``, where h is the height of its binder (how many binders nest
    below it), and given the assumptions of its range only.

    So a bound variable never shares a name with a free symbol (``d/d theta[k]`` of a sum
    over ``k`` cannot capture it), carries no assumption its range contradicts (a positive
    ``x`` integrated over ``(-1, 1)``), and alpha-equivalent sums become identical.

    >>> import sympy as sp
    >>> k, j, n = sp.symbols("k j n", integer=True)
    >>> canonical_bound(sp.Sum(k**2, (k, 1, n))) == canonical_bound(sp.Sum(j**2, (j, 1, n)))
    True

    ``prefix`` is where the search for a prefix no name of ``expr`` starts with begins.
    """
    if expr.is_Atom or not binders(expr):
        return expr
    taken = {s.name for s in expr.atoms(sp.Symbol)}  # bound ones too: no capture
    while any(name.startswith(prefix) for name in taken):
        prefix = "_" + prefix
    return _canonical(expr, prefix)


def ranged_bound(expr: sp.Basic) -> sp.Basic:
    """Returns ``expr`` with every bound variable given the assumptions of its range only,
    keeping its name (a positive ``x`` summed over ``-3..-1`` is not positive there).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> ranged_bound(sp.Sum(x, (x, -3, -1))).limits[0][0].is_positive
    False
    """
    if expr.is_Atom or not binders(expr):
        return expr
    return _canonical(expr, None)


def _canonical(expr: sp.Basic, prefix: str | None) -> sp.Basic:
    """The expression with canonical bound variables, renamed from the outside in: a bound
    variable's assumptions come from its range, whose bounds already use the canonical
    (range-given) variables of the binders around it, never the user's symbols."""
    if expr.is_Atom or not expr.args:
        return expr
    if isinstance(expr, sp.Subs):
        # fresh names make SymPy's one-variable-at-a-time substitution simultaneous, as
        # |_{x=y, y=x} reads
        height = max(_binder_height(a) for a in expr.args)
        # the assumptions of a variable that its point shows, nothing more
        mapping = {v: sp.Symbol(v.name if prefix is None else f"{prefix}{height}_{i}",
                                **_shown_by(point, v.assumptions0))
                   for i, (v, point) in enumerate(zip(expr.variables, expr.point))
                   if isinstance(v, sp.Symbol)}
        body = _canonical(replace_unevaluated(expr.expr, mapping), prefix)
        return sp.Subs(body, tuple(mapping.get(v, v) for v in expr.variables),
                       tuple(_canonical(p, prefix) for p in expr.point))
    if not isinstance(expr, sp.concrete.expr_with_limits.ExprWithLimits):
        return rebuild(expr, [_canonical(a, prefix) for a in expr.args])  # H - H stays
    height = max(_binder_height(a) for a in expr.args)
    mapping: dict[sp.Basic, sp.Basic] = {}
    limits: list = list(expr.limits)
    for position in reversed(range(len(limits))):  # the outermost limit is the last
        variable, *bounds = limits[position]
        bounds = [_canonical(replace_unevaluated(b, mapping), prefix) for b in bounds]
        if isinstance(variable, sp.Symbol) and len(bounds) == 2:  # indefinite: x stays free
            renamed = sp.Symbol(variable.name if prefix is None else
                                f"{prefix}{height}_{position}",
                                **range_assumptions(expr, (variable, *bounds)))
            mapping[variable] = renamed
            variable = renamed
        limits[position] = (variable, *bounds)
    body = _canonical(replace_unevaluated(expr.function, mapping), prefix)
    return type(expr)(body, *limits)


def _shown_by(point: sp.Basic, facts: dict) -> dict:
    """The ``facts`` (assumption: value) that ``point`` shows."""
    return {fact: value for fact, value in facts.items()
            if getattr(point, f"is_{fact}", None) == value}


def _binder_height(expr: sp.Basic) -> int:
    """How many sums, products and integrals nest in ``expr``, counting ``expr`` itself."""
    if expr.is_Atom or not expr.args:
        return 0
    below = max(_binder_height(a) for a in expr.args)
    return below + isinstance(expr, (sp.concrete.expr_with_limits.ExprWithLimits, sp.Subs))


def readable_bound_names(expr: sp.Basic) -> sp.Basic:
    """``expr`` with the canonical names pgsym gives bound variables when it compares steps
    (``_b0_0``) replaced by letters that are free in it, for a note a reader reads
    (new users 30 and 31 met ``Sum(q(_b0_0), (_b0_0, 0, 1))``).

    >>> k = sp.Symbol("_b0_0", integer=True)
    >>> readable_bound_names(sp.Sum(k**2, (k, 0, sp.Symbol("n"))))
    Sum(k**2, (k, 0, n))
    """
    canonical = sorted((s for s in expr.atoms(sp.Symbol) if CANONICAL_NAME.fullmatch(s.name)),
                       key=lambda s: s.name)
    if not canonical:
        return expr
    taken = {s.name for s in expr.atoms(sp.Symbol)}
    letters = (name for name in ("k", "j", "i", "l", "m", "u", "v", "w") + tuple(
        f"k_{n}" for n in range(1, 100)) if name not in taken)
    return expr.xreplace({s: sp.Symbol(next(letters), **s.assumptions0) for s in canonical})
