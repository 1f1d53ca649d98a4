"""The robot-link contract: checks every ``fleet.link.RobotLink`` must pass.

A driver's test module supplies a factory: an async context manager that yields
``(link, peer)`` — the link, not yet entered, and a ``Peer``: what the check may
know and do on the robot's side (its serial, a straight free route starting
where it stands, a way to drop and restore its connection). Then::

    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_contract(check): run(check(my_factory))

Checks wait only on what the robot reports, each wait bounded by
``peer.timeout_s`` (simulated seconds on a virtual clock cost nothing).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from fleet.errors import LinkError
from fleet.floor.model import Cell, FloorPlan
from fleet.link import Capabilities, ConnectionChanged, LinkEvent, RobotLink, StateReceived
from fleet.vda import (
    Action,
    ActionStatus,
    ConnectionState,
    Edge,
    Node,
    NodePosition,
    Order,
    RobotState,
)


@dataclass
class Peer:
    serial: str
    plan: FloorPlan
    route: Sequence[Cell]
    """At least 5 cells in a straight line, the first where the robot stands."""
    set_online: Callable[[bool], Awaitable[None]]
    timeout_s: float = 300.0
    rejects_when_offline: bool = True
    """The link knows the robot is offline and raises LinkError on send."""


LinkFactory = Callable[[], AbstractAsyncContextManager[tuple[RobotLink, Peer]]]


class QuietLink(RobotLink):
    """A link with no robot behind it, for tests of what uses links (the runtime): its
    serial, a stand-in factsheet, nothing to open or close, every send taken and
    dropped, and no event ever. A test overrides the one thing it watches (what is
    sent, or what is reported); it is not a driver and does not pass the contract."""

    def __init__(self, serial: str) -> None:
        self._serial = serial

    @property
    def serial(self) -> str:
        return self._serial

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities("test", self._serial)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        return None

    async def send_order(self, order: Order) -> None:
        return None

    async def send_instant_actions(self, actions: Sequence[Action]) -> None:
        return None

    async def events(self) -> AsyncIterator[LinkEvent]:
        await asyncio.Event().wait()
        yield  # pragma: no cover


def make_order(plan: FloorPlan, order_id: str, cells: Sequence[Cell], *,
               released: int | None = None, update_id: int = 0, first_seq: int = 0,
               actions: dict[int, tuple[Action, ...]] | None = None,
               map_id: str = "floor") -> Order:
    """An order over ``cells`` (node ids ``r{row}c{col}`` at the cells' anchors); the first
    ``released`` nodes are the base (all by default); ``actions`` by node index."""
    released = len(cells) if released is None else released
    actions = actions or {}
    nodes = []
    edges = []
    for i, cell in enumerate(cells):
        x, y = plan.anchor_of(cell)
        # Every field fleet's controller sends: a minimal vehicle requires them.
        nodes.append(Node(f"r{cell[0]}c{cell[1]}", first_seq + 2 * i, i < released,
                          NodePosition(x, y, map_id=map_id, allowed_deviation_xy=0.25,
                                       allowed_deviation_theta=0.35), actions.get(i, ())))
        if i:
            a = cells[i - 1]
            edges.append(Edge(f"r{a[0]}c{a[1]}-r{cell[0]}c{cell[1]}", first_seq + 2 * i - 1,
                              i < released, nodes[-2].node_id, nodes[-1].node_id))
    return Order(order_id, update_id, tuple(nodes), tuple(edges))


async def expect_event(events: AsyncIterator[LinkEvent], want: Callable[[LinkEvent], bool],
                       timeout_s: float) -> LinkEvent:
    async with asyncio.timeout(timeout_s):
        async for event in events:
            if want(event):
                return event
    raise AssertionError("the link's events ended before the expected one came")


async def expect_state(events: AsyncIterator[LinkEvent], want: Callable[[RobotState], bool],
                       timeout_s: float) -> RobotState:
    event = await expect_event(
        events, lambda e: isinstance(e, StateReceived) and want(e.state), timeout_s)
    assert isinstance(event, StateReceived)
    return event.state


async def check_connects_and_closes(make: LinkFactory) -> None:
    async with make() as (link, peer):
        assert link.serial == peer.serial
        assert link.capabilities.serial == peer.serial
        async with link:
            events = link.events()
            first = await expect_event(events, lambda e: True, peer.timeout_s)
            assert isinstance(first, ConnectionChanged)
            assert first == ConnectionChanged(peer.serial, ConnectionState.ONLINE, first.at)
            state = await expect_state(events, lambda s: True, peer.timeout_s)
            assert state.serial == peer.serial
            assert state.last_node_id == f"r{peer.route[0][0]}c{peer.route[0][1]}"
        rest = [e async for e in events]
        assert all(isinstance(e, StateReceived | ConnectionChanged) for e in rest)


async def check_send_after_close_raises(make: LinkFactory) -> None:
    async with make() as (link, peer):
        async with link:
            pass
        order = make_order(peer.plan, "late", peer.route[:2])
        for send in (link.send_order(order),
                     link.send_instant_actions([Action("startPause", "p1")])):
            try:
                await send
            except LinkError:
                continue
            raise AssertionError("sending on a closed link did not raise LinkError")


async def check_order_driven_to_the_end(make: LinkFactory) -> None:
    async with make() as (link, peer), link:
        events = link.events()
        cells = peer.route[:4]
        await link.send_order(make_order(peer.plan, "o1", cells))
        taken = await expect_state(events, lambda s: s.order_id == "o1", peer.timeout_s)
        assert taken.order_update_id == 0
        end = f"r{cells[-1][0]}c{cells[-1][1]}"
        done = await expect_state(
            events, lambda s: s.last_node_id == end and not s.driving, peer.timeout_s)
        assert done.node_states == () and done.edge_states == ()
        assert done.last_node_sequence_id == 2 * (len(cells) - 1)


async def check_stops_at_decision_point_until_update(make: LinkFactory) -> None:
    async with make() as (link, peer), link:
        events = link.events()
        cells = list(peer.route[:5])
        await link.send_order(make_order(peer.plan, "o1", cells, released=2))
        stop = f"r{cells[1][0]}c{cells[1][1]}"
        held = await expect_state(
            events, lambda s: s.last_node_id == stop and not s.driving, peer.timeout_s)
        assert [n.released for n in held.node_states] == [False, False, False]
        await asyncio.sleep(min(20.0, peer.timeout_s / 4))
        await link.send_instant_actions([Action("stateRequest", "sr1")])
        still = await expect_state(events, lambda s: s.action("sr1") is not None,
                                   peer.timeout_s)
        assert still.last_node_id == stop, "the robot drove past its decision point"
        await link.send_order(make_order(peer.plan, "o1", cells[1:], update_id=1,
                                         first_seq=2))
        end = f"r{cells[-1][0]}c{cells[-1][1]}"
        done = await expect_state(
            events, lambda s: s.last_node_id == end and not s.node_states, peer.timeout_s)
        assert done.order_id == "o1" and done.order_update_id == 1


async def check_errors_reach_the_controller(make: LinkFactory) -> None:
    async with make() as (link, peer), link:
        events = link.events()
        far = make_order(peer.plan, "far", peer.route[2:4])
        await link.send_order(far)
        state = await expect_state(events, lambda s: bool(s.errors), peer.timeout_s)
        assert state.errors[0].error_type == "orderError"
        assert state.order_id != "far"


async def check_instant_actions(make: LinkFactory) -> None:
    async with make() as (link, peer), link:
        events = link.events()
        await link.send_instant_actions([Action("startPause", "p1")])
        paused = await expect_state(events, lambda s: s.paused, peer.timeout_s)
        assert paused.action("p1") is not None
        await link.send_instant_actions([Action("stopPause", "p2")])
        resumed = await expect_state(events, lambda s: not s.paused, peer.timeout_s)
        p2 = resumed.action("p2")
        assert p2 is not None and p2.status is ActionStatus.FINISHED


async def check_connection_events(make: LinkFactory) -> None:
    async with make() as (link, peer), link:
        events = link.events()
        await expect_state(events, lambda s: True, peer.timeout_s)
        await peer.set_online(False)
        down = await expect_event(events, lambda e: isinstance(e, ConnectionChanged),
                                  peer.timeout_s)
        assert isinstance(down, ConnectionChanged)
        assert down.state is not ConnectionState.ONLINE
        if peer.rejects_when_offline:
            try:
                await link.send_order(make_order(peer.plan, "o1", peer.route[:2]))
            except LinkError:
                pass
            else:
                raise AssertionError("sending to an offline robot did not raise LinkError")
        await peer.set_online(True)
        up = await expect_event(events, lambda e: isinstance(e, ConnectionChanged),
                                peer.timeout_s)
        assert isinstance(up, ConnectionChanged) and up.state is ConnectionState.ONLINE
        await expect_state(events, lambda s: True, peer.timeout_s)


CHECKS = (
    check_connects_and_closes,
    check_send_after_close_raises,
    check_order_driven_to_the_end,
    check_stops_at_decision_point_until_update,
    check_errors_reach_the_controller,
    check_instant_actions,
    check_connection_events,
)
