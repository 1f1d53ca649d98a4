"""Vector floor plans: walls, furniture and tables as shapes in metres.

The robot's centre fits where it is inside the outline shrunk by the robot's
radius and outside every obstacle grown by it; shapely computes that region
exactly and the samples test against it.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon
from shapely.ops import unary_union

from fleet.errors import Problem, Severity
from fleet.floor.compile import PlaceSpec, Samples, ZoneSpec, compile_plan, sample_points
from fleet.floor.model import FloorPlan, PlaceKind, ZoneKind
from fleet.floor.schema import PlanFile, Shape


def shape_geometry(shape: Shape, source: str, name: str) -> tuple[Polygon | None, list[Problem]]:
    """The polygon of a ``Shape``, or a problem saying why there is none."""
    given = [g for g in (shape.rect, shape.circle, shape.polygon) if g is not None]
    if len(given) != 1:
        msg = "give exactly one of rect, circle or polygon" if given else (
            "has no shape: give rect = [x0, y0, x1, y1], circle = [cx, cy, r] or polygon"
        )
        return None, [Problem(Severity.ERROR, source, msg, name)]
    if shape.rect is not None:
        x0, y0, x1, y1 = shape.rect
        if x1 <= x0 or y1 <= y0:
            return None, [Problem(Severity.ERROR, source,
                                  "rect must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0",
                                  name, (x0, y0))]
        return Polygon([(x0, y0), (x1, y0), (x1, y1), (x0, y1)]), []
    if shape.circle is not None:
        cx, cy, r = shape.circle
        if r <= 0:
            return None, [Problem(Severity.ERROR, source, "circle radius must be > 0", name,
                                  (cx, cy))]
        return Point(cx, cy).buffer(r, quad_segs=16), []
    assert shape.polygon is not None
    poly = Polygon(shape.polygon)
    if len(shape.polygon) < 3 or not poly.is_valid or poly.area <= 0:
        at = shape.polygon[0] if shape.polygon else None
        return None, [Problem(Severity.ERROR, source,
                              "polygon must have 3+ points and not cross itself", name, at)]
    return poly, []


def coords(poly: Polygon) -> tuple[tuple[float, float], ...]:
    return tuple((float(x), float(y)) for x, y in poly.exterior.coords)


def overlapping_tables(tables: list[tuple[str, Polygon]], source: str) -> list[Problem]:
    """Two tables sharing floor area is a drawing mistake, whatever the source."""
    problems: list[Problem] = []
    for i, (name_a, a) in enumerate(tables):
        for name_b, b in tables[i + 1 :]:
            overlap = a.intersection(b)
            if overlap.area > 1e-6:
                c = overlap.centroid
                problems.append(Problem(Severity.ERROR, source, f"overlaps table {name_b}",
                                        name_a, (c.x, c.y)))
    return problems


def zone_specs(doc: PlanFile, source: str) -> tuple[list[ZoneSpec], list[Problem]]:
    """The plan's zones, each checked for what its kind needs."""
    problems: list[Problem] = []
    zones: list[ZoneSpec] = []
    for zone in doc.zones:
        poly, found = shape_geometry(zone, source, zone.name)
        problems += found
        if zone.kind == "one_way" and zone.direction is None:
            problems.append(Problem(Severity.ERROR, source,
                                    "a one_way zone needs direction = north|south|east|west",
                                    zone.name))
        elif zone.kind == "slow" and not 0 < zone.speed_factor <= 1:
            problems.append(Problem(Severity.ERROR, source, "speed_factor must be in (0, 1]",
                                    zone.name))
        elif poly is not None:
            zones.append(ZoneSpec(zone.name, ZoneKind(zone.kind), poly, zone.direction,
                                  zone.speed_factor if zone.kind == "slow" else 1.0))
    return zones, problems


