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

    db_pool_size: int = 5
    db_max_overflow: int = 10

    redis_prefix: str = "campaignops"
    queue_name: str = "campaignops:queue"

    cors_origins: list[str] = Field(
        default_factory=list, description="browser origins allowed to call the API"
    )
    max_body_bytes: int = 1_048_576
    max_ingest_bytes: int = Field(default=8_388_608, description="for /v1/ingest batches")
    rate_limit_per_minute: int = Field(default=1200, ge=0, description="per API key; 0 disables")
    idempotency_ttl_hours: int = 24
    worker_heartbeat_seconds: float = 5.0
    worker_stale_after_seconds: float = 30.0
    worker_poll_delay_seconds: float = 0.05
    worker_max_jobs: int = 50
    ingest_max_attempts: int = Field(
        default=5, ge=1, description="tries at applying a batch before it is marked failed"
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
