"""A kiosk must prove isolation with the kiosk profile. A staff-profile report proves the
opposite (its VPN reaches the municipal network), so from a kiosk it never counts: the
tracker refuses to deploy a staff configuration to kiosks, and a staff report that comes
back from one is `invalid`. Through the real `tracker`, against a real sshd on 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sshd import AGENT_CONFIG, Sshd

from kiosk_agent.build import build_zipapp

pytestmark = pytest.mark.timeout(120)

# What `kiosk-agent check --profile staff --json` prints on a laptop whose VPN is up.
STAFF_OK = {
    "agent_version": "0.1.0",
    "profile": "staff",
    "host": "kiosk-7",
    "started_at": "2026-12-05T10:00:00Z",
    "duration_ms": 80,
    "verdict": "ok",
    "checks": [
        {"name": "vpn", "category": "staff", "status": "ok",
         "detail": "VPN adapter up: tun0", "duration_ms": 1},
        {"name": "internal:10.20.0.10:445", "category": "staff", "status": "ok",
         "detail": "connected through tun0 (from 10.99.0.2)", "duration_ms": 3},
    ],
}  # fmt: skip
# The real agent with the staff profile and no network probe: it only reads the adapters.
STAFF_CONFIG = AGENT_CONFIG.replace("timeout = 1.0", 'timeout = 1.0\nprofile = "staff"')


def add_kiosks(run_tracker, tmp_path: Path, hosts: dict[str, str]) -> None:
    rows = ["tag,kind,name,serial,site,step,hostname,notes"]
    rows += [
        f"{tag},kiosk,Kiosk {tag},SN-{tag},raadhus,in_service,{h}," for tag, h in hosts.items()
    ]
    (tmp_path / "kiosks.csv").write_text("\n".join(rows) + "\n")
    assert run_tracker("import", str(tmp_path / "kiosks.csv")).returncode == 0


def self_service(run_tracker) -> str:
    doc = json.loads(run_tracker("status", "--json").stdout)
    site = next(s for s in doc["sites"] if s["id"] == "raadhus")
    return next(f["state"] for f in site["functions"] if f["id"] == "self_service")


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("staff-kiosks")
    (base / "staff.json").write_text(json.dumps(STAFF_OK))
    (base / "staff.toml").write_text(STAFF_CONFIG)
    server = Sshd(base / "sshd", n_ports=2)
    server.modes.update({"pyz": str(build_zipapp(base / "kiosk-agent.pyz")),
                         "config": str(base / "staff.toml")})  # fmt: skip
    server.port_of = dict(zip(("report", "agent"), server.ports, strict=True))
    server.modes[str(server.port_of["report"])] = f"file:{base / 'staff.json'}"
    server.modes[str(server.port_of["agent"])] = "agent"
    server.write_modes()
    with server:
        yield server


@pytest.fixture
def env(sshd: Sshd) -> dict[str, str]:
    return {"TRACKER_SSH_USER": sshd.user, "TRACKER_SSH_IDENTITY": str(sshd.user_key),
            "SSH_AUTH_SOCK": "", "NO_COLOR": "1"}  # fmt: skip


def test_a_staff_report_from_a_kiosk_is_invalid_and_never_counts(run_tracker, tmp_path, sshd, env):
    hosts = {f"KIO-{role.upper()}": f"127.0.0.1:{port}" for role, port in sshd.port_of.items()}
    add_kiosks(run_tracker, tmp_path, hosts)
    assert run_tracker("kiosks", "trust", "--all", "--yes", env=env).returncode == 0
    r = run_tracker("kiosks", "check", "--json", env=env)
    res = {k["tag"]: k for k in json.loads(r.stdout)["kiosks"]}
    for tag in hosts:
        assert res[tag]["verdict"] == "invalid", res[tag]
        assert "a 'staff' profile report; a kiosk must run the kiosk profile" in res[tag]["detail"]
    assert r.returncode == 2
    assert self_service(run_tracker) == "not_ready"


def test_deploy_refuses_a_staff_configuration(run_tracker, tmp_path, sshd, env):
    add_kiosks(run_tracker, tmp_path, {"KIO-REPORT": f"127.0.0.1:{sshd.port_of['report']}"})
    config = tmp_path / "staff.toml"
    config.write_text(STAFF_CONFIG)
    r = run_tracker("kiosks", "deploy", "--all", "--config", str(config), env=env)
    assert r.returncode == 2
    assert f"{config}: profile: a kiosk must run the kiosk profile, got 'staff'" in r.stderr
    assert len(r.stderr.splitlines()) == 1
    assert not [c for c in sshd.commands() if "sftp" in c[1]], "nothing may be copied"
