"""Time for the async runtime: wall, scaled wall, or virtual.

The controller core never reads a clock: every call takes ``now``. The runtime
reads the event loop's ``time()``, and the clock is chosen by choosing the
loop. Everything built on asyncio's timers (``asyncio.sleep``,
``asyncio.timeout``, ``call_at``) then follows the chosen clock with no other
change:

- ``asyncio`` default loop: wall time, for production;
- ``ScaledTimeLoop(speed)``: wall time sped up, for a simulation over real
  MQTT or serial links at N times real speed;
- ``VirtualTimeLoop``: when nothing is ready to run, time jumps to the next
  timer instead of waiting. A simulated lunch rush runs in seconds, and the
  same seed gives the same run. Only for in-process links: real sockets do not
  follow virtual time.

Use ``run(main(), clock=...)`` to run a coroutine on the chosen loop.
"""

from __future__ import annotations

import asyncio
import logging
import selectors
import time
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
ClockKind = Literal["wall", "scaled", "virtual"]

_IDLE_REAL_WAIT_S = 5.0


class _ShiftingSelector(selectors.BaseSelector):
    """A real selector whose waits are turned into clock jumps (or scaled waits)."""

    def __init__(self, loop: VirtualTimeLoop | ScaledTimeLoop) -> None:
        self._real = selectors.DefaultSelector()
        self._loop = loop

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._real.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._real.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        return self._loop._select(self._real, timeout)

    def close(self) -> None:
        self._real.close()

    def get_map(self) -> Any:
        return self._real.get_map()


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop on virtual time: idle waits cost nothing. See the module docstring."""

    def __init__(self, start: float = 0.0) -> None:
        self._virtual_now = float(start)
        super().__init__(selector=_ShiftingSelector(self))

    def time(self) -> float:
        return self._virtual_now

    def _select(self, real: selectors.BaseSelector,
                timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        events = real.select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            # Nothing scheduled and nothing ready: only another thread can wake us.
            log.debug("virtual clock idle at %.3f s: waiting for another thread", self._virtual_now)
            return real.select(_IDLE_REAL_WAIT_S)
        # Land exactly on the next timer: a float sum could stop a hair short of it,
        # and a callback checking ``deadline <= now`` would then see time not yet up.
        target = self._virtual_now + timeout
        scheduled = getattr(self, "_scheduled", None)
        if scheduled:
            target = max(target, scheduled[0].when())
        self._virtual_now = target
        return []


class ScaledTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose clock runs ``speed`` times faster than the wall."""

    def __init__(self, speed: float, start: float | None = None, *,
                 origin: tuple[float, float] | None = None) -> None:
        """``origin``: another scaled loop's ``origin``, for a clock that agrees with
        that loop's to the tick, in another process too (the monotonic clock is the
        machine's). It overrides ``start``."""
        if speed <= 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = float(speed)
        self._wall0 = time.monotonic()
        self._start = self._wall0 if start is None else float(start)
        if origin is not None:
            self._start, self._wall0 = float(origin[0]), float(origin[1])
        super().__init__(selector=_ShiftingSelector(self))

    @property
    def origin(self) -> tuple[float, float]:
        """(loop time, monotonic time) at one instant: all this clock's reading needs."""
        return self._start, self._wall0

    def time(self) -> float:
        return self._start + (time.monotonic() - self._wall0) * self.speed

    def _select(self, real: selectors.BaseSelector,
                timeout: float | None) -> list[tuple[selectors.SelectorKey, int]]:
        return real.select(None if timeout is None else timeout / self.speed)


def make_loop(clock: ClockKind = "wall", *, speed: float = 1.0,
              origin: tuple[float, float] | None = None) -> asyncio.AbstractEventLoop:
    if clock == "virtual":
        return VirtualTimeLoop()
    if clock == "scaled":
        return ScaledTimeLoop(speed, origin=origin)
    return asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T], *, clock: ClockKind = "wall", speed: float = 1.0,
        origin: tuple[float, float] | None = None) -> T:
    """``asyncio.run`` on the chosen clock (``origin``: see ``ScaledTimeLoop``)."""
    with asyncio.Runner(loop_factory=lambda: make_loop(clock, speed=speed,
                                                       origin=origin)) as runner:
        return runner.run(main)
