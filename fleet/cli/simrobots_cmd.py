"""``fleet sim-robots``: simulated VDA 5050 vehicles on a broker, or (``--serial``)
simulated firmware on serial lines, for a controller elsewhere (another process,
another machine) to drive.

N robots share one simulated floor (``sim.world.World``, with a referee) in this
process; each is its own MQTT client (``sim.mqtt_vehicle.MqttVehicle``). The run
lasts until SIGINT or SIGTERM, then every vehicle publishes OFFLINE and
disconnects. With ``--serial`` each robot is ``sim.serial_robot.SerialRobot``
behind a pseudo-terminal (or a TCP port from ``--tcp-port`` on, as behind
ser2net). At start it prints what the controller's config needs (broker,
interface, manufacturer, serials; or each robot's device path or address); then
a status line every few seconds.
The simulator and MQTT are imported when the command runs, so ``--help`` and
the other commands neither wait for them nor break with them.

On the broker of a ``fleet run`` on this machine, each robot logs in as the user
``fleet run`` made for it (``robot-{serial}``, password in the site's state folder)
unless the config names a user; so they may speak only for themselves.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.console import Console

from fleet.cli.sim_cmd import load_setup, positive_int
from fleet.errors import FleetError

if TYPE_CHECKING:
    from drivers.mqtt import MqttSettings
    from fleet.access.userbook import UserBook
    from fleet.config import Config
    from sim.robot import SimRobot
    from sim.serial_robot import SerialRobot

STATUS_EVERY_S = 5.0
"""Wall seconds between status lines."""
CLOSE_TIMEOUT_S = 10.0
"""Wall seconds a vehicle gets to publish OFFLINE and disconnect."""

EPILOG = """\
examples:
  fleet sim-robots --broker embedded --map maps/bistro.toml --count 4
  fleet sim-robots --broker mqtt://10.0.0.5:1883 --map maps/food-court.toml --count 12 \\
      --manufacturer acme --speed 5 --visualization-hz 2
  fleet sim-robots --serial --count 2            # prints /dev/pts/N for each robot
  fleet sim-robots --serial --tcp-port 7000 --count 2   # socket://127.0.0.1:7000, :7001

