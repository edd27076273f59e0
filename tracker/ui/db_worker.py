"""The app's one database worker: a long-lived thread with its own connection, fed by a queue.

Jobs are taken from a FIFO queue in the order the user caused them, so scans are recorded in
the order they were typed, and the UI thread never waits on a lock (a sqlite connection cannot
cross threads, so all app DB work goes through this one thread worker, group "db"). Between
jobs the worker watches `PRAGMA data_version` (constant cost) to notice writes by other
processes and posts a fresh dashboard overview.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import work
from textual.message import Message
from textual.message_pump import MessagePump
from textual.worker import get_current_worker

from tracker import faults, store
from tracker.database import Database
from tracker.plan import Plan
from tracker.textsafe import one_line
from tracker.ui import jobs
from tracker.ui.messages import Done, OverviewReady

POLL_SECONDS = 0.5
"""How often the worker checks for writes by other processes (the dashboard's 2 s promise)."""
SETTLE_SECONDS = 0.05
"""During a burst of scans, wait this long for the next job before refreshing the dashboard."""
REFRESH_SECONDS = 60.0
"""Without writes, the overview is still re-read this often: replication age, kiosk ages."""
MAX_RESTARTS = 3
"""A failed worker loop is restarted this often before the app says the database is gone."""


@dataclass(frozen=True)
class Job:
    """A function run in the database worker; its returned message goes to `reply_to`."""

    run: Callable[[Database], Message | None]
    writes: bool = False
    reply_to: MessagePump | None = None
    failed: Callable[[str], Message] | None = None
    """The answer when `run` raises or the worker is gone, so a scan is never silently lost."""

    def failure(self, error: str) -> Message:
        return self.failed(error) if self.failed else Done(f"not done: {error}", error=True)


_STOP = object()


class DatabaseWorker:
    """Mixin for the App: `submit` queues jobs, one thread worker (group "db") runs them.

    The App provides `db_path`, `plan`, `poll_seconds` and `alert()`, calls `start_db_worker`
    on mount and `stop_db_worker` on unmount, and passes failures of the "db" group from its
    one `Worker.StateChanged` handler to `db_worker_failed`.
    """

    # Provided by the App (declared for readers and type checkers).
    db_path: str
    plan: Plan
    poll_seconds: float
    post_message: Callable[[Message], bool]
    alert: Callable[[], None]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._jobs: queue.SimpleQueue[Job | object] = queue.SimpleQueue()
        self._db_restarts = 0
        self._db_dead = ""
        """Why the database worker stopped for good ('' while it runs)."""

    def start_db_worker(self) -> None:
        self._db_loop()

    def stop_db_worker(self) -> None:
        self._jobs.put(_STOP)

    def submit(
        self,
        run: Callable[[Database], Message | None],
        *,
        writes: bool = False,
        reply_to: MessagePump | None = None,
        failed: Callable[[str], Message] | None = None,
    ) -> None:
        """Queue `run` for the database worker; jobs run one at a time, in order."""
        job = Job(run, writes, reply_to, failed)
        if self._db_dead:
            (reply_to or self).post_message(job.failure(self._db_dead))
        else:
            self._jobs.put(job)

    @work(thread=True, exclusive=True, group="db", exit_on_error=False, name="database")
    def _db_loop(self) -> None:
        worker = get_current_worker()
        db = store.open_db(self.db_path, create=False)
        try:
            self._db_changed(db)
            last_version: int | None = None
            dirty = True
            last_read = time.monotonic()
            while not worker.is_cancelled:
                try:
                    job = self._jobs.get(timeout=SETTLE_SECONDS if dirty else self.poll_seconds)
                except queue.Empty:
                    job = None
                if job is _STOP:
                    return
                if isinstance(job, Job):
                    try:
                        message = job.run(db)
                    except Exception as e:  # one failed job must not stop the scans behind it
                        message = job.failure(one_line(faults.describe(e, self.db_path)))
                    if message is not None:
                        (job.reply_to or self).post_message(message)
                    dirty = dirty or job.writes
                    continue
                version = store.data_version(db)
                if version != last_version:
                    last_version, dirty = version, True
                if time.monotonic() - last_read > REFRESH_SECONDS:
                    dirty = True
                if dirty:
                    dirty = False
                    last_read = time.monotonic()
                    self._db_changed(db)
                    try:
                        self.post_message(OverviewReady(jobs.overview(db, self.plan)))
                    except Exception as e:
                        self.post_message(Done(f"dashboard not updated: {e}", error=True))
        finally:
            db.close()

    def db_changed(self, db: Database) -> Message | None:
        """Hook: the database was opened or written to; a message returned is posted."""
        return None

    def _db_changed(self, db: Database) -> None:
        try:
            message = self.db_changed(db)
        except Exception as e:  # a failing hook must not stop the scans behind it
            message = Done(f"not done: {one_line(faults.describe(e, self.db_path))}", error=True)
        if message is not None:
            self.post_message(message)

    def db_worker_failed(self, error: str) -> None:
        """The worker loop itself died (e.g. the database could not be opened): restart it a
        few times, then answer every queued and later job (a scan says NOT RECORDED)."""
        if self._db_restarts < MAX_RESTARTS:
            # Queued jobs are still in the queue; a new loop picks them up.
            self._db_restarts += 1
            self._db_loop()
            return
        self._db_dead = f"the database worker stopped ({error})"
        self.alert()
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if isinstance(job, Job):
                (job.reply_to or self).post_message(job.failure(self._db_dead))
