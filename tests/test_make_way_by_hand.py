"""Making way, on the pure controller fed by hand: a route planned past a robot that
was to leave, whose trip then ended where it stands, waits on it for good and no
plan fails to say so (a 420 s freeze on a generated narrow floor). The idle robot
steps aside off that route, once it has stood idle a few seconds. And an idle
robot with no free home does not wait on a table's spot."""

from __future__ import annotations

from e2e import blocks
from handfed import placed

from fleet.controller.core import Controller
from fleet.controller.makeway import IDLE_BLOCKER_S, PARK_AFTER_S, clear_for_yielders, make_way
from fleet.controller.stopstart import start_stop
from fleet.dispatch import TripPlan
from fleet.domain import Stop, StopKind, Trip, TripKind
from fleet.domain import events as ev
from fleet.traffic import PlanFailed
from fleet.words import Phrase


def _b_waits_on_a() -> Controller:
    """B's route runs through (2, 5), where A's leg was called off and A stands."""
    ctl = placed({"A": (1, 0), "B": (0, 0)})
    assert all(r.trip is None for r in ctl.robots.values())
    traffic = ctl.traffic
    traffic.route("A", [(2, 9)], now=12.0, dwell_s=None)
    traffic.route("B", [(2, 5)], now=12.0, dwell_s=None)
    assert (2, 5) in traffic.route_of("A").cells[:-1], "B's goal is on A's way: B goes after"
    traffic.release(now=12.0)
    for k in range(1, 7):
        traffic.reached("A", k, now=12.0 + k)
    traffic.stop("A", now=19.0)  # A's trip called off where it stands: on B's goal
    ctl.robots["A"].cell = (2, 5)
    ctl.robots["B"].trip = Trip("tB", "B", TripKind.PARK,
                                [Stop("there", StopKind.PARK, cell=(2, 5))], 12.0)
    for t in range(20, 40):
        traffic.release(now=float(t))
        released = traffic.released("B")
        if traffic.route_of("B").cells[released] != (2, 5):
            traffic.reached("B", released, now=t + 0.5)
    wait = traffic.waiting_for("B")
    assert wait is not None and wait.blocker == "A" and wait.cell == (2, 5)
    assert traffic.leg_done("A")
    return ctl


def test_an_idle_robot_a_route_waits_on_steps_aside_off_that_route() -> None:
    ctl = _b_waits_on_a()
    traffic = ctl.traffic
    assert ctl.robots["A"].trip is None
    since = ctl.watchdog.since("A")
    assert since is not None
    assert clear_for_yielders(ctl.work, since + IDLE_BLOCKER_S - 1.0) == [], "not at once"
    assert clear_for_yielders(ctl.work, 40.0) == ["A"]
    trip = ctl.robots["A"].trip
    assert trip is not None and trip.kind is TripKind.PARK
    aside = trip.stops[0].cell
    assert aside is not None
    way = traffic.route_of("B").cells[traffic.released("B"):]
    assert not set(ctl.plan.footprint(aside)) & {f for c in way for f in ctl.plan.footprint(c)}
    assert clear_for_yielders(ctl.work, 41.0) == [], "asked once: it has a trip now"


def test_a_robot_waiting_its_turn_for_a_station_steps_aside_off_a_route_that_waits_on_it(
        ) -> None:
    """A robot queued for the dish return where it stands (after collecting at a table)
    is in the way of one bound there: it steps aside, its own stop after (narrow-5, 12
    robots: R9 stood 150 s in R5's aisle, R5 bound for the dish return R9 waited for)."""
    ctl = _b_waits_on_a()
    traffic = ctl.traffic
    a = ctl.robots["A"]
    a.trip = Trip("tA", "A", TripKind.BUS, [Stop("return", StopKind.UNLOAD)], 19.0)
    a.queued_for, a.queued_since, a.retry_at = ("tA", 0, "return"), 20.0, 41.0
    ctl.work.pending.add("A")
    assert clear_for_yielders(ctl.work, 20.0 + IDLE_BLOCKER_S - 1.0) == [], "not at once"
    assert clear_for_yielders(ctl.work, 40.0) == ["A"]
    first = a.trip.stops[0]
    assert first.kind is StopKind.PARK and first.cell is not None
    assert a.trip.stops[1].place == "return", "its own stop comes after"
    way = traffic.route_of("B").cells[traffic.released("B"):]
    assert not set(ctl.plan.footprint(first.cell)) & {
        f for c in way for f in ctl.plan.footprint(c)}


