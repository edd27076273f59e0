"""A kiosk configuration that lists nothing able to prove isolation never verifies a kiosk.

Without a target, a UDP target, an internal name or an internal range, the only isolation
checks that run (the VPN adapters, and the canaries if any) pass on any network, so the
real agent reports `isolation:configured` as `unknown` and exits 3 instead of `ok`. Traffic
goes only to 127.0.0.1 (the canary case).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sshd import closed_port

from kiosk_agent.config import ISOLATION_EVIDENCE, NOTHING_PROVES_ISOLATION, parse_config
from kiosk_agent.runner import plan

REPO = Path(__file__).resolve().parent.parent
CHECK = "isolation:configured"

# Every isolation key present and empty, ICMP echo on: nothing to send it to.
EMPTY = """\
timeout = 1.0
[isolation]
internal_cidrs = []
targets = []
udp_targets = []
internal_names = []
canaries = []
management_hosts = []
icmp_echo = true
[health]
min_free_disk_mb = 1
"""


def _agent(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "kiosk_agent", "check", *args, "--config", str(config)]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=60)


def _only_canaries() -> str:
    """Canaries and management hosts only qualify other probes: still nothing proved."""
    port = closed_port()
    return EMPTY.replace("canaries = []", f'canaries = ["127.0.0.1:{port}"]').replace(
        "management_hosts = []", 'management_hosts = ["127.0.0.1"]'
    )


@pytest.mark.parametrize("text", [EMPTY, None], ids=["all-empty", "only-canaries"])
def test_a_kiosk_config_that_probes_nothing_internal_is_unknown_not_ok(
    tmp_path: Path, text: str | None
) -> None:
    config = tmp_path / "kiosk-agent.toml"
    config.write_text(text or _only_canaries(), encoding="utf-8")
    done = _agent(config, "--json")
    assert done.returncode == 3, done.stderr
    doc = json.loads(done.stdout)
    assert doc["profile"] == "kiosk" and doc["verdict"] == "unknown"
    flagged = [c for c in doc["checks"] if c["name"] == CHECK]
    assert len(flagged) == 1
    assert flagged[0]["category"] == "isolation" and flagged[0]["status"] == "unknown"
    assert flagged[0]["detail"] == NOTHING_PROVES_ISOLATION
    for key in ISOLATION_EVIDENCE:
        assert key in flagged[0]["detail"]
    # It alone holds the verdict back: every other check passed on this machine.
    assert [c["name"] for c in doc["checks"] if c["status"] != "ok"] == [CHECK], doc["checks"]
    if text is None:
        assert any(c["name"].startswith("canary:127.0.0.1:") for c in doc["checks"])

    text_out = _agent(config)
    assert text_out.returncode == 3
    assert text_out.stdout.startswith("UNKNOWN")
    assert f"{CHECK}: {NOTHING_PROVES_ISOLATION}\n" in text_out.stdout
    nagios = _agent(config, "--nagios")
    assert nagios.stdout.startswith(f"KIOSK UNKNOWN - unknown {CHECK}: the configuration lists")


def test_the_staff_profile_is_unaffected(tmp_path: Path) -> None:
    config = tmp_path / "staff.toml"
    config.write_text(EMPTY, encoding="utf-8")
    done = _agent(config, "--json", "--profile", "staff")
    doc = json.loads(done.stdout)
    assert doc["profile"] == "staff"
    assert CHECK not in {c["name"] for c in doc["checks"]}
    assert "isolation" not in {c["category"] for c in doc["checks"]}


@pytest.mark.parametrize(
    ("isolation", "flagged"),
    [
        ({"targets": ["10.20.0.10:445"]}, False),
        ({"udp_targets": ["10.20.0.53:53"]}, False),
        ({"internal_names": ["wpad"]}, False),
        ({"internal_cidrs": ["10.0.0.0/8"]}, False),
        ({"internal_cidrs": ["fd20::/16"], "icmp_echo": False}, False),
        ({}, True),
        ({"icmp_echo": True}, True),
        ({"icmp_echo": False, "snmp_community": "muni-read"}, True),
        ({"canaries": ["192.0.2.250:80"], "management_hosts": ["10.20.0.5"]}, True),
    ],
)
def test_any_one_probe_of_the_municipal_network_is_enough(isolation, flagged) -> None:
    cfg = parse_config({"isolation": isolation})
    names = [name for name, _category, _fn in plan(cfg, [])]
    assert (CHECK in names) is flagged
    assert cfg.proves_isolation() is not flagged
