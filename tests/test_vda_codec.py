"""VDA 5050 JSON: controller values survive the wire, every message the fleet writes
validates against the official 2.1.0 schema files, and 2.0-era vehicles are read."""

from __future__ import annotations

import itertools
import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from drivers.vda5050 import (
    DELIVERY,
    MAX_PAYLOAD_BYTES,
    Topic,
    TopicAddress,
    Vehicle,
    WireError,
    decode_connection,
    decode_factsheet,
    decode_instant_actions,
    decode_order,
    decode_state,
    decode_visualization,
    encode_connection,
    encode_factsheet,
    encode_instant_actions,
    encode_order,
    encode_state,
    encode_visualization,
    iso_timestamp,
    parse_topic,
    subscription,
    topic_name,
)
from fleet.errors import ProtocolError
from fleet.link import PREDEFINED_ACTIONS, Capabilities
from fleet.vda import (
    Action,
    ActionState,
    ActionStatus,
    BatteryState,
    BlockingType,
    ConnectionState,
    Edge,
    EdgeState,
    ErrorLevel,
    EStop,
    Load,
    Node,
    NodePosition,
    NodeState,
    OperatingMode,
    Order,
    Position,
    RobotError,
    RobotState,
)

jsonschema = pytest.importorskip("jsonschema")

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "vda5050" / "schemas"
VEHICLE = Vehicle("acme", "R1")
AT = 1_700_000_000.25
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d\dZ$")


def schema_errors(name: str, raw: bytes, *, ours: bool = True) -> list[str]:
    """Every violation of the official schema ``name`` (empty when valid); what ``ours``
    wrote also has the spec's timestamp form (jsonschema checks no formats here)."""
    if not SCHEMAS.is_dir():
        pytest.skip(f"official VDA 5050 schemas not found at {SCHEMAS} (shared/ beside the clone)")
    schema = json.loads((SCHEMAS / f"{name}.schema").read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)(schema)
    doc = json.loads(raw)
    if ours and "timestamp" in doc:
        assert STAMP.match(doc["timestamp"]), doc["timestamp"]
    return [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]


def pick(tray: int, dish: str) -> Action:
    return Action("pick", f"pick-{dish}", BlockingType.HARD,
                  {"lhd": f"tray{tray}", "loadId": dish, "loadType": "dish", "stationType": "pass"})


def make_order(update: int = 0) -> Order:
    """Base r1c1 -> r1c2 -> r1c3, horizon r2c3 -> r3c3; actions on both ends."""
    cells = ["r1c1", "r1c2", "r1c3", "r2c3", "r3c3"]
    nodes = tuple(
        Node(cell, 2 * i, released=i < 3,
             position=NodePosition(0.5 + i, 1.5, theta=-math.pi / 2 if i == 4 else None,
                                   allowed_deviation_xy=0.25),
             actions=(pick(1, "d1"), pick(2, "d2")) if i == 0 else (
                 (Action("drop", "drop-d1", parameters={"lhd": "tray1", "loadId": "d1"}),
                  Action("waitForTrigger", "wait-1", BlockingType.HARD,
                         {"triggerType": "trayEmptied", "trays": ["tray1", "tray2"],
                          "timeout": 90.5, "nested": {"ok": True, "n": [1, 2.5]}},
                         description="guest takes the dishes"))
                 if i == 4 else ()))
        for i, cell in enumerate(cells))
    edges = tuple(Edge(f"{a}-{b}", 2 * i + 1, released=i < 2, start_node_id=a, end_node_id=b,
                       max_speed=0.8 if i == 1 else None)
                  for i, (a, b) in enumerate(itertools.pairwise(cells)))
    order = Order("leg-7", update, nodes, edges)
    order.check()
    return order


