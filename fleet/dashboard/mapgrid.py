"""The floor map as a grid of characters, for any terminal size.

The drawing is split by how often it changes. The floor itself (walls, zones,
tables, passes, chargers) changes when the terminal is resized or a zone is
blocked, so ``draw_floor`` computes it once per size into a ``FloorLayer``. What
moves (robots, their routes, the colour of a table) is a sparse ``Overlay`` of a
few hundred cells rebuilt on every refresh, which the widget lays over the cached
floor rows. Thirty robots cost thirty glyphs, not a redraw of the room.

Cells carry style *names* ("wall", "mode-working", ...), not colours: the widget
maps names to terminal styles, and tests read names.

A character is about twice as tall as it is wide, so one character covers
``sx`` metres across and ``2 * sx`` metres down; the scale is the largest that
fits the whole floor in the widget. A character that covers several planning
cells shows what most of them are, except that a blocked zone, a table or a
station anywhere in it wins, so that none of them vanishes on a small terminal.

Long because the cached floor layer and the moving overlay share one scale and one
set of glyph rules, which a split would have to pass between modules.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rich.cells import cell_len

from fleet.api.messages import FloorView, PlaceView, RobotView

ASPECT = 2.0
"""A terminal character's height over its width."""
MAX_SAMPLES = 6
"""Samples per character and axis when one character covers many planning cells."""

# Floor codes, merged by majority (ties to the higher code), except BLOCKED which
# wins wherever it appears.
TIGHT, FREE, SLOW, ONE_WAY, KEEP_OUT, WALL, BLOCKED = range(7)
_FLOOR_LOOK: dict[int, tuple[str, str]] = {
    TIGHT: (" ", "tight"),
    FREE: (" ", "floor"),
    SLOW: ("░", "slow"),
    ONE_WAY: ("┄", "one-way"),
    KEEP_OUT: ("x", "keep-out"),
    WALL: ("█", "wall"),
    BLOCKED: ("╱", "blocked"),
}
_ZONE_CODE = {"slow": SLOW, "one_way": ONE_WAY, "keep_out": KEEP_OUT, "blocked": BLOCKED}

STATION_GLYPH: dict[str, tuple[str, str]] = {
    "pass": ("P", "pass"),
    "charger": ("C", "charger"),
    "dish_return": ("D", "station"),
    "host_stand": ("H", "station"),
    "parking": ("K", "station"),
}

HEADINGS = "→↗↑↖←↙↓↘"
"""Glyphs for a robot's heading, counter-clockwise from east in steps of 45°."""
ROUTE_GLYPH = "•"
HORIZON_GLYPH = "◦"
LABEL_MAX = 6

Cell = tuple[str, str]
"""(character, style name)"""
Overlay = dict[int, dict[int, tuple[str | None, str]]]
"""row -> column -> (character or None to keep the floor's, style name)."""
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Scale:
    """Where the floor sits in a ``width`` x ``height`` widget."""

    width: int
    height: int
    sx: float
    """Metres per column."""
    sy: float
    """Metres per row."""
    left: float
    """x (metres) of the drawing's left edge."""
    top: float
    """y (metres) of the drawing's top edge (north)."""
    ox: int
    """Column where the drawing starts (it is centred)."""
    oy: int
    cols: int
    """Columns the drawing uses."""
    rows: int

    def to_cell(self, x: float, y: float) -> tuple[int, int] | None:
        """The (row, column) of the character over point (x, y), None outside the drawing."""
        c = math.floor((x - self.left) / self.sx)
        r = math.floor((self.top - y) / self.sy)
        if 0 <= r < self.rows and 0 <= c < self.cols:
            return (r + self.oy, c + self.ox)
        return None


def rows_for_width(floor: FloorView, width: int) -> int:
    """The rows the floor takes when it is drawn ``width`` characters wide."""
    sx = floor.cols * floor.resolution / max(1, width)
    return max(1, math.ceil(floor.rows * floor.resolution / (ASPECT * sx) - 1e-9))


def fit(floor: FloorView, width: int, height: int) -> Scale:
    """The largest scale at which the whole floor fits ``width`` x ``height``."""
    width, height = max(1, width), max(1, height)
    w_m = floor.cols * floor.resolution
    h_m = floor.rows * floor.resolution
    sx = max(w_m / width, h_m / (ASPECT * height))
    sy = sx * ASPECT
    cols = min(width, max(1, math.ceil(w_m / sx - 1e-9)))
    rows = min(height, max(1, math.ceil(h_m / sy - 1e-9)))
    return Scale(width=width, height=height, sx=sx, sy=sy, left=floor.origin[0],
                 top=floor.origin[1] + h_m, ox=(width - cols) // 2, oy=(height - rows) // 2,
                 cols=cols, rows=rows)


