"""The end-of-run report: what was served, how long dishes waited, against what bound.

``build_report`` takes what the run's store kept (dishes and trips, read back
from it) and the simulator's own ground truth (robot tallies, the referee's
counts), and returns a JSON-ready dict; ``format_report`` prints it for a
terminal.

The dish counts, waits and reasons are ``fleet.reporting.dish_figures`` over the
store's dishes, so ``fleet report`` over the same store prints the same numbers
(its module docstring defines them: the wait of a served dish is ready ->
presented at the table). What only the simulator knows stays here:

* **lower bound** of a served dish: staff loading its trays at the pass
  (``load_s_per_tray`` each) plus driving the shortest route from its pass to
  its table alone on an empty floor, from rest to rest at the model's full
  speed, acceleration and turn time (``fleet.routing.travel_time_s``). No
  waiting for a robot, no other dishes on the trip, no traffic. A dish with no
  ``pass_place`` is timed from the plan's nearest pass. ``lower_bound_wait_s``
  averages it over the served dishes, so ``wait_s.mean / lower_bound_wait_s.mean``
  is how far dispatch and traffic are from free flow. (It needs the floor plan
  and robot model, which the store does not name.)
* **utilisation** of a robot: time the simulated robot was busy (moving or
  acting) over simulated time; **distance** and **traffic waits** likewise come
  from the simulated robots, since the store does not keep them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from fleet.domain import Event
from fleet.domain.orders import Dish
from fleet.domain.trips import Trip
from fleet.floor.model import FloorPlan, PlaceKind
from fleet.reporting import dish_figures
from fleet.reporting.figures import wait_of
from fleet.routing import StationFields, route_between, travel_time_s
from sim.waits import format_parts, summarise, wait_parts

LOAD_S_PER_TRAY = 5.0
"""Staff loading time per tray at the pass assumed by the lower bound."""


@dataclass(frozen=True, slots=True)
class RobotTally:
    """What one simulated robot did: seconds busy, metres driven, seconds held by traffic."""

    serial: str
    busy_s: float = 0.0
    distance_m: float = 0.0
    traffic_wait_s: float = 0.0


@dataclass(frozen=True, slots=True)
class RunCounts:
    violations: int = 0
    deadlocks_detected: int = 0
    deadlocks_unrecovered: int = 0
    stalls_detected: int = 0
    sim_seconds: float = 0.0
    wall_seconds: float = 0.0
    violation_examples: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ScenarioSummary:
    """What the kitchen generated (``sim.kitchen.Kitchen.summary()``)."""

    name: str
    parties: int = 0
    turned_away: int = 0
    orders: int = 0
    ordered_dishes: int = 0
    cancelled_orders: int = 0
    dishes_per_hour: tuple[int, ...] = ()
    peak_hour_dishes: int = 0


class Motion(Protocol):
    """A robot model's driving figures (``RobotModel`` or ``RobotModelConfig``)."""

    @property
    def speed(self) -> float: ...
    @property
    def acceleration(self) -> float: ...
    @property
    def turn_time(self) -> float: ...


def _r(value: float) -> float:
    return round(float(value), 3)


class LowerBound:
    """Free-flow pass -> table times for one plan and model, cached per pair."""

    def __init__(self, plan: FloorPlan, motion: Motion, *,
                 load_s_per_tray: float = LOAD_S_PER_TRAY,
                 fields: StationFields | None = None) -> None:
        self.plan = plan
        self.fields = fields
        self.motion = motion
        self.load_s_per_tray = load_s_per_tray
        self._passes = [p.name for p in plan.places_of(PlaceKind.PASS)]
        self._drive: dict[tuple[str, str], float] = {}

    def drive_s(self, pass_place: str, table: str) -> float:
        key = (pass_place, table)
        found = self._drive.get(key)
        if found is None:
            route = route_between(self.plan, pass_place, table, fields=self.fields)
            m = self.motion
            found = travel_time_s(self.plan, route.cells, speed=m.speed,
                                  acceleration=m.acceleration, turn_time=m.turn_time)
            self._drive[key] = found
        return found

    def dish_s(self, dish: Dish) -> float:
        """The lower bound of one dish (see the module docstring)."""
        if dish.pass_place is not None:
            drive = self.drive_s(dish.pass_place, dish.table)
        elif self._passes:
            drive = min(self.drive_s(p, dish.table) for p in self._passes)
        else:
            raise ValueError(f"plan {self.plan.name!r} has no pass")
        return dish.trays * self.load_s_per_tray + drive


