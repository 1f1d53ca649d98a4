"""The pure controller, fed by hand: what a vehicle holds and what the controller
believes it holds must not drift apart for good. Each case froze a small floor for
an hour in a random service (four robots, faults and slow guests):

- a cancelOrder whose confirmation went away with the order it cancelled was sent
  again six seconds later, and cancelled the order that came after it;
- a robot that took a leg's latest update and then stood idle short of its base
  (the order cancelled under it) was believed to be driving on, for ever;
- a robot whose last order still held unreleased nodes refused every new order as
  "still busy", and the controller, reading that as "finishing its last leg", waited.
"""

from __future__ import annotations

from e2e import small_room
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.controller.commands import Command, SendInstantActions, SendOrder
from fleet.controller.core import Controller
from fleet.controller.legs import cell_of_node, node_id
from fleet.floor.model import Cell, FloorPlan
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore
from fleet.vda import (
    ActionState,
    ActionStatus,
    ConnectionState,
    Load,
    NodeState,
    Position,
    RobotState,
)


class Hand:
    """One robot "A" on the small room, reported by hand; keeps what was sent."""

    def __init__(self) -> None:
        self.plan: FloorPlan = small_room()
        self.ctl: Controller = build_controller(self.plan, {"A": MODEL}, store=MemoryStore(),
                                                run_id="t")
        self.sent: list[Command] = []
        self.ctl.on_connection("A", ConnectionState.ONLINE, 0.0)

    def report(self, now: float, cell: Cell, **kw: object) -> list[Command]:
        x, y = self.plan.anchor_of(cell)
        out = self.ctl.on_state(RobotState("A", now, position=Position(x, y), **kw),  # type: ignore[arg-type]
                                now) + self.ctl.tick(now)
        self.sent += out
        return out

    def orders(self) -> list[SendOrder]:
        return [c for c in self.sent if isinstance(c, SendOrder)]

    def cancels(self, action_id: str | None = None) -> list[SendInstantActions]:
        return [c for c in self.sent if isinstance(c, SendInstantActions)
                and any(a.action_type == "cancelOrder" and action_id in (None, a.action_id)
                        for a in c.actions)]


def test_a_cancel_is_sent_again_only_while_the_order_it_cancels_still_runs() -> None:
    hand = Hand()
    start = hand.plan.place("charger").cells[0]
    running = {"order_id": "old-1", "last_node_id": node_id(start),
               "node_states": (NodeState("r0c0", 2, True),)}
    hand.report(0.0, start, **running)
    mine = hand.ctl.instant(hand.ctl.robots["A"], "cancelOrder", 0.0)
    hand.sent.append(mine)
    action_id = mine.actions[0].action_id
    # The vehicle did not act on it (lost on the way): still the same order, running.
    for t in range(1, 8):
        hand.report(float(t), start, **running)
    assert len(hand.cancels(action_id)) == 2, "sent again after 5 s"
    # It cancelled, and has taken a new order since: the cancel's action state went
    # with the old order. Sending the cancel again would stop the new one.
    for t in range(8, 30):
        hand.report(float(t), start, order_id="new-2", last_node_id=node_id(start),
                    node_states=(NodeState("r4c6", 2, True),))
    assert len(hand.cancels(action_id)) == 2, "not sent a third time"
    assert action_id not in hand.ctl.robots["A"].unconfirmed


def _loaded_leg_to_table(hand: Hand) -> float:
    """Robot A at the pass, loaded and given its leg to table-1; the time now."""
    start = hand.plan.place("pass").cells[1]
    hand.report(0.0, start)
    hand.ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.sent += hand.ctl.mark_ready("o1", 0, 1.0)
    now = 1.0
    while now < 60.0 and not any(len(c.order.nodes) > 3 for c in hand.orders()):
        now += 1.0
        order = hand.orders()[-1].order if hand.orders() else None
        if order is not None and len(order.nodes) == 1:  # at the pass: staff load it
            done = tuple(ActionState(a.action_id, ActionStatus.FINISHED)
                         for a in order.nodes[0].actions)
            hand.report(now, start, order_id=order.order_id,
                        order_update_id=order.order_update_id, action_states=done)
        else:
            hand.report(now, start)
    leg = hand.ctl.robots["A"].leg
    assert leg is not None and len(leg.cells) > 3, "on its way to the table"
    return now


