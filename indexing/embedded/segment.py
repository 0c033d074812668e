"""A segment: the columnar, immutable index of a set of partners (the main one or the delta).

Rows are partners in ascending id order. Multi-valued fields are `Attribute`s coded by the
`Catalog` shared by every segment of one index generation, so segments can be concatenated
without recoding. Days are float days since 1970-01-01 UTC ("epoch days").
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from itertools import chain
from typing import Any

import numpy as np
import scipy.sparse as sp

from indexing.embedded.attribute import Attribute, row_positions
from indexing.embedded.facets import FacetTable
from indexing.embedded.geo import Offices
from indexing.embedded.repository import PartnerBatch
from indexing.embedded.text import N_FEATURES, TextModel
from indexing.embedded.vocabulary import Vocabulary
from profiles.schemas import TIERS


@dataclass
class Catalog:
    """Vocabularies and the fitted text model of one index generation."""

    skills: Vocabulary
    certifications: Vocabulary
    industries: Vocabulary
    products: Vocabulary
    languages: Vocabulary
    countries: Vocabulary
    text: TextModel

    @classmethod
    def empty(cls) -> Catalog:
        return cls(
            skills=Vocabulary(),
            certifications=Vocabulary(),
            industries=Vocabulary(),
            products=Vocabulary(),
            languages=Vocabulary(),
            countries=Vocabulary(),
            text=TextModel(),
        )

    def copy(self) -> Catalog:
        """Vocabulary copies (they grow) sharing the text model (fixed once fitted)."""
        vocabularies = {
            f.name: getattr(self, f.name).copy() for f in fields(self) if f.name != "text"
        }
        return Catalog(**vocabularies, text=self.text)


# Attributes whose values are coded by the catalog vocabulary of the same name.
CODED = ("skills", "certifications", "industries", "products", "languages", "countries")

# Posting lists a search can start from, by the name its facet-cache key carries:
# (name, code) denotes the rows holding `code` in the attribute; "all" every row.
POSTING_NAMES = {
    "skill": "skills",
    "industry": "industries",
    "language": "languages",
    "country": "countries",
    "text": "text",
}


@dataclass
class Segment:
    ids: np.ndarray  # int64, ascending
    tier: np.ndarray  # int8 0=registered .. 3=platinum
    max_open_leads: np.ndarray  # int32
    version: np.ndarray  # int32
    updated_day: np.ndarray  # float64 epoch days
    attested_day: np.ndarray  # float64 epoch days, NaN if never attested
    skills: Attribute  # int8 level 1-5
    skill_verified: Attribute  # bool, same entries as `skills`
    certifications: Attribute  # float64 expiry epoch day, +inf if it never expires
    industries: Attribute  # int8 1
    products: Attribute  # int8 1
    languages: Attribute  # int8 1
    countries: Attribute  # int8 1: the countries of the partner's offices
    text: Attribute  # float32 L2-normalised tf-idf (raw counts while a build is fitting)
    offices: Offices

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def from_batch(cls, batch: PartnerBatch, *, catalog: Catalog, weigh: bool = True) -> Segment:
        """Code a batch with `catalog` (adding new names); `weigh=False` keeps raw term counts
        so that a build can fit idf over all batches first."""
        n = len(batch)

        def coded(name: str, rows: np.ndarray, names: Sequence[str], data: np.ndarray) -> Attribute:
            vocabulary: Vocabulary = getattr(catalog, name)
            codes = vocabulary.encode(names)
            return Attribute.from_pairs(rows, codes, data, shape=(n, len(vocabulary)))

        def listed(name: str) -> Attribute:
            lists: list[list[str]] = getattr(batch, name)
            rows = np.repeat(np.arange(n), [len(values) for values in lists])
            return coded(name, rows, list(chain.from_iterable(lists)), np.ones(len(rows), np.int8))

        attributes = {name: listed(name) for name in ("industries", "products", "languages")}
        skill_codes = catalog.skills.encode(batch.skill_name)  # once for both matrices
        skill_values = {"skills": batch.skill_level, "skill_verified": batch.skill_verified}
        for name, values in skill_values.items():
            attributes[name] = Attribute.from_pairs(
                batch.skill_row, skill_codes, values, shape=(n, len(catalog.skills))
            )
        attributes["certifications"] = coded(
            "certifications", batch.cert_row, batch.cert_name, batch.cert_expiry_day
        )
        attributes["countries"] = coded(
            "countries",
            batch.office_row,
            batch.office_country,
            np.ones(len(batch.office_row), np.int8),
        )
        counts = _term_counts(batch, catalog=catalog, attributes=attributes)
        return cls(
            ids=batch.ids,
            tier=batch.tier,
            max_open_leads=batch.max_open_leads,
            version=batch.version,
            updated_day=batch.updated_day,
            attested_day=batch.attested_day,
            text=Attribute(catalog.text.weigh(counts) if weigh else counts),
            offices=Offices(
                row=batch.office_row.astype(np.int32),
                lat=batch.office_lat,
                lon=batch.office_lon,
                service_radius_km=batch.office_radius_km,
                indptr=_indptr(batch.office_row, n),
            ),
            **attributes,
        )

    @classmethod
    def concat(cls, parts: Sequence[Segment], *, catalog: Catalog) -> Segment:
        """One segment from parts whose ids do not overlap; rows are re-sorted by id."""
        offsets = np.cumsum([0] + [len(part) for part in parts[:-1]])
        office_rows = [p.offices.row + o for p, o in zip(parts, offsets, strict=True)]
        columns: dict[str, Any] = {
            name: np.concatenate([getattr(p, name) for p in parts]) for name in _COLUMNS
        }
        attributes: dict[str, Any] = {
            name: Attribute.concat([getattr(p, name) for p in parts], width=width)
            for name, width in _widths(catalog).items()
        }
        merged = cls(
            **columns,
            **attributes,
            offices=Offices(
                row=np.concatenate(office_rows).astype(np.int32),
                lat=np.concatenate([p.offices.lat for p in parts]),
                lon=np.concatenate([p.offices.lon for p in parts]),
                service_radius_km=np.concatenate([p.offices.service_radius_km for p in parts]),
                indptr=_indptr(np.concatenate(office_rows), sum(len(p) for p in parts)),
            ),
        )
        order = np.argsort(merged.ids, kind="stable")
        is_sorted = bool(np.all(order == np.arange(len(order))))
        return merged if is_sorted else merged.take(order)

    def take(self, rows: np.ndarray) -> Segment:
        """The given rows, in the given order."""
        positions = row_positions(self.offices.indptr, rows)
        lengths = self.offices.indptr[rows + 1] - self.offices.indptr[rows]
        office_row = np.repeat(np.arange(len(rows), dtype=np.int32), lengths)
        columns: dict[str, Any] = {name: getattr(self, name)[rows] for name in _COLUMNS}
        attributes: dict[str, Any] = {name: getattr(self, name).take(rows) for name in _ATTRIBUTES}
        return Segment(
            **columns,
            **attributes,
            offices=Offices(
                row=office_row,
                lat=self.offices.lat[positions],
                lon=self.offices.lon[positions],
                service_radius_km=self.offices.service_radius_km[positions],
                indptr=_indptr(office_row, len(rows)),
            ),
        )

    def with_text(self, text: sp.csr_matrix) -> Segment:
        clone = Segment(**{f.name: getattr(self, f.name) for f in fields(self)})
        clone.text = Attribute(text)
        return clone

    def rows_of(self, ids: np.ndarray) -> np.ndarray:
        """Rows of the given partner ids that are in this segment (int64, possibly fewer)."""
        positions = np.searchsorted(self.ids, ids)
        positions = positions[positions < len(self.ids)]
        return positions[np.isin(self.ids[positions], ids)].astype(np.int64)

    @cached_property
    def latest_cert_expiry(self) -> np.ndarray:
        """Per row, the latest certification expiry (epoch day; +inf never; -inf if none)."""
        matrix = self.certifications.by_partner
        latest = np.full(len(self), -np.inf)
        has = np.diff(matrix.indptr) > 0
        if matrix.nnz:
            latest[has] = np.maximum.reduceat(matrix.data, matrix.indptr[:-1][has])
        return latest

    @cached_property
    def confirmed_day(self) -> np.ndarray:
        """Per row, the later of last update and attestation (epoch days, float64)."""
        return np.fmax(self.updated_day, self.attested_day)

    @cached_property
    def unblocked_until(self) -> np.ndarray:
        """Per row, the last epoch day on which neither "all certifications expired" nor
        "no skills" blocks the profile: the latest expiry (+inf without certifications),
        -inf for a partner without skills. Lets a search drop stale rows with two gathers."""
        latest = self.latest_cert_expiry
        until = np.where(latest > -np.inf, latest, np.inf)
        until[np.diff(self.skills.by_partner.indptr) == 0] = -np.inf
        return until

    @cached_property
    def facets(self) -> FacetTable:
        """Skills, industries, countries, tier (one-hot) and certifications of each row, for
        facet counts."""
        n = len(self)
        tier = sp.csr_matrix(
            (np.ones(n, np.int8), self.tier.astype(np.int32), np.arange(n + 1)),
            shape=(n, len(TIERS)),
        )
        table = FacetTable(
            {
                "skill": self.skills.by_partner,
                "industry": self.industries.by_partner,
                "language": self.languages.by_partner,
                "country": self.countries.by_partner,
                "tier": tier,
            },
            certifications=self.certifications.by_partner,
        )
        table.prepare(self._long_postings)
        return table

    def _long_postings(self, min_rows: int) -> Iterator[tuple[Hashable, np.ndarray]]:
        """Every posting list of at least `min_rows` rows, keyed as in POSTING_NAMES."""
        if len(self) >= min_rows:
            yield "all", np.arange(len(self))
        for name, attribute in POSTING_NAMES.items():
            matrix = getattr(self, attribute).by_value
            for code in np.flatnonzero(np.diff(matrix.indptr) >= min_rows).tolist():
                yield (name, code), matrix.indices[matrix.indptr[code] : matrix.indptr[code + 1]]

    def warm(self) -> None:
        """Build every lazily derived structure now (posting lists, tree) before publishing."""
        for name in ("skills", "certifications", "industries", "products", "languages"):
            getattr(self, name).warm()
        self.countries.warm()
        self.text.warm()
        self.offices.warm()
        _ = self.latest_cert_expiry, self.confirmed_day, self.unblocked_until, self.facets


_COLUMNS = ("ids", "tier", "max_open_leads", "version", "updated_day", "attested_day")
_ATTRIBUTES = (*CODED, "skill_verified", "text")


def _widths(catalog: Catalog) -> dict[str, int]:
    widths = {name: len(getattr(catalog, name)) for name in CODED}
    return {**widths, "skill_verified": widths["skills"], "text": N_FEATURES}


def _indptr(rows: np.ndarray, n: int) -> np.ndarray:
    """CSR-style offsets of entries grouped by row (entries must be sorted by row)."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr


def _term_counts(
    batch: PartnerBatch, *, catalog: Catalog, attributes: dict[str, Attribute]
) -> sp.csr_matrix:
    """Term counts of name + description + the names of skills, industries and products.

    Hashing is linear, so each coded attribute contributes (partner x value) @ (value x term)
    instead of rebuilding a string per partner. The parts are summed by one COO -> CSR
    conversion rather than pairwise sparse additions.
    """
    parts = [catalog.text.counts(batch.texts)]
    for name in ("skills", "industries", "products"):
        vocabulary: Vocabulary = getattr(catalog, name)
        present = attributes[name].by_partner.astype(bool).astype(np.float32)
        parts.append(sp.csr_matrix(present @ catalog.text.counts(vocabulary.names())))
    rows = np.concatenate(
        [np.repeat(np.arange(p.shape[0], dtype=np.int32), np.diff(p.indptr)) for p in parts]
    )
    columns = np.concatenate([p.indices for p in parts])
    values = np.concatenate([p.data for p in parts]).astype(np.float32, copy=False)
    shape = (len(batch), N_FEATURES)
    return sp.csr_matrix(sp.coo_matrix((values, (rows, columns)), shape=shape))