@dataclass(slots=True)
class FloorLayer:
    """The floor drawn at one size: everything that does not move."""

    scale: Scale
    chars: list[list[str]]
    styles: list[list[str]]
    tables: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    """Each table's characters (row, column), for colouring it by its state."""
    labels: set[tuple[int, int]] = field(default_factory=set)
    """The characters of table names: what moves is drawn round them, never over."""


def _codes(floor: FloorView, blocked: Iterable[str]) -> IntArray:
    """One floor code per planning cell."""
    grid = np.array([list(row.ljust(floor.cols)[:floor.cols]) for row in floor.grid],
                    dtype="<U1").reshape(floor.rows, floor.cols)
    codes = np.full(grid.shape, FREE, dtype=np.int64)
    codes[grid == " "] = TIGHT
    codes[grid == "#"] = WALL
    blocked = set(blocked)
    for zone in floor.zones:
        code = BLOCKED if zone.name in blocked else _ZONE_CODE.get(zone.kind)
        if code is None or not zone.rows:
            continue
        mask = np.array([list(row.ljust(floor.cols)[:floor.cols]) for row in zone.rows],
                        dtype="<U1").reshape(len(zone.rows), floor.cols)[:floor.rows] == "#"
        inside = np.zeros(grid.shape, dtype=bool)
        inside[:mask.shape[0]] = mask
        if code == BLOCKED:
            codes[inside] = BLOCKED
        else:
            codes[inside & (codes != WALL) & (codes != BLOCKED)] = np.maximum(
                codes[inside & (codes != WALL) & (codes != BLOCKED)], code)
    return codes


def _sample(floor: FloorView, scale: Scale, codes: IntArray) -> IntArray:
    """One floor code per character of the drawing."""
    res = floor.resolution
    n = min(MAX_SAMPLES, max(1, math.ceil(scale.sx / res)))
    m = min(MAX_SAMPLES, max(1, math.ceil(scale.sy / res)))
    xs = scale.left + (np.arange(scale.cols)[:, None] + (np.arange(n) + 0.5) / n) * scale.sx
    ys = scale.top - (np.arange(scale.rows)[:, None] + (np.arange(m) + 0.5) / m) * scale.sy
    gc = np.clip(np.floor((xs - floor.origin[0]) / res).astype(np.int64), 0, floor.cols - 1)
    gr = np.clip(floor.rows - 1 - np.floor((ys - floor.origin[1]) / res).astype(np.int64),
                 0, floor.rows - 1)
    # samples[r, i, c, j]: row sample i of character row r, column sample j of column c
    samples = codes[gr.reshape(-1)[:, None], gc.reshape(-1)[None, :]].reshape(
        scale.rows, m, scale.cols, n)
    counts = np.stack([(samples == k).sum(axis=(1, 3)) for k in range(BLOCKED + 1)])
    # majority, ties to the higher code: argmax over the codes reversed
    out: IntArray = BLOCKED - np.argmax(counts[::-1], axis=0)
    out[counts[BLOCKED] > 0] = BLOCKED
    return out


