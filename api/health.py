"""Liveness and readiness probes; open to everyone."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from core.errors import Unavailable

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """200 while the process serves requests, whatever the store and the index say."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """200 when the store answers, the index has applied every committed change-log entry and
    its last comparison with the store found nothing it could not repair; 503 naming the
    reason otherwise (`index_lag`: entries not applied yet; `index_mismatch`)."""
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        lag = request.app.state.index.lag()
        divergence = request.app.state.index.divergence()
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "store": "unreachable"}, status_code=503)
    except Unavailable:  # a search cluster that does not answer
        body = {"status": "unavailable", "store": "ok", "index": "unreachable"}
        return JSONResponse(body, status_code=503)
    if lag:
        body = {"status": "catching_up", "store": "ok", "index_lag": lag}
        return JSONResponse(body, status_code=503)
    if divergence:
        body = {"status": "index_mismatch", "store": "ok", "index": divergence}
        return JSONResponse(body, status_code=503)
    return JSONResponse({"status": "ready", "store": "ok", "index_lag": 0})
