"""The controller core brought to life: robot links, the clock, and intake.

One ``TaskGroup`` owns every task: a pump per robot link (its events into the
core), a ticker (the core's timers), and the caller's own work. Commands the
core returns are sent in the order it returned them, one robot at a time: each
robot has an outbox, filled in the order the core made the commands (before any
await) and emptied in that order by whichever caller holds the robot's lock. The
pumps and the ticker run side by side; sending each caller's list as it came had
a tick's order update overtake the one a state had made just before, whenever a
send for another robot was still on its way (a vehicle then refuses the older as
stale: thousands of refusals in an 8-hour, 30-robot day).
The clock is the running loop's (see ``fleet.clock``), so the same runtime runs
in wall, scaled or virtual time.

``FleetRuntime`` is also the in-process ``Pos``: the simulated kitchen (and
tests) submit orders and mark dishes ready through it.

A bug the core hits on one robot's report or one tick must not stop a real site:
with ``strict=False`` (``fleet run``) it is logged with its traceback, counted in
``handler_failures`` and the next event is served. Simulations and tests run
``strict`` (the default), so a bug ends the run where it happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Sequence

from fleet.controller.commands import Command, SendInstantActions, SendOrder
from fleet.controller.core import Controller
from fleet.errors import LinkError
from fleet.intake import OrderRequest
from fleet.link import ConnectionChanged, RobotLink, StateReceived

log = logging.getLogger(__name__)


class FleetRuntime:
    def __init__(self, controller: Controller, links: Sequence[RobotLink], *,
                 strict: bool = True) -> None:
        self.controller = controller
        self.strict = strict
        self.handler_failures = 0
        self._links = {link.serial: link for link in links}
        self._locks = {serial: asyncio.Lock() for serial in self._links}
        self._outbox: dict[str, deque[Command]] = {serial: deque() for serial in self._links}
        self._stopping = asyncio.Event()
        self.ready = asyncio.Event()
        self.send_failures = 0

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def run(self) -> None:
        """Connect every link, then serve until ``stop()``; links close on the way out."""
        async with contextlib.AsyncExitStack() as stack:
            for link in self._links.values():
                await stack.enter_async_context(link)
                self.controller.robot_connected(link.serial, link.capabilities, self.now())
            async with asyncio.TaskGroup() as tg:
                pumps = [tg.create_task(self._pump(link), name=f"pump-{link.serial}")
                         for link in self._links.values()]
                ticker = tg.create_task(self._ticker(), name="ticker")
                self.ready.set()
                await self._stopping.wait()
                for task in (*pumps, ticker):
                    task.cancel()

    def stop(self) -> None:
        self._stopping.set()

    async def _pump(self, link: RobotLink) -> None:
        async for event in link.events():
            now = self.now()
            try:
                if isinstance(event, StateReceived):
                    commands = self.controller.on_state(event.state, now)
                elif isinstance(event, ConnectionChanged):
                    # A factsheet may come after the link opened (MQTT: retained, so
                    # with the vehicle's connection): read it again.
                    self.controller.robot_connected(link.serial, link.capabilities, now)
                    commands = self.controller.on_connection(event.serial, event.state, now)
                else:  # pragma: no cover - LinkEvent is closed
                    continue
            except Exception:
                self._failed(f"handling {type(event).__name__} of {link.serial}")
                continue
            await self.execute(commands)

    async def _ticker(self) -> None:
        while True:
            delay = self.controller.next_wakeup() - self.now()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                commands = self.controller.tick(self.now())
            except Exception:
                self._failed("the controller's timers")
                await asyncio.sleep(1.0)  # not a hot loop on a tick that keeps failing
                continue
            await self.execute(commands)

    def _failed(self, what: str) -> None:
        if self.strict:
            raise  # noqa: PLE0704  (called from an except block: re-raise the bug)
        self.handler_failures += 1
        log.exception("controller failed on %s (%d failures so far); serving on",
                      what, self.handler_failures)

    async def execute(self, commands: Sequence[Command]) -> None:
        await self.flush(self.queue(commands))

    def queue(self, commands: Sequence[Command]) -> list[str]:
        """Put commands in their robots' outboxes now, in order (a caller that must
        await something else before sending queues first); the robots they are for."""
        serials: list[str] = []
        for command in commands:
            box = self._outbox.get(command.serial)
            if box is None:
                log.warning("command for unknown robot %s dropped", command.serial)
                continue
            box.append(command)
            if command.serial not in serials:
                serials.append(command.serial)
        return serials

    async def flush(self, serials: Sequence[str]) -> None:
        for serial in serials:
            await self._send_queued(serial)

    async def _send_queued(self, serial: str) -> None:
        link, box = self._links[serial], self._outbox[serial]
        async with self._locks[serial]:
            while box:
                command = box.popleft()
                try:
                    if isinstance(command, SendOrder):
                        await link.send_order(command.order)
                    elif isinstance(command, SendInstantActions):
                        await link.send_instant_actions(command.actions)
                except LinkError as exc:
                    # The controller resends what the robot's state does not show taken.
                    self.send_failures += 1
                    log.info("%s: could not send: %s", command.serial, exc)

    # -- the in-process Pos ---------------------------------------------------------
    async def submit(self, request: OrderRequest) -> None:
        await self.execute(self.controller.submit(request, self.now()))

    async def mark_ready(self, order_id: str, dish_index: int) -> None:
        await self.execute(self.controller.mark_ready(order_id, dish_index, self.now()))

    async def expect_ready(self, order_id: str, dish_index: int, in_s: float) -> None:
        await self.execute(self.controller.expect_ready(order_id, dish_index, in_s,
                                                        self.now()))

    async def cancel(self, order_id: str, reason: str) -> None:
        await self.execute(self.controller.cancel(order_id, reason, self.now()))

    async def served_by_staff(self, table: str, reason: str = "") -> None:
        await self.execute(self.controller.served_by_staff(table, self.now(), reason))

    async def request_bussing(self, table: str) -> None:
        await self.execute(self.controller.request_bussing(table, self.now()))
