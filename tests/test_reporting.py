"""``fleet.reporting`` on records made by hand: every figure checked against a count
done by hand, in milliseconds, with no store and no simulator."""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType

import pytest

from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.domain.orders import Dish, DishState
from fleet.domain.trips import Trip, TripKind, TripState
from fleet.reporting import Records, Window, dish_history, records_span, shift_report
from fleet.reporting.figures import robot_timeline
from fleet.reporting.tables import tidy_tables

H = 3600.0


def dish(dish_id: str, table: str, *, ordered: float, ready: float | None = None,
         wait: float | None = None, state: DishState = DishState.SERVED, robot: str = "R1",
         reason: str = "", pass_place: str = "pass") -> Dish:
    d = Dish(dish_id=dish_id, order_id=dish_id.partition("/")[0], table=table,
             created_at=ordered, ready_at=ready, state=state, robot=robot, reason=reason,
             pass_place=pass_place)
    if wait is not None and ready is not None:
        d.at_table_at = ready + wait
        d.served_at = ready + wait + 5.0  # the guest's time to take it is not a wait
    return d


DISHES = [
    dish("A/1", "T1", ordered=100.0, ready=200.0, wait=30.0),
    dish("A/2", "T1", ordered=100.0, ready=210.0, wait=50.0, robot="R2"),
    dish("B/1", "T10", ordered=H + 100.0, ready=H + 300.0, wait=400.0),
    dish("B/2", "T10", ordered=H + 100.0, ready=H + 320.0, state=DishState.FAILED,
         reason="guest absent", robot="R2"),
    dish("C/1", "T2", ordered=2 * H + 110.0, state=DishState.CANCELLED, reason="guest left",
         robot="", pass_place="bar"),
    dish("C/2", "T2", ordered=2 * H + 120.0, ready=2 * H + 130.0, state=DishState.READY,
         robot="", pass_place="bar"),
]
TRIPS = [
    Trip("t1", "R1", TripKind.SERVE, [], created_at=190.0, state=TripState.DONE,
         finished_at=290.0),
    Trip("t2", "R2", TripKind.SERVE, [], created_at=200.0, state=TripState.ABORTED,
         finished_at=400.0, reason="e-stop"),
    Trip("t3", "R1", TripKind.CHARGE, [], created_at=2 * H, state=TripState.ACTIVE),
]
EVENTS = [
    Event(ev.ORDER_RECEIVED, 100.0, order_id="A"),
    Event(ev.DISH_READY, 200.0, order_id="A", dish_id="A/1"),
    Event(ev.DISH_ASSIGNED, 200.0, robot="R1", order_id="A", dish_id="A/1", trip_id="t1"),
    Event(ev.TRIP_ASSIGNED, 200.0, robot="R1", trip_id="t1"),
    Event(ev.DISH_ASSIGNED, 200.5, robot="R1", order_id="A", dish_id="A/2", trip_id="t9"),
    Event(ev.DISHES_LATE, 205.0, order_id="A", dish_id="A/2",
          data=MappingProxyType({"dishes": ["A/2", "A/1"]})),
    Event(ev.ROBOT_ARRIVED, 230.0, robot="R1", trip_id="t1"),
    Event(ev.DISH_SERVED, 235.0, robot="R1", order_id="A", dish_id="A/1"),
    Event(ev.ROBOT_ERROR_REPORTED, 240.0, robot="R1", trip_id="t1"),
    Event(ev.ROBOT_ERROR_REPORTED, 250.0, robot="R2"),
    Event(ev.TRIP_FINISHED, 290.0, robot="R1", trip_id="t1"),
    Event(ev.ORDER_RECEIVED, H + 100.0, order_id="B"),
    Event(ev.ROBOT_CONNECTION_CHANGED, 2.5 * H, robot="R3"),
]
RECORDS = Records(DISHES, TRIPS, EVENTS)


@pytest.fixture(scope="module")
def report() -> dict[str, object]:
    return shift_report(RECORDS, late_s=300.0)


