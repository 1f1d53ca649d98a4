"""A store that lives as long as the process: for simulations and tests."""

from __future__ import annotations

import copy
import json
from collections.abc import Collection
from types import MappingProxyType

from fleet.domain.events import CONTROLLER_STARTED, Event
from fleet.domain.orders import Dish, Order
from fleet.domain.trips import Trip
from fleet.errors import StoreError
from fleet.store.base import OPEN_TRIP_STATES, Store


def _copy_order(order: Order) -> Order:
    return Order(order_id=order.order_id, table=order.table,
                 dishes=[copy.copy(d) for d in order.dishes], priority=order.priority,
                 note=order.note, created_at=order.created_at, party=order.party)


def _copy_trip(trip: Trip) -> Trip:
    clone = copy.copy(trip)
    clone.stops = list(trip.stops)
    return clone


class MemoryStore(Store):
    """Keeps copies of what it is given (see ``Store``), so it behaves like a file."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}
        self._dish_at: dict[str, tuple[str, int]] = {}
        self._trips: dict[str, Trip] = {}
        self._events: list[Event] = []
        self._bussing: dict[str, float] = {}
        self._closed = False

    def _check(self) -> None:
        if self._closed:
            raise StoreError("memory store: used after close()")

    def record(self, event: Event) -> None:
        self._check()
        if event.data and not isinstance(event.data, MappingProxyType):
            event = Event(event.kind, event.at, event.robot, event.order_id, event.dish_id,
                          event.trip_id, event.text, MappingProxyType(dict(event.data)))
        self._events.append(event)

    def save_order(self, order: Order) -> None:
        self._check()
        old = self._orders.get(order.order_id)
        kept = Order(order_id=order.order_id, table=order.table,
                     dishes=[] if old is None else old.dishes, priority=order.priority,
                     note=order.note, created_at=order.created_at, party=order.party)
        self._orders[order.order_id] = kept
        for dish in order.dishes:
            self._put(kept, dish)

    def save_dish(self, dish: Dish) -> None:
        self._check()
        order = self._orders.get(dish.order_id)
        if order is None:
            raise StoreError(f"memory store: dish {dish.dish_id}: order {dish.order_id} "
                             "was never saved")
        self._put(order, dish)

    def _put(self, order: Order, dish: Dish) -> None:
        """Upsert: a dish keeps its place in its order; a new one goes last."""
        at = self._dish_at.get(dish.dish_id)
        if at is None:
            self._dish_at[dish.dish_id] = (order.order_id, len(order.dishes))
            order.dishes.append(copy.copy(dish))
        else:
            order.dishes[at[1]] = copy.copy(dish)

    def save_trip(self, trip: Trip) -> None:
        self._check()
        self._trips[trip.trip_id] = _copy_trip(trip)

    def save_bussing_call(self, table: str, at: float) -> None:
        self._check()
        self._bussing.setdefault(table, at)

    def drop_bussing_call(self, table: str) -> None:
        self._check()
        self._bussing.pop(table, None)

    def bussing_calls(self) -> list[tuple[str, float]]:
        self._check()
        return sorted(self._bussing.items(), key=lambda call: call[1])

    def open_orders(self) -> list[Order]:
        self._check()
        return [_copy_order(o) for o in self._orders.values() if o.open]

    def order(self, order_id: str) -> Order | None:
        self._check()
        saved = self._orders.get(order_id)
        return None if saved is None else _copy_order(saved)

    def open_trips(self) -> list[Trip]:
        self._check()
        return [_copy_trip(t) for t in self._trips.values() if t.state in OPEN_TRIP_STATES]

    def dishes(self) -> list[Dish]:
        self._check()
        return [copy.copy(d) for o in self._orders.values() for d in o.dishes]

    def trips(self) -> list[Trip]:
        self._check()
        return [_copy_trip(t) for t in self._trips.values()]

    def events(self, since: float = 0.0, kinds: Collection[str] | None = None) -> list[Event]:
        self._check()
        return [e for e in self._events
                if e.at >= since and (kinds is None or e.kind in kinds)]

    def latest_events(self, limit: int, leave_out: Collection[str] = ()) -> list[Event]:
        self._check()
        kept = [e for e in self._events if e.kind not in leave_out]
        return kept[-limit:] if limit > 0 else []

    def events_about(self, order_id: str, dish_id: str) -> list[Event]:
        self._check()
        quoted = json.dumps(dish_id)
        trips = {e.trip_id for e in self._events
                 if e.trip_id and (e.order_id == order_id or e.dish_id == dish_id)}
        return [e for e in self._events
                if e.order_id == order_id or e.dish_id == dish_id or e.trip_id in trips
                or e.kind == CONTROLLER_STARTED or quoted in json.dumps(dict(e.data))]

    def close(self) -> None:
        self._closed = True
