"""Two vendors' robots both called "sim1" on one site, over a real Mosquitto: each is
addressed by its own manufacturer and serial, both serve dishes, and each vehicle
gets only the orders meant for it (issue 13, D10)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from brokers import HAVE_MOSQUITTO
from sitevisit import SIM1_TWICE

from drivers.mqtt import MqttConnection, MqttSettings
from drivers.mqtt.broker import EmbeddedBroker
from fleet.cli import main
from fleet.clock import run
from fleet.config import load_config
from fleet.floor import load_floor
from sim.configured import fleet_of
from sim.run import SimOptions, simulate

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")]
SPEED = 40.0

SITE = """\
[site]
map = "{map}"

[[robot_models]]
name = "ours"
manufacturer = "fleet-sim"
trays = 2

[[robot_models]]
name = "theirs"
manufacturer = "acme"
trays = 2
map_id = "acme-ground"

{robots}"""


def _site_toml(folder: Path) -> Path:
    path = folder / "site.toml"
    path.write_text(SITE.format(map=ROOT / "maps" / "bistro.toml", robots=SIM1_TWICE),
                    encoding="utf-8")
    return path


async def _service(opts: SimOptions) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """The service on a Mosquitto of its own, with a third party recording every
    order published to any vehicle."""
    seen: list[tuple[str, dict[str, Any]]] = []
    async with EmbeddedBroker(kind="mosquitto", start_timeout=10 * SPEED,
                              stop_timeout=5 * SPEED) as broker:
        spy = MqttConnection(MqttSettings(host=broker.host, port=broker.port,
                                          client_id="spy"), timeout=10 * SPEED)
        async with spy:
            await spy.wait_connected(10 * SPEED)
            await spy.subscribe("uagv/v2/+/+/order", qos=0)

            async def record() -> None:
                async for message in spy.messages():
                    seen.append((message.topic, json.loads(message.payload)))

            recorder = asyncio.create_task(record())
            try:
                report = await simulate(dataclasses.replace(opts, broker_url=broker.url))
            finally:
                recorder.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await recorder
    return report, seen


@pytest.mark.timeout(300)
def test_two_makers_sim1_serve_side_by_side_each_with_only_its_own_orders(
        tmp_path: Path) -> None:
    config = _site_toml(tmp_path)
    cfg = load_config(config, env={})
    fleet = fleet_of(cfg)
    assert [(f.robot_id, f.manufacturer, f.serial) for f in fleet] == [
        ("sim1@fleet-sim", "fleet-sim", "sim1"), ("sim1@acme", "acme", "sim1")]
    opts = SimOptions(plan=load_floor(cfg.map_path), model=cfg.robot_model(), fleet=fleet,
                      scenario="lunch-rush", duration_s=600.0, seed=3, faults="none",
                      transport="mqtt", speed=SPEED, drain_s=900.0, staff_help_s=None)
    report, seen = run(_service(opts), clock="scaled", speed=SPEED)

    assert report["violations"] == 0, report.get("violation_examples")
    dishes = report["dishes"]
    assert dishes["ordered"] > 0 and dishes["open"] == 0, dishes
    served = report["served_per_robot"]
    assert served.get("sim1@fleet-sim", 0) > 0 and served.get("sim1@acme", 0) > 0, served
    # Every order went to the vehicle its id was made for, with that vehicle's header.
    by_topic: dict[str, set[str]] = {}
    for topic, body in seen:
        maker, serial = topic.split("/")[2:4]
        assert (body["manufacturer"], body["serialNumber"]) == (maker, serial)
        by_topic.setdefault(maker, set()).add(body["orderId"])
    assert set(by_topic) == {"fleet-sim", "acme"}
    assert all(o.startswith("sim1.acme-") for o in by_topic["acme"]), by_topic
    assert all(o.startswith("sim1.fleet-sim-") for o in by_topic["fleet-sim"]), by_topic
    # acme's vehicle is on its own map: its nodes say so, ours say the default
    for topic, body in seen:
        maps = {n["nodePosition"]["mapId"] for n in body["nodes"] if "nodePosition" in n}
        assert maps <= ({"acme-ground"} if "/acme/" in topic else {"floor"}), maps


@pytest.mark.timeout(300)
def test_fleet_sim_plays_the_configs_own_robots(tmp_path: Path) -> None:
    config = _site_toml(tmp_path)
    out = tmp_path / "report.json"
    code = main(["sim", "--config", str(config), "--transport", "site", "--duration", "10m",
                 "--faults", "none", "--speed", f"{SPEED:g}", "--json", str(out)])
    assert code == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["robots"] == 2 and report["transport"] == "mqtt"
    assert report["violations"] == 0 and report["dishes"]["open"] == 0
    assert set(report["served_per_robot"]) <= {"sim1@fleet-sim", "sim1@acme"}
    assert sum(report["served_per_robot"].values()) > 0, (report["dishes"],
                                                          report["failed_reasons"])
