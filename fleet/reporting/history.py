"""One dish's story, from the event log: what a floor manager reads when a guest
asks where their food went.

The controller tags few events with a dish: the order's own events carry only
the order id, a trip's arrivals only the trip id, and a "dishes late" alert only
the first dish of its table. So the story is gathered by those links: the
dish's own events, its order's events that name no dish, the events of every
trip it was assigned to, and alerts that list it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.domain.orders import Dish

_TRIP_KINDS = frozenset({ev.TRIP_ASSIGNED, ev.ROBOT_ARRIVED, ev.TRIP_FINISHED,
                         ev.TRIP_ABORTED})
"""Trip events that are part of a dish's story (not, say, a robot's later faults)."""


def _lists(event: Event, dish_id: str) -> bool:
    listed = event.data.get("dishes")
    return isinstance(listed, list | tuple) and dish_id in listed


def dish_history(dish: Dish, events: Iterable[Event]) -> list[Event]:
    """The dish's events in the order they happened (ties in the order recorded)."""
    log = list(events)
    trips = {e.trip_id for e in log if e.dish_id == dish.dish_id and e.trip_id}
    if dish.trip_id:
        trips.add(dish.trip_id)
    mine = [e for e in log
            if e.dish_id == dish.dish_id
            or (e.dish_id is None and e.order_id == dish.order_id)
            or (e.trip_id in trips and e.kind in _TRIP_KINDS)
            or _lists(e, dish.dish_id)]
    return sorted(mine, key=lambda e: e.at)


class Happened(Protocol):
    """An event as the store keeps it or as the fleet API sends it (``EventView``)."""

    @property
    def kind(self) -> str: ...
    @property
    def at(self) -> float: ...
    @property
    def robot(self) -> str | None: ...
    @property
    def trip_id(self) -> str | None: ...
    @property
    def text(self) -> str: ...


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: float
    since_first: float
    """Seconds after the story's first event: how long each step took to come."""
    kind: str
    robot: str
    trip: str
    text: str


def history_lines(events: Sequence[Happened]) -> list[HistoryLine]:
    """A dish's story as lines to show, the same in ``fleet report dish`` and on the
    dashboard (which gets the events over the fleet API, not from the store)."""
    first = events[0].at if events else 0.0
    return [HistoryLine(e.at, e.at - first, e.kind, e.robot or "", e.trip_id or "", e.text)
            for e in events]
