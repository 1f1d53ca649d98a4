"""Simulated VDA 5050 vehicles on a real Mosquitto: what a master sees of them.

The test plays the master with a plain MQTT client and the codec; the vehicle
is a ``SimRobot`` behind ``MqttVehicle`` on wall time, with a fast robot model
and quick staff and guests so that every test takes about a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from brokers import mosquitto_fixture, settings  # noqa: F401  (pytest fixture)
from linkcontract import make_order
from simkit import MODEL, open_floor

from drivers.mqtt import MqttConnection, Received
from drivers.mqtt.broker import EmbeddedBroker
from drivers.vda5050 import (
    VERSION,
    Topic,
    Vehicle,
    decode_connection,
    decode_factsheet,
    decode_state,
    encode_instant_actions,
    encode_order,
    topic_name,
)
from fleet.domain import RobotModel
from fleet.floor.model import Cell
from fleet.vda import Action, ActionStatus, BlockingType, ConnectionState, Order, RobotState
from sim.mqtt_vehicle import MqttVehicle
from sim.referee import Referee
from sim.robot import SimRobot
from sim.world import World

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]
ROOT = Path(__file__).resolve().parents[1]
FAST = replace(MODEL, speed=5.0, acceleration=50.0, turn_time=0.05)
ROW = [(2, c) for c in range(1, 11)]
MAKER = "fleet-sim"


class Master:
    """The controller's side of one vehicle, by hand: publish, and read what arrives."""

    def __init__(self, conn: MqttConnection, serial: str, maker: str = MAKER) -> None:
        self.conn = conn
        self.serial = serial
        self.maker = maker
        self.header_id = 0
        self.version = VERSION
        """The VDA 5050 version this master writes."""

    @property
    def vehicle(self) -> Vehicle:
        return Vehicle(self.maker, self.serial, self.version)

    def topic(self, topic: Topic) -> str:
        return topic_name(self.maker, self.serial, topic)

    async def order(self, order: Order) -> None:
        self.header_id += 1
        await self.conn.publish(self.topic(Topic.ORDER), encode_order(
            order, self.vehicle, header_id=self.header_id, at=time.time()))

    async def instant(self, *actions: Action) -> None:
        self.header_id += 1
        await self.conn.publish(self.topic(Topic.INSTANT_ACTIONS), encode_instant_actions(
            actions, self.vehicle, header_id=self.header_id, at=time.time()))

    async def next_on(self, topic: Topic, within: float = 5.0) -> Received:
        """The next message on ``topic`` (of any vehicle the master listens to)."""
        async with asyncio.timeout(within):
            while True:
                message = await self.conn.receive()
                if message.topic.endswith("/" + topic.value):
                    return message

    async def state(self, want: Callable[[RobotState], bool], within: float = 5.0,
                    seen: list[RobotState] | None = None) -> RobotState:
        """The first state (decoded, so valid) for which ``want`` holds."""
        async with asyncio.timeout(within):
            while True:
                message = await self.next_on(Topic.STATE, within)
                state = decode_state(message.payload, message.topic).body
                if seen is not None:
                    seen.append(state)
                if want(state):
                    return state

    async def connection(self, within: float = 5.0) -> tuple[ConnectionState, bool]:
        message = await self.next_on(Topic.CONNECTION, within)
        return decode_connection(message.payload, message.topic).body, message.retained


@contextlib.asynccontextmanager
async def master(b: EmbeddedBroker, serial: str = "V1",
                 maker: str = MAKER) -> AsyncIterator[Master]:
    async with MqttConnection(settings(b, f"master-{serial}-{time.monotonic_ns()}")) as conn:
        await conn.wait_connected(5.0)
        await conn.subscribe(f"uagv/v2/{maker}/{serial}/#")
        yield Master(conn, serial, maker)


def world() -> World:
    plan = open_floor()
    return World(plan, seed=1, referee=Referee(plan, strict=True),
                 staff_load_s=lambda: 0.2, guest_take_s=lambda: 0.2, guest_absent=lambda: False)


