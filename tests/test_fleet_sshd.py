"""Kiosk checks against a real OpenSSH sshd on 127.0.0.1, through the real `tracker` command.

One sshd serves several "kiosks" (one port each, see tests/sshd.py); the kiosk agent itself
runs behind it for the `agent` and `dispatch` ports. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sshd import AGENT_CONFIG, BlackHole, Sshd, closed_port

from kiosk_agent import __version__ as agent_version
from kiosk_agent.build import build_zipapp
from tracker import scan, store
from tracker.fleet import admin, checks, verdicts
from tracker.fleet.checks import CHECK_COMMAND

pytestmark = pytest.mark.timeout(120)

GARBAGE = (
    b"\x1b[2J\x1b]0;owned\x07\x1b[31mHACKED\x1b[0m [red]x[/red] \xc2\x9b31m\r\n"
    b"\x1b]52;c;ZXZpbA==\x07not json\x00\xff"
)
EVIL_REPORT = json.dumps(
    {
        "agent_version": "1\x1b[2J",
        "host": "k",
        "started_at": "x",
        "duration_ms": 1,
        "verdict": "crit",
        "checks": [
            {
                "name": "leak\x1b]0;title\x07",
                "category": "isolation",
                "status": "crit",
                "detail": "[bold red]boom[/] \x1b[5mblink\u009b2J",
                "duration_ms": 1,
            }
        ],
    }
)
OK_BUT_EVIL = json.dumps(
    {
        "agent_version": "9\x1b]0;owned\x07\x1b[2J[blink]" + "v" * 2000,
        "verdict": "ok",
        "checks": [{"name": "disk", "status": "ok", "detail": ""}],
    }
)
ROLES = {
    "agent": "agent",
    "evilok": "file:EVILOK",
    "warn": "report:warn",
    "crit": "report:crit",
    "unknown": "report:unknown",
    "garbage": "file:GARBAGE",
    "evil": "file:EVIL",
    "flood": "flood",
    "sleep": "sleep",
    "switch": "report:ok",
    "deploy": "dispatch:DEPLOY",
}


@pytest.fixture(scope="module")
def kiosk_sshd(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("kiosks")
    pyz = build_zipapp(base / "kiosk-agent.pyz")
    (base / "agent.toml").write_text(AGENT_CONFIG)
    (base / "garbage.bin").write_bytes(GARBAGE)
    (base / "evil.json").write_text(EVIL_REPORT)
    (base / "evilok.json").write_text(OK_BUT_EVIL)
    (base / "deployed").mkdir()
    sshd = Sshd(base / "sshd", n_ports=len(ROLES))
    sshd.modes.update({"pyz": str(pyz), "config": str(base / "agent.toml")})
    sshd.port_of = dict(zip(ROLES, sshd.ports, strict=True))
    sshd.deployed = base / "deployed"
    for role, port in sshd.port_of.items():
        mode = ROLES[role].replace("GARBAGE", str(base / "garbage.bin"))
        mode = mode.replace("EVILOK", str(base / "evilok.json"))
        mode = mode.replace("EVIL", str(base / "evil.json")).replace(
            "DEPLOY", str(base / "deployed")
        )
        sshd.modes[str(port)] = mode
    sshd.write_modes()
    with sshd:
        yield sshd


@pytest.fixture
def env(kiosk_sshd: Sshd) -> dict[str, str]:
    """The tracker's SSH settings as staff would set them; no ssh-agent."""
    return {
        "TRACKER_SSH_USER": kiosk_sshd.user,
        "TRACKER_SSH_IDENTITY": str(kiosk_sshd.user_key),
        "SSH_AUTH_SOCK": "",
        "NO_COLOR": "1",
    }


def add_kiosks(run_tracker, tmp_path: Path, hosts: dict[str, str], site: str = "raadhus") -> None:
    rows = ["tag,kind,name,serial,site,step,hostname,notes"]
    rows += [f"{tag},kiosk,Kiosk {tag},SN-{tag},{site},in_service,{h}," for tag, h in hosts.items()]
    (tmp_path / "kiosks.csv").write_text("\n".join(rows) + "\n")
    r = run_tracker("import", str(tmp_path / "kiosks.csv"))
    assert r.returncode == 0, r.stderr


def hosts_for(sshd: Sshd, *roles: str) -> dict[str, str]:
    return {f"KIO-{role.upper()}": f"127.0.0.1:{sshd.port_of[role]}" for role in roles}


