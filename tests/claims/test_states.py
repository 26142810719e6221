"""The claim state table as data: its shape, the open/terminal sets, and every (from, to) pair pinned."""

from __future__ import annotations

import itertools

import pytest

from shouhou.claims.states import OPEN_STATES, TERMINAL_STATES, TRANSITIONS, ClaimState, allowed

S = ClaimState

# The table written out independently of the source, so any change to it is a deliberate edit here too.
LEGAL: frozenset[tuple[ClaimState, ClaimState]] = frozenset({
    (S.SUBMITTED, S.SCREENING), (S.SUBMITTED, S.WITHDRAWN),
    (S.SCREENING, S.DECIDED), (S.SCREENING, S.AWAITING_MERCHANT), (S.SCREENING, S.IN_REVIEW),
    (S.SCREENING, S.WITHDRAWN),
    (S.AWAITING_MERCHANT, S.DECIDED), (S.AWAITING_MERCHANT, S.IN_REVIEW), (S.AWAITING_MERCHANT, S.WITHDRAWN),
    (S.IN_REVIEW, S.DECIDED), (S.IN_REVIEW, S.AWAITING_BUYER), (S.IN_REVIEW, S.WITHDRAWN),
    (S.AWAITING_BUYER, S.SCREENING), (S.AWAITING_BUYER, S.DECIDED), (S.AWAITING_BUYER, S.WITHDRAWN),
    (S.DECIDED, S.APPEALED), (S.DECIDED, S.CLOSED), (S.DECIDED, S.IN_REVIEW),
    (S.APPEALED, S.DECIDED), (S.APPEALED, S.WITHDRAWN),
})

ALL_PAIRS = list(itertools.product(ClaimState, ClaimState))


def _reachable(start: ClaimState) -> set[ClaimState]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


@pytest.mark.parametrize(("src", "dst"), ALL_PAIRS, ids=[f"{a.value}->{b.value}" for a, b in ALL_PAIRS])
def test_every_pair_is_legal_exactly_when_pinned(src: ClaimState, dst: ClaimState) -> None:
    assert allowed(src, dst) is ((src, dst) in LEGAL)
    assert (dst in TRANSITIONS[src]) is ((src, dst) in LEGAL)


def test_pairs_cover_the_whole_product() -> None:
    assert len(ALL_PAIRS) == 81
    assert {(a, b) for a, nxt in TRANSITIONS.items() for b in nxt} == LEGAL


def test_every_state_is_a_key_and_every_target_a_state() -> None:
    assert set(TRANSITIONS) == set(ClaimState)
    assert all(isinstance(dst, ClaimState) for nxt in TRANSITIONS.values() for dst in nxt)
    assert all(isinstance(nxt, frozenset) for nxt in TRANSITIONS.values())


def test_stored_values_are_stable() -> None:
    # The values are written to the claims table; renaming one would orphan stored rows.
    assert [s.value for s in ClaimState] == [
        "submitted", "screening", "awaiting_merchant", "in_review", "awaiting_buyer", "decided", "appealed",
        "closed", "withdrawn",
    ]


def test_no_self_loops() -> None:
    assert [s for s in ClaimState if s in TRANSITIONS[s]] == []


def test_terminal_states_are_closed_and_withdrawn_with_no_exits() -> None:
    assert {S.CLOSED, S.WITHDRAWN} == TERMINAL_STATES
    for state in TERMINAL_STATES:
        assert TRANSITIONS[state] == frozenset()
    assert {s for s in ClaimState if not TRANSITIONS[s]} == TERMINAL_STATES


def test_open_terminal_and_decided_partition_the_states() -> None:
    assert OPEN_STATES.isdisjoint(TERMINAL_STATES)
    assert S.DECIDED not in OPEN_STATES and S.DECIDED not in TERMINAL_STATES
    assert OPEN_STATES | TERMINAL_STATES | {S.DECIDED} == set(ClaimState)
    assert all(TRANSITIONS[s] for s in OPEN_STATES), "an open state with no exit would strand claims"


@pytest.mark.parametrize("state", sorted(OPEN_STATES), ids=str)
def test_withdrawn_is_one_step_from_every_open_state(state: ClaimState) -> None:
    assert S.WITHDRAWN in TRANSITIONS[state]


def test_withdrawn_only_from_open_states() -> None:
    assert {s for s in ClaimState if S.WITHDRAWN in TRANSITIONS[s]} == OPEN_STATES


def test_decided_only_from_the_deciding_states() -> None:
    assert {s for s in ClaimState if S.DECIDED in TRANSITIONS[s]} == {
        S.SCREENING, S.AWAITING_MERCHANT, S.IN_REVIEW, S.AWAITING_BUYER, S.APPEALED,
    }


def test_closed_only_after_a_decision() -> None:
    assert {s for s in ClaimState if S.CLOSED in TRANSITIONS[s]} == {S.DECIDED}


def test_submitted_is_only_an_entry_state() -> None:
    assert [s for s in ClaimState if S.SUBMITTED in TRANSITIONS[s]] == []


def test_every_state_is_reachable_from_submitted() -> None:
    assert _reachable(S.SUBMITTED) == set(ClaimState)


@pytest.mark.parametrize("state", list(ClaimState), ids=str)
def test_every_state_can_end(state: ClaimState) -> None:
    assert _reachable(state) & TERMINAL_STATES
