"""Every source ends here: fine samples of where a robot fits, plus named places
and zones, become one ``FloorPlan``.

Sources sample the floor at ``k`` points a side per planning cell (a vector plan
tests shapely geometry, a ROS map its pixels). A cell is passable when any of its
samples is free, and two cells are joined when free samples touch across their
shared border. This keeps narrow aisles that do not line up with the grid, which
a test of the cell centre alone would lose.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely

from fleet.errors import Problem, Severity
from fleet.floor.model import (
    DIRECTIONS,
    BoolGrid,
    FloatGrid,
    FloorPlan,
    Place,
    PlaceKind,
    Zone,
    ZoneKind,
    ways_around,
)

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Samples:
    """Where a robot's centre fits, sampled ``k`` x ``k`` per planning cell.

    ``free`` has shape (rows * k, cols * k), row 0 north; ``origin`` is the
    south-west corner of the grid in metres.
    """

    free: BoolGrid
    k: int
    resolution: float
    origin: Point
    blocked: BoolGrid
    """Per planning cell: covered by an obstacle (not inflated), for drawing."""


@dataclass(frozen=True, slots=True)
class PlaceSpec:
    name: str
    kind: PlaceKind
    spots: tuple[Point, ...]
    seats: int = 0
    group: str | None = None
    outline: tuple[Point, ...] = ()


@dataclass(frozen=True, slots=True)
class ZoneSpec:
    name: str
    kind: ZoneKind
    area: shapely.Geometry
    direction: str | None = None
    speed_factor: float = 1.0


def sample_points(rows: int, cols: int, k: int, resolution: float, origin: Point) -> tuple[
    FloatGrid, FloatGrid
]:
    """x and y (metres) of each fine sample, shape (rows * k, cols * k), row 0 north."""
    step = resolution / k
    xs = origin[0] + (np.arange(cols * k) + 0.5) * step
    ys = origin[1] + (rows * k - np.arange(rows * k) - 0.5) * step
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy


def _cell_centres(rows: int, cols: int, resolution: float, origin: Point) -> tuple[
    FloatGrid, FloatGrid
]:
    return sample_points(rows, cols, 1, resolution, origin)


def _aggregate(s: Samples) -> tuple[BoolGrid, BoolGrid, BoolGrid, FloatGrid]:
    k = s.k
    rows, cols = s.free.shape[0] // k, s.free.shape[1] // k
    blocks = s.free.reshape(rows, k, cols, k)
    passable: BoolGrid = np.asarray(blocks.any(axis=(1, 3)), dtype=bool)
    right_edges = s.free[:, k - 1 :: k]
    left_edges = s.free[:, 0::k]
    east: BoolGrid = np.asarray(
        (right_edges[:, :-1] & left_edges[:, 1:]).reshape(rows, k, cols - 1).any(axis=1))
    bottom_edges = s.free[k - 1 :: k, :]
    top_edges = s.free[0::k, :]
    south: BoolGrid = np.asarray(
        (bottom_edges[:-1, :] & top_edges[1:, :]).reshape(rows - 1, cols, k).any(axis=2))
    # Anchor: the free sample nearest the cell centre (the centre itself when free).
    offs = (np.arange(k) + 0.5) - k / 2
    d2 = offs[:, None] ** 2 + offs[None, :] ** 2  # (k, k)
    cost = np.where(blocks.transpose(0, 2, 1, 3), d2[None, None, :, :], np.inf)
    best = cost.reshape(rows, cols, k * k).argmin(axis=2)
    bi, bj = np.divmod(best, k)
    step = s.resolution / k
    col_idx = np.arange(cols)[None, :]
    row_idx = np.arange(rows)[:, None]
    ax = s.origin[0] + (col_idx * k + bj + 0.5) * step
    ay = s.origin[1] + (rows * k - (row_idx * k + bi) - 0.5) * step
    anchors = np.stack([ax, ay], axis=-1).astype(np.float64)
    return passable, east, south, anchors


def _crowded(anchors: FloatGrid, passable: BoolGrid, cell: tuple[int, int],
             at: Point, limit: float) -> set[tuple[int, int]]:
    """``cell`` and its neighbours whose anchors are closer than ``limit`` to ``at``:
    what a robot standing at ``at`` makes unusable (see ``FloorPlan.conflicts``)."""
    rows, cols = passable.shape
    out = {cell}
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            r, c = cell[0] + dr, cell[1] + dc
            if (dr or dc) and 0 <= r < rows and 0 <= c < cols and passable[r, c] and (
                    math.hypot(anchors[r, c, 0] - at[0], anchors[r, c, 1] - at[1]) < limit):
                out.add((r, c))
    return out


def _distance(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def _anchor_spots(anchors: FloatGrid, samples: Samples, east: BoolGrid, south: BoolGrid,
                  places: Iterable[Place], *, robot_radius: float) -> FloatGrid:
    """Anchor each place's cell at its spot, where the robot stands, unless a robot
    standing there would close a way that the cell's own anchor leaves open: a pass
    drawn 0.45 m from the counter on a cell's edge sits too close to three
    neighbouring cells, and one robot there would shut a corridor two robots wide.
    The robot then stands at the free sample of the cell nearest the spot that
    closes nothing (a little off the drawn spot; the cell's anchor at worst)."""
    limit = 2 * robot_radius * 0.999  # as FloorPlan.conflicts
    passable = np.asarray(samples.free.reshape(
        samples.free.shape[0] // samples.k, samples.k,
        samples.free.shape[1] // samples.k, samples.k).any(axis=(1, 3)))
    rows, cols = passable.shape
    gx, gy = sample_points(rows, cols, samples.k, samples.resolution, samples.origin)
    anchors = anchors.copy()
    k = samples.k
    for place in places:
        for spot, cell in zip(place.spots, place.cells, strict=True):
            base = (float(anchors[cell[0], cell[1], 0]), float(anchors[cell[0], cell[1], 1]))
            ways = ways_around(passable, east, south, cell,
                               _crowded(anchors, passable, cell, base, limit))
            block = np.s_[cell[0] * k:(cell[0] + 1) * k, cell[1] * k:(cell[1] + 1) * k]
            free = samples.free[block]
            points = [(float(x), float(y))
                      for x, y in zip(gx[block][free], gy[block][free], strict=True)]
            candidates = [spot, *sorted(points, key=functools.partial(_distance, spot))]
            anchors[cell[0], cell[1]] = next(
                (at for at in candidates if ways_around(
                    passable, east, south, cell, _crowded(anchors, passable, cell, at, limit))
                 <= ways), base)
    return anchors


def compile_plan(
    *,
    name: str,
    source: str,
    samples: Samples,
    robot_radius: float,
    places: Sequence[PlaceSpec] = (),
    zones: Sequence[ZoneSpec] = (),
    obstacles: Sequence[tuple[str, tuple[Point, ...]]] = (),
    fits: Callable[[float, float], bool] | None = None,
) -> tuple[FloorPlan, list[Problem]]:
    """Build the plan and report spots that are off the map or inside obstacles.

    ``fits(x, y)`` says whether a robot centre fits exactly at a point; sources
    that can answer precisely pass it, otherwise the spot's cell decides.
    """
    problems: list[Problem] = []
    passable, east, south, anchors = _aggregate(samples)
    rows, cols = passable.shape
    cx, cy = _cell_centres(rows, cols, samples.resolution, samples.origin)

    zone_models: list[Zone] = []
    for zone in zones:
        mask = shapely.contains_xy(zone.area, cx, cy)
        if not mask.any():
            c = zone.area.centroid
            problems.append(
                Problem(Severity.WARNING, source, "zone covers no planning cell", zone.name,
                        (c.x, c.y))
            )
        if zone.kind is ZoneKind.KEEP_OUT:
            passable = passable & ~mask
        zone_models.append(
            Zone(
                name=zone.name,
                kind=zone.kind,
                mask=mask,
                direction=DIRECTIONS[zone.direction] if zone.direction else None,
                speed_factor=zone.speed_factor,
            )
        )
    east = east & passable[:, :-1] & passable[:, 1:]
    south = south & passable[:-1, :] & passable[1:, :]

    plan_places: dict[str, Place] = {}
    for spec in places:
        if spec.name in plan_places:
            problems.append(
                Problem(Severity.ERROR, source, "name used twice; names must be unique", spec.name)
            )
            continue
        if not spec.spots:
            problems.append(
                Problem(Severity.ERROR, source, f"{spec.kind} has no spot where a robot stops",
                        spec.name)
            )
        cells: list[tuple[int, int]] = []
        good_spots: list[Point] = []
        for x, y in spec.spots:
            row = rows - 1 - int(np.floor((y - samples.origin[1]) / samples.resolution))
            col = int(np.floor((x - samples.origin[0]) / samples.resolution))
            if not (0 <= row < rows and 0 <= col < cols):
                problems.append(Problem(Severity.ERROR, source, "spot is off the map", spec.name,
                                        (x, y)))
                continue
            inside = fits(x, y) if fits is not None else bool(passable[row, col])
            if not inside or not passable[row, col]:
                problems.append(
                    Problem(
                        Severity.ERROR,
                        source,
                        f"spot is inside an obstacle or keep-out zone (a robot of radius "
                        f"{robot_radius:.2f} m does not fit there)",
                        spec.name,
                        (x, y),
                    )
                )
                continue
            cells.append((row, col))
            good_spots.append((x, y))
        plan_places[spec.name] = Place(
            name=spec.name,
            kind=spec.kind,
            spots=tuple(good_spots),
            cells=tuple(cells),
            seats=spec.seats,
            group=spec.group,
            outline=spec.outline,
        )
    anchors = _anchor_spots(anchors, samples, east, south, plan_places.values(),
                            robot_radius=robot_radius)

    plan = FloorPlan(
        name=name,
        source=source,
        resolution=samples.resolution,
        origin=samples.origin,
        robot_radius=robot_radius,
        blocked=samples.blocked,
        passable=passable,
        open_east=east,
        open_south=south,
        anchors=anchors,
        places=plan_places,
        zones=tuple(zone_models),
        obstacles=tuple(obstacles),
    )
    return plan, problems
