"""The dashboard's modal screens: the new-order form, blocking a table or zone, a
confirmation for what cannot be undone lightly (e-stop, cancelling an order), and
the help screen.

Forms check what the manager typed against what the floor has before anything is
sent (a table that does not exist is named in red under the field and nothing
leaves the dashboard); they return the API command, and the app sends it.

Long because it holds the four modal screens with the form checks they share (names,
rectangles on the floor); each screen is short.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, Input, Label, Static

from fleet.api.messages import (
    NAME_PATTERN,
    NAME_RULE,
    BlockTable,
    BlockZone,
    DishSpec,
    FloorView,
    PlaceView,
    SubmitOrder,
    UnblockTable,
    UnblockZone,
)
from fleet.dashboard.language import _, translate_bindings
from fleet.words import N_

MAX_DISHES = 40


class FormError(ValueError):
    """What is wrong with a form's field, in words for the manager."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def match_name(typed: str, names: Iterable[str], what: str) -> str:
    """The name as the floor spells it for what was typed (case and spaces aside), or
    a FormError listing a few of the names there are. ``what`` is "table", "place"
    or "zone"."""
    typed = typed.strip()
    words = _MATCH_WORDS[what]
    if not typed:
        raise FormError(what, _(words[0]))
    names = list(names)
    norm = {n.casefold().replace(" ", ""): n for n in names}
    found = norm.get(typed.casefold().replace(" ", ""))
    if found is None:
        some = ", ".join(sorted(names)[:12]) + (" ..." if len(names) > 12 else "")
        raise FormError(what, _(words[1], name=repr(typed))
                        + " " + (_(words[2], names=some) if names else _(words[3])))
    return found


_MATCH_WORDS = {
    "table": (N_("type a table name"), N_("no table {name} on this floor"),
              N_("(tables: {names})"), N_("(it has no tables)")),
    "place": (N_("type a place name"), N_("no place {name} on this floor"),
              N_("(places: {names})"), N_("(it has no places)")),
    "zone": (N_("type a zone name"), N_("no zone {name} on this floor"),
             N_("(zones: {names})"), N_("(it has no zones)")),
}
"""A form's words about a name, whole for each kind of name (a language may say
"table" and "zone" in different grammar)."""


def parse_dishes(text: str) -> list[DishSpec]:
    """Dishes as the manager types them: names separated by commas, ``name:N`` for a
    dish that takes N trays (``soup, steak, platter:2``)."""
    dishes: list[DishSpec] = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        name, sep, trays_s = item.rpartition(":")
        if not sep:
            name, trays = item, 1
        else:
            name = name.strip()
            try:
                trays = int(trays_s.strip())
            except ValueError:
                raise FormError("dishes", _("{item}: trays after ':' must be a number",
                                            item=repr(item))) from None
            if not 1 <= trays <= 8:
                raise FormError("dishes", _("{item}: a dish takes 1 to 8 trays", item=repr(item)))
        if not name or len(name) > 64:
            raise FormError("dishes", _("{item}: a dish name has 1 to 64 characters",
                                        item=repr(item)))
        dishes.append(DishSpec(name=name, trays=trays))
    if not dishes:
        raise FormError("dishes", _("type at least one dish (names separated by commas)"))
    if len(dishes) > MAX_DISHES:
        raise FormError("dishes", _("at most {n} dishes in one order", n=str(MAX_DISHES)))
    return dishes


