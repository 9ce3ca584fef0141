"""``pgsym.compile``: a vectorised NumPy, JAX or PyTorch function printed from the verified
last step of a derivation, by the printers that write ``pgsym.gradients._kernels`` and its
JAX and PyTorch twins (:mod:`pgsym.codegen`).

>>> import sympy as sp
>>> from pgsym import Derivation
>>> x, mu = sp.symbols("x mu", real=True)
>>> sigma = sp.Symbol("sigma", positive=True)
>>> d = Derivation("Gaussian score in the mean",
...                start=sp.Derivative(-(x - mu)**2 / (2 * sigma**2), mu))
>>> d = d.step((x - mu) / sigma**2, rule="algebra")
>>> score = compile(d, arguments={"x": x, "mu": mu, "sigma": sigma})
>>> score([1.0, 2.0], [0.0, 0.0], [1.0, 2.0]).tolist()
[1.0, 0.5]
>>> score.verified, score.derivation
(True, 'Gaussian score in the mean')
"""
from __future__ import annotations

import builtins
import copy
import keyword
import linecache
import re
from typing import Callable, Mapping

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from pgsym import codegen
from pgsym.codegen import BuildError, Kernel, NotVerifiedError
from pgsym.derivation import Derivation
from pgsym.report import Report

#: the code each backend prints; a backend is added by adding a printer to pgsym.codegen
BACKENDS = codegen.BACKENDS


def compile(source: Derivation | sp.Expr, arguments: Mapping[str, object],  # noqa: A001
            backend: str = "numpy", *, axis: tuple[sp.Symbol, ...] = (), name: str | None = None,
            verified: bool | Report = True, settings=None) -> Callable:
    """Returns a function for ``backend`` (``"numpy"``, ``"jax"`` or ``"torch"``) that
    evaluates the last step of the derivation ``source``, after verifying it.

    ``arguments`` maps each parameter's name, in order, to what it stands for: a symbol or
    any atom (``p(x, theta)``) is one value per sample, shape ``(N,)``; an ``IndexedBase``
    or undefined function stands for all its applications, and is a vector ``(N, K)`` when
    they are read along the axis (``theta[b]`` inside a sum over ``b``, which becomes a sum
    over the K entries) or one by one (``theta[0]``). ``axis`` lists free indices that also
    run along it: the result is then ``(N, K)``, one entry per value of the index. Samples
    come first; the function checks every argument's shape and dtype (float32 or float64,
    integers taken as float64, those beyond 2**53 refused: float64 would round them) and
    raises a ValueError naming the argument and the shape expected. The derivation was
    verified for the values the arguments' assumptions declare (a symbol declared positive,
    integer...), and its last step may be another function elsewhere: the NumPy function
    raises a ValueError for a value that breaks them, the JAX and PyTorch ones return nan
    for that sample. For ``"jax"`` the function takes and returns JAX arrays and works under
    ``jax.jit``; for ``"torch"`` tensors, on the device they are on. Those two check shapes
    and dtypes as NumPy's does (JAX computes in float32, float64 arguments included, unless
    ``jax_enable_x64`` is set; integers become JAX's default float, or float64 in torch;
    values that are not tensors are converted by ``torch.as_tensor``), and need JAX or
    PyTorch installed (``pip install "pgsym[jax]"``, ``"pgsym[torch]"``): compiling for a
    library that is missing raises an ImportError saying so.

    ``verified``: True verifies the derivation now (with ``settings``, a
    :class:`pgsym.Settings`) and raises :class:`pgsym.codegen.NotVerifiedError`, naming the
    derivation and its failing steps, unless every step passes; a :class:`pgsym.Report` of
    this derivation as it stands (the same start, definitions, ranges and steps) that passes
    is taken instead. ``False`` compiles without verifying,
    which a bare SymPy expression requires (it has no steps to check): the function's
    docstring then opens with NOT VERIFIED and its ``verified`` attribute is False.

    Defined symbols and functions of the derivation that no argument stands for are
    replaced by their definitions. The function's docstring names the derivation and the
    sha256 of the verified expression; its attributes ``verified``, ``derivation``,
    ``sha256`` and ``source`` (the code printed) say the same.
    """
    if backend not in BACKENDS:
        raise BuildError(f"pgsym.compile: unknown backend {backend!r}; known: "
                         f"{', '.join(BACKENDS)}")
    codegen.require(backend)  # before the verifying, which may take long
    if not isinstance(arguments, Mapping):
        raise BuildError(f"pgsym.compile: arguments must map parameter names to symbols, "
                         f"atoms, IndexedBases or functions, got {type(arguments).__name__}")
    if isinstance(source, Derivation):
        where = f"derivation {source.name!r}"
        report = _report(source, verified, settings)
        expression = source.result
        printed, unfolded = _unfolded(source, expression, arguments)
        label, relation = source.name, source.relation
    elif isinstance(source, sp.Basic):
        if verified is not False:
            raise NotVerifiedError(
                "pgsym.compile: a bare SymPy expression has no steps, so nothing about it can "
                "be verified; compile a Derivation that ends in it, or pass verified=False to "
                "compile it knowingly unverified (its docstring then says NOT VERIFIED)")
        where, report, expression, printed, unfolded, label = "an expression", None, source, source, (), None
        relation = "="
    else:
        raise TypeError(f"pgsym.compile: expected a pgsym.Derivation or a SymPy expression, "
                        f"got {type(source).__name__}")
    function_name = name if name is not None else _python_name(label or "expression")
    hexdigest = codegen.digest((expression,))
    try:
        kernel = Kernel(function_name, arguments=arguments, axis=axis)
        text = codegen.function_module(kernel, printed,
                                       _provenance(label, report, hexdigest, unfolded,
                                                   relation), backend,
                                       codegen.derivation_bounds(source, arguments, where)
                                       if isinstance(source, Derivation) else {},
                                       codegen.derivation_relations(source, arguments)
                                       if isinstance(source, Derivation) else ())
    except BuildError as error:
        cause = str(error).removeprefix(f"kernel {function_name}: ")
        raise type(error)(f"pgsym.compile, {where}: {cause}") from error
    function = _load(text, function_name, backend)
    missing = _missing_functions(text)
    if missing:  # (torch.special has no gamma: it printed, and failed at every call;
        # hostile review 45)
        raise BuildError(f"pgsym.compile, {where}: SymPy prints {', '.join(missing)}, which "
                         f"the installed {backend} does not have")
    function.verified = report is not None
    function.derivation = label
    function.relation = relation
    function.sha256 = hexdigest
    function.source = text
    return function