def check_json(run_tracker, env, *args: str) -> tuple[int, dict[str, dict]]:
    r = run_tracker("kiosks", "check", "--json", *args, env=env)
    assert r.stdout, r.stderr
    return r.returncode, {k["tag"]: k for k in json.loads(r.stdout)["kiosks"]}


def self_service(run_tracker, site: str = "raadhus") -> str:
    r = run_tracker("status", "--json")
    doc = json.loads(r.stdout)
    funcs = {f["id"]: f for s in doc["sites"] if s["id"] == site for f in s["functions"]}
    return funcs["self_service"]["state"]


def host_fingerprint(sshd: Sshd) -> str:
    r = subprocess.run(
        ["ssh-keygen", "-lf", f"{sshd.host_key}.pub"], capture_output=True, text=True, check=True
    )
    return r.stdout.split()[1]


# --- trust ------------------------------------------------------------------------------------


def test_unknown_host_refused_then_trusted_and_checked_with_the_real_agent(
    run_tracker, tmp_path, kiosk_sshd, env, db_path
):
    add_kiosks(run_tracker, tmp_path, hosts_for(kiosk_sshd, "agent"))
    before = len(kiosk_sshd.commands())

    r = run_tracker("kiosks", "check", env=env)
    assert r.returncode == 2
    assert "HOSTKEY" in r.stdout and "not trusted yet" in r.stdout
    assert len(kiosk_sshd.commands()) == before, "no command may run on an unknown host"

    r = run_tracker("kiosks", "trust", "KIO-AGENT", "--yes", env=env)
    assert r.returncode == 0, r.stderr
    assert host_fingerprint(kiosk_sshd) in r.stdout
    pinned = Path(f"{db_path}.known_hosts").read_text()
    assert pinned.startswith(f"[127.0.0.1]:{kiosk_sshd.port_of['agent']} ssh-ed25519 ")

    code, res = check_json(run_tracker, env)
    assert code == 0
    kiosk = res["KIO-AGENT"]
    assert kiosk["verdict"] == "ok"
    assert kiosk["report"]["agent_version"] == agent_version
    assert {c["name"] for c in kiosk["report"]["checks"]} >= {"disk", "uptime"}
    # The fixed command, nothing from the inventory.
    assert kiosk_sshd.commands()[-1] == (str(kiosk_sshd.port_of["agent"]), CHECK_COMMAND)

    r = run_tracker("kiosks", "trust", "KIO-AGENT", env=env)
    assert r.returncode == 0 and "already trusted" in r.stdout
    r = run_tracker("kiosks", "list", "--json", env=env)
    assert json.loads(r.stdout)["kiosks"][0]["verified"] is True


def test_trust_asks_and_a_no_pins_nothing(run_tracker, tmp_path, kiosk_sshd, env, db_path):
    add_kiosks(run_tracker, tmp_path, hosts_for(kiosk_sshd, "agent"))
    r = run_tracker("kiosks", "trust", "--all", input="n\n", env=env)
    assert r.returncode == 1
    assert "Trust this key" in r.stdout and "not trusted" in r.stdout
    assert not Path(f"{db_path}.known_hosts").exists()
    r = run_tracker("kiosks", "trust", "--all", input="y\n", env=env)
    assert r.returncode == 0 and "pinned" in r.stdout


def test_changed_host_key_is_a_security_alert_not_offline(run_tracker, tmp_path, env):
    with Sshd(tmp_path / "own-sshd", n_ports=1) as kiosk:
        env = {**env, "TRACKER_SSH_USER": kiosk.user, "TRACKER_SSH_IDENTITY": str(kiosk.user_key)}
        add_kiosks(run_tracker, tmp_path, {"KIO-1": kiosk.hostnames()[0]})
        assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0
        old = host_fingerprint(kiosk)
        assert check_json(run_tracker, env)[1]["KIO-1"]["verdict"] == "ok"

        kiosk.new_host_key()
        new = host_fingerprint(kiosk)
        r = run_tracker("kiosks", "check", env=env)
        assert r.returncode == 2
        assert "HOSTKEY!" in r.stdout and "unreachable" not in r.stdout
        assert "SECURITY" in r.stderr and old in r.stderr and new in r.stderr
        assert len(kiosk.commands()) == 1, "the agent must not run behind a changed key"
        code, res = check_json(run_tracker, env)
        assert res["KIO-1"]["verdict"] == "hostkey"
        assert res["KIO-1"]["detail"].startswith("HOST KEY CHANGED")

        # --yes alone never replaces a pinned key.
        r = run_tracker("kiosks", "trust", "KIO-1", "--yes", env=env)
        assert r.returncode == 2 and "HOST KEY CHANGED" in r.stdout and "Not replaced" in r.stdout
        assert check_json(run_tracker, env)[1]["KIO-1"]["verdict"] == "hostkey"
        r = run_tracker("kiosks", "trust", "KIO-1", "--yes", "--replace", env=env)
        assert r.returncode == 0, r.stdout
        assert check_json(run_tracker, env)[1]["KIO-1"]["verdict"] == "ok"


