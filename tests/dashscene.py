"""A fixed moment of service for the dashboard tests: the bistro floor, five robots,
orders in every state and two open alerts, all on a site clock frozen at ``T``.

Also ``settle``: wait (bounded) until the dashboard has applied everything fed to
its source, then redraw, so that a test asserts on a screen that is up to date.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from fleet.api.messages import (
    Alerts,
    AlertView,
    ClientCommand,
    ControllerStatus,
    DishHistory,
    DishView,
    EventView,
    FloorView,
    OrderView,
    Reply,
    RobotView,
    Summary,
    TripView,
)
from fleet.api.snapshot import floor_view
from fleet.api.updates import LinkChanged, Update
from fleet.dashboard import FleetDashboard, build_app
from fleet.dashboard.scripted import ScriptedSource
from fleet.floor import load_floor

T = 1_700_000_000.0
"""The site's clock in the scene (2023-11-14 22:13:20 UTC)."""
BISTRO = Path(__file__).resolve().parents[1] / "maps" / "bistro.toml"
_FLOOR: FloorView | None = None


def bistro() -> FloorView:
    global _FLOOR  # noqa: PLW0603  (compiled once per test session)
    if _FLOOR is None:
        _FLOOR = floor_view(load_floor(BISTRO, robot_radius=0.25))
    return _FLOOR


def robots() -> list[RobotView]:
    return [
        RobotView(serial="R1", mode="working", online=True, x=8.25, y=11.25, theta=0.0,
                  battery=82.0, trays=3, loads=["O-102/1"],
                  trip=TripView(trip_id="t7", kind="serve", stops=["B2"], next_stop=0,
                                dishes=["O-102/1"]),
                  doing="to table B2 with 1 dish",
                  route=[(10.25, 11.25), (11.75, 11.25), (11.75, 9.75)],
                  horizon=[(11.75, 7.75), (13.75, 7.75)], at=T),
        RobotView(serial="R2", mode="idle", online=True, x=4.0, y=11.25, theta=math.pi / 2,
                  battery=64.0, trays=3, doing="idle at the pass", at=T),
        RobotView(serial="R3", mode="charging", online=True, x=9.25, y=14.25,
                  theta=math.pi / 2, battery=41.0, charging=True, trays=3,
                  doing="charging, 41 %", at=T),
        RobotView(serial="R4", mode="paused", online=True, x=3.25, y=7.75, theta=-math.pi / 2,
                  battery=18.0, trays=2, loads=["O-105/1"], paused_by_manager=True,
                  doing="to table A1 with 1 dish", waiting="paused by the manager",
                  route=[(3.25, 4.75)], at=T),
        RobotView(serial="R5", mode="offline", online=False, x=15.25, y=2.25, theta=math.pi,
                  battery=55.0, trays=3, doing="offline", waiting="no word from it for 2:00",
                  at=T - 120),
    ]


def orders() -> list[OrderView]:
    return [
        OrderView(order_id="O-100", table="S4", created_at=T - 900, open=False, dishes=[
            DishView(dish_id="1", name="salad", state="served", ready_at=T - 500,
                     at_table_at=T - 380, served_at=T - 370)]),
        OrderView(order_id="O-101", table="A3", created_at=T - 600, open=True, dishes=[
            DishView(dish_id="1", name="soup", state="ready", ready_at=T - 45),
            DishView(dish_id="2", name="steak", state="ready", ready_at=T - 200)]),
        OrderView(order_id="O-102", table="B2", created_at=T - 400, open=True,
                  note="nut allergy", dishes=[
            DishView(dish_id="1", name="pasta", state="on_the_way", robot="R1",
                     ready_at=T - 90)]),
        OrderView(order_id="O-103", table="C5", created_at=T - 300, open=True, dishes=[
            DishView(dish_id="1", name="cake", state="received")]),
        OrderView(order_id="O-104", table="E2", priority="high", created_at=T - 60, open=True,
                  dishes=[DishView(dish_id="1", name="fish", state="ready", ready_at=T - 10,
                                   trays=2)]),
        OrderView(order_id="O-105", table="A1", created_at=T - 500, open=True, dishes=[
            DishView(dish_id="1", name="burger", state="loaded", robot="R4",
                     ready_at=T - 150)]),
    ]


def alerts() -> Alerts:
    return Alerts(alerts=[
        AlertView(alert_id=3, at=T - 120, level="critical", kind="RobotOffline",
                  text="R5 offline", robot="R5"),
        AlertView(alert_id=2, at=T - 300, level="warning", kind="BatteryLow",
                  text="R4 battery low (18 %)", robot="R4", count=2, last_at=T - 60),
        AlertView(alert_id=1, at=T - 800, level="info", kind="DishNotTaken",
                  text="dish not taken at S4", acknowledged=True),
    ])


