"""The core of the rules: the :class:`Rule` value, the registry, and how rules are checked.

A rule may be a *transformation*: then it knows how to rewrite an expression, and the
verifier checks that applying it to the previous step (or, for rules that read both ways,
to the new step) gives the other one, up to the order and grouping of terms and
commutative factors. Nothing is evaluated while a rule is applied, so a rule confirms only
what it says. A rule without a check (``check=None``) only asserts equality, which the
verifier checks on its own.

The built-in rules cannot be replaced. A user's rule is a :class:`Rule` object that a step
cites directly (``d.step(expr, rule=my_rule)``): it is visible to the derivations that
cite it and to no other, and it may not take the name of a built-in rule.

A step may cite several rules applied in order (``rule=("chain rule", "derivative of
log")``): :func:`check_chain` confirms it when applying the first rules to the previous step
and the last ones (read backwards) to the new step meet.
"""
from __future__ import annotations

import collections
import itertools
import re
import unicodedata
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Iterator

import sympy as sp

from pgsym._conditions import parametrised
from pgsym._distributions import distributions_in_case, signs_as_declared
from pgsym._signs import shown_positive, with_positive_stand_ins
from pgsym._sums import write_out
from pgsym._trees import (bound_variables, canonical_bound, depends_on, polynomials_expanded,
                          ranged_bound, readable_bound_names, rebuild, rename_bound,
                          replace_unevaluated, untrusted_functions)
from pgsym.report import Justification, RuleCheck


def in_range_case(expr: sp.Basic, case: dict, evaluate: bool = False) -> sp.Basic:
    """``expr`` in one range case (:meth:`pgsym.Derivation.range_cases`): the free
    occurrences of the case's symbols replaced (nothing evaluated unless ``evaluate``).

    A variable bound by a sum (or integral, ...) of the same name, or of a name the case
    brings in, is renamed first: its range is the sum's own, and putting ``0`` for ``a`` in
    ``sum_{a=0}^{2}`` would not even be a sum.

    >>> a, c = sp.symbols("a c", integer=True)
    >>> in_range_case(sp.Sum(a * c, (a, 0, 2)), {a: sp.Integer(0), c: a + 1})
    Sum(a_1*(a + 1), (a_1, 0, 2))
    """
    if not case:
        return expr
    avoid = set(case) | {s for value in case.values() for s in value.free_symbols}
    renamed = rename_bound(expr, avoid)
    # (a distribution's hidden symbol, K of 0..K-1, follows the case in its declaration)
    renamed = distributions_in_case(renamed, case)
    return renamed.xreplace(case) if evaluate else replace_unevaluated(renamed, case)


def states_nonzero(relation: sp.Basic, expr: sp.Expr,
                   unfold: Callable[[sp.Expr], sp.Expr] = lambda e: e) -> bool:
    """Whether ``relation`` (one relation, or an ``And`` of them) says ``expr != 0``: it holds
    ``a != b``, ``a > b`` or ``a < b`` with ``a - b = ±expr``, definitions unfolded. A symbol
    of the relation stands for the variable of that name wherever it is (``pi(a) != 0`` for
    the ``a`` of a sum, whose range refines the assumptions of its ``a``), and sums that
    differ only in the names of their variables are the same sum.

    >>> x = sp.Symbol("x")
    >>> states_nonzero(sp.Gt(x, 1), x - 1), states_nonzero(sp.Gt(x, 1), x)
    (True, False)
    """
    target = unfold(expr)
    named = {symbol.name: symbol for symbol in relation.free_symbols}
    target = target.xreplace({symbol: named[symbol.name] for symbol in target.free_symbols
                              if getattr(symbol, "name", None) in named})
    for part in relation.args if isinstance(relation, sp.And) else (relation,):
        if isinstance(part, (sp.Ne, sp.StrictGreaterThan, sp.StrictLessThan)):
            gap, stated = canonical_bound(
                sp.Tuple(unfold(part.args[0]) - unfold(part.args[1]), target)).args
            if sp.expand(gap - stated) == 0 or sp.expand(gap + stated) == 0:
                return True  # q != 0, q > 0, 1 < x for q = x - 1, ...
    return False


