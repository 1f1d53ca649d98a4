"""``fleet run``'s site with a visitor, for the tests of what a site serves on its own
broker (who may log in, what each robot may publish): the config written to a
folder, the site run until the visit is over, a login as the site's own
dashboard, and waiting for the fleet to show what the visit expects.

The visit starts only once the site says it serves (``run_site``'s ``on_ready``),
so no test guesses how long start-up takes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO

from drivers.mqtt import MqttSettings
from drivers.mqtt.settings import parse_broker_url
from fleet.access.userbook import DASHBOARD_USER, UserBook
from fleet.api.client import FleetClient
from fleet.api.mirror import FleetMirror
from fleet.cli.credentials import local_settings
from fleet.cli.site import run_site
from fleet.config import Config, load_config

SITE_MARKS = [pytest.mark.integration, pytest.mark.asyncio,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")]
"""A test module's ``pytestmark``: the site runs Mosquitto as its broker."""

SIM1_TWICE = """\
[[robots]]
serial = "sim1"
model = "ours"

[[robots]]
serial = "sim1"
model = "theirs"
"""
"""Two makers' robots both called "sim1" (issue 13, D10), as a site config's
``[[robots]]``; the config defines the models "ours" and "theirs"."""

Visitor = Callable[[str, list[str]], Awaitable[None]]
"""Given the broker's URL and the robots the site serves."""


def load_site(folder: Path, text: str) -> Config:
    """``text`` saved as the folder's ``config.toml`` (the site's state goes beside
    it) and loaded as ``fleet run`` loads it, with no environment overrides."""
    path = folder / "config.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path, env={})


async def visit_site(cfg: Config, visitor: Visitor) -> None:
    """Serve the site until ``visitor`` is done; it starts once the site serves."""
    served: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()

    async def visit() -> None:
        url, robots = await served.get()
        await visitor(url, robots)

    def ready(url: str, robots: list[str]) -> None:
        served.put_nowait((url, robots))

    await run_site(cfg, visit(), on_ready=ready)


def dashboard_login(cfg: Config, url: str) -> MqttSettings:
    """How a dashboard beside ``fleet run`` logs in: as the site's own dashboard user,
    whose password the site keeps in its state folder."""
    _, host, port = parse_broker_url(url)
    return local_settings(MqttSettings(host=host, port=port, client_id="x"),
                          UserBook.open(cfg), DASHBOARD_USER)


async def until_shown(client: FleetClient, shown: Callable[[FleetMirror], bool],
                      within: float) -> FleetMirror:
    """The client's mirror of the fleet once ``shown`` holds of it (``TimeoutError``
    after ``within`` seconds)."""
    async with asyncio.timeout(within):
        async for _ in client.updates():
            if shown(client.mirror):
                return client.mirror
    raise AssertionError("the fleet's updates ended before it showed what was expected")
