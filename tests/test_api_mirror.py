"""The client-side mirror: folding updates, resync after a broker loss, the site clock."""

from __future__ import annotations

import pytest

from fleet.api.messages import (
    Alerts,
    AlertView,
    ControllerStatus,
    DishView,
    EventView,
    OrderView,
    RobotView,
    Summary,
)
from fleet.api.mirror import FleetMirror
from fleet.api.updates import LinkChanged, OrderCleared


def _summary(now: float, speed: float = 1.0) -> Summary:
    return Summary(site="s", now=now, speed=speed, robots=1, active=0, idle=1, charging=0,
                   paused=0, faulted=0, offline=0, dishes_waiting=0, dishes_on_robots=0)


def _order(order_id: str, *, open_: bool = True, at: float = 0.0) -> OrderView:
    return OrderView(order_id=order_id, table="T1", created_at=at, open=open_,
                     dishes=[DishView(dish_id=f"{order_id}/1", name="soup", state="ready")])


def _robot(serial: str) -> RobotView:
    return RobotView(serial=serial, mode="idle", online=True)


def test_updates_fold_into_the_present() -> None:
    m = FleetMirror(events_kept=3)
    assert m.apply(LinkChanged(up=True), 0.0) == "link"
    assert m.apply(ControllerStatus(online=True, site="s"), 0.0) == "status"
    assert m.controller_online
    m.apply(_robot("R1"), 0.0)
    m.apply(RobotView(serial="R1", mode="working", online=True), 0.1)
    assert m.robots["R1"].mode == "working"
    m.apply(_order("o2", at=5.0), 0.0)
    m.apply(_order("o1", at=1.0), 0.0)
    m.apply(_order("o3", open_=False), 0.0)
    assert [o.order_id for o in m.open_orders()] == ["o1", "o2"]
    assert m.apply(OrderCleared("o3"), 0.0) == "orders"
    assert "o3" not in m.orders
    for i in range(5):
        m.apply(EventView(kind="DishReady", at=float(i)), 0.0)
    assert [e.at for e in m.events] == [2.0, 3.0, 4.0]
    m.apply(Alerts(alerts=[AlertView(alert_id=2, at=1, level="critical", kind="k", text="b"),
                           AlertView(alert_id=1, at=0, level="info", kind="k", text="a",
                                     acknowledged=True)]), 0.0)
    assert [a.alert_id for a in m.open_alerts()] == [2]


def test_site_clock_runs_at_the_site_speed_from_the_last_summary() -> None:
    m = FleetMirror()
    assert m.site_now(10.0) == 0.0
    m.apply(LinkChanged(up=True), 0.0)
    m.apply(ControllerStatus(online=True, site="s", at=99.0), 0.0)
    assert m.site_now(10.0) == 99.0
    m.apply(_summary(1000.0, speed=4.0), 50.0)
    assert m.site_now(50.5) == pytest.approx(1002.0)
    m.apply(LinkChanged(up=False, reason="broker lost"), 51.0)
    assert not m.connected and m.link_reason == "broker lost"
    assert m.site_now(60.0) == 1000.0, "no controller, no running clock"


def test_resync_drops_what_was_not_heard_again() -> None:
    m = FleetMirror()
    m.apply(LinkChanged(up=True), 0.0)
    for o in ("o1", "o2"):
        m.apply(_order(o), 0.0)
    m.apply(_robot("R1"), 0.0)
    m.apply(_robot("R2"), 0.0)
    m.apply(_summary(1.0), 0.0)
    assert set(m.orders) == {"o1", "o2"}
    m.apply(LinkChanged(up=False, reason="lost"), 1.0)
    m.apply(LinkChanged(up=True), 2.0)
    # the retained burst: o2 was cleared while we were away, R2 is gone
    m.apply(_order("o1"), 2.0)
    m.apply(_robot("R1"), 2.0)
    assert set(m.orders) == {"o1", "o2"}, "nothing dropped before the burst is in"
    m.apply(_summary(3.0), 2.1)
    assert set(m.orders) == {"o1"}
    assert set(m.robots) == {"R1"}
    m.apply(_order("o4"), 3.0)
    m.apply(_summary(4.0), 3.0)
    assert set(m.orders) == {"o1", "o4"}, "a sweep happens once per resync"
