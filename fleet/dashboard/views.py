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

_ON_ROBOT = {"assigned": "assigned to", "loaded": "loaded on", "on_the_way": "on the way on",
             "at_table": "at the table on"}
_ON_ROBOT_SHORT = {"assigned": "assigned", "loaded": "loaded", "on_the_way": "→",
                   "at_table": "at table"}
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
        return Text(f"{clock(age)}!" if compact else f"{clock(age)} LATE",
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
ROBOT_COLUMNS = ("Robot", "Mode", "Batt", "Trays", "Doing / waiting", "Trip")


def _trip(r: RobotView) -> str:
    if r.trip is None:
        return ""
    stops = r.trip.stops
    nxt = stops[r.trip.next_stop] if 0 <= r.trip.next_stop < len(stops) else "back"
    return f"{r.trip.kind} {nxt} {min(r.trip.next_stop + 1, len(stops))}/{len(stops)}"


def _now(r: RobotView) -> Text:
    now = Text(r.doing)
    if r.waiting:
        if r.doing:
            now.append("; ")
        now.append(r.waiting, style="#ffd700")
    if r.errors:
        now.append(("; " if now.plain else "") + ", ".join(r.errors), style="bold #ff5f5f")
    return now


def _mode(r: RobotView) -> Text:
    colour = MODE_COLOURS.get(r.mode, "#ffffff")
    return Text(r.mode + ("*" if r.paused_by_manager else ""), style=f"bold {colour}")


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
        return Text("no robot selected", style="dim")
    out = Text()
    out.append(r.serial, style="bold")
    out.append(" ")
    out.append_text(_mode(r))
    if r.paused_by_manager:
        out.append(" (paused by you: p resumes)", style="#ffd700")
    out.append(f" · battery {r.battery:.0f} %{' charging' if r.charging else ''}")
    out.append(f" · trays {len(r.loads)}/{r.trays}")
    if r.trip is not None:
        out.append(f" · trip {r.trip.trip_id}: {r.trip.kind} " + " → ".join(r.trip.stops))
    words = _now(r)
    if words.plain:
        out.append(" · ")
        out.append_text(words)
    return out


# -- orders ---------------------------------------------------------------------------------
ORDER_COLUMNS = ("Wait", "Table", "Order", "Dish", "Where")


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
                where = Text(f"{prio}at the pass", style="bold #ff8700" if prio else "")
                if compact:
                    where = Text(f"{prio}pass", style=where.style)
                ready.append((-age, (key, (_wait(age, compact), *head, where))))
            elif dish.state == "received" and order.open:
                age = now - order.created_at
                kitchen.append((-age, (key, (Text(clock(age), style="dim"), *head, Text(
                    f"{prio}{'kitchen' if compact else 'in the kitchen'}", style="dim")))))
            elif dish.state in _ON_ROBOT and order.open:
                age = now - (dish.ready_at if dish.ready_at is not None else order.created_at)
                robot = dish.robot or "?"
                where = Text(f"{robot} {_ON_ROBOT_SHORT[dish.state]}" if compact
                             else f"{_ON_ROBOT[dish.state]} {robot}", style="#00d7ff")
                moving.append((-age, (key, (_wait(age, compact), *head, where))))
            elif dish.state in ("served", "by_staff"):
                reached = dish.at_table_at if dish.at_table_at is not None else dish.served_at
                if reached is None or now - reached > SERVED_RECENT_S:
                    continue
                took = reached - (dish.ready_at if dish.ready_at is not None else reached)
                who = "by staff " if dish.state == "by_staff" else ""
                said = (f"served {who}".strip() if compact
                        else f"served {who}{clock(now - reached)} ago")
                served.append((-reached, (key, (Text(clock(took), style="#5faf5f"), *head,
                                                Text(said, style="#5faf5f")))))
            elif dish.state in ("cancelled", "failed") and order.open:
                kitchen.append((0.0, (key, ("", *head, Text(
                    dish.state + (f": {dish.reason}" if dish.reason else ""),
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
ALERT_COLUMNS = ("Age", "Level", "Alert")
_LEVEL = {"critical": "bold #ffffff on #af0000", "warning": "bold #ffd700", "info": "#87afaf"}


_EVENT_STYLES = {
    "DishServed": "green", "DishAtTable": "green",
    "DishFailed": "bold red", "RobotErrorReported": "red", "RouteFailed": "red",
    "MapMismatchDetected": "bold red", "RobotUnplaced": "bold red",
    "RobotWithdrawn": "bold red", "DishesLate": "yellow", "ActionUnsupported": "yellow",
    "RobotStalled": "red", "RobotStranded": "bold red",
    "OrderRejected": "red", "BatteryLow": "yellow", "DeadlockDetected": "yellow",
    "DeadlockResolved": "yellow", "RobotConnectionChanged": "yellow",
    "TableBlocked": "magenta", "ZoneBlocked": "magenta", "AllStopped": "bold magenta",
    "DishReady": "", "OrderReceived": "", "TripAssigned": "cyan",
}
"""What stands out in the events log; routine events not named here are dim."""


def event_line(e: EventView) -> Text:
    """One line of the events log: the site's time of day, then what happened."""
    line = Text(time_of_day(e.at) + "  ", style="dim")
    line.append(e.text or e.kind, style=_EVENT_STYLES.get(e.kind, "dim"))
    return line


def alert_rows(alerts: Sequence[AlertView], now: float) -> list[Row]:
    rows: list[Row] = []
    for a in alerts:
        text = Text(a.text)
        if a.count > 1:
            text.append(f" (×{a.count})", style="bold")
        at = a.last_at if a.last_at is not None else a.at
        level = Text(a.level, style=_LEVEL.get(a.level, ""))
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
        return Text(f"{title}: waiting for the controller's figures...")
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
    out.append(" │ waiting " if level < 2 else " │ wait ")
    out.append(str(summary.dishes_waiting),
               style="bold #ffd700" if summary.dishes_waiting else "bold")
    if summary.oldest_wait_s is not None and summary.dishes_waiting:
        late = summary.oldest_wait_s > LATE_S
        oldest = clock(summary.oldest_wait_s)
        out.append(f" (oldest {oldest})" if level < 2 else f" ({oldest})",
                   style="bold #ff5f5f" if late else "")
    out.append(f" · on robots {summary.dishes_on_robots}" if level < 2
               else f" · {summary.dishes_on_robots} on robots")
    if level < 2:
        out.append(" │ mean wait 15 min ")
    elif level == 2:
        out.append(" │ mean ")
    if level < 3:
        out.append("–" if summary.mean_wait_15min_s is None
                   else clock(summary.mean_wait_15min_s), style="bold")
        out.append(f", {summary.served_15min} served" if level < 2
                   else f" · {summary.served_15min} served")
    out.append(" │ robots " if level < 2 else " │ ")
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
        out.append(f"{n} {word if level < 2 else short}", style=f"bold {colour}" if n else "dim")
    out.append(f" │ {summary.open_orders} open orders" if level < 2
               else f" │ {summary.open_orders} open")
    return out


def banner(mirror: FleetMirror, *, ever_connected: bool, source_error: str = "") -> tuple[str, str]:
    """The plain banner over everything, and its kind ("" when all is well): the
    link to the broker lost, the controller offline, or every robot stopped."""
    if source_error:
        return (f"disconnected: {source_error}", "lost")
    if not mirror.connected:
        if not ever_connected:
            return ("connecting to the broker...", "lost")
        reason = f" ({mirror.link_reason})" if mirror.link_reason else ""
        return (f"broker lost, reconnecting...{reason}", "lost")
    if mirror.status is None:
        return ("waiting for the controller...", "offline")
    if not mirror.status.online and mirror.status.stopped:
        return ("the service has ended: the controller was stopped on purpose (q quits)",
                "ended")
    if not mirror.status.online:
        return ("controller offline: robots keep their last orders; nothing new is dispatched",
                "offline")
    if mirror.summary is not None and mirror.summary.stopped_all:
        return ("ALL ROBOTS STOPPED (e-stop). Press g to release them.", "stopped")
    return ("", "")
