"""MQTT transport for the robot links and the fleet API: one kept-alive connection
(``client``), where it goes (``settings``) and the brokers it talks to
(``broker``).

Nothing from paho or aiomqtt leaves this package: links see ``Received`` values,
``Connected``/``Lost`` events and ``LinkError``.
"""

from drivers.mqtt.broker import EmbeddedBroker, broker_for
from drivers.mqtt.client import (
    Backoff,
    Connected,
    ConnectionEvent,
    Counters,
    LastWill,
    Lost,
    MqttConnection,
    Received,
)
from drivers.mqtt.settings import BrokerSettings, MqttSettings, parse_broker_url

__all__ = [
    "Backoff",
    "BrokerSettings",
    "Connected",
    "ConnectionEvent",
    "Counters",
    "EmbeddedBroker",
    "LastWill",
    "Lost",
    "MqttConnection",
    "MqttSettings",
    "Received",
    "broker_for",
    "parse_broker_url",
]
