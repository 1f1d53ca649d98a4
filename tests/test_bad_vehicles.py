"""Issue 13, done when: a vehicle that refuses everything, one that never moves and
one on the wrong map each end as an alert within a minute, while the rest of the
fleet keeps serving. Over Mosquitto, three robots; the bad one is R1."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from brokers import HAVE_MOSQUITTO
from e2e import blocks
from mqttsite import Site, run_site

from fleet.api.alerts import AlertBook
from fleet.domain import DishState
from fleet.domain import events as ev
from fleet.vda import Order, RobotState
from sim.robot import SimRobot

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not HAVE_MOSQUITTO, reason="mosquitto is not installed "
                                 "(.ci/run installs it)")]


class RefusesEverything(SimRobot):
    def receive_order(self, order: Order) -> None:
        self.clear_errors("orderError")
        self.add_error("orderError", f"order {order.order_id}: drive unit not ready",
                       orderId=order.order_id)


class NeverMoves(SimRobot):
    """Takes every order and reports it, and never drives a metre (a wheel gone, no
    error raised)."""

    def start(self) -> None:
        super().start()
        self.drive.hold("seized")


class OnTheWrongMap(SimRobot):
    def state(self, now: float | None = None) -> RobotState:
        s = super().state(now)
        assert s.position is not None
        return dataclasses.replace(s, position=dataclasses.replace(s.position,
                                                                   map_id="cellar"))


CASES = {"refuses": (RefusesEverything, ev.ROBOT_WITHDRAWN),
         "never-moves": (NeverMoves, ev.ROBOT_STALLED),
         "wrong-map": (OnTheWrongMap, ev.MAP_MISMATCH_DETECTED)}
ALERT_WITHIN_S = 62.0
"""A minute, and the controller's one-second tick."""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_vehicle_is_an_alert_within_a_minute_and_the_rest_serve(
        tmp_path: Path, case: str) -> None:
    kind, alert_kind = CASES[case]

    async def scene(site: Site) -> None:
        book = AlertBook()
        start = site.now()
        orders = [await site.order(t) for t in ("t1", "t2", "t3", "t4", "t1", "t2")]
        await site.until(lambda: bool(site.events(alert_kind)), 120.0,
                         what=f"{alert_kind} for R1")
        said = site.events(alert_kind)[0]
        assert said.robot == "R1"
        assert said.at - start <= ALERT_WITHIN_S, f"{said.at - start:.0f} s"
        for e in site.controller.events:
            book.observe(e)
        assert any(a.kind == alert_kind and a.robot == "R1" for a in book.open_alerts())
        await site.until(lambda: all(site.dish(o).state.final for o in orders), 600.0,
                         what="every dish ends")
        served_by = {site.dish(o).robot for o in orders
                     if site.dish(o).state is DishState.SERVED}
        assert served_by and "R1" not in served_by, served_by
        assert sum(site.dish(o).state is DishState.SERVED for o in orders) >= 5, \
            site.describe()

    run_site(blocks(), {"R1": (0, 0), "R2": (1, 0), "R3": (4, 13)}, scene, tmp=tmp_path,
             kinds={"R1": kind})
