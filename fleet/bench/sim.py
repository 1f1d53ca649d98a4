"""``fleet bench sim``: our dispatch beside the baseline policy, seed by seed, same service.

Each seed runs the same simulated service twice, once per policy, so the two
columns see the same parties, prep times and guests. The run itself is passed
in (``RunOne``): this module only orders the runs and turns their reports
(``sim.report.build_report`` dicts) into rows and Markdown tables, so it needs
neither the simulator nor a terminal.

Figures, per run: mean and p95 wait ready -> table, the free-flow bound and
wait / bound, dishes served / failed / cancelled / open, violations, deadlocks
(detected / unrecovered) and speed (simulated seconds per wall second). The
improvement is ``(baseline mean wait - fleet mean wait) / baseline mean wait``,
so 25 % means dishes wait a quarter less with our dispatch.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fleet.bench.text import figure as _f
from fleet.bench.text import markdown_table as _table

POLICIES = ("fleet", "baseline")
RunOne = Callable[[str, int], Mapping[str, Any]]
"""Runs one service for (policy, seed) and returns its report."""
Progress = Callable[[int, int, str], None]
"""(runs done, runs in all, what runs next)."""

_SEEDS = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+))?\s*$")


def parse_seeds(text: str) -> list[int]:
    """Seeds from ``1-5``, ``1,2,3`` or a mix (``1-3,7``), in order, without repeats."""
    seeds: list[int] = []
    for part in text.split(","):
        match = _SEEDS.match(part)
        if match is None:
            raise ValueError(f"expected seeds like 1-5 or 1,2,3; got {text!r}")
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise ValueError(f"seed range {part.strip()!r} runs backwards")
        seeds += [s for s in range(first, last + 1) if s not in seeds]
    return seeds


def run_row(report: Mapping[str, Any]) -> dict[str, Any]:
    """The figures of one run that the tables compare, flat and JSON-ready."""
    d, w, lb = report["dishes"], report["wait_s"], report["lower_bound_wait_s"]
    return {
        "policy": report["policy"], "seed": report["seed"],
        "mean_wait_s": w["mean"], "p95_wait_s": w["p95"],
        "bound_s": lb["mean"], "wait_over_bound": lb["ratio"],
        "ordered": d["ordered"], "served": d["served"], "failed": d["failed"],
        "cancelled": d["cancelled"], "open": d["open"],
        "failed_without_reason": d.get("failed_without_reason", 0),
        "violations": report["violations"],
        "deadlocks_detected": report["deadlocks"]["detected"],
        "deadlocks_unrecovered": report["deadlocks"]["unrecovered"],
        "sim_seconds": report["sim_seconds"], "wall_seconds": report["wall_seconds"],
        "speedup": report["speedup"],
    }


def improvement(fleet_wait: float | None, baseline_wait: float | None) -> float | None:
    """How much less dishes wait with our dispatch, in percent of the baseline's wait."""
    if fleet_wait is None or not baseline_wait:
        return None
    return round(100.0 * (baseline_wait - fleet_wait) / baseline_wait, 1)


def run_sim_bench(run: RunOne, seeds: Sequence[int],
                  progress: Progress | None = None) -> list[dict[str, Any]]:
    """Every seed under both policies; one row per (seed, policy), fleet first."""
    rows: list[dict[str, Any]] = []
    total = len(seeds) * len(POLICIES)
    for seed in seeds:
        for policy in POLICIES:
            if progress is not None:
                progress(len(rows), total, f"seed {seed}, {policy}")
            rows.append(run_row(run(policy, seed)))
    if progress is not None:
        progress(len(rows), total, "done")
    return rows


def _by_seed(rows: Sequence[Mapping[str, Any]]) -> dict[int, dict[str, Mapping[str, Any]]]:
    seeds: dict[int, dict[str, Mapping[str, Any]]] = {}
    for row in rows:
        seeds.setdefault(int(row["seed"]), {})[str(row["policy"])] = row
    return seeds






