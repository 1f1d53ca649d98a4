"""The floor manager's operations, end to end on the simulated floor: a blocked
table's dishes wait and go out once unblocked; a blocked zone is kept clear while
robots serve round it; a hurried order goes first; a docked robot takes no trip
until resumed; unknown names are refused with a code; and the plain words the
dashboard shows for a robot waiting in traffic or for a slow guest."""

from __future__ import annotations

import math

import pytest
from e2e import ONE_TRAY, Rig, blocks, floor, run_rig, small_room

from fleet.assembly import build_controller
from fleet.controller.explain import doing_words, place_words, waiting_words, where_words
from fleet.domain import DishState, Priority, StopKind, TripKind
from fleet.domain import events as ev
from fleet.errors import CommandError
from fleet.floor.model import Cell, PlaceKind
from fleet.store import MemoryStore
from fleet.vda import ErrorLevel


def _rect_over(rig: Rig, corner_a: Cell, corner_b: Cell) -> tuple[float, float, float, float]:
    """[x0, y0, x1, y1] metres just covering the cells between two corners."""
    (xa, ya), (xb, yb) = rig.plan.centre_of(corner_a), rig.plan.centre_of(corner_b)
    return (min(xa, xb) - 0.1, min(ya, yb) - 0.1, max(xa, xb) + 0.1, max(ya, yb) + 0.1)


def _trip_tables(rig: Rig, serial: str | None = None) -> list[str]:
    return [s.place for t in rig.controller.trips.values() if serial in (None, t.robot)
            for s in t.stops if s.kind is StopKind.SERVE]


def test_a_blocked_tables_dish_waits_while_others_are_served_then_goes_out() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        await rig.runtime.execute(ctl.block_table("table-1", "spill under the table", rig.now()))
        assert dict(ctl.manager.blocked_tables) == {"table-1": "spill under the table"}
        held = await rig.order("table-1")
        others = [await rig.order(t) for t in ("table-2", "table-3", "table-2")]
        await rig.until(lambda: all(rig.dish(o).state is DishState.SERVED for o in others),
                        300, "the other tables are served")
        await rig.settle(30.0)  # robots idle, the blocked table's dish still ready
        assert rig.dish(held).state is DishState.READY
        assert "table-1" not in _trip_tables(rig)
        await rig.runtime.execute(ctl.unblock_table("table-1", rig.now()))
        assert dict(ctl.manager.blocked_tables) == {}
        await rig.until(lambda: rig.dish(held).state is DishState.SERVED, 120,
                        "served once unblocked")
        blocked = rig.events(ev.TABLE_BLOCKED)
        assert len(blocked) == 1 and "spill under the table" in blocked[0].text
        assert "1 waiting dish" in rig.events(ev.TABLE_UNBLOCKED)[0].text

    run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene, model=ONE_TRAY)


def test_a_blocked_zone_stays_clear_robots_serve_round_it_and_use_it_again() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        # The middle of the room's north side: the straight way from the pass to table-1.
        rect = _rect_over(rig, (0, 7), (2, 9))
        await rig.runtime.execute(ctl.block_zone("spill", "mop bucket", rig.now(), rect=rect))
        zone = ctl.manager.zone_cells("spill")
        assert zone == {(r, c) for r in range(3) for c in range(7, 10)}
        assert dict(ctl.manager.blocked_zones) == {"spill": "mop bucket"}
        blocked_at = rig.now()
        orders = [await rig.order(t) for t in ("table-1", "table-1", "table-2", "table-1")]
        await rig.until(lambda: all(rig.dish(o).state is DishState.SERVED for o in orders),
                        400, "served round the zone")
        unblocked_at = rig.now()
        await rig.runtime.execute(ctl.unblock_zone("spill", rig.now()))
        assert ctl.manager.zone_cells("spill") == frozenset()
        assert dict(ctl.manager.blocked_zones) == {}
        inside = [m for m in rig.referee.trace
                  if blocked_at <= m.at <= unblocked_at and m.dst in zone]
        assert inside == []
        later = [await rig.order("table-1") for _ in range(2)]
        await rig.until(lambda: all(rig.dish(o).state is DishState.SERVED for o in later),
                        300, "served after unblocking")
        assert [m for m in rig.referee.trace if m.at > unblocked_at and m.dst in zone]
        assert [e.kind for e in ctl.events if e.kind in (ev.ZONE_BLOCKED, ev.ZONE_UNBLOCKED)] \
            == [ev.ZONE_BLOCKED, ev.ZONE_UNBLOCKED]

    run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene, model=ONE_TRAY)