@contextlib.asynccontextmanager
async def vehicle(b: EmbeddedBroker, cell: Cell = ROW[0], serial: str = "V1",
                  visualization_hz: float = 0.0, *, model: RobotModel = FAST,
                  strict: bool = False) -> AsyncIterator[MqttVehicle]:
    robot = SimRobot(serial, model, world(), cell, seed=1)
    epoch = time.time() - asyncio.get_running_loop().time()
    try:
        async with MqttVehicle(robot, settings(b, "ignored"), clock_epoch=epoch,
                                visualization_hz=visualization_hz, strict=strict) as v:
            await v.wait_online(5.0)
            yield v
    finally:
        robot.close()


def errors(state: RobotState) -> set[str]:
    return {e.error_type for e in state.errors}


def order_of(cells: list[Cell], order_id: str = "o1", *, released: int | None = None,
             update_id: int = 0) -> Order:
    return make_order(open_floor(), order_id, cells, released=released, update_id=update_id)


async def test_online_and_factsheet_are_retained_for_a_late_master(
        mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20), vehicle(mosquitto) as v:
        assert v.settings.client_id == "fleet-sim-V1"
        async with master(mosquitto) as m:
            got: dict[str, Received] = {}
            async with asyncio.timeout(5):
                while len(got) < 2:
                    message = await m.conn.receive()
                    if message.retained:
                        got[message.topic.rsplit("/", 1)[1]] = message
        online = got["connection"]
        assert decode_connection(online.payload, online.topic).body is ConnectionState.ONLINE
        sheet = got["factsheet"]
        assert decode_factsheet(sheet.payload, sheet.topic).body == v.robot.capabilities


async def test_an_order_is_driven_and_its_states_show_progress(
        mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20), master(mosquitto) as m, vehicle(mosquitto) as v:
        await m.order(order_of(ROW[:4]))
        seen: list[RobotState] = []
        done = await m.state(lambda s: s.order_id == "o1" and not s.node_states
                             and s.last_node_id == "r2c4" and not s.driving, seen=seen)
        passed = [s.last_node_id for s in seen if s.order_id == "o1"]
        assert passed.index("r2c2") < passed.index("r2c3") < passed.index("r2c4")
        assert not errors(done)
        assert v.robot.cell == ROW[3]
        assert v.counters.rejected == 0


async def test_garbage_on_the_order_topic_is_a_validation_error(
        mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20), master(mosquitto) as m, vehicle(mosquitto) as v:
        await m.conn.publish(m.topic(Topic.ORDER), b'{"orderId": [1, 2')
        state = await m.state(lambda s: bool(s.errors))
        assert errors(state) == {"validationError"}
        assert v.counters.rejected == 1
        # a good order clears it, and the vehicle still works
        await m.order(order_of(ROW[:2]))
        state = await m.state(lambda s: s.last_node_id == "r2c2" and not s.node_states)
        assert not errors(state)


def with_deviation(order: Order, xy: float | None = 0.25) -> Order:
    return replace(order, nodes=tuple(
        replace(n, position=replace(n.position, allowed_deviation_xy=xy))
        if n.position is not None else n for n in order.nodes))


async def test_a_strict_2_0_vehicle_refuses_what_it_cannot_read(
        mosquitto: EmbeddedBroker) -> None:
    """What a third-party 2.0.0-only vehicle refuses: a 2.1 header (the controller's
    hard-coded version before issue 13), instant actions under the 2.1 key, and a
    node without allowedDeviationXY; each a validationError in its state."""
    model = replace(FAST, protocol_version="2.0.0")
    async with (asyncio.timeout(20), master(mosquitto) as m,
                vehicle(mosquitto, model=model, strict=True) as v):
        first = json.loads((await m.next_on(Topic.STATE)).payload)
        assert first["version"] == "2.0.0" and first["orderId"] == ""  # it speaks 2.0 itself

        await m.order(with_deviation(order_of(ROW[:3], "o21")))  # version 2.1.0
        state = await m.state(lambda s: bool(s.errors))
        assert errors(state) == {"validationError"} and state.order_id == ""
        assert "2.1.0 is not compatible with this vehicle's 2.0.0" in state.errors[0].description

        m.version = "2.0.0"
        await m.order(with_deviation(order_of(ROW[:3], "bare"), None))  # no allowedDeviationXY
        state = await m.state(lambda s: any("allowedDeviationXY" in e.description
                                            for e in s.errors))
        assert state.order_id == ""

        # 2.0.0 in the header, but the list under the 2.1 key
        m.header_id += 1
        await m.conn.publish(m.topic(Topic.INSTANT_ACTIONS), json.dumps({
            "headerId": m.header_id, "timestamp": "2024-01-01T00:00:00.00Z",
            "version": "2.0.0", "manufacturer": MAKER, "serialNumber": "V1",
            "actions": [{"actionId": "p1", "actionType": "startPause",
                         "blockingType": "NONE"}]}).encode())
        state = await m.state(lambda s: any("instantActions" in e.description
                                            for e in s.errors))
        assert not state.paused and v.counters.rejected == 3

        # what a 2.0 master writes is taken: the order, then a pause under instantActions
        await m.order(with_deviation(order_of(ROW[:3], "o20")))
        state = await m.state(lambda s: s.order_id == "o20" and s.last_node_id == "r2c3"
                              and not s.node_states)
        assert not errors(state)
        await m.instant(Action("startPause", "p2", BlockingType.NONE))
        state = await m.state(lambda s: s.paused)
        assert v.counters.rejected == 3