def make_state(**changes: Any) -> RobotState:
    fields: dict[str, Any] = dict(
        serial="R1", timestamp=AT, order_id="leg-7", order_update_id=3,
        last_node_id="r1c2", last_node_sequence_id=2,
        node_states=tuple(NodeState(f"r1c{i}", 2 * i, i < 6) for i in range(2, 12)),
        edge_states=tuple(EdgeState(f"e{i}", 2 * i + 1, i < 6) for i in range(2, 11)),
        action_states=(ActionState("pick-d1", ActionStatus.FINISHED, "pick"),
                       ActionState("pick-d2", ActionStatus.FAILED, "pick", "tray jammed"),
                       ActionState("drop-d1", ActionStatus.WAITING, "drop"),
                       ActionState("wait-1", ActionStatus.RUNNING, "waitForTrigger"),
                       ActionState("x", ActionStatus.INITIALIZING)),
        driving=True, battery=BatteryState(63.5, charging=False),
        operating_mode=OperatingMode.SEMIAUTOMATIC,
        errors=(RobotError("orderUpdateError", ErrorLevel.WARNING, "stale update",
                           {"orderId": "leg-7", "orderUpdateId": "2"}),
                RobotError("laserDirty", ErrorLevel.FATAL)),
        e_stop=EStop.AUTOACK, paused=True, position=Position(3.25, -1.5, 1.0, "floor", True),
        loads=(Load("tray1", "d1", "dish"), Load("tray2", "d2", "dish"), Load("tray3", "", "")))
    fields.update(changes)
    return RobotState(**fields)


# -- round trips, each validated against the official schema ---------------------------------


@pytest.mark.parametrize("update", [0, 4])
def test_order_round_trip_with_base_horizon_and_actions(update: int) -> None:
    order = make_order(update)
    raw = encode_order(order, VEHICLE, header_id=17, at=AT)
    assert schema_errors("order", raw) == []
    doc = json.loads(raw)
    assert doc["version"] == "2.1.0" and doc["headerId"] == 17
    assert doc["timestamp"] == "2023-11-14T22:13:20.25Z"
    assert [n["released"] for n in doc["nodes"]] == [True, True, True, False, False]
    assert doc["nodes"][0]["actions"][0]["actionParameters"][0] == {"key": "lhd", "value": "tray1"}
    assert doc["nodes"][1]["nodePosition"]["allowedDeviationXY"] == 0.25
    assert "maxSpeed" not in doc["edges"][0] and doc["edges"][1]["maxSpeed"] == 0.8
    back = decode_order(raw, "uagv/v2/acme/R1/order")
    assert back.body == order
    assert back.header.header_id == 17 and back.header.timestamp == AT


def test_instant_actions_round_trip() -> None:
    actions = (Action("cancelOrder", "c1"), Action("startPause", "p1", BlockingType.NONE),
               Action("initPosition", "i1", BlockingType.SOFT,
                      {"x": 1.5, "y": 2, "theta": 0.0, "mapId": "floor", "lastNodeId": "r1c1"}))
    raw = encode_instant_actions(actions, VEHICLE, header_id=0, at=AT)
    assert schema_errors("instantActions", raw) == []
    assert decode_instant_actions(raw, "uagv/v2/acme/R1/instantActions").body == actions


@pytest.mark.parametrize("loads", [None, (), (Load("tray2", "d9", "dirty"),)])
def test_state_round_trip(loads: tuple[Load, ...] | None) -> None:
    state = make_state(loads=loads)
    raw = encode_state(state, VEHICLE, header_id=4_000_000_000, at=AT)
    assert schema_errors("state", raw) == []
    assert ("loads" in json.loads(raw)) is (loads is not None)
    assert decode_state(raw, "uagv/v2/acme/R1/state").body == state


def test_idle_state_without_position_round_trips() -> None:
    state = RobotState(serial="R1", timestamp=AT, position=None, loads=None)
    raw = encode_state(state, VEHICLE, header_id=1, at=AT)
    assert schema_errors("state", raw) == []
    assert decode_state(raw).body == state


def test_paused_action_status_is_written_and_read_though_the_schema_lacks_it() -> None:
    state = make_state(action_states=(ActionState("wait-1", ActionStatus.PAUSED),))
    raw = encode_state(state, VEHICLE, header_id=1, at=AT)
    assert decode_state(raw).body.action_states[0].status is ActionStatus.PAUSED
    errors = schema_errors("state", raw)
    assert len(errors) == 1 and errors[0].startswith("$.actionStates[0].actionStatus: 'PAUSED'")


