"""The assets table: searchable and sortable, one page at a time.

A `DataTable` with 10,000 rows takes seconds to mount, so the table only ever holds one page
(PAGE_SIZE rows) read with LIMIT/OFFSET; F7/F8 turn pages, search and sort run in SQL.
"""

from __future__ import annotations

from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static

from tracker.scan import STEP_LABELS
from tracker.timefmt import local_time
from tracker.ui import jobs
from tracker.ui.messages import AssetsPage
from tracker.ui.render import lit

PAGE_SIZE = 100
COLUMNS = (
    ("tag", "Tag"),
    ("kind", "Kind"),
    ("name", "Name"),
    ("site", "Site"),
    ("step", "Step"),
    ("last_seen", "Last seen"),
)


FIXED_WIDTH = 11 + 8 + 14 + 10 + 16 + 2 * len(COLUMNS) + 2
"""Width of every column but the name, with cell padding and the scrollbar."""


def short_time(at: str | None) -> str:
    return local_time(at, missing="")


class AssetsScreen(Screen):
    """Find an asset fast, then open its history and QR code with Enter."""

    AUTO_FOCUS = "#search"
    BINDINGS = [
        Binding("f6", "sort(1)", "Sort by", id="assets.sort"),
        Binding("shift+f6", "reverse", "Reverse", show=False, id="assets.reverse"),
        Binding("f7", "page(-1)", "◀ Page", id="assets.prev_page"),
        Binding("f8", "page(1)", "Page ▶", id="assets.next_page"),
        Binding("down", "to_table", "Table", show=False, id="assets.to_table"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.search = ""
        self.order_by = "tag"
        self.descending = False
        self.page_start = 0
        self.total = 0
        self._request = 0
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search tag, name, serial, site, kind, host", id="search")
        yield Static(id="page-info")
        table: DataTable = DataTable(id="assets-table", cursor_type="row", zebra_stripes=True)
        for key, label in COLUMNS:
            table.add_column(label, key=key)
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#search", Input).cursor_blink = self.app.cursor_blink
        self.watch(self.app, "overview", self._data_changed, init=False)

    def on_screen_resume(self) -> None:
        self.load()

    def _data_changed(self) -> None:
        if self.is_current:
            self.load()

    def load(self) -> None:
        """Ask the worker for the current page; a newer request wins over older answers."""
        self._request += 1
        self.app.submit(
            partial(
                self._read,
                self._request,
                self.search,
                self.order_by,
                self.descending,
                self.page_start,
            ),
            reply_to=self,
        )

    @staticmethod
    def _read(request: int, search, order_by, descending, offset, db) -> AssetsPage:
        rows, total, offset = jobs.asset_page(db, search, order_by, descending, PAGE_SIZE, offset)
        return AssetsPage(request, rows, total, offset)

    def on_assets_page(self, page: AssetsPage) -> None:
        if page.request != self._request:
            return
        self.total, self.page_start = page.total, page.offset
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        # The name takes what is left, so all six columns fit at 80 columns.
        name_width = max(12, self.size.width - FIXED_WIDTH)
        for a in page.rows:
            table.add_row(
                lit(a.tag, "bold", limit=16),
                lit(a.kind, limit=10),
                lit(a.name, limit=name_width),
                lit(a.site, limit=16),
                lit(STEP_LABELS.get(a.step, a.step)),
                short_time(a.last_seen),
                key=a.tag,
            )
        if page.rows:
            table.move_cursor(row=min(cursor, len(page.rows) - 1))
        self._show_info()

    def _show_info(self) -> None:
        first = self.page_start + 1 if self.total else 0
        last = min(self.page_start + PAGE_SIZE, self.total)
        label = dict(COLUMNS)[self.order_by].lower()
        arrow = "▼" if self.descending else "▲"
        self.query_one("#page-info", Static).update(
            Text.assemble(
                (f"{first}-{last} of {self.total}", "bold"),
                f"  sorted by {label} {arrow}",
                ("  ·  Enter: details  F6: sort  F7/F8: page", "dim"),
            )
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        # Typing in the search box (not the scan input): wait for a pause, then search.
        if self._timer is not None:
            self._timer.stop()
        value = event.value.strip()
        self._timer = self.set_timer(0.15, partial(self._search, value))

    def _search(self, value: str) -> None:
        if value != self.search:
            self.search, self.page_start = value, 0
            self.load()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._search(event.value.strip())
        self.query_one(DataTable).focus()

    def action_to_table(self) -> None:
        self.query_one(DataTable).focus()

    def action_sort(self, delta: int) -> None:
        keys = [k for k, _ in COLUMNS]
        self.order_by = keys[(keys.index(self.order_by) + delta) % len(keys)]
        self.page_start = 0
        self.load()

    def action_reverse(self) -> None:
        self.descending = not self.descending
        self.page_start = 0
        self.load()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.order_by:
            self.descending = not self.descending
        else:
            self.order_by, self.descending = key, False
        self.page_start = 0
        self.load()

    def action_page(self, delta: int) -> None:
        offset = self.page_start + delta * PAGE_SIZE
        if 0 <= offset < max(self.total, 1):
            self.page_start = offset
            self.load()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from tracker.ui.screens.asset_detail import AssetDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(AssetDetailScreen(str(event.row_key.value)))
