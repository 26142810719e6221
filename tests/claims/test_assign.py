"""Reviewer choice: least open load, then fewest assigned overall, then id; exclusions and an empty pool."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shouhou.claims.assign import pick_reviewer


def test_least_open_load_wins() -> None:
    loads = {"r1": 3, "r2": 1, "r3": 2}
    assert pick_reviewer(["r1", "r2", "r3"], loads, {"r1": 0, "r2": 50, "r3": 0}) == "r2"


def test_a_reviewer_missing_from_the_load_map_has_no_open_reviews() -> None:
    assert pick_reviewer(["r1", "new"], {"r1": 1}, {"r1": 1}) == "new"


def test_tie_on_load_goes_to_fewest_assigned_overall() -> None:
    assert pick_reviewer(["r1", "r2", "r3"], {"r1": 2, "r2": 2, "r3": 2}, {"r1": 9, "r2": 4, "r3": 7}) == "r2"


def test_missing_assigned_total_counts_as_zero() -> None:
    assert pick_reviewer(["r1", "r2"], {}, {"r1": 1}) == "r2"


def test_full_tie_goes_to_the_smallest_id_whatever_the_order() -> None:
    assert pick_reviewer(["usr_b", "usr_c", "usr_a"], {}, {}) == "usr_a"
    assert pick_reviewer(["usr_c", "usr_a", "usr_b"], {"usr_a": 1, "usr_b": 1, "usr_c": 1}, {}) == "usr_a"


def test_load_outranks_assigned_total_and_id() -> None:
    # "a" wins every tie-break but has more open work.
    assert pick_reviewer(["a", "z"], {"a": 1, "z": 0}, {"a": 0, "z": 100}) == "z"


def test_exclusions_are_respected_even_when_they_would_win() -> None:
    # An appeal goes to someone other than the reviewer who made the first decision.
    pool = ["first_decider", "r2", "r3"]
    loads = {"first_decider": 0, "r2": 4, "r3": 2}
    assert pick_reviewer(pool, loads, {}) == "first_decider"
    assert pick_reviewer(pool, loads, {}, exclude={"first_decider"}) == "r3"
    assert pick_reviewer(pool, loads, {}, exclude=["first_decider", "r3"]) == "r2"


def test_exclusions_not_on_shift_change_nothing() -> None:
    assert pick_reviewer(["r1", "r2"], {"r1": 1}, {}, exclude={"someone_else"}) == "r2"


def test_empty_pool_is_none() -> None:
    assert pick_reviewer([], {"r1": 0}, {"r1": 0}) is None


def test_everyone_excluded_is_none() -> None:
    assert pick_reviewer(["r1", "r2"], {}, {}, exclude={"r1", "r2"}) is None


def test_load_of_reviewers_off_shift_is_ignored() -> None:
    assert pick_reviewer(["r2"], {"off": 0, "r2": 5}, {"off": 0}) == "r2"


reviewer_ids = st.text(alphabet="abcdefgh", min_size=1, max_size=4)


@given(
    on_shift=st.lists(reviewer_ids, max_size=8),
    loads=st.dictionaries(reviewer_ids, st.integers(min_value=0, max_value=6)),
    totals=st.dictionaries(reviewer_ids, st.integers(min_value=0, max_value=20)),
    exclude=st.sets(reviewer_ids, max_size=4),
)
def test_the_choice_has_minimal_load_among_the_eligible(
    on_shift: list[str], loads: dict[str, int], totals: dict[str, int], exclude: set[str],
) -> None:
    eligible = [r for r in on_shift if r not in exclude]
    chosen = pick_reviewer(on_shift, loads, totals, exclude=exclude)
    if not eligible:
        assert chosen is None
        return
    assert chosen in eligible
    best_load = min(loads.get(r, 0) for r in eligible)
    assert loads.get(chosen, 0) == best_load
    tied = [r for r in eligible if loads.get(r, 0) == best_load]
    best_total = min(totals.get(r, 0) for r in tied)
    assert totals.get(chosen, 0) == best_total
    assert chosen == min(r for r in tied if totals.get(r, 0) == best_total)