def test_a_zone_blocked_mid_trip_is_not_entered_beyond_what_was_released() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        oid = await rig.order("table-1")
        dish = rig.dish(oid)
        await rig.until(lambda: dish.state is DishState.ON_THE_WAY, 60, "on the way")
        serial = dish.robot
        assert serial is not None
        route = rig.traffic.route_of(serial)
        released = set(route.cells[:rig.traffic.released(serial) + 1])
        ahead = [c for c in route.cells[rig.traffic.released(serial) + 1:]]
        assert ahead, "the test needs a robot with route still to release"
        cut = ahead[len(ahead) // 2]
        rect = _rect_over(rig, (max(0, cut[0] - 1), cut[1]), (min(4, cut[0] + 1), cut[1]))
        at = rig.now()
        await rig.runtime.execute(ctl.block_zone("cart", "", at, rect=rect))
        zone = ctl.manager.zone_cells("cart")
        assert cut in zone
        await rig.until(lambda: dish.state is DishState.SERVED, 200, "served round the cart")
        entered = {m.dst for m in rig.moves_of(serial, since=at) if m.dst in zone}
        assert entered <= released

    run_rig(small_room(), {"A": (1, 0)}, scene, model=ONE_TRAY)


def test_a_robot_cut_off_by_a_blocked_zone_waits_short_of_it_and_goes_on_after() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        oid = await rig.order("table-1")
        dish = rig.dish(oid)
        await rig.until(lambda: dish.state is DishState.ON_THE_WAY, 60, "on the way")
        route = rig.traffic.route_of("A")
        ahead = route.cells[rig.traffic.released("A") + 1:]
        assert ahead and ahead[-1][1] > 8
        column = max(ahead[0][1], 8)  # wall to wall across the room: no way round
        at = rig.now()
        await rig.runtime.execute(ctl.block_zone("party", "birthday", at,
                                                 rect=_rect_over(rig, (0, column), (4, column))))
        zone = ctl.manager.zone_cells("party")
        assert "A stop short of it" in rig.events(ev.ZONE_BLOCKED)[0].text
        await rig.settle(40.0)
        assert dish.state is DishState.ON_THE_WAY
        assert not {m.dst for m in rig.moves_of("A", since=at)} & zone
        assert "closed: party" in waiting_words(ctl, "A", rig.now())
        (stuck,) = rig.events(ev.ROUTE_FAILED)  # once, after a few tries, not every retry
        assert stuck.robot == "A" and "cannot reach table-1" in stuck.text
        await rig.runtime.execute(ctl.unblock_zone("party", rig.now()))
        await rig.until(lambda: dish.state is DishState.SERVED, 120, "served after unblocking")

    run_rig(small_room(), {"A": (1, 0)}, scene, model=ONE_TRAY)


@pytest.mark.parametrize("hurry", [False, True])
def test_a_later_order_hurried_by_the_manager_goes_first(hurry: bool) -> None:
    async def scene(rig: Rig) -> list[str]:
        ctl = rig.controller
        first = await rig.order("table-1")
        await rig.until(lambda: rig.dish(first).state is DishState.ON_THE_WAY, 60, "first out")
        near = await rig.order("table-3")  # ready earlier and nearer: first, unless hurried
        await rig.settle(2.0)
        far = await rig.order("table-2")
        if hurry:
            await rig.runtime.execute(ctl.set_priority(far, Priority.HIGH, rig.now()))
            assert rig.dish(far).priority is Priority.HIGH
            assert rig.dish(near).priority is Priority.NORMAL
            assert rig.events(ev.ORDER_REPRIORITISED)[0].order_id == far
        await rig.until(lambda: rig.dish(near).state.final and rig.dish(far).state.final, 300,
                        "both served")
        served = sorted((rig.dish(o).served_at or 0.0, o) for o in (near, far))
        return [o for _, o in served]

    order = run_rig(small_room(), {"A": (1, 0)}, scene, model=ONE_TRAY)
    assert order == (["O3", "O2"] if hurry else ["O2", "O3"])


def test_a_robot_sent_to_its_dock_takes_no_trip_until_resumed() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        await rig.until(lambda: all(r.in_traffic for r in ctl.robots.values()), 30, "placed")
        await rig.runtime.execute(ctl.send_to_dock("A", rig.now()))
        dock = rig.plan.place("parking").cells
        await rig.until(lambda: rig.record("A").trip is None and rig.record("A").cell in dock,
                        60, "A parks at its dock")
        assert doing_words(ctl, "A", rig.now()) == "off duty at dock parking"
        docked_at = rig.now()
        orders = [await rig.order(t) for t in ("t1", "t2", "t3", "t4")]
        await rig.until(lambda: all(rig.dish(o).state is DishState.SERVED for o in orders),
                        400, "B serves them all")
        assert {rig.dish(o).robot for o in orders} == {"B"}
        assert [t for t in rig.trips_of("A") if t.created_at > docked_at] == []
        assert rig.moves_of("A", since=docked_at) == []
        await rig.runtime.execute(ctl.resume("A", rig.now()))
        resumed_at = rig.now()
        more = [await rig.order(t) for t in ("t1", "t3", "t2", "t4", "t1", "t3")]
        await rig.until(lambda: all(rig.dish(o).state is DishState.SERVED for o in more),
                        400, "served after A is back")
        assert any(t.kind is TripKind.SERVE for t in rig.trips_of("A")
                   if t.created_at >= resumed_at)
        assert [e.robot for e in rig.events(ev.ROBOT_SENT_TO_DOCK)] == ["A"]

    run_rig(blocks(), {"A": (2, 0), "B": (1, 0)}, scene, model=ONE_TRAY)


def test_docking_or_charging_a_robot_with_dishes_aboard_is_refused() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        oid = await rig.order("table-2")
        await rig.until(lambda: rig.dish(oid).state is DishState.ON_THE_WAY, 60, "on the way")
        for command in (ctl.send_to_dock, ctl.send_to_charge):
            with pytest.raises(CommandError, match="dishes on its trays") as refused:
                command("A", rig.now())
            assert (refused.value.code, refused.value.field) == ("refused", "serial")
        assert rig.record("A").off_duty is None
        await rig.until(lambda: rig.dish(oid).state is DishState.SERVED, 120, "served anyway")

    run_rig(small_room(), {"A": (1, 0)}, scene, model=ONE_TRAY)


def test_unknown_names_are_refused_with_a_code_and_a_field() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        now = rig.now()
        cases = [
            (lambda: ctl.pause("Z9", now), "unknown_robot", "serial"),
            (lambda: ctl.resume("Z9", now), "unknown_robot", "serial"),
            (lambda: ctl.send_to_charge("Z9", now), "unknown_robot", "serial"),
            (lambda: ctl.send_to_dock("Z9", now), "unknown_robot", "serial"),
            (lambda: ctl.block_table("table-9", "", now), "unknown_table", "table"),
            (lambda: ctl.block_table("pass", "", now), "unknown_table", "table"),
            (lambda: ctl.unblock_table("table-9", now), "unknown_table", "table"),
            (lambda: ctl.block_zone("patio", "", now), "unknown_zone", "zone"),
            (lambda: ctl.unblock_zone("patio", now), "unknown_zone", "zone"),
            (lambda: ctl.block_zone("patio", "", now, rect=(50.0, 50.0, 60.0, 60.0)),
             "refused", "rect"),
            (lambda: ctl.block_zone("patio", "", now, rect=(2.0, 1.0, 1.0, 2.0)),
             "refused", "rect"),
            (lambda: ctl.set_priority("O404", Priority.HIGH, now), "unknown_order", "order_id"),
        ]
        for call, code, field in cases:
            with pytest.raises(CommandError) as refused:
                call()
            assert (refused.value.code, refused.value.field) == (code, field), refused.value
        with pytest.raises(CommandError, match="no robot 'Z9' in this fleet"):
            ctl.pause("Z9", now)
        assert dict(ctl.manager.blocked_tables) == {} and dict(ctl.manager.blocked_zones) == {}
        assert ctl.manager.zone_cells("patio") == frozenset()
        # Names are matched as the plan spells them, whatever the case.
        await rig.runtime.execute(ctl.block_table("TABLE-3", "reserved", now))
        assert dict(ctl.manager.blocked_tables) == {"table-3": "reserved"}

    run_rig(small_room(), {"A": (1, 0)}, scene)


def test_stop_all_shows_the_floor_stopped_until_released() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        await rig.runtime.execute(ctl.stop_all(rig.now()))
        assert ctl.manager.stopped_all
        await rig.until(lambda: all(r.paused_by_manager and r.state is not None
                                    and r.state.paused for r in ctl.robots.values()), 10,
                        "every robot reports paused")
        assert waiting_words(ctl, "A", rig.now()) == "paused by the manager"
        oid = await rig.order("table-1")
        await rig.settle(20.0)
        assert rig.dish(oid).state is DishState.READY
        await rig.runtime.execute(ctl.release_all(rig.now()))
        assert not ctl.manager.stopped_all
        await rig.until(lambda: rig.dish(oid).state is DishState.SERVED, 120, "served")
        assert [e.kind for e in ctl.events if e.kind in (ev.ALL_STOPPED, ev.ALL_RELEASED)] \
            == [ev.ALL_STOPPED, ev.ALL_RELEASED]

    run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene)


