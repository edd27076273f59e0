"""SSH to one kiosk: connect with pinned host keys only, run a command with caps, copy files.

Why paramiko and not Fabric: Fabric adds unknown host keys on its own, and a kiosk's host key is
the only proof that the PC answering is ours (see docs/kiosk-checks.md). Why not the `ssh`
binary: one Python process with a thread pool is faster here (bench/bench_fleet.py) and needs no
parsing of ssh's error text to tell a changed host key from an offline kiosk.

Every failure becomes `SSHFailure(verdict, detail)`: `hostkey` for an unknown or changed key,
`unreachable` for everything else (refused, timed out, half dead, login refused).
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import select
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paramiko

from tracker.fleet import known_hosts

STDERR_CAP = 8 * 1024

# paramiko's transport thread logs a traceback when a socket we gave up on (timeout) is closed
# under it; the outcome is already in the result, so keep it off the user's terminal.
logging.getLogger("paramiko").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class SSHSettings:
    """How to reach the kiosks; from `--user`/`--identity` or `TRACKER_SSH_USER`/`..._IDENTITY`."""

    user: str
    identity: str | None
    """A private key file; None means ssh-agent. Passwords are never used."""
    known_hosts: Path
    timeout: float = 10.0
    """Seconds for each of: TCP connect, SSH banner, key exchange, login."""
    command_timeout: float = 60.0
    """Seconds the agent may run (and a deploy may take)."""
    max_output: int = 256 * 1024
    """Bytes of agent output kept; more than this is not a report."""


class SSHFailure(Exception):
    """A kiosk could not be checked; `verdict` is `unreachable` or `hostkey`."""

    def __init__(self, verdict: str, detail: str) -> None:
        super().__init__(detail)
        self.verdict = verdict
        self.detail = detail


class KeyError_(Exception):
    """The identity file cannot be used (missing, encrypted, not a key); names the file."""


@dataclass
class CommandOutput:
    exit_status: int
    stdout: bytes
    stderr: bytes
    overflow: bool


class _UnknownHostKey(paramiko.SSHException):
    pass


class _Reject(paramiko.RejectPolicy):
    """paramiko's RejectPolicy, with an exception we can tell apart from other SSH errors."""

    def missing_host_key(self, client, hostname, key):  # noqa: ANN001 - paramiko's signature
        raise _UnknownHostKey(hostname, key)


def load_identity(path: str | None) -> paramiko.PKey | None:
    """The private key at `path`; encrypted keys belong in ssh-agent (no passphrase prompts).

    None means ssh-agent, which must hold a key: a missing key is the tracker's problem, and
    must not be recorded as every kiosk being unreachable.
    """
    if not path:
        agent = paramiko.Agent()
        try:
            if not agent.get_keys():
                raise KeyError_(
                    "no SSH key: give --identity, set TRACKER_SSH_IDENTITY, or load the "
                    "tracker's key into ssh-agent (ssh-add)"
                )
        finally:
            agent.close()
        return None
    try:
        return paramiko.PKey.from_path(path)
    except (paramiko.PasswordRequiredException, TypeError) as e:
        # paramiko raises TypeError("Key is password-protected ...") for some key formats.
        if isinstance(e, TypeError) and "password" not in str(e):
            raise
        raise KeyError_(
            f"{path}: the key is protected by a passphrase; load it with `ssh-add {path}` and "
            "leave out --identity, so the tracker uses ssh-agent"
        ) from e
    except FileNotFoundError as e:
        raise KeyError_(f"{path}: no such key file") from e
    except (OSError, paramiko.SSHException, ValueError) as e:
        raise KeyError_(f"{path}: not a usable private key: {e}") from e


