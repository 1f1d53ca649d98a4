"""The device's end of a simulated serial line: a pseudo-terminal or a TCP port.

A driver opens the other end with pyserial exactly as it would real hardware:
the pty's slave path (``/dev/pts/7``, or ``link_path``, a stable symlink such as
udev's ``/dev/serial/by-id/...``) or ``socket://HOST:PORT`` (as behind ser2net).
``unplug``/``replug`` take the line away and bring it back: the driver's side
sees an I/O error or EOF; a new pty gets a new path, which ``link_path`` follows.

Writes never block: bytes wait in a bounded buffer while the reader is slow and
are dropped (counted) beyond it or while nobody is connected, as a UART's are.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tty
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

MAX_UNSENT = 64 * 1024


class LineEnd:
    """One end of a line; ``listen`` is ``"pty"`` or ``"tcp://HOST:PORT"`` (0: any port)."""

    def __init__(self, listen: str, on_data: Callable[[bytes], None], *,
                 link_path: Path | None = None, name: str = "") -> None:
        if listen != "pty" and not listen.startswith("tcp://"):
            raise ValueError(f"listen must be 'pty' or 'tcp://host:port', got {listen!r}")
        self.listen = listen
        self.link_path = link_path
        self.name = name
        self.dropped_bytes = 0
        self._on_data = on_data
        self._out = bytearray()
        self._master: int | None = None
        self._slave: int | None = None
        self._pty_path = ""
        self._server: asyncio.Server | None = None
        self._client: asyncio.StreamWriter | None = None
        self._tcp_port = 0

    @property
    def address(self) -> str:
        """The pyserial URL of the other end."""
        if self.listen == "pty":
            return str(self.link_path) if self.link_path is not None else self._pty_path
        host = self.listen.removeprefix("tcp://").rsplit(":", 1)[0]
        return f"socket://{host}:{self._tcp_port}"

    async def replug(self) -> None:
        """(Re)open the line: a new pty, or the TCP port listening again."""
        await self.unplug()
        if self.listen == "pty":
            self._open_pty()
            return
        host, port = self.listen.removeprefix("tcp://").rsplit(":", 1)
        self._server = await asyncio.start_server(self._serve_client, host,
                                                  self._tcp_port or int(port))
        self._tcp_port = self._server.sockets[0].getsockname()[1]

    async def unplug(self) -> None:
        loop = asyncio.get_running_loop()
        self._out.clear()
        if self._master is not None:
            loop.remove_reader(self._master)
            loop.remove_writer(self._master)
            for fd in (self._master, self._slave):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(2.0):
                    await self._server.wait_closed()
            self._server = None

    async def close(self) -> None:
        await self.unplug()
        if self.link_path is not None:
            with contextlib.suppress(OSError):
                self.link_path.unlink()

    def _open_pty(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing, before anyone opens it
        os.set_blocking(master, False)
        # The slave stays open here too, so the master never reads EIO between drivers.
        self._master, self._slave = master, slave
        self._pty_path = os.ttyname(slave)
        if self.link_path is not None:
            temp = self.link_path.with_name(self.link_path.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
            temp.symlink_to(self._pty_path)
            temp.replace(self.link_path)
        asyncio.get_running_loop().add_reader(master, self._read_pty)

    def _read_pty(self) -> None:
        assert self._master is not None
        try:
            data = os.read(self._master, 4096)
        except BlockingIOError:
            return
        except OSError as exc:
            log.debug("%s: pty read: %s", self.name, exc)
            return
        if data:
            self._on_data(data)

    async def _serve_client(self, reader: asyncio.StreamReader,
                            writer: asyncio.StreamWriter) -> None:
        if self._client is not None:
            self._client.close()  # a new connection takes the line, as with ser2net
        self._client = writer
        try:
            while data := await reader.read(4096):
                self._on_data(data)
        except ConnectionError as exc:
            log.debug("%s: client gone: %s", self.name, exc)
        finally:
            if self._client is writer:
                self._client = None
            writer.close()

    def write(self, data: bytes) -> None:
        if self._client is not None:
            if self._client.transport.get_write_buffer_size() > MAX_UNSENT:
                self.dropped_bytes += len(data)
                return
            self._client.write(data)
            return
        if self._master is None or len(self._out) + len(data) > MAX_UNSENT:
            self.dropped_bytes += len(data)
            return
        pending = bool(self._out)
        self._out += data
        if not pending:
            self._write_pty()

    def _write_pty(self) -> None:
        master = self._master
        if master is None:
            return
        loop = asyncio.get_running_loop()
        try:
            n = os.write(master, self._out)
        except BlockingIOError:
            n = 0
        except OSError as exc:
            log.debug("%s: pty write: %s", self.name, exc)
            self.dropped_bytes += len(self._out)
            n = len(self._out)
        del self._out[:n]
        if self._out:
            loop.add_writer(master, self._write_pty)
        else:
            loop.remove_writer(master)
