"""Names as the restaurant writes them (issue 14, finding 9): a Korean restaurant
names its tables 창가1 (window 1) and 룸A (room A). They are accepted everywhere a
table is named, served like any other; a name that cannot be one (it would be
a topic level: ``/ + #``) is refused with the rule in words, not a regular
expression."""

from __future__ import annotations

import json
from typing import Any

from e2e import ROOM, Rig, floor, run_rig
from simkit import MODEL

from fleet.api.service import ApiService
from fleet.assembly import build_controller
from fleet.controller.port import FleetPort
from fleet.domain import DishState
from fleet.floor.model import FloorPlan, PlaceKind
from fleet.store import MemoryStore


def korean_room() -> FloorPlan:
    return floor(ROOM, {"주방": (PlaceKind.PASS, [(0, 0), (1, 0)]),
                        "창가1": (PlaceKind.TABLE, [(0, 11)]),
                        "룸A": (PlaceKind.TABLE, [(4, 11)])}, name="한식당")


def _ask(svc: ApiService, command: dict[str, Any]) -> Any:
    payload = json.dumps({"request_id": "pos-1", "command": command},
                         ensure_ascii=False).encode()
    reply, _ = svc.handle("pos", "till", payload, 1.0)
    return reply


def test_korean_table_names_are_taken_and_a_bad_name_is_told_in_words() -> None:
    ctl = build_controller(korean_room(), {"R1": MODEL}, store=MemoryStore(), run_id="t")
    svc = ApiService(FleetPort(ctl), "hansik")
    ok = _ask(svc, {"type": "submitOrder", "order_id": "주문-1", "table": "창가1",
                    "dishes": [{"name": "비빔밥"}]})
    assert ok.ok, ok
    assert ctl.book.orders["주문-1"].table == "창가1"
    near = _ask(svc, {"type": "submitOrder", "order_id": "o2", "table": "창가2",
                      "dishes": [{"name": "김치찌개"}]})
    assert near.error.code == "unknown_table" and "창가1" in near.error.message
    bad = _ask(svc, {"type": "submitOrder", "order_id": "o3", "table": "창가/1",
                     "dishes": [{"name": "x"}]})
    assert (bad.error.code, bad.error.field) == ("malformed", "$.command.table")
    assert "any language" in bad.error.message and "regex" not in bad.error.message


def test_a_dish_for_a_korean_named_table_is_served() -> None:
    async def scene(rig: Rig) -> None:
        oid = await rig.order("창가1")
        await rig.until(lambda: rig.dish(oid).state.final, what="the dish ends")
        assert rig.dish(oid).state is DishState.SERVED

    run_rig(korean_room(), {"R1": (1, 0)}, scene)
