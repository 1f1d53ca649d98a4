"""``fleet run`` with two makers' "sim1" on its own broker (Mosquitto, with the ACL
made from the config): each simulated vehicle logs in as its own robot user, may
publish only under its own manufacturer and serial, and both come online under
their keys on the site (issue 13, D10)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from accesskit import ROOT
from brokers import HAVE_MOSQUITTO

from drivers.mqtt import MqttSettings
from drivers.mqtt.settings import parse_broker_url
from fleet.access.userbook import DASHBOARD_USER, UserBook
from fleet.api.client import FleetClient
from fleet.cli.credentials import local_settings
from fleet.cli.site import run_site
from fleet.config import load_config

pytestmark = [pytest.mark.integration, pytest.mark.asyncio,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")]

SITE = """\
[site]
id = "bistro"
map = "{map}"

[[robot_models]]
name = "ours"

[[robot_models]]
name = "theirs"
manufacturer = "acme"

[[robots]]
serial = "sim1"
model = "ours"

[[robots]]
serial = "sim1"
model = "theirs"

[store]
path = "site.db"
"""


async def test_fleet_run_serves_two_makers_sim1_each_on_its_own_topics(
        tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(SITE.format(map=ROOT / "maps" / "bistro.toml"), encoding="utf-8")
    cfg = load_config(path, env={})
    served: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()

    async def visit() -> None:
        url, robots = await served.get()
        assert robots == ["sim1@fleet-sim", "sim1@acme"]
        book = UserBook.open(cfg)
        acl = book.acl_path.read_text(encoding="utf-8")
        for user, maker in (("robot-sim1-at-acme", "acme"),
                            ("robot-sim1-at-fleet-sim", "fleet-sim")):
            block = acl.split(f"user {user}\n", 1)[1].split("\n\n", 1)[0]
            writes = [line for line in block.splitlines() if line.startswith("topic write uagv")]
            assert writes and all(f"uagv/v2/{maker}/sim1/" in line for line in writes), block
        _, host, port = parse_broker_url(url)
        settings = local_settings(MqttSettings(host=host, port=port, client_id="x"), book,
                                  DASHBOARD_USER)
        async with FleetClient(settings, "bistro") as client, asyncio.timeout(30):
            async for _ in client.updates():
                views = client.mirror.robots
                if (set(views) == {"sim1@fleet-sim", "sim1@acme"}
                        and all(v.online and v.x is not None for v in views.values())):
                    break
            assert {k: v.manufacturer for k, v in views.items()} == {
                "sim1@fleet-sim": "fleet-sim", "sim1@acme": "acme"}

    def ready(url: str, robots: list[str]) -> None:
        served.put_nowait((url, robots))

    await run_site(cfg, visit(), on_ready=ready)