Stop with Ctrl-C (or SIGTERM): every vehicle publishes OFFLINE before it goes.
"""


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0; got {text!r}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"expected a rate of 0 (off) or more; got {text!r}")
    return value


def register(sub: Any) -> None:
    p = sub.add_parser(
        "sim-robots", help="run simulated robots on an MQTT broker or on serial lines",
        description="Run simulated serving robots as VDA 5050 vehicles, each its own MQTT "
                    "client (or, with --serial, each behind a pseudo-terminal or TCP port), "
                    "on one simulated floor, until interrupted. A controller in another "
                    "process or on another machine drives them.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--broker", metavar="URL",
                   help="mqtt://host:port, mqtts://host:port, or 'embedded' to start a "
                        "broker here and print its URL (required unless --serial)")
    p.add_argument("--serial", action="store_true",
                   help="robots on serial lines instead of MQTT: each behind a pseudo-terminal "
                        "whose path is printed (or a TCP port, see --tcp-port)")
    p.add_argument("--tcp-port", type=positive_int, metavar="PORT",
                   help="with --serial: robots listen on TCP ports PORT, PORT+1, ... "
                        "(socket://HOST:PORT URLs) instead of pseudo-terminals")
    p.add_argument("--host", default="127.0.0.1",
                   help="with --tcp-port: address to listen on (default 127.0.0.1)")
    p.add_argument("--map", type=Path, metavar="PLAN",
                   help="floor plan the robots stand on; the controller must use the same "
                        "(default: site.map from the config)")
    p.add_argument("--config", type=Path, metavar="FILE",
                   help="config for the robot model and broker credentials/TLS (default: "
                        "./config.toml if present, else built-in defaults)")
    p.add_argument("--count", type=positive_int, default=4, metavar="N",
                   help="how many robots (default 4): serials R1..RN")
    p.add_argument("--manufacturer", metavar="NAME",
                   help="VDA 5050 manufacturer (default: the robot model's)")
    p.add_argument("--speed", type=_positive_float, default=1.0, metavar="X",
                   help="simulated time runs X times faster than the wall (default 1)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--interface", default=None, metavar="NAME",
                   help="VDA 5050 interface name, the topics' root (default: broker.interface "
                        "from the config, else uagv)")
    p.add_argument("--visualization-hz", type=_rate, default=0.0, metavar="HZ",
                   help="visualization messages per simulated second per robot (default 0: "
                        "off)")
    p.set_defaults(run=run_sim_robots)


def _settings(cfg: Config, url: str, base_dir: Path) -> MqttSettings:
    from drivers.mqtt import MqttSettings  # noqa: PLC0415  (see the module docstring)
    from fleet.cli.credentials import broker_settings  # noqa: PLC0415

    return MqttSettings.from_config(broker_settings(cfg.broker), url,
                                    password=cfg.broker_password(), base_dir=base_dir)


def _robot_settings(settings: MqttSettings, book: UserBook | None, cfg: Config,
                    manufacturer: str, serial: str) -> MqttSettings:
    """A robot's own credentials from the state folder, when there are any: those of the
    configured robot with this manufacturer and serial (``robot-{its key}``)."""
    if book is None:
        return settings
    from fleet.access.userbook import robot_user  # noqa: PLC0415
    from fleet.cli.credentials import local_settings  # noqa: PLC0415

    key = next((w.robot_id for w in cfg.identities()
                if (w.manufacturer, w.serial) == (manufacturer, serial)), serial)
    return local_settings(settings, book, robot_user(key))


@contextlib.asynccontextmanager
async def _broker(url: str) -> AsyncIterator[str]:
    if url != "embedded":
        yield url
        return
    from drivers.mqtt import EmbeddedBroker  # noqa: PLC0415

    async with EmbeddedBroker() as broker:
        yield broker.url


def config_snippet(url: str, interface: str, manufacturer: str, model: str,
                   serials: list[str], *, protocol_version: str = "2.1.0",
                   map_id: str = "floor") -> str:
    """What the controller's config.toml needs to drive these vehicles (the protocol
    version and map id too: a strict vehicle refuses any other)."""
    lines = ["# controller side, config.toml:", "[broker]", f'url = "{url}"',
             f'interface = "{interface}"', "", "[[robot_models]]", f'name = "{model}"',
             f'manufacturer = "{manufacturer}"', f'protocol_version = "{protocol_version}"',
             f'map_id = "{map_id}"', "# ... speed, trays, battery as here", ""]
    for serial in serials:
        lines += ["[[robots]]", f'serial = "{serial}"', f'model = "{model}"',
                  'transport = "mqtt"', ""]
    return "\n".join(lines)


async def _serve(args: argparse.Namespace, console: Console, cfg: Config,
                 config_dir: Path) -> None:
    from sim.mqtt_vehicle import MqttVehicle  # noqa: PLC0415
    from sim.referee import Referee  # noqa: PLC0415
    from sim.robot import SimRobot  # noqa: PLC0415
    from sim.run import start_cells  # noqa: PLC0415
    from sim.world import World  # noqa: PLC0415

    setup = load_setup(args.map, args.config, "lunch-rush")
    plan, model = setup.plan, setup.model
    strict = cfg.model(model.name).sim_strict
    minimal = cfg.model(model.name).sim_minimal
    if minimal and args.serial:
        # fleet's serial protocol carries no allowedDeviationTheta: a minimal vehicle
        # behind it would refuse every order.
        raise FleetError(f"sim-robots: robot model {model.name!r} has sim_minimal = true, "
                         "which needs MQTT: the serial protocol does not carry "
                         "allowedDeviationTheta; drop --serial or set sim_minimal = false")
    manufacturer = args.manufacturer or model.manufacturer
    interface = args.interface or cfg.broker.interface
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    referee = Referee(plan)
    world = World(plan, seed=args.seed, referee=referee)
    serials = [f"R{i + 1}" for i in range(args.count)]
    try:
        cells = start_cells(plan, args.count)
    except ValueError as exc:
        raise FleetError(f"sim-robots: {exc}") from exc
    robots = [SimRobot(serial, model, world, cell, seed=args.seed * 1000 + i,
                       manufacturer=manufacturer, minimal=minimal)
              for i, (serial, cell) in enumerate(zip(serials, cells, strict=True))]
    epoch = time.time() - loop.time()
    try:
        async with contextlib.AsyncExitStack() as stack:
            if args.serial:
                links = await _serial_robots(args, console, stack, robots, model.name)
                leaving = "stopping"
            else:
                url = await stack.enter_async_context(_broker(args.broker))
                settings = _settings(cfg, url, config_dir)
                console.print(f"broker {url}  interface {interface}  manufacturer "
                              f"{manufacturer}  map {setup.map_path}  speed x{args.speed:g}",
                              soft_wrap=True)
                console.print(f"serials {' '.join(serials)}", soft_wrap=True)
                console.print(config_snippet(url, interface, manufacturer, model.name, serials,
                                             protocol_version=model.protocol_version,
                                             map_id=model.map_id),
                              highlight=False, markup=False, soft_wrap=True)
                book = None
                if args.broker != "embedded":
                    from fleet.cli.credentials import local_book  # noqa: PLC0415

                    book = local_book(cfg)
                links = [await stack.enter_async_context(
                    MqttVehicle(robot, _robot_settings(settings, book, cfg, manufacturer,
                                                       robot.serial),
                                interface=interface,
                                visualization_hz=args.visualization_hz, clock_epoch=epoch,
                                close_timeout=CLOSE_TIMEOUT_S * args.speed, strict=strict))
                         for robot in robots]
                leaving = "stopping: publishing OFFLINE"
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(STATUS_EVERY_S * args.speed):
                        await stop.wait()
                if stop.is_set():
                    break
                online = sum(link.online for link in links)
                moves = sum(r.tally().moves for r in robots)
                console.print(f"{time.strftime('%H:%M:%S')}  online {online}/{len(links)}"
                              f"  moves {moves}  violations {len(referee.violations)}")
            console.print(leaving)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for robot in robots:
            robot.close()


class _Online(Protocol):
    @property
    def online(self) -> bool: ...


def serial_snippet(model: str, manufacturer: str, ports: dict[str, str]) -> str:
    """What the controller's config.toml needs to reach these robots over serial."""
    lines = ["# controller side, config.toml:", "[[robot_models]]", f'name = "{model}"',
             f'manufacturer = "{manufacturer}"', "# ... speed, trays, battery as here", ""]
    for serial, port in ports.items():
        lines += ["[[robots]]", f'serial = "{serial}"', f'model = "{model}"',
                  'transport = "serial"', f'port = "{port}"', ""]
    return "\n".join(lines)


