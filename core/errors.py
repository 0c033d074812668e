"""Domain errors carry their HTTP status; one handler turns them into the contract's envelope."""

from __future__ import annotations

from typing import Any, ClassVar


class PartnerMatchError(Exception):
    """Base of every error a client can cause; `details` names the offending fields."""

    status_code = 400
    code = "bad_request"
    headers: ClassVar[dict[str, str]] = {}

    def __init__(self, message: str, *, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def envelope(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class InvalidInput(PartnerMatchError):
    status_code = 422
    code = "validation_error"

    @classmethod
    def field(cls, field: str, message: str) -> InvalidInput:
        return cls(f"{field}: {message}", details=[{"field": field, "message": message}])


class NotFound(PartnerMatchError):
    status_code = 404
    code = "not_found"


class Conflict(PartnerMatchError):
    status_code = 409
    code = "conflict"


class PreconditionFailed(PartnerMatchError):
    status_code = 412
    code = "version_mismatch"


class Unauthorized(PartnerMatchError):
    status_code = 401
    code = "unauthorized"
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": "Bearer"}


class Forbidden(PartnerMatchError):
    status_code = 403
    code = "forbidden"


class UnsupportedMediaType(PartnerMatchError):
    status_code = 415
    code = "unsupported_media_type"


class Unavailable(PartnerMatchError):
    status_code = 503
    code = "unavailable"


def field_path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """pydantic's error location as a dotted field name ("locations.0.lat")."""
    return ".".join(str(part) for part in loc)


# A 422 lists at most this many problems (a body of 100,000 unknown keys must not produce a
# response larger than itself); the message says how many more there were.
MAX_DETAILS = 50


def validation_details(errors: list[Any], *, strip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """One detail per bad field (the first MAX_DETAILS): its dotted name, the problem and
    pydantic's error type.

    Leading location parts in `strip` (such as "body") are dropped from the field name.
    """
    details = []
    for error in errors[:MAX_DETAILS]:
        loc = list(error.get("loc", ()))
        source = str(loc[0]) if loc and loc[0] in ("body", "query", "path", "header") else None
        while loc and loc[0] in strip:
            loc.pop(0)
        detail = {
            "field": field_path(loc) or (source or "body"),
            "message": str(error.get("msg", "invalid value")).removeprefix("Value error, "),
            "type": error.get("type", "value_error"),
        }
        if source:
            detail["in"] = source
        details.append(detail)
    return details


def invalid_input(errors: list[Any], *, strip: tuple[str, ...] = ()) -> InvalidInput:
    details = validation_details(errors, strip=strip)
    fields = ", ".join(dict.fromkeys(detail["field"] for detail in details))
    more = f" and {len(errors) - len(details)} more problems" if len(errors) > len(details) else ""
    return InvalidInput(f"invalid input: {fields}{more}", details=details)
