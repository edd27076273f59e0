"""A real OpenSSH sshd on 127.0.0.1 standing in for kiosks, for tests and benches.

One `Sshd` listens on several ports; each port is a kiosk (`127.0.0.1:PORT` in the inventory)
whose behaviour is chosen per port: the real agent, a fixed report, garbage, a flood, silence.
The tracker's key is locked down the way docs/kiosk-checks.md tells staff to do it on a kiosk
(`restrict,from=...,command=...` in authorized_keys), and the forced command is a small stub
that looks at the server port in `SSH_CONNECTION` to decide what this "kiosk" does.

Ports of different `Sshd` instances have different host keys; all ports of one share one key
(pinned per `[127.0.0.1]:PORT`, so a test can still trust one and not another).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

SSHD = shutil.which("sshd") or "/usr/sbin/sshd"
SFTP_SERVER = next(
    (
        p
        for p in ("/usr/lib/openssh/sftp-server", "/usr/libexec/openssh/sftp-server")
        if Path(p).exists()
    ),
    "/usr/lib/openssh/sftp-server",
)

# The forced command for a kiosk account in docs/kiosk-checks.md, verbatim apart from
# KIOSK_AGENT_DIR (the tests cannot use the login directory of the account they run as) and the
# sftp-server path; tests/test_docs.py checks the two stay the same.
DISPATCH_SH = """\
#!/bin/sh
# Forced command for the tracker's key: the agent check, or SFTP for `tracker kiosks deploy`.
cd "${KIOSK_AGENT_DIR:-$HOME}" || exit 1
case "$SSH_ORIGINAL_COMMAND" in
  "python3 kiosk-agent.pyz check --json --config kiosk-agent.toml")
    exec python3 kiosk-agent.pyz check --json --config kiosk-agent.toml ;;
  internal-sftp|*/sftp-server)
    exec SFTP_SERVER ;;
  *)
    echo "kiosk: command not allowed" >&2; exit 126 ;;
esac
"""

_STUB = """\
import json, os, sys, time
here = os.path.dirname(os.path.abspath(__file__))
port = (os.environ.get("SSH_CONNECTION", "").split() or ["?"])[-1]
with open(os.path.join(here, "modes.json")) as f:
    modes = json.load(f)
mode = modes.get(port, modes.get("*", "report:ok"))
with open(os.path.join(here, "commands.log"), "a") as f:
    f.write(json.dumps([port, os.environ.get("SSH_ORIGINAL_COMMAND", "")]) + "\\n")
with open(os.path.join(here, "stubs.pids"), "a") as f:  # Sshd.stop() ends any still running
    f.write(f"{os.getpid()}\\n")
kind, _, arg = mode.partition(":")
out = sys.stdout.buffer
if kind == "agent":
    os.execv(sys.executable, [sys.executable, modes["pyz"], "check", "--json", "--config",
                              modes["config"]])
elif kind == "dispatch":
    os.environ["KIOSK_AGENT_DIR"] = arg
    os.execv("/bin/sh", ["sh", os.path.join(here, "dispatch.sh")])
elif kind == "report":
    doc = {"agent_version": "stub", "host": "stub", "started_at": "2026-01-01T00:00:00Z",
           "duration_ms": 1, "verdict": arg,
           "checks": [{"name": "stub", "category": "health", "status": arg,
                       "detail": "fixed " + arg, "duration_ms": 0}]}
    out.write(json.dumps(doc).encode())
    sys.exit({"ok": 0, "warn": 1, "crit": 2}.get(arg, 3))
elif kind == "file":
    with open(arg, "rb") as f:
        out.write(f.read())
elif kind == "flood":
    chunk = b"A" * 65536
    while True:
        out.write(chunk)
elif kind == "sleep":
    # A kiosk frozen after login; it ends with its session (or when Sshd.stop() kills it).
    parent, deadline = os.getppid(), time.monotonic() + 600
    while os.getppid() == parent and time.monotonic() < deadline:
        time.sleep(0.2)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keygen(path: Path, comment: str = "test") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)],
        check=True,
    )
    return path


