"""Brokers for tests: a private Mosquitto per test (free port, own config and log
in tmp_path, never the system service), the embedded broker, TLS and password
files, and raw MQTT clients that misbehave the way vehicles do (killed, silent).

Import the fixture functions to use the fixtures ``broker`` and ``mosquitto``:
``from brokers import broker_fixture, mosquitto_fixture  # noqa: F401``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import struct
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from drivers.mqtt import MqttConnection, MqttSettings, Received
from drivers.mqtt.broker import EmbeddedBroker, available_kinds, mosquitto_path

HAVE_MOSQUITTO = mosquitto_path() is not None
requires_mosquitto = pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed "
                                        "(.ci/run installs it)")
# The embedded default plus every other implementation installed here, so the
# conformance suite measures whatever could be chosen.
BROKER_KINDS = ["mosquitto", "embedded", *(k for k in available_kinds() if k != "mosquitto")]


@pytest_asyncio.fixture(name="mosquitto")
async def mosquitto_fixture(tmp_path: Path) -> AsyncIterator[EmbeddedBroker]:
    if not HAVE_MOSQUITTO:
        pytest.skip("mosquitto is not installed (.ci/run installs it)")
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "mosquitto") as b:
        yield b


@pytest_asyncio.fixture(name="broker", params=BROKER_KINDS)
async def broker_fixture(request: pytest.FixtureRequest,
                 tmp_path: Path) -> AsyncIterator[EmbeddedBroker]:
    """Each broker the controller may meet: Mosquitto, and the embedded default."""
    kind = request.param
    if kind == "mosquitto" and not HAVE_MOSQUITTO:
        pytest.skip("mosquitto is not installed")
    if kind == "embedded" and not available_kinds():
        pytest.skip("no embedded broker implementation installed")
    async with EmbeddedBroker(kind="auto" if kind == "embedded" else kind,
                              workdir=tmp_path / str(kind)) as b:
        yield b


def settings(b: EmbeddedBroker, client_id: str, **kw: object) -> MqttSettings:
    return MqttSettings(host=b.host, port=b.port, client_id=client_id, **kw)  # type: ignore[arg-type]


async def receive(conn: MqttConnection, within: float = 5.0) -> Received:
    async with asyncio.timeout(within):
        return await conn.receive()


async def receive_until(conn: MqttConnection, topic: str,
                        within: float = 5.0) -> list[Received]:
    """Everything up to and including the first message on ``topic``."""
    got: list[Received] = []
    async with asyncio.timeout(within):
        while not got or got[-1].topic != topic:
            got.append(await conn.receive())
    return got


# -- credentials --------------------------------------------------------------

def make_tls_files(d: Path) -> dict[str, Path]:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    d.mkdir(parents=True, exist_ok=True)

    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True, timeout=60)

    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=fleet-ca",
        "-keyout", "ca.key", "-out", "ca.crt")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n", encoding="utf-8")
    for name, ext in (("server", ["-extfile", "san.ext"]), ("client", [])):
        ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN=fleet-{name}",
            "-keyout", f"{name}.key", "-out", f"{name}.csr")
        ssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", *ext)
    return {n: d / n for n in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key")}


def make_password_file(path: Path, user: str, password: str) -> Path:
    if shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto_passwd is not installed")
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(path), user, password], check=True,
                   capture_output=True, timeout=30)
    return path


# -- misbehaving clients --------------------------------------------------------

def _utf8(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


def _remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def connect_packet(client_id: str, keepalive: int, *, will_topic: str | None = None,
                   will_payload: bytes = b"", will_qos: int = 1,
                   will_retain: bool = False) -> bytes:
    """An MQTT 3.1.1 CONNECT, clean session, written by hand so nothing answers PINGs."""
    flags = 0x02
    payload = _utf8(client_id)
    if will_topic is not None:
        flags |= 0x04 | (will_qos << 3) | (0x20 if will_retain else 0)
        payload += _utf8(will_topic) + struct.pack("!H", len(will_payload)) + will_payload
    body = _utf8("MQTT") + bytes([4, flags]) + struct.pack("!H", keepalive) + payload
    return b"\x10" + _remaining_length(len(body)) + body


class RawClient:
    """A TCP client that sends CONNECT, reads CONNACK, then goes silent (half-open)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, b: EmbeddedBroker, packet: bytes, within: float = 5.0) -> RawClient:
        async with asyncio.timeout(within):
            reader, writer = await asyncio.open_connection(b.host, b.port)
            writer.write(packet)
            await writer.drain()
            connack = await reader.readexactly(4)
        assert connack[0] == 0x20 and connack[3] == 0, f"CONNACK refused: {connack!r}"
        return cls(reader, writer)

    async def closed_by_broker(self, within: float = 5.0) -> bool:
        try:
            async with asyncio.timeout(within):
                return await self.reader.read(1) == b""
        except TimeoutError:
            return False
        except ConnectionError:
            return True

    async def close(self) -> None:
        self.writer.close()
        try:
            async with asyncio.timeout(2.0):
                await self.writer.wait_closed()
        except (OSError, TimeoutError):
            pass


_CHILD = """
import sys, time, threading
import paho.mqtt.client as mqtt
host, port, cid, topic = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
up = threading.Event()
c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=cid)
c.on_connect = lambda *a: up.set()
c.will_set(topic, b"OFFLINE-by-will", qos=1, retain=False)
c.connect(host, port, keepalive=60)
c.loop_start()
if not up.wait(10):
    sys.exit("no CONNACK")
print("up", flush=True)
time.sleep(120)
"""


async def killed_client(b: EmbeddedBroker, client_id: str, will_topic: str) -> None:
    """Start a paho client with a last will in a child process, then SIGKILL it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _CHILD, b.host, str(b.port), client_id, will_topic,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(15):
            line = await proc.stdout.readline()
        assert line.strip() == b"up", line
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.returncode is None:
            proc.kill()
        async with asyncio.timeout(10):
            await proc.wait()
