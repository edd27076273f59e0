"""When a large import should drop and build the assets' indexes again (merge.rebuilds).

Run: python3 bench/bench_import_rebuild.py [--runs 2]
For each (assets stored, rows imported), imports new rows into a copy of a database holding
that many assets, once rebuilding the indexes and once keeping them, and prints the best time
of each with what `merge.rebuilds` decides. Building an index costs its whole table; keeping it
costs each row written: rebuilding pays only when the file is a large part of the table.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tracker import store  # noqa: E402
from tracker.inventory import importer, merge  # noqa: E402
from tracker.plan import load_plan  # noqa: E402

CASES = [(0, 10_000), (10_000, 10_000), (20_000, 10_000), (100_000, 50_000),
         (300_000, 10_000), (300_000, 100_000), (300_000, 150_000), (300_000, 300_000)]  # fmt: skip
HEADER = "tag,kind,name,site,step\n"


def _timed(base: Path, csv_path: Path, plan, runs: int, rebuild: bool, tmp: Path) -> float:
    real = importer.rebuilds
    importer.rebuilds = lambda rows, stored: rebuild  # both ways, whatever the rule says
    best = float("inf")
    try:
        for _ in range(runs):
            copy = tmp / "t.db"
            shutil.copy(base, copy)
            db = store.open_db(copy)
            start = time.perf_counter()
            result = importer.import_file(db, plan, csv_path)
            best = min(best, time.perf_counter() - start)
            assert result.ok, result.errors[:3]
            db.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{copy}{suffix}").unlink(missing_ok=True)
    finally:
        importer.rebuilds = real
    return best * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    plan = load_plan()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print(f"{'stored':>8} {'rows':>8} {'rebuild ms':>11} {'keep ms':>8}  rebuilds()")
        for stored, rows in CASES:
            base = tmp / f"base{stored}.db"
            if not base.exists():
                stored_csv = tmp / "stored.csv"
                stored_csv.write_text(
                    HEADER
                    + "".join(
                        f"B-{i:06d},laptop,N{i},raadhus,in_service\n" for i in range(stored)
                    ),  # fmt: skip
                    encoding="utf-8",
                )
                db = store.open_db(base)
                if stored:
                    assert importer.import_file(db, plan, stored_csv).ok
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                db.close()
            new = tmp / "new.csv"
            new.write_text(
                HEADER
                + "".join(
                    f"N-{i:06d},headset,N{i},bib_nord,in_service\n" for i in range(rows)
                ),  # fmt: skip
                encoding="utf-8",
            )
            rebuilt = _timed(base, new, plan, args.runs, True, tmp)
            kept = _timed(base, new, plan, args.runs, False, tmp)
            decided = merge.rebuilds(rows, stored)
            print(f"{stored:>8} {rows:>8} {rebuilt:>11.0f} {kept:>8.0f}  {decided}")


if __name__ == "__main__":
    main()
