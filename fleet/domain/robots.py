"""Robots as the controller sees them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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

    def drive_percent(self, seconds: float) -> float:
        """Battery percent used by driving for ``seconds``."""
        return 100.0 * self.drive_w * seconds / 3600.0 / self.capacity_wh

    def idle_percent(self, seconds: float) -> float:
        return 100.0 * self.idle_w * seconds / 3600.0 / self.capacity_wh

    def charge_percent(self, seconds: float) -> float:
        return 100.0 * self.charge_w * seconds / 3600.0 / self.capacity_wh
