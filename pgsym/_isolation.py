"""Run checks in child processes that are killed when their time is up.

A check may run C code that ignores Python's signals (a huge integer power, a factorial),
so the only limit that always holds is the kernel's: each task runs in a forked child
whose CPU time is capped with ``RLIMIT_CPU``, and which the parent kills if it has not
finished after a generous wall-clock guard. Tasks of one group share a child, one after the
other, each with its own limit; a task stopped or crashed takes only its own result with
it, and the rest of its group runs on in a new child. The limit is CPU time, not elapsed time, so
that a verdict does not depend on how busy the machine is. Results come back pickled
through a pipe; a task may send partial results as it goes (``emit``), so that a task
killed late still reports what it finished.

Where ``fork`` does not exist (Windows) tasks run in this process, bounded by timer
signals only.

>>> run_tasks([lambda emit: emit(6 * 7)], cpu_seconds=5)[0].messages
(42,)
"""
from __future__ import annotations

import gc
import math
import os
import pickle
import select
import signal
import struct
import sys
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Sequence

from pgsym._deadline import TimeLimitExceeded
from pgsym._sympy_fixes import fixed_fact_order

#: the parent kills a child after this many times its CPU allowance of elapsed time (plus
#: the constant below): it catches a child that is blocked (sleeping, waiting) rather than
#: computing. A busy machine slows a child down, but the checks of the shipped derivations
#: use a small fraction of their allowance, so only a load of many times the number of
#: cores could bring one to this guard
WALL_FACTOR = 3
WALL_SECONDS = 10.0
#: CPU seconds a child may use beyond the time limits of the checks it runs, for what is no
#: check (unfolding definitions, sending verdicts back): see :func:`cpu_allowance`
SETUP_SECONDS = 2.0

Task = Callable[[Callable[[Any], None]], None]


def cpu_allowance(check_seconds: float) -> float:
    """The CPU seconds a task may use whose checks are limited to ``check_seconds`` together.

    >>> cpu_allowance(1.0)
    3.0
    """
    return check_seconds + SETUP_SECONDS


@dataclass(frozen=True)
class Outcome:
    """What a task sent back, how it ended, and the CPU seconds it used.

    ``ended`` is ``"finished"``, ``"timeout"`` (killed at its CPU or wall-clock limit),
    ``"error"`` (the task raised; ``detail`` says what) or ``"crashed"``.
    """

    messages: tuple[Any, ...]
    ended: str
    detail: str = ""
    cpu_seconds: float = 0.0


def can_isolate() -> bool:
    """Whether tasks run in killable child processes here."""
    return hasattr(os, "fork") and hasattr(os, "wait4") and sys.platform != "emscripten"


def run_tasks(tasks: Sequence[Task], *, cpu_seconds: float, workers: int = 1,
              on_done: Callable[[int], None] = lambda index: None,
              groups: Sequence[Hashable] | None = None,
              follow: Follow | None = None) -> list[Outcome]:
    """Runs every task, ``workers`` children at a time, each task allowed ``cpu_seconds``
    of CPU time, and returns their outcomes in the order of the tasks.

    Tasks of one group (``groups[i]`` is task ``i``'s; by default, or where it is ``None``,
    every task is a group of its own) run one after the other in one child, in their order: they share what the
    child computed and cached, and pay for one fork. Each still has its own CPU limit; a
    task that is stopped (or crashes) takes its child with it, and the tasks of its group
    that had not started run on in a new child, as they do after a task that raised or met
    a time limit inside (it may have left a half-made object behind).

    A task is called with ``emit``; whatever it emits (picklable) is returned in order.
    ``on_done(index)`` is called in the parent as each task ends; then ``follow(index,
    outcome)``, if given, may return more tasks, ``(task, group)`` pairs, that could not run
    before (they need that outcome): they start as soon as a child is free, ahead of the
    tasks still queued, and their outcomes follow the others', in the order they came. (A
    group given again there is a new group: its child has already been made.)

    >>> def follow(index, outcome):  # (a task that adds one to the last, up to 3)
    ...     last = outcome.messages[0]
    ...     return [(lambda emit: emit(last + 1), None)] if last < 3 else []
    >>> [o.messages for o in run_tasks([lambda emit: emit(1)], cpu_seconds=5, follow=follow)]
    [(1,), (2,), (3,)]
    """
    tasks = list(tasks)
    if not can_isolate():
        return _run_all_here(tasks, cpu_seconds, on_done, follow)
    batches: dict[Hashable, list[int]] = {}
    for index in range(len(tasks)):
        group = None if groups is None else groups[index]
        batches.setdefault(index if group is None else ("group", group), []).append(index)
    queue = list(batches.values())
    outcomes: dict[int, Outcome] = {}
    running: dict[int, _Child] = {}
    rounds = [0]

    def done(index: int) -> None:
        on_done(index)
        if follow is None:
            return
        added: dict[Hashable, list[int]] = {}
        rounds[0] += 1
        for task, group in follow(index, outcomes[index]):
            tasks.append(task)
            added.setdefault(len(tasks) - 1 if group is None else ("follows", rounds[0], group),
                             []).append(len(tasks) - 1)
        queue[:0] = added.values()

    try:
        while queue or running:
            while queue and len(running) < max(1, workers):
                child = _start(tasks, queue.pop(0), cpu_seconds)
                running[child.fd] = child
            _collect(running, outcomes, done, queue)
    finally:
        for child in running.values():  # interrupted (Ctrl-C): leave no child behind
            _kill(child)
    return [outcomes[i] for i in range(len(tasks))]


