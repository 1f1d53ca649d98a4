"""Plain words for the floor manager: why a robot is not moving, and what it is doing.

The dashboard shows these sentences next to each robot, so they are written for a
person standing on the floor: places by name ("table 7", "the pass"), robots by
serial, times in whole seconds. Kept apart from the controller so the wording can
change without touching how the controller decides anything.

Each sentence is a ``Phrase`` (``fleet.words``): an English template and its
arguments, so a client renders it in its own language ("테이블 7로 요리 2개 배달 중");
the ``*_words`` functions are the English text, for logs, alerts and tests.
Names (tables, robots) and a robot's own error text stay as they are.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fleet.controller.passhold import active_hold
from fleet.controller.phase import Phase, phase_of
from fleet.controller.robots import RobotRecord
from fleet.domain import RobotMode, StopKind, TripKind
from fleet.floor import PlaceKind
from fleet.floor.model import Cell, FloorPlan, Place
from fleet.words import Phrase, text

if TYPE_CHECKING:
    from fleet.controller.view import FleetView

NEAR_M = 2.0
"""A place this close to a cell names it ("the aisle by table 12")."""

_KIND_WORDS = {PlaceKind.TABLE: "table", PlaceKind.PASS: "pass",
               PlaceKind.DISH_RETURN: "dish return", PlaceKind.CHARGER: "charger",
               PlaceKind.PARKING: "parking", PlaceKind.HOST_STAND: "host stand"}
_THE = {PlaceKind.TABLE: "the table", PlaceKind.PASS: "the pass",
        PlaceKind.DISH_RETURN: "the dish return", PlaceKind.CHARGER: "the charger",
        PlaceKind.PARKING: "the parking", PlaceKind.HOST_STAND: "the host stand"}
_NAMED = {PlaceKind.TABLE: "table {name}", PlaceKind.PASS: "pass {name}",
          PlaceKind.DISH_RETURN: "dish return {name}", PlaceKind.CHARGER: "charger {name}",
          PlaceKind.PARKING: "parking {name}", PlaceKind.HOST_STAND: "host stand {name}"}
"""The English templates are the catalogue's ids (``fleet.words``), so each is
written out whole here rather than built from the kind's word."""


def place_phrase(place: Place) -> Phrase:
    """"table 7" for a table named "7", "table-1" as it is, "the pass" for a pass named
    "pass" and "the dish return" for one named "return"."""
    word = _KIND_WORDS[place.kind]
    name = place.name.lower().replace("_", " ")
    if name in word:
        return Phrase.of(_THE[place.kind])
    if word.replace(" ", "") in name.replace(" ", ""):
        return text(place.name)
    return Phrase.of(_NAMED[place.kind], name=place.name)


def place_words(place: Place) -> str:
    return str(place_phrase(place))


def _stop_place(plan: FloorPlan, name: str) -> Phrase:
    place = plan.places.get(name)
    return place_phrase(place) if place is not None else text(name)


def where_phrase(plan: FloorPlan, cell: Cell) -> Phrase:
    """"by table 12" when a place is within ``NEAR_M`` of the cell, else "at (x, y) m"."""
    x, y = plan.centre_of(cell)
    best: tuple[float, Place] | None = None
    for place in plan.places.values():
        points = list(place.spots) + list(place.outline)
        if not points:
            continue
        d = min(math.hypot(px - x, py - y) for px, py in points)
        if best is None or d < best[0]:
            best = (d, place)
    if best is not None and best[0] <= NEAR_M:
        return Phrase.of("by {place}", place=place_phrase(best[1]))
    return Phrase.of("at ({x}, {y}) m", x=f"{x:.1f}", y=f"{y:.1f}")


def where_words(plan: FloorPlan, cell: Cell) -> str:
    return str(where_phrase(plan, cell))


def _dishes(n: int) -> Phrase:
    return Phrase.of("{n} dish" if n == 1 else "{n} dishes", n=str(n))


