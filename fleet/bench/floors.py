"""``fleet bench floors``: the lunch rush on floors nobody tuned to, for a range of
fleet sizes, and whether the service stays live.

The floors come from ``fleet.floor.generate`` (floor k is style k mod the styles
given, drawn from seed k), so a run here is repeatable and a regression names the
floor to open with ``fleet map generate``. The runs themselves are passed in
(``RunCase``); this module only lists the cases, and turns their figures into a
table per floor and the verdicts the liveness issue asks for:

- **open**: dishes with no outcome when the run ended (must be 0: nothing is lost);
- **staff**: dishes floor staff carried after the controller reported them late
  at the pass (a fleet too small for the floor shows here, not as food left out);
- **collapse**: served falls by more than 2 % when a robot is added (saturation is
  fine; more robots serving fewer dishes is a freeze in disguise);
- **freezes**: robots with work that stayed in one cell past the liveness bound
  (``sim.liveness``), and the longest such stand;
- violations (the safety referee) for completeness.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fleet.bench.text import figure as _f
from fleet.bench.text import markdown_table as _table

COLLAPSE = 0.02
"""Served may fall by at most this share when one robot is added."""


@dataclass(frozen=True, slots=True)
class FloorCase:
    style: str
    floor: int
    """The floor's seed (``fleet map generate --seed``)."""
    robots: int
    seed: int
    """The service's seed (parties, prep times, guests)."""

    @property
    def name(self) -> str:
        return f"{self.style}-{self.floor}"


RunCase = Callable[[FloorCase], Mapping[str, Any]]
"""Runs one service and returns its row (see ``row``)."""
Progress = Callable[[int, int, str], None]


def cases(floors: int | Sequence[int], styles: Sequence[str], robots: Sequence[int],
          seeds: Sequence[int]) -> list[FloorCase]:
    """Floor k (1-based) is ``styles[(k - 1) % len(styles)]`` from seed k; ``floors``
    is a count (floors 1..n) or the floor numbers themselves, so a run can try floors
    no earlier run has seen (say 101-120)."""
    numbers = range(1, floors + 1) if isinstance(floors, int) else floors
    return [FloorCase(styles[(k - 1) % len(styles)], k, n, s)
            for k in numbers for n in robots for s in seeds]


def row(case: FloorCase, report: Mapping[str, Any] | None, *, tables: int = 0,
        error: str = "") -> dict[str, Any]:
    """One run's figures from a simulator report (None with ``error`` when the run could
    not be made, e.g. the floor has no room for that many robots to start)."""
    out: dict[str, Any] = {"floor": case.name, "style": case.style, "floor_seed": case.floor,
                           "robots": case.robots, "seed": case.seed, "tables": tables,
                           "error": error}
    if report is None:
        return out
    dishes = report["dishes"]
    live = report.get("liveness", {})
    out.update(ordered=dishes["ordered"], served=dishes["served"], failed=dishes["failed"],
               open=dishes["open"], by_staff=dishes.get("by_staff", 0),
               wait_mean_s=report["wait_s"]["mean"],
               wait_over_bound=report["lower_bound_wait_s"]["ratio"],
               violations=report["violations"],
               deadlocks=report["deadlocks"]["detected"],
               freezes=live.get("freezes", 0),
               longest_still_s=live.get("longest_no_progress_s", 0.0),
               freeze_examples=live.get("examples", []),
               phases_unexpected=report.get("phases", {}).get("unexpected", 0),
               phases_overdue=report.get("phases", {}).get("overdue", 0),
               sim_s=report["sim_seconds"], wall_s=report["wall_seconds"])
    return out


def run_floor_bench(run: RunCase, todo: Sequence[FloorCase],
                    progress: Progress | None = None) -> list[dict[str, Any]]:
    rows = []
    for i, case in enumerate(todo):
        if progress is not None:
            progress(i, len(todo), f"{case.name}, {case.robots} robots, seed {case.seed}")
        rows.append(dict(run(case)))
    if progress is not None:
        progress(len(todo), len(todo), "done")
    return rows


