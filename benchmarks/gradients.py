"""Every function of pgsym.gradients against its memory floor, hand-written NumPy, PyTorch
autograd and jax.jit, all measured in the same run.

For N in {1e3, 1e4, 1e5, 1e6}, d = 8 features, A = 4 actions, S = 8 states (tabular), k = 2
action dimensions (Gaussian), float64:

- pgsym: the median time of one call (a fresh result array each call, so the first-touch
  page faults of a new output are part of it), and, for the scores, of a call with ``out=``
  a preallocated array (the cost of the arithmetic and of writing the result once). Where
  numba is installed pgsym runs its Numba kernels for the functions that have them (compiled
  before timing, by the first call); "NumPy kernels" is the same call with the NumPy kernels
  alone (``pgsym.gradients._numba_kernels = None``), as without numba.
- floor: the bytes the function must move (every input read once, every output written
  once: ``nbytes`` of the arrays) divided by the bandwidth of a plain copy measured in the
  same run: ``np.copyto(dst, src)`` between two preallocated float64 arrays of half that
  many bytes each (so that the copy moves as many bytes as the function must), median time;
  bandwidth = 2 src.nbytes / time. The copy is single-threaded, like NumPy's arithmetic.
- NumPy: ``benchmarks/handwritten.py`` (the textbook formulas, no input checks).
- torch: ``torch.func`` vmap of grad of the same log-probability for per-sample scores, one
  backward pass for the REINFORCE gradient (the estimate only), plain tensor code for the
  log-probabilities; float64, one thread (``torch.set_num_threads(1)``, like NumPy: with two,
  on a machine whose cores other jobs share, a call took anywhere from 0.01 to 23 ms as
  torch's OpenMP threads waited for each other). Optional (``pip install torch==2.13.0``, the
  CPU build); "n/a" without it.
- JAX: ``jax.jit`` of ``jax.vmap(jax.grad(...))`` of the same log-probability (of the plain
  expression for log-probabilities), float64 (``jax_enable_x64``), CPU, compiled before
  timing, ``block_until_ready``. Optional (``pip install jax jaxlib``).

Times are medians of interleaved rounds (one round of every implementation, then the next),
so a noisy moment of a shared machine hits them alike; ratios within one row are the
meaningful numbers.
"""
from __future__ import annotations

import os
import statistics
import timeit
import tracemalloc
from typing import Callable, Optional

import numpy as np

from benchmarks import handwritten
from pgsym import gradients as g

SIZES = (1_000, 10_000, 100_000, 1_000_000)
D, A, S, K = 8, 4, 8, 2
FUNCTIONS = (
    "softmax_log_prob", "softmax_probabilities", "softmax_score", "softmax_reinforce_gradient",
    "tabular_softmax_log_prob", "tabular_softmax_score", "gaussian_log_prob", "gaussian_score",
    "reinforce_gradient",
)
#: the sizes at which the functions must be within this factor of their memory floor
FLOOR_SIZES, FLOOR_FACTOR = (100_000, 1_000_000), 2.0


