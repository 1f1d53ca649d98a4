"""The VDA 5050 factsheet (§6.15) <-> ``fleet.link.Capabilities``.

What the controller reads from a factsheet: the trays (``loadSpecification.
loadPositions``, one per tray slot), the top speed, the actions the vehicle takes
(``protocolFeatures.agvActions``), and its protocol limits (``order.nodes`` per
order, the shortest of the id, enum and loadId string limits). Whether it senses
its trays is read from ``optionalParameters``: the spec says a parameter not
listed there is not supported, so a vehicle that reports ``state.loads`` lists it.
The rest of the sheet (geometry, kinematics, timing) is written with a serving
robot's values (``Body``) so that simulated vehicles publish a valid factsheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec

from drivers.vda5050 import wire as w
from drivers.vda5050.envelope import (
    Header,
    Inbound,
    Vehicle,
    address_of,
    finite,
    iso_timestamp,
    parse_timestamp,
    uint32,
    where_from,
)
from drivers.vda5050.topics import Topic, check_sender
from drivers.vda5050.wire import ITEMS, VERSION, UInt32, Version, WireStruct
from fleet.link import Capabilities

LOADS_PARAMETER = "state.loads"

# Enums the fleet does not act on (kinematics, classes, localisation) are plain strings:
# a vehicle is not refused for a value added in a later minor version.


class WireTypeSpecification(WireStruct, kw_only=True):
    series_name: str
    agv_kinematic: str
    agv_class: str
    max_load_mass: float
    localization_types: Annotated[list[str], ITEMS]
    navigation_types: Annotated[list[str], ITEMS]
    series_description: str | None = None


class WirePhysicalParameters(WireStruct, kw_only=True):
    speed_min: float
    speed_max: Annotated[float, msgspec.Meta(gt=0)]
    """Positive: the controller divides by it."""
    acceleration_max: float
    deceleration_max: float
    height_max: float
    width: float
    length: float
    height_min: float | None = None


class WireMaxStringLens(WireStruct, kw_only=True):
    msg_len: int | None = None
    topic_serial_len: int | None = None
    topic_elem_len: int | None = None
    id_len: int | None = None
    id_numerical_only: bool | None = None
    enum_len: int | None = None
    load_id_len: int | None = None


class WireTiming(WireStruct, kw_only=True):
    min_order_interval: float
    min_state_interval: float
    default_state_interval: float | None = None
    visualization_interval: float | None = None


class WireProtocolLimits(WireStruct, kw_only=True):
    max_string_lens: WireMaxStringLens
    max_array_lens: Annotated[dict[str, int], ITEMS]
    """Keys are dotted (``order.nodes``, ``state.loads``), so a mapping, not a struct."""
    timing: WireTiming


class WireOptionalParameter(WireStruct, kw_only=True):
    parameter: str
    support: str
    description: str | None = None


class WireAgvAction(WireStruct, kw_only=True):
    """``blockingTypes`` is not modelled: the 2.1 schema puts its enum on the array
    itself, so no non-empty value of it validates."""

    action_type: str
    action_scopes: Annotated[list[str], ITEMS]
    action_description: str | None = None
    result_description: str | None = None


class WireProtocolFeatures(WireStruct, kw_only=True):
    optional_parameters: Annotated[list[WireOptionalParameter], ITEMS]
    agv_actions: Annotated[list[WireAgvAction], ITEMS]


class WireAgvGeometry(WireStruct, kw_only=True):
    """Wheels and envelopes are the vehicle's business; only the block is required."""


class WireLoadSet(WireStruct, kw_only=True):
    set_name: str
    load_type: str
    load_positions: Annotated[list[str], ITEMS] | None = None
    max_weight: float | None = None
    description: str | None = None


class WireLoadSpecification(WireStruct, kw_only=True):
    load_positions: Annotated[list[str], ITEMS] | None = None
    """The trays. Absent or empty: no load handling device at all."""
    load_sets: Annotated[list[WireLoadSet], ITEMS] | None = None


class WireFactsheet(WireStruct, kw_only=True):
    version: Version
    manufacturer: str
    serial_number: str
    type_specification: WireTypeSpecification
    physical_parameters: WirePhysicalParameters
    protocol_limits: WireProtocolLimits
    protocol_features: WireProtocolFeatures
    agv_geometry: WireAgvGeometry
    load_specification: WireLoadSpecification
    header_id: UInt32 | None = None
    timestamp: str | None = None


_DECODER = msgspec.json.Decoder(WireFactsheet)