_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class _QuickAckSocket:
    """A socket that acknowledges every read at once.

    sshd leaves Nagle on for sessions without a terminal, so its small packets after login
    (host-key notice, channel confirmation) each wait for our ACK, which Linux delays ~40 ms.
    Quick ACKs are not sticky in Linux, hence after every read (bench: open_session 44 -> 1.4 ms).
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def recv(self, n: int) -> bytes:
        data = self._sock.recv(n)
        with contextlib.suppress(OSError):
            self._sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
        return data

    def __getattr__(self, name: str):  # noqa: ANN204 - everything else is the socket's
        return getattr(self._sock, name)


def open_socket(host: str, port: int, timeout: float) -> socket.socket:
    """A connected TCP socket with Nagle off: paramiko's small login packets otherwise wait
    ~40 ms each on delayed ACKs (bench: auth 50 ms -> 8 ms); quick ACKs for the server's."""
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except TimeoutError as e:
        raise SSHFailure("unreachable", f"no TCP answer within {timeout:g} s") from e
    except OSError as e:
        raise SSHFailure("unreachable", f"cannot connect: {e.strerror or e}") from e
    return tune_socket(sock)


def tune_socket(sock: socket.socket) -> socket.socket:
    """TCP_NODELAY, and quick ACKs where the system has them (see `_QuickAckSocket`)."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if _QUICKACK is None:
        return sock
    return _QuickAckSocket(sock)  # type: ignore[return-value]


def connect(
    host: str,
    port: int,
    settings: SSHSettings,
    pinned: list[paramiko.PKey],
    pkey: paramiko.PKey | None,
    sock: socket.socket | None = None,
) -> paramiko.SSHClient:
    """A logged-in client, or `SSHFailure`. Only the `pinned` keys are accepted for the host.

    `sock`: an already connected socket (`reach`); else one is opened here."""
    sock = sock or open_socket(host, port, settings.timeout)
    client = paramiko.SSHClient()
    name = known_hosts.entry_name(host, port)
    for key in pinned:
        client.get_host_keys().add(name, key.get_name(), key)
    client.set_missing_host_key_policy(_Reject())
    t = settings.timeout
    started = time.monotonic()
    try:
        client.connect(
            host,
            port,
            username=settings.user,
            pkey=pkey,
            sock=sock,
            timeout=t,
            banner_timeout=t,
            auth_timeout=t,
            channel_timeout=t,
            allow_agent=pkey is None,
            look_for_keys=False,
        )
    except paramiko.BadHostKeyException as e:
        client.close()
        raise SSHFailure(
            "hostkey",
            f"HOST KEY CHANGED: pinned {known_hosts.fingerprint(e.expected_key)}, the kiosk now "
            f"shows {e.key.get_name()} {known_hosts.fingerprint(e.key)}. A re-imaged kiosk or a "
            "man in the middle: compare with `ssh-keygen -lf` on the kiosk before trusting again",
        ) from e
    except _UnknownHostKey as e:
        client.close()
        key = e.args[1]
        raise SSHFailure(
            "hostkey",
            f"unknown host key {key.get_name()} {known_hosts.fingerprint(key)}: not trusted yet "
            "(`tracker kiosks trust TAG`)",
        ) from e
    except paramiko.AuthenticationException as e:
        client.close()
        how = "the key" if pkey else "ssh-agent's keys (no --identity given)"
        raise SSHFailure(
            "unreachable", f"login as {settings.user!r} with {how} refused: {e}"
        ) from e
    except (paramiko.SSHException, EOFError, OSError) as e:
        client.close()
        if time.monotonic() - started >= t:
            # paramiko words a timed-out key exchange oddly ("No existing session").
            raise SSHFailure(
                "unreachable", f"no SSH answer (banner, key exchange) within {t:g} s"
            ) from e
        raise SSHFailure("unreachable", f"SSH failed: {e or type(e).__name__}") from e
    return client


def host_key(host: str, port: int, timeout: float, prefer: str | None = None) -> paramiko.PKey:
    """The key a host presents (no login); `prefer` asks for the key type already pinned."""
    sock = open_socket(host, port, timeout)
    transport = paramiko.Transport(sock)
    transport.banner_timeout = timeout
    if prefer:
        opts = transport.get_security_options()
        types = list(opts.key_types)
        if prefer in types:
            opts.key_types = [prefer] + [k for k in types if k != prefer]
    try:
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, EOFError, OSError) as e:
        raise SSHFailure("unreachable", f"SSH failed: {e or type(e).__name__}") from e
    finally:
        transport.close()


def run(client: paramiko.SSHClient, command: str, timeout: float, cap: int) -> CommandOutput:
    """Run `command` in a new session within `timeout` seconds in all (see `run_channel`)."""
    transport = client.get_transport()
    assert transport is not None
    started = time.monotonic()
    try:
        chan = transport.open_session(timeout=timeout)
    except (paramiko.SSHException, EOFError, OSError) as e:
        raise SSHFailure("unreachable", f"SSH failed while running: {e or type(e).__name__}") from e
    return run_channel(chan, command, timeout - (time.monotonic() - started), cap, timeout)


def run_channel(
    chan: paramiko.Channel, command: str, timeout: float, cap: int, shown: float | None = None
) -> CommandOutput:
    """Run `command` on the open `chan`, reading stdout and stderr as they come (a full SSH
    window would stall the remote process), keeping at most `cap` bytes of stdout and stopping
    the command beyond it.

    paramiko's `exec_command` waits for the server's reply without a timeout, so a kiosk that
    freezes or drops off the network after login would hold a worker until TCP gives up
    (many minutes): a watchdog closes the transport at the deadline, which wakes every wait.
    `shown`: the timeout named in the failure (the whole command's, when part went on login).
    """
    shown = timeout if shown is None else shown
    transport = chan.get_transport()
    deadline = time.monotonic() + timeout
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        transport.close()

    watchdog = threading.Timer(max(0.0, timeout), expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        chan.exec_command(command)
        chan.shutdown_write()
        out, err = bytearray(), bytearray()
        fd = chan.fileno()
        while True:
            while chan.recv_ready():
                out += chan.recv(65536)
                if len(out) > cap:
                    chan.close()
                    return CommandOutput(-1, bytes(out[:cap]), bytes(err), overflow=True)
            while chan.recv_stderr_ready():
                data = chan.recv_stderr(65536)
                err += data[: max(0, STDERR_CAP - len(err))]
            if chan.eof_received and not chan.recv_ready() and not chan.recv_stderr_ready():
                break
            remaining = deadline - time.monotonic()
            if remaining <= 0 or expired.is_set():
                raise TimeoutError
            select.select([fd], [], [], min(remaining, 1.0))
        if not chan.status_event.wait(max(0.0, deadline - time.monotonic())) or expired.is_set():
            raise TimeoutError
        return CommandOutput(chan.recv_exit_status(), bytes(out), bytes(err), overflow=False)
    except TimeoutError as e:
        raise SSHFailure("unreachable", f"no complete answer within {shown:g} s") from e
    except (paramiko.SSHException, EOFError, OSError) as e:
        if expired.is_set():
            raise SSHFailure("unreachable", f"no complete answer within {shown:g} s") from e
        raise SSHFailure("unreachable", f"SSH failed while running: {e or type(e).__name__}") from e
    finally:
        watchdog.cancel()


def replace_file(
    client: paramiko.SSHClient, local: Path, remote: str, mode: int, timeout: float
) -> None:
    """Upload to a temporary name beside `remote`, then rename over it: the kiosk never runs a
    half-copied agent, and a failed upload leaves the old one in place."""
    transport = client.get_transport()
    assert transport is not None
    # Opening the SFTP session waits for the server without a timeout of its own (as exec
    # does, see `run_channel`): a kiosk frozen after login would hang the deploy.
    watchdog = threading.Timer(max(0.0, timeout), transport.close)
    watchdog.daemon = True
    watchdog.start()
    try:
        sftp = client.open_sftp()
    except (paramiko.SSHException, EOFError, OSError) as e:
        if not watchdog.is_alive():
            raise SSHFailure("unreachable", f"no SFTP answer within {timeout:g} s") from e
        raise SSHFailure("unreachable", f"SFTP refused: {e or type(e).__name__}") from e
    finally:
        watchdog.cancel()
    sftp.get_channel().settimeout(timeout)
    tmp = f".{remote}.{secrets.token_hex(4)}.part"
    try:
        sftp.put(str(local), tmp, confirm=True)
        sftp.chmod(tmp, mode)
        sftp.posix_rename(tmp, remote)
    except (paramiko.SSHException, EOFError, OSError) as e:
        with contextlib.suppress(paramiko.SSHException, EOFError, OSError):
            sftp.remove(tmp)
        raise SSHFailure("unreachable", f"copying {remote} failed: {e or type(e).__name__}") from e
    finally:
        sftp.close()
