"""The dashboard driven as a manager would, against a running site: Mosquitto, the
controller serving the fleet API, simulated VDA 5050 vehicles. Each test asserts
both what the screen shows and what happened on the floor.

The site runs on the scaled clock of ``tests/mqttsite.py`` (every timeout here is
in loop seconds); the app is the one ``fleet dashboard`` builds, over a real
``FleetClient``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from brokers import requires_mosquitto, settings
from e2e import small_room
from mqttsite import Site, run_site
from rich.style import Style
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, RichLog, Static

from fleet.api.client import FleetClient
from fleet.api.messages import EventView
from fleet.api.server import ApiServer
from fleet.dashboard import FleetDashboard, build_app
from fleet.dashboard.dishscreen import DishHistoryScreen
from fleet.dashboard.floormap import FloorMap
from fleet.dashboard.panels import OrdersTable, RobotsTable
from fleet.dashboard.screens import NewOrderScreen
from fleet.dashboard.views import MODE_COLOURS
from fleet.domain import DishState, RobotMode

pytestmark = [pytest.mark.integration, requires_mosquitto]
SITE = "bistro"
SIZE = (120, 40)
PASS = (1, 0)


@contextlib.asynccontextmanager
async def dashboard(site: Site) -> AsyncIterator[tuple[FleetDashboard, Pilot[None]]]:
    """The API served for the site, and the dashboard on a client of its own."""
    async with (ApiServer(site.runtime, settings(site.broker, "fleet-api"), site=SITE,
                          name="Bistro", speed=site.speed,
                          connect_timeout_s=10.0 * site.speed),
                FleetClient(settings(site.broker, "dashboard"), SITE,
                            connect_timeout_s=10.0 * site.speed) as client):
        app = build_app(client, title="fleet: Bistro")
        async with app.run_test(size=SIZE) as pilot:
            yield app, pilot


async def until(site: Site, pilot: Pilot[None], cond: object, limit_s: float,
                what: str) -> None:
    """Wait (loop seconds) with the app running; fail naming ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not cond():  # type: ignore[operator]
        if loop.time() > deadline:
            raise AssertionError(f"{what}: not within {limit_s:.0f} s\n{site.describe()}")
        await pilot.pause(0.05 * site.speed)


def robots_table(app: FleetDashboard) -> RobotsTable:
    return app.query_one("#robots", RobotsTable)


def robot_row(app: FleetDashboard, serial: str) -> str:
    table = robots_table(app)
    return table.row_text(serial) if serial in table.keys else ""


def label_style_on_map(app: FleetDashboard, serial: str) -> Style | None:
    """The style the map draws ``serial``'s label in (its colour is the robot's mode)."""
    floor = app.query_one(FloorMap)
    for y in range(floor.size.height):
        for segment in floor.render_line(y):
            if serial in segment.text:
                return segment.style
    return None


