"""The simulator's robots share one position per cell and heading (``World.position``):
each robot used to keep its own, and 30 robots kept 100,000 after a simulated
4-hour dinner, still growing, in the campaign's process (``fleet chaos --rss-every``)."""

from __future__ import annotations

import pytest
from linkcontract import make_order
from simkit import ROW, fixed_world, make_robot, run_checked, until

from sim.chaos import _Heard


def test_robots_on_the_same_cells_report_the_same_position_objects() -> None:
    async def main() -> None:
        world = fixed_world()
        first, first_rec = make_robot(world, ROW[0], serial="bot-1")
        first.receive_order(make_order(world.plan, "o1", ROW[:8]))
        await until(lambda: first.cell == ROW[7] and not first.busy)
        second, second_rec = make_robot(world, ROW[0], serial="bot-2", seed=2)
        second.receive_order(make_order(world.plan, "o2", ROW[:6]))
        await until(lambda: second.cell == ROW[5] and not second.busy)
        seen = {s.position: s.position for s in first_rec.states if s.position is not None}
        again = [s.position for s in second_rec.states if s.position in seen]
        assert len({(p.x, p.y) for p in again}) >= 5, "the second robot crossed the cells"
        assert all(seen[p] is p for p in again), "one object per cell and heading"
        assert world.positions_kept() <= world.plan.passable.sum() * 5

    run_checked(main())


def test_the_campaigns_watcher_keeps_only_the_first_state_and_order_after_each_mark() -> None:
    """``fleet chaos``'s watcher kept the time of every robot state it heard: 30
    robots over 8 site hours grew the campaign's process 7-8 MB an hour. Its figures
    ask only for the first state and order after a broker's return or a controller's
    "online", so that is all it keeps, and the answers stay the same."""
    heard = _Heard()
    t = 0.0
    for _ in range(10_000):  # a long quiet stretch: nothing asked yet
        t += 0.1
        heard.state(t)
        heard.order(t)
    back = t
    heard.mark()  # the broker is back
    for k in range(10_000):
        t += 0.1
        heard.state(t)
        if k % 50 == 7:
            heard.order(t)
    assert len(heard.states) == 1 and len(heard.orders) == 1
    assert heard.states[0] == next(x for x in heard.states if x >= back) > back
    assert heard.orders[0] == pytest.approx(back + 0.8), "the first order after it"
