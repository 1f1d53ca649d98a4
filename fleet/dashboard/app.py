"""The floor manager's dashboard: a thin Textual app over a ``FleetSource``.

The app folds every update into a ``FleetMirror`` the moment it arrives, but
redraws on a timer (4 Hz by default) and only the parts that changed since: thirty
robots reporting twice a second are sixty updates a second and still four
redraws. Waiting timers count on the site's clock as the mirror estimates it from
the last summary (never the dashboard's own wall clock), so a simulation at ten
times speed shows its own minutes, and a test with a frozen ``clock`` shows the
same screen every time.

Commands go to the source and their replies come back as notifications: the
result in plain words, or the controller's reason in red.

Long because the app binds every key and message of the floor manager's screen to
the source's commands in one class, as Textual apps are built; the drawing, forms
and views are already apart.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from typing import ClassVar, Literal

from rich.markup import escape
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, RichLog, Static

from fleet.api.messages import (
    AcknowledgeAlert,
    BlockZone,
    CancelOrder,
    ClientCommand,
    DishHistory,
    DishView,
    EventView,
    MarkReady,
    OrderView,
    PauseRobot,
    RecentEvents,
    ReleaseAll,
    ResumeRobot,
    SendToCharge,
    SendToDock,
    ServedByStaff,
    SetPriority,
    StopAll,
    SubmitOrder,
    Summary,
)
from fleet.api.mirror import FleetMirror, Part
from fleet.api.updates import FleetSource
from fleet.dashboard import views
from fleet.dashboard.dishscreen import DishHistoryScreen
from fleet.dashboard.dishviews import dish_title, history_rows
from fleet.dashboard.drawing import AreaScreen
from fleet.dashboard.floormap import FloorMap, legend
from fleet.dashboard.keys import ManagerPalette, bindings, help_keys
from fleet.dashboard.kpis import KpiHistory, kpi_line
from fleet.dashboard.language import _, translate_bindings, use
from fleet.dashboard.panels import AlertsTable, OrdersTable, RobotsTable
from fleet.dashboard.screens import (
    BlockCommand,
    BlockScreen,
    ConfirmScreen,
    HelpScreen,
    NewOrderScreen,
)
from fleet.dashboard.stats import RefreshStats
from fleet.errors import FleetError
from fleet.words import N_, Lang

log = logging.getLogger(__name__)

REFRESH_HZ = 4.0
EVENTS_SHOWN = 200
"""Lines the events log keeps (the newest at the bottom)."""

SELECT_ORDER = N_("Select an order first (Tab moves between tables).")
SELECT_ROBOT = N_("Select a robot first (Tab moves between tables).")
SELECT_ALERT = N_("Select an alert first (Tab moves between tables).")

ALL_PARTS: frozenset[Part] = frozenset(
    ("status", "floor", "summary", "robots", "orders", "alerts", "events", "link"))


class FleetDashboard(App[None]):
    """The floor live: header figures, the map, robots, orders and alerts."""

    CSS_PATH = "dashboard.tcss"
    TITLE = "fleet"
    BINDINGS: ClassVar[list[BindingType]] = bindings()  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {ManagerPalette}
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [  # type: ignore[misc]
        (0, "-narrow"), (100, "-medium"), (140, "-wide")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [  # type: ignore[misc]
        (0, "-short"), (36, "-tall")]
    COMPACT_BELOW = 120
    """Below this many columns the orders say where a dish is in short words, so that
    wait, table, dish and where fit side by side on a tablet."""

    def __init__(self, source: FleetSource, *, title: str = "fleet",
                 clock: Callable[[], float] = time.monotonic,
                 refresh_hz: float = REFRESH_HZ, order_prefix: str | None = None,
                 lang: Lang = "en") -> None:
        use(lang)
        super().__init__()
        self.lang: Lang = lang
        translate_bindings(self)
        self.source = source
        self.order_prefix = order_prefix or f"mgr-{secrets.token_hex(2)}"
        """Orders typed here get ids under it, so two dashboards never make the same."""
        self.title = title
        self.mirror = FleetMirror()
        self._clock = clock
        self._refresh_s = 1.0 / refresh_hz
        self._dirty: set[Part] = set(ALL_PARTS)
        self._ever_connected = False
        self._source_error = ""
        self._orders_made = 0
        self.refresh_stats = RefreshStats(self._refresh_s)
        """How many refreshes and what each cost (``fleet bench dashboard``)."""
        # The app's own widgets, held rather than queried: a refresh may come while
        # a modal screen is on top or the app is closing.
        self.figures = Static(id="figures")
        self.kpi_strip = Static(id="kpis", classes="-auto")
        self.kpis = KpiHistory()
        """The header's figures over the last hour, from every summary received."""
        self.banner = Static(id="banner", classes="-none")
        self.floor_map = FloorMap(id="map")
        self.alerts_table = AlertsTable(id="alerts")
        self.robots_table = RobotsTable(id="robots")
        self.robot_detail = Static(id="robot-detail")
        self.orders_table = OrdersTable(id="orders")
        self.events_log = RichLog(id="events", max_lines=EVENTS_SHOWN, wrap=False,
                                  markup=False, auto_scroll=True)
        self._new_events: list[EventView] = []
        self._backlog: list[EventView] | None = None
        """Events read back from the controller's store, to show before the live ones."""

    # -- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield self.figures
        yield self.kpi_strip
        yield self.banner
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield self.floor_map
                yield self.alerts_table
                yield self.events_log
            with Vertical(id="right"):
                yield self.robots_table
                yield self.robot_detail
                yield self.orders_table
        yield Footer()

    def on_mount(self) -> None:
        self.floor_map.border_subtitle = legend()
        self.robots_table.border_title = _("Robots")
        self.orders_table.border_title = _("Orders")
        self.alerts_table.border_title = _("Alerts")
        self.events_log.border_title = _("Events")
        self.robots_table.focus()
        self.run_worker(self._follow(), name="fleet updates", group="source")
        self.set_interval(self._refresh_s, self.flush, name="refresh")
        self.flush()

    # -- updates in, coalesced --------------------------------------------------------------
    async def _follow(self) -> None:
        try:
            async for update in self.source.updates():
                was_online = self.mirror.controller_online
                part = self.mirror.apply(update, self._clock())
                if self.mirror.controller_online and not was_online:
                    # Opened mid-shift, or back after an outage: the events stream only
                    # brings what happens from now on.
                    self.run_worker(self._catch_up(), name="events backlog",
                                    group="backlog", exclusive=True)
                if isinstance(update, EventView) and views.in_log(update):
                    self._new_events.append(update)
                elif isinstance(update, Summary):
                    self.kpis.add(update)
                self._dirty.add(part)
                if part == "link" and self.mirror.connected:
                    self._ever_connected = True
        except FleetError as exc:
            log.warning("fleet updates stopped: %s", exc)
            self._source_error = str(exc)
        else:
            self._source_error = _("the fleet source closed")
        self._dirty.add("link")

    async def _catch_up(self) -> None:
        try:
            reply = await self.source.request(
                RecentEvents(limit=EVENTS_SHOWN, leave_out=sorted(views.TRACE_KINDS)))
        except FleetError as exc:
            log.info("no events backlog: %s", exc)
            return
        if reply.ok:
            self._backlog = reply.events
            self._dirty.add("events")
        else:
            log.info("no events backlog: %s", reply.error.message if reply.error else "refused")

    def site_now(self) -> float:
        return self.mirror.site_now(self._clock())

    def flush(self) -> None:
        """Redraw what changed since the last refresh, and the timers."""
        start = time.perf_counter()
        self._redraw()
        self.refresh_stats.record(time.perf_counter() - start)

    def _redraw(self) -> None:
        dirty = self._dirty
        self._dirty = set()
        m = self.mirror
        now = self.site_now()
        ticking = m.controller_online and m.summary is not None
        if dirty & {"summary", "status", "link"} or ticking:
            self.figures.update(
                views.figures(m.summary, now, self.title or "fleet", self.size.width - 2))
            text, kind = views.banner(m, ever_connected=self._ever_connected,
                                      source_error=self._source_error)
            self.banner.update(Text(text))
            self.banner.set_classes(f"-{kind}" if kind else "-none")
        if dirty & {"summary"}:
            self.kpi_strip.update(kpi_line(self.kpis, now, self.size.width - 2))
        if dirty & {"robots", "link"}:
            self.robots_table.sync(views.robot_rows(m.robots))
            self._show_detail()
        if dirty & {"orders", "summary", "link"} or ticking:
            self.orders_table.sync(views.order_rows(
                m.orders.values(), now, compact=self.size.width < self.COMPACT_BELOW))
        if dirty & {"alerts", "link"} or ticking:
            self.alerts_table.sync(views.alert_rows(m.open_alerts(), now))
        if dirty & {"floor", "robots", "orders", "summary", "link"}:
            self._show_map(now)
        if self._backlog is not None:
            self.events_log.clear()
            self._new_events = views.merge_events(self._backlog, list(m.events))
            self._backlog = None
        if self._new_events:
            for event in self._new_events[-EVENTS_SHOWN:]:
                self.events_log.write(views.event_line(event))
            self._new_events.clear()

    def on_resize(self) -> None:
        """The header's figures and the orders' words are chosen for the width."""
        self._dirty |= {"summary", "orders"}
        self.flush()

    def _show_map(self, now: float) -> None:
        m = self.mirror
        blocked_tables = m.summary.blocked_tables if m.summary is not None else {}
        blocked_zones = m.summary.blocked_zones if m.summary is not None else {}
        robots = list(m.robots.values())
        self.floor_map.show(
            m.floor, blocked_zones=blocked_zones, robots=robots,
            table_states=views.table_states(m.orders.values(), blocked_tables, now),
            selected=self.selected_robot())

    def _show_detail(self) -> None:
        serial = self.selected_robot()
        robot = None if serial is None else self.mirror.robots.get(serial)
        self.robot_detail.update(views.robot_detail(robot))

    def on_data_table_row_highlighted(self, event: RobotsTable.RowHighlighted) -> None:
        if event.data_table.id == "robots":
            self._show_detail()
            self._show_map(self.site_now())

    # -- what the keys act on ---------------------------------------------------------------
    def selected_robot(self) -> str | None:
        return self.robots_table.selected_key()

    def selected_order(self) -> str | None:
        key = self.orders_table.selected_key()
        return None if key is None else views.order_of(key)

    def selected_alert(self) -> int | None:
        key = self.alerts_table.selected_key()
        return None if key is None else int(key)

    def _need(self, what: str, value: str | int | None) -> bool:
        """``what``: "Select a robot first (Tab moves between tables)." and the like."""
        if value is None:
            self.notify(_(what), severity="warning", title=_("Nothing selected"))
            return False
        return True

    # -- commands out -------------------------------------------------------------------
    def send_command(self, command: ClientCommand, what: str) -> None:
        """Send ``command`` and show its reply when it comes (in a worker the app owns)."""
        self.run_worker(self._request(command, what), group="requests")

    async def _request(self, command: ClientCommand, what: str) -> None:
        # Replies quote what tills and people typed ("Fries [large]"): never markup.
        what = escape(what)
        try:
            reply = await self.source.request(command)
        except FleetError as exc:
            self.notify(str(exc), title=_("{what}: no reply", what=what), severity="error",
                        markup=False)
            return
        if reply.ok:
            self.notify(reply.result or _("done"), title=what, markup=False)
        else:
            reason = reply.error.message if reply.error is not None else _("refused")
            self.notify(reason, title=_("{what}: refused", what=what), severity="error",
                        markup=False)

    # -- actions ----------------------------------------------------------------------------
    def action_new_order(self) -> None:
        floor = self.mirror.floor
        if floor is None:
            self.notify(_("The floor plan has not arrived yet."), severity="warning")
            return
        tables = [p.name for p in floor.places if p.kind == "table"]
        self._orders_made += 1
        order_id = f"{self.order_prefix}-{int(self.site_now())}-{self._orders_made}"

        def sent(order: SubmitOrder | None) -> None:
            if order is not None:
                self.send_command(order, _("new order {order} for {table}",
                                           order=order.order_id, table=order.table))

        self.push_screen(NewOrderScreen(tables, order_id), sent)

    def action_mark_ready(self) -> None:
        order = self.selected_order()
        if self._need(SELECT_ORDER, order):
            assert order is not None
            self.send_command(MarkReady(order_id=order), _("mark {order} ready", order=order))

    def action_hurry(self) -> None:
        """High priority for the selected order (normal again if it is high already):
        a re-fire, an allergy, a table that waited too long."""
        order_id = self.selected_order()
        if not self._need(SELECT_ORDER, order_id):
            return
        assert order_id is not None
        order = self.mirror.orders.get(order_id)
        priority: Literal["normal", "high"] = (
            "normal" if order is not None and order.priority == "high" else "high")
        self.send_command(SetPriority(order_id=order_id, priority=priority),
                          _("{order}: high priority", order=order_id) if priority == "high"
                          else _("{order}: normal priority", order=order_id))

    def action_cancel_order(self) -> None:
        order = self.selected_order()
        if not self._need(SELECT_ORDER, order):
            return
        assert order is not None

        def answered(yes: bool | None) -> None:
            if yes:
                self.send_command(CancelOrder(order_id=order, reason="cancelled by the manager"),
                                  _("cancel {order}", order=order))

        self.push_screen(ConfirmScreen(_("Cancel order {order}?", order=order), _("Cancel it")),
                         answered)

    def action_by_staff(self) -> None:
        """A table robots cannot reach, or a rush they cannot keep up with: a person
        carried its dishes from the pass, and they end as such, not cancelled."""
        order_id = self.selected_order()
        if not self._need(SELECT_ORDER, order_id):
            return
        assert order_id is not None
        order = self.mirror.orders.get(order_id)
        if order is None:
            return
        table = order.table

        def answered(yes: bool | None) -> None:
            if yes:
                self.send_command(ServedByStaff(table=table),
                                  _("{table}: served by staff", table=table))

        self.push_screen(ConfirmScreen(_("Dishes for {table} waiting at the pass: carried "
                                         "to the table by staff?", table=table),
                                       _("Carried by staff")), answered)

    def action_pause_robot(self) -> None:
        serial = self.selected_robot()
        if not self._need(SELECT_ROBOT, serial):
            return
        assert serial is not None
        robot = self.mirror.robots.get(serial)
        if robot is not None and robot.paused_by_manager:
            self.send_command(ResumeRobot(serial=serial), _("resume {robot}", robot=serial))
        else:
            self.send_command(PauseRobot(serial=serial), _("pause {robot}", robot=serial))

    def action_charge(self) -> None:
        serial = self.selected_robot()
        if self._need(SELECT_ROBOT, serial):
            assert serial is not None
            self.send_command(SendToCharge(serial=serial),
                              _("send {robot} to charge", robot=serial))

    def action_dock(self) -> None:
        serial = self.selected_robot()
        if self._need(SELECT_ROBOT, serial):
            assert serial is not None
            self.send_command(SendToDock(serial=serial),
                              _("send {robot} to its dock", robot=serial))

    def action_stop_all(self) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.send_command(StopAll(reason="e-stop from the dashboard"), _("e-stop all"))

        self.push_screen(ConfirmScreen(_("E-stop: stop [b]every[/b] robot where it stands?"),
                                       _("Stop all")), answered)

    def action_release_all(self) -> None:
        self.send_command(ReleaseAll(), _("release all"))

    def _block(self, what: str) -> None:
        floor = self.mirror.floor
        s = self.mirror.summary
        if what == "table":
            names = [p.name for p in floor.places if p.kind == "table"] if floor else []
            blocked = s.blocked_tables if s else {}
        else:
            # the plan's own zones: blocked areas are listed apart, as blocked
            names = [z.name for z in floor.zones if z.kind != "blocked"] if floor else []
            blocked = s.blocked_zones if s else {}

        def chosen(command: BlockCommand | None) -> None:
            if command is not None:
                block = type(command).__name__.startswith("Block")
                name = getattr(command, what)
                said = {("table", True): N_("block table {name}"),
                        ("table", False): N_("unblock table {name}"),
                        ("zone", True): N_("block zone {name}"),
                        ("zone", False): N_("unblock zone {name}")}[what, block]
                self.send_command(command, _(said, name=name))

        self.push_screen(BlockScreen(what, names, blocked,
                                     floor if what == "zone" else None), chosen)

    def action_block_table(self) -> None:
        self._block("table")

    def action_block_zone(self) -> None:
        self._block("zone")

    def action_draw_area(self) -> None:
        floor = self.mirror.floor
        if floor is None:
            self.notify(_("No floor plan yet: wait for the controller"), severity="warning")
            return
        s = self.mirror.summary
        blocked = list(s.blocked_zones) if s else []

        def drawn(command: BlockZone | None) -> None:
            if command is not None:
                self.send_command(command, _("block zone {name}", name=command.zone))

        self.push_screen(AreaScreen(floor, taken=[z.name for z in floor.zones] + blocked,
                                    blocked=blocked, robots=list(self.mirror.robots.values())),
                         drawn)

    def action_acknowledge(self) -> None:
        """Only an alert the manager can see: new alerts push the cursor's row down,
        out of a pane a few rows high, and acknowledging what nobody read hides it."""
        alert = self.selected_alert()
        if not self._need(SELECT_ALERT, alert):
            return
        assert alert is not None
        table = self.alerts_table
        shown = table.visible_keys()
        if str(alert) not in shown:
            if shown:
                table.move_cursor(row=table.keys.index(shown[0]), scroll=False)
            self.notify(_("Alert {alert} is out of view; the cursor is on the top alert "
                          "shown now. Press a again to acknowledge it.", alert=str(alert)),
                        severity="warning", title=_("Not acknowledged"))
            return
        self.send_command(AcknowledgeAlert(alert_id=alert),
                          _("acknowledge alert {alert}", alert=str(alert)))

    def action_dish_history(self) -> None:
        """Where a guest's food went: the selected dish's every event, asked of the
        controller (the store holds what no view keeps)."""
        key = self.orders_table.selected_key()
        if not self._need(SELECT_ORDER, key):
            return
        assert key is not None
        order_id, dish_id = key.split("/", 1)
        order = self.mirror.orders.get(order_id)
        dish = next((d for d in order.dishes if d.dish_id == dish_id), None) if order else None
        if order is None or dish is None:
            return
        self.run_worker(self._dish_history(order, dish), group="requests")

    async def _dish_history(self, order: OrderView, dish: DishView) -> None:
        what = escape(_("history of {dish}", dish=dish.dish_id))
        try:
            reply = await self.source.request(DishHistory(dish_id=dish.dish_id))
        except FleetError as exc:
            self.notify(str(exc), title=_("{what}: no reply", what=what), severity="error",
                        markup=False)
            return
        if not reply.ok:
            reason = reply.error.message if reply.error is not None else _("refused")
            self.notify(reason, title=_("{what}: refused", what=what), severity="error",
                        markup=False)
            return
        self.push_screen(DishHistoryScreen(dish.dish_id, dish_title(order, dish),
                                           history_rows(reply.events)))

    def on_data_table_row_selected(self, event: OrdersTable.RowSelected) -> None:
        """Enter on a dish opens its history, as i does."""
        if event.data_table.id == "orders":
            self.action_dish_history()

    def action_toggle_kpis(self) -> None:
        """The hour's sparklines cost a line a small screen may need for its orders:
        shown or hidden by the screen's size until the manager says otherwise."""
        self.kpi_strip.set_classes("-hidden" if self.kpi_strip.display else "-shown")

    def action_help(self) -> None:
        self.push_screen(HelpScreen(help_keys(), legend()))


def build_app(source: FleetSource, *, title: str = "fleet",
              clock: Callable[[], float] = time.monotonic,
              refresh_hz: float = REFRESH_HZ, order_prefix: str | None = None,
              lang: Lang = "en") -> FleetDashboard:
    """The dashboard over ``source``, as the CLI and the tests build it. ``clock`` is
    the monotonic clock the site's time is estimated with (frozen in snapshot tests);
    ``order_prefix`` starts the ids of orders typed here (random unless given);
    ``lang`` the language of every word it shows (``fleet.words.choose_language``)."""
    return FleetDashboard(source, title=title, clock=clock, refresh_hz=refresh_hz,
                          order_prefix=order_prefix, lang=lang)
