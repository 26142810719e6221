"""Benchmark metrics on hand-computed cases and against brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhou.bench.metrics import (
    auc,
    bootstrap_difference,
    box_union_iou,
    mask_boxes,
    mask_components,
    pixel_f1,
    pr_curve,
    rate_at,
    roc_curve,
    summary,
    threshold_for_fpr,
    tpr_at_fpr,
    wilson_interval,
)


def _trapezoid(fpr: np.ndarray, tpr: np.ndarray) -> float:
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


# --- ROC, AUC, PR ----------------------------------------------------------------------------------


def test_roc_perfect_separation() -> None:
    fpr, tpr, thr = roc_curve([3, 4], [1, 2])
    np.testing.assert_array_equal(thr, [np.inf, 4, 3, 2, 1])
    np.testing.assert_array_equal(tpr, [0, 0.5, 1, 1, 1])
    np.testing.assert_array_equal(fpr, [0, 0, 0, 0.5, 1])
    assert auc([3, 4], [1, 2]) == 1.0
    assert tpr_at_fpr([3, 4], [1, 2], 0.0) == (1.0, 3.0)


def test_inverted_scores() -> None:
    assert auc([1, 2], [3, 4]) == 0.0
    assert tpr_at_fpr([1, 2], [3, 4], 0.0) == (0.0, math.inf)
    assert tpr_at_fpr([1, 2], [3, 4], 0.5) == (0.0, math.inf)  # 3 admits one negative but no positive
    assert tpr_at_fpr([1, 2], [3, 4], 1.0) == (1.0, 1.0)


def test_ties_between_classes_step_together() -> None:
    fpr, tpr, thr = roc_curve([1, 2], [1, 0])
    np.testing.assert_array_equal(thr, [np.inf, 2, 1, 0])
    np.testing.assert_array_equal(tpr, [0, 0.5, 1, 1])
    np.testing.assert_array_equal(fpr, [0, 0, 0.5, 1])  # the tie at 1 is one diagonal step
    assert auc([1, 2], [1, 0]) == pytest.approx(0.875)  # (1 + 1 + 1 + 0.5) / 4
    assert _trapezoid(fpr, tpr) == pytest.approx(0.875)


def test_all_scores_equal() -> None:
    fpr, tpr, thr = roc_curve([1, 1], [1, 1, 1])
    np.testing.assert_array_equal(fpr, [0, 1])
    np.testing.assert_array_equal(tpr, [0, 1])
    np.testing.assert_array_equal(thr, [np.inf, 1])
    assert auc([1, 1], [1, 1, 1]) == 0.5
    assert tpr_at_fpr([1, 1], [1, 1, 1], 0.5) == (0.0, math.inf)
    assert tpr_at_fpr([1, 1], [1, 1, 1], 1.0) == (1.0, 1.0)


def test_strictest_threshold_too_loose_falls_back_to_strictly_above_negatives() -> None:
    neg = [5, 1, 1, 1]  # max_fpr * 4 < 1: no negative may be flagged
    assert tpr_at_fpr([5, 3], neg, 0.01) == (0.0, math.inf)  # the top positive ties the top negative
    tpr, thr = tpr_at_fpr([6, 5.5, 5, 3], neg, 0.01)
    assert (tpr, thr) == (0.5, 5.5)
    assert rate_at([6, 5.5, 5, 3], threshold_for_fpr(neg, 0.01)) == tpr


def test_tpr_at_fpr_returns_highest_threshold_for_best_tpr() -> None:
    pos, neg = [0.9, 0.8, 0.4], [0.85, 0.5, 0.3, 0.2]
    assert tpr_at_fpr(pos, neg, 0.25) == (pytest.approx(2 / 3), 0.8)  # 0.5 would add a false positive
    assert tpr_at_fpr(pos, neg, 0.5) == (1.0, 0.4)


def test_pr_curve_hand_computed() -> None:
    recall, precision = pr_curve([3, 4], [1, 2])
    np.testing.assert_allclose(recall, [0, 0.5, 1, 1, 1])
    np.testing.assert_allclose(precision, [1, 1, 1, 2 / 3, 0.5])


def test_pr_curve_ties_count_together() -> None:
    recall, precision = pr_curve([1, 2], [1, 0])
    np.testing.assert_allclose(recall, [0, 0.5, 1, 1])
    np.testing.assert_allclose(precision, [1, 1, 2 / 3, 0.5])


@pytest.mark.parametrize("bad", [[], [[1, 2]], [1, float("nan")]])
def test_bad_scores_raise(bad: list[object]) -> None:
    with pytest.raises(ValueError, match="scores_pos"):
        auc(bad, [1, 2])


def test_max_fpr_outside_unit_interval_raises() -> None:
    with pytest.raises(ValueError, match="max_fpr"):
        tpr_at_fpr([1], [0], 1.5)


score_lists = st.lists(st.integers(0, 6), min_size=1, max_size=25)


@settings(max_examples=200, deadline=None)
@given(pos=score_lists, neg=score_lists, max_fpr=st.sampled_from([0.0, 0.05, 0.1, 0.25, 0.29, 0.5, 1.0]))
def test_against_brute_force(pos: list[int], neg: list[int], max_fpr: float) -> None:
    p, n = np.array(pos, float), np.array(neg, float)
    pairs = (p[:, None] > n[None, :]).mean() + 0.5 * (p[:, None] == n[None, :]).mean()
    assert auc(p, n) == pytest.approx(pairs)
    fpr, tpr, _ = roc_curve(p, n)
    assert _trapezoid(fpr, tpr) == pytest.approx(pairs)
    # every threshold that matters: each score, and +inf (flag nothing)
    candidates = [*np.unique(np.concatenate([p, n])).tolist(), math.inf]
    feasible = [t for t in candidates if np.sum(n >= t) <= max_fpr * n.size + 1e-9]
    best = max(float(np.mean(p >= t)) for t in feasible)
    got_tpr, got_thr = tpr_at_fpr(p, n, max_fpr)
    assert got_tpr == pytest.approx(best)
    assert rate_at(p, got_thr) == pytest.approx(best)
    assert rate_at(n, got_thr) <= max_fpr + 1e-12
    assert rate_at(p, threshold_for_fpr(n, max_fpr)) == pytest.approx(best)


# --- thresholds and rates ---------------------------------------------------------------------------


def test_threshold_for_fpr_is_the_smallest_admissible() -> None:
    neg = [1.0, 2.0, 3.0, 4.0]
    t = threshold_for_fpr(neg, 0.25)
    assert t > 3.0
    assert rate_at(neg, t) == 0.25
    assert rate_at(neg, float(np.nextafter(t, -np.inf))) == 0.5


def test_threshold_for_fpr_survives_float_rounding_of_the_budget() -> None:
    neg = np.arange(100, dtype=float)  # 0.29 * 100 == 28.999999999999996 in floating point
    assert rate_at(neg, threshold_for_fpr(neg, 0.29)) == 0.29


def test_threshold_for_fpr_with_ties_and_limits() -> None:
    neg = [5.0, 5.0, 1.0, 0.0]
    assert rate_at(neg, threshold_for_fpr(neg, 0.25)) == 0.0  # cannot flag half of a tie
    assert threshold_for_fpr(neg, 1.0) == -math.inf
    assert threshold_for_fpr(neg, 0.0) > 5.0


def test_rate_at_counts_ties_as_flagged() -> None:
    assert rate_at([0.1, 0.5, 0.5, 0.9], 0.5) == 0.75


# --- intervals ---------------------------------------------------------------------------------------


def test_wilson_known_values() -> None:
    low, high = wilson_interval(0, 100)
    assert low == 0.0
    assert high == pytest.approx(0.0370, abs=5e-4)
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=5e-4)
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(("k", "n"), [(-1, 10), (11, 10), (0, -1)])
def test_wilson_rejects_impossible_counts(k: int, n: int) -> None:
    with pytest.raises(ValueError, match="0 <= k <= n"):
        wilson_interval(k, n)


def _paired_scores(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    neg_a, neg_b = rng.normal(0, 1, 300), rng.normal(0, 1, 300)
    pos_a, pos_b = rng.normal(2.5, 1, 200), rng.normal(1.0, 1, 200)
    return pos_a, neg_a, pos_b, neg_b


def test_bootstrap_difference_ci_contains_point_and_sees_a_real_gap() -> None:
    pos_a, neg_a, pos_b, neg_b = _paired_scores(1)
    diff, low, high = bootstrap_difference(pos_a, neg_a, pos_b, neg_b, max_fpr=0.05, n_boot=300, seed=3)
    assert diff == pytest.approx(tpr_at_fpr(pos_a, neg_a, 0.05)[0] - tpr_at_fpr(pos_b, neg_b, 0.05)[0])
    assert low <= diff <= high
    assert low > 0.0  # a separates far better than b
    again = bootstrap_difference(pos_a, neg_a, pos_b, neg_b, max_fpr=0.05, n_boot=300, seed=3)
    assert again == (diff, low, high)


def test_bootstrap_difference_of_a_method_with_itself_is_zero() -> None:
    pos, neg, _, _ = _paired_scores(2)
    assert bootstrap_difference(pos, neg, pos, neg, max_fpr=0.1, n_boot=50) == (0.0, 0.0, 0.0)


def test_bootstrap_difference_needs_paired_lengths() -> None:
    with pytest.raises(ValueError, match="paired"):
        bootstrap_difference([1, 2], [0], [1], [0], max_fpr=0.1)


# --- localisation -----------------------------------------------------------------------------------


def test_box_union_iou_on_drawn_boxes() -> None:
    shape = (100, 100)
    assert box_union_iou([(0, 0, 10, 10)], [(5, 0, 10, 10)], shape) == pytest.approx(50 / 150)
    # two predicted halves cover one true box exactly
    assert box_union_iou([(0, 0, 10, 20), (10, 0, 10, 20)], [(0, 0, 20, 20)], shape) == 1.0
    assert box_union_iou([(0, 0, 10, 10), (0, 0, 10, 10)], [(0, 0, 10, 20)], shape) == 0.5


def test_box_union_iou_clips_and_handles_empty() -> None:
    assert box_union_iou([(-5, -5, 10, 10)], [(0, 0, 5, 5)], (50, 50)) == 1.0
    assert box_union_iou([(60, 60, 10, 10)], [(0, 0, 5, 5)], (50, 50)) == 0.0  # off the canvas
    assert box_union_iou([], [(0, 0, 5, 5)], (50, 50)) == 0.0
    assert box_union_iou([(0, 0, 5, 5)], [], (50, 50)) == 0.0
    assert box_union_iou([], [], (50, 50)) == 1.0
    assert box_union_iou([(0, 0, 5, 5)], [(0, 0, 5, 5)], (50, 50, 3)) == 1.0  # an image's shape works


def test_box_union_iou_rejects_degenerate_boxes() -> None:
    with pytest.raises(ValueError, match="positive width"):
        box_union_iou([(0, 0, 0, 5)], [], (10, 10))


def test_pixel_f1() -> None:
    true = np.zeros((20, 20), bool)
    true[5:15, 5:15] = True
    pred = np.zeros_like(true)
    pred[5:15, 10:20] = True
    assert pixel_f1(pred, true) == pytest.approx(2 * 50 / 200)
    assert pixel_f1(true, true) == 1.0
    assert pixel_f1(np.zeros_like(true), np.zeros_like(true)) == 1.0
    assert pixel_f1(np.zeros_like(true), true) == 0.0
    assert pixel_f1(true, np.zeros_like(true)) == 0.0


def test_pixel_f1_rejects_mismatched_or_non_bool() -> None:
    with pytest.raises(ValueError, match="differ"):
        pixel_f1(np.zeros((4, 4), bool), np.zeros((4, 5), bool))
    with pytest.raises(ValueError, match="bool"):
        pixel_f1(np.zeros((4, 4), np.uint8), np.zeros((4, 4), bool))


def _two_blobs(gap: int) -> np.ndarray:
    mask = np.zeros((30, 60), bool)
    mask[5:15, 5:15] = True  # 100 px
    mask[8:12, 15 + gap : 20 + gap] = True  # 20 px, `gap` empty columns to the right
    return mask


def test_mask_boxes_components_and_merging() -> None:
    mask = _two_blobs(3)
    assert mask_boxes(mask) == [(5, 5, 10, 10), (18, 8, 5, 4)]
    assert mask_boxes(mask, merge_px=2) == [(5, 5, 10, 10), (18, 8, 5, 4)]
    assert mask_boxes(mask, merge_px=3) == [(5, 5, 18, 10)]  # box of the original pixels, not the dilation
    assert mask_components(mask, merge_px=3) == [(120, (5, 5, 18, 10))]


def test_mask_boxes_diagonal_touch_is_connected_and_order_is_by_size() -> None:
    mask = np.zeros((10, 10), bool)
    mask[0, 0] = mask[1, 1] = True
    mask[5:8, 5:8] = True
    assert mask_boxes(mask) == [(5, 5, 3, 3), (0, 0, 2, 2)]
    assert mask_boxes(np.zeros((4, 4), bool)) == []
    with pytest.raises(ValueError, match="merge_px"):
        mask_boxes(mask, merge_px=-1)


def test_summary() -> None:
    values = [float(v) for v in range(1, 21)]
    got = summary(values)
    assert got == {
        "n": 20,
        "mean": 10.5,
        "median": 10.5,
        "p95": pytest.approx(19.05),
        "min": 1.0,
        "max": 20.0,
    }
    assert summary([]) == {"n": 0, "mean": None, "median": None, "p95": None, "min": None, "max": None}
