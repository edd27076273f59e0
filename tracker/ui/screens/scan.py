"""The scan screen, for keyboard-wedge scanners at a loading bay.

Only function keys act on this screen: a scanner types letters and digits, so a bare printable
key binding would fire in the middle of a scan. The scan input keeps the focus; nothing else
here can take it.

The step is "auto" by default while a scenario is active: the move's manifest decides
(`tracker.autostep`). F7 also offers every explicit step and "stocktake", where each scan
records what was seen at the site (`tracker.audit`) and changes no step.

F10 names the holder: who takes the items scanned at a home workplace (laptops and headsets go
home with named staff, `scan --holder`); it shows under the input while the site is a home
workplace, and applies there only. F12 counts a box of stock at the current site (`tracker
count`), prefilled with the box just scanned.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import DescendantBlur
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, RichLog, Static

from tracker import timefmt
from tracker.scan import AUTO, STEP_CHOICES, STEP_LABELS
from tracker.ui.messages import COUNT, ScanDone
from tracker.ui.render import lit
from tracker.ui.widgets.big_text import big
from tracker.ui.widgets.scan_input import ScanInput

AUDIT = "audit"
SCREEN_STEPS = (*STEP_CHOICES, AUDIT)
"""What F7 cycles through: auto, each explicit step, then stocktake."""
SCREEN_STEP_LABELS = {**STEP_LABELS, AUDIT: "stocktake"}

OUTCOME = {
    # outcome: (label, style, css class of the feedback panel). Each problem has its own word
    # and colour, so an unknown code never reads as a flagged (recorded) scan.
    "recorded": ("OK", "bold green", "ok"),
    "found": ("FOUND", "bold green", "ok"),
    "flagged": ("FLAGGED", "bold red", "bad"),
    "unexpected": ("FLAGGED", "bold red", "bad"),
    "repeat": ("REPEAT", "bold yellow", "warn"),
    "refused": ("NO STEP", "bold yellow", "warn"),
    "unknown": ("UNKNOWN", "bold magenta", "unknown"),
    "site": ("SITE", "bold cyan", "info"),
    "step": ("STEP", "bold cyan", "info"),
    "empty": ("EMPTY", "dim", "info"),
    "error": ("NOT RECORDED", "bold red", "bad"),
    "undo": ("UNDONE", "bold cyan", "info"),
    "noundo": ("NO UNDO", "bold yellow", "warn"),
    "closed": ("CLOSED", "bold cyan", "info"),
    "open": ("OPEN", "bold yellow", "warn"),
    "note": ("STEP", "bold cyan", "info"),
}
PROBLEMS = ("flagged", "unexpected", "repeat", "refused", "unknown", "error", "noundo")


class ScanScreen(Screen):
    """Current site and step in large type, the scan input, and a running log of scans."""

    AUTO_FOCUS = "ScanInput"
    BINDINGS = [
        Binding("f6", "site(1)", "Next site", id="scan.next_site"),
        Binding("shift+f6", "site(-1)", "Previous site", show=False, id="scan.prev_site"),
        Binding("f7", "step(1)", "Next step", id="scan.next_step"),
        Binding("shift+f7", "step(-1)", "Previous step", show=False, id="scan.prev_step"),
        Binding("f8", "undo", "Undo", id="scan.undo"),
        # Not in the footer (F6-F9 fill 80 columns): the holder line names F10 where it
        # matters, the feedback names F12 after a box is scanned, and F1 lists both.
        Binding("f10", "holder", "Holder", show=False, id="scan.holder"),
        Binding("f12", "count", "Count a box", show=False, id="scan.count"),
        # Terminals that take F11 for full screen reach it by the palette ("Close the
        # stocktake"); F1 lists it.
        Binding("f11", "close_audit", "Close stocktake", show=False, id="scan.close_audit"),
        # The app's screen keys still work here but leave the footer to F6-F9 at 80 columns.
        *(
            Binding(key, f"app.switch_mode({mode!r})", mode.title(), show=False, id=f"scan.{mode}")
            for key, mode in (
                ("f2", "dashboard"),
                ("f3", "scan"),
                ("f4", "assets"),
                ("f5", "plan"),
            )
        ),
    ]

    recorded: reactive[int] = reactive(0)
    """Scans recorded in this session (flagged ones included)."""
    problems: reactive[int] = reactive(0)
    """Scans in this session that needed a second look (bell rung)."""
    _last_auto = ""
    """The step the auto mode last recorded, shown under AUTO."""
    handled = 0
    """Scans (and undos) whose outcome this screen has shown: tests and benches wait on it."""
    _last_box = ""
    """The tag of the last box of stock scanned here, offered by F12 (count)."""
    _notes: list[str] | None
    """Notes that arrived before the screen was first shown (written to the log on mount;
    None once it is)."""

    def __init__(self) -> None:
        super().__init__()
        self._notes = []

    def compose(self) -> ComposeResult:
        with Horizontal(id="station"):
            yield Static(id="site", classes="big")
            yield Static(id="step", classes="big")
        yield Static("Scan a site label or an asset label.", id="feedback")
        yield ScanInput(placeholder="scan here (or type a tag and press Enter)", id="scan-input")
        yield Static(id="holder")
        yield Static(id="counts")
        log = RichLog(id="scan-log", max_lines=2000, wrap=True, markup=False)
        log.can_focus = False
        yield log
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#site").border_title = "SITE  (F6)"
        self.query_one("#step").border_title = "STEP  (F7)"
        self.query_one(ScanInput).cursor_blink = self.app.cursor_blink
        self.watch(self.app, "site", self._show_site)
        self.watch(self.app, "step", self._show_step)
        self.watch(self.app, "holder", self._show_holder)
        self._show_counts()
        for note in self._notes:
            self._log("note", note)
        self._notes = None

    @property
    def input(self) -> ScanInput:
        return self.query_one(ScanInput)

    def _show_site(self, site: str) -> None:
        name = self.app.plan.sites[site].name
        box = self.query_one("#site", Static)
        self._show_holder()
        large = big(name, box.content_region.width)
        # The name in plain letters under the large ones: copyable, and for screen readers.
        box.update(Text.assemble(large, "\n", lit(name, "dim")) if large else lit(name, "bold"))

    def _show_step(self, step: str) -> None:
        self._draw_step(step)

    def _show_holder(self, _value: object = None) -> None:
        """Who takes what is scanned here: shown at home workplaces, and wherever one is set."""
        holder, site = self.app.holder, self.app.plan.sites[self.app.site]
        box = self.query_one("#holder", Static)
        box.display = bool(site.homes or holder)
        if site.homes and holder:
            text = Text.assemble(
                ("HOLDER ", "bold"),
                lit(holder, "bold"),
                (" takes what you scan here (F10 changes)", ""),
            )
            box.set_classes("ok")
        elif site.homes:
            text = Text.assemble(
                ("HOLDER: nobody named. ", "bold"),
                "F10: name who takes these items home (unheld laptops do not count).",
            )
            box.set_classes("warn")
        else:
            text = Text.assemble(
                "holder ", lit(holder, "bold"), " (applies at home workplaces only; F10)"
            )
            box.set_classes("info")
        box.update(text)

    def _draw_step(self, step: str) -> None:
        box = self.query_one("#step", Static)
        label = SCREEN_STEP_LABELS[step].upper()
        large = None if step == AUTO else big(label, box.content_region.width)
        if large is not None:
            box.update(Text.assemble(large, "\n", (label, "dim")))
            return
        text = Text(label, "bold")
        if step == AUTO:
            text.append("\n" + (f"last: {self._last_auto}" if self._last_auto else "from manifest"))
            text.stylize("dim", len("AUTO"))
        box.update(text)

    def on_resize(self) -> None:
        # Large letters where they fit: redrawn once the boxes know their new width.
        self.call_after_refresh(self._redraw_station)

    def _redraw_station(self) -> None:
        if self.app.site and self.app.step:
            self._show_site(self.app.site)
            self._draw_step(self.app.step)

    def watch_recorded(self) -> None:
        self._show_counts()

    def watch_problems(self) -> None:
        self._show_counts()

    def _show_counts(self) -> None:
        if self.is_mounted:
            self.query_one("#counts", Static).update(
                Text.assemble(
                    (f"{self.recorded} recorded", "green"),
                    " · ",
                    (f"{self.problems} to check", "red" if self.problems else "dim"),
                    (f"   station {self.app.station} · operator {self.app.operator}", "dim"),
                )
            )

    # --- focus stays on the input -----------------------------------------------------------

    def on_screen_resume(self) -> None:
        self.input.focus()

    def on_descendant_blur(self, event: DescendantBlur) -> None:
        self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        if self.is_current and self.focused is not self.input:
            self.input.focus()

    # --- scans --------------------------------------------------------------------------------

    def on_scan_input_scanned(self, message: ScanInput.Scanned) -> None:
        message.stop()
        self.app.submit_scan(message.code, reply_to=self)

    async def on_scan_input_bound_key(self, message: ScanInput.BoundKey) -> None:
        message.stop()
        await self.app.run_action(message.action, message.namespace)

    def action_undo(self) -> None:
        self.app.submit_undo(reply_to=self)

    def action_holder(self) -> None:
        """Ask who takes the next items scanned at a home workplace (empty: nobody)."""
        from tracker.ui.screens.note import NoteScreen

        question = Text.assemble(
            ("Who takes the items you scan at a home workplace?", "bold"),
            "\nTheir name is recorded with each scan there (empty: nobody).",
        )

        def answered(name: str | None) -> None:
            if name is not None:
                self.app.choose_holder(name)

        self.app.push_screen(NoteScreen(question, self.app.holder, save="Set"), answered)

    def action_count(self) -> None:
        """Ask for a box's label and how many it holds, and record it at this site."""
        from tracker.ui.screens.count import CountScreen

        def answered(count: tuple[str, str] | None) -> None:
            if count is not None:
                self.app.submit_count(*count, reply_to=self)

        site = self.app.plan.sites[self.app.site].name
        self.app.push_screen(CountScreen(site, self._last_box), answered)

    def action_site(self, delta: int) -> None:
        sites = list(self.app.plan.sites)
        index = (sites.index(self.app.site) + delta) % len(sites)
        self.app.choose_station(site=sites[index])

    def action_step(self, delta: int) -> None:
        index = (SCREEN_STEPS.index(self.app.step) + delta) % len(SCREEN_STEPS)
        self.app.choose_station(step=SCREEN_STEPS[index])

    def action_close_audit(self) -> None:
        """Close the current site's stocktake (after asking) and show what it found."""
        from tracker.ui.screens.confirm import ConfirmScreen

        def answered(yes: bool | None) -> None:
            if yes:
                self.app.submit_close_audit(reply_to=self)

        site = self.app.plan.sites[self.app.site].name
        question = Text.assemble(
            "Close the stocktake of\n",
            lit(site, "bold"),
            "?\n\n",
            ("What is recorded there and was not seen is then reported missing.", "dim"),
        )
        self.app.push_screen(ConfirmScreen(question, "Close"), answered)

    def show_note(self, note: str) -> None:
        """Say in the log and the feedback line why the station changed by itself."""
        if self._notes is not None:  # not shown yet: on_mount writes it
            self._notes.append(note)
            return
        self._log("note", note)

    def on_scan_done(self, message: ScanDone) -> None:
        self.handled += 1
        result = message.result
        if result is None:
            kind, text = "error", f"{message.code!r}: {message.error}"
        elif message.undo:
            kind = "undo" if result.outcome == "recorded" else "noundo"
            text = result.message
        elif result.outcome == "recorded" and result.flag:
            kind, text = "flagged", result.message
        else:
            kind, text = result.outcome, result.message
        if kind in ("recorded", "flagged", "found", "unexpected"):
            self.recorded += 1
        asset = result.asset if result is not None else None
        box = asset is not None and getattr(self.app.plan.kinds.get(asset.kind), "stock", False)
        if box and message.step != COUNT:
            self._last_box = asset.tag
        if kind in PROBLEMS:
            self.problems += 1
            self.app.alert()
        auto_recorded = message.step == AUTO and kind in ("recorded", "flagged")
        if auto_recorded and result is not None and result.asset is not None:
            self._last_auto = STEP_LABELS[result.asset.step].upper()
            if self.app.step == AUTO:
                self._draw_step(AUTO)
        hint = "   F12: count what it holds" if box and message.step != COUNT else ""
        self._log(kind, text, hint)

    def _log(self, kind: str, text: str, hint: str = "") -> None:
        """A line in the log and the feedback panel, with the outcome's word and colour."""
        label, style, css = OUTCOME[kind]
        when = timefmt.clock(self.app.clock())
        # A grid, so a message that wraps at 80 columns stays indented under its own text.
        line = Table.grid(padding=(0, 1), expand=True)
        line.add_column(no_wrap=True)
        line.add_column(width=12 if label == "NOT RECORDED" else 8, no_wrap=True)
        line.add_column(ratio=1, overflow="fold")
        line.add_row(Text(when, "dim"), Text(label, style), lit(text))
        log = self.query_one(RichLog)
        # Wrap at the log's own width (RichLog otherwise measures against the console's).
        log.write(line, width=log.scrollable_content_region.width or None)
        feedback = self.query_one("#feedback", Static)
        feedback.update(Text.assemble((f"{label}  ", "bold"), lit(text), (hint, "dim")))
        feedback.set_classes(css)
