"""Local-edit forensics without a reference: JPEG double quantisation, noise level and copy-move, fused."""

from __future__ import annotations

import io
import warnings
from typing import ClassVar, Literal

import cv2
import numpy as np
import numpy.typing as npt
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from shouhou.errors import UnreadableImage
from shouhou.evidence.forensic_maps import (
    CopyMoveCluster,
    FloatMap,
    clipped_blocks,
    double_quantisation_map,
    find_copy_move,
    noise_inconsistency_map,
    orient_map,
    unorient,
)
from shouhou.evidence.item import Evidence
from shouhou.evidence.model import Need, Region, Severity, SignalOutput, Tier
from shouhou.evidence.signal import Signal, SignalParams

DetectorStatus = Literal["ok", "no_trace", "diffuse", "skipped"]


class ForensicsParams(SignalParams):
    """Hand-set on synthetic splices and sample photos, except `min_flag_score`, which the shipped
    thresholds file sets from `shouhou bench evidence`'s calibration split."""

    dq_freqs: int = Field(default=14, ge=3, le=40)
    dq_max_k: int = Field(default=40, ge=8)
    dq_min_gain: float = Field(default=0.2, gt=0, le=1)  # share of mass a first compression must explain
    # A real first compression shows in most low frequencies; a few weak ones are chance or resampling.
    dq_min_freqs: int = Field(default=6, ge=1)
    # An off-pattern area larger than this is not a local edit but a global mismatch (e.g. partial DQ).
    dq_max_area: float = Field(default=0.2, gt=0, le=1)
    dq_llr_scale: float = Field(default=2.0, gt=0)
    dq_smooth_blocks: int = Field(default=5, ge=1)
    noise_side: int = Field(default=2048, ge=256)
    noise_block: int = Field(default=32, ge=8)
    noise_z0: float = Field(default=2.0, gt=0)
    noise_z_span: float = Field(default=2.0, gt=0)
    cm_side: int = Field(default=1024, ge=256)
    cm_features: int = Field(default=3000, ge=100)  # brute-force matching is quadratic in this
    cm_ratio: float = Field(default=0.6, gt=0, lt=1)
    cm_min_inliers: int = Field(default=12, ge=4)
    cm_min_correlation: float = Field(default=0.6, ge=-1, le=1)
    fuse_side: int = Field(default=512, ge=64)
    weight_dq: float = Field(default=1.0, ge=0)
    weight_noise: float = Field(default=1.0, ge=0)
    fuse_threshold: float = Field(default=0.3, ge=0, le=1)
    support_threshold: float = Field(default=0.3, ge=0, le=1)  # a detector's mean inside a region to count
    dq_alone_min: float = Field(default=0.6, ge=0, le=1)  # DQ mean inside a region to flag on DQ alone
    min_region_frac: float = Field(default=0.003, ge=0, le=1)
    max_region_frac: float = Field(default=0.25, ge=0, le=1)  # larger regions are not "local"
    # Findings scoring below this are not reported (fitted by `shouhou bench evidence` on honest photos).
    min_flag_score: float = Field(default=0.0, ge=0, le=1)


class DetectorReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    status: DetectorStatus
    score: float = Field(ge=0.0, le=1.0)  # the map's 99th percentile; 0 when not run
    note: str


class ForensicsOutput(SignalOutput):
    detectors: tuple[DetectorReport, ...]
    fused_score: float = Field(ge=0.0, le=1.0)
    working_size: tuple[int, int]  # (width, height) of the fused anomaly map


