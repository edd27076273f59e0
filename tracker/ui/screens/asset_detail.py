"""One asset: its fields, its QR code drawn in the terminal, and its event history; and what
can be done to it from here (mark faulty or missing, edit notes, write its label to a file),
through the same domain functions as the CLI (`tracker.marks`, `tracker.labels`)."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from tracker import codes, marks, store
from tracker.database import Database
from tracker.scan import STEP_LABELS
from tracker.timefmt import local_time
from tracker.ui.messages import AssetDetail, Done
from tracker.ui.render import VERDICT_STYLE, lit
from tracker.ui.widgets.qr import QRCode, qr_matrix

FLAG_WORDS = {
    "wrong_site": "wrong site",
    "not_in_manifest": "not in manifest",
    "unexpected_site": "unexpected here (stocktake)",
}


def claim_file(folder: Path, stem: str, suffix: str) -> Path:
    """A new file name in `folder`, created empty to claim it (`-2`, `-3`, ... if taken)."""
    n = 1
    while True:
        path = folder / f"{stem}{f'-{n}' if n > 1 else ''}.{suffix}"
        try:
            with path.open("x"):
                return path
        except FileExistsError:
            n += 1


def when(at: str | None) -> str:
    return local_time(at, missing="")


class AssetDetailScreen(Screen):
    """Opened from the assets table; Escape goes back to it."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="detail.back"),
        Binding("f", "mark('faulty')", "Faulty", id="detail.faulty"),
        Binding("m", "mark('missing')", "Missing", id="detail.missing"),
        Binding("n", "notes", "Notes", id="detail.notes"),
        Binding("p", "label('png')", "Label PNG", id="detail.label_png"),
        Binding("d", "label('pdf')", "Label PDF", id="detail.label_pdf"),
    ]
    asset: store.Asset | None = None
    """The asset as last read (None until then, or when it is gone)."""

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            with Horizontal(id="detail-top"):
                yield Static("reading…", id="detail-info")
                yield Static(id="detail-qr")
            yield Static(id="detail-history")
        yield Footer()

    def on_mount(self) -> None:
        self.app.submit(self._read, reply_to=self)
        self.watch(self.app, "overview", self._reload, init=False)

    def _reload(self) -> None:
        self.app.submit(self._read, reply_to=self)

    def _read(self, db) -> AssetDetail:
        asset = store.asset_by_tag(db, self.tag)
        kiosk = store.kiosk_history(db, self.tag, limit=10) if asset else []
        return AssetDetail(self.tag, asset, store.history(db, self.tag) if asset else [], kiosk)

    # --- actions ------------------------------------------------------------------------------

    def action_mark(self, step: str) -> None:
        from tracker.ui.screens.note import NoteScreen

        if self.asset is None:
            return
        question = Text.assemble(
            "Mark ", lit(self.asset.tag, "bold"), f" {step.upper()}? Why (a note, optional):"
        )

        def answered(note: str | None) -> None:
            if note is not None:
                self.app.submit(partial(self._mark, step, note), writes=True)

        self.app.push_screen(NoteScreen(question, save=f"Mark {step}"), answered)

    def action_notes(self) -> None:
        from tracker.ui.screens.note import NoteScreen

        if self.asset is None:
            return
        question = Text.assemble("Notes of ", lit(self.asset.tag, "bold"), ":")

        def answered(notes: str | None) -> None:
            if notes is not None:
                self.app.submit(partial(self._notes, notes), writes=True)

        self.app.push_screen(NoteScreen(question, self.asset.notes), answered)

    def action_label(self, fmt: str) -> None:
        if self.asset is not None:
            self.app.submit(partial(self._label, fmt, Path(self.app.report_dir)))

    # Jobs for the database worker: they return the message the app shows.

    def _mark(self, step: str, note: str, db: Database) -> Done:
        try:
            marked = marks.mark(
                db,
                self.app.plan,
                self.tag,
                step,
                note,
                operator=self.app.operator,
                station=self.app.station,
            )
        except marks.MarkError as e:
            return Done(str(e), error=True)
        return Done(marked.message)

    def _notes(self, notes: str, db: Database) -> Done:
        try:
            marks.set_notes(db, self.tag, notes)
        except marks.MarkError as e:
            return Done(str(e), error=True)
        return Done(f"notes of {self.tag} saved")

    def _label(self, fmt: str, folder: Path, db: Database) -> Done:
        from tracker.labels import make

        asset = store.asset_by_tag(db, self.tag)
        if asset is None:
            return Done(f"no asset with tag {self.tag!r} any more", error=True)
        label = make.asset_label(asset, self.app.plan)
        try:
            path = claim_file(folder, f"label-{label.payload}", fmt)
            try:
                make.write([label], path)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        except (OSError, make.LabelError) as e:
            return Done(f"label not written: {e}", error=True)
        return Done(f"label of {self.tag} written to {path}")

    def on_asset_detail(self, detail: AssetDetail) -> None:
        info = self.query_one("#detail-info", Static)
        a = self.asset = detail.asset
        if a is None:
            info.update(Text.assemble("No asset with tag ", lit(detail.tag, "bold"), " any more."))
            return
        plan = self.app.plan
        fields = Table.grid(padding=(0, 1))
        fields.add_column(style="dim", no_wrap=True)
        fields.add_column()
        kind = plan.kinds[a.kind].name if a.kind in plan.kinds else a.kind
        for label, value in (
            ("Tag", lit(a.tag, "bold")),
            ("Name", lit(a.name)),
            ("Kind", lit(kind)),
            ("Serial", lit(a.serial)),
            *(
                (label, lit(value))
                for label, value in (
                    ("Manufacturer", a.manufacturer),
                    ("Model", a.model),
                    ("Purchased", a.purchase_date),
                )
                if value  # shown when the inventory had them, e.g. imported from Snipe-IT
            ),
            ("Host", lit(a.hostname)),
            ("Site", lit(plan.sites[a.site].name if a.site in plan.sites else a.site)),
            ("Step", lit(STEP_LABELS.get(a.step, a.step))),
            (
                "Home",
                lit(plan.sites[a.home_site].name if a.home_site in plan.sites else a.home_site),
            ),
            ("Last seen", when(a.last_seen) or "never scanned"),
            ("Notes", lit(a.notes)),
            ("Label", lit(codes.asset_payload(a.tag))),
        ):
            fields.add_row(label, value)
        info.update(fields)
        self.query_one("#detail-qr", Static).update(QRCode(qr_matrix(codes.asset_payload(a.tag))))
        self.query_one("#detail-history", Static).update(self._history(detail))

    def _history(self, detail: AssetDetail) -> Table:
        plan = self.app.plan
        table = Table(
            box=None, expand=True, title="History", title_justify="left", title_style="bold"
        )
        table.add_column("When", no_wrap=True)
        table.add_column("Action", no_wrap=True)
        table.add_column("Step", no_wrap=True)
        table.add_column("Site", no_wrap=True, overflow="ellipsis")
        table.add_column("By", no_wrap=True, overflow="ellipsis")
        table.add_column("Note", overflow="fold")
        for e in reversed(detail.history):
            note = FLAG_WORDS.get(e["flag"], e["flag"])
            if e.get("note"):
                note = (note + ": " if note else "") + e["note"]
            if e["undone_by"]:
                note = (note + ", " if note else "") + "undone"
            site = plan.sites[e["site"]].name if e["site"] in plan.sites else e["site"]
            table.add_row(
                when(e["at"]),
                lit(e["action"]),
                lit(STEP_LABELS.get(e["step"], e["step"])),
                lit(site),
                Text.assemble(lit(e["operator"]), "@", lit(e["station"])),
                lit(note, "bold red" if e["flag"] else "dim"),
            )
        if not detail.history:
            table.add_row("", Text("never scanned", "dim"))
        for k in detail.kiosk:
            table.add_row(
                when(k["checked_at"]),
                "kiosk check",
                Text(k["verdict"].upper(), VERDICT_STYLE.get(k["verdict"], "bold red")),
                lit(k["host"]),
                "",
                lit(k["detail"], limit=60),
            )
        return table
