"""A site in production: broker, links, controller, store and the fleet API
(``fleet/v1/{site.id}/...``), wired from the config.

Robots with ``transport = "mqtt"`` are real VDA 5050 vehicles; those with
``transport = "serial"`` are reached on their own line (``port``, a pyserial URL)
by the serial driver; those with ``transport = "sim"`` are simulated vehicles
started here on the same broker, so a site can be tried end to end before its
robots arrive. The controller holds one kind of link as well as the other.

With the embedded broker every client, ours included, logs in as a user of the
site (``fleet.access``): the controller's two connections and the simulated
vehicles with passwords from the state folder, made on the first run. Against an
external broker we cannot see its ACL, so we try an anonymous publish on the
manager topic before serving, and warn loudly if it gets through.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable

from drivers.mqtt import MqttSettings
from drivers.mqtt.broker import broker_for, check_exposure
from drivers.mqtt.probe import anonymous_publish
from drivers.serial.link import SerialRobotLink
from drivers.serial.port import PortSettings
from drivers.vda5050.master import VdaMaster
from fleet.access.userbook import robot_user
from fleet.api.server import ApiServer
from fleet.api.topics import Topics
from fleet.assembly import build_controller
from fleet.cli.credentials import (
    broker_auth,
    broker_settings,
    listener_tls,
    local_settings,
    prepare_embedded,
)
from fleet.cli.factsheets import configured_capabilities
from fleet.config import Config, RobotConfig
from fleet.errors import LinkError
from fleet.floor import load_floor
from fleet.link import RobotLink
from fleet.runtime import FleetRuntime
from fleet.store import SqliteStore
from sim.mqtt_vehicle import MqttVehicle
from sim.robot import SimRobot
from sim.run import start_cells
from sim.world import World

log = logging.getLogger(__name__)

Ready = Callable[[str, list[str]], None]

def port_settings(robot: RobotConfig) -> PortSettings:
    """The line settings of a serial robot's config (validated there, so that a mistake
    names the file and the robot rather than failing when the port opens)."""
    return PortSettings(baudrate=robot.baudrate, parity=robot.parity, bytesize=robot.bytesize,
                        stopbits=robot.stopbits, open_timeout_s=robot.open_timeout_s,
                        write_timeout_s=robot.write_timeout_s)


async def _check_strangers_refused(settings: MqttSettings, site: str) -> None:
    """Warn, loudly, when an anonymous client can publish a manager's command."""
    topic = Topics(site).request("manager", "fleet-anonymous-probe")
    try:
        verdict, why = await anonymous_publish(settings, topic)
    except LinkError as exc:
        log.warning("could not check that %s refuses anonymous clients: %s", settings.url, exc)
        return
    if verdict == "open":
        log.warning("SECURITY: the broker %s lets ANYONE command this fleet: %s. Give it "
                    "allow_anonymous false and an ACL (fleet users acl prints one; "
                    "docs/operations.md, section 5)", settings.url, why)
    elif verdict == "unknown":
        log.warning("could not check that %s refuses anonymous clients: %s", settings.url, why)
    else:
        log.info("broker %s refuses anonymous commands: %s", settings.url, why)


async def run_site(cfg: Config, until: Awaitable[None], *, on_ready: Ready | None = None) -> None:
    """Serve until ``until`` completes, then shut down in order: the controller stops
    sending, simulated vehicles say OFFLINE, the connection and the broker close."""
    try:
        await _serve_site(cfg, until, on_ready)
    finally:
        if inspect.iscoroutine(until):
            until.close()  # never awaited if start-up failed: close it rather than leak it