def summary(**changes: object) -> Summary:
    fields: dict[str, object] = dict(
        site="bistro", name="Bistro", now=T, robots=5, active=1, idle=1, charging=1,
        paused=1, faulted=0, offline=1, dishes_waiting=3, dishes_on_robots=2,
        oldest_wait_s=200.0, mean_wait_15min_s=95.0, served_15min=4, open_orders=5,
        blocked_tables={"W3": "spill"}, blocked_zones={"entrance": "delivery"})
    fields.update(changes)
    return Summary(**fields)  # type: ignore[arg-type]


def hour() -> list[Summary]:
    """The summaries of the last 40 minutes before ``summary()``, one a minute: a rush
    building to eight dishes waiting and easing off, for the header's sparklines."""
    waiting = [0, 0, 1, 1, 2, 2, 3, 4, 5, 6, 8, 8, 7, 6, 6, 5, 4, 4, 3, 3,
               2, 2, 3, 4, 4, 3, 3, 2, 2, 1, 1, 2, 2, 3, 3, 3, 4, 3, 3, 3]
    return [summary(now=T - 60 * (40 - i), dishes_waiting=n, dishes_on_robots=min(n, 3),
                    mean_wait_15min_s=40.0 + 10 * n, served_15min=2 + i // 5,
                    open_orders=3 + n // 2, active=min(5, 1 + n // 2))
            for i, n in enumerate(waiting)]


def events() -> list[EventView]:
    """What happened lately, as the events stream brings it (not retained)."""
    return [EventView(kind="DishReady", at=T - 45, text="soup for A3 ready", order_id="O-101"),
            EventView(kind="TripAssigned", at=T - 40, robot="R1",
                      text="R1: serve trip pass -> B2 (1 dish)"),
            EventView(kind="DishServed", at=T - 20, robot="R2", order_id="O-100",
                      text="salad served at S4 by R2"),
            EventView(kind="DishFailed", at=T - 5, robot="R4", order_id="O-099",
                      text="O-099/1 failed: nobody took it at C2 within 90 s")]


def scene() -> list[Update]:
    """The whole retained present as a controller publishes it, link first; then the
    events of the last minute."""
    return [LinkChanged(up=True),
            ControllerStatus(online=True, site="bistro", name="Bistro", at=T),
            bistro(), *robots(), *orders(), alerts(), *hour(), summary(), *events()]


SERVED = OrderView(order_id="O-106", table="B4", created_at=T - 700, open=False, dishes=[
    DishView(dish_id="O-106/1", name="ramen [large]", state="served", robot="R2",
             ready_at=T - 400, at_table_at=T - 250, served_at=T - 240)])
"""A dish served four minutes ago, its id as the controller gives it (ORDER/N)."""
STORY = [EventView(kind="OrderReceived", at=T - 700, order_id="O-106",
                   text="order O-106 for B4 (1 dish)"),
         EventView(kind="DishReady", at=T - 400, order_id="O-106", dish_id="O-106/1",
                   text="ramen [large] for B4 ready at pass"),
         EventView(kind="TripAssigned", at=T - 390, robot="R2", trip_id="t9",
                   text="R2: serve trip pass -> B4 (1 dish)"),
         EventView(kind="RobotArrived", at=T - 250, robot="R2", trip_id="t9",
                   text="R2 at B4"),
         EventView(kind="DishServed", at=T - 240, robot="R2", order_id="O-106",
                   dish_id="O-106/1", text="ramen [large] taken at B4")]
"""Its history, as the controller's ``dishHistory`` reply sends it."""


def with_served() -> list[Update]:
    """The scene with ``SERVED`` among the orders."""
    updates = scene()
    return [*updates[:-5], SERVED, *updates[-5:]]


def tells(command: ClientCommand) -> Reply:
    """A controller that answers ``dishHistory`` with ``STORY``."""
    assert isinstance(command, DishHistory)
    return Reply(request_id=None, ok=True, result=f"{len(STORY)} event(s)", events=STORY)


def frozen() -> float:
    """A monotonic clock that never moves: the site's time stays at the summary's."""
    return 0.0


def make_app(updates: list[Update] | None = None, **kw: object,
             ) -> tuple[FleetDashboard, ScriptedSource]:
    source = ScriptedSource(scene() if updates is None else updates, **kw)  # type: ignore[arg-type]
    return build_app(source, title="fleet", clock=frozen, order_prefix="mgr"), source


async def until(pilot: Pilot[object], cond: Callable[[], bool], limit_s: float = 5.0) -> None:
    """Wait for ``cond`` to hold, at most ``limit_s`` seconds."""
    async with asyncio.timeout(limit_s):
        while not cond():
            await pilot.pause(0.01)


async def settle(pilot: Pilot[object]) -> None:
    """Wait until the app applied every update fed so far, then redraw."""
    app = pilot.app
    assert isinstance(app, FleetDashboard)
    source = app.source
    assert isinstance(source, ScriptedSource)
    await until(pilot, lambda: app.mirror.updates_applied >= source.fed)
    app.flush()
    await pilot.pause()


async def steady_cursors(pilot: Pilot[object]) -> None:
    """Stop every input's cursor blinking (it stays shown), then redraw: a snapshot
    taken on a loaded machine otherwise catches the cursor on or off by chance."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()
