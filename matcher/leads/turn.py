"""A process's turn to rank a lead: `Settings.routing_concurrency` rankings at a time.

Ranking is CPU work under the process's one GIL: rankings side by side only slow each other
(and, on SQLite, the request that holds the store's write lock). What the turn covers depends
on where the store's answers come from:

- everything in this process (SQLite, the embedded index, the offline gazetteer): a lead's
  whole planning, its reads included, as they are CPU work too. Reads outside the turn ran
  beside the ranking and slowed it: SQLite, one worker each side by side at 80 leads/s, p99
  182, 25.5, 37.4, 52.5, 168 ms against 146, 24.9, 34.7, 56.5, 101 ms with the whole planning
  in the turn (about 03:50 UTC, 2026-11-27).
- a store over the network (PostgreSQL): only the index search and the scoring. Held across
  the reads in between, the turn waited for PostgreSQL's answers and for the GIL after each:
  6.2 of the 12.2 ms it was held per lead (3.4 ms of CPU) at 150 leads/s with 2 workers, so a
  worker ranked at most about 80 leads/s. Side by side at 75 leads/s each, p99 110-229 ms
  against 1.0-2.4 s in five rounds (about 03:40 UTC).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

_NOTHING = nullcontext()  # reusable: enters and leaves as often as asked


@dataclass(frozen=True)
class RankingTurn:
    """The gate (a semaphore of `routing_concurrency`) and how much of a ranking it covers."""

    gate: AbstractContextManager[object]
    whole_plan: bool  # the store's reads are CPU work in this process: held around them too

    def plan(self) -> AbstractContextManager[object]:
        """Around a lead's whole planning: the gate when the store is in this process."""
        return self.gate if self.whole_plan else _NOTHING

    def cpu(self) -> AbstractContextManager[object]:
        """Around the index search, and again around the scoring: the gate when the store is
        networked (in this process, the planning's turn already holds it)."""
        return _NOTHING if self.whole_plan else self.gate


# Outside a server (the CLI, benchmarks, tests): nothing to wait for.
NO_TURN = RankingTurn(gate=_NOTHING, whole_plan=False)
