"""The controller as its clients see it: commands in, read-only answers out.

The fleet API (``fleet.api``) depends on this module and on no other part of the
controller (a contract in ``tests/test_import_contracts.py``), so the order book,
the robot records and the traffic manager can change shape without the API
following. Two halves:

- ``FleetCommands``: what a client may ask of the controller. ``Controller``
  satisfies it as it is; each method returns the robot commands to send and
  raises ``OrderError`` or ``CommandError`` (with a ``code`` and ``field``) when
  it refuses.
- ``FleetPort``: read-only answers built for the moment they are asked (a
  ``RobotSight`` is a copy), plus ``commands``. Orders are the domain's ``Order``
  values, read in place; a client never changes them.

Names are checked once, in the core: ``check_table`` is the order book's own
rule, so a till hears the same refusal for a bussing call as for an order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from fleet.controller.commands import Command
from fleet.controller.explain import doing_phrase, waiting_phrase
from fleet.domain import Dish, Order, Priority, RobotMode, Trip
from fleet.domain.events import Event
from fleet.floor import FloorPlan
from fleet.floor.model import Cell
from fleet.intake import OrderRequest
from fleet.vda import RobotState
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.controller.core import Controller
    from fleet.store.base import Store


class FleetCommands(Protocol):
    """What a client (a till, a kitchen display, the floor manager) may ask. Every
    method takes the controller's ``now`` and returns the commands for the robots."""

    def take_back_order(self, order_id: str) -> bool: ...

    def submit(self, request: OrderRequest, now: float) -> list[Command]: ...

    def mark_ready(self, order_id: str, index: int, now: float) -> list[Command]: ...

    def expect_ready(self, order_id: str, index: int, in_s: float,
                     now: float) -> list[Command]: ...

    def cancel(self, order_id: str, reason: str, now: float) -> list[Command]: ...

    def set_priority(self, order_id: str, priority: Priority, now: float) -> list[Command]: ...

    def served_by_staff(self, table: str, now: float, reason: str = "") -> list[Command]: ...

    def request_bussing(self, table: str, now: float) -> list[Command]: ...

    def pause(self, serial: str, now: float) -> list[Command]: ...

    def resume(self, serial: str, now: float) -> list[Command]: ...

    def send_to_charge(self, serial: str, now: float) -> list[Command]: ...

    def send_to_dock(self, serial: str, now: float) -> list[Command]: ...

    def stop_all(self, now: float) -> list[Command]: ...

    def release_all(self, now: float) -> list[Command]: ...

    def block_table(self, table: str, reason: str, now: float) -> list[Command]: ...

    def unblock_table(self, table: str, now: float) -> list[Command]: ...

    def block_zone(self, zone: str, reason: str, now: float,
                   rect: tuple[float, float, float, float] | None = None) -> list[Command]: ...

    def unblock_zone(self, zone: str, now: float) -> list[Command]: ...


@dataclass(frozen=True, slots=True)
class RobotSight:
    """One robot as a client may see it at one moment. The figures are copied, so
    they stay as they were whatever the controller does next; ``state`` (a frozen
    report) and ``trip`` are the controller's own, to read and not to change."""

    serial: str
    manufacturer: str
    model: str
    mode: RobotMode
    state: RobotState | None
    """Its last report, as it came (position, errors)."""
    cell: Cell | None
    trip: Trip | None
    battery: float
    charging: bool
    trays: int
    loads: Mapping[str, str]
    """tray -> dish id (or load id), as matched to what it carries."""
    paused_by_manager: bool
    route: tuple[Cell, ...]
    """Released cells from where it stands; empty when it has arrived or traffic does
    not know it yet."""
    horizon: tuple[Cell, ...]
    """Planned cells beyond the released ones."""
    doing: Phrase | None
    waiting: Phrase | None


