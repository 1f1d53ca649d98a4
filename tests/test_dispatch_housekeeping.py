"""Battery, charging, parking and bussing: what robots do besides serving."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fleet.dispatch import (
    BussingRequest,
    DishView,
    RobotView,
    TravelTimes,
    battery_ok,
    housekeeping,
    make_policy,
    plan_bussing,
)
from fleet.domain import Priority, RobotMode, RobotModel, StopKind, TripKind
from fleet.floor.loader import load_floor
from fleet.floor.model import Cell, PlaceKind

MAPS = Path(__file__).resolve().parent.parent / "maps"
MODEL = RobotModel(name="tray-bot", manufacturer="sim", trays=3, speed=1.0, acceleration=0.5,
                   turn_time=1.0, capacity_wh=500.0, drive_w=90.0, idle_w=15.0, charge_w=250.0,
                   low_percent=25.0, full_percent=95.0)
# A robot whose battery drains 1 % per second of driving, so trips test the battery.
THIRSTY = dataclasses.replace(MODEL, name="thirsty", capacity_wh=2.5)
AISLE: Cell = (15, 15)


@pytest.fixture(scope="module")
def bistro() -> TravelTimes:
    times = TravelTimes(load_floor(MAPS / "bistro.toml"), MODEL)
    assert times.plan.is_passable(AISLE)
    assert all(AISLE not in p.cells for p in times.plan.places.values())
    return times


def robot(serial: str, cell: Cell, *, battery: float = 90.0, mode: RobotMode = RobotMode.IDLE,
          model: RobotModel = MODEL, trays_free: int | None = None,
          at_pass: str | None = None) -> RobotView:
    return RobotView(serial, model, mode, cell, 0.0, battery,
                     model.trays if trays_free is None else trays_free, at_pass)


def spot(times: TravelTimes, place: str, i: int = 0) -> Cell:
    return times.plan.place(place).cells[i]


def kinds_of(times: TravelTimes, place: str) -> PlaceKind:
    return times.plan.place(place).kind


# -- battery --------------------------------------------------------------------------------
def test_battery_ok_counts_the_trip_and_the_way_to_a_charger(bistro: TravelTimes) -> None:
    r = robot("r1", spot(bistro, "pass"), model=THIRSTY, battery=40.0)
    to_dock = bistro.to_charger("pass")
    assert to_dock == pytest.approx(min(bistro.between("pass", f"dock {i}") for i in (1, 2, 3)))
    per_s = THIRSTY.drive_percent(1.0)
    margin = 40.0 - 5.0 - to_dock * per_s  # seconds of driving left before the reserve
    assert battery_ok(r, 0.9 * margin / per_s, bistro, end="pass")
    assert not battery_ok(r, 1.1 * margin / per_s, bistro, end="pass")
    assert not battery_ok(r, 0.9 * margin / per_s, bistro, end="pass", idle_seconds=10_000.0)


def test_a_robot_never_leaves_for_a_trip_its_battery_cannot_finish(bistro: TravelTimes) -> None:
    ranked = sorted(bistro.plan.tables, key=lambda t: bistro.between("pass", t.name))
    near, far = ranked[0].name, ranked[-1].name
    r = robot("r1", spot(bistro, "pass"), model=THIRSTY, battery=45.0, at_pass="pass")
    assert r.battery > THIRSTY.low_percent
    for name in ("fleet", "baseline"):
        policy = make_policy(name)
        far_dish = DishView("far", "o1", far, 1, 0.0, Priority.NORMAL, "pass")
        near_dish = DishView("near", "o2", near, 1, 0.0, Priority.NORMAL, "pass")
        assert policy.plan(1.0, [far_dish], [r], bistro) == []
        [plan] = policy.plan(1.0, [near_dish], [r], bistro)
        assert plan.dish_ids == ("near",)


def test_below_the_threshold_a_robot_charges_and_serves_nothing(bistro: TravelTimes) -> None:
    low = robot("low", spot(bistro, "pass"), battery=20.0, at_pass="pass")
    dish = DishView("d", "o", bistro.plan.tables[0].name, 1, 0.0, Priority.NORMAL, "pass")
    for name in ("fleet", "baseline"):
        assert make_policy(name).plan(1.0, [dish], [low], bistro) == []
    [trip] = housekeeping(1.0, [low], bistro)
    assert trip.kind is TripKind.CHARGE and trip.robot == "low"
    [stop] = trip.stops
    assert stop.kind is StopKind.CHARGE and kinds_of(bistro, stop.place) is PlaceKind.CHARGER
    nearest = min(("dock 1", "dock 2", "dock 3"),
                  key=lambda d: bistro.from_cell(spot(bistro, "pass"), d))
    assert stop.place == nearest


def test_low_robots_share_out_the_free_chargers(bistro: TravelTimes) -> None:
    robots = [robot(f"r{i}", AISLE, battery=10.0 + i) for i in range(4)]
    taken = [spot(bistro, "dock 2")]
    trips = housekeeping(1.0, robots, bistro, occupied=taken)
    charging = [t for t in trips if t.kind is TripKind.CHARGE]
    assert sorted(t.stops[0].place for t in charging) == ["dock 1", "dock 3"]
    assert {t.robot for t in charging} == {"r0", "r1"}  # the flattest first
    # the others do not stay in the aisle
    assert {t.robot for t in trips} == {"r0", "r1", "r2", "r3"}


def test_a_charger_is_taken_by_a_robot_bound_for_it_or_standing_in_its_footprint(
        bistro: TravelTimes) -> None:
    """Counting by cells alone sent four robots to one charger that looked free: one
    was on its way with no route yet, another stood where a robot on the spot would
    overlap it. They queued in the aisle for minutes."""
    plan = bistro.plan
    docks = [p.name for p in plan.places_of(PlaceKind.CHARGER)]
    low = [robot(f"r{i}", AISLE, battery=10.0 + i) for i in range(2)]
    # Every dock but the last is bound for; a robot stands beside the last one's
    # cell, inside its footprint (or on it, where the footprint is the cell alone).
    last = spot(bistro, docks[-1])
    beside = next((c for c in plan.footprint(last) if c != last), last)
    trips = housekeeping(1.0, low, bistro, occupied=[beside],
                         bound={name: 1 for name in docks[:-1]})
    assert not [t for t in trips if t.kind is TripKind.CHARGE], "no charger is free"
    trips = housekeeping(1.0, low, bistro, bound={name: 1 for name in docks[:-1]})
    assert [t.stops[0].place for t in trips if t.kind is TripKind.CHARGE] == [docks[-1]]


def test_a_charged_robot_gives_its_charger_to_one_that_needs_it(bistro: TravelTimes) -> None:
    docks = [spot(bistro, p.name) for p in bistro.plan.places_of(PlaceKind.CHARGER)]
    sitting = [robot(f"c{i}", cell, battery=70.0 + i, mode=RobotMode.CHARGING)
               for i, cell in enumerate(docks)]
    flat = robot("flat", AISLE, battery=12.0)
    trips = housekeeping(1.0, [*sitting, flat], bistro)
    moved = [t for t in trips if t.robot.startswith("c")]
    assert [(t.robot, t.kind) for t in moved] == [(sitting[-1].serial, TripKind.PARK)], \
        "the fullest one, 30 points above the neediest, moves off; one a round"
    assert "gives the charger" in str(moved[0].reason)
    # None is charged enough above it: they keep charging and the flat one waits.
    close = [dataclasses.replace(r, battery=30.0) for r in sitting]
    assert not [t for t in housekeeping(1.0, [*close, flat], bistro) if t.robot != "flat"]


def test_never_housekeeping_for_a_robot_with_loaded_trays(bistro: TravelTimes) -> None:
    loaded = robot("r1", AISLE, battery=10.0, trays_free=1)
    assert housekeeping(1.0, [loaded], bistro) == []


def test_a_charging_robot_stays_until_full(bistro: TravelTimes) -> None:
    dock = spot(bistro, "dock 1")
    charging = robot("r1", dock, battery=60.0, mode=RobotMode.CHARGING)
    assert housekeeping(1.0, [charging], bistro) == []
    full = dataclasses.replace(charging, battery=96.0)
    [trip] = housekeeping(1.0, [full], bistro)
    assert trip.kind is TripKind.PARK and trip.stops[0].place == "pass"
    assert housekeeping(1.0, [full], bistro, stage_at_pass=False) == []


def test_idle_on_a_charger_tops_up(bistro: TravelTimes) -> None:
    [trip] = housekeeping(1.0, [robot("r1", spot(bistro, "dock 3"), battery=70.0)], bistro)
    assert (trip.kind, trip.stops[0].place) == (TripKind.CHARGE, "dock 3")


# -- parking --------------------------------------------------------------------------------
def test_idle_robots_in_an_aisle_fill_the_pass_spots_then_park(bistro: TravelTimes) -> None:
    n_spots = len(bistro.plan.place("pass").cells)
    robots = [robot(f"r{i}", AISLE) for i in range(n_spots + 2)]
    trips = housekeeping(1.0, robots, bistro)
    places = [t.stops[0].place for t in trips]
    assert len(trips) == len(robots)
    assert places.count("pass") == n_spots
    assert all(t.stops[0].kind in (StopKind.PARK, StopKind.CHARGE) for t in trips)
    rest = [kinds_of(bistro, p) for p in places if p != "pass"]  # then the 2 nooks
    assert sorted(rest) == [PlaceKind.PARKING, PlaceKind.PARKING]


def test_a_pass_reserve_keeps_loading_spots_free(bistro: TravelTimes) -> None:
    n_spots = len(bistro.plan.place("pass").cells)
    robots = [robot(f"r{i}", AISLE) for i in range(n_spots + 2)]
    trips = housekeeping(1.0, robots, bistro, pass_reserve=1)
    assert [t.stops[0].place for t in trips].count("pass") == n_spots - 1


def test_without_staging_idle_robots_park_in_the_nook(bistro: TravelTimes) -> None:
    [trip] = housekeeping(1.0, [robot("r1", AISLE)], bistro, stage_at_pass=False)
    assert trip.kind is TripKind.PARK
    assert kinds_of(bistro, trip.stops[0].place) is PlaceKind.PARKING
    assert trip.est_finish == pytest.approx(1.0 + bistro.from_cell(AISLE, trip.stops[0].place))


def test_robots_at_the_pass_stay_and_parked_ones_move_up_to_a_free_spot(
        bistro: TravelTimes) -> None:
    waiting = robot("pass", spot(bistro, "pass"), at_pass="pass")
    parked = robot("nook", spot(bistro, "nook 1"))
    [trip] = housekeeping(1.0, [waiting, parked], bistro)
    assert (trip.robot, trip.stops[0].place, trip.kind) == ("nook", "pass", TripKind.PARK)
    assert housekeeping(1.0, [waiting, parked], bistro, stage_at_pass=False) == []
    full = {c for c in bistro.plan.place("pass").cells}
    assert housekeeping(1.0, [parked], bistro, occupied=full) == []


def test_busy_or_unavailable_robots_are_left_alone(bistro: TravelTimes) -> None:
    busy = dataclasses.replace(robot("r1", AISLE), free_at=50.0, mode=RobotMode.WORKING)
    fault = robot("r2", AISLE, mode=RobotMode.FAULT, battery=5.0)
    assert housekeeping(1.0, [busy, fault], bistro) == []


# -- bussing ----------------------------------------------------------------------------------
def test_bussing_collects_at_the_table_and_unloads_at_the_dish_return(
        bistro: TravelTimes) -> None:
    table = bistro.plan.tables[0].name
    near = robot("near", spot(bistro, table))
    far = robot("far", spot(bistro, "dock 1"))
    half = robot("half", spot(bistro, table), trays_free=1)
    requests = [BussingRequest("C3", 20.0), (table, 10.0)]
    trips = plan_bussing(30.0, requests, [far, half, near], bistro, bistro.plan)
    assert [(t.robot, t.stops[0].place) for t in trips] == [("near", table), ("far", "C3")]
    for trip in trips:
        collect, unload = trip.stops
        assert trip.kind is TripKind.BUS and trip.dish_ids == ()
        assert collect.kind is StopKind.COLLECT
        assert (unload.kind, unload.place) == (StopKind.UNLOAD, "dish return")
        assert collect.trays == ("tray1", "tray2", "tray3") == unload.trays
        assert trip.est_finish > 30.0


def test_bussing_sends_no_more_robots_than_the_dish_return_has_room_for(
        bistro: TravelTimes) -> None:
    table = bistro.plan.tables[0].name
    idle = [robot("a", spot(bistro, table)), robot("b", spot(bistro, "dock 1"))]
    requests = [BussingRequest("C3", 20.0), (table, 10.0)]
    assert [t.stops[0].place for t in plan_bussing(30.0, requests, idle, bistro, bistro.plan,
                                                   max_trips=1)] == [table]  # oldest first
    assert plan_bussing(30.0, requests, idle, bistro, bistro.plan, max_trips=0) == []
