"""A bussing call the till was told "ok" for outlives the controller's process killed
with SIGKILL: the next run, started on the same SQLite file, sends a robot to that
table. Before, the call lived only in the dead process's memory, and the till, having
heard "ok", never called again.

Real parts: Mosquitto, the controller in its own process (``sim.controller_process``),
the robot a VDA 5050 vehicle on the broker, the till on the fleet API. The robot
comes online only after the kill, so the first run cannot have sent it: the call
is still waiting when the process dies, as one made while every robot is busy.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO
from e2e import ONE_TRAY, small_room

from fleet.clock import run
from fleet.domain import StopKind, TripKind
from fleet.store import SqliteStore
from sim.controller_process import ControllerProcess
from sim.robot import SimRobot
from sim.run import SimOptions
from sim.wiring import api_till, controller_spec, start_broker, start_vehicles
from sim.world import World

SPEED = 5.0
"""Site seconds per wall second: the robot's drive and the 30 s collect go quicker."""
TABLE = "table-1"


async def until(condition: Callable[[], bool], what: str, wall_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wall_s * SPEED
    while not condition():
        if loop.time() >= deadline:
            raise AssertionError(f"{what}: not within {wall_s:.0f} wall s")
        await asyncio.sleep(0.2 * SPEED)


def bus_trips_to(db: Path, table: str) -> list[str]:
    with SqliteStore(db, read_only=True) as store:
        return [t.trip_id for t in store.trips() if t.kind is TripKind.BUS and any(
            s.place == table and s.kind is StopKind.COLLECT for s in t.stops)]


def calls_kept(db: Path) -> list[str]:
    with SqliteStore(db, read_only=True) as store:
        return [table for table, _ in store.bussing_calls()]


@pytest.mark.integration
@pytest.mark.timeout(300)
@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
def test_a_bussing_call_acknowledged_before_a_kill_is_served_after_the_restart(
        tmp_path: Path) -> None:
    plan = small_room()
    db = tmp_path / "site.db"
    opts = SimOptions(plan=plan, model=ONE_TRAY, robots=1, transport="mqtt", speed=SPEED,
                      broker_kind="mosquitto", api_site="t", controller_process=True,
                      workdir=tmp_path, staff_help_s=None)
    world = World(plan, seed=1)
    robot = SimRobot("A", ONE_TRAY, world, (1, 0), seed=7)

    async def scene() -> None:
        async with contextlib.AsyncExitStack() as stack:
            url, _ = await start_broker(stack, opts)
            epoch = time.time() - asyncio.get_running_loop().time()
            spec = controller_spec(opts, [robot], url=url, store_path=db, workdir=tmp_path,
                                   epoch=epoch)
            proc = await stack.enter_async_context(ControllerProcess(spec, tmp_path))
            await proc.start()
            till = await api_till(stack, opts, url, wait_online=proc)
            await till.request_bussing(TABLE)  # "ok": the till will not call again
            await proc.kill()
            assert bus_trips_to(db, TABLE) == [], "the first run had no robot to send"

            await proc.start()
            await start_vehicles(stack, opts, [robot], url)  # the robot free at last
            await until(lambda: bool(bus_trips_to(db, TABLE)), "a robot sent to bus "
                        f"{TABLE} by the restarted controller", wall_s=60)
            table_cells = set(plan.place(TABLE).cells)
            await until(lambda: robot.cell in table_cells, f"the robot at {TABLE}", 60)
            await until(lambda: calls_kept(db) == [], "the call dropped once collected", 60)
            await proc.stop()

    try:
        run(scene(), clock="scaled", speed=SPEED)
    finally:
        robot.close()
