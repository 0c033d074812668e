"""Service configuration: one Settings class, read from PARTNERMATCH_* environment variables."""

from __future__ import annotations

from typing import Annotated, Literal

from email_validator import validate_email
from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be configured with; validators refuse nonsense at start."""

    model_config = SettingsConfigDict(env_prefix="PARTNERMATCH_", env_file=None, extra="ignore")

    database_url: str = "sqlite:///./partnermatch.db"
    search_backend: Literal["embedded", "opensearch"] = "embedded"
    opensearch_url: str | None = None
    stale_after_days: int = Field(default=180, ge=1, le=3650)
    due_after_days: int = Field(default=150, ge=1, le=3650)
    lead_accept_hours: float = Field(default=48, gt=0, le=24 * 90)
    geocoder: Literal["offline", "nominatim"] = "offline"
    geocoder_user_agent: str = "partnermatch"
    import_batch_size: int = Field(default=500, ge=1, le=50_000)
    index_dir: str = "./var/index"
    index_poll_seconds: float = Field(default=0.5, gt=0, le=60)
    index_check_seconds: float = Field(default=300, gt=0, le=86_400)
    account_match_threshold: float = Field(default=90, ge=50, le=100)  # rapidfuzz 0-100
    lead_policy: Literal["balanced", "best"] = "balanced"
    lead_balance_margin: float = Field(default=0.05, ge=0, le=1)  # score units
    lead_max_offers: int = Field(default=3, ge=1, le=50)
    idempotency_ttl_hours: float = Field(default=24, ge=24, le=24 * 30)
    sweep_interval_seconds: float = Field(default=60, gt=0, le=3600)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)  # one JSON document
    max_import_bytes: int = Field(default=104_857_600, ge=1024)  # an NDJSON import
    body_timeout_seconds: float = Field(default=30, gt=0, le=3600)  # to receive a whole body
    body_idle_seconds: float = Field(default=4, gt=0, le=3600)  # for its next part to arrive
    rate_limit: Annotated[int, Field(ge=1)] | Literal["off"] = 50  # requests/s per client
    trusted_proxies: str = ""  # comma-separated addresses whose X-Forwarded-For is believed
    # km beyond an office's service_radius_km a partner may still be offered a lead (0: the
    # declared territory is a hard limit); a lead can widen it with `max_km_beyond_radius`.
    lead_radius_tolerance_km: float = Field(default=0, ge=0, le=20_000)
    # Notifications (matcher/notifications): e-mail over SMTP and signed webhooks.
    manager_emails: str = ""  # comma-separated channel managers' addresses
    smtp_host: str | None = None  # unset: no e-mail is sent, e-mail deliveries wait
    smtp_port: int = Field(default=25, ge=1, le=65_535)
    smtp_from: str = "partnermatch@localhost"
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = Field(default=30, gt=0, le=600)
    public_url: str | None = None  # e.g. https://prm.example.com: links in e-mails
    lead_reminder_hours: float = Field(default=12, gt=0, le=24 * 90)  # before accept_by
    reservation_warning_days: float = Field(default=7, gt=0, le=365)  # before it ends
    notify_poll_seconds: float = Field(default=1, gt=0, le=3600)
    # Rounds start at most this often unless a batch was full: a burst of events is one round.
    # Each round is two transactions per worker, and under load every commit wakes one: at 0.2 s
    # that was five rounds a second per worker, a measurable part of a routed lead's CPU.
    notify_round_seconds: float = Field(default=1, ge=0, le=60)
    # How often the day-granular events (profile.due/stale, reservation.expiring) are
    # computed, by one process of the store: a pass reads every flagged partner (100,000
    # partners: ~0.9 s of CPU).
    notify_schedule_seconds: float = Field(default=900, gt=0, le=86_400)
    notify_batch_size: int = Field(default=50, ge=1, le=10_000)
    notify_concurrency: int = Field(default=8, ge=1, le=256)  # sends in flight per worker
    notify_lease_seconds: float = Field(default=60, gt=0, le=3600)  # a claim's lifetime
    notify_retry_hours: float = Field(default=24, gt=0, le=24 * 30)  # then a dead letter
    webhook_timeout_seconds: float = Field(default=10, gt=0, le=300)
    notify_in_serve: bool = True  # run the delivery worker inside `serve`
    # Leads one process ranks at once (the others wait their turn); see `api.app`.
    routing_concurrency: int = Field(default=1, ge=1, le=1000)

    @property
    def sqlite_store(self) -> bool:
        """Whether the store is a SQLite file (opened by this process, one writer at a time)."""
        return self.database_url.startswith("sqlite")

    @property
    def in_process(self) -> bool:
        """Whether the store, the search index and the geocoder all live in this process (a
        SQLite file, the embedded index, the offline gazetteer): then nothing a search does
        waits on a network (see core.deps.in_process_or_thread)."""
        return (
            self.sqlite_store and self.search_backend == "embedded" and self.geocoder == "offline"
        )

    @property
    def manager_addresses(self) -> list[str]:
        return [a.strip() for a in self.manager_emails.split(",") if a.strip()]

    @model_validator(mode="after")
    def _check_consistency(self) -> Settings:
        if self.due_after_days >= self.stale_after_days:
            raise ValueError("due_after_days must be smaller than stale_after_days")
        if self.search_backend == "opensearch" and not self.opensearch_url:
            raise ValueError("search_backend=opensearch needs opensearch_url")
        if not self.database_url.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        for address in self.manager_addresses:
            validate_email(address, check_deliverability=False)
        if (self.smtp_username is None) != (self.smtp_password is None):
            raise ValueError("smtp_username and smtp_password must be set together")
        return self
