"""Making way, on the pure controller fed by hand: a route planned past a robot that
was to leave, whose trip then ended where it stands, waits on it for good and no
plan fails to say so (a 420 s freeze on a generated narrow floor). The idle robot
steps aside off that route, once it has stood idle a few seconds."""

from __future__ import annotations

from e2e import blocks
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.controller.core import Controller
from fleet.controller.makeway import IDLE_BLOCKER_S, clear_for_yielders
from fleet.domain import Stop, StopKind, Trip, TripKind
from fleet.floor.model import Cell
from fleet.store import MemoryStore
from fleet.vda import ConnectionState, Position, RobotState


def _placed(starts: dict[str, Cell]) -> Controller:
    plan = blocks()
    ctl = build_controller(plan, dict.fromkeys(starts, MODEL), store=MemoryStore(), run_id="t")
    for serial in starts:
        ctl.on_connection(serial, ConnectionState.ONLINE, 0.0)
    for t in range(12):
        for serial, cell in starts.items():
            x, y = plan.anchor_of(cell)
            ctl.on_state(RobotState(serial, float(t), position=Position(x, y)), float(t))
        ctl.tick(float(t))
    assert all(r.in_traffic and r.trip is None for r in ctl.robots.values())
    return ctl


def test_an_idle_robot_a_route_waits_on_steps_aside_off_that_route() -> None:
    ctl = _placed({"A": (1, 0), "B": (0, 0)})
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
    assert traffic.leg_done("A") and ctl.robots["A"].trip is None

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
