"""Settings read from the environment (PARLOUR_ prefix); SQLite is the embedded default."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "parlour"


def default_database_url() -> str:
    """The embedded SQLite database in the user's data directory."""
    return f"sqlite:///{DEFAULT_DATA_DIR / 'parlour.db'}"


class Settings(BaseSettings):
    """Every knob of a Parlour server; tests build their own instance."""

    model_config = SettingsConfigDict(env_prefix="PARLOUR_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    # Signs pagination cursors. Empty means: generate one and keep it in the database,
    # so cursors survive restarts and are shared by every worker.
    secret_key: str = ""
    # The public base URL used in legacy `pages.next` links; empty means "from the request".
    public_url: str = ""
    # Per-token request budget per window (Intercom: 10,000 a minute, spread over 10 s windows).
    rate_limit: int = Field(default=1666, ge=1)
    rate_limit_window: int = Field(default=10, ge=1)
    # Largest request body accepted, in bytes.
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Load shedding, per worker process (`api/overload.py`): requests held at once, and the
    # longest a request may wait for its turn (ms), before more are refused with a 503 and
    # Retry-After. 0 turns a bound off.
    max_in_flight: int = Field(default=64, ge=0)
    max_queue_ms: int = Field(default=2000, ge=0)
    log_level: str = "info"
    # Seconds between runs of the background jobs (waking snoozed conversations);
    # 0 turns them off in this process.
    scheduler_interval: float = Field(default=5.0, ge=0)
    # Webhook delivery: seconds to wait for an endpoint, tries before a delivery is dead,
    # and the first retry delay in seconds (doubling each time, at most an hour).
    webhook_timeout: float = Field(default=5.0, gt=0, le=60)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_retry_delay: int = Field(default=60, ge=1)
    # Seconds a worker may spend on one send before another worker may send it again.
    webhook_lease: int = Field(default=120, ge=2)

    @property
    def is_sqlite(self) -> bool:
        """True when the database is SQLite."""
        return self.database_url.startswith("sqlite")
