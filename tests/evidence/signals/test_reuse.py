"""The reuse signal: contract, re-screens, other claims and submitters, catalog photos, shared variants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from shouhou.evidence.image import load_image
from shouhou.evidence.item import Evidence, ScreenContext
from shouhou.evidence.signals.reuse import ReuseOutput, ReuseParams, ReuseSignal, record
from shouhou.index.store import ReuseIndex
from tests.conftest import prepared, sample
from tests.evidence.signals.contract import SignalContract
from tests.index.test_store import crop, resize, scene

WHEN = datetime(2026, 3, 1, tzinfo=UTC)


def evidence(rgb: np.ndarray, index: ReuseIndex | None, **ctx: Any) -> Evidence:
    return Evidence(image=prepared(rgb), context=ScreenContext(**ctx), index=index)


def run(item: Evidence, **params: Any) -> ReuseOutput:
    return ReuseSignal().run(item, ReuseParams(**params))


def _seeded_index() -> ReuseIndex:
    idx = ReuseIndex.open(None)
    record(idx, evidence(sample("astronaut"), idx, claim_id="c1", submitter_id="buyer1"), added_at=WHEN)
    idx.add(prepared(sample("coffee")), source="catalog", added_at=WHEN)
    return idx


class TestReuseContract(SignalContract):
    signal_cls: ClassVar = ReuseSignal

    def flagged_example(self) -> Evidence:
        return evidence(
            crop(sample("astronaut"), 0.1, 0, 0, 0), _seeded_index(), claim_id="c2", submitter_id="buyer2"
        )

    def clean_example(self) -> Evidence:
        return evidence(sample("chelsea"), _seeded_index(), claim_id="c2", submitter_id="buyer2")


def test_rescreen_of_the_same_claim_is_not_a_finding() -> None:
    idx = _seeded_index()
    out = run(evidence(sample("astronaut"), idx, claim_id="c1", submitter_id="buyer1"))
    assert not out.flagged and out.matches == ()


def test_burst_shot_in_the_same_claim_is_not_a_finding() -> None:
    idx = _seeded_index()
    out = run(evidence(resize(sample("astronaut"), 0.6), idx, claim_id="c1", submitter_id="buyer1"))
    assert not out.flagged


def test_exact_copy_in_another_claim_by_another_submitter() -> None:
    idx = _seeded_index()
    out = run(evidence(sample("astronaut"), idx, claim_id="c9", submitter_id="buyer9"))
    assert out.flagged and out.severity == "medium"
    hit = out.matches[0]
    assert hit.exact and hit.distance == 0 and hit.claim_id == "c1" and hit.other_submitter
    assert "exact copy" in out.summary and "different submitter" in out.summary and out.score == 1.0


def test_same_submitter_reusing_a_photo_in_a_new_claim() -> None:
    idx = _seeded_index()
    out = run(
        evidence(
            np.ascontiguousarray(sample("astronaut")[:, ::-1]), idx, claim_id="c5", submitter_id="buyer1"
        )
    )
    assert out.flagged and out.severity == "medium"
    hit = out.matches[0]
    assert not hit.exact and not hit.other_submitter and hit.query_hash == "flipped-horizontally"
    assert "different submitter" not in out.summary and "claim c1" in out.summary


def test_catalog_photo_is_a_finding_even_without_claim_context() -> None:
    idx = _seeded_index()
    out = run(evidence(crop(sample("coffee"), 0.05, 0.05, 0.05, 0.05), idx))
    assert out.flagged and out.matches[0].source == "catalog" and "catalog photo" in out.summary


def test_mirrored_crop_is_found_through_the_mirrored_windows() -> None:
    idx = _seeded_index()
    mirrored = np.ascontiguousarray(crop(sample("astronaut"), 0.03, 0.06, 0.05, 0.02)[:, ::-1])
    out = run(evidence(mirrored, idx, claim_id="c3", submitter_id="buyer3"))
    assert out.flagged and out.matches[0].claim_id == "c1"
    assert out.matches[0].query_hash.startswith("flipped-horizontally+cut-")


def test_unrelated_photos_are_clean() -> None:
    idx = _seeded_index()
    for rgb in [sample("rocket"), sample("camera"), *[scene(200 + i) for i in range(5)]]:
        assert not run(evidence(rgb, idx, claim_id="c2")).flagged


def test_max_matches_and_distance_params() -> None:
    idx = ReuseIndex.open(None)
    for i in range(4):
        record(idx, evidence(sample("astronaut"), idx, claim_id=f"c{i}", submitter_id=f"b{i}"))
    item = evidence(crop(sample("astronaut"), 0.04, 0, 0, 0), idx, claim_id="new")
    capped = run(item, max_matches=2)
    assert len(capped.matches) == 2 and capped.uses_found == 4  # every earlier use is counted
    assert not run(item, max_distance=0).flagged


def test_flat_photo_says_hashes_were_unreliable() -> None:
    idx = _seeded_index()
    out = run(evidence(np.full((200, 300, 3), 120, np.uint8), idx))
    assert not out.flagged and not out.hashes_reliable and "featureless" in out.summary


def test_record_uses_the_item_context_and_is_idempotent() -> None:
    idx = ReuseIndex.open(None)
    item = evidence(sample("rocket"), idx, claim_id="c7", submitter_id="b7")
    record(idx, item)
    record(idx, item)
    assert idx.entry_count == 1
    [match] = idx.search(item.image, max_distance=48)
    assert (match.claim_id, match.submitter_id, match.source) == ("c7", "b7", "claim")


def test_missing_index_raises_input_missing() -> None:
    from shouhou.errors import SignalInputMissing

    with pytest.raises(SignalInputMissing):
        run(evidence(sample("rocket"), None))


UKBENCH_IN_SCOPE = {
    "ukbench00120_hflip.jpg": True,
    "ukbench00120_resize.jpg": True,
    # an arbitrary-angle (~30°) rotation with black corners: not a dihedral transform, out of scope
    "ukbench00120_rotation.jpg": False,
}


@pytest.mark.shared
def test_shared_variants(shared_data: Path, make_evidence: Callable[..., Evidence]) -> None:
    idx = ReuseIndex.open(None)
    variants = shared_data / "real" / "variants"
    for original in (variants / "bridge" / "aaa-orig.jpg", variants / "ukbench" / "ukbench00120.jpg"):
        idx.add(load_image(original), claim_id="old", submitter_id="someone")
    for path in sorted((variants / "bridge").glob("*.jpg")):
        out = run(Evidence(image=load_image(path), context=ScreenContext(claim_id="new"), index=idx))
        # blur, sharpening, contrast, saturation, shrinking and squashing to a square are all found
        assert out.flagged, (path.name, out.summary)
    for name, in_scope in UKBENCH_IN_SCOPE.items():
        out = run(
            Evidence(
                image=load_image(variants / "ukbench" / name),
                context=ScreenContext(claim_id="new"),
                index=idx,
            )
        )
        assert out.flagged == in_scope, (name, out.summary)
    others = [
        p
        for p in sorted((variants / "ukbench").glob("ukbench*.jpg"))
        if "00120" not in p.name and "corrupt" not in p.name
    ]
    for path in others:
        assert not run(
            Evidence(image=load_image(path), context=ScreenContext(claim_id="new"), index=idx)
        ).flagged


def test_near_copy_without_claim_ids_is_reuse_but_the_same_file_is_not(make_evidence) -> None:  # type: ignore[no-untyped-def]
    index = ReuseIndex.open(None)
    first = make_evidence(sample("astronaut"), "first.jpg", index=index)
    record(index, first)
    again = make_evidence(sample("astronaut"), "first.jpg", index=index)  # same bytes, no claim id
    assert not ReuseSignal().run(again, ReuseParams()).flagged
    cropped = make_evidence(sample("astronaut")[30:, 20:], "cropped.jpg", index=index, quality=75)
    assert ReuseSignal().run(cropped, ReuseParams()).flagged
