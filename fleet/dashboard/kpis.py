"""The header's figures over the last hour, for the sparklines under it.

A manager glancing at "waiting 6" cannot tell a rush building from one easing
off; the same figure drawn over the hour can. The history is folded from the
summaries the dashboard already receives (about one a second), so it needs no
request and no store: it starts when the dashboard does and fills as it runs.

Pure: summaries in, series out, on the site's clock (``Summary.now``), so a
simulation at ten times speed draws its own hour and a test feeds summaries by
hand. One sample per minute keeps an hour at sixty points whatever the rate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text

from fleet.api.messages import Summary
from fleet.dashboard.language import _
from fleet.words import N_

WINDOW_S = 3600.0
"""How far back the sparklines reach."""
BUCKET_S = 60.0
"""One point per this many site seconds."""


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    label: str
    """A catalogue id: the figure's name, as short as the header's."""
    value: Callable[[Summary], float | None]
    colour: str
    duration: bool = False
    """Seconds, shown as m:ss."""


KPIS: tuple[Kpi, ...] = (
    Kpi("waiting", N_("waiting"), lambda s: float(s.dishes_waiting), "#ffd700"),
    Kpi("mean_wait", N_("mean wait"), lambda s: s.mean_wait_15min_s, "#ff8700", True),
    Kpi("open", N_("open orders"), lambda s: float(s.open_orders), "#5fafd7"),
    Kpi("on_robots", N_("on robots"), lambda s: float(s.dishes_on_robots), "#00d7ff"),
    Kpi("served", N_("served 15 min"), lambda s: float(s.served_15min), "#5faf5f"),
    Kpi("active", N_("active robots"), lambda s: float(s.active), "#00d75f"),
)
"""In the order shown; a narrow screen keeps the first three (what the pass
watches: dishes waiting, how long they wait, orders open)."""


class KpiHistory:
    """Each figure's highest value per minute of site time, over the last hour.

    The highest rather than the last: a minute in which eight dishes waited for
    a moment is a minute the manager should see as busy."""

    def __init__(self, *, window_s: float = WINDOW_S, bucket_s: float = BUCKET_S) -> None:
        self.window_s = window_s
        self.bucket_s = bucket_s
        self._buckets: dict[int, dict[str, float]] = {}
        self._last_now: float | None = None

    def add(self, summary: Summary) -> None:
        """Fold one summary in. A site clock that goes back (a new run on the same
        site, a replayed day) starts the history again rather than mixing two days."""
        if self._last_now is not None and summary.now < self._last_now - self.bucket_s:
            self._buckets.clear()
        self._last_now = summary.now
        index = int(summary.now // self.bucket_s)
        bucket = self._buckets.setdefault(index, {})
        for kpi in KPIS:
            value = kpi.value(summary)
            if value is not None:
                bucket[kpi.key] = max(value, bucket.get(kpi.key, value))
        oldest = index - int(self.window_s // self.bucket_s)
        for old in [i for i in self._buckets if i <= oldest]:
            del self._buckets[old]

    def series(self, key: str, now: float) -> list[float | None]:
        """The figure ``key`` per minute of the hour up to ``now``'s minute, oldest
        first, always ``window_s / bucket_s`` long: None before the first minute with
        a value (the dashboard was not open). A minute without a summary after that
        (the link was down) holds the value before it; a mean wait with no dish
        served yet reads 0."""
        last = int(now // self.bucket_s)
        first = last - int(self.window_s // self.bucket_s) + 1
        out: list[float | None] = []
        held: float | None = None
        for index in range(first, last + 1):
            bucket = self._buckets.get(index)
            if bucket is not None:
                held = bucket.get(key, 0.0)
            out.append(held)
        return out


# -- drawing ----------------------------------------------------------------------------
BARS = "▁▂▃▄▅▆▇█"
MIN_SPARK = 10
"""Columns below which a sparkline says too little to be worth its label."""


def spark(values: Sequence[float | None], width: int) -> str:
    """``values`` as bars from zero to their highest, squeezed into at most ``width``
    columns (each the highest of the minutes it covers) and never stretched: a
    quarter of an hour of history fills a quarter of the line, at the right, so
    the line's time scale is always the hour. Minutes before any value are blank.

    Textual's ``Sparkline`` scales from the lowest value to the highest and spreads
    any series over its whole width, so five minutes of a steady three dishes
    would read as an hour of none."""
    n = len(values)
    cols = min(width, n)
    if cols <= 0:
        return ""
    top = max((v for v in values if v is not None), default=0.0)
    out = []
    for c in range(cols):
        chunk = [v for v in values[c * n // cols:(c + 1) * n // cols] if v is not None]
        if not chunk:
            out.append(" ")
            continue
        level = round(max(chunk) / top * (len(BARS) - 1)) if top > 0 else 0
        out.append(BARS[min(max(level, 0), len(BARS) - 1)])
    return "".join(out)


def _amount(kpi: Kpi, value: float) -> str:
    if kpi.duration:
        s = max(0, int(value))
        return f"{s // 60}:{s % 60:02d}"
    return f"{value:g}"


def kpi_line(history: KpiHistory, now: float, width: int) -> Text:
    """The sparklines' line, ``width`` cells at most: each figure's name, its hour,
    and the hour's highest (``↑8``). As many figures as fit with a sparkline of
    ``MIN_SPARK`` columns, in ``KPIS``' order; the hour's peaks say the scale."""
    parts: list[tuple[Kpi, str, str, list[float | None]]] = []
    for kpi in KPIS:
        values = history.series(kpi.key, now)
        top = max((v for v in values if v is not None), default=None)
        parts.append((kpi, _(kpi.label), "" if top is None else "↑" + _amount(kpi, top),
                      values))
    if all(not said for _k, _l, said, _v in parts):
        return Text("")
    sep = " │ "
    for count in range(len(parts), 0, -1):
        shown = parts[:count]
        fixed = sum(cell_len(label) + 2 + cell_len(said) for _k, label, said, _v in shown)
        room = (width - fixed - len(sep) * (count - 1)) // count
        if room >= MIN_SPARK or count == 1:
            break
    out = Text()
    for i, (kpi, label, said, values) in enumerate(shown):
        if i:
            out.append(sep, style="dim")
        out.append(label + " ", style="bold")
        out.append(spark(values, room), style=kpi.colour)
        out.append(" " + said, style="dim")
    out.truncate(max(1, width), overflow="ellipsis")
    return out
