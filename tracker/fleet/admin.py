"""Setting kiosks up for checks: pinning their host keys (`trust`) and installing the agent
(`deploy`). Both are run by a person, so they report per kiosk and never decide on trust alone."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tracker.fleet import checks, known_hosts
from tracker.fleet.checks import AGENT_FILE, CONFIG_FILE, FleetError, Kiosk
from tracker.fleet.verdicts import clean


@dataclass
class SeenKey:
    """What a kiosk presented, compared with what is pinned for it."""

    kiosk: Kiosk
    state: str
    """`new` (nothing pinned), `same`, `changed`, or `unreachable`."""
    key: Any = None
    fingerprint: str = ""
    pinned: str = ""
    """Fingerprints pinned before, comma separated."""
    detail: str = ""

    @property
    def entry(self) -> str:
        return known_hosts.entry_name(self.kiosk.host, self.kiosk.port)


def scan_keys(targets: Sequence[Kiosk], ssh: Any, parallel: int) -> list[SeenKey]:
    """Fetch every kiosk's host key (no login) and compare it with the pinned ones."""
    from tracker.fleet.ssh import SSHFailure, host_key

    keys = known_hosts.load(ssh.known_hosts)

    def look(k: Kiosk) -> SeenKey:
        if not k.port:
            return SeenKey(
                k, "unreachable", detail=f"hostname {clean(k.hostname, 80)!r} is malformed"
            )
        old = known_hosts.pinned(keys, known_hosts.entry_name(k.host, k.port))
        try:
            key = host_key(k.host, k.port, ssh.timeout, prefer=old[0].get_name() if old else None)
        except SSHFailure as e:
            return SeenKey(k, "unreachable", detail=clean(e.detail))
        state = "same" if key in old else ("changed" if old else "new")
        pinned = ", ".join(known_hosts.fingerprint(o) for o in old)
        return SeenKey(k, state, key, known_hosts.fingerprint(key), pinned)

    def failed(k: Kiosk, e: BaseException) -> SeenKey:
        return SeenKey(k, "unreachable", detail=clean(f"error: {e!r}"))

    return sorted(checks.run_pool(targets, look, failed, parallel), key=lambda s: s.kiosk.tag)


def pin(ssh: Any, seen: SeenKey) -> None:
    """Pin the key `seen` shows, replacing what was pinned for that host and port."""
    known_hosts.pin(ssh.known_hosts, seen.entry, seen.key)


# --- deploy -----------------------------------------------------------------------------------


@dataclass
class Deployed:
    tag: str
    host: str
    ok: bool
    detail: str


def validate_agent_config(path: Path) -> None:
    """Refuse to deploy a configuration the agent would reject (FleetError names file and key)."""
    from kiosk_agent.config import ConfigError, load_config

    if not path.is_file():
        raise FleetError(f"{path}: no such agent configuration file")
    try:
        cfg = load_config(path)
    except ConfigError as e:
        raise FleetError(f"agent configuration: {e}") from e
    if cfg.profile != "kiosk":
        raise FleetError(
            f"agent configuration: {path}: profile: a kiosk must run the kiosk profile, got "
            f"{cfg.profile!r} (the staff profile is for staff laptops: `tracker network check`)"
        )


def deploy(
    targets: Sequence[Kiosk],
    ssh: Any,
    config: Path,
    *,
    agent: Path | None = None,
    parallel: int = checks.DEFAULT_PARALLEL,
) -> list[Deployed]:
    """Copy the agent zipapp (built from this checkout unless `agent` is given) and `config` to
    every kiosk's login directory, each file replaced atomically."""
    from kiosk_agent.build import build_zipapp
    from tracker.fleet.ssh import KeyError_, SSHFailure, connect, load_identity, replace_file

    validate_agent_config(config)
    try:
        pkey = load_identity(ssh.identity)
    except KeyError_ as e:
        raise FleetError(str(e)) from e
    keys = known_hosts.load(ssh.known_hosts)
    with tempfile.TemporaryDirectory(prefix="kiosk-agent-") as tmp:
        if agent is None:
            agent = build_zipapp(Path(tmp) / AGENT_FILE)
        elif not agent.is_file():
            raise FleetError(f"{agent}: no such agent file")

        def one(k: Kiosk) -> Deployed:
            if not k.port:
                return Deployed(k.tag, k.hostname, False, "malformed hostname")
            pins = known_hosts.pinned(keys, known_hosts.entry_name(k.host, k.port))
            try:
                client = connect(k.host, k.port, ssh, pins, pkey)
                try:
                    replace_file(client, agent, AGENT_FILE, 0o644, ssh.command_timeout)
                    replace_file(client, config, CONFIG_FILE, 0o644, ssh.command_timeout)
                finally:
                    client.close()
            except SSHFailure as e:
                return Deployed(k.tag, k.hostname, False, f"{e.verdict}: {clean(e.detail)}")
            return Deployed(k.tag, k.hostname, True, f"{AGENT_FILE} and {CONFIG_FILE} replaced")

        def failed(k: Kiosk, e: BaseException) -> Deployed:
            return Deployed(k.tag, k.hostname, False, clean(f"error: {e!r}"))

        done = checks.run_pool(targets, one, failed, parallel)
    return sorted(done, key=lambda d: d.tag)
