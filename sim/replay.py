"""A real night's till log played to the controller in place of a drawn scenario.

``ReplayKitchen`` stands where ``sim.kitchen.Kitchen`` stands in a run
(``SimOptions.replay``): it submits each order at its logged order time and marks
each dish ready at its logged ready time, through the same ``Pos``; guests,
robots, the referee, the store and the report are the simulator's own. Rows of
one order id and one order time are one order at the till (``sim.till_log``).

An order the controller refuses (more trays than a robot carries) is logged and
counted; its rows count as skipped, with the reason, beside the rows the log
itself left out (``trays`` 0).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass
from typing import Any

from fleet.errors import FleetError
from fleet.intake import DishRequest, OrderRequest, Pos
from sim.kitchen import Call, dishes_per_hour, peak_hour_dishes
from sim.report import ScenarioSummary
from sim.till_log import LoggedDish, TillLog

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayOrder:
    """One order at the till: its dishes are the log's rows, in file order."""

    at: float
    """Seconds after the log's first order."""
    request: OrderRequest
    rows: tuple[LoggedDish, ...]


def replay_orders(till: TillLog) -> list[ReplayOrder]:
    """The log's orders in time order (ties: file order)."""
    grouped: dict[str, list[LoggedDish]] = {}
    for dish in till.dishes:
        grouped.setdefault(dish.order_id, []).append(dish)
    out = []
    for order_id, rows in grouped.items():
        notes = list(dict.fromkeys(r.note for r in rows if r.note))
        request = OrderRequest(order_id=order_id, table=rows[0].table, note="; ".join(notes),
                               dishes=tuple(DishRequest(name=r.name, trays=r.trays,
                                                        pass_place=r.pass_place)
                                            for r in rows))
        out.append(ReplayOrder(at=rows[0].ordered_s, request=request, rows=tuple(rows)))
    out.sort(key=lambda o: o.at)
    return out


class ReplayKitchen:
    """Plays a ``TillLog`` on the loop's clock from ``start_s``; the run reads it as it
    reads a ``Kitchen`` (``run``, ``duration_s``, ``summary``, ``refused``)."""

    def __init__(self, till: TillLog, pos: Pos, *, start_s: float = 0.0) -> None:
        self.till = till
        self.pos = pos
        self.start_s = float(start_s)
        self.orders = replay_orders(till)
        last = max(max(d.ready_s, d.ordered_s) for d in till.dishes)
        self.duration_s = max(1.0, last)
        """From the first order to the last dish ready (or ordered)."""
        self.done = 0
        self.refused: Counter[Call] = Counter()
        self.refused_orders: dict[str, str] = {}
        """order id -> why the controller refused it."""

    def _events(self) -> list[tuple[float, int, ReplayOrder, int]]:
        """(at, 0 submit / 1 ready, order, dish index), in the order they are played."""
        events = []
        for order in self.orders:
            events.append((order.at, 0, order, -1))
            events += [(row.ready_s, 1, order, i) for i, row in enumerate(order.rows)]
        events.sort(key=lambda e: (e[0], e[1]))
        return events

    @property
    def total(self) -> int:
        return len(self.orders) + len(self.till.dishes)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        for at, kind, order, index in self._events():
            delay = self.start_s + at - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self.done += 1
            order_id = order.request.order_id
            if order_id in self.refused_orders:
                continue
            try:
                if kind == 0:
                    await self.pos.submit(order.request)
                else:
                    await self.pos.mark_ready(order_id, index)
            except FleetError as exc:
                call = Call.SUBMIT if kind == 0 else Call.READY
                self.refused[call] += 1
                if kind == 0:
                    self.refused_orders[order_id] = str(exc)
                log.info("POS refused %s %s (line %d): %s", call, order_id,
                         order.rows[max(index, 0)].line, exc)

    def summary(self) -> ScenarioSummary:
        times = [self.start_s + d.ordered_s for d in self.till.dishes]
        return ScenarioSummary(name=f"replay of {self.till.source}", orders=len(self.orders),
                               ordered_dishes=len(self.till.dishes),
                               dishes_per_hour=tuple(dishes_per_hour(times, self.start_s,
                                                                     self.duration_s)),
                               peak_hour_dishes=peak_hour_dishes(times))

    def replay_summary(self) -> dict[str, Any]:
        """Rows replayed and skipped, with why (the report's ``replay``)."""
        why: Counter[str] = Counter(row.why for row in self.till.skipped)
        lines = [(row.line, row.why) for row in self.till.skipped]
        refused_rows = 0
        for order in self.orders:
            reason = self.refused_orders.get(order.request.order_id)
            if reason is not None:
                refused_rows += len(order.rows)
                why[f"refused by the controller: {reason}"] += len(order.rows)
                lines += [(r.line, f"refused by the controller: {reason}") for r in order.rows]
        return {"file": self.till.source, "opened": self.till.opened, "rows": self.till.rows,
                "replayed": len(self.till.dishes) - refused_rows,
                "skipped": len(self.till.skipped) + refused_rows,
                "orders": len(self.orders) - len(self.refused_orders),
                "skipped_because": dict(why.most_common()),
                "skipped_lines": [{"line": n, "why": w} for n, w in sorted(lines)]}

