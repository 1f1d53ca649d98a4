"""VDA 5050 topic names: ``{interface}/v2/{manufacturer}/{serialNumber}/{topic}``.

Builders refuse levels that would change the topic's meaning (``/`` splits a
level, ``+`` and ``#`` are wildcards, ``$`` is the broker's); the parser refuses
anything that is not a 2.x VDA 5050 topic, so a message that names a robot in
its payload and another in its topic is caught before anyone believes it.
Delivery (QoS, retain) per topic is the spec's (§6.2, §6.14, §6.15).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import NamedTuple

from drivers.vda5050.wire import WireError

INTERFACE = "uagv"
"""The default interface name; configurable per site."""
MAJOR = "v2"
MAX_LEVEL_LENGTH = 256


class Topic(StrEnum):
    ORDER = "order"
    INSTANT_ACTIONS = "instantActions"
    STATE = "state"
    VISUALIZATION = "visualization"
    CONNECTION = "connection"
    FACTSHEET = "factsheet"


@dataclass(frozen=True, slots=True)
class Delivery:
    qos: int
    retain: bool


DELIVERY = MappingProxyType({
    Topic.ORDER: Delivery(qos=0, retain=False),
    Topic.INSTANT_ACTIONS: Delivery(qos=0, retain=False),
    Topic.STATE: Delivery(qos=0, retain=False),
    Topic.VISUALIZATION: Delivery(qos=0, retain=False),
    Topic.CONNECTION: Delivery(qos=1, retain=True),
    Topic.FACTSHEET: Delivery(qos=0, retain=True),
})
"""The connection message (and the last will carrying it) is QoS 1 and retained, so a
master that starts late still learns who is online; the factsheet is retained so it
need not be asked for. Everything else is QoS 0: a newer state supersedes a lost one."""

_SERIAL = re.compile(r"[A-Za-z0-9_.:\-]+")
_FORBIDDEN = frozenset("/#+$\x00")


class TopicAddress(NamedTuple):
    manufacturer: str
    serial: str
    topic: Topic


def check_level(value: str, what: str) -> str:
    """Return ``value`` if it can be one topic level, else raise ``WireError``."""
    if not value:
        raise WireError("topic", what, "must not be empty")
    if len(value) > MAX_LEVEL_LENGTH:
        raise WireError("topic", what, f"longer than {MAX_LEVEL_LENGTH} characters")
    bad = _FORBIDDEN.intersection(value)
    if bad:
        shown = ", ".join(repr(c) for c in sorted(bad))
        raise WireError("topic", what, f"{value[:40]!r} contains {shown}")
    return value


def check_serial(serial: str) -> str:
    """A serial number uses only ``A-Z a-z 0-9 _ . : -`` (spec §6.2)."""
    check_level(serial, "serialNumber")
    if not _SERIAL.fullmatch(serial):
        raise WireError("topic", "serialNumber", f"{serial[:40]!r} may use only "
                                                 "A-Z a-z 0-9 _ . : -")
    return serial


def topic_name(manufacturer: str, serial: str, topic: Topic, *,
               interface: str = INTERFACE) -> str:
    """The topic one vehicle's ``topic`` messages travel on."""
    return "/".join((check_level(interface, "interfaceName"), MAJOR,
                     check_level(manufacturer, "manufacturer"), check_serial(serial),
                     Topic(topic).value))


def subscription(topic: Topic, *, interface: str = INTERFACE, manufacturer: str | None = None,
                 serial: str | None = None) -> str:
    """A topic filter for ``topic`` from one vehicle, or every vehicle (``+``) where
    the manufacturer or serial is not given."""
    return "/".join((
        check_level(interface, "interfaceName"), MAJOR,
        "+" if manufacturer is None else check_level(manufacturer, "manufacturer"),
        "+" if serial is None else check_serial(serial), Topic(topic).value))


def parse_topic(name: str, *, interface: str | None = INTERFACE) -> TopicAddress:
    """Split a VDA 5050 2.x topic into (manufacturer, serial, topic); any interface name
    is taken when ``interface`` is None. Raises ``WireError`` for anything else."""
    levels = name.split("/")
    if len(levels) != 5:
        raise WireError(f"topic {name[:80]!r}", "$",
                        "expected interface/v2/manufacturer/serialNumber/topic")
    iface, major, manufacturer, serial, last = levels
    if interface is not None and iface != interface:
        raise WireError(f"topic {name[:80]!r}", "interfaceName",
                        f"expected {interface!r}, got {iface[:40]!r}")
    if major != MAJOR:
        raise WireError(f"topic {name[:80]!r}", "majorVersion",
                        f"expected {MAJOR!r}, got {major[:40]!r}")
    try:
        topic = Topic(last)
    except ValueError:
        raise WireError(f"topic {name[:80]!r}", "topic",
                        f"{last[:40]!r} is not a VDA 5050 topic") from None
    check_level(iface, "interfaceName")
    check_level(manufacturer, "manufacturer")
    check_serial(serial)
    return TopicAddress(manufacturer, serial, topic)


def check_sender(address: TopicAddress, manufacturer: str, serial: str, where: str) -> None:
    """Raise ``WireError`` unless the payload's header names the topic's vehicle: a
    vehicle (or a misconfigured one) must not speak for another."""
    if manufacturer != address.manufacturer:
        raise WireError(where, "$.manufacturer",
                        f"{manufacturer[:40]!r} does not match the topic's "
                        f"{address.manufacturer!r}")
    if serial != address.serial:
        raise WireError(where, "$.serialNumber",
                        f"{serial[:40]!r} does not match the topic's {address.serial!r}")
