"""Deadlines as pure functions of (state, entered_at, policy, shop window); the test gives every time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shouhou.claims.sla import Deadline, deadline_for, remaining
from shouhou.claims.states import ClaimState, DeadlineKind
from shouhou.config import ClaimPolicy

S = ClaimState
K = DeadlineKind
T0 = datetime(2026, 11, 11, 0, 0, 5, 250_000, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8))

# With the default policy: 48 h merchant window, 24 h review SLA, 72 h evidence window, 7-day appeal window.
DEFAULT: dict[ClaimState, tuple[DeadlineKind, timedelta] | None] = {
    S.SUBMITTED: None,
    S.SCREENING: None,
    S.AWAITING_MERCHANT: (K.MERCHANT_RESPONSE, timedelta(hours=48)),
    S.IN_REVIEW: (K.REVIEW_SLA, timedelta(hours=24)),
    S.AWAITING_BUYER: (K.BUYER_EVIDENCE, timedelta(hours=72)),
    S.DECIDED: (K.APPEAL_WINDOW, timedelta(days=7)),
    S.APPEALED: (K.REVIEW_SLA, timedelta(hours=24)),
    S.CLOSED: None,
    S.WITHDRAWN: None,
}


def test_default_table_covers_every_state() -> None:
    assert set(DEFAULT) == set(ClaimState)


@pytest.mark.parametrize("state", list(ClaimState), ids=str)
def test_default_policy(state: ClaimState) -> None:
    got = deadline_for(state, T0, ClaimPolicy())
    expected = DEFAULT[state]
    if expected is None:
        assert got is None
    else:
        assert got == Deadline(expected[0], T0 + expected[1])


@pytest.mark.parametrize("state", list(ClaimState), ids=str)
def test_shop_window_changes_only_the_merchant_response(state: ClaimState) -> None:
    got = deadline_for(state, T0, ClaimPolicy(), shop_response_hours=12.5)
    if state is S.AWAITING_MERCHANT:
        assert got == Deadline(K.MERCHANT_RESPONSE, T0 + timedelta(hours=12.5))
    else:
        assert got == deadline_for(state, T0, ClaimPolicy())


def test_shop_window_none_falls_back_to_the_policy() -> None:
    policy = ClaimPolicy(merchant_response_hours=30)
    got = deadline_for(S.AWAITING_MERCHANT, T0, policy, shop_response_hours=None)
    assert got == Deadline(K.MERCHANT_RESPONSE, T0 + timedelta(hours=30))


def test_custom_policy_drives_every_timer() -> None:
    policy = ClaimPolicy(merchant_response_hours=5, buyer_evidence_hours=6, review_sla_hours=7,
                         appeal_window_days=2)
    got = {s: deadline_for(s, T0, policy) for s in ClaimState}
    assert got == {
        S.SUBMITTED: None,
        S.SCREENING: None,
        S.AWAITING_MERCHANT: Deadline(K.MERCHANT_RESPONSE, T0 + timedelta(hours=5)),
        S.IN_REVIEW: Deadline(K.REVIEW_SLA, T0 + timedelta(hours=7)),
        S.AWAITING_BUYER: Deadline(K.BUYER_EVIDENCE, T0 + timedelta(hours=6)),
        S.DECIDED: Deadline(K.APPEAL_WINDOW, T0 + timedelta(days=2)),
        S.APPEALED: Deadline(K.REVIEW_SLA, T0 + timedelta(hours=7)),
        S.CLOSED: None,
        S.WITHDRAWN: None,
    }


def test_fractional_hours_are_kept() -> None:
    got = deadline_for(S.AWAITING_BUYER, T0, ClaimPolicy(buyer_evidence_hours=1.5))
    assert got is not None and got.at - T0 == timedelta(minutes=90)


def test_an_aware_non_utc_time_gives_the_same_instant() -> None:
    local = T0.astimezone(SHANGHAI)
    got, utc = deadline_for(S.IN_REVIEW, local, ClaimPolicy()), deadline_for(S.IN_REVIEW, T0, ClaimPolicy())
    assert got is not None and utc is not None
    assert got.at == utc.at
    assert got.at.tzinfo is not None


@pytest.mark.parametrize("state", list(ClaimState), ids=str)
def test_naive_datetimes_are_refused(state: ClaimState) -> None:
    with pytest.raises(ValueError, match="aware"):
        deadline_for(state, T0.replace(tzinfo=None), ClaimPolicy(), shop_response_hours=10)


def test_deadline_is_frozen() -> None:
    d = Deadline(K.REVIEW_SLA, T0)
    with pytest.raises(AttributeError):
        d.at = T0 + timedelta(hours=1)  # type: ignore[misc]


def test_remaining() -> None:
    assert remaining(None, T0) is None
    assert remaining(T0 + timedelta(hours=3), T0) == timedelta(hours=3)
    assert remaining(T0, T0 + timedelta(minutes=5)) == -timedelta(minutes=5)
