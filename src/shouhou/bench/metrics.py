"""Scoring functions of the evidence benchmark: ROC/PR, TPR at a fixed FPR, intervals, localisation overlap.

Every score function takes "higher score = more likely positive" and the rule "flag if score >= t".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Final

import cv2
import numpy as np
import numpy.typing as npt
from scipy import ndimage
from scipy.stats import rankdata

Scores = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Box = tuple[int, int, int, int]  # x, y, w, h in pixels

# max_fpr * n is a float product; 0.29 * 100 = 28.999999999999996 must still allow 29 false positives.
_COUNT_EPS: Final = 1e-9
# 8-connectivity: pixels touching at a corner belong to one component.
_EIGHT: Final = np.ones((3, 3), dtype=bool)


def _scores(values: Scores, what: str, *, allow_empty: bool = False) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{what} must be a 1-D sequence of scores, got shape {arr.shape}")
    if arr.size == 0 and not allow_empty:
        raise ValueError(f"{what} is empty")
    if np.isnan(arr).any():
        raise ValueError(f"{what} contains NaN")
    return arr


def _check_fpr(max_fpr: float) -> None:
    if not 0.0 <= max_fpr <= 1.0:
        raise ValueError(f"max_fpr {max_fpr} is outside [0, 1]")


def _count_at_least(sorted_scores: FloatArray, thresholds: FloatArray) -> npt.NDArray[np.int64]:
    """How many of `sorted_scores` (ascending) are >= each threshold."""
    below = np.searchsorted(sorted_scores, thresholds, side="left")
    return np.asarray(sorted_scores.size - below, dtype=np.int64)


def _roc_counts(
    pos: FloatArray, neg: FloatArray
) -> tuple[FloatArray, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Thresholds (inf, then every distinct score descending) with true- and false-positive counts."""
    distinct = np.unique(np.concatenate([pos, neg]))[::-1]
    thresholds = np.concatenate([[np.inf], distinct])
    tp = _count_at_least(np.sort(pos), thresholds)
    fp = _count_at_least(np.sort(neg), thresholds)
    return thresholds, tp, fp


def roc_curve(scores_pos: Scores, scores_neg: Scores) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(fpr, tpr, thresholds): one point per distinct score, highest threshold first.

    The first point is (0, 0) at threshold +inf (nothing flagged), the last (1, 1) at the lowest score.
    Tied scores move together, so a tie between classes is a diagonal step, not two orthogonal ones.
    """
    pos, neg = _scores(scores_pos, "scores_pos"), _scores(scores_neg, "scores_neg")
    thresholds, tp, fp = _roc_counts(pos, neg)
    return fp / neg.size, tp / pos.size, thresholds


def auc(scores_pos: Scores, scores_neg: Scores) -> float:
    """P(positive scores above negative) + P(tie) / 2: the Mann-Whitney U statistic over n_pos * n_neg."""
    pos, neg = _scores(scores_pos, "scores_pos"), _scores(scores_neg, "scores_neg")
    ranks = rankdata(np.concatenate([pos, neg]), method="average")
    u = float(ranks[: pos.size].sum()) - pos.size * (pos.size + 1) / 2.0
    return u / (pos.size * neg.size)


def pr_curve(scores_pos: Scores, scores_neg: Scores) -> tuple[FloatArray, FloatArray]:
    """(recall, precision), recall rising: one point per distinct score, highest threshold first.

    It starts at (0, 1), the usual convention for "nothing flagged" (sklearn does the same).
    """
    pos, neg = _scores(scores_pos, "scores_pos"), _scores(scores_neg, "scores_neg")
    _, tp, fp = _roc_counts(pos, neg)
    tp, fp = tp[1:], fp[1:]
    recall = np.concatenate([[0.0], tp / pos.size])
    precision = np.concatenate([[1.0], tp / (tp + fp)])  # tp + fp >= 1: each threshold is some score
    return recall, precision


def _allowed_false_positives(n_neg: int, max_fpr: float) -> int:
    return math.floor(max_fpr * n_neg + _COUNT_EPS)


def threshold_for_fpr(scores_neg: Scores, max_fpr: float) -> float:
    """The smallest t with share(scores_neg >= t) <= max_fpr.

    That is the float just above the (m+1)-th highest negative, m = floor(max_fpr * n); -inf when
    max_fpr allows every negative. Calibrate on one split with it and apply `rate_at` on another.
    """
    _check_fpr(max_fpr)
    neg = np.sort(_scores(scores_neg, "scores_neg"))[::-1]
    m = _allowed_false_positives(neg.size, max_fpr)
    if m >= neg.size:
        return -math.inf
    return float(np.nextafter(neg[m], np.inf))


def rate_at(scores: Scores, threshold: float) -> float:
    """Share of scores >= threshold."""
    arr = _scores(scores, "scores")
    return float(np.count_nonzero(arr >= threshold)) / arr.size


def tpr_at_fpr(scores_pos: Scores, scores_neg: Scores, max_fpr: float) -> tuple[float, float]:
    """(tpr, threshold): the highest TPR of any threshold whose FPR is <= max_fpr.

    The threshold returned is the highest one reaching that TPR, i.e. the lowest flagged positive score
    (a point of `roc_curve`); +inf when no positive can be flagged, which includes the case where
    negatives tie with the top positives and max_fpr * n_neg < 1 (only scores strictly above every
    negative may be flagged then). The TPR equals `rate_at(pos, threshold_for_fpr(neg, max_fpr))`.
    """
    _check_fpr(max_fpr)
    pos, neg = _scores(scores_pos, "scores_pos"), _scores(scores_neg, "scores_neg")
    thresholds, tp, fp = _roc_counts(pos, neg)
    feasible = np.flatnonzero(fp <= _allowed_false_positives(neg.size, max_fpr))
    best_tp = tp[feasible[-1]]  # fp and tp both grow as the threshold falls; index 0 (inf) is feasible
    first = int(np.argmax(tp == best_tp))
    return float(best_tp) / pos.size, float(thresholds[first])


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion k/n; (0, 1) when n = 0."""
    if n < 0 or not 0 <= k <= max(n, 0):
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return 0.0, 1.0
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def _tpr_fast(pos: FloatArray, neg: FloatArray, max_fpr: float) -> float:
    return rate_at(pos, threshold_for_fpr(neg, max_fpr))


