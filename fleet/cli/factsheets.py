"""A robot model's factsheet file (``robot_models[].factsheet``): read once, for
``fleet config check`` to compare the action profile with, and for ``fleet run``
to know what a vehicle takes before (or without) its own factsheet on the broker:
a 2.0 vehicle need not retain one, and until one arrives the config's profile
would be taken at its word."""

from __future__ import annotations

import dataclasses

from drivers.vda5050.factsheet import decode_factsheet
from fleet.config import Config, RobotConfig
from fleet.errors import ConfigError, ProtocolError
from fleet.link import PREDEFINED_ACTIONS, Capabilities


def read_factsheet(cfg: Config, model_name: str, where: str) -> Capabilities | None:
    """The capabilities in the model's factsheet file; None when it names none.
    ``ConfigError`` names the file and the key when it cannot be read or decoded."""
    index, model = next((i, m) for i, m in enumerate(cfg.robot_models) if m.name == model_name)
    if model.factsheet is None:
        return None
    key = f"robot_models[{index}] ({model.name}).factsheet"
    path = cfg.resolve(model.factsheet)
    try:
        return decode_factsheet(path.read_bytes()).body
    except OSError as exc:
        raise ConfigError(f"{where}: {key}: cannot read {path}: {exc.strerror}") from exc
    except ProtocolError as exc:
        raise ConfigError(f"{where}: {key}: {path} is not a VDA 5050 factsheet: "
                          f"{exc}") from exc


def configured_capabilities(cfg: Config, robot: RobotConfig, where: str) -> Capabilities:
    """What the controller assumes of ``robot`` until its link has better: its model's
    figures, and the actions, tray sensing and limits of the model's factsheet file
    when there is one; else the standard actions and those its action profile names."""
    model = cfg.robot_model(robot.model)
    caps = Capabilities(manufacturer=cfg.manufacturer(robot), serial=robot.serial, model=model.name,
                        trays=model.trays, max_speed=model.speed,
                        supported_actions=PREDEFINED_ACTIONS | model.actions.types())
    sheet = read_factsheet(cfg, robot.model, where)
    if sheet is None:
        return caps
    return dataclasses.replace(caps, supported_actions=sheet.supported_actions,
                               can_sense_loads=sheet.can_sense_loads,
                               max_nodes_per_order=sheet.max_nodes_per_order,
                               max_string_length=sheet.max_string_length)
