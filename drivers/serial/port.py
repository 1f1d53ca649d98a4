"""Byte streams over pyserial URLs, on the running asyncio loop.

``open_port`` opens anything pyserial's ``serial_for_url`` takes: a device path
(``/dev/ttyUSB0``, ``/dev/serial/by-id/...``, a pty), ``socket://host:port``
(ser2net, a radio modem's TCP bridge), ``rfc2217://host:port``, ``loop://``.
``PortStream`` then moves bytes without blocking the loop and tells its owner
once, through ``on_lost``, that the line is gone (unplugged, EOF, an I/O error).

Why no pyserial-asyncio: a port with a file descriptor (device paths, ptys and
``socket://``, i.e. every transport in production) is watched with
``loop.add_reader``/``add_writer`` and read and written with pyserial's own
non-blocking calls (``timeout = write_timeout = 0``), which is all such a
library does, without another dependency; it works on every selector loop,
including the scaled and virtual clocks of ``fleet.clock``. The handlers with
no descriptor (``rfc2217://``, ``loop://``) get one reader thread each, which
hands bytes to the loop with ``call_soon_threadsafe``; their writes are short
and bounded by ``write_timeout_s``.

Reconnecting is not done here: the link's supervisor decides when to reopen
(``Backoff`` gives it capped, jittered delays).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import serial

from fleet.errors import LinkError

log = logging.getLogger(__name__)

Parity = Literal["N", "E", "O", "M", "S"]
MAX_READ = 4096
"""Bytes taken from the port per wake-up."""


@dataclass(frozen=True, slots=True)
class PortSettings:
    """How to open a line. Timeouts are wall seconds (pyserial's own)."""

    baudrate: int = 115200
    parity: Parity = "N"
    bytesize: int = 8
    stopbits: float = 1
    open_timeout_s: float = 5.0
    """Opening a device or connecting to ``socket://``; longer is a failed attempt."""
    write_timeout_s: float = 1.0
    """For handlers without a descriptor: how long one write may block the loop."""
    max_buffer: int = 64 * 1024
    """Bytes waiting to be written; beyond this the line counts as stuck (lost)."""

    def __post_init__(self) -> None:
        if self.baudrate <= 0:
            raise ValueError(f"baudrate must be > 0, got {self.baudrate}")
        if self.bytesize not in (5, 6, 7, 8):
            raise ValueError(f"bytesize must be 5..8, got {self.bytesize}")
        if self.stopbits not in (1, 1.5, 2):
            raise ValueError(f"stopbits must be 1, 1.5 or 2, got {self.stopbits}")
        if self.parity not in ("N", "E", "O", "M", "S"):
            raise ValueError(f"parity must be one of N E O M S, got {self.parity!r}")


class PortLost(LinkError):  # noqa: N818 (an event of the line, named as one)
    """Raised when a port cannot be opened, or passed to ``on_lost`` when it goes away."""


def open_port(url: str, settings: PortSettings) -> Any:
    """Open ``url`` with pyserial (blocking: call it off the loop); ``PortLost`` if not."""
    try:
        port = serial.serial_for_url(
            url, baudrate=settings.baudrate, parity=settings.parity,
            bytesize=settings.bytesize, stopbits=settings.stopbits, timeout=0,
            write_timeout=0, do_not_open=True)
        if _has_fd_kind(url):
            port.exclusive = True  # a second controller on one robot is a configuration error
        port.open()
    except (serial.SerialException, OSError, ValueError) as exc:
        raise PortLost(f"cannot open {url}: {exc}") from exc
    return port


def _has_fd_kind(url: str) -> bool:
    return "://" not in url


async def open_port_async(url: str, settings: PortSettings) -> Any:
    """``open_port`` in a worker thread, bounded by ``open_timeout_s`` (wall seconds)."""
    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, open_port, url, settings)
    try:
        done, _ = await asyncio.wait({future}, timeout=_loop_seconds(settings.open_timeout_s))
    except asyncio.CancelledError:
        future.add_done_callback(_close_result)
        raise
    if not done:
        future.add_done_callback(_close_result)  # the thread finishes on its own
        raise PortLost(f"cannot open {url}: no answer within {settings.open_timeout_s:g} s")
    return future.result()


