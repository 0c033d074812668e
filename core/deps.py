"""Typed request dependencies: the session (commit on success), settings, clock, geocoder.

A dependency that does no I/O is `async def`, here and in the domains: FastAPI runs a plain
`def` dependency in a worker thread, and those hops (nine per directory search) cost more
under load than the work they carried."""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from geopy.geocoders.base import Geocoder
from sqlalchemy.orm import Session

from core.database import changed_search, commit, transaction
from core.errors import InvalidInput
from core.settings import Settings

T = TypeVar("T")

# The cursor of a listing ordered by id: the last id of the page before, as text. At most 18
# digits, so that every value fits a 64-bit column (a 19-digit one may not: 9.3e18 > 2**63).
IdCursor = Annotated[
    str | None,
    Query(pattern=r"^[1-9][0-9]{0,17}$", description="`next_cursor` of the page before"),
]


@contextmanager
def unit_of_work(request: Request) -> Iterator[Session]:
    """One transaction on the request's behalf: committed when the block ends (rolled back on
    error), and then, if it changed a partner and the backend is embedded, applied to this
    process's index, so the client's next request reads its own write. Other processes, and
    the OpenSearch shipper (which must not make writes wait for a remote cluster), follow
    within their poll interval."""
    with transaction(request.app.state.sessionmaker) as session:
        yield session
    settings: Settings = request.app.state.settings
    if settings.search_backend == "embedded" and changed_search(session):
        request.app.state.index.catch_up()


class CommittingRoute(APIRoute):
    """A route whose sync endpoint commits the request's session in its own thread as it
    returns, before FastAPI validates the answer (the unit of work then finds nothing left).

    FastAPI validates a sync endpoint's answer in a pool thread, and only then ends the
    function-scoped session. On SQLite the transaction holds the write lock until then, and
    the writers waiting for that lock each hold a pool thread: with as many of them as the
    pool has threads (40), the answer waited for a thread that none would give back, until
    the 30 s lock timeout made them 503s. With 2 threads and 8 concurrent reservations of
    one account: 4 answered 503 after 30 s; with this route class, 1 answered 201 and 7 409,
    at once."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _committing(endpoint: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters of the endpoint it wraps
    def call(*args: Any, **kwargs: Any) -> T:
        answer = endpoint(*args, **kwargs)
        for value in kwargs.values():
            if isinstance(value, Session):
                commit(value)
        return answer

    return call


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work. Function-scoped (see SessionDep): it ends right after the
    route returns, before the response is sent, so a 2xx means committed and a commit that
    fails becomes the route's error response.

    It runs on the event loop: opening a session does no I/O, and the routes of a
    `CommittingRoute` router have committed theirs in their own thread. Only a session that
    still holds a transaction (an async route's, or one left by an error) or has a write for
    the index to catch up on is ended in a worker thread. As a sync generator this cost two
    hops to a thread and back on every request."""
    work = unit_of_work(request)
    session = work.__enter__()
    try:
        yield session
    except BaseException as error:
        await _leave(work, session, error)
        raise
    await _leave(work, session, None)


async def _leave(
    work: AbstractContextManager[Session], session: Session, error: BaseException | None
) -> None:
    trace = error.__traceback__ if error is not None else None
    leave = functools.partial(work.__exit__, type(error) if error else None, error, trace)
    if session.in_transaction() or changed_search(session):
        # A thread outside the default limiter, as FastAPI ends a sync dependency: its threads
        # may all be held by writers waiting for the SQLite write lock this session holds.
        await anyio.to_thread.run_sync(leave, limiter=anyio.CapacityLimiter(1))
    else:
        leave()


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_now(request: Request) -> datetime:
    clock: Callable[[], datetime] = request.app.state.clock
    return clock()


async def get_geocoder(request: Request) -> Geocoder:
    return request.app.state.geocoder


async def in_process_or_thread(request: Request, function: Callable[[], T]) -> T:
    """Run `function` on the event loop when everything it touches is in this process
    (`Settings.in_process`: a SQLite file, the embedded index, the offline geocoder), in a
    worker thread otherwise. In-process work is CPU only and never waits for a lock (reads
    on SQLite's WAL), and under load a hop to a thread and back cost more than the work:
    100,000 partners, 1 worker, 158 -> 265 searches/s. A networked store, OpenSearch or an
    online geocoder can stall, and that must not stall the loop."""
    settings: Settings = request.app.state.settings
    if settings.in_process:
        return function()
    return await run_in_threadpool(function)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
NowDep = Annotated[datetime, Depends(get_now)]
GeocoderDep = Annotated[Geocoder, Depends(get_geocoder)]


async def get_if_match(
    raw: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The version you read: "3" or W/"3"',
            pattern=r'^\s*(\*|(W/)?"?[0-9]{1,9}"?)\s*$',
        ),
    ] = None,
) -> int | None:
    """The version named by `If-Match` ("3", "\"3\"" or W/"3"); None when absent."""
    if raw is None or raw.strip() == "*":
        return None
    text = raw.strip().removeprefix("W/").strip('"')
    if not text.isdigit() or len(text) > 9:
        raise InvalidInput.field("If-Match", 'must be the partner\'s version number, e.g. "3"')
    return int(text)


IfMatchDep = Annotated[int | None, Depends(get_if_match)]
