"""The merchant's reference photos with their local features, computed once and cached on disk."""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np

from shouhou.config import ImageLimits
from shouhou.evidence.align import FEATURE_VERSION, Features, extract_features
from shouhou.evidence.image import PreparedImage, load_image

log = logging.getLogger(__name__)

REFERENCE_MAX_SIDE: Final = 1024
REFERENCE_MAX_FEATURES: Final = 2000


@dataclass(frozen=True)
class ReferencePhoto:
    """One reference photo: the decoded image (pixels decoded lazily) and its working-resolution features."""

    name: str
    image: PreparedImage
    features: Features

    @property
    def sha256(self) -> str:
        return self.image.sha256


def compute_features(image: PreparedImage) -> Features:
    return extract_features(image.gray, max_side=REFERENCE_MAX_SIDE, max_features=REFERENCE_MAX_FEATURES)


class ReferenceLibrary:
    """Reference photos of one item; features are cached as `<sha256>-<feature version>.npz` in `cache_dir`
    (None: no disk cache). A cache file that cannot be read is recomputed and rewritten."""

    def __init__(self, cache_dir: Path | None, limits: ImageLimits | None = None) -> None:
        self.cache_dir = cache_dir
        self.limits = limits or ImageLimits()
        self._photos: list[ReferencePhoto] = []

    @property
    def photos(self) -> tuple[ReferencePhoto, ...]:
        return tuple(self._photos)

    def add(self, source: Path | bytes, *, name: str | None = None) -> ReferencePhoto:
        """Load a reference photo (raises an `InputError` subclass when it is unreadable) and its features."""
        image = load_image(source, name=name, limits=self.limits)
        label = name or (source.name if isinstance(source, Path) else f"reference-{len(self._photos) + 1}")
        features = self._cached(image)
        if features is None:
            features = compute_features(image)
            self._store(image.sha256, features)
        photo = ReferencePhoto(name=label, image=image, features=features)
        self._photos.append(photo)
        return photo

    def cache_path(self, sha256: str) -> Path | None:
        return None if self.cache_dir is None else self.cache_dir / f"{sha256}-{FEATURE_VERSION}.npz"

    def _cached(self, image: PreparedImage) -> Features | None:
        path = self.cache_path(image.sha256)
        if path is None or not path.is_file():
            return None
        try:
            # Read the bytes first: np.load leaks its file handle when the archive is corrupt.
            with np.load(io.BytesIO(path.read_bytes()), allow_pickle=False) as data:
                points = np.asarray(data["points"], np.float32)
                desc = np.asarray(data["descriptors"], np.float32)
                scale, width, height = (float(v) for v in data["meta"])
            if points.ndim != 2 or points.shape[1] != 2 or desc.shape != (len(points), 128):
                raise ValueError("array shapes do not match")
            if (int(width), int(height)) != (image.width, image.height):
                raise ValueError("cached size differs from the image")
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            log.warning("reference feature cache %s is unreadable (%s); recomputing", path, exc)
            return None
        return Features(points, desc, scale, int(width), int(height))

    def _store(self, sha256: str, features: Features) -> None:
        path = self.cache_path(sha256)
        if path is None:
            return
        tmp = path.with_suffix(".tmp.npz")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                tmp,
                points=features.points,
                descriptors=features.descriptors,
                meta=np.array([features.scale, features.width, features.height], np.float64),
            )
            tmp.replace(path)  # atomic: a reader never sees a half-written cache file
        except OSError as exc:  # a read-only cache must not stop screening
            log.warning("cannot write reference feature cache %s (%s)", path, exc)