def _missing_functions(text: str) -> list[str]:
    """The dotted names of the backends' functions that ``text`` calls and that the installed
    library does not have."""
    import importlib
    import sys

    missing = []
    for name in sorted(set(re.findall(r"\b(?:numpy|jax|torch)(?:\.[A-Za-z_]\w*)+(?=\()", text))):
        parts = name.split(".")
        found = sys.modules.get(parts[0]) or importlib.import_module(parts[0])
        for part in parts[1:]:
            found = getattr(found, part, None)
            if found is None:
                missing.append(name)
                break
    return missing


def _report(derivation: Derivation, verified: bool | Report, settings) -> Report | None:
    """The passing report of ``derivation`` (None when ``verified`` is False)."""
    if verified is False:
        return None
    if verified is True:
        from pgsym.verification import Settings, verify_many

        if settings is not None and not isinstance(settings, Settings):
            raise TypeError(f"pgsym.compile: settings must be a pgsym.Settings, got "
                            f"{type(settings).__name__}")
        report = verify_many([derivation], settings or Settings())[0]
    elif isinstance(verified, Report):
        from pgsym.verification import report_is_of

        report = verified
        steps = tuple(s.step for s in report.steps)
        # (the function is printed through the definitions: the report must be of them)
        if not report_is_of(report, derivation):
            raise NotVerifiedError(f"pgsym.compile: the report given is of derivation "
                                   f"{report.derivation!r} ({len(steps)} steps), not of "
                                   f"derivation {derivation.name!r} as it stands "
                                   f"({len(derivation.steps)} steps; its start, definitions, "
                                   f"ranges and steps are compared)")
    else:
        raise TypeError(f"pgsym.compile: verified must be True, False or a pgsym.Report, got "
                        f"{type(verified).__name__}")
    if not report.ok:
        raise NotVerifiedError(f"pgsym.compile: derivation {derivation.name!r} does not verify, "
                               f"so nothing was compiled: " + "; ".join(report.failures()))
    return report


