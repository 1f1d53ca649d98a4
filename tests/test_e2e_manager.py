"""End to end with the floor manager's hands on it: a paused robot stands still
and carries on when resumed; an e-stopped robot with dishes aboard stops while
the others keep serving around it."""

from __future__ import annotations

from e2e import Rig, run_rig, small_room

from fleet.domain import DishState, RobotMode


def test_paused_robot_stands_still_and_resumes() -> None:
    async def scene(rig: Rig) -> None:
        oid = await rig.order("table-2")
        dish = rig.dish(oid)
        await rig.until(lambda: dish.state is DishState.ON_THE_WAY, 60, "on the way")
        await rig.settle(2.0)  # between the pass and the table
        ctl = rig.controller
        await rig.runtime.execute(ctl.pause("A", rig.now()))
        paused_at = await rig.until(lambda: rig.record("A").mode is RobotMode.PAUSED, 5,
                                    "the controller shows A paused")
        await rig.settle(2.0)  # a move under way may finish, or freeze between cells
        where = rig.world.cells_of("A")
        settled = rig.now()
        await rig.settle(60.0)
        assert rig.record("A").mode is RobotMode.PAUSED
        assert rig.world.cells_of("A") == where
        assert rig.moves_of("A", since=settled) == []
        assert len(rig.moves_of("A", since=paused_at)) <= 1
        assert dish.state is DishState.ON_THE_WAY
        await rig.runtime.execute(ctl.resume("A", rig.now()))
        resumed_at = await rig.until(lambda: rig.record("A").mode is RobotMode.WORKING, 5,
                                     "the controller shows A working again")
        await rig.until(lambda: dish.state is DishState.SERVED, 120, "served after resuming")
        assert rig.moves_of("A", since=resumed_at)
        assert dish.at_table_at is not None and dish.at_table_at > paused_at + 60.0

    run_rig(small_room(), {"A": (1, 0)}, scene)


def test_e_stopped_robot_with_dishes_stops_and_others_keep_serving() -> None:
    async def scene(rig: Rig) -> None:
        first = await rig.order("table-2")
        await rig.until(lambda: rig.dish(first).state is DishState.ON_THE_WAY, 60, "on the way")
        stopped = rig.dish(first).robot
        assert stopped is not None
        await rig.settle(2.0)
        robot = rig.robots[stopped]
        assert robot.loads
        robot.set_e_stop(True)
        at = await rig.until(lambda: rig.record(stopped).mode is RobotMode.ESTOPPED, 5,
                             "the controller sees the e-stop")
        await rig.settle(2.0)
        where = rig.world.cells_of(stopped)
        settled = rig.now()
        others = [await rig.order(t) for t in ("table-1", "table-3", "table-1")]
        await rig.until(lambda: all(rig.dish(o).state.final for o in others), 300,
                        "the other robot serves meanwhile")
        assert all(rig.dish(o).state is DishState.SERVED for o in others)
        assert {rig.dish(o).robot for o in others} == {"A", "B"} - {stopped}
        assert rig.world.cells_of(stopped) == where
        assert rig.moves_of(stopped, since=settled) == []
        assert len(rig.moves_of(stopped, since=at)) <= 1
        assert rig.dish(first).state is DishState.ON_THE_WAY
        robot.set_e_stop(False)
        await rig.until(lambda: rig.dish(first).state.final, 120, "the first dish ends")
        assert rig.dish(first).state is DishState.SERVED, rig.describe()

    run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene)
