"""The floor-plan file format, as strict typed structs.

msgspec rejects unknown keys and wrong types with the path of the culprit
(``$.tables[3].seats``); ``fleet.floor.loader`` turns that path into the table's
name so the message points at something a person can find in the file.

Two kinds of TOML file share these structs: a *vector* plan (``[outline]``,
walls, obstacles and tables as shapes in metres) and a *raster* plan
(``[occupancy_map]`` names a ROS map_server YAML; tables and stations are given
by their spots only).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Point = tuple[float, float]


class _Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class Shape(_Strict, frozen=True):
    """Exactly one of ``rect`` [x0, y0, x1, y1], ``circle`` [cx, cy, r] or ``polygon``."""

    rect: tuple[float, float, float, float] | None = None
    circle: tuple[float, float, float] | None = None
    polygon: list[Point] | None = None


class PlanHeader(_Strict, frozen=True):
    name: str
    resolution: Annotated[float, msgspec.Meta(gt=0)] = 0.5
    """Planning cell size in metres; at most the robot's diameter."""
    robot_radius: Annotated[float, msgspec.Meta(gt=0)] = 0.25
    """Obstacles are inflated by this; a site's robot models may ask for more."""
    fine_subdivisions: Annotated[int, msgspec.Meta(ge=1, le=50)] = 5
    """Each planning cell is rasterised as this many samples a side."""


class Outline(_Strict, frozen=True):
    polygon: list[Point]


class Wall(_Strict, frozen=True):
    points: list[Point]
    thickness: float = 0.15
    name: str = "wall"


class Obstacle(Shape, frozen=True, kw_only=True):
    name: str
    kind: Literal["counter", "pillar", "planter", "furniture", "stall", "other"] = "other"


class Table(Shape, frozen=True, kw_only=True):
    name: str
    seats: int
    spots: list[Point]
    """Serving spots: where a robot stops to hand over dishes."""
    booth: bool = False


class Station(Shape, frozen=True, kw_only=True):
    name: str
    kind: Literal["pass", "dish_return", "charger", "parking", "host_stand"]
    spots: list[Point]
    group: str | None = None
    """For a food court, the stall a pass belongs to."""


class Zone(Shape, frozen=True, kw_only=True):
    name: str
    kind: Literal["keep_out", "slow", "one_way"]
    direction: Literal["north", "south", "east", "west"] | None = None
    speed_factor: float = 0.5


class OccupancyMapRef(_Strict, frozen=True):
    yaml: str
    """A ROS map_server YAML, relative to the plan file."""
    unknown_is_free: bool = False


class PlanFile(_Strict, frozen=True):
    plan: PlanHeader
    outline: Outline | None = None
    occupancy_map: OccupancyMapRef | None = None
    walls: list[Wall] = []
    obstacles: list[Obstacle] = []
    tables: list[Table] = []
    stations: list[Station] = []
    zones: list[Zone] = []
