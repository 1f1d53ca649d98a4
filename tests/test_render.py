"""Drawing floor plans: text for terminals, PNG for people checking a plan."""

from __future__ import annotations

import itertools
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from fleet.errors import Severity
from fleet.floor.model import FloorPlan, PlaceKind
from fleet.floor.png import (
    END,
    FREE,
    OBSTACLE,
    ROUTE,
    START,
    STATION,
    TABLE,
    draw_plan,
    encode_png,
    write_png,
)
from fleet.floor.render import legend, render_plain, render_text
from fleet.floor.schema import (
    Obstacle,
    Outline,
    PlanFile,
    PlanHeader,
    Station,
    Table,
    Wall,
    Zone,
)
from fleet.floor.vector import compile_vector

# 5 m x 3 m at 0.5 m cells: 10 columns, 6 rows. Row 0 is the north edge (y 2.5..3).
ROUTE_CELLS = [(4, 1), (4, 2), (4, 3), (4, 4), (4, 5)]


def compile_ok(doc: PlanFile) -> FloorPlan:
    plan, problems = compile_vector(doc, "test.toml")
    assert plan is not None, problems
    assert [p for p in problems if p.severity is Severity.ERROR] == []
    return plan


@pytest.fixture(scope="module")
def plan() -> FloorPlan:
    return compile_ok(PlanFile(
        plan=PlanHeader(name="tiny", resolution=0.5, robot_radius=0.2),
        outline=Outline(polygon=[(0, 0), (5, 0), (5, 3), (0, 3)]),
        obstacles=[Obstacle(name="pillar", kind="pillar", rect=(2.0, 1.0, 3.0, 2.0))],
        tables=[
            Table(name="T12", seats=4, rect=(0.5, 2.0, 2.0, 2.5), spots=[(1.25, 1.25)]),
            Table(name="T3", seats=2, circle=(4.25, 0.75, 0.2), spots=[(4.25, 1.25)]),
        ],
        stations=[
            Station(name="pass", kind="pass", spots=[(0.25, 0.25)]),
            Station(name="dock", kind="charger", spots=[(4.75, 2.75)]),
        ],
        zones=[
            Zone(name="bar", kind="slow", rect=(3.0, 0.0, 4.0, 0.5)),
            Zone(name="aisle", kind="one_way", direction="east", rect=(0.0, 1.0, 1.0, 1.5)),
            Zone(name="door", kind="keep_out", rect=(4.0, 1.5, 5.0, 2.0)),
        ],
    ))


def grid_of(text: str) -> list[str]:
    return text.splitlines()


# -- text ---------------------------------------------------------------------------


def test_plain_render_has_one_character_per_cell(plan: FloorPlan) -> None:
    lines = grid_of(render_plain(plan))
    assert plan.shape == (6, 10)
    assert len(lines) == 6
    assert all(len(line) == 10 for line in lines)


def test_obstacle_cells_are_drawn_as_walls(plan: FloorPlan) -> None:
    lines = grid_of(render_plain(plan))
    for r, c in [(2, 4), (2, 5), (3, 4), (3, 5)]:
        assert plan.blocked[r, c]
        assert lines[r][c] == "█"
    assert lines[5][1] != "█"


def test_table_label_is_written_over_a_table_wide_enough(plan: FloorPlan) -> None:
    lines = grid_of(render_plain(plan))
    assert lines[1][1:4] == "T12"


def test_label_of_a_small_table_goes_beside_it(plan: FloorPlan) -> None:
    lines = grid_of(render_plain(plan))
    assert lines[4][8] == "▒"  # the table itself stays visible
    assert lines[4][6:8] == "T3"  # no room on its right inside the plan, so on its left


def test_stations_and_zones_have_their_symbols(plan: FloorPlan) -> None:
    lines = grid_of(render_plain(plan))
    assert lines[5][0] == "P"
    assert lines[0][9] == "C"
    assert lines[5][6:8] == "░░"
    assert lines[3][0:2] == "→→"
    assert lines[2][8:10] == "xx"


def test_route_is_drawn_with_start_and_end(plan: FloorPlan) -> None:
    lines = grid_of(render_plain(plan, route=ROUTE_CELLS))
    assert lines[4][1] == "S"
    assert lines[4][5] == "E"
    assert lines[4][2:5] == "•••"


def test_segments_carry_style_names_and_join_runs(plan: FloorPlan) -> None:
    text_map = render_text(plan, route=ROUTE_CELLS)
    assert text_map.plain() == render_plain(plan, route=ROUTE_CELLS)
    assert text_map.note is None
    assert not text_map.downsampled
    row4 = text_map.lines[4]
    assert ("•••", "route") in row4
    assert ("S", "route-end") in row4
    for line in text_map.lines:
        styles = [style for _, style in line]
        assert all(a != b for a, b in itertools.pairwise(styles))
    assert {"wall", "table", "label", "pass", "charger", "zone-slow", "zone-keep-out",
            "zone-one-way", "free"} <= text_map.styles()


def test_a_narrow_terminal_gets_a_zoomed_out_map_that_keeps_the_route(plan: FloorPlan) -> None:
    text_map = render_text(plan, route=ROUTE_CELLS, max_width=5)
    assert text_map.downsampled
    assert text_map.step == 2
    lines = text_map.plain().splitlines()
    assert len(lines) == 3
    assert all(len(line) == 5 for line in lines)
    assert "S" in lines[2]
    assert "E" in lines[2]
    assert text_map.note is not None
    assert "2x2" in text_map.note
    assert render_plain(plan, max_width=5).endswith(f"({render_text(plan, max_width=5).note})")


