"""The pure controller answers each input with the commands to send (issue 16,
finding 3): reports and till requests in, asserted ``SendOrder`` and
``SendInstantActions`` out, in milliseconds, with no simulator and no loop.

Each case was tested only end to end before (a simulated site over a virtual
clock), where a failure says "the dish was not served" and not which input got
the wrong answer: the main path from a ready dish to the leg towards the table,
a robot that faults with a trip, an order cancelled while its robot is offline,
a manager's pause, and a restart (the controller rebuilt from its store mid-trip).
"""

from __future__ import annotations

from e2e import small_room
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.controller.commands import Command, SendInstantActions, SendOrder
from fleet.controller.legs import cell_of_node, node_id
from fleet.domain import DishState, RobotMode
from fleet.domain import events as ev
from fleet.floor.model import Cell
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore
from fleet.vda import (
    ActionState,
    ActionStatus,
    ConnectionState,
    ErrorLevel,
    Load,
    NodeState,
    Position,
    RobotError,
    RobotState,
)

PLAN = small_room()
SOUP = (Load("tray1", "o1/1"),)


class Floor:
    """Robots online at the given cells of the small room, reported one input at a
    time: every call returns what that one input made the controller send."""

    def __init__(self, **where: Cell) -> None:
        self.ctl = build_controller(PLAN, dict.fromkeys(where, MODEL), store=MemoryStore(),
                                    run_id="t")
        self.where = dict(where)
        for serial in where:
            self.ctl.on_connection(serial, ConnectionState.ONLINE, 0.0)
            assert self.report(serial, 0.0) == [], "nothing to do yet"

    def report(self, serial: str, now: float, *, at: Cell | None = None,
               **state: object) -> list[Command]:
        if at is not None:
            self.where[serial] = at
        x, y = PLAN.anchor_of(self.where[serial])
        report = RobotState(serial, now, position=Position(x, y), **state)  # type: ignore[arg-type]
        return self.ctl.on_state(report, now)

    def order(self, now: float) -> list[Command]:
        """One soup for table-1, ready at the pass at ``now``."""
        assert self.ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), now) == []
        return self.ctl.mark_ready("o1", 0, now)

    def loaded(self, serial: str, sent: SendOrder, now: float) -> list[Command]:
        """The vehicle took its one-node leg at the pass, staff loaded the soup."""
        node = sent.order.nodes[0]
        done = tuple(ActionState(a.action_id, ActionStatus.FINISHED) for a in node.actions)
        return self.report(serial, now, order_id=sent.order.order_id, order_update_id=0,
                           last_node_id=node.node_id, action_states=done, loads=SOUP)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.ctl.events]


def _orders(commands: list[Command]) -> list[SendOrder]:
    assert all(isinstance(c, SendOrder) for c in commands), commands
    return [c for c in commands if isinstance(c, SendOrder)]


def _cells(sent: SendOrder) -> list[Cell | None]:
    return [cell_of_node(n.node_id) for n in sent.order.nodes]


def test_a_ready_dish_is_sent_to_the_robot_at_the_pass_then_on_to_its_table() -> None:
    floor = Floor(A=PLAN.place("pass").cells[1])
    (pick,) = _orders(floor.order(1.0))
    assert pick.serial == "A"
    assert _cells(pick) == [PLAN.place("pass").cells[1]], "loaded where it stands"
    assert [a.action_type for a in pick.order.nodes[0].actions] == ["pick"]
    dish = floor.ctl.dish("o1/1")
    assert (dish.state, dish.robot, dish.tray) == (DishState.ASSIGNED, "A", "tray1")
    assert ev.TRIP_ASSIGNED in floor.kinds()

    (serve,) = _orders(floor.loaded("A", pick, 2.0))
    assert dish.state is DishState.ON_THE_WAY
    assert serve.order.order_id != pick.order.order_id, "a new leg, a new order"
    assert _cells(serve)[0] == PLAN.place("pass").cells[1], "from where it stands"
    last = serve.order.nodes[-1]
    assert cell_of_node(last.node_id) in PLAN.place("table-1").cells
    assert [a.action_type for a in last.actions] == ["drop", "waitForTrigger"]
    released = [n.released for n in serve.order.nodes]
    assert released[0] and not released[-1], "the base first; the table on the horizon"
    assert released == sorted(released, reverse=True)


def test_a_fatal_error_gives_the_trip_up_and_the_same_report_hands_the_dish_on() -> None:
    floor = Floor(A=PLAN.place("pass").cells[1], B=PLAN.place("pass").cells[0])
    (pick,) = _orders(floor.order(1.0))
    first = pick.serial
    second = "B" if first == "A" else "A"
    fatal = RobotError("laserScannerError", ErrorLevel.FATAL, "scanner blind")
    (again,) = _orders(floor.report(first, 2.0, errors=(fatal,)))
    assert again.serial == second, "the dish goes to the other robot at once"
    assert [a.action_type for a in again.order.nodes[0].actions] == ["pick"]
    assert floor.ctl.dish("o1/1").robot == second
    assert floor.ctl.robots[first].mode is RobotMode.FAULT
    assert floor.ctl.robots[first].trip is None
    aborted = [e for e in floor.ctl.events if e.kind == ev.TRIP_ABORTED]
    assert len(aborted) == 1 and f"{first} fault" in aborted[0].text
    assert floor.report(first, 3.0, errors=(fatal,)) == [], "nothing more for a faulted robot"


