"""VDA 5050 protocol cases between the controller and simulated vehicles over a real
Mosquitto: what a vehicle refuses, ignores or fails, vehicles and the broker going
away mid-trip, and vehicles out of the controller's hands. Each case runs a small
site (``tests/mqttsite.py``) on a clock ten times the wall and ends with every
dish final and the referee's count of violations at zero."""

from __future__ import annotations

import dataclasses
import itertools
import os
import signal
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO
from e2e import ONE_TRAY, small_room
from mqttsite import ROOT, Site, run_site, sim_robots

from fleet.config import load_config
from fleet.controller import tripwatch
from fleet.domain import DishState, RobotMode, TripState
from fleet.domain import events as ev
from fleet.floor import load_floor
from fleet.floor.model import Cell
from fleet.vda import (
    ActionStatus,
    ConnectionState,
    Edge,
    Node,
    NodePosition,
    OperatingMode,
    Order,
    RobotState,
)
from sim.robot import SimRobot
from sim.run import start_cells

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed "
                                 "(.ci/run installs it)"),
              pytest.mark.timeout(240)]


PASS: Cell = (1, 0)
"""A loading spot of the small room: a robot idle there stays; its first leg is one node."""
CHARGER: Cell = (4, 5)
"""Away from the pass: an idle robot here is first sent to wait at the pass, so its
first leg is a route of several nodes released piece by piece."""
STARTS = [PASS, CHARGER]


def node(cell: Cell, seq: int, *, released: bool = True) -> Node:
    return Node(f"r{cell[0]}c{cell[1]}", seq, released)


def path_order(order_id: str, update_id: int, cells: list[Cell], released: int) -> Order:
    """An order over ``cells`` with the first ``released`` nodes in the base."""
    nodes = tuple(node(c, 2 * i, released=i < released) for i, c in enumerate(cells))
    edges = tuple(Edge(f"{a.node_id}-{b.node_id}", b.sequence_id - 1, b.released, a.node_id,
                       b.node_id) for a, b in itertools.pairwise(nodes))
    return Order(order_id, update_id, nodes, edges)


def served(site: Site) -> bool:
    return site.all_final() and all(d.state is DishState.SERVED for d in site.dishes)


# -- 0: a vehicle that speaks VDA 5050 2.0.0 only (issue 13) ---------------------------------

def test_a_strict_2_0_vehicle_serves_a_dish_for_a_2_0_robot_model(tmp_path: Path) -> None:
    """A third-party 2.0.0-only vehicle refuses a 2.1 header, instant actions under the
    2.1 key and nodes without allowedDeviationXY (``MqttVehicle(strict=True)``). With
    its model configured as 2.0.0 on its own map, every order and instant action the
    controller sends is taken, and the dish is served."""
    model = dataclasses.replace(ONE_TRAY, protocol_version="2.0.0", map_id="bistro-ground")

    async def scene(site: Site) -> None:
        vehicle, rec = site.vehicles["R1"], site.record("R1")
        assert vehicle.strict and vehicle.vehicle.version == "2.0.0"
        await site.until(lambda: rec.mode is RobotMode.IDLE, what="R1 idle")
        command = site.controller.instant(rec, "stateRequest", site.now())
        action_id = command.actions[0].action_id
        await site.runtime.execute([command])

        def requested() -> bool:
            action = rec.state.action(action_id) if rec.state else None
            return action is not None and action.status is ActionStatus.FINISHED

        await site.until(requested, what="the instant action taken under instantActions")
        oid = await site.order("table-1")
        await site.until(lambda: served(site), 150.0, what="dish served")
        assert site.dish(oid).state is DishState.SERVED
        sent = site.runtime.sent_to["R1"]
        assert sent and all(n.position is not None and n.position.map_id == "bistro-ground"
                            and n.position.allowed_deviation_xy is not None
                            for o in sent for n in o.nodes)
        assert vehicle.counters.rejected == 0
        assert not site.reported("validationError")
        assert not site.events(ev.MAP_MISMATCH_DETECTED)

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path, model=model, strict=True)


# -- 1, 2, 3: updates and cancels the vehicle refuses or ignores ----------------------------

