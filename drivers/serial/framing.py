"""Frames on a byte stream: header, body and CRC-32, COBS-stuffed, 0x00-delimited
(``docs/serial-protocol.md``, sections "Frame" and "COBS").

COBS leaves no zero byte inside a frame, so a zero always ends one: whatever garbage
or torn frame came before, the decoder is back in step at the next delimiter and has
lost at most the frame that was broken. CRC-32 (the zlib/Ethernet one) rather than
CRC-16, because a radio link corrupts thousands of frames an hour and a 16-bit check
would let one through every few hours; see the document for the numbers.

``FrameDecoder.feed`` never raises: every broken frame comes back as a ``FrameError``
naming why, for the session to count. ``split_body`` and ``Reassembler`` cut a message
into fragments of ``FRAGMENT`` bytes and join them again: on a noisy line a short frame
arrives whole far more often than a long one.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from typing import Literal

VERSION = 1
HEADER = struct.Struct("<BBBHHH")
"""version, type, flags, seq, ack, body length."""
CRC = struct.Struct("<I")
OVERHEAD = HEADER.size + CRC.size
MAX_FRAME = 2048
"""Largest frame before stuffing: header, body and CRC."""
MAX_BODY = MAX_FRAME - OVERHEAD
MAX_STUFFED = MAX_FRAME + (MAX_FRAME + 253) // 254
"""Largest stuffed frame (COBS adds a byte per 254): more bytes without a zero are
garbage, dropped as they come so that noise cannot grow the buffer."""

FLAG_ACK = 0x01
"""The ack field is valid."""
FLAG_ROBOT = 0x02
"""The sender is the robot (lets each end drop its own echo on a shared RS-485 pair)."""
FLAG_MORE = 0x04
"""Data frames: another fragment of the same message follows in the next sequence number."""
FRAGMENT = 32
"""Body bytes per fragment. At 1 % byte errors a frame of n bytes arrives whole with
probability 0.99^n: a 219-byte order as one frame 11 %, a 32-byte fragment (48 bytes
on the line) 61 %. Chosen by measurement (``docs/serial-protocol.md``, "Fragments")."""
MAX_MESSAGE = 4096
"""Largest reassembled message body."""

Reason = Literal["cobs", "short", "crc", "version", "length", "oversize"]
Dropped = Literal["message_size", "fragment"]


@dataclass(frozen=True, slots=True)
class Frame:
    kind: int
    seq: int = 0
    ack: int = 0
    flags: int = 0
    body: bytes = b""
    version: int = VERSION


@dataclass(frozen=True, slots=True)
class FrameError:
    """A frame that was dropped, and why: ``cobs`` (stuffing broken), ``short`` (less
    than a header and CRC), ``crc``, ``version`` (CRC good, version not ours),
    ``length`` (CRC good, length field disagrees), ``oversize`` (more than
    ``MAX_FRAME``). ``detail`` holds the numbers a person needs to tell a noisy line
    from a peer speaking another protocol (ignored when comparing)."""

    reason: Reason
    size: int
    detail: str = field(default="", compare=False)

    @property
    def text(self) -> str:
        """What was wrong, in words, for a log line or the dashboard."""
        words = {"cobs": "COBS stuffing broken (a code byte points past the frame's end)",
                 "short": f"shorter than a header and CRC ({OVERHEAD} bytes)",
                 "crc": "CRC-32 does not match",
                 "version": "not this protocol's version",
                 "length": "the length field disagrees with the frame",
                 "oversize": f"more than a frame can hold ({MAX_FRAME} bytes, "
                             f"{MAX_STUFFED} stuffed)"}[self.reason]
        detail = f": {self.detail}" if self.detail else ""
        return f"{self.reason}: a {self.size}-byte frame, {words}{detail}"


def crc32(data: bytes) -> int:
    """CRC-32/ISO-HDLC: poly 0x04C11DB7 reflected, init and xorout 0xFFFFFFFF."""
    return zlib.crc32(data)


def cobs_encode(data: bytes) -> bytes:
    """Canonical COBS: a run of 254 non-zero bytes that ends the data is not followed
    by an empty 0x01 block."""
    out = bytearray()
    parts = data.split(b"\x00")
    for i, part in enumerate(parts):
        start = 0
        while len(part) - start >= 254:
            out.append(0xFF)
            out += part[start:start + 254]
            start += 254
        if start and start == len(part) and i == len(parts) - 1:
            break
        out.append(len(part) - start + 1)
        out += part[start:]
    return bytes(out)


def cobs_decode(data: bytes) -> bytes | None:
    """The original bytes, or None when a code byte points past the end."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        end = i + code
        if code == 0 or end > n:
            return None
        out += data[i + 1:end]
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)


