"""The dashboard driven with Textual's Pilot over a scripted source of real API
messages: what the screen shows, and exactly which commands leave it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import msgspec
import pytest
from dashscene import T, alerts, make_app, orders, robots, scene, settle, summary, until
from rich.cells import cell_len
from textual.widgets import Footer, Input, RichLog, Static
from textual.widgets._footer import FooterKey

from fleet.api.messages import (
    AcknowledgeAlert,
    Alerts,
    AlertView,
    ApiError,
    BlockZone,
    CancelOrder,
    Command,
    ControllerStatus,
    DishSpec,
    DishView,
    EventView,
    MarkReady,
    OrderView,
    PauseRobot,
    Reply,
    ResumeRobot,
    RobotView,
    SendToCharge,
    ServedByStaff,
    SetPriority,
    StopAll,
    SubmitOrder,
    UnblockTable,
    UnblockZone,
)
from fleet.api.updates import LinkChanged, OrderCleared
from fleet.dashboard import FleetDashboard
from fleet.dashboard.floormap import FloorMap
from fleet.dashboard.mapgrid import heading_glyph
from fleet.dashboard.panels import AlertsTable, OrdersTable, RobotsTable
from fleet.dashboard.screens import BlockScreen, ConfirmScreen, HelpScreen, NewOrderScreen

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The header shows the site's time of day; pin the zone so it reads the same here
    as on any machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def robots_table(app: FleetDashboard) -> RobotsTable:
    return app.query_one("#robots", RobotsTable)


def orders_table(app: FleetDashboard) -> OrdersTable:
    return app.query_one("#orders", OrdersTable)


def banner(app: FleetDashboard) -> Static:
    return app.query_one("#banner", Static)


def told(app: FleetDashboard) -> list[tuple[str, str, str]]:
    """(severity, title, message) of every notification shown."""
    return [(n.severity, n.title, n.message) for n in app._notifications]


async def pick(pilot: object, table: OrdersTable | RobotsTable | AlertsTable, key: str) -> None:
    table.focus()
    table.move_cursor(row=table.keys.index(key))
    await pilot.pause()  # type: ignore[attr-defined]


@pytest.mark.asyncio
async def test_the_screen_shows_robots_orders_alerts_and_figures() -> None:
    app, _ = make_app()
    # a wide screen, where every column and the header's words are shown in full
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        rt = robots_table(app)
        assert rt.keys == ["R1", "R2", "R3", "R4", "R5"]
        r4 = rt.row_text("R4")
        for part in ("paused*", "18%", "1/2", "to table A1 with 1 dish", "paused by the manager"):
            assert part in r4
        assert "charging, 41 %" in rt.row_text("R3") and "41%+" in rt.row_text("R3")
        assert "serve B2 1/1" in rt.row_text("R1")

        ot = orders_table(app)
        # ready dishes oldest first, the late one marked; then dishes on robots; the
        # kitchen; then served
        assert ot.keys == ["O-101/2", "O-101/1", "O-104/1", "O-105/1", "O-102/1", "O-103/1",
                           "O-100/1"]
        assert ot.row_text("O-101/2").startswith("3:20 LATE  A3  O-101  steak")
        assert ot.row_text("O-101/1").startswith("0:45  A3")
        assert "high at the pass" in ot.row_text("O-104/1")
        assert "on the way on R1" in ot.row_text("O-102/1")
        assert "pasta  ! nut allergy" in ot.row_text("O-102/1"), "the order's note is shown"
        assert "served 6:20 ago" in ot.row_text("O-100/1")

        at = app.query_one("#alerts", AlertsTable)
        assert at.keys == ["3", "2"]  # the acknowledged one is not listed
        assert "critical  R5 offline" in at.row_text("3")
        assert "(×2)" in at.row_text("2")

        header = str(app.query_one("#figures", Static).render())
        assert "Bistro 22:13:20" in header
        assert "waiting 3 (oldest 3:20)" in header
        assert "mean wait 15 min 1:35, 4 served" in header
        assert "1 active · 1 idle · 1 charging · 1 paused · 0 faulted · 1 offline" in header
        assert not banner(app).display

        # the map: each robot's heading glyph where it stands, its id beside it
        fmap = app.query_one("#map", FloorMap)
        layer = fmap.floor_layer
        assert layer is not None
        for robot in robots():
            assert robot.x is not None and robot.y is not None
            at_cell = layer.scale.to_cell(robot.x, robot.y)
            assert at_cell is not None
            r, c = at_cell
            line = "".join(s.text for s in fmap.render_line(r))
            assert line[c] == heading_glyph(robot.theta), robot.serial


@pytest.mark.asyncio
async def test_waiting_timers_count_on_the_site_clock() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert orders_table(app).row_text("O-101/1").startswith("0:45")
        source.feed(summary(now=T + 90))
        await settle(pilot)
        assert orders_table(app).row_text("O-101/1").startswith("2:15 LATE")
        assert orders_table(app).row_text("O-101/2").startswith("4:50 LATE")


@pytest.mark.asyncio
async def test_banner_shows_a_lost_broker_and_goes_on_resync() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert not banner(app).display
        source.feed(LinkChanged(up=False, reason="connection refused"))
        await settle(pilot)
        assert banner(app).display
        assert "broker lost, reconnecting..." in str(banner(app).render())
        assert "connection refused" in str(banner(app).render())

        # back: the retained present again, without the order cleared meanwhile
        again = [u for u in scene()[1:]
                 if not (isinstance(u, OrderView) and u.order_id == "O-103")]
        source.feed(LinkChanged(up=True), *again)
        await settle(pilot)
        assert not banner(app).display
        assert "O-103/1" not in orders_table(app).keys

        source.feed(ControllerStatus(online=False, site="bistro", at=T))
        await settle(pilot)
        assert "controller offline" in str(banner(app).render())
        source.feed(ControllerStatus(online=True, site="bistro", at=T))
        await settle(pilot)
        assert not banner(app).display
        # Stopped on purpose (the end of a demo, an operator): not a fault.
        source.feed(ControllerStatus(online=False, stopped=True, site="bistro", at=T))
        await settle(pilot)
        said = str(banner(app).render())
        assert "the service has ended" in said and "offline" not in said
        assert banner(app).has_class("-ended")


@pytest.mark.asyncio
async def test_a_closed_source_says_disconnected() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        source.close()
        await until(pilot, lambda: "disconnected" in str(banner(app).render()))
        assert banner(app).display


@pytest.mark.asyncio
async def test_pause_key_pauses_the_selected_robot_and_resumes_one_paused() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        rt = robots_table(app)
        rt.focus()
        await pilot.press("down")
        assert app.selected_robot() == "R2"
        await pilot.press("p")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [PauseRobot(serial="R2")]
        await pilot.press("down", "down", "p")  # R4, paused by the manager
        await until(pilot, lambda: len(source.requests) == 2)
        assert source.requests[1] == ResumeRobot(serial="R4")
        await until(pilot, lambda: any("ResumeRobot done" in m for _, _, m in told(app)))


@pytest.mark.asyncio
async def test_a_refusal_is_shown_as_an_error() -> None:
    def refuse(command: Command) -> Reply:
        return Reply(request_id="x", ok=False,
                     error=ApiError(code="refused", message="R1 is e-stopped"))

    app, source = make_app(answer=refuse)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c")
        await until(pilot, lambda: any(sev == "error" for sev, _, _ in told(app)))
        _, title, message = told(app)[-1]
        assert "R1 is e-stopped" in message and "refused" in title
        assert source.requests == [SendToCharge(serial="R1")]


@pytest.mark.asyncio
async def test_new_order_form_sends_the_typed_table() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        assert isinstance(app.screen, NewOrderScreen)
        await pilot.press(*"a3", "enter", *"soup, platter:2", "enter", *"no nuts")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(source.requests) == 1)
        sent = source.requests[0]
        assert isinstance(sent, SubmitOrder)
        assert sent.table == "A3"  # as the floor spells it
        assert sent.dishes == [DishSpec(name="soup"), DishSpec(name="platter", trays=2)]
        assert sent.note == "no nuts" and sent.priority == "normal" and not sent.ready
        assert sent.order_id == f"mgr-{int(T)}-1"
        assert not isinstance(app.screen, NewOrderScreen)


@pytest.mark.asyncio
async def test_a_bad_table_is_named_and_nothing_is_sent() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n", *"Z9", "enter", *"soup", "ctrl+s")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, NewOrderScreen)
        error = str(screen.query_one("#form-error", Static).render())
        assert "no table 'Z9' on this floor" in error
        assert screen.query_one("#table", Input).has_class("-invalid")
        # no dishes: named too
        screen.query_one("#table", Input).value = "B2"
        screen.query_one("#dishes", Input).value = " , "
        await pilot.press("ctrl+s")
        assert "at least one dish" in str(screen.query_one("#form-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, NewOrderScreen)
        assert source.requests == []


@pytest.mark.asyncio
async def test_e_stop_needs_confirmation() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        assert source.requests == []
        await pilot.press("s", "y")
        await until(pilot, lambda: len(source.requests) == 1)
        assert isinstance(source.requests[0], StopAll)
        # the controller says all stopped: the banner says so
        source.feed(summary(stopped_all=True))
        await settle(pilot)
        assert "ALL ROBOTS STOPPED" in str(banner(app).render())


@pytest.mark.asyncio
async def test_order_keys_act_on_the_selected_order() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pick(pilot, orders_table(app), "O-103/1")
        await pilot.press("r")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests[0] == MarkReady(order_id="O-103")
        await pilot.press("x")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await until(pilot, lambda: len(source.requests) == 2)
        assert source.requests[1] == CancelOrder(order_id="O-103",
                                                 reason="cancelled by the manager")
        await pilot.press("b")  # a person carried its table's dishes
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.press("b")
        await pilot.press("y")
        await until(pilot, lambda: len(source.requests) == 3)
        assert source.requests[2] == ServedByStaff(table=app.mirror.orders["O-103"].table)
        # the order goes: the cursor stays on a real row
        source.feed(OrderCleared(order_id="O-103"))
        await settle(pilot)
        assert "O-103/1" not in orders_table(app).keys
        assert app.selected_order() is not None


@pytest.mark.asyncio
async def test_brackets_in_what_people_typed_are_shown_not_read_as_markup() -> None:
    """A till may name a dish "Fries [/large]"; the reason for a refusal may quote it."""
    def refuse(command: Command) -> Reply:
        return Reply(request_id="x", ok=False,
                     error=ApiError(code="refused", message="no [b]table[/i] 'Q[9'"))

    odd = OrderView(order_id="O-200", table="A2", created_at=T - 30, open=True,
                    dishes=[DishView(dish_id="O-200/1", name="Fries [/large]", state="ready",
                                     ready_at=T - 30)])
    app, _ = make_app([*scene(), odd], answer=refuse)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = orders_table(app)
        (key,) = [k for k in table.keys if k.startswith("O-200/")]
        assert "Fries [/large]" in table.row_text(key)
        await pilot.press("c")
        await until(pilot, lambda: any(sev == "error" for sev, _, _ in told(app)))
        assert told(app)[-1][2] == "no [b]table[/i] 'Q[9'"
        await pilot.pause()
        assert app.is_running


@pytest.mark.asyncio
async def test_events_log_shows_what_happened_newest_last() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        log = app.query_one("#events", RichLog)
        lines = [strip.text for strip in log.lines]
        assert [line.split("  ", 1)[1] for line in lines] == [
            "soup for A3 ready", "R1: serve trip pass -> B2 (1 dish)",
            "salad served at S4 by R2", "O-099/1 failed: nobody took it at C2 within 90 s"]
        assert lines[0].startswith(time.strftime("%H:%M:%S", time.localtime(T - 45)))
        source.feed(EventView(kind="DishServed", at=T + 1, text="soup served at A3 by R1"))
        await settle(pilot)
        await until(pilot, lambda: len(log.lines) == 5)
        assert log.lines[-1].text.endswith("soup served at A3 by R1")


@pytest.mark.asyncio
async def test_hurry_raises_the_selected_order_and_lowers_a_high_one() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pick(pilot, orders_table(app), "O-103/1")
        await pilot.press("h")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests[0] == SetPriority(order_id="O-103", priority="high")
        await pick(pilot, orders_table(app), "O-104/1")  # high already
        await pilot.press("h")
        await until(pilot, lambda: len(source.requests) == 2)
        assert source.requests[1] == SetPriority(order_id="O-104", priority="normal")


@pytest.mark.asyncio
async def test_acknowledge_the_selected_alert() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pick(pilot, app.query_one("#alerts", AlertsTable), "2")
        await pilot.press("a")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [AcknowledgeAlert(alert_id=2)]


@pytest.mark.asyncio
async def test_an_alert_pushed_out_of_view_is_not_acknowledged_unseen() -> None:
    """Issue 14, finding 2: new alerts push the cursor's row out of a pane a few rows
    high; ``a`` then acknowledged an alert nobody could see."""
    app, source = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        table = app.query_one("#alerts", AlertsTable)
        await pick(pilot, table, "2")
        orders_table(app).focus()  # the manager works on orders meanwhile
        await pilot.pause()
        many = [AlertView(alert_id=i, at=T - 100 + i, level="warning", kind="RouteFailed",
                          text=f"R1 cannot reach T{i}", robot="R1") for i in range(4, 30)]
        source.feed(Alerts(alerts=[*reversed(many), *alerts().alerts]))
        await settle(pilot)
        table.scroll_home(animate=False)  # the wheel, to read the newest: the cursor stays
        await pilot.pause()
        assert app.selected_alert() == 2 and "2" not in table.visible_keys()
        await pilot.press("a")
        await pilot.pause()
        assert source.requests == [], "nothing acknowledged unseen"
        assert any(title == "Not acknowledged" for _, title, _ in told(app))
        top = table.visible_keys()[0]
        assert app.selected_alert() == int(top)
        await pilot.press("a")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [AcknowledgeAlert(alert_id=int(top))]


@pytest.mark.asyncio
async def test_block_form_unblocks_a_blocked_table_and_refuses_an_unknown_one() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("t")
        screen = app.screen
        assert isinstance(screen, BlockScreen)
        assert "W3 (spill)" in str(screen.query_one("#blocked-now", Static).render())
        await pilot.press(*"a2")
        await pilot.click("#unblock")
        assert "table A2 is not blocked" in str(screen.query_one("#form-error", Static).render())
        assert app.focused is screen.query_one("#name", Input), "the cursor is where the fix goes"
        screen.query_one("#name", Input).value = "w3"
        # a button takes no second press during its 0.2 s press effect
        await until(pilot, lambda: not screen.query_one("#unblock").has_class("-active"))
        await pilot.click("#unblock")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [UnblockTable(table="W3")]


@pytest.mark.asyncio
async def test_help_lists_the_keys() -> None:
    app, _ = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        keys = str(app.screen.query_one("#help-keys", Static).render())
        for line in ("n  New order", "p  Pause the selected robot", "s  E-stop all robots",
                     "? / F1", "a  Acknowledge"):
            assert line.replace("  ", " ") in " ".join(keys.split()), line
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


@pytest.mark.asyncio
async def test_command_palette_pauses_a_robot_by_name() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"Pause R3")
        await until(pilot, lambda: "Pause R3" in str(app.screen.query("CommandList").first().
                                                     get_option_at_index(0).prompt))
        await pilot.press("enter")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [PauseRobot(serial="R3")]


@pytest.mark.asyncio
async def test_a_burst_of_updates_is_redrawn_a_few_times_not_per_message() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fmap = app.query_one("#map", FloorMap)
        before = fmap.renders
        start = time.monotonic()
        burst = 400
        for i in range(burst):
            source.feed(RobotView(serial="R2", mode="working", online=True,
                                  x=4.0 + (i % 20) * 0.5, y=11.25, theta=0.0, at=T))
        await until(pilot, lambda: app.mirror.updates_applied >= source.fed)
        elapsed = time.monotonic() - start
        app.flush()
        await pilot.pause()
        redraws = fmap.renders - before
        # one per refresh tick (4 Hz) at most, plus the explicit flush
        assert redraws <= elapsed * 4 + 3, (redraws, elapsed)
        assert redraws < burst / 10
        assert app.mirror.robots["R2"].x == 4.0 + (burst - 1) % 20 * 0.5


def test_orders_fixture_has_every_state() -> None:
    """The scene the tests above read covers each way a dish is shown."""
    states = {d.state for o in orders() for d in o.dishes}
    assert {"ready", "received", "on_the_way", "loaded", "served"} <= states


@pytest.mark.asyncio
@pytest.mark.parametrize(("size", "robot_columns", "order_columns"), [
    ((80, 24), ["Robot", "Doing / waiting"], ["Wait", "Table", "Dish", "Where"]),
    ((100, 30), ["Robot", "Doing / waiting"], ["Wait", "Table", "Order", "Dish", "Where"]),
    ((160, 48), ["Robot", "Mode", "Batt", "Trays", "Doing / waiting", "Trip"],
     ["Wait", "Table", "Order", "Dish", "Where"]),
])
async def test_every_size_keeps_what_a_manager_reads(
        size: tuple[int, int], robot_columns: list[str], order_columns: list[str]) -> None:
    """Issue 14 finding 3: a tablet at the host stand or a small terminal at the pass.
    The less needed columns go first; the robot's words, the dish, its table, wait
    and where stay, the header keeps to one line and the footer is whole."""
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        rt, ot = robots_table(app), orders_table(app)
        at = app.query_one("#alerts", AlertsTable)
        assert rt.columns_shown == robot_columns
        assert ot.columns_shown == order_columns
        assert "Alert" in at.columns_shown
        # what each table shows fits its width: nothing scrolls sideways out of view
        for table in (ot, at):
            widest = max(cell_len(table.shown_text(k)) for k in table.keys)
            assert widest <= table.scrollable_content_region.width, table.id
        assert "to table A1 with 1 dish" in rt.shown_text("R4")
        steak = ot.shown_text("O-101/2")
        assert steak.startswith("3:20") and "A3" in steak and "steak" in steak
        assert "pass" in steak
        assert "pasta  ! nut allergy" in ot.shown_text("O-102/1")
        assert "R1" in ot.shown_text("O-102/1")
        assert at.keys == ["3", "2"]
        assert at.visible_keys() == ["3", "2"], "both open alerts are in view"
        assert "R4 battery low (18 %) (×2)" in at.shown_text("2")

        header = app.query_one("#figures", Static)
        assert header.size.height == 1
        words = str(header.render())
        assert cell_len(words) <= size[0] - 2
        assert "3 (" in words and "3:20" in words, "the waiting dishes and the oldest"
        assert "1 off" in words and "5 open" in words
        # the footer: every key shown fits the line beside the palette's key
        footer = app.query_one(Footer)
        assert footer.region.bottom == size[1]
        # the footer composes its keys on its own after a resize: wait for them
        await until(pilot, lambda: bool(footer.query("FooterKey.-command-palette")))
        await pilot.pause()
        keys = [k for k in footer.query(FooterKey) if not k.has_class("-command-palette")]
        palette = footer.query_one("FooterKey.-command-palette")
        assert len(keys) >= 8
        assert max(k.region.right for k in keys) <= palette.region.x
        # the selected robot's words in full under the table, at every size
        assert "to table B2 with 1 dish" in str(app.query_one("#robot-detail", Static).render())


async def open_zone_form(pilot: object, app: FleetDashboard) -> BlockScreen:
    await pilot.press("z")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, BlockScreen))  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, BlockScreen)
    return screen


def form_error(screen: BlockScreen | NewOrderScreen) -> str:
    return str(screen.query_one("#form-error", Static).render())


@pytest.mark.asyncio
async def test_zone_form_lists_the_plans_zones_and_blocks_a_spill_round_a_table() -> None:
    """Issue 14 finding 5: a spill by A4 is blocked by naming the table and a size."""
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_zone_form(pilot, app)
        assert "Zones of the plan: behind the bar, entrance" in str(
            screen.query_one("#plan-zones", Static).render())
        assert "entrance (delivery)" in str(screen.query_one("#blocked-now", Static).render())
        screen.query_one("#place", Input).value = "a4"
        screen.query_one("#size", Input).value = "1"
        screen.query_one("#reason", Input).value = "spill"
        await pilot.click("#block")
        await until(pilot, lambda: len(source.requests) == 1)
        a4 = next(p for p in app.mirror.floor.places if p.name == "A4")  # type: ignore[union-attr]
        x, y = a4.spots[0]
        (sent,) = source.requests
        assert isinstance(sent, BlockZone)
        assert sent.zone == "spill by A4" and sent.reason == "spill"
        assert sent.rect == pytest.approx([x - 0.5, y - 0.5, x + 0.5, y + 0.5])


@pytest.mark.asyncio
async def test_zone_form_blocks_a_typed_rectangle_under_a_new_name() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_zone_form(pilot, app)
        await pilot.press(*"high chair", "enter", "enter", "enter", *"3, 4.5, 4, 5.5", "enter",
                          "enter")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [BlockZone(zone="high chair", rect=[3.0, 4.5, 4.0, 5.5])]


@pytest.mark.asyncio
@pytest.mark.parametrize(("fields", "wrong", "says"), [
    ({"rect": "4 4 3 5"}, "rect", "x0 < x1"),
    ({"rect": "3 4 5"}, "rect", "four numbers"),
    ({"rect": "30 30 31 31"}, "rect", "off the floor"),
    ({"place": "A4", "rect": "3 4 5 6"}, "rect", "not both"),
    ({"place": "Z9"}, "place", "no place 'Z9'"),
    ({"place": "A4", "size": "big"}, "size", "'big' is not a number"),
    ({"place": "A4", "size": "40"}, "size", "0.25 to 10 metres"),
    ({"name": "entrance", "rect": "3 4 5 6"}, "name", "exists already"),
    ({"name": "spill/A4", "rect": "3 4 5 6"}, "name", "not / + #"),
    ({"rect": "3 4 5 6"}, "name", "name the new area"),
])
async def test_zone_form_names_what_is_wrong_and_puts_the_cursor_there(
        fields: dict[str, str], wrong: str, says: str) -> None:
    """Issue 14 findings 5 and 8: bad input is named in the form, the field that is
    wrong is marked and focused (not the button pressed), and nothing is sent."""
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_zone_form(pilot, app)
        for field, value in fields.items():
            screen.query_one(f"#{field}", Input).value = value
        await pilot.click("#block")
        await until(pilot, lambda: says in form_error(screen))
        field = screen.query_one(f"#{wrong}", Input)
        assert field.has_class("-invalid")
        assert app.focused is field
        assert source.requests == []


@pytest.mark.asyncio
async def test_zone_form_unblocks_a_blocked_zone() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_zone_form(pilot, app)
        screen.query_one("#name", Input).value = "behind the bar"
        await pilot.click("#unblock")
        await until(pilot, lambda: "is not blocked" in form_error(screen))
        assert app.focused is screen.query_one("#name", Input)
        screen.query_one("#name", Input).value = "Entrance"
        await until(pilot, lambda: not screen.query_one("#unblock").has_class("-active"))
        await pilot.click("#unblock")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [UnblockZone(zone="entrance")]


@pytest.mark.asyncio
async def test_order_form_focuses_the_wrong_field_after_submit() -> None:
    """Issue 14 finding 8: submitting from the note with bad dishes puts the cursor in
    the dishes, where the fix is typed."""
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewOrderScreen))
        screen = app.screen
        assert isinstance(screen, NewOrderScreen)
        await pilot.press(*"a3", "enter", *"soup:x", "enter", *"no nuts")
        assert app.focused is screen.query_one("#note", Input)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "trays after ':'" in form_error(screen))
        assert app.focused is screen.query_one("#dishes", Input)
        assert screen.query_one("#dishes", Input).has_class("-invalid")
        assert not screen.query_one("#table", Input).has_class("-invalid")
        assert source.requests == []


@pytest.mark.asyncio
async def test_a_dropped_column_comes_back_when_the_words_get_shorter() -> None:
    """The robots' words change all service long: a column hidden for a long
    sentence returns once it is gone, and goes again for the next one."""
    app, source = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rt = robots_table(app)
        assert "Mode" not in rt.columns_shown
        r4 = robots()[3]
        source.feed(msgspec.structs.replace(r4, doing="idle at the pass", waiting=""))
        await settle(pilot)
        assert {"Robot", "Mode", "Doing / waiting"} <= set(rt.columns_shown)
        assert rt.keys == ["R1", "R2", "R3", "R4", "R5"]
        assert "idle at the pass" in rt.shown_text("R4")
        source.feed(r4)
        await settle(pilot)
        assert "Mode" not in rt.columns_shown
        assert "paused by the manager" in rt.shown_text("R4")


@pytest.mark.asyncio
async def test_one_long_alert_does_not_hide_every_alerts_level() -> None:
    """Found in the demo at 160x48: an alert of 90 characters hid the level and age
    of all of them; the words are cut instead, and the level stays."""
    long = ("R3: WARNING orderUpdateError: order R3-s1-3: update 3 starts where the "
            "last one did not end")
    app, source = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        at = app.query_one("#alerts", AlertsTable)
        assert at.columns_shown == ["Age", "Level", "Alert"]
        source.feed(Alerts(alerts=[*alerts().alerts, AlertView(
            alert_id=4, at=T - 10, level="warning", kind="RobotErrorReported", text=long,
            robot="R3")]))
        await settle(pilot)
        assert sorted(at.keys) == ["2", "3", "4"]
        assert at.columns_shown == ["Age", "Level", "Alert"]
        assert "critical" in at.shown_text("3")
    async with make_app()[0].run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # on a narrow pane the words still come first
        assert pilot.app.query_one("#alerts", AlertsTable).columns_shown == ["Alert"]
