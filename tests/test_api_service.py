"""The fleet API service against a real controller: requests refused with the right
code and field, commands carried out, and what is published (and cleared) when.

The refusals need no robots moving, so they run on a bare controller; what is
published over a served order runs in the end-to-end rig (simulated robots, on a
virtual clock)."""

from __future__ import annotations

import itertools
import json
from typing import Any

import msgspec
import pytest
from e2e import Rig, run_rig, small_room
from simkit import MODEL

from fleet.api.messages import (
    Alerts,
    EventView,
    FloorView,
    OrderView,
    Reply,
    RobotView,
    Summary,
)
from fleet.api.service import ApiService, Publication
from fleet.assembly import build_controller
from fleet.controller.core import Controller
from fleet.controller.port import FleetPort
from fleet.domain import DishState, Order, Priority, RobotMode
from fleet.domain import events as ev
from fleet.errors import StoreError
from fleet.store import MemoryStore


def _service(**kw: Any) -> tuple[ApiService, Controller]:
    """The service, and the controller behind it for the test to look into."""
    ctl = build_controller(small_room(), {"A": MODEL, "B": MODEL}, store=MemoryStore(),
                           run_id="t")
    return ApiService(FleetPort(ctl), "bistro", **kw), ctl


def _req(command: dict[str, Any], *, rid: str = "r1", **extra: Any) -> bytes:
    return json.dumps({"request_id": rid, "command": command, **extra}).encode()


SUBMIT = {"type": "submitOrder", "order_id": "o1", "table": "table-1",
          "dishes": [{"name": "soup"}, {"name": "bread", "trays": 2}]}


def _ask(svc: ApiService, payload: bytes, role: str = "manager") -> Reply:
    reply, _ = svc.handle(role, "till", payload, 10.0)  # type: ignore[arg-type]
    return reply


