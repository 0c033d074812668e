"""A cap on glibc's malloc arenas for the serving process.

glibc gives each thread that finds the arenas in use an arena of its own, up to 8 per core,
and gives little of their memory back. The request threads of a 20 MB import left the process
78-126 MB larger (4 runs of `abuse_bench`), 39-80 MB with 2 arenas (6 runs),
the import's time about the same (7.2-7.8 s against 7.4-7.9 s).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # mallopt's parameter number (glibc's malloc.h)
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap this process's arenas (those made from now on); False when MALLOC_ARENA_MAX is set
    (the operator's choice stands) or the C library has no such setting."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return False
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    return mallopt is not None and bool(mallopt(M_ARENA_MAX, arenas))
