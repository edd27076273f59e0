"""A one-line text prompt (a note for a mark, an asset's notes): Enter saves, Escape cancels."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static


class NoteScreen(ModalScreen[str | None]):
    """Dismissed with the text (possibly empty) on save, None on cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="note.cancel")]

    def __init__(self, question: Text, value: str = "", save: str = "Save") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.save = save

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Static(self.question, id="confirm-question")
            yield Input(self.value, id="note-input", max_length=2000)
            with Horizontal(id="confirm-buttons"):
                yield Button(self.save, variant="warning", id="yes")
                yield Button("Cancel", variant="primary", id="no")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.query_one(Input).value if event.button.id == "yes" else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
