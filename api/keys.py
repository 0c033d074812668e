"""HTTP routes of API key management: admin only."""

from __future__ import annotations

from fastapi import APIRouter, Path

from core.access import service
from core.access.deps import Role, allow
from core.access.models import ApiKey
from core.access.schemas import KeyCreate, KeyCreated, KeyRead
from core.deps import CommittingRoute, NowDep, SessionDep

router = APIRouter(prefix="/v1/keys", tags=["access"], route_class=CommittingRoute)

KeyId = Path(ge=1, le=2**63 - 1, description="The key's id")


@router.post("", status_code=201, response_model=KeyCreated, dependencies=[allow(Role.ADMIN)])
def create_key(data: KeyCreate, session: SessionDep, now: NowDep) -> KeyCreated:
    """Issue a key; its secret is in this response and nowhere else."""
    issued = service.issue_key(
        session, name=data.name, role=Role(data.role), partner_id=data.partner_id, now=now
    )
    return KeyCreated(**_read(issued.key).model_dump(), key=issued.secret)


@router.get("", response_model=list[KeyRead], dependencies=[allow(Role.ADMIN)])
def list_keys(session: SessionDep) -> list[KeyRead]:
    return [_read(key) for key in service.list_keys(session)]


@router.post("/{key_id}/revoke", response_model=KeyRead, dependencies=[allow(Role.ADMIN)])
def revoke_key(session: SessionDep, now: NowDep, key_id: int = KeyId) -> KeyRead:
    """Revoke a key; requests with it fail from now on."""
    return _read(service.revoke_key(session, key_id, now=now))


def _read(key: ApiKey) -> KeyRead:
    return KeyRead.model_validate(key)