def _error(rec: RobotRecord) -> Phrase | None:
    """The robot's own first error (its words, not translated), None when it has none."""
    state = rec.state
    if state is None or not state.errors:
        return None
    error = state.errors[0]
    return text(f"{error.error_type}: {error.description}" if error.description
                else error.error_type)


def _secs(seconds: float) -> str:
    return f"{seconds:.0f}"


def waiting_phrase(view: FleetView, serial: str, now: float) -> Phrase | None:
    """Why the robot is not moving, in plain words; None when it is not waiting.

    The sentence follows the robot's phase (``fleet.controller.phase``), whose order
    of precedence is the order of what a person must do something about first: a
    link or a safety stop before traffic. Charging is not waiting."""
    rec = view.robots[serial]
    phase = phase_of(view, rec)
    mode = rec.mode
    if phase is Phase.OFFLINE:
        if rec.state is None:
            return Phrase.of("offline: not heard from yet")
        return Phrase.of("offline for {s} s", s=_secs(max(0.0, now - rec.last_state_at)))
    if phase is Phase.HELD:
        if mode is RobotMode.ESTOPPED:
            return Phrase.of("e-stop pressed")
        if mode is RobotMode.FAULT:
            error = _error(rec)
            return (Phrase.of("fault") if error is None
                    else Phrase.of("fault: {error}", error=error))
        if mode is RobotMode.MANUAL:
            return Phrase.of("in manual mode")
        if rec.paused_by_manager or mode is RobotMode.PAUSED:
            return Phrase.of("paused by the manager" if rec.paused_by_manager
                             else "paused on the robot")
        return None  # off duty or withdrawn, with no trip: said by what it is doing
    if phase is Phase.YIELDING:
        wait = view.traffic.waiting_for(serial)
        if wait is None:  # gave way, and waits for its own way on to be clear
            return Phrase.of("stepped aside for other robots: goes on when its way is clear")
        return Phrase.of("waiting for {robot} to clear the aisle {where}",
                         robot=wait.blocker, where=where_phrase(view.plan, wait.cell))
    trip = rec.trip
    if trip is None:  # stranded, or not yet placed with something aboard
        return (Phrase.of("cannot unload: {reason}", reason=text(rec.stranded))
                if rec.stranded else None)
    stop = trip.current
    if stop is not None and rec.goal_since is not None:
        since = _secs(max(0.0, now - rec.goal_since))
        where = _stop_place(view.plan, stop.place)
        if stop.kind is StopKind.SERVE:
            return Phrase.of("at {place}: dish not taken yet ({s} s)", place=where, s=since)
        hold = active_hold(rec)
        if stop.kind is StopKind.LOAD and hold is not None:
            due = hold.expected_at - now
            if due >= 0.5:
                return Phrase.of("at {place}: waiting for {dish}, expected ready in {s} s",
                                 place=where, dish=", ".join(hold.dishes), s=_secs(due))
            return Phrase.of("at {place}: waiting for {dish}, expected ready {s} s ago",
                             place=where, dish=", ".join(hold.dishes), s=_secs(-due))
        if stop.kind is StopKind.LOAD:
            waiting = max(1, len(stop.trays) - len(rec.loads))
            return Phrase.of("at {place}: waiting for staff to load {dishes}", place=where,
                             dishes=_dishes(waiting))
        if stop.kind is StopKind.COLLECT:
            return Phrase.of("at {place}: waiting for dirty dishes ({s} s)", place=where,
                             s=since)
        if stop.kind is StopKind.UNLOAD:
            return Phrase.of("at {place}: waiting for staff to unload", place=where)
    note = rec.note
    if note.startswith(("waiting", "cannot route", "finishing")):
        words = rec.note_words
        return words if words is not None and str(words) == note else text(note)
    return None


