"""The one check every workflow's transition function makes against its state table."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from shouhou.errors import IllegalTransition

S = TypeVar("S", bound=StrEnum)


def check_transition(table: Mapping[S, frozenset[S]], src: S, to: S, *, what: str) -> None:
    """Raise `IllegalTransition` naming both states and the allowed ones when `table` has no src → to."""
    if to not in table[src]:
        allowed = ", ".join(sorted(s.value for s in table[src])) or "nothing (final state)"
        raise IllegalTransition(f"{what} is {src.value}: it cannot go to {to.value} (allowed: {allowed})")
