"""``fleet bench mqtt``: the rows it measures, as Markdown tables and one-line verdicts.

The measuring lives in ``sim/bench/mqtt.py`` (it needs brokers, MQTT clients
and simulated vehicles, which the core must not import); this module only turns
its rows into text, so it is pure and testable without a broker.

Rows carry ``measure``: ``ingest`` (one per broker and path: ``bare``, a client
that only receives, or ``full``, VDA 5050 decoding and the controller's
``on_state``) or ``latency`` (one per broker: a robot reports a node passed ->
the vehicle holds the order update that grows its base).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from fleet.bench.text import figure as _f
from fleet.bench.text import markdown_table as _table

Row = Mapping[str, Any]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)




def _pct(ratio: float | None) -> str:
    return "-" if ratio is None else f"{100 * ratio:.0f} %"




def _brokers(rows: Sequence[Row]) -> list[str]:
    return list(dict.fromkeys(str(r["broker"]) for r in rows))


def _find(rows: Sequence[Row], measure: str, broker: str, path: str | None = None) -> Row | None:
    for row in rows:
        if (row["measure"] == measure and row["broker"] == broker
                and (path is None or row.get("path") == path)):
            return row
    return None


def full_over_bare(rows: Sequence[Row], broker: str, key: str = "per_s") -> float | None:
    """The full path's rate as a share of the bare client's, same broker, same run.
    ``per_s`` is per wall second; ``per_cpu_s`` per second of the receiving process's
    CPU, which is what one saturated core would do even where the broker, not the
    receiver, set the pace."""
    bare, full = _find(rows, "ingest", broker, "bare"), _find(rows, "ingest", broker, "full")
    if bare is None or full is None or not bare.get(key) or full.get(key) is None:
        return None
    return float(full[key]) / float(bare[key])


INGEST_HEADER = ("broker", "path", "sent", "handled", "lost", "wall s", "msg/s", "CPU s",
                 "CPU/wall", "msg/CPU-s", "publisher msg/s", "full/bare wall",
                 "full/bare CPU")


def format_ingest(rows: Sequence[Row]) -> str:
    ingest = [r for r in rows if r["measure"] == "ingest"]
    body = []
    for r in ingest:
        full = r["path"] == "full"
        ratio = full_over_bare(rows, r["broker"]) if full else None
        cpu_ratio = full_over_bare(rows, r["broker"], "per_cpu_s") if full else None
        cpu_share = r["cpu_s"] / r["wall_s"] if r["wall_s"] else None
        body.append([r["broker"], r["path"], _f(r["sent"]), _f(r["handled"]), _f(r["lost"]),
                     _f(r["wall_s"], 3), _f(r["per_s"], 0), _f(r["cpu_s"], 3),
                     _f(cpu_share, 2), _f(r.get("per_cpu_s"), 0),
                     _f(r["publisher_per_s"], 0), _f(ratio, 2), _f(cpu_ratio, 2)])
    text = ("### State ingestion (one receiving process, QoS 0)\n\n"
            + _table(INGEST_HEADER, body, left=2))
    parts = []
    for broker in _brokers(ingest):
        full = _find(rows, "ingest", broker, "full")
        if full is not None:
            parts.append(f"{broker} {_f(full['per_s'], 0)} msg/s "
                         f"({_pct(full_over_bare(rows, broker))} of bare), "
                         f"{_f(full.get('per_cpu_s'), 0)} per CPU second "
                         f"({_pct(full_over_bare(rows, broker, 'per_cpu_s'))} of bare)")
    if parts:
        text += "\n\nfull path (decode + validate + controller update): " + "; ".join(parts)
    return text


LATENCY_HEADER = ("broker", "robots", "wall s", "states/s", "node reports", "releases",
                  "matched", "p50 ms", "p99 ms", "max ms", "in p50 ms", "out p50 ms", "CPU/wall")


def format_latency(rows: Sequence[Row]) -> str:
    latency = [r for r in rows if r["measure"] == "latency"]
    body = [[r["broker"], _f(r["robots"]), _f(r["wall_s"], 1), _f(r["states_per_s"], 1),
             _f(r["node_reports"]), _f(r["releases"]), _f(r["matched"]), _f(r["p50_ms"], 2),
             _f(r["p99_ms"], 2), _f(r["max_ms"], 2), _f(r["in_p50_ms"], 2),
             _f(r["out_p50_ms"], 2), _f(r["cpu_s"] / r["wall_s"] if r["wall_s"] else None, 2)]
            for r in latency]
    text = ("### State-to-release latency (node passed -> base grows, wall clock)\n\n"
            + _table(LATENCY_HEADER, body, left=2))
    parts = [f"{r['broker']} p50 {_f(r['p50_ms'], 2)} ms, p99 {_f(r['p99_ms'], 2)} ms "
             f"over {_f(r['matched'])} releases" for r in latency]
    if parts:
        text += "\n\nstate-to-release: " + "; ".join(parts)
    return text


SIDE_FIGURES = (("bare msg/s", "ingest", "bare", "per_s", 0),
                ("full msg/s", "ingest", "full", "per_s", 0),
                ("bare msg/CPU-s", "ingest", "bare", "per_cpu_s", 0),
                ("full msg/CPU-s", "ingest", "full", "per_cpu_s", 0),
                ("full CPU us/msg", "ingest", "full", "cpu_us_per_msg", 1),
                ("release p50 ms", "latency", None, "p50_ms", 2),
                ("release p99 ms", "latency", None, "p99_ms", 2))


def format_brokers(rows: Sequence[Row]) -> str:
    """Every broker's headline figures in one table, the first broker as the baseline."""
    brokers = _brokers(rows)
    header = ["figure", *brokers]
    if len(brokers) > 1:
        header += [f"{b}/{brokers[0]}" for b in brokers[1:]]
    body = []
    for label, measure, path, key, digits in SIDE_FIGURES:
        values = []
        for broker in brokers:
            row = _find(rows, measure, broker, path)
            values.append(None if row is None else row.get(key))
        if all(v is None for v in values):
            continue
        base = values[0]
        body.append([label, *(_f(v, digits) for v in values),
                     *(_f(v / base, 2) if v is not None and base else "-" for v in values[1:])])
    return ("### Brokers side by side (same client code, same run)\n\n"
            + _table(header, body, left=1))


def format_mqtt_bench(rows: Sequence[Row]) -> str:
    parts = []
    if any(r["measure"] == "ingest" for r in rows):
        parts.append(format_ingest(rows))
    if any(r["measure"] == "latency" for r in rows):
        parts.append(format_latency(rows))
    if len(_brokers(rows)) > 1:
        parts.append(format_brokers(rows))
    return "\n\n".join(parts)