class FleetPort:
    """Read-only questions about one controller, and its ``commands``."""

    def __init__(self, controller: Controller) -> None:
        self._ctl = controller
        self.commands: FleetCommands = controller

    @property
    def run_id(self) -> str:
        return self._ctl.run_id

    @property
    def plan(self) -> FloorPlan:
        return self._ctl.plan

    # -- robots -------------------------------------------------------------------------
    def serials(self) -> list[str]:
        """Every configured robot, in name order."""
        return sorted(self._ctl.robots)

    def has_robot(self, serial: str) -> bool:
        return serial in self._ctl.robots

    def modes(self) -> dict[str, RobotMode]:
        """Each robot's mode, cheaper than a ``robot`` per robot when only counting."""
        return {serial: rec.mode for serial, rec in self._ctl.robots.items()}

    def robot(self, serial: str, now: float) -> RobotSight:
        """The robot as it is at ``now``; ``KeyError`` for a serial not in the fleet."""
        rec = self._ctl.robots[serial]
        route, horizon = self._route_parts(serial) if rec.in_traffic else ((), ())
        return RobotSight(
            serial=serial, manufacturer=rec.model.manufacturer, model=rec.model.name,
            mode=rec.mode, state=rec.state, cell=rec.cell, trip=rec.trip,
            battery=rec.battery, charging=rec.charging, trays=rec.trays,
            loads=MappingProxyType(dict(rec.loads)), paused_by_manager=rec.paused_by_manager,
            route=route, horizon=horizon, doing=doing_phrase(self._ctl, serial, now),
            waiting=waiting_phrase(self._ctl, serial, now))

    def _route_parts(self, serial: str) -> tuple[tuple[Cell, ...], tuple[Cell, ...]]:
        traffic = self._ctl.traffic
        cells = traffic.route_of(serial).cells
        released = min(traffic.released(serial), len(cells) - 1)
        here = traffic.position(serial)
        progress = next((i for i in range(released, -1, -1) if cells[i] == here), 0)
        if progress == len(cells) - 1:
            return (), ()  # arrived: nothing ahead
        return tuple(cells[progress:released + 1]), tuple(cells[released + 1:])

    # -- orders -------------------------------------------------------------------------
    def order_ids(self) -> list[str]:
        """Every order this run holds (taken or adopted after a restart)."""
        return list(self._ctl.book.orders)

    def order(self, order_id: str) -> Order | None:
        return self._ctl.book.orders.get(order_id)

    def orders(self) -> Iterator[Order]:
        return iter(list(self._ctl.book.orders.values()))

    def waiting_dishes(self) -> list[Dish]:
        """Ready dishes not yet on a trip, oldest first."""
        return list(self._ctl.book.waiting())

    def check_table(self, table: str) -> None:
        """Raises ``OrderError`` (code ``unknown_table``, with the names it is close to)
        for a name that is no table of the plan: the order book's own rule."""
        self._ctl.book.table(table)

    # -- the manager's closures -----------------------------------------------------------
    # (asked of the floor manager's operations, which own them, not of the controller)
    @property
    def blocked_tables(self) -> Mapping[str, str]:
        return MappingProxyType(self._ctl.manager.blocked_tables)

    @property
    def blocked_zones(self) -> Mapping[str, str]:
        return MappingProxyType(self._ctl.manager.blocked_zones)

    def blocked_zone_cells(self, zone: str) -> frozenset[Cell]:
        """The cells of a blocked zone, to draw it (empty when it is not blocked)."""
        return self._ctl.manager.zone_cells(zone)

    @property
    def stopped_all(self) -> bool:
        return self._ctl.manager.stopped_all

    # -- the store: what this run and earlier ones recorded ------------------------------
    @property
    def store(self) -> Store:
        """For reading back (a dish's history, the last events); the API only reads it."""
        return self._ctl.store

    # -- events ---------------------------------------------------------------------------
    def events_since(self, cursor: int) -> tuple[list[Event], int]:
        """Events from the ``cursor``-th ever emitted on (those still kept), and the
        cursor to pass next time."""
        return self._ctl.events_since(cursor)
