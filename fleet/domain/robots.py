"""Robots as the controller sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from fleet.domain.actionprofile import ActionProfile

PROTOCOL_VERSIONS = ("2.0.0", "2.1.0")
"""The VDA 5050 versions fleet can speak to a vehicle (the header ``version``)."""
DEFAULT_MAP_ID = "floor"
DEFAULT_DEVIATION_THETA = 0.35
"""Radians (about 20 degrees): a node's heading is a hint for a serving robot, not a dock."""


class RobotMode(StrEnum):
    """What a robot is available for, from the controller's point of view.

    Only IDLE and WORKING robots take trips; CHARGING robots may be called off
    the charger when the battery allows.
    """

    IDLE = "idle"
    WORKING = "working"
    CHARGING = "charging"
    PAUSED = "paused"
    ESTOPPED = "e-stopped"
    FAULT = "fault"
    MANUAL = "manual"
    OFFLINE = "offline"

    @property
    def available(self) -> bool:
        return self in (RobotMode.IDLE, RobotMode.WORKING, RobotMode.CHARGING)


@dataclass(frozen=True, slots=True)
class RobotModel:
    """A robot model's figures that dispatch and traffic plan with."""

    name: str
    manufacturer: str
    trays: int
    speed: float
    acceleration: float
    turn_time: float
    capacity_wh: float
    drive_w: float
    idle_w: float
    charge_w: float
    low_percent: float
    full_percent: float
    protocol_version: str = "2.1.0"
    """The VDA 5050 version its vehicles speak: written in every header, and 2.0.x
    vehicles take instant actions under another key (the drivers' concern)."""
    map_id: str = DEFAULT_MAP_ID
    """The VDA 5050 ``mapId`` of the site's floor plan for this model: written on every
    node, and expected in the vehicle's reported position."""
    allowed_deviation_xy: float | None = None
    """How near (m) the vehicle must come to a node for it to count as reached; None is
    half a planning cell. Sent on every node: some vehicles read an absent one as 0."""
    allowed_deviation_theta: float = DEFAULT_DEVIATION_THETA
    """The same for the heading (rad), sent with it."""
    actions: ActionProfile = field(default_factory=ActionProfile)
    """Which action its vehicles take for each piece of work at a stop."""

    def drive_percent(self, seconds: float) -> float:
        """Battery percent used by driving for ``seconds``."""
        return 100.0 * self.drive_w * seconds / 3600.0 / self.capacity_wh

    def idle_percent(self, seconds: float) -> float:
        return 100.0 * self.idle_w * seconds / 3600.0 / self.capacity_wh

    def charge_percent(self, seconds: float) -> float:
        return 100.0 * self.charge_w * seconds / 3600.0 / self.capacity_wh
