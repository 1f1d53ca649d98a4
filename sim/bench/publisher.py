"""The publisher of ``fleet bench mqtt``'s ingestion measure, run as a child process.

A process of its own so that publishing does not take the measured loop's time,
and a plain script (stdlib and paho only) started with ``python -m`` so that it
needs nothing from its parent's main module, as ``multiprocessing``'s spawn
would. The parent writes the messages to a file first, so the child's clock
covers publishing only.

Protocol over the pipes: the child connects, prints ``ready``, waits for a line
on stdin, publishes every message at QoS 0 as fast as paho sends, and prints
the seconds that took.

File format: per message, a 4-byte big-endian topic length, the topic (UTF-8),
a 4-byte payload length, the payload.
"""

from __future__ import annotations

import struct
import sys
import time
from collections.abc import Iterable
from pathlib import Path

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

_LEN = struct.Struct(">I")


def write_messages(path: Path, messages: Iterable[tuple[str, bytes]]) -> None:
    with path.open("wb") as f:
        for topic, payload in messages:
            name = topic.encode()
            f.write(_LEN.pack(len(name)) + name + _LEN.pack(len(payload)) + payload)


def read_messages(path: Path) -> list[tuple[str, bytes]]:
    data = path.read_bytes()
    out: list[tuple[str, bytes]] = []
    at = 0
    while at < len(data):
        (n,) = _LEN.unpack_from(data, at)
        topic = data[at + 4:at + 4 + n].decode()
        at += 4 + n
        (n,) = _LEN.unpack_from(data, at)
        out.append((topic, data[at + 4:at + 4 + n]))
        at += 4 + n
    return out


def publish(host: str, port: int, messages: list[tuple[str, bytes]]) -> None:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-publisher-{port}")
    client.connect(host, port, keepalive=60)
    client.loop_start()
    try:
        deadline = time.monotonic() + 10.0
        while not client.is_connected():
            if time.monotonic() > deadline:
                raise SystemExit(f"publisher: no connection to {host}:{port} within 10 s")
            time.sleep(0.01)
        print("ready", flush=True)
        if not sys.stdin.readline():
            return  # the parent went away
        t0 = time.perf_counter()
        info = None
        for topic, payload in messages:
            info = client.publish(topic, payload, qos=0)
        if info is not None:
            info.wait_for_publish(60.0)
        print(f"{time.perf_counter() - t0:.6f}", flush=True)
    finally:
        client.disconnect()
        client.loop_stop()


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m sim.bench.publisher HOST PORT FILE", file=sys.stderr)
        return 2
    publish(argv[0], int(argv[1]), read_messages(Path(argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
