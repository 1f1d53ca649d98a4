"""A long day does not keep every order in memory (``fleet.controller.retention``):
a closed order goes from the book an hour after it closed, an open one never does,
and the id of one let go is still known, answered from the store as after a
restart (a POS resending it gets the same order, a cancel of it is no error). A
finished trip goes an hour after it finished. The pure controller, fed by hand."""

from __future__ import annotations

from e2e import small_room
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.controller.core import EVENTS_KEPT, Controller
from fleet.controller.orderbook import OrderBook
from fleet.controller.retention import KEEP_S, SWEEP_S, Retention
from fleet.controller.robots import RobotRecord
from fleet.domain import DishState, Stop, StopKind, Trip, TripKind, TripState
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore


def _controller() -> Controller:
    return build_controller(small_room(), {"A": MODEL}, store=MemoryStore(), run_id="t")


def _request(order_id: str, dishes: int = 2) -> OrderRequest:
    return OrderRequest(order_id=order_id, table="table-1",
                        dishes=tuple(DishRequest(f"dish {i}", 1) for i in range(dishes)))


def _ticks(ctl: Controller, start: float, end: float) -> None:
    now = start
    while now <= end:
        ctl.tick(now)
        now += SWEEP_S / 2


def test_a_closed_order_goes_an_hour_after_it_closed_and_an_open_one_stays() -> None:
    ctl = _controller()
    ctl.submit(_request("P1"), 0.0)
    ctl.submit(_request("P2"), 0.0)
    ctl.cancel("P1", "guest left", 10.0)
    _ticks(ctl, 10.0, 10.0 + KEEP_S - 2 * SWEEP_S)
    assert "P1" in ctl.book.orders, "let go before its hour was up"
    _ticks(ctl, 10.0 + KEEP_S - 2 * SWEEP_S + 1, 10.0 + KEEP_S + 2 * SWEEP_S)
    assert "P1" not in ctl.book.orders and "P1/1" not in ctl.book.dishes
    assert "P2" in ctl.book.orders, "an open order never goes"
    assert ctl.retention.orders_let_go == 1


def test_the_id_of_an_order_let_go_is_still_known_from_the_store() -> None:
    ctl = _controller()
    ctl.submit(_request("P1"), 0.0)
    ctl.cancel("P1", "guest left", 10.0)
    _ticks(ctl, 10.0, 10.0 + KEEP_S + 2 * SWEEP_S)
    assert "P1" not in ctl.book.orders
    ctl.submit(_request("P1"), 4000.0)  # a POS resending: the same order, not a new one
    dishes = ctl.book.orders["P1"].dishes
    assert [d.state for d in dishes] == [DishState.CANCELLED, DishState.CANCELLED]
    ctl.cancel("P1", "again", 4001.0)  # no "unknown order"


def test_a_finished_trip_goes_an_hour_after_it_finished() -> None:
    ctl = _controller()
    done = Trip("trip-1", "A", TripKind.PARK, [Stop("charger", StopKind.PARK)], 0.0,
                state=TripState.DONE, finished_at=100.0)
    going = Trip("trip-2", "A", TripKind.PARK, [Stop("charger", StopKind.PARK)], 0.0,
                 state=TripState.ACTIVE)
    ctl.trips.update({"trip-1": done, "trip-2": going})
    _ticks(ctl, 100.0, 100.0 + KEEP_S + 2 * SWEEP_S)
    assert list(ctl.trips) == ["trip-2"]


def test_events_held_in_memory_stay_under_the_cap() -> None:
    ctl = _controller()
    for i in range(3 * EVENTS_KEPT):
        ctl.submit(_request(f"P{i}", 1), float(i))
    assert len(ctl.events) <= EVENTS_KEPT
    events, cursor = ctl.events_since(0)
    assert cursor == 3 * EVENTS_KEPT and events[-1].order_id == f"P{3 * EVENTS_KEPT - 1}"


def test_a_robots_current_trip_keeps_its_dishes_and_itself_even_once_ended() -> None:
    """A robot reporting on an aborted trip it still holds reads that trip's dishes
    (the 8-hour soak's controller died on a dish let go under such a trip)."""
    ctl = _controller()
    ctl.submit(_request("P1", 1), 0.0)
    ctl.cancel("P1", "guest left", 10.0)
    trip = Trip("trip-1", "A", TripKind.SERVE, [Stop("table-1", StopKind.SERVE,
                                                     dishes=("P1/1",), trays=("tray1",))],
                0.0, state=TripState.ABORTED, finished_at=10.0)
    ctl.trips["trip-1"] = trip
    ctl.robots["A"].trip = trip
    # The sweep alone: a tick would let the trip of a robot never heard from go.
    for now in (10.0, 10.0 + KEEP_S + SWEEP_S):
        ctl.retention.sweep(now)
    assert "P1/1" in ctl.book.dishes and "trip-1" in ctl.trips
    ctl.robots["A"].trip = None
    for now in (10.0 + KEEP_S + 2 * SWEEP_S, 10.0 + 2 * KEEP_S + 4 * SWEEP_S):
        ctl.retention.sweep(now)
    assert "P1/1" not in ctl.book.dishes and "trip-1" not in ctl.trips


def test_a_sweep_works_on_the_parts_it_is_handed_alone() -> None:
    """No controller around it: the book, the trips and the robot records ``core``
    hands it are all a sweep reads and trims; a dish a robot still carries keeps its
    order, and a trip a robot still holds keeps itself."""
    book = OrderBook(small_room(), max_trays=3, emit=lambda event: None)
    for order_id in ("P1", "P2"):
        book.submit(_request(order_id, 1), 0.0)
        book.cancel_dish(book.dishes[f"{order_id}/1"], 10.0, "guest left")
    held = Trip("trip-1", "A", TripKind.SERVE, [Stop("table-1", StopKind.SERVE)], 0.0,
                state=TripState.ABORTED, finished_at=10.0)
    done = Trip("trip-2", "A", TripKind.PARK, [Stop("charger", StopKind.PARK)], 0.0,
                state=TripState.DONE, finished_at=10.0)
    trips = {"trip-1": held, "trip-2": done}
    robots = {"A": RobotRecord(serial="A", model=MODEL, trip=held, aboard_dishes=("P2/1",))}
    retention = Retention(robots, trips, book, keep_s=100.0)
    retention.sweep(10.0)
    retention.sweep(10.0 + 100.0 + SWEEP_S)
    assert list(book.orders) == ["P2"] and list(trips) == ["trip-1"]
    assert (retention.orders_let_go, retention.trips_let_go) == (1, 1)
