"""Isolation beyond TCP in the namespace lab: municipal UDP services, ICMP echo, IPv6 router
advertisements, public names answered with internal addresses, and HTTP-only internet."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from netns_lab import MUNI6, RESOLVER_IP, Lab, available, config_toml

pytestmark = pytest.mark.skipif(bool(available()), reason=available() or "ok")

CHECK_URL = "connectivity:http://203.0.113.10/generate_204"


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    built = Lab(tmp_path)
    try:
        yield built.build()
    finally:
        built.close()


def test_municipal_udp_services_that_answer_are_crit(lab: Lab) -> None:
    lab.serve_internet()
    lab.municipal_udp()
    lab.leak_route()
    run = lab.run_agent(config_toml())
    expected = {
        "udp:10.20.0.53:53": "DNS answer (NOERROR",
        "udp:10.20.0.123:123": "NTP server answer (stratum 2)",
        "udp:10.20.0.161:161": "SNMP agent answer (sysDescr 'Municipal switch (lab)')",
        "udp:10.20.0.10:137": "NetBIOS node status answer (name 'KOMMUNE-FIL01')",
    }
    for name, words in expected.items():
        assert run.status(name) == "crit", run.summary()
        assert words in run.detail(name)
    assert run.status("icmp:10.20.0.53") == "crit"
    assert run.doc["verdict"] == "crit"
    assert run.returncode == 2
    # A v2c agent ignores a wrong community: the probe sees silence, which it must report
    # as it is (the community in the config decides what SNMP can prove).
    wrong = lab.run_agent(
        config_toml(udp_targets='["10.20.0.161:161"]', snmp_community='"guess"', targets="[]")
    )
    assert wrong.status("udp:10.20.0.161:161") == "ok", wrong.summary()
    assert "timed out" in wrong.detail("udp:10.20.0.161:161")


def test_syslog_silence_is_unknown_and_unreachable_is_ok(lab: Lab) -> None:
    lab.serve_internet()
    # Only this probe: the router sends only a few "unreachable" errors at once.
    alone = {"targets": "[]", "canaries": "[]", "icmp_echo": "false"}
    isolated = lab.run_agent(config_toml(udp_targets='["10.20.0.10:514"]', **alone))
    assert isolated.status("udp:10.20.0.10:514") == "ok", isolated.summary()
    assert "unreachable" in isolated.detail("udp:10.20.0.10:514")
    lab.blackhole_internal()
    silent = lab.run_agent(config_toml(udp_targets='["10.20.0.10:514"]', **alone))
    assert silent.status("udp:10.20.0.10:514") == "unknown", silent.summary()
    assert "proves nothing for syslog" in silent.detail("udp:10.20.0.10:514")
    assert silent.doc["verdict"] == "unknown"


def test_icmp_not_permitted_is_unknown_never_ok(lab: Lab) -> None:
    lab.serve_internet()
    lab.exec(lab.kiosk, "sysctl", "-qw", "net.ipv4.ping_group_range=1 0")
    run = lab.run_agent(config_toml())
    for name in ("icmp:10.20.0.10", "icmp:10.20.0.53"):
        assert run.status(name) == "unknown", run.summary()
        assert "ping_group_range" in run.detail(name)
    assert run.doc["verdict"] == "unknown"
    assert run.returncode == 3


def test_ipv6_from_router_advertisements_is_a_leak_while_ipv4_is_isolated(lab: Lab) -> None:
    lab.serve_internet()
    lab.municipal_services()
    lab.municipal_udp()
    lab.ipv6_router_advertisements()
    config = config_toml(
        targets=json.dumps(["10.20.0.10:445", f"[{MUNI6}]:445"]),
        udp_targets=json.dumps(["10.20.0.53:53", f"[{MUNI6}]:53"]),
    )
    run = lab.run_agent(config)
    # IPv4 stays isolated...
    assert run.status("target:10.20.0.10:445") == "ok", run.summary()
    assert run.status("udp:10.20.0.53:53") == "ok"
    # ...but the kiosk took an address, a route and a default router from the municipal RA.
    assert run.status("ipv6") == "crit"
    assert "fd20:20:1:" in run.detail("ipv6")
    assert "default router fe80::" in run.detail("ipv6")
    assert run.status("interfaces") == "crit"
    assert run.status("routes") == "crit"
    # And the probes to IPv6 targets run like the IPv4 ones.
    assert run.status(f"target:[{MUNI6}]:445") == "crit"
    assert run.status(f"udp:[{MUNI6}]:53") == "crit"
    assert "DNS answer" in run.detail(f"udp:[{MUNI6}]:53")
    assert run.status(f"icmp:{MUNI6}") == "crit"
    assert run.doc["verdict"] == "crit"


IPV6_ONLY = {
    "targets": json.dumps([f"[{MUNI6}]:445"]),
    "udp_targets": json.dumps([f"[{MUNI6}]:53", f"[{MUNI6}]:123"]),
    "canaries": "[]",
}
IPV6_CHECKS = [f"target:[{MUNI6}]:445", f"udp:[{MUNI6}]:53", f"udp:[{MUNI6}]:123", f"icmp:{MUNI6}"]


def test_ipv6_targets_are_judged_like_ipv4_ones(lab: Lab) -> None:
    """IPv6 internet, and the municipal fd20::/16 out of reach (the router answers
    "unreachable"), silent (dropped), then reachable with nothing listening."""
    lab.serve_internet()
    lab.ipv6_internet()
    isolated = lab.run_agent(config_toml(**IPV6_ONLY))
    assert isolated.doc["verdict"] == "ok", isolated.summary()
    for name in IPV6_CHECKS:
        assert isolated.status(name) == "ok"
        assert "unreachable" in isolated.detail(name), isolated.summary()
    assert isolated.status("ipv6") == "ok"
    assert "default routes: ::/0 via 2001:db8:100::1" in isolated.detail("ipv6")

    lab.ipv6_route_to_municipal()  # nothing listens: the host refuses, but answers
    refused = lab.run_agent(config_toml(**IPV6_ONLY))
    assert refused.status(f"target:[{MUNI6}]:445") == "warn", refused.summary()
    assert "refused" in refused.detail(f"target:[{MUNI6}]:445")
    for name in (f"udp:[{MUNI6}]:53", f"udp:[{MUNI6}]:123"):
        assert refused.status(name) == "warn"
        assert "port unreachable" in refused.detail(name)
    assert refused.status(f"icmp:{MUNI6}") == "crit"
    assert "echo reply" in refused.detail(f"icmp:{MUNI6}")
    assert refused.doc["verdict"] == "crit"

    lab.ip(lab.inet, "-6", "route", "del", "fd20::/16")
    lab.ipv6_blackhole_internal()
    silent = lab.run_agent(config_toml(timeout="2.0", **IPV6_ONLY))
    assert silent.doc["verdict"] == "ok", silent.summary()
    for name in IPV6_CHECKS:
        assert "timed out" in silent.detail(name) or "no reply" in silent.detail(name)
    assert silent.elapsed < 2.0 + 1.0, f"took {silent.elapsed:.2f} s"


def test_ipv6_default_route_without_internal_ipv6_ranges_is_a_warning(lab: Lab) -> None:
    lab.serve_internet()
    lab.ipv6_router_advertisements()
    run = lab.run_agent(config_toml(internal_cidrs='["10.0.0.0/8"]'))
    assert run.status("ipv6") == "warn", run.summary()
    assert "IPv6 isolation is not checked" in run.detail("ipv6")


def test_public_name_answered_with_an_internal_address_is_crit(lab: Lab) -> None:
    lab.serve_internet()
    lab.lab_resolver({"www.borger.test": "203.0.113.10"})
    honest = lab.run_agent(config_toml())
    assert honest.status("dns:www.borger.test") == "ok", honest.summary()
    assert "203.0.113.10" in honest.detail("dns:www.borger.test")
    lab.lab_resolver({"www.borger.test": "10.20.0.10"})  # the internal view, or rebinding
    run = lab.run_agent(config_toml())
    assert run.status("dns:www.borger.test") == "crit", run.summary()
    assert "www.borger.test" in run.detail("dns:www.borger.test")
    assert "10.20.0.10" in run.detail("dns:www.borger.test")
    assert run.doc["verdict"] == "crit"


def test_a_silent_resolver_proves_neither_internet_nor_isolation(lab: Lab) -> None:
    """The kiosk's resolver stops answering (its queries are dropped on the way): the public
    name is not internet (crit) and the internal name's silence is not "does not exist"."""
    lab.serve_internet()
    lab.lab_resolver({"www.borger.test": "203.0.113.10"})
    lab.ip(lab.inet, "addr", "del", f"{RESOLVER_IP}/32", "dev", "lo")
    lab.ip(lab.inet, "route", "add", "blackhole", f"{RESOLVER_IP}/32")
    run = lab.run_agent(config_toml(timeout="2.0"))
    assert run.status("dns:www.borger.test") == "crit", run.summary()
    assert "did not resolve" in run.detail("dns:www.borger.test")
    assert run.status("name:intranet.kommune.test") == "unknown"
    assert "could not decide" in run.detail("name:intranet.kommune.test")
    assert run.doc["verdict"] == "crit"
    assert run.elapsed < 2.0 + 1.0, f"took {run.elapsed:.2f} s"


def test_http_passing_while_https_fails_is_a_partial_connection(lab: Lab) -> None:
    lab.serve_internet()  # port 80 only: HTTPS is refused, as behind a filter or a portal
    urls = [
        {"url": "http://203.0.113.10/generate_204", "status": 204},
        {"url": "https://203.0.113.10/generate_204", "status": 204},
    ]
    toml = "[" + ", ".join(f'{{ url = "{u["url"]}", status = {u["status"]} }}' for u in urls) + "]"
    run = lab.run_agent(config_toml(check_urls=toml))
    assert run.status(CHECK_URL) == "ok", run.summary()
    assert run.status("connection") == "crit"
    assert "partial connection" in run.detail("connection")
    assert run.doc["verdict"] == "crit"
