"""Engine thresholds: code defaults, overridden by the shipped calibration file and a user file."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shouhou.errors import ConfigError
from shouhou.evidence.signal import Signal, SignalParams


class VerdictPolicy(BaseModel):
    """How the verdict turns the top severity into a score band."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    band_low: float = Field(default=0.10, ge=0, le=1)
    band_medium: float = Field(default=0.40, ge=0, le=1)
    band_high: float = Field(default=0.70, ge=0, le=1)


class Thresholds(BaseModel):
    """Every threshold the engine uses, with where they came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    calibrated: bool = False
    source: str = "provisional"
    date: str | None = None
    verdict: VerdictPolicy = Field(default_factory=VerdictPolicy)
    signals: dict[str, dict[str, Any]] = Field(default_factory=dict)

    def params_for(self, signal: type[Signal[Any, Any]] | Signal[Any, Any]) -> SignalParams:
        cls = signal if isinstance(signal, type) else type(signal)
        try:
            return cls.params_model.model_validate(self.signals.get(cls.name, {}))
        except ValueError as exc:
            raise ConfigError(f"thresholds for signal {cls.name!r} are invalid: {exc}") from exc


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


@lru_cache(maxsize=1)
def shipped_thresholds_text() -> str:
    return resources.files("shouhou.evidence").joinpath("data/thresholds.toml").read_text("utf-8")


def load_thresholds(user_file: Path | None = None) -> Thresholds:
    try:
        data = tomllib.loads(shipped_thresholds_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"shipped thresholds file is invalid: {exc}") from exc
    if user_file is not None:
        try:
            data = _merge(data, tomllib.loads(user_file.read_text("utf-8")))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{user_file}: {exc}") from exc
    meta = data.pop("meta", {})
    try:
        return Thresholds.model_validate({**meta, **data})
    except ValueError as exc:
        raise ConfigError(f"thresholds are invalid: {exc}") from exc
