"""VDA 5050 JSON <-> the controller's values (``fleet.vda``): orders, instant actions,
states, connection and visualization (the factsheet: ``drivers.vda5050.factsheet``).

Encoders take the header's moving parts as arguments (``header_id``, counted per
topic by the sender; ``at``, epoch seconds) and never emit NaN or Infinity: a
value that cannot be JSON raises ``WireError`` instead of turning into ``null``.
Decoders take the raw payload and, when known, the topic it came on; they return
the header beside the value (``Inbound``) and raise ``WireError`` (a
``fleet.errors.ProtocolError``) for anything they cannot take, never another
exception. 2.0.x vehicles are accepted: the ``version`` header may be any 2.x,
and the 2.0-era spellings are read (see ``drivers.vda5050.wire``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import msgspec

from drivers.vda5050 import wire as w
from drivers.vda5050.envelope import (
    Header,
    Inbound,
    Vehicle,
    address_of,
    angle,
    finite,
    head,
    header_of,
    parse_timestamp,
    uint32,
    where_from,
)
from drivers.vda5050.topics import Topic, check_sender
from drivers.vda5050.wire import MAX_DEPTH, MAX_ITEMS, Payload, WireError
from fleet.vda import (
    Action,
    ActionState,
    BatteryState,
    ConnectionState,
    Edge,
    EdgeState,
    Load,
    Node,
    NodePosition,
    NodeState,
    Order,
    Position,
    RobotError,
    RobotState,
)

# -- encoding -------------------------------------------------------------------------------


def _plain(value: object, where: str, path: str, depth: int = 1) -> w.ParamValue:
    """An action parameter value as JSON allows it (no null, no NaN, bounded depth)."""
    if isinstance(value, bool | str | int):
        return value
    if isinstance(value, float):
        return finite(value, where, path)
    if depth > MAX_DEPTH:
        raise WireError(where, path, f"nested deeper than {MAX_DEPTH}")
    if isinstance(value, Mapping):
        if not all(isinstance(k, str) for k in value):
            raise WireError(where, path, "object keys must be strings")
        return {k: _plain(v, where, f"{path}.{k}", depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v, where, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    if isinstance(value, set | frozenset):
        return [_plain(v, where, f"{path}[{i}]", depth + 1)
                for i, v in enumerate(sorted(value, key=repr))]
    raise WireError(where, path, f"a {type(value).__name__} cannot be a parameter value")


def _params(action: Action, where: str, path: str) -> list[w.ActionParameter] | None:
    return [w.ActionParameter(key=k, value=_plain(v, where, f"{path}.actionParameters[{i}].value"))
            for i, (k, v) in enumerate(action.parameters.items())] or None


def _action(action: Action, where: str, path: str) -> w.WireAction:
    return w.WireAction(action_type=action.action_type, action_id=action.action_id,
                        blocking_type=action.blocking_type,
                        action_description=action.description or None,
                        action_parameters=_params(action, where, path))


def _deviation(value: float, where: str, path: str) -> float:
    """An angle's tolerance: 0..pi (the schema's bounds; a negative one means nothing)."""
    value = finite(value, where, path, minimum=0.0)
    if value > math.pi:
        raise WireError(where, path, f"{value} is more than pi")
    return value


def encode_order(order: Order, vehicle: Vehicle, *, header_id: int, at: float) -> bytes:
    where = f"order {order.order_id} for {vehicle.serial}"
    nodes = []
    for i, node in enumerate(order.nodes):
        path = f"$.nodes[{i}]"
        pos = node.position
        wpos = None if pos is None else w.WireNodePosition(
            x=finite(pos.x, where, f"{path}.nodePosition.x"),
            y=finite(pos.y, where, f"{path}.nodePosition.y"), map_id=pos.map_id,
            theta=None if pos.theta is None else angle(pos.theta, where,
                                                        f"{path}.nodePosition.theta"),
            allowed_deviation_xy=None if pos.allowed_deviation_xy is None else finite(
                pos.allowed_deviation_xy, where, f"{path}.nodePosition.allowedDeviationXY",
                minimum=0.0),
            allowed_deviation_theta=None if pos.allowed_deviation_theta is None else _deviation(
                pos.allowed_deviation_theta, where, f"{path}.nodePosition.allowedDeviationTheta"))
        nodes.append(w.WireNode(
            node_id=node.node_id, sequence_id=uint32(node.sequence_id, where, f"{path}.sequenceId"),
            released=node.released, node_position=wpos,
            actions=[_action(a, where, f"{path}.actions[{j}]")
                     for j, a in enumerate(node.actions)]))
    edges = [w.WireEdge(
        edge_id=e.edge_id, sequence_id=uint32(e.sequence_id, where, f"$.edges[{i}].sequenceId"),
        released=e.released, start_node_id=e.start_node_id, end_node_id=e.end_node_id,
        max_speed=None if e.max_speed is None else finite(e.max_speed, where,
                                                        f"$.edges[{i}].maxSpeed"),
        actions=[_action(a, where, f"$.edges[{i}].actions[{j}]") for j, a in enumerate(e.actions)])
        for i, e in enumerate(order.edges)]
    return w.encode(where, w.WireOrder(
        **head(vehicle, header_id, at, where), order_id=order.order_id,
        order_update_id=uint32(order.order_update_id, where, "$.orderUpdateId"),
        nodes=nodes, edges=edges))


def encode_instant_actions(actions: Sequence[Action], vehicle: Vehicle, *, header_id: int,
                           at: float) -> bytes:
    """The list goes under the key of the vehicle's version (``instant_actions_key``):
    a 2.0.x vehicle reads ``instantActions``, a 2.1.x one ``actions``."""
    where = f"instantActions for {vehicle.serial}"
    key = w.instant_actions_key(vehicle.version)
    wire_actions = [
        w.WireInstantAction(action_type=a.action_type, action_id=a.action_id,
                            blocking_type=a.blocking_type, action_description=a.description or None,
                            action_parameters=_params(a, where, f"$.{key}[{i}]"))
        for i, a in enumerate(actions)]
    header = head(vehicle, header_id, at, where)
    message = (w.WireInstantActions(**header, instant_actions=wire_actions)
               if key == "instantActions" else w.WireInstantActions(**header, actions=wire_actions))
    return w.encode(where, message)


def _position(pos: Position, where: str) -> w.WireAgvPosition:
    return w.WireAgvPosition(x=finite(pos.x, where, "$.agvPosition.x"),
                             y=finite(pos.y, where, "$.agvPosition.y"),
                             theta=angle(pos.theta, where, "$.agvPosition.theta"),
                             map_id=pos.map_id, position_initialized=pos.initialized)


def encode_state(state: RobotState, vehicle: Vehicle, *, header_id: int, at: float) -> bytes:
    """The vehicle's side (simulated vehicles). ``PAUSED`` action states are written
    as the spec says, though the 2.1 schema's enum lacks them."""
    where = f"state of {vehicle.serial}"
    return w.encode(where, w.WireState(
        **head(vehicle, header_id, at, where), order_id=state.order_id,
        order_update_id=uint32(state.order_update_id, where, "$.orderUpdateId"),
        last_node_id=state.last_node_id,
        last_node_sequence_id=uint32(state.last_node_sequence_id, where, "$.lastNodeSequenceId"),
        node_states=[w.WireNodeState(node_id=n.node_id, sequence_id=n.sequence_id,
                                     released=n.released) for n in state.node_states],
        edge_states=[w.WireEdgeState(edge_id=e.edge_id, sequence_id=e.sequence_id,
                                     released=e.released) for e in state.edge_states],
        driving=state.driving, paused=state.paused, operating_mode=state.operating_mode,
        action_states=[w.WireActionState(action_id=a.action_id, action_status=a.status,
                                         action_type=a.action_type or None,
                                         result_description=a.result_description or None)
                       for a in state.action_states],
        battery_state=w.WireBatteryState(
            battery_charge=finite(state.battery.charge, where, "$.batteryState.batteryCharge"),
            charging=state.battery.charging),
        errors=[w.WireErrorEntry(
            error_type=e.error_type, error_level=e.level, error_description=e.description or None,
            error_references=[w.WireErrorReference(reference_key=k, reference_value=v)
                              for k, v in e.references.items()] or None)
            for e in state.errors],
        safety_state=w.WireSafetyState(e_stop=state.e_stop, field_violation=False),
        agv_position=None if state.position is None else _position(state.position, where),
        loads=None if state.loads is None else [
            w.WireLoad(load_id=ld.load_id, load_type=ld.load_type, load_position=ld.load_position)
            for ld in state.loads]))