# --- unreachable, slow, invalid ---------------------------------------------------------------


def test_closed_silent_and_slow_kiosks_are_unreachable_within_the_timeout(
    run_tracker, tmp_path, kiosk_sshd, env
):
    hole = BlackHole()
    try:
        hosts = {
            "KIO-CLOSED": f"127.0.0.1:{closed_port()}",
            "KIO-SILENT": f"127.0.0.1:{hole.port}",
            **hosts_for(kiosk_sshd, "sleep", "agent"),
        }
        add_kiosks(run_tracker, tmp_path, hosts)
        assert (
            run_tracker(
                "kiosks", "trust", *hosts_for(kiosk_sshd, "sleep", "agent"), "--yes", env=env
            ).returncode
            == 0
        )
        started = time.monotonic()
        code, res = check_json(run_tracker, env, "--timeout", "1", "--command-timeout", "2")
        elapsed = time.monotonic() - started
    finally:
        hole.close()
    assert code == 2
    assert {t: r["verdict"] for t, r in res.items()} == {
        "KIO-CLOSED": "unreachable",
        "KIO-SILENT": "unreachable",
        "KIO-SLEEP": "unreachable",
        "KIO-AGENT": "ok",
    }
    assert "refused" in res["KIO-CLOSED"]["detail"].lower()
    assert res["KIO-SILENT"]["detail"] == "no SSH banner within 1 s"
    assert "within 2 s" in res["KIO-SLEEP"]["detail"]
    # In parallel: the slowest (2 s command timeout) bounds the run, not the sum.
    assert elapsed < 2 + 5


def test_garbage_escapes_and_floods_are_invalid_and_never_reach_the_terminal(
    run_tracker, tmp_path, kiosk_sshd, env, db_path
):
    hosts = hosts_for(kiosk_sshd, "garbage", "evil", "flood")
    add_kiosks(run_tracker, tmp_path, hosts)
    assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0

    r = run_tracker("kiosks", "check", env=env)
    assert r.returncode == 2
    for text in (r.stdout, r.stderr):
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    lines = {line.split()[0]: line for line in r.stdout.splitlines()[1:-1]}
    assert "INVALID" in lines["KIO-GARBAGE"] and "HACKED" in lines["KIO-GARBAGE"]
    assert "[red]x[/red]" in lines["KIO-GARBAGE"]  # markup shown literally
    assert "INVALID" in lines["KIO-FLOOD"] and "more than" in lines["KIO-FLOOD"]
    # A well-formed report with escapes in it keeps its verdict; the escapes are gone.
    assert lines["KIO-EVIL"].split()[1] == "crit" and "boom" in lines["KIO-EVIL"]

    r = run_tracker("kiosks", "check", "--json", env=env)
    assert r.stdout.isascii() and "\x1b" not in r.stdout
    res = {k["tag"]: k for k in json.loads(r.stdout)["kiosks"]}
    assert res["KIO-GARBAGE"]["verdict"] == "invalid" and res["KIO-GARBAGE"]["report"] is None

    db = sqlite3.connect(db_path)
    stored = db.execute("SELECT tag, verdict, detail FROM kiosk_checks").fetchall()
    assert len(stored) == 6
    for _tag, _verdict, detail in stored:
        assert "\x1b" not in detail and "\x9b" not in detail and len(detail) <= 400


def test_an_ok_report_stores_the_agent_version_cleaned_and_bounded(
    run_tracker, tmp_path, kiosk_sshd, env, db_path
):
    add_kiosks(run_tracker, tmp_path, hosts_for(kiosk_sshd, "evilok"))
    assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0
    code, res = check_json(run_tracker, env)
    assert code == 0 and res["KIO-EVILOK"]["verdict"] == "ok"
    with sqlite3.connect(db_path) as db:
        (detail,) = db.execute("SELECT detail FROM kiosk_latest").fetchone()
    assert detail.startswith("1 checks ok (agent 9[blink]vvv")
    assert "\x1b" not in detail and "\x07" not in detail and len(detail) <= verdicts.DETAIL_LIMIT


