"""The fleet API over a real broker with a running site: a till submits through
``ApiPos`` and the dish is served; a dashboard's client follows the retained state;
every message published validates against its schema file; a late client sees the
present at once; the controller's will marks it offline when it dies; a broker
restart is survived and resynchronised.

Runs on the scaled clock of ``tests/mqttsite.py`` (every timeout in loop seconds)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema
import msgspec
import pytest
from brokers import requires_mosquitto, settings
from e2e import small_room
from mqttsite import Site, run_site

from drivers.mqtt import MqttConnection
from fleet.api.client import FleetClient
from fleet.api.messages import PauseRobot, StopAll, SubmitOrder
from fleet.api.pos import ApiPos
from fleet.api.server import ApiServer
from fleet.api.topics import Topics
from fleet.api.updates import LinkChanged, NoReplyError
from fleet.domain import DishState, RobotMode
from fleet.errors import OrderError
from fleet.intake import DishRequest, OrderRequest

pytestmark = [pytest.mark.integration, requires_mosquitto]
ROOT = Path(__file__).resolve().parents[1]
SITE = "bistro"
PASS = (1, 0)
SCHEMAS = {p.name.removesuffix(".schema.json"): json.loads(p.read_text(encoding="utf-8"))
           for p in (ROOT / "docs" / "api").glob("*.schema.json")}


@contextlib.asynccontextmanager
async def serving(site: Site, **kw: Any) -> AsyncIterator[ApiServer]:
    async with ApiServer(site.runtime, settings(site.broker, "fleet-api"), site=SITE,
                         name="Bistro", speed=site.speed,
                         connect_timeout_s=10.0 * site.speed, **kw) as server:
        yield server


def client(site: Site, name: str, **kw: Any) -> FleetClient:
    return FleetClient(settings(site.broker, name), SITE, connect_timeout_s=10.0 * site.speed,
                       **kw)


def kind_of(topic: str) -> str:
    kind, _ = Topics(SITE).parse_state(topic)
    return "event" if kind == "events" else kind


def test_a_till_order_is_acknowledged_and_served_and_everything_validates(
        tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        tap = MqttConnection(settings(site.broker, "tap"))
        async with serving(site), client(site, "dash") as dash, \
                client(site, "till-1", role="pos") as till, tap:
            await tap.subscribe(f"fleet/v1/{SITE}/#", qos=1)
            await tap.wait_connected(10.0 * site.speed)
            pos = ApiPos(till, timeout_s=5.0 * site.speed)
            request = OrderRequest(order_id="A-1", table="table-2",
                                   dishes=(DishRequest("soup"), DishRequest("salad")))
            await pos.submit(request)
            await pos.submit(request)  # a till resending after a timeout
            assert len(site.controller.book.orders) == 1
            received = [e for e in site.controller.events if e.kind == "OrderReceived"]
            assert len(received) == 1, "a duplicate submit is taken once"
            with pytest.raises(OrderError, match=r"unknown table 'table-9'.*unknown_table"):
                await pos.submit(OrderRequest("A-2", "table-9", (DishRequest("tea"),)))
            reply = await till.request(PauseRobot(serial="R1"))
            assert not reply.ok and reply.error is not None
            assert reply.error.code == "not_allowed" and "/manager/till-1" in reply.error.message
            for i in range(2):
                await pos.mark_ready("A-1", i)
            order = site.controller.book.orders["A-1"]
            await site.until(lambda: all(d.state is DishState.SERVED for d in order.dishes),
                             300.0, "both dishes served")
            await site.until(lambda: (o := dash.mirror.orders.get("A-1")) is not None
                             and not o.open, 10.0, "the dashboard sees the order closed")
            seen = dash.mirror.orders["A-1"]
            assert [d.state for d in seen.dishes] == ["served", "served"]
            assert dash.mirror.summary is not None and dash.mirror.summary.served_15min == 2
            assert dash.mirror.status is not None and dash.mirror.status.online
            assert dash.mirror.floor is not None and dash.mirror.floor.name == site.plan.name
            assert set(dash.mirror.robots) == {"R1", "R2"}
            kinds = {e.kind for e in dash.mirror.events}
            assert {"OrderReceived", "DishReady", "DishServed"} <= kinds
            assert dash.counters.bad == 0
            # Everything the server published, checked against the schema files.
            checked: dict[str, int] = {}
            while True:
                try:
                    async with asyncio.timeout(0.5 * site.speed):
                        message = await tap.receive()
                except TimeoutError:
                    break
                level = message.topic.split("/")[3]
                name = {"pos": "request", "manager": "request", "reply": "reply"}.get(
                    level) or kind_of(message.topic)
                if not message.payload:
                    continue
                jsonschema.validate(json.loads(message.payload), SCHEMAS[name])
                checked[name] = checked.get(name, 0) + 1
            assert set(checked) >= {"status", "floor", "summary", "robot", "order", "alerts",
                                    "event", "request", "reply"}, checked

    run_site(small_room(), {"R1": PASS, "R2": (0, 0)}, scene, tmp=tmp_path)


def test_a_late_client_sees_the_present_at_once(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        async with serving(site), client(site, "till", role="pos") as till:
            await ApiPos(till).submit(OrderRequest("L-1", "table-1", (DishRequest("soup"),)))
            reply = await till.request(SubmitOrder(order_id="L-2", table="table-3",
                                                   dishes=[{"name": "tea"}],  # type: ignore[list-item]
                                                   ready=False), role="pos")
            assert reply.ok and "L-2" in reply.result
            await site.until(lambda: bool(till.mirror.orders.keys() >= {"L-1", "L-2"}), 10.0,
                             "the orders retained")
            loop = asyncio.get_running_loop()
            start = loop.time()
            async with client(site, "late-dash") as late:
                updates = late.updates()
                first = await anext(updates)
                assert isinstance(first, LinkChanged) and first.up
                await site.until(lambda: late.mirror.summary is not None, 1.0 * site.speed,
                                 "the retained state", step_s=0.01)
                took = loop.time() - start
                assert late.mirror.status is not None and late.mirror.status.online
                assert set(late.mirror.orders) == {"L-1", "L-2"}
                assert set(late.mirror.robots) == {"R1", "R2"}
                assert late.mirror.floor is not None and late.mirror.alerts is not None
                assert took < 1.0 * site.speed, "retained: no wait for a publish tick"
                await updates.aclose()

    run_site(small_room(), {"R1": PASS, "R2": (0, 0)}, scene, tmp=tmp_path)


def test_the_controller_s_will_marks_it_offline_and_it_comes_back(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        async with client(site, "dash") as dash:
            async with serving(site) as server:
                await site.until(lambda: dash.mirror.controller_online, 10.0, "online")
                assert server.abort(), "a connection to drop"
                await site.until(lambda: dash.mirror.status is not None
                                 and not dash.mirror.status.online, 10.0,
                                 "the will says offline")
                assert not dash.mirror.status.stopped, "the will: gone, not stopped"
                await site.until(lambda: dash.mirror.controller_online, 30.0,
                                 "back online after reconnecting")
                reply = await dash.request(StopAll(reason="drill"), timeout=5.0 * site.speed)
                assert reply.ok and site.controller.manager.stopped_all
            assert dash.mirror.status is not None and not dash.mirror.status.online, \
                "a clean shutdown says offline too"
            assert dash.mirror.status.stopped, "and that it was stopped on purpose"
            with pytest.raises(NoReplyError, match="did not answer"):
                await dash.request(StopAll(), timeout=1.0 * site.speed)

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)


def test_clients_survive_a_broker_restart_and_resync(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        async with serving(site), client(site, "dash") as dash:
            links: list[LinkChanged] = []

            async def watch() -> None:
                async for update in dash.updates():
                    if isinstance(update, LinkChanged):
                        links.append(update)

            watcher = asyncio.create_task(watch())
            await site.order("table-1", ready=False)
            await site.until(lambda: "O1" in dash.mirror.orders, 10.0, "O1 seen")
            await site.broker.stop()
            await site.until(lambda: not dash.mirror.connected, 10.0, "the loss noticed")
            # While the broker is down the site moves on: O1 is cancelled, O2 arrives.
            await site.runtime.cancel("O1", "guest left")
            await site.order("table-2", ready=False)
            await site.broker.start()  # no persistence: every retained message is gone
            await site.until(lambda: dash.mirror.controller_online
                             and "O2" in dash.mirror.orders, 60.0, "resynchronised")
            await site.until(lambda: not dash.mirror.orders["O1"].open, 10.0,
                             "O1 shown cancelled")
            assert [d.state for d in dash.mirror.orders["O1"].dishes] == ["cancelled"]
            assert set(dash.mirror.robots) == {"R1"}
            assert [lc.up for lc in links][-2:] == [False, True]
            assert "lost" in next(lc.reason for lc in links if not lc.up)
            reply = await dash.request(PauseRobot(serial="R1"), timeout=5.0 * site.speed)
            assert reply.ok
            await site.until(lambda: site.record("R1").mode is RobotMode.PAUSED, 30.0,
                             "R1 paused through the API after the restart")
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)


def test_bad_messages_are_counted_never_fatal(tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        async with serving(site), client(site, "dash") as dash:
            await site.until(lambda: dash.mirror.summary is not None, 10.0, "state")
            rogue = site.operator
            base = f"fleet/v1/{SITE}"
            await rogue.publish(f"{base}/robots/R9", b"{not json", qos=1)
            await rogue.publish(f"{base}/robots/R9", msgspec.json.encode(
                {"serial": "R1", "mode": "idle", "online": True}), qos=1)
            await rogue.publish(f"{base}/summary", b'{"site": 1}', qos=1)
            await rogue.publish(f"{base}/manager/x", b"\xff\xfe", qos=1)
            await site.until(lambda: dash.counters.bad >= 3, 10.0, "three bad ones counted")
            assert "R9" not in dash.mirror.robots
            reply = await dash.request(PauseRobot(serial="R1"), timeout=5.0 * site.speed)
            assert reply.ok, "the client and the server both carry on"

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)


def test_a_till_resends_what_got_no_answer_and_the_order_is_taken_once(
        tmp_path: Path) -> None:
    async def scene(site: Site) -> None:
        async with client(site, "till-r", role="pos") as till:
            pos = ApiPos(till, timeout_s=1.0 * site.speed, retries=20)
            submitting = asyncio.create_task(pos.submit(
                OrderRequest("R-1", "table-1", (DishRequest("soup"),))))
            await site.until(lambda: pos.resent >= 1, 30.0 * site.speed,
                             "a first try with no controller to answer")
            assert not submitting.done()
            async with serving(site):
                async with asyncio.timeout(30.0 * site.speed):
                    await submitting
            assert list(site.controller.book.orders) == ["R-1"]
            received = [e for e in site.controller.events if e.kind == "OrderReceived"]
            assert len(received) == 1, "sent more than once, taken once"

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)


def test_a_retained_request_is_not_carried_out(tmp_path: Path) -> None:
    """A request published with the retain flag is handed to the controller again at
    each (re)subscription: a retained stopAll would stop the floor after every broker
    blip. The broker marks it retained then, and the controller ignores it."""
    async def scene(site: Site) -> None:
        topic = Topics(SITE).request("manager", "mgr")
        stop = b'{"request_id": "kept", "command": {"type": "stopAll"}}'
        await site.operator.publish(topic, stop, qos=1, retain=True)
        async with serving(site), client(site, "mgr") as mgr:
            reply = await mgr.request(PauseRobot(serial="R1"), timeout=5.0 * site.speed)
            assert reply.ok, "a request after it is served"
            assert not site.controller.manager.stopped_all, (
                "the retained stopAll was not carried out")
            await site.operator.publish(topic, b"", qos=1, retain=True)  # tidy the broker

    run_site(small_room(), {"R1": PASS}, scene, tmp=tmp_path)
