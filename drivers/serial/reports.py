"""What a robot reports over the serial line: the bodies of STATE and FACTSHEET frames
(``docs/serial-protocol.md``, sections "STATE" and "FACTSHEET").

A state is sent often and over lossy radio, so its layout is the tightest: an edge
state whose id follows from the node states around it (``r1c2-r1c3`` between
``r1c2`` and ``r1c3``) is a single flag byte.
"""

from __future__ import annotations

from types import MappingProxyType

from drivers.serial.binary import Reader, SerialProtocolError, Writer, code, index, read_flags
from fleet.link import Capabilities
from fleet.vda import (
    ActionState,
    ActionStatus,
    BatteryState,
    EdgeState,
    ErrorLevel,
    EStop,
    Load,
    NodeState,
    OperatingMode,
    Position,
    RobotError,
    RobotState,
)

STATUSES = (ActionStatus.WAITING, ActionStatus.INITIALIZING, ActionStatus.RUNNING,
            ActionStatus.PAUSED, ActionStatus.FINISHED, ActionStatus.FAILED)
MODES = (OperatingMode.AUTOMATIC, OperatingMode.SEMIAUTOMATIC, OperatingMode.MANUAL,
         OperatingMode.SERVICE, OperatingMode.TEACHIN)
ESTOPS = (EStop.NONE, EStop.AUTOACK, EStop.MANUAL, EStop.REMOTE)
LEVELS = (ErrorLevel.WARNING, ErrorLevel.FATAL)

S_DRIVING, S_PAUSED, S_CHARGING, S_POSITION, S_INITIALIZED, S_LOADS = (
    0x01, 0x02, 0x04, 0x08, 0x10, 0x20)
ES_RELEASED, ES_IMPLIED = 0x01, 0x02
F_SENSES_LOADS, F_MAX_NODES, F_MAX_STRING = 0x01, 0x02, 0x04


def _edge_state_implied(state: RobotState, i: int) -> bool:
    if i >= len(state.node_states):
        return False
    b = state.node_states[i]
    a_id = state.last_node_id if i == 0 else state.node_states[i - 1].node_id
    e = state.edge_states[i]
    return (e.edge_id, e.sequence_id) == (f"{a_id}-{b.node_id}", b.sequence_id - 1)


def put_state(w: Writer, s: RobotState) -> None:
    w.text(s.serial, "serialNumber")
    w.f64(s.timestamp, "timestamp")
    w.text(s.order_id, "orderId")
    w.uvar(s.order_update_id, "orderUpdateId")
    w.text(s.last_node_id, "lastNodeId")
    w.uvar(s.last_node_sequence_id, "lastNodeSequenceId")
    pos = s.position
    w.buf.append((S_DRIVING if s.driving else 0) | (S_PAUSED if s.paused else 0)
                 | (S_CHARGING if s.battery.charging else 0)
                 | (S_POSITION if pos is not None else 0)
                 | (S_INITIALIZED if pos is not None and pos.initialized else 0)
                 | (S_LOADS if s.loads is not None else 0))
    w.buf.append(index(MODES, s.operating_mode, "operatingMode"))
    w.buf.append(index(ESTOPS, s.e_stop, "eStop"))
    w.f32(s.battery.charge, "batteryCharge")
    if pos is not None:
        w.f32(pos.x, "agvPosition.x")
        w.f32(pos.y, "agvPosition.y")
        w.f32(pos.theta, "agvPosition.theta")
        w.text(pos.map_id, "agvPosition.mapId")
    w.count(len(s.node_states), "nodeStates")
    for i, n in enumerate(s.node_states):
        w.text(n.node_id, f"nodeStates[{i}].nodeId")
        w.uvar(n.sequence_id, f"nodeStates[{i}].sequenceId")
        w.flag(n.released)
    w.count(len(s.edge_states), "edgeStates")
    for i, e in enumerate(s.edge_states):
        implied = _edge_state_implied(s, i)
        w.buf.append((ES_RELEASED if e.released else 0) | (ES_IMPLIED if implied else 0))
        if not implied:
            w.text(e.edge_id, f"edgeStates[{i}].edgeId")
            w.uvar(e.sequence_id, f"edgeStates[{i}].sequenceId")
    w.count(len(s.action_states), "actionStates")
    for i, a in enumerate(s.action_states):
        w.text(a.action_id, f"actionStates[{i}].actionId")
        w.buf.append(index(STATUSES, a.status, f"actionStates[{i}].actionStatus"))
        w.text(a.action_type, f"actionStates[{i}].actionType")
        w.text(a.result_description, f"actionStates[{i}].resultDescription")
    w.count(len(s.errors), "errors")
    for i, err in enumerate(s.errors):
        w.text(err.error_type, f"errors[{i}].errorType")
        w.buf.append(index(LEVELS, err.level, f"errors[{i}].errorLevel"))
        w.text(err.description, f"errors[{i}].errorDescription")
        w.count(len(err.references), f"errors[{i}].errorReferences")
        for key, value in err.references.items():
            w.text(key, f"errors[{i}].referenceKey")
            w.text(value, f"errors[{i}].referenceValue")
    if s.loads is not None:
        w.count(len(s.loads), "loads")
        for i, ld in enumerate(s.loads):
            w.text(ld.load_position, f"loads[{i}].loadPosition")
            w.text(ld.load_id, f"loads[{i}].loadId")
            w.text(ld.load_type, f"loads[{i}].loadType")


