"""The independent plan check catches each kind of broken plan, naming robot and step."""

from __future__ import annotations

import numpy as np

from fleet.traffic.plancheck import plan_problems

FREE = np.array([[True, True, True],
                 [True, False, True]])


def test_a_valid_plan_has_no_problems() -> None:
    paths = [[(0, 0), (1, 0), (2, 0), (2, 1)], [(0, 1), (0, 0)]]
    assert plan_problems(FREE, paths, [(0, 0), (0, 1)], [(2, 1), (0, 0)]) == []


def test_vertex_conflict() -> None:
    problems = plan_problems(FREE, [[(0, 0), (1, 0)], [(2, 0), (1, 0)]])
    assert problems == ["robots 0 and 1 both on (1, 0) at step 1"]


def test_vertex_conflict_with_a_robot_that_has_arrived() -> None:
    # Robot 0's path ended at (1, 0); it still stands there when robot 1 comes.
    problems = plan_problems(FREE, [[(1, 0)], [(0, 0), (0, 0), (1, 0)]])
    assert problems == ["robots 0 and 1 both on (1, 0) at step 2"]


def test_swap_conflict() -> None:
    problems = plan_problems(FREE, [[(0, 0), (1, 0)], [(1, 0), (0, 0)]])
    assert problems == ["robots 0 and 1 swap (0, 0) and (1, 0) at step 1"]


def test_following_is_allowed() -> None:
    assert plan_problems(FREE, [[(0, 0), (1, 0)], [(1, 0), (2, 0)]]) == []


def test_jumps_blocked_and_off_grid_cells() -> None:
    assert plan_problems(FREE, [[(0, 0), (2, 0)]]) == ["robot 0 jumps from (0, 0) to (2, 0) "
                                                       "at step 1"]
    assert plan_problems(FREE, [[(0, 0), (1, 1)]])[0].startswith("robot 0 at step 1 is on "
                                                                 "(1, 1), which is blocked")
    assert "off the 3x2 grid" in plan_problems(FREE, [[(0, 1), (0, 2)]])[0]
    assert "jumps" in plan_problems(FREE, [[(0, 0), (1, 1)]])[1]  # diagonal


def test_wrong_start_and_goal() -> None:
    problems = plan_problems(FREE, [[(0, 0), (1, 0)]], [(2, 0)], [(2, 1)])
    assert problems == ["robot 0 starts at (0, 0), not on its start (2, 0)",
                        "robot 0 ends at (1, 0), not on its goal (2, 1)"]


def test_counts_must_match_and_paths_be_non_empty() -> None:
    assert plan_problems(FREE, [[(0, 0)]], [(0, 0), (1, 0)]) == ["1 paths for 2 starts"]
    assert plan_problems(FREE, [[(0, 0)], []]) == ["robot 1 has an empty path"]


def test_the_report_stops_at_the_limit() -> None:
    paths = [[(0, 0), (1, 1)] * 5]
    assert len(plan_problems(FREE, paths, limit=3)) == 3
