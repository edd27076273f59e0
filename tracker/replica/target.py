"""Replica URLs: where `tracker replicate` sends the database and `tracker restore` reads it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

SCHEMES = ("file", "sftp", "s3")


class ReplicaError(ValueError):
    """A replica cannot be used; the message names the URL, file or host and says why."""


@dataclass(frozen=True)
class Target:
    url: str
    scheme: str
    path: str
    host: str = ""
    port: int = 22
    user: str = ""

    @property
    def known_hosts_name(self) -> str:
        """How the host is named in known_hosts (`[host]:port` unless the port is 22)."""
        return self.host if self.port == 22 else f"[{self.host}]:{self.port}"

    def shown(self) -> str:
        return self.url


def parse(url: str) -> Target:
    """`file:///PATH`, `sftp://USER@HOST[:PORT]/PATH` or `s3://BUCKET/PATH[?endpoint=...]`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise ReplicaError(
            f"{url}: unsupported replica URL (use file:///PATH, sftp://USER@HOST[:PORT]/PATH"
            " or s3://BUCKET/PATH)"
        )
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ReplicaError(f"{url}: a file URL names a local folder: file:///PATH")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ReplicaError(f"{url}: the folder must be an absolute path (file:///PATH)")
        return Target(url, "file", os.path.normpath(path))
    if parts.scheme == "s3":
        if not parts.hostname:
            raise ReplicaError(f"{url}: no bucket (s3://BUCKET/PATH)")
        return Target(url, "s3", parts.path.lstrip("/"), host=parts.hostname)
    if parts.password is not None:
        raise ReplicaError(f"{url}: no passwords in replica URLs: SFTP replicas log in by key")
    if not parts.username or not parts.hostname:
        raise ReplicaError(f"{url}: an SFTP replica needs a user and a host: sftp://USER@HOST/PATH")
    try:
        port = parts.port or 22
    except ValueError as e:
        raise ReplicaError(f"{url}: bad port: {e}") from e
    path = unquote(parts.path)
    if not path or path == "/":
        raise ReplicaError(f"{url}: no folder on the server (sftp://USER@HOST/PATH)")
    return Target(url, "sftp", path, host=parts.hostname, port=port, user=unquote(parts.username))


def local_folder(target: Target) -> Path | None:
    return Path(target.path) if target.scheme == "file" else None
