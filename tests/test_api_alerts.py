"""Alerts from controller events: which events need a person, at which level; the same
alert again counted rather than repeated; acknowledged ones kept for a while."""

from __future__ import annotations

import pytest

from fleet.api.alerts import AlertBook, classify
from fleet.domain import events as ev
from fleet.domain.events import Event
from fleet.errors import CommandError


@pytest.mark.parametrize(("event", "level", "words"), [
    (Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: idle -> offline"), "critical",
     "R1 is offline"),
    (Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: working -> e-stopped"), "critical",
     "R1 is e-stopped"),
    (Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: working -> fault"), "critical",
     "R1 is faulted"),
    (Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: idle -> manual"), "critical",
     "R1 is in manual mode"),
    (Event(ev.ROBOT_ERROR_REPORTED, 1, robot="R1", text="R1: WARNING bump: bumper touched"),
     "warning", "bumper touched"),
    (Event(ev.ROBOT_ERROR_REPORTED, 1, robot="R1", text="R1: FATAL motor: overheated"),
     "critical", "overheated"),
    (Event(ev.BATTERY_LOW, 1, robot="R1", text="R1 battery 19 %"), "warning", "19 %"),
    (Event(ev.DEADLOCK_RESOLVED, 1, text="R2 backed out of the aisle"), "info",
     "deadlock broken: R2 backed out"),
    (Event(ev.DISH_FAILED, 1, order_id="o1", dish_id="o1/1", text="not taken by the guest"),
     "warning", "order o1: dish failed: not taken by the guest"),
    (Event(ev.ROUTE_FAILED, 1, robot="R1", text="no way to table 7"), "warning", "table 7"),
])
def test_events_that_need_a_person_raise_alerts(event: Event, level: str, words: str) -> None:
    raised = classify(event)
    assert raised is not None and raised.level == level and words in raised.text


@pytest.mark.parametrize("event", [
    Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: idle -> working"),
    Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: offline -> idle"),
    Event(ev.DISH_SERVED, 1, dish_id="o1/1"),
    Event(ev.DEADLOCK_DETECTED, 1, text="R1 and R2 wait on each other"),
])
def test_routine_events_raise_none(event: Event) -> None:
    assert classify(event) is None


def test_mode_from_event_data_wins_over_the_text() -> None:
    e = Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1 changed", data={"mode": "fault"})
    raised = classify(e)
    assert raised is not None and raised.level == "critical"


def test_repeats_collapse_ids_grow_and_acknowledged_ones_are_kept_a_while() -> None:
    book = AlertBook(acknowledged_kept=2, offline_grace_s=0)
    off = Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: idle -> offline")
    first = book.observe(off)
    assert first is not None and first.alert_id == 1
    again = book.observe(Event(ev.ROBOT_MODE_CHANGED, 5, robot="R1",
                               text="R1: working -> offline"))
    assert again is not None and again.alert_id == 1 and again.count == 2 and again.at == 1
    assert again.last_at == 5
    other = book.observe(Event(ev.ROBOT_MODE_CHANGED, 6, robot="R2", text="R2: idle -> offline"))
    assert other is not None and other.alert_id == 2
    assert [a.alert_id for a in book.view().alerts] == [2, 1]
    version = book.version
    assert "acknowledged" in book.acknowledge(1)
    assert book.version > version
    assert "already" in book.acknowledge(1)
    with pytest.raises(CommandError) as err:
        book.acknowledge(99)
    assert err.value.code == "unknown_alert" and err.value.field == "alert_id"
    fresh = book.observe(off)
    assert fresh is not None and fresh.alert_id == 3, "a new alert once the old one is acknowledged"
    for i in (2, 3):
        book.acknowledge(i)
    book.observe(Event(ev.BATTERY_LOW, 9, robot="R1", text="low"))
    shown = book.view().alerts
    assert [a.alert_id for a in shown] == [4, 3, 2], "only the last 2 acknowledged are kept"
    assert [a.acknowledged for a in shown] == [False, True, True]
    assert [a.alert_id for a in book.open_alerts()] == [4]


