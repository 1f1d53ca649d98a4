"""Making way: robots standing where another robot must pass step aside onto open floor.

The traffic planner moves robots that are on their way (``traffic.giveway``), but
a robot with no leg (idle, or waiting for its next stop) is a wall to it: only
the controller can give that robot somewhere to go. Three cases ask for it: a
robot that needs a spot another robot stands on (``clear_spots``), a robot whose
plan failed because robots stand for good on its only way (``make_way``), and a
robot whose route waits on an idle one that was to leave (``clear_for_yielders``).
Measured on generated narrow floors with 12 robots: an idle robot parked in a
one-lane aisle sealed a loaded robot in a dead end while a third queued behind
it (390 s without progress; the planner saw no cycle, only walls).

The aside cell is open floor (no place's spot, not a one-lane cell) off the
asking robot's way and off every cell other robots have still to pass, so that
stepping aside never makes a new wall.

Its functions work on trip work (idle robots, trips begun, spots claimed) and on
what ``core`` handed trip work (``TripParts``: the plan, the robot records,
traffic, each robot's phase): no controller.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from fleet.controller.phase import Phase
from fleet.controller.robots import RobotRecord
from fleet.dispatch import TripPlan
from fleet.domain import Stop, StopKind, TripKind
from fleet.floor.model import Cell, PlaceKind
from fleet.traffic import PlanFailed
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.controller.tripwork import TripWork


def clear_spots(work: TripWork, spots: Sequence[Cell], now: float, *, asking: str) -> None:
    """A robot standing on a spot another robot needs steps aside onto open floor:
    an idle one (a table's only serving spot, with no free home to park in), or one
    that itself waits there for a spot elsewhere. The second breaks a cycle no one
    else sees: R11 waits at the dish return for R2's table spot while R2, loaded,
    waits at that table spot for the dish return (a 6,870 s freeze)."""
    _step_aside(work, set(spots), now, asking=asking, avoid=frozenset(spots))


def make_way(work: TripWork, rec: RobotRecord, failed: PlanFailed, goals: Sequence[Cell],
             now: float) -> list[str]:
    """After ``rec``'s plan to ``goals`` failed: the robots the planner names as standing
    for good on its way, and that the controller may move, step aside off that way.
    Returns the robots sent."""
    if not failed.blockers:
        return []
    lane = work.parts.traffic.lane(rec.serial, goals)
    return _step_aside(work, lane, now, asking=rec.serial, avoid=lane,
                       only=set(failed.blockers))


def _step_aside(work: TripWork, cells: set[Cell] | frozenset[Cell], now: float, *,
                asking: str, avoid: frozenset[Cell], only: Collection[str] | None = None
                ) -> list[str]:
    plan = work.parts.plan
    sent: list[str] = []

    def stands_in(other: RobotRecord) -> bool:
        return (other.cell is not None and other.serial != asking
                and (only is None or other.serial in only)
                and bool(set(plan.footprint(other.cell)) & cells))

    for other in work.idle_robots():
        if not stands_in(other):
            continue
        assert other.cell is not None
        aside = open_floor_near(work, other.cell, avoid=avoid, mover=other.serial)
        if aside is None:
            continue
        work.begin(TripPlan(robot=other.serial, kind=TripKind.PARK,
                            stops=(Stop("open floor", StopKind.PARK, cell=aside),),
                            dish_ids=(), est_finish=now, est_waits={},
                            reason=Phrase.of("steps aside for {robot}", robot=asking)), now)
        sent.append(other.serial)
    for other in work.parts.robots.values():
        trip = other.trip
        stop = trip.current if trip is not None else None
        if (stop is None or trip is None or not stands_in(other)
                or other.serial not in work.pending or other.retry_at is None
                or stop.kind is StopKind.PARK):  # already stepping aside
            continue
        queued = (other.queued_for is not None
                  and other.queued_for[:2] == (trip.trip_id, trip.next_stop))
        if queued and stop.kind is StopKind.LOAD:
            continue  # waits at the pass hand trips over instead
        if not queued and other.failures == 0:
            continue  # about to leave: its next leg is planned next tick
        assert other.cell is not None
        aside = open_floor_near(work, other.cell, avoid=avoid, mover=other.serial)
        if aside is None:
            continue
        trip.stops.insert(trip.next_stop, Stop("open floor", StopKind.PARK, cell=aside))
        other.retry_at = now  # it goes now; its own stop comes after
        other.note = f"steps aside for {asking}"
        sent.append(other.serial)
    return sent


IDLE_BLOCKER_S = 5.0
"""How long a robot stands idle on another's route before it is asked to step aside
(one just freed is usually given a trip within a dispatch or two)."""


def clear_for_yielders(work: TripWork, now: float) -> list[str]:
    """Idle robots, and robots waiting their turn for a station, that another robot's
    route waits on step aside off that route.

    A route is planned past a robot that will leave; when that robot's trip then
    ends where it stands (cancelled, finished early), the route waits on it for
    good, and no plan fails to say so. On a generated narrow floor with 12 robots a
    robot boxed in a corner by two idle ones waited 420 s for one to leave."""
    parts = work.parts
    sent: list[str] = []
    for rec in parts.robots.values():
        if not rec.in_traffic or rec.trip is None:
            continue
        wait = parts.traffic.waiting_for(rec.serial)
        blocker = parts.robots.get(wait.blocker) if wait is not None else None
        if (blocker is None or not blocker.on_duty or blocker.serial in sent
                or not parts.traffic.leg_done(blocker.serial)):
            continue
        if blocker.trip is None:
            since = parts.phases.since(blocker.serial)
        elif blocker.queued_for is not None and blocker.serial in work.pending:
            # Waiting its turn for a station where it stands, in the way of one on
            # its way: R9 queued at a table's spot for the dish return stood 150 s
            # in the aisle of R5, bound for that very dish return.
            since = blocker.queued_since
        else:
            continue
        if since is None or now - since < IDLE_BLOCKER_S:
            continue
        route = parts.traffic.route_of(rec.serial).cells[parts.traffic.released(rec.serial):]
        way = frozenset(f for c in route for f in parts.plan.footprint(c))
        sent += _step_aside(work, way, now, asking=rec.serial, avoid=way,
                            only={blocker.serial})
    return sent


_HOMES = (PlaceKind.PASS, PlaceKind.CHARGER, PlaceKind.PARKING)
"""Where an idle robot is meant to wait (``fleet.dispatch.housekeeping``)."""
PARK_AFTER_S = 10.0
"""How long a robot stands idle with no home before it moves off a spot or a lane."""


def park_off_the_aisles(work: TripWork, robots: Sequence[RobotRecord], now: float) -> list[str]:
    """Idle robots away from home for a while (housekeeping found none free: more
    robots than passes, chargers and parking spots), standing on a place's spot or
    where no robot can pass them, wait on open floor nearby instead. There they block nobody, where
    before each one waited to be asked to move by a robot that already could not
    pass (12 robots on generated food courts with 8 homes)."""
    parts = work.parts
    spots = {c for p in parts.plan.places.values() for c in p.cells}
    homes = {c for p in parts.plan.places.values() if p.kind in _HOMES for c in p.cells}
    sent: list[str] = []
    for rec in robots:
        since = parts.phases.since(rec.serial)
        if (rec.trip is not None or not rec.on_duty or rec.cell is None or rec.loaded
                or rec.to_unload() or parts.phases.phase(rec.serial) is not Phase.IDLE
                or since is None or now - since < PARK_AFTER_S
                or not parts.traffic.leg_done(rec.serial)):
            continue
        if rec.cell in homes or (rec.cell not in spots
                                 and len(parts.plan.footprint(rec.cell)) == 1):
            continue  # at home, or already on open floor
        aside = open_floor_near(work, rec.cell, mover=rec.serial)
        if aside is None:
            continue
        work.begin(TripPlan(robot=rec.serial, kind=TripKind.PARK,
                            stops=(Stop("open floor", StopKind.PARK, cell=aside),),
                            dish_ids=(), est_finish=now, est_waits={},
                            reason=Phrase.of("no free home: waits on open floor")), now)
        sent.append(rec.serial)
    return sent


def step_elsewhere(work: TripWork, rec: RobotRecord, now: float) -> bool:
    """A robot stepping aside whose way to its aside cell stays blocked goes to another
    one it can reach now; False when it is not stepping aside or there is none.
    (Robots move while it waits: the cell chosen was reachable when chosen.)"""
    trip = rec.trip
    stop = trip.current if trip is not None else None
    if (trip is None or stop is None or stop.kind is not StopKind.PARK or stop.cell is None
            or rec.cell is None or rec.serial not in work.pending):
        return False
    aside = open_floor_near(work, rec.cell, avoid={stop.cell}, mover=rec.serial)
    if aside is None:
        return False
    trip.stops[trip.next_stop] = Stop(stop.place, StopKind.PARK, cell=aside)
    rec.retry_at = now
    return True


def open_floor_near(work: TripWork, start: Cell, *, avoid: Collection[Cell] = (),
                    mover: str | None = None) -> Cell | None:
    """The nearest free cell that is no place's spot, not a one-lane aisle, not in
    ``avoid`` and on no other robot's remaining route, that ``mover`` can reach now:
    the search does not pass a robot that would not step aside if its way there
    failed (one at work, held, or on its way). On a generated bistro a robot at a
    table in a one-lane aisle was sent to the alcove behind a robot waiting for it
    to leave; neither moved for 180 s. Idle and queued robots do not count: they
    step aside in turn, and counting them kept an idle robot on a table spot 45 s
    with the robot queued for that spot standing at the alcove's mouth."""
    parts = work.parts
    plan = parts.plan
    claimed = work.claimed_cells(besides=mover)
    taken = parts.traffic.in_use(besides=mover) if mover is not None else frozenset()
    spots = {c for p in plan.places.values() for c in p.cells}
    standing = {r.cell for r in parts.robots.values()
                if r.cell is not None and r.serial != mover and r.in_traffic
                and not _asked_aside_if_in_way(r)}
    seen = {start}
    frontier = deque([start])
    while frontier:
        cell = frontier.popleft()
        foot = plan.footprint(cell)
        if (cell != start and cell not in spots and cell not in avoid and cell not in taken
                and len(foot) == 1 and not claimed.intersection(foot)):
            return cell
        for nxt in plan.neighbours(cell):
            if nxt not in seen and standing.isdisjoint(plan.footprint(nxt)):
                seen.add(nxt)
                frontier.append(nxt)
    return None


def _asked_aside_if_in_way(rec: RobotRecord) -> bool:
    """Whether ``make_way`` moves this robot when it stands on another's way: an idle
    one, or one waiting its turn for a spot."""
    return (rec.trip is None and rec.on_duty) or (
        rec.queued_for is not None and rec.retry_at is not None)
