"""The MQTT connection against a real Mosquitto started by the test: round trips,
reconnect after a broker restart, failures that must be loud, TLS and passwords."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import statistics
from pathlib import Path

import pytest
from brokers import (  # noqa: F401  (pytest fixtures)
    broker_fixture,
    make_password_file,
    make_tls_files,
    mosquitto_fixture,
    receive,
    requires_mosquitto,
    settings,
)

from drivers.mqtt import (
    Backoff,
    BrokerSettings,
    Connected,
    ConnectionEvent,
    Lost,
    MqttConnection,
    MqttSettings,
    parse_broker_url,
)
from drivers.mqtt.broker import EmbeddedBroker, free_port
from fleet.errors import ConfigError, LinkError

pytestmark = pytest.mark.integration

FAST = Backoff(initial=0.1, cap=0.5)


# -- settings -----------------------------------------------------------------

@pytest.mark.parametrize(("url", "expected"), [
    ("mqtt://broker", (False, "broker", 1883)),
    ("mqtts://broker.example", (True, "broker.example", 8883)),
    ("mqtt://10.0.0.5:1884/", (False, "10.0.0.5", 1884)),
])
def test_broker_urls(url: str, expected: tuple[bool, str, int]) -> None:
    assert parse_broker_url(url) == expected


@pytest.mark.parametrize(("url", "message"), [
    ("http://broker", "expected mqtt://host:port"),
    ("embedded", "expected mqtt://host:port"),
    ("mqtt://", "no host"),
    ("mqtt://broker:0", "not a number in 1..65535"),
    ("mqtt://broker:99999", "not a number in 1..65535"),
    ("mqtt://user:secret@broker", "credentials do not belong in the URL"),
    ("mqtt://broker/uagv", "no path or query"),
])
def test_bad_broker_urls_name_the_key(url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        parse_broker_url(url)
    assert str(err.value).startswith("broker.url")


def test_settings_from_config(tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text("x", encoding="utf-8")
    cfg = BrokerSettings(url="mqtts://b:8884", ca_file="ca.pem", username="ctl", keepalive=15)
    s = MqttSettings.from_config(cfg, password="pw", base_dir=tmp_path)
    assert (s.host, s.port, s.tls, s.username, s.keepalive) == ("b", 8884, True, "ctl", 15)
    assert s.ca_file == str(tmp_path / "ca.pem")
    assert "pw" not in repr(s)
    assert MqttSettings.from_config(cfg, "mqtts://c", password="pw", base_dir=tmp_path,
                                    client_id="sim-1").url == "mqtts://c:8883"


@pytest.mark.parametrize(("cfg", "message"), [
    (BrokerSettings(url="mqtt://b", ca_file="ca.pem"), "broker.ca_file is set but .* mqtt://"),
    (BrokerSettings(url="mqtts://b", ca_file="missing.pem"), "broker.ca_file: no such file"),
    (BrokerSettings(url="mqtt://b", keepalive=0), "broker.keepalive"),
    (BrokerSettings(url="mqtt://b", client_id=""), "broker.client_id"),
])
def test_bad_settings(tmp_path: Path, cfg: BrokerSettings, message: str) -> None:
    (tmp_path / "ca.pem").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        MqttSettings.from_config(cfg, base_dir=tmp_path)


def test_password_without_username_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"broker\.username"):
        MqttSettings.from_config(BrokerSettings(url="mqtt://b"), password="pw")


def test_backoff_doubles_to_a_cap_with_bounded_jitter() -> None:
    b = Backoff(initial=0.5, cap=30.0, jitter=0.2)
    assert [b.delay(n, lambda: 0.5) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert b.delay(3, lambda: 0.0) == pytest.approx(4 * 0.8)
    assert b.delay(3, lambda: 1.0) == pytest.approx(4 * 1.2)
    assert b.delay(10_000, lambda: 1.0) == pytest.approx(36.0)


# -- against a broker -------------------------------------------------------------

@pytest.mark.asyncio
async def test_round_trip_and_retained_flag(mosquitto: EmbeddedBroker) -> None:
    async with MqttConnection(settings(mosquitto, "a")) as a:
        await a.wait_connected(5)
        await a.subscribe("t/#")
        await a.publish("t/x", b"\x00hello", qos=1)
        await a.publish("t/kept", b"kept", qos=1, retain=True)
        first, second = await receive(a), await receive(a)
    assert (first.topic, first.payload, first.retained) == ("t/x", b"\x00hello", False)
    assert second.payload == b"kept" and not second.retained  # live delivery is not "retained"
    async with MqttConnection(settings(mosquitto, "b")) as b:
        await b.subscribe("t/kept")  # before connecting: made on connect
        await b.wait_connected(5)
        late = await receive(b)
    assert (late.topic, late.payload, late.retained) == ("t/kept", b"kept", True)


@pytest.mark.asyncio
async def test_first_connect_error_reaches_the_caller() -> None:
    port = free_port()  # nothing listens there
    async with MqttConnection(MqttSettings("127.0.0.1", port), backoff=FAST) as conn:
        with pytest.raises(LinkError, match=f"cannot connect to mqtt://127.0.0.1:{port}"):
            await conn.wait_connected(5)
        with pytest.raises(LinkError, match="not connected"):
            await conn.publish("t", b"x")
        with pytest.raises(LinkError, match=r"within 0\.3 s"):
            await conn.wait_connected(0.3, retry=True)
        assert conn.counters.failed_attempts >= 2  # it keeps trying by itself


@pytest.mark.asyncio
async def test_a_publish_awaiting_its_ack_fails_as_soon_as_the_connection_ends(
        mosquitto: EmbeddedBroker) -> None:
    """aiomqtt waits out its timeout for a PUBACK from a broker that died; a robot's
    link must not hang that long with a command (its robot shows offline late)."""
    loop = asyncio.get_running_loop()
    async with MqttConnection(settings(mosquitto, "controller"), backoff=FAST,
                              timeout=60.0) as conn:
        await conn.wait_connected(5)
        pid = mosquitto.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # alive, but acknowledges nothing
        try:
            sending = asyncio.create_task(conn.publish("uagv/v2/m/r1/order", b"{}", qos=1))
            async with asyncio.timeout(5):
                while not _awaiting_ack(conn):  # noqa: ASYNC110  (aiomqtt has no event)
                    await asyncio.sleep(0.01)
            assert not sending.done(), "the stopped broker cannot have acknowledged it"
        finally:
            os.kill(pid, signal.SIGKILL)  # the socket closes: the session is over
        start = loop.time()
        with pytest.raises(LinkError, match="ended before the broker acknowledged"):
            async with asyncio.timeout(30):
                await sending
        assert loop.time() - start < 10.0, "failed with the session, not after the timeout"


def _awaiting_ack(conn: MqttConnection) -> bool:
    client = conn._client
    return client is not None and bool(client._pending_publishes)


@pytest.mark.asyncio
async def test_reconnects_and_resubscribes_after_broker_restart(
        mosquitto: EmbeddedBroker) -> None:
    events: list[ConnectionEvent] = []
    lost = asyncio.Event()

    def on_change(event: ConnectionEvent) -> None:
        events.append(event)
        if isinstance(event, Lost):
            lost.set()

    async with MqttConnection(settings(mosquitto, "robot-link"), backoff=FAST,
                              on_change=on_change) as conn:
        await conn.subscribe("uagv/v2/+/+/state")
        await conn.wait_connected(5)
        await mosquitto.stop()
        async with asyncio.timeout(5):
            await lost.wait()
        with pytest.raises(LinkError):
            await conn.publish("uagv/v2/m/r1/order", b"{}", qos=1)
        await mosquitto.start()  # same port
        await conn.wait_connected(10, retry=True)
        async with MqttConnection(settings(mosquitto, "vehicle")) as vehicle:
            await vehicle.wait_connected(5)
            await vehicle.publish("uagv/v2/m/r1/state", b"after restart", qos=1)
            msg = await receive(conn)
    assert msg.payload == b"after restart"
    assert [type(e) for e in events] == [Connected, Lost, Connected]
    assert isinstance(events[2], Connected) and events[2].count == 2


@pytest.mark.asyncio
async def test_queue_overflow_is_counted_and_logged(mosquitto: EmbeddedBroker,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="drivers.mqtt.client")
    async with MqttConnection(settings(mosquitto, "slow"), queue_size=5) as slow, \
            MqttConnection(settings(mosquitto, "fast")) as fast:
        await slow.subscribe("flood")
        await asyncio.gather(slow.wait_connected(5), fast.wait_connected(5))
        for i in range(20):
            await fast.publish("flood", str(i).encode(), qos=1)
        async with asyncio.timeout(5):
            while slow.counters.received < 20:  # noqa: ASYNC110  (a counter: nothing to await)
                await asyncio.sleep(0.01)
        kept = [(await receive(slow)).payload for _ in range(5)]
    assert slow.counters.dropped == 15
    assert kept == [str(i).encode() for i in range(15, 20)]  # the oldest went first
    assert any("receive queue full" in r.getMessage() for r in caplog.records)


@requires_mosquitto
@pytest.mark.asyncio
async def test_tls_with_client_certificate(tmp_path: Path) -> None:
    f = make_tls_files(tmp_path / "pki")
    extra = (f"cafile {f['ca.crt']}\ncertfile {f['server.crt']}\nkeyfile {f['server.key']}\n"
             "require_certificate true\n")
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "b",
                              extra_config=extra) as b:
        url = f"mqtts://127.0.0.1:{b.port}"
        good = MqttSettings.from_config(BrokerSettings(
            url=url, ca_file=str(f["ca.crt"]), cert_file=str(f["client.crt"]),
            key_file=str(f["client.key"])))
        async with MqttConnection(good) as conn:
            await conn.wait_connected(10)
            await conn.subscribe("secure")
            await conn.publish("secure", b"tls", qos=1)
            assert (await receive(conn)).payload == b"tls"
        no_cert = MqttSettings.from_config(BrokerSettings(url=url, ca_file=str(f["ca.crt"])))
        async with MqttConnection(no_cert, backoff=FAST) as conn:
            with pytest.raises(LinkError, match="cannot connect"):
                await conn.wait_connected(10)


@requires_mosquitto
@pytest.mark.asyncio
async def test_username_and_password(tmp_path: Path) -> None:
    pw = make_password_file(tmp_path / "passwd", "fleet", "s3cret")
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "b",
                              extra_config=f"allow_anonymous false\npassword_file {pw}\n") as b:
        cfg = BrokerSettings(url=b.url, username="fleet")
        async with MqttConnection(MqttSettings.from_config(cfg, password="s3cret")) as conn:
            await conn.wait_connected(5)
        wrong = MqttSettings.from_config(cfg, password="guess")
        async with MqttConnection(wrong, backoff=FAST) as conn:
            with pytest.raises(LinkError, match="cannot connect"):
                await conn.wait_connected(5, retry=True)  # no retry can fix a refusal


async def round_trips(pub: MqttConnection, sub: MqttConnection, n: int) -> list[float]:
    """Publish -> receive latency, one message in flight at a time, in seconds."""
    loop = asyncio.get_running_loop()
    payload = bytes(256)
    out = []
    for _ in range(n):
        sent = loop.time()
        await pub.publish("bench/rt", payload, qos=0)
        msg = await receive(sub)
        out.append(msg.at - sent)
    return out


@pytest.mark.asyncio
async def test_round_trip_latency(broker: EmbeddedBroker) -> None:
    async with MqttConnection(settings(broker, "bench-pub")) as pub, \
            MqttConnection(settings(broker, "bench-sub")) as sub:
        await sub.subscribe("bench/rt", qos=0)
        await asyncio.gather(pub.wait_connected(5), sub.wait_connected(5))
        await round_trips(pub, sub, 50)  # warm up
        samples = sorted(await round_trips(pub, sub, 1000))
    p50 = statistics.median(samples) * 1e3
    p99 = samples[int(len(samples) * 0.99)] * 1e3
    print(f"\n{broker.kind}: round trip p50 {p50:.3f} ms, p99 {p99:.3f} ms")
    assert p50 < 20.0, p50  # loopback: anything near this is a bug (Nagle, polling)


@pytest.mark.asyncio
async def test_a_socket_closing_after_its_attempt_was_given_up_raises_nothing() -> None:
    """A connect attempt given up by our timeout leaves aiomqtt's CONNACK future
    cancelled; when paho then reports the socket closed, asking that future for its
    exception raised ``CancelledError`` inside the loop's callback, which ended a
    chaos campaign on a loaded machine (vehicle R2, "[code:128] Unspecified error")."""
    import paho.mqtt.client as paho  # noqa: PLC0415
    from paho.mqtt.packettypes import PacketTypes  # noqa: PLC0415
    from paho.mqtt.reasoncodes import ReasonCode  # noqa: PLC0415

    from drivers.mqtt.client import _Client  # noqa: PLC0415

    client = _Client("127.0.0.1", port=9, identifier="given-up")
    client._connected.cancel()
    client._on_disconnect(client._client, None, paho.DisconnectFlags(False),
                          ReasonCode(PacketTypes.DISCONNECT, identifier=128))
    assert not client._disconnected.done()
