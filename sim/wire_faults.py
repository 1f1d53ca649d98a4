"""The campaign's faults below the messages (``fleet chaos``): serial lines and
half-open sockets.

Tested on their own (``tests/test_serial_hostile.py``, ``tests/test_half_open.py``),
they are also what a real floor has while the rest goes wrong, so the campaign
injects them beside the broker's faults and the hostile payloads:

- **garbage on a serial line**: a burst of broken frames (wrong CRC, cut short,
  oversized, random bytes, another protocol version, nonsense control frames,
  ``sim.hostile_frames.line_frames``) written by a robot's end of its pty, as a
  miswired or noisy line would deliver them to the controller's serial link. Each
  must be refused with its reason and none may stop the next good frame;
- **a serial line dropped**: the robot's pty taken away (the driver sees EOF or
  an I/O error) and a new one plugged in after a drawn time, as a USB adapter
  pulled and put back; the driver must find it again (through the symlink that
  follows the new pty) and the robot carry on;
- **half-open sockets**: TCP connections to the broker that never finish CONNECT
  (silent, or half a CONNECT packet), held until the broker closes them or the
  service ends. They must keep nobody else waiting.

Everything random comes from the campaign's generator, so a seed replays it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections import Counter
from collections.abc import Iterable, Mapping
from random import Random
from typing import TYPE_CHECKING, Any

from fleet.link import RobotLink
from sim.hostile_frames import line_frames

if TYPE_CHECKING:
    from drivers.mqtt.broker import EmbeddedBroker
    from sim.serial_robot import SerialRobot

log = logging.getLogger(__name__)

BURST = 20
"""Broken frames in one burst of garbage on a line."""
LINE_DOWN_S = (2.0, 15.0)
"""How long a dropped serial line stays unplugged, in site seconds (drawn)."""
REOPEN_WAIT_S = 120.0
"""Site seconds a dropped line's driver has to open the new pty before the campaign
goes on without it (and says so); the driver's backoff is capped at 30 wall s."""


