"""The broker the links talk to: a real one by URL, or one we start ourselves.

``broker = "embedded"`` (the default config) must give ``fleet demo`` a broker
without a system service. We did not pick the implementation by reputation but
by running ``tests/test_broker_conformance.py`` (the behaviours the controller
relies on: retained connection/factsheet messages for late subscribers, QoS 1,
the last will of a killed client *and* of a silent half-open one, client-id
takeover, retained messages only to matching subscribers, ``+`` wildcards,
payloads over 64 KiB) against each candidate with the same client code:

- ``mosquitto`` 2.0.11 (Debian package), as a child process with a generated
  config: 9 of 9 checks. It publishes a half-open client's will 5.0-5.3 s after
  its last packet for a 2 s keepalive (the spec says 1.5 x = 3 s; Mosquitto 2.0
  checks keepalives on a coarse tick). Publish -> receive round trip over
  loopback, QoS 0, 256 bytes, same client code: p50 0.17-0.19 ms, p99 0.27-0.32 ms.
- ``iotcore`` 0.4.0 (PyPI wheel bundling the Rust broker rumqttd 0.20), as a
  child process with the rumqttd TOML config below: 9 of 9 checks, half-open will
  at 3.0 s; round trip p50 0.31 ms, p99 0.51 ms. Its defaults are not fit: a
  20 KiB payload limit (raised here to 1 MiB) and log segments that grow memory
  unless capped (capped here at 4 x 16 MiB).
- ``amqtt`` 0.12 (pure Python): not offered; the issue's measurement (9 of 20,
  no half-open will, two live sessions per client id, retained messages replayed
  to non-subscribers, 10-40x Mosquitto's CPU per message) rules it out.

A client that opens a socket and never finishes CONNECT (silent, or half a
packet) blocks nobody with either, and is closed by Mosquitto 90-95 s later (2.0
gives such a connection 60 s of keep-alive; no setting changes it) and by
rumqttd after ``connection_timeout_ms`` (10 s here); ``tests/test_half_open.py``.

So: ``mosquitto`` on PATH first (faster, and the broker sites run anyway),
else ``iotcore`` if installed, else a ``ConfigError`` saying what to install.
Either runs as a child process on a free loopback port with its own config and
log file in a temporary directory, never as a system service; ``stop()``
terminates it, then kills it after a timeout.

With ``auth`` (what ``fleet run`` always gives) Mosquitto refuses anonymous
clients, checks the site's password file and ACL (``fleet.access``), and replaces
each client id by the user name, so that no client can take over another's
session by borrowing its id; with ``tls`` its listener speaks mqtts://. rumqttd can
do none of this, so it serves only anonymous use (``fleet demo``). Beyond loopback
it listens only with both: anyone on the network could command the fleet without
the one, and read the passwords without the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import importlib.util
import ipaddress
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from drivers.mqtt.settings import BrokerSettings, parse_broker_url
from fleet.errors import ConfigError, LinkError

log = logging.getLogger(__name__)

BrokerKind = Literal["auto", "mosquitto", "iotcore"]


def die_with_parent() -> None:
    """In the child before exec: ask Linux to SIGTERM it when its parent dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def mosquitto_path() -> str | None:
    """The binary, also where Debian puts it (/usr/sbin) for users whose PATH lacks sbin."""
    return shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/local/sbin")


def available_kinds() -> list[Literal["mosquitto", "iotcore"]]:
    """Broker implementations this machine can run, best first."""
    kinds: list[Literal["mosquitto", "iotcore"]] = []
    if mosquitto_path():
        kinds.append("mosquitto")
    if importlib.util.find_spec("iotcore") is not None:
        kinds.append("iotcore")
    return kinds


@dataclass(frozen=True, slots=True)
class BrokerAuth:
    """The files an authenticating Mosquitto reads (``fleet.access.userbook`` writes them)."""

    password_file: Path
    acl_file: Path
    pid_file: Path | None = None
    """Where Mosquitto writes its pid, so that ``fleet users`` can have it reread the
    users (``reload_users``) without a restart of ``fleet run``."""


@dataclass(frozen=True, slots=True)
class ListenerTls:
    """The certificate and key an embedded Mosquitto's listener presents (mqtts://)."""

    cert_file: Path
    key_file: Path


TLS_HINT = ("set broker.listen_cert_file and broker.listen_key_file (docs/operations.md, "
            "section 5)")


def check_exposure(host: str, *, passwords: bool, tls: bool) -> None:
    """``ConfigError`` for a broker beyond loopback without passwords or without TLS."""
    if is_loopback(host):
        return
    if not passwords:
        raise ConfigError(f"embedded broker: refusing anonymous access on {host} (beyond "
                          f"loopback); {USERS_HINT}")
    if not tls:
        raise ConfigError(f"embedded broker: refusing to listen on {host} (beyond loopback) "
                          f"without TLS, where passwords would cross the network in the "
                          f"clear; {TLS_HINT}")


