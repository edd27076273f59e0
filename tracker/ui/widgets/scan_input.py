"""The input a USB keyboard-wedge scanner types into.

A scanner types a burst of characters and then Enter (or Ctrl+J, a bare line feed) within a few
milliseconds. On Textual 8.2.8 a plain `Input` handled through `Input.Submitted` merged
back-to-back scans: the bound Enter key ran out of order with the typed characters
(Textualize/textual#6605, PR #6631). Handling Enter in this widget's own key handler keeps it
in the same queue as the characters, so every scan comes out whole and in order.

The same goes for the screen's and the app's function keys (F6 next site, F7 next step, F8
undo, ...): left to bubble, F7 pressed just before a scan changed the step after that scan was
recorded, and F8 could undo the scan after the one meant. This widget turns them into
`BoundKey` messages that travel the same way as `Scanned`, so the screen sees both in typing
order.

A paste of several lines (a list of tags, or a scanner's batch upload of stored scans, which
terminals with bracketed paste deliver as one `Paste` event) is one scan per line, in order;
`Input` itself would keep only the first line. A paste without a line break is inserted for
the user to finish and send with Enter, as in any input.

No `restrict=` (it silently drops characters) and no debounce: every key is taken as typed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import events
from textual.dom import DOMNode
from textual.message import Message
from textual.widgets import Input

SUBMIT_KEYS = ("enter", "ctrl+j")


class ScanInput(Input):
    """One line per scan; posts `ScanInput.Scanned` for each, never `Input.Submitted`."""

    @dataclass
    class Scanned(Message):
        """A complete scan (or a typed code and Enter), exactly as typed."""

        code: str

    @dataclass
    class BoundKey(Message):
        """A screen or app key binding pressed while scanning, to be run in typing order."""

        action: str
        namespace: DOMNode

    def _on_paste(self, event: events.Paste) -> None:
        lines = event.text.splitlines()
        if len(lines) <= 1 and not event.text.endswith(("\n", "\r")):
            return  # Input's own handler inserts it (Textual runs each class's handler)
        event.stop()
        event.prevent_default()  # and not Input's, which would keep the first line
        if lines:
            self.insert_text_at_cursor(lines[0])  # what was typed before belongs to line one
            lines[0] = self.value
        self.clear()
        for line in lines:
            if line.strip():
                self.post_message(self.Scanned(line))

    def on_key(self, event: events.Key) -> None:
        if event.key in SUBMIT_KEYS:
            # Stopped here, Enter never reaches the binding that would run out of order.
            event.stop()
            event.prevent_default()
            code = self.value
            self.clear()
            self.post_message(self.Scanned(code))
            return
        if event.is_printable:
            return
        active = self.app.active_bindings.get(event.key)
        if active is None or active.node is self or not active.enabled:
            return  # the input's own keys (cursor, backspace) and unbound keys as usual
        event.stop()
        event.prevent_default()
        self.post_message(self.BoundKey(active.binding.action, active.node))
