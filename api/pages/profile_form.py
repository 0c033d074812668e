"""The portal's profile form <-> the API's PartnerUpdate fields.

Inputs are named like the API's error fields ("skills.0.level"), so an error the API reports
for a field lands next to that input. A row left empty is dropped (that removes the item).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from profiles.schemas import PartnerRead

# The lists a partner edits in the portal, and the inputs of each row.
ROWS: dict[str, tuple[str, ...]] = {
    "skills": ("name", "level", "verified"),
    "certifications": ("name", "issuer", "earned_at", "expires_at"),
    "locations": ("label", "city", "country", "lat", "lon", "service_radius_km"),
}
_ROW_INPUT = re.compile(r"^(skills|certifications|locations)\.(\d{1,3})\.([a-z_]+)$")
# Inputs that are defaults, not content: a row with only these is an empty row.
_DEFAULTED = {"level", "verified", "service_radius_km"}


def update_from_form(form: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """The PATCH body a submitted profile form stands for (validated later by PartnerUpdate)."""
    rows: dict[str, dict[int, dict[str, str]]] = {name: defaultdict(dict) for name in ROWS}
    languages = ""
    for key, value in form:
        if not isinstance(value, str):
            continue
        if key == "languages":
            languages = value
        match = _ROW_INPUT.match(key)
        if match and match.group(3) in ROWS[match.group(1)]:
            rows[match.group(1)][int(match.group(2))][match.group(3)] = value.strip()
    body: dict[str, Any] = {
        name: [_row(row) for _, row in sorted(by_index.items()) if _filled(row)]
        for name, by_index in rows.items()
    }
    body["languages"] = [code.strip() for code in languages.split(",") if code.strip()]
    return body


def form_rows(partner: PartnerRead, *, blank: int = 1) -> dict[str, list[dict[str, Any]]]:
    """The stored lists as form rows, with `blank` empty rows to add an item."""
    stored = partner.model_dump(mode="json")
    return {
        name: [{field: item.get(field) for field in fields} for item in stored[name]]
        + [dict.fromkeys(fields) for _ in range(blank)]
        for name, fields in ROWS.items()
    }


def _filled(row: dict[str, str]) -> bool:
    return any(value for field, value in row.items() if field not in _DEFAULTED)


def _row(row: dict[str, str]) -> dict[str, Any]:
    """Empty inputs are left out (the API's defaults apply); a checkbox is on or off."""
    item: dict[str, Any] = {field: value for field, value in row.items() if value != ""}
    if "verified" in item:
        item["verified"] = item["verified"] in ("on", "true")
    return item
