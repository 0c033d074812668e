"""`OpenSearchIndex`: the PartnerIndex protocol on an OpenSearch cluster.

Reads go through the alias; writes arrive only through the outbox shipper (sync.py), so the
API never waits on the cluster and a cluster outage never loses an acknowledged write.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
from opensearchpy import OpenSearch
from opensearchpy.exceptions import TransportError
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.database import make_sessionmaker
from core.errors import InvalidInput
from core.settings import Settings
from indexing.cursors import decode_cursor, encode_cursor, query_fingerprint
from indexing.embedded.geo import geodesic_km
from indexing.embedded.query import MAX_SKILL_LEVEL
from indexing.opensearch import hits as parse
from indexing.opensearch import queries
from indexing.opensearch.client import Backoff, SearchUnavailable, make_client, with_retries
from indexing.opensearch.indexes import IndexNames, current_index, ensure_layout
from indexing.opensearch.reindex import reindex
from indexing.opensearch.sync import ChangeShipper, SyncConfig
from indexing.opensearch.worker import SyncWorker
from indexing.protocol import (
    Candidates,
    IndexStats,
    LeadQuery,
    SearchHit,
    SearchQuery,
    SearchResult,
)
from profiles.freshness import FreshnessPolicy

# Every document earns this constant through one filterless function, so a function sum is
# never empty (OpenSearch then substitutes 1) whatever the document matches; it is
# subtracted again from reported scores.
BASELINE = 1.0
_HIT_FIELDS = [
    "offices",
    "profile_updated_at",
    "attested_at",
    "certifications_valid_until",
    "skill_names",
]
_LEAD_FIELDS = [*_HIT_FIELDS, "skills", "certifications", "tier", "max_open_leads",
                "languages", "industries", "products"]  # fmt: skip


log = logging.getLogger(__name__)


def open_opensearch_index(settings: Settings, engine: Engine, *, poll: bool) -> OpenSearchIndex:
    """The backend for `settings.opensearch_url`; with `poll`, the outbox shipper runs in the
    background every `settings.index_poll_seconds`. A cluster that is down at start does not
    stop the service: writes queue in the change log and the shipper drains them later."""
    assert settings.opensearch_url, "Settings refuses search_backend=opensearch without a URL"
    index = OpenSearchIndex(
        make_client(settings.opensearch_url),
        sessions=make_sessionmaker(engine),
        policy=FreshnessPolicy(
            due_after_days=settings.due_after_days, stale_after_days=settings.stale_after_days
        ),
    )
    try:
        index.open()
    except SearchUnavailable as error:
        log.warning("search cluster unavailable at start; writes queue in the store: %s", error)
    if poll:
        index.start_sync(poll_s=settings.index_poll_seconds)
    return index


class OpenSearchIndex:
    """Retrieval on OpenSearch with the embedded index's semantics (see queries.py)."""

    def __init__(
        self,
        client: OpenSearch,
        *,
        sessions: sessionmaker[Session],
        policy: FreshnessPolicy,
        names: IndexNames | None = None,
        sync: SyncConfig | None = None,
        lead_window: int = 2000,
    ) -> None:
        """`lead_window`: most partners near a lead fetched per lead (coarse-score order)."""
        self._client = client
        self._sessions = sessions
        self._policy = policy
        self._names = names or IndexNames()
        self._sync = sync or SyncConfig()
        self._lead_window = lead_window
        self._shipper = ChangeShipper(
            client, sessions=sessions, names=self._names, config=self._sync
        )
        self._worker: SyncWorker | None = None

    def open(self) -> None:
        """Create the alias and indexes when missing (idempotent)."""
        with_retries(lambda: ensure_layout(self._client, self._names), backoff=self._sync.backoff)

    def start_sync(self, *, poll_s: float) -> None:
        """Ship the outbox in a background thread until close()."""
        self._worker = SyncWorker(self._shipper, poll_s=poll_s)
        self._worker.start()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.stop()
        self._client.close()

    def catch_up(self) -> int:
        """Ship every pending change now and make it searchable; returns entries shipped."""
        shipped = self._shipper.catch_up()
        self._client.indices.refresh(index=self._names.alias)
        return shipped

    def rebuild(self) -> None:
        reindex(self._client, sessions=self._sessions, names=self._names, config=self._sync)

    def lag(self) -> int:
        """Change-log entries not in the index yet; SearchUnavailable (503) if unreachable."""
        try:
            return self._shipper.lag()
        except TransportError as error:
            raise SearchUnavailable(f"search cluster unavailable: {error}") from error

    def subscribe(self, callback: Callable[[list[int]], None]) -> None:
        """Nothing to tell: hits from OpenSearch carry no version, so no cache keeps views
        of them (`indexing.public_views`)."""

    def divergence(self) -> str | None:
        """Always None here: `partnermatch reindex` verifies an OpenSearch index against its
        store (count and per-partner versions) when it rebuilds it."""
        return None

    def stats(self) -> IndexStats:
        body = {"size": 0, "aggs": {"offices": {"nested": {"path": "offices"}}}}
        found = self._search(body)
        return IndexStats(
            partners=int(found["hits"]["total"]["value"]),
            locations=int(found["aggregations"]["offices"]["doc_count"]),
            last_seq=self._shipper.checkpoint(),
            delta_size=0,
        )

    def search(self, query: SearchQuery) -> SearchResult:
        """Filters, relevance, facets and a search_after page; see queries.py for semantics."""
        if query.sort == "distance" and query.near is None:
            raise InvalidInput.field("sort", "sort=distance needs `near`")
        serving = query.near is not None and query.radius_km is None
        max_radius = self._max_radius() if serving else None
        bound_to = query_fingerprint(query)
        body = _search_body(query, max_radius_km=max_radius, policy=self._policy)
        if query.cursor:
            body["search_after"] = decode_cursor(query.cursor, fingerprint=bound_to)
        found = self._search(body)
        page = found["hits"]["hits"]
        more = len(page) > query.limit
        page = page[: query.limit]
        next_cursor = encode_cursor(page[-1]["sort"], fingerprint=bound_to) if more else None
        return SearchResult(
            items=self._hits(page, query=query),
            total=int(found["hits"]["total"]["value"]),
            facets=_facets(found["aggregations"]),
            next_cursor=next_cursor,
        )

    def candidates(self, query: LeadQuery) -> Candidates:
        """Partners with every required skill and an office in range (within its service
        radius plus `max_km_beyond_radius`), reporting the office whose service area comes
        closest; see indexing.embedded.candidates. The `lead_window` partners best by the
        server's coarse score are fetched, the `max_candidates` best by the exact one kept."""
        max_radius = self._max_radius()
        beyond_km = query.max_km_beyond_radius
        found: list[dict[str, Any]] = []
        if max_radius is not None:
            proximity, functions = queries.lead_coarse_scoring(query, max_radius_km=max_radius)
            filters = queries.lead_filters(query, max_radius_km=max_radius)
            body = {
                "size": self._lead_window,
                "_source": _LEAD_FIELDS,
                "query": _function_score(
                    {"bool": {"filter": filters, "should": [proximity]}}, functions
                ),
                "sort": [{"_score": "desc"}, {"partner_id": "asc"}],
            }
            found = self._search(body)["hits"]["hits"]
        closest = [
            parse.closest_service_area(h["_source"], query.location, beyond_km=beyond_km)
            for h in found
        ]
        ids = np.array([int(h["_id"]) for h in found], dtype=np.int64)
        in_range = np.array([c is not None for c in closest], dtype=bool)
        chosen = [h["_source"] for h, c in zip(found, closest, strict=True) if c is not None]
        offices = [c for c in closest if c is not None]
        features = _lead_features(
            query, chosen, ids=ids[in_range], offices=offices, policy=self._policy
        )
        coarse = _coarse(features, max_km_beyond_radius=beyond_km)
        order = np.lexsort((features.partner_ids, -coarse))[: query.max_candidates]
        taken = {f.name: getattr(features, f.name)[order] for f in dataclasses.fields(Candidates)
                 if f.name != "excluded_out_of_range"}  # fmt: skip
        points = [offices[i][2] for i in order.tolist()]
        taken["distance_km"] = geodesic_km(
            query.location, [lat for lat, _ in points], [lon for _, lon in points]
        )
        # The server's arc distance and ours may disagree right at the edge: ours decides.
        beyond_reach = (
            self._out_of_range(query, max_radius_km=max_radius)
            if max_radius is not None
            else np.zeros(0, dtype=np.int64)
        )
        too_far = np.concatenate([beyond_reach, ids[~in_range]])
        return Candidates(**taken, excluded_out_of_range=np.unique(too_far))

    def _out_of_range(self, query: LeadQuery, *, max_radius_km: float) -> np.ndarray:
        """Ids (int64) of up to `lead_window` partners with every required skill near the lead
        (within the largest service radius plus `max_km_beyond_radius`) but no office in range."""
        body = {
            "size": self._lead_window,
            "_source": False,
            "query": {
                "constant_score": {
                    "filter": queries.lead_out_of_range(query, max_radius_km=max_radius_km)
                }
            },
            "sort": [{"partner_id": "asc"}],
        }
        found = self._search(body)["hits"]["hits"]
        return np.array([int(h["_id"]) for h in found], dtype=np.int64)

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        return with_retries(
            lambda: self._client.search(index=self._names.alias, body=body),
            backoff=Backoff(attempts=2),
        )

    def _max_radius(self) -> float | None:
        """The largest office service radius in the index (km); None without offices."""
        found = self._search(queries.MAX_RADIUS_BODY)
        value = found["aggregations"]["offices"]["max_radius"]["value"]
        return None if value is None else float(value)

    def _hits(self, page: list[dict[str, Any]], *, query: SearchQuery) -> list[SearchHit]:
        sources = [hit["_source"] for hit in page]
        status, reasons = parse.freshness_of(
            sources,
            on_date=query.on_date,
            now=queries.instant(query.on_date, query.now),
            policy=self._policy,
        )
        items = []
        for i, hit in enumerate(page):
            distance = None
            if query.near is not None:
                office = parse.nearest_office(hit["_source"], query.near, radius_km=query.radius_km)
                if office is not None:
                    (lat, lon) = office[2]
                    distance = float(geodesic_km(query.near, [lat], [lon])[0])
            items.append(
                SearchHit(
                    partner_id=int(hit["_id"]),
                    score=float(hit["_score"]) - BASELINE,
                    distance_km=distance,
                    freshness=int(status[i]),
                    freshness_reasons=int(reasons[i]),
                )
            )
        return items

    def current_index(self) -> str:
        return current_index(self._client, self._names)


