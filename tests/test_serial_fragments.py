"""Messages larger than a fragment, over the session: cut into data frames flagged
MORE, joined by the receiver, delivered exactly once over a line that garbles 1 % of
bytes; a started message is never replaced; too-long or mixed fragments are dropped
and counted. Simulated time and line (``serialline``); nothing sleeps."""

from __future__ import annotations

import random
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from serialline import Faults
from test_serial_session import Line, ident

from drivers.serial.codec import ConnectionReport, Kind, Message, encode_body
from drivers.serial.framing import (
    FLAG_ACK,
    FLAG_MORE,
    FLAG_ROBOT,
    Frame,
    FrameDecoder,
    encode_frame,
)
from drivers.serial.session import Session
from fleet.vda import ConnectionState, Node, NodePosition, NodeState, Order, RobotState


def big_order(n: int, nodes: int) -> Order:
    """About 20 body bytes a node: ``order-10`` of the protocol document is 204."""
    return Order(f"m{n}", 0, tuple(Node(f"r{n % 7}c{i}", 2 * i, i < nodes - 2, NodePosition(
        0.5 * i, 1.25)) for i in range(nodes)), ())


def big_state(n: int) -> RobotState:
    return RobotState("s", 0.0, order_id=f"m{n}", node_states=tuple(
        NodeState(f"r1c{i}", 2 * i, True) for i in range(12)))


def frames_of(wire: bytes) -> list[Frame]:
    return [f for f in FrameDecoder().feed(wire) if isinstance(f, Frame)]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 200), min_size=1, max_size=6))
def test_messages_of_any_size_arrive_whole_and_in_order(sizes: list[int]) -> None:
    line = Line(window=3)
    sent = [big_order(n, nodes) for n, nodes in enumerate(sizes)]
    for msg in sent:
        line.ctl.send(msg, line.now)
    line.run(line.now + 0.5 + sum(sizes) * 0.003)
    assert line.at_bot == sent and line.ctl.pending == 0
    assert line.ctl.stats.messages_out == len(sent) == line.bot.stats.messages_in
    fragments = sum(-(-len(encode_body(m)[1]) // line.ctl.fragment) for m in sent)
    assert line.bot._expected == fragments  # one sequence number per fragment


def test_every_frame_of_a_write_has_its_own_leading_zero() -> None:
    """So that garbage landing between two frames of one write ends at the second's
    leading zero and spoils neither (the decoder's side is in test_serial_framing)."""
    line = Line(window=8)
    line.run(0.5)
    line.ctl.send(big_order(1, 10), line.now)
    wire = line.ctl.outgoing(line.now)
    frames = frames_of(wire)
    assert [f.flags & FLAG_MORE for f in frames] == [FLAG_MORE] * 5 + [0]
    assert wire.startswith(b"\x00") and wire.count(b"\x00\x00") == len(frames) - 1
    junk = bytes(range(1, 30))
    at = [i for i in range(1, len(wire)) if wire[i - 1] == wire[i] == 0]
    for cut in at:
        assert frames_of(wire[:cut] + junk + wire[cut:]) == frames


def test_a_started_state_is_finished_and_only_an_unstarted_one_replaced() -> None:
    line = Line(window=1)
    line.run(0.5)
    line.bot.send(big_state(1), line.now)
    line.bot.outgoing(line.now)  # its first fragment is on the line
    line.bot.send(big_state(2), line.now)  # nothing to replace: state 1 has started
    line.bot.send(big_state(3), line.now)  # replaces state 2
    assert line.bot.pending == 2
    line.run(line.now + 1.0)
    assert line.at_ctl == [big_state(1), big_state(3)]
    assert line.bot.stats.superseded == 1 and line.ctl.stats.rejected.total() == 0


def test_a_peer_that_takes_small_frames_gets_small_fragments() -> None:
    line = Line()
    line.bot = Session("robot", now=0.0, session_id=7, max_frame=64)
    line.ctl.fragment = 200
    line.run(0.5)
    line.ctl.send(big_order(1, 30), line.now)
    sizes = [len(f.body) + 13 for f in frames_of(line.ctl.outgoing(line.now))]
    assert len(sizes) == 4 and max(sizes) == 64  # the window's worth, each at the limit
    line.run(line.now + 1.0)
    assert line.at_bot == [big_order(1, 30)]


def test_too_long_or_mixed_fragments_are_dropped_to_the_end_and_counted() -> None:
    line = Line()
    line.run(0.5)
    ctl = line.ctl
    base = ctl._expected
    flags, more = FLAG_ACK | FLAG_ROBOT, FLAG_ACK | FLAG_ROBOT | FLAG_MORE
    frames = [Frame(Kind.STATE, i, 0, more, b"\x01" * 2000) for i in range(3)]
    frames += [Frame(Kind.STATE, 3, 0, flags, b""),  # the end of the one too long
               Frame(Kind.STATE, 4, 0, more, b"\x00"), Frame(Kind.CONNECTION, 5, 0, more, b""),
               Frame(Kind.CONNECTION, 6, 0, flags, b"\x00")]  # the end of the mixed one
    for frame in frames:
        assert ctl.feed(encode_frame(replace(frame, seq=base + frame.seq)), 1.0) == []
    assert ctl.stats.rejected["message_size"] == ctl.stats.rejected["fragment"] == 1
    assert ctl._expected == base + 7  # every fragment acknowledged
    good = Frame(Kind.CONNECTION, base + 7, 0, flags, b"\x00")
    assert ctl.feed(encode_frame(good), 1.0) == [ConnectionReport(ConnectionState.ONLINE)]


def test_large_orders_arrive_exactly_once_at_one_percent_byte_errors() -> None:
    """Orders of 1-60 nodes (up to ~1.2 kB) down, fragmented states up, 1 % of bytes
    damaged both ways (flips mostly, and drops, duplicates, garbage)."""
    line = Line(11, Faults(flip=0.007, drop=0.001, dup=0.001, garbage=0.001))
    rng = random.Random(11)
    sent: list[Message] = []
    while line.now < 60.0:
        line.run(line.now + rng.uniform(0.05, 0.4))
        if line.ctl.pending < 8:
            sent.append(big_order(len(sent), rng.randint(1, 60)))
            line.ctl.send(sent[-1], line.now)
        line.bot.send(big_state(int(line.now * 10)), line.now)
    line.settle()
    assert line.at_bot == sent  # exactly once, in order, none lost
    states = [ident(m) for m in line.at_ctl]
    assert states == sorted(set(states)) and all(m == big_state(ident(m)) for m in line.at_ctl)
    assert len(sent) > 15 and line.ctl.stats.retransmissions > 0
    assert line.bot.stats.crc_errors > 0 and line.ctl.stats.crc_errors > 0
    assert line.bot.stats.rejected["message_size"] == line.bot.stats.rejected["fragment"] == 0