def test_release_all_leaves_a_robot_paused_on_its_own_paused() -> None:
    """Pause B (a child climbs on it), stop everything, release everything: B stays."""
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        await rig.runtime.execute(ctl.pause("B", rig.now()))
        await rig.runtime.execute(ctl.stop_all(rig.now()))
        commands = ctl.release_all(rig.now())
        assert {c.serial for c in commands} == {"A"}, "no stopPause for B"
        await rig.runtime.execute(commands)
        assert not ctl.robots["A"].paused_by_manager and ctl.robots["B"].paused_by_manager
        assert "B still paused" in rig.events(ev.ALL_RELEASED)[0].text
        await rig.until(lambda: rig.robots["A"].paused is False, 10, "A goes on")
        await rig.settle(5.0)
        assert rig.robots["B"].paused, "B is still paused on the floor"
        oid = await rig.order("table-1")
        await rig.until(lambda: rig.dish(oid).state is DishState.SERVED, 120, "A serves")
        assert rig.dish(oid).robot == "A"

    run_rig(small_room(), {"A": (1, 0), "B": (0, 0)}, scene)


def test_the_latest_pause_or_resume_wins_over_one_still_unconfirmed() -> None:
    """A startPause lost on the way, then a stopPause: resending the startPause would
    leave the robot paused while the floor shows it working."""
    ctl = build_controller(small_room(), {"A": ONE_TRAY}, store=MemoryStore(), run_id="t")
    ctl.pause("A", 1.0)
    ctl.resume("A", 2.0)
    waiting = [a.action_type for a, _ in ctl.robots["A"].unconfirmed.values()]
    assert waiting == ["stopPause"]
    ctl.pause("A", 3.0)
    assert [a.action_type for a, _ in ctl.robots["A"].unconfirmed.values()] == ["startPause"]


