"""The kitchen's estimate for a dish still cooking (``Dish.expected_at``) is kept by
the store, so a restarted controller still knows it, and a file from before the
field loads with none."""

from __future__ import annotations

from pathlib import Path

from e2e import ONE_TRAY, STARTS, small_room

from fleet.assembly import build_controller
from fleet.domain import Dish, Order, Priority
from fleet.intake import DishRequest, OrderRequest
from fleet.store import SCHEMA_VERSION, SqliteStore


def _order() -> Order:
    dishes = [Dish(dish_id=f"A/{i + 1}", order_id="A", table="T1", name="soup", created_at=1.0)
              for i in range(2)]
    dishes[0].expected_at = 64.5
    return Order(order_id="A", table="T1", priority=Priority.NORMAL, created_at=1.0,
                 dishes=dishes)


def test_an_estimate_survives_a_reopen_and_none_stays_none(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    with SqliteStore(path) as store:
        store.save_order(_order())
    with SqliteStore(path) as again:
        saved = again.order("A")
        assert saved is not None
        assert [d.expected_at for d in saved.dishes] == [64.5, None]


def test_a_file_from_before_the_estimate_loads_without_one(tmp_path: Path) -> None:
    path = tmp_path / "fleet.db"
    with SqliteStore(path) as store:
        store.save_order(_order())
        db = store._conn()
        db.execute("ALTER TABLE dishes DROP COLUMN expected_at")
        db.execute("UPDATE schema_version SET version = 4")
    with SqliteStore(path) as again:
        saved = again.order("A")
        assert saved is not None and [d.expected_at for d in saved.dishes] == [None, None]
        saved.dishes[1].expected_at = 80.0
        again.save_dish(saved.dishes[1])
        version = again._conn().execute("SELECT max(version) FROM schema_version").fetchone()
        assert version == (SCHEMA_VERSION,)
    with SqliteStore(path, read_only=True) as reader:
        order = reader.order("A")
        assert order is not None and order.dishes[1].expected_at == 80.0


def test_a_restarted_controller_keeps_the_estimate_on_its_own_clock(tmp_path: Path) -> None:
    plan = small_room()
    db = tmp_path / "service.db"
    models = dict.fromkeys(STARTS, ONE_TRAY)
    first = build_controller(plan, models, store=SqliteStore(db), epoch=1000.0, now=50.0)
    first.submit(OrderRequest("P1", "table-1", (DishRequest("soup"), DishRequest("tea"))), 100.0)
    first.expect_ready("P1", 0, 40.0, 110.0)  # expected at wall 1150
    first.store.close()
    store = SqliteStore(db)
    second = build_controller(plan, models, store=store, resume=True, epoch=1190.0, now=10.0)
    try:
        soup, tea = second.book.orders["P1"].dishes
        assert soup.expected_at == -40.0, "wall 1150 on the new run's clock"
        assert tea.expected_at is None
    finally:
        store.close()
