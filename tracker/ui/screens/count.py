"""Count a box of stock (MitID code displays, chips): its label, then how many it holds now.

The same as `tracker count CODE N --site SITE`, at the scan station's site. The label field
is a `ScanInput`, so a scanner's Enter is taken in order with the characters before it (a plain
`Input.Submitted` could run first and leave the last characters for the quantity field); Enter
moves on to the quantity, which is typed by hand and checked by `tracker.stock`, which says in
one line what is wrong with it.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from tracker.ui.render import lit
from tracker.ui.widgets.scan_input import ScanInput


class CountScreen(ModalScreen[tuple[str, str] | None]):
    """Dismissed with (code, quantity) on Count, None on cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="count.cancel")]

    def __init__(self, site_name: str, code: str = "") -> None:
        super().__init__()
        self.site_name = site_name
        self.code = code

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(
                Text.assemble(
                    ("Count a box at ", "bold"),
                    lit(self.site_name, "bold"),
                    ("\nScan its label, then type how many it holds now.", ""),
                ),
                id="confirm-question",
            )
            # No `restrict=` on either: it would drop a character without a word.
            yield ScanInput(self.code, placeholder="box label or tag", id="count-code")
            yield Input(placeholder="how many", id="count-quantity", max_length=20)
            with Horizontal(id="confirm-buttons"):
                yield Button("Count", variant="warning", id="yes")
                yield Button("Cancel", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one("#count-quantity" if self.code else "#count-code", Input).focus()

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        message.stop()
        self.query_one("#count-code", ScanInput).value = message.code
        self.query_one("#count-quantity", Input).focus()

    async def on_scan_input_bound_key(self, message: ScanInput.BoundKey) -> None:
        message.stop()  # Escape while in the label field
        await self.app.run_action(message.action, message.namespace)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._done()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self._done()
        else:
            self.dismiss(None)

    def _done(self) -> None:
        code = self.query_one("#count-code", Input).value
        if not code.strip():
            self.query_one("#count-code", Input).focus()
            return
        self.dismiss((code, self.query_one("#count-quantity", Input).value))

    def action_cancel(self) -> None:
        self.dismiss(None)
