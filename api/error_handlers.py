"""Every error leaves the service in the contract's envelope, with the right status."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import PartnerMatchError, invalid_input

log = logging.getLogger("partnermatch")

_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def envelope_response(
    status: int,
    code: str,
    message: str,
    details: list | None = None,
    *,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


async def domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PartnerMatchError)
    return envelope_response(
        exc.status_code, exc.code, exc.message, exc.details, headers=exc.headers
    )


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in errors):
        return envelope_response(
            400,
            "malformed_json",
            "the request body is not valid JSON",
            [{"field": "body", "message": str(errors[0].get("ctx", {}).get("error", "bad JSON"))}],
        )
    error = invalid_input(errors, strip=("body", "query", "path", "header"))
    return envelope_response(error.status_code, error.code, error.message, error.details)


async def http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    return envelope_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _store_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """The store failed to answer: a PostgreSQL restart or failover dropped the connection the
    request held (the pool then opens new ones: one request each meets it, no checkout pings),
    or it is down. Nothing was committed; the client retries."""
    log.warning("the store failed on %s %s: %s", request.method, request.url.path, exc)
    return envelope_response(
        503, "unavailable", "the store did not answer; retry", headers={"Retry-After": "1"}
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return envelope_response(500, "internal_error", "internal error; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PartnerMatchError, domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(OperationalError, _store_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
