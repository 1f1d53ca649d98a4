"""Trip work on the parts ``core`` hands it (``fleet.controller.tripparts``), with no
controller around it: a dispatch round (``Dispatcher``) over it with a dish ready and a
robot free at the pass makes a trip, the dish given to that robot, told, saved and the
robot's mode asked again; the trip given up,
the dish goes back to be dispatched and dispatch is woken. No loop, no simulator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from e2e import small_room
from simkit import MODEL

from fleet.assembly import plan_budget
from fleet.controller.commands import SendInstantActions
from fleet.controller.dispatcher import Dispatcher
from fleet.controller.orderbook import OrderBook
from fleet.controller.phase import Phase
from fleet.controller.robots import RobotRecord
from fleet.controller.tripparts import TripParts
from fleet.controller.tripwork import TripWork
from fleet.dispatch import TravelTimes, make_policy
from fleet.domain import DishState, RobotMode, Trip, TripKind, TripState
from fleet.domain import events as ev
from fleet.floor.model import Cell
from fleet.intake import DishRequest, OrderRequest
from fleet.routing import precompute_fields
from fleet.store import MemoryStore
from fleet.traffic import TrafficManager
from fleet.words import Phrase


class _Open:
    """The manager has closed nothing."""

    def closed_cells(self) -> frozenset[Cell]:
        return frozenset()

    def closed_tables(self) -> set[str]:
        return set()


class _NoPhases:
    """The watchdog has read no phase yet."""

    def phase(self, serial: str) -> Phase | None:
        return None

    def since(self, serial: str) -> float | None:
        return None


class _Site:
    """What trip work asks of the controller, recorded."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.modes_read: list[str] = []
        self.dispatch_asked = 0
        self.ids = 0

    def emit(self, kind: str, now: float, text: str | Phrase, *, robot: str | None = None,
             order_id: str | None = None, dish_id: str | None = None,
             trip_id: str | None = None, data: Mapping[str, Any] | None = None,
             words: Phrase | None = None) -> None:
        self.events.append((kind, str(text)))

    def instant(self, rec: RobotRecord, action_type: str, now: float) -> SendInstantActions:
        raise AssertionError(f"no instant action expected ({action_type} for {rec.serial})")

    def set_mode(self, rec: RobotRecord, now: float) -> None:
        self.modes_read.append(rec.serial)

    def request_dispatch(self) -> None:
        self.dispatch_asked += 1

    def new_trip_id(self) -> str:
        self.ids += 1
        return f"trip-t-{self.ids}"


def test_trip_work_dispatches_and_gives_up_on_the_parts_it_is_handed() -> None:
    plan = small_room()
    fields = precompute_fields(plan)
    store, site = MemoryStore(), _Site()
    book = OrderBook(plan, max_trays=MODEL.trays, emit=lambda event: None)
    robots = {"A": RobotRecord(serial="A", model=MODEL, mode=RobotMode.IDLE, cell=(0, 0),
                               in_traffic=True)}
    trips: dict[str, Trip] = {}
    parts = TripParts(
        plan, robots, TrafficManager(plan, fields=fields, budget=plan_budget(plan)), book,
        store, trips, {MODEL.name: TravelTimes(plan, MODEL, fields)},
        make_policy("fleet", cold_food_s=300.0), phases=_NoPhases(), closures=_Open,
        recovery=lambda: None, emit=site.emit, instant=site.instant, set_mode=site.set_mode,
        request_dispatch=site.request_dispatch, new_trip_id=site.new_trip_id, run_id="t",
        guest_timeout_s=90.0, cold_food_s=300.0, stall_abort_s=180.0, no_progress_s=60.0)
    work = TripWork(parts)
    store.save_order(book.submit(OrderRequest(order_id="P1", table="table-1",
                                              dishes=(DishRequest("soup", 1),)), 0.0))
    dish = book.mark_ready("P1", 0, 1.0)
    assert dish is not None

    Dispatcher(work).dispatch(2.0)

    trip = robots["A"].trip
    assert trip is not None and trip.kind is TripKind.SERVE and trip.dishes == (dish.dish_id,)
    assert trips == {"trip-t-1": trip} and store.trips() == [trip]
    assert (dish.state, dish.robot, dish.trip_id) == (DishState.ASSIGNED, "A", "trip-t-1")
    assert [k for k, _ in site.events] == [ev.DISH_ASSIGNED, ev.TRIP_ASSIGNED]
    assert site.modes_read == ["A"] and work.pending == {"A"}

    work.abort(robots["A"], 5.0, "test gives up")

    assert robots["A"].trip is None and trip.state is TripState.ABORTED
    assert dish.state is DishState.READY and dish.robot is None
    assert site.dispatch_asked == 1 and work.pending == set()
    assert site.events[-1] == (ev.TRIP_ABORTED, "trip-t-1 aborted: test gives up")
