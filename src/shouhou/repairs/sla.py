"""Repair SLA maths as pure functions: business calendars, pauses, deadlines and per-priority/brand policies.

Every time is an argument (no clock reads); inputs must be timezone-aware, results are UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shouhou.repairs.states import Priority

ALL_WEEKDAYS: Final = frozenset(range(7))
_ZERO: Final = timedelta(0)
_DAY: Final = timedelta(days=1)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours in local time, on the given weekdays (0=Mon … 6=Sun), minus holidays.

    `opens == closes` means open the whole local day on open days; `closes < opens` is a window that runs
    past midnight and belongs to the day it opens on. `always_open` is calendar time: every instant counts.
    """

    opens: time = time(0)
    closes: time = time(0)
    # After-sales in China works weekends, so every day is open unless told otherwise.
    weekdays: frozenset[int] = ALL_WEEKDAYS
    tz: str = "Asia/Shanghai"
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening hours are local wall-clock times; give them without a tzinfo")
        object.__setattr__(self, "weekdays", frozenset(self.weekdays))
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        if not self.weekdays:
            raise ValueError("a business calendar needs at least one open weekday")
        if not self.weekdays <= ALL_WEEKDAYS:
            raise ValueError(f"weekdays are 0 (Monday) to 6 (Sunday), got {sorted(self.weekdays)}")
        if any(isinstance(day, datetime) or not isinstance(day, date) for day in self.holidays):
            raise ValueError("holidays are dates (datetime.date), not datetimes")
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown time zone {self.tz!r}") from exc
        restricted = self.opens != self.closes or self.weekdays != ALL_WEEKDAYS or self.holidays
        if self.always_open and restricted:
            raise ValueError("an always-open calendar takes no hours, weekdays or holidays")


ALWAYS: Final = BusinessCalendar(always_open=True)


@dataclass(frozen=True)
class Pause:
    """The SLA clock stopped (waiting for the customer or for parts); `end=None` while still paused."""

    start: datetime
    end: datetime | None = None

    def __post_init__(self) -> None:
        _utc(self.start, "pause start")
        if self.end is not None and _utc(self.end, "pause end") < _utc(self.start, "pause start"):
            raise ValueError(f"a pause cannot end ({self.end}) before it starts ({self.start})")


def is_open(cal: BusinessCalendar, at: datetime) -> bool:
    at = _utc(at, "at")
    if cal.always_open:
        return True
    start, _ = next(_windows(cal, at))
    return start <= at


def next_open(cal: BusinessCalendar, at: datetime) -> datetime:
    """The first open instant at or after `at` (`at` itself when open)."""
    at = _utc(at, "at")
    if cal.always_open:
        return at
    start, _ = next(_windows(cal, at))
    return max(start, at)


def add_business_time(cal: BusinessCalendar, start: datetime, delta: timedelta) -> datetime:
    """The earliest instant by which `delta` of business time has passed since `start`.

    A start outside hours counts from the next opening; an amount that ends exactly at closing time gives
    the closing time, not the next opening. A zero delta gives `start`.
    """
    start = _utc(start, "start")
    if delta < _ZERO:
        raise ValueError(f"business time to add must not be negative, got {delta}")
    if cal.always_open or delta == _ZERO:
        return start + delta
    remaining = delta
    for opens, closes in _windows(cal, start):
        opens = max(opens, start)
        if remaining <= closes - opens:
            return opens + remaining
        remaining -= closes - opens
    raise AssertionError("unreachable: business windows never run out")


