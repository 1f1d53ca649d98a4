"""Test tiers and what a run could not test.

Two tiers: the fast one (``make check``: pure code, the virtual-clock simulator,
Pilot without a real site) and ``integration`` (``make test`` adds it): anything that
starts a broker, a pty, a subprocess or waits in wall time. A test is put in the
integration tier three ways: its module says ``pytestmark = pytest.mark.integration``;
it uses a fixture that starts a broker (``INTEGRATION_FIXTURES``, marked here so a
new test cannot forget); or it carries the mark itself. A fast-tier test that starts
a process or opens a pty fails at once, naming the mark it lacks, so the fast tier
stays fast by construction rather than by review.

Tests skipped because Mosquitto is missing are counted in the closing summary with
the command that installs it: a green line with 75 silent skips is not green.
"""

from __future__ import annotations

import os
import pty
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

INTEGRATION_FIXTURES = frozenset({"mosquitto", "broker"})
"""Fixtures that start a broker: any test using one is integration."""

MOSQUITTO_HINT = "mosquitto is not installed"


def pytest_configure(config: pytest.Config) -> None:
    """Build matplotlib's font list before any test runs: on a machine that has none
    cached, its first import runs ``fc-list``, which the fast tier's guard refuses,
    so whichever fast test first drew a plot failed on a fresh machine only."""
    import matplotlib.font_manager  # noqa: F401, PLC0415


_left_out = pytest.StashKey[int]()
"""Integration tests deselected in this process (or, under xdist, by the workers)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        config = items[0].config
        config.stash[_left_out] = config.stash.get(_left_out, 0) + sum(
            1 for i in items if i.get_closest_marker("integration") is not None)


def pytest_sessionfinish(session: pytest.Session) -> None:
    out = getattr(session.config, "workeroutput", None)  # an xdist worker: tell the controller
    if out is not None:
        out["integration_left_out"] = session.config.stash.get(_left_out, 0)


def pytest_testnodedown(node: Any, error: object) -> None:
    """xdist's controller: every worker collects the whole suite, so take the largest."""
    got = getattr(node, "workeroutput", {}).get("integration_left_out", 0)
    node.config.stash[_left_out] = max(node.config.stash.get(_left_out, 0), got)


class FastTierError(RuntimeError):
    pass


def _refuse(what: str) -> Any:
    def refuse(*_a: object, **_k: object) -> Any:
        raise FastTierError(
            f"a fast-tier test {what}: mark it @pytest.mark.integration "
            "(or its module: pytestmark = pytest.mark.integration)")
    return refuse


@pytest.fixture(autouse=True)
def _fast_tier_guard(request: pytest.FixtureRequest,
                     monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fast-tier tests may not start processes or open ptys (see the module docstring)."""
    if request.node.get_closest_marker("integration") is None:
        monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("started a subprocess"))
        monkeypatch.setattr(os, "openpty", _refuse("opened a pty"))
        monkeypatch.setattr(pty, "openpty", _refuse("opened a pty"))
    yield


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    without = [r for r in skipped
               if isinstance(r.longrepr, tuple) and MOSQUITTO_HINT in str(r.longrepr[2])]
    missing = len(without)
    if missing:
        # pytest's final line names every key in stats: "..., 75 skipped, 75 without
        # mosquitto (apt-get install mosquitto) in 300s", in yellow.
        terminalreporter.stats["without mosquitto (apt-get install mosquitto)"] = without
        terminalreporter.write_sep(
            "!", f"{missing} tests skipped: {MOSQUITTO_HINT} "
            "(install it: apt-get install mosquitto; .ci/run and make test as root do)",
            yellow=True, bold=True)
    left_out = config.stash.get(_left_out, 0)
    if left_out and "integration" in (config.getoption("markexpr") or ""):
        terminalreporter.write_line(
            f"fast tier: {left_out} integration tests not run (make test runs them)", bold=True)


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The dashboard shows the site's time of day; pin the zone so it reads the same
    here as on any machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
