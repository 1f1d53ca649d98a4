"""The serial link over a real pty passes the robot-link contract, with the
simulated firmware as the peer; and it survives the line: unplugging, silence,
reboots, and a noisy line that flips, drops, duplicates, truncates and stalls."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from linkcontract import CHECKS, LinkFactory, Peer, make_order
from simkit import MODEL, open_floor, until

from drivers.serial.codec import InstantActions, Kind, Message, encode_message
from drivers.serial.framing import (
    FLAG_ACK,
    FLAG_ROBOT,
    Frame,
    cobs_encode,
    encode_frame,
    pack_frame,
)
from drivers.serial.link import SerialRobotLink
from drivers.serial.port import Backoff
from drivers.serial.pump import SessionTimings
from fleet.errors import LinkError
from fleet.link import Capabilities, ConnectionChanged, LinkEvent, RobotLink, StateReceived
from fleet.vda import Action, ConnectionState, Order, RobotState
from sim.noisy_line import Noise, NoisyLine
from sim.referee import Referee
from sim.robot import SimRobot
from sim.serial_robot import SerialRobot
from sim.world import World

pytestmark = pytest.mark.integration

FAST = replace(MODEL, speed=5.0, acceleration=50.0, turn_time=0.05)
ROUTE = [(2, c) for c in range(1, 9)]
TIMINGS = SessionTimings(retransmit_s=0.05, max_retransmit_s=0.4, heartbeat_s=0.1,
                         silence_s=0.5)


def run(coro: Coroutine[Any, Any, None], timeout_s: float = 60.0) -> None:
    async def bounded() -> None:
        async with asyncio.timeout(timeout_s):
            await coro

    asyncio.run(bounded())


def new_link(url: str, **kw: Any) -> SerialRobotLink:
    return SerialRobotLink("V1", url, timings=TIMINGS, backoff=Backoff(0.05, 0.5), **kw)


def factory(listen: str) -> LinkFactory:
    @asynccontextmanager
    async def make() -> AsyncIterator[tuple[RobotLink, Peer]]:
        plan = open_floor()
        world = World(plan, seed=1, referee=Referee(plan, strict=True),
                      staff_load_s=lambda: 0.2, guest_take_s=lambda: 0.2,
                      guest_absent=lambda: False)
        robot = SimRobot("V1", FAST, world, ROUTE[0], seed=1)
        try:
            async with SerialRobot(robot, listen=listen, timings=TIMINGS) as firmware:

                async def set_online(online: bool) -> None:
                    robot.set_online(online)

                yield new_link(firmware.address), Peer("V1", plan, ROUTE, set_online,
                                                       timeout_s=20.0)
        finally:
            robot.close()
    return make


@pytest.mark.parametrize("listen", ["pty", "tcp://127.0.0.1:0"])
@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__.removeprefix("check_"))
def test_contract(check: Callable[[LinkFactory], Coroutine[Any, Any, None]],
                  listen: str) -> None:
    run(check(factory(listen)))


@asynccontextmanager
async def firmware_on(listen: str = "pty", link_path: Path | None = None,
                      ) -> AsyncIterator[tuple[SerialRobot, SimRobot]]:
    plan = open_floor()
    world = World(plan, seed=1, referee=Referee(plan, strict=True),
                  staff_load_s=lambda: 0.2, guest_take_s=lambda: 0.2,
                  guest_absent=lambda: False)
    robot = SimRobot("V1", FAST, world, ROUTE[0], seed=1)
    try:
        async with SerialRobot(robot, listen=listen, timings=TIMINGS,
                               link_path=link_path) as firmware:
            yield firmware, robot
    finally:
        robot.close()


class Watcher:
    """Collects a link's events in the background."""

    def __init__(self, link: SerialRobotLink) -> None:
        self.link = link
        self.events: list[LinkEvent] = []
        self.task = asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for event in self.link.events():
            self.events.append(event)

    @property
    def states(self) -> list[RobotState]:
        return [e.state for e in self.events if isinstance(e, StateReceived)]

    def connections(self) -> list[ConnectionState]:
        return [e.state for e in self.events if isinstance(e, ConnectionChanged)]