async def _serial_robots(args: argparse.Namespace, console: Console,
                         stack: contextlib.AsyncExitStack, robots: list[SimRobot],
                         model: str) -> list[_Online]:
    from drivers.serial.pump import SessionTimings  # noqa: PLC0415
    from sim.serial_robot import SerialRobot  # noqa: PLC0415

    timings = SessionTimings().scaled(args.speed)
    firmwares = []
    for i, robot in enumerate(robots):
        listen = "pty" if args.tcp_port is None else f"tcp://{args.host}:{args.tcp_port + i}"
        firmwares.append(await stack.enter_async_context(
            SerialRobot(robot, listen=listen, timings=timings)))
    ports = {f.serial: f.address for f in firmwares}
    for serial, port in ports.items():
        console.print(f"{serial}  {port}", soft_wrap=True, highlight=False)
    manufacturer = robots[0].capabilities.manufacturer if robots else ""
    console.print(serial_snippet(model, manufacturer, ports), highlight=False, markup=False,
                  soft_wrap=True)
    return [_FirmwareOnline(f) for f in firmwares]


class _FirmwareOnline:
    """A serial robot counts as online while its session hears a controller."""

    def __init__(self, firmware: SerialRobot) -> None:
        self.firmware = firmware

    @property
    def online(self) -> bool:
        pump = self.firmware.pump
        return pump is not None and pump.alive


def run_sim_robots(args: argparse.Namespace, console: Console) -> int:
    from fleet.clock import run  # noqa: PLC0415
    from fleet.config import Config, load_config  # noqa: PLC0415

    path = args.config or (Path("config.toml") if Path("config.toml").is_file() else None)
    cfg = load_config(path) if path is not None else Config()
    config_dir = path.parent if path is not None else Path()
    if args.serial == (args.broker is not None):
        raise FleetError("give either --broker URL (robots on MQTT) or --serial (robots on "
                         "serial lines)")
    if args.tcp_port is not None and not args.serial:
        raise FleetError("--tcp-port goes with --serial")
    if args.broker is not None and args.broker != "embedded":
        from drivers.mqtt import parse_broker_url  # noqa: PLC0415

        parse_broker_url(args.broker)  # fail before anything starts, with the URL named
    if args.speed == 1.0:
        run(_serve(args, console, cfg, config_dir))
    else:
        run(_serve(args, console, cfg, config_dir), clock="scaled", speed=args.speed)
    return 0
