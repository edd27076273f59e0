"""Replication with a real Litestream to a file:// folder and to a real sshd over SFTP (issue 14).

Every test runs the real `tracker` commands; `tracker replicate` (and the Litestream it starts)
runs in its own process group, which the test kills with SIGKILL for the disaster cases.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from conftest import SAMPLE_CSV, tracker_exe
from sshd import SFTP_SERVER, Sshd

from tracker import station, store, sync
from tracker.replica import state as replica_state

WAIT_S = 45


class Replicator:
    """`tracker replicate URL` for one database, in its own process group."""

    def __init__(self, db: Path, url: str, *extra: str, env: dict | None = None) -> None:
        self.db, self.url = db, url
        self.log = open(db.with_suffix(".replicate.log"), "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [*tracker_exe(), "--db", str(db), "replicate", url, *extra],
            stdout=self.log,
            stderr=self.log,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )

    def wait_replicated(self, since: str) -> replica_state.ReplicaState:
        """Until the supervisor confirmed the replica holds everything written up to `since`."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            state = replica_state.read(self.db)
            if state and state.replicated_at and state.replicated_at > since:
                return state
            assert self.proc.poll() is None, self.text()
            time.sleep(0.2)
        raise AssertionError(f"not replicated within {WAIT_S} s: {self.text()}")

    def text(self) -> str:
        self.log.flush()
        return self.db.with_suffix(".replicate.log").read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        """kill -9 the supervisor and Litestream at once (the machine is gone)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(60)
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def replicators():
    started: list[Replicator] = []

    def start(*args, **kwargs) -> Replicator:
        r = Replicator(*args, **kwargs)
        started.append(r)
        return r

    yield start
    for r in started:
        r.kill()


def tracker(db: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*tracker_exe(), "--db", str(db), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=300,
    )


def scan(db: Path, tag: str, step: str = "packed", site: str = "raadhus") -> None:
    if not db.exists():  # only the app and `import` make a database (issue 10)
        assert tracker(db, "import", str(SAMPLE_CSV)).returncode == 0
    r = tracker(db, "scan", tag, "--site", site, "--step", step)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr


def history(db: Path) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT gid, at, tag, step, site FROM events ORDER BY gid").fetchall()
    finally:
        conn.close()


def wipe(db: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".replica.json"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)


def test_file_replica_restore_check_and_never_over_a_database(tmp_path, replicators):
    db = tmp_path / "a" / "tracker.db"
    db.parent.mkdir()
    scan(db, "EKS-PAS-001")
    url = f"file://{tmp_path}/usb/tracker"
    assert tracker(db, "replicate", "--check", url).returncode == 2  # nothing there yet
    rep = replicators(db, url)
    scan(db, "EKS-PAS-002")
    mark = store.now()
    rep.wait_replicated(mark)
    checked = tracker(db, "replicate", "--check", url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "OK" in checked.stdout
    verified = tracker(db, "replicate", "--check", "--verify", url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "a test restore passes its integrity check (8 events)"  # 2 kits of 4 in verified.stdout
    assert tracker(db, "replicate", "--verify", url).returncode == 2  # only with --check
    status = tracker(db, "status")
    assert f"replicated to {url}" in status.stdout
    assert "REPLICATION" not in status.stdout
    assert rep.stop() == 0

    restored = tmp_path / "laptop2" / "tracker.db"
    restored.parent.mkdir()
    r = tracker(restored, "restore", url)
    assert r.returncode == 0, r.stderr
    # two workstations scanned, each with its three kit parts
    assets = len(SAMPLE_CSV.read_text(encoding="utf-8").splitlines()) - 1
    assert f"integrity ok, {assets} assets, 8 events" in r.stdout
    assert "newest event: 20" in r.stdout
    took = r.stdout.splitlines()[-1]  # where the time went, phase by phase
    assert took.startswith("took Litestream's restore ") and ", integrity check " in took
    assert "migrations and counts (beside the check)" in took and "download" not in took
    assert history(restored) == history(db)
    # The copy records under its own station identity.
    a, b = store.open_db(db), store.open_db(restored)
    assert station.identity(a).uuid != station.identity(b).uuid
    a.close(), b.close()
    again = tracker(restored, "restore", url)
    assert again.returncode == 2 and "already exists" in again.stderr
    # With the --db after the command, as the docs write it.
    third = tmp_path / "third.db"
    r = subprocess.run(
        [*tracker_exe(), "restore", url, "--db", str(third)], capture_output=True, text=True
    )
    assert r.returncode == 0 and third.is_file(), r.stderr


def test_a_damaged_latest_state_restores_the_newest_whole_one_and_says_so(tmp_path, replicators):
    """Litestream 0.5.17 can leave a replica's latest states damaged (see docs/continuity.md:
    a writer killed mid-commit while another process keeps the WAL index open, then more
    writes). Here the damage is made on purpose, reproducibly: a committed change that drops
    an index from the schema and leaves its pages unaccounted for."""
    db = tmp_path / "a" / "tracker.db"
    db.parent.mkdir()
    scan(db, "EKS-PAS-001")
    url = f"file://{tmp_path}/usb"
    rep = replicators(db, url)
    scan(db, "EKS-PAS-002")
    scan(db, "EKS-PAS-003")
    rep.wait_replicated(store.now())
    whole = history(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute("DELETE FROM sqlite_master WHERE name = 'events_gid'")
    conn.commit()
    conn.close()
    rep.wait_replicated(store.now())
    assert rep.stop() == 0
    current = tracker(db, "replicate", "--check", url)  # current, but cannot see the damage
    assert current.returncode == 0, current.stdout + current.stderr
    verified = tracker(db, "replicate", "--check", "--verify", url)
    assert verified.returncode == 2, verified.stdout + verified.stderr
    assert "the latest state (transaction" in verified.stdout and "is damaged" in verified.stdout
    assert (
        "a restore gives transaction" in verified.stdout and "12 events" in verified.stdout
    )  # 3 kits of 4
    assert list(db.parent.glob(".tracker-verify-*")) == []

    restored = tmp_path / "b" / "tracker.db"
    restored.parent.mkdir()
    r = tracker(restored, "restore", url)
    assert r.returncode == 1, r.stdout + r.stderr
    assets = len(SAMPLE_CSV.read_text(encoding="utf-8").splitlines()) - 1
    assert f"integrity ok, {assets} assets, 12 events" in r.stdout
    assert "NOT THE LATEST STATE" in r.stderr and "is never used" in r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert history(restored) == whole

    other = tmp_path / "c" / "tracker.db"  # `tracker sync URL` merges the same whole state
    other.parent.mkdir()
    scan(other, "EKS-BAR-005", "installed", "hovedbibliotek")
    merged = tracker(other, "sync", url)
    assert merged.returncode == 1 and "added 12 events" in merged.stdout, merged.stderr
    assert "NOT THE LATEST STATE" in merged.stderr


def test_replication_age_warns_when_the_replicator_is_gone(tmp_path, replicators):
    db = tmp_path / "tracker.db"
    scan(db, "EKS-PAS-001")
    url = f"file://{tmp_path}/rep"
    rep = replicators(db, url)
    rep.wait_replicated(store.now())
    rep.kill()
    # Ten minutes later, with writes Litestream never saw.
    state = replica_state.read(db)
    old = "2000-01-01T00:00:00.000+00:00"
    state.replicated_at = state.checked_at = old
    replica_state.write(db, state)
    scan(db, "EKS-PAS-002")
    status = tracker(db, "status")
    assert "REPLICATION BEHIND" in status.stdout and "not running" in status.stdout
    doc = json.loads(tracker(db, "status", "--json").stdout)
    assert doc["replication"]["warn"] is True


def test_check_warns_then_goes_critical_while_writes_wait(tmp_path, replicators):
    from datetime import timedelta

    from tracker.replica import check, target
    from tracker.timefmt import parse_time

    db = tmp_path / "tracker.db"
    scan(db, "EKS-PAS-001")
    url = f"file://{tmp_path}/rep"
    rep = replicators(db, url)
    rep.wait_replicated(store.now())
    assert rep.stop() == 0
    scan(db, "EKS-PAS-002")  # never replicated
    conn = store.open_db(db)
    written = parse_time(check.newest_write(conn))
    t = target.parse(url)
    assert check.check(conn, t, now=written + timedelta(seconds=10)).code == check.OK
    assert check.check(conn, t, now=written + timedelta(seconds=400)).code == check.WARN
    result = check.check(conn, t, now=written + timedelta(seconds=1000))
    assert result.code == check.CRIT and "waiting 1000 s" in result.line
    conn.close()


def test_the_generated_snapshot_interval_is_the_one_litestream_keeps(tmp_path):
    """Litestream writes a whole snapshot at the interval the tracker's configuration names
    (hourly: a restore then reads the snapshot and at most an hour of changes). Here the
    generated configuration with 2 s in place of the hour, so the test sees several."""
    from tracker.replica import config, target

    db = tmp_path / "tracker.db"
    scan(db, "EKS-PAS-001")
    where = target.parse(f"file://{tmp_path}/rep")
    text = config.render(db, where)
    assert f"interval: {config.SNAPSHOT_INTERVAL}" in text and config.SNAPSHOT_INTERVAL == "1h"
    cfg = config.write(text.replace(f"interval: {config.SNAPSHOT_INTERVAL}", "interval: 2s"))
    proc = subprocess.Popen(
        [config.litestream_exe(), "replicate", "-no-expand-env", "-config", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    snapshots = tmp_path / "rep" / "ltx" / "9"
    try:
        deadline = time.monotonic() + WAIT_S
        for tag, step, site in (
            ("EKS-PAS-002", "packed", "raadhus"),
            ("EKS-PAS-003", "packed", "raadhus"),
            ("EKS-PAS-001", "installed", "hovedbibliotek"),
            ("EKS-PAS-002", "installed", "hovedbibliotek"),
        ):
            scan(db, tag, step, site)  # something new for each snapshot to hold
            time.sleep(2.5)
        while time.monotonic() < deadline and len(list(snapshots.glob("*.ltx"))) < 3:
            time.sleep(0.5)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(60)
        config.remove(cfg)
    assert len(list(snapshots.glob("*.ltx"))) >= 3


def test_store_leaves_checkpoints_to_litestream_while_it_replicates(tmp_path, replicators):
    db = tmp_path / "tracker.db"
    scan(db, "EKS-PAS-001")
    conn = store.connect(db)
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000
    conn.close()
    rep = replicators(db, f"file://{tmp_path}/rep")
    rep.wait_replicated(store.now())
    conn = store.connect(db)
    assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_concurrent_scanning_while_replicating_loses_nothing(tmp_path, replicators):
    db = tmp_path / "tracker.db"
    scan(db, "EKS-PAS-001")
    url = f"file://{tmp_path}/rep"
    rep = replicators(db, url)
    code = (
        "import sys\n"
        "from tracker import store\n"
        "from tracker.plan import load_plan\n"
        "from tracker.scan import scan\n"
        "db = store.open_db(sys.argv[1]); plan = load_plan()\n"
        "me = int(sys.argv[2][1:])\n"
        # Equipment without a kit: a kit part moves with its workstation, a repeat here.
        "tags = [a.tag for a in store.assets(db)"
        " if not a.kit and not plan.kinds[a.kind].parts][1 + me::3]\n"
        "for i in range(int(sys.argv[3])):\n"
        "    step = ('packed', 'arrived')[(i // len(tags)) % 2]\n"
        "    r = scan(db, plan, tags[i % len(tags)], site='bib_nord', step=step,"
        " station=sys.argv[2])\n"
        "    assert r.outcome == 'recorded', r\n"
    )
    import sys

    writers = [
        subprocess.Popen([sys.executable, "-c", code, str(db), f"w{i}", "150"]) for i in range(3)
    ]
    for w in writers:
        assert w.wait(120) == 0
    rep.wait_replicated(store.now())
    rep.kill()
    restored = tmp_path / "restored.db"
    r = tracker(restored, "restore", url)
    assert r.returncode == 0, r.stderr
    assert history(restored) == history(db)
    assert len(history(db)) == 1 + 3 + 450  # the first workstation moved its 3 kit parts


class SftpServer(Sshd):
    """sshd with the three host keys a stock OpenSSH server has (ECDSA, RSA, Ed25519): a
    client is shown the key of the first type it asks for, and Litestream and paramiko ask
    in different orders (tracker/replica/hostkey.py)."""

    EXTRA = (("ecdsa", "host_ecdsa"), ("rsa", "host_rsa"))

    def _extra_keys(self, comment: str) -> None:
        for kind, name in self.EXTRA:
            path = self.root / name
            path.unlink(missing_ok=True)
            Path(f"{path}.pub").unlink(missing_ok=True)
            subprocess.run(
                ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", comment, "-f", str(path)],
                check=True,
            )

    def config(self) -> str:
        if not (self.root / "host_ecdsa").exists():
            self._extra_keys("sftp-host")
        extra = "".join(f"HostKey {self.root / name}\n" for _, name in self.EXTRA)
        return super().config() + extra

    def new_host_key(self) -> None:
        self._extra_keys("sftp-host-reimaged")
        super().new_host_key()

    def key_file(self, kind: str) -> Path:
        return self.host_key if kind == "ed25519" else self.root / f"host_{kind}"


@pytest.fixture
def sftp_server(tmp_path):
    with SftpServer(tmp_path / "sshd", command=SFTP_SERVER) as server:
        yield server


def sftp_env(server: Sshd, known_hosts: Path) -> dict:
    return {"TRACKER_SSH_IDENTITY": str(server.user_key), "TRACKER_KNOWN_HOSTS": str(known_hosts)}


def test_sftp_replica_pins_the_host_key_and_uses_key_auth(tmp_path, sftp_server, replicators):
    db = tmp_path / "a" / "tracker.db"
    db.parent.mkdir()
    scan(db, "EKS-PAS-001")
    port = sftp_server.ports[0]
    url = f"sftp://{sftp_server.user}@127.0.0.1:{port}{tmp_path}/offsite/tracker"
    env = sftp_env(sftp_server, tmp_path / "known_hosts")

    refused = tracker(db, "replicate", url, env=env)
    assert refused.returncode == 2 and "no host key pinned" in refused.stderr
    assert "password" in tracker(db, "replicate", url.replace("@", ":pw@"), env=env).stderr

    trusted = tracker(db, "replicate", "--trust", "--yes", url, env=env)
    assert trusted.returncode == 0 and "SHA256:" in trusted.stdout, trusted.stderr
    fp = subprocess.run(
        ["ssh-keygen", "-lf", f"{sftp_server.key_file('ecdsa')}.pub"],
        capture_output=True,
        text=True,
    ).stdout.split()[1]
    assert fp in trusted.stdout and "ecdsa-sha2-nistp256" in trusted.stdout

    rep = replicators(db, url, env=env)
    scan(db, "EKS-PAS-002")
    rep.wait_replicated(store.now())
    assert tracker(db, "replicate", "--check", url, env=env).returncode == 0
    rep.kill()

    restored = tmp_path / "b" / "tracker.db"
    restored.parent.mkdir()
    r = tracker(restored, "restore", url, env=env)
    assert r.returncode == 0, r.stderr
    assert history(restored) == history(db)
    took = r.stdout.splitlines()[-1]  # the files came down by our download, not Litestream's
    assert took.startswith("took Litestream's plan ") and ", download " in took
    assert ", Litestream's restore " in took and "reading the server" not in took

    other = tmp_path / "c" / "tracker.db"  # a station that merges straight from the replica
    other.parent.mkdir()
    scan(other, "EKS-BAR-005", "installed", "hovedbibliotek")
    merged = tracker(other, "sync", url, env=sftp_env(sftp_server, tmp_path / "known_hosts"))
    assert merged.returncode == 0 and "added 8 events" in merged.stdout, merged.stderr


def test_sftp_replica_with_another_host_key_is_refused(tmp_path, sftp_server, replicators):
    db = tmp_path / "tracker.db"
    scan(db, "EKS-PAS-001")
    port = sftp_server.ports[0]
    url = f"sftp://{sftp_server.user}@127.0.0.1:{port}{tmp_path}/offsite"
    env = sftp_env(sftp_server, tmp_path / "known_hosts")
    assert tracker(db, "replicate", "--trust", "--yes", url, env=env).returncode == 0
    sftp_server.new_host_key()  # re-imaged, or a man in the middle
    rep = replicators(db, url, env=env)
    deadline = time.monotonic() + WAIT_S
    while "host key mismatch" not in rep.text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "host key mismatch" in rep.text()
    assert not (tmp_path / "offsite").exists()  # nothing was sent
    check = tracker(db, "replicate", "--check", url, env=env)
    assert check.returncode == 2 and "host key mismatch" in check.stdout
    restored = tmp_path / "restored.db"
    refused = tracker(restored, "restore", url, env=env)
    assert refused.returncode == 2 and "host key mismatch" in refused.stderr, refused.stderr
    assert not restored.exists() and list(tmp_path.glob(".restored.db*")) == []
    changed = tracker(db, "replicate", "--trust", "--yes", url, env=env)
    assert changed.returncode == 2 and "HOST KEY CHANGED" in changed.stdout


def test_an_ed25519_pin_from_before_is_named_and_replaced_by_the_key_litestream_checks(
    tmp_path, sftp_server
):
    """An earlier tracker pinned the key paramiko is shown (Ed25519); Litestream checks ECDSA."""
    db = tmp_path / "tracker.db"
    scan(db, "EKS-PAS-001")
    port = sftp_server.ports[0]
    url = f"sftp://{sftp_server.user}@127.0.0.1:{port}{tmp_path}/offsite"
    known_hosts = tmp_path / "known_hosts"
    env = sftp_env(sftp_server, known_hosts)
    kind, b64 = Path(f"{sftp_server.host_key}.pub").read_text().split()[:2]
    known_hosts.write_text(f"[127.0.0.1]:{port} {kind} {b64}\n")
    mismatch = tracker(db, "replicate", "--check", url, env=env)
    assert mismatch.returncode == 2 and "host key mismatch" in mismatch.stdout

    named = tracker(db, "replicate", "--trust", "--yes", url, env=env)
    assert named.returncode == 2, named.stdout + named.stderr
    assert "pinned ssh-ed25519 key is still the server's, but Litestream checks" in named.stdout
    assert "HOST KEY CHANGED" not in named.stdout and "Not replaced" in named.stdout
    replaced = tracker(db, "replicate", "--trust", "--yes", "--replace", url, env=env)
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert known_hosts.read_text().split()[1] == "ecdsa-sha2-nistp256"
    reached = tracker(db, "replicate", "--check", url, env=env)
    assert reached.returncode == 2 and "nothing replicated there" in reached.stdout


def test_sftp_restore_downloads_litestreams_own_plan_and_notices_a_vanished_file(
    tmp_path, sftp_server, replicators
):
    """The restore's files come down in one go (Litestream reads SFTP one small request at a
    time); which files is Litestream's plan; a file compacted away meanwhile is noticed."""
    from tracker.replica import config, fetch, restore, target

    db = tmp_path / "a" / "tracker.db"
    db.parent.mkdir()
    scan(db, "EKS-PAS-001")
    remote = tmp_path / "offsite" / "tracker"
    url = f"sftp://{sftp_server.user}@127.0.0.1:{sftp_server.ports[0]}{remote}"
    known_hosts = str(tmp_path / "known_hosts")
    env = sftp_env(sftp_server, Path(known_hosts))
    assert tracker(db, "replicate", "--trust", "--yes", url, env=env).returncode == 0
    rep = replicators(db, url, env=env)
    scan(db, "EKS-PAS-002")
    rep.wait_replicated(store.now())
    assert rep.stop() == 0

    where = target.parse(url)
    out = tmp_path / "b" / "tracker.db"
    out.parent.mkdir()
    identity = str(sftp_server.user_key)
    cfg = config.write(config.render(out, where, identity=identity, known_hosts=known_hosts))
    try:
        files = restore._plan(cfg, out, where)
    finally:
        config.remove(cfg)
    assert files and all((remote / f.relative()).is_file() for f in files)
    folder = tmp_path / "fetched"
    fetch.download(where, files, folder, identity=identity, known_hosts=known_hosts)
    for f in files:
        assert (folder / f.relative()).read_bytes() == (remote / f.relative()).read_bytes()

    (remote / files[0].relative()).unlink()  # compacted away on the server meanwhile
    with pytest.raises(fetch.PlanChanged, match="vanished"):
        fetch.download(where, files, tmp_path / "again", identity=identity, known_hosts=known_hosts)


