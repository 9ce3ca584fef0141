"""An unevaluated expectation ``E_{x ~ p}[f(x)]`` that unfolds to a sum or an integral.

It may run over one variable (``E_{x ~ p}[f(x)]``) or over several, such as a trajectory
``tau = (s_0, a_0, s_1)``: ``E_tau[G]`` unfolds to the nested sums (or integrals, for real
variables; mixed is allowed) of ``density * G``. The density may be any expression, or the
values of a declared :class:`~pgsym.distribution.Distribution`.
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.core.logic import fuzzy_and
from sympy.core.symbol import Str

_FORMS = ("Expectation(body, (variable, lower, upper), density), "
          "Expectation(body, [(s0, lower, upper), (a0, lower, upper), ...], density, name=...) "
          "or Expectation(body, distribution)")


class DeclaredDistribution:
    """What ``E_{x ~ p}[...]`` may be taken over besides a density: a distribution declared
    once, with a ``variable``, the bounds ``lower`` and ``upper`` of its support, a ``name``,
    and its value ``p(x)`` by a call. :class:`pgsym.Distribution` is the one there is; it is
    named here so that expectations need not import the module that declares distributions,
    which reads expectations."""

    name: str
    variable: sp.Symbol
    lower: sp.Expr
    upper: sp.Expr

    @property
    def hidden_symbols(self) -> frozenset:
        """The symbols the distribution depends on that its values ``p(x; theta)`` do not
        show: those of its bounds and values other than its variable and parameters (``K``
        of a distribution over ``0..K-1``). An instance of a lemma about ``p`` keeps them:
        ``p`` would not follow a new value.

        >>> import sympy as sp
        >>> from pgsym import Distribution
        >>> x, K = sp.Symbol("x", integer=True), sp.Symbol("K", integer=True, positive=True)
        >>> sorted(Distribution("p", (x, 0, K - 1)).hidden_symbols, key=str)
        [K]
        """
        shown = {self.variable, *getattr(self, "parameters", ())}
        parts = (self.lower, self.upper, getattr(self, "values", None))
        return frozenset(s for part in parts if isinstance(part, sp.Basic)
                         for s in part.free_symbols if s not in shown)


_GREEK = ("alpha|beta|gamma|delta|epsilon|varepsilon|zeta|eta|theta|vartheta|iota|kappa|"
          "lambda|mu|nu|xi|pi|varpi|rho|varrho|sigma|varsigma|tau|upsilon|phi|varphi|chi|psi|"
          "omega|Gamma|Delta|Theta|Lambda|Xi|Pi|Sigma|Upsilon|Phi|Psi|Omega")
#: what an expectation's name may be: letters, or one LaTeX command of letters (with an
#: argument of letters: \mathcal{T}), with a subscript of letters, digits and Greek letters
#: (\pi_\theta, \pi_{\theta})
_NAME = re.compile(r"(\\?[A-Za-z]+|\\(mathcal|mathbb|mathrm|mathbf|mathsf|mathit|mathscr|"
                   r"mathfrak|boldsymbol)\{[A-Za-z]+\})'*"
                   rf"(_([A-Za-z0-9]+|\\({_GREEK})|\{{(\\({_GREEK}) ?|[A-Za-z0-9, ])+\}}))?")
#: commands that end or restructure what they are printed in, refused as a name
_STRUCTURAL = frozenset({"par", "cr", "crcr", "tag", "notag", "end", "begin", "newline", "hline",
                         "item", "relax", "eqno", "leqno", "label", "nonumber", "intertext"})


def _weighted(density: sp.Expr, body: sp.Expr) -> sp.Expr:
    """``density * body``, left unevaluated where a factor of the body has a base in common
    with one of the density's: SymPy would combine them, and cancel q(x) against a 1/q(x) in
    the body (E_q[p/q f] = sum p f, which holds only where q is nonzero: a new user's
    importance-sampling step was proved so); the verifier rebuilds the product itself and
    notes what it cancels.

    >>> q, f = sp.Function("q"), sp.Function("f")
    >>> x = sp.Symbol("x")
    >>> _weighted(q(x), f(x) / q(x)), _weighted(q(x), f(x))
    ((f(x)/q(x))*q(x), f(x)*q(x))
    """
    bases = {factor.as_base_exp()[0] for factor in sp.Mul.make_args(density)}
    if any(base.free_symbols and base in bases
           for base in (factor.as_base_exp()[0] for factor in sp.Mul.make_args(body))):
        return sp.Mul(density, body, evaluate=False)
    return density * body


class Expectation(sp.Expr):
    """``E_{x ~ density}[body]`` over ``x`` in ``[lower, upper]`` (a sum for integer ``x``),
    or over several variables at once.

    The expectation stays unevaluated until ``unfold()`` (the rule "definition of
    expectation") or ``doit()`` turns it into ``Sum(density * body)`` for an integer
    variable, ``Integral(density * body)`` otherwise. Over several variables, listed
    outermost first (the bounds of a variable may depend on the variables before it), it
    unfolds to nested sums and integrals, one ``Sum`` (or ``Integral``) for each run of
    variables of the same kind; ``name`` (``"\\\\tau"`` or a Symbol) is how it prints,
    ``E_tau[...]``, else ``E_{s_0, a_0, ...}[...]``.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", integer=True)
    >>> p, f = sp.Function("p"), sp.Function("f")
    >>> Expectation(f(x), (x, 1, 3), p(x)).unfold()
    Sum(f(x)*p(x), (x, 1, 3))
    >>> s, a = sp.symbols("s a", integer=True)
    >>> Expectation(f(s, a), [(s, 0, 1), (a, 0, 2)], p(s) * p(a), name="tau").unfold()
    Sum(f(s, a)*p(a)*p(s), (a, 0, 2), (s, 0, 1))

    With a declared distribution (:class:`pgsym.Distribution`), ``Expectation(f(x), p)``
    is ``E_{x ~ p}[f(x)]`` over ``p``'s support, and ``Expectation(f(y), (y, p))`` the same
    over another variable.
    """

    def _eval_is_commutative(self) -> bool | None:
        return fuzzy_and([self.body.is_commutative, self.density.is_commutative])

    def __new__(cls, body, limits, density=None, name=None):
        if isinstance(limits, DeclaredDistribution):  # E_{x ~ p}[body] over p's own variable
            limits = (limits.variable, limits)
        if (isinstance(limits, (tuple, list, sp.Tuple)) and len(limits) == 2
                and isinstance(limits[1], DeclaredDistribution)):
            variable, declared = limits
            if density is not None:
                raise ValueError(f"Expectation(body, (variable, distribution)): the density is "
                                 f"{declared.name}'s values; do not give another one ({density})")
            limits, density = (variable, declared.lower, declared.upper), declared(variable)
        if density is None:
            raise ValueError(f"Expectation needs a density or a distribution; write {_FORMS}")
        try:
            body, density = sp.sympify(body, strict=True), sp.sympify(density, strict=True)
            several = _several(limits)
            triples = [tuple(sp.sympify(a, strict=True) for a in limit)
                       for limit in (limits if several else [limits])]
            if any(len(triple) != 3 for triple in triples):
                raise ValueError("a limit must be three expressions")
        except (TypeError, ValueError, sp.SympifyError) as error:
            raise ValueError(f"{_FORMS}: {error}; the limits must be three expressions, e.g. "
                             f"(x, 0, K - 1), or a list of such") from None
        variables = [triple[0] for triple in triples]
        for variable in variables:
            if not isinstance(variable, sp.Symbol):
                raise TypeError(f"Expectation: the variable must be a Symbol, got {variable!r}")
        if len(set(variables)) != len(variables):
            raise ValueError(f"Expectation: a variable is listed twice in {variables}")
        if name is not None and not isinstance(name, Str):
            if isinstance(name, sp.Symbol):
                name = name.name
            if not isinstance(name, str) or not name.strip():
                raise TypeError(f"Expectation: name must be text (LaTeX, e.g. '\\\\tau') or a "
                                f"Symbol, got {name!r}")
            command = re.match(r"\\([A-Za-z]+)", name)
            if not _NAME.fullmatch(name) or command and command.group(1) in _STRUCTURAL:
                # (printed in the math: it may not reach out of it)
                raise ValueError(f"Expectation: name must be a name or one LaTeX command, "
                                 f"with a subscript if any ('tau', '\\\\tau', 'x_0'), got "
                                 f"{name!r}")
            name = Str(name)
        if len(triples) == 1 and name is None:  # the one-variable form, as it always was
            return super().__new__(cls, body, sp.Tuple(*triples[0]), density)
        limits = sp.Tuple(*[sp.Tuple(*triple) for triple in triples])
        args = (body, limits, density) if name is None else (body, limits, density, name)
        return super().__new__(cls, *args)

    @property
    def body(self) -> sp.Expr:
        return self.args[0]

    @property
    def several(self) -> bool:
        """Whether the limits are stored as a list (several variables, or a name)."""
        return isinstance(self.args[1][0], sp.Tuple)

    @property
    def limits(self) -> sp.Tuple:
        """``(x, lower, upper)`` for one variable; for several, one such triple per
        variable, outermost first."""
        return self.args[1]

    @property
    def all_limits(self) -> tuple[sp.Tuple, ...]:
        """One ``(variable, lower, upper)`` per variable, outermost first, in either form."""
        return tuple(self.args[1]) if self.several else (self.args[1],)

    @property
    def variables(self) -> tuple[sp.Symbol, ...]:
        return tuple(limit[0] for limit in self.all_limits)

    @property
    def variable(self) -> sp.Symbol:
        """The variable of a one-variable expectation (the outermost one otherwise)."""
        return self.all_limits[0][0]

    @property
    def density(self) -> sp.Expr:
        return self.args[2]

    @property
    def name(self) -> str | None:
        """The name the variables print as (``\\tau``), if one was given."""
        return self.args[3].name if len(self.args) > 3 else None

    @property
    def bound_symbols(self) -> list[sp.Basic]:
        return list(self.variables)

    @property
    def is_discrete(self) -> bool:
        """Whether every variable is an integer (the expectation is a sum)."""
        return all(bool(v.is_integer) for v in self.variables)

    @property
    def free_symbols(self) -> set[sp.Basic]:
        bound: set[sp.Basic] = set()
        free: set[sp.Basic] = set()
        for variable, lower, upper in self.all_limits:  # a bound may use the variables before it
            free |= (lower.free_symbols | upper.free_symbols) - bound
            bound.add(variable)
        return free | ((self.body.free_symbols | self.density.free_symbols) - bound)

    def rebuilt(self, body: sp.Expr, limits, density: sp.Expr) -> "Expectation":
        """This expectation's form (one variable, or a list and a name) with new parts;
        ``limits`` is one ``(variable, lower, upper)`` per variable, outermost first."""
        if not self.several:
            (limit,) = limits
            return Expectation(body, tuple(limit), density)
        return Expectation(body, [tuple(limit) for limit in limits], density,
                           name=self.args[3] if len(self.args) > 3 else None)

    def with_body(self, body: sp.Expr) -> "Expectation":
        """The expectation of ``body`` over the same variables and density.

        >>> import sympy as sp
        >>> x = sp.Symbol("x", integer=True)
        >>> Expectation(x, (x, 0, 1), sp.Rational(1, 2)).with_body(x**2)
        Expectation(x**2, (x, 0, 1), 1/2)
        """
        return self.rebuilt(body, self.all_limits, self.density)

    def unfold(self) -> sp.Expr:
        """Returns the sum or integral this expectation stands for, unevaluated: over
        several variables, one ``Sum`` (or ``Integral``) per run of variables of the same
        kind, the innermost limit first as SymPy writes them."""
        unfolded = _weighted(self.density, self.body)
        if not self.several:
            kind = sp.Sum if self.is_discrete else sp.Integral
            return kind(unfolded, tuple(self.limits))
        run: list[sp.Tuple] = []
        for limit in reversed(self.all_limits):  # the innermost first
            if run and _kind(limit[0]) is not _kind(run[0][0]):
                unfolded, run = _kind(run[0][0])(unfolded, *run), []
            run.append(limit)
        return _kind(run[0][0])(unfolded, *run)

    def doit(self, **hints) -> sp.Expr:
        return self.unfold().doit(**hints) if hints.get("deep", True) else self.unfold()

    def _eval_derivative(self, symbol):
        return sp.diff(self.unfold(), symbol)

    def _eval_subs(self, old, new):
        variables = set(self.variables)
        if old in variables or variables & getattr(old, "free_symbols", set()):
            return self  # inside, the name means the bound variable
        captured = variables & getattr(new, "free_symbols", set())
        if not captured or not self.has(old):
            return None  # SymPy substitutes into the arguments
        taken = {s.name for s in self.atoms(sp.Symbol)} | \
            {s.name for s in new.free_symbols | old.free_symbols if isinstance(s, sp.Symbol)}
        renamed = {}
        for variable in sorted(captured, key=sp.default_sort_key):
            number = 1
            while f"{variable.name}_{number}" in taken:
                number += 1
            taken.add(f"{variable.name}_{number}")
            renamed[variable] = sp.Symbol(f"{variable.name}_{number}", **variable.assumptions0)
        return self.xreplace(renamed).subs(old, new)

    def _latex(self, printer, **_) -> str:
        """``\\mathbb{E}_{x \\sim p}[...]``, ``\\mathbb{E}_{\\tau}[...]`` in any SymPy LaTeX
        printer, each part printed by that printer."""
        body = printer._print(self.body)
        if self.name is not None:
            if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", self.name):  # a symbol's name: tau, s_0
                below = printer._print(sp.Symbol(self.name))
            else:
                below = self.name
        elif self.several:
            below = ", ".join(printer._print(v) for v in self.variables)
        else:
            declared = _declared_density(self, printer)
            density = declared if declared is not None else printer._print(self.density)
            below = f"{printer._print(self.variable)} \\sim {density}"
        return f"\\mathbb{{E}}_{{{below}}}\\left[{body}\\right]"


def _kind(variable: sp.Symbol) -> type:
    return sp.Sum if variable.is_integer else sp.Integral


def _several(limits) -> bool:
    """Whether ``limits`` is a list of triples rather than one triple."""
    if not isinstance(limits, (tuple, list, sp.Tuple)) or not limits:
        return False
    return all(isinstance(limit, (tuple, list, sp.Tuple)) for limit in limits)


def _declared_density(expectation: Expectation, printer) -> str | None:
    """How ``p`` prints below ``E_{x ~ p}``: where the density is a declared distribution's
    value at the variable, over exactly its support, only its name (and parameters)."""
    # a declared distribution's value knows its distribution (pgsym.distribution's
    # DistributionValue): read it there, without importing the module that imports this one
    distribution = getattr(type(expectation.density), "distribution", None)
    if distribution is None or not hasattr(distribution, "latex_name"):
        return None
    parameters = tuple(expectation.density.args[1:])
    variable, lower, upper = expectation.limits
    if expectation.density.args[0] != variable or \
            any(variable in p.free_symbols for p in parameters):
        return None
    if (lower, upper) != distribution.bounds_at(parameters):
        return None
    return distribution.latex_name(parameters, printer)
