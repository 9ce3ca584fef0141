"""Run a function with a time limit, measured on the wall clock or in CPU time.

Inside a check (which :mod:`pgsym._isolation` runs in a child process), the phases
of the check are bounded in CPU time: the CPU time a computation needs hardly depends on
what else the machine is doing, so a verdict does not change with load. The process as a
whole is bounded by the kernel (``RLIMIT_CPU``), which also stops C code that ignores
Python's signals.
"""
from __future__ import annotations

import signal
import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")


class TimeLimitExceeded(BaseException):
    """Raised inside a check whose time is up.

    A ``BaseException``, like ``KeyboardInterrupt``, so that ``except Exception`` blocks
    inside SymPy cannot swallow it.
    """

    #: how many were raised in this process: a check that met none ran every phase to its
    #: end, so its verdict does not depend on the machine's speed (the verdict cache keeps
    #: only such verdicts, :mod:`pgsym.cache`)
    raised = 0

    def __init__(self, *args) -> None:
        super().__init__(*args)
        TimeLimitExceeded.raised += 1


#: the interval timer and its signal for each clock
_TIMERS = {"wall": ("ITIMER_REAL", "SIGALRM"), "cpu": ("ITIMER_PROF", "SIGPROF")}


def call_with_time_limit(function: Callable[[], T], seconds: float, clock: str = "wall") -> T:
    """Returns ``function()``, or raises :class:`TimeLimitExceeded` after ``seconds``.

    ``clock`` is ``"wall"`` (elapsed time) or ``"cpu"`` (CPU time of this process). In the
    main thread of a POSIX process the call is interrupted by a timer signal; in any other
    thread it runs in a daemon thread that is abandoned (left to finish on its own) when the
    time is up, measured on the wall clock.

    >>> call_with_time_limit(lambda: 2 + 2, 1.0)
    4
    """
    if seconds <= 0:
        raise TimeLimitExceeded()
    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        timer, signal_name = _TIMERS[clock]
        return _with_timer_signal(function, seconds, getattr(signal, timer),
                                  getattr(signal, signal_name))
    return _with_abandoned_thread(function, seconds)


#: after the time is up, the interrupt repeats this often until the call has ended: Python
#: ignores an exception raised in a garbage-collector callback or a __del__ method, so a
#: single interrupt landing there would be lost and the check would run on unbounded
_REPEAT_SECONDS = 0.1


def _with_timer_signal(function: Callable[[], T], seconds: float, timer: int, signum: int) -> T:
    armed, fired = [True], [False]

    def interrupt(signum, frame):
        if armed[0]:
            fired[0] = True
            raise TimeLimitExceeded()

    previous_handler = signal.signal(signum, interrupt)
    clock = time.monotonic if timer == signal.ITIMER_REAL else time.process_time
    started = clock()
    previous_delay, previous_interval = signal.setitimer(timer, seconds, _REPEAT_SECONDS)
    try:
        try:
            result = function()
        finally:
            armed[0] = False
        if fired[0]:  # the function caught the interrupt and answered anyway: not believed
            raise TimeLimitExceeded()
        return result
    finally:
        # the outer block still cleans up if a repeated interrupt hit the inner one
        armed[0] = False
        signal.setitimer(timer, 0)
        signal.signal(signum, previous_handler)
        if previous_delay:  # an enclosing limit is still running: give it back its timer
            remaining = max(previous_delay - (clock() - started), 1e-3)
            signal.setitimer(timer, remaining, previous_interval)


def _with_abandoned_thread(function: Callable[[], T], seconds: float) -> T:
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed back to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True, name="pgsym-check")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeLimitExceeded()
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["value"]  # type: ignore[return-value]
