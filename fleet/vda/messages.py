"""Orders, instant actions and states as VDA 5050 2.x defines them.

Field names follow the spec in snake_case (``orderUpdateId`` -> ``order_update_id``).
Only what the controller needs is modelled; drivers may carry more on the wire.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class BlockingType(StrEnum):
    NONE = "NONE"
    SOFT = "SOFT"
    HARD = "HARD"


class ActionStatus(StrEnum):
    """PAUSED is in the spec's text though the 2.x schemas omit it; the text wins."""

    WAITING = "WAITING"
    INITIALIZING = "INITIALIZING"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"

    @property
    def done(self) -> bool:
        return self in (ActionStatus.FINISHED, ActionStatus.FAILED)


class OperatingMode(StrEnum):
    AUTOMATIC = "AUTOMATIC"
    SEMIAUTOMATIC = "SEMIAUTOMATIC"
    MANUAL = "MANUAL"
    SERVICE = "SERVICE"
    TEACHIN = "TEACHIN"

    @property
    def controllable(self) -> bool:
        """Only in these modes does the master control the vehicle (spec 6.10.6)."""
        return self in (OperatingMode.AUTOMATIC, OperatingMode.SEMIAUTOMATIC)


class EStop(StrEnum):
    AUTOACK = "AUTOACK"
    MANUAL = "MANUAL"
    REMOTE = "REMOTE"
    NONE = "NONE"


