"""Settings (pydantic-settings): the only place environment variables are read."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ImageLimits(BaseSettings):
    """Limits that protect the host from hostile files."""

    model_config = SettingsConfigDict(env_prefix="SHOUHOU_IMAGE_", frozen=True)

    max_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    # 200-megapixel phone sensors exist; beyond that a file is treated as a decompression bomb.
    max_pixels: int = Field(default=210_000_000, gt=0)
    max_metadata_bytes: int = Field(default=8 * 1024 * 1024, gt=0)


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

    @property
    def index_dir(self) -> Path:
        return self.home / "index"

    @property
    def reference_cache_dir(self) -> Path:
        return self.home / "reference-cache"
