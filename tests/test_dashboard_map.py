"""The floor map's drawing and the panels' rows, without a screen."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from dashscene import T, bistro, orders, robots, summary
from rich.text import Text

from fleet.api.messages import FloorView, PlaceView, RobotView, ZoneView
from fleet.api.snapshot import floor_view
from fleet.dashboard import views
from fleet.dashboard.mapgrid import (
    HORIZON_GLYPH,
    ROUTE_GLYPH,
    draw_floor,
    fit,
    heading_glyph,
    overlay,
    plain,
)
from fleet.dashboard.screens import FormError, match_name, parse_dishes
from fleet.floor import load_floor

FOOD_COURT = Path(__file__).resolve().parents[1] / "maps" / "food-court.toml"


def tiny() -> FloorView:
    """10 x 6 cells of 1 m: walls round the edge, a table in the middle, a pass."""
    grid = ["##########"] + ["#........#"] * 4 + ["##########"]
    zone = ["." * 10] * 4 + ["." * 6 + "###." ] + ["." * 10]
    return FloorView(name="tiny", resolution=1.0, origin=(0.0, 0.0), rows=6, cols=10, grid=grid,
                     places=[PlaceView(name="T1", kind="table", spots=[(4.5, 2.5)],
                                       outline=[(4.0, 3.0), (6.0, 3.0), (6.0, 4.0), (4.0, 4.0)]),
                             PlaceView(name="pass", kind="pass", spots=[(1.5, 4.5)])],
                     zones=[ZoneView(name="spill", kind="keep_out", rows=zone)])


@pytest.mark.parametrize("size", [(100, 30), (58, 22), (200, 60), (30, 8), (13, 40)])
def test_the_whole_floor_fits_and_fills_one_side(size: tuple[int, int]) -> None:
    floor = bistro()
    w, h = size
    s = fit(floor, w, h)
    assert s.cols <= w and s.rows <= h
    assert s.cols >= w - 1 or s.rows >= h - 1  # as large as fits
    assert s.sy == pytest.approx(2 * s.sx)
    # the floor's corners land inside the drawing
    for x, y in ((0.01, 0.01), (19.99, 14.99), (0.01, 14.99), (19.99, 0.01)):
        assert s.to_cell(x, y) is not None
    assert s.to_cell(-0.5, 3.0) is None and s.to_cell(3.0, 15.5) is None


def test_floor_layer_draws_walls_tables_stations_and_blocked_zones() -> None:
    floor = tiny()
    layer = draw_floor(floor, 20, 6)  # 2 columns per metre, 1 row per metre
    assert plain(layer) == [
        "████████████████████",
        "██ P              ██",
        "██       T1       ██",  # the table's 4 columns, its name in the middle
        "██                ██",
        "██          xxxxxx██",  # keep-out zone
        "████████████████████",
    ]
    assert sorted(layer.tables["T1"]) == [(2, 8), (2, 9), (2, 10), (2, 11)]
    assert all(layer.styles[r][c] == "table" for r, c in layer.tables["T1"])
    assert layer.styles[1][3] == "pass" and layer.styles[0][0] == "wall"
    hatched = plain(draw_floor(floor, 20, 6, blocked_zones=["spill"]))
    assert "╱" in hatched[4] and "x" not in hatched[4]


def test_every_table_of_the_food_court_shows_even_small() -> None:
    floor = floor_view(load_floor(FOOD_COURT, robot_radius=0.25))
    layer = draw_floor(floor, 60, 20)
    tables = [p.name for p in floor.places if p.kind == "table"]
    assert len(tables) > 50
    assert all(layer.tables[t] for t in tables)


def test_overlay_puts_robots_routes_and_table_states_over_the_floor() -> None:
    floor = bistro()
    layer = draw_floor(floor, 100, 40)
    rs = robots()
    over = overlay(layer, rs, {"A3": "waiting", "W3": "blocked"}, selected="R2")
    cells = {(r, c): v for r, row in over.items() for c, v in row.items()}
    for robot in rs:
        assert robot.x is not None and robot.y is not None
        at = layer.scale.to_cell(robot.x, robot.y)
        assert at is not None
        ch, style = cells[at]
        assert ch == heading_glyph(robot.theta)
        assert style == ("robot-selected" if robot.serial == "R2" else f"mode-{robot.mode}")
        # the id beside it
        label = "".join(cells[(at[0], at[1] + 1 + i)][0] or "" for i in range(len(robot.serial)))
        assert label == robot.serial
    glyphs = [v[0] for v in cells.values()]
    assert ROUTE_GLYPH in glyphs and HORIZON_GLYPH in glyphs
    # R1's released route runs east of it along its row, the horizon after it
    r1 = rs[0]
    assert r1.x is not None and r1.y is not None
    at = layer.scale.to_cell(r1.x, r1.y)
    end = layer.scale.to_cell(*r1.route[-1])
    assert at is not None and end is not None
    assert cells[end] == (ROUTE_GLYPH, "route")
    assert all(cells[cell][1] == "table-waiting" for cell in layer.tables["A3"])
    assert all(cells[cell][1] == "table-blocked" for cell in layer.tables["W3"])
    assert layer.tables["A1"][0] not in cells  # a free table keeps its floor look


def test_heading_glyphs() -> None:
    assert [heading_glyph(a * math.pi / 4) for a in range(8)] == list("→↗↑↖←↙↓↘")
    assert heading_glyph(-math.pi / 2) == "↓" and heading_glyph(None) == "●"


def test_a_robot_without_a_position_is_not_drawn() -> None:
    layer = draw_floor(bistro(), 60, 20)
    assert overlay(layer, [RobotView(serial="R9", mode="offline", online=False)], {}) == {}


# -- rows ---------------------------------------------------------------------------------------
def test_table_states_from_orders_and_blocks() -> None:
    states = views.table_states(orders(), {"W3": "spill"}, T)
    assert states == {"A3": "waiting", "B2": "waiting", "C5": "waiting", "E2": "waiting",
                      "A1": "waiting", "S4": "served", "W3": "blocked"}
    # served long ago: free again
    assert "S4" not in views.table_states(orders(), {}, T + views.SERVED_RECENT_S)


def test_clock_and_late_marks() -> None:
    assert views.clock(0) == "0:00" and views.clock(59.9) == "0:59"
    assert views.clock(125) == "2:05" and views.clock(3725) == "1:02:05"
    assert views.clock(-3) == "0:00"
    rows = dict(views.order_rows(orders(), T))
    late = rows["O-101/2"][0]
    assert isinstance(late, Text) and late.plain == "3:20 LATE"
    assert isinstance(rows["O-101/1"][0], Text) and "LATE" not in rows["O-101/1"][0].plain


def test_robot_detail_has_the_words_the_table_may_cut() -> None:
    r4 = robots()[3]
    text = views.robot_detail(r4).plain
    assert "paused by you" in text and "paused by the manager" in text and "18 %" in text
    assert views.robot_detail(None).plain == "no robot selected"


def test_figures_without_a_summary_and_the_banners() -> None:
    assert "waiting for the controller" in views.figures(None, 0.0, "fleet").plain


# -- forms --------------------------------------------------------------------------------------
def test_dishes_as_typed() -> None:
    dishes = parse_dishes(" soup , platter: 2,,cake ")
    assert [(d.name, d.trays) for d in dishes] == [("soup", 1), ("platter", 2), ("cake", 1)]
    for bad, words in ((" , ", "at least one dish"), ("soup:x", "must be a number"),
                       ("soup:9", "1 to 8 trays"), (":2", "1 to 64 characters"),
                       (",".join(["a"] * 41), "at most 40")):
        with pytest.raises(FormError, match=words) as err:
            parse_dishes(bad)
        assert err.value.field == "dishes"


def test_table_names_match_as_the_floor_spells_them() -> None:
    names = ["A1", "A2", "Terrace 3"]
    assert match_name("a1", names, "table") == "A1"
    assert match_name(" terrace3 ", names, "table") == "Terrace 3"
    with pytest.raises(FormError, match=r"no table 'Z9' on this floor \(tables: A1, A2"):
        match_name("Z9", names, "table")
    with pytest.raises(FormError, match="type a table name"):
        match_name("  ", names, "table")
    with pytest.raises(FormError, match="it has no zones"):
        match_name("spill", [], "zone")


@pytest.mark.parametrize("size", [(28, 9), (36, 12), (60, 24), (100, 40)])
def test_robots_and_routes_leave_table_names_readable(size: tuple[int, int]) -> None:
    """Issue 14 finding 3: on a small map "C↓R4C2" and "B•1" hid which table was which.
    A route colours a name and keeps its letters; a robot's id goes where it covers
    no name and touches none, or is left out (the robots table names every robot)."""
    layer = draw_floor(bistro(), *size)
    rs = robots()
    over = overlay(layer, rs, {}, selected=None)
    cells = {(r, c): v for r, row in over.items() for c, v in row.items()}
    glyphs = {heading_glyph(r.theta) for r in rs}
    for cell in layer.labels:
        if cell in cells:
            ch, style = cells[cell]
            assert ch is None or (ch in glyphs and style.startswith("mode-")), (cell, ch, style)
    labels = [(cell, v) for cell, v in cells.items() if v[1].startswith("label-")]
    for (r, c), _ in labels:
        for beside in ((r, c - 1), (r, c + 1)):
            assert beside not in layer.labels, f"a robot's id touches a table name at {beside}"
    at = {cell for cell, _ in labels}
    shown = {"".join(cells[(r, c + i)][0] or "" for i in range(2))
             for (r, c) in at if (r, c - 1) not in at}
    assert shown <= {r.serial for r in rs}
    assert len(shown) >= 3, "most robots keep their id beside them"


def test_header_figures_shorten_to_fit_one_line() -> None:
    full = views.figures(summary(), T, "fleet").plain
    assert "mean wait 15 min 1:35, 4 served" in full and "0 faulted" in full
    hms = views.time_of_day(T)
    for width, keeps in ((170, f"Bistro {hms} │ waiting 3 (oldest 3:20)"),
                         (120, f"Bistro {hms[:5]} │ wait 3 (3:20) · 2 on robots │ mean 1:35"),
                         (78, f"{hms[:5]} │ wait 3 (3:20) · 2 on robots │ 1 act 1 idle")):
        line = views.figures(summary(), T, "fleet", width).plain
        assert len(line) <= width and keeps in line, (width, line)
        assert "faulted" not in line and "FAULT" not in line, "zero counts left out"
    assert "2 FAULT" in views.figures(summary(faulted=2), T, "fleet", 78).plain
    tiny = views.figures(summary(), T, "fleet", 20).plain
    assert len(tiny) == 20 and tiny.endswith("…")
