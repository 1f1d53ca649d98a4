"""The serial protocol's framing and message bodies: COBS, CRC-32, frames, the
codec's round trips and refusals, and resynchronisation after garbage."""

from __future__ import annotations

import contextlib
import itertools
import math
import random
import string
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.serial.binary import TOKENS
from drivers.serial.codec import (
    ConnectionReport,
    InstantActions,
    Kind,
    Message,
    SerialProtocolError,
    decode_body,
    decode_message,
    encode_body,
    encode_message,
)
from drivers.serial.framing import (
    FLAG_MORE,
    MAX_BODY,
    MAX_FRAME,
    MAX_MESSAGE,
    Frame,
    FrameDecoder,
    FrameError,
    Reassembler,
    cobs_decode,
    cobs_encode,
    crc32,
    decode_frame,
    encode_frame,
    pack_frame,
    split_body,
    unpack_frame,
)
from fleet.link import Capabilities
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


def test_crc_is_crc32_iso_hdlc_by_its_check_value() -> None:
    assert crc32(b"123456789") == 0xCBF43926


@pytest.mark.parametrize(("raw", "stuffed"), [
    ("00", "0101"), ("0000", "010101"), ("11220033", "0311220233"),
    ("11223344", "0511223344"), ("11000000", "0211010101"),
    ("01" * 254, "ff" + "01" * 254), ("00" + "01" * 254, "01ff" + "01" * 254),
    ("01" * 255, "ff" + "01" * 254 + "0201"), ("01" * 254 + "00", "ff" + "01" * 254 + "0101"),
])
def test_cobs_matches_the_canonical_examples(raw: str, stuffed: str) -> None:
    assert cobs_encode(bytes.fromhex(raw)).hex() == stuffed
    assert cobs_decode(bytes.fromhex(stuffed)) == bytes.fromhex(raw)


@given(st.binary(max_size=1200))
def test_cobs_round_trips_and_leaves_no_zero(data: bytes) -> None:
    stuffed = cobs_encode(data)
    assert 0 not in stuffed
    assert len(stuffed) <= len(data) + len(data) // 254 + 1
    assert cobs_decode(stuffed) == data


frames = st.builds(Frame, kind=st.integers(0, 255), seq=st.integers(0, 0xFFFF),
                   ack=st.integers(0, 0xFFFF), flags=st.integers(0, 255),
                   body=st.binary(max_size=300))


@given(frames)
def test_frames_round_trip(frame: Frame) -> None:
    wire = encode_frame(frame)
    assert wire.endswith(b"\x00") and 0 not in wire[:-1]
    assert decode_frame(wire[:-1]) == frame
    assert FrameDecoder().feed(wire) == [frame]


@settings(max_examples=200)
@given(st.lists(frames, min_size=1, max_size=6), st.lists(st.binary(max_size=80), min_size=6,
                                                          max_size=6),
       st.randoms(use_true_random=False))
def test_the_decoder_resynchronises_after_garbage(sent: list[Frame], garbage: list[bytes],
                                                 rng: random.Random) -> None:
    """Garbage (zeros included) before each frame costs nothing but itself, however the
    stream is cut into reads: a sender puts a 0x00 before every frame."""
    stream = b"".join(junk + b"\x00" + encode_frame(f) for junk, f in zip(garbage, sent,
                                                                          strict=False))
    decoder = FrameDecoder()
    got: list[Frame | FrameError] = []
    pos = 0
    while pos < len(stream):
        step = rng.randint(1, 64)
        got += decoder.feed(stream[pos:pos + step])
        pos += step
    assert [f for f in got if isinstance(f, Frame)] == sent