def business_time_between(cal: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    a, b = _utc(a, "a"), _utc(b, "b")
    if b <= a:
        return _ZERO
    if cal.always_open:
        return b - a
    total = _ZERO
    for opens, closes in _windows(cal, a):
        if opens >= b:
            break
        total += min(closes, b) - max(opens, a)
    return total


def deadline(
    cal: BusinessCalendar, start: datetime, allowed: timedelta, pauses: Sequence[Pause], now: datetime
) -> datetime | None:
    """The instant `allowed` business time is used up, not counting business time inside pauses.

    Pauses are facts up to `now`: the part of a pause after `now` has not happened and is ignored. An open
    pause stops the clock, so there is no deadline (None) — unless the time had already run out before the
    pause began, in which case that past deadline stands (pausing does not undo a breach).
    """
    start, now = _utc(start, "start"), _utc(now, "now")
    if allowed < _ZERO:
        raise ValueError(f"allowed business time must not be negative, got {allowed}")
    t, remaining = start, allowed
    for paused_from, paused_until in _merged_pauses(pauses, start, now):
        if paused_from > t:
            available = business_time_between(cal, t, paused_from)
            if remaining <= available:
                return add_business_time(cal, t, remaining)
            remaining -= available
        if paused_until is None:
            return None
        t = max(t, paused_until)
    return add_business_time(cal, t, remaining)


def elapsed(cal: BusinessCalendar, start: datetime, pauses: Sequence[Pause], now: datetime) -> timedelta:
    """Business time consumed between `start` and `now`, less business time inside pauses."""
    start, now = _utc(start, "start"), _utc(now, "now")
    if now <= start:
        return _ZERO
    used = business_time_between(cal, start, now)
    for paused_from, paused_until in _merged_pauses(pauses, start, now):
        used -= business_time_between(cal, paused_from, now if paused_until is None else paused_until)
    return used


@dataclass(frozen=True, kw_only=True)
class SlaPolicy:
    """Time allowed for the first response (accepted and customer contacted) and for arriving on site."""

    first_response: timedelta = timedelta(minutes=30)
    onsite: timedelta
    calendar: BusinessCalendar

    def __post_init__(self) -> None:
        for name in ("first_response", "onsite"):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= _ZERO:
                raise ValueError(f"SLA {name} must be a positive duration, got {value!r}")


NORMAL_HOURS: Final = BusinessCalendar(opens=time(8), closes=time(20))

_DEFAULTS: dict[str, SlaPolicy] = {
    Priority.NORMAL: SlaPolicy(
        first_response=timedelta(minutes=30), onsite=timedelta(hours=24), calendar=NORMAL_HOURS
    ),
    # Green channel (绿色通道): a water leak or a locked safe cannot wait for opening hours.
    Priority.EMERGENCY: SlaPolicy(
        first_response=timedelta(minutes=15), onsite=timedelta(hours=4), calendar=ALWAYS
    ),
}
DEFAULT_POLICIES: Final[Mapping[str, SlaPolicy]] = MappingProxyType(_DEFAULTS)


@dataclass(frozen=True)
class SlaPolicies:
    """Policies per priority, with per-brand overrides keyed by (brand, priority)."""

    defaults: Mapping[str, SlaPolicy] = field(default_factory=lambda: DEFAULT_POLICIES)
    overrides: Mapping[tuple[str, str], SlaPolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        for (brand, priority) in self.overrides:
            if priority not in self.defaults:
                raise ValueError(
                    f"the override for brand {brand!r} names unknown priority {priority!r}; "
                    f"known: {', '.join(sorted(self.defaults))}"
                )

    def for_(self, priority: str, brand: str | None = None) -> SlaPolicy:
        if priority not in self.defaults:
            raise ValueError(
                f"unknown repair priority {priority!r}; known: {', '.join(sorted(self.defaults))}"
            )
        if brand is not None and (brand, priority) in self.overrides:
            return self.overrides[(brand, priority)]
        return self.defaults[priority]


def _utc(at: datetime, name: str) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {at.isoformat()}")
    return at.astimezone(UTC)


def _is_open_day(cal: BusinessCalendar, day: date) -> bool:
    return day.weekday() in cal.weekdays and day not in cal.holidays


def _windows(cal: BusinessCalendar, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open windows in UTC, in order, from the first one that closes after `since`; never ends."""
    zone = ZoneInfo(cal.tz)
    # A window that runs past midnight may have opened the local day before.
    day = since.astimezone(zone).date() - _DAY
    previous_close: datetime | None = None
    while True:
        if _is_open_day(cal, day):
            closes_on = day if cal.closes > cal.opens else day + _DAY
            # Wall-clock combination, then conversion: a local day around a DST change is 23 or 25 h long.
            opens = datetime.combine(day, cal.opens, tzinfo=zone).astimezone(UTC)
            closes = datetime.combine(closes_on, cal.closes, tzinfo=zone).astimezone(UTC)
            if previous_close is not None:
                opens = max(opens, previous_close)  # keeps windows disjoint around a DST fold
            if closes > opens and closes > since:
                yield opens, closes
                previous_close = closes
        day += _DAY


def _merged_pauses(
    pauses: Sequence[Pause], start: datetime, now: datetime
) -> list[tuple[datetime, datetime | None]]:
    """Pauses clipped to [start, now] and merged so that overlaps count once; None marks one still open."""
    spans: list[tuple[datetime, datetime | None]] = []
    for pause in pauses:
        paused_from = _utc(pause.start, "pause start")
        if paused_from > now:
            continue
        paused_until = None if pause.end is None else min(_utc(pause.end, "pause end"), now)
        if paused_until is not None and paused_until <= max(paused_from, start):
            continue
        spans.append((max(paused_from, start), paused_until))
    spans.sort(key=lambda span: span[0])
    merged: list[tuple[datetime, datetime | None]] = []
    for paused_from, paused_until in spans:
        if merged:
            last_from, last_until = merged[-1]
            if last_until is None:
                break
            if paused_from <= last_until:
                end = None if paused_until is None else max(last_until, paused_until)
                merged[-1] = (last_from, end)
                continue
        merged.append((paused_from, paused_until))
    return merged