def test_a_leg_cancelled_under_the_robot_is_planned_again_from_where_it_stands() -> None:
    hand = Hand()
    now = _loaded_leg_to_table(hand)
    leg = hand.ctl.robots["A"].leg
    assert leg is not None and leg.sent_base > 2
    cell = leg.cells[2]
    hand.report(now + 1, cell, order_id=leg.order_id, order_update_id=leg.update_id,
                last_node_id=node_id(cell), last_node_sequence_id=4, driving=True,
                node_states=tuple(NodeState(node_id(c), 2 * i, True)
                                  for i, c in enumerate(leg.cells) if 2 < i <= leg.sent_base))
    assert leg.reached == 2
    # Idle at its third node, the rest of its base gone: someone cancelled the order.
    again = hand.report(now + 2, cell, order_id=leg.order_id, order_update_id=leg.update_id,
                        last_node_id=node_id(cell), last_node_sequence_id=4)
    fresh = [c for c in again if isinstance(c, SendOrder)]
    assert fresh, "a new order at once, not a wait for the stall rule"
    assert fresh[-1].order.order_id != leg.order_id
    assert cell_of_node(fresh[-1].order.nodes[0].node_id) == cell, "from where it is"


def test_a_vehicle_left_holding_an_old_horizon_is_told_its_end_before_the_next_order() -> None:
    hand = Hand()
    start = hand.plan.place("pass").cells[1]
    hand.report(0.0, start)
    hand.ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.sent += hand.ctl.mark_ready("o1", 0, 1.0)
    [load] = [c.order for c in hand.orders()]
    assert len(load.nodes) == 1, "at the pass already: a one-node leg to load"
    # Loaded; yet the vehicle still holds that order with two unreleased nodes after
    # its last node (a horizon it was sent, or kept): busy in the spec's sense.
    picked = tuple(ActionState(a.action_id, ActionStatus.FINISHED)
                   for a in load.nodes[0].actions)
    horizon = (NodeState("r1c1", 2, False), NodeState("r1c2", 4, False))
    for t in (2.0, 3.0):
        hand.report(t, start, order_id=load.order_id, order_update_id=3,
                    last_node_id=node_id(start), last_node_sequence_id=0,
                    node_states=horizon, action_states=picked,
                    loads=(Load("tray1", "o1/1"),))
    orders = [c.order for c in hand.orders()][1:]
    assert len(orders) >= 2, orders
    cut, first = orders[0], orders[1]
    assert (cut.order_id, cut.order_update_id) == (load.order_id, 4), \
        "an update of the old order, numbered after what the vehicle holds"
    assert [(n.node_id, n.sequence_id, n.released) for n in cut.nodes] == \
        [(node_id(start), 0, True)], "ending it where it stands, with no horizon"
    leg = hand.ctl.robots["A"].leg
    assert leg is not None and first.order_id == leg.order_id != load.order_id
    assert not hand.cancels()


def test_another_masters_order_is_cancelled_not_updated() -> None:
    hand = Hand()
    start = hand.plan.place("pass").cells[1]
    foreign = {"order_id": "X-busy", "order_update_id": 3, "last_node_id": node_id(start),
               "node_states": (NodeState("r1c1", 2, False),)}
    hand.report(0.0, start, **foreign)
    hand.ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.sent += hand.ctl.mark_ready("o1", 0, 1.0)
    for t in range(2, 9):
        hand.report(float(t), start, **foreign)
    assert not [c for c in hand.orders() if c.order.order_id == "X-busy"]
    assert hand.cancels(), "it is not ours to update: cancelled, then ours sent again"
