"""Hostile serial input: what a miswired line, a robot speaking another protocol or
firmware with bugs sends to the controller's serial link. Each must be refused with
a reason in words (``drivers.serial.refusals``), and none may take the link down or
stop the next good frame from being acted on. The MQTT side's are in ``sim.hostile``.

Two kinds, as they reach the line differently:

- ``line_frames``: bytes written straight to the line, broken as frames: a wrong
  CRC, cut short, longer than any frame, random bytes, another protocol version,
  control frames that make no sense. Each is framed by delimiters of its own, so
  it spoils no good frame around it.
- ``nonsense_messages``: well-framed, CRC-correct data frames whose content is
  wrong (a body that does not decode, an enum code nobody defined, trailing bytes,
  a message going the wrong way, another robot's state). They must come in
  sequence to be read at all, so the simulated firmware sends them through its own
  session (``SerialRobot.send_raw``).

Pure and seeded: the same seed gives the same input.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import replace
from random import Random

from drivers.serial.codec import Kind, encode_body
from drivers.serial.framing import (
    FLAG_ACK,
    FLAG_ROBOT,
    MAX_STUFFED,
    Frame,
    cobs_encode,
    encode_frame,
    pack_frame,
)
from fleet.vda import Node, NodePosition, Order, RobotState

LineMaker = Callable[[Random], bytes]
FROM_ROBOT = FLAG_ROBOT | FLAG_ACK


def _alone(stuffed: bytes) -> bytes:
    """Delimiters on both sides: whatever came before ends here, and nothing after
    is glued to it."""
    return b"\x00" + stuffed + b"\x00"


def _some_frame(rng: Random) -> Frame:
    return Frame(int(rng.choice((Kind.STATE, Kind.CONNECTION, Kind.HEARTBEAT))),
                 rng.randrange(65536), rng.randrange(65536), FROM_ROBOT,
                 rng.randbytes(rng.randint(0, 120)))


def _bad_crc(rng: Random) -> bytes:
    raw = bytearray(pack_frame(_some_frame(rng)))
    raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
    return _alone(cobs_encode(bytes(raw)))


def _truncated(rng: Random) -> bytes:
    whole = cobs_encode(pack_frame(_some_frame(rng)))
    return _alone(whole[:rng.randint(1, len(whole) - 1)])


def _oversized(rng: Random) -> bytes:
    return _alone(bytes(rng.randint(1, 255) for _ in range(MAX_STUFFED + rng.randint(1, 3000))))


def _garbage(rng: Random) -> bytes:
    return _alone(bytes(rng.randint(1, 255) for _ in range(rng.randint(1, 600))))


def _wrong_version(rng: Random) -> bytes:
    return _alone(encode_frame(replace(_some_frame(rng), version=rng.randint(2, 255)))[:-1])


def _unknown_control(rng: Random) -> bytes:
    kind = rng.choice((0x00, 0x04, 0x0F, 0x80, 0xFF))
    return _alone(encode_frame(Frame(kind, 0, 0, FROM_ROBOT, b""))[:-1])


def _hello_nonsense(rng: Random) -> bytes:
    body = rng.choice((b"", rng.randbytes(3), bytes(11)))  # wrong size, or session id 0
    return _alone(encode_frame(Frame(int(Kind.HELLO), 0, 0, FROM_ROBOT, body))[:-1])


LINE_MAKERS: tuple[LineMaker, ...] = (_bad_crc, _truncated, _oversized, _garbage,
                                      _wrong_version, _unknown_control, _hello_nonsense)
LINE_REASONS: dict[str, frozenset[str]] = {
    "bad_crc": frozenset({"crc", "cobs"}),  # a flipped bit may break the stuffing itself
    "truncated": frozenset({"cobs", "short", "crc", "length"}),
    "oversized": frozenset({"oversize"}),
    "garbage": frozenset({"cobs", "short", "crc", "oversize"}),
    "wrong_version": frozenset({"version"}),
    "unknown_control": frozenset({"type"}),
    "hello_nonsense": frozenset({"hello"}),
}
"""What the controller's session must call each kind of line frame."""


def line_frames(seed: int) -> Iterator[tuple[str, bytes]]:
    """(kind, bytes for the line) for ever, the kinds in turn, drawn from ``seed``."""
    rng = Random(seed)
    for maker in itertools.cycle(LINE_MAKERS):
        yield maker.__name__.lstrip("_"), maker(rng)


MessageMaker = Callable[[Random, RobotState], tuple[int, bytes]]


def _state_body(state: RobotState) -> bytes:
    return encode_body(state)[1]


def _undecodable(rng: Random, state: RobotState) -> tuple[int, bytes]:
    return Kind.STATE, rng.randbytes(rng.randint(1, 80))


def _cut_short(rng: Random, state: RobotState) -> tuple[int, bytes]:
    body = _state_body(state)
    return Kind.STATE, body[:rng.randint(1, len(body) - 1)]


def _trailing_bytes(rng: Random, state: RobotState) -> tuple[int, bytes]:
    return Kind.STATE, _state_body(state) + rng.randbytes(rng.randint(1, 8))


def _unknown_code(rng: Random, state: RobotState) -> tuple[int, bytes]:
    return Kind.CONNECTION, bytes([rng.randint(3, 255)])


def _wrong_way(rng: Random, state: RobotState) -> tuple[int, bytes]:
    order = Order(f"forged-{rng.randrange(1000)}", 0, (
        Node("n1", 0, True, NodePosition(0.0, 0.0, map_id="floor")),), ())
    return encode_body(order)


def _unknown_type(rng: Random, state: RobotState) -> tuple[int, bytes]:
    return rng.choice((0x16, 0x40, 0x7F)), rng.randbytes(rng.randint(0, 40))


def _another_robot(rng: Random, state: RobotState) -> tuple[int, bytes]:
    return Kind.STATE, _state_body(replace(state, serial=f"forged-{rng.randrange(1000)}"))


MESSAGE_MAKERS: tuple[MessageMaker, ...] = (_undecodable, _cut_short, _trailing_bytes,
                                            _unknown_code, _wrong_way, _unknown_type,
                                            _another_robot)
MESSAGE_REASONS: dict[str, frozenset[str]] = {
    "undecodable": frozenset({"body", "state of another robot"}),  # random bytes, rarely a state
    "cut_short": frozenset({"body"}),
    "trailing_bytes": frozenset({"body"}),
    "unknown_code": frozenset({"body"}),
    "wrong_way": frozenset({"direction"}),
    "unknown_type": frozenset({"type"}),
    "another_robot": frozenset({"state of another robot"}),
}
"""What the controller's link must call each kind of nonsense message."""


def nonsense_messages(seed: int, state: RobotState) -> Iterator[tuple[str, int, bytes]]:
    """(kind, frame type, body) for ever, the kinds in turn, drawn from ``seed``;
    ``state`` is a good state of the robot, to spoil."""
    rng = Random(seed)
    for maker in itertools.cycle(MESSAGE_MAKERS):
        kind, body = maker(rng, state)
        yield maker.__name__.lstrip("_"), int(kind), body
