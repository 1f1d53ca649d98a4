"""A robot loaded at the pass waits there a few seconds for a dish the kitchen expects
soon for one of its tables, and takes it along.

Without it, a dish ready just after its table's robot left the pass waits for that
robot's whole visit and then a trip of its own (``fleet.dispatch.passhold`` says why
and weighs it). The hold begins when the robot's loading at the pass is done and it
would leave; the stop stays its current one, so that when the dish is marked ready
it joins the trip as a rider (``fleet.controller.ridealong``: a second loading stop
on the same spot), and the hold ends. It ends too, and the robot leaves with what it
has, when the estimate plus its grace or the longest hold runs out, when another
robot needs the pass spot it stands on, or when its trip changes. Each hold and its
end is an event, and the robot's waiting sentence names the dish it waits for
(``fleet.controller.explain``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from fleet.dispatch import HoldRule, tray_slot
from fleet.domain import Dish, DishState, Stop, StopKind, Trip
from fleet.domain import events as ev
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.controller.robots import RobotRecord
    from fleet.controller.tripwork import TripWork


@dataclass(frozen=True, slots=True)
class PassHold:
    """A robot waiting at a pass for dishes not yet ready; kept after it ends (``over``)
    so that one trip waits once."""

    trip_id: str
    place: str
    dishes: tuple[str, ...]
    expected_at: float
    """When the last of ``dishes`` is expected ready."""
    since: float
    until: float
    over: bool = False


def active_hold(rec: RobotRecord) -> PassHold | None:
    """The hold the robot is in now, if any."""
    hold = rec.pass_hold
    if hold is None or hold.over or rec.trip is None or rec.trip.trip_id != hold.trip_id:
        return None
    return hold


def holding(work: TripWork, rec: RobotRecord, stop: Stop, now: float) -> bool:
    """Whether the robot, its work at loading ``stop`` done, stays for an expected dish:
    a hold under way goes on, or one begins."""
    if active_hold(rec) is not None:
        return not end_hold(work, rec, now)
    trip, rule = rec.trip, work.parts.policy.pass_hold
    if (rule is None or trip is None or stop.kind is not StopKind.LOAD
            or (rec.pass_hold is not None and rec.pass_hold.trip_id == trip.trip_id)):
        return False
    after = trip.stops[trip.next_stop + 1] if trip.next_stop + 1 < len(trip.stops) else None
    if after is not None and after.kind is StopKind.LOAD and after.place == stop.place:
        return False  # a rider's loading comes next: wait for nothing else
    if _pass_wanted(work, rec, stop.place) or (
            work.room_at(stop.place) == 0 and _pass_needed(work, stop.place)):
        return False  # full, and busy: another robot would soon want the spot
    chosen = _worth_waiting_for(work, rec, stop.place, rule, now)
    if not chosen:
        return False
    expected = max(d.expected_at or now for d in chosen)
    hold = PassHold(trip.trip_id, stop.place, tuple(d.dish_id for d in chosen), expected,
                    now, rule.until(now, expected))
    rec.pass_hold = hold
    first = chosen[0]
    work.parts.emit(ev.ROBOT_HELD_AT_PASS, now, Phrase.of(
        "{robot} waits at {place} for {dish} for {table}, expected in {s} s",
        robot=rec.serial, place=stop.place, dish=_listed(hold.dishes), table=first.table,
        s=f"{max(0.0, expected - now):.0f}"), robot=rec.serial, trip_id=trip.trip_id,
        dish_id=first.dish_id, order_id=first.order_id,
        data={"dishes": list(hold.dishes), "expected_in_s": round(expected - now, 1),
              "until_in_s": round(hold.until - now, 1)})
    return True


def end_holds(work: TripWork, now: float) -> None:
    """End the holds that are over by time, or by the dishes they wait for (the
    robot reports nothing while it stands: time alone must end them), and send those
    robots on."""
    for rec in sorted(work.parts.robots.values(), key=lambda r: r.serial):
        if active_hold(rec) is not None and end_hold(work, rec, now):
            work.leave_stop(rec, now)


def end_hold(work: TripWork, rec: RobotRecord, now: float) -> bool:
    """End the robot's hold if it is over, saying why; whether it ended."""
    hold = active_hold(rec)
    if hold is None:
        return True
    dishes = [work.parts.book.dishes.get(d) for d in hold.dishes]
    waiting = [d for d in dishes if d is not None and d.state is DishState.RECEIVED]
    if not waiting:
        came = tuple(d.dish_id for d in dishes if d is not None
                     and (not d.state.final or d.state is DishState.SERVED))
        why = (Phrase.of("{dish} came", dish=_listed(came)) if came
               else Phrase.of("{dish} no longer expected", dish=_listed(hold.dishes)))
    elif now >= hold.until:
        why = Phrase.of("{dish} not ready after {s} s", dish=_listed(
            tuple(d.dish_id for d in waiting)), s=f"{now - hold.since:.0f}")
    elif _pass_wanted(work, rec, hold.place):
        why = Phrase.of("another robot needs the pass")
    elif not rec.mode.available or rec.paused_by_manager or rec.off_duty is not None:
        why = Phrase.of("it was stopped")
    else:
        return False
    rec.pass_hold = replace(hold, over=True)
    work.parts.emit(ev.ROBOT_HOLD_ENDED, now, Phrase.of(
        "{robot} leaves {place} after {s} s: {why}", robot=rec.serial, place=hold.place,
        s=f"{now - hold.since:.0f}", why=why), robot=rec.serial, trip_id=hold.trip_id,
        data={"dishes": list(hold.dishes), "held_s": round(now - hold.since, 1),
              "came": not waiting})
    return True