def test_received_at_replaces_the_vehicle_clock() -> None:
    raw = encode_state(make_state(), VEHICLE, header_id=1, at=AT)
    inbound = decode_state(raw, received_at=12.5)
    assert inbound.body.timestamp == 12.5 and inbound.header.timestamp == AT


@pytest.mark.parametrize("connection", list(ConnectionState))
def test_connection_round_trip(connection: ConnectionState) -> None:
    raw = encode_connection(connection, VEHICLE, header_id=2, at=AT)
    assert schema_errors("connection", raw) == []
    inbound = decode_connection(raw, "uagv/v2/acme/R1/connection")
    assert inbound.body is connection and inbound.header.serial == "R1"


def test_visualization_round_trip() -> None:
    position = Position(1.0, 2.0, -3.0, "floor", True)
    raw = encode_visualization(position, VEHICLE, header_id=9, at=AT, velocity=(0.5, 0.0, 0.1))
    assert schema_errors("visualization", raw) == []
    assert decode_visualization(raw, "uagv/v2/acme/R1/visualization").body == position
    bare = decode_visualization(b"{}", "uagv/v2/acme/R1/visualization")
    assert bare.body is None and (bare.header.manufacturer, bare.header.serial) == ("acme", "R1")


@pytest.mark.parametrize("caps", [
    Capabilities("acme", "R1", model="Tray-3", trays=3, max_speed=1.2,
                 supported_actions=PREDEFINED_ACTIONS, max_nodes_per_order=40,
                 max_string_length=64, can_sense_loads=True),
    Capabilities("bolt", "S-2.b:x", model="Bare", trays=0, max_speed=0.6,
                 supported_actions=frozenset({"pick", "drop", "customDance"}),
                 can_sense_loads=False),
])
def test_factsheet_round_trip(caps: Capabilities) -> None:
    raw = encode_factsheet(caps, header_id=1, at=AT)
    assert schema_errors("factsheet", raw) == []
    topic = f"uagv/v2/{caps.manufacturer}/{caps.serial}/factsheet"
    assert decode_factsheet(raw, topic).body == caps


# -- the header and numbers -------------------------------------------------------------------


def test_timestamps_are_utc_hundredths() -> None:
    assert iso_timestamp(0.0) == "1970-01-01T00:00:00.00Z"
    assert iso_timestamp(1.999) == "1970-01-01T00:00:02.00Z"
    assert iso_timestamp(AT) == "2023-11-14T22:13:20.25Z"
    stamp = datetime.fromisoformat(iso_timestamp(AT)).astimezone(UTC)
    assert stamp.timestamp() == AT


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_never_written(bad: float) -> None:
    order = make_order()
    node = order.nodes[1]
    bad_node = Node(node.node_id, node.sequence_id, True, NodePosition(bad, 0.0))
    broken = Order(order.order_id, 0, (order.nodes[0], bad_node, *order.nodes[2:]), order.edges)
    with pytest.raises(WireError, match=r"\$\.nodes\[1\]\.nodePosition\.x"):
        encode_order(broken, VEHICLE, header_id=1, at=AT)
    with pytest.raises(WireError, match=r"actionParameters\[0\]\.value\[1\]"):
        encode_instant_actions([Action("x", "a", parameters={"v": [1.0, bad]})], VEHICLE,
                               header_id=1, at=AT)
    with pytest.raises(WireError, match="batteryCharge"):
        encode_state(make_state(battery=BatteryState(bad)), VEHICLE, header_id=1, at=AT)
    with pytest.raises(WireError, match="timestamp"):
        encode_connection(ConnectionState.ONLINE, VEHICLE, header_id=1, at=bad)


