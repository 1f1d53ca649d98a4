"""Where a dish's wait goes (``sim.waits``): hand-made runs whose parts are known."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from fleet.domain import DishState, Event, Stop, StopKind, Trip, TripKind
from fleet.domain import events as ev
from fleet.domain.orders import Dish
from sim.waits import PARTS, format_parts, summarise, wait_parts

DRIVE = {("pass", "T1"): 10.0, ("pass", "T2"): 12.0, ("T1", "T2"): 6.0}


def drive(a: str, b: str) -> float:
    return DRIVE.get((a, b)) or DRIVE[(b, a)]


def served(dish_id: str, table: str, ready: float, at_table: float) -> Dish:
    return Dish(dish_id=dish_id, order_id="O1", table=table, ready_at=ready,
                at_table_at=at_table, served_at=at_table + 5, state=DishState.SERVED,
                pass_place="pass")


def trip(trip_id: str, robot: str, created: float, tables: list[tuple[str, tuple[str, ...]]],
         finished: float) -> Trip:
    stops = [Stop("pass", StopKind.LOAD, dishes=tuple(d for _, ds in tables for d in ds)),
             *(Stop(t, StopKind.SERVE, dishes=ds) for t, ds in tables)]
    return Trip(trip_id=trip_id, robot=robot, kind=TripKind.SERVE, stops=stops,
                created_at=created, finished_at=finished,
                dishes=tuple(d for _, ds in tables for d in ds))


def phase(at: float, robot: str, old: str, new: str, trip_id: str | None) -> Event:
    data: Mapping[str, Any] = {"from": old, "to": new}
    return Event(ev.ROBOT_PHASE_CHANGED, at, robot=robot, trip_id=trip_id, data=data)


def dish_event(kind: str, at: float, dish: str, robot: str, trip_id: str) -> Event:
    return Event(kind, at, robot=robot, dish_id=dish, trip_id=trip_id)


def arrived(at: float, robot: str, place: str, trip_id: str) -> Event:
    return Event(ev.ROBOT_ARRIVED, at, robot=robot, trip_id=trip_id, text=f"{robot} at {place}")


def two_table_trip() -> tuple[list[Dish], list[Trip], list[Event]]:
    """R1 takes d1 (T1) and d2 (T2): assigned at 100 (d1 ready at 90, d2 at 95), at the
    pass at 104, loaded by 114, at T1 at 126 (2 s yielding on the way), leaves T1 at
    146, queues 3 s for T2's spot, at T2 at 160."""
    dishes = [served("d1", "T1", 90.0, 126.0), served("d2", "T2", 95.0, 160.0)]
    trips = [trip("t1", "R1", 100.0, [("T1", ("d1",)), ("T2", ("d2",))], 180.0)]
    events = [
        phase(100.0, "R1", "idle", "driving", "t1"),
        dish_event(ev.DISH_ASSIGNED, 100.0, "d1", "R1", "t1"),
        dish_event(ev.DISH_ASSIGNED, 100.0, "d2", "R1", "t1"),
        arrived(104.0, "R1", "pass", "t1"),
        phase(104.0, "R1", "driving", "at stop", "t1"),
        dish_event(ev.DISH_LOADED, 109.0, "d1", "R1", "t1"),
        dish_event(ev.DISH_LOADED, 114.0, "d2", "R1", "t1"),
        phase(114.0, "R1", "at stop", "driving", "t1"),
        phase(118.0, "R1", "driving", "yielding", "t1"),
        phase(120.0, "R1", "yielding", "driving", "t1"),
        arrived(126.0, "R1", "T1", "t1"),
        phase(126.0, "R1", "driving", "at stop", "t1"),
        dish_event(ev.DISH_AT_TABLE, 126.0, "d1", "R1", "t1"),
        phase(146.0, "R1", "at stop", "queued", "t1"),
        phase(149.0, "R1", "queued", "driving", "t1"),
        arrived(160.0, "R1", "T2", "t1"),
        phase(160.0, "R1", "driving", "at stop", "t1"),
        dish_event(ev.DISH_AT_TABLE, 160.0, "d2", "R1", "t1"),
        phase(180.0, "R1", "at stop", "idle", None),
    ]
    return dishes, trips, events


