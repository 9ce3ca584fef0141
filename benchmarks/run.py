"""Benchmarks, run with one command from the repository root:
``python -m benchmarks.run [--repeat N] [--only verify|gradients]``.

verify: each timing is the median of N cold starts (a fresh interpreter each time),
printed next to a baseline measured in the same run on the same machine: starting Python
and importing SymPy, which every pgsym command must pay.

gradients: the compiled gradient functions against hand-written NumPy and PyTorch
autograd, medians and ratios measured in the same run (see benchmarks/gradients.py).
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

#: (what, arguments to `pgsym verify`, target in seconds from a cold start)
CASES = [
    ("pgsym verify, section 3 derivations", ["log_derivative_trick", "score_function_identity"], 5.0),
    ("pgsym verify, all derivations", [], 30.0),
]


def cold_start(command: list[str], repeat: int) -> float:
    """Median wall time of ``command`` over ``repeat`` fresh processes (it must succeed)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def verify_benchmark(repeat: int) -> None:
    baseline = cold_start([sys.executable, "-c", "import sympy"], repeat)
    rows = [("python -c 'import sympy' (baseline)", baseline, None)]
    for what, names, target in CASES:
        rows.append((what, cold_start([sys.executable, "-m", "pgsym", "verify", *names], repeat), target))
    print(f"median of {repeat} cold starts")
    print(f"{'what':40} {'median':>9} {'x baseline':>11}  target")
    for what, seconds, target in rows:
        verdict = "" if target is None else f"< {target:g} s: {'met' if seconds < target else 'MISSED'}"
        print(f"{what:40} {seconds:8.2f}s {seconds / baseline:10.2f}x  {verdict}")


def gradients_benchmark(repeat: int) -> None:
    from benchmarks import gradients

    print(f"gradient functions, median of {repeat} rounds; ratio = pgsym / hand-written NumPy")
    print(gradients.table(gradients.run(repeat)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=("verify", "gradients"))
    arguments = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}")
    if arguments.only in (None, "verify"):
        verify_benchmark(arguments.repeat)
    if arguments.only in (None, "gradients"):
        gradients_benchmark(arguments.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