async def _serve_site(cfg: Config, until: Awaitable[None], on_ready: Ready | None) -> None:
    embedded = cfg.broker.url == "embedded"
    tls = listener_tls(cfg) if embedded else None
    if embedded:  # refused beyond loopback without TLS: say so before anything is written
        check_exposure(cfg.broker.listen_host, passwords=True, tls=tls is not None)
    book = prepare_embedded(cfg) if embedded else None  # a bad state folder stops us here
    radius = max(m.radius for m in cfg.robot_models)
    plan = load_floor(cfg.map_path, robot_radius=radius)
    models = {cfg.robot_id(r): cfg.model_of(r) for r in cfg.robots}
    store_path = cfg.store.path
    store = SqliteStore(store_path if store_path == ":memory:" else cfg.resolve(store_path))
    loop = asyncio.get_running_loop()
    controller = build_controller(plan, models, store=store, policy=cfg.dispatch.policy,
                                  guest_timeout_s=cfg.dispatch.guest_timeout_s,
                                  cold_food_s=cfg.dispatch.cold_food_s,
                                  stall_abort_s=cfg.dispatch.stall_abort_s,
                                  no_progress_s=cfg.dispatch.no_progress_s, resume=True,
                                  epoch=time.time() - loop.time(), now=loop.time())
    password = cfg.broker_password()
    simulated: list[SimRobot] = []
    try:
        async with contextlib.AsyncExitStack() as stack:
            broker = broker_settings(cfg.broker)
            url = await stack.enter_async_context(
                broker_for(broker, broker_auth(book) if book is not None else None, tls))
            epoch = time.time() - asyncio.get_running_loop().time()

            def settings(client_id: str) -> MqttSettings:
                given = MqttSettings.from_config(broker, url, password=password,
                                                 base_dir=cfg.base_dir, client_id=client_id)
                # The embedded broker knows only the site's users: ours log in as the
                # local user named like the client.
                return given if book is None else local_settings(given, book, client_id)

            if not embedded:
                await _check_strangers_refused(settings(cfg.broker.client_id), cfg.site.id)

            sims = [r for r in cfg.robots if r.transport == "sim"]
            if sims:
                world = World(plan, seed=1)
                for robot_cfg, cell in zip(sims, start_cells(plan, len(sims)), strict=True):
                    rid = cfg.robot_id(robot_cfg)
                    robot = SimRobot(rid, models[rid], world, cell,
                                     minimal=cfg.model(robot_cfg.model).sim_minimal,
                                     vehicle_serial=robot_cfg.serial)
                    simulated.append(robot)
                    await stack.enter_async_context(MqttVehicle(
                        robot, settings(robot_user(rid)),
                        interface=cfg.broker.interface, clock_epoch=epoch,
                        strict=cfg.model(robot_cfg.model).sim_strict))
            master = await stack.enter_async_context(
                VdaMaster(settings(cfg.broker.client_id), interface=cfg.broker.interface,
                          epoch=epoch))
            links: list[RobotLink] = []
            for robot_cfg in cfg.robots:
                rid = cfg.robot_id(robot_cfg)
                model = models[rid]
                fallback = configured_capabilities(cfg, robot_cfg, f"config in {cfg.base_dir}")
                if robot_cfg.transport == "serial":
                    assert robot_cfg.port is not None  # the config checks it
                    links.append(SerialRobotLink(robot_cfg.serial, robot_cfg.port,
                                                 fallback=fallback, robot_id=rid,
                                                 port=port_settings(robot_cfg)))
                else:
                    links.append(master.link(model.manufacturer, robot_cfg.serial,
                                             fallback=fallback, robot_id=rid,
                                             version=model.protocol_version))
            runtime = FleetRuntime(controller, links, strict=False)  # a real site serves on
            async with asyncio.TaskGroup() as tg:
                tg.create_task(runtime.run(), name="runtime")
                await runtime.ready.wait()
                # The fleet API for tills and dashboards, on the same broker; entered on the
                # outer stack so it says "offline" after the runtime has stopped.
                await stack.enter_async_context(ApiServer(
                    runtime, settings(f"{cfg.broker.client_id}-api"), site=cfg.site.id,
                    name=cfg.site.name, epoch=epoch))
                if on_ready is not None:
                    on_ready(url, list(models))
                await until
                runtime.stop()
    finally:
        for robot in simulated:
            robot.close()
        store.close()
