"""A till's log of one service, read for ``fleet replay``: one row per dish.

The schema (``docs/replay.md`` shows an example and a converter from another
layout). The first line is a header; column names are matched without regard
to case, spaces or dashes (``Order Time`` is ``order_time``); columns not
listed here are ignored, so a till's export may carry more.

==============  ========  =======================================================
column          needed    what it holds
==============  ========  =======================================================
``order_time``  yes       when the order was keyed in at the till
``order_id``    yes       the till's order (check) id; rows of one id are one order
``table``       yes       the table's name on the floor plan (``W1``, ``창가1``)
``dish``        yes       the dish's name
``ready_time``  no        when the kitchen marked it ready; empty or absent: the
                          order time plus ``prep``
``prep``        no        order -> ready, for a row without a ready time: seconds
                          (``540``) or ``9m``, ``1h5m``, ``90s``; empty or absent:
                          the default prep time (``fleet replay --prep``)
``trays``       no        trays the dish takes (default 1); ``0``: not carried by
                          the robots (drinks from the bar): the row is skipped
``note``        no        an allergy or a remark, shown with the order's dishes
``pass``        no        the pass it is picked up at (a food court's stall)
==============  ========  =======================================================

Times are one of three kinds, the same kind throughout a file: clock times
(``19:02`` or ``19:02:37``), ISO datetimes (``2026-03-14T19:02:37``, a space for
the ``T`` and a UTC offset allowed), or seconds from the start (``0``,
``125.5``). A clock time more than 12 h before the first row's order time is
read as the next day, so a service may run past midnight. The replay starts at
the earliest order time of the rows it replays.

Rows of one order id with different order times (a dish added to the check
later) become one order at the till per time: the first keeps the id, later
ones get ``+2``, ``+3``, ... appended. One order id is for one table.

Fields may be separated by commas, semicolons or tabs (read from the header).
Anything wrong is a ``TillLogError`` of one line naming the file, the line and
the column. This module does no I/O: the caller reads the file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from fleet.errors import TillLogError

REQUIRED = ("order_time", "order_id", "table", "dish")
OPTIONAL = ("ready_time", "prep", "trays", "note", "pass")
NEXT_DAY_S = 12 * 3600.0
"""A clock time this much before the first order time is read as the next day."""

_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?")
_SECONDS = re.compile(r"\d+(?:\.\d+)?")
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([hms])")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}


_Cell = Callable[[str], str]
"""``cell(name)``: a row's stripped field of that column, "" when absent."""


class TimeKind(StrEnum):
    CLOCK = "a clock time"
    ISO = "an ISO datetime"
    ISO_OFFSET = "an ISO datetime with a UTC offset"
    SECONDS = "seconds from the start"


@dataclass(frozen=True, slots=True)
class LoggedDish:
    """One row to replay. Times are seconds after the log's first order."""

    line: int
    order_id: str
    """The order id at the till (``+2``, ``+3`` ... for dishes added later)."""
    table: str
    name: str
    ordered_s: float
    ready_s: float
    trays: int = 1
    note: str = ""
    pass_place: str | None = None


@dataclass(frozen=True, slots=True)
class SkippedRow:
    line: int
    why: str


@dataclass(frozen=True, slots=True)
class TillLog:
    """A parsed log: the dishes to replay in file order, and the rows left out."""

    source: str
    dishes: tuple[LoggedDish, ...]
    skipped: tuple[SkippedRow, ...] = ()
    opened: str = ""
    """The first order time as written in the file (the replay's time 0)."""

    @property
    def rows(self) -> int:
        return len(self.dishes) + len(self.skipped)


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    order_id: str
    table: str
    name: str
    ordered: float
    ready: float | None
    prep_s: float | None
    trays: int
    note: str
    pass_place: str | None
    ordered_text: str