@pytest.mark.parametrize(("payload", "role", "code", "field", "rid"), [
    (b"{not json", "pos", "malformed", "$", None),
    (b'["a list"]', "pos", "malformed", "$", None),
    pytest.param(b"[" * 1000 + b"]" * 1000, "pos", "malformed", "$", None,
                 id="nested-arrays"),  # deep enough to make a JSON decoder recurse
    pytest.param(b'{"a":' * 5000 + b"1" + b"}" * 5000, "pos", "malformed", "$.a", None,
                 id="nested-objects"),
    pytest.param(b'{"request_id": "r1", "command": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                 "pos", "malformed", "$.command", "r1", id="nested-command"),
    (_req({**SUBMIT, "table": 7}), "pos", "malformed", "$.command.table", "r1"),
    (_req({**SUBMIT, "dishes": [{"name": "x", "trays": "two"}]}), "pos", "malformed",
     "$.command.dishes[0].trays", "r1"),
    (_req({**SUBMIT, "dishes": [{"name": "x", "trays": 99}]}), "pos", "malformed",
     "$.command.dishes[0].trays", "r1"),
    (_req({"type": "fireTheChef"}), "manager", "malformed", "$.command.type", "r1"),
    (_req({**SUBMIT, "colour": "red"}), "pos", "malformed", "$.command.colour", "r1"),
    (_req(SUBMIT, extra_field=1), "pos", "malformed", "$.extra_field", "r1"),
    (_req(SUBMIT, version="2.0"), "pos", "malformed", "$.version", "r1"),
    (_req({**SUBMIT, "table": "a/b"}), "pos", "malformed", "$.command.table", "r1"),
    (_req({"type": "pauseRobot", "serial": "A"}), "pos", "not_allowed", "$.command.type", "r1"),
    (_req({"type": "stopAll"}), "pos", "not_allowed", "$.command.type", "r1"),
    (_req(SUBMIT, site="other-site"), "pos", "wrong_site", "$.site", "r1"),
    (_req({**SUBMIT, "table": "table-9"}), "pos", "unknown_table", "$.command.table", "r1"),
    (_req({"type": "requestBussing", "table": "T9"}), "pos", "unknown_table",
     "$.command.table", "r1"),
    (_req({"type": "blockTable", "table": "T9"}), "manager", "unknown_table",
     "$.command.table", "r1"),
    (_req({"type": "pauseRobot", "serial": "Z"}), "manager", "unknown_robot",
     "$.command.serial", "r1"),
    (_req({"type": "sendToDock", "serial": "Z"}), "manager", "unknown_robot",
     "$.command.serial", "r1"),
    (_req({"type": "markReady", "order_id": "nope"}), "pos", "unknown_order",
     "$.command.order_id", "r1"),
    (_req({"type": "cancelOrder", "order_id": "nope"}), "pos", "unknown_order",
     "$.command.order_id", "r1"),
    (_req({"type": "setPriority", "order_id": "nope", "priority": "high"}), "pos",
     "unknown_order", "$.command.order_id", "r1"),
    (_req({"type": "unblockZone", "zone": "nowhere"}), "manager", "unknown_zone",
     "$.command.zone", "r1"),
    (_req({"type": "blockZone", "zone": "nowhere"}), "manager", "unknown_zone",
     "$.command.zone", "r1"),
    (_req({"type": "blockZone", "zone": "spill", "rect": [3, 1, 1, 2]}), "manager",
     "malformed", "$.command.rect", "r1"),
    (_req({"type": "acknowledgeAlert", "alert_id": 5}), "manager", "unknown_alert",
     "$.command.alert_id", "r1"),
    (_req({**SUBMIT, "dishes": [{"name": "x", "pass_place": "stall-9"}]}), "pos", "refused",
     "$.command.dishes[0].pass_place", "r1"),
    (_req({**SUBMIT, "dishes": [{"name": "x", "trays": 5}]}), "pos", "refused",
     "$.command.dishes[0]", "r1"),
])
def test_bad_requests_get_a_reply_naming_the_problem(payload: bytes, role: str, code: str,
                                                     field: str, rid: str | None) -> None:
    svc, ctl = _service()
    reply = _ask(svc, payload, role)
    assert not reply.ok
    assert reply.error is not None
    assert (reply.error.code, reply.error.field, reply.request_id) == (code, field, rid), \
        reply.error.message
    assert reply.error.message
    assert ctl.book.orders == {} or code != "malformed"


def test_oversize_payload_is_refused_before_decoding() -> None:
    svc, ctl = _service(max_payload=1024)
    big = _req({**SUBMIT, "note": "x" * 2000})
    reply = _ask(svc, big, "pos")
    assert reply.error is not None and reply.error.code == "too_large"
    assert reply.error.field == "$" and "1024" in reply.error.message
    assert reply.request_id == "r1", "the client can still match the refusal"
    assert ctl.book.orders == {}


def test_manager_command_on_pos_topic_names_the_topic_to_use() -> None:
    reply = _ask(_service()[0], _req({"type": "stopAll"}), "pos")
    assert reply.error is not None
    assert "fleet/v1/bistro/manager/till" in reply.error.message
    assert "stopAll" in reply.error.message


def test_submit_is_idempotent_by_order_id() -> None:
    svc, ctl = _service()
    first = _ask(svc, _req(SUBMIT), "pos")
    assert first.ok and not first.duplicate and "o1" in first.result
    again = _ask(svc, _req(SUBMIT, rid="r2"), "pos")
    assert again.ok and again.duplicate and again.request_id == "r2"
    assert len(ctl.book.orders["o1"].dishes) == 2
    other = _ask(svc, _req({**SUBMIT, "table": "table-2"}, rid="r3"), "pos")
    assert not other.ok and other.error is not None
    assert (other.error.code, other.error.field) == ("duplicate", "$.command.order_id")
    received = [e for e in ctl.events if e.kind == ev.ORDER_RECEIVED]
    assert len(received) == 1


def test_an_order_is_checked_once_by_the_order_book() -> None:
    """The API checks no table or pass of its own: the order book refuses (and records
    the refusal, as for an in-process till) with a code and field the API maps."""
    svc, ctl = _service()
    for change, code, field in [({"table": "tabel-1"}, "unknown_table", "$.command.table"),
                                ({"dishes": [{"name": "x"}, {"name": "y", "pass_place": "p9"}]},
                                 "refused", "$.command.dishes[1].pass_place")]:
        reply = _ask(svc, _req({**SUBMIT, **change}), "pos")
        assert reply.error is not None
        assert (reply.error.code, reply.error.field) == (code, field)
        assert ctl.events[-1].kind == ev.ORDER_REJECTED
        assert ctl.events[-1].text == reply.error.message
    assert "did you mean table-1" in ctl.events[0].text
    assert ctl.book.orders == {}


def test_pos_commands_change_the_order_book() -> None:
    svc, ctl = _service()
    assert _ask(svc, _req({**SUBMIT, "priority": "high", "note": "no nuts", "party": 3}),
                "pos").ok
    order = ctl.book.orders["o1"]
    assert order.priority is Priority.HIGH and order.note == "no nuts" and order.party == 3
    bad = _ask(svc, _req({"type": "markReady", "order_id": "o1", "dishes": [1, 3]}), "pos")
    assert bad.error is not None and bad.error.field == "$.command.dishes[1]"
    assert order.dishes[0].state is DishState.RECEIVED, "refused whole, not half done"
    ok = _ask(svc, _req({"type": "markReady", "order_id": "o1", "dishes": [2]}), "pos")
    assert ok.ok and "dish 2" in ok.result
    assert [d.state for d in order.dishes] == [DishState.RECEIVED, DishState.READY]
    assert "nothing new" in _ask(svc, _req({"type": "markReady", "order_id": "o1",
                                            "dishes": [2]}), "pos").result
    assert _ask(svc, _req({"type": "setPriority", "order_id": "o1", "priority": "normal"}),
                "pos").ok
    assert all(d.priority is Priority.NORMAL for d in order.dishes)
    assert _ask(svc, _req({"type": "cancelOrder", "order_id": "o1", "reason": "left"}),
                "pos").ok
    assert all(d.state is DishState.CANCELLED for d in order.dishes)
    assert "nothing to cancel" in _ask(svc, _req({"type": "cancelOrder", "order_id": "o1"}),
                                       "pos").result
    ready = _ask(svc, _req({**SUBMIT, "order_id": "o2", "ready": True}), "pos")
    assert ready.ok and "ready" in ready.result
    assert all(d.state is DishState.READY for d in ctl.book.orders["o2"].dishes)


def test_manager_commands_reach_the_controller() -> None:
    svc, ctl = _service()
    reply, commands = svc.handle("manager", "dash", _req({"type": "pauseRobot", "serial": "A"}),
                                 1.0)
    assert reply.ok and ctl.robots["A"].paused_by_manager
    assert [c.serial for c in commands] == ["A"]
    assert _ask(svc, _req({"type": "stopAll", "reason": "spill"})).ok and ctl.manager.stopped_all
    assert _ask(svc, _req({"type": "releaseAll"})).ok and not ctl.manager.stopped_all
    assert _ask(svc, _req({"type": "blockTable", "table": "table-3", "reason": "spill"})).ok
    assert dict(ctl.manager.blocked_tables) == {"table-3": "spill"}
    assert _ask(svc, _req({"type": "unblockTable", "table": "table-3"})).ok
    assert dict(ctl.manager.blocked_tables) == {}
    spill = _ask(svc, _req({"type": "blockZone", "zone": "spill", "rect": [2.0, 0.5, 3.0, 1.5],
                            "reason": "water"}))
    assert spill.ok, spill.error
    assert "spill" in ctl.manager.blocked_zones and ctl.manager.zone_cells("spill")
    floors = [msgspec.json.decode(p.payload, type=FloorView) for p in svc.publications(2.0)
              if p.topic.endswith("/floor")]
    assert floors, "the floor is published again with the blocked area"
    (zone,) = [z for z in floors[-1].zones if z.kind == "blocked"]
    assert zone.name == "spill"
    assert sum(row.count("#") for row in zone.rows) == len(ctl.manager.zone_cells("spill"))
    assert not any(p.topic.endswith("/floor") for p in svc.publications(3.0))
    assert _ask(svc, _req({"type": "unblockZone", "zone": "spill"})).ok
    assert "spill" not in ctl.manager.blocked_zones
    floors = [msgspec.json.decode(p.payload, type=FloorView) for p in svc.publications(4.0)
              if p.topic.endswith("/floor")]
    assert floors and not any(z.kind == "blocked" for z in floors[-1].zones)
    # The same name blocked again elsewhere between two ticks: drawn where it is now.
    for rect in ([2.0, 0.5, 3.0, 1.5], [0.0, 0.0, 1.0, 0.5]):
        if "spill" in ctl.manager.blocked_zones:
            assert _ask(svc, _req({"type": "unblockZone", "zone": "spill"})).ok
        assert _ask(svc, _req({"type": "blockZone", "zone": "spill", "rect": rect})).ok
        floors = [msgspec.json.decode(p.payload, type=FloorView) for p in svc.publications(5.0)
                  if p.topic.endswith("/floor")]
        (zone,) = [z for z in floors[-1].zones if z.kind == "blocked"]
        drawn = {(r, c) for r, row in enumerate(zone.rows) for c, ch in enumerate(row)
                 if ch == "#"}
        assert drawn == set(ctl.manager.zone_cells("spill"))


def test_publications_follow_a_served_order_and_clear_it_later() -> None:
    async def scene(rig: Rig) -> None:
        svc = ApiService(FleetPort(rig.controller), "bistro", epoch=1000.0, order_retention_s=60.0)
        full = svc.full_state(rig.now())
        topics = [p.topic for p in full]
        assert topics[0] == "fleet/v1/bistro/status" and topics[-1] == "fleet/v1/bistro/summary"
        assert "fleet/v1/bistro/robots/A" in topics and "fleet/v1/bistro/floor" in topics
        assert all(p.retain and p.qos == 1 for p in full)
        published: list[Publication] = []

        async def publish_until(cond: Any, what: str, limit: float = 300.0) -> None:
            def step() -> bool:
                published.extend(svc.publications(rig.now()))
                return bool(cond())
            await rig.until(step, limit, what, step_s=0.5)

        reply, commands = svc.handle("pos", "till", _req({**SUBMIT, "ready": True}), rig.now())
        assert reply.ok
        await rig.runtime.execute(commands)
        order = rig.controller.book.orders["o1"]
        await publish_until(lambda: not order.open, "the order is served")
        assert all(d.state is DishState.SERVED for d in order.dishes)
        views = [msgspec.json.decode(p.payload, type=OrderView) for p in published
                 if p.topic == "fleet/v1/bistro/orders/o1"]
        states = [tuple(d.state for d in v.dishes) for v in views]
        assert set(states[0]) <= {"ready", "assigned"}
        assert any("on_the_way" in s or "loaded" in s for s in states)
        assert states[-1] == ("served", "served") and not views[-1].open
        assert len(states) == len(set(states)), "an order is published only when it changed"
        served = views[-1].dishes[0]
        assert served.ready_at is not None and served.at_table_at is not None
        assert 1000.0 <= served.ready_at < served.at_table_at, "site time = epoch + loop time"
        events = [msgspec.json.decode(p.payload, type=EventView) for p in published
                  if p.topic == "fleet/v1/bistro/events"]
        assert {ev.ORDER_RECEIVED, ev.DISH_READY, ev.TRIP_ASSIGNED, ev.DISH_SERVED} <= {
            e.kind for e in events}
        assert all(not p.retain for p in published if p.topic.endswith("/events"))
        robots = [msgspec.json.decode(p.payload, type=RobotView) for p in published
                  if p.topic.startswith("fleet/v1/bistro/robots/")]
        assert any(r.trip is not None and r.route for r in robots), "a route while driving"
        assert any(r.doing.startswith("to ") for r in robots)
        summaries = [msgspec.json.decode(p.payload, type=Summary) for p in published
                     if p.topic.endswith("/summary")]
        gaps = [b.now - a.now for a, b in itertools.pairwise(summaries)]
        assert gaps and min(gaps) >= 1.0, "at most one summary a second"
        last = msgspec.json.decode(svc.full_state(rig.now())[-1].payload, type=Summary)
        assert last.served_15min == 2 and last.mean_wait_15min_s is not None
        assert last.open_orders == 0 and last.dishes_waiting == 0
        closed_at = rig.now()
        published.clear()
        await publish_until(lambda: any(p.topic.endswith("/orders/o1") and p.payload == b""
                                        for p in published), "the closed order cleared", 120)
        assert rig.now() - closed_at >= 55.0
        clear = next(p for p in published if p.topic.endswith("/orders/o1"))
        assert clear.retain
        assert not any(p.topic.endswith("/orders/o1") for p in svc.full_state(rig.now()))

    run_rig(small_room(), {"A": (1, 0)}, scene)


def test_alerts_raised_from_events_and_acknowledged_over_the_api() -> None:
    async def scene(rig: Rig) -> None:
        svc = ApiService(FleetPort(rig.controller), "bistro", epoch=1000.0)
        svc.full_state(rig.now())
        rig.robots["A"].set_e_stop(True)
        await rig.until(lambda: rig.record("A").mode is RobotMode.ESTOPPED, 10, "e-stop seen")
        pubs = svc.publications(rig.now())
        alerts = [msgspec.json.decode(p.payload, type=Alerts) for p in pubs
                  if p.topic.endswith("/alerts")]
        assert alerts, "an alert for the e-stop"
        alert = alerts[-1].alerts[0]
        assert (alert.level, alert.robot, alert.acknowledged) == ("critical", "A", False)
        assert "e-stopped" in alert.text
        assert alert.at == alert.last_at and 1000.0 <= alert.at <= 1000.0 + rig.now(), \
            "alerts are on the site clock (epoch + loop time), as the summary's now is"
        assert not any(p.topic.endswith("/alerts") for p in svc.publications(rig.now())), \
            "alerts are published when they change, not every time"
        reply = _ask(svc, _req({"type": "acknowledgeAlert", "alert_id": alert.alert_id}))
        assert reply.ok and "acknowledged" in reply.result
        after = [msgspec.json.decode(p.payload, type=Alerts) for p in
                 svc.publications(rig.now()) if p.topic.endswith("/alerts")]
        assert after and after[-1].alerts[0].acknowledged
        again = _ask(svc, _req({"type": "acknowledgeAlert", "alert_id": alert.alert_id}))
        assert again.ok and "already" in again.result

    run_rig(small_room(), {"A": (1, 0)}, scene)


class _DiskFullOnce(MemoryStore):
    """A store whose next order save fails, as a full disk would, then recovers."""

    def __init__(self) -> None:
        super().__init__()
        self.fail = True

    def save_order(self, order: Order) -> None:
        if self.fail:
            self.fail = False
            raise StoreError("fleet.db: database or disk is full")
        super().save_order(order)


def test_a_controller_failure_is_answered_and_the_next_request_served(
        caplog: pytest.LogCaptureFixture) -> None:
    """The store under the controller fails once; the till hears it at once with its
    request id, and its next request is served."""
    ctl = build_controller(small_room(), {"A": MODEL}, store=_DiskFullOnce(), run_id="t")
    svc = ApiService(FleetPort(ctl), "bistro")
    with caplog.at_level("ERROR"):
        reply = _ask(svc, _req(SUBMIT, rid="r-fail"), role="pos")
    assert not reply.ok and reply.request_id == "r-fail"
    assert reply.error is not None and reply.error.code == "unavailable"
    assert "disk is full" in reply.error.message
    assert any("failed" in r.getMessage() for r in caplog.records)
    after = _ask(svc, _req({**SUBMIT, "order_id": "o2"}, rid="r-next"), role="pos")
    assert after.ok and after.request_id == "r-next", after