def test_a_robot_whose_own_route_fails_steps_aside_for_one_it_blocks() -> None:
    """Two robots in one aisle, each on the other's way and each failing to plan: the
    one asked steps aside, its own stop after. (A generated narrow floor, 16 robots:
    R8, done at a table with a dish for one deeper in, and R9, deeper, bound for a
    charger, each planned the other as a wall for 180 s, until the stall rule failed
    R8's dish.) One about to leave is not sent aside: its leg is planned next tick."""
    ctl = _b_waits_on_a()
    a = ctl.robots["A"]
    a.trip = Trip("tA", "A", TripKind.SERVE, [Stop("t9", StopKind.SERVE)], 19.0)
    a.retry_at = 41.0
    ctl.work.pending.add("A")
    failed = PlanFailed("B cannot go now: every way is blocked", ("A",))
    goals = [(2, 9)]
    assert make_way(ctl.work, ctl.robots["B"], failed, goals, 40.0) == []
    a.failures = 2  # its own plans fail too
    assert make_way(ctl.work, ctl.robots["B"], failed, goals, 40.0) == ["A"]
    first = a.trip.stops[0]
    assert first.kind is StopKind.PARK and first.cell is not None
    assert a.trip.stops[1].place == "t9", "its own stop comes after"
    lane = ctl.traffic.lane("B", goals)
    assert not set(ctl.plan.footprint(first.cell)) & lane
    assert make_way(ctl.work, ctl.robots["B"], failed, goals, 41.0) == [], "sent once"


def test_an_idle_robot_with_no_free_home_leaves_a_table_spot_for_open_floor() -> None:
    plan = blocks(parking=False)  # homes: two pass spots and a charger, all taken
    ctl = placed({"P1": (0, 0), "P2": (1, 0), "C": (4, 13), "F": (2, 7)}, plan,
                 seconds=int(PARK_AFTER_S) + 5)
    trip = ctl.robots["F"].trip
    assert trip is not None and trip.kind is TripKind.PARK, "F stood on t2's only spot"
    aside = trip.stops[0].cell
    assert aside is not None and len(plan.footprint(aside)) == 1
    assert aside not in {c for p in plan.places.values() for c in p.cells}
    assert all(ctl.robots[s].trip is None for s in ("P1", "P2")), "the pass is a home"


def test_a_robot_on_its_way_to_wait_at_the_pass_gives_its_spot_to_one_with_work_there(
        ) -> None:
    """Both pass spots are taken: X stands on one, P is on its way to the other only to
    wait there. R, bringing a dish back to the pass, would queue behind P for as long
    as P takes to arrive (narrow-116, 16 robots: 181 s, and the dish failed). P's park
    trip ends where it is, and the spot is R's."""
    ctl = placed({"X": (0, 0), "P": (4, 12), "R": (1, 13)}, seconds=3)
    p, r = ctl.robots["P"], ctl.robots["R"]
    assert p.trip is not None and p.trip.kind is TripKind.PARK
    assert p.trip.stops[0].place == "pass" and p.leg is not None and p.leg.cells[-1] == (1, 0)
    assert r.trip is None, "R is parked"
    r.aboard = ("tray1",)  # a dish nobody took, going back
    ctl.work.begin(TripPlan(robot="R", kind=TripKind.UNLOAD,
                            stops=(Stop("pass", StopKind.UNLOAD, trays=("tray1",)),), dish_ids=(),
                            est_finish=3.0, reason=Phrase.of("by hand")), 3.0)
    assert not start_stop(ctl.work, r, 3.0), "no spot free yet: it waits its turn"
    assert p.trip is None, "P's park trip is called off"
    told = [e.text for e in ctl.events if e.kind == ev.TRIP_ABORTED and e.robot == "P"]
    assert told and "needed by R" in told[-1], told
    ctl.tick(4.0)  # P's leg is cut where it is; R tries again
    ctl.tick(5.0)
    assert r.trip is not None and r.queued_for is None, "the spot P was bound for is R's"
    assert r.leg is not None and r.leg.cells[-1] == (1, 0)
