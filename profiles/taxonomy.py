"""Reference data (skills, certifications, industries, languages) and name canonicalisation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from core.text import fold

DATA_DIR = Path(__file__).parent / "data"

# Separators that users write interchangeably: "k8s" == "K 8s", "Amazon-Web-Services".
_LOOSE_SEPARATORS = re.compile(r"[\s._/\-\u2010-\u2015]+")


@dataclass(frozen=True, slots=True)
class SkillEntry:
    """A canonical skill, its category and the spellings that resolve to it."""

    name: str
    category: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CertificationEntry:
    """A vendor certification; `validity_years` is None when it never expires. Its synonyms are
    exam codes and acronyms ("AZ-104", "AWS SAA") and the acronym in its name ("(CKA)")."""

    name: str
    issuer: str
    validity_years: int | None
    skills: tuple[str, ...]
    synonyms: tuple[str, ...]


_ACRONYM_IN_NAME = re.compile(r"\(([A-Z0-9][A-Za-z0-9+\-]{1,14})\)$")


# Spellings resolved per kind and remembered: an import canonicalises ~10 names per partner,
# nearly all of them repeats, and folding one (Unicode normalisation) is the costly part.
SPELLINGS_REMEMBERED = 16_384


def fold_key(text: str) -> str:
    """Comparison key ignoring case, accents, whitespace and the separators . - _ /."""
    return _LOOSE_SEPARATORS.sub("", fold(text))


def _load(filename: str) -> Any:
    """Parse one JSON file of the bundled reference data."""
    return json.loads((DATA_DIR / filename).read_text(encoding="utf-8"))


def _build_lookup(entries: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """Map the folded name and every folded synonym to the canonical name; refuse clashes."""
    lookup: dict[str, str] = {}
    for canonical, synonyms in entries:
        for term in (canonical, *synonyms):
            owner = lookup.setdefault(fold_key(term), canonical)
            if owner != canonical:
                raise ValueError(f"{term!r} resolves to both {owner!r} and {canonical!r}")
    return lookup


def _canonical(name: str, lookup: Mapping[str, str]) -> str:
    """The canonical form of `name`, or `name` with its whitespace collapsed if unknown."""
    cleaned = " ".join(name.split())
    return lookup.get(fold_key(cleaned), cleaned)


@cache
def _skill_entries() -> tuple[SkillEntry, ...]:
    return tuple(
        SkillEntry(name=e["name"], category=e["category"], synonyms=tuple(e["synonyms"]))
        for e in _load("skills.json")
    )


@cache
def _certification_entries() -> tuple[CertificationEntry, ...]:
    return tuple(
        CertificationEntry(
            name=e["name"],
            issuer=e["issuer"],
            validity_years=e["validity_years"],
            skills=tuple(e["skills"]),
            synonyms=(*e["synonyms"], *_ACRONYM_IN_NAME.findall(e["name"])),
        )
        for e in _load("certifications.json")
    )


@cache
def _industry_entries() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((e["name"], tuple(e["synonyms"])) for e in _load("industries.json"))


@cache
def _skill_lookup() -> dict[str, str]:
    return _build_lookup((s.name, s.synonyms) for s in _skill_entries())


@cache
def _certification_lookup() -> dict[str, str]:
    return _build_lookup((c.name, c.synonyms) for c in _certification_entries())


@cache
def _industry_lookup() -> dict[str, str]:
    return _build_lookup(_industry_entries())


@cache
def _language_names() -> Mapping[str, str]:
    return MappingProxyType(_load("languages.json"))


LANGUAGE_NAMES: Mapping[str, str] = _language_names()
"""ISO 639-1 code (lower case) to the language's English name."""


def skills() -> list[SkillEntry]:
    """Every canonical skill, in taxonomy order."""
    return list(_skill_entries())


def certifications() -> list[CertificationEntry]:
    """Every known certification, in taxonomy order."""
    return list(_certification_entries())


def industries() -> list[str]:
    """Every canonical industry name."""
    return [name for name, _ in _industry_entries()]


@lru_cache(maxsize=SPELLINGS_REMEMBERED)
def canonical_skill(name: str) -> str:
    """Resolve a skill spelling or synonym ("k8s", "AWS") to its canonical name."""
    return _canonical(name, _skill_lookup())


@lru_cache(maxsize=SPELLINGS_REMEMBERED)
def canonical_certification(name: str) -> str:
    """Resolve a certification name, exam code or acronym ("CKAD", "AZ-104") to its name."""
    return _canonical(name, _certification_lookup())


def is_taxonomy_skill(name: str) -> bool:
    """Whether a canonical skill name is one of the taxonomy's own."""
    return fold_key(name) in _skill_lookup()


def is_taxonomy_certification(name: str) -> bool:
    return fold_key(name) in _certification_lookup()


def skill_spellings() -> Mapping[str, str]:
    """Every name and synonym of the skill taxonomy, as written, to its canonical name."""
    return _spellings(tuple((s.name, s.synonyms) for s in _skill_entries()))


def certification_spellings() -> Mapping[str, str]:
    return _spellings(tuple((c.name, c.synonyms) for c in _certification_entries()))


@cache
def _spellings(entries: tuple[tuple[str, tuple[str, ...]], ...]) -> Mapping[str, str]:
    return MappingProxyType(
        {term: canonical for canonical, synonyms in entries for term in (canonical, *synonyms)}
    )


@lru_cache(maxsize=SPELLINGS_REMEMBERED)
def canonical_industry(name: str) -> str:
    """Resolve an industry spelling or synonym ("Banking") to its canonical name."""
    return _canonical(name, _industry_lookup())


def is_language_code(code: str) -> bool:
    """Whether `code` is an ISO 639-1 language code, in any letter case."""
    return code.lower() in LANGUAGE_NAMES
