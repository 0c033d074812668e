"""Reference data and canonical names: what a user typing a skill or industry gets back."""

from __future__ import annotations

import json

import pytest

from profiles import taxonomy
from profiles.taxonomy import (
    LANGUAGE_NAMES,
    canonical_industry,
    canonical_skill,
    certifications,
    fold_key,
    industries,
    is_language_code,
    skills,
)


class TestSkillSynonymsResolve:
    @pytest.mark.parametrize(
        ("typed", "canonical"),
        [
            ("AWS", "Amazon Web Services"),
            ("amazon web services", "Amazon Web Services"),
            ("Amazon-Web-Services", "Amazon Web Services"),
            ("  Amazon   Web_Services  ", "Amazon Web Services"),
            ("Amazon AWS", "Amazon Web Services"),
            ("k8s", "Kubernetes"),
            ("K8S", "Kubernetes"),
            ("Kubernétes", "Kubernetes"),
            ("GCP", "Google Cloud"),
            ("google cloud platform", "Google Cloud"),
            ("MS Azure", "Microsoft Azure"),
            ("azure", "Microsoft Azure"),
            ("PowerBI", "Power BI"),
            ("S/4HANA", "SAP S/4HANA"),
            ("s4hana", "SAP S/4HANA"),
            ("pci-dss", "PCI DSS"),
            ("o365", "Microsoft 365"),
            ("node.js", "Node.js"),
            ("NodeJS", "Node.js"),
        ],
    )
    def test_spelling_variants_give_the_canonical_name(self, typed: str, canonical: str) -> None:
        assert canonical_skill(typed) == canonical

    def test_every_canonical_name_resolves_to_itself(self) -> None:
        for entry in skills():
            assert canonical_skill(entry.name) == entry.name
            assert canonical_skill(entry.name.upper()) == entry.name


class TestUnknownSkillsAreKept:
    def test_whitespace_is_collapsed_but_spelling_kept(self) -> None:
        assert canonical_skill("  Quantum   basket\tweaving ") == "Quantum basket weaving"

    def test_case_of_an_unknown_skill_is_not_changed(self) -> None:
        assert canonical_skill("myCustomTool-X") == "myCustomTool-X"


class TestIndustriesResolve:
    @pytest.mark.parametrize(
        ("typed", "canonical"),
        [
            ("Banking", "Financial Services"),
            ("finance", "Financial Services"),
            ("Government", "Public Sector"),
            ("health care", "Healthcare"),
            ("telco", "Telecommunications"),
            ("Energy & Utilities", "Energy & Utilities"),
        ],
    )
    def test_synonyms_give_the_canonical_industry(self, typed: str, canonical: str) -> None:
        assert canonical_industry(typed) == canonical

    def test_unknown_industry_is_kept(self) -> None:
        assert canonical_industry(" Space   Tourism ") == "Space Tourism"

    def test_about_thirty_industries(self) -> None:
        assert 25 <= len(industries()) <= 40
        assert {"Manufacturing", "Financial Services", "Public Sector"} <= set(industries())


class TestTaxonomyIsConsistent:
    def test_at_least_170_unique_skills_in_a_few_categories(self) -> None:
        entries = skills()
        assert len(entries) >= 170
        assert len({e.name for e in entries}) == len(entries)
        assert len({e.category for e in entries}) <= 12

    def test_no_spelling_maps_to_two_skills(self) -> None:
        owner: dict[str, str] = {}
        for entry in skills():
            for term in (entry.name, *entry.synonyms):
                assert owner.setdefault(fold_key(term), entry.name) == entry.name, term

    def test_no_spelling_maps_to_two_industries(self) -> None:
        raw = json.loads((taxonomy.DATA_DIR / "industries.json").read_text(encoding="utf-8"))
        owner: dict[str, str] = {}
        for entry in raw:
            for term in (entry["name"], *entry["synonyms"]):
                assert owner.setdefault(fold_key(term), entry["name"]) == entry["name"], term

    def test_at_least_60_certifications_evidencing_known_skills(self) -> None:
        known = {e.name for e in skills()}
        entries = certifications()
        assert len(entries) >= 60
        assert len({c.name for c in entries}) == len(entries)
        for cert in entries:
            assert cert.skills and set(cert.skills) <= known, cert.name
            assert cert.validity_years is None or 1 <= cert.validity_years <= 5

    def test_entries_are_immutable(self) -> None:
        with pytest.raises(AttributeError):
            skills()[0].name = "changed"  # type: ignore[misc]


class TestLanguageCodes:
    def test_all_iso_639_1_codes_are_known(self) -> None:
        assert len(LANGUAGE_NAMES) >= 183
        assert LANGUAGE_NAMES["de"] == "German"
        assert LANGUAGE_NAMES["zh"] == "Chinese"

    @pytest.mark.parametrize("code", ["de", "DE", "En", "zu"])
    def test_codes_are_recognised_in_any_case(self, code: str) -> None:
        assert is_language_code(code)

    @pytest.mark.parametrize("code", ["xx", "deu", "", "e"])
    def test_other_strings_are_not_codes(self, code: str) -> None:
        assert not is_language_code(code)