@settings(max_examples=300)
@given(st.binary(max_size=MAX_MESSAGE + 300), st.integers(1, 300), st.integers(0x10, 0x7F))
def test_fragments_round_trip_through_the_reassembler(body: bytes, size: int,
                                                      kind: int) -> None:
    parts = split_body(body, size)
    assert b"".join(p for p, _ in parts) == body
    assert all(0 < len(p) <= size for p, _ in parts) or parts == [(b"", False)]
    assert [more for _, more in parts] == [True] * (len(parts) - 1) + [False]
    joiner = Reassembler()
    got = [joiner.add(Frame(kind, 0, 0, FLAG_MORE if more else 0, p)) for p, more in parts]
    if len(body) <= MAX_MESSAGE:
        assert got == [None] * (len(parts) - 1) + [(kind, body)]
    else:  # one error where the limit is crossed, then silence to the end of the message
        assert got.count("message_size") == 1 and set(got) == {None, "message_size"}
    assert joiner.partial == 0
    assert joiner.add(Frame(kind, 0, 0, 0, b"next")) == (kind, b"next")


def test_a_fragment_of_another_type_drops_its_message_to_the_end() -> None:
    joiner = Reassembler()
    assert joiner.add(Frame(0x12, 0, 0, FLAG_MORE, b"ab")) is None
    assert joiner.add(Frame(0x13, 0, 0, FLAG_MORE, b"cd")) == "fragment"
    assert joiner.add(Frame(0x13, 0, 0, 0, b"ef")) is None  # the dropped message's end
    assert joiner.add(Frame(0x13, 0, 0, 0, b"\x00")) == (0x13, b"\x00")
    assert joiner.add(Frame(0x12, 0, 0, FLAG_MORE, b"x" * MAX_MESSAGE)) is None
    assert joiner.add(Frame(0x12, 0, 0, 0, b"y")) == "message_size"  # the last one: no tail
    assert joiner.add(Frame(0x12, 0, 0, 0, b"z")) == (0x12, b"z")


def test_each_kind_of_broken_frame_is_named_and_the_next_frame_survives() -> None:
    good = Frame(Kind.HEARTBEAT, 0, 7, 0x01)
    raw = pack_frame(good)
    flipped = bytearray(raw)
    flipped[3] ^= 0x10
    v2 = bytearray(raw[:-4])
    v2[0] = 2
    long_len = bytearray(raw[:-4])
    long_len[7] = 1
    cases = {
        "crc": cobs_encode(bytes(flipped)),
        "short": cobs_encode(raw[:8]),
        "cobs": bytes([0x09, 0x01, 0x02]),
        "version": cobs_encode(bytes(v2) + crc32(bytes(v2)).to_bytes(4, "little")),
        "length": cobs_encode(bytes(long_len) + crc32(bytes(long_len)).to_bytes(4, "little")),
        "oversize": b"\x01" * (MAX_FRAME + 20),
    }
    for reason, stuffed in cases.items():
        decoder = FrameDecoder()
        out = decoder.feed(stuffed + b"\x00" + encode_frame(good))
        assert len(out) == 2, reason
        assert isinstance(out[0], FrameError) and out[0].reason == reason
        assert out[1] == good
    assert unpack_frame(raw[:-1] + bytes([raw[-1] ^ 1])) == FrameError("crc", len(raw))


def test_the_decoder_never_holds_more_than_a_frame_of_noise() -> None:
    decoder = FrameDecoder()
    for _ in range(50):
        assert decoder.feed(b"\x55" * 1000) == []
    assert len(decoder._buf) <= MAX_FRAME + 20
    assert decoder.feed(b"\x00") == [FrameError("oversize", 50_000)]


def test_idle_delimiters_are_not_frames() -> None:
    assert FrameDecoder().feed(b"\x00\x00\x00") == []


def test_a_body_over_the_maximum_cannot_be_packed() -> None:
    pack_frame(Frame(Kind.ORDER, body=b"x" * MAX_BODY))
    with pytest.raises(ValueError, match="exceeds"):
        pack_frame(Frame(Kind.ORDER, body=b"x" * (MAX_BODY + 1)))


# -- message bodies ------------------------------------------------------------------------

names = st.text(string.ascii_letters + string.digits + "-_./", max_size=24) | st.sampled_from(
    TOKENS)
