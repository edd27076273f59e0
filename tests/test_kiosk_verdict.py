"""Verdict logic, probe classification, outputs and the zipapp, without namespaces."""

from __future__ import annotations

import argparse
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_agent import cli, internet, isolation, os_windows, probes, runner
from kiosk_agent.build import build_zipapp
from kiosk_agent.config import CheckUrl, Endpoint, parse_config
from kiosk_agent.model import CheckResult, Status, worst
from kiosk_agent.os_common import ProxySetting
from kiosk_agent.outputs import render_nagios, render_prom, write_atomic

CFG = parse_config({"isolation": {"internal_cidrs": ["10.0.0.0/8"], "internal_names": ["wpad"]}})
TARGET = Endpoint(__import__("ipaddress").ip_address("10.20.0.10"), 445)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([Status.OK, Status.UNKNOWN, Status.WARN, Status.CRIT], Status.CRIT),
        ([Status.OK, Status.UNKNOWN, Status.WARN], Status.WARN),
        ([Status.OK, Status.UNKNOWN], Status.UNKNOWN),
        ([Status.OK, Status.OK], Status.OK),
        ([], Status.UNKNOWN),
    ],
)
def test_verdict_is_the_worst_in_monitoring_plugins_order(statuses, expected) -> None:
    assert worst(statuses) is expected


@pytest.mark.parametrize(
    ("outcome", "expected"),
    [
        (probes.CONNECTED, Status.CRIT),
        (probes.REFUSED, Status.WARN),
        (probes.TIMEOUT, Status.OK),
        (probes.UNREACHABLE, Status.OK),
        (probes.BLOCKED_LOCALLY, Status.OK),
        (probes.ERROR, Status.UNKNOWN),
    ],
)
def test_target_outcome_to_status(monkeypatch, outcome: str, expected: Status) -> None:
    seen = probes.ConnectOutcome(outcome, "seen", 0.1)
    monkeypatch.setattr(probes, "tcp_connect", lambda *_a: seen)
    finding = isolation.target(TARGET, CFG)
    assert finding.status is expected
    assert finding.detail.startswith(outcome if outcome != probes.ERROR else "could not")


def _result(name: str, status: Status, blocked: bool = False, detail: str = "x") -> CheckResult:
    return CheckResult(name, "isolation", status, detail, 0, blocked)


@pytest.mark.parametrize(
    "precondition",
    [
        _result("default_route", Status.CRIT),
        _result("default_route", Status.UNKNOWN),
        _result("canary:10.255.255.1:445", Status.WARN, detail="connected to an address"),
    ],
    ids=["no-route", "route-unknown", "canary-connected"],
)
def test_blocked_results_prove_nothing_without_preconditions(precondition) -> None:
    blocked = _result("target:10.20.0.10:445", Status.OK, blocked=True)
    evidence = _result("name:intranet", Status.OK)
    runner.apply_preconditions([precondition, blocked, evidence])
    assert blocked.status is Status.UNKNOWN
    assert "proves nothing" in blocked.detail
    assert evidence.status is Status.OK


def test_blocked_results_stand_when_preconditions_hold() -> None:
    blocked = _result("target:10.20.0.10:445", Status.OK, blocked=True)
    runner.apply_preconditions([_result("default_route", Status.OK), blocked])
    assert blocked.status is Status.OK


def _answer(status: int, body: bytes = b"", location: str = "") -> probes.HttpAnswer:
    return probes.HttpAnswer(status, body, location, None, 0.0, 0.0)


