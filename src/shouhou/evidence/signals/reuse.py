"""Reuse: the claim photo (or a resized, recompressed, flipped or cropped copy) was already seen in
another claim, from another submitter, or among catalog/internet photos added to the reuse index."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from shouhou.errors import SignalInputMissing
from shouhou.evidence.item import Evidence
from shouhou.evidence.model import Need, Severity, SignalOutput, Tier
from shouhou.evidence.signal import Signal, SignalParams
from shouhou.index.hashing import HASH_BITS, MIN_QUALITY, query_hashes
from shouhou.index.store import Match, ReuseIndex


class ReuseParams(SignalParams):
    """max_distance (PDQ bits, smallest over every query-hash x stored-hash pair, hash scheme pdq64-lattice-2)
    was set on the calibration split of the shared photos, generated scenes and scikit-image samples with
    benchmarks/reuse_index_speed.py: there resized, recompressed, flipped, rotated and 2-20%-cropped copies
    came within 44 bits (99th percentile <= 39), while the closest unrelated pair was 56 bits apart (no
    unrelated match among 94,680 query x photo pairs). A calibration-split benchmark may refit it later;
    report-split numbers are in benchmarks/results/reuse_index_speed.json."""

    max_distance: int = Field(default=48, ge=0, le=HASH_BITS)
    max_matches: int = Field(default=5, ge=1, le=100)
    # PDQ quality below which a photo's hashes are noise (flat frames); such photos match by bytes only.
    min_quality: int = Field(default=MIN_QUALITY, ge=0, le=100)
    # Reuse alone shows the photo is not a new capture, not that the damage is fake: never "high".
    severity: Severity = "medium"


class ReuseHit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    source: str
    claim_id: str | None
    submitter_id: str | None
    added_at: datetime
    distance: int
    exact: bool  # byte-identical (same sha256)
    # which variant of the claim photo matched ("whole", "flipped-horizontally", "cut-r4-t4-b5.5", "sha256")
    query_hash: str
    stored_hash: str  # which window of the stored photo matched
    other_submitter: bool  # the stored entry names a submitter, and not this claim's


class ReuseOutput(SignalOutput):
    matches: tuple[ReuseHit, ...] = ()
    pdq_quality: int = Field(ge=0, le=100)
    hashes_reliable: bool  # False: PDQ quality too low, only byte-identical copies could be found
    indexed_photos: int = Field(ge=0)
    uses_found: int = Field(default=0, ge=0)  # earlier uses found; `matches` lists the first max_matches


def _is_reuse(match: Match, sha256: str, claim_id: str | None, submitter_id: str | None) -> bool:
    if match.key == sha256 and match.claim_id == claim_id:
        return False  # the same photo screened again for the same claim
    # Without a claim id (a bare `shouhou inspect`) the two uses cannot be shown to be one claim.
    if match.source != "claim" or claim_id is None or match.claim_id != claim_id:
        return True
    # Within one claim, near-identical shots (a burst) are normal unless someone else took them.
    return match.submitter_id is not None and submitter_id is not None and match.submitter_id != submitter_id


def _describe(hit: ReuseHit) -> str:
    what = (
        "an exact copy of" if hit.exact else f"a near-copy (PDQ distance {hit.distance}, {hit.query_hash}) of"
    )
    where = (
        f"a {hit.source} photo"
        if hit.source != "claim"
        else (f"a photo in claim {hit.claim_id}" if hit.claim_id else "an earlier claim photo")
    )
    who = " submitted by a different submitter" if hit.other_submitter else ""
    return f"{what} {where}{who}"


class ReuseSignal(Signal[ReuseParams, ReuseOutput]):
    """Looks the claim photo up in the reuse index of every photo screened before (plus catalog and
    internet photos added on purpose), by sha256 and by PDQ hashes robust to resizing, recompression,
    flips and 90° rotations of the whole frame, crops removing up to ~20% of the area (one side, the
    border, a corner or any mix of sides), and such crops mirrored left-right.

    It cannot tell who took a photo first or whether a reuse is fraudulent (a buyer may resend the same
    photo in a second, legitimate claim); it cannot see reuse of photos never added to the index; it
    cannot tell a copy from a second shot taken from almost the same spot (some such pairs of captures
    match); it cannot match crops removing much more than 20% of the area (or more than 20% off one
    side), crops combined with a vertical flip or a 90° rotation, rotations by arbitrary angles, heavy
    edits, collages, or a shot of the same scene from another viewpoint; a frame filled by a regular
    texture (a brick wall, gravel) can miss a crop; and flat, featureless photos (PDQ quality below
    `min_quality`) match only when their bytes are identical. Thresholds: see ReuseParams.
    """

    name: ClassVar[str] = "reuse"
    # 2: hash scheme pdq64-lattice-2 (crop lattice, mirrored crops); 3: output counts every use found
    version: ClassVar[str] = "3"
    needs: ClassVar[frozenset[Need]] = frozenset({Need.PREVIEW, Need.INDEX})
    tier: ClassVar[Tier] = Tier.FAST
    params_model: ClassVar[type[SignalParams]] = ReuseParams
    output_model: ClassVar[type[SignalOutput]] = ReuseOutput

    def run(self, item: Evidence, params: ReuseParams) -> ReuseOutput:
        index = item.index
        if index is None:
            raise SignalInputMissing("no reuse index is open")
        image, ctx = item.image, item.context
        hashes = query_hashes(image.preview, min_quality=params.min_quality)
        found = index.search(
            hashes, max_distance=params.max_distance, key=image.sha256, limit=params.max_matches * 4 + 8
        )
        reused = [m for m in found if _is_reuse(m, image.sha256, ctx.claim_id, ctx.submitter_id)]
        hits = tuple(
            ReuseHit(
                key=m.key,
                source=m.source,
                claim_id=m.claim_id,
                submitter_id=m.submitter_id,
                added_at=m.added_at,
                distance=m.distance,
                exact=m.exact,
                query_hash=m.query_hash,
                stored_hash=m.stored_hash,
                other_submitter=m.submitter_id is not None and m.submitter_id != ctx.submitter_id,
            )
            for m in reused[: params.max_matches]
        )
        common = {
            "pdq_quality": hashes.quality,
            "hashes_reliable": hashes.reliable,
            "indexed_photos": len(index),
        }
        caveat = (
            ""
            if hashes.reliable
            else (
                f" PDQ quality {hashes.quality} is below {params.min_quality} (a flat or featureless photo): "
                "only byte-identical copies were looked for."
            )
        )
        if not hits:
            return ReuseOutput(
                flagged=False,
                score=0.0,
                summary=f"No earlier use of this photo was found "
                f"among {common['indexed_photos']} indexed photos.{caveat}",
                **common,
            )
        item.facts["reuse.matched_keys"] = [h.key for h in hits]
        best = hits[0]
        more = f" (and {len(reused) - 1} more)" if len(reused) > 1 else ""
        summary = f"This photo is {_describe(best)}{more}.{caveat}"
        if any(h.other_submitter for h in hits) and not best.other_submitter:
            summary += " A different submitter used it before."
        score = 1.0 if best.exact else round(1.0 - best.distance / HASH_BITS, 4)
        return ReuseOutput(
            flagged=True,
            severity=params.severity,
            score=score,
            summary=summary,
            matches=hits,
            uses_found=len(reused),
            **common,
        )


def record(
    index: ReuseIndex, item: Evidence, *, source: str = "claim", added_at: datetime | None = None
) -> None:
    """Add a screened photo to the index under its claim and submitter (idempotent per photo+claim)."""
    index.add(
        item.image,
        key=item.image.sha256,
        source=source,
        claim_id=item.context.claim_id,
        submitter_id=item.context.submitter_id,
        added_at=added_at,
    )
