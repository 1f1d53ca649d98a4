"""The dashboard at the sizes it is used at (a tablet at the host stand, a small
terminal at the pass) and its forms: columns dropped by priority and brought back,
the zone form that blocks a spill, and the cursor put on the field that is wrong.
Split from ``test_dashboard_app`` (the screen's content and its keys)."""

from __future__ import annotations

import msgspec
import pytest
from dashscene import T, alerts, make_app, robots, settle, until
from rich.cells import cell_len
from test_dashboard_app import SIZE, orders_table, robots_table
from textual.widgets import Footer, Input, Static
from textual.widgets._footer import FooterKey

from fleet.api.messages import (
    Alerts,
    AlertView,
    BlockZone,
    UnblockZone,
)
from fleet.dashboard import FleetDashboard
from fleet.dashboard.panels import AlertsTable
from fleet.dashboard.screens import BlockScreen, NewOrderScreen

pytestmark = pytest.mark.usefixtures("utc")  # the site's time of day, as anywhere


@pytest.mark.asyncio
@pytest.mark.parametrize(("size", "robot_columns", "order_columns"), [
    ((80, 24), ["Robot", "Doing / waiting"], ["Wait", "Table", "Dish", "Where"]),
    ((100, 30), ["Robot", "Doing / waiting"], ["Wait", "Table", "Order", "Dish", "Where"]),
    ((160, 48), ["Robot", "Mode", "Batt", "Trays", "Doing / waiting", "Trip"],
     ["Wait", "Table", "Order", "Dish", "Where"]),
])
async def test_every_size_keeps_what_a_manager_reads(
        size: tuple[int, int], robot_columns: list[str], order_columns: list[str]) -> None:
    """Issue 14 finding 3: a tablet at the host stand or a small terminal at the pass.
    The less needed columns go first; the robot's words, the dish, its table, wait
    and where stay, the header keeps to one line and the footer is whole."""
    app, _ = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        rt, ot = robots_table(app), orders_table(app)
        at = app.query_one("#alerts", AlertsTable)
        assert rt.columns_shown == robot_columns
        assert ot.columns_shown == order_columns
        assert "Alert" in at.columns_shown
        # what each table shows fits its width: nothing scrolls sideways out of view
        for table in (ot, at):
            widest = max(cell_len(table.shown_text(k)) for k in table.keys)
            assert widest <= table.scrollable_content_region.width, table.id
        assert "to table A1 with 1 dish" in rt.shown_text("R4")
        steak = ot.shown_text("O-101/2")
        assert steak.startswith("3:20") and "A3" in steak and "steak" in steak
        assert "pass" in steak
        assert "pasta  ! nut allergy" in ot.shown_text("O-102/1")
        assert "R1" in ot.shown_text("O-102/1")
        assert at.keys == ["3", "2"]
        assert at.visible_keys() == ["3", "2"], "both open alerts are in view"
        assert "R4 battery low (18 %) (×2)" in at.shown_text("2")

        header = app.query_one("#figures", Static)
        assert header.size.height == 1
        words = str(header.render())
        assert cell_len(words) <= size[0] - 2
        assert "3 (" in words and "3:20" in words, "the waiting dishes and the oldest"
        assert "1 off" in words and "5 open" in words
        # the footer: every key shown fits the line beside the palette's key
        footer = app.query_one(Footer)
        assert footer.region.bottom == size[1]
        # the footer composes its keys on its own after a resize: wait for them
        await until(pilot, lambda: bool(footer.query("FooterKey.-command-palette")))
        await pilot.pause()
        keys = [k for k in footer.query(FooterKey) if not k.has_class("-command-palette")]
        palette = footer.query_one("FooterKey.-command-palette")
        assert len(keys) >= 8
        assert max(k.region.right for k in keys) <= palette.region.x
        # the selected robot's words in full under the table, at every size
        assert "to table B2 with 1 dish" in str(app.query_one("#robot-detail", Static).render())


async def open_zone_form(pilot: object, app: FleetDashboard) -> BlockScreen:
    await pilot.press("z")  # type: ignore[attr-defined]
    await until(pilot, lambda: isinstance(app.screen, BlockScreen))  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, BlockScreen)
    return screen


def form_error(screen: BlockScreen | NewOrderScreen) -> str:
    return str(screen.query_one("#form-error", Static).render())


@pytest.mark.asyncio
async def test_zone_form_lists_the_plans_zones_and_blocks_a_spill_round_a_table() -> None:
    """Issue 14 finding 5: a spill by A4 is blocked by naming the table and a size."""
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_zone_form(pilot, app)
        assert "Zones of the plan: behind the bar, entrance" in str(
            screen.query_one("#plan-zones", Static).render())
        assert "entrance (delivery)" in str(screen.query_one("#blocked-now", Static).render())
        screen.query_one("#place", Input).value = "a4"
        screen.query_one("#size", Input).value = "1"
        screen.query_one("#reason", Input).value = "spill"
        await pilot.click("#block")
        await until(pilot, lambda: len(source.requests) == 1)
        a4 = next(p for p in app.mirror.floor.places if p.name == "A4")  # type: ignore[union-attr]
        x, y = a4.spots[0]
        (sent,) = source.requests
        assert isinstance(sent, BlockZone)
        assert sent.zone == "spill by A4" and sent.reason == "spill"
        assert sent.rect == pytest.approx([x - 0.5, y - 0.5, x + 0.5, y + 0.5])


