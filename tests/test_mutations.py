"""Every step of every shipped derivation, perturbed, must be refuted with a real counterexample."""
import dataclasses
import itertools
import re

import pytest
import sympy as sp
from sympy.core.function import AppliedUndef

from pgsym import Derivation, VerdictKind
from pgsym import catalog
from tests import oracle

ENTRIES = catalog.discover()


@pytest.fixture(autouse=True)
def _no_suggestions(monkeypatch):
    """No search for the rules that would fit a refuted step (a courtesy of the message,
    tested in tests/test_rules.py): on the 2-state MDP's closed forms it took 80 % of these
    tests' time, and the verdict does not depend on it."""
    from pgsym import verification

    monkeypatch.setattr(verification, "_SUGGESTION_SECONDS", 0.0)


#: genuine mutants verified per kind and step: one of the written form and one of the
#: evaluated value, which alternate (:func:`_mutants`); every kind still has to be refuted
#: at every step
MUTANTS_PER_KIND = 2
KINDS = ("drop a factor", "flip a sign", "replace p by log p", "square a term", "change a constant")


def _mutants(expr: sp.Expr, value: sp.Expr) -> dict[str, list[sp.Expr]]:
    """Perturbations of a step, from its written form and from its evaluated ``value``."""
    by_form = []
    for form in (expr, value):
        found: dict[str, list[sp.Expr]] = {k: [] for k in KINDS}
        by_form.append(found)
        # every product, outermost first: a step can be invariant under dropping the factors
        # of its first product (a log-sum-exp shifted by -m, say) but not under all of them
        products = [node for node in sp.preorder_traversal(form) if isinstance(node, sp.Mul)]
        for node in products[:4]:
            for i in range(len(node.args)):
                rest = node.args[:i] + node.args[i + 1:]
                found["drop a factor"].append(form.xreplace({node: sp.Mul(*rest)}))
        found["flip a sign"].append(-form)
        for f in form.atoms(AppliedUndef):
            found["replace p by log p"].append(form.xreplace({f: sp.log(f)}))
        found["square a term"].append(form**2)
        for d in form.atoms(sp.Derivative) | form.atoms(AppliedUndef):
            found["square a term"].append(form.xreplace({d: d**2}))
        for n in form.atoms(sp.Number):
            found["change a constant"].append(form.xreplace({n: n + 1}))
        found["change a constant"].append(3 * form)
    # the written form's and the value's mutants in turn, so that the first two of a kind
    # are one of each
    written, evaluated = by_form
    return {kind: [m for pair in itertools.zip_longest(written[kind], evaluated[kind])
                   for m in pair if m is not None] for kind in KINDS}


def _with_step_replaced(derivation: Derivation, index: int, expr: sp.Expr) -> Derivation:
    """The derivation with one step's expression replaced, everything else (its rule, lemma,
    relation, condition, the derivation's ranges) kept."""
    steps = list(derivation.steps)
    steps[index] = dataclasses.replace(steps[index], expr=expr)
    return dataclasses.replace(derivation, steps=tuple(steps))


def _continuous(derivation: Derivation) -> bool:
    """Derivations over integrals: the oracle's symbolic integration takes minutes per step,
    so tests/test_gaussian_estimator.py perturbs them instead, checked by quadrature."""
    return any(derivation.unfold(e).has(sp.Integral) for e in derivation.expressions)


def _smallest_of_each_family(entries: list) -> list:
    """One derivation per family: a family is the same derivation at several sizes or for
    several parameters ("softmax score, d=1 A=2", "... d=2 A=3"), built by the same code, so
    its smallest member exercises every rule and step shape; the others are still proved by
    ``pgsym build``."""
    chosen: dict[str, object] = {}
    for entry in entries:
        chosen.setdefault(re.sub(r"\d+", "#", entry.derivation.name), entry)
    return list(chosen.values())


def _over_a_symbolic_horizon(derivation: Derivation) -> bool:
    """The examples beyond the notes (tests/test_examples.py perturbs them): their steps are
    products and sums over a symbolic range, whose second-derivative mutants take minutes
    each to sample."""
    return any(e.has(sp.Product) for e in derivation.expressions) or \
        any(step.lemma is not None for step in derivation.steps)


