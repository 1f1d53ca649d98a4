"""Vector plans: compiling shapes into cells, and one test per kind of invalid plan,
each asserting that the message names the culprit and where it is."""

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csgraph

from fleet.errors import FloorPlanError, Severity
from fleet.floor import PlaceKind, check_floor, load_floor

BASE = """
[plan]
name = "t"
resolution = 0.5
robot_radius = 0.25
[outline]
polygon = [[0, 0], [6, 0], [6, 4], [0, 4]]
[[stations]]
name = "pass"
kind = "pass"
spots = [[5.25, 3.25]]
[[stations]]
name = "C1"
kind = "charger"
spots = [[0.4, 0.4]]
"""


DOORWAY = """
[[walls]]
points = [[3.0, 0], [3.0, 1.6]]
thickness = 0.1
[[walls]]
points = [[3.0, 2.4], [3.0, 4]]
thickness = 0.1
"""
"""A wall across the room with one 0.8 m doorway at x = 3 m, y 1.6-2.4 m."""


def plan_file(tmp_path: Path, extra: str, base: str = BASE) -> Path:
    path = tmp_path / "plan.toml"
    path.write_text(base + extra)
    return path


def errors_of(path: Path) -> list[str]:
    _, problems = check_floor(path)
    return [str(p) for p in problems if p.severity is Severity.ERROR]


def warnings_of(path: Path) -> list[str]:
    _, problems = check_floor(path)
    return [str(p) for p in problems if p.severity is Severity.WARNING]


def test_compiles_cells_places_and_metres(tmp_path: Path) -> None:
    plan = load_floor(plan_file(tmp_path, """
[[tables]]
name = "T1"
seats = 4
rect = [2, 1, 3, 2]
spots = [[2.5, 2.6]]
"""))
    assert plan.shape == (8, 12)
    assert plan.size_m == (6.0, 4.0)
    t1 = plan.place("t1")
    assert t1.kind is PlaceKind.TABLE and t1.seats == 4
    assert t1.cells == ((2, 5),)
    assert plan.anchor_of((2, 5)) == (2.5, 2.6)
    # The table (inflated by the radius) blocks the cells it covers entirely.
    assert not plan.passable[plan.cell_of(2.5, 1.5)]
    assert plan.passable[plan.cell_of(4.5, 1.5)]
    # cell <-> metres round-trip
    for cell in [(0, 0), (7, 11), (3, 4)]:
        assert plan.cell_of(*plan.centre_of(cell)) == cell
    assert plan.cell_of(-0.1, 1.0) is None


def test_narrow_aisle_off_grid_is_kept(tmp_path: Path) -> None:
    """A 0.7 m aisle not aligned to the 0.5 m grid still connects both rooms."""
    plan = load_floor(plan_file(tmp_path, """
[[walls]]
points = [[3.0, 0], [3.0, 1.6]]
thickness = 0.1
[[walls]]
points = [[3.0, 2.3], [3.0, 4]]
thickness = 0.1
"""))
    wall_col = plan.cell_of(3.0, 1.0)
    assert wall_col is not None
    column = plan.passable[:, wall_col[1]]
    assert column.sum() >= 1  # the gap is there
    assert np.isfinite(_steps(plan, plan.place("pass").cells[0], plan.place("C1").cells[0]))


def _steps(plan, a, b):  # type: ignore[no-untyped-def]
    d = csgraph.shortest_path(plan.graph, indices=plan.index(a), unweighted=True)
    return d[plan.index(b)]


def test_unknown_key_names_the_table(tmp_path: Path) -> None:
    errs = errors_of(plan_file(tmp_path, """
[[tables]]
name = "T7"
seats = 4
sets = 3
rect = [2, 1, 3, 2]
spots = [[2.5, 2.6]]
"""))
    assert len(errs) == 1
    assert "unknown field `sets`" in errs[0] and "tables[0] (T7)" in errs[0]


def test_missing_key(tmp_path: Path) -> None:
    errs = errors_of(plan_file(tmp_path, """
[[tables]]
name = "T7"
rect = [2, 1, 3, 2]
spots = [[2.5, 2.6]]
"""))
    assert "missing required field `seats`" in errs[0] and "T7" in errs[0]


def test_spot_inside_an_obstacle(tmp_path: Path) -> None:
    errs = errors_of(plan_file(tmp_path, """
[[tables]]
name = "T3"
seats = 2
rect = [2, 1, 3, 2]
spots = [[2.5, 1.5]]
"""))
    assert any("T3 at (2.50, 1.50) m" in e and "inside an obstacle" in e for e in errs)


def test_spot_off_the_map(tmp_path: Path) -> None:
    errs = errors_of(plan_file(tmp_path, """
[[stations]]
name = "H"
kind = "host_stand"
spots = [[9.0, 1.0]]
"""))
    assert any("H at (9.00, 1.00) m" in e and "off the map" in e for e in errs)


