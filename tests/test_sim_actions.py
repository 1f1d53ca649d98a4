"""What a simulated robot's trays, battery and faults do: loads per tray, guests, staff,
charging, state cadence, e-stop, stuck and disconnect."""

from __future__ import annotations

import asyncio

import pytest
from linkcontract import make_order
from simkit import MODEL, ROW, errors_of, fixed_world, make_robot, pick, run_checked, until

from fleet.floor import load_floor
from fleet.vda import Action, ActionStatus, BlockingType, ErrorLevel, EStop, Load
from sim.faults import FaultKind, Faults
from sim.robot import STATE_INTERVAL_S, SimRobot
from sim.world import World


def test_pick_drop_and_the_guest_taking_the_dishes() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, rec = make_robot(world)
        plan = world.plan
        robot.receive_order(make_order(plan, "leg1", ROW[:1], actions={
            0: (pick("tray1", "d1"), pick("tray2", "d2"))}))
        await until(lambda: not robot.busy)
        assert robot.now() == pytest.approx(8.0)  # 4 s per tray, one after the other
        assert rec.last.loads == (Load("tray1", "d1", "dish"), Load("tray2", "d2", "dish"))
        serve = (Action("drop", "x1", parameters={"lhd": "tray1", "loadId": "d1"}),
                 Action("drop", "x2", parameters={"lhd": "tray2", "loadId": "d2"}),
                 Action("waitForTrigger", "w", parameters={"triggerType": "trayEmptied",
                                                           "trays": ["tray1", "tray2"]}))
        robot.receive_order(make_order(plan, "leg2", ROW[:4], actions={3: serve}))
        await until(lambda: robot.actions.states["w"].status is ActionStatus.RUNNING)
        assert len(robot.loads) == 2, "dishes stay on the trays until the guest takes them"
        started = robot.now()
        await until(lambda: not robot.busy)
        assert robot.now() - started == pytest.approx(10.0, abs=0.06)
        served = rec.last
        assert served.loads == ()
        assert all(served.action(i).status is ActionStatus.FINISHED  # type: ignore[union-attr]
                   for i in ("x1", "x2", "w"))

    run_checked(main())


def test_a_drop_without_a_guest_is_unloaded_by_staff() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, _ = make_robot(world)
        robot.loads["tray3"] = Load("tray3", "b1", "dirty")
        robot.receive_order(make_order(world.plan, "ret", ROW[:1], actions={
            0: (Action("drop", "u", parameters={"lhd": "tray3"}),)}))
        done = await until(lambda: not robot.busy)
        assert done == pytest.approx(4.0, abs=0.06) and robot.loads == {}

    run_checked(main())


def test_a_hard_action_that_fails_at_once_holds_up_neither_the_next_nor_the_drive() -> None:
    """A drop on an empty tray fails; the next drop still runs and the robot drives on
    (it waited for ever behind the failed one, and its stop with it)."""
    async def main() -> None:
        world = fixed_world()
        robot, rec = make_robot(world)
        robot.loads["tray2"] = Load("tray2", "b1", "dirty")
        robot.receive_order(make_order(world.plan, "ret", ROW[:3], actions={
            0: (Action("drop", "u1", parameters={"lhd": "tray1"}),
                Action("drop", "u2", parameters={"lhd": "tray2"}))}))
        await until(lambda: not robot.busy)
        last = rec.last
        assert last.action("u1").status is ActionStatus.FAILED  # type: ignore[union-attr]
        assert last.action("u2").status is ActionStatus.FINISHED  # type: ignore[union-attr]
        assert robot.loads == {} and robot.cell == ROW[2]

    run_checked(main())


def test_an_absent_guest_keeps_wait_for_trigger_running_until_cancelled() -> None:
    async def main() -> None:
        world = fixed_world(guest_absent=True)
        robot, rec = make_robot(world)
        robot.loads["tray1"] = Load("tray1", "d1")
        robot.receive_order(make_order(world.plan, "o1", ROW[:2], actions={1: (
            Action("drop", "x1", parameters={"lhd": "tray1"}),
            Action("waitForTrigger", "w", parameters={"trays": "tray1"}))}))
        await asyncio.sleep(900)
        assert rec.last.action("w").status is ActionStatus.RUNNING  # type: ignore[union-attr]
        assert rec.last.busy and robot.loads
        robot.receive_instant_actions([Action("cancelOrder", "c", BlockingType.NONE)])
        await asyncio.sleep(0)
        assert rec.last.action("w").status is ActionStatus.FAILED  # type: ignore[union-attr]
        assert rec.last.action("c").status is ActionStatus.FINISHED  # type: ignore[union-attr]
        assert not rec.last.busy
        assert rec.last.loads == (Load("tray1", "d1"),), "the dish is still on the tray"

    run_checked(main())


