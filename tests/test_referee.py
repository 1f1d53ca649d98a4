"""The referee catches collisions, swaps and unreleased nodes when they are forced."""

from __future__ import annotations

import asyncio

import pytest
from linkcontract import make_order
from simkit import MODEL, open_floor, run_checked, until

from fleet.floor import load_floor
from fleet.floor.model import Cell
from sim.referee import Referee, RefereeError, ViolationKind
from sim.robot import SimRobot
from sim.world import World


def blind_world(*, strict: bool = False) -> World:
    """Robots with their sensors off: only the referee stands between them."""
    plan = open_floor()
    return World(plan, seed=1, referee=Referee(plan, strict=strict), sensing=False)


def robot_at(world: World, serial: str, cell: Cell) -> SimRobot:
    robot = SimRobot(serial, MODEL, world, cell)
    robot.start()
    return robot


def test_driving_through_a_standing_robot_is_a_collision() -> None:
    async def main() -> None:
        world = blind_world()
        robot_at(world, "b", (2, 4))
        mover = robot_at(world, "a", (2, 1))
        mover.receive_order(make_order(world.plan, "o1", [(2, c) for c in range(1, 7)]))
        await until(lambda: not mover.busy)
        assert world.referee is not None
        [v] = world.referee.violations
        assert (v.kind, v.robots, v.cell) == (ViolationKind.COLLISION, ("a", "b"), (2, 4))
        assert v.at > 0

    run_checked(main())


def test_two_robots_trading_cells_is_a_swap() -> None:
    async def main() -> None:
        world = blind_world()
        a = robot_at(world, "a", (2, 3))
        b = robot_at(world, "b", (2, 4))
        a.receive_order(make_order(world.plan, "oa", [(2, 3), (2, 4)]))
        b.receive_order(make_order(world.plan, "ob", [(2, 4), (2, 3)]))
        await until(lambda: not (a.busy or b.busy))
        assert world.referee is not None
        kinds = [(v.kind, v.robots) for v in world.referee.violations]
        assert (ViolationKind.SWAP, ("b", "a")) in kinds
        assert world.referee.summary()["swap"] == 1

    run_checked(main())


def test_entering_an_unreleased_node_is_recorded_and_a_strict_referee_raises() -> None:
    async def main() -> None:
        world = blind_world(strict=True)
        robot_at(world, "a", (2, 3))
        with pytest.raises(RefereeError) as caught:
            world.start_move("a", (2, 3), (2, 4), "r2c4", released=False)
        assert caught.value.violation.kind is ViolationKind.UNRELEASED
        assert "r2c4" in str(caught.value)

    run_checked(main())


def test_a_robot_in_a_one_lane_partner_cell_counts_as_a_collision() -> None:
    async def main() -> None:
        plan = load_floor("maps/bistro.toml")
        world = World(plan, referee=Referee(plan), sensing=False)
        cell, partners = sorted(plan.conflicts.items())[0]
        partner = partners[0]
        start = next(n for n in plan.neighbours(partner) if n != cell
                     and n not in plan.conflicts.get(cell, ()) and n not in partners)
        robot_at(world, "a", cell)
        robot_at(world, "b", start)
        world.start_move("b", start, partner, "x", released=True)
        assert world.referee is not None
        [v] = world.referee.violations
        assert (v.kind, v.cell) == (ViolationKind.COLLISION, partner)

    run_checked(main())


def test_with_sensors_on_robots_wait_instead_and_nothing_is_broken() -> None:
    async def main() -> None:
        plan = open_floor()
        world = World(plan, referee=Referee(plan, strict=True))
        a = robot_at(world, "a", (2, 3))
        b = robot_at(world, "b", (2, 4))
        a.receive_order(make_order(plan, "oa", [(2, 3), (2, 4), (2, 5)]))
        b.receive_order(make_order(plan, "ob", [(2, 4), (2, 3), (2, 2)]))
        await asyncio.sleep(600)
        assert a.busy and b.busy, "head-on in one lane: both wait (a deadlock for traffic)"
        assert world.referee is not None
        assert world.referee.violations == [] and world.referee.near_misses == 2

    run_checked(main())


def test_placing_a_robot_on_another_is_a_collision() -> None:
    async def main() -> None:
        world = blind_world()
        robot_at(world, "a", (1, 1))
        robot_at(world, "b", (1, 1))
        assert world.referee is not None
        assert [v.kind for v in world.referee.violations] == [ViolationKind.COLLISION]

    run_checked(main())
