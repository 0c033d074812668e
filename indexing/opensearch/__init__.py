"""OpenSearch backend: the same retrieval as the embedded index, on a cluster (scale-out).

The store's change log is the outbox: `sync.ChangeShipper` ships it into the index alias with
external versions; `reindex.reindex` rebuilds a fresh versioned index behind the alias.
"""

try:
    import opensearchpy  # noqa: F401
except ModuleNotFoundError as missing:  # an optional extra
    raise ModuleNotFoundError(
        "the OpenSearch backend needs the opensearch extra: pip install 'partnermatch[opensearch]'"
    ) from missing