#: what :func:`run_tasks` calls as each task ends: more tasks that needed its outcome
Follow = Callable[[int, Outcome], Sequence[tuple[Task, Hashable]]]


def _run_all_here(tasks: list[Task], cpu_seconds: float, on_done: Callable[[int], None],
                  follow: Follow | None) -> list[Outcome]:
    outcomes: list[Outcome] = []
    while len(outcomes) < len(tasks):
        index = len(outcomes)
        outcomes.append(_run_here(tasks[index], cpu_seconds, on_done, index))
        if follow is not None:
            tasks.extend(task for task, _ in follow(index, outcomes[index]))
    return outcomes


@dataclass
class _Child:
    """A child running a batch of tasks, as the parent sees it."""

    pid: int
    fd: int
    batch: list[int]
    cpu_seconds: float
    data: bytearray = field(default_factory=bytearray)
    #: the task under way (started, not done), when it started, and what it sent so far
    current: int | None = None
    deadline: float = math.inf
    messages: list = field(default_factory=list)
    error: str = ""
    #: the tasks done, and the CPU seconds they took
    done: list[int] = field(default_factory=list)
    cpu_done: float = 0.0
    #: it left the rest of its batch to a new child
    retired: bool = False


def _start(tasks: Sequence[Task], batch: list[int], cpu_seconds: float) -> _Child:
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # (JAX, once imported, warns at every fork that a multithreaded parent may deadlock a
        # child that uses it; the child runs SymPy checks only, never JAX: new user 23)
        warnings.filterwarnings("ignore", r"os\.fork\(\) was called", RuntimeWarning)
        pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child_main([(index, tasks[index]) for index in batch], cpu_seconds, write_end)
    os.close(write_end)
    child = _Child(pid, read_end, batch, cpu_seconds)
    # (until the first task starts: forking and starting are not the task's time)
    child.deadline = _deadline(cpu_seconds)
    return child


def _deadline(cpu_seconds: float) -> float:
    return time.monotonic() + WALL_FACTOR * cpu_seconds + WALL_SECONDS