def test_waiting_words_name_a_slow_guest_at_the_table() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        oid = await rig.order("table-2")
        dish = rig.dish(oid)
        await rig.until(lambda: dish.state is DishState.ON_THE_WAY, 60, "on the way")
        assert doing_words(ctl, "A", rig.now()) == "to table-2 with 1 dish"
        await rig.until(lambda: dish.state is DishState.AT_TABLE, 60, "at the table")
        await rig.settle(12.0)
        rec = rig.record("A")
        assert rec.goal_since is not None
        waited = rig.now() - rec.goal_since
        assert waiting_words(ctl, "A", rig.now()) == \
            f"at table-2: dish not taken yet ({waited:.0f} s)"
        assert doing_words(ctl, "A", rig.now()) == "serving table-2"
        await rig.until(lambda: dish.state is DishState.SERVED, 120, "taken at last")
        await rig.until(lambda: rig.record("A").trip is None, 60, "trip over")
        assert waiting_words(ctl, "A", rig.now()) == ""

    run_rig(small_room(), {"A": (1, 0)}, scene, model=ONE_TRAY, guest_take_s=lambda: 40.0)


def test_waiting_words_name_the_robot_in_the_way_and_where() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        seen: list[tuple[str, Cell, str]] = []

        def someone_waits() -> bool:
            for serial, rec in ctl.robots.items():
                if rec.in_traffic and rec.mode.available and not rec.paused_by_manager:
                    wait = ctl.traffic.waiting_for(serial)
                    if wait is not None:
                        seen.append((wait.blocker, wait.cell,
                                     waiting_words(ctl, serial, rig.now())))
                        return True
            return False

        for table in ("t4", "t2", "t1", "t3", "t4", "t2"):
            await rig.order(table)
        await rig.until(someone_waits, 300, "a robot waits for another in an aisle",
                        step_s=0.05)
        blocker, cell, words = seen[-1]
        x, y = rig.plan.centre_of(cell)
        nearest = min(rig.plan.places.values(),
                      key=lambda p: min(math.dist((x, y), s) for s in p.spots))
        assert min(math.dist((x, y), s) for s in nearest.spots) <= 2.0  # a small floor
        assert words == f"waiting for {blocker} to clear the aisle by {place_words(nearest)}"

    run_rig(blocks(), {"A": (1, 0), "B": (0, 0), "C": (4, 13), "D": (2, 0)}, scene,
            model=ONE_TRAY)