def _inside(poly: Sequence[tuple[float, float]], xs: npt.NDArray[np.float64],
            ys: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Even-odd point-in-polygon test over arrays of points."""
    inside = np.zeros(xs.shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
        if y1 == y2:
            continue
        crosses = (ys >= min(y1, y2)) & (ys < max(y1, y2))
        x_at = x1 + (ys - y1) * (x2 - x1) / (y2 - y1)
        inside ^= crosses & (xs < x_at)
    return inside


def _table_cells(place: PlaceView, scale: Scale) -> list[tuple[int, int]]:
    """The characters a table covers: those whose centre is inside its outline, or
    the one under its middle when it is smaller than a character."""
    pts = place.outline or place.spots
    if not pts:
        return []
    cells: list[tuple[int, int]] = []
    if len(place.outline) >= 3:
        px = [p[0] for p in place.outline]
        py = [p[1] for p in place.outline]
        c0 = max(0, math.floor((min(px) - scale.left) / scale.sx))
        c1 = min(scale.cols - 1, math.floor((max(px) - scale.left) / scale.sx))
        r0 = max(0, math.floor((scale.top - max(py)) / scale.sy))
        r1 = min(scale.rows - 1, math.floor((scale.top - min(py)) / scale.sy))
        if c0 <= c1 and r0 <= r1:
            cs = np.arange(c0, c1 + 1)
            rs = np.arange(r0, r1 + 1)
            xs = (scale.left + (cs[None, :] + 0.5) * scale.sx + 0 * rs[:, None]).astype(np.float64)
            ys = (scale.top - (rs[:, None] + 0.5) * scale.sy + 0 * cs[None, :]).astype(np.float64)
            hit = _inside(place.outline, xs, ys)
            cells = [(int(rs[i]) + scale.oy, int(cs[j]) + scale.ox)
                     for i, j in zip(*np.nonzero(hit), strict=True)]
    if not cells:
        mx = sum(p[0] for p in pts) / len(pts)
        my = sum(p[1] for p in pts) / len(pts)
        at = scale.to_cell(mx, my)
        if at is not None:
            cells = [at]
    return cells


def draw_floor(floor: FloorView, width: int, height: int,
               blocked_zones: Iterable[str] = ()) -> FloorLayer:
    """The static layer for a widget of ``width`` x ``height`` characters.

    ``blocked_zones`` are zones of the plan the manager has closed (drawn hatched,
    like zones the controller publishes with kind ``blocked``)."""
    scale = fit(floor, width, height)
    chars = [[" "] * scale.width for _ in range(scale.height)]
    styles = [["void"] * scale.width for _ in range(scale.height)]
    sampled = _sample(floor, scale, _codes(floor, blocked_zones))
    for r in range(scale.rows):
        row_c, row_s = chars[r + scale.oy], styles[r + scale.oy]
        for c, code in enumerate(sampled[r].tolist()):
            ch, st = _FLOOR_LOOK[code]
            row_c[c + scale.ox] = ch
            row_s[c + scale.ox] = st
    layer = FloorLayer(scale=scale, chars=chars, styles=styles)
    labelled: set[tuple[int, int]] = set()
    for place in floor.places:
        if place.kind != "table":
            continue
        cells = _table_cells(place, scale)
        layer.tables[place.name] = cells
        for r, c in cells:
            chars[r][c] = " "
            styles[r][c] = "table"
    for place in floor.places:
        if place.kind == "table":
            cells = layer.tables[place.name]
            if not cells:
                continue
            # the name across the table's middle row, if it does not cover another's
            mid_r = sorted(r for r, _ in cells)[len(cells) // 2]
            row_cols = [c for r, c in cells if r == mid_r]
            left, right = min(row_cols), max(row_cols)
            label = cells_of(place.name)
            start = max(0, min(scale.width - len(label),
                               left + (right - left + 1 - len(label)) // 2))
            spots = [(mid_r, start + i) for i in range(len(label))]
            if any(s in labelled for s in spots) or start < 0:
                continue
            for (r, c), ch in zip(spots, label, strict=True):
                chars[r][c] = ch
                if styles[r][c] != "table":
                    styles[r][c] = "table"
                    layer.tables[place.name].append((r, c))
                labelled.add((r, c))
        elif place.kind in STATION_GLYPH:
            ch, st = STATION_GLYPH[place.kind]
            for x, y in place.spots:
                at = scale.to_cell(x, y)
                if at is not None and at not in labelled:
                    chars[at[0]][at[1]] = ch
                    styles[at[0]][at[1]] = st
    layer.labels = labelled
    return layer


def cells_of(text: str) -> list[str]:
    """``text`` one terminal cell at a time: a wide character (Hangul, 창가1's 창)
    takes two cells, the second holding "" so that a row of cells stays as wide
    on screen as it has cells."""
    out: list[str] = []
    for ch in text:
        out.append(ch)
        if cell_len(ch) == 2:
            out.append("")
    return out


def mend(chars: list[str]) -> list[str]:
    """A row of cells made whole again after an overlay covered one half of a wide
    character (a robot on a Hangul name): the other half becomes a space, so the row
    keeps its width and nothing after it shifts."""
    for i, ch in enumerate(chars):
        lone_half = ch == "" and (i == 0 or cell_len(chars[i - 1]) != 2)
        cut_wide = cell_len(ch) == 2 and (i + 1 >= len(chars) or chars[i + 1] != "")
        if lone_half or cut_wide:
            chars[i] = " "
    return chars


def heading_glyph(theta: float | None) -> str:
    """An arrow for a heading in radians (VDA 5050: counter-clockwise from east)."""
    if theta is None:
        return "●"
    return HEADINGS[round(theta / (math.pi / 4)) % 8]


def _line(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    """The characters from ``a`` to ``b`` (Bresenham), both ends included."""
    (r0, c0), (r1, c1) = a, b
    dr, dc = abs(r1 - r0), abs(c1 - c0)
    sr, sc = (1 if r1 > r0 else -1), (1 if c1 > c0 else -1)
    err = dc - dr
    out = [(r0, c0)]
    while (r0, c0) != (r1, c1):
        e2 = 2 * err
        if e2 > -dr:
            err -= dr
            c0 += sc
        if e2 < dc:
            err += dc
            r0 += sr
        out.append((r0, c0))
    return out


def _path(scale: Scale, start: tuple[int, int] | None, points: Sequence[tuple[float, float]],
          ) -> tuple[list[tuple[int, int]], tuple[int, int] | None]:
    """The characters of a polyline from ``start`` through ``points``, and where it ends."""
    cells: list[tuple[int, int]] = []
    prev = start
    for x, y in points:
        at = scale.to_cell(x, y)
        if at is None:
            continue
        cells.extend(_line(prev, at) if prev is not None else [at])
        prev = at
    return cells, prev


def overlay(layer: FloorLayer, robots: Iterable[RobotView],
            table_states: Mapping[str, str], selected: str | None = None) -> Overlay:
    """What moves, over the floor: table colours (``table_states``: name -> style
    suffix such as "waiting"), routes (released, then the planned horizon) and robots
    with their ids. ``selected`` is drawn reversed so the manager sees which robot
    the keys act on."""
    scale = layer.scale
    out: Overlay = {}

    def put(at: tuple[int, int], ch: str | None, style: str) -> None:
        r, c = at
        if 0 <= r < scale.height and 0 <= c < scale.width:
            out.setdefault(r, {})[c] = (ch, style)

    for name, state in table_states.items():
        for cell in layer.tables.get(name, ()):
            put(cell, None, f"table-{state}")
    placed: list[tuple[RobotView, tuple[int, int]]] = []
    robots = list(robots)
    for robot in robots:
        if robot.x is None or robot.y is None:
            continue
        at = scale.to_cell(robot.x, robot.y)
        if at is None:
            continue
        placed.append((robot, at))
        # a route over a table's name colours it and leaves the name readable
        route, end = _path(scale, at, robot.route)
        for cell in route:
            if cell != at:
                put(cell, None if cell in layer.labels else ROUTE_GLYPH, "route")
        horizon, _ = _path(scale, end, robot.horizon)
        for cell in horizon:
            if cell not in (end, at):
                put(cell, None if cell in layer.labels else HORIZON_GLYPH, "horizon")
    taken = set(layer.labels) | {at for _, at in placed}
    for robot, (r, c) in placed:
        # beside the robot, right or else left, where it covers no table's name nor
        # another robot or its name; none at all rather than one that collides (the
        # robots table names every robot)
        label = cells_of(robot.serial)[:LABEL_MAX]
        if label and cell_len(label[-1]) == 2:
            label.pop()  # its second half was cut off: cut before it
        for start, beyond in ((c + 1, c + 1 + len(label)), (c - len(label), c - len(label) - 1)):
            cells = [(r, start + i) for i in range(len(label))]
            # and not touching a name beyond it: "R4C2" would read as one word
            if (start >= 0 and start + len(label) <= scale.width
                    and not any(cell in taken for cell in (*cells, (r, beyond)))):
                for cell, ch in zip(cells, label, strict=True):
                    put(cell, ch, f"label-{robot.mode}")
                taken.update(cells)
                break
    for robot, at in placed:
        style = "robot-selected" if robot.serial == selected else f"mode-{robot.mode}"
        put(at, heading_glyph(robot.theta), style)
    return out


def plain(layer: FloorLayer, over: Overlay | None = None) -> list[str]:
    """The drawing as plain text lines (for logs and tests)."""
    lines = []
    for r, row in enumerate(layer.chars):
        chars = list(row)
        for c, (ch, _) in (over or {}).get(r, {}).items():
            if ch is not None:
                chars[c] = ch
        lines.append("".join(mend(chars)))
    return lines