def _child_main(batch: list[tuple[int, Task]], cpu_seconds: float, fd: int) -> None:
    code = 0
    try:
        import resource

        def used() -> float:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return usage.ru_utime + usage.ru_stime

        # each task may use its allowance from where the CPU time stands when it starts (the
        # soft limit, SIGXCPU); the hard limit (SIGKILL, which no code can catch) is set once,
        # as an unprivileged process cannot raise it again: the whole batch's allowance
        allowance = math.ceil(cpu_seconds) + 1
        hard = math.ceil(used()) + len(batch) * allowance + 1
        inherited = resource.getrlimit(resource.RLIMIT_CPU)[1]
        if inherited != resource.RLIM_INFINITY:
            hard = min(hard, inherited)
        memory = _memory_limit()
        if memory:  # a runaway exact computation raises MemoryError in the check, and no
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))  # other process dies
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _top_level_headroom()
        # what the parent built is never collected here: the garbage collector leaves it
        # alone, so that its passes cost a task the same whatever the parent holds (a test
        # worker that ran a thousand tests holds a large heap, and a pass over it in the
        # middle of a point's evaluation took that point past its share of the time)
        gc.freeze()

        def emit(message: Any) -> None:
            _send(fd, ("message", message))

        for index, task in batch:
            fixed_fact_order()  # (SymPy's fact order not as the tasks before left it)
            started, interrupted = used(), TimeLimitExceeded.raised
            resource.setrlimit(resource.RLIMIT_CPU,
                               (min(math.ceil(started) + allowance, hard), hard))
            _send(fd, ("start", index))
            failed = False
            try:
                _on_a_fresh_stack_chunk(task, emit)
            except BaseException as error:  # reported to the parent as data, never a traceback
                _send(fd, ("error", f"{type(error).__name__}: {error}"))
                failed = True
            _send(fd, ("done", used() - started))
            if failed or TimeLimitExceeded.raised != interrupted:
                # an interrupt may have left a half-made object behind (SymPy marks a fact
                # it is deriving as unknown until it knows it): the tasks after it start
                # afresh, in a new child, as if this one had not run
                _send(fd, ("retire", None))
                break
    except BaseException:
        code = 1
    finally:
        os._exit(code)


#: the recursion depth a task may use, as at the top of a program (Python's default limit)
RECURSION_HEADROOM = max(1000, sys.getrecursionlimit())


def _top_level_headroom() -> None:
    """Gives the tasks of a child the recursion depth they would have at the top of a
    program, wherever the parent was called from: the child starts inside the caller's
    stack, and verifying from 200 frames deep (a test runner's worker) left SymPy too little,
    so a step was refuted at the top level and unknown (a RecursionError) deeper down."""
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    sys.setrecursionlimit(depth + RECURSION_HEADROOM)


def _fresh_chunk_caller():
    """A function that calls ``task(emit)`` from a frame larger than CPython's data-stack
    chunk (16 KiB): the task's frames then start at the bottom of a chunk of their own.

    CPython 3.11 keeps frames in 16 KiB chunks and frees a chunk as soon as the frame at its
    bottom returns, so a computation whose calls go up and down across a chunk's edge
    allocates and frees a chunk on every call: mpmath's quadrature ran 3 to 5 times slower
    at a few depths of the caller (130, 270 frames), and a check that finished in 2 s at the
    top of a program hit its time limit when verify was called from 200 frames deep (a test
    runner's worker). From the bottom of a fresh chunk, a check takes the same time wherever
    it was called from."""
    names = " = ".join(f"_{i}" for i in range(2100))  # (8 bytes each: more than 16 KiB)
    namespace: dict = {}
    exec(f"def call(task, emit):\n    if False:\n        {names} = None\n"
         f"    return task(emit)\n", namespace)
    return namespace["call"]


_on_a_fresh_stack_chunk = _fresh_chunk_caller()


#: the share of the machine's memory one check may take (several run at once)
MEMORY_SHARE = 0.25


def _memory_limit() -> int:
    """Bytes of address space a check may use: a share of physical memory, at least 2 GiB;
    0 where the machine does not say how much it has."""
    try:
        physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 0
    return max(int(physical * MEMORY_SHARE), 2 << 30)


def _send(fd: int, frame: tuple) -> None:
    try:
        payload = pickle.dumps(frame)
    except Exception as error:  # an unpicklable result is an error, reported as such
        payload = pickle.dumps(("error", f"result could not be sent back: {error}"))
    data = struct.pack("!Q", len(payload)) + payload
    while data:
        written = os.write(fd, data)
        data = data[written:]


