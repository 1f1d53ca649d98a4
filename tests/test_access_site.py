"""``fleet run``'s broker as a site gets it: its own clients log in by themselves
(controller, simulated robots, a local dashboard), strangers are refused; and against
an external broker that lets strangers in, it warns before serving."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import sys
from pathlib import Path

import pytest
from accesskit import ROOT
from brokers import make_tls_files
from sitevisit import SITE_MARKS, dashboard_login, load_site, until_shown, visit_site

from drivers.mqtt import MqttConnection, MqttSettings
from drivers.mqtt.broker import EmbeddedBroker
from drivers.mqtt.settings import parse_broker_url
from fleet.access.userbook import DASHBOARD_USER
from fleet.api.client import FleetClient
from fleet.api.messages import ReleaseAll
from fleet.cli.site import run_site
from fleet.config import Config
from fleet.errors import LinkError

pytestmark = SITE_MARKS

SITE = """\
[site]
id = "bistro"
map = "{map}"

[[robots]]
serial = "R1"
model = "tray-bot"

[[robots]]
serial = "R2"
model = "tray-bot"

[broker]
url = "{url}"

[store]
path = "site.db"
"""


def config(tmp_path: Path, url: str = "embedded", broker: str = "") -> Config:
    text = SITE.format(map=ROOT / "maps" / "bistro.toml", url=url)
    return load_site(tmp_path, text.replace("[store]", broker + "\n[store]"))


async def test_fleet_run_serves_its_own_users_and_refuses_strangers(tmp_path: Path) -> None:
    cfg = config(tmp_path)

    async def visit(url: str, served: list[str]) -> None:
        _, host, port = parse_broker_url(url)
        stranger = MqttSettings(host=host, port=port, client_id="fleet-controller-api")
        with pytest.raises(LinkError, match="cannot connect"):
            async with MqttConnection(stranger) as conn:
                await conn.wait_connected(5.0)
        settings = dashboard_login(cfg, url)
        assert settings.username == DASHBOARD_USER
        async with FleetClient(settings, "bistro") as client:
            await until_shown(client, lambda m: m.controller_online and set(m.robots) == {
                "R1", "R2"} and all(r.online for r in m.robots.values()), 20)
            reply = await client.request(ReleaseAll())
            assert reply.ok, reply

    await visit_site(cfg, visit)


async def test_sim_robots_beside_fleet_run_log_in_as_their_own_robots(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    path = tmp_path / "config.toml"
    cfg = load_site(tmp_path, path.read_text(encoding="utf-8").replace(
        'model = "tray-bot"\n', 'model = "tray-bot"\ntransport = "mqtt"\n'))

    async def visit(url: str, served: list[str]) -> None:
        robots = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fleet", "sim-robots", "--broker", url, "--config", str(path),
            "--count", "2", cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            async with FleetClient(dashboard_login(cfg, url), "bistro") as client:
                await until_shown(client, lambda m: len(m.robots) == 2 and all(
                    r.online for r in m.robots.values()), 30)
        finally:
            robots.send_signal(signal.SIGINT)
            async with asyncio.timeout(20):
                _, err = await robots.communicate()
        assert robots.returncode == 0, err.decode()

    await visit_site(cfg, visit)


async def test_fleet_run_on_every_interface_speaks_only_tls(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "tls")
    cfg = config(tmp_path, broker=f'''listen_host = "0.0.0.0"
listen_cert_file = "{tls['server.crt']}"
listen_key_file = "{tls['server.key']}"
ca_file = "{tls['ca.crt']}"
''')

    async def visit(url: str, served: list[str]) -> None:
        assert url.startswith("mqtts://127.0.0.1:"), url
        plain = dashboard_login(cfg, url)
        with pytest.raises(LinkError):
            async with MqttConnection(plain) as conn:
                await conn.wait_connected(5.0)
        secure = dataclasses.replace(plain, tls=True, ca_file=str(tls["ca.crt"]))
        async with FleetClient(secure, "bistro") as client:
            await until_shown(client, lambda m: m.controller_online and len(m.robots) == 2
                              and all(r.online for r in m.robots.values()), 20)

    await visit_site(cfg, visit)


async def test_fleet_run_warns_when_an_external_broker_lets_strangers_command(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "open") as broker:
        cfg = config(tmp_path, broker.url)
        with caplog.at_level(logging.WARNING, logger="fleet.cli.site"):
            await run_site(cfg, asyncio.sleep(0))
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("SECURITY" in w and "lets ANYONE command this fleet" in w for w in warnings), \
        warnings
