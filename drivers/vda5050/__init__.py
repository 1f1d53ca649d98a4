"""VDA 5050 2.x over MQTT: the JSON messages, their topics and their checks.

Pure (msgspec only): the MQTT client and the link built on it import these, the
simulated vehicles too. Everything inbound goes through a ``decode_*`` function,
which returns the controller's values or raises ``WireError`` (a
``fleet.errors.ProtocolError``) that says what arrived where and what is wrong.
"""

from drivers.vda5050.codec import (
    decode_connection,
    decode_instant_actions,
    decode_order,
    decode_state,
    decode_visualization,
    encode_connection,
    encode_instant_actions,
    encode_order,
    encode_state,
    encode_visualization,
)
from drivers.vda5050.envelope import Header, Inbound, Vehicle, iso_timestamp
from drivers.vda5050.factsheet import Body, decode_factsheet, encode_factsheet
from drivers.vda5050.topics import (
    DELIVERY,
    INTERFACE,
    Delivery,
    Topic,
    TopicAddress,
    check_sender,
    parse_topic,
    subscription,
    topic_name,
)
from drivers.vda5050.wire import MAX_DEPTH, MAX_ITEMS, MAX_PAYLOAD_BYTES, VERSION, WireError

__all__ = [
    "DELIVERY",
    "INTERFACE",
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_PAYLOAD_BYTES",
    "VERSION",
    "Body",
    "Delivery",
    "Header",
    "Inbound",
    "Topic",
    "TopicAddress",
    "Vehicle",
    "WireError",
    "check_sender",
    "decode_connection",
    "decode_factsheet",
    "decode_instant_actions",
    "decode_order",
    "decode_state",
    "decode_visualization",
    "encode_connection",
    "encode_factsheet",
    "encode_instant_actions",
    "encode_order",
    "encode_state",
    "encode_visualization",
    "iso_timestamp",
    "parse_topic",
    "subscription",
    "topic_name",
]
