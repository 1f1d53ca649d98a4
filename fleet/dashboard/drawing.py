"""Drawing a blocked area on the map: a spill is where the manager sees it, not at
coordinates they would have to read off a plan.

``AreaDraft`` is the drawing as a small state machine of the map's characters (a
cursor, a first corner, the area fixed), fed keys or pointer positions and tested
without a screen; ``area_rect`` turns the characters into the metres the fleet API
takes. ``AreaScreen`` shows the floor large with the draft over it and returns the
``BlockZone`` command; the app sends it, as it does the forms'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from fleet.api.messages import BlockZone, FloorView, PlaceView, RobotView
from fleet.dashboard.floormap import FloorMap
from fleet.dashboard.language import _, translate_bindings
from fleet.dashboard.mapgrid import Overlay, Scale
from fleet.dashboard.screens import FormError, new_zone_name, show_error
from fleet.words import N_

Char = tuple[int, int]
"""(row, column) of a character of the map widget."""


@dataclass(slots=True)
class AreaDraft:
    """The area being drawn, in characters of a drawing at ``scale``: the cursor moves
    over the floor only; the first ``mark`` sets a corner at the cursor, the second
    fixes the area between it and the cursor."""

    scale: Scale
    cursor: Char
    anchor: Char | None = None
    fixed: bool = False

    @classmethod
    def centred(cls, scale: Scale) -> AreaDraft:
        return cls(scale, (scale.oy + scale.rows // 2, scale.ox + scale.cols // 2))

    def _clamp(self, at: Char) -> Char:
        s = self.scale
        return (min(max(at[0], s.oy), s.oy + s.rows - 1),
                min(max(at[1], s.ox), s.ox + s.cols - 1))

    def move(self, rows: int, cols: int) -> None:
        if not self.fixed:
            self.cursor = self._clamp((self.cursor[0] + rows, self.cursor[1] + cols))

    def point(self, at: Char) -> None:
        """The cursor under the pointer (kept on the floor)."""
        if not self.fixed:
            self.cursor = self._clamp(at)

    def mark(self) -> None:
        if self.fixed:
            return
        if self.anchor is None:
            self.anchor = self.cursor
        else:
            self.fixed = True

    def corners(self) -> tuple[Char, Char]:
        """The top-left and bottom-right characters of the area (the cursor alone
        before the first corner)."""
        a = self.anchor or self.cursor
        b = self.cursor
        return (min(a[0], b[0]), min(a[1], b[1])), (max(a[0], b[0]), max(a[1], b[1]))

    def overlay(self) -> Overlay:
        """The area in yellow and the cursor in white, over whatever the map shows."""
        (r0, c0), (r1, c1) = self.corners()
        out: Overlay = {}
        if self.anchor is not None:
            for r in range(r0, r1 + 1):
                out[r] = dict.fromkeys(range(c0, c1 + 1), (None, "area"))
        if not self.fixed:
            out.setdefault(self.cursor[0], {})[self.cursor[1]] = ("+", "area-cursor")
        return out


def area_rect(scale: Scale, floor: FloorView, top_left: Char, bottom_right: Char,
              ) -> list[float]:
    """[x0, y0, x1, y1] in metres covered by the characters from ``top_left`` to
    ``bottom_right`` (whole characters: what is yellow on the screen is blocked), cut
    to the floor's edges and rounded to the centimetre."""
    (r0, c0), (r1, c1) = top_left, bottom_right
    left, bottom = floor.origin
    right = left + floor.cols * floor.resolution
    top = bottom + floor.rows * floor.resolution
    x0 = max(left, scale.left + (c0 - scale.ox) * scale.sx)
    x1 = min(right, scale.left + (c1 - scale.ox + 1) * scale.sx)
    y1 = min(top, scale.top - (r0 - scale.oy) * scale.sy)
    y0 = max(bottom, scale.top - (r1 - scale.oy + 1) * scale.sy)
    return [round(x0, 2), round(y0, 2), round(x1, 2), round(y1, 2)]


def nearest_place(floor: FloorView, rect: list[float]) -> PlaceView | None:
    """The table or place whose robots' spot is nearest the area's middle: a spill is
    named by what it is next to ("spill by A4")."""
    cx, cy = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
    best: tuple[float, PlaceView] | None = None
    for place in floor.places:
        for x, y in place.spots or place.outline:
            d = math.hypot(x - cx, y - cy)
            if best is None or d < best[0]:
                best = (d, place)
    return None if best is None else best[1]


class DrawingMap(FloorMap):
    """The floor map that tells where the pointer presses, drags and lets go."""

    class Pointed(Message):
        """The pointer is over character ``at``; ``press`` and ``release`` say whether
        a button went down or up there (a drag has neither)."""

        def __init__(self, at: Char, *, press: bool = False, release: bool = False) -> None:
            super().__init__()
            self.at = at
            self.press = press
            self.release = release

    def _at(self, event: events.MouseEvent) -> Char:
        """The character under the pointer, counted from the drawing's top left (the
        border aside; outside the map when dragged beyond it)."""
        offset = event.get_content_offset_capture(self)
        return (offset.y, offset.x)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self.capture_mouse()
        self.post_message(self.Pointed(self._at(event), press=True))

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if event.button:
            self.post_message(self.Pointed(self._at(event)))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self.release_mouse()
        self.post_message(self.Pointed(self._at(event), release=True))