def test_charging_on_a_dock_raises_the_battery_and_stops_on_request() -> None:
    async def main() -> None:
        plan = load_floor("maps/bistro.toml")
        dock = plan.place("dock 1").cells[0]
        world = World(plan, seed=1)
        robot = SimRobot("bot-1", MODEL, world, dock, battery=40.0)
        robot.start()
        robot.receive_instant_actions([Action("startCharging", "s", BlockingType.NONE)])
        await asyncio.sleep(600)
        assert robot.charging
        assert robot.battery == pytest.approx(40.0 + MODEL.charge_percent(599.5), abs=0.01)
        robot.receive_instant_actions([Action("stopCharging", "t", BlockingType.NONE)])
        await asyncio.sleep(1)
        level = robot.battery
        assert not robot.charging
        await asyncio.sleep(600)
        assert robot.battery < level
        away = SimRobot("bot-2", MODEL, world, plan.place("pass").cells[0])
        away.start()
        away.receive_instant_actions([Action("startCharging", "s2", BlockingType.NONE)])
        assert away.actions.states["s2"].status is ActionStatus.FAILED
        assert errors_of(away) == ["noCharger"]
        robot.receive_instant_actions([Action("startCharging", "s3", BlockingType.NONE)])
        await until(lambda: robot.charging)
        full = await until(lambda: not robot.charging, timeout_s=10_000, step_s=10)
        assert robot.battery == pytest.approx(100.0, abs=0.01) and full > 1200

    run_checked(main())


def test_the_battery_drains_faster_when_driving() -> None:
    async def main() -> None:
        world = fixed_world()
        idle, _ = make_robot(world, (0, 1), "idle")
        busy, _ = make_robot(world, (4, 1), "busy")
        back_and_forth = [(4, c) for c in range(1, 11)] + [(4, c) for c in range(9, 0, -1)]
        for i in range(6):
            busy.receive_order(make_order(world.plan, f"o{i}", back_and_forth))
            await until(lambda: not busy.busy)
        drove = busy.tally()
        assert drove.distance_m == pytest.approx(6 * 18 * 0.5)
        spent = 100 - busy.battery
        expected = MODEL.drive_percent(drove.driving_s) + MODEL.idle_percent(
            busy.now() - drove.driving_s)
        assert spent == pytest.approx(expected, rel=1e-6)
        assert spent > 2 * (100 - idle.battery)

    run_checked(main())


def test_an_idle_robot_reports_at_least_every_30_s() -> None:
    async def main() -> None:
        world = fixed_world()
        _, rec = make_robot(world)
        await asyncio.sleep(300)
        times = [s.timestamp for s in rec.states]
        gaps = [b - a for a, b in zip([0.0, *times], [*times, 300.0], strict=True)]
        assert max(gaps) <= STATE_INTERVAL_S + 1e-6
        assert len(times) >= 10

    run_checked(main())


def test_e_stop_and_stuck_faults_stop_the_robot_for_their_duration() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, rec = make_robot(world)
        faults = Faults(world, seed=1)
        faults.schedule(robot, FaultKind.E_STOP, at=1.0, duration_s=20.0)
        faults.schedule(robot, FaultKind.STUCK, at=23.0, duration_s=15.0)
        robot.receive_order(make_order(world.plan, "o1", ROW))
        await asyncio.sleep(1.5)
        assert rec.last.e_stop is EStop.MANUAL and not rec.last.driving
        where = robot.tally().distance_m
        await asyncio.sleep(19)
        assert robot.tally().distance_m == where
        await asyncio.sleep(1)
        released = rec.last
        assert released.e_stop is EStop.NONE and robot.driving
        await until(lambda: robot.now() >= 23.5)
        assert [(e.error_type, e.level) for e in rec.last.errors] == [
            ("stuck", ErrorLevel.WARNING)]
        assert not robot.driving
        assert await until(lambda: not robot.busy) > 38.0
        assert rec.last.errors == () and robot.cell == ROW[-1]
        assert [f.kind for f in faults.injected] == [FaultKind.E_STOP, FaultKind.STUCK]

    run_checked(main())


def test_a_disconnected_robot_keeps_driving_its_base() -> None:
    async def main() -> None:
        world = fixed_world()
        robot, rec = make_robot(world)
        Faults(world).schedule(robot, FaultKind.DISCONNECT, at=1.0, duration_s=30.0)
        robot.receive_order(make_order(world.plan, "o1", ROW))
        await asyncio.sleep(2)
        heard = len(rec.states)
        await asyncio.sleep(25)
        assert len(rec.states) == heard, "nothing arrives while offline"
        assert robot.cell == ROW[-1]
        await asyncio.sleep(5)
        assert [c for c, _ in rec.connections] == ["OFFLINE", "ONLINE"]
        assert rec.last.last_node_id == "r2c10" and rec.last.node_states == ()

    run_checked(main())
