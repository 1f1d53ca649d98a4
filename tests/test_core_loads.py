"""Loads as other vendors report them (issue 13, D9): VDA 5050 makes ``loadPosition``
and ``loadId`` optional, so a vehicle may name its trays its own way, give loads its
own ids, or only count them. Dishes are matched by tray position, else by id, else by
count; a restarted controller never fails a dish the vehicle still carries, and never
sends it to unload tray "". The pure controller, fed by hand."""

from __future__ import annotations

import pytest
from e2e import small_room
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.controller.commands import Command, SendOrder
from fleet.controller.core import Controller
from fleet.controller.legs import node_id
from fleet.controller.trays import match_loads
from fleet.domain import DishState, StopKind
from fleet.floor.model import Cell, FloorPlan
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore
from fleet.vda import ActionState, ActionStatus, ConnectionState, Load, Position, RobotState

SLOTS = ("tray1", "tray2", "tray3")


@pytest.mark.parametrize(("loads", "expected"), [
    # by position: the dish put on that tray, whatever the vehicle calls the load
    ((Load("tray2", "V-1"),), {"tray2": "b"}),
    # by id, when the position is not one of the robot's trays (or absent)
    ((Load("front", "b"),), {"tray2": "b"}),
    ((Load("", "a"),), {"tray1": "a"}),
    # by count: the dish served first is the one gone
    ((Load("", ""),), {"tray2": "b"}),
    ((Load("", "V-7"), Load("", "V-8")), {"tray1": "a", "tray2": "b"}),
    # an unknown load on top of the known ones lands on a free tray, never on ""
    ((Load("", "a"), Load("", "b"), Load("", "V-9")), {"tray1": "a", "tray2": "b",
                                                       "tray3": "V-9"}),
])
def test_loads_are_matched_by_position_then_id_then_count(
        loads: tuple[Load, ...], expected: dict[str, str]) -> None:
    match = match_loads(loads, SLOTS, [("tray1", "a"), ("tray2", "b")])
    assert match.trays == expected
    assert match.surplus == 0


def test_more_loads_than_trays_are_counted_not_put_on_an_empty_tray_name() -> None:
    match = match_loads([Load("", str(i)) for i in range(5)], SLOTS, [])
    assert sorted(match.trays) == list(SLOTS)
    assert match.surplus == 2


def test_a_dish_recorded_on_no_tray_is_matched_to_a_free_one() -> None:
    """After a restart a held dish may have no tray on record: by id it still lands on
    a real tray."""
    assert match_loads([Load("", "a")], SLOTS, [("", "a")]).trays == {"tray1": "a"}


class Hand:
    """One robot "A" fed by hand: it does what it is told at once, and reports the
    loads it is given."""

    def __init__(self, ctl: Controller, plan: FloorPlan, cell: Cell) -> None:
        self.ctl, self.plan, self.cell = ctl, plan, cell
        self.sent: list[SendOrder] = []
        ctl.on_connection("A", ConnectionState.ONLINE, 0.0)

    def take(self, out: list[Command]) -> None:
        self.sent.extend(c for c in out if isinstance(c, SendOrder))

    def report(self, now: float, loads: tuple[Load, ...] | None, *,
               done: bool = True) -> None:
        """A state at ``self.cell``: holding the current leg with every action
        FINISHED (``done``), or idle with no order. ``loads`` None: it cannot sense
        its trays."""
        x, y = self.plan.anchor_of(self.cell)
        leg = self.ctl.robots["A"].leg
        if done and leg is not None:
            state = RobotState(
                "A", now, position=Position(x, y), order_id=leg.order_id,
                order_update_id=leg.update_id, last_node_id=node_id(self.cell),
                last_node_sequence_id=2 * leg.cells.index(self.cell) if self.cell in
                leg.cells else 0, loads=loads,
                action_states=tuple(ActionState(a, ActionStatus.FINISHED)
                                    for a in leg.action_ids))
        else:
            state = RobotState("A", now, position=Position(x, y), loads=loads)
        self.take(self.ctl.on_state(state, now) + self.ctl.tick(now))

    def drive_to(self, place: str, now: float, loads: tuple[Load, ...] | None) -> float:
        """Node by node, as far as released, until it stands at ``place``."""
        for _ in range(80):
            now += 1.0
            leg = self.ctl.robots["A"].leg
            assert leg is not None
            self.cell = leg.cells[min(leg.reached + 1, self.ctl.traffic.released("A"),
                                      len(leg.cells) - 1)]
            self.report(now, loads)
            if self.cell in self.plan.place(place).cells and leg.at_goal:
                return now
        raise AssertionError(f"A did not reach {place}")


