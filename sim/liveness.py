"""The referee's other half: liveness. Safety (``sim.referee``) says no two robots
ever touched; it says nothing of a floor where every robot waits for another and no
dish moves. ``ProgressWatch`` looks at the fleet now and then during a run and
records every robot that had work (a trip, or dishes on its trays) and stayed in
one cell longer than ``bound_s``: the freezes a service must not have.

A robot waiting for a guest or for staff also stands still; the default bound
(120 s) is above the guest timeout (90 s), so a freeze is a robot that waited
longer than anything it waits for should take. Progress is a move to another
cell or a step of its work (another trip, or the trip's next stop): looked at
every 30 s, a robot that took a dish back to a pass a few metres away and
returned to the same table was otherwise seen standing there throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fleet.controller.core import Controller
from fleet.controller.explain import waiting_words
from fleet.floor.model import Cell


@dataclass(slots=True)
class _Still:
    cell: Cell
    work: tuple[str, int] | None
    """The trip and its next stop when first seen here."""
    since: float
    why: str = ""
    freeze: int | None = None
    """Its index in ``ProgressWatch.freezes`` once it lasted past the bound."""


@dataclass(frozen=True, slots=True)
class Freeze:
    robot: str
    cell: Cell
    since: float
    seconds: float
    why: str


class ProgressWatch:
    """Call ``observe`` at intervals well under ``bound_s`` (the simulator: every 30 s)."""

    def __init__(self, bound_s: float = 120.0, *,
                 explain: Callable[[Controller, str, float], str] = waiting_words) -> None:
        self.bound_s = bound_s
        self._explain = explain
        self.freezes: list[Freeze] = []
        self.longest_s = 0.0
        self._still: dict[str, _Still] = {}

    def observe(self, ctl: Controller, now: float) -> None:
        for serial, rec in ctl.robots.items():
            working = rec.trip is not None or bool(rec.loads)
            seen = self._still.get(serial)
            if not working or rec.cell is None:
                self._still.pop(serial, None)
                continue
            work = (rec.trip.trip_id, rec.trip.next_stop) if rec.trip is not None else None
            if seen is None or seen.cell != rec.cell or seen.work != work:
                self._still[serial] = _Still(rec.cell, work, now)
                continue
            held = now - seen.since
            self.longest_s = max(self.longest_s, held)
            if held <= self.bound_s:
                continue
            if seen.freeze is None:
                seen.why = self._explain(ctl, serial, now) or rec.note
                seen.freeze = len(self.freezes)
                self.freezes.append(Freeze(serial, seen.cell, seen.since, held, seen.why))
            else:  # the same freeze, longer now
                self.freezes[seen.freeze] = Freeze(serial, seen.cell, seen.since, held,
                                                   seen.why)

    def summary(self) -> dict[str, Any]:
        return {"bound_s": self.bound_s, "freezes": len(self.freezes),
                "robots_frozen": len({f.robot for f in self.freezes}),
                "longest_no_progress_s": round(self.longest_s, 1),
                "examples": [f"{f.robot} at {f.cell} from {f.since:.0f} s for {f.seconds:.0f} s"
                             f"{': ' + f.why if f.why else ''}" for f in self.freezes[:5]]}