def build_report(dishes: Sequence[Dish], trips: Sequence[Trip], robots: Sequence[RobotTally],
                 counts: RunCounts, *, plan: FloorPlan, motion: Motion, policy: str, seed: int,
                 scenario: ScenarioSummary | None = None,
                 load_s_per_tray: float = LOAD_S_PER_TRAY,
                 fields: StationFields | None = None,
                 events: Sequence[Event] | None = None) -> dict[str, Any]:
    """The run's figures as a JSON-ready dict (keys in the module docstring and the issue).

    ``dishes`` and ``trips`` are the store's (``Store.dishes()``, ``Store.trips()``);
    ``fields`` (the controller's precomputed ``StationFields``) saves routing time.
    ``events`` (the store's) add ``wait_parts``, timed by the same bound as the
    ratio so the two agree.
    """
    shared = dish_figures(dishes)
    bound = LowerBound(plan, motion, load_s_per_tray=load_s_per_tray, fields=fields)
    bounds = [bound.dish_s(d) for d in dishes if wait_of(d) is not None]
    wait = shared["wait_s"]
    bound_mean = _r(float(np.mean(bounds))) if bounds else None
    sim_s = counts.sim_seconds
    traffic = sum(r.traffic_wait_s for r in robots)
    utilisation = {r.serial: _r(r.busy_s / sim_s) if sim_s > 0 else 0.0 for r in robots}
    report: dict[str, Any] = {
        "dishes": shared["dishes"],
        "wait_s": wait,
        "lower_bound_wait_s": {
            "mean": bound_mean,
            "ratio": (_r(wait["mean"] / bound_mean)
                      if wait["mean"] is not None and bound_mean else None),
            "load_s_per_tray": load_s_per_tray,
        },
        "violations": counts.violations,
        "violation_examples": list(counts.violation_examples),
        "deadlocks": {"detected": counts.deadlocks_detected,
                      "unrecovered": counts.deadlocks_unrecovered,
                      "stalls": counts.stalls_detected},
        "robots": len(robots),
        "policy": policy,
        "seed": seed,
        "sim_seconds": _r(sim_s),
        "wall_seconds": _r(counts.wall_seconds),
        "speedup": _r(sim_s / counts.wall_seconds) if counts.wall_seconds > 0 else None,
        "utilisation": {
            "mean": _r(float(np.mean(list(utilisation.values())))) if robots else 0.0,
            "per_robot": utilisation,
        },
        "distance_m": {"total": _r(sum(r.distance_m for r in robots)),
                       "per_robot": {r.serial: _r(r.distance_m) for r in robots}},
        "traffic_wait_s": {"total": _r(traffic),
                           "mean_per_trip": _r(traffic / len(trips)) if trips else 0.0},
        "trips": len(trips),
        "failed_reasons": shared["failed_reasons"],
        "cancelled_reasons": shared["cancelled_reasons"],
        "scenario": _scenario(scenario),
    }
    if events is not None:
        report["wait_parts"] = summarise(wait_parts(dishes, trips, events, drive=bound.drive_s,
                                                    load_s_per_tray=load_s_per_tray))
    return report


def _scenario(s: ScenarioSummary | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"name": s.name, "parties": s.parties, "turned_away": s.turned_away,
            "orders": s.orders, "ordered_dishes": s.ordered_dishes,
            "cancelled_orders": s.cancelled_orders, "dishes_per_hour": list(s.dishes_per_hour),
            "peak_hour_dishes": s.peak_hour_dishes}


