"""The gradient library against a hand-written NumPy baseline and PyTorch autograd.

For N in {1e3, 1e4, 1e5}, d = 8, A = 4 (softmax) and k = 2 (Gaussian): the median time of
each function over several repeats, pgsym's time as a ratio of the hand-written NumPy time
measured in the same run, and the peak memory NumPy allocates during one call (tracemalloc;
PyTorch's allocations are not seen by it). Torch is optional: ``pip install torch==2.13.0``.
"""
from __future__ import annotations

import statistics
import timeit
import tracemalloc
from typing import Callable

import numpy as np

from benchmarks import handwritten
from pgsym import gradients as g

SIZES = (1_000, 10_000, 100_000)
D, A, K = 8, 4, 2


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


def _torch_cases(theta, features, actions, returns, weights, log_std, continuous):
    try:
        import torch
        from torch.func import grad, vmap
    except ImportError:
        return {}
    torch.set_num_threads(2)
    t_theta, t_features = torch.tensor(theta), torch.tensor(features)
    t_actions, t_returns = torch.tensor(actions), torch.tensor(returns)
    t_weights, t_log_std, t_continuous = torch.tensor(weights), torch.tensor(log_std), torch.tensor(continuous)

    def softmax_one(th, phi, a):
        return torch.log_softmax(phi @ th, dim=-1).gather(0, a[None])[0]

    def gaussian_one(w, l, phi, x):
        z = (x - phi @ w) / torch.exp(l)
        return (-0.5 * z**2 - l - 0.5 * np.log(2 * np.pi)).sum()

    softmax_scores = vmap(grad(softmax_one), in_dims=(None, 0, 0))
    gaussian_scores = vmap(grad(gaussian_one, argnums=(0, 1)), in_dims=(None, None, 0, 0))

    def reinforce():
        th = t_theta.clone().requires_grad_(True)
        log_pi = torch.log_softmax(t_features @ th, dim=-1).gather(1, t_actions[:, None])[:, 0]
        (log_pi * t_returns).mean().backward()
        return th.grad

    return {
        "softmax_score": lambda: softmax_scores(t_theta, t_features, t_actions),
        "softmax_reinforce_gradient": reinforce,
        "gaussian_score": lambda: gaussian_scores(t_weights, t_log_std, t_features, t_continuous),
    }


def run(repeat: int = 7) -> list[dict]:
    """Returns one row per (function, N) with the three medians and pgsym's peak memory."""
    rows = []
    for n in SIZES:
        rng = np.random.default_rng(n)
        theta, features = rng.normal(size=(D, A)), rng.normal(size=(n, D))
        actions, returns = rng.integers(0, A, size=n), rng.normal(size=n)
        weights, log_std = rng.normal(size=(D, K)), rng.normal(size=K) * 0.1
        continuous = features @ weights + rng.normal(size=(n, K))
        cases = {
            "softmax_log_prob": (lambda: g.softmax_log_prob(theta, features, actions),
                                 lambda: handwritten.softmax_log_prob(theta, features, actions)),
            "softmax_score": (lambda: g.softmax_score(theta, features, actions),
                              lambda: handwritten.softmax_score(theta, features, actions)),
            "softmax_reinforce_gradient": (
                lambda: g.softmax_reinforce_gradient(theta, features, actions, returns),
                lambda: handwritten.softmax_reinforce_gradient(theta, features, actions, returns)),
            "gaussian_score": (lambda: g.gaussian_score(weights, log_std, features, continuous),
                               lambda: handwritten.gaussian_score(weights, log_std, features, continuous)),
        }
        torch_cases = _torch_cases(theta, features, actions, returns, weights, log_std, continuous)
        for name, (ours, baseline) in cases.items():
            calls = [ours, baseline] + ([torch_cases[name]] if name in torch_cases else [])
            times = median_seconds(calls, repeat) + [None]
            rows.append({"function": name, "N": n, "pgsym": times[0], "numpy": times[1],
                         "torch": times[2], "pgsym_peak": peak_bytes(ours),
                         "numpy_peak": peak_bytes(baseline)})
    return rows


def table(rows: list[dict]) -> str:
    lines = [f"{'function':28} {'N':>7} {'pgsym':>10} {'numpy':>10} {'ratio':>6} {'torch':>10} "
             f"{'vs torch':>8} {'peak pgsym':>11} {'peak numpy':>11}  targets"]
    for r in rows:
        ratio = r["pgsym"] / r["numpy"]
        torch_time = f"{r['torch'] * 1e3:8.3f}ms" if r["torch"] else f"{'n/a':>10}"
        versus = f"{r['pgsym'] / r['torch']:7.2f}x" if r["torch"] else f"{'':>8}"
        targets = []
        if r["N"] >= 10_000:
            targets.append("<= 1.2x numpy: " + ("met" if ratio <= 1.2 else "MISSED"))
        if r["torch"]:
            targets.append("faster than torch: " + ("met" if r["pgsym"] < r["torch"] else "MISSED"))
        lines.append(f"{r['function']:28} {r['N']:>7} {r['pgsym'] * 1e3:8.3f}ms {r['numpy'] * 1e3:8.3f}ms "
                     f"{ratio:5.2f}x {torch_time} {versus} {r['pgsym_peak'] / 2**20:9.2f}MB "
                     f"{r['numpy_peak'] / 2**20:9.2f}MB  {'; '.join(targets)}")
    return "\n".join(lines)