def test_an_order_left_from_a_previous_controller_run_does_not_confuse_the_new_one(
        tmp_path: Path) -> None:
    """A restarted controller whose order ids started again at 1 would send updates the
    vehicle calls stale (it still holds update 5 of ``R1-1``). Ids carry the run, so
    the new controller's orders are new orders and the dish is served."""
    async def scene(site: Site) -> None:
        robot = site.robots["R1"]
        await site.publish_order("R1", path_order("R1-1", 5, [robot.cell], 1))
        await site.until(lambda: robot.track.order_update_id == 5, what="crafted order taken")
        await site.order("table-1")
        await site.until(lambda: served(site), 150.0, what="dish served")
        sent = {o.order_id for o in site.runtime.sent_to["R1"]}
        assert "R1-1" not in sent
        assert all(i.startswith(f"R1-{site.controller.run_id}-") for i in sent)
        assert not site.reported("orderUpdateError")

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)


def test_an_update_the_vehicle_calls_stale_is_renumbered_after_its_own(tmp_path: Path) -> None:
    """Our own order, but the vehicle holds a higher update of it (as from a controller
    that crashed before recording what it sent): our next update would be stale, so
    the controller renumbers after the vehicle's own, from the vehicle's decision
    point, and the trip completes."""
    async def scene(site: Site) -> None:
        robot = site.robots["R1"]
        oid = await site.order("table-1")
        def driving_our_leg() -> bool:
            leg = site.record("R1").leg
            return (site.dish(oid).state is DishState.ON_THE_WAY and leg is not None
                    and robot.track.order_id == leg.order_id
                    and len(robot.track.remaining) >= 2)

        await site.until(driving_our_leg, 150.0, what="on the way, on the serving leg")
        order_id, update_id = robot.track.order_id, robot.track.order_update_id
        node_id, seq, cell = robot.track.decision_point()
        x, y = site.plan.anchor_of(cell)
        stitch = Node(node_id, seq, True, NodePosition(x, y))
        bumped = update_id + 50
        await site.publish_order("R1", Order(order_id, bumped, (stitch,), ()))
        await site.until(lambda: robot.track.order_update_id == bumped,
                         what="vehicle took the bumped update")
        await site.until(lambda: served(site), 200.0, what="dish served")
        assert max(o.order_update_id for o in site.runtime.sent_to["R1"]
                   if o.order_id == order_id) > bumped

    run_site(small_room(), {"R1": CHARGER}, scene, tmp=tmp_path)


def test_a_duplicate_order_update_is_ignored(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        robot, vehicle = site.robots["R1"], site.vehicles["R1"]
        oid = await site.order("table-1")
        # Loading takes a while: the leg to the pass is wholly released and sent.
        await site.until(lambda: site.dish(oid).state is DishState.ASSIGNED
                         and site.record("R1").goal_since is not None,
                         what="loading at the pass")
        last = site.runtime.sent_to["R1"][-1]
        assert robot.track.order_id == last.order_id
        update_id, steps = robot.track.order_update_id, list(robot.track.steps)
        actions = dict(robot.actions.states)
        received = vehicle.counters.received
        for _ in range(2):
            await site.links["R1"].send_order(last)
        await site.until(lambda: vehicle.counters.received >= received + 2,
                         what="both copies delivered")
        assert robot.track.order_update_id == update_id == last.order_update_id
        assert robot.track.steps == steps
        assert robot.errors == []
        assert robot.actions.states.keys() == actions.keys()  # nothing added or dropped
        await site.until(lambda: served(site), what="dish served")
        assert not site.events(ev.ROBOT_ERROR_REPORTED)

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path, staff_load_s=20.0)


def test_cancel_order_without_an_order_fails_and_the_controller_carries_on(
        tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        rec = site.record("R1")
        await site.until(lambda: rec.mode is RobotMode.IDLE, what="R1 idle")
        command = site.controller.instant(rec, "cancelOrder", site.now())
        action_id = command.actions[0].action_id
        await site.runtime.execute([command])

        def failed() -> bool:
            state = rec.state
            action = state.action(action_id) if state else None
            return action is not None and action.status is ActionStatus.FAILED

        await site.until(failed, what="cancelOrder FAILED in R1's state")
        assert rec.state is not None
        assert "noOrderToCancel" in {e.error_type for e in rec.state.errors}
        assert site.reported("noOrderToCancel", "R1")
        assert action_id not in rec.unconfirmed  # seen: not resent for ever
        await site.order("table-2")
        await site.until(lambda: served(site), what="dish served after the failed cancel")

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)


# -- 4: orders the vehicle refuses ------------------------------------------------------------

