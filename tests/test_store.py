"""One contract for every store, plus what only a file can do (survive a reopen)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from fleet.domain import Dish, DishState, Event, Order, Priority, Stop, StopKind, Trip, TripKind
from fleet.domain.trips import TripState
from fleet.errors import FleetError
from fleet.store import MemoryStore, SqliteStore, Store, StoreError

MakeStore = Callable[[], Store]


@pytest.fixture(params=["memory", "sqlite"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MakeStore]:
    made: list[Store] = []

    def make() -> Store:
        store: Store = MemoryStore() if request.param == "memory" else SqliteStore(
            tmp_path / "fleet.db")
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def order_of(order_id: str, table: str = "T1", dishes: int = 2) -> Order:
    return Order(order_id=order_id, table=table, priority=Priority.HIGH, note="no nuts",
                 created_at=10.0, party=3,
                 dishes=[Dish(dish_id=f"{order_id}/{i + 1}", order_id=order_id, table=table,
                              name=f"dish {i}", trays=1 + i % 2, created_at=10.0)
                         for i in range(dishes)])


def trip_of(trip_id: str, state: TripState = TripState.ACTIVE) -> Trip:
    return Trip(trip_id=trip_id, robot="bot-1", kind=TripKind.SERVE, created_at=5.0,
                state=state, next_stop=1, dishes=("A/1", "A/2"),
                stops=[Stop("pass", StopKind.LOAD, ("A/1", "A/2"), ("tray1", "tray2")),
                       Stop("T1", StopKind.SERVE, ("A/1", "A/2"), ("tray1", "tray2"))])


def test_one_order_read_back_by_id_open_or_closed(make_store: MakeStore) -> None:
    store = make_store()
    order = Order("O9", "T1", dishes=[Dish("O9/1", "O9", "T1", name="soup")], created_at=3.0)
    store.save_order(order)
    order.dishes[0].move(DishState.CANCELLED, reason="guest left")
    store.save_dish(order.dishes[0])
    back = store.order("O9")
    assert back is not None and back.order_id == "O9" and not back.open
    assert [(d.dish_id, d.state, d.reason) for d in back.dishes] == \
        [("O9/1", DishState.CANCELLED, "guest left")]
    assert store.order("nope") is None
    assert store.open_orders() == []


def test_saved_order_comes_back_whole_and_equal(make_store: MakeStore) -> None:
    store = make_store()
    order = order_of("A", dishes=3)
    store.save_order(order)
    assert store.open_orders() == [order]


def test_the_store_keeps_what_was_saved_not_later_changes(make_store: MakeStore) -> None:
    store = make_store()
    order = order_of("A")
    store.save_order(order)
    order.dishes[0].move(DishState.READY)
    assert store.open_orders()[0].dishes[0].state is DishState.RECEIVED
    store.save_dish(order.dishes[0])
    assert store.open_orders()[0].dishes[0].state is DishState.READY


def test_dish_updates_are_upserts_and_keep_their_place(make_store: MakeStore) -> None:
    store = make_store()
    order = order_of("A", dishes=3)
    store.save_order(order)
    dish = order.dishes[1]
    dish.move(DishState.READY)
    dish.ready_at, dish.robot, dish.tray, dish.trip_id = 20.0, "bot-2", "tray3", "t9"
    store.save_dish(dish)
    store.save_order(order)  # saving again changes nothing more
    back = store.open_orders()
    assert len(back) == 1
    assert [d.dish_id for d in back[0].dishes] == ["A/1", "A/2", "A/3"]
    assert back[0].dishes[1] == dish


def test_a_new_dish_goes_last_in_its_order(make_store: MakeStore) -> None:
    store = make_store()
    store.save_order(order_of("A", dishes=2))
    extra = Dish(dish_id="A/9", order_id="A", table="T1")
    store.save_dish(extra)
    assert [d.dish_id for d in store.open_orders()[0].dishes] == ["A/1", "A/2", "A/9"]


def test_an_order_closes_when_every_dish_is_final(make_store: MakeStore) -> None:
    store = make_store()
    a, b = order_of("A"), order_of("B", table="T2")
    store.save_order(a)
    store.save_order(b)
    a.dishes[0].move(DishState.CANCELLED, reason="guest left")
    store.save_dish(a.dishes[0])
    assert [o.order_id for o in store.open_orders()] == ["A", "B"]
    a.dishes[1].move(DishState.FAILED, reason="guest absent")
    store.save_dish(a.dishes[1])
    assert [o.order_id for o in store.open_orders()] == ["B"]


def test_open_orders_keep_the_order_they_were_first_saved_in(make_store: MakeStore) -> None:
    store = make_store()
    for oid in ("Z", "A", "M"):
        store.save_order(order_of(oid))
    store.save_order(order_of("A"))
    assert [o.order_id for o in store.open_orders()] == ["Z", "A", "M"]


def test_a_dish_of_an_unsaved_order_is_refused(make_store: MakeStore) -> None:
    store = make_store()
    with pytest.raises(StoreError, match="order X was never saved"):
        store.save_dish(Dish(dish_id="X/1", order_id="X", table="T1"))


def test_trips_round_trip_and_only_open_ones_come_back(make_store: MakeStore) -> None:
    store = make_store()
    active, done = trip_of("t1"), trip_of("t2", TripState.DONE)
    store.save_trip(active)
    store.save_trip(done)
    assert store.open_trips() == [active]
    active.state, active.finished_at, active.reason = TripState.ABORTED, 99.0, "e-stop"
    store.save_trip(active)
    assert store.open_trips() == []


def test_every_dish_and_trip_comes_back_open_or_closed(make_store: MakeStore) -> None:
    store = make_store()
    first, second = order_of("B", dishes=2), order_of("A", dishes=1)
    store.save_order(first)
    store.save_order(second)
    first.dishes[0].move(DishState.CANCELLED, reason="guest left")
    store.save_dish(first.dishes[0])
    extra = Dish(dish_id="B/9", order_id="B", table="T1", created_at=11.0)
    store.save_dish(extra)
    # Order by order as first saved, each order's dishes in their own order.
    assert store.dishes() == [first.dishes[0], first.dishes[1], extra, second.dishes[0]]
    done, active = trip_of("t2", TripState.DONE), trip_of("t1")
    store.save_trip(done)
    store.save_trip(active)
    assert store.trips() == [done, active]


def test_events_come_back_in_order_filtered_by_time(make_store: MakeStore) -> None:
    store = make_store()
    events = [Event("DishReady", 1.0, order_id="A", dish_id="A/1"),
              Event("TripAssigned", 2.5, robot="bot-1", trip_id="t1",
                    data={"dishes": ["A/1"], "eta_s": 41.5}),
              Event("DishServed", 2.5, text="served at T1", data={"nested": {"ok": True}})]
    for e in events:
        store.record(e)
    back = store.events()
    assert [e.as_dict() for e in back] == [e.as_dict() for e in events]
    assert [e.kind for e in store.events(since=2.5)] == ["TripAssigned", "DishServed"]
    assert [e.kind for e in store.events(kinds={"DishServed", "DishReady"})] == \
        ["DishReady", "DishServed"], "filtered by kind, still in the order recorded"
    assert store.events(since=2.0, kinds={"DishReady"}) == []


def test_the_latest_events_are_the_last_recorded_whatever_their_clock(
        make_store: MakeStore) -> None:
    store = make_store()
    # a second run's clock starts again: recorded later, earlier by its time
    for kind, at in (("A", 500.0), ("B", 600.0), ("ControllerStarted", 0.0), ("C", 3.0)):
        store.record(Event(kind, at, data={"n": at}))
    assert [e.kind for e in store.latest_events(3)] == ["B", "ControllerStarted", "C"]
    assert [e.kind for e in store.latest_events(10)] == ["A", "B", "ControllerStarted", "C"]
    assert store.latest_events(3)[-1].data == {"n": 3.0}
    assert store.latest_events(0) == []
    assert [e.kind for e in store.latest_events(2, leave_out={"C", "ControllerStarted"})] == \
        ["A", "B"], "the limit counts only the kinds kept"


def test_events_about_a_dish_are_its_orders_trips_and_listings(make_store: MakeStore) -> None:
    store = make_store()
    events = [Event("ControllerStarted", 0.0, data={"epoch": 5.0}),
              Event("OrderReceived", 1.0, order_id="A"),
              Event("DishReady", 2.0, order_id="A", dish_id="A/1"),
              Event("DishReady", 2.0, order_id="B", dish_id="B/1"),
              Event("TripAssigned", 3.0, robot="r", trip_id="t1", dish_id="A/1"),
              Event("RobotArrived", 4.0, robot="r", trip_id="t1"),
              Event("RobotArrived", 4.5, robot="r", trip_id="t2"),
              Event("DishesLate", 5.0, data={"dishes": ["B/1", "A/1"]}),
              Event("DishesLate", 5.5, data={"dishes": ["A/11"]})]
    for e in events:
        store.record(e)
    about = [(e.kind, e.at) for e in store.events_about("A", "A/1")]
    assert about == [("ControllerStarted", 0.0), ("OrderReceived", 1.0), ("DishReady", 2.0),
                     ("TripAssigned", 3.0), ("RobotArrived", 4.0), ("DishesLate", 5.0)]


def test_batches_write_like_single_calls(make_store: MakeStore) -> None:
    store = make_store()
    with store.batch():
        store.save_order(order_of("A"))
        with store.batch():
            store.record(Event("OrderReceived", 1.0, order_id="A"))
    assert len(store.open_orders()) == 1
    assert len(store.events()) == 1


def test_a_closed_store_refuses_work(make_store: MakeStore) -> None:
    store = make_store()
    store.close()
    store.close()
    with pytest.raises(StoreError, match="after close"):
        store.record(Event("DishReady", 1.0))


def test_store_error_is_a_fleet_error() -> None:
    assert issubclass(StoreError, FleetError)


# -- only a file ---------------------------------------------------------------------
def test_a_reopened_file_has_the_open_orders_and_trips(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    with SqliteStore(path) as store:
        order = order_of("A")
        store.save_order(order)
        store.save_trip(trip_of("t1"))
        store.record(Event("OrderReceived", 1.0, order_id="A"))
    with SqliteStore(path) as again:
        assert again.open_orders() == [order]
        assert [t.trip_id for t in again.open_trips()] == ["t1"]
        assert [e.kind for e in again.events()] == ["OrderReceived"]


def test_bussing_calls_keep_their_first_time_until_dropped(make_store: MakeStore) -> None:
    store = make_store()
    store.save_bussing_call("T2", 30.0)
    store.save_bussing_call("T1", 20.0)
    store.save_bussing_call("T2", 45.0)  # called again before a robot came
    assert store.bussing_calls() == [("T1", 20.0), ("T2", 30.0)]
    store.drop_bussing_call("T1")
    store.drop_bussing_call("T9")  # none kept: nothing to do
    assert store.bussing_calls() == [("T2", 30.0)]


def test_a_reopened_file_has_the_bussing_calls_not_yet_collected(tmp_path: Path) -> None:
    """A call acknowledged just before a kill is in the file the next run opens
    (abandoned, not closed, as a killed process leaves it)."""
    path = tmp_path / "fleet.db"
    killed = SqliteStore(path)
    killed.save_bussing_call("T1", 12.5)
    killed.save_bussing_call("T3", 14.0)
    killed.drop_bussing_call("T3")  # collected before the kill
    with SqliteStore(path) as again:
        assert again.bussing_calls() == [("T1", 12.5)]
    killed.close()


def test_a_file_from_before_bussing_calls_gains_their_table(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    with SqliteStore(path) as store:
        store.save_order(order_of("A"))
        db = store._conn()
        db.execute("DROP TABLE bussing_calls")
        db.execute("UPDATE schema_version SET version = 2")
    with SqliteStore(path) as again:
        assert again.bussing_calls() == []
        again.save_bussing_call("T1", 1.0)
        assert again.bussing_calls() == [("T1", 1.0)]
        assert [o.order_id for o in again.open_orders()] == ["A"]
    with SqliteStore(path, read_only=True) as reader:
        assert reader.bussing_calls() == [("T1", 1.0)]


def test_a_failed_batch_is_rolled_back(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "fleet.db") as store:
        with pytest.raises(RuntimeError), store.batch():
            store.save_order(order_of("A"))
            raise RuntimeError("controller crashed mid-step")
        assert store.open_orders() == []


def test_a_file_that_cannot_be_opened_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "no such dir" / "fleet.db"
    with pytest.raises(StoreError, match="no such dir"):
        SqliteStore(missing)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just text" * 200)
    with pytest.raises(StoreError, match=r"junk\.db.*cannot open"):
        SqliteStore(junk)


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    with SqliteStore(path) as store:
        store._conn().execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="version 99"):
        SqliteStore(path)


def test_read_only_refuses_a_missing_file_and_creates_none(tmp_path: Path) -> None:
    missing = tmp_path / "typo.db"
    with pytest.raises(StoreError, match=r"typo\.db: no store here"):
        SqliteStore(missing, read_only=True)
    assert not missing.exists()


def test_read_only_refuses_other_databases_and_writes(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with SqliteStore(other) as store:
        store._conn().execute("DROP TABLE trips")
    with pytest.raises(StoreError, match=r"other\.db: cannot open the store: not a fleet "
                                         r"store \(no table trips\)"):
        SqliteStore(other, read_only=True)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database, just text" * 200)
    with pytest.raises(StoreError, match=r"junk\.db: cannot open the store"):
        SqliteStore(junk, read_only=True)
    path = tmp_path / "fleet.db"
    with SqliteStore(path) as store:
        store.save_order(order_of("A"))
    with SqliteStore(path, read_only=True) as reader:
        assert [d.dish_id for d in reader.dishes()] == ["A/1", "A/2"]
        with pytest.raises(StoreError, match="readonly"):
            reader.save_order(order_of("B"))


def test_file_is_in_wal_mode(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "fleet.db") as store:
        assert store._conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_event_data_that_is_not_json_is_refused(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "fleet.db") as store, \
            pytest.raises(StoreError, match=r"DishReady.*not JSON"):
        store.record(Event("DishReady", 1.0, data={"when": object()}))

