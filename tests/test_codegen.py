"""Kernels are printed only from verified derivations whose last step is the kernel's, as the
package being built declares them (KERNELS), for the notes' package and for any other."""
import importlib.util
import subprocess
import sys

import numpy as np
import pytest
import sympy as sp

import derivations
from derivations import policy_scores as ps
from pgsym import Derivation, codegen
from pgsym.codegen import BuildError, Kernel, KernelModule, NotVerifiedError, Output, Source

NOTES = {d.name: d for d in ps.build()}


def test_the_shipped_kernels_are_declared_as_data_by_the_notes_package():
    spec = derivations.KERNELS
    assert isinstance(spec, KernelModule)
    assert [k.name for k in spec.kernels] == ["softmax_log_prob", "softmax_probabilities",
                                              "softmax_score", "softmax_score_cofactor",
                                              "gaussian_log_prob", "gaussian_score_cofactors",
                                              "gaussian_weights_score"]
    assert {s.derivation for k in spec.kernels for s in k.derivations} == set(NOTES)
    code = "import sys, pgsym.codegen, pgsym.compiler; print('derivations' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"  # the library reads no content of its own


def test_the_shipped_kernels_are_printed_from_derivations_for_symbolic_sizes():
    sizes = {ps.d, ps.A, ps.k}
    for kernel in derivations.KERNELS.kernels:
        for source in kernel.derivations:
            assert source.sizes == ()
            derivation = NOTES[source.derivation]
            assert sizes & derivation.unfold(derivation.start).free_symbols, derivation.name


def test_kernels_are_not_printed_from_derivations_that_were_not_verified():
    report = NOTES["softmax log-probability"].verify()
    with pytest.raises(NotVerifiedError, match="kernel softmax_probabilities: derivation 'softmax "
                                               "probability' is not verified"):
        codegen.module_source(derivations.KERNELS, NOTES, {report.derivation: report})


def test_an_unverified_preview_says_so_in_every_kernel_and_the_committed_file_does_not():
    preview = codegen.generate_source(verified=False)
    assert preview.count("# NOT VERIFIED: printed for a preview") == len(derivations.KERNELS.kernels)
    assert "NOT VERIFIED" not in codegen.KERNELS_PATH.read_text()


def test_a_kernel_whose_expression_is_not_the_derivations_last_step_is_refused():
    wrong = sp.Mul(ps.phi[ps.i], sp.KroneckerDelta(ps.a, ps.c) + ps.pi(ps.c), evaluate=False)
    kernel = Kernel("score", derivations=("softmax score",),
                    outputs=(Output(wrong, "result", (ps.phi[ps.i],)),),
                    arguments={"onehot": sp.KroneckerDelta(ps.a, ps.c), "probabilities": ps.pi},
                    axis=(ps.c,))
    with pytest.raises(BuildError, match=r"notes.KERNELS, kernel score: derivation 'softmax score' "
                                         r"ends in .*, not in the kernel's"):
        codegen.check_kernels(KernelModule((kernel,), "_k.py"), NOTES, "notes")


def test_a_cofactor_that_still_depends_on_a_removed_index_is_refused():
    template = sp.Mul(ps.phi[ps.i], ps.phi[ps.i] - ps.pi(ps.c), evaluate=False)
    d = Derivation("made up", start=sp.Mul(template, 1, evaluate=False)).step(template, rule="algebra")
    kernel = Kernel("cofactor", derivations=("made up",),
                    outputs=(Output(template, "result", (ps.phi[ps.i],)),),
                    arguments={"phi": ps.phi, "probabilities": ps.pi}, axis=(ps.c,))
    with pytest.raises(BuildError, match="depends on i: it is not the cofactor of phi"):
        codegen.check_kernels(KernelModule((kernel,), "_k.py"), {"made up": d}, "pkg")


def test_a_wrong_step_behind_a_kernel_stops_the_build():
    x = sp.Symbol("x", real=True)
    twice = sp.Add(x, x, evaluate=False)
    good = Derivation("double", start=twice).step(2 * x, rule="algebra")
    bad = Derivation("double, wrongly", start=twice).step(3 * x, rule="algebra")
    spec = KernelModule((Kernel("twice", derivations=("double",), arguments={"x": x}),
                         Kernel("thrice", derivations=("double, wrongly",), arguments={"x": x})),
                        "_k.py")
    with pytest.raises(NotVerifiedError, match=r"kernel thrice: derivation 'double, wrongly', "
                                               r"step 1 \(algebra\): refuted"):
        codegen.module_source(spec, {"double": good, "double, wrongly": bad}, verified=True)


