"""A real single-node OpenSearch, started from OpenSearch's published jars.

The Maven project in `opensearch-node/` (at the checkout's root) resolves the server jar and the
modules the backend needs (Netty HTTP/transport, the common analyzers, painless) into `~/.m2`
and compiles a small `Node` subclass; this module builds it on first use and runs it as a child
JVM with a modest heap. `partnermatch opensearch-node` runs it in the foreground; tests and
benchmarks use `OpenSearchNode` as a context manager.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import threading
from pathlib import Path
from types import TracebackType
from typing import IO

from indexing.opensearch.client import make_client, wait_until_healthy

PROJECT_DIR = Path(__file__).resolve().parents[2] / "opensearch-node"
MAIN_CLASS = "partnermatch.OpenSearchNode"
DEFAULT_HEAP = ("-Xms512m", "-Xmx1g")  # enough for tests and 100,000 partners; 1M needs 2g
DEFAULT_VERSION = "2.19.3"  # runs on Java 17; 3.x needs JAVA_HOME at a JDK 21+


def fixed_heap(size: str) -> tuple[str, ...]:
    """JVM options for a heap of `size` (a Java size such as 768m or 2g), reserved up front."""
    return (f"-Xms{size}", f"-Xmx{size}")


class NodeUnavailable(RuntimeError):
    """The node could not be built or did not come up."""


def _sources(project: Path) -> list[Path]:
    return [project / "pom.xml", *sorted((project / "src").rglob("*.java"))]


def build(*, version: str = DEFAULT_VERSION, project: Path = PROJECT_DIR) -> str:
    """Resolve OpenSearch `version`'s jars (Maven, cached in ~/.m2) and compile the launcher
    against them when its sources are newer than that build; returns the Java classpath."""
    target = project / "target" / version
    stamp = target / "built.stamp"
    built_at = stamp.stat().st_mtime if stamp.exists() else 0.0
    if any(source.stat().st_mtime > built_at for source in _sources(project)):
        maven = shutil.which("mvn")
        if maven is None:
            raise NodeUnavailable("Maven (mvn) is needed once to fetch OpenSearch's jars")
        java_release = "17" if version.startswith("2.") else "21"
        command = [maven, "-q", "-B", "-f", str(project / "pom.xml"), "compile"]
        properties = [f"-Dopensearch.version={version}", f"-Dmaven.compiler.release={java_release}"]
        try:
            subprocess.run([*command, *properties], check=True)
        except subprocess.CalledProcessError as error:
            raise NodeUnavailable(f"building the OpenSearch {version} launcher failed") from error
        stamp.touch()
    classpath = (target / "classpath.txt").read_text().strip()
    return f"{target / 'classes'}{os.pathsep}{classpath}"


def java_command(
    *,
    port: int,
    data_dir: Path,
    heap: tuple[str, ...] = DEFAULT_HEAP,
    version: str = DEFAULT_VERSION,
) -> list[str]:
    """The command line that runs the node in the foreground (Java from JAVA_HOME, or PATH)."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else "java"
    return [
        java,
        *heap,
        "-XX:+UseG1GC",
        "-cp",
        build(version=version),
        MAIN_CLASS,
        "--port",
        str(port),
        "--data",
        str(data_dir),
    ]


class OpenSearchNode:
    """A node as a child process: `start()` waits for yellow/green health and returns its URL;
    `stop()` shuts it down cleanly (its data stays in `data_dir`, so a later `start()` on the
    same port is a node restart). The node also stops when this process dies (its stdin closes).
    """

    def __init__(
        self, data_dir: Path, *, port: int = 0, heap: tuple[str, ...] = DEFAULT_HEAP
    ) -> None:
        self.data_dir = data_dir
        self.port = port
        self.heap = heap
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise NodeUnavailable("the node is not running")
        return self._process.pid

    def start(self, *, timeout_s: float = 180.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            *java_command(port=self.port, data_dir=self.data_dir, heap=self.heap),
            "--stop-on-stdin-close",
        ]
        log = (self.data_dir / "node.log").open("a")
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
        )
        log.close()
        assert self._process.stdout is not None
        # A node that hangs before binding HTTP is killed, which ends its stdout.
        watchdog = threading.Timer(timeout_s, self._process.kill)
        watchdog.start()
        try:
            self.url = _announced_url(self._process.stdout, log_path=self.data_dir / "node.log")
        finally:
            watchdog.cancel()
        self.port = int(self.url.rsplit(":", 1)[1])
        threading.Thread(target=_drain, args=(self._process.stdout,), daemon=True).start()
        client = make_client(self.url, timeout_s=5)
        try:
            wait_until_healthy(client, timeout_s=timeout_s)
        finally:
            client.close()
        return self.url

    def stop(self, *, timeout_s: float = 60.0) -> None:
        """SIGTERM (OpenSearch closes its shards and releases the data folder), SIGKILL if hung."""
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stdin is not None:
            process.stdin.close()

    def kill(self) -> None:
        """SIGKILL: a crash; the next start() recovers the shards from their translog."""
        process, self._process = self._process, None
        if process is None:
            return
        process.kill()
        process.wait(timeout=10)
        if process.stdin is not None:
            process.stdin.close()

    def __enter__(self) -> OpenSearchNode:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _announced_url(stdout: IO[str], *, log_path: Path) -> str:
    """The node prints one JSON line with its URL once HTTP is bound; log lines may precede it."""
    for line in stdout:
        try:
            announced = json.loads(line)
        except ValueError:
            continue
        if isinstance(announced, dict) and "url" in announced:
            return str(announced["url"])
    raise NodeUnavailable(f"the OpenSearch node exited during start; see {log_path}")


def _drain(stdout: IO[str]) -> None:
    """Keep reading the node's stdout so its logging never blocks on a full pipe."""
    for _ in stdout:
        pass
