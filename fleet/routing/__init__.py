"""Single-robot routing on a floor plan: distance fields, A*, travel distance and time.

Pure functions over the immutable ``FloorPlan``; each returns its result (and,
for searches, what the search cost). Multi-robot traffic builds on these.
"""

from fleet.routing.astar import RouteResult, astar, route_between
from fleet.routing.fields import (
    StationFields,
    bfs_field_python,
    distance_field,
    precompute_fields,
    wavefront_field,
)
from fleet.routing.travel import route_length_m, travel_time_s

__all__ = [
    "RouteResult",
    "StationFields",
    "astar",
    "bfs_field_python",
    "distance_field",
    "precompute_fields",
    "route_between",
    "route_length_m",
    "travel_time_s",
    "wavefront_field",
]
