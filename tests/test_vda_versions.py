"""Issue 13: a robot model says which VDA 5050 version its vehicles speak, the map
they are on and how near a node they must come, and the controller writes what
that vehicle reads. A 2.0.0 vehicle gets ``version: 2.0.0`` headers and its
instant actions under ``instantActions``; a 2.1.0 one the official 2.1 schemas'
shapes. Every node carries the model's ``mapId`` and allowed deviations (a
vehicle reading an absent one as 0 never counts a node reached), and a robot
reporting another map is a named, alerted fault.

Orders are built the controller's way (``leg_order`` for a leg on the small room)
and sent through the real ``MqttRobotLink``; only the broker is left out: the
master records what it would publish.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import pytest
from e2e import ONE_TRAY, small_room
from test_vda_codec import schema_errors

from drivers.mqtt import MqttSettings
from drivers.vda5050 import Topic, Vehicle, WireError, decode_instant_actions, decode_order
from drivers.vda5050.master import VdaMaster
from fleet.api.alerts import classify
from fleet.assembly import build_controller
from fleet.controller.legs import Leg, leg_order
from fleet.domain import RobotMode, RobotModel
from fleet.domain import events as ev
from fleet.store import MemoryStore
from fleet.vda import Action, BlockingType, ConnectionState, Order, Position, RobotState

V20 = replace(ONE_TRAY, protocol_version="2.0.0", map_id="ground-floor",
              allowed_deviation_xy=0.2, allowed_deviation_theta=0.5)
V21 = replace(ONE_TRAY, protocol_version="2.1.0", map_id="terrace")
CELLS = ((1, 0), (1, 1), (1, 2), (1, 3))
INSTANT = (Action("startPause", "p1", BlockingType.NONE),
           Action("cancelOrder", "c1", BlockingType.HARD))


class RecordingMaster(VdaMaster):
    """A master whose broker is a list: what ``publish`` would have sent, in order."""

    def __init__(self) -> None:
        super().__init__(MqttSettings("localhost"))
        self.sent: list[tuple[Topic, bytes]] = []

    @property
    def online(self) -> bool:
        return True

    async def publish(self, vehicle: Vehicle, topic: Topic, payload: bytes) -> None:
        self.sent.append((topic, payload))


def leg(model: RobotModel) -> Order:
    """The controller's order for a leg of four cells, two released."""
    plan = small_room()
    pick = Action("pick", "pick-1", BlockingType.HARD, {"lhd": "tray1"})
    return leg_order(plan, model, Leg("R1-x-1", CELLS, (pick,), goals=frozenset({CELLS[-1]})), 1)