def test_values_json_cannot_hold_are_refused() -> None:
    for params in ({"v": None}, {"v": object()}, {"v": {1: "a"}}, {"v": "\ud800"}):
        with pytest.raises(WireError):
            encode_instant_actions([Action("x", "a", parameters=params)], VEHICLE, header_id=1,
                                   at=AT)
    with pytest.raises(WireError, match="headerId"):
        encode_connection(ConnectionState.ONLINE, VEHICLE, header_id=2**32, at=AT)


def test_angles_go_out_within_the_schema_bounds() -> None:
    order = Order("o", 0, (Node("a", 0, True, NodePosition(0.0, 0.0, theta=3 * math.pi / 2)),), ())
    raw = encode_order(order, VEHICLE, header_id=1, at=AT)
    assert schema_errors("order", raw) == []
    theta = decode_order(raw).body.nodes[0].position.theta  # type: ignore[union-attr]
    assert theta == pytest.approx(-math.pi / 2)


# -- 2.0.x vehicles and masters ---------------------------------------------------------------


def test_a_2_0_order_with_allowed_deviation_xy_is_read() -> None:
    doc = json.loads(encode_order(make_order(), VEHICLE, header_id=1, at=AT))
    doc["version"] = "2.0.0"
    for node in doc["nodes"]:
        node["nodePosition"]["allowedDeviationXy"] = node["nodePosition"].pop("allowedDeviationXY")
    raw = json.dumps(doc).encode()
    assert schema_errors("order", raw, ours=False) == []
    inbound = decode_order(raw)
    assert inbound.header.version == "2.0.0"
    assert inbound.body == make_order()


def test_a_2_0_state_is_read() -> None:
    doc = json.loads(encode_state(make_state(), VEHICLE, header_id=1, at=AT))
    doc["version"] = "2.0.1"
    doc["timestamp"] = "2023-11-14T22:13:20.250+00:00"
    raw = json.dumps(doc).encode()
    assert schema_errors("state", raw, ours=False) == []
    assert decode_state(raw).body == make_state()


def test_2_0_instant_actions_spellings_are_read() -> None:
    old = {"headerId": 1, "timestamp": "2023-11-14T22:13:20.25Z", "version": "2.0.0",
           "manufacturer": "acme", "serialNumber": "R1",
           "instantActions": [{"actionName": "startPause", "actionId": "p", "blockingType": "HARD"},
                              {"actionType": "cancelOrder", "actionId": "c",
                               "blockingType": "NONE"}]}
    body = decode_instant_actions(json.dumps(old).encode()).body
    assert [(a.action_type, a.action_id) for a in body] == [("startPause", "p"),
                                                            ("cancelOrder", "c")]
    old["instantActions"][0].pop("actionName")  # type: ignore[index]
    with pytest.raises(WireError, match=r"\$\.instantActions\[0\]: .*actionType"):
        decode_instant_actions(json.dumps(old).encode())


@pytest.mark.parametrize("version", ["1.1.0", "3.0.0", "2", "v2.1.0", ""])
def test_other_major_versions_are_refused(version: str) -> None:
    doc = json.loads(encode_connection(ConnectionState.ONLINE, VEHICLE, header_id=1, at=AT))
    doc["version"] = version
    with pytest.raises(WireError, match=r"\$\.version"):
        decode_connection(json.dumps(doc).encode())


# -- refusals say what and where -----------------------------------------------------------------


def test_a_wrong_type_is_located_and_quoted() -> None:
    doc = json.loads(encode_state(make_state(), VEHICLE, header_id=1, at=AT))
    doc["batteryState"]["batteryCharge"] = "x"
    with pytest.raises(ProtocolError) as caught:
        decode_state(json.dumps(doc).encode(), "uagv/v2/acme/R1/state")
    assert str(caught.value) == ('state from uagv/v2/acme/R1/state: $.batteryState.batteryCharge: '
                                 'expected number, got "x"')
    assert isinstance(caught.value, WireError)
    assert caught.value.path == "$.batteryState.batteryCharge"


