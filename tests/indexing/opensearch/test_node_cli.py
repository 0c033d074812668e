"""`partnermatch opensearch-node`: a person's real node in the foreground, stopped by a signal."""

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

pytestmark = pytest.mark.skipif(
    bool(os.environ.get(URL_ENV)), reason="a configured cluster replaces the project's own node"
)


def test_runs_a_node_until_interrupted(tmp_path: Path) -> None:
    command = Path(sys.executable).parent / "partnermatch"  # the package's console script
    data = tmp_path / "node"
    node = subprocess.Popen(
        [str(command), "opensearch-node", "--port", "0", "--data", str(data)],
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
            client.indices.create(index="kept", body={"settings": {"number_of_replicas": 0}})
        assert info["version"]["distribution"] == "opensearch"
        assert info["version"]["number"].startswith("2.19.")

        node.send_signal(signal.SIGINT)  # Ctrl-C
        assert node.wait(timeout=60) in (0, 130)
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
    assert (data / "data" / "nodes" / "0" / "indices").is_dir()  # its data stays for next time
