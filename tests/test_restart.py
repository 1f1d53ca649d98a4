"""A controller killed mid-service and started again on the same SQLite file takes
the service back: open orders stay open, dishes at the pass are served, a dish on a
tray is served once or failed with a reason, and the POS resending is a duplicate.

The robots and the world keep running across the restart, as real ones would: only
the controller, its runtime and its links are dropped (and the store's connection
abandoned, not closed, as a killed process would leave it).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from e2e import ONE_TRAY, TraceReferee, small_room
from simkit import run_checked

from fleet.assembly import build_controller
from fleet.controller.core import Controller
from fleet.controller.restart import LOST, REPORT_GRACE_S
from fleet.domain import Dish, DishState, Priority, TripState
from fleet.domain import events as ev
from fleet.errors import OrderError
from fleet.floor.model import Cell, FloorPlan
from fleet.intake import DishRequest, OrderRequest
from fleet.runtime import FleetRuntime
from fleet.store import SCHEMA_VERSION, SqliteStore
from sim.inproc import InProcLink
from sim.robot import SimRobot
from sim.world import World

STARTS: dict[str, Cell] = {"A": (1, 0), "B": (0, 0)}


async def until(condition: Callable[[], bool], what: str, timeout_s: float = 600.0,
                describe: Callable[[], str] = lambda: "") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not condition():
        if loop.time() >= deadline:
            raise AssertionError(f"{what}: not within {timeout_s:.0f} s\n{describe()}")
        await asyncio.sleep(0.1)


class Site:
    """Robots and world that outlive controllers; controllers come and go."""

    def __init__(self, plan: FloorPlan, db: Path) -> None:
        self.plan = plan
        self.db = db
        self.referee = TraceReferee(plan)
        self.world = World(plan, seed=1, referee=self.referee, staff_load_s=lambda: 4.0,
                           guest_take_s=lambda: 10.0, guest_absent=lambda: False)
        self.robots = {s: SimRobot(s, ONE_TRAY, self.world, c, seed=100 + i)
                       for i, (s, c) in enumerate(STARTS.items())}
        self.stores: list[SqliteStore] = []
        self.carrier = ""

    def controller(self, *, resume: bool) -> Controller:
        store = SqliteStore(self.db)
        self.stores.append(store)
        return build_controller(self.plan, dict.fromkeys(self.robots, ONE_TRAY), store=store,
                                resume=resume)

    async def serve(self, ctl: Controller, scene: Callable[[FleetRuntime], Awaitable[None]]
                    ) -> None:
        """Run ``ctl`` with fresh links until ``scene`` returns, then drop it."""
        runtime = FleetRuntime(ctl, [InProcLink(r) for r in self.robots.values()])
        async with asyncio.TaskGroup() as tg:
            tg.create_task(runtime.run(), name="runtime")
            await runtime.ready.wait()
            try:
                await scene(runtime)
            finally:
                runtime.stop()

    def describe(self, ctl: Controller) -> str:
        lines = [f"  {s}: at {r.cell} loads={sorted(r.loads)} busy={r.busy} "
                 f"note={ctl.robots[s].note!r}" for s, r in self.robots.items()]
        lines += [f"  {d.dish_id} -> {d.table}: {d.state.value} {d.reason!r}"
                  for d in ctl.book.dishes.values()]
        return "\n".join(lines)

    def close(self) -> None:
        for robot in self.robots.values():
            robot.close()
        for store in self.stores:
            store.close()


def restart_scene(db: Path, before: Callable[[Site, Controller, FleetRuntime], Awaitable[None]],
                  after: Callable[[Site, Controller, FleetRuntime], Awaitable[None]],
                  gap_s: float = 2.0, during_gap: Callable[[Site], None] | None = None) -> Site:
    """Serve with one controller until ``before`` returns (the kill), wait ``gap_s`` with
    no controller, then serve with a new one resumed from the store until ``after``."""
    site = Site(small_room(), db)

    async def main() -> None:
        try:
            first = site.controller(resume=False)
            await site.serve(first, lambda rt: before(site, first, rt))
            await asyncio.sleep(gap_s)
            if during_gap is not None:
                during_gap(site)
            second = site.controller(resume=True)
            await site.serve(second, lambda rt: after(site, second, rt))
        finally:
            site.close()

    run_checked(main())
    assert site.referee.violations == [], "\n".join(map(str, site.referee.violations))
    return site


def served_counts(db: Path) -> Counter[str]:
    store = SqliteStore(db)
    try:
        return Counter(e.dish_id for e in store.events() if e.kind == ev.DISH_SERVED
                       and e.dish_id is not None)
    finally:
        store.close()


async def submit(rt: FleetRuntime, oid: str, table: str, *, ready: bool = True) -> None:
    await rt.submit(OrderRequest(oid, table, (DishRequest("soup"),)))
    if ready:
        await rt.mark_ready(oid, 0)


def test_restart_mid_service_takes_every_open_order_back(tmp_path: Path) -> None:
    db = tmp_path / "service.db"
    open_before: list[str] = []

    async def before(site: Site, ctl: Controller, rt: FleetRuntime) -> None:
        await submit(rt, "O1", "table-1")
        await submit(rt, "O2", "table-2")
        await submit(rt, "O3", "table-3")  # waits at the pass: both robots are out
        await submit(rt, "O4", "table-1", ready=False)  # still in the kitchen
        await until(lambda: ctl.book.orders["O1"].dishes[0].state is DishState.ON_THE_WAY,
                    "O1 on its way", describe=lambda: site.describe(ctl))
        assert ctl.book.orders["O3"].dishes[0].state is DishState.READY
        open_before.extend(o.order_id for o in ctl.book.orders.values() if o.open)

    async def after(site: Site, ctl: Controller, rt: FleetRuntime) -> None:
        assert sorted(o.order_id for o in ctl.book.orders.values() if o.open) == \
            sorted(open_before)
        # The POS resending after a timeout: the same order is a no-op, another is refused.
        received = len([e for e in ctl.events if e.kind == ev.ORDER_RECEIVED])
        await rt.submit(OrderRequest("O1", "table-1", (DishRequest("soup"),)))
        assert len(ctl.book.orders["O1"].dishes) == 1
        assert len([e for e in ctl.events if e.kind == ev.ORDER_RECEIVED]) == received
        with pytest.raises(OrderError, match="O1 is already used"):
            await rt.submit(OrderRequest("O1", "table-2", (DishRequest("soup"),)))
        await rt.mark_ready("O4", 0)
        await until(lambda: all(d.state.final for d in ctl.book.dishes.values()),
                    "every dish final", describe=lambda: site.describe(ctl))
        book = ctl.book.orders
        for oid in ("O3", "O4"):
            assert book[oid].dishes[0].state is DishState.SERVED, site.describe(ctl)
        for oid in ("O1", "O2"):
            dish = book[oid].dishes[0]
            assert dish.state is DishState.SERVED or (
                dish.state is DishState.FAILED and "restart" in dish.reason), site.describe(ctl)
        # Nothing is left on a tray, and every robot is free.
        await until(lambda: all(not r.loads for r in site.robots.values())
                    and all(r.trip is None for r in ctl.robots.values()), "trays empty")
        assert ctl.recovery is None

    restart_scene(db, before, after)
    served = served_counts(db)
    assert served["O1/1"] == 1, "the dish on its way is served once, by one controller"
    assert served["O3/1"] == served["O4/1"] == 1
    assert max(served.values()) == 1
    with sqlite3.connect(db) as raw:
        kinds = [k for (k,) in raw.execute("SELECT kind FROM events ORDER BY id")]
        states = {s for (s,) in raw.execute("SELECT state FROM trips")}
    assert ev.CONTROLLER_RESUMED in kinds
    assert TripState.ABORTED.value in states  # the dead run's trips are closed, not left open


def test_a_dish_taken_off_the_tray_while_the_controller_was_down_is_failed(
        tmp_path: Path) -> None:
    db = tmp_path / "service.db"

    async def before(site: Site, ctl: Controller, rt: FleetRuntime) -> None:
        await submit(rt, "O1", "table-2")
        await until(lambda: ctl.book.orders["O1"].dishes[0].state is DishState.ON_THE_WAY,
                    "O1 on its way", describe=lambda: site.describe(ctl))

    def staff_take_it(site: Site) -> None:
        carrier = next(r for r in site.robots.values() if r.loads)
        carrier.loads.clear()
        carrier.changed()

    async def after(site: Site, ctl: Controller, rt: FleetRuntime) -> None:
        dish = ctl.book.orders["O1"].dishes[0]
        await until(lambda: dish.state.final, "O1 decided", describe=lambda: site.describe(ctl))
        assert dish.state is DishState.FAILED
        assert dish.reason == LOST
        # The robot is free again and takes the next order.
        await submit(rt, "O2", "table-1")
        await until(lambda: ctl.book.orders["O2"].dishes[0].state is DishState.SERVED,
                    "O2 served", describe=lambda: site.describe(ctl))

    restart_scene(db, before, after, during_gap=staff_take_it)
    assert served_counts(db)["O1/1"] == 0


def test_a_dish_served_while_the_controller_was_down_counts_once(tmp_path: Path) -> None:
    db = tmp_path / "service.db"

    async def before(site: Site, ctl: Controller, rt: FleetRuntime) -> None:
        await submit(rt, "O1", "table-3")
        await until(lambda: ctl.book.orders["O1"].dishes[0].state is DishState.AT_TABLE,
                    "O1 at its table", describe=lambda: site.describe(ctl))

    async def after(site: Site, ctl: Controller, rt: FleetRuntime) -> None:
        dish = ctl.book.orders["O1"].dishes[0]
        await until(lambda: dish.state.final, "O1 decided", describe=lambda: site.describe(ctl))
        assert dish.state is DishState.SERVED, site.describe(ctl)
        assert "controller was down" in next(
            e.text for e in ctl.events if e.kind == ev.DISH_SERVED)

    # The guest takes 10 s: gone from the tray before the new controller starts.
    restart_scene(db, before, after, gap_s=15.0)
    assert served_counts(db)["O1/1"] == 1


def test_a_robot_silent_after_the_restart_loses_its_dish_then_brings_it_back(
        tmp_path: Path) -> None:
    db = tmp_path / "service.db"

    async def before(site: Site, ctl: Controller, rt: FleetRuntime) -> None:
        await submit(rt, "O1", "table-2")
        await until(lambda: ctl.book.orders["O1"].dishes[0].state is DishState.ON_THE_WAY,
                    "O1 on its way", describe=lambda: site.describe(ctl))
        site.carrier = next(s for s, r in site.robots.items() if r.loads)

    def gone(site: Site) -> None:
        site.robots[site.carrier].set_online(False)

    async def after(site: Site, ctl: Controller, rt: FleetRuntime) -> None:
        dish = ctl.book.orders["O1"].dishes[0]
        started = asyncio.get_running_loop().time()
        await until(lambda: dish.state.final, "O1 decided", describe=lambda: site.describe(ctl))
        assert asyncio.get_running_loop().time() - started >= REPORT_GRACE_S - 1.0
        assert dish.state is DishState.FAILED
        assert dish.reason == f"lost in a controller restart: {site.carrier} did not report " \
                              f"within {REPORT_GRACE_S:.0f} s"
        # Back at last: stopped, placed, and the food nobody now waits for goes back.
        robot = site.robots[site.carrier]
        robot.set_online(True)
        await until(lambda: not robot.loads and ctl.recovery is None, "its tray emptied",
                    describe=lambda: site.describe(ctl))
        assert dish.state is DishState.FAILED

    restart_scene(db, before, after, during_gap=gone)
    assert served_counts(db)["O1/1"] == 0


def test_reload_keeps_states_times_priorities_and_passes(tmp_path: Path) -> None:
    plan = small_room()
    db = tmp_path / "service.db"
    models = dict.fromkeys(STARTS, ONE_TRAY)
    first = build_controller(plan, models, store=SqliteStore(db))
    first.submit(OrderRequest("P1", "table-1", (DishRequest("soup"), DishRequest("bread")),
                              priority=Priority.HIGH, note="no nuts", party=3), 100.0)
    first.submit(OrderRequest("P2", "table-2", (DishRequest("tea"),)), 101.0)
    first.mark_ready("P1", 0, 130.0)
    first.store.close()

    store = SqliteStore(db)
    second = build_controller(plan, models, store=store, resume=True)
    try:
        def fields(d: Dish) -> tuple[object, ...]:
            return (d.dish_id, d.state, d.priority, d.created_at, d.ready_at, d.pass_place)

        assert [fields(d) for d in second.book.dishes.values()] == \
            [fields(d) for d in first.book.dishes.values()]
        p1 = second.book.orders["P1"]
        assert (p1.priority, p1.note, p1.party, p1.created_at) == \
            (Priority.HIGH, "no nuts", 3, 100.0)
        assert [d.dish_id for d in second.waiting_dishes()] == ["P1/1"]
        assert second.book.dish_pass["P1/2"] == "pass"
        # The POS resending P1 (priority and all) is a duplicate, not a second order.
        second.submit(OrderRequest("P1", "table-1", (DishRequest("soup"), DishRequest("bread")),
                                   priority=Priority.HIGH, note="no nuts", party=3), 200.0)
        assert len(second.book.dishes) == 3
        # Nothing was on a robot: no robot is held, the next report just places it.
        assert second.recovery is not None and not any(
            h.dishes for h in second.recovery.held.values())
    finally:
        store.close()


def test_a_file_from_the_first_schema_is_upgraded_in_place(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    with sqlite3.connect(db) as raw:
        raw.executescript("""
            CREATE TABLE schema_version (version INTEGER NOT NULL);
            INSERT INTO schema_version VALUES (1);
            CREATE TABLE orders (order_id TEXT PRIMARY KEY, table_name TEXT NOT NULL,
                priority INTEGER NOT NULL, note TEXT NOT NULL, created_at REAL NOT NULL,
                party INTEGER NOT NULL, open INTEGER NOT NULL DEFAULT 1);
            CREATE TABLE dishes (dish_id TEXT PRIMARY KEY, order_id TEXT NOT NULL,
                position INTEGER NOT NULL, table_name TEXT NOT NULL, name TEXT NOT NULL,
                trays INTEGER NOT NULL, priority INTEGER NOT NULL, created_at REAL NOT NULL,
                ready_at REAL, served_at REAL, state TEXT NOT NULL, reason TEXT NOT NULL,
                trip_id TEXT, robot TEXT, tray TEXT, attempts INTEGER NOT NULL);
            INSERT INTO orders VALUES ('A', 'T1', 0, '', 5.0, 2, 1);
            INSERT INTO dishes VALUES ('A/1', 'A', 0, 'T1', 'soup', 1, 0, 5.0, 7.0, NULL,
                'ready', '', NULL, NULL, NULL, 0);
        """)
    store = SqliteStore(db)
    try:
        (order,) = store.open_orders()
        dish = order.dishes[0]
        assert (dish.ready_at, dish.at_table_at, dish.pass_place) == (7.0, None, None)
        dish.pass_place, dish.at_table_at = "pass", 9.0
        store.save_dish(dish)
        assert store.open_orders()[0].dishes[0].at_table_at == 9.0
    finally:
        store.close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [
            (SCHEMA_VERSION,)]


@pytest.mark.parametrize("last", ["pause B", "stop all"])
def test_the_manager_s_settings_survive_a_restart(tmp_path: Path, last: str) -> None:
    """Blocked tables and zones, robots paused or everything stopped: what the manager
    set is in force again after a restart, replayed from the store's events."""
    plan = small_room()
    db = tmp_path / "service.db"
    models = dict.fromkeys(STARTS, ONE_TRAY)
    first = build_controller(plan, models, store=SqliteStore(db))
    first.block_table("table-1", "spill", 10.0)
    first.block_table("table-2", "party of 12", 11.0)
    first.unblock_table("table-2", 12.0)
    rect = (0.0, 0.0, 1.0, 1.0)
    first.block_zone("mop", "wet floor", 13.0, rect=rect)
    first.block_zone("step", "", 13.5, rect=(2.0, 0.0, 2.5, 0.5))
    first.unblock_zone("step", 13.8)
    first.pause("A", 14.0)
    first.stop_all(15.0)
    first.release_all(16.0)
    if last == "pause B":
        first.pause("B", 17.0)
    else:
        first.stop_all(17.0)
    closed = first.traffic.closed_cells("mop")
    assert closed
    first.store.close()

    store = SqliteStore(db)
    second = build_controller(plan, models, store=store, resume=True)
    try:
        assert dict(second.manager.blocked_tables) == {"table-1": "spill"}
        assert dict(second.manager.blocked_zones) == {"mop": "wet floor"}
        assert second.traffic.closed_cells("mop") == closed, "the same cells kept out"
        assert not second.traffic.closed_cells("step")
        paused = {s for s, r in second.robots.items() if r.paused_by_manager}
        if last == "pause B":  # A, paused on its own before the stop, stayed paused
            assert paused == {"A", "B"} and not second.manager.stopped_all
        else:
            assert paused == set(STARTS) and second.manager.stopped_all
            assert second.manager.paused_before_stop == {"A"}, "A stays paused on release"
    finally:
        store.close()