def _listed(dishes: tuple[str, ...]) -> str:
    return ", ".join(dishes)


def _worth_waiting_for(work: TripWork, rec: RobotRecord, place: str, rule: HoldRule,
                       now: float) -> list[Dish]:
    """The dishes still cooking for the trip's tables at ``place`` that are worth the
    wait (soonest first, while trays last), each weighed with the ones before it."""
    parts = work.parts
    trip = rec.trip
    assert trip is not None
    times = parts.times[rec.model.name]
    ahead = trip.stops[trip.next_stop + 1:]
    tables = [s.place for s in ahead if s.kind is StopKind.SERVE]
    if not tables:
        return []
    to_last = 0.0
    at = place
    for s in ahead:
        if s.kind is StopKind.SERVE:
            to_last += times.between(at, s.place) + rule.settings.guest_s
            at = s.place
    aboard = [parts.dish(d).ready_at or now for d in dict.fromkeys(trip.dishes)
              if d in parts.book.dishes and not parts.dish(d).state.final]
    free = _free_trays(rec, trip)
    cooking = sorted((d for d in parts.book.dishes.values()
                      if d.state is DishState.RECEIVED and d.expected_at is not None
                      and d.table in tables and parts.book.dish_pass.get(d.dish_id) == place),
                     key=lambda d: (d.expected_at or 0.0, d.dish_id))
    chosen: list[Dish] = []
    for dish in cooking:
        assert dish.expected_at is not None
        if dish.trays > free:
            continue
        if rule.worth(now, dish.expected_at, dish.trays, aboard_ready_at=aboard,
                      pass_to_table_s=times.between(place, dish.table), to_last_s=to_last):
            chosen.append(dish)
            free -= dish.trays
            aboard.append(dish.expected_at)
    return chosen


def _free_trays(rec: RobotRecord, trip: Trip) -> int:
    """Trays neither loaded nor promised to a stop ahead (as a rider finds them)."""
    used = set(rec.loads) | set(rec.aboard)
    for stop in trip.stops[trip.next_stop:]:
        used.update(stop.trays)
    return sum(1 for i in range(rec.trays) if tray_slot(i) not in used)


def _pass_needed(work: TripWork, place: str) -> bool:
    """Whether a dish ready at ``place`` waits for a robot (any, for any table)."""
    parts = work.parts
    return any(parts.book.dish_pass.get(d.dish_id) == place for d in parts.book.waiting())


def _pass_wanted(work: TripWork, rec: RobotRecord, place: str) -> bool:
    """Whether standing on at ``place`` keeps another robot from loading: no other spot
    of it is free, and a robot waits its turn for one or is bound there, or a dish
    ready there could go with a robot idle elsewhere (a dispatch round sends robots
    to a pass only as far as its spots are free, so it would wait unseen)."""
    if work.room_at(place) > 0:
        return False
    parts = work.parts
    if work.bound_places(besides=rec.serial)[place] > 0:
        return True
    if any(r is not rec and r.queued_for is not None and r.queued_for[2] == place
           for r in parts.robots.values()):
        return True
    spots = set(parts.plan.place(place).cells)
    if not any(r.trip is None and r.on_duty and r.cell not in spots
               for r in parts.robots.values()):
        return False
    taken = {s.place for r in parts.robots.values() if r.trip is not None
             for s in r.trip.stops[r.trip.next_stop:] if s.kind is StopKind.SERVE}
    return any(parts.book.dish_pass.get(d.dish_id) == place and d.table not in taken
               for d in parts.book.waiting())
