"""The controller's side of the serial protocol: one ``RobotLink`` per line.

``SerialRobotLink`` opens a pyserial URL (``drivers.serial.port``), runs the
reliable session on it (``drivers.serial.pump``) and translates: orders and
instant actions go out as messages; states, the robot's connection reports and
its factsheet come in. Malformed frames are the session's to count; a message
that decodes but speaks for another robot, or goes the wrong way, is counted
here in ``rejected``. Nothing from the line reaches the controller unchecked, and
each thing refused is told with what was wrong and on which line
(``refusals``, ``drivers.serial.refusals``).

The controller sees the robot ``ONLINE`` only once the link knows where the
robot stands: whenever the session hears the robot again (first contact, after
silence, after the line was reopened, after the robot rebooted and said ONLINE
again) the link first asks for a fresh state (``stateRequest``), and reports
``ONLINE`` immediately before that state (a state that does not yet list the
request is taken anyway after ``UNANSWERED_STATES``, for firmware that does not
report instant actions). Until then ``send_order`` and ``send_instant_actions``
raise ``LinkError``: nothing new is sent on a stale view. A command the link had
accepted can still be lost when the robot reboots with it in flight (or queued);
the session hands such messages back, and once the fresh state is in the link
sends again whatever that state does not show arrived: instant actions whose ids
it does not list, and the last order if the robot does not have that update. So
an accepted command reaches the robot unless the robot never comes back, and a
command the robot did get is never sent twice. Entering the link waits
(up to ``connect_timeout_s``) until the robot is ONLINE or known unreachable, so a
controller starting up sends its first orders to robots it has heard from.

A supervisor task owns the line. When the port cannot be opened, reports EOF or
an I/O error (unplugged, ser2net gone), or the robot stays silent for
``reopen_after_s``, it reports the robot ``OFFLINE``, closes the port, waits a
capped, jittered backoff and opens it again, with a fresh session (new session
id, so both ends start their sequence numbers over). Silence shorter than that
only reports ``OFFLINE``: the line is kept, and heartbeats go on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Self

from drivers.serial.codec import ConnectionReport, InstantActions, Message
from drivers.serial.port import Backoff, PortLost, PortSettings, PortStream, open_port_async
from drivers.serial.pump import SessionPump, SessionTimings
from drivers.serial.refusals import Refusals
from drivers.serial.session import SessionStats
from fleet.errors import LinkError, ProtocolError
from fleet.link import (
    Capabilities,
    ConnectionChanged,
    EventBuffer,
    LinkEvent,
    RobotLink,
    StateReceived,
)
from fleet.vda import Action, BlockingType, ConnectionState, Order, RobotState

log = logging.getLogger(__name__)

UNANSWERED_STATES = 3
"""States that do not list our ``stateRequest`` before one is taken anyway (firmware
that does not report instant actions in ``actionStates``)."""


class SerialRobotLink(RobotLink):
    """One robot on one serial line. See the module docstring.

    Times (``timings``, ``reopen_after_s``, ``backoff``) are loop seconds, so a
    ``ScaledTimeLoop`` simulation scales them by its speed; ``port`` settings are
    pyserial's, in wall seconds.
    """

    def __init__(self, serial: str, url: str, *, fallback: Capabilities | None = None,
                 port: PortSettings | None = None, timings: SessionTimings | None = None,
                 reopen_after_s: float | None = None, backoff: Backoff | None = None,
                 connect_timeout_s: float | None = None, max_events: int = 1000,
                 robot_id: str | None = None) -> None:
        """``serial`` is the robot's own serial number (its reports must name it);
        ``robot_id`` its key on the site (``fleet.domain.identity``; the serial by
        default), the link's ``serial`` and what its events name."""
        self._serial = robot_id or serial
        self.vehicle_serial = serial
        self.url = url
        self._fallback = fallback or Capabilities(manufacturer="", serial=serial)
        self.factsheet: Capabilities | None = None
        self._port_settings = port or PortSettings()
        self._timings = timings or SessionTimings()
        self.reopen_after_s = (reopen_after_s if reopen_after_s is not None
                               else 3 * self._timings.silence_s)
        self.connect_timeout_s = (connect_timeout_s if connect_timeout_s is not None
                                  else 2 * self._timings.silence_s)
        self._backoff = backoff or Backoff()
        self._settled = asyncio.Event()
        self._buffer = EventBuffer(serial, max_events)
        self._lost = asyncio.Event()
        self._open = False
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._stream: PortStream | None = None
        self._pump: SessionPump | None = None
        self._reported: ConnectionState | None = None
        self._synced = False
        self._resync_id: str | None = None
        self._resyncs = 0
        self._unanswered = 0
        self._silent_since: float | None = None
        self._carried: list[Message] = []  # undelivered when the previous line was closed
        self._last_order: Order | None = None
        self._peer_restarts = 0
        self.resent = 0
        """Commands sent again after a robot reboot lost them (see the module docstring)."""
        self.rejected: Counter[str] = Counter()
        """Messages that decoded but were refused, by reason."""
        self.refusals = Refusals(f"{self._serial} on {url}")
        """Every frame and message refused on this line, in words (the session's
        counters say how many, by reason)."""
        self.attempts = 0
        """Times the supervisor tried to open the port."""
        self.opens = 0
        """Times the port was opened (1 + reconnections)."""

    @property
    def dropped_states(self) -> int:
        return self._buffer.dropped_states

    @property
    def serial(self) -> str:
        return self._serial

    @property
    def capabilities(self) -> Capabilities:
        return self.factsheet or self._fallback

    @property
    def online(self) -> bool:
        return self._reported is ConnectionState.ONLINE

    @property
    def session_stats(self) -> SessionStats | None:
        """The current session's counters (frames, CRC errors, retransmissions...)."""
        return None if self._pump is None else self._pump.session.stats

    # -- lifetime ---------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        if self._closed or self._open:
            raise LinkError(f"link to {self.serial} cannot be entered twice; make a new one")
        self._open = True
        self._buffer.open = True
        self._task = asyncio.create_task(self._supervise(), name=f"serial-link:{self.serial}")
        # Ready when the robot is known ONLINE (and resynchronised) or known unreachable.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.connect_timeout_s):
                await self._settled.wait()
        if self._reported is None:
            self._report(ConnectionState.OFFLINE,
                         f"no answer within {self.connect_timeout_s:g} s")
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        self._open = False
        self._closed = True
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(asyncio.wait({task}, timeout=5.0))
        self._close_line()
        self.refusals.flush()
        self._buffer.close()

    # -- the supervisor ------------------------------------------------------------------
    async def _supervise(self) -> None:
        loop = asyncio.get_running_loop()
        while self._open:
            self.attempts += 1
            try:
                port = await open_port_async(self.url, self._port_settings)
            except PortLost as exc:
                self._report(ConnectionState.OFFLINE, str(exc))
                await asyncio.sleep(self._backoff.next_delay())
                continue
            self.opens += 1
            self._lost.clear()
            self._silent_since = loop.time()
            try:
                self._stream = PortStream(port, self.url, on_data=self._on_data,
                                          on_lost=self._on_lost, settings=self._port_settings)
                self._peer_restarts = 0
                self._pump = SessionPump(self._timings.session("controller", loop.time()),
                                         write=self._write, deliver=self._deliver,
                                         on_alive=self._on_alive,
                                         on_refused=self.refusals.frame,
                                         name=f"link {self.serial}")
                self._pump.kick()  # say hello now
                reason = await self._watch()
            finally:
                self._close_line()
            self._report(ConnectionState.OFFLINE, reason)
            if self._open:
                await asyncio.sleep(self._backoff.next_delay())

    async def _watch(self) -> str:
        """Until the line is lost or the robot has been silent too long; why."""
        loop = asyncio.get_running_loop()
        while True:
            silent = self._silent_since
            wait = (self.reopen_after_s if silent is None
                    else silent + self.reopen_after_s - loop.time())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(wait, 0.0)):
                    await self._lost.wait()
            if self._lost.is_set():
                return "line lost"
            silent = self._silent_since
            if silent is not None and loop.time() - silent >= self.reopen_after_s:
                return f"robot silent for {self.reopen_after_s:g} s; reopening the line"

    def _close_line(self) -> None:
        if self._pump is not None:
            self._pump.close()
            self._pump.session.reset()
            self._carried += self._lost_by(self._pump)
            self._pump = None
        if self._stream is not None:
            self._stream.close()
            self._stream = None
        self._synced = False
        self._resync_id = None

    def _on_lost(self, exc: PortLost) -> None:
        log.warning("%s: %s", self.serial, exc)
        self._lost.set()

    def _on_data(self, data: bytes) -> None:
        pump = self._pump
        if pump is not None:
            pump.feed(data)
            restarts = pump.session.stats.peer_restarts
            if restarts != self._peer_restarts and pump is self._pump:
                # The robot's side rebooted; it may not say ONLINE (or not yet), and
                # what we had queued for it is gone: ask, and resend on the answer.
                self._peer_restarts = restarts
                if self._synced:
                    self._request_state()

    def _write(self, data: bytes) -> None:
        stream = self._stream
        if stream is not None and not stream.closed:
            stream.write(data)

    def _on_alive(self, alive: bool) -> None:
        if alive:
            self._silent_since = None
            self._backoff.reset()
            self._request_state()
        else:
            self._silent_since = asyncio.get_running_loop().time()
            self._report(ConnectionState.OFFLINE, "robot silent")

    # -- robot -> controller --------------------------------------------------------------
    def _deliver(self, message: Message) -> None:
        if isinstance(message, RobotState):
            if message.serial != self.vehicle_serial:
                self._refuse("state of another robot", message.serial)
                return
            if message.serial != self.serial:
                message = replace(message, serial=self.serial)
            if not self._synced:
                if (self._resync_id is not None and message.action(self._resync_id) is None
                        and self._unanswered < UNANSWERED_STATES):
                    self._unanswered += 1
                    return  # older than our question: the answer is on its way
                self._synced = True
                self._resend_lost(message)
                self._report(ConnectionState.ONLINE, "state resynchronised")
            self._push(StateReceived(message))
        elif isinstance(message, ConnectionReport):
            if message.state is ConnectionState.ONLINE:
                # The robot (re)started its session: whatever we knew may be stale.
                self._synced = False
                self._request_state()
            else:
                self._synced = False
                self._report(message.state, "the robot says so")
        elif isinstance(message, Capabilities):
            # A line reaches one robot: its serial number is checked, its manufacturer
            # (which configs of serial robots have often left at the default) is not.
            if message.serial != self.vehicle_serial:
                self._refuse("factsheet of another robot", message.serial)
                return
            self.factsheet = message
        else:
            self._refuse(f"{type(message).__name__} from a robot", self.serial)

    def _lost_by(self, pump: SessionPump) -> list[Message]:
        try:
            return pump.session.take_lost()
        except ProtocolError:  # our own encoding: cannot happen, but never fatal here
            log.exception("%s: could not read back undelivered commands", self.serial)
            return []

    def _resend_lost(self, state: RobotState) -> None:
        """Send again what a reboot lost and ``state`` (fresh) shows never arrived."""
        pump = self._pump
        if pump is None:
            return
        lost, self._carried = [*self._carried, *self._lost_by(pump)], []
        ours = f"resync-{self.vehicle_serial}-"
        actions = tuple(a for m in lost if isinstance(m, InstantActions) for a in m.actions
                        if not a.action_id.startswith(ours) and state.action(a.action_id) is None)
        order = self._last_order
        order_lost = order is not None and any(m is order for m in lost) and not (
            state.order_id == order.order_id and state.order_update_id >= order.order_update_id)
        try:
            if order_lost and order is not None:
                pump.send(order)
                self.resent += 1
                log.info("%s: order %s/%d lost in a reboot; sent again", self.serial,
                         order.order_id, order.order_update_id)
            if actions:
                pump.send(InstantActions(actions))
                self.resent += 1
                log.info("%s: %d instant actions lost in a reboot; sent again (%s)",
                         self.serial, len(actions), ", ".join(a.action_id for a in actions))
        except (ProtocolError, LinkError) as exc:
            log.warning("%s: could not resend what a reboot lost: %s", self.serial, exc)

    def _refuse(self, reason: str, detail: str) -> None:
        self.rejected[reason] += 1
        self.refusals.message(reason, detail)

    def _request_state(self) -> None:
        """Ask where the robot stands; nothing new is sent until it answers."""
        pump = self._pump
        if pump is None:
            return
        self._synced = False
        self._resyncs += 1
        action_id = f"resync-{self.vehicle_serial}-{self._resyncs}"
        self._resync_id = action_id
        self._unanswered = 0
        try:
            pump.send(InstantActions((Action("stateRequest", action_id, BlockingType.NONE),)))
        except (ProtocolError, LinkError) as exc:
            # The queue is full (or a bug): the next states are taken after
            # UNANSWERED_STATES of them instead.
            log.warning("%s: state request not queued: %s", self.serial, exc)

    def _report(self, state: ConnectionState, why: str) -> None:
        if state is not ConnectionState.ONLINE:
            self._synced = False
        if state is self._reported:
            return
        log.info("%s: %s (%s)", self.serial, state.value, why)
        self._reported = state
        self._settled.set()
        self._push(ConnectionChanged(self.serial, state, asyncio.get_running_loop().time()))

    def _push(self, event: LinkEvent) -> None:
        self._buffer.push(event)

    async def events(self) -> AsyncIterator[LinkEvent]:
        async for event in self._buffer.events():
            yield event

    # -- controller -> robot --------------------------------------------------------------
    def _check_up(self) -> SessionPump:
        if not self._open:
            raise LinkError(f"link to {self.serial} is {'closed' if self._closed else 'not open'}")
        pump = self._pump
        if pump is None or not self._synced or self._reported is not ConnectionState.ONLINE:
            raise LinkError(f"robot {self.serial} is offline on {self.url}")
        return pump

    def _send(self, message: Message) -> None:
        pump = self._check_up()
        try:
            pump.send(message)
        except ProtocolError as exc:
            raise LinkError(f"{self.serial}: cannot send {type(message).__name__}: "
                            f"{exc}") from exc

    async def send_order(self, order: Order) -> None:
        self._send(order)
        self._last_order = order

    async def send_instant_actions(self, actions: Sequence[Action]) -> None:
        self._send(InstantActions(tuple(actions)))
