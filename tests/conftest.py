"""Shared fixtures: sample photos from scikit-image, evidence builders, the shared data folder."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from skimage import data as skdata

from shouhou.evidence.image import PreparedImage, encode_image, load_image
from shouhou.evidence.item import Evidence, ScreenContext

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared test data not found at {SHARED_DATA} (checkout without ../shared)")
    return SHARED_DATA


def sample(name: str) -> np.ndarray:
    """An RGB sample photo bundled with scikit-image (no download)."""
    if name == "motorcycle_left":
        return np.ascontiguousarray(skdata.stereo_motorcycle()[0])
    if name == "motorcycle_right":
        return np.ascontiguousarray(skdata.stereo_motorcycle()[1])
    img = getattr(skdata, name)()
    if img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    return np.ascontiguousarray(img[..., :3].astype(np.uint8))


def prepared(rgb_or_bytes: np.ndarray | bytes, name: str = "photo.jpg", quality: int = 92) -> PreparedImage:
    raw = rgb_or_bytes if isinstance(rgb_or_bytes, bytes) else encode_image(
        rgb_or_bytes, "PNG" if name.endswith(".png") else "JPEG", quality=quality)
    return load_image(raw, name=name)


@pytest.fixture
def make_evidence() -> Callable[..., Evidence]:
    def build(
        photo: np.ndarray | bytes, name: str = "photo.jpg", *, references: Sequence[Any] = (),
        delivered_at: datetime | None = None, index: Any = None, quality: int = 92, **ctx: Any,
    ) -> Evidence:
        return Evidence(
            image=prepared(photo, name, quality), references=references,
            context=ScreenContext(delivered_at=delivered_at, **ctx), index=index,
        )

    return build


from tests.db_fixtures import database, database_url, postgres_url, sqlite_template  # noqa: E402,F401
