"""Raster floor-plan sources: ROS map_server maps (YAML + PGM, with or without a
plan TOML of places) and MovingAI benchmark grids."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fleet.errors import FloorPlanError, Problem, Severity
from fleet.floor import PlaceKind, check_floor, load_floor

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
MAPF_MAPS = Path(__file__).resolve().parents[2] / "shared" / "bench" / "mapf" / "maps"

FREE, UNKNOWN, OCC = 254, 205, 0

# 4 rows x 6 cols; '#' occupied. With 0.5 m pixels, a 0.5 m planning cell and a
# 0.25 m robot radius, one pixel is one cell and inflation reaches no pixel centre.
LAYOUT = ["......",
          ".##..#",
          "......",
          "...#.."]
EXPECTED = np.array([[ch == "." for ch in row] for row in LAYOUT])


def pixels(layout: list[str], *, free: int = FREE, occ: int = OCC) -> np.ndarray:
    return np.array([[occ if ch == "#" else free for ch in row] for row in layout], dtype=np.int64)


def pgm(img: np.ndarray, *, magic: str = "P5", maxval: int = 255) -> bytes:
    h, w = img.shape
    header = f"{magic}\n# test map\n{w} {h}\n{maxval}\n".encode()
    if magic == "P2":
        return header + "\n".join(" ".join(str(v) for v in row) for row in img).encode() + b"\n"
    dtype = np.uint8 if maxval < 256 else np.dtype(">u2")
    return header + img.astype(dtype).tobytes()


def write_map(tmp: Path, image: bytes, *, resolution: float = 0.5,
              origin: str = "[10.0, -3.0, 0.0]", negate: int = 0, occupied: float = 0.65,
              free: float = 0.196, extra: str = "", name: str = "map") -> Path:
    (tmp / f"{name}.pgm").write_bytes(image)
    yaml = tmp / f"{name}.yaml"
    yaml.write_text(f"image: {name}.pgm\nresolution: {resolution}\norigin: {origin}\n"
                    f"negate: {negate}\noccupied_thresh: {occupied}\nfree_thresh: {free}\n"
                    f"{extra}")
    return yaml


def write_plan(tmp: Path, body: str = "", *, resolution: float = 0.5,
               unknown_is_free: bool = False) -> Path:
    plan = tmp / "plan.toml"
    plan.write_text(f'[plan]\nname = "test"\nresolution = {resolution}\nrobot_radius = 0.25\n\n'
                    f'[occupancy_map]\nyaml = "map.yaml"\n'
                    f"unknown_is_free = {str(unknown_is_free).lower()}\n\n{body}")
    return plan


PLACES = """
[[tables]]
name = "T1"
seats = 2
spots = [[10.25, -2.75]]

[[stations]]
name = "pass"
kind = "pass"
spots = [[12.75, -1.25]]
"""


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity is Severity.ERROR]


def only_error(path: Path) -> Problem:
    _, problems = check_floor(path)
    found = errors(problems)
    assert len(found) == 1, found
    return found[0]


# -- ROS maps: where things land ------------------------------------------------------
def test_raster_plan_puts_cells_and_places_where_the_map_says(tmp_path: Path) -> None:
    write_map(tmp_path, pgm(pixels(LAYOUT)))
    plan = load_floor(write_plan(tmp_path, PLACES))
    assert plan.shape == (4, 6)
    assert plan.origin == (10.0, -3.0)
    np.testing.assert_array_equal(plan.passable, EXPECTED)
    np.testing.assert_array_equal(plan.blocked, ~EXPECTED)
    # Row 0 of the image is the north edge: its first pixel is at the top left.
    assert plan.cell_of(10.25, -1.25) == (0, 0)
    assert plan.place("T1").cells == ((3, 0),)
    assert plan.place("pass").cells == ((0, 5),)
    assert plan.place("pass").kind is PlaceKind.PASS
    assert plan.anchor_of((3, 0)) == (10.25, -2.75)
    assert plan.can_move((0, 0), (1, 0))
    assert not plan.can_move((0, 1), (1, 0))  # into the '#' below


def test_negate_reads_dark_as_free(tmp_path: Path) -> None:
    write_map(tmp_path, pgm(pixels(LAYOUT, free=0, occ=255)), negate=1)
    plan = load_floor(write_plan(tmp_path, PLACES))
    np.testing.assert_array_equal(plan.passable, EXPECTED)


@pytest.mark.parametrize(("magic", "maxval"), [("P2", 255), ("P5", 65535), ("P2", 65535)])
def test_ascii_and_16_bit_pgm_mean_the_same_as_8_bit(tmp_path: Path, magic: str,
                                                     maxval: int) -> None:
    img = pixels(LAYOUT) * (257 if maxval == 65535 else 1)
    write_map(tmp_path, pgm(img, magic=magic, maxval=maxval))
    plan = load_floor(write_plan(tmp_path, PLACES))
    np.testing.assert_array_equal(plan.passable, EXPECTED)


def test_unknown_is_an_obstacle_unless_the_plan_says_free(tmp_path: Path) -> None:
    # occupied, unknown (205), mid grey (p = 0.5), free
    img = np.array([[OCC, UNKNOWN, 128, FREE]])
    write_map(tmp_path, pgm(img))
    strict = load_floor(write_plan(tmp_path))
    np.testing.assert_array_equal(strict.passable, [[False, False, False, True]])
    lenient = load_floor(write_plan(tmp_path, unknown_is_free=True))
    np.testing.assert_array_equal(lenient.passable, [[False, True, True, True]])
    write_map(tmp_path, pgm(img), occupied=0.4)  # now mid grey counts as occupied
    np.testing.assert_array_equal(load_floor(write_plan(tmp_path, unknown_is_free=True)).passable,
                                  [[False, True, False, True]])


def test_obstacles_are_inflated_by_the_robot_radius(tmp_path: Path) -> None:
    """One obstacle pixel in a 0.1 m map: a robot centre fits 0.3 m from it, not 0.2 m."""
    img = np.full((20, 20), FREE)
    img[9, 9] = OCC  # pixel centre at (0.95, 1.05) with origin (0, 0)
    write_map(tmp_path, pgm(img), resolution=0.1, origin="[0.0, 0.0, 0.0]")
    near = """
