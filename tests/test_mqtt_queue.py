"""The receive queue of an MQTT connection is bounded in messages and in bytes, and
an oversize payload is cut before it is queued: a flood of hostile messages costs
bounded memory, and the newest messages are the ones kept. No broker is needed:
arrivals are fed to the queue as the connection's pump would."""

from __future__ import annotations

import asyncio

from drivers.mqtt import MqttConnection, MqttSettings, Received


def arrive(conn: MqttConnection, payload: bytes, n: int = 0) -> None:
    conn._deliver(Received(f"t/{n}", payload, False, 0.0))  # what the pump calls


async def drain(conn: MqttConnection) -> list[Received]:
    got = []
    while not conn._queue.empty():
        got.append(await conn.receive())
    return got


def test_the_queue_keeps_the_newest_messages_within_its_byte_bound() -> None:
    async def main() -> None:
        conn = MqttConnection(MqttSettings(host="127.0.0.1", client_id="t"), queue_bytes=10_000)
        for n in range(100):
            arrive(conn, bytes(1000), n)
        got = await drain(conn)
        assert [m.topic for m in got] == [f"t/{n}" for n in range(90, 100)]
        assert conn.counters.dropped == 90 and conn.counters.received == 100
        arrive(conn, bytes(1000), 100)  # reading gave the room back
        assert [m.topic for m in await drain(conn)] == ["t/100"]
    asyncio.run(main())


def test_an_oversize_payload_is_cut_before_it_is_queued() -> None:
    async def main() -> None:
        conn = MqttConnection(MqttSettings(host="127.0.0.1", client_id="t"), max_message=1024,
                              queue_bytes=1_000_000)
        start = b'{"request_id": "r9", "note": "'
        for n in range(50):
            arrive(conn, start + b"x" * 10_000_000, n)  # 50 x 10 MB offered
        got = await drain(conn)
        assert len(got) == 50 and conn.counters.cut == 50
        assert all(len(m.payload) == 1025 and m.payload.startswith(start) for m in got)
    asyncio.run(main())
