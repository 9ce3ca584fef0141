import subprocess
import sys
import textwrap
import uuid

import pytest

from pgsym import catalog
from pgsym.cli import main
from tests.conftest import HEAVY_NUMBA



def test_verify_prints_every_step_of_the_named_derivations_and_exits_zero(capsys):
    # every derivation is verified by the build test below; here, the table of a chosen few
    names = ["log-derivative-trick", "policy-score-identity"]
    assert main(["verify", *names]) == 0
    out = capsys.readouterr().out
    for entry in catalog.select(catalog.discover(), names):
        assert entry.derivation.name in out
        for number in range(1, len(entry.derivation.steps) + 1):
            assert f" {number} " in out
    assert "2 of 2 derivations verified" in out
    assert "REFUTED" not in out




@pytest.mark.xdist_group(HEAVY_NUMBA)
def test_check_runs_the_numerical_checks_and_saves_a_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "convergence.png"
    assert main(["check", "--cases", "1", "--plot", str(plot)]) == 0
    out = capsys.readouterr().out
    assert "REINFORCE on an MDP" in out and "checks passed" in out and "FAILED" not in out
    assert plot.read_bytes().startswith(b"\x89PNG")


@pytest.fixture
def wrong_package(tmp_path, monkeypatch):
    package = tmp_path / "wrong_derivations"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bad_step.py").write_text(textwrap.dedent("""
        import sympy as sp
        from pgsym import Derivation

        x = sp.Symbol("x", positive=True)

        def build():
            return Derivation("bad", start=sp.log(x * x)).step(sp.log(x), rule="algebra")
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "wrong_derivations"


def test_verify_exits_nonzero_and_names_the_refuted_step(wrong_package, capsys):
    assert main(["verify", "--package", wrong_package]) == 1
    captured = capsys.readouterr()
    assert "REFUTED" in captured.out
    assert "derivation 'bad', step 1 (algebra): refuted at x = " in captured.out
    # (new user 30: the status was 1, and no line said why)
    assert captured.err.endswith("pgsym: exit status 1: 1 of 1 steps did not pass (above)\n")


def test_an_unknown_name_is_a_clear_error(capsys):
    assert main(["verify", "no such thing"]) == 2
    err = capsys.readouterr().err
    assert "no derivation is called 'no such thing'; known: " in err


def test_a_missing_package_is_a_clear_error(capsys):
    assert main(["list", "--package", "no_such_package_here"]) == 2
    assert "cannot import no_such_package_here" in capsys.readouterr().err


def test_latex_prints_one_derivation(capsys):
    assert main(["latex", "log-derivative-trick"]) == 0
    assert capsys.readouterr().out.startswith("\\begin{align*}")


def test_list_and_rules(capsys):
    assert main(["list"]) == 0
    assert "log-derivative-trick" in capsys.readouterr().out
    assert main(["rules"]) == 0
    assert "swap sum and gradient" in capsys.readouterr().out


def test_python_dash_m_runs_the_same_command():
    result = subprocess.run([sys.executable, "-m", "pgsym", "list"], capture_output=True, text=True)
    assert result.returncode == 0 and "policy-score-identity" in result.stdout


def test_errata_cite_the_notes_and_the_derivation_that_shows_them(capsys):
    with_errata = [e.slug for e in catalog.discover() if e.derivation.errata]
    assert main(["verify", "--errata", *with_errata]) == 0
    out = capsys.readouterr().out
    for location in ("eq. (6)", "eq. (8)", "eq. (11)", "section 3"):
        assert f"- {location}: the notes say" in out
    assert "NOT verified" not in out


# Bad input: a one-line `pgsym: error: ...` naming the place and the cause, exit status 2.

DOUBLE = """
import sympy as sp
from pgsym import Derivation

x = sp.Symbol("x")

def derivation(name):
    return Derivation(name, start=sp.Add(x, x, evaluate=False)).step(2 * x, rule="algebra")
"""