def reload_users(auth: BrokerAuth) -> int | None:
    """Ask the running Mosquitto that serves ``auth`` to reread its password file and
    ACL (SIGHUP); its pid, or None when none runs. The pid file may be stale and its
    number reused, so the process must be a Mosquitto whose config names this very
    password file (Linux: read from /proc); else nobody is signalled."""
    if auth.pid_file is None:
        return None
    try:
        pid = int(auth.pid_file.read_text(encoding="utf-8").strip())
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except (OSError, ValueError):
        return None
    if "-c" not in argv[:-1] or "mosquitto" not in Path(argv[0]).name:
        return None
    try:
        conf = Path(argv[argv.index("-c") + 1]).read_text(encoding="utf-8")
    except OSError:
        return None
    if f"password_file {auth.password_file}" not in conf.splitlines():
        return None
    try:
        os.kill(pid, signal.SIGHUP)
    except OSError:
        return None
    return pid


USERS_HINT = ("set up users with `fleet users add NAME --role ROLE` and let `fleet run` start "
              "the broker with them (docs/operations.md, section 5)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _mosquitto_config(host: str, port: int, extra: str, auth: BrokerAuth | None = None,
                      tls: ListenerTls | None = None) -> str:
    access = (["allow_anonymous true"] if auth is None else [
        "allow_anonymous false",
        "use_username_as_clientid true",
        f"password_file {auth.password_file}",
        f"acl_file {auth.acl_file}",
        *([f"pid_file {auth.pid_file}"] if auth.pid_file is not None else []),
    ])
    lines = [
        f"listener {port} {host}",
        *([] if tls is None else [f"certfile {tls.cert_file}", f"keyfile {tls.key_file}"]),
        *access,
        "persistence false",
        "set_tcp_nodelay true",
        "max_queued_messages 10000",
        "log_dest stdout",
        "log_type error", "log_type warning", "log_type notice", "log_type information",
        "connection_messages true",
        "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    ]
    if os.geteuid() == 0:
        lines.append("user root")  # else it drops to 'mosquitto' and cannot read tmp files
    return "\n".join(lines) + "\n" + extra + "\n"


def _iotcore_config(host: str, port: int) -> str:
    # Segments capped: rumqttd keeps every message in memory-mapped log segments,
    # and its memory grows without bound unless their size and count are limited.
    return f"""id = 0
[router]
id = 0
max_connections = 1010
max_outgoing_packet_count = 200
max_segment_size = 16777216
max_segment_count = 4

[v4.1]
name = "v4-1"
listen = "{host}:{port}"
next_connection_delay_ms = 1
[v4.1.connections]
connection_timeout_ms = 10000
max_payload_size = 1048576
max_inflight_count = 100
dynamic_filters = true
"""


class EmbeddedBroker:
    """A private broker in a child process; ``async with`` starts and stops it.

    ``port`` None picks a free loopback port. ``extra_config`` is appended to a
    Mosquitto config after its listener line (TLS files, password file), which is
    how the tests run Mosquitto with their own settings. ``auth`` makes it refuse
    anonymous clients and enforce a password file and an ACL; without it, a
    ``host`` beyond loopback is refused (``ConfigError``), since anyone on the network
    could then command the fleet. ``stop()`` and ``start()`` may be called again to
    restart on the same port.
    """

    def __init__(self, *, kind: BrokerKind = "auto", host: str = "127.0.0.1",
                 port: int | None = None, workdir: str | Path | None = None,
                 extra_config: str = "", start_timeout: float = 10.0,
                 stop_timeout: float = 5.0, auth: BrokerAuth | None = None,
                 tls: ListenerTls | None = None) -> None:
        check_exposure(host, passwords=auth is not None, tls=tls is not None)
        kinds = available_kinds()
        if (auth is not None or tls is not None) and kind != "mosquitto":
            if kind == "iotcore" or "mosquitto" not in kinds:
                raise ConfigError("embedded broker: fleet run needs mosquitto to check "
                                  "passwords and the ACL (rumqttd cannot): apt-get install "
                                  "mosquitto, or set broker.url to a broker of your own")
            kind = "mosquitto"
        if kind == "auto":
            if not kinds:
                raise ConfigError("broker.url = 'embedded' needs a broker to start: install "
                                  "mosquitto (apt-get install mosquitto) or `pip install "
                                  "iotcore`, or set broker.url to mqtt://host:port")
            kind = kinds[0]
        elif kind not in kinds:
            raise ConfigError(f"embedded broker: {kind} is not installed here "
                              f"(available: {', '.join(kinds) or 'none'})")
        if extra_config and kind != "mosquitto":
            raise ConfigError(f"embedded broker: extra_config is for mosquitto, not {kind}")
        self.kind: Literal["mosquitto", "iotcore"] = kind
        self.listen_host = host
        self.host = "127.0.0.1" if host == "0.0.0.0" else host
        """Where clients on this machine connect (``url``): on all interfaces, loopback,
        which a certificate for the machine is more likely to name than 0.0.0.0."""
        self.port = port if port is not None else free_port(self.host)
        self._extra = extra_config
        self.auth = auth
        self.tls = tls
        self._start_timeout = start_timeout
        self._stop_timeout = stop_timeout
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"fleet-{kind}-")
            workdir = self._tmp.name
        self.workdir = Path(workdir)
        self.log_path = self.workdir / f"{kind}-{self.port}.log"
        self._process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"{'mqtt' if self.tls is None else 'mqtts'}://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def _command(self) -> list[str]:
        if self.kind == "mosquitto":
            conf = self.workdir / f"mosquitto-{self.port}.conf"
            conf.write_text(_mosquitto_config(self.listen_host, self.port, self._extra, self.auth,
                                              self.tls),
                            encoding="utf-8")
            return [mosquitto_path() or "mosquitto", "-c", str(conf)]
        conf = self.workdir / f"rumqttd-{self.port}.toml"
        conf.write_text(_iotcore_config(self.listen_host, self.port), encoding="utf-8")
        return [sys.executable, "-m", "iotcore", "--config", str(conf), "--log-level", "WARNING"]

    async def start(self) -> None:
        if self._process is not None:
            return
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as logfile:
            # A session of its own: Ctrl-C in the terminal must not kill the broker
            # before the clients it serves have said goodbye through it. And on Linux
            # it dies with us: a controller killed hard leaves no broker behind.
            self._process = await asyncio.create_subprocess_exec(
                *self._command(), stdin=asyncio.subprocess.DEVNULL, stdout=logfile,
                stderr=asyncio.subprocess.STDOUT, start_new_session=True,
                preexec_fn=die_with_parent)
        try:
            async with asyncio.timeout(self._start_timeout):
                while not await self._accepts():
                    if self._process.returncode is not None:
                        raise LinkError(f"embedded broker ({self.kind}) exited with code "
                                        f"{self._process.returncode} during start-up on port "
                                        f"{self.port}:\n{self.log_tail()}")
                    await asyncio.sleep(0.02)
        except TimeoutError:
            await self.stop()
            raise LinkError(f"embedded broker ({self.kind}) did not accept connections on "
                            f"{self.url} within {self._start_timeout:g} s:\n"
                            f"{self.log_tail()}") from None
        except BaseException:
            await asyncio.shield(self.stop())
            raise
        log.info("embedded broker (%s) ready on %s, log %s", self.kind, self.url, self.log_path)

    async def _accepts(self) -> bool:
        try:
            async with asyncio.timeout(1.0):
                _, writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, TimeoutError):
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return True

    async def stop(self) -> None:
        """Terminate, then kill after ``stop_timeout``; safe to call twice."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            async with asyncio.timeout(self._stop_timeout):
                await process.wait()
        except TimeoutError:
            log.warning("embedded broker (%s) ignored SIGTERM; killing it", self.kind)
            process.kill()
            await process.wait()

    async def kill(self) -> None:
        """SIGKILL, as a crash or the OOM killer would: no goodbye to any client, no
        retained state saved. For fault campaigns; ``start`` brings it back."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.kill()
        await process.wait()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await asyncio.shield(self.stop())
        if self._tmp is not None:
            self._tmp.cleanup()


@contextlib.asynccontextmanager
async def broker_for(config: BrokerSettings, auth: BrokerAuth | None = None,
                     tls: ListenerTls | None = None) -> AsyncIterator[str]:
    """The URL to connect to: the configured one, or an embedded broker's for the
    lifetime of the context (``url = "embedded"``). With ``auth`` the embedded broker
    listens where the config says (``listen_host``, ``listen_port``; with ``tls``,
    mqtts://) and authenticates; without, it is anonymous on loopback (``fleet demo``)."""
    if config.url == "embedded":
        host, port = ("127.0.0.1", None) if auth is None else (
            config.listen_host, config.listen_port or None)
        async with EmbeddedBroker(host=host, port=port, auth=auth, tls=tls) as broker:
            yield broker.url
        return
    parse_broker_url(config.url)  # fail early, with the key named
    yield config.url
