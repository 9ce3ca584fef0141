"""Checks in child processes: groups of tasks share a child, each task keeps its own limit,
and a task that is stopped or crashes takes no other task's verdict with it."""
from __future__ import annotations

import faulthandler
import os
import signal
import sys
import time

import pytest
import sympy as sp

from pgsym import Derivation, Rule, RuleCheck, _isolation, verification
from pgsym._isolation import run_tasks
from pgsym.report import Justification, VerdictKind
from tests.conftest import HEAVY_JAX_TORCH

pytestmark = pytest.mark.skipif(not _isolation.can_isolate(), reason="needs fork")


def _pid(emit) -> None:
    emit(os.getpid())


def _spin(seconds: float):
    def task(emit) -> None:
        started = time.process_time()
        while time.process_time() - started < seconds:
            pass
        emit(os.getpid())
    return task


def _forever(emit) -> None:
    while True:
        pass


def _fails(emit) -> None:
    emit("before")
    raise ValueError("no such thing")


def test_a_group_runs_in_one_child_in_order_and_the_others_in_their_own():
    order: list[int] = []
    outcomes = run_tasks([_pid] * 5, cpu_seconds=5, workers=2, on_done=order.append,
                         groups=["a", "b", "a", "b", "c"])
    pids = [outcome.messages[0] for outcome in outcomes]
    assert pids[0] == pids[2] and pids[1] == pids[3]
    assert len({pids[0], pids[1], pids[4], os.getpid()}) == 4
    assert sorted(order) == [0, 1, 2, 3, 4]
    assert order.index(0) < order.index(2) and order.index(1) < order.index(3)
    # without groups, one child each
    assert len({outcome.messages[0] for outcome in run_tasks([_pid] * 3, cpu_seconds=5)}) == 3


def test_tasks_that_follow_an_outcome_start_ahead_of_the_queue_in_children_of_their_own():
    """The steps citing a lemma start as soon as its report is in, not after every other
    step: ``follow`` adds them as each task ends."""
    ended: list[int] = []

    def follow(index, outcome):
        ended.append(index)
        return [(_pid, "late"), (_pid, "late")] if index == 0 else []

    outcomes = run_tasks([_pid, _spin(0.3), _spin(0.3), _spin(0.3)], cpu_seconds=5, workers=1,
                         groups=[None, "a", "b", "c"], follow=follow)
    pids = [outcome.messages[0] for outcome in outcomes]
    assert len(outcomes) == 6 and pids[4] == pids[5]  # the added pair share a child ...
    assert pids[4] not in pids[:4]  # ... of their own
    assert ended.index(4) < ended.index(1)  # (one worker: they ran before the queue)


def test_each_task_of_a_group_has_its_own_cpu_limit():
    # three tasks of 0.7 s each: together over one task's allowance (1 s, rounded up + 1)
    outcomes = run_tasks([_spin(0.7)] * 3, cpu_seconds=1, groups=[0, 0, 0])
    assert [outcome.ended for outcome in outcomes] == ["finished"] * 3
    assert len({outcome.messages[0] for outcome in outcomes}) == 1
    assert all(0.6 < outcome.cpu_seconds < 1.5 for outcome in outcomes)


def test_a_task_stopped_at_its_limit_leaves_the_rest_of_its_group_to_a_new_child():
    outcomes = run_tasks([_pid, _forever, _pid, _pid], cpu_seconds=1, groups=[0, 0, 0, 0])
    assert [outcome.ended for outcome in outcomes] == ["finished", "timeout", "finished",
                                                      "finished"]
    assert outcomes[1].cpu_seconds >= 1
    first, _, third, fourth = (outcome.messages[0] if outcome.messages else None
                               for outcome in outcomes)
    assert third == fourth != first


