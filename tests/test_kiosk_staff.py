"""The staff profile in the namespace lab: a staff laptop whose VPN is a real tun adapter,
carried as UDP over the site network into the municipal namespace. VPN up and the internal
systems answering through it: ok; VPN down or its client stopped, or up but the internal
systems out of reach (far end gone, the site network blocks the VPN), or reached around
the VPN: crit."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLE_CSV
from netns_lab import TARGETS, UDP_TARGETS, VPN_SERVER, Lab, available, config_toml

pytestmark = pytest.mark.skipif(bool(available(tun=True)), reason=available(tun=True) or "ok")

INTERNAL = [f"internal:{t}" for t in TARGETS]
INTERNAL_UDP = [f"internal-udp:{t}" for t in UDP_TARGETS[:3]]
CHECK_URL = "connectivity:http://203.0.113.10/generate_204"
CONFIG = config_toml(udp_targets=json.dumps(UDP_TARGETS[:3]), canaries="[]")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    built = Lab(tmp_path)
    try:
        built.build()
        built.serve_internet()
        built.municipal_services()
        built.municipal_udp()
        yield built
    finally:
        built.close()


def test_vpn_up_and_internal_systems_through_it_is_ok(lab: Lab) -> None:
    vpn = lab.add_staff()
    run = lab.run_agent(CONFIG, "", "--profile", "staff", ns=lab.staff)
    assert run.doc["verdict"] == "ok", run.summary()
    assert run.returncode == 0
    assert run.doc["profile"] == "staff"
    assert run.status("vpn") == "ok" and vpn in run.detail("vpn")
    for name in [*INTERNAL, *INTERNAL_UDP]:
        assert run.status(name) == "ok", run.summary()
        assert f"through {vpn}" in run.detail(name)
    assert "SNMP agent answer" in run.detail("internal-udp:10.20.0.161:161")
    assert run.status("internal-name:intranet.kommune.test") == "ok"
    # Isolation does not apply to a staff laptop: none of its checks ran.
    assert not [c for c in run.doc["checks"] if c["category"] == "isolation"]


def test_vpn_down_is_crit(lab: Lab) -> None:
    vpn = lab.add_staff()
    lab.ip(lab.staff, "link", "set", vpn, "down")
    run = lab.run_agent(CONFIG, "", "--profile", "staff", ns=lab.staff)
    assert run.status("vpn") == "crit", run.summary()
    assert f"VPN adapter down: {vpn}" in run.detail("vpn")
    for name in [*INTERNAL, *INTERNAL_UDP]:
        assert run.status(name) == "crit"
        assert "through the VPN" in run.detail(name)
    assert run.doc["verdict"] == "crit"
    assert run.returncode == 2


def test_vpn_up_but_internal_systems_unreachable_is_crit(lab: Lab) -> None:
    lab.add_staff()
    # The far end of the tunnel is gone: the adapter is still up on the laptop.
    lab.ip(lab.muni, "link", "set", f"mw{lab.tag}", "down")
    # The profile from the config file, not the command line, works the same.
    run = lab.run_agent(CONFIG.replace('profile = "kiosk"', 'profile = "staff"'), ns=lab.staff)
    assert run.status("vpn") == "ok", run.summary()
    for name in [*INTERNAL, *INTERNAL_UDP]:
        assert run.status(name) == "crit", run.summary()
    assert run.doc["verdict"] == "crit"
    assert run.elapsed < 2.0 + 1.0, f"took {run.elapsed:.2f} s"


def test_vpn_blocked_by_the_site_network_or_its_client_stopped_is_crit(lab: Lab) -> None:
    vpn = lab.add_staff()
    # A guest network that lets only web traffic out: the tunnel's datagrams never arrive.
    lab.ip(lab.inet, "route", "add", "blackhole", f"{VPN_SERVER}/32")
    run = lab.run_agent(CONFIG, "", "--profile", "staff", ns=lab.staff)
    assert run.status("vpn") == "ok", run.summary()
    for name in [*INTERNAL, *INTERNAL_UDP]:
        assert run.status(name) == "crit", run.summary()
        assert "timed out" in run.detail(name)
    assert run.status(CHECK_URL) == "ok"  # the internet itself works
    assert run.doc["verdict"] == "crit"
    # The VPN client quits: its adapter is gone with it.
    lab.vpn_client.kill()
    lab.vpn_client.wait(timeout=10)
    run = lab.run_agent(CONFIG, "", "--profile", "staff", ns=lab.staff)
    assert run.status("vpn") == "crit", run.summary()
    assert "no VPN adapter" in run.detail("vpn") and vpn not in run.detail("vpn")
    assert run.doc["verdict"] == "crit"


def test_internal_systems_reached_around_the_vpn_are_crit(lab: Lab) -> None:
    vpn = lab.add_staff()
    lab.ip(lab.staff, "route", "del", "10.20.0.0/16")
    lab.route_to_municipal()  # the site's own network leads into the municipal one
    run = lab.run_agent(CONFIG, "", "--profile", "staff", ns=lab.staff)
    assert run.status("vpn") == "ok", run.summary()
    for name in INTERNAL:
        assert run.status(name) == "crit", run.summary()
        assert "not through the VPN" in run.detail(name)
        assert vpn not in run.detail(name)


def test_tracker_network_check_runs_the_agent_on_the_laptop_and_stores_it(
    lab: Lab, tmp_path: Path
) -> None:
    vpn = lab.add_staff()
    db = tmp_path / "tracker.db"
    config = tmp_path / "staff.toml"
    config.write_text(CONFIG)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "TRACKER_OPERATOR": "tester"}

    def tracker(*args: str, ns: str = "") -> subprocess.CompletedProcess:
        where = ["ip", "netns", "exec", ns] if ns else []
        cmd = [*where, sys.executable, "-m", "tracker", "--db", str(db), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)

    assert tracker("import", str(SAMPLE_CSV)).returncode == 0  # only import makes a db
    assert tracker("scenario", "start", "borgerservice_to_library").returncode == 0
    # On the laptop at the library, VPN up: the check passes and is stored for the site.
    done = tracker("network", "check", "--site", "hovedbibliotek", "--config", str(config),
                   ns=lab.staff)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Hovedbiblioteket: staff network ok" in done.stdout
    status = json.loads(tracker("status", "--json").stdout)
    library = next(s for s in status["sites"] if s["id"] == "hovedbibliotek")
    assert library["network"]["state"] == "ok"
    with sqlite3.connect(db) as conn:
        (report,) = conn.execute("SELECT report FROM network_checks").fetchone()
    assert json.loads(report)["profile"] == "staff"
    assert f"VPN adapter up: {vpn}" in report
    # VPN down: the check fails, is stored, and the site's passport work is held back.
    lab.ip(lab.staff, "link", "set", vpn, "down")
    done = tracker("network", "check", "--site", "hovedbibliotek", "--config", str(config),
                   ns=lab.staff)  # fmt: skip
    assert done.returncode == 1
    assert "staff network check failed" in done.stdout
    status = json.loads(tracker("status", "--json").stdout)
    library = next(s for s in status["sites"] if s["id"] == "hovedbibliotek")
    assert library["network"]["state"] == "failed"
    assert any(
        b.startswith("Pas, ") and ": staff network check failed" in b for b in library["blocking"]
    )