def _jpeg_luma(raw: bytes, name: str) -> npt.NDArray[np.uint8]:
    """The decoder's Y plane in stored orientation: the 8x8 grid the quantisation acted on."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(raw)) as im:
                im.draft("L", im.size)
                return np.asarray(im.convert("L"), dtype=np.uint8)
    except (OSError, ValueError, SyntaxError) as exc:
        raise UnreadableImage(f"{name}: cannot decode the JPEG luma plane ({exc})") from exc


def _downscale(gray: npt.NDArray[np.uint8], side: int) -> tuple[npt.NDArray[np.uint8], float]:
    """Gray at most `side` px long, and full-res pixels per working pixel."""
    f = max(gray.shape) / side
    if f <= 1.0:
        return gray, 1.0
    size = (max(round(gray.shape[1] / f), 1), max(round(gray.shape[0] / f), 1))
    return np.asarray(cv2.resize(gray, size, interpolation=cv2.INTER_AREA), np.uint8), gray.shape[1] / size[0]


def _to_grid(m: FloatMap, cell_px: float, scale: float, grid: tuple[int, int]) -> FloatMap:
    """Resample a map whose cells are `cell_px` full-res pixels onto the fused grid (h, w)."""
    size = (max(round(m.shape[1] * cell_px / scale), 1), max(round(m.shape[0] * cell_px / scale), 1))
    r = np.asarray(cv2.resize(m, size, interpolation=cv2.INTER_LINEAR), np.float32)
    out = np.zeros(grid, np.float32)
    h, w = min(grid[0], r.shape[0]), min(grid[1], r.shape[1])
    out[:h, :w] = r[:h, :w]
    return out


def _p99(m: FloatMap) -> float:
    return float(np.clip(np.percentile(m, 99), 0.0, 1.0)) if m.size else 0.0


class ForensicsSignal(Signal[ForensicsParams, ForensicsOutput]):
    """Looks for local edits in one photo, without a reference, with three classical detectors.

    1. JPEG aligned double quantisation: a JPEG saved twice on one grid puts its DCT values only on bins
       reachable from the first quality; pasted or re-rendered patches break that pattern (JPEG only,
       skipped otherwise). 2. Noise level per block against the image's noise-versus-brightness relation.
    3. Copy-move: ORB self-matching clustered by RANSAC and verified by texture correlation.
    Maps are fused at ≤ `fuse_side` px into `item.artifacts["forensics.anomaly"]`; regions are boxes in
    full-resolution, oriented pixels. A region is `medium` when two detectors agree or a copy is
    verified, `low` on a strong DQ region alone; noise alone never flags (phone denoising is local).

    What it cannot tell: AI edits that regenerate the whole image (no local inconsistency is left);
    edits followed by resizing, cropping off the 8x8 grid or heavy recompression (the JPEG trace is gone);
    a first compression finer than the last (q1 <= q2 leaves no empty DCT bins); a patch from a JPEG of
    the same quality on the same grid; copies of flat, keypoint-poor areas; and whether an edit was
    malicious — a found region is a reason to look, not a proof. Only the reporting cut
    (`min_flag_score`) is fitted (by `shouhou bench evidence`); honest phone photos do trip the noise
    detector, and the scorecard counts how often that reaches a flag.
    """

    name: ClassVar[str] = "forensics"
    version: ClassVar[str] = "1"
    needs: ClassVar[frozenset[Need]] = frozenset({Need.PIXELS, Need.RAW})
    tier: ClassVar[Tier] = Tier.FULL
    params_model: ClassVar[type[SignalParams]] = ForensicsParams
    output_model: ClassVar[type[SignalOutput]] = ForensicsOutput

    def run(self, item: Evidence, params: ForensicsParams) -> ForensicsOutput:
        image = item.image
        W, H = image.width, image.height
        scale = max(max(W, H) / params.fuse_side, 1.0)
        grid = (max(round(H / scale), 1), max(round(W / scale), 1))
        reports: list[DetectorReport] = []
        maps: dict[str, FloatMap] = {}

        dq = self._dq(item, params, scale, grid)
        reports.append(dq[0])
        if dq[1] is not None:
            maps["dq"] = dq[1]

        gray = image.gray
        g_noise, f_noise = _downscale(gray, params.noise_side)
        noise = noise_inconsistency_map(g_noise, block=params.noise_block, z0=params.noise_z0,
                                        z_span=params.noise_z_span)
        maps["noise"] = _to_grid(noise, params.noise_block * f_noise, scale, grid)
        reports.append(DetectorReport(name="noise", status="ok", score=round(_p99(noise), 4),
                                      note=f"noise sigma per {params.noise_block}px block at "
                                           f"{g_noise.shape[1]}x{g_noise.shape[0]} (Haar HH median)"))

        g_cm, f_cm = _downscale(gray, params.cm_side)
        clusters = find_copy_move(g_cm, n_features=params.cm_features, ratio=params.cm_ratio,
                                  min_inliers=params.cm_min_inliers,
                                  min_correlation=params.cm_min_correlation)
        cm_map = np.zeros(grid, np.float32)
        cm_regions: list[Region] = []
        for c in clusters:
            for box, label in ((c.source, "copy-move source"), (c.target, "copy-move target")):
                region = self._full_res(box, f_cm, W, H, min(max(c.correlation, 0.0), 1.0), label)
                cm_regions.append(region)
                gx0, gy0 = int(region.x / scale), int(region.y / scale)
                gh, gw = max(int(region.h / scale), 1), max(int(region.w / scale), 1)
                cm_map[gy0 : gy0 + gh, gx0 : gx0 + gw] = 1.0
        reports.append(DetectorReport(
            name="copy_move", status="ok" if clusters else "no_trace",
            score=round(max((min(max(c.correlation, 0.0), 1.0) for c in clusters), default=0.0), 4),
            note=self._cm_note(clusters)))

        weights = {"dq": params.weight_dq, "noise": params.weight_noise}
        total = sum(weights[k] for k in maps) or 1.0
        local = sum(weights[k] * maps[k] for k in maps) / total
        fused = np.clip(np.maximum(local, cm_map), 0.0, 1.0).astype(np.float32)
        item.artifacts["forensics.anomaly"] = fused

        regions, severity = self._regions(np.asarray(local, np.float32), maps, params, scale, W, H)
        if cm_regions:
            severity = "medium"
            regions = cm_regions + regions
        score = max((r.score for r in regions), default=0.0)
        flagged = severity in ("low", "medium") and score >= params.min_flag_score
        if not flagged:
            severity = "info"
        summary = self._summary(flagged, severity, regions, reports)
        return ForensicsOutput(
            flagged=flagged, severity=severity, score=round(float(score), 4), summary=summary,
            regions=tuple(regions) if flagged else (), detectors=tuple(reports),
            fused_score=round(_p99(fused), 4), working_size=(grid[1], grid[0]),
        )

    def _dq(self, item: Evidence, params: ForensicsParams, scale: float,
            grid: tuple[int, int]) -> tuple[DetectorReport, FloatMap | None]:
        image = item.image
        qtables = image.jpeg_quantization
        if image.format != "JPEG" or not qtables or 0 not in qtables:
            return DetectorReport(name="jpeg_dq", status="skipped", score=0.0,
                                  note=f"not a JPEG ({image.format}): no quantisation grid to test"), None
        y = _jpeg_luma(image.raw, image.name)
        stored = unorient(image.pixels, image.orientation)
        exclude = clipped_blocks(stored) if stored.shape[:2] == y.shape else None
        res = double_quantisation_map(
            y, qtables[0], n_freqs=params.dq_freqs, max_k=params.dq_max_k, min_gain=params.dq_min_gain,
            smooth_blocks=params.dq_smooth_blocks, llr_scale=params.dq_llr_scale, exclude=exclude)
        if res.detected_freqs < params.dq_min_freqs:
            return DetectorReport(
                name="jpeg_dq", status="no_trace", score=0.0,
                note=f"no aligned double compression found ({res.detected_freqs} of {params.dq_freqs} "
                     "frequencies); a single save or a finer first save leaves nothing to compare"), None
        m = orient_map(res.map, image.orientation)
        area = float((m >= 0.5).mean())
        if area > params.dq_max_area:
            return DetectorReport(
                name="jpeg_dq", status="diffuse", score=round(_p99(m), 4),
                note=f"double compression seen in {res.detected_freqs} of {params.dq_freqs} frequencies, but "
                     f"{area:.0%} of the blocks break it: not a local trace, map not used"), None
        return DetectorReport(
            name="jpeg_dq", status="ok", score=round(_p99(m), 4),
            note=f"double compression seen in {res.detected_freqs} of {params.dq_freqs} frequencies "
                 f"(mean gain {res.mean_gain:.2f})"), _to_grid(m, 8.0, scale, grid)

    def _regions(self, local: FloatMap, maps: dict[str, FloatMap], params: ForensicsParams, scale: float,
                 W: int, H: int) -> tuple[list[Region], Severity]:
        binary = (local >= params.fuse_threshold).astype(np.uint8)
        small = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        large = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
        opened = cv2.morphologyEx(binary, cv2.MORPH_OPEN, small)
        closed = cv2.morphologyEx(opened, cv2.MORPH_CLOSE, large)
        n, labels, stats, _ = cv2.connectedComponentsWithStats(np.asarray(closed, np.uint8), connectivity=8)
        area_total = float(local.size)
        found: list[tuple[int, Region]] = []
        for i in range(1, n):
            frac = stats[i, cv2.CC_STAT_AREA] / area_total
            if not params.min_region_frac <= frac <= params.max_region_frac:
                continue
            inside = labels == i
            support = sorted(k for k, m in maps.items()
                             if float(m[inside].mean()) >= params.support_threshold)
            dq_mean = float(maps["dq"][inside].mean()) if "dq" in maps else 0.0
            if len(support) >= 2:
                level = 2
            elif support == ["dq"] and dq_mean >= params.dq_alone_min:
                level = 1
            else:
                continue
            x, y, w, h = (int(stats[i, k]) for k in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP,
                                                      cv2.CC_STAT_WIDTH, cv2.CC_STAT_HEIGHT))
            score = float(np.clip(local[inside].mean(), 0, 1))
            found.append((level, self._full_res((x, y, w, h), scale, W, H, score, "+".join(support))))
        if not found:
            return [], "info"
        found.sort(key=lambda lr: (-lr[0], -lr[1].score, lr[1].y, lr[1].x))
        return [r for _, r in found], "medium" if found[0][0] >= 2 else "low"

    @staticmethod
    def _full_res(box: tuple[int, int, int, int], f: float, W: int, H: int, score: float,
                  label: str) -> Region:
        x, y, w, h = box
        x0, y0 = min(int(x * f), W - 1), min(int(y * f), H - 1)
        return Region(x=x0, y=y0, w=max(min(round(w * f), W - x0), 1), h=max(min(round(h * f), H - y0), 1),
                      score=round(score, 4), label=label)

    @staticmethod
    def _cm_note(clusters: list[CopyMoveCluster]) -> str:
        if not clusters:
            return "no verified duplicated region"
        best = max(clusters, key=lambda c: c.correlation)
        return (f"{len(clusters)} verified duplicated region(s); best: {best.inliers} matched keypoints, "
                f"texture correlation {best.correlation:.2f}")

    @staticmethod
    def _summary(flagged: bool, severity: Severity, regions: list[Region],
                 reports: list[DetectorReport]) -> str:
        ran = ", ".join(f"{r.name}={r.status}" for r in reports)
        if not flagged and regions:
            return (f"No clear local edit: {len(regions)} weak trace(s) scored below the reporting cut "
                    f"({ran}).")
        if not flagged:
            return f"No clear local edit: no region where two detectors agree and no verified copy ({ran})."
        labels = "; ".join(f"{r.label} at {r.as_list()}" for r in regions[:4])
        return f"Possible local edit ({severity}): {len(regions)} region(s): {labels} ({ran})."
