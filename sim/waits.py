"""Where a served dish's wait goes: the wait cut into parts that add up to it.

The report's mean wait and its free-flow bound say how far a service is from
free flow, not why. Dispatch work needs the why: a dish that waited for a robot
calls for other rules than one that rode around three tables first. This reads
what the store keeps of a run (dishes, trips and the controller's events: a
dish assigned, loaded, at a table; a robot at a stop; every robot phase change)
and cuts each served dish's wait, ready at the pass -> presented at the table
(``fleet.reporting.figures.wait_of``), into these parts, in time order:

* ``wait_table_taken``: not on a robot yet while another robot was serving its
  table or bound for it (dispatch holds dishes for a full table at the pass);
* ``wait_robot_free``: not on a robot yet although a robot was idle or only
  parking (the policy held it for a robot about to be nearer, or the pass's
  spots were all taken);
* ``wait_no_robot``: not on a robot yet, every robot busy: the fleet's capacity;
* ``to_pass``: assigned -> its robot at the pass (driving there, queueing for a
  pass spot);
* ``load_own``: staff loading its own trays (part of the bound);
* ``load_others``: the rest of the robot's stay at the pass, until its next leg
  starts: other dishes of the same trip loaded, the start of the way out;
* ``drive_direct``: the free-flow drive from its pass to its table (the other
  part of the bound), at most the time the robot was actually driving;
* ``detour``: the free-flow drive through the trip's earlier tables beyond the
  direct route;
* ``earlier_tables``: standing at the trip's earlier tables for their guests;
* ``table_queue``: queued for a spot at a table (its own or an earlier one);
* ``traffic``: yielding to other robots, or with no route for the moment;
* ``drive_slow``: what is left of the ride: driving slower than free flow
  (turns, released piecewise), settling between legs;
* ``revisit``: from its first presentation to the last, for a dish a guest did
  not take the first time and got on a later visit.

A part is attributed by the robot's phase (``fleet.controller.phase``, told as
``RobotPhaseChanged`` events) between the dish's loading and its arrival, so it
is as fine as the controller observed phases (every tick). Pure functions of the
stored records: ``fleet sim`` puts the means in its report, and a test feeds
them hand-made events.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleet.domain import DishState, Event, StopKind, Trip, TripKind
from fleet.domain import events as ev
from fleet.domain.orders import Dish
from fleet.reporting.figures import wait_of

PARTS = ("wait_table_taken", "wait_robot_free", "wait_no_robot", "to_pass", "load_own",
         "load_others", "drive_direct", "detour", "earlier_tables", "table_queue", "traffic",
         "drive_slow", "revisit")
"""The parts of a wait, in time order (module docstring)."""

_FREE_PHASES = frozenset({"idle", "charging"})
_TRAFFIC_PHASES = frozenset({"yielding", "no route"})
Drive = Callable[[str, str], float]
"""Free-flow driving seconds between two places (``sim.report.LowerBound.drive_s``)."""


@dataclass(frozen=True, slots=True)
class _Timeline:
    """One robot's phases: ``phase[i]`` from ``at[i]`` on, with the trip it had."""

    at: list[float]
    phase: list[str]
    trip: list[str | None]

    def index(self, t: float) -> int:
        return bisect.bisect_right(self.at, t) - 1

    def split(self, start: float, end: float) -> dict[str, float]:
        """Seconds in each phase over [start, end)."""
        out: dict[str, float] = defaultdict(float)
        if not self.at:
            out["idle"] = max(0.0, end - start)
            return out
        i, t = max(0, self.index(start)), start
        while t < end:
            nxt = self.at[i + 1] if i + 1 < len(self.at) else end
            stop = min(end, nxt)
            out[self.phase[i]] += stop - t
            t, i = stop, i + 1
        return out


def _timelines(events: Iterable[Event]) -> dict[str, _Timeline]:
    rows: dict[str, _Timeline] = {}
    for e in events:
        if e.kind != ev.ROBOT_PHASE_CHANGED or e.robot is None:
            continue
        line = rows.setdefault(e.robot, _Timeline([], [], []))
        if not line.at:  # before its first change it was in the phase it left
            line.at.append(float("-inf"))
            line.phase.append(str(e.data.get("from", "idle")))
            line.trip.append(None)
        line.at.append(e.at)
        line.phase.append(str(e.data.get("to", "")))
        line.trip.append(e.trip_id)
    return rows