@dataclass(frozen=True)
class RuleContext:
    """What a rule check may read besides the two expressions.

    ``unfold`` replaces defined symbols and functions by their definitions (without
    evaluating anything), ``using`` is the step's ``using=`` pairs, ``condition`` the
    assumption the step states (empty if none), and ``prove(a, b)`` tells whether ``a = b``
    is proved (it runs the verifier's value check).
    """

    unfold: Callable[[sp.Expr], sp.Expr] = lambda expr: expr
    using: tuple[tuple[sp.Basic, sp.Basic], ...] = ()
    condition: str = ""
    prove: Callable[[sp.Expr, sp.Expr], bool] = lambda a, b: False
    #: the condition when the step states it as a SymPy relation (``sp.Ne(q, 0)``)
    relation: sp.Basic | None = None
    #: substitutions under which the derivation's ranged symbols cover exactly their ranges
    #: (:meth:`pgsym.Derivation.range_cases`): a fact about a ranged index must hold in each
    range_cases: tuple = ({},)
    #: the limits ``(variable, lowest, highest)`` of the sums and products around the node
    #: being rewritten, outermost first (set by :func:`rewrites`)
    enclosing: tuple = ()
    #: the variables the two steps bind anywhere (sums, integrals, substitutions, Lambdas)
    bound: frozenset = frozenset()
    #: the derivation's LaTeX printer, for the formulas of a message (:func:`typeset`)
    latex: Callable[[sp.Basic], str] | None = None

    def shown_within(self, value: sp.Expr, lowest: sp.Expr, highest: sp.Expr) -> bool:
        """Whether ``lowest <= value <= highest`` is shown by SymPy's assumptions in every
        range case (``b`` declared to run over ``0..A-1`` lies in ``0..A-1``), or ``value``
        is the variable of a sum around the node whose range lies within."""
        for variable, low, high in reversed(self.enclosing):  # the innermost binding wins
            if variable == value:
                inner = replace(self, enclosing=())
                return inner.shown_within(low, lowest, highest) and \
                    inner.shown_within(high, lowest, highest)
        for case in self._range_cases_inside():
            for gap in (value - lowest, highest - value):
                shown = sp.expand(in_range_case(self.unfold(gap), case, evaluate=True))
                if not (shown.is_integer and shown.is_nonnegative):
                    return False
        return True

    def _range_cases_inside(self) -> list[dict]:
        """The range cases as they apply to the node being rewritten: a variable of a sum
        around it is that sum's, not the ranged symbol of the same name."""
        around = {limit[0] for limit in self.enclosing}
        return [{k: v for k, v in case.items() if k not in around} for case in self.range_cases]

    def states_nonzero(self, expr: sp.Expr) -> bool:
        """Whether the stated condition says ``expr != 0``: as text (which every output prints
        for the reader to judge), or as a relation (:func:`states_nonzero`)."""
        if self.relation is None:
            return bool(self.condition)
        stated = self._stated()
        return bool(stated) and states_nonzero(sp.And(*stated), expr, self.unfold)

    def _stated(self) -> tuple[sp.Basic, ...]:
        """The relations the step's condition states (the parts of an ``And``), but those
        naming a symbol the steps bind (a condition on it says nothing of its values there:
        hostile review 45 read x > 0 for a Subs-bound x)."""
        if self.relation is None:
            return ()
        parts = self.relation.args if isinstance(self.relation, sp.And) else (self.relation,)
        return tuple(p for p in parts if not p.free_symbols & self.bound)

    def depends_on(self, expr: sp.Basic, variable: sp.Basic) -> bool:
        """Whether ``expr`` may vary with ``variable``, reading through definitions, of
        both (``d/dy`` with ``y := theta`` is ``d/dtheta``)."""
        unfolded = self.unfold(expr)
        return depends_on(unfolded, variable) or depends_on(unfolded, self.unfold(variable))

    def _assumed(self, expr: sp.Expr) -> list[sp.Expr] | None:
        """``expr`` with its definitions unfolded, in each range case, as far as SymPy's
        assumptions may be read of it: declared distributions as their declarations give
        them (:func:`~pgsym._distributions.signs_as_declared`: ``q(0; -3)`` is not positive
        for ``q``'s parameter declared positive, ``p(x)`` is for ``x`` ranging over its
        support), and ``None`` where a function whose assumptions are not trusted appears
        (SymPy says ``atan(m) > 0`` for every integer ``m >= 0``)."""
        written = write_out(self.unfold(expr))
        values = [with_positive_stand_ins(signs_as_declared(
            in_range_case(written, case, evaluate=True), self.enclosing))
            for case in self._range_cases_inside()]
        return None if any(untrusted_functions(v) for v in values) else values

    def is_nonzero(self, expr: sp.Expr) -> bool:
        """Whether SymPy's assumptions show ``expr`` (its definitions unfolded) is never 0."""
        values = self._assumed(expr)
        return values is not None and all(v.is_nonzero or v.is_positive or v.is_negative
                                          for v in values)

    def is_positive(self, expr: sp.Expr) -> bool:
        """Whether ``expr`` is shown positive: by SymPy's assumptions (definitions unfolded;
        a sum over a common denominator, ``1 - 1/(1 + exp(-u))``), by the step's condition
        as a relation ``expr > 0`` (alone or in an ``And``), or as a product of factors so
        shown or a power of a base so shown to a real exponent (``(1 - x)**(1 - a)`` where
        ``1 - x > 0`` is stated: new user 27)."""
        if self._positive_as_a_whole(expr):
            return True
        if isinstance(expr, sp.Pow) and expr.exp.is_real:
            return self.is_positive(expr.base)
        if isinstance(expr, sp.Mul):
            return all(self.is_positive(factor) for factor in expr.args)
        return False

    def _positive_as_a_whole(self, expr: sp.Expr) -> bool:
        values = self._assumed(expr)
        if values is not None and all(shown_positive(v) for v in values):
            return True
        target = self.unfold(expr)
        for part in self._stated():
            if isinstance(part, (sp.StrictGreaterThan, sp.StrictLessThan)):
                big, small = part.args if isinstance(part, sp.StrictGreaterThan) else part.args[::-1]
                if sp.expand(self.unfold(big) - self.unfold(small) - target) == 0:
                    return True
        # or where the condition holds, written as its region (1 - x > 0 for 0 < x < 1: new
        # user 15), unless a sum around the node binds a symbol of it
        region = parametrised(self.relation, (target,)) if self.relation is not None else None
        if region is not None:
            named = set(region.values).union(*(v.free_symbols for v in region.values.values()))
            if not ({limit[0] for limit in self.enclosing} | self.bound) & named:
                return target.xreplace(region.values).is_positive is True
        return False