def _function_score(query: dict[str, Any], functions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "function_score": {
            "query": query,
            "functions": [{"weight": BASELINE}, *functions],
            "score_mode": "sum",
            "boost_mode": "sum",
        }
    }


def _search_body(
    query: SearchQuery, *, max_radius_km: float | None, policy: FreshnessPolicy
) -> dict[str, Any]:
    filters = queries.search_filters(query, max_radius_km=max_radius_km, policy=policy)
    base: dict[str, Any] = {"filter": filters}
    if query.near is not None and query.radius_km is None and max_radius_km is not None:
        weight = queries.proximity_weight(query)
        base["should"] = [
            queries.served_proximity(query.near, max_radius_km=max_radius_km, weight=weight)
        ]
    if query.q:
        text = queries.text_match(query.q)
        text["match"]["all_text"]["boost"] = queries.text_boost(query)
        base["must"] = [text]
    if query.sort == "distance":
        assert query.near is not None
        first: dict[str, Any] = {
            "_geo_distance": {
                "office_points": queries.point(query.near),
                "order": "asc",
                "unit": "km",
                "mode": "min",
                "distance_type": "arc",
            }
        }
    else:
        first = {"_score": "desc"}
    return {
        "size": query.limit + 1,
        "_source": _HIT_FIELDS,
        "track_total_hits": True,
        "track_scores": True,
        "query": _function_score({"bool": base}, queries.relevance_functions(query)),
        "sort": [first, {"partner_id": "asc"}],
        "aggs": queries.facet_aggregations(on_date=query.on_date),
    }


