"""A simulated robot on a serial line, speaking the protocol as its firmware would.

``SerialRobot`` puts one ``SimRobot`` behind a pseudo-terminal (``os.openpty``:
the driver opens the slave's path, e.g. ``/dev/pts/7``, exactly as it would a
USB adapter) or a TCP socket (``socket://127.0.0.1:PORT``, as behind ser2net).
``address`` is the pyserial URL to configure. It runs the robot's end of the
session (``drivers.serial.pump``) and behaves as firmware does:

- when it hears a controller (first contact, after silence, after it rebooted)
  it announces itself: ``ConnectionReport(ONLINE)``, its factsheet, its state;
- it executes every order and instant action the session delivers (each once:
  duplicates are the session's to suppress), answers ``factsheetRequest``, and
  sends every state the robot reports while a controller is there;
- a message going the wrong way (a state sent *to* the robot) becomes a
  ``validationError`` in its next state, as on MQTT.

Faults, for tests and ``sim.noisy_line``: ``robot.set_online(False)`` is a radio
out of range (nothing in or out, the robot keeps driving); ``reboot()`` restarts
the communication side (a new session, sequence numbers from zero, anything in
flight lost; the motion controller keeps its order); ``unplug()``/``replug()``
take the line away and bring it back (a new pty, whose path ``link_path``, a
symlink like ``/dev/serial/by-id/...``, follows; or the TCP port closed and
reopened).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, replace
from pathlib import Path
from types import TracebackType
from typing import Self

from drivers.serial.codec import ConnectionReport, InstantActions, Message
from drivers.serial.pump import SessionPump, SessionTimings
from fleet.errors import LinkError, ProtocolError
from fleet.vda import ConnectionState, Order, RobotState
from sim.line_end import LineEnd
from sim.robot import SimRobot

log = logging.getLogger(__name__)

RECORD = 10_000
"""Commands and states remembered for tests (the oldest forgotten beyond this)."""


@dataclass(slots=True)
class FirmwareCounters:
    boots: int = 0
    commands: int = 0
    refused: int = 0
    """Messages that decoded but make no sense for a robot (a state sent to it)."""
    heard_bytes: int = 0
    """Bytes that came down the line from the controller: a line plugged in again is
    open at the other end once this moves."""


class SerialRobot:
    """One ``SimRobot`` behind a pty or a TCP port. See the module docstring.

    ``listen`` is ``"pty"`` or ``"tcp://HOST:PORT"`` (port 0: any free port).
    """

    def __init__(self, robot: SimRobot, *, listen: str = "pty",
                 timings: SessionTimings | None = None, link_path: Path | None = None) -> None:
        self.robot = robot
        self.timings = timings or SessionTimings()
        self.counters = FirmwareCounters()
        self.received: deque[Order | InstantActions] = deque(maxlen=RECORD)
        """Commands executed, in order (each exactly once, if the protocol is right)."""
        self.sent_states: deque[RobotState] = deque(maxlen=RECORD)
        self._pump: SessionPump | None = None
        self.line = LineEnd(listen, self._heard, link_path=link_path, name=f"robot {robot.serial}")
        self._entered = False

    @property
    def serial(self) -> str:
        return self.robot.serial

    @property
    def address(self) -> str:
        """The pyserial URL the controller opens to reach this robot."""
        return self.line.address

    @property
    def pump(self) -> SessionPump | None:
        return self._pump

    # -- lifetime ---------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        if self._entered:
            raise RuntimeError("SerialRobot is not reusable")
        self._entered = True
        self.robot.start()
        self.robot.attach(self)
        await self.line.replug()
        self.reboot()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self.robot.detach(self)
        if self._pump is not None:
            self._pump.close()
            self._pump = None
        await self.line.close()

    def reboot(self) -> None:
        """Restart the communication side: a new session; whatever was in flight is lost."""
        if self._pump is not None:
            self._pump.close()
        self.counters.boots += 1
        session = self.timings.session("robot", asyncio.get_running_loop().time())
        self._pump = SessionPump(session, write=self._write, deliver=self._deliver,
                                 on_alive=self._on_alive, name=f"robot {self.serial}")
        log.info("robot %s: communication booted (boot %d)", self.serial, self.counters.boots)
        self._pump.kick()

    async def unplug(self) -> None:
        """Take the line away: the controller's side sees EOF or an I/O error."""
        await self.line.unplug()

    async def replug(self) -> None:
        """Bring the line back (a new pty, which ``link_path`` follows; or the TCP port)."""
        await self.line.replug()

    def _heard(self, data: bytes) -> None:
        self.counters.heard_bytes += len(data)
        if self.robot.online and self._pump is not None:
            self._pump.feed(data)

    def _write(self, data: bytes) -> None:
        if self.robot.online:  # out of range, the bytes go nowhere
            self.line.write(data)

    # -- the protocol -----------------------------------------------------------------
    def _on_alive(self, alive: bool) -> None:
        if alive:
            self._announce()

    def _announce(self) -> None:
        pump = self._pump
        if pump is None or not self.robot.online:
            return
        self._send(ConnectionReport(ConnectionState.ONLINE))
        self._send(self.robot.capabilities)
        self.robot.request_state()

    def _send(self, message: Message) -> None:
        pump = self._pump
        if pump is None:
            return
        try:
            pump.send(message)
        except (ProtocolError, LinkError) as exc:  # too big, or the queue is full
            log.warning("robot %s: cannot send %s: %s", self.serial, type(message).__name__, exc)

    def send_raw(self, kind: int, body: bytes) -> None:
        """Firmware with a bug: a data frame body sent as given, in sequence, however
        wrong (``sim.hostile_frames``). Nothing is sent while out of range or unbooted."""
        pump = self._pump
        if pump is not None and self.robot.online:
            pump.send_raw(kind, body)

    def _deliver(self, message: Message) -> None:
        robot = self.robot
        if isinstance(message, Order):
            self.counters.commands += 1
            self.received.append(message)
            robot.receive_order(message)
        elif isinstance(message, InstantActions):
            self.counters.commands += 1
            self.received.append(message)
            robot.receive_instant_actions(message.actions)
            if any(a.action_type == "factsheetRequest" for a in message.actions):
                self._send(robot.capabilities)
        else:
            self.counters.refused += 1
            kind = type(message).__name__
            robot.add_error("validationError", f"a {kind} is not for a robot", message=kind)

    # -- the robot speaks (RobotListener) ---------------------------------------------------
    def robot_state(self, state: RobotState) -> None:
        pump = self._pump
        if pump is None or not pump.alive:
            return  # nobody listening: the next controller gets a fresh state on contact
        if state.serial != self.robot.capabilities.serial:  # its wire name, not its site key
            state = replace(state, serial=self.robot.capabilities.serial)
        self.sent_states.append(state)
        self._send(state)

    def robot_connection(self, state: ConnectionState, at: float) -> None:
        log.info("robot %s: radio %s", self.serial, state.value)
        pump = self._pump
        if state is ConnectionState.ONLINE and pump is not None and pump.alive:
            self._announce()