RuleCheckFunction = Callable[[sp.Expr, sp.Expr, RuleContext], RuleCheck]


@dataclass(frozen=True)
class Rule:
    """A named justification; ``check`` is ``None`` for rules that only assert equality.

    An ``interchange`` rule (swapping a limit and a derivative) is an identity under a
    condition the step states; when a built-in one is confirmed and the condition is stated,
    the step is proved under that assumption even where no evaluation can show it. (A rule
    of your own never makes a step proved: its check is code pgsym cannot vouch for, so the
    flag has no effect on it.)

    >>> Rule("my identity", "an identity I trust").is_transformation
    False
    """

    name: str
    description: str
    check: RuleCheckFunction | None = None
    aliases: tuple[str, ...] = ()
    needs_using: bool = False
    interchange: bool = False
    #: how the rule rewrites one node (a built-in rule's check is then by rewriting)
    rewrite: "RewriteNode | None" = None
    #: how the rule rewrites a whole expression, for rules that are not node rewrites
    #: (definitions unfold, associativity regroups); used when the rule is one of a chain
    transform: "Callable[[sp.Expr, RuleContext], list[sp.Expr]] | None" = None
    #: a built-in rule whose confirmed application is an identity, every side condition
    #: checked: the step is then proved even where evaluation cannot show it (a sum over a
    #: symbolic range with its first term split off); the value check still probes for
    #: counterexamples
    proves: bool = False

    def __post_init__(self) -> None:
        for name in (self.name, *self.aliases):
            imitated = imitated_builtin(name)
            if imitated is not None:
                raise ValueError(
                    f"the rule name {name!r} prints like the built-in rule {imitated!r} but is "
                    f"spelt with {_unusual_characters(name)}: a rule of your own may not pass "
                    f"for a built-in one (its steps would be published as '({imitated})'); "
                    f"rename it")
        if self.check is None and self.rewrite is not None:
            object.__setattr__(self, "check", by_rewriting(self.rewrite))

    @property
    def is_transformation(self) -> bool:
        return self.check is not None

    def applications(self, expr: sp.Expr, context: "RuleContext") -> list[sp.Expr]:
        """What applying the rule to ``expr`` may give (empty if it cannot say)."""
        if self.rewrite is not None:
            return list(rewrites(expr, self.rewrite, context))
        if self.transform is not None:
            return self.transform(expr, context)
        return []


