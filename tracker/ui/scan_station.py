"""The scan station's jobs: scans, counts, undo, and its site, step and holder.

A mixin for the App. Each change of site, step or holder is shown at once (the App's reactives)
and applied by a job in the database worker's queue, so it takes effect exactly between the
scans typed before and after it; the worker keeps its own copies (`_worker_site`, ...) for that.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlite_utils import Database
from textual.message import Message
from textual.message_pump import MessagePump

from tracker import scan, stock
from tracker.plan import Plan
from tracker.ui import jobs
from tracker.ui.messages import COUNT, ScanDone, StationChanged


class ScanStation:
    """Called by the scan screen; the App provides the reactives `site`, `step`, `holder` and
    `submit` (db_worker), `plan`, `operator`, `station`."""

    # Provided by the App (declared for readers and type checkers).
    plan: Plan
    operator: str
    station: str
    site: str
    step: str
    holder: str
    submit: Callable[..., None]
    post_message: Callable[[Message], bool]

    def start_station(self, site: str, step: str) -> None:
        """The worker's copies: changed only by jobs, so a site label scanned just before an
        asset applies to that asset even when the UI has not caught up yet."""
        self._worker_site = site
        self._worker_step = step
        self._worker_holder = ""

    def submit_scan(self, code: str, reply_to: MessagePump) -> None:
        def failed(error: str) -> ScanDone:
            return ScanDone(code, self.site, self.step, None, error=error)

        self.submit(partial(self._scan_job, code), writes=True, reply_to=reply_to, failed=failed)

    def _scan_job(self, code: str, db: Database) -> ScanDone:
        site, step = self._worker_site, self._worker_step
        # The holder names who takes items home: it applies at home workplaces only, so a
        # name left set does not follow a laptop scanned back in at the town hall.
        holder = self._worker_holder if self.plan.sites[site].homes else ""
        try:
            if step == jobs.AUDIT:
                result = jobs.audit_scan(
                    db, self.plan, site, code, operator=self.operator, station=self.station
                )
            else:
                result = scan.scan(
                    db,
                    self.plan,
                    code,
                    site=site,
                    step=step,
                    operator=self.operator,
                    station=self.station,
                    holder=holder or None,
                )
        except Exception as e:  # the scan is not recorded: tell the user, keep scanning
            return ScanDone(code, site, step, None, error=str(e))
        if result.outcome == "site" and result.site_id:
            self._worker_site = result.site_id
            self.post_message(StationChanged(self._worker_site, self._worker_step))
        if result.outcome == "step" and result.step_id:  # a step card
            self._worker_step = result.step_id
            self.post_message(StationChanged(self._worker_site, self._worker_step))
        return ScanDone(code, site, step, result)

    def submit_count(self, code: str, quantity: str, reply_to: MessagePump) -> None:
        """Record that the box `code` names holds `quantity` at the station's site
        (`stock.count`, as `tracker count`); the answer comes back as a ScanDone."""

        def count(db: Database) -> ScanDone:
            site = self._worker_site
            try:
                result = stock.count(
                    db,
                    self.plan,
                    code,
                    quantity,
                    site=site,
                    operator=self.operator,
                    station=self.station,
                )
            except scan.ScanError as e:  # a bad quantity: nothing recorded, say why
                return ScanDone(code, site, COUNT, None, error=str(e))
            return ScanDone(code, site, COUNT, result)

        def failed(error: str) -> ScanDone:
            return ScanDone(code, self.site, COUNT, None, error=error)

        self.submit(count, writes=True, reply_to=reply_to, failed=failed)

    def choose_holder(self, holder: str) -> None:
        """Name who takes the next items scanned at a home workplace ('' names nobody);
        shown at once, applied from the next scan on (in scan order)."""
        holder = holder.strip()
        self.holder = holder

        def apply(_db: Database) -> None:
            self._worker_holder = holder

        self.submit(apply)

    def submit_undo(self, reply_to: MessagePump) -> None:
        def undo(db: Database) -> ScanDone:
            result = scan.undo_last(db, self.plan, station=self.station, operator=self.operator)
            return ScanDone("", self._worker_site, self._worker_step, result, undo=True)

        def failed(error: str) -> ScanDone:
            return ScanDone("", self.site, self.step, None, error=error, undo=True)

        self.submit(undo, writes=True, reply_to=reply_to, failed=failed)

    def choose_station(self, site: str | None = None, step: str | None = None) -> None:
        """Change the scan station's site or step (shown at once, applied in scan order)."""
        if site:
            self.site = site
        if step:
            self.step = step

        def apply(_db: Database) -> StationChanged:
            if site:
                self._worker_site = site
            if step:
                self._worker_step = step
            # The screen follows the worker, so it ends on the site scans are recorded at even
            # when a site label and F6 cross.
            return StationChanged(self._worker_site, self._worker_step)

        self.submit(apply)

    def on_station_changed(self, message: StationChanged) -> None:
        self.site, self.step = message.site, message.step
