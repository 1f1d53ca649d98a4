"""Plain words for the floor manager: why a robot is not moving, and what it is doing.

The dashboard shows these sentences next to each robot, so they are written for a
person standing on the floor: places by name ("table 7", "the pass"), robots by
serial, times in whole seconds. Kept apart from the controller so the wording can
change without touching how the controller decides anything.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fleet.controller.robots import RobotRecord
from fleet.domain import RobotMode, StopKind, TripKind
from fleet.floor import PlaceKind
from fleet.floor.model import Cell, Place

if TYPE_CHECKING:
    from fleet.controller.core import Controller

NEAR_M = 2.0
"""A place this close to a cell names it ("the aisle by table 12")."""

_KIND_WORDS = {PlaceKind.TABLE: "table", PlaceKind.PASS: "pass",
               PlaceKind.DISH_RETURN: "dish return", PlaceKind.CHARGER: "charger",
               PlaceKind.PARKING: "parking", PlaceKind.HOST_STAND: "host stand"}


def place_words(place: Place) -> str:
    """"table 7" for a table named "7", "table-1" as it is, "the pass" for a pass named
    "pass" and "the dish return" for one named "return"."""
    word = _KIND_WORDS[place.kind]
    name = place.name.lower().replace("_", " ")
    if name in word:
        return f"the {word}"
    if word.replace(" ", "") in name.replace(" ", ""):
        return place.name
    return f"{word} {place.name}"


def _stop_place_words(ctl: Controller, name: str) -> str:
    place = ctl.plan.places.get(name)
    return place_words(place) if place is not None else name


def where_words(ctl: Controller, cell: Cell) -> str:
    """"by table 12" when a place is within ``NEAR_M`` of the cell, else "at (x, y) m"."""
    x, y = ctl.plan.centre_of(cell)
    best: tuple[float, Place] | None = None
    for place in ctl.plan.places.values():
        points = list(place.spots) + list(place.outline)
        if not points:
            continue
        d = min(math.hypot(px - x, py - y) for px, py in points)
        if best is None or d < best[0]:
            best = (d, place)
    if best is not None and best[0] <= NEAR_M:
        return f"by {place_words(best[1])}"
    return f"at ({x:.1f}, {y:.1f}) m"


def _dishes(n: int) -> str:
    return f"{n} dish" if n == 1 else f"{n} dishes"


def _error_words(rec: RobotRecord) -> str:
    state = rec.state
    if state is None or not state.errors:
        return "fault"
    error = state.errors[0]
    text = f"{error.error_type}: {error.description}" if error.description else error.error_type
    return f"fault: {text}"


def waiting_words(ctl: Controller, serial: str, now: float) -> str:
    """Why the robot is not moving, in plain words; "" when it is not waiting.

    Charging is not waiting. The order of the checks is the order of what a person
    must do something about first: a link or a safety stop before traffic."""
    rec = ctl.robots[serial]
    mode = rec.mode
    if mode is RobotMode.OFFLINE:
        if rec.state is None:
            return "offline: not heard from yet"
        return f"offline for {max(0.0, now - rec.last_state_at):.0f} s"
    if mode is RobotMode.ESTOPPED:
        return "e-stop pressed"
    if mode is RobotMode.FAULT:
        return _error_words(rec)
    if mode is RobotMode.MANUAL:
        return "in manual mode"
    if rec.paused_by_manager or mode is RobotMode.PAUSED:
        return "paused by the manager" if rec.paused_by_manager else "paused on the robot"
    if rec.in_traffic:
        wait = ctl.traffic.waiting_for(serial)
        if wait is not None:
            return f"waiting for {wait.blocker} to clear the aisle {where_words(ctl, wait.cell)}"
    trip = rec.trip
    if trip is None:
        return f"cannot unload: {rec.stranded}" if rec.stranded else ""
    stop = trip.current
    if stop is not None and rec.goal_since is not None:
        since = max(0.0, now - rec.goal_since)
        where = _stop_place_words(ctl, stop.place)
        if stop.kind is StopKind.SERVE:
            return f"at {where}: dish not taken yet ({since:.0f} s)"
        if stop.kind is StopKind.LOAD:
            waiting = max(1, len(stop.trays) - len(rec.loads))
            return f"at {where}: waiting for staff to load {_dishes(waiting)}"
        if stop.kind is StopKind.COLLECT:
            return f"at {where}: waiting for dirty dishes ({since:.0f} s)"
        if stop.kind is StopKind.UNLOAD:
            return f"at {where}: waiting for staff to unload"
    note = rec.note
    if note.startswith(("waiting", "cannot route", "finishing")):
        return note
    return ""


def stall_words(ctl: Controller, serial: str, now: float) -> str:
    """What holds a robot that makes no progress: its wait in plain words, else the
    problem it reports (a warning such as ``stuck`` does not stop it being WORKING),
    else that nothing explains it (a person should look)."""
    waiting = waiting_words(ctl, serial, now)
    if waiting:
        return waiting
    rec = ctl.robots[serial]
    if rec.state is not None and rec.state.errors:
        return f"it reports {_error_words(rec).removeprefix('fault: ')}"
    return UNEXPLAINED


UNEXPLAINED = "nothing it reports explains it"


def doing_words(ctl: Controller, serial: str, now: float) -> str:
    """What the robot is doing, in plain words ("to table 7 with 2 dishes")."""
    rec = ctl.robots[serial]
    trip = rec.trip
    if rec.withdrawn and trip is None:
        return f"out of service: {rec.withdrawn} (resume it once fixed)"
    if rec.off_duty is not None:
        if trip is not None and trip.current is not None:
            return f"to dock {rec.off_duty} (off duty)"
        charging = f", charging {rec.battery:.0f} %" if rec.charging else ""
        return f"off duty at dock {rec.off_duty}{charging}"
    if trip is not None:
        stop = trip.current
        if stop is None:
            return "finishing its trip"
        where = _stop_place_words(ctl, stop.place)
        there = rec.goal_since is not None
        if stop.kind is StopKind.SERVE:
            if there:
                return f"serving {where}"
            n = len(stop.dishes) or len(rec.loads)
            return f"to {where} with {_dishes(n)}"
        if stop.kind is StopKind.LOAD:
            return f"loading at {where}" if there else f"to {where} to load"
        if stop.kind is StopKind.COLLECT:
            return f"collecting at {where}" if there else f"to {where} to collect"
        if stop.kind is StopKind.UNLOAD:
            if trip.kind is TripKind.UNLOAD:
                what = _dishes(len(set(stop.dishes)) or len(stop.trays))
                return (f"unloading {what} at {where}" if there
                        else f"returning {what} to {where}")
            return f"unloading at {where}" if there else f"back to {where}"
        if stop.kind is StopKind.CHARGE:
            return f"to {where} to charge"
        if stop.kind is StopKind.PARK:
            if trip.kind is TripKind.PARK and stop.cell is not None:
                return "stepping aside"
            return f"to {where}"
    if rec.to_unload():
        return f"holding {_dishes(rec.dishes_to_unload())} to take back"
    if rec.charging:
        return f"charging, {rec.battery:.0f} %"
    if rec.cell is not None:
        for place in ctl.plan.places.values():
            if rec.cell in place.cells:
                if place.kind in (PlaceKind.PARKING, PlaceKind.CHARGER):
                    return f"parked at {place.name}"
                if place.kind is PlaceKind.PASS:
                    return f"idle at {place_words(place)}"
    return "idle"
