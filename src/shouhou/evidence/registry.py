"""The registry of signals: built-ins listed once here, third-party ones via entry points."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, Final

from shouhou.errors import ConfigError
from shouhou.evidence.signal import Signal

SignalClass = type[Signal[Any, Any]]

BUILTIN_SIGNALS: Final[tuple[str, ...]] = (
    "shouhou.evidence.signals.provenance:ProvenanceSignal",
    "shouhou.evidence.signals.watermark:WatermarkSignal",
    "shouhou.evidence.signals.reuse:ReuseSignal",
    "shouhou.evidence.signals.reference:ReferenceMatchSignal",
    "shouhou.evidence.signals.forensics:ForensicsSignal",
    "shouhou.evidence.signals.capture:CaptureSignal",
    "shouhou.evidence.signals.learned:LearnedSignal",
)
ENTRY_POINT_GROUP: Final = "shouhou.signals"


def _resolve(spec: str) -> SignalClass:
    module, _, attr = spec.partition(":")
    cls = getattr(import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Signal)):
        raise ConfigError(f"{spec} is not a Signal subclass")
    return cls


def build_registry(specs: Iterable[SignalClass]) -> dict[str, SignalClass]:
    """Name → class, refusing two signals with one name."""
    out: dict[str, SignalClass] = {}
    for cls in specs:
        if cls.name in out:
            raise ConfigError(
                f"two signals are named {cls.name!r}: {out[cls.name].__qualname__}, {cls.__qualname__}"
            )
        out[cls.name] = cls
    return out


def all_signals(*, include_plugins: bool = True) -> dict[str, SignalClass]:
    classes = [_resolve(spec) for spec in BUILTIN_SIGNALS]
    if include_plugins:
        classes.extend(_resolve(f"{ep.module}:{ep.attr}") for ep in entry_points(group=ENTRY_POINT_GROUP))
    return build_registry(classes)