_SCOPES: dict[str, list[str]] = {
    "startPause": ["INSTANT"], "stopPause": ["INSTANT"], "cancelOrder": ["INSTANT"],
    "stateRequest": ["INSTANT"], "factsheetRequest": ["INSTANT"], "logReport": ["INSTANT"],
    "startCharging": ["INSTANT", "NODE"], "stopCharging": ["INSTANT", "NODE"],
    "initPosition": ["INSTANT", "NODE"], "waitForTrigger": ["NODE"],
    "pick": ["NODE", "EDGE"], "drop": ["NODE", "EDGE"], "finePositioning": ["NODE", "EDGE"],
    "detectObject": ["NODE", "EDGE"],
}
"""Where each predefined action may be used (spec §6.8); others: anywhere."""


@dataclass(frozen=True, slots=True)
class Body:
    """The factsheet's facts the controller does not plan with, set for a small
    serving robot; a simulated vehicle may override them."""

    series_description: str = "restaurant serving robot"
    speed_min: float = 0.05
    acceleration_max: float = 0.5
    deceleration_max: float = 1.0
    height_max: float = 1.3
    width: float = 0.5
    length: float = 0.5
    max_load_mass: float = 10.0
    min_order_interval: float = 0.1
    min_state_interval: float = 0.1
    default_state_interval: float = 30.0
    visualization_interval: float = 1.0


def encode_factsheet(caps: Capabilities, *, header_id: int, at: float, version: str = VERSION,
                     body: Body | None = None) -> bytes:
    body = body or Body()
    vehicle = Vehicle(caps.manufacturer, caps.serial, version)
    where = f"factsheet of {vehicle.serial}"
    limit = caps.max_string_length
    trays = [f"tray{i}" for i in range(1, caps.trays + 1)]
    return w.encode(where, WireFactsheet(
        header_id=uint32(header_id, where, "$.headerId"), timestamp=iso_timestamp(at),
        version=version, manufacturer=vehicle.manufacturer, serial_number=vehicle.serial,
        type_specification=WireTypeSpecification(
            series_name=caps.model, series_description=body.series_description,
            agv_kinematic="DIFF", agv_class="CARRIER", max_load_mass=body.max_load_mass,
            localization_types=["NATURAL"], navigation_types=["AUTONOMOUS"]),
        physical_parameters=WirePhysicalParameters(
            speed_min=body.speed_min,
            speed_max=finite(caps.max_speed, where, "$.physicalParameters.speedMax",
                             minimum=1e-9),
            acceleration_max=body.acceleration_max, deceleration_max=body.deceleration_max,
            height_max=body.height_max, width=body.width, length=body.length),
        protocol_limits=WireProtocolLimits(
            max_string_lens=WireMaxStringLens(id_len=limit, enum_len=limit, load_id_len=limit),
            max_array_lens=({} if caps.max_nodes_per_order is None
                            else {"order.nodes": caps.max_nodes_per_order}),
            timing=WireTiming(min_order_interval=body.min_order_interval,
                              min_state_interval=body.min_state_interval,
                              default_state_interval=body.default_state_interval,
                              visualization_interval=body.visualization_interval)),
        protocol_features=WireProtocolFeatures(
            optional_parameters=([WireOptionalParameter(parameter=LOADS_PARAMETER,
                                                        support="SUPPORTED")]
                                 if caps.can_sense_loads else []),
            agv_actions=[WireAgvAction(action_type=t,
                                       action_scopes=_SCOPES.get(t, ["INSTANT", "NODE", "EDGE"]))
                         for t in sorted(caps.supported_actions)]),
        agv_geometry=WireAgvGeometry(),
        load_specification=WireLoadSpecification(
            load_positions=trays or None,
            load_sets=[WireLoadSet(set_name="DEFAULT", load_type="dish")] if trays else None)))


def decode_factsheet(payload: w.Payload, topic: str | None = None) -> Inbound[Capabilities]:
    where = where_from(Topic.FACTSHEET, topic)
    msg = w.decode(_DECODER, payload, where)
    address = address_of(topic, Topic.FACTSHEET, where)
    if address is not None:
        check_sender(address, msg.manufacturer, msg.serial_number, where)
    stamp = None if msg.timestamp is None else parse_timestamp(msg.timestamp, where)
    header = Header(msg.header_id, stamp, msg.version, msg.manufacturer, msg.serial_number)
    limits = msg.protocol_limits
    lens = limits.max_string_lens
    string_limits = [n for n in (lens.id_len, lens.enum_len, lens.load_id_len) if n and n > 0]
    max_nodes = limits.max_array_lens.get("order.nodes", 0)
    features = msg.protocol_features
    return Inbound(header, Capabilities(
        manufacturer=msg.manufacturer, serial=msg.serial_number,
        model=msg.type_specification.series_name,
        trays=len(msg.load_specification.load_positions or ()),
        max_speed=msg.physical_parameters.speed_max,
        supported_actions=frozenset(a.action_type for a in features.agv_actions),
        max_nodes_per_order=max_nodes if max_nodes > 0 else None,
        max_string_length=min(string_limits) if string_limits else None,
        can_sense_loads=any(p.parameter == LOADS_PARAMETER
                            for p in features.optional_parameters)))
