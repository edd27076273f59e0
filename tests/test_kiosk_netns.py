"""The kiosk agent against real networks: three namespaces per test (kiosk, internet,
municipal), the agent run inside the kiosk one exactly as on a PC."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns_lab import CANARY, TARGETS, UDP_TARGETS, Lab, available, config_toml

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "ok")

TARGET_CHECKS = [f"target:{t}" for t in TARGETS]
UDP_CHECKS = [f"udp:{t}" for t in UDP_TARGETS]
ICMP_CHECKS = ["icmp:10.20.0.10", "icmp:10.20.0.11", "icmp:10.20.0.53"]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    built = Lab(tmp_path)
    try:
        yield built.build()
    finally:
        built.close()


def test_isolated_with_internet_is_ok(lab: Lab) -> None:
    lab.serve_internet()
    lab.municipal_services()  # they exist, but the router has no way to them
    run = lab.run_agent(config_toml())
    assert run.doc["verdict"] == "ok", run.summary()
    assert run.returncode == 0
    for name in TARGET_CHECKS:
        assert "unreachable" in run.detail(name)
    # The router answers "unreachable" only a few times a second (Linux's global ICMP
    # error bucket), so with this many probes at once some see silence instead.
    for name in [*TARGET_CHECKS, *UDP_CHECKS, *ICMP_CHECKS]:
        assert run.status(name) == "ok", run.summary()
        assert "unreachable" in run.detail(name) or "timed out" in run.detail(name)
    assert run.status("name:intranet.kommune.test") == "ok"
    assert run.status("ipv6") == "ok"
    assert run.status("routes") == "ok"
    assert run.status("clock_skew") == "ok"


def test_route_leaking_into_municipal_net_is_crit(lab: Lab) -> None:
    lab.serve_internet()
    lab.municipal_services()
    lab.leak_route()
    lab.hosts["intranet.kommune.test"] = "10.20.0.10"
    lab.write_etc()
    run = lab.run_agent(config_toml())
    assert run.doc["verdict"] == "crit", run.summary()
    assert run.returncode == 2
    assert run.status("routes") == "crit"
    assert "10.20.0.0/16" in run.detail("routes")
    for name in TARGET_CHECKS:
        assert run.status(name) == "crit"
        assert run.detail(name).startswith("connected")
    assert run.status("name:intranet.kommune.test") == "crit"


def test_targets_that_drop_packets_are_ok_within_the_time_bound(lab: Lab) -> None:
    lab.serve_internet()
    lab.blackhole_internal()
    run = lab.run_agent(config_toml(timeout="2.0"))
    assert run.doc["verdict"] == "ok", run.summary()
    # Every probe, TCP, UDP and ICMP, waits out the one timeout at the same time.
    for name in [*TARGET_CHECKS, *UDP_CHECKS, *ICMP_CHECKS, f"canary:{CANARY}"]:
        assert run.status(name) == "ok", run.summary()
        assert "timed out" in run.detail(name) or "no reply" in run.detail(name)
    assert run.elapsed < 2.0 + 1.0, f"took {run.elapsed:.2f} s"


def test_targets_that_refuse_or_answer_ping_are_not_ok(lab: Lab) -> None:
    lab.serve_internet()
    lab.route_to_municipal()  # a path exists, nothing listens: the hosts send RST
    run = lab.run_agent(config_toml())
    for name in TARGET_CHECKS:
        assert run.status(name) == "warn"
        assert "refused" in run.detail(name)
    # UDP: the hosts answer with ICMP "port unreachable", which is never isolation.
    for name in UDP_CHECKS:
        assert run.status(name) == "warn", run.summary()
        assert "port unreachable" in run.detail(name)
    # The hosts answer the echo request: reachable over IP.
    assert run.status("icmp:10.20.0.10") == "crit"
    assert "echo reply" in run.detail("icmp:10.20.0.10")
    assert run.doc["verdict"] == "crit", run.summary()
    assert run.returncode == 2
    quiet = lab.run_agent(config_toml(icmp_echo="false", udp_targets="[]"))
    assert not [c for c in quiet.doc["checks"] if c["name"].startswith("icmp:")]
    assert quiet.doc["verdict"] == "warn", quiet.summary()
    assert quiet.returncode == 1


def test_no_internet_is_crit_and_blocked_results_prove_nothing(lab: Lab) -> None:
    lab.serve_internet()
    lab.ip(lab.kiosk, "route", "del", "default")
    run = lab.run_agent(config_toml())
    assert run.doc["verdict"] == "crit", run.summary()
    assert run.returncode == 2
    assert run.status("default_route") == "crit"
    assert run.status("connectivity:http://203.0.113.10/generate_204") == "crit"
    for name in [*TARGET_CHECKS, f"canary:{CANARY}"]:
        assert run.status(name) == "unknown"
        assert "proves nothing" in run.detail(name)


@pytest.mark.parametrize(
    ("status", "body", "location"),
    [(200, "<html>Log in to the guest network</html>", ""), (302, "", "http://portal.test/")],
    ids=["wrong-body", "redirect"],
)
def test_captive_portal_is_not_internet(lab: Lab, status: int, body: str, location: str) -> None:
    lab.serve_internet(status=status, body=body, location=location)
    run = lab.run_agent(config_toml())
    check = "connectivity:http://203.0.113.10/generate_204"
    assert run.status(check) == "crit", run.summary()
    assert "captive portal" in run.detail(check)
    assert run.doc["verdict"] == "crit"


def test_vpn_like_interface_is_crit(lab: Lab) -> None:
    lab.serve_internet()
    lab.exec(lab.kiosk, "ip", "tuntap", "add", "dev", "tun0", "mode", "tun")
    lab.ip(lab.kiosk, "link", "set", "tun0", "up")
    # A link named like WireGuard's (the wireguard and dummy modules may be missing in CI).
    lab.ip(lab.kiosk, "link", "add", "wg0", "type", "veth", "peer", "name", "peer-of-wg")
    run = lab.run_agent(config_toml())
    assert run.status("vpn_adapters") == "crit", run.summary()
    assert "tun0" in run.detail("vpn_adapters")
    assert "wg0" in run.detail("vpn_adapters")
    assert run.doc["verdict"] == "crit"


def test_interceptor_answering_every_address_is_not_ok(lab: Lab) -> None:
    lab.serve_internet()
    lab.intercept_all_internal()
    run = lab.run_agent(config_toml(targets='["10.20.0.10:445", "10.20.0.12:3389"]'))
    assert run.status(f"canary:{CANARY}") == "warn", run.summary()
    assert "intercepts" in run.detail(f"canary:{CANARY}")
    assert run.status("target:10.20.0.10:445") == "crit"
    assert run.status("target:10.20.0.12:3389") != "ok"
    assert run.doc["verdict"] != "ok"
    assert run.returncode != 0


def test_psutil_missing_is_unknown_not_ok(lab: Lab, tmp_path: Path) -> None:
    shim = tmp_path / "no-psutil"
    (shim / "psutil").mkdir(parents=True)
    (shim / "psutil" / "__init__.py").write_text("raise ImportError('psutil removed by test')\n")
    lab.serve_internet()
    run = lab.run_agent(config_toml(processes='["chromium"]'), str(shim))
    for name in ("link", "interfaces", "vpn_adapters", "connections", "uptime", "process:chromium"):
        assert run.status(name) == "unknown", run.summary()
        assert "psutil" in run.detail(name)
    # The checks that do not need psutil still ran and still found evidence.
    assert run.status("connectivity:http://203.0.113.10/generate_204") == "ok"
    assert run.status("routes") == "ok"
    assert run.status(TARGET_CHECKS[0]) == "ok"
    assert run.doc["verdict"] == "unknown"
    assert run.returncode == 3


def test_https_certificate_must_verify(lab: Lab, tmp_path: Path) -> None:
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp_path)

    for ca in ("ca", "other-ca"):
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", f"/CN=Test {ca}", "-keyout", f"{ca}.key", "-out", f"{ca}.pem")  # fmt: skip
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=www.borger.test",
            "-keyout", "srv.key", "-out", "srv.csr")  # fmt: skip
    (tmp_path / "san.ext").write_text("subjectAltName=DNS:www.borger.test\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "srv.pem")  # fmt: skip
    lab.serve_internet()
    lab.start(lab.inet, "http", "--bind", "203.0.113.10", "--port", "443", "--status", "200",
              "--cert", str(tmp_path / "srv.pem"), "--key", str(tmp_path / "srv.key"))  # fmt: skip
    name = "https:https://www.borger.test/"
    good = lab.run_agent(
        config_toml(https='["https://www.borger.test/"]', ca_file=f'"{tmp_path / "ca.pem"}"')
    )
    assert good.status(name) == "ok", good.summary()
    assert good.doc["verdict"] == "ok"
    bad = lab.run_agent(
        config_toml(https='["https://www.borger.test/"]', ca_file=f'"{tmp_path / "other-ca.pem"}"')
    )
    assert bad.status(name) == "crit"
    assert "did not verify" in bad.detail(name)


def test_leak_through_a_policy_routing_table_is_crit(lab: Lab) -> None:
    # Like a VPN client or a hand-made fix: the route lives in its own table, chosen by a
    # rule; /proc/net/route shows only the main table and would call this isolated.
    lab.serve_internet()
    lab.leak_route()
    lab.ip(lab.kiosk, "route", "del", "10.20.0.0/16")
    lab.ip(lab.kiosk, "route", "add", "10.20.0.0/16", "via", "198.18.1.2", "table", "100")
    lab.ip(lab.kiosk, "rule", "add", "to", "10.20.0.0/16", "lookup", "100")
    run = lab.run_agent(config_toml(targets="[]"))
    assert run.status("routes") == "crit", run.summary()
    assert "10.20.0.0/16 via 198.18.1.2" in run.detail("routes")
    assert "table 100" in run.detail("routes")


def test_blackhole_route_on_the_kiosk_is_isolation_not_a_leak(lab: Lab) -> None:
    # Hardening some sites apply: drop the municipal ranges on the PC itself.
    lab.serve_internet()
    lab.ip(lab.kiosk, "route", "add", "blackhole", "10.0.0.0/8")
    lab.ip(lab.kiosk, "route", "add", "prohibit", "10.20.0.0/16")
    run = lab.run_agent(config_toml(targets="[]", canaries="[]"))
    assert run.status("routes") == "ok", run.summary()
    assert run.doc["verdict"] == "ok"
