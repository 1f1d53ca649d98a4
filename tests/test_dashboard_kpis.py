"""The header's figures over the last hour: folded from summaries by minute of the
site's clock and drawn as zero-based sparklines that keep the hour's time scale."""

from __future__ import annotations

import pytest
from dashscene import T, hour, make_app, settle, summary, until
from textual.widgets import Static

from fleet.dashboard.kpis import BARS, KPIS, KpiHistory, kpi_line, spark
from fleet.dashboard.language import use


def fed(*summaries: object) -> KpiHistory:
    history = KpiHistory()
    for s in summaries:
        history.add(s)  # type: ignore[arg-type]
    return history


def test_each_minute_keeps_its_highest_value() -> None:
    base = T - T % 60
    history = fed(*(summary(now=base + at, dishes_waiting=n)
                    for at, n in ((1, 2), (20, 7), (59, 1), (61, 3))))
    assert history.series("waiting", base + 61)[-2:] == [7.0, 3.0]


def test_a_series_is_an_hour_long_blank_before_the_first_summary() -> None:
    history = fed(summary(now=T, dishes_waiting=4))
    values = history.series("waiting", T)
    assert len(values) == 60
    assert values[-1] == 4.0
    assert values[:-1] == [None] * 59


def test_a_minute_without_a_summary_holds_the_value_before_it() -> None:
    history = fed(summary(now=T - 180, dishes_waiting=5), summary(now=T, dishes_waiting=2))
    assert history.series("waiting", T)[-4:] == [5.0, 5.0, 5.0, 2.0]


def test_minutes_older_than_the_hour_are_dropped() -> None:
    history = fed(summary(now=T - 2 * 3600, dishes_waiting=9), summary(now=T, dishes_waiting=1))
    assert max(v for v in history.series("waiting", T) if v is not None) == 1.0
    assert len(history._buckets) == 1


def test_a_site_clock_going_back_starts_a_new_history() -> None:
    history = fed(summary(now=T, dishes_waiting=9), summary(now=T - 600, dishes_waiting=1))
    assert [v for v in history.series("waiting", T - 600) if v is not None] == [1.0]


def test_a_mean_wait_with_nothing_served_reads_zero_once_the_history_began() -> None:
    history = fed(summary(now=T - 60, mean_wait_15min_s=80.0),
                  summary(now=T, mean_wait_15min_s=None))
    assert history.series("mean_wait", T)[-2:] == [80.0, 0.0]


def test_spark_is_zero_based_and_never_stretched() -> None:
    assert spark([None, None, 0.0, 4.0, 8.0], 10) == "  " + BARS[0] + BARS[4] + BARS[7]
    # a steady figure is a flat line at its height, not at the bottom
    assert spark([3.0, 3.0, 3.0], 3) == BARS[-1] * 3
    assert spark([0.0, 0.0], 2) == BARS[0] * 2


def test_spark_squeezes_an_hour_into_fewer_columns_by_the_highest() -> None:
    values: list[float | None] = [0.0] * 60
    values[10] = 6.0
    line = spark(values, 20)
    assert len(line) == 20
    assert line[3] == BARS[-1]
    assert set(line) - {BARS[-1]} == {BARS[0]}


def test_the_line_names_each_figure_with_its_hours_peak() -> None:
    use("en")
    history = fed(*hour(), summary())
    line = kpi_line(history, T, 300).plain
    for label in ("waiting", "mean wait", "open orders", "on robots", "served 15 min",
                  "active robots"):
        assert label in line
    assert "waiting " in line and "↑8" in line
    assert "↑2:00" in line  # mean wait peaks at 40 + 10 * 8 s


def test_a_narrow_line_keeps_the_first_figures_and_fits() -> None:
    use("en")
    history = fed(*hour(), summary())
    for width in (78, 98, 158):
        line = kpi_line(history, T, width)
        assert line.cell_len <= width
        assert line.plain.startswith("waiting ")
    narrow = kpi_line(history, T, 78).plain
    assert "mean wait" in narrow
    assert "active robots" not in narrow
    assert len(KPIS) == 6


def test_no_summary_yet_draws_nothing() -> None:
    assert kpi_line(KpiHistory(), T, 100).plain == ""


def test_the_line_reads_korean() -> None:
    use("ko")
    try:
        line = kpi_line(fed(*hour(), summary()), T, 160)
        assert "대기" in line.plain
        assert line.cell_len <= 160
    finally:
        use("en")


@pytest.mark.asyncio
@pytest.mark.usefixtures("utc")
async def test_the_dashboard_draws_the_hour_under_its_header_and_follows_new_summaries(
        ) -> None:
    app, source = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        strip = app.query_one("#kpis", Static)
        line = str(strip.render())
        assert line.startswith("waiting ") and "↑8" in line
        assert "served 15 min" in line
        source.feed(summary(now=T + 60, dishes_waiting=12))
        await until(pilot, lambda: "↑12" in str(strip.render()))


@pytest.mark.asyncio
@pytest.mark.usefixtures("utc")
async def test_the_smallest_screen_keeps_the_line_for_its_panels_until_k() -> None:
    app, _ = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        strip = app.query_one("#kpis", Static)
        assert not strip.display
        await pilot.press("k")
        assert strip.display and strip.region.height == 1
        await pilot.press("k")
        assert not strip.display


@pytest.mark.asyncio
@pytest.mark.usefixtures("utc")
async def test_a_pass_terminal_shows_the_line_and_k_hides_it() -> None:
    app, _ = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        strip = app.query_one("#kpis", Static)
        assert strip.display and strip.region.height == 1
        await pilot.press("k")
        assert not strip.display
