"""Snapshots of the dashboard's screens with a fixed scene and a frozen clock (the
SVGs under ``__snapshots__/``; after a deliberate change of layout, look at the
new ones and accept them with ``--snapshot-update``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from dashscene import make_app, settle, steady_cursors, tells, until, with_served
from textual.pilot import Pilot

from fleet.dashboard.dishscreen import DishHistoryScreen

pytestmark = pytest.mark.usefixtures("utc")  # the site's time of day, as anywhere

SnapCompare = Callable[..., bool]


def test_main_screen(snap_compare: SnapCompare) -> None:
    app, _ = make_app()
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)


def test_order_form(snap_compare: SnapCompare) -> None:
    async def fill(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("n", *"a3", "enter", *"soup, platter:2")
        await steady_cursors(pilot)

    app, _ = make_app()
    assert snap_compare(app, terminal_size=(100, 30), run_before=fill)


def test_order_form_names_a_bad_table(snap_compare: SnapCompare) -> None:
    async def fill(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("n", *"Z9", "enter", *"soup", "ctrl+s")
        await steady_cursors(pilot)

    app, source = make_app()
    assert snap_compare(app, terminal_size=(100, 30), run_before=fill)
    assert source.requests == []


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)],
                         ids=["80x24", "100x30", "160x48"])
def test_main_screen_at_each_size(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """Issue 14 finding 3: the layouts a host-stand tablet, a pass terminal and a
    desk monitor get."""
    app, _ = make_app()
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_zone_form_names_a_bad_rectangle_at_80x24(snap_compare: SnapCompare) -> None:
    async def fill(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("z", *"spill", "enter", "enter", "enter", *"4 4 3 5", "enter", "enter")
        await steady_cursors(pilot)

    app, source = make_app()
    assert snap_compare(app, terminal_size=(80, 24), run_before=fill)
    assert source.requests == []


def test_dish_history_at_80x24(snap_compare: SnapCompare) -> None:
    """Issue 15: one dish's every event, on the smallest screen."""
    async def open_story(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        app = pilot.app
        orders = app.orders_table  # type: ignore[attr-defined]
        orders.focus()
        orders.move_cursor(row=orders.keys.index("O-106/O-106/1"))
        await pilot.press("i")
        await until(pilot, lambda: isinstance(pilot.app.screen, DishHistoryScreen))
        await steady_cursors(pilot)

    app, source = make_app(with_served(), answer=tells)
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_story)
    assert source.reads[-1].dish_id == "O-106/1"  # type: ignore[attr-defined]