def test_disaster_drill(tmp_path, sftp_server, replicators):
    """Scan, replicate, destroy the primary, restore elsewhere, scan on, merge a third station."""
    primary = tmp_path / "cityhall" / "tracker.db"
    primary.parent.mkdir()
    scan(primary, "EKS-PAS-001")
    # A third station took a copy of the record before the network went.
    library = tmp_path / "library" / "tracker.db"
    library.parent.mkdir()
    library.write_bytes(b"")
    library.unlink()
    conn = sqlite3.connect(primary)
    conn.execute("VACUUM INTO ?", [str(library)])
    conn.close()

    port = sftp_server.ports[0]
    url = f"sftp://{sftp_server.user}@127.0.0.1:{port}{tmp_path}/offsite/tracker"
    env = sftp_env(sftp_server, tmp_path / "known_hosts")
    assert tracker(primary, "replicate", "--trust", "--yes", url, env=env).returncode == 0
    rep = replicators(primary, url, env=env)
    for tag in ("EKS-PAS-002", "EKS-PAS-003", "EKS-NID-001"):
        scan(primary, tag)
    rep.wait_replicated(store.now())
    before = history(primary)
    rep.kill()
    wipe(primary)  # the city hall burns

    laptop = tmp_path / "laptop2" / "tracker.db"
    laptop.parent.mkdir()
    r = tracker(laptop, "restore", url, env=env)
    assert r.returncode == 0, r.stderr
    assert history(laptop) == before
    scan(laptop, "EKS-PAS-002", "arrived", "hovedbibliotek")

    scan(library, "EKS-BAR-005", "installed", "hovedbibliotek")
    scan(library, "EKS-PAS-003", "arrived", "hovedbibliotek")
    merged = tracker(laptop, "sync", str(library))
    assert merged.returncode == 0, merged.stderr
    # the library's two scans: the laptop, and the workstation with its three kit parts
    assert "added 5 events" in merged.stdout
    again = tracker(laptop, "sync", str(library))
    assert "nothing new" in again.stdout
    db = store.open_db(laptop)
    try:
        state = {a.tag: (a.site, a.step) for a in store.assets(db)}
        assert state["EKS-PAS-001"] == ("raadhus", "packed")
        assert state["EKS-PAS-002"] == ("hovedbibliotek", "arrived")
        assert state["EKS-PAS-003"] == ("hovedbibliotek", "arrived")
        assert state["EKS-BAR-005"] == ("hovedbibliotek", "installed")
        # three scans, two of them workstations that moved three kit parts each
        assert len(history(laptop)) == len(before) + 3 + 6
    finally:
        db.close()


