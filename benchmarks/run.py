"""Benchmarks, run with one command from the repository root:
``python -m benchmarks.run [--repeat N] [--only verify|gradients] [--sizes N ...]``.

verify: each timing is the median of N cold starts (a fresh interpreter each time),
printed next to a baseline measured in the same run on the same machine: starting Python
and importing SymPy, which every pgsym command must pay. Each is measured twice: on the
idle machine, and with every core kept busy by a spinning process; the verdicts (the
summary line of ``pgsym verify``) must be the same in both.

gradients: every function of pgsym.gradients against its memory floor (bytes it must move
over the bandwidth of a plain copy), hand-written NumPy, PyTorch autograd and jax.jit, all
measured in the same run (see benchmarks/gradients.py).
"""
from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

_CACHE = tempfile.mkdtemp(prefix="pgsym-benchmark-cache-")

_OUT = tempfile.mkdtemp(prefix="pgsym-benchmark-build-")

#: (what, arguments to `pgsym`, target in seconds from a cold start); the verdict cache is a
#: folder of the benchmark's own, filled by the first run of each command; the build writes
#: into a folder of its own too (documents, figure, the notes' kernels)
CASES = [
    ("pgsym verify, section 3, from scratch",
     ["verify", "--no-cache", "log_derivative_trick", "score_function_identity"], 5.0),
    ("pgsym verify, all, from scratch", ["verify", "--no-cache"], 10.0),
    ("pgsym verify, all, nothing changed", ["verify"], 3.0),
    ("pgsym build, nothing changed",
     ["build", "--out", _OUT, "--kernels", os.path.join(_OUT, "kernels.py")], 3.0),
]


def cold_start(command: list[str], repeat: int) -> tuple[float, str]:
    """Median wall time of ``command`` over ``repeat`` fresh processes, and the last line it
    printed (every run must succeed and print the same last line)."""
    times, last_lines = [], set()
    environment = {**os.environ, "PGSYM_CACHE_DIR": _CACHE}
    if "--no-cache" not in command:  # a first run fills the cache
        subprocess.run(command, check=True, capture_output=True, env=environment)
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, check=True, capture_output=True, text=True,
                              env=environment)
        times.append(time.perf_counter() - started)
        last_lines.add((done.stdout.strip().splitlines() or [""])[-1])
    if len(last_lines) != 1:
        raise SystemExit(f"{' '.join(command)} printed different verdicts: {last_lines}")
    return statistics.median(times), last_lines.pop()


@contextlib.contextmanager
def every_core_busy():
    """One process spinning on each core while the block runs."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(os.cpu_count() or 1)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def compile_bytecode() -> None:
    """Writes the bytecode of pgsym and of the derivations, as Python does on a module's
    first import and reads on every later one: a command run a second time finds it. A
    machine that sets PYTHONDONTWRITEBYTECODE (ours does) never writes it, and every cold
    start there compiles pgsym's 20,000 lines anew (0.3 s); SymPy's is written by pip."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run([sys.executable, "-m", "compileall", "-q", os.path.join(root, "pgsym"),
                    os.path.join(root, "derivations")], check=True)


def verify_benchmark(repeat: int) -> None:
    compile_bytecode()
    commands = [("python -c 'import sympy' (baseline)", [sys.executable, "-c", "import sympy"], None)]
    commands += [(what, [sys.executable, "-m", "pgsym", *arguments], target)
                 for what, arguments, target in CASES]
    idle = [cold_start(command, repeat) for _, command, _ in commands]
    with every_core_busy():
        busy = [cold_start(command, repeat) for _, command, _ in commands]
    baseline = idle[0][0]
    print(f"median of {repeat} cold starts, idle and with all {os.cpu_count()} cores busy")
    print(f"{'what':42} {'idle':>8} {'x base':>7} {'busy':>8} {'busy/idle':>10}  target (idle)")
    for (what, _, target), (quiet, verdicts), (loaded, loaded_verdicts) in zip(commands, idle, busy):
        if verdicts != loaded_verdicts:
            raise SystemExit(f"{what}: the verdicts changed with load: {verdicts!r} idle, "
                             f"{loaded_verdicts!r} busy")
        met = "" if target is None else f"< {target:g} s: {'met' if quiet < target else 'MISSED'}"
        print(f"{what:42} {quiet:7.2f}s {quiet / baseline:6.1f}x {loaded:7.2f}s "
              f"{loaded / quiet:9.2f}x  {met}")
    print("verdicts idle and busy: the same")


def gradients_benchmark(repeat: int, sizes: tuple[int, ...]) -> None:
    from benchmarks import gradients

    print(f"gradient functions, d = {gradients.D}, A = {gradients.A}, S = {gradients.S}, "
          f"k = {gradients.K}, float64, median of {repeat} interleaved rounds")
    print(gradients.describe_floor())
    print(gradients.kernels())
    print(gradients.table(gradients.run(repeat, sizes)))
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=("verify", "gradients"))
    parser.add_argument("--sizes", type=int, nargs="+", help="sample counts N of the gradient "
                        "benchmark (default: 1e3 1e4 1e5 1e6)")
    arguments = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"{platform.python_implementation()} {platform.python_version()}")
    if arguments.only in (None, "verify"):
        verify_benchmark(arguments.repeat)
    if arguments.only in (None, "gradients"):
        from benchmarks.gradients import SIZES
        gradients_benchmark(arguments.repeat, tuple(arguments.sizes or SIZES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
