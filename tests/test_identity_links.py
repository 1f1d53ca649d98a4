"""Two makers' "sim1" on one VDA master (issue 13, D10), without a broker: each
message is routed by manufacturer and serial together, and the controller hears of
each robot under its key on the site; a header naming another vehicle than its
topic is refused."""

from __future__ import annotations

import asyncio

import pytest

from drivers.mqtt import MqttSettings, Received
from drivers.vda5050 import Topic, Vehicle, topic_name
from drivers.vda5050.codec import encode_state
from drivers.vda5050.master import MqttRobotLink, VdaMaster
from fleet.errors import ProtocolError
from fleet.link import StateReceived
from fleet.vda import RobotState


def states_of(link: MqttRobotLink) -> list[RobotState]:
    return [e.state for e in link._buffer._events if isinstance(e, StateReceived)]


def received(manufacturer: str, serial: str, header: Vehicle, order_id: str) -> Received:
    payload = encode_state(RobotState(serial=header.serial, timestamp=0.0, order_id=order_id),
                           header, header_id=1, at=1_700_000_000.0)
    return Received(topic_name(manufacturer, serial, Topic.STATE), payload, False, 0.0)


def test_states_reach_the_robot_of_that_maker_and_serial_under_its_key() -> None:
    async def main() -> None:
        master = VdaMaster(MqttSettings(host="127.0.0.1", port=1, client_id="t"))
        ours = master.link("fleet-sim", "sim1", robot_id="sim1@fleet-sim")
        theirs = master.link("acme", "sim1", robot_id="sim1@acme")
        async with ours, theirs:
            assert (ours.serial, theirs.serial) == ("sim1@fleet-sim", "sim1@acme")
            master._deliver(received("acme", "sim1", Vehicle("acme", "sim1"), "a-1"))
            master._deliver(received("fleet-sim", "sim1", Vehicle("fleet-sim", "sim1"), "f-1"))
            assert [(s.serial, s.order_id) for s in states_of(theirs)] == [("sim1@acme", "a-1")]
            assert [(s.serial, s.order_id) for s in states_of(ours)] == [
                ("sim1@fleet-sim", "f-1")]
            # acme's topic with a header speaking for fleet-sim's sim1: refused, not routed
            spoofed = received("acme", "sim1", Vehicle("fleet-sim", "sim1"), "x-1")
            with pytest.raises(ProtocolError, match="does not match the topic"):
                master._deliver(spoofed)  # the master's pump counts it and goes on
            assert len(states_of(theirs)) == 1 and len(states_of(ours)) == 1
    asyncio.run(main())
