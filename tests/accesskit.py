"""A site with users, for the access tests: a config in a temporary folder, its
user book, and (for the broker tests) connections that log in as one of them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from drivers.mqtt import MqttConnection, MqttSettings, Received
from drivers.mqtt.broker import EmbeddedBroker
from fleet.access.userbook import UserBook
from fleet.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent

CONFIG = """\
[site]
id = "bistro"
map = "{map}"

[[robot_models]]
name = "tray-bot"
manufacturer = "acme"

[[robots]]
serial = "R1"
model = "tray-bot"
transport = "mqtt"

[[robots]]
serial = "R2"
model = "tray-bot"
transport = "sim"

[[robots]]
serial = "S1"
model = "tray-bot"
transport = "serial"
port = "/dev/null"
"""

PASSWORDS = {"till-1": "pw-till-1", "till-2": "pw-till-2", "boss": "pw-boss",
             "wall": "pw-wall", "tablet": "pw-tablet"}
ROLES = {"till-1": "pos", "till-2": "pos", "boss": "manager", "wall": "observer",
         "tablet": "dashboard"}


def site_config(folder: Path) -> Config:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.toml"
    path.write_text(CONFIG.format(map=ROOT / "maps" / "bistro.toml"), encoding="utf-8")
    return load_config(path, env={})


def site_users(cfg: Config) -> UserBook:
    """fleet run's own users plus a user of every other role, saved."""
    book = UserBook.open(cfg)
    book.provision_local(cfg)
    for name, password in PASSWORDS.items():
        book.add(name, ROLES[name], password)
    book.save(cfg)
    return book


def password_of(book: UserBook, name: str) -> str:
    return PASSWORDS.get(name) or book.local_password(name) or ""


@contextlib.asynccontextmanager
async def login(broker: EmbeddedBroker, user: str | None, password: str | None = None, *,
                client_id: str | None = None) -> AsyncIterator[MqttConnection]:
    """A connection as ``user`` (None: anonymous), connected, or ``LinkError``."""
    settings = MqttSettings(host=broker.host, port=broker.port, username=user,
                            password=password, client_id=client_id or user or "anonymous")
    async with MqttConnection(settings) as conn:
        await conn.wait_connected(5.0)
        yield conn


async def until_topic(conn: MqttConnection, topic: str, within: float = 5.0) -> list[Received]:
    """Everything ``conn`` receives up to and including the first message on ``topic``."""
    got: list[Received] = []
    async with asyncio.timeout(within):
        while not got or got[-1].topic != topic:
            got.append(await conn.receive())
    return got