def test_a_robot_back_at_work_clears_its_mode_alerts_and_nothing_else() -> None:
    book = AlertBook(offline_grace_s=0)
    book.observe(Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: idle -> offline"))
    book.observe(Event(ev.BATTERY_LOW, 2, robot="R1", text="R1 battery 19 %"))
    book.observe(Event(ev.ROBOT_MODE_CHANGED, 3, robot="R2", text="R2: working -> e-stopped"))
    version = book.version
    book.observe(Event(ev.ROBOT_MODE_CHANGED, 40, robot="R1", text="R1: offline -> idle"))
    assert book.version > version
    assert [(a.robot, a.kind) for a in book.open_alerts()] == [
        ("R2", ev.ROBOT_MODE_CHANGED), ("R1", ev.BATTERY_LOW)], \
        "the battery alert and the other robot's stay open"
    cleared = next(a for a in book.view().alerts if a.alert_id == 1)
    assert cleared.acknowledged and cleared.last_at == 40
    assert cleared.text == "R1 is offline (cleared: idle again)"
    assert "already" in book.acknowledge(1)
    book.observe(Event(ev.ROBOT_MODE_CHANGED, 50, robot="R2", text="R2: e-stopped -> paused"))
    assert [a.robot for a in book.open_alerts()] == ["R1"]


def test_a_flapping_robot_does_not_push_acknowledged_alerts_out_of_view() -> None:
    book = AlertBook(acknowledged_kept=2, offline_grace_s=0)
    fault = book.observe(Event(ev.ROBOT_ERROR_REPORTED, 1, robot="R9", text="R9: FATAL motor"))
    assert fault is not None
    book.acknowledge(fault.alert_id)
    for t in range(2, 40, 2):  # R1 drops off and comes back, again and again
        book.observe(Event(ev.ROBOT_MODE_CHANGED, t, robot="R1", text="R1: idle -> offline"))
        book.observe(Event(ev.ROBOT_MODE_CHANGED, t + 1, robot="R1", text="R1: offline -> idle"))
    shown = book.view().alerts
    assert any(a.alert_id == fault.alert_id and a.acknowledged for a in shown), \
        "the manager's acknowledged fault is still there"
    assert not book.open_alerts()


def test_a_brief_reconnect_raises_nothing_and_a_robot_that_stays_away_is_alerted() -> None:
    """Issue 14, finding 7: a robot's brief reconnect raised a critical alert."""
    book = AlertBook(offline_grace_s=15.0)
    assert book.observe(Event(ev.ROBOT_MODE_CHANGED, 10, robot="R1",
                              text="R1: working -> offline")) is None
    assert book.tick(20.0) == []
    book.observe(Event(ev.ROBOT_MODE_CHANGED, 22, robot="R1", text="R1: offline -> working"))
    assert book.tick(60.0) == [] and not book.open_alerts(), "back within the grace"
    book.observe(Event(ev.ROBOT_MODE_CHANGED, 100, robot="R2", text="R2: idle -> offline"))
    assert book.tick(114.0) == []
    [raised] = book.tick(115.0)
    assert (raised.robot, raised.level, raised.at) == ("R2", "critical", 100)
    assert raised.text == "R2 is offline"
    assert book.tick(200.0) == [], "raised once"


def test_the_dishes_of_one_order_failing_for_one_reason_make_one_alert() -> None:
    book = AlertBook()
    for i in (1, 2, 3):
        book.observe(Event(ev.DISH_FAILED, 5, order_id="o7", dish_id=f"o7/{i}",
                           text="nobody took it at A3 within 90 s"))
    book.observe(Event(ev.DISH_FAILED, 6, order_id="o8", dish_id="o8/1",
                       text="nobody took it at A4 within 90 s"))
    alerts = book.open_alerts()
    assert [(a.order_id, a.count) for a in alerts] == [("o8", 1), ("o7", 3)]


@pytest.mark.parametrize(("event", "english", "korean"), [
    (Event(ev.ROBOT_MODE_CHANGED, 1, robot="R1", text="R1: idle -> offline"),
     "R1 is offline", "R1 오프라인"),
    (Event(ev.BATTERY_LOW, 1, robot="R1", text="R1 battery 19 %", data={"percent": 19.2}),
     "R1 battery 19 %", "R1: 배터리 부족 (19%)"),
    (Event(ev.DISH_FAILED, 1, order_id="o1", dish_id="o1/1", text="not taken by the guest"),
     "order o1: dish failed: not taken by the guest",
     "주문 o1: 서빙 실패: not taken by the guest"),
    (Event(ev.ROBOT_STALLED, 1, robot="R2", text="R2 made no progress for 60 s"),
     "R2 made no progress for 60 s", "R2 멈춰 있음: R2 made no progress for 60 s"),
])
def test_an_alert_carries_its_headline_as_words_for_another_language(
        event: Event, english: str, korean: str) -> None:
    """The text stays the English it was; the words say the headline in Korean, the
    controller's or the robot's own detail as written (issue 14, finding 9)."""
    from fleet.dashboard.language import phrase  # noqa: PLC0415

    alert = AlertBook(offline_grace_s=0).observe(event)
    assert alert is not None and alert.words is not None
    assert alert.text == english
    assert phrase(alert.words).render("ko") == korean