class BannerThenSilence:
    """A kiosk that says `SSH-2.0-...` and then nothing: sshd frozen mid key exchange."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.sock.accept()
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
                self.conns.append(conn)  # held open, never read

    def close(self) -> None:
        self.sock.close()
        for c in self.conns:
            c.close()


def test_a_kiosk_that_stalls_after_its_banner_is_unreachable_and_delays_no_one(
    run_tracker, tmp_path, kiosk_sshd, env, db_path, plan
):
    stall = BannerThenSilence()
    try:
        hosts = {"KIO-STALL": f"127.0.0.1:{stall.port}", **hosts_for(kiosk_sshd, "switch")}
        add_kiosks(run_tracker, tmp_path, hosts)
        ssh = checks.settings(
            db_path, user=kiosk_sshd.user, identity=str(kiosk_sshd.user_key), timeout=2
        )
        db = store.open_db(db_path)
        seen = admin.scan_keys(checks.kiosks(db, plan, ["KIO-SWITCH"]), ssh, 1)
        db.close()
        admin.pin(ssh, seen[0])
        started = time.monotonic()
        arrived: dict[str, float] = {}
        results = checks.check_kiosks(
            db_path,
            plan,
            None,
            ssh,
            parallel=4,
            on_result=lambda r: arrived.setdefault(r.tag, time.monotonic() - started),
        )
    finally:
        stall.close()
    res = {r.tag: r for r in results}
    assert res["KIO-SWITCH"].verdict == "ok"
    assert res["KIO-STALL"].verdict == "unreachable"
    assert "within 2 s" in res["KIO-STALL"].detail
    assert arrived["KIO-SWITCH"] < 1.5, "the healthy kiosk waited for the stalled one"
    assert 2 <= arrived["KIO-STALL"] < 2 + 1.5


def _against_a_kiosk_frozen_after_login(tmp_path, action, *, open_channel: bool = False):
    """Log in to a real sshd, freeze its processes for the connection (SIGSTOP), then run
    `action(client, chan)` in a thread; returns (what it returned or raised, seconds taken,
    whether it still waited after 6 s)."""
    import psutil

    from tracker.fleet.ssh import SSHFailure, connect, host_key, load_identity

    with Sshd(tmp_path / "frozen-sshd", n_ports=1) as kiosk:
        port = kiosk.ports[0]
        ssh = checks.settings(
            tmp_path / "t.db", user=kiosk.user, identity=str(kiosk.user_key), timeout=5
        )
        key = host_key("127.0.0.1", port, 5)
        client = connect("127.0.0.1", port, ssh, [key], load_identity(ssh.identity))
        chan = client.get_transport().open_session(timeout=5) if open_channel else None
        frozen = psutil.Process(kiosk.proc.pid).children(recursive=True)
        assert frozen, "sshd has a process for the connection"
        for proc in frozen:
            proc.send_signal(signal.SIGSTOP)
        outcome: list[object] = []

        def run() -> None:
            try:
                outcome.append(action(client, chan))
            except SSHFailure as e:
                outcome.append(e)

        started = time.monotonic()
        worker = threading.Thread(target=run, daemon=True)
        worker.start()
        worker.join(6)
        elapsed = time.monotonic() - started
        for proc in frozen:
            with contextlib.suppress(psutil.Error):
                proc.send_signal(signal.SIGCONT)
        client.close()
        return (outcome[0] if outcome else None), elapsed, worker.is_alive()


def test_a_kiosk_that_freezes_after_login_is_unreachable_within_the_command_timeout(
    tmp_path, kiosk_sshd
):
    """paramiko's exec request has no timeout of its own: without a deadline over the whole
    command, a kiosk that freezes after login (or drops off the network) holds a worker until
    TCP gives up."""
    from tracker.fleet.ssh import SSHFailure, run_channel

    failure, elapsed, waiting = _against_a_kiosk_frozen_after_login(
        tmp_path,
        lambda client, chan: run_channel(chan, CHECK_COMMAND, 1.5, 1024),
        open_channel=True,
    )
    assert not waiting, "the check still waits on a frozen kiosk"
    assert elapsed < 1.5 + 1
    assert isinstance(failure, SSHFailure) and failure.verdict == "unreachable"
    assert failure.detail == "no complete answer within 1.5 s"


def test_a_deploy_to_a_kiosk_that_freezes_after_login_fails_within_the_timeout(
    tmp_path, kiosk_sshd
):
    """Opening SFTP waits for the server with no timeout of its own in paramiko."""
    from tracker.fleet.ssh import SSHFailure, replace_file

    local = tmp_path / "agent.pyz"
    local.write_bytes(b"agent")
    failure, elapsed, waiting = _against_a_kiosk_frozen_after_login(
        tmp_path, lambda client, chan: replace_file(client, local, "kiosk-agent.pyz", 0o644, 1.5)
    )
    assert not waiting, "the deploy still waits on a frozen kiosk"
    assert elapsed < 1.5 + 1
    assert isinstance(failure, SSHFailure) and failure.verdict == "unreachable"
    assert failure.detail == "no SFTP answer within 1.5 s"


def test_exit_status_summarises_verdicts(run_tracker, tmp_path, kiosk_sshd, env):
    add_kiosks(run_tracker, tmp_path, hosts_for(kiosk_sshd, "agent", "warn", "crit", "unknown"))
    assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0
    assert run_tracker("kiosks", "check", "KIO-AGENT", env=env).returncode == 0
    assert run_tracker("kiosks", "check", "KIO-AGENT", "KIO-WARN", env=env).returncode == 1
    assert run_tracker("kiosks", "check", "KIO-WARN", "KIO-UNKNOWN", env=env).returncode == 3
    assert run_tracker("kiosks", "check", "--all", env=env).returncode == 2
    r = run_tracker("kiosks", "check", "KIO-NOPE", "EKS-PAS-001", env=env)
    assert r.returncode == 2 and "KIO-NOPE: no such asset" in r.stderr


# --- readiness --------------------------------------------------------------------------------


def test_self_service_readiness_follows_verdict_and_age(
    run_tracker, tmp_path, kiosk_sshd, env, db_path
):
    port = kiosk_sshd.port_of["switch"]
    add_kiosks(run_tracker, tmp_path, hosts_for(kiosk_sshd, "switch"))
    assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0
    assert self_service(run_tracker) == "not_ready"  # never checked
    try:
        assert run_tracker("kiosks", "check", env=env).returncode == 0
        assert self_service(run_tracker) == "ready"
        kiosk_sshd.set_mode(port, "report:crit")
        assert run_tracker("kiosks", "check", env=env).returncode == 2
        assert self_service(run_tracker) == "not_ready"
        kiosk_sshd.set_mode(port, "report:ok")
        assert run_tracker("kiosks", "check", env=env).returncode == 0
        assert self_service(run_tracker) == "ready"
    finally:
        kiosk_sshd.set_mode(port, "report:ok")

    def age_latest(minutes: float) -> None:
        at = (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat(timespec="milliseconds")
        with sqlite3.connect(db_path) as db:
            db.execute("UPDATE kiosk_latest SET checked_at = ?", [at])

    age_latest(29)  # two intervals of 15 min: still verified
    assert self_service(run_tracker) == "ready"
    age_latest(31)
    assert self_service(run_tracker) == "not_ready"
    r = run_tracker("kiosks", "list", env=env)
    assert "31 min" in r.stdout and " no " in r.stdout


# --- deploy -----------------------------------------------------------------------------------


def test_deploy_replaces_agent_and_config_then_check_runs_them(
    run_tracker, tmp_path, kiosk_sshd, env
):
    target = kiosk_sshd.deployed
    add_kiosks(run_tracker, tmp_path, hosts_for(kiosk_sshd, "deploy"))
    assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0
    code, res = check_json(run_tracker, env)
    assert res["KIO-DEPLOY"]["verdict"] == "invalid"  # nothing deployed yet

    bad = tmp_path / "bad.toml"
    bad.write_text("[isolation]\ntargetz = []\n")
    r = run_tracker("kiosks", "deploy", "--all", "--config", str(bad), env=env)
    assert r.returncode == 2 and str(bad) in r.stderr and "targetz" in r.stderr
    assert not any(target.iterdir())

    config = tmp_path / "agent.toml"
    config.write_text(AGENT_CONFIG)
    for _ in range(2):  # the second run replaces the first
        r = run_tracker("kiosks", "deploy", "--all", "--config", str(config), env=env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert sorted(p.name for p in target.iterdir()) == ["kiosk-agent.pyz", "kiosk-agent.toml"]
    assert (target / "kiosk-agent.toml").read_text() == AGENT_CONFIG

    code, res = check_json(run_tracker, env)
    # The kiosk's own python3 runs it (here /usr/bin/python3, maybe without psutil: unknown).
    assert res["KIO-DEPLOY"]["report"]["agent_version"] == agent_version
    assert res["KIO-DEPLOY"]["verdict"] in ("ok", "unknown"), res["KIO-DEPLOY"]["detail"]


# --- keys -------------------------------------------------------------------------------------


def test_without_a_usable_key_the_login_is_refused_not_ok(run_tracker, tmp_path, kiosk_sshd, env):
    add_kiosks(run_tracker, tmp_path, hosts_for(kiosk_sshd, "agent"))
    assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0
    no_key = {**env, "TRACKER_SSH_IDENTITY": ""}
    r = run_tracker("kiosks", "check", env=no_key)
    assert r.returncode == 2 and "no SSH key" in r.stderr and "ssh-agent" in r.stderr
    assert not json.loads(run_tracker("kiosks", "list", "--json").stdout)["kiosks"][0]["verdict"]

    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", stranger], check=True)
    code, res = check_json(run_tracker, env, "--identity", str(stranger))
    assert code == 2 and "refused" in res["KIO-AGENT"]["detail"]

    locked = tmp_path / "locked"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "pw", "-f", locked], check=True)
    r = run_tracker("kiosks", "check", "--identity", str(locked), env=env)
    assert r.returncode == 2 and "passphrase" in r.stderr and "ssh-add" in r.stderr


# --- the background worker's entry point and the schedule -------------------------------------


def test_check_kiosks_in_a_thread_while_scans_are_recorded(
    run_tracker, tmp_path, kiosk_sshd, env, db_path, plan
):
    many = {f"KIO-{i:02}": f"127.0.0.1:{kiosk_sshd.port_of['switch']}" for i in range(12)}
    add_kiosks(run_tracker, tmp_path, many)
    ssh = checks.settings(db_path, user=kiosk_sshd.user, identity=str(kiosk_sshd.user_key))
    db = store.open_db(db_path)
    for seen in admin.scan_keys(checks.kiosks(db, plan), ssh, 4):
        admin.pin(ssh, seen)

    rounds: list[list] = []
    worker = threading.Thread(
        target=lambda: rounds.extend(
            checks.check_kiosks(db_path, plan, list(many), ssh, parallel=8) for _ in range(3)
        )
    )
    worker.start()
    scans = 0
    while worker.is_alive() or scans < 40:
        step = ("packed", "arrived")[scans // 12 % 2]
        result = scan.scan(db, plan, f"KIO-{scans % 12:02}", site="raadhus", step=step)
        assert result.outcome == "recorded", result.message
        scans += 1
        time.sleep(0.005)
    worker.join()
    assert [len(r) for r in rounds] == [12, 12, 12]
    assert all(r.verdict == "ok" for batch in rounds for r in batch)
    assert db.execute("SELECT count(*) FROM kiosk_checks").fetchone()[0] == 36
    assert db.execute("SELECT count(*) FROM events").fetchone()[0] == scans
    assert len(store.kiosk_latest(db)) == 12


def test_watch_runs_rounds_on_schedule_and_stops_cleanly_on_ctrl_c(
    run_tracker, tmp_path, kiosk_sshd, env, db_path
):
    add_kiosks(run_tracker, tmp_path, hosts_for(kiosk_sshd, "switch", "warn"))
    assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0
    r = run_tracker("kiosks", "watch", "--every", "1s", "--count", "2", env=env)
    assert r.returncode == 1, r.stderr  # the warn kiosk
    assert r.stdout.count("2 kiosk(s): 1 ok, 1 warn") == 2
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT count(*) FROM kiosk_checks").fetchone()[0] == 4

    import os

    from conftest import tracker_exe

    proc = subprocess.Popen(
        [*tracker_exe(), "--db", str(db_path), "kiosks", "watch", "--every", "1h"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    first = proc.stdout.readline()
    assert "kiosk(s)" in first
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=5)
    assert "watch stopped after 1 round(s)" in err and "Traceback" not in err
