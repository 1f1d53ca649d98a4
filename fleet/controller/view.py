"""What a part that only looks at the fleet may read: the floor plan, the robots'
records, and what traffic says of a robot (is it waiting for another, has it
finished its leg).

The words for the manager (``explain``) and the reading of a robot's phase
(``phase``) are asked by parts that hold the controller today (the port, the
watchdog, trip work); typed against this view, they see nothing else of it, and
need no import of ``core``. The controller is such a view as it is, so its callers
pass it unchanged; a part handed its own pieces can pass a smaller object later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from fleet.controller.robots import RobotRecord
    from fleet.floor.model import FloorPlan
    from fleet.traffic import Wait


class TrafficView(Protocol):
    """The two questions the views ask of traffic (``TrafficManager``)."""

    def waiting_for(self, robot: str) -> Wait | None: ...

    def leg_done(self, robot: str) -> bool: ...


class FleetView(Protocol):
    """The fleet as a reader sees it. Read-only members: a caller may hand any object
    that has them, the controller included, and the reader cannot replace them."""

    @property
    def plan(self) -> FloorPlan: ...

    @property
    def robots(self) -> Mapping[str, RobotRecord]: ...

    @property
    def traffic(self) -> TrafficView: ...
