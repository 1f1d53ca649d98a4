"""``fleet demo``: what a newcomer runs first.

One command brings up a whole site on the default config: the embedded broker,
the controller serving the fleet API, simulated robots (VDA 5050 vehicles on the
broker), a simulated kitchen ordering through the API as a till would, guests,
faults, and the floor manager's dashboard following it all live.

The site runs in a child process (``fleet sim --transport mqtt --api ...``) on a
clock ``--speed`` times faster than the wall, and the dashboard in this one,
talking to the controller only through the broker, exactly as a manager's
screen does in a restaurant. ``--headless`` runs the site in this process for
``--duration`` and prints progress lines and the final report; ``--web`` serves
the dashboard to a browser instead of the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import queue
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
from rich.console import Console

from fleet.cli.lang import Speaker
from fleet.cli.output import print_problems, summary_table
from fleet.cli.sim_cmd import clock, coloured, duration_arg, positive_int, problems_of
from fleet.config import Config, load_config
from fleet.errors import FleetError, FloorPlanError, Severity
from fleet.floor import FloorPlan, check_floor
from fleet.words import LANGS, Lang, Phrase, choose_language

EPILOG = """\
examples:
  fleet demo                       the dashboard in this terminal (q quits, ? lists the keys)
  fleet demo --speed 5             five simulated seconds per second
  fleet demo --headless --duration 30m    no terminal: progress lines and the report
  fleet demo --web --port 8000     the dashboard in a browser at http://localhost:8000
  fleet demo --map maps/bulgogi-house.toml --lang ko    a Korean restaurant, in Korean
"""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo", help="a whole simulated site with the live dashboard (start here)",
        description="Start the embedded broker, the controller with its fleet API, simulated "
                    "robots, a simulated kitchen and guests, and the floor manager's dashboard, "
                    "on the default config. Nothing to install or configure besides this "
                    "package.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", type=Path, default=Path("config.toml"))
    p.add_argument("--speed", type=float, default=None, metavar="X",
                   help="simulated seconds per wall second (default 3 with the dashboard, "
                        "watchable; 10 with --headless)")
    p.add_argument("--duration", type=duration_arg, default=None, metavar="TIME",
                   help="how long guests keep arriving, e.g. 30m, 2h (default: 2h, or 20m "
                        "with --headless)")
    p.add_argument("--robots", type=positive_int, default=None, metavar="N",
                   help="simulated robots (default: as many as the config lists)")
    p.add_argument("--scenario", default="counter", metavar="NAME",
                   help="the kind of service: counter (default: dishes from the first "
                        "minutes), lunch-rush, dinner, quiet")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--headless", action="store_true",
                   help="no dashboard: run the site here, print progress and the report "
                        "(for machines without a terminal)")
    p.add_argument("--web", action="store_true",
                   help="serve the dashboard to a browser (textual-serve) instead of this "
                        "terminal")
    p.add_argument("--map", type=Path, default=None, metavar="FILE",
                   help="the floor plan to serve (default: the config's site.map)")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="the dashboard's language: en or ko (default: the config's "
                        "site.language, else LC_ALL / LANG, else English)")
    p.add_argument("--host", default="localhost",
                   help="with --web: address to listen on (0.0.0.0: every interface, for "
                        "tablets on the LAN)")
    p.add_argument("--port", type=int, default=8000, help="with --web: port (default 8000)")
    p.set_defaults(run=run_demo)


def _checked_plan(cfg: Config, console: Console) -> FloorPlan:
    radius = max(m.radius for m in cfg.robot_models)
    plan, problems = check_floor(cfg.map_path, robot_radius=radius)
    errors = [p for p in problems if p.severity is Severity.ERROR]
    if plan is None or errors:
        raise FloorPlanError(errors or problems)
    print_problems(console, problems)
    return plan


def _said(args: argparse.Namespace, key: str, /, **values: str) -> str:
    """The demo's own lines in the chosen language (``args.chosen_lang``); its errors
    and the simulation's report stay in English."""
    return Phrase.of(key, **values).render(args.chosen_lang)


