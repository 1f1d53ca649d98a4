"""``shift_report`` as tidy tables: one row per thing counted, one column per figure.

The terminal summary and the CSV files are both drawn from these, so a figure
read off the screen and one read from a spreadsheet cannot disagree. Each table
has a fixed column order (a CSV header does not move between runs, even when a
table has no rows).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_WAITS = ("wait_mean_s", "wait_p50_s", "wait_p95_s", "wait_max_s")
_COUNTS = ("ordered", "served", "by_staff", "failed", "cancelled", "open")


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]


def tidy_tables(report: Mapping[str, Any]) -> list[Table]:
    """The tables, in the order a reader wants them; rows keep the report's values."""
    d, w, span = report["dishes"], report["wait_s"], report["span"]
    summary = (
        [{"figure": "span_start", "value": span["start"]},
         {"figure": "span_end", "value": span["end"]},
         {"figure": "span_s", "value": span["seconds"]}]
        + [{"figure": f"dishes_{k}", "value": v} for k, v in d.items()]
        + [{"figure": f"wait_{k}_s", "value": v} for k, v in w.items()]
        + [{"figure": "late_s", "value": report["late_s"]},
           {"figure": "late_dishes", "value": len(report["late"])}])
    reasons = ([{"outcome": "failed", "reason": r, "dishes": n}
                for r, n in report["failed_reasons"].items()]
               + [{"outcome": "cancelled", "reason": r, "dishes": n}
                  for r, n in report["cancelled_reasons"].items()])
    return [
        Table("summary", ("figure", "value"), tuple(summary)),
        Table("per_hour", ("hour", "from_s", "to_s", *_COUNTS, *_WAITS),
              tuple(report["per_hour"])),
        Table("per_table", ("table", *_COUNTS, *_WAITS), tuple(report["per_table"])),
        Table("per_pass", ("pass", *_COUNTS, *_WAITS), tuple(report["per_pass"])),
        Table("per_robot", ("robot", "trips", "serve_trips", "charge_trips", "aborted_trips",
                            "dishes_served", "dishes_failed", "on_trips_s", "on_trips_pct",
                            "faults"), tuple(report["per_robot"])),
        Table("late_dishes", ("dish", "order", "table", "robot", "ready_s", "at_table_s",
                              "wait_s"), tuple(report["late"])),
        Table("outcome_reasons", ("outcome", "reason", "dishes"), tuple(reasons)),
    ]