@pytest.mark.parametrize("kernels, message", [
    (lambda: (Kernel("f", derivations=("no such",), arguments={}),),
     "pkg.KERNELS, kernel f: no derivation is called 'no such' in pkg; known: 'sum'"),
    (lambda: (Kernel("f", derivations=("sum",), arguments={"theta": sp.IndexedBase("theta")}),),
     "pkg.KERNELS, kernel f: no argument stands for x"),
    (lambda: (Kernel("f", derivations=(Source("sum", output=1),), arguments={}),),
     "kernel f: derivation 'sum' proves output 1, but the kernel has 1 output, numbered from 0"),
    (lambda: (Kernel("f", derivations=("sum",), arguments={"x": sp.Symbol("x")}),
              Kernel("f", derivations=("sum",), arguments={"x": sp.Symbol("x")})),
     "two kernels are called f"),
    (lambda: (Kernel("f", arguments={"x": sp.Symbol("x")}),), "kernel f names no derivation"),
    (lambda: (Kernel("f", derivations=("sum",), arguments={"x": sp.Symbol("x")}, axis=("c",)),),
     "kernel f: an axis index must be a SymPy symbol, got 'c'"),
    (lambda: (Kernel("f", derivations=("sum",), arguments={"x": "x"}),),
     "kernel f: argument 'x' must stand for a SymPy symbol, atom, IndexedBase or function, got str"),
    (lambda: (Kernel("lambda", derivations=("sum",)),),
     "a kernel's name must be a Python name, got 'lambda', which is a Python keyword"),
], ids=["unknown derivation", "unbound symbol", "output out of range", "same name twice",
        "no derivation", "axis not a symbol", "argument not sympy", "keyword name"])
def test_a_wrong_declaration_is_refused_naming_the_kernel_and_the_cause(kernels, message):
    x = sp.Symbol("x")
    derivation = Derivation("sum", start=sp.Add(x, x, evaluate=False)).step(2 * x, rule="algebra")
    with pytest.raises(BuildError) as raised:
        codegen.check_kernels(KernelModule(kernels(), "_k.py"), {"sum": derivation}, "pkg")
    assert message in str(raised.value)


@pytest.mark.parametrize("field, value, message", [
    ("file", "/abs/k.py", "KERNELS.file must be a path ending in .py, relative"),
    ("file", "k.txt", "KERNELS.file must be a path ending in .py"),
    ("kernels", ("not a kernel",), "KERNELS must hold pgsym.codegen.Kernel values, got str"),
    ("file", "kernels.py", "KERNELS.file 'kernels.py' would lie among the package's modules"),
])
def test_a_kernel_module_of_the_wrong_form_is_refused(field, value, message):
    fields = {"kernels": (), "file": "_k.py", field: value}
    with pytest.raises(BuildError, match=message):
        KernelModule(**fields)
    with pytest.raises(BuildError, match="batch must be 'first' or 'last'"):
        Kernel("f", batch="middle")


def test_the_printed_kernels_compute_what_their_expressions_say():
    namespace: dict = {}
    exec(codegen.generate_source(verified=False), namespace)  # noqa: S102 - our own output
    logits = np.array([[0.0, 1.0], [2.0, -1.0]])  # (A, N)
    shift = logits.max(axis=0, keepdims=True)
    probabilities = namespace["softmax_probabilities"](logits, shift)
    assert np.allclose(probabilities, np.exp(logits) / np.exp(logits).sum(axis=0))
    chosen = logits[[1, 0], [0, 1]][None, :]
    assert np.allclose(namespace["softmax_log_prob"](chosen, shift, logits)[0],
                       np.log(probabilities[[1, 0], [0, 1]]))


def test_a_batch_first_module_checks_its_inputs_and_names_its_derivations(tmp_path):
    x, mu = sp.symbols("x mu", real=True)
    sigma = sp.Symbol("sigma", positive=True)
    theta = sp.IndexedBase("theta", real=True)
    b = sp.Symbol("b", integer=True, nonnegative=True)
    score = Derivation("score", start=sp.Derivative(-(x - mu)**2 / (2 * sigma**2), mu))
    score.step((x - mu) / sigma**2, rule="algebra")
    dot = Derivation("sum of exponentials",
                     start=sp.Sum(sp.Mul(sp.exp(theta[b]), 1, evaluate=False), (b, 0, 2)))
    dot.step(sp.Sum(sp.exp(theta[b]), (b, 0, 2)), rule="algebra")
    spec = KernelModule((
        Kernel("mean_score", derivations=("score",), arguments={"x": x, "mu": mu, "sigma": sigma},
               doc="d/dmu log N(x; mu, sigma^2)."),
        Kernel("total", derivations=("sum of exponentials",), arguments={"theta": theta}),
    ), "_kernels.py")
    source = codegen.module_source(spec, {"score": score, "sum of exponentials": dot},
                                   package="mypkg")
    assert source.startswith('"""Generated by `pgsym build` from verified derivations (mypkg).')
    assert "import sympy" not in source and "pgsym" not in source.split('"""', 2)[2].split("def ")[0]
    path = tmp_path / "kernels.py"
    path.write_text(source)
    module_spec = importlib.util.spec_from_file_location("generated_kernels", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    assert module.mean_score([1.0, 3.0], [0.0, 1.0], [1.0, 2.0]).tolist() == [1.0, 0.5]
    assert np.allclose(module.total(np.zeros((2, 3))), [3.0, 3.0])
    assert module.mean_score.__doc__.startswith("d/dmu log N(x; mu, sigma^2).")
    assert "from the last step of 'score', verified: every step proved." in module.mean_score.__doc__
    assert f"sha256 of the expression printed: {codegen.digest([score.result])}" in module.mean_score.__doc__
    with pytest.raises(ValueError, match=r"total: argument 'theta' must have shape \(N, 3\)"):
        module.total(np.zeros((2, 4)))


def test_the_notes_spec_resolves_its_file_beside_the_checkout():
    from pgsym import catalog

    assert catalog.output_path("derivations", derivations.KERNELS.file) == codegen.KERNELS_PATH


def test_a_score_over_features_and_actions_is_one_einsum_with_samples_first():
    namespace: dict = {}
    exec(codegen.generate_source(verified=False), namespace)  # noqa: S102 - our own output
    rng = np.random.default_rng(0)
    features, logits = rng.normal(size=(3, 5)), rng.normal(size=(4, 5))  # (d, N), (A, N)
    onehot = np.eye(4)[:, [0, 3, 1, 1, 2]]
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=0)
    cofactor = namespace["softmax_score_cofactor"](onehot, probabilities)
    score = namespace["softmax_score"](features, cofactor)
    assert score.shape == (5, 3, 4) and score.flags.c_contiguous
    assert np.allclose(score, features.T[:, :, None] * (onehot - probabilities).T[:, None, :])
    actions, mean, log_std = rng.normal(size=(2, 5)), rng.normal(size=(2, 5)), rng.normal(size=(2, 1))
    cofactor, log_std_score = namespace["gaussian_score_cofactors"](actions, mean, log_std)
    weights_score = namespace["gaussian_weights_score"](features, cofactor)
    expected = (actions - mean) * np.exp(-2 * log_std)
    assert np.allclose(weights_score, features.T[:, :, None] * expected.T[:, None, :])
    assert np.allclose(log_std_score, (actions - mean)**2 * np.exp(-2 * log_std) - 1)


