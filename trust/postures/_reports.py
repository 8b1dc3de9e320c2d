"""Telling others of what the posture machine recorded: the metrics sink, and the log.

Both are user code (a collector, a logging handler), so neither runs under the machine's
lock. A step queues its entry here with the lock held; the caller that made it drains the
queue once it let go of the lock (or, if another thread is draining at that moment, that
thread does), so every listener hears of the entries in the order they were recorded.

The log is the standard `logging` module's, logger ``trust.postures``:

- WARNING: an emergency downgrade, or a protective downgrade (the circuit breaker's);
- INFO: every other recorded change (a transition, an administrative ``set_posture``,
  a MAINTAIN);
- DEBUG: a refusal. It changes nothing and is in the agent's history; at INFO, anyone
  allowed to ask for transitions could flood the log with them.

Each record carries its fields as ``extra`` (``agent_id``, ``from_posture``,
``to_posture``, ``transition_type``, ``requester_id``, ``reason``, ``success``,
``blocked_by``, ``administrative``, ``protective``, ``version``, ``sequence``), for
structured handlers. Whether an entry is logged is decided when it is recorded (by
`logging.Logger.isEnabledFor`): a level that is off costs one check.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Protocol

from trust._shown import SHOWN, exact_text, shown
from trust.postures._posture import TrustPosture
from trust.postures._transition import PostureTransition, TransitionResult

INTERRUPTS: tuple[type[BaseException], ...] = (KeyboardInterrupt, SystemExit)
"""What user code (a guard, a metrics sink, a log handler) may raise that goes on.

It goes on to the caller only once what it interrupted is recorded: a guard's refusal, a
committed change told to every listener. Anything else a guard raises (any
`BaseException`) refuses the transition; anything else a sink raises is logged, and
anything else a log handler raises is dropped (as `logging.Handler.handleError` does):
the change stands.
"""

logger = logging.getLogger("trust.postures")


class PostureMetricsSink(Protocol):
    """What the machine reports each committed change to (a `TrustMetricsCollector`)."""

    def record_posture(self, agent_id: str, posture: TrustPosture) -> None: ...

    def record_transition(self, transition_type: PostureTransition) -> None: ...

    def record_emergency_downgrade(self) -> None: ...


# An entry waiting to be told: (the sink to tell, or None; the entry; the level to log it
# at, or 0 not to). Built and read only in this module.
_Pending = tuple[PostureMetricsSink | None, TransitionResult, int]


class Reports:
    """The entries recorded but not yet told, in the order they were recorded.

    Args:
        lock: The machine's lock: `note` is called with it held, `drain` without it.
    """

    __slots__ = ("_draining", "_lock", "pending")

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self._draining = False
        self.pending: deque[_Pending] = deque()
        """What `drain` has yet to tell; empty when there is nothing to do."""

    def note(self, sink: PostureMetricsSink | None, entry: TransitionResult, level: int) -> None:
        """Queue ``entry`` for ``sink`` (None: no sink) and for the log at ``level``.

        Call it with the machine's lock held. Queues nothing when there is no sink and
        the log is off at ``level``.
        """
        log = level if logger.isEnabledFor(level) else 0
        if sink is not None or log:
            self.pending.append((sink, entry, log))

    def drain(self) -> None:
        """Tell every listener of the entries queued so far, oldest first.

        Call it without the lock. Only one thread drains at a time; any other caller (a
        sink that changed a posture from inside its callback, included) returns at once,
        and the draining thread tells what was queued, in order, before it stops.
        """
        with self._lock:
            if self._draining:
                return
            self._draining = True
        try:
            while True:
                with self._lock:
                    if not self.pending:
                        self._draining = False
                        return
                    sink, entry, level = self.pending.popleft()
                _tell(sink, entry, level)
        except BaseException:  # a sink raised KeyboardInterrupt, say: let the next one drain
            with self._lock:
                self._draining = False
            raise


def _tell(sink: PostureMetricsSink | None, entry: TransitionResult, level: int) -> None:
    calls: list[tuple[Callable[..., object], tuple[object, ...]]] = []
    if sink is not None:
        assert entry.agent_id is not None  # the machine's entries name their agent
        calls.append((sink.record_posture, (entry.agent_id, entry.to_posture)))
        calls.append((sink.record_transition, (entry.transition_type,)))
        if entry.transition_type is PostureTransition.EMERGENCY_DOWNGRADE:
            calls.append((sink.record_emergency_downgrade, ()))
    interrupted: BaseException | None = None
    for call, args in calls:
        try:
            call(*args)
        except BaseException as error:  # the change stands: a broken sink must not hide it
            if issubclass(type(error), INTERRUPTS):
                interrupted = interrupted or error
            else:
                # The traceback module names an error whose __str__ raises; never raises.
                logger.exception(
                    "metrics sink failed to record a posture change of %s", entry.agent_id
                )
    if level:
        try:
            log(entry, level)
        except BaseException as error:  # a handler that raises outside its own guard
            if issubclass(type(error), INTERRUPTS):
                interrupted = interrupted or error
    if interrupted is not None:  # once every listener heard of the whole change
        raise interrupted


def log(entry: TransitionResult, level: int) -> None:
    """Log ``entry`` on ``trust.postures`` at ``level``, with its fields as ``extra``."""
    if not logger.isEnabledFor(level):
        return
    frm, to, kind = entry.from_posture.value, entry.to_posture.value, entry.transition_type.value
    # The caller's strings (a reason, a requester; a str subclass, perhaps) reach handlers
    # as exact copies, and the message shows them quoted and cut (`trust._shown.shown`): a
    # reason with a newline cannot forge a log line, nor a hostile __repr__ break one.
    reason, requester = exact_text(entry.reason), exact_text(entry.requester_id)
    extra = {
        "agent_id": entry.agent_id,
        "from_posture": frm,
        "to_posture": to,
        "transition_type": kind,
        "requester_id": requester,
        "reason": reason,
        "success": entry.success,
        "blocked_by": entry.blocked_by,
        "administrative": entry.administrative,
        "protective": entry.protective,
        "version": entry.version,
        "sequence": entry.sequence,
    }
    if entry.administrative:
        kind += ", administrative"
    if entry.protective:
        kind += ", protective"
    if entry.success:
        message = "posture of %s: %s -> %s (%s, version %s) by %s: %s"
        args: tuple[object, ...] = (entry.agent_id, frm, to, kind, entry.version)
    else:
        message = "posture of %s: %s -> %s (%s) refused%s, asked by %s: %s"
        refused_by = "" if entry.blocked_by is None else f" by {entry.blocked_by}"
        args = (entry.agent_id, frm, to, kind, refused_by)
    # The record is made here, not by `logger.log`: it would walk the stack to find the
    # caller, which is always this function (so that is what the record names).
    record = logger.makeRecord(
        logger.name,
        level,
        __file__,
        _LINE,
        message,
        (*args, _quoted(requester), _quoted(reason)),
        None,
        "log",
        extra,
    )
    logger.handle(record)


_LINE = log.__code__.co_firstlineno


def _quoted(text: str | None) -> str:
    # `shown`, without its frames for the common case: a short exact str (or None).
    if text is None:
        return "None"
    return repr(text) if len(text) <= SHOWN else shown(text)
