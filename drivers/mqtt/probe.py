"""Does a broker we did not start stop strangers? One anonymous publish tells.

``fleet run`` against an external broker cannot read its ACL, so it tries what an
intruder would: connect without credentials and publish on the manager's request
topic. MQTT 3.1.1 gives a publisher no word when a publish is refused (Mosquitto
even acknowledges it), so a watcher with the controller's own credentials
subscribes to that topic, and after the anonymous publish is acknowledged it
publishes a marker there itself. Messages reach one subscriber in the order the
broker took them, so the marker arriving alone means the broker dropped the
stranger's message; the stranger's arriving first means anyone can command the
fleet. No marker at all (the controller may not read or write there) leaves the
question open, and says so.

Run it before the fleet API subscribes, so no controller takes the probe for a command.
"""

from __future__ import annotations

import asyncio
import dataclasses
import secrets
from typing import Literal

from drivers.mqtt.client import MqttConnection
from drivers.mqtt.settings import MqttSettings
from fleet.errors import LinkError

Verdict = Literal["refused", "open", "unknown"]

PROBE_PAYLOAD = b'{"probe": "fleet run: checking that anonymous clients are refused"}'
MARKER_PAYLOAD = b'{"probe": "fleet run: marker"}'


async def anonymous_publish(settings: MqttSettings, topic: str, *,
                            timeout: float = 5.0) -> tuple[Verdict, str]:  # noqa: ASYNC109
    """Whether an anonymous client can publish on ``topic``, and in words why we think so.
    ``settings`` are the controller's (its credentials read and write ``topic``)."""
    nonce = secrets.token_hex(4)
    watcher = MqttConnection(dataclasses.replace(settings, client_id=f"fleet-probe-{nonce}"),
                             timeout=timeout)
    stranger = MqttConnection(dataclasses.replace(
        settings, username=None, password=None, client_id=f"fleet-anonymous-{nonce}"),
        timeout=timeout)
    async with watcher:
        await watcher.wait_connected(timeout)
        await watcher.subscribe(topic, qos=1)
        async with stranger:
            try:
                await stranger.wait_connected(timeout)
            except LinkError as exc:
                return "refused", f"an anonymous client could not connect ({exc})"
            try:
                await stranger.publish(topic, PROBE_PAYLOAD, qos=1)
            except LinkError as exc:
                return "refused", f"the broker cut the anonymous client off ({exc})"
        try:
            await watcher.publish(topic, MARKER_PAYLOAD, qos=1)
        except LinkError as exc:
            return "unknown", f"the controller could not publish its marker ({exc})"
        try:
            async with asyncio.timeout(timeout):
                while True:
                    message = await watcher.receive()
                    if message.topic != topic:
                        continue
                    if message.payload == PROBE_PAYLOAD:
                        return "open", (f"an anonymous client published on {topic} and "
                                        "the controller received it")
                    if message.payload == MARKER_PAYLOAD:
                        return "refused", ("an anonymous client connected, but the broker "
                                           f"dropped its publish on {topic}")
        except TimeoutError:
            return "unknown", (f"the controller's own marker on {topic} did not come back "
                               f"within {timeout:g} s (may it read and write there?)")
