"""The primitive values of the serial protocol's message bodies (``docs/serial-protocol.md``,
section "Body encoding"): little-endian integers, LEB128 varints, f32/f64, token strings
and tagged parameter values.

Kept apart from the message layouts so that a layout reads as a list of fields, the
way the document shows it. Every read checks bounds and raises ``SerialProtocolError``
naming the field, so a hostile body costs a counted error and nothing else.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Mapping, Sequence
from typing import TypeVar

from fleet.errors import ProtocolError

MAX_LITERAL = 0xDF
"""Longest literal string in bytes (a length byte of 0xE0..0xFF names a token)."""
MAX_DEPTH = 8
"""Deepest nesting of list/map parameter values."""

TOKENS: tuple[str, ...] = (
    "pick", "drop", "waitForTrigger", "startCharging", "stopCharging", "startPause",
    "stopPause", "cancelOrder", "finePositioning", "stateRequest", "factsheetRequest",
    "initPosition", "lhd", "loadId", "loadType", "stationType", "stationName", "triggerType",
    "trays", "dish", "dirty", "pass", "table", "return", "charger", "trayEmptied", "floor",
    "tray1", "tray2", "tray3", "tray4", "tray5",
)
"""Strings sent as one byte (0xE0 + index). Fixed for protocol version 1: the words the
restaurant's orders and states repeat in every frame."""
_TOKEN_OF = {t: i for i, t in enumerate(TOKENS)}

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_I64 = struct.Struct("<q")
_F32 = struct.Struct("<f")
_F64 = struct.Struct("<d")

# Tags of parameter values.
T_FALSE, T_TRUE, T_INT, T_FLOAT, T_STR, T_LIST, T_MAP = range(7)


class SerialProtocolError(ProtocolError):
    """Raised when a serial frame's body cannot be decoded (truncated, an unknown enum
    code, a bad string, trailing bytes) or a value cannot be put on the wire (too long a
    string, too many items, NaN, too big for its field). The message names the field."""


class Writer:
    """Appends fields to a body; raises ``SerialProtocolError`` for unencodable values."""

    __slots__ = ("buf",)

    def __init__(self) -> None:
        self.buf = bytearray()

    def u8(self, value: int, what: str) -> None:
        if not 0 <= value <= 0xFF:
            raise SerialProtocolError(f"{what}: {value} does not fit in a byte")
        self.buf.append(value)

    def flag(self, value: bool) -> None:
        self.buf.append(1 if value else 0)

    def uvar(self, value: int, what: str) -> None:
        """Unsigned LEB128, at most 32 bits: 7 bits a byte, low bits first."""
        if not 0 <= value <= 0xFFFF_FFFF:
            raise SerialProtocolError(f"{what}: {value} is not a 32-bit unsigned integer")
        while value >= 0x80:
            self.buf.append((value & 0x7F) | 0x80)
            value >>= 7
        self.buf.append(value)

    def f32(self, value: float, what: str) -> None:
        try:
            packed = _F32.pack(value)
        except OverflowError:
            packed = b""
        if not packed or not math.isfinite(value):
            raise SerialProtocolError(f"{what}: {value} is not a finite f32")
        self.buf += packed

    def f64(self, value: float, what: str) -> None:
        if not math.isfinite(value):
            raise SerialProtocolError(f"{what}: {value} is not finite")
        self.buf += _F64.pack(value)

    def text(self, value: str, what: str) -> None:
        token = _TOKEN_OF.get(value)
        if token is not None:
            self.buf.append(0xE0 + token)
            return
        data = value.encode()
        if len(data) > MAX_LITERAL:
            raise SerialProtocolError(f"{what}: {len(data)} bytes, at most {MAX_LITERAL}")
        self.buf.append(len(data))
        self.buf += data

    def count(self, n: int, what: str) -> None:
        if n > 0xFF:
            raise SerialProtocolError(f"{what}: {n} items, at most 255")
        self.buf.append(n)

    def value(self, value: object, what: str, depth: int = 1) -> None:
        """A parameter value, tagged (bool, int, float, str, list, map)."""
        if depth > MAX_DEPTH:
            raise SerialProtocolError(f"{what}: nested deeper than {MAX_DEPTH}")
        if isinstance(value, bool):
            self.buf.append(T_TRUE if value else T_FALSE)
        elif isinstance(value, int):
            if not -(1 << 63) <= value < (1 << 63):
                raise SerialProtocolError(f"{what}: {value} does not fit in 64 bits")
            self.buf.append(T_INT)
            self.buf += _I64.pack(value)
        elif isinstance(value, float):
            self.buf.append(T_FLOAT)
            self.f64(value, what)
        elif isinstance(value, str):
            self.buf.append(T_STR)
            self.text(value, what)
        elif isinstance(value, list | tuple):
            self.buf.append(T_LIST)
            self.count(len(value), what)
            for i, item in enumerate(value):
                self.value(item, f"{what}[{i}]", depth + 1)
        elif isinstance(value, Mapping):
            self.buf.append(T_MAP)
            self.count(len(value), what)
            for key, item in value.items():
                if not isinstance(key, str):
                    raise SerialProtocolError(f"{what}: map keys must be strings")
                self.text(key, f"{what} key")
                self.value(item, f"{what}.{key}", depth + 1)
        else:
            raise SerialProtocolError(f"{what}: a {type(value).__name__} cannot be sent")


