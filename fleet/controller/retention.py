"""What a long day may not keep in memory: closed orders and finished trips.

The store keeps every order, dish, trip and event; the controller's memory only
needs what is still moving and what people still look at. Without a bound, a
service day grows the process by every order it took (a simulated 8-hour day
with 30 robots: about 2 MB an hour, ``fleet chaos --rss-every``), and a
controller that runs for a week would grow for a week. A controller restarted
from its store holds only the open orders (``fleet.controller.restart``): this
makes a long run hold what a fresh one would, plus the last ``KEEP_S``.

An order closes when every dish of it has ended (served, by staff, failed or
cancelled). It is let go ``KEEP_S`` after the controller first saw it closed, and
not while a trip that is still going, or any robot's current trip (an aborted one
it has not let go of), names one of its dishes. If its id comes
again (a POS resending), ``Controller.take_back_order`` takes it back from the store,
as after a restart. A trip is let go ``KEEP_S`` after it finished.

It holds no controller: ``core`` hands it the three things it reads or trims (the
robot records, whose current trips keep theirs, the trips by id, and the order
book), so a sweep reads, and is tested, on those alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from fleet.domain.trips import Trip, TripState

if TYPE_CHECKING:
    from fleet.controller.orderbook import OrderBook
    from fleet.controller.robots import RobotRecord

KEEP_S = 3600.0
"""Site seconds a closed order or a finished trip stays in memory: longer than the
fleet API keeps a closed order on its retained topic (10 min) and than any trip
lasts, so nothing that reads them in the meantime finds them gone."""
SWEEP_S = 60.0
"""How often the controller looks (site seconds): a sweep walks every order held."""


class Retention:
    """Decides, once a ``SWEEP_S``, which closed orders and finished trips go."""

    def __init__(self, robots: Mapping[str, RobotRecord], trips: dict[str, Trip],
                 book: OrderBook, *, keep_s: float = KEEP_S) -> None:
        self.robots = robots
        """Read only: a robot's current trip, and what it carries, stay."""
        self.trips = trips
        """The controller's trips by id: finished ones are deleted from it."""
        self.book = book
        """Closed orders are let go from it (``OrderBook.forget``)."""
        self.keep_s = keep_s
        self._closed_at: dict[str, float] = {}
        """Order id -> when a sweep first found it closed."""
        self._next = 0.0
        self.orders_let_go = 0
        self.trips_let_go = 0

    def sweep(self, now: float) -> None:
        if now < self._next:
            return
        self._next = now + SWEEP_S
        # A robot's trip is still read while the robot reports on it, even once it
        # ended (an aborted trip the robot has not let go of): its dishes and it stay.
        held = [rec.trip for rec in self.robots.values() if rec.trip is not None]
        trips = held + [t for t in self.trips.values()
                        if t.state not in (TripState.DONE, TripState.ABORTED)]
        going = {d for t in trips for d in (*t.dishes, *(x for s in t.stops for x in s.dishes))}
        going.update(d for rec in self.robots.values() for d in rec.aboard_dishes)
        kept = {t.trip_id for t in held}
        book = self.book
        for order_id, order in list(book.orders.items()):
            if any(not d.state.final or d.dish_id in going for d in order.dishes):
                self._closed_at.pop(order_id, None)
                continue
            closed = self._closed_at.setdefault(order_id, now)
            if now - closed >= self.keep_s:
                book.forget(order_id)
                del self._closed_at[order_id]
                self.orders_let_go += 1
        for trip_id, trip in list(self.trips.items()):
            if (trip.finished_at is not None and trip_id not in kept
                    and trip.state in (TripState.DONE, TripState.ABORTED)
                    and now - trip.finished_at >= self.keep_s):
                del self.trips[trip_id]
                self.trips_let_go += 1
