"""Repair SLA maths with an injected clock: business hours in Shanghai local time, pauses, policies."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shouhou.repairs.sla import (
    ALWAYS,
    DEFAULT_POLICIES,
    BusinessCalendar,
    Pause,
    SlaPolicies,
    SlaPolicy,
    add_business_time,
    business_time_between,
    deadline,
    elapsed,
    is_open,
    next_open,
)
from shouhou.repairs.states import Priority

SH = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
DAY_SHIFT = BusinessCalendar(opens=time(8), closes=time(20))
MINUTES_30 = timedelta(minutes=30)


def local(day: int, hour: int, minute: int = 0, *, month: int = 11, zone: ZoneInfo = SH) -> datetime:
    """A wall-clock time in 2026 converted to UTC, the way times arrive from storage."""
    return datetime(2026, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


# 2026-11-23 is a Monday.


def test_evening_request_is_due_after_next_opening() -> None:
    due = add_business_time(DAY_SHIFT, local(23, 19, 50), MINUTES_30)
    assert due == local(24, 8, 20)  # 10 min today, 20 min after 08:00 tomorrow
    assert due.tzinfo is UTC


def test_night_request_counts_from_opening() -> None:
    assert add_business_time(DAY_SHIFT, local(23, 3, 0), MINUTES_30) == local(23, 8, 30)


def test_closed_weekday_moves_to_next_open_day() -> None:
    weekdays_only = BusinessCalendar(opens=time(8), closes=time(20), weekdays=frozenset(range(5)))
    friday_evening = local(27, 19, 50)
    assert add_business_time(weekdays_only, friday_evening, MINUTES_30) == local(30, 8, 20)
    assert not is_open(weekdays_only, local(28, 12, 0))
    assert next_open(weekdays_only, local(28, 12, 0)) == local(30, 8, 0)


def test_holiday_is_skipped() -> None:
    cal = BusinessCalendar(opens=time(8), closes=time(20), holidays=frozenset({date(2026, 11, 24)}))
    assert add_business_time(cal, local(23, 19, 50), MINUTES_30) == local(25, 8, 20)
    assert business_time_between(cal, local(23, 20, 0), local(25, 8, 0)) == timedelta(0)


def test_always_calendar_is_plain_addition() -> None:
    start = local(23, 23, 50)
    assert add_business_time(ALWAYS, start, MINUTES_30) == start + MINUTES_30
    assert business_time_between(ALWAYS, start, start + timedelta(days=3)) == timedelta(days=3)
    assert deadline(ALWAYS, start, MINUTES_30, [], now=start) == start + MINUTES_30
    assert is_open(ALWAYS, start)


def test_input_in_utc_or_any_offset_means_the_same_instant() -> None:
    in_utc = datetime(2026, 11, 23, 11, 50, tzinfo=UTC)  # 19:50 in Shanghai
    in_new_york = in_utc.astimezone(timezone(timedelta(hours=-5)))
    expected = datetime(2026, 11, 24, 0, 20, tzinfo=UTC)  # 08:20 in Shanghai
    assert add_business_time(DAY_SHIFT, in_utc, MINUTES_30) == expected
    assert add_business_time(DAY_SHIFT, in_new_york, MINUTES_30) == expected
    # Opening at 08:00 Shanghai is midnight UTC; closing is half-open.
    assert not is_open(DAY_SHIFT, datetime(2026, 11, 23, 23, 59, tzinfo=UTC))
    assert is_open(DAY_SHIFT, datetime(2026, 11, 24, 0, 0, tzinfo=UTC))
    assert not is_open(DAY_SHIFT, datetime(2026, 11, 24, 12, 0, tzinfo=UTC))


def test_next_open_is_the_instant_itself_when_open() -> None:
    assert next_open(DAY_SHIFT, local(23, 12, 0)) == local(23, 12, 0)
    assert next_open(DAY_SHIFT, local(23, 20, 0)) == local(24, 8, 0)
    assert next_open(DAY_SHIFT, local(23, 7, 59)) == local(23, 8, 0)


def test_time_ending_at_closing_gives_closing_not_next_opening() -> None:
    assert add_business_time(DAY_SHIFT, local(23, 19, 50), timedelta(minutes=10)) == local(23, 20, 0)
    assert add_business_time(DAY_SHIFT, local(23, 3, 0), timedelta(0)) == local(23, 3, 0)


def test_business_time_between_spans_nights() -> None:
    assert business_time_between(DAY_SHIFT, local(23, 19, 0), local(25, 9, 0)) == timedelta(hours=14)
    assert business_time_between(DAY_SHIFT, local(25, 9, 0), local(23, 19, 0)) == timedelta(0)


def test_window_past_midnight_belongs_to_its_opening_day() -> None:
    night = BusinessCalendar(opens=time(20), closes=time(2), holidays=frozenset({date(2026, 11, 24)}))
    assert is_open(night, local(24, 1, 0))  # opened on the 23rd
    assert not is_open(night, local(24, 3, 0))
    assert not is_open(night, local(24, 21, 0))  # the 24th is a holiday
    assert add_business_time(night, local(24, 1, 50), timedelta(minutes=20)) == local(25, 20, 10)


def test_business_hours_follow_local_wall_clock_across_dst() -> None:
    # Berlin springs forward on 2026-03-29: 08:00 local is 07:00 UTC on Saturday and 06:00 UTC on Sunday.
    berlin = BusinessCalendar(opens=time(8), closes=time(20), tz="Europe/Berlin")
    start = local(28, 19, 50, month=3, zone=BERLIN)
    assert add_business_time(berlin, start, MINUTES_30) == datetime(2026, 3, 29, 6, 20, tzinfo=UTC)
    whole_days = BusinessCalendar(tz="Europe/Berlin")
    sunday = business_time_between(
        whole_days, local(29, 0, 0, month=3, zone=BERLIN), local(30, 0, 0, month=3, zone=BERLIN)
    )
    assert sunday == timedelta(hours=23)
    nights = BusinessCalendar(opens=time(20), closes=time(8), tz="Europe/Berlin")
    saturday_night = local(28, 20, 0, month=3, zone=BERLIN)
    sunday_noon = local(29, 12, 0, month=3, zone=BERLIN)
    assert business_time_between(nights, saturday_night, sunday_noon) == timedelta(hours=11)


# --- pauses -------------------------------------------------------------------------------------------


def test_pause_inside_hours_pushes_deadline_by_its_length() -> None:
    start = local(23, 9, 50)
    assert deadline(DAY_SHIFT, start, MINUTES_30, [], now=local(23, 12)) == local(23, 10, 20)
    pauses = [Pause(local(23, 10, 0), local(23, 10, 20))]
    assert deadline(DAY_SHIFT, start, MINUTES_30, pauses, now=local(23, 12)) == local(23, 10, 40)


def test_pause_across_closing_counts_only_business_minutes() -> None:
    start = local(23, 19, 40)
    assert deadline(DAY_SHIFT, start, MINUTES_30, [], now=local(24, 12)) == local(24, 8, 10)
    # Paused 19:50 → 08:10: 10 business minutes each side of the night, not 12 h 20 min.
    pauses = [Pause(local(23, 19, 50), local(24, 8, 10))]
    assert deadline(DAY_SHIFT, start, MINUTES_30, pauses, now=local(24, 12)) == local(24, 8, 30)
    assert elapsed(DAY_SHIFT, start, pauses, now=local(24, 8, 20)) == timedelta(minutes=20)


def test_open_pause_stops_the_clock() -> None:
    start = local(23, 9, 50)
    pauses = [Pause(local(23, 10, 0))]
    assert deadline(DAY_SHIFT, start, MINUTES_30, pauses, now=local(23, 15)) is None
    assert elapsed(DAY_SHIFT, start, pauses, now=local(23, 15)) == timedelta(minutes=10)
    # A later pause inside the open one changes nothing.
    pauses.append(Pause(local(23, 10, 30), local(23, 10, 40)))
    assert deadline(DAY_SHIFT, start, MINUTES_30, pauses, now=local(23, 15)) is None
    assert elapsed(DAY_SHIFT, start, pauses, now=local(23, 15)) == timedelta(minutes=10)


def test_open_pause_from_before_start_means_no_deadline() -> None:
    pauses = [Pause(local(23, 9, 0))]
    assert deadline(DAY_SHIFT, local(23, 9, 50), MINUTES_30, pauses, now=local(23, 9, 50)) is None


def test_pausing_after_the_deadline_does_not_undo_the_breach() -> None:
    start = local(23, 9, 50)
    pauses = [Pause(local(23, 11, 0))]
    assert deadline(DAY_SHIFT, start, MINUTES_30, pauses, now=local(23, 12)) == local(23, 10, 20)


def test_pause_not_yet_begun_is_ignored() -> None:
    start = local(23, 9, 50)
    for later in (Pause(local(23, 10, 0), local(23, 10, 20)), Pause(local(23, 10, 0))):
        assert deadline(DAY_SHIFT, start, MINUTES_30, [later], now=local(23, 9, 55)) == local(23, 10, 20)
        assert elapsed(DAY_SHIFT, start, [later], now=local(23, 9, 55)) == timedelta(minutes=5)


def test_overlapping_pauses_count_once() -> None:
    start = local(23, 9, 50)
    pauses = [
        Pause(local(23, 10, 10), local(23, 10, 30)),
        Pause(local(23, 10, 0), local(23, 10, 20)),
        Pause(local(23, 10, 5), local(23, 10, 15)),  # inside both
        Pause(local(23, 10, 0), local(23, 10, 20)),  # recorded twice
    ]
    # One 30-minute pause, 10:00–10:30.
    assert deadline(DAY_SHIFT, start, MINUTES_30, pauses, now=local(23, 12)) == local(23, 10, 50)
    assert elapsed(DAY_SHIFT, start, pauses, now=local(23, 10, 40)) == timedelta(minutes=20)


def test_pause_starting_before_start_counts_only_from_start() -> None:
    pauses = [Pause(local(23, 9, 0), local(23, 10, 0))]
    assert deadline(DAY_SHIFT, local(23, 9, 50), MINUTES_30, pauses, now=local(23, 12)) == local(23, 10, 30)


def test_elapsed_before_start_is_zero() -> None:
    assert elapsed(DAY_SHIFT, local(23, 10), [], now=local(23, 9)) == timedelta(0)
    assert elapsed(DAY_SHIFT, local(23, 19, 50), [], now=local(24, 8, 10)) == timedelta(minutes=20)


# --- properties -----------------------------------------------------------------------------------------

CALENDARS = [
    DAY_SHIFT,
    ALWAYS,
    BusinessCalendar(
        opens=time(9, 30), closes=time(17, 45), weekdays=frozenset({0, 1, 2, 3, 4}),
        holidays=frozenset({date(2026, 10, d) for d in range(1, 8)}),
    ),
    BusinessCalendar(opens=time(20), closes=time(2)),
    BusinessCalendar(opens=time(8), closes=time(20), tz="Europe/Berlin"),
    BusinessCalendar(tz="America/New_York", weekdays=frozenset({5, 6})),
]
calendars = st.sampled_from(CALENDARS)
instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
    timezones=st.sampled_from([UTC, SH, timezone(timedelta(hours=-5, minutes=-30))]),
)
amounts = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))


@settings(max_examples=300, deadline=None, database=None)
@given(cal=calendars, start=instants, d=amounts)
def test_business_time_between_inverts_add_business_time(
    cal: BusinessCalendar, start: datetime, d: timedelta
) -> None:
    end = add_business_time(cal, start, d)
    assert end >= start
    assert business_time_between(cal, start, end) == d


@settings(max_examples=300, deadline=None, database=None)
@given(cal=calendars, start=instants, d1=amounts, d2=amounts, shift=amounts)
def test_add_business_time_is_monotonic(
    cal: BusinessCalendar, start: datetime, d1: timedelta, d2: timedelta, shift: timedelta
) -> None:
    small, large = sorted((d1, d2))
    assert add_business_time(cal, start, small) <= add_business_time(cal, start, large)
    assert add_business_time(cal, start, small) <= add_business_time(cal, start + shift, small)


@settings(max_examples=200, deadline=None, database=None)
@given(cal=calendars, a=instants, b=amounts, c=amounts)
def test_business_time_is_additive(cal: BusinessCalendar, a: datetime, b: timedelta, c: timedelta) -> None:
    mid, end = a + b, a + b + c
    assert business_time_between(cal, a, mid) + business_time_between(cal, mid, end) == (
        business_time_between(cal, a, end)
    )
    assert business_time_between(cal, a, end) <= end - a


@settings(max_examples=200, deadline=None, database=None)
@given(
    cal=calendars, start=instants, allowed=st.timedeltas(timedelta(minutes=1), timedelta(days=3)),
    spans=st.lists(st.tuples(st.timedeltas(-timedelta(days=1), timedelta(days=4)), amounts), max_size=4),
)
def test_deadline_is_where_elapsed_reaches_allowed(
    cal: BusinessCalendar, start: datetime, allowed: timedelta, spans: list[tuple[timedelta, timedelta]]
) -> None:
    pauses = [Pause(start + offset, start + offset + length) for offset, length in spans]
    now = start + timedelta(days=400)
    due = deadline(cal, start, allowed, pauses, now)
    assert due is not None
    assert elapsed(cal, start, pauses, due) == allowed
    assert due >= add_business_time(cal, start, allowed)  # pauses only ever push it later


# --- calendar and policy validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekdays": frozenset()}, "at least one open weekday"),
        ({"weekdays": frozenset({7})}, "0 \\(Monday\\) to 6"),
        ({"tz": "Mars/Olympus_Mons"}, "unknown time zone"),
        ({"opens": time(8, tzinfo=UTC)}, "without a tzinfo"),
        ({"holidays": frozenset({datetime(2026, 10, 1, tzinfo=UTC)})}, "not datetimes"),
        ({"always_open": True, "opens": time(8), "closes": time(20)}, "always-open"),
        ({"always_open": True, "holidays": frozenset({date(2026, 10, 1)})}, "always-open"),
    ],
)
def test_calendar_refuses_bad_settings(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_naive_times_and_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_time(DAY_SHIFT, datetime(2026, 11, 23, 10), MINUTES_30)
    with pytest.raises(ValueError, match="timezone-aware"):
        Pause(datetime(2026, 11, 23, 10))
    with pytest.raises(ValueError, match="negative"):
        add_business_time(DAY_SHIFT, local(23, 10), -MINUTES_30)
    with pytest.raises(ValueError, match="negative"):
        deadline(DAY_SHIFT, local(23, 10), -MINUTES_30, [], now=local(23, 10))
    with pytest.raises(ValueError, match="before it starts"):
        Pause(local(23, 10), local(23, 9))


def test_default_policies_per_priority() -> None:
    policies = SlaPolicies()
    normal = policies.for_("normal", None)
    assert (normal.first_response, normal.onsite) == (MINUTES_30, timedelta(hours=24))
    assert normal.calendar == DAY_SHIFT
    emergency = policies.for_(Priority.EMERGENCY, "Haier")
    assert (emergency.first_response, emergency.onsite) == (timedelta(minutes=15), timedelta(hours=4))
    assert emergency.calendar is ALWAYS
    # A water leak at 03:00 gets its first response due at 03:15, not after opening.
    assert deadline(emergency.calendar, local(23, 3), emergency.first_response, [], now=local(23, 3)) == (
        local(23, 3, 15)
    )
    assert set(DEFAULT_POLICIES) == set(Priority)


def test_brand_override_is_picked_over_the_default() -> None:
    midea_normal = SlaPolicy(
        first_response=timedelta(minutes=20), onsite=timedelta(hours=12), calendar=ALWAYS
    )
    policies = SlaPolicies(overrides={("Midea", "normal"): midea_normal})
    assert policies.for_("normal", "Midea") is midea_normal
    assert policies.for_(Priority.NORMAL, "Midea") is midea_normal
    assert policies.for_("normal", "Gree") == DEFAULT_POLICIES["normal"]
    assert policies.for_("normal", None) == DEFAULT_POLICIES["normal"]
    assert policies.for_("emergency", "Midea") == DEFAULT_POLICIES["emergency"]


def test_unknown_priority_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown repair priority 'urgent'; known: emergency, normal"):
        SlaPolicies().for_("urgent", "Midea")
    policy = SlaPolicy(onsite=timedelta(hours=1), calendar=ALWAYS)
    with pytest.raises(ValueError, match="brand 'Midea' names unknown priority 'urgent'"):
        SlaPolicies(overrides={("Midea", "urgent"): policy})


@pytest.mark.parametrize("field", ["first_response", "onsite"])
@pytest.mark.parametrize("value", [timedelta(0), -MINUTES_30])
def test_policy_durations_must_be_positive(field: str, value: timedelta) -> None:
    kwargs = {"first_response": MINUTES_30, "onsite": timedelta(hours=24), field: value}
    with pytest.raises(ValueError, match=f"{field} must be a positive duration"):
        SlaPolicy(calendar=DAY_SHIFT, **kwargs)