class AreaScreen(ModalScreen[BlockZone | None]):
    """The floor, large, to draw a blocked area on: arrow keys move the cursor (with
    shift, five at a time), Enter marks a corner and then the other, or the mouse
    drags from corner to corner; then a name (one is suggested), Enter blocks it.
    Escape cancels at any step."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="area.cancel"),
        Binding("enter", "mark", N_("Corner"), id="area.mark"),
        Binding("up", "move(-1, 0)", show=False),
        Binding("down", "move(1, 0)", show=False),
        Binding("left", "move(0, -1)", show=False),
        Binding("right", "move(0, 1)", show=False),
        Binding("shift+up", "move(-5, 0)", show=False),
        Binding("shift+down", "move(5, 0)", show=False),
        Binding("shift+left", "move(0, -5)", show=False),
        Binding("shift+right", "move(0, 5)", show=False),
    ]

    def __init__(self, floor: FloorView, *, taken: list[str], blocked: list[str],
                 robots: list[RobotView]) -> None:
        super().__init__()
        translate_bindings(self)
        self.floor = floor
        self.taken = taken
        """Names a new area may not have (the plan's zones, those blocked now)."""
        self.blocked = blocked
        self.robots = robots
        self.map = DrawingMap(id="area-map")
        self.draft: AreaDraft | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="area-box"):
            yield Label(_("Draw a blocked area"), classes="modal-title")
            yield Static(self._hint(), id="area-hint")
            yield self.map
            with Horizontal(id="area-naming"):
                yield Input(id="area-name", placeholder=_("e.g. spill by A4"), disabled=True)
                yield Input(id="area-reason", max_length=200, placeholder=_("e.g. spill"),
                            disabled=True)
            yield Static("", id="form-error")

    def on_mount(self) -> None:
        self.map.show(self.floor, blocked_zones=self.blocked, robots=self.robots)
        self.call_after_refresh(self._start)

    def _start(self) -> None:
        """The cursor goes in the middle of the floor once the map knows its size."""
        if self._fresh() is None:
            self.call_after_refresh(self._start)
        else:
            self._redraw()

    def _fresh(self) -> AreaDraft | None:
        """The draft at the map's present size: a resized map draws at another scale,
        and an area being drawn starts again rather than move under the cursor (a
        fixed one keeps its own scale: its metres are what was shown)."""
        layer = self.map.floor_layer
        if layer is None:
            return None
        draft = self.draft
        if draft is None or (draft.scale != layer.scale and not draft.fixed):
            self.draft = draft = AreaDraft.centred(layer.scale)
        return draft

    def _hint(self) -> Text:
        if self.draft is not None and self.draft.fixed:
            return Text(_("Name the area and press Enter to block it (Escape cancels)"))
        if self.draft is not None and self.draft.anchor is not None:
            return Text(_("Move to the other corner and press Enter (or let go of the "
                          "mouse); Escape cancels"))
        return Text(_("Arrow keys move the cursor (with shift: faster); Enter marks a "
                      "corner, or drag with the mouse; Escape cancels"))

    def _redraw(self) -> None:
        draft = self.draft
        self.map.mark({} if draft is None else draft.overlay())
        self.query_one("#area-hint", Static).update(self._hint())

    def rect(self) -> list[float] | None:
        """The drawn area in metres (None until it is fixed)."""
        draft = self.draft
        if draft is None or not draft.fixed:
            return None
        return area_rect(draft.scale, self.floor, *draft.corners())

    def action_move(self, rows: int, cols: int) -> None:
        draft = self._fresh()
        if draft is not None:
            draft.move(rows, cols)
            self._redraw()

    def action_mark(self) -> None:
        draft = self._fresh()
        if draft is None or draft.fixed:
            return
        draft.mark()
        if draft.fixed:
            self._name_it()
        self._redraw()

    def on_drawing_map_pointed(self, event: DrawingMap.Pointed) -> None:
        draft = self._fresh()
        if draft is None or draft.fixed:
            return
        draft.point(event.at)
        if event.press:
            draft.anchor = None
            draft.mark()
        elif event.release and draft.anchor is not None:
            draft.mark()
            self._name_it()
        self._redraw()

    def _name_it(self) -> None:
        """The area is fixed: suggest a name and ask for it."""
        rect = self.rect()
        assert rect is not None
        place = nearest_place(self.floor, rect)
        name, reason = self.query_one("#area-name", Input), self.query_one("#area-reason", Input)
        name.disabled = reason.disabled = False
        if place is not None:
            name.value = self._free(_("spill by {place}", place=place.name))
        name.focus()

    def _free(self, name: str) -> str:
        """``name``, or with a number after it when an area has it already."""
        taken = {n.casefold() for n in self.taken}
        out, n = name, 1
        while out.casefold() in taken:
            n += 1
            out = f"{name} {n}"
        return out

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        rect = self.rect()
        if rect is None:
            return
        try:
            name = new_zone_name(self.query_one("#area-name", Input).value.strip(), self.taken)
        except FormError as exc:
            self.query_one("#form-error", Static).update(Text(str(exc)))
            show_error(self, FormError("area-name", str(exc)))
            return
        reason = self.query_one("#area-reason", Input).value.strip()
        self.dismiss(BlockZone(zone=name, rect=rect, reason=reason))

    def action_cancel(self) -> None:
        self.dismiss(None)