def _measure(start: float, end: float, points: Iterable[float],
             counts: Callable[[float], bool]) -> float:
    """Seconds of [start, end) in which ``counts(t)`` holds, piecewise between ``points``."""
    cuts = sorted({start, end, *(p for p in points if start < p < end)})
    return sum(b - a for a, b in itertools.pairwise(cuts) if counts((a + b) / 2))


class _Floor:
    """When robots were free and tables taken, over the whole run."""

    def __init__(self, lines: Mapping[str, _Timeline], trips: Mapping[str, Trip],
                 arrivals: Mapping[str, list[tuple[float, str]]]) -> None:
        self.lines = lines
        self.trips = trips
        self.points = sorted({t for line in lines.values() for t in line.at[1:]})
        self.taken: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        for trip in trips.values():
            tables = [s.place for s in trip.stops if s.kind is StopKind.SERVE]
            if not tables:
                continue
            left = self._left_at(trip, arrivals.get(trip.trip_id, []))
            # A table the trip never reached (it was given up) is free again at its end.
            end = trip.finished_at if trip.finished_at is not None else float("inf")
            for table in tables:
                self.taken[table].append((trip.created_at, left.get(table, end),
                                          trip.trip_id))

    def _left_at(self, trip: Trip, arrived: list[tuple[float, str]]) -> dict[str, float]:
        """When the trip's robot left each table it reached: its first phase change
        out of "at stop" after arriving (the trip's end when none is told)."""
        line = self.lines.get(trip.robot)
        out: dict[str, float] = {}
        end = trip.finished_at if trip.finished_at is not None else float("inf")
        for at, place in arrived:
            left = end
            if line is not None:
                i = line.index(at)
                for j in range(max(i, 0) + 1, len(line.at)):
                    if line.phase[j] != "at stop":
                        left = line.at[j]
                        break
            out[place] = min(left, end)
        return out

    def robot_free(self, t: float) -> bool:
        for line in self.lines.values():
            i = line.index(t)
            if i < 0:
                return True
            if line.phase[i] in _FREE_PHASES:
                return True
            trip = self.trips.get(line.trip[i] or "")
            if trip is not None and trip.kind is TripKind.PARK:
                return True
        return not self.lines

    def table_taken(self, table: str, t: float, besides: str) -> bool:
        return any(a <= t < b for a, b, trip in self.taken.get(table, ()) if trip != besides)


@dataclass(frozen=True, slots=True)
class DishParts:
    dish_id: str
    wait_s: float
    bound_s: float
    parts: Mapping[str, float]


def wait_parts(dishes: Sequence[Dish], trips: Sequence[Trip], events: Sequence[Event], *,
               drive: Drive, load_s_per_tray: float) -> list[DishParts]:
    """Each served dish's wait cut into ``PARTS`` (module docstring); dishes the
    events do not follow from ready to table (carried by staff, a restart between)
    are left out."""
    by_trip = {t.trip_id: t for t in trips}
    lines = _timelines(events)
    per_dish: dict[str, list[Event]] = defaultdict(list)
    arrivals: dict[str, list[tuple[float, str]]] = defaultdict(list)
    loaded: dict[str, float] = {}
    for e in events:
        if e.dish_id is not None:
            per_dish[e.dish_id].append(e)
        if e.kind == ev.ROBOT_ARRIVED and e.trip_id is not None:
            arrivals[e.trip_id].append((e.at, e.text.rsplit(" at ", 1)[-1]))
        if e.kind == ev.DISH_LOADED and e.dish_id is not None:
            loaded[e.dish_id] = e.at
    run = _Run(by_trip, arrivals, loaded, lines, _Floor(lines, by_trip, arrivals))
    out: list[DishParts] = []
    for dish in dishes:
        wait = wait_of(dish)
        if wait is None or dish.state is not DishState.SERVED or dish.ready_at is None:
            continue
        found = _one(dish, per_dish[dish.dish_id], run, drive=drive,
                     load_s_per_tray=load_s_per_tray)
        if found is not None:
            out.append(found)
    return out


def _leaves(line: _Timeline | None, loaded: float) -> float:
    """When a robot loaded at ``loaded`` left the pass: its first phase change out of
    "at stop" from then on (its next leg starting), else ``loaded``."""
    if line is None:
        return loaded
    i = line.index(loaded)
    if line.phase[i] != "at stop":
        return loaded
    return next((line.at[j] for j in range(i + 1, len(line.at))
                 if line.phase[j] != "at stop"), loaded)


