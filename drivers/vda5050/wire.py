"""VDA 5050 2.1 messages as they travel: msgspec structs with the spec's camelCase
names, the limits every inbound payload is held to, and the one place where raw
bytes become typed structs (or a located ``WireError``).

The structs mirror the official 2.1.0 JSON schemas for the fields the fleet reads
or writes; unknown fields are skipped on the way in, so vendor extensions and the
optional blocks nobody here uses (maps, information, trajectories) do not cost a
rejection. Required fields have no default, so the encoder always writes them
and the decoder refuses a message without them; optional fields default to
``None`` and are left out on the way out (``omit_defaults``). 2.0-era spellings
(``allowedDeviationXy``, the ``instantActions`` key, ``actionName``) sit beside
the 2.1 names as optional fields; the codec picks whichever arrived. The
factsheet's structs live with its mapping in ``drivers.vda5050.factsheet``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

import msgspec

from fleet.errors import ProtocolError
from fleet.vda import ActionStatus, BlockingType, ConnectionState, ErrorLevel, EStop, OperatingMode

VERSION = "2.1.0"
"""Written unless a vehicle speaks another 2.x (``Vehicle.version``)."""
MAX_PAYLOAD_BYTES = 256 * 1024
"""Checked before parsing: a state of a busy robot is a few kilobytes."""
MAX_ITEMS = 10_000
"""Per array; no order, state or factsheet of a serving robot comes near it."""
MAX_DEPTH = 32
"""Nesting allowed inside free-form action parameter values."""

ITEMS = msgspec.Meta(max_length=MAX_ITEMS)
UInt32 = Annotated[int, msgspec.Meta(ge=0, le=2**32 - 1)]
Version = Annotated[str, msgspec.Meta(pattern=r"^2\.[0-9]+\.[0-9]+")]
"""Major version 2 (2.0.x and 2.1.x share the ``v2`` topics); 1.x and 3.x differ."""
_VERSION = re.compile(r"^2\.[0-9]+\.[0-9]+")


def is_version(text: str) -> bool:
    """Whether ``text`` is a 2.x version this codec can write and read."""
    return _VERSION.match(text) is not None


def minor_of(version: str) -> str:
    """``2.0.1`` -> ``2.0``: vehicles of one major.minor read the same message keys."""
    return ".".join(version.split(".")[:2])


def instant_actions_key(version: str) -> str:
    """The instantActions message's list: ``instantActions`` in VDA 5050 2.0.x (its
    schema, and the libraries built on it, such as vda-5050-lib.js up to 1.4.0),
    ``actions`` from 2.1.0 on. A strict 2.0 vehicle finds no actions under the other."""
    return "instantActions" if minor_of(version) == "2.0" else "actions"
Distance = Annotated[float, msgspec.Meta(ge=0)]
Payload = bytes | bytearray | memoryview
ParamValue = list[Any] | dict[str, Any] | bool | int | float | str
"""The schema's ``value``: array, boolean, number, string or object (not null)."""


class WireError(ProtocolError):
    """A VDA 5050 message that cannot be taken (or made): ``where`` names the message
    and its topic, ``path`` the field (JSONPath, ``$`` for the whole message) and
    ``reason`` what is wrong with it, so a driver can count rejections by reason."""

    def __init__(self, where: str, path: str, reason: str) -> None:
        self.where = where
        self.path = path
        self.reason = reason
        super().__init__(f"{where}: {path}: {reason}")


class WireStruct(msgspec.Struct, kw_only=True, rename="camel", omit_defaults=True, gc=False):
    """Shared config: camelCase names, optional fields omitted, no GC tracking."""


class WireHeader(WireStruct, kw_only=True):
    """The header every message but visualization and factsheet must carry."""

    header_id: UInt32
    timestamp: str
    version: Version
    manufacturer: str
    serial_number: str


# -- order and instant actions ------------------------------------------------------------


class ActionParameter(WireStruct, kw_only=True):
    key: str
    value: ParamValue


