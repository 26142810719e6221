"""Settings (pydantic-settings): the only place environment variables are read."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ImageLimits(BaseSettings):
    """Limits that protect the host from hostile files."""

    model_config = SettingsConfigDict(env_prefix="SHOUHOU_IMAGE_", frozen=True)

    max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # 200-megapixel phone sensors exist; beyond that a file is treated as a decompression bomb.
    max_pixels: int = Field(default=210_000_000, gt=0)
    max_metadata_bytes: int = Field(default=8 * 1024 * 1024, gt=0)


class ClaimPolicy(BaseSettings):
    """Platform-wide defaults of the claim process; a shop may set its own response window and fast-track."""

    model_config = SettingsConfigDict(env_prefix="SHOUHOU_CLAIMS_", frozen=True)

    merchant_response_hours: float = Field(default=48, gt=0)
    buyer_evidence_hours: float = Field(default=72, gt=0)
    review_sla_hours: float = Field(default=24, gt=0)
    appeal_window_days: float = Field(default=7, gt=0)
    max_photos: int = Field(default=9, ge=1, le=50)
    max_video_bytes: int = Field(default=200 * 1024 * 1024, gt=0)
    video_frames: int = Field(default=8, ge=1, le=64)


class RepairPolicy(BaseSettings):
    """Repair SLA defaults (business hours are local Asia/Shanghai); brand overrides replace them per brand:
    SHOUHOU_REPAIRS_BRAND_OVERRIDES='{"海尔 Haier": {"first_response_minutes": 20, "onsite_hours": 12}}'."""

    model_config = SettingsConfigDict(env_prefix="SHOUHOU_REPAIRS_", frozen=True)

    first_response_minutes: float = Field(default=30, gt=0)
    onsite_hours: float = Field(default=24, gt=0)
    emergency_first_response_minutes: float = Field(default=15, gt=0)
    emergency_onsite_hours: float = Field(default=4, gt=0)
    opens: str = Field(default="08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    closes: str = Field(default="20:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    brand_overrides: dict[str, dict[str, float]] = Field(default_factory=dict)


class Settings(BaseSettings):
    """Process-wide settings; build once at an entry point and pass explicitly."""

    model_config = SettingsConfigDict(env_prefix="SHOUHOU_", frozen=True, env_nested_delimiter="__")

    home: Path = Path("var")
    limits: ImageLimits = Field(default_factory=ImageLimits)
    # Optional TOML with threshold overrides on top of the shipped engine defaults.
    thresholds_file: Path | None = None
    # PEM bundle of C2PA signing anchors the platform trusts; manifests signed outside it are
    # reported as information (valid but untrusted), never as findings.
    c2pa_trust_anchors: Path | None = None
    # Folder holding model.onnx + model-card.toml for the optional learned detector.
    learned_model_dir: Path | None = None

    # "development" generates missing keys into <home>/secrets/keys.json on first use; "production" refuses
    # to start without keys given in the environment (or a secrets manager that sets it).
    env: Literal["development", "production"] = "development"
    # SQLAlchemy URL; default: SQLite (WAL) at <home>/shouhou.db. PostgreSQL: postgresql+psycopg://...
    database_url: str | None = None
    # Field/evidence encryption keys, "kid:base64(32 bytes)" comma-separated; the first encrypts, all decrypt.
    field_keys: SecretStr | None = None
    # HMAC key for lookups by phone number (buyer identity across shops); changing it orphans lookups.
    lookup_key: SecretStr | None = None
    # HMAC key chaining the audit log; it must live outside the database.
    audit_key: SecretStr | None = None
    claims: ClaimPolicy = Field(default_factory=ClaimPolicy)
    repairs: RepairPolicy = Field(default_factory=RepairPolicy)
    # Run the background worker and scheduler inside `shouhou serve`.
    worker_enabled: bool = True
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    # A job whose worker has not finished it within this time is taken up again (crash recovery).
    job_lease_seconds: float = Field(default=600, gt=0)
    # fsync evidence files before the claim that names them commits (power-loss durability).
    fsync_blobs: bool = True

    @property
    def database_url_or_default(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'shouhou.db'}"

    @property
    def blob_dir(self) -> Path:
        return self.home / "evidence"

    @property
    def secrets_file(self) -> Path:
        return self.home / "secrets" / "keys.json"

    @property
    def audit_checkpoint_file(self) -> Path:
        return self.home / "audit" / "checkpoints.log"

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def reference_cache_dir(self) -> Path:
        return self.home / "reference-cache"