@pytest.mark.parametrize("expression, fields, message", [
    (ps.phi[ps.i] + ps.pi(ps.c), {}, "varies along i and c in one factor"),
    (ps.phi[ps.i] * ps.pi(ps.c), {"batch": "first"}, "are printed for a batch-last kernel"),
    (ps.phi[ps.i] * ps.pi(ps.c), {"axis": (ps.c,)}, "without axis="),
], ids=["a sum over two axes", "batch first", "axis and axes"])
def test_an_output_over_several_axes_must_be_a_product_of_factors_along_one_each(
        expression, fields, message):
    with pytest.raises(BuildError, match=message):
        codegen.preview(Kernel("f", arguments={"features": ps.phi, "probabilities": ps.pi},
                               outputs=(Output(expression),), axes=(ps.i, ps.c),
                               **{"batch": "last", **fields}))


def test_a_package_kernel_checks_ranges_and_conditions_as_compile_does(tmp_path):
    """Hostile review 45: the kernels of pgsym build skipped the checks pgsym.compile makes:
    min(x, 1) = x under x < 1 returned 5 at x = 5, and a sum ranged over a in 0..2 returned
    1 at a = 7 (the starts are 1 and 0)."""
    x = sp.Symbol("x", real=True)
    a, b = sp.Symbol("a", integer=True), sp.Symbol("b", integer=True)
    clipped = Derivation("clipped", start=sp.Min(x, 1)).step(x, rule="algebra", condition=x < 1)
    ranged = Derivation("ranged", start=sp.Sum(sp.KroneckerDelta(a, b), (b, 0, 2)),
                        ranges={a: (0, 2)}).step(sp.Integer(1), rule="algebra")
    spec = KernelModule((Kernel("clipped", derivations=("clipped",), arguments={"x": x}),
                         Kernel("ranged", derivations=("ranged",), arguments={"a": a})),
                        "_kernels.py")
    path = tmp_path / "kernels.py"
    path.write_text(codegen.module_source(spec, {"clipped": clipped, "ranged": ranged}))
    module_spec = importlib.util.spec_from_file_location("bounded_kernels", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    assert module.clipped(np.array([0.5])).tolist() == [0.5]
    assert module.ranged(np.array([2.0])).tolist() == [1.0]
    with pytest.raises(ValueError, match="'x' must hold values that are < 1"):
        module.clipped(np.array([5.0]))
    with pytest.raises(ValueError, match="'a' must hold values that are <= 2"):
        module.ranged(np.array([7.0]))
    assert "x < 1" in module.clipped.__doc__  # (the assumption, listed)


def test_a_kernel_is_not_printed_from_a_derivation_ending_in_a_bound():
    """New user 22: a chain ending in a bound (dJ/dtheta > 0) would print a kernel returning
    the bound; a package kernel refuses it (pgsym.compile prints it and says so)."""
    from pgsym.codegen import BuildError, Kernel, _prepare
    theta = sp.Symbol("theta", real=True)
    d = Derivation("positive", start=sp.exp(theta)).step(sp.Integer(0), rule="algebra",
                                                          relation=">")
    with pytest.raises(BuildError, match="relates its start to its last step by '>'"):
        _prepare(Kernel("positive", derivations="positive", arguments={"theta": theta}),
                 {"positive": d}, "mynotes")
