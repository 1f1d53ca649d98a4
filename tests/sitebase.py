"""What both end-to-end rigs share: a bounded wait on a condition, and reads of what
the controller believes.

``e2e.Rig`` (in-process links on virtual time) and ``mqttsite.Site`` (every
message across a real broker, on scaled time) are built differently and reach
different things; a test waits and asks the same way on either, and a wait that
times out says where things stand in the rig's own words (``describe``).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from typing import ClassVar, TypeVar

from fleet.controller.core import Controller
from fleet.controller.robots import RobotRecord
from fleet.domain import Dish, Trip
from fleet.domain.events import Event
from fleet.runtime import FleetRuntime

T = TypeVar("T")


async def run_scene(runtime: FleetRuntime, scene: Awaitable[T]) -> T:
    """``scene`` with the runtime serving, then the runtime stopped; the scene's own
    exception is raised as it is, not wrapped in a task group's."""
    outcome: list[T] = []
    failed: list[BaseException] = []
    async with asyncio.TaskGroup() as tg:
        tg.create_task(runtime.run(), name="runtime")
        await runtime.ready.wait()
        try:
            outcome.append(await scene)
        except Exception as exc:
            failed.append(exc)
        runtime.stop()
    if failed:
        raise failed[0]
    return outcome[0]


class SiteView(ABC):
    """Mixed into a rig dataclass that has a ``controller`` field."""

    controller: Controller
    wait_s: ClassVar[float] = 300.0
    """``until``'s timeout unless one is given, in loop seconds."""
    poll_s: ClassVar[float] = 0.2
    """How often ``until`` looks, in loop seconds."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def settle(self, seconds: float) -> None:
        """Let ``seconds`` of loop time pass (virtual, or scaled from the wall)."""
        await asyncio.sleep(seconds)

    async def until(self, condition: Callable[[], bool], timeout_s: float | None = None,
                    what: str = "condition", step_s: float | None = None) -> float:
        """Wait (loop seconds) until ``condition()``; the loop time it held. Fails the
        test, saying ``what`` and where things stand, when it does not hold in time."""
        timeout_s = self.wait_s if timeout_s is None else timeout_s
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not condition():
            if loop.time() >= deadline:
                raise AssertionError(f"{what}: not within {timeout_s:.0f} s\n{self.describe()}")
            await asyncio.sleep(self.poll_s if step_s is None else step_s)
        at = loop.time()
        await asyncio.sleep(0)
        return at

    @abstractmethod
    def describe(self) -> str:
        """Where the robots and dishes stand, a line each, for a failing test's message."""

    # -- what the controller believes ----------------------------------------------------
    def dish(self, order_id: str, index: int = 0) -> Dish:
        return self.controller.book.orders[order_id].dishes[index]

    @property
    def dishes(self) -> list[Dish]:
        return list(self.controller.book.dishes.values())

    def record(self, serial: str) -> RobotRecord:
        return self.controller.robots[serial]

    def events(self, kind: str) -> list[Event]:
        return [e for e in self.controller.events if e.kind == kind]

    def trips_of(self, serial: str) -> list[Trip]:
        return [t for t in self.controller.trips.values() if t.robot == serial]
