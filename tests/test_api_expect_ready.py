"""``expectReady`` over the fleet API: the kitchen's estimate for a dish still cooking
reaches the order book, and a bad estimate is refused naming the field at fault."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e import small_room
from simkit import MODEL

from fleet.api.messages import Reply
from fleet.api.service import ApiService
from fleet.assembly import build_controller
from fleet.controller.core import Controller
from fleet.controller.port import FleetPort
from fleet.domain import events as ev
from fleet.errors import OrderError
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore


def _site() -> tuple[ApiService, Controller]:
    ctl = build_controller(small_room(), {"A": MODEL}, store=MemoryStore(), run_id="t")
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"), DishRequest("bread"))), 0.0)
    return ApiService(FleetPort(ctl), "bistro"), ctl


def _ask(svc: ApiService, command: dict[str, Any], now: float = 10.0) -> Reply:
    payload = json.dumps({"request_id": "r1", "command": command}).encode()
    reply, _ = svc.handle("pos", "kds", payload, now)
    return reply


def test_an_estimate_is_kept_on_the_dish_and_told() -> None:
    svc, ctl = _site()
    reply = _ask(svc, {"type": "expectReady", "order_id": "o1", "dishes": [2], "in_s": 45})
    assert reply.ok, reply.error
    assert reply.result == "o1: dish 2 expected ready in 45 s"
    first, second = ctl.book.orders["o1"].dishes
    assert (first.expected_at, second.expected_at) == (None, 55.0)
    told = [e for e in ctl.events if e.kind == ev.DISH_EXPECTED]
    assert [(e.dish_id, e.text) for e in told] == [
        ("o1/2", "bread for table-1 expected ready in 45 s")]
    again = _ask(svc, {"type": "expectReady", "order_id": "o1", "in_s": 30}, now=20.0)
    assert again.ok and again.result == "o1: dish 1, 2 expected ready in 30 s"
    assert second.expected_at == 50.0, "the latest estimate stands"


def test_a_dish_on_the_pass_needs_no_estimate() -> None:
    svc, ctl = _site()
    ctl.mark_ready("o1", 0, 5.0)
    reply = _ask(svc, {"type": "expectReady", "order_id": "o1", "dishes": [1], "in_s": 10})
    assert reply.ok and "nothing new" in reply.result
    assert ctl.book.orders["o1"].dishes[0].expected_at is None


@pytest.mark.parametrize(("command", "code", "field"), [
    ({"order_id": "o1", "in_s": -1}, "malformed", "$.command.in_s"),
    ({"order_id": "o1", "in_s": 86400}, "malformed", "$.command.in_s"),
    ({"order_id": "o1", "in_s": "soon"}, "malformed", "$.command.in_s"),
    ({"order_id": "o1"}, "malformed", "$.command"),
    ({"order_id": "o1", "dishes": [0], "in_s": 5}, "malformed", "$.command.dishes[0]"),
    ({"order_id": "o1", "dishes": [3], "in_s": 5}, "refused", "$.command.dishes[0]"),
    ({"order_id": "o9", "in_s": 5}, "unknown_order", "$.command.order_id"),
])
def test_a_bad_estimate_is_refused_naming_the_field(command: dict[str, Any], code: str,
                                                     field: str) -> None:
    svc, ctl = _site()
    reply = _ask(svc, {"type": "expectReady", **command})
    assert not reply.ok and reply.error is not None
    assert (reply.error.code, reply.error.field) == (code, field), reply.error.message
    assert all(d.expected_at is None for d in ctl.book.orders["o1"].dishes)


@pytest.mark.parametrize("in_s", [-0.5, 7200.5, float("nan"), float("inf")])
def test_the_order_book_refuses_a_time_that_cannot_be_meant(in_s: float) -> None:
    """The same bounds for an in-process till, which no message schema checks."""
    _, ctl = _site()
    with pytest.raises(OrderError, match="expected ready in"):
        ctl.expect_ready("o1", 0, in_s, 1.0)
    with pytest.raises(OrderError, match="no dish 3"):
        ctl.expect_ready("o1", 2, 5.0, 1.0)
