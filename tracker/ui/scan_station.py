"""The scan station's jobs: scans, counts, undo, and its site, step and holder.

A mixin for the App. Each change of site, step or holder is shown at once (the App's reactives)
and applied by a job in the database worker's queue, so it takes effect exactly between the
scans typed before and after it; the worker keeps its own copies (`_worker_site`, ...) for that.

A scenario that starts (in the app or in another process) switches the step to AUTO, noticed
before the next scan or step change and after every write: an explicit step left from before
would record "packed" at the destination. A step chosen after the start is kept. STOCKTAKE is
kept too (it changes no step, and switching in the middle of a walk would move items).

In STOCKTAKE, F8 takes nothing back (a sighting cannot be undone, and the station's older move
scan must not be); a site label closes the stocktake of the site left behind when only this
station scanned in it, and says why when it leaves one open.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump

from tracker import audit, moves, scan, stock
from tracker.database import Database
from tracker.plan import Plan
from tracker.ui import jobs
from tracker.ui.messages import CLOSE, COUNT, ScanDone, StationChanged

_UNSEEN = object()
"""The worker has not looked at the current move yet."""


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
    notify: Callable[..., None]
    get_screen: Callable[[str], Any]

    def start_station(self, site: str, step: str) -> None:
        """The worker's copies: changed only by jobs, so a site label scanned just before an
        asset applies to that asset even when the UI has not caught up yet."""
        self._worker_site = site
        self._worker_step = step
        self._worker_holder = ""
        self._worker_move: object = _UNSEEN

    def db_changed(self, db: Database) -> Message | None:
        """Called by the database worker when it opens and after every write (here or in
        another process): follow a scenario that started."""
        return self._follow_move(db)

    def _follow_move(self, db: Database) -> StationChanged | None:
        """Switch the step to AUTO when a new move is current; the first look only notes it
        (the app was started on the step the user asked for)."""
        move = moves.current_move(db)
        move_id = move.id if move else None
        known, self._worker_move = self._worker_move, move_id
        if known is _UNSEEN or move_id == known or move is None:
            return None
        step = self._worker_step
        if step == scan.AUTO:
            return None
        scenario = self.plan.scenarios.get(move.scenario)
        name = scenario.name if scenario else move.scenario
        if step == jobs.AUDIT:
            note = f"scenario {name} started; the stocktake goes on (F7 reaches AUTO)"
            return StationChanged(self._worker_site, step, note=note)
        self._worker_step = scan.AUTO
        was = scan.STEP_LABELS.get(step, step).upper()
        note = (
            f"scenario {name} started: the step switched from {was} to AUTO, the manifest"
            " decides each step (F7 chooses one)"
        )
        return StationChanged(self._worker_site, scan.AUTO, note=note)

    def _follow(self, db: Database) -> None:
        if (changed := self._follow_move(db)) is not None:
            self.post_message(changed)

    def submit_scan(self, code: str, reply_to: MessagePump) -> None:
        def failed(error: str) -> ScanDone:
            return ScanDone(code, self.site, self.step, None, error=error)

        job = partial(self._scan_job, code, reply_to)
        self.submit(job, writes=True, reply_to=reply_to, failed=failed)

    def _scan_job(self, code: str, reply_to: MessagePump, db: Database) -> ScanDone:
        self._follow(db)
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
            if step == jobs.AUDIT and result.site_id != site:
                reply_to.post_message(self._leave_audit(db, site))
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

    def _leave_audit(self, db: Database, site: str) -> ScanDone:
        """A site label in STOCKTAKE: close the stocktake of the site left behind if only this
        station scanned in it; else leave it open and say so (never a silent pile-up)."""
        name = self.plan.sites[site].name
        seen_by = audit.stations(db, site)
        if not seen_by:
            text = f"no stocktake of {name} to close: nothing was seen there from here"
            return ScanDone("", site, CLOSE, scan.ScanResult("empty", "", text))
        others = [s for s in seen_by if s != self.station]
        if others:
            text = (
                f"the stocktake of {name} stays open: {', '.join(others)} scanned there too"
                f" (close it there with F11, or: tracker audit close {site})"
            )
            return ScanDone("", site, CLOSE, scan.ScanResult("open", "", text))
        closed = audit.close(db, self.plan, site, operator=self.operator)
        text = audit.summary(self.plan, closed)
        return ScanDone("", site, CLOSE, scan.ScanResult("closed", "", text))

    def submit_close_audit(self, reply_to: MessagePump) -> None:
        """Close the open stocktake of the station's site (`audit.close`) and show its summary."""

        def close(db: Database) -> ScanDone:
            site = self._worker_site
            try:
                closed = audit.close(db, self.plan, site, operator=self.operator)
            except audit.AuditError as e:
                return ScanDone("", site, CLOSE, scan.ScanResult("empty", "", str(e)))
            text = audit.summary(self.plan, closed)
            return ScanDone("", site, CLOSE, scan.ScanResult("closed", "", text))

        def failed(error: str) -> ScanDone:
            return ScanDone("", self.site, CLOSE, None, error=error)

        self.submit(close, writes=True, reply_to=reply_to, failed=failed)

    def submit_undo(self, reply_to: MessagePump) -> None:
        def undo(db: Database) -> ScanDone:
            self._follow(db)
            if self._worker_step == jobs.AUDIT:
                # undo_last only knows move scans: here it would take back the station's older
                # move scan, minutes old, while the person means the sighting just made.
                text = (
                    "nothing to undo in a stocktake: a sighting is not taken back, and F8 here"
                    " never undoes an earlier move scan (F7 to a step first for that)"
                )
                result = scan.ScanResult("empty", "", text)
                return ScanDone("", self._worker_site, jobs.AUDIT, result, undo=True)
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

        def apply(db: Database) -> StationChanged:
            self._follow(db)  # a scenario started before this choice: the choice wins
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
        if message.note:
            # Said where the user is (a toast, e.g. on the plan screen) and in the scan log.
            self.notify(message.note, timeout=10, markup=False)
            self.get_screen("scan").show_note(message.note)