async def test_the_acceptance_flow_rejects_what_the_spec_says(
        mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20), master(mosquitto) as m, vehicle(mosquitto):
        # first node not where it stands
        await m.order(order_of(ROW[4:7], "far"))
        state = await m.state(lambda s: bool(s.errors))
        assert errors(state) == {"orderError"}
        assert state.order_id == ""
        # base r2c1..r2c2, horizon beyond: the robot waits at r2c2, busy with o1
        await m.order(order_of(ROW[:5], released=2, update_id=3))
        held = await m.state(lambda s: s.order_id == "o1" and s.last_node_id == "r2c2"
                             and not s.driving)
        assert not errors(held) and held.order_update_id == 3
        await m.order(order_of(ROW[:5], released=2, update_id=1))
        state = await m.state(lambda s: bool(s.errors))
        assert errors(state) == {"orderUpdateError"}
        assert state.order_update_id == 3
        await m.order(order_of([ROW[1], (3, 2)], "o2"))
        state = await m.state(lambda s: "orderError" in errors(s))
        assert state.order_id == "o1"
        # a resend of the current update is ignored: no new error, nothing changes
        await m.order(order_of(ROW[:5], released=2, update_id=3))
        await m.instant(Action("stateRequest", "sr1"))
        state = await m.state(lambda s: any(a.action_id == "sr1" for a in s.action_states))
        assert errors(state) == {"orderUpdateError", "orderError"}
        assert (state.order_update_id, state.last_node_id) == (3, "r2c2")
        assert [n.node_id for n in state.node_states] == ["r2c3", "r2c4", "r2c5"]


async def test_cancel_without_an_order_fails_with_no_order_to_cancel(
        mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20), master(mosquitto) as m, vehicle(mosquitto):
        await m.instant(Action("cancelOrder", "c1"))
        state = await m.state(lambda s: any(a.action_id == "c1" for a in s.action_states))
        (cancel,) = [a for a in state.action_states if a.action_id == "c1"]
        assert cancel.status is ActionStatus.FAILED
        assert "noOrderToCancel" in errors(state)


async def test_a_factsheet_request_republishes_the_factsheet(
        mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20), master(mosquitto) as m, vehicle(mosquitto) as v:
        await m.next_on(Topic.FACTSHEET)  # the retained one
        await m.instant(Action("factsheetRequest", "f1"))
        sheet = await m.next_on(Topic.FACTSHEET)
        assert not sheet.retained  # a live publish, not the broker's copy
        assert decode_factsheet(sheet.payload, sheet.topic).body == v.robot.capabilities


async def test_visualization_at_the_configured_rate(mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20), master(mosquitto) as m, vehicle(
            mosquitto, visualization_hz=20.0):
        first = await m.next_on(Topic.VISUALIZATION)
        stamps = [first.at]
        for _ in range(5):
            stamps.append((await m.next_on(Topic.VISUALIZATION)).at)
        assert 0.03 < (stamps[-1] - stamps[0]) / 5 < 0.2