def test_a_closed_order_resent_after_a_restart_is_a_duplicate(tmp_path: Path) -> None:
    """Only open orders are taken back at start; one closed before the restart is
    still known by its id, so a till resending it does not get it served twice."""
    from fleet.api.service import ApiService  # noqa: PLC0415  (the API over this controller)
    from fleet.controller.port import FleetPort  # noqa: PLC0415

    plan = small_room()
    db = tmp_path / "service.db"
    models = dict.fromkeys(STARTS, ONE_TRAY)
    first = build_controller(plan, models, store=SqliteStore(db))
    first.submit(OrderRequest("C1", "table-1", (DishRequest("soup"),)), 100.0)
    first.cancel("C1", "guest left", 110.0)
    first.store.close()

    store = SqliteStore(db)
    second = build_controller(plan, models, store=store, resume=True)
    try:
        assert "C1" not in second.book.orders, "closed orders are not reloaded"
        svc = ApiService(FleetPort(second), "bistro")
        reply = svc.handle("pos", "till", b'{"request_id": "r", "command": {"type": '
                           b'"submitOrder", "order_id": "C1", "table": "table-1", '
                           b'"dishes": [{"name": "soup"}]}}', 200.0)[0]
        assert reply.ok and reply.duplicate, reply
        second.submit(OrderRequest("C1", "table-1", (DishRequest("soup"),)), 201.0)
        assert [d.state for d in second.book.orders["C1"].dishes] == [DishState.CANCELLED]
        assert not second.waiting_dishes() and not [
            e for e in second.events if e.kind == ev.ORDER_RECEIVED]
        with pytest.raises(OrderError, match="already used"):
            second.submit(OrderRequest("C1", "table-2", (DishRequest("tea"),)), 202.0)
    finally:
        store.close()


