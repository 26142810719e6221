"""The buyer credit record built from in-memory credit events: what counts, what is left out, what it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shouhou.claims.credit import NOTICE, CreditLine, CreditRecord, build_record
from shouhou.storage import tables as t

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
NEVER_DECIDES = "never decides a claim by itself"


def event(
    n: int, *, shop: str = "shp_a", platform: str = "plt_1", refunded: bool = True, forged: bool = False,
    disputed: bool = False, buyer_won: bool | None = None, superseded: bool = False, claim: str | None = None,
) -> t.CreditEvent:
    return t.CreditEvent(
        person_key="pk", claim_id=claim or f"clm_{n}", decision_id=f"dec_{n}", shop_id=shop,
        platform_id=platform,        refunded=refunded, forgery_confirmed=forged, disputed=disputed,
        buyer_won=refunded if buyer_won is None else buyer_won, superseded=superseded,
        reason=f"reason {n}", created_at=T0 + timedelta(days=n),
    )


def test_empty_record() -> None:
    rec = build_record([], 0)
    counts = (rec.claims, rec.refunds, rec.forgeries_confirmed, rec.disputes_won, rec.disputes_lost)
    assert counts == (0, 0, 0, 0, 0)
    assert (rec.shops, rec.platforms) == (0, 0)
    assert rec.lines == ()
    assert NEVER_DECIDES in rec.explanation[-1]
    assert rec.notice == NOTICE


def test_claims_filed_is_taken_as_given() -> None:
    # Claims still open have no event yet; the count of filed claims comes from the caller.
    rec = build_record([event(1)], 5)
    assert rec.claims == 5
    assert rec.explanation[0].startswith("5 claim(s) filed")
    assert "1 decided" in rec.explanation[0]


def test_superseded_events_are_left_out_of_lines_and_counts() -> None:
    first = event(1, claim="clm_x", shop="shp_only_superseded", platform="plt_only_superseded",
                  refunded=False, forged=True, disputed=True, superseded=True)
    again = event(2, claim="clm_x", refunded=True, disputed=True)
    rec = build_record([first, again], 1)
    assert [line.reason for line in rec.lines] == ["reason 2"]
    assert rec.refunds == 1
    assert rec.forgeries_confirmed == 0
    assert (rec.disputes_won, rec.disputes_lost) == (1, 0)
    assert (rec.shops, rec.platforms) == (1, 1)
    assert not any("forged" in line for line in rec.explanation)


def test_only_superseded_events_count_as_nothing_decided() -> None:
    rec = build_record([event(1, superseded=True), event(2, superseded=True, forged=True, refunded=False)], 2)
    assert (rec.refunds, rec.forgeries_confirmed, rec.shops, rec.platforms, rec.lines) == (0, 0, 0, 0, ())
    assert "0 decided" in rec.explanation[0]


def test_counts_of_refunds_forgeries_and_disputes() -> None:
    events = [
        event(1, refunded=True),                                   # refund, no dispute
        event(2, refunded=True, disputed=True, buyer_won=True),    # dispute won by the buyer
        event(3, refunded=False, disputed=True, buyer_won=False),  # dispute lost
        event(4, refunded=False, forged=True, disputed=True, buyer_won=False),  # lost, evidence forged
        event(5, refunded=False, forged=True),                     # rejected as forged, undisputed
        event(6, refunded=False),                                  # plain rejection
    ]
    rec = build_record(events, 7)
    assert rec.claims == 7
    assert rec.refunds == 2
    assert rec.forgeries_confirmed == 2
    assert rec.disputes_won == 1
    assert rec.disputes_lost == 2
    assert "2 refund(s) granted." in rec.explanation
    assert "2 claim(s) where a reviewer confirmed the evidence was forged." in rec.explanation
    assert "Merchant disputes: 1 decided for the buyer, 2 for the merchant." in rec.explanation


def test_an_undisputed_event_is_neither_won_nor_lost() -> None:
    rec = build_record([event(1, refunded=True), event(2, refunded=False)], 2)
    assert (rec.disputes_won, rec.disputes_lost) == (0, 0)
    assert not any(line.startswith("Merchant disputes") for line in rec.explanation)
    assert not any("forged" in line for line in rec.explanation)


def test_shops_and_platforms_are_counted_distinct() -> None:
    events = [
        event(1, shop="shp_a", platform="plt_1"),
        event(2, shop="shp_a", platform="plt_1"),
        event(3, shop="shp_b", platform="plt_1"),
        event(4, shop="shp_c", platform="plt_2"),
    ]
    rec = build_record(events, 4)
    assert (rec.shops, rec.platforms) == (3, 2)
    assert "at 3 shop(s)" in rec.explanation[0]


def test_lines_carry_each_event_in_order() -> None:
    events = [event(2, shop="shp_b", platform="plt_2", refunded=False, forged=True), event(1)]
    rec = build_record(events, 2)
    assert rec.lines == (
        CreditLine(claim_id="clm_2", shop_id="shp_b", platform_id="plt_2", at=T0 + timedelta(days=2),
                   refunded=False, forgery_confirmed=True, disputed=False, buyer_won=False,
                   reason="reason 2"),
        CreditLine(claim_id="clm_1", shop_id="shp_a", platform_id="plt_1", at=T0 + timedelta(days=1),
                   refunded=True, forgery_confirmed=False, disputed=False, buyer_won=True,
                   reason="reason 1"),
    )


@pytest.mark.parametrize("events", [
    [],
    [event(1)],
    [event(1, refunded=False, forged=True, disputed=True, buyer_won=False)] * 3,
    [event(1, superseded=True)],
], ids=["none", "one-refund", "forgeries-and-disputes", "superseded-only"])
def test_the_explanation_always_says_the_record_never_decides(events: list[t.CreditEvent]) -> None:
    rec = build_record(events, len(events))
    assert sum(NEVER_DECIDES in line for line in rec.explanation) == 1
    assert rec.explanation[-1] == "This record is context for a reviewer; it never decides a claim by itself."


def test_pipl_notice_is_present_in_both_languages() -> None:
    rec = build_record([event(1)], 1)
    assert rec.notice == NOTICE
    assert "《个人信息保护法》" in rec.notice
    assert "不会单独决定任何申请" in rec.notice
    assert "PIPL" in rec.notice
    assert "never decides a claim by itself" in rec.notice
    assert "contest any entry" in rec.notice


def test_record_is_frozen() -> None:
    rec: CreditRecord = build_record([event(1)], 1)
    with pytest.raises(AttributeError):
        rec.refunds = 99  # type: ignore[misc]
    assert isinstance(rec.lines, tuple) and isinstance(rec.explanation, tuple)
