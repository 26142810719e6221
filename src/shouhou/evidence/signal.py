"""The declared-signal base class: name, version, needs, params and output model."""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from typing import ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from shouhou.config import Settings
from shouhou.evidence.item import Evidence
from shouhou.evidence.model import Need, SignalOutput, Tier


class SignalParams(BaseModel):
    """Tunable values of one signal. Defaults in code are provisional; the shipped thresholds file
    (evidence/data/thresholds.toml, written by calibration) and the user's file override them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def digest(self) -> str:
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:12]


P = TypeVar("P", bound=SignalParams)
Out = TypeVar("Out", bound=SignalOutput)


class Signal(ABC, Generic[P, Out]):
    """One forensic signal. Subclasses declare the class variables and implement `run`.

    `run` returns the output model or raises a `SignalError` subclass; it never returns None for
    failure. It may write pictures for the report into `item.artifacts` under "<name>.<what>".
    """

    name: ClassVar[str]  # stable storage key, never derived from the class name
    version: ClassVar[str]  # bump whenever the output may change for the same input
    needs: ClassVar[frozenset[Need]]
    tier: ClassVar[Tier] = Tier.FULL
    params_model: ClassVar[type[SignalParams]]
    output_model: ClassVar[type[SignalOutput]]

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @abstractmethod
    def run(self, item: Evidence, params: P) -> Out:
        """Screen one item."""
