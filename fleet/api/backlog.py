"""Events from the controller's store as the fleet API shows them, on the site's clock:
the last ones (``recentEvents``) and one dish's (``dishHistory``).

``events`` is a stream: a client that connects mid-shift, or comes back after
the broker was away, hears only what happens from then on. ``recentEvents``
answers with the last events the store kept instead, so a dashboard opened at
eight in the evening shows what went wrong at seven.

The store keeps each event at the time of the run that recorded it, and each
run counts on its own clock (the machine's monotonic clock, which a reboot
starts again). A run's ``ControllerStarted`` event carries its epoch (site time
minus its clock), so reading back from the newest event, every such event
crossed moves to the epoch of the run before.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection

from fleet.api.messages import EventView
from fleet.api.words import words_view
from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.domain.orders import Dish
from fleet.reporting import dish_history
from fleet.store.base import Store


def event_view(e: Event, epoch: float) -> EventView:
    """``e`` for clients: its time on the site's clock (``epoch`` + the run's time), and
    its words when it has them (a live event; the store keeps the English only)."""
    return EventView(kind=e.kind, at=epoch + e.at, text=e.text, words=words_view(e.words),
                     robot=e.robot, order_id=e.order_id, dish_id=e.dish_id,
                     trip_id=e.trip_id)


def recent_events(store: Store, limit: int, epoch: float,
                  leave_out: Collection[str] = ()) -> list[EventView]:
    """The last ``limit`` events recorded, oldest first, none of the kinds in
    ``leave_out``. ``epoch`` is this run's; events of earlier runs take theirs from
    their ``ControllerStarted`` events (this run's when an earlier run recorded none,
    as a simulation does), which are read even when left out."""
    latest = store.latest_events(limit, set(leave_out) - {ev.CONTROLLER_STARTED})
    if not latest:
        return []
    starts: list[float | None] = []
    for started in store.events(kinds={ev.CONTROLLER_STARTED}):
        value = started.data.get("epoch")
        starts.append(float(value) if isinstance(value, int | float) else None)
    out: list[EventView] = []
    current, crossed = epoch, 0
    for e in reversed(latest):
        out.append(event_view(e, current))
        if e.kind == ev.CONTROLLER_STARTED:
            crossed += 1
            index = len(starts) - 1 - crossed
            earlier = starts[index] if index >= 0 else None
            current = earlier if earlier is not None else epoch
    out.reverse()
    return [v for v in out if v.kind not in leave_out]


def _epoch_of(started: Event) -> float | None:
    value = started.data.get("epoch")
    return float(value) if isinstance(value, int | float) else None


def dish_events(store: Store, dish: Dish, epoch: float) -> list[EventView]:
    """Every event of ``dish`` in the order it happened, as ``fleet report dish`` picks
    them (``fleet.reporting.dish_history``), each on the site's clock: a dish ordered
    before a restart and served after it reads in one time line."""
    found = store.events_about(dish.order_id, dish.dish_id)
    runs = [_epoch_of(e) for e in found if e.kind == ev.CONTROLLER_STARTED]
    current = next((x for x in runs if x is not None), epoch)
    on_site: list[Event] = []
    for e in found:
        if e.kind == ev.CONTROLLER_STARTED:
            started = _epoch_of(e)
            current = started if started is not None else epoch
            continue
        on_site.append(dataclasses.replace(e, at=current + e.at))
    return [event_view(e, 0.0) for e in dish_history(dish, on_site)]
