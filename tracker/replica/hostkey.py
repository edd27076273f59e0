"""Which of an SFTP server's host keys Litestream checks, so that is the one the tracker pins.

A stock OpenSSH server has three host keys (ECDSA, RSA, Ed25519) and shows the client the one
of the first type in the client's list that it has. Litestream 0.5.17 (Go's SSH client) asks
for ECDSA, then RSA, then Ed25519; paramiko, which the kiosk checks use, asks for Ed25519
first. Pinning the key paramiko is shown would make Litestream refuse every such server with
`ssh: host key mismatch`, so `tracker replicate --trust` asks in Litestream's order
(tests/test_replica.py runs a server with all three keys).
"""

from __future__ import annotations

import paramiko

from tracker.fleet import ssh

LITESTREAM_ORDER = (
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "rsa-sha2-256",
    "rsa-sha2-512",
    "ssh-rsa",
    "ssh-ed25519",
)


def server_key(host: str, port: int, timeout: float, types: tuple[str, ...] = LITESTREAM_ORDER):
    """The host key the server shows a client that asks for `types` in that order (no login).

    Raises `ssh.SSHFailure` (unreachable, or the server has none of those types)."""
    sock = ssh.open_socket(host, port, timeout)
    transport = paramiko.Transport(sock)
    transport.banner_timeout = timeout
    opts = transport.get_security_options()
    known = set(opts.key_types)
    opts.key_types = [t for t in types if t in known]
    try:
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError, OSError) as e:
        raise ssh.SSHFailure("unreachable", f"SSH failed: {e or type(e).__name__}") from e
    finally:
        transport.close()


def same_type_types(key: paramiko.PKey) -> tuple[str, ...]:
    """The algorithm names under which a server shows a key of this key's type."""
    name = key.get_name()
    if name == "ssh-rsa":
        return ("rsa-sha2-256", "rsa-sha2-512", "ssh-rsa")
    return (name,)
