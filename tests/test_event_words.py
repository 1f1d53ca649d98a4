"""The events log in the reader's language (issue 14, finding 9): the events a real
controller emits over a shift (an order, a robot stuck with food and freed, a dish
served, a link lost and back, a guest who never came, a low battery, the manager's
pauses and blocked zones and tables) carry their
words beside the English, the fleet API sends both, and a Korean dashboard shows them
in Korean while an English one shows the English text the store keeps.

The shift runs on the simulator in virtual time (``e2e.run_rig``); its events are
taken from the API service's publications, decoded as a client decodes them, and fed
to the dashboards."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import msgspec
import pytest
from dashscene import T, frozen, settle
from e2e import Rig, run_rig, small_room
from textual.widgets import RichLog

from fleet.api.messages import ControllerStatus, EventView
from fleet.api.service import ApiService
from fleet.api.updates import LinkChanged
from fleet.controller.floor_ops import PRIORITY_WORDS
from fleet.controller.port import FleetPort
from fleet.controller.sending import LEVEL_WORDS
from fleet.controller.tripwork import STOP_WORDS, TRIP_WORDS, trip_words
from fleet.dashboard import build_app, language
from fleet.dashboard.app import EVENTS_SHOWN
from fleet.dashboard.scripted import ScriptedSource
from fleet.dashboard.views import in_log
from fleet.domain import DishState, Priority, Stop, StopKind, Trip, TripKind
from fleet.domain import events as ev
from fleet.vda import ErrorLevel
from fleet.words import Lang, Phrase

WORDED = {ev.ORDER_RECEIVED, ev.DISH_READY, ev.DISH_ASSIGNED, ev.DISH_LOADED,
          ev.DISH_AT_TABLE, ev.DISH_SERVED,
          ev.DISH_FAILED, ev.ROBOT_CONNECTION_CHANGED, ev.ROBOT_MODE_CHANGED,
          ev.ROBOT_STALLED, ev.ROBOT_MOVED_ON, ev.BATTERY_LOW, ev.ROBOT_ARRIVED,
          ev.TRIP_FINISHED, ev.ROBOT_PAUSED, ev.ROBOT_RESUMED, ev.ZONE_BLOCKED,
          ev.ZONE_UNBLOCKED, ev.TABLE_BLOCKED, ev.TABLE_UNBLOCKED, ev.TRIP_ASSIGNED}
"""The kinds the shift below raises that must carry words."""


@pytest.fixture(autouse=True)
def english_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
    language.use("en")


def _shift() -> list[EventView]:
    absent = [False]

    async def scene(rig: Rig) -> list[EventView]:
        svc = ApiService(FleetPort(rig.controller), "bistro", epoch=T - 3600.0)
        svc.full_state(rig.now())
        sent: list[EventView] = []

        async def until(cond: Callable[[], bool], limit_s: float, what: str) -> None:
            def step() -> bool:
                sent.extend(msgspec.json.decode(p.payload, type=EventView)
                            for p in svc.publications(rig.now())
                            if p.topic == "fleet/v1/bistro/events")
                return cond()
            await rig.until(step, limit_s, what, step_s=0.5)

        def seen(kind: str, robot: str | None = None) -> Callable[[], bool]:
            return lambda: any(e.kind == kind and robot in (None, e.robot) for e in sent)

        first = await rig.order("table-1")
        await until(lambda: rig.dish(first).state is DishState.ON_THE_WAY, 120, "on the way")
        carrier = rig.dish(first).robot
        assert carrier is not None
        rig.robots[carrier].set_stuck(True)
        await until(seen(ev.ROBOT_STALLED), 90, "the stall told")
        rig.robots[carrier].set_stuck(False)
        await until(seen(ev.DISH_SERVED), 180, "served once freed")
        rig.robots[carrier].set_online(False)
        await until(lambda: any(e.kind == ev.ROBOT_CONNECTION_CHANGED and "offline" in e.text
                                for e in sent), 30, "the link lost")
        rig.robots[carrier].set_online(True)
        await until(lambda: any(e.kind == ev.ROBOT_CONNECTION_CHANGED and "online" in e.text
                                for e in sent), 30, "the link back")
        absent[0] = True
        second = await rig.order("table-2")
        await until(seen(ev.DISH_FAILED), 600, "nobody took it")
        assert rig.dish(second).state is DishState.FAILED
        await until(seen(ev.BATTERY_LOW, "B"), 30, "the low battery told")
        x0, y0 = rig.controller.plan.origin
        for command in ({"type": "pauseRobot", "serial": "A"},
                        {"type": "resumeRobot", "serial": "A"},
                        {"type": "blockZone", "zone": "spill", "reason": "water",
                         "rect": [x0, y0, x0 + 1.0, y0 + 1.0]},
                        {"type": "unblockZone", "zone": "spill"},
                        {"type": "blockTable", "table": "table-3", "reason": "party"},
                        {"type": "unblockTable", "table": "table-3"}):
            payload = json.dumps({"request_id": command["type"], "command": command})
            reply, commands = svc.handle("manager", "dash", payload.encode(), rig.now())
            assert reply.ok, reply
            await rig.runtime.execute(commands)
        await until(seen(ev.TABLE_UNBLOCKED), 10, "the manager's commands told")
        return sent

    return run_rig(small_room(), {"A": (1, 0), "B": (4, 11)}, scene, batteries={"B": 20.0},
                   guest_absent=lambda: absent[0], guest_timeout_s=30.0)


@pytest.fixture(scope="module")
def shift() -> list[EventView]:
    """The shift's events, run once for the tests of this module (outside any loop:
    the rig runs its own)."""
    events = _shift()
    assert len(events) < EVENTS_SHOWN, "the log keeps them all"
    return events


def test_the_common_events_carry_words_that_say_their_english_text(
        shift: list[EventView]) -> None:
    worded = {e.kind for e in shift if e.words is not None}
    assert worded >= WORDED, f"without words: {WORDED - worded}"
    for e in shift:
        if e.words is not None and e.kind not in {ev.DEADLOCK_DETECTED, ev.DEADLOCK_RESOLVED,
                                                  ev.TRAFFIC_STALL}:
            assert language.phrase(e.words).render("en") == e.text, e


async def _log_lines(events: list[EventView], lang: Lang) -> list[str]:
    source = ScriptedSource([LinkChanged(up=True),
                             ControllerStatus(online=True, site="bistro", at=T), *events])
    app = build_app(source, title="fleet", clock=frozen, order_prefix="mgr", lang=lang)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        log = app.query_one("#events", RichLog)
        return [strip.text.split("  ", 1)[1] for strip in log.lines]


@pytest.mark.asyncio
async def test_a_korean_dashboard_shows_the_events_in_korean(shift: list[EventView]) -> None:
    lines = "\n".join(await _log_lines(shift, "ko"))
    for korean in ("서빙 완료", "초째 멈춤", "다시 움직임", "오프라인", "온라인",
                   "수령 없음", "B 배터리 부족", "준비 완료", "관리자가 A 일시정지",
                   "A 작업 복귀", "구역 spill 차단", "칸): water", "구역 spill 다시 열림",
                   "table-3 차단: party", "table-3 차단 해제", "서빙 운행 "):
        assert korean in lines, f"{korean!r} not in the log:\n{lines}"
    for english in (" served at ", "made no progress", "is moving again", "battery low",
                    "nobody took it", "paused by the manager", "blocked", "open again",
                    " trip ", "at the pass in", "nearest"):
        assert english not in lines, f"{english!r} left in English:\n{lines}"


@pytest.mark.asyncio
async def test_an_english_dashboard_shows_the_text_as_stored(shift: list[EventView]) -> None:
    lines = await _log_lines(shift, "en")
    assert lines == [e.text or e.kind for e in shift if in_log(e)]
    assert any(" served at table-1" in line for line in lines)


def test_every_trip_stop_and_priority_has_its_word_which_in_english_is_its_name() -> None:
    assert set(TRIP_WORDS) == set(TripKind) and set(STOP_WORDS) == set(StopKind)
    assert set(PRIORITY_WORDS) == set(Priority) and set(LEVEL_WORDS) == set(ErrorLevel)
    assert all(word == level.value for level, word in LEVEL_WORDS.items())
    assert all(word == kind.value for kind, word in [*TRIP_WORDS.items(), *STOP_WORDS.items()])
    assert all(word == p.name.lower() for p, word in PRIORITY_WORDS.items())


def test_a_trip_reads_as_before_in_english_and_in_korean_words() -> None:
    """A reason given as text stays as written; the rest is the catalogue's."""
    trip = Trip(trip_id="t1", robot="R3", kind=TripKind.SERVE, created_at=0.0,
                stops=[Stop("pass", StopKind.LOAD), Stop("창가1", StopKind.SERVE)])
    words = trip_words("R3", trip, "nearest idle robot")
    assert str(words) == "R3: serve trip load pass, serve 창가1 (nearest idle robot)"
    assert words.render("ko") == "R3: 서빙 운행 pass 적재, 창가1 서빙 (nearest idle robot)"
    park = Trip(trip_id="t2", robot="R4", kind=TripKind.PARK, created_at=0.0,
                stops=[Stop("nook 1", StopKind.PARK)])
    assert trip_words("R4", park, "").render("ko") == "R4: 대기 운행 nook 1 대기"
    assert str(trip_words("R4", park, "")) == "R4: park trip park nook 1"
    why = Phrase.of("a loading spot is free; waits at the pass")
    assert trip_words("R4", park, why).render("ko") == (
        "R4: 대기 운행 nook 1 대기 (적재 자리가 비어 픽업대에서 대기)")
    assert str(trip_words("R4", park, why)) == (
        "R4: park trip park nook 1 (a loading spot is free; waits at the pass)")