def _by(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[str, int], list[Mapping[str, Any]]]:
    out: dict[tuple[str, int], list[Mapping[str, Any]]] = {}
    for r in rows:
        out.setdefault((r["floor"], r["robots"]), []).append(r)
    return out


def collapses(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Floors where adding robots served fewer dishes by more than ``COLLAPSE``
    (served summed over the seeds both sizes ran)."""
    groups = _by(rows)
    out = []
    for floor in dict.fromkeys(r["floor"] for r in rows):
        sizes = sorted(n for f, n in groups if f == floor)
        served = {n: sum(r.get("served", 0) for r in groups[(floor, n)] if not r["error"])
                  for n in sizes if all(not r["error"] for r in groups[(floor, n)])}
        ran = [n for n in sizes if n in served]
        for a, b in itertools.pairwise(ran):
            if served[b] < served[a] * (1 - COLLAPSE):
                out.append(f"{floor}: {a} -> {b} robots served {served[a]} -> {served[b]}")
    return out


def summarise(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    ran = [r for r in rows if not r["error"]]
    return {
        "runs": len(rows), "runs_failed_to_start": len(rows) - len(ran),
        "floors": len({r["floor"] for r in rows}),
        "served": sum(r["served"] for r in ran), "open": sum(r["open"] for r in ran),
        "by_staff": sum(r.get("by_staff", 0) for r in ran),
        "runs_with_open": sum(1 for r in ran if r["open"]),
        "violations": sum(r["violations"] for r in ran),
        "freezes": sum(r["freezes"] for r in ran),
        "runs_with_freezes": sum(1 for r in ran if r["freezes"]),
        "longest_still_s": max((r["longest_still_s"] for r in ran), default=0.0),
        "collapses": collapses(rows),
        "phases_overdue": sum(r.get("phases_overdue", 0) for r in ran),
        "phases_unexpected": sum(r.get("phases_unexpected", 0) for r in ran),
        "wait_over_bound_mean": _mean([r["wait_over_bound"] for r in ran]),
    }


def _mean(values: Sequence[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(statistics.fmean(got), 2) if got else None


def format_floor_bench(rows: Sequence[Mapping[str, Any]]) -> str:
    """A Markdown table, one line per floor and fleet size (seeds summed or averaged),
    then the verdicts."""
    lines = []
    for (floor, robots), group in _by(rows).items():
        ran = [r for r in group if not r["error"]]
        if not ran:
            lines.append([floor, str(group[0]["tables"]), str(robots), "-", "-", "-", "-", "-",
                          "-", "-", "-", group[0]["error"][:40]])
            continue
        lines.append([
            floor, str(group[0]["tables"]), str(robots),
            str(sum(r["served"] for r in ran)), str(sum(r["open"] for r in ran)),
            str(sum(r.get("by_staff", 0) for r in ran)), str(sum(r["failed"] for r in ran)),
            _f(_mean([r["wait_over_bound"] for r in ran])),
            str(sum(r["freezes"] for r in ran)),
            _f(max(r["longest_still_s"] for r in ran)),
            str(sum(r["violations"] for r in ran)),
            "" if len(ran) == len(group) else f"{len(group) - len(ran)} runs failed to start"])
    head = ["floor", "tables", "robots", "served", "open", "staff", "failed", "wait/bound",
            "freezes",
            "longest still s", "violations", "note"]
    s = summarise(rows)
    verdict = [
        "",
        f"{s['runs']} runs on {s['floors']} floors: served {s['served']}, open {s['open']} "
        f"(in {s['runs_with_open']} runs), by staff {s['by_staff']}, "
        f"violations {s['violations']}, freezes "
        f"{s['freezes']} (in {s['runs_with_freezes']} runs; longest {s['longest_still_s']} s "
        f"still), mean wait/bound {_f(s['wait_over_bound_mean'])}",
        f"robot phases past their bound {s['phases_overdue']}, unexpected phase changes "
        f"{s['phases_unexpected']}",
        f"collapses (served falls > {COLLAPSE:.0%} when a robot is added): "
        + ("; ".join(s["collapses"]) if s["collapses"] else "none"),
    ]
    return _table(head, lines) + "\n" + "\n".join(verdict)
