"""``docs/serial-protocol.md`` against the code: its hex test vectors, its sizes table
and its token table are read from the document and checked byte for byte, so the
two cannot drift apart."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drivers.serial.binary import TOKENS
from drivers.serial.codec import InstantActions, Kind, Message, decode_body, encode_body
from drivers.serial.framing import (
    FLAG_ACK,
    FLAG_MORE,
    FLAG_ROBOT,
    FRAGMENT,
    MAX_MESSAGE,
    Frame,
    FrameDecoder,
    crc32,
    encode_frame,
    pack_frame,
    split_body,
)
from drivers.serial.session import HELLO, HELLO_SYNCED, Session
from drivers.vda5050.codec import encode_order, encode_state
from drivers.vda5050.envelope import Vehicle
from fleet.vda import (
    Action,
    ActionState,
    ActionStatus,
    BatteryState,
    BlockingType,
    Edge,
    EdgeState,
    Load,
    Node,
    NodePosition,
    NodeState,
    Order,
    Position,
    RobotState,
)
from sim.bench.serial import cancel, order_10, typical_state

DOC = (Path(__file__).parent.parent / "docs" / "serial-protocol.md").read_text()

CANCEL = cancel()
SMALL_ORDER = Order("trip-3.0", 0, (
    Node("r2c1", 0, True, NodePosition(1.25, 2.75)),
    Node("r2c2", 2, True, NodePosition(1.75, 2.75)),
    Node("r2c3", 4, False, NodePosition(2.25, 2.75), (
        Action("drop", "trip-3.0/drop/tray1", BlockingType.HARD,
               {"lhd": "tray1", "loadId": "d7"}),)),
), (Edge("r2c1-r2c2", 1, True, "r2c1", "r2c2"), Edge("r2c2-r2c3", 3, False, "r2c2", "r2c3")))
SMALL_STATE = RobotState(
    "bot1", 1700000000.5, "trip-3.0", 0, "r2c1", 0,
    (NodeState("r2c2", 2, True), NodeState("r2c3", 4, False)),
    (EdgeState("r2c1-r2c2", 1, True), EdgeState("r2c2-r2c3", 3, False)),
    (ActionState("trip-3.0/drop/tray1", ActionStatus.WAITING, "drop"),),
    driving=True, battery=BatteryState(87.5), position=Position(1.5, 2.75, 0.0),
    loads=(Load("tray1", "d7", "dish"),))


FRAGMENTED = InstantActions((Action("stateRequest", "req-1", BlockingType.NONE),
                             Action("startPause", "pause-1"),
                             Action("cancelOrder", "cancel-2")))


def _data(msg: Message, seq: int, ack: int, flags: int) -> Frame:
    kind, body = encode_body(msg)
    return Frame(kind, seq, ack, flags, body)


def _fragments(msg: Message, seq: int, ack: int, flags: int) -> list[Frame]:
    """The data frames a sender makes of ``msg``, numbered from ``seq``."""
    kind, body = encode_body(msg)
    return [Frame(kind, seq + i, ack, flags | (FLAG_MORE if more else 0), part)
            for i, (part, more) in enumerate(split_body(body, FRAGMENT))]


VECTORS: dict[str, tuple[Frame, Message | None]] = {
    "hello": (Frame(Kind.HELLO, 0, 0, 0, HELLO.pack(0x1A2B3C4D, 0, 0, 2048)), None),
    "hello-reply": (Frame(Kind.HELLO, 0, 0, FLAG_ROBOT,
                          HELLO.pack(0x99887766, 0x1A2B3C4D, HELLO_SYNCED, 512)), None),
    "heartbeat": (Frame(Kind.HEARTBEAT, 0, 5, FLAG_ACK | FLAG_ROBOT), None),
    "ack": (Frame(Kind.ACK, 0, 0x0102, FLAG_ACK), None),
    "instant-action": (_data(CANCEL, 7, 3, FLAG_ACK), CANCEL),
    "fragment-1": (_fragments(FRAGMENTED, 9, 3, FLAG_ACK)[0], None),
    "fragment-2": (_fragments(FRAGMENTED, 9, 3, FLAG_ACK)[1], None),
    "order": (_data(SMALL_ORDER, 8, 3, FLAG_ACK), SMALL_ORDER),
    "state": (_data(SMALL_STATE, 4, 9, FLAG_ACK | FLAG_ROBOT), SMALL_STATE),
}


def _vectors() -> dict[str, tuple[bytes, bytes]]:
    found = {}
    for section in DOC.split("### Vector: ")[1:]:
        name = section.split()[0]
        raw = re.search(r"```hex raw\n(.*?)```", section, re.S)
        wire = re.search(r"```hex wire\n(.*?)```", section, re.S)
        assert raw and wire, name
        found[name] = (bytes.fromhex(raw[1]), bytes.fromhex(wire[1]))
    return found


def test_the_document_has_every_vector() -> None:
    assert set(_vectors()) == set(VECTORS)


@pytest.mark.parametrize("name", VECTORS)
def test_vector(name: str) -> None:
    raw, wire = _vectors()[name]
    frame, message = VECTORS[name]
    SMALL_ORDER.check()
    assert pack_frame(frame).hex(" ") == raw.hex(" ")
    assert encode_frame(frame).hex(" ") == wire.hex(" ")
    assert FrameDecoder().feed(wire) == [frame]
    if message is not None:
        assert decode_body(frame.kind, frame.body) == message


def test_the_fragment_vectors_are_the_whole_message_and_a_robot_takes_it() -> None:
    frames = _fragments(FRAGMENTED, 9, 3, FLAG_ACK)
    assert [f for name in ("fragment-1", "fragment-2") for f in
            FrameDecoder().feed(_vectors()[name][1])] == frames
    robot = Session("robot", now=0.0)
    robot.established, robot._expected = True, 9  # as if nine frames had gone before
    wires = [_vectors()[name][1] for name in ("fragment-1", "fragment-2")]
    assert robot.feed(b"\x00" + wires[0], 1.0) == []
    assert robot.feed(b"\x00" + wires[1], 1.0) == [FRAGMENTED]


def test_the_limits_table_is_the_codes() -> None:
    assert f"| fragment body a sender puts in one frame (5.3) | {FRAGMENT} bytes |" in DOC
    assert f"| largest message body, reassembled (5.3) | {MAX_MESSAGE} bytes |" in DOC


def test_the_crc_check_value_in_the_document_is_the_codes() -> None:
    stated = re.search(r"check \(`\"123456789\"`\) \| `0x([0-9A-F]{8})`", DOC)
    assert stated and int(stated[1], 16) == crc32(b"123456789")


def test_the_token_table_in_the_document_is_the_codes() -> None:
    table = {int(h, 16) - 0xE0: word
             for h, word in re.findall(r"\| ([ef][0-9a-f]) \| ([A-Za-z]\w*)", DOC)}
    assert table == dict(enumerate(TOKENS))


# The messages the document sizes are the benchmark's, so the two measure the same.
SIZED: dict[str, Message] = {"state-typical": typical_state(), "order-10": order_10(),
                             "order-10-serve": order_10(serve=True), "instant-cancel": CANCEL}


def _json_size(msg: Message) -> int:
    vehicle = Vehicle("acme", "bot1")
    if isinstance(msg, Order):
        return len(encode_order(msg, vehicle, header_id=1, at=1.7e9))
    assert isinstance(msg, RobotState)
    return len(encode_state(msg, vehicle, header_id=1, at=1.7e9))


@pytest.mark.parametrize("name", SIZED)
def test_the_sizes_table_is_measured(name: str) -> None:
    row = re.search(rf"\| `{name}`[^|]*\| (\d+) \| (\d+) \| (\d+) \|\s*(\d*)\s*\|", DOC)
    assert row, name
    msg = SIZED[name]
    kind, body = encode_body(msg)
    assert decode_body(kind, body) == msg
    frames = _fragments(msg, 1, 1, FLAG_ACK)
    line = sum(1 + len(encode_frame(f)) for f in frames)  # a 0x00 before, one after
    assert (int(row[1]), int(row[2]), int(row[3])) == (len(body), len(frames), line)
    if row[4]:
        assert int(row[4]) == _json_size(msg)


def test_the_sizes_table_heartbeat_row() -> None:
    row = re.search(r"\| HEARTBEAT / ACK \| 0 \| 1 \| (\d+) \|", DOC)
    assert row and int(row[1]) == 1 + len(encode_frame(Frame(0x03, 0, 1, FLAG_ACK)))
