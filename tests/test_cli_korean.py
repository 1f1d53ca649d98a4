"""The command line's own lines in Korean (issue 14, finding 9): ``fleet map check``,
``fleet map show``, ``fleet config check`` and ``fleet report``'s headings, chosen by
``--lang ko`` or the locale as the dashboard's are; English stays the default, and
what the commands only pass on (names, a store's reasons) stays as written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from fleet.cli import main
from fleet.domain import Dish, DishState, Order
from fleet.store import SqliteStore

REPO = Path(__file__).resolve().parents[1]
BULGOGI = REPO / "maps" / "bulgogi-house.toml"


@pytest.fixture(autouse=True)
def no_locale(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own LANG must not choose for these tests; lines are not wrapped."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COLUMNS", "400")
    yield


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    assert main(list(argv)) == code
    return capsys.readouterr().out


def test_map_check_in_korean_and_in_english(capsys: pytest.CaptureFixture[str]) -> None:
    ko = run(capsys, "map", "check", str(BULGOGI), "--lang", "ko")
    assert "정상: 오류 0건, 경고" in ko
    for words in ("로봇이 지날 수 있는 칸", "테이블", "도달 가능", "픽업대에서 갈 수 있음",
                  "반지름"):
        assert words in ko, words
    assert "불고기 하우스" in ko, "the plan's name as it is"
    for english in ("OK:", "error(s)", "cells a robot fits in", "reachability", "radius"):
        assert english not in ko, english
    en = run(capsys, "map", "check", str(BULGOGI))
    assert "OK: 0 error(s)" in en and "reachability" in en and "정상" not in en


def test_map_check_follows_the_locale(capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANG", "ko_KR.UTF-8")
    assert "정상: 오류 0건" in run(capsys, "map", "check", str(BULGOGI))
    assert "OK: 0 error(s)" in run(capsys, "map", "check", str(BULGOGI), "--lang", "en")


def test_map_show_labels_in_korean(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = run(capsys, "map", "show", str(BULGOGI), "--lang", "ko", "--width", "100",
              "--png", str(tmp_path / "plan.png"))
    assert "충전기" in out and "그림 저장: " in out


def test_config_check_in_korean(capsys: pytest.CaptureFixture[str]) -> None:
    ko = run(capsys, "config", "check", str(REPO / "config.toml"), "--lang", "ko")
    assert ko.startswith("정상: 사이트 'bistro'")
    assert "로봇" in ko and "트레이" in ko and "브로커" in ko
    assert "trays" not in ko and "robots, broker" not in ko
    en = run(capsys, "config", "check", str(REPO / "config.toml"))
    assert en.startswith("OK: site 'bistro'") and "trays" in en


def test_report_headings_in_korean(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    db = tmp_path / "fleet.db"
    late = Dish("o1/1", "o1", "창가1", "불고기", created_at=0.0, ready_at=10.0,
                at_table_at=900.0, served_at=905.0, state=DishState.SERVED, robot="R1")
    failed = Dish("o2/1", "o2", "가3", "된장찌개", created_at=20.0, ready_at=30.0,
                  state=DishState.FAILED, reason="nobody took it at 가3 within 90 s")
    with SqliteStore(db) as store:
        for dish in (late, failed):
            store.save_order(Order(dish.order_id, dish.table, created_at=dish.created_at,
                                   dishes=[dish]))
    ko = run(capsys, "report", "--db", str(db), "--lang", "ko", "--json",
             str(tmp_path / "r.json"))
    for heading in ("요리와 대기 시간", "시간대별", "테이블별", "픽업대별", "로봇별",
                    "늦은 요리", "실패와 취소, 사유별", "보고서 저장: "):
        assert heading in ko, heading
    assert "nobody took it at 가3 within 90 s" in ko, "the store's reason as written"
    assert "창가1" in ko
    for english in ("Per hour", "Per table", "Late dishes", "by reason", "report written"):
        assert english not in ko, english
    en = run(capsys, "report", "--db", str(db))
    assert "Per hour" in en and "Late dishes" in en and "요리와" not in en
