"""One Settings object for web, CLI and tests (prefix ``NORTHSTAR_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"  # noqa: S105 - the refused default, see the validator


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NORTHSTAR_", env_file=".env", extra="ignore")

    env: Literal["dev", "test", "production"] = "dev"
    data_dir: Path = Path("data")
    database_url: str = ""
    secret_key: str = DEV_SECRET
    default_locale: Literal["zh_CN", "en"] = "zh_CN"
    session_hours: int = Field(default=12, ge=1, le=24 * 30)
    #: a failed login more than this many times in the window is refused with 429
    login_max_failures: int = Field(default=5, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    upload_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    #: set behind TLS so that cookies carry the Secure flag
    secure_cookies: bool = False
    #: "standard" is argon2id (RFC 9106 low-memory); "fast" is a cheap argon2id for test suites only
    password_profile: Literal["standard", "fast"] = "standard"  # noqa: S105 - a profile name, not a password
    metrics_engine: Literal["duckdb", "pyspark"] = "duckdb"
    smtp_url: str = ""
    webhook_url: str = ""

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        # A forged session or CSRF token must not be possible on a real deployment: the dev
        # secret is public in this repository, so anything but dev/test must bring its own.
        if self.env == "production" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ValueError(
                "NORTHSTAR_SECRET_KEY must be set to a random value of at least 32 characters "
                "when NORTHSTAR_ENV=production"
            )
        if self.env == "production" and self.password_profile != "standard":  # noqa: S105 - a profile name
            raise ValueError("NORTHSTAR_PASSWORD_PROFILE=fast is for test suites; remove it in production")
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'northstar.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