def waiting_words(view: FleetView, serial: str, now: float) -> str:
    phrase = waiting_phrase(view, serial, now)
    return "" if phrase is None else str(phrase)


def stall_phrase(view: FleetView, serial: str, now: float) -> Phrase:
    """What holds a robot that makes no progress: its wait in plain words, else the
    problem it reports (a warning such as ``stuck`` does not stop it being WORKING),
    else that nothing explains it (a person should look)."""
    waiting = waiting_phrase(view, serial, now)
    if waiting is not None:
        return waiting
    error = _error(view.robots[serial])
    if error is not None:
        return Phrase.of("it reports {error}", error=error)
    return Phrase.of(UNEXPLAINED)


def stall_words(view: FleetView, serial: str, now: float) -> str:
    return str(stall_phrase(view, serial, now))


UNEXPLAINED = "nothing it reports explains it"


def doing_phrase(view: FleetView, serial: str, now: float) -> Phrase | None:
    """What the robot is doing, in plain words ("to table 7 with 2 dishes")."""
    rec = view.robots[serial]
    trip = rec.trip
    if rec.withdrawn and trip is None:
        return Phrase.of("out of service: {reason} (resume it once fixed)",
                         reason=text(rec.withdrawn))
    if rec.off_duty is not None:
        if trip is not None and trip.current is not None:
            return Phrase.of("to dock {dock} (off duty)", dock=rec.off_duty)
        if rec.charging:
            return Phrase.of("off duty at dock {dock}, charging {battery} %", dock=rec.off_duty,
                             battery=f"{rec.battery:.0f}")
        return Phrase.of("off duty at dock {dock}", dock=rec.off_duty)
    if trip is not None:
        stop = trip.current
        if stop is None:
            return Phrase.of("finishing its trip")
        where = _stop_place(view.plan, stop.place)
        there = rec.goal_since is not None
        if stop.kind is StopKind.SERVE:
            if there:
                return Phrase.of("serving {place}", place=where)
            n = len(stop.dishes) or len(rec.loads)
            return Phrase.of("to {place} with {dishes}", place=where, dishes=_dishes(n))
        if stop.kind is StopKind.LOAD:
            return Phrase.of("loading at {place}" if there else "to {place} to load",
                             place=where)
        if stop.kind is StopKind.COLLECT:
            return Phrase.of("collecting at {place}" if there else "to {place} to collect",
                             place=where)
        if stop.kind is StopKind.UNLOAD:
            if trip.kind is TripKind.UNLOAD:
                what = _dishes(len(set(stop.dishes)) or len(stop.trays))
                return Phrase.of("unloading {dishes} at {place}" if there
                                 else "returning {dishes} to {place}", dishes=what, place=where)
            return Phrase.of("unloading at {place}" if there else "back to {place}",
                             place=where)
        if stop.kind is StopKind.CHARGE:
            return Phrase.of("to {place} to charge", place=where)
        if stop.kind is StopKind.PARK:
            if trip.kind is TripKind.PARK and stop.cell is not None:
                return Phrase.of("stepping aside")
            return Phrase.of("to {place}", place=where)
    if rec.to_unload():
        return Phrase.of("holding {dishes} to take back", dishes=_dishes(rec.dishes_to_unload()))
    if rec.charging:
        return Phrase.of("charging, {battery} %", battery=f"{rec.battery:.0f}")
    if rec.cell is not None:
        for place in view.plan.places.values():
            if rec.cell in place.cells:
                if place.kind in (PlaceKind.PARKING, PlaceKind.CHARGER):
                    return Phrase.of("parked at {name}", name=place.name)
                if place.kind is PlaceKind.PASS:
                    return Phrase.of("idle at {place}", place=place_phrase(place))
    return Phrase.of("idle")


def doing_words(view: FleetView, serial: str, now: float) -> str:
    phrase = doing_phrase(view, serial, now)
    return "" if phrase is None else str(phrase)