async def send_when_online(link: SerialRobotLink, actions: list[Action]) -> None:
    """A LinkError means nothing was queued: wait until the robot is back and send again."""
    async with asyncio.timeout(30.0):
        while True:
            try:
                await link.send_instant_actions(actions)
            except LinkError:
                await until(lambda: link.online, 30.0, 0.02)
            else:
                return


async def request_state(link: SerialRobotLink, watcher: Watcher, action_id: str) -> RobotState:
    await send_when_online(link, [Action("stateRequest", action_id)])
    await until(lambda: any(s.action(action_id) for s in watcher.states), 30.0, 0.02)
    return next(s for s in watcher.states if s.action(action_id))


def test_unplugging_reports_offline_and_the_link_reconnects(tmp_path: Path) -> None:
    async def main() -> None:
        async with firmware_on(link_path=tmp_path / "robot-V1") as (firmware, robot):
            link = new_link(firmware.address)
            assert firmware.address == str(tmp_path / "robot-V1")
            async with link:
                watcher = Watcher(link)
                assert link.online
                await firmware.unplug()
                await until(lambda: ConnectionState.OFFLINE in watcher.connections(), 10.0, 0.02)
                assert link.opens == 1
                robot.set_paused(True)  # changes while the line is down
                await firmware.replug()  # a new pty behind the same symlink
                await until(lambda: link.online, 10.0, 0.02)
                assert link.opens >= 2
                # The first state after reconnecting is the robot as it is now.
                assert watcher.connections()[-1] is ConnectionState.ONLINE
                i = max(i for i, e in enumerate(watcher.events)
                        if isinstance(e, ConnectionChanged))
                await until(lambda: len(watcher.events) > i + 1, 10.0, 0.02)
                first = watcher.events[i + 1]
                assert isinstance(first, StateReceived) and first.state.paused
    run(main())


def test_a_port_that_cannot_be_opened_is_offline_not_an_error(tmp_path: Path) -> None:
    async def main() -> None:
        link = new_link(str(tmp_path / "no-such-device"), connect_timeout_s=0.3)
        async with link:
            watcher = Watcher(link)
            await until(lambda: bool(watcher.events), 5.0, 0.02)
            assert watcher.connections() == [ConnectionState.OFFLINE]
            with pytest.raises(LinkError):
                await link.send_instant_actions([Action("startPause", "p1")])
            await until(lambda: link.attempts >= 3, 10.0, 0.02)  # keeps trying, backing off
    run(main())


def encoded(messages: Sequence[Message]) -> list[bytes]:
    """Messages as their wire bodies: values compare as the line carries them (f32 etc.)."""
    return [encode_message(m) for m in messages]