SEED_HEADER = ("policy", "mean wait s", "p95 wait s", "bound s", "wait/bound", "served",
               "failed", "cancelled", "open", "violations", "deadlocks det/unrec", "speed x")


def format_seed(seed: int, runs: Mapping[str, Mapping[str, Any]]) -> str:
    """One seed's Markdown table, a row per policy, and the improvement under it."""
    body = [[r["policy"], _f(r["mean_wait_s"]), _f(r["p95_wait_s"]), _f(r["bound_s"]),
             _f(r["wait_over_bound"], 2), str(r["served"]), str(r["failed"]),
             str(r["cancelled"]), str(r["open"]), str(r["violations"]),
             f"{r['deadlocks_detected']}/{r['deadlocks_unrecovered']}", _f(r["speedup"], 0)]
            for r in (runs[p] for p in POLICIES if p in runs)]
    text = f"### seed {seed}\n\n{_table(SEED_HEADER, body)}"
    if all(p in runs for p in POLICIES):
        fleet, base = runs["fleet"], runs["baseline"]
        gain = improvement(fleet["mean_wait_s"], base["mean_wait_s"])
        ratio = (fleet["mean_wait_s"] / base["mean_wait_s"]
                 if fleet["mean_wait_s"] is not None and base["mean_wait_s"] else None)
        text += (f"\n\nfleet / baseline mean wait: {_f(ratio, 2)} "
                 f"(dishes wait {_f(gain)} % less with fleet)")
    return text


def summarise(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Means over seeds per policy, the improvement, and the safety totals over all runs."""
    out: dict[str, Any] = {"seeds": sorted(_by_seed(rows)), "runs": len(rows)}
    for policy in POLICIES:
        mine = [r for r in rows if r["policy"] == policy]

        def mean(key: str, mine: list[Mapping[str, Any]] = mine) -> float | None:
            values = [float(r[key]) for r in mine if r[key] is not None]
            return round(statistics.fmean(values), 3) if values else None

        out[policy] = {key: mean(key) for key in ("mean_wait_s", "p95_wait_s", "bound_s",
                                                  "wait_over_bound", "speedup")}
        out[policy].update({key: sum(int(r[key]) for r in mine) for key in (
            "ordered", "served", "failed", "cancelled", "open", "failed_without_reason",
            "violations", "deadlocks_detected", "deadlocks_unrecovered")})
    out["improvement_percent"] = improvement(out["fleet"]["mean_wait_s"],
                                             out["baseline"]["mean_wait_s"])
    return out


def format_summary(summary: Mapping[str, Any]) -> str:
    """Markdown: the means over seeds side by side, then the verdict line."""
    fleet, base = summary["fleet"], summary["baseline"]
    rows = [
        ("mean wait s", "mean_wait_s", 1), ("p95 wait s", "p95_wait_s", 1),
        ("free-flow bound s", "bound_s", 1), ("wait / bound", "wait_over_bound", 2),
        ("served", "served", 0), ("failed", "failed", 0), ("cancelled", "cancelled", 0),
        ("open", "open", 0), ("violations", "violations", 0),
        ("deadlocks detected", "deadlocks_detected", 0),
        ("deadlocks unrecovered", "deadlocks_unrecovered", 0),
        ("speed (sim s / wall s)", "speedup", 0),
    ]
    body = [[label, _f(fleet[key], digits), _f(base[key], digits)]
            for label, key, digits in rows]
    seeds = summary["seeds"]
    text = (f"### summary over {len(seeds)} seed(s) {seeds} (means of per-run figures, "
            f"totals of counts)\n\n{_table(('figure', 'fleet', 'baseline'), body)}")
    text += (f"\n\nfleet mean wait is {_f(summary['improvement_percent'])} % below baseline "
             "(the issue's target: at least 25 %)")
    return text


def format_bench(rows: Sequence[Mapping[str, Any]]) -> str:
    """Every seed's table, then the summary."""
    parts = [format_seed(seed, runs) for seed, runs in sorted(_by_seed(rows).items())]
    parts.append(format_summary(summarise(rows)))
    return "\n\n".join(parts)
