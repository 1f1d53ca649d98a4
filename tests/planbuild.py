"""Build small FloorPlans straight from a picture or a bool array, for tests.

Plans go through the real ``compile_plan`` with one sample per cell (k=1), so a
cell is passable exactly where the array says and neighbouring passable cells
are joined. Rules the picture cannot express (a closed border between two free
cells, one-way and slow zones given as cell masks) are applied afterwards with
``dataclasses.replace`` on the frozen plan.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from fleet.floor.compile import PlaceSpec, Samples, compile_plan
from fleet.floor.model import Cell, FloorPlan, PlaceKind, Zone, ZoneKind

RESOLUTION = 0.5


def grid_from_text(picture: str) -> npt.NDArray[np.bool_]:
    """``.`` (or a letter) is free, ``#`` is blocked; one text line per row, north first."""
    lines = [line.strip() for line in picture.strip().splitlines()]
    return np.array([[ch != "#" for ch in line] for line in lines], dtype=bool)


def cell_centre(cell: Cell, rows: int, resolution: float = RESOLUTION) -> tuple[float, float]:
    r, c = cell
    return ((c + 0.5) * resolution, (rows - r - 0.5) * resolution)


def plan_from_grid(
    free: npt.NDArray[np.bool_] | str,
    *,
    name: str = "test",
    resolution: float = RESOLUTION,
    places: Mapping[str, Sequence[Cell]] | None = None,
    place_kind: PlaceKind = PlaceKind.TABLE,
    closed_east: Iterable[Cell] = (),
    closed_south: Iterable[Cell] = (),
    zones: Sequence[Zone] = (),
) -> FloorPlan:
    """A plan whose passable cells are ``free``; ``places`` maps a name to its spot cells.

    ``closed_east`` lists cells whose border with the cell east of them is shut
    (``closed_south`` likewise for the cell south of them).
    """
    grid = grid_from_text(free) if isinstance(free, str) else np.asarray(free, dtype=bool)
    rows = grid.shape[0]
    specs = [
        PlaceSpec(name=n, kind=place_kind,
                  spots=tuple(cell_centre(c, rows, resolution) for c in cells))
        for n, cells in (places or {}).items()
    ]
    plan, problems = compile_plan(
        name=name,
        source=f"<{name}>",
        samples=Samples(free=grid.copy(), k=1, resolution=resolution, origin=(0.0, 0.0),
                        blocked=~grid),
        robot_radius=0.2,
        places=specs,
    )
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise ValueError("; ".join(str(p) for p in errors))
    open_east = plan.open_east.copy()
    for r, c in closed_east:
        open_east[r, c] = False
    open_south = plan.open_south.copy()
    for r, c in closed_south:
        open_south[r, c] = False
    return dataclasses.replace(plan, open_east=open_east, open_south=open_south,
                               zones=tuple(zones))


def zone_of(
    shape: tuple[int, int],
    cells: Iterable[Cell],
    *,
    kind: ZoneKind,
    name: str = "zone",
    direction: Cell | None = None,
    speed_factor: float = 1.0,
) -> Zone:
    """A zone covering exactly ``cells``."""
    mask = np.zeros(shape, dtype=bool)
    for cell in cells:
        mask[cell] = True
    return Zone(name=name, kind=kind, mask=mask, direction=direction, speed_factor=speed_factor)
