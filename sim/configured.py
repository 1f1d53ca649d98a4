"""A site's own robots, simulated: the ``[[robots]]`` and ``[[robot_models]]`` of a
config as the simulator plays them (``SimOptions.fleet``).

Each robot keeps what the config gives it, and nothing else is said about it: its
key on the site (``fleet.domain.identity``), manufacturer and serial number, its
model (protocol version, map id, deviations, action profile), and how it is
reached: ``transport = "sim"`` or ``"mqtt"`` a simulated VDA 5050 vehicle on the
run's broker, speaking its model's ``protocol_version`` (strict with
``sim_strict``); ``"serial"`` simulated firmware behind a pty of its own, reached
by the serial driver (the configured ``port`` is the real robot's and is not
opened in simulation). A model's ``sim_minimal`` makes its vehicles minimal
third-party ones on either wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from fleet.config import Config
from fleet.domain import RobotModel


@dataclass(frozen=True, slots=True)
class FleetRobot:
    """One configured robot, as the simulator plays it."""

    robot_id: str
    manufacturer: str
    serial: str
    model: RobotModel
    transport: Literal["mqtt", "serial"]
    strict: bool = False
    """A strict vehicle reads only its model's protocol version (``sim_strict``)."""
    minimal: bool = False
    """A minimal third-party vehicle (``sim_minimal``)."""


def fleet_of(cfg: Config) -> tuple[FleetRobot, ...]:
    """The config's robots, in its order, each with its model and its wire."""
    out = []
    for robot, who in zip(cfg.robots, cfg.identities(), strict=True):
        model = cfg.model(robot.model)
        out.append(FleetRobot(robot_id=who.robot_id, manufacturer=who.manufacturer,
                              serial=who.serial, model=cfg.model_of(robot),
                              transport="serial" if robot.transport == "serial" else "mqtt",
                              strict=model.sim_strict, minimal=model.sim_minimal))
    return tuple(out)
