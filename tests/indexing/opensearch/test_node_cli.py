"""`partnermatch opensearch-node`: a real node in the foreground until a signal stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from indexing.opensearch.client import make_client, wait_until_healthy
from tests.indexing.opensearch.server import URL_ENV

pytestmark = [
    pytest.mark.opensearch,  # starts a node of its own, not through the `opensearch_url` fixture
    pytest.mark.skipif(
        bool(os.environ.get(URL_ENV)), reason="a configured cluster replaces the project's own node"
    ),
]


def test_runs_a_node_until_stopped(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "partnermatch"  # the package's console script
    data = tmp_path / "node"
    node = subprocess.Popen(
        [str(command), "opensearch-node", "--port", "0", "--data", str(data), "--heap", "640m"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,  # a detached run: end of input must not stop it
        text=True,
    )
    try:
        assert node.stdout is not None
        url = json.loads(node.stdout.readline())["url"]
        with make_client(url) as client:
            wait_until_healthy(client, timeout_s=120)
            info = client.info()
            jvm = next(iter(client.nodes.stats(metric="jvm")["nodes"].values()))["jvm"]
            client.indices.create(index="kept", body={"settings": {"number_of_replicas": 0}})
        assert info["version"]["distribution"] == "opensearch"
        assert info["version"]["number"].startswith("2.19.")
        assert jvm["mem"]["heap_max_in_bytes"] == 640 * 2**20  # --heap reaches the JVM

        # SIGTERM, as a service manager sends it (SIGINT would do for a person's Ctrl-C, but a
        # shell that runs the tests in the background makes its children ignore SIGINT).
        node.send_signal(signal.SIGTERM)
        assert node.wait(timeout=60) in (0, 128 + signal.SIGTERM)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
    assert (data / "data" / "nodes" / "0" / "indices").is_dir()  # its data stays for next time
