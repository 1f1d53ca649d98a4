"""The dashboard's tables: robots, orders, alerts.

Each is a ``DataTable`` that keeps its rows by key and, on a refresh, touches
only the cells that changed, so a waiting timer ticking or one robot moving does
not rebuild a table of hundreds of rows nor lose the manager's cursor. The
cursor row is what the keys act on (the selected robot, order or alert).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from fleet.dashboard.views import ALERT_COLUMNS, ORDER_COLUMNS, ROBOT_COLUMNS, Row

Cells = tuple[str | Text, ...]


def _width(cell: str | Text) -> int:
    return cell.cell_len if isinstance(cell, Text) else cell_len(cell)


class KeyedTable(DataTable[str | Text]):
    """A row-cursor table synchronised from a list of (key, cells)."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._shown: dict[str, Cells] = {}
        self._order: list[str] = []
        self._widths: list[int] = []
        """Each column's widest cell since the rows were last rebuilt: a cell that fits
        is updated without measuring its column again (Textual re-measures every row
        of a column when a cell shrinks, which made a refresh of 200 orders cost
        tens of milliseconds)."""

    def on_mount(self) -> None:
        for i, label in enumerate(self.COLUMNS):
            self.add_column(label, key=str(i))

    def sync(self, rows: Sequence[Row]) -> None:
        """Show exactly ``rows``, in order, keeping the cursor on the same key. Plain
        strings are shown as they are: a DataTable would read them as markup, and a
        dish called "Fries [/large]" would stop the app."""
        rows = [(k, tuple(Text(c) if isinstance(c, str) else c for c in cells))
                for k, cells in rows]
        keys = [k for k, _ in rows]
        if keys == self._order:
            for key, cells in rows:
                old = self._shown[key]
                for i, (a, b) in enumerate(zip(old, cells, strict=True)):
                    if a != b:
                        width = _width(b)
                        wider = width > self._widths[i]
                        if wider:
                            self._widths[i] = width
                        self.update_cell(key, str(i), b, update_width=wider)
                self._shown[key] = cells
            return
        selected = self.selected_key()
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        self._widths = [max((_width(cells[i]) for _, cells in rows), default=0)
                        for i in range(len(self.COLUMNS))]
        self._shown = dict(rows)
        self._order = keys
        if selected in self._shown:
            self.move_cursor(row=keys.index(selected), scroll=False)

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
        return "  ".join(c.plain if isinstance(c, Text) else str(c) for c in self._shown[key])

    @property
    def keys(self) -> list[str]:
        return list(self._order)


class RobotsTable(KeyedTable):
    COLUMNS = ROBOT_COLUMNS


class OrdersTable(KeyedTable):
    COLUMNS = ORDER_COLUMNS


class AlertsTable(KeyedTable):
    COLUMNS = ALERT_COLUMNS
