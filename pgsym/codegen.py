"""NumPy source for :mod:`pgsym.gradients`, printed from verified SymPy expressions.

Each kernel is the final expression of a family of derivations in
``derivations/policy_scores.py``, one per size, all proved. Before printing, the family is
verified again and the kernel's expression, with its sizes made concrete, must be exactly
the last step (or the summand of the last step) of every derivation of the family; a kernel
is never printed from an expression that was not verified.

Printing binds each atom of the expression (``z(b)``, ``phi[i]``, ``m``...) to an argument
of the generated function and turns a sum over the kernel's reduction index into
``numpy.sum(..., axis=0, keepdims=True)``: the arguments carry that index on their first
axis (actions first, samples last, so that reductions over a handful of actions run along
contiguous rows). Common subexpressions are computed once (SymPy's ``cse``).

>>> source = generate_source(verified=False)
>>> "def softmax_log_prob(" in source
True
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from pgsym.derivation import Derivation

#: where ``pgsym build`` writes the generated module
KERNELS_PATH = Path(__file__).resolve().parent / "gradients" / "_kernels.py"


#: the sampled action of the softmax policy: one value per sample, not an axis
_OWN_ACTION = sp.Symbol("a", integer=True)


class BuildError(RuntimeError):
    """A kernel's derivations do not verify, or its expression is not theirs."""


@dataclass(frozen=True)
class Kernel:
    """One generated function: its expressions (several outputs share subexpressions),
    the argument each atom is bound to, and the derivations the expressions come from."""

    name: str
    outputs: tuple[sp.Expr, ...]
    arguments: tuple[tuple[sp.Basic, str], ...]
    reduction: sp.Symbol | None
    derivations: tuple[Callable[[], Derivation], ...]
    expected: Callable[[Derivation], sp.Expr]
    instantiate: Callable[[Derivation], tuple[sp.Expr, ...]]
    doc: str

    @property
    def digest(self) -> str:
        """sha256 of the verified expressions, so that a change to them shows in the file."""
        return hashlib.sha256(sp.srepr(sp.Tuple(*self.outputs)).encode()).hexdigest()


class _KernelPrinter(NumPyPrinter):
    def __init__(self, reduction: sp.Symbol | None):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})
        self._reduction = reduction

    def _print_Sum(self, expr: sp.Sum) -> str:
        (index, _, _), = expr.limits
        if index != self._reduction:
            raise BuildError(f"cannot print a sum over {index}: only {self._reduction} is an axis")
        return f"numpy.sum({self._print(expr.function)}, axis=0, keepdims=True)"

    def _print_Indexed(self, expr: sp.Indexed) -> str:
        # arguments carry the reduction index on their first axis
        return str(expr.base)


def _bind(expr: sp.Expr, arguments: tuple[tuple[sp.Basic, str], ...],
          reduction: sp.Symbol | None) -> sp.Expr:
    """Replaces each atom by its argument; an atom that varies along the reduction axis
    becomes ``argument[index]``, so that sums over that index keep their summands."""
    def argument(atom: sp.Basic, name: str) -> sp.Expr:
        along_axis = reduction is not None and any(
            s.is_integer for s in atom.free_symbols if isinstance(s, sp.Symbol) and s != _OWN_ACTION)
        return sp.IndexedBase(name)[reduction] if along_axis else sp.Symbol(name)

    table = {atom: argument(atom, name) for atom, name in arguments}
    bound = expr.xreplace(table)
    names = {name for _, name in arguments}
    left = [a for a in bound.atoms(sp.Indexed, sp.Function)
            if (isinstance(a, sp.Indexed) and str(a.base) not in names)
            or isinstance(a, sp.core.function.AppliedUndef)]
    if left:
        raise BuildError(f"no argument bound to {', '.join(map(str, left))}")
    return bound