def _close_result(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is None:
        with contextlib.suppress(Exception):
            future.result().close()


def _loop_seconds(wall_s: float) -> float:
    """Wall seconds in the running loop's time (``ScaledTimeLoop`` has a ``speed``)."""
    return wall_s * float(getattr(asyncio.get_running_loop(), "speed", 1.0))


def _fileno(port: Any) -> int | None:
    try:
        fd = port.fileno()
    except (AttributeError, NotImplementedError, serial.SerialException, OSError):
        return None
    return fd if isinstance(fd, int) and fd >= 0 else None


class PortStream:
    """An open port moving bytes on the loop. See the module docstring.

    ``on_data`` gets every chunk read, on the loop; ``on_lost`` is called once
    when the line goes (never after ``close``). ``write`` never blocks a port
    with a descriptor: bytes wait in a bounded buffer.
    """

    def __init__(self, port: Any, url: str, *, on_data: Callable[[bytes], None],
                 on_lost: Callable[[PortLost], None], settings: PortSettings) -> None:
        self.url = url
        self._port = port
        self._on_data = on_data
        self._on_lost = on_lost
        self._settings = settings
        self._loop = asyncio.get_running_loop()
        self._out = bytearray()
        self._closed = False
        self._fd = _fileno(port)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.bytes_in = 0
        self.bytes_out = 0
        if self._fd is not None:
            self._loop.add_reader(self._fd, self._read_ready)
        else:
            port.timeout = 0.05
            port.write_timeout = settings.write_timeout_s
            self._thread = threading.Thread(target=self._read_thread, daemon=True,
                                            name=f"serial-reader:{url}")
            self._thread.start()

    @property
    def closed(self) -> bool:
        return self._closed

    # -- reading ------------------------------------------------------------------------
    def _read_ready(self) -> None:
        try:
            data = self._port.read(MAX_READ)
        except (serial.SerialException, OSError) as exc:
            self._lose(f"read failed: {exc}")
            return
        if data:
            self._deliver(bytes(data))

    def _read_thread(self) -> None:
        port = self._port
        while not self._stop.is_set():
            try:
                data = port.read(max(1, min(MAX_READ, port.in_waiting)))
            except Exception as exc:  # any failure of a handler ends the line, on the loop
                if not self._stop.is_set():
                    self._threadsafe(self._lose, f"read failed: {exc}")
                return
            if data:
                self._threadsafe(self._deliver, bytes(data))

    def _threadsafe(self, fn: Callable[..., None], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody to tell
            self._loop.call_soon_threadsafe(fn, *args)

    def _deliver(self, data: bytes) -> None:
        if self._closed:
            return
        self.bytes_in += len(data)
        self._on_data(data)

    # -- writing ------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        """Queue ``data``; ``PortLost`` if the port is closed."""
        if self._closed:
            raise PortLost(f"{self.url} is closed")
        if not data:
            return
        if self._fd is None:
            try:
                self._port.write(data)
            except Exception as exc:  # timeouts and handler failures alike end the line
                self._lose(f"write failed: {exc}")
                return
            self.bytes_out += len(data)
            return
        pending = bool(self._out)
        if len(self._out) + len(data) > self._settings.max_buffer:
            self._lose(f"{len(self._out)} bytes not taken by the line")
            return
        self._out += data
        if not pending:
            self._write_ready()

    def _write_ready(self) -> None:
        assert self._fd is not None
        try:
            n = self._port.write(bytes(self._out))
        except (serial.SerialException, OSError) as exc:
            self._lose(f"write failed: {exc}")
            return
        n = int(n or 0)
        self.bytes_out += n
        del self._out[:n]
        if self._out:
            self._loop.add_writer(self._fd, self._write_ready)
        else:
            self._loop.remove_writer(self._fd)

    # -- ending -------------------------------------------------------------------------
    def _lose(self, reason: str) -> None:
        if self._closed:
            return
        log.info("serial line %s lost: %s", self.url, reason)
        self.close()
        self._on_lost(PortLost(f"{self.url}: {reason}"))

    def close(self) -> None:
        """Stop watching and close the port (idempotent; never raises)."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            self._loop.remove_writer(self._fd)
        with contextlib.suppress(Exception):
            if self._thread is not None:
                self._port.cancel_read()
        with contextlib.suppress(Exception):
            self._port.close()


@dataclass(slots=True)
class Backoff:
    """Capped exponential backoff with jitter, for reopening a line.

    Delays are ``min(cap, base * 2**attempt)`` scaled by a random factor in
    [0.5, 1], so robots behind one ser2net box do not all retry in step.
    """

    base_s: float = 0.5
    cap_s: float = 30.0
    rng: random.Random | None = None
    attempt: int = 0

    def next_delay(self) -> float:
        rng = self.rng or random
        delay = min(self.cap_s, self.base_s * 2.0 ** min(self.attempt, 30))
        self.attempt += 1
        return delay * rng.uniform(0.5, 1.0)

    def reset(self) -> None:
        self.attempt = 0
