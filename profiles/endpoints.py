"""HTTP routes of partner profiles: parse, call the service, return."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Path, Request, Response
from geopy.geocoders.base import Geocoder
from starlette.concurrency import run_in_threadpool

from core.access.deps import CurrentPrincipal, Role, allow, refuse_fields
from core.deps import (
    CommittingRoute,
    GeocoderDep,
    IfMatchDep,
    NowDep,
    SessionDep,
    SettingsDep,
    unit_of_work,
)
from core.errors import InvalidInput, UnsupportedMediaType
from core.memory import release_free_memory
from profiles import service
from profiles.deps import FreshnessPolicyDep
from profiles.freshness import FreshnessPolicy
from profiles.models import Partner
from profiles.ndjson import NDJSON_TYPES, ndjson_batches
from profiles.schemas import (
    ImportReport,
    PartnerCreate,
    PartnerPublic,
    PartnerRead,
    PartnerUpdate,
)

router = APIRouter(prefix="/v1/partners", tags=["partners"], route_class=CommittingRoute)

PartnerId = Path(ge=1, le=2**63 - 1, description="The partner's id")

MANAGERS = allow(Role.ADMIN, Role.MANAGER)
MANAGERS_OR_OWN_PARTNER = allow(Role.ADMIN, Role.MANAGER, Role.PARTNER, own="partner_id")
EVERYONE = allow(Role.ADMIN, Role.MANAGER, Role.PARTNER, Role.PUBLIC)
# Channel-manager decisions a partner may not make on its own profile.
MANAGER_FIELDS = frozenset({"tier", "capacity", "external_id"})

_NDJSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {  # at least one line that is not blank
            "application/x-ndjson": {"schema": {"type": "string", "pattern": "\\S"}}
        },
    }
}


def _respond(
    partner: Partner, *, response: Response, now: NowDep, policy: FreshnessPolicy
) -> PartnerRead:
    response.headers["ETag"] = f'"{partner.version}"'
    return service.full_view(partner, now=now, policy=policy)


@router.post("", status_code=201, response_model=PartnerRead, dependencies=[MANAGERS])
def create_partner(
    data: PartnerCreate,
    session: SessionDep,
    geocoder: GeocoderDep,
    now: NowDep,
    policy: FreshnessPolicyDep,
    response: Response,
) -> PartnerRead:
    partner = service.create_partner(session, data, geocoder=geocoder, now=now)
    response.headers["Location"] = f"/v1/partners/{partner.id}"
    return _respond(partner, response=response, now=now, policy=policy)


@router.post(
    "/import", response_model=ImportReport, openapi_extra=_NDJSON_BODY, dependencies=[MANAGERS]
)
async def import_partners(
    request: Request,
    geocoder: GeocoderDep,
    now: NowDep,
    settings: SettingsDep,
) -> ImportReport:
    """Bulk upsert by external_id from NDJSON (one partner per line); bad lines are reported.

    The body is read as it arrives and imported in batches of `IMPORT_BATCH_SIZE` lines, each
    committed (and applied to the index) on its own, so memory stays bounded and other
    writes go on between batches; at the end the freed heap goes back to the OS. The report
    answers once every batch is committed.
    """
    if request.headers.get("content-type", "").split(";")[0].strip() not in NDJSON_TYPES:
        raise UnsupportedMediaType(f"send NDJSON ({', '.join(sorted(NDJSON_TYPES))})")
    report = ImportReport()
    batches = ndjson_batches(request.stream(), size=settings.import_batch_size)
    try:
        async for batch in batches:
            await run_in_threadpool(_import_batch, request, batch, geocoder, now, report)
    finally:  # what the batches' threads freed is the OS's again, not the process's high-water
        await run_in_threadpool(release_free_memory)
    if report.created + report.updated + len(report.errors) == 0:
        raise InvalidInput.field("body", "no partner lines to import")
    report.failed = len(report.errors)
    return report


def _import_batch(
    request: Request,
    batch: list[tuple[int, str]],
    geocoder: Geocoder,
    now: datetime,
    report: ImportReport,
) -> None:
    with unit_of_work(request) as session:
        service.import_partners(
            session, batch, geocoder=geocoder, now=now, batch_size=len(batch), report=report
        )


@router.get("/{partner_id}", response_model=PartnerRead | PartnerPublic, dependencies=[EVERYONE])
def get_partner(
    session: SessionDep,
    now: NowDep,
    policy: FreshnessPolicyDep,
    response: Response,
    principal: CurrentPrincipal,
    partner_id: int = PartnerId,
) -> PartnerRead | PartnerPublic:
    """The full profile for managers and the partner itself; anyone else gets the public view,
    in which a stale partner does not exist."""
    if principal.may_act_for(partner_id):
        partner = service.get_partner(session, partner_id)
        return _respond(partner, response=response, now=now, policy=policy)
    return service.public_view(session, partner_id, now=now, policy=policy)


@router.patch("/{partner_id}", response_model=PartnerRead, dependencies=[MANAGERS_OR_OWN_PARTNER])
def update_partner(
    data: PartnerUpdate,
    session: SessionDep,
    geocoder: GeocoderDep,
    now: NowDep,
    policy: FreshnessPolicyDep,
    if_match: IfMatchDep,
    response: Response,
    principal: CurrentPrincipal,
    partner_id: int = PartnerId,
) -> PartnerRead:
    if principal.role is Role.PARTNER:
        reason = "a channel manager decides it"
        refuse_fields(data.model_fields_set, reserved=MANAGER_FIELDS, reason=reason)
    partner = service.update_partner(
        session, partner_id, data=data, expected_version=if_match, geocoder=geocoder, now=now
    )
    return _respond(partner, response=response, now=now, policy=policy)


@router.delete("/{partner_id}", status_code=204, response_class=Response, dependencies=[MANAGERS])
def delete_partner(
    session: SessionDep, now: NowDep, if_match: IfMatchDep, partner_id: int = PartnerId
) -> None:
    service.delete_partner(session, partner_id, expected_version=if_match, now=now)


@router.post(
    "/{partner_id}/attest", response_model=PartnerRead, dependencies=[MANAGERS_OR_OWN_PARTNER]
)
def attest_partner(
    session: SessionDep,
    now: NowDep,
    policy: FreshnessPolicyDep,
    response: Response,
    partner_id: int = PartnerId,
) -> PartnerRead:
    """The partner confirms its profile is current."""
    partner = service.attest_partner(session, partner_id, now=now)
    return _respond(partner, response=response, now=now, policy=policy)
