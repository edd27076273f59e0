"""Kiosk-check logic without a network: hostnames, judging output, exit codes, known_hosts."""

from __future__ import annotations

import json
import subprocess
import sys

import paramiko
import pytest

from tracker.cli.kiosks import format_results, parse_every
from tracker.fleet import checks, known_hosts
from tracker.fleet.checks import KioskResult, exit_code, split_hostname
from tracker.fleet.ssh import CommandOutput
from tracker.fleet.verdicts import DETAIL_LIMIT, clean, interpret


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("kiosk.example.dk", ("kiosk.example.dk", 22)),
        ("kiosk.example.dk:2222", ("kiosk.example.dk", 2222)),
        ("10.0.0.5:22", ("10.0.0.5", 22)),
        ("[fd00::5]:2222", ("fd00::5", 2222)),
        ("fd00::5", ("fd00::5", 22)),
    ],
)
def test_split_hostname(value, expected):
    assert split_hostname(value) == expected


@pytest.mark.parametrize("value", ["host:0", "host:99999", "host:ssh", "[fd00::5]", ":22"])
def test_split_hostname_rejects(value):
    with pytest.raises(ValueError, match="hostname"):
        split_hostname(value)


def test_clean_removes_escape_sequences_and_shows_other_controls():
    text = "a\x1b[31mred\x1b[0m\x1b]0;title\x07b\x9b2Jc\x00d\ne"
    assert clean(text) == "aredbc\\x00d\\ne"
    assert len(clean("x" * 1000)) == DETAIL_LIMIT


def _out(stdout: bytes, status: int = 0, overflow: bool = False) -> CommandOutput:
    return CommandOutput(status, stdout, b"", overflow)


def _report(verdict: str, *checks: tuple[str, str, str]) -> bytes:
    return json.dumps(
        {
            "agent_version": "0.1.0",
            "verdict": verdict,
            "checks": [{"name": n, "status": s, "detail": d} for n, s, d in checks],
        }
    ).encode()


def test_interpret_a_report_summarises_the_worst_checks_first():
    out = _out(_report("crit", ("disk", "warn", "low"), ("targets", "crit", "10.0.0.1:445 open")))
    verdict, detail, report = interpret(out, 1000)
    assert verdict == "crit" and report["verdict"] == "crit"
    assert detail == "crit targets: 10.0.0.1:445 open; warn disk: low"
    assert (
        interpret(_out(_report("ok", ("disk", "ok", ""))), 1000)[1] == "1 checks ok (agent 0.1.0)"
    )


@pytest.mark.parametrize(
    ("stdout", "why"),
    [
        (b"", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"verdict": "fine", "checks": []}', "verdict 'fine'"),
        (b'{"verdict": "ok", "checks": [1]}', "checks is not a list"),
    ],
)
def test_interpret_anything_else_is_invalid(stdout, why):
    verdict, detail, report = interpret(_out(stdout, status=127), 1000)
    assert verdict == "invalid" and report is None
    assert why in detail and "exit status 127" in detail


def test_interpret_overflow_is_invalid():
    verdict, detail, _ = interpret(_out(b"A" * 50, overflow=True), 50)
    assert verdict == "invalid" and "more than 50 bytes" in detail


@pytest.mark.parametrize(
    ("verdicts", "code"),
    [
        ([], 0),
        (["ok", "ok"], 0),
        (["ok", "warn"], 1),
        (["warn", "unknown"], 3),
        (["unknown", "crit"], 2),
        (["ok", "unreachable"], 2),
        (["hostkey"], 2),
        (["invalid", "warn"], 2),
    ],
)
def test_exit_code(verdicts, code):
    assert exit_code([KioskResult("T", "h", v, "", "") for v in verdicts]) == code


def test_table_escapes_remote_text():
    r = KioskResult("T-1", "h\x1b[2J", "invalid", "", "x\x1b]0;t\x07 [red]y", duration_ms=5)
    table = format_results([r])
    assert "\x1b" not in table and "\\x1b" in table and "[red]y" in table


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("5", 300)])
def test_parse_every(text, seconds):
    assert parse_every(text) == seconds


