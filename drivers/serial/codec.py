"""The serial protocol's message bodies: the controller's VDA 5050 values (``fleet.vda``,
``fleet.link.Capabilities``) in a compact binary layout, field by field as
``docs/serial-protocol.md`` draws them.

A message on its own (as logged, or as ``encode_message`` returns it) is its type byte
followed by its body; inside a frame the type sits in the header. Decoders check
everything a C decoder would (bounds, enum codes, reserved flag bits, trailing bytes)
and raise ``SerialProtocolError`` (a ``fleet.errors.ProtocolError``), never anything
else. Compactness comes from three habits: strings the restaurant repeats are one-byte
tokens, small integers are varints, and an edge whose ids follow from its nodes
(``r1c2-r1c3`` between ``r1c2`` and ``r1c3``) is one flag byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from types import MappingProxyType

from drivers.serial.binary import Reader, SerialProtocolError, Writer, code, index, read_flags
from drivers.serial.reports import get_capabilities, get_state, put_capabilities, put_state
from fleet.link import Capabilities
from fleet.vda import (
    Action,
    BlockingType,
    ConnectionState,
    Edge,
    Node,
    NodePosition,
    Order,
    RobotState,
)

__all__ = ["ConnectionReport", "InstantActions", "Kind", "Message", "SerialProtocolError",
           "decode_body", "decode_message", "encode_body", "encode_message"]


@dataclass(frozen=True, slots=True)
class InstantActions:
    actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    state: ConnectionState


Message = Order | InstantActions | RobotState | ConnectionReport | Capabilities


class Kind(IntEnum):
    """Frame types. 0x01-0x0F are control frames (not sequenced); 0x10-0x7F data frames
    (sequenced, acknowledged, delivered exactly once)."""

    HELLO = 0x01
    ACK = 0x02
    HEARTBEAT = 0x03
    ORDER = 0x10
    INSTANT_ACTIONS = 0x11
    STATE = 0x12
    CONNECTION = 0x13
    FACTSHEET = 0x14


BLOCKING = (BlockingType.NONE, BlockingType.SOFT, BlockingType.HARD)
CONNECTIONS = (ConnectionState.ONLINE, ConnectionState.OFFLINE,
               ConnectionState.CONNECTIONBROKEN)

# Flag bits, named as in the document.
N_RELEASED, N_POSITION, N_THETA, N_DEVIATION = 0x01, 0x02, 0x04, 0x08
E_RELEASED, E_MAX_SPEED, E_IMPLIED = 0x01, 0x02, 0x04


# -- actions --------------------------------------------------------------------------------


def _put_action(w: Writer, a: Action, what: str) -> None:
    w.text(a.action_type, f"{what}.actionType")
    w.text(a.action_id, f"{what}.actionId")
    w.buf.append(index(BLOCKING, a.blocking_type, f"{what}.blockingType"))
    w.text(a.description, f"{what}.actionDescription")
    w.count(len(a.parameters), f"{what}.actionParameters")
    for key, value in a.parameters.items():
        w.text(key, f"{what}.actionParameters key")
        w.value(value, f"{what}.actionParameters.{key}")


def _put_actions(w: Writer, actions: Sequence[Action], what: str) -> None:
    w.count(len(actions), what)
    for i, a in enumerate(actions):
        _put_action(w, a, f"{what}[{i}]")


def _get_action(r: Reader, what: str) -> Action:
    action_type = r.text(f"{what}.actionType")
    action_id = r.text(f"{what}.actionId")
    blocking = code(r, BLOCKING, f"{what}.blockingType")
    description = r.text(f"{what}.actionDescription")
    params: dict[str, object] = {}
    for _ in range(r.u8(f"{what}.actionParameters")):
        key = r.text(f"{what}.actionParameters key")
        if key in params:
            raise SerialProtocolError(f"{what}: duplicate parameter {key[:40]!r}")
        params[key] = r.value(f"{what}.actionParameters.{key}")
    return Action(action_type, action_id, blocking,
                  MappingProxyType(params) if params else MappingProxyType({}), description)


def _get_actions(r: Reader, what: str) -> tuple[Action, ...]:
    return tuple([_get_action(r, f"{what}[{i}]") for i in range(r.u8(what))])


# -- order ------------------------------------------------------------------------------------


def _edge_implied(order: Order, i: int) -> bool:
    e = order.edges[i]
    if i + 1 >= len(order.nodes):
        return False
    a, b = order.nodes[i], order.nodes[i + 1]
    return (e.start_node_id, e.end_node_id, e.edge_id, e.sequence_id) == (
        a.node_id, b.node_id, f"{a.node_id}-{b.node_id}", a.sequence_id + 1)


def _put_order(w: Writer, order: Order) -> None:
    w.text(order.order_id, "orderId")
    w.uvar(order.order_update_id, "orderUpdateId")
    w.count(len(order.nodes), "nodes")
    for i, n in enumerate(order.nodes):
        what = f"nodes[{i}]"
        w.text(n.node_id, f"{what}.nodeId")
        w.uvar(n.sequence_id, f"{what}.sequenceId")
        p = n.position
        flags = N_RELEASED if n.released else 0
        if p is not None:
            flags |= N_POSITION | (N_THETA if p.theta is not None else 0) | (
                N_DEVIATION if p.allowed_deviation_xy is not None else 0)
        w.buf.append(flags)
        if p is not None:
            w.f32(p.x, f"{what}.x")
            w.f32(p.y, f"{what}.y")
            if p.theta is not None:
                w.f32(p.theta, f"{what}.theta")
            if p.allowed_deviation_xy is not None:
                w.f32(p.allowed_deviation_xy, f"{what}.allowedDeviationXY")
            w.text(p.map_id, f"{what}.mapId")
        _put_actions(w, n.actions, f"{what}.actions")
    w.count(len(order.edges), "edges")
    for i, e in enumerate(order.edges):
        what = f"edges[{i}]"
        implied = _edge_implied(order, i)
        w.buf.append((E_RELEASED if e.released else 0) | (E_IMPLIED if implied else 0) | (
            E_MAX_SPEED if e.max_speed is not None else 0))
        if not implied:
            w.text(e.edge_id, f"{what}.edgeId")
            w.uvar(e.sequence_id, f"{what}.sequenceId")
            w.text(e.start_node_id, f"{what}.startNodeId")
            w.text(e.end_node_id, f"{what}.endNodeId")
        if e.max_speed is not None:
            w.f32(e.max_speed, f"{what}.maxSpeed")
        _put_actions(w, e.actions, f"{what}.actions")


def _get_order(r: Reader) -> Order:
    order_id = r.text("orderId")
    update_id = r.uvar("orderUpdateId")
    nodes = []
    for i in range(r.u8("nodes")):
        what = f"nodes[{i}]"
        node_id = r.text(f"{what}.nodeId")
        seq = r.uvar(f"{what}.sequenceId")
        flags = read_flags(r, N_RELEASED | N_POSITION | N_THETA | N_DEVIATION, f"{what} flags")
        position = None
        if flags & N_POSITION:
            x, y = r.f32(f"{what}.x"), r.f32(f"{what}.y")
            theta = r.f32(f"{what}.theta") if flags & N_THETA else None
            dev = r.f32(f"{what}.allowedDeviationXY") if flags & N_DEVIATION else None
            position = NodePosition(x, y, theta, r.text(f"{what}.mapId"), dev)
        elif flags & (N_THETA | N_DEVIATION):
            raise SerialProtocolError(f"{what}: theta or deviation without a position")
        nodes.append(Node(node_id, seq, bool(flags & N_RELEASED), position,
                          _get_actions(r, f"{what}.actions")))
    edges = []
    for i in range(r.u8("edges")):
        what = f"edges[{i}]"
        flags = read_flags(r, E_RELEASED | E_MAX_SPEED | E_IMPLIED, f"{what} flags")
        if flags & E_IMPLIED:
            if i + 1 >= len(nodes):
                raise SerialProtocolError(f"{what}: implied ids but no node {i + 1}")
            a, b = nodes[i], nodes[i + 1]
            edge_id, seq, start, end = (f"{a.node_id}-{b.node_id}", a.sequence_id + 1,
                                        a.node_id, b.node_id)
        else:
            edge_id, seq = r.text(f"{what}.edgeId"), r.uvar(f"{what}.sequenceId")
            start, end = r.text(f"{what}.startNodeId"), r.text(f"{what}.endNodeId")
        speed = r.f32(f"{what}.maxSpeed") if flags & E_MAX_SPEED else None
        edges.append(Edge(edge_id, seq, bool(flags & E_RELEASED), start, end, speed,
                          _get_actions(r, f"{what}.actions")))
    return Order(order_id, update_id, tuple(nodes), tuple(edges))


# -- entry points -------------------------------------------------------------------------------


def encode_body(msg: Message) -> tuple[Kind, bytes]:
    """The frame type and body for ``msg``; ``SerialProtocolError`` if it cannot be sent."""
    w = Writer()
    if isinstance(msg, Order):
        kind = Kind.ORDER
        _put_order(w, msg)
    elif isinstance(msg, InstantActions):
        kind = Kind.INSTANT_ACTIONS
        _put_actions(w, msg.actions, "actions")
    elif isinstance(msg, RobotState):
        kind = Kind.STATE
        put_state(w, msg)
    elif isinstance(msg, ConnectionReport):
        kind = Kind.CONNECTION
        w.buf.append(index(CONNECTIONS, msg.state, "connectionState"))
    elif isinstance(msg, Capabilities):
        kind = Kind.FACTSHEET
        put_capabilities(w, msg)
    else:
        raise SerialProtocolError(f"a {type(msg).__name__} is not a serial message")
    return kind, bytes(w.buf)


def decode_body(kind: int, body: bytes) -> Message:
    """The message a data frame of type ``kind`` carries; ``SerialProtocolError`` for a
    control or unknown type, or a body that does not decode to its very last byte."""
    r = Reader(body)
    msg: Message
    if kind == Kind.ORDER:
        msg = _get_order(r)
    elif kind == Kind.INSTANT_ACTIONS:
        msg = InstantActions(_get_actions(r, "actions"))
    elif kind == Kind.STATE:
        msg = get_state(r)
    elif kind == Kind.CONNECTION:
        msg = ConnectionReport(code(r, CONNECTIONS, "connectionState"))
    elif kind == Kind.FACTSHEET:
        msg = get_capabilities(r)
    else:
        raise SerialProtocolError(f"type {kind:#04x} is not a message type")
    r.end(f"{Kind(kind).name} body")
    return msg


def encode_message(msg: Message) -> bytes:
    """A message on its own: its type byte, then its body."""
    kind, body = encode_body(msg)
    return bytes([kind]) + body


def decode_message(data: bytes) -> Message:
    if not data:
        raise SerialProtocolError("empty message")
    return decode_body(data[0], data[1:])
