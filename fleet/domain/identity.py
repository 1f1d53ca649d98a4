"""A robot's identity and its one string key on the site.

VDA 5050 names a vehicle by two things: its ``manufacturer`` and its
``serialNumber`` (the topic levels ``uagv/v2/{manufacturer}/{serialNumber}/...``
and the header of every message). Two vendors may both ship a vehicle called
"sim1", so the identity of a robot is the pair, and configuration refuses the
same pair twice.

The controller, the store, the fleet API and the dashboard need one string per
robot (a dict key, a store column, a topic level of ``fleet/v1/{site}/robots/...``,
a label on the floor map). That key is ``robot_id``:

- the plain serial number whenever no other robot on the site has that serial:
  every site with unique serials (every site before this module) keeps the keys,
  topics, stored rows and reports it had;
- ``{serial}@{manufacturer}`` only for a serial that robots of more than one
  manufacturer use ("sim1@acme", "sim1@fleet-sim").

Why not ``manufacturer/serial``: the key is a topic level of the fleet API
(``robots/{key}``), where '/' is the level separator. '@' is legal there and can
never be part of a VDA 5050 serial number (``A-Z a-z 0-9 _ . : -``), so the key
splits back at its first '@' without ambiguity, whatever the manufacturer's name
holds. Serial first, because that is what staff read on the robot. Where '@' is
not allowed the key is spelt otherwise: in a VDA 5050 id (``id_part``:
``sim1.acme``) and in a simulated robot's broker user (``robot-sim1-at-acme``).

The key is a name for people and tables, never for the wire: a link is made with
the real pair and the key (``VdaMaster.link(..., robot_id=)``,
``SerialRobotLink(..., robot_id=)``), addresses the vehicle by the pair, matches
what arrives by both (topic and header must agree), and hands the controller
states and connection events under the key.

A key depends on the whole site: adding a second manufacturer's "sim1" renames
the first "sim1" to "sim1@fleet-sim", so a controller restarted across that change
finds no trip of "sim1" to take back (change the fleet between services).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

SEPARATOR = "@"


@dataclass(frozen=True, slots=True)
class RobotIdentity:
    """Who a robot is: (manufacturer, serial), and its key on the site."""

    manufacturer: str
    serial: str
    robot_id: str


def robot_ids(pairs: Iterable[tuple[str, str]]) -> list[RobotIdentity]:
    """Each (manufacturer, serial) with its key on a site of exactly these robots,
    in the order given: the serial alone when only one manufacturer uses it, else
    ``{serial}@{manufacturer}``. Pairs are expected unique (the config checks it)."""
    listed = list(pairs)
    makers: dict[str, set[str]] = {}
    for manufacturer, serial in listed:
        makers.setdefault(serial, set()).add(manufacturer)
    return [RobotIdentity(m, s, s if len(makers[s]) == 1 else f"{s}{SEPARATOR}{m}")
            for m, s in listed]


def id_part(robot_id: str) -> str:
    """The key as part of a VDA 5050 id (an orderId): '@' is not among the characters
    the standard recommends for ids, so ``sim1@acme`` becomes ``sim1.acme``."""
    return robot_id.replace(SEPARATOR, ".")


def split_robot_id(robot_id: str) -> tuple[str, str | None]:
    """(serial, manufacturer) of a key; the manufacturer is None for a plain serial."""
    serial, sep, manufacturer = robot_id.partition(SEPARATOR)
    return serial, (manufacturer if sep else None)
