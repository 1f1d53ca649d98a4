"""The robot-link seam: how the controller reaches one robot, whatever the transport.

For whoever writes a new driver: implement ``RobotLink`` and nothing else. The
controller holds links and never asks which kind it holds. A link

- is an async context manager: ``__aenter__`` connects (or starts connecting:
  a robot that is off is not an error, it is an ``OFFLINE`` event), and
  ``__aexit__`` closes and releases everything it started;
- sends what the controller says (``send_order``, ``send_instant_actions``) in
  VDA 5050 terms (``fleet.vda``), encoding them for its wire; it raises
  ``LinkError`` when a message certainly cannot be delivered now (closed, down);
  a message that may be lost in flight is not an error: the controller watches
  the robot's state to see what it took;
- yields what the robot says from ``events()``: every state report as
  ``StateReceived`` and every change of connection as ``ConnectionChanged``,
  in arrival order, until the link is closed. Malformed input is the driver's
  to log and count; it never reaches the controller;
- tells what the robot can do through ``capabilities`` (from its factsheet, or
  configuration when it has none).
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Self

from fleet.vda import Action, ConnectionState, Order, RobotState

log = logging.getLogger(__name__)

PREDEFINED_ACTIONS = frozenset({
    "pick", "drop", "waitForTrigger", "startCharging", "stopCharging", "startPause",
    "stopPause", "cancelOrder", "finePositioning", "stateRequest", "factsheetRequest",
    "initPosition",
})


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the controller may ask of a robot (from the VDA 5050 factsheet)."""

    manufacturer: str
    serial: str
    model: str = ""
    trays: int = 3
    max_speed: float = 1.0
    supported_actions: frozenset[str] = field(default_factory=lambda: PREDEFINED_ACTIONS)
    max_nodes_per_order: int | None = None
    max_string_length: int | None = None
    can_sense_loads: bool = True


@dataclass(frozen=True, slots=True)
class StateReceived:
    state: RobotState


@dataclass(frozen=True, slots=True)
class ConnectionChanged:
    serial: str
    state: ConnectionState
    at: float


LinkEvent = StateReceived | ConnectionChanged


class RobotLink(ABC):
    """One robot, reached over some transport. See the module docstring."""

    @property
    @abstractmethod
    def serial(self) -> str: ...

    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    @abstractmethod
    async def __aenter__(self) -> Self: ...

    @abstractmethod
    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None: ...

    @abstractmethod
    async def send_order(self, order: Order) -> None: ...

    @abstractmethod
    async def send_instant_actions(self, actions: Sequence[Action]) -> None: ...

    @abstractmethod
    def events(self) -> AsyncIterator[LinkEvent]: ...


class EventBuffer:
    """What a link has heard and the controller has not yet taken, for drivers to share.

    Bounded: when full, the oldest *state* is dropped and logged (a newer state
    supersedes it); connection events are never dropped. ``events()`` yields in
    arrival order until ``close()``; with ``discard=True`` closing also drops what
    is still waiting.
    """

    def __init__(self, serial: str, max_events: int = 1000) -> None:
        if max_events < 1:
            raise ValueError(f"max_events must be >= 1, got {max_events}")
        self.serial = serial
        self._max = max_events
        self._events: deque[LinkEvent] = deque()
        self._ready = asyncio.Event()
        self.open = False
        self.dropped_states = 0

    def push(self, event: LinkEvent) -> None:
        if not self.open:
            return
        if len(self._events) >= self._max:
            for i, queued in enumerate(self._events):
                if isinstance(queued, StateReceived):
                    del self._events[i]
                    self.dropped_states += 1
                    log.warning("link %s: controller behind, oldest state dropped (%d so far)",
                                self.serial, self.dropped_states)
                    break
            else:
                log.warning("link %s: %d connection events waiting; keeping them all",
                            self.serial, len(self._events))
        self._events.append(event)
        self._ready.set()

    def close(self, *, discard: bool = False) -> None:
        self.open = False
        if discard:
            self._events.clear()
        self._ready.set()

    async def events(self) -> AsyncIterator[LinkEvent]:
        while True:
            while self._events:
                yield self._events.popleft()
            if not self.open:
                return
            self._ready.clear()
            await self._ready.wait()
