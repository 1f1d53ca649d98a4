"""Drawing a blocked area on the map (issue 14, finding 5), as a floor manager does
it: ``m``, the arrow keys or a mouse drag from corner to corner, a name, Enter; and
Escape to change their mind. What is sent is the rectangle they saw in yellow, a
real controller blocks the cells under it, and the main map then shows it blocked."""

from __future__ import annotations

import json

import msgspec
import pytest
from dashscene import BISTRO, make_app, settle, until
from rich.cells import cell_len
from simkit import MODEL
from test_dashboard_app import SIZE
from textual.pilot import Pilot
from textual.widgets import Input, Static

from fleet.api.messages import BlockZone, FloorView, PlaceView
from fleet.api.service import ApiService
from fleet.assembly import build_controller
from fleet.controller.port import FleetPort
from fleet.dashboard import FleetDashboard
from fleet.dashboard.drawing import AreaDraft, AreaScreen, Char
from fleet.dashboard.floormap import STYLES
from fleet.dashboard.mapgrid import Scale
from fleet.floor import load_floor
from fleet.store import MemoryStore

pytestmark = pytest.mark.usefixtures("utc")  # the site's time of day, as anywhere


async def open_drawing(pilot: Pilot[object], app: FleetDashboard) -> AreaScreen:
    await pilot.press("m")
    await until(pilot, lambda: isinstance(app.screen, AreaScreen)
                and app.screen.draft is not None)
    screen = app.screen
    assert isinstance(screen, AreaScreen)
    return screen


async def walk(pilot: Pilot[object], screen: AreaScreen, to: Char) -> None:
    """The arrow keys a person presses to bring the cursor to ``to``."""
    draft = screen.draft
    assert draft is not None
    dr, dc = to[0] - draft.cursor[0], to[1] - draft.cursor[1]
    await pilot.press(*(["down" if dr > 0 else "up"] * abs(dr)),
                      *(["right" if dc > 0 else "left"] * abs(dc)))
    assert draft.cursor == to


def painted(screen: AreaScreen, style: str) -> set[Char]:
    """The map's characters shown in ``style``'s background, as the screen draws them."""
    colour = STYLES[style].bgcolor
    out: set[Char] = set()
    for y in range(screen.map.size.height):
        x = 0
        for seg in screen.map.render_line(y):
            width = cell_len(seg.text)
            if seg.style is not None and seg.style.bgcolor == colour:
                out.update((y, x + i) for i in range(width))
            x += width
    return out


def a4(app: FleetDashboard) -> PlaceView:
    assert app.mirror.floor is not None
    return next(p for p in app.mirror.floor.places if p.name == "A4")


def centre(scale: Scale, at: Char) -> tuple[float, float]:
    """The middle of character ``at`` in metres."""
    return (scale.left + (at[1] - scale.ox + 0.5) * scale.sx,
            scale.top - (at[0] - scale.oy + 0.5) * scale.sy)


def block(r0: int, c0: int, r1: int, c1: int) -> set[Char]:
    return {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}


@pytest.mark.asyncio
async def test_arrow_keys_mark_two_corners_and_enter_blocks_the_area_by_a4() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_drawing(pilot, app)
        assert screen.draft is not None
        scale = screen.draft.scale
        spot = a4(app).spots[0]
        at = scale.to_cell(*spot)
        assert at is not None
        await walk(pilot, screen, (at[0] - 1, at[1] - 2))
        assert painted(screen, "area-cursor") == {(at[0] - 1, at[1] - 2)}
        await pilot.press("enter")
        await walk(pilot, screen, (at[0] + 1, at[1] + 2))
        await pilot.pause()
        yellow = block(at[0] - 1, at[1] - 2, at[0] + 1, at[1] + 2)
        assert painted(screen, "area") == yellow - {(at[0] + 1, at[1] + 2)}
        await pilot.press("enter")
        name = screen.query_one("#area-name", Input)
        await until(pilot, lambda: name.has_focus)
        assert painted(screen, "area") == yellow, "fixed: the whole area, no cursor"
        assert name.value == "spill by A4", "named by what it is next to"
        await pilot.press("enter")
        await until(pilot, lambda: len(source.requests) == 1)
        assert not isinstance(app.screen, AreaScreen)
    (sent,) = source.requests
    assert isinstance(sent, BlockZone) and sent.zone == "spill by A4" and sent.rect
    x0, y0, x1, y1 = sent.rect
    assert x0 < spot[0] < x1 and y0 < spot[1] < y1
    assert (x1 - x0, y1 - y0) == pytest.approx((5 * scale.sx, 3 * scale.sy), abs=0.01)
    for corner in ((at[0] - 1, at[1] - 2), (at[0] + 1, at[1] + 2)):
        cx, cy = centre(scale, corner)
        assert x0 < cx < x1 and y0 < cy < y1, "the corners' characters are inside"


@pytest.mark.asyncio
async def test_escape_cancels_while_drawing_and_while_naming() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_drawing(pilot, app)
        await pilot.press("enter", "right", "right", "escape")
        await until(pilot, lambda: not isinstance(app.screen, AreaScreen))
        await open_drawing(pilot, app)
        await pilot.press("enter", "down", "right", "enter")
        await until(pilot, lambda: app.screen.query_one("#area-name", Input).has_focus)
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, AreaScreen))
        await pilot.pause()
    assert source.requests == []