async def test_a_clean_close_leaves_offline_retained(mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20):
        async with vehicle(mosquitto):
            pass
        async with master(mosquitto) as m:
            assert await m.connection() == (ConnectionState.OFFLINE, True)


async def test_a_disconnect_fault_fires_the_will_and_the_vehicle_comes_back(
        mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(20), master(mosquitto) as m, vehicle(mosquitto) as v:
        assert await m.connection() == (ConnectionState.ONLINE, False)  # live, not retained
        v.robot.set_online(False)
        state, _ = await m.connection()
        assert state is ConnectionState.CONNECTIONBROKEN  # published by the broker
        assert not v.online
        v.robot.set_online(True)
        assert (await m.connection())[0] is ConnectionState.ONLINE
        await v.wait_online(5.0)
        assert v.counters.sessions == 2
        await m.order(order_of(ROW[:2]))
        await m.state(lambda s: s.last_node_id == "r2c2" and not s.node_states)


async def test_after_a_broker_restart_the_vehicle_announces_itself_again(
        mosquitto: EmbeddedBroker) -> None:
    async with asyncio.timeout(30), vehicle(mosquitto) as v:
        await mosquitto.stop()  # no persistence: the retained ONLINE is gone with it
        await mosquitto.start()
        async with master(mosquitto) as late:
            # retained or live, depending on who reconnects first: either way, announced anew
            assert (await late.connection(within=15))[0] is ConnectionState.ONLINE
            await v.wait_online(5.0)
            await late.order(order_of(ROW[:2]))
            await late.state(lambda s: s.last_node_id == "r2c2" and not s.node_states)
        assert v.counters.sessions == 1  # the same client reconnected


async def _start_sim_robots(b: EmbeddedBroker, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "fleet", "sim-robots", "--broker", b.url,
        "--map", str(ROOT / "maps" / "bistro.toml"), "--config", str(ROOT / "config.toml"),
        *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def _read_until(proc: asyncio.subprocess.Process, prefix: bytes) -> bytes:
    assert proc.stdout is not None
    while True:
        line = await proc.stdout.readline()
        assert line, f"sim-robots ended: {(await proc.communicate())[1].decode()[-2000:]}"
        if line.startswith(prefix):
            return line


async def test_a_killed_vehicle_process_leaves_connection_broken(
        mosquitto: EmbeddedBroker) -> None:
    proc = await _start_sim_robots(mosquitto, "--count", "1", "--manufacturer", "killed")
    try:
        async with asyncio.timeout(30), master(mosquitto, "R1", "killed") as m:
            await _read_until(proc, b"serials")
            assert (await m.connection(within=15))[0] is ConnectionState.ONLINE
            os.kill(proc.pid, signal.SIGKILL)
            await proc.wait()
            assert await m.connection() == (ConnectionState.CONNECTIONBROKEN, False)
        async with asyncio.timeout(10), master(mosquitto, "R1", "killed") as late:
            assert await late.connection() == (ConnectionState.CONNECTIONBROKEN, True)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.communicate()


async def test_sim_robots_prints_serials_and_stops_cleanly_on_sigterm(
        mosquitto: EmbeddedBroker) -> None:
    proc = await _start_sim_robots(mosquitto, "--count", "2", "--speed", "5")
    try:
        async with asyncio.timeout(30), master(mosquitto, "+") as m:
            line = await _read_until(proc, b"serials")
            assert line.split() == [b"serials", b"R1", b"R2"]
            online: set[str] = set()
            while len(online) < 2:
                message = await m.next_on(Topic.CONNECTION, within=15)
                if decode_connection(message.payload, message.topic).body is \
                        ConnectionState.ONLINE:
                    online.add(message.topic.split("/")[3])
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            _, err = await proc.communicate()
            assert proc.returncode == 0, err.decode()[-2000:]
            assert time.monotonic() - started < 5.0
            offline: set[str] = set()
            while len(offline) < 2:
                message = await m.next_on(Topic.CONNECTION)
                if decode_connection(message.payload, message.topic).body is \
                        ConnectionState.OFFLINE:
                    offline.add(message.topic.split("/")[3])
            assert online == offline == {"R1", "R2"}
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.communicate()
