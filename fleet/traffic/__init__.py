"""Multi-robot traffic: plans that never meet head-on, executed so delays never collide.

Legs are planned one robot at a time (prioritised, safe-interval A* in ticks)
against the other robots' estimated passing times; each plan only fixes the
order in which robots pass each one-lane footprint. That order is an action
dependency graph: a robot is released (VDA 5050 base) up to the first cell an
earlier robot has not yet left, so a delayed robot makes the others wait.
Robots that stop for good (held, parked) are reported as deadlocks naming who
waits for whom, and worked round where the floor allows. When a leg cannot be
planned, or a deadlock outlasts recovery, the whole floor is solved at once
(``floorsolve``: LaCAM over every robot that may move, parked ones stepping aside
and back), and that plan, too, is committed as orders of passing.

Pure: numpy, scipy and the standard library; the caller owns time and I/O.
"""

from fleet.traffic.manager import TrafficManager
from fleet.traffic.records import (
    Deadlock,
    PlanFailed,
    RobotId,
    Route,
    TrafficStats,
    Wait,
)

__all__ = ["Deadlock", "PlanFailed", "RobotId", "Route", "TrafficManager", "TrafficStats",
           "Wait"]
