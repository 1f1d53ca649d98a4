"""Reading the controller's store over the fleet API: ``recentEvents`` (the last
events) and ``dishHistory`` (one dish's story, as ``fleet report dish`` tells it),
on the site's clock even across restarts (each run counts on its own clock),
answered to a manager and refused to a till."""

from __future__ import annotations

import json

import pytest
from e2e import Rig, run_rig, small_room
from simkit import MODEL

from fleet.api.backlog import dish_events, recent_events
from fleet.api.messages import Reply
from fleet.api.service import ApiService
from fleet.assembly import build_controller
from fleet.controller.core import Controller
from fleet.controller.port import FleetPort
from fleet.domain import DishState
from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.domain.orders import Dish
from fleet.reporting import dish_history
from fleet.store import MemoryStore


def started(at: float, epoch: float) -> Event:
    return Event("ControllerStarted", at, text="controller run started", data={"epoch": epoch})


def test_each_run_is_put_on_the_site_clock_by_its_own_epoch() -> None:
    store = MemoryStore()
    for e in (started(0.0, 1000.0), Event("DishReady", 50.0, text="first run"),
              started(2.0, 5000.0), Event("DishReady", 10.0, text="second run"),
              started(1.0, 9000.0), Event("DishServed", 4.0, text="this run")):
        store.record(e)
    views = recent_events(store, 10, epoch=9000.0)
    assert [(v.text, v.at) for v in views] == [
        ("controller run started", 1000.0), ("first run", 1050.0),
        ("controller run started", 5002.0), ("second run", 5010.0),
        ("controller run started", 9001.0), ("this run", 9004.0)]


def test_only_the_last_events_and_runs_without_an_epoch_take_this_runs() -> None:
    store = MemoryStore()
    for at in range(5):
        store.record(Event("DishReady", float(at), text=f"e{at}"))
    views = recent_events(store, 3, epoch=100.0)
    assert [(v.text, v.at) for v in views] == [("e2", 102.0), ("e3", 103.0), ("e4", 104.0)]
    assert recent_events(MemoryStore(), 3, epoch=100.0) == []


def test_kinds_left_out_do_not_fill_the_limit_and_runs_still_tell_their_epoch() -> None:
    store = MemoryStore()
    for e in (started(0.0, 1000.0), Event("DishReady", 50.0, text="first run"),
              started(2.0, 5000.0), *(Event("RobotPhaseChanged", 3.0 + i, text="trace")
                                      for i in range(10))):
        store.record(e)
    views = recent_events(store, 2, epoch=5000.0,
                          leave_out=["RobotPhaseChanged", "ControllerStarted"])
    assert [(v.text, v.at) for v in views] == [("first run", 1050.0)]


def _service() -> tuple[ApiService, Controller]:
    ctl = build_controller(small_room(), {"A": MODEL}, store=MemoryStore(), run_id="t",
                           epoch=1_700_000_000.0)
    return ApiService(FleetPort(ctl), "bistro", epoch=1_700_000_000.0), ctl


def _ask(svc: ApiService, command: dict[str, object], role: str = "manager") -> Reply:
    payload = json.dumps({"request_id": "r1", "command": command}).encode()
    reply, commands = svc.handle(role, "dash", payload, 10.0)  # type: ignore[arg-type]
    assert commands == []
    return reply


def test_a_manager_reads_the_store_back_in_the_reply() -> None:
    svc, ctl = _service()
    ctl.emit("DishReady", 5.0, "soup for table-1 ready", order_id="o1")
    reply = _ask(svc, {"type": "recentEvents", "limit": 2})
    assert reply.ok, reply
    got = [(e.kind, e.at, e.text) for e in reply.events]
    assert got == [("ControllerStarted", 1_700_000_000.0, "controller run t started"),
                   ("DishReady", 1_700_000_005.0, "soup for table-1 ready")]
    encoded = json.loads(svc.encode(reply))
    assert encoded["events"][1]["order_id"] == "o1"


