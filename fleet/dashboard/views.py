"""What the panels show, worked out from the mirror: rows of cells and lines of text.

Plain functions of the fleet's state and the site's clock (``now``, seconds on
the site's clock as the mirror estimates it), so that what the manager reads can
be tested without a screen and nothing here looks at the wall clock.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence

from rich.text import Text

from fleet.api.messages import AlertView, EventView, OrderView, RobotView, Summary
from fleet.api.mirror import FleetMirror
from fleet.dashboard.language import _, say
from fleet.words import N_

LATE_S = 120.0
"""A dish ready this long without reaching its table stands out."""
SERVED_RECENT_S = 15 * 60.0
"""Served dishes listed, and tables shown as served, for this long."""
SERVED_SHOWN = 20
LOW_BATTERY = 20.0
MODE_COLOURS: dict[str, str] = {
    "idle": "#87afaf", "working": "#00d75f", "charging": "#5f87ff", "paused": "#ffd700",
    "e-stopped": "#ff0000", "fault": "#ff5f5f", "manual": "#d787ff", "offline": "#808080",
}
"""One colour per robot mode, shared by the map and the robots table."""

Row = tuple[str, tuple[str | Text, ...]]
"""(key, cells)"""

_ON_ROBOT = {"assigned": N_("assigned to {robot}"), "loaded": N_("loaded on {robot}"),
             "on_the_way": N_("on the way on {robot}"),
             "at_table": N_("at the table on {robot}")}
_ON_ROBOT_SHORT = {"assigned": N_("{robot} assigned"), "loaded": N_("{robot} loaded"),
                   "on_the_way": N_("{robot} →"), "at_table": N_("{robot} at table")}
"""The robot first, then these: if the cell is cut at a narrow pane's edge, the
robot's name is what stays."""
_CLOSED = {"served", "cancelled", "failed", "by_staff"}


