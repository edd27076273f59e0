"""Seeding a new database from the sample inventory, so the first run shows a real picture."""

from __future__ import annotations

import os
from pathlib import Path

from sqlite_utils import Database

from tracker.plan import Plan

SAMPLE_NAME = "assets.csv"


def sample_inventory() -> Path | None:
    """assets.csv in the working folder, else the one beside the package (a source checkout)."""
    env = os.environ.get("TRACKER_SEED_CSV")
    candidates = [Path(env)] if env else []
    candidates += [Path.cwd() / SAMPLE_NAME, Path(__file__).resolve().parents[2] / SAMPLE_NAME]
    return next((p for p in candidates if p.is_file()), None)


def seed_if_empty(db: Database, plan: Plan) -> str:
    """Import the sample inventory into an empty database; says what it did ('' if nothing)."""
    from tracker.inventory.importer import import_file

    if db.execute("SELECT count(*) FROM assets").fetchone()[0]:
        return ""
    path = sample_inventory()
    if path is None:
        return ""
    result = import_file(db, plan, path, sample=True)
    if not result.ok:
        return f"not seeded: {path} has {len(result.errors)} bad row(s): {result.errors[0]}"
    return f"seeded with {result.created} assets from {path}"