def test_code_that_ignores_python_signals_is_stopped_by_the_kernel():
    def in_c(emit) -> None:
        emit(sum(range(10 ** 13)))  # one C loop: Python's signal handlers never run

    def ignores_sigxcpu(emit) -> None:
        signal.signal(signal.SIGXCPU, signal.SIG_IGN)
        _forever(emit)

    started = time.monotonic()
    outcomes = run_tasks([in_c, _pid], cpu_seconds=1, groups=[0, 0])
    assert [outcome.ended for outcome in outcomes] == ["timeout", "finished"]
    # past the soft limit, the hard one: the whole group's allowance, here one task's
    outcomes = run_tasks([ignores_sigxcpu], cpu_seconds=1, groups=[0])
    assert [outcome.ended for outcome in outcomes] == ["timeout"]
    assert time.monotonic() - started < 30


def test_errors_and_crashes_are_the_task_s_own():
    def crashes(emit) -> None:
        emit("before")
        faulthandler.disable()  # (pytest's would print the child's stack)
        os.kill(os.getpid(), signal.SIGSEGV)

    def exits(emit) -> None:
        os._exit(0)

    outcomes = run_tasks([_fails, _pid, crashes, _pid, exits, _pid], cpu_seconds=5,
                         groups=[0] * 6)
    assert [outcome.ended for outcome in outcomes] == ["error", "finished", "crashed",
                                                      "finished", "crashed", "finished"]
    assert outcomes[0].messages == ("before",)
    assert outcomes[0].detail == "ValueError: no such thing"
    assert outcomes[2].messages == ("before",)
    assert outcomes[1].messages[0] != outcomes[3].messages[0] != outcomes[5].messages[0]


def test_after_a_task_that_met_a_time_limit_or_failed_the_group_goes_on_in_a_new_child():
    """An interrupt may leave a half-made object behind (SymPy marks a fact it is deriving
    as unknown until it knows it): the next task must not see it."""
    from pgsym._deadline import TimeLimitExceeded, call_with_time_limit

    def interrupted(emit) -> None:
        with pytest.raises(TimeLimitExceeded):
            call_with_time_limit(lambda: _forever(emit), 0.2, clock="cpu")
        emit(os.getpid())

    def fails(emit) -> None:
        emit(os.getpid())
        raise ValueError("no such thing")

    outcomes = run_tasks([_pid, _pid, interrupted, _pid, fails, _pid], cpu_seconds=5,
                         groups=[0] * 6)
    assert [outcome.ended for outcome in outcomes] == ["finished"] * 4 + ["error", "finished"]
    pids = [outcome.messages[-1] for outcome in outcomes]
    assert pids[0] == pids[1] == pids[2] != pids[3] == pids[4] != pids[5]


def test_a_blocked_task_is_stopped_by_the_wall_clock_guard(monkeypatch):
    monkeypatch.setattr(_isolation, "WALL_SECONDS", 0.5)
    monkeypatch.setattr(_isolation, "WALL_FACTOR", 1)
    started = time.monotonic()
    outcomes = run_tasks([_pid, lambda emit: time.sleep(60), _pid], cpu_seconds=1,
                         groups=[0, 0, 0])
    assert [outcome.ended for outcome in outcomes] == ["finished", "timeout", "finished"]
    assert time.monotonic() - started < 15


def test_a_child_that_cannot_start_its_tasks_ends_each_as_crashed(monkeypatch):
    def refuse() -> int:
        raise OSError("no limits here")

    monkeypatch.setattr(_isolation, "_memory_limit", refuse)  # (the child fails at set-up)
    outcomes = run_tasks([_pid] * 3, cpu_seconds=1, groups=[0, 0, 0])
    assert [outcome.ended for outcome in outcomes] == ["crashed"] * 3
    assert "before the check started" in outcomes[0].detail