def kernel_source(kernel: Kernel) -> str:
    """Returns the Python source of one kernel."""
    bound = [_bind(e, kernel.arguments, kernel.reduction) for e in kernel.outputs]
    replacements, reduced = sp.cse(bound, symbols=sp.numbered_symbols("t"), optimizations="basic")
    printer = _KernelPrinter(kernel.reduction)
    names = ", ".join(dict.fromkeys(name for _, name in kernel.arguments))
    lines = [f"def {kernel.name}({names}):", f'    """{kernel.doc}"""']
    lines += [f"    {symbol} = {printer.doprint(value)}" for symbol, value in replacements]
    results = ", ".join(printer.doprint(e) for e in reduced)
    lines.append(f"    return {results}")
    return "\n".join(lines) + "\n"


def _kernels() -> tuple[Kernel, ...]:
    from derivations import policy_scores as ps

    A, k = sp.symbols("A k", integer=True, positive=True)
    softmax = [size for size in ps.SOFTMAX_SIZES]
    gaussian = [size for size in ps.GAUSSIAN_SIZES]

    def sizes(derivation: Derivation) -> tuple[int, int]:
        words = dict(w.split("=") for w in derivation.name.split(", ")[-1].split())
        return tuple(int(v) for v in words.values())

    def last_summand(derivation: Derivation) -> sp.Expr:
        result = derivation.result
        if not isinstance(result, sp.Sum):
            raise BuildError(f"derivation {derivation.name!r} does not end in a sum")
        return result.function

    def cofactor(summand: sp.Expr, *factors: sp.Expr) -> sp.Expr:
        remaining = list(summand.args) if isinstance(summand, sp.Mul) else [summand]
        for factor in factors:
            if factor not in remaining:
                raise BuildError(f"{summand} has no factor {factor}")
            remaining.remove(factor)
        return sp.Mul(*remaining)

    def cofactor_is_free_of(expr: sp.Expr, symbol: sp.Symbol) -> sp.Expr:
        if symbol in expr.free_symbols:
            raise BuildError(f"{expr} depends on {symbol}: it is not a per-{symbol} cofactor")
        return expr

    V, phi = ps.direction, ps.phi
    softmax_cofactor = cofactor(ps.softmax_score_template(), V[ps.i, ps.c], phi[ps.i])
    weights_cofactor = cofactor(ps.gaussian_weights_score_template(), V[ps.i, ps.c], phi[ps.i])
    log_std_cofactor = cofactor(ps.gaussian_log_std_score_template(), V[0, ps.c])
    return (
        Kernel(
            "softmax_log_prob",
            (ps.softmax_log_prob_template(A),),
            ((ps.z(ps.a), "chosen"), (ps.m, "shift"), (ps.z(ps.b), "logits")),
            ps.b,
            tuple(lambda s=s: ps.softmax_log_prob(*s) for s in softmax),
            lambda d: d.result,
            lambda d: (ps.softmax_log_prob_template(A).subs(A, sizes(d)[1]),),
            "log pi(a|s) (1, N) from the chosen logit (1, N), the shift (1, N) and the logits (A, N).",
        ),
        Kernel(
            "softmax_probabilities",
            (ps.softmax_probability_template(A),),
            ((ps.z(ps.c), "logits"), (ps.z(ps.b), "logits"), (ps.m, "shift")),
            ps.b,
            tuple(lambda s=s: ps.softmax_probability(*s) for s in softmax),
            lambda d: d.result,
            lambda d: (ps.softmax_probability_template(A).subs(A, sizes(d)[1]),),
            "pi(c|s) (A, N) for every action c, from the logits (A, N) and the shift (1, N).",
        ),
        Kernel(
            "softmax_score_cofactor",
            (cofactor_is_free_of(softmax_cofactor, ps.i),),
            ((sp.KroneckerDelta(ps.a, ps.c), "onehot"), (ps.pi(ps.c), "probabilities")),
            None,
            tuple(lambda s=s: ps.softmax_score(*s) for s in softmax),
            last_summand,
            lambda d: (ps.softmax_score_template(),),
            "d log pi(a|s) / d theta_ic divided by phi_i (A, N): from the one-hot action (A, N) "
            "and pi(.|s) (A, N).",
        ),
        Kernel(
            "gaussian_log_prob",
            (ps.gaussian_log_prob_template(k),),
            ((ps.action[ps.c], "actions"), (ps.mu(ps.c), "mean"), (ps.log_std[ps.c], "log_std")),
            ps.c,
            tuple(lambda s=s: ps.gaussian_log_prob(*s) for s in gaussian),
            lambda d: d.result,
            lambda d: (ps.gaussian_log_prob_template(k).subs(k, sizes(d)[1]),),
            "log N(a; mean, exp(log_std)^2) (1, N), summed over the k action dimensions: actions "
            "and mean (k, N), log_std (k, 1).",
        ),
        Kernel(
            "gaussian_score_cofactors",
            (cofactor_is_free_of(weights_cofactor, ps.i), log_std_cofactor),
            ((ps.action[ps.c], "actions"), (ps.mu(ps.c), "mean"), (ps.log_std[ps.c], "log_std")),
            None,
            tuple(lambda s=s, f=f: f(*s) for s in gaussian
                  for f in (ps.gaussian_weights_score, ps.gaussian_log_std_score)),
            last_summand,
            lambda d: ((ps.gaussian_weights_score_template() if "weights" in d.name
                        else ps.gaussian_log_std_score_template()),),
            "d log N / d W_ic divided by phi_i, and d log N / d log_std_c, each (k, N): actions "
            "and mean (k, N), log_std (k, 1).",
        ),
    )


