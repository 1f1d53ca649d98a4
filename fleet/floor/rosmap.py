"""Raster floor plans: a ROS map_server occupancy map (YAML + PGM), as a SLAM run
on the robots themselves produces it, plus named places from a plan TOML.

Pixels are classified as ROS does (occupied / free / unknown by thresholds),
obstacles are inflated by the robot's radius on the pixel grid with a distance
transform, and the pixels become the fine samples of ``compile_plan``: the
planning cell is a whole number of pixels, so no resampling blurs an aisle.

Rotated maps (``origin`` yaw != 0) are rejected: the planning grid is aligned
with the map axes, and a rotated grid would need every spot in the TOML to be
rotated too, which is easier to get wrong than to re-export the map. The
``scale`` and ``raw`` modes are read like ``trinary``: a planner only needs to
know where the robot may go, not how sure the map is.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage
from shapely.geometry import Polygon

from fleet.errors import FloorPlanError, Problem, Severity
from fleet.floor.compile import PlaceSpec, Samples, ZoneSpec, compile_plan
from fleet.floor.model import BoolGrid, FloatGrid, FloorPlan, PlaceKind
from fleet.floor.schema import PlanFile, Shape
from fleet.floor.vector import coords, overlapping_tables, shape_geometry, zone_specs

DEFAULT_ROBOT_RADIUS = 0.25
_MODES = ("trinary", "scale", "raw")
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:(?:\s+(.*))?$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_PGM_GAP = rb"(?:\s|#[^\n]*(?:\n|$))+"  # whitespace and comments between header fields
_PGM_HEADER = re.compile(rb"P[25]" + (_PGM_GAP + rb"(\d+)") * 3 + rb"\s")

Scalar = str | float
Value = Scalar | list[Scalar]


def _fail(source: str, message: str, place: str | None = None) -> FloorPlanError:
    return FloorPlanError([Problem(Severity.ERROR, source, message, place)])


# -- the map_server YAML ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class MapMeta:
    """The fields of a map_server YAML that decide where the robot fits."""

    image: Path
    resolution: float
    origin: tuple[float, float]
    negate: bool
    occupied_thresh: float
    free_thresh: float


def _strip_comment(text: str) -> str:
    quote = ""
    for i, ch in enumerate(text):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or text[i - 1].isspace()):
            return text[:i]
    return text


def _scalar(text: str) -> Scalar | None:
    """A number or a plain/quoted string; None for YAML this reader does not speak."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    if _NUMBER.match(text):
        return float(text)
    if not text or text[0] in "[]{}&*!|>%@`-?,'\"" or ": " in text:
        return None
    return text


def _value(text: str) -> Value | None:
    text = text.strip()
    if not (text.startswith("[") and text.endswith("]")):
        return _scalar(text)
    items = [_scalar(part) for part in text[1:-1].split(",")]
    return None if None in items else [item for item in items if item is not None]


def parse_map_yaml(text: str, source: str) -> dict[str, tuple[int, Value]]:
    """Flat ``key: value`` lines (values: numbers, strings, ``[a, b, c]``), each with
    its line number. map_server files never need more, and PyYAML is not a
    dependency; anything richer is refused with the line, not misread."""
    out: dict[str, tuple[int, Value]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).rstrip()
        if not line.strip() or (line == "---" and not out):
            continue
        where = f"line {number}"
        if line[0].isspace():
            raise _fail(source, "indented (nested) YAML is not supported: a map_server file is "
                        "flat 'key: value' lines", where)
        m = _KEY_LINE.match(line)
        if m is None:
            raise _fail(source, f"expected 'key: value', found {line!r}", where)
        key, rest = m.group(1), m.group(2) or ""
        if not rest.strip():
            raise _fail(source, f"{key!r} has no value on its line; nested YAML is not "
                        "supported", where)
        value = _value(rest)
        if value is None:
            raise _fail(source, f"cannot read the value of {key!r}: {rest!r} (this reader takes "
                        "numbers, strings and [a, b, c] lists)", where)
        if key in out:
            raise _fail(source, f"{key!r} given twice (first on line {out[key][0]})", where)
        out[key] = (number, value)
    return out


