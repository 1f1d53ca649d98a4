"""Floor plans as text: one character per planning cell, for terminals and logs.

The renderer hands back segments tagged with plain style names ("wall",
"route", ...) instead of terminal markup, so the core stays free of terminal
libraries; the CLI maps the names to colours (``THEME`` suggests rich styles)
and ``TextMap.plain`` drops them for files, pipes and tests.

A plan wider than the terminal is shown a block of n x n cells per character.
A block shows the most telling thing in it (route ends, route, stations,
tables), else a wall if a wall crosses it, else what most of its cells are, so
that neither a route, a pass nor the outline of the room disappears when
zoomed out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon

from fleet.floor.model import (
    EAST,
    NORTH,
    SOUTH,
    WEST,
    BoolGrid,
    Cell,
    FloorPlan,
    PlaceKind,
    ZoneKind,
)

Segment = tuple[str, str]
"""(text, style name)."""
Line = tuple[Segment, ...]
IntGrid = npt.NDArray[np.int64]


class _Code(IntEnum):
    """What a character shows; higher codes win when cells are merged.

    Codes below ``TABLE`` describe the floor itself and merge by majority;
    codes from ``TABLE`` up are things a person looks for and merge by priority.
    """

    TIGHT = 0
    FREE = 1
    SLOW = 2
    ONE_WAY_NORTH = 3
    ONE_WAY_EAST = 4
    ONE_WAY_SOUTH = 5
    ONE_WAY_WEST = 6
    KEEP_OUT = 7
    WALL = 8
    TABLE = 10
    PARKING = 11
    HOST_STAND = 12
    DISH_RETURN = 13
    CHARGER = 14
    PASS = 15
    ROUTE = 20
    START = 21
    END = 22


_OVERLAY = _Code.TABLE

_LOOK: dict[_Code, tuple[str, str, str]] = {
    _Code.TIGHT: (" ", "tight", "floor too tight for a robot"),
    _Code.FREE: ("·", "free", "free floor"),
    _Code.SLOW: ("░", "zone-slow", "slow zone"),
    _Code.ONE_WAY_NORTH: ("↑", "zone-one-way", "one-way aisle (north)"),
    _Code.ONE_WAY_EAST: ("→", "zone-one-way", "one-way aisle (east)"),
    _Code.ONE_WAY_SOUTH: ("↓", "zone-one-way", "one-way aisle (south)"),
    _Code.ONE_WAY_WEST: ("←", "zone-one-way", "one-way aisle (west)"),
    _Code.KEEP_OUT: ("x", "zone-keep-out", "keep-out zone"),
    _Code.WALL: ("█", "wall", "wall or obstacle"),
    _Code.TABLE: ("▒", "table", "table"),
    _Code.PARKING: ("K", "parking", "parking spot"),
    _Code.HOST_STAND: ("H", "host-stand", "host stand"),
    _Code.DISH_RETURN: ("D", "dish-return", "dish return"),
    _Code.CHARGER: ("C", "charger", "charger"),
    _Code.PASS: ("P", "pass", "kitchen pass"),
    _Code.ROUTE: ("•", "route", "route"),
    _Code.START: ("S", "route-end", "route start"),
    _Code.END: ("E", "route-end", "route end"),
}

_STATION_CODE: dict[PlaceKind, _Code] = {
    PlaceKind.PASS: _Code.PASS,
    PlaceKind.CHARGER: _Code.CHARGER,
    PlaceKind.DISH_RETURN: _Code.DISH_RETURN,
    PlaceKind.PARKING: _Code.PARKING,
    PlaceKind.HOST_STAND: _Code.HOST_STAND,
}

_ONE_WAY_CODE: dict[Cell, _Code] = {NORTH: _Code.ONE_WAY_NORTH, EAST: _Code.ONE_WAY_EAST,
                                     SOUTH: _Code.ONE_WAY_SOUTH, WEST: _Code.ONE_WAY_WEST}

LABEL_STYLE = "label"

THEME: Mapping[str, str] = {
    "tight": "", "free": "grey42", "wall": "grey50", "table": "dark_orange3",
    LABEL_STYLE: "bold white on dark_orange3", "zone-slow": "yellow", "zone-one-way": "cyan",
    "zone-keep-out": "red", "parking": "bold blue", "host-stand": "bold bright_magenta",
    "dish-return": "bold magenta", "charger": "bold green", "pass": "bold yellow",
    "route": "bold bright_cyan", "route-end": "bold black on bright_cyan",
}
"""Suggested rich style for each style name (rich syntax, plain strings)."""


@dataclass(frozen=True, slots=True)
class TextMap:
    """A rendered plan: ``lines`` of styled segments, one character per block.

    ``step`` is the block size in cells (1 = every cell shown); ``note`` says
    what a reader should know that the picture does not show (zoom, labels
    left out), or is None.
    """

    lines: tuple[Line, ...]
    step: int
    note: str | None

    @property
    def downsampled(self) -> bool:
        return self.step > 1

    def plain(self) -> str:
        return "\n".join("".join(text for text, _ in line) for line in self.lines)

    def styles(self) -> set[str]:
        return {style for line in self.lines for _, style in line}


def covered_cells(plan: FloorPlan, outline: Sequence[tuple[float, float]]) -> BoolGrid:
    """Cells whose centre lies inside ``outline``; a shape smaller than a cell
    still claims the cell holding its centroid, so no table goes missing."""
    if len(outline) < 3:
        return np.zeros(plan.shape, dtype=bool)
    poly = Polygon(outline)
    gx, gy = _centres(plan)
    mask = np.asarray(shapely.contains_xy(poly, gx, gy), dtype=bool)
    if not mask.any():
        centre = poly.centroid
        cell = plan.cell_of(centre.x, centre.y)
        if cell is not None:
            mask[cell] = True
    return mask


def _centres(plan: FloorPlan) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    rows, cols = plan.shape
    xs = plan.origin[0] + (np.arange(cols) + 0.5) * plan.resolution
    ys = plan.origin[1] + (rows - np.arange(rows) - 0.5) * plan.resolution
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy


def obstacle_shapes(plan: FloorPlan) -> list[shapely.Geometry]:
    """The plan's obstacles as shapes (walls arrive one segment per shape)."""
    return [Polygon(outline) for _, outline in plan.obstacles if len(outline) >= 3]


