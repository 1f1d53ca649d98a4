"""A reliable, ordered message session over a lossy byte line, sans I/O: the caller
feeds bytes read and the time, and writes what ``outgoing`` returns. The rules (HELLO
handshake with session ids, 16-bit sequence numbers and cumulative acks, go-back-N
retransmission with backoff, heartbeats) are in ``docs/serial-protocol.md``, "Session".
Two choices shape the rest: a message over ``fragment`` body bytes goes as several
data frames, because short frames survive a noisy line far more often than long ones;
and a STATE not yet started is replaced by a newer one (states are snapshots), while
every other message, and any message already started, is delivered at most once.
What a restart of the peer (or ``reset``) leaves undelivered is not forgotten:
``take_lost`` hands it to the caller, which alone knows whether the peer's state
shows it arrived and so whether sending it again is safe.

Long because it is one state machine (handshake, sequence numbers, acknowledgements,
retransmission, heartbeats) over shared counters; a split would cut its invariants
in two.
"""

from __future__ import annotations

import math
import secrets
import struct
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Literal, get_args

from drivers.serial.codec import Kind, Message, SerialProtocolError, decode_body, encode_body
from drivers.serial.framing import (
    FLAG_ACK,
    FLAG_MORE,
    FLAG_ROBOT,
    FRAGMENT,
    MAX_FRAME,
    MAX_MESSAGE,
    OVERHEAD,
    Frame,
    FrameDecoder,
    FrameError,
    Reason,
    Reassembler,
    encode_frame,
    split_body,
)
from fleet.errors import LinkError

Role = Literal["controller", "robot"]

HELLO = struct.Struct("<IIBH")
"""session id, echoed peer session id (0: none known), flags, largest frame accepted."""
HELLO_SYNCED = 0x01  # the sender has seen its own session id echoed (it is established)
MIN_PEER_FRAME = 64
REFUSALS_KEPT = 64
"""Refused frames kept for ``take_refusals`` between two calls; ``stats`` counts all."""

_RECEIVES: dict[Role, frozenset[int]] = {
    "controller": frozenset({Kind.STATE, Kind.CONNECTION, Kind.FACTSHEET}),
    "robot": frozenset({Kind.ORDER, Kind.INSTANT_ACTIONS}),
}
_SENDS: dict[Role, frozenset[int]] = {"controller": _RECEIVES["robot"],
                                      "robot": _RECEIVES["controller"]}


@dataclass(slots=True)
class SessionStats:
    """Counters since the session object was made (``reset`` keeps them). ``rejected``
    counts frames dropped by reason: the framing's (``cobs``, ``short``, ``crc``,
    ``version``, ``length``, ``oversize``) and the session's: ``echo`` (our own role's),
    ``type`` (unknown), ``direction`` (a message this end does not take), ``body`` (does
    not decode), ``hello`` (malformed), ``stale_hello`` (the peer's, not echoing us),
    ``message_size`` (fragments over ``MAX_MESSAGE``), ``fragment`` (type changed)."""

    frames_in: int = 0
    frames_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    messages_in: int = 0
    messages_out: int = 0  # messages the peer acknowledged, every fragment of them
    duplicates: int = 0
    out_of_order: int = 0
    retransmissions: int = 0
    unsynced: int = 0  # frames ignored because no session was established
    bad_acks: int = 0
    dropped: int = 0  # queued messages dropped: the peer restarted or ``reset`` was called
    superseded: int = 0
    handshakes: int = 0
    peer_restarts: int = 0
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def crc_errors(self) -> int:
        return self.rejected["crc"]

    @property
    def resyncs(self) -> int:
        """Times the decoder dropped bytes and picked up again at the next delimiter."""
        return sum(self.rejected[r] for r in get_args(Reason))


@dataclass(slots=True)
class _InFlight:
    seq: int
    kind: int
    body: bytes
    more: bool = False