[[stations]]
name = "pass"
kind = "pass"
spots = [[0.25, 0.25]]
[[stations]]
name = "charger"
kind = "charger"
spots = [[1.25, 1.05]]
[[stations]]
name = "parking"
kind = "parking"
spots = [[0.95, 1.35]]
"""
    plan, problems = check_floor(write_plan(tmp_path, near))
    assert plan is not None
    assert not errors(problems)
    close = near.replace("[[1.25, 1.05]]", "[[1.15, 1.05]]")
    problem = only_error(write_plan(tmp_path, close))
    assert problem.place == "charger"
    assert "inside an obstacle" in problem.message
    assert problem.at == (1.15, 1.05)


def test_image_is_padded_with_obstacle_to_whole_cells(tmp_path: Path) -> None:
    # 0.125 m pixels, 4 to a 0.5 m cell: 5 x 6 pixels pad to 8 x 8.
    write_map(tmp_path, pgm(np.full((5, 6), FREE)), resolution=0.125, origin="[0.0, 0.0, 0.0]")
    plan = load_floor(write_plan(tmp_path))
    assert plan.shape == (2, 2)
    assert plan.origin == (0.0, 0.0)  # padding goes north and east, the origin stays
    # The top row is 3/4 padding: blocked for drawing, but passable through its one
    # real pixel row. The east column is half padding: not a majority.
    np.testing.assert_array_equal(plan.blocked, [[True, True], [False, False]])
    assert plan.passable.all()
    assert plan.anchor_of((0, 0))[1] == pytest.approx(0.5625)  # the real pixel row


def test_bare_yaml_picks_the_coarsest_cell_the_robot_allows(tmp_path: Path) -> None:
    yaml = write_map(tmp_path, pgm(np.full((9, 9), FREE)), resolution=0.15,
                     origin="[0.0, 0.0, 0.0]", name="hall")
    plan = load_floor(yaml)
    assert plan.name == "hall"
    assert plan.resolution == pytest.approx(0.45)  # 3 pixels <= 2 * 0.25 m
    assert plan.shape == (3, 3)
    assert load_floor(yaml, robot_radius=0.4).resolution == pytest.approx(0.75)


def test_zones_and_table_shapes_apply_to_raster_plans(tmp_path: Path) -> None:
    write_map(tmp_path, pgm(pixels(LAYOUT)))
    body = PLACES + """
[[tables]]
name = "T2"
seats = 4
circle = [11.0, -1.0, 0.4]
spots = [[11.75, -1.75]]

