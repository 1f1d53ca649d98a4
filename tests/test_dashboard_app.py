"""The dashboard driven with Textual's Pilot over a scripted source of real API
messages: what the screen shows, and exactly which commands leave it."""

from __future__ import annotations

import time

import pytest
from dashscene import T, alerts, make_app, orders, robots, scene, settle, summary, until
from textual.widgets import Input, RichLog, Static

from fleet.api.messages import (
    AcknowledgeAlert,
    Alerts,
    AlertView,
    ApiError,
    CancelOrder,
    ClientCommand,
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
)
from fleet.api.updates import LinkChanged, OrderCleared
from fleet.dashboard import FleetDashboard
from fleet.dashboard.floormap import FloorMap
from fleet.dashboard.mapgrid import heading_glyph
from fleet.dashboard.panels import AlertsTable, OrdersTable, RobotsTable
from fleet.dashboard.screens import BlockScreen, ConfirmScreen, HelpScreen, NewOrderScreen

pytestmark = pytest.mark.usefixtures("utc")  # the site's time of day, as anywhere

SIZE = (120, 40)


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
    def refuse(command: ClientCommand) -> Reply:
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
    def refuse(command: ClientCommand) -> Reply:
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
