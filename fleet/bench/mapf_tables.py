"""``fleet bench mapf``'s tables: our planner's rows beside the baseline's, and the
figures the issue's targets are stated in.

Pure: the rows are the dicts ``fleet.bench.mapf`` makes; nothing is run here.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Any

from fleet.bench.text import figure, markdown_table

PLANNERS = ("lacam", "prioritised")


def _pair(rows: Sequence[dict[str, Any]], key: Callable[[dict[str, Any]], tuple[Any, ...]]
          ) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """Rows of our planner, each with the baseline's row for the same instance."""
    base = {key(r): r for r in rows if r["planner"] == "prioritised"}
    return [(r, base.get(key(r))) for r in rows if r["planner"] == "lacam"]


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def _status(row: dict[str, Any] | None) -> str:
    if row is None:
        return "-"
    if row.get("solved"):
        return "yes" if row.get("valid") else "INVALID"
    reason = str(row.get("reason", ""))
    return "timeout" if "time limit" in reason or "killed" in reason else "no"


def format_one_shot(rows: Sequence[dict[str, Any]]) -> str:
    """One line per instance: ours (first solution; refined when --refine ran) beside
    the baseline. 'first s' is LaCAM's time to its first plan, 's' the whole run; the
    time ratio is the baseline's time over our first plan's. 'SoC/LB search' is the
    first plan as LaCAM's search found it, before the polish inside the same call."""
    refined = any("soc_lb_first" in r for r in rows)
    header = ["map", "scen", "N", "solved", "first s", "s", "SoC/LB search", "SoC/LB first",
              *(["SoC/LB refined"] if refined else []), "base solved", "base s",
              "base SoC/LB", "base/ours s", "base/ours SoC"]
    body = []
    for ours, base in _pair(rows, lambda r: (r["map"], r["scen"], r["agents"])):
        both = bool(ours.get("solved") and base is not None and base.get("solved"))
        first = ours.get("soc_lb_first", ours.get("soc_lb"))
        body.append([
            ours["map"], ours["scen"].removeprefix(ours["map"] + "-"), str(ours["agents"]),
            _status(ours), figure(ours.get("first_s"), 3), figure(ours.get("time_s"), 3),
            figure(ours.get("soc_lb_search", first) if ours.get("solved") else None, 3),
            figure(first if ours.get("solved") else None, 3),
            *([figure(ours.get("soc_lb") if "soc_lb_first" in ours else None, 3)]
              if refined else []),
            _status(base),
            figure(base.get("time_s") if base else None, 3),
            figure(base.get("soc_lb") if base else None, 3),
            _ratio(base.get("time_s"), ours.get("first_s", ours.get("time_s")))
            if both and base else "-",
            _ratio(base.get("soc"), ours.get("soc")) if both and base else "-"])
    return markdown_table(header, body, left=2)


def format_lifelong(rows: Sequence[dict[str, Any]]) -> str:
    header = ["instance", "N", "planner", "steps", "goals", "goals/step", "step p50 ms",
              "step p99 ms", "valid", "vs baseline goals/step"]
    body = []
    for ours, base in _pair(rows, lambda r: (r["instance"], r["steps"])):
        for row in (ours, base):
            if row is None:
                continue
            # Lifelong runs use PIBT step by step; LaCAM's search is for one-shot.
            name = row["planner"]
            if name == "lacam":
                name = "pibt guided" if row.get("guided", True) else "pibt"
            body.append([row["instance"], str(row.get("agents", "-")), name,
                         f"{row.get('steps_done', 0)}/{row['steps']}",
                         figure(row.get("goals")), figure(row.get("throughput"), 2),
                         figure(row.get("p50_ms"), 2), figure(row.get("p99_ms"), 2),
                         figure(row.get("valid")),
                         _ratio(ours.get("throughput"), base.get("throughput"))
                         if row is ours and base else ""])
    return markdown_table(header, body, left=3)


def summary(rows: Sequence[dict[str, Any]]) -> str:
    """The figures the issue's targets are stated in."""
    lines = []
    for planner in PLANNERS:
        mine = [r for r in rows if r["kind"] == "one-shot" and r["planner"] == planner]
        if not mine:
            continue
        solved = [r for r in mine if r.get("solved")]
        invalid = [r for r in solved if not r.get("valid")]
        times = [r.get("first_s", r["time_s"]) for r in solved]
        first = [r.get("soc_lb_first", r["soc_lb"]) for r in solved]
        text = (f"{planner}: solved {len(solved)}/{len(mine)}, invalid {len(invalid)}; "
                + (f"time to first plan median {statistics.median(times):.3f} s, max "
                   f"{max(times):.3f} s; SoC/LB first median {statistics.median(first):.3f}, "
                   f"max {max(first):.3f}" if solved else "nothing solved"))
        refined = [r["soc_lb"] for r in solved if "soc_lb_first" in r]
        if refined:
            text += (f"; refined median {statistics.median(refined):.3f}, "
                     f"max {max(refined):.3f}")
        budgeted = [r["time_s"] for r in solved if "budget_s" in r]
        if budgeted:
            # The figure a caller with a time budget sees: the whole call.
            text += (f"; whole time (first plan + LNS) median "
                     f"{statistics.median(budgeted):.3f} s, max {max(budgeted):.3f} s")
        if refined:
            text += f"; refined above 1.10: {sum(x > 1.10 for x in refined)}"
        lines.append(text)
    return "\n".join(lines)
