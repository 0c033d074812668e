"""Every HTTP route of the matcher domain, mounted by the app with one include."""

from fastapi import APIRouter

from matcher.accounts import endpoints as accounts
from matcher.leads import endpoints as leads
from matcher.notifications import endpoints as notifications
from matcher.reports import endpoints as reports

router = APIRouter()
router.include_router(accounts.router)
router.include_router(leads.router)
router.include_router(reports.router)
router.include_router(notifications.router)
router.include_router(notifications.webhooks_router)