def get_state(r: Reader) -> RobotState:
    serial, stamp = r.text("serialNumber"), r.f64("timestamp")
    order_id, update_id = r.text("orderId"), r.uvar("orderUpdateId")
    last_node, last_seq = r.text("lastNodeId"), r.uvar("lastNodeSequenceId")
    flags = read_flags(r, 0x3F, "state flags")
    mode = code(r, MODES, "operatingMode")
    e_stop = code(r, ESTOPS, "eStop")
    charge = r.f32("batteryCharge")
    position = None
    if flags & S_POSITION:
        position = Position(r.f32("agvPosition.x"), r.f32("agvPosition.y"),
                            r.f32("agvPosition.theta"), r.text("agvPosition.mapId"),
                            bool(flags & S_INITIALIZED))
    elif flags & S_INITIALIZED:
        raise SerialProtocolError("state flags: positionInitialized without a position")
    node_states = tuple([NodeState(r.text(f"nodeStates[{i}].nodeId"),
                                   r.uvar(f"nodeStates[{i}].sequenceId"),
                                   r.flag(f"nodeStates[{i}].released"))
                         for i in range(r.u8("nodeStates"))])
    edge_states = []
    for i in range(r.u8("edgeStates")):
        eflags = read_flags(r, ES_RELEASED | ES_IMPLIED, f"edgeStates[{i}] flags")
        if eflags & ES_IMPLIED:
            if i >= len(node_states) or node_states[i].sequence_id == 0:
                raise SerialProtocolError(f"edgeStates[{i}]: implied but no node state {i}")
            b = node_states[i]
            a_id = last_node if i == 0 else node_states[i - 1].node_id
            edge_id, seq = f"{a_id}-{b.node_id}", b.sequence_id - 1
        else:
            edge_id, seq = r.text(f"edgeStates[{i}].edgeId"), r.uvar(f"edgeStates[{i}].sequenceId")
        edge_states.append(EdgeState(edge_id, seq, bool(eflags & ES_RELEASED)))
    action_states = tuple([ActionState(r.text(f"actionStates[{i}].actionId"),
                                       code(r, STATUSES, f"actionStates[{i}].actionStatus"),
                                       r.text(f"actionStates[{i}].actionType"),
                                       r.text(f"actionStates[{i}].resultDescription"))
                           for i in range(r.u8("actionStates"))])
    errors = []
    for i in range(r.u8("errors")):
        error_type = r.text(f"errors[{i}].errorType")
        level = code(r, LEVELS, f"errors[{i}].errorLevel")
        description = r.text(f"errors[{i}].errorDescription")
        refs = {r.text(f"errors[{i}].referenceKey"): r.text(f"errors[{i}].referenceValue")
                for _ in range(r.u8(f"errors[{i}].errorReferences"))}
        errors.append(RobotError(error_type, level, description, MappingProxyType(refs)))
    loads = None
    if flags & S_LOADS:
        loads = tuple([Load(r.text(f"loads[{i}].loadPosition"), r.text(f"loads[{i}].loadId"),
                            r.text(f"loads[{i}].loadType")) for i in range(r.u8("loads"))])
    return RobotState(
        serial=serial, timestamp=stamp, order_id=order_id, order_update_id=update_id,
        last_node_id=last_node, last_node_sequence_id=last_seq, node_states=node_states,
        edge_states=tuple(edge_states), action_states=action_states,
        driving=bool(flags & S_DRIVING), battery=BatteryState(charge, bool(flags & S_CHARGING)),
        operating_mode=mode, errors=tuple(errors), e_stop=e_stop,
        paused=bool(flags & S_PAUSED), position=position, loads=loads)


# -- factsheet ----------------------------------------------------------------------------------


def put_capabilities(w: Writer, c: Capabilities) -> None:
    w.text(c.manufacturer, "manufacturer")
    w.text(c.serial, "serialNumber")
    w.text(c.model, "model")
    w.u8(c.trays, "trays")
    w.f32(c.max_speed, "maxSpeed")
    w.buf.append((F_SENSES_LOADS if c.can_sense_loads else 0)
                 | (F_MAX_NODES if c.max_nodes_per_order is not None else 0)
                 | (F_MAX_STRING if c.max_string_length is not None else 0))
    if c.max_nodes_per_order is not None:
        w.uvar(c.max_nodes_per_order, "maxNodesPerOrder")
    if c.max_string_length is not None:
        w.uvar(c.max_string_length, "maxStringLength")
    actions = sorted(c.supported_actions)
    w.count(len(actions), "supportedActions")
    for name in actions:
        w.text(name, "supportedActions[]")


def get_capabilities(r: Reader) -> Capabilities:
    manufacturer, serial, model = r.text("manufacturer"), r.text("serialNumber"), r.text("model")
    trays, speed = r.u8("trays"), r.f32("maxSpeed")
    flags = read_flags(r, F_SENSES_LOADS | F_MAX_NODES | F_MAX_STRING, "factsheet flags")
    max_nodes = r.uvar("maxNodesPerOrder") if flags & F_MAX_NODES else None
    max_string = r.uvar("maxStringLength") if flags & F_MAX_STRING else None
    actions = frozenset(r.text("supportedActions[]") for _ in range(r.u8("supportedActions")))
    return Capabilities(manufacturer, serial, model, trays, speed, actions, max_nodes,
                        max_string, bool(flags & F_SENSES_LOADS))
