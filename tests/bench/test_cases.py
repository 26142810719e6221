"""Benchmark cases: fixed scene split, deterministic builds, masks that follow the post-processing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shouhou.bench.cases import FAMILIES, LABELS, CaseSpec, Plan, build_case, plan_cases
from shouhou.bench.sources import discover, pairs_of, split_of
from shouhou.errors import InputError
from shouhou.evidence.image import load_image
from tests.conftest import sample


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small data folder shaped like ../shared/data, from scikit-image samples."""
    root = tmp_path_factory.mktemp("data")
    pairs, photos = root / "real" / "pairs", root / "real" / "photos"
    pairs.mkdir(parents=True)
    photos.mkdir()
    left, right = sample("motorcycle_left"), sample("motorcycle_right")
    names = ["astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field"]
    for i in range(4):  # four pair scenes, so both splits are likely to get some
        Image.fromarray(left[:, i * 10 :]).save(pairs / f"moto{i}A.png")
        Image.fromarray(right[:, i * 10 :]).save(pairs / f"moto{i}B.png")
    for name in names:
        Image.fromarray(sample(name)).save(photos / f"{name}.jpg", quality=90)
    return root


def test_split_depends_on_scene_only() -> None:
    assert split_of("pairs/box") == split_of("pairs/box")
    splits = Counter(split_of(f"photos/p{i}") for i in range(200))
    assert 70 < splits["calibration"] < 130  # a hash split is roughly balanced


def test_discover_keeps_pair_captures_together(data_dir: Path) -> None:
    sources = discover(data_dir)
    assert len(sources) == 14
    for a, b in pairs_of(sources):
        assert a.scene == b.scene and a.split == b.split


def test_discover_refuses_a_folder_without_photos(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="real/"):
        discover(tmp_path)


def test_plan_is_deterministic_and_splits_are_disjoint(data_dir: Path) -> None:
    sources = discover(data_dir)
    plan = Plan(forged_per_photo=1, provenance_photos=1)
    cal = plan_cases(sources, "calibration", 3, plan)
    rep = plan_cases(sources, "report", 4, plan)
    assert cal == plan_cases(sources, "calibration", 3, plan)
    cal_sources = {c.source for c in cal}
    assert cal_sources and cal_sources.isdisjoint({c.source for c in rep})
    forged = Counter(c.family for c in rep if c.kind == "forged")
    assert set(forged) == set(FAMILIES)
    assert {c.family for c in rep if c.kind == "provenance"} == set(LABELS)


def _spec(data_dir: Path, kind: str, family: str, **kw: object) -> CaseSpec:
    photo = str(data_dir / "real" / "photos" / "astronaut.jpg")
    ref = kw.pop("reference", photo)
    return CaseSpec(
        "t-1",
        "report",
        kind,
        family,
        photo,
        ref,
        11,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("family", FAMILIES)
def test_forged_case_has_a_mask_inside_the_claim(data_dir: Path, family: str) -> None:
    donor = str(data_dir / "real" / "photos" / "coffee.jpg")
    case = build_case(_spec(data_dir, "forged", family, strength=0.9, donor=donor))
    claim = load_image(case.claim)
    assert claim.format == "JPEG"  # every claim gets the same final save
    assert case.mask is not None and case.mask.shape == (claim.height, claim.width)
    assert case.mask.sum() > 0 or "crop" in case.post
    assert case.references and load_image(case.references[0]).format == "JPEG"
    again = build_case(_spec(data_dir, "forged", family, strength=0.9, donor=donor))
    assert again.claim == case.claim


def test_genuine_and_forged_share_the_final_save(data_dir: Path) -> None:
    other = str(data_dir / "real" / "photos" / "chelsea.jpg")
    genuine = build_case(_spec(data_dir, "genuine", "reshot", reference=other))
    forged = build_case(_spec(data_dir, "forged", "crack", strength=0.6))
    assert genuine.mask is None
    for case in (genuine, forged):
        assert load_image(case.claim).format == "JPEG"
        assert load_image(case.claim).jpeg_quantization  # a plain baseline JPEG either way


def test_provenance_twins_differ_only_in_the_label(data_dir: Path) -> None:
    labelled = build_case(_spec(data_dir, "provenance", "gb45438_png", reference=None, labelled=True))
    plain = build_case(_spec(data_dir, "provenance", "gb45438_png", reference=None, labelled=False))
    a, b = load_image(labelled.claim), load_image(plain.claim)
    assert np.array_equal(a.pixels, b.pixels)
    assert "AIGC" in a.text and "AIGC" not in b.text
