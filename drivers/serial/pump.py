"""Runs a sans-I/O ``Session`` on the asyncio loop, for either end of a line.

The session (``drivers.serial.session``) knows the protocol and no clock; the
pump gives it the loop's time, feeds it what the line read, writes what it has
to say, and calls ``tick`` at its next deadline with one loop timer (no task,
so a robot costs nothing while idle). The controller's driver and the
simulated firmware both use it, so the two ends differ only in what they do
with messages.

A session that raises on input (which it must not: malformed frames are
counted, not raised) is logged and counted here, and the pump goes on: one bad
frame must never take a robot's link down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from drivers.serial.codec import Message
from drivers.serial.session import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionTimings:
    """The session's timers, in loop seconds (see ``Session``)."""

    retransmit_s: float = 0.2
    max_retransmit_s: float = 2.0
    heartbeat_s: float = 1.0
    silence_s: float = 3.0

    def scaled(self, factor: float) -> SessionTimings:
        """The same timers on a clock ``factor`` times faster (``ScaledTimeLoop``)."""
        return SessionTimings(self.retransmit_s * factor, self.max_retransmit_s * factor,
                              self.heartbeat_s * factor, self.silence_s * factor)

    def session(self, role: Literal["controller", "robot"], now: float) -> Session:
        return Session(role, now=now, retransmit_s=self.retransmit_s,
                       max_retransmit_s=self.max_retransmit_s, heartbeat_s=self.heartbeat_s,
                       silence_s=self.silence_s)


class SessionPump:
    """One session on the running loop. See the module docstring.

    ``write`` takes bytes for the line; ``deliver`` gets each application message;
    ``on_alive`` is called when the peer is heard again after silence (True) or
    falls silent (False); ``on_refused`` gets ``(reason, text)`` for each frame the
    session refused (``Session.take_refusals``).
    """

    def __init__(self, session: Session, *, write: Callable[[bytes], None],
                 deliver: Callable[[Message], None],
                 on_alive: Callable[[bool], None] | None = None,
                 on_refused: Callable[[str, str], None] | None = None, name: str = "") -> None:
        self.session = session
        self.name = name
        self.internal_errors = 0
        self._write = write
        self._deliver = deliver
        self._on_alive = on_alive
        self._on_refused = on_refused
        self._loop = asyncio.get_running_loop()
        self._timer: asyncio.TimerHandle | None = None
        self._alive = session.alive
        self._closed = False
        self._schedule()

    @property
    def alive(self) -> bool:
        return self._alive

    def now(self) -> float:
        return self._loop.time()

    def feed(self, data: bytes) -> None:
        """Bytes read from the line."""
        if self._closed:
            return
        try:
            messages = self.session.feed(data, self.now())
        except Exception:
            self.internal_errors += 1
            log.exception("%s: the session failed on %d bytes read; dropped", self.name,
                          len(data))
            messages = []
        refused = self.session.take_refusals()
        if self._on_refused is not None:
            try:
                for reason, text in refused:
                    self._on_refused(reason, text)
            except Exception:
                self.internal_errors += 1
                log.exception("%s: reporting a refused frame failed", self.name)
        for message in messages:
            if self._closed:
                return
            try:
                self._deliver(message)
            except Exception:
                self.internal_errors += 1
                log.exception("%s: handling a %s failed", self.name, type(message).__name__)
        self._after()

    def send(self, message: Message) -> None:
        """Queue ``message`` for reliable delivery; what the session raises, raises."""
        self.session.send(message, self.now())
        self._after()

    def send_raw(self, kind: int, body: bytes) -> None:
        """``Session.send_raw``: a body as given, for simulated firmware with bugs."""
        self.session.send_raw(kind, body, self.now())
        self._after()

    def kick(self) -> None:
        """Run timers and write now (after a reset, or to flush a send)."""
        if not self._closed:
            self._tick()

    def close(self) -> None:
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # -- internals ----------------------------------------------------------------------
    def _tick(self) -> None:
        self._timer = None
        if self._closed:
            return
        try:
            self.session.tick(self.now())
        except Exception:
            self.internal_errors += 1
            log.exception("%s: session timers failed", self.name)
        self._after()

    def _after(self) -> None:
        if self._closed:
            return
        try:
            out = self.session.outgoing(self.now())
        except Exception:
            self.internal_errors += 1
            log.exception("%s: the session failed to produce output", self.name)
            out = b""
        if out:
            self._write(out)
        if self._closed:
            return
        alive = self.session.alive
        if alive != self._alive:
            self._alive = alive
            if self._on_alive is not None:
                self._on_alive(alive)
        self._schedule()

    def _schedule(self) -> None:
        if self._closed:
            return
        deadline = self.session.next_deadline()
        if deadline is None:
            deadline = self.now() + 1.0  # a session with no timers still gets looked at
        if self._timer is not None:
            if abs(self._timer.when() - deadline) < 1e-9:
                return
            self._timer.cancel()
        self._timer = self._loop.call_at(max(deadline, self.now()), self._tick)