def test_counts_waits_and_reasons(report: dict[str, object]) -> None:
    assert report["dishes"] == {"ordered": 6, "served": 3, "failed": 1, "cancelled": 1,
                                "by_staff": 0, "open": 1, "failed_without_reason": 0}
    # waits 30, 50, 400 (at the table, not taken off the tray): p95 between 50 and 400.
    assert report["wait_s"] == {"mean": 160.0, "p50": 50.0, "p95": 365.0, "max": 400.0}
    assert report["failed_reasons"] == {"guest absent": 1}
    assert report["cancelled_reasons"] == {"guest left": 1}


def test_the_span_runs_from_the_first_record_to_the_last(report: dict[str, object]) -> None:
    assert records_span(RECORDS) == (100.0, 2.5 * H)
    assert report["span"] == {"start": 100.0, "end": 2.5 * H, "seconds": 2.5 * H - 100.0}
    assert records_span(Records([], [], [])) is None


def test_hours_count_dishes_by_when_they_were_ordered(report: dict[str, object]) -> None:
    # Hours run from the span's start (100 s), not from the clock's zero.
    hours = report["per_hour"]
    assert isinstance(hours, list)
    assert [(h["hour"], h["ordered"], h["served"], h["failed"], h["cancelled"], h["open"])
            for h in hours] == [(0, 2, 2, 0, 0, 0), (1, 2, 1, 1, 0, 0), (2, 2, 0, 0, 1, 1)]
    assert [h["wait_max_s"] for h in hours] == [50.0, 400.0, None]
    assert hours[-1]["to_s"] == 2.5 * H - 100.0


def test_tables_and_passes_sort_naturally(report: dict[str, object]) -> None:
    tables = report["per_table"]
    assert isinstance(tables, list)
    assert [(t["table"], t["ordered"], t["wait_mean_s"]) for t in tables] == \
        [("T1", 2, 40.0), ("T2", 2, None), ("T10", 2, 400.0)]
    passes = report["per_pass"]
    assert isinstance(passes, list)
    assert [(p["pass"], p["ordered"]) for p in passes] == [("bar", 2), ("pass", 4)]


def test_robots_trips_dishes_and_time_on_trips(report: dict[str, object]) -> None:
    robots = {r["robot"]: r for r in report["per_robot"]}  # type: ignore[attr-defined]
    assert set(robots) == {"R1", "R2"}  # R3 only connected: it did nothing to count
    r1, r2 = robots["R1"], robots["R2"]
    assert (r1["trips"], r1["serve_trips"], r1["charge_trips"], r1["aborted_trips"]) == \
        (2, 1, 1, 0)
    assert (r2["trips"], r2["aborted_trips"], r2["dishes_served"], r2["dishes_failed"]) == \
        (1, 1, 1, 1)
    assert (r1["dishes_served"], r1["faults"], r2["faults"]) == (2, 1, 1)
    # t1 100 s, and the charge trip still open at the end: 2 h -> 2.5 h.
    assert r1["on_trips_s"] == 100.0 + 0.5 * H
    assert r1["on_trips_pct"] == pytest.approx(100 * (100.0 + 0.5 * H) / (2.5 * H - 100.0),
                                               abs=1e-3)


def test_late_dishes_are_served_ones_past_the_bound(report: dict[str, object]) -> None:
    assert report["late"] == [{"dish": "B/1", "order": "B", "table": "T10", "robot": "R1",
                               "ready_s": H + 200.0, "at_table_s": H + 600.0,
                               "wait_s": 400.0}]
    assert [r["dish"] for r in shift_report(RECORDS, late_s=40.0)["late"]] == ["B/1", "A/2"]


def test_a_window_counts_dishes_ordered_in_it_and_clips_trips() -> None:
    part = shift_report(RECORDS, Window(H, 2 * H + 115.0))
    assert [r["ordered"] for r in part["per_hour"]] == [2, 1]
    assert part["dishes"]["ordered"] == 3
    assert part["span"] == {"start": H, "end": 2 * H + 115.0, "seconds": H + 115.0}
    robots = {r["robot"]: r for r in part["per_robot"]}
    assert robots["R1"]["on_trips_s"] == 115.0  # the charge trip's first 115 s
    assert robots["R1"]["trips"] == 1
    assert "R2" in robots  # no trip in the window, but it failed a dish ordered in it


