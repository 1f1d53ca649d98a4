"""The live floor map widget.

It draws with Textual's line API: the floor layer (``mapgrid.draw_floor``) is
turned into strips once per size and kept; each refresh lays the sparse overlay
of robots, routes and table colours over the few rows it touches and reuses the
cached strips for all others. The app sets what to show through ``show``
(attributes down); the map posts nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from fleet.api.messages import FloorView, RobotView
from fleet.dashboard.language import _
from fleet.dashboard.mapgrid import (
    FloorLayer,
    Overlay,
    draw_floor,
    mend,
    overlay,
    rows_for_width,
)
from fleet.dashboard.views import MODE_COLOURS

_FLOOR_BG = "#262626"
_TABLE_BG = "#4e4e78"


def _styles() -> dict[str, Style]:
    s = {
        "void": Style(),
        "floor": Style(bgcolor=_FLOOR_BG),
        "tight": Style(bgcolor="#1c1c1c"),
        "wall": Style(color="#585858", bgcolor=_FLOOR_BG),
        "slow": Style(color="#5f5f00", bgcolor=_FLOOR_BG),
        "one-way": Style(color="#5f5f87", bgcolor=_FLOOR_BG),
        "keep-out": Style(color="#5f0000", bgcolor="#1c1c1c"),
        "blocked": Style(color="#ff5f5f", bgcolor="#3a0000", bold=True),
        "table": Style(color="#ffffff", bgcolor=_TABLE_BG),
        "table-free": Style(color="#ffffff", bgcolor=_TABLE_BG),
        "table-waiting": Style(color="#000000", bgcolor="#d7af00", bold=True),
        "table-served": Style(color="#000000", bgcolor="#5faf5f"),
        "table-blocked": Style(color="#ffffff", bgcolor="#af0000", bold=True),
        "pass": Style(color="#000000", bgcolor="#d7875f", bold=True),
        "charger": Style(color="#000000", bgcolor="#5f87d7", bold=True),
        "station": Style(color="#ffffff", bgcolor="#5f5f87"),
        "route": Style(color="#00d7ff", bgcolor=_FLOOR_BG, bold=True),
        "horizon": Style(color="#87afaf", bgcolor=_FLOOR_BG),
        "robot-selected": Style(color="#ffffff", bgcolor="#d700d7", bold=True),
        "area": Style(color="#000000", bgcolor="#d7d700"),
        "area-cursor": Style(color="#000000", bgcolor="#ffffff", bold=True),
    }
    for mode, colour in MODE_COLOURS.items():
        s[f"mode-{mode}"] = Style(color="#000000", bgcolor=colour, bold=True)
        s[f"label-{mode}"] = Style(color=colour, bgcolor=_FLOOR_BG, bold=True)
    return s


STYLES = _styles()
_UNKNOWN_MODE = Style(color="#000000", bgcolor="#ffffff", bold=True)
def legend() -> str:
    """What the map's colours and marks mean, in the dashboard's language (markup)."""
    return (f"[on #4e4e78] [/]{_('free')} [on #d7af00] [/]{_('waiting')} "
            f"[on #5faf5f] [/]{_('served')} [#ff5f5f on #3a0000]╱[/]{_('blocked')} "
            f"[#00d7ff]•[/]{_('route')} [#87afaf]◦[/]{_('planned')}")


LEGEND = legend()
"""The legend in English (``legend()`` for the chosen language)."""


class FloorMap(Widget):
    """The floor, its tables by state, and every robot with its route."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._floor: FloorView | None = None
        self._shown_floor: FloorView | None = None
        self._blocked: frozenset[str] = frozenset()
        self._robots: Sequence[RobotView] = ()
        self._tables: Mapping[str, str] = {}
        self._selected: str | None = None
        self._layer: FloorLayer | None = None
        self._layer_key: tuple[object, ...] | None = None
        self._base: list[Strip] = []
        self._over: Overlay = {}
        self._over_rows: dict[int, Strip] = {}
        self._marks: Overlay = {}
        self._scene_stale = True
        self.renders = 0
        """Scene rebuilds so far (for benchmarks and tests)."""

    @property
    def floor_layer(self) -> FloorLayer | None:
        """The floor layer last drawn (None before the first frame)."""
        return self._layer

    def show(self, floor: FloorView | None, *, blocked_zones: Iterable[str] = (),
             robots: Sequence[RobotView] = (), table_states: Mapping[str, str] | None = None,
             selected: str | None = None) -> None:
        """Set what the map shows; it redraws on the next frame."""
        self._floor = floor
        self._blocked = frozenset(blocked_zones)
        self._robots = robots
        self._tables = table_states or {}
        self._selected = selected
        self._scene_stale = True
        if floor is not None:
            self.border_title = _("floor: {name}", name=floor.name)
        self.refresh(layout=floor is not self._shown_floor)
        self._shown_floor = floor
        self._ensure(build_rows=True)

    def mark(self, marks: Overlay) -> None:
        """Lay ``marks`` (row -> column -> (character or None, style name)) over the
        scene, above robots and routes: an area being drawn and its cursor must show
        whatever stands there. ``{}`` clears them."""
        self._marks = marks
        self._scene_stale = True
        self.refresh()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """As tall as the floor is at this width (the stylesheet caps it)."""
        if self._floor is None:
            return 1
        return rows_for_width(self._floor, width)

    # -- drawing ------------------------------------------------------------------------
    def _strip(self, chars: Sequence[str], styles: Sequence[str], base: Style) -> Strip:
        segments: list[Segment] = []
        run: list[str] = []
        current = styles[0] if styles else "void"
        for ch, st in zip(chars, styles, strict=True):
            if st != current and run:
                segments.append(Segment("".join(run), base + STYLES.get(current, _UNKNOWN_MODE)))
                run = []
            current = st
            run.append(ch)
        if run:
            segments.append(Segment("".join(run), base + STYLES.get(current, _UNKNOWN_MODE)))
        return Strip(segments, len(chars))

    def _ensure(self, *, build_rows: bool = False) -> None:
        """Bring the floor layer (per size) and the overlay (per scene) up to date;
        ``build_rows``: also the strips of the rows the overlay touches."""
        width, height = self.size.width, self.size.height
        floor = self._floor
        if floor is None or width <= 0 or height <= 0:
            self._layer = None
            self._base = []
            return
        key = (width, height, id(floor), self._blocked)
        base_style = self.rich_style
        if key != self._layer_key or self._layer is None:
            self._layer = draw_floor(floor, width, height, self._blocked)
            self._layer_key = key
            self._base = [self._strip(c, s, base_style)
                          for c, s in zip(self._layer.chars, self._layer.styles, strict=True)]
            self._scene_stale = True
        if self._scene_stale:
            self._over = overlay(self._layer, self._robots, self._tables, self._selected)
            for y, cells in self._marks.items():
                self._over[y] = {**self._over.get(y, {}), **cells}
            self._over_rows = {}
            self._scene_stale = False
            self.renders += 1
        if build_rows:
            for y in self._over:
                self._row(y)

    def render_line(self, y: int) -> Strip:
        self._ensure()
        layer = self._layer
        if layer is None or y >= len(self._base):
            return Strip.blank(self.size.width, self.rich_style)
        return self._row(y)

    def _row(self, y: int) -> Strip:
        layer = self._layer
        assert layer is not None
        if y >= len(self._base):
            return Strip.blank(self.size.width, self.rich_style)
        cells = self._over.get(y)
        if not cells:
            return self._base[y]
        strip = self._over_rows.get(y)
        if strip is None:
            chars = list(layer.chars[y])
            styles = list(layer.styles[y])
            for c, (ch, st) in cells.items():
                if ch is not None:
                    chars[c] = ch
                styles[c] = st
            mend(chars)
            strip = self._strip(chars, styles, self.rich_style)
            self._over_rows[y] = strip
        return strip
