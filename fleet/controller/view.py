"""What a part that only looks at the fleet may read: the floor plan, the robots'
records, and what traffic says of a robot (is it waiting for another, has it
finished its leg).

The words for the manager (``explain``) and the reading of a robot's phase
(``phase``) are typed against this view, so they see nothing else and need no
import of ``core``. The controller is such a view as it is (the port passes it);
``FleetWindow`` is one that holds only these three, which ``core`` builds once and
hands to the parts that read the fleet (the watchdog), so that they hold no
controller.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fleet.controller.robots import RobotRecord
    from fleet.floor.model import FloorPlan
    from fleet.traffic import Wait


class TrafficView(Protocol):
    """The questions the views ask of traffic (``TrafficManager``)."""

    def waiting_for(self, robot: str) -> Wait | None: ...

    def leg_done(self, robot: str) -> bool: ...

    def aside(self, robot: str) -> bool: ...


class FleetView(Protocol):
    """The fleet as a reader sees it. Read-only members: a caller may hand any object
    that has them, the controller included, and the reader cannot replace them."""

    @property
    def plan(self) -> FloorPlan: ...

    @property
    def robots(self) -> Mapping[str, RobotRecord]: ...

    @property
    def traffic(self) -> TrafficView: ...


@dataclass(frozen=True, slots=True)
class FleetWindow:
    """A ``FleetView`` of exactly the three things it names: a window on the live
    records (not a copy: a robot's record read through it is the one the controller
    changes), that its holder cannot replace or, through ``Mapping``, add to."""

    plan: FloorPlan
    robots: Mapping[str, RobotRecord]
    traffic: TrafficView