def read_map_yaml(path: Path) -> tuple[MapMeta, list[Problem]]:
    """The map's metadata and warnings (unknown keys); raises naming file and line."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise _fail(source, f"cannot read the map YAML: {exc}") from exc
    fields = parse_map_yaml(text, source)
    warnings: list[Problem] = []
    known = {"image", "resolution", "origin", "negate", "occupied_thresh", "free_thresh", "mode"}
    for key, (number, _) in fields.items():
        if key not in known:
            warnings.append(Problem(Severity.WARNING, source, f"unknown key {key!r} ignored",
                                    f"line {number}"))

    def get(key: str, default: Value | None = None) -> tuple[str, Value]:
        if key in fields:
            number, value = fields[key]
            return f"line {number}", value
        if default is None:
            raise _fail(source, f"missing required key {key!r}")
        return "", default

    def number_of(key: str, default: float | None = None, low: float = 0.0,
                  high: float = math.inf) -> float:
        where, value = get(key, default)
        if not isinstance(value, float) or not low <= value <= high:
            raise _fail(source, f"{key} must be a number in [{low:g}, {high:g}], found {value!r}",
                        where)
        return value

    where, image = get("image")
    if not isinstance(image, str) or not image:
        raise _fail(source, "image must be a file name", where)
    resolution = number_of("resolution")
    if resolution <= 0:
        raise _fail(source, "resolution must be > 0 (metres per pixel)", get("resolution")[0])
    where, origin = get("origin")
    if not (isinstance(origin, list) and len(origin) == 3
            and all(isinstance(v, float) for v in origin)):
        raise _fail(source, f"origin must be [x, y, yaw] (three numbers), found {origin!r}", where)
    x, y, yaw = (float(v) for v in origin)
    if abs(yaw) > 1e-9:
        raise _fail(source, f"origin yaw {yaw:g} rad: rotated maps are not supported; "
                    "re-export the map with yaw 0", where)
    where, negate = get("negate", 0.0)
    if negate not in (0.0, 1.0, "true", "false"):
        raise _fail(source, f"negate must be 0 or 1, found {negate!r}", where)
    occupied = number_of("occupied_thresh", None, 0.0, 1.0)
    free = number_of("free_thresh", None, 0.0, 1.0)
    if free > occupied:
        raise _fail(source, f"free_thresh {free:g} is above occupied_thresh {occupied:g}",
                    get("free_thresh")[0])
    where, mode = get("mode", "trinary")
    if mode not in _MODES:
        raise _fail(source, f"mode must be one of {', '.join(_MODES)}, found {mode!r}", where)
    image_path = Path(image) if Path(image).is_absolute() else path.parent / image
    meta = MapMeta(image=image_path, resolution=resolution, origin=(x, y),
                   negate=negate in (1.0, "true"), occupied_thresh=occupied, free_thresh=free)
    return meta, warnings


# -- the PGM image --------------------------------------------------------------------
def read_pgm(path: Path) -> FloatGrid:
    """Grey levels scaled to [0, 1] (1 = white), shape (height, width), row 0 north.

    P5 (binary, 8 or 16 bit big-endian) and P2 (ASCII); scaling by maxval makes a
    16-bit map mean the same as its 8-bit twin.
    """
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(source, f"cannot read the map image: {exc.strerror}") from exc
    if data.startswith(_PNG_MAGIC):
        raise _fail(source, "PNG images are not supported, only PGM (P5 or P2); convert it, "
                    "e.g. `convert map.png map.pgm`")
    magic = data[:2]
    if magic not in (b"P5", b"P2"):
        raise _fail(source, f"not a PGM image: starts with {data[:2]!r}, expected P5 (binary) "
                    "or P2 (ASCII) greyscale")
    header = _PGM_HEADER.match(data)
    if header is None:
        raise _fail(source, "truncated or bad PGM header: expected magic, width, height and "
                    "maxval as decimal numbers, then one whitespace byte")
    pos = header.end()
    width, height, maxval = (int(t) for t in header.groups())
    if width < 1 or height < 1 or not 1 <= maxval <= 65535:
        raise _fail(source, f"bad PGM header: {width}x{height}, maxval {maxval}")
    count = width * height
    if magic == b"P5":
        size = 1 if maxval < 256 else 2
        raster = data[pos : pos + count * size]
        if len(raster) < count * size:
            raise _fail(source, f"truncated PGM: {width}x{height} needs {count * size} bytes of "
                        f"pixels, found {len(raster)}")
        values = np.frombuffer(raster, dtype=np.uint8 if size == 1 else ">u2").astype(np.int64)
    else:
        body = re.sub(rb"#[^\n]*", b"", data[pos:]).split()
        if len(body) < count or not all(t.isdigit() for t in body[:count]):
            raise _fail(source, f"truncated or bad P2 PGM: {width}x{height} needs {count} integer "
                        f"pixels, found {sum(t.isdigit() for t in body)}")
        values = np.array([int(t) for t in body[:count]], dtype=np.int64)
    if int(values.max()) > maxval:
        raise _fail(source, f"pixel value {int(values.max())} above maxval {maxval}")
    return np.asarray(values.reshape(height, width) / maxval, dtype=np.float64)


def obstacle_pixels(shade: FloatGrid, meta: MapMeta, *, unknown_is_free: bool) -> BoolGrid:
    """ROS trinary classification: occupancy p > occupied_thresh is an obstacle,
    p < free_thresh is free, anything between is unknown (an obstacle unless the
    site trusts unmapped floor)."""
    p = shade if meta.negate else 1.0 - shade
    occupied = p > meta.occupied_thresh
    if unknown_is_free:
        return np.asarray(occupied, dtype=bool)
    return np.asarray(~(p < meta.free_thresh), dtype=bool)


# -- raster -> samples -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Raster:
    samples: Samples
    fits_mask: BoolGrid
    pixel: float

    def fits(self, x: float, y: float) -> bool:
        rows, cols = self.fits_mask.shape
        col = math.floor((x - self.samples.origin[0]) / self.pixel)
        row = rows - 1 - math.floor((y - self.samples.origin[1]) / self.pixel)
        return 0 <= row < rows and 0 <= col < cols and bool(self.fits_mask[row, col])


def _samples(obstacle: BoolGrid, meta: MapMeta, *, radius: float, k: int) -> _Raster:
    pixel = meta.resolution
    if obstacle.any():
        clearance = ndimage.distance_transform_edt(~obstacle) * pixel
        fits = np.asarray(clearance >= radius - 1e-9, dtype=bool)
    else:
        fits = np.ones_like(obstacle)
    height, width = obstacle.shape
    # Pad north and east so the south-west corner (the map origin) stays put.
    pad_rows, pad_cols = (-height) % k, (-width) % k
    padding = ((pad_rows, 0), (0, pad_cols))
    fits = np.pad(fits, padding, constant_values=False)
    solid = np.pad(obstacle, padding, constant_values=True)
    rows, cols = solid.shape[0] // k, solid.shape[1] // k
    blocked = solid.reshape(rows, k, cols, k).sum(axis=(1, 3)) * 2 > k * k
    samples = Samples(free=fits, k=k, resolution=round(k * pixel, 9), origin=meta.origin,
                      blocked=np.asarray(blocked, dtype=bool))
    return _Raster(samples, fits, pixel)


def _subdivisions(resolution: float, pixel: float, source: str) -> int:
    k = round(resolution / pixel)
    if k < 1 or abs(k * pixel - resolution) > 1e-6:
        near = ", ".join(f"{n * pixel:g}" for n in (max(1, k), max(1, k) + 1))
        raise _fail(source, f"plan resolution {resolution:g} m is not a whole multiple of the "
                    f"map's pixel size {pixel:g} m; planning cells must be whole pixels: use "
                    f"e.g. {near}")
    return k


def _load_raster(yaml_path: Path, *, radius: float, resolution: float | None,
                 unknown_is_free: bool, source: str) -> tuple[_Raster, list[Problem]]:
    meta, warnings = read_map_yaml(yaml_path)
    if not meta.image.is_file():
        raise _fail(str(yaml_path), f"map image {meta.image} does not exist (image: in the YAML "
                    "is relative to the YAML file)")
    shade = read_pgm(meta.image)
    if resolution is None:
        k = max(1, math.floor(2 * radius / meta.resolution + 1e-9))
    else:
        k = _subdivisions(resolution, meta.resolution, source)
    obstacle = obstacle_pixels(shade, meta, unknown_is_free=unknown_is_free)
    return _samples(obstacle, meta, radius=radius, k=k), warnings


# -- places and zones ------------------------------------------------------------------
def _outline(shape: Shape, source: str, name: str) -> tuple[Polygon | None, list[Problem]]:
    if shape.rect is None and shape.circle is None and shape.polygon is None:
        return None, []
    return shape_geometry(shape, source, name)


def place_specs(doc: PlanFile, source: str) -> tuple[list[PlaceSpec], list[ZoneSpec],
                                                        list[Problem]]:
    """Tables, stations and zones of a plan whose obstacles come from elsewhere.

    Shapes of tables and stations are optional (drawing, and catching two tables
    drawn on top of each other); zones need one, as they cover an area.
    """
    problems: list[Problem] = []
    places: list[PlaceSpec] = []
    drawn: list[tuple[str, Polygon]] = []
    for table in doc.tables:
        poly, found = _outline(table, source, table.name)
        problems += found
        if table.seats < 1:
            problems.append(Problem(Severity.ERROR, source, "a table needs at least 1 seat",
                                    table.name))
        if poly is not None:
            drawn.append((table.name, poly))
        places.append(PlaceSpec(table.name, PlaceKind.TABLE, tuple(table.spots),
                                seats=table.seats, outline=coords(poly) if poly else ()))
    problems += overlapping_tables(drawn, source)
    for station in doc.stations:
        poly, found = _outline(station, source, station.name)
        problems += found
        places.append(PlaceSpec(station.name, PlaceKind(station.kind), tuple(station.spots),
                                group=station.group, outline=coords(poly) if poly else ()))
    zones, found = zone_specs(doc, source)
    problems += found
    return places, zones, problems


# -- entry points (see fleet.floor.loader) ----------------------------------------------
def compile_raster(doc: PlanFile, source: str, base_dir: Path) -> tuple[FloorPlan | None,
                                                                       list[Problem]]:
    """A plan TOML with ``[occupancy_map]``: the ROS map gives the floor, the TOML
    the places. Returns (None, problems) when the map cannot be used."""
    assert doc.occupancy_map is not None
    header = doc.plan
    places, zones, problems = place_specs(doc, source)
    yaml_path = base_dir / doc.occupancy_map.yaml
    if not yaml_path.is_file():
        return None, [*problems, Problem(Severity.ERROR, source, f"[occupancy_map] yaml "
                                         f"{yaml_path} does not exist (it is relative to the "
                                         "plan file)")]
    try:
        raster, warnings = _load_raster(yaml_path, radius=header.robot_radius,
                                        resolution=header.resolution,
                                        unknown_is_free=doc.occupancy_map.unknown_is_free,
                                        source=source)
    except FloorPlanError as exc:
        return None, [*problems, *exc.problems]
    problems += warnings
    if any(p.severity is Severity.ERROR for p in problems):
        return None, problems
    plan, found = compile_plan(name=header.name, source=source, samples=raster.samples,
                               robot_radius=header.robot_radius, places=places, zones=zones,
                               fits=raster.fits)
    return plan, problems + found


def compile_ros_yaml(path: Path, *, robot_radius: float | None) -> tuple[FloorPlan | None,
                                                                        list[Problem]]:
    """A bare map_server YAML: no places, cells as large as the robot allows."""
    radius = DEFAULT_ROBOT_RADIUS if robot_radius is None else robot_radius
    try:
        raster, warnings = _load_raster(path, radius=radius, resolution=None,
                                        unknown_is_free=False, source=str(path))
    except FloorPlanError as exc:
        return None, list(exc.problems)
    plan, found = compile_plan(name=path.stem, source=str(path), samples=raster.samples,
                               robot_radius=radius)
    return plan, warnings + found

