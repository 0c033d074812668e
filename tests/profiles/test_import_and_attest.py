"""Bulk NDJSON import (upsert by external_id, per-line errors) and attestation over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import create_partner, location, partner_payload


def ndjson(*lines: dict[str, Any] | str) -> bytes:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode()


def post_import(client: TestClient, body: bytes) -> Any:
    return client.post(
        "/v1/partners/import", content=body, headers={"Content-Type": "application/x-ndjson"}
    )


def find_by_external_id(client: TestClient, external_id: str, partner_ids: range) -> dict:
    for partner_id in partner_ids:
        response = client.get(f"/v1/partners/{partner_id}")
        if response.status_code == 200 and response.json()["external_id"] == external_id:
            return response.json()
    raise AssertionError(f"{external_id} not found")


class TestImport:
    def test_good_lines_are_imported_and_bad_lines_reported_by_number(
        self, client: TestClient
    ) -> None:
        body = ndjson(
            partner_payload(external_id="CRM-1"),
            '{"name": "broken',
            partner_payload(external_id="CRM-2", tier="diamond"),
            "",
            partner_payload(external_id="CRM-3"),
        )
        response = post_import(client, body)
        assert response.status_code == 200, response.text
        report = response.json()
        assert (report["created"], report["updated"], report["failed"]) == (2, 0, 2)
        assert [(e["line"], e["code"]) for e in report["errors"]] == [
            (2, "validation_error"),
            (3, "validation_error"),
        ]
        assert report["errors"][1]["details"][0]["field"] == "tier"
        assert find_by_external_id(client, "CRM-3", range(1, 10))["name"]

    def test_reimport_upserts_by_external_id(self, client: TestClient) -> None:
        post_import(client, ndjson(partner_payload(external_id="CRM-1", tier="silver")))
        report = post_import(
            client, ndjson(partner_payload(external_id="CRM-1", tier="gold"))
        ).json()
        assert (report["created"], report["updated"]) == (0, 1)
        partner = find_by_external_id(client, "CRM-1", range(1, 5))
        assert (partner["tier"], partner["version"]) == ("gold", 2)

    def test_a_reimported_line_is_the_whole_record(self, client: TestClient) -> None:
        first = partner_payload(external_id="CRM-7", skills=[{"name": "AWS", "level": 2}])
        post_import(client, ndjson(first))
        before = find_by_external_id(client, "CRM-7", range(1, 5))
        assert client.post(f"/v1/partners/{before['id']}/attest").status_code == 200

        second = partner_payload(
            external_id="CRM-7",
            name="Alpenwolke Renamed",
            locations=[location(city="Berlin", lat=52.52, lon=13.405)],
            skills=[{"name": "AWS", "level": 5}, {"name": "Terraform", "level": 3}],
            certifications=[],
        )
        assert post_import(client, ndjson(second)).json()["updated"] == 1

        after = find_by_external_id(client, "CRM-7", range(1, 5))
        assert after["name"] == "Alpenwolke Renamed"
        assert [place["city"] for place in after["locations"]] == ["Berlin"]
        assert {(s["name"], s["level"]) for s in after["skills"]} == {
            ("Amazon Web Services", 5),
            ("Terraform", 3),
        }
        assert after["certifications"] == []
        assert after["version"] == before["version"] + 2  # attested, then imported
        assert after["created_at"] == before["created_at"]
        assert after["attested_at"] is not None  # the line names none: the attestation stands
        found = client.get("/v1/partners/search", params={"q": "renamed", "skills": "Terraform"})
        assert [item["id"] for item in found.json()["items"]] == [before["id"]]

    def test_repeated_external_id_in_one_file_keeps_the_last_line(self, client: TestClient) -> None:
        body = ndjson(
            partner_payload(external_id="CRM-5", tier="silver"),
            partner_payload(external_id="CRM-5", tier="platinum"),
        )
        report = post_import(client, body).json()
        assert (report["created"], report["updated"], report["failed"]) == (1, 0, 0)
        assert find_by_external_id(client, "CRM-5", range(1, 5))["tier"] == "platinum"

    def test_source_timestamps_are_kept(self, client: TestClient) -> None:
        updated = datetime.now(UTC) - timedelta(days=400)
        line = partner_payload(
            external_id="CRM-9", profile_updated_at=updated.isoformat(), attested_at=None
        )
        post_import(client, ndjson(line))
        partner = find_by_external_id(client, "CRM-9", range(1, 5))
        assert datetime.fromisoformat(partner["profile_updated_at"]) == updated
        assert partner["freshness"] == {
            "status": "stale",
            "reasons": ["profile_not_updated", "not_attested"],
        }

    def test_timestamp_off_the_calendar_is_reported(self, client: TestClient) -> None:
        line = partner_payload(external_id="CRM-1", profile_updated_at="0001-01-01T00:00:00+01:00")
        report = post_import(client, ndjson(line)).json()
        assert report["failed"] == 1
        assert report["errors"][0]["details"][0]["field"] == "profile_updated_at"

    def test_line_that_cannot_be_geocoded_is_reported(self, client: TestClient) -> None:
        line = partner_payload(
            external_id="CRM-1", locations=[{"city": "Atlantis", "country": "DE"}]
        )
        report = post_import(client, ndjson(line)).json()
        assert report["failed"] == 1
        assert report["errors"][0]["details"][0]["field"] == "locations.0.city"

    def test_a_line_without_external_id_is_reported_and_never_imported(
        self, client: TestClient
    ) -> None:
        for _ in range(3):
            report = post_import(client, ndjson(partner_payload(name="No Id"))).json()
            assert (report["created"], report["failed"]) == (0, 1)
            assert report["errors"][0]["details"][0]["field"] == "external_id"
        assert client.get("/v1/partners/search", params={"q": "no id"}).json()["total"] == 0

    def test_a_nul_character_is_reported_naming_its_field(self, client: TestClient) -> None:
        nul = partner_payload(external_id="CRM-NUL", skills=[{"name": "Ku\x00bernetes"}])
        clean = partner_payload(external_id="CRM-CLEAN", name="Clean Line Cloud")
        report = post_import(client, ndjson(nul, clean)).json()
        assert (report["created"], report["failed"]) == (1, 1)
        assert report["errors"][0]["line"] == 1
        assert report["errors"][0]["details"][0]["field"] == "skills.0.name"
        assert "NUL" in report["errors"][0]["details"][0]["message"]

    def test_a_body_that_is_not_ndjson_is_a_415_and_imports_nothing(
        self, client: TestClient
    ) -> None:
        line = ndjson(partner_payload(external_id="CRM-1", name="Multipart Upload"))
        response = client.post("/v1/partners/import", files={"file": ("p.ndjson", line)})
        assert response.status_code == 415
        assert response.json()["error"]["code"] == "unsupported_media_type"
        assert client.get("/v1/partners/search", params={"q": "multipart"}).json()["total"] == 0

    def test_a_body_of_many_batches_is_imported_whole(
        self, app: FastAPI, client: TestClient
    ) -> None:
        app.state.settings.import_batch_size = 7
        lines = [partner_payload(external_id=f"CRM-{n}", name=f"Batch {n}") for n in range(30)]
        lines[12]["tier"] = "diamond"
        report = post_import(client, ndjson(*lines)).json()
        assert (report["created"], report["failed"]) == (29, 1)
        assert report["errors"][0]["line"] == 13
        assert client.get("/v1/partners/search", params={"q": "batch"}).json()["total"] == 29

    def test_empty_or_non_utf8_body_is_refused(self, client: TestClient) -> None:
        assert post_import(client, b"\n\n").status_code == 422
        response = post_import(client, b"\xff\xfe")
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["field"] == "body"


class TestAttest:
    def test_attesting_a_stale_profile_makes_it_fresh(self, client: TestClient) -> None:
        old = (datetime.now(UTC) - timedelta(days=365)).isoformat()
        post_import(client, ndjson(partner_payload(external_id="OLD", profile_updated_at=old)))
        partner = find_by_external_id(client, "OLD", range(1, 5))
        assert partner["freshness"]["status"] == "stale"
        response = client.post(f"/v1/partners/{partner['id']}/attest")
        assert response.status_code == 200
        assert response.json()["freshness"] == {"status": "fresh", "reasons": []}
        assert response.json()["version"] == partner["version"] + 1

    def test_profile_becomes_due_then_stale_as_time_passes(
        self, client: TestClient, clock: Any
    ) -> None:
        partner = create_partner(client)
        clock.advance(days=160)
        assert client.get(f"/v1/partners/{partner['id']}").json()["freshness"]["status"] == "due"
        clock.advance(days=30)
        assert client.get(f"/v1/partners/{partner['id']}").json()["freshness"]["status"] == "stale"

    def test_attesting_an_unknown_partner_is_404(self, client: TestClient) -> None:
        assert client.post("/v1/partners/424242/attest").status_code == 404
