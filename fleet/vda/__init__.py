"""VDA 5050 in the controller's own terms: the one semantic model every robot link
speaks, whatever the encoding on the wire (JSON over MQTT, binary over serial,
direct calls in process).

These are plain frozen values with snake_case names. Drivers translate them to
and from their encoding at the boundary; no JSON dict or wire object travels
past ``drivers/``. Times are seconds on the controller's clock.
"""

from fleet.vda.messages import (
    Action,
    ActionState,
    ActionStatus,
    BatteryState,
    BlockingType,
    ConnectionState,
    Edge,
    EdgeState,
    ErrorLevel,
    EStop,
    Load,
    Node,
    NodePosition,
    NodeState,
    OperatingMode,
    Order,
    OrderProblem,
    Position,
    RobotError,
    RobotState,
)

__all__ = [
    "Action",
    "ActionState",
    "ActionStatus",
    "BatteryState",
    "BlockingType",
    "ConnectionState",
    "EStop",
    "Edge",
    "EdgeState",
    "ErrorLevel",
    "Load",
    "Node",
    "NodePosition",
    "NodeState",
    "OperatingMode",
    "Order",
    "OrderProblem",
    "Position",
    "RobotError",
    "RobotState",
]