class ConnectionState(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"
    CONNECTIONBROKEN = "CONNECTIONBROKEN"


class ErrorLevel(StrEnum):
    WARNING = "WARNING"
    FATAL = "FATAL"


_EMPTY: Mapping[str, object] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Action:
    """An action on a node or sent as an instant action.

    Restaurant actions: ``pick`` (staff load a tray at the pass; ``lhd`` = tray
    slot, ``loadId`` = dish id), ``drop`` (present a tray at a table),
    ``waitForTrigger`` (until the guest takes the dish; the controller owns the
    timeout), ``startCharging``/``stopCharging``, ``startPause``/``stopPause``,
    ``cancelOrder``, ``finePositioning``, ``stateRequest``, ``factsheetRequest``.
    """

    action_type: str
    action_id: str
    blocking_type: BlockingType = BlockingType.HARD
    parameters: Mapping[str, object] = field(default_factory=lambda: _EMPTY)
    description: str = ""


@dataclass(frozen=True, slots=True)
class NodePosition:
    x: float
    y: float
    theta: float | None = None
    map_id: str = "floor"
    allowed_deviation_xy: float | None = None
    """Metres. Absent, a vehicle may demand the robot stand exactly on the node."""
    allowed_deviation_theta: float | None = None
    """Radians, the same for the heading."""


@dataclass(frozen=True, slots=True)
class Node:
    node_id: str
    sequence_id: int
    released: bool
    position: NodePosition | None = None
    actions: tuple[Action, ...] = ()


@dataclass(frozen=True, slots=True)
class Edge:
    edge_id: str
    sequence_id: int
    released: bool
    start_node_id: str
    end_node_id: str
    max_speed: float | None = None
    actions: tuple[Action, ...] = ()


class OrderProblem(ValueError):  # noqa: N818 (a ValueError kind, named for the reader)
    """Raised when an order breaks the spec's structural rules (6.6.1)."""


@dataclass(frozen=True, slots=True)
class Order:
    """Nodes and edges in travel order; the released prefix is the base, the rest
    the horizon. Sequence ids run over nodes and edges together: 0, 1, 2, ..."""

    order_id: str
    order_update_id: int
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    def check(self) -> None:
        """Raise ``OrderProblem`` unless the order is structurally valid."""
        if not self.nodes:
            raise OrderProblem(f"order {self.order_id}: needs at least one node")
        if len(self.edges) != len(self.nodes) - 1:
            raise OrderProblem(f"order {self.order_id}: {len(self.nodes)} nodes need "
                               f"{len(self.nodes) - 1} edges, got {len(self.edges)}")
        seen_unreleased = False
        for i, node in enumerate(self.nodes):
            if i > 0:
                edge = self.edges[i - 1]
                prev = self.nodes[i - 1]
                if (edge.start_node_id, edge.end_node_id) != (prev.node_id, node.node_id):
                    raise OrderProblem(f"order {self.order_id}: edge {edge.edge_id} does not "
                                       f"join {prev.node_id} to {node.node_id}")
                if edge.sequence_id != prev.sequence_id + 1 or (
                        node.sequence_id != edge.sequence_id + 1):
                    raise OrderProblem(f"order {self.order_id}: sequence ids must run "
                                       f"node, edge, node, ... without gaps at {node.node_id}")
                if edge.released and not (prev.released and node.released):
                    raise OrderProblem(f"order {self.order_id}: edge {edge.edge_id} released "
                                       "but one of its nodes is not")
                if edge.released != node.released:
                    raise OrderProblem(f"order {self.order_id}: node {node.node_id} and the "
                                       "edge into it must be released together")
            if seen_unreleased and node.released:
                raise OrderProblem(f"order {self.order_id}: node {node.node_id} is released "
                                   "after the horizon began")
            seen_unreleased = seen_unreleased or not node.released
        if not self.nodes[0].released:
            raise OrderProblem(f"order {self.order_id}: the first node must be released")

    @property
    def base(self) -> tuple[Node, ...]:
        return tuple(n for n in self.nodes if n.released)

    @property
    def decision_point(self) -> Node:
        """The last released node: the robot stops there unless the base grows."""
        return self.base[-1]


@dataclass(frozen=True, slots=True)
class NodeState:
    node_id: str
    sequence_id: int
    released: bool


@dataclass(frozen=True, slots=True)
class EdgeState:
    edge_id: str
    sequence_id: int
    released: bool


@dataclass(frozen=True, slots=True)
class ActionState:
    action_id: str
    status: ActionStatus
    action_type: str = ""
    result_description: str = ""


@dataclass(frozen=True, slots=True)
class Load:
    """What sits on one tray. ``load_position`` names the tray slot (``tray1``...)."""

    load_position: str
    load_id: str = ""
    load_type: str = "dish"


@dataclass(frozen=True, slots=True)
class RobotError:
    error_type: str
    level: ErrorLevel
    description: str = ""
    references: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Position:
    x: float
    y: float
    theta: float = 0.0
    map_id: str = "floor"
    initialized: bool = True


@dataclass(frozen=True, slots=True)
class BatteryState:
    charge: float
    """Percent, 0-100."""
    charging: bool = False


@dataclass(frozen=True, slots=True)
class RobotState:
    """One state report. ``loads`` is None when the robot cannot sense loads;
    ``()`` means it senses empty trays."""

    serial: str
    timestamp: float
    order_id: str = ""
    order_update_id: int = 0
    last_node_id: str = ""
    last_node_sequence_id: int = 0
    node_states: tuple[NodeState, ...] = ()
    edge_states: tuple[EdgeState, ...] = ()
    action_states: tuple[ActionState, ...] = ()
    driving: bool = False
    battery: BatteryState = BatteryState(100.0)
    operating_mode: OperatingMode = OperatingMode.AUTOMATIC
    errors: tuple[RobotError, ...] = ()
    e_stop: EStop = EStop.NONE
    paused: bool = False
    position: Position | None = None
    loads: tuple[Load, ...] | None = ()

    @property
    def busy(self) -> bool:
        """Busy in the spec's sense (6.6.2): nodes left or an action not done."""
        return bool(self.node_states) or any(not a.status.done for a in self.action_states)

    def action(self, action_id: str) -> ActionState | None:
        for state in self.action_states:
            if state.action_id == action_id:
                return state
        return None
