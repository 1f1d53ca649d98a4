"""The run report: figures on known data, the free-flow bound by hand, JSON and text."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from planbuild import plan_from_grid

from fleet.domain import DishState
from fleet.domain.orders import Dish
from fleet.domain.trips import Trip, TripKind
from fleet.floor import FloorPlan, PlaceKind
from sim.report import (
    LowerBound,
    RobotTally,
    RunCounts,
    ScenarioSummary,
    build_report,
    format_report,
)


@dataclasses.dataclass(frozen=True)
class Model:
    speed: float = 1.0
    acceleration: float = 0.5
    turn_time: float = 1.0


def tiny_plan() -> FloorPlan:
    """A corridor: the pass at the west end, T1 at the east end, T2 round a corner."""
    plan = plan_from_grid(
        """
        .....
        ####.
        ####.
        """,
        places={"pass": [(0, 0)], "T1": [(0, 4)], "T2": [(2, 4)]},
    )
    places = dict(plan.places)
    places["pass"] = dataclasses.replace(places["pass"], kind=PlaceKind.PASS)
    return dataclasses.replace(plan, places=places)


def dish(dish_id: str, table: str, state: DishState, *, ready_at: float | None = None,
         reason: str = "", trays: int = 1) -> Dish:
    return Dish(dish_id=dish_id, order_id=dish_id.partition("/")[0], table=table, trays=trays,
                state=state, ready_at=ready_at, reason=reason)


def served(dish_id: str, ready: float, wait: float, table: str = "T1",
           trays: int = 1) -> Dish:
    """Presented at the table ``wait`` s after ready, and taken off the tray later still
    (the wait ends at the table, not when the guest takes it)."""
    d = dish(dish_id, table, DishState.SERVED, ready_at=ready, trays=trays)
    d.at_table_at, d.served_at = ready + wait, ready + wait + 7.0
    return d


DISHES = [
    served("A/1", 100.0, 10.0),
    served("A/2", 110.0, 20.0, trays=2),
    served("B/1", 200.0, 30.0, table="T2"),
    served("B/2", 300.0, 40.0),
    served("C/1", 400.0, 100.0, table="T2"),
    dish("C/2", "T2", DishState.FAILED, ready_at=410.0, reason="guest absent"),
    dish("D/1", "T1", DishState.FAILED, ready_at=420.0, reason="guest absent"),
    dish("D/2", "T1", DishState.FAILED, ready_at=430.0),
    dish("E/1", "T1", DishState.CANCELLED, reason="guest left"),
    dish("F/1", "T1", DishState.READY, ready_at=990.0),
]
TRIPS = [Trip(trip_id=f"t{i}", robot=robot, kind=TripKind.SERVE, stops=[], created_at=10.0 * i)
         for i, robot in enumerate(["bot-1"] * 4 + ["bot-2"] * 2)]
ROBOTS = [RobotTally("bot-1", busy_s=500.0, distance_m=120.0, traffic_wait_s=20.0),
          RobotTally("bot-2", busy_s=250.0, distance_m=80.5, traffic_wait_s=10.0)]
COUNTS = RunCounts(violations=0, deadlocks_detected=2, deadlocks_unrecovered=0, stalls_detected=5,
                   sim_seconds=1000.0, wall_seconds=0.5)
SUMMARY = ScenarioSummary(name="quiet", parties=4, orders=6, ordered_dishes=10,
                          dishes_per_hour=(10,), peak_hour_dishes=10)


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return build_report(DISHES, TRIPS, ROBOTS, COUNTS, plan=tiny_plan(), motion=Model(),
                        policy="fleet", seed=7, scenario=SUMMARY, load_s_per_tray=5.0)


def test_free_flow_times_match_a_hand_computation() -> None:
    bound = LowerBound(tiny_plan(), Model(), load_s_per_tray=5.0)
    # 2 m straight at 1 m/s with 0.5 m/s²: 2 s (1 m) up to speed, 2 s (1 m) down.
    assert bound.drive_s("pass", "T1") == pytest.approx(4.0)
    # ... then a quarter turn (1 s) and 1 m from rest to rest, never reaching top speed:
    # 0.5 m up and 0.5 m down, each sqrt(2 * 0.5 / 0.5) s.
    assert bound.drive_s("pass", "T2") == pytest.approx(4.0 + 1.0 + 2 * math.sqrt(2.0))
    assert bound.dish_s(served("X/1", 0.0, 0.0, trays=2)) == pytest.approx(10.0 + 4.0)


def test_a_dish_staff_carried_counts_apart_and_its_wait_counts_too() -> None:
    """Left out of the waits, a fleet too small for the floor would look fast: the
    dishes that waited longest are the ones staff ended up carrying."""
    carried = dish("G/1", "T1", DishState.BY_STAFF, ready_at=0.0, reason="carried by staff")
    carried.served_at, carried.pass_place = 400.0, "pass"
    by_robot = served("H/1", 0.0, 20.0)
    report = build_report([by_robot, carried], [], ROBOTS, COUNTS, plan=tiny_plan(),
                          motion=Model(),
                          policy="fleet", seed=7, scenario=SUMMARY, load_s_per_tray=5.0)
    dishes = report["dishes"]
    assert (dishes["served"], dishes["by_staff"], dishes["open"]) == (1, 1, 0)
    assert report["wait_s"]["max"] == 400.0 and report["wait_s"]["mean"] == 210.0


def test_report_figures_on_known_data(report: dict[str, object]) -> None:
    assert report["dishes"] == {"ordered": 10, "served": 5, "failed": 3, "cancelled": 1,
                                "by_staff": 0, "open": 1, "failed_without_reason": 1}
    # waits 10, 20, 30, 40, 100: p95 interpolates between 40 and 100 at 0.8.
    assert report["wait_s"] == {"mean": 40.0, "p50": 30.0, "p95": 88.0, "max": 100.0}
    to_t2 = 5.0 + 4.0 + 1.0 + 2 * math.sqrt(2.0)
    bounds = [9.0, 14.0, to_t2, 9.0, to_t2]
    lower = report["lower_bound_wait_s"]
    assert isinstance(lower, dict)
    assert lower["mean"] == pytest.approx(sum(bounds) / 5, abs=1e-3)
    assert lower["ratio"] == pytest.approx(40.0 / (sum(bounds) / 5), abs=1e-2)
    assert report["utilisation"] == {"mean": 0.375, "per_robot": {"bot-1": 0.5, "bot-2": 0.25}}
    assert report["distance_m"] == {"total": 200.5, "per_robot": {"bot-1": 120.0,
                                                                  "bot-2": 80.5}}
    assert report["traffic_wait_s"] == {"total": 30.0, "mean_per_trip": 5.0}
    assert report["failed_reasons"] == {"(no reason)": 1, "guest absent": 2}
    assert report["cancelled_reasons"] == {"guest left": 1}
    assert report["deadlocks"] == {"detected": 2, "unrecovered": 0, "stalls": 5}
    assert report["robots"] == 2
    assert report["speedup"] == 2000.0


def test_report_has_the_issues_keys_and_is_json(report: dict[str, object]) -> None:
    required = {"dishes", "wait_s", "lower_bound_wait_s", "violations", "deadlocks", "robots",
                "policy", "seed", "sim_seconds", "wall_seconds", "utilisation", "distance_m",
                "traffic_wait_s", "failed_reasons", "scenario"}
    assert required <= set(report)
    again = json.loads(json.dumps(report))
    assert again == report
    assert again["scenario"]["dishes_per_hour"] == [10]
    assert (report["policy"], report["seed"]) == ("fleet", 7)


def test_a_run_that_served_nothing_still_reports() -> None:
    empty = build_report([], [], [], RunCounts(), plan=tiny_plan(), motion=Model(),
                         policy="baseline", seed=1)
    assert empty["wait_s"] == {"mean": None, "p50": None, "p95": None, "max": None}
    assert empty["lower_bound_wait_s"]["mean"] is None
    assert empty["utilisation"]["mean"] == 0.0
    assert empty["scenario"] is None
    json.dumps(empty)
    assert "wait ready->table" in format_report(empty)


def test_dishes_without_a_pass_are_timed_from_the_nearest_one() -> None:
    plan = tiny_plan()
    places = dict(plan.places)
    places["corner pass"] = dataclasses.replace(places["T2"], name="corner pass",
                                                kind=PlaceKind.PASS)
    plan = dataclasses.replace(plan, places=places)
    bound = LowerBound(plan, Model(), load_s_per_tray=0.0)
    record = served("A/1", 0.0, 1.0)
    # T1 is 1 m from the corner pass, 2 m from the other.
    assert bound.dish_s(record) == pytest.approx(2 * math.sqrt(2.0))
    named = served("A/1", 0.0, 1.0)
    named.pass_place = "pass"
    assert bound.dish_s(named) == pytest.approx(4.0)


def test_text_report_shows_the_main_figures(report: dict[str, object]) -> None:
    text = format_report(report)
    for needle in ("quiet", "policy fleet, seed 7, 2 robots", "served 5", "p95 88.0 s",
                   "guest absent 2", "bot-1", "50.0 %", "x2,000.0"):
        assert needle in text, needle


def test_text_report_says_where_the_wait_went_largest_part_first(
        report: dict[str, object]) -> None:
    assert "wait parts" not in format_report(report)  # build_report alone has none
    parts = {"dishes": 5, "mean_wait_s": 40.0, "mean_bound_s": 20.0,
             "parts_s": {"drive_direct": 15.0, "wait_table_taken": 20.0, "traffic": 5.0}}
    line = next(row for row in format_report({**report, "wait_parts": parts}).splitlines()
                if row.startswith("wait parts"))
    assert line.split("  ", 1)[1].strip() == ("wait_table_taken 20.0  drive_direct 15.0  "
                                              "traffic 5.0")
