"""The files an SFTP restore needs, downloaded at the speed of the link before Litestream runs.

Litestream 0.5 reads an SFTP replica one small request at a time: restoring a 244 MB database
(an 83 MB snapshot) from sshd on the same machine took it 8 s, where `sftp get` of the same
file takes 0.4 s. So `tracker restore` asks Litestream which files the restore needs
(`litestream restore -dry-run -json`: its own plan, nothing chosen by the tracker), downloads
exactly those with paramiko (pipelined reads, several files at once, the pinned host key and
the key login the kiosk checks use) into a private folder laid out as Litestream's file
replica, and then lets Litestream restore from that folder. Litestream checks each file as it
restores it, so a file damaged on the way fails the restore instead of passing unnoticed.
If the download fails (see `Unfetched`), Litestream reads the server itself, as before.
"""

from __future__ import annotations

import posixpath
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.replica import config
from tracker.replica.target import ReplicaError, Target

if TYPE_CHECKING:
    import paramiko

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


class Unfetched(ReplicaError):
    """The download failed (no login, a key type paramiko will not ask for first, a dropped
    connection): Litestream then reads the server itself, and says why if it cannot either."""


class PlanChanged(ReplicaError):
    """A planned file is gone or has another size: the replica changed under the download
    (compaction of a replica that is still being written); plan again."""


def connect(target: Target, *, identity: str | None, known_hosts: str) -> paramiko.SSHClient:
    """A logged-in client for the replica's server (the pinned key only), or `Unfetched`."""
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
        pinned = kh.pinned(kh.load(known_hosts), target.known_hosts_name)
        return ssh.connect(target.host, target.port, settings, pinned, pkey)
    except (ssh.KeyError_, ssh.SSHFailure) as e:
        raise Unfetched(f"{target.url}: {e}") from e


def download(
    target: Target,
    files: list[LtxFile],
    folder: Path,
    *,
    identity: str | None,
    known_hosts: str,
    client: paramiko.SSHClient | None = None,
) -> None:
    """Each planned file from the server into `folder` (as a file replica), size checked.

    `client`: one `connect` made already (the caller closes it); else one of its own."""
    import paramiko

    own = client is None
    if client is None:
        client = connect(target, identity=identity, known_hosts=known_hosts)
    mine = threading.local()  # one SFTP session per worker thread, for all its files
    sessions: list[paramiko.SFTPClient] = []

    def get(item: LtxFile) -> None:
        local = folder / item.relative()
        local.parent.mkdir(parents=True, exist_ok=True)
        remote = posixpath.join(target.path, item.relative())
        if getattr(mine, "sftp", None) is None:
            mine.sftp = client.open_sftp()
            sessions.append(mine.sftp)
        try:
            mine.sftp.get(remote, str(local))  # paramiko prefetches: many reads in flight
        except FileNotFoundError as e:
            raise PlanChanged(f"{target.url}: {remote} vanished during the restore") from e
        if local.stat().st_size != item.size:
            raise PlanChanged(f"{target.url}: {remote} changed during the restore")

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(files)))) as pool:
            for done in [pool.submit(get, f) for f in files]:
                done.result()
    except (OSError, paramiko.SSHException, EOFError) as e:
        raise Unfetched(f"{target.url}: download failed: {e or type(e).__name__}") from e
    finally:
        for session in sessions:
            session.close()
        if own:
            client.close()