class Sshd:
    """sshd -D on 127.0.0.1:`ports`, with temporary host and user keys under `root`."""

    def __init__(
        self,
        root: Path,
        n_ports: int = 1,
        modes: dict[str, str] | None = None,
        command: str | None = None,
    ) -> None:
        """`command` replaces the per-port stub as the forced command (the bench's `cat`)."""
        if n_ports > 16:
            raise ValueError("sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS)")
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.ports = [free_port() for _ in range(n_ports)]
        self.host_key = keygen(root / "host_ed25519", "kiosk-host")
        self.user_key = root / "user_ed25519"
        if not self.user_key.exists():
            keygen(self.user_key, "tracker")
        self.user = os.environ.get("USER") or __import__("getpass").getuser()
        self.modes: dict[str, str] = dict(modes or {})
        (root / "stub.py").write_text(_STUB)
        (root / "dispatch.sh").write_text(DISPATCH_SH.replace("SFTP_SERVER", SFTP_SERVER))
        pub = (root / "user_ed25519.pub").read_text().strip()
        command = command or f"{sys.executable} {root / 'stub.py'}"
        (root / "authorized_keys").write_text(
            f'restrict,from="127.0.0.1",command="{command}" {pub}\n'
        )
        self.home = root / "home"
        self.home.mkdir(exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.write_modes()

    # --- behaviour per port ------------------------------------------------------------------

    def set_mode(self, port: int | str, mode: str) -> None:
        self.modes[str(port)] = mode
        self.write_modes()

    def write_modes(self) -> None:
        (self.root / "modes.json").write_text(json.dumps(self.modes))

    def commands(self) -> list[tuple[str, str]]:
        """(server port, SSH_ORIGINAL_COMMAND) of every session so far."""
        log = self.root / "commands.log"
        if not log.exists():
            return []
        return [tuple(json.loads(line)) for line in log.read_text().splitlines()]

    def hostnames(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.ports]

    # --- process -----------------------------------------------------------------------------

    def config(self) -> str:
        listen = "\n".join(f"ListenAddress 127.0.0.1:{p}" for p in self.ports)
        return textwrap.dedent(
            f"""\
            {listen}
            HostKey {self.host_key}
            PidFile none
            AuthorizedKeysFile {self.root / "authorized_keys"}
            StrictModes no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            UsePAM no
            PermitRootLogin prohibit-password
            UseDNS no
            PrintMotd no
            PrintLastLog no
            # The bench opens hundreds of connections at once; the default 10:30:100 would
            # drop most of them.
            MaxStartups 1000:30:2000
            LoginGraceTime 30
            LogLevel ERROR
            Subsystem sftp {SFTP_SERVER}
            # The tests run as an account whose .bashrc may start a version manager (pyenv
            # here: ~130 ms of CPU per command). A kiosk account has no start-up files (see
            # docs/kiosk-checks.md), so sessions get an empty home: bash then finds no .bashrc.
            SetEnv HOME={self.home}
            """
        )

    def start(self) -> Sshd:
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        conf = self.root / "sshd_config"
        text = self.config()
        # OpenSSH 9.8+ penalises addresses that fail logins; tests fail logins on purpose.
        probe = conf.with_suffix(".probe")
        probe.write_text(text + "PerSourcePenalties no\n")
        if subprocess.run([SSHD, "-t", "-f", str(probe)], capture_output=True).returncode == 0:
            text += "PerSourcePenalties no\n"
        conf.write_text(text)
        self.log = open(self.root / "sshd.log", "ab")  # noqa: SIM115 - lives as long as sshd
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(conf)], stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 10
        for port in self.ports:
            while not _banner(port):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"sshd did not start: {(self.root / 'sshd.log').read_text()}"
                    )
                time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.kill_sessions()
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()

    def session_pids(self) -> list[int]:
        """Forced-command processes of this sshd that are still running."""
        pids_file = self.root / "stubs.pids"
        if not pids_file.exists():
            return []
        alive = []
        for pid in {int(p) for p in pids_file.read_text().split()}:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if str(self.root).encode() in cmdline:  # not a recycled pid of someone else's
                alive.append(pid)
        return alive

    def kill_sessions(self) -> None:
        """End the forced commands sshd left running (a 'sleep' stub outlives sshd -D)."""
        pids = self.session_pids()
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_running(pid) for pid in pids):
            time.sleep(0.02)

    def new_host_key(self) -> None:
        """Re-image: a fresh host key, same ports (sshd restarted)."""
        self.stop()
        self.host_key.unlink()
        Path(f"{self.host_key}.pub").unlink()
        keygen(self.host_key, "kiosk-host-reimaged")
        self.start()

    def __enter__(self) -> Sshd:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _running(pid: int) -> bool:
    """Not yet gone (a zombie waiting for its parent counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return False


def _banner(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            return s.recv(8).startswith(b"SSH-")
    except OSError:
        return False


class BlackHole:
    """A port that accepts TCP connections (the kernel completes them) and never says a word."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(256)
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()


def closed_port() -> int:
    """A port nothing listens on (just released)."""
    return free_port()


AGENT_CONFIG = """\
# No probe sends traffic: the isolation checks read only local state (adapters, routes,
# connections, proxy settings) against ranges no PC is given: 240.0.0.0/4 is reserved and
# 100::/64 discards (RFC 6666). A kiosk configuration without them would prove no isolation,
# which the agent reports as unknown and `tracker kiosks deploy` refuses.
timeout = 1.0
[internet]
check_urls = []
resolve = []
https = []
[isolation]
internal_cidrs = ["240.0.0.0/4", "100::/64"]
targets = []
internal_names = []
canaries = []
management_hosts = []
[health]
min_free_disk_mb = 1
max_uptime_days = 0
processes = []
"""
