r"""Budgets for the analysis: a total time per call, bounds on the input, and "unknown".

An analysis must answer, or say it does not know, within a predictable time.
:class:`Budget` holds the limits of one :func:`~symnn.analysis.properties.analyze`
call:

* ``seconds`` -- the total wall-clock time of the call (default
  :data:`DEFAULT_SECONDS`). Every SymPy call inside runs under
  ``min(its own budget, what is left)``; when the total runs out the
  remaining properties are reported as :data:`UNKNOWN` with a note;
* ``max_breakpoints``, ``max_kink_arguments``, ``max_nodes``,
  ``max_kink_depth`` -- bounds on the input (breakpoints of a piecewise
  function, arguments of one ``Max``/``Min``, the size of the expression tree,
  kink functions nested in each other) beyond which the properties that need
  them are :data:`UNKNOWN` at once, with a note saying which bound was hit and
  how to raise it.

The time limit is preemptive (``SIGALRM``) on the main thread of a POSIX
system; elsewhere (a worker thread, Windows) it is checked between steps, so
one long SymPy call may overrun it.

>>> b = Budget(seconds=2)
>>> b.seconds, b.max_breakpoints
(2.0, 32)
>>> str(UNKNOWN), repr(UNKNOWN)
('?', 'UNKNOWN')
>>> Budget.of(0.5).seconds
0.5
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["DEFAULT_SECONDS", "UNKNOWN", "Budget", "BudgetExceeded", "is_unknown"]

#: Default total time of one ``analyze`` call, in seconds.
DEFAULT_SECONDS = 5.0


class _Unknown:
    """The value of a property the analysis could not settle within its budget.

    Prints as ``?``; its truth value is an error (an unknown "yes/no" must not
    silently read as "no"): test ``value is UNKNOWN`` first.
    """

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __str__(self) -> str:
        return "?"

    def __bool__(self) -> bool:
        raise TypeError(
            "this property is UNKNOWN (the analysis ran out of its budget or the expression "
            "exceeds one of its bounds; Properties.notes says which): test `value is UNKNOWN` "
            "before using it as a truth value, or analyse again with a larger budget="
        )

    def __reduce__(self) -> str:
        return "UNKNOWN"

    def __copy__(self) -> _Unknown:
        return self

    def __deepcopy__(self, memo: dict) -> _Unknown:
        return self


#: The sentinel for a property that is not known (see :class:`Budget`).
UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    """Whether *value* is :data:`UNKNOWN` (or a tuple/set holding it)."""
    if value is UNKNOWN:
        return True
    return isinstance(value, tuple) and any(is_unknown(v) for v in value)


class BudgetExceeded(Exception):
    """A bound of the :class:`Budget` is exceeded; the message says which and how to raise it."""


@dataclasses.dataclass(frozen=True)
class Budget:
    r"""Limits of one analysis (see the module docstring).

    Parameters
    ----------
    seconds : total wall-clock time of one ``analyze`` call.
    max_breakpoints : most breakpoints (points where a piecewise, ``Abs``,
        ``Max``, ... switches formula) a function may have.
    max_kink_arguments : most arguments of one ``Max``/``Min`` (their
        crossings grow as :math:`n^2`).
    max_nodes : most nodes of the expression tree (of :math:`f` and of
        :math:`f'` separately).
    max_kink_depth : most kink functions (``Abs``, ``sign``, ``Heaviside``,
        ``Max``, ``Min``, ``Piecewise``) nested inside each other.
    """

    seconds: float = DEFAULT_SECONDS
    max_breakpoints: int = 32
    max_kink_arguments: int = 8
    max_nodes: int = 2000
    max_kink_depth: int = 6

    def __post_init__(self) -> None:
        seconds = self.seconds
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise TypeError(f"Budget(seconds=...) must be a number of seconds, got {seconds!r}")
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"Budget(seconds=...) must be positive and finite, got {seconds!r}")
        object.__setattr__(self, "seconds", float(seconds))
        for name in ("max_breakpoints", "max_kink_arguments", "max_nodes", "max_kink_depth"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Budget({name}=...) must be a positive integer, got {value!r}")

    @classmethod
    def of(cls, budget: Budget | float | None) -> Budget:
        """A Budget from a Budget, a number of seconds, or None (the defaults)."""
        if budget is None:
            return cls()
        if isinstance(budget, Budget):
            return budget
        if isinstance(budget, (int, float)) and not isinstance(budget, bool):
            return cls(seconds=float(budget))
        raise TypeError(
            f"budget must be a symnn.analysis.Budget or a number of seconds, got {budget!r}"
        )


# ----------------------------------------------------------------------------
# Time limits: one per SymPy call, and one deadline for the whole analysis
# ----------------------------------------------------------------------------


class _OutOfTime(Exception):
    """Raised inside a guarded call when its own time budget runs out."""


class _BudgetExhausted(BaseException):
    """Raised when the total budget of the analysis runs out.

    A BaseException, so that the ``except Exception`` around single SymPy calls
    does not swallow it: it travels up to the step of the analysis that was
    running, whose properties become UNKNOWN.
    """


_state = threading.local()


def _deadline() -> float | None:
    return getattr(_state, "deadline", None)


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def check() -> None:
    """Raise the total-budget exhaustion if the deadline has passed (a cooperative check)."""
    deadline = _deadline()
    if deadline is not None and time.monotonic() >= deadline:
        raise _BudgetExhausted


def remaining() -> float:
    """Seconds left of the total budget (inf outside an analysis)."""
    deadline = _deadline()
    return math.inf if deadline is None else deadline - time.monotonic()


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after *seconds*, or at the analysis deadline if that comes first.

    Raises ``_OutOfTime`` when the block's own limit runs out and
    ``_BudgetExhausted`` when the deadline does. Off the main thread (or without
    ``setitimer``) nothing is interrupted. An outer timer (pytest-timeout, an
    enclosing limit) is restored afterwards; the analysis' own total timer is
    re-armed only while time is left.
    """
    check()
    deadline = _deadline()
    if not _usable():
        yield
        return
    start = time.monotonic()
    limit = seconds if deadline is None else min(seconds, deadline - start)
    outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    if outer_remaining:
        limit = min(limit, outer_remaining)

    def _alarm(signum, frame):
        # fire again soon: an exception raised from a signal handler lands wherever the
        # interpreter is, and a gc callback or a broad ``except`` there swallows it (the
        # block would then run on unlimited); the ``finally`` below disarms it otherwise
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        if _deadline() is not None and time.monotonic() >= _deadline() - 1e-3:
            raise _BudgetExhausted
        raise _OutOfTime

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, max(limit, 1e-4))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer_remaining:
            left = outer_remaining - (time.monotonic() - start)
            own = getattr(_state, "total_timer", False) and previous is _total_alarm
            if left > 0 or not own:
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))


def _total_alarm(signum, frame):
    raise _BudgetExhausted


@contextlib.contextmanager
def total(seconds: float) -> Iterator[None]:
    """The deadline of one analysis: *seconds* from now (nested calls keep the earlier one)."""
    outer = _deadline()
    start = time.monotonic()
    deadline = start + seconds if outer is None else min(outer, start + seconds)
    _state.deadline = deadline
    armed = False
    previous = None
    outer_remaining = 0.0
    if _usable() and outer is None:
        outer_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        limit = seconds if not outer_remaining else min(seconds, outer_remaining)
        previous = signal.signal(signal.SIGALRM, _total_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
        _state.total_timer = True
        armed = True
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
            _state.total_timer = False
            if outer_remaining:
                left = outer_remaining - (time.monotonic() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
        _state.deadline = outer


def attempt(call: Callable[[], Any], seconds: float) -> Any:
    """The result of a SymPy call, or None if it fails or runs out of its own time.

    The total budget running out is not a failure of the call: it propagates.
    """
    try:
        with time_limit(seconds):
            return call()
    except (_OutOfTime, Exception, RecursionError):
        return None
