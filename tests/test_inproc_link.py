"""The in-process link passes the robot-link contract, plus its own buffer rules."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest
from linkcontract import CHECKS, LinkFactory, Peer, make_order
from simkit import MODEL, open_floor, run_checked

from fleet.errors import LinkError
from fleet.link import ConnectionChanged, RobotLink, StateReceived
from fleet.vda import ConnectionState
from sim.inproc import InProcLink
from sim.referee import Referee
from sim.robot import SimRobot
from sim.world import World


@asynccontextmanager
async def inproc(*, minimal: bool = False) -> AsyncIterator[tuple[RobotLink, Peer]]:
    plan = open_floor()
    world = World(plan, seed=3, referee=Referee(plan, strict=True))
    robot = SimRobot("bot-1", MODEL, world, (2, 1), seed=3, minimal=minimal)

    async def set_online(online: bool) -> None:
        robot.set_online(online)

    try:
        yield InProcLink(robot), Peer("bot-1", plan, [(2, c) for c in range(1, 9)], set_online)
    finally:
        robot.close()


@pytest.mark.parametrize("minimal", [False, True], ids=["fleet-vehicle", "minimal-vehicle"])
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_contract(check: Callable[[LinkFactory], Coroutine[Any, Any, None]],
                  minimal: bool) -> None:
    run_checked(check(functools.partial(inproc, minimal=minimal)))


def test_orders_reach_the_robot_on_a_later_turn_of_the_loop() -> None:
    async def main() -> None:
        async with inproc() as (link, peer):
            robot = link._robot  # type: ignore[attr-defined]
            async with link:
                await link.send_order(make_order(peer.plan, "o1", peer.route[:3]))
                assert robot.track.order_id == ""
                await asyncio.sleep(0)
                assert robot.track.order_id == "o1"

    run_checked(main())


def test_a_full_buffer_drops_old_states_but_never_connection_events() -> None:
    async def main() -> None:
        robot = SimRobot("bot-2", MODEL, World(open_floor()), (2, 1))
        link = InProcLink(robot, max_events=3)
        try:
            async with link:
                await asyncio.sleep(0)  # the first state comes in
                for online in (False, True, False, True):
                    robot.set_online(online)
                    await asyncio.sleep(0)
                got = []
                async with asyncio.timeout(1):
                    async for event in link.events():
                        got.append(event)
                        if len(got) == 5:
                            break
                kinds = [e.state for e in got if isinstance(e, ConnectionChanged)]
                assert kinds == [ConnectionState.ONLINE, ConnectionState.OFFLINE,
                                 ConnectionState.ONLINE, ConnectionState.OFFLINE,
                                 ConnectionState.ONLINE]
                assert link.dropped_states >= 2
                assert not any(isinstance(e, StateReceived) for e in got)
        finally:
            robot.close()

    run_checked(main())


def test_a_link_is_entered_once() -> None:
    async def main() -> None:
        async with inproc() as (link, _):
            async with link:
                pass
            with pytest.raises(LinkError):
                await link.__aenter__()

    run_checked(main())
