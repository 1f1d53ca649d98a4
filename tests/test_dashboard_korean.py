"""The dashboard in Korean (issue 14, finding 9): the whole screen on the Korean
floor plan at the sizes a pass terminal and a desk monitor get, a form's error in
Korean, and Hangul that never shifts a row (two cells a character)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dashscene import settle, steady_cursors
from dashscene_ko import make_app_ko
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import Static

from fleet.dashboard import language
from fleet.dashboard.floormap import FloorMap
from fleet.dashboard.mapgrid import draw_floor, overlay, plain

SnapCompare = Callable[..., bool]


@pytest.fixture(autouse=True)
def utc_and_english_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
    language.use("en")  # the next test's app chooses its own; a bare view gets English


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)],
                         ids=["80x24", "100x30", "160x48"])
def test_main_screen_in_korean(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app, _ = make_app_ko()
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_order_form_names_a_bad_table_in_korean(snap_compare: SnapCompare) -> None:
    async def fill(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("n", *"Z9", "enter", *"soup", "ctrl+s")
        await steady_cursors(pilot)

    app, source = make_app_ko()
    assert snap_compare(app, terminal_size=(100, 30), run_before=fill)
    assert source.requests == []


@pytest.mark.asyncio
async def test_a_form_error_is_in_korean() -> None:
    app, source = make_app_ko()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("n", *"Z9", "enter", *"soup", "ctrl+s")
        await pilot.pause()
        error = str(app.screen.query_one("#form-error", Static).render())
        assert "이 매장에 테이블 'Z9'이(가) 없습니다" in error
        assert "가1, 가2" in error  # the floor's own names, as they are
        await pilot.press("escape", "n")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "테이블 이름을 입력하세요" in str(app.screen.query_one("#form-error",
                                                                      Static).render())
    assert source.requests == []


@pytest.mark.asyncio
async def test_the_robots_words_and_heads_are_in_korean() -> None:
    app, _ = make_app_ko()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        rt = app.robots_table
        assert rt.columns_shown[0] == "로봇"
        assert "나2 테이블" not in rt.row_text("R1")
        assert "테이블 나2에 요리 1개 배달 중" in rt.row_text("R1")
        assert "테이블 다2 옆 통로에서 R1 통과 대기 중" in rt.row_text("R4")
        assert "픽업대에서 대기" in rt.row_text("R2")
        assert str(app.robots_table.border_title) == "로봇"
        footer = " ".join(b.description for b in app.active_bindings.values()
                          if b.binding.show for b in [b.binding] if b.description)
        assert "비상정지" in footer and "새주문" in footer


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
def test_hangul_table_names_keep_every_map_row_its_width(size: tuple[int, int]) -> None:
    from dashscene_ko import bulgogi_house, robots_ko  # noqa: PLC0415

    width, height = size
    floor = bulgogi_house()
    layer = draw_floor(floor, width, height)
    lines = plain(layer, overlay(layer, robots_ko(), {"가3": "waiting"}))
    assert {cell_len(line) for line in lines} == {layer.scale.width}
    assert any("창가" in line or "가" in line for line in lines)


@pytest.mark.asyncio
@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
async def test_the_korean_header_fits_one_line(size: tuple[int, int]) -> None:
    app, _ = make_app_ko()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        figures = app.figures.render()
        assert cell_len(str(figures)) <= size[0] - 2
        assert app.query_one("#map", FloorMap).floor_layer is not None
