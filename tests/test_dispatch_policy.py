"""Serving policies on the real bistro and food-court plans: who goes, with what, when."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fleet.dispatch import (
    DishView,
    FleetPolicy,
    RobotView,
    ServeSettings,
    TravelTimes,
    TripPlan,
    make_policy,
)
from fleet.domain import Priority, RobotMode, RobotModel, StopKind, TripKind
from fleet.floor.loader import load_floor
from fleet.floor.model import Cell

MAPS = Path(__file__).resolve().parent.parent / "maps"
MODEL = RobotModel(name="tray-bot", manufacturer="sim", trays=3, speed=1.0, acceleration=0.5,
                   turn_time=1.0, capacity_wh=500.0, drive_w=90.0, idle_w=15.0, charge_w=250.0,
                   low_percent=25.0, full_percent=95.0)
ONE_TRAY = dataclasses.replace(MODEL, name="one-tray", trays=1)


@pytest.fixture(scope="module")
def bistro() -> TravelTimes:
    return TravelTimes(load_floor(MAPS / "bistro.toml"), MODEL)


@pytest.fixture(scope="module")
def court() -> TravelTimes:
    return TravelTimes(load_floor(MAPS / "food-court.toml"), MODEL)


def dish(dish_id: str, table: str, ready_at: float = 0.0, *, trays: int = 1,
         priority: Priority = Priority.NORMAL, pass_place: str = "pass") -> DishView:
    return DishView(dish_id, f"order-{dish_id}", table, trays, ready_at, priority, pass_place)


def robot(serial: str, cell: Cell, *, model: RobotModel = MODEL, at_pass: str | None = None,
          free_at: float = 0.0, battery: float = 90.0, mode: RobotMode = RobotMode.IDLE,
          trays_free: int | None = None) -> RobotView:
    return RobotView(serial, model, mode, cell, free_at, battery,
                     model.trays if trays_free is None else trays_free, at_pass)


def at_pass(times: TravelTimes, serial: str, spot: int = 0, **kw: object) -> RobotView:
    cell = times.plan.place("pass").cells[spot]
    return robot(serial, cell, at_pass="pass", **kw)  # type: ignore[arg-type]


def near_far(times: TravelTimes, *, second: bool = False) -> tuple[str, str]:
    """The table nearest the pass and the farthest (or the second nearest)."""
    ranked = sorted(times.plan.tables, key=lambda t: times.between("pass", t.name))
    return ranked[0].name, ranked[1 if second else -1].name


def served(plans: Sequence[TripPlan]) -> dict[str, str]:
    """dish -> robot."""
    return {d: p.robot for p in plans for d in p.dish_ids}


FLEET = make_policy("fleet")
BASELINE = make_policy("baseline")


# -- trip shape -------------------------------------------------------------------------
def test_a_trip_loads_at_the_pass_then_serves_each_table_once(bistro: TravelTimes) -> None:
    near, far = near_far(bistro, second=True)
    dishes = [dish("a", near), dish("b", far, trays=2), dish("c", near)]
    rush = FleetPolicy(ServeSettings(), robot_weight=3.0)  # robot time is dear: batch
    [plan] = rush.plan(10.0, dishes, [at_pass(bistro, "r1", trays_free=4,
                                               model=dataclasses.replace(MODEL, trays=4))],
                        bistro)
    load, *serves = plan.stops
    assert plan.kind is TripKind.SERVE
    assert load.kind is StopKind.LOAD and load.place == "pass"
    assert sorted(load.trays) == ["tray1", "tray2", "tray3", "tray4"]
    assert sorted(load.dishes) == ["a", "b", "b", "c"]  # a two-tray dish rides on two trays
    assert [s.kind for s in serves] == [StopKind.SERVE, StopKind.SERVE]
    assert {s.place for s in serves} == {near, far}
    for stop in serves:  # each table gets its own dishes on the trays they were loaded on
        loaded = dict(zip(load.trays, load.dishes, strict=True))
        assert all(loaded[t] == d for t, d in zip(stop.trays, stop.dishes, strict=True))
    assert serves[0].place == near  # nothing is late: the near table first
    assert set(plan.est_waits) == {"a", "b", "c"}
    assert plan.est_waits["a"] < plan.est_waits["b"]
    assert plan.est_finish > plan.est_waits["b"]  # ready at 0, then the guests' time


# -- batching ---------------------------------------------------------------------------
def test_two_dishes_for_one_table_ride_together(bistro: TravelTimes) -> None:
    _, far = near_far(bistro)
    robots = [at_pass(bistro, "r1"), at_pass(bistro, "r2", spot=1)]
    plans = FLEET.plan(5.0, [dish("a", far, 0.0), dish("b", far, 2.0)], robots, bistro)
    assert len(plans) == 1
    assert set(plans[0].dish_ids) == {"a", "b"}
    assert [s.place for s in plans[0].stops] == ["pass", far]
    base = BASELINE.plan(5.0, [dish("a", far, 0.0), dish("b", far, 2.0)], robots, bistro)
    assert sorted(len(p.dish_ids) for p in base) == [1, 1]


def test_free_robots_leave_at_once_rather_than_wait_for_more_dishes(bistro: TravelTimes) -> None:
    near, _ = near_far(bistro)
    plans = FLEET.plan(0.0, [dish("a", near)], [at_pass(bistro, "r1")], bistro)
    assert [p.dish_ids for p in plans] == [("a",)]


# -- fairness, deadline, priority ---------------------------------------------------------
def one_tray_robot(times: TravelTimes) -> list[RobotView]:
    return [at_pass(times, "r1", model=ONE_TRAY)]


def test_an_old_dish_is_served_before_a_newer_nearer_one(bistro: TravelTimes) -> None:
    near, far = near_far(bistro)
    dishes = [dish("new", near, 50.0), dish("old", far, 0.0)]
    assert served(FLEET.plan(60.0, dishes, one_tray_robot(bistro), bistro)) == {"old": "r1"}


def test_the_cold_deadline_raises_urgency(bistro: TravelTimes) -> None:
    near, far = near_far(bistro)
    d_far = bistro.between("pass", far) + 5.0
    now = 250.0 - d_far  # "cold" would miss the deadline's margin; "older" would not
    dishes = [dish("older", near, 0.0), dish("cold", far, 10.0)]
    assert served(FLEET.plan(now, dishes, one_tray_robot(bistro), bistro)) == {"cold": "r1"}
    relaxed = make_policy("fleet", cold_food_s=3600.0)
    assert served(relaxed.plan(now, dishes, one_tray_robot(bistro), bistro)) == {"older": "r1"}


def test_high_priority_goes_first(bistro: TravelTimes) -> None:
    near, far = near_far(bistro)
    dishes = [dish("normal", near, 0.0), dish("vip", far, 30.0, priority=Priority.HIGH)]
    assert served(FLEET.plan(40.0, dishes, one_tray_robot(bistro), bistro)) == {"vip": "r1"}


# -- choice of robot ----------------------------------------------------------------------
def test_the_robot_waiting_at_the_pass_is_chosen_over_one_elsewhere(bistro: TravelTimes) -> None:
    near, _ = near_far(bistro)
    nook = bistro.plan.place("dock 1").cells[0]
    robots = [robot("far", nook), at_pass(bistro, "here")]
    assert served(FLEET.plan(0.0, [dish("a", near)], robots, bistro)) == {"a": "here"}


def test_a_dish_is_held_for_a_busy_robot_that_will_be_at_the_pass_much_sooner(
        bistro: TravelTimes) -> None:
    near, far = near_far(bistro)
    dock = bistro.plan.place("dock 1").cells[0]
    pass_cell = bistro.plan.place("pass").cells[0]
    far_robot = robot("idle-far", bistro.plan.place(far).cells[0])
    busy = robot("busy", pass_cell, at_pass="pass", free_at=3.0, mode=RobotMode.WORKING)
    assert FLEET.plan(0.0, [dish("a", near)], [far_robot, busy], bistro) == []
    # ... but not for one that is slower than a free robot
    idle_dock = robot("idle", dock)
    late = dataclasses.replace(busy, free_at=60.0)
    assert served(FLEET.plan(0.0, [dish("a", near)], [idle_dock, late], bistro)) == {"a": "idle"}


def test_a_charging_robot_is_pulled_off_only_when_needed(bistro: TravelTimes) -> None:
    near, _ = near_far(bistro)
    dock = bistro.plan.place("dock 1").cells[0]
    nook = bistro.plan.place("nook 1").cells[0]
    charging = robot("charging", dock, battery=80.0, mode=RobotMode.CHARGING)
    idle = robot("idle", nook)
    assert served(FLEET.plan(0.0, [dish("a", near)], [charging, idle], bistro)) == {"a": "idle"}
    assert served(FLEET.plan(0.0, [dish("a", near)], [charging], bistro)) == {"a": "charging"}
    flat = dataclasses.replace(charging, battery=40.0)
    assert FLEET.plan(0.0, [dish("a", near)], [flat], bistro) == []


@pytest.mark.parametrize("mode", [RobotMode.PAUSED, RobotMode.FAULT, RobotMode.ESTOPPED,
                                  RobotMode.OFFLINE, RobotMode.MANUAL])
def test_unavailable_robots_get_nothing(bistro: TravelTimes, mode: RobotMode) -> None:
    near, _ = near_far(bistro)
    for policy in (FLEET, BASELINE):
        assert policy.plan(0.0, [dish("a", near)], [at_pass(bistro, "r1", mode=mode)],
                           bistro) == []


# -- baseline ------------------------------------------------------------------------------
def test_baseline_oldest_first_nearest_idle_robot_one_dish_per_trip(bistro: TravelTimes) -> None:
    near, far = near_far(bistro)
    nook = bistro.plan.place("nook 1").cells[0]
    dock = bistro.plan.place("dock 1").cells[0]
    robots = [robot("dock", dock), at_pass(bistro, "pass"), robot("nook", nook),
              robot("charging", dock, mode=RobotMode.CHARGING, battery=90.0),
              robot("busy", nook, free_at=100.0, mode=RobotMode.WORKING)]
    dishes = [dish("third", near, 20.0), dish("first", far, 0.0), dish("second", near, 10.0),
              dish("fourth", far, 30.0), dish("fifth", far, 40.0)]
    plans = BASELINE.plan(50.0, dishes, robots, bistro)
    assert [(p.dish_ids, p.robot) for p in plans] == [
        (("first",), "pass"), (("second",), "nook"), (("third",), "dock")]
    assert all(len(p.stops) == 2 for p in plans)


# -- food court ----------------------------------------------------------------------------
def test_food_court_dishes_load_at_their_own_pass(court: TravelTimes) -> None:
    table = court.plan.tables[0].name
    robots = [robot(f"r{i}", court.plan.place("ramen pass").cells[0]) for i in range(2)]
    dishes = [dish("ramen", table, 0.0, pass_place="ramen pass"),
              dish("gelato", table, 1.0, pass_place="gelato pass")]
    for policy in (FLEET, BASELINE):
        plans = policy.plan(5.0, dishes, robots, court)
        assert len(plans) == 2
        for plan in plans:
            [only] = plan.dish_ids
            assert plan.stops[0].place == f"{only} pass"
            assert plan.stops[0].kind is StopKind.LOAD


# -- capacity ------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None)
@given(st.data())
def test_no_robot_gets_more_trays_than_it_has(bistro: TravelTimes, data: st.DataObject) -> None:
    tables = [t.name for t in bistro.plan.tables]
    n_dishes = data.draw(st.integers(1, 12))
    dishes = [dish(f"d{i}", data.draw(st.sampled_from(tables)), data.draw(st.floats(0, 200)),
                   trays=data.draw(st.integers(1, 4))) for i in range(n_dishes)]
    robots = []
    for i in range(data.draw(st.integers(1, 5))):
        spot = data.draw(st.integers(0, 2))
        robots.append(at_pass(bistro, f"r{i}", spot=spot, trays_free=data.draw(st.integers(1, 3))))
    policy = data.draw(st.sampled_from([FLEET, BASELINE]))
    plans = policy.plan(200.0, dishes, robots, bistro)
    views = {r.serial: r for r in robots}
    by_id = {d.dish_id: d for d in dishes}
    seen: list[str] = []
    assert len({p.robot for p in plans}) == len(plans)
    for plan in plans:
        load = plan.stops[0]
        assert len(load.trays) == sum(by_id[d].trays for d in plan.dish_ids)
        assert len(set(load.trays)) == len(load.trays)
        assert set(load.trays) <= set(views[plan.robot].slots())
        seen.extend(plan.dish_ids)
    assert len(seen) == len(set(seen))
    assert all(by_id[d].trays <= 3 for d in seen)  # a 4-tray dish never rides


def test_a_dish_bigger_than_every_robot_is_never_planned(bistro: TravelTimes) -> None:
    near, _ = near_far(bistro)
    robots = [at_pass(bistro, "r1"), at_pass(bistro, "r2", spot=1)]
    for policy in (FLEET, BASELINE):
        plans = policy.plan(0.0, [dish("huge", near, trays=4), dish("ok", near, 1.0)], robots,
                            bistro)
        assert "huge" not in served(plans) and "ok" in served(plans)


def test_make_policy_names(bistro: TravelTimes) -> None:
    assert make_policy("fleet").name == "fleet"
    assert make_policy("baseline").name == "baseline"
    assert isinstance(make_policy("fleet", cold_food_s=120.0), FleetPolicy)
    with pytest.raises(ValueError, match="known: fleet, baseline"):
        make_policy("nope")  # type: ignore[arg-type]
    assert ServeSettings().cold_food_s == 300.0


@pytest.mark.parametrize("name", ["fleet", "baseline"])
def test_in_a_mixed_fleet_each_robot_is_timed_at_its_own_pace(name: str) -> None:
    """A slow robot near the pass is there later than a fast one farther off: each
    view carries its own model's times (issue 16: every robot was timed with the
    first idle robot's model)."""
    plan = load_floor(MAPS / "bistro.toml")
    slow_model = dataclasses.replace(MODEL, name="slow", speed=0.2)
    fast_model = dataclasses.replace(MODEL, name="fast", speed=1.5)
    slow_times, fast_times = TravelTimes(plan, slow_model), TravelTimes(plan, fast_model)
    near, far = (6, 16), (11, 4)
    assert slow_times.from_cell(near, "pass") > 2 * fast_times.from_cell(far, "pass")
    slow = dataclasses.replace(robot("SLOW", near, model=slow_model), travel=slow_times)
    fast = dataclasses.replace(robot("FAST", far, model=fast_model), travel=fast_times)
    # The times the policy is given are the slow model's: nearer is sooner by those.
    plans = make_policy(name).plan(0.0, [dish("d1", "A1")], [slow, fast], slow_times)
    assert [p.robot for p in plans if p.dish_ids] == ["FAST"]
