"""Litestream alone, no tracker code: does a writer killed mid-commit damage the replica?

Run: python3 bench/bench_killed_writer.py [--runs 8]

Each run: a fresh WAL database with two indexed tables, `litestream replicate` to a file://
replica (the tracker's intervals: monitor 250 ms, sync 500 ms), a plain sqlite3 writer
committing as fast as it can (synchronous=FULL, no automatic checkpoint), killed with SIGKILL
at a random moment 2-4 s in; then two more commits, each by a new process (as `tracker scan`
would); then Litestream is stopped (SIGTERM), the replica restored and both files checked with
`PRAGMA integrity_check`. Prints one row per run and the count of damaged replicas: what
docs/continuity.md ("When the replica's latest state is damaged") reports for Litestream 0.5.17.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tracker.replica.config import litestream_env, litestream_exe  # noqa: E402

SETUP = """
PRAGMA journal_mode=WAL;
CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT, v TEXT);
CREATE INDEX t_k ON t(k);
CREATE TABLE s (id INTEGER PRIMARY KEY, n INT, k TEXT);
CREATE INDEX s_k ON s(k);
"""
OPEN = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
for pragma in ("busy_timeout=60000", "journal_mode=WAL", "synchronous=FULL",
               "wal_autocheckpoint=0"):
    c.execute("PRAGMA " + pragma)
"""
WRITER = (
    OPEN
    + """
i = 0
while True:
    c.execute("BEGIN IMMEDIATE")
    c.execute("INSERT INTO t (k, v) VALUES (?, ?)", (f"k{i % 500}", "x" * 50))
    c.execute("UPDATE s SET n = n + 1, k = ? WHERE id = ?", (f"k{i}", i % 30))
    c.execute("COMMIT")
    i += 1
"""
)
ONE_MORE = (
    OPEN
    + """
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO t (k, v) VALUES ('after', 'y')")
c.execute("UPDATE s SET n = n + 1, k = 'after' WHERE id = 3")
c.execute("COMMIT")
c.close()
"""
)


def check(path: Path) -> tuple[str, int]:
    conn = sqlite3.connect(path)
    try:
        first = conn.execute("PRAGMA integrity_check").fetchall()[0][0]
        return first.replace("\n", " ")[:60], conn.execute("SELECT count(*) FROM t").fetchone()[0]
    except sqlite3.DatabaseError as e:
        return f"unreadable: {e}"[:60], -1
    finally:
        conn.close()


def one_run(folder: Path, rnd: random.Random) -> tuple[str, int, str, int]:
    db = folder / "a.db"
    conn = sqlite3.connect(db)
    conn.executescript(SETUP)
    conn.executemany("INSERT INTO s VALUES (?, 0, '')", [(i,) for i in range(30)])
    conn.commit()
    conn.close()
    cfg = folder / "litestream.yml"
    cfg.write_text(
        f"dbs:\n  - path: {db}\n    monitor-interval: 250ms\n    replica:\n"
        f"      type: file\n      path: {folder / 'replica'}\n      sync-interval: 500ms\n"
    )
    env = litestream_env()
    ls = subprocess.Popen(
        [litestream_exe(), "replicate", "-config", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    time.sleep(2)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], start_new_session=True)
    time.sleep(rnd.uniform(2, 4))
    os.killpg(writer.pid, signal.SIGKILL)
    writer.wait()
    for _ in range(2):
        subprocess.run([sys.executable, "-c", ONE_MORE, str(db)], check=True)
    time.sleep(3)
    ls.send_signal(signal.SIGTERM)
    ls.wait(60)
    restored = folder / "restored.db"
    subprocess.run(
        [litestream_exe(), "restore", "-config", str(cfg), "-o", str(restored), str(db)],
        check=True,
        capture_output=True,
        env=env,
    )
    return (*check(db), *check(restored))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=8)
    args = ap.parse_args()
    rnd = random.Random(14)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(args.runs):
            folder = Path(d) / f"run{i}"
            folder.mkdir()
            rows.append((str(i), *map(str, one_run(folder, rnd))))
            shutil.rmtree(folder)
    header = ("run", "database check", "rows", "replica's latest state", "rows")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))
    damaged = sum(r[3] != "ok" for r in rows)
    print(f"\n{damaged} of {len(rows)} replicas damaged; Litestream {_version()}")


def _version() -> str:
    done = subprocess.run([litestream_exe(), "version"], capture_output=True, text=True)
    return done.stdout.strip()


if __name__ == "__main__":
    main()
