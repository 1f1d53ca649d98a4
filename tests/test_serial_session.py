"""The reliable session over a simulated serial line: handshake, acks, retransmission,
duplicates, heartbeats, silence, reboots, wrap-around, and a seeded lossy line that
flips bits, drops, duplicates and truncates bytes, inserts garbage, stalls and reboots
one side. Time is simulated (115200 baud, 10 bits a byte); nothing sleeps."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from serialline import Faults, Wire

from drivers.serial.codec import ConnectionReport, InstantActions, Kind, Message
from drivers.serial.framing import FLAG_ACK, FLAG_ROBOT, Frame, encode_frame
from drivers.serial.session import Session
from fleet.errors import LinkError, ProtocolError
from fleet.link import Capabilities
from fleet.vda import Action, ConnectionState, Node, Order, RobotState


def caps(n: int) -> Capabilities:
    return Capabilities("test", f"m{n}")


def command(n: int) -> InstantActions:
    return InstantActions((Action("stateRequest", f"m{n}"),))


def ident(msg: Message) -> int:
    if isinstance(msg, InstantActions):
        return int(msg.actions[0].action_id[1:])
    if isinstance(msg, Capabilities):
        return int(msg.serial[1:])
    assert isinstance(msg, RobotState | Order)
    return int(msg.order_id[1:])


class Line:
    """A controller and a robot session joined by two wires, on simulated time."""

    def __init__(self, seed: int = 1, faults: Faults | None = None, window: int = 4) -> None:
        self.rng = random.Random(seed)
        self.window = window
        self.now = 0.0
        self.ctl = Session("controller", now=0.0, session_id=self.rng.randrange(1, 2**32),
                           window=window)
        self.bot = Session("robot", now=0.0, session_id=self.rng.randrange(1, 2**32),
                           window=window)
        self.down = Wire(random.Random(seed + 1), faults or Faults())
        self.up = Wire(random.Random(seed + 2), faults or Faults())
        self.at_bot: list[Message] = []
        self.at_ctl: list[Message] = []
        self.lost_in_reboots = 0

    def reboot_robot(self) -> None:
        self.lost_in_reboots += self.bot.pending + self.bot.stats.superseded + (
            self.bot.stats.dropped)
        self.bot = Session("robot", now=self.now, session_id=self.rng.randrange(1, 2**32),
                           window=self.window)

    def step(self, until: float) -> None:
        """Advance to the next event (a byte chunk arriving, a session deadline) or ``until``."""
        times = [until, *(t for t in (self.down.next_at(), self.up.next_at(),
                                      self.ctl.next_deadline(), self.bot.next_deadline())
                          if t is not None)]
        self.now = max(self.now, min(times))
        self.at_bot += self.bot.feed(self.down.due(self.now), self.now)
        self.at_ctl += self.ctl.feed(self.up.due(self.now), self.now)
        for session, wire in ((self.ctl, self.down), (self.bot, self.up)):
            out = session.outgoing(self.now)
            if out:
                wire.write(out, self.now)

    def run(self, until: float) -> None:
        spins = 0
        while self.now < until:
            before = self.now
            self.step(until)
            spins = spins + 1 if self.now == before else 0
            assert spins < 100, f"no progress at t={self.now}"

    def settle(self, limit: float = 30.0) -> float:
        """Run on a clean line until nothing is pending; returns the time it took."""
        self.down.faults = self.up.faults = Faults()
        start = self.now
        while self.ctl.pending or self.bot.pending or not (self.ctl.alive and self.bot.alive):
            assert self.now - start < limit, "the line did not recover"
            self.run(self.now + 0.05)
        self.run(self.now + 0.5)
        return self.now - start


def test_handshake_then_a_command_is_delivered_once_and_acked() -> None:
    line = Line()
    line.ctl.send(command(1), 0.0)
    line.run(0.5)
    assert line.ctl.established and line.bot.established
    assert line.ctl.peer_session == line.bot.session_id
    assert line.at_bot == [command(1)]
    assert line.ctl.pending == 0 and line.ctl.stats.messages_out == 1
    assert line.ctl.stats.retransmissions == 0


def test_heartbeats_keep_an_idle_line_alive_and_silence_is_noticed() -> None:
    line = Line()
    line.run(10.0)
    assert line.ctl.alive and line.bot.alive
    assert 8 <= line.ctl.stats.frames_out <= 14
    line.up.faults = Faults(drop=1.0)
    line.run(12.0)
    assert line.ctl.alive
    line.run(13.5)
    assert not line.ctl.alive and line.bot.alive
    line.up.faults = Faults()
    line.run(15.0)
    assert line.ctl.alive


def test_a_lost_frame_is_sent_again_with_backoff_until_acked() -> None:
    line = Line()
    line.run(0.5)
    line.down.faults = Faults(drop=1.0)
    line.ctl.send(command(1), line.now)
    line.run(4.0)
    # 0.2 + 0.4 + 0.8 + 1.6 s, then every 2 s
    assert line.ctl.stats.retransmissions == 4
    line.down.faults = Faults()
    line.run(8.0)
    assert line.at_bot == [command(1)] and line.ctl.pending == 0


def test_a_lost_ack_makes_a_duplicate_that_is_suppressed() -> None:
    line = Line()
    line.run(0.5)
    line.up.faults = Faults(drop=1.0)
    line.ctl.send(command(1), line.now)
    line.run(line.now + 0.3)
    line.up.faults = Faults()
    line.run(line.now + 1.0)
    assert line.at_bot == [command(1)]
    assert line.bot.stats.duplicates >= 1 and line.ctl.pending == 0


def test_the_window_bounds_frames_in_flight_and_order_is_kept() -> None:
    line = Line(window=2)
    line.run(0.5)
    for n in range(10):
        line.ctl.send(command(n), line.now)
    line.ctl.outgoing(line.now)
    assert line.ctl.pending == 10 and len(line.ctl._in_flight) == 2
    line.run(line.now + 2.0)
    assert [ident(m) for m in line.at_bot] == list(range(10))


def test_sequence_numbers_wrap_around() -> None:
    line = Line(window=8)
    line.run(0.5)
    for session in (line.ctl, line.bot):  # as if 65530 messages had gone before
        session._next_seq = session._expected = 65530
    sent = [command(n) for n in range(20)]
    for msg in sent:
        line.ctl.send(msg, line.now)
    line.run(line.now + 1.0)
    assert line.at_bot == sent and line.bot._expected == (65530 + 20) % 65536


def test_a_new_state_replaces_one_not_yet_sent() -> None:
    line = Line()
    line.run(0.5)
    line.bot.send(RobotState("s", 0.0, order_id="m1"), line.now)
    line.bot.send(ConnectionReport(ConnectionState.ONLINE), line.now)
    line.bot.send(RobotState("s", 0.0, order_id="m2"), line.now)
    line.run(line.now + 1.0)
    assert line.at_ctl == [ConnectionReport(ConnectionState.ONLINE),
                           RobotState("s", 0.0, order_id="m2")]
    assert line.bot.stats.superseded == 1


def test_a_robot_reboot_restarts_sequences_and_drops_what_was_queued() -> None:
    line = Line()
    line.run(0.5)
    line.ctl.send(command(1), line.now)
    line.run(line.now + 0.5)
    old_peer = line.ctl.peer_session
    line.down.faults = Faults(drop=1.0)
    line.ctl.send(command(2), line.now)
    line.run(line.now + 0.1)
    line.reboot_robot()
    line.at_bot.clear()
    line.down.faults = Faults()
    line.run(line.now + 2.0)
    assert line.ctl.peer_session == line.bot.session_id != old_peer
    assert line.ctl.stats.peer_restarts == 1 and line.ctl.stats.dropped == 1
    assert line.at_bot == []
    # Dropped, not forgotten: the caller gets it back once (command 1 was acked).
    assert line.ctl.take_lost() == [command(2)] and line.ctl.take_lost() == []
    line.ctl.send(command(3), line.now)
    line.run(line.now + 0.5)
    assert line.at_bot == [command(3)]


def test_what_a_reset_drops_unacknowledged_is_handed_back_in_order() -> None:
    line = Line(window=1)
    line.run(0.5)
    line.down.faults = Faults(drop=1.0)
    for n in (1, 2, 3):
        line.ctl.send(command(n), line.now)
    line.run(line.now + 0.1)  # 1 in flight, 2 and 3 queued behind the window
    line.ctl.reset(line.now)
    assert [ident(m) for m in line.ctl.take_lost()] == [1, 2, 3]
    assert line.ctl.pending == 0 and line.ctl.take_lost() == []


def test_a_controller_reset_is_a_new_session_for_the_robot() -> None:
    line = Line()
    line.run(0.5)
    line.bot.send(caps(1), line.now)
    line.run(line.now + 0.5)
    line.ctl.reset(line.now)
    line.bot.send(caps(2), line.now)
    line.run(line.now + 2.0)
    assert line.bot.stats.peer_restarts == 1
    assert line.ctl.alive and line.bot.alive
    line.bot.send(caps(3), line.now)
    line.run(line.now + 0.5)
    assert [ident(m) for m in line.at_ctl][-1] == 3


def test_messages_queued_before_the_first_handshake_wait_for_it() -> None:
    line = Line()
    line.ctl.send(command(1), 0.0)
    line.up.faults = line.down.faults = Faults(drop=1.0)
    line.run(5.0)
    assert not line.ctl.established and line.ctl.pending == 1
    line.up.faults = line.down.faults = Faults()
    line.run(8.0)
    assert line.at_bot == [command(1)]


def test_what_cannot_go_is_refused_at_send() -> None:
    with pytest.raises(ProtocolError, match="does not send"):
        Session("robot", now=0.0).send(command(1), 0.0)
    huge = Order("o", 0, tuple(Node("x" * 200, i, True) for i in range(30)), ())
    with pytest.raises(ProtocolError, match="4096-byte message limit"):
        Session("controller", now=0.0).send(huge, 0.0)
    full = Session("controller", now=0.0, max_queue=3)
    for n in range(3):
        full.send(command(n), 0.0)
    with pytest.raises(LinkError):
        full.send(command(9), 0.0)


def _established() -> tuple[Session, Session]:
    line = Line()
    line.run(0.5)
    return line.ctl, line.bot


def test_frames_the_session_cannot_take_are_counted_never_raised() -> None:
    ctl, _bot = _established()
    flags = FLAG_ACK | FLAG_ROBOT
    frames = {
        "echo": Frame(Kind.ORDER, 0, 0, FLAG_ACK, b""),
        "type": Frame(0x05, 0, 0, flags, b""),
        "direction": Frame(Kind.ORDER, 0, 0, flags, b"\x00"),
        "body": Frame(Kind.STATE, 1, 0, flags, b"\x01"),
        "hello": Frame(Kind.HELLO, 0, 0, FLAG_ROBOT, b"\x00"),
    }
    for reason, frame in frames.items():
        assert ctl.feed(b"\x00" + encode_frame(frame), 1.0) == [], reason
        assert ctl.stats.rejected[reason] == 1, reason
    wire = encode_frame(Frame(Kind.CONNECTION, 1, 0, flags, b"\x00"))
    broken = {"crc": wire[:5] + bytes([wire[5] ^ 4]) + wire[6:], "short": b"\x02\x01\x00",
              "cobs": b"\x09\x01\x00", "oversize": b"\x07" * 3000 + b"\x00"}
    for reason, junk in broken.items():
        assert ctl.feed(junk, 1.0) == [] and ctl.stats.rejected[reason] == 1, reason
    unknown_data = Frame(0x7E, 2, 0, flags, b"\x01\x02")
    assert ctl.feed(encode_frame(unknown_data), 1.0) == []
    assert ctl.stats.rejected["type"] == 2 and ctl._expected == 3  # acked, so not resent
    good = Frame(Kind.CONNECTION, 3, 0, flags, b"\x00")
    assert ctl.feed(encode_frame(good), 1.0) == [ConnectionReport(ConnectionState.ONLINE)]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise_out_of_feed(data: bytes) -> None:
    ctl, _ = _established()
    ctl.feed(data, 1.0)
    ctl.feed(b"\x00" + data + b"\x00", 1.0)
    assert ctl.alive


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 255), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
       st.integers(0, 255), st.binary(max_size=64))
def test_well_framed_nonsense_never_raises(kind: int, seq: int, ack: int, flags: int,
                                           body: bytes) -> None:
    for session in _established():
        session.feed(encode_frame(Frame(kind, seq, ack, flags, body)), 1.0)
        session.outgoing(1.0)


def _lossy_run(seed: int, faults: Faults, *, seconds: float = 60.0,
               reboots: bool = False) -> Line:
    """Both ends send a numbered message every ~0.1 s; the robot also sends states."""
    line = Line(seed, faults)
    rng = random.Random(seed)
    sent_down: list[int] = []
    sent_up: list[int] = []
    n = 0
    while line.now < seconds:
        n += 1
        line.run(line.now + rng.uniform(0.02, 0.2))
        if reboots and rng.random() < 0.01:
            line.reboot_robot()
        if line.ctl.pending < 50:
            line.ctl.send(command(n), line.now)
            sent_down.append(n)
        if line.bot.pending < 50:
            line.bot.send(caps(n) if n % 3 else RobotState("s", line.now, order_id=f"m{n}"),
                          line.now)
            sent_up.append(n)
    line.settle()
    for got, sent, sender in ((line.at_bot, sent_down, line.ctl),
                              (line.at_ctl, sent_up, line.bot)):
        ids = [ident(m) for m in got]
        assert ids == sorted(set(ids)), "out of order or twice"
        assert set(ids) <= set(sent)
        assert all(m == (command(i) if isinstance(m, InstantActions) else m)
                   for m, i in zip(got, ids, strict=True))
        lost = sender.stats.dropped + sender.stats.superseded + (
            line.lost_in_reboots if sender is line.bot else 0)
        assert len(set(sent) - set(ids)) <= lost, sender.role
        if not reboots:
            assert sender.stats.dropped == 0
    return line


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_message_arrives_once_in_order_over_a_lossy_line(seed: int) -> None:
    faults = Faults(flip=0.003, drop=0.002, dup=0.002, garbage=0.001, truncate=0.01,
                    stall=0.005)
    line = _lossy_run(seed, faults)
    assert line.bot.stats.crc_errors + line.ctl.stats.crc_errors > 0
    assert line.ctl.stats.retransmissions > 0 and line.bot.stats.duplicates > 0


def test_reboots_under_noise_recover_and_deliver_at_most_once() -> None:
    faults = Faults(flip=0.002, drop=0.001, dup=0.001, garbage=0.001, truncate=0.005)
    line = _lossy_run(7, faults, seconds=90.0, reboots=True)
    assert line.ctl.stats.peer_restarts >= 1


def test_recovery_after_a_long_stall() -> None:
    line = Line(5)
    line.run(0.5)
    line.down.faults = line.up.faults = Faults(stall=1.0, stall_s=20.0)
    line.ctl.send(command(1), line.now)
    line.run(line.now + 0.01)
    line.down.faults = line.up.faults = Faults()
    line.run(line.now + 5.0)
    assert not line.bot.alive and line.at_bot == []
    took = line.settle()
    assert line.at_bot == [command(1)] and took < 25.0
