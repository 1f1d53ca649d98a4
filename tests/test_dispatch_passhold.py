"""The trade a robot loaded at the pass makes when it waits for a dish expected soon
(``fleet.dispatch.passhold``): seconds its dishes wait against the late dish's visit
and trip of its own, within fixed bounds."""

from __future__ import annotations

from fleet.dispatch import HoldRule, ServeSettings

RULE = HoldRule(ServeSettings(cold_food_s=300.0, guest_s=20.0, load_s_per_tray=5.0))


def _worth(expected_at: float, *, aboard: tuple[float, ...] = (90.0,), now: float = 100.0,
           trays: int = 1, drive_s: float = 15.0) -> bool:
    return RULE.worth(now, expected_at, trays, aboard_ready_at=aboard,
                      pass_to_table_s=drive_s, to_last_s=drive_s)


def test_a_dish_a_few_seconds_away_is_worth_waiting_for() -> None:
    assert _worth(105.0)
    assert _worth(100.0), "expected now"
    assert _worth(97.0), "a little late"


def test_past_the_horizon_or_the_grace_it_is_not() -> None:
    assert not _worth(100.0 + RULE.horizon_s + 1.0)
    assert not _worth(100.0 - RULE.grace_s - 1.0), "the kitchen is too late to believe"


def test_the_more_dishes_wait_on_board_the_shorter_a_wait_pays() -> None:
    assert _worth(110.0, aboard=(95.0,))
    assert not _worth(110.0, aboard=(95.0, 95.0, 95.0))


def test_no_dish_on_board_is_held_near_the_cold_food_limit() -> None:
    # 300 s cold, a 60 s margin: ready 220 s ago, 8 s more at the pass and 15 s of drive
    # would present it at 243 s.
    assert not _worth(103.0, aboard=(100.0 - 220.0,))
    assert _worth(103.0, aboard=(100.0 - 200.0,))


def test_a_hold_ends_at_the_estimate_and_grace_or_the_longest_hold() -> None:
    assert RULE.until(100.0, 105.0) == 105.0 + RULE.grace_s
    assert RULE.until(100.0, 140.0) == 100.0 + RULE.max_hold_s