class RuleRefused(Exception):
    """Raised by a rewrite whose side conditions fail (the message says which)."""


_REGISTRY: dict[str, Rule] = {}
_ALIASES: dict[str, str] = {}


def _key(name: str) -> str:
    return " ".join(name.lower().replace("-", " ").replace("_", " ").split())


#: letters of other scripts (and Latin variants) that print like Latin letters; a name is
#: compared case-folded, so capitals are listed by their small letter (Cyrillic в for В)
_LOOKALIKES = {
    "а": "a", "в": "b", "е": "e", "һ": "h", "н": "h", "і": "il", "ӏ": "il", "ј": "j",
    "к": "k", "м": "m", "о": "o", "р": "p", "с": "c", "ԛ": "q", "ѕ": "s", "т": "t", "у": "y",
    "х": "x", "ԁ": "d", "ԝ": "w", "ѵ": "v", "α": "a", "β": "b", "ε": "e", "η": "hn",
    "ι": "il", "κ": "k", "μ": "mu", "ν": "nv", "ο": "o", "ρ": "p", "τ": "t", "υ": "uy",
    "χ": "x", "ζ": "z", "ı": "i", "ɡ": "g", "ɑ": "a", "0": "o", "1": "il",
}


#: what a reader does not see: format characters (zero-width spaces and joiners, direction
#: marks), combining marks left over after NFKC (variation selectors, the grapheme joiner)
#: and control characters
_INVISIBLE = {"Cf", "Mn", "Me", "Cc"}
#: characters that reorder the text around them on the screen ('\u202eelur tcudorp' shows
#: as 'product rule')
_BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _visible(name: str) -> str:
    """``name`` as a reader sees it, in the spelling of :func:`_key`: compatibility forms
    folded (NFKC: full-width letters, ligatures), invisible characters dropped, dashes read
    as hyphens, case folded."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join("-" if unicodedata.category(c) == "Pd" else c for c in text
                   if unicodedata.category(c) not in _INVISIBLE)
    return _key(text.casefold())


def _prints_like(seen: str, key: str) -> bool:
    """Whether ``seen`` may print like ``key``: letter by letter the same, a known look-alike
    (0 for o), or any letter outside ASCII, which some font draws like a Latin one (Cyrillic
    о, Armenian օ, small capital ᴏ, Latin ɩ: no table lists them all)."""
    return len(seen) == len(key) and all(
        a == b or b in _LOOKALIKES.get(a, "") or not a.isascii() for a, b in zip(seen, key))


def imitated_builtin(name: str) -> str | None:
    """The built-in rule whose name ``name`` prints like without being one of its spellings
    (a Cyrillic о in 'prоduct rule', a zero-width space), or None.

    >>> imitated_builtin("pr\u043educt rule"), imitated_builtin("product rule")
    ('product rule', None)
    """
    if not isinstance(name, str) or is_builtin_name(name):
        return None  # (a built-in's own name: the citing step refuses it, saying so)
    # (math in a name is typeset: $\text{product rule}$ prints as product rule, and so does
    # a name spelt with TeX commands and braces: hostile review 43)
    # (TeX's spaces, \, \; \: \> \  ~ \quad \enspace..., typeset as spaces: review 44)
    spaced = re.sub(r"\\[,;:>! ]|~|\\(?:q?quad|enspace|thinspace|medspace|thickspace|"
                    r"hspace\{[^}]*\}|hskip\s*\S+)", " ", name)
    typeset = re.sub(r"\\[A-Za-z]+|[${}\\]", "", spaced)
    if typeset != name and typeset.strip():
        if is_builtin_name(typeset):
            return get_rule(typeset).name
        name = typeset
    seen = _visible(name)
    # (with direction controls, the letters may show in reverse order)
    shown = {seen, seen[::-1]} if _BIDI_CONTROLS & set(name) else {seen}
    for key, rule in _ALIASES.items():
        if any(_prints_like(text, key) for text in shown):
            return rule
    return None


def _unusual_characters(name: str) -> str:
    unusual = sorted({c for c in name if not (c.isascii() and c.isprintable())})
    if not unusual:
        return "other letters"
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'an unnamed character')}"
                     for c in unusual)


def register_builtin(rule: Rule) -> None:
    for name in (rule.name, *rule.aliases):
        if _key(name) in _ALIASES:
            raise ValueError(f"rule name {name!r} is already used by rule {_ALIASES[_key(name)]!r}")
        _ALIASES[_key(name)] = rule.name
    _REGISTRY[rule.name] = rule


def is_builtin_name(name: str) -> bool:
    """Whether ``name`` (or a spelling of it) names a built-in rule."""
    return _key(name) in _ALIASES


def get_rule(name: str) -> Rule:
    """Returns the built-in rule called ``name`` (or one of its aliases); ``KeyError`` lists
    the known ones."""
    if not isinstance(name, str) or _key(name) not in _ALIASES:
        known = ", ".join(sorted(_REGISTRY))
        raise KeyError(f"unknown rule {name!r}; known rules: {known} (or pass a pgsym.Rule "
                       f"object for a rule of your own)")
    return _REGISTRY[_ALIASES[_key(name)]]


def registered_rules() -> dict[str, Rule]:
    """Returns a copy of the built-in rules, by canonical name."""
    return dict(_REGISTRY)


# -- canonical form: sums and commutative products flattened and sorted, nothing evaluated --
def canonical(expr: sp.Basic, zero_products: bool = False) -> sp.Basic:
    """Returns ``expr`` with nested sums and products flattened and their terms sorted.

    Nothing is cancelled, expanded or evaluated but the product of a product's rational
    factors (a number is not distributed over a sum: distributivity is a rule), so
    ``canonical(a*(b/b))`` still shows ``b/b`` and ``exp(log(x))`` stays; only commutative
    factors are sorted, so ``A*B`` and
    ``B*A`` differ for non-commutative ``A``, ``B``, and the two indices of a Kronecker
    delta. Two expressions with equal canonical forms differ only by associativity,
    commutativity, the symmetry of the delta, and factors 1 or terms 0.

    With ``zero_products``, a product with a factor 0 whose other factors are all shown
    finite (``b*0`` for a real ``b``, ``-1*0``) is 0 as well, and so drops out of a sum;
    ``0*Sum(1/n, (n, 1, oo))`` stays, as its other factor is not shown finite.

    >>> import sympy as sp
    >>> a, b = sp.symbols("a b")
    >>> canonical(sp.Mul(sp.Mul(b, a, evaluate=False), 1 / b, evaluate=False)).args
    (a, 1/b, b)
    >>> r = sp.Symbol("r", real=True)
    >>> canonical(sp.Add(a, sp.Mul(r, 0, evaluate=False), evaluate=False), zero_products=True)
    a
    """
    if expr.is_Atom or not expr.args:
        return expr
    args = [canonical(a, zero_products) for a in expr.args]
    if isinstance(expr, (sp.Mul, sp.Add)):
        kind = type(expr)
        flat: list[sp.Basic] = []
        for a in args:
            flat.extend(a.args if type(a) is kind else [a])
        if zero_products and kind is sp.Mul and sp.S.Zero in flat \
                and all(a.is_finite is True and not untrusted_functions(a)
                        for a in flat if a != sp.S.Zero):
            # 0 times anything finite; 0 * oo or 0 * (1/0) is not 0 (and SymPy's word that
            # a value is finite is taken for trusted functions only)
            return sp.S.Zero
        identity = sp.S.One if isinstance(expr, sp.Mul) else sp.S.Zero
        if kind is sp.Mul and sum(a.is_Rational for a in flat) > 1:
            # (one rational coefficient: -1 * (2 g g') from a rewrite is -2 g g' as written,
            # new user 29)
            coefficient = sp.Mul(*(a for a in flat if a.is_Rational))
            flat = [coefficient] + [a for a in flat if not a.is_Rational]
        flat = [a for a in flat if a != identity]
        commutative = sorted((a for a in flat if a.is_commutative), key=sp.default_sort_key)
        ordered = [a for a in flat if not a.is_commutative]  # their order is their meaning
        terms = commutative + ordered
        if not terms:
            return identity
        return terms[0] if len(terms) == 1 else kind(*terms, evaluate=False)
    if isinstance(expr, sp.KroneckerDelta):  # (symmetric: SymPy orders its arguments by
        # name, and renaming a bound one may swap them, delta(_b1_0, b): new user 20)
        args = sorted(args[:2], key=sp.default_sort_key) + args[2:]
    return rebuild(expr, args)


def fresh_prefix(*exprs: sp.Basic) -> str:
    """A prefix for bound names that no symbol of ``exprs`` starts with."""
    names = {s.name for e in exprs for s in e.atoms(sp.Symbol)}
    prefix = "_A"
    while any(name.startswith(prefix) for name in names):
        prefix = "_" + prefix
    return prefix


def alpha_key(expr: sp.Basic, prefix: str) -> sp.Basic:
    """``expr`` up to the names of its bound variables (renamed with ``prefix``, see
    :func:`~pgsym._trees.canonical_bound`), the order and grouping of terms and factors, and
    trivial arithmetic with 0 (``b*0`` and ``-1*0`` are 0 for finite ``b``, ``x + 0`` is
    ``x``): what a rule gives is compared with the other step up to these."""
    return canonical(canonical_bound(expr, prefix), zero_products=True)


def alpha_equal(a: sp.Basic, b: sp.Basic) -> bool:
    """Whether ``a`` and ``b`` differ only by the names of bound variables, the order and
    grouping of terms and factors, and products with a factor 0 (see :func:`alpha_key`)."""
    prefix = fresh_prefix(a, b)
    return alpha_key(a, prefix) == alpha_key(b, prefix)


def matches(candidates: Iterable[sp.Basic], target: sp.Basic) -> bool:
    """Whether one of ``candidates`` is ``target`` up to bound names, order and grouping."""
    candidates = list(candidates)
    prefix = fresh_prefix(target, *candidates)
    goal = alpha_key(target, prefix)
    return any(alpha_key(c, prefix) == goal for c in candidates)


RewriteNode = Callable[[sp.Basic, RuleContext], list[sp.Basic]]


def rewrites(expr: sp.Basic, rewrite_node: RewriteNode, context: RuleContext,
             limit: int = 64) -> Iterator[sp.Basic]:
    """Yields ``expr`` rewritten at every matching node at once, then at each node alone.

    ``rewrite_node`` returns the possible replacements of one node (empty if it does not
    match). It may raise :class:`RuleRefused` to explain why a node that looks like a match
    cannot be rewritten; that explanation is raised here when no node can be.
    """
    # bound variables renamed with the assumptions of their ranges only, so that a rule's side
    # conditions never read an assumption the range contradicts (x > 0 summed over -3..-1)
    base = canonical(ranged_bound(expr))
    places: dict[sp.Basic, set[tuple]] = {}
    for node, enclosing in with_enclosing_limits(base, ()):
        places.setdefault(node, set()).add(enclosing)
    replacements: dict[sp.Basic, list[sp.Basic]] = {}
    refused: RuleRefused | None = None
    for node, enclosings in places.items():
        try:
            # a node is replaced wherever it occurs: the rewrite must hold in every place
            found = [rewrite_node(node, replace(context, enclosing=enclosing))
                     for enclosing in sorted(enclosings, key=len)]
        except RuleRefused as refusal:  # another node may still match
            refused = refused or refusal
            continue
        if found[0] and all(options == found[0] for options in found):
            replacements[node] = found[0]
    if not replacements:
        if refused is not None:
            raise refused
        return
    yield replace_unevaluated(base, {node: options[0] for node, options in replacements.items()})
    count = 1
    for node, options in replacements.items():
        for option in options:
            if count >= limit:
                return
            count += 1
            yield replace_unevaluated(base, {node: option})


def with_enclosing_limits(expr: sp.Basic, enclosing: tuple = ()) -> Iterator[tuple[sp.Basic, tuple]]:
    """Every node of ``expr`` (preorder) with the limits of the sums and products around it."""
    yield expr, enclosing
    if expr.is_Atom:
        return
    rebound = {getattr(v, "name", v) for v in bound_variables(expr)}
    if rebound:  # a binder of the same name hides the sums around it (Subs(.., k, 7) inside
        # a sum over k holds k = 7, not the sum's k: hostile review 13); (its other arguments
        # too, to be safe: a bound no longer shown is only a rule left unconfirmed)
        enclosing = tuple(limit for limit in enclosing
                          if getattr(limit[0], "name", limit[0]) not in rebound)
    inside = enclosing
    if isinstance(expr, (sp.Sum, sp.Product)):
        inside = enclosing + tuple(tuple(limit) for limit in reversed(expr.limits)
                                   if len(limit) == 3)
    for position, arg in enumerate(expr.args):
        yield from with_enclosing_limits(arg, inside if position == 0 and inside is not
                                          enclosing else enclosing)


def as_written_and_unfolded(before: sp.Expr, after: sp.Expr,
                             context: RuleContext) -> list[tuple[sp.Expr, sp.Expr]]:
    """The two steps as written and with definitions unfolded: a rule may link either."""
    unfolded = (context.unfold(before), context.unfold(after))
    return [(before, after)] if unfolded == (before, after) else [(before, after), unfolded]


def by_rewriting(rewrite_node: RewriteNode) -> RuleCheckFunction:
    """Builds a rule check: rewriting the previous step (or the new one) gives the other."""

    def check(before: sp.Expr, after: sp.Expr, context: RuleContext) -> RuleCheck:
        refusals: list[str] = []
        for written_before, written_after in as_written_and_unfolded(before, after, context):
            for source, target in ((written_before, written_after), (written_after, written_before)):
                try:
                    if matches(rewrites(source, rewrite_node, context), target):
                        return RuleCheck(Justification.CONFIRMED)
                except RuleRefused as refused:
                    refusals.append(str(refused))
        if refusals:
            return RuleCheck(Justification.MISMATCH, "the rule does not apply: " + refusals[0])
        return _what_it_gives(before, after, rewrite_node, context)

    return check


def _what_it_gives(before: sp.Expr, after: sp.Expr, rewrite_node: RewriteNode,
                   context: RuleContext) -> RuleCheck:
    """The mismatch message: what applying the rule to the previous step gives, if anything,
    beside this step as SymPy built it (which may not be as written: new user 30 saw
    2 (mu - nu) D / (2 s^2) "given, not this step", having written just that, when SymPy had
    cancelled the 2s in the step)."""
    try:
        candidates = list(itertools.islice(rewrites(before, rewrite_node, context), 16))
    except RuleRefused:
        candidates = []
    gives = min(candidates, key=lambda candidate: _terms_apart(candidate, after), default=None)
    if gives is None:
        return RuleCheck(Justification.MISMATCH, (
            "the rule does not apply to the previous step (nothing in it has the form "
            "the rule rewrites; if SymPy rewrote the form you wrote as it built it, "
            "2 (a + b) into 2 a + 2 b, or p (p f / q) into p**2 f / q, build it with "
            "evaluate=False: sympy.Mul(2, a + b, evaluate=False))"))
    return _gives_not_this_step("applying the rule", gives, after, context)


def _gives_not_this_step(applying: str, gives: sp.Expr, after: sp.Expr,
                         context: RuleContext) -> RuleCheck:
    """The mismatch of a rule (or rules) that, ``applying`` them to the previous step,
    ``gives`` something other than this step, ``after``, shown as SymPy holds it."""
    # (unsorted: sorting the terms of a sum of infinite sums evaluates them, which need not end)
    shown = tuple(sp.sstr(e, order="none") for e in (gives, after))
    return RuleCheck(Justification.MISMATCH,
                     f"{applying} to the previous step gives {shown[0]}, not this step, "
                     f"{shown[1]} (as SymPy holds it: where that is not as you wrote it, "
                     f"build it with evaluate=False)",
                     typeset(("gives ", shown[0], gives, ", not this step"),
                             ("not this step, ", shown[1], after, " (as SymPy"),
                             latex=context.latex))


def typeset(*anchored: tuple[str, str, sp.Basic, str],
            latex: Callable[[sp.Basic], str] | None = None) -> tuple[tuple[str, str], ...]:
    """What :class:`~pgsym.report.RuleCheck` carries for the published notes to set a
    message's formulas as formulas: for each ``(before, text, expression, after)``, the
    message's words around the formula's ``text``, and the same with the formula as
    ``$latex$`` (the words pin it down: a formula ``x`` is not every x of the message; bound
    variables under their canonical names, ``_b0_0``, get letters), printed by ``latex``
    (the derivation's own printer, :attr:`RuleContext.latex`) or else SymPy's.

    >>> typeset(("gives ", "x**2", sp.Symbol("x")**2, ", not"))
    (('gives x**2, not', 'gives $x^{2}$, not'),)
    """
    latex = latex or (lambda expr: sp.latex(expr, order="none"))
    return tuple((f"{before}{text}{after}",
                  f"{before}${latex(readable_bound_names(expr))}${after}")
                 for before, text, expr, after in anchored)


def _terms_apart(a: sp.Expr, b: sp.Expr) -> int:
    """How many terms of ``a`` and ``b`` differ (up to bound names, order and grouping): of
    what a rule gives, the message shows the nearest to the step (new user 30 was shown the
    sum split on both sums, and read that the rule could not split only one)."""
    prefix = fresh_prefix(a, b)
    terms_a, terms_b = (collections.Counter(sp.Add.make_args(alpha_key(e, prefix)))
                        for e in (a, b))
    return sum(((terms_a - terms_b) + (terms_b - terms_a)).values())


#: how many expressions a chain of rules may explore at each stage
CHAIN_BREADTH = 256


def check_chain(chain: "tuple[Rule, ...]", before: sp.Expr, after: sp.Expr,
                context: RuleContext) -> RuleCheck:
    """Confirms a step justified by several rules applied in order: for some split, applying
    the first rules to the previous step and the last ones, in reverse, to this step meet
    (each rule read in the direction a person would use it)."""
    if any(not rule.is_transformation for rule in chain):
        names = ", ".join(repr(r.name) for r in chain if not r.is_transformation)
        return RuleCheck(Justification.NOT_CHECKED,
                         f"{names} is not a transformation; only equality is checked")
    if any(rule.rewrite is None and rule.transform is None for rule in chain):
        names = ", ".join(repr(r.name) for r in chain if r.rewrite is None and r.transform is None)
        return RuleCheck(Justification.MISMATCH, f"{names} cannot be one rule of several")
    refusal: RuleRefused | None = None
    for written_before, written_after in as_written_and_unfolded(before, after, context):
        for split in range(len(chain) + 1):
            # (a rule refusing one part, or one split, leaves the others to try: linearity
            # of expectation then expectation of a constant, E[x - c] = E[x] - c, was
            # refused on E[x], "x is not a constant", new user 31)
            try:
                forward = _applied(chain[:split], [written_before], context)
                backward = _applied(chain[split:][::-1], [written_after], context)
            except RuleRefused as refused:
                refusal = refusal or refused
                continue
            prefix = fresh_prefix(written_before, written_after, *forward, *backward)
            if {alpha_key(e, prefix) for e in forward} & {alpha_key(e, prefix) for e in backward}:
                return RuleCheck(Justification.CONFIRMED)
    names = " then ".join(rule.name for rule in chain)
    try:
        gives = _applied(chain, [before], context)
    except RuleRefused as refused:  # (said before a refusal met on the way back)
        refusal, gives = refused, []
    if not gives:
        if refusal is not None:
            return RuleCheck(Justification.MISMATCH, f"the rules do not apply: {refusal}")
        return RuleCheck(Justification.MISMATCH, f"{names} do not link the two steps (they do "
                                                  f"not apply to the previous step in this order)")
    return _gives_not_this_step(f"{names} do not link the two steps: applying them",
                                gives[0], after, context)


def _applied(chain, exprs: list[sp.Expr], context: RuleContext) -> list[sp.Expr]:
    """Every expression that applying the rules of ``chain`` in order to ``exprs`` gives;
    a rule that refuses every one of them raises its (first) refusal."""
    for rule in chain:
        found: dict[sp.Basic, sp.Expr] = {}
        refused: RuleRefused | None = None
        for expr in exprs:
            try:
                for result in rule.applications(expr, context):
                    found.setdefault(canonical(result), result)
                    if len(found) >= CHAIN_BREADTH:
                        break
            except RuleRefused as refusal:  # (another expression may still be rewritten)
                refused = refused or refusal
        exprs = list(found.values())
        if not exprs:
            if refused is not None:
                raise refused
            return []
    return exprs


def factors_of(node: sp.Basic) -> list[sp.Basic]:
    return list(node.args) if isinstance(node, sp.Mul) else [node]


def product_of(factors: list[sp.Basic]) -> sp.Basic:
    if not factors:
        return sp.S.One
    return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)


def single_variable(derivative: sp.Derivative) -> sp.Basic | None:
    counts = derivative.variable_count
    return counts[0][0] if len(counts) == 1 and counts[0][1] == 1 else None