def encode_connection(connection: ConnectionState, vehicle: Vehicle, *, header_id: int,
                      at: float) -> bytes:
    where = f"connection of {vehicle.serial}"
    return w.encode(where, w.WireConnection(**head(vehicle, header_id, at, where),
                                     connection_state=connection))


def encode_visualization(position: Position | None, vehicle: Vehicle, *, header_id: int,
                         at: float, velocity: tuple[float, float, float] | None = None) -> bytes:
    """``velocity`` is (vx, vy, omega) in the vehicle's frame."""
    where = f"visualization of {vehicle.serial}"
    vel = None if velocity is None else w.WireVelocity(
        vx=finite(velocity[0], where, "$.velocity.vx"),
        vy=finite(velocity[1], where, "$.velocity.vy"),
        omega=finite(velocity[2], where, "$.velocity.omega"))
    return w.encode(where, w.WireVisualization(
        **head(vehicle, header_id, at, where), velocity=vel,
        agv_position=None if position is None else _position(position, where)))


# -- decoding ----------------------------------------------------------------------------------

_ORDER = msgspec.json.Decoder(w.WireOrder)
_INSTANT = msgspec.json.Decoder(w.WireInstantActions)
_STATE = msgspec.json.Decoder(w.WireState)
_CONNECTION = msgspec.json.Decoder(w.WireConnection)
_VISUALIZATION = msgspec.json.Decoder(w.WireVisualization)
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _check_depth(value: object, where: str, path: str) -> None:
    """Parameter values are free-form JSON: hold them to the same bounds as the rest."""
    stack: list[tuple[object, int]] = [(value, 1)]
    count = 0
    while stack:
        item, depth = stack.pop()
        children = item if isinstance(item, list) else (
            list(item.values()) if isinstance(item, dict) else None)
        if children is None:
            continue
        if depth > MAX_DEPTH:
            raise WireError(where, path, f"nested deeper than {MAX_DEPTH}")
        count += len(children)
        if count > MAX_ITEMS:
            raise WireError(where, path, f"more than {MAX_ITEMS} items")
        stack.extend((child, depth + 1) for child in children)


