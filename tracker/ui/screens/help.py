"""The help screen, and the message shown while the terminal is too small."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import Key, Resize
from textual.screen import ModalScreen
from textual.widgets import Static

from tracker.ui.terminal import MIN_SIZE
from tracker.ui.widgets.scan_input import SUBMIT_KEYS

KEYS = (
    ("Everywhere", ""),
    ("F1", "this help (Esc closes it)"),
    ("F2 / F3 / F4 / F5", "Dashboard / Scan / Assets / Plan"),
    ("F9", "write the readiness report (HTML) into the working folder"),
    ("Ctrl+P", "command palette"),
    ("Ctrl+Q", "quit"),
    ("Scan screen", ""),
    ("scan a site label", "switch the current site"),
    ("scan an asset label", "apply the step to it at the current site (AUTO: the manifest's)"),
    ("scan a step card", "set the step (tracker labels --steps prints them)"),
    ("type a tag + Enter", "the same, by hand; a pasted list is one scan per line"),
    ("F6 / Shift+F6", "next / previous site"),
    ("F7 / Shift+F7", "next / previous step: auto, packed ... in service, stocktake"),
    ("F8", "undo this station's last scan (in a stocktake: nothing, it says so)"),
    ("F10", "name the holder: who takes what you scan at a home workplace"),
    ("F11", "close the current site's stocktake (asks first) and show what it found"),
    ("F12", "count a box of stock (label, then how many) at the current site"),
    ("Asset detail", ""),
    ("f / m", "mark faulty / missing, with a note"),
    ("n", "edit the notes"),
    ("p / d", "write the label as PNG / PDF into the working folder"),
    ("Assets screen", ""),
    ("type", "search tag, name, serial, site, kind or host"),
    ("Down / Enter", "go to the table / open the asset (history and QR code)"),
    ("F6 / Shift+F6", "sort by the next column / reverse the order"),
    ("F7 / F8", "previous / next page"),
    ("Plan screen", ""),
    ("Enter on a scenario", "start it (asks first)"),
    ("F8", "end the active scenario (asks first)"),
)

SCANNING = (
    "A bell means look at the screen: UNKNOWN (a code that matched nothing; kept in the "
    "unknown-scans log), FLAGGED (recorded, but not in the manifest, at the wrong site, or "
    "seen where it was not recorded; listed under Exceptions on the dashboard), NO STEP (AUTO "
    "could not infer a step: nothing recorded, choose one with F7), REPEAT (nothing changed) "
    "or NOT RECORDED (scan it again)."
)


class HelpScreen(ModalScreen[None]):
    """Keys and the scanning workflow."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("f1", "dismiss", "Close", show=False, id="help.close_f1"),
    ]

    def compose(self) -> ComposeResult:
        table = Table(box=None, expand=True, show_header=False)
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            if not what:
                table.add_row(Text(key, "bold underline"), "")
            else:
                table.add_row(key, what)
        with VerticalScroll(id="help"):
            yield Static(Text("Help", "bold"))
            yield Static(table)
            yield Static(Text(SCANNING))


class TooSmallScreen(ModalScreen[None]):
    """Covers the app until the terminal is at least 80×24 again."""

    def compose(self) -> ComposeResult:
        yield Static(id="too-small")

    def on_mount(self) -> None:
        self._show(self.app.size)

    def on_resize(self, event: Resize) -> None:
        self._show(event.size)

    def on_key(self, event: Key) -> None:
        # A scan typed now goes nowhere: the bell tells the person at the scanner at once.
        if event.key in SUBMIT_KEYS:
            self.app.alert()

    def _show(self, size: tuple[int, int]) -> None:
        width, height = size
        self.query_one("#too-small", Static).update(
            Text(
                f"The terminal is {width}×{height}; the tracker needs at least "
                f"{MIN_SIZE[0]}×{MIN_SIZE[1]}. Make the window larger. "
                "Scans are not taken until then.",
                "bold",
            )
        )
