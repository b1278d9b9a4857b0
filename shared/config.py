"""Settings read from the environment (and `.env`); no I/O happens at import."""

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # When unset, `campaignops dev` and the test suite start embedded servers.
    database_url: str | None = Field(default=None, description="postgresql+asyncpg://...")
    redis_url: str | None = Field(default=None, description="redis://host:port/db")

    data_dir: Path = Field(default=Path(".data"), alias="CAMPAIGNOPS_DATA_DIR")
    embedded_postgres_port: int = 54329
    embedded_redis_port: int = 63790

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    log_level: str = "INFO"
    log_format: str = Field(default="json", pattern="^(json|console)$")

    # All of a process's connections kept in its pool (opened as first needed), none as
    # overflow: SQLAlchemy closes an overflow connection when it is returned, so under 16
    # requests at once the API opened and closed a connection per request beyond the pool
    # (1.33 ms of CPU per read and 613 req/s with 5 + 10; 0.76 ms and 1,309 req/s with 16 + 0).
    db_pool_size: int = 15
    db_max_overflow: int = 0
    # The API's connections for plain reads outside a transaction (shared/plain_sql.py),
    # beside the pool above; 0: they take the request's session connection instead.
    db_read_pool_size: int = Field(default=5, ge=0)

    redis_prefix: str = "campaignops"
    queue_name: str = "campaignops:queue"

    cors_origins: list[str] = Field(
        default_factory=list, description="browser origins allowed to call the API"
    )
    max_body_bytes: int = 1_048_576
    max_ingest_bytes: int = Field(default=8_388_608, description="for /v1/ingest batches")
    rate_limit_per_minute: int = Field(default=1200, ge=0, description="per API key; 0 disables")
    rate_limit_window_seconds: int = Field(
        default=60, ge=1, description="the sliding window the limit counts over (tests shorten it)"
    )
    api_key_cache_seconds: float = Field(
        default=5.0, ge=0, description="a verified API key is trusted this long (revocation lag)"
    )
    idempotency_ttl_hours: int = 24
    worker_heartbeat_seconds: float = 5.0
    metrics_cache_seconds: float = Field(
        default=5.0, ge=0, description="/metrics/cluster reads the database at most this often"
    )
    worker_stale_after_seconds: float = 30.0
    worker_poll_delay_seconds: float = 0.05
    worker_max_jobs: int = 50
    ingest_max_attempts: int = Field(
        default=5, ge=1, description="tries at applying a batch before it is marked failed"
    )
    # The safety nets for jobs Redis lost (or a killed worker held): shorter in the fault
    # suite (tests/faults), which must see them work within seconds.
    ingest_requeue_after_seconds: float = Field(
        default=60, gt=0, description="a batch still waiting this long is queued again"
    )
    ingest_requeue_every_seconds: int = Field(
        default=60, ge=1, le=60, description="how often waiting batches are looked for"
    )
    notify_retry_delays_seconds: list[float] = Field(
        default_factory=list,
        description="waits after each failed callback (JSON list); empty: the standard "
        "5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h",
    )
    # Partitions and retention (README "Partitions and retention"). Hourly points go a
    # month at a time, once the whole month is older than this; never within the 30-day
    # late-data window and the local day around its edge (the day rollups are recomputed
    # from the hours), hence at least 35 days. Day rollups are never dropped.
    hourly_points_retention_days: int = Field(
        default=400, ge=35, le=3650, description="hourly metric points kept this long"
    )
    metric_partitions_ahead_months: int = Field(
        default=3, ge=1, le=24, description="monthly point partitions made ahead of time"
    )
    raw_batch_retention_days: int = Field(
        default=30, ge=7, le=3650, description="received batches keep their raw points JSON"
    )
    delivery_retention_days: int = Field(
        default=90, ge=7, le=3650, description="delivered or dead notifications kept"
    )
    event_retention_days: int = Field(
        default=365, ge=30, le=3650, description="events (the feed) kept this long"
    )
    # Notification callbacks never reach private, loopback or metadata addresses, except
    # inside these networks (comma-separated CIDRs, e.g. "10.20.0.0/16,127.0.0.0/8").
    notify_allowed_networks: str = ""
    public_base_url: str = Field(
        default="",
        description="links in notifications point here; unset: http://API_HOST:API_PORT "
        "(127.0.0.1 when the API listens on every address)",
    )

    @model_validator(mode="after")
    def _links_reach_the_api(self) -> "Settings":
        if not self.public_base_url:
            host = "127.0.0.1" if self.api_host in {"", "0.0.0.0", "::"} else self.api_host  # noqa: S104
            host = f"[{host}]" if ":" in host else host
            self.public_base_url = f"http://{host}:{self.api_port}"
        return self

    @property
    def idempotency_ttl(self) -> timedelta:
        return timedelta(hours=self.idempotency_ttl_hours)


@lru_cache
def get_settings() -> Settings:
    return Settings()
