"""The dish history screen: the selected dish's every event, asked of the controller
(``dishHistory``) and shown with times, the same lines ``fleet report dish`` prints."""

from __future__ import annotations

import pytest
from dashscene import SERVED, STORY, T, make_app, settle, tells, until, with_served
from textual.widgets import DataTable

from fleet.api.messages import ApiError, ClientCommand, DishHistory, DishView, Reply
from fleet.dashboard.dishscreen import DishHistoryScreen
from fleet.dashboard.dishviews import dish_title, history_rows
from fleet.dashboard.language import use

pytestmark = pytest.mark.usefixtures("utc")  # the site's time of day, as anywhere

SIZE = (120, 40)


def test_the_title_says_where_the_dish_ended_and_how_long_it_waited() -> None:
    use("en")
    title = dish_title(SERVED, SERVED.dishes[0]).plain
    assert title == ("ramen [large] for B4 · order O-106 · served · waited 2:30 from the pass "
                     "to the table")
    failed = DishView(dish_id="O-106/2", name="tea", state="failed",
                      reason="nobody took it at B4 within 90 s", ready_at=T - 100)
    assert dish_title(SERVED, failed).plain.endswith(
        "· failed: nobody took it at B4 within 90 s")


def test_each_event_is_a_row_with_its_time_the_time_since_the_first_and_its_robot() -> None:
    rows = history_rows(STORY)
    assert [(t, after, robot) for t, after, robot, _what in rows] == [
        ("22:01:40", "+0:00", ""), ("22:06:40", "+5:00", ""), ("22:06:50", "+5:10", "R2"),
        ("22:09:10", "+7:30", "R2"), ("22:09:20", "+7:40", "R2")]
    assert rows[-1][3].plain == "ramen [large] taken at B4  DishServed"
    assert history_rows([]) == []


@pytest.mark.asyncio
async def test_i_on_a_dish_opens_its_story_and_escape_closes_it() -> None:
    app, source = make_app(with_served(), answer=tells)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        orders = app.orders_table
        orders.focus()
        orders.move_cursor(row=orders.keys.index("O-106/O-106/1"))
        await pilot.press("i")
        await until(pilot, lambda: isinstance(app.screen, DishHistoryScreen))
        assert source.reads[-1] == DishHistory(dish_id="O-106/1")
        assert source.requests == [], "a read is not a command"
        table = app.screen.query_one("#dish-events", DataTable)
        assert table.row_count == len(STORY)
        cells = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert cells[0].startswith("order O-106 for B4") and "[large]" in cells[-1]
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, DishHistoryScreen))
        orders.focus()
        await pilot.press("enter")  # Enter in the orders opens it too
        await until(pilot, lambda: isinstance(app.screen, DishHistoryScreen))
        assert len(source.reads) == 3  # the events backlog, then the story twice


@pytest.mark.asyncio
async def test_a_refused_story_is_said_and_no_screen_opens() -> None:
    def refuse(command: ClientCommand) -> Reply:
        return Reply(request_id=None, ok=False, error=ApiError(
            code="unknown_order", message="unknown dish 'O-106/1'"))

    app, _ = make_app(with_served(), answer=refuse)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        orders = app.orders_table
        orders.focus()
        orders.move_cursor(row=orders.keys.index("O-106/O-106/1"))
        await pilot.press("i")
        await until(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        (note,) = [n for n in app._notifications if n.severity == "error"]
        assert note.message == "unknown dish 'O-106/1'"
        assert "history of O-106/1" in note.title
        assert not isinstance(app.screen, DishHistoryScreen)


def test_the_title_reads_korean() -> None:
    use("ko")
    try:
        title = dish_title(SERVED, SERVED.dishes[0]).plain
    finally:
        use("en")
    assert title == "ramen [large] B4행 · 주문 O-106 · 서빙됨 · 픽업대에서 테이블까지 2:30 대기"