def _unfolded(derivation: Derivation, expression: sp.Expr,
              arguments: Mapping[str, object]) -> tuple[sp.Expr, tuple[str, ...]]:
    """``expression`` with the definitions no argument stands for unfolded, and their names."""
    bound = set()
    for atoms in arguments.values():
        bound.update(atoms if isinstance(atoms, (tuple, list)) else (atoms,))

    def is_bound(key) -> bool:
        if key in bound:
            return True
        return isinstance(key, UndefinedFunction) and any(
            isinstance(a, AppliedUndef) and a.func == key for a in bound)

    unbound = {k: v for k, v in derivation.definitions.items() if not is_bound(k)}
    used = [k for k in unbound if _mentions(expression, k)]
    if not used:
        return expression, ()
    partial = copy.copy(derivation)
    partial.definitions = unbound
    return partial.unfold(expression, evaluate=False), tuple(str(k) for k in used)


def _mentions(expression: sp.Expr, key) -> bool:
    if isinstance(key, UndefinedFunction):
        return any(a.func == key for a in expression.atoms(AppliedUndef))
    return key in expression.free_symbols


def _provenance(label: str | None, report: Report | None, hexdigest: str,
                unfolded: tuple[str, ...], relation: str = "=") -> str:
    """The docstring's text: what the function evaluates and how it was verified; where the
    chain holds an inequality, that the last step is a bound on the start, not its value
    (a gradient > 0 compiled to a function returning 0, the docstring saying only that
    every step was proved: new user 22)."""
    unfolding = f" (definitions of {', '.join(unfolded)} unfolded)" if unfolded else ""
    if relation != "=":
        unfolding += (f": a BOUND on the start, not its value (the chain proves start "
                      f"{relation} last step)")
    if label is None:
        return ("NOT VERIFIED: a bare SymPy expression, compiled with verified=False; pgsym "
                "checked nothing about it.\n\n"
                f"Printed by pgsym.compile. sha256 of the expression: {hexdigest}")
    if report is None:
        return (f"NOT VERIFIED: the last step of the derivation {label!r}{unfolding}, compiled "
                f"with verified=False; pgsym did not verify it.\n\n"
                f"Printed by pgsym.compile. sha256 of the expression: {hexdigest}")
    return (f"The last step of the derivation {label!r}{unfolding}, per sample.\n\n"
            f"Verified by pgsym: {codegen.strength([report])}."
            f"{codegen.assumptions_text([report])}\nPrinted by "
            f"pgsym.compile. sha256 of the verified expression: {hexdigest}")


def _python_name(label: str) -> str:
    """A function name made of ``label``'s letters and digits."""
    name = re.sub(r"\W+", "_", label.lower(), flags=re.ASCII).strip("_") or "expression"
    return f"f_{name}" if name[0].isdigit() or keyword.iskeyword(name) \
        or name in codegen.RESERVED_NAMES else name


def _load(text: str, name: str, backend: str = "numpy") -> Callable:
    """Runs the module ``text`` and returns its function ``name``; the source is registered
    with linecache, so tracebacks and ``inspect.getsource`` show the printed code."""
    filename = f"<pgsym.compile {name} {abs(hash(text)):x}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace: dict = {"__name__": f"pgsym.compiled.{name}"}
    try:
        exec(builtins.compile(text, filename, "exec"), namespace)  # noqa: S102 - code we printed
    except ImportError as error:
        raise ImportError(f"pgsym.compile(backend={backend!r}) needs {error.name or backend}, "
                          f"which is not installed: pip install \"pgsym[{backend}]\"") from error
    return namespace[name]