def parse_till_log(text: str, *, source: str, tables: Collection[str],
                   passes: Collection[str] = (), default_prep_s: float = 600.0) -> TillLog:
    """The log in ``text`` (the file's contents; ``source`` names it in errors), checked
    against the floor plan's ``tables`` and ``passes``. See the module docstring."""
    reader = _Reader(source)
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    header_at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_at is None:
        raise TillLogError(f"{source}: empty file; expected a header line with the columns "
                           f"{', '.join(REQUIRED)}")
    records = list(_records(source, lines, header_at))
    header = [_column(name) for name in records[0][1]]
    header_line = records[0][0]
    for name in REQUIRED:
        if name not in header:
            found = ", ".join(h for h in header if h) or "nothing"
            raise TillLogError(f"{source}, line {header_line}, column {name}: missing from "
                               f"the header (it has {found})")
    index = {name: header.index(name) for name in (*REQUIRED, *OPTIONAL) if name in header}
    rows: list[_Row] = []
    skipped: list[SkippedRow] = []
    for line, cells in records[1:]:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise TillLogError(f"{source}, line {line}: {len(cells)} fields but the header "
                               f"has {len(header)} columns (a separator inside a field "
                               "needs quotes)")

        def cell(name: str, cells: list[str] = cells) -> str:
            i = index.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        row = reader.row(line, cell, tables=tables, passes=passes)
        if row.trays == 0:
            skipped.append(SkippedRow(line, "trays 0: not carried by the robots"))
        else:
            rows.append(row)
    if not rows:
        raise TillLogError(f"{source}: no dish to replay ({len(skipped)} rows, none with "
                           "trays above 0)" if skipped else f"{source}: no rows after the "
                           "header")
    return TillLog(source=source, dishes=_dishes(rows, default_prep_s),
                   skipped=tuple(skipped),
                   opened=min(rows, key=lambda r: r.ordered).ordered_text)


def _records(source: str, lines: list[str],
             header_at: int) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, fields) for the header and every row."""
    first = lines[header_at]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO("".join(lines[header_at:])), delimiter=delimiter,
                        strict=True)
    start = header_at + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise TillLogError(f"{source}, line {start}: not CSV ({exc}); a field holding "
                               "quotes or line breaks is written in double quotes, with a "
                               "quote inside doubled (\"\")") from exc
        yield start, fields
        start = header_at + reader.line_num + 1


def _column(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


class _Reader:
    """Reads rows one by one, holding the kind of time the file uses and its first
    order time (for times past midnight)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.kind: TimeKind | None = None
        self.kind_line = 0
        self.first: float | None = None
        self.orders: dict[str, tuple[str, int]] = {}
        """order id -> (table, line first seen)."""

    def fail(self, line: int, column: str, what: str) -> TillLogError:
        return TillLogError(f"{self.source}, line {line}, column {column}: {what}")

    def row(self, line: int, cell: _Cell, *, tables: Collection[str],
            passes: Collection[str]) -> _Row:
        for name in REQUIRED:
            if not cell(name):
                raise self.fail(line, name, "empty")
        table = cell("table")
        if table not in tables:
            raise self.fail(line, "table", f"unknown table {table!r}; the floor plan has "
                                           f"{_some(tables)}")
        order_id = cell("order_id")
        seen = self.orders.setdefault(order_id, (table, line))
        if seen[0] != table:
            raise self.fail(line, "table", f"order {order_id!r} is for table {table!r} here "
                                           f"but for {seen[0]!r} on line {seen[1]}")
        ordered = self.time(line, "order_time", cell("order_time"))
        ready = (self.time(line, "ready_time", cell("ready_time"))
                 if cell("ready_time") else None)
        if ready is not None and ready < ordered:
            raise self.fail(line, "ready_time", f"ready at {cell('ready_time')}, before it "
                                                f"was ordered at {cell('order_time')}")
        prep = None
        if cell("prep"):
            prep = _duration(cell("prep"))
            if prep is None:
                raise self.fail(line, "prep", f"cannot read {cell('prep')!r} as a prep time; "
                                              "expected seconds (540) or e.g. 9m, 1h5m, 90s")
        trays_text = cell("trays") or "1"
        if not trays_text.isdigit():
            raise self.fail(line, "trays", f"expected a whole number of trays (0 to skip the "
                                           f"row); got {trays_text!r}")
        pass_place = cell("pass") or None
        if pass_place is not None and pass_place not in passes:
            raise self.fail(line, "pass", f"unknown pass {pass_place!r}; the floor plan has "
                                          f"{_some(passes)}")
        return _Row(line=line, order_id=order_id, table=table, name=cell("dish"),
                    ordered=ordered, ready=ready, prep_s=prep, trays=int(trays_text),
                    note=cell("note"), pass_place=pass_place,
                    ordered_text=cell("order_time"))

    def time(self, line: int, column: str, text: str) -> float:
        """Seconds on the file's own axis (see the module docstring)."""
        parsed = _time(text)
        if parsed is None:
            raise self.fail(line, column, f"cannot read {text!r} as a time; expected a clock "
                                          "time (19:02 or 19:02:37), an ISO datetime "
                                          "(2026-03-14T19:02:37) or seconds from the start")
        kind, seconds = parsed
        if self.kind is None:
            self.kind, self.kind_line = kind, line
        elif kind is not self.kind:
            raise self.fail(line, column, f"{text!r} is {kind} but line {self.kind_line} "
                                          f"gave {self.kind}; use one kind of time in a file")
        if self.first is None:
            self.first = seconds
        if kind is TimeKind.CLOCK and seconds < self.first - NEXT_DAY_S:
            seconds += 24 * 3600.0
        return seconds


