"""``fleet report``: the figures of a run, read back from its store.

The store is opened read-only, so a report can be taken beside a running
controller and a mistyped path is an error, not a new empty store. The figures
are ``fleet.reporting``'s, the same code the simulator's report uses; this
module only finds the store, turns the command line's times into store times,
and writes what the user asked for (screen, CSV, JSON).

Store times are seconds on the clock of the run that wrote them. A controller
run records its wall-clock offset (``ControllerStarted``), so clock times such as
``--from 12:00`` work on a production store; a simulated run has no time of day,
so there only times since the start (``--from 30m``) do; ``--shift lunch`` is the
config's clock times by name. Where several runs
wrote one store, clock times use the latest run's offset (the clock open orders
were moved onto when it resumed).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rich.console import Console

from fleet.cli.lang import add_lang, speaker
from fleet.cli.report_view import Clock, dish_view, summary_view
from fleet.config import load_config
from fleet.domain import events as ev
from fleet.errors import ReportError
from fleet.reporting import LATE_S, Records, Window, dish_history, records_span, shift_report
from fleet.reporting.figures import robot_timeline, wait_of, window_dishes
from fleet.reporting.tables import tidy_tables
from fleet.shifts import Shift
from fleet.store import SqliteStore

EPILOG = """\
TIME is either a time since the start of the record (the first thing the store
saw): 0, 45m, 1h30m, 5400 (seconds); or, for a store written by `fleet run`, a
clock time: 12:30, 12:30:15 (on the day the record starts) or 2026-12-06T12:30.

examples:
  fleet report                           the store named in ./config.toml (fleet.db)
  fleet report --db lunch.db --from 30m --to 1h30m
  fleet report --db fleet.db --from 12:00 --to 14:00 --csv out/
  fleet report --shift lunch             the config's [shifts] lunch = "11:00-14:30"
  fleet report --db lunch.db --html lunch.html   plots and tables in one offline page
  fleet report --db lunch.db dish P0012-1/2    every event of that dish, in order

Make a store to try it on: fleet sim --duration 2h --store lunch.db
"""

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_OFFSET = re.compile(r"\+?(\d+(?:\.\d+)?)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}
_SPAN = re.compile(r"(\d+(?:\.\d+)?)([hms])")


def non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected seconds, 0 or more; got {text!r}")
    return value


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="figures of a run from its store: waits per hour, table and robot; "
                       "CSV; one dish's history",
        description="Read the store of any run (fleet run, or fleet sim --store) and report\n"
                    "what happened: dishes ordered, served, failed (by reason) and cancelled;\n"
                    "waits from ready at the pass to at the table (mean, p50, p95, max)\n"
                    "overall, per hour, per table and per pass; per robot trips, dishes and\n"
                    "time on trips; and the late dishes. `fleet report dish ID` lists every\n"
                    "event of one dish instead. The store is only read, never changed.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("what", nargs="*", metavar="dish ID",
                   help="`dish` and a dish id (e.g. P0012-1/2): that dish's events, in order")
    p.add_argument("--db", type=Path, metavar="PATH",
                   help="the store to read (default: the config's store.path, i.e. fleet.db "
                        "beside ./config.toml)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="config naming the store (default: ./config.toml if present, "
                        "else the store is ./fleet.db)")
    p.add_argument("--from", dest="start", metavar="TIME",
                   help="count dishes ordered from TIME on (default: the start of the record)")
    p.add_argument("--to", dest="end", metavar="TIME",
                   help="... and before TIME (default: the end of the record)")
    p.add_argument("--shift", metavar="NAME",
                   help="count dishes ordered in the config's shift NAME ([shifts] in "
                        "config.toml, e.g. lunch = \"11:00-14:30\"), on the day the record "
                        "starts; instead of --from/--to")
    p.add_argument("--late", type=non_negative, default=LATE_S, metavar="S",
                   help=f"a served dish that waited more than S seconds is late "
                        f"(default {LATE_S:g}, the default cold-food bound)")
    p.add_argument("--csv", type=Path, metavar="DIR",
                   help="also write one CSV per table into DIR (summary, per_hour, "
                        "per_table, per_pass, per_robot, late_dishes, outcome_reasons)")
    p.add_argument("--json", type=Path, metavar="OUT",
                   help="also write every figure as JSON to OUT")
    p.add_argument("--html", type=Path, metavar="FILE",
                   help="also write a page with plots (waits per hour, wait distribution, "
                        "robot utilisation over time) and every table: one file that opens "
                        "offline in any browser")
    add_lang(p)
    p.set_defaults(run=run_report)


def config_file(args: argparse.Namespace) -> Path | None:
    """``--config``, else ./config.toml when there is one."""
    return args.config or (Path("config.toml") if Path("config.toml").is_file() else None)


def store_path(args: argparse.Namespace) -> Path:
    """``--db``, else the config's store, else ./fleet.db."""
    if args.db is not None:
        return Path(args.db)
    config = config_file(args)
    if config is None:
        return Path("fleet.db")
    cfg = load_config(config)
    return cfg.resolve(cfg.store.path)