def _f(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}"
    return f"{value}{unit}"


def _pairs(mapping: Mapping[str, Any], unit: str = "") -> str:
    return "  ".join(f"{k} {_f(v, unit)}" for k, v in mapping.items()) or "-"


def _replayed(replay: Mapping[str, Any]) -> str:
    """What of a till's log was replayed (``sim.replay.ReplayKitchen.replay_summary``)."""
    text = (f"{replay['file']} from {replay['opened']}: {replay['replayed']} of "
            f"{replay['rows']} rows replayed ({replay['orders']} orders), "
            f"{replay['skipped']} skipped")
    if replay["skipped_because"]:
        text += " (" + "; ".join(f"{n} {why}" for why, n in
                                 replay["skipped_because"].items()) + ")"
    return text


def format_report(report: Mapping[str, Any]) -> str:
    """The report as a plain-text table for a terminal."""
    d, w, lb = report["dishes"], report["wait_s"], report["lower_bound_wait_s"]
    sc = report.get("scenario")
    rows: list[tuple[str, str]] = []
    replay = report.get("replay")
    if replay is not None and sc is not None:
        rows.append(("replay", f"{_replayed(replay)}; per hour {sc['dishes_per_hour']}, "
                               f"peak hour {sc['peak_hour_dishes']}"))
    elif sc is not None:
        rows.append(("scenario", f"{sc['name']}: {sc['parties']} parties "
                     f"({sc['turned_away']} turned away), {sc['ordered_dishes']} dishes, "
                     f"per hour {sc['dishes_per_hour']}, peak hour {sc['peak_hour_dishes']}"))
    rows += [
        ("run", f"policy {report['policy']}, seed {report['seed']}, {report['robots']} robots, "
                f"{_f(report['sim_seconds'], ' s')} simulated in "
                f"{_f(report['wall_seconds'], ' s')} (x{_f(report['speedup'])})"),
        ("dishes", _pairs(d)),
        ("wait ready->table", _pairs(w, " s")),
        ("free-flow bound", f"mean {_f(lb['mean'], ' s')}, wait/bound {_f(lb['ratio'])}"),
        *_parts_row(report.get("wait_parts")),
        ("violations", str(report["violations"])),
        ("deadlocks", _pairs(report["deadlocks"])),
        *_phase_rows(report.get("phases")),
        ("utilisation", f"mean {_f(report['utilisation']['mean'] * 100, ' %')}"),
        ("distance", f"{_f(report['distance_m']['total'], ' m')} in {report['trips']} trips"),
        ("traffic waits", f"{_f(report['traffic_wait_s']['total'], ' s')} total, "
                          f"{_f(report['traffic_wait_s']['mean_per_trip'], ' s')} a trip"),
    ]
    if report["failed_reasons"]:
        rows.append(("failed because", _pairs(report["failed_reasons"])))
    if report["cancelled_reasons"]:
        rows.append(("cancelled because", _pairs(report["cancelled_reasons"])))
    rows += [(f"  {serial}", f"{_f(u * 100, ' %')} busy, "
              f"{_f(report['distance_m']['per_robot'].get(serial), ' m')}")
             for serial, u in report["utilisation"]["per_robot"].items()]
    for example in report.get("violation_examples", []):
        rows.append(("  violation", example))
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def _parts_row(parts: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """Where a robot-served dish's wait went (``sim.waits``), mean seconds, largest first."""
    if not parts or not parts.get("dishes"):
        return []
    return [("wait parts s", format_parts(parts))]


def _phase_rows(phases: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The watchdog's counts, then the first stays it found past their bound."""
    if phases is None:
        return []
    counts = {k: v for k, v in phases.items() if k != "overdue_examples"}
    return [("robot phases", _pairs(counts)),
            *(("  past its bound", text) for text in phases.get("overdue_examples", []))]
