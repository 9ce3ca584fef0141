"""Figures (matplotlib, the optional extra ``pgsym[plots]``)."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402


def convergence_plot(curves: dict, path: Path) -> None:
    """Saves the error of REINFORCE against the exact gradient as the sample grows, with and
    without a baseline, beside the exact standard errors (``pgsym.checks.convergence``)."""
    figure, axes = plt.subplots(figsize=(6, 4))
    n = curves["samples"]
    axes.loglog(n, curves["without"], "o-", color="C0", label="no baseline")
    axes.loglog(n, curves["exact_without"], "--", color="C0", label="expected error (exact), no baseline")
    axes.loglog(n, curves["with"], "s-", color="C1", label="baseline $b = E[r]$")
    axes.loglog(n, curves["exact_with"], "--", color="C1", label="expected error (exact), baseline")
    axes.set_xlabel("samples $N$")
    axes.set_ylabel(r"$\| \hat g_N - \nabla_\theta J \|$")
    axes.set_title("Score-function estimator converging to the exact gradient")
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, metadata={"Software": None, "CreationDate": None} if str(path).endswith(".pdf")
                   else {"Software": None})
    plt.close(figure)
