"""The input a USB keyboard-wedge scanner types into.

A scanner types a burst of characters and then Enter (or Ctrl+J, a bare line feed) within a few
milliseconds. On Textual 8.2.8 a plain `Input` handled through `Input.Submitted` merged
back-to-back scans: the bound Enter key ran out of order with the typed characters
(Textualize/textual#6605, PR #6631). Handling Enter in this widget's own key handler keeps it
in the same queue as the characters, so every scan comes out whole and in order.

No `restrict=` (it silently drops characters) and no debounce: every key is taken as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.message import Message
from textual.widgets import Input

SUBMIT_KEYS = ("enter", "ctrl+j")


class ScanInput(Input):
    """One line per scan; posts `ScanInput.Scanned` for each, never `Input.Submitted`."""

    @dataclass
    class Scanned(Message):
        """A complete scan (or a typed code and Enter), exactly as typed."""

        code: str

    def on_key(self, event: events.Key) -> None:
        if event.key in SUBMIT_KEYS:
            # Stopped here, Enter never reaches the binding that would run out of order.
            event.stop()
            event.prevent_default()
            code = self.value
            self.clear()
            self.post_message(self.Scanned(code))