@pytest.mark.parametrize("start", STARTS, ids=["at-pass", "away"])
def test_a_busy_vehicle_refuses_the_order_and_the_controller_cancels_and_resends(
        tmp_path: Path, start: Cell) -> None:
    async def scene(site: Site) -> None:
        robot = site.robots["R1"]
        # Another master's order: one released node where it stands and a horizon,
        # so the vehicle stands still but is busy in the spec's sense.
        beside = (start[0], start[1] + 1)
        await site.publish_order("R1", path_order("X-busy", 0, [start, beside], 1))
        await site.until(lambda: robot.track.order_id == "X-busy",
                         what="vehicle busy with another master's order")
        assert robot.busy
        await site.order("table-1")
        await site.until(lambda: bool(site.reported("orderError", "R1")),
                         what="orderError reported")
        await site.until(lambda: served(site), 150.0, what="dish served")
        assert site.instants_sent("R1", "cancelOrder")
        assert robot.track.order_id.startswith("R1-")
        assert site.record("R1").trip is None

    run_site(small_room(), {"R1": start}, scene, tmp=tmp_path)


class RefusingRobot(SimRobot):
    """A vehicle with a fault that refuses every order, as its spec allows: one
    current ``orderError`` naming the order it refused."""

    def receive_order(self, order: Order) -> None:
        self.clear_errors("orderError")
        self.add_error("orderError", f"order {order.order_id}: drive unit not ready",
                       order_id=order.order_id)


