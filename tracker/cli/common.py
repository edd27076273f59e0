"""What every subcommand shares: the plan and database context, output, exit codes."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing costs every command 2 ms to import; annotations only
if TYPE_CHECKING:
    from typing import Any

EXIT_OK = 0
"""Done."""
EXIT_LOOK = 1
"""Done, but a person should look: an unknown code (kept in the log), a flagged or repeated
scan, nothing to undo, a kiosk that is not ok."""
EXIT_USAGE = 2
"""Nothing done: a usage error or bad input (a bad row, a missing file, a refused request)."""
EXIT_NOT_RECORDED = 3
"""Nothing done: the database or the disk could not take it (full, read-only, damaged)."""
EXIT_FAIL = EXIT_LOOK  # the name kiosk code used before the table had four rows


class Context:
    """What every subcommand needs: the plan and the database, opened on first use.

    Only commands that set `create` (the app, `import`) make a missing database; the others
    stop with one line naming the path, so a mistyped --db never builds a believable one."""

    def __init__(
        self, db_path: str, plan_path: str | None, seed: bool = True, create: bool = False
    ) -> None:
        from tracker.files import protect

        self.db_path = db_path
        protect(db_path)  # before any output is written, whether or not the database is opened
        self.plan_path = plan_path
        self.seed = seed
        self.create = create
        self._plan: Any = None
        self._db: Any = None

    @property
    def plan(self) -> Any:
        if self._plan is None:
            from tracker.plan import load_plan

            self._plan = load_plan(self.plan_path)
        return self._plan

    @property
    def db(self) -> Any:
        if self._db is None:
            from tracker import store

            plan = self.plan

            def seed_new(db: Any) -> str:
                # Imported only for a new database: the importer costs an open ~50 ms.
                from tracker.inventory import seed

                return seed.seed_if_empty(db, plan)

            init = seed_new if self.seed else None
            self._db = store.open_db(self.db_path, create=self.create, init=init)
            if self.db_path == ":memory:" and init is not None:
                store.created_messages.append(init(self._db))
            for message in store.created_messages:
                if message:
                    print(f"tracker: new database {self.db_path}, {message}", file=sys.stderr)
            store.created_messages.clear()
        return self._db


def out(text: str = "") -> None:
    print(text)


def out_json(doc: Any) -> None:
    """`doc` as JSON on stdout; on a terminal, bidi overrides and C1 controls in the data are
    shown as escapes (JSON escapes the C0 ones itself), never obeyed."""
    import json

    stream: Any = sys.stdout
    if sys.stdout.isatty():
        from tracker.textsafe import VisibleWriter

        stream = VisibleWriter(sys.stdout)
    json.dump(doc, stream, ensure_ascii=False, indent=2)
    print()


def err(text: str) -> None:
    print(f"tracker: {text}", file=sys.stderr)
