"""Snapshots of the dashboard's screens with a fixed scene and a frozen clock (the
SVGs under ``__snapshots__/``; after a deliberate change of layout, look at the
new ones and accept them with ``--snapshot-update``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dashscene import make_app, settle, steady_cursors
from textual.pilot import Pilot

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_main_screen(snap_compare: SnapCompare) -> None:
    app, _ = make_app()
    assert snap_compare(app, terminal_size=(120, 40), run_before=settle)


def test_main_screen_at_100_by_30(snap_compare: SnapCompare) -> None:
    app, _ = make_app()
    assert snap_compare(app, terminal_size=(100, 30), run_before=settle)


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
