"""Hostile payloads: what a broken till, a fuzzing tester or an attacker with a
broker login sends. Each must be refused (answered with an error, or counted and
dropped) and none may stop a service.

Pure and seeded: the same seed gives the same payloads, so a campaign that found
something can be replayed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from random import Random

Maker = Callable[[Random], bytes]


def _deep_arrays(rng: Random) -> bytes:
    n = rng.choice((100, 1000, 5000))
    return b"[" * n + b"]" * n


def _deep_objects(rng: Random) -> bytes:
    n = rng.choice((100, 1000, 3000))
    return b'{"a":' * n + b"1" + b"}" * n


def _huge_string(rng: Random) -> bytes:
    size = rng.choice((10_000, 60_000, 200_000))
    return json.dumps({"request_id": "x", "command": {"type": "submitOrder",
                                                      "order_id": "A" * size}}).encode()


def _huge_array(rng: Random) -> bytes:
    size = rng.choice((1_000, 20_000))
    return json.dumps({"request_id": "x", "command": {
        "type": "submitOrder", "order_id": "o", "table": "T1",
        "dishes": [{"name": "x"}] * size}}).encode()


def _not_a_number(rng: Random) -> bytes:
    value = rng.choice(("NaN", "Infinity", "-Infinity", "1e999"))
    return ('{"headerId": 1, "timestamp": "2026-01-01T00:00:00Z", "version": "2.1.0", '
            f'"manufacturer": "x", "serialNumber": "R1", "batteryState": {{"batteryCharge": '
            f'{value}}}, "agvPosition": {{"x": {value}, "y": 0, "theta": 0}}}}').encode()


def _wrong_types(rng: Random) -> bytes:
    return json.dumps(rng.choice((
        {"request_id": 7, "command": "stopAll"},
        {"request_id": "x", "command": {"type": "submitOrder", "dishes": "soup"}},
        {"headerId": "one", "orderId": [], "nodeStates": {"a": 1}},
        {"connectionState": 42},
        [], "", None, 3.5))).encode()


def _garbage(rng: Random) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(rng.choice((1, 64, 4096))))


def _truncated(rng: Random) -> bytes:
    whole = json.dumps({"request_id": "x", "command": {"type": "markReady",
                                                       "order_id": "o1", "dishes": [1]}})
    return whole[:rng.randrange(1, len(whole))].encode()


def _bad_unicode(rng: Random) -> bytes:
    return b'{"request_id": "\xff\xfe", "command": {"type": "\xed\xa0\x80"}}'


MAKERS: tuple[Maker, ...] = (_deep_arrays, _deep_objects, _huge_string, _huge_array,
                             _not_a_number, _wrong_types, _garbage, _truncated, _bad_unicode)


def hostile_payloads(seed: int) -> Iterator[tuple[str, bytes]]:
    """(kind, payload) for ever, the kinds in turn, each drawn from ``seed``."""
    rng = Random(seed)
    for maker in itertools.cycle(MAKERS):
        yield maker.__name__.lstrip("_"), maker(rng)
