"""A leg of a trip as a VDA 5050 order: route cells become nodes, the traffic
manager's release becomes the base, the stop's work becomes the goal node's
actions.

One leg is one ``orderId``. Growing the base or replacing the horizon is an
order update that starts at the stitching node (the last base node already
sent) and leaves everything before it untouched, as the spec requires.

Every node carries the robot model's ``mapId`` and its allowed deviations: a
vehicle may read an absent ``allowedDeviationXY`` as 0 and then never count a
node as reached unless it stands exactly on it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from fleet.controller.stops import StandIn
from fleet.domain import RobotModel
from fleet.floor import FloorPlan
from fleet.floor.model import Cell
from fleet.vda import Action, Edge, Node, NodePosition, Order, RobotState


def node_id(cell: Cell) -> str:
    return f"r{cell[0]}c{cell[1]}"


def cell_of_node(node: str) -> Cell | None:
    """The cell a node id names, or None for a node id this controller did not make."""
    if not node.startswith("r") or "c" not in node:
        return None
    row, _, col = node[1:].partition("c")
    if not (row.isdigit() and col.isdigit()):
        return None
    return (int(row), int(col))


@dataclass(slots=True)
class Leg:
    """The controller's record of one order sent to a robot."""

    order_id: str
    cells: tuple[Cell, ...]
    goal_actions: tuple[Action, ...]
    goals: frozenset[Cell] = frozenset()
    """Where the stop's work can be done; a route may end short of them while the
    robot gives way, and then carries no actions."""
    version: int = 0
    update_id: int = 0
    sent_base: int = -1
    """Index of the last node sent as released (-1: nothing sent yet)."""
    reached: int = 0
    sent_at: float = 0.0
    acknowledged: bool = False
    taken: bool = False
    """The vehicle has held this leg's order (some update of it) at least once."""
    refusals: int = 0
    """Times in a row the vehicle refused this leg's orders (an accepted update
    ends the run: a refusal of a resend built from a late state is not a vehicle
    that refuses everything)."""
    refused: str | None = None
    """The refusal (error type) seen since the last send, if any."""
    refused_now: bool = False
    """That refusal is news (an error not listed in the state before): resend at
    once. One still listed waits for the resend timer, so an error a vehicle keeps
    listing until it accepts an order is counted once per resend, not per state."""
    actions_started: bool = False
    action_ids: tuple[str, ...] = field(default=())
    """The stop's work: the goal actions sent, and the stand-ins."""
    stand_ins: Mapping[str, StandIn] = field(default_factory=dict)
    """Work at the goal not sent to the vehicle, watched for by the controller
    (``fleet.controller.standins``)."""
    nodes: dict[tuple[int, bool], Node] = field(default_factory=dict)
    edges: dict[tuple[int, bool], Edge] = field(default_factory=dict)
    """Built once per leg version: an update resends most of them."""
    bound_for: Cell | None = None
    """The goal cell its route last ended on: still the robot's while it gives way
    (its route then ends aside). Counted by the cells its route ends on alone, a
    charger a robot stood aside from went to another robot, and the first waited
    aside 270 s for it (narrow-104, 12 robots)."""

    def __post_init__(self) -> None:
        if self.bound_for is None and self.cells and self.cells[-1] in self.goals:
            self.bound_for = self.cells[-1]

    def replace_cells(self, cells: tuple[Cell, ...], version: int) -> None:
        self.cells = cells
        self.version = version
        self.nodes.clear()
        self.edges.clear()
        if cells and cells[-1] in self.goals:
            self.bound_for = cells[-1]

    @property
    def ends_at_goal(self) -> bool:
        return self.cells[-1] in self.goals

    @property
    def at_goal(self) -> bool:
        return self.ends_at_goal and self.reached == len(self.cells) - 1


def allowed_deviation_xy(plan: FloorPlan, model: RobotModel) -> float:
    """The model's, else half a planning cell: within it the robot is in the node's cell."""
    if model.allowed_deviation_xy is not None:
        return model.allowed_deviation_xy
    return round(plan.resolution / 2, 3)


def _node(plan: FloorPlan, model: RobotModel, leg: Leg, index: int, released: bool) -> Node:
    key = (index, released)
    node = leg.nodes.get(key)
    if node is None:
        node = leg.nodes[key] = _make_node(plan, model, leg, index, released)
    return node


def _make_node(plan: FloorPlan, model: RobotModel, leg: Leg, index: int,
               released: bool) -> Node:
    cell = leg.cells[index]
    x, y = plan.anchor_of(cell)
    work = index == len(leg.cells) - 1 and leg.ends_at_goal
    position = NodePosition(x=round(x, 3), y=round(y, 3), map_id=model.map_id,
                            allowed_deviation_xy=allowed_deviation_xy(plan, model),
                            allowed_deviation_theta=model.allowed_deviation_theta)
    return Node(node_id=node_id(cell), sequence_id=2 * index, released=released,
                position=position, actions=leg.goal_actions if work else ())


def _edge(leg: Leg, index: int, released: bool) -> Edge:
    """The edge into node ``index``."""
    key = (index, released)
    edge = leg.edges.get(key)
    if edge is None:
        edge = leg.edges[key] = _make_edge(leg, index, released)
    return edge


def _make_edge(leg: Leg, index: int, released: bool) -> Edge:
    a, b = leg.cells[index - 1], leg.cells[index]
    return Edge(edge_id=f"{node_id(a)}-{node_id(b)}", sequence_id=2 * index - 1,
                released=released, start_node_id=node_id(a), end_node_id=node_id(b))


HORIZON_NODES = 8
"""Unreleased nodes sent beyond the base: enough for a robot to see where it is
going, without resending the whole route at every update."""


def leg_order(plan: FloorPlan, model: RobotModel, leg: Leg, released: int, *,
              max_nodes: int | None = None) -> Order:
    """The order (or update) that tells a robot of ``model`` about ``leg`` with nodes up
    to ``released`` in the base. Starts at the stitching node for an update."""
    first = max(leg.sent_base, 0)
    last = min(len(leg.cells) - 1, released + HORIZON_NODES)
    if max_nodes is not None:
        last = min(last, first + max_nodes - 1)
        released = min(released, last)
    nodes = [_node(plan, model, leg, i, i <= released) for i in range(first, last + 1)]
    edges = [_edge(leg, i, i <= released) for i in range(first + 1, last + 1)]
    return Order(order_id=leg.order_id, order_update_id=leg.update_id, nodes=tuple(nodes),
                 edges=tuple(edges))


def horizon_cut(plan: FloorPlan, model: RobotModel, state: RobotState) -> Order | None:
    """The update that ends the order ``state`` holds where the vehicle stands: its
    last node, alone and released, with no horizon after it (VDA 5050 6.6.4: an
    update starts at the decision point and replaces the horizon). None when that
    node is not one this controller names, so has no position to send."""
    cell = cell_of_node(state.last_node_id)
    if cell is None or not plan.in_bounds(cell):
        return None
    x, y = plan.anchor_of(cell)
    position = NodePosition(x=round(x, 3), y=round(y, 3), map_id=model.map_id,
                            allowed_deviation_xy=allowed_deviation_xy(plan, model),
                            allowed_deviation_theta=model.allowed_deviation_theta)
    node = Node(node_id=state.last_node_id, sequence_id=state.last_node_sequence_id,
                released=True, position=position)
    return Order(order_id=state.order_id, order_update_id=state.order_update_id + 1,
                 nodes=(node,), edges=())


def action_ids(actions: Sequence[Action]) -> tuple[str, ...]:
    return tuple(a.action_id for a in actions)
