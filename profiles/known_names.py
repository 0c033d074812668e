"""No silent nobody: a skill or certification that neither the taxonomy nor any profile knows
is a 422 naming the field, with "did you mean" suggestions, never an empty result.

Names are checked after canonicalisation, so synonyms, acronyms and exam codes ("k8s", "CKAD",
"AZ-104") already resolved. A name the taxonomy lacks but partners list stays valid.
Suggestions rank the taxonomy's names and synonyms and the names found on profiles with
rapidfuzz; only the error path reads the profile names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.errors import InvalidInput
from profiles import repository, taxonomy
from profiles.models import Certification, PartnerSkill

SUGGESTIONS = 3
MIN_SIMILARITY = 70  # rapidfuzz WRatio, 0-100
PROFILE_NAMES_SCANNED = 20_000


@dataclass(frozen=True)
class _Kind:
    noun: str
    column: InstrumentedAttribute[str]
    in_taxonomy: Callable[[str], bool]
    spellings: Callable[[], Mapping[str, str]]


SKILL = _Kind("skill", PartnerSkill.name, taxonomy.is_taxonomy_skill, taxonomy.skill_spellings)
CERTIFICATION = _Kind(
    "certification",
    Certification.name,
    taxonomy.is_taxonomy_certification,
    taxonomy.certification_spellings,
)


def require_known(
    session: Session,
    *,
    skills: Mapping[str, Sequence[str]] | None = None,
    certifications: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Raise one 422 naming every unknown name, by field ("required_skills.1"); the arguments
    map a field to its canonical names."""
    details: list[dict[str, Any]] = []
    for kind, fields in ((SKILL, skills or {}), (CERTIFICATION, certifications or {})):
        details += _unknown(session, kind, fields)
    if details:
        names = ", ".join(detail["field"] for detail in details)
        raise InvalidInput(f"unknown names: {names}", details=details)


def _unknown(
    session: Session, kind: _Kind, fields: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    outside = {name for names in fields.values() for name in names if not kind.in_taxonomy(name)}
    if not outside:
        return []
    unknown = outside - repository.names_on_profiles(session, kind.column, sorted(outside))
    if not unknown:
        return []
    choices = _choices(session, kind)
    details = []
    for field, names in fields.items():
        for position, name in enumerate(names):
            if name in unknown:
                hints = suggestions(name, choices)
                hint = f"; did you mean {', '.join(hints)}?" if hints else ""
                details.append(
                    {
                        "field": f"{field}.{position}",
                        "message": f"unknown {kind.noun} {name!r}{hint}",
                        "suggestions": hints,
                    }
                )
    return details


def _choices(session: Session, kind: _Kind) -> dict[str, str]:
    """Spelling -> the name to suggest: taxonomy names and synonyms, then profile names."""
    choices = dict(kind.spellings())
    for name in repository.distinct_names(session, kind.column, limit=PROFILE_NAMES_SCANNED):
        choices.setdefault(name, name)
    return choices


def suggestions(name: str, choices: Mapping[str, str]) -> list[str]:
    """Up to SUGGESTIONS canonical names whose spellings resemble `name`, best first."""
    matches = process.extract(
        name, list(choices), scorer=fuzz.WRatio, limit=SUGGESTIONS * 4, score_cutoff=MIN_SIMILARITY
    )
    ranked = dict.fromkeys(choices[spelling] for spelling, _, _ in matches)
    return list(ranked)[:SUGGESTIONS]