def test_a_vehicle_that_keeps_refusing_loses_the_trip_to_another_robot(
        tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        oid = await site.order("table-1")
        await site.until(lambda: site.dish(oid).robot == "R1", what="dish given to R1")
        await site.until(lambda: any("refused its order" in (t.reason or "")
                                     for t in site.trips_of("R1")), 150.0,
                         what="R1's trip given up")
        await site.until(site.all_final, 150.0, what="every dish final")
        dish = site.dish(oid)
        assert dish.state is DishState.SERVED and dish.robot == "R2"
        assert len(site.reported("orderError", "R1")) >= 1

    run_site(small_room(), {"R1": PASS, "R2": (0, 0)}, scene, tmp=tmp_path,
             kinds={"R1": RefusingRobot})


# -- 5, 6: vehicles and the broker going away mid-trip ---------------------------------------

def test_a_vehicle_that_drops_off_mid_trip_is_held_and_comes_back(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        robot, rec = site.robots["R1"], site.record("R1")
        first = await site.order("table-1")
        await site.order("table-2")
        await site.until(lambda: site.dish(first).state is DishState.ON_THE_WAY
                         and robot.moving, what="R1 on its way to table-1")
        trip = rec.trip
        robot.set_online(False)  # TCP dropped without DISCONNECT: the will fires
        await site.until(lambda: rec.mode is RobotMode.OFFLINE, 30.0, what="R1 offline")
        assert rec.connection is ConnectionState.CONNECTIONBROKEN
        released = site.controller.traffic.released("R1")
        await site.until(lambda: site.now() > rec.last_state_at + 10.0, what="10 s off")
        assert site.controller.traffic.released("R1") == released  # held
        robot.set_online(True)
        await site.until(lambda: rec.mode is not RobotMode.OFFLINE, 30.0, what="R1 back")
        await site.until(lambda: served(site), 200.0, what="both dishes served")
        assert trip is not None and trip.state is TripState.DONE
        assert site.vehicles["R1"].counters.sessions == 2

    run_site(small_room(), {"R1": PASS, "R2": (0, 0)}, scene, tmp=tmp_path)


@pytest.mark.parametrize("serves", [False, True],
                         ids=["rejoins", "serves-from-where-it-reappears"])
def test_a_killed_vehicle_process_loses_its_trip_and_rejoins_when_restarted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, serves: bool) -> None:
    monkeypatch.setattr(tripwatch, "OFFLINE_ABORT_S", 30.0)
    cfg = load_config(ROOT / "config.toml", env={})
    model = cfg.robot_model()
    map_path = ROOT / "maps" / "bistro.toml"
    plan = load_floor(map_path)
    table = plan.tables[0].name

    async def scene(site: Site) -> None:
        rec = site.record("R1")
        await site.runtime.execute(site.controller.pause("M1", site.now()))
        async with sim_robots(site, map_path, 1) as proc:
            await site.until(lambda: rec.mode is RobotMode.IDLE, 60.0, what="R1 online")
            first = await site.order(table)
            await site.until(lambda: site.dish(first).state is DishState.ON_THE_WAY,
                             what="R1 carrying the dish")
            os.kill(proc.pid, signal.SIGKILL)
            await site.until(lambda: rec.connection is ConnectionState.CONNECTIONBROKEN, 60.0,
                             what="the broker's will: CONNECTIONBROKEN")
            await site.until(lambda: rec.trip is None, 120.0, what="trip aborted")
        aborted = [t for t in site.trips_of("R1") if t.state is TripState.ABORTED]
        assert aborted and "offline" in (aborted[0].reason or "")
        dish = site.dish(first)
        assert dish.state.final and "offline" in dish.reason
        async with sim_robots(site, map_path, 1):
            await site.until(lambda: rec.connection is ConnectionState.ONLINE
                             and rec.mode is RobotMode.IDLE, 60.0, what="R1 online again")
            second = await site.order(table)
            await site.until(lambda: site.dish(second).robot == "R1", 60.0,
                             what="the restarted vehicle given a new trip")
            if serves:
                await site.until(lambda: site.dish(second).state is DishState.SERVED, 120.0,
                                 what="the restarted vehicle serves")

    run_site(plan, {"M1": start_cells(plan, 2)[1]}, scene, tmp=tmp_path, model=model,
             remote={"R1": model})


def test_the_broker_restarts_mid_trip_and_the_service_completes(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        first = await site.order("table-1")
        await site.order("table-2")
        await site.order("table-3")
        await site.until(lambda: site.dish(first).state is DishState.ON_THE_WAY,
                         what="a dish on its way")
        await site.broker.stop()
        # The controller's connection notices at once that its socket closed.
        await site.until(lambda: all(r.mode is RobotMode.OFFLINE
                                     for r in site.controller.robots.values()), 30.0,
                         what="every robot offline to the controller")
        await site.broker.start()
        await site.until(lambda: all(r.mode is not RobotMode.OFFLINE
                                     for r in site.controller.robots.values()), 60.0,
                         what="every robot back")
        await site.until(lambda: served(site), 300.0, what="every dish served")
        assert site.master.online
        assert all(v.counters.sessions == 1 for v in site.vehicles.values())

    run_site(small_room(), {"R1": PASS, "R2": (0, 0)}, scene, tmp=tmp_path)


# -- 7: out of the controller's hands ---------------------------------------------------------

class ManualRobot(SimRobot):
    """A vehicle whose operator can take it over (operatingMode MANUAL)."""

    operating_mode = OperatingMode.AUTOMATIC

    def state(self, now: float | None = None) -> RobotState:
        return dataclasses.replace(super().state(now), operating_mode=self.operating_mode)


def test_a_vehicle_taken_into_manual_mode_loses_its_trip(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        robot, rec = site.robots["R1"], site.record("R1")
        assert isinstance(robot, ManualRobot)
        oid = await site.order("table-1")
        await site.until(lambda: site.dish(oid).state is DishState.ON_THE_WAY,
                         what="R1 carrying the dish")
        robot.operating_mode = OperatingMode.MANUAL
        robot.request_state()
        await site.until(lambda: rec.mode is RobotMode.MANUAL, 30.0, what="R1 manual")
        aborted = [t for t in site.trips_of("R1") if t.state is TripState.ABORTED]
        assert aborted and "manual" in (aborted[0].reason or "")
        dish = site.dish(oid)
        assert dish.state.final and "manual" in dish.reason
        later = await site.order("table-2")
        await site.until(lambda: site.dish(later).state is DishState.SERVED, 200.0,
                         what="R2 serves while R1 is manual")
        assert site.dish(later).robot == "R2"

    run_site(small_room(), {"R1": PASS, "R2": CHARGER}, scene, tmp=tmp_path,
             kinds={"R1": ManualRobot})


def test_an_e_stopped_vehicle_is_held_in_traffic_and_resumes(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        robot, rec = site.robots["R1"], site.record("R1")
        oid = await site.order("table-1")
        await site.until(lambda: site.dish(oid).state is DishState.ON_THE_WAY
                         and robot.moving, what="R1 on its way")
        robot.set_e_stop(True)
        await site.until(lambda: rec.mode is RobotMode.ESTOPPED, 30.0, what="R1 e-stopped")
        assert site.controller.traffic._track("R1").held is not None
        released, cell = site.controller.traffic.released("R1"), robot.cell
        await site.until(lambda: site.now() > rec.last_state_at + 10.0, what="10 s stopped")
        assert site.controller.traffic.released("R1") == released and robot.cell == cell
        robot.set_e_stop(False)
        await site.until(lambda: served(site), 200.0, what="dish served after the e-stop")
        assert rec.trip is None and site.trips_of("R1")[0].state is TripState.DONE

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)