def touched_cells(plan: FloorPlan, shapes: Sequence[shapely.Geometry] | None = None) -> BoolGrid:
    """Cells a shape (by default, any obstacle) reaches into, however little.

    ``plan.blocked`` tests cell centres only, so a thin wall along the edge of
    the floor blocks no cell; drawing the cells it touches keeps it visible.
    """
    mask = np.zeros(plan.shape, dtype=bool)
    rows, cols = plan.shape
    res = plan.resolution
    inset = res * 0.01  # a shape that only shares a cell's border does not touch it
    for poly in obstacle_shapes(plan) if shapes is None else shapes:
        if poly.is_empty:
            continue
        x0, y0, x1, y1 = poly.bounds
        c0 = max(0, int(np.floor((x0 - plan.origin[0]) / res)))
        c1 = min(cols - 1, int(np.floor((x1 - plan.origin[0]) / res)))
        r0 = max(0, rows - 1 - int(np.floor((y1 - plan.origin[1]) / res)))
        r1 = min(rows - 1, rows - 1 - int(np.floor((y0 - plan.origin[1]) / res)))
        if c0 > c1 or r0 > r1:
            continue
        rr, cc = np.mgrid[r0 : r1 + 1, c0 : c1 + 1]
        left = plan.origin[0] + cc * res
        bottom = plan.origin[1] + (rows - 1 - rr) * res
        boxes = shapely.box(left + inset, bottom + inset, left + res - inset, bottom + res - inset)
        mask[r0 : r1 + 1, c0 : c1 + 1] |= np.asarray(shapely.intersects(poly, boxes), dtype=bool)
    return mask


def check_route(plan: FloorPlan, route: Sequence[Cell]) -> list[Cell]:
    """The route as (row, col) tuples; ValueError names the first cell off the grid."""
    cells = [(int(r), int(c)) for r, c in route]
    for i, cell in enumerate(cells):
        if not plan.in_bounds(cell):
            rows, cols = plan.shape
            msg = f"route cell {i} {cell} is off the {rows}x{cols} grid"
            raise ValueError(msg)
    return cells


def _codes(plan: FloorPlan, route: Sequence[Cell]) -> IntGrid:
    """One code per cell, before merging and labels."""
    codes = np.full(plan.shape, int(_Code.TIGHT), dtype=np.int64)
    codes[plan.passable] = _Code.FREE
    floor = ~plan.blocked
    kinds = (ZoneKind.SLOW, ZoneKind.ONE_WAY, ZoneKind.KEEP_OUT)
    for kind in kinds:  # keep-out last: it wins where zones overlap
        for zone in (z for z in plan.zones if z.kind is kind):
            if kind is ZoneKind.SLOW:
                code = _Code.SLOW
            elif kind is ZoneKind.KEEP_OUT:
                code = _Code.KEEP_OUT
            elif zone.direction is not None:
                code = _ONE_WAY_CODE[zone.direction]
            else:
                continue
            codes[zone.mask & floor] = code
    codes[plan.blocked | (touched_cells(plan) & ~plan.passable)] = _Code.WALL
    for table in plan.tables:
        codes[covered_cells(plan, table.outline)] = _Code.TABLE
    for place in plan.places.values():
        station = _STATION_CODE.get(place.kind)
        if station is None:
            continue
        codes[covered_cells(plan, place.outline)] = station
        for cell in place.cells:
            codes[cell] = station
    for cell in route:
        codes[cell] = _Code.ROUTE
    if route:
        codes[route[-1]] = _Code.END
        codes[route[0]] = _Code.START
    return codes


