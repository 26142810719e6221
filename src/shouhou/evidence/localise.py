"""Find the regions where a claim differs from its aligned, colour-matched reference (the added damage)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from shouhou.evidence.model import Region

F32 = npt.NDArray[np.float32]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Localisation:
    heat: F32  # [0, 1], analysis resolution
    mask: U8  # 0/255, analysis resolution
    regions: tuple[Region, ...]  # full-resolution claim pixels
    edit_fraction: float  # share of the reference's footprint marked as edited


def localise(
    claim: F32,
    mapped_ref: F32,
    footprint: npt.NDArray[np.bool_],
    *,
    to_full: float,
    full_size: tuple[int, int],
    z_threshold: float,
    min_abs: float,
    gradient_weight: float,
    min_area_fraction: float,
    join_fraction: float,
    merge_fraction: float,
) -> Localisation:
    """Normalised colour difference → adaptive threshold → morphology → components → boxes.

    The expected error of a faithful copy is the noise/JPEG floor plus a term growing with the local
    gradient (sub-pixel misregistration and resampling err most at edges), so edges of the photo itself
    do not show as edits. `to_full` maps analysis pixels to full-resolution ones."""
    diff = np.abs(claim - mapped_ref).max(axis=2)
    diff = cv2.GaussianBlur(diff, (0, 0), 0.7)
    g = cv2.cvtColor(np.ascontiguousarray(mapped_ref), cv2.COLOR_RGB2GRAY)
    gx = cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    grad = cv2.dilate(np.sqrt(gx * gx + gy * gy), np.ones((3, 3), np.uint8))
    inside = cv2.erode(footprint.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    # Every 3rd pixel estimates the floor as well as all of them, at a ninth of the cost.
    sub = diff[::3, ::3][inside[::3, ::3]]
    floor = float(np.median(sub)) * 1.5 + 1.0 if sub.size else 1.0
    # How much error per unit gradient this copy's resampling and registration leave, measured on the
    # photo itself (a high quantile, so a small edit cannot raise it); capped by `gradient_weight`.
    edgy = inside[::2, ::2] & (grad[::2, ::2] > 4.0)
    weight = gradient_weight
    if edgy.sum() > 100:
        ratio = np.maximum(diff[::2, ::2][edgy] - floor, 0.0) / grad[::2, ::2][edgy]
        weight = float(np.clip(np.quantile(ratio, 0.95), 0.1 * gradient_weight, gradient_weight))
    expected = floor + weight * grad
    z = np.where(inside, diff / expected, 0.0).astype(np.float32)
    # Hysteresis: faint parts of an edit (a crack's thin tail) count when joined to a clear part.
    strong = (z > z_threshold) & (diff > min_abs)
    weak = ((z > z_threshold / 2) & (diff > min_abs / 2)).astype(np.uint8)
    _, weak_labels = cv2.connectedComponents(weak, connectivity=8)
    seeds = np.unique(weak_labels[strong])
    hot = np.isin(weak_labels, seeds[seeds > 0])
    area = float(inside.sum())
    H, W = hot.shape
    join = max(3, round(join_fraction * np.hypot(H, W)) | 1)
    closed = cv2.morphologyEx(
        hot.astype(np.uint8) * 255,
        cv2.MORPH_CLOSE,
        cv2.getStructuringElement(cv2.MORPH_RECT, (join, join)),  # rect: separable, fast
    )
    joined = np.where(inside, np.asarray(closed, np.uint8), 0).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    min_area = max(12.0, min_area_fraction * area)
    areas = stats[:, cv2.CC_STAT_AREA]
    keep = np.flatnonzero(areas >= min_area)
    keep = keep[keep > 0]
    mask = (np.isin(labels, keep) * 255).astype(np.uint8)
    # Nearby fragments of one edit (a crack broken by texture) are reported as one region.
    merge = max(3, round(merge_fraction * np.hypot(H, W)) | 1)
    groups = cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (merge, merge)))
    n_groups, group_labels = cv2.connectedComponents(groups, connectivity=8)
    regions: list[Region] = []
    for k in range(1, n_groups):
        member = (group_labels == k) & (mask > 0)
        ys, xs = np.nonzero(member)
        if xs.size == 0:
            continue
        x0, y0 = int(np.floor(xs.min() * to_full)), int(np.floor(ys.min() * to_full))
        x1 = min(full_size[0], int(np.ceil((xs.max() + 1) * to_full)))
        y1 = min(full_size[1], int(np.ceil((ys.max() + 1) * to_full)))
        strength = float(np.clip(np.median(z[member]) / (2 * z_threshold), 0.0, 1.0))
        regions.append(
            Region(
                x=x0,
                y=y0,
                w=max(1, x1 - x0),
                h=max(1, y1 - y0),
                score=round(strength, 3),
                label="differs from reference",
            )
        )
    regions.sort(key=lambda r: -r.w * r.h)
    heat = np.clip(z / (2 * z_threshold), 0.0, 1.0).astype(np.float32)
    fraction = float((mask > 0).sum() / area) if area else 0.0
    return Localisation(heat, mask, tuple(regions[:20]), fraction)


def box_union_iou(
    regions: tuple[Region, ...] | list[Region], box: tuple[int, int, int, int], shape: tuple[int, int]
) -> float:
    """IoU between the union of region boxes and one true box (x, y, w, h), on an (h, w) canvas."""
    pred = np.zeros(shape, bool)
    for r in regions:
        pred[r.y : r.y + r.h, r.x : r.x + r.w] = True
    true = np.zeros(shape, bool)
    x, y, w, h = box
    true[y : y + h, x : x + w] = True
    union = (pred | true).sum()
    return float((pred & true).sum() / union) if union else 0.0
