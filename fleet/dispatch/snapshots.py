"""What dispatch sees and what it returns: frozen snapshots, never the order book itself.

The controller builds a ``DishView`` per dish waiting at a pass and a
``RobotView`` per robot that could take a trip, asks a policy for plans, and
executes the ``TripPlan`` values it gets back. Dispatch keeps no state between
calls, so a plan can be recomputed on every event and compared in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, NamedTuple

from fleet.domain import Priority, RobotMode, RobotModel, Stop, TripKind
from fleet.floor.model import Cell
from fleet.words import Phrase

if TYPE_CHECKING:
    from fleet.dispatch.travel_times import Travel, TravelTimes


@dataclass(frozen=True, slots=True)
class DishView:
    """A dish ready at ``pass_place`` (food courts have a pass per stall) for ``table``."""

    dish_id: str
    order_id: str
    table: str
    trays: int
    ready_at: float
    priority: Priority
    pass_place: str


@dataclass(frozen=True, slots=True)
class RobotView:
    """A robot as dispatch needs it.

    ``cell`` is where it stands, or where it will stand when its current leg ends
    (then ``free_at`` is when that is). ``tray_slots`` names the empty trays; when
    None they are ``tray1`` .. ``tray{trays_free}``.
    """

    serial: str
    model: RobotModel
    mode: RobotMode
    cell: Cell
    free_at: float
    battery: float
    trays_free: int
    at_pass: str | None = None
    tray_slots: tuple[str, ...] | None = None
    can_charge: bool = True
    """Whether it can be told to charge (its action profile and factsheet): one that
    cannot is never sent to a charger to charge, or it would come back every tick."""
    travel: TravelTimes | None = None
    """Its own model's travel times: in a mixed fleet a slow robot near the pass may
    be there later than a fast one farther off. None: the times the policy is given."""

    def times(self, given: Travel) -> Travel:
        return self.travel if self.travel is not None else given

    def slots(self) -> tuple[str, ...]:
        if self.tray_slots is not None:
            return self.tray_slots
        return tuple(tray_slot(i) for i in range(self.trays_free))

    def free_by(self, now: float) -> bool:
        return self.free_at <= now + 1e-9


def tray_slot(index: int) -> str:
    """The VDA 5050 load handling device name of the ``index``-th tray (0-based)."""
    return f"tray{index + 1}"


class BussingRequest(NamedTuple):
    """Guests or staff asked for a robot to take dirty dishes away from ``table``."""

    table: str
    requested_at: float


@dataclass(frozen=True, slots=True)
class TripPlan:
    """A trip for one robot, to start now.

    In a LOAD or SERVE stop ``dishes`` and ``trays`` run in parallel: ``dishes[i]``
    rides on ``trays[i]``, so a dish on two trays appears twice. There is no return
    stop: after the last stop the controller asks dispatch again (the next plan or
    housekeeping sends the robot on). ``est_waits`` is, per dish, the estimated
    seconds from ready to on the table; ``reason`` says in words why this robot (a
    phrase, so the events log can say it in the reader's language; ``str`` of it is
    the English).
    """

    robot: str
    kind: TripKind
    stops: tuple[Stop, ...]
    dish_ids: tuple[str, ...]
    est_finish: float
    est_waits: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}))
    est_start: float = 0.0
    reason: Phrase | str = ""

    @property
    def places(self) -> tuple[str, ...]:
        return tuple(stop.place for stop in self.stops)


def available_mode(mode: RobotMode) -> bool:
    """Modes in which a robot may be given a trip (CHARGING only when pulled off)."""
    return mode in (RobotMode.IDLE, RobotMode.WORKING, RobotMode.CHARGING)
