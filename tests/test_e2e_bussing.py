"""End to end, bussing calls: a table's call stands until a robot goes, so a call
made again (a till resending after no answer while the controller restarts, a
second press at the host stand) sends no second robot, and a till may resend it.
Before, every call was one more trip, so tills could not resend, and a call sent
while the controller was down was lost (the controller-kill campaign: 2 of 2)."""

from __future__ import annotations

from e2e import Rig, run_rig, small_room

from fleet.domain import TripKind


def _bus_trips(rig: Rig, table: str) -> int:
    return sum(1 for t in rig.controller.trips.values()
               if t.kind is TripKind.BUS and any(s.place == table for s in t.stops))


def test_a_bussing_call_made_again_sends_no_second_robot_until_the_first_went() -> None:
    async def scene(rig: Rig) -> None:
        await rig.runtime.request_bussing("table-1")
        await rig.runtime.request_bussing("table-1")  # the till resends: no answer seen
        await rig.until(lambda: _bus_trips(rig, "table-1") == 1, 30, "a robot goes")
        await rig.runtime.request_bussing("table-1")  # pressed again while it drives
        # Kept until collected: a restart now would send a robot again.
        assert [t for t, _ in rig.controller.store.bussing_calls()] == ["table-1"]
        await rig.until(lambda: all(r.trip is None for r in rig.controller.robots.values()),
                        300, "the bussing trip ends")
        assert _bus_trips(rig, "table-1") == 1
        assert rig.controller.store.bussing_calls() == []
        await rig.runtime.request_bussing("table-1")  # the next guests leave later
        await rig.until(lambda: _bus_trips(rig, "table-1") == 2, 30, "a robot goes again")

    run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene)


def test_a_bussing_trip_given_up_forgets_the_call_in_the_store_too() -> None:
    """As before the store kept calls, a trip given up (its robot offline too long,
    stalled) ends the call; a restart must not bring back what the running
    controller dropped."""
    async def scene(rig: Rig) -> None:
        await rig.runtime.request_bussing("table-2")
        await rig.until(lambda: _bus_trips(rig, "table-2") == 1, 30, "a robot goes")
        (rec,) = [r for r in rig.controller.robots.values() if r.trip is not None]
        rig.controller.work.abort(rec, rig.runtime.now(), "given up by the test")
        assert rig.controller.store.bussing_calls() == []
        assert not rig.controller.work.bussing_due("table-2")

    run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene)