def _short_f32(raw: bytes) -> float:
    """The shortest decimal that is the same f32, so that 0.7 comes back as 0.7 and not
    0.699999988: values written by people and rounded by the controller round-trip."""
    (wide,) = _F32.unpack(raw)
    for digits in (6, 7, 8):
        short = float(f"{wide:.{digits}g}")
        if _F32.pack(short) == raw:
            return short
    return float(wide)


class Reader:
    """Reads fields off a body; every shortfall is a ``SerialProtocolError``."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def _take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise SerialProtocolError(f"{what}: body ends early")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def u8(self, what: str) -> int:
        if self.pos >= len(self.data):
            raise SerialProtocolError(f"{what}: body ends early")
        self.pos += 1
        return self.data[self.pos - 1]

    def flag(self, what: str) -> bool:
        byte = self.u8(what)
        if byte > 1:
            raise SerialProtocolError(f"{what}: {byte} is not a boolean (0 or 1)")
        return byte == 1

    def code(self, what: str, limit: int) -> int:
        byte = self.u8(what)
        if byte >= limit:
            raise SerialProtocolError(f"{what}: unknown code {byte}")
        return byte

    def u16(self, what: str) -> int:
        (value,) = _U16.unpack(self._take(2, what))
        return int(value)

    def u32(self, what: str) -> int:
        (value,) = _U32.unpack(self._take(4, what))
        return int(value)

    def uvar(self, what: str) -> int:
        value = 0
        for shift in range(0, 35, 7):
            byte = self.u8(what)
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if value > 0xFFFF_FFFF:
                    break
                return value
        raise SerialProtocolError(f"{what}: varint longer than 32 bits")

    def f32(self, what: str) -> float:
        value = _short_f32(self._take(4, what))
        if not math.isfinite(value):
            raise SerialProtocolError(f"{what}: not a finite number")
        return value

    def f64(self, what: str) -> float:
        (value,) = _F64.unpack(self._take(8, what))
        if not math.isfinite(value):
            raise SerialProtocolError(f"{what}: not a finite number")
        return float(value)

    def text(self, what: str) -> str:
        head = self.u8(what)
        if head > MAX_LITERAL:
            return TOKENS[head - 0xE0]
        try:
            return self._take(head, what).decode()
        except UnicodeDecodeError as exc:
            raise SerialProtocolError(f"{what}: not UTF-8") from exc

    def value(self, what: str, depth: int = 1) -> object:
        if depth > MAX_DEPTH:
            raise SerialProtocolError(f"{what}: nested deeper than {MAX_DEPTH}")
        tag = self.code(f"{what} tag", T_MAP + 1)
        if tag in (T_FALSE, T_TRUE):
            return tag == T_TRUE
        if tag == T_INT:
            (number,) = _I64.unpack(self._take(8, what))
            return int(number)
        if tag == T_FLOAT:
            return self.f64(what)
        if tag == T_STR:
            return self.text(what)
        count = self.u8(what)
        if tag == T_LIST:
            return [self.value(f"{what}[{i}]", depth + 1) for i in range(count)]
        out: dict[str, object] = {}
        for _ in range(count):
            key = self.text(f"{what} key")
            if key in out:
                raise SerialProtocolError(f"{what}: duplicate key {key[:40]!r}")
            out[key] = self.value(f"{what}.{key}", depth + 1)
        return out

    def end(self, what: str) -> None:
        if self.pos != len(self.data):
            raise SerialProtocolError(f"{what}: {len(self.data) - self.pos} bytes left over")


E = TypeVar("E")


def index(table: Sequence[object], value: object, what: str) -> int:
    """The code of an enum value: its position in the document's table."""
    try:
        return table.index(value)
    except ValueError:
        raise SerialProtocolError(f"{what}: {value!r} has no code") from None


def code(r: Reader, table: Sequence[E], what: str) -> E:
    return table[r.code(what, len(table))]


def read_flags(r: Reader, allowed: int, what: str) -> int:
    """A flag byte; reserved bits must be 0 in version 1."""
    byte = r.u8(what)
    if byte & ~allowed:
        raise SerialProtocolError(f"{what}: reserved bits set in {byte:#04x}")
    return byte
