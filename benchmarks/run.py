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

TARGET_SECONDS = 5.0


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
    verify_all = cold_start([sys.executable, "-m", "pgsym", "verify"], repeat)
    print(f"machine: {platform.machine()}, {platform.python_implementation()} "
          f"{platform.python_version()}, median of {repeat} cold starts")
    rows = [("python -c 'import sympy' (baseline)", baseline),
            ("pgsym verify (all derivations)", verify_all)]
    print(f"{'what':40} {'median':>9} {'x baseline':>11}")
    for what, seconds in rows:
        print(f"{what:40} {seconds:8.2f}s {seconds / baseline:10.2f}x")
    verdict = "meets" if verify_all < TARGET_SECONDS else "MISSES"
    print(f"pgsym verify {verdict} the {TARGET_SECONDS:g} s cold-start target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
