"""``fleet report --html``: the report as one HTML file with its plots, readable offline.

The plots are drawn by matplotlib as SVG and written into the page itself (no
script, no stylesheet or font fetched from anywhere), so the file can be mailed
to the owner or opened on a tablet with no network. Text in the SVG stays text
(``svg.fonttype = none``), so the numbers on the axes can be searched and
copied. matplotlib is imported only here, and this module only when ``--html``
is given: a plain ``fleet report`` does not wait for it.

Figures come from ``fleet.reporting`` like the terminal's and the CSVs'; the
page's tables are the same tidy tables.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from fleet.cli.report_view import Clock, num
from fleet.reporting.tables import tidy_tables

_KIND_COLOURS = {"serve": "#2b7bba", "bus": "#8c6bb1", "charge": "#e6a02e", "park": "#b0b0b0",
                 "unload": "#d9534f"}

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1em 0; } svg { max-width: 100%; height: auto; }
"""


def _svg(fig: Figure) -> str:
    out = io.StringIO()
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "fleet-report"}):
        fig.savefig(out, format="svg", bbox_inches="tight")
    text = out.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: inline in HTML


def waits_per_hour(report: Mapping[str, Any], clock: Clock) -> str:
    hours = report["per_hour"]
    start = report["span"]["start"]
    labels = [clock(start + h["from_s"]) for h in hours]
    fig = Figure(figsize=(8, 3.2))
    ax = fig.add_subplot()
    xs = list(range(len(hours)))
    ax.bar(xs, [h["wait_mean_s"] or 0.0 for h in hours], color="#2b7bba", label="mean")
    ax.plot(xs, [h["wait_p95_s"] for h in hours], "o", color="#d9534f", label="p95")
    ax.plot(xs, [h["wait_max_s"] for h in hours], "_", color="#222", markersize=14,
            label="max")
    ax.set_xticks(xs, labels)
    ax.set_xlabel("hour from (dishes ordered in the hour)")
    ax.set_ylabel("wait ready -> table (s)")
    ax.set_title("Waits per hour")
    ax.legend(loc="upper right")
    return _svg(fig)


def wait_distribution(waits: Sequence[float], late_s: float) -> str:
    fig = Figure(figsize=(8, 3.2))
    ax = fig.add_subplot()
    if waits:
        ax.hist(waits, bins=min(40, max(5, len(waits) // 5)), color="#2b7bba")
        ax.axvline(late_s, color="#d9534f", linestyle="--", label=f"late ({late_s:g} s)")
        ax.legend(loc="upper right")
    ax.set_xlabel("wait ready -> table (s)")
    ax.set_ylabel("dishes")
    ax.set_title(f"Wait distribution ({len(waits)} served dishes)")
    return _svg(fig)


def robot_utilisation(timeline: Mapping[str, Sequence[tuple[str, float, float]]],
                      report: Mapping[str, Any]) -> str:
    robots = list(timeline)
    fig = Figure(figsize=(8, 0.9 + 0.35 * max(1, len(robots))))
    ax = fig.add_subplot()
    for row, robot in enumerate(robots):
        for kind, lo, hi in timeline[robot]:
            ax.broken_barh([(lo / 60.0, (hi - lo) / 60.0)], (row - 0.35, 0.7),
                           color=_KIND_COLOURS.get(kind, "#555"))
    busy = {r["robot"]: r["on_trips_pct"] for r in report["per_robot"]}
    ax.set_yticks(range(len(robots)), [f"{r} ({num(busy.get(r), ' %')})" for r in robots])
    ax.invert_yaxis()
    ax.set_xlim(0, report["span"]["seconds"] / 60.0 or 1.0)
    ax.set_xlabel("minutes from the start")
    ax.set_title("Robot utilisation: trips over time (share of the span on trips)")
    handles = [Patch(color=c, label=k) for k, c in _KIND_COLOURS.items()]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    return _svg(fig)


def _html_table(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if r[c] is None else str(r[c]))}"
                                    "</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(report: Mapping[str, Any], *, waits: Sequence[float],
                timeline: Mapping[str, Sequence[tuple[str, float, float]]], source: str,
                clock: Clock) -> str:
    """The whole page: a heading, the three plots, then every tidy table."""
    span = report["span"]
    title = f"fleet report: {source}"
    plots = [("Waits per hour", waits_per_hour(report, clock)),
             ("Wait distribution", wait_distribution(waits, report["late_s"])),
             ("Robot utilisation", robot_utilisation(timeline, report))]
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
             f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>",
             f"<h1>{html.escape(title)}</h1>",
             f"<p>From {html.escape(clock(span['start']))} to {html.escape(clock(span['end']))}"
             f" ({num(span['seconds'] / 60)} min); dishes counted by when they were "
             "ordered; waits from ready at the pass to at the table, in seconds.</p>"]
    parts += [f"<h2>{html.escape(name)}</h2><figure>{svg}</figure>" for name, svg in plots]
    for table in tidy_tables(report):
        parts.append(f"<h2 id=\"{table.name}\">{html.escape(table.name.replace('_', ' '))}"
                     f"</h2>{_html_table(table.columns, table.rows)}")
    parts.append("</body></html>\n")
    return "\n".join(parts)
