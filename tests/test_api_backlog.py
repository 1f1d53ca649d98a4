"""``recentEvents``: the last events of the controller's store, on the site's clock
even across restarts (each run counts on its own clock), answered to a manager and
refused to a till."""

from __future__ import annotations

import json

import pytest
from e2e import small_room
from simkit import MODEL

from fleet.api.backlog import recent_events
from fleet.api.messages import Reply
from fleet.api.service import ApiService
from fleet.assembly import build_controller
from fleet.domain.events import Event
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


def _service() -> ApiService:
    ctl = build_controller(small_room(), {"A": MODEL}, store=MemoryStore(), run_id="t",
                           epoch=1_700_000_000.0)
    return ApiService(ctl, "bistro", epoch=1_700_000_000.0)


def _ask(svc: ApiService, command: dict[str, object], role: str = "manager") -> Reply:
    payload = json.dumps({"request_id": "r1", "command": command}).encode()
    reply, commands = svc.handle(role, "dash", payload, 10.0)  # type: ignore[arg-type]
    assert commands == []
    return reply


def test_a_manager_reads_the_store_back_in_the_reply() -> None:
    svc = _service()
    svc.ctl.emit("DishReady", 5.0, "soup for table-1 ready", order_id="o1")
    reply = _ask(svc, {"type": "recentEvents", "limit": 2})
    assert reply.ok, reply
    got = [(e.kind, e.at, e.text) for e in reply.events]
    assert got == [("ControllerStarted", 1_700_000_000.0, "controller run t started"),
                   ("DishReady", 1_700_000_005.0, "soup for table-1 ready")]
    encoded = json.loads(svc.encode(reply))
    assert encoded["events"][1]["order_id"] == "o1"


@pytest.mark.parametrize(("command", "role", "code"), [
    ({"type": "recentEvents"}, "pos", "not_allowed"),
    ({"type": "recentEvents", "limit": 0}, "manager", "malformed"),
    ({"type": "recentEvents", "limit": 501}, "manager", "malformed"),
])
def test_a_read_is_a_managers_and_bounded(command: dict[str, object], role: str,
                                          code: str) -> None:
    reply = _ask(_service(), command, role)
    assert not reply.ok
    assert reply.error is not None and reply.error.code == code