@pytest.mark.asyncio
async def test_a_mouse_drag_draws_the_area_and_a_taken_name_is_refused() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_drawing(pilot, app)
        assert screen.draft is not None
        scale = screen.draft.scale
        start, end = (scale.oy + 1, scale.ox + 2), (scale.oy + 3, scale.ox + 7)
        border = 1  # the pilot's offsets count from the map's border
        await pilot.mouse_down("#area-map", offset=(start[1] + border, start[0] + border))
        await pilot.mouse_up("#area-map", offset=(end[1] + border, end[0] + border))
        name = screen.query_one("#area-name", Input)
        await until(pilot, lambda: name.has_focus)
        assert painted(screen, "area") == block(*start, *end)
        name.value = ""
        await pilot.press(*"entrance", "tab", *"water", "enter")
        error = screen.query_one("#form-error", Static)
        await until(pilot, lambda: "exists already" in str(error.render()))
        assert name.has_focus and source.requests == []
        name.value = ""
        await pilot.press(*"water by the door", "enter")
        await until(pilot, lambda: len(source.requests) == 1)
    (sent,) = source.requests
    assert isinstance(sent, BlockZone)
    assert (sent.zone, sent.reason) == ("water by the door", "water")
    assert sent.rect is not None
    x0, y0, x1, y1 = sent.rect
    for corner in (start, end):
        cx, cy = centre(scale, corner)
        assert x0 < cx < x1 and y0 < cy < y1


@pytest.mark.asyncio
async def test_a_real_controller_blocks_the_drawn_area_and_the_map_shows_it() -> None:
    """The request as the dashboard sends it, handled by the fleet API over a
    controller on the same plan; the floor it publishes then, fed back to the
    dashboard, draws the area blocked where the manager drew it."""
    plan = load_floor(BISTRO, robot_radius=0.25)
    svc = ApiService(FleetPort(build_controller(plan, {"R1": MODEL}, store=MemoryStore(),
                                                run_id="t")),
                     "bistro")
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_drawing(pilot, app)
        assert screen.draft is not None
        at = screen.draft.scale.to_cell(*a4(app).spots[0])
        assert at is not None
        await walk(pilot, screen, (at[0] - 1, at[1] - 1))
        await pilot.press("enter")
        await walk(pilot, screen, (at[0] + 1, at[1] + 1))
        await pilot.press("enter", "enter")
        await until(pilot, lambda: len(source.requests) == 1)
        (sent,) = source.requests
        payload = json.dumps({"request_id": "d1",
                              "command": msgspec.to_builtins(sent)}).encode()
        reply, _ = svc.handle("manager", "dash", payload, 1.0)
        assert reply.ok, reply
        floor = next(msgspec.json.decode(p.payload, type=FloorView)
                     for p in svc.full_state(1.0) if p.topic.endswith("/floor"))
        zone = next(z for z in floor.zones if z.name == "spill by A4")
        assert zone.kind == "blocked" and any("#" in row for row in zone.rows)
        layer = app.floor_map.floor_layer
        assert layer is not None
        before = {(r, c) for r, row in enumerate(layer.styles)
                  for c, s in enumerate(row) if s == "blocked"}
        source.feed(floor)
        await settle(pilot)
        layer = app.floor_map.floor_layer
        assert layer is not None
        after = {(r, c) for r, row in enumerate(layer.styles)
                 for c, s in enumerate(row) if s == "blocked"}
        assert sent.rect is not None
        x0, y0, x1, y1 = sent.rect
        new = after - before
        assert new, "the drawn area is drawn blocked"
        for cell in new:
            cx, cy = centre(layer.scale, cell)
            assert x0 - layer.scale.sx < cx < x1 + layer.scale.sx
            assert y0 - layer.scale.sy < cy < y1 + layer.scale.sy


def test_the_cursor_stays_on_the_floor_and_corners_come_in_any_order() -> None:
    scale = Scale(width=40, height=12, sx=0.5, sy=1.0, left=0.0, top=10.0, ox=5, oy=1,
                  cols=30, rows=10)
    draft = AreaDraft.centred(scale)
    draft.move(-50, -50)
    assert draft.cursor == (1, 5)
    draft.mark()
    draft.move(50, 50)
    assert draft.cursor == (10, 34)
    draft.move(-4, -10)
    draft.mark()
    assert draft.fixed and draft.corners() == ((1, 5), (6, 24))
    draft.move(1, 1)
    draft.mark()
    assert draft.corners() == ((1, 5), (6, 24)), "a fixed area stays as it is"
    up_left = AreaDraft(scale, (6, 20))
    up_left.mark()
    up_left.point((2, 8))
    assert up_left.corners() == ((2, 8), (6, 20))


@pytest.mark.asyncio
async def test_a_resized_map_starts_the_area_again_at_its_new_scale() -> None:
    """A corner marked at one size would sit elsewhere at another: the drawing starts
    again, and the area sent is the one drawn at the new size."""
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_drawing(pilot, app)
        assert screen.draft is not None
        before = screen.draft.scale
        await pilot.press("enter", "right", "right")
        await pilot.resize_terminal(90, 28)
        await until(pilot, lambda: screen.map.floor_layer is not None
                    and screen.map.floor_layer.scale != before)
        await pilot.press("down")
        draft = screen.draft
        assert draft is not None and draft.scale != before and draft.anchor is None
        assert painted(screen, "area") == set(), "the old corner is gone"
        start = draft.cursor
        await pilot.press("enter", "right", "enter")
        await until(pilot, lambda: screen.query_one("#area-name", Input).has_focus)
        await pilot.press("enter")
        await until(pilot, lambda: len(source.requests) == 1)
    (sent,) = source.requests
    assert isinstance(sent, BlockZone) and sent.rect is not None
    x0, y0, x1, y1 = sent.rect
    for corner in (start, (start[0], start[1] + 1)):
        cx, cy = centre(draft.scale, corner)
        assert x0 < cx < x1 and y0 < cy < y1
