"""The engine facade used by the CLI, the demo and services: load, screen, record in the reuse index."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from shouhou.config import Settings
from shouhou.evidence.image import load_image
from shouhou.evidence.item import Evidence, ScreenContext
from shouhou.evidence.model import Tier
from shouhou.evidence.pipeline import Screener, Screening

if TYPE_CHECKING:
    from shouhou.evidence.references import ReferencePhoto
    from shouhou.index.store import ReuseIndex


class Engine:
    """One screener plus the optional reuse index; screens files or bytes."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        tier: Tier = Tier.FULL,
        index: ReuseIndex | None = None,
        record: bool = True,
    ) -> None:
        self.settings = settings or Settings()
        self.screener = Screener(self.settings, tier=tier)
        self.index = index
        if index is not None and record:
            from shouhou.evidence.signals.reuse import record as record_in_index

            self.screener.after_screen.append(lambda item, _result: record_in_index(index, item))

    def screen(
        self,
        source: Path | bytes,
        *,
        name: str | None = None,
        references: Sequence[ReferencePhoto] = (),
        context: ScreenContext | None = None,
    ) -> tuple[Evidence, Screening]:
        """Screen one photo; raises an `InputError` subclass for a bad file (nothing is recorded then)."""
        image = load_image(source, name=name, limits=self.settings.limits)
        item = Evidence(
            image=image, references=references, context=context or ScreenContext(), index=self.index
        )
        return item, self.screener.screen(item)
