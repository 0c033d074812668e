"""Index layout: an alias in front of versioned partner indexes, and a meta index of checkpoints.

`<prefix>-partners` is the alias every reader and the shipper use; it points at exactly one
`<prefix>-partners-v<NNNNNN>` index. Each versioned index has its own checkpoint (the highest
change-log seq below which every change is in that index), kept as a document of the
`<prefix>-meta` index: the index itself is what must be caught up, so its progress lives with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from opensearchpy import OpenSearch
from opensearchpy.exceptions import NotFoundError, RequestError

from indexing.opensearch.mapping import INDEX_SETTINGS, index_body

# While a reindex bulk-loads a new index nobody reads yet: no periodic refresh (each one makes
# small segments to merge) and no replicas (copied once at the end instead of per document).
_BULK_LOAD = {"refresh_interval": "-1", "number_of_replicas": 0}

_META_BODY = {
    "settings": {"index": {"number_of_shards": 1}},
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "checkpoint": {"type": "long"},
            "updated_at": {"type": "date"},
        },
    },
}


@dataclass(frozen=True)
class IndexNames:
    """Names derived from one prefix, so several deployments can share a cluster."""

    prefix: str = "partnermatch"

    @property
    def alias(self) -> str:
        return f"{self.prefix}-partners"

    @property
    def meta(self) -> str:
        return f"{self.prefix}-meta"

    def versioned(self, number: int) -> str:
        return f"{self.alias}-v{number:06d}"

    def number_of(self, index: str) -> int:
        return int(index.rsplit("-v", 1)[1])


def ensure_layout(client: OpenSearch, names: IndexNames) -> str:
    """Create the meta index and a first versioned index behind the alias if missing.

    Returns the index the alias points at. Safe to run from several processes at once: the
    first index has a fixed name, so a racing creator gets "already exists" and moves on.
    """
    _create_if_missing(client, names.meta, _META_BODY)
    try:
        return current_index(client, names)
    except NotFoundError:
        first = names.versioned(1)
        _create_if_missing(client, first, {**index_body(), "aliases": {names.alias: {}}})
        return current_index(client, names)


def _create_if_missing(client: OpenSearch, index: str, body: dict[str, object]) -> None:
    try:
        client.indices.create(index=index, body=body)
    except RequestError as error:
        if error.error != "resource_already_exists_exception":
            raise


def current_index(client: OpenSearch, names: IndexNames) -> str:
    """The versioned index behind the alias (NotFoundError when there is no alias yet)."""
    aliased = client.indices.get_alias(name=names.alias)
    return max(aliased, key=names.number_of)


def create_next_index(client: OpenSearch, names: IndexNames) -> str:
    """A new, empty versioned index numbered after every existing one, set up for a bulk load
    (see `finish_bulk_load`); not yet aliased."""
    existing = client.indices.get(index=f"{names.alias}-v*", params={"expand_wildcards": "all"})
    number = max((names.number_of(index) for index in existing), default=0) + 1
    index = names.versioned(number)
    body = index_body()
    body["settings"] = {**body["settings"], "index": {**body["settings"]["index"], **_BULK_LOAD}}
    client.indices.create(index=index, body=body)
    return index


def finish_bulk_load(client: OpenSearch, *, index: str) -> None:
    """Give a bulk-loaded index its serving settings back (refresh interval, replicas)."""
    serving = {key: INDEX_SETTINGS["index"][key] for key in _BULK_LOAD}
    client.indices.put_settings(index=index, body={"index": serving})


def swap_alias(client: OpenSearch, names: IndexNames, *, to_index: str) -> list[str]:
    """Point the alias at `to_index` in one atomic request; returns the indexes it left."""
    previous = [i for i in client.indices.get_alias(name=names.alias) if i != to_index]
    actions: list[dict[str, object]] = [{"add": {"index": to_index, "alias": names.alias}}]
    actions += [{"remove": {"index": index, "alias": names.alias}} for index in previous]
    client.indices.update_aliases(body={"actions": actions})
    return previous


def read_checkpoint(client: OpenSearch, names: IndexNames, *, index: str) -> int:
    """The saved checkpoint of one versioned index (0 when none was saved)."""
    try:
        found = client.get(index=names.meta, id=index)
    except NotFoundError:
        return 0
    return int(found["_source"]["checkpoint"])


def write_checkpoint(client: OpenSearch, names: IndexNames, *, index: str, seq: int) -> None:
    """Save the checkpoint of one versioned index (refreshed, so every reader sees it)."""
    body = {"checkpoint": seq, "updated_at": datetime.now(UTC).isoformat()}
    client.index(index=names.meta, id=index, body=body, params={"refresh": "true"})


def drop_index(client: OpenSearch, names: IndexNames, *, index: str) -> None:
    """Delete a versioned index that no alias points at any more, and its checkpoint."""
    client.indices.delete(index=index, params={"ignore_unavailable": "true"})
    client.delete(index=names.meta, id=index, ignore=404)
