"""``fleet sim-robots``: simulated VDA 5050 vehicles on a broker, for a controller
elsewhere (another process, another machine) to drive.

N robots share one simulated floor (``sim.world.World``, with a referee) in this
process; each is its own MQTT client (``sim.mqtt_vehicle.MqttVehicle``). The run
lasts until SIGINT or SIGTERM, then every vehicle publishes OFFLINE and
disconnects. At start it prints what the controller's config needs (broker,
interface, manufacturer, serials); then a status line every few seconds.
The simulator and MQTT are imported when the command runs, so ``--help`` and
the other commands neither wait for them nor break with them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from fleet.cli.sim_cmd import load_setup, positive_int
from fleet.errors import FleetError

if TYPE_CHECKING:
    from drivers.mqtt import MqttSettings
    from fleet.config import Config

STATUS_EVERY_S = 5.0
"""Wall seconds between status lines."""
CLOSE_TIMEOUT_S = 10.0
"""Wall seconds a vehicle gets to publish OFFLINE and disconnect."""

EPILOG = """\
examples:
  fleet sim-robots --broker embedded --map maps/bistro.toml --count 4
  fleet sim-robots --broker mqtt://10.0.0.5:1883 --map maps/food-court.toml --count 12 \\
      --manufacturer acme --speed 5 --visualization-hz 2

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
        "sim-robots", help="run simulated VDA 5050 robots on an MQTT broker",
        description="Run simulated serving robots as VDA 5050 vehicles, each its own MQTT "
                    "client, on one simulated floor, until interrupted. A controller in "
                    "another process or on another machine drives them over the broker.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--broker", required=True, metavar="URL",
                   help="mqtt://host:port, mqtts://host:port, or 'embedded' to start a "
                        "broker here and print its URL")
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

    return MqttSettings.from_config(cfg.broker, url, password=cfg.broker_password(),
                                    base_dir=base_dir)


@contextlib.asynccontextmanager
async def _broker(url: str) -> AsyncIterator[str]:
    if url != "embedded":
        yield url
        return
    from drivers.mqtt import EmbeddedBroker  # noqa: PLC0415

    async with EmbeddedBroker() as broker:
        yield broker.url


def config_snippet(url: str, interface: str, manufacturer: str, model: str,
                   serials: list[str]) -> str:
    """What the controller's config.toml needs to drive these vehicles."""
    lines = ["# controller side, config.toml:", "[broker]", f'url = "{url}"',
             f'interface = "{interface}"', "", "[[robot_models]]", f'name = "{model}"',
             f'manufacturer = "{manufacturer}"', "# ... speed, trays, battery as here", ""]
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
                       manufacturer=manufacturer)
              for i, (serial, cell) in enumerate(zip(serials, cells, strict=True))]
    epoch = time.time() - loop.time()
    try:
        async with _broker(args.broker) as url, contextlib.AsyncExitStack() as stack:
            settings = _settings(cfg, url, config_dir)
            console.print(f"broker {url}  interface {interface}  manufacturer {manufacturer}  "
                          f"map {setup.map_path}  speed x{args.speed:g}", soft_wrap=True)
            console.print(f"serials {' '.join(serials)}", soft_wrap=True)
            console.print(config_snippet(url, interface, manufacturer, model.name, serials),
                          highlight=False, markup=False, soft_wrap=True)
            vehicles = [await stack.enter_async_context(
                MqttVehicle(robot, settings, interface=interface,
                            visualization_hz=args.visualization_hz, clock_epoch=epoch,
                            close_timeout=CLOSE_TIMEOUT_S * args.speed))
                        for robot in robots]
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(STATUS_EVERY_S * args.speed):
                        await stop.wait()
                if stop.is_set():
                    break
                online = sum(v.online for v in vehicles)
                moves = sum(r.tally().moves for r in robots)
                console.print(f"{time.strftime('%H:%M:%S')}  online {online}/{len(vehicles)}"
                              f"  moves {moves}  violations {len(referee.violations)}")
            console.print("stopping: publishing OFFLINE")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        for robot in robots:
            robot.close()


def run_sim_robots(args: argparse.Namespace, console: Console) -> int:
    from fleet.clock import run  # noqa: PLC0415
    from fleet.config import Config, load_config  # noqa: PLC0415

    path = args.config or (Path("config.toml") if Path("config.toml").is_file() else None)
    cfg = load_config(path) if path is not None else Config()
    config_dir = path.parent if path is not None else Path()
    if args.broker != "embedded":
        from drivers.mqtt import parse_broker_url  # noqa: PLC0415

        parse_broker_url(args.broker)  # fail before anything starts, with the URL named
    if args.speed == 1.0:
        run(_serve(args, console, cfg, config_dir))
    else:
        run(_serve(args, console, cfg, config_dir), clock="scaled", speed=args.speed)
    return 0