def shift_named(args: argparse.Namespace) -> Shift:
    """The config's shift ``--shift`` names; ReportError says which config and shifts."""
    config = config_file(args)
    if config is None:
        raise ReportError(f"--shift {args.shift}: shifts are named in the config's shifts "
                          "table, and there is no ./config.toml here: give --config FILE")
    cfg = load_config(config)
    shift = cfg.shift(args.shift)
    if shift is None:
        known = ", ".join(f"{name} ({text})" for name, text in sorted(cfg.shifts.items()))
        raise ReportError(f"--shift {args.shift}: {config} has no shift of that name; "
                          + (f"its shifts: {known}" if known else
                             'it has none (add a shifts table: lunch = "11:00-14:30")'))
    return shift


def load_records(path: Path) -> Records:
    with SqliteStore(path, read_only=True) as store:
        return Records(dishes=store.dishes(), trips=store.trips(), events=store.events())


def wall_offset(records: Records) -> float | None:
    """Wall clock minus store time, from the latest controller run; None for a sim."""
    started = [e for e in records.events if e.kind == ev.CONTROLLER_STARTED]
    epoch = started[-1].data.get("epoch") if started else None
    return float(epoch) if isinstance(epoch, int | float) else None


def _since_start(text: str) -> float | None:
    """Seconds in ``0``, ``90``, ``45m``, ``1h30m``; None when it is not such a time."""
    cleaned = text.strip().lower()
    whole = _OFFSET.fullmatch(cleaned)
    if whole:
        return float(whole.group(1))
    parts = list(_SPAN.finditer(cleaned))
    if not parts or "".join(m.group(0) for m in parts) != cleaned.lstrip("+"):
        return None
    return sum(float(m.group(1)) * _UNIT_S[m.group(2)] for m in parts)


def store_time(text: str, option: str, *, start: float, offset: float | None,
               source: str) -> float:
    """The store time ``text`` names (see the epilog); ReportError says what to write."""
    seconds = _since_start(text)
    if seconds is not None:
        return start + seconds
    clock = _CLOCK.fullmatch(text.strip())
    try:
        wall = None if clock else datetime.fromisoformat(text.strip())
    except ValueError:
        raise ReportError(f"{option} {text!r}: expected a time since the start of the record "
                          "(0, 45m, 1h30m, 5400) or a clock time (12:30, 12:30:15, "
                          "2026-12-06T12:30)") from None
    if offset is None:
        raise ReportError(f"{option} {text!r}: {source} holds no wall clock (a simulated "
                          "run, or one from before controllers recorded it): give a time "
                          "since the start, e.g. 30m or 1h30m")
    if clock is not None:
        day = datetime.fromtimestamp(start + offset).replace(hour=0, minute=0, second=0,
                                                             microsecond=0)
        h, m, s = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if h > 23 or m > 59 or s > 59:
            raise ReportError(f"{option} {text!r}: not a time of day")
        wall = day + timedelta(hours=h, minutes=m, seconds=s)
    assert wall is not None
    return wall.timestamp() - offset


def clock_for(start: float, offset: float | None) -> Clock:
    """How store times are shown: wall-clock times where known, else h:mm:ss from start."""
    if offset is not None:
        wall = offset
        return lambda t: datetime.fromtimestamp(t + wall).strftime("%H:%M:%S")

    def since(t: float) -> str:
        s = round(t - start)
        sign, s = ("-", -s) if s < 0 else ("", s)
        return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
    return since