def _parameters(params: list[w.ActionParameter] | None, where: str,
                path: str) -> Mapping[str, Any]:
    if not params:
        return _EMPTY
    out: dict[str, Any] = {}
    for i, p in enumerate(params):
        if p.key in out:
            raise WireError(where, f"{path}.actionParameters[{i}].key",
                            f"duplicate key {p.key[:40]!r}")
        if isinstance(p.value, list | dict):
            _check_depth(p.value, where, f"{path}.actionParameters[{i}].value")
        out[p.key] = p.value
    return MappingProxyType(out)


def _from_wire_action(a: w.WireAction | w.WireInstantAction, action_type: str, where: str,
                      path: str) -> Action:
    return Action(action_type=action_type, action_id=a.action_id, blocking_type=a.blocking_type,
                  parameters=_parameters(a.action_parameters, where, path),
                  description=a.action_description or "")


def decode_order(payload: Payload, topic: str | None = None) -> Inbound[Order]:
    """The vehicle's side (simulated vehicles). Structure beyond types (edges joining
    nodes, sequence ids) is the vehicle's acceptance check: ``Order.check``."""
    where = where_from(Topic.ORDER, topic)
    msg = w.decode(_ORDER, payload, where)
    header = header_of(msg, Topic.ORDER, topic, where)
    nodes = []
    for i, n in enumerate(msg.nodes):
        p = n.node_position
        position = None if p is None else NodePosition(
            x=p.x, y=p.y, theta=p.theta, map_id=p.map_id,
            allowed_deviation_xy=(p.allowed_deviation_xy if p.allowed_deviation_xy is not None
                                  else p.allowed_deviation_xy_20),
            allowed_deviation_theta=p.allowed_deviation_theta)
        nodes.append(Node(n.node_id, n.sequence_id, n.released, position, tuple(
            [_from_wire_action(a, a.action_type, where, f"$.nodes[{i}].actions[{j}]")
             for j, a in enumerate(n.actions)])))
    edges = [Edge(e.edge_id, e.sequence_id, e.released, e.start_node_id, e.end_node_id,
                  e.max_speed, tuple([_from_wire_action(a, a.action_type, where,
                                                        f"$.edges[{i}].actions[{j}]")
                                      for j, a in enumerate(e.actions)]))
             for i, e in enumerate(msg.edges)]
    return Inbound(header, Order(msg.order_id, msg.order_update_id, tuple(nodes), tuple(edges)))


