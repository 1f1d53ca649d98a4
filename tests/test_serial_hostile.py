"""Hostile input on a real pty (``sim.hostile_frames``): frames broken on the line
and well-framed nonsense from firmware with bugs. The controller's serial link
refuses each with its reason in words naming the line, stays up (never offline,
never reopened), and the robot on that line is still served: an order sent after
the garbage is driven to its end."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from itertools import islice

import pytest
from linkcontract import make_order
from simkit import MODEL, open_floor, until

from drivers.serial.link import SerialRobotLink
from drivers.serial.port import Backoff
from drivers.serial.pump import SessionTimings
from drivers.serial.refusals import Refusals
from fleet.floor.model import Cell
from fleet.link import ConnectionChanged, LinkEvent, StateReceived
from fleet.vda import ConnectionState, RobotState
from sim.hostile_frames import (
    LINE_MAKERS,
    LINE_REASONS,
    MESSAGE_MAKERS,
    MESSAGE_REASONS,
    line_frames,
    nonsense_messages,
)
from sim.referee import Referee
from sim.robot import SimRobot
from sim.serial_robot import SerialRobot
from sim.world import World

pytestmark = pytest.mark.integration

FAST = replace(MODEL, speed=5.0, acceleration=50.0, turn_time=0.05)
ROUTE: list[Cell] = [(2, c) for c in range(1, 9)]
TIMINGS = SessionTimings(retransmit_s=0.05, max_retransmit_s=0.4, heartbeat_s=0.2,
                         silence_s=2.0)
"""Quick, but patient enough with silence that a busy machine does not look like a
robot gone (the test asserts the link never went offline)."""


@asynccontextmanager
async def robot_on_a_pty() -> AsyncIterator[tuple[SerialRobot, SimRobot]]:
    plan = open_floor()
    world = World(plan, seed=1, referee=Referee(plan, strict=True))
    robot = SimRobot("V1", FAST, world, ROUTE[0], seed=1)
    try:
        async with SerialRobot(robot, timings=TIMINGS) as firmware:
            yield firmware, robot
    finally:
        robot.close()


class Events:
    def __init__(self, link: SerialRobotLink) -> None:
        self.link = link
        self.seen: list[LinkEvent] = []
        self.task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.link.events():
            self.seen.append(event)

    @property
    def states(self) -> list[RobotState]:
        return [e.state for e in self.seen if isinstance(e, StateReceived)]

    @property
    def connections(self) -> list[ConnectionState]:
        return [e.state for e in self.seen if isinstance(e, ConnectionChanged)]


async def refused(refusals: Refusals, inject: Callable[[], None], again_s: float = 0.0
                  ) -> tuple[Counter[str], str]:
    """The reasons counted for what ``inject`` put on the line, and the line logged for
    it. ``again_s``: inject again after that long with nothing refused (the firmware
    replaces a state not yet sent with a newer one, so a forged state may never go)."""
    before = Counter(refusals.counts)

    def told() -> bool:
        return refusals.counts.total() > before.total()

    async with asyncio.timeout(10.0):
        while not told():
            inject()
            with contextlib.suppress(TimeoutError):
                await until(told, again_s or 10.0, 0.01)
    return refusals.counts - before, refusals.recent[-1]


async def drive(link: SerialRobotLink, robot: SimRobot, events: Events, order_id: str,
                cells: list[Cell]) -> None:
    await link.send_order(make_order(open_floor(), order_id, cells))
    end = f"r{cells[-1][0]}c{cells[-1][1]}"
    await until(lambda: any(s.order_id == order_id and s.last_node_id == end and not s.busy
                            for s in events.states), 30.0, 0.02)
    assert robot.cell == cells[-1]


def test_hostile_frames_are_refused_in_words_and_the_robot_is_still_served() -> None:
    async def main() -> None:
        async with robot_on_a_pty() as (firmware, robot):
            link = SerialRobotLink("V1", firmware.address, timings=TIMINGS,
                                   backoff=Backoff(0.05, 0.5))
            async with link:
                events = Events(link)
                await until(lambda: bool(events.states), 10.0, 0.02)
                where = f"V1 on {firmware.address}: "

                for kind, data in islice(line_frames(7), 3 * len(LINE_MAKERS)):
                    reasons, line = await refused(link.refusals,
                                                  lambda data=data: firmware.line.write(data))
                    assert set(reasons) <= LINE_REASONS[kind], (kind, reasons, line)
                    assert line.startswith(where + "frame refused, ")
                    assert any(f"refused, {r}: " in line for r in reasons), line
                await drive(link, robot, events, "after-the-line", ROUTE)

                good = events.states[-1]
                for kind, frame_type, body in islice(nonsense_messages(7, good),
                                                     2 * len(MESSAGE_MAKERS)):
                    reasons, line = await refused(
                        link.refusals, lambda t=frame_type, b=body: firmware.send_raw(t, b),
                        again_s=1.0)
                    assert set(reasons) <= MESSAGE_REASONS[kind], (kind, reasons, line)
                    assert line.startswith(where) and "refused, " in line, line
                await drive(link, robot, events, "after-the-nonsense", ROUTE[::-1])

                assert events.connections == [ConnectionState.ONLINE], "the link went down"
                assert link.opens == 1 and link.online
                assert {s.serial for s in events.states} == {"V1"}, "a forged state got in"
                stats = link.session_stats
                assert stats is not None and {"crc", "oversize", "version", "hello", "type",
                                              "body", "direction"} <= set(stats.rejected)
                events.task.cancel()

    async def bounded() -> None:
        async with asyncio.timeout(120.0):
            await main()

    asyncio.run(bounded())
