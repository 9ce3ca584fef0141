"""Verdicts do not depend on load: the whole catalogue, built while every core is busy with
other work, gives the same verdicts and the same files as the committed (idle) build."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgsym import catalog
from pgsym.cli import main

COMMITTED = catalog.package_directory() / "generated"

pytestmark = pytest.mark.xdist_group("build")  # beside the other whole builds, not in parallel


@pytest.fixture
def every_core_busy():
    """One process spinning on each core for as long as the test runs."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(os.cpu_count() or 2)]
    try:
        yield len(burners)
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def test_a_build_on_a_busy_machine_gives_the_same_verdicts_and_files(tmp_path, every_core_busy,
                                                                      capsys):
    # from scratch: verdicts the cache kept from an idle run would say nothing about load
    assert main(["build", "--no-cache", "--out", str(tmp_path),
                 "--kernels", str(tmp_path / "kernels.py")]) == 0
    table = capsys.readouterr().out
    assert "derivations verified" in table
    # the figure's bytes depend on the matplotlib version, so the text files are compared
    written = sorted(p.name for p in tmp_path.iterdir() if p.suffix in (".tex", ".md"))
    committed = sorted(p.name for p in COMMITTED.iterdir() if p.suffix in (".tex", ".md"))
    assert written == committed
    for name in written:
        assert (tmp_path / name).read_bytes() == (COMMITTED / name).read_bytes(), name


def test_the_committed_document_says_every_step_is_proved():
    # the busy build above is compared with these files: they must be the idle verdicts
    notes = (COMMITTED / "notes.md").read_text()
    summary = next(line for line in notes.splitlines() if "derivations verified" in line)
    derivations, steps = summary.split(";")
    total = derivations.split(" of ")[1].split()[0]
    assert derivations.strip("* ").startswith(f"{total} of {total}"), summary
    assert "unknown" not in steps and "refuted" not in steps and "numerically" not in steps