def decode_instant_actions(payload: Payload, topic: str | None = None, *,
                           key: str | None = None) -> Inbound[tuple[Action, ...]]:
    """The list is read under ``actions`` (2.1) or ``instantActions`` (2.0); ``key``
    names the only one taken, as a strict vehicle of one version reads (the other
    is then an unknown field and the message lacks its list)."""
    where = where_from(Topic.INSTANT_ACTIONS, topic)
    msg = w.decode(_INSTANT, payload, where)
    header = header_of(msg, Topic.INSTANT_ACTIONS, topic, where)
    found = {"actions": msg.actions, "instantActions": msg.instant_actions}
    if key is not None:
        wire_actions = found.get(key)
    else:
        key, wire_actions = "actions", msg.actions
        if wire_actions is None:
            key, wire_actions = "instantActions", msg.instant_actions
    if wire_actions is None:
        raise WireError(where, "$", f"object missing required field {key}")
    actions = []
    for i, a in enumerate(wire_actions):
        action_type = a.action_type if a.action_type is not None else a.action_name
        if action_type is None:
            raise WireError(where, f"$.{key}[{i}]", "object missing required field actionType")
        actions.append(_from_wire_action(a, action_type, where, f"$.{key}[{i}]"))
    return Inbound(header, tuple(actions))


def _from_position(p: w.WireAgvPosition) -> Position:
    return Position(p.x, p.y, p.theta, p.map_id, p.position_initialized)


def decode_state(payload: Payload, topic: str | None = None, *,
                 received_at: float | None = None) -> Inbound[RobotState]:
    """``RobotState.timestamp`` is ``received_at`` (the controller's clock) when given,
    else the vehicle's header time: the two clocks need not agree."""
    where = where_from(Topic.STATE, topic)
    msg = w.decode(_STATE, payload, where)
    header = header_of(msg, Topic.STATE, topic, where)
    battery = msg.battery_state
    state = RobotState(
        serial=msg.serial_number,
        timestamp=received_at if received_at is not None else header.timestamp or 0.0,
        order_id=msg.order_id, order_update_id=msg.order_update_id,
        last_node_id=msg.last_node_id, last_node_sequence_id=msg.last_node_sequence_id,
        node_states=tuple([NodeState(n.node_id, n.sequence_id, n.released)
                           for n in msg.node_states]),
        edge_states=tuple([EdgeState(e.edge_id, e.sequence_id, e.released)
                           for e in msg.edge_states]),
        action_states=tuple([ActionState(a.action_id, a.action_status, a.action_type or "",
                                         a.result_description or "")
                             for a in msg.action_states]),
        driving=msg.driving, battery=BatteryState(battery.battery_charge, battery.charging),
        operating_mode=msg.operating_mode,
        errors=tuple([RobotError(e.error_type, e.error_level, e.error_description or "",
                                 MappingProxyType({r.reference_key: r.reference_value
                                                   for r in e.error_references or ()}))
                      for e in msg.errors]),
        e_stop=msg.safety_state.e_stop, paused=bool(msg.paused),
        position=None if msg.agv_position is None else _from_position(msg.agv_position),
        loads=None if msg.loads is None else tuple([
            Load(ld.load_position or "", ld.load_id or "", ld.load_type or "")
            for ld in msg.loads]))
    return Inbound(header, state)


def decode_connection(payload: Payload, topic: str | None = None) -> Inbound[ConnectionState]:
    where = where_from(Topic.CONNECTION, topic)
    msg = w.decode(_CONNECTION, payload, where)
    return Inbound(header_of(msg, Topic.CONNECTION, topic, where), msg.connection_state)


def decode_visualization(payload: Payload,
                         topic: str | None = None) -> Inbound[Position | None]:
    """Every field is optional; a header without names takes them from the topic."""
    where = where_from(Topic.VISUALIZATION, topic)
    msg = w.decode(_VISUALIZATION, payload, where)
    address = address_of(topic, Topic.VISUALIZATION, where)
    manufacturer = msg.manufacturer if msg.manufacturer is not None else (
        address.manufacturer if address else "")
    serial = msg.serial_number if msg.serial_number is not None else (
        address.serial if address else "")
    if address is not None:
        check_sender(address, manufacturer, serial, where)
    stamp = None if msg.timestamp is None else parse_timestamp(msg.timestamp, where)
    header = Header(msg.header_id, stamp, msg.version or "", manufacturer, serial)
    return Inbound(header, None if msg.agv_position is None else _from_position(msg.agv_position))
