import subprocess
import sys
import textwrap

import pytest

from pgsym import catalog
from pgsym.cli import main



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


def test_build_refuses_to_generate_kernels_from_a_failing_derivation(wrong_package, tmp_path, capsys):
    kernels = tmp_path / "kernels.py"
    assert main(["build", "--package", wrong_package, "--out", str(tmp_path),
                 "--kernels", str(kernels)]) == 1
    assert "not regenerating the gradient library" in capsys.readouterr().err
    assert not kernels.exists()


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
    out = capsys.readouterr().out
    assert "REFUTED" in out
    assert "derivation 'bad', step 1 (algebra): refuted at x = " in out


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