async def sent_for(model: RobotModel, actions: Sequence[Action] = INSTANT,
                   ) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Order and instant actions for a vehicle of ``model``, as the link publishes them."""
    master = RecordingMaster()
    async with master.link(model.manufacturer, "R1", version=model.protocol_version) as link:
        await link.send_order(leg(model))
        await link.send_instant_actions(actions)
    (order_topic, order), (instant_topic, instant) = master.sent
    assert (order_topic, instant_topic) == (Topic.ORDER, Topic.INSTANT_ACTIONS)
    return json.loads(order), json.loads(instant), order, instant


# -- D1, D2: the header version and the instant actions key follow the model ------------------

@pytest.mark.asyncio
async def test_a_2_0_model_gets_2_0_headers_and_its_instant_actions_under_instant_actions(
        ) -> None:
    order, instant, _, raw = await sent_for(V20)
    assert order["version"] == "2.0.0" and instant["version"] == "2.0.0"
    assert "actions" not in instant
    assert [a["actionType"] for a in instant["instantActions"]] == ["startPause", "cancelOrder"]
    # fleet's own simulated vehicles read it (either key, unless strict)
    assert decode_instant_actions(raw).body == INSTANT
    assert decode_instant_actions(raw, key="instantActions").body == INSTANT
    with pytest.raises(WireError, match="missing required field actions"):
        decode_instant_actions(raw, key="actions")


@pytest.mark.asyncio
async def test_a_2_1_model_gets_what_the_official_2_1_schemas_describe() -> None:
    order, instant, raw_order, raw_instant = await sent_for(V21)
    assert order["version"] == "2.1.0" and instant["version"] == "2.1.0"
    assert "instantActions" not in instant
    assert [a["actionId"] for a in instant["actions"]] == ["p1", "c1"]
    assert schema_errors("order", raw_order) == []
    assert schema_errors("instantActions", raw_instant) == []
    assert decode_instant_actions(raw_instant).body == INSTANT


@pytest.mark.asyncio
async def test_the_default_model_still_speaks_2_1_on_map_floor() -> None:
    order, instant, raw_order, _ = await sent_for(ONE_TRAY)
    assert order["version"] == instant["version"] == "2.1.0" and "actions" in instant
    assert {n["nodePosition"]["mapId"] for n in order["nodes"]} == {"floor"}
    assert schema_errors("order", raw_order) == []


# -- D3, D4: every node names the model's map and how near is near enough ----------------------

@pytest.mark.parametrize("model", [V20, V21], ids=["2.0", "2.1"])
@pytest.mark.asyncio
async def test_every_node_carries_the_models_map_and_allowed_deviations(
        model: RobotModel) -> None:
    order, _, raw, _ = await sent_for(model)
    resolution = small_room().resolution
    xy = model.allowed_deviation_xy if model.allowed_deviation_xy is not None else resolution / 2
    positions = [n["nodePosition"] for n in order["nodes"]]
    assert len(positions) == len(CELLS)
    for position in positions:
        assert position["mapId"] == model.map_id
        assert position["allowedDeviationXY"] == pytest.approx(xy)
        assert position["allowedDeviationTheta"] == pytest.approx(model.allowed_deviation_theta)
    # read back as the controller wrote it
    assert decode_order(raw).body == leg(model)


def test_the_default_deviation_is_half_a_planning_cell_and_a_heading_tolerance() -> None:
    nodes = leg(ONE_TRAY).nodes
    assert ONE_TRAY.allowed_deviation_xy is None
    for node in nodes:
        assert node.position is not None
        assert node.position.allowed_deviation_xy == pytest.approx(small_room().resolution / 2)
        assert 0 < (node.position.allowed_deviation_theta or 0) <= math.pi


def test_a_vehicle_named_with_a_version_that_is_not_2_x_is_refused() -> None:
    with pytest.raises(WireError, match=r"not a VDA 5050 2\.x version"):
        Vehicle("acme", "R1", "3.0.0")


# -- D3: a robot that reports another map ---------------------------------------------------------

def test_a_robot_reporting_another_map_is_a_named_alerted_fault() -> None:
    plan = small_room()
    ctl = build_controller(plan, {"R1": V21}, store=MemoryStore())
    ctl.on_connection("R1", ConnectionState.ONLINE, 0.0)
    x, y = plan.anchor_of((1, 0))

    def report(at: float, map_id: str) -> None:
        ctl.on_state(RobotState(serial="R1", timestamp=at, last_node_id="r1c0",
                                position=Position(x, y, 0.0, map_id)), at)

    report(1.0, "terrace")
    assert ctl.robots["R1"].mode is RobotMode.IDLE
    assert not [e for e in ctl.events if e.kind == ev.MAP_MISMATCH_DETECTED]

    report(2.0, "floor")
    report(3.0, "floor")  # the same mismatch again: told once
    found = [e for e in ctl.events if e.kind == ev.MAP_MISMATCH_DETECTED]
    assert len(found) == 1
    event = found[0]
    assert event.robot == "R1" and event.at == 2.0
    assert dict(event.data) == {"expected": "terrace", "reported": "floor"}
    assert "'floor'" in event.text and "'terrace'" in event.text
    assert ctl.robots["R1"].mode is RobotMode.FAULT
    raised = classify(event)
    assert raised is not None and raised.level == "critical"

    report(4.0, "terrace")
    assert ctl.robots["R1"].mode is RobotMode.IDLE
    report(5.0, "cellar")  # another map again: a new fact
    assert [e.data["reported"] for e in ctl.events
            if e.kind == ev.MAP_MISMATCH_DETECTED] == ["floor", "cellar"]
