"""Read a floor plan from any supported source and validate it.

``.toml`` is a vector plan, or a raster plan when it has ``[occupancy_map]``;
``.yaml`` is a bare ROS map_server map; ``.map`` is a MovingAI benchmark grid.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import msgspec

from fleet.errors import FloorPlanError, Problem, Severity
from fleet.floor.model import FloorPlan
from fleet.floor.movingai import load_movingai
from fleet.floor.rosmap import compile_raster, compile_ros_yaml
from fleet.floor.schema import PlanFile
from fleet.floor.validate import validate_plan
from fleet.floor.vector import compile_vector

_PATH_ITEM = re.compile(r"\$\.(\w+)\[(\d+)\]")


def _locate(path_text: str, raw: dict[str, Any]) -> str | None:
    """Turn msgspec's ``$.tables[3]`` into ``tables[3] (T4)`` using the raw document."""
    m = _PATH_ITEM.search(path_text)
    if not m:
        return None
    section, index = m.group(1), int(m.group(2))
    items = raw.get(section)
    if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
        name = items[index].get("name")
        if name:
            return f"{section}[{index}] ({name})"
    return f"{section}[{index}]"


def parse_plan_file(path: Path) -> PlanFile:
    """Parse and type-check a plan TOML, or raise ``FloorPlanError`` naming the key."""
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FloorPlanError([Problem(Severity.ERROR, source, f"cannot read: {exc.strerror}")]
                             ) from exc
    except UnicodeDecodeError as exc:
        raise FloorPlanError([Problem(Severity.ERROR, source, f"not a text file (byte "
                                      f"{exc.start} is not UTF-8): is it the right file?")]
                             ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise FloorPlanError([Problem(Severity.ERROR, source, f"not valid TOML: {exc}")]) from exc
    try:
        return msgspec.convert(raw, PlanFile, strict=False)
    except msgspec.ValidationError as exc:
        text = str(exc)
        place = _locate(text, raw)
        raise FloorPlanError([Problem(Severity.ERROR, source, text, place)]) from exc


def check_floor(path: str | Path, *, robot_radius: float | None = None) -> tuple[
    FloorPlan | None, list[Problem]
]:
    """Compile and validate; returns the plan (None if it could not be built) and
    every problem found, warnings included. Never raises for a bad plan."""
    p = Path(path)
    try:
        plan, problems = _compile(p, robot_radius)
    except FloorPlanError as exc:
        return None, list(exc.problems)
    if plan is not None:
        problems = problems + validate_plan(plan)
    return plan, problems


def load_floor(path: str | Path, *, robot_radius: float | None = None) -> FloorPlan:
    """The compiled plan, or ``FloorPlanError`` listing every error (warnings pass)."""
    plan, problems = check_floor(path, robot_radius=robot_radius)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if errors or plan is None:
        raise FloorPlanError(errors or problems)
    return plan


def _compile(path: Path, robot_radius: float | None) -> tuple[FloorPlan | None, list[Problem]]:
    suffix = path.suffix.lower()
    if suffix == ".map":
        return load_movingai(path), []
    if suffix in (".yaml", ".yml"):
        return compile_ros_yaml(path, robot_radius=robot_radius)
    if suffix != ".toml":
        raise FloorPlanError([Problem(Severity.ERROR, str(path),
                                      "unknown floor-plan format: expected .toml, .yaml or .map")])
    doc = parse_plan_file(path)
    if robot_radius is not None:
        doc = msgspec.structs.replace(doc, plan=msgspec.structs.replace(
            doc.plan, robot_radius=robot_radius))
    if doc.occupancy_map is not None:
        if doc.outline is not None:
            raise FloorPlanError([Problem(Severity.ERROR, str(path),
                                          "give either [outline] or [occupancy_map], not both")])
        return compile_raster(doc, str(path), path.parent)
    return compile_vector(doc, str(path))