class WireAction(WireStruct, kw_only=True):
    action_type: str
    action_id: str
    blocking_type: BlockingType
    action_description: str | None = None
    action_parameters: Annotated[list[ActionParameter], ITEMS] | None = None


class WireInstantAction(WireStruct, kw_only=True):
    """An instant action; 2.0 schemas (wrongly) named ``actionType`` ``actionName``."""

    action_id: str
    blocking_type: BlockingType
    action_type: str | None = None
    action_name: str | None = None
    action_description: str | None = None
    action_parameters: Annotated[list[ActionParameter], ITEMS] | None = None


class WireNodePosition(WireStruct, kw_only=True):
    x: float
    y: float
    map_id: str
    theta: float | None = None
    allowed_deviation_xy: Distance | None = msgspec.field(default=None, name="allowedDeviationXY")
    allowed_deviation_xy_20: Distance | None = msgspec.field(default=None,
                                                             name="allowedDeviationXy")
    allowed_deviation_theta: float | None = None
    map_description: str | None = None


class WireNode(WireStruct, kw_only=True):
    node_id: str
    sequence_id: UInt32
    released: bool
    actions: Annotated[list[WireAction], ITEMS]
    node_description: str | None = None
    node_position: WireNodePosition | None = None


class WireEdge(WireStruct, kw_only=True):
    edge_id: str
    sequence_id: UInt32
    released: bool
    start_node_id: str
    end_node_id: str
    actions: Annotated[list[WireAction], ITEMS]
    edge_description: str | None = None
    max_speed: float | None = None


class WireOrder(WireHeader, kw_only=True):
    order_id: str
    order_update_id: UInt32
    nodes: Annotated[list[WireNode], ITEMS]
    edges: Annotated[list[WireEdge], ITEMS]
    zone_set_id: str | None = None


class WireInstantActions(WireHeader, kw_only=True):
    """``actions`` in 2.1; vda-5050-lib.js up to 1.4.0 sent them as ``instantActions``."""

    actions: Annotated[list[WireInstantAction], ITEMS] | None = None
    instant_actions: Annotated[list[WireInstantAction], ITEMS] | None = None


# -- state ----------------------------------------------------------------------------------


class WireNodeState(WireStruct, kw_only=True):
    node_id: str
    sequence_id: UInt32
    released: bool
    node_description: str | None = None


class WireEdgeState(WireStruct, kw_only=True):
    edge_id: str
    sequence_id: UInt32
    released: bool
    edge_description: str | None = None


class WireActionState(WireStruct, kw_only=True):
    action_id: str
    action_status: ActionStatus
    action_type: str | None = None
    action_description: str | None = None
    result_description: str | None = None


class WireBatteryState(WireStruct, kw_only=True):
    battery_charge: float
    charging: bool
    battery_voltage: float | None = None
    battery_health: float | None = None
    reach: float | None = None


class WireErrorReference(WireStruct, kw_only=True):
    reference_key: str
    reference_value: str


class WireErrorEntry(WireStruct, kw_only=True):
    """One entry of the state's ``errors`` (``WireError`` is the exception)."""

    error_type: str
    error_level: ErrorLevel
    error_references: Annotated[list[WireErrorReference], ITEMS] | None = None
    error_description: str | None = None
    error_hint: str | None = None


class WireSafetyState(WireStruct, kw_only=True):
    e_stop: EStop
    field_violation: bool


class WireAgvPosition(WireStruct, kw_only=True):
    x: float
    y: float
    theta: float
    map_id: str
    position_initialized: bool
    map_description: str | None = None
    localization_score: float | None = None
    deviation_range: float | None = None


class WireVelocity(WireStruct, kw_only=True):
    vx: float | None = None
    vy: float | None = None
    omega: float | None = None


class WireLoad(WireStruct, kw_only=True):
    load_id: str | None = None
    load_type: str | None = None
    load_position: str | None = None
    weight: float | None = None


