"""A seeded noisy line between a driver and a robot, for fault tests and benchmarks.

``NoisyLine`` opens the robot's line (any pyserial URL: the pty path or
``socket://`` of a ``SerialRobot``) and offers the driver a line of its own
(``address``: a new pty or TCP port). Bytes cross in both directions through a
``Mangler`` that, with the probabilities of a ``Noise``, flips a bit of a byte,
drops a byte, sends a byte twice, cuts a frame short (the rest of it up to the
0x00 delimiter is lost) or inserts garbage after a frame's delimiter. On top,
the line stalls now and then (nothing crosses for a while; what was sent
meanwhile arrives at the end, up to a modem's buffer, the rest is lost) and
reboots the robot (``reboot``, e.g. ``SerialRobot.reboot``).

Everything random comes from one seed, so a failing run can be replayed
(byte-exact while the two ends write the same bytes in the same chunks).
``counters`` tell what was done, so tests can check the faults did happen.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from drivers.serial.port import PortLost, PortSettings, PortStream, open_port_async
from sim.line_end import LineEnd

log = logging.getLogger(__name__)

STALL_BUFFER = 4096
"""Bytes a stalled line holds (a modem's buffer); beyond this they are lost."""


@dataclass(frozen=True, slots=True)
class Noise:
    """What one direction of the line does. Probabilities per byte or per frame."""

    bit_flip: float = 0.0
    drop: float = 0.0
    duplicate: float = 0.0
    truncate: float = 0.0
    """Per frame: it ends early; the rest up to its delimiter is lost."""
    garbage: float = 0.0
    """Per frame: 1 to 40 random bytes follow its delimiter."""

    @classmethod
    def byte_errors(cls, rate: float, **frame_faults: float) -> Noise:
        """``rate`` of bytes damaged, split evenly between flips, drops and duplicates."""
        return cls(bit_flip=rate / 3, drop=rate / 3, duplicate=rate / 3, **frame_faults)


@dataclass(slots=True)
class NoiseCounters:
    bytes: int = 0
    flipped: int = 0
    dropped: int = 0
    duplicated: int = 0
    truncated: int = 0
    garbage: int = 0
    stalls: int = 0
    stall_lost: int = 0
    reboots: int = 0


class Mangler:
    """One direction's faults over a byte stream (stateful across chunks)."""

    def __init__(self, noise: Noise, rng: random.Random, counters: NoiseCounters) -> None:
        self.noise = noise
        self.rng = rng
        self.counters = counters
        self._cutting = False
        self._cut_at: int | None = None
        self._in_frame = 0

    def __call__(self, data: bytes) -> bytes:
        noise, rng, c = self.noise, self.rng, self.counters
        out = bytearray()
        for byte in data:
            c.bytes += 1
            if byte == 0:
                self._cutting = False
                self._in_frame = 0
                out.append(0)
                self._frame_start(out)
                continue
            if self._cutting:
                continue
            self._in_frame += 1
            if self._cut_at is not None and self._in_frame >= self._cut_at:
                self._cut_at = None
                self._cutting = True
                c.truncated += 1
                continue
            r = rng.random()
            if r < noise.drop:
                c.dropped += 1
                continue
            r -= noise.drop
            if r < noise.bit_flip:
                c.flipped += 1
                out.append(byte ^ (1 << rng.randrange(8)))
                continue
            r -= noise.bit_flip
            out.append(byte)
            if r < noise.duplicate:
                c.duplicated += 1
                out.append(byte)
        return bytes(out)

    def _frame_start(self, out: bytearray) -> None:
        noise, rng = self.noise, self.rng
        if noise.garbage and rng.random() < noise.garbage:
            self.counters.garbage += 1
            out += rng.randbytes(rng.randint(1, 40))
        if noise.truncate and rng.random() < noise.truncate:
            self._cut_at = rng.randint(1, 60)


@dataclass(slots=True)
class _Direction:
    mangle: Mangler
    send: Callable[[bytes], None]
    held: bytearray = field(default_factory=bytearray)


class NoisyLine:
    """A seeded proxy between a driver and a robot. See the module docstring.

    ``stalls_per_min``/``reboots_per_min`` are Poisson rates in loop time;
    ``stall_s`` the range of a stall's length.
    """

    def __init__(self, robot_url: str, *, to_robot: Noise = Noise(), to_driver: Noise = Noise(),
                 seed: int = 0, listen: str = "pty", link_path: Path | None = None,
                 stalls_per_min: float = 0.0, stall_s: tuple[float, float] = (0.2, 1.0),
                 reboots_per_min: float = 0.0, reboot: Callable[[], None] | None = None,
                 port: PortSettings | None = None) -> None:
        if reboots_per_min > 0 and reboot is None:
            raise ValueError("reboots_per_min needs reboot (how to reboot the robot)")
        self.robot_url = robot_url
        self.counters = NoiseCounters()
        self.rng = random.Random(seed)
        self._to_robot_noise = to_robot
        self._to_driver_noise = to_driver
        self._stalls_per_min = stalls_per_min
        self._stall_s = stall_s
        self._reboots_per_min = reboots_per_min
        self._reboot = reboot
        self._port_settings = port or PortSettings()
        self.driver_end = LineEnd(listen, self._from_driver, link_path=link_path,
                                  name="noisy line (driver side)")
        self._robot_end: PortStream | None = None
        self._dirs: dict[str, _Direction] = {}
        self._stalled_until = -1.0
        self._timers: list[asyncio.TimerHandle] = []
        self.enabled = True
        """False: the line is clean (for a test's quiet phase)."""

    @property
    def address(self) -> str:
        """The pyserial URL the driver opens."""
        return self.driver_end.address

    async def __aenter__(self) -> Self:
        port = await open_port_async(self.robot_url, self._port_settings)
        self._robot_end = PortStream(port, self.robot_url, on_data=self._from_robot,
                                     on_lost=self._robot_lost, settings=self._port_settings)
        self._dirs = {
            "to_robot": _Direction(Mangler(self._to_robot_noise, random.Random(self.rng.random()),
                                           self.counters), self._robot_end.write),
            "to_driver": _Direction(Mangler(self._to_driver_noise,
                                            random.Random(self.rng.random()), self.counters),
                                    self.driver_end.write)}
        await self.driver_end.replug()
        self._schedule(self._stalls_per_min, self._stall)
        self._schedule(self._reboots_per_min, self._do_reboot)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        for handle in self._timers:
            handle.cancel()
        if self._robot_end is not None:
            self._robot_end.close()
        await self.driver_end.close()

    # -- events -----------------------------------------------------------------------
    def _schedule(self, per_min: float, action: Callable[[], None]) -> None:
        if per_min <= 0:
            return
        loop = asyncio.get_running_loop()
        at = loop.time() + self.rng.expovariate(per_min / 60.0)

        def fire() -> None:
            if self.enabled:
                action()
            self._schedule(per_min, action)

        self._timers = [t for t in self._timers if not t.cancelled()]
        self._timers.append(loop.call_at(at, fire))

    def _stall(self) -> None:
        self.stall(self.rng.uniform(*self._stall_s))

    def stall(self, length: float) -> None:
        """Freeze the line for ``length`` loop seconds, from now."""
        loop = asyncio.get_running_loop()
        self.counters.stalls += 1
        self._stalled_until = loop.time() + length
        self._timers.append(loop.call_at(self._stalled_until, self._release))
        log.info("noisy line: stalled for %.2f s", length)

    def _release(self) -> None:
        for direction in self._dirs.values():
            held = bytes(direction.held)
            direction.held.clear()
            self._pass(direction, held)

    def _do_reboot(self) -> None:
        assert self._reboot is not None
        self.counters.reboots += 1
        log.info("noisy line: rebooting the robot")
        self._reboot()

    # -- bytes --------------------------------------------------------------------------
    def _from_driver(self, data: bytes) -> None:
        self._cross("to_robot", data)

    def _from_robot(self, data: bytes) -> None:
        self._cross("to_driver", data)

    def _cross(self, name: str, data: bytes) -> None:
        direction = self._dirs.get(name)
        if direction is None:
            return
        if asyncio.get_running_loop().time() < self._stalled_until:
            room = STALL_BUFFER - len(direction.held)
            direction.held += data[:max(room, 0)]
            self.counters.stall_lost += max(len(data) - max(room, 0), 0)
            return
        self._pass(direction, data)

    def _pass(self, direction: _Direction, data: bytes) -> None:
        if self.enabled:
            data = direction.mangle(data)
        if not data:
            return
        try:
            direction.send(data)
        except PortLost as exc:
            log.info("noisy line: %s", exc)

    def _robot_lost(self, exc: PortLost) -> None:
        log.warning("noisy line: the robot's line is gone: %s", exc)


def describe(counters: NoiseCounters) -> dict[str, Any]:
    """Counters as a plain dict, for reports."""
    return {name: getattr(counters, name) for name in NoiseCounters.__dataclass_fields__}
