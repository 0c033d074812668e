"""Append-only name <-> integer code mappings shared by every segment of one index."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from core.text import fold


class Vocabulary:
    """Codes grow with new names and are never reused, so older segments stay valid.

    Only the index's writer (under its lock) adds names; readers only look codes up.
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._codes: dict[str, int] = {}
        self._names: list[str] = []
        for name in names:
            self.add(name)

    def __len__(self) -> int:
        return len(self._names)

    def add(self, name: str) -> int:
        """The code of `name`, assigned on first sight; the first spelling is the display name."""
        key = fold(name)
        code = self._codes.get(key)
        if code is None:
            code = len(self._names)
            self._codes[key] = code
            self._names.append(name)
        return code

    def encode(self, names: Sequence[str]) -> np.ndarray:
        """Codes (int32) of many names, adding the unknown ones.

        The distinct names are collected by `dict.fromkeys` and mapped back with `map`, both
        in C, so folding and the shared vocabulary are only touched once per distinct name.
        """
        local = dict.fromkeys(names, 0)
        for name in local:
            local[name] = self.add(name)
        return np.fromiter(map(local.__getitem__, names), dtype=np.int32, count=len(names))

    def code(self, name: str) -> int | None:
        """The code of a known name; None if the index has never seen it."""
        return self._codes.get(fold(name))

    def name(self, code: int) -> str:
        return self._names[code]

    def names(self) -> list[str]:
        return list(self._names)

    def copy(self) -> Vocabulary:
        clone = Vocabulary()
        clone._codes = dict(self._codes)
        clone._names = list(self._names)
        return clone
