"""The in-process robot link: direct calls into a simulated robot.

For the fast simulator and tests. It follows the same contract as the wire
drivers (``fleet.link``), so the controller cannot tell it apart from them:
messages reach the robot on a later turn of the loop (never inside the caller's
stack), and what the robot says arrives through ``events()`` in order.

Events wait in a bounded buffer. When the controller falls that far behind, the
oldest *state* is dropped and logged (a newer state supersedes it); connection
events are never dropped.

``lag_s`` delays every message both ways by that many seconds of the loop's clock,
in order: a slow link, or a site run faster than real time where a broker's
milliseconds are whole seconds of the site's. States then reach the controller
after the orders they will show were sent, as on any real link, only longer.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType
from typing import Self

from fleet.errors import LinkError
from fleet.link import (
    Capabilities,
    ConnectionChanged,
    EventBuffer,
    LinkEvent,
    RobotLink,
    StateReceived,
)
from fleet.vda import Action, ConnectionState, Order, RobotState
from sim.robot import SimRobot

log = logging.getLogger(__name__)


class InProcLink(RobotLink):
    """A link to one ``SimRobot`` in this process. See the module docstring.

    Entering the link starts the robot if nobody has (robots keep driving when
    their controller goes away, so closing the link does not stop it).
    """

    def __init__(self, robot: SimRobot, *, max_events: int = 1000, lag_s: float = 0.0) -> None:
        self._robot = robot
        self._lag_s = lag_s
        self._line: deque[tuple[float, Callable[[], None]]] = deque()
        """Messages on their way, either direction, in the order they were sent."""
        self._buffer = EventBuffer(robot.serial, max_events)
        self._entered = False
        self._open = False
        self._closed = False

    @property
    def dropped_states(self) -> int:
        return self._buffer.dropped_states

    @property
    def serial(self) -> str:
        return self._robot.serial

    @property
    def capabilities(self) -> Capabilities:
        return self._robot.capabilities

    async def __aenter__(self) -> Self:
        if self._closed:
            raise LinkError(f"link to {self.serial} was closed; make a new one")
        self._entered = True
        self._buffer.open = True
        self._robot.start()
        self._robot.attach(self)
        self._open = True
        robot = self._robot
        state = ConnectionState.ONLINE if robot.online else ConnectionState.OFFLINE
        self.robot_connection(state, robot.now())
        robot.request_state()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self._robot.detach(self)
        self._open = False
        self._closed = True
        self._buffer.close(discard=True)

    # -- controller -> robot ----------------------------------------------------------
    def _check_up(self) -> None:
        if not self._open:
            raise LinkError(f"link to {self.serial} is {'closed' if self._closed else 'not open'}")
        if not self._robot.online:
            raise LinkError(f"robot {self.serial} is offline")

    async def send_order(self, order: Order) -> None:
        self._check_up()
        self._later(lambda: self._robot.receive_order(order))

    async def send_instant_actions(self, actions: Sequence[Action]) -> None:
        self._check_up()
        sent = tuple(actions)
        self._later(lambda: self._robot.receive_instant_actions(sent))

    # -- robot -> controller (called by the robot) ----------------------------------------
    def robot_state(self, state: RobotState) -> None:
        self._push(StateReceived(state))

    def robot_connection(self, state: ConnectionState, at: float) -> None:
        self._push(ConnectionChanged(self.serial, state, at))

    def _push(self, event: LinkEvent) -> None:
        if self._lag_s > 0:
            self._later(lambda: self._buffer.push(event))
        else:
            self._buffer.push(event)

    def _later(self, deliver: Callable[[], None]) -> None:
        """On a later turn of the loop; with a lag, that much later and in order."""
        loop = asyncio.get_running_loop()
        if self._lag_s <= 0:
            loop.call_soon(deliver)
            return
        self._line.append((loop.time() + self._lag_s, deliver))
        if len(self._line) == 1:
            loop.call_at(self._line[0][0], self._arrive)

    def _arrive(self) -> None:
        loop = asyncio.get_running_loop()
        while self._line and self._line[0][0] <= loop.time():
            self._line.popleft()[1]()
        if self._line:
            loop.call_at(self._line[0][0], self._arrive)

    async def events(self) -> AsyncIterator[LinkEvent]:
        """States and connection changes in arrival order, until the link is closed."""
        if not self._entered:
            raise LinkError(f"link to {self.serial} is not open")
        async for event in self._buffer.events():
            yield event