@dataclass(frozen=True, slots=True)
class _Run:
    """The run's records, looked up by trip, dish and robot."""

    trips: Mapping[str, Trip]
    arrivals: Mapping[str, list[tuple[float, str]]]
    loaded: Mapping[str, float]
    lines: Mapping[str, _Timeline]
    floor: _Floor


def _one(dish: Dish, mine: list[Event], run: _Run, *, drive: Drive,
         load_s_per_tray: float) -> DishParts | None:
    trips, arrivals, loaded, lines, floor = (run.trips, run.arrivals, run.loaded, run.lines,
                                             run.floor)
    assert dish.ready_at is not None and dish.at_table_at is not None
    ready, last = dish.ready_at, dish.at_table_at
    first_at = next((e.at for e in mine if e.kind == ev.DISH_AT_TABLE), None)
    if first_at is None:
        return None
    assigned = [e for e in mine if e.kind == ev.DISH_ASSIGNED and e.at <= first_at]
    if not assigned or assigned[-1].trip_id not in trips:
        return None
    asg = assigned[-1]
    trip = trips[str(asg.trip_id)]
    pass_place = trip.stops[0].place
    arrived = arrivals.get(trip.trip_id, [])
    at_pass = next((at for at, place in arrived if place == pass_place and at >= asg.at), asg.at)
    depart = max([loaded.get(d, at_pass) for d in trip.dishes if d in loaded] or [at_pass])
    depart = min(_leaves(lines.get(trip.robot), max(depart, at_pass)), first_at)
    parts: dict[str, float] = dict.fromkeys(PARTS, 0.0)
    parts["revisit"] = last - first_at
    table = dish.table
    parts["wait_table_taken"] = _measure(
        ready, asg.at, (p for a, b, _ in floor.taken.get(table, ()) for p in (a, b)),
        lambda t: floor.table_taken(table, t, trip.trip_id))
    parts["wait_robot_free"] = _measure(
        ready, asg.at, [*floor.points, *(p for a, b, _ in floor.taken.get(table, ())
                                         for p in (a, b))],
        lambda t: not floor.table_taken(table, t, trip.trip_id) and floor.robot_free(t))
    parts["wait_no_robot"] = (asg.at - ready) - parts["wait_table_taken"] \
        - parts["wait_robot_free"]
    parts["to_pass"] = at_pass - asg.at
    load = depart - at_pass
    parts["load_own"] = min(load, load_s_per_tray * dish.trays)
    parts["load_others"] = load - parts["load_own"]
    line = lines.get(trip.robot)
    phases = line.split(depart, first_at) if line is not None else {"driving": first_at - depart}
    tables = [s.place for s in trip.stops if s.kind is StopKind.SERVE]
    earlier = tables[: tables.index(table)] if table in tables else []
    route = [pass_place, *earlier, table]
    via = sum(drive(a, b) for a, b in itertools.pairwise(route))
    moving = first_at - depart - sum(phases.get(p, 0.0) for p in ("at stop", "queued",
                                                                  *_TRAFFIC_PHASES))
    parts["earlier_tables"] = phases.get("at stop", 0.0)
    parts["table_queue"] = phases.get("queued", 0.0)
    parts["traffic"] = sum(phases.get(p, 0.0) for p in _TRAFFIC_PHASES)
    parts["drive_direct"] = max(0.0, min(moving, drive(pass_place, table)))
    parts["detour"] = max(0.0, min(moving - parts["drive_direct"], via - drive(pass_place, table)))
    parts["drive_slow"] = moving - parts["drive_direct"] - parts["detour"]
    bound = load_s_per_tray * dish.trays + drive(pass_place, table)
    return DishParts(dish.dish_id, last - ready, bound, parts)


def summarise(rows: Sequence[DishParts]) -> dict[str, Any]:
    """Mean seconds a served dish spent in each part, and the means they add up to."""
    n = len(rows)
    if n == 0:
        return {"dishes": 0}
    means = {p: round(sum(r.parts[p] for r in rows) / n, 2) for p in PARTS}
    return {"dishes": n, "mean_wait_s": round(sum(r.wait_s for r in rows) / n, 2),
            "mean_bound_s": round(sum(r.bound_s for r in rows) / n, 2), "parts_s": means}


def format_parts(summary: Mapping[str, Any]) -> str:
    """One line: each part's mean seconds, largest first."""
    parts = summary.get("parts_s")
    if not parts:
        return "-"
    ranked = sorted(parts.items(), key=lambda kv: -kv[1])
    return "  ".join(f"{k} {v:.1f}" for k, v in ranked if v >= 0.05)
