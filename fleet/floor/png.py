"""Floor plans as pictures: a PNG writer and a raster painter, stdlib and numpy only
(names in Hangul are lettered by ``fleet.floor.lettering``, imported when needed).

A picture is for the person who drew the plan: it shows the true shapes
(walls, furniture, tables, at ``scale`` pixels per cell) over the cells the
planner sees, so a table drawn a little too wide, or an aisle that lost its
cells to the robot's radius, is visible at a glance.

Pixel (py, px) has its centre at ``x = x0 + (px + 0.5) / scale * res`` and
``y = y0 + (H - py - 0.5) / scale * res``: row 0 is north, as in the grid.
"""

from __future__ import annotations

import itertools
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import Polygon

from fleet.floor.model import EAST, NORTH, SOUTH, WEST, Cell, FloorPlan, PlaceKind, ZoneKind
from fleet.floor.render import check_route, obstacle_shapes

Image = npt.NDArray[np.uint8]
RGB = tuple[int, int, int]

FREE: RGB = (246, 245, 240)
TIGHT: RGB = (214, 212, 205)
BLOCKED: RGB = (160, 160, 160)
OBSTACLE: RGB = (64, 64, 64)
TABLE: RGB = (176, 122, 70)
TABLE_EDGE: RGB = (92, 56, 24)
LABEL: RGB = (255, 255, 255)
ROUTE: RGB = (0, 90, 255)
START: RGB = (0, 170, 60)
END: RGB = (220, 20, 20)
ZONE_TINT: dict[ZoneKind, RGB] = {
    ZoneKind.SLOW: (255, 205, 0),
    ZoneKind.KEEP_OUT: (230, 40, 40),
    ZoneKind.ONE_WAY: (0, 170, 210),
}
STATION: dict[PlaceKind, tuple[RGB, str]] = {
    PlaceKind.PASS: ((240, 130, 0), "P"),
    PlaceKind.CHARGER: ((0, 150, 140), "C"),
    PlaceKind.DISH_RETURN: ((140, 70, 190), "D"),
    PlaceKind.PARKING: ((90, 90, 190), "K"),
    PlaceKind.HOST_STAND: ((210, 50, 130), "H"),
}

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# 3x5 pixel glyphs, rows top to bottom; enough for table and station names.
_FONT: dict[str, str] = {
    "0": "111 101 101 101 111", "1": "010 110 010 010 111", "2": "111 001 111 100 111",
    "3": "111 001 111 001 111", "4": "101 101 111 001 001", "5": "111 100 111 001 111",
    "6": "111 100 111 101 111", "7": "111 001 001 010 010", "8": "111 101 111 101 111",
    "9": "111 101 111 001 111", "A": "010 101 111 101 101", "B": "110 101 110 101 110",
    "C": "011 100 100 100 011", "D": "110 101 101 101 110", "E": "111 100 110 100 111",
    "F": "111 100 110 100 100", "G": "011 100 101 101 011", "H": "101 101 111 101 101",
    "I": "111 010 010 010 111", "J": "001 001 001 101 010", "K": "101 101 110 101 101",
    "L": "100 100 100 100 111", "M": "101 111 111 101 101", "N": "110 101 101 101 101",
    "O": "010 101 101 101 010", "P": "110 101 110 100 100", "Q": "010 101 101 110 011",
    "R": "110 101 110 101 101", "S": "011 100 010 001 110", "T": "111 010 010 010 010",
    "U": "101 101 101 101 111", "V": "101 101 101 101 010", "W": "101 101 111 111 101",
    "X": "101 101 010 101 101", "Y": "101 101 010 010 010", "Z": "111 001 010 100 111",
    "-": "000 000 111 000 000", "_": "000 000 000 000 111", ".": "000 000 000 000 010",
    " ": "000 000 000 000 000", "?": "111 001 010 000 010",
    "→": "100 110 111 110 100", "←": "001 011 111 011 001", "↑": "000 010 111 111 000",
    "↓": "000 111 111 010 000",
}
_ARROW: dict[Cell, str] = {NORTH: "↑", SOUTH: "↓", EAST: "→", WEST: "←"}
ONE_WAY_ARROW: RGB = (0, 110, 140)


def drawable(text: str) -> bool:
    """Whether the pixel font has every character of ``text`` (else it shows "?")."""
    return all(ch.upper() in _FONT for ch in text)


def letter_size(scale: int) -> int:
    """The outline font's size in pixels for a picture at ``scale`` pixels per cell."""
    return max(10, round(scale * 1.2))


