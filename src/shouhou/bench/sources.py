"""Source photos of a benchmark data folder and their fixed calibration/report split.

A photo's split is decided by a hash of its *scene* (the two captures of a pair share one), never by a
seed or by the data, so thresholds fitted on the calibration split never saw a reporting scene.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from shouhou.errors import InputError

Split = Literal["calibration", "report"]
SPLITS: Final[tuple[Split, ...]] = ("calibration", "report")
IMAGE_SUFFIXES: Final = frozenset({".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".heic"})
# Files in the variant folders that are edits of another file there, or deliberately broken.
_DERIVED_MARKERS: Final = ("_hflip", "_resize", "_rotation", "_corrupt")


@dataclass(frozen=True)
class SourcePhoto:
    """One real photo the benchmark builds cases from."""

    path: Path
    scene: str  # photos of one scene share it (the A/B captures of a pair)
    group: str  # pairs, photos or variants
    split: Split

    @property
    def key(self) -> str:
        return f"{self.group}/{self.path.stem}"


def split_of(scene: str) -> Split:
    digest = hashlib.sha256(f"shouhou-bench-split-v1:{scene}".encode()).digest()
    return "calibration" if digest[0] % 2 == 0 else "report"


def _images(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def discover(data: Path) -> list[SourcePhoto]:
    """Real photos under `data`: `real/pairs/<scene>A|B.*` (two captures of one scene), `real/photos/*`,
    and the originals in `real/variants/*/` (the folder's edited copies and broken files are skipped)."""
    real = data / "real"
    if not real.is_dir():
        raise InputError(f"{data} has no real/ folder of photos (expected real/pairs, real/photos)")
    found: list[SourcePhoto] = []
    for path in _images(real / "pairs"):
        stem = path.stem
        scene = stem[:-1] if stem[-1:] in ("A", "B") else stem
        found.append(SourcePhoto(path, f"pairs/{scene}", "pairs", split_of(f"pairs/{scene}")))
    for path in _images(real / "photos"):
        scene = f"photos/{path.stem}"
        found.append(SourcePhoto(path, scene, "photos", split_of(scene)))
    variants = real / "variants"
    for folder in sorted(p for p in variants.iterdir() if p.is_dir()) if variants.is_dir() else []:
        for path in _images(folder):
            stem = path.stem
            if any(m in stem for m in _DERIVED_MARKERS):
                continue
            if folder.name == "bridge" and stem != "aaa-orig":
                continue  # the other bridge files are edits of aaa-orig
            scene = f"variants/{folder.name}/{stem}"
            found.append(SourcePhoto(path, scene, "variants", split_of(scene)))
    if not found:
        raise InputError(f"no photos found under {real}")
    return found


def pairs_of(sources: list[SourcePhoto]) -> list[tuple[SourcePhoto, SourcePhoto]]:
    """The (A, B) captures of each pair scene."""
    by_scene: dict[str, list[SourcePhoto]] = {}
    for s in sources:
        if s.group == "pairs":
            by_scene.setdefault(s.scene, []).append(s)
    out = []
    for members in by_scene.values():
        if len(members) == 2:
            a, b = sorted(members, key=lambda s: s.path.stem)
            out.append((a, b))
    return sorted(out, key=lambda ab: ab[0].scene)