def test_a_rule_of_the_user_s_runs_alone_and_cannot_change_a_later_step_s_verdict():
    """The steps of a derivation share a child, but a rule of the user's is code pgsym does
    not vouch for: if it ran in the child of the next step, it could make a false step pass."""
    x = sp.Symbol("x", real=True)

    def meddles(before, after, context) -> RuleCheck:
        verification._value_verdict = lambda *arguments, **keywords: verification.Verdict(
            VerdictKind.PROVED, "identical")
        return RuleCheck(Justification.CONFIRMED, "meddled")

    meddling = Rule("a meddling rule of the user's", "meddles", meddles)
    d = Derivation("meddled", start=(x + 1) ** 2)
    d.step(x ** 2 + 2 * x + 1, rule=meddling)
    d.step(x ** 2 + 3 * x + 1, rule="algebra")  # false
    report = verification.verify(d)
    assert report.steps[1].verdict.kind is VerdictKind.REFUTED


class _Meddling(sp.Function):
    """A user's function whose numeric evaluation patches the verifier in its process."""

    def _eval_evalf(self, precision):
        verification._value_verdict = lambda *arguments, **keywords: verification.Verdict(
            VerdictKind.PROVED, "identical")
        return self.args[0]._eval_evalf(precision)


def test_a_function_class_of_the_user_s_runs_alone_and_cannot_change_a_later_step_s_verdict():
    """Hostile review 14: a user's Function subclass evaluated in step 1 made the false
    step 2 pass in the child the derivation's steps shared, and the verdict cache stored it
    under the key a plain derivation with that step reads. Its code, like a rule's of the
    user's, runs where no later step is checked."""
    x = sp.Symbol("x", real=True)
    d = Derivation("meddled", start=_Meddling(x) + 1)
    d.step(_Meddling(x) + 2, rule="algebra")  # false, and evaluates _Meddling
    d.step(sp.Integer(3), rule="algebra")  # false
    report = verification.verify(d)
    assert [s.verdict.kind for s in report.steps] == [VerdictKind.REFUTED] * 2
    assert verification._runs_user_code(d, {})
    plain = Derivation("plain", start=x + 1).step(x + 2, rule="algebra")
    assert not verification._runs_user_code(plain, {})


def test_every_task_starts_at_the_bottom_of_a_data_stack_chunk_of_its_own():
    """CPython 3.11 frees a data-stack chunk (16 KiB) as soon as the frame at its bottom
    returns: a computation going up and down across a chunk's edge ran 3 to 5 times slower
    at a few depths of the caller, and a step refuted at the top of a program hit its time
    limit (unknown) when verify was called from 200 frames deep. Each task is therefore
    called from a frame larger than a chunk, whatever the depth of run_tasks' caller. (This
    checks the mechanism, not a timing: timings belong in benchmarks/.)"""
    chunk_bytes = 16 * 1024

    def callers_frame(emit) -> None:
        code = sys._getframe(1).f_code
        emit((code.co_name, code.co_nlocals * 8))  # 8 bytes per local slot

    def from_depth(depth: int) -> list:
        if depth:
            return from_depth(depth - 1)
        outcomes = run_tasks([callers_frame] * 2, cpu_seconds=5, groups=[0, 0])
        return [outcome.messages[0] for outcome in outcomes]

    for depth in (0, 130, 270):
        for name, frame_bytes in from_depth(depth):
            assert frame_bytes > chunk_bytes, (depth, name, frame_bytes)


@pytest.mark.xdist_group(HEAVY_JAX_TORCH)
def test_checking_after_jax_is_imported_warns_of_no_fork():
    """New user 23: with JAX imported, every check printed JAX's warning that forking a
    multithreaded process may deadlock (the children run SymPy only)."""
    import warnings

    import sympy as sp

    from pgsym import Derivation
    jnp = pytest.importorskip("jax.numpy")
    jnp.ones(3).sum()  # (JAX's threads started)
    x = sp.Symbol("x", real=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Derivation("d", start=(x + 1) ** 2).step(x**2 + 2 * x + 1, rule="algebra") \
            .verify().ok
    assert not [w for w in caught if "fork" in str(w.message)]