def test_table_outside_the_outline(tmp_path: Path) -> None:
    errs = errors_of(plan_file(tmp_path, """
[[tables]]
name = "T9"
seats = 2
rect = [5.5, 1, 7, 2]
spots = [[5.0, 2.5]]
"""))
    assert any("T9" in e and "off the map" in e for e in errs)


def test_overlapping_tables(tmp_path: Path) -> None:
    errs = errors_of(plan_file(tmp_path, """
[[tables]]
name = "T1"
seats = 2
rect = [2, 1, 3, 2]
spots = [[2.5, 2.6]]
[[tables]]
name = "T2"
seats = 2
circle = [3.0, 1.5, 0.4]
spots = [[3.9, 1.5]]
"""))
    assert any("T1" in e and "overlaps table T2" in e for e in errs)


def test_unreachable_place(tmp_path: Path) -> None:
    # A wall from the floor to the ceiling cuts the room in two.
    errs = errors_of(plan_file(tmp_path, """
[[walls]]
name = "partition"
points = [[3.0, 0], [3.0, 4]]
[[tables]]
name = "T4"
seats = 2
rect = [1, 2, 1.6, 2.6]
spots = [[1.3, 1.5]]
"""))
    assert any("T4 at (1.30, 1.50) m" in e and "cannot be reached from pass pass" in e
               for e in errs)


def test_one_way_zone_makes_a_place_unreachable_back(tmp_path: Path) -> None:
    errs = errors_of(plan_file(tmp_path, DOORWAY + """
[[zones]]
name = "door"
kind = "one_way"
direction = "west"
rect = [2.6, 1.6, 3.4, 2.4]
"""))
    assert any("C1" in e and "left back to pass pass" in e for e in errs)


def test_serving_spot_that_is_the_only_way_through(tmp_path: Path) -> None:
    warns = warnings_of(plan_file(tmp_path, DOORWAY + """
[[tables]]
name = "T5"
seats = 2
rect = [3.3, 0.2, 3.8, 0.7]
spots = [[3.0, 2.0]]
"""))
    assert any("T5 at (3.00, 2.00) m" in w and "only way through to C1" in w for w in warns)


@pytest.mark.parametrize(("key", "value"), [("resolution", "0"), ("resolution", "-0.5"),
                                            ("robot_radius", "0"),
                                            ("fine_subdivisions", "0")])
def test_sizes_that_must_be_positive_are_named(tmp_path: Path, key: str, value: str) -> None:
    base = BASE.replace("robot_radius = 0.25", f"robot_radius = 0.25\n{key} = {value}"
                        ) if key == "fine_subdivisions" else BASE.replace(
        f"{key} = {'0.5' if key == 'resolution' else '0.25'}", f"{key} = {value}")
    errs = errors_of(plan_file(tmp_path, "", base))
    assert any(f"$.plan.{key}" in e for e in errs), errs


def test_a_binary_file_is_named_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_bytes(bytes(range(128, 256)))
    assert any("not a text file" in e for e in errors_of(path))


def test_resolution_coarser_than_the_robot(tmp_path: Path) -> None:
    base = BASE.replace("resolution = 0.5", "resolution = 0.8")
    errs = errors_of(plan_file(tmp_path, "", base))
    assert any("resolution 0.80 m is coarser than the robot (diameter 0.50 m)" in e
               for e in errs)


def test_bad_shapes(tmp_path: Path) -> None:
    errs = errors_of(plan_file(tmp_path, """
[[obstacles]]
name = "pillar"
rect = [2, 2, 1, 3]
[[obstacles]]
name = "blob"
[[obstacles]]
name = "both"
rect = [1, 1, 2, 2]
circle = [1, 1, 1]
"""))
    text = "\n".join(errs)
    assert "pillar" in text and "x1 > x0" in text
    assert "blob" in text and "has no shape" in text
    assert "both" in text and "exactly one of" in text


def test_no_pass_and_no_charger(tmp_path: Path) -> None:
    base = BASE.split("[[stations]]", maxsplit=1)[0] + """
[[tables]]
name = "T1"
seats = 2
rect = [2, 1, 3, 2]
spots = [[2.5, 2.6]]
"""
    path = plan_file(tmp_path, "", base)
    assert any("no kitchen pass" in e for e in errors_of(path))
    assert any("no charger" in w for w in warnings_of(path))


def test_load_floor_raises_with_every_error(tmp_path: Path) -> None:
    path = plan_file(tmp_path, """
[[tables]]
name = "A"
seats = 0
rect = [2, 1, 3, 2]
spots = [[2.5, 2.6]]
[[tables]]
name = "B"
seats = 2
rect = [2.5, 1, 3.5, 2]
spots = [[3.0, 0.5]]
""")
    with pytest.raises(FloorPlanError) as err:
        load_floor(path)
    message = str(err.value)
    assert "A: a table needs at least 1 seat" in message
    assert "overlaps table B" in message