def median_seconds(calls: list[Callable[[], object]], repeat: int) -> list[float]:
    """Median time per call of each callable, measured in interleaved rounds (so that a
    noisy moment of the machine hits all of them alike); each round lasts >= 0.05 s."""
    timers = [timeit.Timer(call) for call in calls]
    numbers = [max(1, timer.autorange()[0] // 4) for timer in timers]
    rounds: list[list[float]] = [[] for _ in calls]
    for _ in range(repeat):
        for timer, number, times in zip(timers, numbers, rounds):
            times.append(timer.timeit(number) / number)
    return [statistics.median(times) for times in rounds]


def peak_bytes(call: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _nbytes(value) -> int:
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    return np.asarray(value).nbytes


def copy_call(nbytes: int) -> Callable[[], object]:
    """np.copyto between two preallocated float64 arrays that together hold ``nbytes``."""
    src = np.ones(max(1, nbytes // 16))
    dst = np.zeros_like(src)
    return lambda: np.copyto(dst, src)


class Inputs:
    """The inputs of one size, as NumPy arrays (and torch/JAX copies made outside timing)."""

    def __init__(self, n: int):
        rng = np.random.default_rng(n)
        self.n = n
        self.theta, self.features = rng.normal(size=(D, A)), rng.normal(size=(n, D))
        self.actions, self.returns = rng.integers(0, A, size=n), rng.normal(size=n)
        self.table, self.states = rng.normal(size=(S, A)), rng.integers(0, S, size=n)
        self.weights, self.log_std = rng.normal(size=(D, K)), rng.normal(size=K) * 0.1
        self.continuous = self.features @ self.weights + rng.normal(size=(n, K))
        self.scores = g.softmax_score(self.theta, self.features, self.actions)

    def arguments(self, function: str) -> tuple:
        return {
            "softmax_log_prob": (self.theta, self.features, self.actions),
            "softmax_probabilities": (self.theta, self.features),
            "softmax_score": (self.theta, self.features, self.actions),
            "softmax_reinforce_gradient": (self.theta, self.features, self.actions, self.returns),
            "tabular_softmax_log_prob": (self.table, self.states, self.actions),
            "tabular_softmax_score": (self.table, self.states, self.actions),
            "gaussian_log_prob": (self.weights, self.log_std, self.features, self.continuous),
            "gaussian_score": (self.weights, self.log_std, self.features, self.continuous),
            "reinforce_gradient": (self.scores, self.returns),
        }[function]


def kernels() -> str:
    """Which kernels pgsym runs here: Numba's (and its version) or NumPy's alone."""
    compiled = g._numba()
    if compiled is None:
        return "kernels: NumPy alone (numba is not installed)"
    import numba
    return f"kernels: Numba {numba.__version__} where a function has them, else NumPy"


def _numpy_kernels(call: Callable[[], object]) -> Callable[[], object]:
    """``call`` with pgsym's NumPy kernels alone, as where numba is not installed."""
    def run():
        saved, g._numba_kernels = g._numba_kernels, None
        try:
            return call()
        finally:
            g._numba_kernels = saved
    return run


def _out_buffers(function: str, result) -> Optional[object]:
    """Preallocated, already touched arrays for the functions that take ``out=``."""
    if function in ("softmax_score", "tabular_softmax_score"):
        return np.ones_like(result)
    if function == "gaussian_score":
        return tuple(np.ones_like(part) for part in result)
    return None


# -- the other implementations ---------------------------------------------------------------
def _torch_cases(x: Inputs) -> dict[str, Callable[[], object]]:
    try:
        import torch
        from torch.func import grad, vmap
    except ImportError:
        return {}
    torch.set_num_threads(1)
    theta, features = torch.tensor(x.theta), torch.tensor(x.features)
    actions, returns = torch.tensor(x.actions), torch.tensor(x.returns)
    table, states = torch.tensor(x.table), torch.tensor(x.states)
    weights, log_std = torch.tensor(x.weights), torch.tensor(x.log_std)
    continuous, scores = torch.tensor(x.continuous), torch.tensor(x.scores)
    half_log_two_pi = 0.5 * np.log(2 * np.pi)

    def softmax_one(th, phi, a):
        return torch.log_softmax(phi @ th, dim=-1).gather(0, a[None])[0]

    def tabular_one(th, s, a):
        return torch.log_softmax(th.index_select(0, s[None])[0], dim=-1).gather(0, a[None])[0]

    def gaussian_one(w, l, phi, u):
        z = (u - phi @ w) / torch.exp(l)
        return (-0.5 * z**2 - l - half_log_two_pi).sum()

    softmax_scores = vmap(grad(softmax_one), in_dims=(None, 0, 0))
    tabular_scores = vmap(grad(tabular_one), in_dims=(None, 0, 0))
    gaussian_scores = vmap(grad(gaussian_one, argnums=(0, 1)), in_dims=(None, None, 0, 0))

    def reinforce():
        th = theta.clone().requires_grad_(True)
        log_pi = torch.log_softmax(features @ th, dim=-1).gather(1, actions[:, None])[:, 0]
        (log_pi * returns).mean().backward()
        return th.grad

    def reinforce_from_scores():
        terms = scores * returns[:, None, None]
        return terms.mean(dim=0), terms.std(dim=0) / np.sqrt(len(returns))

    def gaussian_log_prob():
        z = (continuous - features @ weights) / torch.exp(log_std)
        return (-0.5 * z**2 - log_std - half_log_two_pi).sum(dim=1)

    return {
        "softmax_log_prob": lambda: torch.log_softmax(features @ theta, dim=1)
        .gather(1, actions[:, None])[:, 0],
        "softmax_probabilities": lambda: torch.softmax(features @ theta, dim=1),
        "softmax_score": lambda: softmax_scores(theta, features, actions),
        "softmax_reinforce_gradient": reinforce,
        "tabular_softmax_log_prob": lambda: torch.log_softmax(table[states], dim=1)
        .gather(1, actions[:, None])[:, 0],
        "tabular_softmax_score": lambda: tabular_scores(table, states, actions),
        "gaussian_log_prob": gaussian_log_prob,
        "gaussian_score": lambda: gaussian_scores(weights, log_std, features, continuous),
        "reinforce_gradient": reinforce_from_scores,
    }


def _jax_cases(x: Inputs) -> dict[str, Callable[[], object]]:
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)
    put = jax.device_put
    theta, features, actions, returns = map(put, (x.theta, x.features, x.actions, x.returns))
    table, states = put(x.table), put(x.states)
    weights, log_std, continuous, scores = map(put, (x.weights, x.log_std, x.continuous, x.scores))
    half_log_two_pi = 0.5 * np.log(2 * np.pi)

    def softmax_one(th, phi, a):
        return jax.nn.log_softmax(phi @ th)[a]

    def tabular_one(th, s, a):
        return jax.nn.log_softmax(th[s])[a]

    def gaussian_one(w, l, phi, u):
        z = (u - phi @ w) / jnp.exp(l)
        return (-0.5 * z**2 - l - half_log_two_pi).sum()

    def reinforce(th, phi, a, r):
        return jax.grad(lambda t: jnp.mean(jax.vmap(softmax_one, (None, 0, 0))(t, phi, a) * r))(th)

    def reinforce_from_scores(sc, r):
        terms = sc * r[:, None, None]
        return terms.mean(axis=0), terms.std(axis=0, ddof=1) / jnp.sqrt(len(r))

    compiled = {
        "softmax_log_prob": (jax.vmap(softmax_one, (None, 0, 0)), (theta, features, actions)),
        "softmax_probabilities": (lambda th, phi: jax.nn.softmax(phi @ th, axis=1), (theta, features)),
        "softmax_score": (jax.vmap(jax.grad(softmax_one), (None, 0, 0)), (theta, features, actions)),
        "softmax_reinforce_gradient": (reinforce, (theta, features, actions, returns)),
        "tabular_softmax_log_prob": (jax.vmap(tabular_one, (None, 0, 0)), (table, states, actions)),
        "tabular_softmax_score": (jax.vmap(jax.grad(tabular_one), (None, 0, 0)), (table, states, actions)),
        "gaussian_log_prob": (jax.vmap(gaussian_one, (None, None, 0, 0)),
                              (weights, log_std, features, continuous)),
        "gaussian_score": (jax.vmap(jax.grad(gaussian_one, (0, 1)), (None, None, 0, 0)),
                           (weights, log_std, features, continuous)),
        "reinforce_gradient": (reinforce_from_scores, (scores, returns)),
    }
    cases = {}
    for name, (function, arguments) in compiled.items():
        jitted = jax.jit(function)
        jax.block_until_ready(jitted(*arguments))  # compile before timing
        cases[name] = (lambda f, a: lambda: jax.block_until_ready(f(*a)))(jitted, arguments)
    return cases


# -- the run ---------------------------------------------------------------------------------
def run(repeat: int = 5, sizes=SIZES, functions=FUNCTIONS) -> list[dict]:
    """One row per (function, N): median seconds of pgsym (with and without ``out=``), of the
    copy that gives the floor, of the hand-written NumPy code, torch and JAX (None when
    absent), the bytes the floor counts and pgsym's peak memory in one call."""
    rows = []
    for n in sizes:
        x = Inputs(n)
        torch_cases, jax_cases = _torch_cases(x), _jax_cases(x)
        for name in functions:
            arguments = x.arguments(name)
            ours = (lambda f, a: lambda: f(*a))(getattr(g, name), arguments)
            result = ours()
            moved = _nbytes(arguments) + _nbytes(result)
            buffers = _out_buffers(name, result)
            calls = {"pgsym": ours, "copy": copy_call(moved), "pgsym_numpy": _numpy_kernels(ours),
                     "numpy": (lambda f, a: lambda: f(*a))(getattr(handwritten, name), arguments)}
            if buffers is not None:
                calls["pgsym_out"] = (lambda f, a, o: lambda: f(*a, out=o))(getattr(g, name), arguments, buffers)
            if name in torch_cases:
                calls["torch"] = torch_cases[name]
            if name in jax_cases:
                calls["jax"] = jax_cases[name]
            times = dict(zip(calls, median_seconds(list(calls.values()), repeat)))
            copied = 2 * (max(1, moved // 16) * 8)
            rows.append({"function": name, "N": n, "bytes": moved,
                         "bandwidth": copied / times["copy"], "floor": moved * times["copy"] / copied,
                         "pgsym": times["pgsym"], "pgsym_out": times.get("pgsym_out"),
                         "pgsym_numpy": times["pgsym_numpy"],
                         "numpy": times["numpy"], "torch": times.get("torch"), "jax": times.get("jax"),
                         "pgsym_peak": peak_bytes(ours)})
            del calls, buffers, result
    return rows


def _ms(seconds: Optional[float]) -> str:
    return f"{seconds * 1e3:9.4f}" if seconds is not None else " " * 9


def _times(numerator: float, denominator: Optional[float]) -> str:
    return f"{numerator / denominator:6.2f}x" if denominator else f"{'n/a':>7}"


def table(rows: list[dict]) -> str:
    """The rows as text: times in ms; 'floor x' = pgsym / floor (with out= where it applies,
    else the plain call); 'np-k ms' and 'np-k x' = pgsym with its NumPy kernels alone and its
    ratio to the floor; 'vs' columns = pgsym / that implementation (below 1: pgsym faster)."""
    header = (f"{'function':27} {'N':>7} {'pgsym ms':>9} {'out= ms':>9} {'np-k ms':>9} {'floor ms':>9} "
              f"{'copy GB/s':>9} {'floor x':>7} {'out= x':>7} {'np-k x':>7} {'vs numpy':>8} "
              f"{'vs torch':>8} {'vs jax':>7} {'peak MB':>8}  targets")
    lines = [header]
    for r in rows:
        targets = []
        if r["N"] in FLOOR_SIZES:
            for label, seconds in (("", r["pgsym"]), ("out= ", r["pgsym_out"])):
                if seconds is not None:
                    met = seconds <= FLOOR_FACTOR * r["floor"]
                    targets.append(f"{label}<= {FLOOR_FACTOR:g}x floor: {'met' if met else 'MISSED'}")
        behind = [who for who in ("numpy", "torch", "jax") if r[who] and r["pgsym"] >= r[who]]
        targets.append("ahead of all: met" if not behind else f"behind {', '.join(behind)}: MISSED")
        out_ratio = _times(r["pgsym_out"], r["floor"]) if r["pgsym_out"] is not None else " " * 7
        lines.append(
            f"{r['function']:27} {r['N']:>7} {_ms(r['pgsym'])} {_ms(r['pgsym_out'])} "
            f"{_ms(r['pgsym_numpy'])} {_ms(r['floor'])} "
            f"{r['bandwidth'] / 1e9:9.2f} {_times(r['pgsym'], r['floor'])} {out_ratio} "
            f"{_times(r['pgsym_numpy'], r['floor'])} "
            f"{_times(r['pgsym'], r['numpy']):>8} {_times(r['pgsym'], r['torch']):>8} "
            f"{_times(r['pgsym'], r['jax'])} {r['pgsym_peak'] / 2**20:8.2f}  {'; '.join(targets)}")
    return "\n".join(lines)


def describe_floor() -> str:
    return ("floor = bytes moved (inputs read once + outputs written once) / copy bandwidth, "
            "where copy bandwidth = 2 * src.nbytes / median time of np.copyto(dst, src) between "
            "preallocated float64 arrays of bytes/2 each, measured in the same run; "
            f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