def encode_png(rgb: Image) -> bytes:
    """An 8-bit RGB PNG of ``rgb`` (H, W, 3), unfiltered rows, zlib-compressed."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        msg = f"expected a uint8 array of shape (H, W, 3), got {rgb.dtype} {rgb.shape}"
        raise ValueError(msg)
    height, width = int(rgb.shape[0]), int(rgb.shape[1])
    if height == 0 or width == 0:
        msg = "cannot write an empty image"
        raise ValueError(msg)
    rows = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # filter byte 0: none
    rows[:, 1:] = rgb.reshape(height, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit truecolour
    return (_PNG_SIGNATURE + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)) + chunk(b"IEND", b""))


def write_png(path: str | Path, rgb: Image) -> None:
    Path(path).write_bytes(encode_png(rgb))


class _Canvas:
    """An image of a plan plus the pixel <-> metre mapping to paint shapes on it."""

    def __init__(self, plan: FloorPlan, scale: int) -> None:
        rows, cols = plan.shape
        self.scale = scale
        self.height, self.width = rows * scale, cols * scale
        self.px = plan.resolution / scale
        self.origin = plan.origin
        self.image = np.zeros((self.height, self.width, 3), dtype=np.uint8)

    def pixel_of(self, x: float, y: float) -> tuple[int, int]:
        """(py, px) of the pixel holding point (x, y), clamped to the image."""
        px = int(np.floor((x - self.origin[0]) / self.px))
        py = self.height - 1 - int(np.floor((y - self.origin[1]) / self.px))
        return (min(max(py, 0), self.height - 1), min(max(px, 0), self.width - 1))

    def mask(self, poly: shapely.Geometry) -> tuple[tuple[slice, slice], npt.NDArray[np.bool_]]:
        """Pixels whose centre is inside ``poly``, within its bounding window only."""
        x0, y0, x1, y1 = poly.bounds
        top, left = self.pixel_of(x0, y1)
        bottom, right = self.pixel_of(x1, y0)
        window = (slice(top, bottom + 1), slice(left, right + 1))
        py, px = np.mgrid[window]
        xs = self.origin[0] + (px + 0.5) * self.px
        ys = self.origin[1] + (self.height - py - 0.5) * self.px
        return window, np.asarray(shapely.contains_xy(poly, xs, ys), dtype=bool)

    def fill(self, poly: shapely.Geometry, colour: RGB) -> None:
        if poly.is_empty:
            return
        window, inside = self.mask(poly)
        self.image[window][inside] = colour

    def shape(self, outline: Sequence[tuple[float, float]], fill: RGB, edge: RGB) -> None:
        """A filled polygon with an edge about one pixel wide (two on big scales)."""
        if len(outline) < 3:
            return
        poly = Polygon(outline)
        self.fill(poly, edge)
        self.fill(poly.buffer(-self.px * max(1, self.scale // 10)), fill)

    def box(self, cell: Cell, inset: int, colour: RGB) -> None:
        r, c = cell
        s = self.scale
        inset = min(inset, (s - 1) // 2)
        rows = slice(r * s + inset, (r + 1) * s - inset)
        self.image[rows, c * s + inset : (c + 1) * s - inset] = colour

    def text(self, text: str, centre: tuple[int, int], colour: RGB,
             background: RGB | None = None) -> None:
        """``text`` in the 3x5 font, centred on pixel ``centre``, magnified to suit the
        scale; a name the font lacks letters for (Hangul) is lettered instead."""
        if not drawable(text):
            self._lettered(text, centre, colour, background)
            return
        zoom = max(1, self.scale // 10)
        glyph_w, glyph_h = 4 * zoom, 5 * zoom
        width = len(text) * glyph_w - zoom
        top = centre[0] - glyph_h // 2
        left = centre[1] - width // 2
        if background is not None:
            self._rect(top - zoom, left - zoom, glyph_h + 2 * zoom, width + 2 * zoom, background)
        for i, ch in enumerate(text):
            rows = _FONT.get(ch.upper(), _FONT["?"]).split()
            for gy, bits in enumerate(rows):
                for gx, bit in enumerate(bits):
                    if bit == "1":
                        self._rect(top + gy * zoom, left + i * glyph_w + gx * zoom, zoom, zoom,
                                   colour)

    def _lettered(self, text: str, centre: tuple[int, int], colour: RGB,
                  background: RGB | None) -> None:
        """``text`` in the outline font (``fleet.floor.lettering``), anti-aliased over
        its background box, at about the size of the pixel font's capitals."""
        from fleet.floor.lettering import lettered  # noqa: PLC0415

        pad = max(1, self.scale // 10)
        ink = lettered(text, letter_size(self.scale))
        height, width = ink.shape
        top, left = centre[0] - height // 2, centre[1] - width // 2
        if background is not None:
            self._rect(top - pad, left - pad, height + 2 * pad, width + 2 * pad, background)
        t, b = max(top, 0), min(top + height, self.height)
        lft, rgt = max(left, 0), min(left + width, self.width)
        if t >= b or lft >= rgt:
            return
        alpha = ink[t - top : b - top, lft - left : rgt - left, None] / 255.0
        under = self.image[t:b, lft:rgt].astype(np.float64)
        mixed = under * (1.0 - alpha) + np.asarray(colour, dtype=np.float64) * alpha
        self.image[t:b, lft:rgt] = np.rint(mixed).astype(np.uint8)

    def _rect(self, top: int, left: int, height: int, width: int, colour: RGB) -> None:
        t, b = max(top, 0), min(top + height, self.height)
        lft, rgt = max(left, 0), min(left + width, self.width)
        if t < b and lft < rgt:
            self.image[t:b, lft:rgt] = colour


def _cell_colours(plan: FloorPlan) -> Image:
    """One colour per cell: what the planner sees, zones tinted over open floor."""
    colours = np.empty((*plan.shape, 3), dtype=np.float64)
    colours[:] = TIGHT
    colours[plan.passable] = FREE
    floor = ~plan.blocked
    for zone in plan.zones:
        where = zone.mask & floor
        colours[where] = 0.6 * colours[where] + 0.4 * np.asarray(ZONE_TINT[zone.kind])
    colours[plan.blocked] = BLOCKED
    return np.asarray(np.rint(colours), dtype=np.uint8)


def _route(canvas: _Canvas, cells: Sequence[Cell]) -> None:
    """A thick line through the cells' centres, start and end as squares."""
    s = canvas.scale
    half = max(1, s // 4)
    for (r0, c0), (r1, c1) in itertools.pairwise(cells):
        top, bottom = sorted((r0 * s + s // 2, r1 * s + s // 2))
        left, right = sorted((c0 * s + s // 2, c1 * s + s // 2))
        canvas.image[top - half : bottom + half, left - half : right + half] = ROUTE
    for cell in cells:
        canvas.box(cell, s // 2 - half, ROUTE)
    if cells:
        for cell, colour, letter in ((cells[-1], END, "E"), (cells[0], START, "S")):
            canvas.box(cell, max(1, s // 8), colour)
            if s >= 7:
                canvas.text(letter, (cell[0] * s + s // 2, cell[1] * s + s // 2), LABEL)


def draw_plan(plan: FloorPlan, *, route: Sequence[Cell] = (), scale: int = 8,
              labels: bool = True) -> Image:
    """Paint ``plan`` at ``scale`` pixels per cell; returns (rows*scale, cols*scale, 3) uint8.

    Layers, bottom to top: cells (free, too tight, blocked, zones), obstacles and
    tables as their true polygons, stations, the route, table names.
    """
    if scale < 1:
        msg = f"scale must be at least 1 pixel per cell, got {scale}"
        raise ValueError(msg)
    cells = check_route(plan, route)
    canvas = _Canvas(plan, scale)
    canvas.image[:] = np.repeat(np.repeat(_cell_colours(plan), scale, axis=0), scale, axis=1)
    if scale >= 4:  # faint cell borders on open floor, to count cells by eye
        grid = np.zeros((canvas.height, canvas.width), dtype=bool)
        grid[::scale, :] = True
        grid[:, ::scale] = True
        grid &= np.repeat(np.repeat(~plan.blocked, scale, axis=0), scale, axis=1)
        canvas.image[grid] = (canvas.image[grid] * 0.92).astype(np.uint8)
    if scale >= 7:
        for zone in plan.zones:
            if zone.kind is ZoneKind.ONE_WAY and zone.direction is not None:
                arrow = _ARROW[zone.direction]
                for r, c in np.argwhere(zone.mask & ~plan.blocked):
                    canvas.text(arrow, (int(r) * scale + scale // 2, int(c) * scale + scale // 2),
                                ONE_WAY_ARROW)
    for shape in obstacle_shapes(plan):
        canvas.fill(shape, OBSTACLE)
    for table in plan.tables:
        canvas.shape(table.outline, TABLE, TABLE_EDGE)
    for place in plan.places.values():
        look = STATION.get(place.kind)
        if look is None:
            continue
        colour, letter = look
        pale = tuple(int(v + (255 - v) * 0.6) for v in colour)
        canvas.shape(place.outline, (pale[0], pale[1], pale[2]), colour)
        for cell in place.cells:
            canvas.box(cell, 1, colour)
            if scale >= 7:
                canvas.text(letter, (cell[0] * scale + scale // 2, cell[1] * scale + scale // 2),
                            LABEL)
    _route(canvas, cells)
    if labels and scale >= 4:
        for table in plan.tables:
            if len(table.outline) < 3:
                continue
            c = Polygon(table.outline).centroid
            canvas.text(table.name, canvas.pixel_of(c.x, c.y), LABEL, background=TABLE_EDGE)
    return canvas.image
