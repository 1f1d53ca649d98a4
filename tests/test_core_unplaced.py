"""The pure controller, fed by hand (no simulator, no loop): one online robot that
cannot be placed on the floor must not stop the site. After a short grace it is left
out, with an alert saying why, and the others are dispatched (issue 13, D5)."""

from __future__ import annotations

from e2e import small_room
from simkit import MODEL

from fleet.assembly import build_controller
from fleet.controller.commands import SendOrder
from fleet.controller.core import JOIN_GRACE_S
from fleet.domain import events as ev
from fleet.intake import DishRequest, OrderRequest
from fleet.store import MemoryStore
from fleet.vda import ConnectionState, Position, RobotState


def test_an_online_robot_off_the_plan_is_left_out_and_the_others_serve() -> None:
    plan = small_room()
    ctl = build_controller(plan, {"A": MODEL, "B": MODEL}, store=MemoryStore(), run_id="t")
    x, y = plan.anchor_of(plan.place("charger").cells[0])
    sent: list[SendOrder] = []

    def states(now: float) -> None:
        for serial, pos in (("A", Position(x, y)), ("B", Position(-40.0, 3.0))):
            out = ctl.on_state(RobotState(serial, now, position=pos), now)
            sent.extend(c for c in out if isinstance(c, SendOrder))

    for serial in ("A", "B"):
        ctl.on_connection(serial, ConnectionState.ONLINE, 0.0)
    states(0.0)
    ctl.submit(OrderRequest("o1", "table-1", (DishRequest("soup"),)), 0.0)
    ctl.mark_ready("o1", 0, 1.0)
    now = 1.0
    while now < JOIN_GRACE_S + 5.0:
        now += 1.0
        states(now)
        sent.extend(c for c in ctl.tick(now) if isinstance(c, SendOrder))
    assert {c.serial for c in sent} == {"A"}, "A is sent while B cannot be placed"
    told = [e for e in ctl.events if e.kind == ev.ROBOT_UNPLACED]
    assert [e.robot for e in told] == ["B"], "said once"
    assert "position (-40.00, 3.00) m is off the plan" in told[0].text
