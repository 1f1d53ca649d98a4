"""What every VDA 5050 message carries around its body: the header (who, when, which
count, which version), and the checks that keep values fit for the wire.

Outbound, a ``Vehicle`` names the robot once (checked so that its topics are
valid) and ``head`` fills the header from the caller's per-topic ``header_id``
and an epoch time. Inbound, ``header_of`` reads the header back and, when the
topic is known, refuses a payload that speaks for another vehicle.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Generic, TypedDict, TypeVar

from drivers.vda5050.topics import Topic, TopicAddress, check_level, check_sender, check_serial
from drivers.vda5050.topics import parse_topic as _parse_topic
from drivers.vda5050.wire import VERSION, WireError, WireHeader, is_version

T = TypeVar("T")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Vehicle:
    """Who a message is about: the header's manufacturer and serialNumber, and the
    protocol version it speaks (written in every header, and choosing the keys a
    2.0.x vehicle reads). Checked once here so every topic for it is valid."""

    manufacturer: str
    serial: str
    version: str = VERSION

    def __post_init__(self) -> None:
        check_level(self.manufacturer, "manufacturer")
        check_serial(self.serial)
        if not is_version(self.version):
            raise WireError(f"vehicle {self.serial}", "$.version",
                            f"{self.version!r} is not a VDA 5050 2.x version")


@dataclass(frozen=True, slots=True)
class Header:
    """``header_id`` and ``timestamp`` (epoch seconds) are None only where the schema
    makes them optional (factsheet, visualization)."""

    header_id: int | None
    timestamp: float | None
    version: str
    manufacturer: str
    serial: str


@dataclass(frozen=True, slots=True)
class Inbound(Generic[T]):
    """A decoded message: its header beside the controller's value."""

    header: Header
    body: T


def iso_timestamp(at: float) -> str:
    """``YYYY-MM-DDTHH:mm:ss.ffZ`` (UTC, hundredths) for epoch seconds ``at``."""
    if not math.isfinite(at):
        raise WireError("timestamp", "$.timestamp", f"{at} is not a time")
    seconds, hundredths = divmod(round(at * 100), 100)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{hundredths:02d}Z"


def parse_timestamp(text: str, where: str, path: str = "$.timestamp") -> float:
    """Epoch seconds from any ISO 8601 date-time (no offset is taken as UTC)."""
    try:
        stamp = datetime.fromisoformat(text)
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        return (stamp - _EPOCH).total_seconds()
    except (ValueError, OverflowError):
        raise WireError(where, path, f"expected an ISO 8601 date-time, got "
                                     f"{text[:40]!r}") from None


# -- outbound ----------------------------------------------------------------------------------


class Head(TypedDict):
    """The header as keyword arguments of a ``WireHeader`` struct."""

    header_id: int
    timestamp: str
    version: str
    manufacturer: str
    serial_number: str


def head(vehicle: Vehicle, header_id: int, at: float, where: str) -> Head:
    return {"header_id": uint32(header_id, where, "$.headerId"), "timestamp": iso_timestamp(at),
            "version": vehicle.version, "manufacturer": vehicle.manufacturer,
            "serial_number": vehicle.serial}


def uint32(value: int, where: str, path: str) -> int:
    if not 0 <= value < 2**32:
        raise WireError(where, path, f"{value} is not a uint32")
    return int(value)


def finite(value: float, where: str, path: str, minimum: float | None = None) -> float:
    """``value`` as a JSON number, or ``WireError``: msgspec would write NaN as null."""
    if not math.isfinite(value):
        raise WireError(where, path, f"{value} is not a finite number (NaN and Infinity "
                                     "are not JSON)")
    if minimum is not None and value < minimum:
        raise WireError(where, path, f"{value} is below {minimum}")
    return float(value)


def angle(value: float, where: str, path: str) -> float:
    """Angles go out in [-pi, pi], as the schemas bound them."""
    return math.remainder(finite(value, where, path), math.tau)


# -- inbound ----------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _parsed(topic: str) -> TopicAddress:
    """A link sees the same few topics all day; failures are not cached and raise anew."""
    return _parse_topic(topic, interface=None)


def where_from(kind: Topic, topic: str | None) -> str:
    """How an inbound message is named in errors: ``state from uagv/v2/acme/R1/state``."""
    return f"{kind.value} from {topic}" if topic else kind.value


def address_of(topic: str | None, kind: Topic, where: str) -> TopicAddress | None:
    """The vehicle ``topic`` names (None when not known); it must be a ``kind`` topic."""
    if topic is None:
        return None
    address = _parsed(topic)
    if address.topic is not kind:
        raise WireError(where, "$", f"a {kind.value} message on the {address.topic.value} topic")
    return address


def header_of(msg: WireHeader, kind: Topic, topic: str | None, where: str) -> Header:
    address = address_of(topic, kind, where)
    if address is not None:
        check_sender(address, msg.manufacturer, msg.serial_number, where)
    return Header(msg.header_id, parse_timestamp(msg.timestamp, where), msg.version,
                  msg.manufacturer, msg.serial_number)
