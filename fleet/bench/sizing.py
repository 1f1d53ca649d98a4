"""``fleet size``: how many robots a floor needs for a given service, read from
simulated services at several fleet sizes and seeds.

A restaurant buys robots on one question: "how many for my guests to wait no more
than X?" The answer here is the smallest fleet whose mean wait (ready at the pass
-> at the table, dishes carried by staff included with their own waits) stays at
or under the target at the upper end of its 95 % confidence range over the seeds,
whose p95 wait stays under its target when one is given, that leaves no dish open
and at most ``max_staff_share`` of them (1 % by default) for staff to carry: a
robot faulting now and then is part of a service, a fleet too small is not. Runs
are passed in as rows (``sim.sizing_runs``), so this module
needs neither the simulator nor a terminal.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats

from fleet.bench.text import figure as _f
from fleet.bench.text import markdown_table as _table


@dataclass(frozen=True, slots=True)
class SizeFigures:
    """One fleet size over its seeds."""

    robots: int
    runs: int
    mean_wait_s: float | None
    """The mean of the runs' mean waits."""
    low_s: float | None
    high_s: float | None
    """The 95 % confidence range of that mean (Student's t over the seeds; the one
    figure with a single seed)."""
    p95_wait_s: float | None
    """The mean of the runs' p95 waits."""
    served_share: float
    ordered: int
    by_staff: int
    failed: int
    open: int
    errors: tuple[str, ...] = ()


def run_row(robots: int, seed: int, report: Mapping[str, Any] | None,
            error: str = "") -> dict[str, Any]:
    """The figures of one run that sizing uses, from a simulator report."""
    if report is None:
        return {"robots": robots, "seed": seed, "error": error}
    d, w = report["dishes"], report["wait_s"]
    return {"robots": robots, "seed": seed, "error": "", "ordered": d["ordered"],
            "served": d["served"], "by_staff": d.get("by_staff", 0), "failed": d["failed"],
            "open": d["open"], "mean_wait_s": w["mean"], "p95_wait_s": w["p95"],
            "sim_s": report["sim_seconds"], "wall_s": report["wall_seconds"]}


def _confidence(values: Sequence[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, mean
    half = float(stats.t.ppf(0.975, len(values) - 1)) * statistics.stdev(values) \
        / math.sqrt(len(values))
    return max(0.0, mean - half), mean + half  # a wait is never below zero


def by_size(rows: Sequence[Mapping[str, Any]]) -> list[SizeFigures]:
    out = []
    for robots in sorted({r["robots"] for r in rows}):
        group = [r for r in rows if r["robots"] == robots]
        ran = [r for r in group if not r["error"]]
        means = [r["mean_wait_s"] for r in ran if r["mean_wait_s"] is not None]
        p95s = [r["p95_wait_s"] for r in ran if r["p95_wait_s"] is not None]
        low, high = _confidence(means) if means else (None, None)
        ordered = sum(r["ordered"] for r in ran)
        out.append(SizeFigures(
            robots=robots, runs=len(ran),
            mean_wait_s=statistics.fmean(means) if means else None, low_s=low, high_s=high,
            p95_wait_s=statistics.fmean(p95s) if p95s else None,
            served_share=sum(r["served"] for r in ran) / ordered if ordered else 0.0,
            ordered=ordered, by_staff=sum(r["by_staff"] for r in ran),
            failed=sum(r["failed"] for r in ran),
            open=sum(r["open"] for r in ran),
            errors=tuple(sorted({r["error"] for r in group if r["error"]}))))
    return out


MAX_STAFF_SHARE = 0.01


def meets(size: SizeFigures, target_mean_s: float, target_p95_s: float | None,
          max_staff_share: float = MAX_STAFF_SHARE) -> bool:
    return (size.runs > 0 and not size.errors and size.high_s is not None
            and size.high_s <= target_mean_s and size.open == 0
            and size.by_staff <= max_staff_share * size.ordered
            and (target_p95_s is None
                 or (size.p95_wait_s is not None and size.p95_wait_s <= target_p95_s)))


def choose(sizes: Sequence[SizeFigures], target_mean_s: float,
           target_p95_s: float | None = None,
           max_staff_share: float = MAX_STAFF_SHARE) -> SizeFigures | None:
    """The smallest fleet that meets the targets (``meets``), or None."""
    return next((s for s in sizes if meets(s, target_mean_s, target_p95_s, max_staff_share)),
                None)


def answer(sizes: Sequence[SizeFigures], target_mean_s: float,
           target_p95_s: float | None = None,
           max_staff_share: float = MAX_STAFF_SHARE) -> str:
    """The answer in one sentence, with the figures that back it."""
    wanted = f"mean wait <= {target_mean_s:g} s" + (
        f" and p95 <= {target_p95_s:g} s" if target_p95_s is not None else "")
    best = choose(sizes, target_mean_s, target_p95_s, max_staff_share)
    if best is None:
        tried = ", ".join(str(s.robots) for s in sizes)
        return (f"no fleet size tried ({tried}) gives {wanted} with at most "
                f"{max_staff_share:.0%} of dishes left to staff: try more robots, or a "
                "second pass")
    assert best.mean_wait_s is not None and best.low_s is not None and best.high_s is not None
    return (f"{best.robots} robots for {wanted}: mean wait {best.mean_wait_s:.0f} s "
            f"(95 % range {best.low_s:.0f}-{best.high_s:.0f} s over {best.runs} seeds), "
            f"p95 {_f(best.p95_wait_s)} s, {best.served_share:.0%} of dishes served by robot, "
            f"{best.by_staff} of {best.ordered} carried by staff")


HEADER = ("robots", "runs", "mean wait s", "95 % range s", "p95 wait s", "served by robot",
          "by staff", "failed", "open", "meets")


def format_sizes(sizes: Sequence[SizeFigures], target_mean_s: float,
                 target_p95_s: float | None = None,
                 max_staff_share: float = MAX_STAFF_SHARE) -> str:
    body = []
    for s in sizes:
        span = (f"{s.low_s:.0f}-{s.high_s:.0f}" if s.low_s is not None and s.high_s is not None
                else "-")
        body.append([str(s.robots), str(s.runs), _f(s.mean_wait_s), span, _f(s.p95_wait_s),
                     f"{s.served_share:.0%}", str(s.by_staff), str(s.failed), str(s.open),
                     "yes" if meets(s, target_mean_s, target_p95_s, max_staff_share) else
                     (s.errors[0][:40] if s.errors else "no")])
    return _table(list(HEADER), body)
