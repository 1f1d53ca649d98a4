"""Shared pieces for simulator tests: a robot model, small floors, a state recorder,
a world with fixed staff and guest times, and a clock runner that fails on callback errors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from planbuild import plan_from_grid

from fleet.clock import run
from fleet.controller.core import Controller
from fleet.controller.legs import node_id
from fleet.domain import RobotModel
from fleet.floor.model import Cell, FloorPlan
from fleet.vda import Action, ActionState, ActionStatus, ConnectionState, RobotState
from sim.referee import Referee
from sim.robot import SimRobot
from sim.world import World

T = TypeVar("T")

MODEL = RobotModel(name="tray-bot", manufacturer="fleet-sim", trays=3, speed=1.0,
                   acceleration=0.5, turn_time=1.0, capacity_wh=500.0, drive_w=90.0,
                   idle_w=15.0, charge_w=250.0, low_percent=25.0, full_percent=95.0)


def open_floor() -> FloorPlan:
    """Five rows by twelve columns of open floor, 0.5 m cells."""
    return plan_from_grid("\n".join(["." * 12] * 5), name="open")


class Recorder:
    """A robot listener that keeps everything it hears."""

    def __init__(self) -> None:
        self.states: list[RobotState] = []
        self.connections: list[tuple[ConnectionState, float]] = []

    def robot_state(self, state: RobotState) -> None:
        self.states.append(state)

    def robot_connection(self, state: ConnectionState, at: float) -> None:
        self.connections.append((state, at))

    @property
    def last(self) -> RobotState:
        return self.states[-1]


async def until(condition: Callable[[], bool], timeout_s: float = 600.0,
                step_s: float = 0.05) -> float:
    """Wait (on the loop's clock) until ``condition()``; the loop time then. Returns a
    loop turn later, so that reports made at that moment have been delivered."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(timeout_s):
        while not condition():  # noqa: ASYNC110 (polls ground truth; virtual time is free)
            await asyncio.sleep(step_s)
    at = loop.time()
    await asyncio.sleep(0)
    return at


def run_checked(main: Coroutine[Any, Any, T]) -> T:
    """``fleet.clock.run`` on virtual time, failing when any loop callback raised (a
    strict referee raises inside the robot's timer callbacks, where asyncio would
    only log it)."""
    raised: list[BaseException] = []

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        raised.append(error if isinstance(error, BaseException)
                      else RuntimeError(str(context.get("message"))))

    async def checked() -> T:
        asyncio.get_running_loop().set_exception_handler(handler)
        return await main

    result = run(checked(), clock="virtual")
    if raised:
        raise raised[0]
    return result


ROW = [(2, c) for c in range(1, 11)]


def make_robot(world: World, cell: Cell = (2, 1), serial: str = "bot-1",
               seed: int = 1) -> tuple[SimRobot, Recorder]:
    robot = SimRobot(serial, MODEL, world, cell, seed=seed)
    rec = Recorder()
    robot.attach(rec)
    robot.start()
    return robot, rec


def fixed_world(*, guest_absent: bool = False) -> World:
    """Staff take 4 s per tray, guests 10 s to take their dishes."""
    plan = open_floor()
    return World(plan, seed=1, referee=Referee(plan, strict=True),
                 staff_load_s=lambda: 4.0, guest_take_s=lambda: 10.0,
                 guest_absent=lambda: guest_absent)


def pick(tray: str, dish: str) -> Action:
    return Action("pick", f"pick-{tray}", parameters={"lhd": tray, "loadId": dish,
                                                     "loadType": "dish"})


def errors_of(robot: SimRobot) -> list[str]:
    return [e.error_type for e in robot.errors]


def leg_finished(ctl: Controller, serial: str, cell: Cell) -> dict[str, Any]:
    """State-report fields of ``serial`` standing on ``cell`` of its leg with every action
    of the leg finished: a robot fed by hand doing its stop's work at once."""
    leg = ctl.robots[serial].leg
    assert leg is not None
    done = tuple(ActionState(a, ActionStatus.FINISHED) for a in sorted(leg.action_ids))
    return {"order_id": leg.order_id, "order_update_id": leg.update_id,
            "last_node_id": node_id(cell), "last_node_sequence_id": 2 * leg.cells.index(cell),
            "action_states": done}


def drive_leg(ctl: Controller, serial: str, now: float, step: Callable[[float, Cell], None],
              arrived: Callable[[Cell], bool]) -> float:
    """Move ``serial`` node by node as far as traffic releases it (``step`` reports it
    at each), a second a node, until it stands at the end of its leg and ``arrived``
    says that is where it was going; the time then."""
    for _ in range(60):
        now += 1.0
        leg = ctl.robots[serial].leg
        assert leg is not None
        cell = leg.cells[min(leg.reached + 1, ctl.traffic.released(serial), len(leg.cells) - 1)]
        step(now, cell)
        if cell == leg.cells[-1] and arrived(cell):
            return now
    raise AssertionError(f"{serial} never got there")
