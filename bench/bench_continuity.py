"""Continuity figures (issue 14): recovery point, recovery time, merge.

Run: python3 bench/bench_continuity.py [--rows 100000] [--events 1000000] [--runs 3]
     [--merge-scans 50000] [--skip-sftp] [--crash-runs 6] [--only-crash] [--only-restore]

- Recovery point: `tracker replicate file://...` runs while a scanner records scans as fast as
  it can and notes each acknowledged one; at a random moment the scanner, the supervisor and
  Litestream are killed with SIGKILL and the database is deleted. The replica is restored and
  every scan acknowledged more than 2 s before the loss must be in it.
- Recovery time: `tracker restore URL` of a database with --rows assets and --events events
  from a file:// and an sftp:// replica (a real sshd on 127.0.0.1), then `tracker status`,
  against `cp` of the same database file, then `tracker status` (same run). Its phases as
  `tracker restore` timed them itself (its last line: for SFTP Litestream's plan and the
  download, Litestream's restore, the integrity check with the migrations and counts beside
  it, the station identity), the rest of that process (start, imports), and the status.
- Crash runs (Litestream's, not a target): a scanner killed with SIGKILL mid-burst while
  `tracker replicate file://` goes on, two more scans, then `tracker restore`: how often the
  replica's latest state fails its integrity check (the restore then takes the newest whole
  earlier state), see docs/continuity.md.
- Merge: two stations that each recorded --merge-scans scans apart, then the same merge again;
  against a bare INSERT ... SELECT of the other station's events (no dedup, no state rebuild).

Prints a table: medians, ratios against the baseline, the issue's targets.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from bench_core import big_plan, build_big_db, tracker_cmd, write_csv  # noqa: E402
from sshd import SFTP_SERVER, Sshd  # noqa: E402

from tracker import store, sync  # noqa: E402
from tracker.plan import load_plan  # noqa: E402
from tracker.replica import config as replica_config  # noqa: E402
from tracker.replica import restore as replica_restore  # noqa: E402
from tracker.replica import state as replica_state  # noqa: E402
from tracker.replica import target as replica_target  # noqa: E402

SCANNER = """
import sys, time
from tracker import store
from tracker.plan import load_plan
from tracker.scan import scan
db = store.open_db(sys.argv[1]); plan = load_plan()
tags = [a.tag for a in store.assets(db)]
log = open(sys.argv[2], "a", buffering=1)
i = 0
while True:
    step = ("packed", "arrived")[(i // len(tags)) % 2]
    r = scan(db, plan, tags[i % len(tags)], site="bib_nord", step=step, station="bench")
    if r.outcome == "recorded":
        log.write(f"{r.event_id} {time.time():.3f}\\n")  # acknowledged: the commit is fsynced
    i += 1
"""


def wait_replicated(db: Path, since: str, proc: subprocess.Popen, limit: float = 600) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        state = replica_state.read(db)
        if state and state.replicated_at and state.replicated_at > since:
            return
        if proc.poll() is not None:
            raise RuntimeError("tracker replicate exited")
        time.sleep(0.2)
    raise RuntimeError(f"{db}: not replicated within {limit} s")


def replicate(db: Path, url: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [*tracker_cmd(), "--db", str(db), "replicate", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, **(env or {})},
    )


def run(*args: str, env: dict | None = None) -> None:
    subprocess.run(
        [*tracker_cmd(), *args], check=True, capture_output=True, env={**os.environ, **(env or {})}
    )


def recovery_point(tmp: Path, rnd: random.Random) -> tuple[int, int, int, float]:
    """(acknowledged, lost, lost more than 2 s before the loss, newest kept scan's age)."""
    db = tmp / "rp" / "tracker.db"
    db.parent.mkdir(parents=True)
    run("--db", str(db), "import", str(REPO / "assets.csv"))  # only import makes a database
    run("--db", str(db), "scan", "EKS-PAS-001", "--site", "raadhus", "--step", "packed")
    url = f"file://{tmp}/rp-replica"
    sup = replicate(db, url)
    wait_replicated(db, store.now(), sup)
    acks = tmp / "rp" / "acks.log"
    scanner = subprocess.Popen(
        [sys.executable, "-c", SCANNER, str(db), str(acks)], start_new_session=True
    )
    time.sleep(rnd.uniform(3.0, 8.0))
    os.killpg(scanner.pid, signal.SIGKILL)
    os.killpg(sup.pid, signal.SIGKILL)
    lost_at = time.time()
    scanner.wait(), sup.wait()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    restored = tmp / "rp" / "restored.db"
    run("--db", str(restored), "restore", url)
    conn = sqlite3.connect(restored)
    have = {r[0] for r in conn.execute("SELECT id FROM events WHERE station = 'bench'")}
    conn.close()
    acked = [line.split() for line in acks.read_text().splitlines() if line.strip()]
    lost = [(int(i), float(t)) for i, t in acked if int(i) not in have]
    old_lost = [1 for _, t in lost if lost_at - t > 2.0]
    kept = [float(t) for i, t in acked if int(i) in have]
    shutil.rmtree(tmp / "rp")
    shutil.rmtree(tmp / "rp-replica")
    return len(acked), len(lost), len(old_lost), lost_at - max(kept) if kept else float("nan")


def crash_run(tmp: Path, rnd: random.Random, url: str, env: dict | None = None) -> int:
    """A scanner killed with SIGKILL mid-burst while replication goes on, then two more scans
    by `tracker scan`; then `tracker restore`. Its exit status: 0 the latest state, 1 an
    earlier whole state (the latest failed its integrity check), 2 nothing usable."""
    folder = tmp / "crash"
    folder.mkdir()
    db = folder / "tracker.db"
    run("--db", str(db), "import", str(REPO / "assets.csv"), env=env)
    sup = replicate(db, url, env)
    wait_replicated(db, store.now(), sup)
    scanner = subprocess.Popen(
        [sys.executable, "-c", SCANNER, str(db), str(folder / "acks.log")],
        start_new_session=True,
    )
    time.sleep(rnd.uniform(3.0, 6.0))
    os.killpg(scanner.pid, signal.SIGKILL)
    scanner.wait()
    for tag in ("EKS-PAS-001", "EKS-PAS-002"):
        run("--db", str(db), "scan", tag, "--site", "raadhus", "--step", "installed", env=env)
    wait_replicated(db, store.now(), sup)
    sup.send_signal(signal.SIGTERM)
    sup.wait(120)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)], "the database itself"
    conn.close()
    done = subprocess.run(
        [*tracker_cmd(), "--db", str(folder / "restored.db"), "restore", url],
        capture_output=True,
        env={**os.environ, **(env or {})},
    )
    shutil.rmtree(folder)
    return done.returncode


TOOK = re.compile(r"(?:took |, )([^,]+?) (\d+\.\d+) s")
"""A phase in `tracker restore`'s last line: `took PHASE 1.23 s, PHASE 0.45 s, ...`."""


def restore_plan(url: str, env: dict | None) -> tuple[int, float]:
    """(files, MB) Litestream's restore of the replica's latest state reads: its own plan."""
    target = replica_target.parse(url)
    env = {**os.environ, **(env or {})}
    out = Path(tempfile.mkdtemp(prefix="bench-plan-")) / "x.db"
    cfg = replica_config.write(
        replica_config.render(
            out,
            target,
            identity=env.get("TRACKER_SSH_IDENTITY"),
            known_hosts=env.get("TRACKER_KNOWN_HOSTS"),
        )
    )
    try:
        files = replica_restore._plan(cfg, out, target)
    finally:
        replica_config.remove(cfg)
        shutil.rmtree(out.parent)
    return len(files), sum(f.size for f in files) / 1e6


def recovery_time(big: Path, url: str, tmp: Path, runs: int, env: dict | None = None) -> dict:
    """Medians in seconds: restore + status, cp + status, and the restore's phases as
    `tracker restore` itself timed them (its `took` line)."""
    db = tmp / "rt" / "tracker.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(big, db)
    sup = replicate(db, url, env)
    wait_replicated(db, store.now(), sup)
    sup.send_signal(signal.SIGTERM)
    sup.wait(120)
    times: dict[str, list[float]] = {}

    def note(key: str, seconds: float) -> None:
        times.setdefault(key, []).append(seconds)

    def ours(i: int) -> None:
        target = tmp / "rt" / f"restored{i}.db"
        cpu = children_cpu()
        t = time.perf_counter()
        done = subprocess.run(
            [*tracker_cmd(), "--db", str(target), "restore", url],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        )
        t1 = time.perf_counter()
        run("--db", str(target), "status")
        note("ours", time.perf_counter() - t)
        note("ours cpu", children_cpu() - cpu)
        note("restore", t1 - t)
        note("status", time.perf_counter() - t1)
        took = TOOK.findall(done.stdout.splitlines()[-1])
        for phase, seconds in took:
            note(phase, float(seconds))
        # The process's own start, imports and exit: what its phases leave of its time.
        note(REST, t1 - t - sum(float(x) for phase, x in took if phase != ALONGSIDE))

    def base(i: int) -> None:
        copy = tmp / "rt" / f"copy{i}.db"
        cpu = children_cpu()
        t = time.perf_counter()
        subprocess.run(["cp", str(db), str(copy)], check=True)
        t1 = time.perf_counter()
        run("--db", str(copy), "status")
        note("base", time.perf_counter() - t)
        note("base cpu", children_cpu() - cpu)
        note("cp", t1 - t)
        note("cp status", time.perf_counter() - t1)

    for i in range(runs):
        # Both read warm files and write to the same disk; the order alternates so neither
        # always runs right after the other's writes.
        for step in (ours, base) if i % 2 == 0 else (base, ours):
            step(i)
        for name in (f"restored{i}.db", f"copy{i}.db"):
            for suffix in ("", "-wal", "-shm"):
                Path(f"{tmp / 'rt' / name}{suffix}").unlink(missing_ok=True)
    plan = restore_plan(url, env)
    shutil.rmtree(tmp / "rt")
    medians = {k: statistics.median(v) for k, v in times.items()}
    medians["plan"] = plan
    return medians


ALONGSIDE = "migrations and counts (beside the check)"
REST = "process start, imports, exit"
NOT_PHASES = {"ours", "ours cpu", "restore", "status", "base", "base cpu", "cp", "cp status"}


def children_cpu() -> float:
    """User + system seconds of this process's finished children (and theirs: Litestream)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def restore_rows(name: str, what: str, m: dict) -> list[tuple]:
    base = m["base"]
    files, mb = m["plan"]
    phases = [k for k in m if k not in NOT_PHASES | {"plan", ALONGSIDE, REST}]
    rows = [
        (
            f"restore {name} + status, {what}",
            f"{m['ours']:.2f} s",
            f"cp + status {base:.2f} s (cp {m['cp']:.2f} s, status {m['cp status']:.2f} s)",
            f"{m['ours'] / base:.1f}x",
            "< 60 s, <= 5x",
        ),
        (
            "  CPU time (user + system, Litestream's included)",
            f"{m['ours cpu']:.2f} s",
            f"cp + status {m['base cpu']:.2f} s",
            f"{m['ours cpu'] / m['base cpu']:.1f}x",
            "",
        ),
        (
            f"  `tracker restore` {name} (Litestream's plan: {files} file(s), {mb:.0f} MB)",
            f"{m['restore']:.2f} s",
            "",
            f"{m['restore'] / base:.1f}x",
            "",
        ),
    ]
    for phase in [*phases, REST]:
        rows.append((f"    {phase}", f"{m[phase]:.2f} s", "", f"{m[phase] / base:.1f}x", ""))
    if ALONGSIDE in m:
        rows.append((f"    ({ALONGSIDE})", f"{m[ALONGSIDE]:.2f} s", "", "", ""))
    rows.append(
        (
            "  `tracker status` on the restored file",
            f"{m['status']:.2f} s",
            "",
            f"{m['status'] / base:.1f}x",
            "",
        )
    )
    return rows


def merge_stations(tmp: Path, n: int) -> tuple[float, float, float]:
    """(first merge, second merge, bare INSERT ... SELECT) in seconds."""
    folder = tmp / "merge"
    folder.mkdir()
    a_path, b_path = folder / "a.db", folder / "b.db"
    a = store.open_db(a_path)
    with store.write(a):
        a.conn.executemany(
            "INSERT INTO assets (tag, key, kind, name, home_site, site, step, updated_at)"
            " VALUES (?, ?, 'laptop', 'x', 'raadhus', 'raadhus', 'in_service', ?)",
            [(f"M{i:06d}", f"M{i:06d}", store.now()) for i in range(2 * n)],
        )
    a.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    a.close()
    shutil.copy(a_path, b_path)

    def burst(path: Path, first: int, name: str) -> None:
        # Scans as `scan` records them (event + state), written in one go for set-up speed.
        db = store.open_db(path)
        tags = [f"M{(first + i) % (2 * n):06d}" for i in range(n)]
        with store.write(db):
            for tag in tags:
                at = store.now()
                db.execute(
                    "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site,"
                    " operator, station) VALUES (?, ?, 'scan', 'packed', 'bib_nord',"
                    " 'in_service', 'raadhus', 'bench', ?)",
                    [at, tag, name],
                )
                db.execute(
                    "UPDATE assets SET step = 'packed', site = 'bib_nord', last_seen = ?,"
                    " updated_at = ? WHERE tag = ?",
                    [at, at, tag],
                )
        db.close()

    burst(a_path, 0, "a")
    burst(b_path, n // 2, "b")  # half the assets scanned on both sides
    base_copy = folder / "base.db"
    shutil.copy(a_path, base_copy)
    a = store.open_db(a_path)
    t = time.perf_counter()
    sync.merge(a, b_path)
    first = time.perf_counter() - t
    seconds = []
    for _ in range(3):
        t = time.perf_counter()
        again = sync.merge(a, b_path)
        seconds.append(time.perf_counter() - t)
        assert again.total == 0
    second = statistics.median(seconds)
    a.close()
    conn = sqlite3.connect(base_copy)
    conn.execute("ATTACH ? AS other", [str(b_path)])
    t = time.perf_counter()
    conn.execute(
        "INSERT INTO events (at, tag, action, step, site, prev_step, prev_site, operator,"
        " station) SELECT at, tag, action, step, site, prev_step, prev_site, operator, station"
        " FROM other.events WHERE station = 'b'"
    )
    conn.commit()
    base = time.perf_counter() - t
    conn.close()
    shutil.rmtree(folder)
    return first, second, base


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--merge-scans", type=int, default=50_000)
    ap.add_argument("--skip-sftp", action="store_true")
    ap.add_argument("--crash-runs", type=int, default=6)
    ap.add_argument("--only-crash", action="store_true", help="only the crash runs")
    ap.add_argument("--only-restore", action="store_true", help="only the recovery time")
    args = ap.parse_args()
    rnd = random.Random(14)
    started_load = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        if not (args.only_crash or args.only_restore):
            first, second, base = merge_stations(tmp, args.merge_scans)
            n = args.merge_scans
            rows.append(
                (
                    f"merge 2 x {n:,} scans",
                    f"{first:.2f} s",
                    f"INSERT..SELECT {base:.2f} s",
                    f"{first / base:.1f}x",
                    "< 10 s",
                )
            )
            rows.append(
                (
                    "second merge (adds nothing), median of 3",
                    f"{second:.2f} s",
                    f"INSERT..SELECT {base:.2f} s",
                    f"{second / base:.1f}x",
                    "< 1 s",
                )
            )

            points = [recovery_point(tmp, rnd) for _ in range(args.runs)]
            acked = sum(p[0] for p in points)
            lost = sum(p[1] for p in points)
            old = sum(p[2] for p in points)
            gap = statistics.median(p[3] for p in points)
            rows.append(
                (
                    f"recovery point, {args.runs} kill -9 runs",
                    f"{old} lost > 2 s old",
                    f"{acked:,} scans acked, {lost} lost in all",
                    f"newest kept {gap:.1f} s before",
                    "0 lost > 2 s",
                )
            )

        if args.crash_runs and not args.only_restore:
            codes = []
            for i in range(args.crash_runs):
                codes.append(crash_run(tmp, rnd, f"file://{tmp}/crash-replica-{i}"))
                shutil.rmtree(tmp / f"crash-replica-{i}")
            rows.append(
                (
                    f"writer killed mid-commit, 2 more scans: {args.crash_runs} runs",
                    f"{codes.count(1)} damaged latest state",
                    f"{codes.count(0)} whole, {codes.count(2)} unusable",
                    "",
                    "(Litestream's)",
                )
            )

        if not args.only_crash:
            plan_path = big_plan(tmp / "plan.toml", 500)
            plan = load_plan(plan_path)
            csv_path = tmp / "inv.csv"
            write_csv(csv_path, args.rows, list(plan.sites))
            big = tmp / "big.db"
            build_big_db(big, plan, csv_path, args.events)
            conn = sqlite3.connect(big)
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.close()
            size = big.stat().st_size / 1e6
            what = f"{args.rows:,} assets / {args.events:,} events ({size:.0f} MB)"
            m = recovery_time(big, f"file://{tmp}/rt-replica", tmp, args.runs)
            rows += restore_rows("file://", what, m)
            if not args.skip_sftp:
                with Sshd(tmp / "sshd", command=SFTP_SERVER) as server:
                    url = f"sftp://{server.user}@127.0.0.1:{server.ports[0]}{tmp}/sftp-replica"
                    env = {
                        "TRACKER_SSH_IDENTITY": str(server.user_key),
                        "TRACKER_KNOWN_HOSTS": str(tmp / "known_hosts"),
                    }
                    run("--db", str(big), "replicate", "--trust", "--yes", url, env=env)
                    m = recovery_time(big, url, tmp, args.runs, env)
                rows += restore_rows("sftp://", what, m)
    header = ("figure", "ours (median)", "baseline (same run)", "ratio", "target")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    py = sys.version.split()[0]
    load = " / ".join(f"{x:.1f}" for x in (started_load, os.getloadavg()[0]))
    print(f"\n{os.cpu_count()} cores, Python {py}, SQLite {sqlite3.sqlite_version},", end=" ")
    print(f"load average {load} (start / end)")


if __name__ == "__main__":
    main()
