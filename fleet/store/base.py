"""The store interface the controller writes to, and its error."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator
from contextlib import AbstractContextManager, contextmanager
from types import TracebackType
from typing import Self

from fleet.domain.events import Event
from fleet.domain.orders import Dish, Order
from fleet.domain.trips import Trip, TripState


class Store(ABC):
    """Orders (with their dishes), trips, bussing calls and events, saved as they change.

    Saving is by value: a store keeps what it was given at the time of the call,
    so the controller saves an object again after changing it (``save_dish``
    after a dish moves, ``save_trip`` after a trip advances). Saves are upserts
    by id. What ``open_orders`` and ``open_trips`` return are fresh objects, in
    the order they were first saved, for a restarted controller to adopt.

    Event ``data`` must be JSON-serialisable (strings, numbers, booleans, None,
    lists and dicts of them).

    Each call is durable on return unless made inside ``with store.batch():``,
    where the batch is durable as a whole when the block ends (one transaction:
    use it where one step of the controller makes many writes).
    """

    @abstractmethod
    def record(self, event: Event) -> None: ...

    @abstractmethod
    def save_order(self, order: Order) -> None:
        """Save the order and every dish in it."""

    @abstractmethod
    def save_dish(self, dish: Dish) -> None:
        """Save one dish; its order must have been saved."""

    @abstractmethod
    def save_trip(self, trip: Trip) -> None: ...

    @abstractmethod
    def save_bussing_call(self, table: str, at: float) -> None:
        """Keep a table's acknowledged bussing call until ``drop_bussing_call``: the
        till heard "ok" and will not call again, so a controller killed before a
        robot has collected there must find the call on restart. A call already
        kept for the table keeps its first time."""

    @abstractmethod
    def drop_bussing_call(self, table: str) -> None:
        """The robot has collected at ``table`` (or its trip was given up while the
        controller ran, which forgets the call as before); nothing when none is kept."""

    @abstractmethod
    def bussing_calls(self) -> list[tuple[str, float]]:
        """(table, time called) of every call kept, oldest first."""

    @abstractmethod
    def open_orders(self) -> list[Order]:
        """Orders with at least one dish not served, cancelled or failed."""

    @abstractmethod
    def order(self, order_id: str) -> Order | None:
        """One saved order with its dishes, open or closed; None when never saved."""

    @abstractmethod
    def open_trips(self) -> list[Trip]:
        """Trips planned or under way."""

    @abstractmethod
    def dishes(self) -> list[Dish]:
        """Every dish saved, open or closed (what a report over a run counts), order by
        order as first saved and in each order's own order."""

    @abstractmethod
    def trips(self) -> list[Trip]:
        """Every trip saved, open or closed, in the order first saved."""

    @abstractmethod
    def events(self, since: float = 0.0, kinds: Collection[str] | None = None) -> list[Event]:
        """Events that happened at or after ``since`` (of ``kinds`` only, when given), in
        the order recorded."""

    @abstractmethod
    def latest_events(self, limit: int, leave_out: Collection[str] = ()) -> list[Event]:
        """The last ``limit`` events recorded not of the kinds in ``leave_out``, in the
        order recorded, whatever run or clock they came from (a dashboard opened
        mid-shift reads what it missed)."""

    @abstractmethod
    def events_about(self, order_id: str, dish_id: str) -> list[Event]:
        """In the order recorded: events naming the order or the dish, those of every
        trip such an event names, those whose ``data`` lists the dish, and every
        ``ControllerStarted`` (whose epochs put each run's times on one clock). A
        superset of the dish's story, for ``fleet.reporting.dish_history`` to pick
        from without reading a whole day of events."""

    @abstractmethod
    def close(self) -> None:
        """Release the store; calling it again does nothing."""

    def batch(self) -> AbstractContextManager[None]:
        """Group writes into one transaction (no-op where writes are not durable)."""
        return _nothing()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


@contextmanager
def _nothing() -> Iterator[None]:
    yield


OPEN_TRIP_STATES = (TripState.PLANNED, TripState.ACTIVE)
