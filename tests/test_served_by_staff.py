"""Dishes a person carries (issue 14, finding 1): the only way to close a dish for a
table robots could not reach was to cancel it, and a fleet short of robots left
dishes at the pass to the end of the run. "Served by staff" is an outcome of its
own: the dishes end, a robot given them drops them, the API takes it from the
manager or a kitchen display, and the simulator's floor staff use it when the
controller reports dishes late."""

from __future__ import annotations

import json
from typing import Any

import pytest
from e2e import Rig, run_rig, small_room
from simkit import MODEL

from fleet.api.service import ApiService
from fleet.assembly import build_controller
from fleet.controller.commands import SendInstantActions, SendOrder
from fleet.controller.lateness import LATE_AFTER_S
from fleet.controller.port import FleetPort
from fleet.domain import DishState
from fleet.domain import events as ev
from fleet.errors import OrderError
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore
from fleet.vda import ActionState, ActionStatus, ConnectionState, Position, RobotState
from sim.floor_staff import FloorStaff


def test_a_blocked_tables_dishes_end_as_carried_by_staff() -> None:
    plan = small_room()
    ctl = build_controller(plan, {"A": MODEL}, store=MemoryStore(), run_id="t")
    ctl.block_table("table-1", "a spill", 0.0)
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"), DishRequest("rice"))), 0.0)
    ctl.submit(OrderRequest("o2", "table-2", (DishRequest("tea"),)), 0.0)
    ctl.mark_ready("o1", 0, 1.0)
    with pytest.raises(OrderError, match="no dish for table 'table-2' is waiting"):
        ctl.served_by_staff("table-2", 2.0)  # still in the kitchen: nothing to carry
    ctl.served_by_staff("table-1", 30.0, "runner took it")
    soup, rice = ctl.book.orders["o1"].dishes
    assert soup.state is DishState.BY_STAFF and soup.served_at == 30.0
    assert soup.reason == "runner took it"
    assert rice.state is DishState.RECEIVED, "not ready: the kitchen still has it"
    told = [e for e in ctl.events if e.kind == ev.DISH_BY_STAFF]
    assert [e.dish_id for e in told] == [soup.dish_id]
    with pytest.raises(OrderError):
        ctl.served_by_staff("table-1", 31.0)


def test_a_robot_waiting_at_the_pass_for_a_dish_staff_carried_out_moves_on() -> None:
    plan = small_room()
    ctl = build_controller(plan, {"A": MODEL}, store=MemoryStore(), run_id="t")
    x, y = plan.anchor_of(plan.place("pass").cells[1])
    ctl.on_connection("A", ConnectionState.ONLINE, 0.0)
    ctl.on_state(RobotState("A", 0.0, position=Position(x, y)), 0.0)
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    sent = [c for c in ctl.mark_ready("o1", 0, 1.0) if isinstance(c, SendOrder)]
    dish = ctl.book.orders["o1"].dishes[0]
    assert dish.state is DishState.ASSIGNED and sent, "given to A, standing at the pass"
    order = sent[-1].order
    assert [a.action_type for a in order.nodes[0].actions] == ["pick"]
    ctl.served_by_staff("table-1", 2.0)
    assert ctl.book.orders["o1"].dishes[0].state is DishState.BY_STAFF
    # The vehicle takes the order it was sent: its pick is called off at once.
    out = ctl.on_state(RobotState("A", 3.0, position=Position(x, y), order_id=order.order_id,
                                  last_node_id=order.nodes[0].node_id), 3.0)
    cancels = [c for c in out if isinstance(c, SendInstantActions)
               and [a.action_type for a in c.actions] == ["cancelOrder"]]
    assert cancels, "staff are not left to load a dish a person carried out"
    pick = order.nodes[0].actions[0].action_id
    failed = (ActionState(pick, ActionStatus.FAILED),)
    for t in (4.0, 5.0, 6.0):
        ctl.on_state(RobotState("A", t, position=Position(x, y), order_id=order.order_id,
                                last_node_id=order.nodes[0].node_id, action_states=failed), t)
        ctl.tick(t)
    assert ctl.robots["A"].trip is None or ctl.robots["A"].trip.kind.value != "serve", \
        "nothing left to serve: the trip is over"


def _request(command: dict[str, Any]) -> bytes:
    return json.dumps({"request_id": "kds-1", "command": command}).encode()


def test_the_api_takes_it_from_a_kitchen_display_and_names_a_wrong_table() -> None:
    ctl = build_controller(small_room(), {"A": MODEL}, store=MemoryStore(), run_id="t")
    svc = ApiService(FleetPort(ctl), "bistro")
    ctl.block_table("table-1", "a spill", 0.0)
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    ctl.mark_ready("o1", 0, 1.0)
    reply, _ = svc.handle("pos", "kds", _request({"type": "servedByStaff", "table": "T9"}), 2.0)
    assert not reply.ok and reply.error is not None
    assert (reply.error.code, reply.error.field) == ("unknown_table", "$.command.table")
    reply, _ = svc.handle("pos", "kds",
                          _request({"type": "servedByStaff", "table": "table-1"}), 3.0)
    assert reply.ok, reply
    assert ctl.book.orders["o1"].dishes[0].state is DishState.BY_STAFF
    reply, _ = svc.handle("pos", "kds",
                          _request({"type": "servedByStaff", "table": "table-1"}), 4.0)
    assert not reply.ok and reply.error is not None and reply.error.code == "refused"
    assert "waiting at the pass" in reply.error.message


def test_floor_staff_carry_what_the_late_alert_names() -> None:
    help_after = 60.0

    async def scene(rig: Rig) -> None:
        staff = FloorStaff(rig.runtime, help_after)
        await rig.runtime.execute(rig.controller.block_table("table-1", "a spill", rig.now()))
        blocked = await rig.order("table-1")
        served = await rig.order("table-2")
        while not rig.dish(blocked).state.final:
            await rig.settle(5.0)
            staff.look()
            assert rig.now() < 600.0, rig.describe()
        dish = rig.dish(blocked)
        assert dish.state is DishState.BY_STAFF
        assert dish.ready_at is not None and dish.served_at is not None
        assert LATE_AFTER_S + help_after <= dish.served_at - dish.ready_at \
            <= LATE_AFTER_S + help_after + 10.0
        await rig.until(lambda: rig.dish(served).state.final, what="the other table served")
        assert rig.dish(served).state is DishState.SERVED, "robots serve where they can"
        assert staff.carried == 1
        staff.close()

    run_rig(small_room(), {"R1": (1, 0)}, scene)