def window_of(args: argparse.Namespace, records: Records, source: str) -> Window:
    span = records_span(records)
    start = span[0] if span is not None else 0.0
    offset = wall_offset(records)
    if args.shift is not None:
        if args.start is not None or args.end is not None:
            raise ReportError(f"--shift {args.shift} is a time range of its own: give it or "
                              "--from/--to, not both")
        shift = shift_named(args)
        option = f"--shift {shift}"
        first = store_time(shift.start, option, start=start, offset=offset, source=source)
        last = store_time(shift.end, option, start=start, offset=offset, source=source)
        return Window(first, last + 86400.0 if shift.overnight else last)
    lo = (store_time(args.start, "--from", start=start, offset=offset, source=source)
          if args.start is not None else None)
    hi = (store_time(args.end, "--to", start=start, offset=offset, source=source)
          if args.end is not None else None)
    if lo is not None and hi is not None and hi <= lo:
        raise ReportError(f"--to {args.end!r} is not after --from {args.start!r}")
    return Window(lo, hi)


def write_csv(directory: Path, report: dict[str, Any]) -> list[Path]:
    written = []
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for table in tidy_tables(report):
            path = directory / f"{table.name}.csv"
            with path.open("w", newline="", encoding="utf-8") as out:
                writer = csv.DictWriter(out, fieldnames=table.columns, lineterminator="\n")
                writer.writeheader()
                writer.writerows(table.rows)
            written.append(path)
    except OSError as exc:
        raise ReportError(f"--csv {directory}: cannot write the tables: {exc}") from exc
    return written


def run_report(args: argparse.Namespace, console: Console) -> int:
    path = store_path(args)
    source = str(path)
    if args.what and (args.what[0] != "dish" or len(args.what) != 2):
        raise ReportError(f"expected `fleet report dish ID` or no words after `report`; "
                          f"got {' '.join(args.what)!r}")
    if not path.is_file():
        raise ReportError(f"{path}: no store here (no such file); runs write one: fleet run "
                          "(store.path in its config) or fleet sim --store PATH")
    records = load_records(path)
    span = records_span(records)
    start = span[0] if span is not None else 0.0
    clock = clock_for(start, wall_offset(records))
    if args.what:
        wanted = args.what[1]
        found = next((d for d in records.dishes if d.dish_id == wanted), None)
        if found is None:
            raise ReportError(unknown_dish(wanted, records, source))
        console.print(dish_view(found, dish_history(found, records.events), source=source,
                                clock=clock))
        return 0
    window = window_of(args, records, source)
    report = shift_report(records, window, late_s=args.late)
    report["store"] = source
    _ = speaker(args)
    console.print(summary_view(report, source=source, clock=clock, _=_))
    if args.csv is not None:
        written = write_csv(args.csv, report)
        console.print(_("{n} CSV files written to {dir}", n=str(len(written)),
                        dir=str(args.csv)))
    if args.html is not None:
        write_page(args.html, records, window, report, source=source, clock=clock)
        console.print(_("page written to {path}", path=str(args.html)))
    if args.json is not None:
        try:
            args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        except OSError as exc:
            raise ReportError(f"--json {args.json}: cannot write: {exc}") from exc
        console.print(_("report written to {path}", path=str(args.json)))
    return 0


def write_page(path: Path, records: Records, window: Window, report: dict[str, Any], *,
               source: str, clock: Clock) -> None:
    # Imported here: matplotlib takes a while to load, and only --html needs it.
    from fleet.cli.report_html import report_html  # noqa: PLC0415

    waits = [w for d in window_dishes(records, window) if (w := wait_of(d)) is not None]
    page = report_html(report, waits=waits, timeline=robot_timeline(records, window),
                       source=source, clock=clock)
    try:
        path.write_text(page, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"--html {path}: cannot write: {exc}") from exc


def unknown_dish(wanted: str, records: Records, source: str) -> str:
    """Says what the store does hold, so the next try can be right."""
    if not records.dishes:
        return f"{source}: no dish {wanted!r}: the store holds no dishes at all"
    order = wanted.partition("/")[0]
    same = [d.dish_id for d in records.dishes if d.order_id == order]
    if same:
        return f"{source}: no dish {wanted!r}; order {order} has {', '.join(same)}"
    ids = [d.dish_id for d in records.dishes]
    return (f"{source}: no dish {wanted!r}; it holds {len(ids)} dishes, {ids[0]} to "
            f"{ids[-1]} (dish ids are ORDER/N)")
