"""Dish, wait and robot figures of a service, from the store's records.

Definitions, so that figures from different runs (and from ``fleet sim`` and
``fleet report`` over one run) mean the same thing:

* A dish **counts** in the window its order was taken in (``created_at``), and
  is counted once, by its state in the store: served, served by staff
  (``by_staff``), failed, cancelled, or open.
* **wait** of a served dish: ``at_table_at - ready_at``, from on the pass to
  presented at the table (what the guest feels; taking it off the tray is the
  guest's time, not the fleet's). A dish carried by staff counts too, with
  ``served_at`` (when staff took it): its guest waited that long, and leaving it
  out would make a fleet too small for the floor look fast. Percentiles are
  numpy's linear ones.
* **late**: a served dish whose wait passed ``late_s`` (default ``LATE_S``).
* A robot's **time on trips**: from each trip's start to its end (or the end of
  the window for a trip still open), clipped to the window. It is what the
  controller saw; the simulator's own busy time (the robot moving or acting) and
  metres driven are ground truth only the simulator has, and the store does not
  keep them.
* **hours** are counted from the start of the window (by default the first thing
  the store recorded), since a simulated run's clock has no time of day.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.domain.orders import Dish, DishState
from fleet.domain.trips import Trip, TripKind, TripState

LATE_S = 300.0
"""Waits past this are late: the controller's default cold-food bound
(``dispatch.cold_food_s``)."""

HOUR_S = 3600.0


@dataclass(frozen=True, slots=True)
class Records:
    """What a store kept of a run, as read back (``Store.dishes/trips/events``)."""

    dishes: Sequence[Dish]
    trips: Sequence[Trip]
    events: Sequence[Event]


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of store time, ``start`` inclusive, ``end`` exclusive; None is open."""

    start: float | None = None
    end: float | None = None

    def holds(self, at: float) -> bool:
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


def _r(value: float) -> float:
    return round(float(value), 3)


def wait_stats(values: Sequence[float]) -> dict[str, float | None]:
    """Mean, p50, p95 and max, rounded to the millisecond; None for no values."""
    if not values:
        return {"mean": None, "p50": None, "p95": None, "max": None}
    arr = np.asarray(values, dtype=np.float64)
    return {"mean": _r(arr.mean()), "p50": _r(np.percentile(arr, 50)),
            "p95": _r(np.percentile(arr, 95)), "max": _r(arr.max())}


def wait_of(dish: Dish) -> float | None:
    """The dish's wait (module docstring), or None when it has none."""
    if dish.state is DishState.BY_STAFF and dish.served_at is not None:
        reached: float | None = dish.served_at
    elif dish.state is DishState.SERVED and dish.served_at is not None:
        reached = dish.at_table_at
    else:
        return None
    return None if reached is None or dish.ready_at is None else reached - dish.ready_at


def _waits(dishes: Iterable[Dish]) -> list[float]:
    return [w for w in map(wait_of, dishes) if w is not None]


def _reasons(dishes: Iterable[Dish], state: DishState) -> dict[str, int]:
    return dict(sorted(Counter(d.reason or "(no reason)" for d in dishes
                               if d.state is state).items()))


def dish_figures(dishes: Sequence[Dish]) -> dict[str, Any]:
    """Counts, waits and reasons: the part the simulator's report shares (same keys)."""
    by_state = Counter(d.state for d in dishes)
    return {
        "dishes": {
            "ordered": len(dishes),
            "served": by_state[DishState.SERVED],
            "failed": by_state[DishState.FAILED],
            "cancelled": by_state[DishState.CANCELLED],
            "by_staff": by_state[DishState.BY_STAFF],
            "open": sum(1 for d in dishes if not d.state.final),
            "failed_without_reason": sum(1 for d in dishes
                                         if d.state is DishState.FAILED and not d.reason),
        },
        "wait_s": wait_stats(_waits(dishes)),
        "failed_reasons": _reasons(dishes, DishState.FAILED),
        "cancelled_reasons": _reasons(dishes, DishState.CANCELLED),
    }


def records_span(records: Records) -> tuple[float, float] | None:
    """The first and last time the records mention; None for an empty store."""
    times: list[float] = [e.at for e in records.events]
    for d in records.dishes:
        times += [t for t in (d.created_at, d.ready_at, d.at_table_at, d.served_at)
                  if t is not None]
    for t in records.trips:
        times += [t.created_at] + ([t.finished_at] if t.finished_at is not None else [])
    return (min(times), max(times)) if times else None


def _row(head: dict[str, Any], dishes: Sequence[Dish]) -> dict[str, Any]:
    counts = dish_figures(dishes)["dishes"]
    stats = wait_stats(_waits(dishes))
    return {**head, "ordered": counts["ordered"], "served": counts["served"],
            "by_staff": counts["by_staff"], "failed": counts["failed"],
            "cancelled": counts["cancelled"], "open": counts["open"],
            **{f"wait_{k}_s": v for k, v in stats.items()}}