def test_plain_words_for_a_robot_in_trouble_and_one_charging() -> None:
    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        robot = rig.robots["A"]
        await rig.until(lambda: rig.record("A").in_traffic, 30, "placed")

        def words() -> str:
            return waiting_words(ctl, "A", rig.now())

        robot.set_e_stop(True)
        await rig.until(lambda: words() == "e-stop pressed", 5, "the e-stop in words")
        robot.set_e_stop(False)
        robot.add_error("driveFault", "left wheel motor overheated", ErrorLevel.FATAL)
        await rig.until(lambda: words() == "fault: driveFault: left wheel motor overheated", 5,
                        "the fault named")
        robot.clear_errors("driveFault")
        await rig.until(lambda: words() == "", 5, "nothing to wait for")
        robot.set_online(False)
        await rig.settle(40.0)
        gone = rig.now() - rig.record("A").last_state_at
        assert gone >= 39.0
        assert words() == f"offline for {gone:.0f} s"
        robot.set_online(True)
        await rig.until(lambda: words() == "", 10, "back online")
        await rig.runtime.execute(ctl.send_to_charge("A", rig.now()))
        await rig.until(lambda: rig.record("A").charging, 60, "charging")
        assert words() == ""  # charging is not waiting
        assert doing_words(ctl, "A", rig.now()) == f"charging, {rig.record('A').battery:.0f} %"

    run_rig(small_room(), {"A": (1, 0)}, scene, batteries={"A": 50.0})


def test_places_in_words_and_a_spot_far_from_any_place() -> None:
    plan = floor("." * 30 + "\n" + "." * 30, {
        "pass": (PlaceKind.PASS, [(0, 0)]), "7": (PlaceKind.TABLE, [(0, 3)]),
        "table-2": (PlaceKind.TABLE, [(1, 5)]), "return": (PlaceKind.DISH_RETURN, [(1, 0)]),
        "P2": (PlaceKind.PARKING, [(1, 29)])})
    words = {name: place_words(place) for name, place in plan.places.items()}
    assert words == {"pass": "the pass", "7": "table 7", "table-2": "table-2",
                     "return": "the dish return", "P2": "parking P2"}

    async def scene(rig: Rig) -> None:
        ctl = rig.controller
        assert where_words(ctl.plan, (0, 4)) == "by table 7"
        x, y = plan.centre_of((0, 17))
        assert where_words(ctl.plan, (0, 17)) == f"at ({x:.1f}, {y:.1f}) m"

    run_rig(plan, {"A": (1, 29)}, scene)