f32s = st.integers(-999_999, 999_999).map(lambda mm: mm / 1000)
"""Millimetres to a kilometre, as the controller rounds positions: exact through f32."""
values = st.recursive(
    st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False,
                                                                  allow_infinity=False) | names,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4),
    max_leaves=12)
actions = st.builds(Action, action_type=names, action_id=names,
                    blocking_type=st.sampled_from(BlockingType), description=names,
                    parameters=st.dictionaries(names, values, max_size=4))


@st.composite
def orders(draw: st.DrawFn) -> Order:
    ids = draw(st.lists(names, min_size=1, max_size=12))
    released = draw(st.integers(1, len(ids)))
    nodes = tuple(Node(n, 2 * i, i < released, draw(st.none() | st.builds(
        NodePosition, f32s, f32s, st.none() | f32s, names, st.none() | f32s)),
        tuple(draw(st.lists(actions, max_size=2)))) for i, n in enumerate(ids))
    edges = tuple(Edge(f"{a.node_id}-{b.node_id}" if draw(st.booleans()) else draw(names),
                       2 * i + 1, b.released, a.node_id, b.node_id, draw(st.none() | f32s),
                       tuple(draw(st.lists(actions, max_size=1))))
                  for i, (a, b) in enumerate(itertools.pairwise(nodes)))
    return Order(draw(names), draw(st.integers(0, 2**32 - 1)), nodes, edges)


@st.composite
def states(draw: st.DrawFn) -> RobotState:
    last = draw(names)
    nodes = tuple(NodeState(n, 2 * i + 2, draw(st.booleans()))
                  for i, n in enumerate(draw(st.lists(names, max_size=6))))
    edges = tuple(EdgeState(f"{(nodes[i - 1].node_id if i else last)}-{n.node_id}"
                            if draw(st.booleans()) else draw(names), n.sequence_id - 1,
                            n.released) for i, n in enumerate(nodes))
    return RobotState(
        serial=draw(names), timestamp=draw(st.floats(0, 2e9)), order_id=draw(names),
        order_update_id=draw(st.integers(0, 99)), last_node_id=last,
        last_node_sequence_id=draw(st.integers(0, 2**32 - 1)), node_states=nodes,
        edge_states=edges,
        action_states=tuple(draw(st.lists(st.builds(ActionState, names,
                                                    st.sampled_from(ActionStatus), names,
                                                    names), max_size=4))),
        driving=draw(st.booleans()), battery=BatteryState(draw(st.integers(0, 1000)) / 10,
                                                          draw(st.booleans())),
        operating_mode=draw(st.sampled_from(OperatingMode)),
        errors=tuple(draw(st.lists(st.builds(RobotError, names, st.sampled_from(ErrorLevel),
                                             names, st.dictionaries(names, names, max_size=2)),
                                   max_size=2))),
        e_stop=draw(st.sampled_from(EStop)), paused=draw(st.booleans()),
        position=draw(st.none() | st.builds(Position, f32s, f32s, f32s, names, st.booleans())),
        loads=draw(st.none() | st.lists(st.builds(Load, names, names, names),
                                        max_size=4).map(tuple)))


capabilities = st.builds(
    Capabilities, names, names, names, st.integers(0, 255),
    st.integers(0, 500).map(lambda cm: cm / 100), st.frozensets(names, max_size=12),
    st.none() | st.integers(1, 10_000),
    st.none() | st.integers(1, 10_000), st.booleans())
messages: st.SearchStrategy[Message] = (
    orders() | states() | capabilities | st.builds(InstantActions, st.lists(
        actions, max_size=5).map(tuple)) | st.builds(ConnectionReport,
                                                     st.sampled_from(ConnectionState)))


@settings(max_examples=300)
@given(messages)
def test_every_message_round_trips(msg: Message) -> None:
    assert decode_message(encode_message(msg)) == msg


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_any_f32_comes_back_as_the_same_f32(x: float) -> None:
    back = decode_message(encode_message(RobotState("s", 0.0, battery=BatteryState(x))))
    assert isinstance(back, RobotState)
    assert struct.pack("<f", back.battery.charge) == struct.pack("<f", x)


