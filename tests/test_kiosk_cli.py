"""The agent always reports and always exits 0-3, whatever goes wrong around the checks;
and what it prints cannot be broken by what a server or a config file said."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_agent import __version__, cli
from kiosk_agent.model import CheckResult, Status
from kiosk_agent.outputs import render_nagios, render_prom, render_text
from kiosk_agent.runner import Report

REPO = Path(__file__).resolve().parent.parent
# No network probe at all: only disk and adapter checks, plus a process that is missing.
CONFIG = '[health]\nmin_free_disk_mb = 1\nprocesses = ["kiosk-brøwser-absent"]\n'
CODES = {"ok": 0, "warn": 1, "crit": 2, "unknown": 3}


def _agent(tmp_path: Path, *args: str, env: dict[str, str] | None = None, **kw):
    config = tmp_path / "kiosk.toml"
    config.write_text(CONFIG, encoding="utf-8")
    cmd = [sys.executable, "-m", "kiosk_agent", *args]
    cmd = [c.replace("{config}", str(config)) for c in cmd]
    return subprocess.run(cmd, cwd=REPO, env=env, timeout=60, **kw)


def test_usage_error_exits_unknown_not_crit(tmp_path: Path) -> None:
    done = _agent(tmp_path, "check", "--no-such-option", capture_output=True, text=True)
    assert done.returncode == 3, done.stderr
    assert "--no-such-option" in done.stderr


def test_console_that_cannot_encode_still_gets_valid_json(tmp_path: Path) -> None:
    out = tmp_path / "last.json"
    env = {"PYTHONIOENCODING": "ascii", "PATH": "/usr/bin:/bin"}
    done = _agent(tmp_path, "check", "--json", "--config", "{config}", "--out", str(out),
                  env=env, capture_output=True)  # fmt: skip
    doc = json.loads(done.stdout)
    names = [c["name"] for c in doc["checks"]]
    assert "process:kiosk-brøwser-absent" in names
    assert done.returncode == CODES[doc["verdict"]] == 2, done.stderr
    assert json.loads(out.read_text())["verdict"] == "crit"


def test_text_mode_on_an_ascii_console_does_not_crash(tmp_path: Path) -> None:
    env = {"PYTHONIOENCODING": "ascii", "PATH": "/usr/bin:/bin"}
    done = _agent(tmp_path, "check", "--config", "{config}", env=env, capture_output=True)
    assert done.returncode == 2, done.stderr
    assert b"process:kiosk-br\\xf8wser-absent" in done.stdout


def test_closed_stdout_keeps_the_verdict_and_writes_the_files(tmp_path: Path) -> None:
    prom = tmp_path / "kiosk.prom"
    cmd = [sys.executable, "-m", "kiosk_agent", "check", "--json", "--config",
           str(tmp_path / "kiosk.toml"), "--prom", str(prom)]  # fmt: skip
    (tmp_path / "kiosk.toml").write_text(CONFIG, encoding="utf-8")
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader went away before the agent wrote anything
    proc.wait(timeout=60)
    assert proc.returncode == 2, proc.stderr.read()
    assert "kiosk_agent_verdict 2" in prom.read_text()


def test_an_internal_error_still_reports_unknown(monkeypatch, tmp_path: Path, capsys) -> None:
    def broken(_cfg):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(cli, "run_checks", broken)
    config = tmp_path / "kiosk.toml"
    config.write_text(CONFIG, encoding="utf-8")
    assert cli.main(["check", "--json", "--config", str(config)]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert doc["verdict"] == "unknown"
    assert "can't start new thread" in doc["checks"][0]["detail"]


def test_unwritable_out_file_does_not_hide_a_crit(monkeypatch, tmp_path: Path) -> None:
    report = Report("kiosk-7", "2025-01-01T00:00:00Z", 10)
    report.checks.append(CheckResult("target:10.0.0.1:445", "isolation", Status.CRIT, "connected"))
    monkeypatch.setattr(cli, "run_checks", lambda _cfg: report)
    config = tmp_path / "kiosk.toml"
    config.write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "missing-dir" / "last.json"
    assert cli.main(["check", "--nagios", "--config", str(config), "--out", str(out)]) == 2


HOSTILE = 'portal "x"\r\nKIOSK OK - all fine | ok=1\x1b[2J\\ \u2028end'


def _hostile_report() -> Report:
    report = Report('kiosk\n"7"', "2025-01-01T00:00:00Z", 10)
    for status in (Status.CRIT, Status.OK):
        name = f'connectivity:http://x/?q="a"\\{status.label}'
        report.checks.append(CheckResult(name, "internet", status, HOSTILE, 3))
    return report


def test_nagios_line_survives_newlines_and_bars_in_details() -> None:
    line = render_nagios(_hostile_report())
    assert line.endswith("\n") and line.count("\n") == 1
    assert "\r" not in line and "\x1b" not in line and "\u2028" not in line
    summary, perf = line.split(" | ")
    assert summary.startswith("KIOSK CRITICAL - ")
    assert perf.startswith("checks=2;;;0 ok=1;;;0")


def test_text_output_is_one_line_per_check_with_escapes_visible() -> None:
    lines = render_text(_hostile_report()).splitlines()
    assert len(lines) == 3
    assert "\x1b" not in "".join(lines)
    assert "\\r\\n" in lines[1] and "\\x1b[2J" in lines[1]


_SAMPLE = re.compile(
    r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? '
    r"-?[0-9.e+]+$"
)


@pytest.mark.parametrize("report", [_hostile_report()], ids=["hostile"])
def test_prom_textfile_is_valid_with_hostile_labels(report: Report) -> None:
    text = render_prom(report, 1700000000)
    assert text.endswith("\n")
    declared, series = {}, set()
    for line in text.splitlines():
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            _hash, kind, metric, rest = line.split(" ", 3)
            declared.setdefault(metric, set()).add(kind)
            assert kind != "TYPE" or rest in ("gauge", "counter")
            continue
        assert _SAMPLE.match(line), line
        metric, _space, _value = line.rpartition(" ")
        assert declared[metric.split("{")[0]] == {"HELP", "TYPE"}, line
        assert metric not in series, f"duplicate series {metric}"
        series.add(metric)
    assert len([s for s in series if s.startswith("kiosk_agent_check_status")]) == 2


def test_staff_profile_has_the_same_outputs_and_says_so() -> None:
    """`--profile staff`: same modes, same exit codes; the outputs name the profile."""
    report = Report("laptop-7", "2026-12-05T10:00:00Z", 300, profile="staff")
    report.checks += [
        CheckResult("vpn", "staff", Status.OK, "VPN adapter up: tun0"),
        CheckResult("internal:10.20.0.10:445", "staff", Status.CRIT, "not reachable"),
    ]
    assert render_nagios(report).startswith("STAFF CRITICAL - crit internal:10.20.0.10:445")
    assert render_text(report).startswith("CRIT    staff PC laptop-7: 2 checks")
    info = f'kiosk_agent_info{{version="{__version__}",profile="staff"}} 1'
    assert info in render_prom(report, 0)
    assert report.as_dict()["profile"] == "staff"
    assert report.verdict is Status.CRIT and report.verdict.value == 2


def test_profile_on_the_command_line_overrides_the_config(tmp_path: Path) -> None:
    """No network probe in this config: the staff run only reads the adapters."""
    done = _agent(tmp_path, "check", "--json", "--profile", "staff", "--config", "{config}",
                  capture_output=True, text=True)  # fmt: skip
    doc = json.loads(done.stdout)
    assert doc["profile"] == "staff"
    assert {c["category"] for c in doc["checks"]} == {"internet", "staff", "health"}
    assert done.returncode == CODES[doc["verdict"]]
    bad = _agent(tmp_path, "check", "--profile", "laptop", capture_output=True, text=True)
    assert bad.returncode == 3 and "invalid choice: 'laptop'" in bad.stderr