def test_sync_from_a_replica_url_and_both_ways_from_a_file(tmp_path, replicators):
    city = tmp_path / "city" / "tracker.db"
    city.parent.mkdir()
    scan(city, "EKS-PAS-001")
    library = tmp_path / "library" / "tracker.db"
    library.parent.mkdir()
    conn = sqlite3.connect(city)
    conn.execute("VACUUM INTO ?", [str(library)])
    conn.close()
    scan(library, "EKS-BAR-005", "installed", "hovedbibliotek")
    url = f"file://{tmp_path}/library-replica"
    rep = replicators(library, url)
    rep.wait_replicated(store.now())
    rep.stop()

    r = tracker(city, "sync", url)
    assert r.returncode == 0 and "added 1 events" in r.stdout, r.stdout + r.stderr
    assert "nothing new" in tracker(city, "sync", url).stdout
    refused = tracker(city, "sync", url, "--both")
    assert refused.returncode == 2 and "must then be a database file" in refused.stderr
    # The peer is the library station itself, not the temporary copy.
    db = store.open_db(city)
    lib = store.open_db(library)
    try:
        peer_ids = {p.uuid for p in sync.peers(db)}
        assert station.identity(lib).uuid in peer_ids
    finally:
        db.close(), lib.close()

    scan(city, "EKS-PAS-002")
    both = tracker(city, "sync", str(library), "--both")
    assert both.returncode == 0, both.stderr
    assert "(from this one)" in both.stdout
    assert history(city) == history(library)