def clock(seconds: float) -> str:
    """A duration as m:ss (h:mm:ss past an hour); negative durations read 0:00."""
    s = max(0, int(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def time_of_day(at: float) -> str:
    """The site's clock as a time of day in the local time zone."""
    return time.strftime("%H:%M:%S", time.localtime(at))


def _wait(age: float, compact: bool = False) -> Text:
    if age > LATE_S:
        return Text(f"{clock(age)}!" if compact else _("{wait} LATE", wait=clock(age)),
                    style="bold #ffffff on #af0000")
    return Text(clock(age), style="bold #ffd700" if age > LATE_S / 2 else "")


# -- tables on the map --------------------------------------------------------------------
def table_states(orders: Iterable[OrderView], blocked: Iterable[str], now: float) -> dict[str, str]:
    """Each table that is not plainly free: "blocked", "waiting" (a dish of an open
    order not on it yet) or "served" (a dish reached it in the last 15 minutes)."""
    out: dict[str, str] = {}
    for order in orders:
        for dish in order.dishes:
            if order.open and dish.state not in _CLOSED:
                out[order.table] = "waiting"
            reached = dish.at_table_at if dish.at_table_at is not None else dish.served_at
            if (dish.state == "served" and reached is not None
                    and now - reached <= SERVED_RECENT_S):
                out.setdefault(order.table, "served")
    for table in blocked:
        out[table] = "blocked"
    return out


# -- robots ---------------------------------------------------------------------------------
ROBOT_COLUMNS = (N_("Robot"), N_("Mode"), N_("Batt"), N_("Trays"), N_("Doing / waiting"),
                 N_("Trip"))
API_WORDS = (
    # robot modes
    N_("idle"), N_("working"), N_("charging"), N_("paused"), N_("e-stopped"), N_("fault"),
    N_("manual"), N_("offline"),
    # trip kinds
    N_("serve"), N_("bus"), N_("charge"), N_("park"), N_("unload"),
    # dish outcomes shown, alert levels
    N_("cancelled"), N_("failed"), N_("info"), N_("warning"), N_("critical"),
    # the header's robot counts, in full and short
    N_("active"), N_("act"), N_("chg"), N_("paus"), N_("faulted"), N_("FAULT"), N_("off"),
)
"""Words the fleet API sends as values (a robot's mode, a trip's kind) that the
views show translated (``_(r.mode)``)."""


def _trip(r: RobotView) -> str:
    if r.trip is None:
        return ""
    stops = r.trip.stops
    nxt = stops[r.trip.next_stop] if 0 <= r.trip.next_stop < len(stops) else "back"
    return f"{_(r.trip.kind)} {nxt} {min(r.trip.next_stop + 1, len(stops))}/{len(stops)}"


def _now(r: RobotView) -> Text:
    now = Text(say(r.doing_words, r.doing))
    if r.waiting:
        if r.doing:
            now.append("; ")
        now.append(say(r.waiting_words, r.waiting), style="#ffd700")
    if r.errors:
        now.append(("; " if now.plain else "") + ", ".join(r.errors), style="bold #ff5f5f")
    return now


def _mode(r: RobotView) -> Text:
    colour = MODE_COLOURS.get(r.mode, "#ffffff")
    return Text(_(r.mode) + ("*" if r.paused_by_manager else ""), style=f"bold {colour}")


def _battery(r: RobotView) -> Text:
    low = r.battery < LOW_BATTERY and not r.charging
    return Text(f"{r.battery:.0f}%" + ("+" if r.charging else ""),
                style="bold #ff5f5f" if low else "")


def robot_rows(robots: Mapping[str, RobotView]) -> list[Row]:
    """One row per robot by serial; its doing / waiting words before the trip, as
    they are what a manager reads first on a narrow screen."""
    rows: list[Row] = []
    for serial in sorted(robots):
        r = robots[serial]
        rows.append((serial, (Text(serial, style="bold"), _mode(r), _battery(r),
                              f"{len(r.loads)}/{r.trays}", _now(r), _trip(r))))
    return rows


def robot_detail(r: RobotView | None) -> Text:
    """The selected robot in full, wrapped under the table (its words are never cut)."""
    if r is None:
        return Text(_("no robot selected"), style="dim")
    out = Text()
    out.append(r.serial, style="bold")
    out.append(" ")
    out.append_text(_mode(r))
    if r.paused_by_manager:
        out.append(" " + _("(paused by you: p resumes)"), style="#ffd700")
    battery = f"{r.battery:.0f}"
    out.append(" · " + (_("battery {battery} % charging", battery=battery) if r.charging
                        else _("battery {battery} %", battery=battery)))
    out.append(" · " + _("trays {loaded}/{trays}", loaded=str(len(r.loads)), trays=str(r.trays)))
    if r.trip is not None:
        out.append(" · " + _("trip {trip}: {kind}", trip=r.trip.trip_id, kind=_(r.trip.kind))
                   + " " + " → ".join(r.trip.stops))
    words = _now(r)
    if words.plain:
        out.append(" · ")
        out.append_text(words)
    return out


# -- orders ---------------------------------------------------------------------------------
ORDER_COLUMNS = (N_("Wait"), N_("Table"), N_("Order"), N_("Dish"), N_("Where"))


def order_rows(orders: Iterable[OrderView], now: float, *, compact: bool = False) -> list[Row]:
    """Ready dishes (oldest first, late ones marked), dishes still in the kitchen,
    dishes on robots (trips in progress), then those served lately (newest first).
    ``compact`` says where in short words (a late wait as ``3:20!``), for a narrow
    screen where the dish and its note need the room."""
    ready: list[tuple[float, Row]] = []
    kitchen: list[tuple[float, Row]] = []
    moving: list[tuple[float, Row]] = []
    served: list[tuple[float, Row]] = []
    for order in orders:
        for dish in order.dishes:
            key = f"{order.order_id}/{dish.dish_id}"
            name = Text(dish.name + (f" ×{dish.trays}" if dish.trays > 1 else ""))
            if order.note:
                # Allergies and the like: whoever takes the dish to the table must see it.
                name.append(f"  ! {order.note}", style="bold #ffaf00")
            head = (Text(order.table, style="bold"), order.order_id, name)
            prio = "high " if order.priority == "high" else ""
            if dish.state == "ready" and order.open:
                age = now - (dish.ready_at if dish.ready_at is not None else order.created_at)
                where = Text(_("high at the pass") if prio else _("at the pass"),
                             style="bold #ff8700" if prio else "")
                if compact:
                    where = Text(_("high pass") if prio else _("pass"), style=where.style)
                ready.append((-age, (key, (_wait(age, compact), *head, where))))
            elif dish.state == "received" and order.open:
                age = now - order.created_at
                said = _("kitchen") if compact else _("in the kitchen")
                kitchen.append((-age, (key, (Text(clock(age), style="dim"), *head, Text(
                    _("high {where}", where=said) if prio else said, style="dim")))))
            elif dish.state in _ON_ROBOT and order.open:
                age = now - (dish.ready_at if dish.ready_at is not None else order.created_at)
                robot = dish.robot or "?"
                where = Text(_((_ON_ROBOT_SHORT if compact else _ON_ROBOT)[dish.state],
                               robot=robot), style="#00d7ff")
                moving.append((-age, (key, (_wait(age, compact), *head, where))))
            elif dish.state in ("served", "by_staff"):
                reached = dish.at_table_at if dish.at_table_at is not None else dish.served_at
                if reached is None or now - reached > SERVED_RECENT_S:
                    continue
                took = reached - (dish.ready_at if dish.ready_at is not None else reached)
                ago = clock(now - reached)
                if dish.state == "by_staff":
                    said = (_("served by staff") if compact
                            else _("served by staff {ago} ago", ago=ago))
                else:
                    said = _("served") if compact else _("served {ago} ago", ago=ago)
                served.append((-reached, (key, (Text(clock(took), style="#5faf5f"), *head,
                                                Text(said, style="#5faf5f")))))
            elif dish.state in ("cancelled", "failed") and order.open:
                kitchen.append((0.0, (key, ("", *head, Text(
                    _(dish.state) + (f": {dish.reason}" if dish.reason else ""),
                    style="#ff5f5f")))))
    out: list[Row] = []
    for group in (ready, moving, kitchen):
        out.extend(row for _, row in sorted(group, key=lambda t: t[0]))
    out.extend(row for _, row in sorted(served, key=lambda t: t[0])[:SERVED_SHOWN])
    return out


def order_of(row_key: str) -> str:
    """The order id of an orders-table row key."""
    return row_key.split("/", 1)[0]


# -- alerts ---------------------------------------------------------------------------------
ALERT_COLUMNS = (N_("Age"), N_("Level"), N_("Alert"))
_LEVEL = {"critical": "bold #ffffff on #af0000", "warning": "bold #ffd700", "info": "#87afaf"}


_EVENT_STYLES = {
    "DishServed": "green", "DishAtTable": "green",
    "DishFailed": "bold red", "RobotErrorReported": "red", "RouteFailed": "red",
    "MapMismatchDetected": "bold red", "RobotUnplaced": "bold red",
    "RobotWithdrawn": "bold red", "DishesLate": "yellow", "ActionUnsupported": "yellow",
    "RobotStalled": "red", "RobotStranded": "bold red", "RobotPhaseOverdue": "yellow",
    "OrderRejected": "red", "BatteryLow": "yellow", "DeadlockDetected": "yellow",
    "DeadlockResolved": "yellow", "RobotConnectionChanged": "yellow",
    "TableBlocked": "magenta", "ZoneBlocked": "magenta", "AllStopped": "bold magenta",
    "DishReady": "", "OrderReceived": "", "TripAssigned": "cyan",
}
"""What stands out in the events log; routine events not named here are dim."""


TRACE_KINDS = frozenset({"RobotPhaseChanged"})
"""Events kept for reading a robot's history back (``fleet report``), not for the live
log: a phase change every few seconds per robot would push out what a person must see."""


def in_log(e: EventView) -> bool:
    return e.kind not in TRACE_KINDS


def event_line(e: EventView) -> Text:
    """One line of the events log: the site's time of day, then what happened."""
    line = Text(time_of_day(e.at) + "  ", style="dim")
    line.append(say(e.words, e.text) or e.kind, style=_EVENT_STYLES.get(e.kind, "dim"))
    return line


def merge_events(stored: Iterable[EventView], live: Iterable[EventView]) -> list[EventView]:
    """The events log after reading the store back: what it held, then what came live
    and was not in it, by time, none the log leaves out (``in_log``). An event heard
    live while the read was on its way is in both: it is shown once."""
    out = [e for e in stored if in_log(e)]
    seen = {(e.kind, round(e.at, 3), e.text) for e in out}
    out += [e for e in live if in_log(e) and (e.kind, round(e.at, 3), e.text) not in seen]
    return sorted(out, key=lambda e: e.at)


def alert_rows(alerts: Sequence[AlertView], now: float) -> list[Row]:
    rows: list[Row] = []
    for a in alerts:
        text = Text(say(a.words, a.text))
        if a.count > 1:
            text.append(f" (×{a.count})", style="bold")
        at = a.last_at if a.last_at is not None else a.at
        level = Text(_(a.level), style=_LEVEL.get(a.level, ""))
        # The age in the level's colour too: a narrow pane hides the level column.
        rows.append((str(a.alert_id), (Text(clock(now - at), style=_LEVEL.get(a.level, "")),
                                       level, text)))
    return rows


# -- header -----------------------------------------------------------------------------------
def figures(summary: Summary | None, now: float, title: str, width: int = 1000) -> Text:
    """The header's live figures, from the controller's summary, on one line of
    ``width`` cells: the words are shortened, then the least needed figures left out
    (zero counts, the clock's seconds, the 15-minute figures, the site's name), so that a
    small terminal at the pass still reads waiting dishes and robots at a glance and
    the header never wraps over the panels."""
    if summary is None:
        return Text(_("{title}: waiting for the controller's figures...", title=title))
    for level in range(4):
        out = _figures(summary, now, level)
        if out.cell_len <= width:
            return out
    out.truncate(max(1, width), overflow="ellipsis")
    return out


def _figures(summary: Summary, now: float, level: int) -> Text:
    """The header at a level of brevity: 0 in full words, 1 without zero counts,
    2 in short words, 3 only what a glance needs."""
    out = Text()
    if level < 3:
        out.append(f"{summary.name or summary.site} ", style="bold")
    out.append(time_of_day(now) if level < 2 else time_of_day(now)[:5])
    if summary.speed != 1.0:
        out.append(f" ×{summary.speed:g}", style="dim")
    out.append(" │ " + (_("waiting") if level < 2 else _("wait")) + " ")
    out.append(str(summary.dishes_waiting),
               style="bold #ffd700" if summary.dishes_waiting else "bold")
    if summary.oldest_wait_s is not None and summary.dishes_waiting:
        late = summary.oldest_wait_s > LATE_S
        oldest = clock(summary.oldest_wait_s)
        out.append(" (" + (_("oldest {wait}", wait=oldest) if level < 2 else oldest) + ")",
                   style="bold #ff5f5f" if late else "")
    on_robots = str(summary.dishes_on_robots)
    out.append(" · " + (_("on robots {n}", n=on_robots) if level < 2
                        else _("{n} on robots", n=on_robots)))
    if level < 2:
        out.append(" │ " + _("mean wait 15 min") + " ")
    elif level == 2:
        out.append(" │ " + _("mean") + " ")
    if level < 3:
        out.append("–" if summary.mean_wait_15min_s is None
                   else clock(summary.mean_wait_15min_s), style="bold")
        out.append((", " if level < 2 else " · ")
                   + _("{n} served", n=str(summary.served_15min)))
    out.append(" │ " + _("robots") + " " if level < 2 else " │ ")
    parts = [("active", "act", summary.active, "#00d75f"),
             ("idle", "idle", summary.idle, "#87afaf"),
             ("charging", "chg", summary.charging, "#5f87ff"),
             ("paused", "paus", summary.paused, "#ffd700"),
             ("faulted", "FAULT", summary.faulted, "#ff5f5f"),
             ("offline", "off", summary.offline, "#808080")]
    shown = [p for p in parts if p[2] or level == 0] or parts[:1]
    for i, (word, short, n, colour) in enumerate(shown):
        if i:
            out.append(" · " if level < 2 else " ")
        out.append(f"{n} {_(word) if level < 2 else _(short)}",
                   style=f"bold {colour}" if n else "dim")
    out.append(" │ " + (_("{n} open orders", n=str(summary.open_orders)) if level < 2
                        else _("{n} open", n=str(summary.open_orders))))
    return out


def banner(mirror: FleetMirror, *, ever_connected: bool, source_error: str = "") -> tuple[str, str]:
    """The plain banner over everything, and its kind ("" when all is well): the
    link to the broker lost, the controller offline, or every robot stopped."""
    if source_error:
        return (_("disconnected: {error}", error=source_error), "lost")
    if not mirror.connected:
        if not ever_connected:
            return (_("connecting to the broker..."), "lost")
        reason = f" ({mirror.link_reason})" if mirror.link_reason else ""
        return (_("broker lost, reconnecting...") + reason, "lost")
    if mirror.status is None:
        return (_("waiting for the controller..."), "offline")
    if not mirror.status.online and mirror.status.stopped:
        return (_("the service has ended: the controller was stopped on purpose (q quits)"),
                "ended")
    if not mirror.status.online:
        return (_("controller offline: robots keep their last orders; nothing new is "
                  "dispatched"), "offline")
    if mirror.summary is not None and mirror.summary.stopped_all:
        return (_("ALL ROBOTS STOPPED (e-stop). Press g to release them."), "stopped")
    return ("", "")