def _time(text: str) -> tuple[TimeKind, float] | None:
    if (m := _CLOCK.fullmatch(text)) is not None:
        h, mins, secs = int(m.group(1)), int(m.group(2)), float(m.group(3) or 0.0)
        if h >= 24 or mins >= 60 or secs >= 60:
            return None
        return TimeKind.CLOCK, h * 3600.0 + mins * 60.0 + secs
    if _SECONDS.fullmatch(text):
        return TimeKind.SECONDS, float(text)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    if dt.tzinfo is not None:
        return TimeKind.ISO_OFFSET, dt.timestamp()
    return TimeKind.ISO, dt.replace(tzinfo=UTC).timestamp()


def _duration(text: str) -> float | None:
    cleaned = text.strip().lower()
    if _SECONDS.fullmatch(cleaned):
        return float(cleaned)
    parts = list(_DURATION_PART.finditer(cleaned))
    if not parts or "".join(m.group(0) for m in parts) != cleaned:
        return None
    return sum(float(m.group(1)) * _UNIT_S[m.group(2)] for m in parts)


def _some(names: Collection[str], most: int = 8) -> str:
    ordered = sorted(names)
    if not ordered:
        return "none"
    shown = ", ".join(ordered[:most])
    return f"{len(ordered)}: {shown}" + (", ..." if len(ordered) > most else "")


def _dishes(rows: list[_Row], default_prep_s: float) -> tuple[LoggedDish, ...]:
    """Times after the first order; one order id per (id, order time), in time order."""
    start = min(r.ordered for r in rows)
    times: dict[str, set[float]] = {}
    for r in rows:
        times.setdefault(r.order_id, set()).add(r.ordered)
    out = []
    for r in rows:
        k = sorted(times[r.order_id]).index(r.ordered) + 1
        if r.ready is not None:
            ready = r.ready
        else:
            ready = r.ordered + (r.prep_s if r.prep_s is not None else default_prep_s)
        out.append(LoggedDish(line=r.line, order_id=r.order_id if k == 1 else f"{r.order_id}+{k}",
                              table=r.table, name=r.name, ordered_s=r.ordered - start,
                              ready_s=ready - start, trays=r.trays, note=r.note,
                              pass_place=r.pass_place))
    return tuple(out)
