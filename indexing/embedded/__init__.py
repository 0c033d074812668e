"""The embedded search backend: an in-process columnar index (see ARCHITECTURE.md)."""

from indexing.embedded.index import EmbeddedIndex

__all__ = ["EmbeddedIndex"]
