"""The tracker's own known_hosts file: the kiosk host keys staff pinned with `kiosks trust`.

Kept apart from ~/.ssh/known_hosts so that what the tracker trusts is exactly what someone
confirmed for it, and nothing else (no auto-add, no keys pinned for other purposes). The format
is OpenSSH's, so `ssh -o UserKnownHostsFile=FILE` reads the same file.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import paramiko

from tracker.files import write_text_atomically

DEFAULT_SUFFIX = ".known_hosts"


def default_path(db_path: str | os.PathLike[str]) -> Path:
    """`$TRACKER_KNOWN_HOSTS`, else the database's path plus `.known_hosts` (one per database)."""
    env = os.environ.get("TRACKER_KNOWN_HOSTS")
    if env:
        return Path(env)
    return Path(f"{os.fspath(db_path)}{DEFAULT_SUFFIX}")


def entry_name(host: str, port: int) -> str:
    """How OpenSSH and paramiko name a host in known_hosts: `[host]:port` unless port is 22."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's SHA256 fingerprint (`ssh-keygen -lf`), what staff compare on the kiosk."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def load(path: str | os.PathLike[str]) -> paramiko.HostKeys:
    """The pinned keys ({} when the file does not exist yet)."""
    keys = paramiko.HostKeys()
    if Path(path).is_file():
        keys.load(os.fspath(path))
    return keys


def pinned(keys: paramiko.HostKeys, name: str) -> list[paramiko.PKey]:
    """The keys pinned for `name` (any key type)."""
    found = keys.lookup(name)
    return list(found.values()) if found else []


def pin(path: str | os.PathLike[str], name: str, key: paramiko.PKey) -> None:
    """Pin `key` for `name`, replacing whatever was pinned for that name; atomic on disk.

    Lines for other hosts (and comments) are kept byte for byte.
    """
    path = Path(path)
    kept: list[str] = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            fields = line.split()
            if fields and not line.lstrip().startswith("#") and name in fields[0].split(","):
                continue
            kept.append(line)
    kept.append(f"{name} {key.get_name()} {key.get_base64()}")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(path, "\n".join(kept) + "\n")
