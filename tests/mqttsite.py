"""A whole site over a real broker: Mosquitto on a free port, simulated robots as
VDA 5050 vehicles (in this process, or ``fleet sim-robots`` in another), the
controller as the master, the runtime as the POS, the referee watching.

Like ``tests/e2e.py`` but nothing is in-process between controller and robots:
every order, instant action, state and connection message crosses the broker.
The loop is a ``ScaledTimeLoop`` (``speed`` times the wall) so that a trip of a
minute costs seconds while MQTT latency stays small against a robot's step.
Every timeout a test passes is in loop seconds.

The test is a third party on the broker too: ``publish_order`` and
``publish_instant`` reach a vehicle directly (as a second master, or an engineer
with a laptop would), to put it in the states the protocol cases need.
``TapRuntime`` records every order the controller sent, so a test can send one
again, byte for byte the same content.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from brokers import settings
from e2e import ONE_TRAY, TraceReferee
from sitebase import SiteView, run_scene

from drivers.mqtt import MqttConnection
from drivers.mqtt.broker import EmbeddedBroker
from drivers.mqtt_races import socket_gone_under_aiomqtt
from drivers.vda5050 import Topic, Vehicle, topic_name
from drivers.vda5050.codec import encode_instant_actions, encode_order
from drivers.vda5050.master import MqttRobotLink, VdaMaster
from fleet.assembly import build_controller
from fleet.clock import run
from fleet.controller.commands import Command, SendInstantActions, SendOrder
from fleet.controller.core import Controller
from fleet.domain import RobotModel
from fleet.domain.events import ROBOT_ERROR_REPORTED, Event
from fleet.floor.model import Cell, FloorPlan
from fleet.intake import DishRequest, OrderRequest
from fleet.runtime import FleetRuntime
from fleet.store import MemoryStore
from fleet.vda import Action, Order
from sim.mqtt_vehicle import MqttVehicle
from sim.robot import SimRobot
from sim.world import World

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]


class TapRuntime(FleetRuntime):
    """The runtime, keeping a copy of every order and instant action it sent."""

    def __init__(self, controller: Controller, links: Sequence[MqttRobotLink]) -> None:
        super().__init__(controller, links)
        self.sent: list[Order] = []
        self.sent_to: dict[str, list[Order]] = {}
        self.instants: dict[str, list[Action]] = {}

    def queue(self, commands: Sequence[Command]) -> list[str]:
        """Every command passes here, the pumps' and the ticker's (``execute``) and
        the fleet API's alike."""
        for command in commands:
            if isinstance(command, SendOrder):
                self.sent.append(command.order)
                self.sent_to.setdefault(command.serial, []).append(command.order)
            elif isinstance(command, SendInstantActions):
                self.instants.setdefault(command.serial, []).extend(command.actions)
        return super().queue(commands)


@dataclass
class Site(SiteView):
    plan: FloorPlan
    broker: EmbeddedBroker
    world: World
    referee: TraceReferee
    robots: dict[str, SimRobot]
    vehicles: dict[str, MqttVehicle]
    master: VdaMaster
    links: dict[str, MqttRobotLink]
    controller: Controller
    runtime: TapRuntime
    operator: MqttConnection
    speed: float
    tmp: Path
    _orders: int = 0
    _headers: int = 1000
    _epoch: float = field(default=0.0)

    def wall(self) -> float:
        return self._epoch + self.now()

    # -- intake, as the POS -------------------------------------------------------------
    async def order(self, table: str, *, dishes: int = 1, ready: bool = True) -> str:
        self._orders += 1
        oid = f"O{self._orders}"
        await self.runtime.submit(OrderRequest(order_id=oid, table=table, dishes=tuple(
            DishRequest(name=f"dish{i + 1}") for i in range(dishes))))
        if ready:
            for i in range(dishes):
                await self.runtime.mark_ready(oid, i)
        return oid

    # -- a third party on the broker ----------------------------------------------------
    def _vehicle(self, serial: str) -> Vehicle:
        return self.links[serial]._vehicle

    async def publish_order(self, serial: str, order: Order) -> None:
        """Straight to the vehicle, not through the controller."""
        self._headers += 1
        vehicle = self._vehicle(serial)
        await self.operator.publish(
            topic_name(vehicle.manufacturer, serial, Topic.ORDER),
            encode_order(order, vehicle, header_id=self._headers, at=self.wall()), 0, False)

    async def publish_instant(self, serial: str, actions: Sequence[Action]) -> None:
        self._headers += 1
        vehicle = self._vehicle(serial)
        await self.operator.publish(
            topic_name(vehicle.manufacturer, serial, Topic.INSTANT_ACTIONS),
            encode_instant_actions(actions, vehicle, header_id=self._headers, at=self.wall()),
            0, False)

    # -- what the controller believes (more in ``SiteView``) -----------------------------
    def all_final(self) -> bool:
        return bool(self.dishes) and all(d.state.final for d in self.dishes)

    def reported(self, error_type: str, serial: str | None = None) -> list[Event]:
        """Robot errors the controller reported, of one VDA 5050 type."""
        return [e for e in self.events(ROBOT_ERROR_REPORTED)
                if f" {error_type}:" in e.text and (serial is None or e.robot == serial)]

    def instants_sent(self, serial: str, action_type: str) -> list[Action]:
        return [a for a in self.runtime.instants.get(serial, ())
                if a.action_type == action_type]

    def describe(self) -> str:
        lines = []
        for serial, rec in sorted(self.controller.robots.items()):
            robot = self.robots.get(serial)
            where = f"r{robot.cell[0]}c{robot.cell[1]}" if robot else "remote"
            lines.append(f"  {serial}: at {where} mode={rec.mode.value} "
                         f"conn={rec.connection.value} "
                         f"trip={rec.trip.trip_id if rec.trip else None} "
                         f"leg={rec.leg.order_id if rec.leg else None} note={rec.note!r}")
        lines += [f"  {d.dish_id} -> {d.table}: {d.state.value} {d.reason!r}"
                  for d in self.dishes]
        lines += [f"  event {e.at:.1f} {e.kind}: {e.text}" for e in self.controller.events[-25:]]
        lines += [f"  violation: {v}" for v in self.referee.violations]
        return "\n".join(lines)


