"""Run checks in child processes that are killed when their time is up.

A check may run C code that ignores Python's signals (a huge integer power, a factorial),
so the only limit that always holds is the kernel's: each task runs in a forked child
whose CPU time is capped with ``RLIMIT_CPU``, and which the parent kills if it has not
finished after a generous wall-clock guard. The limit is CPU time, not elapsed time, so
that a verdict does not depend on how busy the machine is. Results come back pickled
through a pipe; a task may send partial results as it goes (``emit``), so that a task
killed late still reports what it finished.

Where ``fork`` does not exist (Windows) tasks run in this process, bounded by timer
signals only.

>>> run_tasks([lambda emit: emit(6 * 7)], cpu_seconds=5)[0].messages
(42,)
"""
from __future__ import annotations

import math
import os
import pickle
import select
import signal
import struct
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

#: the parent kills a child after this many times its CPU allowance of elapsed time (plus
#: the constant below): it catches a child that is blocked (sleeping, waiting) rather than
#: computing. A busy machine slows a child down, but the checks of the shipped derivations
#: use a small fraction of their allowance, so only a load of many times the number of
#: cores could bring one to this guard
WALL_FACTOR = 3
WALL_SECONDS = 10.0

Task = Callable[[Callable[[Any], None]], None]


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
              on_done: Callable[[int], None] = lambda index: None) -> list[Outcome]:
    """Runs every task, ``workers`` at a time, each in its own child process allowed
    ``cpu_seconds`` of CPU time, and returns their outcomes in the order of the tasks.

    A task is called with ``emit``; whatever it emits (picklable) is returned in order.
    ``on_done(index)`` is called in the parent as each task ends.
    """
    if not can_isolate():
        return [_run_here(task, cpu_seconds, on_done, index) for index, task in enumerate(tasks)]
    outcomes: dict[int, Outcome] = {}
    running: dict[int, _Child] = {}
    queue = list(enumerate(tasks))
    try:
        while queue or running:
            while queue and len(running) < max(1, workers):
                index, task = queue.pop(0)
                child = _start(task, cpu_seconds)
                running[child.fd] = _Child(index, child.pid, child.fd, child.deadline)
            _collect(running, outcomes, on_done)
    finally:
        for child in running.values():  # interrupted (Ctrl-C): leave no child behind
            _kill(child)
    return [outcomes[i] for i in range(len(tasks))]


@dataclass
class _Child:
    index: int
    pid: int
    fd: int
    deadline: float
    data: bytearray = field(default_factory=bytearray)


@dataclass(frozen=True)
class _Started:
    pid: int
    fd: int
    deadline: float


def _start(task: Task, cpu_seconds: float) -> _Started:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child_main(task, cpu_seconds, write_end)
    os.close(write_end)
    deadline = time.monotonic() + WALL_FACTOR * cpu_seconds + WALL_SECONDS
    return _Started(pid, read_end, deadline)


def _child_main(task: Task, cpu_seconds: float, fd: int) -> None:
    code = 0
    try:
        import resource

        soft = math.ceil(cpu_seconds) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
        memory = _memory_limit()
        if memory:  # a runaway exact computation raises MemoryError in the check, and no
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))  # other process dies
        signal.signal(signal.SIGINT, signal.SIG_DFL)

        def emit(message: Any) -> None:
            _send(fd, ("message", message))

        try:
            task(emit)
        except BaseException as error:  # reported to the parent as data, never a traceback
            _send(fd, ("error", f"{type(error).__name__}: {error}"))
    except BaseException:
        code = 1
    finally:
        os._exit(code)


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
              on_done: Callable[[int], None]) -> None:
    """Waits (at most a second) for output or an exit of a running child."""
    now = time.monotonic()
    for child in list(running.values()):
        if now > child.deadline:
            _kill(child)
            outcomes[child.index] = _outcome(child, killed=True)
            del running[child.fd]
            on_done(child.index)
    if not running:
        return
    ready, _, _ = select.select(list(running), [], [], 1.0)
    for fd in ready:
        child = running[fd]
        chunk = os.read(fd, 1 << 16)
        if chunk:
            child.data.extend(chunk)
            continue
        outcomes[child.index] = _outcome(child, killed=False)  # end of file: it has exited
        del running[fd]
        on_done(child.index)


def _kill(child: _Child) -> None:
    try:
        os.kill(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _outcome(child: _Child, killed: bool) -> Outcome:
    os.close(child.fd)
    _, status, usage = os.wait4(child.pid, 0)
    cpu = usage.ru_utime + usage.ru_stime
    messages, ended, detail = [], "finished", ""
    for kind, payload in _frames(bytes(child.data)):
        if kind == "message":
            messages.append(payload)
        else:
            ended, detail = "error", payload
    if killed or os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
        ended, detail = "timeout", "the check was stopped at its time limit"
    elif os.WIFSIGNALED(status) or os.WEXITSTATUS(status) != 0:
        ended, detail = "crashed", f"the check's process ended abnormally (status {status})"
    return Outcome(tuple(messages), ended, detail, cpu)


def _frames(data: bytes):
    position = 0
    while position + 8 <= len(data):
        (size,) = struct.unpack("!Q", data[position:position + 8])
        if position + 8 + size > len(data):
            return  # cut off when the child was killed
        yield pickle.loads(data[position + 8:position + 8 + size])
        position += 8 + size


def _run_here(task: Task, cpu_seconds: float, on_done: Callable[[int], None],
              index: int) -> Outcome:
    from pgsym._deadline import TimeLimitExceeded, call_with_time_limit

    messages: list[Any] = []
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