@pytest.mark.parametrize("seed", [1, 2])
def test_under_a_noisy_line_every_command_arrives_once_and_nothing_corrupt(seed: int) -> None:
    """1 % of bytes flipped, dropped or doubled each way, 2 % of frames cut short,
    2 % followed by garbage, and stalls: each command is executed exactly once, in
    order; every state the controller got is one the robot sent; and once the line is
    clean the controller's view is the robot's."""
    noise = Noise.byte_errors(0.01, truncate=0.02, garbage=0.02)

    async def main() -> None:
        async with firmware_on() as (firmware, robot), \
                NoisyLine(firmware.address, to_robot=noise, to_driver=noise, seed=seed,
                          stalls_per_min=20.0, stall_s=(0.1, 0.6)) as line:
            link = new_link(line.address)
            async with link:
                watcher = Watcher(link)
                sent: list[InstantActions | Order] = []
                for i in range(12):
                    kind = "startPause" if i % 2 == 0 else "stopPause"
                    actions = [Action(kind, f"a{i}")]
                    if i in (4, 8):
                        line.stall(0.2 if i == 4 else 1.0)  # the second outlasts silence_s
                    await send_when_online(link, actions)
                    sent.append(InstantActions(tuple(actions)))
                    await until(lambda: firmware.counters.commands >= len(sent), 30.0, 0.01)
                order = make_order(open_floor(), "o1", ROUTE[:5])
                while True:
                    try:
                        await link.send_order(order)
                        break
                    except LinkError:
                        await until(lambda: link.online, 30.0, 0.02)
                sent.append(order)
                assert ConnectionState.OFFLINE in watcher.connections()  # the long stall
                await until(lambda: firmware.counters.commands >= len(sent), 30.0, 0.02)
                await until(lambda: robot.track.last_node_id == "r2c5" and not robot.driving,
                            30.0, 0.02)
                got = [m for m in firmware.received
                       if not (isinstance(m, InstantActions)
                               and m.actions[0].action_type == "stateRequest")]
                assert encoded(got) == encoded(sent)
                counters = line.counters
                assert counters.flipped and counters.dropped and counters.duplicated
                assert counters.truncated and counters.garbage and counters.stalls
                stats = link.session_stats
                assert stats is not None and stats.crc_errors > 0
                real = set(encoded(firmware.sent_states))
                assert watcher.states and all(b in real for b in encoded(watcher.states))
                line.enabled = False
                view = await request_state(link, watcher, "final")
                truth = robot.state()
                assert (view.last_node_id, view.order_id, view.paused, view.driving) == (
                    truth.last_node_id, truth.order_id, truth.paused, truth.driving)
                assert link.rejected.total() == 0
    run(main(), 90.0)


def test_robot_reboots_under_the_proxy_never_duplicate_and_the_view_recovers() -> None:
    """The robot's communication side reboots every few seconds: commands in flight may
    be lost (the controller resends what the state does not show), never run twice;
    the link goes back ONLINE by itself with a fresh state."""
    async def main() -> None:
        async with firmware_on() as (firmware, robot), \
                NoisyLine(firmware.address, seed=3, reboots_per_min=40.0,
                          reboot=firmware.reboot) as line:
            link = new_link(line.address)
            async with link:
                watcher = Watcher(link)
                for i in range(40):
                    await send_when_online(link, [Action("stateRequest", f"s{i}")])
                    await until(lambda: firmware.counters.commands > 0, 10.0, 0.005)
                await until(lambda: line.counters.reboots >= 2, 30.0, 0.02)
                ids = [a.action_id for m in firmware.received if isinstance(m, InstantActions)
                       for a in m.actions]
                assert len(ids) == len(set(ids))
                assert firmware.counters.boots >= 3
                line.enabled = False
                robot.set_paused(True)
                view = await request_state(link, watcher, "final")
                assert view.paused and link.online
    run(main(), 90.0)


def test_a_command_in_flight_when_the_robot_reboots_arrives_once() -> None:
    """The robot's communication side reboots just as a command leaves: the new boot
    ignores it (it has no session yet) and the link hears of the reboot only after.
    The link sends it again once the fresh state shows it never arrived, and a
    command the robot did get is not sent again."""
    async def main() -> None:
        async with firmware_on() as (firmware, robot):
            link = new_link(firmware.address)
            async with link:
                watcher = Watcher(link)
                await request_state(link, watcher, "before")
                firmware.reboot()
                assert link.online  # it has not heard yet, so it takes the command
                await link.send_instant_actions([Action("startPause", "p1")])
                await until(lambda: robot.paused, 10.0, 0.02)
                await request_state(link, watcher, "after")
                ids = [a.action_id for m in firmware.received if isinstance(m, InstantActions)
                       for a in m.actions]
                assert ids.count("p1") == 1 and ids.count("before") == 1
                assert link.resent == 1
    run(main())


