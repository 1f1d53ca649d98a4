"""Dishes late at the pass, told once per table with why: a floor that has stopped
moving must not look well while its dishes go cold. Split from ``core`` because it
is one question asked each tick, not part of the controller's flow; ``core`` hands
it the dishes waiting, the manager's closures, the robots and an ``Emit``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from fleet.domain import Dish
from fleet.domain import events as ev
from fleet.domain.events import Emit
from fleet.words import Phrase, text

if TYPE_CHECKING:
    from fleet.controller.floor_ops import FloorOps
    from fleet.controller.robots import RobotRecord

LATE_AFTER_S = 120.0
"""Dishes waiting at the pass this long are told to the manager (once per table)."""


def tell_late(waiting: Iterable[Dish], floor: FloorOps, robots: Mapping[str, RobotRecord], *,
              emit: Emit, told: set[str], now: float) -> None:
    """Emit ``DishesLate`` for each table with ``waiting`` dishes (ready at the pass)
    past ``LATE_AFTER_S`` not already in ``told``; ``told`` keeps the tables said and
    forgets those no longer late."""
    late: dict[str, list[Dish]] = {}
    for dish in waiting:
        if dish.ready_at is not None and now - dish.ready_at >= LATE_AFTER_S:
            late.setdefault(dish.table, []).append(dish)
    told &= set(late)
    for table, dishes in sorted(late.items()):
        if table in told:
            continue
        told.add(table)
        waited = max(now - (d.ready_at or now) for d in dishes)
        reason = late_reason(floor, robots.values(), table)
        emit(ev.DISHES_LATE, now, Phrase.of(
            "{n} dish(es) for {table} waiting at the pass for {min} min: {reason}",
            n=str(len(dishes)), table=table, min=f"{waited / 60:.0f}", reason=text(reason)),
             dish_id=dishes[0].dish_id, order_id=dishes[0].order_id,
             data={"table": table, "dishes": [d.dish_id for d in dishes],
                   "waited_s": round(waited), "reason": reason})


def late_reason(floor: FloorOps, robots: Iterable[RobotRecord], table: str) -> str:
    """Why ``table``'s dishes wait, in the words the manager reads: a closure of the
    manager's (``floor``) first, then whether any robot is free to take them."""
    blocked = floor.blocked_tables.get(table)
    if blocked is not None:
        return f"the table is blocked ({blocked}); serve by hand or unblock it"
    if floor.stopped_all:
        return "everything is stopped"
    ready = [r for r in robots if r.on_duty]
    if not ready:
        return "no robot is available"
    return f"every available robot is busy ({len(ready)} working)"
