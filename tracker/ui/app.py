"""The terminal app: screens as modes, what the keys do, and the entry point `run_app`.

All database work goes through the one database worker (`db_worker.DatabaseWorker`, group
"db"), in the order the user caused it; the jobs it runs for scenarios and the report are
here, those of the scan station in `scan_station`, the dashboard's reads in `jobs`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tracker import moves, scan, store, timefmt
from tracker.database import Database
from tracker.plan import Plan
from tracker.textsafe import one_line
from tracker.ui import jobs
from tracker.ui.db_worker import POLL_SECONDS, DatabaseWorker
from tracker.ui.messages import Done, OverviewReady
from tracker.ui.scan_station import ScanStation
from tracker.ui.terminal import MIN_SIZE


class TrackerApp(ScanStation, DatabaseWorker, App[int]):
    """Dashboard, scan, assets and plan over one tracker database."""

    CSS_PATH = "tracker.tcss"
    TITLE = "tracker"
    MODES = {"dashboard": "dashboard", "scan": "scan", "assets": "assets", "plan": "plan"}
    BINDINGS = [
        Binding("f1", "help", "Help", id="help"),
        Binding("f2", "switch_mode('dashboard')", "Dashboard", id="dashboard"),
        Binding("f3", "switch_mode('scan')", "Scan", id="scan"),
        Binding("f4", "switch_mode('assets')", "Assets", id="assets"),
        Binding("f5", "switch_mode('plan')", "Plan", id="plan"),
        Binding("f9", "report", "Report", id="report"),
        Binding("ctrl+q", "quit", "Quit", priority=True, id="quit"),
    ]

    overview: reactive[jobs.Overview | None] = reactive(None, init=False)
    """The dashboard's latest data; None until the worker's first read."""
    site: reactive[str] = reactive("", init=False)
    """The scan station's current site, as the scan screen shows it."""
    step: reactive[str] = reactive("", init=False)
    """The step the scan station applies to each scanned asset."""
    holder: reactive[str] = reactive("", init=False)
    """Who takes the items scanned at a home workplace ('' while nobody is named)."""
    too_small: reactive[bool] = reactive(False, init=False)
    """True while the terminal is smaller than MIN_SIZE (a message covers the screen)."""

    def __init__(
        self,
        db_path: str | Path,
        plan: Plan,
        *,
        mode: str = "dashboard",
        site: str | None = None,
        step: str | None = None,
        operator: str | None = None,
        station: str | None = None,
        clock: Callable[[], datetime] | None = None,
        cursor_blink: bool = True,
        poll_seconds: float = POLL_SECONDS,
        report_dir: str | Path | None = None,
        kiosk_check_minutes: float | None = None,
    ) -> None:
        super().__init__()
        self.db_path = str(db_path)
        self.plan = plan
        self.start_mode = mode
        self.operator = scan.default_operator() if operator is None else operator
        self.station = scan.default_station() if station is None else station
        self.clock = clock or (lambda: datetime.now(UTC))
        self.cursor_blink = cursor_blink
        self.poll_seconds = poll_seconds
        self.report_dir = Path(report_dir) if report_dir else Path.cwd()
        self.kiosk_check_minutes = kiosk_check_minutes
        self.bells = 0
        """How many times the app rang the bell (tests read it; headless has no sound)."""
        first_site = site or next(iter(plan.sites))
        first_step = step or "packed"
        scan.check_site_step(plan, first_site, first_step)
        self.set_reactive(TrackerApp.site, first_site)
        self.set_reactive(TrackerApp.step, first_step)
        self.start_station(first_site, first_step)

    # --- start and stop -------------------------------------------------------------------

    def on_mount(self) -> None:
        from tracker.ui.screens.assets import AssetsScreen
        from tracker.ui.screens.dashboard import DashboardScreen
        from tracker.ui.screens.plan import PlanScreen
        from tracker.ui.screens.scan import ScanScreen

        self.install_screen(DashboardScreen(), "dashboard")
        self.install_screen(ScanScreen(), "scan")
        self.install_screen(AssetsScreen(), "assets")
        self.install_screen(PlanScreen(), "plan")
        self.switch_mode(self.start_mode)
        self.start_db_worker()
        self._check_size()
        if self.kiosk_check_minutes:
            self.set_interval(self.kiosk_check_minutes * 60, self.action_check_kiosks)
            self.action_check_kiosks()

    def on_unmount(self) -> None:
        self.stop_db_worker()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures end up: say what failed, keep the app usable."""
        if event.state is not WorkerState.ERROR:
            return
        error = one_line(event.worker.error)
        what = "database error" if event.worker.group == "db" else f"{event.worker.name} failed"
        self.notify(f"{what}: {error}", severity="error", timeout=15, markup=False)
        if event.worker.group == "db":
            self.db_worker_failed(error)

    # --- scenarios and the report ---------------------------------------------------------

    def start_scenario(self, scenario_id: str) -> None:
        def run(db: Database) -> Done:
            try:
                move = moves.start(db, self.plan, scenario_id, operator=self.operator)
            except moves.MoveError as e:
                return Done(str(e), error=True)
            items = moves.manifest(db, move)
            name = self.plan.scenarios[scenario_id].name
            return Done(f"started {name}: {len(items)} item(s) to move")

        self.submit(run, writes=True)

    def end_scenario(self) -> None:
        def run(db: Database) -> Done:
            try:
                move = moves.end(db, operator=self.operator)
            except moves.MoveError as e:
                return Done(str(e), error=True)
            left = len(moves.manifest(db, move))
            return Done(f"ended {move.scenario}: {left} item(s) to bring home ({move.status})")

        self.submit(run, writes=True)

    def action_report(self) -> None:
        """Write the readiness report (tracker.report) into the working folder."""
        stamp = timefmt.to_local(self.clock()).strftime("%Y%m%d-%H%M%S")

        def run(db: Database) -> Done:
            from tracker.report.build import write_report

            try:
                path = new_report_path(self.report_dir, stamp)
            except OSError as e:
                return Done(f"readiness report not written: {e}", error=True)
            try:
                write_report(db, self.plan, path)
            except OSError as e:
                path.unlink(missing_ok=True)
                return Done(f"readiness report not written: {e}", error=True)
            return Done(f"readiness report written to {path}")

        self.notify("writing the readiness report…", timeout=2)
        self.submit(run)

    def action_check_kiosks(self) -> None:
        """Check every kiosk over SSH in the background (tracker.fleet); skip if one runs."""
        if any(w.group == "kiosks" and not w.is_finished for w in self.workers):
            return
        self._check_kiosks()

    @work(thread=True, group="kiosks", exit_on_error=False, name="kiosk checks")
    def _check_kiosks(self) -> None:
        # Network-bound and slow: its own group and its own connection (check_kiosks opens
        # one), so scans never wait behind it; results reach the dashboard by data_version.
        from tracker.fleet import checks

        try:
            results = checks.check_kiosks(self.db_path, self.plan)
        except checks.FleetError as e:  # no SSH key, bad settings: say so, it is no DB error
            self.post_message(Done(f"kiosk checks not run: {e}", error=True))
            return
        counts = checks.Counts.of(results)
        failing = any(r.verdict in checks.FAILING for r in results)
        self.post_message(Done(f"kiosk checks: {counts}", error=failing))

    def on_done(self, message: Done) -> None:
        if message.error:
            self.alert()
        self.notify(
            one_line(message.text),
            severity="error" if message.error else "information",
            timeout=10,
            markup=False,
        )

    def on_overview_ready(self, message: OverviewReady) -> None:
        self.overview = message.overview

    # --- keys, help, size -----------------------------------------------------------------

    def alert(self) -> None:
        """Ring the terminal bell: a scan needs a second look."""
        self.bells += 1
        self.bell()

    async def action_switch_mode(self, mode: str) -> None:
        if self.too_small:
            return
        await self.switch_mode(mode)

    def action_help(self) -> None:
        from tracker.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, title, help_text in (
            ("dashboard", "Dashboard", "Readiness per site, manifest, kiosks, exceptions"),
            ("scan", "Scan", "Record scans at the current site and step"),
            ("assets", "Assets", "Search and sort the inventory"),
            ("plan", "Plan", "Functions, scenarios and contacts"),
        ):
            yield SystemCommand(title, help_text, partial(self.run_action, f"switch_mode({key!r})"))
        from tracker.ui.screens.scan import ScanScreen

        if isinstance(screen, ScanScreen):
            yield SystemCommand(
                "Set the holder",
                "Name who takes the items scanned at a home workplace (F10)",
                screen.action_holder,
            )
            yield SystemCommand(
                "Count a box",
                "Record how many a box of stock holds, at the current site (F12)",
                screen.action_count,
            )
            yield SystemCommand(
                "Close the stocktake",
                "End the current site's stocktake and show found/missing/unexpected (F11)",
                screen.action_close_audit,
            )
        yield SystemCommand("Help", "Keys and how to scan", self.action_help)
        yield SystemCommand(
            "Check kiosks now",
            "Run the kiosk check on every self-service PC (SSH)",
            self.action_check_kiosks,
        )
        yield SystemCommand(
            "Readiness report", "Write the HTML report for the crisis staff", self.action_report
        )

    def on_resize(self, event: events.Resize) -> None:
        self._check_size(event.size)

    def _check_size(self, size: tuple[int, int] | None = None) -> None:
        from tracker.ui.screens.help import TooSmallScreen

        width, height = size or self.size
        small = width < MIN_SIZE[0] or height < MIN_SIZE[1]
        if small and not self.too_small:
            self.push_screen(TooSmallScreen())
        elif not small and self.too_small and isinstance(self.screen, TooSmallScreen):
            self.pop_screen()
        self.too_small = small


def new_report_path(folder: Path, stamp: str) -> Path:
    """A report file name nobody has used, created empty to claim it: F9 twice in one second
    (or a report left from earlier) gets `-2`, `-3`, ... instead of being replaced."""
    n = 1
    while True:
        path = folder / f"readiness-report-{stamp}{f'-{n}' if n > 1 else ''}.html"
        try:
            with path.open("x"):
                return path
        except FileExistsError:
            n += 1


def make_app(db_path: str | Path, plan: Plan, **options: Any) -> TrackerApp:
    """The app over `db_path` (already created and migrated); see TrackerApp for options."""
    return TrackerApp(db_path, plan, **options)


def background_kiosk_checks(env: Mapping[str, str]) -> bool:
    """Whether the app checks the kiosks on the plan's interval.

    On once kiosk SSH is set up (TRACKER_SSH_IDENTITY names the tracker's key): then the checks
    can succeed, and a self-service PC only counts while its check is fresh. Off otherwise, so a
    laptop without the key does not reach out to every kiosk in vain.
    TRACKER_APP_KIOSK_CHECKS=1 or 0 overrides either way (1 with keys in ssh-agent).
    """
    flag = env.get("TRACKER_APP_KIOSK_CHECKS", "").strip().lower()
    if flag:
        return flag not in ("0", "no", "false", "off")
    return bool(env.get("TRACKER_SSH_IDENTITY"))


def run_app(ctx: Any, scan_site: str | None = None, scan_step: str | None = None) -> int:
    """`tracker` without a command, or `tracker scan --site S --step P` without a code."""
    import sys

    # Opening both here, before Textual takes the terminal, turns a broken plan or database
    # into the CLI's one-line message (PlanError / StoreError) instead of a traceback.
    plan = ctx.plan
    db = ctx.db
    if store.db_file(db) == "":
        print("tracker: the terminal app needs a database file, not :memory:", file=sys.stderr)
        return 2
    # The move decides the step while a scenario is active (autostep); otherwise packing.
    scan_step = scan_step or (scan.AUTO if moves.current_move(db) else "packed")
    if scan_site is not None:
        try:
            scan.check_site_step(plan, scan_site, scan_step)
        except scan.ScanError as e:
            print(f"tracker: {e}", file=sys.stderr)
            return 2
    interval = plan.kiosk_interval_minutes if background_kiosk_checks(os.environ) else None
    app = make_app(
        ctx.db_path,
        plan,
        mode="scan" if scan_site else "dashboard",
        site=scan_site,
        step=scan_step,
        kiosk_check_minutes=interval,
    )
    result = app.run()
    if app.return_code not in (None, 0):
        return app.return_code
    return 0 if result is None else int(result)
