"""The simulated robot behaves like a VDA 5050 vehicle on a restaurant floor."""

from __future__ import annotations

import asyncio
import dataclasses
import math

import pytest
from linkcontract import make_order
from simkit import ROW, errors_of, fixed_world, make_robot, open_floor, pick, run_checked, until

from fleet.routing import travel_time_s
from fleet.vda import Action, ActionStatus, BlockingType, Order
from sim.faults import Faults
from sim.referee import Referee
from sim.world import World


def test_a_straight_run_takes_the_travel_time_estimate() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, rec = make_robot(world)
        cells = ROW[:7]
        robot.receive_order(make_order(world.plan, "o1", cells))
        done = await until(lambda: robot.cell == cells[-1] and not robot.busy)
        expected = travel_time_s(world.plan, cells, speed=1.0, acceleration=0.5, turn_time=1.0)
        assert done == pytest.approx(expected, abs=0.06)
        assert rec.last.last_node_id == "r2c7" and rec.last.last_node_sequence_id == 12
        assert robot.tally().distance_m == pytest.approx(3.0)
        reached = [s.last_node_id for s in rec.states]
        assert reached == sorted(set(reached), key=reached.index)  # one node at a time, in order
        assert {f"r2c{c}" for c in range(1, 8)} <= set(reached)

    run_checked(main())


def test_turns_cost_turn_time_and_stop_the_robot() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, _ = make_robot(world, (0, 1))
        cells = [(0, 1), (0, 2), (0, 3), (1, 3), (2, 3), (2, 4), (2, 5)]
        robot.receive_order(make_order(world.plan, "o1", cells))
        done = await until(lambda: robot.cell == cells[-1] and not robot.busy, step_s=0.01)
        expected = travel_time_s(world.plan, cells, speed=1.0, acceleration=0.5, turn_time=1.0)
        straight = travel_time_s(world.plan, ROW[:7], speed=1.0, acceleration=0.5,
                                 turn_time=1.0)
        assert done == pytest.approx(expected, abs=0.02)
        assert done > straight + 2.0  # two quarter turns and two extra stops

    run_checked(main())


def test_slow_zones_and_edge_speed_limits_slow_the_robot() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, _ = make_robot(world)
        order = make_order(world.plan, "o1", ROW[:7])
        robot.receive_order(dataclasses.replace(order, edges=tuple(
            dataclasses.replace(e, max_speed=0.3) for e in order.edges)))
        done = await until(lambda: robot.cell == ROW[6] and not robot.busy)
        assert done > 3.0 / 0.3

    run_checked(main())


def test_rejections_follow_the_acceptance_flow() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, _ = make_robot(world)
        plan = world.plan
        bad = make_order(plan, "bad", ROW[:3])
        robot.receive_order(Order("bad", 0, bad.nodes, bad.edges[:1]))
        assert errors_of(robot) == ["validationError"]
        robot.receive_order(make_order(plan, "far", ROW[3:5]))
        assert errors_of(robot) == ["validationError", "orderError"]
        robot.receive_order(make_order(plan, "odd", ROW[:2], actions={
            1: (Action("dance", "d1"),)}))
        assert errors_of(robot)[-1] == "orderError"
        assert robot.track.order_id == ""

        robot.receive_order(make_order(plan, "o1", ROW[:6], released=3, update_id=2))
        assert robot.errors == [], "an accepted order clears order errors"
        robot.receive_order(make_order(plan, "o2", ROW[:2]))
        assert errors_of(robot) == ["orderError"], "a new order while busy is refused"
        robot.receive_order(make_order(plan, "o2", ROW[:2]))
        assert errors_of(robot) == ["orderError"], "the same refusal again is one error"
        robot.receive_order(make_order(plan, "o1", ROW[:6], update_id=1))
        assert errors_of(robot)[-1] == "orderUpdateError"
        before = len(robot.errors)
        robot.receive_order(make_order(plan, "o1", ROW[:6], update_id=2))
        assert len(robot.errors) == before, "the same update again is ignored"
        robot.receive_order(make_order(plan, "o1", ROW[3:6], update_id=3, first_seq=6))
        assert errors_of(robot)[-1] == "orderUpdateError", "an update must stitch"
        robot.receive_order(make_order(plan, "o1", ROW[2:6], update_id=3, first_seq=4))
        assert robot.track.order_update_id == 3
        await until(lambda: robot.cell == ROW[5] and not robot.busy)
        robot.close()

    run_checked(main())


def test_the_robot_holds_at_the_decision_point_and_drives_on_after_an_update() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, rec = make_robot(world)
        plan = world.plan
        robot.receive_order(make_order(plan, "o1", ROW[:8], released=3))
        await asyncio.sleep(60)
        assert robot.cell == ROW[2] and not robot.driving
        assert [n.node_id for n in rec.last.node_states] == [f"r2c{c}" for c in range(4, 9)]
        assert not any(n.released for n in rec.last.node_states)
        assert rec.last.busy
        # the update may move actions of the stitching node: they are the first message's
        stitch_action = Action("finePositioning", "late")
        robot.receive_order(make_order(plan, "o1", ROW[2:8], update_id=1, first_seq=4,
                                       actions={0: (stitch_action,)}))
        await until(lambda: robot.cell == ROW[7] and not robot.busy)
        assert rec.last.action("late") is None
        assert rec.last.last_node_sequence_id == 14

    run_checked(main())


