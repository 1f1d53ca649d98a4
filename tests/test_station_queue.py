"""Robots waiting for a free spot at a busy station (the dish return at the end of a
service, a pass) take it in the order they began to wait: one that arrives as a spot
frees does not take it from one that has waited minutes (starvation is a freeze)."""

from __future__ import annotations

from simkit import MODEL

from fleet.controller.robots import RobotRecord
from fleet.controller.stopstart import queued_ahead
from fleet.domain import RobotMode, Stop, StopKind, Trip, TripKind


def waiting(serial: str, since: float | None, *, place: str = "dish return",
            failures: int = 0, mode: RobotMode = RobotMode.WORKING) -> RobotRecord:
    rec = RobotRecord(serial=serial, model=MODEL, mode=mode)
    rec.trip = Trip(f"t-{serial}", serial, TripKind.BUS,
                    [Stop("T1", StopKind.COLLECT), Stop(place, StopKind.UNLOAD)], 0.0,
                    next_stop=1)
    rec.failures = failures
    if since is not None:
        rec.queued_for, rec.queued_since, rec.retry_at = (f"t-{serial}", 1, place), since, since
    return rec


def turn(rec: RobotRecord) -> tuple[str, int, str]:
    assert rec.trip is not None and rec.trip.current is not None
    return (rec.trip.trip_id, rec.trip.next_stop, rec.trip.current.place)


def test_whoever_waited_longest_goes_first_and_a_newcomer_queues_behind_all() -> None:
    a, b, c = waiting("A", 10.0), waiting("B", 40.0), waiting("C", 25.0)
    new = waiting("N", None)
    fleet = [a, b, c, new]
    assert queued_ahead(fleet, a, turn(a)) == []
    assert queued_ahead(fleet, b, turn(b)) == [a, c]
    assert queued_ahead(fleet, new, turn(new)) == [a, c, b]


def test_robots_that_cannot_take_a_spot_now_do_not_hold_the_queue() -> None:
    failing = waiting("F", 1.0, failures=2)  # its route keeps failing
    paused = waiting("P", 2.0, mode=RobotMode.PAUSED)
    elsewhere = waiting("E", 3.0, place="pass")
    moved_on = waiting("M", 4.0)
    assert moved_on.trip is not None
    moved_on.trip.next_stop = 2  # that stop is over: it left the queue with it
    me = waiting("R", 50.0)
    assert queued_ahead([failing, paused, elsewhere, moved_on, me], me, turn(me)) == []
