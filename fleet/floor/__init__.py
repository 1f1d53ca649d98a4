"""Floor plans: one immutable model compiled from vector TOML, ROS maps or MovingAI grids."""

from fleet.floor.loader import check_floor, load_floor
from fleet.floor.model import Cell, FloorPlan, Place, PlaceKind, Zone, ZoneKind

__all__ = ["Cell", "FloorPlan", "Place", "PlaceKind", "Zone", "ZoneKind", "check_floor",
           "load_floor"]
