"""Whether a robot's battery is good for a trip.

A trip is only given when the robot can finish it and then still reach the
nearest charger with ``reserve_percent`` left: a robot must never stop with
dishes on its trays, nor strand itself between a table and the dock. Driving
and standing (loading, guests) draw at the model's two rates.
"""

from __future__ import annotations

from fleet.dispatch.snapshots import RobotView
from fleet.dispatch.travel_times import Travel
from fleet.floor.model import Cell

RESERVE_PERCENT = 5.0


def battery_after(robot: RobotView, drive_seconds: float, *, idle_seconds: float = 0.0) -> float:
    m = robot.model
    return robot.battery - m.drive_percent(drive_seconds) - m.idle_percent(idle_seconds)


def battery_ok(robot: RobotView, trip_seconds: float, times: Travel, *,
               idle_seconds: float = 0.0, end: Cell | str | None = None,
               reserve_percent: float = RESERVE_PERCENT) -> bool:
    """True when the robot can drive ``trip_seconds`` (and stand ``idle_seconds``), then
    reach a charger from ``end`` (its own cell when None) above ``reserve_percent``."""
    to_charger = times.to_charger(robot.cell if end is None else end)
    left = battery_after(robot, trip_seconds + to_charger, idle_seconds=idle_seconds)
    return left > reserve_percent


def needs_charge(robot: RobotView) -> bool:
    """Below the model's low threshold: go and charge, take no new trip."""
    return robot.battery < robot.model.low_percent