@pytest.mark.parametrize(
    ("answer", "expected", "words"),
    [
        (_answer(204), Status.OK, "expected body"),
        (_answer(200, b"<html>login</html>"), Status.CRIT, "captive portal"),
        (_answer(204, b"portal"), Status.CRIT, "captive portal"),
        (_answer(302, location="http://portal/"), Status.CRIT, "redirect 302 to http://portal/"),
        (_answer(407), Status.CRIT, "proxy"),
        (_answer(503, b"proxy error"), Status.CRIT, "status 503"),
        (TimeoutError("timed out"), Status.CRIT, "no internet: timed out"),
        (ConnectionRefusedError(111, "refused"), Status.CRIT, "no internet: refused"),
        (OSError(999, "strange"), Status.UNKNOWN, "could not interpret"),
    ],
)
def test_connectivity_is_classified_like_a_browser(monkeypatch, answer, expected, words) -> None:
    def fake(*_args):
        if isinstance(answer, BaseException):
            raise answer
        return answer

    monkeypatch.setattr(probes, "http_get", fake)
    finding = internet.connectivity(CheckUrl("http://check/"), CFG, [])
    assert finding.status is expected
    assert words in finding.detail


def test_a_probe_that_crashes_is_unknown_never_ok() -> None:
    def boom():
        raise ValueError("garbled")

    finding = runner._guarded(boom)
    assert finding.status is Status.UNKNOWN
    assert "garbled" in finding.detail


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (ProxySetting("reg", "proxy", "http=10.1.1.1:8080;https=10.1.1.1:8080"), Status.CRIT),
        (ProxySetting("env", "proxy", "http://198.51.100.7:3128/"), Status.OK),
        (ProxySetting("reg", "pac", "http://10.2.2.2/proxy.pac"), Status.CRIT),
        (ProxySetting("policy", "wpad", "auto_detect"), Status.CRIT),
    ],
)
def test_proxy_pointing_into_the_municipal_net(monkeypatch, setting, expected) -> None:
    fake_os = argparse.Namespace(proxy_settings=lambda: ([setting], []))
    monkeypatch.setattr(isolation, "current", lambda: fake_os)
    finding = isolation.proxy(CFG)
    assert finding.status is expected, finding.detail


ROUTE_PRINT = """\
IPv4 Route Table
===========================================================================
Active Routes:
Network Destination        Netmask          Gateway       Interface  Metric
          0.0.0.0          0.0.0.0      192.168.1.1    192.168.1.20     25
        10.20.0.0      255.255.0.0         On-link       10.8.0.2      281
        127.0.0.0        255.0.0.0         On-link         127.0.0.1    331
      192.168.1.0    255.255.255.0         On-link      192.168.1.20    281
===========================================================================
Persistent Routes:
  None

IPv6 Route Table
===========================================================================
Active Routes:
 If Metric Network Destination      Gateway
 12     25 ::/0                     fe80::1
  1    331 ::1/128                  On-link
===========================================================================
"""


def test_windows_route_print_is_parsed() -> None:
    routes = os_windows.parse_route_print(ROUTE_PRINT)
    nets = {str(r.network) for r in routes}
    assert nets == {"0.0.0.0/0", "10.20.0.0/16", "192.168.1.0/24", "::/0"}


def _report(*statuses: Status) -> runner.Report:
    report = runner.Report("kiosk-7", "2025-01-01T00:00:00Z", 1234)
    for i, status in enumerate(statuses):
        report.checks.append(CheckResult(f"check{i}", "isolation", status, f'saw "{i}"', 5))
    return report


@pytest.mark.parametrize(
    ("status", "code", "word"),
    [(Status.OK, 0, "OK"), (Status.WARN, 1, "WARNING"), (Status.CRIT, 2, "CRITICAL"),
     (Status.UNKNOWN, 3, "UNKNOWN")],
)  # fmt: skip
def test_exit_code_and_nagios_line_in_every_mode(capsys, status, code, word) -> None:
    for mode in ({"json": True, "nagios": False}, {"json": False, "nagios": True}, {}):
        args = argparse.Namespace(**{"json": False, "nagios": False, **mode}, out=None, prom=None)
        assert cli._emit(_report(Status.OK, status), args) == code
    line = render_nagios(_report(Status.OK, status))
    assert line.startswith(f"KIOSK {word} - ")
    assert line.count("\n") == 1 and line.count("|") == 1
    assert "duration=1.234s;;;0" in line


