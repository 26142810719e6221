"""The unit of screening: one claim photo with its context (references, delivery time, index)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from shouhou.evidence.image import PreparedImage

if TYPE_CHECKING:
    from shouhou.evidence.references import ReferencePhoto
    from shouhou.index.store import ReuseIndex


@dataclass
class ScreenContext:
    """Facts about the claim the photo belongs to; all optional."""

    delivered_at: datetime | None = None
    claim_id: str | None = None
    # buyer or uploader; a reuse by the same submitter in the same claim is not reuse
    submitter_id: str | None = None


@dataclass
class Evidence:
    """One evidence photo being screened. Signals read it; they write only to `artifacts`."""

    image: PreparedImage
    references: Sequence[ReferencePhoto] = ()
    context: ScreenContext = field(default_factory=ScreenContext)
    index: ReuseIndex | None = None
    # Pictures a signal makes for the report (aligned reference, heat maps), keyed "<signal>.<what>".
    artifacts: dict[str, npt.NDArray[np.uint8] | npt.NDArray[np.float32]] = field(default_factory=dict)
    # Facts one signal learns that a later signal may use (e.g. the matched reference's name).
    facts: dict[str, Any] = field(default_factory=dict)
