"""The one text-folding rule every lookup key is built from."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Case-, accent- and whitespace-insensitive key ("  München  Nord" -> "munchen nord")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().split())