def test_legend_lists_only_what_the_map_shows(plan: FloorPlan) -> None:
    every = {symbol for symbol, _, _ in legend()}
    assert {"█", "·", "▒", "P", "C", "D", "K", "H", "•", "S", "E", "░", "x", "→"} <= every
    shown = legend(render_text(plan))
    symbols = {symbol for symbol, _, _ in shown}
    assert {"█", "▒", "P", "C", "░", "x", "→"} <= symbols
    assert not {"D", "K", "H", "S", "E", "•", "↑"} & symbols


def test_a_route_off_the_grid_is_refused(plan: FloorPlan) -> None:
    with pytest.raises(ValueError, match="off the 6x10 grid"):
        render_text(plan, route=[(0, 0), (6, 0)])
    with pytest.raises(ValueError, match="off the"):
        draw_plan(plan, route=[(0, -1)])


# -- PNG ----------------------------------------------------------------------------


def decode_png(data: bytes) -> np.ndarray:
    """A minimal decoder for what ``encode_png`` writes: 8-bit RGB, filter 0."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos = 8
    kinds: list[bytes] = []
    idat = b""
    width = height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, kind
        kinds.append(kind)
        if kind == b"IHDR":
            width, height, depth, colour, comp, filt, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, colour, comp, filt, interlace) == (8, 2, 0, 0, 0)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert kinds[0] == b"IHDR"
    assert kinds[-1] == b"IEND"
    raw = zlib.decompress(idat)
    assert len(raw) == height * (1 + 3 * width)
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, 1 + 3 * width)
    assert (rows[:, 0] == 0).all()
    return rows[:, 1:].reshape(height, width, 3)


def test_png_file_decodes_to_the_drawn_image(plan: FloorPlan, tmp_path: Path) -> None:
    image = draw_plan(plan, route=ROUTE_CELLS, scale=8)
    assert image.shape == (6 * 8, 10 * 8, 3)
    assert image.dtype == np.uint8
    path = tmp_path / "tiny.png"
    write_png(path, image)
    decoded = decode_png(path.read_bytes())
    assert decoded.shape == (48, 80, 3)
    assert np.array_equal(decoded, image)


def test_png_writer_refuses_what_is_not_an_rgb_image() -> None:
    with pytest.raises(ValueError, match="uint8"):
        encode_png(np.zeros((4, 4, 3), dtype=np.float64))
    with pytest.raises(ValueError, match="shape"):
        encode_png(np.zeros((4, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="empty"):
        encode_png(np.zeros((0, 4, 3), dtype=np.uint8))


def pixel(image: np.ndarray, cell: tuple[int, int], scale: int, dy: int, dx: int) -> tuple[
    int, ...
]:
    return tuple(int(v) for v in image[cell[0] * scale + dy, cell[1] * scale + dx])


def test_picture_colours_route_ends_obstacles_tables_and_stations(plan: FloorPlan) -> None:
    s = 8
    image = draw_plan(plan, route=ROUTE_CELLS, scale=s)
    assert pixel(image, (4, 3), s, s // 2, s // 2) == ROUTE
    assert pixel(image, (4, 1), s, 1, 1) == START
    assert pixel(image, (4, 5), s, 1, 1) == END
    assert pixel(image, (2, 4), s, s // 2, s // 2) == OBSTACLE
    assert pixel(image, (5, 0), s, 1, 1) == STATION[PlaceKind.PASS][0]
    assert pixel(image, (0, 9), s, 1, 1) == STATION[PlaceKind.CHARGER][0]
    assert pixel(image, (0, 1), s, s // 2, s // 2) == FREE


def test_picture_is_north_up(plan: FloorPlan) -> None:
    s = 8
    image = draw_plan(plan, scale=s, labels=False)
    height = image.shape[0]
    # Table T12 spans y 2.0..2.5 m: near the top of the picture, not the bottom.
    x, y = 0.7, 2.25
    py, px = int(height - y / 0.5 * s), int(x / 0.5 * s)
    assert tuple(int(v) for v in image[py, px]) == TABLE
    assert tuple(int(v) for v in image[height - 1 - py, px]) != TABLE


def test_a_closed_wall_loop_leaves_the_room_inside_it_open() -> None:
    # The loop reaches the model as its outer ring only; the room must not drown in wall.
    plan = compile_ok(PlanFile(
        plan=PlanHeader(name="room", resolution=0.25, robot_radius=0.2),
        outline=Outline(polygon=[(0, 0), (4, 0), (4, 3), (0, 3)]),
        walls=[Wall(points=[(0, 0), (4, 0), (4, 3), (0, 3), (0, 0)], thickness=0.2)],
    ))
    assert plan.shape == (12, 16)
    assert plan.passable[6, 8]
    assert not plan.passable[0, 5]
    s = 8
    image = draw_plan(plan, scale=s)
    assert pixel(image, (6, 8), s, s // 2, s // 2) == FREE
    assert pixel(image, (0, 5), s, 0, 0) == OBSTACLE  # the wall itself is drawn
    assert pixel(image, (0, 5), s, s - 1, 4) != OBSTACLE  # ...only 0.1 m of it inside
    lines = grid_of(render_plain(plan))
    # No cell centre is in the wall, but the cells too tight for a robot that it
    # touches show it; the room inside stays open floor.
    assert lines[0] == "█" * 16
    assert all(line[0] == "█" and line[-1] == "█" for line in lines)
    assert set(lines[6][1:-1]) == {"·"}
