"""Choosing a technician: hard filters, then a cost; batches by optimal assignment (scipy's Hungarian solver).

Pure functions over plain values, so dispatch can be tested, simulated and explained without a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

import numpy as np
from scipy.optimize import linear_sum_assignment

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A rating with few votes is pulled towards the prior, so one early 5 or 1 does not decide dispatch.
RATING_PRIOR, RATING_PRIOR_WEIGHT = 4.5, 3.0


@dataclass(frozen=True)
class Weights:
    distance_per_100km: float = 1.0
    load: float = 1.0  # open jobs / day capacity
    rating: float = 0.5  # per star below 5


@dataclass(frozen=True)
class Candidate:
    technician_id: str
    distance_km: float
    open_jobs: int
    assigned_today: int
    capacity: int
    rating_sum: int
    rating_count: int
    shift_start: str
    shift_end: str
    available: bool = True

    @property
    def rating(self) -> float:
        prior = RATING_PRIOR * RATING_PRIOR_WEIGHT
        return (self.rating_sum + prior) / (self.rating_count + RATING_PRIOR_WEIGHT)


def parse_hhmm(text: str) -> time:
    h, m = text.split(":")
    return time(int(h), int(m))


def on_shift(shift_start: str, shift_end: str, at: datetime) -> bool:
    """Whether `at` (aware) falls in the local shift; a shift may run past midnight (20:00–08:00)."""
    local = at.astimezone(SHANGHAI).time()
    start, end = parse_hhmm(shift_start), parse_hhmm(shift_end)
    if start == end:
        return True
    if start < end:
        return start <= local < end
    return local >= start or local < end


def refusal(c: Candidate, at: datetime) -> str | None:
    """Why a covering, skilled technician cannot take a job now (None: they can)."""
    if not c.available:
        return "not available"
    if not on_shift(c.shift_start, c.shift_end, at):
        return "off shift"
    if c.assigned_today >= c.capacity:
        return "day capacity reached"
    return None


def cost(c: Candidate, weights: Weights = Weights()) -> float:
    return (
        weights.distance_per_100km * min(c.distance_km / 100.0, 5.0)
        + weights.load * c.open_jobs / max(c.capacity, 1)
        + weights.rating * (5.0 - c.rating)
    )


def pick(candidates: Sequence[Candidate], at: datetime, weights: Weights = Weights()) -> Candidate | None:
    """The eligible candidate with the lowest cost; ties by technician id (deterministic)."""
    ok = [c for c in candidates if refusal(c, at) is None]
    if not ok:
        return None
    return min(ok, key=lambda c: (cost(c, weights), c.technician_id))


def assign_batch(
    requests: Sequence[str],
    candidates: Mapping[str, Sequence[Candidate]],
    at: datetime,
    weights: Weights = Weights(),
) -> dict[str, str]:
    """Optimal assignment of many requests at once (least total cost), each technician at most their
    remaining day capacity. Requests nobody can take are left out of the answer."""
    slots: list[tuple[str, int]] = []  # (technician, k-th extra job today)
    seen: dict[str, Candidate] = {}
    for req in requests:
        for c in candidates.get(req, ()):
            if refusal(c, at) is None:
                seen.setdefault(c.technician_id, c)
    for tid, c in sorted(seen.items()):
        slots += [(tid, k) for k in range(c.capacity - c.assigned_today)]
    if not slots or not requests:
        return {}
    big = 1e6
    matrix = np.full((len(requests), len(slots)), big)
    index = {s: j for j, s in enumerate(slots)}
    for i, req in enumerate(requests):
        for c in candidates.get(req, ()):
            if c.technician_id not in seen:
                continue
            base = seen[c.technician_id]
            for k in range(base.capacity - base.assigned_today):
                # Each further job in the batch weighs as if the technician's load had grown by one.
                loaded = Candidate(**{**vars(c), "open_jobs": c.open_jobs + k})
                matrix[i, index[(c.technician_id, k)]] = cost(loaded, weights)
    rows, cols = linear_sum_assignment(matrix)
    return {requests[i]: slots[j][0] for i, j in zip(rows, cols, strict=True) if matrix[i, j] < big}
