"""Kiosk-check figures: 200 SSH endpoints on 127.0.0.1 checked in parallel by the tracker
(paramiko) and by OpenSSH's `ssh` fanned out the same way, side by side; what 20 silent
kiosks add; and one connection's phases with and without TCP_NODELAY.

Run: python3 bench/bench_fleet.py [--kiosks 200] [--parallel 16] [--runs 3] [--default-kex]
Needs /usr/sbin/sshd and ssh (openssh-server, openssh-client). The remote command is a fixed
small report (`cat`), so SSH itself is measured. Traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

import paramiko  # noqa: E402
from sshd import BlackHole, Sshd, keygen  # noqa: E402

from tracker.fleet import admin, checks, known_hosts  # noqa: E402
from tracker.fleet.checks import CHECK_COMMAND, Kiosk  # noqa: E402
from tracker.fleet.ssh import open_socket  # noqa: E402

REPORT = (
    '{"agent_version": "bench", "host": "k", "started_at": "2026-01-01T00:00:00Z",'
    ' "duration_ms": 1, "verdict": "ok", "checks": [{"name": "disk", "category": "health",'
    ' "status": "ok", "detail": "fine", "duration_ms": 0}]}\n'
)
PORTS_PER_SSHD = 16  # sshd listens on at most 16 sockets (MAX_LISTEN_SOCKS)


def median_s(fn, runs: int) -> tuple[float, list]:
    times, last = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        last = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), last


def paramiko_fanout(kiosks: list[Kiosk], ssh, parallel: int) -> list:
    return checks.run_checks(kiosks, ssh, parallel=parallel)


def openssh_fanout(kiosks: list[Kiosk], ssh, parallel: int, kex: str | None) -> list[int]:
    def one(k: Kiosk) -> int:
        cmd = [
            "ssh",
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            f"UserKnownHostsFile={ssh.known_hosts}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"ConnectTimeout={ssh.timeout:g}",
            "-i",
            ssh.identity,
            "-l",
            ssh.user,
            "-p",
            str(k.port),
        ]
        if kex:
            cmd += ["-o", f"KexAlgorithms={kex}"]
        r = subprocess.run(
            [*cmd, k.host, CHECK_COMMAND], capture_output=True, timeout=60, stdin=subprocess.DEVNULL
        )
        return r.returncode

    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(one, kiosks))


def phases(host: str, port: int, ssh, pkey, mode: str, n: int) -> dict[str, float]:
    """Median ms of TCP connect + key exchange, login, and exec + read, over `n` connections.

    `mode`: `plain` socket, `nodelay` (TCP_NODELAY), or `tracker` (fleet.ssh.open_socket:
    TCP_NODELAY and quick ACKs)."""
    keys = known_hosts.load(ssh.known_hosts)
    out: dict[str, list[float]] = {"kex": [], "auth": [], "exec": []}
    for _ in range(n):
        t0 = time.perf_counter()
        if mode == "tracker":
            sock = open_socket(host, port, 10)
        else:
            sock = socket.create_connection((host, port), timeout=10)
        if mode == "nodelay":
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        t = paramiko.Transport(sock)
        t.start_client(timeout=10)
        pinned = known_hosts.pinned(keys, known_hosts.entry_name(host, port))
        assert t.get_remote_server_key() in pinned
        t1 = time.perf_counter()
        t.auth_publickey(ssh.user, pkey)
        t2 = time.perf_counter()
        chan = t.open_session()
        chan.exec_command(CHECK_COMMAND)
        data = b""
        while True:
            chunk = chan.recv(65536)
            if not chunk:
                break
            data += chunk
        chan.recv_exit_status()
        t3 = time.perf_counter()
        t.close()
        assert data == REPORT.encode()
        out["kex"].append(t1 - t0)
        out["auth"].append(t2 - t1)
        out["exec"].append(t3 - t2)
    return {k: statistics.median(v) * 1000 for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=200)
    ap.add_argument("--parallel", type=int, default=16)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--silent", type=int, default=20, help="kiosks that accept and never answer")
    ap.add_argument("--timeout", type=float, default=3.0, help="connect/banner timeout, s")
    ap.add_argument("--default-kex", action="store_true", help="also OpenSSH's default kex")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        root = Path(tmp)
        (root / "report.json").write_text(REPORT)
        user_key = keygen(root / "user_ed25519", "bench")
        servers = []
        remaining = args.kiosks
        while remaining > 0:
            d = root / f"sshd{len(servers)}"
            d.mkdir()
            (d / "user_ed25519").write_bytes(user_key.read_bytes())
            (d / "user_ed25519.pub").write_bytes(Path(f"{user_key}.pub").read_bytes())
            n = min(PORTS_PER_SSHD, remaining)
            servers.append(Sshd(d, n, command=f"cat {root / 'report.json'}").start())
            remaining -= n
        holes = [BlackHole() for _ in range(args.silent)]
        try:
            ssh = checks.settings(
                root / "bench.db",
                user=servers[0].user,
                identity=str(user_key),
                timeout=args.timeout,
            )
            kiosks = [
                Kiosk(f"K{i:03}", "", f"127.0.0.1:{p}", "127.0.0.1", p, "in_service")
                for i, p in enumerate(p for s in servers for p in s.ports)
            ]
            for seen in admin.scan_keys(kiosks, ssh, args.parallel):
                admin.pin(ssh, seen)
            silent = [
                Kiosk(f"S{i:03}", "", f"127.0.0.1:{h.port}", "127.0.0.1", h.port, "in_service")
                for i, h in enumerate(holes)
            ]
            report(args, ssh, kiosks, silent)
        finally:
            for h in holes:
                h.close()
            for s in servers:
                s.stop()
    return 0


def report(args, ssh, kiosks: list[Kiosk], silent: list[Kiosk]) -> None:
    n, par, runs = len(kiosks), args.parallel, args.runs
    rows: list[tuple[str, float, str]] = []

    # Warm-up (imports, page cache, sshd binaries).
    paramiko_fanout(kiosks[:par], ssh, par)

    t_pm, res = median_s(lambda: paramiko_fanout(kiosks, ssh, par), runs)
    ok = sum(r.verdict == "ok" for r in res)
    rows.append((f"tracker (paramiko), {par} threads", t_pm, f"{ok}/{n} ok"))

    kex = "curve25519-sha256"
    t_os, codes = median_s(lambda: openssh_fanout(kiosks, ssh, par, kex), runs)
    rows.append((f"OpenSSH ssh, {kex}, {par} at a time", t_os, f"{codes.count(0)}/{n} exit 0"))
    if args.default_kex:
        t_def, codes = median_s(lambda: openssh_fanout(kiosks, ssh, par, None), 1)
        rows.append(
            (f"OpenSSH ssh, default kex, {par} at a time", t_def, f"{codes.count(0)}/{n} (1 run)")
        )

    both = kiosks + silent
    t_sil, res = median_s(lambda: paramiko_fanout(both, ssh, par), runs)
    unreachable = sum(r.verdict == "unreachable" for r in res)
    rows.append(
        (
            f"tracker, + {len(silent)} silent (timeout {args.timeout:g} s)",
            t_sil,
            f"{unreachable} unreachable; adds {t_sil - t_pm:.2f} s",
        )
    )

    print(f"\n{n} kiosks on 127.0.0.1, median of {runs} run(s)\n")
    print(f"{'run':<46} {'wall s':>7}  {'vs OpenSSH':>10}  notes")
    for name, secs, note in rows:
        print(f"{name:<46} {secs:>7.2f}  {secs / t_os:>9.2f}x  {note}")

    pkey = paramiko.PKey.from_path(ssh.identity)
    k = kiosks[0]
    print("\nOne connection, median ms over 20 (paramiko, sequential):\n")
    print(f"{'socket':<22} {'connect+kex':>11} {'auth':>7} {'exec+read':>10}")
    labels = {
        "plain": "default (Nagle on)",
        "nodelay": "TCP_NODELAY",
        "tracker": "+ quick ACKs (tracker)",
    }
    for mode, label in labels.items():
        p = phases(k.host, k.port, ssh, pkey, mode, 20)
        print(f"{label:<22} {p['kex']:>11.1f} {p['auth']:>7.1f} {p['exec']:>10.1f}")
    print(
        f"\nsilent kiosks add {t_sil - t_pm:.2f} s to the run "
        f"(limit: one timeout, {args.timeout:g} s); paramiko/OpenSSH = {t_pm / t_os:.2f}"
    )


if __name__ == "__main__":
    sys.exit(main())