def test_json_document_has_exactly_the_fleet_fields(tmp_path: Path) -> None:
    args = argparse.Namespace(json=False, nagios=False, out=str(tmp_path / "o.json"), prom=None)
    cli._emit(_report(Status.WARN), args)
    doc = json.loads((tmp_path / "o.json").read_text())
    assert set(doc) == {
        "agent_version", "profile", "host", "started_at", "duration_ms", "verdict", "checks"
    }  # fmt: skip
    assert doc["verdict"] == "warn"
    assert set(doc["checks"][0]) == {"name", "category", "status", "detail", "duration_ms"}


def test_prom_metrics_and_atomic_write(tmp_path: Path) -> None:
    target = tmp_path / "kiosk_agent.prom"
    write_atomic(target, render_prom(_report(Status.CRIT), 1700000000))
    text = target.read_text()
    assert 'kiosk_agent_check_status{name="check0",category="isolation"} 2' in text
    assert "kiosk_agent_verdict 2" in text
    assert "kiosk_agent_last_run_timestamp_seconds 1700000000" in text
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert os.listdir(tmp_path) == ["kiosk_agent.prom"]  # no temp file left behind


def test_zipapp_runs_alone(tmp_path: Path) -> None:
    pyz = build_zipapp(tmp_path / "kiosk-agent.pyz")
    config = tmp_path / "empty.toml"
    config.write_text("timeout = 2.0\n")
    # -I: the repository is not on sys.path, so only what is inside the archive can load.
    done = subprocess.run(
        [sys.executable, "-I", str(pyz), "check", "--json", "--config", str(config)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    doc = json.loads(done.stdout)
    assert done.returncode == {"ok": 0, "warn": 1, "crit": 2, "unknown": 3}[doc["verdict"]]
    assert {c["name"] for c in doc["checks"]} >= {"default_route", "disk", "vpn_adapters"}
    # The modules of the newer probes and of the staff profile are in the archive too.
    config.write_text('timeout = 2.0\n[isolation]\ninternal_cidrs = ["fd00::/8"]\n')
    done = subprocess.run(
        [sys.executable, "-I", str(pyz), "check", "--json", "--config", str(config)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert "ipv6" in {c["name"] for c in json.loads(done.stdout)["checks"]}, done.stderr
    done = subprocess.run(
        [sys.executable, "-I", str(pyz), "check", "--json", "--profile", "staff",
         "--config", str(config)],
        capture_output=True, text=True, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    staff = json.loads(done.stdout)
    assert staff["profile"] == "staff" and "vpn" in {c["name"] for c in staff["checks"]}
    sample = subprocess.run(
        [sys.executable, "-I", str(pyz), "sample-config"], capture_output=True, text=True
    )
    assert "[isolation]" in sample.stdout


def _conn(raddr: str, pid: int = 4242) -> argparse.Namespace:
    local = argparse.Namespace(ip="198.51.100.2", port=22)
    remote = argparse.Namespace(ip=raddr, port=51000)
    return argparse.Namespace(status="ESTABLISHED", laddr=local, raddr=remote, pid=pid)


@pytest.mark.parametrize(
    ("remote", "expected"),
    [("10.20.0.5", Status.OK), ("10.20.0.99", Status.CRIT), ("198.51.100.1", Status.OK)],
    ids=["management-host", "other-internal", "public"],
)
def test_established_connections_only_from_management_hosts(monkeypatch, remote, expected):
    cfg = parse_config(
        {"isolation": {"internal_cidrs": ["10.0.0.0/8"], "management_hosts": ["10.20.0.5"]}}
    )
    fake = argparse.Namespace(
        CONN_ESTABLISHED="ESTABLISHED", net_connections=lambda kind: [_conn(remote)]
    )
    monkeypatch.setattr(isolation, "require_psutil", lambda: fake)
    finding = isolation.connections(cfg)
    assert finding.status is expected, finding.detail
    if expected is Status.CRIT:
        assert remote in finding.detail


def test_no_console_under_pythonw_still_writes_files(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "stdout", None)  # what pythonw.exe gives the Windows task
    args = argparse.Namespace(json=True, nagios=False, out=str(tmp_path / "o.json"), prom=None)
    assert cli._emit(_report(Status.CRIT), args) == 2
    assert json.loads((tmp_path / "o.json").read_text())["verdict"] == "crit"


PROC_NET_ROUTE = """\
Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
d0\t00000000\t016433C6\t0003\t0\t0\t0\t00000000\t0\t0\t0
*\t000010AC\t00000000\t0201\t0\t0\t0\t0000F0FF\t0\t0\t0
d0\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
d1\t0000140A\t020112C6\t0003\t0\t0\t0\t0000FFFF\t0\t0\t0
"""


@pytest.mark.skipif(sys.byteorder != "little", reason="sample written on a little-endian host")
def test_proc_net_route_fallback_is_parsed(monkeypatch, tmp_path: Path) -> None:
    from kiosk_agent import os_linux

    (tmp_path / "route").write_text(PROC_NET_ROUTE)
    monkeypatch.setattr(os_linux, "PROC_ROUTE", str(tmp_path / "route"))
    monkeypatch.setattr(os_linux, "PROC_ROUTE6", str(tmp_path / "absent"))
    shown = [str(r) for r in os_linux._proc_routes()]
    assert shown == [
        "0.0.0.0/0 via 198.51.100.1 dev d0",
        "198.51.100.0/24 dev d0",  # the unreachable 172.16/12 route is left out
        "10.20.0.0/16 via 198.18.1.2 dev d1",
    ]


ROUTE_PRINT_DA = """\
IPv4-rutetabel
===========================================================================
Aktive ruter:
Netværksdestination        Netmaske          Gateway       Grænseflade  Metrikværdi
          0.0.0.0          0.0.0.0      192.168.1.1    192.168.1.20     25
        10.20.0.0      255.255.0.0          På link       10.8.0.2      281
===========================================================================
Vedvarende ruter:
  Netværksadresse          Netmaske  Gatewayadresse  Metrikværdi
        10.30.0.0      255.255.0.0         10.8.0.1       1
===========================================================================

IPv6-rutetabel
===========================================================================
Aktive ruter:
 If Metrik Netværksdestination      Gateway
 12     25 ::/0                     fe80::1
 17    281 fd12:3456:789a:1:abcd:ef01:2345:6789/128
                                    På link
  1    331 ::1/128                  På link
===========================================================================
"""


def test_windows_route_print_in_danish_with_a_wrapped_ipv6_line() -> None:
    # Matching on "IPv4 Route Table" and a one-word "On-link" read no route at all on a
    # Danish Windows: the leak below would have passed as isolated.
    routes = os_windows.parse_route_print(ROUTE_PRINT_DA)
    shown = {str(r) for r in routes}
    assert shown == {
        "0.0.0.0/0 via 192.168.1.1 dev 192.168.1.20",
        "10.20.0.0/16 dev 10.8.0.2",
        "::/0 via fe80::1 dev if12",
        "fd12:3456:789a:1:abcd:ef01:2345:6789/128 dev if17",
    }


def test_an_unreadable_routing_table_is_unknown_not_isolated(monkeypatch) -> None:
    monkeypatch.setattr(isolation, "current", lambda: argparse.Namespace(routes=lambda: []))
    monkeypatch.setattr(internet, "current", lambda: argparse.Namespace(routes=lambda: []))
    cfg = parse_config({"isolation": {"internal_cidrs": ["10.0.0.0/8"]}})
    assert isolation.routes(cfg).status is Status.UNKNOWN
    assert internet.default_route().status is Status.UNKNOWN
