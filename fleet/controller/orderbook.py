"""The order book: every order and dish, their lifecycle, and the intake rules.

Intake refuses what cannot be served and says why in the manager's words; it
is idempotent by the POS's order id, so a POS that resends after a timeout
does not double an order.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterator
from dataclasses import replace

from fleet.domain import Dish, DishState, Order
from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.errors import OrderError
from fleet.floor import FloorPlan, Place, PlaceKind
from fleet.intake import EXPECT_READY_MAX_S, DishRequest, OrderRequest
from fleet.words import Phrase

Emit = Callable[[Event], None]


class OrderBook:
    def __init__(self, plan: FloorPlan, *, max_trays: int, emit: Emit) -> None:
        self._plan = plan
        self._tables = {p.name: p for p in plan.places.values() if p.kind is PlaceKind.TABLE}
        self._passes = [p.name for p in plan.places_of(PlaceKind.PASS)]
        self._max_trays = max_trays
        self._emit = emit
        self.orders: dict[str, Order] = {}
        self.dishes: dict[str, Dish] = {}
        self.dish_pass: dict[str, str] = {}
        self._requests: dict[str, OrderRequest] = {}
        self._open: list[Dish] = []
        """Dishes not yet final, so the dispatch loop does not walk the whole service."""

    def submit(self, request: OrderRequest, now: float) -> Order:
        """Take an order, or raise ``OrderError``; a resend of the same order is a no-op."""
        known = self._requests.get(request.order_id)
        if known is not None:
            if known == self._resolved(request):
                return self.orders[request.order_id]
            raise self._refuse(request, now, f"order id {request.order_id} is already used for "
                               f"table {known.table} with other dishes", code="duplicate",
                               field="order_id")
        try:
            self.table(request.table)
        except OrderError as exc:
            raise self._refuse(request, now, str(exc), code=exc.code, field=exc.field) from None
        if not request.dishes:
            raise self._refuse(request, now, "an order needs at least one dish")
        for i, wanted in enumerate(request.dishes):
            if wanted.trays < 1 or wanted.trays > self._max_trays:
                raise self._refuse(request, now, f"dish {i + 1} ({wanted.name}) needs "
                                   f"{wanted.trays} trays but robots carry at most "
                                   f"{self._max_trays}", dish=i)
            if wanted.pass_place is not None and wanted.pass_place not in self._passes:
                raise self._refuse(request, now, f"dish {i + 1} ({wanted.name}): unknown pass "
                                   f"{wanted.pass_place!r}; passes: {', '.join(self._passes)}",
                                   dish=i, field=f"dishes[{i}].pass_place")
        order = Order(order_id=request.order_id, table=request.table, priority=request.priority,
                      note=request.note, created_at=now, party=request.party)
        for i, req in enumerate(request.dishes):
            dish = Dish(dish_id=f"{request.order_id}/{i + 1}", order_id=request.order_id,
                        table=request.table, name=req.name, trays=req.trays,
                        priority=request.priority, created_at=now,
                        pass_place=req.pass_place or self._passes[0])
            order.dishes.append(dish)
            self.dishes[dish.dish_id] = dish
            self._open.append(dish)
            self.dish_pass[dish.dish_id] = dish.pass_place or self._passes[0]
        self.orders[order.order_id] = order
        self._requests[request.order_id] = self._resolved(request)
        said = Phrase.of("order {order} for {table}: {n} dish(es)", order=order.order_id,
                         table=order.table, n=str(len(order.dishes)))
        self._emit(Event(ev.ORDER_RECEIVED, now, order_id=order.order_id, text=str(said),
                         words=said))
        return order

    def table(self, name: str) -> Place:
        """The table of that name, or ``OrderError`` (code ``unknown_table``) naming the
        tables it is close to: the one rule for every request that names a table."""
        place = self._tables.get(name)
        if place is None:
            close = difflib.get_close_matches(name, list(self._tables), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise OrderError(f"unknown table {name!r}{hint}", code="unknown_table",
                             field="table")
        return place

    def _resolved(self, request: OrderRequest) -> OrderRequest:
        """The request with each dish's pass named, as an order saved and reloaded
        remembers it: a resend is the same order whether or not it names the pass."""
        dishes = tuple(replace(d, pass_place=d.pass_place or self._passes[0])
                       for d in request.dishes)
        return replace(request, dishes=dishes)

    def adopt(self, order: Order) -> None:
        """Take back an order a previous run of the controller saved (see
        ``fleet.controller.restart``): its dishes keep their states and times, and
        the POS resending it is a duplicate, as before the restart."""
        if order.order_id in self.orders:
            raise OrderError(f"order {order.order_id} is already in the book")
        for dish in order.dishes:
            self.dishes[dish.dish_id] = dish
            if not dish.state.final:
                self._open.append(dish)
            self.dish_pass[dish.dish_id] = dish.pass_place or self._passes[0]
        self.orders[order.order_id] = order
        self._requests[order.order_id] = OrderRequest(
            order_id=order.order_id, table=order.table, priority=order.priority,
            note=order.note, party=order.party,
            dishes=tuple(DishRequest(d.name, d.trays, self.dish_pass[d.dish_id])
                         for d in order.dishes))

    def _refuse(self, request: OrderRequest, now: float, why: str, *,
                dish: int | None = None, code: str = "refused",
                field: str | None = None) -> OrderError:
        self._emit(Event(ev.ORDER_REJECTED, now, order_id=request.order_id, text=why))
        return OrderError(why, dish=dish, code=code, field=field)

    def dish(self, order_id: str, index: int) -> Dish:
        order = self.orders.get(order_id)
        if order is None:
            raise OrderError(f"unknown order {order_id!r}")
        if not 0 <= index < len(order.dishes):
            raise OrderError(f"order {order_id} has {len(order.dishes)} dish(es); no dish "
                             f"{index + 1}")
        return order.dishes[index]

    def mark_ready(self, order_id: str, index: int, now: float) -> Dish | None:
        """Mark a dish ready; None when it already was (or is past that)."""
        dish = self.dish(order_id, index)
        if dish.state is not DishState.RECEIVED:
            return None
        dish.move(DishState.READY)
        dish.ready_at = now
        dish.expected_at = None
        said = Phrase.of("{dish} for {table} ready", dish=dish.name, table=dish.table)
        self._emit(Event(ev.DISH_READY, now, order_id=order_id, dish_id=dish.dish_id,
                         text=str(said), words=said))
        return dish

    def expect_ready(self, order_id: str, index: int, in_s: float, now: float) -> Dish | None:
        """The kitchen's estimate of when a cooking dish will be on the pass (the latest
        told stands); None when the dish is on the pass already or past it, where an
        estimate is news to nobody. Raises ``OrderError`` for an unknown dish or a
        time that cannot be meant."""
        dish = self.dish(order_id, index)
        if not math.isfinite(in_s) or not 0.0 <= in_s <= EXPECT_READY_MAX_S:
            raise OrderError(f"dish {index + 1} of {order_id}: expected ready in {in_s:g} s; "
                             f"give 0 to {EXPECT_READY_MAX_S:.0f} s", code="malformed",
                             field="in_s")
        if dish.state is not DishState.RECEIVED:
            return None
        dish.expected_at = now + in_s
        said = Phrase.of("{dish} for {table} expected ready in {s} s", dish=dish.name,
                         table=dish.table, s=f"{in_s:.0f}")
        self._emit(Event(ev.DISH_EXPECTED, now, order_id=order_id, dish_id=dish.dish_id,
                         text=str(said), words=said, data={"in_s": round(in_s, 1)}))
        return dish

    def fail(self, dish: Dish, now: float, reason: str | Phrase) -> None:
        """Close a dish as failed; its reason given as a phrase is shown in the reader's
        language, as text it is shown as written."""
        if dish.state.final:
            return
        dish.move(DishState.FAILED, reason=str(reason))
        self._emit(Event(ev.DISH_FAILED, now, order_id=dish.order_id, dish_id=dish.dish_id,
                         robot=dish.robot, trip_id=dish.trip_id, text=str(reason),
                         words=reason if isinstance(reason, Phrase) else None))

    def by_staff(self, dish: Dish, now: float, reason: str) -> None:
        dish.move(DishState.BY_STAFF, reason=reason)
        dish.served_at = now
        self._emit(Event(ev.DISH_BY_STAFF, now, order_id=dish.order_id, dish_id=dish.dish_id,
                         robot=dish.robot, text=f"{dish.dish_id} taken to {dish.table} by "
                         f"staff: {reason}"))

    def cancel_dish(self, dish: Dish, now: float, reason: str) -> None:
        if dish.state.final:
            return
        dish.move(DishState.CANCELLED, reason=reason)
        self._emit(Event(ev.DISH_CANCELLED, now, order_id=dish.order_id, dish_id=dish.dish_id,
                         robot=dish.robot, text=reason))

    def forget(self, order_id: str) -> None:
        """Let a closed order go from memory (``fleet.controller.retention``); the store
        keeps it, and a POS resending its id is answered from there (``adopt``)."""
        order = self.orders.pop(order_id)
        if not order.dishes or any(not d.state.final for d in order.dishes):
            self.orders[order_id] = order
            raise OrderError(f"order {order_id} is not closed: it stays in the book")
        for dish in order.dishes:
            self.dishes.pop(dish.dish_id, None)
            self.dish_pass.pop(dish.dish_id, None)
        self._requests.pop(order_id, None)

    def waiting(self) -> Iterator[Dish]:
        """Ready dishes not yet on a trip, oldest first."""
        self._open = [d for d in self._open if not d.state.final]
        ready = [d for d in self._open if d.state is DishState.READY]
        ready.sort(key=lambda d: (-int(d.priority), d.ready_at or 0.0, d.dish_id))
        return iter(ready)
