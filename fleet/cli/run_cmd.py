"""``fleet run``: the controller in production.

config -> floor plan -> broker (a real one, or an embedded one) -> a link per
configured robot -> the controller, until SIGINT or SIGTERM. Robots configured
with ``transport = "sim"`` are simulated vehicles started in this process and
reached over the same broker, exactly as real ones would be; robots with
``transport = "serial"`` are reached on their ``port`` by the serial driver.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from pathlib import Path
from typing import Any

from rich.console import Console

from fleet.config import Config, load_config

log = logging.getLogger(__name__)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run", help="run the controller for a site (robots over MQTT or serial lines)",
        description="Run the controller: load the config, connect to the broker (or start the "
                    "embedded one), link every configured robot, and serve until SIGINT or "
                    "SIGTERM. Robots with transport = \"sim\" are simulated vehicles started "
                    "here and reached over the broker like real ones.")
    p.add_argument("--config", type=Path, default=Path("config.toml"))
    p.add_argument("--duration", type=float, default=None, metavar="S",
                   help="stop after this many seconds (for trials and tests)")
    p.set_defaults(run=run_run)


def run_run(args: argparse.Namespace, console: Console) -> int:
    cfg = load_config(args.config)
    return asyncio.run(_serve(cfg, console, args.duration, args.config))


async def _serve(cfg: Config, console: Console, duration: float | None,
                 config: Path = Path("config.toml")) -> int:
    from fleet.cli.site import run_site  # noqa: PLC0415  (loads drivers only when serving)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)

    def ready(url: str, serials: list[str]) -> None:
        console.print(f"fleet: site {cfg.site.id!r} on {url}, robots: {', '.join(serials)}; "
                      "Ctrl-C to stop")
        # Beside the controller the dashboard finds its password through the config.
        where = "" if config == Path("config.toml") else f" --config {config}"
        console.print(f"fleet: the dashboard: fleet dashboard --broker {url} "
                      f"--site {cfg.site.id}{where}", soft_wrap=True)
        if cfg.broker.url == "embedded":
            console.print(f"fleet: broker users in {cfg.state_path / 'broker'} (fleet users "
                          "list; add tills and screens with fleet users add)", soft_wrap=True)

    async def until_stopped() -> None:
        if duration is None:
            await stop.wait()
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(duration):
                await stop.wait()

    await run_site(cfg, until_stopped(), on_ready=ready)
    console.print("fleet: stopped cleanly")
    return 0
