"""Reference library: features are computed once, cached by content hash, and a bad cache is recomputed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from shouhou.errors import UnreadableImage
from shouhou.evidence import references
from shouhou.evidence.align import Features
from shouhou.evidence.image import PreparedImage, encode_image
from shouhou.evidence.references import ReferenceLibrary
from tests.conftest import sample


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = references.compute_features

    def counting(image: PreparedImage) -> Features:
        calls.append(image.sha256)
        return real(image)

    monkeypatch.setattr(references, "compute_features", counting)
    return calls


def test_second_add_reads_the_cache(tmp_path: Path, spy: list[str]) -> None:
    raw = encode_image(sample("coffee"), "JPEG", quality=90)
    first = ReferenceLibrary(tmp_path).add(raw, name="listing.jpg")
    assert len(spy) == 1
    assert len(first.features.points) > 50
    cache = ReferenceLibrary(tmp_path).cache_path(first.sha256)
    assert cache is not None
    assert cache.is_file()
    mtime = cache.stat().st_mtime_ns
    again = ReferenceLibrary(tmp_path).add(raw, name="listing.jpg")
    assert len(spy) == 1, "features were extracted again instead of read from the cache"
    assert cache.stat().st_mtime_ns == mtime
    assert np.array_equal(again.features.descriptors, first.features.descriptors)
    assert again.features.scale == first.features.scale


def test_corrupt_cache_is_recomputed(tmp_path: Path, spy: list[str]) -> None:
    raw = encode_image(sample("chelsea"), "JPEG", quality=90)
    first = ReferenceLibrary(tmp_path).add(raw)
    cache = ReferenceLibrary(tmp_path).cache_path(first.sha256)
    assert cache is not None
    cache.write_bytes(b"PK\x03\x04 not really a zip")
    again = ReferenceLibrary(tmp_path).add(raw)
    assert len(spy) == 2
    assert np.array_equal(again.features.points, first.features.points)
    third = ReferenceLibrary(tmp_path).add(raw)  # the rewritten cache is good again
    assert len(spy) == 2
    assert len(third.features.points) == len(first.features.points)


def test_library_without_cache_dir_and_names(tmp_path: Path) -> None:
    path = tmp_path / "box-front.png"
    path.write_bytes(encode_image(sample("rocket"), "PNG"))
    lib = ReferenceLibrary(None)
    a = lib.add(path)
    b = lib.add(encode_image(sample("astronaut"), "JPEG"))
    assert [p.name for p in lib.photos] == ["box-front.png", "reference-2"]
    assert a.features.width == a.image.width
    assert a.features.scale <= 1.0
    assert b.features.descriptors.shape[1] == 128
    assert np.allclose(np.linalg.norm(b.features.descriptors, axis=1), 1.0, atol=1e-3)  # RootSIFT


def test_unreadable_reference_raises(tmp_path: Path) -> None:
    with pytest.raises(UnreadableImage):
        ReferenceLibrary(tmp_path).add(b"\xff\xd8\xff\xe0 truncated", name="bad.jpg")