def test_unreadable_and_unknown_formats(tmp_path: Path) -> None:
    with pytest.raises(FloorPlanError, match="cannot read"):
        load_floor(tmp_path / "missing.toml")
    (tmp_path / "x.svg").write_text("<svg/>")
    with pytest.raises(FloorPlanError, match="unknown floor-plan format"):
        load_floor(tmp_path / "x.svg")
    (tmp_path / "bad.toml").write_text("[plan\n")
    with pytest.raises(FloorPlanError, match="not valid TOML"):
        load_floor(tmp_path / "bad.toml")


def test_narrow_aisle_cells_are_one_lane(tmp_path: Path) -> None:
    """A 0.7 m doorway straddling two rows: both rows stay passable (the way is
    kept), but they are one lane, so no two robots are ever planned side by side."""
    plan = load_floor(plan_file(tmp_path, DOORWAY + """
"""))
    door = [plan.cell_of(3.2, 1.9), plan.cell_of(3.2, 2.1)]
    assert door[0] is not None and door[1] is not None
    assert all(plan.passable[c] for c in door)
    assert door[0] in plan.conflicts[door[1]]
    # Open floor far from walls: neighbours are a diameter apart, no conflicts.
    assert plan.footprint((4, 8)) == ((4, 8),)


def test_invalid_pass_spot_is_reported_not_a_crash(tmp_path: Path) -> None:
    base = BASE.replace("spots = [[5.25, 3.25]]", "spots = [[2.5, 1.5]]")
    errs = errors_of(plan_file(tmp_path, """
[[obstacles]]
name = "island"
rect = [2, 1, 3, 2]
""", base))
    assert any("pass at (2.50, 1.50) m" in e and "inside an obstacle" in e for e in errs)


CORRIDOR = """
[plan]
name = "corridor"
resolution = 0.5
robot_radius = 0.25
[outline]
polygon = [[0, 0], [6, 0], [6, 4], [0, 4]]
[[obstacles]]
name = "counter"
polygon = [[0, 0], [6, 0], [6, 0.9], [0, 0.9]]
[[obstacles]]
name = "booths"
polygon = [[0, 2.2], [6, 2.2], [6, 4], [0, 4]]
[[stations]]
name = "C1"
kind = "charger"
spots = [[0.5, 1.5]]
"""


def test_a_spot_near_a_cell_edge_does_not_narrow_a_two_lane_corridor(tmp_path: Path) -> None:
    """A 1.3 m corridor holds two lanes of 0.5 m robots. A pass drawn 0.45 m from the
    counter, on a cell edge, once anchored its cell there, too close to three
    neighbours: one robot at the pass closed the corridor. It stands a little off the
    drawn spot instead, and the corridor keeps its second lane."""
    plan = load_floor(plan_file(tmp_path, """
[[stations]]
name = "pass"
kind = "pass"
spots = [[3.0, 1.35]]
""", CORRIDOR))
    cell = plan.place("pass").cells[0]
    x, y = plan.anchor_of(cell)
    assert math.hypot(x - 3.0, y - 1.35) <= plan.resolution / 2
    other_lane = {(cell[0] - 1, c) for c in range(cell[1] - 1, cell[1] + 2)}
    assert all(plan.passable[c] for c in other_lane)
    assert not other_lane & set(plan.footprint(cell)), plan.footprint(cell)
    # Open floor keeps the exact spot (see test_compiles_cells_places_and_metres).


def test_a_station_spot_that_is_the_only_way_through_is_named(tmp_path: Path) -> None:
    """Not only tables: a charger in the one doorway shuts every robot out while one
    charges there."""
    warns = warnings_of(plan_file(tmp_path, DOORWAY + """
[[stations]]
name = "C2"
kind = "charger"
spots = [[3.0, 2.0]]
"""))
    assert any("C2 at (3.00, 2.00) m" in w and "charger spot is the only way through to C1"
               in w for w in warns), warns


def test_a_station_spot_that_leaves_no_room_to_pass_is_named(tmp_path: Path) -> None:
    """On this grid a 1.2 m corridor is one lane (its two rows of cells are closer
    than a robot): a pass there lets no robot by while one loads."""
    warns = warnings_of(plan_file(tmp_path, """
[[stations]]
name = "pass"
kind = "pass"
spots = [[3.25, 1.35]]
""", CORRIDOR.replace("[6, 0.9], [0, 0.9]", "[6, 1.0], [0, 1.0]")))
    assert any("pass at (3.25, 1.35) m" in w and "pass spot makes its aisle one lane" in w
               for w in warns), warns
    two_lanes = warnings_of(plan_file(tmp_path, """
[[stations]]
name = "pass"
kind = "pass"
spots = [[3.0, 1.35]]
""", CORRIDOR))
    assert not any("one lane" in w for w in two_lanes), two_lanes