def test_saved_times_are_put_on_the_new_run_s_clock_after_a_reboot(tmp_path: Path) -> None:
    """A reboot restarts the machine's monotonic clock, which the controller counts on.
    Each run saves its wall-clock offset; the next one moves the saved times by the
    difference, so a dish ready for 70 s still reads 70 s."""
    plan = small_room()
    db = tmp_path / "service.db"
    models = dict.fromkeys(STARTS, ONE_TRAY)
    first = build_controller(plan, models, store=SqliteStore(db), epoch=1000.0, now=50.0)
    first.submit(OrderRequest("P1", "table-1", (DishRequest("soup"),)), 100.0)  # wall 1100
    first.mark_ready("P1", 0, 130.0)  # wall 1130
    first.submit(OrderRequest("P0", "table-2", (DishRequest("tea"),)), 110.0)
    first.cancel("P0", "guest left", 120.0)
    first.store.close()

    store = SqliteStore(db)
    # Rebooted: the new loop clock reads 10 s at wall 1200, so its epoch is 1190.
    second = build_controller(plan, models, store=store, resume=True, epoch=1190.0, now=10.0)
    try:
        assert second.clock_shift == -190.0
        dish = second.book.dishes["P1/1"]
        assert (dish.created_at, dish.ready_at) == (-90.0, -60.0)
        assert 10.0 - dish.ready_at == 70.0, "ready for 70 s, as on the wall clock"
        assert second.book.orders["P1"].created_at == -90.0
        assert second.take_back_order("P0"), "a closed order found in the store"
        assert second.book.orders["P0"].created_at == -80.0, "moved onto this clock too"
        started = store.events(kinds={ev.CONTROLLER_STARTED})
        assert [e.data["epoch"] for e in started] == [1000.0, 1190.0]
    finally:
        store.close()