class Session:
    """One end of a serial line. See the module docstring; all times are the caller's
    clock in seconds (only differences matter)."""

    def __init__(self, role: Role, *, now: float, retransmit_s: float = 0.2,
                 max_retransmit_s: float = 2.0, heartbeat_s: float = 1.0,
                 silence_s: float = 3.0, window: int = 4, max_queue: int = 256,
                 max_frame: int = MAX_FRAME, session_id: int | None = None,
                 fragment: int = FRAGMENT) -> None:
        if role not in _RECEIVES:
            raise ValueError(f"role must be 'controller' or 'robot', not {role!r}")
        if not 1 <= window <= 0x7FFF:
            raise ValueError(f"window must be 1..32767, got {window}")
        if not MIN_PEER_FRAME <= max_frame <= MAX_FRAME:
            raise ValueError(f"max_frame must be {MIN_PEER_FRAME}..{MAX_FRAME}, got {max_frame}")
        if not 1 <= fragment <= MAX_FRAME - OVERHEAD:
            raise ValueError(f"fragment must be 1..{MAX_FRAME - OVERHEAD}, got {fragment}")
        self.role: Role = role
        self.retransmit_s = retransmit_s
        self.max_retransmit_s = max(max_retransmit_s, retransmit_s)
        self.heartbeat_s = heartbeat_s
        self.silence_s = silence_s
        self.window = window
        self.max_queue = max_queue
        self.max_frame = max_frame
        """The largest frame this end says it accepts (firmware with little RAM)."""
        self.fragment = fragment
        """Body bytes per data frame sent (fewer if the peer takes only small frames)."""
        self.stats = SessionStats()
        self._role_flag = FLAG_ROBOT if role == "robot" else 0
        self._decoder = FrameDecoder()
        self._now = now
        self._heard_at = -math.inf
        self._sent_at = -math.inf
        self._queue: deque[tuple[int, bytes]] = deque()
        """Messages not started: only these can be superseded."""
        self._parts: deque[_InFlight] = deque()  # the started message's unsent fragments
        self._started = 0  # messages started and not yet wholly acknowledged
        self._unacked: deque[tuple[int, bytes]] = deque()
        """The started messages themselves, oldest first (``_started`` of them)."""
        self._lost: deque[tuple[int, bytes]] = deque(maxlen=max_queue)
        """Messages dropped unacknowledged by a peer restart or ``reset``, for ``take_lost``."""
        self._reassembler = Reassembler()
        self._refusals: deque[tuple[str, str]] = deque(maxlen=REFUSALS_KEPT)
        self._start(now, session_id)

    # -- state ------------------------------------------------------------------------
    def _start(self, now: float, session_id: int | None) -> None:
        self.session_id = session_id if session_id else secrets.randbits(32) or 1
        self.peer_session: int | None = None
        """The peer's session id; it changes when the peer restarts."""
        self.established = False
        self._bound = False
        self._peer_max = MAX_FRAME
        self._hello_owed = False
        self._hello_at = now
        self._hello_interval = self.retransmit_s
        self._restart_sequences()

    def _restart_sequences(self) -> None:
        self._next_seq = 0
        self._expected = 0
        self._in_flight: deque[_InFlight] = deque()
        self._rto = self.retransmit_s
        self._rtx_at: float | None = None
        self._ack_owed = False
        self._reassembler.reset()

    def _drop_queued(self) -> None:
        self.stats.dropped += self.pending
        self._lost.extend(self._unacked)
        self._lost.extend(self._queue)
        self._unacked.clear()
        self._queue.clear()
        self._parts.clear()
        self._in_flight.clear()
        self._started = 0

    def _reject(self, reason: str, text: str) -> None:
        self.stats.rejected[reason] += 1
        self._refusals.append((reason, text))

    def take_refusals(self) -> list[tuple[str, str]]:
        """(reason, what was wrong in words) for each frame refused since the last call,
        oldest first, so the caller can tell people; a counter alone says that a line
        is bad, not how. Bounded (``REFUSALS_KEPT``): a line spewing garbage between
        two calls cannot grow it."""
        out = list(self._refusals)
        self._refusals.clear()
        return out

    def take_lost(self) -> list[Message]:
        """The messages a peer restart or ``reset`` dropped before the peer acknowledged
        them, oldest first, once each. Those never started certainly did not arrive;
        a started one may have (its ack may be what was lost)."""
        lost = []
        while self._lost:
            kind, body = self._lost.popleft()
            lost.append(decode_body(kind, body))
        return lost

    def reset(self, now: float | None = None) -> None:
        """Start over as if this end had rebooted: a new session id, nothing queued, a
        new handshake. For a line that was closed and opened again."""
        now = self._now if now is None else now
        self._now = now
        self._drop_queued()
        self._decoder.reset()
        self._heard_at = -math.inf
        self._start(now, None)

    @property
    def alive(self) -> bool:
        return self.established and self._now < self._heard_at + self.silence_s

    @property
    def pending(self) -> int:
        """Messages queued or started and not yet wholly acknowledged."""
        return len(self._queue) + self._started

    # -- input ------------------------------------------------------------------------
    def feed(self, data: bytes, now: float) -> list[Message]:
        """Bytes read from the line; returns the messages they complete, each exactly
        once and in the order sent. Never raises on what the line brings."""
        self._now = now
        self.stats.bytes_in += len(data)
        out: list[Message] = []
        for item in self._decoder.feed(data):
            if isinstance(item, FrameError):
                self._reject(item.reason, item.text)
            else:
                self._on_frame(item, now, out)
        return out

    def _on_frame(self, frame: Frame, now: float, out: list[Message]) -> None:
        if frame.flags & FLAG_ROBOT == self._role_flag:
            self._reject("echo", f"echo: a {_name(frame.kind)} frame flagged as sent by the "
                                 f"{self.role}, as this end is (our own, or a peer confused)")
            return
        self.stats.frames_in += 1
        kind = frame.kind
        if kind == Kind.HELLO:
            self._on_hello(frame, now)
            return
        if kind not in (Kind.ACK, Kind.HEARTBEAT) and not 0x10 <= kind <= 0x7F:
            self._reject("type", f"type: frame type {kind:#04x} is no frame of this protocol")
            return
        if not self.established:
            self.stats.unsynced += 1
            if now >= self._hello_at - self._hello_interval + self.retransmit_s:
                self._hello_owed = True  # the peer thinks we are in session: tell it soon
            return
        if frame.body and kind < 0x10:
            self._reject("body", f"body: a {_name(kind)} frame carries {len(frame.body)} "
                                 "body bytes; it carries none")
            return
        self._heard_at = now
        if frame.flags & FLAG_ACK:
            self._on_ack(frame.ack, now)
        if kind >= 0x10:
            self._on_data(frame, out)

    def _on_ack(self, ack: int, now: float) -> None:
        base = self._in_flight[0].seq if self._in_flight else self._next_seq
        done = (ack - base) & 0xFFFF
        if done > len(self._in_flight):
            self.stats.bad_acks += 1
            return
        if done:
            for _ in range(done):
                if not self._in_flight.popleft().more:
                    self.stats.messages_out += 1
                    self._started -= 1
                    self._unacked.popleft()
            self._rto = self.retransmit_s
            self._rtx_at = now + self._rto if self._in_flight else None

    def _on_data(self, frame: Frame, out: list[Message]) -> None:
        self._ack_owed = True
        ahead = (frame.seq - self._expected) & 0xFFFF
        if ahead >= 0x8000:
            self.stats.duplicates += 1
            return
        if ahead:
            self.stats.out_of_order += 1
            return
        self._expected = (self._expected + 1) & 0xFFFF
        whole = self._reassembler.add(frame)
        if whole is None:
            return
        if isinstance(whole, str):
            self._reject(whole, f"{whole}: a message ending in frame seq {frame.seq} " + (
                f"over {MAX_MESSAGE} bytes" if whole == "message_size"
                else "whose fragments changed type"))
            return
        kind, body = whole
        if kind not in _RECEIVES[self.role]:
            if kind in Kind._value2member_map_:
                self._reject("direction", f"direction: a {_name(kind)} message (seq "
                                          f"{frame.seq}) is never sent to the {self.role}")
            else:
                self._reject("type", f"type: message type {kind:#04x} (seq {frame.seq}) is "
                                     "no message of this protocol")
            return
        try:
            message = decode_body(kind, body)
        except SerialProtocolError as exc:
            self._reject("body", f"body: {_name(kind)} message (seq {frame.seq}, "
                                 f"{len(body)} bytes) does not decode: {exc}")
            return
        self.stats.messages_in += 1
        out.append(message)

    def _on_hello(self, frame: Frame, now: float) -> None:
        if len(frame.body) != HELLO.size:
            self._reject("hello", f"hello: a HELLO of {len(frame.body)} body bytes, not "
                                  f"{HELLO.size}")
            return
        theirs, echo, flags, max_frame = HELLO.unpack(frame.body)
        if theirs == 0 or max_frame < MIN_PEER_FRAME:
            self._reject("hello", f"hello: session id {theirs:#x} (0 is none) and largest "
                                  f"frame {max_frame} (at least {MIN_PEER_FRAME})")
            return
        if self.established and theirs == self.peer_session and echo != self.session_id:
            self._reject("stale_hello", f"stale_hello: a HELLO echoing session {echo:#x}, "
                                        f"not ours ({self.session_id:#x}): from before")
            return
        self._heard_at = now
        if theirs != self.peer_session:
            if self.peer_session is not None:
                self.stats.peer_restarts += 1
            if self._bound:
                self._drop_queued()
                self._bound = False
            self.peer_session = theirs
            self.established = False
            self._restart_sequences()
        self._peer_max = min(max_frame, MAX_FRAME)
        if echo == self.session_id:
            if not self.established:
                self.established = self._bound = True
                self.stats.handshakes += 1
                self._hello_interval = self.retransmit_s
            if not flags & HELLO_SYNCED:
                self._hello_owed = True
        else:
            self._hello_owed = True

    # -- output -----------------------------------------------------------------------
    def send(self, msg: Message, now: float) -> None:
        """Queue ``msg`` for reliable delivery. Raises ``SerialProtocolError`` for a
        message this end does not send or whose body exceeds ``MAX_MESSAGE``, and
        ``LinkError`` when ``max_queue`` messages are already waiting."""
        self._now = now
        kind, body = encode_body(msg)
        if kind not in _SENDS[self.role]:
            raise SerialProtocolError(f"the {self.role} does not send {kind.name}")
        if len(body) > MAX_MESSAGE:
            raise SerialProtocolError(f"{kind.name} of {len(body)} bytes exceeds the "
                                      f"{MAX_MESSAGE}-byte message limit")
        self._enqueue(kind, body)

    def send_raw(self, kind: int, body: bytes, now: float) -> None:
        """Queue a data frame body as given, unchecked: any type of 0x10-0x7F, any
        bytes, either way. For simulated firmware with bugs (``sim.hostile_frames``):
        the peer must refuse what this lets through, and say why. ``LinkError`` when
        the queue is full, ``ValueError`` for a control type or an oversized body."""
        self._now = now
        if not 0x10 <= kind <= 0x7F or len(body) > MAX_MESSAGE:
            raise ValueError(f"not a data frame body: type {kind:#04x}, {len(body)} bytes")
        self._enqueue(kind, body)

    def _enqueue(self, kind: int, body: bytes) -> None:
        if kind == Kind.STATE and (old := next((m for m in self._queue if m[0] == kind), None)):
            self._queue.remove(old)  # not started yet, so no half message is left behind
            self.stats.superseded += 1
        if self.pending >= self.max_queue:
            raise LinkError(f"{self.max_queue} messages already wait for the line")
        self._queue.append((kind, body))

    def tick(self, now: float) -> None:
        """Advance the clock; what falls due is written by the next ``outgoing``."""
        self._now = max(self._now, now)

    def outgoing(self, now: float) -> bytes:
        """Everything to write now: HELLOs, new data, retransmissions, acks, heartbeats."""
        self.tick(now)
        out = bytearray()
        if not self.established:
            if self._hello_owed or now >= self._hello_at:
                self._hello(out, now)
                self._hello_interval = min(2 * self._hello_interval, self.max_retransmit_s)
        else:
            if self._hello_owed:
                self._hello(out, now)
            if self._in_flight and self._rtx_at is not None and now >= self._rtx_at:
                for item in self._in_flight:
                    self._frame(out, item)
                self.stats.retransmissions += len(self._in_flight)
                self._rto = min(2 * self._rto, self.max_retransmit_s)
                self._rtx_at = now + self._rto
            while (self._parts or self._queue) and len(self._in_flight) < self.window:
                if not self._parts:
                    self._start_message()
                item = self._parts.popleft()
                item.seq = self._next_seq
                self._next_seq = (self._next_seq + 1) & 0xFFFF
                self._in_flight.append(item)
                self._frame(out, item)
                if self._rtx_at is None:
                    self._rtx_at = now + self._rto
            if self._ack_owed:
                self._frame(out, _InFlight(0, Kind.ACK, b""))
            elif not out and now >= self._sent_at + self.heartbeat_s:
                self._frame(out, _InFlight(0, Kind.HEARTBEAT, b""))
        if not out:
            return b""
        self._sent_at = now
        self.stats.bytes_out += len(out)
        return bytes(out)

    def _start_message(self) -> None:
        """Cut the next queued message into fragments; from now on it cannot be superseded."""
        kind, body = self._queue.popleft()
        self._unacked.append((kind, body))
        size = min(self.fragment, self._peer_max - OVERHEAD)
        self._parts.extend(_InFlight(0, kind, part, more) for part, more in split_body(body, size))
        self._started += 1

    def _hello(self, out: bytearray, now: float) -> None:
        body = HELLO.pack(self.session_id, self.peer_session or 0,
                          HELLO_SYNCED if self.established else 0, self.max_frame)
        out += b"\x00" + encode_frame(Frame(Kind.HELLO, 0, 0, self._role_flag, body))
        self.stats.frames_out += 1
        self._hello_owed = False
        self._hello_at = now + self._hello_interval

    def _frame(self, out: bytearray, item: _InFlight) -> None:
        """A 0x00 goes before every frame, not once per write: noise that lands between
        two frames of one write then ends at that zero and spoils neither."""
        flags = self._role_flag | FLAG_ACK | (FLAG_MORE if item.more else 0)
        out += b"\x00" + encode_frame(Frame(item.kind, item.seq, self._expected, flags,
                                            item.body))
        self.stats.frames_out += 1
        self._ack_owed = False

    def next_deadline(self) -> float | None:
        """When ``outgoing`` must be called next at the latest (now, if it has
        something to write already)."""
        if self._hello_owed or (self.established and (
                self._ack_owed or ((self._queue or self._parts)
                                   and len(self._in_flight) < self.window))):
            return self._now
        deadlines = [self._hello_at] if not self.established else [
            self._sent_at + self.heartbeat_s]
        if self.established and self._rtx_at is not None:
            deadlines.append(self._rtx_at)
        if self.alive:
            deadlines.append(self._heard_at + self.silence_s)
        return min(deadlines)


def _name(kind: int) -> str:
    """A frame or message type as the protocol document names it."""
    known = Kind._value2member_map_.get(kind)
    return known.name if isinstance(known, Kind) else f"{kind:#04x}"