def test_a_served_dishs_story_is_what_fleet_report_dish_reads() -> None:
    async def scene(rig: Rig) -> None:
        svc = ApiService(FleetPort(rig.controller), "bistro", epoch=1000.0)
        payload = json.dumps({"request_id": "t1", "command": {
            "type": "submitOrder", "order_id": "o1", "table": "table-1", "ready": True,
            "dishes": [{"name": "soup"}, {"name": "bread"}]}}).encode()
        reply, commands = svc.handle("pos", "till", payload, rig.now())
        assert reply.ok
        await rig.runtime.execute(commands)
        order = rig.controller.book.orders["o1"]
        await rig.until(lambda: not order.open, 300, "the order is served")
        assert order.dishes[0].state is DishState.SERVED
        story = _ask(svc, {"type": "dishHistory", "dish_id": "o1/1"})
        assert story.ok and story.result == f"{len(story.events)} event(s) of dish o1/1"
        kinds = [e.kind for e in story.events]
        for kind in (ev.ORDER_RECEIVED, ev.DISH_READY, ev.TRIP_ASSIGNED, ev.ROBOT_ARRIVED,
                     ev.DISH_SERVED):
            assert kind in kinds, kind
        assert kinds.index(ev.ORDER_RECEIVED) < kinds.index(ev.DISH_READY) \
            < kinds.index(ev.TRIP_ASSIGNED) < kinds.index(ev.DISH_SERVED)
        report = dish_history(order.dishes[0], rig.controller.store.events())
        assert [(e.kind, e.at, e.text) for e in story.events] == \
            [(e.kind, 1000.0 + e.at, e.text) for e in report], "the report's story, on site time"
        assert all(e.dish_id in (None, "o1/1") for e in story.events)

    run_rig(small_room(), {"A": (1, 0)}, scene)


def test_a_dish_ordered_before_a_restart_reads_in_one_time_line() -> None:
    store = MemoryStore()
    dish = Dish(dish_id="o1/1", order_id="o1", table="T1", name="soup")
    for e in (started(0.0, 1000.0),
              Event(ev.ORDER_RECEIVED, 10.0, order_id="o1", text="order o1"),
              Event(ev.DISH_READY, 20.0, order_id="o1", dish_id="o1/1", text="ready"),
              Event(ev.DISH_READY, 21.0, order_id="o2", dish_id="o2/1", text="another's"),
              started(2.0, 5000.0),
              Event(ev.DISH_SERVED, 8.0, order_id="o1", dish_id="o1/1", text="served")):
        store.record(e)
    story = dish_events(store, dish, epoch=5000.0)
    assert [(e.text, e.at) for e in story] == [("order o1", 1010.0), ("ready", 1020.0),
                                               ("served", 5008.0)]


@pytest.mark.parametrize(("command", "code", "said"), [
    ({"type": "dishHistory", "dish_id": "o9/1"}, "unknown_order", "unknown dish 'o9/1'"),
    ({"type": "dishHistory", "dish_id": "o1/7"}, "unknown_order", "order o1 has o1/1"),
    ({"type": "dishHistory", "dish_id": "o1-soup"}, "malformed", "not a dish id: ORDER/N"),
])
def test_an_unknown_dish_is_named(command: dict[str, object], code: str, said: str) -> None:
    svc, _ = _service()
    submit = json.dumps({"request_id": "t1", "command": {
        "type": "submitOrder", "order_id": "o1", "table": "table-1",
        "dishes": [{"name": "soup"}]}}).encode()
    assert svc.handle("pos", "till", submit, 1.0)[0].ok
    reply = _ask(svc, command)
    assert reply.error is not None and reply.error.code == code
    assert said in reply.error.message


@pytest.mark.parametrize(("command", "role", "code"), [
    ({"type": "dishHistory", "dish_id": "o1/1"}, "pos", "not_allowed"),
    ({"type": "recentEvents"}, "pos", "not_allowed"),
    ({"type": "recentEvents", "limit": 0}, "manager", "malformed"),
    ({"type": "recentEvents", "limit": 501}, "manager", "malformed"),
    ({"type": "recentEvents", "leave_out": [""]}, "manager", "malformed"),
])
def test_a_read_is_a_managers_and_bounded(command: dict[str, object], role: str,
                                          code: str) -> None:
    reply = _ask(_service()[0], command, role)
    assert not reply.ok
    assert reply.error is not None and reply.error.code == code
