"""The OpenAPI document is the API's contract, and the service keeps to it.

The document lists every error status an operation can answer, each with the one error
envelope schema, derived in one place from what the operation takes and who it admits (no
route lists them by hand, so none can forget one); a key is optional where the public is
admitted. A query parameter the document does not list for an operation is a 422 naming it,
not silently ignored (`?skill=aws` for `skills` must not return every partner)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.utils import get_flat_params
from fastapi.openapi.utils import get_openapi
from fastapi.params import Query
from fastapi.routing import APIRoute, RouteContext
from pydantic import BaseModel, Field

from core.access.deps import OPEN_PATHS, Role, routes_of, rules_of
from core.errors import InvalidInput


class ErrorDetail(BaseModel):
    field: str = Field(description="The offending field, dotted (`locations.0.lat`), or `body`")
    message: str
    type: str | None = Field(default=None, description="pydantic's error type, for 422s")
    in_: str | None = Field(
        default=None, alias="in", description="body, query, path or header, for 422s"
    )


class ErrorBody(BaseModel):
    code: str = Field(description="Machine-readable: `not_found`, `validation_error`, ...")
    message: str
    details: list[ErrorDetail] = Field(max_length=50)


class ErrorEnvelope(BaseModel):
    """Every error answer of the API."""

    error: ErrorBody


_DESCRIPTIONS = {
    400: "Malformed JSON body",
    401: "No key where one is needed, or a malformed, unknown or revoked key",
    403: "The key's role may not do this",
    404: "No such resource (or not yours)",
    408: "The body did not arrive in time",
    409: "Conflicts with the current state or a concurrent change",
    412: "If-Match names an older version",
    413: "Body too large",
    415: "Body is not of the documented media type",
    422: "Invalid input; `details` names each field (at most 50)",
    429: "Rate limited; retry after `Retry-After` seconds",
    503: "The store or a dependency is unavailable; retry",
}
_ENVELOPE_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}
_ALL_ROLES = frozenset(Role)
_WRITES = frozenset({"post", "put", "patch", "delete"})
# Answered before routing by the middleware, never by these paths (see api/ratelimit.py).
_NOT_RATE_LIMITED = frozenset({"/healthz", "/readyz", "/metrics"})


def _statuses(
    path: str, method: str, operation: dict[str, Any], roles: frozenset[Role]
) -> set[int]:
    parameters = operation.get("parameters", [])
    body = operation.get("requestBody")
    statuses = set()
    if path not in _NOT_RATE_LIMITED:
        statuses.add(429)
    if path in OPEN_PATHS:
        return statuses
    statuses.add(401)  # a bad key is refused on every route, public ones too
    if roles != _ALL_ROLES:
        statuses.add(403)
    if parameters or body:
        statuses.add(422)
    if any(p["in"] == "path" for p in parameters):
        statuses.add(404)
    if any(p["in"] == "header" and p["name"].lower() == "if-match" for p in parameters):
        statuses.add(412)
    if method in _WRITES:
        statuses |= {409, 503}  # the commit can meet a concurrent change or a failing store
    if method in ("post", "put", "patch"):
        statuses |= {408, 413}
        media_types = set((body or {}).get("content", {}))
        if media_types & {"application/json"}:
            statuses.add(400)
        if media_types - {"application/json"}:
            statuses.add(415)
    return statuses


def _documented(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    roles = {
        (route.path, method.lower()): frozenset().union(*(rule.roles for rule in rules_of(route)))
        for route in routes_of(app)
        for method in (getattr(route, "methods", None) or ())
    }
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    envelope = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(envelope.pop("$defs"))
    components["ErrorEnvelope"] = envelope
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            admitted = roles.get((path, method), _ALL_ROLES)
            if Role.PUBLIC in admitted and operation.get("security"):
                operation["security"] = [{}, *operation["security"]]  # the key is optional
            for status in sorted(_statuses(path, method, operation, admitted)):
                responses[str(status)] = {  # replaces FastAPI's own 422, not our envelope
                    "description": _DESCRIPTIONS[status],
                    "content": {"application/json": {"schema": _ENVELOPE_REF}},
                }
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def document_errors(app: FastAPI) -> None:
    """Make `app.openapi()` list each operation's error statuses with the envelope schema."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _documented(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.state.documented_query = {}


def query_names(route: APIRoute | RouteContext) -> frozenset[str]:
    """The query parameters the document lists for the route, read from its dependencies
    (what the document is generated from), not by generating the document."""
    fields = get_flat_params(route.dependant)
    return frozenset(f.alias for f in fields if isinstance(f.field_info, Query))


async def _check_query(request: Request) -> None:
    route = request.scope["route"]
    known: dict[int, frozenset[str]] = request.app.state.documented_query
    if id(route) not in known:
        known[id(route)] = query_names(route)
    unknown = sorted(set(request.query_params) - known[id(route)])
    if unknown:
        message = "not a parameter of this operation"
        details = [{"field": name, "message": message, "in": "query"} for name in unknown]
        raise InvalidInput(f"unknown query parameters: {', '.join(unknown)}", details=details)


# For the API's routers: `app.include_router(router, dependencies=[DOCUMENTED_QUERY_ONLY])`.
DOCUMENTED_QUERY_ONLY = Depends(_check_query)