def compile_vector(doc: PlanFile, source: str) -> tuple[FloorPlan | None, list[Problem]]:
    """Compile a vector plan; returns (None, problems) when geometry is unusable."""
    problems: list[Problem] = []
    header = doc.plan
    radius = header.robot_radius
    if doc.outline is None:
        return None, [Problem(Severity.ERROR, source, "a vector plan needs [outline] polygon")]
    outline = Polygon(doc.outline.polygon)
    if len(doc.outline.polygon) < 3 or not outline.is_valid or outline.area <= 0:
        return None, [Problem(Severity.ERROR, source,
                              "[outline] polygon must have 3+ points and not cross itself")]

    obstacles: list[tuple[str, Polygon]] = []
    for wall in doc.walls:
        if len(wall.points) < 2 or wall.thickness <= 0:
            problems.append(Problem(Severity.ERROR, source,
                                    "a wall needs 2+ points and a thickness > 0", wall.name))
            continue
        # Segment by segment: a closed wall loop must stay a ring, not fill the room.
        for a, b in itertools.pairwise(wall.points):
            segment = LineString([a, b]).buffer(wall.thickness / 2, cap_style="square")
            obstacles.append((wall.name, segment))
    for obstacle in doc.obstacles:
        poly, found = shape_geometry(obstacle, source, obstacle.name)
        problems += found
        if poly is not None:
            obstacles.append((obstacle.name, poly))

    tables: list[tuple[str, Polygon]] = []
    places: list[PlaceSpec] = []
    for table in doc.tables:
        poly, found = shape_geometry(table, source, table.name)
        problems += found
        if table.seats < 1:
            problems.append(Problem(Severity.ERROR, source, "a table needs at least 1 seat",
                                    table.name))
        if poly is None:
            continue
        if not outline.contains(poly):
            c = poly.centroid
            problems.append(Problem(Severity.ERROR, source, "table is off the map (outside the "
                                    "outline)", table.name, (c.x, c.y)))
        tables.append((table.name, poly))
        places.append(PlaceSpec(table.name, PlaceKind.TABLE, tuple(table.spots),
                                seats=table.seats, outline=coords(poly)))
    for station in doc.stations:
        outline_coords: tuple[tuple[float, float], ...] = ()
        if station.rect or station.circle or station.polygon:
            poly, found = shape_geometry(station, source, station.name)
            problems += found
            if poly is not None:
                outline_coords = coords(poly)
        places.append(PlaceSpec(station.name, PlaceKind(station.kind), tuple(station.spots),
                                group=station.group, outline=outline_coords))

    problems += overlapping_tables(tables, source)
    zones, found = zone_specs(doc, source)
    problems += found

    if any(p.severity is Severity.ERROR for p in problems):
        return None, problems

    solid = unary_union([p for _, p in obstacles] + [p for _, p in tables])
    free_region = outline.buffer(-radius).difference(solid.buffer(radius))
    shapely.prepare(free_region)

    res = header.resolution
    k = max(1, header.fine_subdivisions)
    minx, miny, maxx, maxy = outline.bounds
    cols = max(1, math.ceil((maxx - minx) / res - 1e-9))
    rows = max(1, math.ceil((maxy - miny) / res - 1e-9))
    origin = (float(minx), float(miny))
    gx, gy = sample_points(rows, cols, k, res, origin)
    free = shapely.contains_xy(free_region, gx, gy)
    cx, cy = sample_points(rows, cols, 1, res, origin)
    outside = ~shapely.contains_xy(outline, cx, cy)
    blocked = np.asarray(shapely.contains_xy(solid, cx, cy) | outside, dtype=bool)

    samples = Samples(free=np.asarray(free, dtype=bool), k=k, resolution=res, origin=origin,
                      blocked=blocked)

    def fits(x: float, y: float) -> bool:
        return bool(shapely.contains_xy(free_region, x, y))

    plan, found = compile_plan(
        name=header.name,
        source=source,
        samples=samples,
        robot_radius=radius,
        places=places,
        zones=zones,
        obstacles=[(n, coords(p)) for n, p in obstacles if isinstance(p, Polygon)],
        fits=fits,
    )
    return plan, problems + found