class NewOrderScreen(ModalScreen[SubmitOrder | None]):
    """A new order for a table: table, dishes, priority, a note."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="form.cancel"),
        Binding("ctrl+s", "submit", N_("Submit"), id="form.submit")]

    def __init__(self, tables: Sequence[str], order_id: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.tables = list(tables)
        self.order_id = order_id

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form", classes="modal-box"):
            yield Label(_("New order [b]{order}[/b]", order=self.order_id),
                        classes="modal-title")
            yield Label(_("Table"))
            yield Input(placeholder=_("e.g. A3"), id="table",
                        suggester=SuggestFromList(self.tables, case_sensitive=False))
            yield Label(_("Dishes (comma separated; name:2 for a dish on two trays)"))
            yield Input(placeholder=_("soup, steak, cake"), id="dishes")
            yield Label(_("Note"))
            yield Input(placeholder=_("optional"), id="note", max_length=200)
            with Horizontal(classes="checks"):
                yield Checkbox(_("High priority"), id="high")
                yield Checkbox(_("Ready at the pass"), id="ready")
            yield Static("", id="form-error")
            with Horizontal(classes="buttons"):
                yield Button(_("Submit"), variant="primary", id="submit")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#table", Input).focus()

    def build(self) -> SubmitOrder:
        """The order the form describes; FormError naming the field otherwise."""
        table = match_name(self.query_one("#table", Input).value, self.tables, "table")
        dishes = parse_dishes(self.query_one("#dishes", Input).value)
        return SubmitOrder(order_id=self.order_id, table=table, dishes=dishes,
                           priority="high" if self.query_one("#high", Checkbox).value else "normal",
                           note=self.query_one("#note", Input).value.strip(),
                           ready=self.query_one("#ready", Checkbox).value)

    def action_submit(self) -> None:
        for field in ("table", "dishes"):
            self.query_one(f"#{field}", Input).remove_class("-invalid")
        try:
            order = self.build()
        except FormError as exc:
            self.query_one("#form-error", Static).update(Text(str(exc)))
            show_error(self, exc)
            return
        self.dismiss(order)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        order = ("table", "dishes", "note")
        if event.input.id in order[:-1]:
            self.query_one(f"#{order[order.index(event.input.id) + 1]}", Input).focus()
        else:
            self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "submit":
            self.action_submit()
        else:
            self.action_cancel()


BlockCommand = BlockTable | UnblockTable | BlockZone | UnblockZone
SPILL_SIZE_M = 1.5
"""The side of the square blocked round a place when the manager names no size."""


def _number(text: str, field: str, what: str) -> float:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise FormError(field, _("{what}: {value} is not a number", what=_(what),
                                 value=repr(text.strip()))) from None
    if not math.isfinite(value):
        raise FormError(field, _("{what}: {value} is not a number", what=_(what),
                                 value=repr(text.strip())))
    return value


def parse_rect(text: str, floor: FloorView | None) -> list[float]:
    """``x0 y0 x1 y1`` in metres (spaces or commas between), lower left corner first,
    and on the floor: a rectangle off the plan would block nothing and say it had."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if len(parts) != 4:
        raise FormError("rect", _("a rectangle is four numbers in metres: x0 y0 x1 y1"))
    x0, y0, x1, y1 = (_number(p, "rect", N_("rectangle")) for p in parts)
    if not (x0 < x1 and y0 < y1):
        raise FormError("rect", _("x0 y0 is the lower left corner: x0 < x1 and y0 < y1"))
    _on_floor([x0, y0, x1, y1], floor, "rect")
    return [x0, y0, x1, y1]


def _on_floor(rect: list[float], floor: FloorView | None, field: str) -> None:
    if floor is None:
        return
    left, bottom = floor.origin
    right = left + floor.cols * floor.resolution
    top = bottom + floor.rows * floor.resolution
    x0, y0, x1, y1 = rect
    if x1 <= left or x0 >= right or y1 <= bottom or y0 >= top:
        raise FormError(field, _("the rectangle is off the floor (x {left} to {right}, "
                                 "y {bottom} to {top} m)", left=f"{left:g}",
                                 right=f"{right:g}", bottom=f"{bottom:g}", top=f"{top:g}"))


def rect_around(place: PlaceView, size: float) -> list[float]:
    """A square of side ``size`` centred where robots stop at ``place`` (its first
    spot), as a spill "by A4" is on the way robots serve it; the outline's middle
    when a place has no spot."""
    if place.spots:
        cx, cy = place.spots[0]
    elif place.outline:
        xs = [x for x, _ in place.outline]
        ys = [y for _, y in place.outline]
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    else:
        raise FormError("place", _("{name} has no position on the plan", name=place.name))
    h = size / 2
    return [round(cx - h, 3), round(cy - h, 3), round(cx + h, 3), round(cy + h, 3)]