Scene = Callable[[Site], Awaitable[T]]


def run_site(plan: FloorPlan, starts: Mapping[str, Cell], scene: Scene[T], *, tmp: Path,
             speed: float = 10.0, model: RobotModel = ONE_TRAY,
             kinds: Mapping[str, type[SimRobot]] | None = None,
             remote: Mapping[str, RobotModel] | None = None,
             staff_load_s: float = 4.0, guest_take_s: float = 10.0,
             guest_timeout_s: float = 90.0, allow_violations: bool = False,
             strict: bool = False) -> T:
    """Build the site, run ``scene`` on a clock ``speed`` times the wall, tear down.

    ``starts``: in-process vehicles and their cells (``kinds`` may give a serial a
    ``SimRobot`` subclass); ``remote``: serials the controller drives that run
    elsewhere (``sim_robots``), with their models. Links and vehicles speak their
    model's ``protocol_version``; ``strict`` vehicles read nothing else.
    """
    remote = remote or {}

    async def main() -> T:
        loop = asyncio.get_running_loop()
        timeout = 10.0 * speed
        epoch = time.time() - loop.time()
        referee = TraceReferee(plan)
        world = World(plan, seed=1, referee=referee, staff_load_s=lambda: staff_load_s,
                      guest_take_s=lambda: guest_take_s, guest_absent=lambda: False)
        robots = {serial: (kinds or {}).get(serial, SimRobot)(serial, model, world, cell,
                                                             seed=100 + i)
                  for i, (serial, cell) in enumerate(starts.items())}
        outcome: list[T] = []
        try:
            async with contextlib.AsyncExitStack() as stack:
                broker = await stack.enter_async_context(EmbeddedBroker(
                    kind="mosquitto", workdir=tmp / "broker", start_timeout=timeout,
                    stop_timeout=timeout / 2))
                vehicles = {}
                for robot in robots.values():
                    vehicles[robot.serial] = await stack.enter_async_context(MqttVehicle(
                        robot, settings(broker, robot.serial), clock_epoch=epoch,
                        close_timeout=timeout, strict=strict))
                for vehicle in vehicles.values():
                    await vehicle.wait_online(timeout)
                operator = await stack.enter_async_context(
                    MqttConnection(settings(broker, "operator"), timeout=timeout))
                await operator.wait_connected(timeout)
                master = await stack.enter_async_context(
                    VdaMaster(settings(broker, "fleet-controller"), epoch=epoch,
                              timeout=timeout))
                await master.wait_connected(timeout)
                models = {**dict.fromkeys(robots, model), **remote}
                links = {serial: master.link(m.manufacturer, serial,
                                             version=m.protocol_version)
                         for serial, m in models.items()}
                # The retained connection messages first: a link opened before its
                # vehicle's ONLINE is known asks for no state and waits up to 30 s.
                async with asyncio.timeout(timeout):
                    known = [links[s]._vehicle for s in robots]
                    while not all(map(master.last_connection, known)):  # noqa: ASYNC110
                        await asyncio.sleep(0.05)
                controller = build_controller(plan, models, store=MemoryStore(),
                                              guest_timeout_s=guest_timeout_s)
                runtime = TapRuntime(controller, list(links.values()))
                site = Site(plan, broker, world, referee, robots, vehicles, master, links,
                            controller, runtime, operator, speed, tmp, _epoch=epoch)
                outcome.append(await run_scene(runtime, scene(site)))
        finally:
            for robot in robots.values():
                robot.close()
        if not allow_violations:
            assert referee.violations == [], "\n".join(str(v) for v in referee.violations)
        return outcome[0]

    raised: list[BaseException] = []

    async def checked() -> T:
        def handler(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            error = context.get("exception")
            if socket_gone_under_aiomqtt(context):
                return  # aiomqtt's own race when the broker drops the socket (see below)
            raised.append(error if isinstance(error, BaseException)
                          else RuntimeError(str(context.get("message"))))

        asyncio.get_running_loop().set_exception_handler(handler)
        return await main()

    result = run(checked(), clock="scaled", speed=speed)
    if raised:
        raise raised[0]
    return result


# -- vehicles in another process ------------------------------------------------------

@contextlib.asynccontextmanager
async def sim_robots(site: Site, map_path: Path, count: int, config: Path = ROOT / "config.toml",
                     ) -> AsyncIterator[asyncio.subprocess.Process]:
    """``fleet sim-robots`` on the site's broker and clock speed; killed on the way out
    if still running. Its output goes to a log file in the test's directory."""
    log = site.tmp / f"sim-robots-{os.getpid()}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "fleet", "sim-robots", "--broker", site.broker.url,
            "--map", str(map_path), "--config", str(config), "--count", str(count),
            "--speed", f"{site.speed:g}", stdin=asyncio.subprocess.DEVNULL, stdout=out,
            stderr=asyncio.subprocess.STDOUT, cwd=site.tmp,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        yield proc
    finally:
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGKILL)
        async with asyncio.timeout(10.0 * site.speed):
            await proc.wait()