def _collect(running: dict[int, _Child], outcomes: dict[int, Outcome],
             on_done: Callable[[int], None], queue: list[list[int]]) -> None:
    """Waits (at most a second) for output or an exit of a running child; the tasks of a
    batch that ended before they started go back to the front of ``queue``."""
    now = time.monotonic()
    for child in list(running.values()):
        if now > child.deadline:
            _kill(child)
            _ended(child, outcomes, on_done, queue, killed=True)
            del running[child.fd]
    if not running:
        return
    ready, _, _ = select.select(list(running), [], [], 1.0)
    for fd in ready:
        child = running[fd]
        chunk = os.read(fd, 1 << 16)
        if chunk:
            child.data.extend(chunk)
            _read_frames(child, outcomes, on_done)
            continue
        _ended(child, outcomes, on_done, queue, killed=False)  # end of file: it has exited
        del running[fd]


def _read_frames(child: _Child, outcomes: dict[int, Outcome],
                 on_done: Callable[[int], None]) -> None:
    """Takes the whole frames the child sent so far: a task starts, sends messages, fails,
    or is done (with the CPU seconds it took)."""
    position = 0
    for kind, payload, position in _frames(bytes(child.data)):
        if kind == "start":
            child.current, child.messages, child.error = payload, [], ""
            child.deadline = _deadline(child.cpu_seconds)
        elif kind == "message":
            child.messages.append(payload)
        elif kind == "error":
            child.error = payload
        elif kind == "retire":
            child.retired = True
        elif kind == "done" and child.current is not None:
            outcomes[child.current] = Outcome(tuple(child.messages),
                                              "error" if child.error else "finished",
                                              child.error, payload)
            child.done.append(child.current)
            child.cpu_done += payload
            on_done(child.current)
            child.current = None
    del child.data[:position]


def _kill(child: _Child) -> None:
    try:
        os.kill(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _ended(child: _Child, outcomes: dict[int, Outcome], on_done: Callable[[int], None],
           queue: list[list[int]], killed: bool) -> None:
    """The child has exited, or was killed: the task under way gets its outcome (stopped at
    its time limit, or crashed), and the tasks it had not started are queued again."""
    os.close(child.fd)
    _, status, usage = os.wait4(child.pid, 0)
    if child.current is not None:
        cpu = max(0.0, usage.ru_utime + usage.ru_stime - child.cpu_done)
        if killed or os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU,
                                                                           signal.SIGKILL):
            ended, detail = "timeout", "the check was stopped at its time limit"
        else:
            ended, detail = "crashed", f"the check's process ended abnormally (status {status})"
        outcomes[child.current] = Outcome(tuple(child.messages), ended, detail, cpu)
        child.done.append(child.current)
        on_done(child.current)
    elif child.done != child.batch and not child.retired:  # (it ended between tasks)
        first = next(index for index in child.batch if index not in child.done)
        outcomes[first] = Outcome((), "crashed", f"the check's process ended before the check "
                                                 f"started (status {status})")
        child.done.append(first)
        on_done(first)
    left = [index for index in child.batch if index not in child.done]
    if left:
        queue.insert(0, left)


def _frames(data: bytes):
    """The whole frames in ``data``: (kind, payload, where the next frame starts)."""
    position = 0
    while position + 8 <= len(data):
        (size,) = struct.unpack("!Q", data[position:position + 8])
        if position + 8 + size > len(data):
            return  # not all here yet, or cut off when the child was killed
        kind, *payload = pickle.loads(data[position + 8:position + 8 + size])
        position += 8 + size
        yield kind, (payload[0] if payload else None), position


def _run_here(task: Task, cpu_seconds: float, on_done: Callable[[int], None],
              index: int) -> Outcome:
    from pgsym._deadline import TimeLimitExceeded, call_with_time_limit

    messages: list[Any] = []
    fixed_fact_order()
    started = time.process_time()
    try:
        call_with_time_limit(lambda: task(messages.append), cpu_seconds, clock="wall")
        ended, detail = "finished", ""
    except TimeLimitExceeded:
        ended, detail = "timeout", "the check was stopped at its time limit"
    except Exception as error:
        ended, detail = "error", f"{type(error).__name__}: {error}"
    on_done(index)
    return Outcome(tuple(messages), ended, detail, time.process_time() - started)
