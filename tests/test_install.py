"""pgsym installed from its wheel (not editable): the wheel holds no top-level ``derivations``
package, and ``pgsym build`` writes into the current directory or ``--out``, never into the
installation (a fresh virtual environment, its files compared before and after)."""
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import latex2mathml
import numpy
import pytest
import sympy

ROOT = Path(__file__).resolve().parent.parent

TINY_INIT = """
from pgsym.codegen import Kernel, KernelModule
from tinynotes import gaussian

KERNELS = KernelModule(file="_kernels.py", kernels=(
    Kernel("mean_score", derivations=("Gaussian score in the mean",),
           arguments={"x": gaussian.x, "mu": gaussian.mu, "sigma": gaussian.sigma}),
))
"""

TINY_GAUSSIAN = """
import sympy as sp
from pgsym import Derivation

x, mu = sp.symbols("x mu", real=True)
sigma = sp.Symbol("sigma", positive=True)

def build():
    d = Derivation("Gaussian score in the mean", start=sp.Derivative(-(x - mu)**2 / (2 * sigma**2), mu))
    return d.step((x - mu) / sigma**2, rule="algebra")
"""


def _run(command, **options) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, **options)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment with pgsym installed from a wheel built from this
    checkout, and a small package of derivations, ``tinynotes``, installed beside it."""
    root = tmp_path_factory.mktemp("install")
    source = root / "source"  # a copy: building in the checkout would leave build/ there
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for folder in ("pgsym", "derivations"):
        shutil.copytree(ROOT / folder, source / folder, ignore=ignore)
    built = _run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "-q",
                  "-w", str(root / "dist")])
    assert built.returncode == 0, built.stderr
    wheel, = (root / "dist").glob("pgsym-*.whl")
    venv = root / "venv"
    made = _run([sys.executable, "-m", "venv", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                .stdout.strip())
    # pgsym's dependencies, from the environment running the tests (no download); the
    # folders are appended to sys.path, and their .pth files (an editable pgsym) are not run
    folders = dict.fromkeys(str(Path(m.__file__).resolve().parent.parent)
                            for m in (sympy, numpy, latex2mathml))
    (site / "test_dependencies.pth").write_text("\n".join(folders) + "\n")
    installing = _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)])
    assert installing.returncode == 0, installing.stderr
    tiny = site / "tinynotes"
    tiny.mkdir()
    (tiny / "__init__.py").write_text(textwrap.dedent(TINY_INIT))
    (tiny / "gaussian.py").write_text(textwrap.dedent(TINY_GAUSSIAN))
    return {"root": root, "wheel": wheel, "venv": venv, "python": python, "site": site}


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


def _environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    environment["PYTHONDONTWRITEBYTECODE"] = "1"  # so that importing writes nothing either
    return environment


def test_the_wheel_holds_pgsym_alone_and_its_kernels(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    assert {n.split("/")[0] for n in names if ".dist-info/" not in n} == {"pgsym"}
    assert not any(n.startswith("derivations") for n in names)
    assert "pgsym/gradients/_kernels.py" in names
    top_level = next(n for n in names if n.endswith("top_level.txt"))
    assert zipfile.ZipFile(installed["wheel"]).read(top_level).decode().split() == ["pgsym"]


def test_an_installed_pgsym_builds_into_the_current_directory_or_out_and_never_into_itself(installed):
    python, venv, root = installed["python"], installed["venv"], installed["root"]
    pgsym = str(venv / "bin" / "pgsym")
    where = _run([str(python), "-c", "import pgsym; print(pgsym.__file__)"], cwd=root, env=_environment())
    assert where.stdout.startswith(str(installed["site"] / "pgsym")), where.stdout + where.stderr
    before = _files(venv)

    work = root / "work"
    work.mkdir()
    built = _run([pgsym, "build", "--package", "tinynotes"], cwd=work, env=_environment())
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"document of 1 derivation in {work / 'generated'}" in built.stdout
    assert f"1 kernel written to {work / '_kernels.py'}" in built.stdout
    assert sorted(p.name for p in work.iterdir()) == ["_kernels.py", "generated"]
    assert {p.name for p in (work / "generated").iterdir()} == {
        "notes.tex", "notes.md", "notes.html", "gaussian-score-in-the-mean.tex"}
    spec = importlib.util.spec_from_file_location("installed_kernels", work / "_kernels.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.mean_score([1.0, 3.0], [0.0, 1.0], [1.0, 2.0]).tolist() == [1.0, 0.5]

    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    told = _run([pgsym, "build", "--package", "tinynotes", "--out", "out", "--kernels", "k.py"],
                cwd=elsewhere, env=_environment())
    assert told.returncode == 0, told.stdout + told.stderr
    assert sorted(p.name for p in elsewhere.iterdir()) == ["k.py", "out"]
    assert (elsewhere / "out" / "notes.tex").exists()

    empty = root / "empty"
    empty.mkdir()
    notes = _run([pgsym, "build"], cwd=empty, env=_environment())
    assert notes.returncode == 2
    assert notes.stderr.startswith("pgsym: error: cannot import derivations: ModuleNotFoundError")
    assert "not installed with pgsym: run pgsym in a checkout of pgsym" in notes.stderr
    assert not list(empty.iterdir())

    assert _files(venv) == before  # nothing written, nothing changed inside the installation