def _merge(codes: IntGrid, step: int) -> IntGrid:
    """Blocks of ``step`` x ``step`` cells to one code each (see the module note)."""
    if step == 1:
        return codes
    rows, cols = codes.shape
    out_r, out_c = math.ceil(rows / step), math.ceil(cols / step)
    padded = np.full((out_r * step, out_c * step), -1, dtype=np.int64)
    padded[:rows, :cols] = codes
    blocks = padded.reshape(out_r, step, out_c, step).transpose(0, 2, 1, 3).reshape(
        out_r, out_c, step * step)
    top = blocks.max(axis=2)
    base_codes = [int(c) for c in _Code if c < _OVERLAY]
    counts = np.stack([(blocks == c).sum(axis=2) for c in base_codes], axis=2)
    # Ties go to the later code, so walls and zones survive next to open floor.
    majority = len(base_codes) - 1 - counts[:, :, ::-1].argmax(axis=2)
    base = np.asarray(base_codes, dtype=np.int64)[majority]
    # A wall one cell thick is a line of ``step`` cells in its block: keep it.
    walls = (blocks == _Code.WALL).sum(axis=2) >= step
    base = np.where(walls, int(_Code.WALL), base)
    return np.where(top >= _OVERLAY, top, base)


def _place_labels(plan: FloorPlan, codes: IntGrid, step: int) -> tuple[dict[Cell, str], list[str]]:
    """Table names over their tables, or beside them when the table is too small."""
    labels: dict[Cell, str] = {}
    left_out: list[str] = []
    rows, cols = codes.shape

    def free_run(row: int, start: int, n: int, *, on_table: bool) -> bool:
        if row < 0 or row >= rows or start < 0 or start + n > cols:
            return False
        for col in range(start, start + n):
            code = codes[row, col]
            ok = code == _Code.TABLE if on_table else code < _OVERLAY
            if not ok or (row, col) in labels:
                return False
        return True

    for table in sorted(plan.tables, key=lambda t: t.name):
        cells = np.argwhere(covered_cells(plan, table.outline)) // step
        if cells.size == 0:
            left_out.append(table.name)
            continue
        top, bottom = int(cells[:, 0].min()), int(cells[:, 0].max())
        top_cols = cells[cells[:, 0] == top, 1]
        first, last = int(top_cols.min()), int(top_cols.max())
        n = len(table.name)
        candidates = [
            (top, first, True),
            (top, last + 1, False),
            (top, first - n, False),
            (top - 1, first, False),
            (bottom + 1, first, False),
        ]
        for row, start, on_table in candidates:
            if free_run(row, start, n, on_table=on_table):
                for i, ch in enumerate(table.name):
                    labels[(row, start + i)] = ch
                break
        else:
            left_out.append(table.name)
    return labels, left_out


def _line(codes_row: IntGrid, row: int, labels: Mapping[Cell, str]) -> Line:
    segments: list[list[str]] = []
    for col, code in enumerate(codes_row):
        label = labels.get((row, col))
        if label is not None:
            text, style = label, LABEL_STYLE
        else:
            text, style, _ = _LOOK[_Code(int(code))]
        if segments and segments[-1][1] == style:
            segments[-1][0] += text
        else:
            segments.append([text, style])
    return tuple((text, style) for text, style in segments)


def render_text(plan: FloorPlan, *, route: Sequence[Cell] = (), max_width: int | None = None,
                max_height: int | None = None) -> TextMap:
    """Draw ``plan`` (and a route over it) one character per cell, zoomed out by
    whole blocks when the plan is wider than ``max_width`` or taller than
    ``max_height`` characters."""
    cells = check_route(plan, route)
    rows, cols = plan.shape
    step = 1
    if max_width is not None:
        step = max(step, math.ceil(cols / max(1, max_width)))
    if max_height is not None:
        step = max(step, math.ceil(rows / max(1, max_height)))
    codes = _merge(_codes(plan, cells), step)
    labels, left_out = _place_labels(plan, codes, step)
    notes: list[str] = []
    if step > 1:
        notes.append(f"zoomed out: 1 character = {step}x{step} cells "
                     f"({cols}x{rows} cells shown as {codes.shape[1]}x{codes.shape[0]})")
    if left_out:
        notes.append("no room for labels of " + ", ".join(left_out))
    lines = tuple(_line(codes[r], r, labels) for r in range(codes.shape[0]))
    return TextMap(lines=lines, step=step, note="; ".join(notes) or None)


def render_plain(plan: FloorPlan, *, route: Sequence[Cell] = (),
                 max_width: int | None = None, max_height: int | None = None) -> str:
    """The plan as plain text, with the zoom note (if any) as a last line."""
    text_map = render_text(plan, route=route, max_width=max_width, max_height=max_height)
    text = text_map.plain()
    return f"{text}\n({text_map.note})" if text_map.note else text


def legend(shown: TextMap | None = None) -> list[tuple[str, str, str]]:
    """(symbol, style, meaning) for each symbol; only those in ``shown`` if given."""
    styles = shown.styles() if shown is not None else None
    chars = set(shown.plain()) if shown is not None else None
    out: list[tuple[str, str, str]] = []
    for code in _Code:
        char, style, meaning = _LOOK[code]
        if chars is not None and (char not in chars or styles is None or style not in styles):
            continue
        out.append((char, style, meaning))
    if styles is None or LABEL_STYLE in styles:
        out.append(("T1", LABEL_STYLE, "table name"))
    return out
