"""What every subcommand shares: the plan and database context, output, exit codes."""

from __future__ import annotations

import os
import sys
from typing import Any

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class Context:
    """What every subcommand needs: the plan and the database, opened on first use."""

    def __init__(self, db_path: str, plan_path: str | None, seed: bool = True) -> None:
        self.db_path = db_path
        self.plan_path = plan_path
        self.seed = seed
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
            from tracker.inventory import seed

            fresh = self.db_path == ":memory:" or not os.path.exists(self.db_path)
            self._db = store.open_db(self.db_path)
            if fresh and self.seed:
                seeded = seed.seed_if_empty(self._db, self.plan)
                if seeded:
                    print(f"tracker: new database {self.db_path}, {seeded}", file=sys.stderr)
        return self._db


def out(text: str = "") -> None:
    print(text)


def err(text: str) -> None:
    print(f"tracker: {text}", file=sys.stderr)
