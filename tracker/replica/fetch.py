"""The files an SFTP restore needs, downloaded at the speed of the link before Litestream runs.

Litestream 0.5 reads an SFTP replica one small request at a time: restoring a 244 MB database
(an 83 MB snapshot) from sshd on the same machine took it 8 s, where `sftp get` of the same
file takes 0.4 s. So `tracker restore` asks Litestream which files the restore needs
(`litestream restore -dry-run -json`: its own plan, nothing chosen by the tracker), downloads
exactly those with paramiko (pipelined reads, several files at once, the pinned host key and
the key login the kiosk checks use) into a private folder laid out as Litestream's file
replica, and then lets Litestream restore from that folder. Litestream checks each file as it
restores it, so a file damaged on the way fails the restore instead of passing unnoticed.
"""

from __future__ import annotations

import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tracker.replica import config
from tracker.replica.target import ReplicaError, Target

CONNECT_TIMEOUT_S = 30.0
WORKERS = 4
"""Files downloaded at once: a restore after a day of replication needs a few dozen small
files (the compaction levels since the last snapshot) besides the snapshot."""


@dataclass(frozen=True)
class LtxFile:
    level: int
    name: str
    size: int

    def relative(self) -> str:
        """Where the file lies in a replica folder: `ltx/LEVEL/NAME`."""
        return posixpath.join("ltx", str(self.level), self.name)


class PlanChanged(ReplicaError):
    """A planned file is gone or has another size: the replica changed under the download
    (compaction of a replica that is still being written); plan again."""


def download(
    target: Target,
    files: list[LtxFile],
    folder: Path,
    *,
    identity: str | None,
    known_hosts: str,
) -> None:
    """Each planned file from the server into `folder` (as a file replica), size checked."""
    import paramiko

    from tracker.fleet import known_hosts as kh
    from tracker.fleet import ssh

    settings = ssh.SSHSettings(
        user=target.user,
        identity=config.identity_path(identity),
        known_hosts=Path(known_hosts),
        timeout=CONNECT_TIMEOUT_S,
    )
    try:
        pkey = ssh.load_identity(settings.identity)
    except ssh.KeyError_ as e:
        raise ReplicaError(str(e)) from e
    pinned = kh.pinned(kh.load(known_hosts), target.known_hosts_name)
    try:
        client = ssh.connect(target.host, target.port, settings, pinned, pkey)
    except ssh.SSHFailure as e:
        if e.verdict == "hostkey":
            raise ReplicaError(
                f"{target.url}: the server's host key is not the one pinned in {known_hosts}"
                f" ({e.detail.split(':', 1)[0]}); compare it on the server, then"
                f" `tracker replicate --trust --replace {target.url}`"
            ) from e
        raise ReplicaError(f"{target.url}: {e.detail}") from e

    def get(item: LtxFile) -> None:
        local = folder / item.relative()
        local.parent.mkdir(parents=True, exist_ok=True)
        remote = posixpath.join(target.path, item.relative())
        sftp = client.open_sftp()
        try:
            sftp.get(remote, str(local))  # paramiko prefetches: many reads in flight
        except FileNotFoundError as e:
            raise PlanChanged(f"{target.url}: {remote} vanished during the restore") from e
        finally:
            sftp.close()
        if local.stat().st_size != item.size:
            raise PlanChanged(f"{target.url}: {remote} changed during the restore")

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(files)))) as pool:
            for done in [pool.submit(get, f) for f in files]:
                done.result()
    except (OSError, paramiko.SSHException, EOFError) as e:
        raise ReplicaError(f"{target.url}: download failed: {e or type(e).__name__}") from e
    finally:
        client.close()