def half_connect(client_id: str) -> bytes:
    """The first half of an MQTT 3.1.1 CONNECT (clean session, keep-alive 30 s): a
    client that began and never finished."""
    def utf8(text: str) -> bytes:
        raw = text.encode()
        return struct.pack("!H", len(raw)) + raw

    body = utf8("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 30) + utf8(client_id)
    packet = b"\x10" + bytes([len(body)]) + body  # the body is under 128 bytes
    return packet[:len(packet) // 2]


class WireFaults:
    """Serial line faults on ``lines`` (each robot's firmware end, by robot) and
    half-open sockets on ``broker``; counts what it did in ``injected``, the
    campaign's counter."""

    def __init__(self, rng: Random, injected: Counter[str], *, seed: int,
                 lines: Mapping[str, SerialRobot], broker: EmbeddedBroker) -> None:
        self._rng = rng
        self.injected = injected
        self.lines = dict(lines)
        self.broker = broker
        self._frames = line_frames(seed)
        self._held: list[asyncio.Task[None]] = []
        self.closed_by_broker_s: list[float] = []
        """Wall seconds from opening to the broker closing each half-open socket."""
        self.opened = 0
        self.reopened_s: list[float] = []
        """Site seconds from each dropped line's new pty to the driver speaking on it."""

    def _line(self) -> tuple[str, SerialRobot]:
        if not self.lines:
            raise ValueError("serial line faults need robots on serial lines")
        robot = self._rng.choice(sorted(self.lines))
        return robot, self.lines[robot]

    def garbage(self) -> None:
        """A burst of broken frames from one robot's end of its line, one whose session
        with the controller is up: bytes on a line nobody has open are no test of the
        controller (a line just plugged in again may not be reopened yet)."""
        if not self.lines:
            raise ValueError("serial line faults need robots on serial lines")
        up = sorted(r for r, f in self.lines.items() if f.pump is not None and f.pump.alive)
        if not up:
            self.injected["serial: garbage not sent (no line up)"] += 1
            return
        robot = self._rng.choice(up)
        firmware = self.lines[robot]
        burst = b"".join(self._next_frame() for _ in range(BURST))
        firmware.line.write(burst)
        self.injected["serial: garbage frames"] += BURST
        log.info("chaos: %d broken frames on robot %s's line", BURST, robot)

    def _next_frame(self) -> bytes:
        _, data = next(self._frames)
        return data

    async def drop(self) -> None:
        """One robot's line unplugged, then plugged in again after a drawn time."""
        robot, firmware = self._line()
        await firmware.unplug()
        self.injected["serial: line dropped"] += 1
        down = self._rng.uniform(*LINE_DOWN_S)
        log.info("chaos: robot %s's line unplugged for %.1f site s", robot, down)
        try:
            await asyncio.sleep(down)
        finally:
            await firmware.replug()
        # The campaign's next fault waits for the driver to open the new pty (bytes
        # come down it): garbage written into a line nobody has open yet may be
        # flushed when the driver opens it, and would then test nothing.
        loop = asyncio.get_running_loop()
        back, heard = loop.time(), firmware.counters.heard_bytes
        try:
            async with asyncio.timeout(REOPEN_WAIT_S):
                while firmware.counters.heard_bytes == heard:  # noqa: ASYNC110
                    await asyncio.sleep(0.5)
        except TimeoutError:
            self.injected["serial: line not reopened in time"] += 1
            log.warning("chaos: robot %s's line not reopened by the controller within %.0f "
                        "site s", robot, REOPEN_WAIT_S)
            return
        self.reopened_s.append(loop.time() - back)

    async def half_open(self) -> None:
        """One socket to the broker that never finishes CONNECT, held in a task of its
        own (``close`` ends them all)."""
        try:
            reader, writer = await asyncio.open_connection(self.broker.host, self.broker.port)
        except OSError:
            self.injected["half-open: not opened (broker down)"] += 1
            return
        self.opened += 1
        if self.opened % 2:
            writer.write(half_connect(f"half-open-{self.opened}"))
        self.injected["half-open socket"] += 1
        self._held.append(asyncio.create_task(self._hold(reader, writer),
                                              name=f"half-open-{self.opened}"))

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Until the broker closes it (or is killed), or the campaign ends."""
        opened = time.monotonic()
        try:
            with contextlib.suppress(ConnectionError):
                data = await reader.read(1)
                if data:
                    log.warning("chaos: the broker answered a client that never finished "
                                "CONNECT: %r", data)
            self.closed_by_broker_s.append(time.monotonic() - opened)
        finally:
            writer.close()

    async def close(self) -> None:
        for task in self._held:
            task.cancel()
        await asyncio.gather(*self._held, return_exceptions=True)

    def summary(self, lines_seen: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """What was done, and what the controller made of it (``line_state`` of its
        serial links): frames refused with a reason, and which line was not online at
        the end."""
        refused: Counter[str] = Counter()
        for seen in lines_seen.values():
            refused.update(seen["refused"])
        closed = self.closed_by_broker_s
        return {"serial_robots": sorted(self.lines),
                "garbage_frames": self.injected["serial: garbage frames"],
                "frames_refused": dict(sorted(refused.items())),
                "line_drops": self.injected["serial: line dropped"],
                "line_reopened_within_s": (round(max(self.reopened_s), 1) if self.reopened_s
                                           else None),
                "lines_offline_at_end": sorted(k for k, seen in lines_seen.items()
                                               if not seen["online"]),
                "half_open": self.opened,
                "half_open_closed_by_broker": len(closed),
                "half_open_longest_wall_s": round(max(closed), 1) if closed else None}


def line_state(links: Iterable[RobotLink]) -> dict[str, dict[str, Any]]:
    """Each serial link among ``links``, by robot: online or not, and the frames and
    messages it refused, by reason (the campaign's report; a controller in a process of
    its own writes it with its final figures)."""
    from drivers.serial.link import SerialRobotLink  # noqa: PLC0415  (only with serial robots)

    return {link.serial: {"online": link.online, "refused": dict(link.refusals.counts)}
            for link in links if isinstance(link, SerialRobotLink)}
