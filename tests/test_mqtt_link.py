"""The VDA 5050 link over a real broker passes the robot-link contract, with a
simulated vehicle as the peer; and the master survives what vehicles send it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from brokers import HAVE_MOSQUITTO, settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from linkcontract import CHECKS, LinkFactory, Peer
from simkit import MODEL, open_floor

from drivers.mqtt import MqttConnection
from drivers.mqtt.broker import EmbeddedBroker, available_kinds
from drivers.vda5050 import Topic, topic_name
from drivers.vda5050.master import VdaMaster
from fleet.link import RobotLink, StateReceived
from fleet.vda import ConnectionState
from sim.mqtt_vehicle import MqttVehicle
from sim.referee import Referee
from sim.robot import SimRobot
from sim.world import World

pytestmark = pytest.mark.integration

FAST = replace(MODEL, speed=5.0, acceleration=50.0, turn_time=0.05)
ROUTE = [(2, c) for c in range(1, 9)]
KINDS = [k for k in ("mosquitto", "embedded")
         if (k == "mosquitto" and HAVE_MOSQUITTO) or (k == "embedded" and available_kinds())]


def run(coro: Coroutine[Any, Any, None], timeout_s: float = 60.0) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(timeout_s):
            await coro

    asyncio.run(bounded())


@asynccontextmanager
async def site(tmp: Path, kind: str) -> AsyncIterator[tuple[EmbeddedBroker, VdaMaster]]:
    async with EmbeddedBroker(kind="auto" if kind == "embedded" else "mosquitto",
                              workdir=tmp / kind) as broker, \
            VdaMaster(settings(broker, "controller")) as master:
        await master.wait_connected(10.0)
        yield broker, master


def factory(tmp: Path, kind: str, *, minimal: bool = False) -> LinkFactory:
    @asynccontextmanager
    async def make() -> AsyncIterator[tuple[RobotLink, Peer]]:
        plan = open_floor()
        world = World(plan, seed=1, referee=Referee(plan, strict=True),
                      staff_load_s=lambda: 0.2, guest_take_s=lambda: 0.2,
                      guest_absent=lambda: False)
        robot = SimRobot("V1", FAST, world, ROUTE[0], seed=1, minimal=minimal)
        epoch = time.time() - asyncio.get_running_loop().time()
        async with site(tmp, kind) as (broker, master):
            try:
                async with MqttVehicle(robot, settings(broker, "vehicle"),
                                       clock_epoch=epoch, strict=minimal) as vehicle:
                    await vehicle.wait_online(10.0)
                    link = master.link(robot.capabilities.manufacturer, "V1")
                    while master.last_connection(link._vehicle) is None:  # noqa: ASYNC110
                        await asyncio.sleep(0.02)

                    async def set_online(online: bool) -> None:
                        robot.set_online(online)

                    yield link, Peer("V1", plan, ROUTE, set_online, timeout_s=20.0,
                                     rejects_when_offline=False)
            finally:
                robot.close()
    return make


@pytest.mark.skipif(not KINDS, reason="no MQTT broker installed (.ci/run installs mosquitto)")
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_contract(check: Callable[[LinkFactory], Coroutine[Any, Any, None]], kind: str,
                  tmp_path: Path) -> None:
    run(check(factory(tmp_path, kind)))


@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_contract_with_a_minimal_strict_vehicle(
        check: Callable[[LinkFactory], Coroutine[Any, Any, None]], tmp_path: Path) -> None:
    """The vehicle a strict third-party one would be: minimal (standard actions only,
    every node with its map and deviations) and strict on the protocol version."""
    run(check(factory(tmp_path, "mosquitto", minimal=True)))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
                    lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=30)


@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
@hsettings(max_examples=15, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payloads=st.lists(JSON | st.binary(max_size=64), min_size=1, max_size=20),
       serial=st.sampled_from(["V1", "V2", "stranger"]),
       topic=st.sampled_from(["state", "connection", "factsheet", "order", "visualization"]))
def test_hostile_payloads_are_counted_and_never_stop_the_master(
        tmp_path_factory: pytest.TempPathFactory, payloads: list[object], serial: str,
        topic: str) -> None:
    """Random JSON, bytes, wrong types, wrong topics, a payload naming another vehicle:
    all refused and counted, and a good state from the real vehicle still gets through."""
    tmp = tmp_path_factory.mktemp("hostile")

    async def main() -> None:
        async with site(tmp, "mosquitto") as (broker, master):
            link = master.link("fleet-sim", "V1")
            async with link, MqttConnection(settings(broker, "attacker")) as attacker:
                await attacker.wait_connected(5.0)
                name = topic_name("fleet-sim", serial, Topic(topic))
                for payload in payloads:
                    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                    await attacker.publish(name, data)
                good = {"headerId": 1, "timestamp": "2026-11-29T10:00:00.00Z",
                        "version": "2.1.0", "manufacturer": "fleet-sim", "serialNumber": "V1",
                        "orderId": "", "orderUpdateId": 0, "lastNodeId": "r2c1",
                        "lastNodeSequenceId": 0, "nodeStates": [], "edgeStates": [],
                        "driving": False, "actionStates": [],
                        "batteryState": {"batteryCharge": 80.0, "charging": False},
                        "operatingMode": "AUTOMATIC", "errors": [],
                        "safetyState": {"eStop": "NONE", "fieldViolation": False}}
                spoof = dict(good, serialNumber="V2")
                await attacker.publish(topic_name("fleet-sim", "V1", Topic.STATE),
                                       json.dumps(spoof).encode())
                await attacker.publish(topic_name("fleet-sim", "V1", Topic.STATE),
                                       json.dumps(good).encode())
                events = link.events()
                async with asyncio.timeout(10.0):
                    async for event in events:
                        if isinstance(event, StateReceived):
                            assert event.state.serial == "V1"
                            assert event.state.battery.charge == 80.0
                            break
                assert sum(master.rejected.values()) >= 1  # the spoofed state at least
                assert master._pump is not None and not master._pump.done()

    run(main(), 30.0)


@pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")
def test_losing_the_broker_reports_vehicles_offline_and_resyncs(tmp_path: Path) -> None:
    async def main() -> None:
        plan = open_floor()
        world = World(plan, seed=1)
        robot = SimRobot("V1", FAST, world, ROUTE[0], seed=1)
        epoch = time.time() - asyncio.get_running_loop().time()
        try:
            async with site(tmp_path, "mosquitto") as (broker, master), \
                    MqttVehicle(robot, settings(broker, "vehicle"), clock_epoch=epoch) as v:
                await v.wait_online(10.0)
                link = master.link("fleet-sim", "V1")
                async with link:
                    events = link.events()
                    await broker.stop()
                    async with asyncio.timeout(20.0):
                        async for event in events:
                            if getattr(event, "state", None) is ConnectionState.OFFLINE:
                                break
                    await broker.start()
                    async with asyncio.timeout(30.0):
                        async for event in events:
                            if isinstance(event, StateReceived):
                                break
        finally:
            robot.close()

    run(main(), 60.0)