def test_tidy_tables_have_fixed_columns_and_carry_the_rows(report: dict[str, object]) -> None:
    tables = {t.name: t for t in tidy_tables(report)}
    assert list(tables) == ["summary", "per_hour", "per_table", "per_pass", "per_robot",
                            "late_dishes", "outcome_reasons"]
    for table in tables.values():
        for row in table.rows:
            assert set(row) == set(table.columns), table.name
    summary = {r["figure"]: r["value"] for r in tables["summary"].rows}
    assert summary["dishes_served"] == 3 and summary["wait_p95_s"] == 365.0
    assert summary["late_dishes"] == 1
    assert tables["outcome_reasons"].rows == (
        {"outcome": "failed", "reason": "guest absent", "dishes": 1},
        {"outcome": "cancelled", "reason": "guest left", "dishes": 1})
    json.dumps(report)


def test_an_empty_store_reports_zeros() -> None:
    empty = shift_report(Records([], [], []))
    assert empty["dishes"]["ordered"] == 0
    assert empty["wait_s"]["mean"] is None
    assert empty["per_robot"] == [] and empty["late"] == []
    assert len(empty["per_hour"]) == 1


def test_a_dishs_history_follows_its_order_trips_and_alerts() -> None:
    a1 = dataclasses.replace(DISHES[0], trip_id="t1")
    kinds = [(e.kind, e.at) for e in dish_history(a1, EVENTS)]
    assert kinds == [(ev.ORDER_RECEIVED, 100.0), (ev.DISH_READY, 200.0),
                     (ev.DISH_ASSIGNED, 200.0), (ev.TRIP_ASSIGNED, 200.0),
                     (ev.DISHES_LATE, 205.0), (ev.ROBOT_ARRIVED, 230.0),
                     (ev.DISH_SERVED, 235.0), (ev.TRIP_FINISHED, 290.0)]
    # Not another order's events, nor a robot's fault on the same trip, nor A/2's trip.
    a2 = [e.kind for e in dish_history(DISHES[1], EVENTS)]
    assert a2 == [ev.ORDER_RECEIVED, ev.DISH_ASSIGNED, ev.DISHES_LATE]


def test_history_puts_events_in_time_order_keeping_ties_as_recorded() -> None:
    d = dish("X/1", "T1", ordered=0.0)
    late_written = [Event(ev.DISH_READY, 5.0, dish_id="X/1"),
                    Event(ev.ORDER_RECEIVED, 1.0, order_id="X"),
                    Event(ev.DISH_ASSIGNED, 5.0, dish_id="X/1")]
    assert [e.kind for e in dish_history(d, late_written)] == \
        [ev.ORDER_RECEIVED, ev.DISH_READY, ev.DISH_ASSIGNED]


def test_the_timeline_clips_trips_to_the_window() -> None:
    assert robot_timeline(RECORDS) == {
        "R1": [("serve", 90.0, 190.0), ("charge", 2 * H - 100.0, 2.5 * H - 100.0)],
        "R2": [("serve", 100.0, 300.0)]}
    assert robot_timeline(RECORDS, Window(250.0, 2 * H + 50.0)) == {
        "R1": [("serve", 0.0, 40.0), ("charge", 2 * H - 250.0, 2 * H - 200.0)],
        "R2": [("serve", 0.0, 150.0)]}


def test_a_late_dish_staff_carried_is_listed_with_staff_for_the_robot() -> None:
    carried = dish("D/1", "T3", ordered=50.0, ready=100.0, state=DishState.BY_STAFF, robot="")
    carried.served_at = 520.0
    report = shift_report(Records([carried], [], []), late_s=300.0)
    assert report["dishes"]["by_staff"] == 1
    assert report["late"] == [{"dish": "D/1", "order": "D", "table": "T3", "robot": "staff",
                               "ready_s": 50.0, "at_table_s": 470.0, "wait_s": 420.0}]
