"""`tracker replicate URL`: Litestream for the tracker database, run and watched in the foreground.

The supervisor writes Litestream's configuration, starts `litestream replicate`, passes its log
through, restarts it (with a growing pause) if it exits, and every few seconds compares the
replica's newest transaction with the database's to keep the status file (`state`) current.
SIGTERM or Ctrl-C stops Litestream cleanly: it ships what it has before exiting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from tracker import store
from tracker.replica import config, probe, state
from tracker.replica.target import ReplicaError, Target

PROBE_EVERY_S = 5.0
RESTART_PAUSES_S = (1, 2, 5, 10, 30)
STOP_TIMEOUT_S = 40  # Litestream's own shutdown sync gives up after 30 s


class Supervisor:
    def __init__(
        self,
        db_path: str,
        target: Target,
        *,
        identity: str | None = None,
        known_hosts: str | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.db_path = os.path.abspath(db_path)
        self.target = target
        self.say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        self.stop = threading.Event()
        self.proc: subprocess.Popen | None = None
        self.last_error = ""
        self.config = config.write(
            config.render(self.db_path, target, identity=identity, known_hosts=known_hosts)
        )
        previous = state.read(self.db_path)
        same = previous is not None and previous.url == target.url
        self.replicated_at = previous.replicated_at if same and previous else None

    def _start(self) -> None:
        self.proc = subprocess.Popen(
            [config.litestream_exe(), "replicate", "-no-expand-env", "-config", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            env=config.litestream_env(),
        )
        threading.Thread(target=self._relay, args=(self.proc,), daemon=True).start()

    def _relay(self, proc: subprocess.Popen) -> None:
        """Litestream's log on our stderr (the journal, under systemd); remember its errors."""
        assert proc.stderr is not None
        for line in proc.stderr:
            line = line.rstrip()
            self.say(f"litestream: {line}")
            if "level=ERROR" in line or line.startswith("Error"):
                self.last_error = line.split("msg=", 1)[-1][:300]

    def _probe(self) -> None:
        checked = store.now()
        try:
            local = probe.local_txid(self.config, self.db_path)
            replica = probe.replica_position(self.config, self.db_path)
        except ReplicaError as e:
            self.last_error = str(e)
            local, replica = 0, probe.ReplicaPosition(0, None)
        else:
            if local and replica.txid >= local:
                self.replicated_at = checked
                self.last_error = ""
        state.write(
            self.db_path,
            state.ReplicaState(
                url=self.target.url,
                pid=os.getpid(),
                checked_at=checked,
                replicated_at=self.replicated_at,
                local_txid=local,
                replica_txid=replica.txid,
                error=self.last_error,
            ),
        )

    def _stop_litestream(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: Litestream ships what it has, then exits
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def run(self) -> int:
        """Until SIGTERM/SIGINT or `stop` is set; returns the exit status."""
        restarts = 0
        try:
            self.say(f"replicating {self.db_path} to {self.target.url}")
            while not self.stop.is_set():
                self._start()
                assert self.proc is not None
                while not self.stop.is_set() and self.proc.poll() is None:
                    self._probe()
                    self.stop.wait(PROBE_EVERY_S)
                if self.stop.is_set():
                    break
                pause = RESTART_PAUSES_S[min(restarts, len(RESTART_PAUSES_S) - 1)]
                restarts += 1
                self.say(
                    f"litestream exited ({self.proc.returncode}): {self.last_error or 'no error'};"
                    f" restarting in {pause} s"
                )
                self._probe()
                self.stop.wait(pause)
        finally:
            self._stop_litestream()
            self._probe()
            config.remove(self.config)
        return 0


def handle_signals(supervisor: Supervisor) -> None:
    """SIGTERM (systemd stop) and SIGINT (Ctrl-C) end the run cleanly."""

    def stop(signum: int, frame: object) -> None:
        supervisor.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def already_running(db_path: str) -> int | None:
    """The pid of a live supervisor of this database, if any."""
    current = state.read(os.path.abspath(db_path))
    if current is None or current.pid == os.getpid() or not state.active(db_path):
        return None
    try:
        os.kill(current.pid, 0)
    except (OSError, ValueError):
        return None
    return current.pid


def ensure_db(db_path: str) -> None:
    if not Path(db_path).is_file():
        raise ReplicaError(f"{db_path}: no such database")