@pytest.fixture
def make_package(tmp_path, monkeypatch):
    """Writes a package of the modules given (name -> source) and returns its name, a new
    one each time so that no earlier import of the same name is reused."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def make(modules: dict[str, str], init: bool | str = True) -> str:
        """``init`` is the text of ``__init__.py`` (``{package}`` is the package's name), or
        False for a namespace package."""
        name = f"pkg_{uuid.uuid4().hex}"
        folder = tmp_path / name
        folder.mkdir()
        if init is not False:
            text = init.replace("{package}", name) if isinstance(init, str) else ""
            (folder / "__init__.py").write_text(textwrap.dedent(text))
        for module, source in modules.items():
            (folder / f"{module}.py").write_text(textwrap.dedent(source))
        return name
    return make


def one_error_line(capsys) -> str:
    captured = capsys.readouterr()
    assert captured.err.startswith("pgsym: error: ") and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err
    return captured.err.strip()


@pytest.mark.parametrize("source, cause", [
    ("x = 1\n\ndef f(:\n", "SyntaxError: invalid syntax (broken.py, line 3)"),
    ("x = undefined_name\n", "NameError: name 'undefined_name' is not defined"),
    ("import no_such_dependency_here\n", "ModuleNotFoundError: No module named 'no_such_dependency_here'"),
    ("raise RuntimeError\n", "RuntimeError"),
], ids=["syntax error", "name error", "missing dependency", "raises"])
def test_a_module_that_cannot_be_imported_is_named_with_the_cause(make_package, capsys, source,
                                                                  cause, tmp_path):
    package = make_package({"broken": source, "good": DOUBLE + "build = lambda: derivation('d')\n"})
    # where the user's code raised it (a syntax error says where itself)
    where = "" if "SyntaxError" in cause else \
        f" (raised at {tmp_path / package / 'broken.py'}, line 1)"
    for command in (["verify"], ["list"], ["verify", "good", "broken"]):
        assert main([*command, "--package", package]) == 2
        assert one_error_line(capsys) == \
            f"pgsym: error: cannot import {package}.broken: {cause}{where}"


def test_an_error_in_a_module_another_imports_names_the_module_at_fault(make_package, capsys,
                                                                        tmp_path):
    """New user 27 read "cannot import mynotes.bandit" for an error raised in the module
    bandit imported, with no word of that module."""
    package = make_package({"helper": "x = 1\nraise ValueError('bad policy')\n",
                            "user": "from . import helper\nbuild = lambda: []\n"})
    assert main(["list", "--package", package]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"pgsym: error: cannot import {package}.")
    assert line.endswith(f"ValueError: bad policy (raised at "
                         f"{tmp_path / package / 'helper.py'}, line 2)"), line


@pytest.mark.parametrize("command", [["verify"], ["list"], ["build", "--no-figures"]])
@pytest.mark.parametrize("modules", [{}, {"nothing": "def build():\n    return []\n"}],
                         ids=["no modules", "empty build"])
def test_a_package_that_builds_no_derivations_is_an_error(make_package, tmp_path, capsys,
                                                          command, modules):
    package = make_package(modules)
    out = ["--out", str(tmp_path / "out")] if command[0] == "build" else []
    assert main([*command, "--package", package, *out]) == 2
    assert one_error_line(capsys) == f"pgsym: error: package {package} builds no derivations"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["verify"], ["build"]])
@pytest.mark.parametrize("seconds", ["nan", "inf", "-inf", "-1", "0", "abc", "", "1e30"])
def test_a_time_limit_must_be_a_positive_finite_number_of_seconds(capsys, command, seconds):
    with pytest.raises(SystemExit) as exit:
        main([*command, f"--time-limit={seconds}"])
    assert exit.value.code == 2
    assert (f"error: argument --time-limit: must be a positive number of seconds, at most "
            f"86400 (a day), not {seconds!r}") in capsys.readouterr().err


@pytest.mark.parametrize("arguments, message", [
    (["check", "--cases", "0"], "argument --cases: must be a positive whole number, not '0'"),
    (["check", "--cases", "-3"], "argument --cases: must be a positive whole number, not '-3'"),
    (["check", "--seed", "-1"], "argument --seed: must be a whole number, 0 or more, not '-1'"),
    (["list", "--package", ""], "argument --package: must be the name of a package to import"),
    (["list", "--package", ".relative"], "argument --package: must be the name of a package"),
])
def test_bad_numbers_and_names_are_refused_by_the_parser(capsys, arguments, message):
    with pytest.raises(SystemExit) as exit:
        main(arguments)
    assert exit.value.code == 2
    assert message in capsys.readouterr().err


def test_files_to_write_must_have_a_folder_and_out_must_be_a_folder(tmp_path, capsys):
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    for arguments, message in [
        (["build", "--out", str(a_file)], f"argument --out: {a_file} is a file, not a folder"),
        (["build", "--out", str(a_file / "out")], f"argument --out: {a_file} is a file, not"),
        (["build", "--kernels", str(tmp_path)], f"argument --kernels: {tmp_path} is a folder"),
        (["build", "--kernels", str(tmp_path / "no" / "k.py")],
         f"argument --kernels: no folder {tmp_path / 'no'} to write k.py into"),
        (["check", "--plot", str(tmp_path / "no" / "p.png")],
         f"argument --plot: no folder {tmp_path / 'no'} to write p.png into"),
    ]:
        with pytest.raises(SystemExit) as exit:
            main(arguments)
        assert exit.value.code == 2
        assert message in capsys.readouterr().err


def test_a_file_that_cannot_be_written_is_a_clear_error(make_package, tmp_path, capsys):
    package = make_package({"double": DOUBLE + "build = lambda: derivation('d')\n"})
    (tmp_path / "out" / "notes.tex").mkdir(parents=True)
    assert main(["build", "--no-figures", "--package", package, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.endswith(f"pgsym: error: {tmp_path / 'out' / 'notes.tex'}: Is a directory\n")
    assert "Traceback" not in err


def test_latex_prints_every_derivation_of_a_module_each_headed_by_its_name(make_package, capsys):
    package = make_package({"several": DOUBLE + "build = lambda: [derivation('first, K=2'), "
                                                "derivation('second')]\n"})
    assert main(["latex", "several", "--package", package]) == 0
    out = capsys.readouterr().out
    assert out.startswith("% first, K=2\n\\begin{align*}\n")
    assert "\\end{align*}\n\n% second\n\\begin{align*}\n" in out
    assert out.count("\\begin{align*}") == 2
    assert main(["latex", "several", "--package", package, "--verdicts"]) == 0
    assert capsys.readouterr().out.count(r"\,$\checkmark$") == 2  # one step each, proved


def test_latex_of_a_module_of_the_notes_that_builds_several(capsys):
    assert main(["latex", "policy_scores"]) == 0
    out = capsys.readouterr().out
    names = [e.derivation.name for e in catalog.find("derivations", ["policy_scores"])]
    assert len(names) > 1
    assert [line[2:] for line in out.splitlines() if line.startswith("% ")] == names


@pytest.mark.parametrize("modules, clash", [
    ({"a": "build = lambda: derivation('Score')", "b": "build = lambda: derivation('Score')"},
     "derivation 'Score' is built twice: by {p}.a and by {p}.b"),
    ({"a": "build = lambda: [derivation('Score'), derivation('Score')]"},
     "derivation 'Score' is built twice: by {p}.a and by {p}.a"),
    ({"a": "build = lambda: derivation('Score, K=2')", "b": "build = lambda: derivation('score k 2')"},
     "derivations 'Score, K=2' (in {p}.a) and 'score k 2' (in {p}.b) have the same slug 'score-k-2'"),
    ({"a": "build = lambda: [derivation('x y'), derivation('x-y')]"},
     "derivations 'x y' (in {p}.a) and 'x-y' (in {p}.a) have the same slug 'x-y'"),
    ({"a": "build = lambda: derivation('***')"},
     "derivation '***' in {p}.a has no letters or digits to name its files"),
], ids=["name, two modules", "name, one module", "slug, two modules", "slug, one module",
        "empty slug"])
def test_derivations_whose_names_or_slugs_clash_are_refused(make_package, capsys, modules, clash):
    package = make_package({m: DOUBLE + source + "\n" for m, source in modules.items()})
    commands = [["list"], ["verify"], ["build"]]
    if "b" not in modules:  # `verify a` and `latex a` build module a alone: they see its clashes
        commands += [["verify", "a"], ["latex", "a"]]
    for command in commands:
        assert main([*command, "--package", package]) == 2
        assert one_error_line(capsys) == "pgsym: error: " + clash.format(p=package)


@pytest.mark.parametrize("source, message", [
    ("def build():\n    return 42\n", "{m}.build() returned int, not a Derivation"),
    ("def build():\n    return [derivation('d'), 'text']\n", "{m}.build() returned str, not a Derivation"),
    ("def build():\n    return {1: 2}[3]\n", "{m}.build() failed: KeyError: 3"),
    ("def build():\n    return derivation('  ')\n",
     "{m}.build() failed: a derivation needs a non-empty name, got '  '"),
    ("build = 3\n", "{m}.build() failed: TypeError: 'int' object is not callable"),
    ("def make():\n    return derivation('d')\n", "module {m} defines no build() function"),
], ids=["not a derivation", "list with a non-derivation", "raises", "raises DerivationError",
        "not callable", "no build"])
def test_a_module_whose_build_goes_wrong_is_named_with_the_cause(make_package, capsys, source, message):
    package = make_package({"mod": DOUBLE + source})
    for command in (["list"], ["verify"], ["verify", "mod"]):
        assert main([*command, "--package", package]) == 2
        assert one_error_line(capsys) == "pgsym: error: " + message.format(m=f"{package}.mod")


def test_a_module_is_not_a_package(capsys):
    assert main(["list", "--package", "derivations.log_derivative_trick"]) == 2
    assert one_error_line(capsys) == ("pgsym: error: derivations.log_derivative_trick is a module, "
                                      "not a package of modules that build derivations")


def test_an_unknown_module_like_name_is_a_clear_error(capsys):
    assert main(["verify", "no_such_name"]) == 2
    assert one_error_line(capsys).startswith(
        "pgsym: error: no derivation is called 'no_such_name'; known: ")
    assert main(["latex", "no_such_name"]) == 2
    assert "no derivation is called 'no_such_name'" in one_error_line(capsys)


def test_a_namespace_package_writes_its_document_into_its_folder(make_package, tmp_path, capsys):
    package = make_package({"double": DOUBLE + "build = lambda: derivation('d')\n"}, init=False)
    assert main(["build", "--no-figures", "--package", package]) == 0
    assert (tmp_path / package / "generated").is_dir()


def test_a_derivation_whose_check_raises_is_reported_not_a_traceback(make_package, capsys):
    package = make_package({"raising": '''
        import sympy as sp
        from pgsym import Derivation

        class Explodes(sp.Function):
            """Evaluating it exits the interpreter, as a bug in a user's SymPy class might:
            the check's process ends, the command goes on."""
            def _eval_evalf(self, precision):
                raise SystemExit("boom")

        x = sp.Symbol("x", positive=True)

        def build():
            return Derivation("explodes", start=Explodes(x)).step(Explodes(2 * x), rule="algebra")
        '''})
    assert main(["verify", "--package", package]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert "derivation 'explodes', step 1 (algebra): unknown: " in captured.out
    assert "SystemExit: boom" in captured.out
    assert "0 of 1 derivations verified" in captured.out


# -- what a package declares: KERNELS and FIGURES -------------------------------------------

GAUSSIAN = """
import sympy as sp
from pgsym import Derivation

x, mu = sp.symbols("x mu", real=True)
sigma = sp.Symbol("sigma", positive=True)

def build():
    d = Derivation("Gaussian score in the mean", start=sp.Derivative(-(x - mu)**2 / (2 * sigma**2), mu))
    return d.step((x - mu) / sigma**2, rule="algebra")
"""

WRONG = """
import sympy as sp
from pgsym import Derivation

y = sp.Symbol("y", positive=True)

def build():
    return Derivation("bad", start=sp.log(y * y)).step(sp.log(y), rule="algebra")
"""

DECLARES_KERNELS = """
from pgsym.codegen import Kernel, KernelModule
from {package} import gaussian

KERNELS = KernelModule(file="_kernels.py", kernels=(
    Kernel("mean_score", derivations=("Gaussian score in the mean",),
           arguments={"x": gaussian.x, "mu": gaussian.mu, "sigma": gaussian.sigma}),
))
"""


def _load(path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"generated_{uuid.uuid4().hex}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_build_writes_the_kernels_a_package_declares_beside_it(make_package, tmp_path, capsys):
    package = make_package({"gaussian": GAUSSIAN}, init=DECLARES_KERNELS)
    assert main(["build", "--no-figures", "--package", package]) == 0
    out = capsys.readouterr().out
    kernels = tmp_path / package / "_kernels.py"
    assert f"1 kernel written to {kernels}" in out
    assert (tmp_path / package / "generated" / "notes.tex").exists()
    module = _load(kernels)
    assert module.mean_score([1.0, 3.0], [0.0, 1.0], [1.0, 2.0]).tolist() == [1.0, 0.5]
    assert "'Gaussian score in the mean', verified: every step proved" in module.mean_score.__doc__
    assert main(["build", "--no-figures", "--package", package]) == 0
    assert f"1 kernel up to date in {kernels}" in capsys.readouterr().out


def _forget(package: str) -> None:
    """Forgets the modules of ``package`` imported in this process."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


def test_figures_drawn_with_the_kernels_are_drawn_after_the_kernels_this_build_writes(
        make_package, tmp_path, capsys):
    """Hostile review 59: the figures were drawn before the kernels were written, so a figure
    evaluating the package's kernels showed those of the build before; review 60: on the
    first build, with no kernels yet, such a figure ended the build."""
    package = make_package({"gaussian": GAUSSIAN}, init=DECLARES_KERNELS + """
from pgsym.document import Figure
from pgsym.publish import Drawing


def draw(path):
    import importlib, sys
    sys.modules.pop("{package}._kernels", None)
    kernels = importlib.import_module("{package}._kernels")
    path.write_bytes(repr(kernels.mean_score([3.0], [1.0], [2.0]).tolist()).encode())


FIGURES = (Drawing(Figure("score.png", "The score at one point.", "Derivations"), draw),)
""")
    figure = tmp_path / package / "generated" / "score.png"
    assert main(["build", "--package", package]) == 0  # (no kernels yet: drawn after them)
    assert figure.read_bytes() == b"[0.5]" and "again" not in capsys.readouterr().err
    written = tmp_path / package / "_kernels.py"
    written.write_text(written.read_text().replace("def mean_score(", "def _was(") +
                       "\ndef mean_score(*arguments):\n    import numpy\n"
                       "    return numpy.array([7.0])\n")
    _forget(package)  # (as a new process would; drawn here, the figure imported them)
    assert main(["build", "--package", package]) == 0  # (the kernels this build rewrites)
    from pgsym.publish import draws_aside  # (else, with torch imported, drawn once, after)

    again = "drawing the figures again: the kernels changed" in capsys.readouterr().err
    assert again == draws_aside() and figure.read_bytes() == b"[0.5]"
    assert main(["build", "--package", package]) == 0  # (unchanged: drawn once)
    assert "again" not in capsys.readouterr().err


def test_figures_that_would_draw_with_kernels_imported_before_they_changed_are_an_error(
        make_package, tmp_path, capsys):
    """Hostile reviews 60 and 61: a package importing its kernels module had its figures
    drawn again with the module as it was before the build rewrote it, and published."""
    package = make_package({"gaussian": GAUSSIAN}, init=DECLARES_KERNELS + """
from pgsym.document import Figure
from pgsym.publish import Drawing

try:
    from {package} import _kernels
except ImportError:
    _kernels = None


def draw(path):
    path.write_bytes(b"drawn")


FIGURES = (Drawing(Figure("score.png", "The score.", "Derivations"), draw),)
""")
    assert main(["build", "--package", package]) == 0
    written = tmp_path / package / "_kernels.py"
    written.write_text(written.read_text() + "\n# edited\n")
    capsys.readouterr()
    _forget(package)  # (as a new process would: the package imports the kernels first)
    assert main(["build", "--package", package]) == 1
    error = capsys.readouterr().err
    assert f"pgsym: error: the figures may show the kernels before this build: " \
           f"{package}._kernels was imported before they changed" in error
    assert "# edited" not in written.read_text()  # (the kernels are written all the same)


def test_build_writes_kernels_and_document_where_it_is_told(make_package, tmp_path, capsys):
    package = make_package({"gaussian": GAUSSIAN}, init=DECLARES_KERNELS)
    out, kernels = tmp_path / "elsewhere", tmp_path / "mine.py"
    assert main(["build", "--no-figures", "--package", package, "--out", str(out),
                 "--kernels", str(kernels)]) == 0
    assert (out / "notes.md").exists() and kernels.exists()
    assert not (tmp_path / package / "generated").exists()
    assert not (tmp_path / package / "_kernels.py").exists()


def test_a_renamed_derivation_leaves_no_fragment_of_its_old_name(make_package, tmp_path, capsys):
    """New user 28: after a derivation was renamed, its old fragment stayed in the output
    folder, still showing its last verified text, for a paper that inputs it by name. The
    fragments pgsym wrote are removed; a file of the user's is left alone."""
    package = make_package({"gaussian": GAUSSIAN})
    out = tmp_path / "out"
    assert main(["build", "--no-figures", "--package", package, "--out", str(out)]) == 0
    old = out / "gaussian-score-in-the-mean.tex"
    mine = out / "preamble.tex"
    assert old.exists()
    mine.write_text("% mine\n\\usepackage{amsmath}\n")
    module = tmp_path / package / "gaussian.py"
    module.write_text(module.read_text().replace("Gaussian score in the mean", "Mean score"))
    for name in [n for n in sys.modules if n.startswith(package)]:  # (as a new process would)
        del sys.modules[name]
    capsys.readouterr()
    assert main(["build", "--no-figures", "--package", package, "--out", str(out)]) == 0
    assert not old.exists() and (out / "mean-score.tex").exists() and mine.exists()
    assert "removing gaussian-score-in-the-mean.tex" in capsys.readouterr().err


def test_an_installed_package_is_built_into_the_current_directory(make_package, tmp_path,
                                                                   monkeypatch, capsys):
    package = make_package({"gaussian": GAUSSIAN}, init=DECLARES_KERNELS)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setattr(catalog, "is_installed", lambda path: str(path).startswith(str(tmp_path / package)))
    assert main(["build", "--no-figures", "--package", package]) == 0
    assert (work / "generated" / "notes.tex").exists() and (work / "_kernels.py").exists()
    assert sorted(p.name for p in (tmp_path / package).iterdir() if p.name != "__pycache__") == [
        "__init__.py", "gaussian.py"]


def test_a_package_that_declares_nothing_gets_no_figure_and_no_kernels(make_package, tmp_path, capsys):
    package = make_package({"gaussian": GAUSSIAN})
    out = tmp_path / "out"
    assert main(["build", "--package", package, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert not list(out.glob("*.png"))
    assert "kernel" not in captured.out + captured.err
    assert "gradient" not in captured.out + captured.err
    assert "figure" not in captured.out + captured.err
    assert main(["build", "--package", package, "--out", str(out),
                 "--kernels", str(tmp_path / "k.py")]) == 2
    assert one_error_line(capsys) == (f"pgsym: error: package {package} declares no KERNELS, so "
                                      f"there are no kernels to write to {tmp_path / 'k.py'}")


def test_kernels_are_not_written_from_a_derivation_that_does_not_verify(make_package, tmp_path, capsys):
    package = make_package({"gaussian": GAUSSIAN, "wrong": WRONG}, init="""
        from pgsym.codegen import Kernel, KernelModule
        from {package} import wrong

        KERNELS = KernelModule(file="_kernels.py", kernels=(
            Kernel("bad", derivations=("bad",), arguments={"y": wrong.y}),))
        """)
    kernels = tmp_path / "k.py"
    assert main(["build", "--no-figures", "--package", package, "--out", str(tmp_path / "out"),
                 "--kernels", str(kernels)]) == 1
    captured = capsys.readouterr()
    assert (f"pgsym: not writing the kernels to {kernels}: kernel bad: derivation 'bad', step 1 "
            f"(algebra): refuted") in captured.err
    assert not kernels.exists()
    assert (tmp_path / "out" / "notes.tex").exists()  # the document shows what failed


@pytest.mark.parametrize("init, message", [
    ("""
     from pgsym.codegen import Kernel, KernelModule
     KERNELS = KernelModule(file="_k.py", kernels=(
         Kernel("f", derivations=("Gaussian score, misspelt",), arguments={}),))
     """, "{p}.KERNELS, kernel f: no derivation is called 'Gaussian score, misspelt' in {p}; "
          "known: 'Gaussian score in the mean'"),
    ("KERNELS = ('mean_score',)\n",
     "{p}.KERNELS must be a pgsym.codegen.KernelModule, got tuple"),
    ("""
     from pgsym.codegen import Kernel, KernelModule
     from {package} import gaussian
     KERNELS = KernelModule(file="_k.py", kernels=(
         Kernel("f", derivations=("Gaussian score in the mean",), arguments={"x": gaussian.x}),))
     """, "{p}.KERNELS, kernel f: no argument stands for mu, sigma (arguments: x)"),
    ("""
     from pgsym.codegen import KernelModule
     KERNELS = KernelModule(file="kernels.py", kernels=())
     """, "cannot import {p}: BuildError: KERNELS.file 'kernels.py' would lie among the "
          "package's modules"),
], ids=["unknown derivation", "not a KernelModule", "unbound symbol", "file among modules"])
def test_a_wrong_kernels_declaration_is_one_error_line_before_anything_is_verified(
        make_package, tmp_path, capsys, init, message):
    package = make_package({"gaussian": GAUSSIAN}, init=init)
    out = tmp_path / "out"
    assert main(["build", "--no-figures", "--package", package, "--out", str(out)]) == 2
    error = one_error_line(capsys)
    assert error.startswith("pgsym: error: " + message.format(p=package)), error
    assert not out.exists()


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18"
       b"\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


def test_the_figures_a_package_declares_are_drawn_into_its_document(make_package, tmp_path, capsys):
    package = make_package({"gaussian": GAUSSIAN}, init=f"""
        from pgsym.document import Figure
        from pgsym.publish import Drawing

        def draw(path):
            path.write_bytes({PNG!r})

        FIGURES = (Drawing(Figure("dot.png", "A dot.", "Derivations"), draw),)
        """)
    out = tmp_path / "out"
    assert main(["build", "--package", package, "--out", str(out)]) == 0
    assert (out / "dot.png").read_bytes() == PNG
    assert not (out / "convergence.png").exists()
    assert "data:image/png;base64," in (out / "notes.html").read_text()
    assert main(["build", "--no-figures", "--package", package, "--out", str(tmp_path / "bare")]) == 0
    assert not (tmp_path / "bare" / "dot.png").exists()


def test_a_notation_that_does_not_fit_is_a_clear_error_of_the_build(make_package, tmp_path, capsys):
    """New user 13: a break_after beyond a step's terms came out of pgsym build as a
    traceback, exit status 1."""
    source = DOUBLE.replace('start=sp.Add', 'notation={"break_after": {1: 1}}, start=sp.Add')
    package = make_package({"broken": source + "build = lambda: derivation('d')\n"})
    out = tmp_path / "out"
    assert main(["build", "--no-figures", "--package", package, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert captured.err.strip().splitlines()[-1].startswith("pgsym: error: derivation 'd': Notation")


def test_a_derivation_whose_fragment_would_be_the_document_is_a_clear_error(make_package, tmp_path,
                                                                            capsys):
    """Hostile review 42: a derivation named 'Notes' wrote notes.tex, which the document then
    overwrote."""
    package = make_package({"named": DOUBLE + "build = lambda: derivation('Notes')\n"})
    assert main(["build", "--no-figures", "--package", package, "--out", str(tmp_path / "out")]) == 2
    assert "notes.tex" in capsys.readouterr().err


def test_a_build_with_a_refuted_step_says_why_it_exits_with_1(wrong_package, tmp_path, capsys):
    assert main(["build", "--package", wrong_package, "--out", str(tmp_path / "out"),
                 "--no-cache"]) == 1
    captured = capsys.readouterr()
    assert "document of 1 derivation" in captured.out
    assert captured.err.endswith("pgsym: exit status 1: 1 of 1 steps did not pass (above)\n")


def test_a_module_pgsym_needs_that_is_not_installed_is_a_clear_error(monkeypatch, capsys):
    # (new user 32 ran pgsym build outside its venv: a raw traceback, No module named
    # 'latex2mathml')
    from pgsym import cli

    def missing(arguments):
        raise ModuleNotFoundError("No module named 'latex2mathml'", name="latex2mathml")

    monkeypatch.setitem(cli._COMMANDS, "build", missing)
    assert main(["build"]) == 2
    error = capsys.readouterr().err
    assert "the module 'latex2mathml' is not installed in this Python" in error
    assert "Traceback" not in error


LONG = """
import sympy as sp
from pgsym import Derivation

x = sp.Symbol("x", positive=True)
terms = [sp.Symbol(f"alpha_{i}", positive=True) * x**i for i in range(1, 9)]

def build():
    start = sp.Mul(x, sp.Add(*[t / x for t in terms]), evaluate=False)
    return Derivation("long", start=start).step(sp.Add(*terms), rule="distributivity")
"""


def test_fragments_are_broken_for_the_width_the_package_asks(make_package, tmp_path, capsys):
    # (new user 32: a fragment \input into LaTeX's article, 12.2 cm, was 1.2 cm too wide)
    from pgsym.printing.latex import width

    def widest(folder) -> float:
        # (the right sides' rows: a start too wide stands on a line of its own, unbroken)
        rows = (folder / "long.tex").read_text().split("\\begin{align*}")[1] \
            .split("\\end{align*}")[0].split("\\\\")
        return max(width(row.split("\\tag")[0].split("&", 1)[1])
                   for row in rows if "\\lefteqn" not in row)

    wide = make_package({"long": LONG})
    assert main(["build", "--package", wide, "--out", str(tmp_path / "wide")]) == 0
    narrow = make_package({"long": LONG}, init="FRAGMENT_WIDTH_CM = 8\n")
    assert main(["build", "--package", narrow, "--out", str(tmp_path / "narrow")]) == 0
    assert widest(tmp_path / "narrow") <= 38 * 8 / 17 < widest(tmp_path / "wide")
    # (the notes themselves keep their 17 cm)
    assert (tmp_path / "narrow" / "notes.tex").read_text().count("&\\qquad") == \
        (tmp_path / "wide" / "notes.tex").read_text().count("&\\qquad")
    capsys.readouterr()
    bad = make_package({"long": LONG}, init="FRAGMENT_WIDTH_CM = '12cm'\n")
    assert main(["build", "--package", bad, "--out", str(tmp_path / "bad")]) == 2
    error = capsys.readouterr().err
    assert "FRAGMENT_WIDTH_CM must be the text width of your paper in cm" in error
    assert "Traceback" not in error
