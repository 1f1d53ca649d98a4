"""The dashboard's tables: robots, orders, alerts.

Each is a ``DataTable`` that keeps its rows by key and, on a refresh, touches
only the cells that changed, so a waiting timer ticking or one robot moving does
not rebuild a table of hundreds of rows nor lose the manager's cursor. The
cursor row is what the keys act on (the selected robot, order or alert).

A table narrower than its rows drops its least important columns (``DROP``)
rather than scroll sideways: on a tablet at the host stand the robot's words and
the dish's table must stay on screen, its trip and battery can go.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from fleet.dashboard.language import _
from fleet.dashboard.views import ALERT_COLUMNS, ORDER_COLUMNS, ROBOT_COLUMNS, Row

Cells = tuple[str | Text, ...]


def _plain(cell: str | Text) -> str:
    return cell.plain if isinstance(cell, Text) else cell


def _width(cell: str | Text) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


class KeyedTable(DataTable[str | Text]):
    """A row-cursor table synchronised from a list of (key, cells)."""

    COLUMNS: tuple[str, ...] = ()
    DROP: tuple[int, ...] = ()
    """Column indices that may be hidden when the table is too narrow, first to go
    first; the others are always shown."""
    ENOUGH: ClassVar[dict[int, int]] = {}
    """Columns that read well enough cut at this many cells: a longer cell there does
    not push the other columns out (one long alert must not hide every level)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: dict[str, Cells] = {}
        self._order: list[str] = []
        self._widths: list[int] = []
        """Each column's widest cell since the rows were last rebuilt: a cell that fits
        is updated without measuring its column again (Textual re-measures every row
        of a column when a cell shrinks, which made a refresh of 200 orders cost
        tens of milliseconds)."""
        self._columns: tuple[int, ...] = tuple(range(len(self.COLUMNS)))
        """The columns on screen now, by index into ``COLUMNS``."""

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        for i in self._columns:
            self.add_column(_(self.COLUMNS[i]), key=str(i))

    def _fitting(self) -> tuple[int, ...]:
        """The columns that fit the table's width now, dropping by ``DROP``."""
        room = self.scrollable_content_region.width
        if room <= 0:
            return self._columns
        pad = 2 * self.cell_padding

        def need(cols: Sequence[int]) -> int:
            return sum(min(max(self._widths[i] if i < len(self._widths) else 0,
                               cell_len(_(self.COLUMNS[i]))), self.ENOUGH.get(i, 1 << 30)) + pad
                       for i in cols)

        cols = list(range(len(self.COLUMNS)))
        for i in self.DROP:
            if need(cols) <= room:
                break
            cols.remove(i)
        return tuple(cols)

    def on_resize(self) -> None:
        self._refit()

    def _refit(self) -> None:
        cols = self._fitting()
        if cols == self._columns:
            return
        selected = self.selected_key()
        self._columns = cols
        self.clear(columns=True)
        self._add_columns()
        self._add_rows(selected)

    def _add_rows(self, selected: str | None) -> None:
        for key in self._order:
            cells = self._shown[key]
            self.add_row(*(cells[i] for i in self._columns), key=key)
        if selected in self._shown:
            self.move_cursor(row=self._order.index(selected), scroll=False)

    @property
    def columns_shown(self) -> list[str]:
        """The labels of the columns on screen now, left to right."""
        return [_(self.COLUMNS[i]) for i in self._columns]

    def shown_text(self, key: str) -> str:
        """A row as the screen has it (only the columns shown), cells joined by two
        spaces."""
        cells = self._shown[key]
        return "  ".join(_plain(cells[i]) for i in self._columns)

    def sync(self, rows: Sequence[Row]) -> None:
        """Show exactly ``rows``, in order, keeping the cursor on the same key. Plain
        strings are shown as they are: a DataTable would read them as markup, and a
        dish called "Fries [/large]" would stop the app."""
        rows = [(k, tuple(Text(c) if isinstance(c, str) else c for c in cells))
                for k, cells in rows]
        keys = [k for k, _ in rows]
        if keys == self._order:
            grew = changed = False
            for key, cells in rows:
                old = self._shown[key]
                for i, (a, b) in enumerate(zip(old, cells, strict=True)):
                    if a != b:
                        changed = True
                        width = _width(b)
                        wider = width > self._widths[i]
                        if wider:
                            self._widths[i] = width
                            grew = True
                        if i in self._columns:
                            self.update_cell(key, str(i), b, update_width=wider)
                self._shown[key] = cells
            if grew:
                self._refit()
            elif changed and len(self._columns) < len(self.COLUMNS):
                # Words got shorter ("offline; no word from it for 2:00" became "idle
                # at the pass"): measure again, so that hidden columns come back when
                # they fit. Only while some are hidden, and it is our own measure, not
                # the table's.
                self._widths = [max((_width(cells[i]) for cells in self._shown.values()),
                                    default=0) for i in range(len(self.COLUMNS))]
                self._refit()
            return
        selected = self.selected_key()
        self._widths = [max((_width(cells[i]) for _, cells in rows), default=0)
                        for i in range(len(self.COLUMNS))]
        self._shown = dict(rows)
        self._order = keys
        cols = self._fitting()
        self.clear(columns=cols != self._columns)
        if cols != self._columns:
            self._columns = cols
            self._add_columns()
        self._add_rows(selected)

    def selected_key(self) -> str | None:
        """The key of the cursor's row, None when the table is empty."""
        if not self._order or self.row_count == 0:
            return None
        row = min(max(self.cursor_row, 0), self.row_count - 1)
        return self.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value

    def visible_keys(self) -> list[str]:
        """Keys of the rows on screen now (one line each), top to bottom."""
        header = self.header_height if self.show_header else 0
        top = int(self.scroll_offset.y)
        height = max(0, self.scrollable_content_region.height - header)
        return self._order[top:top + height]

    def row_text(self, key: str) -> str:
        """A row as plain text, cells joined by two spaces (for tests and logs)."""
        return "  ".join(_plain(c) for c in self._shown[key])

    @property
    def keys(self) -> list[str]:
        return list(self._order)


class RobotsTable(KeyedTable):
    COLUMNS = ROBOT_COLUMNS
    DROP = (5, 3, 2, 1)
    """Trip (the words say where it goes), trays, battery (the detail line and the
    low-battery alert keep it), then the mode (the words say it: "offline", "paused
    by the manager", and the map colours it)."""


class OrdersTable(KeyedTable):
    COLUMNS = ORDER_COLUMNS
    DROP = (2,)
    """The order id (the row's key still acts on it); wait, table, dish and where
    always stay."""


class AlertsTable(KeyedTable):
    COLUMNS = ALERT_COLUMNS
    DROP = (1, 0)
    """The level (the age is in its colour), then the age: the alert's words stay."""
    ENOUGH: ClassVar[dict[int, int]] = {2: 40}
