"""Who reviews a claim: reviewers on shift, round robin weighted by open load."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence


def pick_reviewer(
    on_shift: Sequence[str],
    open_load: Mapping[str, int],
    assigned_total: Mapping[str, int],
    *,
    exclude: Collection[str] = (),
) -> str | None:
    """The on-shift reviewer with the fewest open reviews; ties go to whoever was given fewest overall (the
    round robin), then by id. None when nobody qualifies."""
    pool = [r for r in on_shift if r not in exclude]
    if not pool:
        return None
    return min(pool, key=lambda r: (open_load.get(r, 0), assigned_total.get(r, 0), r))