def _check_kernel(kernel: Kernel, verified: bool | set[str]) -> list[str]:
    """Returns the names of the derivations behind ``kernel``, after checking them.

    ``verified`` is True (verify each derivation now), False (skip, for previews), or the
    set of names of derivations already verified with every step holding.
    """
    from pgsym.verification import verify

    names = []
    for build in kernel.derivations:
        derivation = build()
        if isinstance(verified, set):
            if derivation.name not in verified:
                raise BuildError(f"kernel {kernel.name}: derivation {derivation.name!r} is not verified")
        elif verified:
            report = verify(derivation)
            if not report.ok:
                raise BuildError(f"kernel {kernel.name}: " + "; ".join(report.failures()))
        written, = kernel.instantiate(derivation)
        if kernel.expected(derivation) != written:
            raise BuildError(f"kernel {kernel.name}: derivation {derivation.name!r} ends in "
                             f"{kernel.expected(derivation)}, not in the kernel's {written}")
        names.append(derivation.name)
    return names


HEADER = '''"""Generated by `pgsym build` from verified derivations (derivations/policy_scores.py).

Do not edit: change the derivations and run `pgsym build`. Each function names the
derivations whose last step it evaluates, every one of them proved, and the sha256 of the
SymPy expression it was printed from.
"""
import numpy
'''


def generate_source(verified: bool | set[str] = True) -> str:
    """Returns the source of :mod:`pgsym.gradients._kernels`.

    With ``verified`` True (the default) every derivation behind a kernel is verified first
    and :class:`BuildError` is raised if any step does not hold; a set of names says which
    derivations the caller has verified already.
    """
    parts = [HEADER]
    for kernel in _kernels():
        names = _check_kernel(kernel, verified)
        parts.append("\n")
        parts.append(f"# from: {'; '.join(names)}\n# sha256: {kernel.digest}\n")
        parts.append(kernel_source(kernel))
    return "\n".join(parts)


def write_kernels(path: Path = KERNELS_PATH, verified: bool | set[str] = True) -> bool:
    """Generates the kernels and writes them to ``path``; returns whether the file changed."""
    source = generate_source(verified)
    if path.exists() and path.read_text() == source:
        return False
    path.write_text(source)
    return True
