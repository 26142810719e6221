"""Value types shared by every signal and the verdict: regions, risk levels, signal outputs."""

from __future__ import annotations

from enum import IntEnum, StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RiskLevel(IntEnum):
    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> RiskLevel:
        return cls[value.upper()]


Severity = Literal["info", "low", "medium", "high"]
SEVERITY_LEVEL: dict[str, RiskLevel] = {
    "info": RiskLevel.NONE, "low": RiskLevel.LOW, "medium": RiskLevel.MEDIUM, "high": RiskLevel.HIGH,
}


class Region(BaseModel):
    """An axis-aligned box in the claim photo's pixels after EXIF orientation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    w: int = Field(gt=0)
    h: int = Field(gt=0)
    score: float = Field(default=1.0, ge=0.0, le=1.0)
    label: str = ""

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


class SignalOutput(BaseModel):
    """Fields every signal output has; each signal subclasses it with its own evidence fields.

    `flagged` means the output is a finding (evidence of forgery, AI origin or reuse). `severity`
    is the signal's own reading of how strong that finding is; the verdict combines them.
    Information that is not a finding (e.g. a valid but untrusted C2PA manifest) sets
    `flagged=False` and says so in `summary`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    flagged: bool
    severity: Severity = "info"
    score: float = Field(ge=0.0, le=1.0)
    summary: str
    regions: tuple[Region, ...] = ()


class Need(StrEnum):
    """What a signal needs prepared; the pipeline skips a signal whose need is missing."""

    RAW = "raw"  # original file bytes
    METADATA = "metadata"  # EXIF, XMP, text chunks
    PREVIEW = "preview"  # a reduced decode (≤ 512 px), cheap
    PIXELS = "pixels"  # full-resolution pixels
    REFERENCES = "references"  # the merchant's reference photos
    INDEX = "index"  # the reuse index
    DELIVERY_TIME = "delivery_time"  # the order's delivery time
    MODEL = "model"  # a learned model file


class Tier(IntEnum):
    """FAST: metadata and index lookups only. FULL: everything, including pixel forensics."""

    FAST = 0
    FULL = 1
