"""What the dish history screen shows: a dish's title line and its story's rows.

Pure, like ``views``: the dish and its order as the mirror holds them, the events
as the controller's ``dishHistory`` reply sent them, lines from
``fleet.reporting.history_lines`` (the ones ``fleet report dish`` prints), and
times of day on the site's clock.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

from fleet.api.messages import DishView, EventView, OrderView
from fleet.dashboard.language import _
from fleet.dashboard.views import clock, time_of_day
from fleet.reporting import history_lines
from fleet.words import N_

HISTORY_COLUMNS = (N_("Time"), N_("After"), N_("Robot"), N_("What happened"))
_STATES = {"received": N_("in the kitchen"), "ready": N_("at the pass"),
           "assigned": N_("assigned"), "loaded": N_("loaded"), "on_the_way": N_("on the way"),
           "at_table": N_("at the table"), "served": N_("served"),
           "by_staff": N_("served by staff"), "cancelled": N_("cancelled"),
           "failed": N_("failed")}
"""Where a dish is, in the words the orders pane uses."""
_OUTCOME_STYLES = {"served": "bold #5faf5f", "by_staff": "bold #5faf5f",
                   "failed": "bold #ff5f5f", "cancelled": "bold #ff5f5f"}
_KIND_STYLES = {"DishServed": "#5faf5f", "DishAtTable": "#5faf5f", "DishFailed": "bold #ff5f5f",
                "DishCancelled": "#ff5f5f", "DishesLate": "#ffd700", "TripAborted": "#ff5f5f"}


def dish_title(order: OrderView, dish: DishView) -> Text:
    """The dish, its table and order, where it ended (and why), and how long it waited
    from the pass to the table when it got there."""
    out = Text()
    out.append(dish.name, style="bold")
    out.append(" " + _("for {table}", table=order.table) + " · ")
    out.append(_("order {order}", order=order.order_id) + " · ")
    state = _STATES.get(dish.state)
    out.append(_(state) if state else dish.state, style=_OUTCOME_STYLES.get(dish.state, "bold"))
    if dish.reason:
        out.append(f": {dish.reason}", style=_OUTCOME_STYLES.get(dish.state, ""))
    reached = dish.at_table_at if dish.at_table_at is not None else dish.served_at
    if dish.ready_at is not None and reached is not None:
        out.append(" · " + _("waited {wait} from the pass to the table",
                             wait=clock(reached - dish.ready_at)))
    return out


def history_rows(events: Sequence[EventView]) -> list[tuple[str, str, str, Text]]:
    """One row per event: the time of day, the time since the first event, the robot,
    and what happened (its event kind dim after the words, for who reads the logs)."""
    rows: list[tuple[str, str, str, Text]] = []
    for line in history_lines(events):
        what = Text(line.text or line.kind, style=_KIND_STYLES.get(line.kind, ""))
        if line.text:
            what.append(f"  {line.kind}", style="dim")
        rows.append((time_of_day(line.at), "+" + clock(line.since_first), line.robot, what))
    return rows