def _natural(name: str) -> tuple[Any, ...]:
    """R2 before R10, W3 before W12."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def _grouped(dishes: Sequence[Dish], key: str,
             of: Callable[[Dish], str]) -> list[dict[str, Any]]:
    groups: dict[str, list[Dish]] = {}
    for d in dishes:
        groups.setdefault(of(d), []).append(d)
    return [_row({key: name}, groups[name]) for name in sorted(groups, key=_natural)]


def _per_hour(dishes: Sequence[Dish], start: float, end: float) -> list[dict[str, Any]]:
    """One row per hour from the window's start, empty hours included (a timeline)."""
    hours = max(1, math.ceil((end - start) / HOUR_S))
    buckets: list[list[Dish]] = [[] for _ in range(hours)]
    for d in dishes:
        buckets[min(hours - 1, max(0, int((d.created_at - start) // HOUR_S)))].append(d)
    return [_row({"hour": h, "from_s": _r(h * HOUR_S),
                  "to_s": _r(min(end - start, (h + 1) * HOUR_S))}, bucket)
            for h, bucket in enumerate(buckets)]


def _on_trip_s(trip: Trip, start: float, end: float) -> float:
    stop = trip.finished_at if trip.finished_at is not None else end
    return max(0.0, min(stop, end) - max(trip.created_at, start))


def _per_robot(records: Records, dishes: Sequence[Dish], window: Window, start: float,
               end: float) -> list[dict[str, Any]]:
    """Trips that started in the window or ran into it; ``end`` closes open trips."""
    trips = [t for t in records.trips if window.holds(t.created_at) or
             _on_trip_s(t, start, end) > 0]
    faults = Counter(e.robot for e in records.events
                     if e.kind == ev.ROBOT_ERROR_REPORTED and e.robot and window.holds(e.at))
    names = ({t.robot for t in trips} | {d.robot for d in dishes if d.robot} |
             {r for r in faults if r})
    span = end - start
    rows = []
    for robot in sorted(names, key=_natural):
        mine = [t for t in trips if t.robot == robot]
        on_trips = sum(_on_trip_s(t, start, end) for t in mine)
        rows.append({
            "robot": robot,
            "trips": len(mine),
            "serve_trips": sum(1 for t in mine if t.kind is TripKind.SERVE),
            "charge_trips": sum(1 for t in mine if t.kind is TripKind.CHARGE),
            "aborted_trips": sum(1 for t in mine if t.state is TripState.ABORTED),
            "dishes_served": sum(1 for d in dishes
                                 if d.robot == robot and d.state is DishState.SERVED),
            "dishes_failed": sum(1 for d in dishes
                                 if d.robot == robot and d.state is DishState.FAILED),
            "on_trips_s": _r(on_trips),
            "on_trips_pct": _r(100.0 * on_trips / span) if span > 0 else 0.0,
            "faults": faults[robot],
        })
    return rows


def robot_timeline(records: Records, window: Window = Window()
                   ) -> dict[str, list[tuple[str, float, float]]]:
    """Per robot, its trips as (kind, from, to) in seconds from the window's start,
    clipped to the window: what a utilisation timeline draws."""
    start, end = window_bounds(records, window)
    lines: dict[str, list[tuple[str, float, float]]] = {}
    for t in records.trips:
        if _on_trip_s(t, start, end) <= 0:
            continue
        stop = t.finished_at if t.finished_at is not None else end
        lines.setdefault(t.robot, []).append(
            (t.kind.value, _r(max(t.created_at, start) - start), _r(min(stop, end) - start)))
    return {robot: lines[robot] for robot in sorted(lines, key=_natural)}


def _late(dishes: Sequence[Dish], start: float, late_s: float) -> list[dict[str, Any]]:
    late = [(w, d) for d in dishes if (w := wait_of(d)) is not None and w > late_s]
    late.sort(key=lambda pair: (-pair[0], _natural(pair[1].dish_id)))
    rows = []
    for w, d in late:
        assert d.ready_at is not None  # it has a wait
        staff = d.state is DishState.BY_STAFF
        rows.append({"dish": d.dish_id, "order": d.order_id, "table": d.table,
                     "robot": "staff" if staff else d.robot or "",
                     "ready_s": _r(d.ready_at - start),
                     "at_table_s": _r(d.ready_at + w - start), "wait_s": _r(w)})
    return rows


def window_bounds(records: Records, window: Window) -> tuple[float, float]:
    """The window's start and end, the record's own first and last times where open."""
    known = records_span(records)
    first, last = known if known is not None else (0.0, 0.0)
    return (window.start if window.start is not None else first,
            window.end if window.end is not None else last)


def window_dishes(records: Records, window: Window) -> list[Dish]:
    """The dishes a report over ``window`` counts: those ordered in it (an open end
    takes the rest of the record, its last moment too)."""
    start, _ = window_bounds(records, window)
    inside = Window(start, window.end)
    return [d for d in records.dishes if inside.holds(d.created_at)]


def shift_report(records: Records, window: Window = Window(), *,
                 late_s: float = LATE_S) -> dict[str, Any]:
    """Every figure of ``fleet report`` as a JSON-ready dict of plain values and row lists.

    Times in rows are seconds from ``span.start`` (absolute store times are in
    ``span``), so rows read the same for a simulated run and a real one.
    """
    start, end = window_bounds(records, window)
    inside = Window(start, window.end)
    dishes = window_dishes(records, window)
    report = dish_figures(dishes)
    report["span"] = {"start": _r(start), "end": _r(end), "seconds": _r(max(0.0, end - start))}
    report["late_s"] = late_s
    report["per_hour"] = _per_hour(dishes, start, end)
    report["per_table"] = _grouped(dishes, "table", lambda d: d.table)
    report["per_pass"] = _grouped(dishes, "pass", lambda d: d.pass_place or "(none)")
    report["per_robot"] = _per_robot(records, dishes, inside, start, end)
    report["late"] = _late(dishes, start, late_s)
    return report
