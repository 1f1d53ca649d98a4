"""Each forged action of issue 17 (finding 3), tried against a real Mosquitto
started as ``fleet run`` starts it: the site's password file, the ACL generated
from its config, no anonymous clients, client ids replaced by user names.

A refused publish is silent in MQTT 3.1.1, so each test has the forger publish a
marker where it may, after the forgery; the controller (who reads everything of
the site) sees the marker, and the forgery must not have come before it: the
broker handles one client's messages in order, so no waiting on a clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import msgspec
import pytest
import pytest_asyncio
from accesskit import login, password_of, site_config, site_users, until_topic
from brokers import HAVE_MOSQUITTO

from drivers.mqtt import MqttConnection, MqttSettings
from drivers.mqtt.broker import BrokerAuth, EmbeddedBroker, reload_users
from drivers.mqtt.probe import anonymous_publish
from drivers.vda5050.topics import Topic, topic_name
from fleet.access.passwords import hash_password
from fleet.access.userbook import UserBook, robot_user
from fleet.api.messages import Request, StopAll
from fleet.api.topics import Topics
from fleet.cli.credentials import broker_auth
from fleet.errors import LinkError

pytestmark = [pytest.mark.integration, pytest.mark.asyncio,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed")]

T = Topics("bistro")
STOP_ALL = msgspec.json.encode(Request(request_id="forged-1", command=StopAll(), site="bistro"))
CONTROLLER = "fleet-controller"


def vda(serial: str, topic: Topic) -> str:
    return topic_name("acme", serial, topic)


@pytest_asyncio.fixture(name="site")
async def site_fixture(tmp_path: Path) -> AsyncIterator[tuple[EmbeddedBroker, UserBook]]:
    cfg = site_config(tmp_path / "site")
    book = site_users(cfg)
    auth = BrokerAuth(book.passwd_path, book.acl_path)
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "broker", auth=auth) as b:
        yield b, book


async def forged_then_marker(forger: MqttConnection, watcher: MqttConnection,
                             forged: str, marker: str, *, payload: bytes = b"{}",
                             retain: bool = False) -> list[str]:
    """Topics the watcher got up to the forger's marker (the forgery must not be one)."""
    await forger.publish(forged, payload, qos=1, retain=retain)
    await forger.publish(marker, b"{}", qos=1)
    return [m.topic for m in await until_topic(watcher, marker)]


