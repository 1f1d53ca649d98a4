"""What an earlier run left in the store, taken back by a controller before its first
input: open orders (their times put on this run's clock), the manager's settings,
the bussing calls a till was told "ok" for, and the open trips, which hand over to
``fleet.controller.restart`` to be settled by the robots' own reports.

Apart from ``restart`` because this half reads the store once and is done, while
the recovery lives on, report by report; neither holds the controller: ``core``
hands them the parts they work on.
"""

from __future__ import annotations

import logging

from fleet.controller.floor_ops import MANAGER_KINDS, FloorOps
from fleet.controller.orderbook import OrderBook
from fleet.controller.restart import RestartRecovery, ServiceParts
from fleet.domain import Order
from fleet.domain import events as ev
from fleet.store.base import Store

log = logging.getLogger(__name__)


def clock_shift(store: Store, epoch: float | None) -> float:
    """Seconds to add to the times an earlier run saved, to put them on this run's clock.
    Each run counts on the machine's monotonic clock, which a reboot starts again; the
    runs' wall-clock offsets (their ``ControllerStarted`` events) tie the two."""
    if epoch is None:
        return 0.0
    started = store.events(kinds={ev.CONTROLLER_STARTED})
    old = started[-1].data.get("epoch") if started else None
    return float(old) - epoch if isinstance(old, int | float) else 0.0


def _shift_order(order: Order, shift: float) -> Order:
    if shift:
        order.created_at += shift
        for dish in order.dishes:
            dish.created_at += shift
            for name in ("ready_at", "expected_at", "at_table_at", "served_at"):
                value = getattr(dish, name)
                if value is not None:
                    setattr(dish, name, value + shift)
    return order


def adopt_saved(store: Store, book: OrderBook, shift: float, order_id: str) -> bool:
    """Take an order an earlier run saved into the book, open or closed, its times moved
    by ``shift`` (``clock_shift``): a till that resends a closed order after a restart
    gets a duplicate, not a second order. False when no run ever saved it."""
    saved = store.order(order_id)
    if saved is None:
        return False
    book.adopt(_shift_order(saved, shift))
    return True


def resume(parts: ServiceParts, floor: FloorOps, bussing_requests: list[tuple[str, float]],
           epoch: float | None = None) -> tuple[float, RestartRecovery | None]:
    """Take back the open orders, the manager's settings, the bussing calls (appended to
    ``bussing_requests``) and the open trips of ``parts.store``, for a controller not yet
    running: the clock shift its saved times were moved by, and the recovery to run
    (None when nothing was on its way). The times are put on this run's clock when both
    runs told their wall-clock offset (``epoch``): after a reboot the machine's
    monotonic clock starts again, and a dish ready for 2 minutes must not look ready
    for -3 hours."""
    store = parts.store
    shift = clock_shift(store, epoch)
    if shift:
        log.info("saved times moved by %.1f s onto this run's clock", shift)
    for order in store.open_orders():
        parts.book.adopt(_shift_order(order, shift))
    restored = floor.restore(store.events(kinds=MANAGER_KINDS), now=0.0)
    if restored:
        log.info("restored the manager's settings: %s", "; ".join(restored))
    for table, called_at in store.bussing_calls():
        # Acknowledged and not yet collected: a robot of the dead run may have been on
        # its way, but that trip is closed below, so the call waits for a robot again.
        bussing_requests.append((table, called_at + shift))
    if bussing_requests:
        log.info("bussing calls taken back: %s", ", ".join(t for t, _ in bussing_requests))
        parts.request_dispatch()
    trips = store.open_trips()
    for trip in trips:
        trip.created_at += shift
        if trip.finished_at is not None:
            trip.finished_at += shift
    if trips or any(not d.state.final for d in parts.book.dishes.values()):
        return shift, RestartRecovery(parts, trips)
    return shift, None