def test_pausing_a_robot_from_the_dashboard_reaches_the_vehicle_and_shows(
        tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        async with dashboard(site) as (app, pilot):
            await until(site, pilot, lambda: "idle" in robot_row(app, "R1")
                        and "idle" in robot_row(app, "R2"), 20.0, "both robots listed idle")
            table = robots_table(app)
            table.focus()
            table.move_cursor(row=table.keys.index("R1"))
            await pilot.pause()
            assert app.selected_robot() == "R1"
            await pilot.press("p")
            await until(site, pilot, lambda: site.robots["R1"].paused, 20.0,
                        "the vehicle took startPause")
            assert site.instants_sent("R1", "startPause"), "sent as a VDA 5050 instant action"
            assert not site.robots["R2"].paused
            await until(site, pilot, lambda: robot_row(app, "R1").startswith("R1  paused*"),
                        20.0, "the table shows R1 paused by the manager")
            style = label_style_on_map(app, "R1")
            assert style is not None and style.color is not None
            assert style.color.name == MODE_COLOURS["paused"], "the map draws R1 as paused"
            assert site.record("R1").mode is RobotMode.PAUSED
            await pilot.press("p")  # the same key resumes a robot the manager paused
            await until(site, pilot, lambda: not site.robots["R1"].paused, 20.0,
                        "the vehicle took stopPause")
            await until(site, pilot, lambda: robot_row(app, "R1").startswith("R1  idle"),
                        20.0, "the table shows R1 idle again")

    run_site(small_room(), {"R1": PASS, "R2": (0, 0)}, scene, tmp=tmp_path)


def test_an_order_typed_into_the_form_is_served_on_the_floor(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        async with dashboard(site) as (app, pilot):
            await until(site, pilot, lambda: app.mirror.floor is not None
                        and bool(robot_row(app, "R1")), 20.0, "the floor and R1 shown")
            await pilot.press("n")
            assert isinstance(app.screen, NewOrderScreen)
            await pilot.press(*"TABLE-2", "enter", *"soup", "enter", *"by the window")
            app.screen.query_one("#ready", Checkbox).value = True
            await pilot.press("ctrl+s")
            await until(site, pilot, lambda: len(site.controller.book.orders) == 1, 20.0,
                        "the order reached the controller")
            (order,) = site.controller.book.orders.values()
            assert order.table == "table-2" and order.note == "by the window"
            assert [d.name for d in order.dishes] == ["soup"]
            await until(site, pilot, lambda: order.dishes[0].state is DishState.SERVED, 300.0,
                        "a robot served it")
            orders = app.query_one("#orders", OrdersTable)
            await until(site, pilot, lambda: any("served" in orders.row_text(k)
                                                 for k in orders.keys), 20.0,
                        "the orders panel shows it served")
            assert any("table-2" in orders.row_text(k) for k in orders.keys)
            # where did it go? its every event, asked of the controller over the broker
            (key,) = [k for k in orders.keys if "table-2" in orders.row_text(k)]
            orders.focus()
            orders.move_cursor(row=orders.keys.index(key))
            await pilot.press("i")
            await until(site, pilot, lambda: isinstance(app.screen, DishHistoryScreen), 20.0,
                        "the dish's history shown")
            story = app.screen.query_one("#dish-events", DataTable)
            kinds = [str(story.get_row_at(i)[3]).rsplit("  ", 1)[-1]
                     for i in range(story.row_count)]
            assert kinds[0] == "OrderReceived" and "DishServed" in kinds
            assert "TripAssigned" in kinds and "RobotArrived" in kinds
            assert site.referee.violations == []

    run_site(small_room(), {"R1": PASS, "R2": (0, 0)}, scene, tmp=tmp_path)


def test_a_dashboard_opened_mid_shift_shows_the_events_before_it(tmp_path: Path) -> None:
    """Issue 15: events are a stream, so a dashboard opened after one was published
    reads it back from the controller's store (``recentEvents`` over the broker)."""
    async def scene(site: Site) -> None:
        async with ApiServer(site.runtime, settings(site.broker, "fleet-api"), site=SITE,
                             speed=site.speed, connect_timeout_s=10.0 * site.speed):
            async with FleetClient(settings(site.broker, "witness"), SITE,
                                   connect_timeout_s=10.0 * site.speed) as witness:
                site.controller.emit("TableBlocked", site.runtime.now(),
                                     "table-1 blocked: a spill before the dashboard opened")
                async with asyncio.timeout(20.0 * site.speed):
                    # published on the events topic before the dashboard listened
                    async for update in witness.updates():
                        if isinstance(update, EventView) and "a spill" in update.text:
                            break
            async with FleetClient(settings(site.broker, "dashboard"), SITE,
                                   connect_timeout_s=10.0 * site.speed) as client:
                app = build_app(client, title="fleet: Bistro")
                async with app.run_test(size=SIZE) as pilot:
                    log = app.query_one("#events", RichLog)

                    def shown() -> list[str]:
                        return [strip.text for strip in log.lines]

                    await until(site, pilot, lambda: any("a spill before the dashboard" in line
                                                         for line in shown()), 20.0,
                                "the event from before the dashboard in its log")
                    assert sum("a spill before" in line for line in shown()) == 1

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)


def test_the_dashboard_survives_a_broker_restart(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        async with dashboard(site) as (app, pilot):
            banner = app.query_one("#banner", Static)
            await until(site, pilot, lambda: bool(robot_row(app, "R1")), 20.0, "R1 shown")
            await site.broker.stop()
            await until(site, pilot, lambda: "broker lost" in str(banner.render()), 20.0,
                        "the banner says the broker is lost")
            await site.order("table-1", ready=False)  # the floor goes on meanwhile
            await site.broker.start()
            await until(site, pilot, lambda: "broker lost" not in str(banner.render())
                        and "O1" in app.mirror.orders, 60.0,
                        "the banner gone and the state resynchronised")
            table = robots_table(app)
            table.focus()
            table.move_cursor(row=table.keys.index("R1"))
            await pilot.press("p")
            await until(site, pilot, lambda: site.robots["R1"].paused, 30.0,
                        "a pause from the dashboard works after the restart")

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)