def test_pause_freezes_the_robot_and_resume_finishes_the_route() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, rec = make_robot(world)
        robot.receive_order(make_order(world.plan, "o1", ROW[:8]))
        await asyncio.sleep(2.0)
        robot.receive_instant_actions([Action("startPause", "p1", BlockingType.NONE)])
        await asyncio.sleep(0)
        held = (robot.cell, robot.tally().distance_m)
        assert rec.last.paused and not rec.last.driving
        await asyncio.sleep(30)
        assert (robot.cell, robot.tally().distance_m) == held
        robot.receive_instant_actions([Action("stopPause", "p2", BlockingType.NONE)])
        done = await until(lambda: robot.cell == ROW[7] and not robot.busy)
        alone = travel_time_s(world.plan, ROW[:8], speed=1.0, acceleration=0.5, turn_time=1.0)
        assert done >= alone + 30
        assert rec.last.action("p2").status is ActionStatus.FINISHED  # type: ignore[union-attr]

    run_checked(main())


def test_cancel_order_mid_route_stops_at_the_next_node() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, rec = make_robot(world)
        drop = Action("drop", "drop1", parameters={"lhd": "tray1"})
        robot.receive_order(make_order(world.plan, "o1", ROW[:8], actions={7: (drop,)}))
        await asyncio.sleep(2.5)
        assert robot.moving
        robot.receive_instant_actions([Action("cancelOrder", "c1", BlockingType.NONE)])
        assert robot.actions.states["c1"].status is ActionStatus.RUNNING
        await until(lambda: not robot.busy)
        stopped = robot.cell
        assert stopped not in (ROW[0], ROW[7])
        state = rec.last
        assert state.node_states == () and state.order_id == "o1"
        assert state.last_node_id == f"r{stopped[0]}c{stopped[1]}"
        assert state.action("c1").status is ActionStatus.FINISHED  # type: ignore[union-attr]
        assert state.action("drop1").status is ActionStatus.FAILED  # type: ignore[union-attr]
        await asyncio.sleep(10)
        assert robot.cell == stopped
        robot.receive_instant_actions([Action("cancelOrder", "c2", BlockingType.NONE)])
        assert robot.actions.states["c2"].status is ActionStatus.FAILED
        assert errors_of(robot) == ["noOrderToCancel"]
        assert robot.errors[0].references["actionId"] == "c2"
        robot.receive_order(make_order(world.plan, "o2", [stopped, (stopped[0] + 1,
                                                                    stopped[1])]))
        await until(lambda: not robot.busy)
        assert robot.track.order_id == "o2" and robot.errors == []

    run_checked(main())


def test_a_robot_waits_for_another_in_its_way_and_counts_the_wait() -> None:
    async def main() -> None:
        world = fixed_world()
        blocker, _ = make_robot(world, (2, 5), "blocker")
        robot, _ = make_robot(world, (2, 1), "mover")
        robot.receive_order(make_order(world.plan, "o1", ROW[:8]))
        await asyncio.sleep(30)
        assert robot.cell == (2, 4) and not robot.driving
        blocker.receive_order(make_order(world.plan, "away", [(2, 5), (1, 5), (0, 5)]))
        await until(lambda: not robot.busy)
        assert robot.cell == ROW[7]
        assert robot.tally().waiting_s > 20 and robot.tally().waits == 1
        assert world.referee is not None
        assert world.referee.violations == [] and world.referee.near_misses == 1

    run_checked(main())


def test_a_guest_in_the_aisle_holds_the_robot_until_they_step_aside() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, _ = make_robot(world)
        world.block((2, 4), until=45.0)
        robot.receive_order(make_order(world.plan, "o1", ROW[:6]))
        await asyncio.sleep(40)
        assert robot.cell == (2, 3)
        done = await until(lambda: not robot.busy)
        assert 45.0 < done < 50.0
        assert world.referee is not None and world.referee.near_misses == 0

    run_checked(main())


def _service_run(seed: int) -> list[object]:
    async def main() -> list[object]:
        plan = open_floor()
        world = World(plan, seed=seed, referee=Referee(plan, strict=True))
        robot, rec = make_robot(world, seed=seed)
        Faults(world, seed=seed).random([robot], until=3600.0)
        for trip in range(4):
            robot.receive_order(make_order(plan, f"p{trip}", ROW[:1], actions={
                0: (pick("tray1", f"d{trip}"), pick("tray2", f"e{trip}"))}))
            await until(lambda: not robot.busy, timeout_s=3600)
            robot.receive_order(make_order(plan, f"s{trip}", ROW, actions={9: (
                Action("drop", f"x{trip}", parameters={"lhd": "tray1"}),
                Action("waitForTrigger", f"w{trip}", parameters={"trays": ["tray1"]}),
                Action("drop", f"y{trip}", parameters={"lhd": "tray2"}))}))
            give_up = robot.now() + 300
            await until(lambda: not robot.busy or robot.now() > give_up,  # noqa: B023
                        timeout_s=3600)
            if robot.busy:
                robot.receive_instant_actions([Action("cancelOrder", f"c{trip}")])
                await until(lambda: not robot.busy, timeout_s=3600)
            back = [c for c in ROW[::-1] if c[1] <= robot.cell[1]]
            robot.receive_order(make_order(plan, f"r{trip}", back))
            await until(lambda: not robot.busy, timeout_s=3600)
        robot.close()
        return list(rec.states)

    return run_checked(main())


def test_the_same_seed_gives_the_same_states() -> None:
    first = _service_run(7)
    assert first == _service_run(7)
    assert first != _service_run(8)
    assert math.isfinite(first[-1].timestamp)  # type: ignore[attr-defined]
