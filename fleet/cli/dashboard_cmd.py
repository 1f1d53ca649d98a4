"""``fleet dashboard``: the floor manager's screen, on a site served elsewhere.

It reaches the controller only through the fleet API on the broker: the
retained state (so it starts full whenever it opens) and the manager's commands.
The broker may be down when it starts; the banner says so and it connects when
the broker is back.

Credentials: the config's (``broker.username`` with ``password_env`` or
``password_file``, or ``FLEET_BROKER__...``), else, beside ``fleet run``, the local
dashboard user from the site's state folder. With a user, the client id is the
user name: the site's broker replaces it so anyway, and the ACL grants a
dashboard the reply topic named after its user.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from fleet.config import Config, load_config
from fleet.errors import ConfigError
from fleet.words import LANGS, Lang, choose_language

if TYPE_CHECKING:
    from drivers.mqtt import MqttSettings

DEFAULT_CONFIG = Path("config.toml")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "dashboard", help="the floor manager's live dashboard for a running site",
        description="Follow a site live over the fleet API: the floor map, robots, orders, "
                    "alerts, and the manager's actions (F1 or ? lists the keys, ctrl+p "
                    "finds any action). --broker and --site default to the config's.")
    p.add_argument("--broker", metavar="URL", default=None,
                   help="mqtt://host:port or mqtts://host:port of the site's broker")
    p.add_argument("--site", metavar="ID", default=None, help="the site id (site.id)")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                   help="for the defaults and the broker's credentials and TLS files "
                        "(optional when --broker and --site are given)")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="the language of the screen: en or ko (default: the config's "
                        "site.language, else LC_ALL / LANG, else English)")
    p.set_defaults(run=run_dashboard)


def resolve(args: argparse.Namespace) -> tuple[Config | None, str, str]:
    """(config or None, broker URL, site id) from the arguments; a ConfigError says
    what is missing."""
    cfg: Config | None = None
    if args.config.exists():
        cfg = load_config(args.config)
    elif args.config != DEFAULT_CONFIG or args.broker is None or args.site is None:
        raise ConfigError(f"{args.config}: no such config file (give --broker and --site, or "
                          "--config)")
    site = args.site or (cfg.site.id if cfg is not None else "")
    url = args.broker or (cfg.broker.url if cfg is not None else "")
    if not site:
        raise ConfigError("no site: give --site ID")
    if not url:
        raise ConfigError("no broker: give --broker mqtt://host:port")
    if url == "embedded":
        raise ConfigError("the config's broker is embedded (started by 'fleet run' or 'fleet "
                          "demo'): give its address with --broker mqtt://host:port")
    return cfg, url, site


def settings_for(cfg: Config | None, url: str) -> MqttSettings:
    """How this dashboard connects: the config's credentials, else the local dashboard
    user's (beside ``fleet run``), else none; with a user, the user name as client id."""
    from drivers.mqtt import BrokerSettings, MqttSettings  # noqa: PLC0415  (MQTT only when run)
    from drivers.mqtt.settings import parse_broker_url  # noqa: PLC0415
    from fleet.access.userbook import DASHBOARD_USER  # noqa: PLC0415
    from fleet.api.client import dashboard_client_id  # noqa: PLC0415
    from fleet.cli.credentials import broker_settings, local_book, local_settings  # noqa: PLC0415

    client_id = dashboard_client_id()
    if cfg is None:
        parse_broker_url(url)
        return MqttSettings.from_config(BrokerSettings(url=url), url, client_id=client_id)
    settings = MqttSettings.from_config(broker_settings(cfg.broker), url,
                                        password=cfg.broker_password(),
                                        base_dir=cfg.base_dir, client_id=client_id)
    book = local_book(cfg)
    if book is not None:
        settings = local_settings(settings, book, DASHBOARD_USER)
    if settings.username is not None:
        settings = dataclasses.replace(settings, client_id=settings.username)
    return settings


def run_dashboard(args: argparse.Namespace, console: Console) -> int:
    cfg, url, site = resolve(args)
    settings = settings_for(cfg, url)
    title = (f"fleet: {cfg.site.name if site == cfg.site.id else site}" if cfg is not None
             else f"fleet: {site}")
    lang = choose_language(args.lang, cfg.site.language if cfg is not None else None)
    asyncio.run(_follow(settings, site, title, lang))
    return 0


async def _follow(settings: Any, site: str, title: str, lang: Lang = "en") -> None:
    from fleet.api.client import FleetClient  # noqa: PLC0415
    from fleet.dashboard import build_app  # noqa: PLC0415

    async with FleetClient(settings, site, client_id=settings.client_id,
                           connect_timeout_s=None) as client:
        await build_app(client, title=title, lang=lang).run_async()