def _forgeries(rng: random.Random) -> list[bytes]:
    """Malformed input of every kind the line can bring."""
    robot = FLAG_ROBOT | FLAG_ACK
    out = [rng.randbytes(rng.randint(1, 300)) for _ in range(20)]  # noise
    out.append(bytes(rng.randint(1, 255) for _ in range(5000)) + b"\x00")  # no delimiter
    out.append(b"\x00" * 50)  # empty frames
    for kind in (*Kind, 0x00, 0x05, 0x0F, 0x15, 0x7F, 0x80, 0xFF):
        for _ in range(6):
            body = rng.randbytes(rng.randint(0, 200))
            frame = Frame(int(kind), rng.randrange(65536), rng.randrange(65536), robot, body)
            good = encode_frame(frame)
            out.append(good)  # CRC right, content hostile
            raw = bytearray(pack_frame(frame))
            raw[rng.randrange(len(raw))] ^= 0x40
            out.append(cobs_encode(bytes(raw)) + b"\x00")  # CRC wrong
            out.append(good[: rng.randint(1, len(good) - 1)] + b"\x00")  # cut short
            out.append(encode_frame(Frame(int(kind), 0, 0, robot, body, version=7)))
            out.append(encode_frame(Frame(int(kind), 0, 0, FLAG_ACK, body)))  # our own echo
    rng.shuffle(out)
    return out


def test_malformed_frames_of_every_kind_never_crash_the_driver() -> None:
    async def main() -> None:
        async with firmware_on() as (firmware, _):
            link = new_link(firmware.address)
            async with link:
                watcher = Watcher(link)
                await until(lambda: bool(watcher.states), 10.0, 0.02)
                for chunk in _forgeries(random.Random(5)):
                    firmware.line.write(chunk)
                    await asyncio.sleep(0)
                stats = link.session_stats
                assert stats is not None
                await until(lambda: stats.rejected.total() > 200, 10.0, 0.02)
                assert {"crc", "cobs", "short", "version", "echo", "oversize", "body", "type",
                        "hello"} <= set(stats.rejected)
                view = await request_state(link, watcher, "after")
                assert view.serial == "V1"
                assert link._task is not None and not link._task.done()
                assert all(s.serial == "V1" for s in watcher.states)
    run(main(), 60.0)


def test_a_robot_keyed_with_its_maker_speaks_its_own_serial_on_the_line() -> None:
    """Issue 13, D10: "sim1" of acme beside another maker's "sim1": the firmware and the
    line speak the real serial; the controller hears of it by its key ``sim1@acme``."""
    async def main() -> None:
        plan = open_floor()
        world = World(plan, seed=1, referee=Referee(plan, strict=True))
        robot = SimRobot("sim1@acme", FAST, world, ROUTE[0], seed=1, manufacturer="acme",
                         vehicle_serial="sim1")
        try:
            async with SerialRobot(robot, timings=TIMINGS) as firmware:
                link = SerialRobotLink("sim1", firmware.address, timings=TIMINGS,
                                       backoff=Backoff(0.05, 0.5), robot_id="sim1@acme",
                                       fallback=Capabilities(manufacturer="acme",
                                                             serial="sim1"))
                async with link:
                    watcher = Watcher(link)
                    state = await request_state(link, watcher, "ask-1")
                    assert state.serial == "sim1@acme" and link.serial == "sim1@acme"
                    assert {s.serial for s in firmware.sent_states} == {"sim1"}
                    await until(lambda: link.factsheet is not None, 30.0, 0.02)
                    assert link.factsheet is not None
                    assert (link.factsheet.manufacturer, link.factsheet.serial) == (
                        "acme", "sim1")
                    assert not link.rejected, link.rejected
                    assert all(e.serial == "sim1@acme" for e in watcher.events
                               if isinstance(e, ConnectionChanged))
                    watcher.task.cancel()
        finally:
            robot.close()
    run(main())
