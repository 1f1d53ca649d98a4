"""Trips: what a robot is sent to do, as a list of stops.

A serving trip loads up to N trays at the pass, visits up to N tables, and
returns. A bussing trip collects dirty dishes at a table and unloads them at
the dish return. Charging, parking and unloading trips have one stop; an
unloading trip takes what an aborted trip left on the trays to the dish return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class TripKind(StrEnum):
    SERVE = "serve"
    BUS = "bus"
    CHARGE = "charge"
    PARK = "park"
    UNLOAD = "unload"
    """To the dish return (or the pass) with what an ended trip left on the trays."""


class StopKind(StrEnum):
    LOAD = "load"
    """At the pass: staff put dishes on trays (VDA ``pick`` per tray)."""
    SERVE = "serve"
    """At a table: present the trays (``drop``) and wait for the guest (``waitForTrigger``)."""
    COLLECT = "collect"
    """Bussing: guests or staff put dirty dishes on the trays at a table."""
    UNLOAD = "unload"
    """At the dish return."""
    CHARGE = "charge"
    PARK = "park"


class TripState(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    DONE = "done"
    ABORTED = "aborted"


@dataclass(frozen=True, slots=True)
class Stop:
    place: str
    kind: StopKind
    dishes: tuple[str, ...] = ()
    trays: tuple[str, ...] = ()
    cell: tuple[int, int] | None = None
    """A cell to go to instead of the place's spots (stepping aside onto open floor)."""


@dataclass(slots=True)
class Trip:
    trip_id: str
    robot: str
    kind: TripKind
    stops: list[Stop]
    created_at: float
    state: TripState = TripState.PLANNED
    next_stop: int = 0
    finished_at: float | None = None
    reason: str = ""
    dishes: tuple[str, ...] = field(default=())

    @property
    def current(self) -> Stop | None:
        return self.stops[self.next_stop] if self.next_stop < len(self.stops) else None
