"""The long-day memory verdict (``fleet chaos --rss-every``): samples after the first
hour within 10 % of the first of them are flat, a climb past it is not, and too few
samples are a failure to measure rather than a pass. The watch itself samples on the
site's clock, reads this process's memory and CPU, and follows a pid that changes."""

from __future__ import annotations

import asyncio
import os
from typing import Any

from fleet.cli.chaos_cmd import verdicts
from fleet.clock import run
from sim.memory_watch import MemoryWatch, cpu_s, flat_after_first_hour, rss_mb, sample_rows


def _samples(mb: list[float], every_s: float = 1800.0) -> list[dict[str, Any]]:
    return [{"at_s": i * every_s, "controller_mb": x, "broker_mb": 9.0, "campaign_mb": 130.0,
             "controller_cpu": 0.2, "worst_lag_s": 0.0} for i, x in enumerate(mb)]


def test_flat_after_the_first_hour_ignores_the_first_hour() -> None:
    # 100 -> 140 MB in the first hour (caches filling), then within 10 % of 140.
    held, figure = flat_after_first_hour(_samples([100, 120, 140, 145, 150, 138, 152]))
    assert held, figure
    assert figure.startswith("140.0 MB at 1.0 h; furthest 152.0 MB (+8.6%) at 3.0 h")


def test_a_climb_past_ten_percent_is_not_flat() -> None:
    held, figure = flat_after_first_hour(_samples([100, 120, 140, 145, 150, 155, 160]))
    assert not held
    assert "+14.3%" in figure and "at 3.0 h" in figure


def test_a_fall_past_ten_percent_is_not_flat_either() -> None:
    held, _ = flat_after_first_hour(_samples([100, 140, 140, 120]))
    assert not held


def test_too_few_samples_after_the_first_hour_is_not_a_pass() -> None:
    held, figure = flat_after_first_hour(_samples([100, 120, 140]))
    assert not held and figure.startswith("not measured: 1 sample(s)")
    unread = {**_samples([0.0])[0], "at_s": 7200.0, "controller_mb": None}
    held, figure = flat_after_first_hour([*_samples([100, 120, 140]), unread])
    assert not held and figure.startswith("not measured: 1 sample(s)"), \
        "a sample that could not be read is not a measurement"


def test_the_verdict_and_the_table_come_with_the_samples() -> None:
    report = {"dishes": {"ordered": 10, "open": 0, "failed_without_reason": 0},
              "violations": 0, "liveness": {}, "still_at_end": [],
              "chaos": {"served_twice": 0, "kitchen_refused": {}, "rss_mb": [100.0],
                        "acknowledged": 4, "acknowledged_lost": [],
                        "rss_samples": _samples([100, 120, 140, 170])}}
    said = {name: ok for name, ok, _ in verdicts(report)}
    assert said["controller memory flat within 10 % after the first hour"] is False
    assert sample_rows(_samples([100.04]))[0] == ["0.00", "100.0", "9.0", "130.0", "20%", "0.0"]


def test_this_process_has_memory_and_cpu_time() -> None:
    mine = rss_mb()
    assert mine is not None and mine > 1.0
    used = cpu_s(os.getpid())
    assert used is not None and used > 0.0
    assert rss_mb(2**22 + 12345) is None and cpu_s(2**22 + 12345) is None


def test_the_watch_samples_on_the_sites_clock_and_follows_the_pid() -> None:
    pids = [os.getpid(), None]

    async def scenario() -> MemoryWatch:
        loop = asyncio.get_running_loop()
        watch = MemoryWatch(600.0, loop.time(), controller_pid=lambda: pids[0],
                            broker_pid=lambda: None, speed=1.0)
        task = asyncio.create_task(watch.run())
        await asyncio.sleep(1250.0)  # virtual seconds: samples at 0, 600 and 1200
        pids[0] = pids[1]
        await asyncio.sleep(600.0)  # and at 1800, with no controller to read
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return watch

    watch = run(scenario(), clock="virtual")
    at = [round(s.at_s) for s in watch.samples]
    assert at == [0, 600, 1200, 1800]
    assert all(s.controller_mb is not None for s in watch.samples[:3])
    assert watch.samples[3].controller_mb is None and watch.samples[3].broker_mb is None
    assert watch.samples[0].controller_cpu is None, "no CPU share before a second sample"
