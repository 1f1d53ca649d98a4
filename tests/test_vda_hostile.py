"""Hostile VDA 5050 input: whatever arrives, a decoder returns a value or raises
``ProtocolError``, never anything else, and returns promptly."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.vda5050 import (
    MAX_DEPTH,
    MAX_ITEMS,
    Inbound,
    Topic,
    Vehicle,
    WireError,
    decode_connection,
    decode_factsheet,
    decode_instant_actions,
    decode_order,
    decode_state,
    decode_visualization,
    encode_factsheet,
    encode_order,
    encode_state,
    parse_topic,
    topic_name,
)
from fleet.errors import ProtocolError
from fleet.link import Capabilities
from fleet.vda import (
    Action,
    ActionState,
    ActionStatus,
    Edge,
    EdgeState,
    Load,
    Node,
    NodePosition,
    NodeState,
    Order,
    Position,
    RobotError,
    RobotState,
)
from fleet.vda.messages import ErrorLevel

VEHICLE = Vehicle("acme", "R1")
Decoder = Callable[..., Inbound[Any]]
DECODERS: list[Decoder] = [decode_state, decode_connection, decode_factsheet, decode_order,
                           decode_instant_actions, decode_visualization]

STATE = encode_state(RobotState(
    serial="R1", timestamp=0.0, order_id="o", order_update_id=1, last_node_id="a",
    node_states=(NodeState("b", 2, True), NodeState("c", 4, False)),
    edge_states=(EdgeState("ab", 1, True),),
    action_states=(ActionState("x", ActionStatus.RUNNING, "pick", "half"),),
    errors=(RobotError("e", ErrorLevel.WARNING, "d", {"k": "v"}),),
    position=Position(1.0, 2.0, 0.5), loads=(Load("tray1", "d1"),)), VEHICLE, header_id=3, at=1.0)
ORDER = encode_order(Order("o", 0, (
    Node("a", 0, True, NodePosition(0.0, 0.0, 0.0, allowed_deviation_xy=0.1),
         (Action("pick", "p", parameters={"lhd": "tray1", "n": [1, {"k": 2.5}]}),)),
    Node("b", 2, False, NodePosition(1.0, 0.0))), (Edge("ab", 1, False, "a", "b", 0.5),)),
    VEHICLE, header_id=1, at=1.0)
FACTSHEET = encode_factsheet(Capabilities("acme", "R1", max_nodes_per_order=9), header_id=1, at=1.0)
VALID: dict[Decoder, bytes] = {decode_state: STATE, decode_order: ORDER,
                               decode_factsheet: FACTSHEET}

json_scalars = (st.none() | st.booleans() | st.integers(-(2**70), 2**70)
                | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda inner: (st.lists(inner, max_size=6)
                   | st.dictionaries(st.sampled_from(["headerId", "timestamp", "version",
                                                      "manufacturer", "serialNumber", "nodes",
                                                      "actions", "x", "batteryState"])
                                     | st.text(max_size=8), inner, max_size=6)),
    max_leaves=40)


def outcome(decode: Decoder, payload: bytes, topic: str | None = None) -> Inbound[Any] | None:
    """The decoder's result, or None when it refused with a ProtocolError (the only
    exception it may raise: anything else fails the test)."""
    try:
        return decode(payload, topic)
    except ProtocolError as exc:
        assert isinstance(exc, WireError) and exc.path and exc.reason
        return None


Step = str | int


def paths(value: Any, prefix: tuple[Step, ...] = ()) -> list[tuple[tuple[Step, ...], Any]]:
    """Every (steps, value) inside a decoded JSON document, the root excluded."""
    found: list[tuple[tuple[Step, ...], Any]] = []
    children: Any = (value.items() if isinstance(value, dict) else
                     enumerate(value) if isinstance(value, list) else ())
    for key, child in children:
        found.append(((*prefix, key), child))
        found.extend(paths(child, (*prefix, key)))
    return found


def json_path(steps: tuple[Step, ...]) -> str:
    """As msgspec writes it: dotted keys (``order.nodes``) show as ``[...]``."""
    return "$" + "".join(f"[{s}]" if isinstance(s, int) else "[...]" if "." in s else f".{s}"
                         for s in steps)


def replaced(doc: Any, steps: tuple[Step, ...], new: Any) -> Any:
    target = doc
    for step in steps[:-1]:
        target = target[step]
    target[steps[-1]] = new
    return doc


def wrong_type(value: Any) -> Any:
    """A value no field typed like ``value`` accepts."""
    if isinstance(value, str):
        return 7
    if isinstance(value, bool | int | float):
        return "7"
    return [] if isinstance(value, dict) else {}


@pytest.mark.parametrize("decode", DECODERS)
@given(value=json_values)
@settings(max_examples=150, deadline=None)
def test_random_json_is_refused_cleanly(decode: Decoder, value: Any) -> None:
    outcome(decode, json.dumps(value).encode())


@pytest.mark.parametrize("decode", DECODERS)
@given(payload=st.binary(max_size=300))
@settings(max_examples=150, deadline=None)
def test_random_bytes_are_refused_cleanly(decode: Decoder, payload: bytes) -> None:
    assert outcome(decode, payload) is None or payload.strip().startswith(b"{")


@pytest.mark.parametrize("decode", list(VALID))
def test_every_field_with_a_wrong_type_is_refused_and_located(decode: Decoder) -> None:
    doc = json.loads(VALID[decode])
    assert outcome(decode, VALID[decode]) is not None
    checked = 0
    for steps, value in paths(doc):
        if "actionParameters" in steps and "value" in steps:
            continue  # free-form JSON by the spec: any type is right there
        broken = replaced(json.loads(VALID[decode]), steps, wrong_type(value))
        with pytest.raises(WireError) as caught:
            decode(json.dumps(broken).encode())
        assert caught.value.path == json_path(steps), (steps, str(caught.value))
        checked += 1
    assert checked > 20


@pytest.mark.parametrize("decode", list(VALID))
@given(data=st.data())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_mutations_of_valid_messages_never_escape(decode: Decoder,
                                                         data: st.DataObject) -> None:
    doc = json.loads(VALID[decode])
    for _ in range(data.draw(st.integers(1, 3))):
        where = paths(doc)
        if not where:
            break
        steps, _value = data.draw(st.sampled_from(where))
        doc = replaced(doc, steps, data.draw(json_values))
    topic = data.draw(st.none() | st.text(max_size=30) | st.sampled_from(
        ["uagv/v2/acme/R1/state", "uagv/v2/acme/R1/order", "uagv/v2/acme/R1/factsheet"]))
    outcome(decode, json.dumps(doc).encode(), topic)


def test_huge_arrays_are_refused() -> None:
    doc = json.loads(STATE)
    doc["loads"] = [{}] * (MAX_ITEMS + 1)
    with pytest.raises(WireError, match=r"\$\.loads: .*length <= 10000"):
        decode_state(json.dumps(doc).encode())
    doc["loads"] = []
    doc["nodeStates"] = [{"nodeId": "n", "sequenceId": 0, "released": True}] * 100_000
    with pytest.raises(WireError, match="bytes is more than"):
        decode_state(json.dumps(doc).encode())
    order = json.loads(ORDER)
    order["nodes"][0]["actions"][0]["actionParameters"][0]["value"] = [[0] * 6000] * 2
    with pytest.raises(WireError, match=r"actionParameters\[0\]\.value: more than"):
        decode_order(json.dumps(order).encode())


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    nested = "[" * depth + "]" * depth
    order = ORDER.decode().replace('"value":"tray1"', f'"value":{nested}')
    with pytest.raises(WireError, match="deep"):
        decode_order(order.encode())
    state = STATE.decode().replace('"driving":false', f'"driving":false,"extra":{nested}')
    if depth > 1000:  # unknown fields are skipped, but not past the parser's recursion limit
        with pytest.raises(WireError, match="deep"):
            decode_state(state.encode())
    else:
        assert outcome(decode_state, state.encode()) is not None


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999", "-1e400"])
def test_nan_and_infinity_are_refused(number: str) -> None:
    state = STATE.decode().replace('"batteryCharge":100.0', f'"batteryCharge":{number}')
    assert state != STATE.decode()
    with pytest.raises(WireError, match=r"\$"):
        decode_state(state.encode())


def test_broken_unicode_is_refused() -> None:
    state = STATE.replace(b'"orderId":"o"', b'"orderId":"\xed\xa0\x80\xff"')
    with pytest.raises(WireError):
        decode_state(state)


@pytest.mark.parametrize("name", [
    "uagv/v2/acme/R1", "uagv/v1/acme/R1/state", "other/v2/acme/R1/state",
    "uagv/v2/acme/R1/status", "uagv/v2/acme/R 1/state", "uagv/v2//R1/state",
    "uagv/v2/ac+me/R1/state", "uagv/v2/acme/R1/state/", "uagv/v2/$SYS/R1/state",
    "uagv/v2/acme/R#/state", "uagv/v2/acme/Rö/state",
])
def test_bad_topics_are_refused(name: str) -> None:
    with pytest.raises(ProtocolError):
        parse_topic(name)


@pytest.mark.parametrize(("manufacturer", "serial"), [
    ("ac/me", "R1"), ("acme", "R/1"), ("acme", "R+1"), ("a#", "R1"), ("acme", ""), ("$x", "R1"),
])
def test_bad_levels_are_refused_when_building(manufacturer: str, serial: str) -> None:
    with pytest.raises(ProtocolError):
        topic_name(manufacturer, serial, Topic.ORDER)
    with pytest.raises(ProtocolError):
        Vehicle(manufacturer, serial)


@given(name=st.text(max_size=60) | st.lists(
    st.sampled_from(["uagv", "v2", "acme", "R1", "state", "order", "", "+", "#", "$x", "v3"])
    | st.text(max_size=6), min_size=3, max_size=7).map("/".join))
@settings(max_examples=500, deadline=None)
def test_topic_parser_on_random_strings(name: str) -> None:
    try:
        address = parse_topic(name)
    except ProtocolError:
        return
    assert topic_name(address.manufacturer, address.serial, address.topic) == name


@given(topic=st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_a_random_topic_never_lets_a_decoder_escape(topic: str) -> None:
    outcome(decode_state, STATE, topic)
