"""The events log of a dashboard opened mid-shift: filled from the controller's store
(a ``recentEvents`` read) as soon as the controller is online, again after it comes
back, with events heard live while the read was on its way shown once."""

from __future__ import annotations

import pytest
from dashscene import T, events, frozen, make_app, scene, settle, until
from textual.widgets import RichLog

from fleet.api.messages import ClientCommand, ControllerStatus, EventView, RecentEvents, Reply
from fleet.api.updates import LinkChanged, NoReplyError
from fleet.dashboard import build_app, views
from fleet.dashboard.app import EVENTS_SHOWN, FleetDashboard
from fleet.dashboard.scripted import ScriptedSource

pytestmark = pytest.mark.usefixtures("utc")  # the site's time of day, as anywhere

SIZE = (120, 40)

EARLIER = [EventView(kind="OrderReceived", at=T - 3000, text="order O-090 for A1 (2 dishes)"),
           EventView(kind="RobotErrorReported", at=T - 2400, robot="R3",
                     text="R3 reported: bumper pressed"),
           EventView(kind="DishServed", at=T - 1800, text="steak served at A1 by R2")]


def said(app: FleetDashboard) -> list[str]:
    log = app.query_one("#events", RichLog)
    return [strip.text.split("  ", 1)[1] for strip in log.lines]


@pytest.mark.asyncio
async def test_the_log_starts_with_what_the_store_kept_then_what_came_live() -> None:
    # the store also holds the first live event: it was recorded before the read
    app, source = make_app(stored=[*EARLIER, events()[0]])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: len(said(app)) == 7)
        assert said(app) == [e.text for e in EARLIER] + [e.text for e in events()]
        assert source.reads == [RecentEvents(limit=EVENTS_SHOWN,
                                             leave_out=sorted(views.TRACE_KINDS))]
        assert source.requests == [], "a read is not a command"


@pytest.mark.asyncio
async def test_a_controller_back_online_is_read_again() -> None:
    app, source = make_app(stored=EARLIER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: len(source.reads) == 1)
        restarted = EventView(kind="ControllerStarted", at=T + 5, text="controller run 2 started")
        source.stored.append(restarted)
        source.feed(ControllerStatus(online=False, site="bistro", at=T),
                    ControllerStatus(online=True, site="bistro", at=T + 6))
        await settle(pilot)
        await until(pilot, lambda: said(app)[-1:] == ["controller run 2 started"])
        assert len(source.reads) == 2
        assert said(app).count("steak served at A1 by R2") == 1


@pytest.mark.asyncio
async def test_no_read_before_the_controller_is_online() -> None:
    app, source = make_app([LinkChanged(up=True)], stored=EARLIER)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert source.reads == []
        assert said(app) == []
        source.feed(*scene()[1:])
        await settle(pilot)
        await until(pilot, lambda: len(said(app)) == 7)


class Unanswered(ScriptedSource):
    """A controller that does not answer reads (a broker dropping the request)."""

    async def request(self, command: ClientCommand, *, timeout: float = 5.0) -> Reply:  # noqa: ASYNC109
        if isinstance(command, RecentEvents):
            self.reads.append(command)
            raise NoReplyError("the controller did not answer")
        return await super().request(command, timeout=timeout)


@pytest.mark.asyncio
async def test_an_unanswered_read_leaves_the_live_events() -> None:
    source = Unanswered(scene(), stored=EARLIER)
    app = build_app(source, clock=frozen)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: len(source.reads) == 1)
        await settle(pilot)
        assert said(app) == [e.text for e in events()]
        assert app.is_running


@pytest.mark.asyncio
async def test_a_robots_trace_in_the_store_is_not_read_into_the_log() -> None:
    trace = [EventView(kind="RobotPhaseChanged", at=T - 100 + i, robot="R1",
                       text=f"R1 phase {i}") for i in range(300)]
    app, _ = make_app(stored=[*EARLIER, *trace])
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: len(said(app)) == 7)
        assert said(app)[:3] == [e.text for e in EARLIER], "the trace did not push them out"


def test_merge_keeps_one_of_each_event_in_time_order() -> None:
    live = events()
    trace = EventView(kind="RobotPhaseChanged", at=T - 30, text="R1 to a table")
    merged = views.merge_events([*EARLIER, live[1], trace], [live[0], live[1], live[2], trace])
    assert [e.text for e in merged] == [e.text for e in EARLIER] + [e.text for e in live[:3]]
