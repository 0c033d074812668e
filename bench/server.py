"""A real `partnermatch serve` process on a free port, for end-to-end tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

START_TIMEOUT_SECONDS = 300  # a first start at 1,000,000 partners builds the index
STARTED = b"Application startup complete."  # what uvicorn logs once a worker accepts requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`partnermatch serve` as a user starts it, configured by PARTNERMATCH_* variables;
    one worker process unless told otherwise."""

    def __init__(
        self,
        *,
        log_dir: Path,
        workers: int = 1,
        shared_socket: bool = False,
        code: Path | None = None,
        **settings: Any,
    ) -> None:
        """`code`: another checkout whose packages the server imports (PYTHONPATH) instead of
        the installed ones."""
        self._env = {
            **os.environ,
            **{f"PARTNERMATCH_{name.upper()}": str(value) for name, value in settings.items()},
            **({"PYTHONPATH": str(code)} if code is not None else {}),
        }
        self._log_dir = log_dir
        self.workers = workers
        self.shared_socket = shared_socket
        self._process: subprocess.Popen[bytes] | None = None
        self._starts = 0
        self.port = 0

    @property
    def pid(self) -> int:
        assert self._process is not None, "not started"
        return self._process.pid

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        """Start and wait until /readyz answers 200 and every worker has started: /readyz is
        answered by the first worker up, while the others may still be opening the index."""
        self.port = free_port()
        self._starts += 1
        log = self._log_path().open("wb")
        command = [str(Path(sys.executable).with_name("partnermatch")), "serve"]
        options = ["--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers)]
        options += ["--shared-socket"] if self.shared_socket else []
        self._process = subprocess.Popen(
            [*command, *options],
            env=self._env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches the workers too
        )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"serve exited with {self._process.returncode}: {log.name}")
            try:
                ready = httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
                if ready and self.log().count(STARTED) >= self.workers:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"serve was not ready within {START_TIMEOUT_SECONDS} s: {log.name}")

    def log(self) -> bytes:
        """What the server has written to its output so far."""
        return self._log_path().read_bytes()

    def _log_path(self) -> Path:
        return self._log_dir / f"serve-{self.port}-{self._starts}.log"

    def processes(self) -> list[int]:
        """The pids answering requests: the worker processes, or the server itself alone."""
        children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        workers = [int(pid) for pid in children if b"spawn_main" in _proc(int(pid), "cmdline")]
        return workers or [self.pid]

    def memory_mb(self) -> dict[int, tuple[float, float]]:
        """(RSS, PSS) in MB of each serving process; PSS counts a page shared by k processes
        as 1/k in each, so the PSS sum is what they take together."""
        return {pid: _rss_pss_mb(pid) for pid in self.processes()}

    def kill(self) -> None:
        """kill -9 of the server and its workers: no shutdown code runs."""
        if self._process is not None and self._process.poll() is None:
            os.killpg(self._process.pid, signal.SIGKILL)
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM), as a service manager does."""
        self._end(signal.SIGTERM)

    def _end(self, sig: signal.Signals) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(sig)
            self._process.wait(timeout=60)
        self._process = None


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time the processes have used so far (one that ended counts 0)."""
    ticks = 0
    for stat in (_proc(pid, "stat") for pid in pids):
        if stat:
            fields = stat.rsplit(b")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_processes() -> list[int]:
    """The PostgreSQL server processes on this host (a database on another host uses none)."""
    pids = (int(name) for name in os.listdir("/proc") if name.isdigit())
    return [pid for pid in pids if _proc(pid, "comm") == b"postgres\n"]


def _proc(pid: int, name: str) -> bytes:
    """/proc/<pid>/<name>; empty once the process has ended."""
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""


def _rss_pss_mb(pid: int) -> tuple[float, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return fields["Rss"], fields["Pss"]
