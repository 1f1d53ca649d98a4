"""The dashboard tests' moment of service (``dashscene``) in a Korean restaurant: the
same robots, orders and alerts on maps/bulgogi-house.toml (tables 창가1, 가3, 나2 ...),
dishes with Korean names, and the robots' words sent as the controller sends them
(``doing_words`` / ``waiting_words`` beside the English), shown in Korean.

Alerts carry their words as the alert book raises them; the events here carry
none (as events read back from the store), so they show as written: the events log
in Korean is ``test_event_words``'s."""

from __future__ import annotations

from pathlib import Path

import msgspec
from dashscene import T, alerts, events, frozen, orders, robots, summary

from fleet.api.messages import Alerts, ControllerStatus, FloorView, OrderView, RobotView
from fleet.api.snapshot import floor_view
from fleet.api.updates import LinkChanged, Update
from fleet.api.words import words_view
from fleet.dashboard import FleetDashboard, build_app
from fleet.dashboard.scripted import ScriptedSource
from fleet.floor import load_floor
from fleet.words import Phrase

BULGOGI = Path(__file__).resolve().parents[1] / "maps" / "bulgogi-house.toml"
TABLES = {"S4": "소파4", "A3": "가3", "B2": "나2", "C5": "다5", "E2": "벽2", "A1": "가1",
          "W3": "창가3", "C2": "다2"}
DISHES = {"salad": "샐러드", "soup": "된장찌개", "steak": "불고기", "pasta": "잡채",
          "cake": "호떡", "fish": "고등어구이", "burger": "비빔밥"}
_FLOOR: FloorView | None = None


def bulgogi_house() -> FloorView:
    global _FLOOR  # noqa: PLW0603  (compiled once per test session)
    if _FLOOR is None:
        _FLOOR = floor_view(load_floor(BULGOGI, robot_radius=0.25))
    return _FLOOR


def _table(name: str) -> Phrase:
    return Phrase.of("table {name}", name=TABLES[name])


def _dishes(n: int) -> Phrase:
    return Phrase.of("{n} dish" if n == 1 else "{n} dishes", n=str(n))


_WORDS: dict[str, tuple[Phrase | None, Phrase | None]] = {
    "R1": (Phrase.of("to {place} with {dishes}", place=_table("B2"), dishes=_dishes(1)),
           None),
    "R2": (Phrase.of("idle at {place}", place=Phrase.of("the pass")), None),
    "R3": (Phrase.of("charging, {battery} %", battery="41"), None),
    "R4": (Phrase.of("to {place} with {dishes}", place=_table("A1"), dishes=_dishes(1)),
           Phrase.of("waiting for {robot} to clear the aisle {where}", robot="R1",
                     where=Phrase.of("by {place}", place=_table("C2")))),
    "R5": (Phrase.of("offline"), Phrase.of("offline for {s} s", s="120")),
}


def robots_ko() -> list[RobotView]:
    out = []
    for r in robots():
        doing, waiting = _WORDS[r.serial]
        trip = r.trip
        if trip is not None:
            trip = msgspec.structs.replace(trip, stops=[TABLES.get(s, s) for s in trip.stops])
        out.append(msgspec.structs.replace(
            r, trip=trip, doing="" if doing is None else str(doing),
            waiting="" if waiting is None else str(waiting),
            doing_words=words_view(doing), waiting_words=words_view(waiting)))
    return out


def orders_ko() -> list[OrderView]:
    out = []
    for o in orders():
        dishes = [msgspec.structs.replace(d, name=DISHES[d.name]) for d in o.dishes]
        note = "땅콩 알레르기" if o.note else ""
        out.append(msgspec.structs.replace(o, table=TABLES[o.table], dishes=dishes, note=note))
    return out


def alerts_ko() -> Alerts:
    """The scene's alerts with their words, as the alert book raises them."""
    words = {3: Phrase.of("{robot} is offline", robot="R5"),
             2: Phrase.of("{robot}: battery low ({percent} %)", robot="R4", percent="18"),
             1: Phrase.of("{what}: dish failed", what=Phrase.of("order {order}",
                                                                 order="O-100"))}
    return Alerts(alerts=[msgspec.structs.replace(a, words=words_view(words[a.alert_id]))
                          for a in alerts().alerts])


def scene_ko() -> list[Update]:
    return [LinkChanged(up=True),
            ControllerStatus(online=True, site="bulgogi", name="불고기 하우스", at=T),
            bulgogi_house(), *robots_ko(), *orders_ko(), alerts_ko(),
            summary(site="bulgogi", name="불고기 하우스", blocked_tables={"창가3": "물 쏟음"},
                    blocked_zones={"입구": "배송"}),
            *events()]


def make_app_ko(**kw: object) -> tuple[FleetDashboard, ScriptedSource]:
    source = ScriptedSource(scene_ko(), **kw)  # type: ignore[arg-type]
    return build_app(source, title="fleet", clock=frozen, order_prefix="mgr",
                     lang="ko"), source
