"""Configuration validation: a bad file stops the agent (exit 3) and says file, key, problem."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk_agent.config import ConfigError, load_config, parse_config

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "kiosk_agent" / "sample-config.toml"


def test_shipped_sample_config_is_valid() -> None:
    cfg = load_config(SAMPLE)
    assert cfg.targets and cfg.canaries and cfg.internal_cidrs and cfg.udp_targets
    assert cfg.profile == "kiosk"
    assert 2.0 <= cfg.timeout <= 3.0


def test_empty_file_is_valid_and_skips_list_checks(tmp_path: Path) -> None:
    path = tmp_path / "empty.toml"
    path.write_text("")
    cfg = load_config(path)
    assert cfg.targets == [] and cfg.check_urls == [] and cfg.processes == []


BAD = [
    ("tiemout = 2.0", "tiemout", "unknown key"),
    ("timeout = 'soon'", "timeout", "must be a number"),
    ("timeout = 0", "timeout", "between"),
    ("[isolation]\ntargets = '10.0.0.1:445'", "isolation.targets", "must be a list"),
    ("[isolation]\ntargets = ['10.0.0.300:445']", "isolation.targets[0]", "not an IP address"),
    ("[isolation]\ntargets = ['10.0.0.1']", "isolation.targets[0]", "ADDRESS:PORT"),
    ("[isolation]\ntargets = ['10.0.0.1:70000']", "isolation.targets[0]", "ADDRESS:PORT"),
    ("[isolation]\ncanaries = ['fe80::1:445']", "isolation.canaries[0]", "[ADDRESS]:PORT"),
    ("[isolation]\ninternal_cidrs = ['10.0.0.0/33']", "isolation.internal_cidrs[0]", "CIDR"),
    (
        "[isolation]\nudp_targets = ['10.0.0.1:5000']",
        "isolation.udp_targets[0]",
        "no probe for UDP port 5000",
    ),
    (
        "[isolation]\nudp_targets = ['10.0.0.1:53/tftp']",
        "isolation.udp_targets[0]",
        "no probe for UDP service 'tftp'",
    ),
    ("[isolation]\nicmp_echo = 'yes'", "isolation.icmp_echo", "true or false"),
    ("profile = 'laptop'", "profile", "must be one of ['kiosk', 'staff']"),
    ("[staff]\nvpn_adapter = ['wg0']", "staff.vpn_adapter", "unknown key"),
    ("[isolation]\ninternal_cidrs = ['10.0.0.1/8']", "isolation.internal_cidrs[0]", "host bits"),
    ("[isolation]\nmanagement_hosts = ['mgmt']", "isolation.management_hosts[0]", "not an IP"),
    ("[isolation]\nintranet = []", "isolation.intranet", "unknown key"),
    ("[internet]\ncheck_urls = ['http://x/']", "internet.check_urls[0]", "must be a table"),
    ("[internet]\ncheck_urls = [{ url = 'ftp://x/' }]", "internet.check_urls[0].url", "http"),
    (
        "[internet]\ncheck_urls = [{ url = 'http://x/', status = '204' }]",
        "internet.check_urls[0].status",
        "HTTP status",
    ),
    ("[internet]\ncheck_urls = [{ url = 'http://x/', bdy = '' }]", "check_urls[0].bdy", "unknown"),
    ("[internet]\nhttps = ['http://www.borger.dk/']", "internet.https[0]", "https URL"),
    ("[internet]\nresolve = ['borger dk']", "internet.resolve[0]", "without spaces"),
    # A name the resolver refuses to encode comes back as "does not exist": a false ok.
    ('[isolation]\ninternal_names = ["a\\u0000b"]', "internal_names[0]", "control characters"),
    ('[isolation]\ninternal_names = ["\\u001b[31mx"]', "internal_names[0]", "'\\x1b[31mx'"),
    ("[isolation]\ninternal_names = ['" + "a" * 64 + ".dk']", "internal_names[0]", "1-63"),
    ("[internet]\nresolve = ['borger..dk']", "internet.resolve[0]", "label ''"),
    ("[internet]\nresolve = ['a!b.dk']", "internet.resolve[0]", "not a host name"),
    ("[internet]\nresolve = ['" + "abc." * 64 + "dk']", "resolve[0]", "longer than 253"),
    ('[health]\nprocesses = ["\\u202eexe.png"]', "health.processes[0]", "control"),
    ("[isolation]\nsnmp_community = ''", "isolation.snmp_community", "1-255 bytes"),
    ("[isolation]\nsnmp_community = '" + "c" * 256 + "'", "snmp_community", "1-255 bytes"),
    ("[isolation]\nudp_targets = ['10.0.0.1:53/']", "udp_targets[0]", "nothing after '/'"),
    ("[isolation]\ntargets = ['[fe80::1%eth0]:445']", "isolation.targets[0]", "zone (%eth0)"),
    ("[isolation]\nmanagement_hosts = ['fe80::5%2']", "management_hosts[0]", "zone (%2)"),
    (
        "[isolation]\ntargets = ["
        + ",".join(f"'10.0.{i // 250}.{i % 250}:445'" for i in range(257))
        + "]",
        "isolation.targets",
        "257 entries, at most 256",
    ),
    ("[health]\nmin_free_disk_mb = true", "health.min_free_disk_mb", "must be a number"),
    ("[health]\nprocesses = [1]", "health.processes[0]", "must be a string"),
    ("health = 3", "health", "must be a table"),
    # A repeated entry would repeat a metric series, and node_exporter drops the whole file.
    ("[isolation]\ntargets = ['10.0.0.1:445', '10.0.0.1:445']", "isolation.targets[1]", "repeats"),
    ("[isolation]\ncanaries = ['[fd00::1]:1', '[fd00:0::1]:1']", "canaries[1]", "repeats"),
    ("[health]\nprocesses = ['a', 'b', 'a']", "health.processes[2]", "repeats [0]"),
    (
        "[internet]\ncheck_urls = [{ url = 'http://x/' }, { url = 'http://x/', status = 200 }]",
        "internet.check_urls[1].url",
        "repeats",
    ),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_input_names_file_key_and_problem(
    tmp_path: Path, text: str, key: str, problem: str
) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message
    assert key in message
    assert problem in message


def test_not_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[isolation\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.toml")


@pytest.mark.parametrize("mode", [[], ["--json"], ["--nagios"]])
def test_cli_exits_3_on_bad_config_in_every_mode(tmp_path: Path, mode: list[str]) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[isolation]\ntargets = ['10.0.0.300:445']\n")
    out = tmp_path / "last.json"
    done = subprocess.run(
        [sys.executable, "-m", "kiosk_agent", "check", "--config", str(path), "--out", str(out),
         *mode],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )  # fmt: skip
    assert done.returncode == 3
    assert str(path) in done.stderr and "isolation.targets[0]" in done.stderr
    doc = json.loads(out.read_text())
    assert doc["verdict"] == "unknown"
    assert doc["checks"][0]["name"] == "config"
    if mode == ["--nagios"]:
        assert done.stdout.startswith("KIOSK UNKNOWN - ")


def test_udp_services_by_port_or_by_name(tmp_path: Path) -> None:
    path = tmp_path / "udp.toml"
    path.write_text(
        "[isolation]\nudp_targets = ['10.0.0.53:53', '[fd00::7b]:123', '10.0.0.9:5353/dns']\n"
    )
    cfg = load_config(path)
    assert [(str(t), t.service) for t in cfg.udp_targets] == [
        ("10.0.0.53:53", "dns"), ("[fd00::7b]:123", "ntp"), ("10.0.0.9:5353", "dns")
    ]  # fmt: skip
    assert [str(a) for a in cfg.internal_addresses()] == ["10.0.0.53", "fd00::7b", "10.0.0.9"]


def test_names_the_resolver_can_look_up_are_accepted() -> None:
    cfg = parse_config(
        {"internet": {"resolve": ["borger.dk.", "bücher.dk", "xn--bcher-kva.example"]},
         "isolation": {"internal_names": ["wpad", "_ldap._tcp.kommune.local", "10.20.0.10"]}}
    )  # fmt: skip
    assert cfg.resolve[1] == "bücher.dk" and cfg.internal_names[0] == "wpad"


def test_an_unloadable_ca_file_or_disk_path_is_unknown_and_named(tmp_path: Path) -> None:
    """Problems on this PC, not findings about the network: never "no connection" (crit)
    and never ok. Both fail before any socket is opened."""
    from kiosk_agent import health, internet
    from kiosk_agent.config import CheckUrl
    from kiosk_agent.model import Status

    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate\n")
    for ca in (str(tmp_path / "absent.pem"), str(not_pem)):
        cfg = parse_config({"internet": {"ca_file": ca}})
        seen = [
            internet.https("https://www.borger.test/", cfg),
            internet.connectivity(CheckUrl("https://www.borger.test/"), cfg, []),
        ]
        for finding in seen:
            assert finding.status is Status.UNKNOWN, finding
            assert finding.detail.startswith(f"internet.ca_file {ca!r} cannot be loaded")
    cfg = parse_config({"health": {"disk_path": str(tmp_path / "absent")}})
    finding = health.disk(cfg)
    assert finding.status is Status.UNKNOWN
    assert finding.detail.startswith(f"health.disk_path {str(tmp_path / 'absent')!r}")