@pytest.mark.parametrize(("mutate", "path", "reason"), [
    (lambda d: d["safetyState"].pop("eStop"), "$.safetyState", "missing required field eStop"),
    (lambda d: d["actionStates"][1].update(actionStatus="DONE"), "$.actionStates[1].actionStatus",
     "invalid enum value 'DONE'"),
    (lambda d: d.update(operatingMode="automatic"), "$.operatingMode", "invalid enum value"),
    (lambda d: d.update(orderUpdateId=-1), "$.orderUpdateId", ">= 0"),
    (lambda d: d.update(timestamp="yesterday"), "$.timestamp", "ISO 8601"),
    (lambda d: d.update(serialNumber="R2"), "$.serialNumber", "does not match"),
    (lambda d: d.update(manufacturer="other"), "$.manufacturer", "does not match"),
])
def test_refusals_name_the_field(mutate: Any, path: str, reason: str) -> None:
    doc = json.loads(encode_state(make_state(), VEHICLE, header_id=1, at=AT))
    mutate(doc)
    with pytest.raises(WireError) as caught:
        decode_state(json.dumps(doc).encode(), "uagv/v2/acme/R1/state")
    assert caught.value.path == path and reason in caught.value.reason


def test_a_message_on_another_kind_of_topic_is_refused() -> None:
    raw = encode_connection(ConnectionState.ONLINE, VEHICLE, header_id=1, at=AT)
    with pytest.raises(WireError, match="connection message on the state topic"):
        decode_connection(raw, "uagv/v2/acme/R1/state")


def test_oversized_payloads_are_refused_before_parsing() -> None:
    raw = b'{"pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    with pytest.raises(WireError, match="bytes is more than"):
        decode_state(raw)


# -- topics -------------------------------------------------------------------------------------


def test_topics_are_built_and_parsed() -> None:
    name = topic_name("acme", "R1", Topic.INSTANT_ACTIONS)
    assert name == "uagv/v2/acme/R1/instantActions"
    assert parse_topic(name) == TopicAddress("acme", "R1", Topic.INSTANT_ACTIONS)
    assert topic_name("acme", "R1", Topic.STATE, interface="site7") == "site7/v2/acme/R1/state"
    assert parse_topic("site7/v2/acme/R1/state", interface=None).topic is Topic.STATE
    assert subscription(Topic.STATE) == "uagv/v2/+/+/state"
    assert subscription(Topic.CONNECTION, manufacturer="acme") == "uagv/v2/acme/+/connection"


def test_delivery_follows_the_spec() -> None:
    assert (DELIVERY[Topic.CONNECTION].qos, DELIVERY[Topic.CONNECTION].retain) == (1, True)
    assert DELIVERY[Topic.FACTSHEET].retain
    for topic in (Topic.ORDER, Topic.INSTANT_ACTIONS, Topic.STATE, Topic.VISUALIZATION):
        assert (DELIVERY[topic].qos, DELIVERY[topic].retain) == (0, False)
    assert set(DELIVERY) == set(Topic)


def test_vendor_fields_and_unused_blocks_are_skipped() -> None:
    doc = json.loads(encode_state(make_state(), VEHICLE, header_id=1, at=AT))
    doc["information"] = [{"infoType": "battery", "infoLevel": "INFO"}]
    doc["maps"] = [{"mapId": "floor", "mapVersion": "3", "mapStatus": "ENABLED"}]
    doc["acmeTrayTemperatures"] = {"tray1": 61.5}
    raw = json.dumps(doc).encode()
    assert schema_errors("state", raw) == []
    assert decode_state(raw).body == make_state()


def test_a_factsheet_without_speed_or_trays_is_read_for_what_it_says() -> None:
    caps = Capabilities("acme", "R1", trays=2, max_speed=1.0)
    doc = json.loads(encode_factsheet(caps, header_id=1, at=AT))
    doc["loadSpecification"] = {}
    assert decode_factsheet(json.dumps(doc).encode()).body.trays == 0
    doc["physicalParameters"]["speedMax"] = 0
    with pytest.raises(WireError, match=r"\$\.physicalParameters\.speedMax"):
        decode_factsheet(json.dumps(doc).encode())