def test_the_parts_of_a_two_table_trip_are_known_and_add_up_to_the_wait() -> None:
    dishes, trips, events = two_table_trip()
    rows = {r.dish_id: r for r in wait_parts(dishes, trips, events, drive=drive,
                                             load_s_per_tray=5.0)}
    d1, d2 = rows["d1"].parts, rows["d2"].parts
    assert set(d1) == set(PARTS)
    # d1: 10 s waiting with R1 idle, 4 s to the pass, 5 s its own load and 5 s d2's,
    # 12 s on the way of which 2 yielding and 10 the direct drive.
    assert d1["wait_robot_free"] == pytest.approx(10.0)
    assert d1["to_pass"] == pytest.approx(4.0)
    assert (d1["load_own"], d1["load_others"]) == pytest.approx((5.0, 5.0))
    assert (d1["traffic"], d1["drive_direct"], d1["drive_slow"]) == pytest.approx(
        (2.0, 10.0, 0.0))
    # d2: its way went by T1: 20 s there, 3 s queued for T2's spot, 2 s yielding; of the
    # 21 s driving, 12 s is the direct drive and 4 s the detour (10 + 6 - 12).
    assert d2["earlier_tables"] == pytest.approx(20.0)
    assert d2["table_queue"] == pytest.approx(3.0)
    assert d2["traffic"] == pytest.approx(2.0)
    assert (d2["drive_direct"], d2["detour"], d2["drive_slow"]) == pytest.approx((12.0, 4.0, 5.0))
    for row in rows.values():
        assert sum(row.parts.values()) == pytest.approx(row.wait_s)
    assert rows["d2"].bound_s == pytest.approx(5.0 + 12.0)


def test_a_dish_held_for_its_busy_table_and_one_taken_on_a_second_visit() -> None:
    """d3 for T1 is ready at 120 while R1 is on its way to T1 (trip t1 binds T1 until
    R1 leaves it at 146); R2 takes it at 150. The guest is away at its first
    presentation (167) and takes it at the second (300)."""
    dishes, trips, events = two_table_trip()
    dishes.append(served("d3", "T1", 120.0, 300.0))
    trips.append(trip("t2", "R2", 150.0, [("T1", ("d3",))], 320.0))
    events += [
        phase(50.0, "R2", "idle", "driving", "p1"),  # parking somewhere: busy for dispatch
        phase(60.0, "R2", "driving", "at stop", "p1"),
        phase(150.0, "R2", "at stop", "at stop", "t2"),
        dish_event(ev.DISH_ASSIGNED, 150.0, "d3", "R2", "t2"),
        arrived(150.0, "R2", "pass", "t2"),
        dish_event(ev.DISH_LOADED, 155.0, "d3", "R2", "t2"),
        phase(157.0, "R2", "at stop", "driving", "t2"),  # its leg out starts 2 s later
        arrived(167.0, "R2", "T1", "t2"),
        dish_event(ev.DISH_AT_TABLE, 167.0, "d3", "R2", "t2"),
        phase(167.0, "R2", "driving", "at stop", "t2"),
        dish_event(ev.DISH_AT_TABLE, 300.0, "d3", "R2", "t2"),
    ]
    events.sort(key=lambda e: e.at)
    rows = {r.dish_id: r for r in wait_parts(dishes, trips, events, drive=drive,
                                             load_s_per_tray=5.0)}
    d3 = rows["d3"].parts
    assert d3["wait_table_taken"] == pytest.approx(26.0)  # 120 -> 146
    assert d3["wait_no_robot"] == pytest.approx(4.0)  # 146 -> 150: R1 at T2's queue, R2 parked
    assert (d3["load_own"], d3["load_others"], d3["drive_direct"]) == pytest.approx(
        (5.0, 2.0, 10.0))
    assert d3["revisit"] == pytest.approx(133.0)  # 167 -> 300
    assert sum(d3.values()) == pytest.approx(180.0)
    summary = summarise(list(rows.values()))
    assert summary["dishes"] == 3
    assert summary["mean_wait_s"] == pytest.approx((36.0 + 65.0 + 180.0) / 3, abs=0.01)
    assert sum(summary["parts_s"].values()) == pytest.approx(summary["mean_wait_s"], abs=0.1)
    assert format_parts(summary).startswith("revisit 44.3")


def test_dishes_not_served_by_a_robot_are_left_out() -> None:
    dishes, trips, events = two_table_trip()
    dishes[0].state = DishState.FAILED
    assert [r.dish_id for r in wait_parts(dishes, trips, events, drive=drive,
                                          load_s_per_tray=5.0)] == ["d2"]
    assert summarise([]) == {"dishes": 0}


def test_a_table_a_given_up_trip_never_reached_is_free_again_at_its_end() -> None:
    """Trip t9 was bound for T2 from 0 and given up at 50 without getting there: d2,
    ready at 95, waited for R1 (idle) only, not for T2."""
    dishes, trips, events = two_table_trip()
    trips.append(trip("t9", "R9", 0.0, [("T2", ("d9",))], 50.0))
    rows = {r.dish_id: r for r in wait_parts(dishes, trips, events, drive=drive,
                                             load_s_per_tray=5.0)}
    assert rows["d2"].parts["wait_table_taken"] == 0.0
    assert rows["d2"].parts["wait_robot_free"] == pytest.approx(5.0)
