"""Benchmarks, run with one command: ``python benchmarks/run.py [--repeat N]``.

Each timing is the median of N cold starts (a fresh interpreter each time), printed next
to a baseline measured in the same run on the same machine: starting Python and importing
SymPy, which every pgsym command must pay.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time

#: (what, arguments to `pgsym verify`, target in seconds from a cold start)
CASES = [
    ("pgsym verify, section 3 derivations", ["log-derivative-trick", "policy-score-identity"], 5.0),
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat

    baseline = cold_start([sys.executable, "-c", "import sympy"], repeat)
    rows = [("python -c 'import sympy' (baseline)", baseline, None)]
    for what, names, target in CASES:
        rows.append((what, cold_start([sys.executable, "-m", "pgsym", "verify", *names], repeat), target))
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, median of {repeat} cold starts")
    print(f"{'what':40} {'median':>9} {'x baseline':>11}  target")
    for what, seconds, target in rows:
        verdict = "" if target is None else f"< {target:g} s: {'met' if seconds < target else 'MISSED'}"
        print(f"{what:40} {seconds:8.2f}s {seconds / baseline:10.2f}x  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