def _facets(aggregations: dict[str, Any]) -> dict[str, dict[str, int]]:
    """Facet buckets as {facet: {value: partners}}, largest first."""
    facets = {
        name: {str(b["key"]): int(b["doc_count"]) for b in aggregations[name]["buckets"]}
        for name in ("skill", "industry", "language", "tier", "country")
    }
    certs = aggregations["certification"]["active"]["names"]["buckets"]
    facets["certification"] = {str(b["key"]): int(b["partners"]["doc_count"]) for b in certs}
    return {
        name: facets[name]
        for name in ("skill", "certification", "industry", "language", "tier", "country")
    }


def _lead_features(
    query: LeadQuery,
    sources: list[dict[str, Any]],
    *,
    ids: np.ndarray,
    offices: list[tuple[float, float, tuple[float, float]]],
    policy: FreshnessPolicy,
) -> Candidates:
    """Raw features of the in-range partners; `offices` holds each one's reported office
    (haversine km, service radius km, (lat, lon)), see hits.closest_service_area."""
    levels, verified = parse.skill_columns(sources, query.required_skills)
    preferred, _ = parse.skill_columns(sources, query.preferred_skills)
    status, _ = parse.freshness_of(
        sources,
        on_date=query.on_date,
        now=queries.instant(query.on_date, query.now),
        policy=policy,
    )
    return Candidates(
        partner_ids=ids,
        distance_km=np.array([o[0] for o in offices], dtype=np.float64),
        service_radius_km=np.array([o[1] for o in offices], dtype=np.float64),
        required_skill_levels=levels,
        required_skill_verified=verified,
        preferred_skill_levels=preferred,
        required_cert_active=parse.certification_columns(
            sources, query.required_certifications, on_date=query.on_date
        ),
        preferred_cert_active=parse.certification_columns(
            sources, query.preferred_certifications, on_date=query.on_date
        ),
        tier=parse.tiers(sources),
        max_open_leads=np.array([s["max_open_leads"] for s in sources], dtype=np.int32),
        language_match=parse.membership(sources, "languages", query.language),
        industry_match=parse.membership(sources, "industries", query.industry),
        product_overlap=parse.overlap(sources, "products", query.products),
        freshness=status,
    )


def _coarse(features: Candidates, *, max_km_beyond_radius: float) -> np.ndarray:
    """The embedded index's coarse lead score (-1 to 5), used only to cap the candidates;
    `features.distance_km` is still the haversine distance here, as there."""

    def share(matrix: np.ndarray) -> np.ndarray:
        return matrix.mean(axis=1) if matrix.shape[1] else np.ones(matrix.shape[0])

    beyond_km = features.distance_km - features.service_radius_km
    inside = -beyond_km / np.maximum(features.service_radius_km, 1e-9)  # 0-1 within the area
    outside = -beyond_km / max(max_km_beyond_radius, 1e-9)  # -1-0 beyond it
    proximity = np.where(beyond_km <= 0, inside, outside)
    return (
        share(features.required_cert_active.astype(float))
        + share(features.preferred_skill_levels / MAX_SKILL_LEVEL)
        + features.industry_match
        + features.language_match
        + np.clip(proximity, -1.0, 1.0)
    )