def test_known_hosts_names_ports_like_openssh_and_pin_keeps_other_lines(tmp_path):
    assert known_hosts.entry_name("k.example.dk", 22) == "k.example.dk"
    assert known_hosts.entry_name("10.0.0.5", 2222) == "[10.0.0.5]:2222"
    path = tmp_path / "kh"
    other = (
        "# comment\nother.example.dk ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n"
    )
    path.write_text(other)
    k1, k2 = paramiko.ECDSAKey.generate(), paramiko.ECDSAKey.generate()
    known_hosts.pin(path, "[127.0.0.1]:2222", k1)
    known_hosts.pin(path, "[127.0.0.1]:2222", k2)  # replaces k1
    assert path.read_text().startswith(other)
    keys = known_hosts.load(path)
    assert known_hosts.pinned(keys, "[127.0.0.1]:2222") == [k2]
    assert known_hosts.fingerprint(k2).startswith("SHA256:")
    assert "=" not in known_hosts.fingerprint(k2)


def test_known_hosts_default_is_next_to_the_database(tmp_path, monkeypatch):
    monkeypatch.delenv("TRACKER_KNOWN_HOSTS", raising=False)
    assert str(known_hosts.default_path(tmp_path / "t.db")) == f"{tmp_path / 't.db'}.known_hosts"
    monkeypatch.setenv("TRACKER_KNOWN_HOSTS", "/etc/tracker/known_hosts")
    assert str(known_hosts.default_path("t.db")) == "/etc/tracker/known_hosts"


def test_settings_come_from_arguments_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_SSH_USER", "envuser")
    monkeypatch.setenv("TRACKER_SSH_IDENTITY", "/keys/env")
    s = checks.settings(tmp_path / "t.db")
    assert (s.user, s.identity) == ("envuser", "/keys/env")
    s = checks.settings(tmp_path / "t.db", user="arg", identity="/keys/arg", timeout=3)
    assert (s.user, s.identity, s.timeout) == ("arg", "/keys/arg", 3)
    monkeypatch.delenv("TRACKER_SSH_USER")
    monkeypatch.delenv("TRACKER_SSH_IDENTITY")
    s = checks.settings(tmp_path / "t.db")
    assert (s.user, s.identity) == ("kioskcheck", None)


def test_the_cli_does_not_import_paramiko():
    code = (
        "import sys; from tracker.cli import build_parser; build_parser();"
        " print('paramiko' in sys.modules)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr


def test_slow_name_lookups_overlap_and_failed_ones_are_unreachable():
    """A slow DNS server costs one lookup's wait, not one per kiosk (the lookups used to run
    one after another in the thread feeding the connections)."""
    import socket
    import time

    from sshd import closed_port

    from tracker.fleet.reach import reach
    from tracker.fleet.ssh import SSHFailure

    port = closed_port()

    def slow_dns(host, port, **kw):
        time.sleep(1.0)
        if host.startswith("gone"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return socket.getaddrinfo("127.0.0.1", port, **kw)

    targets = [(f"K{i}", f"kiosk{i}.example.dk", port) for i in range(6)]
    started = time.monotonic()
    got = dict(reach([*targets, ("G", "gone.example.dk", port)], 5, resolve=slow_dns))
    elapsed = time.monotonic() - started
    assert set(got) == {"K0", "K1", "K2", "K3", "K4", "K5", "G"}
    assert all(isinstance(r, SSHFailure) and r.verdict == "unreachable" for r in got.values())
    assert "refused" in got["K0"].detail.lower()
    assert got["G"].detail.startswith("cannot resolve gone.example.dk")
    assert elapsed < 1.0 + 1.5, "lookups ran one after another"


@pytest.mark.parametrize(
    "option", [("--timeout", "0"), ("--parallel", "-1"), ("--command-timeout", "x")]
)
def test_a_bad_number_is_refused_and_records_nothing(run_tracker, tmp_path, option):
    from sshd import closed_port

    csv = tmp_path / "k.csv"
    csv.write_text(
        "tag,kind,name,serial,site,step,hostname,notes\n"
        f"KIO-1,kiosk,Kiosk,SN-1,raadhus,in_service,127.0.0.1:{closed_port()},\n"
    )
    assert run_tracker("import", str(csv)).returncode == 0
    r = run_tracker("kiosks", "check", *option)
    assert r.returncode == 2 and option[0] in r.stderr
    assert "above 0" in r.stderr or "between 1 and" in r.stderr or "a number" in r.stderr
    listed = json.loads(run_tracker("kiosks", "list", "--json").stdout)["kiosks"]
    assert [k["verdict"] for k in listed] == [None]