def run_demo(args: argparse.Namespace, console: Console) -> int:
    args.chosen_lang = choose_language(args.lang)
    if not (args.headless or args.web or (sys.stdin.isatty() and sys.stdout.isatty())):
        console.print(Phrase.of("fleet demo: no terminal here, so no dashboard: running "
                                "--headless").render(args.chosen_lang))
        args.headless = True
    if args.speed is None:
        args.speed = 10.0 if args.headless else 3.0
    if args.speed <= 0:
        raise FleetError(f"--speed must be above 0; got {args.speed}")
    cfg = load_config(args.config)
    if args.map is not None:
        if not args.map.is_file():
            raise FleetError(f"--map {args.map}: no such file")
        site = msgspec.structs.replace(cfg.site, map=str(args.map.resolve()))
        cfg = msgspec.structs.replace(cfg, site=site)
    args.chosen_lang = choose_language(args.lang, cfg.site.language)
    robots = args.robots or max(1, len(cfg.robots))
    if args.headless:
        console = Console(no_color=True, highlight=False, width=160)
        plan = _checked_plan(cfg, console)
        console.print(Phrase.of(
            "{name} (site {site}): {robots} simulated robots, {scenario}, speed x{speed}",
            name=cfg.site.name, site=cfg.site.id, robots=str(robots), scenario=args.scenario,
            speed=f"{args.speed:g}").render(args.chosen_lang))
        console.print(summary_table(plan, None, Speaker(args.chosen_lang)))
        return _headless(args, cfg, plan, robots, console)
    _checked_plan(cfg, console)
    if args.web:
        _check_port(args.host, args.port)
    return _live(args, cfg, robots, console)


def _check_port(host: str, port: int) -> None:
    """Fail before starting the site when the web port cannot be had (in use, not ours
    to take, an address not on this machine), rather than in the server's child."""
    if not 0 < port < 65536:
        raise FleetError(f"--port must be 1..65535; got {port}")
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise FleetError(f"cannot serve the dashboard on {host}:{port}: "
                         f"{exc.strerror or exc}; pick another --port") from exc


# -- headless -----------------------------------------------------------------------
def _headless(args: argparse.Namespace, cfg: Config, plan: FloorPlan, robots: int,
              console: Console) -> int:
    from fleet.api.snapshot import summary  # noqa: PLC0415
    from fleet.controller.port import FleetPort  # noqa: PLC0415
    from sim.report import format_report  # noqa: PLC0415
    from sim.run import SimOptions, run_simulation  # noqa: PLC0415

    every = 120.0
    next_line = [every]

    def watch(controller: Any, sim_s: float) -> None:
        if sim_s < next_line[0]:
            return
        next_line[0] = sim_s + every
        s = summary(FleetPort(controller), site=cfg.site.id, name=cfg.site.name,
                    now=asyncio.get_running_loop().time(), speed=args.speed, deadlocks_broken=0)
        wait = "-" if s.mean_wait_15min_s is None else f"{s.mean_wait_15min_s:.0f} s"
        console.print(Phrase.of(
            "{clock}  served {served} in 15 min, mean wait {wait}; waiting {waiting}, on "
            "robots {on_robots}; robots {active} on trips, {charging} charging, {faulted} "
            "faulted, {offline} offline", clock=clock(sim_s), served=f"{s.served_15min:3d}",
            wait=wait, waiting=str(s.dishes_waiting), on_robots=str(s.dishes_on_robots),
            active=str(s.active), charging=str(s.charging), faulted=str(s.faulted),
            offline=str(s.offline)).render(args.chosen_lang))

    opts = SimOptions(plan=plan, model=cfg.robot_model(), robots=robots,
                      scenario=args.scenario, duration_s=args.duration or 1200.0,
                      seed=args.seed, transport="mqtt", speed=args.speed,
                      api_site=cfg.site.id, site_name=cfg.site.name, stop_on_signal=True,
                      watch=watch)
    console.print(Phrase.of("starting the embedded broker, the controller and {robots} "
                            "robots ...", robots=str(robots)).render(args.chosen_lang))
    report = run_simulation(opts)
    console.print(coloured(report, format_report(report)), highlight=False, soft_wrap=True)
    failures = [] if report.get("stopped_early") else problems_of(report)
    for failure in failures:
        console.print(f"fleet demo: {failure}")
    return 1 if failures else 0


# -- live: site in a child, dashboard here ---------------------------------------------
def _site_command(args: argparse.Namespace, cfg: Config, robots: int, url: str) -> list[str]:
    duration = args.duration or 7200.0
    return [sys.executable, "-m", "fleet", "sim", "--transport", "mqtt", "--api",
            "--broker", url, "--config", str(args.config), "--map", str(cfg.map_path),
            "--robots", str(robots), "--scenario", args.scenario,
            "--duration", f"{duration:.0f}", "--speed", f"{args.speed:g}",
            "--seed", str(args.seed)]