def _over_symbolic_sizes(derivation: Derivation) -> bool:
    """Derivations whose sums run over a symbolic range (d features, A actions): each mutant
    is sampled with its sums written out at many sizes, minutes per step; their last step is
    perturbed here, and their own tests (tests/test_codegen.py, test_baseline_and_fisher.py,
    test_general_theorems.py) perturb the rest."""
    return any(not all(b.is_number for limit in s.limits for b in limit[1:])
               for e in derivation.expressions for s in e.atoms(sp.Sum))


CASES = [(e, i) for e in _smallest_of_each_family(ENTRIES)
         if not _continuous(e.derivation) and not _over_a_symbolic_horizon(e.derivation)
         for i in range(len(e.derivation.steps))
         if not _over_symbolic_sizes(e.derivation) or i == len(e.derivation.steps) - 1
         # (a perturbed inequality may still hold: the oracle judges equalities)
         if e.derivation.steps[i].relation == "="]


@pytest.mark.parametrize("entry,index", CASES,
                         ids=[f"{e.slug}-step{i + 1}" for e, i in CASES])
def test_every_perturbed_step_is_refuted_with_a_real_counterexample(entry, index):
    derivation = entry.derivation
    original = derivation.steps[index].expr
    previous = derivation.unfold(derivation.expressions[index])
    value = derivation.unfold(original).doit()
    genuine_kinds, undecidable_kinds = set(), set()
    for kind, mutants in _mutants(original, value).items():
        verified = 0
        for mutant in mutants:
            if verified == MUTANTS_PER_KIND:
                break
            try:
                mutated = _with_step_replaced(derivation, index, mutant)
            except (ValueError, TypeError):
                continue  # the perturbation does not make a well-formed expression
            differs = oracle.differs_somewhere(derivation.unfold(original), derivation.unfold(mutant))
            if differs is None:
                undecidable_kinds.add(kind)  # the oracle cannot evaluate it (say, an integral)
                continue
            if not differs:
                continue  # the perturbation happens to keep the value: not a wrong step
            genuine_kinds.add(kind)
            verified += 1
            report = mutated.verify(time_limit=20, only={index + 1})
            [step] = report.steps
            assert step.verdict.kind is VerdictKind.REFUTED, (kind, mutant, step.verdict)
            assert not report.ok
            example = step.verdict.counterexample
            functions = dict(example.functions)
            point = dict(example.point)
            before = oracle.value(previous, functions, point)
            after = oracle.value(derivation.unfold(mutant), functions, point)
            assert before is not None and after is not None
            assert oracle.differ(before, after) or oracle.differ_at_two_precisions(
                previous, derivation.unfold(mutant), functions, point), \
                (kind, mutant, example.describe())
    assert genuine_kinds >= _applicable_kinds(derivation, original, value) \
        - (undecidable_kinds - genuine_kinds), \
        f"kinds of perturbation tried: {sorted(genuine_kinds)}"


def _applicable_kinds(derivation: Derivation, expr: sp.Expr, value: sp.Expr) -> set[str]:
    """The kinds of perturbation that must change this step's value.

    A step whose value is zero (a baseline's expectation, say) can stay zero under every
    perturbation but a changed constant; one whose value is one (weights over their sum)
    stays one when its functions are replaced or squared, but not when its sign or a
    constant changes; any other step changes under all five that apply to its form.
    """
    if oracle.differs_somewhere(derivation.unfold(expr), sp.Integer(0)) is False:
        return {"change a constant"}
    if oracle.differs_somewhere(derivation.unfold(expr), sp.Integer(1)) is False:
        return {"change a constant", "flip a sign"}
    forms = (expr, value)
    kinds = {"change a constant", "flip a sign", "square a term"}
    if any(form.atoms(sp.Mul) for form in forms):
        kinds.add("drop a factor")
    if any(form.atoms(AppliedUndef) for form in forms):
        kinds.add("replace p by log p")
    return kinds
