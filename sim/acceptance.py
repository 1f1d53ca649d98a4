"""A simulated vehicle's order book: the VDA 5050 acceptance flow (§6.6.2) and
the nodes still to traverse.

Kept apart from motion and actions so the rules a real vehicle follows can be
read (and tested) in one place:

1. malformed (structure, a node that names no cell) -> ``validationError``;
2. a new orderId while busy, or whose first node is not where the robot stands,
   or with actions or edges the robot cannot do -> ``orderError``;
3. the same orderId: a lower orderUpdateId -> ``orderUpdateError``; the same
   one -> ignored (a master's resend); a higher one must start at the decision
   point (the last released node, or the last node traversed when the base is
   used up), else ``orderUpdateError``. The stitching node keeps the actions of
   the first message; the old horizon is replaced.

A *minimal* vehicle (``OrderTrack(map_id=...)``) is stricter, as third-party
vehicles are: before anything else it refuses an order with a node that has no
``nodePosition``, no ``allowedDeviationXY`` or ``allowedDeviationTheta``
(``validationError``: it reads them as required) or that lies on another map
than its own (``orderError`` naming the map, §6.7.1).

Nodes are planning cells (``r{row}c{col}``, positioned at the cell's anchor);
consecutive nodes must be the same cell or 4-neighbours the plan lets a robot
step between.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from fleet.floor.model import Cell, FloorPlan
from fleet.vda import BlockingType, Edge, EdgeState, Node, NodeState, Order, OrderProblem

NODE_ACTIONS = frozenset({"pick", "drop", "waitForTrigger", "finePositioning", "startCharging",
                          "stopCharging"})
INSTANT_ACTIONS = frozenset({"startPause", "stopPause", "cancelOrder", "startCharging",
                             "stopCharging", "stateRequest", "factsheetRequest"})
_NODE_ID = re.compile(r"r(\d+)c(\d+)")


class Rejected(Exception):  # noqa: N818 (an outcome of the acceptance flow, not a bug)
    """An order the vehicle does not take; ``error_type`` is the VDA 5050 error and
    ``references`` the fields at fault, as §7.1 asks (beside the order's own)."""

    def __init__(self, error_type: str, description: str,
                 references: dict[str, str] | None = None) -> None:
        self.error_type = error_type
        self.description = description
        self.references = references or {}
        super().__init__(description)


@dataclass(slots=True)
class Step:
    """One node of the current order, with the edge that leads into it."""

    node: Node
    cell: Cell
    node_state: NodeState
    edge: Edge | None
    edge_state: EdgeState | None
    stops: bool
    """The robot must stand still here: the node has HARD or SOFT actions."""


def node_cell(plan: FloorPlan, node: Node) -> Cell:
    """The planning cell a node stands for: its position, else its ``r{row}c{col}`` id."""
    cell: Cell | None = None
    if node.position is not None:
        rows = plan.shape[0]
        cell = (rows - 1 - math.floor((node.position.y - plan.origin[1]) / plan.resolution),
                math.floor((node.position.x - plan.origin[0]) / plan.resolution))
    else:
        found = _NODE_ID.fullmatch(node.node_id)
        if found:
            cell = (int(found[1]), int(found[2]))
    if cell is None or not plan.in_bounds(cell):
        raise Rejected("validationError", f"node {node.node_id} is not on the floor plan")
    if not plan.passable[cell]:
        raise Rejected("validationError", f"node {node.node_id} is not a passable cell")
    return cell


def _steps(plan: FloorPlan, order: Order, start: int, prev: Cell) -> list[Step]:
    out: list[Step] = []
    for i in range(start, len(order.nodes)):
        node = order.nodes[i]
        cell = node_cell(plan, node)
        edge = order.edges[i - 1] if i > 0 else None
        if edge is not None and edge.actions:
            raise Rejected("orderError", f"edge {edge.edge_id}: edge actions are not supported")
        for action in node.actions:
            if action.action_type not in NODE_ACTIONS:
                raise Rejected("orderError", f"node {node.node_id}: action "
                               f"{action.action_type} is not supported on a node",
                               {"actionId": action.action_id,
                                "actionType": action.action_type})
        move = (cell[0] - prev[0], cell[1] - prev[1])
        if move != (0, 0) and (abs(move[0]) + abs(move[1]) != 1 or not plan.can_move(prev, move)):
            raise Rejected("orderError", f"node {node.node_id}: not one step from "
                           f"r{prev[0]}c{prev[1]}")
        out.append(Step(
            node=node, cell=cell,
            node_state=NodeState(node.node_id, node.sequence_id, node.released),
            edge=edge,
            edge_state=None if edge is None else EdgeState(edge.edge_id, edge.sequence_id,
                                                           edge.released),
            stops=any(a.blocking_type is not BlockingType.NONE for a in node.actions)))
        prev = cell
    return out


def check_minimal(order: Order, map_id: str) -> None:
    """A minimal vehicle's refusals (see the module docstring)."""
    for i, node in enumerate(order.nodes):
        where = f"nodes[{i}] ({node.node_id})"
        position = node.position
        if position is None:
            raise Rejected("validationError", f"{where}: nodePosition is missing",
                           {"nodeId": node.node_id})
        for field, value in (("allowedDeviationXY", position.allowed_deviation_xy),
                             ("allowedDeviationTheta", position.allowed_deviation_theta)):
            if value is None:
                raise Rejected("validationError", f"{where}: nodePosition.{field} is missing",
                               {"nodeId": node.node_id})
        if position.map_id != map_id:
            raise Rejected("orderError", f"{where}: map {position.map_id!r} is not on this "
                           f"vehicle (it has {map_id!r})",
                           {"nodeId": node.node_id, "mapId": position.map_id})


class OrderTrack:
    """The order a vehicle holds and how far it has got. See the module docstring."""

    def __init__(self, plan: FloorPlan, cell: Cell, *, map_id: str | None = None) -> None:
        self.plan = plan
        self.map_id = map_id
        """The only map a minimal vehicle has; None: not minimal, nodes are not checked."""
        self.order_id = ""
        self.order_update_id = 0
        self.steps: list[Step] = []
        self.dropped: list[Step] = []
        """Horizon steps the last order update replaced."""
        self.next = 0
        self.last_node_id = f"r{cell[0]}c{cell[1]}"
        self.last_node_seq = 0
        self.last_cell = cell
        self._node_states: tuple[NodeState, ...] = ()
        self._edge_states: tuple[EdgeState, ...] = ()
        self._edge_offset = 0

    def _index(self) -> None:
        """Keep states of every step as tuples, so a report slices instead of building."""
        self._node_states = tuple(s.node_state for s in self.steps)
        self._edge_states = tuple(s.edge_state for s in self.steps if s.edge_state is not None)
        self._edge_offset = 1 if self.steps and self.steps[0].edge_state is None else 0

    def node_states(self) -> tuple[NodeState, ...]:
        return self._node_states[self.next:]

    def edge_states(self) -> tuple[EdgeState, ...]:
        return self._edge_states[max(0, self.next - self._edge_offset):]

    @property
    def remaining(self) -> list[Step]:
        return self.steps[self.next:]

    @property
    def has_nodes(self) -> bool:
        return self.next < len(self.steps)

    def upcoming(self) -> Step | None:
        return self.steps[self.next] if self.next < len(self.steps) else None

    def decision_point(self) -> tuple[str, int, Cell]:
        for step in reversed(self.steps[self.next:]):
            if step.node.released:
                return step.node.node_id, step.node.sequence_id, step.cell
        return self.last_node_id, self.last_node_seq, self.last_cell

    def receive(self, order: Order, here: Cell, busy: bool) -> list[Step] | None:
        """Apply the acceptance flow; the steps added, None when ignored, or ``Rejected``."""
        try:
            order.check()
        except OrderProblem as exc:
            raise Rejected("validationError", str(exc)) from exc
        if self.map_id is not None:
            check_minimal(order, self.map_id)
        first = order.nodes[0]
        first_cell = node_cell(self.plan, first)
        if order.order_id != self.order_id:
            if busy:
                raise Rejected("orderError", f"order {order.order_id}: still busy with order "
                               f"{self.order_id}")
            if first_cell != here:
                raise Rejected("orderError", f"order {order.order_id}: first node "
                               f"{first.node_id} is not where the robot stands "
                               f"(r{here[0]}c{here[1]})")
            steps = _steps(self.plan, order, 0, here)
            self.order_id = order.order_id
            self.order_update_id = order.order_update_id
            self.steps = steps
            self.next = 0
            self._index()
            return steps
        if order.order_update_id < self.order_update_id:
            raise Rejected("orderUpdateError", f"order {order.order_id}: update "
                           f"{order.order_update_id} is older than {self.order_update_id}")
        if order.order_update_id == self.order_update_id:
            return None
        node_id, seq, cell = self.decision_point()
        if (first.node_id, first.sequence_id) != (node_id, seq):
            raise Rejected("orderUpdateError", f"order {order.order_id}: update "
                           f"{order.order_update_id} starts at {first.node_id}/"
                           f"{first.sequence_id}, not at the decision point {node_id}/{seq}")
        added = _steps(self.plan, order, 1, cell)
        base_end = len(self.steps)
        while base_end > self.next and not self.steps[base_end - 1].node.released:
            base_end -= 1
        self.dropped = self.steps[base_end:]
        self.steps[base_end:] = added
        self.order_update_id = order.order_update_id
        self._index()
        return added

    def traverse(self) -> Step:
        """The robot has reached the upcoming node."""
        step = self.steps[self.next]
        self.next += 1
        self.passed(step)
        return step

    def passed(self, step: Step) -> None:
        self.last_node_id = step.node.node_id
        self.last_node_seq = step.node.sequence_id
        self.last_cell = step.cell

    def clear(self) -> None:
        """cancelOrder: no nodes left; orderId and orderUpdateId are kept."""
        self.steps = []
        self.next = 0
        self._index()