[[tables]]
name = "T3"
seats = 4
circle = [11.5, -1.0, 0.4]
spots = [[12.25, -1.75]]
"""
    problem = only_error(write_plan(tmp_path, body))
    assert problem.place == "T2"
    assert "overlaps table T3" in problem.message
    keep_out = PLACES + '\n[[zones]]\nname = "store"\nkind = "keep_out"\n' \
        'rect = [10.0, -1.5, 10.5, -1.0]\n'
    plan = load_floor(write_plan(tmp_path, keep_out))
    assert not plan.passable[0, 0]
    assert plan.zones[0].name == "store"


# -- ROS maps: bad input names the culprit ---------------------------------------------
def test_missing_image_is_named(tmp_path: Path) -> None:
    yaml = write_map(tmp_path, pgm(pixels(LAYOUT)))
    yaml.write_text(yaml.read_text().replace("map.pgm", "nope.pgm"))
    problem = only_error(write_plan(tmp_path, PLACES))
    assert "nope.pgm" in problem.message
    assert problem.source == str(yaml)


def test_missing_yaml_is_named(tmp_path: Path) -> None:
    problem = only_error(write_plan(tmp_path, PLACES))
    assert "map.yaml" in problem.message


@pytest.mark.parametrize(("line", "says"), [
    ("origin:\n  x: 1.0", "nested"),
    ("origin: {x: 1, y: 2}", "origin"),
    ("- image: map.pgm", "key: value"),
])
def test_yaml_outside_the_flat_subset_names_the_line(tmp_path: Path, line: str,
                                                     says: str) -> None:
    yaml = write_map(tmp_path, pgm(pixels(LAYOUT)))
    text = yaml.read_text().replace("origin: [10.0, -3.0, 0.0]\n", "")
    yaml.write_text(text.replace("negate: 0\n", f"negate: 0\n{line}\n"))
    problem = only_error(yaml)
    assert problem.source == str(yaml)
    assert problem.place == "line 4"
    assert says in problem.message


def test_rotated_map_is_refused(tmp_path: Path) -> None:
    yaml = write_map(tmp_path, pgm(pixels(LAYOUT)), origin="[0.0, 0.0, 1.57]")
    problem = only_error(yaml)
    assert "yaw" in problem.message
    assert problem.place == "line 3"


@pytest.mark.parametrize(("image", "says"), [
    (b"P6\n1 1\n255\n\x00\x00\x00", "not a PGM"),
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "only PGM"),
    (b"P5\n4 4\n255\n" + bytes(10), "needs 16 bytes of pixels, found 10"),
    (b"P2\n2 2\n255\n1 2 3\n", "needs 4 integer pixels, found 3"),
    (b"P5\n4", "bad PGM header"),
    (b"P5 4 4 255", "bad PGM header"),
])
def test_bad_images_are_named(tmp_path: Path, image: bytes, says: str) -> None:
    yaml = write_map(tmp_path, image)
    problem = only_error(yaml)
    assert problem.source == str(tmp_path / "map.pgm")
    assert says in problem.message


def test_resolution_must_be_whole_pixels(tmp_path: Path) -> None:
    write_map(tmp_path, pgm(pixels(LAYOUT)), resolution=0.2)
    problem = only_error(write_plan(tmp_path, PLACES, resolution=0.5))
    assert "0.5 m is not a whole multiple" in problem.message
    assert "pixel size 0.2 m" in problem.message
    assert problem.source == str(tmp_path / "plan.toml")


# -- MovingAI -------------------------------------------------------------------------
def test_movingai_tiny_map_is_read_cell_for_cell() -> None:
    plan = load_floor(DATA / "tiny.map")
    np.testing.assert_array_equal(plan.passable, [[True, False, True, True],
                                                  [True, False, True, True],
                                                  [True, True, True, False]])
    assert plan.resolution == 1.0
    assert plan.robot_radius == 0.5
    assert plan.name == "tiny"
    assert not plan.places
    assert plan.centre_of((0, 0)) == (0.5, 2.5)
    assert not plan.can_move((0, 0), (0, 1))
    assert plan.can_move((2, 0), (0, 1))


def test_movingai_bad_character_names_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.map"
    bad.write_text("type octile\nheight 2\nwidth 3\nmap\n...\n.x.\n")
    with pytest.raises(FloorPlanError) as caught:
        load_floor(bad)
    (problem,) = caught.value.problems
    assert problem.source == str(bad)
    assert problem.place == "line 6, column 2"
    assert "'x'" in problem.message


def test_movingai_short_row_names_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "short.map"
    bad.write_text("type octile\nheight 2\nwidth 3\nmap\n...\n..\n")
    with pytest.raises(FloorPlanError) as caught:
        load_floor(bad)
    assert [p.place for p in caught.value.problems] == ["line 6"]


def test_movingai_den520d() -> None:
    path = MAPF_MAPS / "den520d.map"
    if not path.exists():
        pytest.skip(f"{path} not present")
    plan = load_floor(path)
    assert plan.shape == (257, 256)  # height 257, width 256
    grid = path.read_text().splitlines()[4:]
    assert int(plan.passable.sum()) == sum(row.count(ch) for row in grid for ch in ".GS")


# -- the sample map -----------------------------------------------------------------------
def test_sample_cafe_loads_without_problems() -> None:
    plan, problems = check_floor(REPO / "maps" / "cafe-ros" / "cafe.toml")
    assert problems == []
    assert plan is not None
    assert sorted(t.name for t in plan.tables) == [f"T{i}" for i in range(1, 9)]
    assert {p.kind for p in plan.places.values()} >= {
        PlaceKind.PASS, PlaceKind.CHARGER, PlaceKind.DISH_RETURN}
