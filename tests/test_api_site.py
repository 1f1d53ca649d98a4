"""``fleet run`` serves the fleet API: a separate process, a real Mosquitto, a till
and a dashboard client talking to it as they would in a restaurant; when the
controller process is killed, its last will tells them so."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from brokers import mosquitto_fixture, settings  # noqa: F401

from drivers.mqtt.broker import EmbeddedBroker
from fleet.api.client import FleetClient
from fleet.api.messages import BlockTable
from fleet.api.pos import ApiPos
from fleet.errors import OrderError
from fleet.intake import DishRequest, OrderRequest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[1]


def site_config(tmp: Path, broker_url: str) -> Path:
    text = (ROOT / "config.toml").read_text()
    text = text.replace('map = "maps/bistro.toml"', f'map = "{ROOT / "maps" / "bistro.toml"}"')
    text = text.replace('path = "fleet.db"', f'path = "{tmp / "site.db"}"')
    text = text.replace('url = "embedded"', f'url = "{broker_url}"')
    path = tmp / "site.toml"
    path.write_text(text)
    return path


@pytest.mark.asyncio
@pytest.mark.timeout(120)
async def test_fleet_run_serves_the_api_and_its_will_reports_its_death(
        mosquitto: EmbeddedBroker, tmp_path: Path) -> None:
    config = site_config(tmp_path, mosquitto.url)
    log = (tmp_path / "run.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fleet", "run", "--config", str(config), stdout=log,
        stderr=asyncio.subprocess.STDOUT, cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        async with FleetClient(settings(mosquitto, "dash"), "bistro") as dash, \
                FleetClient(settings(mosquitto, "till-1"), "bistro", role="pos") as till:

            async def until(what: str, cond: object, within: float = 30.0) -> None:
                async with asyncio.timeout(within):
                    while not cond():  # type: ignore[operator]
                        assert proc.returncode is None, (tmp_path / "run.log").read_text()
                        await asyncio.sleep(0.05)

            m = dash.mirror
            await until("the site online", lambda: m.controller_online
                        and set(m.robots) == {"R1", "R2", "R3", "R4"} and m.summary is not None)
            assert m.status is not None and m.status.site == "bistro"
            said = (tmp_path / "run.log").read_text()
            assert f"fleet dashboard --broker {mosquitto.url} --site bistro" in said, \
                "fleet run tells the manager how to open the dashboard"
            assert m.floor is not None and m.floor.name == "bistro"
            assert {p.name for p in m.floor.places} >= {"A1", "pass", "dock 1"}
            pos = ApiPos(till)
            await pos.submit(OrderRequest("T-1", "A1", (DishRequest("soup"),)))
            with pytest.raises(OrderError, match="unknown table"):
                await pos.submit(OrderRequest("T-2", "Z99", (DishRequest("soup"),)))
            await pos.mark_ready("T-1", 0)
            await until("the order seen ready or later", lambda: "T-1" in m.orders
                        and m.orders["T-1"].dishes[0].state != "received")
            reply = await dash.request(BlockTable(table="B1", reason="spill"))
            assert reply.ok, reply.error
            await until("the block in the summary", lambda: m.summary is not None
                        and m.summary.blocked_tables == {"B1": "spill"})
            os.kill(proc.pid, signal.SIGKILL)
            await until("the will says offline", lambda: m.status is not None
                        and not m.status.online, 10.0)
            assert m.connected, "the broker is still there; only the controller died"
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        log.close()