def pack_frame(frame: Frame) -> bytes:
    """The frame before stuffing: header, body, CRC-32 (little-endian)."""
    if len(frame.body) > MAX_BODY:
        raise ValueError(f"a {len(frame.body)}-byte body exceeds {MAX_BODY}")
    raw = HEADER.pack(frame.version, frame.kind, frame.flags, frame.seq & 0xFFFF,
                      frame.ack & 0xFFFF, len(frame.body)) + frame.body
    return raw + CRC.pack(crc32(raw))


def encode_frame(frame: Frame) -> bytes:
    """The frame as written to the line: stuffed, then the 0x00 delimiter."""
    return cobs_encode(pack_frame(frame)) + b"\x00"


def unpack_frame(raw: bytes) -> Frame | FrameError:
    """A frame from its unstuffed bytes; checks size, CRC, version and length."""
    size = len(raw)
    if size > MAX_FRAME:
        return FrameError("oversize", size)
    if size < OVERHEAD:
        return FrameError("short", size)
    (crc,) = CRC.unpack_from(raw, size - CRC.size)
    computed = crc32(raw[:-CRC.size])
    if crc != computed:
        return FrameError("crc", size, f"carried {crc:#010x}, computed {computed:#010x}")
    version, kind, flags, seq, ack, length = HEADER.unpack_from(raw)
    if version != VERSION:
        return FrameError("version", size, f"version {version}, this end speaks {VERSION}")
    if length != size - OVERHEAD:
        return FrameError("length", size, f"says {length} body bytes, carries "
                                          f"{size - OVERHEAD}")
    return Frame(kind, seq, ack, flags, raw[HEADER.size:-CRC.size], version)


def decode_frame(stuffed: bytes) -> Frame | FrameError:
    """A frame from the bytes between two delimiters."""
    if len(stuffed) > MAX_STUFFED:
        return FrameError("oversize", len(stuffed))
    raw = cobs_decode(stuffed)
    if raw is None:
        return FrameError("cobs", len(stuffed))
    return unpack_frame(raw)


def split_body(body: bytes, size: int) -> list[tuple[bytes, bool]]:
    """Fragment bodies of ``size`` bytes, each with its MORE flag (all but the last); an
    empty body is one empty fragment, so every message is at least one frame."""
    starts = range(0, len(body), size) if body else range(1)
    return [(body[i:i + size], i + size < len(body)) for i in starts]


class Reassembler:
    """Joins fragment bodies into a message. Fragments come in sequence order and exactly
    once (the session sees to that), so no ids are needed: bodies are appended until a
    frame without ``FLAG_MORE``. A message over ``limit`` bytes, or whose fragments change
    type, is dropped up to and including its last fragment."""

    __slots__ = ("_broken", "_buf", "_kind", "limit")

    def __init__(self, limit: int = MAX_MESSAGE) -> None:
        self.limit = limit
        self._kind: int | None = None
        self._buf = bytearray()
        self._broken = False

    def add(self, frame: Frame) -> tuple[int, bytes] | Dropped | None:
        """The complete message ``(kind, body)``; None while more is to come or the rest
        of a dropped message passes; the reason when this fragment drops the message."""
        more = bool(frame.flags & FLAG_MORE)
        why: Dropped | None = None
        if not self._broken:
            if self._kind is not None and frame.kind != self._kind:
                why = "fragment"
            elif len(self._buf) + len(frame.body) > self.limit:
                why = "message_size"
        if why or self._broken:
            self._broken = more
            self._kind = None
            self._buf.clear()
            return why
        if more:
            self._kind = frame.kind
            self._buf += frame.body
            return None
        body = bytes(self._buf) + frame.body if self._buf else frame.body
        self.reset()
        return frame.kind, body

    @property
    def partial(self) -> int:
        """Bytes held of a message not yet complete."""
        return len(self._buf)

    def reset(self) -> None:
        """Forget a partial message (the peer restarted)."""
        self._kind = None
        self._buf.clear()
        self._broken = False


class FrameDecoder:
    """Splits a byte stream into frames. Bytes between two delimiters are one frame;
    empty ones (00 00) are idle fill and ignored. Holds at most ``MAX_STUFFED`` bytes."""

    __slots__ = ("_buf", "_overflow")

    def __init__(self) -> None:
        self._buf = bytearray()
        self._overflow = 0

    def feed(self, data: bytes) -> list[Frame | FrameError]:
        out: list[Frame | FrameError] = []
        start = 0
        while True:
            end = data.find(0, start)
            chunk = data[start:] if end < 0 else data[start:end]
            if self._overflow or len(self._buf) + len(chunk) > MAX_STUFFED:
                self._overflow += len(self._buf) + len(chunk)
                self._buf.clear()
            else:
                self._buf += chunk
            if end < 0:
                return out
            if self._overflow:
                out.append(FrameError("oversize", self._overflow))
                self._overflow = 0
            elif self._buf:
                out.append(decode_frame(bytes(self._buf)))
                self._buf.clear()
            start = end + 1

    def reset(self) -> None:
        """Forget a partial frame (the line was reopened)."""
        self._buf.clear()
        self._overflow = 0