class BlockScreen(ModalScreen[BlockCommand | None]):
    """Close a table or a zone to robots, or open it again. For a zone, also a new
    area: a spill round a table or place (a square of a chosen size) or a rectangle
    typed in metres, under a new name."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", N_("Cancel"), id="block.cancel")]

    def __init__(self, what: str, names: Sequence[str], blocked: Mapping[str, str],
                 floor: FloorView | None = None) -> None:
        super().__init__()
        translate_bindings(self)
        self.what = what
        """"table" or "zone"."""
        self.names = list(names)
        self.blocked = dict(blocked)
        self.floor = floor
        """For a zone: the places a spill can be named by, and the floor's bounds."""

    def compose(self) -> ComposeResult:
        now = ", ".join(f"{n} ({r})" if r else n for n, r in sorted(self.blocked.items()))
        zone = self.what == "zone"
        with VerticalScroll(id="block-form", classes="modal-box"):
            yield Label(_("Block or unblock a zone") if zone else _("Block or unblock a table"),
                        classes="modal-title")
            if zone:
                plan = ", ".join(sorted(self.names))
                yield Label(Text(_("Zones of the plan: {names}", names=plan or _("none"))),
                            id="plan-zones")
            yield Label(Text(_("Blocked now: {names}", names=now or _("none"))),
                        id="blocked-now")
            yield Label(_("Zone (a new name for a new area)") if zone else _("Table"))
            yield Input(id="name", suggester=SuggestFromList(
                self.names + list(self.blocked), case_sensitive=False),
                placeholder=_("e.g. spill by A4") if zone else "")
            if zone:
                places = [p.name for p in self.floor.places] if self.floor else []
                yield Label(_("New area round a table or place, and its size in metres"))
                with Horizontal(classes="checks", id="round"):
                    yield Input(id="place", placeholder=_("e.g. A4"),
                                suggester=SuggestFromList(places, case_sensitive=False))
                    yield Input(id="size", placeholder=f"{SPILL_SIZE_M:g}")
                yield Label(_("or a rectangle in metres: x0 y0 x1 y1 (lower left first)"))
                yield Input(id="rect", placeholder=_("e.g. 3 4.5 4 5.5"))
            yield Label(_("Reason (for blocking)"))
            yield Input(id="reason", max_length=200, placeholder=_("e.g. spill"))
            yield Static("", id="form-error")
            with Horizontal(classes="buttons"):
                yield Button(_("Block"), variant="error", id="block")
                yield Button(_("Unblock"), variant="success", id="unblock")
                yield Button(_("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def _value(self, field: str) -> str:
        found = self.query(f"#{field}")
        return found.first(Input).value.strip() if found else ""

    def _area(self) -> tuple[list[float], str] | None:
        """The new area the form describes and the place it is round ("" for a typed
        rectangle), None when the form names no new area."""
        place_s, size_s, rect_s = self._value("place"), self._value("size"), self._value("rect")
        if place_s and rect_s:
            raise FormError("rect", _("give a place or a rectangle, not both"))
        if rect_s:
            return parse_rect(rect_s, self.floor), ""
        if not place_s:
            if size_s:
                raise FormError("place", _("name the table or place the size is round"))
            return None
        places = self.floor.places if self.floor else []
        name = match_name(place_s, [p.name for p in places], "place")
        size = _number(size_s, "size", N_("size")) if size_s else SPILL_SIZE_M
        if not 0.25 <= size <= 10.0:
            raise FormError("size", _("the size is 0.25 to 10 metres"))
        return rect_around(next(p for p in places if p.name == name), size), name

    def build(self, block: bool) -> BlockCommand:
        reason = self._value("reason")
        if self.what == "zone" and block:
            area = self._area()
            if area is not None:
                rect, place = area
                return BlockZone(zone=self._new_name(place), rect=rect, reason=reason)
        names = self.names + [n for n in self.blocked if n not in self.names]
        name = match_name(self._value("name"), names, self.what)
        if not block and name not in self.blocked:
            raise FormError("name", _("zone {name} is not blocked", name=name)
                            if self.what == "zone"
                            else _("table {name} is not blocked", name=name))
        if self.what == "table":
            return BlockTable(table=name, reason=reason) if block else UnblockTable(table=name)
        return BlockZone(zone=name, reason=reason) if block else UnblockZone(zone=name)

    def _new_name(self, place: str) -> str:
        """The new area's name: as typed, or "spill by <place>" when left empty."""
        name = self._value("name")
        if not name:
            if not place:
                raise FormError("name", _("name the new area (e.g. spill by A4)"))
            name = _("spill by {place}", place=place)
        return new_zone_name(name, [*self.names, *self.blocked])

    def _finish(self, block: bool) -> None:
        for field in self.query(Input):
            field.remove_class("-invalid")
        try:
            command = self.build(block)
        except FormError as exc:
            self.query_one("#form-error", Static).update(Text(str(exc)))
            show_error(self, exc)
            return
        self.dismiss(command)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = [f.id for f in self.query(Input)]
        i = fields.index(event.input.id)
        if i + 1 < len(fields):
            self.query_one(f"#{fields[i + 1]}", Input).focus()
        else:
            self._finish(block=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "cancel":
            self.dismiss(None)
        else:
            self._finish(block=event.button.id == "block")

    def action_cancel(self) -> None:
        self.dismiss(None)


def new_zone_name(name: str, taken: Iterable[str]) -> str:
    """``name`` for a new area, checked as the fleet API will check it, and against the
    zones there are (a second "spill by A4" would be taken for the first); a
    FormError for the field "name" otherwise."""
    if not name:
        raise FormError("name", _("name the new area (e.g. spill by A4)"))
    if len(name) > 64 or not re.match(NAME_PATTERN, name):
        raise FormError("name", f"{name!r}: {_(NAME_RULE)}")
    if name.casefold() in {n.casefold() for n in taken}:
        raise FormError("name", _("a zone {name} exists already: give the new area "
                                  "a new name", name=repr(name)))
    return name


def show_error(screen: Screen[Any], exc: FormError) -> None:
    """Mark the field that is wrong and put the cursor in it: after Submit or a
    button the focus is elsewhere, and the manager should type the fix at once."""
    field = screen.query_one(f"#{exc.field}", Input)
    field.add_class("-invalid")
    field.focus()


class ConfirmScreen(ModalScreen[bool]):
    """Yes or no, for what should not happen by a stray key."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", N_("Yes"), id="confirm.yes"),
        Binding("n,escape", "answer(False)", N_("No"), id="confirm.no")]

    def __init__(self, question: str, yes: str = "") -> None:
        super().__init__()
        translate_bindings(self)
        yes = yes or _("Yes")
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="modal-box"):
            yield Static(self.question, id="question")
            with Horizontal(classes="buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="yes")
                yield Button(_("No (n)"), id="no")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class HelpScreen(ModalScreen[None]):
    """Every key of the dashboard, and what the map's marks mean."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,f1,question_mark", "close", N_("Close"), id="help.close")]

    def __init__(self, keys: Sequence[tuple[str, str]], legend: str) -> None:
        super().__init__()
        translate_bindings(self)
        self.keys = list(keys)
        self.legend = legend

    def compose(self) -> ComposeResult:
        width = max((cell_len(k) for k, _what in self.keys), default=1)
        lines = [f"[b]{k}{' ' * (width - cell_len(k))}[/b]  {what}" for k, what in self.keys]
        with VerticalScroll(id="help", classes="modal-box"):
            yield Label(_("Keys"), classes="modal-title")
            yield Static("\n".join(lines), id="help-keys")
            yield Label(_("Map"), classes="modal-title")
            yield Static(self.legend, id="help-legend")
            yield Static(_("Robots: an arrow for the heading, coloured by mode; the selected "
                           "robot (the robots table's cursor) in magenta. P pass, C charger, "
                           "D dish return, H host stand, K parking. Esc closes this."),
                         id="help-robots")

    def action_close(self) -> None:
        self.dismiss(None)