def serve_one(ctl: Controller, plan: FloorPlan, loads: tuple[Load, ...]) -> tuple[Hand, float]:
    """Order o1 (one soup, table-1) ready; A loads it at the pass and drives to its
    table, reporting ``loads`` all the way."""
    hand = Hand(ctl, plan, plan.place("pass").cells[1])
    hand.report(0.0, ())
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.take(ctl.mark_ready("o1", 0, 1.0))
    hand.report(2.0, loads)  # staff load it at the pass
    assert ctl.dish("o1/1").state.on_robot
    return hand, hand.drive_to("table-1", 2.0, loads)


@pytest.mark.parametrize("load", [Load("", "V-77"), Load("front", ""), Load("", "")],
                         ids=["own-id", "own-position", "anonymous"])
def test_a_dish_on_a_vehicle_that_names_its_loads_its_own_way_is_served_when_taken(
        load: Load) -> None:
    """The tray was keyed by ``loadPosition`` alone: a vehicle reporting none (or its
    own names) had every dish "taken" the moment it was presented."""
    plan = small_room()
    ctl = build_controller(plan, {"A": MODEL}, store=MemoryStore(), run_id="t")
    hand, now = serve_one(ctl, plan, (load,))
    for _ in range(3):
        now += 1.0
        hand.report(now, (load,))
    assert ctl.dish("o1/1").state is DishState.AT_TABLE, "the soup is still on the tray"
    assert ctl.robots["A"].loads == {"tray1": "o1/1"}
    now += 1.0
    hand.report(now, ())  # the guest takes it
    assert ctl.dish("o1/1").state is DishState.SERVED


@pytest.mark.parametrize("load", [Load("", "o1/1"), Load("tray1", ""), Load("", ""),
                                  Load("front", "V-77")],
                         ids=["id-only", "position-only", "anonymous", "own-names"])
def test_a_restart_keeps_a_dish_the_vehicle_still_carries_and_serves_it_from_a_real_tray(
        load: Load) -> None:
    """After a restart the dish was failed as lost unless the vehicle echoed both our
    tray name and our dish id, and the robot was sent to unload tray ""."""
    plan = small_room()
    store = MemoryStore()
    first = build_controller(plan, {"A": MODEL}, store=store, run_id="t")
    hand = Hand(first, plan, plan.place("pass").cells[1])
    hand.report(0.0, ())
    first.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    hand.take(first.mark_ready("o1", 0, 1.0))
    hand.report(2.0, (load,))
    hand.report(3.0, (load,))  # it leaves the pass; then the controller dies
    assert first.dish("o1/1").state in (DishState.LOADED, DishState.ON_THE_WAY)

    second = build_controller(plan, {"A": MODEL}, store=store, run_id="u", resume=True)
    again = Hand(second, plan, hand.cell)
    for t in range(10, 20):
        again.report(float(t), (load,), done=False)  # idle: its old order cancelled
    dish = second.dish("o1/1")
    assert not dish.state.final, f"{dish.state.value}: {dish.reason}"
    trip = second.robots["A"].trip
    assert trip is not None and trip.stops[0].kind is StopKind.SERVE
    assert trip.stops[0].trays == ("tray1",)
    lhds = [a.parameters.get("lhd") for c in again.sent for n in c.order.nodes
            for a in n.actions]
    assert "" not in lhds
    assert second.robots["A"].to_unload() == ("tray1",)


def test_a_restart_unloads_loads_nobody_waits_for_from_real_trays() -> None:
    """Anonymous loads no dish accounts for go back to the dish return, on the
    robot's own tray names."""
    plan = small_room()
    store = MemoryStore()
    first = build_controller(plan, {"A": MODEL}, store=store, run_id="t")
    first.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    second = build_controller(plan, {"A": MODEL}, store=store, run_id="u", resume=True)
    hand = Hand(second, plan, plan.place("charger").cells[0])
    loads = (Load("", ""), Load("", ""))
    for t in range(0, 15):
        hand.report(float(t), loads, done=False)
    trip = second.robots["A"].trip
    assert trip is not None
    unload = [s for s in trip.stops if s.kind is StopKind.UNLOAD]
    assert unload and unload[0].trays == ("tray1", "tray2")