@contextlib.contextmanager
def _site(args: argparse.Namespace, cfg: Config, robots: int) -> Iterator[tuple[str, Path]]:
    """The broker (held by a thread of its own, so the dashboard may own the main
    thread's loop) and the site's process; stopped in reverse order, on Ctrl-C and
    SIGTERM too. The children watch this process and stop if it is killed."""
    from drivers.mqtt.broker import broker_for  # noqa: PLC0415
    from fleet.cli.credentials import broker_settings  # noqa: PLC0415

    urls: queue.Queue[str | BaseException] = queue.Queue()
    done = threading.Event()

    async def hold() -> None:
        try:
            async with broker_for(broker_settings(cfg.broker)) as url:
                urls.put(url)
                await asyncio.to_thread(done.wait)
        except BaseException as exc:
            urls.put(exc)
            raise

    thread = threading.Thread(target=asyncio.run, args=(hold(),), name="demo-broker",
                              daemon=True)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    thread.start()
    try:
        got = urls.get(timeout=60)
        if isinstance(got, BaseException):
            raise FleetError(f"the embedded broker did not start: {got}") from got
        log_path = Path(tempfile.gettempdir()) / f"fleet-demo-{os.getpid()}.log"
        with log_path.open("w", encoding="utf-8") as log_file:
            child = subprocess.Popen(_site_command(args, cfg, robots, got), stdout=log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
            try:
                yield got, log_path
            finally:
                _stop(child)
    finally:
        done.set()
        thread.join(timeout=30)
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends the demo as Ctrl-C does: every ``finally`` runs, children stop."""
    raise KeyboardInterrupt


def _live(args: argparse.Namespace, cfg: Config, robots: int, console: Console) -> int:
    log_path: Path | None = None
    try:
        with _site(args, cfg, robots) as (url, log_path):
            if args.web:
                _serve_web(args, cfg, url, console)
            else:
                asyncio.run(_dashboard(cfg, url, args.chosen_lang))
    except KeyboardInterrupt:
        console.print(_said(args, "fleet demo: interrupted; the site stopped"))
    if log_path is not None:
        console.print(_said(args, "the site's log and report: {path}", path=str(log_path)))
        console.print(_tail(log_path, 40), highlight=False, soft_wrap=True, markup=False)
    return 0


async def _dashboard(cfg: Config, url: str, lang: Lang) -> None:
    from drivers.mqtt import MqttSettings  # noqa: PLC0415
    from fleet.api.client import FleetClient, dashboard_client_id  # noqa: PLC0415
    from fleet.cli.credentials import broker_settings  # noqa: PLC0415
    from fleet.dashboard import build_app  # noqa: PLC0415

    client_id = dashboard_client_id()
    settings = MqttSettings.from_config(broker_settings(cfg.broker), url, client_id=client_id,
                                        base_dir=cfg.base_dir)
    async with FleetClient(settings, cfg.site.id, client_id=client_id) as client:
        await build_app(client, title=f"fleet: {cfg.site.name}", lang=lang).run_async()


def _serve_web(args: argparse.Namespace, cfg: Config, url: str, console: Console) -> None:
    """textual-serve in a child of its own (it owns its loop and signals), until it ends
    or the demo is interrupted."""
    command = shlex.join([sys.executable, "-m", "fleet", "dashboard", "--broker", url,
                          "--site", cfg.site.id, "--config", str(args.config),
                          "--lang", args.chosen_lang])
    web = subprocess.Popen([sys.executable, "-m", "fleet.dashboard.web", "--host", args.host,
                            "--port", str(args.port), "--title", f"fleet: {cfg.site.name}",
                            command], stdout=subprocess.DEVNULL, start_new_session=True)
    console.print(_said(args, "the dashboard is at {url} (Ctrl-C stops the demo)",
                        url=f"http://{reachable(args.host)}:{args.port}"))
    try:
        web.wait()
    finally:
        _stop(web, timeout=10)


def reachable(host: str) -> str:
    """The address to open for ``--host``: listening on every interface (0.0.0.0,
    ::), this machine's LAN address, which a tablet can reach, else localhost."""
    if host not in ("0.0.0.0", "::", ""):
        return f"[{host}]" if ":" in host else host
    from fleet.dashboard.web import lan_address  # noqa: PLC0415

    return lan_address() or "localhost"


def _stop(child: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """SIGTERM (the site ends its service early, with its report); kill if it hangs."""
    if child.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _tail(path: Path, lines: int) -> str:
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])
