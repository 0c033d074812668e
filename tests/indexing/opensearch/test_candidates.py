"""Lead candidates on OpenSearch: the window the cluster returns is ordered like the embedded
coarse score, so a small `lead_window` keeps the partners that serve the customer."""

from __future__ import annotations

from datetime import UTC, datetime

from opensearchpy import OpenSearch
from sqlalchemy.orm import Session, sessionmaker

from indexing.opensearch.backend import OpenSearchIndex
from indexing.opensearch.indexes import IndexNames
from indexing.opensearch.sync import SyncConfig
from indexing.protocol import LeadQuery
from profiles.freshness import FreshnessPolicy
from tests.factories import location
from tests.indexing import writes

NEAR_MUNICH = (48.14, 11.58)


def test_a_partner_serving_its_area_fills_a_small_window_first(
    os_client: OpenSearch,
    sessions: sessionmaker[Session],
    names: IndexNames,
    sync_config: SyncConfig,
) -> None:
    # Augsburg (30 km) is ~57 km away, beyond its area; the wide-area office serves the lead.
    augsburg = writes.create(
        sessions, locations=[location(city="Augsburg", lat=48.3705, lon=10.8978,
                                      service_radius_km=30)],
    )  # fmt: skip
    serving = writes.create(
        sessions, locations=[location(city="Dachau", lat=48.3, lon=11.0, service_radius_km=400)]
    )
    index = OpenSearchIndex(
        os_client,
        sessions=sessions,
        policy=FreshnessPolicy(),
        names=names,
        sync=sync_config,
        lead_window=1,
    )
    index.open()
    index.catch_up()
    lead = LeadQuery(on_date=datetime.now(UTC).date(), location=NEAR_MUNICH)
    assert index.candidates(lead).partner_ids.tolist() == [serving]
    assert augsburg < serving  # the id tie-break alone would have kept Augsburg
