"""The serving process caps glibc's malloc arenas, so its request threads share memory."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from api.malloc_arenas import ARENAS, limit_malloc_arenas

THREADS = 8
_PROGRAM = f"""
import ctypes, sys, threading
from api.malloc_arenas import limit_malloc_arenas
if sys.argv[1] == "limited":
    assert limit_malloc_arenas()
def allocate():
    kept = [bytearray(512) for _ in range(20_000)]
threads = [threading.Thread(target=allocate) for _ in range({THREADS})]
for thread in threads: thread.start()
for thread in threads: thread.join()
ctypes.CDLL(None).malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


def _arenas(mode: str) -> int:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, mode],
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the cap is a glibc setting")
def test_threads_share_the_capped_arenas() -> None:
    assert _arenas("default") > ARENAS  # each thread would take an arena of its own
    assert _arenas("limited") <= ARENAS


def test_an_operators_malloc_arena_max_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert not limit_malloc_arenas()