class WireState(WireHeader, kw_only=True):
    order_id: str
    order_update_id: UInt32
    last_node_id: str
    last_node_sequence_id: UInt32
    node_states: Annotated[list[WireNodeState], ITEMS]
    edge_states: Annotated[list[WireEdgeState], ITEMS]
    driving: bool
    action_states: Annotated[list[WireActionState], ITEMS]
    battery_state: WireBatteryState
    operating_mode: OperatingMode
    errors: Annotated[list[WireErrorEntry], ITEMS]
    safety_state: WireSafetyState
    zone_set_id: str | None = None
    paused: bool | None = None
    new_base_request: bool | None = None
    distance_since_last_node: float | None = None
    agv_position: WireAgvPosition | None = None
    velocity: WireVelocity | None = None
    loads: Annotated[list[WireLoad], ITEMS] | None = None
    """Absent: the vehicle cannot sense loads. ``[]``: it senses none."""


# -- connection and visualization -----------------------------------------------------------


class WireConnection(WireHeader, kw_only=True):
    connection_state: ConnectionState


class WireVisualization(WireStruct, kw_only=True):
    """Every field is optional here, the header too."""

    header_id: UInt32 | None = None
    timestamp: str | None = None
    version: Version | None = None
    manufacturer: str | None = None
    serial_number: str | None = None
    agv_position: WireAgvPosition | None = None
    velocity: WireVelocity | None = None


# -- bytes <-> structs ---------------------------------------------------------------------------

T = TypeVar("T")
_ENCODER = msgspec.json.Encoder()
_AT = re.compile(r"^(?P<reason>.*?) - at `(?P<path>\$.*)`$", re.DOTALL)
_TYPE_NAMES = {"float": "number", "int": "integer", "str": "string", "bool": "boolean"}
_TICKED = re.compile(r"`([^`]*)`")


def encode(where: str, message: WireStruct) -> bytes:
    """JSON for ``message`` (named ``where`` in errors), or ``WireError`` when a string
    in it is not Unicode text."""
    try:
        return _ENCODER.encode(message)
    except (msgspec.EncodeError, ValueError) as exc:
        raise WireError(where, "$", f"cannot be written as JSON ({exc})") from exc


def decode(dec: msgspec.json.Decoder[T], payload: Payload,
           where: str) -> T:
    """Parse ``payload`` or raise ``WireError`` (never anything else) saying where."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise WireError(where, "$", f"{len(payload)} bytes is more than the "
                                    f"{MAX_PAYLOAD_BYTES} allowed")
    try:
        return dec.decode(payload)
    except msgspec.ValidationError as exc:
        path, reason = _located(str(exc), payload)
        raise WireError(where, path, reason) from exc
    except msgspec.DecodeError as exc:
        raise WireError(where, "$", f"not JSON ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise WireError(where, "$", f"not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    except RecursionError as exc:
        raise WireError(where, "$", "nested too deep") from exc


def _located(message: str, payload: Payload) -> tuple[str, str]:
    """msgspec's ``Expected `float`, got `str` - at `$.a.b``` -> (``$.a.b``,
    ``expected number, got "x"``), quoting the value that was there."""
    match = _AT.match(message)
    path, reason = (match["path"], match["reason"]) if match else ("$", message)
    reason = _TICKED.sub(lambda m: " | ".join(_TYPE_NAMES.get(t, t) for t in
                                              m[1].split(" | ")), reason)
    reason = reason[:1].lower() + reason[1:]
    if ", got " in reason:
        found = _value_at(payload, path)
        if found is not None:
            reason = reason.split(", got ", 1)[0] + ", got " + found
    return path, reason


_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _value_at(payload: Payload, path: str) -> str | None:
    """The JSON text of the value at ``path`` (shortened), or None if it cannot be had."""
    steps = list(_STEP.finditer(path[1:]))
    if "".join(step[0] for step in steps) != path[1:]:
        return None  # a key msgspec could not spell (``[...]``)
    try:
        value: Any = msgspec.json.decode(payload)
        for step in steps:
            value = value[step[1]] if step[1] is not None else value[int(step[2])]
        text = _ENCODER.encode(value).decode()
    except (msgspec.MsgspecError, ValueError, RecursionError, LookupError, TypeError):
        return None
    return text if len(text) <= 40 else text[:37] + "..."