def test_floats_come_back_as_people_wrote_them() -> None:
    order = Order("o", 0, (Node("r1c2", 0, True, NodePosition(12.345, 0.7, math.pi / 2)),), ())
    back = decode_message(encode_message(order))
    assert isinstance(back, Order) and back.nodes[0].position is not None
    assert (back.nodes[0].position.x, back.nodes[0].position.y) == (12.345, 0.7)
    assert back.nodes[0].position.theta == pytest.approx(math.pi / 2, abs=1e-6)


@pytest.mark.parametrize("msg", [
    InstantActions((Action("x" * 224, "a"),)),
    InstantActions((Action("a", "b", parameters={"k": math.nan}),)),
    InstantActions((Action("a", "b", parameters={"k": object()}),)),
    InstantActions((Action("a", "b", parameters={"k": 2**64}),)),
    InstantActions(tuple(Action("a", str(i)) for i in range(256))),
    InstantActions((Action("a", "b", parameters={"k": [[[[[[[[[1]]]]]]]]]}),)),
    Order("o", -1, (Node("n", 0, True),), ()),
    Order("o", 0, (Node("n", 0, True, NodePosition(math.inf, 0)),), ()),
    RobotState("s", 0, battery=BatteryState(1e39)),
])
def test_values_that_cannot_be_sent_are_refused(msg: Message) -> None:
    with pytest.raises(SerialProtocolError):
        encode_message(msg)


@pytest.mark.parametrize(("kind", "body"), [
    (Kind.CONNECTION, b"\x03"),            # no such connection state
    (Kind.CONNECTION, b"\x00\x00"),        # trailing byte
    (Kind.CONNECTION, b""),                # ends early
    (Kind.INSTANT_ACTIONS, b"\x01\x02\xff\xfe"),  # invalid UTF-8
    (Kind.INSTANT_ACTIONS, b"\x01\xe0\x01a\x03"),  # blocking type 3
    (Kind.ORDER, b"\x01o\x80\x80\x80\x80\x80\x01"),  # varint over 32 bits
    (Kind.ORDER, b"\x01o\x00\x01\x01n\x00\x40\x00\x00"),  # reserved node flag bit
    (Kind.ORDER, b"\x01o\x00\x01\x01n\x00\x01\x00\x01\x04\x00"),  # implied edge, no node 1
    (Kind.STATE, b"\x00" + b"\x00" * 8 + b"\x00\x00\x00\x00\x40"),  # reserved state bit
    (Kind.HEARTBEAT, b""),                 # not a message type
    (0x7E, b""),
])
def test_malformed_bodies_raise_only_serial_protocol_error(kind: int, body: bytes) -> None:
    with pytest.raises(SerialProtocolError):
        decode_body(kind, body)


@settings(max_examples=500)
@given(st.sampled_from([k.value for k in Kind]), st.binary(max_size=200))
def test_random_bodies_raise_nothing_but_serial_protocol_error(kind: int, body: bytes) -> None:
    with contextlib.suppress(SerialProtocolError):
        decode_body(kind, body)


@settings(max_examples=300)
@given(messages, st.data())
def test_mangled_messages_decode_or_raise_serial_protocol_error(msg: Message,
                                                                data: st.DataObject) -> None:
    raw = bytearray(encode_message(msg))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(1, len(raw) - 1)) if len(raw) > 1 else 0
        raw[i] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(raw)))
    with contextlib.suppress(SerialProtocolError):
        decode_message(bytes(raw[:cut]))


def test_the_token_table_has_32_distinct_words() -> None:
    assert len(TOKENS) == len(set(TOKENS)) == 32
    kind, body = encode_body(InstantActions((Action("pick", "tray1"),)))
    assert (kind, body) == (Kind.INSTANT_ACTIONS, bytes([1, 0xE0, 0xE0 + 27, 2, 0, 0]))
