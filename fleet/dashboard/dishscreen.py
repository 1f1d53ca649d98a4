"""The dish history screen: every event of one dish, with times, over the dashboard.

It only shows what it is given (the title and rows of ``dishviews``); the app asks
the controller for the story and opens the screen with the answer, so the screen
has nothing to wait for and nothing to fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label, Static

from fleet.dashboard.dishviews import HISTORY_COLUMNS
from fleet.dashboard.language import _, translate_bindings
from fleet.words import N_


class DishHistoryScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,i", "close", N_("Close"), id="history.close")]

    def __init__(self, dish_id: str, title: Text,
                 rows: Sequence[tuple[str, str, str, Text]]) -> None:
        super().__init__()
        translate_bindings(self)
        self.dish_id = dish_id
        self.title_text = title
        self.rows = list(rows)

    def compose(self) -> ComposeResult:
        with Vertical(id="dish-history", classes="modal-box"):
            yield Label(_("Dish {dish}", dish=self.dish_id), classes="modal-title")
            yield Static(self.title_text, id="dish-title")
            table: DataTable[str | Text] = DataTable(id="dish-events", cursor_type="row",
                                                     zebra_stripes=True)
            yield table
            yield Static(_("{n} events. Esc closes.", n=str(len(self.rows))) if self.rows
                         else _("No events of this dish were kept. Esc closes."),
                         id="dish-hint")

    def on_mount(self) -> None:
        table = self.query_one("#dish-events", DataTable)
        for column in HISTORY_COLUMNS:
            table.add_column(_(column))
        for row in self.rows:
            table.add_row(*(Text(c) if isinstance(c, str) else c for c in row))
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
