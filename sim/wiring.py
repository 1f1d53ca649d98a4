"""How a simulated site's parts are wired together: the robots' links (in
process, VDA 5050 vehicles on a broker, serial firmware behind a pty), the
broker, the fleet API and the till that orders through it, and the spec of a
controller run in a process of its own. Split from ``sim.run``, which runs the
service and reads its outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleet.clock import ScaledTimeLoop
from fleet.intake import Pos
from fleet.link import Capabilities, RobotLink
from fleet.runtime import FleetRuntime
from sim.controller_process import ControllerProcess, ControllerSpec, RobotSpec
from sim.inproc import InProcLink
from sim.robot import SimRobot

if TYPE_CHECKING:
    from drivers.serial.link import SerialRobotLink
    from drivers.serial.pump import SessionTimings
    from sim.run import SimOptions
    from sim.serial_robot import SerialRobot

async def robot_links(stack: contextlib.AsyncExitStack, opts: SimOptions,
                 robots: list[SimRobot], url: str | None,
                 lines: dict[str, SerialRobot] | None = None) -> list[RobotLink]:
    """In process, or each robot on a wire of its own: a VDA 5050 vehicle on a real
    broker, serial firmware behind a pty, or some of each (``mixed``). Given
    ``lines``, each serial robot's firmware is put there by robot, its pty behind a
    symlink that follows it when the line is unplugged and plugged in again (a fault
    campaign does)."""
    if opts.transport == "inproc":
        return [InProcLink(robot) for robot in robots]
    over_serial = serial_robots(opts, robots)
    links: dict[str, RobotLink] = {}
    mqtt = [r for r in robots if r.serial not in over_serial]
    if mqtt:
        assert url is not None
        links.update(await _mqtt_links(stack, opts, mqtt, url))
    if over_serial:
        links.update(await _serial_links(stack, opts,
                                         [r for r in robots if r.serial in over_serial],
                                         lines))
    return [links[r.serial] for r in robots]


def serial_robots(opts: SimOptions, robots: list[SimRobot]) -> set[str]:
    """The robots on serial lines: a site's own say so; else all (``serial``), every
    second one (``mixed``: R2, R4, ...) or none."""
    if opts.fleet:
        return {f.robot_id for f in opts.fleet if f.transport == "serial"}
    return {r.serial for i, r in enumerate(robots)
            if opts.transport == "serial" or (opts.transport == "mixed" and i % 2)}


async def _mqtt_links(stack: contextlib.AsyncExitStack, opts: SimOptions,
                      robots: list[SimRobot], url: str) -> dict[str, RobotLink]:
    # Imported here: the in-process simulator needs no MQTT library.
    from drivers.mqtt import BrokerSettings, MqttSettings  # noqa: PLC0415
    from drivers.vda5050.master import VdaMaster  # noqa: PLC0415

    timeout = 10.0 * opts.speed  # loop seconds: ten wall seconds at any speed
    epoch = await start_vehicles(stack, opts, robots, url)

    def settings(client_id: str) -> MqttSettings:
        return MqttSettings.from_config(BrokerSettings(url=url), url, client_id=client_id)

    master = await stack.enter_async_context(
        VdaMaster(settings("fleet-controller"), epoch=epoch, timeout=timeout))
    await master.wait_connected(timeout)
    return {r.serial: master.link(r.capabilities.manufacturer, r.capabilities.serial,
                                  fallback=r.capabilities, version=r.model.protocol_version,
                                  robot_id=r.serial)
            for r in robots}


async def start_vehicles(stack: contextlib.AsyncExitStack, opts: SimOptions,
                    robots: list[SimRobot], url: str) -> float:
    """Each robot a VDA 5050 vehicle on the broker; returns the epoch they stamp with
    (wall time minus loop time)."""
    from drivers.mqtt import BrokerSettings, MqttSettings  # noqa: PLC0415
    from sim.mqtt_vehicle import MqttVehicle  # noqa: PLC0415

    timeout = 10.0 * opts.speed  # loop seconds: ten wall seconds at any speed
    epoch = time.time() - asyncio.get_running_loop().time()
    strict = {f.robot_id for f in opts.fleet if f.strict}
    for robot in robots:
        caps = robot.capabilities  # the vehicle's real manufacturer and serial
        client_id = f"{caps.manufacturer}-{caps.serial}"
        vehicle = MqttVehicle(robot, MqttSettings.from_config(BrokerSettings(url=url), url,
                                                              client_id=client_id),
                              clock_epoch=epoch, close_timeout=timeout,
                              strict=robot.serial in strict)
        await stack.enter_async_context(vehicle)
    return epoch


def controller_spec(opts: SimOptions, robots: list[SimRobot], *, url: str, store_path: Path,
                     workdir: Path, epoch: float,
                     lines: dict[str, SerialRobot] | None = None) -> ControllerSpec:
    """What the controller's own process is told: the same controller, links, API and
    floor staff as in process, on the same clock as this process's robots; the robots
    in ``lines`` on their serial lines (the address of each), the rest on the broker."""
    lines = lines or {}
    loop = asyncio.get_running_loop()
    if not isinstance(loop, ScaledTimeLoop):
        raise ValueError("a controller in a process of its own needs the scaled clock")
    return ControllerSpec(
        plan=opts.plan, robots=tuple(RobotSpec(r.capabilities.manufacturer, r.capabilities.serial,
                                               r.capabilities, r.model, robot_id=r.serial,
                                               line=lines[r.serial].address
                                               if r.serial in lines else "")
                                     for r in robots),
        store_path=str(store_path), broker_url=url, site=opts.api_site or "sim",
        site_name=opts.site_name, speed=opts.speed, origin=loop.origin, epoch=epoch,
        final_path=str(workdir / "controller-final.json"), t0=loop.time(), policy=opts.policy,
        guest_timeout_s=opts.guest_timeout_s, cold_food_s=opts.cold_food_s,
        staff_help_s=opts.staff_help_s)


async def start_broker(stack: contextlib.AsyncExitStack, opts: SimOptions) -> tuple[str, Any]:
    """The broker given, or the embedded one (started once, for the links and the API),
    and the embedded broker itself (None for a broker given): a campaign kills it."""
    from drivers.mqtt.broker import EmbeddedBroker  # noqa: PLC0415

    if opts.broker_url is not None:
        return opts.broker_url, None
    broker = await stack.enter_async_context(EmbeddedBroker(kind=opts.broker_kind))
    return broker.url, broker


async def serve_fleet_api(stack: contextlib.AsyncExitStack, opts: SimOptions,
                     runtime: FleetRuntime, url: str | None) -> Pos:
    """The fleet API served on the run's broker, and the kitchen's till speaking it."""
    from drivers.mqtt import BrokerSettings, MqttSettings  # noqa: PLC0415
    from fleet.api.server import ApiServer  # noqa: PLC0415

    if url is None:
        raise ValueError("the fleet API is served over MQTT: use transport 'mqtt' or 'mixed'")
    site = opts.api_site or "sim"
    epoch = time.time() - asyncio.get_running_loop().time()

    def settings(client_id: str) -> MqttSettings:
        return MqttSettings.from_config(BrokerSettings(url=url), url, client_id=client_id)

    wait = 10.0 * opts.speed  # loop seconds: ten wall seconds at any speed
    await stack.enter_async_context(ApiServer(runtime, settings(f"fleet-api-{site}"), site=site,
                                              name=opts.site_name, epoch=epoch,
                                              speed=opts.speed, connect_timeout_s=wait))
    return await api_till(stack, opts, url)


ONLINE_WAIT_S = 120.0
"""Wall seconds a controller process has to come online the first time (imports, the
floor's distance fields, the broker) on a busy machine."""


async def api_till(stack: contextlib.AsyncExitStack, opts: SimOptions, url: str,
                wait_online: ControllerProcess | None = None) -> Pos:
    """The kitchen's till on the fleet API. With ``wait_online``: once that process's
    controller says it is online, and resending long enough to outlast a restart."""
    from drivers.mqtt import BrokerSettings, MqttSettings  # noqa: PLC0415
    from fleet.api.client import FleetClient  # noqa: PLC0415
    from fleet.api.messages import ControllerStatus  # noqa: PLC0415
    from fleet.api.pos import ApiPos  # noqa: PLC0415

    site = opts.api_site or "sim"
    settings = MqttSettings.from_config(BrokerSettings(url=url), url, client_id=f"kitchen-{site}")
    client = await stack.enter_async_context(FleetClient(settings, site,
                                                         client_id=f"kitchen-{site}",
                                                         connect_timeout_s=10.0 * opts.speed))
    if wait_online is None:
        return ApiPos(client, timeout_s=5.0 * opts.speed)
    async def online() -> None:
        async with contextlib.aclosing(client.updates()) as updates:
            async for update in updates:
                if isinstance(update, ControllerStatus) and update.online:
                    return

    heard = asyncio.create_task(online(), name="controller-online")
    gone = asyncio.create_task(wait_online.wait(), name="controller-exit")
    try:
        done, _ = await asyncio.wait((heard, gone), timeout=ONLINE_WAIT_S * opts.speed,
                                     return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (heard, gone):
            task.cancel()
        await asyncio.gather(heard, gone, return_exceptions=True)
    if heard not in done:
        why = (f"exited (code {wait_online.exited})" if gone in done
               else f"did not come online within {ONLINE_WAIT_S:.0f} s")
        raise RuntimeError(f"the controller's process {why}; see {wait_online.workdir}")
    # A restart takes a few wall seconds: a till resends until the controller is back.
    return ApiPos(client, timeout_s=5.0 * opts.speed, retries=12)


async def serial_firmware(stack: contextlib.AsyncExitStack, speed: float,
                          robots: list[SimRobot], folder: Path | None,
                          ) -> dict[str, SerialRobot]:
    """Each robot's firmware behind a pty of its own, by robot; with ``folder``, the pty
    behind a symlink there, which follows it when the line is unplugged and plugged
    in again (the address a driver is given then outlives the pty)."""
    from sim.serial_robot import SerialRobot  # noqa: PLC0415

    lines: dict[str, SerialRobot] = {}
    for robot in robots:
        lines[robot.serial] = await stack.enter_async_context(SerialRobot(
            robot, timings=line_timings(speed),
            link_path=folder / f"robot-{robot.serial}" if folder is not None else None))
    return lines


def line_timings(speed: float) -> SessionTimings:
    """The serial protocol's timers on the scaled clock: wall seconds on a real line, so
    worth ``speed`` times as many loop seconds."""
    from drivers.serial.pump import SessionTimings  # noqa: PLC0415

    return SessionTimings().scaled(speed)


def serial_link(key: str, serial: str, address: str, fallback: Capabilities,
                speed: float) -> SerialRobotLink:
    """The controller's link to one robot's line at ``address`` (on the scaled clock)."""
    from drivers.serial.link import SerialRobotLink  # noqa: PLC0415
    from drivers.serial.port import Backoff  # noqa: PLC0415

    return SerialRobotLink(serial, address, fallback=fallback, timings=line_timings(speed),
                           backoff=Backoff(0.5 * speed, 30.0 * speed), robot_id=key)


async def _serial_links(stack: contextlib.AsyncExitStack, opts: SimOptions,
                        robots: list[SimRobot],
                        lines: dict[str, SerialRobot] | None) -> dict[str, RobotLink]:
    """Each robot's firmware behind a pty of its own; the driver opens the pty's path
    (with ``lines``: a symlink to it, which a new pty replaces)."""
    folder = (Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fleet-lines-")))
              if lines is not None else None)
    firmware = await serial_firmware(stack, opts.speed, robots, folder)
    if lines is not None:
        lines.update(firmware)
    return {r.serial: serial_link(r.serial, r.capabilities.serial, firmware[r.serial].address,
                                  r.capabilities, opts.speed)
            for r in robots}