def test_an_order_cancelled_while_its_robot_is_away_cuts_its_leg_and_brings_the_dish_back(
) -> None:
    floor = Floor(A=PLAN.place("pass").cells[1])
    (pick,) = _orders(floor.order(1.0))
    (serve,) = _orders(floor.loaded("A", pick, 2.0))
    ahead = serve.order.nodes[2]
    moving = {"order_id": serve.order.order_id, "loads": SOUP}
    floor.report("A", 3.0, at=cell_of_node(ahead.node_id), last_node_id=ahead.node_id,
                 last_node_sequence_id=ahead.sequence_id, driving=True, order_update_id=0,
                 **moving)
    assert floor.ctl.on_connection("A", ConnectionState.OFFLINE, 4.0) == []
    table = set(PLAN.place("table-1").cells)

    (cut,) = _orders(floor.ctl.cancel("o1", "guest left", 5.0))
    assert floor.ctl.dish("o1/1").state is DishState.CANCELLED
    assert cut.order.order_id == serve.order.order_id, "an update of the leg it drives"
    assert not set(_cells(cut)) & table, "cut short of a table nothing is left for"
    assert all(n.released for n in cut.order.nodes), "no horizon beyond the cut"
    assert all(floor.ctl.tick(t) == [] for t in (6.0, 7.0, 8.0)), "not resent while away"

    # Back, the update it may have missed is sent again, until it reports holding it.
    assert floor.ctl.on_connection("A", ConnectionState.ONLINE, 9.0) == []
    (resent,) = _orders([c for t in (10.0, 11.0, 12.0) for c in floor.ctl.tick(t)])
    assert resent.order.order_update_id == cut.order.order_update_id
    end = _cells(cut)[-1]
    assert end is not None
    (back,) = _orders(floor.report("A", 13.0, at=end, last_node_id=node_id(end),
                                   last_node_sequence_id=cut.order.nodes[-1].sequence_id,
                                   order_update_id=cut.order.order_update_id, **moving))
    cells = _cells(back)
    assert cells[0] == end and cells[-1] in PLAN.place("return").cells
    assert not set(cells) & table
    assert [a.action_type for a in back.order.nodes[-1].actions] == ["drop"]


def test_a_pause_is_sent_until_the_robot_reports_it_and_holds_the_robot_out_of_dispatch(
) -> None:
    floor = Floor(A=PLAN.place("pass").cells[1])
    (pause,) = floor.ctl.pause("A", 1.0)
    assert isinstance(pause, SendInstantActions) and pause.serial == "A"
    (action,) = pause.actions
    assert action.action_type == "startPause"
    assert floor.ctl.tick(2.0) == [], "not yet: it may be on its way"
    assert floor.ctl.tick(6.5) == [SendInstantActions("A", (action,))], "lost: sent again"
    seen = (ActionState(action.action_id, ActionStatus.FINISHED),)
    assert floor.report("A", 7.0, action_states=seen, paused=True) == []
    assert floor.ctl.tick(14.0) == [], "its report lists it: never sent again"

    assert floor.order(15.0) == [], "a paused robot is given no trip"
    (resume,) = floor.ctl.resume("A", 16.0)
    assert isinstance(resume, SendInstantActions)
    assert [a.action_type for a in resume.actions] == ["stopPause"]
    (pick,) = _orders(floor.report("A", 17.0))
    assert pick.serial == "A" and floor.ctl.dish("o1/1").robot == "A"


def test_a_controller_rebuilt_mid_trip_stops_the_old_order_then_serves_the_tray_afresh(
) -> None:
    """A restart (issue 16, "Done when"): the controller is rebuilt from its store while
    its robot drives a soup to the table. The robot's first report is answered with a
    cancelOrder of the dead run's order, and nothing else while it still drives; once
    it stands still, a new order of this run from where it stands to the table."""
    floor = Floor(A=PLAN.place("pass").cells[1])
    (pick,) = _orders(floor.order(1.0))
    (serve,) = _orders(floor.loaded("A", pick, 2.0))
    ahead = serve.order.nodes[2]
    at = cell_of_node(ahead.node_id)
    assert at is not None
    left = tuple(NodeState(n.node_id, n.sequence_id, n.released)
                 for n in serve.order.nodes[3:])
    old = {"order_id": serve.order.order_id, "last_node_id": ahead.node_id,
           "last_node_sequence_id": ahead.sequence_id, "loads": SOUP}
    floor.report("A", 3.0, at=at, driving=True, node_states=left, **old)

    second = build_controller(PLAN, {"A": MODEL}, store=floor.ctl.store, run_id="u",
                              resume=True)
    x, y = PLAN.anchor_of(at)

    def report(now: float, **state: object) -> list[Command]:
        seen = RobotState("A", now, position=Position(x, y), **state)  # type: ignore[arg-type]
        return second.on_state(seen, now)

    assert second.on_connection("A", ConnectionState.ONLINE, 10.0) == []
    (cancel,) = report(10.0, driving=True, node_states=left, **old)
    assert isinstance(cancel, SendInstantActions) and cancel.serial == "A"
    assert [a.action_type for a in cancel.actions] == ["cancelOrder"]
    assert second.tick(10.0) == []
    assert report(11.0, driving=True, node_states=left, **old) + second.tick(11.0) == [], \
        "no leg, and the cancel not sent again, while it drives the dead run's order"
    assert second.dish("o1/1").state is DishState.ON_THE_WAY, "held, not failed"

    stopped = (ActionState(cancel.actions[0].action_id, ActionStatus.FINISHED),)
    (again,) = _orders(report(12.0, action_states=stopped, **old))
    assert again.serial == "A" and again.order.order_id != serve.order.order_id
    assert "-u-" in again.order.order_id, "an order of this run"
    assert _cells(again)[0] == at, "from where it stands"
    last = again.order.nodes[-1]
    assert cell_of_node(last.node_id) in PLAN.place("table-1").cells
    assert [a.action_type for a in last.actions] == ["drop", "waitForTrigger"]
    assert second.dish("o1/1").robot == "A" and not second.dish("o1/1").state.final
