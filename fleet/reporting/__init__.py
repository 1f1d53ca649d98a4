"""The figures of a service, computed from what the store kept.

``fleet report`` (over the SQLite file of any run) and the simulator's own
end-of-run report (over the store the simulated controller wrote) both compute
their dish and wait figures here, from the same records, so the two can be
compared and are equal for the same run. Nothing here reads files or prints:
callers load records from a ``Store`` and render the dicts and rows returned.

* ``figures``: dish counts, waits, per hour / table / pass / robot, late dishes.
* ``history``: every event of one dish, in order, and the lines that show it.
"""

from fleet.reporting.figures import (
    LATE_S,
    Records,
    Window,
    dish_figures,
    records_span,
    shift_report,
    wait_stats,
)
from fleet.reporting.history import HistoryLine, dish_history, history_lines

__all__ = ["LATE_S", "HistoryLine", "Records", "Window", "dish_figures", "dish_history",
           "history_lines", "records_span", "shift_report", "wait_stats"]