@pytest.mark.asyncio
async def test_zone_form_blocks_a_typed_rectangle_under_a_new_name() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_zone_form(pilot, app)
        await pilot.press(*"high chair", "enter", "enter", "enter", *"3, 4.5, 4, 5.5", "enter",
                          "enter")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [BlockZone(zone="high chair", rect=[3.0, 4.5, 4.0, 5.5])]


@pytest.mark.asyncio
@pytest.mark.parametrize(("fields", "wrong", "says"), [
    ({"rect": "4 4 3 5"}, "rect", "x0 < x1"),
    ({"rect": "3 4 5"}, "rect", "four numbers"),
    ({"rect": "30 30 31 31"}, "rect", "off the floor"),
    ({"place": "A4", "rect": "3 4 5 6"}, "rect", "not both"),
    ({"place": "Z9"}, "place", "no place 'Z9'"),
    ({"place": "A4", "size": "big"}, "size", "'big' is not a number"),
    ({"place": "A4", "size": "40"}, "size", "0.25 to 10 metres"),
    ({"name": "entrance", "rect": "3 4 5 6"}, "name", "exists already"),
    ({"name": "spill/A4", "rect": "3 4 5 6"}, "name", "not / + #"),
    ({"rect": "3 4 5 6"}, "name", "name the new area"),
])
async def test_zone_form_names_what_is_wrong_and_puts_the_cursor_there(
        fields: dict[str, str], wrong: str, says: str) -> None:
    """Issue 14 findings 5 and 8: bad input is named in the form, the field that is
    wrong is marked and focused (not the button pressed), and nothing is sent."""
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_zone_form(pilot, app)
        for field, value in fields.items():
            screen.query_one(f"#{field}", Input).value = value
        await pilot.click("#block")
        await until(pilot, lambda: says in form_error(screen))
        field = screen.query_one(f"#{wrong}", Input)
        assert field.has_class("-invalid")
        assert app.focused is field
        assert source.requests == []


@pytest.mark.asyncio
async def test_zone_form_unblocks_a_blocked_zone() -> None:
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = await open_zone_form(pilot, app)
        screen.query_one("#name", Input).value = "behind the bar"
        await pilot.click("#unblock")
        await until(pilot, lambda: "is not blocked" in form_error(screen))
        assert app.focused is screen.query_one("#name", Input)
        screen.query_one("#name", Input).value = "Entrance"
        await until(pilot, lambda: not screen.query_one("#unblock").has_class("-active"))
        await pilot.click("#unblock")
        await until(pilot, lambda: len(source.requests) == 1)
        assert source.requests == [UnblockZone(zone="entrance")]


@pytest.mark.asyncio
async def test_order_form_focuses_the_wrong_field_after_submit() -> None:
    """Issue 14 finding 8: submitting from the note with bad dishes puts the cursor in
    the dishes, where the fix is typed."""
    app, source = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewOrderScreen))
        screen = app.screen
        assert isinstance(screen, NewOrderScreen)
        await pilot.press(*"a3", "enter", *"soup:x", "enter", *"no nuts")
        assert app.focused is screen.query_one("#note", Input)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: "trays after ':'" in form_error(screen))
        assert app.focused is screen.query_one("#dishes", Input)
        assert screen.query_one("#dishes", Input).has_class("-invalid")
        assert not screen.query_one("#table", Input).has_class("-invalid")
        assert source.requests == []


@pytest.mark.asyncio
async def test_a_dropped_column_comes_back_when_the_words_get_shorter() -> None:
    """The robots' words change all service long: a column hidden for a long
    sentence returns once it is gone, and goes again for the next one."""
    app, source = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        rt = robots_table(app)
        assert "Mode" not in rt.columns_shown
        r4 = robots()[3]
        source.feed(msgspec.structs.replace(r4, doing="idle at the pass", waiting=""))
        await settle(pilot)
        assert {"Robot", "Mode", "Doing / waiting"} <= set(rt.columns_shown)
        assert rt.keys == ["R1", "R2", "R3", "R4", "R5"]
        assert "idle at the pass" in rt.shown_text("R4")
        source.feed(r4)
        await settle(pilot)
        assert "Mode" not in rt.columns_shown
        assert "paused by the manager" in rt.shown_text("R4")


@pytest.mark.asyncio
async def test_one_long_alert_does_not_hide_every_alerts_level() -> None:
    """Found in the demo at 160x48: an alert of 90 characters hid the level and age
    of all of them; the words are cut instead, and the level stays."""
    long = ("R3: WARNING orderUpdateError: order R3-s1-3: update 3 starts where the "
            "last one did not end")
    app, source = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        at = app.query_one("#alerts", AlertsTable)
        assert at.columns_shown == ["Age", "Level", "Alert"]
        source.feed(Alerts(alerts=[*alerts().alerts, AlertView(
            alert_id=4, at=T - 10, level="warning", kind="RobotErrorReported", text=long,
            robot="R3")]))
        await settle(pilot)
        assert sorted(at.keys) == ["2", "3", "4"]
        assert at.columns_shown == ["Age", "Level", "Alert"]
        assert "critical" in at.shown_text("3")
    async with make_app()[0].run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # on a narrow pane the words still come first
        assert pilot.app.query_one("#alerts", AlertsTable).columns_shown == ["Alert"]