async def test_an_anonymous_client_cannot_connect(site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, _ = site
    with pytest.raises(LinkError, match="cannot connect"):
        async with login(broker, None):
            pass


async def test_a_wrong_password_is_refused(site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, _ = site
    with pytest.raises(LinkError, match="cannot connect"):
        async with login(broker, "till-1", "not-its-password"):
            pass


async def test_a_till_cannot_stop_the_fleet_nor_submit_as_another_till(
        site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, book = site
    async with login(broker, CONTROLLER, password_of(book, CONTROLLER)) as ctl, \
            login(broker, "till-1", password_of(book, "till-1")) as till:
        await ctl.subscribe(f"{T.prefix}/#")
        own = T.request("pos", "till-1")
        seen = await forged_then_marker(till, ctl, T.request("manager", "till-1"), own,
                                        payload=STOP_ALL)
        assert seen == [own]
        seen = await forged_then_marker(till, ctl, T.request("pos", "till-2"), own)
        assert seen == [own]


async def test_a_till_cannot_read_another_tills_replies(
        site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, book = site
    async with login(broker, CONTROLLER, password_of(book, CONTROLLER)) as ctl, \
            login(broker, "till-2", password_of(book, "till-2")) as till:
        for topic_filter in (T.reply("till-1"), f"{T.prefix}/reply/+", f"{T.prefix}/#"):
            await till.subscribe(topic_filter)
        await ctl.publish(T.reply("till-1"), b'{"for": "till-1"}', qos=1)
        await ctl.publish(T.reply("till-2"), b'{"for": "till-2"}', qos=1)
        got = await until_topic(till, T.reply("till-2"))
        assert [m.topic for m in got if m.topic.startswith(f"{T.prefix}/reply/")] == [
            T.reply("till-2")]


async def test_only_managers_and_dashboards_write_manager_commands(
        site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, book = site
    async with login(broker, CONTROLLER, password_of(book, CONTROLLER)) as ctl:
        await ctl.subscribe(f"{T.prefix}/#")
        for name in ("boss", "tablet"):
            async with login(broker, name, password_of(book, name)) as manager:
                mine = T.request("manager", name)
                await manager.publish(mine, STOP_ALL, qos=1)
                assert [m.topic for m in await until_topic(ctl, mine)] == [mine]
        async with login(broker, "wall", password_of(book, "wall")) as observer:
            await observer.publish(T.request("manager", "wall"), STOP_ALL, qos=1)
            await ctl.publish(T.summary, b"{}", qos=1)  # the controller's own, after it
            assert [m.topic for m in await until_topic(ctl, T.summary)] == [T.summary]


async def test_a_robot_speaks_only_for_itself_and_never_commands(
        site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, book = site
    r1 = robot_user("R1")
    async with login(broker, CONTROLLER, password_of(book, CONTROLLER)) as ctl, \
            login(broker, r1, password_of(book, r1)) as robot:
        await ctl.subscribe("uagv/v2/#")
        own_state = vda("R1", Topic.STATE)
        for forged in (vda("R2", Topic.STATE), vda("R2", Topic.CONNECTION),
                       vda("R1", Topic.INSTANT_ACTIONS), vda("R2", Topic.INSTANT_ACTIONS),
                       vda("R1", Topic.ORDER)):
            seen = await forged_then_marker(robot, ctl, forged, own_state,
                                            payload=b'{"errors": [{"errorLevel": "FATAL"}]}',
                                            retain=forged.endswith("connection"))
            assert seen == [own_state], forged


async def test_a_robot_reads_only_its_own_orders(site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, book = site
    r1 = robot_user("R1")
    async with login(broker, CONTROLLER, password_of(book, CONTROLLER)) as ctl, \
            login(broker, r1, password_of(book, r1)) as robot:
        await robot.subscribe("uagv/v2/+/+/order")
        await robot.subscribe("uagv/v2/+/+/instantActions")
        await ctl.publish(vda("R2", Topic.INSTANT_ACTIONS), b"{}", qos=1)
        await ctl.publish(vda("R2", Topic.ORDER), b"{}", qos=1)
        await ctl.publish(vda("R1", Topic.ORDER), b"{}", qos=1)
        got = await until_topic(robot, vda("R1", Topic.ORDER))
        assert [m.topic for m in got] == [vda("R1", Topic.ORDER)]


async def test_nobody_but_the_controller_publishes_its_retained_status(
        site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, book = site
    offline = b'{"online": false}'
    async with login(broker, CONTROLLER, password_of(book, CONTROLLER)) as ctl:
        await ctl.subscribe(f"{T.prefix}/#")
        for name, marker in (("till-1", T.request("pos", "till-1")),
                             ("boss", T.request("manager", "boss")),
                             ("tablet", T.request("manager", "tablet"))):
            async with login(broker, name, password_of(book, name)) as other:
                for forged in (T.status, T.robot("R1"), T.alerts, T.order("o-1")):
                    seen = await forged_then_marker(other, ctl, forged, marker,
                                                    payload=offline, retain=True)
                    assert seen == [marker], (name, forged)
    # and nothing was kept: a late subscriber gets no retained status
    async with login(broker, "wall", password_of(book, "wall")) as late:
        await late.subscribe(T.status)
        await late.subscribe(T.summary)
        async with login(broker, CONTROLLER, password_of(book, CONTROLLER)) as ctl:
            await ctl.publish(T.summary, b"{}", qos=1)
        assert [m.topic for m in await until_topic(late, T.summary)] == [T.summary]


async def test_the_controllers_client_id_without_its_credentials_takes_nothing_over(
        site: tuple[EmbeddedBroker, UserBook]) -> None:
    broker, book = site
    api = f"{CONTROLLER}-api"
    async with login(broker, api, password_of(book, api)) as ctl:
        with pytest.raises(LinkError, match="cannot connect"):
            async with login(broker, None, client_id=api):
                pass
        # Another user's valid credentials and the controller's id: the broker gives
        # the newcomer its own user name as id, so the controller keeps its session.
        async with login(broker, "till-1", password_of(book, "till-1"), client_id=api):
            await ctl.subscribe(T.summary)
            await ctl.publish(T.summary, b"{}", qos=1)
            await until_topic(ctl, T.summary)
        assert ctl.counters.connects == 1
        assert ctl.connected.is_set()


async def logs_in(broker: EmbeddedBroker, user: str, password: str) -> bool:
    try:
        async with login(broker, user, password):
            return True
    except LinkError:
        return False


async def test_users_added_or_removed_during_service_count_without_a_restart(
        tmp_path: Path) -> None:
    cfg = site_config(tmp_path / "site")
    book = site_users(cfg)
    auth = broker_auth(book)
    assert reload_users(auth) is None  # no broker yet: nobody to signal
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "broker", auth=auth) as b:
        assert not await logs_in(b, "till-3", "pw-3")
        book.add("till-3", "pos", "pw-3")
        book.remove("till-1")
        book.save(cfg)
        assert reload_users(auth) == b.pid
        async with asyncio.timeout(5):  # the broker rereads on its next loop turn
            while not await logs_in(b, "till-3", "pw-3"):
                pass
        assert not await logs_in(b, "till-1", password_of(book, "till-1"))
    assert reload_users(auth) is None  # stopped: a stale pid file signals nobody


async def test_a_password_written_by_fleet_logs_in_to_mosquitto(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    passwd.write_text(f"alice:{hash_password('correct horse')}\n", encoding="utf-8")
    acl = tmp_path / "acl"
    acl.write_text("user alice\ntopic readwrite x\n", encoding="utf-8")
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "b",
                              auth=BrokerAuth(passwd, acl)) as broker:
        async with login(broker, "alice", "correct horse") as alice:
            await alice.subscribe("x")
            await alice.publish("x", b"hi", qos=1)
            assert (await until_topic(alice, "x"))[-1].payload == b"hi"
        with pytest.raises(LinkError, match="cannot connect"):
            async with login(broker, "alice", "correct horse "):
                pass


async def test_the_start_up_probe_tells_an_open_broker_from_a_closed_one(
        site: tuple[EmbeddedBroker, UserBook], tmp_path: Path) -> None:
    broker, book = site
    topic = T.request("manager", "fleet-anonymous-probe")
    closed = login_settings(broker, CONTROLLER, password_of(book, CONTROLLER))
    verdict, _ = await anonymous_publish(closed, topic)
    assert verdict == "refused"
    async with EmbeddedBroker(kind="mosquitto", workdir=tmp_path / "open") as open_broker:
        verdict, why = await anonymous_publish(login_settings(open_broker, None, None), topic)
    assert verdict == "open", why


def login_settings(broker: EmbeddedBroker, user: str | None,
                   password: str | None) -> MqttSettings:
    return MqttSettings(host=broker.host, port=broker.port, username=user, password=password,
                        client_id=user or "fleet-controller")