def bootstrap_difference(
    pos_a: Scores, neg_a: Scores, pos_b: Scores, neg_b: Scores, *,
    max_fpr: float, n_boot: int = 1000, seed: int = 0,
) -> tuple[float, float, float]:
    """(TPR@FPR(a) - TPR@FPR(b), 2.5th and 97.5th percentile of its paired bootstrap).

    Index i of pos_a and pos_b is the same case scored by methods a and b (likewise for the negatives),
    so each replicate resamples cases, positives and negatives separately, and scores both methods on them.
    """
    _check_fpr(max_fpr)
    pa, pb = _scores(pos_a, "pos_a"), _scores(pos_b, "pos_b")
    na, nb = _scores(neg_a, "neg_a"), _scores(neg_b, "neg_b")
    if pa.size != pb.size or na.size != nb.size:
        raise ValueError("pos_a/pos_b and neg_a/neg_b must be paired by index (same lengths)")
    if n_boot < 1:
        raise ValueError(f"n_boot must be positive, got {n_boot}")
    point = _tpr_fast(pa, na, max_fpr) - _tpr_fast(pb, nb, max_fpr)
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_boot, dtype=np.float64)
    for i in range(n_boot):
        ip = rng.integers(0, pa.size, pa.size)
        ineg = rng.integers(0, na.size, na.size)
        diffs[i] = _tpr_fast(pa[ip], na[ineg], max_fpr) - _tpr_fast(pb[ip], nb[ineg], max_fpr)
    low, high = np.percentile(diffs, [2.5, 97.5])
    return point, float(low), float(high)


def _box_canvas(boxes: Iterable[Sequence[float]], shape: tuple[int, int]) -> BoolArray:
    canvas = np.zeros(shape, dtype=bool)
    h, w = shape
    for box in boxes:
        if len(box) != 4:
            raise ValueError(f"a box is (x, y, w, h), got {tuple(box)}")
        x, y, bw, bh = (float(v) for v in box)
        if bw <= 0 or bh <= 0:
            raise ValueError(f"a box needs positive width and height, got {tuple(box)}")
        x0, y0 = max(0, math.floor(x)), max(0, math.floor(y))
        x1, y1 = min(w, math.ceil(x + bw)), min(h, math.ceil(y + bh))
        if x1 > x0 and y1 > y0:
            canvas[y0:y1, x0:x1] = True
    return canvas


