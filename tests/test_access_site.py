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
from brokers import HAVE_MOSQUITTO, make_tls_files

from drivers.mqtt import MqttConnection, MqttSettings
from drivers.mqtt.broker import EmbeddedBroker
from drivers.mqtt.settings import parse_broker_url
from fleet.access.userbook import DASHBOARD_USER, UserBook
from fleet.api.client import FleetClient
from fleet.api.messages import ReleaseAll
from fleet.cli.credentials import local_settings
from fleet.cli.site import run_site
from fleet.config import Config, load_config
from fleet.errors import LinkError

pytestmark = [pytest.mark.integration, pytest.mark.asyncio,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")]

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
    path = tmp_path / "config.toml"
    text = SITE.format(map=ROOT / "maps" / "bistro.toml", url=url)
    path.write_text(text.replace("[store]", broker + "\n[store]"), encoding="utf-8")
    return load_config(path, env={})


async def test_fleet_run_serves_its_own_users_and_refuses_strangers(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    served: asyncio.Queue[str] = asyncio.Queue()

    async def visit() -> None:
        url = await served.get()
        _, host, port = parse_broker_url(url)
        stranger = MqttSettings(host=host, port=port, client_id="fleet-controller-api")
        with pytest.raises(LinkError, match="cannot connect"):
            async with MqttConnection(stranger) as conn:
                await conn.wait_connected(5.0)
        book = UserBook.open(cfg)
        settings = local_settings(MqttSettings(host=host, port=port, client_id="x"), book,
                                  DASHBOARD_USER)
        assert settings.username == DASHBOARD_USER
        async with FleetClient(settings, "bistro") as client:
            async with asyncio.timeout(20):
                async for _ in client.updates():
                    robots = client.mirror.robots
                    if (client.mirror.controller_online and set(robots) == {"R1", "R2"}
                            and all(r.online for r in robots.values())):
                        break
            reply = await client.request(ReleaseAll())
            assert reply.ok, reply

    def ready(url: str, serials: list[str]) -> None:
        served.put_nowait(url)

    await run_site(cfg, visit(), on_ready=ready)


async def test_sim_robots_beside_fleet_run_log_in_as_their_own_robots(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    path = tmp_path / "config.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'model = "tray-bot"\n', 'model = "tray-bot"\ntransport = "mqtt"\n'), encoding="utf-8")
    cfg = load_config(path, env={})
    served: asyncio.Queue[str] = asyncio.Queue()

    async def visit() -> None:
        url = await served.get()
        robots = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fleet", "sim-robots", "--broker", url, "--config", str(path),
            "--count", "2", cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        try:
            _, host, port = parse_broker_url(url)
            settings = local_settings(MqttSettings(host=host, port=port, client_id="x"),
                                      UserBook.open(cfg), DASHBOARD_USER)
            async with FleetClient(settings, "bistro") as client, asyncio.timeout(30):
                async for _ in client.updates():
                    views = client.mirror.robots.values()
                    if len(views) == 2 and all(r.online for r in views):
                        break
        finally:
            robots.send_signal(signal.SIGINT)
            async with asyncio.timeout(20):
                _, err = await robots.communicate()
        assert robots.returncode == 0, err.decode()

    def ready(url: str, serials: list[str]) -> None:
        served.put_nowait(url)

    await run_site(cfg, visit(), on_ready=ready)


async def test_fleet_run_on_every_interface_speaks_only_tls(tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "tls")
    cfg = config(tmp_path, broker=f'''listen_host = "0.0.0.0"
listen_cert_file = "{tls['server.crt']}"
listen_key_file = "{tls['server.key']}"
ca_file = "{tls['ca.crt']}"
''')
    served: asyncio.Queue[str] = asyncio.Queue()

    async def visit() -> None:
        url = await served.get()
        assert url.startswith("mqtts://127.0.0.1:"), url
        tls_on, host, port = parse_broker_url(url)
        book = UserBook.open(cfg)
        plain = local_settings(MqttSettings(host=host, port=port, client_id="x"), book,
                               DASHBOARD_USER)
        with pytest.raises(LinkError):
            async with MqttConnection(plain) as conn:
                await conn.wait_connected(5.0)
        secure = dataclasses.replace(plain, tls=tls_on, ca_file=str(tls["ca.crt"]))
        async with FleetClient(secure, "bistro") as client, asyncio.timeout(20):
            async for _ in client.updates():
                views = client.mirror.robots.values()
                if client.mirror.controller_online and len(views) == 2 and all(
                        r.online for r in views):
                    break

    def ready(url: str, serials: list[str]) -> None:
        served.put_nowait(url)

    await run_site(cfg, visit(), on_ready=ready)


async def test_fleet_run_warns_when_an_external_broker_lets_strangers_command(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "open") as broker:
        cfg = config(tmp_path, broker.url)
        with caplog.at_level(logging.WARNING, logger="fleet.cli.site"):
            await run_site(cfg, asyncio.sleep(0))
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("SECURITY" in w and "lets ANYONE command this fleet" in w for w in warnings), \
        warnings
