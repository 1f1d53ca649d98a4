"""Liveness on floors nobody tuned to (issue 11), as a property: on any generated
floor (bistro rows, food-court halls, narrow side aisles with dead ends), with any
fleet from 2 to 12 robots, the opening peak of a lunch rush ends with no robot
still for more than the bound while it has work, no collision, every phase change
one the controller expects, and, once the fleet is big enough for the floor, no
dish left open.

Each example is a whole simulated service (10 minutes of guests arriving, then
up to 30 minutes for the robots to finish); ``fleet bench floors`` runs the same
cases for two hours over many floors and seeds.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fleet.bench.floors import FloorCase
from fleet.config import Config
from fleet.floor.generate import STYLES
from sim.floor_runs import run_floor_case

BOUND_S = 120.0
"""The issue's bound on a robot with work standing still (``sim.liveness``)."""

cases = st.builds(FloorCase, style=st.sampled_from(STYLES), floor=st.integers(1, 60),
                  robots=st.sampled_from([2, 4, 6, 8, 12]), seed=st.integers(1, 10_000))


EXPLORE = int(os.environ.get("FLEET_LIVENESS_EXAMPLES", "0"))
"""CI draws the same 5 cases every run (a red build names a real regression, not a
new draw); ``FLEET_LIVENESS_EXAMPLES=200`` explores fresh ones."""


@pytest.mark.integration
@pytest.mark.timeout(max(600, 90 * (EXPLORE or 5)))  # whole services, on a shared machine
@settings(max_examples=EXPLORE or 5, deadline=None, derandomize=not EXPLORE,
          suppress_health_check=[HealthCheck.too_slow])
@given(cases)
def test_no_generated_floor_freezes_the_service(case: FloorCase) -> None:
    cfg = Config()
    row = run_floor_case(case, cfg.robot_model(), radius=cfg.robot_models[0].radius,
                         scenario="lunch-rush", duration_s=600.0, faults="none",
                         staff_help_s=None)
    if row["error"]:
        # A floor too small to start this many robots is refused up front, with words.
        assert "room" in row["error"] or "start" in row["error"], row["error"]
        return
    assert row["violations"] == 0, row
    assert row["longest_still_s"] <= BOUND_S, row["freeze_examples"]
    assert row["freezes"] == 0, row["freeze_examples"]
    assert row["phases_unexpected"] == 0, row
    if case.robots >= 6:
        assert row["open"] == 0, row
    assert row["served"] + row["failed"] + row["open"] <= row["ordered"]