def box_union_iou(
    pred_boxes: Iterable[Sequence[float]], true_boxes: Iterable[Sequence[float]], shape: tuple[int, ...]
) -> float:
    """IoU of the union of predicted boxes with the union of true boxes on an (h, w) canvas.

    Boxes are clipped to the canvas; 1.0 when both unions are empty, 0.0 when only one is.
    """
    if len(shape) < 2 or shape[0] <= 0 or shape[1] <= 0:
        raise ValueError(f"shape must start with a positive (h, w), got {shape}")
    hw = (int(shape[0]), int(shape[1]))
    pred, true = _box_canvas(pred_boxes, hw), _box_canvas(true_boxes, hw)
    union = np.count_nonzero(pred | true)
    if union == 0:
        return 1.0
    return float(np.count_nonzero(pred & true)) / union


def _check_mask(mask: npt.NDArray[np.generic], what: str) -> BoolArray:
    arr = np.asarray(mask)
    if arr.dtype != np.bool_ or arr.ndim != 2:
        raise ValueError(f"{what} must be a 2-D bool array, got {arr.dtype} of shape {arr.shape}")
    return arr


def pixel_f1(pred_mask: npt.NDArray[np.generic], true_mask: npt.NDArray[np.generic]) -> float:
    """F1 (Dice) of two bool masks of one shape; 1.0 when both are empty, 0.0 when only one is."""
    pred, true = _check_mask(pred_mask, "pred_mask"), _check_mask(true_mask, "true_mask")
    if pred.shape != true.shape:
        raise ValueError(f"mask shapes differ: {pred.shape} vs {true.shape}")
    total = np.count_nonzero(pred) + np.count_nonzero(true)
    if total == 0:
        return 1.0
    return 2.0 * np.count_nonzero(pred & true) / total


def mask_boxes(mask: npt.NDArray[np.generic], *, merge_px: int = 0) -> list[Box]:
    """Bounding boxes (x, y, w, h) of the 8-connected components of a bool mask, most pixels first.

    Components with at most `merge_px` background pixels between them count as one (see
    `mask_components`); each box spans only the original true pixels of its component.
    """
    return [box for _, box in mask_components(mask, merge_px=merge_px)]


def mask_components(mask: npt.NDArray[np.generic], *, merge_px: int = 0) -> list[tuple[int, Box]]:
    """(true pixel count, bounding box) of each 8-connected component of a bool mask, most pixels first.

    Components with at most `merge_px` background pixels between them (Chebyshev distance) count as
    one: the mask is dilated by a (merge_px + 1)-square before labelling, but each box spans only the
    original true pixels of its component.
    """
    arr = _check_mask(mask, "mask")
    if merge_px < 0:
        raise ValueError(f"merge_px must be >= 0, got {merge_px}")
    grouped = arr
    if merge_px > 0:
        # Two pixels at Chebyshev distance d end up 8-adjacent after dilation by a side-s square iff d <= s.
        # OpenCV's rectangle dilation is separable (cost independent of the side); scipy's is not.
        side = merge_px + 1
        square = cv2.getStructuringElement(cv2.MORPH_RECT, (side, side))
        grouped = cv2.dilate(arr.astype(np.uint8), square) > 0
    labels, count = ndimage.label(grouped, structure=_EIGHT)
    if count == 0:
        return []
    labels = np.where(arr, labels, 0)
    sizes = np.bincount(labels.ravel(), minlength=count + 1)
    found: list[tuple[int, Box]] = []
    for index, slices in enumerate(ndimage.find_objects(labels), start=1):
        if slices is None:
            continue
        ys, xs = slices
        found.append((int(sizes[index]), (xs.start, ys.start, xs.stop - xs.start, ys.stop - ys.start)))
    found.sort(key=lambda item: (-item[0], item[1][1], item[1][0]))
    return found


def summary(values: Iterable[float]) -> dict[str, float | int | None]:
    """n, mean, median, p95 (linear interpolation), min and max; None for all but n when empty."""
    arr = _scores(list(values), "values", allow_empty=True)
    if arr.size == 0:
        return {"n": 0, "mean": None, "median": None, "p95": None, "min": None, "max": None}
    return {
        "n": int(arr.size),
        "mean": float(arr.mean()),
        "median": float(np.median(arr)),
        "p95": float(np.percentile(arr, 95, method="linear")),
        "min": float(arr.min()),
        "max": float(arr.max()),
    }
