"""What trip work reads and asks of the rest of the controller, handed down by ``core``.

Trip work (``tripwork``) and the parts it works through (starting a stop in
``stopstart``, making way in ``makeway``, the dish rules in ``dishprogress``) used
to reach all of it through the controller object. ``TripParts`` names what they
use instead: the records they work on (the plan, the robot records, traffic, the
order book, the store, the trips by id, travel times, the dispatch policy), what
they read of other parts (the manager's closures, each robot's phase, a restart
being settled), the controller's limits, and as callables what they ask of it (an
event recorded, an instant action, a robot's mode read again, dispatch woken, a
trip id). It is a ``DishSite`` for the dish rules and a ``FleetView`` for the
words that explain a stall, as it stands.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from fleet.domain import Dish

if TYPE_CHECKING:
    from fleet.controller.orderbook import OrderBook
    from fleet.controller.phase import Phase
    from fleet.controller.restart import RestartRecovery
    from fleet.controller.robots import Instant, RobotRecord
    from fleet.dispatch import Policy, TravelTimes
    from fleet.domain import Trip
    from fleet.domain.events import Emit
    from fleet.floor import FloorPlan
    from fleet.floor.model import Cell
    from fleet.store.base import Store
    from fleet.traffic import TrafficManager


class Closures(Protocol):
    """What the floor manager has closed (``FloorOps``): no trip goes there."""

    def closed_cells(self) -> frozenset[Cell]: ...

    def closed_tables(self) -> set[str]: ...


class Phases(Protocol):
    """Each robot's phase as the watchdog last read it, and since when (``Watchdog``):
    making way moves only robots idle for a while."""

    def phase(self, serial: str) -> Phase | None: ...

    def since(self, serial: str) -> float | None: ...


@dataclass(frozen=True, slots=True)
class TripParts:
    """See the module docstring. The fields are fixed when ``core`` builds its parts;
    the records and collections behind them are the controller's own, shared."""

    plan: FloorPlan
    robots: Mapping[str, RobotRecord]
    traffic: TrafficManager
    book: OrderBook
    store: Store
    trips: dict[str, Trip]
    """Every trip by id: trip work adds those it begins (``retention`` lets them go)."""
    times: Mapping[str, TravelTimes]
    """Free-flow travel times by robot model name."""
    policy: Policy
    phases: Phases
    closures: Callable[[], Closures]
    """The manager's operations (``FloorOps``), built after trip work: they ask it for
    trips, so they are reached when asked, not held."""
    recovery: Callable[[], RestartRecovery | None]
    """The restart being settled, if any: it ends while the controller runs."""
    emit: Emit
    instant: Instant
    set_mode: Callable[[RobotRecord, float], None]
    """Reads the robot's mode again (``Controller.set_mode``): a trip begun, handed on
    or finished changes whether it is busy."""
    request_dispatch: Callable[[], None]
    new_trip_id: Callable[[], str]
    run_id: str
    """Part of every orderId sent (``Controller.run_id``)."""
    guest_timeout_s: float
    cold_food_s: float
    stall_abort_s: float
    no_progress_s: float

    def dish(self, dish_id: str) -> Dish:
        return self.book.dishes[dish_id]

    def save(self, dish: Dish) -> None:
        self.store.save_dish(dish)
